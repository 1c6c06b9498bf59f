/*
 * The push loop and fetch (core/publish.h). The last known tip of the
 * remote's main is kept in a ref of our own, refs/remotes/NAME/main for a
 * named remote, refs/envdrift/remotes/<digest of the redacted URL>/main
 * for a URL or path, so what a push would add (and must be audited) is
 * known without asking the remote. git runs only while no lock is held.
 */
#include "core/publish.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/gitproc.h"
#include "core/hmac.h"

#define NAME_CHARS \
 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

struct target {
	const char *remote;     /* as given, passed to git */
	struct ed_buf track;    /* our ref for its main */
	struct ed_buf incoming; /* our prefix for its incoming refs */
};

void publish_result_release(struct publish_result *r)
{
	free(r->remote);
	ed_strvec_release(&r->superseded);
	ed_strvec_release(&r->refused);
	ed_audit_release(&r->audit);
	memset(r, 0, sizeof(*r));
}

/* 1 if the repository configures remote.NAME.url. */
static int named_remote(const struct store *st, const char *name)
{
	struct ed_buf path = ED_BUF_INIT, key = ED_BUF_INIT;
	git_config *cfg = NULL;
	git_buf val = GIT_BUF_INIT;
	int found = 0;

	ed_buf_addf(&path, "%sconfig", store_git_dir(st));
	ed_buf_addf(&key, "remote.%s.url", name);
	if (git_config_open_ondisk(&cfg, path.ptr) == 0 &&
	    git_config_get_string_buf(&val, cfg, key.ptr) == 0)
		found = 1;
	git_buf_dispose(&val);
	git_config_free(cfg);
	ed_buf_release(&path);
	ed_buf_release(&key);
	return found;
}

static int resolve(struct target *t, struct publish_result *res,
		   const struct store *st, const char *remote, struct ed_err *err)
{
	struct ed_buf shown = ED_BUF_INIT;
	char digest[65];

	t->remote = remote && *remote ? remote : "origin";
	ed_buf_init(&t->track);
	ed_buf_init(&t->incoming);
	ed_url_redact(t->remote, &shown);
	res->remote = ed_buf_detach(&shown, NULL);
	if (t->remote[0] == '-')
		return ed_err_set(err, ED_ERROR, "bad remote '%s'", res->remote);
	if (!strpbrk(t->remote, "/:")) {
		if (!named_remote(st, t->remote))
			return ed_err_set(err, ED_ERROR,
					  "no git remote '%s' in %s (add one with 'git --git-dir=%s remote add %s URL', or give a URL)",
					  t->remote, store_git_dir(st),
					  store_git_dir(st), t->remote);
		ed_buf_addf(&t->track, "refs/remotes/%s/main", t->remote);
		ed_buf_addf(&t->incoming, "refs/envdrift/remotes/%s/incoming/",
			    t->remote);
		return 0;
	}
	ed_sha256_hex(digest, res->remote, strlen(res->remote));
	ed_buf_addf(&t->track, "refs/envdrift/remotes/%.16s/main", digest);
	ed_buf_addf(&t->incoming, "refs/envdrift/remotes/%.16s/incoming/", digest);
	return 0;
}

static void target_release(struct target *t)
{
	ed_buf_release(&t->track);
	ed_buf_release(&t->incoming);
}

/* Run git with args; a start failure is an error, an exit status is not. */
static int run_git(struct ed_gitproc *proc, const struct store *st,
		   const struct publish_opts *o, const char *const *args,
		   struct ed_err *err)
{
	struct ed_gitproc_opts go = { NULL, 0, 64u << 10 };

	go.git_dir = store_git_dir(st);
	go.timeout_ms = o->timeout_ms;
	return ed_gitproc_run(proc, &go, args, err);
}

/* 1 if line (len bytes) contains s. */
static int line_has(const char *line, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(line + i, s, n))
			return 1;
	return 0;
}

