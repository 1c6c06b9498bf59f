/*
 * Unit tests for the state repository (core/store.h) and its pack writer
 * (core/pack.h). Every repository is made in a mkdtemp sandbox and checked
 * with stock git (fsck --strict, ls-tree, diff, log -p), run by fork/exec
 * with an argument vector so odd file names reach it unmangled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hmac.h"
#include "core/pack.h"
#include "core/snapshot.h"
#include "core/store.h"
#include "core/strvec.h"
#include "tests/unit/helpers.h"

#define MAX_GIT_ARGS 16

struct fixture {
	char tmp[64];
	unsigned seq;          /* numbers the repositories of one run */
	struct ed_buf repo;    /* path of this test's repository */
	struct ed_buf git_err; /* stderr of the last git run */
	struct ed_err err;
	struct store *st;
	struct store *st2;
	/*
	 * Per-test resources released by teardown, so a failing assertion
	 * (which longjmps out of the test) leaks nothing under ASan.
	 */
	struct snapshot snap, snap2;
	struct store_result res[3];
	struct ed_buf out, u;
	struct store_host *hosts;
	size_t nhosts;
	struct pack_batch *pb;
	git_repository *grepo;
	git_odb *odb;
	struct ed_buf objdir; /* objects directory of the open_odb repository */
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_store.XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	/* neither stock git nor libgit2 may read the user's configuration */
	if (setenv("HOME", f->tmp, 1) || setenv("GIT_CONFIG_NOSYSTEM", "1", 1) ||
	    setenv("LC_ALL", "C", 1) || unsetenv("XDG_CONFIG_HOME") ||
	    unsetenv("GIT_DIR") || unsetenv("GIT_CONFIG_GLOBAL"))
		return -1;
	if (git_libgit2_init() < 0 ||
	    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1) < 0)
		return -1;
	ed_buf_init(&f->repo);
	ed_buf_init(&f->git_err);
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
	ed_buf_release(&f->git_err);
	free(f);
	return rc ? -1 : 0;
}

/* Each test gets a fresh path sandbox/rN (not created). */
static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	ed_buf_reset(&f->repo);
	ed_buf_addf(&f->repo, "%s/r%u", f->tmp, ++f->seq);
	f->st = NULL;
	f->st2 = NULL;
	snapshot_init(&f->snap);
	snapshot_init(&f->snap2);
	memset(f->res, 0, sizeof(f->res));
	ed_buf_init(&f->out);
	ed_buf_init(&f->u);
	f->hosts = NULL;
	f->nhosts = 0;
	f->pb = NULL;
	f->grepo = NULL;
	f->odb = NULL;
	ed_buf_init(&f->objdir);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	store_free(f->st);
	store_free(f->st2);
	f->st = NULL;
	f->st2 = NULL;
	snapshot_release(&f->snap);
	snapshot_release(&f->snap2);
	for (i = 0; i < 3; i++)
		store_result_release(&f->res[i]);
	ed_buf_release(&f->out);
	ed_buf_release(&f->u);
	store_hosts_free(f->hosts, f->nhosts);
	pack_batch_free(f->pb);
	git_odb_free(f->odb);
	git_repository_free(f->grepo);
	ed_buf_release(&f->objdir);
	return 0;
}

/*
 * Run git with the NULL-terminated arguments (after "--git-dir=<repo>" when
 * repo is given); stdout goes to out (if not NULL), stderr to f->git_err.
 * Returns git's exit status, or -1 if it did not exit normally.
 */
static int vgit(struct fixture *f, struct ed_buf *out, const char *repo, va_list ap)
{
	const char *argv[MAX_GIT_ARGS + 3];
	struct ed_buf gitdir = ED_BUF_INIT, errpath = ED_BUF_INIT;
	struct ed_buf sink = ED_BUF_INIT;
	struct ed_err rerr = ED_ERR_INIT;
	size_t n = 0;
	int fds[2], status = 0;
	const char *a;
	pid_t pid;

	argv[n++] = "git";
	if (repo) {
		ed_buf_addf(&gitdir, "--git-dir=%s", repo);
		argv[n++] = gitdir.ptr;
	}
	while ((a = va_arg(ap, const char *))) {
		assert_true(n < MAX_GIT_ARGS + 2);
		argv[n++] = a;
	}
	argv[n] = NULL;
	ed_buf_addf(&errpath, "%s/git.stderr", f->tmp);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int efd = open(errpath.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (efd < 0 || dup2(fds[1], 1) < 0 || dup2(efd, 2) < 0)
			_exit(126);
		close(fds[0]);
		/* execvp's argv is char *const[]; git does not write to it */
		execvp("git", (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fds[1]);
	assert_int_equal(ed_buf_read_fd(out ? out : &sink, fds[0], "git",
					(size_t)256 << 20, &rerr),
			 0);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	ed_buf_reset(&f->git_err);
	(void)ed_buf_read_file(&f->git_err, errpath.ptr, 1 << 20, &rerr);
	ed_buf_release(&gitdir);
	ed_buf_release(&errpath);
	ed_buf_release(&sink);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int git(struct fixture *f, struct ed_buf *out, const char *repo, ...)
{
	va_list ap;
	int rc;

	va_start(ap, repo);
	rc = vgit(f, out, repo, ap);
	va_end(ap);
	return rc;
}

/* git ... must exit 0; otherwise fail showing its stderr. */
static void git_ok(struct fixture *f, struct ed_buf *out, const char *repo, ...)
{
	va_list ap;
	int rc;

	va_start(ap, repo);
	rc = vgit(f, out, repo, ap);
	va_end(ap);
	if (rc != 0)
		fail_msg("git exited %d: %s", rc, f->git_err.ptr);
}

static void assert_fsck_clean(struct fixture *f)
{
	git_ok(f, NULL, f->repo.ptr, "fsck", "--strict", "--no-dangling", NULL);
	if (strstr(f->git_err.ptr, "error") || strstr(f->git_err.ptr, "warning"))
		fail_msg("git fsck --strict complained: %s", f->git_err.ptr);
}

/* Split NUL- or newline-terminated records of b into a sorted vector. */
static void split_records(struct ed_strvec *out, const struct ed_buf *b, char term)
{
	const char *p = b->ptr, *end = b->ptr + b->len;

	while (p < end) {
		const char *e = memchr(p, term, (size_t)(end - p));
		struct ed_buf one = ED_BUF_INIT;

		if (!e)
			e = end;
		ed_buf_add(&one, p, (size_t)(e - p));
		ed_strvec_take(out, ed_buf_detach(&one, NULL));
		p = e + 1;
	}
	ed_strvec_sort_unique(out);
}

static void init_open(struct fixture *f)
{
	if (store_init(f->repo.ptr, 0, &f->err) < 0 ||
	    store_open(&f->st, f->repo.ptr, &f->err) < 0)
		fail_msg("%s", f->err.msg);
	assert_int_equal(store_lock(f->st, 1000, &f->err), 0);
}

/* A small host snapshot whose packages file holds pkgs. */
static void basic_snapshot(struct snapshot *s, const char *pkgs)
{
	snapshot_init(s);
	snapshot_add(s, "meta", "role default\n", 13);
	snapshot_add(s, "packages", pkgs, strlen(pkgs));
	snapshot_add(s, "kernel", "release = 6.1.0\n", 16);
	snapshot_add(s, "content/etc/hostname", "h1\n", 3);
}

static void commit_one(struct fixture *f, struct store_result *res,
		       const char *env, const char *host,
		       const struct snapshot *snap)
{
	struct store_update up = { env, host, snap };
	struct ed_strvec tr = ED_STRVEC_INIT;

	ed_strvec_pushf(&tr, "Envdrift-Collected: %s/%s", env, host);
	if (store_commit(f->st, res, &up, 1, "collect", &tr, &f->err) < 0)
		fail_msg("store_commit: %s", f->err.msg);
	ed_strvec_release(&tr);
	assert_int_equal(res->notes.nr, 0);
}

static void ls_tree(struct fixture *f, struct ed_strvec *out, const char *rev,
		    const char *path)
{
	struct ed_buf b = ED_BUF_INIT;

	if (path)
		git_ok(f, &b, f->repo.ptr, "ls-tree", "-z", "--name-only", rev,
		       path, NULL);
	else
		git_ok(f, &b, f->repo.ptr, "ls-tree", "-r", "-z", "--name-only",
		       rev, NULL);
	split_records(out, &b, '\0');
	ed_buf_release(&b);
}

/* ---- init and open ---- */

static void test_store_init_creates_private_bare_repo(void **state)
{
	struct fixture *f = *state;
	struct ed_buf out = ED_BUF_INIT;
	struct stat sb;

	assert_int_equal(store_init(f->repo.ptr, 0, &f->err), 0);
	assert_int_equal(stat(f->repo.ptr, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0700);
	git_ok(f, &out, f->repo.ptr, "rev-parse", "--is-bare-repository", NULL);
	assert_string_equal(out.ptr, "true\n");
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "symbolic-ref", "HEAD", NULL);
	assert_string_equal(out.ptr, "refs/heads/main\n");
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "config", "envdrift.version", NULL);
	assert_string_equal(out.ptr, "1\n");
	assert_fsck_clean(f);
	assert_int_equal(store_open(&f->st, f->repo.ptr, &f->err), 0);
	assert_non_null(f->st);
	ed_buf_release(&out);
}

static void test_store_init_shared_group_is_group_readable(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	assert_int_equal(store_init(f->repo.ptr, 1, &f->err), 0);
	assert_int_equal(stat(f->repo.ptr, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	assert_true(sb.st_mode & S_ISGID);
	assert_int_equal(store_open(&f->st, f->repo.ptr, &f->err), 0);
}

static void test_store_init_accepts_existing_empty_dir(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	assert_int_equal(mkdir(f->repo.ptr, 0755), 0);
	assert_int_equal(store_init(f->repo.ptr, 0, &f->err), 0);
	assert_int_equal(stat(f->repo.ptr, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	assert_int_equal(store_open(&f->st, f->repo.ptr, &f->err), 0);
}

static void test_store_init_refuses_non_empty_dir(void **state)
{
	struct fixture *f = *state;
	struct ed_buf p = ED_BUF_INIT;
	int fd;

	assert_int_equal(mkdir(f->repo.ptr, 0700), 0);
	ed_buf_addf(&p, "%s/precious", f->repo.ptr);
	fd = open(p.ptr, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_init(f->repo.ptr, 0, &f->err), ED_ERROR);
	assert_int_equal(f->err.code, ED_ERROR);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "not empty"));
	assert_int_equal(access(p.ptr, F_OK), 0);
	ed_buf_release(&p);
}

static void test_store_open_plain_git_repo_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct store *st = (struct store *)f;

	git_ok(f, NULL, NULL, "init", "-q", f->repo.ptr, NULL);
	assert_int_equal(store_open(&st, f->repo.ptr, &f->err), ED_ENOTFOUND);
	assert_null(st);
	assert_int_equal(f->err.code, ED_ENOTFOUND);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "not an envdrift state repository"));
}

static void test_store_open_plain_bare_repo_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;

	git_ok(f, NULL, NULL, "init", "-q", "--bare", f->repo.ptr, NULL);
	assert_int_equal(store_open(&st, f->repo.ptr, &f->err), ED_ENOTFOUND);
	assert_null(st);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "no .envdrift/format on main"));
}

