/*
 * Ansible YAML inventory: groups, host ranges and variable inheritance,
 * resolved into one flat record per host (environment, roles, connection
 * settings). The YAML tree stays alive inside the inventory while hosts are
 * resolved; every error points at the node it comes from.
 */
#include "collector/fleet/inventory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/glob.h"
#include "core/strvec.h"
#include "core/yaml.h"

#define MAX_FILE_BYTES (64u << 20)
#define MAX_HOSTS 100000
#define NONE SIZE_MAX

static const char *const default_envs[] = {
	"dev", "development", "test", "qa", "staging", "stage", "preprod",
	"prod", "production",
};

struct group {
	char *name;
	size_t *parents;
	size_t nr_parents, alloc_parents;
	const struct ed_ynode **vars; /* "vars:" mappings, in file order */
	size_t nr_vars, alloc_vars;
	size_t depth;
	int state; /* depth: 0 not computed, 1 in progress, 2 done */
	int is_env;
	size_t mark;
};

struct hostdef {
	char *name;
	size_t line, col;
	size_t *groups; /* direct, then (after resolve) every ancestor too */
	size_t nr_groups, alloc_groups;
	const struct ed_ynode **vars;
	size_t nr_vars, alloc_vars;
};

struct inventory {
	char *name;
	struct ed_ynode *doc;
	const char *const *envs;
	size_t nr_envs;
	struct group *groups;
	size_t nr_groups, alloc_groups;
	struct hostdef *defs;
	size_t nr_defs, alloc_defs;
	size_t *hash; /* index + 1 into defs, open addressing */
	size_t hash_size;
	struct inventory_host *hosts; /* parallel to defs, sorted by name */
	unsigned char *selected;
	size_t *sel;
	size_t nr_sel;
};

/* Variables visible to one host: later set() calls override. */
struct varset {
	const struct ed_ynode **keys, **vals;
	size_t nr, alloc;
};

static int valid_name(const char *s, const char *extra)
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

static int is_null(const struct ed_ynode *n)
{
	return n->type == ED_YSCALAR && n->plain && !n->tag &&
	       (!n->len || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
		!strcmp(n->str, "Null") || !strcmp(n->str, "NULL"));
}

static int is_vault(const struct ed_ynode *n)
{
	return n->tag && !strcmp(n->tag, "!vault");
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

	while (inv->hash[i] &&
	       strcmp(inv->defs[inv->hash[i] - 1].name, name))
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
	return NONE;
}

static size_t group_get(struct inventory *inv, const char *name)
{
	size_t i = group_find(inv, name);
	struct group *g;

	if (i != NONE)
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

static void add_index(size_t **v, size_t *nr, size_t *alloc, size_t x)
{
	size_t i;

	for (i = 0; i < *nr; i++)
		if ((*v)[i] == x)
			return;
	ED_ALLOC_GROW(*v, *nr + 1, *alloc);
	(*v)[(*nr)++] = x;
}

static struct hostdef *host_get(struct inventory *inv, const char *name,
				const struct ed_ynode *at)
{
	size_t *slot;
	struct hostdef *h;

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
		if (out->nr >= MAX_HOSTS)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: host pattern expands to more than %d hosts",
					  inv->name, at->line, at->col,
					  MAX_HOSTS);
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
	if (count > MAX_HOSTS - out->nr) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host pattern expands to more than %d hosts",
				inv->name, at->line, at->col, MAX_HOSTS);
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

static int parse_hosts(struct inventory *inv, size_t g,
		       const struct ed_ynode *n, struct ed_err *err)
{
	struct ed_strvec names = ED_STRVEC_INIT;
	size_t i, j;
	int rc = 0;

	if (is_null(n))
		return 0;
	if (n->type != ED_YMAP)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: hosts of group '%s': want a mapping, not a %s",
				  inv->name, n->line, n->col, inv->groups[g].name,
				  ed_ynode_kind(n));
	for (i = 0; i + 1 < n->nr; i += 2) {
		const struct ed_ynode *key = n->kids[i], *val = n->kids[i + 1];

		if (!is_null(val) && val->type != ED_YMAP) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: host '%s': want a mapping of variables, not a %s",
					inv->name, val->line, val->col,
					key->str, ed_ynode_kind(val));
			goto out;
		}
		for (j = 0; j < names.nr; j++)
			free(names.v[j]);
		names.nr = 0;
		rc = expand_pattern(&names, key->str, inv, key, err);
		if (rc < 0)
			goto out;
		if (inv->nr_defs + names.nr > MAX_HOSTS) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: inventory has more than %d hosts",
					inv->name, key->line, key->col,
					MAX_HOSTS);
			goto out;
		}
		for (j = 0; j < names.nr; j++) {
			struct hostdef *h = NULL;

			if (!valid_name(names.v[j], NULL)) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu:%zu: bad host name '%s' (want [A-Za-z0-9._-])",
						inv->name, key->line, key->col,
						names.v[j]);
				goto out;
			}
			h = host_get(inv, names.v[j], key);
			add_index(&h->groups, &h->nr_groups, &h->alloc_groups,
				  g);
			if (!is_null(val)) {
				ED_ALLOC_GROW(h->vars, h->nr_vars + 1,
					      h->alloc_vars);
				h->vars[h->nr_vars++] = val;
			}
		}
	}
