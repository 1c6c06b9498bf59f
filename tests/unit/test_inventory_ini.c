/*
 * Unit tests for INI inventories and group_vars/host_vars
 * (collector/fleet/inventory_ini.c, inventory_pylit.c, inventory_vars.c,
 * inventory_json.c): format detection, values typed as Ansible's
 * ast.literal_eval types them, errors with "file:line:", variables from
 * the directories beside the file with their origins. t0043 checks the
 * same against ansible-core itself; these run without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/fleet/fleet.h"
#include "core/buf.h"
#include "core/err.h"

#define ORACLE_DIR FIXTURE_DIR "/inventory/oracle/"

static struct inventory *load_str(const char *text, struct ed_err *err)
{
	struct inventory *inv = NULL;

	ed_err_clear(err);
	(void)inventory_load_buf(&inv, text, strlen(text), "hosts.ini", NULL, err);
	return inv;
}

/* The JSON of host name's variables, into b. */
static void vars_of(struct ed_buf *b, const struct inventory *inv, const char *name)
{
	const struct inventory_host *h = inventory_find(inv, name);

	if (!h)
		fail_msg("host '%s' not found", name);
	ed_buf_reset(b);
	inventory_host_vars_json(b, inv, h);
}

static void test_ini_values_are_python_literals(void **state)
{
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf b = ED_BUF_INIT;
	struct inventory *inv;

	(void)state;
	inv = load_str("[prod]\n"
		       "a i=5 n=-0x10 u=1_000 f=1.5e3 t=True z=None ip=10.0.0.5 o=007\n"
		       /* shlex keeps the backslash inside '...', and x\ty is no literal */
		       "b s='x\\ty' l=\"[1, (2, 3), {'k': None}]\" w=\"two words\" "
		       "p=(5) tu=1,2 big=123456789012345678901234567890\n"
		       "[prod:vars]\n"
		       "g = 'quoted' # comment\n"
		       "h = text # kept\n",
		       &err);
	if (!inv)
		fail_msg("%s", err.msg);
	vars_of(&b, inv, "a");
	assert_string_equal(b.ptr,
			    "{\"f\": 1500.0, \"g\": \"quoted\", \"h\": \"text # kept\", "
			    "\"i\": 5, \"ip\": \"10.0.0.5\", \"n\": -16, \"o\": \"007\", "
			    "\"t\": true, \"u\": 1000, \"z\": null}");
	vars_of(&b, inv, "b");
	assert_string_equal(
		b.ptr,
		"{\"big\": 123456789012345678901234567890, \"g\": \"quoted\", "
		"\"h\": \"text # kept\", "
		"\"l\": [1, [2, 3], {\"k\": null}], \"p\": 5, \"s\": \"x\\\\ty\", "
		"\"tu\": [1, 2], \"w\": \"two words\"}");
	inventory_free(inv);
	ed_buf_release(&b);
}

static void test_ini_groups_children_ports_and_comments(void **state)
{
	struct ed_err err = ED_ERR_INIT;
	struct inventory *inv;
	const struct inventory_host *h;

	(void)state;
	inv = load_str("# comment\n; another\n"
		       "solo envdrift_env=dev\n"
		       "[web]\n"
		       "web[01:03]:2222 ansible_user=ops # trailing\n"
		       "[prod:children]\n"
		       "web\n"
		       "[prod]\n",
		       &err);
	if (!inv)
		fail_msg("%s", err.msg);
	assert_int_equal(inventory_nr_hosts(inv), 4);
	h = inventory_find(inv, "web02");
	assert_non_null(h);
	assert_string_equal(h->env, "prod");
	assert_int_equal(h->nr_roles, 1);
	assert_string_equal(h->roles[0], "web");
	assert_int_equal(h->port, 2222);
	assert_string_equal(h->user, "ops");
	assert_string_equal(h->origin[INVENTORY_PORT], "hosts.ini:5");
	assert_string_equal(h->origin[INVENTORY_ENV], "hosts.ini: group prod");
	assert_null(h->origin[INVENTORY_ADDRESS]);
	h = inventory_find(inv, "solo");
	assert_non_null(h);
	assert_int_equal(h->nr_groups, 2); /* all, ungrouped */
	assert_string_equal(h->groups[1], "ungrouped");
	assert_int_equal(inventory_limit(inv, "prod:!web03", &err), 0);
	assert_int_equal(inventory_nr_hosts(inv), 2);
	inventory_free(inv);
}

