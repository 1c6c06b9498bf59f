/*
 * Drift age: how long each item of a comparison has held. One walk down the
 * first-parent history serves every item; at each commit a host whose
 * subtree id did not move costs one tree lookup, and a collector whose
 * files did not move on any host costs nothing more. Only a moved blob is
 * read and parsed again, and only then are that collector's items compared
 * anew, with the differ's own code, so "held" means what diff means.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"

/* One host of a or b, as seen at the commit being examined. */
struct since_host {
	const struct differ_host *tip; /* the caller's, borrowed */
	int side;                      /* 0: a, 1: b */
	int present;                   /* its directory exists here */
	unsigned char tree[20];        /* hosts/<env>/<host> subtree id */
	int moved;                     /* subtree differs from the newer commit */
	int collected;                 /* this commit's trailers name it */
};

/* A host within a group: its collector file and meta at one commit. */
struct since_slot {
	int has_file, has_meta;
	unsigned char file_id[20], meta_id[20];
	struct differ_host tip_view; /* the tip host cut to the group's facts */
	struct differ_host own;      /* loaded at an older commit */
	int owned;
	const struct differ_host *cur; /* NULL: absent at this commit */
};

/* The items of one collector file (NULL: meta only, for role items). */
struct since_group {
	char *file;
	struct since_slot *slots; /* one per since_host */
	size_t alive;             /* items still holding */
};

struct since_item {
	struct drift_item *it;
	size_t group;
	size_t *hosts; /* indexes into the since_host array */
	size_t nh;
	int alive;
	char commit[41];
	long long when;
	size_t scans;
};

/* The hosts of one environment, looked up together. */
struct since_env {
	const char *name;         /* borrowed from a tip host */
	size_t *idx;              /* indexes into since_walk.hosts */
	const char **names;       /* their host names, for the batch lookup */
	size_t nr;
	int present;
	unsigned char id[20];     /* hosts/<env> subtree id at the last commit */
	unsigned char (*ids)[20];
	int *pres;
};

struct since_walk {
	struct store_view *v;
	struct since_host *hosts;
	size_t nr_hosts;
	struct since_env *envs;
	size_t nr_envs;
	struct since_group *groups;
	size_t nr_groups, alloc_groups;
	struct since_item *items;
	size_t nr_items;
	size_t alive;
	const struct differ_rules *rules;
};

static int same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

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
		if (same_str(w->groups[i].file, file))
			return i;
	ED_ALLOC_GROW(w->groups, w->nr_groups + 1, w->alloc_groups);
	memset(&w->groups[i], 0, sizeof(w->groups[i]));
	w->groups[i].file = file ? ed_xstrdup(file) : NULL;
	w->groups[i].slots = ed_xcalloc(w->nr_hosts + 1, sizeof(struct since_slot));
	w->nr_groups++;
	return i;
}

static int find_host(const struct since_walk *w, const char *name, size_t *out)
{
	size_t i;

	for (i = 0; i < w->nr_hosts; i++)
		if (!strcmp(w->hosts[i].tip->host, name)) {
			*out = i;
			return 1;
		}
	return 0;
}

/*
 * The hosts an item is about: its own host for an outlier or a pin, else
 * every host it lists ("VALUE\tHOST"; values may hold tabs, names never).
 */
static void item_hosts(struct since_item *si, const struct since_walk *w)
{
	const struct drift_item *it = si->it;
	size_t i, idx;

	si->hosts = ed_xcalloc(it->hosts.nr + w->nr_hosts + 1, sizeof(*si->hosts));
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
}

/* The tip host's facts of one collector: a contiguous run, they are sorted. */
static void cut_view(struct differ_host *out, const struct differ_host *h,
		     const char *file)
{
	size_t lo = 0, hi;

	*out = *h;
	out->nr_facts = 0;
	out->nspans = 0; /* a slice: spans would point past it */
	if (!file)
		return;
	while (lo < h->nr_facts && strcmp(h->facts[lo].collector, file) < 0)
		lo++;
	for (hi = lo; hi < h->nr_facts && !strcmp(h->facts[hi].collector, file); hi++)
		;
	out->facts = h->facts + lo;
	out->nr_facts = hi - lo;
}

