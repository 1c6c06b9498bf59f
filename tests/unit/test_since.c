/*
 * Drift age (differ_since) on real state repositories: each test commits
 * hand-made snapshots with the store API in a mkdtemp sandbox, compares the
 * tip as "envdrift diff" does, then checks which commit each item dates
 * from and how many scans it has lasted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/snapshot.h"
#include "core/store.h"
#include "core/strvec.h"
#include "differ/differ.h"

#define MAX_HOSTS 8
#define MAX_COMMITS 16

struct fixture {
	char tmp[64];
	unsigned seq;           /* numbers the repositories of one run */
	struct ed_buf repo;     /* this test's repository */
	struct ed_err err;
	struct store *st;
	struct differ_rules *rules;
	/* the tip, loaded and compared by compare_tip */
	struct differ_host hosts[MAX_HOSTS];
	size_t nr_hosts;
	const struct differ_host *a[MAX_HOSTS], *b[MAX_HOSTS];
	size_t na, nb;
	struct drift_report r;
	int have_report;
	char commits[MAX_COMMITS][41]; /* commits[1] is the first */
	size_t nr_commits;
	const char *prd_meta;   /* meta of env prd's hosts; NULL: role default */
};

/* A host as one commit collects it: sysctl NULL leaves the file out. */
struct hv {
	const char *env, *host, *sysctl, *packages;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_since.XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	if (setenv("HOME", f->tmp, 1) || setenv("GIT_CONFIG_NOSYSTEM", "1", 1) ||
	    unsetenv("XDG_CONFIG_HOME") || unsetenv("GIT_DIR"))
		return -1;
	if (git_libgit2_init() < 0)
		return -1;
	ed_buf_init(&f->repo);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	git_libgit2_shutdown();
	ed_buf_addf(&cmd, "rm -rf '%s'", f->tmp);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	ed_buf_release(&f->repo);
	free(f);
	return rc ? -1 : 0;
}

/* Each test gets a fresh, locked repository sandbox/rN. */
static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	ed_buf_reset(&f->repo);
	ed_buf_addf(&f->repo, "%s/r%u", f->tmp, ++f->seq);
	f->st = NULL;
	f->rules = NULL;
	f->nr_hosts = f->na = f->nb = 0;
	f->have_report = 0;
	f->nr_commits = 0;
	f->prd_meta = NULL;
	if (store_init(f->repo.ptr, 0, &f->err) < 0 ||
	    store_open(&f->st, f->repo.ptr, &f->err) < 0 ||
	    store_lock(f->st, 1000, &f->err) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < f->nr_hosts; i++)
		differ_host_release(&f->hosts[i]);
	if (f->have_report)
		drift_report_release(&f->r);
	differ_rules_free(f->rules);
	store_free(f->st);
	return 0;
}

/* One scan: every host of hv collected (an Envdrift-Collected trailer each). */
static void scan(struct fixture *f, const struct hv *hv, size_t n)
{
	struct store_update ups[MAX_HOSTS];
	struct snapshot snaps[MAX_HOSTS];
	struct ed_strvec tr = ED_STRVEC_INIT;
	struct store_result res;
	size_t i;
	int rc;

	memset(&res, 0, sizeof(res));
	memset(ups, 0, sizeof(ups));
	assert_true(n <= MAX_HOSTS);
	for (i = 0; i < n; i++) {
		snapshot_init(&snaps[i]);
		if (f->prd_meta && !strcmp(hv[i].env, "prd"))
			snapshot_add(&snaps[i], "meta", f->prd_meta,
				     strlen(f->prd_meta));
		else
			snapshot_add(&snaps[i], "meta", "role default\n", 13);
		if (hv[i].sysctl)
			snapshot_add(&snaps[i], "sysctl", hv[i].sysctl,
				     strlen(hv[i].sysctl));
		if (hv[i].packages)
			snapshot_add(&snaps[i], "packages", hv[i].packages,
				     strlen(hv[i].packages));
		ups[i].env = hv[i].env;
		ups[i].host = hv[i].host;
		ups[i].snap = &snaps[i];
		ed_strvec_pushf(&tr, "Envdrift-Collected: %s/%s", hv[i].env,
				hv[i].host);
	}
	rc = store_commit(f->st, &res, ups, n, "scan", &tr, &f->err);
	for (i = 0; i < n; i++)
		snapshot_release(&snaps[i]);
	ed_strvec_release(&tr);
	if (rc < 0) {
		store_result_release(&res);
		fail_msg("store_commit: %s", f->err.msg);
	}
	assert_true(f->nr_commits + 1 < MAX_COMMITS);
	memcpy(f->commits[++f->nr_commits], res.commit, 41);
	store_result_release(&res);
}

