#ifndef ENVDRIFT_CLI_CMD_H
#define ENVDRIFT_CLI_CMD_H
/*
 * Subcommands. To add one: write cli/cmd_NAME.c exporting
 * int cmd_NAME(int argc, char **argv), which parses its options with
 * getopt_long, calls the library, prints, and returns an exit code
 * (EXIT_OK, EXIT_DRIFT, EXIT_ERROR, or for scan EXIT_FAILED_HOSTS, or
 * after --push EXIT_PUSH_FAILED); then
 * add a row to the table in cli/main.c. Library calls never print:
 * commands do.
 */
#include <stddef.h>
#include <stdio.h>

#include "core/err.h"
#include "core/store.h"
#include "differ/differ.h"
#include "reports/report.h"

/*
 * EXIT_FAILED_HOSTS: a scan had more failed hosts than --max-failed.
 * EXIT_PUSH_FAILED: the local commit succeeded but publishing it did not
 * (the next push publishes it). EXIT_ERROR wins over it, and it over
 * EXIT_FAILED_HOSTS.
 */
enum {
	EXIT_OK = 0,
	EXIT_DRIFT = 1,
	EXIT_ERROR = 2,
	EXIT_FAILED_HOSTS = 3,
	EXIT_PUSH_FAILED = 4
};

