/*
 * State repository on libgit2. New objects are hashed in memory and only
 * those the odb lacks are packed (an unchanged re-collect writes just the
 * commit). Trees are edited through an in-memory overlay that loads only
 * the subtrees an update touches, so cost follows the hosts collected, not
 * the size of the fleet. Packs are consolidated when they pile up, since
 * per-object lookup cost grows with the pack count (doc/DESIGN-NOTES.md §1.4).
 */
#include "core/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/hmac.h"
#include "core/pack.h"

struct store_sink {
	struct snapshot_sink base;
	struct store *st;
};

static int sink_put(struct snapshot_sink *sink, const void *data, size_t len,
		    unsigned char oid[20], struct ed_err *err)
{
	struct store *st = ((struct store_sink *)sink)->st;
	git_oid id;

	(void)err;
	pack_batch_add(st->pending, &id, st->odb, GIT_OBJECT_BLOB, data, len);
	memcpy(oid, id.id, 20);
	return 0;
}

void store_cache_path(const struct store *st, struct ed_buf *out,
		      const char *host)
{
	ed_buf_addf(out, "%senvdrift-cache/", git_repository_path(st->repo));
	store_escape_name(out, host, strlen(host));
}

struct snapshot_sink *store_content_sink(struct store *st)
{
	if (!st->pending) {
		st->pending = pack_batch_new();
		pack_batch_allow_loose(st->pending);
	}
	if (!st->sink) {
		st->sink = ed_xcalloc(1, sizeof(*st->sink));
		st->sink->base.put = sink_put;
		st->sink->st = st;
	}
	return &st->sink->base;
}

void store_result_release(struct store_result *res)
{
	ed_strvec_release(&res->moved);
	ed_strvec_release(&res->notes);
}

static int set_config(git_repository *repo, const char *key, const char *val,
		      struct ed_err *err)
{
	git_config *cfg = NULL;
	int rc = 0;

	if (git_repository_config(&cfg, repo) < 0 ||
	    git_config_set_string(cfg, key, val) < 0)
		rc = ed_err_git(err, "cannot set %s", key);
	git_config_free(cfg);
	return rc;
}

static int get_config(struct ed_buf *out, git_repository *repo,
		      const char *key)
{
	git_config *cfg = NULL;
	git_buf b = { NULL, 0, 0 };
	int rc;

	rc = git_repository_config_snapshot(&cfg, repo);
	if (!rc)
		rc = git_config_get_string_buf(&b, cfg, key);
	if (!rc)
		ed_buf_add(out, b.ptr, b.size);
	git_buf_dispose(&b);
	git_config_free(cfg);
	return rc;
}

int store_init(const char *path, int shared_group, struct ed_err *err)
{
	git_repository_init_options opts;
	git_repository *repo = NULL;
	DIR *d;
	int rc = 0;

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);

	d = opendir(path);
	if (d) {
		struct dirent *de;

		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
				closedir(d);
				return ed_err_set(err, ED_ERROR,
						  "%s: already exists and is not empty",
						  path);
			}
		closedir(d);
	} else if (errno != ENOENT) {
		return ed_err_errno(err, ED_EIO, errno, "%s", path);
	} else if (mkdir(path, shared_group ? 02750 : 0700) < 0) {
		return ed_err_errno(err, ED_EIO, errno, "%s: cannot create",
				    path);
	}
	if (chmod(path, shared_group ? 02750 : 0700) < 0)
		return ed_err_errno(err, ED_EIO, errno, "%s: chmod", path);
	opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	/* group-readable, not group-writable: pipelines only read */
	opts.mode = shared_group ? 02750 : GIT_REPOSITORY_INIT_SHARED_UMASK;
	opts.initial_head = "main";
	opts.description = "envdrift state repository\n";
	if (git_repository_init_ext(&repo, path, &opts) < 0)
		return ed_err_git(err, "%s: cannot create repository", path);
	rc = set_config(repo, "envdrift.version", "1", err);
	if (!rc)
		rc = set_config(repo, "gc.auto", "0", err); /* envdrift packs itself */
	git_repository_free(repo);
	return rc;
}

