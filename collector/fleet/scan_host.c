/*
 * Each host of a fleet scan, from its SSH answer (or this machine, or a
 * root directory) to a snapshot whose contents are already in the store:
 * the polling threads, the store sink they share, and the collectors run
 * on each host's image. Every host ends exactly once, reported through
 * the scan's progress callbacks under its lock.
 */
#include "collector/fleet/internal.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/collector.h"
#include "collector/fleet/remote.h"
#include "collector/vfs.h"
#include "core/alloc.h"
#include "core/hmac.h"
#include "core/store.h"

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

static int locked_put(struct snapshot_sink *sink, const void *data, size_t len,
		      unsigned char oid[20], struct ed_err *err)
{
	struct locked_sink *ls = (struct locked_sink *)sink;
	int rc;

	pthread_mutex_lock(ls->lock);
	rc = ls->inner->put(ls->inner, data, len, oid, err);
	pthread_mutex_unlock(ls->lock);
	return rc;
}

void scan_sink_init(struct scan *s, struct store *st)
{
	s->sink.base.put = locked_put;
	s->sink.inner = store_content_sink(st);
	s->sink.lock = &s->lock;
}

static int cmp_prev_host(const void *a, const void *b)
{
	return strcmp(((const struct store_host *)a)->host,
		      ((const struct store_host *)b)->host);
}

int scan_load_prev(struct scan *s, struct ed_err *err)
{
	int rc = store_view_open(&s->prev, s->st, NULL, err);

	if (rc < 0 && err->code == ED_ENOTFOUND) { /* nothing committed yet */
		ed_err_clear(err);
		s->prev = NULL;
		return 0;
	}
	if (!rc)
		rc = store_view_hosts(s->prev, &s->prev_hosts, &s->prev_nr, err);
	if (!rc)
		qsort(s->prev_hosts, s->prev_nr, sizeof(*s->prev_hosts),
		      cmp_prev_host);
	return rc;
}

/* The host in the tip before the scan, or NULL. Under s->lock. */
static const struct store_host *prev_host(const struct scan *s, const char *host)
{
	struct store_host key;

	if (!s->prev)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.host = (char *)(uintptr_t)host;
	return bsearch(&key, s->prev_hosts, s->prev_nr, sizeof(key),
		       cmp_prev_host);
}

/* This host's previous collect_prev_paths files, from the tip. */
static void load_prev(struct snapshot *prev, struct scan *s, const char *host)
{
	const struct store_host *ph = prev_host(s, host);
	struct ed_err e = ED_ERR_INIT;

	if (!ph)
		return;
	/* a file that cannot be read is left out, as if it were absent */
	(void)store_read_prev_files(prev, s->st, s->prev, ph->env, host,
				    collect_prev_paths, &e);
}

/*
 * What a host's snapshot is made from besides its answer and the cache's
 * settings: its roles, envdrift_live, and the ids of the previous files
 * the collectors carry over from (load_prev's).
 */
