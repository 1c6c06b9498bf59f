/*
 * envdrift diff A B: compare two environments (per role), two hosts, or
 * either against an earlier commit or date (X@REV, X@YYYY-MM-DD). Exit 0
 * no drift, 1 drift, 2 error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/alloc.h"
#include "core/store.h"
#include "differ/differ.h"
#include "reports/report.h"

/* how far back drift age looks: a year of nightly scans and then some */
#define SINCE_MAX_SCANS 1000

static const char usage_text[] =
	"usage: envdrift diff [--repo DIR] [--baseline FILE] [--fail-on critical|warning|info]\n"
	"                     [--format FORMAT[:FILE]]...\n"
	"                     [--color auto|always|never] A B\n"
	"\n"
	"Compare A and B: each an environment or a host (environments are tried\n"
	"first; env:NAME and host:NAME force one), optionally at a point in time:\n"
	"NAME@YYYY-MM-DD (the last collection at or before the end of that day, UTC)\n"
	"or NAME@REV (any git revision of the state repository).\n"
	"Environments are compared per role: consensus against consensus, and each\n"
	"host against its own environment's consensus (outliers).\n"
	"Facts the built-in rules (diff-defaults.yaml) or --baseline ignore are\n"
	"not compared; a baseline also sets severities, pins and waivers.\n"
	"FORMAT is text (default), json, markdown, junit, html or patch; with :FILE\n"
	"the report goes to FILE; --format may be repeated.\n"
	"Exit status: 0 nothing at or above --fail-on (default info: any) drifted,\n"
	"1 drift, 2 error.\n";

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "color", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *color = "auto";
	struct cli_outputs outs;
	struct differ_fact_cache *cache = NULL;
	const char *baseline = NULL;
	enum drift_severity fail_on = SEV_INFO;
	struct baseline *rules = NULL;
	struct cli_side sides[2];
	const struct differ_host **ga = NULL, **gb = NULL;
	struct drift_report r;
	struct store *st = NULL;
	int c, rc = EXIT_ERROR, have_report = 0;
	size_t i;

	memset(sides, 0, sizeof(sides));
	memset(&outs, 0, sizeof(outs));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'f':
			if (cli_output_add(&outs, optarg) < 0) {
				cli_outputs_release(&outs);
				return cli_usage_error("diff", "--format takes text, json, markdown, junit, html or patch, optionally :FILE (at most 8)");
			}
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'F':
			if (drift_severity_parse(&fail_on, optarg) < 0) {
				cli_outputs_release(&outs);
				return cli_usage_error("diff", "--fail-on takes critical, warning or info");
			}
			break;
		case 'c':
			color = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			cli_outputs_release(&outs);
			return EXIT_OK;
		default:
			cli_outputs_release(&outs);
			return cli_usage_error("diff", "bad option");
		}
	}
	if (argc - optind != 2) {
		cli_outputs_release(&outs);
		return cli_usage_error("diff", "want two operands, A and B");
	}
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
		cli_outputs_release(&outs);
		return cli_usage_error("diff", "--color takes auto, always or never");
	}
	cache = differ_fact_cache_new();
	if (baseline_load(&rules, baseline, &err) < 0 ||
	    store_open(&st, cli_repo_path(repo_opt), &err) < 0)
		goto out;
	for (i = 0; i < 2; i++)
		if (cli_load_side(&sides[i], st, cache, argv[optind + (int)i], &err) < 0)
			goto out;
	drift_report_init(&r, argv[optind], argv[optind + 1]);
	have_report = 1;
	r.commits[0] = ed_xstrdup(store_view_commit(sides[0].view));
	r.commits[1] = ed_xstrdup(store_view_commit(sides[1].view));
	ga = ed_xcalloc(sides[0].nr + 1, sizeof(*ga));
	gb = ed_xcalloc(sides[1].nr + 1, sizeof(*gb));
	for (i = 0; i < sides[0].nr; i++)
		ga[i] = &sides[0].hosts[i];
	for (i = 0; i < sides[1].nr; i++)
		gb[i] = &sides[1].hosts[i];
	if (differ_compare(&r, rules, ga, sides[0].nr, gb, sides[1].nr, &err) < 0)
		goto out;
	if (baseline) {
		differ_rules_pins(rules, &r, ga, sides[0].nr);
		differ_rules_pins(rules, &r, gb, sides[1].nr);
	}
	{
		char today[11];

		differ_today(today);
		differ_rules_apply(rules, &r, today);
	}
	/* drift age: only when both sides are the present, not X@REV */
	if (!strchr(argv[optind], '@') && !strchr(argv[optind + 1], '@') &&
	    differ_since(&r, st, rules, ga, sides[0].nr, gb, sides[1].nr,
			 SINCE_MAX_SCANS, &err) < 0)
		goto out;
	if (differ_content_diffs(&r, sides[0].view, sides[1].view, ga, sides[0].nr,
				 gb, sides[1].nr, &err) < 0 ||
	    cli_outputs_write(&outs, &r, 1, color, &err) < 0)
		goto out;
	rc = EXIT_OK;
	for (i = 0; i < r.nr; i++)
		if (!r.items[i].waived && r.items[i].severity >= fail_on)
			rc = EXIT_DRIFT;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	if (have_report)
		drift_report_release(&r);
	free(ga);
	free(gb);
	cli_side_release(&sides[0]);
	cli_side_release(&sides[1]);
	differ_fact_cache_free(cache);
	store_free(st);
	baseline_free(rules);
	cli_outputs_release(&outs);
	return rc;
}