int store_open(struct store **out, const char *path, struct ed_err *err)
{
	struct store *st = ed_xcalloc(1, sizeof(*st));
	struct ed_buf v = ED_BUF_INIT;
	int rc = 0;

	*out = NULL;
	st->lock_fd = -1;
	st->path = ed_xstrdup(path);
	if (git_repository_open_ext(&st->repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH |
				    GIT_REPOSITORY_OPEN_BARE, NULL) < 0) {
		const git_error *ge = git_error_last();

		rc = ed_err_set(err, ED_ENOTFOUND,
				"%s: not an envdrift state repository (%s); create one with 'envdrift init'",
				path, ge && ge->message ? ge->message : "cannot open");
		goto out;
	}
	if (get_config(&v, st->repo, "envdrift.version") < 0) {
		rc = ed_err_set(err, ED_ENOTFOUND,
				"%s: a git repository, but not an envdrift state repository (no envdrift.version)",
				path);
		goto out;
	}
	if (strcmp(v.ptr, "1")) {
		rc = ed_err_set(err, ED_ERROR,
				"%s: unsupported envdrift repository version '%s'",
				path, v.ptr);
		goto out;
	}
	if (git_repository_odb(&st->odb, st->repo) < 0) {
		rc = ed_err_git(err, "%s", path);
		goto out;
	}
	*out = st;
	st = NULL;
out:
	ed_buf_release(&v);
	store_free(st);
	return rc;
}

void store_free(struct store *st)
{
	if (!st)
		return;
	store_unlock(st);
	pack_batch_free(st->pending);
	free(st->sink);
	git_odb_free(st->odb);
	git_repository_free(st->repo);
	free(st->path);
	free(st);
}

git_repository *store_repository(struct store *st)
{
	return st->repo;
}

/*
 * Unlink gitdir/dir/prefix* left by a writer killed mid-write. Only called
 * under the writer lock: every writer makes these under it, so any found
 * then are orphans. Failures only cost disk space.
 */
static void remove_stale_tmp(const char *gitdir, const char *dir,
			     const char *prefix)
{
	struct ed_buf path = ED_BUF_INIT;
	size_t plen = strlen(prefix), base;
	struct dirent *de;
	DIR *d;

	ed_buf_addf(&path, "%s%s/", gitdir, dir);
	base = path.len;
	d = opendir(path.ptr);
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, prefix, plen))
			continue;
		ed_buf_setlen(&path, base);
		ed_buf_adds(&path, de->d_name);
		unlink(path.ptr);
	}
	if (d)
		closedir(d);
	ed_buf_release(&path);
}

int store_lock(struct store *st, unsigned timeout_ms, struct ed_err *err)
{
	struct ed_buf p = ED_BUF_INIT;
	const char *gitdir = git_repository_path(st->repo);
	unsigned waited = 0;
	int rc = 0;

	if (st->lock_fd >= 0)
		return 0;
	ed_buf_addf(&p, "%senvdrift.lock", gitdir);
	st->lock_fd = open(p.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s", p.ptr);
		goto out;
	}
	while (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			rc = ed_err_errno(err, ED_EIO, errno, "%s: lock", p.ptr);
			goto fail;
		}
		if (waited >= timeout_ms) {
			rc = ed_err_set(err, ED_ELOCKED,
					"%s: another envdrift is writing this repository; gave up after %u ms (see --lock-timeout)",
					st->path, timeout_ms);
			goto fail;
		}
		nanosleep(&ts, NULL);
		waited += 50;
	}
	/*
	 * We hold the writer lock, so a branch .lock left by a killed
	 * writer is stale: libgit2 would refuse the update forever.
	 */
	ed_buf_reset(&p);
	ed_buf_addf(&p, "%s%s.lock", gitdir, STORE_BRANCH);
	if (unlink(p.ptr) < 0 && errno != ENOENT) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s: stale lock", p.ptr);
		goto fail;
	}
	/* so are the temporary files only a writer makes */
	remove_stale_tmp(gitdir, "objects", "tmp_object_git2_");
	remove_stale_tmp(gitdir, "objects/pack", "tmp_pack_");
	remove_stale_tmp(gitdir, "objects/pack", "tmp_idx_");
	goto out;
fail:
	close(st->lock_fd);
	st->lock_fd = -1;
out:
	ed_buf_release(&p);
	return rc;
}

void store_unlock(struct store *st)
{
	if (st->lock_fd >= 0) {
		close(st->lock_fd);
		st->lock_fd = -1;
	}
}

