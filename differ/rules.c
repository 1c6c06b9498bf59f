/*
 * Applying a baseline: which rules match a fact, the severities and
 * waivers they give the items of a report, pins checked on hosts, and
 * "envdrift explain". Facts are named "collector:key"; patterns are globs
 * ('*' and '?' stop at '/', '**' crosses it), and where several rules
 * match, the last one wins, as in .gitignore.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/glob.h"
#include "differ/internal.h"

static int matches(const char *pattern, const char *collector, const char *key)
{
	struct ed_buf name = ED_BUF_INIT;
	int m;

	ed_buf_addf(&name, "%s:%s", collector, key);
	m = ed_glob_match(pattern, name.ptr, '/');
	ed_buf_release(&name);
	return m;
}

/* The last ignore rule matching, or NULL; *ignored says its verdict. */
static const struct baseline_rule *ignore_rule(const struct baseline *r,
					       const char *collector,
					       const char *key, int *ignored)
{
	const struct baseline_rule *last = NULL;
	size_t i;

	*ignored = 0;
	for (i = 0; r && i < r->ignore.nr; i++)
		if (matches(r->ignore.v[i].pattern, collector, key)) {
			last = &r->ignore.v[i];
			*ignored = !last->negate;
		}
	return last;
}

int differ_rules_per_host(const struct baseline *r, const char *collector,
			  const char *key)
{
	int per_host = 0;
	size_t i;

	for (i = 0; r && i < r->per_host.nr; i++)
		if (matches(r->per_host.v[i].pattern, collector, key))
			per_host = !r->per_host.v[i].negate;
	return per_host;
}

int differ_rules_ignored(const struct baseline *r, const char *collector,
			 const char *key)
{
	int ignored;

	ignore_rule(r, collector, key, &ignored);
	return ignored;
}

static const struct baseline_rule *
severity_rule(const struct baseline *r, const char *collector, const char *key)
{
	const struct baseline_rule *last = NULL;
	size_t i;

	for (i = 0; r && i < r->severity.nr; i++)
		if (matches(r->severity.v[i].pattern, collector, key))
			last = &r->severity.v[i];
	return last;
}

/* The item's hosts' environments and names, for waiver scopes. */
static int waiver_scope_ok(const struct baseline_rule *w,
			   const struct drift_item *it,
			   const struct drift_report *rep)
{
	size_t i;

	if (w->host) {
		if (it->host && !strcmp(it->host, w->host))
			return 1;
		for (i = 0; i < it->hosts.nr; i++) {
			const char *tab = strchr(it->hosts.v[i], '\t');

			if (tab && !strcmp(tab + 1, w->host))
				return 1;
		}
		return 0;
	}
	if (w->env) {
		/* an operand naming the environment, or a host item tagged with it */
		for (i = 0; i < 2; i++)
			if (!strncmp(rep->operands[i], w->env, strlen(w->env)) &&
			    (rep->operands[i][strlen(w->env)] == '\0' ||
			     rep->operands[i][strlen(w->env)] == '@'))
				return 1;
		return 0;
	}
	return 1;
}

void differ_rules_apply(const struct baseline *r, struct drift_report *rep,
			const char *today)
{
	size_t i, j;

	for (i = 0; i < rep->nr; i++) {
		struct drift_item *it = &rep->items[i];
		const struct baseline_rule *s =
			severity_rule(r, it->collector, it->key);

		if (s && it->kind != DRIFT_PIN) {
			it->severity = s->sev;
			free(it->rule);
			it->rule = ed_xstrdup(s->loc);
		}
		for (j = 0; r && j < r->waivers.nr; j++) {
			const struct baseline_rule *w = &r->waivers.v[j];
			struct ed_buf b = ED_BUF_INIT;

			if (!matches(w->pattern, it->collector, it->key) ||
			    !waiver_scope_ok(w, it, rep))
				continue;
			if (strcmp(w->expires, today) < 0) {
				ed_strvec_pushf(&rep->notes,
						"waiver %s for %s:%s expired on %s: the drift counts again",
						w->loc, it->collector, it->key,
						w->expires);
				continue;
			}
			it->waived = 1;
			free(it->waiver);
			ed_buf_addf(&b, "%s: %s (until %s)", w->loc, w->reason,
				    w->expires);
			it->waiver = ed_buf_detach(&b, NULL);
		}
	}
	ed_strvec_sort_unique(&rep->notes);
}

