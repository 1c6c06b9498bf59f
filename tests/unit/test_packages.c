/*
 * Unit tests for the packages collector: the dpkg, apk and rpm parsers on
 * real database excerpts, every parse error with its location, and
 * collect_packages on fixture roots (rpm through a stand-in rpm script).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/snapshot.h"
#include "core/strvec.h"

#define PKG_FIXTURES FIXTURE_DIR "/packages"

struct pkg_state {
	struct snapshot snap;
	struct ed_strvec meta;
	struct ed_strvec lines;
	struct ed_err err;
	char *saved_path; /* PATH before the test, restored in teardown */
	char tmpdir[32];  /* an empty root: mkdtemp fills in the template */
};

static int pkg_setup(void **state)
{
	struct pkg_state *st = ed_xcalloc(1, sizeof(*st));
	const char *path = getenv("PATH");

	snapshot_init(&st->snap);
	ed_strvec_init(&st->meta);
	ed_strvec_init(&st->lines);
	ed_err_clear(&st->err);
	st->saved_path = path ? ed_xstrdup(path) : NULL;
	memcpy(st->tmpdir, "/tmp/envdrift-pkg-XXXXXX",
	       sizeof("/tmp/envdrift-pkg-XXXXXX"));
	if (!mkdtemp(st->tmpdir))
		return -1;
	*state = st;
	return 0;
}

static int pkg_teardown(void **state)
{
	struct pkg_state *st = *state;

	if (st->saved_path)
		setenv("PATH", st->saved_path, 1);
	else
		unsetenv("PATH");
	free(st->saved_path);
	rmdir(st->tmpdir);
	snapshot_release(&st->snap);
	ed_strvec_release(&st->meta);
	ed_strvec_release(&st->lines);
	free(st);
	return 0;
}

static void read_fixture(struct ed_buf *b, const char *rel)
{
	struct ed_buf path = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	ed_buf_addf(&path, "%s/%s", PKG_FIXTURES, rel);
	assert_int_equal(ed_buf_read_file(b, path.ptr, 1 << 24, &err), 0);
	ed_buf_release(&path);
}

/* Sort lines and compare them, joined with '\n', to want. */
static void assert_lines(struct ed_strvec *lines, const char *want)
{
	struct ed_buf got = ED_BUF_INIT;

	ed_strvec_sort_unique(lines);
	ed_strvec_join_lines(lines, &got);
	assert_string_equal(got.ptr, want);
	ed_buf_release(&got);
}

static void assert_msg_prefix(const struct ed_err *err, const char *prefix)
{
	if (strncmp(err->msg, prefix, strlen(prefix)))
		fail_msg("message \"%s\" does not start with \"%s\"", err->msg,
			 prefix);
}

struct bad_case {
	const char *in;
	size_t len;         /* 0: strlen(in) */
	const char *prefix; /* "t:LINE: what" */
};

/* Each case must fail with ED_EPARSE at its line and leave lines alone. */
static void check_bad_cases(int (*parse)(struct ed_strvec *, const char *,
					 size_t, const char *, struct ed_err *),
			    const struct bad_case *c, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		struct ed_strvec lines = ED_STRVEC_INIT;
		struct ed_err err = ED_ERR_INIT;
		size_t len = c[i].len ? c[i].len : strlen(c[i].in);
		int rc;

		ed_strvec_push(&lines, "sentinel");
		rc = parse(&lines, c[i].in, len, "t", &err);
		if (rc != ED_EPARSE)
			fail_msg("case %zu: rc %d, want ED_EPARSE", i, rc);
		assert_int_equal(err.code, ED_EPARSE);
		assert_msg_prefix(&err, c[i].prefix);
		assert_int_equal(lines.nr, 1);
		ed_strvec_release(&lines);
	}
}

