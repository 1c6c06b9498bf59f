/*
 * Ansible inventory, YAML or INI: groups, host ranges and variable
 * inheritance, resolved into one flat record per host (environment, roles,
 * connection settings). An INI file is first read into the tree a YAML
 * file gives (inventory_ini.c); the trees, group_vars/host_vars files
 * included, stay alive inside the inventory (inventory_parse.c, then
 * inventory_vars.c, then inventory_resolve.c); this file holds the API and
 * the --limit selection.
 */
#include "collector/fleet/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/glob.h"
#include "core/shard.h"
#include "core/yaml.h"

#define MAX_FILE_BYTES (64u << 20)

static const char *const default_envs[] = {
	"dev",   "development", "test", "qa",         "staging",
	"stage", "preprod",     "prod", "production",
};

/* dir: where group_vars/ and host_vars/ are looked for; NULL: nowhere */
static int load(struct inventory **out, const char *buf, size_t len,
		const char *name, const char *dir,
		const struct inventory_opts *opts, struct ed_err *err)
{
	struct inventory *inv = ed_xcalloc(1, sizeof(*inv));
	int rc;

	*out = NULL;
	inv->name = ed_xstrdup(name);
	ed_strvec_init(&inv->var_files);
	inv->envs = opts && opts->envs ? opts->envs : default_envs;
	inv->nr_envs = opts && opts->envs ? opts->nr_envs :
					    ED_ARRAY_SIZE(default_envs);
	if (inv_ini_detect(buf, len))
		rc = inv_ini_load(&inv->doc, buf, len, name, err);
	else
		rc = ed_yaml_load_ext(&inv->doc, buf, len, name,
				      ED_YAML_ALIASES, err);
	if (rc < 0)
		goto out;
	rc = inv_parse(inv, inv->doc, err);
	if (rc < 0)
		goto out;
	if (dir) {
		rc = inv_load_var_dirs(inv, dir, err);
		if (rc < 0)
			goto out;
	}
	rc = inv_resolve(inv, err);
	if (rc < 0)
		goto out;
	*out = inv;
	inv = NULL;
out:
	inventory_free(inv);
	return rc;
}

int inventory_load_buf(struct inventory **out, const char *buf, size_t len,
		       const char *name, const struct inventory_opts *opts,
		       struct ed_err *err)
{
	return load(out, buf, len, name, NULL, opts, err);
}

int inventory_load(struct inventory **out, const char *path,
		   const struct inventory_opts *opts, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT, dir = ED_BUF_INIT;
	const char *slash = strrchr(path, '/');
	int rc;

	*out = NULL;
	if (slash)
		ed_buf_add(&dir, path, (size_t)(slash - path + 1));
	else
		ed_buf_adds(&dir, "./");
	rc = ed_buf_read_file(&b, path, MAX_FILE_BYTES, err);
	if (rc == ED_EPARTIAL)
		rc = ed_err_set(err, ED_EPARSE,
				"%s: inventory larger than %u bytes", path,
				MAX_FILE_BYTES);
	if (rc < 0)
		goto out;
	rc = load(out, b.ptr, b.len, path, dir.ptr, opts, err);
out:
	ed_buf_release(&b);
	ed_buf_release(&dir);
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
		free(inv->defs[i].all.keys);
		free(inv->defs[i].all.vals);
		free(inv->defs[i].all.files);
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
		for (j = 0; j < inv->hosts[i].nr_groups; j++)
			free(inv->hosts[i].groups[j]);
		free(inv->hosts[i].groups);
		for (j = 0; j < INVENTORY_NR_SETTINGS; j++)
			free(inv->hosts[i].origin[j]);
	}
	free(inv->defs);
	free(inv->hosts);
	free(inv->hash);
	free(inv->selected);
	free(inv->sel);
	ed_ynode_free(inv->doc);
	for (i = 0; i < inv->nr_var_docs; i++)
		ed_ynode_free(inv->var_docs[i]);
	free(inv->var_docs);
	ed_strvec_release(&inv->var_files);
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

int inventory_limit(struct inventory *inv, const char *pattern, struct ed_err *err)
{
	unsigned char *plus = ed_xcalloc(inv->nr_defs + 1, 1);
	unsigned char *and = ed_xcalloc(inv->nr_defs + 1, 1);
	unsigned char *minus = ed_xcalloc(inv->nr_defs + 1, 1);
	unsigned char *hit = ed_xcalloc(inv->nr_defs + 1, 1);
	char *copy = ed_xstrdup(pattern), *term, *next;
	int have_plus = 0, rc = 0;
	size_t i;

	memset(and, 1, inv->nr_defs);
	/* without a comma Ansible splits on ':' too ("web:&prod") */
	if (!strchr(copy, ',')) {
		int depth = 0;

		for (next = copy; *next; next++)
			if (*next == '[')
				depth++;
			else if (*next == ']')
				depth--;
			else if (*next == ':' && !depth)
				*next = ',';
	}
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
			rc = ed_err_set(err, ED_EPARSE, "limit '%s': %s", pattern,
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
		inv->selected[i] = inv->selected[i] && (!have_plus || plus[i]) &&
				   and[i] && !minus[i];
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

void inventory_shard(struct inventory *inv, unsigned k, unsigned n)
{
	size_t i;

	inv->nr_sel = 0;
	for (i = 0; i < inv->nr_defs; i++) {
		inv->selected[i] = inv->selected[i] &&
				   ed_shard_of(inv->hosts[i].name, n) + 1 == k;
		if (inv->selected[i])
			inv->sel[inv->nr_sel++] = i;
	}
}

size_t inventory_nr_hosts(const struct inventory *inv)
{
	return inv->nr_sel;
}

const struct inventory_host *inventory_host(const struct inventory *inv, size_t i)
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

const char *inventory_host_var(const struct inventory_host *h, const char *key)
{
	size_t i;

	for (i = 0; i < h->nr_vars; i++)
		if (!strcmp(h->vars[i].key, key))
			return h->vars[i].value;
	return NULL;
}
