/*
 * Unit tests for the collection configuration (collect_config_load): the
 * built-in defaults, a user file that replaces and extends them, and every
 * error a user file can provoke, each checked for its code and its
 * "path:line:col:" location. Inputs are tests/fixtures/config/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collector.h"
#include "core/glob.h"
#include "core/buf.h"
#include "core/err.h"

#define CONFIG_DIR FIXTURE_DIR "/config/"

struct fixture {
	struct ed_err err;
	struct collect_config *cfg;
	struct collect_config *def; /* defaults, loaded once */
	struct ed_buf prefix; /* kept here so a failed assertion leaks nothing */
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	ed_buf_init(&f->prefix);
	if (collect_config_load(&f->def, NULL, &f->err) < 0) {
		fprintf(stderr, "defaults: %s\n", f->err.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	collect_config_free(f->def);
	ed_buf_release(&f->prefix);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	f->cfg = NULL;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	collect_config_free(f->cfg);
	f->cfg = NULL;
	return 0;
}

static int load(struct fixture *f, const char *name)
{
	struct ed_buf path = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&path, "%s%s", CONFIG_DIR, name);
	f->cfg = (struct collect_config *)f; /* must be reset to NULL on error */
	rc = collect_config_load(&f->cfg, path.ptr, &f->err);
	ed_buf_release(&path);
	return rc;
}

/*
 * Load fixture name, expect ED_EPARSE with a message that starts with
 * "<full path>:<loc>: " and contains what.
 */
static void assert_load_error(struct fixture *f, const char *name,
			      const char *loc, const char *what)
{
	int rc = load(f, name);

	assert_int_equal(rc, ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_null(f->cfg);
	ed_buf_reset(&f->prefix);
	ed_buf_addf(&f->prefix, "%s%s:%s: ", CONFIG_DIR, name, loc);
	if (strncmp(f->err.msg, f->prefix.ptr, f->prefix.len))
		fail_msg("message \"%s\" does not start with \"%s\"",
			 f->err.msg, f->prefix.ptr);
	if (!strstr(f->err.msg, what))
		fail_msg("message \"%s\" does not say \"%s\"", f->err.msg, what);
}

static void assert_strvec_equal(const struct ed_strvec *a,
				const struct ed_strvec *b)
{
	size_t i;

	assert_int_equal(a->nr, b->nr);
	for (i = 0; i < a->nr; i++)
		assert_string_equal(a->v[i], b->v[i]);
}

/* b is a followed by the one string extra */
static void assert_strvec_extended(const struct ed_strvec *b,
				   const struct ed_strvec *a, const char *extra)
{
	size_t i;

	assert_int_equal(b->nr, a->nr + 1);
	for (i = 0; i < a->nr; i++)
		assert_string_equal(b->v[i], a->v[i]);
	assert_string_equal(b->v[a->nr], extra);
}

static void assert_no_empty(const struct ed_strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->nr; i++) {
		assert_non_null(sv->v[i]);
		assert_true(sv->v[i][0] != '\0');
	}
}

/* No sysctl key pattern may sit in two classes (each class acts differently). */
static void assert_disjoint(const struct ed_strvec *a, const struct ed_strvec *b)
{
	size_t i;

	for (i = 0; i < a->nr; i++)
		if (ed_strvec_contains(b, a->v[i]))
			fail_msg("sysctl pattern '%s' is in two classes", a->v[i]);
}

static void test_config_defaults_enable_every_collector(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(collect_config_load(&f->cfg, NULL, &f->err), 0);
	assert_non_null(f->cfg);
	assert_true(f->cfg->packages);
	assert_true(f->cfg->kernel);
	assert_true(f->cfg->sysctl);
	assert_true(f->cfg->services);
	assert_true(f->cfg->files);
	assert_int_equal(f->cfg->content_max, 1048576);
	assert_int_equal(f->cfg->max_files, 500000);
}

