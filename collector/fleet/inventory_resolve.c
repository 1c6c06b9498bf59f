/*
 * Each host definition resolved into one flat record: its groups and
 * their ancestors, variables inherited in Ansible's order (depth, then
 * name; host variables last), its one environment, its roles, and the
 * connection settings, checked so no shell metacharacter passes.
 */
#include "collector/fleet/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/yaml.h"

/* Depth from "all" (0): a group without parents sits at 1. */
static int group_depth(struct inventory *inv, size_t g, struct ed_err *err)
{
	struct inv_group *gr = &inv->groups[g];
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

static void varset_set(struct inv_varset *vs, const struct ed_ynode *k,
		       const struct ed_ynode *v, const char *file)
{
	size_t i;

	for (i = 0; i < vs->nr; i++)
		if (!strcmp(vs->keys[i]->str, k->str)) {
			vs->keys[i] = k;
			vs->vals[i] = v;
			vs->files[i] = file;
			return;
		}
	ED_ALLOC_GROW(vs->keys, vs->nr + 1, vs->alloc);
	vs->vals =
		ed_xrealloc(vs->vals, ed_st_mult(vs->alloc, sizeof(*vs->vals)));
	vs->files = ed_xrealloc(vs->files,
				ed_st_mult(vs->alloc, sizeof(*vs->files)));
	vs->keys[vs->nr] = k;
	vs->files[vs->nr] = file;
	vs->vals[vs->nr++] = v;
}

static void varset_add_map(struct inv_varset *vs, const struct inv_vars *m)
{
	size_t i;

	for (i = 0; i + 1 < m->map->nr; i += 2)
		varset_set(vs, m->map->kids[i], m->map->kids[i + 1], m->file);
}

static size_t varset_find(const struct inv_varset *vs, const char *key)
{
	size_t i;

	for (i = 0; i < vs->nr; i++)
		if (!strcmp(vs->keys[i]->str, key))
			return i;
	return INV_NONE;
}

static const struct ed_ynode *varset_get(const struct inv_varset *vs,
					 const char *key)
{
	size_t i = varset_find(vs, key);

	return i == INV_NONE ? NULL : vs->vals[i];
}

/* "FILE:LINE" of the variable key, or NULL when it is unset. */
static char *var_origin(const struct inv_varset *vs, const char *key)
{
	size_t i = varset_find(vs, key);
	struct ed_buf b = ED_BUF_INIT;

	if (i == INV_NONE || inv_is_null(vs->vals[i]))
		return NULL;
	ed_buf_addf(&b, "%s:%zu", vs->files[i], vs->vals[i]->line);
	return ed_buf_detach(&b, NULL);
}

/* Ansible's order for applying group vars: by depth, then by name. */
static int group_before(const struct inv_group *a, const struct inv_group *b)
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
	return strcmp(((const struct inv_hostdef *)a)->name,
		      ((const struct inv_hostdef *)b)->name);
}

static int cmp_var(const void *a, const void *b)
{
	return strcmp(((const struct inventory_var *)a)->key,
		      ((const struct inventory_var *)b)->key);
}

/* The file the value v (of vs) was read from, for messages. */
static const char *file_of(const struct inv_varset *vs,
			   const struct ed_ynode *v, const struct inventory *inv)
{
	size_t i;

	for (i = 0; i < vs->nr; i++)
		if (vs->vals[i] == v)
			return vs->files[i];
	return inv->name;
}

/*
 * A string-valued variable: unset when absent or null. Vault values and
 * Jinja templates cannot be used for connecting, so they are errors.
 */
static int get_string(char **out, const struct inv_varset *vs, const char *key,
		      const char *extra, const struct inventory *inv,
		      const struct inv_hostdef *h, struct ed_err *err)
{
	const struct ed_ynode *v = varset_get(vs, key);

	*out = NULL;
	if (!v || inv_is_null(v))
		return 0;
	if (inv_is_vault(v))
		return ed_err_set(
			err, ED_EPARSE,
			"%s:%zu:%zu: %s: vault-encrypted values are not supported here (host '%s')",
			file_of(vs, v, inv), v->line, v->col, key, h->name);
	if (v->type != ED_YSCALAR)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s: want a string, not a %s (host '%s')",
				  file_of(vs, v, inv), v->line, v->col, key,
				  ed_ynode_kind(v), h->name);
	if (strstr(v->str, "{{") || strstr(v->str, "{%"))
		return ed_err_set(
			err, ED_EPARSE,
			"%s:%zu:%zu: %s: templates are not supported (host '%s')",
			file_of(vs, v, inv), v->line, v->col, key, h->name);
	if (extra && (!inv_valid_name(v->str, extra) || strlen(v->str) != v->len))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu:%zu: %s: bad value '%s' (host '%s')",
				  file_of(vs, v, inv), v->line, v->col, key,
				  v->str, h->name);
	*out = ed_xstrdup(v->str);
	return 0;
}

