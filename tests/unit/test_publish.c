/*
 * Unit tests for rebuilding a writer's unpushed commits on a remote tip
 * (store_rebuild, core/store.h). Both sides live in one repository: the
 * "remote" commits are made on the branch, remembered, and the branch is
 * moved back to the shared base before the "local" commits are made, which
 * is exactly what a fetch leaves behind. Results are read with libgit2 and
 * checked with stock git fsck. Also whether an incoming snapshot agrees
 * with the key and settings the branch records (store_commit_agrees).
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
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hmac.h"
#include "core/snapshot.h"
#include "core/store.h"
#include "core/strvec.h"

struct fixture {
	char tmp[64];
	unsigned seq;
	struct ed_buf repo;
	struct ed_err err;
	struct store *st;
	git_repository *g;
	struct store_rebuild_result rb;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_publish.XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	if (setenv("HOME", f->tmp, 1) ||
	    setenv("GIT_CONFIG_NOSYSTEM", "1", 1) || setenv("LC_ALL", "C", 1))
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

static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	ed_buf_reset(&f->repo);
	ed_buf_addf(&f->repo, "%s/r%u", f->tmp, ++f->seq);
	memset(&f->rb, 0, sizeof(f->rb));
	if (store_init(f->repo.ptr, 0, &f->err) < 0 ||
	    store_open(&f->st, f->repo.ptr, &f->err) < 0 ||
	    store_lock(f->st, 1000, &f->err) < 0 ||
	    git_repository_open(&f->g, f->repo.ptr) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_rebuild_result_release(&f->rb);
	store_free(f->st);
	git_repository_free(f->g);
	f->st = NULL;
	f->g = NULL;
	return 0;
}

/* Commit host env/host with a packages file pkgs (NULL: remove the host). */
static void commit_host(struct fixture *f, const char *env, const char *host,
			const char *pkgs, char id[41])
{
	struct snapshot s = SNAPSHOT_INIT;
	struct store_update up = { env, host, pkgs ? &s : NULL };
	struct ed_strvec tr = ED_STRVEC_INIT;
	struct store_result res;

	if (pkgs) {
		snapshot_add(&s, "meta", "role default\n", 13);
		snapshot_add(&s, "packages", pkgs, strlen(pkgs));
	}
	ed_strvec_pushf(&tr, "Envdrift-Collected: %s/%s", env, host);
	if (store_commit(f->st, &res, &up, 1, "collect", &tr, &f->err) < 0)
		fail_msg("store_commit: %s", f->err.msg);
	memcpy(id, res.commit, 41);
	store_result_release(&res);
	snapshot_release(&s);
	ed_strvec_release(&tr);
}

/* Force the branch to id (what a fetch leaves: our tip, theirs elsewhere). */
static void set_main(struct fixture *f, const char *id)
{
	git_reference *ref = NULL;
	git_oid oid;

	assert_int_equal(git_oid_fromstr(&oid, id), 0);
	assert_int_equal(git_reference_create(&ref, f->g, STORE_BRANCH, &oid, 1,
					      "test"),
			 0);
	git_reference_free(ref);
}

/* A copy of commit id whose author and committer times are shifted. */
static void retime(struct fixture *f, char id[41], long long delta)
{
	git_commit *c = NULL;
	git_signature *sig = NULL;
	git_oid oid, out;

	assert_int_equal(git_oid_fromstr(&oid, id), 0);
	assert_int_equal(git_commit_lookup(&c, f->g, &oid), 0);
	assert_int_equal(git_signature_new(&sig, "envdrift", "envdrift@localhost",
					   git_commit_time(c) + delta, 0),
			 0);
	assert_int_equal(git_commit_amend(&out, c, NULL, sig, sig, NULL, NULL,
					  NULL),
			 0);
	git_oid_tostr(id, 41, &out);
	git_signature_free(sig);
	git_commit_free(c);
}

