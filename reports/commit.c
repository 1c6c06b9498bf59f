/*
 * Reports kept in the state repository ("envdrift report --commit"): a
 * Markdown and a JSON rendering per compared pair under reports/, without
 * per-run values, so an unchanged drift makes no commit and
 * `git log -p -- reports/` shows drift appear and go.
 */
#include "reports/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/snapshot.h"
#include "core/store.h"
#include "core/strvec.h"

/* "staging..prod" with characters outside [A-Za-z0-9._-] made '_'. */
static void pair_name(struct ed_buf *out, const struct drift_report *r)
{
	size_t i, k;

	for (k = 0; k < 2; k++) {
		const char *p = r->operands[k];

		if (k)
			ed_buf_adds(out, "..");
		for (i = 0; p[i]; i++) {
			char ch = p[i];
			int ok = (ch >= 'a' && ch <= 'z') ||
				 (ch >= 'A' && ch <= 'Z') ||
				 (ch >= '0' && ch <= '9') || ch == '.' ||
				 ch == '_' || ch == '-';

			ed_buf_addch(out, ok ? ch : '_');
		}
	}
}

/* r rendered stable in format, as base + ext in snap. */
static int render(struct snapshot *snap, const struct drift_report *r,
		  const char *format, const char *base, const char *ext,
		  struct ed_err *err)
{
	struct drift_report stable = *r; /* a shallow copy: r stays as it is */
	struct ed_buf b = ED_BUF_INIT, name = ED_BUF_INIT;
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	int rc;

	if (!f)
		return ed_err_errno(err, ED_EIO, errno, "open_memstream");
	stable.stable = 1;
	rc = report_write(f, format, &stable, 0, err);
	if (fclose(f) != 0 && !rc)
		rc = ed_err_errno(err, ED_EIO, errno, "rendering");
	if (!rc) {
		ed_buf_add(&b, mem, len);
		ed_buf_adds(&name, base);
		ed_buf_adds(&name, ext);
		snapshot_add_buf(snap, name.ptr, &b);
	}
	free(mem);
	ed_buf_release(&b);
	ed_buf_release(&name);
	return rc;
}

int report_commit(char commit_out[41], int *unchanged, struct ed_buf *subject,
		  struct store *st, const struct drift_report *r, size_t n,
		  int failing, unsigned lock_ms, struct ed_err *err)
{
	struct snapshot snap = SNAPSHOT_INIT;
	struct ed_strvec trailers = ED_STRVEC_INIT, pairs = ED_STRVEC_INIT;
	struct ed_buf base = ED_BUF_INIT;
	size_t i, j, items = 0, waived = 0;
	int rc = 0;

	*unchanged = 0;
	for (i = 0; i < n && !rc; i++) {
		size_t len, k = 1;

		/* counted as check counts them: waived items apart */
		for (j = 0; j < r[i].nr; j++) {
			if (r[i].items[j].waived)
				waived++;
			else
				items++;
		}
		ed_buf_reset(&base);
		pair_name(&base, &r[i]);
		len = base.len;
		/* two parity entries on one pair: A..B, then A..B.2, ... */
		while (ed_strvec_contains(&pairs, base.ptr) && k < n + 1) {
			ed_buf_setlen(&base, len);
			ed_buf_addf(&base, ".%zu", ++k);
		}
		ed_strvec_push(&pairs, base.ptr);
		rc = render(&snap, &r[i], "markdown", base.ptr, ".md", err);
		if (!rc)
			rc = render(&snap, &r[i], "json", base.ptr, ".json", err);
	}
	ed_strvec_release(&pairs);
	ed_buf_release(&base);
	if (!rc)
		rc = store_lock(st, lock_ms, err);
	ed_buf_addf(subject, "report: %zu drift item%s", items,
		    items == 1 ? "" : "s");
	if (waived)
		ed_buf_addf(subject, " (%zu waived)", waived);
	ed_buf_addf(subject, ", %s", failing ? "failing" : "passing");
	ed_strvec_push(&trailers, "Envdrift-Kind: report");
	if (!rc) {
		snapshot_sort(&snap);
		rc = store_commit_dir(st, commit_out, "reports", &snap,
				      subject->ptr, &trailers, unchanged, err);
		store_unlock(st);
	}
	snapshot_release(&snap);
	ed_strvec_release(&trailers);
	return rc;
}
