/*
 * Report formats over the differ's result: the table of formats, the
 * driver that walks a report in role and collector order calling each
 * format's hooks (the helpers the formats share are in format_util.c). One file per
 * format (fmt_*.c); adding one is that file plus one row in formats[].
 */
#include "reports/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/words.h"
#include "reports/internal.h"

static const struct report_format *const formats[] = {
	&report_text, &report_json,  &report_markdown,   &report_junit,
	&report_html, &report_patch, &report_prometheus,
};

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* role (NULL first), collector, then the differ's order */
static int cmp_items(const void *pa, const void *pb)
{
	const struct drift_item *a = *(const struct drift_item *const *)pa;
	const struct drift_item *b = *(const struct drift_item *const *)pb;
	int c = cmp_str(a->role, b->role);

	if (!c)
		c = strcmp(a->collector, b->collector);
	if (!c)
		c = a < b ? -1 : a > b;
	return c;
}

/* The fact group's key: two items in one group say the same thing. */
static int cmp_fact(const struct drift_item *a, const struct drift_item *b)
{
	int c = cmp_str(a->role, b->role);

	if (!c)
		c = strcmp(a->collector, b->collector);
	if (!c)
		c = strcmp(a->key, b->key);
	if (!c)
		c = (int)a->kind - (int)b->kind;
	if (!c && a->kind != DRIFT_OUTLIER)
		c = a < b ? -1 : a > b; /* only outliers group */
	if (!c)
		c = cmp_str(a->host_value, b->host_value);
	if (!c)
		c = cmp_str(a->values[a->side ? 1 : 0],
			    b->values[b->side ? 1 : 0]);
	if (!c)
		c = (int)report_sev(a) - (int)report_sev(b);
	if (!c)
		c = a->waived - b->waived;
	return c;
}

/* An item's place: in the order visited, and its group's first place. */
struct placed {
	const struct drift_item *it;
	size_t pos, first;
};