static void test_config_defaults_file_lists(void **state)
{
	struct fixture *f = *state;
	const struct collect_config *d = f->def;
	size_t i;

	assert_true(ed_strvec_contains(&d->file_include, "/etc/**"));
	for (i = 0; i < d->file_include.nr; i++)
		assert_int_equal(d->file_include.v[i][0], '/');
	assert_true(ed_strvec_contains(&d->file_exclude, "/etc/mtab"));
	assert_true(ed_strvec_contains(&d->file_exclude, "**/*.dpkg-old"));
	assert_true(ed_strvec_contains(&d->secret_files, "/etc/shadow*"));
	assert_true(ed_strvec_contains(&d->secret_files, "/etc/ssl/private/**"));
	assert_no_empty(&d->file_include);
	assert_no_empty(&d->file_exclude);
	assert_no_empty(&d->secret_files);
	/* the credential files of baselines/secret-files.yaml */
	assert_true(ed_strvec_contains(&d->secret_files, "**/.pgpass"));
	assert_true(ed_strvec_contains(&d->secret_files, "/etc/postfix/*passwd*"));
	assert_true(ed_strvec_contains(&d->secret_files, "/etc/ppp/*-secrets"));
	assert_true(d->secret_files.nr >= 80);
	/* secret values are the built-in detectors' job: no default ERE */
	assert_int_equal(d->secret_values.nr, 0);
	assert_true(ed_strvec_contains(&d->plain_files, "/etc/nsswitch.conf"));
	assert_true(ed_strvec_contains(&d->plain_files, "/etc/pam.d/**"));
	assert_true(ed_strvec_contains(&d->plain_files, "/etc/login.defs"));
}

static void test_config_default_secret_files_are_absolute_globs(void **state)
{
	struct fixture *f = *state;
	const struct collect_config *d = f->def;
	size_t i;

	for (i = 0; i < d->secret_files.nr; i++) {
		const char *g = d->secret_files.v[i];

		if (g[0] != '/' && strncmp(g, "**/", 3))
			fail_msg("secret-files.yaml: \"%s\" is not absolute", g);
	}
	assert_true(ed_glob_match("**/.pgpass", "/root/.pgpass", '/'));
	assert_true(ed_glob_match("**/.pgpass", "/home/deploy/.pgpass", '/'));
}

static void test_config_default_sysctl_classes_are_consistent(void **state)
{
	struct fixture *f = *state;
	const struct sysctl_classes *c = &f->def->sysctl_classes;
	const struct ed_strvec *all[] = { &c->volatile_keys, &c->per_host,
					  &c->secret, &c->write_only };
	size_t i, j;

	for (i = 0; i < 4; i++) {
		assert_no_empty(all[i]);
		for (j = 0; j < all[i]->nr; j++)
			assert_null(strpbrk(all[i]->v[j], " \t\n/"));
		for (j = i + 1; j < 4; j++)
			assert_disjoint(all[i], all[j]);
	}
}

static void test_config_defaults_load_deterministically(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(collect_config_load(&f->cfg, NULL, &f->err), 0);
	assert_strvec_equal(&f->cfg->file_include, &f->def->file_include);
	assert_strvec_equal(&f->cfg->file_exclude, &f->def->file_exclude);
	assert_strvec_equal(&f->cfg->secret_files, &f->def->secret_files);
	assert_strvec_equal(&f->cfg->secret_values, &f->def->secret_values);
	assert_strvec_equal(&f->cfg->sysctl_classes.volatile_keys,
			    &f->def->sysctl_classes.volatile_keys);
	assert_strvec_equal(&f->cfg->sysctl_classes.secret,
			    &f->def->sysctl_classes.secret);
}

