/*
 * An Ansible YAML inventory read into its groups (parents, vars) and host
 * definitions (groups, vars, where first listed), host ranges expanded.
 * Nothing is inherited yet (inventory_resolve.c); every error points at
 * the YAML node it comes from.
 */
#include "collector/fleet/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"
#include "core/yaml.h"

int inv_valid_name(const char *s, const char *extra)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || (extra && strchr(extra, c))))
			return 0;
	}
	return 1;
}

int inv_is_null(const struct ed_ynode *n)
{
	if (n->type == ED_YSCALAR && n->tag &&
	    !strcmp(n->tag, INV_TAG_PREFIX "null"))
		return 1;
	return n->type == ED_YSCALAR && n->plain && !n->tag &&
	       (!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

int inv_is_vault(const struct ed_ynode *n)
{
	return n->tag && !strcmp(n->tag, "!vault");
}

void inv_vars_add(struct inv_vars **v, size_t *nr, size_t *alloc,
		  const struct ed_ynode *map, const char *file)
{
	ED_ALLOC_GROW(*v, *nr + 1, *alloc);
	(*v)[*nr].map = map;
	(*v)[*nr].from_dir = 0;
	(*v)[(*nr)++].file = file;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static size_t *hash_slot(const struct inventory *inv, const char *name)
{
	size_t i = (size_t)hash_str(name) & (inv->hash_size - 1);

	while (inv->hash[i] && strcmp(inv->defs[inv->hash[i] - 1].name, name))
		i = (i + 1) & (inv->hash_size - 1);
	return &inv->hash[i];
}

static void hash_grow(struct inventory *inv)
{
	size_t i;

	free(inv->hash);
	inv->hash_size = inv->hash_size ? inv->hash_size * 2 : 64;
	inv->hash = ed_xcalloc(inv->hash_size, sizeof(*inv->hash));
	for (i = 0; i < inv->nr_defs; i++)
		*hash_slot(inv, inv->defs[i].name) = i + 1;
}

static size_t group_find(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->nr_groups; i++)
		if (!strcmp(inv->groups[i].name, name))
			return i;
	return INV_NONE;
}

size_t inv_group_get(struct inventory *inv, const char *name)
{
	size_t i = group_find(inv, name);
	struct inv_group *g;

	if (i != INV_NONE)
		return i;
	ED_ALLOC_GROW(inv->groups, inv->nr_groups + 1, inv->alloc_groups);
	g = &inv->groups[inv->nr_groups];
	memset(g, 0, sizeof(*g));
	g->name = ed_xstrdup(name);
	for (i = 0; i < inv->nr_envs; i++)
		if (!strcmp(inv->envs[i], name))
			g->is_env = 1;
	return inv->nr_groups++;
}

void inv_add_index(size_t **v, size_t *nr, size_t *alloc, size_t x)
{
	size_t i;

	for (i = 0; i < *nr; i++)
		if ((*v)[i] == x)
			return;
	ED_ALLOC_GROW(*v, *nr + 1, *alloc);
	(*v)[(*nr)++] = x;
}

static struct inv_hostdef *host_get(struct inventory *inv, const char *name,
				    const struct ed_ynode *at)
{
	size_t *slot;
	struct inv_hostdef *h;

	if (2 * (inv->nr_defs + 1) > inv->hash_size)
		hash_grow(inv);
	slot = hash_slot(inv, name);
	if (*slot)
		return &inv->defs[*slot - 1];
	ED_ALLOC_GROW(inv->defs, inv->nr_defs + 1, inv->alloc_defs);
	h = &inv->defs[inv->nr_defs++];
	memset(h, 0, sizeof(*h));
	h->name = ed_xstrdup(name);
	h->line = at->line;
	h->col = at->col;
	*slot = inv->nr_defs;
	return h;
}

/*
 * Expand the first "[beg:end]" or "[beg:end:stride]" of pat, recursing for
 * the rest: numeric ranges (zero-padded when beg has a leading 0, as
 * Ansible) or single-letter ranges.
 */
static int expand_pattern(struct ed_strvec *out, const char *pat,
			  const struct inventory *inv,
			  const struct ed_ynode *at, struct ed_err *err)
{
	const char *open = strchr(pat, '['), *close = NULL;
	char *inner = NULL, *p;
	const char *part[3] = { NULL, NULL, NULL };
	struct ed_buf b = ED_BUF_INIT;
	size_t nparts = 0, width = 0, beg, end, stride = 1, v, count;
	int alpha = 0, rc = 0;

	if (!open) {
		if (out->nr >= INV_MAX_HOSTS)
			return ed_err_set(
				err, ED_EPARSE,
				"%s:%zu:%zu: host pattern expands to more than %d hosts",
				inv->name, at->line, at->col, INV_MAX_HOSTS);
		ed_strvec_push(out, pat);
		return 0;
	}
	close = strchr(open, ']');
	if (!close) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: unterminated range in host pattern '%s'",
				inv->name, at->line, at->col, at->str);
		goto out;
	}
	inner = ed_xstrndup(open + 1, (size_t)(close - open - 1));
	p = inner;
	while (nparts < 3) {
		part[nparts++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (nparts < 2 || p) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: bad range '[%s]' in host pattern (want [beg:end] or [beg:end:stride])",
				inv->name, at->line, at->col, inner);
		goto out;
	}
	if (!part[0][0])
		part[0] = "0";
	if (strlen(part[0]) == 1 && strlen(part[1]) == 1 &&
	    ((part[0][0] >= 'a' && part[0][0] <= 'z' && part[1][0] >= 'a' &&
	      part[1][0] <= 'z') ||
	     (part[0][0] >= 'A' && part[0][0] <= 'Z' && part[1][0] >= 'A' &&
	      part[1][0] <= 'Z'))) {
		alpha = 1;
		beg = (unsigned char)part[0][0];
		end = (unsigned char)part[1][0];
	} else if (strspn(part[0], "0123456789") == strlen(part[0]) &&
		   strspn(part[1], "0123456789") == strlen(part[1]) &&
		   part[1][0] && strlen(part[0]) <= 9 && strlen(part[1]) <= 9) {
		beg = strtoul(part[0], NULL, 10);
		end = strtoul(part[1], NULL, 10);
		if (part[0][0] == '0' && part[0][1]) {
			width = strlen(part[0]);
			if (strlen(part[1]) != width) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: zero-padded range '[%s:%s]' needs begin and end of equal length",
						inv->name, at->line, at->col,
						part[0], part[1]);
				goto out;
			}
		}
	} else {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: bad range in host pattern '%s' (want numbers or single letters)",
				inv->name, at->line, at->col, at->str);
		goto out;
	}
	if (nparts == 3) {
		if (!part[2][0] ||
		    strspn(part[2], "0123456789") != strlen(part[2]) ||
		    strlen(part[2]) > 9 || !strtoul(part[2], NULL, 10)) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: bad stride '%s' in host pattern (want a positive integer)",
					inv->name, at->line, at->col, part[2]);
			goto out;
		}
		stride = strtoul(part[2], NULL, 10);
	}
	if (beg > end) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: range in host pattern '%s' ends before it begins",
				inv->name, at->line, at->col, at->str);
		goto out;
	}
	count = (end - beg) / stride + 1;
	if (count > INV_MAX_HOSTS - out->nr) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host pattern expands to more than %d hosts",
				inv->name, at->line, at->col, INV_MAX_HOSTS);
		goto out;
	}
	for (v = beg; v <= end; v += stride) {
		ed_buf_reset(&b);
		ed_buf_add(&b, pat, (size_t)(open - pat));
		if (alpha)
			ed_buf_addch(&b, (char)v);
		else
			ed_buf_addf(&b, "%0*zu", (int)width, v);
		ed_buf_adds(&b, close + 1);
		rc = expand_pattern(out, b.ptr, inv, at, err);
		if (rc < 0)
			goto out;
	}
