/*
 * Namesakes between the two sides of a comparison: for each host of one
 * side, the first host of the other side with the same name. Per-host
 * facts compare a host only with its namesake; finding it by scanning the
 * other side for every host cost na * nb name comparisons per key, which
 * dominated check at 10,000 hosts. One sort of the other side's names and
 * a binary search per host give the same answer in O((na + nb) log nb).
 */
#include "differ/internal.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"

struct named {
	const char *name;
	size_t at;
};

/* by name, then position: the first of equal names comes first */
static int named_cmp(const void *pa, const void *pb)
{
	const struct named *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	return a->at < b->at ? -1 : a->at > b->at;
}

size_t differ_twins(size_t *out, const struct differ_host *const *a, size_t na,
		    const struct differ_host *const *b, size_t nb)
{
	struct named *sorted = ed_xcalloc(nb + 1, sizeof(*sorted));
	size_t i, found = 0;

	for (i = 0; i < nb; i++) {
		sorted[i].name = b[i]->host;
		sorted[i].at = i;
	}
	if (nb > 1)
		qsort(sorted, nb, sizeof(*sorted), named_cmp);
	for (i = 0; i < na; i++) {
		size_t lo = 0, hi = nb;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(sorted[mid].name, a[i]->host) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		out[i] = SIZE_MAX;
		if (lo < nb && !strcmp(sorted[lo].name, a[i]->host)) {
			out[i] = sorted[lo].at;
			found++;
		}
	}
	free(sorted);
	return found;
}
