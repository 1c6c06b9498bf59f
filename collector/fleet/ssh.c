/*
 * The fleet transport: one thread drives up to opts->jobs non-blocking
 * libssh2 sessions with poll(). Each host walks connect, handshake,
 * host-key check, auth, exec, read, close; any libssh2 call may return
 * EAGAIN, after which the host waits for the directions libssh2 reports.
 * Key files and known_hosts are read once per run, and ssh-agent is
 * spoken to directly over one connection (ssh_auth.c), so a host costs the
 * handshake and one signature of CPU here.
 */
#include "collector/fleet/ssh.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>

#include "collector/fleet/ssh_int.h"
#include "core/alloc.h"

#define ERR_KEEP ((size_t)64 << 10)  /* stderr bytes kept per host */
#define READ_CHUNK ((size_t)64 << 10)
#define TICK_MS 200
#define SPIN_MS 10 /* retry delay when libssh2 says EAGAIN but names no direction */

static const char rsa_why[] =
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

/* The one piece of process state: libssh2_init is not thread-safe. */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init_once(void)
{
	/* on failure every session_init fails and says so per host */
	(void)libssh2_init(0);
}

void ssh_lib_init(void)
{
	pthread_once(&lib_once, lib_init_once);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One credential to offer: an agent identity or a key file. */
struct cred {
	const struct agent_id *id;
	const struct ssh_key *key;
};

enum phase {
	PH_IDLE,
	PH_CONNECT,
	PH_HANDSHAKE,
	PH_AUTH,
	PH_TUNNEL, /* bastion only: the direct-tcpip channel to the target */
	PH_OPEN,
	PH_EXEC,
	PH_EOF,
	PH_READ,
	PH_WAIT_CLOSED,
	PH_CLOSE,
};

static const char *const phase_what[] = {
	"", "connecting", "in the SSH handshake", "authenticating",
	"opening the tunnel", "opening a channel", "starting the command",
	"starting the command", "reading output",
	"waiting for the command to exit", "closing the channel",
};

/* One SSH connection: to the target, or to the bastion in front of it. */
struct hop {
	const char *address, *user;
	unsigned port;
	const char *key_file; /* the target's own key, else the run's */
	struct ssh_known_host known; /* its known_hosts lines */
	int fd;
	short events; /* what fd waits for */
	struct addrinfo *ai_list;    /* owned; NULL when from the run's names */
	const struct addrinfo *ai;   /* the address being tried (port 0) */
	int resolved;
	int conn_errno; /* last connect() failure */
	LIBSSH2_SESSION *s;
	struct cred *creds;
	size_t ncreds, acreds, cred;
	unsigned tried_legacy, tried_modern;
	struct ed_buf tried; /* key names, for messages */
};

/*
 * ProxyJump: the target's session runs over a socketpair whose other end
 * is pumped to and from a direct-tcpip channel of the bastion's session.
 * libssh2 1.10 must see the call that returned EAGAIN while a packet was
 * half sent repeated before any other send on that session (else it
 * drops or repeats a packet), hence "pending".
 */
enum { PEND_NONE, PEND_READ, PEND_WRITE };

struct tunnel {
	LIBSSH2_CHANNEL *ch;
	int pair; /* our end; the target's session has the other */
	short events;
	struct ed_buf up, down; /* to the bastion channel, to the pair */
	size_t up_off, down_off;
	int pending;
	int up_eof, down_eof;
};

#define TUNNEL_BUF ((size_t)64 << 10)

struct run;

struct conn {
	struct run *run;
	const struct ssh_target *t;
	enum phase phase;
	struct hop hop[2]; /* [0] the bastion, [1] the target */
	int cur;           /* the hop being set up */
	struct tunnel tun;
	char *jump;        /* copy of t->jump, split in place */
	int spin;          /* EAGAIN without a direction: retry after SPIN_MS */
	LIBSSH2_CHANNEL *ch;
	void *abstract;    /* for the agent sign callback: this conn */
	long long t0, connect_by, deadline, keepalive_at;
	int connected;     /* the target's handshake is done */
	size_t max_bytes;  /* stdout cap for this host */
	struct ed_buf out, err, msg;
	enum ssh_state state;
	int exit_status;
};

struct run {
	struct ssh_opts o; /* defaults filled in */
	const struct ssh_target *targets;
	size_t total, started, finished;
	struct ed_strvec *warnings;
	struct ssh_known *known;
	struct agent agent;
	struct ssh_key **keys; /* the run's key files, then targets' */
	size_t nkeys, akeys, ndefault;
	char *local_user, *home;
	struct conn *conns;
	struct pollfd *pfd; /* up to three per connection */
	struct conn **pfd_conn;
	struct ssh_names *names; /* host names resolved before the loop */
};

enum step { STEP_NEXT, STEP_WAIT, STEP_END };

static void fmt_secs(char *buf, size_t size, unsigned ms)
{
	snprintf(buf, size, "%g s", ms / 1000.0);
}

static void fmt_size(char *buf, size_t size, size_t n)
{
	if (n && n % ((size_t)1 << 20) == 0)
		snprintf(buf, size, "%zu MiB", n >> 20);
	else if (n && n % 1024 == 0)
		snprintf(buf, size, "%zu KiB", n >> 10);
	else
		snprintf(buf, size, "%zu bytes", n);
}

static enum step conn_fail(struct conn *c, enum ssh_state st,
			   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set the host's final state and its one-line message. */
static enum step conn_fail(struct conn *c, enum ssh_state st,
			   const char *fmt, ...)
{
	va_list ap;
	size_t i;

	c->state = st;
	ed_buf_reset(&c->msg);
	ed_buf_addf(&c->msg, "%s: ", c->t->name);
	if (c->cur == 0)
		ed_buf_addf(&c->msg, "bastion %s port %u: ",
			    c->hop[0].address, c->hop[0].port);
	va_start(ap, fmt);
	ed_buf_vaddf(&c->msg, fmt, ap);
	va_end(ap);
	for (i = 0; i < c->msg.len; i++) /* one line, whatever we quoted */
		if ((unsigned char)c->msg.ptr[i] < ' ')
			c->msg.ptr[i] = ' ';
	return STEP_END;
}

static const char *sess_err(LIBSSH2_SESSION *s)
{
	char *m = NULL;

	libssh2_session_last_error(s, &m, NULL, 0);
	return m && *m ? m : "unknown libssh2 error";
}

static short directions(LIBSSH2_SESSION *s)
{
	int dirs = libssh2_session_block_directions(s);
	short ev = 0;

	if (dirs & LIBSSH2_SESSION_BLOCK_INBOUND)
		ev |= POLLIN;
	if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND)
		ev |= POLLOUT;
	return ev;
}

/* After EAGAIN: wait for what libssh2 says it blocked on. */
static enum step conn_wait(struct conn *c)
{
	struct hop *h = &c->hop[c->cur];

	h->events = directions(h->s);
	c->spin = !h->events;
	if (!h->events)
		h->events = POLLIN;
	return STEP_WAIT;
}

/*
 * Host-key algorithms: what known_hosts holds for this host first
 * (libssh2 would otherwise pick ECDSA when only ed25519 is known), then
 * the other modern ones; RSA and DSA only when known_hosts has nothing
 * else for the host.
 */
static void hostkey_prefs(struct ed_buf *out, unsigned known)
{
	static const unsigned modern[] = { SSH_KEY_ED25519, SSH_KEY_ECDSA256,
					   SSH_KEY_ECDSA384,
					   SSH_KEY_ECDSA521 };
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

static enum step session_start(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	struct ed_buf prefs = ED_BUF_INIT;
	int rc;

	h->s = libssh2_session_init_ex(NULL, NULL, NULL, c);
	if (!h->s)
		return conn_fail(c, SSH_ERROR, "libssh2 cannot create a session");
	libssh2_session_set_blocking(h->s, 0);
	ssh_known_lookup(&h->known, r->known, h->address, h->port);
	hostkey_prefs(&prefs, h->known.types);
	rc = libssh2_session_method_pref(h->s, LIBSSH2_METHOD_HOSTKEY,
					 prefs.ptr);
	ed_buf_release(&prefs);
	if (rc)
		return conn_fail(c, SSH_ERROR, "cannot set host key algorithms: %s", sess_err(h->s));
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
		return conn_fail(c, SSH_UNREACHABLE, "cannot resolve '%s': %s",
				 h->address, rc == EAI_SYSTEM ? strerror(sys_errno) :
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

static enum step step_connect(struct run *r, struct conn *c, short revents)
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
			return session_start(r, c);
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
			return conn_fail(c, SSH_ERROR, "cannot create a socket: %s", strerror(errno));
		(void)setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
		if (connect(h->fd, (struct sockaddr *)&ss, sslen) == 0)
			return session_start(r, c);
		if (errno == EINPROGRESS) {
			h->events = POLLOUT;
			return STEP_WAIT;
		}
		h->conn_errno = errno;
		close(h->fd);
		h->fd = -1;
	}
	if (c->cur == 0) /* conn_fail names the bastion's address */
		return conn_fail(c, SSH_UNREACHABLE, "cannot connect: %s",
				 strerror(h->conn_errno));
	return conn_fail(c, SSH_UNREACHABLE, "cannot connect to %s port %u: %s",
			 h->address, h->port, strerror(h->conn_errno));
}

static void add_cred(struct hop *h, const struct agent_id *id,
		     const struct ssh_key *key)
{
	ED_ALLOC_GROW(h->creds, h->ncreds + 1, h->acreds);
	h->creds[h->ncreds].id = id;
	h->creds[h->ncreds].key = key;
	h->ncreds++;
}

static struct ssh_key *run_key(struct run *r, const char *path);

static int same_key(const struct ssh_key *k, const struct agent_id *id)
{
	return k->blob.len && k->blob.len == id->blob.len &&
	       !memcmp(k->blob.ptr, id->blob.ptr, k->blob.len);
}

/* Agent identities, then key files; RSA and DSA keys last. */
static void hop_creds(struct run *r, struct hop *h)
{
	struct ssh_key *own = h->key_file ? run_key(r, h->key_file) : NULL;
	size_t i, j, nkeys = own ? 1 : r->ndefault;
	int legacy, dup;

	for (legacy = 0; legacy < 2; legacy++) {
		for (i = 0; r->agent.fd >= 0 && i < r->agent.nr; i++)
			if (!!(r->agent.ids[i].type & SSH_KEY_LEGACY) == legacy)
				add_cred(h, &r->agent.ids[i], NULL);
		for (i = 0; i < nkeys; i++) {
			const struct ssh_key *k = own ? own : r->keys[i];

			if (k->why || !!(k->type & SSH_KEY_LEGACY) != legacy)
				continue;
			/* the agent already offered this key */
			for (j = 0, dup = 0; r->agent.fd >= 0 && j < r->agent.nr; j++)
				dup |= same_key(k, &r->agent.ids[j]);
			if (!dup)
				add_cred(h, NULL, k);
		}
	}
}

static enum step step_handshake(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	struct ed_buf why = ED_BUF_INIT;
	enum ssh_known_result res;
	const char *key;
	size_t len = 0;
	int rc, type;

	rc = libssh2_session_handshake(h->s, h->fd);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return conn_wait(c);
	/*
	 * Accepted, then closed before a word: sshd throttling (MaxStartups),
	 * tcp wrappers, a firewall proxy. No SSH server answered: unreachable.
	 */
	if ((rc == LIBSSH2_ERROR_BANNER_RECV || rc == LIBSSH2_ERROR_SOCKET_RECV ||
	     rc == LIBSSH2_ERROR_SOCKET_DISCONNECT) &&
	    !libssh2_session_banner_get(h->s))
		return conn_fail(c, SSH_UNREACHABLE, "connection closed before the SSH banner (sshd MaxStartups, tcp wrappers or not an SSH server?)");
	if (rc == LIBSSH2_ERROR_KEX_FAILURE)
		return conn_fail(c, SSH_UNSUPPORTED_KEY, "no host key algorithm in common (libssh2: %s): the server seems to offer only RSA host keys; %s", sess_err(h->s), rsa_why);
	if (rc)
		return conn_fail(c, SSH_ERROR, "SSH handshake failed: %s",
				 sess_err(h->s));
	key = libssh2_session_hostkey(h->s, &len, &type);
	if (!key)
		return conn_fail(c, SSH_ERROR, "no host key: %s",
				 sess_err(h->s));
	res = ssh_known_check_host(r->known, &h->known,
				   (const unsigned char *)key, len,
				   r->o.accept_new, &why);
	switch (res) {
	case SSH_KNOWN_MATCH:
		break;
	case SSH_KNOWN_ADDED:
		if (r->warnings)
			ed_strvec_pushf(r->warnings, "%s: %s", c->t->name,
					why.ptr);
		break;
	case SSH_KNOWN_NEW:
		conn_fail(c, SSH_HOSTKEY_UNKNOWN, "%s", why.ptr);
		break;
	case SSH_KNOWN_CHANGED:
		conn_fail(c, SSH_HOSTKEY_CHANGED, "%s", why.ptr);
		break;
	case SSH_KNOWN_FAILED:
		conn_fail(c, SSH_ERROR, "%s", why.ptr);
		break;
	}
	ed_buf_release(&why);
	if (res != SSH_KNOWN_MATCH && res != SSH_KNOWN_ADDED)
		return STEP_END;
	if (c->cur == 1)
		c->connected = 1;
	hop_creds(r, h);
	c->phase = PH_AUTH;
	return STEP_NEXT;
}

static LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC(agent_sign)
{
	struct conn *c = *abstract;
	const struct hop *h = &c->hop[c->cur];
	const struct agent_id *id = h->creds[h->cred].id;
	struct agent *a = &c->run->agent;
	struct ed_buf req = ED_BUF_INIT, resp = ED_BUF_INIT;
	const unsigned char *blob, *alg, *raw;
	size_t blen, alen, rlen;
	struct rd r;
	int rc = -1;

	(void)session;
	ed_buf_addch(&req, 13); /* SSH2_AGENTC_SIGN_REQUEST */
	ssh_put_str(&req, id->blob.ptr, id->blob.len);
	ssh_put_str(&req, data, data_len);
	ssh_put_u32(&req, 0);
	if (ssh_agent_call(a, &req, &resp) < 0 || resp.ptr[0] != 14)
		goto out;
	r.p = (const unsigned char *)resp.ptr + 1;
	r.left = resp.len - 1;
	if (ssh_rd_str(&r, &blob, &blen) < 0)
		goto out;
	r.p = blob;
	r.left = blen;
	if (ssh_rd_str(&r, &alg, &alen) < 0 || ssh_rd_str(&r, &raw, &rlen) < 0)
		goto out;
	/* libssh2 frees it with its allocator, the default malloc/free */
	*sig = malloc(rlen ? rlen : 1);
	if (!*sig)
		goto out;
	memcpy(*sig, raw, rlen);
	*sig_len = rlen;
	rc = 0;
out:
	ed_buf_release(&req);
	ed_buf_release(&resp);
	return rc;
}

static void cred_name(struct ed_buf *out, const struct cred *cr)
{
	if (cr->id)
		ed_buf_addf(out, "agent key '%s'", cr->id->comment);
	else
		ed_buf_adds(out, cr->key->path);
}

static enum step auth_exhausted(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];

	if (!h->ncreds) {
		const struct ssh_key *own = h->key_file ?
			run_key(r, h->key_file) : NULL;

		if (own && own->why)
			return conn_fail(c, SSH_AUTH_FAILED, "key %s: %s", own->path, own->why);
		return conn_fail(c, SSH_AUTH_FAILED, "no usable key for user '%s'", h->user);
	}
	if (h->tried_legacy && !h->tried_modern)
		return conn_fail(c, SSH_UNSUPPORTED_KEY, "RSA/DSA key rejected for user '%s' (%s): %s", h->user, h->tried.ptr, rsa_why);
	return conn_fail(c, SSH_AUTH_FAILED, "authentication failed for user '%s' (tried %s)%s%s", h->user, h->tried.ptr, h->tried_legacy ? "; " : "", h->tried_legacy ? rsa_why : "");
}

static enum step step_auth(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	const struct cred *cr;
	int rc;

	for (; h->cred < h->ncreds; h->cred++) {
		cr = &h->creds[h->cred];
		if (cr->id) {
			rc = libssh2_userauth_publickey(
				h->s, h->user,
				(const unsigned char *)cr->id->blob.ptr,
				cr->id->blob.len, agent_sign, &c->abstract);
		} else {
			rc = libssh2_userauth_publickey_frommemory(
				h->s, h->user, strlen(h->user),
				cr->key->pub.len ? cr->key->pub.ptr : NULL,
				cr->key->pub.len, cr->key->priv.ptr,
				cr->key->priv.len, NULL);
		}
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return conn_wait(c);
		if (rc == 0) {
			c->phase = c->cur == 0 ? PH_TUNNEL : PH_OPEN;
			return STEP_NEXT;
		}
		if (h->tried.len)
			ed_buf_adds(&h->tried, ", ");
		cred_name(&h->tried, cr);
		if ((cr->id ? cr->id->type : cr->key->type) & SSH_KEY_LEGACY)
			h->tried_legacy++;
		else
			h->tried_modern++;
		if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
		    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
			continue;
		if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NONE ||
		    rc == LIBSSH2_ERROR_INVAL) {
			/* this key file cannot be used by libssh2: say so */
			ed_buf_addf(&h->tried, " (%s)", sess_err(h->s));
			continue;
		}
		return conn_fail(c, SSH_AUTH_FAILED, "authentication failed for user '%s' after trying %s: %s", h->user, h->tried.ptr, sess_err(h->s));
	}
	return auth_exhausted(r, c);
}