static void test_config_user_file_replaces_and_extends(void **state)
{
	struct fixture *f = *state;
	const struct collect_config *c;
	const struct collect_config *d = f->def;

	assert_int_equal(load(f, "user.yaml"), 0);
	c = f->cfg;
	assert_non_null(c);
	/* collectors: two off, the rest keep their default */
	assert_true(c->packages);
	assert_false(c->kernel);
	assert_true(c->sysctl);
	assert_false(c->services);
	assert_true(c->files);
	/* include replaced */
	assert_int_equal(c->file_include.nr, 2);
	assert_string_equal(c->file_include.v[0], "/srv/app/**");
	assert_string_equal(c->file_include.v[1], "/etc/ssh/sshd_config");
	/* exclude-extra appends to the default list */
	assert_strvec_extended(&c->file_exclude, &d->file_exclude,
			       "/srv/app/cache");
	assert_strvec_extended(&c->secret_files, &d->secret_files,
			       "/srv/app/*.pem");
	assert_strvec_equal(&c->secret_values, &d->secret_values);
	assert_int_equal(c->content_max, 4096);
	assert_int_equal(c->max_files, 500000);
	/* sysctl classes: one extended, one emptied, the others kept */
	assert_strvec_extended(&c->sysctl_classes.volatile_keys,
			       &d->sysctl_classes.volatile_keys, "kernel.test.*");
	assert_int_equal(c->sysctl_classes.per_host.nr, 0);
	assert_strvec_equal(&c->sysctl_classes.secret, &d->sysctl_classes.secret);
	assert_strvec_equal(&c->sysctl_classes.write_only,
			    &d->sysctl_classes.write_only);
}

static void test_config_empty_user_file_keeps_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "empty.yaml"), 0);
	assert_non_null(f->cfg);
	assert_true(f->cfg->files);
	assert_strvec_equal(&f->cfg->file_include, &f->def->file_include);
	assert_strvec_equal(&f->cfg->file_exclude, &f->def->file_exclude);
}

/*
 * Regression (fixed in core/yaml.c ed_yaml_load, seen through collect_config_load): a file
 * holding only "---" and comments is an empty document, but it loads as an
 * empty scalar and fails with "top level: want a mapping, found a scalar".
 *
 */
static void test_config_document_start_only_keeps_defaults(void **state)
{
	struct fixture *f = *state;

	if (load(f, "doc-start-only.yaml") != 0)
		fail_msg("%s", f->err.msg);
	assert_non_null(f->cfg);
	assert_strvec_equal(&f->cfg->file_include, &f->def->file_include);
}

static void test_config_unknown_key_is_rejected(void **state)
{
	struct fixture *f = *state;
	struct ed_buf want = ED_BUF_INIT;

	assert_load_error(f, "unknown-key.yaml", "3:3", "unknown key 'bogus'");
	ed_buf_addf(&want, "%sunknown-key.yaml:3:3: unknown key 'bogus'",
		    CONFIG_DIR);
	assert_string_equal(f->err.msg, want.ptr);
	ed_buf_release(&want);
}

static void test_config_unknown_top_level_key_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "unknown-top.yaml", "4:1", "unknown key 'sysctl'");
}

static void test_config_unknown_sysctl_class_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "classes-unknown.yaml", "3:3",
			  "unknown key 'hidden'");
}

static void test_config_wrong_bool_has_location(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "wrong-bool.yaml", "2:11",
			  "kernel: want true or false");
}

static void test_config_scalar_for_list_has_location(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "wrong-list.yaml", "2:12",
			  "include: want a list, found a scalar");
}

static void test_config_sequence_for_map_has_location(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "wrong-map.yaml", "1:13",
			  "collectors: want a mapping, found a sequence");
}

static void test_config_wrong_size_has_location(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "wrong-size.yaml", "2:14",
			  "max-files: want a non-negative integer");
}

static void test_config_empty_list_item_has_location(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "empty-item.yaml", "4:7", "want a non-empty string");
}

static void test_config_top_level_sequence_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "top-seq.yaml", "1:1",
			  "top level: want a mapping, found a sequence");
}

