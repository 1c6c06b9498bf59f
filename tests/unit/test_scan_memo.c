/*
 * Unit tests for collector/fleet/scan_memo.c, the snapshot memo a fleet
 * host's cache keeps: a written memo reads back as the same snapshot (ids,
 * warnings, kept paths), a snapshot with a content not yet stored has no
 * memo, and a damaged memo adds nothing. Also ed_git_blob_id against the
 * ids git itself gives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "collector/fleet/internal.h"
#include "collector/fleet/remote_int.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "core/snapshot.h"

static void fill(struct snapshot *s)
{
	unsigned char oid[20];
	int i;

	for (i = 0; i < 20; i++)
		oid[i] = (unsigned char)(i * 13);
	snapshot_add_oid(s, "packages", oid);
	oid[0] = 0xff;
	snapshot_add_oid(s, "content/etc/odd name\\x0a", oid);
	oid[1] = 0x00;
	snapshot_add_oid(s, "meta", oid);
	ed_strvec_push(&s->warnings, "/etc/shadow: unreadable: Permission denied");
	ed_strvec_push(&s->warnings, "");
	ed_strvec_push(&s->keep, "services");
}

static void test_round_trip(void **state)
{
	struct snapshot a = SNAPSHOT_INIT, b = SNAPSHOT_INIT;
	struct ed_buf memo = ED_BUF_INIT;
	size_t i;

	(void)state;
	fill(&a);
	assert_int_equal(scan_memo_write(&memo, &a), 0);
	assert_int_equal(scan_memo_read(&b, memo.ptr, memo.len), 0);
	assert_int_equal(b.nr, a.nr);
	for (i = 0; i < a.nr; i++) {
		assert_string_equal(b.entries[i].path, a.entries[i].path);
		assert_true(b.entries[i].has_oid);
		assert_memory_equal(b.entries[i].oid, a.entries[i].oid, 20);
	}
	assert_int_equal(b.warnings.nr, 2);
	assert_string_equal(b.warnings.v[0], a.warnings.v[0]);
	assert_string_equal(b.warnings.v[1], "");
	assert_int_equal(b.keep.nr, 1);
	assert_string_equal(b.keep.v[0], "services");
	snapshot_release(&a);
	snapshot_release(&b);
	ed_buf_release(&memo);
}

static void test_unstored_content_has_no_memo(void **state)
{
	struct snapshot a = SNAPSHOT_INIT;
	struct ed_buf memo = ED_BUF_INIT;

	(void)state;
	fill(&a);
	snapshot_add(&a, "sysctl", "vm.swappiness = 60\n", 19);
	assert_int_equal(scan_memo_write(&memo, &a), -1);
	snapshot_release(&a);
	ed_buf_release(&memo);
}

static void test_damaged_memo_adds_nothing(void **state)
{
	static const char *const bad[] = {
		/* the same path twice */
		"e 0000000000000000000000000000000000000000 4\nmeta\n"
		"e 1111111111111111111111111111111111111111 4\nmeta\n",
		/* not hex, short id, no path */
		"e 00000000000000000000000000000000000000zz 4\nmeta\n",
		"e 0000 4\nmeta\n",
		"e 0000000000000000000000000000000000000000 0\n\n",
		/* a length past the end, a missing newline, an unknown kind */
		"w 99\nshort\n",
		"w 5\nshortX",
		"x 1\na\n",
		"e",
	};
	struct snapshot s = SNAPSHOT_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(scan_memo_read(&s, bad[i], strlen(bad[i])), -1);
		assert_int_equal(s.nr, 0);
		assert_int_equal(s.warnings.nr, 0);
		assert_int_equal(s.keep.nr, 0);
	}
	/* NUL inside a path: damaged, never a shorter path */
	assert_int_equal(scan_memo_read(&s, "k 3\na\0b\n", 8), -1);
	assert_int_equal(s.keep.nr, 0);
	snapshot_release(&s);
}

static void test_empty_memo_is_an_empty_snapshot(void **state)
{
	struct snapshot s = SNAPSHOT_INIT;

	(void)state;
	assert_int_equal(scan_memo_read(&s, "", 0), 0);
	assert_int_equal(s.nr, 0);
	snapshot_release(&s);
}

static void test_git_blob_id(void **state)
{
	unsigned char oid[20];
	char hex[41];
	int i;

	(void)state;
	/* `printf 'hello\n' | git hash-object --stdin`, and the empty blob */
	ed_git_blob_id(oid, "hello\n", 6);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", oid[i]);
	assert_string_equal(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	ed_git_blob_id(oid, "", 0);
	for (i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", oid[i]);
	assert_string_equal(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
}

static void test_build_id_is_stable(void **state)
{
	const char *a, *b;

	(void)state;
	a = scan_memo_build_id();
	assert_non_null(a);
	assert_int_equal(strlen(a), 64);
	b = scan_memo_build_id();
	assert_string_equal(a, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unstored_content_has_no_memo),
		cmocka_unit_test(test_damaged_memo_adds_nothing),
		cmocka_unit_test(test_empty_memo_is_an_empty_snapshot),
		cmocka_unit_test(test_git_blob_id),
		cmocka_unit_test(test_build_id_is_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
