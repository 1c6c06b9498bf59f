/*
 * Read-only views of the state repository for the differ: resolve a
 * revision or a date to a commit, list its hosts and read a host's
 * snapshot files back (unescaping the tree-entry names).
 */
#include "core/store_int.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"

struct store_view {
	git_repository *repo; /* borrowed from the store */
	git_commit *commit;
	git_tree *tree;
	char hex[GIT_OID_HEXSZ + 1];
};

int store_commit_parent(git_commit **out, const git_commit *c, int *cut,
			struct ed_err *err)
{
	git_repository *repo = git_commit_owner(c);
	int rc;

	*out = NULL;
	*cut = 0;
	if (git_commit_parentcount(c) == 0)
		return 0;
	rc = git_commit_parent(out, c, 0);
	if (rc == GIT_ENOTFOUND && git_repository_is_shallow(repo) == 1) {
		*cut = 1; /* git clone --depth or --shallow-since */
		return 0;
	}
	if (rc < 0) {
		char hex[GIT_OID_HEXSZ + 1];

		return ed_err_git(err, "cannot read the parent of %s",
				  git_oid_tostr(hex, sizeof(hex),
						git_commit_id(c)));
	}
	return 0;
}

/* Tip of the branch; *found 0 when the branch does not exist yet. */
static int read_ref(git_repository *repo, const char *name, git_oid *out,
		    int *found, struct ed_err *err)
{
	int rc = git_reference_name_to_id(out, repo, name);

	*found = 0;
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return ed_err_git(err, "cannot read %s", name);
	*found = 1;
	return 0;
}

int store_read_tip(git_repository *repo, git_oid *out, int *found,
		   struct ed_err *err)
{
	return read_ref(repo, STORE_BRANCH, out, found, err);
}

/* "YYYY-MM-DD" -> the first second after that day (UTC); 0 if not a date. */
static long long day_end(const char *s)
{
	int y, m, d;
	char tail;
	struct tm tm;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + 1;
	return (long long)timegm(&tm);
}

static int resolve(git_commit **out, git_repository *repo, const char *rev,
		   struct ed_err *err)
{
	git_object *obj = NULL;
	git_oid id;
	long long end;
	int rc;

	*out = NULL;
	if (git_reference_name_to_id(&id, repo, STORE_BRANCH) < 0)
		return ed_err_set(err, ED_ENOTFOUND,
				  "the state repository has no collection yet");
	end = rev && *rev ? day_end(rev) : 0;
	if (end) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, repo, &id) < 0)
			return ed_err_git(err, "cannot read %s", STORE_BRANCH);
		/* first parent back from the tip: the branch is linear */
		while ((long long)git_commit_time(c) >= end) {
			git_commit *parent = NULL;
			int cut;

			rc = store_commit_parent(&parent, c, &cut, err);
			git_commit_free(c);
			if (rc < 0)
				return rc;
			if (!parent)
				return ed_err_set(
					err, ED_ENOTFOUND,
					cut ? "no collection at or before %s in this shallow clone's history" :
					      "no collection at or before %s",
					rev);
			c = parent;
		}
		*out = c;
		return 0;
	}
	if (rev && *rev) {
		rc = git_revparse_single(&obj, repo, rev);
		if (rc < 0)
			return ed_err_set(err, ED_ENOTFOUND,
					  "'%s' names no commit of the state repository",
					  rev);
		rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
		git_object_free(obj);
		if (rc < 0)
			return ed_err_set(err, ED_ENOTFOUND,
					  "'%s' is not a commit", rev);
		return 0;
	}
	if (git_commit_lookup(out, repo, &id) < 0)
		return ed_err_git(err, "cannot read %s", STORE_BRANCH);
	return 0;
}

int store_view_open(struct store_view **out, struct store *st, const char *rev,
		    struct ed_err *err)
{
	struct store_view *v = ed_xcalloc(1, sizeof(*v));
	int rc;

	*out = NULL;
	v->repo = st->repo;
	rc = resolve(&v->commit, v->repo, rev, err);
	if (!rc && git_commit_tree(&v->tree, v->commit) < 0)
		rc = ed_err_git(err, "cannot read the tree of %s",
				git_oid_tostr_s(git_commit_id(v->commit)));
	if (rc < 0) {
		store_view_free(v);
		return rc;
	}
	git_oid_tostr(v->hex, sizeof(v->hex), git_commit_id(v->commit));
	*out = v;
	return 0;
}

