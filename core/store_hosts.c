/*
 * What the state repository knows about its hosts: the host list of the
 * branch tip with, from the commit trailers (Envdrift-Collected,
 * Envdrift-Failed), when each was last collected and any failure since;
 * and one file of a host's snapshot at the tip.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

int store_read_host_file(struct store *st, struct ed_buf *out, const char *host,
			 const char *path, struct ed_err *err)
{
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	size_t n = 0, i;
	int rc;

	/* the host's environment at the tip, then its file there */
	rc = store_view_open(&v, st, NULL, err);
	if (rc == ED_ENOTFOUND)
		return ED_ENOTFOUND; /* no collection yet */
	if (!rc)
		rc = store_view_hosts(v, &h, &n, err);
	for (i = 0; !rc && i < n && strcmp(h[i].host, host); i++)
		;
	if (!rc)
		rc = i < n ? store_view_read_file(v, h[i].env, host, path, out,
						  err) :
			     ED_ENOTFOUND;
	store_hosts_free(h, n);
	store_view_free(v);
	return rc;
}

static int cmp_host(const void *a, const void *b)
{
	const struct store_host *x = a, *y = b;
	int c = strcmp(x->env, y->env);

	return c ? c : strcmp(x->host, y->host);
}

static int cmp_host_name(const void *a, const void *b)
{
	return strcmp(((const struct store_host *)a)->host,
		      ((const struct store_host *)b)->host);
}