/* Move bytes both ways between the pair and the bastion's channel. */
static enum step tunnel_pump(struct conn *c)
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
				else if (n == 0 || (errno != EAGAIN && errno != EINTR))
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
					if (directions(bs) & POLLOUT)
						tn->pending = PEND_WRITE;
				} else {
					return conn_fail(c, SSH_ERROR, "tunnel through bastion %s: %s", c->hop[0].address, sess_err(bs));
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
					if (directions(bs) & POLLOUT)
						tn->pending = PEND_READ;
				} else if (n == 0 || libssh2_channel_eof(tn->ch)) {
					/* the target hung up: its session sees EOF */
					tn->down_eof = 1;
					shutdown(tn->pair, SHUT_WR);
				} else {
					return conn_fail(c, SSH_ERROR, "tunnel through bastion %s: %s", c->hop[0].address, sess_err(bs));
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
	c->hop[0].events = directions(bs);
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
static enum step step_tunnel(struct run *r, struct conn *c)
{
	struct hop *b = &c->hop[0];
	int sv[2];

	c->tun.ch = libssh2_channel_direct_tcpip_ex(b->s, c->hop[1].address,
						    (int)c->hop[1].port,
						    "127.0.0.1", 22);
	if (!c->tun.ch) {
		if (libssh2_session_last_errno(b->s) == LIBSSH2_ERROR_EAGAIN)
			return conn_wait(c);
		return conn_fail(c, SSH_UNREACHABLE, "cannot reach %s port %u: %s", c->hop[1].address, c->hop[1].port, sess_err(b->s));
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		return conn_fail(c, SSH_ERROR, "socketpair: %s", strerror(errno));
	c->tun.pair = sv[1];
	c->cur = 1;
	c->hop[1].fd = sv[0];
	return session_start(r, c);
}

static enum step step_open(struct conn *c)
{
	LIBSSH2_SESSION *s = c->hop[1].s;

	c->ch = libssh2_channel_open_session(s);
	if (!c->ch) {
		if (libssh2_session_last_errno(s) == LIBSSH2_ERROR_EAGAIN)
			return conn_wait(c);
		return conn_fail(c, SSH_ERROR, "cannot open a channel: %s",
				 sess_err(s));
	}
	c->phase = PH_EXEC;
	return STEP_NEXT;
}

static enum step step_exec(struct conn *c)
{
	int rc;

	if (c->phase == PH_EXEC) {
		rc = libssh2_channel_exec(c->ch, c->t->command);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return conn_wait(c);
		if (rc)
			return conn_fail(c, SSH_ERROR, "cannot run the command: %s", sess_err(c->hop[1].s));
		c->phase = PH_EOF;
	}
	/* nothing on stdin: a command reading it sees EOF, not a hang */
	rc = libssh2_channel_send_eof(c->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return conn_wait(c);
	c->phase = PH_READ;
	return STEP_NEXT;
}

static enum step step_read(struct conn *c)
{
	char sink[16384];
	size_t room;
	ssize_t n, m;
	char lim[32];

	for (;;) {
		/* never hold more than the cap and one byte */
		room = c->max_bytes - c->out.len;
		room = room >= READ_CHUNK ? READ_CHUNK : room + 1;
		ed_buf_grow(&c->out, room);
		n = libssh2_channel_read(c->ch, c->out.ptr + c->out.len, room);
		if (n > 0) {
			ed_buf_setlen(&c->out, c->out.len + (size_t)n);
			if (c->out.len > c->max_bytes) {
				fmt_size(lim, sizeof(lim), c->max_bytes);
				return conn_fail(c, SSH_TOO_MUCH, "more than %s of output (--max-bytes)", lim);
			}
		} else if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) {
			return conn_fail(c, SSH_ERROR, "reading output: %s",
					 sess_err(c->hop[1].s));
		}
		/* stderr is drained too, or its window stalls the channel */
		m = libssh2_channel_read_stderr(c->ch, sink, sizeof(sink));
		if (m > 0 && c->err.len < ERR_KEEP)
			ed_buf_add(&c->err, sink,
				   (size_t)m < ERR_KEEP - c->err.len ?
					   (size_t)m : ERR_KEEP - c->err.len);
		else if (m < 0 && m != LIBSSH2_ERROR_EAGAIN)
			return conn_fail(c, SSH_ERROR, "reading errors: %s",
					 sess_err(c->hop[1].s));
		if (n <= 0 && m <= 0)
			break;
	}
	if (libssh2_channel_eof(c->ch) == 1) {
		c->phase = PH_WAIT_CLOSED;
		return STEP_NEXT;
	}
	return conn_wait(c);
}

static enum step step_close(struct conn *c)
{
	char *sig = NULL;
	size_t siglen = 0;
	int rc;

	if (c->phase == PH_WAIT_CLOSED) {
		/* the exit status comes before the server's close */
		rc = libssh2_channel_wait_closed(c->ch);
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return conn_wait(c);
		if (rc)
			return conn_fail(c, SSH_ERROR, "connection lost before the exit status: %s", sess_err(c->hop[1].s));
		c->phase = PH_CLOSE;
	}
	rc = libssh2_channel_close(c->ch);
	if (rc == LIBSSH2_ERROR_EAGAIN)
		return conn_wait(c);
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

static long long conn_due(const struct run *r, const struct conn *c,
			  long long now)
{
	long long due = c->deadline;

	if (!c->connected && c->connect_by < due)
		due = c->connect_by;
	if (r->o.keepalive_s && c->phase >= PH_READ && c->keepalive_at < due)
		due = c->keepalive_at;
	if (c->spin && now + SPIN_MS < due)
		due = now + SPIN_MS;
	return due;
}

static enum step conn_limits(struct run *r, struct conn *c, long long now)
{
	struct hop *h = &c->hop[c->cur];
	char lim[32];
	int secs = 0;

	if (now >= c->deadline) {
		fmt_secs(lim, sizeof(lim), (unsigned)(c->deadline - c->t0));
		return conn_fail(c, SSH_TIMED_OUT, "timed out %s (--deadline %s)", phase_what[c->phase], lim);
	}
	if (!c->connected && now >= c->connect_by) {
		fmt_secs(lim, sizeof(lim), (unsigned)(c->connect_by - c->t0));
		if (c->phase == PH_CONNECT)
			return conn_fail(c, SSH_TIMED_OUT, "timed out connecting to %s port %u (--connect-timeout %s)", h->address, h->port, lim);
		return conn_fail(c, SSH_TIMED_OUT, "timed out %s (--connect-timeout %s)", phase_what[c->phase], lim);
	}
	/* not while a send is half done: 1.10 would drop or repeat a packet */
	if (r->o.keepalive_s && c->phase >= PH_READ && now >= c->keepalive_at &&
	    !(h->events & POLLOUT)) {
		(void)libssh2_keepalive_send(h->s, &secs);
		c->keepalive_at = now + (secs > 0 ? secs : 1) * 1000LL;
	}
	return STEP_NEXT;
}

static void conn_end(struct run *r, struct conn *c);

static enum step conn_phase(struct run *r, struct conn *c, short revents)
{
	switch (c->phase) {
	case PH_CONNECT:
		return step_connect(r, c, revents);
	case PH_HANDSHAKE:
		return step_handshake(r, c);
	case PH_AUTH:
		return step_auth(r, c);
	case PH_TUNNEL:
		return step_tunnel(r, c);
	case PH_OPEN:
		return step_open(c);
	case PH_EXEC:
	case PH_EOF:
		return step_exec(c);
	case PH_READ:
		return step_read(c);
	case PH_WAIT_CLOSED:
	case PH_CLOSE:
		return step_close(c);
	case PH_IDLE:
		break;
	}
	ED_BUG("stepping an idle connection");
}

static void conn_step(struct run *r, struct conn *c, short revents)
{
	enum step st = conn_limits(r, c, now_ms());

	c->spin = 0;
	if (st == STEP_NEXT && c->tun.ch)
		st = tunnel_pump(c);
	while (st == STEP_NEXT) {
		st = conn_phase(r, c, revents);
		revents = 0;
	}
	/* send what the target's session just wrote to the pair */
	if (st == STEP_WAIT && c->tun.ch)
		st = tunnel_pump(c) == STEP_END ? STEP_END : STEP_WAIT;
	if (st == STEP_END)
		conn_end(r, c);
}

/* Free a hop; one that failed is cut off without goodbyes. */
static void hop_teardown(struct hop *h, int graceful)
{
	int i;

	if (h->s && graceful)
		(void)libssh2_session_disconnect(h->s, "done");
	else if (h->s && h->fd >= 0)
		shutdown(h->fd, SHUT_RDWR);
	/* after shutdown() every send fails at once, so no EAGAIN loop */
	for (i = 0; h->s && i < 3; i++)
		if (libssh2_session_free(h->s) != LIBSSH2_ERROR_EAGAIN)
			break;
	h->s = NULL;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	if (h->ai_list)
		freeaddrinfo(h->ai_list);
	h->ai_list = NULL;
	h->ai = NULL;
	h->resolved = 0;
	ed_buf_release(&h->tried);
	free(h->creds);
	h->creds = NULL;
	ssh_known_host_release(&h->known);
}

static void conn_teardown(struct conn *c)
{
	int ok = c->state == SSH_COLLECTED;

	if (c->ch)
		(void)libssh2_channel_free(c->ch);
	c->ch = NULL;
	hop_teardown(&c->hop[1], ok);
	if (c->tun.pair >= 0)
		close(c->tun.pair);
	if (c->tun.ch && c->hop[0].fd >= 0)
		shutdown(c->hop[0].fd, SHUT_RDWR);
	if (c->tun.ch)
		(void)libssh2_channel_free(c->tun.ch);
	c->tun.ch = NULL;
	hop_teardown(&c->hop[0], 0);
	ed_buf_release(&c->tun.up);
	ed_buf_release(&c->tun.down);
	free(c->jump);
	c->jump = NULL;
}

static void conn_end(struct run *r, struct conn *c)
{
	struct ssh_result res;

	conn_teardown(c);
	memset(&res, 0, sizeof(res));
	res.state = c->state;
	res.message = c->msg.ptr;
	res.exit_status = c->state == SSH_COLLECTED ? c->exit_status : -1;
	res.out = &c->out;
	res.err = &c->err;
	res.seconds = (double)(now_ms() - c->t0) / 1000.0;
	if (r->o.done)
		r->o.done(c->t, &res, r->o.arg);
	ed_buf_release(&c->out);
	ed_buf_release(&c->err);
	ed_buf_release(&c->msg);
	memset(c, 0, sizeof(*c));
	c->hop[0].fd = c->hop[1].fd = c->tun.pair = -1;
	c->phase = PH_IDLE;
	r->finished++;
}

/*
 * "[user@]host[:port]" (or ssh://...), split in place: *user NULL when
 * absent. IPv6 addresses need brackets to carry a port. NULL or why it
 * cannot be used.
 */
static const char *split_jump(char *s, char **user, char **address,
			      unsigned *port)
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
static const char *parse_jump(struct run *r, struct conn *c)
{
	struct hop *b = &c->hop[0];
	char *user, *address;
	const char *why = split_jump(c->jump, &user, &address, &b->port);

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

/*
 * Resolve every name the run connects to directly (targets, or their
 * bastion) before the loop starts.
 */
static void run_resolve(struct run *r)
{
	const char **hosts = ed_xcalloc(r->total ? r->total : 1, sizeof(*hosts));
	char **copies = ed_xcalloc(r->total ? r->total : 1, sizeof(*copies));
	size_t i;

	for (i = 0; i < r->total; i++) {
		const struct ssh_target *t = &r->targets[i];
		char *user, *address;
		unsigned port;

		if (!t->jump) {
			hosts[i] = t->address ? t->address : t->name;
			continue;
		}
		copies[i] = ed_xstrdup(t->jump);
		if (!split_jump(copies[i], &user, &address, &port))
			hosts[i] = address;
	}
	r->names = ssh_names_resolve(hosts, r->total);
	for (i = 0; i < r->total; i++)
		free(copies[i]);
	free(copies);
	free(hosts);
}

static void conn_start(struct run *r, struct conn *c,
		       const struct ssh_target *t)
{
	struct hop *h = &c->hop[1];
	const char *why;

	memset(c, 0, sizeof(*c));
	ed_buf_init(&c->out); /* ptr never NULL, even for the callback */
	ed_buf_init(&c->err);
	ed_buf_init(&c->msg);
	ed_buf_init(&c->hop[0].tried);
	ed_buf_init(&c->hop[1].tried);
	ed_buf_init(&c->tun.up);
	ed_buf_init(&c->tun.down);
	c->run = r;
	c->t = t;
	c->abstract = c;
	c->hop[0].fd = c->hop[1].fd = c->tun.pair = -1;
	c->cur = 1;
	c->phase = PH_CONNECT;
	h->address = t->address ? t->address : t->name;
	h->port = t->port ? t->port : 22;
	h->user = t->user ? t->user : r->local_user;
	h->key_file = t->key_file;
	c->t0 = now_ms();
	c->connect_by = c->t0 + (t->connect_timeout_ms ? t->connect_timeout_ms
						       : r->o.connect_timeout_ms);
	c->deadline = c->t0 + (t->deadline_ms ? t->deadline_ms : r->o.deadline_ms);
	c->max_bytes = t->max_bytes ? t->max_bytes : r->o.max_bytes;
	c->keepalive_at = c->t0 + r->o.keepalive_s * 1000LL;
	if (t->jump) {
		c->jump = ed_xstrdup(t->jump);
		why = parse_jump(r, c);
		if (why) {
			conn_fail(c, SSH_ERROR, "ProxyJump '%s': %s", t->jump, why);
			conn_end(r, c);
			return;
		}
		c->cur = 0;
	}
	if (!h->user) {
		conn_fail(c, SSH_ERROR, "no user name (the local user has none)");
		conn_end(r, c);
	} else if (!t->command) {
		conn_fail(c, SSH_ERROR, "no command to run");
		conn_end(r, c);
	} else {
		conn_step(r, c, 0);
	}
}

static void add_pfd(struct run *r, size_t *n, struct conn *c, int fd,
		    short events)
{
	r->pfd[*n].fd = fd;
	r->pfd[*n].events = events;
	r->pfd[*n].revents = 0;
	r->pfd_conn[(*n)++] = c;
}

static void run_loop(struct run *r)
{
	long long now, last_tick = now_ms(), due;
	size_t i, n;
	int timeout;

	while (r->finished < r->total) {
		for (i = 0; i < r->o.jobs; i++)
			while (r->conns[i].phase == PH_IDLE &&
			       r->started < r->total)
				conn_start(r, &r->conns[i],
					   &r->targets[r->started++]);
		now = now_ms();
		n = 0;
		due = now + (r->o.tick ? TICK_MS : 60000);
		for (i = 0; i < r->o.jobs; i++) {
			struct conn *c = &r->conns[i];
			long long d;

			if (c->phase == PH_IDLE)
				continue;
			add_pfd(r, &n, c, c->hop[c->cur].fd,
				c->hop[c->cur].events);
			if (c->tun.ch) {
				add_pfd(r, &n, c, c->hop[0].fd, c->hop[0].events);
				add_pfd(r, &n, c, c->tun.pair, c->tun.events);
			}
			d = conn_due(r, c, now);
			if (d < due)
				due = d;
		}
		if (!n)
			continue;
		timeout = due > now ? (int)(due - now) : 0;
		if (poll(r->pfd, n, timeout) < 0 && errno != EINTR)
			ED_BUG("poll: %s", strerror(errno));
		now = now_ms();
		for (i = 0; i < n; i++) {
			struct conn *c = r->pfd_conn[i];
			short rev = r->pfd[i].revents;

			/* a connection's other fds follow its first one */
			while (i + 1 < n && r->pfd_conn[i + 1] == c)
				rev |= r->pfd[++i].revents;
			if (c->phase == PH_IDLE)
				continue;
			if (rev || c->spin || now >= conn_due(r, c, now))
				conn_step(r, c, rev);
		}
		if (r->o.tick && now - last_tick >= TICK_MS) {
			r->o.tick(r->finished, r->total, r->o.arg);
			last_tick = now;
		}
	}
	if (r->o.tick)
		r->o.tick(r->finished, r->total, r->o.arg);
}

static char *expand_home(const struct run *r, const char *path)
{
	struct ed_buf b = ED_BUF_INIT;

	if (path[0] == '~' && (path[1] == '/' || !path[1])) {
		ed_buf_adds(&b, r->home);
		path++;
	}
	ed_buf_adds(&b, path);
	return ed_buf_detach(&b, NULL);
}

/* The key at path, read on first use and kept for the run. */
static struct ssh_key *run_key(struct run *r, const char *path)
{
	char *full = expand_home(r, path);
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (!strcmp(r->keys[i]->path, full))
			break;
	if (i == r->nkeys) {
		ED_ALLOC_GROW(r->keys, r->nkeys + 1, r->akeys);
		r->keys[r->nkeys++] = ssh_key_load(full);
	}
	free(full);
	return r->keys[i];
}

static int run_keys(struct run *r, struct ed_err *err)
{
	static const char *const defaults[] = { "~/.ssh/id_ed25519",
						"~/.ssh/id_ecdsa", NULL };
	const char *const *list = r->o.key_files ? r->o.key_files : defaults;
	struct ed_buf tried = ED_BUF_INIT;
	size_t i, usable = r->agent.fd >= 0 ? r->agent.nr : 0;
	int rc = 0;

	for (i = 0; list[i]; i++) {
		struct ssh_key *k = run_key(r, list[i]);

		if (k->why && r->o.key_files && !k->missing && k->priv.len == 0) {
			rc = ed_err_set(err, ED_EKEY, "key file %s: %s", k->path, k->why);
			goto out;
		}
		if (k->missing && r->o.key_files) {
			rc = ed_err_set(err, ED_EKEY, "key file %s: no such file", k->path);
			goto out;
		}
		if (k->why && !k->missing && r->warnings)
			ed_strvec_pushf(r->warnings, "key %s skipped: %s", k->path, k->why);
	}
	r->ndefault = r->nkeys;
	for (i = 0; i < r->ndefault; i++) {
		if (!r->keys[i]->why)
			usable++;
		ed_buf_addf(&tried, "%s%s (%s)", i ? ", " : "",
			    r->keys[i]->path, r->keys[i]->why ? r->keys[i]->why : "ok");
	}
	for (i = 0; !usable && i < r->total; i++)
		if (!r->targets[i].key_file) {
			rc = ed_err_set(err, ED_EKEY, "no usable SSH key: %s; key files: %s", r->agent.status ? r->agent.status : "ssh-agent unused", r->ndefault ? tried.ptr : "none");
			break;
		}
out:
	ed_buf_release(&tried);
	return rc;
}

static int run_prepare(struct run *r, struct ed_err *err)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sock = getenv("SSH_AUTH_SOCK");
	const char *user = pw ? pw->pw_name : getenv("USER");
	int rc;

	r->local_user = user ? ed_xstrdup(user) : NULL;
	r->home = ed_xstrdup(pw ? pw->pw_dir :
			     getenv("HOME") ? getenv("HOME") : "/");
	rc = ssh_known_load(&r->known, r->o.known_hosts, r->warnings, err);
	if (rc < 0)
		return rc;
	if (!r->o.use_agent)
		ssh_agent_close(&r->agent, "ssh-agent not used");
	else if (!sock || !*sock)
		ssh_agent_close(&r->agent, "SSH_AUTH_SOCK is not set");
	else
		ssh_agent_open(&r->agent, sock);
	if (r->o.use_agent && sock && *sock && r->agent.fd < 0 && r->warnings)
		ed_strvec_pushf(r->warnings, "ssh-agent at %s: %s", sock,
				r->agent.status);
	return run_keys(r, err);
}

/* Each session holds a socket (three with a bastion): stay under the fd limit. */
static void cap_jobs(struct run *r)
{
	struct rlimit rl;
	size_t i, per = 1, max;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	for (i = 0; i < r->total; i++)
		if (r->targets[i].jump)
			per = 3;
	max = rl.rlim_cur > 64 ? (size_t)(rl.rlim_cur - 64) / per : 1;
	if (r->o.jobs > max) {
		if (r->warnings)
			ed_strvec_pushf(r->warnings, "--jobs lowered from %u to %zu (open file limit %llu)", r->o.jobs, max, (unsigned long long)rl.rlim_cur);
		r->o.jobs = (unsigned)max;
	}
}

int ssh_run(const struct ssh_target *targets, size_t nr,
	    const struct ssh_opts *opts, struct ed_strvec *warnings,
	    struct ed_err *err)
{
	struct run r;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.agent.fd = -1;
	r.o = *opts;
	if (!r.o.jobs)
		r.o.jobs = 50;
	if (r.o.jobs > nr)
		r.o.jobs = nr ? (unsigned)nr : 1;
	if (!r.o.connect_timeout_ms)
		r.o.connect_timeout_ms = 10000;
	if (!r.o.deadline_ms)
		r.o.deadline_ms = 120000;
	if (!r.o.max_bytes)
		r.o.max_bytes = (size_t)256 << 20;
	r.targets = targets;
	r.total = nr;
	r.warnings = warnings;
	cap_jobs(&r);
	ssh_lib_init();
	rc = run_prepare(&r, err);
	if (rc < 0)
		goto out;
	r.conns = ed_xcalloc(r.o.jobs, sizeof(*r.conns));
	r.pfd = ed_xcalloc(ed_st_mult(r.o.jobs, 3), sizeof(*r.pfd));
	r.pfd_conn = ed_xcalloc(ed_st_mult(r.o.jobs, 3), sizeof(*r.pfd_conn));
	run_resolve(&r);
	run_loop(&r);
out:
	free(r.conns);
	free(r.pfd);
	free(r.pfd_conn);
	ssh_names_free(r.names);
	for (i = 0; i < r.nkeys; i++)
		ssh_key_free(r.keys[i]);
	free(r.keys);
	ssh_agent_release(&r.agent);
	ssh_known_free(r.known);
	free(r.local_user);
	free(r.home);
	return rc;
}
