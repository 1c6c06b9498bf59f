/*
 * envdrift check: the pre-deploy gate. Compares the environments the
 * baseline's parity entries name, checks its pins on every host, and
 * treats hosts not collected within --max-age as stale (differ_gate_run).
 * Exit 1 when any item not waived reaches --fail-on, 0 otherwise, 2 on
 * error. Its options, shared with report, are parsed here too.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/store.h"
#include "differ/differ.h"

static const char usage_text[] =
	"usage: envdrift check [--baseline FILE] [--repo DIR|URL [--offline]]\n"
	"                      [--fail-on critical|warning|info]\n"
	"                      [--max-age DURATION] [--toggle-days N]\n"
	"                      [--format FORMAT[:FILE]]... [--color auto|always|never]\n"
	"                      [--hosts all|deviating] [-v] [--allow-missing-env]\n"
	"                      [A B]\n"
	"\n"
	"With A B, require them to be identical under the built-in rules (and the\n"
	"baseline's, if given). Without, compare the environments each 'parity'\n"
	"entry of the baseline names (the first against each other one, per role).\n"
	"Either way, check the baseline's 'pins' on every host and report hosts\n"
	"whose last collection is older than --max-age (e.g. 26h, 90m, 2d).\n"
	"  --repo URL        read a cached copy of a remote repository, fetched first\n"
	"                    (--offline: as it is); see README 'Remote repositories'\n"
	"  --fail-on LEVEL   fail on drift of this severity or worse (default info: any)\n"
	"  --toggle-days N   note toggles with one value on every host for N days (30)\n"
	"  --allow-missing-env  a parity environment with no host is a note, not\n"
	"                    an error (without it a typo cannot pass the gate)\n"
	"  --hosts all, -v   name every host in text and markdown (default: the\n"
	"                    hosts that deviate, the others counted)\n"
	"Exit status: 0 pass, 1 drift at or above --fail-on, 2 error, including\n"
	"stale hosts (2 wins over 1). The verdict line goes to stderr.\n"
	"FORMAT is text (default), json, markdown, junit, html, patch or\n"
	"prometheus (metrics for node_exporter's textfile collector), :FILE\n"
	"to write a file; with several parity entries each output holds them all:\n"
	"json as {\"schema\": 1, \"reports\": [...]}, junit as one <testsuites>,\n"
	"html as one page, the others one after another.\n";

/* check's options; report takes these and its --commit ones */
#define GATE_OPTIONS                                      \
 { "repo", required_argument, NULL, 'r' },                \
	 { "baseline", required_argument, NULL, 'b' },    \
	 { "fail-on", required_argument, NULL, 'f' },     \
	 { "max-age", required_argument, NULL, 'm' },     \
	 { "format", required_argument, NULL, 'F' },      \
	 { "color", required_argument, NULL, 'c' },       \
	 { "hosts", required_argument, NULL, 'H' },       \
	 { "offline", no_argument, NULL, 'o' },           \
	 { "toggle-days", required_argument, NULL, 't' }, \
 {                                                        \
  "help", no_argument, NULL, 'h'                          \
 }
static const struct option check_opts[] = {
	GATE_OPTIONS,
	{ "allow-missing-env", no_argument, NULL, 'M' },
	{ NULL, 0, NULL, 0 },
};
static const struct option report_opts[] = {
	GATE_OPTIONS,
	{ "commit", no_argument, NULL, 'C' },
	{ "key", required_argument, NULL, 'k' },
	CLI_PUSH_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static int parse_gate_opts(struct cli_gate_opts *g, int argc, char **argv,
			   const char *cmd, const char *usage)
{
	const struct option *opts =
		strcmp(cmd, "report") ? check_opts : report_opts;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			g->repo = optarg;
			break;
		case 'b':
			g->baseline = optarg;
			break;
		case 'f':
			if (drift_severity_parse(&g->fail_on, optarg) < 0)
				return cli_usage_error(
					cmd,
					"--fail-on takes critical, warning or info");
			break;
		case 'm':
			g->gate.max_age = cli_parse_duration(optarg);
			if (g->gate.max_age < 0)
				return cli_usage_error(
					cmd,
					"--max-age takes a duration such as 26h, 90m, 2d");
			break;
		case 'F':
			if (cli_output_add(&g->outs, optarg) < 0)
				return cli_usage_error(
					cmd,
					"--format takes text, json, markdown, junit, html, patch or prometheus, optionally :FILE");
			break;
		case 'c':
			g->color = optarg;
			break;
		case 'H':
			if (cli_output_hosts(&g->outs, optarg) < 0)
				return cli_usage_error(
					cmd, "--hosts takes all or deviating");
			break;
		case 'v':
			g->outs.all_hosts = 1;
			break;
		case 't': {
			char *end;

			g->gate.toggle_days = strtol(optarg, &end, 10);
			if (!*optarg || *end || g->gate.toggle_days < 0)
				return cli_usage_error(
					cmd,
					"--toggle-days takes a number of days");
			break;
		}
		case 'C':
			g->commit = 1;
			break;
		case 'o':
			g->offline = 1;
			break;
		case 'M': /* check's only */
			g->gate.missing_env_ok = 1;
			break;
		case 'k':
			g->key = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			r = cli_push_option(&g->push, opt, optarg, cmd);
			if (r > 0)
				break;
			return r < 0 ? EXIT_ERROR :
				       cli_usage_error(cmd, "bad option");
		}
	}
	if (g->push.remote && !g->commit)
		return cli_usage_error(cmd, "--push needs --commit");
	if (g->key && !g->commit)
		return cli_usage_error(cmd, "--key needs --commit");
	if (argc - optind == 2 && !strcmp(cmd, "check")) {
		g->gate.operands[0] = argv[optind];
		g->gate.operands[1] = argv[optind + 1];
	} else if (optind < argc) {
		return cli_usage_error(cmd, "unexpected argument '%s'",
				       argv[optind]);
	}
	if (!g->baseline && !g->gate.operands[0] && !strcmp(cmd, "check"))
		return cli_usage_error(
			cmd,
			"give two operands (A B), or --baseline FILE with parity entries");
	return -1;
}

