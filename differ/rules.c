/*
 * Baselines: the comparison rules. The built-in baselines/diff-defaults.yaml
 * comes first, then a --baseline file, then its waivers file beside it
 * (BASE.waivers.yaml, which "envdrift accept" appends to). Every rule keeps
 * its file:line so "envdrift explain" and the reports can say which rule
 * decided. Facts are named "collector:key"; patterns are globs ('*' and '?'
 * stop at '/', '**' crosses it), and where several rules match, the last
 * one wins, as in .gitignore.
 */
#include "differ/differ.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/glob.h"
#include "core/yaml.h"
#include "differ/internal.h"

struct rule {
	char *pattern;          /* "collector:key" glob */
	int negate;             /* ignore: "!pattern" */
	enum drift_severity sev;
	char *op, *value;       /* pins */
	char *reason, *expires, *env, *host; /* waivers */
	struct ed_strvec roles, envs;        /* parity */
	int has_sev;            /* parity: severity given */
	enum differ_expect mode; /* expect */
	char *loc;              /* "file:line" */
};

struct rule_list {
	struct rule *v;
	size_t nr, alloc;
};

struct differ_rules {
	struct rule_list ignore, severity, pins, parity, waivers, expect;
	char *waivers_path;     /* where accept appends; NULL without a baseline */
};

static struct rule *add_rule(struct rule_list *l, const char *file,
			     const struct ed_ynode *at)
{
	struct rule *r;
	struct ed_buf loc = ED_BUF_INIT;

	ED_ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	r = &l->v[l->nr++];
	memset(r, 0, sizeof(*r));
	ed_buf_addf(&loc, "%s:%zu", file, at->line);
	r->loc = ed_buf_detach(&loc, NULL);
	r->sev = SEV_WARNING;
	return r;
}

static void free_list(struct rule_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		struct rule *r = &l->v[i];

		free(r->pattern);
		free(r->op);
		free(r->value);
		free(r->reason);
		free(r->expires);
		free(r->env);
		free(r->host);
		free(r->loc);
		ed_strvec_release(&r->roles);
		ed_strvec_release(&r->envs);
	}
	free(l->v);
}

static int bad(struct ed_err *err, const char *file, const struct ed_ynode *n,
	       const char *what)
{
	return ed_err_set(err, ED_EPARSE, "%s:%zu:%zu: %s", file, n->line,
			  n->col, what);
}

static int parse_severity(enum drift_severity *out, const char *s)
{
	if (!strcmp(s, "critical"))
		*out = SEV_CRITICAL;
	else if (!strcmp(s, "warning"))
		*out = SEV_WARNING;
	else if (!strcmp(s, "info"))
		*out = SEV_INFO;
	else
		return -1;
	return 0;
}

/* A "collector:key" glob. */
static int want_fact_pattern(const char *file, const struct ed_ynode *n,
			     const char *what, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	const char *p;
	int rc = 0;

	if (n->type != ED_YSCALAR || !n->len) {
		ed_buf_addf(&b, "%s: want a \"collector:key\" glob", what);
		rc = bad(err, file, n, b.ptr);
	} else {
		p = n->str[0] == '!' ? n->str + 1 : n->str;
		if (!strchr(p, ':')) {
			ed_buf_addf(&b, "%s: '%s' names no collector (want \"collector:key\")",
				    what, n->str);
			rc = bad(err, file, n, b.ptr);
		}
	}
	ed_buf_release(&b);
	return rc;
}

static int want_seq(const char *file, const struct ed_ynode *n, const char *what,
		    struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	int rc;

	if (n->type == ED_YSEQ)
		return 0;
	ed_buf_addf(&b, "%s: want a list", what);
	rc = bad(err, file, n, b.ptr);
	ed_buf_release(&b);
	return rc;
}

static int read_ignore(struct differ_rules *r, const char *file,
		       const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "ignore", err);

	for (i = 0; !rc && i < n->nr; i++) {
		struct rule *ru;

		rc = want_fact_pattern(file, n->kids[i], "ignore", err);
		if (rc)
			break;
		ru = add_rule(&r->ignore, file, n->kids[i]);
		ru->negate = n->kids[i]->str[0] == '!';
		ru->pattern = ed_xstrdup(n->kids[i]->str + ru->negate);
	}
	return rc;
}

