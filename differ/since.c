/*
 * Drift age: how long each item of a comparison has held. One walk down the
 * first-parent history serves every item; at each commit only the hosts
 * whose directory moved are looked at, and a collector whose files did not
 * move on any host costs nothing more. Only a moved blob is read and parsed
 * again (differ/since_files.c). Items are then decided from running tallies
 * of the hosts' votes where that is enough, else compared anew with the
 * differ's own code, so "held" means what diff means.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"
#include "differ/internal.h"

/* One host of a or b, as seen at the commit being examined. */
struct since_host {
	const struct differ_host *tip; /* the caller's, borrowed */
	int side;                      /* 0: a, 1: b */
	int collected;                 /* this commit's trailers name it */
};

/* The items of one collector file (NULL: meta only, for role items). */
struct since_group {
	struct since_files files;  /* its collector file (NULL: meta only) */
	struct since_slot *slots;  /* one per since_host */
	size_t alive;              /* items still holding */
	size_t present[2];         /* slots with a host, per side */
	int hh;                    /* one host on each side: host vs host */
	int both;                  /* both sides have hosts */
	struct tally_set *tallies; /* for the plain items; NULL: none */
};

struct since_item {
	struct drift_item *it;
	size_t group;
	size_t *hosts; /* indexes into the since_host array, sorted */
	size_t nh;
	int alive;
	int plain;    /* decided by a tally while its summary holds */
	size_t tally; /* plain: its tally in the group */
	size_t own;   /* plain outlier: its host */
	char commit[41];
	long long when;
	size_t scans;
};

/* A host index with its name, for lookups by name. */
struct name_idx {
	const char *name; /* borrowed from the tip host */
	size_t idx;       /* into since_walk.hosts */
};

/* The hosts of one environment. */
struct since_env {
	const char *name;       /* borrowed from a tip host */
	struct name_idx *hosts; /* sorted by name, then index */
	size_t nr;
};

struct since_walk {
	struct store_view *v;
	struct since_host *hosts;
	size_t nr_hosts;
	struct name_idx *by_name; /* every host, sorted by name, then index */
	struct since_env *envs;
	size_t nr_envs;
	size_t *moved, nr_moved; /* hosts that moved at this step, ascending */
	size_t *coll, nr_coll;   /* hosts this commit collected */
	struct since_group *groups;
	size_t nr_groups, alloc_groups;
	struct since_item *items;
	size_t nr_items;
	size_t alive;
	int *eval; /* per item: compare it anew at this step */
	int full;  /* no tallies: every moved group compared */
	const struct baseline *rules;
};

static int is_comparison(enum drift_kind k)
{
	return k == DRIFT_CHANGED || k == DRIFT_MISSING || k == DRIFT_EXTRA;
}

/* The collector file an item's facts come from; NULL for role items. */
static const char *item_file(const struct drift_item *it)
{
	if (it->kind != DRIFT_PIN && !strcmp(it->collector, "hosts"))
		return NULL;
	return it->collector;
}

static size_t find_group(struct since_walk *w, const char *file)
{
	size_t i;

	for (i = 0; i < w->nr_groups; i++)
		if (differ_same_str(w->groups[i].files.file, file))
			return i;
	ED_ALLOC_GROW(w->groups, w->nr_groups + 1, w->alloc_groups);
	memset(&w->groups[i], 0, sizeof(w->groups[i]));
	w->groups[i].files.file = file ? ed_xstrdup(file) : NULL;
	w->groups[i].slots =
		ed_xcalloc(w->nr_hosts + 1, sizeof(struct since_slot));
	w->nr_groups++;
	return i;
}

