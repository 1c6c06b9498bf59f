/*
 * Feature toggles: key/value flags from files named in the configuration
 * (toggles.files), read through the root like everything else, and from
 * commands run on the host (toggles.commands: "NAME:KEY = VALUE"). YAML and
 * JSON (JSON is YAML to libyaml) are flattened to dotted keys; INI and
 * .env files give "section.key" and "key". One line per flag in the file
 * "toggles": "PATH:KEY = VALUE", compared across environments like any
 * other fact; secret values (secrets.values, or a file in secrets.files)
 * are stored as HMAC tokens, as in the files collector. A file or command
 * that is missing is skipped; one that cannot be read, fails or does not
 * parse is a warning and keeps its previous flags, never a partial set of
 * flags read as removals.
 */
#include "collector/internal.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/alloc.h"
#include "core/glob.h"
#include "core/hmac.h"
#include "core/secrets.h"
#include "core/yaml.h"

#define TOGGLES_MAX_FILE ((size_t)4 << 20)

/*
 * A command's whole environment here; on a host it is what the remote
 * script sets anyway (other variables differ there).
 */
static const char *const toggle_env[] = {
	"LC_ALL=C",
	"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
	NULL,
};

/*
 * What the toggles collector reads: the configured files, and the
 * configured commands, run whenever their program exists (so one that is
 * not executable fails as it does here, EACCES) under timeout(1) on a host.
 */
static void toggle_needs(struct collect_needs *out,
			 const struct collect_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->toggle_files.nr; i++)
		ed_strvec_push(&out->paths, cfg->toggle_files.v[i]);
	for (i = 0; i < cfg->toggle_cmds_nr; i++) {
		const struct toggle_cmd *t = &cfg->toggle_cmds[i];
		const char *const paths[] = { t->argv[0], NULL };
		struct collect_cmd cmd = {
			paths,        (const char *const *)(t->argv + 1),
			toggle_env,   NULL,
			t->timeout_s, true,
			NULL,
		};

		collect_needs_add_cmd(out, &cmd);
	}
}

static const struct collect_need toggles_needs[] = {
	{ NEED_CONFIG, NULL, NULL, NULL, toggle_needs },
};

/*
 * One toggle file being read. A value is a secret (stored as its HMAC
 * token, like the files collector does) when the file matches
 * secrets.files, or when the secret detectors (core/secrets.h, with the
 * secrets.values EREs) find one in the value of "KEY = VALUE".
 */
struct toggle_ctx {
	struct ed_strvec *lines;
	const char *path;
	int secret_file;
	const struct ed_secret_finder *finder;
	int find; /* look for secret values (not a plain file) */
	struct ed_secret_hits hits;
	struct ed_hmac *key;
	size_t skipped; /* secrets dropped for want of a key */
	struct ed_buf probe;
};

static void add_flag(struct toggle_ctx *c, const char *key, const char *value,
		     size_t vlen)
{
	struct ed_buf b = ED_BUF_INIT;
	int secret = c->secret_file;
	size_t i, at;

	if (!secret && c->find) {
		/* the detectors judge the flag as the line "KEY = VALUE" */
		ed_buf_reset(&c->probe);
		ed_buf_adds(&c->probe, key);
		ed_buf_adds(&c->probe, " = ");
		at = c->probe.len;
		ed_buf_add(&c->probe, value, vlen);
		c->hits.nr = 0;
		ed_secret_find(c->finder, c->probe.ptr, c->probe.len, &c->hits);
		for (i = 0; i < c->hits.nr && !secret; i++)
			secret = c->hits.v[i].end > at;
	}
	if (secret && !c->key) {
		c->skipped++;
		return;
	}
	snapshot_quote(&b, c->path, strlen(c->path));
	ed_buf_addch(&b, ':');
	snapshot_quote(&b, key, strlen(key));
	ed_buf_adds(&b, " = ");
	if (secret)
		ed_hmac_token(c->key, &b, value, vlen);
	else
		snapshot_quote_value(&b, value, vlen);
	ed_strvec_take(c->lines, ed_buf_detach(&b, NULL));
}

/* Flatten a YAML/JSON tree: maps give "a.b", sequences "a.0". */
static void flatten(struct toggle_ctx *c, const struct ed_ynode *n,
		    struct ed_buf *key)
{
	size_t i, keep = key->len;

	if (n->type == ED_YSCALAR) {
		add_flag(c, key->len ? key->ptr : "(root)", n->str, n->len);
		return;
	}
	for (i = 0; i < n->nr; i += n->type == ED_YMAP ? 2 : 1) {
		if (key->len)
			ed_buf_addch(key, '.');
		if (n->type == ED_YMAP)
			ed_buf_adds(key, n->kids[i]->str);
		else
			ed_buf_addf(key, "%zu", i);
		flatten(c, n->type == ED_YMAP ? n->kids[i + 1] : n->kids[i], key);
		ed_buf_setlen(key, keep);
	}
}