/* severity: {packages: critical, "files:/etc/ssh/STARSTAR": critical} */
static int read_severity(struct differ_rules *r, const char *file,
			 const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;

	if (n->type != ED_YMAP)
		return bad(err, file, n, "severity: want a mapping of collector or \"collector:key\" glob to critical, warning or info");
	for (i = 0; i + 1 < n->nr; i += 2) {
		const struct ed_ynode *k = n->kids[i], *v = n->kids[i + 1];
		struct rule *ru;
		enum drift_severity sev;

		if (v->type != ED_YSCALAR || parse_severity(&sev, v->str) < 0)
			return bad(err, file, v, "severity: want critical, warning or info");
		ru = add_rule(&r->severity, file, k);
		ru->sev = sev;
		/* a bare collector name covers all its keys */
		if (strchr(k->str, ':')) {
			ru->pattern = ed_xstrdup(k->str);
		} else {
			struct ed_buf b = ED_BUF_INIT;

			ed_buf_addf(&b, "%s:**", k->str);
			ru->pattern = ed_buf_detach(&b, NULL);
		}
	}
	return 0;
}

static const char *const pin_ops[] = { ">=", "<=", "!=", "=", ">", "<", NULL };

/* pins: ["packages:openssl:amd64 >= 3.0.15", "sysctl:net.ipv4.ip_forward = 0",
 *        "packages:telnetd:* absent", {pin: "...", severity: critical}] */
static int read_pins(struct differ_rules *r, const char *file,
		     const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "pins", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *text = it, *sev = NULL;
		struct rule *ru;
		const char *s, *sp;
		size_t j;

		if (it->type == ED_YMAP) {
			text = ed_ymap_get(it, "pin");
			sev = ed_ymap_get(it, "severity");
			if (!text)
				return bad(err, file, it, "pins: an entry written as a mapping needs 'pin'");
		}
		if (text->type != ED_YSCALAR)
			return bad(err, file, text, "pins: want \"collector:key OP VALUE\", \"... present\" or \"... absent\"");
		s = text->str;
		sp = strchr(s, ' ');
		if (!sp || !memchr(s, ':', (size_t)(sp - s)))
			return bad(err, file, text, "pins: want \"collector:key OP VALUE\", \"... present\" or \"... absent\"");
		ru = add_rule(&r->pins, file, text);
		ru->pattern = ed_xstrndup(s, (size_t)(sp - s));
		while (*sp == ' ')
			sp++;
		if (!strcmp(sp, "present") || !strcmp(sp, "absent")) {
			ru->op = ed_xstrdup(sp);
		} else {
			for (j = 0; pin_ops[j]; j++)
				if (!strncmp(sp, pin_ops[j], strlen(pin_ops[j])))
					break;
			if (!pin_ops[j])
				return bad(err, file, text, "pins: the operator must be one of = != >= > <= < present absent");
			ru->op = ed_xstrdup(pin_ops[j]);
			sp += strlen(pin_ops[j]);
			while (*sp == ' ')
				sp++;
			if (!*sp)
				return bad(err, file, text, "pins: the value is missing");
			ru->value = ed_xstrdup(sp);
		}
		ru->sev = SEV_CRITICAL; /* a broken pin is what gates a deploy */
		if (sev && (sev->type != ED_YSCALAR || parse_severity(&ru->sev, sev->str) < 0))
			return bad(err, file, sev, "pins: severity: want critical, warning or info");
	}
	return rc;
}

static int read_strlist(struct ed_strvec *out, const char *file,
			const struct ed_ynode *n, const char *what,
			struct ed_err *err)
{
	size_t i;

	if (n->type == ED_YSCALAR) {
		ed_strvec_push(out, n->str);
		return 0;
	}
	if (want_seq(file, n, what, err))
		return ED_EPARSE;
	for (i = 0; i < n->nr; i++) {
		if (n->kids[i]->type != ED_YSCALAR)
			return bad(err, file, n->kids[i], "want a name");
		ed_strvec_push(out, n->kids[i]->str);
	}
	return 0;
}