/* The first of v[0..n) (sorted by name) named name; n if none. */
static size_t name_lower(const struct name_idx *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first host named name (the lowest index); 0 if there is none. */
static int find_host(const struct since_walk *w, const char *name, size_t *out)
{
	size_t k = name_lower(w->by_name, w->nr_hosts, name);

	if (k == w->nr_hosts || strcmp(w->by_name[k].name, name))
		return 0;
	*out = w->by_name[k].idx;
	return 1;
}

static int cmp_name_idx(const void *x, const void *y)
{
	const struct name_idx *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_index(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return (a > b) - (a < b);
}

/* Append host i to v (n entries) for a lookup by name. */
static void name_add(struct name_idx *v, size_t *n, const struct since_walk *w,
		     size_t i)
{
	v[*n].name = w->hosts[i].tip->host;
	v[*n].idx = i;
	(*n)++;
}

static void name_sort(struct name_idx *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_name_idx);
}

/*
 * The hosts an item is about: its own host for an outlier or a pin, else
 * every host it lists ("VALUE\tHOST"; values may hold tabs, names never).
 */
static void item_hosts(struct since_item *si, const struct since_walk *w)
{
	const struct drift_item *it = si->it;
	size_t i, idx;

	si->hosts =
		ed_xcalloc(it->hosts.nr + w->nr_hosts + 1, sizeof(*si->hosts));
	if (it->kind == DRIFT_OUTLIER || it->kind == DRIFT_PIN) {
		if (it->host && find_host(w, it->host, &idx))
			si->hosts[si->nh++] = idx;
		return;
	}
	for (i = 0; i < it->hosts.nr; i++) {
		const char *tab = strrchr(it->hosts.v[i], '\t');

		if (tab && find_host(w, tab + 1, &idx))
			si->hosts[si->nh++] = idx;
	}
	for (i = 0; !si->nh && i < w->nr_hosts; i++)
		si->hosts[i] = i; /* lists no host: all of them are involved */
	if (!si->nh)
		si->nh = w->nr_hosts;
	if (si->nh > 1)
		qsort(si->hosts, si->nh, sizeof(*si->hosts), cmp_index);
}

/*
 * Whether an item can be decided by its tally: a plain key compared per
 * role (compare_role, no expect rule that changes how it is compared) and,
 * for an outlier, one host of its name on its side.
 */
static int item_plain(const struct since_walk *w, struct since_item *si)
{
	const struct drift_item *it = si->it;
	size_t k, n = 0;

	if (w->full || !it->role || !item_file(it) || it->detail ||
	    !(it->kind == DRIFT_OUTLIER || is_comparison(it->kind)) ||
	    !strcmp(it->collector, "sysctl-per-host") ||
	    !strcmp(it->collector, "identity") ||
	    differ_rules_ignored(w->rules, it->collector, it->key) ||
	    differ_rules_per_host(w->rules, it->collector, it->key) ||
	    differ_rules_expect(w->rules, it->collector, it->key, NULL, NULL) !=
		    EXPECT_NONE)
		return 0;
	if (it->kind != DRIFT_OUTLIER)
		return 1;
	if (!it->host)
		return 0;
	for (k = name_lower(w->by_name, w->nr_hosts, it->host);
	     k < w->nr_hosts && !strcmp(w->by_name[k].name, it->host); k++)
		if (w->hosts[w->by_name[k].idx].side == it->side) {
			si->own = w->by_name[k].idx;
			n++;
		}
	return n == 1;
}

/*
 * Incremental re-checks. Whether a plain item holds depends only on what
 * compare_role reads of each side's votes on its key and role (see
 * tally_set_refresh), and for an outlier on its own host's vote too. So a
 * step that leaves the item's tally, the comparison's shape and the
 * outlier's host as they were leaves the item holding without a
 * comparison: in a history of single-host commits, most steps add or take
 * away one vote for the consensus.
 */
static void tallies_start(struct since_walk *w)
{
	size_t i, gi;

	for (i = 0; i < w->nr_items; i++) {
		struct since_item *si = &w->items[i];
		struct since_group *g = &w->groups[si->group];

		si->plain = item_plain(w, si);
		if (!si->plain)
			continue;
		if (!g->tallies)
			g->tallies = tally_set_new(g->files.file);
		tally_set_add(g->tallies, si->it->key, si->it->role);
	}
	for (gi = 0; gi < w->nr_groups; gi++)
		if (w->groups[gi].tallies)
			tally_set_seal(w->groups[gi].tallies);
	for (i = 0; i < w->nr_items; i++) {
		struct since_item *si = &w->items[i];
		struct tally_set *ts = w->groups[si->group].tallies;

		if (!si->plain)
			continue;
		si->tally = tally_set_find(ts, si->it->key, si->it->role);
		tally_set_hold(ts, si->tally);
	}
	for (gi = 0; gi < w->nr_groups; gi++) {
		struct since_group *g = &w->groups[gi];

		if (!g->tallies)
			continue;
		for (i = 0; i < w->nr_hosts; i++)
			tally_set_votes(g->tallies, w->hosts[i].side,
					g->slots[i].cur, 1);
		tally_set_refresh(g->tallies);
	}
}

static int cmp_item_key(const void *x, const void *y)
{
	const struct drift_item *const *a = x, *const *b = y;

	return strcmp((*a)->key, (*b)->key);
}

/* Does fresh (a re-run at an older commit) show the same item as want? */
static int same_item(const struct drift_item *want, const struct drift_item *fresh)
{
	if (strcmp(want->collector, fresh->collector))
		return 0;
	switch (want->kind) {
	case DRIFT_PIN:
		return fresh->kind == DRIFT_PIN &&
		       differ_same_str(want->host, fresh->host) &&
		       differ_same_str(want->detail, fresh->detail);
	case DRIFT_OUTLIER:
		return fresh->kind == DRIFT_OUTLIER && fresh->side == want->side &&
		       differ_same_str(want->host, fresh->host) &&
		       differ_same_str(want->role, fresh->role);
	default:
		/*
		 * A role item may meet a NULL role: with one host left on each
		 * side, differ_compare compares them as host against host.
		 */
		return is_comparison(fresh->kind) &&
		       (!fresh->role || differ_same_str(want->role, fresh->role));
	}
}

static int found(struct drift_item *const *sorted, size_t n,
		 const struct drift_item *want)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid]->key, want->key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && !strcmp(sorted[lo]->key, want->key); lo++)
		if (same_item(want, sorted[lo]))
			return 1;
	return 0;
}

