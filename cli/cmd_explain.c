/*
 * envdrift explain collector:key: which rules decide a fact (ignore,
 * severity, pins, waivers) and from which file:line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/strvec.h"

static const char usage_text[] =
	"usage: envdrift explain [--baseline FILE] [--repo DIR|URL [--offline] --host HOST]\n"
	"                        COLLECTOR:KEY\n"
	"\n"
	"Say which rules of the built-in defaults and the baseline decide the fact\n"
	"COLLECTOR:KEY (e.g. sysctl:kernel.threads-max, packages:openssl:amd64,\n"
	"files:/etc/ssh/sshd_config), each with the file:line it comes from.\n"
	"With --host, also HOST's identity as its stored files give it and what\n"
	"comparing it with other hosts replaces in that fact.\n"
	"Exit status: 0 explained, 2 error (an unknown collector or host).\n";

/* 1 if name is a collector; else 0 after one line naming the known ones */
static int known_collector(const char *name)
{
	const char *const *known = differ_collectors();
	size_t i;

	for (i = 0; known[i]; i++)
		if (!strcmp(known[i], name))
			return 1;
	fputs("envdrift explain: unknown collector '", stderr);
	cli_put_safe(stderr, name);
	fputs("'; known:", stderr);
	for (i = 0; known[i]; i++)
		fprintf(stderr, "%s %s", i ? "," : "", known[i]);
	fputc('\n', stderr);
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "repo", required_argument, NULL, 'r' },
		{ "offline", no_argument, NULL, 'O' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct baseline *rules = NULL;
	const char *baseline = NULL, *repo = NULL, *host = NULL;
	int offline = 0;
	struct store *st = NULL;
	char today[11], *fact, *colon;
	size_t i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			baseline = optarg;
			break;
		case 'r':
			repo = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'O':
			offline = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("explain", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("explain", "want one COLLECTOR:KEY");
	fact = argv[optind];
	colon = strchr(fact, ':');
	if (!colon || colon == fact || !colon[1])
		return cli_usage_error("explain", "'%s' is not COLLECTOR:KEY",
				       fact);
	*colon = '\0';
	if (!known_collector(fact))
		return EXIT_ERROR;
	if (baseline_load(&rules, baseline, &err) < 0)
		return cli_fail(&err);
	differ_today(today);
	differ_rules_explain(rules, fact, colon + 1, today, &lines);
	if (host && (cli_open_read_store(&st, repo, offline, -1, &err) < 0 ||
		     differ_explain_identity(&lines, st, host, fact, colon + 1,
					     &err) < 0)) {
		store_free(st);
		ed_strvec_release(&lines);
		baseline_free(rules);
		return cli_fail(&err);
	}
	store_free(st);
	*colon = ':';
	printf("%s\n", fact);
	for (i = 0; i < lines.nr; i++)
		printf("  %s\n", lines.v[i]);
	ed_strvec_release(&lines);
	baseline_free(rules);
	return EXIT_OK;
}