static int cmp_placed_fact(const void *pa, const void *pb)
{
	const struct placed *a = pa, *b = pb;
	int c = cmp_fact(a->it, b->it);

	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static int cmp_placed_first(const void *pa, const void *pb)
{
	const struct placed *a = pa, *b = pb;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/*
 * Reorder v (sorted by role and collector) so that each fact group's
 * items follow its first one; fact_start[i] is where item i's group
 * starts in the result.
 */
static void group_facts(const struct drift_item **v, size_t *fact_start, size_t n)
{
	struct placed *p;
	size_t i;

	if (!v || !n)
		return;
	p = ed_xcalloc(n + 1, sizeof(*p));
	for (i = 0; i < n; i++) {
		p[i].it = v[i];
		p[i].pos = i;
	}
	if (n > 1)
		qsort(p, n, sizeof(*p), cmp_placed_fact);
	for (i = 0; i < n; i++)
		p[i].first = i && !cmp_fact(p[i - 1].it, p[i].it) ?
				     p[i - 1].first :
				     p[i].pos;
	if (n > 1)
		qsort(p, n, sizeof(*p), cmp_placed_first);
	for (i = 0; i < n; i++) {
		v[i] = p[i].it;
		fact_start[i] =
			i && p[i].first == p[i - 1].first ? fact_start[i - 1] : i;
	}
	free(p);
}

/*
 * For formats that put the worst first (severity_first): role (NULL
 * first), then failing before waived, severity high to low, then
 * collector and the differ's order.
 */
static int cmp_items_severity(const void *pa, const void *pb)
{
	const struct drift_item *a = *(const struct drift_item *const *)pa;
	const struct drift_item *b = *(const struct drift_item *const *)pb;
	int c = cmp_str(a->role, b->role);

	if (!c)
		c = a->waived - b->waived;
	if (!c)
		c = (int)report_sev(b) - (int)report_sev(a);
	if (!c)
		c = strcmp(a->collector, b->collector);
	if (!c)
		c = a < b ? -1 : a > b;
	return c;
}

static void count(struct report_counts *k, const struct drift_item *const *v,
		  size_t n)
{
	size_t i;
	int failed = 0;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < n; i++) {
		if (!i || cmp_str(v[i]->role, v[i - 1]->role) ||
		    strcmp(v[i]->collector, v[i - 1]->collector)) {
			k->failed_groups += (size_t)failed;
			failed = 0;
			k->groups++;
		}
		k->items++;
		k->facts += !i || cmp_fact(v[i - 1], v[i]);
		k->kind[report_kind(v[i])]++;
		if (v[i]->waived)
			k->waived++;
		else
			k->sev[report_sev(v[i])]++;
		if (report_fails(v[i])) {
			k->failures++;
			failed = 1;
		}
	}
	k->failed_groups += (size_t)failed;
}

/* End of the run starting at i: same role, and same collector if by_collector. */
static size_t run_end(const struct drift_item *const *v, size_t n, size_t i,
		      int by_collector)
{
	size_t j;

	for (j = i + 1; j < n; j++)
		if (cmp_str(v[j]->role, v[i]->role) ||
		    (by_collector && strcmp(v[j]->collector, v[i]->collector)))
			break;
	return j;
}

static void drive(const struct report_format *f, struct report_ctx *c,
		  const struct drift_item *const *v, const size_t *fact_start,
		  size_t n)
{
	size_t i, j, k, s, g;

	if (f->begin)
		f->begin(c);
	for (i = 0; i < n; i = s) {
		const char *role = v[i]->role;

		s = run_end(v, n, i, 0);
		count(&c->section, v + i, s - i);
		if (f->section_begin)
			f->section_begin(c, role);
		for (j = i; j < s; j = g) {
			const char *collector = v[j]->collector;

			g = run_end(v, n, j, 1);
			count(&c->group, v + j, g - j);
			ed_buf_reset(&c->scratch);
			if (f->group_begin)
				f->group_begin(c, role, collector);
			for (k = j; k < g; k++, c->item_index++) {
				size_t e = k + 1;

				if (fact_start[k] == k)
					c->fact_id++;
				while (e < n && fact_start[e] == fact_start[k])
					e++;
				c->fact = v + fact_start[k];
				c->fact_n = e - fact_start[k];
				c->fact_pos = k - fact_start[k];
				if (f->item)
					f->item(c, v[k]);
			}
			if (f->group_end)
				f->group_end(c, role, collector);
		}
		if (f->section_end)
			f->section_end(c, role);
		c->section_index++;
	}
	if (f->end)
		f->end(c);
}

static const struct report_format *find_format(const char *format)
{
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(formats); i++)
		if (!strcmp(formats[i]->name, format))
			return formats[i];
	return NULL;
}

int report_known(const char *format)
{
	return find_format(format) != NULL;
}

static int unknown_format(const char *format, struct ed_err *err)
{
	struct ed_buf names = ED_BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < ED_ARRAY_SIZE(formats); i++)
		ed_buf_addf(&names, "%s%s", i ? ", " : "", formats[i]->name);
	rc = ed_err_set(err, ED_ERROR, "unknown report format '%s' (known: %s)",
			format, names.ptr);
	ed_buf_release(&names);
	return rc;
}

/*
 * c for report r, its items sorted into *out and where each one's fact
 * group starts into *starts (the caller frees both).
 */
static void ctx_init(struct report_ctx *c, const struct drift_item ***out,
		     size_t **starts, FILE *fp, const struct drift_report *r,
		     int flags, int severity_first)
{
	const struct drift_item **v = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->out = fp;
	c->r = r;
	c->color = (flags & REPORT_COLOR) != 0;
	c->all_hosts = (flags & REPORT_ALL_HOSTS) != 0;
	c->nreports = 1;
	ed_buf_init(&c->scratch);
	if (r->nr)
		v = ed_xcalloc(r->nr, sizeof(*v));
	for (i = 0; i < r->nr; i++)
		v[i] = &r->items[i];
	if (r->nr)
		qsort(v, r->nr, sizeof(*v),
		      severity_first ? cmp_items_severity : cmp_items);
	*starts = ed_xcalloc(r->nr + 1, sizeof(**starts));
	group_facts(v, *starts, r->nr);
	count(&c->total, v, r->nr);
	*out = v;
}

