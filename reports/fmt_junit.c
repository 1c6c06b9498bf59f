/*
 * junit: for CI test tabs. One <testsuite> per role ("hosts" for host vs
 * host), one <testcase> per collector with drift, classname the role and
 * name the collector; a <failure> per item that fails (not waived, warning
 * or critical), waived and info items as <system-out> lines, each with its
 * values, rule, age, hosts and content diff. A clean comparison is one
 * passing testcase. Several reports (report_write_many) are one
 * <testsuites> with the totals, each suite and classname prefixed with its
 * pair ("staging..prod: web") so they stay unique. The XML is well-formed
 * whatever the values hold: markup characters are entities, and control
 * bytes XML 1.0 forbids and invalid UTF-8 are written as the text \xNN.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/words.h"

static const char *const xml_text_escapes[128] = {
	['&'] = "&amp;",   ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
	['\''] = "&apos;", ['\n'] = "\n",  ['\t'] = "\t",  ['\r'] = "&#13;",
};

/* attribute values: whitespace as references so parsers keep it */
static const char *const xml_attr_escapes[128] = {
	['&'] = "&amp;",   ['<'] = "&lt;",   ['>'] = "&gt;",  ['"'] = "&quot;",
	['\''] = "&apos;", ['\n'] = "&#10;", ['\t'] = "&#9;", ['\r'] = "&#13;",
};

static const char *xml_text(unsigned char c)
{
	return c < 128 ? xml_text_escapes[c] : NULL;
}

static const char *xml_attr(unsigned char c)
{
	return c < 128 ? xml_attr_escapes[c] : NULL;
}

static const char *suite_name(const char *role)
{
	return role ? role : "hosts";
}

/* A suite name or classname: name, after "A..B: " in a several-report document. */
static void put_name(const struct report_ctx *c, FILE *out, const char *name)
{
	if (c->nreports > 1) {
		report_put(out, c->r->operands[0], xml_attr);
		fputs("..", out);
		report_put(out, c->r->operands[1], xml_attr);
		fputs(": ", out);
	}
	report_put(out, name, xml_attr);
}

static void put_value(struct ed_buf *b, const char *v)
{
	ed_buf_adds(b, v ? v : "(absent)");
}

/* The item, raw, over several lines; escaped when written. */
static void describe(struct ed_buf *b, const struct drift_report *r,
		     const struct drift_item *it)
{
	int s, side = it->side ? 1 : 0;
	size_t i, j, end, rest;
	struct ed_buf v = ED_BUF_INIT;

	if (it->kind == DRIFT_OUTLIER) {
		ed_buf_addf(b, "%s (%s) has ", it->host ? it->host : "(unknown)",
			    r->operands[side]);
		put_value(b, it->host_value);
		rest = it->group_size ? it->group_size - 1 : 0;
		ed_buf_addf(b, ", the other %zu of %zu %s ", rest,
			    it->group_size, ed_plural(rest, "has", "have"));
		put_value(b, it->values[side]);
		ed_buf_addch(b, '\n');
	} else if (report_host_only(it) && !report_shows_host_value(it)) {
		ed_buf_addf(b, "%s\n", it->host);
	} else if (report_host_only(it)) {
		ed_buf_addf(b, "%s has ", it->host);
		put_value(b, it->host_value);
		ed_buf_addch(b, '\n');
	} else {
		for (s = 0; s < 2; s++) {
			ed_buf_addf(b, "%s: ", r->operands[s]);
			put_value(b, it->values[s]);
			ed_buf_addch(b, '\n');
		}
	}
	if (it->newer == 0 || it->newer == 1)
		ed_buf_addf(b, "newer: %s\n", r->operands[it->newer]);
	if (it->detail)
		ed_buf_addf(b, "detail: %s\n", it->detail);
	if (it->rule)
		ed_buf_addf(b, "rule: %s\n", it->rule);
	if (it->waived)
		ed_buf_addf(b, "waived: %s\n", it->waiver ? it->waiver : "");
	if (it->since_date[0] && r->stable)
		ed_buf_addf(b, "since: %s%s\n",
			    it->since_cut ? "at least " : "", it->since_date);
	else if (it->since_date[0])
		ed_buf_addf(b, "since: %s%s (%zu %s)\n",
			    it->since_cut ? "at least " : "", it->since_date,
			    it->since_scans,
			    ed_plural(it->since_scans, "scan", "scans"));
	if (it->hosts.nr)
		ed_buf_adds(b, "hosts:\n");
	for (i = 0; i < it->hosts.nr; i = end) {
		end = report_hosts_run(&it->hosts, i, &v);
		ed_buf_addf(b, "  %s:", v.ptr);
		for (j = i; j < end; j++)
			ed_buf_addf(b, " %s", report_host_name(it->hosts.v[j]));
		ed_buf_addch(b, '\n');
	}
	if (it->patch) {
		ed_buf_adds(b, "diff:\n");
		ed_buf_adds(b, it->patch);
		if (b->len && b->ptr[b->len - 1] != '\n')
			ed_buf_addch(b, '\n');
	}
	ed_buf_release(&v);
}

