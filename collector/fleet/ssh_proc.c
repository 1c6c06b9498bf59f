/*
 * Child processes for the OpenSSH transport and for ssh -G: spawned in a
 * process group of their own (a deadline kills a ProxyCommand too), with
 * close-on-exec pipes made non-blocking on our side, as several polling
 * threads spawn at once and no child may hold another's pipe open (its
 * ssh would never see EOF). Everything the child needs is built before
 * fork: only async-signal-safe calls run between fork and exec.
 */
#define _GNU_SOURCE /* pipe2 (O_CLOEXEC) and close_range */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

char *ssh_proc_which(const char *name)
{
	const char *path = getenv("PATH");
	const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	struct ed_buf b = ED_BUF_INIT;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? ed_xstrdup(name) : NULL;
	while (*p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		ed_buf_reset(&b);
		ed_buf_add(&b, len ? p : ".", len ? len : 1);
		ed_buf_addf(&b, "/%s", name);
		if (access(b.ptr, X_OK) == 0)
			return ed_buf_detach(&b, NULL);
		p += len;
		if (*p == ':')
			p++;
	}
	ed_buf_release(&b);
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: the three pipes on 0, 1, 2, nothing else open, then exec. */
static void child(const char *path, char *const *argv, int in, int out, int err)
{
	sigset_t none;
	int fd;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(127);
	/* libssh2 sockets of other hosts are not close-on-exec */
	if (close_range(3, ~0U, 0) < 0)
		for (fd = 3; fd < 1024; fd++)
			close(fd);
	execv(path, argv);
	_exit(127);
}

int ssh_proc_spawn(struct proc *p, const char *path, char *const *argv,
		   int want_input)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int saved;
	pid_t pid;

	memset(p, 0, sizeof(*p));
	p->in = p->out = p->err = -1;
	if (want_input ? pipe2(in, O_CLOEXEC) < 0 :
			 (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		goto fail;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		child(path, argv, in[0], out[1], err[1]);
	setpgid(pid, pid); /* also here: no race with an early kill */
	p->pid = pid;
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	p->in = in[1];
	p->out = out[0];
	p->err = err[0];
	if (p->in >= 0)
		(void)fcntl(p->in, F_SETFL, O_NONBLOCK);
	(void)fcntl(p->out, F_SETFL, O_NONBLOCK);
	(void)fcntl(p->err, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	saved = errno;
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	errno = saved;
	return -1;
}

ssize_t ssh_proc_write(struct proc *p, const char *buf, size_t len)
{
	static const struct timespec now = { 0, 0 };
	ssize_t n = write(p->in, buf, len);
	sigset_t pipe_set;

	if (n >= 0)
		return n;
	if (errno == EPIPE) {
		/* blocked in ssh_run's thread: take it, or it lands later */
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		(void)sigtimedwait(&pipe_set, NULL, &now);
		errno = EPIPE;
	}
	return errno == EAGAIN || errno == EINTR ? 0 : -1;
}

void ssh_proc_close_input(struct proc *p)
{
	close_fd(&p->in);
}

ssize_t ssh_proc_read(int *fd, char *buf, size_t len)
{
	ssize_t n = read(*fd, buf, len);
	int saved;

	if (n > 0)
		return n;
	if (n == 0) {
		close_fd(fd);
		return -2;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	saved = errno;
	close_fd(fd); /* nothing more will come: poll must not spin on it */
	errno = saved;
	return -1;
}

int ssh_proc_reap(struct proc *p, int *status)
{
	pid_t got;

	if (!p->pid)
		return 1;
	got = waitpid(p->pid, status, WNOHANG);
	if (got == 0)
		return 0;
	if (got < 0)
		*status = -1;
	p->pid = 0;
	return 1;
}

void ssh_proc_kill(struct proc *p)
{
	int status;

	if (p->pid) {
		kill(-p->pid, SIGKILL);
		(void)waitpid(p->pid, &status, 0);
		p->pid = 0;
	}
	close_fd(&p->in);
	close_fd(&p->out);
	close_fd(&p->err);
}