out:
	ed_strvec_release(&names);
	return rc;
}

static int parse_group(struct inventory *inv, const struct ed_ynode *key,
		       const struct ed_ynode *val, size_t parent,
		       struct ed_err *err)
{
	size_t g, i;
	int rc;

	if (!valid_name(key->str, NULL))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: bad group name '%s' (want [A-Za-z0-9._-])",
				  inv->name, key->line, key->col, key->str);
	g = group_get(inv, key->str);
	if (parent != NONE) {
		if (!strcmp(key->str, "all") || g == parent)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: group '%s' cannot be a child of '%s'",
					  inv->name, key->line, key->col,
					  key->str, inv->groups[parent].name);
		add_index(&inv->groups[g].parents, &inv->groups[g].nr_parents,
			  &inv->groups[g].alloc_parents, parent);
	}
	if (is_null(val))
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
			if (is_null(v))
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
			if (is_null(v))
				continue;
			if (v->type != ED_YMAP)
				return ed_err_set(err, ED_EPARSE,
						  "%s:%zu:%zu: vars of group '%s': want a mapping, not a %s",
						  inv->name, v->line, v->col,
						  key->str, ed_ynode_kind(v));
			ED_ALLOC_GROW(inv->groups[g].vars,
				      inv->groups[g].nr_vars + 1,
				      inv->groups[g].alloc_vars);
			inv->groups[g].vars[inv->groups[g].nr_vars++] = v;
		} else {
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: group '%s': unknown key '%s' (want hosts, children or vars)",
					  inv->name, k->line, k->col, key->str,
					  k->str);
		}
	}
	return 0;
}

/* Depth from "all" (0): a group without parents sits at 1. */
static int group_depth(struct inventory *inv, size_t g, struct ed_err *err)
{
	struct group *gr = &inv->groups[g];
	size_t i, d = 1;
	int rc;

	if (gr->state == 2)
		return 0;
	if (gr->state == 1)
		return ed_err_set(err, ED_EPARSE,
				  "%s: group '%s' is its own ancestor",
				  inv->name, gr->name);
	gr->state = 1;
	for (i = 0; i < gr->nr_parents; i++) {
		size_t p = gr->parents[i];

		rc = group_depth(inv, p, err);
		if (rc < 0)
			return rc;
		if (inv->groups[p].depth + 1 > d)
			d = inv->groups[p].depth + 1;
	}
	gr = &inv->groups[g];
	gr->depth = strcmp(gr->name, "all") ? d : 0;
	gr->state = 2;
	return 0;
}

static void varset_set(struct varset *vs, const struct ed_ynode *k,
		       const struct ed_ynode *v)
{
	size_t i;

	for (i = 0; i < vs->nr; i++)
		if (!strcmp(vs->keys[i]->str, k->str)) {
			vs->vals[i] = v;
			return;
		}
	ED_ALLOC_GROW(vs->keys, vs->nr + 1, vs->alloc);
	vs->vals = ed_xrealloc(vs->vals, ed_st_mult(vs->alloc,
						    sizeof(*vs->vals)));
	vs->keys[vs->nr] = k;
	vs->vals[vs->nr++] = v;
}

static void varset_add_map(struct varset *vs, const struct ed_ynode *map)
{
	size_t i;

	for (i = 0; i + 1 < map->nr; i += 2)
		varset_set(vs, map->kids[i], map->kids[i + 1]);
}

static const struct ed_ynode *varset_get(const struct varset *vs,
					 const char *key)
{
	size_t i;

	for (i = 0; i < vs->nr; i++)
		if (!strcmp(vs->keys[i]->str, key))
			return vs->vals[i];
	return NULL;
}

