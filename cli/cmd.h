#ifndef ENVDRIFT_CLI_CMD_H
#define ENVDRIFT_CLI_CMD_H
/*
 * Subcommands. To add one: write cli/cmd_NAME.c exporting
 * int cmd_NAME(int argc, char **argv), which parses its options with
 * getopt_long, calls the library, prints, and returns an exit code
 * (EXIT_OK, EXIT_DRIFT, EXIT_ERROR); then add a row to the table in
 * cli/main.c. Library calls never print: commands do.
 */
#include "core/err.h"

enum { EXIT_OK = 0, EXIT_DRIFT = 1, EXIT_ERROR = 2 };

int cmd_init(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Shared option helpers (cli/common.c). */
/* --repo, else $ENVDRIFT_REPO, else /var/lib/envdrift/state */
const char *cli_repo_path(const char *opt);
/* --key, else $ENVDRIFT_KEY, else "<repo>.key"; caller frees */
char *cli_key_path(const char *opt, const char *repo);
/* 1 if name matches [A-Za-z0-9._-]+ and is not "." or ".." */
int cli_valid_name(const char *name);
/* Print "envdrift: msg" to stderr and return EXIT_ERROR. */
int cli_fail(const struct ed_err *err);
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
