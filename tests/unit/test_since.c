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
#include "differ/internal.h"

#define MAX_HOSTS 8
#define MAX_COMMITS 16
#define RANDOM_HISTORIES 60

struct fixture {
	char tmp[64];
	unsigned seq;       /* numbers the repositories of one run */
	struct ed_buf repo; /* this test's repository */
	struct ed_err err;
	struct store *st;
	struct baseline *rules;
	/* the tip, loaded and compared by compare_tip */
	struct differ_host hosts[MAX_HOSTS];
	size_t nr_hosts;
	const struct differ_host *a[MAX_HOSTS], *b[MAX_HOSTS];
	size_t na, nb;
	struct drift_report r;
	int have_report;
	char commits[MAX_COMMITS][41]; /* commits[1] is the first */
	size_t nr_commits;
	const char *prd_meta; /* meta of env prd's hosts; NULL: role default */
	const char *metas[MAX_HOSTS][2]; /* host, its meta: before prd_meta */
	size_t nr_metas;
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
	f->nr_metas = 0;
	if (store_init(f->repo.ptr, 0, &f->err) < 0 ||
	    store_open(&f->st, f->repo.ptr, &f->err) < 0 ||
	    store_lock(f->st, 1000, &f->err) < 0)
		return -1;
	return 0;
}

/* Drop the compared tip and the rules; the repository stays. */
static void release_tip(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->nr_hosts; i++)
		differ_host_release(&f->hosts[i]);
	f->nr_hosts = f->na = f->nb = 0;
	if (f->have_report)
		drift_report_release(&f->r);
	f->have_report = 0;
	baseline_free(f->rules);
	f->rules = NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	release_tip(f);
	store_free(f->st);
	return 0;
}

/* The meta a host's snapshots get from f->metas, NULL if none. */
static const char *host_meta(const struct fixture *f, const char *host)
{
	size_t i;

	for (i = 0; i < f->nr_metas; i++)
		if (!strcmp(f->metas[i][0], host))
			return f->metas[i][1];
	return NULL;
}

static void set_meta(struct fixture *f, const char *host, const char *meta)
{
	assert_true(f->nr_metas < MAX_HOSTS);
	f->metas[f->nr_metas][0] = host;
	f->metas[f->nr_metas++][1] = meta;
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
		const char *meta = host_meta(f, hv[i].host);

		snapshot_init(&snaps[i]);
		if (meta)
			snapshot_add(&snaps[i], "meta", meta, strlen(meta));
		else if (f->prd_meta && !strcmp(hv[i].env, "prd"))
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
						      &snap, &f->err),
				 0);
		assert_int_equal(differ_host_load(h, all[i].env, all[i].host,
						  &snap, &f->err),
				 0);
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
					f->nb, &f->err),
			 0);
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

static const struct drift_item *find(const struct fixture *f, const char *key,
				     enum drift_kind kind, const char *host)
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
	assert_int_equal(baseline_load(&f->rules, path.ptr, &f->err), 0);
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

/*
 * differ_run is compare_tip, pins, differ_since and the rules in one call:
 * the same items with the same runs and severities. At an X@REV operand
 * nothing is dated; an operand naming nothing is ED_ENOTFOUND.
 */
