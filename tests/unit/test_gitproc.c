/*
 * Unit tests for the git subprocess runner (core/gitproc.h): the real git
 * client, its environment, the deadline that kills its process group, and
 * URL redaction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <git2.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/gitproc.h"

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void check_redact(const char *url, const char *want)
{
	struct ed_buf b = ED_BUF_INIT;

	ed_url_redact(url, &b);
	assert_string_equal(b.ptr, want);
	ed_buf_release(&b);
}

static void test_gitproc_redacts_userinfo(void **state)
{
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	check_redact("https://user:s3cret@127.0.0.1:1/x", "https://127.0.0.1:1/x");
	check_redact("https://user@host/x", "https://host/x");
	check_redact("https://a:b@c@host", "https://host");
	check_redact("ssh://git@host:22/srv/x.git", "ssh://host:22/srv/x.git");
	check_redact("git@host:srv/x.git", "git@host:srv/x.git");
	check_redact("git:pw@host:srv/x.git", "host:srv/x.git");
	check_redact("/srv/state.git", "/srv/state.git");
	check_redact("file:///srv/a@b", "file:///srv/a@b");
	ed_text_redact("fatal: unable to access 'https://u:pw@h/x/': no\n", &b);
	assert_string_equal(b.ptr, "fatal: unable to access 'https://h/x/': no\n");
	ed_buf_release(&b);
}

static void test_gitproc_runs_git_and_captures_output(void **state)
{
	const char *const args[] = { "--version", NULL };
	struct ed_gitproc_opts opts = { NULL, 10000, 0 };
	struct ed_gitproc res;
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.timed_out, 0);
	assert_non_null(strstr(res.out.ptr, "git version"));
	ed_gitproc_release(&res);
}

static void test_gitproc_sets_environment(void **state)
{
	const char *const args[] = { "-c", "alias.e=!env", "e", NULL };
	struct ed_gitproc_opts opts = { NULL, 10000, 0 };
	struct ed_gitproc res;
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	unsetenv("GIT_SSH_COMMAND");
	unsetenv("GIT_SSH");
	setenv("GIT_TERMINAL_PROMPT", "1", 1);
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out.ptr, "\nGIT_TERMINAL_PROMPT=0\n"));
	assert_null(strstr(res.out.ptr, "GIT_TERMINAL_PROMPT=1"));
	assert_non_null(strstr(res.out.ptr, "\nLC_ALL=C\n"));
	assert_non_null(
		strstr(res.out.ptr, "GIT_SSH_COMMAND=ssh -o BatchMode=yes"));
	ed_gitproc_release(&res);

	/* the user's own ssh command is used as it is */
	setenv("GIT_SSH_COMMAND", "ssh -i /my/key", 1);
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	assert_non_null(strstr(res.out.ptr, "GIT_SSH_COMMAND=ssh -i /my/key\n"));
	assert_null(strstr(res.out.ptr, "BatchMode"));
	ed_gitproc_release(&res);
	unsetenv("GIT_SSH_COMMAND");
}

static void test_gitproc_kills_at_the_deadline(void **state)
{
	/* the shell and its sleep are in git's process group: both die */
	const char *const args[] = { "-c", "alias.s=!sleep 30; echo late", "s",
				     NULL };
	struct ed_gitproc_opts opts = { NULL, 500, 0 };
	struct ed_gitproc res;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf why = ED_BUF_INIT;
	long long t0 = mono_ms(), took;

	(void)state;
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	took = mono_ms() - t0;
	assert_int_equal(res.timed_out, 1);
	assert_int_not_equal(res.status, 0);
	assert_null(strstr(res.out.ptr, "late"));
	assert_true(took >= 450 && took < 4000);
	ed_gitproc_reason(&res, &why);
	assert_string_equal(why.ptr, "timed out");
	ed_buf_release(&why);
	ed_gitproc_release(&res);
}

static void test_gitproc_reports_failure_status(void **state)
{
	const char *const args[] = { "ls-remote",
				     "https://u:s3cret@127.0.0.1:1/x", NULL };
	struct ed_gitproc_opts opts = { NULL, 10000, 0 };
	struct ed_gitproc res;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf why = ED_BUF_INIT;

	(void)state;
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	assert_int_not_equal(res.status, 0);
	ed_gitproc_reason(&res, &why);
	assert_true(why.len > 0);
	assert_null(strstr(why.ptr, "s3cret"));
	ed_buf_release(&why);
	ed_gitproc_release(&res);
}

static void test_gitproc_reason_is_first_line_and_verdict(void **state)
{
	const char *const args[] = {
		"-c",
		"alias.f=!printf 'ssh: connect refused\\nfatal: no repo\\n\\nhint: pull first\\nand the repository exists.\\n' >&2; exit 128",
		"f", NULL
	};
	struct ed_gitproc_opts opts = { NULL, 10000, 0 };
	struct ed_gitproc res;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf why = ED_BUF_INIT;

	(void)state;
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	assert_int_equal(res.status, 128);
	ed_gitproc_reason(&res, &why);
	assert_string_equal(why.ptr, "ssh: connect refused; fatal: no repo");
	ed_buf_release(&why);
	ed_gitproc_release(&res);
}

static void test_gitproc_bounds_output(void **state)
{
	const char *const args[] = { "-c", "alias.y=!yes | head -c 100000", "y",
				     NULL };
	struct ed_gitproc_opts opts = { NULL, 10000, 1000 };
	struct ed_gitproc res;
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	assert_int_equal(ed_gitproc_run(&res, &opts, args, &err), 0);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.out.len, 1000);
	ed_gitproc_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gitproc_redacts_userinfo),
		cmocka_unit_test(test_gitproc_runs_git_and_captures_output),
		cmocka_unit_test(test_gitproc_sets_environment),
		cmocka_unit_test(test_gitproc_kills_at_the_deadline),
		cmocka_unit_test(test_gitproc_reports_failure_status),
		cmocka_unit_test(test_gitproc_reason_is_first_line_and_verdict),
		cmocka_unit_test(test_gitproc_bounds_output),
	};
	int rc;

	git_libgit2_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	git_libgit2_shutdown();
	return rc;
}