static void junit_notes(struct report_ctx *c, const char *indent)
{
	size_t i;

	if (!c->r->notes.nr)
		return;
	fprintf(c->out, "%s<system-out>", indent);
	for (i = 0; i < c->r->notes.nr; i++) {
		fputs("note: ", c->out);
		report_put(c->out, c->r->notes.v[i], xml_text);
		fputc('\n', c->out);
	}
	fputs("</system-out>\n", c->out);
}

/* Items' roles are NULL for host vs host; compared lists them as "". */
static int same_role(const char *item_role, const char *role, size_t len)
{
	const char *ir = item_role ? item_role : "";

	return strlen(ir) == len && !memcmp(ir, role, len);
}

/* 1 if an item of r is in (role, collector); role given as (ptr, len). */
static int group_has_items(const struct drift_report *r, const char *role,
			   size_t rlen, const char *collector)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (same_role(r->items[i].role, role, rlen) &&
		    !strcmp(r->items[i].collector, collector))
			return 1;
	return 0;
}

static int role_has_items(const struct drift_report *r, const char *role,
			  size_t rlen)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (same_role(r->items[i].role, role, rlen))
			return 1;
	return 0;
}

/*
 * Compared groups without drift of one role (role NULL: every role),
 * written as passing testcases when out is set; returns how many.
 */
static size_t clean_groups(const struct report_ctx *c, const char *role, FILE *out)
{
	const struct ed_strvec *cmp = &c->r->compared;
	size_t i, n = 0;

	for (i = 0; i < cmp->nr; i++) {
		const char *tab = strchr(cmp->v[i], '\t');
		size_t rlen = (size_t)(tab - cmp->v[i]);

		if (role && !same_role(role[0] ? role : NULL, cmp->v[i], rlen))
			continue;
		if (group_has_items(c->r, cmp->v[i], rlen, tab + 1))
			continue;
		n++;
		if (!out)
			continue;
		fputs("    <testcase classname=\"", out);
		put_name(c, out, rlen && role ? role : "hosts");
		fputs("\" name=\"", out);
		report_put(out, tab + 1, xml_attr);
		fputs("\"/>\n", out);
	}
	return n;
}

/* testcases of the report: a group each, or the one for a clean report */
static size_t junit_tests(const struct report_ctx *c)
{
	size_t clean = clean_groups(c, NULL, NULL);

	return (c->r->nr ? c->total.groups : 0) + clean +
	       (!c->r->nr && !clean ? 1 : 0);
}

static void junit_header(FILE *out)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"envdrift diff",
	      out);
}

static void junit_begin(struct report_ctx *c)
{
	const struct drift_report *r = c->r;

	if (c->nreports == 1) {
		junit_header(c->out);
		fputc(' ', c->out);
		report_put(c->out, r->operands[0], xml_attr);
		fputc(' ', c->out);
		report_put(c->out, r->operands[1], xml_attr);
		fprintf(c->out,
			"\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
			junit_tests(c), c->total.failed_groups);
	}
	if (r->nr || clean_groups(c, NULL, NULL))
		return; /* the suites come per role, clean groups included */
	fputs("  <testsuite name=\"", c->out);
	put_name(c, c->out, "hosts");
	fputs("\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n"
	      "    <testcase classname=\"",
	      c->out);
	put_name(c, c->out, "hosts");
	fputs("\" name=\"drift\">\n      <system-out>no drift between ", c->out);
	report_put(c->out, r->operands[0], xml_text);
	fputs(" and ", c->out);
	report_put(c->out, r->operands[1], xml_text);
	fprintf(c->out, " (%zu %s)</system-out>\n    </testcase>\n", r->hosts,
		ed_plural(r->hosts, "host", "hosts"));
	junit_notes(c, "    ");
	fputs("  </testsuite>\n", c->out);
}

