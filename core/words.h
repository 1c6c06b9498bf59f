#ifndef ENVDRIFT_CORE_WORDS_H
#define ENVDRIFT_CORE_WORDS_H
/*
 * Small helpers for the words envdrift prints: a noun in the number its
 * count needs ("1 host", "2 hosts"), and how far a mistyped name is from
 * a known one (for "did you mean ...?").
 */
#include <stddef.h>

/* one when n is 1, else many: printf("%zu %s", n, ed_plural(n, "host", "hosts")) */
const char *ed_plural(size_t n, const char *one, const char *many);

/*
 * The edit distance from typed to known with git's weights (help.c):
 * a swap of two adjacent bytes 0, a substitution 2, a byte typed too few
 * (an insertion into typed) 1, a byte typed too many 3. Names longer than
 * 64 bytes are ED_WORDS_FAR from everything.
 */
#define ED_WORDS_FAR 1000u
unsigned ed_edit_distance(const char *typed, const char *known);

#endif