static void test_store_open_missing_dir_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;

	assert_int_equal(store_open(&st, f->repo.ptr, &f->err), ED_ENOTFOUND);
	assert_null(st);
	assert_int_equal(f->err.code, ED_ENOTFOUND);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "envdrift init"));
}

static void test_store_open_unknown_version_is_an_error(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;

	assert_int_equal(store_init(f->repo.ptr, 0, &f->err), 0);
	git_ok(f, NULL, f->repo.ptr, "config", "envdrift.version", "2", NULL);
	assert_int_equal(store_open(&st, f->repo.ptr, &f->err), ED_ERROR);
	assert_null(st);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "version '2'"));
}

/* ---- name escaping ---- */

struct esc_case {
	const char *raw;
	size_t len;
	const char *escaped;
};

static const struct esc_case esc_cases[] = {
	{ "plain.conf", 10, "plain.conf" },
	{ ".git", 4, "%2Egit" },
	{ ".GIT", 4, "%2EGIT" },
	{ ".gitmodules", 11, "%2Egitmodules" },
	{ ".", 1, "%2E" },
	{ "..", 2, "%2E%2E" },
	{ "...", 3, "..." },
	{ ".bashrc", 7, ".bashrc" },
	{ "git~1", 5, "git%7E1" },
	{ "GIT~1", 5, "GIT%7E1" },
	{ "100%", 4, "100%25" },
	{ "a\0b", 3, "a%00b" },
	{ "caf\xe9", 4, "caf%E9" },
	{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },
	/* the ignorable stays; escaping the dot is enough for git's HFS check */
	{ "\xe2\x80\x8c.git", 7, "\xe2\x80\x8c%2Egit" },
	{ ".g\xe2\x80\x8cit", 7, "%2Eg\xe2\x80\x8cit" },
	{ "gitmod~1", 8, "gitmod%7E1" },
	{ "gi7eba~2", 8, "gi7eba%7E2" },
	{ "a\\.git", 6, "a%5C.git" },
	{ "x~1", 3, "x~1" },
	{ "with space", 10, "with space" },
};

static void test_store_escape_name_round_trips(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *c = &esc_cases[i];
		struct ed_buf e = ED_BUF_INIT, u = ED_BUF_INIT;

		store_escape_name(&e, c->raw, c->len);
		if (strcmp(e.ptr, c->escaped))
			fail_msg("case %zu: escaped to \"%s\", want \"%s\"", i,
				 e.ptr, c->escaped);
		assert_int_equal(strlen(e.ptr), e.len);
		assert_int_equal(store_unescape_name(&u, e.ptr, &f->err), 0);
		assert_int_equal(u.len, c->len);
		assert_memory_equal(u.ptr, c->raw, c->len);
		ed_buf_release(&e);
		ed_buf_release(&u);
	}
}

static void test_store_unescape_name_rejects_bad_escapes(void **state)
{
	struct fixture *f = *state;
	struct ed_buf u = ED_BUF_INIT;

	assert_int_equal(store_unescape_name(&u, "a%zz", &f->err), ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_string_equal(f->err.msg, "bad escape in tree entry 'a%zz'");
	ed_buf_reset(&u);
	assert_int_equal(store_unescape_name(&u, "a%4", &f->err), ED_EPARSE);
	assert_string_equal(f->err.msg, "bad escape in tree entry 'a%4'");
	ed_buf_release(&u);
}

/*
 * Regression (fixed in core/store_name.c store_unescape_name): sscanf("%2X") accepts one hex
 * digit, leading blanks and a sign, so "%4g" becomes byte 0x04 and the 'g'
 * is silently dropped, and "%-1" becomes 0xff. Only exactly two hex digits
 * should be accepted.
 */
static void test_store_unescape_name_needs_two_hex_digits(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_unescape_name(&f->u, "x%4gy", &f->err), ED_EPARSE);
	ed_buf_reset(&f->u);
	assert_int_equal(store_unescape_name(&f->u, "x%-1y", &f->err), ED_EPARSE);
	ed_buf_reset(&f->u);
	assert_int_equal(store_unescape_name(&f->u, "x% 1y", &f->err), ED_EPARSE);
}

/* ---- commits ---- */

struct odd_path {
	const char *path;    /* snapshot path, below the host */
	size_t comp_len;     /* length of the last component */
	const char *escaped; /* its tree path, below hosts/staging/h1/ */
};

static const struct odd_path odd_paths[] = {
	{ "content/etc/.git/config", 6, "content/etc/%2Egit/config" },
	{ "content/etc/..", 2, "content/etc/%2E%2E" },
	{ "content/etc/caf\xe9", 4, "content/etc/caf%E9" },
	{ "content/etc/git~1", 5, "content/etc/git%7E1" },
	{ "content/etc/.gitmodules", 11, "content/etc/%2Egitmodules" },
	{ "content/etc/100%", 4, "content/etc/100%25" },
	{ "content/etc/caf\xc3\xa9", 5, "content/etc/caf\xc3\xa9" },
	{ "meta", 4, "meta" },
};

