/*
 * Unit tests for the inventory of collector/fleet/fleet.h and for
 * core/yaml.h's opt-in alias expansion it relies on: range expansion,
 * variable inheritance, anchors and merge keys, environment and role
 * resolution, --limit patterns, and every error with its "file:line:col:"
 * location.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector/fleet/fleet.h"
#include "core/err.h"
#include "core/yaml.h"

#define INV_DIR FIXTURE_DIR "/inventory/"

struct fixture {
	struct ed_err err;
	struct inventory *inv;
	struct ed_ynode *doc;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	free(*state);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	f->inv = NULL;
	f->doc = NULL;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	inventory_free(f->inv);
	ed_ynode_free(f->doc);
	f->inv = NULL;
	f->doc = NULL;
	return 0;
}

static int load(struct fixture *f, const char *name)
{
	char path[512]; /* fixture paths are short; checked below */
	int n = snprintf(path, sizeof(path), "%s%s", INV_DIR, name);

	assert_true(n > 0 && (size_t)n < sizeof(path));
	return inventory_load(&f->inv, path, NULL, &f->err);
}

static int load_str(struct fixture *f, const char *text)
{
	return inventory_load_buf(&f->inv, text, strlen(text), "inv.yml", NULL,
				  &f->err);
}

static void assert_msg(const struct fixture *f, int rc, int code,
		       const char *prefix, const char *what)
{
	assert_int_equal(rc, code);
	assert_int_equal(f->err.code, code);
	if (prefix && !strstr(f->err.msg, prefix))
		fail_msg("message \"%s\" does not hold \"%s\"", f->err.msg,
			 prefix);
	if (!strstr(f->err.msg, what))
		fail_msg("message \"%s\" does not say \"%s\"", f->err.msg, what);
}

static const struct inventory_host *host(const struct fixture *f, const char *name)
{
	const struct inventory_host *h = inventory_find(f->inv, name);

	if (!h)
		fail_msg("host '%s' not found", name);
	return h;
}

static void test_inventory_expands_ranges_and_counts_hosts(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = {
		"bastion.prod.example.com",  "db01.staging.example.com",
		"dba.prod.example.com",      "dbb.prod.example.com",
		"dbc.prod.example.com",      "devbox.example.com",
		"mon01.example.com",         "web01.prod.example.com",
		"web01.staging.example.com", "web02.prod.example.com",
		"web03.prod.example.com",    "web03.staging.example.com",
		"web04.prod.example.com",    "web05.staging.example.com",
	};
	size_t i;

	assert_int_equal(load(f, "site.yml"), 0);
	assert_int_equal(inventory_nr_hosts(f->inv),
			 sizeof(want) / sizeof(want[0]));
	for (i = 0; i < inventory_nr_hosts(f->inv); i++)
		assert_string_equal(inventory_host(f->inv, i)->name, want[i]);
	assert_null(inventory_find(f->inv, "web02.staging.example.com"));
	assert_int_equal(host(f, "web01.prod.example.com")->line, 14);
	assert_int_equal(host(f, "web01.prod.example.com")->col, 9);
}

static void test_inventory_range_forms(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load_str(f, "prod:\n  hosts:\n"
				     "    n[8:11]:\n    p[098:100:2]x:\n"
				     "    '[A:B]z[1:2]':\n"),
			 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 4 + 2 + 4);
	host(f, "n8");
	host(f, "n11");
	host(f, "p098x");
	host(f, "p100x");
	host(f, "Az1");
	host(f, "Bz2");
	assert_null(inventory_find(f->inv, "n08"));
	assert_null(inventory_find(f->inv, "p099x"));
}

