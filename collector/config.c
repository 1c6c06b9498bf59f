/*
 * Collection configuration: the compiled-in defaults
 * (baselines/collect-default.yaml, baselines/sysctl-classes.yaml) and an
 * optional user file with the same keys. Unknown keys are errors, so a typo
 * never silently turns a collector off.
 */
#include "collector/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/yaml.h"

struct cfg_ctx {
	const char *name; /* file name for messages */
	struct ed_err *err;
};

static int bad(const struct cfg_ctx *c, const struct ed_ynode *n, const char *what)
{
	return ed_err_set(c->err, ED_EPARSE, "%s:%zu:%zu: %s", c->name, n->line,
			  n->col, what);
}

static int want_map(const struct cfg_ctx *c, const struct ed_ynode *n,
		    const char *key)
{
	struct ed_buf b = ED_BUF_INIT;
	int rc;

	if (n->type == ED_YMAP)
		return 0;
	ed_buf_addf(&b, "%s: want a mapping, found a %s", key, ed_ynode_kind(n));
	rc = bad(c, n, b.ptr);
	ed_buf_release(&b);
	return rc;
}

/* Check every key of map n is one of allowed (NULL-terminated). */
static int check_keys(const struct cfg_ctx *c, const struct ed_ynode *n,
		      const char *const *allowed)
{
	size_t i, j;

	for (i = 0; i + 1 < n->nr; i += 2) {
		const struct ed_ynode *k = n->kids[i];
		int ok = 0;

		for (j = 0; allowed[j]; j++)
			if (!strcmp(k->str, allowed[j]))
				ok = 1;
		if (!ok) {
			struct ed_buf b = ED_BUF_INIT;
			int rc;

			ed_buf_addf(&b, "unknown key '%s'", k->str);
			rc = bad(c, k, b.ptr);
			ed_buf_release(&b);
			return rc;
		}
	}
	return 0;
}

/* Fill sv from a sequence of scalars; replace=1 empties it first. */
static int read_list(struct ed_strvec *sv, const struct cfg_ctx *c,
		     const struct ed_ynode *n, const char *key, int replace)
{
	size_t i;

	if (n->type != ED_YSEQ) {
		struct ed_buf b = ED_BUF_INIT;
		int rc;

		ed_buf_addf(&b, "%s: want a list, found a %s", key,
			    ed_ynode_kind(n));
		rc = bad(c, n, b.ptr);
		ed_buf_release(&b);
		return rc;
	}
	for (i = 0; i < n->nr; i++)
		if (n->kids[i]->type != ED_YSCALAR || !n->kids[i]->len)
			return bad(c, n->kids[i], "want a non-empty string");
	if (replace)
		ed_strvec_release(sv);
	for (i = 0; i < n->nr; i++)
		ed_strvec_push(sv, n->kids[i]->str);
	return 0;
}

/* key -> list, key-extra -> appended list */
static int read_list_pair(struct ed_strvec *sv, const struct cfg_ctx *c,
			  const struct ed_ynode *map, const char *key)
{
	struct ed_buf extra = ED_BUF_INIT;
	const struct ed_ynode *n = ed_ymap_get(map, key);
	int rc = 0;

	if (n)
		rc = read_list(sv, c, n, key, 1);
	ed_buf_addf(&extra, "%s-extra", key);
	n = ed_ymap_get(map, extra.ptr);
	if (!rc && n)
		rc = read_list(sv, c, n, extra.ptr, 0);
	ed_buf_release(&extra);
	return rc;
}

static int read_classes(struct sysctl_classes *cl, const struct cfg_ctx *c,
			const struct ed_ynode *n)
{
	static const char *const keys[] = {
		"volatile",     "per-host",         "secret",
		"write-only",   "volatile-extra",   "per-host-extra",
		"secret-extra", "write-only-extra", NULL
	};
	int rc;

	rc = want_map(c, n, "sysctl-classes");
	if (!rc)
		rc = check_keys(c, n, keys);
	if (!rc)
		rc = read_list_pair(&cl->volatile_keys, c, n, "volatile");
	if (!rc)
		rc = read_list_pair(&cl->per_host, c, n, "per-host");
	if (!rc)
		rc = read_list_pair(&cl->secret, c, n, "secret");
	if (!rc)
		rc = read_list_pair(&cl->write_only, c, n, "write-only");
	return rc;
}