out:
	free(inner);
	ed_buf_release(&b);
	return rc;
}

/*
 * "pattern:port" (the ':' outside any range) into pat and a port node
 * (*port, NULL when there is none), as Ansible's parse_address does.
 */
static int split_port(struct ed_buf *pat, struct ed_ynode **port,
		      const struct inventory *inv, const struct ed_ynode *key,
		      struct ed_err *err)
{
	const char *s = key->str, *colon = NULL, *p;
	struct ed_buf num = ED_BUF_INIT;
	int depth = 0;

	for (p = s; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ':' && !depth && !colon)
			colon = p;
	}
	ed_buf_reset(pat);
	ed_buf_add(pat, s, colon ? (size_t)(colon - s) : strlen(s));
	if (!colon)
		return 0;
	if (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: host pattern '%s' not supported (want NAME or NAME:PORT; IPv6 addresses go in ansible_host)",
				  inv->name, key->line, key->col, s);
	*port = ed_xcalloc(1, sizeof(**port));
	(*port)->type = ED_YSCALAR;
	(*port)->line = key->line;
	(*port)->col = key->col;
	(*port)->plain = 1;
	(*port)->tag = ed_xstrdup(INV_TAG_PREFIX "int");
	ed_buf_addf(&num, "%lu", strtoul(colon + 1, NULL, 10));
	(*port)->str = ed_buf_detach(&num, &(*port)->len);
	return 0;
}

