/*
 * The walk of the files collector: opens every directory relative to its
 * parent's fd with O_NOFOLLOW, so nothing below the root is reached through
 * a symlink, and formats one "files" line per entry (see files.h and
 * collect_files in files.c for the format).
 */
#include "collector/files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/glob.h"
#include "core/hmac.h"

/* ---- patterns ---- */

static int has_glob_meta(const char *s)
{
	return strpbrk(s, "*?[\\") != NULL;
}

/*
 * 1 if some path below directory c->path could match an include pattern,
 * so the walk must descend. Compares component by component; a component
 * holding "**" can match any depth.
 */
static int could_match_below(struct files_ctx *c)
{
	size_t i;

	ed_buf_reset(&c->tmp);
	ed_buf_add(&c->tmp, c->path.ptr, c->path.len);
	for (i = 0; i < c->cfg->file_include.nr; i++) {
		const struct ed_strvec *pc = &c->inc_comps[i];
		char *p = c->tmp.ptr + 1; /* skip the leading '/' */
		char *end = c->tmp.ptr + c->tmp.len;
		size_t k = 0;
		int ok = 1;

		while (ok && p < end) {
			char *slash = memchr(p, '/', (size_t)(end - p));

			if (k == pc->nr) {
				ok = 0;
				break;
			}
			if (strstr(pc->v[k], "**"))
				return 1;
			if (slash)
				*slash = '\0';
			ok = ed_glob_match(pc->v[k], p, '/');
			if (slash)
				*slash = '/';
			k++;
			p = slash ? slash + 1 : end;
		}
		if (ok && k < pc->nr)
			return 1;
	}
	return 0;
}

/* ---- recording ---- */

static const char *type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "file";
	if (S_ISDIR(mode))
		return "dir";
	if (S_ISLNK(mode))
		return "symlink";
	if (S_ISFIFO(mode))
		return "fifo";
	if (S_ISSOCK(mode))
		return "socket";
	if (S_ISCHR(mode))
		return "chardev";
	if (S_ISBLK(mode))
		return "blockdev";
	return "unknown";
}

/* c->quoted = snapshot_quote(c->path) ("/" for the root itself). */
static const char *quote_path(struct files_ctx *c)
{
	ed_buf_reset(&c->quoted);
	if (!c->path.len)
		ed_buf_addch(&c->quoted, '/');
	else
		snapshot_quote(&c->quoted, c->path.ptr, c->path.len);
	return c->quoted.ptr;
}

/* "PATH TYPE MODE OWNER:GROUP UID:GID[ rest]" into c->lines. */
static int record(struct files_ctx *c, const struct stat *st, const char *rest,
		  struct ed_err *err)
{
	const char *user = files_id_name(&c->users, (unsigned long)st->st_uid);
	const char *group = files_id_name(&c->groups, (unsigned long)st->st_gid);

	if (c->nr_entries >= c->cfg->max_files)
		return ed_err_set(err, ED_EPARTIAL,
				  "files: more than %zu entries under file_include (max_files); narrow file_include or raise max_files",
				  c->cfg->max_files);
	c->nr_entries++;
	if (!ed_utf8_valid(c->path.ptr, c->path.len))
		snapshot_warn(c->snap, "%s: file name is not valid UTF-8",
			      c->quoted.ptr);
	ed_buf_reset(&c->tmp);
	if (user)
		ed_buf_adds(&c->tmp, user);
	else
		ed_buf_addf(&c->tmp, "%lu", (unsigned long)st->st_uid);
	ed_buf_addch(&c->tmp, ':');
	if (group)
		ed_buf_adds(&c->tmp, group);
	else
		ed_buf_addf(&c->tmp, "%lu", (unsigned long)st->st_gid);

	ed_buf_reset(&c->line);
	ed_buf_add(&c->line, c->quoted.ptr, c->quoted.len);
	ed_buf_addf(&c->line, " %s %04o ", type_name(st->st_mode),
		    (unsigned)(st->st_mode & 07777));
	snapshot_quote(&c->line, c->tmp.ptr, c->tmp.len);
	ed_buf_addf(&c->line, " %lu:%lu", (unsigned long)st->st_uid,
		    (unsigned long)st->st_gid);
	if (rest && *rest) {
		ed_buf_addch(&c->line, ' ');
		ed_buf_adds(&c->line, rest);
	}
	ed_strvec_push(&c->lines, c->line.ptr);
	return 0;
}