static int read_collectors(struct collect_config *cfg, const struct cfg_ctx *c,
			   const struct ed_ynode *n)
{
	static const char *const keys[] = { "packages", "kernel",   "sysctl",
					    "services", "files",    "identity",
					    NULL };
	bool *flags[] = { &cfg->packages, &cfg->kernel, &cfg->sysctl,
			  &cfg->services, &cfg->files,  &cfg->identity };
	size_t i;
	int rc;

	rc = want_map(c, n, "collectors");
	if (!rc)
		rc = check_keys(c, n, keys);
	for (i = 0; !rc && keys[i]; i++) {
		const struct ed_ynode *v = ed_ymap_get(n, keys[i]);
		int b;

		if (!v)
			continue;
		rc = ed_ynode_bool(&b, v, c->name, keys[i], c->err);
		if (!rc)
			*flags[i] = b;
	}
	return rc;
}

/* Every include path is absolute; the error points at the entry. */
static int check_absolute(const struct cfg_ctx *c, const struct ed_ynode *list)
{
	size_t i;

	for (i = 0; list && i < list->nr; i++) {
		const struct ed_ynode *item = list->kids[i];

		if (item->str[0] != '/') {
			struct ed_buf b = ED_BUF_INIT;
			int rc;

			ed_buf_addf(&b,
				    "files.include: '%s': paths must be absolute",
				    item->str);
			rc = bad(c, item, b.ptr);
			ed_buf_release(&b);
			return rc;
		}
	}
	return 0;
}

static int read_files(struct collect_config *cfg, const struct cfg_ctx *c,
		      const struct ed_ynode *n)
{
	static const char *const keys[] = { "include",
					    "exclude",
					    "include-extra",
					    "exclude-extra",
					    "content-max",
					    "max-files",
					    NULL };
	const struct ed_ynode *v;
	int rc;

	rc = want_map(c, n, "files");
	if (!rc)
		rc = check_keys(c, n, keys);
	if (!rc)
		rc = read_list_pair(&cfg->file_include, c, n, "include");
	if (!rc)
		rc = read_list_pair(&cfg->file_exclude, c, n, "exclude");
	v = ed_ymap_get(n, "content-max");
	if (!rc && v)
		rc = ed_ynode_size(&cfg->content_max, v, c->name, "content-max",
				   c->err);
	v = ed_ymap_get(n, "max-files");
	if (!rc && v)
		rc = ed_ynode_size(&cfg->max_files, v, c->name, "max-files",
				   c->err);
	if (!rc)
		rc = check_absolute(c, ed_ymap_get(n, "include"));
	if (!rc)
		rc = check_absolute(c, ed_ymap_get(n, "include-extra"));
	return rc;
}

static int read_secrets(struct collect_config *cfg, const struct cfg_ctx *c,
			const struct ed_ynode *n)
{
	static const char *const keys[] = { "files",       "values",
					    "files-extra", "values-extra",
					    "plain-files", "plain-files-extra",
					    NULL };
	int rc;

	rc = want_map(c, n, "secrets");
	if (!rc)
		rc = check_keys(c, n, keys);
	if (!rc)
		rc = read_list_pair(&cfg->secret_files, c, n, "files");
	if (!rc)
		rc = read_list_pair(&cfg->secret_values, c, n, "values");
	if (!rc)
		rc = read_list_pair(&cfg->plain_files, c, n, "plain-files");
	return rc;
}

#define TOGGLE_NAME_MAX 64
#define TOGGLE_ARGV_MAX 64
#define TOGGLE_TIMEOUT_DEFAULT 30
#define TOGGLE_TIMEOUT_MAX 600

static void free_toggle_cmds(struct collect_config *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->toggle_cmds_nr; i++) {
		free(cfg->toggle_cmds[i].name);
		for (j = 0;
		     cfg->toggle_cmds[i].argv && cfg->toggle_cmds[i].argv[j]; j++)
			free(cfg->toggle_cmds[i].argv[j]);
		free(cfg->toggle_cmds[i].argv);
	}
	free(cfg->toggle_cmds);
	cfg->toggle_cmds = NULL;
	cfg->toggle_cmds_nr = 0;
}

/* A name becomes the first part of a fact key: "NAME:KEY". */
static int toggle_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > TOGGLE_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return 0;
	return 1;
}

