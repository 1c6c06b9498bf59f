/*
 * The SSH transport against a real OpenSSH sshd on 127.0.0.1 (no mocks):
 * throw-away host and user keys in a mkdtemp directory, one sshd with
 * ed25519 and ECDSA host keys and one with an RSA host key only, both
 * started here and stopped by PID. Without /usr/sbin/sshd the group setup
 * fails, so every test fails: nothing is skipped silently. The last group
 * tests the ~/.ssh/config parser, which needs no server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netdb.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/fleet/internal.h"
#include "core/alloc.h"
#include "tests/unit/helpers.h"

#include <openssl/evp.h>

#define SSHD "/usr/sbin/sshd"

struct fx {
	char dir[64];
	pid_t sshd, sshd_rsa;
	unsigned port, port_rsa;
	struct ed_buf known;   /* known_hosts with the ed25519 host key only */
	struct ed_buf key;     /* authorized ed25519 user key */
	struct ed_buf key_rsa; /* authorized RSA user key */
	struct ed_buf key_bad; /* ed25519 key not in authorized_keys */
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	struct ed_buf cmd = ED_BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ed_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd.ptr);
	if (rc != 0)
		fprintf(stderr, "test_ssh: failed (%d): %s\n", rc, cmd.ptr);
	ed_buf_release(&cmd);
	return rc;
}

static char *read_text(const char *path)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	if (ed_buf_read_file(&b, path, 1 << 20, &err) < 0)
		return ed_xstrdup("");
	return ed_buf_detach(&b, NULL);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* "type base64" of a .pub file (its first two fields). */
static char *pub_key(const char *dir, const char *name)
{
	struct ed_buf path = ED_BUF_INIT;
	char *text, *sp;

	ed_buf_addf(&path, "%s/%s.pub", dir, name);
	text = read_text(path.ptr);
	ed_buf_release(&path);
	sp = strchr(text, ' ');
	if (sp)
		sp = strchr(sp + 1, ' ');
	if (!sp)
		sp = strchr(text, '\n');
	if (sp)
		*sp = '\0';
	return text;
}

/* A port nothing listens on now (the kernel's choice, released). */
static unsigned free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int port_accepts(unsigned port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Try 22800 + pid % 1000 first, as the other loopback tests do. */
static unsigned pick_port(unsigned avoid)
{
	unsigned base = 22800 + (unsigned)getpid() % 1000, i;

	for (i = 0; i < 50; i++) {
		unsigned p = base + i * 7;
		struct sockaddr_in sa;
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

		if (p == avoid)
			continue;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)p);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		if (fd >= 0)
			close(fd);
		if (ok)
			return p;
	}
	return free_port();
}

