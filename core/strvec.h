#ifndef ENVDRIFT_CORE_STRVEC_H
#define ENVDRIFT_CORE_STRVEC_H
/*
 * A vector of owned NUL-terminated strings: how collectors build the sorted,
 * one-fact-per-line snapshot files.
 */
#include <stddef.h>

#include "core/buf.h"

struct ed_strvec {
	char **v;
	size_t nr;
	size_t alloc;
};

#define ED_STRVEC_INIT \
 {                     \
  NULL, 0, 0           \
 }

void ed_strvec_init(struct ed_strvec *sv);
/* Frees every string and the array. */
void ed_strvec_release(struct ed_strvec *sv);
/* Appends a copy of s. */
void ed_strvec_push(struct ed_strvec *sv, const char *s);
void ed_strvec_pushf(struct ed_strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s itself: the vector now owns (and frees) it. */
void ed_strvec_take(struct ed_strvec *sv, char *s);
/* Byte-order sort (strcmp, so independent of locale); drops exact duplicates. */
void ed_strvec_sort_unique(struct ed_strvec *sv);
/* The same order, duplicates kept. */
void ed_strvec_sort(struct ed_strvec *sv);
/* The index of s in sv, sorted by either of the above; sv->nr if absent. */
size_t ed_strvec_find(const struct ed_strvec *sv, const char *s);
/* Appends every string followed by '\n' to out. */
void ed_strvec_join_lines(const struct ed_strvec *sv, struct ed_buf *out);
/* Returns 1 if s is an element (linear scan). */
int ed_strvec_contains(const struct ed_strvec *sv, const char *s);

#endif