/* Ansible's order for applying group vars: by depth, then by name. */
static int group_before(const struct group *a, const struct group *b)
{
	if (a->depth != b->depth)
		return a->depth < b->depth;
	return strcmp(a->name, b->name) < 0;
}

/* Insertion sort: a host is in a handful of groups. */
static void sort_groups(const struct inventory *inv, size_t *v, size_t nr)
{
	size_t i, j;

	for (i = 1; i < nr; i++) {
		size_t x = v[i];

		for (j = i; j > 0 && group_before(&inv->groups[x],
						  &inv->groups[v[j - 1]]);
		     j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_def(const void *a, const void *b)
{
	return strcmp(((const struct hostdef *)a)->name,
		      ((const struct hostdef *)b)->name);
}

static int cmp_var(const void *a, const void *b)
{
	return strcmp(((const struct inventory_var *)a)->key,
		      ((const struct inventory_var *)b)->key);
}

/*
 * A string-valued variable: unset when absent or null. Vault values and
 * Jinja templates cannot be used for connecting, so they are errors.
 */
static int get_string(char **out, const struct varset *vs, const char *key,
		      const char *extra, const struct inventory *inv,
		      const struct hostdef *h, struct ed_err *err)
{
	const struct ed_ynode *v = varset_get(vs, key);

	*out = NULL;
	if (!v || is_null(v))
		return 0;
	if (is_vault(v))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s: vault-encrypted values are not supported here (host '%s')",
				  inv->name, v->line, v->col, key, h->name);
	if (v->type != ED_YSCALAR)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s: want a string, not a %s (host '%s')",
				  inv->name, v->line, v->col, key,
				  ed_ynode_kind(v), h->name);
	if (strstr(v->str, "{{") || strstr(v->str, "{%"))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s: templates are not supported (host '%s')",
				  inv->name, v->line, v->col, key, h->name);
	if (extra && (!valid_name(v->str, extra) || strlen(v->str) != v->len))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s: bad value '%s' (host '%s')",
				  inv->name, v->line, v->col, key, v->str,
				  h->name);
	*out = ed_xstrdup(v->str);
	return 0;
}

/* Every ancestor of h's direct groups, "all" included, appended to h. */
static void host_ancestors(struct inventory *inv, struct hostdef *h,
			   size_t stamp)
{
	size_t i, j, all = group_get(inv, "all");

	for (i = 0; i < h->nr_groups; i++)
		inv->groups[h->groups[i]].mark = stamp;
	if (inv->groups[all].mark != stamp) {
		inv->groups[all].mark = stamp;
		add_index(&h->groups, &h->nr_groups, &h->alloc_groups, all);
	}
	/* h->groups grows while walked: a breadth-first closure */
	for (i = 0; i < h->nr_groups; i++) {
		const struct group *g = &inv->groups[h->groups[i]];

		for (j = 0; j < g->nr_parents; j++) {
			size_t p = g->parents[j];

			if (inv->groups[p].mark == stamp)
				continue;
			inv->groups[p].mark = stamp;
			ED_ALLOC_GROW(h->groups, h->nr_groups + 1,
				      h->alloc_groups);
			h->groups[h->nr_groups++] = p;
		}
	}
}

static int resolve_host(struct inventory *inv, size_t idx,
			struct ed_err *err)
{
	struct hostdef *h = &inv->defs[idx];
	struct inventory_host *out = &inv->hosts[idx];
	struct varset vs = { NULL, NULL, 0, 0 };
	const struct ed_ynode *v;
	const char *env_group = NULL;
	size_t i, port, alloc_roles = 0;
	int rc = 0;

	host_ancestors(inv, h, idx + 1);
	sort_groups(inv, h->groups, h->nr_groups);
	for (i = 0; i < h->nr_groups; i++) {
		const struct group *g = &inv->groups[h->groups[i]];
		size_t j;

		for (j = 0; j < g->nr_vars; j++)
			varset_add_map(&vs, g->vars[j]);
	}
	for (i = 0; i < h->nr_vars; i++)
		varset_add_map(&vs, h->vars[i]);

	out->name = ed_xstrdup(h->name);
	out->line = h->line;
	out->col = h->col;
	out->port = 22;
	out->become_method = ed_xstrdup("sudo");