static void differ_pin_violation(struct drift_report *rep, const char *pattern,
				 const char *op, const char *value,
				 enum drift_severity sev, const char *loc,
				 const struct differ_host *h, const char *key,
				 const char *have);

/* Numbers compare as numbers, packages by version, the rest as strings. */
static int pin_compare(const char *collector, const char *mgr, const char *have,
		       const char *want)
{
	char *end1, *end2;
	long long a, b;

	if (!strcmp(collector, "packages")) {
		char *v = ed_xstrndup(have, strcspn(have, " "));
		enum pkg_manager m = mgr && !strcmp(mgr, "rpm") ? PKG_RPM :
				     mgr && !strcmp(mgr, "apk") ? PKG_APK :
								  PKG_DPKG;
		int c = vercmp(m, v, want);

		free(v);
		return c;
	}
	a = strtoll(have, &end1, 10);
	b = strtoll(want, &end2, 10);
	if (*have && *want && !*end1 && !*end2)
		return a < b ? -1 : a > b;
	return strcmp(have, want);
}

static int pin_holds(const struct baseline_rule *p, const char *collector,
		     const char *mgr, const char *have)
{
	int c;

	if (!strcmp(p->op, "present"))
		return have != NULL;
	if (!strcmp(p->op, "absent"))
		return have == NULL;
	if (!have)
		return 0;
	c = pin_compare(collector, mgr, have, p->value);
	if (!strcmp(p->op, "="))
		return c == 0;
	if (!strcmp(p->op, "!="))
		return c != 0;
	if (!strcmp(p->op, ">="))
		return c >= 0;
	if (!strcmp(p->op, "<="))
		return c <= 0;
	if (!strcmp(p->op, ">"))
		return c > 0;
	return c < 0;
}

void differ_rules_pins(const struct baseline *r, struct drift_report *rep,
		       const struct differ_host *const *hosts, size_t n)
{
	size_t i, p, f;

	for (p = 0; r && p < r->pins.nr; p++) {
		const struct baseline_rule *pin = &r->pins.v[p];
		const char *colon = strchr(pin->pattern, ':');
		char *collector = ed_xstrndup(pin->pattern,
					      (size_t)(colon - pin->pattern));
		int has_glob = strpbrk(colon + 1, "*?[") != NULL;

		for (i = 0; i < n; i++) {
			const struct differ_host *h = hosts[i];
			int seen = 0;

			if (ed_strvec_contains(&h->uncollected, collector))
				continue; /* unknown is not a violation */
			for (f = 0; f < h->nr_facts; f++) {
				const struct fact *fa = h->facts[f];

				if (strcmp(fa->collector, collector) ||
				    !matches(pin->pattern, fa->collector, fa->key))
					continue;
				seen = 1;
				if (!pin_holds(pin, collector, h->pkg_manager,
					       fa->value))
					differ_pin_violation(rep, pin->pattern,
							     pin->op, pin->value,
							     pin->sev, pin->loc,
							     h, fa->key,
							     fa->value);
			}
			/* nothing matched: only "absent" holds (a glob with no match is absence) */
			if (!seen && strcmp(pin->op, "absent") &&
			    (!has_glob || !strcmp(pin->op, "present")))
				differ_pin_violation(rep, pin->pattern, pin->op,
						     pin->value, pin->sev,
						     pin->loc, h, colon + 1,
						     NULL);
		}
		free(collector);
	}
}

static void differ_pin_violation(struct drift_report *rep, const char *pattern,
				 const char *op, const char *value,
				 enum drift_severity sev, const char *loc,
				 const struct differ_host *h, const char *key,
				 const char *have)
{
	const char *colon = strchr(pattern, ':');
	char *collector = ed_xstrndup(pattern, (size_t)(colon - pattern));
	struct drift_item *it =
		drift_report_add(rep, collector, key, NULL, DRIFT_PIN);
	struct ed_buf d = ED_BUF_INIT;

	ed_buf_addf(&d, "%s %s%s%s", pattern, op, value ? " " : "",
		    value ? value : "");
	it->detail = ed_buf_detach(&d, NULL);
	it->severity = sev;
	it->rule = ed_xstrdup(loc);
	it->host = ed_xstrdup(h->host);
	it->host_value = have ? ed_xstrdup(have) : NULL;
	ed_strvec_pushf(&it->hosts, "%s\t%s", have ? have : "(absent)", h->host);
	free(collector);
}