/* {name: app, run: [/usr/bin/app, flags], format: json, timeout: 30} */
static int read_toggle_cmd(struct toggle_cmd *t, const struct cfg_ctx *c,
			   const struct ed_ynode *n)
{
	static const char *const keys[] = { "name", "run", "format", "timeout",
					    NULL };
	const struct ed_ynode *name, *run, *fmt, *to;
	size_t i;
	int rc;

	rc = want_map(c, n, "toggles.commands entry");
	if (!rc)
		rc = check_keys(c, n, keys);
	if (rc)
		return rc;
	name = ed_ymap_get(n, "name");
	run = ed_ymap_get(n, "run");
	fmt = ed_ymap_get(n, "format");
	if (!name || !run || !fmt)
		return bad(c, n,
			   "toggles.commands: each entry needs name, run and format");
	if (name->type != ED_YSCALAR || !toggle_name_ok(name->str))
		return bad(c, name,
			   "toggles.commands: name: want 1-64 of A-Z a-z 0-9 . _ -");
	if (run->type != ED_YSEQ || !run->nr || run->nr > TOGGLE_ARGV_MAX)
		return bad(c, run,
			   "toggles.commands: run: want a list of 1-64 arguments (no shell)");
	for (i = 0; i < run->nr; i++)
		if (run->kids[i]->type != ED_YSCALAR ||
		    strlen(run->kids[i]->str) != run->kids[i]->len)
			return bad(c, run->kids[i],
				   "toggles.commands: run: want strings without NUL bytes");
	if (run->kids[0]->str[0] != '/')
		return bad(c, run->kids[0],
			   "toggles.commands: run: the program must be an absolute path");
	if (fmt->type != ED_YSCALAR)
		return bad(c, fmt,
			   "toggles.commands: format: want yaml, json, ini or env");
	if (!strcmp(fmt->str, "yaml") || !strcmp(fmt->str, "json"))
		t->format = TOGGLE_YAML;
	else if (!strcmp(fmt->str, "ini") || !strcmp(fmt->str, "env"))
		t->format = TOGGLE_KV;
	else
		return bad(c, fmt,
			   "toggles.commands: format: want yaml, json, ini or env");
	t->timeout_s = TOGGLE_TIMEOUT_DEFAULT;
	if ((to = ed_ymap_get(n, "timeout"))) {
		size_t v;

		rc = ed_ynode_size(&v, to, c->name, "timeout", c->err);
		if (rc)
			return rc;
		if (!v || v > TOGGLE_TIMEOUT_MAX)
			return bad(c, to,
				   "toggles.commands: timeout: want 1-600 seconds");
		t->timeout_s = (unsigned)v;
	}
	t->name = ed_xstrdup(name->str);
	t->argv = ed_xcalloc(run->nr + 1, sizeof(*t->argv));
	for (i = 0; i < run->nr; i++)
		t->argv[i] = ed_xstrdup(run->kids[i]->str);
	return 0;
}

static int read_toggle_cmds(struct collect_config *cfg, const struct cfg_ctx *c,
			    const struct ed_ynode *n)
{
	size_t i, j;
	int rc = 0;

	if (n->type != ED_YSEQ)
		return bad(c, n, "toggles.commands: want a list");
	free_toggle_cmds(cfg);
	cfg->toggle_cmds =
		ed_xcalloc(n->nr ? n->nr : 1, sizeof(*cfg->toggle_cmds));
	for (i = 0; !rc && i < n->nr; i++) {
		rc = read_toggle_cmd(&cfg->toggle_cmds[i], c, n->kids[i]);
		if (!rc)
			cfg->toggle_cmds_nr++;
		for (j = 0; !rc && j < i; j++)
			if (!strcmp(cfg->toggle_cmds[j].name,
				    cfg->toggle_cmds[i].name))
				rc = bad(c, n->kids[i],
					 "toggles.commands: duplicate name");
	}
	return rc;
}

/*
 * toggles: {files: [/etc/app/features.yaml, /etc/app/.env],
 *           commands: [{name: app, run: [/usr/bin/app, flags], format: json}]}
 */
static int read_toggles(struct collect_config *cfg, const struct cfg_ctx *c,
			const struct ed_ynode *n)
{
	static const char *const keys[] = { "files", "files-extra", "commands",
					    NULL };
	const struct ed_ynode *cmds;
	size_t i;
	int rc;

	rc = want_map(c, n, "toggles");
	if (!rc)
		rc = check_keys(c, n, keys);
	if (!rc)
		rc = read_list_pair(&cfg->toggle_files, c, n, "files");
	for (i = 0; !rc && i < cfg->toggle_files.nr; i++)
		if (cfg->toggle_files.v[i][0] != '/')
			rc = bad(c, n,
				 "toggles.files: every path must be absolute");
	if (!rc && (cmds = ed_ymap_get(n, "commands")))
		rc = read_toggle_cmds(cfg, c, cmds);
	return rc;
}

