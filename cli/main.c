/*
 * envdrift's entry point: global options, the command table, dispatch.
 * Exit codes: 0 no drift / success, 1 drift, 2 error, 3 a scan with more
 * failed hosts than --max-failed, 4 committed but not published.
 */
#include <git2.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"
#include "core/alloc.h"
#include "core/words.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create a state repository and its HMAC key" },
	{ "collect", cmd_collect,
	  "snapshot this machine or a mounted root into one commit" },
	{ "scan", cmd_scan,
	  "snapshot every host of an Ansible inventory over SSH into one commit" },
	{ "inventory", cmd_inventory,
	  "show each inventory host as scan would reach it, and why" },
	{ "forget", cmd_forget,
	  "remove hosts that left the fleet from the state repository" },
	{ "status", cmd_status, "list hosts and when each was last collected" },
	{ "diff", cmd_diff,
	  "compare environments or hosts, now or at a date (exit 1 on drift)" },
	{ "check", cmd_check,
	  "pre-deploy gate: parity, pins and freshness from a baseline" },
	{ "report", cmd_report,
	  "write the drift report, or commit it to main:reports/" },
	{ "explain", cmd_explain,
	  "say which baseline rules decide a fact, and where" },
	{ "accept", cmd_accept,
	  "accept a known drift until a date (appends a waiver)" },
	{ "audit-secrets", cmd_audit_secrets,
	  "list secrets in plain text in any object of a repository" },
	{ "push", cmd_push,
	  "publish the state repository to a git remote (audited, rebuilt on a race)" },
	{ "fetch", cmd_fetch, "bring the state repository up to a git remote" },
	{ "merge-incoming", cmd_merge_incoming,
	  "pull mode: fold hosts' pushed snapshots into main and push it" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: envdrift [--version] [--help] COMMAND [OPTIONS]\n\n"
		     "Commands:\n");
	for (i = 0; i < ED_ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out,
		"\nRun 'envdrift help COMMAND' (or 'envdrift COMMAND --help') for a\n"
		"command's options and exit statuses.\n"
		"Exit status: 0 success (no drift), 1 drift, 2 error, 3 a scan\n"
		"with more failed hosts than --max-failed, 4 committed but not\n"
		"published (--push).\n");
}

/*
 * The commands nearest to a mistyped name, as git's help.c picks them: a
 * command that starts with the typed name is nearest, then the smallest
 * edit distance, all those tied; none when the best is 6 or more (one
 * wrong letter weighs 2) or nothing was typed.
 */
static void unknown_command(const char *typed)
{
	unsigned score[ED_ARRAY_SIZE(commands)], best = ED_WORDS_FAR;
	size_t i, shown = 0, nr = 0;

	for (i = 0; i < ED_ARRAY_SIZE(commands); i++) {
		const char *name = commands[i].name;

		score[i] = !*typed ? ED_WORDS_FAR :
			   !strncmp(name, typed, strlen(typed)) ?
				     0 :
				     ed_edit_distance(typed, name) + 1;
		if (score[i] < best)
			best = score[i];
	}
	for (i = 0; i < ED_ARRAY_SIZE(commands); i++)
		nr += score[i] == best;
	fputs("envdrift: '", stderr);
	cli_put_safe(stderr, typed);
	if (best >= 7) {
		fputs("' is not a command; see 'envdrift --help'\n", stderr);
		return;
	}
	fputs("' is not a command; did you mean ", stderr);
	for (i = 0; i < ED_ARRAY_SIZE(commands); i++) {
		if (score[i] != best)
			continue;
		shown++;
		fprintf(stderr, "%s'%s'",
			shown == 1  ? "" :
			shown == nr ? " or " :
				      ", ",
			commands[i].name);
	}
	fputs("?\n", stderr);
}

int main(int argc, char **argv)
{
	/* "help CMD" runs "CMD --help", so the two print the same bytes */
	static char help_opt[] = "--help";
	char *help_argv[4] = { NULL, NULL, help_opt, NULL };
	size_t i;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "help") && argc > 2 && argv[2][0] != '-') {
		help_argv[0] = argv[0];
		help_argv[1] = argv[2];
		argv = help_argv;
		argc = 3;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("envdrift %s\n", ENVDRIFT_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < ED_ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		git_libgit2_init();
		/* pack, index and refs are fsynced: a committed scan survives power loss */
		git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
		/*
		 * libgit2 re-hashes every object it reads; git does not. zlib's
		 * checksum still catches a damaged object and `git fsck` checks
		 * ids, while the differ reads tens of thousands of trees.
		 */
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
		/*
		 * Only trees under 4 KiB are cached by default, and an
		 * environment's tree of a thousand hosts is ~60 KiB: without
		 * this every host lookup inflates it again.
		 */
		git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT,
				 GIT_OBJECT_TREE, (size_t)1 << 20);
		rc = commands[i].fn(argc - 1, argv + 1);
		git_libgit2_shutdown();
		return rc;
	}
	unknown_command(argv[1]);
	return EXIT_ERROR;
}
