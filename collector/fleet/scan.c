/*
 * envdrift's fleet scan as a library call: the settings of every host
 * (flag, then inventory variable, then the configuration's scan: key,
 * then the default), the inventory and ~/.ssh/config merged into SSH
 * targets, every host run (scan_host.c), and the one commit with its
 * trailers. Progress goes to the caller's callbacks; nothing is printed.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector.h"
#include "collector/fleet/remote.h"
#include "core/alloc.h"
#include "core/words.h"

int fleet_parse_max_failed(const char *s, unsigned long *n, int *percent)
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

/* The ssh_config to read: the flag, then scan.ssh-config, then ~/.ssh/config. */
static int load_ssh_config(struct fleet_plan *p, struct ed_err *err)
{
	struct ed_buf home_ssh = ED_BUF_INIT;
	const char *path = p->o.ssh_config, *home = getenv("HOME");
	int rc = 0;

	if (!path && home && *home) {
		ed_buf_addf(&home_ssh, "%s/.ssh/config", home);
		if (access(home_ssh.ptr, R_OK) == 0)
			path = home_ssh.ptr;
	}
	if (path) {
		rc = ssh_config_load(&p->sshcfg, path, &p->warnings, err);
		p->sshcfg_path = ed_xstrdup(path);
		p->sshcfg_flag = path == p->flag_ssh_config;
	}
	ed_buf_release(&home_ssh);
	return rc;
}

int fleet_plan_load(struct fleet_plan **out, const struct fleet_scan_opts *opts,
		    struct ed_err *err)
{
	struct fleet_plan *p = ed_xcalloc(1, sizeof(*p));
	const struct scan_settings *sc = &opts->cfg->scan;
	struct inventory_opts io;
	int rc;

	*out = NULL;
	p->o = *opts;
	p->flag_ssh_config = opts->ssh_config;
	ed_strvec_init(&p->warnings);
	memset(&io, 0, sizeof(io));
	if (sc->environments.nr) {
		io.envs = (const char *const *)sc->environments.v;
		io.nr_envs = sc->environments.nr;
	}
	rc = inventory_load(&p->inv, opts->inventory, &io, err);
	if (!rc && opts->limit)
		rc = inventory_limit(p->inv, opts->limit, err);
	if (!rc && opts->shard_n)
		inventory_shard(p->inv, opts->shard_k, opts->shard_n);
	if (rc < 0)
		goto out;
	/* flags first, then the configuration, then the defaults */
	p->flag_connect = opts->connect_timeout_s != 0;
	p->flag_deadline = opts->deadline_s != 0;
	p->flag_bytes = opts->max_bytes != 0;
	if (!p->o.jobs)
		p->o.jobs = sc->jobs ? (unsigned)sc->jobs : 50;
	if (!p->o.connect_timeout_s)
		p->o.connect_timeout_s =
			sc->connect_timeout ? (unsigned)sc->connect_timeout : 10;
	if (!p->o.deadline_s)
		p->o.deadline_s = sc->deadline ? (unsigned)sc->deadline : 120;
	if (!p->o.max_bytes)
		p->o.max_bytes = sc->max_bytes ? sc->max_bytes : (size_t)256 << 20;
	if (!p->o.max_failed)
		p->o.max_failed = sc->max_failed;
	/* a malformed scan.max-failed keeps what it parsed, as always */
	if (p->o.max_failed)
		(void)fleet_parse_max_failed(p->o.max_failed, &p->max_failed,
					     &p->max_failed_pct);
	p->o.accept_new = opts->accept_new > 0 || sc->accept_new > 0;
	if (!p->o.known_hosts)
		p->o.known_hosts = sc->known_hosts;
	if (!p->o.ssh_config)
		p->o.ssh_config = sc->ssh_config;
	if (!p->o.threads)
		p->o.threads = 1;
	p->keepalive_s = sc->keepalive ? (unsigned)sc->keepalive : 15;
	/* ssh(1) finds ~/.ssh/config itself: -F only for a path given */
	p->ssh_F = p->o.ssh_config;
	rc = load_ssh_config(p, err);
	if (!rc)
		rc = plan_transports(p, err);
out:
	if (rc < 0)
		fleet_plan_free(p);
	else
		*out = p;
	return rc;
}

