/*
 * Unit tests for differ/vercmp.c: every "A OP B" vector in
 * tests/fixtures/vercmp/{dpkg,rpm,apk}.txt (copied from each tool's own
 * test suite, see the file headers) in both directions, the edge cases each
 * comparison documents, and, where /usr/bin/dpkg exists, agreement with
 * `dpkg --compare-versions` on the dpkg vectors and on generated pairs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "differ/internal.h"

#define VERCMP_FIXTURES FIXTURE_DIR "/vercmp"
#define DPKG_PATH "/usr/bin/dpkg"

struct vector {
	char *a;
	char *b;
	int want; /* -1, 0 or 1 */
	unsigned line;
};

struct vector_set {
	struct vector *v;
	size_t nr;
	size_t alloc;
};

struct vercmp_state {
	struct vector_set dpkg;
	struct vector_set rpm;
	struct vector_set apk;
};

static void vector_set_release(struct vector_set *set)
{
	size_t i;

	for (i = 0; i < set->nr; i++) {
		free(set->v[i].a);
		free(set->v[i].b);
	}
	free(set->v);
	memset(set, 0, sizeof(*set));
}

static int op_value(const char *op)
{
	if (!strcmp(op, "<"))
		return -1;
	if (!strcmp(op, "="))
		return 0;
	if (!strcmp(op, ">"))
		return 1;
	return 2;
}

static char op_char(int v)
{
	return v < 0 ? '<' : v > 0 ? '>' : '=';
}

/*
 * Read "A OP B [# comment]" lines; '#' lines and blank lines are skipped.
 * Returns 0, or -1 after printing file:line for a malformed line.
 */
