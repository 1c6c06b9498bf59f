/*
 * Running tallies for drift age. compare_role decides a plain key of one
 * role from each side's votes: how many hosts of the role are present,
 * whether any of them collected the collector, and which value most of
 * them hold. A tally keeps those votes as hosts move between commits, so
 * the walk can tell when that reading could have changed without
 * comparing the group again.
 */
#include "differ/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "differ/differ.h"

struct tally_entry {
	char *value; /* NULL: the key is absent */
	size_t count;
};

struct side_tally {
	struct tally_entry *e; /* never shrinks: an index names one value */
	size_t nr, alloc;
	size_t members; /* present hosts with the role */
	size_t voters;  /* those that collected the collector */
};

/* What compare_role reads of one side's votes on one key. */
struct tally_sum {
	size_t members; /* at most 2: only none, one or several matter */
	size_t voters;  /* at most 1 */
	long consensus; /* index of the consensus entry, -1 without one */
};

struct tally {
	char *key, *role;
	struct side_tally side[2];
	struct tally_sum sum[2]; /* at the last tally_set_refresh */
	size_t held;             /* tally_set_hold minus tally_set_drop */
	int changed;
};

struct tally_set {
	char *file;
	struct tally *v; /* sorted by key, then role, once sealed */
	size_t nr, alloc;
};

struct tally_set *tally_set_new(const char *file)
{
	struct tally_set *ts = ed_xcalloc(1, sizeof(*ts));

	ts->file = ed_xstrdup(file);
	return ts;
}

void tally_set_free(struct tally_set *ts)
{
	size_t t, s, j;

	if (!ts)
		return;
	for (t = 0; t < ts->nr; t++) {
		for (s = 0; s < 2; s++) {
			for (j = 0; j < ts->v[t].side[s].nr; j++)
				free(ts->v[t].side[s].e[j].value);
			free(ts->v[t].side[s].e);
		}
		free(ts->v[t].key);
		free(ts->v[t].role);
	}
	free(ts->v);
	free(ts->file);
	free(ts);
}

void tally_set_add(struct tally_set *ts, const char *key, const char *role)
{
	ED_ALLOC_GROW(ts->v, ts->nr + 1, ts->alloc);
	memset(&ts->v[ts->nr], 0, sizeof(ts->v[ts->nr]));
	ts->v[ts->nr].key = ed_xstrdup(key);
	ts->v[ts->nr].role = ed_xstrdup(role);
	ts->nr++;
}

static int cmp_key_role(const char *key, const char *role, const struct tally *t)
{
	int c = strcmp(key, t->key);

	return c ? c : strcmp(role, t->role);
}

static int cmp_tally(const void *x, const void *y)
{
	const struct tally *a = x, *b = y;

	return cmp_key_role(a->key, a->role, b);
}

void tally_set_seal(struct tally_set *ts)
{
	size_t i, out = 0;

	if (ts->nr > 1)
		qsort(ts->v, ts->nr, sizeof(*ts->v), cmp_tally);
	for (i = 0; i < ts->nr; i++) {
		if (out && !cmp_tally(&ts->v[out - 1], &ts->v[i])) {
			free(ts->v[i].key);
			free(ts->v[i].role);
			continue;
		}
		ts->v[out++] = ts->v[i];
	}
	ts->nr = out;
}

size_t tally_set_find(const struct tally_set *ts, const char *key, const char *role)
{
	size_t lo = 0, hi = ts->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key_role(key, role, &ts->v[mid]);

		if (!c)
			return mid;
		if (c > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ts->nr;
}

void tally_set_hold(struct tally_set *ts, size_t i)
{
	ts->v[i].held++;
}

void tally_set_drop(struct tally_set *ts, size_t i)
{
	ts->v[i].held--;
}

int tally_set_changed(const struct tally_set *ts, size_t i)
{
	return ts->v[i].changed;
}

static void bump(size_t *n, int sign)
{
	if (sign > 0)
		(*n)++;
	else
		(*n)--;
}

/* Count value once more (sign 1) or once less (-1) on s. */
static void side_count(struct side_tally *s, const char *value, int sign)
{
	size_t j;

	for (j = 0; j < s->nr && !differ_same_str(s->e[j].value, value); j++)
		;
	if (j == s->nr) {
		ED_ALLOC_GROW(s->e, s->nr + 1, s->alloc);
		s->e[j].value = value ? ed_xstrdup(value) : NULL;
		s->e[j].count = 0;
		s->nr++;
	}
	bump(&s->e[j].count, sign);
}

void tally_set_votes(struct tally_set *ts, int side,
		     const struct differ_host *h, int sign)
{
	size_t cur = 0, t;
	int collected, live;

	if (!h)
		return;
	/* as differ.c's collected(): a host that did not collect has no vote,
	 * nor one without live facts on them */
	collected = !ed_strvec_contains(&h->uncollected, ts->file);
	live = differ_host_live(h);
	for (t = 0; t < ts->nr; t++) {
		struct tally *ta = &ts->v[t];
		struct side_tally *s = &ta->side[side];
		const struct fact *f;

		if (!ta->held || !ed_strvec_contains(&h->roles, ta->role))
			continue;
		bump(&s->members, sign);
		if (!collected || (!live && differ_live_key(ts->file, ta->key)))
			continue;
		f = differ_fact_seek(h, &cur, ts->file, ta->key);
		bump(&s->voters, sign);
		side_count(s, f ? f->value : NULL, sign);
	}
}

/* As tally_facts in differ.c: the value most voters hold, none on a tie. */
static struct tally_sum side_sum(const struct side_tally *s)
{
	struct tally_sum sum;
	size_t j, best = 0;
	int ties = 0;

	sum.members = s->members < 2 ? s->members : 2;
	sum.voters = s->voters ? 1 : 0;
	sum.consensus = -1;
	for (j = 0; j < s->nr; j++) {
		if (!s->e[j].count || s->e[j].count < best)
			continue;
		ties = s->e[j].count == best;
		best = s->e[j].count;
		sum.consensus = (long)j;
	}
	if (ties)
		sum.consensus = -1;
	return sum;
}

void tally_set_refresh(struct tally_set *ts)
{
	size_t t, s;

	for (t = 0; t < ts->nr; t++) {
		struct tally *ta = &ts->v[t];

		ta->changed = 0;
		if (!ta->held)
			continue;
		for (s = 0; s < 2; s++) {
			struct tally_sum now = side_sum(&ta->side[s]);

			if (now.members != ta->sum[s].members ||
			    now.voters != ta->sum[s].voters ||
			    now.consensus != ta->sum[s].consensus)
				ta->changed = 1;
			ta->sum[s] = now;
		}
	}
}