/* A new staged entry "content<path>" for the current file, empty. */
static struct staged_content *new_staged(struct files_ctx *c)
{
	struct staged_content *s;

	ED_ALLOC_GROW(c->staged, c->staged_nr + 1, c->staged_alloc);
	s = &c->staged[c->staged_nr++];
	memset(s, 0, sizeof(*s));
	ed_buf_init(&s->data);
	ed_buf_adds(&s->data, "content");
	ed_buf_add(&s->data, c->path.ptr, c->path.len);
	s->path = ed_buf_detach(&s->data, NULL);
	return s;
}

/*
 * Stage the current file's content: through the snapshot's sink when it
 * has one (only the blob id is kept, so a host's files are never all in
 * memory), else as a copy. Returns the staged entry.
 */
static int stage_content(struct files_ctx *c, struct ed_buf *from, int take,
			 struct staged_content **out, struct ed_err *err)
{
	struct staged_content *s = new_staged(c);
	int rc;

	*out = s;
	if (c->snap->sink) {
		rc = c->snap->sink->put(c->snap->sink, from->ptr, from->len,
					s->oid, err);
		if (rc < 0)
			return rc;
		s->has_oid = 1;
	} else if (take) {
		s->data = *from;
		ed_buf_init(from);
	} else {
		ed_buf_add(&s->data, from->ptr, from->len);
	}
	return 0;
}

/* A file unchanged since the cached scan: its line and content id again. */
static int record_cached(struct files_ctx *c, const struct stat *st,
			 const struct files_cache_entry *e, struct ed_err *err)
{
	struct staged_content *s;

	if (e->has_oid) {
		s = new_staged(c);
		s->has_oid = 1;
		memcpy(s->oid, e->oid, sizeof(s->oid));
	}
	if (e->warn_utf8)
		snapshot_warn(c->snap, "%s: content is not valid UTF-8",
			      c->quoted.ptr);
	if (c->cache_out)
		files_cache_add(c->cache_out, c->scan_start, c->path.ptr,
				c->path.len, st, e->has_oid ? e->oid : NULL,
				e->warn_utf8, e->rest);
	return record(c, st, e->rest, err);
}

/* 8 bytes at a time: most of /etc is ASCII and needs no UTF-8 decoding */
static int is_ascii(const char *s, size_t len)
{
	uint64_t acc = 0, w;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char)s[i];
	return !(acc & UINT64_C(0x8080808080808080));
}

/* A regular file whose bytes are in c->data. */
static int record_contents(struct files_ctx *c, const struct stat *st,
			   struct ed_err *err)
{
	const char *data = c->data.ptr;
	size_t len = c->data.len;
	int text = !memchr(data, '\0', len), found = 0, rc, warn_utf8 = 0;
	int stored = text && len <= c->cfg->content_max;
	const unsigned char *oid = NULL;
	char hex[65];

