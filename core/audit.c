/*
 * The secret audit of a repository (core/audit.h). Paths first: every ref,
 * every commit reachable from it, every tree once (a tree seen before is
 * not walked again, so the cost follows distinct trees, not history
 * length), recording the first path of each blob. Then every object of the
 * object database, reachable or not, through the detectors.
 */
#include "core/audit.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/glob.h"

/* oid -> first path, open addressing on the oid's first bytes */
struct path_map {
	struct path_slot {
		git_oid id;
		char *path; /* NULL: empty slot */
	} * slots;
	size_t nr, cap; /* cap is a power of two */
};

static size_t oid_hash(const git_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h;
}

static struct path_slot *map_slot(const struct path_map *m, const git_oid *id)
{
	size_t i = oid_hash(id) & (m->cap - 1);

	while (m->slots[i].path && git_oid_cmp(&m->slots[i].id, id))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

/* 1 if id was new (and is now recorded with path), 0 if already there. */
static int map_add(struct path_map *m, const git_oid *id, const char *path)
{
	struct path_slot *s;

	if ((m->nr + 1) * 2 > m->cap) {
		struct path_map bigger;
		size_t i;

		bigger.cap = m->cap ? m->cap * 2 : 1024;
		bigger.nr = 0;
		bigger.slots = ed_xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].path) {
				*map_slot(&bigger, &m->slots[i].id) = m->slots[i];
				bigger.nr++;
			}
		free(m->slots);
		*m = bigger;
	}
	s = map_slot(m, id);
	if (s->path)
		return 0;
	git_oid_cpy(&s->id, id);
	s->path = ed_xstrdup(path);
	m->nr++;
	return 1;
}

static void map_release(struct path_map *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slots[i].path);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* Record the blobs and subtrees of tree id below prefix ("" at the root). */
static int walk_tree(git_repository *repo, struct path_map *blobs,
		     struct path_map *trees, const git_oid *id,
		     struct ed_buf *prefix, struct ed_err *err)
{
	git_tree *t = NULL;
	size_t i, n, len = prefix->len;
	int rc = 0;

	if (!map_add(trees, id, prefix->ptr))
		return 0;
	if (git_tree_lookup(&t, repo, id) < 0)
		return ed_err_git(err, "cannot read tree %s", git_oid_tostr_s(id));
	n = git_tree_entrycount(t);
	for (i = 0; i < n && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);

		ed_buf_setlen(prefix, len);
		if (len)
			ed_buf_addch(prefix, '/');
		ed_buf_adds(prefix, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = walk_tree(repo, blobs, trees, git_tree_entry_id(e),
				       prefix, err);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
			map_add(blobs, git_tree_entry_id(e), prefix->ptr);
	}
	ed_buf_setlen(prefix, len);
	git_tree_free(t);
	return rc;
}

/* Every commit reachable from any ref, its tree walked. */
static int map_paths(git_repository *repo, struct path_map *blobs,
		     struct ed_err *err)
{
	struct path_map trees = { 0 };
	struct ed_buf prefix = ED_BUF_INIT;
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = 0;

	if (git_revwalk_new(&walk, repo) < 0)
		return ed_err_git(err, "cannot walk history");
	git_revwalk_sorting(walk, GIT_SORT_TIME);
	/* an empty repository has no refs to push: not an error */
	if (git_revwalk_push_glob(walk, "refs/*") < 0)
		goto out;
	while (!rc && !git_revwalk_next(&id, walk)) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, repo, &id) < 0) {
			rc = ed_err_git(err, "cannot read commit %s",
					git_oid_tostr_s(&id));
			break;
		}
		ed_buf_reset(&prefix);
		rc = walk_tree(repo, blobs, &trees, git_commit_tree_id(c),
			       &prefix, err);
		git_commit_free(c);
	}
out:
	git_revwalk_free(walk);
	map_release(&trees);
	ed_buf_release(&prefix);
	return rc;
}

struct audit_ctx {
	git_odb *odb;
	const struct path_map *paths;
	const struct ed_secret_finder *f;
	const struct ed_strvec *plain;
	struct ed_audit *out;
	struct ed_secret_hits hits;
	struct ed_err *err;
	int rc;
};

static void add_hits(struct audit_ctx *a, const char *where, const git_oid *id,
		     const char *data, size_t len)
{
	size_t i, line = 1, pos = 0;

	ed_secret_find(a->f, data, len, &a->hits);
	for (i = 0; i < a->hits.nr; i++) {
		struct ed_audit_hit *h;

		for (; pos < a->hits.v[i].start; pos++)
			line += data[pos] == '\n';
		ED_ALLOC_GROW(a->out->v, a->out->nr + 1, a->out->alloc);
		h = &a->out->v[a->out->nr++];
		h->where = ed_xstrdup(where);
		h->line = line;
		h->rule = a->hits.v[i].rule;
		git_oid_tostr(h->oid, sizeof(h->oid), id);
	}
	a->hits.nr = 0;
}