/* The blob id of main:path as hex, or "" when absent. */
static void blob_at(struct fixture *f, const char *rev, const char *path,
		    char out[41])
{
	git_object *o = NULL;
	struct ed_buf spec = ED_BUF_INIT;

	ed_buf_addf(&spec, "%s:%s", rev, path);
	out[0] = '\0';
	if (git_revparse_single(&o, f->g, spec.ptr) == 0)
		git_oid_tostr(out, 41, git_object_id(o));
	git_object_free(o);
	ed_buf_release(&spec);
}

/* The commit id of rev. */
static void rev_id(struct fixture *f, const char *rev, char out[41])
{
	git_object *o = NULL;

	assert_int_equal(git_revparse_single(&o, f->g, rev), 0);
	git_oid_tostr(out, 41, git_object_id(o));
	git_object_free(o);
}

static int has(struct fixture *f, const char *rev, const char *path)
{
	char id[41];

	blob_at(f, rev, path, id);
	return id[0] != '\0';
}

/* The message of rev. */
static void message(struct fixture *f, const char *rev, struct ed_buf *out)
{
	git_object *o = NULL;

	assert_int_equal(git_revparse_single(&o, f->g, rev), 0);
	ed_buf_adds(out, git_commit_message((git_commit *)o));
	git_object_free(o);
}

static void rebuild_ok(struct fixture *f, const char *onto)
{
	if (store_rebuild(f->st, &f->rb, onto, &f->err) < 0)
		fail_msg("store_rebuild: %s", f->err.msg);
}

static void fsck_ok(struct fixture *f)
{
	struct ed_buf cmd = ED_BUF_INIT;

	ed_buf_addf(&cmd,
		    "git -C '%s' fsck --strict --no-dangling --no-progress 2>&1",
		    f->repo.ptr);
	assert_int_equal(system(cmd.ptr), 0);
	ed_buf_release(&cmd);
}

/* base: prod/h0; remote: prod/r1 (and more); local: what the test adds */
static void fork_base(struct fixture *f, char base[41], char remote[41])
{
	commit_host(f, "prod", "h0", "a 1\n", base);
	commit_host(f, "prod", "r1", "r 1\n", remote);
	set_main(f, base);
}

static void test_publish_rebuild_keeps_disjoint_hosts_of_both(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], local1[41], local2[41], parent[41];
	struct ed_buf msg = ED_BUF_INIT;
	git_commit *c = NULL, *orig = NULL;
	git_oid oid;

	fork_base(f, base, remote);
	commit_host(f, "stag", "l1", "l 1\n", local1);
	commit_host(f, "prod", "l2", "l 2\n", local2);
	rebuild_ok(f, remote);
	assert_int_equal(f->rb.replayed, 2);
	assert_int_equal(f->rb.superseded.nr, 0);
	assert_true(has(f, "main", "hosts/prod/h0/packages"));
	assert_true(has(f, "main", "hosts/prod/r1/packages"));
	assert_true(has(f, "main", "hosts/stag/l1/packages"));
	assert_true(has(f, "main", "hosts/prod/l2/packages"));
	/* linear: main~2 is the remote tip, main~1 has l1 but not yet l2 */
	rev_id(f, "main~2", parent);
	assert_string_equal(parent, remote);
	assert_true(has(f, "main~1", "hosts/stag/l1/packages"));
	assert_false(has(f, "main~1", "hosts/prod/l2/packages"));
	assert_int_equal(git_oid_fromstr(&oid, f->rb.tip), 0);
	assert_int_equal(git_commit_lookup(&c, f->g, &oid), 0);
	assert_int_equal(git_commit_parentcount(c), 1);
	assert_int_equal(git_oid_fromstr(&oid, local2), 0);
	assert_int_equal(git_commit_lookup(&orig, f->g, &oid), 0);
	assert_string_equal(git_commit_message(c), git_commit_message(orig));
	assert_int_equal(git_commit_time(c), git_commit_time(orig));
	assert_string_equal(git_commit_author(c)->name,
			    git_commit_author(orig)->name);
	message(f, "main~1", &msg);
	assert_non_null(strstr(msg.ptr, "Envdrift-Collected: stag/l1\n"));
	git_commit_free(c);
	git_commit_free(orig);
	ed_buf_release(&msg);
	fsck_ok(f);
}

