/*
 * envdrift scan: snapshot every host of an Ansible inventory over SSH into
 * one commit. Each host runs one script (collector/fleet/remote.h); its answer
 * is decoded into an image and read by the same collectors as a local
 * collect. A host that fails keeps its previous snapshot and is named in
 * the commit's Envdrift-Failed trailers; nothing is ever recorded as
 * removed because a host could not be read.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "collector/fleet/inventory.h"
#include "collector/fleet/remote.h"
#include "collector/fleet/ssh.h"
#include "collector/fleet/ssh_config.h"
#include "collector/vfs.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "core/store.h"

static const char usage_text[] =
	"usage: envdrift scan -i INVENTORY [--repo DIR] [--limit PATTERN] [-j N]\n"
	"                     [--config FILE] [--key FILE] [--connect-timeout S]\n"
	"                     [--deadline S] [--max-bytes N[KMG]] [--max-failed N|P%]\n"
	"                     [--known-hosts FILE] [--accept-new-host-keys]\n"
	"                     [--ssh-config FILE] [--prune] [--lock-timeout S] [-q|-v]\n"
	"\n"
	"Snapshot every host of an Ansible YAML inventory over SSH (nothing is\n"
	"installed on the hosts) into one commit of the state repository.\n"
	"  -i, --inventory FILE     Ansible YAML inventory\n"
	"  --limit PATTERN          groups, hosts or globs (Ansible's --limit); never prunes\n"
	"  -j, --jobs N             hosts at once (default 50)\n"
	"  --connect-timeout S      TCP connect + SSH handshake (default 10)\n"
	"  --deadline S             whole host (default 120)\n"
	"  --max-bytes N            output per host, K/M/G suffixes (default 256M)\n"
	"  --max-failed N|P%        failures tolerated before exit 3 (default 0)\n"
	"  --known-hosts FILE       default ~/.ssh/known_hosts\n"
	"  --accept-new-host-keys   append unknown host keys; changed ones are refused\n"
	"  --ssh-config FILE        default ~/.ssh/config (HostName, User, Port,\n"
	"                           IdentityFile, ProxyJump)\n"
	"  --prune                  remove hosts that left the inventory\n"
	"  --threads N              polling threads sharing the -j sessions (default 1)\n"
	"  -q, --quiet / -v, --verbose\n"
	"Exit status: 0 all collected (or failures within --max-failed), 3 more\n"
	"failures than that (the rest committed), 2 nothing could be done.\n";

enum { EXIT_FAILED_HOSTS = 3 };

/* A host's outcome beyond ssh_state: the collectors can fail too. */
struct scan_host {
	const struct inventory_host *inv;
	const char *env;          /* where it is stored: inventory env */
	enum ssh_state state;
	int failed;
	char *message;            /* failure, one line */
	struct snapshot snap;     /* when collected */
	int collected;
	size_t warnings;
};

/* The store's sink behind a mutex, for several polling threads. */
struct locked_sink {
	struct snapshot_sink base;
	struct snapshot_sink *inner;
	pthread_mutex_t *lock;
};

static int locked_put(struct snapshot_sink *sink, const void *data,
		      size_t len, unsigned char oid[20], struct ed_err *err)
{
	struct locked_sink *ls = (struct locked_sink *)sink;
	int rc;

	pthread_mutex_lock(ls->lock);
	rc = ls->inner->put(ls->inner, data, len, oid, err);
	pthread_mutex_unlock(ls->lock);
	return rc;
}

struct scan {
	struct scan_host *hosts;
	size_t nr;
	const struct collect_config *cfg;
	struct store *st;
	pthread_mutex_t lock;      /* store reads, counters, output */
	struct locked_sink sink;
	struct store_view *prev;   /* the tip before the scan, or NULL */
	struct store_host *prev_hosts;
	size_t prev_nr;
	size_t done, failed;
	int quiet, verbose, tty;
	struct timespec start;
};