/*
 * 1 if path is a host's stored copy of a file in plain-files
 * (hosts/ENV/HOST/content/PATH): lines that only look like secrets.
 */
static int plain_content(const struct ed_strvec *plain, const char *path)
{
	const char *c = strstr(path, "/content/");
	size_t i;

	if (!plain || strncmp(path, "hosts/", 6) || !c)
		return 0;
	for (i = 0; i < plain->nr; i++)
		if (ed_glob_match(plain->v[i], c + 8, '/'))
			return 1;
	return 0;
}

static int audit_object(const git_oid *id, void *payload)
{
	struct audit_ctx *a = payload;
	git_odb_object *o = NULL;
	const char *data;
	size_t len;
	struct ed_buf where = ED_BUF_INIT;

	if (git_odb_read(&o, a->odb, id) < 0) {
		a->rc = ed_err_git(a->err, "cannot read object %s",
				   git_oid_tostr_s(id));
		return -1;
	}
	a->out->objects++;
	data = git_odb_object_data(o);
	len = git_odb_object_size(o);
	switch (git_odb_object_type(o)) {
	case GIT_OBJECT_BLOB: {
		const struct path_slot *s =
			a->paths->cap ? map_slot(a->paths, id) : NULL;

		a->out->blobs++;
		a->out->bytes += len;
		if (s && s->path)
			ed_buf_adds(&where, s->path);
		else
			ed_buf_addf(&where, "(unreachable blob %.12s)",
				    git_oid_tostr_s(id));
		if (!plain_content(a->plain, where.ptr))
			add_hits(a, where.ptr, id, data, len);
		break;
	}
	case GIT_OBJECT_COMMIT:
	case GIT_OBJECT_TAG:
		/* the message and trailers; the header holds only ids and names */
		ed_buf_addf(&where, "(%s %.12s)",
			    git_odb_object_type(o) == GIT_OBJECT_TAG ? "tag" :
								       "commit",
			    git_oid_tostr_s(id));
		add_hits(a, where.ptr, id, data, len);
		break;
	default:
		break;
	}
	ed_buf_release(&where);
	git_odb_object_free(o);
	return 0;
}

static int cmp_audit_hit(const void *x, const void *y)
{
	const struct ed_audit_hit *a = x, *b = y;
	int c = strcmp(a->where, b->where);

	if (c)
		return c;
	return a->line < b->line ? -1 : a->line > b->line;
}

int ed_audit_repo(struct ed_audit *out, const char *path,
		  const struct ed_secret_finder *f,
		  const struct ed_strvec *plain, struct ed_err *err)
{
	git_repository *repo = NULL;
	struct path_map blobs = { 0 };
	struct audit_ctx a;
	int rc;

	memset(&a, 0, sizeof(a));
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return ed_err_set(err, ED_ENOTFOUND, "%s: not a git repository",
				  path);
	rc = map_paths(repo, &blobs, err);
	if (rc < 0)
		goto out;
	if (git_repository_odb(&a.odb, repo) < 0) {
		rc = ed_err_git(err, "%s: cannot open the object database", path);
		goto out;
	}
	a.paths = &blobs;
	a.f = f;
	a.plain = plain;
	a.out = out;
	a.err = err;
	if (git_odb_foreach(a.odb, audit_object, &a) < 0 && !a.rc)
		a.rc = ed_err_git(err, "%s: cannot list objects", path);
	rc = a.rc;
	if (!rc && out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_audit_hit);
out:
	ed_secret_hits_release(&a.hits);
	git_odb_free(a.odb);
	map_release(&blobs);
	git_repository_free(repo);
	return rc;
}

/* Read blob or commit id and search it, named where. */
static int audit_one(struct audit_ctx *a, const git_oid *id, const char *where)
{
	git_odb_object *o = NULL;

	if (git_odb_read(&o, a->odb, id) < 0)
		return ed_err_git(a->err, "cannot read object %s",
				  git_oid_tostr_s(id));
	a->out->objects++;
	if (git_odb_object_type(o) == GIT_OBJECT_BLOB) {
		a->out->blobs++;
		a->out->bytes += git_odb_object_size(o);
	}
	if (!plain_content(a->plain, where))
		add_hits(a, where, id, git_odb_object_data(o),
			 git_odb_object_size(o));
	git_odb_object_free(o);
	return 0;
}

/*
 * Search the blobs of tree id (at prefix) that old (NULL: none) lacks at
 * the same path, skipping trees seen before.
 */
