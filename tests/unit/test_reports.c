/*
 * The report formats on hand-made drift reports: golden substrings for
 * text, json and markdown; json parsed by python3, junit validated by
 * xmllint against tests/fixtures/reports/junit.xsd, html checked for
 * escaping, all of them also on hostile values (quotes, backslashes,
 * control bytes, invalid UTF-8, "<script>"). Golden files: one report
 * with an item of every shape in every format, and several reports in
 * one document, compared byte for byte with tests/fixtures/reports/golden/
 * (ENVDRIFT_UPDATE_GOLDEN=1 rewrites them from the output, to review).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"
#include "reports/report.h"

#define JUNIT_XSD FIXTURE_DIR "/reports/junit.xsd"
#define GOLDEN_DIR FIXTURE_DIR "/reports/golden"

struct fixture {
	char tmp[64]; /* mkdtemp template: a fixed, known length */
	struct drift_report r;
	struct drift_report more[2]; /* after r in report_write_many tests */
	struct ed_err err;
	char *out; /* the last rendering */
};

static const char hostile_value[] =
	"a\"b\\c\nd\x01"
	"e\x1b[31m\xff\xfe<script>alert(1)</script>]]>&amp;' "
	"\xc0\xaf \xed\xa0\x80 \xef\xbf\xbf \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \x7f\t\r";

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_reports.XXXXXX");
	/* the patch format diffs with libgit2, which the CLI initialises */
	if (!mkdtemp(f->tmp) || git_libgit2_init() < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&cmd, "rm -rf '%s'", f->tmp);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	free(f);
	git_libgit2_shutdown();
	return rc ? -1 : 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	drift_report_init(&f->r, "staging", "prod");
	drift_report_init(&f->more[0], "dev", "staging");
	drift_report_init(&f->more[1], "qa", "prod");
	memset(&f->err, 0, sizeof(f->err));
	f->r.hosts = 4;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	drift_report_release(&f->r);
	drift_report_release(&f->more[0]);
	drift_report_release(&f->more[1]);
	free(f->out);
	f->out = NULL;
	return 0;
}

/* Five items over roles web, db and none (a pin), and one note. */
static void sample(struct drift_report *r)
{
	struct drift_item *it;

	r->hosts = 6;
	it = drift_report_add(r, "sysctl", "vm.swappiness", "web", DRIFT_OUTLIER);
	it->side = 1;
	it->host = strdup("prd-3");
	it->host_value = strdup("5");
	it->group_size = 3;
	it->values[1] = strdup("60");
	ed_strvec_push(&it->hosts, "5\tprd-3");
	ed_strvec_push(&it->hosts, "60\tprd-1");
	ed_strvec_push(&it->hosts, "60\tprd-2");
	it = drift_report_add(r, "packages", "openssl:amd64", "web",
			      DRIFT_CHANGED);
	it->values[0] = strdup("3.0.15-1~deb12u1");
	it->values[1] = strdup("3.0.13-1~deb12u1");
	it->newer = 0;
	it->severity = SEV_CRITICAL;
	it->rule = strdup("bl.yaml:4");
	ed_strvec_push(&it->hosts, "3.0.13-1~deb12u1\tprd-1");
	ed_strvec_push(&it->hosts, "3.0.13-1~deb12u1\tprd-2");
	ed_strvec_push(&it->hosts, "3.0.15-1~deb12u1\tstg-1");
	it = drift_report_add(r, "files", "/etc/app.conf", "web", DRIFT_MISSING);
	it->values[0] = strdup("file 0644 root root 12 abc");
	it->waived = 1;
	it->waiver = strdup("bl.waivers.yaml:2: known (until 2026-12-31)");
	ed_strvec_push(&it->hosts, "file 0644 root root 12 abc\tstg-1");
	it = drift_report_add(r, "kernel", "release", "db", DRIFT_CHANGED);
	it->values[0] = strdup("6.1.0-18");
	it->values[1] = strdup("6.1.0-21");
	it->severity = SEV_INFO;
	it = drift_report_add(r, "packages", "openssl:amd64", NULL, DRIFT_PIN);
	it->host = strdup("prd-1");
	it->host_value = strdup("3.0.13");
	it->detail = strdup("packages:openssl:amd64 >= 3.0.15");
	it->rule = strdup("bl.yaml:7");
	it->severity = SEV_CRITICAL;
	ed_strvec_push(&it->hosts, "3.0.13\tprd-1");
	ed_strvec_push(&r->notes, "kernel not collected on img-1");
}

/* Every string field holds hostile bytes, operands and host names too. */
static void hostile(struct drift_report *r)
{
	struct drift_item *it;
	struct ed_buf line = ED_BUF_INIT;
	int k;

	free(r->operands[0]);
	free(r->operands[1]);
	r->operands[0] = strdup("st\"g\\<x>");
	r->operands[1] = strdup("pr\xff&d'");
	for (k = 0; k < 2; k++) {
		it = drift_report_add(r, "files", "/etc/<script>alert(1)</script>",
				      k ? NULL : "we|b`x",
				      k ? DRIFT_OUTLIER : DRIFT_CHANGED);
		it->values[0] = strdup(hostile_value);
		it->values[1] = strdup("x\ty");
		it->host = strdup("h\"1<\x02");
		it->host_value = strdup(hostile_value);
		it->group_size = 2;
		it->rule = strdup("b\xffl.yaml:1");
		it->detail = strdup(hostile_value);
		it->waived = k;
		it->waiver = k ? strdup(hostile_value) : NULL;
		it->severity = SEV_CRITICAL;
		ed_buf_reset(&line);
		ed_buf_addf(&line, "%s\th\"1<", hostile_value);
		ed_strvec_push(&it->hosts, line.ptr);
		ed_strvec_push(&it->hosts, "x\ty\th2");
	}
	it = drift_report_add(r, "sysctl", hostile_value, "we|b`x", DRIFT_EXTRA);
	it->values[1] = strdup(hostile_value);
	ed_strvec_push(&r->notes, hostile_value);
	ed_buf_release(&line);
}

/*
 * The golden report: staging (stg-1, stg-2) against prod (prd-1 to
 * prd-3), an item of every shape the formats tell apart: a consensus
 * change, an outlier, a version change with "newer", a waived item, a
 * config file with its content diff, a pin and a stale host, plus a
 * clean compared group and a note. Commit ids, dates and scan counts are
 * fixed, so the rendering is the same on every run.
 */
