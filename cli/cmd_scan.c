/*
 * envdrift scan: snapshot every host of an Ansible inventory over SSH into
 * one commit (fleet_scan, collector/fleet/fleet.h). This file parses the
 * options, shows progress (a live line on a terminal, failures always,
 * every host with -v), prints the summary, and maps the outcome to an
 * exit status.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "collector/fleet/fleet.h"
#include "core/hmac.h"
#include "core/store.h"

static const char usage_text[] =
	"usage: envdrift scan -i INVENTORY [--repo DIR] [--limit PATTERN] [-j N]\n"
	"                     [--config FILE] [--key FILE] [--connect-timeout S]\n"
	"                     [--deadline S] [--max-bytes N[KMG]] [--max-failed N|P%]\n"
	"                     [--known-hosts FILE] [--accept-new-host-keys]\n"
	"                     [--ssh-config FILE] [--prune] [--lock-timeout S] [-q|-v]\n"
	"\n"
	"Snapshot every host of an Ansible YAML inventory over SSH (nothing is\n"
	"installed on the hosts) into one commit of the state repository.\n"
	"  -i, --inventory FILE     Ansible YAML inventory\n"
	"  --limit PATTERN          groups, hosts or globs (Ansible's --limit); never prunes\n"
	"  -j, --jobs N             hosts at once (default 50)\n"
	"  --connect-timeout S      TCP connect + SSH handshake (default 10)\n"
	"  --deadline S             whole host (default 120)\n"
	"  --max-bytes N            output per host, K/M/G suffixes (default 256M)\n"
	"  --max-failed N|P%        failures tolerated before exit 3 (default 0)\n"
	"  --known-hosts FILE       default ~/.ssh/known_hosts\n"
	"  --accept-new-host-keys   append unknown host keys; changed ones are refused\n"
	"  --ssh-config FILE        default ~/.ssh/config (HostName, User, Port,\n"
	"                           IdentityFile, ProxyJump)\n"
	"  --prune                  remove hosts that left the inventory\n"
	"  --threads N              polling threads sharing the -j sessions (default 1)\n"
	"  -q, --quiet / -v, --verbose\n"
	"Exit status: 0 all collected (or failures within --max-failed), 3 more\n"
	"failures than that (the rest committed), 2 nothing could be done.\n";

struct ui {
	int quiet, verbose, tty;
};

static void progress_line(const struct ui *ui, const struct fleet_counts *c,
			  int final)
{
	double rate = c->seconds > 0 ? (double)c->done / c->seconds : 0;
	size_t left = c->total - c->done;

	if (!ui->tty || ui->quiet)
		return;
	fprintf(stderr, "\r\033[K[%zu/%zu] %zu failed, %.1f hosts/s", c->done,
		c->total, c->failed, rate);
	if (!final && rate > 0 && left)
		fprintf(stderr, ", ETA %.0f s", (double)left / rate);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * A host ended: failures always (they are errors, even with -q), collected
 * hosts and their warnings with -v.
 */
static void on_host(const struct fleet_host *h, const struct fleet_counts *c,
		    void *arg)
{
	const struct ui *ui = arg;
	size_t i;

	if (h->failed) {
		if (ui->tty && !ui->quiet)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "envdrift: %s: ", ssh_state_name(h->state));
		cli_put_safe(stderr, h->message);
		fputc('\n', stderr);
	} else if (ui->verbose) {
		if (ui->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "envdrift: %s/%s %s in %.2f s (%zu warnings)\n",
			h->env, h->name,
			h->local ? "collected locally" : "collected",
			h->seconds, h->nr_warnings);
		for (i = 0; h->warnings && i < h->warnings->nr; i++) {
			fprintf(stderr, "warning: %s: ", h->name);
			cli_put_safe(stderr, h->warnings->v[i]);
			fputc('\n', stderr);
		}
	}
	progress_line(ui, c, 0);
}

static void on_tick(const struct fleet_counts *c, void *arg)
{
	progress_line(arg, c, 0);
}

/* Every host ended; the commit comes next. */
static void on_collected(const struct fleet_result *r,
			 const struct fleet_counts *c, void *arg)
{
	const struct ui *ui = arg;
	size_t i;

	progress_line(ui, c, 1);
	for (i = 0; !ui->quiet && i < r->warnings.nr; i++) {
		fputs("warning: ", stderr);
		cli_put_safe(stderr, r->warnings.v[i]);
		fputc('\n', stderr);
	}
	if (r->prune_ignored)
		fprintf(stderr, "warning: --prune ignored with --limit\n");
}

