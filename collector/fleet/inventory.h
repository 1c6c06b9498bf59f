#ifndef ENVDRIFT_COLLECTOR_INVENTORY_H
#define ENVDRIFT_COLLECTOR_INVENTORY_H
/*
 * Ansible YAML inventories, so teams reuse what they have: groups with
 * hosts, children and vars (anchors and merge keys expanded under a cap),
 * host ranges, inherited variables. Each host resolves to one environment,
 * its roles and the connection settings a fleet scan needs. Host names and
 * connection values are checked here so shell metacharacters never pass.
 */
#include <stddef.h>

#include "core/err.h"

struct inventory;

struct inventory_opts {
	/* environment group names; NULL means dev, development, test, qa,
	 * staging, stage, preprod, prod, production */
	const char *const *envs;
	size_t nr_envs;
};

/* An envdrift_* variable. A "!vault" value is opaque: value NULL, vault 1. */
struct inventory_var {
	char *key;
	char *value;
	int vault;
};

/* One host after range expansion and variable inheritance; all borrowed. */
struct inventory_host {
	char *name;          /* [A-Za-z0-9._-]+ */
	char *env;           /* envdrift_env, else its one environment group */
	char **roles;        /* its other groups, sorted; not all/ungrouped */
	size_t nr_roles;
	char *connection;    /* ansible_connection: "ssh" (default), "local"
			      * (this machine) or "chroot" (address is a root
			      * directory read as collect --root does) */
	char *address;       /* ansible_host; the name when unset */
	unsigned port;       /* ansible_port; 22 when unset */
	char *user;          /* ansible_user; NULL when unset */
	char *key_file;      /* ansible_ssh_private_key_file; NULL when unset */
	int become;          /* ansible_become */
	char *become_method; /* always "sudo" */
	struct inventory_var *vars; /* envdrift_* variables, sorted by key */
	size_t nr_vars;
	size_t line, col;    /* where the host is first listed */
};

/*
 * Read and resolve the inventory at path (or in buf; name is for messages).
 * opts may be NULL. The caller frees *out with inventory_free. Returns
 * ED_EIO/ED_ENOTFOUND for the file, ED_EPARSE with "path:line:col: what".
 */
int inventory_load(struct inventory **out, const char *path,
		   const struct inventory_opts *opts, struct ed_err *err);
int inventory_load_buf(struct inventory **out, const char *buf, size_t len,
		       const char *name, const struct inventory_opts *opts,
		       struct ed_err *err);
void inventory_free(struct inventory *inv);

/*
 * Narrow the selected hosts (initially all) to pattern, as --limit:
 * comma-separated terms, each a group name, a host name or a glob over
 * both ('*', '?', '[...]'); "!term" excludes, "&term" intersects; "all"
 * is every host. Plain terms are united first, then intersections, then
 * exclusions (Ansible's order). Limits compose. ED_ENOTFOUND names a term
 * that matches nothing, ED_EPARSE a malformed pattern.
 */
int inventory_limit(struct inventory *inv, const char *pattern,
		    struct ed_err *err);

/* Selected hosts, sorted by name; pointers valid until inventory_free. */
size_t inventory_nr_hosts(const struct inventory *inv);
const struct inventory_host *inventory_host(const struct inventory *inv,
					    size_t i);
/* Selected host by exact name, or NULL. */
const struct inventory_host *inventory_find(const struct inventory *inv,
					    const char *name);
/* Value of an envdrift_* variable of h, or NULL if unset or vault. */
const char *inventory_host_var(const struct inventory_host *h,
			       const char *key);

#endif