static void test_publish_rebuild_newer_remote_scan_wins(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], local[41], want[41], got[41];
	struct ed_buf msg = ED_BUF_INIT, trailer = ED_BUF_INIT;

	commit_host(f, "prod", "h0", "a 1\n", base);
	commit_host(f, "prod", "h0", "a 2 (remote)\n", remote);
	retime(f, remote, 100); /* the remote's scan is later */
	blob_at(f, remote, "hosts/prod/h0/packages", want);
	set_main(f, base);
	commit_host(f, "prod", "h0", "a 3 (local)\n", local);
	commit_host(f, "prod", "l1", "l 1\n", local);
	rebuild_ok(f, remote);
	blob_at(f, "main", "hosts/prod/h0/packages", got);
	assert_string_equal(got, want);
	assert_true(has(f, "main", "hosts/prod/l1/packages"));
	assert_int_equal(f->rb.superseded.nr, 1);
	assert_string_equal(f->rb.superseded.v[0], "prod/h0");
	message(f, "main~1", &msg);
	ed_buf_addf(&trailer,
		    "Envdrift-Superseded: prod/h0 by %.12s (newer scan)\n",
		    remote);
	assert_non_null(strstr(msg.ptr, trailer.ptr));
	assert_null(strstr(msg.ptr, "Envdrift-Collected: prod/h0"));
	ed_buf_release(&msg);
	ed_buf_release(&trailer);
	fsck_ok(f);
}

static void test_publish_rebuild_newer_local_scan_wins(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], local[41], want[41], got[41];
	struct ed_buf msg = ED_BUF_INIT;

	commit_host(f, "prod", "h0", "a 1\n", base);
	commit_host(f, "prod", "h0", "a 2 (remote)\n", remote);
	retime(f, remote, -100); /* the remote's scan is older */
	set_main(f, base);
	commit_host(f, "prod", "h0", "a 3 (local)\n", local);
	blob_at(f, local, "hosts/prod/h0/packages", want);
	rebuild_ok(f, remote);
	blob_at(f, "main", "hosts/prod/h0/packages", got);
	assert_string_equal(got, want);
	assert_int_equal(f->rb.superseded.nr, 0);
	message(f, "main", &msg);
	assert_non_null(strstr(msg.ptr, "Envdrift-Collected: prod/h0\n"));
	assert_null(strstr(msg.ptr, "Superseded"));
	ed_buf_release(&msg);
	fsck_ok(f);
}

static void test_publish_rebuild_moves_host_between_envs(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], local[41];

	fork_base(f, base, remote);
	commit_host(f, "stag", "h0", "a 1\n", local); /* prod/h0 -> stag/h0 */
	rebuild_ok(f, remote);
	assert_true(has(f, "main", "hosts/stag/h0/packages"));
	assert_false(has(f, "main", "hosts/prod/h0"));
	assert_true(has(f, "main", "hosts/prod/r1/packages"));
	fsck_ok(f);
}

static void test_publish_rebuild_removes_host(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], local[41];

	fork_base(f, base, remote);
	commit_host(f, "prod", "h0", NULL, local);
	rebuild_ok(f, remote);
	assert_false(has(f, "main", "hosts/prod/h0"));
	assert_true(has(f, "main", "hosts/prod/r1/packages"));
	fsck_ok(f);
}

static void commit_report(struct fixture *f, const char *text, char id[41])
{
	struct snapshot s = SNAPSHOT_INIT;
	int unchanged;

	snapshot_add(&s, "a..b.md", text, strlen(text));
	if (store_commit_dir(f->st, id, "reports", &s, "report", NULL,
			     &unchanged, &f->err) < 0)
		fail_msg("store_commit_dir: %s", f->err.msg);
	snapshot_release(&s);
}