/* One polling thread: its share of the hosts and its own HMAC handle. */
struct worker {
	struct scan *s;
	struct ed_hmac *key;
	const struct ssh_target *targets;
	size_t nr;
	struct ssh_opts so;
	struct ed_strvec warnings;
	struct ed_err err;
	int rc;
	pthread_t tid;
};

static double elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* envdrift_connect_timeout, envdrift_deadline, envdrift_max_bytes */
static int host_limits(struct ssh_target *t, const struct inventory_host *ih,
		       int flag_connect, int flag_deadline, int flag_bytes,
		       const char *inv_path, struct ed_err *err)
{
	static const char *const secs[] = { "envdrift_connect_timeout",
					    "envdrift_deadline" };
	unsigned *const out[] = { &t->connect_timeout_ms, &t->deadline_ms };
	const int flagged[] = { flag_connect, flag_deadline };
	const char *v;
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(secs); i++) {
		unsigned sec;

		if (flagged[i] || !(v = inventory_host_var(ih, secs[i])))
			continue;
		if (cli_parse_seconds(v, &sec) < 0 || !sec)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: host %s: %s: want seconds (1-86400), not '%s'",
					  inv_path, ih->line, ih->col, ih->name, secs[i], v);
		*out[i] = sec * 1000u;
	}
	if (!flag_bytes && (v = inventory_host_var(ih, "envdrift_max_bytes")) &&
	    collect_parse_size(v, &t->max_bytes) < 0)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: host %s: envdrift_max_bytes: want a size such as 64M, not '%s'",
				  inv_path, ih->line, ih->col, ih->name, v);
	return 0;
}

static int cmp_prev_host(const void *a, const void *b)
{
	return strcmp(((const struct store_host *)a)->host,
		      ((const struct store_host *)b)->host);
}

/* This host's previous collect_prev_paths files, from the tip. */
static void load_prev(struct snapshot *prev, struct scan *s, const char *host)
{
	size_t i, j;

	struct store_host key, *ph;

	if (!s->prev)
		return;
	memset(&key, 0, sizeof(key));
	key.host = (char *)(uintptr_t)host;
	ph = bsearch(&key, s->prev_hosts, s->prev_nr, sizeof(key), cmp_prev_host);
	if (!ph)
		return;
	i = (size_t)(ph - s->prev_hosts);
	for (j = 0; collect_prev_paths[j]; j++) {
		struct ed_buf b = ED_BUF_INIT;
		struct ed_err e = ED_ERR_INIT;

		if (!store_view_read_file(s->prev, s->prev_hosts[i].env, host,
					  collect_prev_paths[j], &b, &e))
			snapshot_add_buf(prev, collect_prev_paths[j], &b);
		ed_buf_release(&b);
	}
}

/* Record a failure; the message becomes one trailer line. */
static void fail(struct scan_host *h, enum ssh_state state, const char *msg)
{
	char *p;

	struct ed_buf b = ED_BUF_INIT;

	h->state = state;
	h->failed = 1;
	free(h->message);
	/* one trailer line whatever the host sent: control bytes as \xHH */
	snapshot_quote_value(&b, msg, strlen(msg));
	h->message = ed_buf_detach(&b, NULL);
	for (p = h->message; *p; p++)
		if (*p == '\t')
			*p = ' ';
}

static void first_line(struct ed_buf *out, const struct ed_buf *in)
{
	size_t n = in && in->len ? strcspn(in->ptr, "\n") : 0;

	if (n > 300)
		n = 300;
	if (in && n)
		ed_buf_add(out, in->ptr, n);
}

/*
 * Store every file of a collected snapshot as a blob now and keep only
 * ids: a thousand hosts' lines must not wait in memory for the commit.
 */
static int spill(struct snapshot *snap, struct ed_err *err)
{
	size_t i;

	for (i = 0; i < snap->nr; i++) {
		struct snapshot_entry *e = &snap->entries[i];

		if (e->has_oid)
			continue;
		if (snap->sink->put(snap->sink, e->data, e->len, e->oid, err) < 0)
			return err->code;
		free(e->data);
		e->data = NULL;
		e->has_oid = 1;
	}
	return 0;
}

