/*
 * What every step of the session state machine uses to report: a host's
 * final state and message, libssh2's last error, and waiting for the
 * directions libssh2 blocked on. Leaves: nothing here calls a step.
 */
#include "collector/fleet/internal.h"

#include <poll.h>
#include <stdarg.h>
#include <time.h>

#include <libssh2.h>

const char ssh_rsa_why[] =
	"libssh2 1.10 has no rsa-sha2, so RSA cannot work against OpenSSH >= 8.8; use an ed25519 or ECDSA key";

const char *ssh_state_name(enum ssh_state s)
{
	switch (s) {
	case SSH_COLLECTED:
		return "collected";
	case SSH_UNREACHABLE:
		return "unreachable";
	case SSH_AUTH_FAILED:
		return "auth failed";
	case SSH_UNSUPPORTED_KEY:
		return "unsupported key";
	case SSH_HOSTKEY_UNKNOWN:
		return "host key unknown";
	case SSH_HOSTKEY_CHANGED:
		return "host key changed";
	case SSH_TIMED_OUT:
		return "timed out";
	case SSH_TOO_MUCH:
		return "too much output";
	case SSH_ERROR:
		break;
	}
	return "collection error";
}

long long ssh_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum step ssh_conn_fail(struct conn *c, enum ssh_state st, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	c->state = st;
	ed_buf_reset(&c->msg);
	ed_buf_addf(&c->msg, "%s: ", c->t->name);
	if (c->cur == 0)
		ed_buf_addf(&c->msg, "bastion %s port %u: ", c->hop[0].address,
			    c->hop[0].port);
	va_start(ap, fmt);
	ed_buf_vaddf(&c->msg, fmt, ap);
	va_end(ap);
	for (i = 0; i < c->msg.len; i++) /* one line, whatever we quoted */
		if ((unsigned char)c->msg.ptr[i] < ' ')
			c->msg.ptr[i] = ' ';
	return STEP_END;
}

const char *ssh_sess_err(LIBSSH2_SESSION *s)
{
	char *m = NULL;

	libssh2_session_last_error(s, &m, NULL, 0);
	return m && *m ? m : "unknown libssh2 error";
}

short ssh_directions(LIBSSH2_SESSION *s)
{
	int dirs = libssh2_session_block_directions(s);
	short ev = 0;

	if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	return ev;
}

enum step ssh_conn_wait(struct conn *c)
{
	struct hop *h = &c->hop[c->cur];

	h->events = ssh_directions(h->s);
	c->spin = !h->events;
	if (!h->events)
		h->events = POLLIN;
	return STEP_WAIT;
}

int ssh_input_next(const struct conn *c, const char **next, size_t *len)
{
	const struct ssh_target *t = c->t;

	*next = NULL;
	*len = 0;
	if (t->input && c->in_off < t->input_len) {
		*next = t->input + c->in_off;
		*len = t->input_len - c->in_off;
		return 1;
	}
	if (!t->reply)
		return 1;
	if (!c->replied)
		return 0; /* the second input waits for the answer */
	*next = c->more.ptr + c->more_off;
	*len = c->more.len - c->more_off;
	return 1;
}

void ssh_input_took(struct conn *c, size_t n)
{
	if (c->t->input && c->in_off < c->t->input_len)
		c->in_off += n;
	else
		c->more_off += n;
}

void ssh_input_answer(struct conn *c)
{
	if (c->t->reply && !c->replied)
		c->replied = c->t->reply(c->t, c->out.ptr, c->out.len, &c->more);
}
