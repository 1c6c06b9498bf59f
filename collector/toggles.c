/*
 * Feature toggles: key/value flags from files named in the configuration
 * (toggles.files), read through the root like everything else. YAML and
 * JSON (JSON is YAML to libyaml) are flattened to dotted keys; INI and
 * .env files give "section.key" and "key". One line per flag in the file
 * "toggles": "PATH:KEY = VALUE", compared across environments like any
 * other fact; secret values (secrets.values, or a file in secrets.files)
 * are stored as HMAC tokens, as in the files collector. A file that is missing is skipped; one that does not parse
 * is a warning, never a partial set of flags read as removals.
 */
#include "collector/internal.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/glob.h"
#include "core/hmac.h"
#include "core/yaml.h"

#define TOGGLES_MAX_FILE ((size_t)4 << 20)

/*
 * One toggle file being read. A value is a secret (stored as its HMAC
 * token, like the files collector does) when the file matches
 * secrets.files, or when "KEY = VALUE" matches one of secrets.values.
 */
struct toggle_ctx {
	struct ed_strvec *lines;
	const char *path;
	int secret_file;
	const regex_t *res;
	size_t nres;
	struct ed_hmac *key;
	size_t skipped;     /* secrets dropped for want of a key */
	struct ed_buf probe;
};

static void add_flag(struct toggle_ctx *c, const char *key, const char *value,
		     size_t vlen)
{
	struct ed_buf b = ED_BUF_INIT;
	int secret = c->secret_file;
	size_t i;

	if (!secret && c->nres) {
		ed_buf_reset(&c->probe);
		ed_buf_adds(&c->probe, key);
		ed_buf_adds(&c->probe, " = ");
		ed_buf_add(&c->probe, value, vlen);
		for (i = 0; i < c->nres && !secret; i++)
			secret = !regexec(&c->res[i], c->probe.ptr, 0, NULL, 0);
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
			if (e - v >= 2 && (*v == '"' || *v == '\'') && e[-1] == *v) {
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

int collect_toggles(struct snapshot *snap, struct ed_strvec *meta,
		    const struct collect_opts *o, struct ed_err *err)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_buf path = ED_BUF_INIT, data = ED_BUF_INIT;
	const struct ed_strvec *vals = &o->cfg->secret_values;
	regex_t *res = NULL;
	struct toggle_ctx c;
	size_t i, j, read = 0, nres = 0;
	int rc = 0;

	if (!o->cfg->toggle_files.nr)
		return 0; /* nothing configured: no collector, no meta line */
	res = ed_xcalloc(vals->nr + 1, sizeof(*res));
	for (; nres < vals->nr; nres++)
		if (regcomp(&res[nres], vals->v[nres],
			    REG_EXTENDED | REG_ICASE | REG_NOSUB)) {
			rc = ed_err_set(err, ED_EPARSE,
					"secrets.values: bad regular expression '%s'",
					vals->v[nres]);
			goto out;
		}
	memset(&c, 0, sizeof(c));
	c.lines = &lines;
	c.res = res;
	c.nres = nres;
	c.key = o->key;
	for (i = 0; i < o->cfg->toggle_files.nr; i++) {
		const char *abspath = o->cfg->toggle_files.v[i];
		struct ed_err e = ED_ERR_INIT;

		collect_path(&path, o->root, abspath);
		ed_buf_reset(&data);
		rc = vfs_read_file(o->fs, &data, path.ptr, TOGGLES_MAX_FILE,
				   &e);
		if (rc == ED_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			snapshot_warn(snap, "toggles: %s: %s", abspath, e.msg);
			rc = 0;
			continue;
		}
		read++;
		c.path = abspath;
		c.secret_file = 0;
		for (j = 0; j < o->cfg->secret_files.nr && !c.secret_file; j++)
			c.secret_file = ed_glob_match(o->cfg->secret_files.v[j],
						      abspath, '/');
		if (has_suffix(abspath, ".yaml") || has_suffix(abspath, ".yml") ||
		    has_suffix(abspath, ".json")) {
			struct ed_ynode *doc = NULL;
			struct ed_buf key = ED_BUF_INIT;

			if (ed_yaml_load(&doc, data.ptr, data.len, abspath, &e) < 0) {
				snapshot_warn(snap, "toggles: %s", e.msg);
				continue;
			}
			flatten(&c, doc, &key);
			ed_ynode_free(doc);
			ed_buf_release(&key);
		} else {
			parse_kv(&c, data.ptr, data.len);
		}
	}
	if (c.skipped)
		snapshot_warn(snap, "toggles: %zu secret value%s not stored: no HMAC key",
			      c.skipped, c.skipped == 1 ? "" : "s");
	ed_strvec_pushf(meta, "collector toggles collected: %zu of %zu files", read,
			o->cfg->toggle_files.nr);
	snapshot_add_lines(snap, "toggles", &lines);
	ed_buf_release(&c.probe);
out:
	for (i = 0; i < nres; i++)
		regfree(&res[i]);
	free(res);
	ed_strvec_release(&lines);
	ed_buf_release(&path);
	ed_buf_release(&data);
	return rc;
}