static const char dpkg_fixture_lines[] =
	"adduser all 3.134\n"
	"diffutils amd64 1:3.8-4\n"
	"libattr1 amd64 1:2.5.1-4\n"
	"libattr1 i386 1:2.5.1-4\n"
	"libtirpc-common all 1.3.3+ds-1 half-installed\n"
	"netbase all 6.4 config-files\n"
	"pkgconf amd64 1.8.1-1\n";

static void test_packages_dpkg_reads_real_status(void **state)
{
	struct pkg_state *st = *state;
	struct ed_buf b = ED_BUF_INIT;

	read_fixture(&b, "root/var/lib/dpkg/status");
	assert_int_equal(dpkg_parse_status(&st->lines, b.ptr, b.len, "status",
					   &st->err),
			 0);
	assert_lines(&st->lines, dpkg_fixture_lines);
	ed_buf_release(&b);
}

static void test_packages_dpkg_quotes_fields_and_marks_missing_arch(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "Package: odd\\name\n"
				 "Status: install ok installed\n"
				 "Version: 1.0 beta\n"
				 "\n"
				 "package: lower\n"
				 "STATUS: install ok unpacked\n"
				 "architecture: amd64\n"
				 "version: 2\n";

	assert_int_equal(dpkg_parse_status(&st->lines, in, sizeof(in) - 1, "t",
					   &st->err),
			 0);
	assert_lines(&st->lines, "lower amd64 2 unpacked\n"
				 "odd\\x5cname - 1.0\\x20beta\n");
}

static void test_packages_dpkg_tolerates_crlf_and_missing_newline(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "\n \n"
				 "Package: a\r\n"
				 "Status: install ok triggers-pending\r\n"
				 "Architecture: arm64\r\n"
				 "Description: x\r\n"
				 " more\r\n"
				 " \r\n"
				 "Version: 1:0.1-2\r\n"
				 "\r\n"
				 "\r\n"
				 "Package: b\n"
				 "Status: deinstall reinstreq half-configured\n"
				 "Architecture: all\n"
				 "Version:   3  ";

	assert_int_equal(dpkg_parse_status(&st->lines, in, sizeof(in) - 1, "t",
					   &st->err),
			 0);
	assert_lines(&st->lines, "a arm64 1:0.1-2 triggers-pending\n"
				 "b all 3 half-configured\n");
}

static void test_packages_dpkg_skips_not_installed(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "Package: gone\n"
				 "Status: purge ok not-installed\n"
				 "Architecture: amd64\n";

	assert_int_equal(dpkg_parse_status(&st->lines, in, sizeof(in) - 1, "t",
					   &st->err),
			 0);
	assert_int_equal(st->lines.nr, 0);
	assert_int_equal(dpkg_parse_status(&st->lines, "", 0, "t", &st->err), 0);
	assert_int_equal(st->lines.nr, 0);
}