int store_check_key(struct store *st, struct ed_hmac *key, struct ed_err *err)
{
	struct ed_buf v = ED_BUF_INIT;
	char fp[65];
	int rc = 0;

	ed_hmac_fingerprint(key, fp);
	if (get_config(&v, st->repo, "envdrift.keyfingerprint") < 0)
		rc = set_config(st->repo, "envdrift.keyfingerprint", fp, err);
	else if (strcmp(v.ptr, fp))
		rc = ed_err_set(err, ED_EKEY,
				"%s: the HMAC key does not match the one this repository was created with (fingerprint %.16s..., key gives %.16s...); secrets would all look changed",
				st->path, v.ptr, fp);
	ed_buf_release(&v);
	return rc;
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
	ed_buf_addf(b, "committer envdrift <envdrift@localhost> %lld +0000\n", now);
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
 * Add the commit of tree (parent tip, NULL for a new branch) to pb, write
 * pb (pack or loose objects, fsynced), then move branch from tip to the
 * commit by compare-and-swap.
 */
static int publish(struct store *st, struct pack_batch *pb, const char *branch,
		   const git_oid *tree, const git_oid *tip, const char *subject,
		   const struct ed_strvec *trailers, const struct ed_strvec *moved,
		   git_oid *commit_out, struct ed_err *err)
{
	struct ed_buf body = ED_BUF_INIT, objects = ED_BUF_INIT;
	struct ed_strvec none = ED_STRVEC_INIT;
	git_reference *ref = NULL;
	int rc;

	format_commit(&body, tree, tip, subject, trailers, moved ? moved : &none);
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
		rc = git_reference_create(&ref, st->repo, branch, commit_out,
					  0, subject);
	if (rc < 0)
		rc = ed_err_git(err, "%s: cannot update %s", st->path, branch);
out:
	git_reference_free(ref);
	ed_buf_release(&body);
	ed_buf_release(&objects);
	return rc;
}

int store_commit(struct store *st, struct store_result *res,
		 const struct store_update *ups, size_t nr,
		 const char *subject, const struct ed_strvec *trailers,
		 struct ed_err *err)
{
	struct pack_batch *pb = st->pending ? st->pending : pack_batch_new();
	struct mtree *root = NULL, *hosts = NULL, *env = NULL;
	struct kept_list kept = { NULL, 0, 0 };
	struct ed_buf ename = ED_BUF_INIT, hname = ED_BUF_INIT;
	git_oid tip, tree_id, old_tree, commit_id;
	int have_tip, rc;
	size_t i;

	st->pending = NULL; /* this commit owns (and frees) the batch */
	pack_batch_allow_loose(pb); /* no-op unless still empty */
	if (st->lock_fd < 0)
		ED_BUG("store_commit without store_lock");
	memset(res, 0, sizeof(*res));
	ed_strvec_init(&res->moved);
	ed_strvec_init(&res->notes);
	rc = load_tip_tree(st, &root, &tip, &have_tip, &old_tree, err);
	if (rc < 0)
		goto out;
	if (have_tip)
		git_oid_tostr(res->parent, sizeof(res->parent), &tip);
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
				rc = mtree_subdir(&oldhost, oe, st->repo, hname.ptr, 0, err);
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
	rc = publish(st, pb, STORE_BRANCH, &tree_id, have_tip ? &tip : NULL,
		     subject, trailers, &res->moved, &commit_id, err);
	res->new_objects = pack_batch_count(pb);
	res->pack_bytes = pack_batch_packed_size(pb);
	if (rc < 0)
		goto out;
	git_oid_tostr(res->commit, sizeof(res->commit), &commit_id);
	{
		/* the commit has landed; a failed repack is retried next time */
		struct ed_err cerr = ED_ERR_INIT;

		if (store_consolidate(st, &cerr) < 0)
			ed_strvec_pushf(&res->notes, "pack consolidation failed: %s",
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
	git_oid tip, tree_id, old_tree, commit_id;
	struct mentry *me;
	int have_tip, rc;

	if (st->lock_fd < 0)
		ED_BUG("store_commit_dir without store_lock");
	*unchanged = 0;
	pack_batch_allow_loose(pb);
	rc = load_tip_tree(st, &root, &tip, &have_tip, &old_tree, err);
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
	rc = publish(st, pb, STORE_BRANCH, &tree_id, have_tip ? &tip : NULL,
		     subject, trailers, NULL, &commit_id, err);
	if (!rc)
		git_oid_tostr(commit_out, 41, &commit_id);
out:
	mtree_free(root);
	mtree_free(sub);
	pack_batch_free(pb);
	return rc;
}
