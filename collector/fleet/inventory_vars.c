/*
 * group_vars/ and host_vars/ beside an inventory file, found as Ansible's
 * host_group_vars plugin finds them: for a group or host NAME the first of
 * NAME (a file, or a directory whose files are read in sorted order,
 * recursively, skipping hidden and backup files), NAME.yml, NAME.yaml and
 * NAME.json that exists. Each file is a YAML mapping; its variables are
 * appended after the inventory file's, which they override (for groups,
 * after every group's inventory variables: inventory_resolve.c).
 */
#include "collector/fleet/internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"
#include "core/yaml.h"

#define MAX_VAR_BYTES (16u << 20)
#define MAX_VAR_FILES 10000
#define MAX_DIR_DEPTH 8

static const char *const exts[] = { "", ".yml", ".yaml", ".json" };

/* The files of directory path Ansible reads, sorted, into files. */
static int list_dir(struct ed_strvec *files, const char *path, int depth,
		    struct ed_err *err)
{
	struct ed_strvec names = ED_STRVEC_INIT;
	struct ed_buf full = ED_BUF_INIT;
	struct dirent *de;
	DIR *d;
	size_t i;
	int rc = 0;

	if (depth > MAX_DIR_DEPTH)
		return ed_err_set(err, ED_EPARSE,
				  "%s: directories nested deeper than %d", path,
				  MAX_DIR_DEPTH);
	d = opendir(path);
	if (!d)
		return ed_err_set(err, ED_EIO, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) && names.nr < MAX_VAR_FILES)
		if (de->d_name[0] != '.' &&
		    de->d_name[strlen(de->d_name) - 1] != '~')
			ed_strvec_push(&names, de->d_name);
	closedir(d);
	ed_strvec_sort(&names);
	for (i = 0; i < names.nr && !rc; i++) {
		const char *dot = strrchr(names.v[i], '.');
		struct stat st;
		size_t k;

		ed_buf_reset(&full);
		ed_buf_addf(&full, "%s/%s", path, names.v[i]);
		if (stat(full.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && !dot) {
			rc = list_dir(files, full.ptr, depth + 1, err);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		for (k = 0; dot && k < ED_ARRAY_SIZE(exts); k++)
			if (exts[k][0] && !strcmp(dot, exts[k]))
				break;
		if (!dot || k < ED_ARRAY_SIZE(exts)) {
			if (files->nr >= MAX_VAR_FILES)
				rc = ed_err_set(err, ED_EPARSE,
						"%s: more than %d variable files",
						path, MAX_VAR_FILES);
			else
				ed_strvec_push(files, full.ptr);
		}
	}
	ed_strvec_release(&names);
	ed_buf_release(&full);
	return rc;
}

/* The files for entity name under dir ("DIR/group_vars"), in order. */
static int find_files(struct ed_strvec *files, const char *dir,
		      const char *name, struct ed_err *err)
{
	struct ed_buf p = ED_BUF_INIT;
	struct stat st;
	size_t k;
	int rc = 0;

	for (k = 0; k < ED_ARRAY_SIZE(exts); k++) {
		ed_buf_reset(&p);
		ed_buf_addf(&p, "%s/%s%s", dir, name, exts[k]);
		if (stat(p.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = list_dir(files, p.ptr, 0, err);
		else
			ed_strvec_push(files, p.ptr);
		break;
	}
	ed_buf_release(&p);
	return rc;
}

/* Read one variables file into inv; *map is its mapping (NULL: empty). */
static int load_file(const struct ed_ynode **map, struct inventory *inv,
		     const char *path, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_ynode *doc = NULL;
	int rc;

	*map = NULL;
	rc = ed_buf_read_file(&b, path, MAX_VAR_BYTES, err);
	if (rc == ED_EPARTIAL)
		rc = ed_err_set(err, ED_EPARSE, "%s: larger than %u bytes",
				path, MAX_VAR_BYTES);
	if (rc < 0)
		goto out;
	if (!strncmp(b.ptr, "$ANSIBLE_VAULT;", 15)) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s: vault-encrypted files are not supported",
				path);
		goto out;
	}
	rc = ed_yaml_load_ext(&doc, b.ptr, b.len, path, ED_YAML_ALIASES, err);
	if (rc < 0)
		goto out;
	if (doc->type != ED_YMAP && !inv_is_null(doc)) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%zu:%zu: want a mapping of variables, not a %s",
				path, doc->line, doc->col, ed_ynode_kind(doc));
		goto out;
	}
	ED_ALLOC_GROW(inv->var_docs, inv->nr_var_docs + 1, inv->alloc_var_docs);
	inv->var_docs[inv->nr_var_docs++] = doc;
	if (doc->type == ED_YMAP && doc->nr)
		*map = doc;
	doc = NULL;
out:
	ed_ynode_free(doc);
	ed_buf_release(&b);
	return rc;
}

/* Every file of name under dir appended to *v. */
static int load_entity(struct inventory *inv, const char *dir, const char *name,
		       struct inv_vars **v, size_t *nr, size_t *alloc,
		       struct ed_err *err)
{
	struct ed_strvec files = ED_STRVEC_INIT;
	size_t i;
	int rc;

	if (name[0] == '.')
		return 0; /* never a path outside the directory */
	rc = find_files(&files, dir, name, err);
	for (i = 0; !rc && i < files.nr; i++) {
		const struct ed_ynode *map;

		rc = load_file(&map, inv, files.v[i], err);
		if (rc < 0 || !map)
			continue;
		ed_strvec_push(&inv->var_files, files.v[i]);
		inv_vars_add(v, nr, alloc, map,
			     inv->var_files.v[inv->var_files.nr - 1]);
		(*v)[*nr - 1].from_dir = 1;
	}
	ed_strvec_release(&files);
	return rc;
}

int inv_load_var_dirs(struct inventory *inv, const char *dir, struct ed_err *err)
{
	struct ed_buf gdir = ED_BUF_INIT, hdir = ED_BUF_INIT;
	struct stat st;
	size_t i;
	int rc = 0;

	ed_buf_addf(&gdir, "%sgroup_vars", dir);
	ed_buf_addf(&hdir, "%shost_vars", dir);
	if (stat(gdir.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* "ungrouped" is made by the resolver; Ansible reads its file */
		inv_group_get(inv, "ungrouped");
		for (i = 0; !rc && i < inv->nr_groups; i++) {
			struct inv_group *g = &inv->groups[i];

			rc = load_entity(inv, gdir.ptr, g->name, &g->vars,
					 &g->nr_vars, &g->alloc_vars, err);
		}
	}
	if (!rc && stat(hdir.ptr, &st) == 0 && S_ISDIR(st.st_mode))
		for (i = 0; !rc && i < inv->nr_defs; i++) {
			struct inv_hostdef *h = &inv->defs[i];

			rc = load_entity(inv, hdir.ptr, h->name, &h->vars,
					 &h->nr_vars, &h->alloc_vars, err);
		}
	ed_buf_release(&gdir);
	ed_buf_release(&hdir);
	return rc;
}