static void test_inventory_bad_ranges_are_errors(void **state)
{
	struct fixture *f = *state;

	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[01:5]:\n"), ED_EPARSE,
		   "inv.yml:3:5: ", "equal length");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[5:1]:\n"), ED_EPARSE,
		   "inv.yml:3:5: ", "ends before it begins");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[1:5:0]:\n"),
		   ED_EPARSE, "inv.yml:3:5: ", "bad stride");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[1:5:\n"), ED_EPARSE,
		   "inv.yml:3:5: ", "unterminated range");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[a:9]:\n"), ED_EPARSE,
		   "inv.yml:3:5: ", "bad range");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[0:99999999]:\n"),
		   ED_EPARSE, "inv.yml:3:5: ", "more than 100000 hosts");
}

static void test_inventory_inheritance_all_parent_child_host(void **state)
{
	struct fixture *f = *state;
	const struct inventory_host *h;

	assert_int_equal(
		load_str(f,
			 "all:\n"
			 "  vars: {envdrift_a: all, envdrift_b: all, envdrift_c: all, envdrift_d: all}\n"
			 "  children:\n"
			 "    europe:\n"
			 "      vars: {envdrift_b: europe, envdrift_c: europe, envdrift_d: europe}\n"
			 "      children:\n"
			 "        prod:\n"
			 "          vars: {envdrift_c: prod, envdrift_d: prod}\n"
			 "          hosts:\n"
			 "            h1: {envdrift_d: host}\n"
			 "            h2:\n"),
		0);
	h = host(f, "h1");
	assert_string_equal(inventory_host_var(h, "envdrift_a"), "all");
	assert_string_equal(inventory_host_var(h, "envdrift_b"), "europe");
	assert_string_equal(inventory_host_var(h, "envdrift_c"), "prod");
	assert_string_equal(inventory_host_var(h, "envdrift_d"), "host");
	assert_string_equal(inventory_host_var(host(f, "h2"), "envdrift_d"),
			    "prod");
	assert_int_equal(h->nr_roles, 1);
	assert_string_equal(h->roles[0], "europe");
	assert_int_equal(h->nr_vars, 4);
	assert_string_equal(h->vars[0].key, "envdrift_a");
}

static void test_inventory_sibling_groups_apply_alphabetically(void **state)
{
	struct fixture *f = *state;

	/* zeta is defined first but sorts last, so it wins (Ansible's order) */
	assert_int_equal(load_str(f, "zeta:\n  vars: {envdrift_s: zeta}\n"
				     "  hosts: {h1: }\n"
				     "alpha:\n  vars: {envdrift_s: alpha}\n"
				     "  hosts: {h1: }\n"
				     "prod:\n  hosts: {h1: }\n"),
			 0);
	assert_string_equal(inventory_host_var(host(f, "h1"), "envdrift_s"),
			    "zeta");
}

static void test_inventory_site_inheritance_and_merge_keys(void **state)
{
	struct fixture *f = *state;
	const struct inventory_host *h;

	assert_int_equal(load(f, "site.yml"), 0);
	h = host(f, "web01.prod.example.com");
	/* all < prod < web (same depth, alphabetical) */
	assert_string_equal(inventory_host_var(h, "envdrift_owner"), "ops");
	assert_string_equal(inventory_host_var(h, "envdrift_profile"), "web");
	assert_string_equal(h->user, "deploy");
	assert_string_equal(h->key_file, "~/.ssh/fleet_ed25519");
	assert_string_equal(h->address, "web01.prod.example.com");
	assert_int_equal(h->port, 22);
	assert_false(h->become);
	/* dev merges staging's vars (envdrift_tier) and keeps its own level */
	h = host(f, "devbox.example.com");
	assert_string_equal(inventory_host_var(h, "envdrift_tier"), "two");
	assert_string_equal(inventory_host_var(h, "envdrift_profile"), "web");
	h = host(f, "bastion.prod.example.com");
	assert_string_equal(h->address, "203.0.113.10");
	assert_int_equal(h->port, 2222);
	assert_int_equal(h->nr_roles, 0);
	h = host(f, "dba.prod.example.com");
	assert_true(h->become);
	assert_string_equal(h->become_method, "sudo");
}