static void test_publish_rebuild_carries_reports(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], local[41], want[41], got[41];
	struct ed_buf msg = ED_BUF_INIT;

	fork_base(f, base, remote);
	commit_report(f, "# local report\n", local);
	blob_at(f, local, "reports/a..b.md", want);
	rebuild_ok(f, remote);
	blob_at(f, "main", "reports/a..b.md", got);
	assert_string_equal(got, want);
	assert_true(has(f, "main", "hosts/prod/r1/packages"));

	/* a newer report on the remote side keeps its reports/ */
	set_main(f, remote);
	commit_report(f, "# remote report, newer\n", remote);
	retime(f, remote, 100);
	blob_at(f, remote, "reports/a..b.md", want);
	set_main(f, base);
	commit_report(f, "# local report, older\n", local);
	store_rebuild_result_release(&f->rb);
	rebuild_ok(f, remote);
	blob_at(f, "main", "reports/a..b.md", got);
	assert_string_equal(got, want);
	message(f, "main", &msg);
	assert_non_null(strstr(msg.ptr, "Envdrift-Superseded: reports by "));
	ed_buf_release(&msg);
	fsck_ok(f);
}

static void test_publish_rebuild_fast_forward_and_up_to_date(void **state)
{
	struct fixture *f = *state;
	char base[41], remote[41], tip[41];

	fork_base(f, base, remote);
	rebuild_ok(f, remote); /* nothing of ours: main moves to remote */
	assert_int_equal(f->rb.fast_forward, 1);
	assert_string_equal(f->rb.tip, remote);
	rev_id(f, "main", tip);
	assert_string_equal(tip, remote);
	store_rebuild_result_release(&f->rb);
	rebuild_ok(f, base); /* already in our history */
	assert_int_equal(f->rb.up_to_date, 1);
	assert_string_equal(f->rb.tip, remote);
}

static void test_publish_rebuild_refuses_unrelated_history(void **state)
{
	struct fixture *f = *state;
	char base[41], other[41];
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_oid tree, commit;

	commit_host(f, "prod", "h0", "a 1\n", base);
	assert_int_equal(git_treebuilder_new(&tb, f->g, NULL), 0);
	assert_int_equal(git_treebuilder_write(&tree, tb), 0);
	assert_int_equal(git_signature_now(&sig, "x", "x@x"), 0);
	{
		git_tree *t = NULL;

		assert_int_equal(git_tree_lookup(&t, f->g, &tree), 0);
		assert_int_equal(git_commit_create(&commit, f->g, NULL, sig, sig,
						   NULL, "other\n", t, 0, NULL),
				 0);
		git_tree_free(t);
	}
	git_oid_tostr(other, sizeof(other), &commit);
	assert_int_equal(store_rebuild(f->st, &f->rb, other, &f->err), ED_ERROR);
	assert_non_null(strstr(f->err.msg, "unrelated histories"));
	rev_id(f, "main", other);
	assert_string_equal(other, base); /* main did not move */
	git_signature_free(sig);
	git_treebuilder_free(tb);
}

/*
 * The branch and its writer forgotten (ref, key recorded at init, the
 * store's state), so the next writer starts a new history in the same
 * object database: how an incoming snapshot made elsewhere looks here.
 */
static void forget_branch(struct fixture *f)
{
	git_config *cfg = NULL;

	store_free(f->st);
	f->st = NULL;
	assert_int_equal(git_reference_remove(f->g, STORE_BRANCH), 0);
	assert_int_equal(git_repository_config(&cfg, f->g), 0);
	(void)git_config_delete_entry(cfg, "envdrift.keyfingerprint");
	git_config_free(cfg);
	if (store_open(&f->st, f->repo.ptr, &f->err) < 0 ||
	    store_lock(f->st, 1000, &f->err) < 0)
		fail_msg("reopen: %s", f->err.msg);
}

