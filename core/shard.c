/*
 * Jump consistent hashing of host names, written from the description in
 * Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm"
 * (2014): a pseudo-random walk over bucket numbers keyed by the hash,
 * where the last jump below n is the bucket. No table, O(ln n) steps.
 */
#include "core/shard.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hmac.h"

uint32_t ed_jump_hash(uint64_t key, uint32_t n)
{
	int64_t b = -1, j = 0;

	/* each step moves j forward by at least one: at most n steps */
	while (j < (int64_t)n) {
		b = j;
		/* the paper's 64-bit linear congruential generator */
		key = key * 2862933555777941757ULL + 1;
		j = (int64_t)((double)(b + 1) *
			      ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (uint32_t)b;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c - 'a' + 10; /* ed_sha256_hex writes lowercase */
}

uint32_t ed_shard_of(const char *name, uint32_t n)
{
	char hex[65];
	uint64_t key = 0;
	int i;

	ed_sha256_hex(hex, name, strlen(name));
	for (i = 0; i < 16; i++)
		key = key << 4 | (uint64_t)hexval(hex[i]);
	return ed_jump_hash(key, n ? n : 1);
}

/* A decimal number without sign or leading zero up to max; -1 if not. */
static long parse_num(const char *s, const char **end, long max)
{
	long v = 0;

	if (*s < '1' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*end = s;
	return v;
}

int ed_shard_parse(const char *s, uint32_t *k, uint32_t *n)
{
	const char *p = s;
	long kv, nv;

	kv = parse_num(p, &p, ED_SHARD_MAX);
	if (kv < 0 || *p != '/')
		return -1;
	nv = parse_num(p + 1, &p, ED_SHARD_MAX);
	if (nv < 0 || *p || kv > nv)
		return -1;
	*k = (uint32_t)kv;
	*n = (uint32_t)nv;
	return 0;
}

/* "K/N" ordered by N, then K; malformed ones last, by text */
static int cmp_stale(const void *a, const void *b)
{
	const struct ed_shard_stale *x = a, *y = b;
	uint32_t xk, xn, yk, yn;
	int xbad = ed_shard_parse(x->shard, &xk, &xn) < 0;
	int ybad = ed_shard_parse(y->shard, &yk, &yn) < 0;

	if (xbad || ybad)
		return xbad != ybad ? xbad - ybad : strcmp(x->shard, y->shard);
	if (xn != yn)
		return xn < yn ? -1 : 1;
	return xk < yk ? -1 : xk > yk;
}

void ed_shard_stale_group(struct ed_shard_stale **out, size_t *nr,
			  const struct store_host *h, size_t n, long long now,
			  long long max_age)
{
	struct ed_shard_stale *g = NULL;
	size_t ng = 0, alloc = 0, i, j;

	for (i = 0; i < n; i++) {
		if (!h[i].shard || !h[i].last_success ||
		    now - h[i].last_success <= max_age)
			continue;
		/* few shards: a linear search is cheaper than a map */
		for (j = 0; j < ng && strcmp(g[j].shard, h[i].shard); j++)
			;
		if (j == ng) {
			ED_ALLOC_GROW(g, ng + 1, alloc);
			memset(&g[ng], 0, sizeof(g[ng]));
			g[ng].shard = ed_xstrdup(h[i].shard);
			ed_strvec_init(&g[ng].hosts);
			ng++;
		}
		if (h[i].last_success > g[j].since)
			g[j].since = h[i].last_success;
		ed_strvec_push(&g[j].hosts, h[i].host);
	}
	for (j = 0; j < ng; j++)
		ed_strvec_sort_unique(&g[j].hosts);
	if (ng > 1)
		qsort(g, ng, sizeof(*g), cmp_stale);
	*out = g;
	*nr = ng;
}

void ed_shard_stale_free(struct ed_shard_stale *s, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(s[i].shard);
		ed_strvec_release(&s[i].hosts);
	}
	free(s);
}