int cli_gate_opts_parse(struct cli_gate_opts *g, int argc, char **argv,
			const char *cmd, const char *usage)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->fail_on = SEV_INFO;
	g->color = "auto";
	g->gate.max_age = -1;
	g->gate.toggle_days = 30;
	g->push.timeout_s = 120;
	rc = parse_gate_opts(g, argc, argv, cmd, usage);
	if (rc >= 0)
		cli_outputs_release(&g->outs);
	g->gate.baseline = g->baseline;
	return rc;
}

void cli_print_gate_notes(const char *cmd, const struct differ_gate *gate)
{
	size_t i;

	for (i = 0; i < gate->notes.nr; i++) {
		fprintf(stderr, "%s: note: ", cmd);
		cli_put_safe(stderr, gate->notes.v[i]);
		fputc('\n', stderr);
	}
}

/* Which scanners the stale hosts belong to (after the verdict, stderr). */
static void print_shards(struct store *st, long long max_age)
{
	struct ed_err err = ED_ERR_INIT;
	struct store_host *h = NULL;
	size_t n = 0;

	/* the hosts were read once already: a failure now only loses a hint */
	if (store_hosts(st, &h, &n, &err) == 0)
		cli_print_stale_shards(stderr, "check: ", h, n, max_age);
	store_hosts_free(h, n);
}

int cmd_check(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct baseline *rules = NULL;
	struct store *st = NULL;
	struct differ_gate gate;
	struct cli_gate_opts g;
	size_t stale;
	int rc, failing;

	memset(&gate, 0, sizeof(gate));
	rc = cli_gate_opts_parse(&g, argc, argv, "check", usage_text);
	if (rc >= 0)
		return rc;
	rc = EXIT_ERROR;
	if (baseline_load(&rules, g.baseline, &err) < 0 ||
	    cli_open_read_store(&st, g.repo, g.offline, g.gate.max_age, &err) < 0 ||
	    differ_gate_run(&gate, st, rules, &g.gate, &err) < 0) {
		cli_fail(&err);
		goto out;
	}
	cli_print_gate_notes("check", &gate);
	stale = differ_gate_stale(&gate);
	failing = differ_gate_failing(&gate, g.fail_on);
	/* stale data is an error, not drift: 2 wins over 1 */
	rc = stale ? EXIT_ERROR : failing ? EXIT_DRIFT : EXIT_OK;
	if (cli_outputs_fleet(&g.outs, st, g.gate.max_age, rc, &err) < 0 ||
	    cli_outputs_write(&g.outs, gate.reports, gate.nr, g.color, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	/* the one-line verdict goes to stderr; stdout is the report */
	if (stale) {
		fprintf(stderr,
			"check: ERROR: %zu host%s not collected within --max-age\n",
			stale, stale == 1 ? "" : "s");
		print_shards(st, g.gate.max_age);
	} else
		fprintf(stderr, "check: %s (fail on %s)\n",
			failing ? "FAILED" : "passed",
			drift_severity_name(g.fail_on));
out:
	differ_gate_release(&gate);
	store_free(st);
	baseline_free(rules);
	cli_outputs_release(&g.outs);
	return rc;
}
