/*
 * The pre-deploy gate behind "envdrift check" and "envdrift report": the
 * environments a baseline's parity entries name (or two operands, or
 * every pair), then pins, stale hosts and long-uniform toggles on every
 * host. It decides; the commands print and choose the exit status.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"

struct gate {
	struct differ_gate *out;
	struct store *st;
	const struct baseline *rules;
	const struct differ_gate_opts *opts;
	char today[11];
	struct differ_fact_cache *cache; /* files shared by hosts, parsed once */
	struct ed_strvec envs; /* the environments at the tip, sorted */
};

/* Keep r (moved: the caller's r is left empty). */
static void keep(struct gate *g, struct drift_report *r)
{
	struct differ_gate *o = g->out;

	ED_ALLOC_GROW(o->reports, o->nr + 1, o->alloc);
	o->reports[o->nr++] = *r;
	memset(r, 0, sizeof(*r));
}

/*
 * Compare environments ea and eb; pe, when not NULL, is the parity entry
 * asking, whose roles limit the items kept and whose severity, if it sets
 * one, every item gets.
 */
static int compare_envs(struct gate *g, const char *ea, const char *eb,
			const struct baseline_rule *pe, struct ed_err *err)
{
	struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;
	struct differ_run_opts ro;
	struct drift_report r;
	int rc;

	memset(&ro, 0, sizeof(ro));
	ro.labels[0] = ea;
	ro.labels[1] = eb;
	ro.roles = pe ? &pe->roles : NULL;
	ro.rule = pe && pe->has_sev ? pe->loc : NULL;
	ro.severity = pe ? pe->sev : SEV_INFO;
	ro.today = g->today;
	ro.cache = g->cache;
	ed_buf_addf(&a, "env:%s", ea);
	ed_buf_addf(&b, "env:%s", eb);
	rc = differ_run(&r, g->st, g->rules, a.ptr, b.ptr, &ro, err);
	if (!rc)
		keep(g, &r);
	ed_buf_release(&a);
	ed_buf_release(&b);
	return rc;
}

/* The operands themselves, labelled as typed. */
static int compare_operands(struct gate *g, struct ed_err *err)
{
	struct differ_run_opts ro;
	struct drift_report r;
	int rc;

	memset(&ro, 0, sizeof(ro));
	ro.today = g->today;
	ro.cache = g->cache;
	rc = differ_run(&r, g->st, g->rules, g->opts->operands[0],
			g->opts->operands[1], &ro, err);
	if (!rc)
		keep(g, &r);
	return rc;
}

/*
 * 0 when env has hosts at the tip, else (a typo, or an environment not
 * scanned yet) ED_ENOTFOUND, or with missing_env_ok 1 after a note.
 */
static int missing_env(struct gate *g, const struct baseline_rule *pe,
		       const char *env, struct ed_err *err)
{
	if (ed_strvec_contains(&g->envs, env))
		return 0;
	if (!g->opts->missing_env_ok)
		return ed_err_set(err, ED_ENOTFOUND,
				  "%s: parity environment '%s' has no host in the state repository",
				  pe->loc, env);
	ed_strvec_pushf(&g->out->notes,
			"%s: parity environment '%s' has no host in the state repository: not compared",
			pe->loc, env);
	return 1;
}

/* A parity entry: its first environment against each other one. */
static int check_parity(struct gate *g, const struct baseline_rule *pe,
			struct ed_err *err)
{
	size_t k;
	int rc = pe->envs.nr ? missing_env(g, pe, pe->envs.v[0], err) : 0;

	for (k = 1; !rc && k < pe->envs.nr; k++) {
		rc = missing_env(g, pe, pe->envs.v[k], err);
		if (!rc)
			rc = compare_envs(g, pe->envs.v[0], pe->envs.v[k], pe,
					  err);
		else if (rc > 0)
			rc = 0; /* noted: the other pairs still count */
	}
	return rc < 0 ? rc : 0;
}

