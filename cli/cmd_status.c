/*
 * envdrift status: the hosts in the state repository and when each was
 * last collected successfully (from commit trailers, never the tree).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "core/store.h"

static const char usage_text[] =
	"usage: envdrift status [--repo DIR|URL [--offline]] [--format text|json]\n"
	"                       [--max-age DURATION]\n"
	"\n"
	"List every host with its environment, last successful collection (UTC),\n"
	"the commit that recorded it, and a scan failure since then (state and why;\n"
	"the host keeps its previous snapshot and is stale). With --max-age (26h,\n"
	"90m, 2d), name each scanner (scan --shard K/N) whose hosts were not\n"
	"collected within it. A URL as --repo reads a cached copy, fetched first\n"
	"(--offline: as it is); see README 'Remote repositories'.\n"
	"Exit status: 0 listed (stale and failed hosts too: check --max-age fails\n"
	"on them), 2 error.\n";

static void iso_time(char *out, size_t n, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, n, "never");
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "offline", no_argument, NULL, 'O' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *format = "text";
	struct store *st = NULL;
	struct store_host *h = NULL;
	size_t n = 0, i;
	long long max_age = -1;
	int offline = 0;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'm':
			max_age = cli_parse_duration(optarg);
			if (max_age < 0)
				return cli_usage_error(
					"status",
					"--max-age takes a duration such as 26h, 90m, 2d");
			break;
		case 'O':
			offline = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("status", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("status", "unexpected argument '%s'",
				       argv[optind]);
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error("status", "--format takes text or json");
	if (cli_open_read_store(&st, repo_opt, offline, max_age, &err) < 0 ||
	    store_hosts(st, &h, &n, &err) < 0) {
		store_free(st);
		return cli_fail(&err);
	}
	if (!strcmp(format, "json"))
		printf("{\"schema\": 1, \"hosts\": [");
	else if (n)
		printf("%-12s %-24s %-21s %s\n", "ENV", "HOST", "LAST SUCCESS",
		       "COMMIT");
	for (i = 0; i < n; i++) {
		char when[48], failed[32];

		iso_time(when, sizeof(when), h[i].last_success);
		iso_time(failed, sizeof(failed), h[i].last_failure);
		if (h[i].not_seen_since) {
			/* a shallow clone: collected before its history */
			memcpy(when, "not seen since ", 15);
			iso_time(when + 15, sizeof(when) - 15,
				 h[i].not_seen_since);
		}
		/* names are restricted to [A-Za-z0-9._-]: no JSON escaping needed */
		if (!strcmp(format, "json")) {
			printf("%s\n  {\"env\": \"%s\", \"host\": \"%s\", \"last_success\": \"%s\", \"commit\": \"%s\", \"state\": \"%s\"",
			       i ? "," : "", h[i].env, h[i].host, when,
			       h[i].last_commit,
			       !h[i].failure       ? "collected" :
			       h[i].last_commit[0] ? "stale" :
						     "never collected");
			if (h[i].shard) {
				printf(", \"shard\": ");
				cli_put_json(stdout, h[i].shard);
			}
			if (h[i].failure) {
				printf(", \"last_failure\": \"%s\", \"failure\": ",
				       failed);
				cli_put_json(stdout, h[i].failure);
			}
			printf("}");
		} else {
			printf("%-12s %-24s %-21s %.12s", h[i].env, h[i].host,
			       when, h[i].last_commit);
			if (h[i].failure) {
				printf("  %s: failed %s: ",
				       h[i].last_commit[0] ? "STALE" :
							     "NEVER COLLECTED",
				       failed);
				cli_put_safe(stdout, h[i].failure);
			}
			printf("\n");
		}
	}
	if (!strcmp(format, "json")) {
		printf("%s]", n ? "\n" : "");
		if (max_age >= 0)
			cli_json_stale_shards(stdout, h, n, max_age);
		printf("}\n");
	} else if (!n) {
		printf("no hosts collected yet\n");
	} else if (max_age >= 0) {
		cli_print_stale_shards(stdout, "", h, n, max_age);
	}
	store_hosts_free(h, n);
	store_free(st);
	return EXIT_OK;
}
