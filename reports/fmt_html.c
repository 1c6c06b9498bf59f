/*
 * html: one self-contained page (inline CSS and a few lines of inline JS,
 * nothing fetched) to attach to a pipeline or mail. Its first screen says
 * where the drift is: the counts by collector and severity and a heatmap
 * of hosts (or roles) against collectors (reports/fmt_html_map.c), whose
 * cells filter the groups below. Then a filter box (text, severity, kind,
 * waived) and the fact groups, each one line (<details>) naming the hosts
 * that deviate and what they hold, opening to who holds what (runs past
 * REPORT_HOSTS_SHOWN hosts folded, at most HTML_FOLDED_NAMES names), the
 * rule, waiver and drift age, and the config diff with +/- colouring.
 * Nothing is wider than the window. Several reports (report_write_many)
 * are one page with a section per pair, ids suffixed -1, -2, ...
 * Everything from the report is HTML-escaped.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/words.h"

#define HTML_FOLDED_NAMES 200

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
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;"
	"max-width:100%;overflow-wrap:anywhere}\n"
	"h1{font-size:1.3em;margin:.2em 0}h2{font-size:1.15em;margin-top:2em}\n"
	"code,pre{font-family:monospace}pre{white-space:pre-wrap;margin:.3em 0}\n"
	".overview{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}\n"
	".overview table{border-collapse:collapse}\n"
	".overview th,.overview td{border:1px solid #ccc;padding:.15em .5em;"
	"text-align:right}\n"
	".overview th{background:#eee;text-align:left;font-weight:normal}\n"
	".map{max-height:62vh;max-width:100%;overflow:auto}\n"
	".map th{max-width:16em;overflow:hidden;text-overflow:ellipsis;"
	"white-space:nowrap}\n"
	".map caption{text-align:left;padding-bottom:.3em}\n"
	".map td{padding:0;text-align:center}\n"
	".map button{border:0;width:100%;min-width:2.5em;padding:.15em;"
	"cursor:pointer;font:inherit}\n"
	".map button[aria-pressed=true]{outline:2px solid #000}\n"
	".map .s2,.counts .s2{background:#f3a6a6}.map .s1{background:#f8e08e}\n"
	".map .s0{background:#bcdcf2}.map .sw{background:#ddd}\n"
	".filters{margin:1em 0}.filters label{margin-right:1em}\n"
	".group{border-left:4px solid #ccc;margin:.2em 0;padding:.1em .5em}\n"
	".group.s2{border-color:#c33}.group.s1{border-color:#d9a400}"
	".group.s0{border-color:#3b8bc2}.group.waived{color:#888}\n"
	".group>summary{white-space:nowrap;overflow:hidden;"
	"text-overflow:ellipsis;cursor:pointer}\n"
	".group .sev{font-weight:bold}.since{color:#666}\n"
	".body{padding:.3em 0 .5em 1.2em}.add{color:#05720a}.del{color:#b00}"
	".hunk{color:#666}\n"
	"@media print{.filters,.map button.all{display:none}"
	".map{max-height:none}}\n"
	"</style>\n";

static const char script[] =
	"<script>\n"
	"document.querySelectorAll('.report').forEach(function (sec) {\n"
	"  var q = sec.querySelector('.filters input[type=search]');\n"
	"  var boxes = sec.querySelectorAll('.filters input[type=checkbox]');\n"
	"  var groups = sec.querySelectorAll('.group');\n"
	"  var cells = sec.querySelectorAll('.map button[data-r]');\n"
	"  var all = sec.querySelector('.map button.all');\n"
	"  var pick = null;\n"
	"  function apply() {\n"
	"    var on = {}, text = q ? q.value.toLowerCase() : '';\n"
	"    boxes.forEach(function (b) { on[b.name + ':' + b.value] = b.checked; });\n"
	"    groups.forEach(function (g) {\n"
	"      var d = g.dataset;\n"
	"      g.hidden = !(on['sev:' + d.sev] && on['kind:' + d.kind] &&\n"
	"        (d.waived !== '1' || on['waived:1']) &&\n"
	"        (!pick || (d.c === pick.c &&\n"
	"          (' ' + d.r + ' ').indexOf(' ' + pick.r + ' ') >= 0)) &&\n"
	"        (!text || g.textContent.toLowerCase().indexOf(text) >= 0));\n"
	"    });\n"
	"  }\n"
	"  cells.forEach(function (b) {\n"
	"    b.addEventListener('click', function () {\n"
	"      pick = { r: b.dataset.r, c: b.dataset.c };\n"
	"      cells.forEach(function (x) { x.setAttribute('aria-pressed', x === b); });\n"
	"      apply();\n"
	"    });\n"
	"  });\n"
	"  if (all) all.addEventListener('click', function () {\n"
	"    pick = null;\n"
	"    cells.forEach(function (x) { x.setAttribute('aria-pressed', false); });\n"
	"    apply();\n"
	"  });\n"
	"  if (q) q.addEventListener('input', apply);\n"
	"  boxes.forEach(function (b) { b.addEventListener('change', apply); });\n"
	"});\n"
	"window.addEventListener('beforeprint', function () {\n"
	"  document.querySelectorAll('details').forEach(function (d) { d.open = true; });\n"
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
	fputs("\" class=\"filters\">\n<input id=\"q", c->out);
	id_suffix(c);
	fputs("\" type=\"search\" placeholder=\"filter groups\" size=\"30\" "
	      "aria-label=\"filter groups\">\n",
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

static void html_notes(struct report_ctx *c)
{
	size_t i;

	if (c->r->notes.nr)
		fputs("<ul class=\"notes\">\n", c->out);
	for (i = 0; i < c->r->notes.nr; i++) {
		fputs("<li>", c->out);
		h(c->out, c->r->notes.v[i]);
		fputs("</li>\n", c->out);
	}
	if (c->r->notes.nr)
		fputs("</ul>\n", c->out);
}

/* One report: the page's header, or a section of a several-report page. */
static void html_begin(struct report_ctx *c)
{
	const struct drift_report *r = c->r;
	const struct report_counts *k = &c->total;
	const char *hn = c->nreports > 1 ? "h2" : "h1";

	if (c->nreports > 1) {
		fprintf(c->out, "<section id=\"report-%zu\" class=\"report\">\n",
			c->report_index + 1);
	} else {
		html_head(c->out, c, 1);
		fputs("<main class=\"report\">\n<header>\n", c->out);
	}
	fprintf(c->out, "<%s>%s", hn,
		r->nr ? "drift between " : "no drift between ");
	h(c->out, r->operands[0]);
	fputs(" and ", c->out);
	h(c->out, r->operands[1]);
	fprintf(c->out,
		"</%s>\n<p class=\"summary\">%zu drift %s in %zu %s on %zu "
		"%s: %zu critical, %zu warning, %zu info, %zu waived</p>\n%s",
		hn, r->nr, ed_plural(r->nr, "item", "items"), k->facts,
		ed_plural(k->facts, "group", "groups"), r->hosts,
		ed_plural(r->hosts, "host", "hosts"), k->sev[SEV_CRITICAL],
		k->sev[SEV_WARNING], k->sev[SEV_INFO], k->waived,
		c->nreports > 1 ? "" : "</header>\n");
	if (!r->nr)
		return;
	c->priv = html_map_new(c);
	html_map_write(c->out, c->priv, h);
	html_notes(c);
	html_filters(c);
	fputs("<div id=\"groups", c->out);
	id_suffix(c);
	fputs("\" class=\"groups\">\n", c->out);
}