/* Read the ids of a slot's files at the view; 1 if they differ from before. */
static int slot_ids(struct since_slot *s, const struct store_view *v,
		    const struct differ_host *h, const char *file)
{
	unsigned char fid[20], mid[20];
	int has_file = 0, has_meta, moved;

	memset(fid, 0, sizeof(fid));
	memset(mid, 0, sizeof(mid));
	has_meta = !store_view_file_id(v, h->env, h->host, "meta", mid);
	if (file)
		has_file = !store_view_file_id(v, h->env, h->host, file, fid);
	moved = has_meta != s->has_meta || has_file != s->has_file ||
		memcmp(mid, s->meta_id, 20) || memcmp(fid, s->file_id, 20);
	s->has_meta = has_meta;
	s->has_file = has_file;
	memcpy(s->meta_id, mid, 20);
	memcpy(s->file_id, fid, 20);
	return moved;
}

static void slot_drop(struct since_slot *s)
{
	if (s->owned)
		differ_host_release(&s->own);
	s->owned = 0;
	s->cur = NULL;
}

/* Parse a slot's meta and collector file as they are at the view. */
static int slot_load(struct since_slot *s, const struct store_view *v,
		     const struct differ_host *h, const char *file,
		     struct ed_err *err)
{
	struct snapshot snap = SNAPSHOT_INIT;
	struct ed_buf b = ED_BUF_INIT;
	int rc = 0;

	slot_drop(s);
	if (!s->has_meta && !s->has_file)
		return 0;
	if (s->has_meta) {
		rc = store_view_read_file(v, h->env, h->host, "meta", &b, err);
		if (!rc)
			snapshot_add(&snap, "meta", b.ptr, b.len);
	}
	ed_buf_reset(&b);
	if (!rc && s->has_file) {
		rc = store_view_read_file(v, h->env, h->host, file, &b, err);
		if (!rc)
			snapshot_add(&snap, file, b.ptr, b.len);
	}
	if (rc == ED_ENOTFOUND) /* an id was found, so the entry is no blob */
		rc = ed_err_set(err, ED_EGIT, "%s: hosts/%s/%s/%s is not a file",
				store_view_commit(v), h->env, h->host,
				file ? file : "meta");
	if (!rc) {
		rc = differ_host_load(&s->own, h->env, h->host, &snap, err);
		if (rc < 0)
			ed_err_prefix(err, "%s", store_view_commit(v));
	}
	if (!rc) {
		s->owned = 1;
		s->cur = &s->own;
	}
	snapshot_release(&snap);
	ed_buf_release(&b);
	return rc;
}

static int cmp_item_key(const void *x, const void *y)
{
	const struct drift_item *const *a = x, *const *b = y;

	return strcmp((*a)->key, (*b)->key);
}