static void test_store_commit_escapes_names_and_passes_fsck(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result res;
	struct ed_strvec names = ED_STRVEC_INIT, want = ED_STRVEC_INIT;
	struct ed_buf out = ED_BUF_INIT;
	static const char gm[] =
		"[submodule \"../../x\"]\n\tpath = x\n\turl = ../evil\n";
	size_t i;

	init_open(f);
	snapshot_init(&s);
	for (i = 0; i < sizeof(odd_paths) / sizeof(odd_paths[0]); i++) {
		const char *data = strstr(odd_paths[i].path, "gitmodules") ?
					   gm :
					   odd_paths[i].path;

		snapshot_add(&s, odd_paths[i].path, data, strlen(data));
		ed_strvec_pushf(&want, "hosts/staging/h1/%s",
				odd_paths[i].escaped);
	}
	ed_strvec_sort_unique(&want);
	commit_one(f, &res, "staging", "h1", &s);
	assert_string_equal(res.parent, "");
	assert_int_equal(strlen(res.commit), 40);
	assert_false(res.tree_unchanged);
	assert_int_equal(res.moved.nr, 0);
	/* 8 blobs, trees: .git content/etc content h1 staging hosts root, commit */
	assert_int_equal(res.new_objects, 8 + 7 + 1);
	assert_true(res.pack_bytes > 0);
	git_ok(f, &out, f->repo.ptr, "rev-parse", "main", NULL);
	assert_memory_equal(out.ptr, res.commit, 40);
	assert_fsck_clean(f);
	ls_tree(f, &names, "main", NULL);
	assert_int_equal(names.nr, want.nr);
	for (i = 0; i < want.nr; i++)
		assert_string_equal(names.v[i], want.v[i]);
	/* each last component unescapes to the raw name */
	for (i = 0; i < sizeof(odd_paths) / sizeof(odd_paths[0]); i++) {
		const struct odd_path *o = &odd_paths[i];
		const char *esc = strrchr(o->escaped, '/');
		struct ed_buf u = ED_BUF_INIT;

		esc = esc ? esc + 1 : o->escaped;
		assert_int_equal(store_unescape_name(&u, esc, &f->err), 0);
		assert_int_equal(u.len, o->comp_len);
		assert_memory_equal(u.ptr, o->path + strlen(o->path) - o->comp_len,
				    o->comp_len);
		ed_buf_release(&u);
	}
	/* the blob behind an escaped name holds the snapshot bytes */
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "cat-file", "blob",
	       "main:hosts/staging/h1/content/etc/%2Egit/config", NULL);
	assert_string_equal(out.ptr, "content/etc/.git/config");
	store_result_release(&res);
	snapshot_release(&s);
	ed_strvec_release(&names);
	ed_strvec_release(&want);
	ed_buf_release(&out);
}

/*
 * Regression (fixed in core/store_name.c store_escape_name): git treats a name as ".git" on HFS+
 * when it equals ".git" after dropping ignorable code points anywhere
 * (U+200C-200F, U+202A-202E, U+206A-206F, U+FEFF), but only ignorables
 * before the '.' are handled: ".<U+200C>git" is stored unescaped and
 * `git fsck --strict` reports "hasDotgit" (the same holds for
 * ".<U+200C>gitmodules").
 */
static void test_store_commit_hfs_ignorable_dotgit_passes_fsck(void **state)
{
	struct fixture *f = *state;

	init_open(f);
	snapshot_add(&f->snap, "content/etc/.\xe2\x80\x8cgit/config", "x\n", 2);
	snapshot_add(&f->snap, "content/etc/.g\xef\xbb\xbfit", "y\n", 2);
	commit_one(f, &f->res[0], "staging", "h1", &f->snap);
	assert_fsck_clean(f);
}

/*
 * Regression (fixed in core/store_name.c store_escape_name): git also treats NTFS short names of
 * .gitmodules ("gitmod~1".."gitmod~4", and hash forms like "gi7eba~1") as
 * .gitmodules and validates such a blob as submodule config, so an /etc file
 * named gitmod~1 holding "[submodule "../../x"]" makes `git fsck --strict`
 * fail with gitmodulesName (an error even without --strict, so pushes and
 * clones with transfer.fsckObjects are refused). Only "git~N" is escaped.
 *
 */
static void test_store_commit_ntfs_gitmodules_short_name_passes_fsck(void **state)
{
	struct fixture *f = *state;
	static const char gm[] =
		"[submodule \"../../x\"]\n\tpath = x\n\turl = https://e/x\n";

	init_open(f);
	snapshot_add(&f->snap, "content/etc/gitmod~1", gm, sizeof(gm) - 1);
	commit_one(f, &f->res[0], "staging", "h1", &f->snap);
	assert_fsck_clean(f);
}

static void test_store_commit_same_snapshot_writes_only_the_commit(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result r1, r2;
	struct ed_buf out = ED_BUF_INIT;

	init_open(f);
	basic_snapshot(&s, "bash amd64 5.2\n");
	commit_one(f, &r1, "staging", "h1", &s);
	assert_false(r1.tree_unchanged);
	commit_one(f, &r2, "staging", "h1", &s);
	assert_true(r2.tree_unchanged);
	assert_int_equal(r2.new_objects, 1);
	assert_string_equal(r2.parent, r1.commit);
	assert_string_not_equal(r2.commit, r1.commit);
	git_ok(f, &out, f->repo.ptr, "diff", "--exit-code", "main~1", "main",
	       NULL);
	assert_int_equal(out.len, 0);
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "rev-list", "--count", "main", NULL);
	assert_string_equal(out.ptr, "2\n");
	assert_fsck_clean(f);
	store_result_release(&r1);
	store_result_release(&r2);
	snapshot_release(&s);
	ed_buf_release(&out);
}

static void test_store_commit_one_change_is_one_path(void **state)
{
	struct fixture *f = *state;
	struct snapshot a, b;
	struct store_result r1, r2;
	struct ed_buf out = ED_BUF_INIT;

	init_open(f);
	basic_snapshot(&a, "bash amd64 5.2\n");
	basic_snapshot(&b, "bash amd64 5.2.1\n");
	commit_one(f, &r1, "staging", "h1", &a);
	commit_one(f, &r2, "staging", "h1", &b);
	assert_false(r2.tree_unchanged);
	/* the blob, the trees h1 staging hosts root, and the commit */
	assert_int_equal(r2.new_objects, 6);
	assert_int_equal(git(f, &out, f->repo.ptr, "diff", "--exit-code",
			     "--name-only", "main~1", "main", NULL),
			 1);
	assert_string_equal(out.ptr, "hosts/staging/h1/packages\n");
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "show", "main:hosts/staging/h1/packages",
	       NULL);
	assert_string_equal(out.ptr, "bash amd64 5.2.1\n");
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "show", "main~1:hosts/staging/h1/packages",
	       NULL);
	assert_string_equal(out.ptr, "bash amd64 5.2\n");
	assert_fsck_clean(f);
	store_result_release(&r1);
	store_result_release(&r2);
	snapshot_release(&a);
	snapshot_release(&b);
	ed_buf_release(&out);
}

static void test_store_commit_message_has_subject_and_trailers(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result res;
	struct ed_buf out = ED_BUF_INIT;

	init_open(f);
	basic_snapshot(&s, "x\n");
	commit_one(f, &res, "staging", "h1", &s);
	git_ok(f, &out, f->repo.ptr, "log", "-1", "--format=%s%n%b%an <%ae>",
	       "main", NULL);
	assert_string_equal(
		out.ptr,
		"collect\nEnvdrift-Collected: staging/h1\nenvdrift <envdrift@localhost>\n");
	store_result_release(&res);
	snapshot_release(&s);
	ed_buf_release(&out);
}

static void test_store_commit_moves_host_between_envs(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result r1, r2;
	struct ed_strvec names = ED_STRVEC_INIT;
	struct ed_buf out = ED_BUF_INIT;

	init_open(f);
	basic_snapshot(&s, "bash amd64 5.2\n");
	commit_one(f, &r1, "staging", "h1", &s);
	commit_one(f, &r2, "prod", "h1", &s);
	assert_int_equal(r2.moved.nr, 1);
	assert_string_equal(r2.moved.v[0], "staging/h1 -> prod/h1");
	ls_tree(f, &names, "main", "hosts/");
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "hosts/prod");
	git_ok(f, &out, f->repo.ptr, "log", "-1", "--format=%B", "main", NULL);
	assert_non_null(
		strstr(out.ptr, "\nEnvdrift-Moved: staging/h1 -> prod/h1\n"));
	/* moving changes only where the files are: the host tree is reused */
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "diff", "-M", "--name-status", "main~1",
	       "main", NULL);
	assert_non_null(
		strstr(out.ptr,
		       "R100\thosts/staging/h1/packages\thosts/prod/h1/packages\n"));
	assert_fsck_clean(f);
	store_result_release(&r1);
	store_result_release(&r2);
	snapshot_release(&s);
	ed_strvec_release(&names);
	ed_buf_release(&out);
}