static void print_summary(const struct ui *ui, const struct fleet_result *r)
{
	size_t by_state[SSH_ERROR + 1] = { 0 }, i;
	struct rusage ru;
	double cpu = 0;

	for (i = 0; i < r->commit.notes.nr; i++)
		fprintf(stderr, "warning: %s\n", r->commit.notes.v[i]);
	for (i = 0; i < r->commit.moved.nr; i++)
		fprintf(stderr, "envdrift: moved %s\n", r->commit.moved.v[i]);
	for (i = 0; i < r->nr; i++)
		if (r->hosts[i].failed)
			by_state[r->hosts[i].state]++;
	if (!getrusage(RUSAGE_SELF, &ru))
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
			      1e6;
	if (!ui->quiet || r->failed) {
		printf("scan: %zu hosts, %zu collected, %zu failed", r->nr,
		       r->nr - r->failed, r->failed);
		for (i = 0; i <= SSH_ERROR; i++)
			if (by_state[i])
				printf(", %zu %s", by_state[i],
				       ssh_state_name((enum ssh_state)i));
		printf("; %zu warnings; %.1f s, cpu %.1f ms/host; commit %.12s%s\n",
		       r->nr_warnings, r->seconds,
		       r->nr ? cpu * 1000 / (double)r->nr : 0.0, r->commit.commit,
		       r->commit.tree_unchanged ? " (unchanged)" : "");
	}
	if (ui->tty && !ui->quiet && r->failed) {
		printf("%-28s %-18s %s\n", "HOST", "STATE", "WHY");
		for (i = 0; i < r->nr; i++)
			if (r->hosts[i].failed)
				printf("%-28s %-18s %s\n", r->hosts[i].name,
				       ssh_state_name(r->hosts[i].state),
				       r->hosts[i].message);
	}
}

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'L' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "connect-timeout", required_argument, NULL, 'C' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "max-bytes", required_argument, NULL, 'B' },
		{ "max-failed", required_argument, NULL, 'F' },
		{ "known-hosts", required_argument, NULL, 'K' },
		{ "accept-new-host-keys", no_argument, NULL, 'A' },
		{ "ssh-config", required_argument, NULL, 'S' },
		{ "prune", no_argument, NULL, 'P' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *key_opt = NULL, *config = NULL;
	struct collect_config *cfg = NULL;
	struct fleet_plan *plan = NULL;
	struct store *st = NULL;
	struct ed_hmac *key = NULL;
	struct fleet_scan_opts so;
	struct fleet_result res;
	struct ui ui = { 0, 0, 0 };
	const struct fleet_progress progress = { on_host, on_tick, on_collected,
						 &ui };
	unsigned lock_timeout = 300;
	unsigned long max_failed;
	int max_failed_pct, c, rc = EXIT_ERROR;

	memset(&so, 0, sizeof(so));
	memset(&res, 0, sizeof(res));
	so.threads = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:j:qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'i':
			so.inventory = optarg;
			break;
		case 'L':
			so.limit = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'k':
			key_opt = optarg;
			break;
		case 'K':
			so.known_hosts = optarg;
			break;
		case 'S':
			so.ssh_config = optarg;
			break;
		case 'A':
			so.accept_new = 1;
			break;
		case 'P':
			so.prune = 1;
			break;
		case 'q':
			ui.quiet = 1;
			break;
		case 'v':
			ui.verbose = 1;
			break;
		case 'T':
			if (cli_parse_seconds(optarg, &so.threads) < 0 ||
			    !so.threads || so.threads > 64)
				return cli_usage_error("scan",
						       "--threads takes 1-64");
			break;
		case 'j':
			if (cli_parse_seconds(optarg, &so.jobs) < 0 ||
			    !so.jobs || so.jobs > 10000)
				return cli_usage_error("scan", "-j takes 1-10000");
			break;
		case 'C':
			if (cli_parse_seconds(optarg, &so.connect_timeout_s) < 0 ||
			    !so.connect_timeout_s)
				return cli_usage_error(
					"scan",
					"--connect-timeout takes seconds (1-86400)");
			break;
		case 'D':
			if (cli_parse_seconds(optarg, &so.deadline_s) < 0 ||
			    !so.deadline_s)
				return cli_usage_error(
					"scan",
					"--deadline takes seconds (1-86400)");
			break;
		case 'l':
			if (cli_parse_seconds(optarg, &lock_timeout) < 0)
				return cli_usage_error(
					"scan",
					"--lock-timeout takes seconds (0-86400)");
			break;
		case 'B':
			if (collect_parse_size(optarg, &so.max_bytes) < 0)
				return cli_usage_error(
					"scan",
					"--max-bytes takes a size such as 64M");
			break;
		case 'F':
			if (fleet_parse_max_failed(optarg, &max_failed,
						   &max_failed_pct) < 0)
				return cli_usage_error(
					"scan",
					"--max-failed takes N or P%% (0-100)");
			so.max_failed = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("scan", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("scan", "unexpected argument '%s'",
				       argv[optind]);
	if (!so.inventory)
		return cli_usage_error("scan", "give the inventory with -i FILE");

	so.lock_timeout_ms = lock_timeout * 1000u;
	if (collect_config_load(&cfg, config, &err) < 0)
		goto out;
	so.cfg = cfg;
	if (fleet_plan_load(&plan, &so, &err) < 0 ||
	    cli_open_keyed_store(&st, &key, repo_opt, key_opt, &err) < 0)
		goto out;
	ui.tty = isatty(STDERR_FILENO);
	if (fleet_scan(&res, plan, st, key, &progress, &err) < 0)
		goto out;
	print_summary(&ui, &res);
	rc = res.too_many_failed ? EXIT_FAILED_HOSTS : EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	fleet_result_release(&res);
	fleet_plan_free(plan);
	store_free(st);
	ed_hmac_free(key);
	collect_config_free(cfg);
	return rc;
}
