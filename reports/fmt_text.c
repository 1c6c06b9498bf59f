/*
 * text: for a terminal. One line per fact group (one item, or the
 * outliers of one fact that hold the same value: "h58 (staging), h108,
 * h158 (prod) have X, the rest have Y"), grouped under "role X" headers,
 * with a [severity] tag, the waiver or the pin/stale detail on the next
 * line, then a summary by severity and the notes. The hosts that deviate
 * are named; the others are counted (every name with REPORT_ALL_HOSTS).
 * A clean report is the one line "no drift ...". Control bytes in values
 * are shown as \xNN so a value cannot drive the terminal.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/words.h"

static const char *const sev_color[3] = { "\033[36m", "\033[33m", "\033[1;31m" };

static const char *text_special(unsigned char c)
{
	if (c == '\n')
		return "\\n"; /* multi-line values (sysctl) on one line */
	if (c == '\t')
		return "\t";
	return NULL;
}

static const char *paint(const struct report_ctx *c, const char *code)
{
	return c->color ? code : "";
}

static void text_value(FILE *out, const char *v)
{
	if (!v)
		fputs("(absent)", out);
	else
		report_put(out, v, text_special);
}

static void text_begin(struct report_ctx *c)
{
	const struct drift_report *r = c->r;

	if (!r->nr)
		fputs("no drift between ", c->out);
	else
		fprintf(c->out, "%sdrift between ", paint(c, "\033[1m"));
	report_put(c->out, r->operands[0], text_special);
	fputs(" and ", c->out);
	report_put(c->out, r->operands[1], text_special);
	if (!r->nr)
		fprintf(c->out, " (%zu %s)\n", r->hosts,
			ed_plural(r->hosts, "host", "hosts"));
	else if (c->total.facts < r->nr)
		fprintf(c->out, "%s: %zu drift %s in %zu %s on %zu %s\n",
			paint(c, "\033[0m"), r->nr,
			ed_plural(r->nr, "item", "items"), c->total.facts,
			ed_plural(c->total.facts, "group", "groups"), r->hosts,
			ed_plural(r->hosts, "host", "hosts"));
	else
		fprintf(c->out, "%s: %zu drift %s on %zu %s\n",
			paint(c, "\033[0m"), r->nr,
			ed_plural(r->nr, "item", "items"), r->hosts,
			ed_plural(r->hosts, "host", "hosts"));
}

static void text_section(struct report_ctx *c, const char *role)
{
	if (!role || !*role)
		return;
	fprintf(c->out, "\n%srole ", paint(c, "\033[1m"));
	report_put(c->out, role, text_special);
	fprintf(c->out, "%s\n", paint(c, "\033[0m"));
}

static void text_outlier(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	int side = it->side ? 1 : 0;
	size_t rest;

	fputs("  outlier  ", out);
	report_put(out, it->collector, text_special);
	fputc(':', out);
	report_put(out, it->key, text_special);
	fputs("  ", out);
	text_value(out, it->host);
	fputs(" (", out);
	report_put(out, c->r->operands[side], text_special);
	fprintf(out, ") has %s", paint(c, "\033[31m"));
	text_value(out, it->host_value);
	rest = it->group_size ? it->group_size - 1 : 0;
	fprintf(out, "%s, the other %zu of %zu %s %s", paint(c, "\033[0m"),
		rest, it->group_size, ed_plural(rest, "has", "have"),
		paint(c, "\033[32m"));
	text_value(out, it->values[side]);
	fputs(paint(c, "\033[0m"), out);
}

/*
 * Outliers of one fact holding the same value, on either side: their
 * hosts by side ("h58 (staging), h108, h158 (prod)"), the value, and what
 * the rest hold. Past REPORT_HOSTS_SHOWN hosts a side's list is cut to a
 * count unless every host is wanted.
 */
static void text_put(FILE *out, const char *s)
{
	text_value(out, s);
}

static void text_outlier_group(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	size_t rest;

	fputs("  outlier  ", out);
	report_put(out, it->collector, text_special);
	fputc(':', out);
	report_put(out, it->key, text_special);
	fputs("  ", out);
	rest = report_put_outliers(c, text_put);
	fprintf(out, " have %s", paint(c, "\033[31m"));
	text_value(out, it->host_value);
	fprintf(out, "%s, the other %zu %s %s", paint(c, "\033[0m"), rest,
		ed_plural(rest, "has", "have"), paint(c, "\033[32m"));
	text_value(out, it->values[it->side ? 1 : 0]);
	fputs(paint(c, "\033[0m"), out);
}

