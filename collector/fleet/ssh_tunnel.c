/*
 * ProxyJump through one bastion: its "[user@]host[:port]" spec, the
 * direct-tcpip channel the bastion opens to the target, and the pump
 * between that channel and the socketpair the target's session runs over.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libssh2.h>

#include "core/alloc.h"

#define TUNNEL_BUF ((size_t)64 << 10)

/*
 * "[user@]host[:port]" (or ssh://...), split in place: *user NULL when
 * absent. IPv6 addresses need brackets to carry a port. NULL or why it
 * cannot be used.
 */
const char *ssh_split_jump(char *s, char **user, char **address, unsigned *port)
{
	char *at, *colon, *end;
	unsigned long p = 22;

	if (!strncmp(s, "ssh://", 6))
		s += 6;
	if (strchr(s, ','))
		return "only one ProxyJump host is supported";
	at = strrchr(s, '@');
	*user = NULL;
	if (at) {
		*at = '\0';
		*user = s;
		s = at + 1;
	}
	colon = NULL;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			return "malformed bastion address";
		*end = '\0';
		colon = end[1] == ':' ? end + 1 : NULL;
		s++;
	} else if (strchr(s, ':') == strrchr(s, ':')) {
		colon = strchr(s, ':');
	}
	if (colon) {
		*colon = '\0';
		p = strtoul(colon + 1, &end, 10);
		if (*end || p == 0 || p > 65535)
			return "bad bastion port";
	}
	if (!*s)
		return "malformed bastion address";
	*address = s;
	*port = (unsigned)p;
	return NULL;
}

/* The bastion hop from c->jump (split in place). */
const char *ssh_parse_jump(struct run *r, struct conn *c)
{
	struct hop *b = &c->hop[0];
	char *user, *address;
	const char *why = ssh_split_jump(c->jump, &user, &address, &b->port);

	if (why)
		return why;
	b->user = user ? user : r->local_user;
	if (!b->user)
		return "malformed bastion address";
	b->address = address;
	/* one fleet key usually opens the bastion too */
	b->key_file = c->hop[1].key_file;
	return NULL;
}

/* Move bytes both ways between the pair and the bastion's channel. */
enum step ssh_tunnel_pump(struct conn *c)
{
	struct tunnel *tn = &c->tun;
	LIBSSH2_SESSION *bs = c->hop[0].s;
	int i, moved = 1;
	ssize_t n;

	for (i = 0; moved && i < 16; i++) {
		moved = 0;
		if (tn->pending != PEND_READ) {
			if (tn->up.len == tn->up_off && !tn->up_eof) {
				ed_buf_reset(&tn->up);
				tn->up_off = 0;
				ed_buf_grow(&tn->up, TUNNEL_BUF);
				n = recv(tn->pair, tn->up.ptr, TUNNEL_BUF, 0);
				if (n > 0)
					ed_buf_setlen(&tn->up, (size_t)n);
				else if (n == 0 ||
					 (errno != EAGAIN && errno != EINTR))
					tn->up_eof = 1;
			}
			if (tn->up.len > tn->up_off) {
				n = libssh2_channel_write(tn->ch,
							  tn->up.ptr + tn->up_off,
							  tn->up.len - tn->up_off);
				tn->pending = PEND_NONE;
				if (n > 0) {
					tn->up_off += (size_t)n;
					moved = 1;
				} else if (n == LIBSSH2_ERROR_EAGAIN) {
					if (ssh_directions(bs) & POLLOUT)
						tn->pending = PEND_WRITE;
				} else {
					return ssh_conn_fail(
						c, SSH_ERROR,
						"tunnel through bastion %s: %s",
						c->hop[0].address,
						ssh_sess_err(bs));
				}
			}
		}
		if (tn->pending != PEND_WRITE) {
			if (tn->down.len == tn->down_off && !tn->down_eof) {
				ed_buf_reset(&tn->down);
				tn->down_off = 0;
				ed_buf_grow(&tn->down, TUNNEL_BUF);
				n = libssh2_channel_read(tn->ch, tn->down.ptr,
							 TUNNEL_BUF);
				tn->pending = PEND_NONE;
				if (n > 0) {
					ed_buf_setlen(&tn->down, (size_t)n);
				} else if (n == LIBSSH2_ERROR_EAGAIN) {
					if (ssh_directions(bs) & POLLOUT)
						tn->pending = PEND_READ;
				} else if (n == 0 || libssh2_channel_eof(tn->ch)) {
					/* the target hung up: its session sees EOF */
					tn->down_eof = 1;
					shutdown(tn->pair, SHUT_WR);
				} else {
					return ssh_conn_fail(
						c, SSH_ERROR,
						"tunnel through bastion %s: %s",
						c->hop[0].address,
						ssh_sess_err(bs));
				}
			}
			if (tn->down.len > tn->down_off) {
				n = send(tn->pair, tn->down.ptr + tn->down_off,
					 tn->down.len - tn->down_off,
					 MSG_NOSIGNAL);
				if (n > 0) {
					tn->down_off += (size_t)n;
					moved = 1;
				}
			}
		}
	}
	c->hop[0].events = ssh_directions(bs);
	if (!c->hop[0].events)
		c->hop[0].events = POLLIN;
	tn->events = 0;
	if (tn->up.len == tn->up_off && !tn->up_eof)
		tn->events |= POLLIN;
	if (tn->down.len > tn->down_off)
		tn->events |= POLLOUT;
	return STEP_NEXT;
}

/* The bastion opens a channel to the target; its session runs over a pair. */
enum step ssh_step_tunnel(struct run *r, struct conn *c)
{
	struct hop *b = &c->hop[0];
	int sv[2];

	c->tun.ch = libssh2_channel_direct_tcpip_ex(b->s, c->hop[1].address,
						    (int)c->hop[1].port,
						    "127.0.0.1", 22);
	if (!c->tun.ch) {
		if (libssh2_session_last_errno(b->s) == LIBSSH2_ERROR_EAGAIN)
			return ssh_conn_wait(c);
		return ssh_conn_fail(c, SSH_UNREACHABLE,
				     "cannot reach %s port %u: %s",
				     c->hop[1].address, c->hop[1].port,
				     ssh_sess_err(b->s));
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		return ssh_conn_fail(c, SSH_ERROR, "socketpair: %s",
				     strerror(errno));
	c->tun.pair = sv[1];
	c->cur = 1;
	c->hop[1].fd = sv[0];
	return ssh_session_start(r, c);
}
