/*
 * What the files walk looks entries up in (collector/files.h): owner and
 * group names parsed from passwd and group, the include/exclude/secret
 * glob lists, and include patterns split into components. Leaf helpers,
 * shared by files.c (setup) and files_walk.c (the walk).
 */
#include "collector/files.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/glob.h"

/* ---- owner and group names ---- */

static int cmp_id_name(const void *a, const void *b)
{
	const struct id_name *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

void files_id_map_release(struct id_map *m)
{
	size_t i;

	for (i = 0; i < m->nr; i++)
		free(m->v[i].name);
	free(m->v);
	m->v = NULL;
	m->nr = m->alloc = 0;
}

/* "name:x:id:..." lines; NIS "+"/"-" lines and comments are skipped. */
void files_id_map_parse(struct id_map *m, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;
	size_t order = 0, i, out;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *c1, *c2, *q;
		unsigned long id = 0;
		int ok = 1;

		if (!eol)
			eol = end;
		c1 = memchr(p, ':', (size_t)(eol - p));
		c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;
		if (!c2 || c1 == p || *p == '+' || *p == '-' || *p == '#')
			ok = 0;
		for (q = c2 ? c2 + 1 : eol; ok && q < eol && *q != ':'; q++) {
			if (*q < '0' || *q > '9' || id > (ULONG_MAX - 9) / 10)
				ok = 0;
			else
				id = id * 10 + (unsigned long)(*q - '0');
		}
		if (ok && q > c2 + 1) {
			ED_ALLOC_GROW(m->v, m->nr + 1, m->alloc);
			m->v[m->nr].id = id;
			m->v[m->nr].order = order;
			m->v[m->nr].name = ed_xmemdup(p, (size_t)(c1 - p));
			m->nr++;
		}
		order++;
		p = eol + 1;
	}
	if (!m->nr)
		return;
	qsort(m->v, m->nr, sizeof(*m->v), cmp_id_name);
	for (i = out = 1; i < m->nr; i++) {
		if (m->v[i].id == m->v[out - 1].id)
			free(m->v[i].name);
		else
			m->v[out++] = m->v[i];
	}
	m->nr = out;
}

const char *files_id_name(const struct id_map *m, unsigned long id)
{
	size_t lo = 0, hi = m->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].id == id)
			return m->v[mid].name;
		if (m->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- patterns ---- */

/*
 * The literal head and tail of pattern p: text every string it matches
 * starts and ends with, so most paths are refused by two memcmp() before
 * the matcher runs (the secret file list holds over a hundred patterns,
 * tried on every file). The head stops at the first wildcard, and before
 * a "/" + "**" that may match nothing ("dir" matches "dir" + "/" + "**");
 * the tail is what follows the last '*' or '?', and none is taken when a
 * class or an escape could make a character mean something else.
 */
static void glob_hint_of(struct glob_hint *h, const char *p)
{
	size_t n = strlen(p), pre = strcspn(p, "*?[\\"), i;

	h->len = n;
	if (pre >= 1 && p[pre] == '*' && p[pre + 1] == '*' && p[pre - 1] == '/')
		pre--;
	h->pre = (unsigned short)(pre < 0xffff ? pre : 0);
	h->suf = 0;
	if (strpbrk(p, "[\\"))
		return;
	for (i = n; i > 0 && p[i - 1] != '*' && p[i - 1] != '?'; i--)
		;
	if (i > 0 && n - i < 0xffff)
		h->suf = (unsigned short)(n - i);
}

void files_glob_set_init(struct glob_set *g, const struct ed_strvec *pats)
{
	size_t i;

	g->pats = pats;
	g->hint = ed_xcalloc(pats->nr + 1, sizeof(*g->hint));
	for (i = 0; i < pats->nr; i++) {
		const char *p = pats->v[i];
		struct glob_hint *h = &g->hint[i];

		h->base_only = !strncmp(p, "**/", 3) &&
			       !strpbrk(p + 3, "/\\") && !strstr(p + 3, "**");
		glob_hint_of(h, h->base_only ? p + 3 : p);
	}
}

void files_glob_set_release(struct glob_set *g)
{
	free(g->hint);
	g->hint = NULL;
}

/* path is absolute ("/" for the root itself) */
int files_match_any(const struct glob_set *g, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t i, path_len = strlen(path), base_len;

	base = base ? base + 1 : path;
	base_len = path_len - (size_t)(base - path);
	for (i = 0; i < g->pats->nr; i++) {
		const struct glob_hint *h = &g->hint[i];
		const char *p = g->pats->v[i] + (h->base_only ? 3 : 0);
		const char *s = h->base_only ? base : path;
		size_t len = h->base_only ? base_len : path_len;

		if (len < h->pre || memcmp(s, p, h->pre) ||
		    (h->suf &&
		     (len < h->suf ||
		      memcmp(s + len - h->suf, p + h->len - h->suf, h->suf))))
			continue;
		if (ed_glob_match(p, s, '/'))
			return 1;
	}
	return 0;
}

/* Split "/etc/ssh/x" into its components; ED_EPARSE on "." or "..". */
int files_split_pattern(struct ed_strvec *out, const char *pat, struct ed_err *err)
{
	const char *p = pat;

	if (*pat != '/')
		return ed_err_set(err, ED_EPARSE,
				  "file_include: \"%s\": not an absolute path",
				  pat);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return ed_err_set(err, ED_EPARSE,
					  "file_include: \"%s\": \".\" and \"..\" are not allowed",
					  pat);
		if (n)
			ed_strvec_take(out, ed_xmemdup(p, n));
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}