/* parity: [{environments: [staging, prod], roles: [web], severity: warning}] */
static int read_parity(struct differ_rules *r, const char *file,
		       const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "parity", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *v;
		struct rule *ru;

		if (it->type != ED_YMAP)
			return bad(err, file, it, "parity: want {environments: [...], roles: [...]}");
		ru = add_rule(&r->parity, file, it);
		v = ed_ymap_get(it, "environments");
		if (!v)
			return bad(err, file, it, "parity: 'environments' is missing");
		rc = read_strlist(&ru->envs, file, v, "parity: environments", err);
		if (!rc && ru->envs.nr < 2)
			rc = bad(err, file, v, "parity: name at least two environments");
		v = ed_ymap_get(it, "roles");
		if (!rc && v)
			rc = read_strlist(&ru->roles, file, v, "parity: roles", err);
		v = ed_ymap_get(it, "severity");
		if (!rc && v && (v->type != ED_YSCALAR ||
				 parse_severity(&ru->sev, v->str) < 0))
			rc = bad(err, file, v, "parity: severity: want critical, warning or info");
		ru->has_sev = v != NULL;
	}
	return rc;
}

/*
 * expect: [{key: GLOB, differs: always | with-memory | between, environments: [A, B]}]
 * always: every host must have its own value (equal values are drift);
 * with-memory: may differ where the hosts' installed memory differs;
 * between: may differ between the environments named.
 */
static int read_expect(struct differ_rules *r, const char *file,
		       const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "expect", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *k, *d, *e;
		struct rule *ru;

		if (it->type != ED_YMAP)
			return bad(err, file, it, "expect: want {key, differs[, environments]}");
		k = ed_ymap_get(it, "key");
		d = ed_ymap_get(it, "differs");
		if (!k || !d)
			return bad(err, file, it, "expect: every entry needs key and differs");
		rc = want_fact_pattern(file, k, "expect: key", err);
		if (rc)
			break;
		ru = add_rule(&r->expect, file, it);
		ru->pattern = ed_xstrdup(k->str);
		if (d->type == ED_YSCALAR && !strcmp(d->str, "always"))
			ru->mode = EXPECT_ALWAYS;
		else if (d->type == ED_YSCALAR && !strcmp(d->str, "with-memory"))
			ru->mode = EXPECT_MEMORY;
		else if (d->type == ED_YSCALAR && !strcmp(d->str, "between"))
			ru->mode = EXPECT_BETWEEN;
		else
			return bad(err, file, d, "expect: differs: want always, with-memory or between");
		e = ed_ymap_get(it, "environments");
		if (ru->mode == EXPECT_BETWEEN) {
			if (!e)
				return bad(err, file, it, "expect: differs: between needs environments: [A, B]");
			rc = read_strlist(&ru->envs, file, e, "expect: environments", err);
			if (!rc && ru->envs.nr < 2)
				rc = bad(err, file, e, "expect: name at least two environments");
		}
	}
	return rc;
}

