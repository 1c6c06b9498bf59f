/*
 * Group comparison. For every fact key seen on either side, each side's
 * hosts vote with their value (absent counts as a value); the side's
 * consensus is the value most of them hold, none on a tie. Differing
 * consensus is drift between the sides; a host that differs from its own
 * side's consensus is an outlier. Hosts that did not collect a collector
 * have no vote on its keys, so a missing /proc never reads as removal.
 */
#include "differ/differ.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "differ/internal.h"

/*
 * Facts another collector reports already: compared once, under that
 * name, as long as every host has it (kernel:release is what
 * sysctl:kernel.osrelease says). The echo stays stored and pins can name
 * it; it is just not a second item.
 */
static const struct {
	const char *collector, *key, *by, *by_key;
} echoes[] = {
	{ "sysctl", "kernel.osrelease", "kernel", "release" },
	{ "sysctl", "kernel.version", "kernel", "version" },
};

static int echoed(const char *collector, const char *key,
		  const struct differ_host *const *a, size_t na,
		  const struct differ_host *const *b, size_t nb)
{
	size_t e, i;

	for (e = 0; e < sizeof(echoes) / sizeof(echoes[0]); e++) {
		if (strcmp(echoes[e].collector, collector) ||
		    strcmp(echoes[e].key, key))
			continue;
		for (i = 0; i < na + nb; i++)
			if (!differ_find_fact(i < na ? a[i] : b[i - na],
					      echoes[e].by, echoes[e].by_key))
				return 0;
		return 1;
	}
	return 0;
}

/* live: differ_live_key(collector, key), asked once per key, not per host */
static int collected_as(const struct differ_host *h, const char *collector,
			int live)
{
	/* os-release belongs to the kernel collector's family but is its own */
	if (h->uncollected.nr && ed_strvec_contains(&h->uncollected, collector))
		return 0;
	/* an image has no running units or sockets: no vote on them */
	return !live || differ_host_live(h);
}

static int collected(const struct differ_host *h, const char *collector,
		     const char *key)
{
	return collected_as(h, collector, differ_live_key(collector, key));
}

/* A side's votes for one key. */
struct tally {
	const char **values; /* distinct values seen (NULL = absent) */
	size_t *counts;
	size_t nv, alloc, voters;
	const char *consensus; /* valid when has_consensus */
	int has_consensus;
};

static void tally_release(struct tally *t)
{
	free(t->values);
	free(t->counts);
}

static void tally_start(struct tally *t)
{
	t->nv = t->voters = 0;
	t->consensus = NULL;
	t->has_consensus = 0;
}

/* w more voters hold v */
static void tally_add(struct tally *t, const char *v, size_t w)
{
	size_t j;

	t->voters += w;
	for (j = 0; j < t->nv && !differ_same_str(t->values[j], v); j++)
		;
	if (j == t->nv) {
		if (t->nv == t->alloc) {
			t->alloc = t->alloc ? 2 * t->alloc : 8;
			t->values = ed_xrealloc(t->values,
						t->alloc * sizeof(*t->values));
			t->counts = ed_xrealloc(t->counts,
						t->alloc * sizeof(*t->counts));
		}
		t->values[t->nv] = v;
		t->counts[t->nv++] = 0;
	}
	t->counts[j] += w;
}

/* the value most voters hold, none on a tie: the order of adds is moot */
static void tally_finish(struct tally *t)
{
	size_t j, best = 0, ties = 0;

	for (j = 0; j < t->nv; j++) {
		if (t->counts[j] > best) {
			best = t->counts[j];
			ties = 0;
			t->consensus = t->values[j];
		} else if (t->counts[j] == best) {
			ties++;
		}
	}
	t->has_consensus = t->voters && !ties;
}

/* fv[i]: g[i]'s fact for the key (NULL if absent), or NULL to look it up */
static void tally_facts(struct tally *t, const struct differ_host *const *g,
			size_t n, const char *collector, const char *key,
			const struct fact *const *fv)
{
	size_t i;
	int live = differ_live_key(collector, key);

	tally_start(t);
	for (i = 0; i < n; i++) {
		const struct fact *f;

		if (!collected_as(g[i], collector, live))
			continue;
		f = fv ? fv[i] : differ_find_fact(g[i], collector, key);
		tally_add(t, f ? f->value : NULL, 1);
	}
	tally_finish(t);
}

