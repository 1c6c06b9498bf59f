/*
 * A host's variables as JSON, typed as Ansible types them, so that
 * `envdrift inventory --format json` can be compared with
 * `ansible-inventory --list`: plain YAML scalars resolved by YAML 1.1's
 * rules as PyYAML resolves them (null, bool, int, float, else string),
 * quoted ones strings, INI values by the tag inventory_ini.c gave them.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"

static void json_str(struct ed_buf *out, const char *s, size_t len)
{
	size_t i;

	ed_buf_addch(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			ed_buf_addf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			ed_buf_addf(out, "\\u%04x", c);
		else
			ed_buf_addch(out, (char)c);
	}
	ed_buf_addch(out, '"');
}

static int one_of(const char *s, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, set[i]))
			return 1;
	return 0;
}

/* s without '_', for strtoull/strtod */
static char *no_underscores(const char *s)
{
	char *c = ed_xstrdup(s), *w = c;

	for (; *s; s++)
		if (*s != '_')
			*w++ = *s;
	*w = '\0';
	return c;
}

/* PyYAML's int: 0b.., 0.. (octal), decimal, 0x..; 1 and *v, else 0. */
static int yaml_int(const char *s, long long *v)
{
	const char *d = s + (*s == '-' || *s == '+');
	char *c, *end = NULL;
	int base = 10, ok;
	unsigned long long u;

	if (!*d || *d == '_')
		return 0;
	if (d[0] == '0' && d[1] == 'b') {
		base = 2;
		d += 2;
	} else if (d[0] == '0' && d[1] == 'x') {
		base = 16;
		d += 2;
	} else if (d[0] == '0' && d[1]) {
		base = 8;
		d += 1;
	}
	if (!*d || strspn(d, base == 16 ? "0123456789abcdefABCDEF_" :
			     base == 8  ? "01234567_" :
			     base == 2  ? "01_" :
					  "0123456789_") != strlen(d))
		return 0;
	c = no_underscores(d);
	errno = 0;
	u = strtoull(c, &end, base);
	ok = *c && !errno && end && !*end && u <= (unsigned long long)1 << 62;
	free(c);
	if (ok)
		*v = *s == '-' ? -(long long)u : (long long)u;
	return ok;
}

/* PyYAML's float: needs a '.', optional exponent with a sign. */
static int yaml_float(const char *s)
{
	const char *d = s + (*s == '-' || *s == '+');
	size_t n = strspn(d, "0123456789_");

	if (!strcmp(d, ".inf") || !strcmp(d, ".Inf") || !strcmp(d, ".INF"))
		return 1;
	if (d[n] != '.' || (!n && !(d[1] >= '0' && d[1] <= '9')) ||
	    (n && d[0] == '_'))
		return 0;
	d += n + 1;
	d += strspn(d, "0123456789_");
	if (*d == 'e' || *d == 'E') {
		d++;
		if (*d != '+' && *d != '-')
			return 0;
		d++;
		if (!*d || strspn(d, "0123456789") != strlen(d))
			return 0;
		return 1;
	}
	return !*d;
}

static void scalar(struct ed_buf *out, const struct ed_ynode *n)
{
	static const char *const nul[] = { "", "~", "null", "Null", "NULL" };
	static const char *const yes[] = { "yes",  "Yes", "YES", "true", "True",
					   "TRUE", "on",  "On",  "ON" };
	static const char *const no[] = { "no",    "No",    "NO",
					  "false", "False", "FALSE",
					  "off",   "Off",   "OFF" };
	const char *t = n->tag;
	long long v;

	if (t && !strcmp(t, "!vault")) {
		ed_buf_adds(out, "{\"__ansible_vault\": ");
		json_str(out, n->str, n->len);
		ed_buf_addch(out, '}');
		return;
	}
	if (t && !strncmp(t, INV_TAG_PREFIX, strlen(INV_TAG_PREFIX))) {
		t += strlen(INV_TAG_PREFIX);
		if (!strcmp(t, "null"))
			ed_buf_adds(out, "null");
		else if (!strcmp(t, "int") || !strcmp(t, "float") ||
			 !strcmp(t, "bool"))
			ed_buf_adds(out, n->str);
		else
			json_str(out, n->str, n->len);
		return;
	}
	if (t || !n->plain) {
		json_str(out, n->str, n->len);
	} else if (one_of(n->str, nul, ED_ARRAY_SIZE(nul))) {
		ed_buf_adds(out, "null");
	} else if (one_of(n->str, yes, ED_ARRAY_SIZE(yes))) {
		ed_buf_adds(out, "true");
	} else if (one_of(n->str, no, ED_ARRAY_SIZE(no))) {
		ed_buf_adds(out, "false");
	} else if (yaml_int(n->str, &v)) {
		ed_buf_addf(out, "%lld", v);
	} else if (yaml_float(n->str)) {
		char *c = no_underscores(n->str);
		const char *d = c + (*c == '-' || *c == '+');

		if (d[0] == '.' && (d[1] == 'i' || d[1] == 'I'))
			ed_buf_addf(out, "%sInfinity", *c == '-' ? "-" : "");
		else
			ed_buf_addf(out, "%.17g", strtod(c, NULL));
		free(c);
	} else {
		json_str(out, n->str, n->len);
	}
}

static void node_json(struct ed_buf *out, const struct ed_ynode *n)
{
	size_t i;

	if (n->type == ED_YSCALAR) {
		scalar(out, n);
	} else if (n->type == ED_YSEQ) {
		ed_buf_addch(out, '[');
		for (i = 0; i < n->nr; i++) {
			if (i)
				ed_buf_adds(out, ", ");
			node_json(out, n->kids[i]);
		}
		ed_buf_addch(out, ']');
	} else {
		ed_buf_addch(out, '{');
		for (i = 0; i + 1 < n->nr; i += 2) {
			const struct ed_ynode *k = n->kids[i];

			if (i)
				ed_buf_adds(out, ", ");
			if (k->type == ED_YSCALAR)
				json_str(out, k->str, k->len);
			else
				json_str(out, "?", 1);
			ed_buf_adds(out, ": ");
			node_json(out, n->kids[i + 1]);
		}
		ed_buf_addch(out, '}');
	}
}

void inventory_host_vars_json(struct ed_buf *out, const struct inventory *inv,
			      const struct inventory_host *h)
{
	const struct inv_varset *vs;
	size_t *order, i, j, idx = (size_t)(h - inv->hosts);

	if (idx >= inv->nr_defs)
		ED_BUG("inventory_host_vars_json: host not of this inventory");
	vs = &inv->defs[idx].all;
	order = ed_xcalloc(vs->nr + 1, sizeof(*order));
	for (i = 0; i < vs->nr; i++) { /* insertion sort by name */
		for (j = i; j > 0 && strcmp(vs->keys[order[j - 1]]->str,
					    vs->keys[i]->str) > 0;
		     j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	ed_buf_addch(out, '{');
	for (i = 0; i < vs->nr; i++) {
		if (i)
			ed_buf_adds(out, ", ");
		json_str(out, vs->keys[order[i]]->str,
			 strlen(vs->keys[order[i]]->str));
		ed_buf_adds(out, ": ");
		node_json(out, vs->vals[order[i]]);
	}
	ed_buf_addch(out, '}');
	free(order);
}