static void test_packages_dpkg_rejects_malformed_input(void **state)
{
#define P "Package: a\n"
#define S "Status: install ok installed\n"
	static const struct bad_case cases[] = {
		{ P S "Version: 1\nno colon here\n", 0,
		  "t:4: expected 'Field: value' or a continuation line" },
		{ ": value\n", 0,
		  "t:1: expected 'Field: value' or a continuation line" },
		{ "Bad Field: x\n", 0,
		  "t:1: field name 'Bad Field' contains whitespace" },
		{ " stray continuation\n", 0,
		  "t:1: continuation line outside a field" },
		{ P " more name\n", 0, "t:2: continuation of single-line field" },
		{ S "Version: 1\n", 0, "t:1: paragraph has no 'Package' field" },
		{ "Package:\n" S "Version: 1\n", 0,
		  "t:1: paragraph has no 'Package' field" },
		{ P "Version: 1\n", 0, "t:1: package 'a' has no 'Status' field" },
		{ P "Status: install ok\nVersion: 1\n", 0,
		  "t:2: 'Status' field 'install ok' is not 3 words" },
		{ P "Status: install ok installed now\n", 0,
		  "t:2: 'Status' field 'install ok installed now' is not 3 words" },
		{ P "Status: want ok installed\n", 0,
		  "t:2: unknown package want 'want'" },
		{ P "Status: install fine installed\n", 0,
		  "t:2: unknown package flag 'fine'" },
		{ P "Status: install ok weird\n", 0,
		  "t:2: unknown package state 'weird'" },
		{ P S "Architecture: all\n", 0,
		  "t:1: package 'a' has no 'Version' field" },
		{ P "package: b\n", 0, "t:2: duplicate 'package' field" },
		{ P S "Version: 1\0\n", sizeof(P S "Version: 1\0\n") - 1,
		  "t:3: NUL byte" },
		{ P S "Version: 1\n\nPackage: b\nStatus: x y\n", 0,
		  "t:6: 'Status' field 'x y' is not 3 words" },
		{ P S "Version: 1\n\nPackage: b\n" S, 0,
		  "t:5: package 'b' has no 'Version' field" },
	};
#undef P
#undef S
	(void)state;
	check_bad_cases(dpkg_parse_status, cases, ED_ARRAY_SIZE(cases));
}

static void test_packages_apk_reads_installed_db(void **state)
{
	struct pkg_state *st = *state;
	struct ed_buf b = ED_BUF_INIT;

	read_fixture(&b, "apkroot/lib/apk/db/installed");
	assert_int_equal(apk_parse_installed(&st->lines, b.ptr, b.len,
					     "installed", &st->err),
			 0);
	assert_lines(&st->lines, "alpine-baselayout-data x86_64 3.4.3-r2\n"
				 "busybox x86_64 1.36.1-r20\n"
				 "ca-certificates-bundle x86_64 20240226-r0\n"
				 "libcrypto3 x86_64 3.1.4-r6\n"
				 "musl x86_64 1.2.4_git20230717-r4\n");
	ed_buf_release(&b);
}

static void test_packages_apk_tolerates_crlf_and_missing_arch(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "P:a\r\nV:1-r0\r\n\r\n\n"
				 "C:Q1x=\nP:b\nV:2-r1\nA:aarch64";

	assert_int_equal(apk_parse_installed(&st->lines, in, sizeof(in) - 1,
					     "t", &st->err),
			 0);
	assert_lines(&st->lines, "a - 1-r0\nb aarch64 2-r1\n");
}

static void test_packages_apk_rejects_malformed_input(void **state)
{
	static const struct bad_case cases[] = {
		{ "P:a\nnot a field\n", 0, "t:2: expected an 'X:value' line" },
		{ "P:a\n\tV:1\n", 0, "t:2: expected an 'X:value' line" },
		{ "x\n", 0, "t:1: expected an 'X:value' line" },
		{ "V:1\nA:x86_64\n", 0, "t:1: package block has no 'P:' line" },
		{ "P:\nV:1\n", 0, "t:1: package block has no 'P:' line" },
		{ "P:a\nV:1\n\nP:b\nA:x86_64\n", 0,
		  "t:4: package 'b' has no 'V:' line" },
		{ "P:a\nP:b\nV:1\n", 0, "t:2: duplicate 'P:' line" },
		{ "P:a\nV:1\0\n", sizeof("P:a\nV:1\0\n") - 1, "t:2: NUL byte" },
	};

	(void)state;
	check_bad_cases(apk_parse_installed, cases, ED_ARRAY_SIZE(cases));
}

static const char rpm_fixture_lines[] = "NetworkManager x86_64 1:1.42.8-1.fc38\n"
					"bash x86_64 5.2.15-3.fc38\n"
					"glibc i686 2.37-19.fc38\n"
					"glibc x86_64 2.37-19.fc38\n"
					"openssl-libs x86_64 1:3.0.9-2.fc38\n"
					"shadow-utils x86_64 2:4.13-6.fc38\n"
					"tzdata noarch 2024a-1.fc38\n";