static void test_store_commit_move_keeps_other_hosts(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result r;
	struct ed_strvec names = ED_STRVEC_INIT;

	init_open(f);
	basic_snapshot(&s, "p\n");
	commit_one(f, &r, "staging", "h1", &s);
	store_result_release(&r);
	commit_one(f, &r, "staging", "h2", &s);
	store_result_release(&r);
	commit_one(f, &r, "prod", "h1", &s);
	assert_int_equal(r.moved.nr, 1);
	store_result_release(&r);
	ls_tree(f, &names, "main", "hosts/staging/");
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "hosts/staging/h2");
	ed_strvec_release(&names);
	ls_tree(f, &names, "main", "hosts/prod/");
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "hosts/prod/h1");
	assert_fsck_clean(f);
	snapshot_release(&s);
	ed_strvec_release(&names);
}

static void test_store_commit_null_snapshot_removes_host(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result r;
	struct store_update ups[2];
	struct ed_strvec names = ED_STRVEC_INIT;
	struct ed_buf out = ED_BUF_INIT;

	init_open(f);
	basic_snapshot(&s, "p\n");
	ups[0].env = "staging";
	ups[0].host = "h1";
	ups[0].snap = &s;
	ups[1].env = "staging";
	ups[1].host = "h2";
	ups[1].snap = &s;
	assert_int_equal(store_commit(f->st, &r, ups, 2, "two", NULL, &f->err), 0);
	store_result_release(&r);
	ups[0].snap = NULL;
	assert_int_equal(store_commit(f->st, &r, ups, 1, "remove h1", NULL,
				      &f->err),
			 0);
	assert_int_equal(r.moved.nr, 0);
	store_result_release(&r);
	ls_tree(f, &names, "main", "hosts/staging/");
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "hosts/staging/h2");
	ed_strvec_release(&names);
	/* removing the last host of the last env leaves no file */
	ups[1].snap = NULL;
	assert_int_equal(store_commit(f->st, &r, &ups[1], 1, "remove h2", NULL,
				      &f->err),
			 0);
	store_result_release(&r);
	ls_tree(f, &names, "main", NULL);
	assert_int_equal(names.nr, 0);
	git_ok(f, &out, f->repo.ptr, "log", "--format=%s", "main", NULL);
	assert_string_equal(out.ptr, "remove h2\nremove h1\ntwo\n");
	/* removing a host that is not there changes nothing */
	assert_int_equal(store_commit(f->st, &r, &ups[1], 1, "again", NULL,
				      &f->err),
			 0);
	assert_true(r.tree_unchanged);
	store_result_release(&r);
	assert_fsck_clean(f);
	snapshot_release(&s);
	ed_strvec_release(&names);
	ed_buf_release(&out);
}

/*
 * Regression (fixed in core/store_tree.c mtree_write): "empty subtrees vanish" is decided before
 * a subtree is written, so when removing the last host of the last
 * environment empties hosts/<env>/, that env is dropped but hosts/ itself
 * is written as an empty tree: the root keeps "hosts" -> 4b825dc6 instead
 * of being the empty tree.
 */
static void test_store_commit_removing_last_host_leaves_no_empty_tree(void **state)
{
	struct fixture *f = *state;
	struct store_update up = { "staging", "h1", NULL };

	init_open(f);
	basic_snapshot(&f->snap, "p\n");
	up.snap = &f->snap;
	assert_int_equal(store_commit(f->st, &f->res[0], &up, 1, "add", NULL,
				      &f->err),
			 0);
	up.snap = NULL;
	assert_int_equal(store_commit(f->st, &f->res[1], &up, 1, "remove", NULL,
				      &f->err),
			 0);
	git_ok(f, &f->out, f->repo.ptr, "ls-tree", "main", NULL);
	assert_string_equal(f->out.ptr, "");
	ed_buf_reset(&f->out);
	git_ok(f, &f->out, f->repo.ptr, "rev-parse", "main^{tree}", NULL);
	assert_string_equal(f->out.ptr,
			    "4b825dc642cb6eb9a060e54bf8d69288fbee4904\n");
}

/* Sleep until time(NULL) moves on, so commits get distinct timestamps. */
static void wait_next_second(void)
{
	time_t t = time(NULL);
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	while (time(NULL) == t)
		nanosleep(&ts, NULL);
}

/*
 * Commit A (h1 and .git-host collected), B (.git-host only), C (prod/h9
 * with no Collected trailer), optionally a second apart, then check
 * store_hosts names the newest collecting commit of each host.
 */
static void check_hosts_scenario(struct fixture *f, int spaced)
{
	struct store_result *ra = &f->res[0], *rb = &f->res[1], *rc = &f->res[2];
	struct store_update ups[2];
	struct ed_strvec tr = ED_STRVEC_INIT;
	struct store_host *h;
	long long t0 = (long long)time(NULL);

	init_open(f);
	basic_snapshot(&f->snap, "p\n");
	basic_snapshot(&f->snap2, "q\n");
	/* A: both hosts collected */
	ups[0].env = "staging";
	ups[0].host = "h1";
	ups[0].snap = &f->snap;
	ups[1].env = "staging";
	ups[1].host = ".git-host";
	ups[1].snap = &f->snap;
	ed_strvec_push(&tr, "Envdrift-Collected: staging/h1");
	ed_strvec_push(&tr, "Envdrift-Collected: staging/.git-host");
	assert_int_equal(store_commit(f->st, ra, ups, 2, "a", &tr, &f->err), 0);
	ed_strvec_release(&tr);
	if (spaced)
		wait_next_second();
	/* B: only .git-host */
	ups[1].snap = &f->snap2;
	ed_strvec_push(&tr, "Envdrift-Collected: staging/.git-host");
	assert_int_equal(store_commit(f->st, rb, &ups[1], 1, "b", &tr, &f->err),
			 0);
	ed_strvec_release(&tr);
	if (spaced)
		wait_next_second();
	/* C: a host stored without a Collected trailer */
	ups[0].env = "prod";
	ups[0].host = "h9";
	assert_int_equal(store_commit(f->st, rc, ups, 1, "c", NULL, &f->err), 0);

	assert_int_equal(store_hosts(f->st, &f->hosts, &f->nhosts, &f->err), 0);
	h = f->hosts;
	assert_int_equal(f->nhosts, 3);
	/* sorted by env then host */
	assert_string_equal(h[0].env, "prod");
	assert_string_equal(h[0].host, "h9");
	assert_int_equal(h[0].last_success, 0);
	assert_string_equal(h[1].env, "staging");
	assert_string_equal(h[1].host, ".git-host");
	assert_string_equal(h[1].last_commit, rb->commit);
	assert_true(h[1].last_success >= t0);
	assert_true(h[1].last_success <= (long long)time(NULL));
	assert_string_equal(h[2].host, "h1");
	assert_string_equal(h[2].last_commit, ra->commit);
	assert_true(h[2].last_success >= t0);
}

static void test_store_hosts_lists_last_success(void **state)
{
	check_hosts_scenario(*state, 1);
}

/*
 * Regression (fixed in core/store.c store_hosts): the history is walked with
 * GIT_SORT_TIME, whose order among commits of the same second is not
 * child-before-parent, so when B (which collected .git-host) lands in the
 * same second as its parent A, last_commit names A. The history is linear:
 * walking first-parent from the tip without time sorting gives the newest
 * commit. Fails (almost always: it passes only if a second boundary falls
 * between the commits) until fixed.
 */
static void test_store_hosts_same_second_commits_pick_the_newest(void **state)
{
	check_hosts_scenario(*state, 0);
}

static void test_store_hosts_on_empty_repo_is_empty(void **state)
{
	struct fixture *f = *state;
	struct store_host *h = (struct store_host *)f;
	size_t n = 7;

	init_open(f);
	assert_int_equal(store_hosts(f->st, &h, &n, &f->err), 0);
	assert_int_equal(n, 0);
	assert_null(h);
}

/*
 * Each host's last_duration is the Envdrift-Duration of the commit that
 * last collected it; -1 without one (older commits) or when it is not a
 * plain non-negative number, so a hand-made commit cannot fake a metric.
 */