/* Every ancestor of h's direct groups, "all" included, appended to h. */
static void host_ancestors(struct inventory *inv, struct inv_hostdef *h,
			   size_t stamp)
{
	size_t i, j, all = inv_group_get(inv, "all");

	for (i = 0; i < h->nr_groups; i++)
		inv->groups[h->groups[i]].mark = stamp;
	if (inv->groups[all].mark != stamp) {
		inv->groups[all].mark = stamp;
		inv_add_index(&h->groups, &h->nr_groups, &h->alloc_groups, all);
	}
	/* h->groups grows while walked: a breadth-first closure */
	for (i = 0; i < h->nr_groups; i++) {
		const struct inv_group *g = &inv->groups[h->groups[i]];

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

static int resolve_host(struct inventory *inv, size_t idx, struct ed_err *err)
{
	struct inv_hostdef *h = &inv->defs[idx];
	struct inventory_host *out = &inv->hosts[idx];
	struct inv_varset *vs = &h->all;
	int pass;
	const struct ed_ynode *v;
	const char *env_group = NULL;
	size_t i, port, alloc_roles = 0;
	int rc = 0;

	host_ancestors(inv, h, idx + 1);
	sort_groups(inv, h->groups, h->nr_groups);
	/* Ansible: every group's inventory vars, then every group_vars file */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < h->nr_groups; i++) {
			const struct inv_group *g = &inv->groups[h->groups[i]];
			size_t j;

			for (j = 0; j < g->nr_vars; j++)
				if (g->vars[j].from_dir == pass)
					varset_add_map(vs, &g->vars[j]);
		}
	for (i = 0; i < h->nr_vars; i++)
		varset_add_map(vs, &h->vars[i]);
	for (i = 0; i < h->nr_groups; i++) {
		out->groups =
			ed_xrealloc(out->groups,
				    ed_st_mult(i + 1, sizeof(*out->groups)));
		out->groups[out->nr_groups++] =
			ed_xstrdup(inv->groups[h->groups[i]].name);
	}
	qsort(out->groups, out->nr_groups, sizeof(*out->groups), cmp_str);

	out->name = ed_xstrdup(h->name);
	out->line = h->line;
	out->col = h->col;
	out->port = 22;
	out->become_method = ed_xstrdup("sudo");

	rc = get_string(&out->env, vs, "envdrift_env", "", inv, h, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < h->nr_groups; i++) {
		const struct inv_group *g = &inv->groups[h->groups[i]];

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
	if (out->env) {
		out->origin[INVENTORY_ENV] = var_origin(vs, "envdrift_env");
	} else {
		struct ed_buf b = ED_BUF_INIT;

		out->env = ed_xstrdup(env_group);
		ed_buf_addf(&b, "%s: group %s", inv->name, env_group);
		out->origin[INVENTORY_ENV] = ed_buf_detach(&b, NULL);
	}

	for (i = 0; i < h->nr_groups; i++) {
		const struct inv_group *g = &inv->groups[h->groups[i]];

		if (g->is_env || !strcmp(g->name, "all") ||
		    !strcmp(g->name, "ungrouped"))
			continue;
		ED_ALLOC_GROW(out->roles, out->nr_roles + 1, alloc_roles);
		out->roles[out->nr_roles++] = ed_xstrdup(g->name);
	}
	if (out->nr_roles)
		qsort(out->roles, out->nr_roles, sizeof(*out->roles), cmp_str);

	/* the node a connection comes from (set whenever it is), for messages */
	v = varset_get(vs, "ansible_connection");
	rc = get_string(&out->connection, vs, "ansible_connection", "", inv, h,
			err);
	if (rc < 0)
		goto out;
	if (!out->connection) {
		out->connection = ed_xstrdup("ssh");
	} else if (v && strcmp(out->connection, "ssh") &&
		   strcmp(out->connection, "local") &&
		   strcmp(out->connection, "chroot")) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host '%s': connection '%s' is not supported (ssh, local or chroot)",
				file_of(vs, v, inv), v->line, v->col, h->name,
				out->connection);
		goto out;
	}
	/* a chroot's ansible_host is its directory */
	rc = get_string(&out->address, vs, "ansible_host",
			strcmp(out->connection, "chroot") ? ":" : ":/", inv, h,
			err);
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
	rc = get_string(&out->user, vs, "ansible_user", "", inv, h, err);
	if (rc < 0)
		goto out;
	rc = get_string(&out->key_file, vs, "ansible_ssh_private_key_file",
			NULL, inv, h, err);
	if (rc < 0)
		goto out;
	v = varset_get(vs, "ansible_port");
	if (v && !inv_is_null(v)) {
		rc = ed_ynode_size(&port, v, file_of(vs, v, inv),
				   "ansible_port", err);
		if (rc < 0)
			goto out;
		if (port < 1 || port > 65535) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: ansible_port: want 1 to 65535 (host '%s')",
					file_of(vs, v, inv), v->line, v->col,
					h->name);
			goto out;
		}
		out->port = (unsigned)port;
	}
	v = varset_get(vs, "ansible_become");
	if (v && !inv_is_null(v)) {
		rc = ed_ynode_bool(&out->become, v, file_of(vs, v, inv),
				   "ansible_become", err);
		if (rc < 0)
			goto out;
	}
	v = varset_get(vs, "ansible_become_method");
	if (v && !inv_is_null(v) &&
	    (v->type != ED_YSCALAR || strcmp(v->str, "sudo"))) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: host '%s': become method '%s' is not supported (only sudo)",
				file_of(vs, v, inv), v->line, v->col, h->name,
				v->type == ED_YSCALAR ? v->str : ed_ynode_kind(v));
		goto out;
	}

	out->origin[INVENTORY_CONNECTION] = var_origin(vs, "ansible_connection");
	out->origin[INVENTORY_ADDRESS] = var_origin(vs, "ansible_host");
	out->origin[INVENTORY_PORT] = var_origin(vs, "ansible_port");
	out->origin[INVENTORY_USER] = var_origin(vs, "ansible_user");
	out->origin[INVENTORY_KEY_FILE] =
		var_origin(vs, "ansible_ssh_private_key_file");
	out->origin[INVENTORY_BECOME] = var_origin(vs, "ansible_become");

	for (i = 0; i < vs->nr; i++) {
		const struct ed_ynode *k = vs->keys[i], *val = vs->vals[i];
		struct inventory_var *iv;

		if (strncmp(k->str, "envdrift_", 9))
			continue;
		if (!inv_is_vault(val) && val->type != ED_YSCALAR) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: %s: want a scalar, not a %s (host '%s')",
					file_of(vs, val, inv), val->line, val->col,
					k->str, ed_ynode_kind(val), h->name);
			goto out;
		}
		out->vars =
			ed_xrealloc(out->vars, ed_st_mult(out->nr_vars + 1,
							  sizeof(*out->vars)));
		iv = &out->vars[out->nr_vars++];
		iv->key = ed_xstrdup(k->str);
		iv->vault = inv_is_vault(val);
		iv->value = iv->vault ? NULL : ed_xstrdup(val->str);
	}
	if (out->nr_vars)
		qsort(out->vars, out->nr_vars, sizeof(*out->vars), cmp_var);
out:
	return rc;
}

int inv_resolve(struct inventory *inv, struct ed_err *err)
{
	size_t i, j, all = inv_group_get(inv, "all"), ungrouped;
	int rc;

	/* a host only in "all" is in "ungrouped" too, as in Ansible */
	ungrouped = inv_group_get(inv, "ungrouped");
	for (i = 0; i < inv->nr_defs; i++) {
		struct inv_hostdef *h = &inv->defs[i];
		int other = 0;

		for (j = 0; j < h->nr_groups; j++)
			if (h->groups[j] != all)
				other = 1;
		if (!other)
			inv_add_index(&h->groups, &h->nr_groups,
				      &h->alloc_groups, ungrouped);
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
