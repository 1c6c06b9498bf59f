/*
 * ed_strvec: owned strings in a growable array. Sorting is plain strcmp so a
 * snapshot file is byte-identical on every machine and locale.
 */
#include "core/strvec.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void ed_strvec_init(struct ed_strvec *sv)
{
	sv->v = NULL;
	sv->nr = 0;
	sv->alloc = 0;
}

void ed_strvec_release(struct ed_strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->nr; i++)
		free(sv->v[i]);
	free(sv->v);
	ed_strvec_init(sv);
}

void ed_strvec_take(struct ed_strvec *sv, char *s)
{
	ED_ALLOC_GROW(sv->v, sv->nr + 1, sv->alloc);
	sv->v[sv->nr++] = s;
}

void ed_strvec_push(struct ed_strvec *sv, const char *s)
{
	ed_strvec_take(sv, ed_xstrdup(s));
}

void ed_strvec_pushf(struct ed_strvec *sv, const char *fmt, ...)
{
	struct ed_buf b = ED_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ed_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ed_strvec_take(sv, ed_buf_detach(&b, NULL));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ed_strvec_sort_unique(struct ed_strvec *sv)
{
	size_t i, out = 0;

	if (sv->nr < 2)
		return;
	qsort(sv->v, sv->nr, sizeof(*sv->v), cmp_str);
	for (i = 0; i < sv->nr; i++) {
		if (out && !strcmp(sv->v[out - 1], sv->v[i])) {
			free(sv->v[i]);
			continue;
		}
		sv->v[out++] = sv->v[i];
	}
	sv->nr = out;
}

void ed_strvec_sort(struct ed_strvec *sv)
{
	if (sv->nr > 1)
		qsort(sv->v, sv->nr, sizeof(*sv->v), cmp_str);
}

size_t ed_strvec_find(const struct ed_strvec *sv, const char *s)
{
	char *const *at =
		sv->nr ? bsearch(&s, sv->v, sv->nr, sizeof(*sv->v), cmp_str) :
			 NULL;

	return at ? (size_t)(at - sv->v) : sv->nr;
}

void ed_strvec_join_lines(const struct ed_strvec *sv, struct ed_buf *out)
{
	size_t i;

	for (i = 0; i < sv->nr; i++) {
		ed_buf_adds(out, sv->v[i]);
		ed_buf_addch(out, '\n');
	}
}

int ed_strvec_contains(const struct ed_strvec *sv, const char *s)
{
	size_t i;

	for (i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}
