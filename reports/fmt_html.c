/*
 * html: one self-contained page (inline CSS and a few lines of inline JS,
 * nothing fetched) to attach to a pipeline or mail: a header with the
 * operands and counts, a filter box (text, severity, kind, waived) and a
 * matrix with a row per drift item and a column per operand's value, plus
 * hosts and the outlier host. Several reports (report_write_many) are one
 * page with a section per pair, each with its own filter and matrix (ids
 * suffixed -1, -2, ...). Everything from the report is HTML-escaped.
 */
#include "reports/internal.h"

#include <string.h>

static const char *const html_escapes[128] = {
	['&'] = "&amp;",  ['<'] = "&lt;",  ['>'] = "&gt;", ['"'] = "&quot;",
	['\''] = "&#39;", ['\n'] = "<br>", ['\t'] = "\t",
};

static const char *html_special(unsigned char c)
{
	return c < 128 ? html_escapes[c] : NULL;
}

static void h(FILE *out, const char *s)
{
	report_put(out, s, html_special);
}

static const char style[] =
	"<style>\n"
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
	"h1{font-size:1.3em}h2{font-size:1.15em;margin-top:2em}\n"
	"table{border-collapse:collapse;width:100%}\n"
	"th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;"
	"vertical-align:top;font-family:monospace;white-space:pre-wrap}\n"
	"th{background:#eee;font-family:inherit}\n"
	".critical td.sev{background:#f8d0d0;font-weight:bold}\n"
	".warning td.sev{background:#fbeec0}.info td.sev{background:#d8ecf8}\n"
	"tr.waived{color:#888}tr.waived td.sev{text-decoration:line-through}\n"
	".filters{margin:1em 0}.filters label{margin-right:1em}\n"
	"</style>\n";

static const char script[] =
	"<script>\n"
	"document.querySelectorAll('.filters').forEach(function (f) {\n"
	"  var q = f.querySelector('input[type=search]');\n"
	"  var boxes = f.querySelectorAll('input[type=checkbox]');\n"
	"  var rows = document.getElementById(f.dataset.table).querySelectorAll('tbody tr');\n"
	"  function apply() {\n"
	"    var on = {}, text = q.value.toLowerCase();\n"
	"    boxes.forEach(function (b) { on[b.name + ':' + b.value] = b.checked; });\n"
	"    rows.forEach(function (tr) {\n"
	"      var d = tr.dataset;\n"
	"      tr.hidden = !(on['sev:' + d.sev] && on['kind:' + d.kind] &&\n"
	"        (d.waived !== '1' || on['waived:1']) &&\n"
	"        (!text || tr.textContent.toLowerCase().indexOf(text) >= 0));\n"
	"    });\n"
	"  }\n"
	"  q.addEventListener('input', apply);\n"
	"  boxes.forEach(function (b) { b.addEventListener('change', apply); });\n"
	"});\n"
	"</script>\n";

static void checkbox(FILE *out, const char *name, const char *value,
		     const char *label, size_t n)
{
	fprintf(out,
		"<label><input type=\"checkbox\" name=\"%s\" value=\"%s\" checked> "
		"%s (%zu)</label>\n",
		name, value, label, n);
}

/* ids stay unique on a page of several reports: "-N" after each */
static void id_suffix(const struct report_ctx *c)
{
	if (c->nreports > 1)
		fprintf(c->out, "-%zu", c->report_index + 1);
}

