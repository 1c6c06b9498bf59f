/*
 * The state repository's handle, on libgit2: create a repository, open it,
 * take its writer lock, check the HMAC key, and the sink that feeds
 * collected contents to the next commit. Commits (store_commit.c), reads
 * (store_view.c, store_hosts.c) and repacking (store_repack.c) use it.
 */
#include "core/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
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

void store_cache_path(const struct store *st, struct ed_buf *out, const char *host)
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

int store_config_get(struct ed_buf *out, git_repository *repo, const char *key)
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

	git_repository_init_options_init(&opts,
					 GIT_REPOSITORY_INIT_OPTIONS_VERSION);

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
		return ed_err_errno(err, ED_EIO, errno, "%s: cannot create", path);
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

/*
 * Is the opened repository a state repository? Its branch's
 * .envdrift/format says so in any clone; a repository made by init says so
 * in its config until its first commit; a clone of a repository from
 * before the marker has hosts/ at its tip.
 */
static int recognise(struct store *st, struct ed_err *err)
{
	struct ed_buf v = ED_BUF_INIT;
	struct store_marker m;
	int rc, in_config;

	in_config = !store_config_get(&v, st->repo, "envdrift.version");
	rc = store_marker_read(&m, st, err);
	if (rc < 0) {
		ed_err_prefix(err, "%s", st->path);
		goto out;
	}
	if (in_config && strcmp(v.ptr, "1")) {
		rc = ed_err_set(err, ED_ERROR,
				"%s: unsupported envdrift repository version '%s'",
				st->path, v.ptr);
	} else if (m.present) {
		rc = store_marker_check(st, &m, err);
	} else if (!in_config && !m.has_hosts) {
		rc = ed_err_set(err, ED_ENOTFOUND,
				"%s: a git repository, but not an envdrift state repository (no .envdrift/format on main)",
				st->path);
	}
out:
	store_marker_release(&m);
	ed_buf_release(&v);
	return rc;
}

/*
 * A clone whose origin/main has commits its main lacks: the reader reads
 * main, and should know it is not the latest (it never fetches here).
 */
static void note_behind_origin(struct store *st)
{
	git_oid mine, theirs;
	size_t ahead = 0, behind = 0;

	if (git_reference_name_to_id(&theirs, st->repo,
				     "refs/remotes/origin/main") < 0 ||
	    git_reference_name_to_id(&mine, st->repo, STORE_BRANCH) < 0 ||
	    git_oid_equal(&mine, &theirs) ||
	    git_graph_ahead_behind(&ahead, &behind, st->repo, &mine, &theirs) < 0 ||
	    !behind) {
		git_error_clear();
		return;
	}
	ed_strvec_pushf(&st->notes,
			"%s: main is %zu commit%s behind origin/main; this reads main (git pull, or envdrift fetch, brings it up to date)",
			st->path, behind, behind == 1 ? "" : "s");
}

const struct ed_strvec *store_notes(const struct store *st)
{
	return &st->notes;
}

int store_open(struct store **out, const char *path, struct ed_err *err)
{
	struct store *st = ed_xcalloc(1, sizeof(*st));
	int rc = 0;

	*out = NULL;
	st->lock_fd = -1;
	st->path = ed_xstrdup(path);
	/* bare, or a clone with a work tree (never read: only its .git) */
	if (git_repository_open_ext(&st->repo, path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		const git_error *ge = git_error_last();

		rc = ed_err_set(
			err, ED_ENOTFOUND,
			"%s: not an envdrift state repository (%s); create one with 'envdrift init'",
			path, ge && ge->message ? ge->message : "cannot open");
		goto out;
	}
	rc = recognise(st, err);
	if (rc < 0)
		goto out;
	note_behind_origin(st);
	if (git_repository_odb(&st->odb, st->repo) < 0) {
		rc = ed_err_git(err, "%s", path);
		goto out;
	}
	*out = st;
	st = NULL;
out:
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
	free(st->settings);
	ed_strvec_release(&st->notes);
	free(st->path);
	free(st);
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
	struct store_marker m;
	int rc;

	ed_hmac_fingerprint(key, st->key_fp);
	rc = store_marker_read(&m, st, err);
	if (rc < 0)
		goto out;
	if (m.present && m.key_fp[0])
		rc = store_marker_check(st, &m, err);
	else if (store_config_get(&v, st->repo, "envdrift.keyfingerprint") < 0)
		rc = set_config(st->repo, "envdrift.keyfingerprint", st->key_fp,
				err);
	else if (strcmp(v.ptr, st->key_fp))
		rc = ed_err_set(err, ED_EKEY,
				"%s: the HMAC key does not match the one this repository was created with (fingerprint %.16s..., key gives %.16s...); secrets would all look changed",
				st->path, v.ptr, st->key_fp);
out:
	store_marker_release(&m);
	ed_buf_release(&v);
	return rc;
}
