/*
 * Report outputs: --format NAME[:FILE], repeatable, so one run can print
 * text and write json:drift.json and junit:drift.xml for the pipeline.
 * Files are written to a temporary name, flushed to disk and renamed, so
 * a reader (node_exporter's textfile collector) never sees half a report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/store.h"
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
	store_hosts_free(o->hosts, o->nhosts);
	o->hosts = NULL;
	o->nhosts = 0;
	o->have_fleet = 0;
}

int cli_outputs_fleet(struct cli_outputs *o, struct store *st,
		      long long max_age, int status, struct ed_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < o->nr && strcmp(o->v[i].format, "prometheus"); i++)
		;
	if (i == o->nr)
		return 0;
	store_hosts_free(o->hosts, o->nhosts);
	o->hosts = NULL;
	o->nhosts = 0;
	rc = store_hosts(st, &o->hosts, &o->nhosts, err);
	if (rc < 0)
		return rc;
	o->fleet.hosts = o->hosts;
	o->fleet.nhosts = o->nhosts;
	o->fleet.stale_checked = max_age >= 0;
	o->fleet.check_status = status;
	o->have_fleet = 1;
	return 0;
}

/*
 * A new file at tmp for path's contents: exclusive, so a link planted
 * there is never followed; a leftover of a killed run (same pid) goes.
 */
static FILE *open_tmp(const char *tmp)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	FILE *f;
	int e;

	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

/* Flush f to disk and close it: a rename must never publish a torn file. */
static int close_synced(FILE *f)
{
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;

	return fclose(f) != 0 || bad ? -1 : 0;
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
			f = open_tmp(tmp.ptr);
			if (!f) {
				rc = ed_err_errno(err, ED_EIO, errno, "%s", path);
				ed_buf_release(&tmp);
				return rc;
			}
		} else {
			tty = isatty(STDOUT_FILENO);
		}
		rc = report_write_fleet(
			f, format, r, nr, o->have_fleet ? &o->fleet : NULL,
			(!strcmp(color, "always") ||
					 (!strcmp(color, "auto") && tty) ?
				 REPORT_COLOR :
				 0) |
				(o->all_hosts ? REPORT_ALL_HOSTS : 0),
			err);
		if (path) {
			if (close_synced(f) < 0 && !rc)
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