static void test_config_duplicate_key_is_rejected(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "dup.yaml", "3:3", "duplicate key 'files'");
}

static void test_config_relative_include_is_rejected(void **state)
{
	struct fixture *f = *state;
	struct ed_buf prefix = ED_BUF_INIT;

	assert_int_equal(load(f, "relative.yaml"), ED_EPARSE);
	assert_null(f->cfg);
	ed_buf_addf(&prefix, "%srelative.yaml:", CONFIG_DIR);
	assert_true(!strncmp(f->err.msg, prefix.ptr, prefix.len));
	assert_non_null(strstr(f->err.msg, "must be absolute"));
	ed_buf_reset(&prefix);
	assert_int_equal(load(f, "relative-extra.yaml"), ED_EPARSE);
	assert_null(f->cfg);
	ed_buf_addf(&prefix, "%srelative-extra.yaml:", CONFIG_DIR);
	assert_true(!strncmp(f->err.msg, prefix.ptr, prefix.len));
	assert_non_null(strstr(f->err.msg, "must be absolute"));
	ed_buf_release(&prefix);
}

/*
 * Regression (fixed in collector/config.c read_files): the "must be absolute" error points
 * at the files: mapping (its first key), not at the offending entry, and
 * does not name the path; for an include-extra entry it points at an
 * unrelated key. Fails until the location is the entry's.
 */
static void test_config_relative_include_points_at_the_entry(void **state)
{
	struct fixture *f = *state;

	assert_load_error(f, "relative.yaml", "4:7", "etc/ssh/*");
	assert_load_error(f, "relative-extra.yaml", "4:7", "srv/other");
}

static void test_config_missing_file_is_notfound(void **state)
{
	struct fixture *f = *state;
	int rc = load(f, "no-such-file.yaml");

	assert_int_equal(rc, ED_ENOTFOUND);
	assert_int_equal(f->err.code, ED_ENOTFOUND);
	assert_null(f->cfg);
	assert_true(!strncmp(f->err.msg, CONFIG_DIR "no-such-file.yaml: ",
			     strlen(CONFIG_DIR "no-such-file.yaml: ")));
}

static void test_config_directory_is_an_error(void **state)
{
	struct fixture *f = *state;
	int rc;

	f->cfg = NULL;
	rc = collect_config_load(&f->cfg, CONFIG_DIR, &f->err);
	assert_int_equal(rc, ED_EIO);
	assert_null(f->cfg);
	assert_true(!strncmp(f->err.msg, CONFIG_DIR, strlen(CONFIG_DIR)));
}

static void test_config_scan_settings(void **state)
{
	struct fixture *f = *state;
	const struct scan_settings *sc;

	assert_int_equal(load(f, "scan.yaml"), 0);
	sc = &f->cfg->scan;
	assert_int_equal(sc->environments.nr, 3);
	assert_string_equal(sc->environments.v[1], "uat");
	assert_int_equal(sc->jobs, 120);
	assert_int_equal(sc->connect_timeout, 5);
	assert_int_equal(sc->deadline, 600);
	assert_int_equal(sc->keepalive, 30);
	assert_int_equal(sc->max_bytes, (size_t)64 << 20);
	assert_string_equal(sc->max_failed, "2%");
	assert_string_equal(sc->known_hosts, "/etc/envdrift/known_hosts");
	assert_string_equal(sc->ssh_config, "/etc/envdrift/ssh_config");
	assert_int_equal(sc->accept_new, 1);
}

static void test_config_scan_defaults_unset(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(collect_config_load(&f->cfg, NULL, &f->err), 0);
	assert_int_equal(f->cfg->scan.jobs, 0);
	assert_int_equal(f->cfg->scan.accept_new, -1);
	assert_null(f->cfg->scan.max_failed);
	assert_int_equal(f->cfg->scan.environments.nr, 0);
}