static void memo_extra(struct ed_buf *out, struct scan *s,
		       const struct scan_host *h)
{
	const char *lv = inventory_host_var(h->inv, "envdrift_live");
	const struct store_host *ph;
	unsigned char oid[20];
	char hex[41];
	size_t i;

	for (i = 0; i < h->inv->nr_roles; i++)
		ed_buf_addf(out, "role %s\n", h->inv->roles[i]);
	ed_buf_addf(out, "live %s\n", lv ? lv : "-");
	pthread_mutex_lock(&s->lock);
	ph = prev_host(s, h->inv->name);
	for (i = 0; collect_prev_paths[i]; i++) {
		if (ph && !store_view_file_id(s->prev, ph->env, h->inv->name,
					      collect_prev_paths[i], oid))
			ed_hex(hex, oid, sizeof(oid));
		else
			strcpy(hex, "-");
		ed_buf_addf(out, "prev %s %s\n", collect_prev_paths[i], hex);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Record a failure; the message becomes one trailer line. */
static void fail(struct scan_host *h, enum ssh_state state, const char *msg)
{
	struct ed_buf b = ED_BUF_INIT;
	char *p;

	h->pub->state = state;
	h->pub->failed = 1;
	free(h->pub->message);
	/* one trailer line whatever the host sent: control bytes as \xHH */
	snapshot_quote_value(&b, msg, strlen(msg));
	h->pub->message = ed_buf_detach(&b, NULL);
	for (p = h->pub->message; *p; p++)
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
 * Run the collectors on fs (an image, this machine or a root directory,
 * its live flag set by the caller) into h->snap, contents into the store.
 * live holds unless the host's envdrift_live is false.
 */
static void collect_with(struct scan *s, struct ed_hmac *key,
			 struct scan_host *h, struct vfs *fs,
			 const struct collect_opts *with, struct ed_buf *msg)
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
	vfs_set_live(fs, vfs_live(fs) && (!lv || strcmp(lv, "false")));
	memset(&o, 0, sizeof(o));
	if (with)
		o = *with;
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
	}
	snapshot_release(&prev);
	ed_strvec_release(&roles);
}

/*
 * The three things a host can be read from, one function each: the image
 * decoded from its SSH answer, this machine (connection local), and a
 * root directory (connection chroot).
 */
static void collect_image(struct scan *s, struct ed_hmac *key,
			  struct scan_host *h, struct vfs *img,
			  const struct collect_opts *with, struct ed_buf *msg)
{
	struct ed_buf path = ED_BUF_INIT;

	vfs_set_live(img, 1);
	collect_with(s, key, h, img, with, msg);
	/* a file read that the request left out: never a silent difference */
	if (h->collected && vfs_mem_unsent(img, &path)) {
		ed_buf_addf(msg, "%s: %s was read but not asked for",
			    h->inv->name, path.ptr);
		fail(h, SSH_ERROR, msg->ptr);
		h->collected = 0;
	}
	ed_buf_release(&path);
}

static void collect_this_machine(struct scan *s, struct ed_hmac *key,
				 struct scan_host *h, struct ed_buf *msg)
{
	struct vfs *fs = vfs_root_new("/");

	collect_with(s, key, h, fs, NULL, msg);
	vfs_free(fs);
}

static void collect_chroot(struct scan *s, struct ed_hmac *key,
			   struct scan_host *h, struct ed_buf *msg)
{
	struct vfs *fs = vfs_root_new(h->inv->address);

	vfs_set_live(fs, 0);
	collect_with(s, key, h, fs, NULL, msg);
	vfs_free(fs);
}

/* The name of a fleet host's cache beside the repository. */
static void cache_name(struct ed_buf *out, const struct scan_host *h)
{
	ed_buf_reset(out);
	ed_buf_addf(out, "fleet@%s", h->inv->name);
}

static void open_session(struct scan_host *h)
{
	struct scan *s = h->scan;
	struct ed_buf name = ED_BUF_INIT, cache = ED_BUF_INIT;

	cache_name(&name, h);
	if (!s->full) {
		pthread_mutex_lock(&s->lock);
		store_cache_read(s->st, name.ptr, &cache);
		pthread_mutex_unlock(&s->lock);
	}
	/*
	 * No cache yet (a first scan, a dropped or unreadable cache): ask for
	 * everything at once, as --full does, without planning from the
	 * listing; the cache this scan writes serves the next one.
	 */
	h->sess = remote_session_new(s->cfg, h->key, cache.ptr, cache.len,
				     s->full || !cache.len);
	ed_buf_release(&name);
	ed_buf_release(&cache);
}

int scan_reply(const struct ssh_target *t, const char *out, size_t len,
	       struct ed_buf *more)
{
	struct scan_host *h = t->data;

	if (!h->sess)
		open_session(h);
	return remote_session_reply(h->sess, out, len, more);
}

void fleet_cache_drop(struct store *st, const char *name)
{
	struct ed_buf b = ED_BUF_INIT;

	ed_buf_addf(&b, "fleet@%s", name);
	store_cache_drop(st, b.ptr);
	ed_buf_release(&b);
}

/* pending 1: the file that waits for the commit; 0: the cache itself */
static void cache_path(struct ed_buf *out, const struct scan *s,
		       const struct scan_host *h, int pending)
{
	struct ed_buf name = ED_BUF_INIT;

	cache_name(&name, h);
	ed_buf_reset(out);
	store_cache_path(s->st, out, name.ptr);
	if (pending)
		ed_buf_addf(out, ".pending.%ld", (long)getpid());
	ed_buf_release(&name);
}

/*
 * Write the host's next cache now, renamed into place once the commit
 * landed: the content ids in it exist only then.
 */
static void cache_stage(struct scan *s, struct scan_host *h,
			const struct ed_buf *files_cache)
{
	struct ed_buf path = ED_BUF_INIT, data = ED_BUF_INIT;
	char *slash;
	int fd, ok;

	remote_session_cache(h->sess, files_cache, &h->snap, &data);
	/* an unchanged host: the cache on disk is already this one */
	if (remote_session_cache_unchanged(h->sess, &data))
		goto out;
	cache_path(&path, s, h, 1);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	(void)mkdir(path.ptr, 0700);
	*slash = '/';
	fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ok = write(fd, data.ptr, data.len) == (ssize_t)data.len;
		if (close(fd) < 0 || !ok)
			(void)unlink(path.ptr);
		else
			h->cache_pending = 1;
	}
out:
	ed_buf_release(&path);
	ed_buf_release(&data);
}

