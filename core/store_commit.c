/*
 * Commits: updates applied to an overlay of the branch tip (a host found
 * elsewhere is moved, its kept entries carried over); only objects the
 * odb lacks are written, as one pack or a few loose objects; then the
 * branch moves by compare-and-swap, so a kill leaves old or new intact.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"

void store_result_release(struct store_result *res)
{
	ed_strvec_release(&res->moved);
	ed_strvec_release(&res->notes);
}

/* Find the env holding host (escaped names); *env_out is malloc'd or NULL. */
static int find_host(char **env_out, struct mtree *hosts, git_repository *repo,
		     const char *host, struct ed_err *err)
{
	size_t i;
	int rc;

	*env_out = NULL;
	for (i = 0; i < hosts->nr; i++) {
		struct mtree *env;

		if (hosts->e[i].mode != MODE_TREE)
			continue;
		rc = mtree_subdir(&env, hosts, repo, hosts->e[i].name, 0, err);
		if (rc < 0)
			return rc;
		if (env && mtree_find(env, host)) {
			*env_out = ed_xstrdup(hosts->e[i].name);
			return 0;
		}
	}
	return 0;
}

static void format_commit(struct ed_buf *b, const git_oid *tree,
			  const git_oid *parent, const char *subject,
			  const struct ed_strvec *trailers,
			  const struct ed_strvec *moved)
{
	char hex[GIT_OID_HEXSZ + 1];
	long long now = (long long)time(NULL);
	size_t i;

	ed_buf_addf(b, "tree %s\n", git_oid_tostr(hex, sizeof(hex), tree));
	if (parent)
		ed_buf_addf(b, "parent %s\n",
			    git_oid_tostr(hex, sizeof(hex), parent));
	ed_buf_addf(b, "author envdrift <envdrift@localhost> %lld +0000\n", now);
	ed_buf_addf(b, "committer envdrift <envdrift@localhost> %lld +0000\n",
		    now);
	ed_buf_addf(b, "\n%s\n", subject);
	if ((trailers && trailers->nr) || moved->nr)
		ed_buf_addch(b, '\n');
	for (i = 0; trailers && i < trailers->nr; i++)
		ed_buf_addf(b, "%s\n", trailers->v[i]);
	for (i = 0; i < moved->nr; i++)
		ed_buf_addf(b, "Envdrift-Moved: %s\n", moved->v[i]);
}

/*
 * The branch tip (*have_tip 0 for a new branch) and its tree as an overlay
 * in *root (an empty one for a new branch), marked dirty.
 */
static int load_tip_tree(struct store *st, struct mtree **root, git_oid *tip,
			 int *have_tip, git_oid *old_tree, struct ed_err *err)
{
	git_commit *parent = NULL;
	int rc;

	*root = NULL;
	rc = store_read_tip(st->repo, tip, have_tip, err);
	if (rc < 0)
		return rc;
	if (*have_tip) {
		if (git_commit_lookup(&parent, st->repo, tip) < 0)
			return ed_err_git(err, "cannot read %s", STORE_BRANCH);
		git_oid_cpy(old_tree, git_commit_tree_id(parent));
		git_commit_free(parent);
		rc = mtree_load(root, st->repo, old_tree, err);
		if (rc < 0)
			return rc;
	} else {
		*root = mtree_new();
	}
	(*root)->dirty = 1;
	return 0;
}

/*
 * Add the commit of tree (parent: NULL for a new branch) to pb, write pb
 * (pack or loose objects, fsynced), then move branch from tip (NULL: a new
 * branch) to the commit by compare-and-swap. parent is tip, or a commit
 * of pb on top of it (the format commit).
 */
static int publish(struct store *st, struct pack_batch *pb, const char *branch,
		   const git_oid *tree, const git_oid *parent, const git_oid *tip,
		   const char *subject, const struct ed_strvec *trailers,
		   const struct ed_strvec *moved, git_oid *commit_out,
		   struct ed_err *err)
{
	struct ed_buf body = ED_BUF_INIT, objects = ED_BUF_INIT;
	struct ed_strvec none = ED_STRVEC_INIT;
	git_reference *ref = NULL;
	int rc;