static void test_inventory_env_and_roles(void **state)
{
	struct fixture *f = *state;
	const struct inventory_host *h;

	assert_int_equal(load(f, "site.yml"), 0);
	h = host(f, "web03.staging.example.com");
	assert_string_equal(h->env, "staging");
	assert_int_equal(h->nr_roles, 1);
	assert_string_equal(h->roles[0], "web");
	h = host(f, "db01.staging.example.com");
	assert_string_equal(h->env, "staging");
	assert_string_equal(h->roles[0], "db");
	/* envdrift_env wins over the dev group */
	h = host(f, "devbox.example.com");
	assert_string_equal(h->env, "qa");
	assert_int_equal(h->nr_roles, 1);
	assert_string_equal(h->roles[0], "monitoring");
	h = host(f, "mon01.example.com");
	assert_string_equal(h->env, "prod");
}

static void test_inventory_vault_values_are_opaque(void **state)
{
	struct fixture *f = *state;
	const struct inventory_host *h;

	/* db01.staging carries a !vault db_password: tolerated, unused */
	assert_int_equal(load(f, "site.yml"), 0);
	teardown(state);
	assert_int_equal(load_str(f, "prod:\n  hosts:\n    h1:\n"
				     "      envdrift_secret: !vault |\n"
				     "        $ANSIBLE_VAULT;1.1;AES256\n"
				     "        6162\n"),
			 0);
	h = host(f, "h1");
	assert_int_equal(h->nr_vars, 1);
	assert_true(h->vars[0].vault);
	assert_null(h->vars[0].value);
	teardown(state);
	assert_msg(f,
		   load_str(f, "prod:\n  hosts:\n    h1:\n"
			       "      ansible_user: !vault |\n"
			       "        $ANSIBLE_VAULT;1.1;AES256\n"),
		   ED_EPARSE, "inv.yml:4:21: ", "vault-encrypted");
}

static void test_inventory_custom_env_list(void **state)
{
	struct fixture *f = *state;
	static const char *const envs[] = { "live", "lab" };
	const struct inventory_opts opts = { envs, 2 };
	const char *text = "live:\n  hosts: {a: }\nprod:\n  hosts: {a: }\n";

	assert_int_equal(inventory_load_buf(&f->inv, text, strlen(text),
					    "inv.yml", &opts, &f->err),
			 0);
	assert_string_equal(host(f, "a")->env, "live");
	assert_string_equal(host(f, "a")->roles[0], "prod");
}

static void test_inventory_host_in_two_envs_is_an_error(void **state)
{
	struct fixture *f = *state;

	assert_msg(f, load(f, "two_envs.yml"), ED_EPARSE, "two_envs.yml:5:9: ",
		   "host 'a.example.com' is in two environments, 'prod' and 'staging'");
	assert_null(f->inv);
}

static void test_inventory_host_in_no_env_is_an_error(void **state)
{
	struct fixture *f = *state;

	assert_msg(f, load(f, "no_env.yml"), ED_EPARSE, "no_env.yml:5:5: ",
		   "host 'lost.example.com' is in no environment");
}

static void test_inventory_become_method_other_than_sudo_fails(void **state)
{
	struct fixture *f = *state;

	assert_msg(f, load(f, "bad_become.yml"), ED_EPARSE,
		   "bad_become.yml:7:30: ",
		   "host 'b.example.com': become method 'su' is not supported");
}