/*
 * 1 if git push --porcelain refused main because another writer got there
 * first: "!<TAB>src:dst<TAB>[rejected] (non-fast-forward)" or "(fetch
 * first)" (the remote has commits we lack), or the remote's receive-pack
 * losing the race for the ref lock ("[remote rejected] (cannot lock ref"
 * ..., "(failed to update ref)"). Other refusals (hooks, permissions) are
 * not retried.
 */
static int rejected_race(const struct ed_buf *out)
{
	static const char *const races[] = { "(non-fast-forward)",
					     "(fetch first)",
					     "(cannot lock ref",
					     "(failed to update ref)",
					     "(incorrect old value provided)",
					     NULL };
	const char *p = out->ptr, *end = out->ptr + out->len;
	size_t i;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		for (i = 0; *p == '!' && races[i]; i++)
			if (line_has(p, len, races[i]))
				return 1;
		p += len + 1;
	}
	return 0;
}

/* The summary of porcelain's first refused ref ("[rejected] (...)"). */
static void refusal(const struct ed_buf *out, struct ed_buf *why)
{
	const char *p = out->ptr, *end = out->ptr + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *tab = memchr(p, '\t', len);

		if (*p == '!' && tab) {
			const char *tab2 = memchr(tab + 1, '\t',
						  len - (size_t)(tab + 1 - p));

			if (tab2) {
				ed_buf_add(why, tab2 + 1,
					   len - (size_t)(tab2 + 1 - p));
				return;
			}
		}
		p += len + 1;
	}
}

/* Append the last "remote: ..." line of git's stderr (a hook's reason). */
static void add_remote_said(const struct ed_gitproc *proc, struct ed_buf *why)
{
	const char *p = proc->errout.ptr, *last = NULL;
	size_t len = 0;
	struct ed_buf tmp = ED_BUF_INIT;

	while ((p = strstr(p, "remote: "))) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if ((p == proc->errout.ptr || p[-1] == '\n') && n > 8) {
			last = p + 8;
			len = n - 8;
		}
		p += 8;
	}
	if (!last)
		return;
	ed_buf_add(&tmp, last, len);
	ed_buf_adds(why, "; remote: ");
	ed_text_redact(tmp.ptr, why);
	ed_buf_release(&tmp);
}

static int git_failed(const struct ed_gitproc *proc, const char *what,
		      const char *remote, const struct publish_opts *o,
		      struct ed_err *err)
{
	struct ed_buf why = ED_BUF_INIT;
	int rc;

	if (proc->timed_out)
		ed_buf_addf(&why, "timed out after %u s (see --push-timeout)",
			    (o->timeout_ms ? o->timeout_ms : 120000u) / 1000u);
	else
		refusal(&proc->out, &why);
	if (!why.len)
		ed_gitproc_reason(proc, &why);
	else
		add_remote_said(proc, &why);
	rc = ed_err_set(err, ED_EPUSH, "%s %s: %s", what, remote, why.ptr);
	ed_buf_release(&why);
	return rc;
}

/*
 * git fetch of refspec from the remote (--prune with prune), without
 * background gc or maintenance: it would outlive the deadline. *absent
 * (absent non-NULL) when the remote lacks the refspec's source ref.
 * ED_EPUSH when git fails.
 */
static int fetch_spec(const struct target *t, struct publish_result *res,
		      struct store *st, const struct publish_opts *o,
		      const char *refspec, int prune, int *absent,
		      struct ed_err *err)
{
	struct ed_gitproc proc;
	const char *args[14];
	size_t n = 0;
	int rc;

	args[n++] = "-c";
	args[n++] = "gc.auto=0";
	args[n++] = "-c";
	args[n++] = "maintenance.auto=false";
	args[n++] = "fetch";
	args[n++] = "--no-tags";
	args[n++] = "--no-write-fetch-head";
	if (prune)
		args[n++] = "--prune";
	args[n++] = "--quiet";
	args[n++] = "--";
	args[n++] = t->remote;
	args[n++] = refspec;
	args[n] = NULL;
	if (absent)
		*absent = 0;
	rc = run_git(&proc, st, o, args, err);
	if (!rc && proc.status != 0) {
		if (absent && !proc.timed_out &&
		    strstr(proc.errout.ptr, "couldn't find remote ref"))
			*absent = 1;
		else
			rc = git_failed(&proc, "cannot fetch from", res->remote,
					o, err);
	}
	if (!rc)
		store_refresh(st);
	ed_gitproc_release(&proc);
	return rc;
}

