/*
 * core/words.h: the singular for a count of one, and the edit distance
 * behind "did you mean ...?" (git's weights).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/words.h"

static void test_words_plural_is_singular_only_for_one(void **state)
{
	(void)state;
	assert_string_equal(ed_plural(1, "host", "hosts"), "host");
	assert_string_equal(ed_plural(0, "host", "hosts"), "hosts");
	assert_string_equal(ed_plural(2, "host", "hosts"), "hosts");
	assert_string_equal(ed_plural((size_t)-1, "has", "have"), "have");
}

static void test_words_distance_of_equal_names_is_zero(void **state)
{
	(void)state;
	assert_int_equal(ed_edit_distance("collect", "collect"), 0);
	assert_int_equal(ed_edit_distance("", ""), 0);
}

static void test_words_distance_weighs_like_git(void **state)
{
	(void)state;
	/* a letter typed too few: 1; a swap: 0; a wrong one: 2; too many: 3 */
	assert_int_equal(ed_edit_distance("colect", "collect"), 1);
	assert_int_equal(ed_edit_distance("chekc", "check"), 0);
	assert_int_equal(ed_edit_distance("scen", "scan"), 2);
	assert_int_equal(ed_edit_distance("diffx", "diff"), 3);
	assert_int_equal(ed_edit_distance("", "init"), 4);
	assert_int_equal(ed_edit_distance("init", ""), 12);
}

static void test_words_distance_of_long_names_is_far(void **state)
{
	char longname[100];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(ed_edit_distance(longname, "scan"), ED_WORDS_FAR);
	assert_int_equal(ed_edit_distance("scan", longname), ED_WORDS_FAR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words_plural_is_singular_only_for_one),
		cmocka_unit_test(test_words_distance_of_equal_names_is_zero),
		cmocka_unit_test(test_words_distance_weighs_like_git),
		cmocka_unit_test(test_words_distance_of_long_names_is_far),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