static void test_store_hosts_read_the_duration_trailer(void **state)
{
	static const struct {
		const char *host, *trailer;
		double want;
	} cases[] = {
		{ "h1", "Envdrift-Duration: 12.345", 12.345 },
		{ "h2", NULL, -1 },
		{ "h3", "Envdrift-Duration: nan", -1 },
		{ "h4", "Envdrift-Duration: 1.5s", -1 },
		{ "h5", "Envdrift-Duration: -2.000", -1 },
		{ "h6", "Envdrift-Duration: ", -1 },
	};
	struct fixture *f = *state;
	struct store_update up;
	size_t i;

	init_open(f);
	basic_snapshot(&f->snap, "p\n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ed_strvec tr = ED_STRVEC_INIT;
		struct store_result res;

		memset(&res, 0, sizeof(res));
		up.env = "staging";
		up.host = cases[i].host;
		up.snap = &f->snap;
		ed_strvec_pushf(&tr, "Envdrift-Collected: staging/%s",
				cases[i].host);
		if (cases[i].trailer)
			ed_strvec_push(&tr, cases[i].trailer);
		assert_int_equal(store_commit(f->st, &res, &up, 1, "collect",
					      &tr, &f->err),
				 0);
		ed_strvec_release(&tr);
		store_result_release(&res);
	}
	assert_int_equal(store_hosts(f->st, &f->hosts, &f->nhosts, &f->err), 0);
	assert_int_equal(f->nhosts, sizeof(cases) / sizeof(cases[0]));
	for (i = 0; i < f->nhosts; i++) {
		assert_string_equal(f->hosts[i].host, cases[i].host);
		assert_true(f->hosts[i].last_success > 0);
		if (f->hosts[i].last_duration != cases[i].want)
			fail_msg("%s: last_duration %g, want %g", cases[i].host,
				 f->hosts[i].last_duration, cases[i].want);
	}
}

/* ---- key, lock ---- */

static void make_key(struct fixture *f, struct ed_hmac **k, const char *name)
{
	struct ed_buf p = ED_BUF_INIT;

	ed_buf_addf(&p, "%s/%s", f->tmp, name);
	unlink(p.ptr);
	if (ed_hmac_generate(p.ptr, 0600, &f->err) < 0 ||
	    ed_hmac_load(k, p.ptr, &f->err) < 0)
		fail_msg("%s", f->err.msg);
	ed_buf_release(&p);
}

static void test_store_check_key_records_then_verifies(void **state)
{
	struct fixture *f = *state;
	struct ed_hmac *k1 = NULL, *k2 = NULL;
	struct ed_buf out = ED_BUF_INIT;
	char fp[65];

	init_open(f);
	make_key(f, &k1, "k1");
	make_key(f, &k2, "k2");
	assert_int_equal(store_check_key(f->st, k1, &f->err), 0);
	ed_hmac_fingerprint(k1, fp);
	git_ok(f, &out, f->repo.ptr, "config", "envdrift.keyfingerprint", NULL);
	assert_memory_equal(out.ptr, fp, 64);
	assert_int_equal(store_check_key(f->st, k1, &f->err), 0);
	assert_int_equal(store_check_key(f->st, k2, &f->err), ED_EKEY);
	assert_int_equal(f->err.code, ED_EKEY);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "does not match"));
	/* a fresh open reads the recorded fingerprint */
	assert_int_equal(store_open(&f->st2, f->repo.ptr, &f->err), 0);
	assert_int_equal(store_check_key(f->st2, k2, &f->err), ED_EKEY);
	assert_int_equal(store_check_key(f->st2, k1, &f->err), 0);
	ed_hmac_free(k1);
	ed_hmac_free(k2);
	ed_buf_release(&out);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_store_lock_excludes_a_second_writer(void **state)
{
	struct fixture *f = *state;
	double t0, dt;

	init_open(f);
	assert_int_equal(store_open(&f->st2, f->repo.ptr, &f->err), 0);
	/* taking it twice through one store is fine */
	assert_int_equal(store_lock(f->st, 0, &f->err), 0);
	t0 = now_s();
	assert_int_equal(store_lock(f->st2, 100, &f->err), ED_ELOCKED);
	dt = now_s() - t0;
	assert_int_equal(f->err.code, ED_ELOCKED);
	assert_true(ut_starts_with(f->err.msg, f->repo.ptr));
	assert_non_null(strstr(f->err.msg, "another envdrift is writing"));
	assert_true(dt >= 0.09);
	assert_true(dt < 2.0);
	store_unlock(f->st);
	assert_int_equal(store_lock(f->st2, 100, &f->err), 0);
	/* and now the first one waits */
	assert_int_equal(store_lock(f->st, 0, &f->err), ED_ELOCKED);
	store_free(f->st2); /* freeing releases the lock */
	f->st2 = NULL;
	assert_int_equal(store_lock(f->st, 0, &f->err), 0);
}

static void test_store_lock_clears_stale_branch_lock(void **state)
{
	struct fixture *f = *state;
	struct snapshot a, b;
	struct store_result r;
	struct ed_buf p = ED_BUF_INIT, out = ED_BUF_INIT;
	int fd;

	init_open(f);
	basic_snapshot(&a, "1\n");
	basic_snapshot(&b, "2\n");
	commit_one(f, &r, "staging", "h1", &a);
	store_result_release(&r);
	store_unlock(f->st);
	/* a writer killed between creating the .lock and renaming it */
	ed_buf_addf(&p, "%s/refs/heads/main.lock", f->repo.ptr);
	fd = open(p.ptr, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0000000000000000000000000000000000000000\n",
			       41),
			 41);
	close(fd);
	assert_int_equal(store_lock(f->st, 100, &f->err), 0);
	assert_int_equal(access(p.ptr, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	commit_one(f, &r, "staging", "h1", &b);
	git_ok(f, &out, f->repo.ptr, "rev-parse", "main", NULL);
	assert_memory_equal(out.ptr, r.commit, 40);
	assert_fsck_clean(f);
	store_result_release(&r);
	snapshot_release(&a);
	snapshot_release(&b);
	ed_buf_release(&p);
	ed_buf_release(&out);
}

/* ---- packs ---- */

static void test_store_unchanged_commit_is_one_loose_object(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result r;
	struct ed_buf out = ED_BUF_INIT, path = ED_BUF_INIT;
	struct store_stats s1, s2;
	struct stat sb;

	init_open(f);
	basic_snapshot(&s, "pkg amd64 1.0\n");
	commit_one(f, &r, "prod", "h1", &s);
	store_result_release(&r);
	assert_int_equal(store_stats(f->st, &s1, &f->err), 0);
	commit_one(f, &r, "prod", "h1", &s);
	assert_int_equal(r.tree_unchanged, 1);
	assert_int_equal(r.new_objects, 1);
	assert_int_equal(store_stats(f->st, &s2, &f->err), 0);
	assert_int_equal(s2.packs, s1.packs); /* no pack for one commit */
	ed_buf_addf(&path, "%s/objects/%.2s/%s", f->repo.ptr, r.commit,
		    r.commit + 2);
	assert_int_equal(stat(path.ptr, &sb), 0);
	assert_true(sb.st_size < 1024); /* the whole growth of the repository */
	assert_int_equal(s2.loose, s1.loose + 1);
	assert_int_equal(s2.loose_bytes, s1.loose_bytes + (size_t)sb.st_size);
	assert_int_equal(s2.pack_bytes + s2.index_bytes,
			 s1.pack_bytes + s1.index_bytes);
	git_ok(f, &out, f->repo.ptr, "cat-file", "-t", r.commit, NULL);
	assert_string_equal(out.ptr, "commit\n");
	assert_fsck_clean(f);
	store_result_release(&r);
	snapshot_release(&s);
	ed_buf_release(&out);
	ed_buf_release(&path);
}

/* The object files under objects/, counted the way `find -type f` sees them. */
static void disk_stats(struct fixture *f, struct store_stats *out)
{
	struct ed_buf dir = ED_BUF_INIT, p = ED_BUF_INIT;
	struct dirent *de;
	struct stat sb;
	size_t other = 0;
	DIR *d;
	int i;

	memset(out, 0, sizeof(*out));
	for (i = -1; i < 256; i++) {
		ed_buf_reset(&dir);
		if (i < 0)
			ed_buf_addf(&dir, "%s/objects/pack", f->repo.ptr);
		else
			ed_buf_addf(&dir, "%s/objects/%02x", f->repo.ptr, i);
		d = opendir(dir.ptr);
		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name);

			ed_buf_reset(&p);
			ed_buf_addf(&p, "%s/%s", dir.ptr, de->d_name);
			if (stat(p.ptr, &sb) < 0 || !S_ISREG(sb.st_mode))
				continue;
			if (i >= 0) {
				out->loose++;
				out->loose_bytes += (size_t)sb.st_size;
			} else if (len > 5 &&
				   !strcmp(de->d_name + len - 5, ".pack")) {
				out->packs++;
				out->pack_bytes += (size_t)sb.st_size;
			} else if (len > 4 &&
				   !strcmp(de->d_name + len - 4, ".idx")) {
				out->index_bytes += (size_t)sb.st_size;
			} else {
				other++;
			}
		}
		if (d)
			closedir(d);
	}
	ed_buf_release(&dir);
	ed_buf_release(&p);
	assert_int_equal(other, 0); /* nothing but packs, indexes and objects */
}