static void test_since_differ_run_is_the_whole_pipeline(void **state)
{
	struct fixture *f = *state;
	const struct hv ok[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 1\n", NULL } };
	const struct hv broken[] = { { "stg", "a", "vm.x = 1\n", NULL },
				     { "prd", "b", "vm.x = 2\n", NULL } };
	struct differ_run_opts ro;
	struct drift_report run;
	struct ed_buf path = ED_BUF_INIT, rev = ED_BUF_INIT;
	char today[11];
	size_t i;
	FILE *fp;

	ed_buf_addf(&path, "%s/run%u.yaml", f->tmp, f->seq);
	fp = fopen(path.ptr, "w");
	assert_non_null(fp);
	fputs("severity:\n  sysctl: critical\npins:\n  - \"sysctl:vm.x = 1\"\n",
	      fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(baseline_load(&f->rules, path.ptr, &f->err), 0);
	ed_buf_release(&path);
	scan(f, ok, 2);
	scan(f, broken, 2); /* commit 2 */
	scan(f, broken, 2);
	compare_tip(f, "stg", "prd");
	since(f, DIFFER_SINCE_MAX_SCANS);
	differ_today(today);
	differ_rules_apply(f->rules, &f->r, today);
	assert_int_equal(f->r.nr, 2);

	memset(&ro, 0, sizeof(ro));
	ro.flags = DIFFER_RUN_PINS;
	assert_int_equal(differ_run(&run, f->st, f->rules, "stg", "prd", &ro,
				    &f->err),
			 0);
	assert_int_equal(run.nr, f->r.nr);
	for (i = 0; i < run.nr; i++) {
		assert_int_equal(run.items[i].kind, f->r.items[i].kind);
		assert_string_equal(run.items[i].key, f->r.items[i].key);
		assert_int_equal(run.items[i].severity, f->r.items[i].severity);
		assert_string_equal(run.items[i].since_commit, f->commits[2]);
		assert_int_equal(run.items[i].since_scans,
				 f->r.items[i].since_scans);
	}
	assert_int_equal(find(f, "vm.x", DRIFT_CHANGED, NULL)->severity,
			 SEV_CRITICAL);
	drift_report_release(&run);

	ed_buf_addf(&rev, "prd@%s", f->commits[2]);
	assert_int_equal(differ_run(&run, f->st, f->rules, "stg", rev.ptr, NULL,
				    &f->err),
			 0);
	assert_string_equal(run.operands[1], rev.ptr);
	assert_string_equal(run.commits[1], f->commits[2]);
	assert_int_equal(run.nr, 1); /* no pins without DIFFER_RUN_PINS */
	assert_string_equal(run.items[0].since_commit, "");
	drift_report_release(&run);
	ed_buf_release(&rev);

	assert_int_equal(differ_run(&run, f->st, f->rules, "stg", "nowhere",
				    NULL, &f->err),
			 ED_ENOTFOUND);
	assert_string_equal(
		f->err.msg,
		"'nowhere' matches no environment or host in the state repository");
}

/*
 * differ_gate_run: a report per parity pair with the pins on every host
 * folded into the first, dated like any; the verdict by severity.
 */
static void test_since_gate_folds_the_pins_into_the_parity_report(void **state)
{
	struct fixture *f = *state;
	const struct hv ok[] = { { "stg", "a", "vm.x = 1\n", NULL },
				 { "prd", "b", "vm.x = 1\n", NULL } };
	const struct hv broken[] = { { "stg", "a", "vm.x = 1\n", NULL },
				     { "prd", "b", "vm.x = 2\n", NULL } };
	struct differ_gate_opts go;
	struct differ_gate gate;
	struct ed_buf path = ED_BUF_INIT;
	FILE *fp;

	ed_buf_addf(&path, "%s/gate%u.yaml", f->tmp, f->seq);
	fp = fopen(path.ptr, "w");
	assert_non_null(fp);
	fputs("parity:\n  - environments: [stg, prd]\n    severity: info\n"
	      "pins:\n  - \"sysctl:vm.x = 1\"\n",
	      fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(baseline_load(&f->rules, path.ptr, &f->err), 0);
	ed_buf_release(&path);
	scan(f, ok, 2);
	scan(f, broken, 2); /* commit 2 */
	scan(f, broken, 2);

	memset(&go, 0, sizeof(go));
	go.max_age = -1;
	go.toggle_days = -1;
	assert_int_equal(differ_gate_run(&gate, f->st, f->rules, &go, &f->err), 0);
	assert_int_equal(gate.nr, 1);
	assert_string_equal(gate.reports[0].operands[0], "stg");
	assert_string_equal(gate.reports[0].operands[1], "prd");
	assert_int_equal(gate.reports[0].nr, 2);
	assert_int_equal(gate.reports[0].items[0].kind, DRIFT_CHANGED);
	assert_int_equal(gate.reports[0].items[0].severity, SEV_INFO);
	assert_int_equal(gate.reports[0].items[1].kind, DRIFT_PIN);
	assert_string_equal(gate.reports[0].items[1].host, "b");
	assert_int_equal(gate.reports[0].items[1].severity, SEV_CRITICAL);
	assert_string_equal(gate.reports[0].items[1].since_commit, f->commits[2]);
	assert_int_equal(differ_gate_stale(&gate), 0);
	assert_true(differ_gate_failing(&gate, SEV_CRITICAL));
	differ_gate_release(&gate);

	/* operands instead of the parity entries: the same pair, as typed */
	go.operands[0] = "a";
	go.operands[1] = "b";
	assert_int_equal(differ_gate_run(&gate, f->st, f->rules, &go, &f->err), 0);
	assert_int_equal(gate.nr, 1);
	assert_string_equal(gate.reports[0].operands[0], "a");
	assert_int_equal(gate.reports[0].nr, 2);
	/* no parity entry asked: the default severity */
	assert_int_equal(gate.reports[0].items[0].severity, SEV_WARNING);
	assert_int_equal(gate.reports[0].items[1].kind, DRIFT_PIN);
	differ_gate_release(&gate);
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
	scan(f, b, 1); /* commit 2: prd appears */
	scan(f, z, 1); /* neither host collected: held, not a scan of them */
	scan(f, ab, 2);
	compare_tip(f, "stg", "prd");
	since(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 2, 2);
}

static void test_since_items_of_several_collectors_each_get_their_own(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = {
		{ "stg", "a", "vm.x = 1\nvm.y = 1\n", "p amd64 1\n" },
		{ "prd", "b", "vm.x = 1\nvm.y = 2\n", "p amd64 1\n" }
	};
	const struct hv s2[] = {
		{ "stg", "a", "vm.x = 1\nvm.y = 1\n", "p amd64 1\n" },
		{ "prd", "b", "vm.x = 3\nvm.y = 2\n", "p amd64 1\n" }
	};
	const struct hv s3[] = {
		{ "stg", "a", "vm.x = 1\nvm.y = 1\n", "p amd64 2\n" },
		{ "prd", "b", "vm.x = 3\nvm.y = 2\n", "p amd64 1\n" }
	};

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
	assert_int_equal(differ_since(&f->r, f->st, f->rules, f->a, f->na, f->b,
				      f->nb, 0, &f->err),
			 ED_EPARSE);
	ed_buf_addf(&want, "%s: hosts/prd/b/sysctl:1: malformed line",
		    f->commits[1]);
	assert_string_equal(f->err.msg, want.ptr);
	ed_buf_release(&want);
	assert_string_equal(find(f, "vm.x", DRIFT_CHANGED, NULL)->since_commit,
			    "");
}

/* What differ_since set on one item, to hold two walks side by side. */
struct since_result {
	char commit[41];
	char date[11];
	size_t scans;
};

static void save_since(const struct fixture *f, struct since_result *out)
{
	size_t i;

	for (i = 0; i < f->r.nr; i++) {
		memcpy(out[i].commit, f->r.items[i].since_commit, 41);
		memcpy(out[i].date, f->r.items[i].since_date, 11);
		out[i].scans = f->r.items[i].since_scans;
	}
}

static void clear_since(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->r.nr; i++) {
		memset(f->r.items[i].since_commit, 0, 41);
		memset(f->r.items[i].since_date, 0, 11);
		f->r.items[i].since_scans = 0;
	}
}

/*
 * The walk without the tallies' shortcuts, then differ_since, which must
 * give every item the same run; differ_since's results stay.
 */
static void since_both(struct fixture *f, size_t max_scans)
{
	struct since_result *inc = calloc(f->r.nr + 1, sizeof(*inc));
	struct since_result *full = calloc(f->r.nr + 1, sizeof(*full));
	size_t i;

	assert_non_null(inc);
	assert_non_null(full);
	clear_since(f);
	if (differ_since_full(&f->r, f->st, f->rules, f->a, f->na, f->b, f->nb,
			      max_scans, &f->err) < 0)
		fail_msg("differ_since_full: %s", f->err.msg);
	save_since(f, full);
	clear_since(f);
	since(f, max_scans);
	save_since(f, inc);
	for (i = 0; i < f->r.nr; i++) {
		assert_string_equal(inc[i].commit, full[i].commit);
		assert_string_equal(inc[i].date, full[i].date);
		assert_int_equal(inc[i].scans, full[i].scans);
	}
	free(inc);
	free(full);
}

/*
 * A host changes, changes back, and another changes in between: the
 * outlier's run is decided by its own host's moves, and a move of another
 * host that leaves the consensus alone does not end it.
 */
static void test_since_an_outlier_survives_another_hosts_move(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = { { "stg", "s1", "vm.x = 1\n", NULL },
				 { "prd", "p1", "vm.x = 1\n", NULL },
				 { "prd", "p2", "vm.x = 1\n", NULL },
				 { "prd", "p3", "vm.x = 1\n", NULL },
				 { "prd", "p4", "vm.x = 1\n", NULL } };
	const struct hv p3_odd[] = { { "prd", "p3", "vm.x = 5\n", NULL } };
	const struct hv p3_back[] = { { "prd", "p3", "vm.x = 1\n", NULL } };
	const struct hv p2_odd[] = { { "prd", "p2", "vm.x = 7\n", NULL } };
	const struct hv p2_back[] = { { "prd", "p2", "vm.x = 1\n", NULL } };
	const struct drift_item *it;

	scan(f, s1, 5);
	scan(f, p3_odd, 1);  /* commit 2: p3 drifts */
	scan(f, p3_back, 1); /* commit 3: and comes back */
	scan(f, p2_odd, 1);  /* commit 4: p2 drifts, 1 keeps the majority */
	scan(f, p3_odd, 1);  /* commit 5: p3 drifts again */
	scan(f, p2_back, 1); /* commit 6: p2 comes back */
	compare_tip(f, "stg", "prd");
	assert_int_equal(f->r.nr, 1);
	since_both(f, 0);
	it = find(f, "vm.x", DRIFT_OUTLIER, "p3");
	assert_since(f, it, 5, 1);
}

/*
 * The same run ends when other hosts' moves take the consensus away: with
 * p1 = 1, p2 = 7, p3 = 5 no value has a majority, so p3 is no outlier.
 */
static void test_since_an_outlier_ends_where_the_consensus_ties(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = { { "stg", "s1", "vm.x = 1\n", NULL },
				 { "prd", "p1", "vm.x = 1\n", NULL },
				 { "prd", "p2", "vm.x = 1\n", NULL },
				 { "prd", "p3", "vm.x = 1\n", NULL } };
	const struct hv p3_odd[] = { { "prd", "p3", "vm.x = 5\n", NULL } };
	const struct hv p2_odd[] = { { "prd", "p2", "vm.x = 7\n", NULL } };
	const struct hv p2_back[] = { { "prd", "p2", "vm.x = 1\n", NULL } };
	const struct hv s1_only[] = { { "stg", "s1", "vm.x = 1\n", NULL } };

	scan(f, s1, 4);
	scan(f, p3_odd, 1);  /* commit 2 */
	scan(f, p2_odd, 1);  /* commit 3: a three-way tie */
	scan(f, p2_back, 1); /* commit 4: 1 is the consensus again */
	scan(f, s1_only, 1);
	compare_tip(f, "stg", "prd");
	since_both(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_OUTLIER, "p3"), 4, 0);
}

/*
 * With one host left on each side the differ compares them as host against
 * host, whatever their roles: a move of a host outside the item's role
 * then decides it (here s1, a db host, meets the web item's p1).
 */
static void test_since_host_against_host_ignores_roles(void **state)
{
	struct fixture *f = *state;
	const struct hv s1[] = { { "stg", "s1", "vm.x = 2\n", NULL },
				 { "prd", "p1", "vm.x = 2\n", NULL } };
	const struct hv s1_moves[] = { { "stg", "s1", "vm.x = 1\n", NULL } };
	const struct hv s2[] = { { "stg", "s2", "vm.x = 1\n", NULL } };

	set_meta(f, "s1", "role db\n");
	set_meta(f, "p1", "role web\n");
	set_meta(f, "s2", "role web\n");
	scan(f, s1, 2);
	scan(f, s1_moves, 1); /* commit 2: s1 and p1 differ */
	scan(f, s2, 1);       /* commit 3: web against web */
	compare_tip(f, "stg", "prd");
	since_both(f, 0);
	assert_since(f, find(f, "vm.x", DRIFT_CHANGED, NULL), 2, 1);
}

/* Deterministic pseudo-random numbers for the generated histories. */
static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fffu;
}

