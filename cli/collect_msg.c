/*
 * What collect says about a collection: its commit's subject and trailers,
 * and the warnings and notes it prints. Apart from cmd_collect.c to keep
 * that one about the order of the steps.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/snapshot.h"
#include "core/store.h"
#include "core/strvec.h"
#include "core/words.h"

static size_t count_lines(const struct snapshot *snap, const char *path)
{
	const struct snapshot_entry *e = snapshot_find(snap, path);
	size_t n = 0, i;

	if (!e)
		return 0;
	for (i = 0; i < e->len; i++)
		n += e->data[i] == '\n';
	return n;
}

void cli_collect_message(struct ed_buf *subject, struct ed_strvec *trailers,
			 const char *env, const char *host, const char *root,
			 const struct snapshot *snap, const struct timespec *t0,
			 const struct timespec *t1)
{
	size_t npkg = count_lines(snap, "packages");
	size_t nfiles = count_lines(snap, "files");
	size_t nsysctl = count_lines(snap, "sysctl");

	ed_buf_addf(subject, "collect %s/%s: %zu %s, %zu %s, %zu sysctl %s",
		    env, host, npkg, ed_plural(npkg, "package", "packages"),
		    nfiles, ed_plural(nfiles, "file", "files"), nsysctl,
		    ed_plural(nsysctl, "key", "keys"));
	ed_strvec_pushf(trailers, "Envdrift-Collected: %s/%s", env, host);
	ed_strvec_pushf(trailers, "Envdrift-Warnings: %zu", snap->warnings.nr);
	if (strcmp(root, "/"))
		ed_strvec_pushf(trailers, "Envdrift-Root: %s", root);
	ed_strvec_pushf(trailers, "Envdrift-Duration: %.3f",
			(double)(t1->tv_sec - t0->tv_sec) +
				(double)(t1->tv_nsec - t0->tv_nsec) / 1e9);
}

void cli_collect_notes(const struct snapshot *snap,
		       const struct store_result *res, int quiet)
{
	size_t i;

	for (i = 0; i < snap->warnings.nr; i++)
		if (i < 50 || !quiet) {
			fputs("warning: ", stderr);
			cli_put_safe(stderr, snap->warnings.v[i]);
			fputc('\n', stderr);
		}
	if (snap->warnings.nr)
		fprintf(stderr, "envdrift: %zu warning%s\n", snap->warnings.nr,
			snap->warnings.nr == 1 ? "" : "s");
	for (i = 0; i < res->notes.nr; i++)
		fprintf(stderr, "warning: %s\n", res->notes.v[i]);
	for (i = 0; i < res->moved.nr; i++)
		fprintf(stderr, "envdrift: moved %s\n", res->moved.v[i]);
}