	ed_buf_reset(&c->rest);
	ed_buf_addf(&c->rest, "%zu ", len);
	if (files_match_any(&c->secret_files, c->path.ptr) ||
	    ed_secret_key_file(data, len)) {
		if (!c->o->key)
			return ed_err_set(err, ED_EKEY,
					  "secret found in %s but no HMAC key loaded",
					  c->quoted.ptr);
		ed_hmac_token(c->o->key, &c->rest, data, len);
		if (c->cache_out)
			files_cache_add(c->cache_out, c->scan_start, c->path.ptr,
					c->path.len, st, NULL, 0, c->rest.ptr);
		return record(c, st, c->rest.ptr, err);
	}
	if (stored && !files_match_any(&c->plain_files, c->path.ptr)) {
		rc = files_redact(&c->redacted, &found, c, data, len, err);
		if (rc < 0)
			return rc;
	}
	if (found) {
		/* the token covers the original bytes, not the redacted ones */
		ed_hmac_token(c->o->key, &c->rest, data, len);
	} else if (stored) {
		ed_sha256_hex(hex, data, len);
		ed_buf_addf(&c->rest, "sha256:%s", hex);
	} else if (c->o->key) {
		/*
		 * Content not stored (binary, or too big): a plain digest
		 * would let anyone confirm a guess of a short secret in it.
		 */
		ed_hmac_content_token(c->o->key, &c->rest, data, len);
	} else {
		ed_buf_adds(&c->rest, "unhashed");
	}
	if (stored) {
		struct staged_content *s;

		warn_utf8 = !is_ascii(data, len) && !ed_utf8_valid(data, len);
		if (warn_utf8)
			snapshot_warn(c->snap, "%s: content is not valid UTF-8",
				      c->quoted.ptr);
		rc = stage_content(c, found ? &c->redacted : &c->data, found,
				   &s, err);
		if (rc < 0)
			return rc;
		if (s->has_oid)
			oid = s->oid;
	}
	if (c->cache_out && (oid || !stored))
		files_cache_add(c->cache_out, c->scan_start, c->path.ptr,
				c->path.len, st, oid, warn_utf8, c->rest.ptr);
	return record(c, st, c->rest.ptr, err);
}

/*
 * What cannot be read now keeps what the last scan saw: its stored content
 * (and, for a directory, its entries' lines) is carried over, so a
 * collection with fewer rights never reads as files removed.
 */
static void keep_previous(struct files_ctx *c, int is_dir)
{
	struct ed_buf p = ED_BUF_INIT;

	ed_buf_adds(&p, "content");
	ed_buf_add(&p, c->path.ptr, c->path.len);
	ed_strvec_push(&c->snap->keep, p.ptr);
	if (is_dir)
		ed_strvec_push(&c->unreadable_dirs, c->path.ptr);
	ed_buf_release(&p);
}

static int record_unreadable(struct files_ctx *c, const struct stat *st,
			     int errnum, struct ed_err *err)
{
	snapshot_warn(c->snap, "%s: unreadable: %s", c->quoted.ptr,
		      strerror(errnum));
	keep_previous(c, 0);
	ed_buf_reset(&c->rest);
	ed_buf_addf(&c->rest, "%jd unreadable", (intmax_t)st->st_size);
	return record(c, st, c->rest.ptr, err);
}

/* Symlinks and special files: recorded from st, never opened. */
static int record_other(struct files_ctx *c, int dirfd, const char *name,
			const struct stat *st, struct ed_err *err)
{
	ed_buf_reset(&c->rest);
	if (S_ISLNK(st->st_mode)) {
		size_t cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;
		ssize_t n;

		for (;;) {
			ed_buf_reset(&c->tmp);
			ed_buf_grow(&c->tmp, cap);
			n = vfs_readlinkat(c->fs, dirfd, name, c->tmp.ptr, cap);
			if (n < 0 || (size_t)n < cap)
				break;
			cap = ed_st_mult(cap, 2);
		}
		if (n < 0) {
			if (errno == ENOENT)
				return 0; /* removed since readdir */
			return record_unreadable(c, st, errno, err);
		}
		ed_buf_adds(&c->rest, "-> ");
		snapshot_quote(&c->rest, c->tmp.ptr, (size_t)n);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		ed_buf_addf(&c->rest, "%u:%u", major(st->st_rdev),
			    minor(st->st_rdev));
	}
	if (!S_ISLNK(st->st_mode) && !S_ISDIR(st->st_mode))
		snapshot_warn(c->snap, "%s: special file (%s), not read",
			      c->quoted.ptr, type_name(st->st_mode));
	return record(c, st, c->rest.ptr, err);
}

/* ---- the walk ---- */

static int visit(struct files_ctx *c, int dirfd, const char *name,
		 unsigned char d_type, int depth, int start, struct ed_err *err);

static int visit_file(struct files_ctx *c, int dirfd, const char *name,
		      int depth, struct ed_err *err);

/* fstatat failed: gone since readdir is fine, anything else is a warning */
static int stat_failed(struct files_ctx *c, int errnum)
{
	if (errnum != ENOENT)
		snapshot_warn(c->snap, "%s: unreadable: %s", c->quoted.ptr,
			      strerror(errnum));
	return 0;
}