/*
 * Run the collectors on fs (an image, or this machine's tree at a root)
 * into h->snap, contents into the store. live: the host is running (active
 * units, sockets), unless envdrift_live is false.
 */
static void collect_image(struct scan *s, struct ed_hmac *key,
			  struct scan_host *h, struct vfs *fs, int live,
			  struct ed_buf *msg)
{
	struct snapshot prev = SNAPSHOT_INIT;
	struct ed_err e = ED_ERR_INIT;
	struct ed_strvec roles = ED_STRVEC_INIT;
	const char *lv = inventory_host_var(h->inv, "envdrift_live");
	struct collect_opts o;
	size_t i;

	for (i = 0; i < h->inv->nr_roles; i++)
		ed_strvec_push(&roles, h->inv->roles[i]);
	pthread_mutex_lock(&s->lock);
	load_prev(&prev, s, h->inv->name);
	pthread_mutex_unlock(&s->lock);
	memset(&o, 0, sizeof(o));
	vfs_set_live(fs, live && (!lv || strcmp(lv, "false")));
	o.cfg = s->cfg;
	o.key = key;
	o.roles = &roles;
	o.prev = &prev;
	h->snap.sink = &s->sink.base;
	if (collect_host(&h->snap, fs, &o, &e) < 0 || spill(&h->snap, &e) < 0) {
		ed_buf_addf(msg, "%s: %s", h->inv->name, e.msg);
		fail(h, SSH_ERROR, msg->ptr);
	} else {
		h->collected = 1;
		h->warnings = h->snap.warnings.nr;
	}
	snapshot_release(&prev);
	ed_strvec_release(&roles);
}

/* Decode the stream and run the collectors on the image. */
static void collect_one(struct scan *s, struct ed_hmac *key,
			struct scan_host *h, struct ssh_result *r)
{
	struct vfs *img = vfs_mem_new();
	struct ed_err e = ED_ERR_INIT;
	struct ed_buf msg = ED_BUF_INIT;

	snapshot_init(&h->snap);
	if (!r->out->len && r->exit_status) {
		ed_buf_addf(&msg, "%s: remote script exited with status %d",
			    h->inv->name, r->exit_status);
		if (r->err && r->err->len) {
			ed_buf_adds(&msg, ": ");
			first_line(&msg, r->err);
		}
		fail(h, SSH_ERROR, msg.ptr);
		goto out;
	}
	if (remote_decode(img, r->out->ptr, r->out->len, s->cfg,
			  &h->snap.warnings, &e) < 0) {
		ed_buf_addf(&msg, "%s: %s", h->inv->name, e.msg);
		if (r->err && r->err->len) {
			ed_buf_adds(&msg, " (stderr: ");
			first_line(&msg, r->err);
			ed_buf_addch(&msg, ')');
		}
		fail(h, SSH_ERROR, msg.ptr);
		goto out;
	}
	/* the stream is no longer needed: free it before collecting */
	ed_buf_release(r->out);
	collect_image(s, key, h, img, 1, &msg);
out:
	if (!h->collected)
		snapshot_release(&h->snap);
	ed_buf_release(&msg);
	vfs_free(img);
}

