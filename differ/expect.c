/*
 * What three baseline expectations need beyond a plain comparison: "must
 * differ" (a value two hosts share is drift), "sized by memory" (hosts of
 * different memory may differ) and "between environments" (a difference
 * between two named environments is expected).
 */
#include "differ/internal.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"

/* "must differ": a value two distinct hosts share is drift. */
void differ_check_unique(struct drift_report *r, const char *role,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb,
			 const char *collector, const char *key, const char *loc)
{
	struct ed_strvec seen = ED_STRVEC_INIT; /* "VALUE\tHOST", unique hosts */
	size_t i, j;

	for (i = 0; i < na + nb; i++) {
		const struct differ_host *h = i < na ? a[i] : b[i - na];
		const struct fact *f = differ_find_fact(h, collector, key);

		if (f)
			ed_strvec_pushf(&seen, "%s\t%s", f->value, h->host);
	}
	ed_strvec_sort_unique(&seen);
	for (i = 0; i < seen.nr; i = j) {
		const char *tab = strrchr(seen.v[i], '\t');
		size_t vl = (size_t)(tab - seen.v[i]);
		struct drift_item *it;
		struct ed_buf d = ED_BUF_INIT;

		for (j = i + 1; j < seen.nr && !strncmp(seen.v[j], seen.v[i], vl) &&
				seen.v[j][vl] == '\t';
		     j++)
			;
		if (j - i < 2)
			continue;
		it = drift_report_add(r, collector, key, role, DRIFT_CHANGED);
		it->values[0] = ed_xstrndup(seen.v[i], vl);
		ed_buf_addf(&d,
			    "must differ on every host, but %zu hosts share this value",
			    j - i);
		it->detail = ed_buf_detach(&d, NULL);
		it->rule = loc ? ed_xstrdup(loc) : NULL;
		for (; i < j; i++)
			ed_strvec_push(&it->hosts, seen.v[i]);
	}
	ed_strvec_release(&seen);
}

const char *differ_memory_of(const struct differ_host *h)
{
	const struct fact *f = differ_find_fact(h, "kernel", "memory");

	return f ? f->value : NULL;
}

/* The memory most hosts of g have (NULL on a tie or when unknown). */
const char *differ_group_memory(const struct differ_host *const *g, size_t n)
{
	const char *best = NULL;
	size_t i, j, bestc = 0, ties = 0;

	for (i = 0; i < n; i++) {
		size_t c = 0;

		for (j = 0; j < n; j++)
			c += differ_same_str(differ_memory_of(g[i]),
					     differ_memory_of(g[j]));
		if (c > bestc) {
			bestc = c;
			best = differ_memory_of(g[i]);
			ties = 0;
		} else if (c == bestc &&
			   !differ_same_str(best, differ_memory_of(g[i]))) {
			ties = 1;
		}
	}
	return ties ? NULL : best;
}

/* 1 if one side lies in one of envs and the other in another one. */
int differ_sides_between(const struct ed_strvec *envs,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb)
{
	return na && nb && strcmp(a[0]->env, b[0]->env) &&
	       ed_strvec_contains(envs, a[0]->env) &&
	       ed_strvec_contains(envs, b[0]->env);
}