/*
 * git fetch of the remote's main into our tracking ref; *absent when the
 * remote has no main (yet). ED_EPUSH when git fails.
 */
static int fetch_main(const struct target *t, struct publish_result *res,
		      struct store *st, const struct publish_opts *o,
		      int *absent, struct ed_err *err)
{
	struct ed_buf spec = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&spec, "+refs/heads/main:%s", t->track.ptr);
	rc = fetch_spec(t, res, st, o, spec.ptr, 0, absent, err);
	ed_buf_release(&spec);
	return rc;
}

/*
 * git push --porcelain of refspec to remote, counted in res->attempts;
 * proc holds git's answer for the caller (who releases it).
 */
static int push_spec(struct ed_gitproc *proc, const char *remote,
		     struct publish_result *res, struct store *st,
		     const struct publish_opts *o, const char *refspec,
		     struct ed_err *err)
{
	const char *args[] = { "-c",          "gc.auto=0", "push",
			       "--porcelain", "--quiet",   "--",
			       remote,        refspec,     NULL };
	int rc = run_git(proc, st, o, args, err);

	res->attempts++;
	return rc;
}

/* Push tip; *nonff when refused as non-fast-forward. */
static int push_once(const struct target *t, struct publish_result *res,
		     struct store *st, const struct publish_opts *o,
		     const char *tip, int *nonff, struct ed_err *err)
{
	struct ed_buf spec = ED_BUF_INIT;
	struct ed_gitproc proc;
	int rc;

	*nonff = 0;
	ed_buf_addf(&spec, "%s:refs/heads/main", tip);
	rc = push_spec(&proc, t->remote, res, st, o, spec.ptr, err);
	if (!rc && proc.status != 0) {
		*nonff = !proc.timed_out && rejected_race(&proc.out);
		if (!*nonff)
			rc = git_failed(&proc, "cannot push to", res->remote, o,
					err);
	}
	ed_gitproc_release(&proc);
	ed_buf_release(&spec);
	return rc;
}

/* Audit what tip adds to known (NULL: everything); ED_EPUSH on hits. */
static int audit(struct publish_result *res, struct store *st,
		 const struct publish_opts *o, const char *tip,
		 const char *known, struct ed_err *err)
{
	int rc;

	ed_audit_release(&res->audit);
	res->audited = 1;
	rc = ed_audit_unpublished(&res->audit, store_git_dir(st), tip, known,
				  o->finder, o->plain, err);
	if (rc < 0)
		return rc;
	if (res->audit.nr)
		return ed_err_set(err, ED_EPUSH,
				  "refusing to push to %s: the secret audit found %zu hit%s in what would be published (see audit-secrets; --allow-secrets to push anyway)",
				  res->remote, res->audit.nr,
				  res->audit.nr == 1 ? "" : "s");
	return 0;
}

/* Under the lock: rebuild the branch on the tracking ref's commit. */
static int rebuild(struct publish_result *res, struct store *st,
		   const struct publish_opts *o, const char *onto,
		   struct ed_err *err)
{
	struct store_rebuild_result rb;
	size_t i;
	int rc = store_lock(st, o->lock_timeout_ms, err);

	if (rc < 0)
		return rc;
	rc = store_rebuild(st, &rb, onto, err);
	store_unlock(st);
	if (rc < 0)
		return rc;
	if (rb.replayed) /* the last rebuild: our commits, not a sum */
		res->rebuilt = rb.replayed;
	res->fast_forward = rb.fast_forward;
	res->up_to_date = rb.up_to_date;
	for (i = 0; i < rb.superseded.nr; i++)
		ed_strvec_push(&res->superseded, rb.superseded.v[i]);
	store_rebuild_result_release(&rb);
	return 0;
}