static void html_value(FILE *out, const char *v)
{
	fputs("<code>", out);
	if (v)
		h(out, v);
	else
		fputs("<em>(absent)</em>", out);
	fputs("</code>", out);
}

/* Who holds what, the smallest runs first, long runs folded. */
static void html_hosts(struct report_ctx *c, const struct ed_strvec *hosts)
{
	struct report_run *runs;
	size_t nr, i, j;

	if (!hosts->nr)
		return;
	nr = report_host_runs(&runs, hosts, &c->scratch);
	fputs("<ul class=\"hosts\">\n", c->out);
	for (i = 0; i < nr; i++) {
		size_t n = runs[i].to - runs[i].from;
		int fold = !c->all_hosts && n > REPORT_HOSTS_SHOWN;

		report_hosts_run(hosts, runs[i].from, &c->scratch);
		fputs(fold ? "<li><details><summary>" : "<li>", c->out);
		html_value(c->out, c->scratch.ptr);
		if (fold)
			fprintf(c->out, ": %zu hosts</summary>", n);
		else
			fputs(": ", c->out);
		for (j = runs[i].from; j < runs[i].to; j++) {
			if (fold && j - runs[i].from == HTML_FOLDED_NAMES) {
				fprintf(c->out,
					" and %zu more (the JSON report lists them all)",
					runs[i].to - j);
				break;
			}
			fputs(j > runs[i].from ? ", " : "", c->out);
			h(c->out, report_host_name(hosts->v[j]));
		}
		fputs(fold ? "</details></li>\n" : "</li>\n", c->out);
	}
	fputs("</ul>\n", c->out);
	free(runs);
}

