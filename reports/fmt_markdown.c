/*
 * markdown: a comment for a pull request or a pipeline page. A heading
 * with the operands and the counts, then one table per role: | severity |
 * item | A | B | hosts |. Values are escaped for table cells (| and
 * backticks, markup characters, newlines as <br>, < > & as entities), so
 * "<script>" shows as text. A clean report is one line.
 */
#include "reports/internal.h"

#include <string.h>

/* for table cells: backslash escapes for markup, entities for HTML */
static const char *const md_escapes[128] = {
	['|'] = "\\|",   ['`'] = "\\`",  ['\\'] = "\\\\", ['*'] = "\\*",
	['_'] = "\\_",   ['['] = "\\[",  [']'] = "\\]",   ['~'] = "\\~",
	['#'] = "\\#",   ['<'] = "&lt;", ['>'] = "&gt;",  ['&'] = "&amp;",
	['\n'] = "<br>", ['\t'] = "\\t",
};

static const char *md_special(unsigned char c)
{
	return c < 128 ? md_escapes[c] : NULL;
}

static void md(FILE *out, const char *s)
{
	report_put(out, s, md_special);
}

static void md_begin(struct report_ctx *c)
{
	const struct drift_report *r = c->r;
	const struct report_counts *k = &c->total;
	const char *bold;

	fputs(r->nr ? "### envdrift: drift between " :
		      "**envdrift**: no drift between ",
	      c->out);
	md(c->out, r->operands[0]);
	fputs(" and ", c->out);
	md(c->out, r->operands[1]);
	if (!r->nr) {
		fprintf(c->out, " (%zu hosts)\n", r->hosts);
		return;
	}
	bold = k->sev[SEV_CRITICAL] ? "**" : "";
	fprintf(c->out,
		"\n\n%zu items on %zu hosts: %s%zu critical%s, %zu warning, "
		"%zu info, %zu waived\n",
		r->nr, r->hosts, bold, k->sev[SEV_CRITICAL], bold,
		k->sev[SEV_WARNING], k->sev[SEV_INFO], k->waived);
}

static void md_section(struct report_ctx *c, const char *role)
{
	fputs(role ? "\n#### role " : "\n#### hosts", c->out);
	md(c->out, role);
	fputs("\n\n| severity | item | ", c->out);
	md(c->out, c->r->operands[0]);
	fputs(" | ", c->out);
	md(c->out, c->r->operands[1]);
	fputs(" | hosts |\n| --- | --- | --- | --- | --- |\n", c->out);
}

static void md_value(FILE *out, const struct drift_item *it, int side)
{
	if ((it->kind == DRIFT_OUTLIER && (it->side ? 1 : 0) != side) ||
	    report_host_only(it))
		return;
	if (it->values[side])
		md(out, it->values[side]);
	else
		fputs("*(absent)*", out);
}

static void md_hosts(struct report_ctx *c, const struct drift_item *it)
{
	size_t i, j, end;

	for (i = 0; i < it->hosts.nr; i = end) {
		end = report_hosts_run(&it->hosts, i, &c->scratch);
		if (i)
			fputs("<br>", c->out);
		md(c->out, c->scratch.ptr);
		fputs(": ", c->out);
		for (j = i; j < end; j++) {
			if (j > i)
				fputs(", ", c->out);
			md(c->out, report_host_name(it->hosts.v[j]));
		}
	}
}

static void md_item(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	const char *sev =
		drift_severity_name((enum drift_severity)report_sev(it));

	if (it->waived)
		fprintf(out, "| ~~%s~~ waived | ", sev);
	else if (report_sev(it) == SEV_CRITICAL)
		fprintf(out, "| **%s** | ", sev);
	else
		fprintf(out, "| %s | ", sev);
	md(out, it->collector);
	fputc(':', out);
	md(out, it->key);
	fprintf(out, " %s", drift_kind_name(it->kind));
	if (it->kind == DRIFT_OUTLIER || report_host_only(it)) {
		fputs(": ", out);
		md(out, it->host);
	}
	if (it->kind == DRIFT_OUTLIER ||
	    (report_host_only(it) && report_shows_host_value(it))) {
		fputs(" has ", out);
		if (it->host_value)
			md(out, it->host_value);
		else
			fputs("*(absent)*", out);
	}
	if (it->newer == 0 || it->newer == 1) {
		fputs(" (newer: ", out);
		md(out, c->r->operands[it->newer]);
		fputc(')', out);
	}
	if (it->detail) {
		fputs("<br>", out);
		md(out, it->detail);
	}
	if (it->rule) {
		fputs("<br>rule ", out);
		md(out, it->rule);
	}
	if (it->waived) {
		fputs("<br>waived: ", out);
		md(out, it->waiver);
	}
	if (it->since_date[0])
		fprintf(out,
			c->r->stable ? "<br>since %s" : "<br>since %s (%zu scans)",
			it->since_date, it->since_scans);
	if (it->patch) {
		/* a table cell cannot hold a fenced block: lines joined by <br> */
		fputs("<br><details><summary>diff</summary><code>", out);
		md(out, it->patch);
		fputs("</code></details>", out);
	}
	fputs(" | ", out);
	md_value(out, it, 0);
	fputs(" | ", out);
	md_value(out, it, 1);
	fputs(" | ", out);
	md_hosts(c, it);
	fputs(" |\n", out);
}

static void md_end(struct report_ctx *c)
{
	size_t i;

	if (!c->r->nr)
		return;
	if (c->r->notes.nr)
		fputs("\nnotes:\n", c->out);
	for (i = 0; i < c->r->notes.nr; i++) {
		fputs("- ", c->out);
		md(c->out, c->r->notes.v[i]);
		fputc('\n', c->out);
	}
}

const struct report_format report_markdown = {
	.name = "markdown",
	.many_sep = "\n", /* several reports: a blank line apart */
	.begin = md_begin,
	.section_begin = md_section,
	.item = md_item,
	.end = md_end,
};
