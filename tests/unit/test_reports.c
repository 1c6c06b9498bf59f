/*
 * The report formats on hand-made drift reports: golden substrings for
 * text, json and markdown; json parsed by python3, junit validated by
 * xmllint against tests/fixtures/reports/junit.xsd, html checked for
 * escaping, all of them also on hostile values (quotes, backslashes,
 * control bytes, invalid UTF-8, "<script>").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "reports/report.h"

#define JUNIT_XSD FIXTURE_DIR "/reports/junit.xsd"

struct fixture {
	char tmp[64];      /* mkdtemp template: a fixed, known length */
	struct drift_report r;
	struct ed_err err;
	char *out;         /* the last rendering */
};

static const char hostile_value[] =
	"a\"b\\c\nd\x01" "e\x1b[31m\xff\xfe<script>alert(1)</script>]]>&amp;' "
	"\xc0\xaf \xed\xa0\x80 \xef\xbf\xbf \xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80 \x7f\t\r";

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_reports.XXXXXX");
	if (!mkdtemp(f->tmp)) {
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
	return rc ? -1 : 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	drift_report_init(&f->r, "staging", "prod");
	memset(&f->err, 0, sizeof(f->err));
	f->r.hosts = 4;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	drift_report_release(&f->r);
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
	it = drift_report_add(r, "packages", "openssl:amd64", "web", DRIFT_CHANGED);
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
				      k ? NULL : "we|b`x", k ? DRIFT_OUTLIER : DRIFT_CHANGED);
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