static void assert_stats_match_disk(struct fixture *f)
{
	struct store_stats got, want;

	assert_int_equal(store_stats(f->st, &got, &f->err), 0);
	disk_stats(f, &want);
	assert_int_equal(got.packs, want.packs);
	assert_int_equal(got.pack_bytes, want.pack_bytes);
	assert_int_equal(got.index_bytes, want.index_bytes);
	assert_int_equal(got.loose, want.loose);
	assert_int_equal(got.loose_bytes, want.loose_bytes);
}

/* store_stats reports the object files on disk: none, a pack, then a loose commit. */
static void test_store_stats_match_the_object_files(void **state)
{
	struct fixture *f = *state;
	struct store_stats st;
	size_t k;

	init_open(f);
	assert_int_equal(store_stats(f->st, &st, &f->err), 0);
	assert_int_equal(st.packs + st.pack_bytes + st.index_bytes + st.loose +
				 st.loose_bytes,
			 0);
	basic_snapshot(&f->snap, "pkg amd64 1.0\n");
	/* over PACK_LOOSE_BYTES, so the first commit writes a pack */
	for (k = 0; k < 20000; k++)
		ed_buf_addf(&f->out, "line %zu of a big file\n", k);
	snapshot_add(&f->snap, "content/etc/big.conf", f->out.ptr, f->out.len);
	commit_one(f, &f->res[0], "prod", "h1", &f->snap);
	assert_int_equal(store_stats(f->st, &st, &f->err), 0);
	assert_int_equal(st.packs, 1);
	assert_int_equal(st.pack_bytes, f->res[0].pack_bytes);
	assert_true(st.index_bytes > 0);
	assert_int_equal(st.loose, 0);
	assert_stats_match_disk(f);
	commit_one(f, &f->res[1], "prod", "h1", &f->snap);
	assert_int_equal(store_stats(f->st, &st, &f->err), 0);
	assert_int_equal(st.packs, 1);
	assert_int_equal(st.loose, 1);
	assert_stats_match_disk(f);
}

static void test_store_consolidates_packs(void **state)
{
	struct fixture *f = *state;
	struct snapshot s;
	struct store_result r;
	struct ed_buf pk = ED_BUF_INIT, out = ED_BUF_INIT;
	struct store_stats stats;
	size_t max_packs = 0, i;

	init_open(f);
	for (i = 0; i < 20; i++) {
		struct ed_buf big = ED_BUF_INIT;
		size_t k;

		ed_buf_reset(&pk);
		ed_buf_addf(&pk, "pkg amd64 1.%zu\n", i);
		basic_snapshot(&s, pk.ptr);
		/* over PACK_LOOSE_BYTES, so every commit writes a pack */
		for (k = 0; k < 20000; k++)
			ed_buf_addf(&big, "line %zu of scan %zu\n", k, i);
		snapshot_add(&s, "content/etc/big.conf", big.ptr, big.len);
		ed_buf_release(&big);
		commit_one(f, &r, "staging", "h1", &s);
		store_result_release(&r);
		snapshot_release(&s);
		assert_int_equal(store_stats(f->st, &stats, &f->err), 0);
		if (stats.packs > max_packs)
			max_packs = stats.packs;
	}
	assert_true(max_packs <= 17);
	assert_true(stats.packs <= 17);
	assert_true(stats.packs >= 1);
	assert_true(stats.pack_bytes > 0);
	assert_fsck_clean(f);
	git_ok(f, &out, f->repo.ptr, "rev-list", "--count", "main", NULL);
	assert_string_equal(out.ptr, "20\n");
	ed_buf_reset(&out);
	git_ok(f, &out, f->repo.ptr, "log", "-p", "main", NULL);
	assert_non_null(strstr(out.ptr, "+pkg amd64 1.19\n"));
	assert_non_null(strstr(out.ptr, "+pkg amd64 1.0\n"));
	/* every commit's tree still reads back */
	for (i = 0; i < 20; i++) {
		struct ed_buf rev = ED_BUF_INIT, want = ED_BUF_INIT;

		ed_buf_addf(&rev, "main~%zu:hosts/staging/h1/packages", 19 - i);
		ed_buf_addf(&want, "pkg amd64 1.%zu\n", i);
		ed_buf_reset(&out);
		git_ok(f, &out, f->repo.ptr, "cat-file", "blob", rev.ptr, NULL);
		assert_string_equal(out.ptr, want.ptr);
		ed_buf_release(&rev);
		ed_buf_release(&want);
	}
	/* the library's own view survives the repack too */
	basic_snapshot(&s, "pkg amd64 1.19\n");
	{
		struct ed_buf big = ED_BUF_INIT;
		size_t k;

		for (k = 0; k < 20000; k++)
			ed_buf_addf(&big, "line %zu of scan %d\n", k, 19);
		snapshot_add(&s, "content/etc/big.conf", big.ptr, big.len);
		ed_buf_release(&big);
	}
	commit_one(f, &r, "staging", "h1", &s);
	assert_true(r.tree_unchanged);
	assert_int_equal(r.new_objects, 1);
	store_result_release(&r);
	snapshot_release(&s);
	ed_buf_release(&pk);
	ed_buf_release(&out);
}

static void open_odb(struct fixture *f, git_repository **repo, git_odb **odb)
{
	assert_int_equal(store_init(f->repo.ptr, 0, &f->err), 0);
	assert_int_equal(git_repository_open(repo, f->repo.ptr), 0);
	assert_int_equal(git_repository_odb(odb, *repo), 0);
	ed_buf_reset(&f->objdir);
	ed_buf_addf(&f->objdir, "%sobjects", git_repository_path(*repo));
}

static void test_pack_batch_dedupes_and_skips_known_objects(void **state)
{
	struct fixture *f = *state;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	struct pack_batch *pb = pack_batch_new();
	git_oid a, a2, b, want;
	struct store_stats stats;

	open_odb(f, &repo, &odb);
	assert_int_equal(pack_batch_packed_size(pb), 0);
	assert_int_equal(pack_batch_add(pb, &a, odb, GIT_OBJECT_BLOB, "hello\n", 6),
			 1);
	assert_int_equal(git_oid_fromstr(&want,
					 "ce013625030ba8dba906f756967f9e9ca394464a"),
			 0);
	assert_true(git_oid_equal(&a, &want));
	assert_int_equal(pack_batch_add(pb, &a2, odb, GIT_OBJECT_BLOB,
					"hello\n", 6),
			 0);
	assert_true(git_oid_equal(&a, &a2));
	assert_int_equal(pack_batch_add(pb, &b, odb, GIT_OBJECT_BLOB, "", 0), 1);
	assert_int_equal(pack_batch_count(pb), 2);
	assert_int_equal(pack_batch_write(pb, odb, f->objdir.ptr, NULL, &f->err),
			 0);
	pack_batch_free(pb);

	/* the written pack is exactly the size announced and its objects known */
	assert_int_equal(store_open(&f->st, f->repo.ptr, &f->err), 0);
	assert_int_equal(store_stats(f->st, &stats, &f->err), 0);
	assert_int_equal(stats.packs, 1);
	assert_int_equal(git_odb_refresh(odb), 0);
	pb = pack_batch_new();
	assert_int_equal(pack_batch_add(pb, &a2, odb, GIT_OBJECT_BLOB,
					"hello\n", 6),
			 0);
	assert_int_equal(pack_batch_count(pb), 0);
	/* an empty batch writes nothing */
	assert_int_equal(pack_batch_write(pb, odb, f->objdir.ptr, NULL, &f->err),
			 0);
	assert_int_equal(store_stats(f->st, &stats, &f->err), 0);
	assert_int_equal(stats.packs, 1);
	pack_batch_free(pb);
	git_odb_free(odb);
	git_repository_free(repo);
}

