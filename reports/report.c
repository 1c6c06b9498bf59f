/*
 * Report formats over the differ's result: the table of formats, the
 * driver that walks a report in role and collector order calling each
 * format's hooks, and the escaping every format shares. One file per
 * format (fmt_*.c); adding one is that file plus one row in formats[].
 */
#include "reports/report.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "reports/internal.h"

static const struct report_format *const formats[] = {
	&report_text, &report_json, &report_markdown, &report_junit, &report_html,
	&report_patch,
};

size_t report_sev(const struct drift_item *it)
{
	return it->severity > SEV_CRITICAL ? (size_t)SEV_CRITICAL : (size_t)it->severity;
}

size_t report_kind(const struct drift_item *it)
{
	return (size_t)it->kind >= DRIFT_KINDS ? (size_t)DRIFT_STALE : (size_t)it->kind;
}

int report_fails(const struct drift_item *it)
{
	return !it->waived && report_sev(it) != SEV_INFO;
}

int report_host_only(const struct drift_item *it)
{
	return it->kind != DRIFT_OUTLIER && it->host && !it->values[0] &&
	       !it->values[1];
}

int report_shows_host_value(const struct drift_item *it)
{
	return it->kind != DRIFT_STALE || it->host_value;
}

size_t report_utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0; /* continuation byte, overlong lead or past U+10FFFF */
	n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	cp = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void report_put(FILE *out, const char *s, const char *(*special)(unsigned char c))
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s)
		return;
	while (*p) {
		const char *rep = *p < 0x80 && special ? special(*p) : NULL;

		if (rep) {
			fputs(rep, out);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\x%02X", *p++);
			continue;
		}
		n = report_utf8_len(p);
		/* U+FFFE and U+FFFF: EF BF BE/BF, not allowed in XML 1.0 */
		if (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)
			n = 0;
		if (!n) {
			fprintf(out, "\\x%02X", *p++);
			continue;
		}
		fwrite(p, 1, n, out);
		p += n;
	}
}

const char *report_host_name(const char *line)
{
	const char *tab = strrchr(line, '\t');

	return tab ? tab + 1 : "";
}

size_t report_hosts_run(const struct ed_strvec *hosts, size_t i,
			struct ed_buf *value)
{
	const char *line = hosts->v[i];
	const char *tab = strrchr(line, '\t');
	size_t vlen = tab ? (size_t)(tab - line) : strlen(line);

	ed_buf_reset(value);
	ed_buf_add(value, line, vlen);
	for (i++; i < hosts->nr; i++) {
		tab = strrchr(hosts->v[i], '\t');
		if (!tab || (size_t)(tab - hosts->v[i]) != vlen ||
		    memcmp(hosts->v[i], line, vlen))
			break;
	}
	return i;
}

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

int report_write_many(FILE *out, const char *format,
		      const struct drift_report *r, size_t n, int color,
		      struct ed_err *err)
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
		return ed_err_set(err, ED_EIO, "cannot write the %s report", format);
	return 0;
}

int report_write(FILE *out, const char *format, const struct drift_report *r,
		 int color, struct ed_err *err)
{
	return report_write_many(out, format, r, 1, color, err);
}
