#ifndef ENVDRIFT_REPORTS_REPORT_H
#define ENVDRIFT_REPORTS_REPORT_H
/*
 * Drift reports. A format is a struct of hooks (begin, section, group,
 * item, end; reports/internal.h) in its own reports/fmt_NAME.c; adding one
 * is that file and one row in reports/report.c. Reports read the differ's
 * result as const and never decide exit codes.
 */
#include <stdio.h>

#include "core/err.h"
#include "differ/differ.h"

/*
 * Write r to out in format: "text", "json", "markdown", "junit", "html" or
 * "patch"; color: ANSI colours in text. ED_ERROR for an unknown format (the message
 * lists the known ones), ED_EIO if out has a write error.
 */
int report_write(FILE *out, const char *format, const struct drift_report *r,
		 int color, struct ed_err *err);

/*
 * Write the n reports r[0..n-1] (a check's parity pairs) to out as one
 * document: n == 1 is report_write. For several, text, markdown and patch
 * are the reports one after the other, a blank line apart; json is
 * {"schema": 1, "reports": [REPORT, ...]}; junit is one <testsuites> whose
 * tests and failures are the totals and whose suites and classnames are
 * prefixed with the pair ("staging..prod: web"); html is one page with a
 * section per pair. Codes as report_write; ED_ERROR also for n == 0.
 */
int report_write_many(FILE *out, const char *format,
		      const struct drift_report *r, size_t n, int color,
		      struct ed_err *err);

/* 1 if format names a known format. */
int report_known(const char *format);

#endif