/* The one line of a group: what drifted, where, since when. */
static void html_summary(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;

	fprintf(out, "<summary><span class=\"sev\">%s</span> %s ",
		drift_severity_name((enum drift_severity)report_sev(it)),
		drift_kind_name(it->kind));
	fputs("<code>", out);
	h(out, it->collector);
	fputc(':', out);
	h(out, it->key);
	fputs("</code>", out);
	if (it->role) {
		fputs(" (role ", out);
		h(out, it->role);
		fputc(')', out);
	}
	fputs(": ", out);
	if (it->kind == DRIFT_OUTLIER) {
		size_t rest = report_put_outliers(c, h);

		fputs(c->fact_n > 1 ? " have " : " has ", out);
		html_value(out, it->host_value);
		fprintf(out, "; the other %zu %s ", rest,
			ed_plural(rest, "has", "have"));
		html_value(out, it->values[it->side ? 1 : 0]);
	} else if (report_host_only(it)) {
		h(out, it->host);
		if (report_shows_host_value(it)) {
			fputs(" has ", out);
			html_value(out, it->host_value);
		}
	} else {
		h(out, c->r->operands[0]);
		fputc(' ', out);
		html_value(out, it->values[0]);
		fputs(", ", out);
		h(out, c->r->operands[1]);
		fputc(' ', out);
		html_value(out, it->values[1]);
	}
	if (it->waived)
		fputs(" (waived)", out);
	if (it->since_date[0])
		fprintf(out, "<span class=\"since\"> since %s%s</span>",
			it->since_cut ? "at least " : "", it->since_date);
	fputs("</summary>\n", out);
}

/* A unified diff with its added, removed and hunk lines coloured. */
static void html_diff(FILE *out, const char *patch)
{
	const char *p = patch;

	fputs("<pre class=\"diff\">", out);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		const char *cls = NULL;
		char *line = strndup(p, n);

		if (*p == '+' && strncmp(p, "+++", 3))
			cls = "add";
		else if (*p == '-' && strncmp(p, "---", 3))
			cls = "del";
		else if (!strncmp(p, "@@", 2))
			cls = "hunk";
		if (cls)
			fprintf(out, "<span class=\"%s\">", cls);
		if (line)
			h(out, line);
		fputs(cls ? "</span>\n" : "\n", out);
		free(line);
		p += n + (nl ? 1 : 0);
	}
	fputs("</pre>\n", out);
}

static void html_item(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	const struct html_map *m = c->priv;
	const char *sev =
		drift_severity_name((enum drift_severity)report_sev(it));
	size_t i, col = m ? html_map_col(m, it) : 0;

	if (c->fact_pos)
		return; /* one group, written with its first item */
	fprintf(out,
		"<details class=\"group s%s%s\" data-sev=\"%s\" "
		"data-kind=\"%s\" data-waived=\"%d\" data-c=\"%zu\" "
		"data-r=\"",
		it->waived                     ? "w" :
		report_sev(it) == SEV_CRITICAL ? "2" :
		report_sev(it) == SEV_WARNING  ? "1" :
						 "0",
		it->waived ? " waived" : "", sev, drift_kind_name(it->kind),
		it->waived ? 1 : 0, col);
	for (i = 0; m && i < c->fact_n; i++)
		fprintf(out, "%s%zu", i ? " " : "",
			html_map_row(m, c, c->fact[i]));
	fputs("\">\n", out);
	html_summary(c, it);
	fputs("<div class=\"body\">\n", out);
	report_fact_hosts(&c->hosts, c);
	html_hosts(c, &c->hosts);
	if (it->newer == 0 || it->newer == 1) {
		fputs("<p>newer: ", out);
		h(out, c->r->operands[it->newer]);
		fputs("</p>\n", out);
	}
	if (it->detail) {
		fputs("<p>", out);
		h(out, it->detail);
		fputs("</p>\n", out);
	}
	if (it->rule) {
		fputs("<p>rule ", out);
		h(out, it->rule);
		fputs("</p>\n", out);
	}
	if (it->waived) {
		fputs("<p>waived: ", out);
		h(out, it->waiver);
		fputs("</p>\n", out);
	}
	if (it->since_date[0])
		fprintf(out, "<p>since %s%s (%zu %s)</p>\n",
			it->since_cut ? "at least " : "", it->since_date,
			it->since_scans,
			ed_plural(it->since_scans, "scan", "scans"));
	if (it->patch)
		html_diff(out, it->patch);
	fputs("</div>\n</details>\n", out);
}

static void html_end(struct report_ctx *c)
{
	if (c->r->nr)
		fputs("</div>\n", c->out);
	else
		html_notes(c);
	html_map_free(c->priv);
	c->priv = NULL;
	if (c->nreports > 1) {
		fputs("</section>\n", c->out);
		return;
	}
	fputs("</main>\n", c->out);
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
			"<header>\n<h1>envdrift: drift in %zu of %zu %s</h1>\n",
			drifting, n, ed_plural(n, "comparison", "comparisons"));
	else
		fprintf(out, "<header>\n<h1>envdrift: no drift in %zu %s</h1>\n",
			n, ed_plural(n, "comparison", "comparisons"));
	fprintf(out,
		"<p class=\"summary\">%zu drift %s: %zu critical, %zu warning, "
		"%zu info, %zu waived</p>\n</header>\n",
		items, ed_plural(items, "item", "items"), sev[SEV_CRITICAL],
		sev[SEV_WARNING], sev[SEV_INFO], waived);
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
	.severity_first = 1,
};