static void test_packages_rpm_parses_query_and_drops_gpg_pubkey(void **state)
{
	struct pkg_state *st = *state;
	struct ed_buf b = ED_BUF_INIT;

	read_fixture(&b, "rpm-qa.txt");
	assert_int_equal(rpm_parse_query(&st->lines, b.ptr, b.len, "rpm -qa",
					 &st->err),
			 0);
	assert_lines(&st->lines, rpm_fixture_lines);
	ed_buf_release(&b);
}

static void test_packages_rpm_normalises_epoch(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "a\t00\t1\t2\tx86_64\n"
				 "b\t007\t1\t2\tx86_64\n"
				 "c\t0\t1 2\t3\tnoarch";

	assert_int_equal(rpm_parse_query(&st->lines, in, sizeof(in) - 1, "t",
					 &st->err),
			 0);
	assert_lines(&st->lines, "a x86_64 1-2\n"
				 "b x86_64 7:1-2\n"
				 "c noarch 1\\x202-3\n");
}

static void test_packages_rpm_rejects_malformed_input(void **state)
{
	static const struct bad_case cases[] = {
		{ "a\t0\t1\t2\tx86_64\nb\t0\t1\t2\n", 0,
		  "t:2: expected 5 tab-separated fields" },
		{ "a\t0\t1\t2\tx86_64\textra\n", 0,
		  "t:1: expected 5 tab-separated fields" },
		{ "a 0 1 2 x86_64\n", 0, "t:1: expected 5 tab-separated fields" },
		{ "\t0\t1\t2\tx86_64\n", 0, "t:1: empty field 1" },
		{ "a\t0\t1\t\tx86_64\n", 0, "t:1: empty field 4" },
		{ "a\t(none)\t1\t2\tx86_64\n", 0,
		  "t:1: epoch '(none)' is not a number" },
		{ "a\t\t1\t2\tx86_64\n", 0, "t:1: epoch '' is not a number" },
		{ "a\t0\t1\t2\tx86\0_64\n",
		  sizeof("a\t0\t1\t2\tx86\0_64\n") - 1, "t:1: NUL byte" },
	};

	(void)state;
	check_bad_cases(rpm_parse_query, cases, ED_ARRAY_SIZE(cases));
}

static const char *packages_file(const struct pkg_state *st)
{
	const struct snapshot_entry *e = snapshot_find(&st->snap, "packages");

	return e ? e->data : NULL;
}

static int run_collect(struct pkg_state *st, const char *root)
{
	struct collect_opts o;
	struct vfs *fs = vfs_root_new(root);
	int rc;

	memset(&o, 0, sizeof(o));
	vfs_set_live(fs, false);
	rc = collect_packages(&st->snap, &st->meta, fs, &o, &st->err);
	vfs_free(fs);
	return rc;
}

static void test_packages_collect_dpkg_root(void **state)
{
	struct pkg_state *st = *state;

	assert_int_equal(run_collect(st, PKG_FIXTURES "/root"), 0);
	assert_int_equal(st->meta.nr, 1);
	assert_string_equal(st->meta.v[0], "collector packages collected: dpkg");
	assert_non_null(packages_file(st));
	assert_string_equal(packages_file(st), dpkg_fixture_lines);
	assert_int_equal(st->snap.warnings.nr, 0);
}

static void test_packages_collect_empty_root_is_not_collected(void **state)
{
	struct pkg_state *st = *state;

	assert_int_equal(run_collect(st, st->tmpdir), 0);
	assert_int_equal(st->meta.nr, 1);
	assert_string_equal(st->meta.v[0], "collector packages not-collected: "
					   "no package database found");
	assert_null(packages_file(st));
	assert_int_equal(st->snap.nr, 0);
}