/*
 * Load every host of the tip, put env_a's in a and env_b's in b, and
 * compare them as "envdrift diff env_a env_b" does (pins too with rules).
 */
static void compare_tip(struct fixture *f, const char *env_a, const char *env_b)
{
	struct store_view *v = NULL;
	struct store_host *all = NULL;
	size_t n = 0, i;

	assert_int_equal(store_view_open(&v, f->st, NULL, &f->err), 0);
	assert_int_equal(store_view_hosts(v, &all, &n, &f->err), 0);
	assert_true(n <= MAX_HOSTS);
	for (i = 0; i < n; i++) {
		struct snapshot snap = SNAPSHOT_INIT;
		struct differ_host *h = &f->hosts[f->nr_hosts];

		if (strcmp(all[i].env, env_a) && strcmp(all[i].env, env_b))
			continue;
		assert_int_equal(store_view_read_host(v, all[i].env, all[i].host,
						      &snap, &f->err), 0);
		assert_int_equal(differ_host_load(h, all[i].env, all[i].host,
						  &snap, &f->err), 0);
		snapshot_release(&snap);
		f->nr_hosts++;
		if (!strcmp(all[i].env, env_a))
			f->a[f->na++] = h;
		else
			f->b[f->nb++] = h;
	}
	drift_report_init(&f->r, env_a, env_b);
	f->have_report = 1;
	f->r.commits[0] = strdup(store_view_commit(v));
	f->r.commits[1] = strdup(store_view_commit(v));
	store_hosts_free(all, n);
	store_view_free(v);
	assert_int_equal(differ_compare(&f->r, f->rules, f->a, f->na, f->b,
					 f->nb, &f->err), 0);
	if (f->rules) {
		differ_rules_pins(f->rules, &f->r, f->a, f->na);
		differ_rules_pins(f->rules, &f->r, f->b, f->nb);
	}
}

static void since(struct fixture *f, size_t max_scans)
{
	if (differ_since(&f->r, f->st, f->rules, f->a, f->na, f->b, f->nb,
			 max_scans, &f->err) < 0)
		fail_msg("differ_since: %s", f->err.msg);
}

static const struct drift_item *find(const struct fixture *f,
				     const char *key, enum drift_kind kind,
				     const char *host)
{
	size_t i;

	for (i = 0; i < f->r.nr; i++) {
		const struct drift_item *it = &f->r.items[i];

		if (!strcmp(it->key, key) && it->kind == kind &&
		    (!host || (it->host && !strcmp(it->host, host))))
			return it;
	}
	fail_msg("no %s item for %s", drift_kind_name(kind), key);
	return NULL;
}

/* The item dates from commit number c and has lasted scans scans. */
static void assert_since(const struct fixture *f, const struct drift_item *it,
			 size_t c, size_t scans)
{
	struct store_view *v = NULL;
	struct ed_err err = ED_ERR_INIT;
	char date[11];
	time_t t;
	struct tm tm;

	assert_string_equal(it->since_commit, f->commits[c]);
	assert_int_equal(it->since_scans, scans);
	assert_int_equal(store_view_open(&v, f->st, f->commits[c], &err), 0);
	t = (time_t)store_view_time(v);
	store_view_free(v);
	assert_non_null(gmtime_r(&t, &tm));
	assert_int_equal(strftime(date, sizeof(date), "%Y-%m-%d", &tm), 10);
	assert_string_equal(it->since_date, date);
}

static void test_since_dates_a_drift_from_the_scan_that_made_it(void **state)
{
	struct fixture *f = *state;
	const struct hv same[] = { { "stg", "a", "vm.x = 1\n", NULL },
				   { "prd", "b", "vm.x = 1\n", NULL } };
	const struct hv moved[] = { { "stg", "a", "vm.x = 1\n", NULL },
				    { "prd", "b", "vm.x = 2\n", NULL } };

	scan(f, same, 2);
	scan(f, same, 2);
	scan(f, same, 2);
	scan(f, moved, 2); /* commit 4 */
	scan(f, moved, 2);
	scan(f, moved, 2);
	compare_tip(f, "stg", "prd");
	assert_int_equal(f->r.nr, 1);
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 4, 3);
}