static int vector_set_load(struct vector_set *set, const char *name)
{
	static const char ws[] = " \t\r\n";
	char path[512]; /* FIXTURE_DIR plus a short name; checked below */
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	FILE *f = NULL;
	int rc = -1;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", VERCMP_FIXTURES, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		print_error("fixture path too long: %s/%s\n", VERCMP_FIXTURES,
			    name);
		goto out;
	}
	f = fopen(path, "r");
	if (!f) {
		print_error("%s: %s\n", path, strerror(errno));
		goto out;
	}
	while (getline(&line, &cap, f) >= 0) {
		char *save = NULL, *a, *op, *b, *rest;

		lineno++;
		a = strtok_r(line, ws, &save);
		if (!a || *a == '#')
			continue;
		op = strtok_r(NULL, ws, &save);
		b = strtok_r(NULL, ws, &save);
		rest = strtok_r(NULL, ws, &save);
		if (!op || !b || op_value(op) > 1 || (rest && *rest != '#')) {
			print_error("%s:%u: want \"A OP B\"\n", path, lineno);
			goto out;
		}
		ED_ALLOC_GROW(set->v, set->nr + 1, set->alloc);
		set->v[set->nr].a = ed_xstrdup(a);
		set->v[set->nr].b = ed_xstrdup(b);
		set->v[set->nr].want = op_value(op);
		set->v[set->nr].line = lineno;
		set->nr++;
	}
	if (ferror(f)) {
		print_error("%s: read error\n", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	if (f)
		fclose(f);
	return rc;
}

static int group_setup(void **state)
{
	struct vercmp_state *st = calloc(1, sizeof(*st));

	if (!st)
		return -1;
	*state = st;
	if (vector_set_load(&st->dpkg, "dpkg.txt") < 0 ||
	    vector_set_load(&st->rpm, "rpm.txt") < 0 ||
	    vector_set_load(&st->apk, "apk.txt") < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	struct vercmp_state *st = *state;

	if (!st)
		return 0;
	vector_set_release(&st->dpkg);
	vector_set_release(&st->rpm);
	vector_set_release(&st->apk);
	free(st);
	return 0;
}

/*
 * Check every vector as given and reversed (antisymmetry), and each side
 * against itself; report all mismatches before failing.
 */
static void check_vectors(const struct vector_set *set, const char *name,
			  int (*cmp)(const char *, const char *))
{
	size_t i, bad = 0;

	for (i = 0; i < set->nr; i++) {
		const struct vector *v = &set->v[i];
		int ab = cmp(v->a, v->b);
		int ba = cmp(v->b, v->a);

		if (ab != v->want || ba != -v->want || cmp(v->a, v->a) ||
		    cmp(v->b, v->b)) {
			print_error("%s:%u: %s %c %s: got %d, reversed %d\n",
				    name, v->line, v->a, op_char(v->want), v->b,
				    ab, ba);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_vercmp_dpkg_matches_upstream_vectors(void **state)
{
	struct vercmp_state *st = *state;

	/* 44 from Dpkg_Version.t, 18 from t-version.c, 1 from a design note (dpkg.txt section 3) */
	assert_int_equal(st->dpkg.nr, 63);
	check_vectors(&st->dpkg, "dpkg.txt", vercmp_dpkg);
}

static void test_vercmp_rpm_matches_upstream_vectors(void **state)
{
	struct vercmp_state *st = *state;

	/* 69 + 22 caret from rpmvercmp.at, 12 dnl'd oddities */
	assert_int_equal(st->rpm.nr, 103);
	check_vectors(&st->rpm, "rpm.txt", vercmp_rpm);
}

static void test_vercmp_apk_matches_upstream_vectors(void **state)
{
	struct vercmp_state *st = *state;

	/* 729 from test/version.data, 9 from test/unit/version.data */
	assert_int_equal(st->apk.nr, 738);
	check_vectors(&st->apk, "apk.txt", vercmp_apk);
}

/*
 * Run `dpkg --compare-versions -- a rel b` without a shell. Returns 1 if
 * dpkg says true, 0 if false, -1 if dpkg rejected an operand (exit 2) or
 * could not run.
 */
static int dpkg_binary_says(const char *a, const char *rel, const char *b)
{
	/* execv() wants char *const[]: give it writable copies */
	char *argv[7] = { NULL };
	pid_t pid;
	int status = 0;
	int rc = -1;

	argv[0] = ed_xstrdup("dpkg");
	argv[1] = ed_xstrdup("--compare-versions");
	argv[2] = ed_xstrdup("--");
	argv[3] = ed_xstrdup(a);
	argv[4] = ed_xstrdup(rel);
	argv[5] = ed_xstrdup(b);
	pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(DPKG_PATH, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
		rc = WEXITSTATUS(status) == 0;
out:
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	return rc;
}

/* The order dpkg reports, in *out; -1 when dpkg rejects either operand. */
static int dpkg_binary_cmp(int *out, const char *a, const char *b)
{
	int lt = dpkg_binary_says(a, "lt", b);
	int gt;

	if (lt < 0)
		return -1;
	gt = dpkg_binary_says(a, "gt", b);
	if (gt < 0)
		return -1;
	*out = lt ? -1 : gt ? 1 : 0;
	return 0;
}

/*
 * Compare one pair with the binary; counts go to *checked / *rejected.
 * Returns 1 on disagreement (after printing it), else 0.
 */
static int cross_check(const char *a, const char *b, int want, size_t *checked,
		       size_t *rejected)
{
	int bin = 0;
	int ours = vercmp_dpkg(a, b);

	if (dpkg_binary_cmp(&bin, a, b) < 0) {
		(*rejected)++;
		return 0;
	}
	(*checked)++;
	if (bin == ours && bin == want)
		return 0;
	print_error("'%s' vs '%s': dpkg %c, vercmp_dpkg %c, expected %c\n", a,
		    b, op_char(bin), op_char(ours), op_char(want));
	return 1;
}

static void test_vercmp_dpkg_agrees_with_dpkg_binary(void **state)
{
	struct vercmp_state *st = *state;
	size_t i, checked = 0, rejected = 0, bad = 0;

	if (access(DPKG_PATH, X_OK) != 0)
		skip();
	for (i = 0; i < st->dpkg.nr; i++) {
		const struct vector *v = &st->dpkg.v[i];

		bad += (size_t)cross_check(v->a, v->b, v->want, &checked,
					   &rejected);
	}
	print_message("dpkg binary: %zu vectors compared, %zu rejected by this "
		      "dpkg (skipped)\n",
		      checked, rejected);
	assert_int_equal(bad, 0);
	/* only "-0.6.5" and the empty revisions may be refused */
	assert_true(checked + 8 >= st->dpkg.nr);
}

/*
 * Pseudo-random pairs over the characters that matter to verrevcmp(),
 * including a byte >= 0x80, compared with the real dpkg. A fixed seed
 * keeps the run reproducible.
 */
static void test_vercmp_dpkg_agrees_with_dpkg_binary_on_generated_pairs(void **state)
{
	static const char alphabet[] = "0019aAzZ~~+.-:\xe9";
	uint32_t seed = 20240601u;
	size_t n, checked = 0, rejected = 0, bad = 0;

	(void)state;
	if (access(DPKG_PATH, X_OK) != 0)
		skip();
	for (n = 0; n < 150; n++) {
		char s[2][12];
		int k;

		for (k = 0; k < 2; k++) {
			size_t len, j;

			seed = seed * 1103515245u + 12345u;
			len = 1 + (seed >> 16) % 9;
			for (j = 0; j < len; j++) {
				seed = seed * 1103515245u + 12345u;
				s[k][j] =
					alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
			}
			/* mostly start with a digit, as real versions do */
			if ((seed >> 8) % 4)
				s[k][0] = '1';
			s[k][len] = '\0';
		}
		bad += (size_t)cross_check(s[0], s[1], vercmp_dpkg(s[0], s[1]),
					   &checked, &rejected);
	}
	print_message("dpkg binary: %zu generated pairs compared, %zu rejected\n",
		      checked, rejected);
	assert_int_equal(bad, 0);
	assert_true(checked >= 50);
}

static void test_vercmp_dpkg_rejected_input_falls_back_to_strcmp(void **state)
{
	static const char *const bad[] = {
		"",
		"  ",
		"0:",
		"a:0-0",
		"A:0-0",
		"-1:0-1",
		"0:0 0-1",
		"-0",
		"0:-0",
		"1: ",
		"999999999999999999999999:0-1",
		"2147483648:1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int want = strcmp(bad[i], "1.0") < 0 ? -1 : 1;

		assert_int_equal(vercmp_dpkg(bad[i], "1.0"), want);
		assert_int_equal(vercmp_dpkg("1.0", bad[i]), -want);
		assert_int_equal(vercmp_dpkg(bad[i], bad[i]), 0);
	}
	/* two rejected strings: plain byte order, even if "equal" to dpkg */
	assert_int_equal(vercmp_dpkg("a:1", "b:1"), -1);
	assert_int_equal(vercmp_dpkg("", ""), 0);
	assert_int_equal(vercmp_dpkg("", "0"), -1);
}

static void test_vercmp_dpkg_trims_blanks_and_reads_epochs(void **state)
{
	(void)state;
	/* t-version.c: leading and trailing blanks are ignored */
	assert_int_equal(vercmp_dpkg("  \t0:0-1", "0:0-1"), 0);
	assert_int_equal(vercmp_dpkg("0:0-1\t  ", "0:0-1"), 0);
	assert_int_equal(vercmp_dpkg("\t  0:0-1  \t", "0-1"), 0);
	/* strtol() accepts a sign; "-0" is epoch 0, INT_MAX is the limit */
	assert_int_equal(vercmp_dpkg("+1:0", "1:0"), 0);
	assert_int_equal(vercmp_dpkg("-0:5", "5"), 0);
	assert_int_equal(vercmp_dpkg("2147483647:0", "2147483646:9"), 1);
	assert_int_equal(vercmp_dpkg("007:1", "7:1"), 0);
	/* the revision is after the last '-', and may be empty */
	assert_int_equal(vercmp_dpkg("1.0-2-3", "1.0-2-2"), 1);
	assert_int_equal(vercmp_dpkg("1.0-", "1.0-0"), 0);
	assert_int_equal(vercmp_dpkg("1.0", "1.0-0"), 0);
	/* signed char order: 0xe9 sorts after letters, before '+' */
	assert_int_equal(vercmp_dpkg("1\xe9", "1z"), 1);
	assert_int_equal(vercmp_dpkg("1\xe9", "1+"), -1);
	/* digit runs are compared as numbers of any length */
	assert_int_equal(vercmp_dpkg("1.000000000000000000000000000002", "1.2"),
			 0);
	assert_int_equal(vercmp_dpkg("1.99999999999999999999999999999",
				     "1.100000000000000000000000000000"),
			 -1);
}

static void test_vercmp_rpm_splits_epoch_version_release(void **state)
{
	(void)state;
	/* rpmverCmp(): epoch first, a missing epoch is 0 */
	assert_int_equal(vercmp_rpm("1:1.0-1", "2.0-1"), 1);
	assert_int_equal(vercmp_rpm("0:1.0-1", "1.0-1"), 0);
	assert_int_equal(vercmp_rpm(":1.0-1", "1.0-1"), 0);
	assert_int_equal(vercmp_rpm("01:1.0", "1:1.0"), 0);
	assert_int_equal(vercmp_rpm("10:1", "9:2"), 1);
	/* not an epoch: the ':' is just a separator in the version */
	assert_int_equal(vercmp_rpm("a:1.0", "a.1.0"), 0);
	/* the release follows the last '-' */
	assert_int_equal(vercmp_rpm("1.0-1.el8", "1.0-2.el8"), -1);
	assert_int_equal(vercmp_rpm("1.0-1-2", "1.0-1-10"), -1);
	assert_int_equal(vercmp_rpm("1.0-1-2", "1.0.1-2"), 0);
	assert_int_equal(vercmp_rpm("2.0-1", "1.0-9"), 1);
	/* compare_values(): any release beats none, even an empty one */
	assert_int_equal(vercmp_rpm("1.0", "1.0-1"), -1);
	assert_int_equal(vercmp_rpm("1.0-", "1.0"), 1);
	assert_int_equal(vercmp_rpm("1.0-", "1.0-0"), -1);
	/* '~' and '^' in the release too */
	assert_int_equal(vercmp_rpm("1.0-1~rc1", "1.0-1"), -1);
	assert_int_equal(vercmp_rpm("1.0-1^1", "1.0-1"), 1);
	/* digit runs of any length */
	assert_int_equal(vercmp_rpm("1.000000000000000000000000000002", "1.2"), 0);
	assert_int_equal(vercmp_rpm("", ""), 0);
	assert_int_equal(vercmp_rpm("", "0"), -1);
}

static void test_vercmp_apk_orders_invalid_versions_like_apk(void **state)
{
	(void)state;
	/* invalid at the same token with equal prefixes: equal, as in apk */
	assert_int_equal(vercmp_apk("a", "b"), 0);
	assert_int_equal(vercmp_apk("", ""), 0);
	assert_int_equal(vercmp_apk("1.0bc", "1.0bd"), 0);
	/* a token that turned invalid ranks below any valid one */
	assert_int_equal(vercmp_apk("1.0", ""), 1);
	assert_int_equal(vercmp_apk("1.0_foo", "1.0_p1"), -1);
	assert_int_equal(vercmp_apk("1.0_foo", "1.0"), -1);
	/* pre-release suffixes sort before the plain version */
	assert_int_equal(vercmp_apk("1.0_alpha", "1.0"), -1);
	assert_int_equal(vercmp_apk("1.0_rc9", "1.0"), -1);
	assert_int_equal(vercmp_apk("1.0_cvs", "1.0"), 1);
	assert_int_equal(vercmp_apk("1.0_hg1", "1.0_git2"), 1);
	assert_int_equal(vercmp_apk("1.0_p", "1.0_hg"), 1);
	/* the revision and the commit hash */
	assert_int_equal(vercmp_apk("1.0-r1", "1.0"), 1);
	assert_int_equal(vercmp_apk("1.0-r0", "1.0"), 1);
	assert_int_equal(vercmp_apk("1.0~abc", "1.0"), 1);
	assert_int_equal(vercmp_apk("1.0~abc-r1", "1.0~abc-r2"), -1);
	/* leading zeros: numeric first component, string order later */
	assert_int_equal(vercmp_apk("01.1", "1.1"), 0);
	assert_int_equal(vercmp_apk("1.01", "1.1"), -1);
	assert_int_equal(vercmp_apk("1.010", "1.01"), 1);
	/* huge numbers do not crash; they wrap as apk_blob_pull_uint does */
	assert_int_equal(vercmp_apk("1.99999999999999999999999999",
				    "1.99999999999999999999999999"),
			 0);
	/* bytes >= 0x80 are inside a suffix span, making it invalid */
	assert_int_equal(vercmp_apk("1.0_p\xe9", "1.0_p"), -1);
}

static void test_vercmp_treats_null_as_empty(void **state)
{
	(void)state;
	assert_int_equal(vercmp_dpkg(NULL, ""), 0);
	assert_int_equal(vercmp_dpkg(NULL, "1"), -1);
	assert_int_equal(vercmp_rpm(NULL, NULL), 0);
	assert_int_equal(vercmp_rpm("1", NULL), 1);
	assert_int_equal(vercmp_apk(NULL, NULL), 0);
	assert_int_equal(vercmp_apk("1", NULL), 1);
}

static void test_vercmp_dispatches_on_manager(void **state)
{
	(void)state;
	/* one pair, three answers */
	assert_int_equal(vercmp(PKG_DPKG, "1.0", "1.0-0"), 0);
	assert_int_equal(vercmp(PKG_RPM, "1.0", "1.0-0"), -1);
	assert_int_equal(vercmp(PKG_APK, "1.0", "1.0-r0"), -1);
	assert_int_equal(vercmp(PKG_DPKG, "1.0_rc1", "1.0"), 1);
	assert_int_equal(vercmp(PKG_APK, "1.0_rc1", "1.0"), -1);
	assert_int_equal(vercmp(PKG_RPM, "1.0~rc1", "1.0"), -1);
}

/* A megabyte per side: no recursion, no allocation, one pass. */
static void test_vercmp_handles_long_input(void **state)
{
	size_t len = 1u << 20, i;
	char *a = ed_xmalloc(len + 1);
	char *b = ed_xmalloc(len + 1);

	(void)state;
	for (i = 0; i < len; i++)
		a[i] = i % 2 ? '.' : '1';
	a[len] = '\0';
	memcpy(b, a, len + 1);
	b[len - 2] = '2';
	assert_int_equal(vercmp_dpkg(a, b), -1);
	assert_int_equal(vercmp_rpm(a, b), -1);
	assert_int_equal(vercmp_apk(a, b), -1);
	assert_int_equal(vercmp_dpkg(b, a), 1);
	assert_int_equal(vercmp_rpm(b, a), 1);
	assert_int_equal(vercmp_apk(b, a), 1);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vercmp_dpkg_matches_upstream_vectors),
		cmocka_unit_test(test_vercmp_rpm_matches_upstream_vectors),
		cmocka_unit_test(test_vercmp_apk_matches_upstream_vectors),
		cmocka_unit_test(test_vercmp_dpkg_agrees_with_dpkg_binary),
		cmocka_unit_test(
			test_vercmp_dpkg_agrees_with_dpkg_binary_on_generated_pairs),
		cmocka_unit_test(
			test_vercmp_dpkg_rejected_input_falls_back_to_strcmp),
		cmocka_unit_test(test_vercmp_dpkg_trims_blanks_and_reads_epochs),
		cmocka_unit_test(test_vercmp_rpm_splits_epoch_version_release),
		cmocka_unit_test(test_vercmp_apk_orders_invalid_versions_like_apk),
		cmocka_unit_test(test_vercmp_treats_null_as_empty),
		cmocka_unit_test(test_vercmp_dispatches_on_manager),
		cmocka_unit_test(test_vercmp_handles_long_input),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