static void test_ini_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[web]\nw1\n[web:meta]\n", "hosts.ini:3: unknown section type" },
		{ "[prod:children]\nweb\n",
		  "hosts.ini:2: section [prod:children] names group 'web'" },
		{ "[x:vars]\na=1\n",
		  "hosts.ini:1: section [x:vars] is for a group" },
		{ "[prod]\nw1 a='open\n",
		  "hosts.ini:2: host line: no closing quotation" },
		{ "[prod]\nw1 flag\n",
		  "hosts.ini:2: expected key=value host variable" },
		{ "[prod]\nw1:http\n", "hosts.ini:2: host pattern not supported" },
		{ "[prod]\n[bad name]\n", "hosts.ini:2: invalid section header" },
		{ "[prod]\nw1\n[prod:children]\nbad:name\n",
		  "hosts.ini:4: expected a group name" },
		{ "[prod]\nw$1\n", "hosts.ini:2:1: bad host name" },
	};
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct inventory *inv = load_str(cases[i].text, &err);

		if (inv)
			fail_msg("case %zu loaded", i);
		assert_int_equal(err.code, ED_EPARSE);
		if (!strstr(err.msg, cases[i].msg))
			fail_msg("case %zu: \"%s\" does not hold \"%s\"", i,
				 err.msg, cases[i].msg);
	}
}

static void test_ini_or_yaml_by_content(void **state)
{
	struct ed_err err = ED_ERR_INIT;
	struct inventory *inv;

	(void)state;
	/* YAML: a mapping, a document marker, a flow mapping (JSON) */
	inv = load_str("# c\nprod:\n  hosts:\n    p1:\n", &err);
	assert_non_null(inv);
	inventory_free(inv);
	inv = load_str("---\nprod: {hosts: {p1: }}\n", &err);
	assert_non_null(inv);
	inventory_free(inv);
	inv = load_str("{\"prod\":{\"hosts\":{\"p1\":null}}}", &err);
	assert_non_null(inv);
	inventory_free(inv);
	/* INI: host lines alone, or a section header first */
	inv = load_str("p1 envdrift_env=prod\np2:2200 envdrift_env=dev\n", &err);
	if (!inv)
		fail_msg("%s", err.msg);
	assert_int_equal(inventory_nr_hosts(inv), 2);
	assert_int_equal(inventory_find(inv, "p2")->port, 2200);
	inventory_free(inv);
	/* ": " in a value does not make a host line YAML */
	inv = load_str("w1 note=\"a: b\" envdrift_env=prod\n", &err);
	if (!inv)
		fail_msg("%s", err.msg);
	assert_int_equal(inventory_nr_hosts(inv), 1);
	inventory_free(inv);
	inv = load_str("\"prod\":\n  hosts:\n    p1:\n", &err);
	assert_non_null(inv);
	inventory_free(inv);
}

static void test_group_vars_and_host_vars_beside_the_file(void **state)
{
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf b = ED_BUF_INIT;
	struct inventory *inv = NULL;
	const struct inventory_host *h;

	(void)state;
	if (inventory_load(&inv, ORACLE_DIR "ini3/inventory", NULL, &err) < 0)
		fail_msg("%s", err.msg);
	h = inventory_find(inv, "q1");
	assert_non_null(h);
	vars_of(&b, inv, "q1");
	/* host_vars/q1/ a.yml then b.yaml (sorted); c.txt and .hidden skipped */
	assert_non_null(strstr(b.ptr, "\"i\": 7"));
	assert_non_null(strstr(b.ptr, "\"extra\": [\"x\"]"));
	assert_null(strstr(b.ptr, "ignored"));
	assert_null(strstr(b.ptr, "\"not\""));
	/* group_vars files win over every inventory group variable */
	assert_non_null(strstr(b.ptr, "\"order\": \"group_vars-qa\""));
	assert_non_null(strstr(b.ptr, "\"from_all_dir\": 1"));
	inventory_free(inv);
	inv = NULL;
	if (inventory_load(&inv, ORACLE_DIR "ini1/hosts.ini", NULL, &err) < 0)
		fail_msg("%s", err.msg);
	h = inventory_find(inv, "web01.example.com");
	assert_non_null(h);
	assert_string_equal(h->address, "10.9.9.9");
	assert_string_equal(h->origin[INVENTORY_ADDRESS], ORACLE_DIR
			    "ini1/host_vars/web01.example.com.yml:1");
	assert_string_equal(h->user, "www");
	assert_string_equal(h->origin[INVENTORY_USER],
			    ORACLE_DIR "ini1/group_vars/web/10-ports.yml:2");
	inventory_free(inv);
	ed_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ini_values_are_python_literals),
		cmocka_unit_test(test_ini_groups_children_ports_and_comments),
		cmocka_unit_test(test_ini_errors_name_file_and_line),
		cmocka_unit_test(test_ini_or_yaml_by_content),
		cmocka_unit_test(test_group_vars_and_host_vars_beside_the_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