/*
 * A random pause, its range doubling with each attempt (100 ms, 200 ms,
 * ... capped at 3.2 s), so writers racing for the remote spread out.
 */
static void jitter(size_t attempt)
{
	static unsigned seed;
	struct timespec ts;
	long range = 100L << (attempt < 6 ? attempt - 1 : 5), ms;

	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)getpid() << 8;
	ms = 20 + (long)rand_r(&seed) % range;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static void init_result(struct publish_result *res)
{
	memset(res, 0, sizeof(*res));
	ed_strvec_init(&res->superseded);
}

int publish_push(struct publish_result *res, struct store *st,
		 const struct publish_opts *o, struct ed_err *err)
{
	struct target t;
	char tip[41], known[41];
	int found, have_known, nonff = 0, absent, rc;

	init_result(res);
	rc = resolve(&t, res, st, o->remote, err);
	while (!rc) {
		rc = store_ref_read(st, STORE_BRANCH, tip, &found, err);
		if (!rc && !found)
			rc = ed_err_set(err, ED_ERROR, "%s: no commit to push yet",
					store_git_dir(st));
		if (!rc)
			rc = store_ref_read(st, t.track.ptr, known, &have_known,
					    err);
		if (rc < 0)
			break;
		if (have_known && !strcmp(known, tip))
			res->up_to_date = 1; /* still pushed: cheap, and checks */
		else if (!o->allow_secrets)
			rc = audit(res, st, o, tip, have_known ? known : NULL,
				   err);
		if (!rc)
			rc = push_once(&t, res, st, o, tip, &nonff, err);
		if (rc < 0)
			break;
		if (!nonff) {
			memcpy(res->tip, tip, sizeof(res->tip));
			rc = store_ref_write(st, t.track.ptr, tip, err);
			break;
		}
		if (res->attempts >= PUBLISH_ATTEMPTS) {
			rc = ed_err_set(err, ED_EPUSH,
					"cannot push to %s: still refused as non-fast-forward after %zu attempts (other writers keep pushing); the next push retries",
					res->remote, res->attempts);
			break;
		}
		/* back off first: the rebuild is then as fresh as can be */
		jitter(res->attempts);
		rc = fetch_main(&t, res, st, o, &absent, err);
		if (!rc && absent)
			continue; /* main vanished: push creates it */
		if (!rc)
			rc = store_ref_read(st, t.track.ptr, known, &have_known,
					    err);
		if (!rc)
			rc = rebuild(res, st, o, known, err);
	}
	target_release(&t);
	return rc;
}

int publish_fetch(struct publish_result *res, struct store *st,
		  const struct publish_opts *o, struct ed_err *err)
{
	struct target t;
	char known[41];
	int absent = 0, found = 0, rc;

	init_result(res);
	rc = resolve(&t, res, st, o->remote, err);
	if (!rc)
		rc = fetch_main(&t, res, st, o, &absent, err);
	if (!rc && absent)
		res->up_to_date = 1;
	if (!rc && !absent)
		rc = store_ref_read(st, t.track.ptr, known, &found, err);
	if (!rc && found) {
		memcpy(res->tip, known, sizeof(res->tip));
		rc = rebuild(res, st, o, known, err);
	}
	target_release(&t);
	return rc;
}

/* Push tip (forced) to the remote's refs/envdrift/incoming/HOST. */
int publish_push_incoming(struct publish_result *res, struct store *st,
			  const struct publish_opts *o, const char *host,
			  struct ed_err *err)
{
	struct ed_buf spec = ED_BUF_INIT, track = ED_BUF_INIT;
	struct ed_gitproc proc;
	struct target t;
	char tip[41], known[41];
	int found, have_known, rc;