void fleet_plan_free(struct fleet_plan *p)
{
	if (!p)
		return;
	plan_transports_free(p);
	inventory_free(p->inv);
	ssh_config_free(p->sshcfg);
	free(p->sshcfg_path);
	ed_strvec_release(&p->warnings);
	free(p);
}

const struct inventory *fleet_plan_inventory(const struct fleet_plan *p)
{
	return p->inv;
}

const char *fleet_plan_ssh_config(const struct fleet_plan *p, int *flag)
{
	if (flag)
		*flag = p->sshcfg_flag;
	return p->sshcfg_path;
}

static void set_origin(struct fleet_origin *o, enum fleet_origin_kind kind,
		       const char *where)
{
	o->kind = kind;
	o->where = where;
	o->line = 0;
}

static void set_ssh_origin(struct fleet_origin *o, const struct fleet_plan *p,
			   unsigned line)
{
	set_origin(o, FLEET_FROM_SSH_CONFIG, p->sshcfg_path);
	o->line = line;
}

void fleet_plan_conn(struct fleet_conn *out, const struct fleet_plan *p,
		     const struct inventory_host *ih)
{
	struct ssh_config_host sc;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	for (i = 0; i < FLEET_NR_SETTINGS; i++)
		set_origin(&out->origin[i], FLEET_FROM_DEFAULT, NULL);
	if (p->sshcfg)
		ssh_config_lookup(p->sshcfg, ih->address, &sc);
	/* the inventory first, then the ssh_config, as ssh -o would */
	out->address = ih->address;
	if (ih->origin[INVENTORY_ADDRESS])
		set_origin(&out->origin[FLEET_ADDRESS], FLEET_FROM_INVENTORY,
			   ih->origin[INVENTORY_ADDRESS]);
	if (!strcmp(ih->address, ih->name) && sc.hostname) {
		out->address = sc.hostname;
		set_ssh_origin(&out->origin[FLEET_ADDRESS], p, sc.hostname_line);
	}
	out->port = ih->port;
	if (ih->origin[INVENTORY_PORT])
		set_origin(&out->origin[FLEET_PORT], FLEET_FROM_INVENTORY,
			   ih->origin[INVENTORY_PORT]);
	if (ih->port == 22 && sc.port) {
		out->port = sc.port;
		set_ssh_origin(&out->origin[FLEET_PORT], p, sc.port_line);
	}
	out->user = ih->user ? ih->user : sc.user;
	if (ih->user)
		set_origin(&out->origin[FLEET_USER], FLEET_FROM_INVENTORY,
			   ih->origin[INVENTORY_USER]);
	else if (sc.user)
		set_ssh_origin(&out->origin[FLEET_USER], p, sc.user_line);
	out->key_file = ih->key_file ? ih->key_file : sc.identity_file;
	if (ih->key_file)
		set_origin(&out->origin[FLEET_KEY_FILE], FLEET_FROM_INVENTORY,
			   ih->origin[INVENTORY_KEY_FILE]);
	else if (sc.identity_file)
		set_ssh_origin(&out->origin[FLEET_KEY_FILE], p,
			       sc.identity_file_line);
	out->jump = sc.proxy_jump;
	if (sc.proxy_jump)
		set_ssh_origin(&out->origin[FLEET_JUMP], p, sc.proxy_jump_line);
	if (!strcmp(ih->connection, "ssh")) {
		const char *why;
		enum ssh_transport t = fleet_plan_transport(p, ih->name, &why);

		/* as the scan chooses it (transport.c gives every ssh host a reason) */
		out->transport = ssh_transport_name(t);
		out->transport_reason = why ? why : "the default";
	} else {
		out->transport = "none";
		out->transport_reason = "read on this machine";
	}
}

