/*
 * envdrift push and envdrift fetch: publish the state repository's main
 * to a git remote (as --push does after a commit), or bring it up to the
 * remote's main (core/publish.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "core/publish.h"
#include "core/store.h"

static const char push_usage[] =
	"usage: envdrift push [--repo DIR] [--config FILE] [--push-timeout S]\n"
	"                     [--allow-secrets] [REMOTE]\n"
	"\n"
	"Publish main to REMOTE's main (a git remote's name, a URL or a path;\n"
	"default origin) with the git client. Commits the remote lacks are read by\n"
	"the secret audit first (--allow-secrets pushes despite hits). When other\n"
	"writers pushed first, their work is fetched and ours rebuilt on it, host\n"
	"by host, then pushed again (up to 8 times).\n"
	"  --push-timeout S    deadline for each git run (default 120)\n"
	"Exit status: 0 published, 4 publishing failed (nothing lost), 2 error.\n";

static const char fetch_usage[] =
	"usage: envdrift fetch [--repo DIR] [--push-timeout S] [REMOTE]\n"
	"\n"
	"Fetch REMOTE's main (default origin) and bring main up to it: a\n"
	"fast-forward, or commits not pushed yet rebuilt on top of it.\n"
	"Exit status: 0 done, 4 the fetch failed, 2 error.\n";

static const char merge_usage[] =
	"usage: envdrift merge-incoming [--repo DIR] [--config FILE] [--push-timeout S]\n"
	"                               [--allow-secrets] [REMOTE]\n"
	"\n"
	"Pull mode: fetch REMOTE's main and every refs/envdrift/incoming/HOST that\n"
	"hosts pushed with collect --push, fold each host's snapshot newer than\n"
	"main's into main in one commit (the later scan wins), and push main.\n"
	"Exit status: 0 done, 4 publishing failed (nothing lost), 2 error.\n";

/* push and merge-incoming audit what they publish; fetch publishes nothing */
static const struct option publish_opts[] = {
	{ "repo", required_argument, NULL, 'r' },
	{ "config", required_argument, NULL, 'c' },
	{ "push-timeout", required_argument, NULL, CLI_OPT_PUSH_TIMEOUT },
	{ "allow-secrets", no_argument, NULL, CLI_OPT_ALLOW_SECRETS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const struct option fetch_opts[] = {
	{ "repo", required_argument, NULL, 'r' },
	{ "push-timeout", required_argument, NULL, CLI_OPT_PUSH_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse(int argc, char **argv, const char *cmd, const char *usage,
		 const char **repo, const char **config, struct cli_push *p)
{
	const struct option *opts =
		strcmp(cmd, "fetch") ? publish_opts : fetch_opts;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*repo = optarg;
			break;
		case 'c':
			*config = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			r = cli_push_option(p, c, optarg, cmd);
			if (r < 0)
				return EXIT_ERROR;
			if (!r)
				return cli_usage_error(cmd, "bad option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind + 1]);
	p->remote = optind < argc ? argv[optind] : "origin";
	return -1;
}

int cmd_push(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct cli_push p = CLI_PUSH_INIT;
	const char *repo = NULL, *config = NULL;
	struct store *st = NULL;
	int rc = parse(argc, argv, "push", push_usage, &repo, &config, &p);

	if (rc >= 0)
		return rc;
	if (store_open(&st, cli_repo_path(repo), &err) < 0)
		return cli_fail(&err);
	rc = cli_publish(st, &p, config);
	store_free(st);
	return rc;
}

int cmd_fetch(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct cli_push p = CLI_PUSH_INIT;
	const char *repo = NULL, *config = NULL;
	struct publish_result res;
	struct publish_opts o;
	struct store *st = NULL;
	int rc = parse(argc, argv, "fetch", fetch_usage, &repo, &config, &p);

	if (rc >= 0)
		return rc;
	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	o.remote = p.remote;
	o.timeout_ms = p.timeout_s * 1000u;
	o.lock_timeout_ms = 300000u;
	rc = store_open(&st, cli_repo_path(repo), &err);
	if (!rc)
		rc = publish_fetch(&res, st, &o, &err);
	if (!rc) {
		cli_put_safe(stdout, res.remote);
		if (!res.tip[0])
			printf(": no main yet\n");
		else if (res.rebuilt)
			printf(": fetched main %.12s; %zu local commit%s rebuilt on it\n",
			       res.tip, res.rebuilt, res.rebuilt == 1 ? "" : "s");
		else
			printf(": fetched main %.12s%s\n", res.tip,
			       res.up_to_date ? " (already in main)" :
						" (main moved to it)");
	}
	if (rc < 0)
		cli_fail(&err);
	publish_result_release(&res);
	store_free(st);
	return !rc ? EXIT_OK : rc == ED_EPUSH ? EXIT_PUSH_FAILED : EXIT_ERROR;
}

int cmd_merge_incoming(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct cli_push p = CLI_PUSH_INIT;
	const char *repo = NULL, *config = NULL;
	struct store *st = NULL;
	int rc = parse(argc, argv, "merge-incoming", merge_usage, &repo,
		       &config, &p);

	if (rc >= 0)
		return rc;
	if (store_open(&st, cli_repo_path(repo), &err) < 0)
		return cli_fail(&err);
	rc = cli_publish_as(st, &p, config, CLI_PUBLISH_MERGE, NULL);
	store_free(st);
	return rc;
}
