/*
 * The fleet transport: one thread drives up to opts->jobs non-blocking
 * libssh2 sessions with poll(). Each host walks connect, handshake,
 * host-key check, auth, exec, read, close; any libssh2 call may return
 * EAGAIN, after which the host waits for the directions libssh2 reports.
 * Key files and known_hosts are read once per run, and ssh-agent is
 * spoken to directly over one connection (ssh_agent.c), so a host costs the
 * handshake and one signature of CPU here. This file holds the loop and
 * the run; each phase's step is in ssh_connect.c, ssh_auth.c,
 * ssh_tunnel.c or ssh_channel.c.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>

#include "core/alloc.h"

#define TICK_MS 200
#define SPIN_MS \
 10 /* retry delay when libssh2 says EAGAIN but names no direction */

static const char *const phase_what[] = {
	"",
	"connecting",
	"in the SSH handshake",
	"authenticating",
	"opening the tunnel",
	"opening a channel",
	"starting the command",
	"starting the command",
	"reading output",
	"waiting for the command to exit",
	"closing the channel",
	"running ssh",
};

static void fmt_secs(char *buf, size_t size, unsigned ms)
{
	snprintf(buf, size, "%g s", ms / 1000.0);
}

static long long conn_due(const struct run *r, const struct conn *c, long long now)
{
	long long due = c->deadline;

	if (!c->connected && c->connect_by < due)
		due = c->connect_by;
	if (r->o.keepalive_s && !c->openssh && c->phase >= PH_READ &&
	    c->keepalive_at < due)
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
		return ssh_conn_fail(c, SSH_TIMED_OUT,
				     "timed out %s (--deadline %s)",
				     c->phase == PH_READ && !c->in_done ?
					     "sending input" :
					     phase_what[c->phase],
				     lim);
	}
	if (!c->connected && now >= c->connect_by) {
		fmt_secs(lim, sizeof(lim), (unsigned)(c->connect_by - c->t0));
		if (c->phase == PH_CONNECT)
			return ssh_conn_fail(
				c, SSH_TIMED_OUT,
				"timed out connecting to %s port %u (--connect-timeout %s)",
				h->address, h->port, lim);
		return ssh_conn_fail(c, SSH_TIMED_OUT,
				     "timed out %s (--connect-timeout %s)",
				     phase_what[c->phase], lim);
	}
	/* not while a send is half done: 1.10 would drop or repeat a packet */
	if (r->o.keepalive_s && !c->openssh && c->phase >= PH_READ &&
	    now >= c->keepalive_at && !(h->events & POLLOUT)) {
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
		return ssh_step_connect(r, c, revents);
	case PH_HANDSHAKE:
		return ssh_step_handshake(r, c);
	case PH_AUTH:
		return ssh_step_auth(r, c);
	case PH_TUNNEL:
		return ssh_step_tunnel(r, c);
	case PH_OPEN:
		return ssh_step_open(c);
	case PH_EXEC:
	case PH_EOF:
		return ssh_step_exec(c);
	case PH_READ:
		return ssh_step_read(c);
	case PH_WAIT_CLOSED:
	case PH_CLOSE:
		return ssh_step_close(c);
	case PH_PROC:
		return ssh_step_proc(c);
	case PH_IDLE:
		break;
	}
	ED_BUG("stepping an idle connection");
}