/* INI and .env: "[section]" headers, "key = value" / "KEY=value" lines. */
static void parse_kv(struct toggle_ctx *c, const char *buf, size_t len)
{
	struct ed_buf section = ED_BUF_INIT, key = ED_BUF_INIT;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end, *s = p, *eq;

		p = e + (nl ? 1 : 0);
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[' && e[-1] == ']') {
			ed_buf_reset(&section);
			ed_buf_add(&section, s + 1, (size_t)(e - s - 2));
			continue;
		}
		if (e - s > 7 && !strncmp(s, "export ", 7))
			s += 7;
		eq = memchr(s, '=', (size_t)(e - s));
		if (!eq)
			continue;
		ed_buf_reset(&key);
		if (section.len) {
			ed_buf_add(&key, section.ptr, section.len);
			ed_buf_addch(&key, '.');
		}
		{
			const char *ke = eq, *v = eq + 1;

			while (ke > s && (ke[-1] == ' ' || ke[-1] == '\t'))
				ke--;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			/* .env quoting: "value" or 'value' */
			if (e - v >= 2 && (*v == '"' || *v == '\'') &&
			    e[-1] == *v) {
				v++;
				e--;
			}
			ed_buf_add(&key, s, (size_t)(ke - s));
			add_flag(c, key.ptr, v, (size_t)(e - v));
		}
	}
	ed_buf_release(&section);
	ed_buf_release(&key);
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

/*
 * A source (a file path or a command name) whose flags cannot be read now
 * keeps the lines it had in the previous scan: a file that stops parsing
 * or a command that fails must not look like every flag was removed.
 */
static void carry_previous(struct ed_strvec *lines, const struct snapshot *prev,
			   const char *source)
{
	const struct snapshot_entry *e =
		prev ? snapshot_find(prev, "toggles") : NULL;
	struct ed_buf prefix = ED_BUF_INIT;
	const char *p, *end;

	if (!e || !e->data)
		return;
	snapshot_quote(&prefix, source, strlen(source));
	ed_buf_addch(&prefix, ':');
	for (p = e->data, end = p + e->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;

		if ((size_t)(le - p) > prefix.len &&
		    !memcmp(p, prefix.ptr, prefix.len))
			ed_strvec_take(lines, ed_xstrndup(p, (size_t)(le - p)));
		p = nl ? nl + 1 : end;
	}
	ed_buf_release(&prefix);
}

/* Add the flags of data (YAML/JSON or INI/.env) under c->path. */
static int parse_flags(struct toggle_ctx *c, const struct ed_buf *data,
		       enum toggle_format format, const char *name,
		       struct ed_err *err)
{
	struct ed_ynode *doc = NULL;
	struct ed_buf key = ED_BUF_INIT;

	if (format == TOGGLE_KV) {
		parse_kv(c, data->ptr, data->len);
		return 0;
	}
	if (ed_yaml_load(&doc, data->ptr, data->len, name, err) < 0)
		return err->code;
	flatten(c, doc, &key);
	ed_ynode_free(doc);
	ed_buf_release(&key);
	return 0;
}

static int glob_any(const struct ed_strvec *globs, const char *path)
{
	size_t j;

	for (j = 0; j < globs->nr; j++)
		if (ed_glob_match(globs->v[j], path, '/'))
			return 1;
	return 0;
}

