/*
 * The in-memory tree overlay commits are built in. Only the subtrees an
 * update touches are loaded, so a commit's cost follows the hosts it
 * changes, not the size of the fleet; dirty trees are hashed bottom-up
 * into the commit's pack batch.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

void mtree_free(struct mtree *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++) {
		free(t->e[i].name);
		mtree_free(t->e[i].sub);
	}
	free(t->e);
	free(t);
}

struct mtree *mtree_new(void)
{
	return ed_xcalloc(1, sizeof(struct mtree));
}

int mtree_load(struct mtree **out, git_repository *repo, const git_oid *id,
	       struct ed_err *err)
{
	git_tree *tree = NULL;
	struct mtree *t;
	size_t i, n;

	*out = NULL;
	if (git_tree_lookup(&tree, repo, id) < 0)
		return ed_err_git(err, "cannot read tree %s", git_oid_tostr_s(id));
	t = mtree_new();
	n = git_tree_entrycount(tree);
	ED_ALLOC_GROW(t->e, n, t->alloc);
	for (i = 0; i < n; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(tree, i);
		struct mentry *me = &t->e[t->nr++];

		me->name = ed_xstrdup(git_tree_entry_name(te));
		me->mode = (unsigned)git_tree_entry_filemode(te);
		git_oid_cpy(&me->oid, git_tree_entry_id(te));
		me->sub = NULL;
	}
	git_tree_free(tree);
	*out = t;
	return 0;
}

struct mentry *mtree_find(struct mtree *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->e[i].name, name))
			return &t->e[i];
	return NULL;
}

struct mentry *mtree_add(struct mtree *t, const char *name)
{
	struct mentry *me;

	ED_ALLOC_GROW(t->e, t->nr + 1, t->alloc);
	me = &t->e[t->nr++];
	memset(me, 0, sizeof(*me));
	me->name = ed_xstrdup(name);
	t->dirty = 1;
	return me;
}

void mtree_remove(struct mtree *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nr; i++) {
		if (strcmp(t->e[i].name, name))
			continue;
		free(t->e[i].name);
		mtree_free(t->e[i].sub);
		memmove(&t->e[i], &t->e[i + 1], (t->nr - i - 1) * sizeof(*t->e));
		t->nr--;
		t->dirty = 1;
		return;
	}
}

/* The subtree named name, loaded or created; NULL with err if a blob is there. */
int mtree_subdir(struct mtree **out, struct mtree *t, git_repository *repo,
		 const char *name, int create, struct ed_err *err)
{
	struct mentry *me = mtree_find(t, name);
	int rc;

	*out = NULL;
	if (!me) {
		if (!create)
			return 0;
		me = mtree_add(t, name);
		me->mode = MODE_TREE;
		me->sub = mtree_new();
		me->sub->dirty = 1;
	} else if (me->mode != MODE_TREE) {
		return ed_err_set(err, ED_ERROR,
				  "state repository: '%s' is not a directory",
				  name);
	} else if (!me->sub) {
		rc = mtree_load(&me->sub, repo, &me->oid, err);
		if (rc < 0)
			return rc;
	}
	*out = me->sub;
	return 0;
}

/* git's tree order: names compare as if directories ended in '/'. */
static int entry_cmp(const void *a, const void *b)
{
	const struct mentry *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);
	size_t n = lx < ly ? lx : ly;
	int c = memcmp(x->name, y->name, n);
	unsigned char cx, cy;

	if (c)
		return c;
	cx = (unsigned char)(n < lx ? x->name[n] :
				      (x->mode == MODE_TREE ? '/' : 0));
	cy = (unsigned char)(n < ly ? y->name[n] :
				      (y->mode == MODE_TREE ? '/' : 0));
	return (int)cx - (int)cy;
}

int mtree_put_host(struct mtree *root, git_repository *repo, const char *env,
		   const char *host, unsigned mode, const git_oid *id,
		   struct ed_err *err)
{
	struct mtree *hosts = NULL, *e = NULL;
	struct mentry *me;
	size_t i;
	int rc;