int collect_parse_seconds(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 86400 || *s == '-')
		return -1;
	*out = (unsigned)v;
	return 0;
}

int collect_parse_size(const char *s, size_t *out)
{
	unsigned long long v = 0;
	unsigned shift = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (1ULL << 40))
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (*p == 'K' || *p == 'k')
		shift = 10;
	else if (*p == 'M' || *p == 'm')
		shift = 20;
	else if (*p == 'G' || *p == 'g')
		shift = 30;
	if (shift)
		p++;
	if (*p || !v || v > (1ULL << (40 - shift)))
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}

static int read_string(char **out, const struct cfg_ctx *c,
		       const struct ed_ynode *n, const char *key)
{
	if (n->type != ED_YSCALAR || !n->len)
		return bad(c, n, "want a non-empty string");
	(void)key;
	free(*out);
	*out = ed_xstrdup(n->str);
	return 0;
}

/* scan: {environments: [...], jobs: 50, connect-timeout: 10, ...} */
static int read_scan(struct scan_settings *sc, const struct cfg_ctx *c,
		     const struct ed_ynode *n)
{
	static const char *const keys[] = {
		"environments",
		"jobs",
		"connect-timeout",
		"deadline",
		"keepalive",
		"max-bytes",
		"max-failed",
		"known-hosts",
		"ssh-config",
		"accept-new-host-keys",
		NULL,
	};
	static const char *const secs[] = { "jobs", "connect-timeout",
					    "deadline", "keepalive" };
	size_t *const sec_out[] = { &sc->jobs, &sc->connect_timeout,
				    &sc->deadline, &sc->keepalive };
	const struct ed_ynode *v;
	size_t i;
	int rc;

	rc = want_map(c, n, "scan");
	if (!rc)
		rc = check_keys(c, n, keys);
	if (!rc && (v = ed_ymap_get(n, "environments")))
		rc = read_list(&sc->environments, c, v, "environments", 1);
	for (i = 0; !rc && i < ED_ARRAY_SIZE(secs); i++) {
		v = ed_ymap_get(n, secs[i]);
		if (!v)
			continue;
		rc = ed_ynode_size(sec_out[i], v, c->name, secs[i], c->err);
		if (!rc && (*sec_out[i] == 0 || *sec_out[i] > 86400) &&
		    strcmp(secs[i], "keepalive"))
			rc = bad(c, v, "want 1 to 86400");
	}
	if (!rc && (v = ed_ymap_get(n, "max-bytes"))) {
		if (v->type != ED_YSCALAR ||
		    collect_parse_size(v->str, &sc->max_bytes) < 0)
			rc = bad(c, v, "max-bytes: want a size such as 256M");
	}
	if (!rc && (v = ed_ymap_get(n, "max-failed"))) {
		const char *p = v->type == ED_YSCALAR ? v->str : "";
		size_t digits = strspn(p, "0123456789");

		if (!digits || (p[digits] && strcmp(p + digits, "%")) ||
		    (p[digits] == '%' && atoi(p) > 100))
			rc = bad(c, v, "max-failed: want N or P% (0-100)");
		else
			rc = read_string(&sc->max_failed, c, v, "max-failed");
	}
	if (!rc && (v = ed_ymap_get(n, "known-hosts")))
		rc = read_string(&sc->known_hosts, c, v, "known-hosts");
	if (!rc && (v = ed_ymap_get(n, "ssh-config")))
		rc = read_string(&sc->ssh_config, c, v, "ssh-config");
	if (!rc && (v = ed_ymap_get(n, "accept-new-host-keys")))
		rc = ed_ynode_bool(&sc->accept_new, v, c->name,
				   "accept-new-host-keys", c->err);
	return rc;
}

static int apply_doc(struct collect_config *cfg, const char *buf, size_t len,
		     const char *name, int classes_only, struct ed_err *err)
{
	static const char *const keys[] = { "collectors", "files",
					    "secrets",    "sysctl-classes",
					    "toggles",    "scan",
					    NULL };
	struct cfg_ctx c = { name, err };
	struct ed_ynode *doc = NULL;
	const struct ed_ynode *n;
	int rc;

	rc = ed_yaml_load(&doc, buf, len, name, err);
	if (rc < 0)
		return rc;
	rc = want_map(&c, doc, "top level");
	if (rc)
		goto out;
	if (classes_only) {
		rc = read_classes(&cfg->sysctl_classes, &c, doc);
		goto out;
	}
	rc = check_keys(&c, doc, keys);
	n = ed_ymap_get(doc, "collectors");
	if (!rc && n)
		rc = read_collectors(cfg, &c, n);
	n = ed_ymap_get(doc, "files");
	if (!rc && n)
		rc = read_files(cfg, &c, n);
	n = ed_ymap_get(doc, "secrets");
	if (!rc && n)
		rc = read_secrets(cfg, &c, n);
	n = ed_ymap_get(doc, "sysctl-classes");
	if (!rc && n)
		rc = read_classes(&cfg->sysctl_classes, &c, n);
	n = ed_ymap_get(doc, "toggles");
	if (!rc && n)
		rc = read_toggles(cfg, &c, n);
	n = ed_ymap_get(doc, "scan");
	if (!rc && n)
		rc = read_scan(&cfg->scan, &c, n);
out:
	ed_ynode_free(doc);
	return rc;
}