/* A {ansible_port: port} mapping kept in inv (a copy of port). */
static const struct ed_ynode *port_map(struct inventory *inv,
				       const struct ed_ynode *port)
{
	struct ed_ynode *m = ed_xcalloc(1, sizeof(*m)), *k = ed_ynode_copy(port);

	m->type = ED_YMAP;
	m->line = port->line;
	m->col = port->col;
	free(k->str);
	free(k->tag);
	k->tag = NULL;
	k->str = ed_xstrdup("ansible_port");
	k->len = strlen(k->str);
	m->kids = ed_xcalloc(2, sizeof(*m->kids));
	m->kids[0] = k;
	m->kids[1] = ed_ynode_copy(port);
	m->nr = m->alloc = 2;
	ED_ALLOC_GROW(inv->var_docs, inv->nr_var_docs + 1, inv->alloc_var_docs);
	inv->var_docs[inv->nr_var_docs++] = m;
	return m;
}

static int parse_hosts(struct inventory *inv, size_t g,
		       const struct ed_ynode *n, struct ed_err *err)
{
	struct ed_strvec names = ED_STRVEC_INIT;
	struct ed_buf pat = ED_BUF_INIT;
	struct ed_ynode *port = NULL;
	size_t i, j, nr;
	int rc = 0;

	if (inv_is_null(n))
		return 0;
	if (n->type != ED_YMAP)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: hosts of group '%s': want a mapping, not a %s",
				  inv->name, n->line, n->col,
				  inv->groups[g].name, ed_ynode_kind(n));
	for (i = 0; i + 1 < n->nr; i += 2) {
		const struct ed_ynode *key = n->kids[i], *val = n->kids[i + 1];

		if (!inv_is_null(val) && val->type != ED_YMAP) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: host '%s': want a mapping of variables, not a %s",
					inv->name, val->line, val->col,
					key->str, ed_ynode_kind(val));
			goto out;
		}
		ed_strvec_release(&names);
		ed_ynode_free(port);
		port = NULL;
		rc = split_port(&pat, &port, inv, key, err);
		if (rc < 0)
			goto out;
		rc = expand_pattern(&names, pat.ptr, inv, key, err);
		if (rc < 0)
			goto out;
		if (inv->nr_defs + names.nr > INV_MAX_HOSTS) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: inventory has more than %d hosts",
					inv->name, key->line, key->col,
					INV_MAX_HOSTS);
			goto out;
		}
		for (j = 0; j < names.nr; j++) {
			struct inv_hostdef *h = NULL;

			if (!inv_valid_name(names.v[j], NULL)) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: bad host name '%s' (want [A-Za-z0-9._-])",
						inv->name, key->line, key->col,
						names.v[j]);
				goto out;
			}
			nr = inv->nr_defs;
			h = host_get(inv, names.v[j], key);
			inv_add_index(&h->groups, &h->nr_groups,
				      &h->alloc_groups, g);
			/* as Ansible: "host:port" sets the port of a new host */
			if (port && inv->nr_defs > nr)
				inv_vars_add(&h->vars, &h->nr_vars, &h->alloc_vars,
					     port_map(inv, port), inv->name);
			if (!inv_is_null(val)) {
				inv_vars_add(&h->vars, &h->nr_vars,
					     &h->alloc_vars, val, inv->name);
			}
		}
	}