/* Item i is alive, of group gi, and asked for at this step. */
static int evaluated(const struct since_walk *w, size_t gi, size_t i)
{
	return w->items[i].alive && w->items[i].group == gi && w->eval[i];
}

/*
 * Compare the group's hosts as they are now and let each of its items
 * still alive that w->eval asks for say whether it holds. A side with no
 * host left holds nothing.
 */
static int group_eval(struct since_walk *w, size_t gi, int *held,
		      struct ed_err *err)
{
	struct since_group *g = &w->groups[gi];
	const struct differ_host **side[2] = { NULL, NULL }, **all = NULL;
	struct drift_item **sorted = NULL;
	size_t n[2] = { 0, 0 }, nall = 0, i;
	int want_cmp = 0, want_pin = 0, rc = 0;
	struct drift_report tmp;

	drift_report_init(&tmp, "", "");
	tmp.no_hosts = 1; /* only whether an item holds matters here */
	side[0] = ed_xcalloc(w->nr_hosts + 1, sizeof(*side[0]));
	side[1] = ed_xcalloc(w->nr_hosts + 1, sizeof(*side[1]));
	all = ed_xcalloc(w->nr_hosts + 1, sizeof(*all));
	for (i = 0; i < w->nr_hosts; i++) {
		const struct differ_host *h = g->slots[i].cur;

		if (!h)
			continue;
		side[w->hosts[i].side][n[w->hosts[i].side]++] = h;
		all[nall++] = h;
	}
	for (i = 0; i < w->nr_items; i++) {
		if (!evaluated(w, gi, i))
			continue;
		if (w->items[i].it->kind == DRIFT_PIN)
			want_pin = 1;
		else
			want_cmp = 1;
	}
	if (want_cmp && n[0] && n[1]) {
		/* only the keys asked for: the rest of the hosts is not needed */
		struct ed_strvec keys = ED_STRVEC_INIT;

		for (i = 0; i < w->nr_items; i++)
			if (evaluated(w, gi, i) &&
			    w->items[i].it->kind != DRIFT_PIN)
				ed_strvec_pushf(&keys, "%s\t%s",
						w->items[i].it->collector,
						w->items[i].it->key);
		ed_strvec_sort_unique(&keys);
		rc = differ_compare_keys(&tmp, w->rules, side[0], n[0], side[1],
					 n[1], &keys, err);
		ed_strvec_release(&keys);
	}
	if (!rc && want_pin)
		differ_rules_pins(w->rules, &tmp, all, nall);
	if (rc < 0)
		goto out;
	sorted = ed_xcalloc(tmp.nr + 1, sizeof(*sorted));
	for (i = 0; i < tmp.nr; i++)
		sorted[i] = &tmp.items[i];
	if (tmp.nr > 1)
		qsort(sorted, tmp.nr, sizeof(*sorted), cmp_item_key);
	for (i = 0; i < w->nr_items; i++) {
		const struct since_item *si = &w->items[i];

		if (evaluated(w, gi, i))
			held[i] = (si->it->kind == DRIFT_PIN || (n[0] && n[1])) &&
				  found(sorted, tmp.nr, si->it);
	}
out:
	free(sorted);
	free(side[0]);
	free(side[1]);
	free(all);
	drift_report_release(&tmp);
	return rc;
}

