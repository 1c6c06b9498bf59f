/*
 * The first steps of a session: resolve and connect (trying each address
 * without blocking), start the libssh2 session with the host-key
 * algorithms known_hosts asks for, handshake, and check the host key.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>

#include "core/alloc.h"

/*
 * Host-key algorithms: what known_hosts holds for this host first
 * (libssh2 would otherwise pick ECDSA when only ed25519 is known), then
 * the other modern ones; RSA and DSA only when known_hosts has nothing
 * else for the host.
 */
static void hostkey_prefs(struct ed_buf *out, unsigned known)
{
	static const unsigned modern[] = { SSH_KEY_ED25519, SSH_KEY_ECDSA256,
					   SSH_KEY_ECDSA384, SSH_KEY_ECDSA521 };
	size_t i;

	ed_buf_reset(out);
	for (i = 0; i < ED_ARRAY_SIZE(modern); i++)
		if (known & modern[i])
			ed_buf_addf(out, "%s,", ssh_key_type_name(modern[i]));
	if ((known & SSH_KEY_LEGACY) && !(known & ~SSH_KEY_LEGACY)) {
		if (known & SSH_KEY_RSA)
			ed_buf_adds(out, "ssh-rsa,");
		if (known & SSH_KEY_DSS)
			ed_buf_adds(out, "ssh-dss,");
	}
	for (i = 0; i < ED_ARRAY_SIZE(modern); i++)
		if (!(known & modern[i]))
			ed_buf_addf(out, "%s,", ssh_key_type_name(modern[i]));
	ed_buf_setlen(out, out->len - 1);
}

enum step ssh_session_start(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	struct ed_buf prefs = ED_BUF_INIT;
	int rc;

	h->s = libssh2_session_init_ex(NULL, NULL, NULL, c);
	if (!h->s)
		return ssh_conn_fail(c, SSH_ERROR,
				     "libssh2 cannot create a session");
	libssh2_session_set_blocking(h->s, 0);
	ssh_known_lookup(&h->known, r->known, h->address, h->port);
	hostkey_prefs(&prefs, h->known.types);
	rc = libssh2_session_method_pref(h->s, LIBSSH2_METHOD_HOSTKEY, prefs.ptr);
	ed_buf_release(&prefs);
	if (rc)
		return ssh_conn_fail(c, SSH_ERROR,
				     "cannot set host key algorithms: %s",
				     ssh_sess_err(h->s));
	if (r->o.keepalive_s && c->cur == 1)
		libssh2_keepalive_config(h->s, 1, r->o.keepalive_s);
	c->phase = PH_HANDSHAKE;
	return STEP_NEXT;
}

static enum step hop_resolve(struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	struct addrinfo hints;
	int rc, sys_errno = 0;

	h->resolved = 1;
	rc = ssh_names_find(c->run->names, h->address, &h->ai, &sys_errno);
	if (rc < 0) { /* numeric, or a name not listed beforehand */
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST;
		rc = getaddrinfo(h->address, NULL, &hints, &h->ai_list);
		if (rc == EAI_NONAME) {
			/* this blocks the loop for one DNS lookup */
			hints.ai_flags = AI_ADDRCONFIG;
			rc = getaddrinfo(h->address, NULL, &hints, &h->ai_list);
		}
		sys_errno = errno;
		h->ai = h->ai_list;
	}
	if (rc)
		return ssh_conn_fail(c, SSH_UNREACHABLE,
				     "cannot resolve '%s': %s", h->address,
				     rc == EAI_SYSTEM ? strerror(sys_errno) :
							gai_strerror(rc));
	return STEP_NEXT;
}

/* h->ai's address with h->port (resolved addresses carry port 0). */
static socklen_t hop_sockaddr(const struct hop *h, struct sockaddr_storage *ss)
{
	socklen_t len = h->ai->ai_addrlen;

	if (len > sizeof(*ss))
		len = sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, h->ai->ai_addr, len);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)h->port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)h->port);
	return len;
}

enum step ssh_step_connect(struct run *r, struct conn *c, short revents)
{
	struct hop *h = &c->hop[c->cur];
	int e = 0, one = 1;
	socklen_t elen = sizeof(e);