static void text_pair(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;

	fprintf(out, "  %-8s ", drift_kind_name(it->kind));
	report_put(out, it->collector, text_special);
	fputc(':', out);
	report_put(out, it->key, text_special);
	fputs("  ", out);
	if (report_host_only(it)) {
		report_put(out, it->host, text_special);
		if (!report_shows_host_value(it))
			return;
		fprintf(out, " has %s", paint(c, "\033[31m"));
		text_value(out, it->host_value);
		fputs(paint(c, "\033[0m"), out);
		return;
	}
	report_put(out, c->r->operands[0], text_special);
	fprintf(out, "=%s", paint(c, "\033[31m"));
	text_value(out, it->values[0]);
	fprintf(out, "%s  ", paint(c, "\033[0m"));
	report_put(out, c->r->operands[1], text_special);
	fprintf(out, "=%s", paint(c, "\033[32m"));
	text_value(out, it->values[1]);
	fputs(paint(c, "\033[0m"), out);
	if (it->newer == 0 || it->newer == 1) {
		fputs("  (newer: ", out);
		report_put(out, c->r->operands[it->newer], text_special);
		fputc(')', out);
	}
}

/*
 * A side without consensus: each value with its hosts, on lines of their
 * own, as json, markdown and html list them.
 */
static void text_no_consensus(struct report_ctx *c, const struct drift_item *it)
{
	size_t i, j, end;

	if (!it->hosts.nr ||
	    !((it->values[0] && !strcmp(it->values[0], "(no consensus)")) ||
	      (it->values[1] && !strcmp(it->values[1], "(no consensus)"))))
		return;
	for (i = 0; i < it->hosts.nr; i = end) {
		end = report_hosts_run(&it->hosts, i, &c->scratch);
		fputs("             ", c->out);
		text_value(c->out, c->scratch.ptr);
		fputs(": ", c->out);
		if (!c->all_hosts && end - i > REPORT_HOSTS_SHOWN) {
			fprintf(c->out, "%zu hosts\n", end - i);
			continue;
		}
		for (j = i; j < end; j++) {
			if (j > i)
				fputs(", ", c->out);
			report_put(c->out, report_host_name(it->hosts.v[j]),
				   text_special);
		}
		fputc('\n', c->out);
	}
}

static void text_item(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;

	if (c->fact_pos)
		return; /* said with the first of its fact group */
	if (it->kind == DRIFT_OUTLIER && c->fact_n > 1)
		text_outlier_group(c, it);
	else if (it->kind == DRIFT_OUTLIER)
		text_outlier(c, it);
	else
		text_pair(c, it);
	fprintf(out, " %s[%s]%s",
		paint(c, it->waived ? "\033[2m" : sev_color[report_sev(it)]),
		drift_severity_name((enum drift_severity)report_sev(it)),
		paint(c, "\033[0m"));
	if (it->waived) {
		fputs(" (waived: ", out);
		report_put(out, it->waiver ? it->waiver : "no reason given",
			   text_special);
		fputc(')', out);
	}
	if (it->since_date[0])
		fprintf(out, " since %s%s (%zu scan%s)",
			it->since_cut ? "at least " : "", it->since_date,
			it->since_scans, it->since_scans == 1 ? "" : "s");
	fputc('\n', out);
	if (it->detail || it->rule) {
		fputs("           ", out);
		report_put(out, it->detail, text_special);
		if (it->rule) {
			fputs(it->detail ? "  (rule " : "(rule ", out);
			report_put(out, it->rule, text_special);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	text_no_consensus(c, it);
	if (it->patch) {
		const char *p = it->patch;

		/* the content diff, indented; its bytes escaped like values */
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) : strlen(p);
			char *line = strndup(p, n);

			fputs("             ", out);
			if (line)
				report_put(out, line, text_special);
			fputc('\n', out);
			free(line);
			p += n + (nl ? 1 : 0);
		}
	}
}

static void text_end(struct report_ctx *c)
{
	const struct report_counts *k = &c->total;
	size_t i;

	if (!c->r->nr)
		return;
	fprintf(c->out,
		"\nsummary: %zu critical, %zu warning, %zu info, %zu waived\n",
		k->sev[SEV_CRITICAL], k->sev[SEV_WARNING], k->sev[SEV_INFO],
		k->waived);
	for (i = 0; i < c->r->notes.nr; i++) {
		fputs("note: ", c->out);
		report_put(c->out, c->r->notes.v[i], text_special);
		fputc('\n', c->out);
	}
}

const struct report_format report_text = {
	.name = "text",
	.many_sep = "\n", /* several reports: a blank line apart */
	.begin = text_begin,
	.section_begin = text_section,
	.item = text_item,
	.end = text_end,
};