	rc = get_string(&out->env, &vs, "envdrift_env", "", inv, h, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < h->nr_groups; i++) {
		const struct group *g = &inv->groups[h->groups[i]];

		if (!g->is_env)
			continue;
		if (env_group && !out->env) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: host '%s' is in two environments, '%s' and '%s'",
					inv->name, h->line, h->col, h->name,
					env_group, g->name);
			goto out;
		}
		env_group = g->name;
	}
	if (!out->env && !env_group) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host '%s' is in no environment (set envdrift_env or add it to one environment group)",
				inv->name, h->line, h->col, h->name);
		goto out;
	}
	if (!out->env)
		out->env = ed_xstrdup(env_group);

	for (i = 0; i < h->nr_groups; i++) {
		const struct group *g = &inv->groups[h->groups[i]];

		if (g->is_env || !strcmp(g->name, "all") ||
		    !strcmp(g->name, "ungrouped"))
			continue;
		ED_ALLOC_GROW(out->roles, out->nr_roles + 1, alloc_roles);
		out->roles[out->nr_roles++] = ed_xstrdup(g->name);
	}
	if (out->nr_roles)
		qsort(out->roles, out->nr_roles, sizeof(*out->roles), cmp_str);

	rc = get_string(&out->connection, &vs, "ansible_connection", "", inv, h, err);
	if (rc < 0)
		goto out;
	if (!out->connection) {
		out->connection = ed_xstrdup("ssh");
	} else if (strcmp(out->connection, "ssh") && strcmp(out->connection, "local") &&
		   strcmp(out->connection, "chroot")) {
		v = varset_get(&vs, "ansible_connection");
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host '%s': connection '%s' is not supported (ssh, local or chroot)",
				inv->name, v->line, v->col, h->name, out->connection);
		goto out;
	}
	/* a chroot's ansible_host is its directory */
	rc = get_string(&out->address, &vs, "ansible_host",
			strcmp(out->connection, "chroot") ? ":" : ":/", inv, h, err);
	if (rc < 0)
		goto out;
	if (!strcmp(out->connection, "chroot") &&
	    (!out->address || out->address[0] != '/')) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host '%s': a chroot connection needs ansible_host set to an absolute directory",
				inv->name, h->line, h->col, h->name);
		goto out;
	}
	if (!out->address)
		out->address = ed_xstrdup(h->name);
	rc = get_string(&out->user, &vs, "ansible_user", "", inv, h, err);
	if (rc < 0)
		goto out;
	rc = get_string(&out->key_file, &vs, "ansible_ssh_private_key_file",
			NULL, inv, h, err);
	if (rc < 0)
		goto out;
	v = varset_get(&vs, "ansible_port");
	if (v && !is_null(v)) {
		rc = ed_ynode_size(&port, v, inv->name, "ansible_port", err);
		if (rc < 0)
			goto out;
		if (port < 1 || port > 65535) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: ansible_port: want 1 to 65535 (host '%s')",
					inv->name, v->line, v->col, h->name);
			goto out;
		}
		out->port = (unsigned)port;
	}
	v = varset_get(&vs, "ansible_become");
	if (v && !is_null(v)) {
		rc = ed_ynode_bool(&out->become, v, inv->name,
				   "ansible_become", err);
		if (rc < 0)
			goto out;
	}
	v = varset_get(&vs, "ansible_become_method");
	if (v && !is_null(v) &&
	    (v->type != ED_YSCALAR || strcmp(v->str, "sudo"))) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host '%s': become method '%s' is not supported (only sudo)",
				inv->name, v->line, v->col, h->name,
				v->type == ED_YSCALAR ? v->str : ed_ynode_kind(v));
		goto out;
	}

	for (i = 0; i < vs.nr; i++) {
		const struct ed_ynode *k = vs.keys[i], *val = vs.vals[i];
		struct inventory_var *iv;

		if (strncmp(k->str, "envdrift_", 9))
			continue;
		if (!is_vault(val) && val->type != ED_YSCALAR) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: %s: want a scalar, not a %s (host '%s')",
					inv->name, val->line, val->col, k->str,
					ed_ynode_kind(val), h->name);
			goto out;
		}
		out->vars = ed_xrealloc(out->vars,
					ed_st_mult(out->nr_vars + 1,
						   sizeof(*out->vars)));
		iv = &out->vars[out->nr_vars++];
		iv->key = ed_xstrdup(k->str);
		iv->vault = is_vault(val);
		iv->value = iv->vault ? NULL : ed_xstrdup(val->str);
	}
	if (out->nr_vars)
		qsort(out->vars, out->nr_vars, sizeof(*out->vars), cmp_var);
out:
	free(vs.keys);
	free(vs.vals);
	return rc;
}