/* The environments that have hosts at the tip into g->envs. */
static int load_envs(struct gate *g, struct ed_err *err)
{
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	size_t n = 0, i;
	int rc = store_view_open(&v, g->st, NULL, err);

	if (!rc)
		rc = store_view_hosts(v, &h, &n, err);
	for (i = 0; !rc && i < n; i++)
		ed_strvec_push(&g->envs, h[i].env);
	ed_strvec_sort_unique(&g->envs);
	store_hosts_free(h, n);
	store_view_free(v);
	return rc;
}

/* Every pair of environments, for a report without parity entries. */
static int all_pairs(struct gate *g, struct ed_err *err)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; !rc && i < g->envs.nr; i++)
		for (j = i + 1; !rc && j < g->envs.nr; j++)
			rc = compare_envs(g, g->envs.v[i], g->envs.v[j], NULL,
					  err);
	return rc;
}

/*
 * A STALE item for h, not collected within max_age. A shallow clone's
 * host collected only before its history starts is stale too, as its age
 * is unknown; recent_cut says that start is itself within max_age (the
 * clone is too shallow to tell, e.g. --depth 1).
 */
static void add_stale(struct drift_report *r, const struct store_host *h,
		      int recent_cut)
{
	struct drift_item *it =
		drift_report_add(r, "hosts", h->host, NULL, DRIFT_STALE);
	char when[32];
	time_t t = (time_t)h->last_success;
	struct tm tm;
	struct ed_buf d = ED_BUF_INIT;

	if (h->not_seen_since)
		t = (time_t)h->not_seen_since; /* a shallow clone's history */
	if ((!h->last_success && !h->not_seen_since) || !gmtime_r(&t, &tm) ||
	    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(when, "never");
	if (h->not_seen_since && recent_cut)
		ed_buf_addf(&d,
			    "not seen since %s (the history fetched starts there): this clone is too shallow to show a collection within --max-age",
			    when);
	else if (h->not_seen_since)
		ed_buf_addf(&d,
			    "not seen since %s (the history fetched starts there), older than --max-age",
			    when);
	else
		ed_buf_addf(&d, "last collected %s, older than --max-age", when);
	if (h->failure)
		ed_buf_addf(&d, "; the last scan failed: %s", h->failure);
	if (h->shard) {
		ed_buf_addf(&d, "; by shard %s", h->shard);
		it->shard = ed_xstrdup(h->shard);
	}
	it->detail = ed_buf_detach(&d, NULL);
	it->host = ed_xstrdup(h->host);
	it->severity = SEV_CRITICAL;
}

/* Pins on every host at the tip, and hosts older than max_age. */
static int check_hosts(struct gate *g, struct ed_err *err)
{
	const struct differ_gate_opts *o = g->opts;
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	struct differ_host *dh = NULL;
	const struct differ_host **ptrs = NULL;
	struct drift_report r;
	size_t n = 0, i, loaded = 0;
	long long now = (long long)time(NULL);
	int rc, need_hosts;

	drift_report_init(&r, "baseline",
			  o->baseline ? o->baseline : "(built-in rules)");
	rc = store_view_open(&v, g->st, NULL, err);
	if (!rc)
		rc = store_hosts(g->st, &h, &n, err);
	if (rc < 0)
		goto out;
	r.commits[0] = ed_xstrdup(store_view_commit(v));
	r.hosts = n;
	dh = ed_xcalloc(n + 1, sizeof(*dh));
	ptrs = ed_xcalloc(n + 1, sizeof(*ptrs));
	/* every host's facts: for pins, and for toggles unchanged for long */
	need_hosts = g->rules && g->rules->pins.nr > 0;
	for (i = 0; !need_hosts && o->toggle_days >= 0 && i < n; i++) {
		unsigned char id[20];

		need_hosts = !store_view_file_id(v, h[i].env, h[i].host,
						 "toggles", id);
	}
	for (i = 0; i < n; i++) {
		/* a host only a failed scan names has no facts to load */
		if (need_hosts && h[i].last_commit[0]) {
			rc = differ_host_load_view(&dh[loaded], g->cache, v,
						   h[i].env, h[i].host, err);
			if (rc < 0)
				goto out;
			ptrs[loaded] = &dh[loaded];
			loaded++;
		}
		if (o->max_age >= 0 && now - h[i].last_success > o->max_age)
			add_stale(&r, &h[i],
				  h[i].not_seen_since &&
					  now - h[i].not_seen_since <= o->max_age);
	}
	differ_rules_pins(g->rules, &r, ptrs, loaded);
	rc = differ_since(&r, g->st, g->rules, ptrs, loaded, NULL, 0,
			  DIFFER_SINCE_MAX_SCANS, err);
	if (!rc && loaded && o->toggle_days >= 0)
		rc = differ_stale_toggles(&r, g->st, ptrs, loaded,
					  (unsigned)o->toggle_days, err);
	if (!rc) {
		differ_rules_apply(g->rules, &r, g->today);
		keep(g, &r);
	}
out:
	for (i = 0; i < loaded; i++)
		differ_host_release(&dh[i]);
	free(dh);
	free(ptrs);
	store_hosts_free(h, n);
	store_view_free(v);
	drift_report_release(&r);
	return rc;
}

/*
 * Pins and stale hosts are about single hosts, not the operands: fold that
 * report into the first parity report, so the common baseline (one parity
 * entry) gives one report that every format can carry.
 */
static void fold_hosts_report(struct differ_gate *o)
{
	struct drift_report *first, *last;
	size_t i;

	if (o->nr < 2)
		return;
	first = &o->reports[0];
	last = &o->reports[o->nr - 1];
	for (i = 0; i < last->nr; i++) {
		struct drift_item *it =
			drift_report_add(first, "", "", NULL, DRIFT_PIN);

		drift_item_release(it);
		*it = last->items[i];
	}
	last->nr = 0;
	for (i = 0; i < last->notes.nr; i++)
		ed_strvec_push(&first->notes, last->notes.v[i]);
	ed_strvec_sort_unique(&first->notes);
	drift_report_release(last);
	o->nr--;
}

int differ_gate_run(struct differ_gate *out, struct store *st,
		    const struct baseline *rules,
		    const struct differ_gate_opts *opts, struct ed_err *err)
{
	struct gate g;
	size_t nparity = rules ? rules->parity.nr : 0, p;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.out = out;
	g.st = st;
	g.rules = rules;
	g.opts = opts;
	g.cache = differ_fact_cache_new();
	differ_today(g.today);
	if (!opts->operands[0] && (nparity || opts->every_pair))
		rc = load_envs(&g, err);
	if (!rc && opts->operands[0])
		rc = compare_operands(&g, err);
	else if (!rc && !nparity && opts->every_pair)
		rc = all_pairs(&g, err);
	for (p = 0; !rc && !opts->operands[0] && p < nparity; p++)
		rc = check_parity(&g, &rules->parity.v[p], err);
	if (!rc)
		rc = check_hosts(&g, err);
	if (!rc)
		fold_hosts_report(out);
	if (rc < 0)
		differ_gate_release(out);
	/* the reports copied what they keep: the hosts' strings can go */
	differ_fact_cache_free(g.cache);
	ed_strvec_release(&g.envs);
	return rc;
}

void differ_gate_release(struct differ_gate *g)
{
	size_t i;

	for (i = 0; i < g->nr; i++)
		drift_report_release(&g->reports[i]);
	free(g->reports);
	ed_strvec_release(&g->notes);
	memset(g, 0, sizeof(*g));
}

size_t differ_gate_stale(const struct differ_gate *g)
{
	size_t i, j, n = 0;

	for (i = 0; i < g->nr; i++)
		for (j = 0; j < g->reports[i].nr; j++)
			n += g->reports[i].items[j].kind == DRIFT_STALE &&
			     !g->reports[i].items[j].waived;
	return n;
}

int differ_gate_failing(const struct differ_gate *g, enum drift_severity fail_on)
{
	size_t i;

	for (i = 0; i < g->nr; i++)
		if (drift_report_failing(&g->reports[i], fail_on))
			return 1;
	return 0;
}
