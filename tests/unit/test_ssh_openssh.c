/*
 * The OpenSSH transport's pieces that need no sshd (t0045 runs the real
 * ones): the hardened command line, what is retried after a libssh2
 * failure, and the child process's stream (write, half-close, read, exit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/fleet/internal.h"
#include "core/alloc.h"

static char *joined(const struct ed_strvec *v)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;

	for (i = 0; i < v->nr; i++)
		ed_buf_addf(&b, "%s%s", i ? " " : "", v->v[i]);
	return ed_buf_detach(&b, NULL);
}

static void test_argv_hardened(void **state)
{
	struct run r;
	struct ssh_target t;
	struct ed_strvec v = ED_STRVEC_INIT;
	char *s;

	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&t, 0, sizeof(t));
	r.o.connect_timeout_ms = 2500;
	t.name = "web-1";
	t.address = "10.0.0.1";
	t.dest = "web-1.example";
	t.command = "exec sh";
	ssh_openssh_argv(&v, &r, &t);
	s = joined(&v);
	/* no -F, -p, -l, -i unless given; the destination after "--" */
	assert_string_equal(
		s,
		"ssh -T -o BatchMode=yes -o ForwardAgent=no -o ClearAllForwardings=yes "
		"-o PermitLocalCommand=no -o ControlMaster=no -o ConnectTimeout=3 "
		"-- web-1.example exec sh");
	free(s);
	ed_strvec_release(&v);

	r.o.ssh_config = "/etc/envdrift/ssh_config";
	r.o.known_hosts = "/k h";
	r.o.accept_new = 1;
	r.o.keepalive_s = 15;
	t.port = 2222;
	t.user = "ops";
	t.key_file = "/keys/id";
	t.connect_timeout_ms = 1000;
	ssh_openssh_argv(&v, &r, &t);
	s = joined(&v);
	assert_non_null(
		strstr(s, " -F /etc/envdrift/ssh_config -o ConnectTimeout=1 "
			  "-o ServerAliveInterval=15 "
			  "-o UserKnownHostsFile=\"/k h\" "
			  "-o StrictHostKeyChecking=accept-new -p 2222 -l ops "
			  "-i /keys/id -- web-1.example exec sh"));
	free(s);
	ed_strvec_release(&v);
}

static void test_retryable(void **state)
{
	struct ssh_target t;
	struct conn c;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	ed_buf_init(&c.msg);
	c.t = &t;
	t.transport = SSH_TRANSPORT_AUTO;
	c.state = SSH_UNSUPPORTED_KEY;
	assert_true(ssh_openssh_retryable(&c));
	c.state = SSH_AUTH_FAILED;
	assert_true(ssh_openssh_retryable(&c));
	c.state = SSH_UNREACHABLE; /* OpenSSH would not reach it either */
	assert_false(ssh_openssh_retryable(&c));
	c.state = SSH_HOSTKEY_UNKNOWN;
	ed_buf_adds(&c.msg, "h: host key unknown: ... not in known_hosts");
	assert_false(ssh_openssh_retryable(&c));
	ed_buf_adds(&c.msg,
		    "; known_hosts:3 is a @cert-authority line, which libssh2 1.10 does not support");
	assert_true(ssh_openssh_retryable(&c));
	t.transport = SSH_TRANSPORT_LIBSSH2; /* forced: never */
	assert_false(ssh_openssh_retryable(&c));
	t.transport = SSH_TRANSPORT_AUTO;
	c.openssh = 1; /* once only */
	assert_false(ssh_openssh_retryable(&c));
	ed_buf_release(&c.msg);
}

/* A child through the stream calls: input in, EOF, output back, status. */
static void test_proc_stream(void **state)
{
	char a0[] = "sh", a1[] = "-c", a2[] = "tr a-z A-Z; echo oops >&2; exit 7";
	char *const argv[] = { a0, a1, a2, NULL };
	char *sh = ssh_proc_which("sh");
	struct proc p;
	struct ed_buf out = ED_BUF_INIT, err = ED_BUF_INIT;
	char buf[256];
	ssize_t n;
	int status = 0, i, reaped = 0;

	(void)state;
	assert_non_null(sh);
	assert_int_equal(ssh_proc_spawn(&p, sh, argv, 1), 0);
	assert_int_equal(ssh_proc_write(&p, "hello", 5), 5);
	ssh_proc_close_input(&p);
	assert_int_equal(p.in, -1);
	for (i = 0; i < 500 && (p.out >= 0 || p.err >= 0); i++) {
		if (p.out >= 0 && (n = ssh_proc_read(&p.out, buf, sizeof(buf))) > 0)
			ed_buf_add(&out, buf, (size_t)n);
		if (p.err >= 0 && (n = ssh_proc_read(&p.err, buf, sizeof(buf))) > 0)
			ed_buf_add(&err, buf, (size_t)n);
		usleep(10000);
	}
	for (i = 0; i < 500 && !reaped; i++) {
		reaped = ssh_proc_reap(&p, &status);
		if (!reaped)
			usleep(10000);
	}
	assert_true(reaped);
	assert_string_equal(out.ptr, "HELLO");
	assert_string_equal(err.ptr, "oops\n");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	ssh_proc_kill(&p); /* reaped already: closes what is left */
	ed_buf_release(&out);
	ed_buf_release(&err);
	free(sh);
}

/* pid is gone, or a zombie nobody reaped yet (no init in a container) */
static int dead(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	if (kill(pid, 0) != 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

/* A deadline kills the whole process group, grandchildren too. */
static void test_proc_kill_group(void **state)
{
	char a0[] = "sh", a1[] = "-c", a2[] = "sleep 41 & echo $!; wait";
	char *const argv[] = { a0, a1, a2, NULL };
	char *sh = ssh_proc_which("sh");
	struct proc p;
	char buf[64];
	ssize_t n = 0;
	pid_t grandchild;
	int i;

	(void)state;
	assert_int_equal(ssh_proc_spawn(&p, sh, argv, 0), 0);
	for (i = 0; i < 500 && n <= 0; i++) {
		n = ssh_proc_read(&p.out, buf, sizeof(buf) - 1);
		if (n <= 0)
			usleep(10000);
	}
	assert_true(n > 0);
	buf[n] = '\0';
	grandchild = (pid_t)atoi(buf);
	assert_true(grandchild > 0);
	ssh_proc_kill(&p);
	assert_int_equal(p.pid, 0);
	assert_int_equal(p.out, -1);
	/* gone (or a zombie of init's for a moment): give it up to 2 s */
	for (i = 0; i < 200 && !dead(grandchild); i++)
		usleep(10000);
	assert_true(dead(grandchild));
	free(sh);
}

static void test_which(void **state)
{
	char *p;

	(void)state;
	assert_null(ssh_proc_which("envdrift-no-such-program-here"));
	p = ssh_proc_which("/bin/sh");
	assert_string_equal(p, "/bin/sh");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv_hardened),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_proc_stream),
		cmocka_unit_test(test_proc_kill_group),
		cmocka_unit_test(test_which),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