static void test_since_a_drift_whose_value_moved_keeps_its_start(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 1\n", NULL } };
	const struct hv s2[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 2\n", NULL } };
	const struct hv s3[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 3\n", NULL } };

	scan(f, s1, 2);
	scan(f, s2, 2); /* commit 2: the drift starts */
	scan(f, s2, 2);
	scan(f, s3, 2); /* its value moves, it is the same drift */
	scan(f, s3, 2);
	compare_tip(f, "stg", "prd");
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 2, 4);
}

static void test_since_dates_an_outlier_from_when_its_host_left(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = { { "stg", "s1", "vm.x = 1\n", NULL },
				 { "prd", "p1", "vm.x = 1\n", NULL },
				 { "prd", "p2", "vm.x = 1\n", NULL },
				 { "prd", "p3", "vm.x = 1\n", NULL } };
	const struct hv s2[] = { { "stg", "s1", "vm.x = 1\n", NULL },
				 { "prd", "p1", "vm.x = 1\n", NULL },
				 { "prd", "p2", "vm.x = 1\n", NULL },
				 { "prd", "p3", "vm.x = 5\n", NULL } };
	/* p1 alone is collected: its scans count, p3's group is unchanged */
	const struct hv p1_only[] = { { "prd", "p1", "vm.x = 1\n", NULL } };
	const struct drift_item *it;

	scan(f, s1, 4);
	scan(f, s1, 4);
	scan(f, s2, 4); /* commit 3 */
	scan(f, p1_only, 1);
	scan(f, s2, 4);
	compare_tip(f, "stg", "prd");
	assert_int_equal(f->r.nr, 1);
	since(f, 0);
	it = find(f, "vm.x", DRIFT_OUTLIER, "p3");
	/* commits 3 and 5 collected p3; commit 4 only p1 */
	assert_since(f, it, 3, 2);
}

static void test_since_dates_a_pin_from_its_first_violation(void **state)
{
	struct fixture *f = *state;
	const struct hv ok[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 1\n", NULL } };
	const struct hv broken[] = { { "stg", "a", "vm.x = 1\n", NULL },
				     { "prd", "b", "vm.x = 2\n", NULL } };
	struct ed_buf path = ED_BUF_INIT;
	FILE *fp;

	ed_buf_addf(&path, "%s/pins%u.yaml", f->tmp, f->seq);
	fp = fopen(path.ptr, "w");
	assert_non_null(fp);
	fputs("pins:\n  - \"sysctl:vm.x = 1\"\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(differ_rules_load(&f->rules, path.ptr, &f->err), 0);
	ed_buf_release(&path);

	scan(f, ok, 2);
	scan(f, broken, 2);
	scan(f, ok, 2);
	scan(f, broken, 2); /* commit 4: broken again, a new run */
	scan(f, broken, 2);
	compare_tip(f, "stg", "prd");
	assert_int_equal(f->r.nr, 2);
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_PIN, "b"), 4, 2);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 4, 2);
}

static void test_since_a_drift_from_the_first_commit_dates_from_it(void **state)
{
	struct fixture *f = *state;
	const struct hv s[] = { { "stg", "a", "vm.x = 1\n", NULL },
				{ "prd", "b", "vm.x = 2\n", NULL } };

	scan(f, s, 2);
	scan(f, s, 2);
	scan(f, s, 2);
	compare_tip(f, "stg", "prd");
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 1, 3);
}

static void test_since_max_scans_stops_the_walk_at_least_that_old(void **state)
{
	struct fixture *f = *state;
	const struct hv s[] = { { "stg", "a", "vm.x = 1\n", NULL },
				{ "prd", "b", "vm.x = 2\n", NULL } };
	size_t i;

	for (i = 0; i < 5; i++)
		scan(f, s, 2);
	compare_tip(f, "stg", "prd");
	since(f, 2);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 4, 2);
}

static void test_since_a_side_that_did_not_exist_ends_the_run(void **state)
{
	struct fixture *f = *state;
	const struct hv a[] = { { "stg", "a", "vm.x = 1\n", NULL } };
	const struct hv b[] = { { "prd", "b", "vm.x = 2\n", NULL } };
	const struct hv z[] = { { "dev", "z", "vm.x = 7\n", NULL } };
	const struct hv ab[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 2\n", NULL } };

	scan(f, a, 1);
	scan(f, b, 1);  /* commit 2: prd appears */
	scan(f, z, 1);  /* neither host collected: held, not a scan of them */
	scan(f, ab, 2);
	compare_tip(f, "stg", "prd");
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 2, 2);
}

