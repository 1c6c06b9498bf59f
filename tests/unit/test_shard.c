/*
 * Unit tests for sharded scans: the jump consistent hash (known values
 * cross-checked with an independent implementation of the paper's
 * algorithm), its balance and minimal movement over 10,000 names, the
 * "K/N" parser, inventory_shard, and the grouping of stale hosts by shard.
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
#include "core/shard.h"
#include "core/store.h"

#define NAMES 10000

static char *names[NAMES];

static int group_setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NAMES; i++) {
		struct ed_buf b = ED_BUF_INIT;

		ed_buf_addf(&b, "host-%05zu", i);
		names[i] = ed_buf_detach(&b, NULL);
	}
	return 0;
}

static int group_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NAMES; i++)
		free(names[i]);
	return 0;
}

static void test_shard_jump_hash_known_values(void **state)
{
	(void)state;
	assert_int_equal(ed_jump_hash(0, 1), 0);
	assert_int_equal(ed_jump_hash(1, 1), 0);
	assert_int_equal(ed_jump_hash(42, 57), 43);
	assert_int_equal(ed_jump_hash(0xDEAD10CCu, 666), 361);
	assert_int_equal(ed_jump_hash(256, 1024), 520);
	assert_int_equal(ed_jump_hash(123456789, 10), 7);
	assert_int_equal(ed_jump_hash(UINT64_MAX, 65536), 18311);
}

/* A change of the hash would move hosts between scanners: catch it. */
static void test_shard_of_names_is_stable(void **state)
{
	static const struct {
		const char *name;
		uint32_t shard[5]; /* for n = 2, 4, 16, 1000, 65536 */
	} known[] = {
		{ "web-001", { 0, 0, 6, 748, 44768 } },
		{ "web-002", { 0, 3, 12, 941, 5257 } },
		{ "db-01.example.com", { 1, 2, 2, 436, 39230 } },
		{ "a", { 1, 1, 1, 912, 36817 } },
	};
	static const uint32_t ns[5] = { 2, 4, 16, 1000, 65536 };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		for (j = 0; j < 5; j++)
			assert_int_equal(ed_shard_of(known[i].name, ns[j]),
					 known[i].shard[j]);
	for (i = 0; i < 100; i++)
		assert_int_equal(ed_shard_of(names[i], 1), 0);
}

static void test_shard_distribution_is_uniform_for_8(void **state)
{
	size_t count[8] = { 0 }, i;

	(void)state;
	for (i = 0; i < NAMES; i++) {
		uint32_t s = ed_shard_of(names[i], 8);

		assert_true(s < 8);
		count[s]++;
	}
	/* 1,250 each; within 5 % (measured: 1,224 to 1,300) */
	for (i = 0; i < 8; i++) {
		assert_true(count[i] >= 1188);
		assert_true(count[i] <= 1312);
	}
}

static void test_shard_growing_moves_only_to_the_new_shard(void **state)
{
	uint32_t n;
	size_t i;

	(void)state;
	for (n = 1; n <= 16; n++) {
		size_t moved = 0;
		double frac, want = 1.0 / (double)(n + 1);

		for (i = 0; i < NAMES; i++) {
			uint32_t a = ed_shard_of(names[i], n);
			uint32_t b = ed_shard_of(names[i], n + 1);

			if (a != b) {
				assert_int_equal(b, n);
				moved++;
			}
		}
		frac = (double)moved / NAMES;
		assert_true(frac >= want - 0.02 && frac <= want + 0.02);
	}
}

static void test_shard_parse_accepts_k_of_n(void **state)
{
	static const char *const bad[] = {
		"",     "1",       "1/",   "/2",           "0/4",  "5/4",
		"1/0",  "1/65537", "a/b",  "1/2x",         "01/2", "-1/2",
		"1 /2", "2/+4",    "1//2", "99999999999/1"
	};
	uint32_t k = 0, n = 0;
	size_t i;

	(void)state;
	assert_int_equal(ed_shard_parse("1/1", &k, &n), 0);
	assert_int_equal(k, 1);
	assert_int_equal(n, 1);
	assert_int_equal(ed_shard_parse("2/4", &k, &n), 0);
	assert_int_equal(k, 2);
	assert_int_equal(n, 4);
	assert_int_equal(ed_shard_parse("65536/65536", &k, &n), 0);
	assert_int_equal(k, 65536);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		k = n = 7;
		assert_int_equal(ed_shard_parse(bad[i], &k, &n), -1);
		assert_int_equal(k, 7);
	}
}

