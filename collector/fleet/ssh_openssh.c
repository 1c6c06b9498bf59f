/*
 * The OpenSSH transport: the system ssh client as a child process runs
 * the same command with the same input as a libssh2 session, from the
 * same poll loop, so it hands back the same stream. The stream is a pipe
 * each way plus stderr: input is written as the pipe takes it while
 * output is read (the request may be larger than a pipe), then its end is
 * closed, which ssh sends on as EOF. The client reads the user's whole
 * ssh_config, known_hosts, agent and certificates; only what could run
 * or forward anything is switched off on its command line.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "core/alloc.h"

#define ERR_KEEP ((size_t)64 << 10) /* stderr bytes kept per host */
#define READ_CHUNK ((size_t)64 << 10)

/* Always: no tty, no prompt, nothing forwarded or run here. */
static const char *const hardening[] = {
	"-T",
	"-o",
	"BatchMode=yes",
	"-o",
	"ForwardAgent=no",
	"-o",
	"ClearAllForwardings=yes",
	"-o",
	"PermitLocalCommand=no",
	"-o",
	"ControlMaster=no",
};

const char *ssh_transport_name(enum ssh_transport t)
{
	return t == SSH_TRANSPORT_OPENSSH ? "openssh" : "libssh2";
}

void ssh_openssh_argv(struct ed_strvec *out, const struct run *r,
		      const struct ssh_target *t)
{
	unsigned cto = t->connect_timeout_ms ? t->connect_timeout_ms :
					       r->o.connect_timeout_ms;
	size_t i;

	ed_strvec_push(out, "ssh");
	for (i = 0; i < ED_ARRAY_SIZE(hardening); i++)
		ed_strvec_push(out, hardening[i]);
	if (r->o.ssh_config) {
		ed_strvec_push(out, "-F");
		ed_strvec_push(out, r->o.ssh_config);
	}
	ed_strvec_push(out, "-o");
	ed_strvec_pushf(out, "ConnectTimeout=%u", (cto + 999) / 1000);
	if (r->o.keepalive_s) {
		ed_strvec_push(out, "-o");
		ed_strvec_pushf(out, "ServerAliveInterval=%u", r->o.keepalive_s);
	}
	if (r->o.known_hosts) {
		/* quoted: the option takes a list of files */
		ed_strvec_push(out, "-o");
		ed_strvec_pushf(out, "UserKnownHostsFile=\"%s\"",
				r->o.known_hosts);
	}
	if (r->o.accept_new) {
		ed_strvec_push(out, "-o");
		ed_strvec_push(out, "StrictHostKeyChecking=accept-new");
	}
	if (t->port && t->port != 22) {
		ed_strvec_push(out, "-p");
		ed_strvec_pushf(out, "%u", t->port);
	}
	if (t->user) {
		ed_strvec_push(out, "-l");
		ed_strvec_push(out, t->user);
	}
	if (t->key_file) {
		ed_strvec_push(out, "-i");
		ed_strvec_push(out, t->key_file);
	}
	ed_strvec_push(out, "--");
	ed_strvec_push(out, t->dest    ? t->dest :
			    t->address ? t->address :
					 t->name);
	ed_strvec_push(out, t->command);
}

int ssh_openssh_retryable(const struct conn *c)
{
	const char *m = c->msg.ptr;

	if (c->openssh || c->t->transport != SSH_TRANSPORT_AUTO)
		return 0;
	switch (c->state) {
	case SSH_UNSUPPORTED_KEY:
	case SSH_AUTH_FAILED:
		return 1;
	case SSH_HOSTKEY_UNKNOWN: /* a @cert-authority line libssh2 skips */
		return strstr(m, "libssh2 1.10") != NULL;
	case SSH_ERROR:
		return strstr(m, "SSH handshake failed") != NULL;
	default:
		return 0;
	}
}

enum step ssh_openssh_start(struct run *r, struct conn *c)
{
	struct ed_strvec argv = ED_STRVEC_INIT;
	int rc;

	c->openssh = 1;
	c->phase = PH_PROC;
	c->connected = 1; /* ssh's own ConnectTimeout applies */
	c->in_off = c->more_off = 0;
	c->replied = 0;
	ed_buf_reset(&c->more);
	c->in_done = c->t->input == NULL && !c->t->reply;
	c->out_eof = c->err_eof = 0;
	if (!r->ssh_path)
		return ssh_conn_fail(c, SSH_ERROR,
				     "OpenSSH client '%s' not found on PATH",
				     r->o.ssh_program ? r->o.ssh_program : "ssh");
	ssh_openssh_argv(&argv, r, c->t);
	ed_strvec_take(&argv, NULL); /* execv's terminator */
	argv.nr--;
	rc = ssh_proc_spawn(&c->proc, r->ssh_path, argv.v, c->t->input != NULL);
	ed_strvec_release(&argv);
	if (rc < 0)
		return ssh_conn_fail(c, SSH_ERROR, "cannot start %s: %s",
				     r->ssh_path, strerror(errno));
	return ssh_step_proc(c);
}