static void conn_step(struct run *r, struct conn *c, short revents)
{
	enum step st = conn_limits(r, c, ssh_now_ms());

	c->spin = 0;
	if (st == STEP_NEXT && c->tun.ch)
		st = ssh_tunnel_pump(c);
	while (st == STEP_NEXT) {
		st = conn_phase(r, c, revents);
		revents = 0;
	}
	/* send what the target's session just wrote to the pair */
	if (st == STEP_WAIT && c->tun.ch)
		st = ssh_tunnel_pump(c) == STEP_END ? STEP_END : STEP_WAIT;
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
	ssh_proc_kill(&c->proc);
	if (c->tun.pair >= 0)
		close(c->tun.pair);
	c->tun.pair = -1;
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

/*
 * After a libssh2 failure OpenSSH may not have (rsa-sha2, a certificate,
 * an auth method): the same host once more over the ssh client, within
 * the same deadline.
 */
static enum step conn_retry(struct run *r, struct conn *c)
{
	conn_teardown(c);
	c->retried = ed_xstrdup(c->msg.ptr);
	ed_buf_reset(&c->out);
	ed_buf_reset(&c->err);
	ed_buf_reset(&c->msg);
	c->state = SSH_COLLECTED;
	c->cur = 1;
	c->pending = PEND_NONE;
	return ssh_openssh_start(r, c);
}

static void conn_end(struct run *r, struct conn *c)
{
	struct ssh_result res;

	if (r->ssh_path && ssh_openssh_retryable(c) && conn_retry(r, c) != STEP_END)
		return;
	conn_teardown(c);
	if (c->retried && c->state != SSH_COLLECTED) {
		/* both failures: libssh2's names the keys it tried */
		size_t skip = strlen(c->t->name) + 2;

		ed_buf_addf(&c->msg, "; libssh2 before it: %s",
			    strlen(c->retried) > skip ? c->retried + skip :
							c->retried);
	}
	memset(&res, 0, sizeof(res));
	res.state = c->state;
	res.message = c->msg.ptr;
	res.exit_status = c->state == SSH_COLLECTED ? c->exit_status : -1;
	res.out = &c->out;
	res.err = &c->err;
	res.seconds = (double)(ssh_now_ms() - c->t0) / 1000.0;
	res.transport = c->openssh ? SSH_TRANSPORT_OPENSSH : SSH_TRANSPORT_LIBSSH2;
	res.retried = c->retried;
	if (r->o.done)
		r->o.done(c->t, &res, r->o.arg);
	ed_buf_release(&c->out);
	ed_buf_release(&c->err);
	ed_buf_release(&c->msg);
	free(c->retried);
	ed_buf_release(&c->more);
	memset(c, 0, sizeof(*c));
	c->hop[0].fd = c->hop[1].fd = c->tun.pair = -1;
	c->proc.in = c->proc.out = c->proc.err = -1;
	c->phase = PH_IDLE;
	r->finished++;
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
		if (!ssh_split_jump(copies[i], &user, &address, &port))
			hosts[i] = address;
	}
	r->names = ssh_names_resolve(hosts, r->total);
	for (i = 0; i < r->total; i++)
		free(copies[i]);
	free(copies);
	free(hosts);
}

static void conn_start(struct run *r, struct conn *c, const struct ssh_target *t)
{
	struct hop *h = &c->hop[1];
	const char *why;

	memset(c, 0, sizeof(*c));
	ed_buf_init(&c->out); /* ptr never NULL, even for the callback */
	ed_buf_init(&c->err);
	ed_buf_init(&c->msg);
	ed_buf_init(&c->more);
	ed_buf_init(&c->hop[0].tried);
	ed_buf_init(&c->hop[1].tried);
	ed_buf_init(&c->tun.up);
	ed_buf_init(&c->tun.down);
	c->run = r;
	c->t = t;
	c->abstract = c;
	c->hop[0].fd = c->hop[1].fd = c->tun.pair = -1;
	c->proc.in = c->proc.out = c->proc.err = -1;
	c->cur = 1;
	c->phase = PH_CONNECT;
	h->address = t->address ? t->address : t->name;
	h->port = t->port ? t->port : 22;
	h->user = t->user ? t->user : r->local_user;
	h->key_file = t->key_file;
	c->t0 = ssh_now_ms();
	c->connect_by = c->t0 + (t->connect_timeout_ms ? t->connect_timeout_ms :
							 r->o.connect_timeout_ms);
	c->deadline =
		c->t0 + (t->deadline_ms ? t->deadline_ms : r->o.deadline_ms);
	c->max_bytes = t->max_bytes ? t->max_bytes : r->o.max_bytes;
	c->keepalive_at = c->t0 + r->o.keepalive_s * 1000LL;
	/* never an option to ssh(1) (CVE-2017-1000117); the plan refuses too */
	if (h->address[0] == '-' || (h->user && h->user[0] == '-')) {
		ssh_conn_fail(c, SSH_ERROR, "%s '%s' starts with '-': refused",
			      h->address[0] == '-' ? "address" : "user",
			      h->address[0] == '-' ? h->address : h->user);
		conn_end(r, c);
		return;
	}
	if (t->transport == SSH_TRANSPORT_OPENSSH) {
		if (t->command && ssh_openssh_start(r, c) != STEP_END)
			return;
		if (!t->command)
			ssh_conn_fail(c, SSH_ERROR, "no command to run");
		conn_end(r, c);
		return;
	}
	if (t->jump) {
		c->jump = ed_xstrdup(t->jump);
		why = ssh_parse_jump(r, c);
		if (why) {
			ssh_conn_fail(c, SSH_ERROR, "ProxyJump '%s': %s",
				      t->jump, why);
			conn_end(r, c);
			return;
		}
		c->cur = 0;
	}
	if (!h->user) {
		ssh_conn_fail(c, SSH_ERROR,
			      "no user name (the local user has none)");
		conn_end(r, c);
	} else if (!t->command) {
		ssh_conn_fail(c, SSH_ERROR, "no command to run");
		conn_end(r, c);
	} else {
		conn_step(r, c, 0);
	}
}