	format_commit(&body, tree, parent, subject, trailers,
		      moved ? moved : &none);
	pack_batch_add(pb, commit_out, st->odb, GIT_OBJECT_COMMIT, body.ptr,
		       body.len);
	ed_buf_addf(&objects, "%sobjects", git_repository_path(st->repo));
	rc = pack_batch_write(pb, st->odb, objects.ptr, NULL, err);
	if (rc < 0)
		goto out;
	/* compare-and-swap: fails if anyone moved the branch since we read it */
	if (tip)
		rc = git_reference_create_matching(&ref, st->repo, branch,
						   commit_out, 1, tip, subject);
	else
		rc = git_reference_create(&ref, st->repo, branch, commit_out, 0,
					  subject);
	if (rc < 0)
		rc = ed_err_git(err, "%s: cannot update %s", st->path, branch);
out:
	git_reference_free(ref);
	ed_buf_release(&body);
	ed_buf_release(&objects);
	return rc;
}

/*
 * Record the writer's marker (.envdrift/: key fingerprint, settings) in
 * root, the overlay of tip's tree old_tree, after checking the tip's
 * marker agrees (again: it may have changed since store_open). A tip
 * without a marker (a repository from an older release) gets it in a
 * commit of its own first, *parent; drift age and reports see no host
 * change in it. A writer that checked no key and no settings (forget,
 * report --commit) leaves the marker as it is.
 */
static int stage_marker(struct store *st, struct mtree *root,
			struct pack_batch *pb, const git_oid *tip,
			git_oid *parent, git_oid *old_tree, struct ed_err *err)
{
	struct store_marker m;
	struct ed_buf fmt = ED_BUF_INIT, body = ED_BUF_INIT;
	struct ed_strvec tr = ED_STRVEC_INIT, none = ED_STRVEC_INIT;
	struct mtree *dir = NULL;
	struct mentry *me;
	const char *settings;
	git_tree *tree = NULL;
	git_oid dir_id;
	int rc = 0;

	memset(&m, 0, sizeof(m));
	if (!root)
		ED_BUG("stage_marker without a tree");
	if (tip) {
		git_oid_cpy(parent, tip);
		if (git_tree_lookup(&tree, st->repo, old_tree) < 0)
			return ed_err_git(err, "cannot read %s", STORE_BRANCH);
		rc = store_marker_read_tree(&m, st->repo, tree, err);
		git_tree_free(tree);
		if (!rc)
			rc = store_marker_check(st, &m, err);
		if (rc < 0)
			goto out;
	}
	if (!st->key_fp[0] && !st->settings)
		goto out;
	store_marker_text(&fmt, &settings, st, &m);
	dir = mtree_new();
	me = mtree_add(dir, "format");
	me->mode = MODE_BLOB;
	pack_batch_add(pb, &me->oid, st->odb, GIT_OBJECT_BLOB, fmt.ptr, fmt.len);
	if (settings) {
		me = mtree_add(dir, "settings");
		me->mode = MODE_BLOB;
		pack_batch_add(pb, &me->oid, st->odb, GIT_OBJECT_BLOB, settings,
			       strlen(settings));
	}
	dir->dirty = 1;
	rc = mtree_write(dir, &dir_id, pb, st->odb, err);
	if (rc < 0)
		goto out;
	me = mtree_find(root, ".envdrift");
	if (me && git_oid_equal(&dir_id, &me->oid))
		goto out; /* unchanged: leave the entry alone */
	if (me)
		mtree_remove(root, ".envdrift");
	me = mtree_add(root, ".envdrift");
	me->mode = MODE_TREE;
	git_oid_cpy(&me->oid, &dir_id);
	root->dirty = 1;
	if (!tip || m.present)
		goto out; /* recorded by the writer's own commit */
	rc = mtree_write(root, old_tree, pb, st->odb, err);
	if (rc < 0)
		goto out;
	ed_strvec_push(&tr, "Envdrift-Repository-Format: 1");
	format_commit(&body, old_tree, tip,
		      "envdrift: record the repository format in .envdrift/",
		      &tr, &none);
	pack_batch_add(pb, parent, st->odb, GIT_OBJECT_COMMIT, body.ptr, body.len);
	root->dirty = 1;
out:
	mtree_free(dir);
	store_marker_release(&m);
	ed_buf_release(&fmt);
	ed_buf_release(&body);
	ed_strvec_release(&tr);
	return rc;
}