void store_view_free(struct store_view *v)
{
	if (!v)
		return;
	git_tree_free(v->tree);
	git_commit_free(v->commit);
	free(v);
}

const char *store_view_commit(const struct store_view *v)
{
	return v->hex;
}

long long store_view_time(const struct store_view *v)
{
	return (long long)git_commit_time(v->commit);
}

int store_view_hosts(const struct store_view *v, struct store_host **out,
		     size_t *nr, struct ed_err *err)
{
	struct store_host *h = NULL;
	size_t n = 0, alloc = 0, i, j;
	git_tree_entry *he = NULL;
	git_tree *hosts = NULL, *env = NULL;
	struct ed_buf name = ED_BUF_INIT;
	int rc = 0;

	*out = NULL;
	*nr = 0;
	if (git_tree_entry_bypath(&he, v->tree, "hosts") < 0)
		return 0;
	if (git_tree_lookup(&hosts, v->repo, git_tree_entry_id(he)) < 0) {
		rc = ed_err_git(err, "cannot read hosts/");
		goto out;
	}
	for (i = 0; i < git_tree_entrycount(hosts); i++) {
		const git_tree_entry *ee = git_tree_entry_byindex(hosts, i);

		if (git_tree_entry_type(ee) != GIT_OBJECT_TREE)
			continue;
		git_tree_free(env);
		env = NULL;
		if (git_tree_lookup(&env, v->repo, git_tree_entry_id(ee)) < 0) {
			rc = ed_err_git(err, "cannot read hosts/%s",
					git_tree_entry_name(ee));
			goto out;
		}
		for (j = 0; j < git_tree_entrycount(env); j++) {
			const git_tree_entry *te = git_tree_entry_byindex(env, j);

			ED_ALLOC_GROW(h, n + 1, alloc);
			memset(&h[n], 0, sizeof(h[n]));
			ed_buf_reset(&name);
			rc = store_unescape_name(&name, git_tree_entry_name(ee),
						 err);
			if (rc < 0)
				goto out;
			h[n].env = ed_buf_detach(&name, NULL);
			rc = store_unescape_name(&name, git_tree_entry_name(te),
						 err);
			if (rc < 0) {
				free(h[n].env);
				goto out;
			}
			h[n].host = ed_buf_detach(&name, NULL);
			n++;
		}
	}
	*out = h;
	*nr = n;
	h = NULL;
	n = 0;
out:
	store_hosts_free(h, n);
	ed_buf_release(&name);
	git_tree_free(env);
	git_tree_free(hosts);
	git_tree_entry_free(he);
	return rc;
}

void store_hosts_free(struct store_host *h, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(h[i].env);
		free(h[i].host);
		free(h[i].failure);
		free(h[i].shard);
	}
	free(h);
}

/* "hosts/<env>/<host>[/<path>]" with every component escaped. */
static void host_path(struct ed_buf *out, const char *env, const char *host,
		      const char *path)
{
	ed_buf_adds(out, "hosts/");
	store_escape_name(out, env, strlen(env));
	ed_buf_addch(out, '/');
	store_escape_name(out, host, strlen(host));
	while (path && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);

		ed_buf_addch(out, '/');
		store_escape_name(out, path, n);
		path = slash ? slash + 1 : "";
	}
}

int store_view_read_file(const struct store_view *v, const char *env,
			 const char *host, const char *path, struct ed_buf *out,
			 struct ed_err *err)
{
	unsigned char oid[20];
	int rc = store_view_file_id(v, env, host, path, oid);

	return rc < 0 ? rc : store_view_read_blob(v, oid, out, err);
}

int store_view_read_host(const struct store_view *v, const char *env,
			 const char *host, struct snapshot *out,
			 struct ed_err *err)
{
	struct store_file *files = NULL;
	struct ed_buf data = ED_BUF_INIT;
	size_t n = 0, i;
	int rc = store_view_host_files(v, env, host, &files, &n, err);