out:
	ed_strvec_release(&names);
	ed_buf_release(&pat);
	ed_ynode_free(port);
	return rc;
}

static int parse_group(struct inventory *inv, const struct ed_ynode *key,
		       const struct ed_ynode *val, size_t parent,
		       struct ed_err *err)
{
	size_t g, i;
	int rc;

	if (!inv_valid_name(key->str, NULL))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: bad group name '%s' (want [A-Za-z0-9._-])",
				  inv->name, key->line, key->col, key->str);
	g = inv_group_get(inv, key->str);
	if (parent != INV_NONE) {
		if (!strcmp(key->str, "all") || g == parent)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: group '%s' cannot be a child of '%s'",
					  inv->name, key->line, key->col,
					  key->str, inv->groups[parent].name);
		inv_add_index(&inv->groups[g].parents, &inv->groups[g].nr_parents,
			      &inv->groups[g].alloc_parents, parent);
	}
	if (inv_is_null(val))
		return 0;
	if (val->type != ED_YMAP)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: group '%s': want a mapping, not a %s",
				  inv->name, val->line, val->col, key->str,
				  ed_ynode_kind(val));
	for (i = 0; i + 1 < val->nr; i += 2) {
		const struct ed_ynode *k = val->kids[i], *v = val->kids[i + 1];
		size_t j;

		if (!strcmp(k->str, "hosts")) {
			rc = parse_hosts(inv, g, v, err);
			if (rc < 0)
				return rc;
		} else if (!strcmp(k->str, "children")) {
			if (inv_is_null(v))
				continue;
			if (v->type != ED_YMAP)
				return ed_err_set(err, ED_EPARSE,
						  "%s:%zu:%zu: children of group '%s': want a mapping, not a %s",
						  inv->name, v->line, v->col,
						  key->str, ed_ynode_kind(v));
			for (j = 0; j + 1 < v->nr; j += 2) {
				rc = parse_group(inv, v->kids[j],
						 v->kids[j + 1], g, err);
				if (rc < 0)
					return rc;
			}
		} else if (!strcmp(k->str, "vars")) {
			if (inv_is_null(v))
				continue;
			if (v->type != ED_YMAP)
				return ed_err_set(err, ED_EPARSE,
						  "%s:%zu:%zu: vars of group '%s': want a mapping, not a %s",
						  inv->name, v->line, v->col,
						  key->str, ed_ynode_kind(v));
			inv_vars_add(&inv->groups[g].vars, &inv->groups[g].nr_vars,
				     &inv->groups[g].alloc_vars, v, inv->name);
		} else {
			return ed_err_set(
				err, ED_EPARSE,
				"%s:%zu:%zu: group '%s': unknown key '%s' (want hosts, children or vars)",
				inv->name, k->line, k->col, key->str, k->str);
		}
	}
	return 0;
}

int inv_parse(struct inventory *inv, const struct ed_ynode *doc, struct ed_err *err)
{
	size_t i;
	int rc;

	if (doc->type != ED_YMAP)
		return ed_err_set(
			err, ED_EPARSE,
			"%s:%zu:%zu: inventory: want a mapping of groups, not a %s",
			inv->name, doc->line, doc->col, ed_ynode_kind(doc));
	inv_group_get(inv, "all");
	for (i = 0; i + 1 < doc->nr; i += 2) {
		rc = parse_group(inv, doc->kids[i], doc->kids[i + 1], INV_NONE,
				 err);
		if (rc < 0)
			return rc;
	}
	return 0;
}
