/*
 * Running the git client under a deadline. The child gets its own process
 * group so that killing it at the deadline also kills what it started
 * (ssh, git-receive-pack and its hooks for a local remote). Everything the
 * child needs (path of git, environment, argv) is built before fork, as
 * the parent may have threads and only async-signal-safe calls are allowed
 * between fork and exec.
 */
#include "core/gitproc.h"

#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/strvec.h"

extern char **environ;

#define DEFAULT_TIMEOUT_MS 120000u
#define DEFAULT_MAX_OUTPUT (1u << 20)
#define KILL_GRACE_MS 2000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first executable "git" on $PATH (or /usr/bin/git) into out. */
static int find_git(struct ed_buf *out, struct ed_err *err)
{
	const char *path = getenv("PATH");
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";

	while (*p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		ed_buf_reset(out);
		ed_buf_add(out, len ? p : ".", len ? len : 1);
		ed_buf_adds(out, "/git");
		if (access(out->ptr, X_OK) == 0)
			return 0;
		p += len;
		if (*p == ':')
			p++;
	}
	return ed_err_set(err, ED_ERROR, "git: not found on PATH");
}

/* 1 if the user configured an ssh command git would use. */
static int user_ssh_command(const char *git_dir)
{
	git_config *cfg = NULL;
	git_buf val = GIT_BUF_INIT;
	struct ed_buf local = ED_BUF_INIT;
	int found = 0;

	if (getenv("GIT_SSH_COMMAND") || getenv("GIT_SSH"))
		return 1;
	if (git_config_open_default(&cfg) < 0)
		return 0;
	if (git_dir) {
		ed_buf_addf(&local, "%s/config", git_dir);
		/* a missing file is no error for libgit2 here */
		(void)git_config_add_file_ondisk(cfg, local.ptr,
						 GIT_CONFIG_LEVEL_LOCAL, NULL, 0);
	}
	if (git_config_get_string_buf(&val, cfg, "core.sshCommand") == 0 &&
	    val.size > 0)
		found = 1;
	git_buf_dispose(&val);
	git_config_free(cfg);
	ed_buf_release(&local);
	return found;
}

static int env_overridden(const char *entry, int drop_ssh)
{
	static const char *const ours[] = { "LC_ALL=", "GIT_TERMINAL_PROMPT=", NULL };
	size_t i;

	for (i = 0; ours[i]; i++)
		if (!strncmp(entry, ours[i], strlen(ours[i])))
			return 1;
	return drop_ssh && !strncmp(entry, "GIT_SSH_COMMAND=", 16);
}