static void test_packages_collect_apk_root(void **state)
{
	struct pkg_state *st = *state;
	const char *data;

	assert_int_equal(run_collect(st, PKG_FIXTURES "/apkroot"), 0);
	assert_string_equal(st->meta.v[0], "collector packages collected: apk");
	data = packages_file(st);
	assert_non_null(data);
	assert_non_null(strstr(data, "\nmusl x86_64 1.2.4_git20230717-r4\n"));
}

static void test_packages_collect_runs_rpm_when_present(void **state)
{
	struct pkg_state *st = *state;

	setenv("PATH", "relative/dir::" PKG_FIXTURES "/bin:/usr/bin:/bin", 1);
	assert_int_equal(run_collect(st, PKG_FIXTURES "/rpmroot"), 0);
	assert_string_equal(st->meta.v[0],
			    "collector packages collected: dpkg rpm");
	assert_string_equal(packages_file(st),
			    "NetworkManager x86_64 1:1.42.8-1.fc38\n"
			    "bash x86_64 5.2.15-3.fc38\n"
			    "diffutils amd64 1:3.8-4\n"
			    "glibc i686 2.37-19.fc38\n"
			    "glibc x86_64 2.37-19.fc38\n"
			    "openssl-libs x86_64 1:3.0.9-2.fc38\n"
			    "shadow-utils x86_64 2:4.13-6.fc38\n"
			    "tzdata noarch 2024a-1.fc38\n");
	assert_int_equal(st->snap.warnings.nr, 0);
}

static void test_packages_collect_warns_when_rpm_tool_missing(void **state)
{
	struct pkg_state *st = *state;

	setenv("PATH", st->tmpdir, 1);
	assert_int_equal(run_collect(st, PKG_FIXTURES "/rpmroot"), 0);
	assert_string_equal(st->meta.v[0], "collector packages collected: dpkg "
					   "(rpm skipped: rpm tool missing)");
	assert_string_equal(packages_file(st), "diffutils amd64 1:3.8-4\n");
	assert_int_equal(st->snap.warnings.nr, 1);
	assert_string_equal(st->snap.warnings.v[0],
			    PKG_FIXTURES "/rpmroot/usr/lib/sysimage/rpm: rpm "
					 "database found but rpm tool missing; "
					 "rpm packages skipped");
}

static void test_packages_collect_rpm_only_without_tool_is_not_collected(void **state)
{
	struct pkg_state *st = *state;

	setenv("PATH", st->tmpdir, 1);
	assert_int_equal(run_collect(st, PKG_FIXTURES "/rpmfail"), 0);
	assert_string_equal(st->meta.v[0],
			    "collector packages not-collected: rpm database "
			    "found but rpm tool missing");
	assert_null(packages_file(st));
	assert_int_equal(st->snap.warnings.nr, 1);
}

static void test_packages_collect_fails_when_rpm_fails(void **state)
{
	struct pkg_state *st = *state;

	setenv("PATH", PKG_FIXTURES "/bin", 1);
	assert_int_equal(run_collect(st, PKG_FIXTURES "/rpmfail"), ED_ERROR);
	assert_msg_prefix(&st->err, PKG_FIXTURES
			  "/bin/rpm -qa --root " PKG_FIXTURES
			  "/rpmfail: exited with status "
			  "1: error: cannot open Packages database");
	assert_null(packages_file(st));
	assert_int_equal(st->meta.nr, 0);
}

static void test_packages_collect_fails_on_malformed_status(void **state)
{
	struct pkg_state *st = *state;

	assert_int_equal(run_collect(st, PKG_FIXTURES "/badroot"), ED_EPARSE);
	assert_msg_prefix(&st->err,
			  PKG_FIXTURES "/badroot/var/lib/dpkg/"
				       "status:2: 'Status' field 'install ok' "
				       "is not 3 words");
	assert_null(packages_file(st));
	assert_int_equal(st->meta.nr, 0);
}

/* ---- the parsers' line reader ---- */

