#ifndef ENVDRIFT_REPORTS_REPORT_H
#define ENVDRIFT_REPORTS_REPORT_H
/*
 * Drift reports. A format is a struct of hooks (begin, section, group,
 * item, end; reports/internal.h) in its own reports/fmt_NAME.c; adding one
 * is that file and one row in reports/report.c. Reports read the differ's
 * result as const and never decide exit codes.
 */
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "differ/differ.h"

/*
 * Flags of report_write: ANSI colours in text; every host named in text
 * and markdown (else the hosts that deviate are named and the others
 * counted, their names folded in markdown).
 */
#define REPORT_COLOR 1
#define REPORT_ALL_HOSTS 2

/*
 * Write r to out in format: "text", "json", "markdown", "junit", "html",
 * "patch" or "prometheus" (metrics for node_exporter's textfile
 * collector, fmt_prometheus.c); flags: REPORT_*. ED_ERROR for an unknown format (the message
 * lists the known ones), ED_EIO if out has a write error.
 */
int report_write(FILE *out, const char *format, const struct drift_report *r,
		 int flags, struct ed_err *err);

/*
 * Write the n reports r[0..n-1] (a check's parity pairs) to out as one
 * document: n == 1 is report_write. For several, text, markdown and patch
 * are the reports one after the other, a blank line apart; json is
 * {"schema": 1, "reports": [REPORT, ...]}; junit is one <testsuites> whose
 * tests and failures are the totals and whose suites and classnames are
 * prefixed with the pair ("staging..prod: web"); html is one page with a
 * section per pair. Codes as report_write; ED_ERROR also for n == 0.
 */
int report_write_many(FILE *out, const char *format, const struct drift_report *r,
		      size_t n, int flags, struct ed_err *err);

/*
 * What the store knows beside the drift, for the metrics format
 * (prometheus; the others ignore it): the hosts of store_hosts (borrowed)
 * for the hosts, failures and last scan of each environment; whether stale
 * hosts were looked for (check --max-age: STALE items then counted per
 * environment, zeros too); check's exit status, -1 for other commands.
 */
struct store_host;
struct report_fleet {
	const struct store_host *hosts;
	size_t nhosts;
	int stale_checked;
	int check_status;
};

/* report_write_many with fleet (NULL: nothing known beside r). */
int report_write_fleet(FILE *out, const char *format,
		       const struct drift_report *r, size_t n,
		       const struct report_fleet *fleet, int flags,
		       struct ed_err *err);

/* 1 if format names a known format. */
int report_known(const char *format);

/*
 * Commit the n reports r to st's state repository, each as
 * reports/A..B.md and reports/A..B.json (operands outside [A-Za-z0-9._-]
 * made '_'; a second report of the same pair, from a second parity entry
 * naming it, A..B.2.md and so on, in baseline order), rendered without commit ids or scan counts, in a commit of
 * their own: subject "report: N drift items (W waived), failing" (or
 * "passing", as failing says; N the items not waived, as check counts
 * them, "(W waived)" only when W > 0), appended to subject too, and trailer Envdrift-Kind:
 * report. Takes and releases st's lock, waiting lock_ms. *unchanged when
 * the files are as last committed: no commit, commit_out the tip.
 */
struct store;
int report_commit(char commit_out[41], int *unchanged, struct ed_buf *subject,
		  struct store *st, const struct drift_report *r, size_t n,
		  int failing, unsigned lock_ms, struct ed_err *err);

#endif