static void html_filters(struct report_ctx *c)
{
	const struct report_counts *k = &c->total;
	size_t i;

	fputs("<div id=\"filters", c->out);
	id_suffix(c);
	fputs("\" class=\"filters\" data-table=\"matrix", c->out);
	id_suffix(c);
	fputs("\">\n<input id=\"q", c->out);
	id_suffix(c);
	fputs("\" type=\"search\" placeholder=\"filter rows\" size=\"30\">\n",
	      c->out);
	for (i = 3; i-- > 0;) {
		const char *s = drift_severity_name((enum drift_severity)i);

		checkbox(c->out, "sev", s, s, k->sev[i]);
	}
	checkbox(c->out, "waived", "1", "waived", k->waived);
	for (i = 0; i < DRIFT_KINDS; i++) {
		const char *s = drift_kind_name((enum drift_kind)i);

		if (k->kind[i])
			checkbox(c->out, "kind", s, s, k->kind[i]);
	}
	fputs("</div>\n", c->out);
}

/* From the doctype to <body>: the title names the n reports' pairs. */
static void html_head(FILE *out, const struct report_ctx *c, size_t n)
{
	size_t i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>envdrift: ",
	      out);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		h(out, c[i].r->operands[0]);
		fputs(" vs ", out);
		h(out, c[i].r->operands[1]);
	}
	fprintf(out, "</title>\n%s</head>\n<body>\n", style);
}

/* One report: the page's header, or a section of a several-report page. */
static void html_begin(struct report_ctx *c)
{
	const struct drift_report *r = c->r;
	const struct report_counts *k = &c->total;
	const char *hn = c->nreports > 1 ? "h2" : "h1";

	if (c->nreports > 1) {
		fprintf(c->out, "<section id=\"report-%zu\">\n",
			c->report_index + 1);
	} else {
		html_head(c->out, c, 1);
		fputs("<header>\n", c->out);
	}
	fprintf(c->out, "<%s>%s", hn,
		r->nr ? "drift between " : "no drift between ");
	h(c->out, r->operands[0]);
	fputs(" and ", c->out);
	h(c->out, r->operands[1]);
	fprintf(c->out,
		"</%s>\n<p class=\"summary\">%zu items on %zu hosts: "
		"%zu critical, %zu warning, %zu info, %zu waived</p>\n%s",
		hn, r->nr, r->hosts, k->sev[SEV_CRITICAL], k->sev[SEV_WARNING],
		k->sev[SEV_INFO], k->waived,
		c->nreports > 1 ? "" : "</header>\n");
	if (!r->nr)
		return;
	html_filters(c);
	fputs("<table id=\"matrix", c->out);
	id_suffix(c);
	fputs("\">\n<thead><tr><th>severity</th><th>kind</th>"
	      "<th>role</th><th>item</th><th>",
	      c->out);
	h(c->out, r->operands[0]);
	fputs("</th><th>", c->out);
	h(c->out, r->operands[1]);
	fputs("</th><th>hosts</th><th>outlier / host</th><th>detail</th></tr></thead>\n"
	      "<tbody>\n",
	      c->out);
}

static void html_value(FILE *out, const struct drift_item *it, int side)
{
	if ((it->kind == DRIFT_OUTLIER && (it->side ? 1 : 0) != side) ||
	    report_host_only(it))
		return;
	if (it->values[side])
		h(out, it->values[side]);
	else
		fputs("<em>(absent)</em>", out);
}

static void html_hosts(struct report_ctx *c, const struct drift_item *it)
{
	size_t i, j, end;

	for (i = 0; i < it->hosts.nr; i = end) {
		end = report_hosts_run(&it->hosts, i, &c->scratch);
		if (i)
			fputs("<br>", c->out);
		h(c->out, c->scratch.ptr);
		fputs(": ", c->out);
		for (j = i; j < end; j++) {
			if (j > i)
				fputs(", ", c->out);
			h(c->out, report_host_name(it->hosts.v[j]));
		}
	}
}