/* tally_facts over groups (differ_groups_seek'd on the key): weighted */
static void tally_groups(struct tally *t, const struct differ_groups *gr,
			 const char *collector, const char *key)
{
	size_t k;
	int live = differ_live_key(collector, key);

	tally_start(t);
	for (k = 0; k < gr->n; k++)
		if (differ_groups_collected(gr, k, live))
			tally_add(t, gr->fv[k] ? gr->fv[k]->value : NULL,
				  gr->weight[k]);
	tally_finish(t);
}

/*
 * Mark the groups whose hosts are outliers against consensus (collected,
 * another value); 1 if any is.
 */
static int mark_outliers(struct differ_groups *gr, const char *consensus,
			 const char *collector, const char *key)
{
	size_t k, any = 0;
	int live = differ_live_key(collector, key);

	for (k = 0; k < gr->n; k++) {
		const struct fact *f = gr->fv[k];

		gr->off[k] = differ_groups_collected(gr, k, live) &&
			     !differ_same_str(f ? f->value : NULL, consensus);
		any += gr->off[k];
	}
	return any > 0;
}

static void tally_key(struct tally *t, const struct differ_host *const *g,
		      size_t n, const char *collector, const char *key)
{
	tally_facts(t, g, n, collector, key, NULL);
}

static void add_hosts(const struct drift_report *r, struct ed_strvec *hosts,
		      const char *key, const struct differ_host *const *g,
		      size_t n, const char *collector,
		      const struct fact *const *fv)
{
	size_t i;

	if (r->no_hosts)
		return;
	for (i = 0; i < n; i++) {
		const struct fact *f;

		if (!collected(g[i], collector, key))
			continue;
		f = fv[i];
		ed_strvec_pushf(hosts, "%s\t%s", f ? f->value : "(absent)",
				g[i]->host);
	}
}

static enum pkg_manager manager_of(const char *name)
{
	if (name && !strcmp(name, "rpm"))
		return PKG_RPM;
	if (name && !strcmp(name, "apk"))
		return PKG_APK;
	return PKG_DPKG;
}

/* "1.2-3 config-files" -> compare the version word only */
static int compare_versions(const char *mgr, const char *a, const char *b)
{
	char *va = ed_xstrndup(a, strcspn(a, " "));
	char *vb = ed_xstrndup(b, strcspn(b, " "));
	int c = vercmp(manager_of(mgr), va, vb);

	free(va);
	free(vb);
	return c;
}

static const char *side_manager(const struct differ_host *const *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i]->pkg_manager)
			return g[i]->pkg_manager;
	return NULL;
}

/* All keys of both groups, sorted and unique, as "collector\tkey". */
static void key_universe(struct ed_strvec *out,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb)
{
	const void **seen = NULL;
	size_t nseen = 0, aseen = 0, i, j, s, k;

	for (i = 0; i < na + nb; i++) {
		const struct differ_host *h = i < na ? a[i] : b[i - na];

		if (!h->nspans) {
			for (j = 0; j < h->nr_facts; j++)
				ed_strvec_pushf(out, "%s\t%s",
						h->facts[j]->collector,
						h->facts[j]->key);
			continue;
		}
		/* a parsed file many hosts share contributes its keys once */
		for (s = 0; s < h->nspans; s++) {
			for (k = 0; k < nseen && seen[k] != h->spans[s].table; k++)
				;
			if (k < nseen)
				continue;
			ED_ALLOC_GROW(seen, nseen + 1, aseen);
			seen[nseen++] = h->spans[s].table;
			for (j = h->spans[s].start;
			     j < h->spans[s].start + h->spans[s].len; j++)
				ed_strvec_pushf(out, "%s\t%s",
						h->facts[j]->collector,
						h->facts[j]->key);
		}
	}
	free(seen);
	ed_strvec_sort_unique(out);
}

/*
 * A per-host fact (differ_rules_per_host): each host against the host of
 * the same name on the other side (itself at another time); hosts without
 * a namesake there, and every pair of different hosts, are not compared.
 */