static const char *const random_hosts[][2] = {
	{ "stg", "s1" }, { "stg", "s2" }, { "stg", "s3" }, { "prd", "p1" },
	{ "prd", "p2" }, { "prd", "p3" }, { "prd", "p4" },
};
#define RANDOM_HOSTS (sizeof(random_hosts) / sizeof(random_hosts[0]))

/*
 * One commit of a generated history: each host of active (a bit per host
 * of random_hosts) is collected anew (roles, values, a collector left out
 * or not collected), removed, or left alone. present[] tracks which hosts
 * the branch holds.
 */
static void random_commit(struct fixture *f, unsigned *seed, unsigned active,
			  int *present)
{
	static const char *const metas[] = {
		"role web\n",
		"role web\n",
		"role web\n",
		"role db\n",
		"role db\nrole web\n",
		"collector sysctl not-collected: test\nrole web\n",
	};
	struct store_update ups[RANDOM_HOSTS];
	struct snapshot snaps[RANDOM_HOSTS];
	struct ed_strvec tr = ED_STRVEC_INIT;
	struct store_result res;
	size_t i, n = 0;
	int rc;

	memset(&res, 0, sizeof(res));
	memset(ups, 0, sizeof(ups));
	for (i = 0; i < RANDOM_HOSTS; i++) {
		unsigned r = next_rand(seed) % 10;
		struct ed_buf b = ED_BUF_INIT;
		const char *meta;

		if (!(active & (1u << i)))
			continue;
		if (n == 0 && i + 1 == RANDOM_HOSTS)
			r = 0; /* every commit changes something */
		if (r == 9 && present[i]) {
			ups[n].env = random_hosts[i][0];
			ups[n].host = random_hosts[i][1];
			ups[n++].snap = NULL;
			present[i] = 0;
			continue;
		}
		if (r >= 5)
			continue;
		meta = metas[next_rand(seed) % 6];
		snapshot_init(&snaps[n]);
		snapshot_add(&snaps[n], "meta", meta, strlen(meta));
		ed_buf_addf(&b, "vm.x = %u\nvm.y = %u\nvm.z = %u\n",
			    next_rand(seed) % 3 ? 1u : 2u, next_rand(seed) % 3,
			    next_rand(seed) % 2);
		if (next_rand(seed) % 8)
			snapshot_add(&snaps[n], "sysctl", b.ptr, b.len);
		ed_buf_reset(&b);
		ed_buf_addf(&b, "p amd64 %u\n", next_rand(seed) % 4 ? 1u : 2u);
		if (next_rand(seed) % 6)
			snapshot_add(&snaps[n], "packages", b.ptr, b.len);
		ed_buf_release(&b);
		ups[n].env = random_hosts[i][0];
		ups[n].host = random_hosts[i][1];
		ups[n].snap = &snaps[n];
		if (r < 4)
			ed_strvec_pushf(&tr, "Envdrift-Collected: %s/%s",
					random_hosts[i][0], random_hosts[i][1]);
		n++;
		present[i] = 1;
	}
	rc = store_commit(f->st, &res, ups, n, "random", &tr, &f->err);
	for (i = 0; i < n; i++)
		if (ups[i].snap)
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

/* Pins and an expectation put items the tallies leave alone in the mix. */
static void random_rules(struct fixture *f)
{
	struct ed_buf path = ED_BUF_INIT;
	FILE *fp;

	ed_buf_addf(&path, "%s/random%u.yaml", f->tmp, f->seq);
	fp = fopen(path.ptr, "w");
	assert_non_null(fp);
	fputs("pins:\n  - \"sysctl:vm.y = 1\"\n"
	      "expect:\n  - key: \"sysctl:vm.z\"\n    differs: with-memory\n",
	      fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(baseline_load(&f->rules, path.ptr, &f->err), 0);
	ed_buf_release(&path);
}

/*
 * The tallies' shortcuts change nothing: on generated histories (hosts
 * changing, changing back, leaving, switching roles, not collecting a
 * collector) every item gets the same run as when every moved group is
 * compared anew, with and without a scan limit. The histories follow one
 * another in one repository (creating one costs more than a history), so
 * later walks also cross earlier histories.
 */
static void test_since_tallies_agree_with_full_comparisons(void **state)
{
	static const size_t limits[] = { 0, 3, 10 };
	struct fixture *f = *state;
	struct since_result *inc = NULL, *full = NULL;
	int present[RANDOM_HOSTS];
	unsigned seed, items = 0, walked = 0;

	memset(present, 0, sizeof(present));
	for (seed = 1; seed <= RANDOM_HISTORIES; seed++) {
		unsigned rs = seed;
		size_t commits = 4 + next_rand(&rs) % 10, c, i, l;
		/* one to three hosts of stg, one to four of prd, p4 always */
		unsigned active = (next_rand(&rs) % 7 + 1) |
				  ((next_rand(&rs) % 8) << 3) | (1u << 6);

		release_tip(f);
		f->nr_commits = 0;
		if (seed % 3 == 0)
			random_rules(f);
		for (c = 0; c < commits; c++)
			random_commit(f, &rs, active, present);
		compare_tip(f, "stg", "prd");
		inc = calloc(f->r.nr + 1, sizeof(*inc));
		full = calloc(f->r.nr + 1, sizeof(*full));
		assert_non_null(inc);
		assert_non_null(full);
		for (l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
			size_t limit = limits[l];

			clear_since(f);
			since(f, limit);
			save_since(f, inc);
			clear_since(f);
			if (differ_since_full(&f->r, f->st, f->rules, f->a, f->na,
					      f->b, f->nb, limit, &f->err) < 0)
				fail_msg("differ_since_full: %s", f->err.msg);
			save_since(f, full);
			for (i = 0; i < f->r.nr; i++) {
				const struct drift_item *it = &f->r.items[i];

				if (strcmp(inc[i].commit, full[i].commit) ||
				    inc[i].scans != full[i].scans ||
				    strcmp(inc[i].date, full[i].date))
					fail_msg("seed %u limit %zu: %s %s:%s (%s) since %s/%zu, full walk %s/%zu",
						 seed, limit,
						 drift_kind_name(it->kind),
						 it->collector, it->key,
						 it->host ? it->host : "-",
						 inc[i].commit, inc[i].scans,
						 full[i].commit, full[i].scans);
				walked += strcmp(inc[i].commit,
						 f->commits[f->nr_commits]) != 0;
			}
		}
		items += (unsigned)f->r.nr;
		free(inc);
		free(full);
	}
	/* the histories are worth their time: many items, many dated back */
	assert_true(items > RANDOM_HISTORIES);
	assert_true(walked > RANDOM_HISTORIES / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_since_dates_a_drift_from_the_scan_that_made_it,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_a_drift_whose_value_moved_keeps_its_start,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_dates_an_outlier_from_when_its_host_left,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_dates_a_pin_from_its_first_violation, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_since_differ_run_is_the_whole_pipeline,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_gate_folds_the_pins_into_the_parity_report,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_a_drift_from_the_first_commit_dates_from_it,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_max_scans_stops_the_walk_at_least_that_old,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_a_side_that_did_not_exist_ends_the_run,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_items_of_several_collectors_each_get_their_own,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_dates_a_role_one_side_lacks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_reads_only_the_items_collector,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_malformed_old_snapshot_is_an_error, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_since_an_outlier_survives_another_hosts_move,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_an_outlier_ends_where_the_consensus_ties,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_since_host_against_host_ignores_roles,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_since_tallies_agree_with_full_comparisons, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