int store_commit(struct store *st, struct store_result *res,
		 const struct store_update *ups, size_t nr, const char *subject,
		 const struct ed_strvec *trailers, struct ed_err *err)
{
	struct pack_batch *pb = st->pending ? st->pending : pack_batch_new();
	struct mtree *root = NULL, *hosts = NULL, *env = NULL;
	struct kept_list kept = { NULL, 0, 0 };
	struct ed_buf ename = ED_BUF_INIT, hname = ED_BUF_INIT;
	git_oid tip, parent, tree_id, old_tree, commit_id;
	int have_tip, rc;
	size_t i;

	st->pending = NULL;         /* this commit owns (and frees) the batch */
	pack_batch_allow_loose(pb); /* no-op unless still empty */
	if (st->lock_fd < 0)
		ED_BUG("store_commit without store_lock");
	memset(res, 0, sizeof(*res));
	ed_strvec_init(&res->moved);
	ed_strvec_init(&res->notes);
	rc = load_tip_tree(st, &root, &tip, &have_tip, &old_tree, err);
	if (rc < 0)
		goto out;
	rc = stage_marker(st, root, pb, have_tip ? &tip : NULL, &parent,
			  &old_tree, err);
	if (rc < 0)
		goto out;
	if (have_tip)
		git_oid_tostr(res->parent, sizeof(res->parent), &parent);
	rc = mtree_subdir(&hosts, root, st->repo, "hosts", 1, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < nr; i++) {
		char *old_env = NULL;

		ed_buf_reset(&ename);
		ed_buf_reset(&hname);
		store_escape_name(&ename, ups[i].env, strlen(ups[i].env));
		store_escape_name(&hname, ups[i].host, strlen(ups[i].host));
		rc = find_host(&old_env, hosts, st->repo, hname.ptr, err);
		if (rc < 0)
			goto out;
		if (old_env) {
			struct mtree *oe, *oldhost = NULL;

			rc = mtree_subdir(&oe, hosts, st->repo, old_env, 0, err);
			if (!rc)
				rc = mtree_subdir(&oldhost, oe, st->repo,
						  hname.ptr, 0, err);
			if (rc < 0) {
				free(old_env);
				goto out;
			}
			if (ups[i].snap && ups[i].snap->keep.nr)
				rc = kept_carry_over(&kept, oldhost, st->repo,
						     ups[i].snap, err);
			if (rc < 0) {
				free(old_env);
				goto out;
			}
			mtree_remove(oe, hname.ptr);
			hosts->dirty = 1;
			if (ups[i].snap && strcmp(old_env, ename.ptr))
				ed_strvec_pushf(&res->moved, "%s/%s -> %s/%s",
						old_env, ups[i].host,
						ups[i].env, ups[i].host);
			free(old_env);
		}
		if (!ups[i].snap)
			continue;
		rc = mtree_subdir(&env, hosts, st->repo, ename.ptr, 1, err);
		if (rc < 0)
			goto out;
		{
			struct mentry *me = mtree_add(env, hname.ptr);

			me->mode = MODE_TREE;
			rc = mtree_from_snapshot(&me->sub, ups[i].snap, pb,
						 st->odb, err);
			if (rc < 0)
				goto out;
			kept_plant(me->sub, &kept);
			kept_release(&kept);
		}
		hosts->dirty = 1;
	}
	root->dirty = 1;
	rc = mtree_write(root, &tree_id, pb, st->odb, err);
	if (rc < 0)
		goto out;
	res->tree_unchanged = have_tip && git_oid_equal(&tree_id, &old_tree);
	rc = publish(st, pb, STORE_BRANCH, &tree_id, have_tip ? &parent : NULL,
		     have_tip ? &tip : NULL, subject, trailers, &res->moved,
		     &commit_id, err);
	res->new_objects = pack_batch_count(pb);
	res->pack_bytes = pack_batch_packed_size(pb);
	if (rc < 0)
		goto out;
	git_oid_tostr(res->commit, sizeof(res->commit), &commit_id);
	{
		/* the commit has landed; a failed repack is retried next time */
		struct ed_err cerr = ED_ERR_INIT;

		if (store_consolidate(st, &cerr) < 0)
			ed_strvec_pushf(&res->notes,
					"pack consolidation failed: %s",
					cerr.msg);
	}
out:
	mtree_free(root);
	kept_release(&kept);
	pack_batch_free(pb);
	ed_buf_release(&ename);
	ed_buf_release(&hname);
	return rc;
}