static void golden(struct drift_report *r)
{
	struct drift_item *it;

	r->hosts = 5;
	r->commits[0] = strdup("1111111111111111111111111111111111111111");
	r->commits[1] = strdup("2222222222222222222222222222222222222222");
	it = drift_report_add(r, "sysctl", "net.core.somaxconn", "web",
			      DRIFT_CHANGED);
	it->values[0] = strdup("4096");
	it->values[1] = strdup("128");
	ed_strvec_push(&it->hosts, "128\tprd-1");
	ed_strvec_push(&it->hosts, "128\tprd-2");
	ed_strvec_push(&it->hosts, "128\tprd-3");
	ed_strvec_push(&it->hosts, "4096\tstg-1");
	ed_strvec_push(&it->hosts, "4096\tstg-2");
	it = drift_report_add(r, "sysctl", "vm.swappiness", "web", DRIFT_OUTLIER);
	it->side = 1;
	it->host = strdup("prd-3");
	it->host_value = strdup("5");
	it->group_size = 3;
	it->values[1] = strdup("60");
	ed_strvec_push(&it->hosts, "5\tprd-3");
	ed_strvec_push(&it->hosts, "60\tprd-1");
	ed_strvec_push(&it->hosts, "60\tprd-2");
	it = drift_report_add(r, "packages", "nginx:amd64", "web", DRIFT_CHANGED);
	it->values[0] = strdup("1.22.1-9");
	it->values[1] = strdup("1.22.1-7");
	it->newer = 0;
	it->severity = SEV_CRITICAL;
	it->rule = strdup("parity.yaml:6");
	strcpy(it->since_date, "2026-11-20");
	strcpy(it->since_commit, "3333333333333333333333333333333333333333");
	it->since_scans = 6;
	ed_strvec_push(&it->hosts, "1.22.1-7\tprd-1");
	ed_strvec_push(&it->hosts, "1.22.1-7\tprd-2");
	ed_strvec_push(&it->hosts, "1.22.1-7\tprd-3");
	ed_strvec_push(&it->hosts, "1.22.1-9\tstg-1");
	ed_strvec_push(&it->hosts, "1.22.1-9\tstg-2");
	it = drift_report_add(r, "files", "/etc/motd", "web", DRIFT_MISSING);
	it->values[0] = strdup("file 0644 root root 20 3f2a");
	it->waived = 1;
	it->waiver = strdup(
		"parity.waivers.yaml:3: banner rollout (until 2027-01-31)");
	ed_strvec_push(&it->hosts, "file 0644 root root 20 3f2a\tstg-1");
	ed_strvec_push(&it->hosts, "file 0644 root root 20 3f2a\tstg-2");
	it = drift_report_add(r, "files", "/etc/app/app.conf", "web",
			      DRIFT_CHANGED);
	it->values[0] = strdup("file 0644 root root 31 aa01");
	it->values[1] = strdup("file 0644 root root 31 bb02");
	it->patch = strdup(
		"--- a/stg-1/etc/app/app.conf\n+++ b/prd-1/etc/app/app.conf\n"
		"@@ -1,3 +1,3 @@\n workers: 4\n-timeout: 30\n+timeout: 60\n"
		" log: <stderr> & \"file\"\n");
	ed_strvec_push(&it->hosts, "file 0644 root root 31 aa01\tstg-1");
	ed_strvec_push(&it->hosts, "file 0644 root root 31 aa01\tstg-2");
	ed_strvec_push(&it->hosts, "file 0644 root root 31 bb02\tprd-1");
	ed_strvec_push(&it->hosts, "file 0644 root root 31 bb02\tprd-2");
	ed_strvec_push(&it->hosts, "file 0644 root root 31 bb02\tprd-3");
	it = drift_report_add(r, "packages", "openssl:amd64", NULL, DRIFT_PIN);
	it->host = strdup("prd-1");
	it->host_value = strdup("3.0.13-1~deb12u1");
	it->detail = strdup("packages:openssl:amd64 >= 3.0.15");
	it->rule = strdup("parity.yaml:9");
	it->severity = SEV_CRITICAL;
	ed_strvec_push(&it->hosts, "3.0.13-1~deb12u1\tprd-1");
	it = drift_report_add(r, "hosts", "prd-2", NULL, DRIFT_STALE);
	it->host = strdup("prd-2");
	it->detail = strdup(
		"last collected 2026-11-19T02:30:00Z, older than --max-age");
	it->severity = SEV_CRITICAL;
	ed_strvec_push(&r->compared, "web\tfiles");
	ed_strvec_push(&r->compared, "web\tkernel");
	ed_strvec_push(&r->compared, "web\tpackages");
	ed_strvec_push(&r->compared, "web\tsysctl");
	ed_strvec_push(&r->notes, "kernel not collected on img-1");
}

/*
 * Two more, after golden(&f->r), for several reports in one document:
 * dev vs staging drifts in the same role and collector as the first (so
 * suite names would clash without the pair), qa vs prod is clean.
 */
static void golden_more(struct fixture *f)
{
	struct drift_item *it;

	f->more[0].hosts = 3;
	it = drift_report_add(&f->more[0], "packages", "nginx:amd64", "web",
			      DRIFT_CHANGED);
	it->values[0] = strdup("1.24.0-1");
	it->values[1] = strdup("1.22.1-9");
	it->newer = 0;
	it->severity = SEV_INFO;
	it->rule = strdup("parity.yaml:12");
	ed_strvec_push(&it->hosts, "1.22.1-9\tstg-1");
	ed_strvec_push(&it->hosts, "1.22.1-9\tstg-2");
	ed_strvec_push(&it->hosts, "1.24.0-1\tdev-1");
	it = drift_report_add(&f->more[0], "sysctl", "vm.swappiness", "web",
			      DRIFT_CHANGED);
	it->values[0] = strdup("10");
	it->values[1] = strdup("60");
	ed_strvec_push(&it->hosts, "10\tdev-1");
	ed_strvec_push(&it->hosts, "60\tstg-1");
	ed_strvec_push(&it->hosts, "60\tstg-2");
	ed_strvec_push(&f->more[0].compared, "web\tpackages");
	ed_strvec_push(&f->more[0].compared, "web\tsysctl");
	f->more[1].hosts = 4;
	ed_strvec_push(&f->more[1].compared, "web\tpackages");
	ed_strvec_push(&f->more[1].compared, "web\tsysctl");
}

