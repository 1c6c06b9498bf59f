/*
 * Helpers every report format shares: severity and kind indexes, whether
 * an item is about one host, byte-safe output, and reading the "VALUE\tHOST"
 * host lines. report.c drives the formats; the formats call these, so
 * they sit apart and no file calls back into the one that called it.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

size_t report_sev(const struct drift_item *it)
{
	return it->severity > SEV_CRITICAL ? (size_t)SEV_CRITICAL :
					     (size_t)it->severity;
}

size_t report_kind(const struct drift_item *it)
{
	return (size_t)it->kind >= DRIFT_KINDS ? (size_t)DRIFT_STALE :
						 (size_t)it->kind;
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

void report_fact_hosts(struct ed_strvec *out, const struct report_ctx *c)
{
	size_t i, j;

	for (i = 0; i < out->nr; i++)
		free(out->v[i]);
	out->nr = 0;
	for (i = 0; i < c->fact_n; i++)
		for (j = 0; j < c->fact[i]->hosts.nr; j++)
			ed_strvec_push(out, c->fact[i]->hosts.v[j]);
	ed_strvec_sort_unique(out);
}

static int cmp_run(const void *pa, const void *pb)
{
	const struct report_run *a = pa, *b = pb;
	size_t na = a->to - a->from, nb = b->to - b->from;

	if (na != nb)
		return na < nb ? -1 : 1;
	return (a->from > b->from) - (a->from < b->from);
}

size_t report_host_runs(struct report_run **out, const struct ed_strvec *hosts,
			struct ed_buf *scratch)
{
	struct report_run *runs = ed_xcalloc(hosts->nr + 1, sizeof(*runs));
	size_t nr = 0, i;

	for (i = 0; i < hosts->nr; i = runs[nr++].to) {
		runs[nr].from = i;
		runs[nr].to = report_hosts_run(hosts, i, scratch);
	}
	if (nr > 1)
		qsort(runs, nr, sizeof(*runs), cmp_run);
	*out = runs;
	return nr;
}

size_t report_put_outliers(const struct report_ctx *c,
			   void (*put)(FILE *, const char *))
{
	size_t s, i, shown = 0, rest = 0;

	for (s = 0; s < 2; s++) {
		size_t n = 0, size = 0, listed = 0;

		for (i = 0; i < c->fact_n; i++)
			if ((c->fact[i]->side ? 1 : 0) == s) {
				n++;
				size = c->fact[i]->group_size;
			}
		if (!n)
			continue;
		fputs(shown ? ", " : "", c->out);
		for (i = 0; i < c->fact_n; i++) {
			if ((c->fact[i]->side ? 1 : 0) != s)
				continue;
			if (!c->all_hosts && listed == REPORT_HOSTS_SHOWN) {
				fprintf(c->out, " and %zu more", n - listed);
				break;
			}
			fputs(listed++ ? ", " : "", c->out);
			put(c->out, c->fact[i]->host);
		}
		fputs(" (", c->out);
		put(c->out, c->r->operands[s]);
		fputc(')', c->out);
		shown += n;
		rest += size > n ? size - n : 0;
	}
	return rest;
}

void report_tally_collectors(struct report_tally *t, const struct drift_report *r)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < r->nr; i++)
		ed_strvec_push(&t->names, r->items[i].collector);
	ed_strvec_sort_unique(&t->names);
	t->n = ed_xcalloc(t->names.nr + 1, sizeof(*t->n));
	for (i = 0; i < r->nr; i++) {
		const struct drift_item *it = &r->items[i];

		t->n[ed_strvec_find(&t->names, it->collector)]
		    [it->waived ? REPORT_WAIVED : report_sev(it)]++;
	}
}

void report_tally_release(struct report_tally *t)
{
	ed_strvec_release(&t->names);
	free(t->n);
	t->n = NULL;
}
