/*
 * rpm package list. The rpm database formats (BerkeleyDB, NDB, SQLite) are
 * rpm's business, so we run the rpm tool itself (fork and exec, never a
 * shell) with a fixed tab-separated --qf and parse its output.
 */
#include "collector/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

#define RPM_QF "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n"
/* About 200 bytes a package: room for 300,000 packages. */
#define RPM_OUTPUT_MAX ((size_t)64 << 20)
/* Enough of rpm's stderr for a one-line diagnostic. */
#define RPM_STDERR_KEEP 200

/* On failure a parser leaves lines as it found them. */
static void truncate_lines(struct ed_strvec *lines, size_t nr)
{
	while (lines->nr > nr)
		free(lines->v[--lines->nr]);
}

static int all_digits(const char *p, size_t len)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

int rpm_parse_query(struct ed_strvec *lines, const char *buf, size_t len,
		    const char *name, struct ed_err *err)
{
	struct ed_buf tmp = ED_BUF_INIT;
	const char *p = buf, *end = buf + len;
	const char *nul = memchr(buf, '\0', len);
	size_t lineno = 0, nr0 = lines->nr;
	int rc = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		const char *f[5], *q;
		size_t flen[5], n = 0, i;

		if (!eol)
			eol = end;
		lineno++;
		if (nul && nul < next) {
			rc = ed_err_set(err, ED_EPARSE, "%s:%zu: NUL byte",
					name, lineno);
			goto out;
		}
		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol == p) {
			p = next;
			continue;
		}

		q = p;
		for (;;) {
			const char *tab = memchr(q, '\t', (size_t)(eol - q));
			const char *fe = tab ? tab : eol;

			if (n == 5) {
				n++;
				break;
			}
			f[n] = q;
			flen[n] = (size_t)(fe - q);
			n++;
			if (!tab)
				break;
			q = tab + 1;
		}
		if (n != 5) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: expected 5 tab-separated fields",
					name, lineno);
			goto out;
		}
		for (i = 0; i < 5; i++) {
			if (i != 1 && !flen[i]) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu: empty field %zu", name,
						lineno, i + 1);
				goto out;
			}
		}
		if (!all_digits(f[1], flen[1])) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: epoch '%.*s' is not a number",
					name, lineno, (int)flen[1], f[1]);
			goto out;
		}
		/* Imported signing keys, not software. */
		if (flen[0] == 10 && !memcmp(f[0], "gpg-pubkey", 10)) {
			p = next;
			continue;
		}

		ed_buf_reset(&tmp);
		snapshot_quote(&tmp, f[0], flen[0]);
		ed_buf_addch(&tmp, ' ');
		snapshot_quote(&tmp, f[4], flen[4]);
		ed_buf_addch(&tmp, ' ');
		while (flen[1] > 1 && f[1][0] == '0') {
			f[1]++;
			flen[1]--;
		}
		if (!(flen[1] == 1 && f[1][0] == '0')) {
			ed_buf_add(&tmp, f[1], flen[1]);
			ed_buf_addch(&tmp, ':');
		}
		snapshot_quote(&tmp, f[2], flen[2]);
		ed_buf_addch(&tmp, '-');
		snapshot_quote(&tmp, f[3], flen[3]);
		ed_strvec_take(lines, ed_xmemdup(tmp.ptr, tmp.len));
		p = next;
	}

out:
	if (rc < 0)
		truncate_lines(lines, nr0);
	ed_buf_release(&tmp);
	return rc;
}

/*
 * Find an executable prog in PATH. Empty and relative entries are skipped:
 * running "./rpm" from wherever we happen to be is never what was meant.
 */
static int find_in_path(struct ed_buf *out, const char *prog)
{
	const char *path = getenv("PATH");
	const char *p;

	if (!path)
		path = "/usr/bin:/bin";
	p = path;
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		if (n && p[0] == '/') {
			ed_buf_reset(out);
			ed_buf_add(out, p, n);
			ed_buf_addch(out, '/');
			ed_buf_adds(out, prog);
			if (!stat(out->ptr, &st) && S_ISREG(st.st_mode) &&
			    !access(out->ptr, X_OK))
				return 0;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	ed_buf_reset(out);
	return ED_ENOTFOUND;
}

static int set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Read the child's stdout (into out, at most RPM_OUTPUT_MAX) and stderr (the
 * first RPM_STDERR_KEEP bytes into errout) until both reach end of file.
 * Both pipes are drained together so a chatty stderr cannot block rpm.
 */