/* Does fresh (a re-run at an older commit) show the same item as want? */
static int same_item(const struct drift_item *want,
		     const struct drift_item *fresh)
{
	if (strcmp(want->collector, fresh->collector))
		return 0;
	switch (want->kind) {
	case DRIFT_PIN:
		return fresh->kind == DRIFT_PIN && same_str(want->host, fresh->host) &&
		       same_str(want->detail, fresh->detail);
	case DRIFT_OUTLIER:
		return fresh->kind == DRIFT_OUTLIER && fresh->side == want->side &&
		       same_str(want->host, fresh->host) &&
		       same_str(want->role, fresh->role);
	default:
		/*
		 * A role item may meet a NULL role: with one host left on each
		 * side, differ_compare compares them as host against host.
		 */
		return is_comparison(fresh->kind) &&
		       (!fresh->role || same_str(want->role, fresh->role));
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

/*
 * Compare the group's hosts as they are now and let each of its items
 * still alive say whether it holds. A side with no host left holds nothing.
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
		if (!w->items[i].alive || w->items[i].group != gi)
			continue;
		if (w->items[i].it->kind == DRIFT_PIN)
			want_pin = 1;
		else
			want_cmp = 1;
	}
	if (want_cmp && n[0] && n[1]) {
		/* only the keys still open: the rest of the hosts is not needed */
		struct ed_strvec keys = ED_STRVEC_INIT;

		for (i = 0; i < w->nr_items; i++)
			if (w->items[i].alive && w->items[i].group == gi &&
			    w->items[i].it->kind != DRIFT_PIN)
				ed_strvec_pushf(&keys, "%s\t%s", w->items[i].it->collector,
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

		if (si->alive && si->group == gi)
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

/* Trees and trailers of every host at the view; moved vs the newer one. */
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
			w->envs[e].idx = ed_xcalloc(w->nr_hosts + 1, sizeof(size_t));
			w->envs[e].names = ed_xcalloc(w->nr_hosts + 1, sizeof(char *));
			w->envs[e].ids = ed_xcalloc(w->nr_hosts + 1, 20);
			w->envs[e].pres = ed_xcalloc(w->nr_hosts + 1, sizeof(int));
			w->nr_envs++;
		}
		w->envs[e].idx[w->envs[e].nr] = i;
		w->envs[e].names[w->envs[e].nr++] = w->hosts[i].tip->host;
	}
}

static void envs_release(struct since_walk *w)
{
	size_t e;

	for (e = 0; e < w->nr_envs; e++) {
		free(w->envs[e].idx);
		free((void *)w->envs[e].names);
		free(w->envs[e].ids);
		free(w->envs[e].pres);
	}
	free(w->envs);
}

/*
 * Trees and trailers of every host at the view; moved vs the newer one.
 * An environment whose subtree id is unchanged has no host that moved, so
 * only changed environments are read, each with one tree lookup.
 */
static void hosts_at(struct since_walk *w, int first)
{
	struct ed_err ignored = ED_ERR_INIT;
	size_t e, k;

	if (!w->envs)
		envs_init(w);
	for (e = 0; e < w->nr_envs; e++) {
		struct since_env *se = &w->envs[e];
		unsigned char id[20];
		int present = !store_view_env_hosts(w->v, se->name, id, NULL, 0,
						    NULL, NULL, &ignored);

		if (!first && present == se->present &&
		    (!present || !memcmp(id, se->id, 20))) {
			for (k = 0; k < se->nr; k++)
				w->hosts[se->idx[k]].moved = 0;
			continue;
		}
		se->present = present;
		memcpy(se->id, id, 20);
		if (present)
			store_view_env_hosts(w->v, se->name, id, se->names, se->nr,
					     se->ids, se->pres, &ignored);
		for (k = 0; k < se->nr; k++) {
			struct since_host *h = &w->hosts[se->idx[k]];
			int p = present && se->pres[k];

			h->moved = !first && (p != h->present ||
					      (p && memcmp(se->ids[k], h->tree, 20)));
			h->present = p;
			if (p)
				memcpy(h->tree, se->ids[k], 20);
		}
	}
	for (k = 0; k < w->nr_hosts; k++)
		w->hosts[k].collected = store_view_collected(w->v, w->hosts[k].tip->host);
}

/* The item held at w->v: move its start back to this commit. */
static void extend(struct since_walk *w, struct since_item *si)
{
	size_t j;

	memcpy(si->commit, store_view_commit(w->v), 41);
	si->when = store_view_time(w->v);
	for (j = 0; j < si->nh; j++)
		if (w->hosts[si->hosts[j]].collected) {
			si->scans++;
			break;
		}
}

