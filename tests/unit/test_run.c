/*
 * collect_run: the one way collectors run a helper program (rpm,
 * systemctl): no shell, output capped, stderr's first line kept, and a
 * deadline after which the child is killed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "collector/internal.h"
#include "core/alloc.h"
#include "tests/unit/helpers.h"

struct fx {
	struct ed_buf out, errline;
	struct ed_err err;
	int status;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	ed_buf_init(&f->out);
	ed_buf_init(&f->errline);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ed_buf_release(&f->out);
	ed_buf_release(&f->errline);
	free(f);
	return 0;
}

static int run(struct fx *f, const char *script, size_t max, int timeout_ms)
{
	char sh[] = "/bin/sh", c[] = "-c";
	char *argv[] = { sh, c, NULL, NULL };
	char *s = ed_xstrdup(script);
	int rc;

	argv[2] = s;
	rc = collect_run(&f->out, &f->errline, &f->status, argv, NULL, max,
			 timeout_ms, &f->err);
	free(s);
	return rc;
}

static void test_run_captures_stdout_and_first_stderr_line(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "echo out; printf 'bad\\tthing\\nmore\\n' >&2; exit 3",
			     1024, 5000),
			 0);
	assert_string_equal(f->out.ptr, "out\n");
	assert_string_equal(f->errline.ptr, "bad thing");
	assert_true(WIFEXITED(f->status));
	assert_int_equal(WEXITSTATUS(f->status), 3);
}

static void test_run_stdin_is_dev_null(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "cat; echo done", 1024, 5000), 0);
	assert_string_equal(f->out.ptr, "done\n");
}

static void test_run_kills_a_hung_child_at_the_deadline(void **state)
{
	struct fx *f = *state;
	long long t0 = ut_now_ms();

	assert_int_equal(run(f, "echo started; exec sleep 30", 1024, 300), ED_EIO);
	assert_non_null(strstr(f->err.msg, "no answer within 300 ms"));
	assert_true(ut_now_ms() - t0 < 5000);
	assert_true(WIFSIGNALED(f->status));
}

static void test_run_caps_the_output(void **state)
{
	struct fx *f = *state;

	assert_int_equal(run(f, "while :; do echo yyyyyyyyyyyyyyyyyyyyyyyy; done",
			     100000, 10000),
			 ED_EIO);
	assert_non_null(strstr(f->err.msg, "output larger than 100000 bytes"));
	assert_true(WIFSIGNALED(f->status));
}

static void test_run_missing_program_is_an_error(void **state)
{
	struct fx *f = *state;
	char prog[] = "/nonexistent/envdrift-no-such-tool";
	char *argv[] = { prog, NULL };

	assert_int_equal(collect_run(&f->out, &f->errline, &f->status, argv,
				     NULL, 1024, 1000, &f->err),
			 ED_EIO);
	assert_true(!strncmp(
		f->err.msg, "/nonexistent/envdrift-no-such-tool: cannot run",
		strlen("/nonexistent/envdrift-no-such-tool: cannot run")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_run_captures_stdout_and_first_stderr_line, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_run_stdin_is_dev_null,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_kills_a_hung_child_at_the_deadline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_caps_the_output, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_run_missing_program_is_an_error,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