/*
 * Pending caches a killed scan left behind (its process is gone): a
 * cache is no use without its commit.
 */
static void sweep_pending(const struct scan *s)
{
	struct ed_buf dir = ED_BUF_INIT, path = ED_BUF_INIT;
	const struct dirent *de;
	DIR *d;

	store_cache_path(s->st, &dir, "x");
	ed_buf_setlen(&dir, dir.len - 1); /* the directory, '/' kept */
	d = opendir(dir.ptr);
	while (d && (de = readdir(d))) {
		const char *p = strstr(de->d_name, ".pending.");
		char *end;
		long pid;

		if (!p)
			continue;
		pid = strtol(p + 9, &end, 10);
		if (*end || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		ed_buf_reset(&path);
		ed_buf_addf(&path, "%s%s", dir.ptr, de->d_name);
		(void)unlink(path.ptr);
	}
	if (d)
		closedir(d);
	ed_buf_release(&dir);
	ed_buf_release(&path);
}

void scan_caches_finish(struct scan *s, int landed)
{
	struct ed_buf from = ED_BUF_INIT, to = ED_BUF_INIT;
	size_t i;

	for (i = 0; i < s->nr; i++) {
		struct scan_host *h = &s->hosts[i];

		if (!h->cache_pending)
			continue;
		cache_path(&from, s, h, 1);
		cache_path(&to, s, h, 0);
		/* a cache that cannot be renamed costs bytes, never drift */
		if (!landed || rename(from.ptr, to.ptr) < 0)
			(void)unlink(from.ptr);
		h->cache_pending = 0;
	}
	if (landed)
		sweep_pending(s);
	ed_buf_release(&from);
	ed_buf_release(&to);
}

/* Decode the stream and run the collectors on the image. */
static void collect_one(struct scan *s, struct ed_hmac *hkey,
			struct scan_host *h, struct ssh_result *r)
{
	struct vfs *img = vfs_mem_new();
	struct ed_err e = ED_ERR_INIT;
	struct ed_buf msg = ED_BUF_INIT, files_cache = ED_BUF_INIT,
		      extra = ED_BUF_INIT;
	struct collect_opts with;
	const char *memo = NULL;
	size_t memo_len = 0;
	char key[65];
	int have_key = 0;

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
	if (!h->sess)
		open_session(h);
	/* the same answer as last time, from the same inputs: its snapshot */
	memo_extra(&extra, s, h);
	have_key = !remote_session_memo_key(h->sess, r->out->ptr, r->out->len,
					    extra.ptr, extra.len, key);
	memo = have_key ? remote_session_memo(h->sess, key, &memo_len) : NULL;
	if (memo && !scan_memo_read(&h->snap, memo, memo_len)) {
		h->collected = 1;
		h->pub->memo = 1;
		h->pub->bytes = r->out->len;
		remote_session_counts(h->sess, &h->pub->files_sent,
				      &h->pub->files_reused);
		goto out; /* and the cache on disk stays as it is */
	}
	if (remote_session_decode(h->sess, img, r->out->ptr, r->out->len,
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
	h->pub->bytes = r->out->len;
	remote_session_counts(h->sess, &h->pub->files_sent, &h->pub->files_reused);
	/* the stream is no longer needed: free it before collecting */
	ed_buf_release(r->out);
	memset(&with, 0, sizeof(with));
	remote_session_collect_opts(h->sess, &with.cache_in, &with.cache_in_len,
				    &with.clock);
	with.cache_out = &files_cache;
	collect_image(s, hkey, h, img, &with, &msg);
	if (h->collected && have_key && !scan_memo_write(&extra, &h->snap))
		remote_session_set_memo(h->sess, key, extra.ptr, extra.len);
	if (h->collected)
		cache_stage(s, h, &files_cache);
out:
	if (!h->collected)
		snapshot_release(&h->snap);
	remote_session_free(h->sess);
	h->sess = NULL;
	ed_buf_release(&msg);
	ed_buf_release(&files_cache);
	ed_buf_release(&extra);
	vfs_free(img);
}

void scan_counts(struct fleet_counts *c, const struct scan *s)
{
	c->done = s->done;
	c->failed = s->failed;
	c->total = s->nr;
	c->seconds = elapsed(&s->start);
}

/* Count a finished host and report it. Under s->lock. */
static void host_done(struct scan *s, struct scan_host *h, double seconds)
{
	const struct fleet_progress *pr = s->progress;
	struct fleet_counts c;

	s->done++;
	if (h->pub->failed)
		s->failed++;
	h->pub->seconds = seconds;
	if (h->collected) {
		h->pub->nr_warnings = h->snap.warnings.nr;
		h->pub->warnings = &h->snap.warnings;
	}
	scan_counts(&c, s);
	if (pr && pr->host_done)
		pr->host_done(h->pub, &c, pr->arg);
	h->pub->warnings = NULL;
}

void scan_collect_local(struct scan *s, struct ed_hmac *key, struct scan_host *h)
{
	struct ed_buf msg = ED_BUF_INIT;
	int chroot = !strcmp(h->inv->connection, "chroot");
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snapshot_init(&h->snap);
	h->pub->state = SSH_COLLECTED;
	h->pub->local = 1;
	if (chroot && access(h->inv->address, F_OK) < 0)
		ed_buf_addf(&msg, "%s: root directory %s: %s", h->inv->name,
			    h->inv->address, strerror(errno));
	if (msg.len)
		fail(h, SSH_ERROR, msg.ptr);
	else if (chroot)
		collect_chroot(s, key, h, &msg);
	else
		collect_this_machine(s, key, h, &msg);
	if (!h->collected)
		snapshot_release(&h->snap);
	pthread_mutex_lock(&s->lock);
	host_done(s, h, elapsed(&t0));
	pthread_mutex_unlock(&s->lock);
	ed_buf_release(&msg);
}

static void on_done(const struct ssh_target *t, struct ssh_result *r, void *arg)
{
	struct worker *w = arg;
	struct scan *s = w->s;
	struct scan_host *h = t->data;

	h->pub->state = r->state;
	h->pub->transport = r->transport;
	if (r->retried) {
		struct ed_buf b = ED_BUF_INIT;
		size_t skip = strlen(t->name);

		/* the message names the host first: once is enough */
		if (strncmp(r->retried, t->name, skip) || r->retried[skip] != ':')
			skip = 0;
		else
			skip += 2;
		ed_buf_addf(&b, "OpenSSH after libssh2 failed: %s",
			    r->retried + skip);
		h->pub->transport_reason = ed_buf_detach(&b, NULL);
	} else if (h->transport_reason)
		h->pub->transport_reason = ed_xstrdup(h->transport_reason);
	if (r->state == SSH_COLLECTED) {
		collect_one(s, w->key, h, r);
	} else {
		fail(h, r->state,
		     r->message ? r->message : ssh_state_name(r->state));
		remote_session_free(h->sess);
		h->sess = NULL;
	}
	pthread_mutex_lock(&s->lock);
	host_done(s, h, r->seconds);
	pthread_mutex_unlock(&s->lock);
}

static void on_tick(size_t done, size_t total, void *arg)
{
	struct scan *s = ((struct worker *)arg)->s;
	struct fleet_counts c;

	(void)done;
	(void)total;
	pthread_mutex_lock(&s->lock);
	scan_counts(&c, s);
	if (s->progress && s->progress->tick)
		s->progress->tick(&c, s->progress->arg);
	pthread_mutex_unlock(&s->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->rc = ssh_run(w->targets, w->nr, &w->so, &w->warnings, &w->err);
	return NULL;
}

int scan_run_workers(struct scan *s, const struct ssh_target *targets,
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
		w[i].so.done = on_done;
		w[i].so.tick = on_tick;
		w[i].so.arg = &w[i];
		w[i].so.jobs = (so->jobs + nthreads - 1) / nthreads;
		if (i == 0)
			w[i].key = key;
		else if (ed_hmac_dup(&w[i].key, key, err) < 0)
			rc = err->code;
		/* each host's session runs on its worker, with its key */
		for (j = 0; j < share; j++) {
			struct scan_host *h = w[i].targets[j].data;

			h->scan = s;
			h->key = w[i].key;
		}
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