	init_result(res);
	memset(&proc, 0, sizeof(proc));
	rc = resolve(&t, res, st, o->remote, err);
	if (!rc)
		rc = store_ref_read(st, STORE_BRANCH, tip, &found, err);
	if (!rc && !found)
		rc = ed_err_set(err, ED_ERROR, "%s: no commit to push yet",
				store_git_dir(st));
	if (rc < 0)
		goto out;
	ed_buf_addf(&track, "%s%s", t.incoming.ptr, host);
	rc = store_ref_read(st, track.ptr, known, &have_known, err);
	if (!rc && have_known && !strcmp(known, tip))
		res->up_to_date = 1;
	else if (!rc && !o->allow_secrets)
		rc = audit(res, st, o, tip, have_known ? known : NULL, err);
	if (rc < 0)
		goto out;
	ed_buf_addf(&spec, "+%s:refs/envdrift/incoming/%s", tip, host);
	rc = push_spec(&proc, t.remote, res, st, o, spec.ptr, err);
	if (!rc && proc.status != 0)
		rc = git_failed(&proc, "cannot push to", res->remote, o, err);
	if (!rc) {
		memcpy(res->tip, tip, sizeof(res->tip));
		rc = store_ref_write(st, track.ptr, tip, err);
	}
out:
	ed_gitproc_release(&proc);
	ed_buf_release(&spec);
	ed_buf_release(&track);
	target_release(&t);
	return rc;
}

/* git fetch of the remote's incoming refs (pruned) under our prefix. */
static int fetch_incoming(const struct target *t, struct publish_result *res,
			  struct store *st, const struct publish_opts *o,
			  struct ed_err *err)
{
	struct ed_buf spec = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&spec, "+refs/envdrift/incoming/*:%s*", t->incoming.ptr);
	rc = fetch_spec(t, res, st, o, spec.ptr, 1, NULL, err);
	ed_buf_release(&spec);
	return rc;
}

/*
 * Whether main's last write of host h came from merging incoming
 * snapshots (then its time is the merge's, not the scan's): 2 when it
 * merged incoming commit id itself, 1 another one, 0 not a merge.
 */
static int merged_last(struct store *st, const struct store_host *h,
		       const char *env, const char *id)
{
	struct store_view *v = NULL;
	struct ed_err ignored = ED_ERR_INIT;
	struct ed_buf line = ED_BUF_INIT;
	int merged = 0;

	if (h->last_commit[0] &&
	    store_view_open(&v, st, h->last_commit, &ignored) == 0 &&
	    store_view_has_trailer(v, "Envdrift-Incoming")) {
		ed_buf_addf(&line, "\nEnvdrift-Incoming: %s/%s %.12s\n", env,
			    h->host, id);
		merged = strstr(store_view_message(v), line.ptr) ? 2 : 1;
	}
	store_view_free(v);
	ed_buf_release(&line);
	return merged;
}

/*
 * Under the lock: one commit of every incoming snapshot newer than main's
 * copy of its host; res->merged gets how many.
 */