/* Render the n reports from f->r on (f->r, f->more[0], f->more[1]). */
static const char *render_many(struct fixture *f, const char *format, size_t n,
			       int color)
{
	/* shallow copies, only read: f still owns what they point to */
	struct drift_report v[3];
	size_t len = 0;
	FILE *out;

	assert_true(n >= 1 && n <= 3);
	v[0] = f->r;
	v[1] = f->more[0];
	v[2] = f->more[1];
	free(f->out);
	f->out = NULL;
	out = open_memstream(&f->out, &len);
	assert_non_null(out);
	assert_int_equal(report_write_many(out, format, v, n, color, &f->err), 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(strlen(f->out), len);
	return f->out;
}

static const char *render_report(struct fixture *f, const char *format,
				 const struct drift_report *r, int color)
{
	size_t len = 0;
	FILE *out;

	free(f->out);
	f->out = NULL;
	out = open_memstream(&f->out, &len);
	assert_non_null(out);
	assert_int_equal(report_write(out, format, r, color, &f->err), 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(strlen(f->out), len);
	return f->out;
}

static const char *render(struct fixture *f, const char *format, int color)
{
	return render_report(f, format, &f->r, color);
}

static void assert_has(const char *s, const char *needle)
{
	if (!strstr(s, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, s);
}

static void assert_lacks(const char *s, const char *needle)
{
	if (strstr(s, needle))
		fail_msg("unexpected \"%s\" in:\n%s", needle, s);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (s = strstr(s, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

static int have(const char *prog)
{
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&cmd, "command -v %s >/dev/null 2>&1", prog);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	return rc == 0;
}

/* Write the last rendering to TMP/name and run "cmd 'TMP/name'". */
static int run_on_output(struct fixture *f, const char *name, const char *cmd)
{
	struct ed_buf path = ED_BUF_INIT, line = ED_BUF_INIT;
	FILE *fp;
	int rc;

	ed_buf_addf(&path, "%s/%s", f->tmp, name);
	fp = fopen(path.ptr, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(f->out, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	ed_buf_addf(&line, "%s '%s'", cmd, path.ptr);
	rc = system(line.ptr);
	ed_buf_release(&path);
	ed_buf_release(&line);
	return rc;
}

/*
 * The last rendering must equal GOLDEN_DIR/name byte for byte. On a
 * mismatch, "diff -u GOLDEN OUTPUT" goes to stderr and the failure names
 * the first line that differs. ENVDRIFT_UPDATE_GOLDEN=1 in the environment
 * (re)writes the golden file from the output instead: review it by eye.
 */
static void assert_golden(struct fixture *f, const char *name)
{
	struct ed_buf path = ED_BUF_INIT, want = ED_BUF_INIT, cmd = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	const char *update = getenv("ENVDRIFT_UPDATE_GOLDEN");
	size_t i, line = 1, len = strlen(f->out);
	FILE *fp;

	ed_buf_addf(&path, "%s/%s", GOLDEN_DIR, name);
	if (update && !strcmp(update, "1")) {
		fp = fopen(path.ptr, "w");
		assert_non_null(fp);
		assert_int_equal(fwrite(f->out, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
		fprintf(stderr, "# wrote %s\n", path.ptr);
		ed_buf_release(&path);
		return;
	}
	if (ed_buf_read_file(&want, path.ptr, 1 << 20, &err) < 0)
		fail_msg("%s (ENVDRIFT_UPDATE_GOLDEN=1 creates it)", err.msg);
	if (want.len == len && !memcmp(want.ptr, f->out, len)) {
		ed_buf_release(&path);
		ed_buf_release(&want);
		return;
	}
	for (i = 0; i < len && i < want.len && want.ptr[i] == f->out[i]; i++)
		if (f->out[i] == '\n')
			line++;
	ed_buf_addf(&cmd, "diff -u '%s' 1>&2", path.ptr);
	(void)run_on_output(f, name, cmd.ptr);
	fail_msg("%s: the output differs from the golden file from line %zu "
		 "(diff -u above; ENVDRIFT_UPDATE_GOLDEN=1 rewrites it)",
		 name, line);
}

/*
 * Every value of the attribute starting at each "PREFIX" in s (prefix
 * ends in the attribute's opening quote), pushed onto out.
 */
static void attr_values(struct ed_strvec *out, const char *s, const char *prefix)
{
	const char *p, *q;

	for (p = strstr(s, prefix); p; p = strstr(q, prefix)) {
		p += strlen(prefix);
		q = strchr(p, '"');
		assert_non_null(q);
		ed_strvec_take(out, ed_xstrndup(p, (size_t)(q - p)));
	}
}

/* The number in attribute attr="N" of the tag starting at tag. */
static size_t tag_num(const char *tag, const char *attr)
{
	const char *end = strchr(tag, '>');
	const char *a = strstr(tag, attr);

	if (!a || !end || a > end)
		fail_msg("no %s in: %.80s", attr, tag);
	return (size_t)strtoul(a + strlen(attr), NULL, 10);
}

/* 1 if no two strings of v are equal (v gets sorted). */
static int all_distinct(struct ed_strvec *v)
{
	size_t n = v->nr;

	ed_strvec_sort_unique(v);
	return v->nr == n;
}

static void xmllint_validates(struct fixture *f, const char *name)
{
	/* a test dependency (Makefile TEST_DEPS): missing fails, never skips */
	if (!have("xmllint"))
		fail_msg("no xmllint (make deps-test installs libxml2-utils)");
	if (run_on_output(f, name, "xmllint --noout --schema " JUNIT_XSD))
		fail_msg("xmllint rejects:\n%s", f->out);
}

static void python_checks(struct fixture *f, const char *name, const char *script)
{
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	if (!have("python3"))
		fail_msg("no python3 (make deps-test installs it)");
	ed_buf_addf(&cmd, "python3 -c '%s'", script);
	rc = run_on_output(f, name, cmd.ptr);
	ed_buf_release(&cmd);
	if (rc)
		fail_msg("python3 rejects:\n%s", f->out);
}

static void test_reports_known_formats_and_unknown_lists_them(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "text",      "json", "markdown",
					     "junit",     "html", "patch",
					     "prometheus" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(report_known(names[i]));
	assert_false(report_known("yaml"));
	assert_int_equal(report_write(stdout, "yaml", &f->r, 0, &f->err),
			 ED_ERROR);
	assert_string_equal(
		f->err.msg,
		"unknown report format 'yaml' "
		"(known: text, json, markdown, junit, html, patch, prometheus)");
}

static void test_reports_text_clean_is_one_line(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(render(f, "text", 1),
			    "no drift between staging and prod (4 hosts)\n");
}

static void test_reports_text_has_severity_waiver_detail_and_summary(void **state)
{
	struct fixture *f = *state;
	const char *s;

	sample(&f->r);
	s = render(f, "text", 0);
	assert_has(s, "drift between staging and prod: 5 drift items on 6 hosts\n");
	assert_has(s, "  changed  packages:openssl:amd64  staging=3.0.15-1~deb12u1  "
		      "prod=3.0.13-1~deb12u1  (newer: staging) [critical]\n"
		      "           (rule bl.yaml:4)\n");
	assert_has(s, "  outlier  sysctl:vm.swappiness  prd-3 (prod) has 5, the "
		      "other 2 of 3 have 60 [warning]\n");
	assert_has(s, "  missing  files:/etc/app.conf  staging=file 0644 root root 12 abc  "
		      "prod=(absent) [warning] (waived: bl.waivers.yaml:2: known "
		      "(until 2026-12-31))\n");
	assert_has(s,
		   "  pin      packages:openssl:amd64  prd-1 has 3.0.13 [critical]\n"
		   "           packages:openssl:amd64 >= 3.0.15  (rule bl.yaml:7)\n");
	assert_has(s,
		   "  changed  kernel:release  staging=6.1.0-18  prod=6.1.0-21 [info]\n");
	assert_has(s, "\nsummary: 2 critical, 1 warning, 1 info, 1 waived\n"
		      "note: kernel not collected on img-1\n");
	/* roles in order, the pin (no role) first, collectors grouped */
	assert_true(strstr(s, "pin ") < strstr(s, "\nrole db\n"));
	assert_true(strstr(s, "\nrole db\n") < strstr(s, "\nrole web\n"));
	assert_true(strstr(s, "files:/etc") <
		    strstr(s, "packages:openssl:amd64  staging"));
	assert_true(strstr(s, "packages:openssl:amd64  staging") <
		    strstr(s, "sysctl:"));
	assert_null(strchr(s, '\033'));
	s = render(f, "text", 1);
	assert_has(s, "\033[1;31m[critical]\033[0m");
}

static void test_reports_text_shows_control_bytes_escaped(void **state)
{
	struct fixture *f = *state;
	const char *s;

	hostile(&f->r);
	s = render(f, "text", 0);
	assert_null(strchr(s, '\033'));
	assert_null(strchr(s, '\001'));
	assert_has(s, "c\\nd\\x01e\\x1B[31m\\xFF\\xFE<script>");
	assert_has(s,
		   "\\xC0\\xAF \\xED\\xA0\\x80 \\xEF\\xBF\\xBF \xc3\xa9 \xe2\x9c\x93");
}

static void test_reports_json_items_have_severity_rule_and_waiver(void **state)
{
	struct fixture *f = *state;
	const char *s;

	sample(&f->r);
	s = render(f, "json", 1);
	assert_has(s,
		   "{\"schema\": 1, \"compared\": [\"staging\", \"prod\"], "
		   "\"commit\": null, \"commits\": [null, null], \"summary\": {\"hosts\": 6, "
		   "\"drift\": 5, \"changed\": 2, \"missing\": 1, \"extra\": 0, "
		   "\"outlier\": 1, \"pin\": 1, \"stale\": 0, \"critical\": 2, "
		   "\"warning\": 1, \"info\": 1, \"waived\": 1}, \"drift\": [\n  {");
	assert_has(s,
		   "{\"collector\": \"packages\", \"key\": \"openssl:amd64\", "
		   "\"kind\": \"changed\", \"fact_group\": 4, \"role\": \"web\", \"values\": "
		   "{\"staging\": \"3.0.15-1~deb12u1\", \"prod\": \"3.0.13-1~deb12u1\"}, "
		   "\"newer\": \"staging\", \"severity\": \"critical\", "
		   "\"rule\": \"bl.yaml:4\", \"hosts\": {\"3.0.13-1~deb12u1\": "
		   "[\"prd-1\", \"prd-2\"], \"3.0.15-1~deb12u1\": [\"stg-1\"]}}");
	assert_has(s,
		   "\"kind\": \"outlier\", \"fact_group\": 5, \"role\": \"web\", \"values\": "
		   "{\"staging\": null, \"prod\": \"60\"}, \"host\": \"prd-3\", "
		   "\"host_value\": \"5\", \"group_size\": 3, \"severity\": \"warning\", "
		   "\"rule\": null, \"hosts\": {\"5\": [\"prd-3\"], \"60\": [\"prd-1\", \"prd-2\"]}}");
	assert_has(s,
		   "\"severity\": \"warning\", \"rule\": null, \"waived\": true, "
		   "\"waiver\": \"bl.waivers.yaml:2: known (until 2026-12-31)\"");
	assert_has(s,
		   "\"kind\": \"pin\", \"fact_group\": 1, \"values\": {\"staging\": null, \"prod\": null}, "
		   "\"host\": \"prd-1\", \"host_value\": \"3.0.13\", \"severity\": "
		   "\"critical\", \"rule\": \"bl.yaml:7\", \"detail\": "
		   "\"packages:openssl:amd64 >= 3.0.15\"");
	assert_has(s, "\n], \"notes\": [\"kernel not collected on img-1\"]}\n");
	python_checks(
		f, "sample.json",
		"import json,sys; d=json.load(open(sys.argv[1])); "
		"s=d[\"summary\"]; assert s[\"drift\"] == len(d[\"drift\"]) == 5; "
		"assert (s[\"critical\"], s[\"warning\"], s[\"info\"], s[\"waived\"]) == (2, 1, 1, 1)");
}

static void test_reports_json_clean(void **state)
{
	struct fixture *f = *state;

	assert_has(render(f, "json", 0), "\"drift\": [], \"notes\": []}\n");
	python_checks(f, "clean.json",
		      "import json,sys; assert json.load(open(sys.argv[1]))[\"drift\"] == []");
}

static void test_reports_json_is_valid_for_any_bytes(void **state)
{
	struct fixture *f = *state;
	const char *s;

	hostile(&f->r);
	s = render(f, "json", 0);
	/* invalid UTF-8 bytes as \u00XX of the byte; valid UTF-8 as is */
	assert_has(s, "\"a\\\"b\\\\c\\nd\\u0001e\\u001b[31m\\u00ff\\u00fe<script>");
	assert_has(s, "\\u00c0\\u00af \\u00ed\\u00a0\\u0080 \xef\xbf\xbf \xc3\xa9 "
		      "\xe2\x9c\x93 \xf0\x9f\x98\x80 \\u007f\\t\\r\"");
	assert_has(s, "\"compared\": [\"st\\\"g\\\\<x>\", \"pr\\u00ff&d'\"]");
	python_checks(f, "hostile.json",
		      "import json,sys; d=json.load(open(sys.argv[1])); "
		      "v=d[\"drift\"][0][\"values\"]; assert v[\"pr\\u00ff&d\\x27\"] == \"x\\ty\"; "
		      "assert \"x\\ty\" in d[\"drift\"][0][\"hosts\"]; "
		      "assert d[\"drift\"][0][\"hosts\"][\"x\\ty\"] == [\"h2\"]");
}

static void test_reports_markdown_clean_is_one_line(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(
		render(f, "markdown", 0),
		"**envdrift**: no drift between staging and prod (4 hosts)\n");
}

static void test_reports_markdown_has_heading_and_table_per_role(void **state)
{
	struct fixture *f = *state;
	const char *s;

	sample(&f->r);
	s = render(f, "markdown", 0);
	assert_has(s, "### envdrift: drift between staging and prod\n\n5 drift items in 5 groups on 6 hosts: "
		      "**2 critical**, 1 warning, 1 info, 1 waived\n");
	assert_has(s,
		   "\n#### role web\n\n| severity | item | staging | prod | hosts |\n"
		   "| --- | --- | --- | --- | --- |\n| **critical** | packages:openssl:amd64 changed");
	/* worst first: the waived item last */
	assert_true(strstr(s, "| ~~warning~~ waived | files:/etc/app.conf missing") >
		    strstr(s, "| warning | sysctl:vm.swappiness outlier"));
	assert_has(s,
		   "| **critical** | packages:openssl:amd64 changed (newer: staging)"
		   "<br>rule bl.yaml:4 | 3.0.15-1\\~deb12u1 | 3.0.13-1\\~deb12u1 | "
		   "3.0.15-1\\~deb12u1: stg-1<br>3.0.13-1\\~deb12u1: prd-1, prd-2 |\n");
	assert_has(s, "| warning | sysctl:vm.swappiness outlier: prd-3 has 5 |  | 60 | "
		      "5: prd-3<br>60: prd-1, prd-2 |\n");
	assert_has(s, "\n#### hosts\n");
	assert_has(s,
		   "| info | kernel:release changed | 6.1.0-18 | 6.1.0-21 |  |\n");
	assert_has(s, "\nnotes:\n- kernel not collected on img-1\n");
}

static void test_reports_markdown_escapes_cells(void **state)
{
	struct fixture *f = *state;
	const char *s;

	hostile(&f->r);
	s = render(f, "markdown", 0);
	assert_lacks(s, "<script>");
	assert_has(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_has(s, "#### role we\\|b\\`x\n");
	assert_has(s, "a\"b\\\\c<br>d\\x01e\\x1B\\[31m\\xFF\\xFE&lt;script&gt;");
	assert_has(s, "\\]\\]&gt;&amp;amp;'");
	assert_null(strchr(s, '\033'));
}

static void test_reports_junit_validates_and_fails_per_collector(void **state)
{
	struct fixture *f = *state;
	const char *s;

	sample(&f->r);
	s = render(f, "junit", 0);
	assert_has(s,
		   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"envdrift "
		   "diff staging prod\" tests=\"5\" failures=\"3\" errors=\"0\">\n");
	assert_has(s,
		   "  <testsuite name=\"hosts\" tests=\"1\" failures=\"1\" errors=\"0\" "
		   "skipped=\"0\">\n    <testcase classname=\"hosts\" name=\"packages\">\n"
		   "      <failure message=\"packages:openssl:amd64 pin\" type=\"critical\">"
		   "prd-1 has 3.0.13\ndetail: packages:openssl:amd64 &gt;= 3.0.15\n");
	assert_has(s,
		   "  <testsuite name=\"db\" tests=\"1\" failures=\"0\" errors=\"0\" "
		   "skipped=\"0\">\n    <testcase classname=\"db\" name=\"kernel\">\n"
		   "      <system-out>info kernel:release changed\nstaging: 6.1.0-18\n");
	assert_has(s, "  <testsuite name=\"web\" tests=\"3\" failures=\"2\"");
	assert_has(s, "<testcase classname=\"web\" name=\"files\">\n      <system-out>waived "
		      "files:/etc/app.conf missing\n");
	assert_has(s,
		   "<failure message=\"sysctl:vm.swappiness outlier\" type=\"warning\">"
		   "prd-3 (prod) has 5, the other 2 of 3 have 60\nhosts:\n  5: prd-3\n"
		   "  60: prd-1 prd-2\n</failure>");
	assert_has(s,
		   "<system-out>note: kernel not collected on img-1\n</system-out>");
	xmllint_validates(f, "sample.xml");
}

static void test_reports_junit_clean_is_one_passing_testcase(void **state)
{
	struct fixture *f = *state;
	const char *s;

	s = render(f, "junit", 0);
	assert_has(s, "tests=\"1\" failures=\"0\"");
	assert_has(s,
		   "<testcase classname=\"hosts\" name=\"drift\">\n      <system-out>"
		   "no drift between staging and prod (4 hosts)</system-out>\n");
	assert_lacks(s, "<failure");
	xmllint_validates(f, "clean.xml");
}

static void test_reports_junit_is_well_formed_for_any_bytes(void **state)
{
	struct fixture *f = *state;
	const char *s;

	hostile(&f->r);
	s = render(f, "junit", 0);
	assert_lacks(s, "<script>");
	assert_lacks(s, "\xff");
	assert_null(strchr(s, '\001'));
	assert_has(s,
		   "name=\"envdrift diff st&quot;g\\&lt;x&gt; pr\\xFF&amp;d&apos;\"");
	assert_has(s, "classname=\"we|b`x\"");
	xmllint_validates(f, "hostile.xml");
}

static void test_reports_html_is_self_contained_and_escaped(void **state)
{
	struct fixture *f = *state;
	const char *s;

	hostile(&f->r);
	sample(&f->r);
	s = render(f, "html", 1);
	assert_has(s, "<!DOCTYPE html>\n");
	assert_has(s, "&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_lacks(s, "<script>alert");
	assert_lacks(s, "http");
	assert_lacks(s, "src=");
	assert_lacks(s, "href=");
	assert_has(s, "<input id=\"q\" type=\"search\"");
	assert_has(s, "<label><input type=\"checkbox\" name=\"sev\" value=\"critical\" checked> "
		      "critical (3)</label>");
	assert_has(s, "<details class=\"group s2\" data-sev=\"critical\" data-kind=\"changed\" "
		      "data-waived=\"0\" data-c=\"");
	assert_has(s, ": st&quot;g\\&lt;x&gt; <code>3.0.15-1~deb12u1</code>, "
		      "pr\\xFF&amp;d&#39; <code>3.0.13-1~deb12u1</code>");
	assert_has(s,
		   ": prd-3 (pr\\xFF&amp;d&#39;) has <code>5</code>; the other 2 have <code>60</code>");
	assert_has(s, "<div class=\"map\"><table><caption>where: ");
	/* the only script is ours, once */
	assert_int_equal(count(s, "<script"), 1);
	assert_null(strchr(s, '\033'));
}

static void test_reports_html_clean_has_no_table(void **state)
{
	struct fixture *f = *state;
	const char *s;

	s = render(f, "html", 0);
	assert_has(s, "<h1>no drift between staging and prod</h1>");
	assert_lacks(s, "<table");
	assert_has(s, "</html>\n");
}

static const struct {
	const char *format, *golden;
} golden_files[] = {
	{ "text", "one.txt" },        { "json", "one.json" },
	{ "markdown", "one.md" },     { "junit", "one.xml" },
	{ "html", "one.html" },       { "patch", "one.patch" },
	{ "prometheus", "one.prom" },
};

static void test_reports_golden_every_format(void **state)
{
	struct fixture *f = *state;
	size_t i;

	golden(&f->r);
	for (i = 0; i < sizeof(golden_files) / sizeof(golden_files[0]); i++) {
		char *one;

		/* one report through report_write_many is report_write */
		one = strdup(render_many(f, golden_files[i].format, 1, 0));
		assert_non_null(one);
		render(f, golden_files[i].format, 0);
		assert_string_equal(f->out, one);
		free(one);
		assert_golden(f, golden_files[i].golden);
		if (!strcmp(golden_files[i].format, "junit"))
			xmllint_validates(f, "one.xml");
		if (!strcmp(golden_files[i].format, "json"))
			python_checks(
				f, "one.json",
				"import json,sys; d=json.load(open(sys.argv[1])); "
				"assert d[\"summary\"][\"drift\"] == len(d[\"drift\"]) == 7");
	}
}

/*
 * prometheus: hostile operands and a hostile failure state come out as
 * label values prometheus_client's parser reads back (quote, backslash
 * and newline escaped; control bytes and invalid UTF-8 as the text
 * \xNN), the fleet's metrics beside the drift, and a pair's two reports
 * in one series.
 */
static void test_reports_prometheus_labels_parse_back(void **state)
{
	struct fixture *f = *state;
	char prod[] = "prod", p1[] = "p1", p2[] = "p2", stg[] = "stg\"x",
	     s1[] = "s1", why[] = "un\"re\\ach\nable\xff: why";
	struct store_host h[3];
	struct report_fleet fleet = { h, 3, 1, 2 };
	struct drift_report v[2];
	struct drift_item *it;
	size_t len = 0, i;
	FILE *out;

	memset(h, 0, sizeof(h));
	h[0].env = prod;
	h[0].host = p1;
	h[0].last_success = 1796000000;
	h[0].last_duration = 2.5;
	h[1].env = prod;
	h[1].host = p2;
	h[1].last_success = 1796000100;
	h[1].last_duration = -1; /* the newest commit has no duration */
	h[1].failure = why;
	h[2].env = stg;
	h[2].host = s1;
	drift_report_release(&f->r);
	drift_report_init(&f->r, hostile_value, "prod");
	for (i = 0; i < 2; i++) {
		it = drift_report_add(&f->r, "files", "/etc/x", NULL,
				      DRIFT_CHANGED);
		it->severity = SEV_CRITICAL;
	}
	it = drift_report_add(&f->r, "hosts", "s1", NULL, DRIFT_STALE);
	it->host = strdup("s1");
	it = drift_report_add(&f->r, "hosts", "p1", NULL, DRIFT_STALE);
	it->host = strdup("p1");
	it->waived = 1;
	ed_strvec_push(&f->r.compared, "web\tfiles");
	v[0] = f->r;
	v[1] = f->r;
	free(f->out);
	f->out = NULL;
	out = open_memstream(&f->out, &len);
	assert_non_null(out);
	assert_int_equal(report_write_fleet(out, "prometheus", v, 2, &fleet, 0,
					    &f->err),
			 0);
	assert_int_equal(fclose(out), 0);
	assert_has(f->out, "envdrift_check_status 2\n");
	assert_has(f->out,
		   "envdrift_last_scan_timestamp_seconds{env=\"prod\"} 1796000100\n");
	/* the newest commit decides; it had no duration: none, not p1's */
	assert_null(strstr(f->out, "envdrift_last_scan_duration_seconds"));
	assert_has(f->out, "envdrift_stale_hosts{env=\"stg\\\"x\"} 1\n");
	assert_has(f->out, "envdrift_stale_hosts{env=\"prod\"} 0\n");
	if (access("/usr/bin/python3", X_OK) != 0)
		fail_msg("/usr/bin/python3 is missing (make deps-test)");
	if (run_on_output(
		    f, "hostile.prom",
		    "/usr/bin/python3 -c 'import sys\n"
		    "from prometheus_client.parser import text_string_to_metric_families as p\n"
		    "t = open(sys.argv[1], encoding=\"utf-8\").read()\n"
		    "s = {(x.name, tuple(sorted(x.labels.items()))): x.value for f in p(t) for x in f.samples}\n"
		    "a = [k for k in s if k[0] == \"envdrift_drift_items\"][0][1][0][1]\n"
		    "assert a.startswith(\"a\\\"b\\\\c\\nd\\\\x01e\\\\x1b[31m\\\\xff\\\\xfe<script>\"), a\n"
		    "assert s[(\"envdrift_drift_items\", ((\"a\", a), (\"b\", \"prod\"), (\"collector\", \"files\"), (\"severity\", \"critical\")))] == 4\n"
		    "assert s[(\"envdrift_drift_waived_items\", ((\"a\", a), (\"b\", \"prod\"), (\"collector\", \"hosts\"), (\"severity\", \"warning\")))] == 2\n"
		    "assert s[(\"envdrift_failed_hosts\", ((\"env\", \"prod\"), (\"state\", \"un\\\"re\\\\ach\\nable\\\\xff\")))] == 1\n"
		    "assert s[(\"envdrift_hosts\", ((\"env\", \"stg\\\"x\"),))] == 1\n"
		    "'") != 0)
		fail_msg("prometheus_client rejects:\n%s", f->out);
}

static void test_reports_write_many_refuses_none_and_unknown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(report_write_many(stdout, "text", &f->r, 0, 0, &f->err),
			 ED_ERROR);
	assert_string_equal(f->err.msg, "no text report to write");
	assert_int_equal(report_write_many(stdout, "yaml", &f->r, 2, 0, &f->err),
			 ED_ERROR);
	assert_has(f->err.msg, "unknown report format 'yaml'");
}

/* text, markdown and patch: each report as report_write has it, a blank line apart */
static void test_reports_several_concatenate_text_markdown_patch(void **state)
{
	struct fixture *f = *state;
	static const char *const formats[] = { "text", "markdown", "patch" };
	struct ed_buf want = ED_BUF_INIT;
	size_t i, k;

	golden(&f->r);
	golden_more(f);
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		ed_buf_reset(&want);
		for (k = 0; k < 3; k++) {
			if (k)
				ed_buf_addch(&want, '\n');
			ed_buf_adds(&want,
				    render_report(f, formats[i],
						  k ? &f->more[k - 1] : &f->r, 0));
		}
		assert_string_equal(render_many(f, formats[i], 3, 0), want.ptr);
	}
	ed_buf_release(&want);
}

static void test_reports_several_json_wraps_them(void **state)
{
	struct fixture *f = *state;
	const char *s;

	golden(&f->r);
	golden_more(f);
	s = render_many(f, "json", 3, 0);
	assert_golden(f, "many.json");
	assert_true(!strncmp(s, "{\"schema\": 1, \"reports\": [\n{\"schema\": 1, ",
			     41));
	assert_has(s,
		   "]}\n,\n{\"schema\": 1, \"compared\": [\"dev\", \"staging\"]");
	assert_int_equal(count(s, "\"compared\": "), 3);
	python_checks(f, "many.json",
		      "import json,sys; d=json.load(open(sys.argv[1])); "
		      "assert d[\"schema\"] == 1; r=d[\"reports\"]; "
		      "assert [x[\"compared\"] for x in r] == [[\"staging\", \"prod\"], "
		      "[\"dev\", \"staging\"], [\"qa\", \"prod\"]]; "
		      "assert [len(x[\"drift\"]) for x in r] == [7, 2, 0]");
}

static void test_reports_several_junit_is_one_document_with_totals(void **state)
{
	struct fixture *f = *state;
	struct ed_strvec names = { NULL, 0, 0 }, cases = { NULL, 0, 0 };
	const char *s, *p;
	size_t tests = 0, failures = 0, i;

	golden(&f->r);
	golden_more(f);
	s = render_many(f, "junit", 3, 0);
	assert_golden(f, "many.xml");
	assert_int_equal(count(s, "<?xml "), 1);
	assert_int_equal(count(s, "<testsuites "), 1);
	assert_int_equal(count(s, "</testsuites>"), 1);
	assert_has(s, "<testsuites name=\"envdrift diff staging..prod, dev..staging, "
		      "qa..prod\" ");
	/* the root's counts are the sums of its suites' */
	for (p = strstr(s, "<testsuite "); p; p = strstr(p + 1, "<testsuite ")) {
		tests += tag_num(p, "tests=\"");
		failures += tag_num(p, "failures=\"");
	}
	p = strstr(s, "<testsuites ");
	assert_int_equal(tag_num(p, "tests=\""), tests);
	assert_int_equal(tag_num(p, "failures=\""), failures);
	assert_int_equal(count(s, "<testcase "), tests);
	/*
	 * testcases are (role, collector) groups. staging..prod: hosts holds
	 * the pin and the stale host (2, both failing), web files, packages,
	 * sysctl (failing) and kernel (clean); dev..staging: web packages
	 * (info, passing) and sysctl (failing); qa..prod: 2 clean.
	 */
	assert_int_equal(tests, 2 + 4 + 2 + 2);
	assert_int_equal(failures, 2 + 3 + 1);
	/* suite names unique across the reports, each after its pair */
	attr_values(&names, s, "<testsuite name=\"");
	assert_int_equal(names.nr, 4);
	assert_string_equal(names.v[0], "staging..prod: hosts");
	assert_string_equal(names.v[1], "staging..prod: web");
	assert_string_equal(names.v[2], "dev..staging: web");
	assert_string_equal(names.v[3], "qa..prod: web");
	ed_strvec_release(&names);
	/* so are testcases (classname and name), classnames named like their suite */
	attr_values(&cases, s, "<testcase classname=\"");
	for (i = 0; i < cases.nr; i++)
		assert_true(!strncmp(cases.v[i], "staging..prod: ", 15) ||
			    !strncmp(cases.v[i], "dev..staging: ", 14) ||
			    !strncmp(cases.v[i], "qa..prod: ", 10));
	ed_strvec_release(&cases);
	for (p = strstr(s, "<testcase "); p; p = strstr(p + 1, "<testcase "))
		ed_strvec_take(&cases, ed_xstrndup(p, strcspn(p, ">")));
	assert_int_equal(cases.nr, tests);
	assert_true(all_distinct(&cases));
	ed_strvec_release(&cases);
	xmllint_validates(f, "many.xml");
}

static void test_reports_several_html_is_one_page_with_a_section_each(void **state)
{
	struct fixture *f = *state;
	struct ed_strvec ids = { NULL, 0, 0 };
	const char *s;

	golden(&f->r);
	golden_more(f);
	s = render_many(f, "html", 3, 0);
	assert_golden(f, "many.html");
	assert_int_equal(count(s, "<!DOCTYPE html>"), 1);
	assert_int_equal(count(s, "<html"), 1);
	assert_int_equal(count(s, "<body>"), 1);
	assert_int_equal(count(s, "</html>\n"), 1);
	assert_has(s,
		   "<title>envdrift: staging vs prod, dev vs staging, qa vs prod</title>");
	assert_has(s, "<h1>envdrift: drift in 2 of 3 comparisons</h1>");
	assert_int_equal(count(s, "<section id=\"report-"), 3);
	assert_int_equal(count(s, "</section>"), 3);
	assert_has(s, "<section id=\"report-1\" class=\"report\">\n"
		      "<h2>drift between staging and prod</h2>");
	assert_has(s, "<section id=\"report-2\" class=\"report\">\n"
		      "<h2>drift between dev and staging</h2>");
	assert_has(s, "<section id=\"report-3\" class=\"report\">\n"
		      "<h2>no drift between qa and prod</h2>");
	/* per drifting section: its overview, filter and groups */
	assert_has(s, "<div id=\"filters-2\" class=\"filters\">");
	assert_has(s, "<div id=\"groups-2\" class=\"groups\">");
	assert_int_equal(count(s, "<div class=\"overview\">"), 2);
	attr_values(&ids, s, " id=\"");
	assert_int_equal(ids.nr, 3 + 2 * 3);
	assert_true(all_distinct(&ids));
	ed_strvec_release(&ids);
	assert_int_equal(count(s, "<script"), 1);
	assert_lacks(s, "http");
	assert_lacks(s, "src=");
}

/*
 * A fleet: 1,000 hosts, staging h1..h100 and prod h101..h1000, and 500
 * facts of which each is on three hosts (one in staging, two in prod),
 * as one injected change shows. Each fact is three outlier items.
 */
static void fleet(struct drift_report *r)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t f, k, h;

	r->hosts = 1000;
	for (f = 0; f < 500; f++) {
		size_t on[3] = { 1 + f % 100, 101 + f, 601 + f % 400 };

		ed_buf_reset(&b);
		ed_buf_addf(&b, "/etc/cron.d/extra-%03zu", f);
		for (k = 0; k < 3; k++) {
			struct drift_item *it =
				drift_report_add(r, "files", b.ptr, "web",
						 DRIFT_OUTLIER);
			size_t lo = k ? 101 : 1, hi = k ? 1000 : 100;

			it->side = k ? 1 : 0;
			{
				char name[16];

				snprintf(name, sizeof(name), "h%zu", on[k]);
				it->host = ed_xstrdup(name);
			}
			it->host_value =
				ed_xstrdup("file 0644 root root 20 3f2a");
			it->group_size = hi - lo + 1;
			for (h = lo; h <= hi; h++) {
				char line[64];
				int mine = h == on[0] || h == on[1] || h == on[2];

				snprintf(line, sizeof(line), "%s\th%zu",
					 mine ? "file 0644 root root 20 3f2a" :
						"(absent)",
					 h);
				ed_strvec_push(&it->hosts, line);
			}
			ed_strvec_sort_unique(&it->hosts);
		}
	}
	ed_buf_release(&b);
}

/* One change on three hosts is one group: one text line, one markdown row. */
static void test_reports_fact_groups(void **state)
{
	struct fixture *f = *state;
	const char *s;
	size_t rows = 0;
	const char *p;

	fleet(&f->r);
	s = render(f, "text", 0);
	assert_has(s,
		   "drift between staging and prod: 1500 drift items in 500 groups on 1000 hosts\n");
	assert_has(s,
		   "  outlier  files:/etc/cron.d/extra-007  h8 (staging), h108, h608 (prod) "
		   "have file 0644 root root 20 3f2a, the other 997 have (absent) [warning]\n");
	for (p = s; (p = strstr(p, "\n  outlier  ")); p++)
		rows++;
	assert_int_equal(rows, 500);
	s = render(f, "json", 0);
	assert_has(s,
		   "\"key\": \"/etc/cron.d/extra-007\", \"kind\": \"outlier\", \"fact_group\": 8, ");
	rows = 0;
	for (p = s; (p = strstr(p, "\"fact_group\": 8, ")); p++)
		rows++;
	assert_int_equal(rows, 3); /* every item kept, one group id */
}

/*
 * Markdown fits a comment: the hosts that deviate first, the majority a
 * count with its names folded, and the document cut under 60,000 bytes.
 */
static void test_reports_markdown_fits_a_comment(void **state)
{
	struct fixture *f = *state;
	const char *s;

	fleet(&f->r);
	s = render(f, "markdown", 0);
	assert_true(strlen(s) <= 60000);
	assert_has(s, "| warning | files:/etc/cron.d/extra-000 outlier: h1 (staging), h101, h601 (prod) "
		      "have file 0644 root root 20 3f2a |");
	assert_has(s, "| file 0644 root root 20 3f2a: h1, h101, h601<br>(absent): "
		      "<details><summary>997 hosts</summary>");
	assert_has(s, " and 947 more</details> |\n");
	assert_has(s, "\n| files | 0 | 1500 | 0 | 0 |\n");
	assert_has(s,
		   "more rows: see the full report (`--format html:FILE`, `--format json:FILE`).*\n");
	s = render(f, "html", 0); /* the full report is not cut */
	assert_has(s, "extra-499");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_reports_known_formats_and_unknown_lists_them,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_text_clean_is_one_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_text_has_severity_waiver_detail_and_summary,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_text_shows_control_bytes_escaped, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_json_items_have_severity_rule_and_waiver,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_json_clean, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reports_json_is_valid_for_any_bytes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_markdown_clean_is_one_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_markdown_has_heading_and_table_per_role,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_markdown_escapes_cells,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_fact_groups, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reports_markdown_fits_a_comment,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_junit_validates_and_fails_per_collector,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_junit_clean_is_one_passing_testcase, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_junit_is_well_formed_for_any_bytes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_html_is_self_contained_and_escaped, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_reports_html_clean_has_no_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_golden_every_format,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_prometheus_labels_parse_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_write_many_refuses_none_and_unknown, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_several_concatenate_text_markdown_patch,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_several_json_wraps_them,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_several_junit_is_one_document_with_totals,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_reports_several_html_is_one_page_with_a_section_each,
			setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
