/*
 * Report outputs: --format NAME[:FILE], repeatable, so one run can print
 * text and write json:drift.json and junit:drift.xml for the pipeline.
 * Files are written to a temporary name and renamed, so a reader never
 * sees half a report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "reports/report.h"

int cli_output_add(struct cli_outputs *o, const char *spec)
{
	const char *colon = strchr(spec, ':');
	char *name;
	int ok;

	if (o->nr == sizeof(o->v) / sizeof(o->v[0]))
		return -1;
	name = colon ? strndup(spec, (size_t)(colon - spec)) : strdup(spec);
	ok = name && report_known(name) && (!colon || colon[1]);
	if (!ok) {
		free(name);
		return -1;
	}
	o->v[o->nr].format = name;
	o->v[o->nr].path = colon ? strdup(colon + 1) : NULL;
	o->nr++;
	return 0;
}

int cli_output_hosts(struct cli_outputs *o, const char *arg)
{
	if (strcmp(arg, "all") && strcmp(arg, "deviating"))
		return -1;
	o->all_hosts = !strcmp(arg, "all");
	return 0;
}

void cli_outputs_release(struct cli_outputs *o)
{
	size_t i;

	for (i = 0; i < o->nr; i++) {
		free(o->v[i].format);
		free(o->v[i].path);
	}
	o->nr = 0;
}

int cli_outputs_write(const struct cli_outputs *o, const struct drift_report *r,
		      size_t nr, const char *color, struct ed_err *err)
{
	size_t i;

	for (i = 0; i < (o->nr ? o->nr : 1); i++) {
		const char *format = o->nr ? o->v[i].format : "text";
		const char *path = o->nr ? o->v[i].path : NULL;
		struct ed_buf tmp = ED_BUF_INIT;
		FILE *f = stdout;
		int rc, tty = 0;

		if (path) {
			ed_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
			f = fopen(tmp.ptr, "w");
			if (!f) {
				rc = ed_err_errno(err, ED_EIO, errno, "%s", path);
				ed_buf_release(&tmp);
				return rc;
			}
		} else {
			tty = isatty(STDOUT_FILENO);
		}
		rc = report_write_many(
			f, format, r, nr,
			(!strcmp(color, "always") ||
					 (!strcmp(color, "auto") && tty) ?
				 REPORT_COLOR :
				 0) |
				(o->all_hosts ? REPORT_ALL_HOSTS : 0),
			err);
		if (path) {
			if (fclose(f) != 0 && !rc)
				rc = ed_err_errno(err, ED_EIO, errno, "%s", path);
			if (!rc && rename(tmp.ptr, path) < 0)
				rc = ed_err_errno(err, ED_EIO, errno, "%s", path);
			if (rc)
				unlink(tmp.ptr);
		}
		ed_buf_release(&tmp);
		if (rc < 0)
			return rc;
	}
	return 0;
}