static int valid_date(const char *s)
{
	int y, m, d;
	char tail;

	return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
	       m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* waivers: [{key: "sysctl:vm.swappiness", reason: "...", expires: 2027-01-31, env: prod, host: h}] */
static int read_waivers(struct differ_rules *r, const char *file,
			const struct ed_ynode *n, struct ed_err *err)
{
	static const char *const keys[] = { "key", "reason", "expires", "env", "host", NULL };
	size_t i, j;
	int rc = want_seq(file, n, "waivers", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *k, *reason, *exp, *v;
		struct rule *ru;

		if (it->type != ED_YMAP)
			return bad(err, file, it, "waivers: want {key, reason, expires[, env][, host]}");
		for (j = 0; j + 1 < it->nr; j += 2) {
			size_t x;

			for (x = 0; keys[x] && strcmp(keys[x], it->kids[j]->str); x++)
				;
			if (!keys[x])
				return bad(err, file, it->kids[j], "waivers: unknown key (want key, reason, expires, env, host)");
		}
		k = ed_ymap_get(it, "key");
		reason = ed_ymap_get(it, "reason");
		exp = ed_ymap_get(it, "expires");
		if (!k || !reason || !exp)
			return bad(err, file, it, "waivers: every waiver needs key, reason and expires");
		rc = want_fact_pattern(file, k, "waivers: key", err);
		if (rc)
			break;
		if (exp->type != ED_YSCALAR || !valid_date(exp->str))
			return bad(err, file, exp, "waivers: expires: want a date YYYY-MM-DD");
		if (reason->type != ED_YSCALAR || !reason->len)
			return bad(err, file, reason, "waivers: reason: say why this drift is accepted");
		ru = add_rule(&r->waivers, file, it);
		ru->pattern = ed_xstrdup(k->str);
		ru->reason = ed_xstrdup(reason->str);
		ru->expires = ed_xstrdup(exp->str);
		v = ed_ymap_get(it, "env");
		if (v && v->type == ED_YSCALAR)
			ru->env = ed_xstrdup(v->str);
		v = ed_ymap_get(it, "host");
		if (v && v->type == ED_YSCALAR)
			ru->host = ed_xstrdup(v->str);
	}
	return rc;
}

static int apply(struct differ_rules *r, const char *buf, size_t len,
		 const char *file, int waivers_only, struct ed_err *err)
{
	static const char *const known[] = { "ignore", "severity", "pins",
					     "parity", "waivers", "expect", NULL };
	struct ed_ynode *doc = NULL;
	size_t i, j;
	int rc;

	rc = ed_yaml_load(&doc, buf, len, file, err);
	if (rc < 0)
		return rc;
	if (doc->type != ED_YMAP) {
		rc = bad(err, file, doc, "want a mapping");
		goto out;
	}
	for (i = 0; !rc && i + 1 < doc->nr; i += 2) {
		const struct ed_ynode *k = doc->kids[i], *v = doc->kids[i + 1];

		for (j = 0; known[j] && strcmp(known[j], k->str); j++)
			;
		if (!known[j] || (waivers_only && j != 4)) {
			struct ed_buf b = ED_BUF_INIT;

			ed_buf_addf(&b, "'%s' is not a baseline key (want %s)", k->str,
				    waivers_only ? "waivers" :
				    "ignore, severity, pins, parity, waivers, expect");
			rc = bad(err, file, k, b.ptr);
			ed_buf_release(&b);
			break;
		}
		if (v->type == ED_YSCALAR && !v->len)
			continue; /* "waivers:" with nothing yet */
		switch (j) {
		case 0:
			rc = read_ignore(r, file, v, err);
			break;
		case 1:
			rc = read_severity(r, file, v, err);
			break;
		case 2:
			rc = read_pins(r, file, v, err);
			break;
		case 3:
			rc = read_parity(r, file, v, err);
			break;
		case 4:
			rc = read_waivers(r, file, v, err);
			break;
		default:
			rc = read_expect(r, file, v, err);
			break;
		}
	}
out:
	ed_ynode_free(doc);
	return rc;
}

void differ_waivers_path(struct ed_buf *out, const char *baseline)
{
	size_t len = strlen(baseline);

	if (len > 5 && !strcmp(baseline + len - 5, ".yaml"))
		len -= 5;
	else if (len > 4 && !strcmp(baseline + len - 4, ".yml"))
		len -= 4;
	ed_buf_add(out, baseline, len);
	ed_buf_adds(out, ".waivers.yaml");
}

int differ_rules_load(struct differ_rules **out, const char *baseline,
		      struct ed_err *err)
{
	struct differ_rules *r = ed_xcalloc(1, sizeof(*r));
	const struct ed_embedded *e = ed_embedded_find("diff-defaults.yaml");
	struct ed_buf b = ED_BUF_INIT, wpath = ED_BUF_INIT;
	int rc;

	*out = NULL;
	rc = e ? apply(r, e->data, e->len, "diff-defaults.yaml", 0, err)
	       : ED_ERROR;
	if (!e)
		ED_BUG("built-in diff-defaults.yaml missing");
	if (!rc && baseline) {
		rc = ed_buf_read_file(&b, baseline, 4 << 20, err);
		if (!rc)
			rc = apply(r, b.ptr, b.len, baseline, 0, err);
		differ_waivers_path(&wpath, baseline);
		r->waivers_path = ed_xstrdup(wpath.ptr);
		ed_buf_reset(&b);
		if (!rc) {
			rc = ed_buf_read_file(&b, wpath.ptr, 4 << 20, err);
			if (rc == ED_ENOTFOUND)
				rc = 0;
			else if (!rc)
				rc = apply(r, b.ptr, b.len, wpath.ptr, 1, err);
		}
	}
	ed_buf_release(&b);
	ed_buf_release(&wpath);
	if (rc < 0) {
		differ_rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void differ_rules_free(struct differ_rules *r)
{
	if (!r)
		return;
	free_list(&r->ignore);
	free_list(&r->severity);
	free_list(&r->pins);
	free_list(&r->parity);
	free_list(&r->waivers);
	free_list(&r->expect);
	free(r->waivers_path);
	free(r);
}

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
static const struct rule *ignore_rule(const struct differ_rules *r,
				      const char *collector, const char *key,
				      int *ignored)
{
	const struct rule *last = NULL;
	size_t i;

	*ignored = 0;
	for (i = 0; r && i < r->ignore.nr; i++)
		if (matches(r->ignore.v[i].pattern, collector, key)) {
			last = &r->ignore.v[i];
			*ignored = !last->negate;
		}
	return last;
}

int differ_rules_ignored(const struct differ_rules *r, const char *collector,
			 const char *key)
{
	int ignored;

	ignore_rule(r, collector, key, &ignored);
	return ignored;
}

static const struct rule *severity_rule(const struct differ_rules *r,
					const char *collector, const char *key)
{
	const struct rule *last = NULL;
	size_t i;

	for (i = 0; r && i < r->severity.nr; i++)
		if (matches(r->severity.v[i].pattern, collector, key))
			last = &r->severity.v[i];
	return last;
}

/* The item's hosts' environments and names, for waiver scopes. */
static int waiver_scope_ok(const struct rule *w, const struct drift_item *it,
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

void differ_rules_apply(const struct differ_rules *r, struct drift_report *rep,
			const char *today)
{
	size_t i, j;

	for (i = 0; i < rep->nr; i++) {
		struct drift_item *it = &rep->items[i];
		const struct rule *s = severity_rule(r, it->collector, it->key);

		if (s && it->kind != DRIFT_PIN) {
			it->severity = s->sev;
			free(it->rule);
			it->rule = ed_xstrdup(s->loc);
		}
		for (j = 0; r && j < r->waivers.nr; j++) {
			const struct rule *w = &r->waivers.v[j];
			struct ed_buf b = ED_BUF_INIT;

			if (!matches(w->pattern, it->collector, it->key) ||
			    !waiver_scope_ok(w, it, rep))
				continue;
			if (strcmp(w->expires, today) < 0) {
				ed_strvec_pushf(&rep->notes,
						"waiver %s for %s:%s expired on %s: the drift counts again",
						w->loc, it->collector, it->key, w->expires);
				continue;
			}
			it->waived = 1;
			free(it->waiver);
			ed_buf_addf(&b, "%s: %s (until %s)", w->loc, w->reason, w->expires);
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
				     mgr && !strcmp(mgr, "apk") ? PKG_APK : PKG_DPKG;
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

static int pin_holds(const struct rule *p, const char *collector,
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

void differ_rules_pins(const struct differ_rules *r, struct drift_report *rep,
		       const struct differ_host *const *hosts, size_t n)
{
	size_t i, p, f;

	for (p = 0; r && p < r->pins.nr; p++) {
		const struct rule *pin = &r->pins.v[p];
		const char *colon = strchr(pin->pattern, ':');
		char *collector = ed_xstrndup(pin->pattern, (size_t)(colon - pin->pattern));
		int has_glob = strpbrk(colon + 1, "*?[") != NULL;

		for (i = 0; i < n; i++) {
			const struct differ_host *h = hosts[i];
			int seen = 0;

			if (ed_strvec_contains(&h->uncollected, collector))
				continue; /* unknown is not a violation */
			for (f = 0; f < h->nr_facts; f++) {
				const struct fact *fa = &h->facts[f];

				if (strcmp(fa->collector, collector) ||
				    !matches(pin->pattern, fa->collector, fa->key))
					continue;
				seen = 1;
				if (!pin_holds(pin, collector, h->pkg_manager, fa->value))
					differ_pin_violation(rep, pin->pattern, pin->op,
							     pin->value, pin->sev, pin->loc,
							     h, fa->key, fa->value);
			}
			/* nothing matched: only "absent" holds (a glob with no match is absence) */
			if (!seen && strcmp(pin->op, "absent") && (!has_glob || !strcmp(pin->op, "present")))
				differ_pin_violation(rep, pin->pattern, pin->op, pin->value,
						     pin->sev, pin->loc, h, colon + 1, NULL);
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
	struct drift_item *it = drift_report_add(rep, collector, key, NULL, DRIFT_PIN);
	struct ed_buf d = ED_BUF_INIT;

	ed_buf_addf(&d, "%s %s%s%s", pattern, op, value ? " " : "", value ? value : "");
	it->detail = ed_buf_detach(&d, NULL);
	it->severity = sev;
	it->rule = ed_xstrdup(loc);
	it->host = ed_xstrdup(h->host);
	it->host_value = have ? ed_xstrdup(have) : NULL;
	ed_strvec_pushf(&it->hosts, "%s\t%s", have ? have : "(absent)", h->host);
	free(collector);
}

enum differ_expect differ_rules_expect(const struct differ_rules *r,
				       const char *collector, const char *key,
				       const struct ed_strvec **envs,
				       const char **loc)
{
	const struct rule *last = NULL;
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

size_t differ_rules_pin_count(const struct differ_rules *r)
{
	return r ? r->pins.nr : 0;
}

size_t differ_rules_parity_count(const struct differ_rules *r)
{
	return r ? r->parity.nr : 0;
}

const struct ed_strvec *differ_rules_parity_envs(const struct differ_rules *r,
						 size_t i)
{
	return &r->parity.v[i].envs;
}

const struct ed_strvec *differ_rules_parity_roles(const struct differ_rules *r,
						  size_t i)
{
	return &r->parity.v[i].roles;
}

int differ_rules_parity_severity(const struct differ_rules *r, size_t i,
				 enum drift_severity *out, const char **loc)
{
	*loc = r->parity.v[i].loc;
	*out = r->parity.v[i].sev;
	return r->parity.v[i].has_sev;
}

const char *differ_rules_waivers_path(const struct differ_rules *r)
{
	return r ? r->waivers_path : NULL;
}

void differ_rules_explain(const struct differ_rules *r, const char *collector,
			  const char *key, const char *today,
			  struct ed_strvec *out)
{
	const struct rule *ru;
	int ignored;
	size_t i;

	ru = ignore_rule(r, collector, key, &ignored);
	if (ru)
		ed_strvec_pushf(out, "%s: %s %s:%s (%s%s)", ru->loc,
				ignored ? "ignores" : "re-includes", collector, key,
				ru->negate ? "!" : "", ru->pattern);
	else
		ed_strvec_pushf(out, "compared: no ignore rule matches %s:%s", collector, key);
	ru = severity_rule(r, collector, key);
	if (ru)
		ed_strvec_pushf(out, "%s: severity %s (%s)", ru->loc,
				drift_severity_name(ru->sev), ru->pattern);
	else
		ed_strvec_pushf(out, "severity warning (the default: no severity rule matches)");
	for (i = 0; r && i < r->pins.nr; i++)
		if (matches(r->pins.v[i].pattern, collector, key))
			ed_strvec_pushf(out, "%s: pinned: %s %s%s%s (%s)", r->pins.v[i].loc,
					r->pins.v[i].pattern, r->pins.v[i].op,
					r->pins.v[i].value ? " " : "",
					r->pins.v[i].value ? r->pins.v[i].value : "",
					drift_severity_name(r->pins.v[i].sev));
	for (i = 0; r && i < r->expect.nr; i++)
		if (matches(r->expect.v[i].pattern, collector, key))
			ed_strvec_pushf(out, "%s: expected to differ %s (%s)",
					r->expect.v[i].loc,
					r->expect.v[i].mode == EXPECT_ALWAYS ? "on every host" :
					r->expect.v[i].mode == EXPECT_MEMORY ? "where memory differs" :
					"between the environments named",
					r->expect.v[i].pattern);
	for (i = 0; r && i < r->waivers.nr; i++) {
		const struct rule *w = &r->waivers.v[i];

		if (!matches(w->pattern, collector, key))
			continue;
		ed_strvec_pushf(out, "%s: waived%s%s%s%s until %s%s: %s", w->loc,
				w->env ? " in " : "", w->env ? w->env : "",
				w->host ? " on " : "", w->host ? w->host : "",
				w->expires, strcmp(w->expires, today) < 0 ? " (expired)" : "",
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