/* One older commit: refresh what moved, then keep or end every item. */
static int step(struct since_walk *w, int *held, struct ed_err *err)
{
	size_t gi, i;
	int rc = 0;

	hosts_at(w, 0);
	for (i = 0; i < w->nr_items; i++)
		held[i] = 1; /* unless a group that moved says otherwise */
	for (gi = 0; gi < w->nr_groups && !rc; gi++) {
		struct since_group *g = &w->groups[gi];
		int moved = 0;

		if (!g->alive)
			continue;
		for (i = 0; i < w->nr_hosts && !rc; i++) {
			const struct differ_host *h = w->hosts[i].tip;

			if (!w->hosts[i].moved ||
			    !slot_ids(&g->slots[i], w->v, h, g->file))
				continue;
			moved = 1;
			rc = slot_load(&g->slots[i], w->v, h, g->file, err);
		}
		if (!rc && moved)
			rc = group_eval(w, gi, held, err);
	}
	for (i = 0; !rc && i < w->nr_items; i++) {
		struct since_item *si = &w->items[i];

		if (!si->alive)
			continue;
		if (held[i]) {
			extend(w, si);
			continue;
		}
		si->alive = 0;
		w->groups[si->group].alive--;
		w->alive--;
	}
	return rc;
}

/* Hosts, groups and items at the starting commit, where every item holds. */
static void walk_start(struct since_walk *w, struct drift_report *r,
		       const struct differ_host *const *a, size_t na,
		       const struct differ_host *const *b, size_t nb)
{
	size_t i, gi;

	w->hosts = ed_xcalloc(na + nb + 1, sizeof(*w->hosts));
	for (i = 0; i < na + nb; i++) {
		w->hosts[i].tip = i < na ? a[i] : b[i - na];
		w->hosts[i].side = i >= na;
	}
	w->nr_hosts = na + nb;
	hosts_at(w, 1);
	w->items = ed_xcalloc(r->nr + 1, sizeof(*w->items));
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

			slot_ids(s, w->v, w->hosts[i].tip, g->file);
			cut_view(&s->tip_view, w->hosts[i].tip, g->file);
			s->cur = &s->tip_view;
		}
	}
}

static void walk_release(struct since_walk *w)
{
	size_t i, j;

	envs_release(w);
	for (i = 0; i < w->nr_groups; i++) {
		for (j = 0; j < w->nr_hosts; j++)
			slot_drop(&w->groups[i].slots[j]);
		free(w->groups[i].slots);
		free(w->groups[i].file);
	}
	for (i = 0; i < w->nr_items; i++)
		free(w->items[i].hosts);
	free(w->groups);
	free(w->items);
	free(w->hosts);
	store_view_free(w->v);
}

int differ_since(struct drift_report *r, struct store *st,
		 const struct differ_rules *rules,
		 const struct differ_host *const *a, size_t na,
		 const struct differ_host *const *b, size_t nb,
		 size_t max_scans, struct ed_err *err)
{
	struct since_walk w;
	int *held = NULL;
	size_t examined = 1, i;
	int rc;

	memset(&w, 0, sizeof(w));
	w.rules = rules;
	rc = store_view_open(&w.v, st, r->commits[0], err);
	if (rc < 0)
		return rc;
	walk_start(&w, r, a, na, b, nb);
	held = ed_xcalloc(w.nr_items + 1, sizeof(*held));
	while (w.alive && (!max_scans || examined < max_scans)) {
		struct store_view *parent = NULL;

		rc = store_view_parent(&parent, w.v, err);
		if (rc == ED_ENOTFOUND) {
			rc = 0; /* the first commit: everything held since */
			break;
		}
		if (rc < 0)
			goto out;
		store_view_free(w.v);
		w.v = parent;
		examined++;
		rc = step(&w, held, err);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < w.nr_items; i++) {
		struct drift_item *it = w.items[i].it;
		time_t t = (time_t)w.items[i].when;
		struct tm tm;

		memcpy(it->since_commit, w.items[i].commit, sizeof(it->since_commit));
		it->since_scans = w.items[i].scans;
		if (!gmtime_r(&t, &tm) ||
		    !strftime(it->since_date, sizeof(it->since_date), "%Y-%m-%d", &tm))
			it->since_date[0] = '\0';
	}
out:
	free(held);
	walk_release(&w);
	return rc;
}