int store_commit_dir(struct store *st, char commit_out[41], const char *dir,
		     const struct snapshot *files, const char *subject,
		     const struct ed_strvec *trailers, int *unchanged,
		     struct ed_err *err)
{
	struct pack_batch *pb = pack_batch_new();
	struct mtree *root = NULL, *sub = NULL;
	git_oid tip, parent, tree_id, old_tree, commit_id;
	struct mentry *me;
	int have_tip, rc;

	if (st->lock_fd < 0)
		ED_BUG("store_commit_dir without store_lock");
	*unchanged = 0;
	pack_batch_allow_loose(pb);
	rc = load_tip_tree(st, &root, &tip, &have_tip, &old_tree, err);
	if (rc < 0)
		goto out;
	rc = stage_marker(st, root, pb, have_tip ? &tip : NULL, &parent,
			  &old_tree, err);
	if (rc < 0)
		goto out;
	mtree_remove(root, dir);
	rc = mtree_from_snapshot(&sub, files, pb, st->odb, err);
	if (rc < 0)
		goto out;
	me = mtree_add(root, dir);
	me->mode = MODE_TREE;
	me->sub = sub;
	sub = NULL;
	rc = mtree_write(root, &tree_id, pb, st->odb, err);
	if (rc < 0)
		goto out;
	if (have_tip && git_oid_equal(&tree_id, &old_tree)) {
		*unchanged = 1; /* nothing new to say: no commit */
		git_oid_tostr(commit_out, 41, &tip);
		goto out;
	}
	rc = publish(st, pb, STORE_BRANCH, &tree_id, have_tip ? &parent : NULL,
		     have_tip ? &tip : NULL, subject, trailers, NULL,
		     &commit_id, err);
	if (!rc)
		git_oid_tostr(commit_out, 41, &commit_id);
out:
	mtree_free(root);
	mtree_free(sub);
	pack_batch_free(pb);
	return rc;
}

int store_commit_subtrees(struct store *st, struct store_result *res,
			  const struct store_subtree *v, size_t nr,
			  const char *subject, const struct ed_strvec *trailers,
			  struct ed_err *err)
{
	struct pack_batch *pb = pack_batch_new();
	struct mtree *root = NULL;
	struct ed_buf ename = ED_BUF_INIT, hname = ED_BUF_INIT;
	git_oid tip, parent, tree_id, old_tree, commit_id, id;
	int have_tip, rc;
	size_t i;

	if (st->lock_fd < 0)
		ED_BUG("store_commit_subtrees without store_lock");
	memset(res, 0, sizeof(*res));
	ed_strvec_init(&res->moved);
	ed_strvec_init(&res->notes);
	pack_batch_allow_loose(pb);
	rc = load_tip_tree(st, &root, &tip, &have_tip, &old_tree, err);
	if (!rc)
		rc = stage_marker(st, root, pb, have_tip ? &tip : NULL, &parent,
				  &old_tree, err);
	for (i = 0; !rc && i < nr; i++) {
		if (git_oid_fromstr(&id, v[i].tree) < 0) {
			rc = ed_err_set(err, ED_ERROR, "bad tree id '%s'",
					v[i].tree);
			break;
		}
		ed_buf_reset(&ename);
		ed_buf_reset(&hname);
		store_escape_name(&ename, v[i].env, strlen(v[i].env));
		store_escape_name(&hname, v[i].host, strlen(v[i].host));
		rc = mtree_put_host(root, st->repo, ename.ptr, hname.ptr,
				    MODE_TREE, &id, err);
	}
	if (rc < 0)
		goto out;
	root->dirty = 1;
	rc = mtree_write(root, &tree_id, pb, st->odb, err);
	if (rc < 0)
		goto out;
	res->tree_unchanged = have_tip && git_oid_equal(&tree_id, &old_tree);
	rc = publish(st, pb, STORE_BRANCH, &tree_id, have_tip ? &parent : NULL,
		     have_tip ? &tip : NULL, subject, trailers, NULL,
		     &commit_id, err);
	if (rc < 0)
		goto out;
	git_oid_tostr(res->commit, sizeof(res->commit), &commit_id);
	if (have_tip)
		git_oid_tostr(res->parent, sizeof(res->parent), &parent);
out:
	mtree_free(root);
	pack_batch_free(pb);
	ed_buf_release(&ename);
	ed_buf_release(&hname);
	return rc;
}
