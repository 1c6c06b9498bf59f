/*
 * The last steps of a session: open a channel, exec the command, feed its
 * standard input while draining stdout and stderr (both, or the window
 * stalls), then the exit status or signal.
 */
#include "collector/fleet/internal.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <libssh2.h>

#include "core/alloc.h"

#define ERR_KEEP ((size_t)64 << 10) /* stderr bytes kept per host */
#define READ_CHUNK ((size_t)64 << 10)

static void fmt_size(char *buf, size_t size, size_t n)
{
	if (n && n % ((size_t)1 << 20) == 0)
		snprintf(buf, size, "%zu MiB", n >> 20);
	else if (n && n % 1024 == 0)
		snprintf(buf, size, "%zu KiB", n >> 10);
	else
		snprintf(buf, size, "%zu bytes", n);
}

enum step ssh_step_open(struct conn *c)
{
	LIBSSH2_SESSION *s = c->hop[1].s;

	c->ch = libssh2_channel_open_session(s);
	if (!c->ch) {
		if (libssh2_session_last_errno(s) == LIBSSH2_ERROR_EAGAIN)
			return ssh_conn_wait(c);
		return ssh_conn_fail(c, SSH_ERROR, "cannot open a channel: %s",
				     ssh_sess_err(s));
	}
	c->phase = PH_EXEC;
	return STEP_NEXT;
}

enum step ssh_step_exec(struct conn *c)
{
	int rc;

	if (c->phase == PH_EXEC) {
		rc = libssh2_channel_exec(c->ch, c->t->command);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return ssh_conn_wait(c);
		if (rc)
			return ssh_conn_fail(c, SSH_ERROR,
					     "cannot run the command: %s",
					     ssh_sess_err(c->hop[1].s));
		/* with input, EOF follows it (ssh_step_read) */
		c->phase = c->t->input ? PH_READ : PH_EOF;
		if (c->t->input)
			return STEP_NEXT;
	}
	/* nothing on stdin: a command reading it sees EOF, not a hang */
	rc = libssh2_channel_send_eof(c->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return ssh_conn_wait(c);
	c->in_done = 1;
	c->phase = PH_READ;
	return STEP_NEXT;
}

/*
 * Send the command more of its input (ssh_input_next: with t->reply, the
 * second input once the answer gave it) as the window allows, then EOF:
 * 1 when something was sent, 0 when nothing could be, -1 on an
 * error. A send that returned EAGAIN with a packet half out is marked
 * pending (struct tunnel says why): it is repeated, with the same bytes
 * at the same address (doc/DESIGN-NOTES.md §2.6), before anything else.
 */
static int feed_input(struct conn *c)
{
	LIBSSH2_SESSION *s = c->hop[1].s;
	const char *next;
	size_t left;
	ssize_t n;
	int rc;

	if (!ssh_input_next(c, &next, &left))
		return 0; /* the second input waits for the answer */
	if (left) {
		n = libssh2_channel_write(c->ch, next, left);
		c->pending = PEND_NONE;
		if (n > 0) {
			ssh_input_took(c, (size_t)n);
			return 1;
		}
		/* 0 or EAGAIN without a direction out: the window is shut */
		if (n == LIBSSH2_ERROR_EAGAIN && (ssh_directions(s) & POLLOUT))
			c->pending = PEND_WRITE;
		return n == 0 || n == LIBSSH2_ERROR_EAGAIN ? 0 : -1;
	}
	rc = libssh2_channel_send_eof(c->ch);
	c->pending = PEND_NONE;
	if (rc == LIBSSH2_ERROR_EAGAIN) {
		if (ssh_directions(s) & POLLOUT)
			c->pending = PEND_EOF;
		return 0;
	}
	if (rc)
		return -1;
	c->in_done = 1;
	return 1;
}

enum step ssh_step_read(struct conn *c)
{
	char sink[16384];
	size_t room;
	ssize_t n, m;
	char lim[32];
	int w;

	for (;;) {
		/* input and output take turns: neither waits on the other */
		w = 0;
		if (!c->in_done && c->pending != PEND_READ) {
			w = feed_input(c);
			if (w < 0)
				return ssh_conn_fail(c, SSH_ERROR,
						     "sending input: %s",
						     ssh_sess_err(c->hop[1].s));
			if (c->pending != PEND_NONE)
				return ssh_conn_wait(c);
		}
		/* never hold more than the cap and one byte */
		room = c->max_bytes - c->out.len;
		room = room >= READ_CHUNK ? READ_CHUNK : room + 1;
		ed_buf_grow(&c->out, room);
		n = libssh2_channel_read(c->ch, c->out.ptr + c->out.len, room);
		if (n > 0) {
			ed_buf_setlen(&c->out, c->out.len + (size_t)n);
			ssh_input_answer(c);
			if (c->out.len > c->max_bytes) {
				fmt_size(lim, sizeof(lim), c->max_bytes);
				return ssh_conn_fail(
					c, SSH_TOO_MUCH,
					"more than %s of output (--max-bytes)",
					lim);
			}
		} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			return ssh_conn_fail(c, SSH_ERROR, "reading output: %s",
					     ssh_sess_err(c->hop[1].s));
		}
		/* stderr is drained too, or its window stalls the channel */
		m = libssh2_channel_read_stderr(c->ch, sink, sizeof(sink));
		if (m > 0 && c->err.len < ERR_KEEP)
			ed_buf_add(&c->err, sink,
				   (size_t)m < ERR_KEEP - c->err.len ?
					   (size_t)m :
					   ERR_KEEP - c->err.len);
		else if (m < 0 && m != LIBSSH2_ERROR_EAGAIN)
			return ssh_conn_fail(c, SSH_ERROR, "reading errors: %s",
					     ssh_sess_err(c->hop[1].s));
		/* a window adjustment half sent: the reads go first */
		c->pending =
			m == LIBSSH2_ERROR_EAGAIN &&
					(ssh_directions(c->hop[1].s) & POLLOUT) ?
				PEND_READ :
				PEND_NONE;
		if (n <= 0 && m <= 0 && w <= 0)
			break;
	}
	if (libssh2_channel_eof(c->ch) == 1) {
		/* the command's output ended: it takes no more input */
		c->in_done = 1;
		c->phase = PH_WAIT_CLOSED;
		return STEP_NEXT;
	}
	return ssh_conn_wait(c);
}

enum step ssh_step_close(struct conn *c)
{
	char *sig = NULL;
	size_t siglen = 0;
	int rc;

	if (c->phase == PH_WAIT_CLOSED) {
		/* the exit status comes before the server's close */
		rc = libssh2_channel_wait_closed(c->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return ssh_conn_wait(c);
		if (rc)
			return ssh_conn_fail(c, SSH_ERROR,
					     "connection lost before the exit status: %s",
					     ssh_sess_err(c->hop[1].s));
		c->phase = PH_CLOSE;
	}
	rc = libssh2_channel_close(c->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return ssh_conn_wait(c);
	c->exit_status = libssh2_channel_get_exit_status(c->ch);
	libssh2_channel_get_exit_signal(c->ch, &sig, &siglen, NULL, NULL, NULL,
					NULL);
	c->state = SSH_COLLECTED;
	ed_buf_reset(&c->msg);
	if (sig) {
		c->exit_status = -1;
		ed_buf_addf(&c->msg, "%s: killed by signal %.*s", c->t->name,
			    (int)siglen, sig);
		libssh2_free(c->hop[1].s, sig);
	} else {
		ed_buf_addf(&c->msg, "%s: exit status %d", c->t->name,
			    c->exit_status);
	}
	return STEP_END;
}
