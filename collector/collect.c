/*
 * collect_host: run every enabled collector against one root and assemble
 * the host snapshot, including the "meta" file that says which collectors
 * ran and which could not (so a missing /proc is never read as removal).
 */
#include "collector/collector.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/internal.h"

void collect_path(struct ed_buf *out, const char *root, const char *abspath)
{
	size_t rlen = strlen(root);

	ed_buf_reset(out);
	while (rlen > 1 && root[rlen - 1] == '/')
		rlen--;
	if (!(rlen == 1 && root[0] == '/'))
		ed_buf_add(out, root, rlen);
	if (abspath[0] != '/')
		ed_buf_addch(out, '/');
	ed_buf_adds(out, abspath);
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

int collect_host(struct snapshot *out, const struct collect_opts *opts,
		 struct ed_err *err)
{
	struct ed_strvec meta = ED_STRVEC_INIT;
	const struct collect_config *cfg = opts->cfg;
	struct stat st;
	int rc = 0;

	if (stat(opts->root, &st) < 0)
		return ed_err_errno(err, ED_ENOTFOUND, errno, "root '%s'",
				    opts->root);
	if (!S_ISDIR(st.st_mode))
		return ed_err_set(err, ED_ENOTFOUND,
				  "root '%s': not a directory", opts->root);

	if (cfg->packages) {
		rc = collect_packages(out, &meta, opts, err);
		if (rc < 0)
			goto out;
	}
	if (cfg->kernel) {
		rc = collect_kernel(out, &meta, opts, err);
		if (rc < 0)
			goto out;
	}
	if (cfg->sysctl) {
		rc = collect_sysctl(out, &meta, opts, err);
		if (rc < 0)
			goto out;
	}
	if (cfg->services) {
		rc = collect_services(out, &meta, opts, err);
		if (rc < 0)
			goto out;
	}
	if (cfg->files) {
		rc = collect_files(out, &meta, opts, err);
		if (rc < 0)
			goto out;
	}
	if (opts->roles && opts->roles->nr) {
		size_t i;

		for (i = 0; i < opts->roles->nr; i++)
			ed_strvec_pushf(&meta, "role %s", opts->roles->v[i]);
	} else {
		ed_strvec_push(&meta, "role default");
	}
	keep_uncollected(out, &meta);
	snapshot_add_lines(out, "meta", &meta);
	snapshot_sort(out);
out:
	ed_strvec_release(&meta);
	return rc;
}
