/*
 * Comparison rules: the built-in baselines/diff-defaults.yaml, then a
 * --baseline file. Only "ignore" is implemented so far (issue 4 goes on
 * with pins, severities, expected differences and waivers); any other key
 * is an error, so a baseline is never half-applied in silence.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/embedded.h"
#include "core/glob.h"
#include "core/yaml.h"

struct differ_rules {
	struct ed_strvec ignore; /* in order; "!" re-includes */
};

static int apply(struct differ_rules *r, const char *buf, size_t len,
		 const char *name, struct ed_err *err)
{
	struct ed_ynode *doc = NULL;
	const struct ed_ynode *list;
	size_t i;
	int rc;

	rc = ed_yaml_load(&doc, buf, len, name, err);
	if (rc < 0)
		return rc;
	if (doc->type != ED_YMAP) {
		rc = ed_err_set(err, ED_EPARSE, "%s:%zu:%zu: want a mapping",
				name, doc->line, doc->col);
		goto out;
	}
	for (i = 0; i + 1 < doc->nr; i += 2) {
		const struct ed_ynode *k = doc->kids[i];

		if (strcmp(k->str, "ignore")) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: '%s' is not supported yet (only 'ignore' is)",
					name, k->line, k->col, k->str);
			goto out;
		}
	}
	list = ed_ymap_get(doc, "ignore");
	if (!list)
		goto out;
	if (list->type != ED_YSEQ) {
		rc = ed_err_set(err, ED_EPARSE, "%s:%zu:%zu: ignore: want a list",
				name, list->line, list->col);
		goto out;
	}
	for (i = 0; i < list->nr; i++) {
		const struct ed_ynode *it = list->kids[i];
		const char *pat;

		if (it->type != ED_YSCALAR || !it->len) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: ignore: want a \"collector:key\" glob",
					name, it->line, it->col);
			goto out;
		}
		pat = it->str[0] == '!' ? it->str + 1 : it->str;
		if (!strchr(pat, ':')) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: ignore: '%s' names no collector (want \"collector:key\")",
					name, it->line, it->col, it->str);
			goto out;
		}
		ed_strvec_push(&r->ignore, it->str);
	}
out:
	ed_ynode_free(doc);
	return rc;
}

int differ_rules_load(struct differ_rules **out, const char *baseline,
		      struct ed_err *err)
{
	struct differ_rules *r = ed_xcalloc(1, sizeof(*r));
	const struct ed_embedded *e = ed_embedded_find("diff-defaults.yaml");
	struct ed_buf b = ED_BUF_INIT;
	int rc;

	*out = NULL;
	if (!e)
		ED_BUG("built-in diff-defaults.yaml missing");
	rc = apply(r, e->data, e->len, "diff-defaults.yaml", err);
	if (!rc && baseline) {
		rc = ed_buf_read_file(&b, baseline, 4 << 20, err);
		if (!rc)
			rc = apply(r, b.ptr, b.len, baseline, err);
	}
	ed_buf_release(&b);
	if (rc < 0) {
		differ_rules_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void differ_rules_free(struct differ_rules *r)
{
	if (!r)
		return;
	ed_strvec_release(&r->ignore);
	free(r);
}

int differ_rules_ignored(const struct differ_rules *r, const char *collector,
			 const char *key)
{
	struct ed_buf name = ED_BUF_INIT;
	int ignored = 0;
	size_t i;

	if (!r || !r->ignore.nr)
		return 0;
	ed_buf_addf(&name, "%s:%s", collector, key);
	for (i = 0; i < r->ignore.nr; i++) {
		const char *p = r->ignore.v[i];
		int negate = p[0] == '!';

		if (ed_glob_match(negate ? p + 1 : p, name.ptr, '/'))
			ignored = !negate;
	}
	ed_buf_release(&name);
	return ignored;
}