static int resolve(struct inventory *inv, struct ed_err *err)
{
	size_t i, j, all = group_get(inv, "all"), ungrouped;
	int rc;

	/* a host only in "all" is in "ungrouped" too, as in Ansible */
	ungrouped = group_get(inv, "ungrouped");
	for (i = 0; i < inv->nr_defs; i++) {
		struct hostdef *h = &inv->defs[i];
		int other = 0;

		for (j = 0; j < h->nr_groups; j++)
			if (h->groups[j] != all)
				other = 1;
		if (!other)
			add_index(&h->groups, &h->nr_groups, &h->alloc_groups,
				  ungrouped);
	}
	for (i = 0; i < inv->nr_groups; i++) {
		rc = group_depth(inv, i, err);
		if (rc < 0)
			return rc;
	}
	free(inv->hash);
	inv->hash = NULL;
	inv->hash_size = 0;
	if (inv->nr_defs)
		qsort(inv->defs, inv->nr_defs, sizeof(*inv->defs), cmp_def);
	inv->hosts = ed_xcalloc(inv->nr_defs + 1, sizeof(*inv->hosts));
	for (i = 0; i < inv->nr_defs; i++) {
		rc = resolve_host(inv, i, err);
		if (rc < 0)
			return rc;
	}
	inv->selected = ed_xcalloc(inv->nr_defs + 1, 1);
	inv->sel = ed_xcalloc(inv->nr_defs + 1, sizeof(*inv->sel));
	for (i = 0; i < inv->nr_defs; i++) {
		inv->selected[i] = 1;
		inv->sel[i] = i;
	}
	inv->nr_sel = inv->nr_defs;
	return 0;
}

int inventory_load_buf(struct inventory **out, const char *buf, size_t len,
		       const char *name, const struct inventory_opts *opts,
		       struct ed_err *err)
{
	struct inventory *inv = ed_xcalloc(1, sizeof(*inv));
	const struct ed_ynode *doc;
	size_t i;
	int rc;

	*out = NULL;
	inv->name = ed_xstrdup(name);
	inv->envs = opts && opts->envs ? opts->envs : default_envs;
	inv->nr_envs = opts && opts->envs ? opts->nr_envs :
					    ED_ARRAY_SIZE(default_envs);
	rc = ed_yaml_load_ext(&inv->doc, buf, len, name, ED_YAML_ALIASES, err);
	if (rc < 0)
		goto out;
	doc = inv->doc;
	if (doc->type != ED_YMAP) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: inventory: want a mapping of groups, not a %s",
				name, doc->line, doc->col, ed_ynode_kind(doc));
		goto out;
	}
	group_get(inv, "all");
	for (i = 0; i + 1 < doc->nr; i += 2) {
		rc = parse_group(inv, doc->kids[i], doc->kids[i + 1], NONE,
				 err);
		if (rc < 0)
			goto out;
	}
	rc = resolve(inv, err);
	if (rc < 0)
		goto out;
	*out = inv;
	inv = NULL;
out:
	inventory_free(inv);
	return rc;
}

int inventory_load(struct inventory **out, const char *path,
		   const struct inventory_opts *opts, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	int rc;

	*out = NULL;
	rc = ed_buf_read_file(&b, path, MAX_FILE_BYTES, err);
	if (rc == ED_EPARTIAL)
		rc = ed_err_set(err, ED_EPARSE, "%s: inventory larger than %u bytes",
				path, MAX_FILE_BYTES);
	if (rc < 0)
		goto out;
	rc = inventory_load_buf(out, b.ptr, b.len, path, opts, err);
out:
	ed_buf_release(&b);
	return rc;
}

void inventory_free(struct inventory *inv)
{
	size_t i, j;

	if (!inv)
		return;
	for (i = 0; i < inv->nr_groups; i++) {
		free(inv->groups[i].name);
		free(inv->groups[i].parents);
		free(inv->groups[i].vars);
	}
	free(inv->groups);
	for (i = 0; i < inv->nr_defs; i++) {
		free(inv->defs[i].name);
		free(inv->defs[i].groups);
		free(inv->defs[i].vars);
		if (!inv->hosts)
			continue;
		free(inv->hosts[i].name);
		free(inv->hosts[i].env);
		for (j = 0; j < inv->hosts[i].nr_roles; j++)
			free(inv->hosts[i].roles[j]);
		free(inv->hosts[i].roles);
		free(inv->hosts[i].address);
		free(inv->hosts[i].connection);
		free(inv->hosts[i].user);
		free(inv->hosts[i].key_file);
		free(inv->hosts[i].become_method);
		for (j = 0; j < inv->hosts[i].nr_vars; j++) {
			free(inv->hosts[i].vars[j].key);
			free(inv->hosts[i].vars[j].value);
		}
		free(inv->hosts[i].vars);
	}
	free(inv->defs);
	free(inv->hosts);
	free(inv->hash);
	free(inv->selected);
	free(inv->sel);
	ed_ynode_free(inv->doc);
	free(inv->name);
	free(inv);
}

