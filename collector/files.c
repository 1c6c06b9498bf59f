/*
 * The files collector: snapshots the file_include globs (minus
 * file_exclude) below the target's root, never following a symlink, as
 * one line per entry in "files" plus the contents of small text files in
 * "content/<path>". This file sets up a collect (globs, owner names, the
 * secret regexes, the C locale) and commits it only when it is complete;
 * files_match.c holds the names and globs, files_walk.c walks and
 * formats, files_secret.c finds and hides secrets.
 *
 * A "files" line is space-separated fields, each through snapshot_quote:
 *   PATH TYPE MODE OWNER:GROUP UID:GID[ REST]
 * TYPE: file dir symlink fifo socket chardev blockdev; MODE: %04o of the
 * permission bits; names from ROOT/etc/passwd and ROOT/etc/group, else the
 * number. REST: files "SIZE sha256:HEX" when the content is stored as it
 * is, else "SIZE hmac:HEX": keyed over the original bytes for a secret file
 * or one whose secret values were replaced, keyed over their SHA-256 for a
 * file whose content is not stored (binary, or over content-max), so no
 * plain digest of anything not stored is ever recorded; "SIZE unreadable",
 * "SIZE unhashed" (over FILES_HASH_MAX, or no key); symlinks
 * "-> TARGET"; devices "MAJOR:MINOR"; nothing for dirs, FIFOs and sockets.
 */
#include "collector/files.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

/* passwd and group are parsed whole; anything bigger is not a passwd file */
#define FILES_IDS_MAX ((size_t)64 << 20)

static const char etc_passwd[] = "/etc/passwd", etc_group[] = "/etc/group";

/*
 * Where the walks of cfg's include globs start. A bad include is not the
 * request's business: it fails the files collector itself.
 */
static void include_trees(struct collect_needs *out,
			  const struct collect_config *cfg)
{
	struct ed_strvec starts = ED_STRVEC_INIT;
	struct ed_err ignored = ED_ERR_INIT;
	size_t i;

	if (!files_include_starts(&starts, &cfg->file_include, &ignored))
		for (i = 0; i < starts.nr; i++) {
			ed_strvec_push(&out->trees,
				       starts.v[i][0] ? starts.v[i] : "/");
			ed_strvec_push(&out->walked,
				       starts.v[i][0] ? starts.v[i] : "/");
		}
	ed_strvec_release(&starts);
}

/* What the files collector reads: the walked trees and the owner names. */
static const struct collect_need files_needs[] = {
	{ NEED_PATH, etc_passwd, NULL, NULL, NULL },
	{ NEED_PATH, etc_group, NULL, NULL, NULL },
	{ NEED_CONFIG, NULL, NULL, NULL, include_trees },
};

/* ---- owner and group names from ROOT/etc/passwd and ROOT/etc/group ---- */

/*
 * Open rel ("etc/passwd") below rootfd, refusing symlinks in every
 * component so an image's absolute links cannot point us at the host.
 * Returns an fd or -1 with errno set.
 */
static int open_beneath(struct vfs *fs, int rootfd, const char *rel)
{
	char *copy = ed_xstrdup(rel);
	char *comp = copy, *slash;
	int cur = rootfd, fd = -1, saved;

	for (;;) {
		slash = strchr(comp, '/');
		if (slash)
			*slash = '\0';
		fd = vfs_openat(fs, cur, comp,
				O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
					(slash ? O_DIRECTORY : O_NONBLOCK));
		saved = errno;
		if (cur != rootfd)
			vfs_close(fs, cur);
		if (fd < 0 || !slash)
			break;
		cur = fd;
		comp = slash + 1;
	}
	free(copy);
	errno = saved;
	return fd;
}

static void load_ids(struct files_ctx *c, struct id_map *m, int rootfd,
		     const char *rel)
{
	struct ed_err e = ED_ERR_INIT;
	struct vfs *fs = c->fs;
	struct stat st;
	int fd = open_beneath(fs, rootfd, rel);

	if (fd < 0) {
		if (errno != ENOENT)
			snapshot_warn(c->snap,
				      "/%s: unreadable, ids shown as numbers: %s",
				      rel, strerror(errno));
		return;
	}
	ed_buf_reset(&c->data);
	if (vfs_fstat(fs, fd, &st) < 0 || !S_ISREG(st.st_mode))
		snapshot_warn(c->snap,
			      "/%s: not a regular file, ids shown as numbers",
			      rel);
	else if (vfs_read_fd(fs, &c->data, fd, rel, FILES_IDS_MAX, &e) < 0)
		snapshot_warn(c->snap, "/%s: ids shown as numbers: %s", rel,
			      e.msg);
	else
		files_id_map_parse(m, c->data.ptr, c->data.len);
	vfs_close(fs, fd);
}

/*
 * Lines of the previous scan below a directory that is unreadable now are
 * copied unchanged: what cannot be seen is not reported as removed.
 */
static void carry_unreadable_lines(struct files_ctx *c)
{
	const struct snapshot_entry *prev =
		c->o->prev ? snapshot_find(c->o->prev, "files") : NULL;
	struct ed_buf path = ED_BUF_INIT, line = ED_BUF_INIT;
	struct ed_err ignored = ED_ERR_INIT;
	const char *p, *end;
	size_t i;

	if (!prev || !prev->data || !c->unreadable_dirs.nr)
		return;
	p = prev->data;
	end = p + prev->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *sp = memchr(p, ' ', (size_t)(e - p));

		ed_buf_reset(&path);
		if (sp && !snapshot_unquote(&path, p, (size_t)(sp - p), &ignored)) {
			for (i = 0; i < c->unreadable_dirs.nr; i++) {
				const char *d = c->unreadable_dirs.v[i];
				size_t dl = strlen(d);

				if (path.len > dl && !memcmp(path.ptr, d, dl) &&
				    path.ptr[dl] == '/') {
					ed_buf_reset(&line);
					ed_buf_add(&line, p, (size_t)(e - p));
					ed_strvec_push(&c->lines, line.ptr);
					break;
				}
			}
		}
		p = e + 1;
	}
	ed_buf_release(&path);
	ed_buf_release(&line);
}