static void compare_per_host(struct drift_report *r, const char *role,
			     const char *collector, const char *key,
			     const struct differ_host *const *g[2],
			     const size_t ng[2], const struct fact **fv[2],
			     const size_t *twin)
{
	size_t i, j;

	for (i = 0; i < ng[0]; i++) {
		const struct fact *fa = fv[0][i], *fb;
		struct drift_item *it;
		enum drift_kind kind = DRIFT_CHANGED;

		j = twin[i];
		if (j == SIZE_MAX || !collected(g[0][i], collector, key) ||
		    !collected(g[1][j], collector, key))
			continue;
		fb = fv[1][j];
		if (differ_same_str(fa ? fa->value : NULL, fb ? fb->value : NULL))
			continue;
		if (!fb)
			kind = DRIFT_MISSING;
		else if (!fa)
			kind = DRIFT_EXTRA;
		it = drift_report_add(r, collector, key, role, kind);
		it->host = ed_xstrdup(g[0][i]->host);
		if (fa)
			it->values[0] = ed_xstrdup(fa->value);
		if (fb)
			it->values[1] = ed_xstrdup(fb->value);
		if (!r->no_hosts) {
			ed_strvec_pushf(&it->hosts, "%s\t%s",
					fa ? fa->value : "(absent)",
					g[0][i]->host);
			ed_strvec_pushf(&it->hosts, "%s\t%s",
					fb ? fb->value : "(absent)",
					g[1][j]->host);
			ed_strvec_sort_unique(&it->hosts);
		}
	}
}

/*
 * What compare_role works out once, not per key: each host's namesake on
 * the other side (per-host facts), and the hosts that have an identity
 * file with their namesakes among those (identity).
 */
struct pair_view {
	size_t *twin; /* for g[0][i]: its namesake in g[1], or SIZE_MAX */
	int have_ids;
	const struct differ_host **ih[2]; /* hosts with an identity file */
	size_t *iat[2];                   /* their places in g[s] */
	size_t in[2];
	size_t *itwin;
	const struct fact **ifv[2];
};

static const size_t *pair_twins(struct pair_view *pv,
				const struct differ_host *const *g[2],
				const size_t ng[2])
{
	if (!pv->twin) {
		pv->twin = ed_xcalloc(ng[0] + 1, sizeof(*pv->twin));
		differ_twins(pv->twin, g[0], ng[0], g[1], ng[1]);
	}
	return pv->twin;
}

static void pair_view_release(struct pair_view *pv)
{
	size_t s;

	for (s = 0; s < 2; s++) {
		free(pv->ih[s]);
		free(pv->iat[s]);
		free(pv->ifv[s]);
	}
	free(pv->twin);
	free(pv->itwin);
}

/*
 * Identity: each host against its own past, when both snapshots recorded
 * one (a snapshot of an older release has none: that is no change).
 */
static void compare_identity(struct drift_report *r, const char *role,
			     const char *key,
			     const struct differ_host *const *g[2],
			     const size_t ng[2], const struct fact **fv[2],
			     struct pair_view *pv)
{
	size_t s, i;

	if (!pv->have_ids) {
		pv->have_ids = 1;
		for (s = 0; s < 2; s++) {
			pv->ih[s] = ed_xcalloc(ng[s] + 1, sizeof(*pv->ih[s]));
			pv->iat[s] = ed_xcalloc(ng[s] + 1, sizeof(*pv->iat[s]));
			pv->ifv[s] = ed_xcalloc(ng[s] + 1, sizeof(*pv->ifv[s]));
			for (i = 0; i < ng[s]; i++)
				if (differ_host_has(g[s][i], "identity")) {
					pv->iat[s][pv->in[s]] = i;
					pv->ih[s][pv->in[s]++] = g[s][i];
				}
		}
		pv->itwin = ed_xcalloc(pv->in[0] + 1, sizeof(*pv->itwin));
		differ_twins(pv->itwin, pv->ih[0], pv->in[0], pv->ih[1],
			     pv->in[1]);
	}
	for (s = 0; s < 2; s++)
		for (i = 0; i < pv->in[s]; i++)
			pv->ifv[s][i] = fv[s][pv->iat[s][i]];
	{
		const struct differ_host *const *hg[2] = { pv->ih[0], pv->ih[1] };

		compare_per_host(r, role, "identity", key, hg, pv->in, pv->ifv,
				 pv->itwin);
	}
}

/*
 * No consensus because most hosts each hold a value of their own: likely
 * a per-host fact nothing normalises yet. Say so, with the rule.
 */
static void note_own_values(struct drift_report *r, const struct tally *t,
			    const char *collector, const char *key)
{
	if (t->has_consensus || t->voters < 3 || t->nv * 5 < t->voters * 4)
		return;
	ed_strvec_pushf(&r->notes,
			"%s:%s: %zu of %zu hosts hold a value of their own; if "
			"it differs per host by design, add \"%s:%s\" to "
			"per-host: in a baseline",
			collector, key, t->nv, t->voters, collector, key);
}

/* Per-host files' shapes between hosts: facts of their own, strings owned. */
struct shapes {
	struct fact *f[2];
	struct ed_strvec strs;
};