static void test_inventory_shell_metacharacters_never_pass(void **state)
{
	struct fixture *f = *state;

	assert_msg(f, load(f, "bad_name.yml"), ED_EPARSE,
		   "bad_name.yml:4:5: ", "bad host name 'evil;rm -rf /'");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  hosts:\n    w[1:2]$(id):\n"),
		   ED_EPARSE, "inv.yml:3:5: ", "bad host name 'w1$(id)'");
	teardown(state);
	assert_msg(f,
		   load_str(f, "prod:\n  hosts:\n    a:\n"
			       "      ansible_host: 'x;reboot'\n"),
		   ED_EPARSE, "inv.yml:4:21: ", "ansible_host: bad value");
	teardown(state);
	assert_msg(f,
		   load_str(f, "prod:\n  hosts:\n    a:\n"
			       "      ansible_user: '{{ user }}'\n"),
		   ED_EPARSE, "inv.yml:4:21: ", "templates are not supported");
	teardown(state);
	assert_msg(f, load_str(f, "'pr od':\n  hosts: {a: }\n"), ED_EPARSE,
		   "inv.yml:1:1: ", "bad group name");
}

static void test_inventory_malformed_yaml_names_location(void **state)
{
	struct fixture *f = *state;

	assert_msg(f, load(f, "malformed.yml"), ED_EPARSE,
		   "malformed.yml:5:", "did not find expected ',' or ']'");
	teardown(state);
	assert_msg(f,
		   load_str(f, "prod:\n  hosts:\n    a:\n"
			       "      ansible_port: 70000\n"),
		   ED_EPARSE, "inv.yml:4:21: ", "want 1 to 65535");
	teardown(state);
	assert_msg(f, load_str(f, "prod:\n  host:\n    a:\n"), ED_EPARSE,
		   "inv.yml:2:3: ", "unknown key 'host'");
	teardown(state);
	assert_msg(f,
		   load_str(f, "a:\n  children:\n    b:\n"
			       "b:\n  children:\n    a:\n"),
		   ED_EPARSE, "inv.yml: ", "is its own ancestor");
	teardown(state);
	assert_msg(f, load(f, "missing.yml"), ED_ENOTFOUND, "missing.yml",
		   "missing.yml");
}

static void test_inventory_billion_laughs_hits_the_cap_quickly(void **state)
{
	struct fixture *f = *state;
	/* an instrumented run (valgrind) says how much slower it is */
	const char *slow = getenv("ENVDRIFT_TEST_SLOWDOWN");
	clock_t limit = 5 * CLOCKS_PER_SEC * (clock_t)(slow ? atoi(slow) : 1);
	clock_t t0 = clock();

	assert_msg(f, load(f, "laughs.yml"), ED_EPARSE,
		   "laughs.yml:", "alias expansion exceeds 1000000 nodes");
	assert_true(clock() - t0 < limit);
}

static void test_inventory_limit_patterns(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "site.yml"), 0);
	assert_int_equal(inventory_limit(f->inv, "web", &f->err), 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 7);
	assert_int_equal(inventory_limit(f->inv, "all,!staging", &f->err), 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 4);
	assert_null(inventory_find(f->inv, "web01.staging.example.com"));
	teardown(state);

	assert_int_equal(load(f, "site.yml"), 0);
	assert_int_equal(inventory_limit(f->inv, "db, mon01.example.com", &f->err),
			 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 5);
	teardown(state);

	assert_int_equal(load(f, "site.yml"), 0);
	assert_int_equal(inventory_limit(f->inv, "web*.prod.*", &f->err), 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 4);
	teardown(state);

	assert_int_equal(load(f, "site.yml"), 0);
	assert_int_equal(inventory_limit(f->inv, "prod,&db", &f->err), 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 3);
	assert_string_equal(inventory_host(f->inv, 0)->name,
			    "dba.prod.example.com");
	teardown(state);

	assert_int_equal(load(f, "site.yml"), 0);
	assert_int_equal(inventory_limit(f->inv, "!prod", &f->err), 0);
	assert_int_equal(inventory_nr_hosts(f->inv), 6);
	assert_msg(f, inventory_limit(f->inv, "nosuch", &f->err), ED_ENOTFOUND,
		   "limit: ", "'nosuch' matches no host or group");
	assert_msg(f, inventory_limit(f->inv, "web,,db", &f->err), ED_EPARSE,
		   "limit ", "empty term");
	assert_msg(f, inventory_limit(f->inv, "~web.*", &f->err), ED_EPARSE,
		   "limit ", "regular expressions are not supported");
	assert_int_equal(inventory_nr_hosts(f->inv), 6);
}