/*
 * Regression (fixed in core/pack.c pack_batch_write): after the pack is committed the odb
 * is not refreshed, so pack_batch_add's GIT_ODB_LOOKUP_NO_REFRESH check
 * does not see the objects just written and a later batch packs them
 * again. store_commit hides this only because reading the tip commit
 * misses and refreshes first. Fails until pack_batch_write refreshes.
 */
static void test_pack_batch_written_objects_are_known_at_once(void **state)
{
	struct fixture *f = *state;
	git_oid id;

	open_odb(f, &f->grepo, &f->odb);
	f->pb = pack_batch_new();
	assert_int_equal(pack_batch_add(f->pb, &id, f->odb, GIT_OBJECT_BLOB,
					"x\n", 2),
			 1);
	assert_int_equal(pack_batch_write(f->pb, f->odb, f->objdir.ptr, NULL,
					  &f->err),
			 0);
	pack_batch_free(f->pb);
	f->pb = pack_batch_new();
	assert_int_equal(pack_batch_add(f->pb, &id, f->odb, GIT_OBJECT_BLOB,
					"x\n", 2),
			 0);
	assert_int_equal(pack_batch_count(f->pb), 0);
}

static void test_pack_batch_size_matches_pack_file(void **state)
{
	struct fixture *f = *state;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	struct pack_batch *pb = pack_batch_new();
	struct store_stats stats;
	size_t want;
	git_oid id;

	open_odb(f, &repo, &odb);
	pack_batch_add(pb, &id, odb, GIT_OBJECT_BLOB, "one\n", 4);
	pack_batch_add(pb, &id, odb, GIT_OBJECT_BLOB, "two\n", 4);
	want = pack_batch_packed_size(pb);
	assert_int_equal(pack_batch_write(pb, odb, f->objdir.ptr, NULL, &f->err),
			 0);
	assert_int_equal(store_open(&f->st, f->repo.ptr, &f->err), 0);
	assert_int_equal(store_stats(f->st, &stats, &f->err), 0);
	assert_int_equal(stats.packs, 1);
	assert_int_equal(stats.pack_bytes, want);
	pack_batch_free(pb);
	git_odb_free(odb);
	git_repository_free(repo);
}

/* Sizes around the pack header's 4-bit and 7-bit boundaries read back intact. */
static void test_pack_batch_object_sizes_read_back(void **state)
{
	struct fixture *f = *state;
	static const size_t sizes[] = { 0,    1,    15,   16,     17,
					2047, 2048, 2049, 262143, 262144 };
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	struct pack_batch *pb = pack_batch_new();
	git_oid ids[sizeof(sizes) / sizeof(sizes[0])];
	struct ed_buf data = ED_BUF_INIT, out = ED_BUF_INIT;
	size_t i, j;

	open_odb(f, &repo, &odb);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ed_buf_reset(&data);
		for (j = 0; j < sizes[i]; j++)
			ed_buf_addch(&data, (char)('a' + (i + j * 7) % 26));
		assert_int_equal(pack_batch_add(pb, &ids[i], odb, GIT_OBJECT_BLOB,
						data.ptr, data.len),
				 1);
	}
	assert_int_equal(pack_batch_write(pb, odb, f->objdir.ptr, NULL, &f->err),
			 0);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char hex[GIT_OID_HEXSZ + 1];
		git_odb_object *obj = NULL;

		git_oid_tostr(hex, sizeof(hex), &ids[i]);
		ed_buf_reset(&out);
		git_ok(f, &out, f->repo.ptr, "cat-file", "blob", hex, NULL);
		assert_int_equal(out.len, sizes[i]);
		for (j = 0; j < sizes[i]; j++)
			assert_int_equal(out.ptr[j], 'a' + (i + j * 7) % 26);
		assert_int_equal(git_odb_read(&obj, odb, &ids[i]), 0);
		assert_int_equal(git_odb_object_size(obj), sizes[i]);
		git_odb_object_free(obj);
	}
	git_ok(f, NULL, f->repo.ptr, "fsck", "--strict", "--no-dangling", NULL);
	pack_batch_free(pb);
	git_odb_free(odb);
	git_repository_free(repo);
	ed_buf_release(&data);
	ed_buf_release(&out);
}

/* An object larger than one 8 MiB append, incompressible, reads back. */
static void test_pack_batch_large_object_spans_appends(void **state)
{
	struct fixture *f = *state;
	git_repository *repo = NULL;
	git_odb *odb = NULL;
	struct pack_batch *pb = pack_batch_new();
	struct ed_buf data = ED_BUF_INIT;
	git_odb_object *obj = NULL;
	uint32_t x = 2463534242u;
	size_t i, n = (9u << 20) + 3;
	git_oid id;

	open_odb(f, &repo, &odb);
	ed_buf_grow(&data, n);
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data.ptr[i] = (char)(x & 0xff);
	}
	ed_buf_setlen(&data, n);
	assert_int_equal(pack_batch_add(pb, &id, odb, GIT_OBJECT_BLOB, data.ptr, n),
			 1);
	assert_true(pack_batch_packed_size(pb) > (8u << 20));
	assert_int_equal(pack_batch_write(pb, odb, f->objdir.ptr, NULL, &f->err),
			 0);
	assert_int_equal(git_odb_read(&obj, odb, &id), 0);
	assert_int_equal(git_odb_object_size(obj), n);
	assert_memory_equal(git_odb_object_data(obj), data.ptr, n);
	git_odb_object_free(obj);
	git_ok(f, NULL, f->repo.ptr, "fsck", "--strict", "--no-dangling", NULL);
	pack_batch_free(pb);
	git_odb_free(odb);
	git_repository_free(repo);
	ed_buf_release(&data);
}

#define MANY_BLOBS 2000

/*
 * Blob i of the many-objects test, deterministic: blob 0 is empty, blob 1 is
 * over 64 KiB, every third one binary, the rest text of 0 - 3 KiB (some up
 * to 40 KiB); each starts with its number, so no two are equal.
 */
static void many_blob(struct ed_buf *b, size_t i)
{
	uint32_t x = 2463534242u ^ (uint32_t)(i * 2654435761u);
	size_t n, k;

	ed_buf_reset(b);
	if (i == 0)
		return;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	n = i == 1 ? (70u << 10) + 11 : i % 97 ? x % 3000 : x % 40000;
	ed_buf_addf(b, "blob %zu\n", i);
	for (k = 0; k < n; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		ed_buf_addch(b, i % 3 ? (char)('a' + x % 26) : (char)(x & 0xff));
	}
}

/* The one pack-*.idx in dir (into idx); fails on tmp_* leftovers. */
static void only_idx(struct ed_buf *idx, const char *dir)
{
	struct dirent *de;
	size_t nidx = 0, npack = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (ut_starts_with(de->d_name, "tmp_"))
			fail_msg("temporary file left: %s", de->d_name);
		if (len > 4 && !strcmp(de->d_name + len - 4, ".idx")) {
			ed_buf_reset(idx);
			ed_buf_addf(idx, "%s/%s", dir, de->d_name);
			nidx++;
		}
		if (len > 5 && !strcmp(de->d_name + len - 5, ".pack"))
			npack++;
	}
	closedir(d);
	assert_int_equal(nidx, 1);
	assert_int_equal(npack, 1);
}

/*
 * The pack and the index pack_batch_write makes itself pass stock git's
 * verify-pack and fsck --strict --full, and read back byte for byte.
 * Writing the same batch again keeps the files and leaves no temporaries.
 */
