/*
 * Running a helper program (rpm, systemctl) the way a collector must: no
 * shell, stdin from /dev/null, stdout captured up to a cap, the first line
 * of stderr kept for the message, and a deadline after which the child is
 * killed, so a hung tool can never hang a scan. posix_spawn, not fork, so
 * it is safe while other threads run.
 */
#define _GNU_SOURCE /* pipe2: close-on-exec from the start, as threads spawn too */
#include "collector/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STDERR_KEEP 200

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Read both pipes until EOF, the cap or the deadline. */
static int drain(struct ed_buf *out, struct ed_buf *errline, int *outfd,
		 int *errfd, const char *name, size_t max_out,
		 long long deadline, int timeout_ms, struct ed_err *err)
{
	while (*outfd >= 0 || *errfd >= 0) {
		struct pollfd pfd[2];
		nfds_t nfds = 0, i;
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return ed_err_set(err, ED_EIO,
					  "%s: no answer within %d ms; killed",
					  name, timeout_ms);
		if (*outfd >= 0)
			pfd[nfds++] = (struct pollfd){ *outfd, POLLIN, 0 };
		if (*errfd >= 0)
			pfd[nfds++] = (struct pollfd){ *errfd, POLLIN, 0 };
		n = poll(pfd, nfds, left > 1000000 ? 1000000 : (int)left);
		if (n < 0 && errno != EINTR)
			return ed_err_errno(err, ED_EIO, errno, "%s: poll", name);
		for (i = 0; n > 0 && i < nfds; i++) {
			char small[512];
			ssize_t got;

			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == *outfd) {
				ed_buf_grow(out, 65536);
				got = read(*outfd, out->ptr + out->len, 65536);
			} else {
				got = read(*errfd, small, sizeof(small));
			}
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return ed_err_errno(err, ED_EIO, errno,
						    "%s: reading output", name);
			if (pfd[i].fd == *outfd) {
				if (!got) {
					close_fd(outfd);
					continue;
				}
				ed_buf_setlen(out, out->len + (size_t)got);
				if (out->len > max_out)
					return ed_err_set(err, ED_EIO,
							  "%s: output larger than %zu bytes",
							  name, max_out);
			} else if (!got) {
				close_fd(errfd);
			} else if (errline->len < STDERR_KEEP) {
				size_t keep = (size_t)got;

				if (keep > STDERR_KEEP - errline->len)
					keep = STDERR_KEEP - errline->len;
				ed_buf_add(errline, small, keep);
			}
		}
	}
	return 0;
}

/* Keep the first line, control characters blanked, for a one-line message. */
static void first_line(struct ed_buf *b)
{
	char *nl = memchr(b->ptr, '\n', b->len);
	size_t i;

	if (nl)
		ed_buf_setlen(b, (size_t)(nl - b->ptr));
	for (i = 0; i < b->len; i++)
		if ((unsigned char)b->ptr[i] < 0x20)
			b->ptr[i] = ' ';
}

int collect_run(struct ed_buf *out, struct ed_buf *errline, int *status,
		char *const argv[], char *const envp[], size_t max_out,
		int timeout_ms, struct ed_err *err)
{
	posix_spawn_file_actions_t fa;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	long long deadline = now_ms() + timeout_ms;
	pid_t pid = -1;
	int rc = 0, e;

	*status = -1;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s: pipe", argv[0]);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
					 O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	e = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	if (e) {
		pid = -1;
		rc = ed_err_errno(err, ED_EIO, e, "%s: cannot run", argv[0]);
		goto out;
	}
	rc = drain(out, errline, &outp[0], &errp[0], argv[0], max_out, deadline,
		   timeout_ms, err);
	if (rc < 0)
		kill(pid, SIGKILL);
out:
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	while (pid > 0 && waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			if (!rc)
				rc = ed_err_errno(err, ED_EIO, errno,
						  "%s: waitpid", argv[0]);
			break;
		}
	}
	first_line(errline);
	return rc;
}
