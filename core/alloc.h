#ifndef ENVDRIFT_CORE_ALLOC_H
#define ENVDRIFT_CORE_ALLOC_H
/*
 * Allocation that cannot fail: on out-of-memory these print one line and
 * abort (git wrapper.c, OpenSSH xmalloc.c). Every other failure is returned.
 */
#include <stddef.h>

void *ed_xmalloc(size_t n);
void *ed_xcalloc(size_t nmemb, size_t size);
void *ed_xrealloc(void *p, size_t n);
char *ed_xstrdup(const char *s);
char *ed_xstrndup(const char *s, size_t n);
char *ed_xmemdup(const void *p, size_t n); /* NUL-terminated copy */

/* a + b and a * b, aborting on overflow */
size_t ed_st_add(size_t a, size_t b);
size_t ed_st_mult(size_t a, size_t b);

#define ED_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Grow array ptr (nr used, alloc allocated) so that it holds at least n. */
#define ED_ALLOC_GROW(ptr, n, alloc)                                   \
 do {                                                                  \
  if ((n) > (alloc)) {                                                 \
   size_t ed_ag_new_ = (alloc) < 16 ? 16 : (alloc)*2;                  \
   if (ed_ag_new_ < (n))                                               \
    ed_ag_new_ = (n);                                                  \
   (ptr) = ed_xrealloc((ptr), ed_st_mult(ed_ag_new_, sizeof(*(ptr)))); \
   (alloc) = ed_ag_new_;                                               \
  }                                                                    \
 } while (0)

/* A programming error: print file and line, then abort. Never returns. */
#define ED_BUG(...) ed_bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void ed_bug_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
