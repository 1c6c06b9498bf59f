/*
 * Loading baselines: YAML (through core/yaml.c's tree of libyaml events)
 * into struct baseline's rule lists, each rule with its file:line. Every
 * error names file:line:col, so a typo in a long baseline is found at once.
 */
#include "baselines/baseline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/embedded.h"
#include "core/yaml.h"

const char *drift_severity_name(enum drift_severity s)
{
	switch (s) {
	case SEV_CRITICAL:
		return "critical";
	case SEV_WARNING:
		return "warning";
	default:
		return "info";
	}
}

int drift_severity_parse(enum drift_severity *out, const char *s)
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

static struct baseline_rule *add_rule(struct baseline_rule_list *l,
				      const char *file, const struct ed_ynode *at)
{
	struct baseline_rule *r;
	struct ed_buf loc = ED_BUF_INIT;

	ED_ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	r = &l->v[l->nr++];
	memset(r, 0, sizeof(*r));
	ed_buf_addf(&loc, "%s:%zu", file, at->line);
	r->loc = ed_buf_detach(&loc, NULL);
	r->sev = SEV_WARNING;
	return r;
}

static void free_list(struct baseline_rule_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		struct baseline_rule *r = &l->v[i];

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
			ed_buf_addf(&b,
				    "%s: '%s' names no collector (want \"collector:key\")",
				    what, n->str);
			rc = bad(err, file, n, b.ptr);
		}
	}
	ed_buf_release(&b);
	return rc;
}

static int want_seq(const char *file, const struct ed_ynode *n,
		    const char *what, struct ed_err *err)
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

/* ignore and per-host: a list of "collector:key" globs, "!" re-includes */
static int read_ignore(struct baseline_rule_list *list, const char *what,
		       const char *file, const struct ed_ynode *n,
		       struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, what, err);

	for (i = 0; !rc && i < n->nr; i++) {
		struct baseline_rule *ru;

		rc = want_fact_pattern(file, n->kids[i], what, err);
		if (rc)
			break;
		ru = add_rule(list, file, n->kids[i]);
		ru->negate = n->kids[i]->str[0] == '!';
		ru->pattern = ed_xstrdup(n->kids[i]->str + ru->negate);
	}
	return rc;
}