/* envdrift_connect_timeout, envdrift_deadline, envdrift_max_bytes */
static int host_limits(struct ssh_target *t, const struct inventory_host *ih,
		       const struct fleet_plan *p, struct ed_err *err)
{
	static const char *const secs[] = { "envdrift_connect_timeout",
					    "envdrift_deadline" };
	unsigned *const out[] = { &t->connect_timeout_ms, &t->deadline_ms };
	const int flagged[] = { p->flag_connect, p->flag_deadline };
	const char *v;
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(secs); i++) {
		unsigned sec;

		if (flagged[i] || !(v = inventory_host_var(ih, secs[i])))
			continue;
		if (collect_parse_seconds(v, &sec) < 0 || !sec)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: host %s: %s: want seconds (1-86400), not '%s'",
					  p->o.inventory, ih->line, ih->col,
					  ih->name, secs[i], v);
		*out[i] = sec * 1000u;
	}
	if (!p->flag_bytes && (v = inventory_host_var(ih, "envdrift_max_bytes")) &&
	    collect_parse_size(v, &t->max_bytes) < 0)
		return ed_err_set(
			err, ED_EPARSE,
			"%s:%zu:%zu: host %s: envdrift_max_bytes: want a size such as 64M, not '%s'",
			p->o.inventory, ih->line, ih->col, ih->name, v);
	return 0;
}

/*
 * The SSH hosts' targets, in inventory order, into targets (*nr of them):
 * inventory variables first, then ~/.ssh/config, per-host limits where no
 * flag says otherwise. Commands are kept in cmds (plain, with sudo), and
 * the request every host's script reads on its standard input in cmds[2].
 */
static int build_targets(struct ssh_target *targets, size_t *nr, struct scan *s,
			 struct fleet_plan *p, struct ed_buf cmds[3],
			 struct ed_err *err)
{
	size_t i;
	int rc;