static void test_yaml_ext_aliases_copy_and_merge(void **state)
{
	struct fixture *f = *state;
	const char *text = "base: &b {x: 1, y: 2}\n"
			   "more: &m {y: 3, z: 4}\n"
			   "one: {<<: *b, x: 9}\n"
			   "two: {<<: [*b, *m], w: 0}\n"
			   "list: &l [a, *b]\n"
			   "again: *l\n";
	const struct ed_ynode *n;

	assert_int_equal(ed_yaml_load_ext(&f->doc, text, strlen(text), "m.yml",
					  ED_YAML_ALIASES, &f->err),
			 0);
	n = ed_ymap_get(f->doc, "one");
	assert_int_equal(n->nr, 4);
	assert_string_equal(ed_ymap_get(n, "x")->str, "9");
	assert_string_equal(ed_ymap_get(n, "y")->str, "2");
	assert_null(ed_ymap_get(n, "<<"));
	n = ed_ymap_get(f->doc, "two");
	assert_int_equal(n->nr, 8);
	assert_string_equal(ed_ymap_get(n, "y")->str, "2");
	assert_string_equal(ed_ymap_get(n, "z")->str, "4");
	n = ed_ymap_get(f->doc, "again");
	assert_int_equal(n->type, ED_YSEQ);
	assert_string_equal(ed_ymap_get(n->kids[1], "y")->str, "2");
}

static void test_yaml_ext_errors_and_default_refusal(void **state)
{
	struct fixture *f = *state;
	const char *rec = "a: &a [1, *a]\n";
	const char *bad = "a: &a 1\nb: {<<: *a}\n";
	const char *anchor = "a: &a 1\n";
	/* the failing mapping carries an anchor: its name must be freed */
	const char *anchored = "a: &a 1\nb: &m {<<: *a}\n";

	assert_msg(f,
		   ed_yaml_load_ext(&f->doc, rec, strlen(rec), "r.yml",
				    ED_YAML_ALIASES, &f->err),
		   ED_EPARSE,
		   "r.yml:1:11: ", "alias 'a' names no finished anchor");
	assert_msg(f,
		   ed_yaml_load_ext(&f->doc, bad, strlen(bad), "b.yml",
				    ED_YAML_ALIASES, &f->err),
		   ED_EPARSE, "b.yml:2:5: ", "merge key: want a mapping");
	assert_msg(f,
		   ed_yaml_load_ext(&f->doc, anchored, strlen(anchored),
				    "m.yml", ED_YAML_ALIASES, &f->err),
		   ED_EPARSE, "m.yml:2:8: ", "merge key: want a mapping");
	assert_msg(f,
		   ed_yaml_load(&f->doc, anchor, strlen(anchor), "d.yml", &f->err),
		   ED_EPARSE, "d.yml:1:4: ", "anchors are not supported");
	assert_msg(f,
		   ed_yaml_load_ext(&f->doc, anchor, strlen(anchor), "d.yml", 0,
				    &f->err),
		   ED_EPARSE, "d.yml:1:4: ", "anchors are not supported");
	assert_null(f->doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_inventory_expands_ranges_and_counts_hosts, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_inventory_range_forms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_bad_ranges_are_errors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_inheritance_all_parent_child_host, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_sibling_groups_apply_alphabetically,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_site_inheritance_and_merge_keys, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_inventory_env_and_roles,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_vault_values_are_opaque,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_custom_env_list,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_host_in_two_envs_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_host_in_no_env_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_become_method_other_than_sudo_fails,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_shell_metacharacters_never_pass, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_malformed_yaml_names_location, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_inventory_billion_laughs_hits_the_cap_quickly,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_inventory_limit_patterns,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_ext_aliases_copy_and_merge,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_yaml_ext_errors_and_default_refusal,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