/*
 * After some of the group's slots moved: which of its items to compare
 * anew. An item the tallies decide is kept while its summary, the shape
 * of the comparison and (for an outlier) its own host stay as they were;
 * every other item is compared anew.
 */
static int group_refresh(struct since_walk *w, size_t gi, int *held,
			 struct ed_err *err)
{
	struct since_group *g = &w->groups[gi];
	int hh = g->present[0] == 1 && g->present[1] == 1;
	int both = g->present[0] && g->present[1];
	/* host vs host ignores roles, so the tallies do not describe it */
	int shape = hh || g->hh || both != g->both;
	size_t i, need = 0;

	if (g->tallies)
		tally_set_refresh(g->tallies);
	for (i = 0; i < w->nr_items; i++) {
		const struct since_item *si = &w->items[i];

		if (!si->alive || si->group != gi)
			continue;
		w->eval[i] = shape || !si->plain ||
			     tally_set_changed(g->tallies, si->tally) ||
			     (si->it->kind == DRIFT_OUTLIER &&
			      g->slots[si->own].stepped);
		need += (size_t)w->eval[i];
	}
	g->hh = hh;
	g->both = both;
	return need ? group_eval(w, gi, held, err) : 0;
}

/* One group at an older commit: reload the slots whose files moved. */
static int group_step(struct since_walk *w, size_t gi, int *held,
		      struct ed_err *err)
{
	struct since_group *g = &w->groups[gi];
	size_t k;
	int moved = 0, rc = 0;

	for (k = 0; k < w->nr_moved && !rc; k++) {
		size_t i = w->moved[k];
		struct since_slot *s = &g->slots[i];
		const struct differ_host *h = w->hosts[i].tip;
		int side = w->hosts[i].side;

		if (!since_slot_ids(s, w->v, h, g->files.file))
			continue;
		moved = 1;
		s->stepped = 1;
		if (g->tallies)
			tally_set_votes(g->tallies, side, s->cur, -1);
		if (s->cur)
			g->present[side]--;
		rc = since_slot_load(s, &g->files, w->v, h, err);
		if (g->tallies)
			tally_set_votes(g->tallies, side, s->cur, 1);
		if (s->cur)
			g->present[side]++;
	}
	if (!rc && moved)
		rc = group_refresh(w, gi, held, err);
	for (k = 0; k < w->nr_moved; k++)
		g->slots[w->moved[k]].stepped = 0;
	return rc;
}

/* The environments of the hosts, each with its hosts sorted by name. */
static void envs_init(struct since_walk *w)
{
	size_t i, e;

	w->envs = ed_xcalloc(w->nr_hosts + 1, sizeof(*w->envs));
	for (i = 0; i < w->nr_hosts; i++) {
		const char *env = w->hosts[i].tip->env;

		for (e = 0; e < w->nr_envs && strcmp(w->envs[e].name, env); e++)
			;
		if (e == w->nr_envs) {
			w->envs[e].name = env;
			w->envs[e].hosts = ed_xcalloc(w->nr_hosts + 1,
						      sizeof(*w->envs[e].hosts));
			w->nr_envs++;
		}
		name_add(w->envs[e].hosts, &w->envs[e].nr, w, i);
	}
	for (e = 0; e < w->nr_envs; e++)
		name_sort(w->envs[e].hosts, w->envs[e].nr);
}

static void envs_release(struct since_walk *w)
{
	size_t e;

	for (e = 0; e < w->nr_envs && w->envs; e++)
		free(w->envs[e].hosts);
	free(w->envs);
}

/* The hosts this commit's trailers name (every host of that name). */
static void collected_at(struct since_walk *w)
{
	struct ed_strvec names = ED_STRVEC_INIT;
	size_t i, k;

	for (k = 0; k < w->nr_coll; k++)
		w->hosts[w->coll[k]].collected = 0;
	w->nr_coll = 0;
	store_view_collected_hosts(w->v, &names);
	for (i = 0; i < names.nr; i++)
		for (k = name_lower(w->by_name, w->nr_hosts, names.v[i]);
		     k < w->nr_hosts && !strcmp(w->by_name[k].name, names.v[i]);
		     k++) {
			size_t h = w->by_name[k].idx;

			if (w->hosts[h].collected)
				continue;
			w->hosts[h].collected = 1;
			w->coll[w->nr_coll++] = h;
		}
	ed_strvec_release(&names);
}

/*
 * The hosts whose directory differs between newer and w->v: only
 * environments whose subtree id changed are read, each in one pass.
 */