static int fold_incoming(struct publish_result *res, struct store *st,
			 const struct target *t, struct ed_err *err)
{
	struct ed_strvec refs = ED_STRVEC_INIT, trailers = ED_STRVEC_INIT;
	struct ed_strvec keep = ED_STRVEC_INIT; /* strings v points into */
	struct store_subtree *v = NULL;
	struct store_host *h = NULL;
	struct ed_buf glob = ED_BUF_INIT, env = ED_BUF_INIT;
	struct store_result sr;
	size_t nh = 0, i, j, nv = 0;
	int rc;

	memset(&sr, 0, sizeof(sr));
	ed_buf_addf(&glob, "%s*", t->incoming.ptr);
	rc = store_ref_list(st, glob.ptr, &refs, err);
	if (!rc)
		rc = store_hosts(st, &h, &nh, err);
	if (rc < 0)
		goto out;
	v = ed_xcalloc(refs.nr + 1, sizeof(*v));
	for (i = 0; !rc && i < refs.nr; i++) {
		const char *host = refs.v[i] + t->incoming.len;
		char id[41], tree[41];
		long long when = 0;
		int found;

		/* a name from the remote: only what collect accepts */
		if (!*host || host[strspn(host, NAME_CHARS)] ||
		    !strcmp(host, ".") || !strcmp(host, ".."))
			continue;

		rc = store_ref_read(st, refs.v[i], id, &found, err);
		if (rc < 0 || !found)
			break;
		ed_buf_reset(&env);
		rc = store_commit_host(st, id, host, &env, tree, &when, err);
		if (rc == ED_ENOTFOUND) {
			rc = 0; /* an incoming ref without its host: ignored */
			continue;
		}
		for (j = 0; j < nh && strcmp(h[j].host, host); j++)
			;
		if (!rc && j < nh && h[j].last_commit[0]) {
			int m = merged_last(st, &h[j], env.ptr, id);

			/* merged already, or main has a newer scan of it */
			if (m == 2 || (!m && when <= h[j].last_success))
				continue;
		}
		if (!rc) {
			struct ed_err why = ED_ERR_INIT;
			int a = store_commit_agrees(st, id, &why);

			if (a == ED_EKEY || a == ED_ESETTINGS) {
				/* a host under other rules would flap */
				ed_strvec_pushf(&res->refused, "%s/%s: %s",
						env.ptr, host, why.msg);
				continue;
			}
			if (a < 0)
				rc = ed_err_set(err, a, "%s", why.msg);
		}
		if (rc < 0)
			break;
		ed_strvec_push(&keep, env.ptr);
		ed_strvec_push(&keep, tree);
		v[nv].host = host;
		nv++;
		ed_strvec_pushf(&trailers, "Envdrift-Collected: %s/%s", env.ptr,
				host);
		ed_strvec_pushf(&trailers, "Envdrift-Incoming: %s/%s %.12s",
				env.ptr, host, id);
	}
	if (rc < 0 || !nv)
		goto out;
	for (i = 0; i < nv; i++) {
		v[i].env = keep.v[2 * i];
		v[i].tree = keep.v[2 * i + 1];
	}
	{
		struct ed_buf subject = ED_BUF_INIT;

		ed_buf_addf(&subject, "merge-incoming: %zu host%s", nv,
			    nv == 1 ? "" : "s");
		rc = store_commit_subtrees(st, &sr, v, nv, subject.ptr,
					   &trailers, err);
		ed_buf_release(&subject);
	}
	if (!rc)
		res->merged = nv;
	store_result_release(&sr);
out:
	free(v);
	store_hosts_free(h, nh);
	ed_strvec_release(&refs);
	ed_strvec_release(&trailers);
	ed_strvec_release(&keep);
	ed_buf_release(&glob);
	ed_buf_release(&env);
	return rc;
}

int publish_merge_incoming(struct publish_result *res, struct store *st,
			   const struct publish_opts *o, struct ed_err *err)
{
	struct publish_result pushed;
	struct target t;
	char known[41];
	struct ed_strvec refused;
	int absent = 0, found = 0, rc;
	size_t merged;

	init_result(res);
	rc = resolve(&t, res, st, o->remote, err);
	if (!rc)
		rc = fetch_main(&t, res, st, o, &absent, err);
	if (!rc)
		rc = fetch_incoming(&t, res, st, o, err);
	if (!rc && !absent)
		rc = store_ref_read(st, t.track.ptr, known, &found, err);
	if (!rc && found)
		rc = rebuild(res, st, o, known, err);
	if (!rc)
		rc = store_lock(st, o->lock_timeout_ms, err);
	if (!rc) {
		rc = fold_incoming(res, st, &t, err);
		store_unlock(st);
	}
	target_release(&t);
	if (!rc && !res->merged) {
		char head[41];

		/* nothing folded into a branch still empty: nothing to push */
		rc = store_ref_read(st, STORE_BRANCH, head, &found, err);
		if (!rc && !found) {
			res->up_to_date = 1;
			return 0;
		}
	}
	if (rc < 0)
		return rc;
	/* then main goes out as any push does, its result ours */
	merged = res->merged;
	refused = res->refused;
	memset(&res->refused, 0, sizeof(res->refused));
	rc = publish_push(&pushed, st, o, err);
	publish_result_release(res);
	*res = pushed;
	res->merged = merged;
	res->refused = refused;
	return rc;
}