	if (!h->resolved && hop_resolve(c) == STEP_END)
		return STEP_END;
	if (h->fd >= 0) {
		if (!revents)
			return STEP_WAIT;
		if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		if (!e)
			return ssh_session_start(r, c);
		h->conn_errno = e;
		close(h->fd);
		h->fd = -1;
		h->ai = h->ai->ai_next;
	}
	for (; h->ai; h->ai = h->ai->ai_next) {
		struct sockaddr_storage ss;
		socklen_t sslen = hop_sockaddr(h, &ss);

		h->fd = socket(h->ai->ai_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (h->fd < 0) /* EMFILE and the like: ours, not the host's */
			return ssh_conn_fail(c, SSH_ERROR,
					     "cannot create a socket: %s",
					     strerror(errno));
		(void)setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		if (connect(h->fd, (struct sockaddr *)&ss, sslen) == 0)
			return ssh_session_start(r, c);
		if (errno == EINPROGRESS) {
			h->events = POLLOUT;
			return STEP_WAIT;
		}
		h->conn_errno = errno;
		close(h->fd);
		h->fd = -1;
	}
	if (c->cur == 0) /* ssh_conn_fail names the bastion's address */
		return ssh_conn_fail(c, SSH_UNREACHABLE, "cannot connect: %s",
				     strerror(h->conn_errno));
	return ssh_conn_fail(c, SSH_UNREACHABLE,
			     "cannot connect to %s port %u: %s", h->address,
			     h->port, strerror(h->conn_errno));
}

enum step ssh_step_handshake(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	struct ed_buf why = ED_BUF_INIT;
	enum ssh_known_result res;
	const char *key;
	size_t len = 0;
	int rc, type;

	rc = libssh2_session_handshake(h->s, h->fd);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return ssh_conn_wait(c);
	/*
	 * Accepted, then closed before a word: sshd throttling (MaxStartups),
	 * tcp wrappers, a firewall proxy. No SSH server answered: unreachable.
	 */
	if ((rc == LIBSSH2_ERROR_BANNER_RECV || rc == LIBSSH2_ERROR_SOCKET_RECV ||
	     rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) &&
	    !libssh2_session_banner_get(h->s))
		return ssh_conn_fail(
			c, SSH_UNREACHABLE,
			"connection closed before the SSH banner (sshd MaxStartups, tcp wrappers or not an SSH server?)");
	if (rc == LIBSSH2_ERROR_KEX_FAILURE)
		return ssh_conn_fail(
			c, SSH_UNSUPPORTED_KEY,
			"no host key algorithm in common (libssh2: %s): the server seems to offer only RSA host keys; %s",
			ssh_sess_err(h->s), ssh_rsa_why);
	if (rc)
		return ssh_conn_fail(c, SSH_ERROR, "SSH handshake failed: %s",
				     ssh_sess_err(h->s));
	key = libssh2_session_hostkey(h->s, &len, &type);
	if (!key)
		return ssh_conn_fail(c, SSH_ERROR, "no host key: %s",
				     ssh_sess_err(h->s));
	res = ssh_known_check_host(r->known, &h->known, (const unsigned char *)key,
				   len, r->o.accept_new, &why);
	switch (res) {
	case SSH_KNOWN_MATCH:
		break;
	case SSH_KNOWN_ADDED:
		if (r->warnings)
			ed_strvec_pushf(r->warnings, "%s: %s", c->t->name,
					why.ptr);
		break;
	case SSH_KNOWN_NEW:
		ssh_conn_fail(c, SSH_HOSTKEY_UNKNOWN, "%s", why.ptr);
		break;
	case SSH_KNOWN_CHANGED:
		ssh_conn_fail(c, SSH_HOSTKEY_CHANGED, "%s", why.ptr);
		break;
	case SSH_KNOWN_FAILED:
		ssh_conn_fail(c, SSH_ERROR, "%s", why.ptr);
		break;
	}
	ed_buf_release(&why);
	if (res != SSH_KNOWN_MATCH && res != SSH_KNOWN_ADDED)
		return STEP_END;
	if (c->cur == 1)
		c->connected = 1;
	ssh_hop_creds(r, h);
	c->phase = PH_AUTH;
	return STEP_NEXT;
}
