/*
 * Wording helpers. The distance is the optimal-string-alignment variant of
 * Damerau-Levenshtein with git's weights, so a missing letter ("colect")
 * weighs less than a wrong one, and a transposition ("chekc") nothing.
 */
#include "core/words.h"

#include <string.h>

const char *ed_plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* command names are short: longer input is never "near" (17 KiB of stack) */
#define WORDS_MAX 64

enum { W_SWAP = 0, W_SUBST = 2, W_INSERT = 1, W_DELETE = 3 };

static unsigned min2(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

unsigned ed_edit_distance(const char *typed, const char *known)
{
	unsigned d[WORDS_MAX + 1][WORDS_MAX + 1];
	size_t la = strlen(typed), lb = strlen(known), i, j;

	if (la > WORDS_MAX || lb > WORDS_MAX)
		return ED_WORDS_FAR;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j * W_INSERT;
	for (i = 1; i <= la; i++) {
		d[i][0] = (unsigned)i * W_DELETE;
		for (j = 1; j <= lb; j++) {
			unsigned v = d[i - 1][j - 1] +
				     (typed[i - 1] == known[j - 1] ? 0 : W_SUBST);

			if (i > 1 && j > 1 && typed[i - 1] == known[j - 2] &&
			    typed[i - 2] == known[j - 1])
				v = min2(v, d[i - 2][j - 2] + W_SWAP);
			v = min2(v, d[i - 1][j] + W_DELETE);
			v = min2(v, d[i][j - 1] + W_INSERT);
			d[i][j] = v;
		}
	}
	return d[la][lb];
}
