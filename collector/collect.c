/*
 * collect_host: run every enabled collector against one target and
 * assemble the host snapshot, including the "meta" file that says which
 * collectors ran and which could not (so a missing /proc is never read as
 * removal); collect_needs: the union of what they read.
 */
#include "collector/collector.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/internal.h"
#include "core/alloc.h"
#include "core/hmac.h"

const char *const collect_prev_paths[] = { "files", "services", "toggles", NULL };

/*
 * The collectors after the files walk (which runs on its own thread, see
 * files_job), in the order they run. A new collector is one row here.
 */
static const struct collector *const collectors[] = {
	&collector_packages, &collector_kernel,  &collector_sysctl,
	&collector_services, &collector_toggles,  &collector_identity,
};

static void needs_of(struct collect_needs *out, const struct collector *c,
		     const struct collect_config *cfg)
{
	size_t i;

	if (cfg && c->enabled && !c->enabled(cfg))
		return;
	for (i = 0; i < c->needs_nr; i++) {
		if (c->needs[i].kind != NEED_CONFIG)
			collect_needs_add(out, &c->needs[i]);
		else if (cfg)
			c->needs[i].add(out, cfg);
	}
}

void collect_needs(struct collect_needs *out, const struct collect_config *cfg)
{
	size_t i;

	needs_of(out, &collector_files, cfg);
	for (i = 0; i < ED_ARRAY_SIZE(collectors); i++)
		needs_of(out, collectors[i], cfg);
}

/*
 * A collector that said "not-collected" keeps its previous files: map its
 * meta line to the snapshot files it owns.
 */
static void keep_uncollected(struct snapshot *out, const struct ed_strvec *meta)
{
	static const struct {
		const char *collector;
		const char *paths[3];
	} owned[] = {
		{ "packages", { "packages", NULL, NULL } },
		{ "kernel", { "kernel", NULL, NULL } },
		{ "os-release", { "os-release", NULL, NULL } },
		{ "sysctl", { "sysctl", "sysctl-per-host", NULL } },
		{ "services", { "services", NULL, NULL } },
		{ "files", { "files", "content", NULL } },
	};
	static const char prefix[] = "collector ";
	size_t i, j, k;

	for (i = 0; i < meta->nr; i++) {
		const char *line = meta->v[i];

		if (strncmp(line, prefix, sizeof(prefix) - 1))
			continue;
		line += sizeof(prefix) - 1;
		for (j = 0; j < sizeof(owned) / sizeof(owned[0]); j++) {
			size_t n = strlen(owned[j].collector);

			if (strncmp(line, owned[j].collector, n) ||
			    strncmp(line + n, " not-collected", 14))
				continue;
			for (k = 0; k < 3 && owned[j].paths[k]; k++)
				ed_strvec_push(&out->keep, owned[j].paths[k]);
		}
	}
}

/*
 * The files walk is the largest collector and shares nothing with the
 * others but the (read-only) options, so it runs on its own thread with
 * its own snapshot, meta and HMAC context, merged afterwards in a fixed
 * order so the result never depends on scheduling. An image is shared by
 * both threads: its own mutex makes that safe.
 */
struct files_job {
	struct vfs *fs;
	struct collect_opts opts;
	struct snapshot snap;
	struct ed_strvec meta;
	struct ed_err err;
	int rc;
};

static void *files_thread(void *arg)
{
	struct files_job *job = arg;

	job->rc = collector_files.collect(&job->snap, &job->meta, job->fs,
					  &job->opts, &job->err);
	return NULL;
}

static void merge_job(struct snapshot *out, struct ed_strvec *meta,
		      struct files_job *job)
{
	size_t i;

	snapshot_take_entries(out, &job->snap);
	for (i = 0; i < job->meta.nr; i++)
		ed_strvec_push(meta, job->meta.v[i]);
}

int collect_host(struct snapshot *out, struct vfs *fs,
		 const struct collect_opts *opts, struct ed_err *err)
{
	struct ed_strvec meta = ED_STRVEC_INIT;
	const struct collect_config *cfg = opts->cfg;
	struct files_job job;
	struct ed_hmac *key2 = NULL;
	pthread_t tid;
	int threaded = 0;
	struct stat st;
	size_t i;
	int rc = 0;

	if (vfs_fstatat(fs, AT_FDCWD, "/", &st, 0) < 0)
		return ed_err_errno(err, ED_ENOTFOUND, errno, "root '%s'",
				    vfs_root(fs));
	if (!S_ISDIR(st.st_mode))
		return ed_err_set(err, ED_ENOTFOUND,
				  "root '%s': not a directory", vfs_root(fs));

	memset(&job, 0, sizeof(job));
	snapshot_init(&job.snap);
	job.snap.sink = out->sink; /* only the files thread stores contents */
	ed_strvec_init(&job.meta);
	if (collector_files.enabled(cfg)) {
		job.fs = fs;
		job.opts = *opts;
		if (opts->key) {
			rc = ed_hmac_dup(&key2, opts->key, err);
			if (rc < 0)
				goto out;
			job.opts.key = key2;
		}
		threaded = !pthread_create(&tid, NULL, files_thread, &job);
		if (!threaded)
			files_thread(&job);
	}
	for (i = 0; i < ED_ARRAY_SIZE(collectors); i++) {
		const struct collector *c = collectors[i];

		if (c->enabled && !c->enabled(cfg))
			continue;
		rc = c->collect(out, &meta, fs, opts, err);
		if (rc < 0)
			goto out;
	}
	if (threaded) {
		pthread_join(tid, NULL);
		threaded = 0;
	}
	if (collector_files.enabled(cfg)) {
		if (job.rc < 0) {
			*err = job.err;
			rc = job.rc;
			goto out;
		}
		merge_job(out, &meta, &job);
	}
	if (opts->roles && opts->roles->nr) {
		for (i = 0; i < opts->roles->nr; i++)
			ed_strvec_pushf(&meta, "role %s", opts->roles->v[i]);
	} else {
		ed_strvec_push(&meta, "role default");
	}
	{
		struct ed_buf fmt = ED_BUF_INIT;

		/* which secret rules stored this host (collector/upgrade.c) */
		collect_format_line(&fmt);
		ed_strvec_take(&meta, ed_buf_detach(&fmt, NULL));
	}
	keep_uncollected(out, &meta);
	snapshot_add_lines(out, "meta", &meta);
	snapshot_sort(out);
out:
	if (threaded)
		pthread_join(tid, NULL);
	snapshot_release(&job.snap);
	ed_strvec_release(&job.meta);
	ed_hmac_free(key2);
	ed_strvec_release(&meta);
	return rc;
}