static void progress_line(struct scan *s, int final)
{
	double t = elapsed(&s->start);
	double rate = t > 0 ? (double)s->done / t : 0;
	size_t left = s->nr - s->done;

	if (!s->tty || s->quiet)
		return;
	fprintf(stderr, "\r\033[K[%zu/%zu] %zu failed, %.1f hosts/s", s->done,
		s->nr, s->failed, rate);
	if (!final && rate > 0 && left)
		fprintf(stderr, ", ETA %.0f s", (double)left / rate);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * Count a finished host and say so: failures always (they are errors, even
 * with -q), collected hosts and their warnings with -v. Under s->lock.
 */
static void host_done(struct scan *s, struct scan_host *h, const char *how,
		      double seconds)
{
	size_t i;

	s->done++;
	if (h->failed) {
		s->failed++;
		if (s->tty && !s->quiet)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "envdrift: %s: ", ssh_state_name(h->state));
		cli_put_safe(stderr, h->message);
		fputc('\n', stderr);
	} else if (s->verbose) {
		if (s->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "envdrift: %s/%s %s in %.2f s (%zu warnings)\n",
			h->env, h->inv->name, how, seconds, h->warnings);
		for (i = 0; i < h->snap.warnings.nr; i++) {
			fprintf(stderr, "warning: %s: ", h->inv->name);
			cli_put_safe(stderr, h->snap.warnings.v[i]);
			fputc('\n', stderr);
		}
	}
	progress_line(s, 0);
}

/* ansible_connection local (this machine, live) or chroot (a root dir). */
static void collect_local(struct scan *s, struct ed_hmac *key,
			  struct scan_host *h)
{
	struct ed_buf msg = ED_BUF_INIT;
	int chroot = !strcmp(h->inv->connection, "chroot");
	struct vfs *fs = vfs_root_new(chroot ? h->inv->address : "/");
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snapshot_init(&h->snap);
	h->state = SSH_COLLECTED;
	if (chroot && access(h->inv->address, F_OK) < 0)
		ed_buf_addf(&msg, "%s: root directory %s: %s", h->inv->name,
			    h->inv->address, strerror(errno));
	if (msg.len)
		fail(h, SSH_ERROR, msg.ptr);
	else
		collect_image(s, key, h, fs, !chroot, &msg);
	if (!h->collected)
		snapshot_release(&h->snap);
	pthread_mutex_lock(&s->lock);
	host_done(s, h, "collected locally", elapsed(&t0));
	pthread_mutex_unlock(&s->lock);
	vfs_free(fs);
	ed_buf_release(&msg);
}

static void on_done(const struct ssh_target *t, struct ssh_result *r,
		    void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;
	struct scan_host *h = t->data;

	h->state = r->state;
	if (r->state == SSH_COLLECTED)
		collect_one(s, w->key, h, r);
	else
		fail(h, r->state, r->message ? r->message : ssh_state_name(r->state));
	pthread_mutex_lock(&s->lock);
	host_done(s, h, "collected", r->seconds);
	pthread_mutex_unlock(&s->lock);
}

static void on_tick(size_t done, size_t total, void *arg)
{
	struct scan *s = ((struct worker *)arg)->s;

	(void)done;
	(void)total;
	pthread_mutex_lock(&s->lock);
	progress_line(s, 0);
	pthread_mutex_unlock(&s->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->rc = ssh_run(w->targets, w->nr, &w->so, &w->warnings, &w->err);
	return NULL;
}

/*
 * Run the targets on nthreads polling threads (1: this thread). Each gets
 * a contiguous share and jobs/nthreads sessions. Returns the first error.
 */
static int run_workers(struct scan *s, const struct ssh_target *targets,
		       size_t nr, const struct ssh_opts *so, unsigned nthreads,
		       struct ed_hmac *key, struct ed_strvec *warnings,
		       struct ed_err *err)
{
	struct worker *w = ed_xcalloc(nthreads, sizeof(*w));
	size_t i, j, from = 0;
	int rc = 0;

	for (i = 0; i < nthreads; i++) {
		size_t share = nr / nthreads + (i < nr % nthreads);

		w[i].s = s;
		w[i].targets = targets + from;
		w[i].nr = share;
		from += share;
		w[i].so = *so;
		w[i].so.arg = &w[i];
		w[i].so.jobs = (so->jobs + nthreads - 1) / nthreads;
		if (i == 0)
			w[i].key = key;
		else if (ed_hmac_dup(&w[i].key, key, err) < 0)
			rc = err->code;
	}
	if (rc < 0)
		goto out;
	if (nthreads == 1) {
		worker_main(&w[0]);
	} else {
		for (i = 0; i < nthreads; i++)
			if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]))
				ED_BUG("pthread_create failed");
		for (i = 0; i < nthreads; i++)
			pthread_join(w[i].tid, NULL);
	}
	for (i = 0; i < nthreads; i++) {
		for (j = 0; j < w[i].warnings.nr; j++)
			ed_strvec_push(warnings, w[i].warnings.v[j]);
		if (w[i].rc < 0 && !rc) {
			*err = w[i].err;
			rc = w[i].rc;
		}
	}