/* One host name on both sides: a host against its own past. */
static int shared_host(const size_t *twin, size_t n0)
{
	size_t i;

	for (i = 0; i < n0; i++)
		if (twin[i] != SIZE_MAX)
			return 1;
	return 0;
}

/*
 * A per-host file between different hosts: compared by presence, type,
 * mode, owner and group (the value's first four fields), never by content
 * (README "Comparing"). fv is pointed at the shapes; 0 if no host has it.
 */
static int shapes_of(struct shapes *sh, const struct fact **fv[2],
		     const size_t ng[2])
{
	size_t s, i, any = 0;

	ed_strvec_release(&sh->strs);
	for (s = 0; s < 2; s++)
		for (i = 0; i < ng[s]; i++) {
			const struct fact *f = fv[s][i];
			const char *end;
			size_t spaces = 0;

			if (!f)
				continue;
			/* up to the fourth space: type, mode, owner, group */
			for (end = f->value; *end; end++)
				if (*end == ' ' && ++spaces == 4)
					break;
			ed_strvec_take(&sh->strs,
				       ed_xstrndup(f->value,
						   (size_t)(end - f->value)));
			sh->f[s][i] = *f;
			sh->f[s][i].value = sh->strs.v[sh->strs.nr - 1];
			fv[s][i] = &sh->f[s][i];
			any++;
		}
	return any > 0;
}

