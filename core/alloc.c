/*
 * Allocation wrappers: out-of-memory is not a recoverable condition for a
 * short-lived scanner, so we abort with one line instead of threading
 * hundreds of untestable error paths through the code.
 */
#include "core/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void die_oom(size_t n)
{
	fprintf(stderr, "envdrift: out of memory allocating %zu bytes\n", n);
	abort();
}

void *ed_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die_oom(n);
	return p;
}

void *ed_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		die_oom(ed_st_mult(nmemb, size));
	return p;
}

void *ed_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die_oom(n);
	return q;
}

char *ed_xstrdup(const char *s)
{
	return ed_xmemdup(s, strlen(s));
}

char *ed_xstrndup(const char *s, size_t n)
{
	const char *end = memchr(s, '\0', n);

	return ed_xmemdup(s, end ? (size_t)(end - s) : n);
}

char *ed_xmemdup(const void *p, size_t n)
{
	char *q = ed_xmalloc(ed_st_add(n, 1));

	if (n)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

size_t ed_st_add(size_t a, size_t b)
{
	if (SIZE_MAX - a < b)
		ED_BUG("size_t overflow: %zu + %zu", a, b);
	return a + b;
}

size_t ed_st_mult(size_t a, size_t b)
{
	if (a && SIZE_MAX / a < b)
		ED_BUG("size_t overflow: %zu * %zu", a, b);
	return a * b;
}

void ed_bug_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "envdrift: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