static int apply_embedded(struct collect_config *cfg, const char *name,
			  int classes_only, struct ed_err *err)
{
	const struct ed_embedded *e = ed_embedded_find(name);

	if (e)
		return apply_doc(cfg, e->data, e->len, name, classes_only, err);
	ED_BUG("built-in %s missing", name);
}

/*
 * The shipped credential files (baselines/secret-files.yaml): a list of
 * {glob, source}; the globs become the default secrets.files.
 */
static int read_secret_files(struct collect_config *cfg, const char *data,
			     size_t len, const char *name, struct ed_err *err)
{
	const struct ed_ynode *list;
	struct ed_ynode *doc = NULL;
	struct cfg_ctx c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.err = err;
	rc = ed_yaml_load(&doc, data, len, name, err);
	if (rc < 0)
		return rc;
	list = ed_ymap_get(doc, "secret-files");
	if (!list || list->type != ED_YSEQ) {
		rc = bad(&c, doc, "secret-files: want a list");
		goto out;
	}
	for (i = 0; i < list->nr; i++) {
		const struct ed_ynode *g = ed_ymap_get(list->kids[i], "glob");
		const struct ed_ynode *src = ed_ymap_get(list->kids[i], "source");

		if (!g || g->type != ED_YSCALAR || !src ||
		    src->type != ED_YSCALAR) {
			rc = bad(&c, list->kids[i], "want {glob, source}");
			goto out;
		}
		ed_strvec_push(&cfg->secret_files, g->str);
	}
out:
	ed_ynode_free(doc);
	return rc;
}

static int apply_secret_files(struct collect_config *cfg, struct ed_err *err)
{
	static const char name[] = "secret-files.yaml";
	const struct ed_embedded *e = ed_embedded_find(name);

	if (e)
		return read_secret_files(cfg, e->data, e->len, name, err);
	ED_BUG("built-in %s missing", name);
}

int collect_config_load(struct collect_config **out, const char *path,
			struct ed_err *err)
{
	struct collect_config *cfg = ed_xcalloc(1, sizeof(*cfg));
	struct ed_buf b = ED_BUF_INIT;
	int rc;

	*out = NULL;
	cfg->content_max = 1 << 20;
	cfg->max_files = 500000;
	cfg->scan.accept_new = -1;
	rc = apply_embedded(cfg, "collect-default.yaml", 0, err);
	if (!rc)
		rc = apply_secret_files(cfg, err);
	if (!rc)
		rc = apply_embedded(cfg, "sysctl-classes.yaml", 1, err);
	if (!rc && path) {
		rc = ed_buf_read_file(&b, path, 4 << 20, err);
		if (!rc)
			rc = apply_doc(cfg, b.ptr, b.len, path, 0, err);
	}
	ed_buf_release(&b);
	if (rc < 0) {
		collect_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

void collect_config_free(struct collect_config *cfg)
{
	if (!cfg)
		return;
	ed_strvec_release(&cfg->file_include);
	ed_strvec_release(&cfg->file_exclude);
	ed_strvec_release(&cfg->secret_files);
	ed_strvec_release(&cfg->secret_values);
	ed_strvec_release(&cfg->plain_files);
	ed_strvec_release(&cfg->toggle_files);
	free_toggle_cmds(cfg);
	ed_strvec_release(&cfg->sysctl_classes.volatile_keys);
	ed_strvec_release(&cfg->sysctl_classes.per_host);
	ed_strvec_release(&cfg->sysctl_classes.secret);
	ed_strvec_release(&cfg->sysctl_classes.write_only);
	ed_strvec_release(&cfg->scan.environments);
	free(cfg->scan.max_failed);
	free(cfg->scan.known_hosts);
	free(cfg->scan.ssh_config);
	free(cfg);
}
