/*
 * The HTML report's first screen (reports/fmt_html.c): items by collector
 * and severity, and a heatmap of where the drift is, rows against
 * collectors. A row is a host that deviates (an outlier, a pinned or
 * stale host) or a role whose environments disagree; past
 * HTML_MAP_MAX_ROWS host rows, hosts are folded into their role and side
 * ("web @ prod"), so the map stays one screen on any fleet. A cell holds
 * the count of its items, coloured by the worst severity; it is a button
 * that filters the groups below to it.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/words.h"

#define HTML_MAP_MAX_ROWS 40

/* The row of it: its host, or its role (and side, folded). */
static void row_key(struct ed_buf *out, const struct report_ctx *c,
		    const struct drift_item *it, int folded)
{
	ed_buf_reset(out);
	if (it->host && !folded) {
		ed_buf_adds(out, it->host);
		return;
	}
	if (report_host_only(it)) {
		ed_buf_adds(out, "(pins and stale hosts)");
		return;
	}
	ed_buf_adds(out, it->role ? it->role : c->r->operands[0]);
	if (it->kind == DRIFT_OUTLIER) {
		ed_buf_adds(out, " @ ");
		ed_buf_adds(out, c->r->operands[it->side ? 1 : 0]);
	} else if (!it->role) {
		ed_buf_adds(out, " vs ");
		ed_buf_adds(out, c->r->operands[1]);
	}
}

static void build_rows(struct html_map *m, const struct report_ctx *c, int folded)
{
	struct ed_buf key = ED_BUF_INIT;
	size_t i;

	ed_strvec_release(&m->rows);
	for (i = 0; i < c->r->nr; i++) {
		row_key(&key, c, &c->r->items[i], folded);
		ed_strvec_push(&m->rows, key.ptr);
	}
	ed_strvec_sort_unique(&m->rows);
	ed_buf_release(&key);
}

struct html_map *html_map_new(const struct report_ctx *c)
{
	struct html_map *m = ed_xcalloc(1, sizeof(*m));
	size_t i;

	report_tally_collectors(&m->cols, c->r);
	build_rows(m, c, 0);
	if (m->rows.nr > HTML_MAP_MAX_ROWS) {
		m->folded = 1;
		build_rows(m, c, 1);
	}
	m->cells =
		ed_xcalloc(m->rows.nr * m->cols.names.nr + 1, sizeof(*m->cells));
	for (i = 0; i < c->r->nr; i++) {
		const struct drift_item *it = &c->r->items[i];
		struct html_cell *cell =
			&m->cells[html_map_row(m, c, it) * m->cols.names.nr +
				  html_map_col(m, it)];
		int sev = it->waived ? -1 : (int)report_sev(it);

		if (!cell->n || sev > cell->worst)
			cell->worst = sev;
		cell->n++;
	}
	return m;
}

void html_map_free(struct html_map *m)
{
	if (!m)
		return;
	ed_strvec_release(&m->rows);
	report_tally_release(&m->cols);
	free(m->cells);
	free(m);
}

size_t html_map_row(const struct html_map *m, const struct report_ctx *c,
		    const struct drift_item *it)
{
	struct ed_buf key = ED_BUF_INIT;
	size_t r;

	row_key(&key, c, it, m->folded);
	r = ed_strvec_find(&m->rows, key.ptr);
	ed_buf_release(&key);
	return r < m->rows.nr ? r : 0;
}

size_t html_map_col(const struct html_map *m, const struct drift_item *it)
{
	size_t col = ed_strvec_find(&m->cols.names, it->collector);

	return col < m->cols.names.nr ? col : 0;
}

/* Items by collector and severity. */
static void counts(FILE *out, const struct html_map *m,
		   void (*h)(FILE *, const char *))
{
	size_t j;

	fputs("<table class=\"counts\"><thead><tr><th>collector</th>"
	      "<th>critical</th><th>warning</th><th>info</th><th>waived</th>"
	      "</tr></thead>\n<tbody>\n",
	      out);
	for (j = 0; j < m->cols.names.nr; j++) {
		const size_t *n = m->cols.n[j];

		fputs("<tr><th>", out);
		h(out, m->cols.names.v[j]);
		fprintf(out,
			"</th><td%s>%zu</td><td>%zu</td><td>%zu</td>"
			"<td>%zu</td></tr>\n",
			n[SEV_CRITICAL] ? " class=\"s2\"" : "", n[SEV_CRITICAL],
			n[SEV_WARNING], n[SEV_INFO], n[REPORT_WAIVED]);
	}
	fputs("</tbody></table>\n", out);
}

void html_map_write(FILE *out, const struct html_map *m,
		    void (*h)(FILE *, const char *))
{
	size_t r, col;

	fputs("<div class=\"overview\">\n", out);
	counts(out, m, h);
	fprintf(out,
		"<div class=\"map\"><table><caption>where: %zu %s by "
		"collector (click a cell to show its groups)</caption>\n"
		"<thead><tr><th></th>",
		m->rows.nr,
		m->folded ?
			ed_plural(m->rows.nr, "role or side", "roles and sides") :
			ed_plural(m->rows.nr, "host or role", "hosts and roles"));
	for (col = 0; col < m->cols.names.nr; col++) {
		fputs("<th>", out);
		h(out, m->cols.names.v[col]);
		fputs("</th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	for (r = 0; r < m->rows.nr; r++) {
		fputs("<tr><th>", out);
		h(out, m->rows.v[r]);
		fputs("</th>", out);
		for (col = 0; col < m->cols.names.nr; col++) {
			const struct html_cell *cell =
				&m->cells[r * m->cols.names.nr + col];

			if (!cell->n) {
				fputs("<td></td>", out);
				continue;
			}
			fprintf(out,
				"<td><button type=\"button\" class=\"s%s\" "
				"data-r=\"%zu\" data-c=\"%zu\" aria-pressed=\"false\" "
				"title=\"%zu item%s, worst %s\">%zu</button></td>",
				cell->worst < 0             ? "w" :
				cell->worst == SEV_CRITICAL ? "2" :
				cell->worst == SEV_WARNING  ? "1" :
							      "0",
				r, col, cell->n, cell->n == 1 ? "" : "s",
				cell->worst < 0 ?
					"waived" :
					drift_severity_name(
						(enum drift_severity)cell->worst),
				cell->n);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n<button type=\"button\" class=\"all\">show "
	      "all groups</button></div>\n</div>\n",
	      out);
}