static void test_since_items_of_several_collectors_each_get_their_own(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = { { "stg", "a", "vm.x = 1\nvm.y = 1\n", "p amd64 1\n" },
				 { "prd", "b", "vm.x = 1\nvm.y = 2\n", "p amd64 1\n" } };
	const struct hv s2[] = { { "stg", "a", "vm.x = 1\nvm.y = 1\n", "p amd64 1\n" },
				 { "prd", "b", "vm.x = 3\nvm.y = 2\n", "p amd64 1\n" } };
	const struct hv s3[] = { { "stg", "a", "vm.x = 1\nvm.y = 1\n", "p amd64 2\n" },
				 { "prd", "b", "vm.x = 3\nvm.y = 2\n", "p amd64 1\n" } };

	scan(f, s1, 2);
	scan(f, s2, 2);
	scan(f, s3, 2);
	scan(f, s3, 2);
	compare_tip(f, "stg", "prd");
	assert_int_equal(f->r.nr, 3);
	since(f, 0);
	assert_since(f, find(f, "vm.y", DRIFT_CHANGED, NULL), 1, 4);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 2, 3);
	assert_since(f, find(f, "p:amd64", DRIFT_CHANGED, NULL), 3, 2);
}

/* A role one side lacks is dated by the hosts' meta files alone. */
static void test_since_dates_a_role_one_side_lacks(void **state)
{
	struct fixture *f = *state;
	const struct hv s[] = { { "stg", "a", "vm.x = 1\n", NULL },
				{ "prd", "b", "vm.x = 1\n", NULL },
				{ "prd", "c", "vm.x = 1\n", NULL } };

	scan(f, s, 3);
	f->prd_meta = "role db\n";
	scan(f, s, 3); /* commit 2: prd's hosts become db */
	scan(f, s, 3);
	compare_tip(f, "stg", "prd");
	assert_int_equal(f->r.nr, 2);
	since(f, 0);
	assert_since(f, find(f, "default", DRIFT_MISSING, NULL), 2, 2);
	assert_since(f, find(f, "db", DRIFT_EXTRA, NULL), 2, 2);
}

/*
 * Old files of other collectors are never parsed: a malformed packages
 * file in the first commits does not disturb dating a sysctl drift.
 */
static void test_since_reads_only_the_items_collector(void **state)
{
	struct fixture *f = *state;
	const struct hv bad[] = { { "stg", "a", "vm.x = 1\n", "broken\n" },
				  { "prd", "b", "vm.x = 2\n", "broken\n" } };
	const struct hv good[] = { { "stg", "a", "vm.x = 1\n", "p amd64 1\n" },
				   { "prd", "b", "vm.x = 2\n", "p amd64 1\n" } };

	scan(f, bad, 2);
	scan(f, bad, 2);
	scan(f, good, 2);
	compare_tip(f, "stg", "prd");
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 1, 3);
}

/*
 * A malformed old file the walk must read is an error naming the commit
 * and the file:line, and leaves every item undated.
 */
static void test_since_malformed_old_snapshot_is_an_error(void **state)
{
	struct fixture *f = *state;
	const struct hv bad[] = { { "stg", "a", "vm.x = 1\n", NULL },
				  { "prd", "b", "no-equals-sign\n", NULL } };
	const struct hv good[] = { { "stg", "a", "vm.x = 1\n", NULL },
				   { "prd", "b", "vm.x = 2\n", NULL } };
	struct ed_buf want = ED_BUF_INIT;

	scan(f, bad, 2);
	scan(f, good, 2);
	compare_tip(f, "stg", "prd");
	assert_int_equal(differ_since(&f->r, f->st, f->rules, f->a, f->na,
				      f->b, f->nb, 0, &f->err), ED_EPARSE);
	ed_buf_addf(&want, "%s: hosts/prd/b/sysctl:1: malformed line",
		    f->commits[1]);
	assert_string_equal(f->err.msg, want.ptr);
	ed_buf_release(&want);
	assert_string_equal(find(f, "vm.x", DRIFT_CHANGED, NULL)->since_commit, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_since_dates_a_drift_from_the_scan_that_made_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_a_drift_whose_value_moved_keeps_its_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_dates_an_outlier_from_when_its_host_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_dates_a_pin_from_its_first_violation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_a_drift_from_the_first_commit_dates_from_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_max_scans_stops_the_walk_at_least_that_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_a_side_that_did_not_exist_ends_the_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_items_of_several_collectors_each_get_their_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_dates_a_role_one_side_lacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_reads_only_the_items_collector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_malformed_old_snapshot_is_an_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