static void compare_role(struct drift_report *r, const struct baseline *rules,
			 const struct ed_strvec *only, const char *role,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb)
{
	const struct differ_host *const *g[2] = { a, b };
	size_t ng[2] = { na, nb };
	struct ed_strvec keys = ED_STRVEC_INIT;
	const char *mgr = side_manager(a, na);
	struct tally t[2];
	const struct fact **fv[2];
	struct shapes shape;
	struct differ_groups grp[2];
	char *grouped = NULL; /* the collector grp is built for */
	struct pair_view pv;
	unsigned char *live[2];
	size_t k, s, i;

	if (!mgr)
		mgr = side_manager(b, nb);
	memset(t, 0, sizeof(t));
	memset(&shape, 0, sizeof(shape));
	memset(grp, 0, sizeof(grp));
	memset(&pv, 0, sizeof(pv));
	for (s = 0; s < 2; s++) {
		fv[s] = ed_xcalloc(ng[s] + 1, sizeof(*fv[s]));
		live[s] = ed_xcalloc(ng[s] + 1, 1);
		for (i = 0; i < ng[s]; i++)
			live[s][i] = differ_host_live(g[s][i]) != 0;
		shape.f[s] = ed_xcalloc(ng[s] + 1, sizeof(*shape.f[s]));
	}
	if (only) {
		for (k = 0; k < only->nr; k++)
			ed_strvec_push(&keys, only->v[k]);
	} else {
		key_universe(&keys, a, na, b, nb);
	}
	/* every collector compared, for formats that list clean groups too */
	for (k = 0; !only && k < keys.nr; k++) {
		const char *tab = strchr(keys.v[k], '\t');

		if (!k || strncmp(keys.v[k - 1], keys.v[k],
				  (size_t)(tab - keys.v[k]) + 1))
			ed_strvec_pushf(&r->compared, "%s\t%.*s", role ? role : "",
					(int)(tab - keys.v[k]), keys.v[k]);
	}
	for (k = 0; k < keys.nr; k++) {
		char *tab = strchr(keys.v[k], '\t');
		const char *collector = keys.v[k], *key;
		const struct ed_strvec *xenvs = NULL;
		const char *xloc = NULL;
		enum baseline_expect ex;
		int cross = 1, shaped = 0;

		if (!tab)
			continue; /* every key is "collector\tkey" */
		*tab = '\0';
		key = tab + 1;
		ex = differ_rules_expect(rules, collector, key, &xenvs, &xloc);
		if (differ_rules_ignored(rules, collector, key) ||
		    (!strcmp(collector, "sysctl-per-host") && ex != EXPECT_ALWAYS) ||
		    echoed(collector, key, a, na, b, nb)) {
			*tab = '\t';
			continue; /* per-host values are meant to differ */
		}
		if (ex == EXPECT_ALWAYS) {
			differ_check_unique(r, role, a, na, b, nb, collector,
					    key, xloc);
			*tab = '\t';
			continue;
		}
		if (!grouped || strcmp(grouped, collector)) {
			free(grouped);
			grouped = ed_xstrdup(collector);
			for (s = 0; s < 2; s++)
				differ_groups_build(&grp[s], g[s], ng[s],
						    live[s], collector);
		}
		for (s = 0; s < 2; s++) {
			differ_groups_seek(&grp[s], collector, key);
			differ_groups_spread(&grp[s], fv[s], ng[s]);
		}
		if (!strcmp(collector, "identity")) {
			/* who a host is: only against its own past */
			compare_identity(r, role, key, g, ng, fv, &pv);
			*tab = '\t';
			continue;
		}
		if (differ_rules_per_host(rules, collector, key)) {
			compare_per_host(r, role, collector, key, g, ng, fv,
					 pair_twins(&pv, g, ng));
			if (strcmp(collector, "files") ||
			    shared_host(pair_twins(&pv, g, ng), ng[0]) ||
			    !shapes_of(&shape, fv, ng)) {
				*tab = '\t';
				continue;
			}
			/* between different hosts: presence, type, mode, owner */
			shaped = 1;
		}
		for (s = 0; s < 2; s++)
			if (shaped)
				tally_facts(&t[s], g[s], ng[s], collector, key,
					    fv[s]);
			else
				tally_groups(&t[s], &grp[s], collector, key);
		if (ex == EXPECT_BETWEEN &&
		    differ_sides_between(xenvs, a, na, b, nb))
			cross = 0;
		if (ex == EXPECT_MEMORY) {
			struct tally m[2];
			size_t z;

			memset(m, 0, sizeof(m));
			tally_key(&m[0], a, na, "kernel", "memory");
			tally_key(&m[1], b, nb, "kernel", "memory");
			if (!m[0].has_consensus || !m[1].has_consensus ||
			    !differ_same_str(m[0].consensus, m[1].consensus))
				cross = 0;
			for (z = 0; z < 2; z++)
				tally_release(&m[z]);
		}
		if (cross && t[0].voters && t[1].voters &&
		    !(t[0].has_consensus && t[1].has_consensus &&
		      differ_same_str(t[0].consensus, t[1].consensus))) {
			enum drift_kind kind = DRIFT_CHANGED;
			struct drift_item *it;

			if (t[0].has_consensus && t[1].has_consensus) {
				if (!t[1].consensus)
					kind = DRIFT_MISSING;
				else if (!t[0].consensus)
					kind = DRIFT_EXTRA;
			}
			it = drift_report_add(r, collector, key, role, kind);
			for (s = 0; s < 2; s++)
				if (t[s].has_consensus && t[s].consensus)
					it->values[s] =
						ed_xstrdup(t[s].consensus);
				else if (!t[s].has_consensus)
					it->values[s] =
						ed_xstrdup("(no consensus)");
			for (s = 0; s < 2; s++)
				note_own_values(r, &t[s], collector, key);
			if (!strcmp(collector, "packages") &&
			    kind == DRIFT_CHANGED && t[0].has_consensus &&
			    t[1].has_consensus) {
				int c = compare_versions(mgr, t[0].consensus,
							 t[1].consensus);

				it->newer = c > 0 ? 0 : c < 0 ? 1 : -1;
			}
			add_hosts(r, &it->hosts, key, a, na, collector, fv[0]);
			add_hosts(r, &it->hosts, key, b, nb, collector, fv[1]);
			ed_strvec_sort_unique(&it->hosts);
		}
		/* outliers inside each side: hosts off their group's consensus */
		for (s = 0; s < 2; s++) {
			/* every outlier of a side lists the same hosts: once */
			struct ed_strvec side = ED_STRVEC_INIT;
			struct drift_hosts *listed = NULL;

			if (ng[s] < 2 || !t[s].has_consensus ||
			    (!shaped && !mark_outliers(&grp[s], t[s].consensus,
						       collector, key)))
				continue;
			for (i = 0; i < ng[s]; i++) {
				const struct fact *f;
				struct drift_item *it;

				/* most groups hold the consensus: skipped whole */
				if (!shaped && !grp[s].off[grp[s].of[i]])
					continue;
				f = fv[s][i];
				if (differ_same_str(f ? f->value : NULL,
						    t[s].consensus) ||
				    !collected(g[s][i], collector, key))
					continue;
				if (ex == EXPECT_MEMORY &&
				    !differ_same_str(differ_memory_of(g[s][i]),
						     differ_group_memory(g[s],
									 ng[s])))
					continue; /* differently sized: expected */
				it = drift_report_add(r, collector, key, role,
						      DRIFT_OUTLIER);
				it->side = (int)s;
				it->host = ed_xstrdup(g[s][i]->host);
				it->host_value = f ? ed_xstrdup(f->value) : NULL;
				it->group_size = t[s].voters;
				if (t[s].consensus)
					it->values[s] =
						ed_xstrdup(t[s].consensus);
				if (!listed) {
					add_hosts(r, &side, key, g[s], ng[s],
						  collector, fv[s]);
					ed_strvec_sort_unique(&side);
					listed = drift_hosts_new(&side);
				}
				drift_item_share_hosts(it, listed);
			}
			drift_hosts_put(listed);
		}
		*tab = '\t';
	}
	tally_release(&t[0]);
	tally_release(&t[1]);
	for (s = 0; s < 2; s++) {
		free(fv[s]);
		free(shape.f[s]);
		differ_groups_release(&grp[s]);
		free(live[s]);
	}
	free(grouped);
	pair_view_release(&pv);
	ed_strvec_release(&shape.strs);
	ed_strvec_release(&keys);
}