static void test_packages_lines_strip_crlf_and_count(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "one\r\n\ntwo\n\r\nlast";
	static const char *const want[] = { "one", "", "two", "", "last" };
	struct pkg_lines it;
	const char *p;
	size_t n, i = 0;
	int rc;

	pkg_lines_init(&it, in, sizeof(in) - 1, "t");
	while ((rc = pkg_lines_next(&it, &p, &n, &st->err)) > 0) {
		assert_true(i < ED_ARRAY_SIZE(want));
		assert_int_equal(n, strlen(want[i]));
		assert_memory_equal(p, want[i], n);
		assert_int_equal(it.lineno, i + 1);
		i++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(i, ED_ARRAY_SIZE(want));
	/* past the end it stays at the end */
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), 0);
	assert_int_equal(st->err.code, 0);
}

static void test_packages_lines_empty_buffer_has_no_line(void **state)
{
	struct pkg_state *st = *state;
	struct pkg_lines it;
	const char *p = NULL;
	size_t n = 0;

	pkg_lines_init(&it, "", 0, "t");
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), 0);
	assert_null(p);
	assert_int_equal(it.lineno, 0);
	pkg_lines_init(&it, "\n", 1, "t");
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), 1);
	assert_int_equal(n, 0);
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), 0);
}

static void test_packages_lines_refuse_nul_with_its_line(void **state)
{
	struct pkg_state *st = *state;
	static const char in[] = "a\nb\0c\nd\n";
	struct pkg_lines it;
	const char *p;
	size_t n;

	pkg_lines_init(&it, in, sizeof(in) - 1, "db");
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), 1);
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), ED_EPARSE);
	assert_int_equal(st->err.code, ED_EPARSE);
	assert_string_equal(st->err.msg, "db:2: NUL byte");
	/* a NUL just before the newline is in that line too */
	ed_err_clear(&st->err);
	pkg_lines_init(&it, "x\0\n", 3, "db");
	assert_int_equal(pkg_lines_next(&it, &p, &n, &st->err), ED_EPARSE);
	assert_string_equal(st->err.msg, "db:1: NUL byte");
}

#define PKG_TEST(f) cmocka_unit_test_setup_teardown(f, pkg_setup, pkg_teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		PKG_TEST(test_packages_dpkg_reads_real_status),
		PKG_TEST(test_packages_dpkg_quotes_fields_and_marks_missing_arch),
		PKG_TEST(test_packages_dpkg_tolerates_crlf_and_missing_newline),
		PKG_TEST(test_packages_dpkg_skips_not_installed),
		PKG_TEST(test_packages_dpkg_rejects_malformed_input),
		PKG_TEST(test_packages_apk_reads_installed_db),
		PKG_TEST(test_packages_apk_tolerates_crlf_and_missing_arch),
		PKG_TEST(test_packages_apk_rejects_malformed_input),
		PKG_TEST(test_packages_rpm_parses_query_and_drops_gpg_pubkey),
		PKG_TEST(test_packages_rpm_normalises_epoch),
		PKG_TEST(test_packages_rpm_rejects_malformed_input),
		PKG_TEST(test_packages_lines_strip_crlf_and_count),
		PKG_TEST(test_packages_lines_empty_buffer_has_no_line),
		PKG_TEST(test_packages_lines_refuse_nul_with_its_line),
		PKG_TEST(test_packages_collect_dpkg_root),
		PKG_TEST(test_packages_collect_empty_root_is_not_collected),
		PKG_TEST(test_packages_collect_apk_root),
		PKG_TEST(test_packages_collect_runs_rpm_when_present),
		PKG_TEST(test_packages_collect_warns_when_rpm_tool_missing),
		PKG_TEST(test_packages_collect_rpm_only_without_tool_is_not_collected),
		PKG_TEST(test_packages_collect_fails_when_rpm_fails),
		PKG_TEST(test_packages_collect_fails_on_malformed_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