/* The host of h (sorted by host name) named by "ENV/HOST", or NULL. */
static struct store_host *trailer_host(struct store_host *h, size_t nr,
				       const char *v, size_t len)
{
	const char *slash = memchr(v, '/', len);
	size_t lo = 0, hi = nr;

	if (!slash)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = h[mid].host;
		size_t hl = len - (size_t)(slash + 1 - v);
		int c = strncmp(name, slash + 1, hl);

		if (!c && name[hl])
			c = 1;
		if (!c) {
			size_t el = (size_t)(slash - v);

			return strlen(h[mid].env) == el &&
					       !memcmp(h[mid].env, v, el) ?
				       &h[mid] :
				       NULL;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* One "KEY: ENV/HOST" or "KEY: ENV/HOST: why" trailer of a commit message. */
struct trailer {
	const char *name; /* "ENV/HOST" */
	size_t name_len;
	const char *why; /* the rest after ':' and spaces; NULL without ':' */
	size_t why_len;
};

/*
 * The next trailer key ("\nEnvdrift-Failed: ") at or after *p, advancing
 * *p; with_why splits off the text after the first ':'. 0 at the end.
 */
static int next_trailer(const char **p, const char *key, int with_why,
			struct trailer *t)
{
	const char *v, *colon;
	size_t len;

	if (!*p || !(*p = strstr(*p, key)))
		return 0;
	v = *p += strlen(key);
	len = strcspn(v, "\n");
	colon = with_why ? memchr(v, ':', len) : NULL;
	t->name = v;
	t->name_len = colon ? (size_t)(colon - v) : len;
	t->why = NULL;
	t->why_len = 0;
	if (colon) {
		for (t->why = colon + 1; t->why < v + len && *t->why == ' ';
		     t->why++)
			;
		t->why_len = (size_t)(v + len - t->why);
	}
	return 1;
}

/*
 * The commit's Envdrift-Duration ("12.345", seconds), -1 when it has none
 * or it is not a number: a hand-made commit must not make a metric lie.
 */
static double commit_duration(const char *msg)
{
	char num[32]; /* "%.3f" of any real duration fits */
	struct trailer t;
	const char *p = msg;
	char *end;
	double d;

	if (!next_trailer(&p, "\nEnvdrift-Duration: ", 0, &t) || !t.name_len ||
	    t.name_len >= sizeof(num))
		return -1;
	memcpy(num, t.name, t.name_len);
	num[t.name_len] = '\0';
	d = strtod(num, &end);
	return *end || !(d >= 0 && d < 1e9) ? -1 : d;
}

/*
 * Mark hosts named in the commit's Envdrift-Collected trailers (with the
 * commit's Envdrift-Shard and Envdrift-Duration, if any), and note
 * Envdrift-Failed ones seen before (newer than) their last success.
 */
static size_t mark_collected(struct store_host *h, size_t nr, const git_commit *c)
{
	const char *msg = git_commit_message(c), *p = msg;
	struct trailer t, shard;
	size_t found = 0;
	int sharded = next_trailer(&p, "\nEnvdrift-Shard: ", 0, &shard);
	double duration = -2; /* not read yet: most commits mark no host */

	for (p = msg; next_trailer(&p, "\nEnvdrift-Collected: ", 0, &t);) {
		struct store_host *hh = trailer_host(h, nr, t.name, t.name_len);

		if (!hh || hh->last_success)
			continue;
		hh->last_success = (long long)git_commit_time(c);
		if (duration < -1)
			duration = commit_duration(msg);
		hh->last_duration = duration;
		git_oid_tostr(hh->last_commit, sizeof(hh->last_commit),
			      git_commit_id(c));
		if (sharded)
			hh->shard = ed_xstrndup(shard.name, shard.name_len);
		found++;
	}
	for (p = msg; next_trailer(&p, "\nEnvdrift-Failed: ", 1, &t);) {
		struct store_host *hh =
			t.why ? trailer_host(h, nr, t.name, t.name_len) : NULL;

		if (!hh || hh->last_success || hh->failure)
			continue;
		hh->last_failure = (long long)git_commit_time(c);
		hh->failure = ed_xstrndup(t.why, t.why_len);
	}
	return found;
}

/*
 * Hosts the latest scan commit (within the last 100 commits) names in
 * Envdrift-Failed trailers that have no snapshot at all: appended with
 * last_success 0, so status can say why a new host is missing.
 */
static int add_never_collected(struct store *st, const git_oid *tip,
			       struct store_host **h, size_t *n,
			       struct ed_err *err)
{
	git_commit *c = NULL;
	size_t steps = 0, alloc = *n;
	const char *msg = NULL, *p;
	struct trailer t;
	int rc = 0, cut;

	if (git_commit_lookup(&c, st->repo, tip) < 0)
		return ed_err_git(err, "cannot read commit");
	while (c && steps++ < 100) {
		git_commit *parent;

		msg = git_commit_message(c);
		if (strstr(msg, "\nEnvdrift-Scan: "))
			break;
		msg = NULL;
		rc = store_commit_parent(&parent, c, &cut, err);
		git_commit_free(c);
		c = parent;
		if (rc < 0)
			goto out;
	}
	for (p = msg; next_trailer(&p, "\nEnvdrift-Failed: ", 1, &t);) {
		const char *slash = t.why ? memchr(t.name, '/', t.name_len) : NULL;
		size_t hl, i;
		struct store_host *nh;

		if (!slash)
			continue;
		hl = (size_t)(t.name + t.name_len - slash - 1);
		for (i = 0; i < *n; i++)
			if (strlen((*h)[i].host) == hl &&
			    !memcmp((*h)[i].host, slash + 1, hl))
				break;
		if (i < *n)
			continue;
		ED_ALLOC_GROW(*h, *n + 1, alloc);
		nh = &(*h)[(*n)++];
		memset(nh, 0, sizeof(*nh));
		nh->env = ed_xstrndup(t.name, (size_t)(slash - t.name));
		nh->host = ed_xstrndup(slash + 1, hl);
		nh->last_failure = (long long)git_commit_time(c);
		nh->failure = ed_xstrndup(t.why, t.why_len);
	}
out:
	git_commit_free(c);
	return rc;
}

int store_hosts(struct store *st, struct store_host **out, size_t *nr,
		struct ed_err *err)
{
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	git_commit *c = NULL;
	size_t n = 0, missing, i;
	long long oldest = 0;
	git_oid tip;
	int have_tip, rc, cut = 0;

	*out = NULL;
	*nr = 0;
	rc = store_read_tip(st->repo, &tip, &have_tip, err);
	if (rc < 0 || !have_tip)
		return rc;
	rc = store_view_open(&v, st, NULL, err);
	if (!rc)
		rc = store_view_hosts(v, &h, &n, err);
	if (rc < 0)
		goto out;
	missing = n;
	/* trailers are looked up by host name (unique across environments) */
	if (n > 1)
		qsort(h, n, sizeof(*h), cmp_host_name);
	/* the branch is linear: newest first down the first parents */
	rc = git_commit_lookup(&c, st->repo, &tip) < 0 ?
		     ed_err_git(err, "cannot read commit") :
		     0;
	while (!rc && c && missing) {
		git_commit *parent = NULL;

		missing -= mark_collected(h, n, c);
		oldest = (long long)git_commit_time(c);
		rc = store_commit_parent(&parent, c, &cut, err);
		git_commit_free(c);
		c = parent;
	}
	git_commit_free(c);
	if (rc < 0)
		goto out;
	for (i = 0; cut && i < n; i++)
		if (!h[i].last_success)
			h[i].not_seen_since = oldest;
	rc = add_never_collected(st, &tip, &h, &n, err);
	if (rc < 0)
		goto out;
	if (n > 1)
		qsort(h, n, sizeof(*h), cmp_host);
	*out = h;
	*nr = n;
	h = NULL;
	n = 0;
out:
	store_hosts_free(h, n);
	store_view_free(v);
	return rc;
}