static const char *render(struct fixture *f, const char *format, int color)
{
	size_t len = 0;
	FILE *out;

	free(f->out);
	f->out = NULL;
	out = open_memstream(&f->out, &len);
	assert_non_null(out);
	assert_int_equal(report_write(out, format, &f->r, color, &f->err), 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(strlen(f->out), len);
	return f->out;
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

static void xmllint_validates(struct fixture *f, const char *name)
{
	if (!have("xmllint")) {
		fprintf(stderr, "# skip: no xmllint\n");
		return;
	}
	if (run_on_output(f, name, "xmllint --noout --schema " JUNIT_XSD))
		fail_msg("xmllint rejects:\n%s", f->out);
}

static void python_checks(struct fixture *f, const char *name, const char *script)
{
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	if (!have("python3")) {
		fprintf(stderr, "# skip: no python3\n");
		return;
	}
	ed_buf_addf(&cmd, "python3 -c '%s'", script);
	rc = run_on_output(f, name, cmd.ptr);
	ed_buf_release(&cmd);
	if (rc)
		fail_msg("python3 rejects:\n%s", f->out);
}

static void test_reports_known_formats_and_unknown_lists_them(void **state)
{
	struct fixture *f = *state;
	static const char *const names[] = { "text", "json", "markdown", "junit", "html", "patch" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_true(report_known(names[i]));
	assert_false(report_known("yaml"));
	assert_int_equal(report_write(stdout, "yaml", &f->r, 0, &f->err), ED_ERROR);
	assert_string_equal(f->err.msg, "unknown report format 'yaml' "
					"(known: text, json, markdown, junit, html, patch)");
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
	assert_has(s, "drift between staging and prod: 5 items, 6 hosts\n");
	assert_has(s, "  changed  packages:openssl:amd64  staging=3.0.15-1~deb12u1  "
		      "prod=3.0.13-1~deb12u1  (newer: staging) [critical]\n"
		      "           (rule bl.yaml:4)\n");
	assert_has(s, "  outlier  sysctl:vm.swappiness  prd-3 (prod) has 5, the "
		      "other 2 of 3 have 60 [warning]\n");
	assert_has(s, "  missing  files:/etc/app.conf  staging=file 0644 root root 12 abc  "
		      "prod=(absent) [warning] (waived: bl.waivers.yaml:2: known "
		      "(until 2026-12-31))\n");
	assert_has(s, "  pin      packages:openssl:amd64  prd-1 has 3.0.13 [critical]\n"
		      "           packages:openssl:amd64 >= 3.0.15  (rule bl.yaml:7)\n");
	assert_has(s, "  changed  kernel:release  staging=6.1.0-18  prod=6.1.0-21 [info]\n");
	assert_has(s, "\nsummary: 2 critical, 1 warning, 1 info, 1 waived\n"
		      "note: kernel not collected on img-1\n");
	/* roles in order, the pin (no role) first, collectors grouped */
	assert_true(strstr(s, "pin ") < strstr(s, "\nrole db\n"));
	assert_true(strstr(s, "\nrole db\n") < strstr(s, "\nrole web\n"));
	assert_true(strstr(s, "files:/etc") < strstr(s, "packages:openssl:amd64  staging"));
	assert_true(strstr(s, "packages:openssl:amd64  staging") < strstr(s, "sysctl:"));
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
	assert_has(s, "\\xC0\\xAF \\xED\\xA0\\x80 \\xEF\\xBF\\xBF \xc3\xa9 \xe2\x9c\x93");
}

static void test_reports_json_items_have_severity_rule_and_waiver(void **state)
{
	struct fixture *f = *state;
	const char *s;

	sample(&f->r);
	s = render(f, "json", 1);
	assert_has(s, "{\"schema\": 1, \"compared\": [\"staging\", \"prod\"], "
		      "\"commit\": null, \"commits\": [null, null], \"summary\": {\"hosts\": 6, "
		      "\"drift\": 5, \"changed\": 2, \"missing\": 1, \"extra\": 0, "
		      "\"outlier\": 1, \"pin\": 1, \"stale\": 0, \"critical\": 2, "
		      "\"warning\": 1, \"info\": 1, \"waived\": 1}, \"drift\": [\n  {");
	assert_has(s, "{\"collector\": \"packages\", \"key\": \"openssl:amd64\", "
		      "\"kind\": \"changed\", \"role\": \"web\", \"values\": "
		      "{\"staging\": \"3.0.15-1~deb12u1\", \"prod\": \"3.0.13-1~deb12u1\"}, "
		      "\"newer\": \"staging\", \"severity\": \"critical\", "
		      "\"rule\": \"bl.yaml:4\", \"hosts\": {\"3.0.13-1~deb12u1\": "
		      "[\"prd-1\", \"prd-2\"], \"3.0.15-1~deb12u1\": [\"stg-1\"]}}");
	assert_has(s, "\"kind\": \"outlier\", \"role\": \"web\", \"values\": "
		      "{\"staging\": null, \"prod\": \"60\"}, \"host\": \"prd-3\", "
		      "\"host_value\": \"5\", \"group_size\": 3, \"severity\": \"warning\", "
		      "\"rule\": null, \"hosts\": {\"5\": [\"prd-3\"], \"60\": [\"prd-1\", \"prd-2\"]}}");
	assert_has(s, "\"severity\": \"warning\", \"rule\": null, \"waived\": true, "
		      "\"waiver\": \"bl.waivers.yaml:2: known (until 2026-12-31)\"");
	assert_has(s, "\"kind\": \"pin\", \"values\": {\"staging\": null, \"prod\": null}, "
		      "\"host\": \"prd-1\", \"host_value\": \"3.0.13\", \"severity\": "
		      "\"critical\", \"rule\": \"bl.yaml:7\", \"detail\": "
		      "\"packages:openssl:amd64 >= 3.0.15\"");
	assert_has(s, "\n], \"notes\": [\"kernel not collected on img-1\"]}\n");
	python_checks(f, "sample.json",
		      "import json,sys; d=json.load(open(sys.argv[1])); "
		      "s=d[\"summary\"]; assert s[\"drift\"] == len(d[\"drift\"]) == 5; "
		      "assert (s[\"critical\"], s[\"warning\"], s[\"info\"], s[\"waived\"]) == (2, 1, 1, 1)");
}

static void test_reports_json_clean(void **state)
{
	struct fixture *f = *state;

	assert_has(render(f, "json", 0), "\"drift\": [], \"notes\": []}\n");
	python_checks(f, "clean.json", "import json,sys; assert json.load(open(sys.argv[1]))[\"drift\"] == []");
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

	assert_string_equal(render(f, "markdown", 0),
			    "**envdrift**: no drift between staging and prod (4 hosts)\n");
}

static void test_reports_markdown_has_heading_and_table_per_role(void **state)
{
	struct fixture *f = *state;
	const char *s;

	sample(&f->r);
	s = render(f, "markdown", 0);
	assert_has(s, "### envdrift: drift between staging and prod\n\n5 items on 6 hosts: "
		      "**2 critical**, 1 warning, 1 info, 1 waived\n");
	assert_has(s, "\n#### role web\n\n| severity | item | staging | prod | hosts |\n"
		      "| --- | --- | --- | --- | --- |\n| ~~warning~~ waived | files:/etc/app.conf missing");
	assert_has(s, "| **critical** | packages:openssl:amd64 changed (newer: staging)"
		      "<br>rule bl.yaml:4 | 3.0.15-1\\~deb12u1 | 3.0.13-1\\~deb12u1 | "
		      "3.0.13-1\\~deb12u1: prd-1, prd-2<br>3.0.15-1\\~deb12u1: stg-1 |\n");
	assert_has(s, "| warning | sysctl:vm.swappiness outlier: prd-3 has 5 |  | 60 | "
		      "5: prd-3<br>60: prd-1, prd-2 |\n");
	assert_has(s, "\n#### hosts\n");
	assert_has(s, "| info | kernel:release changed | 6.1.0-18 | 6.1.0-21 |  |\n");
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
	assert_has(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"envdrift "
		      "diff staging prod\" tests=\"5\" failures=\"3\" errors=\"0\">\n");
	assert_has(s, "  <testsuite name=\"hosts\" tests=\"1\" failures=\"1\" errors=\"0\" "
		      "skipped=\"0\">\n    <testcase classname=\"hosts\" name=\"packages\">\n"
		      "      <failure message=\"packages:openssl:amd64 pin\" type=\"critical\">"
		      "prd-1 has 3.0.13\ndetail: packages:openssl:amd64 &gt;= 3.0.15\n");
	assert_has(s, "  <testsuite name=\"db\" tests=\"1\" failures=\"0\" errors=\"0\" "
		      "skipped=\"0\">\n    <testcase classname=\"db\" name=\"kernel\">\n"
		      "      <system-out>info kernel:release changed\nstaging: 6.1.0-18\n");
	assert_has(s, "  <testsuite name=\"web\" tests=\"3\" failures=\"2\"");
	assert_has(s, "<testcase classname=\"web\" name=\"files\">\n      <system-out>waived "
		      "files:/etc/app.conf missing\n");
	assert_has(s, "<failure message=\"sysctl:vm.swappiness outlier\" type=\"warning\">"
		      "prd-3 (prod) has 5, the other 2 of 3 have 60\nhosts:\n  5: prd-3\n"
		      "  60: prd-1 prd-2\n</failure>");
	assert_has(s, "<system-out>note: kernel not collected on img-1\n</system-out>");
	xmllint_validates(f, "sample.xml");
}

static void test_reports_junit_clean_is_one_passing_testcase(void **state)
{
	struct fixture *f = *state;
	const char *s;

	s = render(f, "junit", 0);
	assert_has(s, "tests=\"1\" failures=\"0\"");
	assert_has(s, "<testcase classname=\"hosts\" name=\"drift\">\n      <system-out>"
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
	assert_has(s, "name=\"envdrift diff st&quot;g\\&lt;x&gt; pr\\xFF&amp;d&apos;\"");
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
	assert_has(s, "<tr class=\"critical\" data-sev=\"critical\" data-kind=\"changed\" "
		      "data-waived=\"0\">");
	assert_has(s, "<th>st&quot;g\\&lt;x&gt;</th><th>pr\\xFF&amp;d&#39;</th>");
	assert_has(s, "<td>3.0.15-1~deb12u1</td><td>3.0.13-1~deb12u1</td>");
	assert_has(s, "<td>prd-3: 5</td>");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reports_known_formats_and_unknown_lists_them, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_text_clean_is_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_text_has_severity_waiver_detail_and_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_text_shows_control_bytes_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_json_items_have_severity_rule_and_waiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_json_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_json_is_valid_for_any_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_markdown_clean_is_one_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_markdown_has_heading_and_table_per_role, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_markdown_escapes_cells, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_junit_validates_and_fails_per_collector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_junit_clean_is_one_passing_testcase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_junit_is_well_formed_for_any_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_html_is_self_contained_and_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reports_html_clean_has_no_table, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