static int hosts_at(struct since_walk *w, const struct store_view *newer,
		    struct ed_err *err)
{
	struct ed_strvec names = ED_STRVEC_INIT;
	size_t e, i, k;
	int rc = 0;

	w->nr_moved = 0;
	for (e = 0; e < w->nr_envs && !rc; e++) {
		const struct since_env *se = &w->envs[e];

		rc = store_view_env_moved(w->v, newer, se->name, &names, err);
		for (i = 0; !rc && i < names.nr; i++)
			for (k = name_lower(se->hosts, se->nr, names.v[i]);
			     k < se->nr && !strcmp(se->hosts[k].name, names.v[i]);
			     k++)
				w->moved[w->nr_moved++] = se->hosts[k].idx;
		ed_strvec_release(&names);
	}
	/* slots load in host order, so an error names the first bad host */
	if (w->nr_moved > 1)
		qsort(w->moved, w->nr_moved, sizeof(*w->moved), cmp_index);
	collected_at(w);
	return rc;
}

/* Did this commit collect one of the item's hosts? */
static int item_collected(const struct since_walk *w, const struct since_item *si)
{
	size_t j;

	if (!w->nr_coll)
		return 0;
	if (w->nr_coll < si->nh / 8) {
		/* a few hosts collected: look each up among the item's */
		for (j = 0; j < w->nr_coll; j++)
			if (bsearch(&w->coll[j], si->hosts, si->nh,
				    sizeof(*si->hosts), cmp_index))
				return 1;
		return 0;
	}
	for (j = 0; j < si->nh; j++)
		if (w->hosts[si->hosts[j]].collected)
			return 1;
	return 0;
}

/* The item held at w->v: move its start back to this commit. */
static void extend(struct since_walk *w, struct since_item *si)
{
	memcpy(si->commit, store_view_commit(w->v), 41);
	si->when = store_view_time(w->v);
	if (item_collected(w, si))
		si->scans++;
}

static void item_end(struct since_walk *w, struct since_item *si)
{
	struct since_group *g = &w->groups[si->group];

	si->alive = 0;
	g->alive--;
	if (si->plain)
		tally_set_drop(g->tallies, si->tally);
	w->alive--;
}

/* One older commit: refresh what moved, then keep or end every item. */
static int step(struct since_walk *w, const struct store_view *newer, int *held,
		struct ed_err *err)
{
	size_t gi, i;
	int rc;

	rc = hosts_at(w, newer, err);
	for (i = 0; i < w->nr_items; i++)
		held[i] = 1; /* unless a group that moved says otherwise */
	for (gi = 0; gi < w->nr_groups && !rc; gi++) {
		if (!w->groups[gi].alive || !w->nr_moved)
			continue;
		rc = group_step(w, gi, held, err);
	}
	for (i = 0; !rc && i < w->nr_items; i++) {
		struct since_item *si = &w->items[i];

		if (!si->alive)
			continue;
		if (held[i])
			extend(w, si);
		else
			item_end(w, si);
	}
	return rc;
}

/* Hosts, groups and items at the starting commit, where every item holds. */
static void walk_start(struct since_walk *w, struct drift_report *r,
		       const struct differ_host *const *a, size_t na,
		       const struct differ_host *const *b, size_t nb)
{
	size_t i, gi, k = 0;

	w->hosts = ed_xcalloc(na + nb + 1, sizeof(*w->hosts));
	for (i = 0; i < na + nb; i++) {
		w->hosts[i].tip = i < na ? a[i] : b[i - na];
		w->hosts[i].side = i >= na;
	}
	w->nr_hosts = na + nb;
	w->by_name = ed_xcalloc(w->nr_hosts + 1, sizeof(*w->by_name));
	for (i = 0; i < w->nr_hosts; i++)
		name_add(w->by_name, &k, w, i);
	name_sort(w->by_name, w->nr_hosts);
	w->moved = ed_xcalloc(w->nr_hosts + 1, sizeof(*w->moved));
	w->coll = ed_xcalloc(w->nr_hosts + 1, sizeof(*w->coll));
	envs_init(w);
	collected_at(w);
	w->items = ed_xcalloc(r->nr + 1, sizeof(*w->items));
	w->eval = ed_xcalloc(r->nr + 1, sizeof(*w->eval));
	for (i = 0; i < r->nr; i++) {
		struct since_item *si = &w->items[w->nr_items];

		if (r->items[i].kind == DRIFT_STALE)
			continue;
		si->it = &r->items[i];
		item_hosts(si, w);
		if (!si->nh && (si->it->kind == DRIFT_PIN ||
				si->it->kind == DRIFT_OUTLIER)) {
			free(si->hosts); /* a host these operands do not have */
			memset(si, 0, sizeof(*si));
			continue;
		}
		si->group = find_group(w, item_file(si->it));
		si->alive = 1;
		w->groups[si->group].alive++;
		w->alive++;
		w->nr_items++;
		extend(w, si);
	}
	for (gi = 0; gi < w->nr_groups; gi++) {
		struct since_group *g = &w->groups[gi];

		for (i = 0; i < w->nr_hosts; i++) {
			struct since_slot *s = &g->slots[i];

			since_slot_start(s, w->v, w->hosts[i].tip, g->files.file);
			g->present[w->hosts[i].side]++;
		}
		g->hh = g->present[0] == 1 && g->present[1] == 1;
		g->both = g->present[0] && g->present[1];
	}
	tallies_start(w);
}

