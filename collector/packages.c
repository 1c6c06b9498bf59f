/*
 * The packages collector: every package manager whose database exists under
 * the root contributes "name arch version[ state]" lines to one "packages"
 * file. An absent manager is not an error; a database we cannot read or
 * parse is, because an empty package list would look like mass removal.
 */
#include "collector/internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"

/* A status database past this is not one we want to hold in memory. */
#define PKG_DB_MAX ((size_t)256 << 20)

static const char dpkg_status[] = "/var/lib/dpkg/status";
static const char apk_installed[] = "/lib/apk/db/installed";

static const struct pkg_db {
	const char *manager;
	const char *path;
	int (*parse)(struct ed_strvec *lines, const char *buf, size_t len,
		     const char *name, struct ed_err *err);
} pkg_dbs[] = {
	{ "dpkg", dpkg_status, dpkg_parse_status },
	{ "apk", apk_installed, apk_parse_installed },
};

/*
 * What the packages collector reads. dpkg's status database is ~90 %
 * descriptions and conffile lists, and pkg_dpkg.c reads only these four
 * fields (names are case-insensitive there too): a remote host sends the
 * matching lines only. The snapshot is the same; a malformed line outside
 * them goes unnoticed. Both are inputs (NEED_INPUT): large, never
 * secret, so a scan's cache may keep what they held.
 */
static const struct collect_need packages_needs[] = {
	{ NEED_INPUT, dpkg_status, "^(package|status|architecture|version):|^$",
	  NULL, NULL },
	{ NEED_INPUT, apk_installed, NULL, NULL, NULL },
	{ NEED_CMD, NULL, NULL, &rpm_query_cmd, NULL },
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

/*
 * Set dir (reset first) to the name of fs's rpm database directory, if
 * any: where one of the files rpm_query_cmd runs for is a regular file.
 */
static int find_rpm_db(struct ed_buf *dir, struct vfs *fs)
{
	const char *const *dbs = rpm_query_cmd.when;
	size_t i;

	for (i = 0; dbs[i]; i++) {
		const char *slash = strrchr(dbs[i], '/');
		struct stat st;

		if (vfs_fstatat(fs, AT_FDCWD, dbs[i], &st, 0) ||
		    !S_ISREG(st.st_mode))
			continue;
		vfs_path(dir, fs, dbs[i]);
		ed_buf_setlen(dir, dir->len - strlen(slash));
		return 1;
	}
	return 0;
}

int collect_packages(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		     const struct collect_opts *o, struct ed_err *err)
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
		ed_strvec_push(
			meta,
			rpm_skipped ?
				"collector packages not-collected: rpm database found but rpm tool missing" :
				"collector packages not-collected: no package database found");
		goto out;
	}
	ed_strvec_pushf(meta, "collector packages collected: %s%s", managers.ptr,
			rpm_skipped ? " (rpm skipped: rpm tool missing)" : "");
	snapshot_add_lines(snap, "packages", &lines);

out:
	ed_strvec_release(&lines);
	ed_buf_release(&managers);
	ed_buf_release(&rpmdir);
	return rc;
}

static bool packages_enabled(const struct collect_config *cfg)
{
	return cfg->packages;
}

const struct collector collector_packages = {
	"packages",
	packages_enabled,
	collect_packages,
	packages_needs,
	ED_ARRAY_SIZE(packages_needs),
};