static void junit_section_begin(struct report_ctx *c, const char *role)
{
	fputs("  <testsuite name=\"", c->out);
	put_name(c, c->out, suite_name(role));
	fprintf(c->out,
		"\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
		c->section.groups + clean_groups(c, role ? role : "", NULL),
		c->section.failed_groups);
}

static void junit_group_begin(struct report_ctx *c, const char *role,
			      const char *collector)
{
	fputs("    <testcase classname=\"", c->out);
	put_name(c, c->out, suite_name(role));
	fputs("\" name=\"", c->out);
	report_put(c->out, collector, xml_attr);
	fputs("\">\n", c->out);
}

static void junit_item(struct report_ctx *c, const struct drift_item *it)
{
	struct ed_buf body = ED_BUF_INIT;
	const char *sev =
		drift_severity_name((enum drift_severity)report_sev(it));

	describe(&body, c->r, it);
	if (!report_fails(it)) {
		/* kept for group_end's single <system-out> */
		ed_buf_addf(&c->scratch, "%s %s:%s %s\n",
			    it->waived ? "waived" : sev, it->collector, it->key,
			    drift_kind_name(it->kind));
		ed_buf_add(&c->scratch, body.ptr, body.len);
		ed_buf_release(&body);
		return;
	}
	fputs("      <failure message=\"", c->out);
	report_put(c->out, it->collector, xml_attr);
	fputc(':', c->out);
	report_put(c->out, it->key, xml_attr);
	fprintf(c->out, " %s\" type=\"%s\">", drift_kind_name(it->kind), sev);
	report_put(c->out, body.ptr, xml_text);
	fputs("</failure>\n", c->out);
	ed_buf_release(&body);
}

static void junit_group_end(struct report_ctx *c, const char *role,
			    const char *collector)
{
	(void)role;
	(void)collector;
	if (c->scratch.len) {
		fputs("      <system-out>", c->out);
		report_put(c->out, c->scratch.ptr, xml_text);
		fputs("</system-out>\n", c->out);
	}
	fputs("    </testcase>\n", c->out);
}

static void junit_section_end(struct report_ctx *c, const char *role)
{
	clean_groups(c, role ? role : "", c->out);
	if (c->section_index == 0)
		junit_notes(c, "    ");
	fputs("  </testsuite>\n", c->out);
}

static void junit_end(struct report_ctx *c)
{
	const struct ed_strvec *cmp = &c->r->compared;
	size_t i;
	int first = !c->r->nr;

	/* roles compared without any drift: a suite of passing testcases */
	for (i = 0; i < cmp->nr; i++) {
		const char *tab = strchr(cmp->v[i], '\t');
		size_t rlen = (size_t)(tab - cmp->v[i]);
		char *role;

		if (role_has_items(c->r, cmp->v[i], rlen) ||
		    (i && !strncmp(cmp->v[i - 1], cmp->v[i], rlen + 1)))
			continue;
		role = strndup(cmp->v[i], rlen);
		if (!role)
			continue;
		fputs("  <testsuite name=\"", c->out);
		put_name(c, c->out, rlen ? role : "hosts");
		fprintf(c->out,
			"\" tests=\"%zu\" failures=\"0\" errors=\"0\" skipped=\"0\">\n",
			clean_groups(c, role, NULL));
		clean_groups(c, role, c->out);
		if (first)
			junit_notes(c, "    ");
		first = 0;
		fputs("  </testsuite>\n", c->out);
		free(role);
	}
	if (c->nreports == 1)
		fputs("</testsuites>\n", c->out);
}

/* several reports: one <testsuites> over all of them, with the totals */
static void junit_many_begin(FILE *out, const struct report_ctx *c, size_t n)
{
	size_t i, tests = 0, failures = 0;

	junit_header(out);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : " ", out);
		report_put(out, c[i].r->operands[0], xml_attr);
		fputs("..", out);
		report_put(out, c[i].r->operands[1], xml_attr);
		tests += junit_tests(&c[i]);
		failures += c[i].total.failed_groups;
	}
	fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n", tests,
		failures);
}

static void junit_many_end(FILE *out, const struct report_ctx *c, size_t n)
{
	(void)c;
	(void)n;
	fputs("</testsuites>\n", out);
}

const struct report_format report_junit = {
	.name = "junit",
	.many_begin = junit_many_begin,
	.many_end = junit_many_end,
	.begin = junit_begin,
	.section_begin = junit_section_begin,
	.group_begin = junit_group_begin,
	.item = junit_item,
	.group_end = junit_group_end,
	.section_end = junit_section_end,
	.end = junit_end,
};