	rc = mtree_subdir(&hosts, root, repo, "hosts", 1, err);
	for (i = 0; !rc && i < hosts->nr; i++) {
		if (hosts->e[i].mode != MODE_TREE)
			continue;
		rc = mtree_subdir(&e, hosts, repo, hosts->e[i].name, 0, err);
		if (!rc && e && mtree_find(e, host)) {
			mtree_remove(e, host);
			hosts->dirty = 1;
		}
	}
	if (rc < 0 || !id)
		return rc;
	rc = mtree_subdir(&e, hosts, repo, env, 1, err);
	if (rc < 0)
		return rc;
	me = mtree_add(e, host);
	me->mode = mode;
	git_oid_cpy(&me->oid, id);
	hosts->dirty = 1;
	return 0;
}

/* Write dirty subtrees bottom-up; *out gets t's id. Empty subtrees vanish. */
int mtree_write(struct mtree *t, git_oid *out, struct pack_batch *pb,
		git_odb *odb, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < t->nr; i++) {
		struct mentry *me = &t->e[i];

		if (!me->sub || !me->sub->dirty)
			continue;
		t->dirty = 1;
		rc = mtree_write(me->sub, &me->oid, pb, odb, err);
		if (rc < 0)
			goto out;
		if (!me->sub->nr) {
			mtree_remove(t, me->name);
			i--;
		}
	}
	if (t->nr > 1)
		qsort(t->e, t->nr, sizeof(*t->e), entry_cmp);
	for (i = 0; i < t->nr; i++) {
		ed_buf_addf(&b, "%o %s", t->e[i].mode, t->e[i].name);
		ed_buf_add(&b, "", 1);
		ed_buf_add(&b, t->e[i].oid.id, GIT_OID_RAWSZ);
	}
	pack_batch_add(pb, out, odb, GIT_OBJECT_TREE, b.ptr, b.len);
	t->dirty = 0;
out:
	ed_buf_release(&b);
	return rc;
}

/*
 * Build the overlay of one host snapshot. Entries come sorted by path, so
 * the directory of the previous entry is reused when it is the same.
 * Contents already stored through the sink (or a stat cache) must exist:
 * ED_ENOTFOUND names the first one that does not.
 */
int mtree_from_snapshot(struct mtree **out, const struct snapshot *snap,
			struct pack_batch *pb, git_odb *odb, struct ed_err *err)
{
	struct mtree *root = mtree_new(), *prev_t = root;
	struct ed_buf name = ED_BUF_INIT;
	size_t i, prev_dirlen = 0;
	const char *prev_path = "";
	int rc = 0;

	*out = NULL;
	root->dirty = 1;
	for (i = 0; i < snap->nr; i++) {
		const struct snapshot_entry *se = &snap->entries[i];
		const char *p = se->path, *last = strrchr(p, '/');
		size_t dirlen = last ? (size_t)(last - p) + 1 : 0;
		struct mtree *t = root;
		struct mentry *me;

		if (dirlen && dirlen == prev_dirlen &&
		    !memcmp(p, prev_path, dirlen)) {
			t = prev_t;
			p += dirlen;
		}
		for (;;) {
			const char *slash = strchr(p, '/');
			size_t n = slash ? (size_t)(slash - p) : strlen(p);

			ed_buf_reset(&name);
			store_escape_name(&name, p, n);
			if (!slash)
				break;
			me = mtree_find(t, name.ptr);
			if (!me) {
				me = mtree_add(t, name.ptr);
				me->mode = MODE_TREE;
				me->sub = mtree_new();
				me->sub->dirty = 1;
			} else if (!me->sub) {
				ED_BUG("snapshot path '%s' is both file and directory",
				       se->path);
			}
			t = me->sub;
			p = slash + 1;
		}
		prev_t = t;
		prev_path = se->path;
		prev_dirlen = dirlen;
		me = mtree_add(t, name.ptr);
		me->mode = MODE_BLOB;
		if (!se->has_oid) {
			pack_batch_add(pb, &me->oid, odb, GIT_OBJECT_BLOB,
				       se->data, se->len);
			continue;
		}
		git_oid_fromraw(&me->oid, se->oid);
		if (!pack_batch_contains(pb, &me->oid) &&
		    !git_odb_exists_ext(odb, &me->oid, GIT_ODB_LOOKUP_NO_REFRESH) &&
		    !git_odb_exists(odb, &me->oid)) {
			rc = ed_err_set(err, ED_ENOTFOUND,
					"stored content of '%s' (%s) is missing from the repository",
					se->path, git_oid_tostr_s(&me->oid));
			break;
		}
	}
	ed_buf_release(&name);
	if (rc < 0) {
		mtree_free(root);
		return rc;
	}
	*out = root;
	return 0;
}