static void build_env(struct ed_strvec *env, const char *git_dir)
{
	int set_ssh = !user_ssh_command(git_dir);
	char **e;

	for (e = environ; e && *e; e++)
		if (!env_overridden(*e, set_ssh))
			ed_strvec_push(env, *e);
	ed_strvec_push(env, "LC_ALL=C");
	ed_strvec_push(env, "GIT_TERMINAL_PROMPT=0");
	if (set_ssh)
		ed_strvec_push(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes");
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Read what is there from *fd into b (up to cap kept); EOF closes it. */
static void drain(int *fd, struct ed_buf *b, size_t cap)
{
	char chunk[8192];
	ssize_t n = read(*fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	if (b->len < cap)
		ed_buf_add(b, chunk,
			   (size_t)n < cap - b->len ? (size_t)n : cap - b->len);
}

/*
 * Collect output until both pipes close and the child is reaped, killing
 * the group at the deadline (and giving up on pipes held open by an
 * escaped grandchild after the grace period).
 */
static void supervise(struct ed_gitproc *res, pid_t pid, int fds[2],
		      long long deadline, size_t cap)
{
	long long kill_at = 0, reaped_at = 0;
	int reaped = 0, wstatus = 0;

	while (fds[0] >= 0 || fds[1] >= 0 || !reaped) {
		struct pollfd p[2];
		nfds_t n = 0;
		long long now = now_ms(), wait_ms;
		int i;

		if (!reaped && waitpid(pid, &wstatus, WNOHANG) == pid) {
			reaped = 1;
			reaped_at = now;
		}
		if (reaped && now >= reaped_at + KILL_GRACE_MS / 2) {
			/* git is gone; what still holds its pipes (a hook
			 * or ssh left behind) is killed, not waited for */
			kill(-pid, SIGKILL);
			break;
		}
		if (now >= deadline && !kill_at) {
			res->timed_out = 1;
			kill(-pid, SIGTERM);
			kill_at = now + KILL_GRACE_MS;
		} else if (kill_at && now >= kill_at) {
			kill(-pid, SIGKILL);
			if (reaped || now >= kill_at + KILL_GRACE_MS)
				break;
		}
		wait_ms = (kill_at ? kill_at : deadline) - now;
		if (wait_ms > 50 || wait_ms < 0)
			wait_ms = 50; /* to reap the child without SIGCHLD */
		for (i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				p[n].fd = fds[i];
				p[n].events = POLLIN;
				p[n].revents = 0;
				n++;
			}
		if (n == 0) {
			if (!reaped)
				(void)poll(NULL, 0, (int)wait_ms);
			continue;
		}
		if (poll(p, n, (int)wait_ms) <= 0)
			continue;
		for (i = 0; i < (int)n; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == fds[0])
				drain(&fds[0], &res->out, cap);
			else
				drain(&fds[1], &res->errout, cap);
		}
	}
	close_fd(&fds[0]);
	close_fd(&fds[1]);
	if (!reaped) {
		kill(-pid, SIGKILL);
		(void)waitpid(pid, &wstatus, 0);
	}
	if (WIFEXITED(wstatus))
		res->status = WEXITSTATUS(wstatus);
	else
		res->status = -1;
}

static void child(const char *git, char *const *argv, char *const *envp,
		  int out_fd, int err_fd)
{
	int null_fd = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		_exit(127);
	execve(git, argv, envp);
	_exit(127);
}

int ed_gitproc_run(struct ed_gitproc *res, const struct ed_gitproc_opts *opts,
		   const char *const *args, struct ed_err *err)
{
	struct ed_buf git = ED_BUF_INIT;
	struct ed_strvec argv = ED_STRVEC_INIT, env = ED_STRVEC_INIT;
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 }, fds[2];
	unsigned timeout =
		opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	long long deadline = now_ms() + timeout;
	pid_t pid;
	size_t i;
	int rc;

	memset(res, 0, sizeof(*res));
	ed_buf_init(&res->out);
	ed_buf_init(&res->errout);
	rc = find_git(&git, err);
	if (rc < 0)
		goto out;
	ed_strvec_push(&argv, "git");
	if (opts->git_dir)
		ed_strvec_pushf(&argv, "--git-dir=%s", opts->git_dir);
	for (i = 0; args[i]; i++)
		ed_strvec_push(&argv, args[i]);
	ed_strvec_take(&argv, NULL); /* execve's terminator */
	argv.nr--;
	build_env(&env, opts->git_dir);
	ed_strvec_take(&env, NULL);
	env.nr--;
	if (pipe(out_pipe) < 0 || pipe(err_pipe) < 0) {
		rc = ed_err_errno(err, ED_ERROR, errno, "git: pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = ed_err_errno(err, ED_ERROR, errno, "git: fork");
		goto out;
	}
	if (pid == 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		child(git.ptr, argv.v, env.v, out_pipe[1], err_pipe[1]);
	}
	setpgid(pid, pid); /* also here: no race with an early kill */
	close_fd(&out_pipe[1]);
	close_fd(&err_pipe[1]);
	fds[0] = out_pipe[0];
	fds[1] = err_pipe[0];
	out_pipe[0] = err_pipe[0] = -1;
	supervise(res, pid, fds, deadline,
		  opts->max_output ? opts->max_output : DEFAULT_MAX_OUTPUT);
	if (res->status == 127 && !res->timed_out && res->errout.len == 0) {
		rc = ed_err_set(err, ED_ERROR, "git: cannot run '%s'", git.ptr);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		close_fd(&out_pipe[i]);
		close_fd(&err_pipe[i]);
	}
	ed_strvec_release(&argv);
	ed_strvec_release(&env);
	ed_buf_release(&git);
	return rc;
}

void ed_gitproc_release(struct ed_gitproc *res)
{
	if (!res)
		return;
	ed_buf_release(&res->out);
	ed_buf_release(&res->errout);
}

/* The next line of [*p, end) into line/len; 0 at the end. */
static int next_line(const char **p, const char *end, const char **line,
		     size_t *len)
{
	const char *nl;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	while (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	*p = nl ? nl + 1 : end;
	return 1;
}

void ed_gitproc_reason(const struct ed_gitproc *res, struct ed_buf *out)
{
	const char *p = res->errout.ptr, *end = p + res->errout.len;
	const char *line, *first = NULL, *fatal = NULL;
	size_t len, first_len = 0, fatal_len = 0;
	struct ed_buf tmp = ED_BUF_INIT;

	if (res->timed_out) {
		ed_buf_adds(out, "timed out");
		return;
	}
	/* the first thing said (ssh's own error comes before git's) and
	 * git's verdict, without hints */
	while (next_line(&p, end, &line, &len)) {
		if (!len || (len >= 5 && !memcmp(line, "hint:", 5)))
			continue;
		if (!first) {
			first = line;
			first_len = len;
		}
		if (!fatal && ((len >= 6 && !memcmp(line, "fatal:", 6)) ||
			       (len >= 6 && !memcmp(line, "error:", 6)))) {
			fatal = line;
			fatal_len = len;
		}
	}
	if (!first) {
		ed_buf_addf(out, "exit status %d", res->status);
		return;
	}
	ed_buf_add(&tmp, first, first_len);
	if (fatal && fatal != first) {
		ed_buf_adds(&tmp, "; ");
		ed_buf_add(&tmp, fatal, fatal_len);
	}
	ed_text_redact(tmp.ptr, out);
	ed_buf_release(&tmp);
}

/* Length of the authority starting at s (up to '/', '?', '#', space). */
static size_t authority_len(const char *s)
{
	return strcspn(s, "/?#\\ \t\r\n'\"`<>");
}

/* Append authority a (len bytes) without the part up to its last '@'. */
static void add_host_part(struct ed_buf *out, const char *a, size_t len)
{
	const char *at = NULL;
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] == '@')
			at = a + i;
	if (at)
		ed_buf_add(out, at + 1, len - (size_t)(at + 1 - a));
	else
		ed_buf_add(out, a, len);
}

void ed_text_redact(const char *text, struct ed_buf *out)
{
	const char *s = text;

	for (;;) {
		const char *sep = strstr(s, "://");
		size_t alen;

		if (!sep) {
			ed_buf_adds(out, s);
			return;
		}
		ed_buf_add(out, s, (size_t)(sep + 3 - s));
		s = sep + 3;
		alen = authority_len(s);
		add_host_part(out, s, alen);
		s += alen;
	}
}

void ed_url_redact(const char *url, struct ed_buf *out)
{
	size_t slash = strcspn(url, "/");
	const char *at;

	if (strstr(url, "://")) {
		ed_text_redact(url, out);
		return;
	}
	/* scp-like "[user[:pw]@]host:path": only a password is secret */
	at = memchr(url, '@', slash);
	if (at && memchr(url, ':', (size_t)(at - url))) {
		const char *last = at;

		while ((at = memchr(last + 1, '@',
				    slash - (size_t)(last + 1 - url))))
			last = at;
		ed_buf_adds(out, last + 1);
		return;
	}
	ed_buf_adds(out, url);
}