/* Read every entry of the directory open at fd (owned: closed here). */
static int walk_dir(struct files_ctx *c, int fd, int depth, struct ed_err *err)
{
	size_t base = c->path.len;
	struct vfs_dir *d = vfs_fdopendir(c->fs, fd);
	const char *name;
	unsigned char type;
	int rc = 0;

	if (!d) {
		rc = errno;
		quote_path(c);
		snapshot_warn(c->snap, "%s: unreadable: %s", c->quoted.ptr,
			      strerror(rc));
		return 0;
	}
	for (;;) {
		name = vfs_readdir(d, &type);
		if (!name) {
			if (errno) {
				rc = errno;
				ed_buf_setlen(&c->path, base);
				quote_path(c);
				snapshot_warn(c->snap, "%s: unreadable: %s",
					      c->quoted.ptr, strerror(rc));
				rc = 0;
			}
			break;
		}
		ed_buf_setlen(&c->path, base);
		ed_buf_addch(&c->path, '/');
		ed_buf_adds(&c->path, name);
		rc = visit(c, fd, name, type, depth + 1, 0, err);
		if (rc < 0)
			break;
	}
	ed_buf_setlen(&c->path, base);
	vfs_closedir(d);
	return rc;
}

static int visit_dir(struct files_ctx *c, int dirfd, const char *name,
		     int matched, int depth, struct ed_err *err)
{
	int descend = could_match_below(c);
	struct vfs *fs = c->fs;
	struct stat st;
	int fd, rc, saved;

	if (!matched && !descend)
		return 0;
	if (!descend) {
		/* only its own line is wanted: no need to open it */
		if (vfs_fstatat(fs, dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return stat_failed(c, errno);
		if (S_ISDIR(st.st_mode))
			return record(c, &st, NULL, err);
		if (S_ISREG(st.st_mode)) /* replaced since readdir */
			return visit_file(c, dirfd, name, depth, err);
		return record_other(c, dirfd, name, &st, err);
	}
	fd = vfs_openat(fs, dirfd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (vfs_fstatat(fs, dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return stat_failed(c, errno);
		if (!matched) /* replaced since readdir, or unreadable */
			return stat_failed(c, saved);
		if (S_ISREG(st.st_mode))
			return record_unreadable(c, &st, saved, err);
		if (!S_ISDIR(st.st_mode))
			return record_other(c, dirfd, name, &st, err);
		rc = record(c, &st, "unreadable", err);
		if (rc == 0) {
			snapshot_warn(c->snap, "%s: unreadable: %s",
				      c->quoted.ptr, strerror(saved));
			keep_previous(c, 1);
		}
		return rc;
	}
	if (vfs_fstat(fs, fd, &st) < 0) {
		saved = errno;
		vfs_close(fs, fd);
		return stat_failed(c, saved);
	}
	rc = matched ? record(c, &st, NULL, err) : 0;
	if (rc < 0 || !descend) {
		vfs_close(fs, fd);
		return rc;
	}
	if (depth >= FILES_MAX_DEPTH) {
		vfs_close(fs, fd);
		return ed_err_set(err, ED_EPARTIAL,
				  "%s: more than %d directory levels deep",
				  c->quoted.ptr, FILES_MAX_DEPTH);
	}
	return walk_dir(c, fd, depth, err);
}

static int visit_file(struct files_ctx *c, int dirfd, const char *name,
		      int depth, struct ed_err *err)
{
	struct ed_err rerr = ED_ERR_INIT;
	struct vfs *fs = c->fs;
	struct stat st;
	int fd, rc, saved;

	/* unchanged since the last scan: no need to read it */
	if (c->cache.cap &&
	    !vfs_fstatat(fs, dirfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	    S_ISREG(st.st_mode)) {
		const struct files_cache_entry *e =
			files_cache_lookup(&c->cache, c->path.ptr, c->path.len,
					   &st);

		/* changed within a second of now: the bytes decide */
		if (e && !collect_stat_racy(&st, c->scan_start))
			return record_cached(c, &st, e, err);
	}
	/* O_NONBLOCK: a FIFO swapped in since readdir must not hang us */
	fd = vfs_openat(fs, dirfd, name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (vfs_fstatat(fs, dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return stat_failed(c, errno);
		if (S_ISDIR(st.st_mode))
			return visit_dir(c, dirfd, name, 1, depth, err);
		if (!S_ISREG(st.st_mode))
			return record_other(c, dirfd, name, &st, err);
		return record_unreadable(c, &st, saved, err);
	}
	if (vfs_fstat(fs, fd, &st) < 0) {
		saved = errno;
		vfs_close(fs, fd);
		return stat_failed(c, saved);
	}
	if (!S_ISREG(st.st_mode)) {
		vfs_close(fs, fd);
		if (S_ISDIR(st.st_mode))
			return visit_dir(c, dirfd, name, 1, depth, err);
		return record_other(c, dirfd, name, &st, err);
	}
	if ((uintmax_t)st.st_size > FILES_HASH_MAX) {
		vfs_close(fs, fd);
		snapshot_warn(c->snap, "%s: larger than %zu bytes, not hashed",
			      c->quoted.ptr, FILES_HASH_MAX);
		ed_buf_reset(&c->rest);
		ed_buf_addf(&c->rest, "%jd unhashed", (intmax_t)st.st_size);
		return record(c, &st, c->rest.ptr, err);
	}
	ed_buf_reset(&c->data);
	rc = vfs_read_fd(fs, &c->data, fd, c->quoted.ptr, FILES_HASH_MAX, &rerr);
	saved = errno;
	vfs_close(fs, fd);
	if (rc == ED_EPARTIAL) {
		snapshot_warn(c->snap, "%s: larger than %zu bytes, not hashed",
			      c->quoted.ptr, FILES_HASH_MAX);
		ed_buf_reset(&c->rest);
		ed_buf_addf(&c->rest, "%jd unhashed", (intmax_t)st.st_size);
		return record(c, &st, c->rest.ptr, err);
	}
	if (rc < 0)
		return record_unreadable(c, &st, saved, err);
	return record_contents(c, &st, err);
}

/*
 * One entry: c->path holds its host path, name its name in dirfd. start
 * marks the include prefix itself, where a symlink earns a warning since
 * nothing below it is collected.
 */
static int visit(struct files_ctx *c, int dirfd, const char *name,
		 unsigned char d_type, int depth, int start, struct ed_err *err)
{
	struct stat st;
	int matched, have_st = 0;

	if (files_match_any(&c->exclude, c->path.ptr))
		return 0;
	matched = files_match_any(&c->include, c->path.ptr);
	quote_path(c);
	if (d_type == DT_UNKNOWN) {
		if (vfs_fstatat(c->fs, dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return stat_failed(c, errno);
		have_st = 1;
		d_type = (unsigned char)IFTODT(st.st_mode);
	}
	if (d_type == DT_DIR)
		return visit_dir(c, dirfd, name, matched, depth, err);
	if (!matched) {
		if (start && d_type == DT_LNK && could_match_below(c))
			snapshot_warn(c->snap,
				      "%s: is a symlink, not followed: nothing collected below it",
				      c->quoted.ptr);
		return 0;
	}
	if (d_type == DT_REG)
		return visit_file(c, dirfd, name, depth, err);
	if (!have_st &&
	    vfs_fstatat(c->fs, dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return stat_failed(c, errno);
	if (S_ISDIR(st.st_mode))
		return visit_dir(c, dirfd, name, matched, depth, err);
	if (S_ISREG(st.st_mode))
		return visit_file(c, dirfd, name, depth, err);
	return record_other(c, dirfd, name, &st, err);
}

/*
 * Walk one start prefix ("/etc", "" for the root): open its directories
 * one component at a time with O_NOFOLLOW, then visit the last one.
 */
int files_walk_start(struct files_ctx *c, int rootfd, const char *start,
		     struct ed_err *err)
{
	struct ed_strvec comps = ED_STRVEC_INIT;
	struct vfs *fs = c->fs;
	int cur = rootfd, fd, rc = 0, saved;
	struct stat st;
	size_t i;

	ed_buf_reset(&c->path);
	if (!*start) {
		if (files_match_any(&c->include, "/") &&
		    !files_match_any(&c->exclude, "/")) {
			quote_path(c);
			if (vfs_fstat(fs, rootfd, &st) < 0)
				return ed_err_errno(err, ED_EIO, errno,
						    "root %s", vfs_root(c->fs));
			rc = record(c, &st, NULL, err);
			if (rc < 0)
				return rc;
		}
		/* a second fd of the root: walk_dir closes the one it gets */
		fd = vfs_openat(fs, rootfd, ".",
				O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return ed_err_errno(err, ED_EIO, errno, "root %s",
					    vfs_root(c->fs));
		return walk_dir(c, fd, 0, err);
	}
	rc = files_split_pattern(&comps, start, err);
	for (i = 0; rc == 0 && i < comps.nr; i++) {
		ed_buf_addch(&c->path, '/');
		ed_buf_adds(&c->path, comps.v[i]);
		if (i + 1 == comps.nr) {
			rc = visit(c, cur, comps.v[i], DT_UNKNOWN, (int)i + 1,
				   1, err);
			break;
		}
		if (files_match_any(&c->exclude, c->path.ptr))
			break;
		fd = vfs_openat(fs, cur, comps.v[i],
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			saved = errno;
			quote_path(c);
			if (vfs_fstatat(fs, cur, comps.v[i], &st,
					AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				snapshot_warn(c->snap,
					      "%s: is a symlink, not followed: nothing collected below it",
					      c->quoted.ptr);
			else if (saved != ENOENT && saved != ENOTDIR)
				snapshot_warn(c->snap, "%s: unreadable: %s",
					      c->quoted.ptr, strerror(saved));
			break;
		}
		if (cur != rootfd)
			vfs_close(fs, cur);
		cur = fd;
	}
	if (cur != rootfd)
		vfs_close(fs, cur);
	ed_strvec_release(&comps);
	return rc;
}

/*
 * Where each include's walk starts: its longest directory prefix free of
 * glob characters, or the whole path when it has none. A start below
 * another start is dropped, so every path is visited exactly once.
 */
/* files_start_prefixes over n split patterns. */
static void starts_of(struct ed_strvec *out, const struct ed_strvec *comps,
		      size_t n)
{
	struct ed_strvec all = ED_STRVEC_INIT;
	struct ed_buf b = ED_BUF_INIT;
	size_t i, j, k;

	for (i = 0; i < n; i++) {
		const struct ed_strvec *pc = &comps[i];

		for (k = 0; k < pc->nr && !has_glob_meta(pc->v[k]); k++)
			;
		ed_buf_reset(&b);
		for (j = 0; j < k; j++) {
			ed_buf_addch(&b, '/');
			ed_buf_adds(&b, pc->v[j]);
		}
		ed_strvec_push(&all, b.ptr);
	}
	ed_strvec_sort_unique(&all);
	for (i = 0; i < all.nr; i++) {
		int below = 0;

		for (j = 0; j < out->nr && !below; j++) {
			size_t len = strlen(out->v[j]);

			below = !strncmp(all.v[i], out->v[j], len) &&
				all.v[i][len] == '/';
		}
		if (!below)
			ed_strvec_push(out, all.v[i]);
	}
	ed_strvec_release(&all);
	ed_buf_release(&b);
}

void files_start_prefixes(struct ed_strvec *out, const struct files_ctx *c)
{
	starts_of(out, c->inc_comps, c->cfg->file_include.nr);
}

int files_include_starts(struct ed_strvec *out, const struct ed_strvec *include,
			 struct ed_err *err)
{
	struct ed_strvec *comps = ed_xcalloc(include->nr + 1, sizeof(*comps));
	size_t i;
	int rc = 0;

	for (i = 0; i < include->nr && !rc; i++)
		rc = files_split_pattern(&comps[i], include->v[i], err);
	if (!rc)
		starts_of(out, comps, include->nr);
	for (i = 0; i < include->nr; i++)
		ed_strvec_release(&comps[i]);
	free(comps);
	return rc;
}
