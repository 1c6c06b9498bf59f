/*
 * Loading what a diff or check operand names ("prod", "host:web-1",
 * "prod@2026-11-01", "web-1@main~3") from the state repository.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/alloc.h"


int cli_load_side(struct cli_side *sd, struct store *st,
		  struct differ_fact_cache *cache, const char *operand,
		  struct ed_err *err)
{
	char *name = ed_xstrdup(operand), *at = strchr(name, '@');
	const char *want = name, *rev = NULL;
	struct store_host *all = NULL;
	size_t n = 0, i, matches = 0;
	int force_env = 0, force_host = 0, is_env = 0, rc;

	if (at) {
		*at = '\0';
		rev = at + 1;
	}
	if (!strncmp(want, "env:", 4)) {
		force_env = 1;
		want += 4;
	} else if (!strncmp(want, "host:", 5)) {
		force_host = 1;
		want += 5;
	}
	rc = store_view_open(&sd->view, st, rev, err);
	if (!rc)
		rc = store_view_hosts(sd->view, &all, &n, err);
	if (rc < 0)
		goto out;
	for (i = 0; !force_host && i < n; i++)
		if (!strcmp(all[i].env, want))
			is_env = 1;
	sd->hosts = ed_xcalloc(n ? n : 1, sizeof(*sd->hosts));
	for (i = 0; i < n; i++) {
		if (is_env ? strcmp(all[i].env, want) :
			     (force_env || strcmp(all[i].host, want)))
			continue;
		matches++;
		rc = differ_host_load_view(&sd->hosts[sd->nr], cache, sd->view,
					   all[i].env, all[i].host, err);
		if (rc < 0)
			goto out;
		sd->nr++;
	}
	if (!matches)
		rc = ed_err_set(err, ED_ENOTFOUND,
				"'%s' matches no %s in the state repository%s%s",
				operand, force_env ? "environment" :
				force_host ? "host" : "environment or host",
				rev ? " at " : "", rev ? rev : "");
out:
	store_hosts_free(all, n);
	free(name);
	return rc;
}

void cli_side_release(struct cli_side *sd)
{
	size_t i;

	for (i = 0; i < sd->nr; i++)
		differ_host_release(&sd->hosts[i]);
	free(sd->hosts);
	store_view_free(sd->view);
}

