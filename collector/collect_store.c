/*
 * What "envdrift collect" asks of the library: the default host name of a
 * mounted root, and one collect whose contents go straight into the
 * store's pack, with the host's stat cache and previous files read from
 * the store (core/store.h keeps both), and the checks that keep a
 * mistyped --root from recording an empty host.
 */
#include "collector/collector.h"

#include <string.h>
#include <sys/stat.h>

#include "collector/vfs.h"
#include "core/store.h"

int collect_root_hostname(struct ed_buf *out, const char *root, struct ed_err *err)
{
	struct ed_buf path = ED_BUF_INIT, data = ED_BUF_INIT;
	size_t s = 0, e;
	int rc;

	ed_buf_addf(&path, "%s/etc/hostname", root);
	rc = ed_buf_read_file(&data, path.ptr, 4096, err);
	if (rc == ED_ENOTFOUND || rc == ED_EPARTIAL)
		rc = ed_err_set(err, ED_ERROR,
				"%s: no usable host name; give --host", path.ptr);
	if (rc < 0)
		goto out;
	while (s < data.len && (data.ptr[s] == ' ' || data.ptr[s] == '\t' ||
				data.ptr[s] == '\n'))
		s++;
	e = s;
	while (e < data.len && data.ptr[e] != '\n' && data.ptr[e] != ' ' &&
	       data.ptr[e] != '\t' && data.ptr[e] != '\r')
		e++;
	if (e == s) {
		rc = ed_err_set(err, ED_ERROR, "%s: empty; give --host", path.ptr);
		goto out;
	}
	ed_buf_add(out, data.ptr + s, e - s);
out:
	ed_buf_release(&path);
	ed_buf_release(&data);
	return rc;
}

int collect_into_store(struct snapshot *snap, struct ed_buf *cache_out,
		       struct store *st, const char *host, const char *root,
		       const struct collect_config *cfg, struct ed_hmac *key,
		       const struct ed_strvec *roles,
		       const struct host_identity *identity, struct ed_err *err)
{
	struct ed_buf cache_in = ED_BUF_INIT;
	struct snapshot prev = SNAPSHOT_INIT;
	struct collect_opts o;
	struct vfs *fs = NULL;
	int rc;

	store_cache_read(st, host, &cache_in);
	rc = store_read_prev_files(&prev, st, NULL, NULL, host,
				   collect_prev_paths, err);
	if (rc < 0)
		goto out;
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.key = key;
	o.roles = roles;
	o.cache_in = cache_in.len ? cache_in.ptr : NULL;
	o.cache_in_len = cache_in.len;
	o.cache_out = cache_out;
	o.prev = &prev;
	o.identity = identity;
	snapshot_init(snap);
	snap->sink = store_content_sink(st);
	fs = vfs_root_new(root);
	rc = collect_host(snap, fs, &o, err);
out:
	vfs_free(fs);
	ed_buf_release(&cache_in);
	snapshot_release(&prev);
	return rc;
}

int collect_root_check(const char *root, struct ed_err *err)
{
	/* dpkg, rpm (old and new place), apk; or any /etc at all */
	static const char *const marks[] = {
		"var/lib/dpkg/status",  "var/lib/rpm", "usr/lib/sysimage/rpm",
		"lib/apk/db/installed", "etc",
	};
	struct ed_buf path = ED_BUF_INIT;
	struct stat sb;
	size_t i;
	int found = 0;

	for (i = 0; !found && i < sizeof(marks) / sizeof(marks[0]); i++) {
		ed_buf_reset(&path);
		ed_buf_addf(&path, "%s/%s", root, marks[i]);
		found = !lstat(path.ptr, &sb);
	}
	ed_buf_release(&path);
	if (found)
		return 0;
	return ed_err_set(err, ED_ENOTFOUND,
			  "root '%s' has no package database (dpkg, rpm, apk) and no etc/: not a root filesystem",
			  root);
}

/* 1 if the "files" line p (len bytes) is "PATH dir ...". */
static int is_dir_line(const char *p, size_t len)
{
	const char *sp = memchr(p, ' ', len);
	size_t rest = sp ? len - (size_t)(sp + 1 - p) : 0;

	return sp && rest >= 3 && !memcmp(sp + 1, "dir", 3) &&
	       (rest == 3 || sp[4] == ' ');
}

/* Lines of a "files" or "packages" text; with nondir only not "dir" ones. */
static size_t count_entries(const char *p, size_t len, int nondir)
{
	size_t n = 0, i = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - p) : len;

		if (end > i && !(nondir && is_dir_line(p + i, end - i)))
			n++;
		i = end + 1;
	}
	return n;
}

/* Entries of the snapshot file path; SIZE_MAX when stored by id only. */
static size_t snap_entries(const struct snapshot *snap, const char *path,
			   int nondir)
{
	const struct snapshot_entry *e = snapshot_find(snap, path);

	if (!e)
		return 0;
	if (!e->data)
		return (size_t)-1;
	return count_entries(e->data, e->len, nondir);
}

int collect_check_emptied(struct store *st, const char *host, const char *root,
			  const struct snapshot *snap, struct ed_err *err)
{
	struct ed_buf files = ED_BUF_INIT, pkgs = ED_BUF_INIT;
	size_t nf, np;
	int rc = 0;

	if (snap_entries(snap, "files", 1) || snap_entries(snap, "packages", 0))
		return 0;
	if (store_read_host_file(st, &files, host, "files", err) < 0 &&
	    err->code != ED_ENOTFOUND)
		return err->code;
	ed_err_clear(err);
	if (store_read_host_file(st, &pkgs, host, "packages", err) < 0 &&
	    err->code != ED_ENOTFOUND) {
		rc = err->code;
		goto out;
	}
	ed_err_clear(err);
	nf = count_entries(files.ptr, files.len, 1);
	np = count_entries(pkgs.ptr, pkgs.len, 0);
	if (nf || np)
		rc = ed_err_set(err, ED_ERROR,
				"%s: no files and no packages, where host '%s' had %zu files and %zu packages: refused (--allow-empty records it)",
				root, host, nf, np);
out:
	ed_buf_release(&files);
	ed_buf_release(&pkgs);
	return rc;
}