static int drain(struct ed_buf *out, struct ed_buf *errout, int *outfd,
		 int *errfd, struct ed_err *err)
{
	while (*outfd >= 0 || *errfd >= 0) {
		struct pollfd pfd[2];
		nfds_t nfds = 0;
		nfds_t i;

		if (*outfd >= 0) {
			pfd[nfds].fd = *outfd;
			pfd[nfds].events = POLLIN;
			nfds++;
		}
		if (*errfd >= 0) {
			pfd[nfds].fd = *errfd;
			pfd[nfds].events = POLLIN;
			nfds++;
		}
		if (poll(pfd, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			return ed_err_errno(err, ED_EIO, errno, "rpm: poll");
		}
		for (i = 0; i < nfds; i++) {
			char small[512];
			ssize_t n;

			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == *outfd) {
				ed_buf_grow(out, 65536);
				n = read(*outfd, out->ptr + out->len, 65536);
			} else {
				n = read(*errfd, small, sizeof(small));
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return ed_err_errno(err, ED_EIO, errno,
						    "rpm: reading output");
			if (pfd[i].fd == *outfd) {
				if (!n) {
					close_fd(outfd);
					continue;
				}
				ed_buf_setlen(out, out->len + (size_t)n);
				if (out->len > RPM_OUTPUT_MAX)
					return ed_err_set(err, ED_EIO,
							  "rpm -qa: output larger than %zu bytes",
							  RPM_OUTPUT_MAX);
			} else {
				size_t keep = (size_t)n;

				if (!n) {
					close_fd(errfd);
					continue;
				}
				if (errout->len >= RPM_STDERR_KEEP)
					keep = 0;
				else if (keep > RPM_STDERR_KEEP - errout->len)
					keep = RPM_STDERR_KEEP - errout->len;
				ed_buf_add(errout, small, keep);
			}
		}
	}
	return 0;
}

/* The first line of what rpm said, for a one-line message. */
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

int rpm_query_installed(struct ed_strvec *lines, const char *root,
			struct ed_err *err)
{
	struct ed_buf tool = ED_BUF_INIT, out = ED_BUF_INIT;
	struct ed_buf errout = ED_BUF_INIT;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int devnull = -1;
	pid_t pid = -1;
	int status, rc;
	/* execv takes char *const[], hence writable copies of the arguments. */
	char arg0[] = "rpm", arg1[] = "-qa", arg2[] = "--root";
	char arg4[] = "--qf", arg5[] = RPM_QF;
	char *root_arg = NULL;
	char *argv[7];

	rc = find_in_path(&tool, "rpm");
	if (rc < 0) {
		rc = ed_err_set(err, ED_ENOTFOUND, "rpm: not found in PATH");
		goto out;
	}
	root_arg = ed_xstrdup(root);
	argv[0] = arg0;
	argv[1] = arg1;
	argv[2] = arg2;
	argv[3] = root_arg;
	argv[4] = arg4;
	argv[5] = arg5;
	argv[6] = NULL;

	if (pipe(outp) < 0 || pipe(errp) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "rpm: pipe");
		goto out;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || set_cloexec(outp[0]) < 0 ||
	    set_cloexec(outp[1]) < 0 || set_cloexec(errp[0]) < 0 ||
	    set_cloexec(errp[1]) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "rpm: setting up pipes");
		goto out;
	}

	pid = fork();
	if (pid < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "rpm: fork");
		goto out;
	}
	if (pid == 0) {
		/*
		 * Only async-signal-safe calls here: another thread may hold
		 * the malloc lock, which is why the path was resolved before
		 * the fork and this is execv, not execvp.
		 */
		if (dup2(devnull, 0) < 0 || dup2(outp[1], 1) < 0 ||
		    dup2(errp[1], 2) < 0)
			_exit(126);
		execv(tool.ptr, argv);
		_exit(127);
	}
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	close_fd(&devnull);

	rc = drain(&out, &errout, &outp[0], &errp[0], err);
	if (rc < 0)
		kill(pid, SIGKILL);
	close_fd(&outp[0]);
	close_fd(&errp[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			if (rc == 0)
				rc = ed_err_errno(err, ED_EIO, errno,
						  "rpm: waitpid");
			goto out;
		}
	}
	if (rc < 0)
		goto out;
	first_line(&errout);
	if (WIFSIGNALED(status)) {
		rc = ed_err_set(err, ED_ERROR, "%s -qa --root %s: killed by signal %d",
				tool.ptr, root, WTERMSIG(status));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = ed_err_set(err, ED_ERROR,
				"%s -qa --root %s: exited with status %d%s%s",
				tool.ptr, root,
				WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				errout.len ? ": " : "", errout.ptr);
		goto out;
	}
	rc = rpm_parse_query(lines, out.ptr, out.len, "rpm -qa", err);

out:
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	close_fd(&devnull);
	ed_buf_release(&tool);
	ed_buf_release(&out);
	ed_buf_release(&errout);
	free(root_arg);
	return rc;
}