static void test_config_scan_bad_values_have_location(void **state)
{
	struct fixture *f = *state;
	size_t n = 0;

	assert_load_error(f, "scan-bad-size.yaml", "3:14", "max-bytes");
	teardown(state);
	setup(state);
	assert_load_error(f, "scan-bad-failed.yaml", "2:15", "max-failed");
	teardown(state);
	setup(state);
	assert_load_error(f, "scan-zero.yaml", "2:13", "1 to 86400");
	assert_int_equal(collect_parse_size("64M", &n), 0);
	assert_int_equal(n, (size_t)64 << 20);
	assert_int_equal(collect_parse_size("1g", &n), 0);
	assert_int_equal(n, (size_t)1 << 30);
	assert_int_equal(collect_parse_size("0", &n), -1);
	assert_int_equal(collect_parse_size("-1", &n), -1);
	assert_int_equal(collect_parse_size("5X", &n), -1);
	assert_int_equal(collect_parse_size("", &n), -1);
	assert_int_equal(collect_parse_size("99999999999999G", &n), -1);
}

static void test_config_toggle_commands(void **state)
{
	struct fixture *f = *state;
	const struct toggle_cmd *t;

	assert_int_equal(load(f, "toggle-cmds.yaml"), 0);
	assert_int_equal(f->cfg->toggle_files.nr, 1);
	assert_int_equal(f->cfg->toggle_cmds_nr, 2);
	t = &f->cfg->toggle_cmds[0];
	assert_string_equal(t->name, "app");
	assert_string_equal(t->argv[0], "/usr/local/bin/app");
	assert_string_equal(t->argv[2], "--json");
	assert_null(t->argv[3]);
	assert_int_equal(t->format, TOGGLE_YAML);
	assert_int_equal(t->timeout_s, 30);
	t = &f->cfg->toggle_cmds[1];
	assert_string_equal(t->name, "legacy.env");
	assert_null(t->argv[1]);
	assert_int_equal(t->format, TOGGLE_KV);
	assert_int_equal(t->timeout_s, 5);
}

static void test_config_toggle_commands_bad(void **state)
{
	static const struct {
		const char *file, *loc, *what;
	} bad[] = {
		{ "toggle-cmd-relative.yaml", "3:25", "absolute path" },
		{ "toggle-cmd-format.yaml", "3:44", "want yaml, json, ini or env" },
		{ "toggle-cmd-dup.yaml", "4:7", "duplicate name" },
		{ "toggle-cmd-name.yaml", "3:14", "name: want" },
		{ "toggle-cmd-norun.yaml", "3:7", "needs name, run and format" },
		{ "toggle-cmd-timeout.yaml", "3:56", "1-600 seconds" },
		{ "toggle-cmd-string.yaml", "3:24", "no shell" },
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_load_error(f, bad[i].file, bad[i].loc, bad[i].what);
		teardown(state);
		setup(state);
	}
}

static void test_config_free_null_is_noop(void **state)
{
	struct fixture *f = *state;

	collect_config_free(NULL);
	assert_null(f->cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_defaults_enable_every_collector,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_scan_settings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_toggle_commands,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_toggle_commands_bad,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_scan_defaults_unset,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_scan_bad_values_have_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_defaults_file_lists,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_config_default_secret_files_are_absolute_globs,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_config_default_sysctl_classes_are_consistent,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_defaults_load_deterministically,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_user_file_replaces_and_extends,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_empty_user_file_keeps_defaults,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_config_document_start_only_keeps_defaults, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_config_unknown_key_is_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_config_unknown_top_level_key_is_rejected, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_config_unknown_sysctl_class_is_rejected, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_config_wrong_bool_has_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_scalar_for_list_has_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_sequence_for_map_has_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_wrong_size_has_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_empty_list_item_has_location,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_top_level_sequence_is_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_duplicate_key_is_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_relative_include_is_rejected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_config_relative_include_points_at_the_entry, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_config_missing_file_is_notfound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_directory_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_free_null_is_noop,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
