/*
 * markdown: a comment for a pull request or a pipeline page. A heading
 * with the operands and the counts, a summary table (items by collector
 * and severity) and the notes, then one table per role: | severity | item
 * | A | B | hosts |, one row per fact group (the outliers of one fact
 * holding the same value are one row naming them). The hosts that deviate
 * come first; a run of more than REPORT_HOSTS_SHOWN hosts is a count with
 * its names folded in <details> (at most MD_FOLDED_NAMES of them). The
 * whole document stays under report_markdown.max_bytes (a GitHub comment
 * holds 65,536 characters): report.c cuts it at a row and says how many
 * rows the full report (html, json) has beyond. Values are escaped for
 * table cells (| and backticks, markup characters, newlines as <br>, < >
 * & as entities), so "<script>" shows as text. A clean report is one
 * line.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/words.h"

#define MD_FOLDED_NAMES 50

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

/* Items by collector and severity: where the drift is, first. */
static void md_summary(struct report_ctx *c)
{
	struct report_tally t;
	size_t j;

	report_tally_collectors(&t, c->r);
	fputs("\n| collector | critical | warning | info | waived |\n"
	      "| --- | ---: | ---: | ---: | ---: |\n",
	      c->out);
	for (j = 0; j < t.names.nr; j++) {
		const size_t *n = t.n[j];

		fputs("| ", c->out);
		md(c->out, t.names.v[j]);
		fprintf(c->out, " | %s%zu%s | %zu | %zu | %zu |\n",
			n[SEV_CRITICAL] ? "**" : "", n[SEV_CRITICAL],
			n[SEV_CRITICAL] ? "**" : "", n[SEV_WARNING],
			n[SEV_INFO], n[REPORT_WAIVED]);
	}
	report_tally_release(&t);
}

static void md_notes(struct report_ctx *c)
{
	size_t i;

	if (c->r->notes.nr)
		fputs("\nnotes:\n", c->out);
	for (i = 0; i < c->r->notes.nr; i++) {
		fputs("- ", c->out);
		md(c->out, c->r->notes.v[i]);
		fputc('\n', c->out);
	}
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
		fprintf(c->out, " (%zu %s)\n", r->hosts,
			ed_plural(r->hosts, "host", "hosts"));
		return;
	}
	bold = k->sev[SEV_CRITICAL] ? "**" : "";
	fprintf(c->out,
		"\n\n%zu drift %s in %zu %s on %zu %s: %s%zu critical%s, "
		"%zu warning, %zu info, %zu waived\n",
		r->nr, ed_plural(r->nr, "item", "items"), k->facts,
		ed_plural(k->facts, "group", "groups"), r->hosts,
		ed_plural(r->hosts, "host", "hosts"), bold, k->sev[SEV_CRITICAL],
		bold, k->sev[SEV_WARNING], k->sev[SEV_INFO], k->waived);
	md_summary(c);
	md_notes(c);
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

/*
 * Who holds what, the smallest runs (the hosts that deviate) first; a run
 * longer than REPORT_HOSTS_SHOWN is "VALUE: N hosts" with the names folded.
 */
static void md_hosts(struct report_ctx *c, const struct ed_strvec *hosts)
{
	struct report_run *runs;
	size_t nr = report_host_runs(&runs, hosts, &c->scratch), i, j;

	for (i = 0; i < nr; i++) {
		size_t n = runs[i].to - runs[i].from;
		int fold = !c->all_hosts && n > REPORT_HOSTS_SHOWN;

		if (i)
			fputs("<br>", c->out);
		report_hosts_run(hosts, runs[i].from, &c->scratch);
		md(c->out, c->scratch.ptr);
		if (fold)
			fprintf(c->out,
				": <details><summary>%zu hosts</summary>", n);
		else
			fputs(": ", c->out);
		for (j = runs[i].from; j < runs[i].to; j++) {
			if (fold && j - runs[i].from == MD_FOLDED_NAMES) {
				fprintf(c->out, " and %zu more", runs[i].to - j);
				break;
			}
			if (j > runs[i].from)
				fputs(", ", c->out);
			md(c->out, report_host_name(hosts->v[j]));
		}
		if (fold)
			fputs("</details>", c->out);
	}
	free(runs);
}

static void md_item(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	const char *sev =
		drift_severity_name((enum drift_severity)report_sev(it));

	if (c->fact_pos)
		return; /* a row of its fact group's first item */
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
	if (c->fact_n > 1) {
		fputs(": ", out);
		report_put_outliers(c, md);
	} else if (it->kind == DRIFT_OUTLIER || report_host_only(it)) {
		fputs(": ", out);
		md(out, it->host);
	}
	if (it->kind == DRIFT_OUTLIER ||
	    (report_host_only(it) && report_shows_host_value(it))) {
		fputs(c->fact_n > 1 ? " have " : " has ", out);
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
			c->r->stable ? "<br>since %s%s" : "<br>since %s%s (%zu %s)",
			it->since_cut ? "at least " : "", it->since_date,
			it->since_scans,
			ed_plural(it->since_scans, "scan", "scans"));
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
	report_fact_hosts(&c->hosts, c);
	md_hosts(c, &c->hosts);
	fputs(" |\n", out);
}

const struct report_format report_markdown = {
	.name = "markdown",
	.many_sep = "\n", /* several reports: a blank line apart */
	.begin = md_begin,
	.section_begin = md_section,
	.item = md_item,
	.max_bytes = 60000,
	.severity_first = 1,
};