static int audit_tree_diff(struct audit_ctx *a, git_repository *repo,
			   struct path_map *seen, const git_oid *id,
			   const git_oid *old, struct ed_buf *prefix)
{
	git_tree *t = NULL, *o = NULL;
	size_t i, n, len = prefix->len;
	int rc = 0;

	if ((old && git_oid_equal(id, old)) || !map_add(seen, id, prefix->ptr))
		return 0;
	if (git_tree_lookup(&t, repo, id) < 0 ||
	    (old && git_tree_lookup(&o, repo, old) < 0)) {
		rc = ed_err_git(a->err, "cannot read tree %s",
				git_oid_tostr_s(id));
		goto out;
	}
	n = git_tree_entrycount(t);
	for (i = 0; i < n && !rc; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		const git_tree_entry *oe =
			o ? git_tree_entry_byname(o, git_tree_entry_name(e)) :
			    NULL;
		const git_oid *oid = oe ? git_tree_entry_id(oe) : NULL;

		if (oid && git_oid_equal(oid, git_tree_entry_id(e)))
			continue;
		ed_buf_setlen(prefix, len);
		if (len)
			ed_buf_addch(prefix, '/');
		ed_buf_adds(prefix, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
			rc = audit_tree_diff(a, repo, seen, git_tree_entry_id(e),
					     oe && git_tree_entry_type(
							   oe) == GIT_OBJECT_TREE ?
						     oid :
						     NULL,
					     prefix);
		else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
			 map_add(seen, git_tree_entry_id(e), prefix->ptr))
			rc = audit_one(a, git_tree_entry_id(e), prefix->ptr);
	}
out:
	ed_buf_setlen(prefix, len);
	git_tree_free(t);
	git_tree_free(o);
	return rc;
}

/* The commits tip has and base lacks, each message and new tree read. */
static int audit_commits(struct audit_ctx *a, git_repository *repo,
			 const git_oid *tip, const git_oid *base)
{
	struct path_map seen = { 0 };
	struct ed_buf prefix = ED_BUF_INIT, where = ED_BUF_INIT;
	git_commit *bc = NULL;
	git_revwalk *walk = NULL;
	const git_oid *base_tree = NULL;
	git_oid id;
	int rc = 0;

	if (base && git_commit_lookup(&bc, repo, base) == 0)
		base_tree = git_commit_tree_id(bc);
	if (git_revwalk_new(&walk, repo) < 0 || git_revwalk_push(walk, tip) < 0 ||
	    (bc && git_revwalk_hide(walk, base) < 0)) {
		rc = ed_err_git(a->err, "cannot walk history");
		goto out;
	}
	while (!rc && !git_revwalk_next(&id, walk)) {
		git_commit *c = NULL;

		if (git_commit_lookup(&c, repo, &id) < 0) {
			rc = ed_err_git(a->err, "cannot read commit %s",
					git_oid_tostr_s(&id));
			break;
		}
		ed_buf_reset(&where);
		ed_buf_addf(&where, "(commit %.12s)", git_oid_tostr_s(&id));
		rc = audit_one(a, &id, where.ptr);
		ed_buf_reset(&prefix);
		if (!rc)
			rc = audit_tree_diff(a, repo, &seen,
					     git_commit_tree_id(c), base_tree,
					     &prefix);
		git_commit_free(c);
	}
out:
	git_revwalk_free(walk);
	git_commit_free(bc);
	map_release(&seen);
	ed_buf_release(&prefix);
	ed_buf_release(&where);
	return rc;
}

int ed_audit_unpublished(struct ed_audit *out, const char *path, const char *tip,
			 const char *base, const struct ed_secret_finder *f,
			 const struct ed_strvec *plain, struct ed_err *err)
{
	git_repository *repo = NULL;
	struct audit_ctx a;
	git_oid tip_id, base_id;
	int rc;

	memset(&a, 0, sizeof(a));
	if (git_oid_fromstr(&tip_id, tip) < 0 ||
	    (base && git_oid_fromstr(&base_id, base) < 0))
		return ed_err_set(err, ED_ERROR, "bad commit id");
	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH,
				    NULL) < 0)
		return ed_err_set(err, ED_ENOTFOUND, "%s: not a git repository",
				  path);
	if (git_repository_odb(&a.odb, repo) < 0) {
		rc = ed_err_git(err, "%s: cannot open the object database", path);
		goto out;
	}
	a.f = f;
	a.plain = plain;
	a.out = out;
	a.err = err;
	rc = audit_commits(&a, repo, &tip_id, base ? &base_id : NULL);
	if (!rc && out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_audit_hit);
out:
	ed_secret_hits_release(&a.hits);
	git_odb_free(a.odb);
	git_repository_free(repo);
	return rc;
}

void ed_audit_release(struct ed_audit *a)
{
	size_t i;

	for (i = 0; i < a->nr; i++)
		free(a->v[i].where);
	free(a->v);
	memset(a, 0, sizeof(*a));
}