static int has_role(const struct differ_host *h, const char *role)
{
	return ed_strvec_contains(&h->roles, role);
}

static void note_uncollected(struct drift_report *r,
			     const struct differ_host *const *g, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < g[i]->uncollected.nr; j++)
			ed_strvec_pushf(&r->notes, "%s not collected on %s",
					g[i]->uncollected.v[j], g[i]->host);
		if (differ_host_has(g[i], "services") && !differ_host_live(g[i]))
			ed_strvec_pushf(&r->notes,
					"live facts (active units, listening "
					"sockets) not collected on %s",
					g[i]->host);
	}
}

int differ_compare(struct drift_report *r, const struct baseline *rules,
		   const struct differ_host *const *a, size_t na,
		   const struct differ_host *const *b, size_t nb,
		   struct ed_err *err)
{
	return differ_compare_keys(r, rules, a, na, b, nb, NULL, err);
}

int differ_compare_keys(struct drift_report *r, const struct baseline *rules,
			const struct differ_host *const *a, size_t na,
			const struct differ_host *const *b, size_t nb,
			const struct ed_strvec *only, struct ed_err *err)
{
	struct ed_strvec roles = ED_STRVEC_INIT;
	const struct differ_host **ga = NULL, **gb = NULL;
	size_t i, j;

	(void)err;
	r->hosts += na + nb;
	note_uncollected(r, a, na);
	note_uncollected(r, b, nb);
	ed_strvec_sort_unique(&r->notes);
	if (na == 1 && nb == 1) {
		/* host against host (or a host against its own past) */
		compare_role(r, rules, only, NULL, a, 1, b, 1);
		ed_strvec_sort_unique(&r->compared);
		ed_strvec_sort_unique(&r->notes);
		return 0;
	}
	for (i = 0; i < na + nb; i++) {
		const struct differ_host *h = i < na ? a[i] : b[i - na];

		for (j = 0; j < h->roles.nr; j++)
			ed_strvec_push(&roles, h->roles.v[j]);
	}
	ed_strvec_sort_unique(&roles);
	ga = ed_xcalloc(na + 1, sizeof(*ga));
	gb = ed_xcalloc(nb + 1, sizeof(*gb));
	for (i = 0; i < roles.nr; i++) {
		size_t ca = 0, cb = 0;

		for (j = 0; j < na; j++)
			if (has_role(a[j], roles.v[i]))
				ga[ca++] = a[j];
		for (j = 0; j < nb; j++)
			if (has_role(b[j], roles.v[i]))
				gb[cb++] = b[j];
		if (!ca || !cb) {
			struct drift_item *it =
				drift_report_add(r, "hosts", roles.v[i],
						 roles.v[i],
						 ca ? DRIFT_MISSING : DRIFT_EXTRA);

			it->values[0] = ca ? ed_xmemdup("present", 7) : NULL;
			it->values[1] = cb ? ed_xmemdup("present", 7) : NULL;
			for (j = 0; j < ca; j++)
				ed_strvec_pushf(&it->hosts, "present\t%s",
						ga[j]->host);
			for (j = 0; j < cb; j++)
				ed_strvec_pushf(&it->hosts, "present\t%s",
						gb[j]->host);
			continue;
		}
		compare_role(r, rules, only, roles.v[i], ga, ca, gb, cb);
	}
	free(ga);
	free(gb);
	ed_strvec_release(&roles);
	ed_strvec_sort_unique(&r->compared);
	ed_strvec_sort_unique(&r->notes);
	return 0;
}