/* An inventory of hosts host-00000 .. host-(nr-1), ungrouped. */
static struct inventory *load_inventory(size_t nr)
{
	struct ed_buf y = ED_BUF_INIT;
	struct inventory *inv = NULL;
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	ed_buf_adds(&y, "prod:\n  hosts:\n");
	for (i = 0; i < nr; i++)
		ed_buf_addf(&y, "    %s:\n", names[i]);
	assert_int_equal(inventory_load_buf(&inv, y.ptr, y.len, "inv.yml", NULL,
					    &err),
			 0);
	ed_buf_release(&y);
	return inv;
}

/* Which shard of n selected each of the first nr names (-1: none). */
static void owners(int *out, size_t nr, size_t inv_size, unsigned n)
{
	unsigned k;
	size_t i, total = 0;

	for (i = 0; i < nr; i++)
		out[i] = -1;
	for (k = 1; k <= n; k++) {
		struct inventory *inv = load_inventory(inv_size);

		inventory_shard(inv, k, n);
		total += inventory_nr_hosts(inv);
		for (i = 0; i < nr; i++)
			if (inventory_find(inv, names[i])) {
				assert_int_equal(out[i], -1);
				out[i] = (int)k;
			}
		inventory_free(inv);
	}
	/* the shards partition the inventory */
	assert_int_equal(total, inv_size);
}

static void test_shard_inventory_adding_hosts_moves_none(void **state)
{
	int before[300], after[300];
	size_t i;

	(void)state;
	owners(before, 300, 300, 4);
	owners(after, 300, 1000, 4);
	for (i = 0; i < 300; i++) {
		assert_true(before[i] >= 1);
		assert_int_equal(before[i], after[i]);
		assert_int_equal(before[i], (int)ed_shard_of(names[i], 4) + 1);
	}
}

static void test_shard_inventory_composes_with_limit(void **state)
{
	struct inventory *inv = load_inventory(100);
	struct ed_err err = ED_ERR_INIT;
	size_t i, want = 0;

	(void)state;
	assert_int_equal(inventory_limit(inv, "host-0000*", &err), 0);
	inventory_shard(inv, 2, 3);
	for (i = 0; i < 10; i++)
		want += ed_shard_of(names[i], 3) == 1;
	assert_int_equal(inventory_nr_hosts(inv), want);
	for (i = 0; i < inventory_nr_hosts(inv); i++) {
		const char *name = inventory_host(inv, i)->name;

		assert_int_equal(strncmp(name, "host-0000", 9), 0);
		assert_int_equal(ed_shard_of(name, 3), 1);
	}
	inventory_free(inv);
}

static void test_shard_stale_groups_by_shard(void **state)
{
	char shard_a[] = "2/4", shard_b[] = "10/12", shard_c[] = "1/4";
	struct store_host h[6];
	struct ed_shard_stale *g = NULL;
	size_t ng = 9;
	char hn[6][8] = { "f", "e", "d", "c", "b", "a" };
	size_t i;

	(void)state;
	memset(h, 0, sizeof(h));
	for (i = 0; i < 6; i++)
		h[i].host = hn[i];
	/* stale by shard 2/4, newest at 900 */
	h[0].shard = shard_a, h[0].last_success = 500;
	h[1].shard = shard_a, h[1].last_success = 900;
	/* stale by 10/12 */
	h[2].shard = shard_b, h[2].last_success = 100;
	/* fresh: 1/4 reported at 1000 */
	h[3].shard = shard_c, h[3].last_success = 1000;
	/* stale but not sharded, and never collected */
	h[4].last_success = 1;
	h[5].shard = shard_c;
	ed_shard_stale_group(&g, &ng, h, 6, 1100, 100);
	assert_int_equal(ng, 2);
	assert_string_equal(g[0].shard, "2/4");
	assert_int_equal(g[0].since, 900);
	assert_int_equal(g[0].hosts.nr, 2);
	assert_string_equal(g[0].hosts.v[0], "e");
	assert_string_equal(g[0].hosts.v[1], "f");
	assert_string_equal(g[1].shard, "10/12");
	assert_int_equal(g[1].hosts.nr, 1);
	ed_shard_stale_free(g, ng);
	ed_shard_stale_group(&g, &ng, h, 6, 1100, 10000);
	assert_int_equal(ng, 0);
	ed_shard_stale_free(g, ng);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shard_jump_hash_known_values),
		cmocka_unit_test(test_shard_of_names_is_stable),
		cmocka_unit_test(test_shard_distribution_is_uniform_for_8),
		cmocka_unit_test(test_shard_growing_moves_only_to_the_new_shard),
		cmocka_unit_test(test_shard_parse_accepts_k_of_n),
		cmocka_unit_test(test_shard_inventory_adding_hosts_moves_none),
		cmocka_unit_test(test_shard_inventory_composes_with_limit),
		cmocka_unit_test(test_shard_stale_groups_by_shard),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