static void stop_pid(pid_t pid)
{
	int i, status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (i = 0; i < 40; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return;
		usleep(50 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* sshd -D in the background; returns its pid once the port accepts. */
static pid_t start_sshd(const char *dir, const char *name, unsigned port,
			const char *hostkeys)
{
	struct ed_buf cfg = ED_BUF_INIT, path = ED_BUF_INIT, log = ED_BUF_INIT;
	pid_t pid;
	int i, status;
	char *text;

	ed_buf_addf(&cfg,
		    "ListenAddress 127.0.0.1:%u\n%s"
		    "PidFile %s/%s.pid\n"
		    "AuthorizedKeysFile %s/authorized_keys\n"
		    "StrictModes no\nUsePAM no\n"
		    "PermitRootLogin prohibit-password\n"
		    "PasswordAuthentication no\n"
		    "KbdInteractiveAuthentication no\n"
		    /* bash skips ~/.bashrc: see doc/DESIGN-NOTES.md §2.4 */
		    "SetEnv SHLVL=1\n"
		    "MaxStartups 100:30:200\nLogLevel ERROR\n",
		    port, hostkeys, dir, name, dir);
	ed_buf_addf(&path, "%s/%s_config", dir, name);
	ed_buf_addf(&log, "%s/%s.log", dir, name);
	ut_write_text(path.ptr, cfg.ptr, 0644);
	pid = fork();
	if (pid == 0) {
		execl(SSHD, SSHD, "-D", "-f", path.ptr, "-E", log.ptr,
		      (char *)NULL);
		_exit(127);
	}
	for (i = 0; pid > 0 && i < 100; i++) { /* at most 5 s */
		if (port_accepts(port))
			goto out;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			text = read_text(log.ptr);
			fprintf(stderr, "test_ssh: %s exited (status %d): %s\n",
				SSHD, status, text);
			free(text);
			pid = -1;
			goto out;
		}
		usleep(50 * 1000);
	}
	fprintf(stderr, "test_ssh: %s did not listen on port %u\n", SSHD, port);
	stop_pid(pid);
	pid = -1;
out:
	ed_buf_release(&cfg);
	ed_buf_release(&path);
	ed_buf_release(&log);
	return pid;
}

static int group_setup(void **state)
{
	struct fx *f = ed_xcalloc(1, sizeof(*f));
	struct ed_buf hk = ED_BUF_INIT;
	char *pub;
	int rc = -1;

	*state = f;
	ed_buf_init(&f->known);
	ed_buf_init(&f->key);
	ed_buf_init(&f->key_rsa);
	ed_buf_init(&f->key_bad);
	if (access(SSHD, X_OK) != 0) {
		fprintf(stderr,
			"test_ssh: %s is missing: install openssh-server (make deps)\n",
			SSHD);
		return -1;
	}
	strcpy(f->dir, "/tmp/envdrift-ssh-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	mkdir("/run/sshd", 0755);
	if (sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f host_ed25519 && "
	       "ssh-keygen -q -t ecdsa -N '' -f host_ecdsa && "
	       "ssh-keygen -q -t rsa -b 2048 -N '' -f host_rsa && "
	       "ssh-keygen -q -t ed25519 -N '' -C user -f id_ed25519 && "
	       "ssh-keygen -q -t rsa -b 2048 -N '' -C rsauser -f id_rsa && "
	       "ssh-keygen -q -t ed25519 -N '' -C other -f id_other && "
	       "ssh-keygen -q -t ecdsa -N '' -f id_ecdsa && "
	       "ssh-keygen -q -t ecdsa -m PEM -N '' -f id_ecdsa_pem && "
	       "ssh-keygen -q -t ed25519 -N secret -f id_enc && "
	       "cat id_ed25519.pub id_rsa.pub id_ecdsa.pub id_ecdsa_pem.pub "
	       "id_enc.pub > authorized_keys && rm id_ecdsa_pem.pub",
	       f->dir))
		goto out;
	ed_buf_addf(&f->key, "%s/id_ed25519", f->dir);
	ed_buf_addf(&f->key_rsa, "%s/id_rsa", f->dir);
	ed_buf_addf(&f->key_bad, "%s/id_other", f->dir);

	f->port = pick_port(0);
	ed_buf_addf(&hk, "HostKey %s/host_ed25519\nHostKey %s/host_ecdsa\n",
		    f->dir, f->dir);
	f->sshd = start_sshd(f->dir, "sshd", f->port, hk.ptr);
	f->port_rsa = pick_port(f->port);
	ed_buf_reset(&hk);
	ed_buf_addf(&hk, "HostKey %s/host_rsa\n", f->dir);
	f->sshd_rsa = start_sshd(f->dir, "sshd_rsa", f->port_rsa, hk.ptr);
	if (f->sshd < 0 || f->sshd_rsa < 0)
		goto out;

	/* only the ed25519 host key: libssh2 alone would pick ECDSA */
	pub = pub_key(f->dir, "host_ed25519");
	ed_buf_addf(&f->known, "%s/known_hosts", f->dir);
	{
		struct ed_buf line = ED_BUF_INIT;

		ed_buf_addf(&line, "[127.0.0.1]:%u %s\n", f->port, pub);
		ut_write_text(f->known.ptr, line.ptr, 0644);
		ed_buf_release(&line);
	}
	free(pub);
	rc = 0;
out:
	ed_buf_release(&hk);
	return rc;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	stop_pid(f->sshd);
	stop_pid(f->sshd_rsa);
	if (f->dir[0])
		sh("rm -rf %s", f->dir);
	ed_buf_release(&f->known);
	ed_buf_release(&f->key);
	ed_buf_release(&f->key_rsa);
	ed_buf_release(&f->key_bad);
	free(f);
	return 0;
}

/* What done() reported per target (indexed by target data). */
struct one {
	int seen;
	enum ssh_state state;
	int exit_status;
	char *out, *err, *msg;
};

struct got {
	struct one *v;
	size_t n, ended;
	const char *jump;  /* ProxyJump for every target */
	const char *input; /* standard input for every target (NULL: none) */
	size_t input_len;
	const char *const *addresses; /* cycled through; NULL: 127.0.0.1 */
};

static void on_done(const struct ssh_target *t, struct ssh_result *r, void *arg)
{
	struct got *g = arg;
	struct one *o = &g->v[(uintptr_t)t->data];

	assert_int_equal(o->seen, 0); /* each host ends exactly once */
	assert_non_null(r->message);
	assert_non_null(r->out->ptr); /* ed_buf's invariant, even on failure */
	assert_non_null(r->err->ptr);
	assert_true(!strncmp(r->message, t->name, strlen(t->name)));
	assert_null(strchr(r->message, '\n'));
	o->seen = 1;
	o->state = r->state;
	o->exit_status = r->exit_status;
	o->out = ed_buf_detach(r->out, NULL); /* the callback takes them */
	o->err = ed_buf_detach(r->err, NULL);
	o->msg = ed_xstrdup(r->message);
	g->ended++;
}

static void got_release(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		free(g->v[i].out);
		free(g->v[i].err);
		free(g->v[i].msg);
	}
	free(g->v);
	g->v = NULL;
	g->n = g->ended = 0;
}

static void base_opts(const struct fx *f, struct ssh_opts *o, const char **keys)
{
	memset(o, 0, sizeof(*o));
	keys[0] = f->key.ptr;
	keys[1] = NULL;
	o->jobs = 10;
	o->connect_timeout_ms = 5000;
	o->deadline_ms = 20000;
	o->known_hosts = f->known.ptr;
	o->key_files = keys;
	o->done = on_done;
}

/* Run cmd on n targets at 127.0.0.1:port; returns ssh_run's result. */
static int run_n(struct got *g, size_t n, unsigned port, const char *cmd,
		 struct ssh_opts *o, struct ed_strvec *warnings,
		 struct ed_err *err)
{
	struct ssh_target *t = ed_xcalloc(n, sizeof(*t));
	struct ed_strvec names = ED_STRVEC_INIT;
	size_t i;
	int rc;

	g->v = ed_xcalloc(n, sizeof(*g->v));
	g->n = n;
	for (i = 0; i < n; i++)
		ed_strvec_pushf(&names, "h%zu", i);
	for (i = 0; i < n; i++) {
		t[i].name = names.v[i];
		t[i].address = "127.0.0.1";
		if (g->addresses) {
			size_t k = 0;

			while (g->addresses[k])
				k++;
			t[i].address = g->addresses[i % k];
		}
		t[i].port = port;
		t[i].command = cmd;
		t[i].jump = g->jump;
		t[i].input = g->input;
		t[i].input_len = g->input_len;
		t[i].data = (void *)(uintptr_t)i;
	}
	o->arg = g;
	rc = ssh_run(t, n, o, warnings, err);
	if (rc == 0)
		assert_int_equal(g->ended, n);
	ed_strvec_release(&names);
	free(t);
	return rc;
}

static void expect_all(const struct got *g, enum ssh_state st)
{
	size_t i;

	for (i = 0; i < g->n; i++) {
		if (g->v[i].state != st)
			fprintf(stderr, "test_ssh: host %zu: %s (want %s)\n", i,
				g->v[i].msg, ssh_state_name(st));
		assert_int_equal(g->v[i].state, st);
	}
}

static void test_ssh_runs_a_command_on_several_hosts(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	base_opts(f, &o, keys);
	assert_int_equal(run_n(&g, 3, f->port, "echo hi; echo err >&2; exit 3",
			       &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	for (i = 0; i < 3; i++) {
		assert_string_equal(g.v[i].out, "hi\n");
		assert_string_equal(g.v[i].err, "err\n");
		assert_int_equal(g.v[i].exit_status, 3);
		assert_non_null(strstr(g.v[i].msg, "exit status 3"));
	}
	got_release(&g);
}

static void test_ssh_twenty_hosts_four_at_a_time(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	base_opts(f, &o, keys);
	o.jobs = 4;
	assert_int_equal(run_n(&g, 20, f->port, "echo $((6*7))", &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	for (i = 0; i < 20; i++)
		assert_string_equal(g.v[i].out, "42\n");
	got_release(&g);
}

static void test_ssh_closed_port_is_unreachable(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	assert_int_equal(run_n(&g, 1, free_port(), "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_UNREACHABLE);
	assert_non_null(
		strstr(g.v[0].msg, "h0: cannot connect to 127.0.0.1 port "));
	assert_non_null(strstr(g.v[0].msg, "refused"));
	got_release(&g);
}

/* A TCP socket listening on 127.0.0.1 at a free port (*port). */
static int listen_loopback(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_ssh_silent_server_hits_connect_timeout(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	unsigned port;
	int fd = listen_loopback(&port);
	long long t0;

	/* it listens but never accepts nor speaks: the banner never comes */
	base_opts(f, &o, keys);
	o.connect_timeout_ms = 500;
	t0 = ut_now_ms();
	assert_int_equal(run_n(&g, 1, port, "true", &o, NULL, &err), 0);
	assert_true(ut_now_ms() - t0 < 3000);
	expect_all(&g, SSH_TIMED_OUT);
	assert_non_null(strstr(g.v[0].msg, "(--connect-timeout 0.5 s)"));
	close(fd);
	got_release(&g);
}

/* accepted, then closed at once: no SSH server answered */
static void test_ssh_closed_before_banner_is_unreachable(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	unsigned port;
	int fd = listen_loopback(&port), st = 0;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int c;

		alarm(10);
		c = accept(fd, NULL, NULL);
		_exit(c < 0 || close(c) < 0);
	}
	base_opts(f, &o, keys);
	o.connect_timeout_ms = 5000;
	assert_int_equal(run_n(&g, 1, port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_UNREACHABLE);
	assert_non_null(strstr(g.v[0].msg, "closed before the SSH banner"));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(fd);
	got_release(&g);
}

/* Names are looked up once each before the loop, in threads. */
static void test_ssh_names_resolved_before_the_loop(void **state)
{
	static const char *const hosts[] = {
		"localhost", "127.0.0.1", NULL, "no-such-host.invalid",
		"localhost", "::1",
	};
	static const char *const addrs[] = { "localhost",
					     "no-such-host.invalid", NULL };
	struct ssh_names *names = ssh_names_resolve(hosts, 6);
	const struct addrinfo *ai = NULL;
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	size_t i;
	int e = 0;

	assert_int_equal(ssh_names_find(names, "localhost", &ai, &e), 0);
	assert_non_null(ai);
	assert_int_equal(ssh_names_find(names, "127.0.0.1", &ai, &e), -1);
	assert_int_equal(ssh_names_find(names, "::1", &ai, &e), -1);
	assert_true(ssh_names_find(names, "no-such-host.invalid", &ai, &e) > 0 ||
		    ssh_names_find(names, "no-such-host.invalid", &ai, &e) < -1);
	ssh_names_free(names);

	/* 12 hosts by name: localhost gets to the host key check (its key is
	 * known only as 127.0.0.1), the other fails to resolve */
	base_opts(f, &o, keys);
	g.addresses = addrs;
	assert_int_equal(run_n(&g, 12, f->port, "true", &o, NULL, &err), 0);
	for (i = 0; i < 12; i++) {
		if (i % 2 == 0) {
			assert_int_equal(g.v[i].state, SSH_HOSTKEY_UNKNOWN);
			assert_non_null(strstr(g.v[i].msg, "localhost"));
		} else {
			assert_int_equal(g.v[i].state, SSH_UNREACHABLE);
			assert_non_null(
				strstr(g.v[i].msg,
				       "cannot resolve 'no-such-host.invalid'"));
		}
	}
	got_release(&g);
}

static void test_ssh_unknown_host_key_is_refused(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT, fp = ED_BUF_INIT;
	char *text;

	ed_buf_addf(&path, "%s/known_empty", f->dir);
	ut_write_text(path.ptr, "", 0644);
	base_opts(f, &o, keys);
	o.known_hosts = path.ptr;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_HOSTKEY_UNKNOWN);
	/* ed25519 first, and the fingerprint ssh-keygen -l prints */
	ed_buf_addf(&fp,
		    "cd %s && ssh-keygen -lf host_ed25519.pub | cut -d' ' -f2 > fp",
		    f->dir);
	assert_int_equal(system(fp.ptr), 0);
	ed_buf_reset(&fp);
	ed_buf_addf(&fp, "%s/fp", f->dir);
	text = read_text(fp.ptr);
	text[strcspn(text, "\n")] = '\0';
	assert_non_null(strstr(g.v[0].msg, "host key unknown: ssh-ed25519 "));
	assert_non_null(strstr(g.v[0].msg, text));
	free(text);
	text = read_text(path.ptr);
	assert_string_equal(text, "");
	free(text);
	ed_buf_release(&path);
	ed_buf_release(&fp);
	got_release(&g);
}

static void test_ssh_accept_new_appends_one_line(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec w = ED_STRVEC_INIT;
	struct ed_buf path = ED_BUF_INIT, want = ED_BUF_INIT;
	char *text, *pub;

	ed_buf_addf(&path, "%s/known_new", f->dir);
	unlink(path.ptr);
	base_opts(f, &o, keys);
	o.known_hosts = path.ptr;
	o.accept_new = 1;
	/* three hosts at the same address in one run: one line */
	assert_int_equal(run_n(&g, 3, f->port, "echo ok", &o, &w, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	got_release(&g);
	assert_int_equal(w.nr, 1);
	assert_non_null(strstr(w.v[0], "added [127.0.0.1]:"));
	text = read_text(path.ptr);
	pub = pub_key(f->dir, "host_ed25519");
	ed_buf_addf(&want, "[127.0.0.1]:%u %s\n", f->port, pub);
	assert_string_equal(text, want.ptr);
	free(text);
	free(pub);

	o.accept_new = 0;
	assert_int_equal(run_n(&g, 1, f->port, "echo ok", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	text = read_text(path.ptr);
	assert_int_equal(count_lines(text), 1);
	free(text);
	got_release(&g);
	ed_strvec_release(&w);
	ed_buf_release(&path);
	ed_buf_release(&want);
}

static void test_ssh_changed_host_key_is_refused_even_with_accept_new(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT, line = ED_BUF_INIT;
	char *text, *pub = pub_key(f->dir, "id_other");

	ed_buf_addf(&path, "%s/known_changed", f->dir);
	ed_buf_addf(&line, "[127.0.0.1]:%u %s\n", f->port, pub);
	ut_write_text(path.ptr, line.ptr, 0644);
	base_opts(f, &o, keys);
	o.known_hosts = path.ptr;
	o.accept_new = 1;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_HOSTKEY_CHANGED);
	assert_non_null(strstr(g.v[0].msg, "host key changed"));
	assert_non_null(strstr(g.v[0].msg, "known_changed:1"));
	text = read_text(path.ptr);
	assert_string_equal(text, line.ptr);
	free(text);
	free(pub);
	ed_buf_release(&path);
	ed_buf_release(&line);
	got_release(&g);
}

static void test_ssh_rejected_user_key_fails_auth(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	keys[0] = f->key_bad.ptr;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_AUTH_FAILED);
	assert_non_null(strstr(g.v[0].msg, "authentication failed for user '"));
	assert_non_null(strstr(g.v[0].msg, f->key_bad.ptr));
	got_release(&g);
}

static void test_ssh_rsa_user_key_is_unsupported(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	keys[0] = f->key_rsa.ptr;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_UNSUPPORTED_KEY);
	assert_non_null(strstr(g.v[0].msg, "no rsa-sha2"));
	assert_non_null(strstr(g.v[0].msg, "OpenSSH >= 8.8"));
	got_release(&g);
}

static void test_ssh_rsa_only_server_is_unsupported(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	assert_int_equal(run_n(&g, 1, f->port_rsa, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_UNSUPPORTED_KEY);
	assert_non_null(strstr(g.v[0].msg, "only RSA host keys"));
	assert_non_null(strstr(g.v[0].msg, "no rsa-sha2"));
	got_release(&g);
}

static void test_ssh_bad_known_hosts_lines_only_warn(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec w = ED_STRVEC_INIT;
	struct ed_buf path = ED_BUF_INIT, text = ED_BUF_INIT;
	char *good = read_text(f->known.ptr), *ca = pub_key(f->dir, "id_other");

	ed_buf_addf(&path, "%s/known_messy", f->dir);
	ed_buf_addf(&text, "this is garbage\n@cert-authority *.example %s\n%s",
		    ca, good);
	ut_write_text(path.ptr, text.ptr, 0644);
	base_opts(f, &o, keys);
	o.known_hosts = path.ptr;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, &w, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	assert_int_equal(w.nr, 2);
	assert_non_null(strstr(w.v[0], "known_messy:1: skipped: "));
	assert_non_null(strstr(w.v[1], "known_messy:2: @cert-authority"));
	free(good);
	free(ca);
	ed_strvec_release(&w);
	ed_buf_release(&path);
	ed_buf_release(&text);
	got_release(&g);
}

static void test_ssh_hashed_known_hosts_match(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT;
	char *text = read_text(f->known.ptr);

	ed_buf_addf(&path, "%s/known_hashed", f->dir);
	ut_write_text(path.ptr, text, 0644);
	free(text);
	assert_int_equal(sh("ssh-keygen -H -f %s >/dev/null 2>&1", path.ptr), 0);
	text = read_text(path.ptr);
	assert_true(!strncmp(text, "|1|", 3));
	free(text);
	base_opts(f, &o, keys);
	o.known_hosts = path.ptr;
	assert_int_equal(run_n(&g, 2, f->port, "echo ok", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	ed_buf_release(&path);
	got_release(&g);
}

static void test_ssh_deadline_stops_a_slow_command(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	long long t0 = ut_now_ms();

	base_opts(f, &o, keys);
	o.deadline_ms = 1000;
	assert_int_equal(run_n(&g, 1, f->port, "sleep 30", &o, NULL, &err), 0);
	assert_true(ut_now_ms() - t0 < 3000);
	expect_all(&g, SSH_TIMED_OUT);
	assert_non_null(strstr(g.v[0].msg, "(--deadline 1 s)"));
	got_release(&g);
}

static void test_ssh_max_bytes_stops_a_flood(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	o.max_bytes = 1000000;
	assert_int_equal(run_n(&g, 1, f->port, "head -c 3000000 /dev/zero", &o,
			       NULL, &err),
			 0);
	expect_all(&g, SSH_TOO_MUCH);
	assert_non_null(strstr(g.v[0].msg,
			       "more than 1000000 bytes of output (--max-bytes)"));
	got_release(&g);
	/* under the cap: every byte, across several window adjustments */
	o.max_bytes = 4u << 20;
	assert_int_equal(run_n(&g, 2, f->port, "head -c 3000000 /dev/zero", &o,
			       NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	got_release(&g);
}

static void test_ssh_signals_stdin_and_keepalive(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	assert_int_equal(run_n(&g, 1, f->port, "kill -TERM $$", &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	assert_int_equal(g.v[0].exit_status, -1);
	assert_non_null(strstr(g.v[0].msg, "killed by signal TERM"));
	got_release(&g);
	/* stdin is at EOF: cat ends at once */
	assert_int_equal(run_n(&g, 1, f->port, "cat; echo done", &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[0].out, "done\n");
	got_release(&g);
	o.keepalive_s = 1;
	assert_int_equal(run_n(&g, 1, f->port, "sleep 2.2; echo late", &o, NULL,
			       &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[0].out, "late\n");
	got_release(&g);
}

/* sha256sum's line for p: "HEX  -\n". */
static void sha256_line(struct ed_buf *out, const void *p, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;

	assert_int_equal(EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL), 1);
	for (i = 0; i < mdlen; i++)
		ed_buf_addf(out, "%02x", md[i]);
	ed_buf_adds(out, "  -\n");
}

static void test_ssh_input_goes_to_stdin_while_output_is_read(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf in = ED_BUF_INIT, want = ED_BUF_INIT, jump = ED_BUF_INIT;
	size_t i, len = (size_t)3 << 20; /* beyond any channel window */
	unsigned x = 12345;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		ed_buf_addch(&in, (char)(x >> 16));
	}
	sha256_line(&want, in.ptr, in.len);
	base_opts(f, &o, keys);
	o.jobs = 4;
	g.input = in.ptr;
	g.input_len = in.len;
	/* every byte arrives, on several hosts at once */
	assert_int_equal(run_n(&g, 4, f->port, "sha256sum", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	for (i = 0; i < 4; i++)
		assert_string_equal(g.v[i].out, want.ptr);
	got_release(&g);
	/* the command answers while it reads: both windows fill */
	o.max_bytes = 4u << 20;
	assert_int_equal(run_n(&g, 2, f->port, "cat", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	for (i = 0; i < 2; i++)
		assert_memory_equal(g.v[i].out, in.ptr, in.len);
	got_release(&g);
	/* the same through a bastion */
	ed_buf_addf(&jump, "127.0.0.1:%u", f->port);
	g.jump = jump.ptr;
	assert_int_equal(run_n(&g, 2, f->port, "cat", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	for (i = 0; i < 2; i++)
		assert_memory_equal(g.v[i].out, in.ptr, in.len);
	got_release(&g);
	g.jump = NULL;
	/* --max-bytes caps the output only */
	o.max_bytes = 1u << 20;
	assert_int_equal(run_n(&g, 1, f->port, "wc -c", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[0].out, "3145728\n");
	got_release(&g);
	/* a command that reads none of it still ends */
	assert_int_equal(run_n(&g, 1, f->port, "echo early", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[0].out, "early\n");
	got_release(&g);
	/* empty input: EOF at once */
	g.input = "";
	g.input_len = 0;
	assert_int_equal(run_n(&g, 1, f->port, "cat; echo done", &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[0].out, "done\n");
	got_release(&g);
	ed_buf_release(&in);
	ed_buf_release(&want);
	ed_buf_release(&jump);
}

static void test_ssh_agent_auth_works(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	const char *none[] = { NULL };
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf sock = ED_BUF_INIT;
	char *old = getenv("SSH_AUTH_SOCK") ?
			    ed_xstrdup(getenv("SSH_AUTH_SOCK")) :
			    NULL;
	pid_t agent;
	int i;

	ed_buf_addf(&sock, "%s/agent.sock", f->dir);
	agent = fork();
	if (agent == 0) {
		/* it prints its environment on stdout */
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		execl("/usr/bin/ssh-agent", "ssh-agent", "-D", "-a", sock.ptr,
		      (char *)NULL);
		_exit(127);
	}
	assert_true(agent > 0);
	for (i = 0; i < 100 && access(sock.ptr, F_OK) != 0; i++)
		usleep(50 * 1000);
	assert_int_equal(sh("SSH_AUTH_SOCK=%s ssh-add -q %s %s 2>/dev/null",
			    sock.ptr, f->key_rsa.ptr, f->key.ptr),
			 0);
	setenv("SSH_AUTH_SOCK", sock.ptr, 1);
	base_opts(f, &o, keys);
	o.key_files = none;
	o.use_agent = 1;
	assert_int_equal(run_n(&g, 3, f->port, "echo agent", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[0].out, "agent\n");
	got_release(&g);
	/* without the agent and without key files: nothing to try at all */
	o.use_agent = 0;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), ED_EKEY);
	assert_non_null(strstr(err.msg, "no usable SSH key"));
	got_release(&g);
	if (old)
		setenv("SSH_AUTH_SOCK", old, 1);
	else
		unsetenv("SSH_AUTH_SOCK");
	free(old);
	stop_pid(agent);
	ed_buf_release(&sock);
}

static void test_ssh_key_formats_and_per_target_keys(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	const char *list[4];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec w = ED_STRVEC_INIT;
	struct ed_buf ecdsa = ED_BUF_INIT, pem = ED_BUF_INIT, enc = ED_BUF_INIT;
	struct ssh_target t[2];

	ed_buf_addf(&ecdsa, "%s/id_ecdsa", f->dir);
	ed_buf_addf(&pem, "%s/id_ecdsa_pem", f->dir); /* no .pub beside it */
	ed_buf_addf(&enc, "%s/id_enc", f->dir);
	base_opts(f, &o, keys);
	/* rejected and encrypted keys first: the next ones still get a try */
	list[0] = enc.ptr;
	list[1] = f->key_bad.ptr;
	list[2] = ecdsa.ptr;
	list[3] = NULL;
	o.key_files = list;
	assert_int_equal(run_n(&g, 2, f->port, "echo ecdsa", &o, &w, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	got_release(&g);
	assert_int_equal(w.nr, 1);
	assert_non_null(strstr(w.v[0], "id_enc skipped: encrypted"));
	list[2] = pem.ptr;
	assert_int_equal(run_n(&g, 2, f->port, "echo pem", &o, NULL, &err), 0);
	expect_all(&g, SSH_COLLECTED);
	assert_string_equal(g.v[1].out, "pem\n");
	got_release(&g);

	/* a target's own key replaces the run's (here a rejected one) */
	memset(t, 0, sizeof(t));
	t[0].name = "own";
	t[0].address = "127.0.0.1";
	t[0].port = f->port;
	t[0].key_file = f->key.ptr;
	t[0].command = "echo own";
	t[1] = t[0];
	t[1].name = "runs";
	t[1].key_file = NULL;
	t[1].data = (void *)(uintptr_t)1;
	keys[0] = f->key_bad.ptr;
	o.key_files = keys;
	g.v = ed_xcalloc(2, sizeof(*g.v));
	g.n = 2;
	o.arg = &g;
	assert_int_equal(ssh_run(t, 2, &o, NULL, &err), 0);
	assert_int_equal(g.v[0].state, SSH_COLLECTED);
	assert_int_equal(g.v[1].state, SSH_AUTH_FAILED);
	got_release(&g);

	/* only an encrypted key: nothing to try, before any connection */
	list[0] = enc.ptr;
	list[1] = NULL;
	o.key_files = list;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), ED_EKEY);
	assert_non_null(
		strstr(err.msg,
		       "no usable SSH key: ssh-agent not used; key files: "));
	assert_non_null(strstr(err.msg, "id_enc (encrypted"));
	got_release(&g);
	ed_strvec_release(&w);
	ed_buf_release(&ecdsa);
	ed_buf_release(&pem);
	ed_buf_release(&enc);
}

static void test_ssh_missing_key_file_stops_the_run(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;

	base_opts(f, &o, keys);
	keys[0] = "/nonexistent/id_ed25519";
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), ED_EKEY);
	assert_string_equal(err.msg,
			    "key file /nonexistent/id_ed25519: no such file");
	got_release(&g);
}

static void test_ssh_proxy_jump_through_a_bastion(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf jump = ED_BUF_INIT;
	size_t i;

	/* the bastion is our sshd, and so is the target behind it */
	ed_buf_addf(&jump, "127.0.0.1:%u", f->port);
	g.jump = jump.ptr;
	base_opts(f, &o, keys);
	o.jobs = 4;
	assert_int_equal(run_n(&g, 6, f->port, "echo via; echo e >&2; exit 4",
			       &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	for (i = 0; i < 6; i++) {
		assert_string_equal(g.v[i].out, "via\n");
		assert_string_equal(g.v[i].err, "e\n");
		assert_int_equal(g.v[i].exit_status, 4);
	}
	got_release(&g);
	/* megabytes through the pump: windows on both sessions */
	o.max_bytes = 4u << 20;
	assert_int_equal(run_n(&g, 2, f->port,
			       "head -c 3000000 /dev/urandom | od -An -tx1 | head -c 3000000",
			       &o, NULL, &err),
			 0);
	expect_all(&g, SSH_COLLECTED);
	assert_int_equal(strlen(g.v[0].out), 3000000);
	got_release(&g);
	/* the target cannot be reached from the bastion */
	assert_int_equal(run_n(&g, 1, free_port(), "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_UNREACHABLE);
	assert_non_null(strstr(g.v[0].msg, "bastion 127.0.0.1 port "));
	assert_non_null(strstr(g.v[0].msg, ": cannot reach 127.0.0.1 port "));
	got_release(&g);
	/* the bastion itself cannot be reached */
	ed_buf_reset(&jump);
	ed_buf_addf(&jump, "nobody@127.0.0.1:%u", free_port());
	g.jump = jump.ptr;
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_UNREACHABLE);
	assert_non_null(strstr(g.v[0].msg, "h0: bastion 127.0.0.1 port "));
	assert_non_null(strstr(g.v[0].msg, ": cannot connect: Connection refused"));
	got_release(&g);
	g.jump = "a:1,b:2";
	assert_int_equal(run_n(&g, 1, f->port, "true", &o, NULL, &err), 0);
	expect_all(&g, SSH_ERROR);
	assert_non_null(strstr(g.v[0].msg, "only one ProxyJump host"));
	got_release(&g);
	ed_buf_release(&jump);
}

static void test_ssh_jobs_stay_under_the_fd_limit(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec w = ED_STRVEC_INIT;
	struct rlimit old, low;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 80;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	base_opts(f, &o, keys);
	o.jobs = 30;
	assert_int_equal(run_n(&g, 30, f->port, "true", &o, &w, &err), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	expect_all(&g, SSH_COLLECTED);
	assert_int_equal(w.nr, 1);
	assert_string_equal(w.v[0],
			    "--jobs lowered from 30 to 16 (open file limit 80)");
	ed_strvec_release(&w);
	got_release(&g);
}

static void test_ssh_throughput(void **state)
{
	struct fx *f = *state;
	struct ssh_opts o;
	const char *keys[2];
	struct got g = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct rusage a, b;
	long long t0;
	double cpu;

	base_opts(f, &o, keys);
	o.jobs = 10;
	getrusage(RUSAGE_SELF, &a);
	t0 = ut_now_ms();
	assert_int_equal(run_n(&g, 50, f->port, "true", &o, NULL, &err), 0);
	getrusage(RUSAGE_SELF, &b);
	expect_all(&g, SSH_COLLECTED);
	cpu = (double)(b.ru_utime.tv_sec - a.ru_utime.tv_sec +
		       b.ru_stime.tv_sec - a.ru_stime.tv_sec) *
		      1000.0 +
	      (double)(b.ru_utime.tv_usec - a.ru_utime.tv_usec +
		       b.ru_stime.tv_usec - a.ru_stime.tv_usec) /
		      1000.0;
	printf("test_ssh: 50 hosts at jobs 10: %lld ms wall, %.2f ms client CPU per host\n",
	       ut_now_ms() - t0, cpu / 50);
	got_release(&g);
}

/* ~/.ssh/config: no server needed. */
static struct ssh_config *cfg_parse(const char *text, struct ed_strvec *w)
{
	struct ssh_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;

	assert_int_equal(ssh_config_parse(&cfg, text, strlen(text), "config", w,
					  &err),
			 0);
	return cfg;
}

static void test_ssh_config_first_value_wins(void **state)
{
	struct ssh_config *cfg;
	struct ssh_config_host h;

	(void)state;
	cfg = cfg_parse("# top\n"
			"Port 2200\n"
			"Host web* !web9 db1\n"
			"  HostName %h.internal\n"
			"  User=deploy\n"
			"  Port = 2222\n"
			"  IdentityFile \"~/.ssh/id web\"\n"
			"  IdentityFile ~/.ssh/second\n"
			"Host *\n"
			"  User nobody\n"
			"  ProxyJump bastion:2022\n"
			"  SendEnv LANG LC_*\n",
			NULL);
	ssh_config_lookup(cfg, "WEB1", &h);
	assert_string_equal(h.hostname, "web1.internal");
	assert_string_equal(h.user, "deploy");
	assert_int_equal(h.port, 2200); /* the global line came first */
	assert_non_null(strstr(h.identity_file, "/.ssh/id web"));
	assert_true(h.identity_file[0] == '/');
	assert_string_equal(h.proxy_jump, "bastion:2022");
	ssh_config_lookup(cfg, "web9", &h); /* negated: only Host * */
	assert_null(h.hostname);
	assert_string_equal(h.user, "nobody");
	assert_null(h.identity_file);
	ssh_config_lookup(cfg, "db1", &h);
	assert_string_equal(h.hostname, "db1.internal");
	ssh_config_lookup(NULL, "x", &h);
	assert_null(h.user);
	assert_int_equal(h.port, 0);
	ssh_config_free(cfg);
}

static void test_ssh_config_tokens_and_none(void **state)
{
	struct ssh_config *cfg;
	struct ssh_config_host h;

	(void)state;
	cfg = cfg_parse("Host a?\n ProxyJump none\n User u1\n"
			"  IdentityFile /k/%r@%h:%p-%%\n"
			"Host *\n ProxyJump j\n HostName real\n",
			NULL);
	ssh_config_lookup(cfg, "ab", &h);
	assert_null(h.proxy_jump); /* "none" came first and wins */
	assert_string_equal(h.identity_file, "/k/u1@real:22-%");
	ssh_config_lookup(cfg, "abc", &h);
	assert_string_equal(h.proxy_jump, "j");
	ssh_config_free(cfg);
}

static void test_ssh_config_skips_what_it_cannot_read(void **state)
{
	struct ssh_config *cfg;
	struct ssh_config_host h;
	struct ed_strvec w = ED_STRVEC_INIT;

	(void)state;
	cfg = cfg_parse("Include ~/.ssh/conf.d/*\n"
			"Match host x exec \"true\"\n"
			"  User fromMatch\n"
			"Host x\n"
			"  IdentityFile ~/%C\n"
			"  User fromHost\n"
			"  LocalForward 1 a:2 # ignored keyword, never read\n",
			&w);
	assert_int_equal(w.nr, 3);
	assert_string_equal(
		w.v[0],
		"config:1: Include is not read by envdrift (ssh -G resolves the hosts)");
	assert_non_null(strstr(w.v[1], "config:2: Match is not read by envdrift"));
	assert_non_null(strstr(w.v[2], "config:5: IdentityFile: token %C"));
	ssh_config_lookup(cfg, "x", &h);
	assert_string_equal(h.user, "fromHost");
	assert_null(h.identity_file);
	/* the first directive not read here: the scan then asks ssh -G */
	assert_string_equal(ssh_config_foreign(cfg), "config:1: Include");
	ssh_config_free(cfg);
	ed_strvec_release(&w);
}

/* Only what the reader reads: no ssh -G needed; anything else names itself. */
static void test_ssh_config_foreign(void **state)
{
	struct ssh_config *cfg;

	(void)state;
	cfg = cfg_parse("# a comment\nHost a b\n  HostName h\n  User u\n"
			"  Port 2\n  IdentityFile ~/k\n  ProxyJump j\n",
			NULL);
	assert_null(ssh_config_foreign(cfg));
	ssh_config_free(cfg);
	cfg = cfg_parse("Host a\n  User u\n  ProxyCommand nc %h %p\n"
			"  CertificateFile ~/k-cert.pub\n",
			NULL);
	assert_string_equal(ssh_config_foreign(cfg), "config:3: ProxyCommand");
	ssh_config_free(cfg);
	assert_null(ssh_config_foreign(NULL));
}

static void test_ssh_config_bad_values_are_errors(void **state)
{
	struct ssh_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;
	static const char *const bad[][2] = {
		{ "Host a\n Port 70000\n", "config:2: bad port '70000'" },
		{ "Port 22x\n", "config:1: bad port '22x'" },
		{ "Host\n", "config:1: Host needs at least one pattern" },
		{ "User\n", "config:1: missing value" },
		{ "User a b\n", "config:1: garbage at end of line after User" },
		{ "HostName \"x\n", "config:1: unterminated quote" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ssh_config_parse(&cfg, bad[i][0],
						  strlen(bad[i][0]), "config",
						  NULL, &err),
				 ED_EPARSE);
		assert_null(cfg);
		assert_string_equal(err.msg, bad[i][1]);
	}
	assert_int_equal(ssh_config_load(&cfg, "/nonexistent/config", NULL, &err),
			 ED_ENOTFOUND);
}

static void test_ssh_config_patterns(void **state)
{
	(void)state;
	assert_true(ssh_pattern_match("web1.example", "*.example", 9));
	assert_true(ssh_pattern_match("WEB1", "web?", 4));
	assert_false(ssh_pattern_match("web12", "web?", 4));
	assert_true(ssh_pattern_match("a", "*", 1));
	assert_true(ssh_pattern_match("abcabd", "*ab?", 4));
	assert_false(ssh_pattern_match("", "?", 1));
	assert_int_equal(ssh_pattern_match_list("db.x", "*.x,!db.x", 9), -1);
	assert_int_equal(ssh_pattern_match_list("web.x", "*.x,!db.x", 9), 1);
	assert_int_equal(ssh_pattern_match_list("q", "a,b", 3), 0);
}

int main(void)
{
	const struct CMUnitTest config[] = {
		cmocka_unit_test(test_ssh_config_first_value_wins),
		cmocka_unit_test(test_ssh_config_tokens_and_none),
		cmocka_unit_test(test_ssh_config_skips_what_it_cannot_read),
		cmocka_unit_test(test_ssh_config_foreign),
		cmocka_unit_test(test_ssh_config_bad_values_are_errors),
		cmocka_unit_test(test_ssh_config_patterns),
	};
	const struct CMUnitTest sshd[] = {
		cmocka_unit_test(test_ssh_runs_a_command_on_several_hosts),
		cmocka_unit_test(test_ssh_twenty_hosts_four_at_a_time),
		cmocka_unit_test(test_ssh_closed_port_is_unreachable),
		cmocka_unit_test(test_ssh_silent_server_hits_connect_timeout),
		cmocka_unit_test(test_ssh_closed_before_banner_is_unreachable),
		cmocka_unit_test(test_ssh_names_resolved_before_the_loop),
		cmocka_unit_test(test_ssh_unknown_host_key_is_refused),
		cmocka_unit_test(test_ssh_accept_new_appends_one_line),
		cmocka_unit_test(
			test_ssh_changed_host_key_is_refused_even_with_accept_new),
		cmocka_unit_test(test_ssh_rejected_user_key_fails_auth),
		cmocka_unit_test(test_ssh_rsa_user_key_is_unsupported),
		cmocka_unit_test(test_ssh_rsa_only_server_is_unsupported),
		cmocka_unit_test(test_ssh_bad_known_hosts_lines_only_warn),
		cmocka_unit_test(test_ssh_hashed_known_hosts_match),
		cmocka_unit_test(test_ssh_deadline_stops_a_slow_command),
		cmocka_unit_test(test_ssh_max_bytes_stops_a_flood),
		cmocka_unit_test(test_ssh_signals_stdin_and_keepalive),
		cmocka_unit_test(test_ssh_input_goes_to_stdin_while_output_is_read),
		cmocka_unit_test(test_ssh_agent_auth_works),
		cmocka_unit_test(test_ssh_key_formats_and_per_target_keys),
		cmocka_unit_test(test_ssh_missing_key_file_stops_the_run),
		cmocka_unit_test(test_ssh_proxy_jump_through_a_bastion),
		cmocka_unit_test(test_ssh_jobs_stay_under_the_fd_limit),
		cmocka_unit_test(test_ssh_throughput),
	};
	int failed =
		cmocka_run_group_tests_name("ssh_config", config, NULL, NULL);

	failed += cmocka_run_group_tests_name("ssh", sshd, group_setup,
					      group_teardown);
	return failed;
}
