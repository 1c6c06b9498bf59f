/*
 * The compare pipeline, written once for diff, check and report: resolve
 * two operands ("prod", "host:web-1", "prod@2026-11-01", "web-1@main~3")
 * in the state repository, load their hosts, compare them, date every
 * item, diff config file contents, then apply the rules.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/store.h"
#include "differ/internal.h"

/* One side of a comparison: the hosts an operand names, loaded. */
struct side {
	struct store_view *view;
	struct differ_host *hosts;
	const struct differ_host **group; /* &hosts[i], as differ_compare takes */
	size_t nr;
};

/*
 * Resolve operand in st and load its hosts' facts into sd (zeroed by the
 * caller), parsing shared files once through cache. Release sd with
 * side_release, also after a failure.
 */
static int side_load(struct side *sd, struct store *st,
		     struct differ_fact_cache *cache, const char *operand,
		     struct ed_err *err)
{
	char *name = ed_xstrdup(operand), *at = strchr(name, '@');
	const char *want = name, *rev = NULL;
	struct store_host *all = NULL;
	size_t n = 0, i, matches = 0;
	int force_env = 0, force_host = 0, is_env = 0, rc;

	if (at) {
		*at = '\0';
		rev = at + 1;
	}
	if (!strncmp(want, "env:", 4)) {
		force_env = 1;
		want += 4;
	} else if (!strncmp(want, "host:", 5)) {
		force_host = 1;
		want += 5;
	}
	rc = store_view_open(&sd->view, st, rev, err);
	if (!rc)
		rc = store_view_hosts(sd->view, &all, &n, err);
	if (rc < 0)
		goto out;
	for (i = 0; !force_host && i < n; i++)
		if (!strcmp(all[i].env, want))
			is_env = 1;
	sd->hosts = ed_xcalloc(n ? n : 1, sizeof(*sd->hosts));
	sd->group = ed_xcalloc(n + 1, sizeof(*sd->group));
	for (i = 0; i < n; i++) {
		if (is_env ? strcmp(all[i].env, want) :
			     (force_env || strcmp(all[i].host, want)))
			continue;
		matches++;
		rc = differ_host_load_view(&sd->hosts[sd->nr], cache, sd->view,
					   all[i].env, all[i].host, err);
		if (rc < 0)
			goto out;
		sd->group[sd->nr] = &sd->hosts[sd->nr];
		sd->nr++;
	}
	if (!matches)
		rc = ed_err_set(err, ED_ENOTFOUND,
				"'%s' matches no %s in the state repository%s%s",
				operand,
				force_env  ? "environment" :
				force_host ? "host" :
					     "environment or host",
				rev ? " at " : "", rev ? rev : "");
out:
	store_hosts_free(all, n);
	free(name);
	return rc;
}

static void side_release(struct side *sd)
{
	size_t i;

	for (i = 0; i < sd->nr; i++)
		differ_host_release(&sd->hosts[i]);
	free(sd->hosts);
	free(sd->group);
	store_view_free(sd->view);
}

/* Drop items of roles not in roles (empty: keep all); host items stay. */
static void keep_roles(struct drift_report *r, const struct ed_strvec *roles)
{
	size_t i, out = 0;

	if (!roles->nr)
		return;
	for (i = 0; i < r->nr; i++) {
		struct drift_item *it = &r->items[i];

		if (!it->role || ed_strvec_contains(roles, it->role)) {
			r->items[out++] = *it;
			continue;
		}
		drift_item_release(it);
	}
	r->nr = out;
}

/*
 * Between different hosts, identity is not drift (differ/normalize.c); a
 * host against its own past is compared raw, so a renumbered host shows.
 */
static int normalize_sides(const struct side *sd, const struct baseline *rules,
			   struct ed_err *err)
{
	size_t n = sd[0].nr + sd[1].nr, i;
	struct differ_host **h;
	const struct store_view *views[2] = { sd[0].view, sd[1].view };
	int *side, rc;

	if (sd[0].nr == 1 && sd[1].nr == 1 &&
	    !strcmp(sd[0].hosts[0].host, sd[1].hosts[0].host))
		return 0;
	h = ed_xcalloc(n + 1, sizeof(*h));
	side = ed_xcalloc(n + 1, sizeof(*side));
	for (i = 0; i < n; i++) {
		side[i] = i >= sd[0].nr;
		h[i] = &sd[side[i]].hosts[side[i] ? i - sd[0].nr : i];
	}
	rc = differ_normalize(h, side, n, views, rules, err);
	free(h);
	free(side);
	return rc;
}

/* The steps after loading; r holds the sides' comparison when it returns 0. */
static int run_sides(struct drift_report *r, struct store *st,
		     const struct baseline *rules, const char *a, const char *b,
		     const struct side *sd, const struct differ_run_opts *o,
		     struct ed_err *err)
{
	char today[11];
	size_t i;
	int rc;

	r->commits[0] = ed_xstrdup(store_view_commit(sd[0].view));
	r->commits[1] = ed_xstrdup(store_view_commit(sd[1].view));
	rc = normalize_sides(sd, rules, err);
	if (rc < 0)
		return rc;
	rc = differ_compare(r, rules, sd[0].group, sd[0].nr, sd[1].group,
			    sd[1].nr, err);
	if (rc < 0)
		return rc;
	if (o->flags & DIFFER_RUN_PINS) {
		differ_rules_pins(rules, r, sd[0].group, sd[0].nr);
		differ_rules_pins(rules, r, sd[1].group, sd[1].nr);
	}
	/* drift age: only when both sides are the present, not X@REV */
	if (!strchr(a, '@') && !strchr(b, '@'))
		rc = differ_since(r, st, rules, sd[0].group, sd[0].nr, sd[1].group,
				  sd[1].nr, DIFFER_SINCE_MAX_SCANS, err);
	if (!rc)
		rc = differ_content_diffs(r, sd[0].view, sd[1].view, sd[0].group,
					  sd[0].nr, sd[1].group, sd[1].nr, err);
	if (rc < 0)
		return rc;
	if (o->roles)
		keep_roles(r, o->roles);
	for (i = 0; o->rule && i < r->nr; i++) {
		r->items[i].severity = o->severity;
		free(r->items[i].rule);
		r->items[i].rule = ed_xstrdup(o->rule);
	}
	if (!o->today)
		differ_today(today);
	differ_rules_apply(rules, r, o->today ? o->today : today);
	return 0;
}

int differ_run(struct drift_report *out, struct store *st,
	       const struct baseline *rules, const char *a, const char *b,
	       const struct differ_run_opts *opts, struct ed_err *err)
{
	static const struct differ_run_opts defaults;
	const struct differ_run_opts *o = opts ? opts : &defaults;
	struct differ_fact_cache *own = o->cache ? NULL : differ_fact_cache_new();
	struct differ_fact_cache *cache = o->cache ? o->cache : own;
	struct side sd[2];
	int rc;

	memset(sd, 0, sizeof(sd));
	drift_report_init(out, o->labels[0] ? o->labels[0] : a,
			  o->labels[1] ? o->labels[1] : b);
	rc = side_load(&sd[0], st, cache, a, err);
	if (!rc)
		rc = side_load(&sd[1], st, cache, b, err);
	if (!rc)
		rc = run_sides(out, st, rules, a, b, sd, o, err);
	if (rc < 0)
		drift_report_release(out);
	side_release(&sd[0]);
	side_release(&sd[1]);
	/* the hosts borrow the cache's strings: it goes after them */
	differ_fact_cache_free(own);
	return rc;
}
