/*
 * Report formats over the differ's result: the table of formats, the
 * driver that walks a report in role and collector order calling each
 * format's hooks (the helpers the formats share are in format_util.c). One file per
 * format (fmt_*.c); adding one is that file plus one row in formats[].
 */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "reports/internal.h"

static const struct report_format *const formats[] = {
	&report_text,  &report_json, &report_markdown,
	&report_junit, &report_html, &report_patch,
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
		  const struct drift_item *const *v, size_t n)
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
			for (k = j; k < g; k++, c->item_index++)
				if (f->item)
					f->item(c, v[k]);
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

/* c for report r, its items sorted into *out (the caller frees it). */
static void ctx_init(struct report_ctx *c, const struct drift_item ***out,
		     FILE *fp, const struct drift_report *r, int color)
{
	const struct drift_item **v = NULL;
	size_t i;

	memset(c, 0, sizeof(*c));
	c->out = fp;
	c->r = r;
	c->color = color;
	c->nreports = 1;
	ed_buf_init(&c->scratch);
	if (r->nr)
		v = ed_xcalloc(r->nr, sizeof(*v));
	for (i = 0; i < r->nr; i++)
		v[i] = &r->items[i];
	if (r->nr)
		qsort(v, r->nr, sizeof(*v), cmp_items);
	count(&c->total, v, r->nr);
	*out = v;
}

int report_write_many(FILE *out, const char *format, const struct drift_report *r,
		      size_t n, int color, struct ed_err *err)
{
	const struct report_format *f = find_format(format);
	struct report_ctx *c = NULL;
	const struct drift_item ***v = NULL;
	size_t i;

	if (!f)
		return unknown_format(format, err);
	if (!n)
		return ed_err_set(err, ED_ERROR, "no %s report to write", format);
	c = ed_xcalloc(n, sizeof(*c));
	v = ed_xcalloc(n, sizeof(*v));
	for (i = 0; i < n; i++) {
		ctx_init(&c[i], &v[i], out, &r[i], color);
		c[i].report_index = i;
		c[i].nreports = n;
	}
	if (n > 1 && f->many_begin)
		f->many_begin(out, c, n);
	for (i = 0; i < n; i++) {
		if (i && f->many_sep)
			fputs(f->many_sep, out);
		drive(f, &c[i], v[i], r[i].nr);
	}
	if (n > 1 && f->many_end)
		f->many_end(out, c, n);
	for (i = 0; i < n; i++) {
		ed_buf_release(&c[i].scratch);
		free(v[i]);
	}
	free(v);
	free(c);
	if (ferror(out))
		return ed_err_set(err, ED_EIO, "cannot write the %s report",
				  format);
	return 0;
}

int report_write(FILE *out, const char *format, const struct drift_report *r,
		 int color, struct ed_err *err)
{
	return report_write_many(out, format, r, 1, color, err);
}