int cmd_init(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_accept(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_inventory(int argc, char **argv);
int cmd_forget(int argc, char **argv);
int cmd_audit_secrets(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_merge_incoming(int argc, char **argv);

/*
 * Publishing after a commit (cli/publish.c): --push REMOTE,
 * --push-timeout S, --allow-secrets on scan, collect, report --commit and
 * forget; envdrift push uses the same.
 */
enum {
	CLI_OPT_PUSH = 0x100,
	CLI_OPT_PUSH_TIMEOUT,
	CLI_OPT_ALLOW_SECRETS,
	CLI_OPT_ADOPT_SETTINGS, /* --adopt-settings (collect, scan) */
};
#define CLI_PUSH_OPTIONS                                                    \
 { "push", required_argument, NULL, CLI_OPT_PUSH },                         \
	 { "push-timeout", required_argument, NULL, CLI_OPT_PUSH_TIMEOUT }, \
 {                                                                          \
  "allow-secrets", no_argument, NULL, CLI_OPT_ALLOW_SECRETS                 \
 }

struct cli_push {
	const char *remote; /* NULL: no --push */
	unsigned timeout_s;
	int allow_secrets;
	int quiet; /* -q: print only errors and warnings */
};
#define CLI_PUSH_INIT \
 {                    \
  NULL, 120, 0, 0     \
 }

/*
 * Take option c (from CLI_PUSH_OPTIONS) into p: 1 when it was one, 0 when
 * not ours, -1 after printing a usage error for a bad value.
 */
int cli_push_option(struct cli_push *p, int c, const char *arg, const char *cmd);
/*
 * With --push, publish the branch of st (not locked: call store_unlock
 * first) to p->remote, the audit using config's secret settings (NULL:
 * the defaults), printing the outcome. EXIT_OK (also without --push),
 * EXIT_PUSH_FAILED or EXIT_ERROR, its message printed.
 */
int cli_publish(struct store *st, const struct cli_push *p, const char *config);
/*
 * The same for pull mode: CLI_PUBLISH_INCOMING pushes main to the remote's
 * refs/envdrift/incoming/HOST (collect --push), CLI_PUBLISH_MERGE folds
 * those into main and pushes it (merge-incoming).
 */
enum cli_publish_mode {
	CLI_PUBLISH_MAIN,
	CLI_PUBLISH_INCOMING,
	CLI_PUBLISH_MERGE
};
int cli_publish_as(struct store *st, const struct cli_push *p, const char *config,
		   enum cli_publish_mode mode, const char *host);
/* Combine a command's status with cli_publish's: 2 over 4 over 3. */
int cli_exit_combine(int rc, int publish_rc);

/* Report outputs (cli/output.c): --format NAME[:FILE], repeatable. */
struct cli_outputs {
	struct {
		char *format;
		char *path; /* NULL: standard output */
	} v[8];
	size_t nr;
	int all_hosts; /* --hosts all, -v: every host named, none counted */
	/* for prometheus outputs (cli_outputs_fleet); hosts owned */
	struct store_host *hosts;
	size_t nhosts;
	struct report_fleet fleet;
	int have_fleet;
};

/* Add one "NAME[:FILE]"; -1 for an unknown format or too many outputs. */
int cli_output_add(struct cli_outputs *o, const char *spec);
/* --hosts all|deviating; -1 for anything else. */
int cli_output_hosts(struct cli_outputs *o, const char *arg);
void cli_outputs_release(struct cli_outputs *o);
/*
 * When an output is prometheus: read st's hosts (store_hosts) for its
 * fleet metrics, with max_age (check's --max-age, -1: none) and status
 * (check's exit status, -1: not a check). Nothing otherwise.
 */
int cli_outputs_fleet(struct cli_outputs *o, struct store *st,
		      long long max_age, int status, struct ed_err *err);
/*
 * Write the nr reports r to every output (text on stdout when none was
 * given) as one document each (report_write_many). A file is written to a
 * temporary name in its directory (FILE.tmp.PID: never *.prom), flushed
 * to disk and renamed, so a reader never sees half a report.
 */
int cli_outputs_write(const struct cli_outputs *o, const struct drift_report *r,
		      size_t nr, const char *color, struct ed_err *err);

/*
 * Options check and report share (cli/cmd_check.c): --repo, --baseline,
 * --fail-on, --max-age, --toggle-days, --format, --color; --commit for
 * report, operands A B for check. Returns an exit status to return at
 * once (help, usage errors), or -1 to go on; then release g->outs.
 */
struct cli_gate_opts {
	const char *repo, *baseline, *color;
	enum drift_severity fail_on;
	int commit;
	int offline;          /* --offline: a URL's cache as it is */
	const char *key;      /* report --commit --key FILE */
	struct cli_push push; /* report --commit --push REMOTE */
	struct cli_outputs outs;
	struct differ_gate_opts gate; /* gate.baseline: baseline as parsed */
};

int cli_gate_opts_parse(struct cli_gate_opts *g, int argc, char **argv,
			const char *cmd, const char *usage);
/* The gate's notes (a missing parity environment), "CMD: note: ..." on stderr. */
void cli_print_gate_notes(const char *cmd, const struct differ_gate *gate);

/* Shared option helpers (cli/common.c). */
/* --repo, else $ENVDRIFT_REPO, else /var/lib/envdrift/state */
const char *cli_repo_path(const char *opt);
/* --key, else $ENVDRIFT_KEY, else "<repo>.key"; caller frees */
char *cli_key_path(const char *opt, const char *repo);
/*
 * Open the repository (--repo) and its HMAC key (--key), and check the key
 * is the one the repository was made with and cfg's settings are the ones
 * it records (unless adopt: --adopt-settings): what every writer of
 * snapshots needs. A missing key is ED_EKEY. The caller frees *st and
 * *key, also after a failure.
 */
struct ed_hmac;
struct collect_config;
int cli_open_keyed_store(struct store **st, struct ed_hmac **key,
			 const char *repo_opt, const char *key_opt,
			 const struct collect_config *cfg, int adopt,
			 struct ed_err *err);
/*
 * The key check of a writer that stores no snapshot (forget, report
 * --commit): the key (--key) must be the repository's, so that a clone
 * without it cannot write; ED_EKEY if missing or another.
 */
int cli_check_writer_key(struct store *st, const char *repo_opt,
			 const char *key_opt, struct ed_err *err);
/*
 * Open the repository a read command reads: --repo (else $ENVDRIFT_REPO,
 * ...) as a path (cli_open_store), or when it is a URL (core/repocache.h)
 * its cache, fetched first unless offline; max_age >= 0 (seconds) cuts the fetched
 * history at max_age plus a day. The caller frees *st, also on failure.
 */
int cli_open_read_store(struct store **st, const char *repo_opt, int offline,
			long long max_age, struct ed_err *err);
/*
 * Open the repository (--repo) for reading: no key needed, any clone.
 * What store_open noticed (a clone behind its origin) is printed as notes.
 */
int cli_open_store(struct store **st, const char *repo_opt, struct ed_err *err);
/* 1 if name matches [A-Za-z0-9._-]+ and is not "." or ".." */
int cli_valid_name(const char *name);
/*
 * Write s with control bytes (but tab) as \xHH: messages and warnings can
 * hold names and bytes from hosts and input files, which must not move the
 * cursor, forge lines or retitle a terminal.
 */
void cli_put_safe(FILE *f, const char *s);
/*
 * collect's commit message (cli/collect_msg.c): subject "collect ENV/HOST:
 * N packages, ..." and its trailers, the collection timed from t0 to t1;
 * and the warnings and notes it prints (the first 50 warnings only when
 * quiet).
 */
struct ed_buf;
struct snapshot;
struct ed_strvec;
struct timespec;
void cli_collect_message(struct ed_buf *subject, struct ed_strvec *trailers,
			 const char *env, const char *host, const char *root,
			 const struct snapshot *snap, const struct timespec *t0,
			 const struct timespec *t1);
void cli_collect_notes(const struct snapshot *snap,
		       const struct store_result *res, int quiet);
/* s as a quoted JSON string: quote, backslash and control bytes escaped. */
void cli_put_json(FILE *f, const char *s);
/* Print "envdrift: msg" to stderr (cli_put_safe) and return EXIT_ERROR. */
int cli_fail(const struct ed_err *err);
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Stale hosts by shard (cli/stale.c). */
/* "26h", "90m", "2d", "3600s", "3600" -> seconds; -1 if malformed */
long long cli_parse_duration(const char *s);
/*
 * For each shard whose hosts were not collected within max_age seconds
 * (ed_shard_stale_group), one line "PREFIXshard K/N has not reported since
 * TIME: COUNT hosts (a few names, ...)". Returns the number of lines.
 */
size_t cli_print_stale_shards(FILE *f, const char *prefix,
			      const struct store_host *h, size_t n,
			      long long max_age);
/*
 * The same as a JSON member ', "stale_shards": [{"shard", "since",
 * "hosts": [every name]}]'; nothing at all when no shard is stale.
 */
void cli_json_stale_shards(FILE *f, const struct store_host *h, size_t n,
			   long long max_age);

#endif
