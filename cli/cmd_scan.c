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
#include <unistd.h>

#include "cli/cmd.h"
#include "cli/scan_ui.h"
#include "collector/collector.h"
#include "collector/fleet/fleet.h"
#include "core/hmac.h"
#include "core/shard.h"
#include "core/store.h"

static const char usage_text[] =
	"usage: envdrift scan -i|--inventory FILE [--repo DIR] [--limit PATTERN]\n"
	"                     [--shard K/N] [-j|--jobs N] [--threads N]\n"
	"                     [--config FILE] [--key FILE] [--connect-timeout S]\n"
	"                     [--deadline S] [--max-bytes N[KMG]] [--max-failed N|P%]\n"
	"                     [--known-hosts FILE] [--accept-new-host-keys]\n"
	"                     [--ssh-config FILE] [--prune] [--full] [--lock-timeout S]\n"
	"                     [--adopt-settings] [-q|--quiet|-v|--verbose]\n"
	"                     [--push REMOTE [--push-timeout S] [--allow-secrets]]\n"
	"\n"
	"Snapshot every host of an Ansible YAML inventory over SSH (nothing is\n"
	"installed on the hosts) into one commit of the state repository.\n"
	"  -i, --inventory FILE     Ansible YAML inventory\n"
	"  --limit PATTERN          groups, hosts or globs (Ansible's --limit); never prunes\n"
	"  --shard K/N              only the hosts scanner K of N owns (a consistent hash\n"
	"                           of the name); never prunes\n"
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
	"  --full                   every host sends every file, not only those changed\n"
	"                           since its last scan (run it weekly, say)\n"
	"  --threads N              polling threads sharing the -j sessions (default 1)\n"
	"  --adopt-settings         record this configuration's rules in the repository\n"
	"  -q, --quiet / -v, --verbose\n"
	"  --push REMOTE            then publish main to REMOTE (see envdrift push)\n"
	"Exit status: 0 all collected (or failures within --max-failed), 3 more\n"
	"failures than that (the rest committed), 4 committed but not published,\n"
	"2 nothing could be done.\n";

int cmd_scan(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "limit", required_argument, NULL, 'L' },
		{ "shard", required_argument, NULL, 's' },
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
		{ "full", no_argument, NULL, 'f' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "adopt-settings", no_argument, NULL, CLI_OPT_ADOPT_SETTINGS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "threads", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		CLI_PUSH_OPTIONS,
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
	struct scan_ui ui;
	struct cli_push push = CLI_PUSH_INIT;
	unsigned lock_timeout = 300;
	unsigned long max_failed;
	int max_failed_pct, c, adopt = 0, rc = EXIT_ERROR;

	memset(&ui, 0, sizeof(ui));
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
		case 's':
			if (ed_shard_parse(optarg, &so.shard_k, &so.shard_n) < 0)
				return cli_usage_error(
					"scan",
					"--shard takes K/N with 1 <= K <= N <= 65536");
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
		case 'f':
			so.full = 1;
			break;
		case 'q':
			ui.quiet = 1;
			break;
		case CLI_OPT_ADOPT_SETTINGS:
			adopt = 1;
			break;
		case 'v':
			ui.verbose = 1;
			break;
		case 'T':
			if (collect_parse_seconds(optarg, &so.threads) < 0 ||
			    !so.threads || so.threads > 64)
				return cli_usage_error("scan",
						       "--threads takes 1-64");
			break;
		case 'j':
			if (collect_parse_seconds(optarg, &so.jobs) < 0 ||
			    !so.jobs || so.jobs > 10000)
				return cli_usage_error("scan", "-j takes 1-10000");
			break;
		case 'C':
			if (collect_parse_seconds(optarg,
						  &so.connect_timeout_s) < 0 ||
			    !so.connect_timeout_s)
				return cli_usage_error(
					"scan",
					"--connect-timeout takes seconds (1-86400)");
			break;
		case 'D':
			if (collect_parse_seconds(optarg, &so.deadline_s) < 0 ||
			    !so.deadline_s)
				return cli_usage_error(
					"scan",
					"--deadline takes seconds (1-86400)");
			break;
		case 'l':
			if (collect_parse_seconds(optarg, &lock_timeout) < 0)
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
			c = cli_push_option(&push, c, optarg, "scan");
			if (c > 0)
				break;
			return c < 0 ? EXIT_ERROR :
				       cli_usage_error("scan", "bad option");
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
	    cli_open_keyed_store(&st, &key, repo_opt, key_opt, cfg, adopt,
				 &err) < 0)
		goto out;
	ui.tty = isatty(STDERR_FILENO);
	if (fleet_scan(&res, plan, st, key, scan_progress(&ui), &err) < 0)
		goto out;
	scan_print_summary(&ui, &res);
	rc = res.too_many_failed ? EXIT_FAILED_HOSTS : EXIT_OK;
	store_unlock(st); /* git never runs under the writer lock */
	push.quiet = ui.quiet;
	rc = cli_exit_combine(rc, cli_publish(st, &push, config));
	if (rc == EXIT_ERROR)
		goto done;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
done:
	fleet_result_release(&res);
	fleet_plan_free(plan);
	store_free(st);
	ed_hmac_free(key);
	collect_config_free(cfg);
	return rc;
}