/* Commit host h1 as a writer with key file key and settings. */
static void commit_as(struct fixture *f, const char *key, const char *settings,
		      char id[41])
{
	struct ed_buf path = ED_BUF_INIT;
	struct ed_hmac *k = NULL;

	ed_buf_addf(&path, "%s/%s", f->tmp, key);
	if (access(path.ptr, F_OK) && ed_hmac_generate(path.ptr, 0600, &f->err) < 0)
		fail_msg("key: %s", f->err.msg);
	if (ed_hmac_load(&k, path.ptr, &f->err) < 0 ||
	    store_check_key(f->st, k, &f->err) < 0 ||
	    store_check_settings(f->st, settings, 0, &f->err) < 0)
		fail_msg("writer: %s", f->err.msg);
	commit_host(f, "prod", "h1", "a 1\n", id);
	ed_hmac_free(k);
	ed_buf_release(&path);
}

static void test_publish_agrees_refuses_other_key_and_settings(void **state)
{
	struct fixture *f = *state;
	char other_key[41], other_rules[41], ours[41], bare[41];

	commit_as(f, "agree-b.key", "rule 1\n", other_key);
	forget_branch(f);
	commit_as(f, "agree-a.key", "rule 2\n", other_rules);
	forget_branch(f);
	commit_host(f, "prod", "h1", "a 1\n", bare); /* no marker at all */
	forget_branch(f);
	commit_as(f, "agree-a.key", "rule 1\n", ours);

	assert_int_equal(store_commit_agrees(f->st, ours, &f->err), 0);
	assert_int_equal(store_commit_agrees(f->st, other_key, &f->err), ED_EKEY);
	assert_non_null(strstr(f->err.msg, "made with another HMAC key"));
	assert_int_equal(store_commit_agrees(f->st, other_rules, &f->err),
			 ED_ESETTINGS);
	assert_non_null(strstr(f->err.msg, "made under other settings"));
	assert_int_equal(store_commit_agrees(f->st, bare, &f->err), ED_EKEY);
	assert_non_null(strstr(f->err.msg, "records no key fingerprint"));
}

static void test_publish_agrees_first_snapshot_lends_its_settings(void **state)
{
	struct fixture *f = *state;
	char first[41], other_rules[41], merged[41];
	git_object *o = NULL;

	commit_as(f, "lend-b.key", "rule 2\n", other_rules);
	forget_branch(f);
	commit_as(f, "lend-a.key", "rule 1\n", first);
	forget_branch(f);
	/* an empty branch, no key checked: the first agreeing snapshot decides */
	assert_int_equal(store_commit_agrees(f->st, first, &f->err), 0);
	assert_int_equal(store_commit_agrees(f->st, first, &f->err), 0);
	assert_int_equal(store_commit_agrees(f->st, other_rules, &f->err),
			 ED_EKEY);
	/* and the next commit records it */
	commit_host(f, "prod", "h2", "b 1\n", merged);
	assert_int_equal(git_revparse_single(&o, f->g, "main:.envdrift/settings"),
			 0);
	assert_int_equal(git_blob_rawsize((git_blob *)o), 7);
	assert_memory_equal(git_blob_rawcontent((git_blob *)o), "rule 1\n", 7);
	git_object_free(o);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_publish_rebuild_keeps_disjoint_hosts_of_both),
		T(test_publish_rebuild_newer_remote_scan_wins),
		T(test_publish_rebuild_newer_local_scan_wins),
		T(test_publish_rebuild_moves_host_between_envs),
		T(test_publish_rebuild_removes_host),
		T(test_publish_rebuild_carries_reports),
		T(test_publish_rebuild_fast_forward_and_up_to_date),
		T(test_publish_rebuild_refuses_unrelated_history),
		T(test_publish_agrees_refuses_other_key_and_settings),
		T(test_publish_agrees_first_snapshot_lends_its_settings),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
