#ifndef ENVDRIFT_CORE_GITPROC_H
#define ENVDRIFT_CORE_GITPROC_H
/*
 * The stock git client as a subprocess, for network operations only
 * (clone, fetch, push): it honours ssh_config, agents, certificates,
 * credential helpers and proxies, and unlike libgit2 1.5 it can be given a
 * deadline. Everything local stays in libgit2. git runs without a shell,
 * in its own process group, stdin from /dev/null, never prompting.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct ed_gitproc_opts {
	const char *git_dir; /* passed as --git-dir=; NULL: none */
	unsigned timeout_ms; /* deadline for the whole run; 0: 120 s */
	size_t max_output;   /* kept per stream, the rest read and dropped;
				 0: 1 MiB */
};

struct ed_gitproc {
	int status;        /* exit status 0-255; -1 when killed by a signal */
	int timed_out;     /* the deadline passed and the group was killed */
	struct ed_buf out; /* standard output (bounded) */
	struct ed_buf errout; /* standard error (bounded) */
};

/*
 * Run "git [--git-dir=DIR] args..." (args NULL-terminated) and wait for
 * it, at most opts->timeout_ms: then SIGTERM to its process group, SIGKILL
 * two seconds later. The environment adds LC_ALL=C, GIT_TERMINAL_PROMPT=0
 * and, unless the user chose an ssh command (GIT_SSH_COMMAND, GIT_SSH or
 * core.sshCommand), GIT_SSH_COMMAND="ssh -o BatchMode=yes". res (zeroed
 * first, released by the caller with ed_gitproc_release, also on failure)
 * receives status and output; a nonzero exit or a timeout is not an error
 * here. ED_ERROR when git cannot be found or started.
 */
int ed_gitproc_run(struct ed_gitproc *res, const struct ed_gitproc_opts *opts,
		   const char *const *args, struct ed_err *err);
void ed_gitproc_release(struct ed_gitproc *res);

/*
 * Why git failed, in one line for a message, appended to out: the first
 * line of res's standard error (ssh speaks before git) and git's first
 * "fatal:"/"error:" line, hints skipped, userinfo redacted; "timed out",
 * or "exit status N" when it said nothing.
 */
void ed_gitproc_reason(const struct ed_gitproc *res, struct ed_buf *out);

/*
 * Append url to out without its userinfo: "https://user:pw@host/x" ->
 * "https://host/x", "user:pw@host:path" -> "host:path"; an scp-like
 * "user@host:path" has no password and is kept as it is.
 */
void ed_url_redact(const char *url, struct ed_buf *out);
/*
 * Append text to out with the userinfo of every "scheme://" URL in it
 * removed: for git's messages, which may repeat a URL.
 */
void ed_text_redact(const char *text, struct ed_buf *out);

#endif
