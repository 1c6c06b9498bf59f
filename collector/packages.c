/*
 * The packages collector: every package manager whose database exists under
 * the root contributes "name arch version[ state]" lines to one "packages"
 * file. An absent manager is not an error; a database we cannot read or
 * parse is, because an empty package list would look like mass removal.
 */
#include "collector/internal.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "core/alloc.h"


/* A status database past this is not one we want to hold in memory. */
#define PKG_DB_MAX ((size_t)256 << 20)

static const struct pkg_db {
	const char *manager;
	const char *path;
	int (*parse)(struct ed_strvec *lines, const char *buf, size_t len,
		     const char *name, struct ed_err *err);
} pkg_dbs[] = {
	{ "dpkg", "/var/lib/dpkg/status", dpkg_parse_status },
	{ "apk", "/lib/apk/db/installed", apk_parse_installed },
};

/* Where rpm may keep its database (Fedora 36+ moved it under /usr). */
static const char *const rpm_dirs[] = {
	"/var/lib/rpm",
	"/usr/lib/sysimage/rpm",
};
static const char *const rpm_files[] = {
	"Packages",      /* BerkeleyDB */
	"Packages.db",   /* NDB */
	"rpmdb.sqlite",  /* SQLite */
};

/*
 * Parse one database file into lines. Returns 1 if it was found, 0 if it is
 * absent, or a negative code.
 */
static int read_db(struct ed_strvec *lines, const struct pkg_db *db,
		   struct vfs *fs, struct ed_err *err)
{
	struct ed_buf path = ED_BUF_INIT, data = ED_BUF_INIT;
	int rc;

	vfs_path(&path, fs, db->path);
	rc = vfs_read_file(fs, &data, db->path, PKG_DB_MAX, err);
	if (rc == ED_ENOTFOUND) {
		ed_err_clear(err);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = db->parse(lines, data.ptr, data.len, path.ptr, err);
	if (rc < 0)
		goto out;
	rc = 1;

out:
	ed_buf_release(&path);
	ed_buf_release(&data);
	return rc;
}

/* Set dir (reset first) to the name of fs's rpm database directory, if any. */
static int find_rpm_db(struct ed_buf *dir, struct vfs *fs)
{
	struct ed_buf path = ED_BUF_INIT;
	size_t i, j;
	int found = 0;

	for (i = 0; i < ED_ARRAY_SIZE(rpm_dirs) && !found; i++) {
		for (j = 0; j < ED_ARRAY_SIZE(rpm_files) && !found; j++) {
			struct stat st;

			ed_buf_reset(&path);
			ed_buf_adds(&path, rpm_dirs[i]);
			ed_buf_addch(&path, '/');
			ed_buf_adds(&path, rpm_files[j]);
			if (!vfs_fstatat(fs, AT_FDCWD, path.ptr, &st, 0) &&
			    S_ISREG(st.st_mode)) {
				vfs_path(dir, fs, rpm_dirs[i]);
				found = 1;
			}
		}
	}
	ed_buf_release(&path);
	return found;
}

int collect_packages(struct snapshot *snap, struct ed_strvec *meta,
		     struct vfs *fs, const struct collect_opts *o,
		     struct ed_err *err)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_buf managers = ED_BUF_INIT, rpmdir = ED_BUF_INIT;
	int rpm_skipped = 0;
	size_t i;
	int rc = 0;

	(void)o; /* no secrets here, nothing carried over */
	for (i = 0; i < ED_ARRAY_SIZE(pkg_dbs); i++) {
		rc = read_db(&lines, &pkg_dbs[i], fs, err);
		if (rc < 0)
			goto out;
		if (rc) {
			if (managers.len)
				ed_buf_addch(&managers, ' ');
			ed_buf_adds(&managers, pkg_dbs[i].manager);
		}
	}

	if (find_rpm_db(&rpmdir, fs)) {
		rc = rpm_query_installed(&lines, fs, err);
		if (rc == ED_ENOTFOUND) {
			ed_err_clear(err);
			snapshot_warn(snap,
				      "%s: rpm database found but rpm tool missing; rpm packages skipped",
				      rpmdir.ptr);
			rpm_skipped = 1;
		} else if (rc < 0) {
			goto out;
		} else {
			if (managers.len)
				ed_buf_addch(&managers, ' ');
			ed_buf_adds(&managers, "rpm");
		}
	}
	rc = 0;

	if (!managers.len) {
		ed_strvec_push(meta,
			       rpm_skipped ? "collector packages not-collected: rpm database found but rpm tool missing"
					   : "collector packages not-collected: no package database found");
		goto out;
	}
	ed_strvec_pushf(meta, "collector packages collected: %s%s",
			managers.ptr,
			rpm_skipped ? " (rpm skipped: rpm tool missing)" : "");
	snapshot_add_lines(snap, "packages", &lines);

out:
	ed_strvec_release(&lines);
	ed_buf_release(&managers);
	ed_buf_release(&rpmdir);
	return rc;
}