	for (i = 0; !rc && i < n; i++) {
		ed_buf_reset(&data);
		rc = store_view_read_blob(v, files[i].oid, &data, err);
		if (!rc)
			snapshot_add(out, files[i].name, data.ptr, data.len);
	}
	ed_buf_release(&data);
	store_files_free(files, n);
	return rc;
}

int store_view_parent(struct store_view **out, const struct store_view *v,
		      struct ed_err *err)
{
	struct store_view *p;
	git_commit *parent = NULL;
	int rc, cut;

	*out = NULL;
	rc = store_commit_parent(&parent, v->commit, &cut, err);
	if (rc < 0)
		return rc;
	if (!parent)
		return ED_ENOTFOUND;
	p = ed_xcalloc(1, sizeof(*p));
	p->repo = v->repo;
	p->commit = parent;
	if (git_commit_tree(&p->tree, p->commit) < 0) {
		store_view_free(p);
		return ed_err_git(err, "cannot read the parent of %s", v->hex);
	}
	git_oid_tostr(p->hex, sizeof(p->hex), git_commit_id(p->commit));
	*out = p;
	return 0;
}

int store_view_is_cut(const struct store_view *v)
{
	struct ed_err err = ED_ERR_INIT;
	git_commit *parent = NULL;
	int cut = 0;

	if (store_commit_parent(&parent, v->commit, &cut, &err) < 0)
		return 0;
	git_commit_free(parent);
	return cut;
}

int store_view_file_id(const struct store_view *v, const char *env,
		       const char *host, const char *path, unsigned char oid[20])
{
	struct ed_buf p = ED_BUF_INIT;
	git_tree_entry *te = NULL;
	int rc = ED_ENOTFOUND;

	host_path(&p, env, host, path);
	/* a path names a file; no path, the host's directory */
	if (!git_tree_entry_bypath(&te, v->tree, p.ptr) &&
	    git_tree_entry_type(te) == (path ? GIT_OBJECT_BLOB : GIT_OBJECT_TREE)) {
		memcpy(oid, git_tree_entry_id(te)->id, 20);
		rc = 0;
	}
	git_tree_entry_free(te);
	ed_buf_release(&p);
	return rc;
}

void store_view_collected_hosts(const struct store_view *v, struct ed_strvec *out)
{
	static const char key[] = "\nEnvdrift-Collected: ";
	const char *msg = git_commit_message(v->commit);

	while ((msg = strstr(msg, key))) {
		const char *val = msg + sizeof(key) - 1;
		const char *eol = strchr(val, '\n');
		const char *slash = strchr(val, '/');
		size_t len = eol ? (size_t)(eol - val) : strlen(val);

		msg = val;
		if (slash && slash < val + len) {
			size_t hl = (size_t)(val + len - slash - 1);

			ed_strvec_take(out, ed_xstrndup(slash + 1, hl));
		}
	}
}

const char *store_view_message(const struct store_view *v)
{
	return git_commit_message(v->commit);
}

int store_view_has_trailer(const struct store_view *v, const char *key)
{
	const char *msg = git_commit_message(v->commit), *p;
	size_t n = strlen(key);

	for (p = msg; (p = strstr(p, key)); p += n)
		if ((p == msg || p[-1] == '\n') && p[n] == ':')
			return 1;
	return 0;
}

int store_view_host_files(const struct store_view *v, const char *env,
			  const char *host, struct store_file **out, size_t *nr,
			  struct ed_err *err)
{
	struct ed_buf p = ED_BUF_INIT, name = ED_BUF_INIT;
	struct store_file *f = NULL;
	git_tree_entry *te = NULL;
	git_tree *ht = NULL;
	size_t i, n = 0;
	int rc = 0;

