/*
 * Hosts of one side grouped by what they hold for one collector. A fleet's
 * hosts mostly share their collectors' parsed files (the fact cache hands
 * every host with the same blob the same table), so for the keys of such
 * a collector a side has a few distinct hosts, not thousands: compare_role
 * seeks, tallies and looks for outliers once per group, weighted by its
 * hosts, instead of once per host. At 10,000 hosts the per-host passes
 * touched one cache line per host per key and no longer fit the cache.
 */
#include "differ/internal.h"

#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"

/* What decides a host's group for one collector. */
struct grouping {
	const void *table; /* its span of the collector; the host if none */
	unsigned uncollected:1, live:1;
	size_t at; /* the host's place on its side */
};

static int grouping_cmp(const void *pa, const void *pb)
{
	const struct grouping *a = pa, *b = pb;
	uintptr_t x = (uintptr_t)a->table, y = (uintptr_t)b->table;

	if (x != y)
		return x < y ? -1 : 1;
	if (a->uncollected != b->uncollected)
		return a->uncollected ? 1 : -1;
	if (a->live != b->live)
		return a->live ? 1 : -1;
	return a->at < b->at ? -1 : a->at > b->at;
}

/*
 * The table h's facts of collector come from, or h itself when they may be
 * its own: no spans (a host loaded alone), several spans of the collector,
 * or a span normalisation made the host's own (its table is h). Values
 * that normalisation settles in place (differ_normalize's settle) are
 * settled the same way on every host holding the same raw value, so hosts
 * of one table still agree afterwards.
 */
static const void *table_of(const struct differ_host *h, const char *collector)
{
	const void *table = NULL;
	size_t s;

	for (s = 0; s < h->nspans; s++) {
		const struct fact_span *sp = &h->spans[s];

		if (!sp->len || strcmp(h->facts[sp->start]->collector, collector))
			continue;
		if (table)
			return h;
		table = sp->table;
	}
	if (!h->nspans)
		return h;
	/* no facts of the collector: every such host is alike */
	return table ? table : (const void *)collector;
}

void differ_groups_build(struct differ_groups *gr,
			 const struct differ_host *const *g, size_t n,
			 const unsigned char *live, const char *collector)
{
	struct grouping *by = ed_xcalloc(n + 1, sizeof(*by));
	size_t i;

	differ_groups_release(gr);
	gr->of = ed_xcalloc(n + 1, sizeof(*gr->of));
	gr->weight = ed_xcalloc(n + 1, sizeof(*gr->weight));
	gr->rep = ed_xcalloc(n + 1, sizeof(*gr->rep));
	gr->fv = ed_xcalloc(n + 1, sizeof(*gr->fv));
	gr->cur = ed_xcalloc(n + 1, sizeof(*gr->cur));
	gr->collected = ed_xcalloc(n + 1, sizeof(*gr->collected));
	gr->live = ed_xcalloc(n + 1, sizeof(*gr->live));
	gr->off = ed_xcalloc(n + 1, sizeof(*gr->off));
	for (i = 0; i < n; i++) {
		const struct differ_host *h = g[i];

		by[i].table = table_of(h, collector);
		by[i].uncollected =
			h->uncollected.nr &&
			ed_strvec_contains(&h->uncollected, collector);
		by[i].live = live[i] != 0;
		by[i].at = i;
	}
	qsort(by, n, sizeof(*by), grouping_cmp);
	for (i = 0; i < n; i++) {
		if (!i || by[i - 1].table != by[i].table ||
		    by[i - 1].uncollected != by[i].uncollected ||
		    by[i - 1].live != by[i].live) {
			gr->rep[gr->n] = g[by[i].at];
			gr->collected[gr->n] = !by[i].uncollected;
			gr->live[gr->n] = by[i].live;
			gr->n++;
		}
		gr->of[by[i].at] = gr->n - 1;
		gr->weight[gr->n - 1]++;
	}
	free(by);
}

void differ_groups_seek(struct differ_groups *gr, const char *collector,
			const char *key)
{
	differ_fact_seek_all(gr->fv, gr->cur, gr->rep, gr->n, collector, key);
}

int differ_groups_collected(const struct differ_groups *gr, size_t k, int live)
{
	return gr->collected[k] && (!live || gr->live[k]);
}

void differ_groups_spread(const struct differ_groups *gr,
			  const struct fact **fv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fv[i] = gr->fv[gr->of[i]];
}

void differ_groups_release(struct differ_groups *gr)
{
	free(gr->of);
	free(gr->weight);
	free(gr->rep);
	free(gr->fv);
	free(gr->cur);
	free(gr->collected);
	free(gr->live);
	free(gr->off);
	memset(gr, 0, sizeof(*gr));
}