int collect_files(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		  const struct collect_opts *o, struct ed_err *err)
{
	struct files_ctx c;
	struct ed_strvec starts = ED_STRVEC_INIT;
	locale_t cloc = (locale_t)0, oldloc = (locale_t)0;
	int rootfd = -1, rc = 0;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.fs = fs;
	c.o = o;
	c.cfg = o->cfg;
	c.snap = snap;
	ed_buf_init(&c.path);
	ed_buf_init(&c.quoted);
	ed_buf_init(&c.data);
	ed_buf_init(&c.redacted);
	ed_buf_init(&c.line);
	ed_buf_init(&c.rest);
	ed_buf_init(&c.tmp);
	ed_strvec_init(&c.lines);
	files_glob_set_init(&c.include, &c.cfg->file_include);
	files_glob_set_init(&c.exclude, &c.cfg->file_exclude);
	files_glob_set_init(&c.secret_files, &c.cfg->secret_files);
	files_glob_set_init(&c.plain_files, &c.cfg->plain_files);
	c.inc_comps =
		ed_xcalloc(c.cfg->file_include.nr + 1, sizeof(*c.inc_comps));

	/*
	 * Secret regexes are compiled and run in the C locale: under a UTF-8
	 * locale an invalid byte would stop ".*" and leave a secret unmatched.
	 */
	cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (cloc == (locale_t)0) {
		rc = ed_err_errno(err, ED_ERROR, errno, "files: newlocale");
		goto out;
	}
	oldloc = uselocale(cloc);

	for (i = 0; i < c.cfg->file_include.nr; i++) {
		rc = files_split_pattern(&c.inc_comps[i],
					 c.cfg->file_include.v[i], err);
		if (rc < 0)
			goto out;
	}
	rc = ed_secret_finder_init(&c.secrets, &c.cfg->secret_values, err);
	if (rc < 0)
		goto out;

	rootfd = vfs_openat(fs, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		rc = ed_err_errno(err, errno == ENOENT ? ED_ENOTFOUND : ED_EIO,
				  errno, "root %s", vfs_root(fs));
		goto out;
	}
	load_ids(&c, &c.users, rootfd, etc_passwd + 1);
	load_ids(&c, &c.groups, rootfd, etc_group + 1);
	if (snap->sink && (o->cache_in || o->cache_out)) {
		char fp[65];

		files_cache_fingerprint(fp, c.cfg, o->key);
		files_cache_load(&c.cache, o->cache_in, o->cache_in_len, fp);
		c.cache_out = o->cache_out;
		if (c.cache_out) {
			ed_buf_reset(c.cache_out);
			/* about the size of the last one: no copying regrowth */
			ed_buf_grow(c.cache_out, o->cache_in_len + 4096);
			files_cache_begin(c.cache_out, fp);
		}
		c.scan_start = o->clock ? o->clock : (long long)time(NULL);
	}

	files_start_prefixes(&starts, &c);
	for (i = 0; i < starts.nr; i++) {
		rc = files_walk_start(&c, rootfd, starts.v[i], err);
		if (rc < 0)
			goto out;
	}

	carry_unreadable_lines(&c);
	/* only a complete collection reaches the snapshot */
	for (i = 0; i < c.staged_nr; i++) {
		if (c.staged[i].has_oid)
			snapshot_add_oid(snap, c.staged[i].path, c.staged[i].oid);
		else
			snapshot_add_buf(snap, c.staged[i].path,
					 &c.staged[i].data);
	}
	snapshot_add_lines(snap, "files", &c.lines);
	ed_strvec_push(meta, "collector files collected");

out:
	if (oldloc != (locale_t)0)
		uselocale(oldloc);
	if (cloc != (locale_t)0)
		freelocale(cloc);
	if (rootfd >= 0)
		vfs_close(fs, rootfd);
	for (i = 0; i < c.staged_nr; i++) {
		free(c.staged[i].path);
		ed_buf_release(&c.staged[i].data);
	}
	free(c.staged);
	files_cache_release(&c.cache);
	ed_strvec_release(&c.unreadable_dirs);
	ed_secret_finder_release(&c.secrets);
	ed_secret_hits_release(&c.hits);
	files_glob_set_release(&c.include);
	files_glob_set_release(&c.exclude);
	files_glob_set_release(&c.secret_files);
	files_glob_set_release(&c.plain_files);
	for (i = 0; i < c.cfg->file_include.nr; i++)
		ed_strvec_release(&c.inc_comps[i]);
	free(c.inc_comps);
	files_id_map_release(&c.users);
	files_id_map_release(&c.groups);
	ed_strvec_release(&starts);
	ed_strvec_release(&c.lines);
	ed_buf_release(&c.path);
	ed_buf_release(&c.quoted);
	ed_buf_release(&c.data);
	ed_buf_release(&c.redacted);
	ed_buf_release(&c.line);
	ed_buf_release(&c.rest);
	ed_buf_release(&c.tmp);
	return rc;
}

static bool files_enabled(const struct collect_config *cfg)
{
	return cfg->files;
}

const struct collector collector_files = {
	"files",
	files_enabled,
	collect_files,
	files_needs,
	ED_ARRAY_SIZE(files_needs),
};
