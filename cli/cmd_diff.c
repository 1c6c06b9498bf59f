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
#include "core/store.h"
#include "differ/differ.h"
#include "reports/report.h"

static const char usage_text[] =
	"usage: envdrift diff [--repo DIR|URL [--offline]] [--baseline FILE]\n"
	"                     [--fail-on critical|warning|info]\n"
	"                     [--format FORMAT[:FILE]]...\n"
	"                     [--color auto|always|never] [--hosts all|deviating] [-v]\n"
	"                     A B\n"
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
	"the report goes to FILE; --format may be repeated. Text and markdown name\n"
	"the hosts that deviate and count the others; --hosts all (-v) names all.\n"
	"A URL as --repo reads a cached copy, fetched first (--offline: as it is).\n"
	"Exit status: 0 nothing at or above --fail-on (default info: any) drifted,\n"
	"1 drift, 2 error.\n";

int cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "offline", no_argument, NULL, 'O' },
		{ "format", required_argument, NULL, 'f' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "color", required_argument, NULL, 'c' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *color = "auto";
	struct cli_outputs outs;
	const char *baseline = NULL;
	enum drift_severity fail_on = SEV_INFO;
	struct baseline *rules = NULL;
	struct differ_run_opts ro;
	struct drift_report r;
	struct store *st = NULL;
	int c, rc = EXIT_ERROR, have_report = 0;
	int offline = 0;

	memset(&ro, 0, sizeof(ro));
	memset(&outs, 0, sizeof(outs));
	optind = 1;
	while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'f':
			if (cli_output_add(&outs, optarg) < 0) {
				cli_outputs_release(&outs);
				return cli_usage_error(
					"diff",
					"--format takes text, json, markdown, junit, html or patch, optionally :FILE (at most 8)");
			}
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'F':
			if (drift_severity_parse(&fail_on, optarg) < 0) {
				cli_outputs_release(&outs);
				return cli_usage_error(
					"diff",
					"--fail-on takes critical, warning or info");
			}
			break;
		case 'c':
			color = optarg;
			break;
		case 'H':
			if (cli_output_hosts(&outs, optarg) < 0) {
				cli_outputs_release(&outs);
				return cli_usage_error(
					"diff", "--hosts takes all or deviating");
			}
			break;
		case 'v':
			outs.all_hosts = 1;
			break;
		case 'O':
			offline = 1;
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
	if (strcmp(color, "auto") && strcmp(color, "always") &&
	    strcmp(color, "never")) {
		cli_outputs_release(&outs);
		return cli_usage_error("diff",
				       "--color takes auto, always or never");
	}
	if (baseline_load(&rules, baseline, &err) < 0 ||
	    cli_open_read_store(&st, repo_opt, offline, -1, &err) < 0)
		goto out;
	ro.flags = baseline ? DIFFER_RUN_PINS : 0;
	if (differ_run(&r, st, rules, argv[optind], argv[optind + 1], &ro,
		       &err) < 0)
		goto out;
	have_report = 1;
	if (cli_outputs_write(&outs, &r, 1, color, &err) < 0)
		goto out;
	rc = drift_report_failing(&r, fail_on) ? EXIT_DRIFT : EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	if (have_report)
		drift_report_release(&r);
	store_free(st);
	baseline_free(rules);
	cli_outputs_release(&outs);
	return rc;
}