enum baseline_expect differ_rules_expect(const struct baseline *r,
					 const char *collector, const char *key,
					 const struct ed_strvec **envs,
					 const char **loc)
{
	const struct baseline_rule *last = NULL;
	size_t i;

	for (i = 0; r && i < r->expect.nr; i++)
		if (matches(r->expect.v[i].pattern, collector, key))
			last = &r->expect.v[i];
	if (!last)
		return EXPECT_NONE;
	if (envs)
		*envs = &last->envs;
	if (loc)
		*loc = last->loc;
	return last->mode;
}

void differ_rules_explain(const struct baseline *r, const char *collector,
			  const char *key, const char *today,
			  struct ed_strvec *out)
{
	const struct baseline_rule *ru;
	int ignored;
	size_t i;

	ru = ignore_rule(r, collector, key, &ignored);
	if (ru)
		ed_strvec_pushf(out, "%s: %s %s:%s (%s%s)", ru->loc,
				ignored ? "ignores" : "re-includes", collector,
				key, ru->negate ? "!" : "", ru->pattern);
	else
		ed_strvec_pushf(out, "compared: no ignore rule matches %s:%s",
				collector, key);
	for (i = 0; r && i < r->per_host.nr; i++)
		if (matches(r->per_host.v[i].pattern, collector, key))
			ed_strvec_pushf(out, "%s: %s %s:%s (%s%s)",
					r->per_host.v[i].loc,
					r->per_host.v[i].negate ?
						"not per host:" :
						"per host, compared only with the same host over time:",
					collector, key,
					r->per_host.v[i].negate ? "!" : "",
					r->per_host.v[i].pattern);
	ru = severity_rule(r, collector, key);
	if (ru)
		ed_strvec_pushf(out, "%s: severity %s (%s)", ru->loc,
				drift_severity_name(ru->sev), ru->pattern);
	else
		ed_strvec_pushf(
			out,
			"severity warning (the default: no severity rule matches)");
	for (i = 0; r && i < r->pins.nr; i++)
		if (matches(r->pins.v[i].pattern, collector, key))
			ed_strvec_pushf(out, "%s: pinned: %s %s%s%s (%s)",
					r->pins.v[i].loc, r->pins.v[i].pattern,
					r->pins.v[i].op,
					r->pins.v[i].value ? " " : "",
					r->pins.v[i].value ? r->pins.v[i].value :
							     "",
					drift_severity_name(r->pins.v[i].sev));
	for (i = 0; r && i < r->expect.nr; i++)
		if (matches(r->expect.v[i].pattern, collector, key))
			ed_strvec_pushf(out, "%s: expected to differ %s (%s)",
					r->expect.v[i].loc,
					r->expect.v[i].mode == EXPECT_ALWAYS ?
						"on every host" :
					r->expect.v[i].mode == EXPECT_MEMORY ?
						"where memory differs" :
						"between the environments named",
					r->expect.v[i].pattern);
	for (i = 0; r && i < r->waivers.nr; i++) {
		const struct baseline_rule *w = &r->waivers.v[i];

		if (!matches(w->pattern, collector, key))
			continue;
		ed_strvec_pushf(out, "%s: waived%s%s%s%s until %s%s: %s",
				w->loc, w->env ? " in " : "",
				w->env ? w->env : "", w->host ? " on " : "",
				w->host ? w->host : "", w->expires,
				strcmp(w->expires, today) < 0 ? " (expired)" : "",
				w->reason);
	}
}

void differ_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

const char *const *differ_collectors(void)
{
	/* the snapshot files facts are read from (facts.c), meta aside */
	static const char *const names[] = {
		"files",    "identity", "kernel", "os-release",
		"packages", "services", "sysctl", "sysctl-per-host",
		"toggles",  NULL,
	};

	return names;
}
