/*
 * Loading baselines: every key into its rule list with its file:line, the
 * waivers file beside the baseline, errors that name file:line:col, and
 * the severity words --fail-on shares with the YAML.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baselines/baseline.h"
#include "core/buf.h"

struct fixture {
	char tmp[64];        /* mkdtemp template: a fixed, known length */
	struct ed_buf path;  /* the baseline of the test */
	struct ed_buf wpath; /* its waivers file */
	struct baseline *bl;
	struct ed_err err;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_baseline.XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	rmdir(f->tmp);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	ed_buf_init(&f->path);
	ed_buf_init(&f->wpath);
	ed_buf_addf(&f->path, "%s/parity.yaml", f->tmp);
	baseline_waivers_path(&f->wpath, f->path.ptr);
	f->bl = NULL;
	memset(&f->err, 0, sizeof(f->err));
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path.ptr);
	unlink(f->wpath.ptr);
	ed_buf_release(&f->path);
	ed_buf_release(&f->wpath);
	baseline_free(f->bl);
	return 0;
}

static void put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

static void test_baseline_every_key_loads_with_its_line(void **state)
{
	struct fixture *f = *state;
	struct baseline *defaults = NULL;
	const struct baseline_rule *ru;
	struct ed_buf loc = ED_BUF_INIT;

	put(f->path.ptr,
	    "ignore:\n"                                  /* 1 */
	    "  - \"!files:/etc/hostname\"\n"             /* 2 */
	    "severity:\n"                                /* 3 */
	    "  packages: critical\n"                     /* 4 */
	    "  \"files:/etc/ssh/**\": info\n"            /* 5 */
	    "pins:\n"                                    /* 6 */
	    "  - \"packages:openssl:amd64 >= 3.0.15\"\n" /* 7 */
	    "  - {pin: \"packages:telnetd:* absent\", severity: warning}\n"
	    "parity:\n"                           /* 9 */
	    "  - environments: [staging, prod]\n" /* 10 */
	    "    roles: web\n"
	    "    severity: info\n"
	    "expect:\n" /* 13 */
	    "  - {key: \"sysctl:kernel.threads-max\", differs: with-memory}\n");
	assert_int_equal(baseline_load(&defaults, NULL, &f->err), 0);
	assert_int_equal(baseline_load(&f->bl, f->path.ptr, &f->err), 0);

	assert_int_equal(f->bl->ignore.nr, defaults->ignore.nr + 1);
	ru = &f->bl->ignore.v[f->bl->ignore.nr - 1];
	assert_true(ru->negate);
	assert_string_equal(ru->pattern, "files:/etc/hostname");
	ed_buf_addf(&loc, "%s:2", f->path.ptr);
	assert_string_equal(ru->loc, loc.ptr);

	/* after the built-in severities (host keys critical) */
	assert_int_equal(f->bl->severity.nr, defaults->severity.nr + 2);
	/* a bare collector covers all its keys */
	assert_string_equal(f->bl->severity.v[defaults->severity.nr].pattern,
			    "packages:**");
	assert_int_equal(f->bl->severity.v[defaults->severity.nr].sev,
			 SEV_CRITICAL);
	assert_int_equal(f->bl->severity.v[defaults->severity.nr + 1].sev,
			 SEV_INFO);
	assert_true(defaults->per_host.nr >= 4);

	assert_int_equal(f->bl->pins.nr, 2);
	ru = &f->bl->pins.v[0];
	assert_string_equal(ru->pattern, "packages:openssl:amd64");
	assert_string_equal(ru->op, ">=");
	assert_string_equal(ru->value, "3.0.15");
	assert_int_equal(ru->sev, SEV_CRITICAL); /* a broken pin gates */
	ru = &f->bl->pins.v[1];
	assert_string_equal(ru->op, "absent");
	assert_null(ru->value);
	assert_int_equal(ru->sev, SEV_WARNING);

	assert_int_equal(f->bl->parity.nr, 1);
	ru = &f->bl->parity.v[0];
	assert_int_equal(ru->envs.nr, 2);
	assert_string_equal(ru->envs.v[1], "prod");
	assert_int_equal(ru->roles.nr, 1);
	assert_string_equal(ru->roles.v[0], "web");
	assert_true(ru->has_sev);
	assert_int_equal(ru->sev, SEV_INFO);
	ed_buf_reset(&loc);
	ed_buf_addf(&loc, "%s:10", f->path.ptr);
	assert_string_equal(ru->loc, loc.ptr);

	assert_int_equal(f->bl->expect.nr, 1);
	assert_int_equal(f->bl->expect.v[0].mode, EXPECT_MEMORY);
	assert_int_equal(f->bl->waivers.nr, 0);
	ed_buf_release(&loc);
	baseline_free(defaults);
}