/* "| " lines that are table rows, not a header's "| --- |" rule. */
static size_t count_rows(const char *p, const char *end)
{
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (end - p > 2 && p[0] == '|' && p[1] == ' ' &&
		    strncmp(p, "| --- ", 6) && strncmp(p, "| collector |", 13))
			n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

/*
 * doc (len bytes) to out, cut at the last line that leaves room for the
 * line saying how many table rows the cut left out.
 */
static void write_capped(FILE *out, const char *doc, size_t len, size_t max)
{
	static const char tail[] =
		"\n*... and %zu more %s: see the full report "
		"(`--format html:FILE`, `--format json:FILE`).*\n";
	size_t cut, rows;

	if (len <= max) {
		fwrite(doc, 1, len, out);
		return;
	}
	cut = max - sizeof(tail) - 24;
	while (cut && doc[cut - 1] != '\n')
		cut--;
	fwrite(doc, 1, cut, out);
	rows = count_rows(doc + cut, doc + len);
	fprintf(out, tail, rows, ed_plural(rows, "row", "rows"));
}

int report_write_fleet(FILE *out, const char *format,
		       const struct drift_report *r, size_t n,
		       const struct report_fleet *fleet, int flags,
		       struct ed_err *err)
{
	const struct report_format *f = find_format(format);
	FILE *final = out;
	char *doc = NULL;
	size_t doc_len = 0;
	struct report_ctx *c = NULL;
	const struct drift_item ***v = NULL;
	size_t **starts = NULL;
	size_t i;

	if (!f)
		return unknown_format(format, err);
	if (!n)
		return ed_err_set(err, ED_ERROR, "no %s report to write", format);
	if (f->max_bytes) {
		out = open_memstream(&doc, &doc_len);
		if (!out)
			return ed_err_errno(err, ED_EIO, errno,
					    "cannot buffer the %s report",
					    format);
	}
	c = ed_xcalloc(n, sizeof(*c));
	v = ed_xcalloc(n, sizeof(*v));
	starts = ed_xcalloc(n, sizeof(*starts));
	for (i = 0; i < n; i++) {
		ctx_init(&c[i], &v[i], &starts[i], out, &r[i], flags,
			 f->severity_first);
		c[i].report_index = i;
		c[i].nreports = n;
		c[i].fleet = fleet;
	}
	if (n > 1 && f->many_begin)
		f->many_begin(out, c, n);
	for (i = 0; i < n; i++) {
		if (i && f->many_sep)
			fputs(f->many_sep, out);
		drive(f, &c[i], v[i], starts[i], r[i].nr);
	}
	if (n > 1 && f->many_end)
		f->many_end(out, c, n);
	for (i = 0; i < n; i++) {
		ed_buf_release(&c[i].scratch);
		ed_strvec_release(&c[i].hosts);
		free(v[i]);
		free(starts[i]);
	}
	free(starts);
	free(v);
	free(c);
	if (final != out) {
		int bad = ferror(out);

		if (fclose(out) || bad) {
			free(doc);
			return ed_err_set(err, ED_EIO,
					  "cannot buffer the %s report", format);
		}
		out = final;
		write_capped(out, doc, doc_len, f->max_bytes);
		free(doc);
	}
	if (ferror(out))
		return ed_err_set(err, ED_EIO, "cannot write the %s report",
				  format);
	return 0;
}

int report_write_many(FILE *out, const char *format, const struct drift_report *r,
		      size_t n, int flags, struct ed_err *err)
{
	return report_write_fleet(out, format, r, n, NULL, flags, err);
}

int report_write(FILE *out, const char *format, const struct drift_report *r,
		 int flags, struct ed_err *err)
{
	return report_write_many(out, format, r, 1, flags, err);
}
