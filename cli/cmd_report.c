/*
 * envdrift report: what check compares, as a report that never fails:
 * printed in the formats asked for, or with --commit kept in the state
 * repository under reports/ (report_commit). Exit 0, or 2 on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/repocache.h"
#include "core/buf.h"
#include "core/store.h"
#include "differ/differ.h"
#include "reports/report.h"

/* how long --commit waits for another writer (a scan) to finish */
#define REPORT_LOCK_MS 300000

static const char usage_text[] =
	"usage: envdrift report [--baseline FILE] [--repo DIR|URL [--offline]]\n"
	"                       [--max-age DURATION] [--toggle-days N]\n"
	"                       [--fail-on critical|warning|info]\n"
	"                       [--commit [--key FILE] [--push REMOTE [--push-timeout S]\n"
	"                                               [--allow-secrets]]]\n"
	"                       [--format FORMAT[:FILE]]... [--color auto|always|never]\n"
	"                       [--hosts all|deviating] [-v]\n"
	"\n"
	"What check compares (the baseline's parity entries, or every pair of\n"
	"environments when it declares none; pins; stale hosts) as a report that\n"
	"never fails: exit 0 unless an error (2). With --commit, a Markdown and a\n"
	"JSON report per pair go to reports/A..B.{md,json} in the state repository\n"
	"as a commit of their own (trailer Envdrift-Kind: report, not a scan),\n"
	"rendered without run ids or scan counts, so `git log -p -- reports/` shows\n"
	"drift appearing and being fixed. The baseline is --baseline, else\n"
	"$ENVDRIFT_BASELINE. A URL as --repo reads a cached copy, fetched first\n"
	"(--offline: as it is); --commit needs a local --repo. --push REMOTE then\n"
	"publishes main (see envdrift push). Options as for check; --fail-on sets\n"
	"what the commit's subject calls failing; prometheus writes metrics for\n"
	"node_exporter's textfile collector (README 'Drift as a metric').\n"
	"A parity environment with no host in the repository is skipped with a\n"
	"note on stderr.\n"
	"Exit status: 0 written (drift or not), 4 committed but not published,\n"
	"2 error.\n";

/* --commit: the reports into the repository, and one line saying so. */
static int commit(struct store *st, const struct differ_gate *gate,
		  enum drift_severity fail_on, struct ed_err *err)
{
	struct ed_buf subject = ED_BUF_INIT;
	char id[41];
	int unchanged, rc;

	rc = report_commit(id, &unchanged, &subject, st, gate->reports,
			   gate->nr, differ_gate_failing(gate, fail_on),
			   REPORT_LOCK_MS, err);
	if (!rc && unchanged)
		printf("%s; unchanged since the last report (no commit)\n",
		       subject.ptr);
	else if (!rc)
		printf("%s; committed %.12s (reports/)\n", subject.ptr, id);
	ed_buf_release(&subject);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct baseline *rules = NULL;
	struct store *st = NULL;
	struct differ_gate gate;
	struct cli_gate_opts g;
	int rc;

	memset(&gate, 0, sizeof(gate));
	rc = cli_gate_opts_parse(&g, argc, argv, "report", usage_text);
	if (rc >= 0)
		return rc;
	if (g.commit && ed_repo_is_url(cli_repo_path(g.repo))) {
		cli_outputs_release(&g.outs);
		return cli_usage_error(
			"report",
			"--commit writes: give a local --repo DIR, not a URL");
	}
	rc = EXIT_ERROR;
	if (!g.baseline)
		g.baseline = getenv("ENVDRIFT_BASELINE");
	g.gate.baseline = g.baseline;
	g.gate.every_pair = 1;
	/* a report never gates: an environment not scanned yet is a note */
	g.gate.missing_env_ok = 1;
	if (baseline_load(&rules, g.baseline, &err) < 0 ||
	    cli_open_read_store(&st, g.repo, g.offline, g.gate.max_age, &err) < 0 ||
	    (g.commit && cli_check_writer_key(st, g.repo, g.key, &err) < 0) ||
	    differ_gate_run(&gate, st, rules, &g.gate, &err) < 0)
		goto out;
	cli_print_gate_notes("report", &gate);
	if (g.commit && commit(st, &gate, g.fail_on, &err) < 0)
		goto out;
	if (!g.commit &&
	    (cli_outputs_fleet(&g.outs, st, g.gate.max_age, -1, &err) < 0 ||
	     cli_outputs_write(&g.outs, gate.reports, gate.nr, g.color, &err) < 0))
		goto out;
	rc = g.commit ? cli_publish(st, &g.push, NULL) : EXIT_OK;
	if (rc != EXIT_OK)
		goto done;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
done:
	differ_gate_release(&gate);
	store_free(st);
	baseline_free(rules);
	cli_outputs_release(&g.outs);
	return rc;
}
