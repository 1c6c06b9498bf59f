/*
 * rpm package list. The rpm database formats (BerkeleyDB, NDB, SQLite) are
 * rpm's business, so we run the rpm tool itself (fork and exec, never a
 * shell) with a fixed tab-separated --qf and parse its output.
 */
#include "collector/internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

/* About 200 bytes a package: room for 300,000 packages. */
#define RPM_OUTPUT_MAX ((size_t)64 << 20)
/* rpm -qa takes seconds on a large database; a hung one must not hang us */
#define RPM_TIMEOUT_MS 120000

/*
 * Where rpm may keep its database (Fedora 36+ moved it under /usr): one
 * of these files, BerkeleyDB, NDB or SQLite, says rpm must be asked.
 */
static const char *const rpm_dbs[] = {
	"/var/lib/rpm/Packages",
	"/var/lib/rpm/Packages.db",
	"/var/lib/rpm/rpmdb.sqlite",
	"/usr/lib/sysimage/rpm/Packages",
	"/usr/lib/sysimage/rpm/Packages.db",
	"/usr/lib/sysimage/rpm/rpmdb.sqlite",
	NULL,
};
static const char *const rpm_paths[] = { "/usr/bin/rpm", "/bin/rpm", NULL };
static const char *const rpm_args[] = {
	"-qa",
	"--root",
	COLLECT_ARG_ROOT,
	"--qf",
	"%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n",
	NULL,
};
/* every file there: rpmdb.sqlite's write-ahead log changes without it */
static const char *const rpm_db_dirs[] = {
	"/var/lib/rpm",
	"/usr/lib/sysimage/rpm",
	NULL,
};
const struct collect_cmd rpm_query_cmd = {
	rpm_paths, rpm_args, NULL, rpm_dbs, 0, false, rpm_db_dirs,
};

/* On failure a parser leaves lines as it found them. */
static void truncate_lines(struct ed_strvec *lines, size_t nr)
{
	while (lines->nr > nr)
		free(lines->v[--lines->nr]);
}

static int all_digits(const char *p, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

int rpm_parse_query(struct ed_strvec *lines, const char *buf, size_t len,
		    const char *name, struct ed_err *err)
{
	struct ed_buf tmp = ED_BUF_INIT;
	struct pkg_lines it;
	const char *p;
	size_t n0, nr0 = lines->nr;
	int rc = 0;

	pkg_lines_init(&it, buf, len, name);
	while ((rc = pkg_lines_next(&it, &p, &n0, err)) > 0) {
		const char *eol = p + n0;
		const char *f[5], *q;
		size_t flen[5], n = 0, i;

		if (eol == p)
			continue;

		q = p;
		for (;;) {
			const char *tab = memchr(q, '\t', (size_t)(eol - q));
			const char *fe = tab ? tab : eol;

			if (n == 5) {
				n++;
				break;
			}
			f[n] = q;
			flen[n] = (size_t)(fe - q);
			n++;
			if (!tab)
				break;
			q = tab + 1;
		}
		if (n != 5) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: expected 5 tab-separated fields",
					name, it.lineno);
			goto out;
		}
		for (i = 0; i < 5; i++) {
			if (i != 1 && !flen[i]) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu: empty field %zu", name,
						it.lineno, i + 1);
				goto out;
			}
		}
		if (!all_digits(f[1], flen[1])) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: epoch '%.*s' is not a number",
					name, it.lineno, (int)flen[1], f[1]);
			goto out;
		}
		/* Imported signing keys, not software. */
		if (flen[0] == 10 && !memcmp(f[0], "gpg-pubkey", 10))
			continue;

		ed_buf_reset(&tmp);
		snapshot_quote(&tmp, f[0], flen[0]);
		ed_buf_addch(&tmp, ' ');
		snapshot_quote(&tmp, f[4], flen[4]);
		ed_buf_addch(&tmp, ' ');
		while (flen[1] > 1 && f[1][0] == '0') {
			f[1]++;
			flen[1]--;
		}
		if (!(flen[1] == 1 && f[1][0] == '0')) {
			ed_buf_add(&tmp, f[1], flen[1]);
			ed_buf_addch(&tmp, ':');
		}
		snapshot_quote(&tmp, f[2], flen[2]);
		ed_buf_addch(&tmp, '-');
		snapshot_quote(&tmp, f[3], flen[3]);
		ed_strvec_take(lines, ed_xmemdup(tmp.ptr, tmp.len));
	}

out:
	if (rc < 0)
		truncate_lines(lines, nr0);
	ed_buf_release(&tmp);
	return rc;
}

/*
 * The rpm tool of fs: the first executable "rpm" in $PATH on this machine
 * (empty and relative entries skipped: running "./rpm" from wherever we
 * happen to be is never what was meant; /usr/bin:/bin without a PATH),
 * the first of rpm_query_cmd.paths on an image, whose PATH we do not
 * know.
 */
static int find_rpm(struct ed_buf *out, struct vfs *fs)
{
	const char *path = vfs_getenv(fs, "PATH");
	const char *const *cands = rpm_query_cmd.paths;
	const char *p;
	size_t i;

	for (i = 0; !path && cands[i]; i++) {
		if (!vfs_executable(fs, cands[i])) {
			ed_buf_reset(out);
			ed_buf_adds(out, cands[i]);
			return 0;
		}
	}
	for (p = path; p && *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		if (n && p[0] == '/') {
			ed_buf_reset(out);
			ed_buf_add(out, p, n);
			ed_buf_adds(out, "/rpm");
			if (!vfs_executable(fs, out->ptr))
				return 0;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	ed_buf_reset(out);
	return ED_ENOTFOUND;
}

int rpm_query_installed(struct ed_strvec *lines, struct vfs *fs, struct ed_err *err)
{
	const char *const *args = rpm_query_cmd.args;
	const char *root = vfs_root(fs);
	struct ed_buf tool = ED_BUF_INIT, out = ED_BUF_INIT;
	struct ed_buf errline = ED_BUF_INIT;
	struct ed_strvec argv = ED_STRVEC_INIT;
	int status, rc;
	size_t i;

	rc = find_rpm(&tool, fs);
	if (rc < 0) {
		rc = ed_err_set(err, ED_ENOTFOUND, "rpm: not found in PATH");
		goto out;
	}
	/* argv is char *const[]: owned copies, NULL-terminated */
	ed_strvec_push(&argv, tool.ptr);
	for (i = 0; args[i]; i++)
		ed_strvec_push(&argv,
			       args[i] == COLLECT_ARG_ROOT ? root : args[i]);
	ed_strvec_take(&argv, NULL);
	rc = vfs_run(fs, &out, &errline, &status, argv.v, NULL, RPM_OUTPUT_MAX,
		     RPM_TIMEOUT_MS, err);
	if (rc == ED_ENOTFOUND) /* the database is there: rpm must answer */
		rc = err->code = ED_EIO;
	if (rc < 0)
		goto out;
	if (WIFSIGNALED(status)) {
		rc = ed_err_set(err, ED_ERROR,
				"%s -qa --root %s: killed by signal %d",
				tool.ptr, root, WTERMSIG(status));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = ed_err_set(err, ED_ERROR,
				"%s -qa --root %s: exited with status %d%s%s",
				tool.ptr, root,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				errline.len ? ": " : "", errline.ptr);
		goto out;
	}
	rc = rpm_parse_query(lines, out.ptr, out.len, "rpm -qa", err);
out:
	ed_buf_release(&tool);
	ed_buf_release(&out);
	ed_buf_release(&errline);
	ed_strvec_release(&argv);
	return rc;
}