static void html_item(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	const char *sev =
		drift_severity_name((enum drift_severity)report_sev(it));
	const char *kind = drift_kind_name(it->kind);

	fprintf(out,
		"<tr class=\"%s%s\" data-sev=\"%s\" data-kind=\"%s\" "
		"data-waived=\"%d\"><td class=\"sev\">%s</td><td>%s</td><td>",
		sev, it->waived ? " waived" : "", sev, kind, it->waived ? 1 : 0,
		sev, kind);
	h(out, it->role ? it->role : "(hosts)");
	fputs("</td><td>", out);
	h(out, it->collector);
	fputc(':', out);
	h(out, it->key);
	fputs("</td><td>", out);
	html_value(out, it, 0);
	fputs("</td><td>", out);
	html_value(out, it, 1);
	fputs("</td><td>", out);
	html_hosts(c, it);
	fputs("</td><td>", out);
	if (it->kind == DRIFT_OUTLIER || report_host_only(it))
		h(out, it->host);
	if (it->kind == DRIFT_OUTLIER ||
	    (report_host_only(it) && report_shows_host_value(it))) {
		fputs(": ", out);
		if (it->host_value)
			h(out, it->host_value);
		else
			fputs("<em>(absent)</em>", out);
	}
	fputs("</td><td>", out);
	if (it->newer == 0 || it->newer == 1) {
		fputs("newer: ", out);
		h(out, c->r->operands[it->newer]);
		fputs("<br>", out);
	}
	if (it->detail) {
		h(out, it->detail);
		fputs("<br>", out);
	}
	if (it->rule) {
		fputs("rule ", out);
		h(out, it->rule);
		fputs("<br>", out);
	}
	if (it->waived) {
		fputs("waived: ", out);
		h(out, it->waiver);
		fputs("<br>", out);
	}
	if (it->since_date[0])
		fprintf(out, "since %s (%zu scans)<br>", it->since_date,
			it->since_scans);
	if (it->patch) {
		fputs("<pre>", out);
		h(out, it->patch);
		fputs("</pre>", out);
	}
	fputs("</td></tr>\n", out);
}

static void html_end(struct report_ctx *c)
{
	size_t i;

	if (c->r->nr)
		fputs("</tbody>\n</table>\n", c->out);
	if (c->r->notes.nr)
		fputs("<ul class=\"notes\">\n", c->out);
	for (i = 0; i < c->r->notes.nr; i++) {
		fputs("<li>", c->out);
		h(c->out, c->r->notes.v[i]);
		fputs("</li>\n", c->out);
	}
	if (c->r->notes.nr)
		fputs("</ul>\n", c->out);
	if (c->nreports > 1) {
		fputs("</section>\n", c->out);
		return;
	}
	if (c->r->nr)
		fputs(script, c->out);
	fputs("</body>\n</html>\n", c->out);
}

/* several reports: one page, its header summing up the sections */
static void html_many_begin(FILE *out, const struct report_ctx *c, size_t n)
{
	size_t i, s, items = 0, drifting = 0, sev[3] = { 0 }, waived = 0;

	html_head(out, c, n);
	for (i = 0; i < n; i++) {
		items += c[i].r->nr;
		drifting += c[i].r->nr ? 1 : 0;
		for (s = 0; s < 3; s++)
			sev[s] += c[i].total.sev[s];
		waived += c[i].total.waived;
	}
	if (drifting)
		fprintf(out,
			"<header>\n<h1>envdrift: drift in %zu of %zu comparisons</h1>\n",
			drifting, n);
	else
		fprintf(out,
			"<header>\n<h1>envdrift: no drift in %zu comparisons</h1>\n",
			n);
	fprintf(out,
		"<p class=\"summary\">%zu items: %zu critical, %zu warning, "
		"%zu info, %zu waived</p>\n</header>\n",
		items, sev[SEV_CRITICAL], sev[SEV_WARNING], sev[SEV_INFO],
		waived);
}

static void html_many_end(FILE *out, const struct report_ctx *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].r->nr)
			break;
	if (i < n)
		fputs(script, out);
	fputs("</body>\n</html>\n", out);
}

const struct report_format report_html = {
	.name = "html",
	.many_begin = html_many_begin,
	.many_end = html_many_end,
	.begin = html_begin,
	.item = html_item,
	.end = html_end,
};
