/*
 * patch: the two sides as a git-style unified diff. Each side is rendered
 * as its drifting facts, one "collector:key = value" line each, and the
 * two renderings are diffed; the config-file content diffs follow. The
 * output reads like "git diff" and applies nowhere: it is for review.
 */
#include "reports/internal.h"

#include <string.h>

#include "core/textdiff.h"

static void side_line(struct ed_buf *b, const struct drift_item *it,
		      const char *value)
{
	const char *p;

	if (it->role)
		ed_buf_addf(b, "[%s] ", it->role);
	ed_buf_addf(b, "%s:%s = ", it->collector, it->key);
	for (p = value; *p; p++) {
		if (*p == '\n')
			ed_buf_adds(b, "\\n");
		else
			ed_buf_addch(b, *p);
	}
	ed_buf_addch(b, '\n');
}

static void patch_end(struct report_ctx *c)
{
	const struct drift_report *r = c->r;
	struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT, d = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	for (i = 0; i < r->nr; i++) {
		const struct drift_item *it = &r->items[i];

		if (it->kind == DRIFT_OUTLIER) {
			struct ed_buf key = ED_BUF_INIT;

			/* an outlier differs from its own side: shown on that side */
			if (it->values[it->side])
				side_line(it->side ? &b : &a, it,
					  it->values[it->side]);
			ed_buf_addf(&key, "%s (%s)", it->key, it->host);
			{
				struct drift_item tmp = *it;

				tmp.key = key.ptr;
				if (it->host_value)
					side_line(it->side ? &b : &a, &tmp,
						  it->host_value);
			}
			ed_buf_release(&key);
			continue;
		}
		if (it->kind == DRIFT_PIN || it->kind == DRIFT_STALE) {
			fprintf(c->out, "# %s %s:%s on %s: %s\n",
				drift_kind_name(it->kind), it->collector,
				it->key, it->host ? it->host : "?",
				it->detail ? it->detail : "");
			continue;
		}
		if (it->values[0])
			side_line(&a, it, it->values[0]);
		if (it->values[1])
			side_line(&b, it, it->values[1]);
	}
	if (!ed_unified_diff(&d, a.ptr, a.len, r->operands[0], b.ptr, b.len,
			     r->operands[1], &err))
		fwrite(d.ptr, 1, d.len, c->out);
	else
		fprintf(c->out, "# %s\n", err.msg);
	for (i = 0; i < r->nr; i++)
		if (r->items[i].patch)
			fputs(r->items[i].patch, c->out);
	ed_buf_release(&a);
	ed_buf_release(&b);
	ed_buf_release(&d);
}

const struct report_format report_patch = {
	.name = "patch",
	.many_sep = "\n", /* several reports: a blank line apart */
	.end = patch_end,
};