/* 1 read, 0 absent (skipped), -1 not readable now (warned). */
static int read_toggle_file(struct toggle_ctx *c, struct snapshot *snap,
			    struct vfs *fs, const struct collect_opts *o,
			    const char *abspath)
{
	struct ed_buf data = ED_BUF_INIT;
	struct ed_err e = ED_ERR_INIT;
	int rc;

	rc = vfs_read_file(fs, &data, abspath, TOGGLES_MAX_FILE, &e);
	if (rc == ED_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	if (rc < 0) {
		snapshot_warn(snap, "toggles: %s: %s (previous flags kept)",
			      abspath, e.msg);
		rc = -1;
		goto out;
	}
	c->path = abspath;
	c->secret_file = glob_any(&o->cfg->secret_files, abspath);
	c->find = !glob_any(&o->cfg->plain_files, abspath);
	if (parse_flags(c, &data,
			has_suffix(abspath, ".yaml") ||
					has_suffix(abspath, ".yml") ||
					has_suffix(abspath, ".json") ?
				TOGGLE_YAML :
				TOGGLE_KV,
			abspath, &e) < 0) {
		snapshot_warn(snap, "toggles: %s (previous flags kept)", e.msg);
		rc = -1;
		goto out;
	}
	rc = 1;
out:
	ed_buf_release(&data);
	return rc;
}

/*
 * Run a toggles command where the host runs (this machine, or its recorded
 * output on a remote image): 1 read, 0 absent on the host, -1 warned.
 * Never run for a mounted root: its programs are not the host's.
 */
static int run_toggle_cmd(struct toggle_ctx *c, struct snapshot *snap,
			  struct vfs *fs, const struct toggle_cmd *t)
{
	/* execve's type: vfs_run never writes through it */
	char *const *envp = (char *const *)(uintptr_t)toggle_env;
	struct ed_buf out = ED_BUF_INIT, errline = ED_BUF_INIT, name = ED_BUF_INIT;
	struct ed_err e = ED_ERR_INIT;
	int status = 0, rc;

	if (!vfs_live(fs)) {
		snapshot_warn(snap,
			      "toggles: command %s not run: not the running "
			      "system (previous flags kept)",
			      t->name);
		return -1;
	}
	/* ED_ENOTFOUND: the program is not on the host */
	rc = vfs_run(fs, &out, &errline, &status, t->argv, envp,
		     TOGGLES_MAX_FILE, (int)t->timeout_s * 1000, &e);
	if (rc == ED_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (!rc && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		if (WIFSIGNALED(status))
			ed_err_set(&e, ED_EIO, "%s: killed by signal %d",
				   t->argv[0], WTERMSIG(status));
		else
			ed_err_set(&e, ED_EIO, "%s: exited with status %d%s%s%s",
				   t->argv[0], WEXITSTATUS(status),
				   WEXITSTATUS(status) == 124 ? " (timed out)" : "",
				   errline.len ? ": " : "",
				   errline.len ? errline.ptr : "");
		rc = ED_EIO;
	}
	ed_buf_addf(&name, "command %s", t->name);
	c->path = t->name;
	c->secret_file = 0;
	c->find = 1;
	if (!rc && parse_flags(c, &out, t->format, name.ptr, &e) < 0)
		rc = e.code;
	if (rc < 0) {
		snapshot_warn(snap,
			      "toggles: command %s: %s (previous flags kept)",
			      t->name, e.msg);
		rc = -1;
	} else {
		rc = 1;
	}
done:
	ed_buf_release(&out);
	ed_buf_release(&errline);
	ed_buf_release(&name);
	return rc;
}

int collect_toggles(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		    const struct collect_opts *o, struct ed_err *err)
{
	const struct collect_config *cfg = o->cfg;
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_secret_finder finder;
	struct toggle_ctx c;
	size_t i, files = 0, cmds = 0;
	int rc = 0;

	if (!cfg->toggle_files.nr && !cfg->toggle_cmds_nr)
		return 0; /* nothing configured: no collector, no meta line */
	memset(&c, 0, sizeof(c));
	rc = ed_secret_finder_init(&finder, &cfg->secret_values, err);
	if (rc < 0)
		goto out;
	c.lines = &lines;
	c.finder = &finder;
	c.find = 1;
	c.key = o->key;
	for (i = 0; i < cfg->toggle_files.nr; i++) {
		int r = read_toggle_file(&c, snap, fs, o, cfg->toggle_files.v[i]);

		if (r < 0)
			carry_previous(&lines, o->prev, cfg->toggle_files.v[i]);
		files += r > 0;
	}
	for (i = 0; i < cfg->toggle_cmds_nr; i++) {
		int r = run_toggle_cmd(&c, snap, fs, &cfg->toggle_cmds[i]);

		if (r < 0)
			carry_previous(&lines, o->prev, cfg->toggle_cmds[i].name);
		cmds += r > 0;
	}
	if (c.skipped)
		snapshot_warn(snap,
			      "toggles: %zu secret value%s not stored: no HMAC key",
			      c.skipped, c.skipped == 1 ? "" : "s");
	if (cfg->toggle_cmds_nr)
		ed_strvec_pushf(meta,
				"collector toggles collected: %zu of %zu files, "
				"%zu of %zu commands",
				files, cfg->toggle_files.nr, cmds,
				cfg->toggle_cmds_nr);
	else
		ed_strvec_pushf(meta,
				"collector toggles collected: %zu of %zu files",
				files, cfg->toggle_files.nr);
	snapshot_add_lines(snap, "toggles", &lines);
out:
	ed_buf_release(&c.probe);
	ed_secret_hits_release(&c.hits);
	ed_secret_finder_release(&finder);
	ed_strvec_release(&lines);
	return rc;
}

/* It runs always, and says nothing when nothing is configured. */
const struct collector collector_toggles = {
	"toggles",
	NULL,
	collect_toggles,
	toggles_needs,
	ED_ARRAY_SIZE(toggles_needs),
};