void ssh_openssh_events(const struct conn *c, short ev[3])
{
	const char *next;
	size_t left;

	/* stdin is written when there is something to write, or to close it */
	ev[0] = c->proc.in >= 0 && ssh_input_next(c, &next, &left) ? POLLOUT : 0;
	ev[1] = c->proc.out >= 0 ? POLLIN : 0;
	ev[2] = c->proc.err >= 0 ? POLLIN : 0;
}

/* The last line ssh wrote that says something, without its CR. */
static void last_line(struct ed_buf *out, const struct ed_buf *err)
{
	size_t end = err->len, start;

	while (end && (err->ptr[end - 1] == '\n' || err->ptr[end - 1] == '\r'))
		end--;
	start = end;
	while (start && err->ptr[start - 1] != '\n')
		start--;
	if (end - start > 300)
		end = start + 300;
	ed_buf_add(out, err->ptr + start, end - start);
}

/* ssh's own failure (exit 255, nothing on stdout), by what it said. */
static enum ssh_state classify(const struct ed_buf *err)
{
	const char *e = err->ptr;

	if (strstr(e, "REMOTE HOST IDENTIFICATION HAS CHANGED"))
		return SSH_HOSTKEY_CHANGED;
	if (strstr(e, "Host key verification failed"))
		return SSH_HOSTKEY_UNKNOWN;
	if (strstr(e, "Permission denied"))
		return SSH_AUTH_FAILED;
	if (strstr(e, "timed out"))
		return SSH_TIMED_OUT;
	if (strstr(e, "Connection refused") || strstr(e, "No route to host") ||
	    strstr(e, "Could not resolve hostname") ||
	    strstr(e, "Network is unreachable") ||
	    strstr(e, "Connection closed by") || strstr(e, "Connection reset by"))
		return SSH_UNREACHABLE;
	return SSH_ERROR;
}

static enum step proc_outcome(struct conn *c, int status)
{
	struct ed_buf line = ED_BUF_INIT;
	enum step st;

	if (status == -1 || WIFSIGNALED(status)) {
		st = ssh_conn_fail(c, SSH_ERROR, "ssh killed by signal %d",
				   status == -1 ? 0 : WTERMSIG(status));
		goto out;
	}
	c->exit_status = WEXITSTATUS(status);
	if (c->exit_status == 255 && !c->out.len) {
		last_line(&line, &c->err);
		st = ssh_conn_fail(c, classify(&c->err),
				   "ssh exited with status 255: %s",
				   line.len ? line.ptr : "no message");
		goto out;
	}
	c->state = SSH_COLLECTED;
	ed_buf_reset(&c->msg);
	ed_buf_addf(&c->msg, "%s: exit status %d", c->t->name, c->exit_status);
	st = STEP_END;
out:
	ed_buf_release(&line);
	return st;
}

/* Input as the pipe takes it, then EOF: 1 when something moved. */
static int feed(struct conn *c)
{
	size_t left;
	const char *next;
	ssize_t n = 0;

	if (c->in_done || !ssh_input_next(c, &next, &left))
		return 0; /* done, or the second input waits for the answer */
	if (left)
		n = ssh_proc_write(&c->proc, next, left);
	if (n > 0)
		ssh_input_took(c, (size_t)n);
	/* EPIPE: ssh stopped reading; its exit and output tell why */
	if (n < 0 || (ssh_input_next(c, &next, &left) && !left)) {
		ssh_proc_close_input(&c->proc);
		c->in_done = 1;
	}
	return n > 0;
}

enum step ssh_step_proc(struct conn *c)
{
	char sink[16384], lim[32];
	size_t room;
	ssize_t n;
	int moved, status;

	do {
		moved = feed(c);
		if (!c->out_eof) {
			/* never hold more than the cap and one byte */
			room = c->max_bytes - c->out.len;
			room = room >= READ_CHUNK ? READ_CHUNK : room + 1;
			ed_buf_grow(&c->out, room);
			n = ssh_proc_read(&c->proc.out, c->out.ptr + c->out.len,
					  room);
			if (n > 0) {
				ed_buf_setlen(&c->out, c->out.len + (size_t)n);
				ssh_input_answer(c);
				moved = 1;
			} else if (n == -2) {
				c->out_eof = 1;
			} else if (n < 0) {
				return ssh_conn_fail(c, SSH_ERROR,
						     "reading ssh's output: %s",
						     strerror(errno));
			}
			if (c->out.len > c->max_bytes) {
				snprintf(lim, sizeof(lim), "%zu bytes",
					 c->max_bytes);
				return ssh_conn_fail(
					c, SSH_TOO_MUCH,
					"more than %s of output (--max-bytes)",
					lim);
			}
		}
		if (!c->err_eof) {
			n = ssh_proc_read(&c->proc.err, sink, sizeof(sink));
			if (n > 0 && c->err.len < ERR_KEEP)
				ed_buf_add(&c->err, sink,
					   (size_t)n < ERR_KEEP - c->err.len ?
						   (size_t)n :
						   ERR_KEEP - c->err.len);
			if (n == -2 || n == -1)
				c->err_eof = 1;
			moved |= n > 0;
		}
	} while (moved);
	if (!c->out_eof || !c->err_eof)
		return STEP_WAIT;
	if (!ssh_proc_reap(&c->proc, &status)) {
		c->spin = 1; /* pipes closed, exit not yet seen: look again */
		return STEP_WAIT;
	}
	return proc_outcome(c, status);
}