/* severity: {packages: critical, "files:/etc/ssh/STARSTAR": critical} */
static int read_severity(struct baseline *bl, const char *file,
			 const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;

	if (n->type != ED_YMAP)
		return bad(err, file, n,
			   "severity: want a mapping of collector or \"collector:key\" glob to critical, warning or info");
	for (i = 0; i + 1 < n->nr; i += 2) {
		const struct ed_ynode *k = n->kids[i], *v = n->kids[i + 1];
		struct baseline_rule *ru;
		enum drift_severity sev;

		if (v->type != ED_YSCALAR || drift_severity_parse(&sev, v->str) < 0)
			return bad(err, file, v,
				   "severity: want critical, warning or info");
		ru = add_rule(&bl->severity, file, k);
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
static int read_pins(struct baseline *bl, const char *file,
		     const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "pins", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *text = it, *sev = NULL;
		struct baseline_rule *ru;
		const char *s, *sp;
		size_t j;

		if (it->type == ED_YMAP) {
			text = ed_ymap_get(it, "pin");
			sev = ed_ymap_get(it, "severity");
			if (!text)
				return bad(err, file, it,
					   "pins: an entry written as a mapping needs 'pin'");
		}
		if (text->type != ED_YSCALAR)
			return bad(err, file, text,
				   "pins: want \"collector:key OP VALUE\", \"... present\" or \"... absent\"");
		s = text->str;
		sp = strchr(s, ' ');
		if (!sp || !memchr(s, ':', (size_t)(sp - s)))
			return bad(err, file, text,
				   "pins: want \"collector:key OP VALUE\", \"... present\" or \"... absent\"");
		ru = add_rule(&bl->pins, file, text);
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
				return bad(err, file, text,
					   "pins: the operator must be one of = != >= > <= < present absent");
			ru->op = ed_xstrdup(pin_ops[j]);
			sp += strlen(pin_ops[j]);
			while (*sp == ' ')
				sp++;
			if (!*sp)
				return bad(err, file, text,
					   "pins: the value is missing");
			ru->value = ed_xstrdup(sp);
		}
		ru->sev = SEV_CRITICAL; /* a broken pin is what gates a deploy */
		if (sev && (sev->type != ED_YSCALAR ||
			    drift_severity_parse(&ru->sev, sev->str) < 0))
			return bad(err, file, sev,
				   "pins: severity: want critical, warning or info");
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
static int read_parity(struct baseline *bl, const char *file,
		       const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "parity", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *v;
		struct baseline_rule *ru;

		if (it->type != ED_YMAP)
			return bad(err, file, it,
				   "parity: want {environments: [...], roles: [...]}");
		ru = add_rule(&bl->parity, file, it);
		v = ed_ymap_get(it, "environments");
		if (!v)
			return bad(err, file, it,
				   "parity: 'environments' is missing");
		rc = read_strlist(&ru->envs, file, v, "parity: environments", err);
		if (!rc && ru->envs.nr < 2)
			rc = bad(err, file, v,
				 "parity: name at least two environments");
		v = ed_ymap_get(it, "roles");
		if (!rc && v)
			rc = read_strlist(&ru->roles, file, v, "parity: roles",
					  err);
		v = ed_ymap_get(it, "severity");
		if (!rc && v &&
		    (v->type != ED_YSCALAR ||
		     drift_severity_parse(&ru->sev, v->str) < 0))
			rc = bad(err, file, v,
				 "parity: severity: want critical, warning or info");
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
static int read_expect(struct baseline *bl, const char *file,
		       const struct ed_ynode *n, struct ed_err *err)
{
	size_t i;
	int rc = want_seq(file, n, "expect", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *k, *d, *e;
		struct baseline_rule *ru;

		if (it->type != ED_YMAP)
			return bad(err, file, it,
				   "expect: want {key, differs[, environments]}");
		k = ed_ymap_get(it, "key");
		d = ed_ymap_get(it, "differs");
		if (!k || !d)
			return bad(err, file, it,
				   "expect: every entry needs key and differs");
		rc = want_fact_pattern(file, k, "expect: key", err);
		if (rc)
			break;
		ru = add_rule(&bl->expect, file, it);
		ru->pattern = ed_xstrdup(k->str);
		if (d->type == ED_YSCALAR && !strcmp(d->str, "always"))
			ru->mode = EXPECT_ALWAYS;
		else if (d->type == ED_YSCALAR && !strcmp(d->str, "with-memory"))
			ru->mode = EXPECT_MEMORY;
		else if (d->type == ED_YSCALAR && !strcmp(d->str, "between"))
			ru->mode = EXPECT_BETWEEN;
		else
			return bad(err, file, d,
				   "expect: differs: want always, with-memory or between");
		e = ed_ymap_get(it, "environments");
		if (ru->mode == EXPECT_BETWEEN) {
			if (!e)
				return bad(err, file, it,
					   "expect: differs: between needs environments: [A, B]");
			rc = read_strlist(&ru->envs, file, e,
					  "expect: environments", err);
			if (!rc && ru->envs.nr < 2)
				rc = bad(err, file, e,
					 "expect: name at least two environments");
		}
	}
	return rc;
}

int baseline_valid_date(const char *s)
{
	int y, m, d;
	char tail;

	return strlen(s) == 10 &&
	       sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 &&
	       m <= 12 && d >= 1 && d <= 31;
}

/* waivers: [{key: "sysctl:vm.swappiness", reason: "...", expires: 2027-01-31, env: prod, host: h}] */
static int read_waivers(struct baseline *bl, const char *file,
			const struct ed_ynode *n, struct ed_err *err)
{
	static const char *const keys[] = { "key", "reason", "expires",
					    "env", "host",   NULL };
	size_t i, j;
	int rc = want_seq(file, n, "waivers", err);

	for (i = 0; !rc && i < n->nr; i++) {
		const struct ed_ynode *it = n->kids[i], *k, *reason, *exp, *v;
		struct baseline_rule *ru;

		if (it->type != ED_YMAP)
			return bad(err, file, it,
				   "waivers: want {key, reason, expires[, env][, host]}");
		for (j = 0; j + 1 < it->nr; j += 2) {
			size_t x;

			for (x = 0;
			     keys[x] && strcmp(keys[x], it->kids[j]->str); x++)
				;
			if (!keys[x])
				return bad(err, file, it->kids[j],
					   "waivers: unknown key (want key, reason, expires, env, host)");
		}
		k = ed_ymap_get(it, "key");
		reason = ed_ymap_get(it, "reason");
		exp = ed_ymap_get(it, "expires");
		if (!k || !reason || !exp)
			return bad(err, file, it,
				   "waivers: every waiver needs key, reason and expires");
		rc = want_fact_pattern(file, k, "waivers: key", err);
		if (rc)
			break;
		if (exp->type != ED_YSCALAR || !baseline_valid_date(exp->str))
			return bad(err, file, exp,
				   "waivers: expires: want a date YYYY-MM-DD");
		if (reason->type != ED_YSCALAR || !reason->len)
			return bad(err, file, reason,
				   "waivers: reason: say why this drift is accepted");
		ru = add_rule(&bl->waivers, file, it);
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

static int apply(struct baseline *bl, const char *buf, size_t len,
		 const char *file, int waivers_only, struct ed_err *err)
{
	static const char *const known[] = { "ignore",   "severity", "pins",
					     "parity",   "waivers",  "expect",
					     "per-host", NULL };
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

			ed_buf_addf(&b, "'%s' is not a baseline key (want %s)",
				    k->str,
				    waivers_only ?
					    "waivers" :
					    "ignore, per-host, severity, pins, parity, waivers, expect");
			rc = bad(err, file, k, b.ptr);
			ed_buf_release(&b);
			break;
		}
		if (v->type == ED_YSCALAR && !v->len)
			continue; /* "waivers:" with nothing yet */
		switch (j) {
		case 0:
			rc = read_ignore(&bl->ignore, "ignore", file, v, err);
			break;
		case 1:
			rc = read_severity(bl, file, v, err);
			break;
		case 2:
			rc = read_pins(bl, file, v, err);
			break;
		case 3:
			rc = read_parity(bl, file, v, err);
			break;
		case 4:
			rc = read_waivers(bl, file, v, err);
			break;
		case 5:
			rc = read_expect(bl, file, v, err);
			break;
		default:
			rc = read_ignore(&bl->per_host, "per-host", file, v, err);
			break;
		}
	}
out:
	ed_ynode_free(doc);
	return rc;
}

void baseline_waivers_path(struct ed_buf *out, const char *path)
{
	size_t len = strlen(path);

	if (len > 5 && !strcmp(path + len - 5, ".yaml"))
		len -= 5;
	else if (len > 4 && !strcmp(path + len - 4, ".yml"))
		len -= 4;
	ed_buf_add(out, path, len);
	ed_buf_adds(out, ".waivers.yaml");
}

int baseline_load(struct baseline **out, const char *path, struct ed_err *err)
{
	struct baseline *bl = ed_xcalloc(1, sizeof(*bl));
	const struct ed_embedded *e = ed_embedded_find("diff-defaults.yaml");
	struct ed_buf b = ED_BUF_INIT, wpath = ED_BUF_INIT;
	int rc;

	*out = NULL;
	rc = e ? apply(bl, e->data, e->len, "diff-defaults.yaml", 0, err) :
		 ED_ERROR;
	if (!e)
		ED_BUG("built-in diff-defaults.yaml missing");
	if (!rc && path) {
		rc = ed_buf_read_file(&b, path, 4 << 20, err);
		if (!rc)
			rc = apply(bl, b.ptr, b.len, path, 0, err);
		baseline_waivers_path(&wpath, path);
		ed_buf_reset(&b);
		if (!rc) {
			rc = ed_buf_read_file(&b, wpath.ptr, 4 << 20, err);
			if (rc == ED_ENOTFOUND)
				rc = 0;
			else if (!rc)
				rc = apply(bl, b.ptr, b.len, wpath.ptr, 1, err);
		}
	}
	ed_buf_release(&b);
	ed_buf_release(&wpath);
	if (rc < 0) {
		baseline_free(bl);
		return rc;
	}
	*out = bl;
	return 0;
}

void baseline_free(struct baseline *bl)
{
	if (!bl)
		return;
	free_list(&bl->ignore);
	free_list(&bl->per_host);
	free_list(&bl->severity);
	free_list(&bl->pins);
	free_list(&bl->parity);
	free_list(&bl->waivers);
	free_list(&bl->expect);
	free(bl);
}