static void walk_release(struct since_walk *w)
{
	size_t i, j;

	envs_release(w);
	for (i = 0; i < w->nr_groups; i++) {
		for (j = 0; j < w->nr_hosts; j++)
			since_slot_drop(&w->groups[i].slots[j],
					&w->groups[i].files);
		since_files_release(&w->groups[i].files);
		free(w->groups[i].slots);
		tally_set_free(w->groups[i].tallies);
	}
	for (i = 0; i < w->nr_items; i++)
		free(w->items[i].hosts);
	free(w->groups);
	free(w->items);
	free(w->eval);
	free(w->hosts);
	free(w->by_name);
	free(w->moved);
	free(w->coll);
	store_view_free(w->v);
}

static int since_run(struct drift_report *r, struct store *st,
		     const struct baseline *rules,
		     const struct differ_host *const *a, size_t na,
		     const struct differ_host *const *b, size_t nb,
		     size_t max_scans, int full, struct ed_err *err)
{
	struct since_walk w;
	int *held = NULL;
	size_t examined = 1, i;
	int rc;

	memset(&w, 0, sizeof(w));
	w.rules = rules;
	w.full = full;
	rc = store_view_open(&w.v, st, r->commits[0], err);
	if (rc < 0)
		return rc;
	walk_start(&w, r, a, na, b, nb);
	held = ed_xcalloc(w.nr_items + 1, sizeof(*held));
	while (w.alive && (!max_scans || examined < max_scans)) {
		struct store_view *newer = w.v, *parent = NULL;

		rc = store_view_parent(&parent, w.v, err);
		if (rc == ED_ENOTFOUND) {
			rc = 0; /* the first commit (or a shallow clone's) */
			for (i = 0; store_view_is_cut(w.v) && i < w.nr_items; i++)
				w.items[i].it->since_cut = w.items[i].alive;
			break;
		}
		if (rc < 0)
			goto out;
		w.v = parent;
		examined++;
		if (store_view_has_trailer(newer, "Envdrift-Format")) {
			/* new secret rules rewrote bytes, not hosts: all hold */
			collected_at(&w);
			for (i = 0; i < w.nr_items; i++)
				if (w.items[i].alive)
					extend(&w, &w.items[i]);
		} else {
			rc = step(&w, newer, held, err);
		}
		store_view_free(newer);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < w.nr_items; i++) {
		struct drift_item *it = w.items[i].it;
		time_t t = (time_t)w.items[i].when;
		struct tm tm;

		memcpy(it->since_commit, w.items[i].commit,
		       sizeof(it->since_commit));
		it->since_scans = w.items[i].scans;
		if (!gmtime_r(&t, &tm) ||
		    !strftime(it->since_date, sizeof(it->since_date),
			      "%Y-%m-%d", &tm))
			it->since_date[0] = '\0';
	}
out:
	free(held);
	walk_release(&w);
	return rc;
}

int differ_since(struct drift_report *r, struct store *st,
		 const struct baseline *rules, const struct differ_host *const *a,
		 size_t na, const struct differ_host *const *b, size_t nb,
		 size_t max_scans, struct ed_err *err)
{
	return since_run(r, st, rules, a, na, b, nb, max_scans, 0, err);
}

int differ_since_full(struct drift_report *r, struct store *st,
		      const struct baseline *rules,
		      const struct differ_host *const *a, size_t na,
		      const struct differ_host *const *b, size_t nb,
		      size_t max_scans, struct ed_err *err)
{
	return since_run(r, st, rules, a, na, b, nb, max_scans, 1, err);
}