/* Mark in hit the hosts term names; returns how many groups/hosts matched. */
static size_t match_term(const struct inventory *inv, const char *term,
			 unsigned char *hit)
{
	size_t i, j, matched = 0;

	if (!strcmp(term, "all") || !strcmp(term, "*")) {
		memset(hit, 1, inv->nr_defs);
		return 1;
	}
	for (i = 0; i < inv->nr_groups; i++) {
		if (!ed_glob_match(term, inv->groups[i].name, '/'))
			continue;
		matched++;
		for (j = 0; j < inv->nr_defs; j++) {
			size_t k;

			for (k = 0; k < inv->defs[j].nr_groups; k++)
				if (inv->defs[j].groups[k] == i)
					hit[j] = 1;
		}
	}
	for (j = 0; j < inv->nr_defs; j++)
		if (ed_glob_match(term, inv->defs[j].name, '/')) {
			hit[j] = 1;
			matched++;
		}
	return matched;
}

int inventory_limit(struct inventory *inv, const char *pattern,
		    struct ed_err *err)
{
	unsigned char *plus = ed_xcalloc(inv->nr_defs + 1, 1);
	unsigned char *and = ed_xcalloc(inv->nr_defs + 1, 1);
	unsigned char *minus = ed_xcalloc(inv->nr_defs + 1, 1);
	unsigned char *hit = ed_xcalloc(inv->nr_defs + 1, 1);
	char *copy = ed_xstrdup(pattern), *term, *next;
	int have_plus = 0, rc = 0;
	size_t i;

	memset(and, 1, inv->nr_defs);
	for (term = copy; term; term = next) {
		char kind = 0;
		char *end;

		next = strchr(term, ',');
		if (next)
			*next++ = '\0';
		while (*term == ' ')
			term++;
		end = term + strlen(term);
		while (end > term && end[-1] == ' ')
			*--end = '\0';
		if (*term == '!' || *term == '&')
			kind = *term++;
		if (!*term || *term == '~') {
			rc = ed_err_set(err, ED_EPARSE,
					"limit '%s': %s", pattern,
					*term ? "regular expressions are not supported" :
						"empty term");
			goto out;
		}
		memset(hit, 0, inv->nr_defs + 1);
		if (!match_term(inv, term, hit)) {
			rc = ed_err_set(err, ED_ENOTFOUND,
					"limit: '%s' matches no host or group",
					term);
			goto out;
		}
		for (i = 0; i < inv->nr_defs; i++) {
			if (!kind)
				plus[i] |= hit[i];
			else if (kind == '&')
				and[i] &= hit[i];
			else
				minus[i] |= hit[i];
		}
		have_plus |= !kind;
	}
	inv->nr_sel = 0;
	for (i = 0; i < inv->nr_defs; i++) {
		inv->selected[i] = inv->selected[i] &&
				   (!have_plus || plus[i]) && and[i] &&
				   !minus[i];
		if (inv->selected[i])
			inv->sel[inv->nr_sel++] = i;
	}
out:
	free(plus);
	free(and);
	free(minus);
	free(hit);
	free(copy);
	return rc;
}

size_t inventory_nr_hosts(const struct inventory *inv)
{
	return inv->nr_sel;
}

const struct inventory_host *inventory_host(const struct inventory *inv,
					    size_t i)
{
	if (i >= inv->nr_sel)
		ED_BUG("inventory_host: index %zu of %zu", i, inv->nr_sel);
	return &inv->hosts[inv->sel[i]];
}

const struct inventory_host *inventory_find(const struct inventory *inv,
					    const char *name)
{
	size_t lo = 0, hi = inv->nr_defs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(inv->defs[mid].name, name);

		if (!c)
			return inv->selected[mid] ? &inv->hosts[mid] : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *inventory_host_var(const struct inventory_host *h,
			       const char *key)
{
	size_t i;

	for (i = 0; i < h->nr_vars; i++)
		if (!strcmp(h->vars[i].key, key))
			return h->vars[i].value;
	return NULL;
}