static void test_pack_batch_many_objects_pass_verify_pack(void **state)
{
	struct fixture *f = *state;
	static git_oid ids[MANY_BLOBS];
	static const size_t check[] = { 0, 1, 2, 3, 97, 999, MANY_BLOBS - 1 };
	struct ed_buf data = ED_BUF_INIT, dir = ED_BUF_INIT, idx = ED_BUF_INIT;
	struct ed_buf pack = ED_BUF_INIT, want_verify = ED_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid tree, commit;
	git_odb_object *obj = NULL;
	struct stat sb;
	mode_t mask;
	size_t i, size;

	open_odb(f, &f->grepo, &f->odb);
	f->pb = pack_batch_new();
	for (i = 0; i < MANY_BLOBS; i++) {
		many_blob(&data, i);
		assert_int_equal(pack_batch_add(f->pb, &ids[i], f->odb,
						GIT_OBJECT_BLOB, data.ptr,
						data.len),
				 1);
	}
	ed_buf_reset(&data);
	for (i = 0; i < MANY_BLOBS; i++) {
		ed_buf_addf(&data, "100644 %05zu", i);
		ed_buf_addch(&data, '\0');
		ed_buf_add(&data, ids[i].id, GIT_OID_RAWSZ);
	}
	assert_int_equal(pack_batch_add(f->pb, &tree, f->odb, GIT_OBJECT_TREE,
					data.ptr, data.len),
			 1);
	git_oid_tostr(hex, sizeof(hex), &tree);
	ed_buf_reset(&data);
	ed_buf_addf(&data,
		    "tree %s\n"
		    "author T <t@example.com> 1700000000 +0000\n"
		    "committer T <t@example.com> 1700000000 +0000\n\nmany\n",
		    hex);
	assert_int_equal(pack_batch_add(f->pb, &commit, f->odb,
					GIT_OBJECT_COMMIT, data.ptr, data.len),
			 1);
	assert_int_equal(pack_batch_count(f->pb), MANY_BLOBS + 2);
	size = pack_batch_packed_size(f->pb);
	assert_int_equal(pack_batch_write(f->pb, f->odb, f->objdir.ptr, NULL,
					  &f->err),
			 0);
	assert_int_equal(pack_batch_write(f->pb, f->odb, f->objdir.ptr, NULL,
					  &f->err),
			 0);

	ed_buf_addf(&dir, "%s/pack", f->objdir.ptr);
	only_idx(&idx, dir.ptr);
	ed_buf_add(&pack, idx.ptr, idx.len - 4);
	ed_buf_adds(&pack, ".pack");
	mask = umask(0);
	umask(mask);
	assert_int_equal(stat(pack.ptr, &sb), 0);
	assert_int_equal(sb.st_size, size);
	assert_int_equal(sb.st_mode & 0777, 0444 & ~mask);
	assert_int_equal(stat(idx.ptr, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0444 & ~mask);

	git_ok(f, &f->out, NULL, "verify-pack", "-v", idx.ptr, NULL);
	ed_buf_addf(&want_verify, "non delta: %u objects", MANY_BLOBS + 2);
	if (!strstr(f->out.ptr, want_verify.ptr))
		fail_msg("verify-pack: no '%s'", want_verify.ptr);
	git_oid_tostr(hex, sizeof(hex), &commit);
	git_ok(f, NULL, f->repo.ptr, "update-ref", "refs/heads/main", hex, NULL);
	git_ok(f, NULL, f->repo.ptr, "fsck", "--strict", "--full", NULL);
	if (strstr(f->git_err.ptr, "error") || strstr(f->git_err.ptr, "warning") ||
	    strstr(f->git_err.ptr, "dangling"))
		fail_msg("git fsck --strict --full complained: %s",
			 f->git_err.ptr);

	for (i = 0; i < sizeof(check) / sizeof(check[0]); i++) {
		many_blob(&data, check[i]);
		git_oid_tostr(hex, sizeof(hex), &ids[check[i]]);
		ed_buf_reset(&f->out);
		git_ok(f, &f->out, f->repo.ptr, "cat-file", "-p", hex, NULL);
		assert_int_equal(f->out.len, data.len);
		assert_memory_equal(f->out.ptr, data.ptr, data.len);
	}
	many_blob(&data, 1);
	assert_int_equal(git_odb_read(&obj, f->odb, &ids[1]), 0);
	assert_int_equal(git_odb_object_size(obj), data.len);
	assert_memory_equal(git_odb_object_data(obj), data.ptr, data.len);
	git_odb_object_free(obj);
	ed_buf_release(&data);
	ed_buf_release(&dir);
	ed_buf_release(&idx);
	ed_buf_release(&pack);
	ed_buf_release(&want_verify);
}

/*
 * In a --shared group repository the group reads new packs even when the
 * writer's umask is 077 (the pack directory's read bits are added).
 */
static void test_pack_batch_shared_repo_packs_are_group_readable(void **state)
{
	struct fixture *f = *state;
	struct ed_buf dir = ED_BUF_INIT, idx = ED_BUF_INIT, pack = ED_BUF_INIT;
	struct stat sb;
	mode_t mask = umask(077);
	git_oid id;
	int rc;

	rc = store_init(f->repo.ptr, 1, &f->err);
	umask(mask);
	assert_int_equal(rc, 0);
	assert_int_equal(git_repository_open(&f->grepo, f->repo.ptr), 0);
	assert_int_equal(git_repository_odb(&f->odb, f->grepo), 0);
	ed_buf_addf(&f->objdir, "%sobjects", git_repository_path(f->grepo));
	f->pb = pack_batch_new();
	assert_int_equal(pack_batch_add(f->pb, &id, f->odb, GIT_OBJECT_BLOB,
					"x\n", 2),
			 1);
	umask(077);
	rc = pack_batch_write(f->pb, f->odb, f->objdir.ptr, NULL, &f->err);
	umask(mask);
	assert_int_equal(rc, 0);
	ed_buf_addf(&dir, "%s/pack", f->objdir.ptr);
	only_idx(&idx, dir.ptr);
	ed_buf_add(&pack, idx.ptr, idx.len - 4);
	ed_buf_adds(&pack, ".pack");
	assert_int_equal(stat(pack.ptr, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0440);
	assert_int_equal(stat(idx.ptr, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0440);
	ed_buf_release(&dir);
	ed_buf_release(&idx);
	ed_buf_release(&pack);
}

/* A pack directory that cannot be made is ED_EIO naming it. */
static void test_pack_batch_write_error_names_the_directory(void **state)
{
	struct fixture *f = *state;
	git_oid id;

	open_odb(f, &f->grepo, &f->odb);
	f->pb = pack_batch_new();
	assert_int_equal(pack_batch_add(f->pb, &id, f->odb, GIT_OBJECT_BLOB,
					"x\n", 2),
			 1);
	ed_buf_addf(&f->u, "%s/missing/objects", f->tmp);
	assert_int_equal(pack_batch_write(f->pb, f->odb, f->u.ptr, NULL, &f->err),
			 ED_EIO);
	assert_int_equal(f->err.code, ED_EIO);
	assert_true(ut_starts_with(f->err.msg, f->u.ptr));
	assert_non_null(strstr(f->err.msg, "/pack: No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_init_creates_private_bare_repo,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_init_shared_group_is_group_readable, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store_init_accepts_existing_empty_dir,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_init_refuses_non_empty_dir,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_plain_git_repo_is_notfound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_plain_bare_repo_is_notfound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_missing_dir_is_notfound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_unknown_version_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_escape_name_round_trips,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_unescape_name_rejects_bad_escapes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_unescape_name_needs_two_hex_digits, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_escapes_names_and_passes_fsck, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_hfs_ignorable_dotgit_passes_fsck,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_ntfs_gitmodules_short_name_passes_fsck,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_same_snapshot_writes_only_the_commit,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_commit_one_change_is_one_path,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_message_has_subject_and_trailers,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_commit_moves_host_between_envs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_commit_move_keeps_other_hosts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_null_snapshot_removes_host, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_store_commit_removing_last_host_leaves_no_empty_tree,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_hosts_lists_last_success,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_hosts_same_second_commits_pick_the_newest,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_hosts_read_the_duration_trailer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_hosts_on_empty_repo_is_empty,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_check_key_records_then_verifies,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_lock_excludes_a_second_writer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_lock_clears_stale_branch_lock,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_stats_match_the_object_files,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_consolidates_packs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_unchanged_commit_is_one_loose_object, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_pack_batch_dedupes_and_skips_known_objects, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_pack_batch_written_objects_are_known_at_once,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_pack_batch_size_matches_pack_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pack_batch_object_sizes_read_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pack_batch_large_object_spans_appends,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_pack_batch_many_objects_pass_verify_pack, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_pack_batch_shared_repo_packs_are_group_readable,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_pack_batch_write_error_names_the_directory, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