static void test_baseline_waivers_file_beside_it_loads_waivers_only(void **state)
{
	struct fixture *f = *state;
	const struct baseline_rule *w;

	assert_string_equal(f->wpath.ptr + f->wpath.len -
				    strlen("/parity.waivers.yaml"),
			    "/parity.waivers.yaml");
	put(f->path.ptr, "pins:\n  - \"sysctl:vm.x = 1\"\n");
	put(f->wpath.ptr, "waivers:\n"
			  "  - key: \"sysctl:vm.x\"\n"
			  "    reason: tuning in progress\n"
			  "    expires: 2099-01-31\n"
			  "    host: web-1\n");
	assert_int_equal(baseline_load(&f->bl, f->path.ptr, &f->err), 0);
	assert_int_equal(f->bl->waivers.nr, 1);
	w = &f->bl->waivers.v[0];
	assert_string_equal(w->reason, "tuning in progress");
	assert_string_equal(w->expires, "2099-01-31");
	assert_string_equal(w->host, "web-1");
	assert_null(w->env);
	baseline_free(f->bl);
	f->bl = NULL;

	put(f->wpath.ptr, "pins:\n  - \"sysctl:vm.y = 1\"\n");
	assert_int_equal(baseline_load(&f->bl, f->path.ptr, &f->err), ED_EPARSE);
	assert_null(f->bl);
	assert_non_null(strstr(
		f->err.msg,
		"parity.waivers.yaml:1:1: 'pins' is not a baseline key (want waivers)"));
}

static void test_baseline_errors_name_the_place(void **state)
{
	struct fixture *f = *state;

	put(f->path.ptr, "ignore:\n  - no-colon-here\n");
	assert_int_equal(baseline_load(&f->bl, f->path.ptr, &f->err), ED_EPARSE);
	assert_null(f->bl);
	assert_non_null(strstr(f->err.msg,
			       ":2:5: ignore: 'no-colon-here' names no collector"));

	put(f->path.ptr,
	    "waivers:\n  - {key: \"a:b\", reason: x, expires: 2099-13-01}\n");
	assert_int_equal(baseline_load(&f->bl, f->path.ptr, &f->err), ED_EPARSE);
	assert_non_null(strstr(f->err.msg, "parity.yaml:2:"));
	assert_non_null(strstr(f->err.msg,
			       ": waivers: expires: want a date YYYY-MM-DD"));

	unlink(f->path.ptr);
	assert_int_equal(baseline_load(&f->bl, f->path.ptr, &f->err),
			 ED_ENOTFOUND);
	assert_null(f->bl);
}

static void test_baseline_severity_words_and_dates(void **state)
{
	enum drift_severity s = SEV_WARNING;
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	assert_int_equal(drift_severity_parse(&s, "critical"), 0);
	assert_int_equal(s, SEV_CRITICAL);
	assert_int_equal(drift_severity_parse(&s, "info"), 0);
	assert_int_equal(s, SEV_INFO);
	assert_int_equal(drift_severity_parse(&s, "Critical"), -1);
	assert_int_equal(s, SEV_INFO);
	assert_string_equal(drift_severity_name(SEV_WARNING), "warning");
	assert_true(baseline_valid_date("2027-01-31"));
	assert_false(baseline_valid_date("2027-1-31"));
	assert_false(baseline_valid_date("2027-01-32"));
	assert_false(baseline_valid_date("2027-01-31x"));
	baseline_waivers_path(&b, "base.yml");
	assert_string_equal(b.ptr, "base.waivers.yaml");
	ed_buf_reset(&b);
	baseline_waivers_path(&b, "base");
	assert_string_equal(b.ptr, "base.waivers.yaml");
	ed_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_baseline_every_key_loads_with_its_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_baseline_waivers_file_beside_it_loads_waivers_only,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_baseline_errors_name_the_place,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_baseline_severity_words_and_dates,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