	remote_command(&cmds[0], 0);
	remote_command(&cmds[1], 1);
	/*
	 * everything variable goes on the script's standard input: all of it
	 * at once for a full scan, else the first part, the second once the
	 * host listed its files (scan_reply)
	 */
	if (s->full)
		remote_request_build(&cmds[2], s->cfg);
	else
		remote_request_first(&cmds[2], s->cfg);
	for (i = 0; i < s->nr; i++) {
		const struct inventory_host *ih = s->hosts[i].inv;
		struct ssh_target *t = &targets[*nr];
		struct fleet_conn fc;

		if (strcmp(ih->connection, "ssh"))
			continue; /* local and chroot: collected here */
		(*nr)++;
		fleet_plan_conn(&fc, p, ih);
		t->name = ih->name;
		t->address = fc.address;
		t->port = fc.port;
		t->user = fc.user;
		t->key_file = fc.key_file;
		t->jump = fc.jump;
		t->transport = p->transport[i];
		t->dest = ih->address; /* the name ssh_config knows */
		s->hosts[i].transport_reason = p->transport_reason[i];
		if (t->transport == SSH_TRANSPORT_OPENSSH) {
			/* ssh(1) applies its config itself, Match and all */
			t->address = ih->address;
			t->port = ih->port != 22 ? ih->port : 0;
			t->user = ih->user;
			t->key_file = ih->key_file;
			t->jump = NULL;
		}
		t->command = cmds[ih->become != 0].ptr;
		t->input = cmds[2].ptr;
		t->input_len = cmds[2].len;
		t->reply = s->full ? NULL : scan_reply;
		t->data = &s->hosts[i];
		rc = host_limits(t, ih, p, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Every host: the SSH ones on the polling threads, then the local ones. */
static int run_hosts(struct scan *s, const struct fleet_plan *p,
		     const struct ssh_target *targets, size_t nt,
		     struct ed_hmac *key, struct ed_strvec *warnings,
		     struct ed_err *err)
{
	unsigned threads = p->o.threads;
	struct ssh_opts so;
	size_t i;
	int rc;

	memset(&so, 0, sizeof(so));
	so.jobs = p->o.jobs;
	so.connect_timeout_ms = p->o.connect_timeout_s * 1000u;
	so.deadline_ms = p->o.deadline_s * 1000u;
	so.max_bytes = p->o.max_bytes;
	so.keepalive_s = p->keepalive_s;
	so.known_hosts = p->o.known_hosts;
	so.accept_new = p->o.accept_new;
	so.use_agent = 1;
	so.ssh_config = p->ssh_F;
	clock_gettime(CLOCK_MONOTONIC, &s->start);
	if (threads > nt)
		threads = nt ? (unsigned)nt : 1;
	if (nt) {
		rc = scan_run_workers(s, targets, nt, &so, threads, key,
				      warnings, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < s->nr; i++)
		if (strcmp(s->hosts[i].inv->connection, "ssh"))
			scan_collect_local(s, key, &s->hosts[i]);
	return 0;
}

/* A scan of part of the inventory: --limit or --shard. */
static int partial(const struct fleet_plan *p)
{
	return p->o.limit || p->o.shard_n;
}

/* One commit: collected hosts replaced, failed ones untouched. */
static int commit(struct fleet_result *out, const struct scan *s,
		  const struct fleet_plan *p, struct store *st,
		  struct ed_hmac *key, struct ed_err *err)
{
	struct store_update *ups =
		ed_xcalloc(s->nr + s->prev_nr + 1, sizeof(*ups));
	struct store_update *all = NULL;
	struct collect_upgrades upg;
	size_t nall = 0;
	struct ed_strvec trailers = ED_STRVEC_INIT;
	struct ed_buf subject = ED_BUF_INIT;
	size_t nups = 0, i;
	struct timespec now;
	int rc;

	for (i = 0; i < s->nr; i++) {
		const struct fleet_host *h = s->hosts[i].pub;

		if (!s->hosts[i].collected)
			continue;
		ups[nups].env = h->env;
		ups[nups].host = h->name;
		ups[nups].snap = &s->hosts[i].snap;
		nups++;
		ed_strvec_pushf(&trailers, "Envdrift-Collected: %s/%s", h->env,
				h->name);
	}
	for (i = 0; i < s->nr; i++) {
		const struct fleet_host *h = s->hosts[i].pub;

		if (h->failed)
			ed_strvec_pushf(&trailers,
					"Envdrift-Failed: %s/%s: %s: %s",
					h->env, h->name,
					ssh_state_name(h->state), h->message);
	}
	/* a partial scan never prunes: others own the hosts it did not see */
	for (i = 0; p->o.prune && !partial(p) && i < s->prev_nr; i++) {
		if (inventory_find(p->inv, s->prev_hosts[i].host))
			continue;
		ups[nups].env = s->prev_hosts[i].env;
		ups[nups].host = s->prev_hosts[i].host;
		ups[nups].snap = NULL;
		nups++;
		ed_strvec_pushf(&trailers, "Envdrift-Pruned: %s/%s",
				s->prev_hosts[i].env, s->prev_hosts[i].host);
	}
	ed_strvec_pushf(&trailers, "Envdrift-Scan: %zu collected, %zu failed",
			s->nr - s->failed, s->failed);
	if (p->o.shard_n)
		ed_strvec_pushf(&trailers, "Envdrift-Shard: %u/%u",
				p->o.shard_k, p->o.shard_n);
	/* the last scan's duration is a metric (prometheus report format) */
	clock_gettime(CLOCK_MONOTONIC, &now);
	ed_strvec_pushf(&trailers, "Envdrift-Duration: %.3f",
			(double)(now.tv_sec - s->start.tv_sec) +
				(double)(now.tv_nsec - s->start.tv_nsec) / 1e9);
	ed_buf_addf(&subject, "scan %s: %zu of %zu %s collected", p->o.inventory,
		    s->nr - s->failed, s->nr, ed_plural(s->nr, "host", "hosts"));
	memset(&upg, 0, sizeof(upg));
	rc = store_lock(st, p->o.lock_timeout_ms, err);
	if (!rc)
		rc = collect_upgrade_updates(&upg, &all, &nall, ups, nups,
					     &trailers, st, p->o.cfg, key, err);
	if (!rc)
		rc = store_commit(st, &out->commit, all, nall, subject.ptr,
				  &trailers, err);
	/* a pruned host's cache goes with it */
	for (i = 0; !rc && i < nups; i++)
		if (!ups[i].snap)
			fleet_cache_drop(st, ups[i].host);
	free(all);
	collect_upgrades_release(&upg);
	free(ups);
	ed_strvec_release(&trailers);
	ed_buf_release(&subject);
	return rc;
}

/* What the result says before the commit. */
static void summarise(struct fleet_result *out, const struct scan *s,
		      const struct fleet_plan *p)
{
	unsigned long allowed =
		p->max_failed_pct ?
			(unsigned long)((double)s->nr * (double)p->max_failed /
					100.0) :
			p->max_failed;
	size_t i;

	out->failed = s->failed;
	for (i = 0; i < s->nr; i++)
		out->nr_warnings += s->hosts[i].pub->nr_warnings;
	out->prune_ignored = p->o.prune && partial(p);
	out->too_many_failed = s->failed > allowed;
}

int fleet_scan(struct fleet_result *out, struct fleet_plan *p, struct store *st,
	       struct ed_hmac *key, const struct fleet_progress *progress,
	       struct ed_err *err)
{
	struct ed_buf cmds[3] = { ED_BUF_INIT, ED_BUF_INIT, ED_BUF_INIT };
	struct ssh_target *targets = NULL;
	struct fleet_counts c;
	struct scan s;
	size_t nt = 0, i;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	for (i = 0; i < p->warnings.nr; i++)
		ed_strvec_push(&out->warnings, p->warnings.v[i]);
	s.cfg = p->o.cfg;
	s.st = st;
	s.full = p->o.full;
	s.progress = progress;
	rc = scan_load_prev(&s, err);
	if (rc < 0)
		goto out;
	s.nr = inventory_nr_hosts(p->inv);
	s.hosts = ed_xcalloc(s.nr ? s.nr : 1, sizeof(*s.hosts));
	out->hosts = ed_xcalloc(s.nr ? s.nr : 1, sizeof(*out->hosts));
	out->nr = s.nr;
	for (i = 0; i < s.nr; i++) {
		s.hosts[i].inv = inventory_host(p->inv, i);
		s.hosts[i].pub = &out->hosts[i];
		out->hosts[i].name = s.hosts[i].inv->name;
		out->hosts[i].env = s.hosts[i].inv->env;
	}
	scan_sink_init(&s, st);
	targets = ed_xcalloc(s.nr ? s.nr : 1, sizeof(*targets));
	rc = build_targets(targets, &nt, &s, p, cmds, err);
	if (rc < 0)
		goto out;
	rc = run_hosts(&s, p, targets, nt, key, &out->warnings, err);
	if (rc < 0)
		goto out;
	summarise(out, &s, p);
	scan_counts(&c, &s);
	if (progress && progress->collected)
		progress->collected(out, &c, progress->arg);
	rc = commit(out, &s, p, st, key, err);
	scan_caches_finish(&s, rc == 0);
	if (rc == ED_ENOTFOUND) {
		/*
		 * A cache naming content the repository lacks (someone pruned
		 * it): without the caches the next scan reads every file.
		 */
		char *why = ed_xstrdup(err->msg);

		for (i = 0; i < s.nr; i++)
			fleet_cache_drop(st, s.hosts[i].inv->name);
		ed_err_set(err, ED_ENOTFOUND,
			   "%s (the hosts' caches are dropped: scan again)", why);
		free(why);
	}
	scan_counts(&c, &s);
	out->seconds = c.seconds;
out:
	if (s.hosts)
		scan_caches_finish(&s, 0); /* nothing pending after the commit */
	for (i = 0; i < s.nr; i++)
		if (s.hosts[i].collected)
			snapshot_release(&s.hosts[i].snap);
	free(s.hosts);
	free(targets);
	store_hosts_free(s.prev_hosts, s.prev_nr);
	store_view_free(s.prev);
	ed_buf_release(&cmds[0]);
	ed_buf_release(&cmds[1]);
	ed_buf_release(&cmds[2]);
	pthread_mutex_destroy(&s.lock);
	if (rc < 0)
		fleet_result_release(out);
	return rc;
}

void fleet_result_release(struct fleet_result *r)
{
	size_t i;

	for (i = 0; i < r->nr; i++) {
		free(r->hosts[i].message);
		free(r->hosts[i].transport_reason);
	}
	free(r->hosts);
	ed_strvec_release(&r->warnings);
	store_result_release(&r->commit);
	memset(r, 0, sizeof(*r));
}
