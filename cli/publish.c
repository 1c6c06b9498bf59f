/*
 * --push on the commands that commit (and envdrift push): the audit's
 * detectors from the collection configuration, publish_push
 * (core/publish.h), and one line saying what happened.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "core/publish.h"

int cli_push_option(struct cli_push *p, int c, const char *arg, const char *cmd)
{
	switch (c) {
	case CLI_OPT_PUSH:
		p->remote = arg;
		return 1;
	case CLI_OPT_PUSH_TIMEOUT:
		if (collect_parse_seconds(arg, &p->timeout_s) < 0 ||
		    !p->timeout_s) {
			cli_usage_error(cmd,
					"--push-timeout takes seconds (1-86400)");
			return -1;
		}
		return 1;
	case CLI_OPT_ALLOW_SECRETS:
		p->allow_secrets = 1;
		return 1;
	default:
		return 0;
	}
}

int cli_exit_combine(int rc, int publish_rc)
{
	if (rc == EXIT_ERROR || publish_rc == EXIT_ERROR)
		return EXIT_ERROR;
	if (publish_rc == EXIT_PUSH_FAILED)
		return EXIT_PUSH_FAILED;
	return rc;
}

static void print_superseded(const struct publish_result *res)
{
	size_t i;

	for (i = 0; i < res->superseded.nr; i++) {
		fputs("envdrift: ", stderr);
		cli_put_safe(stderr, res->superseded.v[i]);
		fputs(": the remote holds a newer scan; ours was not published\n",
		      stderr);
	}
}

static void print_refused(const struct publish_result *res)
{
	size_t i;

	for (i = 0; i < res->refused.nr; i++) {
		fputs("envdrift: warning: not merged: ", stderr);
		cli_put_safe(stderr, res->refused.v[i]);
		fputc('\n', stderr);
	}
}

static void print_outcome(const struct publish_result *res)
{
	print_superseded(res);
	cli_put_safe(stdout, res->remote);
	if (res->up_to_date && !res->tip[0])
		printf(": nothing to push yet\n");
	else if (res->up_to_date && !res->rebuilt)
		printf(": up to date (main at %.12s)\n", res->tip);
	else if (res->rebuilt)
		printf(": pushed main %.12s (%zu commit%s rebuilt on other writers' pushes)\n",
		       res->tip, res->rebuilt, res->rebuilt == 1 ? "" : "s");
	else
		printf(": pushed main %.12s\n", res->tip);
}

static void print_hits(const struct ed_audit *a)
{
	size_t i;

	for (i = 0; i < a->nr; i++) {
		fputs("secret: ", stderr);
		cli_put_safe(stderr, a->v[i].where);
		fprintf(stderr, ":%zu: %s\n", a->v[i].line, a->v[i].rule);
	}
}

int cli_publish(struct store *st, const struct cli_push *p, const char *config)
{
	return cli_publish_as(st, p, config, CLI_PUBLISH_MAIN, NULL);
}

int cli_publish_as(struct store *st, const struct cli_push *p, const char *config,
		   enum cli_publish_mode mode, const char *host)
{
	struct ed_err err = ED_ERR_INIT;
	struct collect_config *cfg = NULL;
	struct ed_secret_finder finder;
	struct publish_result res;
	struct publish_opts o;
	int rc, have_finder = 0;

	if (!p->remote)
		return EXIT_OK;
	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	o.remote = p->remote;
	o.timeout_ms = p->timeout_s * 1000u;
	o.lock_timeout_ms = 300000u;
	o.allow_secrets = p->allow_secrets;
	rc = collect_config_load(&cfg, config, &err);
	if (!rc) {
		have_finder = 1;
		rc = ed_secret_finder_init(&finder, &cfg->secret_values, &err);
	}
	if (!rc) {
		o.finder = &finder;
		o.plain = &cfg->plain_files;
		rc = mode == CLI_PUBLISH_INCOMING ?
			     publish_push_incoming(&res, st, &o, host, &err) :
		     mode == CLI_PUBLISH_MERGE ?
			     publish_merge_incoming(&res, st, &o, &err) :
			     publish_push(&res, st, &o, &err);
	}
	if (!rc && p->quiet) {
		/* the outcome goes unsaid; superseded hosts still warn */
		print_superseded(&res);
	} else if (!rc && mode == CLI_PUBLISH_INCOMING) {
		cli_put_safe(stdout, res.remote);
		printf(": pushed refs/envdrift/incoming/%s %.12s\n", host,
		       res.tip);
	} else if (!rc) {
		if (mode == CLI_PUBLISH_MERGE)
			printf("merge-incoming: %zu host%s folded into main\n",
			       res.merged, res.merged == 1 ? "" : "s");
		print_outcome(&res);
	}
	print_refused(&res);
	print_hits(&res.audit);
	if (rc < 0)
		cli_fail(&err);
	if (rc == ED_EPUSH)
		fputs("envdrift: the local commits are kept; the next push publishes them\n",
		      stderr);
	if (have_finder)
		ed_secret_finder_release(&finder);
	collect_config_free(cfg);
	publish_result_release(&res);
	return !rc ? EXIT_OK : rc == ED_EPUSH ? EXIT_PUSH_FAILED : EXIT_ERROR;
}