out:
	for (i = 0; i < nthreads; i++) {
		if (i)
			ed_hmac_free(w[i].key);
		ed_strvec_release(&w[i].warnings);
	}
	free(w);
	return rc;
}

/* --max-failed N or P%: the largest failure count that still exits 0. */
static int parse_max_failed(const char *s, unsigned long *n, int *percent)
{
	char *end;

	errno = 0;
	*n = strtoul(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	*percent = *end == '%';
	if (*percent)
		end++;
	if (*end || (*percent && *n > 100))
		return -1;
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'L' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "max-bytes", required_argument, NULL, 'B' },
		{ "max-failed", required_argument, NULL, 'F' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "accept-new-host-keys", no_argument, NULL, 'A' },
		{ "ssh-config", required_argument, NULL, 'S' },
		{ "prune", no_argument, NULL, 'P' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *key_opt = NULL, *config = NULL;
	const char *inv_path = NULL, *limit = NULL, *known_hosts = NULL;
	const char *ssh_config_path = NULL;
	struct collect_config *cfg = NULL;
	struct inventory *inv = NULL;
	struct ssh_config *sshcfg = NULL;
	struct store *st = NULL;
	struct ed_hmac *key = NULL;
	struct ssh_target *targets = NULL;
	struct store_update *ups = NULL;
	struct ed_strvec trailers = ED_STRVEC_INIT, warnings = ED_STRVEC_INIT;
	struct ed_strvec strs = ED_STRVEC_INIT; /* owns strings targets borrow */
	struct ed_buf cmd_plain = ED_BUF_INIT, cmd_become = ED_BUF_INIT;
	struct ed_buf request = ED_BUF_INIT;
	struct ed_buf subject = ED_BUF_INIT, home_ssh = ED_BUF_INIT;
	struct ssh_opts so;
	struct scan s;
	struct store_result res;
	/* 0 / NULL / -1: not given, taken from the configuration or defaults */
	unsigned jobs = 0, connect_timeout = 0, deadline = 0;
	unsigned lock_timeout = 300, keepalive, threads = 1;
	size_t max_bytes = 0, nups = 0, nt = 0, i;
	unsigned long max_failed = 0;
	const char *max_failed_opt = NULL;
	int max_failed_pct = 0, accept_new = -1, prune = 0, c, have_res = 0;
	int flag_connect = 0, flag_deadline = 0, flag_bytes = 0;
	int rc = EXIT_ERROR;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:j:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': repo_opt = optarg; break;
		case 'i': inv_path = optarg; break;
		case 'L': limit = optarg; break;
		case 'c': config = optarg; break;
		case 'k': key_opt = optarg; break;
		case 'K': known_hosts = optarg; break;
		case 'S': ssh_config_path = optarg; break;
		case 'A': accept_new = 1; break;
		case 'P': prune = 1; break;
		case 'q': s.quiet = 1; break;
		case 'v': s.verbose = 1; break;
		case 'T':
			if (cli_parse_seconds(optarg, &threads) < 0 || !threads || threads > 64)
				return cli_usage_error("scan", "--threads takes 1-64");
			break;
		case 'j':
			if (cli_parse_seconds(optarg, &jobs) < 0 || !jobs || jobs > 10000)
				return cli_usage_error("scan", "-j takes 1-10000");
			break;
		case 'C':
			if (cli_parse_seconds(optarg, &connect_timeout) < 0 || !connect_timeout)
				return cli_usage_error("scan", "--connect-timeout takes seconds (1-86400)");
			flag_connect = 1;
			break;
		case 'D':
			if (cli_parse_seconds(optarg, &deadline) < 0 || !deadline)
				return cli_usage_error("scan", "--deadline takes seconds (1-86400)");
			flag_deadline = 1;
			break;
		case 'l':
			if (cli_parse_seconds(optarg, &lock_timeout) < 0)
				return cli_usage_error("scan", "--lock-timeout takes seconds (0-86400)");
			break;
		case 'B':
			if (collect_parse_size(optarg, &max_bytes) < 0)
				return cli_usage_error("scan", "--max-bytes takes a size such as 64M");
			flag_bytes = 1;
			break;
		case 'F':
			if (parse_max_failed(optarg, &max_failed, &max_failed_pct) < 0)
				return cli_usage_error("scan", "--max-failed takes N or P%% (0-100)");
			max_failed_opt = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("scan", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("scan", "unexpected argument '%s'", argv[optind]);
	if (!inv_path)
		return cli_usage_error("scan", "give the inventory with -i FILE");

	if (collect_config_load(&cfg, config, &err) < 0)
		goto out;
	{
		const struct scan_settings *sc = &cfg->scan;
		struct inventory_opts io;

		memset(&io, 0, sizeof(io));
		if (sc->environments.nr) {
			io.envs = (const char *const *)sc->environments.v;
			io.nr_envs = sc->environments.nr;
		}
		if (inventory_load(&inv, inv_path, &io, &err) < 0 ||
		    (limit && inventory_limit(inv, limit, &err) < 0))
			goto out;
		/* flags first, then the configuration, then the defaults */
		if (!jobs)
			jobs = sc->jobs ? (unsigned)sc->jobs : 50;
		if (!connect_timeout)
			connect_timeout = sc->connect_timeout ? (unsigned)sc->connect_timeout : 10;
		if (!deadline)
			deadline = sc->deadline ? (unsigned)sc->deadline : 120;
		if (!max_bytes)
			max_bytes = sc->max_bytes ? sc->max_bytes : (size_t)256 << 20;
		if (!max_failed_opt && sc->max_failed)
			parse_max_failed(sc->max_failed, &max_failed, &max_failed_pct);
		if (accept_new < 0)
			accept_new = sc->accept_new > 0;
		if (!known_hosts)
			known_hosts = sc->known_hosts;
		if (!ssh_config_path)
			ssh_config_path = sc->ssh_config;
		keepalive = sc->keepalive ? (unsigned)sc->keepalive : 15;
	}
	if (!ssh_config_path) {
		const char *home = getenv("HOME");

		if (home && *home) {
			ed_buf_addf(&home_ssh, "%s/.ssh/config", home);
			if (access(home_ssh.ptr, R_OK) == 0)
				ssh_config_path = home_ssh.ptr;
		}
	}
	if (ssh_config_path &&
	    ssh_config_load(&sshcfg, ssh_config_path, &warnings, &err) < 0)
		goto out;
	if (cli_open_keyed_store(&st, &key, repo_opt, key_opt, &err) < 0)
		goto out;
	if (store_view_open(&s.prev, st, NULL, &err) < 0) {
		if (err.code != ED_ENOTFOUND)
			goto out;
		ed_err_clear(&err);
		s.prev = NULL;
	}
	if (s.prev) {
		if (store_view_hosts(s.prev, &s.prev_hosts, &s.prev_nr, &err) < 0)
			goto out;
		qsort(s.prev_hosts, s.prev_nr, sizeof(*s.prev_hosts), cmp_prev_host);
	}

	remote_command(&cmd_plain, 0);
	remote_command(&cmd_become, 1);
	remote_request_build(&request, cfg);
	s.nr = inventory_nr_hosts(inv);
	s.hosts = ed_xcalloc(s.nr ? s.nr : 1, sizeof(*s.hosts));
	targets = ed_xcalloc(s.nr ? s.nr : 1, sizeof(*targets));
	s.cfg = cfg;
	s.st = st;
	s.sink.base.put = locked_put;
	s.sink.inner = store_content_sink(st);
	s.sink.lock = &s.lock;
	s.tty = isatty(STDERR_FILENO);
	for (i = 0; i < s.nr; i++) {
		const struct inventory_host *ih = inventory_host(inv, i);
		struct ssh_target *t = &targets[nt];
		struct ssh_config_host sc;

		s.hosts[i].inv = ih;
		s.hosts[i].env = ih->env;
		if (strcmp(ih->connection, "ssh"))
			continue; /* local and chroot: collected below */
		nt++;
		memset(&sc, 0, sizeof(sc));
		if (sshcfg)
			ssh_config_lookup(sshcfg, ih->address, &sc);
		t->name = ih->name;
		/* inventory variables first, then ~/.ssh/config */
		t->address = ih->address;
		if (!strcmp(ih->address, ih->name) && sc.hostname)
			t->address = sc.hostname;
		t->port = ih->port;
		if (ih->port == 22 && sc.port)
			t->port = sc.port;
		t->user = ih->user ? ih->user : sc.user;
		t->key_file = ih->key_file ? ih->key_file : sc.identity_file;
		t->jump = sc.proxy_jump;
		t->command = ih->become ? cmd_become.ptr : cmd_plain.ptr;
		/* stdin: request, joined at merge with helper fleet's input field */
		t->data = &s.hosts[i];
		/* per-host limits; a flag on the command line wins */
		if (host_limits(t, ih, flag_connect, flag_deadline, flag_bytes,
				inv_path, &err) < 0)
			goto out;
	}

	memset(&so, 0, sizeof(so));
	so.jobs = jobs;
	so.connect_timeout_ms = connect_timeout * 1000u;
	so.deadline_ms = deadline * 1000u;
	so.max_bytes = max_bytes;
	so.keepalive_s = keepalive;
	so.known_hosts = known_hosts;
	so.accept_new = accept_new;
	so.use_agent = 1;
	so.done = on_done;
	so.tick = on_tick;
	clock_gettime(CLOCK_MONOTONIC, &s.start);
	if (threads > nt)
		threads = nt ? (unsigned)nt : 1;
	if (nt && run_workers(&s, targets, nt, &so, threads, key, &warnings, &err) < 0)
		goto out;
	for (i = 0; i < s.nr; i++)
		if (strcmp(s.hosts[i].inv->connection, "ssh"))
			collect_local(&s, key, &s.hosts[i]);
	progress_line(&s, 1);
	for (i = 0; i < warnings.nr; i++)
		if (!s.quiet)
		{
			fputs("warning: ", stderr);
			cli_put_safe(stderr, warnings.v[i]);
			fputc('\n', stderr);
		}

	/* one commit: collected hosts replaced, failed ones untouched */
	ups = ed_xcalloc(s.nr + s.prev_nr + 1, sizeof(*ups));
	for (i = 0; i < s.nr; i++) {
		struct scan_host *h = &s.hosts[i];

		if (h->collected) {
			ups[nups].env = h->env;
			ups[nups].host = h->inv->name;
			ups[nups].snap = &h->snap;
			nups++;
			ed_strvec_pushf(&trailers, "Envdrift-Collected: %s/%s",
					h->env, h->inv->name);
		}
	}
	for (i = 0; i < s.nr; i++) {
		struct scan_host *h = &s.hosts[i];

		if (h->failed)
			ed_strvec_pushf(&trailers, "Envdrift-Failed: %s/%s: %s: %s",
					h->env, h->inv->name,
					ssh_state_name(h->state), h->message);
	}
	if (prune && !limit) {
		for (i = 0; i < s.prev_nr; i++) {
			if (inventory_find(inv, s.prev_hosts[i].host))
				continue;
			ups[nups].env = s.prev_hosts[i].env;
			ups[nups].host = s.prev_hosts[i].host;
			ups[nups].snap = NULL;
			nups++;
			ed_strvec_pushf(&trailers, "Envdrift-Pruned: %s/%s",
					s.prev_hosts[i].env, s.prev_hosts[i].host);
		}
	} else if (prune) {
		fprintf(stderr, "warning: --prune ignored with --limit\n");
	}
	ed_strvec_pushf(&trailers, "Envdrift-Scan: %zu collected, %zu failed",
			s.nr - s.failed, s.failed);
	ed_buf_addf(&subject, "scan %s: %zu of %zu hosts collected",
		    inv_path, s.nr - s.failed, s.nr);
	if (store_lock(st, lock_timeout * 1000u, &err) < 0)
		goto out;
	if (store_commit(st, &res, ups, nups, subject.ptr, &trailers, &err) < 0)
		goto out;
	have_res = 1;
	for (i = 0; i < res.notes.nr; i++)
		fprintf(stderr, "warning: %s\n", res.notes.v[i]);
	for (i = 0; i < res.moved.nr; i++)
		fprintf(stderr, "envdrift: moved %s\n", res.moved.v[i]);
	{
		size_t nwarn = 0, by_state[SSH_ERROR + 1] = { 0 };
		struct rusage ru;
		double cpu = 0;

		for (i = 0; i < s.nr; i++) {
			nwarn += s.hosts[i].warnings;
			if (s.hosts[i].failed)
				by_state[s.hosts[i].state]++;
		}
		if (!getrusage(RUSAGE_SELF, &ru))
			cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
			      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
		if (!s.quiet || s.failed) {
			printf("scan: %zu hosts, %zu collected, %zu failed", s.nr,
			       s.nr - s.failed, s.failed);
			for (i = 0; i <= SSH_ERROR; i++)
				if (by_state[i])
					printf(", %zu %s", by_state[i],
					       ssh_state_name((enum ssh_state)i));
			printf("; %zu warnings; %.1f s, cpu %.1f ms/host; commit %.12s%s\n",
			       nwarn, elapsed(&s.start),
			       s.nr ? cpu * 1000 / (double)s.nr : 0.0, res.commit,
			       res.tree_unchanged ? " (unchanged)" : "");
		}
		if (s.tty && !s.quiet && s.failed) {
			printf("%-28s %-18s %s\n", "HOST", "STATE", "WHY");
			for (i = 0; i < s.nr; i++)
				if (s.hosts[i].failed)
					printf("%-28s %-18s %s\n", s.hosts[i].inv->name,
					       ssh_state_name(s.hosts[i].state),
					       s.hosts[i].message);
		}
	}
	{
		unsigned long allowed = max_failed_pct
			? (unsigned long)((double)s.nr * (double)max_failed / 100.0)
			: max_failed;

		rc = s.failed > allowed ? EXIT_FAILED_HOSTS : EXIT_OK;
	}
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	if (have_res)
		store_result_release(&res);
	for (i = 0; i < s.nr; i++) {
		free(s.hosts[i].message);
		if (s.hosts[i].collected)
			snapshot_release(&s.hosts[i].snap);
	}
	free(s.hosts);
	free(targets);
	free(ups);
	store_hosts_free(s.prev_hosts, s.prev_nr);
	store_view_free(s.prev);
	store_free(st);
	ed_hmac_free(key);
	collect_config_free(cfg);
	inventory_free(inv);
	ssh_config_free(sshcfg);
	ed_strvec_release(&trailers);
	ed_strvec_release(&warnings);
	ed_strvec_release(&strs);
	ed_buf_release(&cmd_plain);
	ed_buf_release(&cmd_become);
	ed_buf_release(&request);
	ed_buf_release(&subject);
	ed_buf_release(&home_ssh);
	pthread_mutex_destroy(&s.lock);
	return rc;
}