static void add_pfd(struct run *r, size_t *n, struct conn *c, int fd, short events)
{
	r->pfd[*n].fd = fd;
	r->pfd[*n].events = events;
	r->pfd[*n].revents = 0;
	r->pfd_conn[(*n)++] = c;
}

static void run_loop(struct run *r)
{
	long long now, last_tick = ssh_now_ms(), due;
	size_t i, n;
	int timeout;

	while (r->finished < r->total) {
		for (i = 0; i < r->o.jobs; i++)
			while (r->conns[i].phase == PH_IDLE &&
			       r->started < r->total)
				conn_start(r, &r->conns[i],
					   &r->targets[r->started++]);
		now = ssh_now_ms();
		n = 0;
		due = now + (r->o.tick ? TICK_MS : 60000);
		for (i = 0; i < r->o.jobs; i++) {
			struct conn *c = &r->conns[i];
			long long d;

			if (c->phase == PH_IDLE)
				continue;
			if (c->openssh) {
				short ev[3];

				ssh_openssh_events(c, ev);
				add_pfd(r, &n, c, c->proc.in, ev[0]);
				add_pfd(r, &n, c, c->proc.out, ev[1]);
				add_pfd(r, &n, c, c->proc.err, ev[2]);
			} else {
				add_pfd(r, &n, c, c->hop[c->cur].fd,
					c->hop[c->cur].events);
			}
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
		now = ssh_now_ms();
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

static int run_prepare(struct run *r, struct ed_err *err)
{
	struct passwd *pw = getpwuid(getuid());
	const char *sock = getenv("SSH_AUTH_SOCK");
	const char *user = pw ? pw->pw_name : getenv("USER");
	int rc, need_ssh = 0, need_lib = 0;
	size_t i;

	r->local_user = user ? ed_xstrdup(user) : NULL;
	r->home = ed_xstrdup(pw             ? pw->pw_dir :
			     getenv("HOME") ? getenv("HOME") :
					      "/");
	for (i = 0; i < r->total; i++) {
		if (r->targets[i].transport != SSH_TRANSPORT_LIBSSH2)
			need_ssh = 1;
		if (r->targets[i].transport != SSH_TRANSPORT_OPENSSH)
			need_lib = 1;
	}
	if (need_ssh)
		r->ssh_path = ssh_proc_which(r->o.ssh_program ? r->o.ssh_program :
								"ssh");
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
	/* the ssh client reads its own keys */
	return need_lib ? ssh_run_keys(r, err) : 0;
}

/* Each session holds a socket (three with a bastion): stay under the fd limit. */
static void cap_jobs(struct run *r)
{
	struct rlimit rl;
	size_t i, per = 1, max;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	/* a bastion: three sockets; ssh(1): three pipes */
	for (i = 0; i < r->total; i++)
		if (r->targets[i].jump ||
		    r->targets[i].transport != SSH_TRANSPORT_LIBSSH2)
			per = 3;
	max = rl.rlim_cur > 64 ? (size_t)(rl.rlim_cur - 64) / per : 1;
	if (r->o.jobs > max) {
		if (r->warnings)
			ed_strvec_pushf(r->warnings,
					"--jobs lowered from %u to %zu (open file limit %llu)",
					r->o.jobs, max,
					(unsigned long long)rl.rlim_cur);
		r->o.jobs = (unsigned)max;
	}
}

int ssh_run(const struct ssh_target *targets, size_t nr,
	    const struct ssh_opts *opts, struct ed_strvec *warnings,
	    struct ed_err *err)
{
	sigset_t pipe_set, old_mask;
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
	/* a write to a pipe whose ssh exited is EPIPE, not death */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
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
	free(r.ssh_path);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}