	*out = NULL;
	*nr = 0;
	host_path(&p, env, host, NULL);
	if (git_tree_entry_bypath(&te, v->tree, p.ptr) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_TREE) {
		rc = ED_ENOTFOUND;
		goto out;
	}
	if (git_tree_lookup(&ht, v->repo, git_tree_entry_id(te)) < 0) {
		rc = ed_err_git(err, "cannot read %s", p.ptr);
		goto out;
	}
	f = ed_xcalloc(git_tree_entrycount(ht) + 1, sizeof(*f));
	for (i = 0; i < git_tree_entrycount(ht); i++) {
		const git_tree_entry *fe = git_tree_entry_byindex(ht, i);

		if (git_tree_entry_type(fe) != GIT_OBJECT_BLOB)
			continue;
		ed_buf_reset(&name);
		rc = store_unescape_name(&name, git_tree_entry_name(fe), err);
		if (rc < 0)
			goto out;
		f[n].name = ed_buf_detach(&name, NULL);
		memcpy(f[n].oid, git_tree_entry_id(fe)->id, 20);
		n++;
	}
	*out = f;
	*nr = n;
	f = NULL;
	n = 0;
out:
	store_files_free(f, n);
	git_tree_free(ht);
	git_tree_entry_free(te);
	ed_buf_release(&p);
	ed_buf_release(&name);
	return rc;
}

void store_files_free(struct store_file *f, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		free(f[i].name);
	free(f);
}

int store_view_read_blob(const struct store_view *v, const unsigned char oid[20],
			 struct ed_buf *out, struct ed_err *err)
{
	git_blob *blob = NULL;
	git_oid id;

	git_oid_fromraw(&id, oid);
	if (git_blob_lookup(&blob, v->repo, &id) < 0)
		return ed_err_git(err, "cannot read blob %s",
				  git_oid_tostr_s(&id));
	ed_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return 0;
}

/* hosts/<env> of v as a tree (*out NULL when absent); ED_EGIT. */
static int env_tree(git_tree **out, const struct store_view *v,
		    const char *path, struct ed_err *err)
{
	git_tree_entry *te = NULL;
	int rc = 0;

	*out = NULL;
	if (git_tree_entry_bypath(&te, v->tree, path) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_TREE)
		goto out;
	if (git_tree_lookup(out, v->repo, git_tree_entry_id(te)) < 0)
		rc = ed_err_git(err, "%s: cannot read %s", v->hex, path);
out:
	git_tree_entry_free(te);
	return rc;
}

static size_t tree_count(const git_tree *t)
{
	return t ? git_tree_entrycount(t) : 0;
}

int store_view_env_moved(const struct store_view *v,
			 const struct store_view *other, const char *env,
			 struct ed_strvec *out, struct ed_err *err)
{
	struct ed_buf p = ED_BUF_INIT, name = ED_BUF_INIT;
	git_tree *t[2] = { NULL, NULL };
	size_t i[2] = { 0, 0 };
	int rc;

	ed_buf_adds(&p, "hosts/");
	store_escape_name(&p, env, strlen(env));
	rc = env_tree(&t[0], other, p.ptr, err);
	if (!rc)
		rc = env_tree(&t[1], v, p.ptr, err);
	if (rc < 0 ||
	    (t[0] && t[1] && git_oid_equal(git_tree_id(t[0]), git_tree_id(t[1]))))
		goto out;
	/* both lists are in git's entry order: one merge finds what moved */
	while (!rc && (i[0] < tree_count(t[0]) || i[1] < tree_count(t[1]))) {
		const git_tree_entry *e0 =
			i[0] < tree_count(t[0]) ?
				git_tree_entry_byindex(t[0], i[0]) :
				NULL;
		const git_tree_entry *e1 =
			i[1] < tree_count(t[1]) ?
				git_tree_entry_byindex(t[1], i[1]) :
				NULL;
		const git_tree_entry *moved = NULL;
		int c = !e0 ? 1 : !e1 ? -1 : git_tree_entry_cmp(e0, e1);

		if (c < 0) {
			moved = e0;
			i[0]++;
		} else if (c > 0) {
			moved = e1;
			i[1]++;
		} else {
			if (!git_oid_equal(git_tree_entry_id(e0),
					   git_tree_entry_id(e1)))
				moved = e1;
			i[0]++;
			i[1]++;
		}
		if (!moved)
			continue;
		ed_buf_reset(&name);
		rc = store_unescape_name(&name, git_tree_entry_name(moved), err);
		if (!rc)
			ed_strvec_take(out, ed_buf_detach(&name, NULL));
	}
out:
	git_tree_free(t[0]);
	git_tree_free(t[1]);
	ed_buf_release(&p);
	ed_buf_release(&name);
	return rc;
}
