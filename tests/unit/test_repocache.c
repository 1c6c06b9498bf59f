/*
 * Unit tests for the cache of remote state repositories (core/repocache.h):
 * which --repo values are URLs, userinfo stripping, URL normalisation and
 * the cache directory's name and mode, --offline without a cache (the
 * fetches themselves are tested by tests/cli/t0041-repo-url.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hmac.h"
#include "core/repocache.h"

static void test_repocache_urls_and_paths(void **state)
{
	static const char *const urls[] = {
		"https://h/x",      "HTTP://h/x",       "ssh://u@h:22/x",
		"git://h/x",        "file:///srv/repo", "user@host:path",
		"git@h.example:a/b"
	};
	static const char *const paths[] = { "/srv/repo", "repo",     "./a:b",
					     "a/b@c:d",   "@h:x",     "u@:x",
					     "c:\\x",     "ftp://h/x" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		assert_int_equal(ed_repo_is_url(urls[i]), 1);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		assert_int_equal(ed_repo_is_url(paths[i]), 0);
}

static void expect_strip(const char *url, const char *want)
{
	struct ed_buf b = ED_BUF_INIT;

	ed_repo_url_strip(&b, url);
	assert_string_equal(b.ptr, want);
	ed_buf_release(&b);
}

static void expect_norm(const char *url, const char *want)
{
	struct ed_buf b = ED_BUF_INIT;

	ed_repo_url_normalise(&b, url);
	assert_string_equal(b.ptr, want);
	ed_buf_release(&b);
}

static void test_repocache_strip_removes_userinfo(void **state)
{
	(void)state;
	expect_strip("https://u:pw@Host/x/", "https://Host/x/");
	expect_strip("https://u:p@w@h/x", "https://h/x");
	expect_strip("ssh://git@h:2222/x", "ssh://h:2222/x");
	expect_strip("git@Host:a/b", "Host:a/b");
	expect_strip("file:///srv/a@b", "file:///srv/a@b");
	expect_strip("https://h/x?u@v", "https://h/x?u@v");
}

static void test_repocache_normalise(void **state)
{
	(void)state;
	expect_norm("HTTPS://u:pw@Git.Example.COM/Team/State.git//",
		    "https://git.example.com/Team/State.git");
	expect_norm("ssh://Git@Example.COM/x/", "ssh://example.com/x");
	expect_norm("file:///srv/Repo/", "file:///srv/Repo");
	expect_norm("file:///", "file:///");
	expect_norm("u@Host:Path/", "host:Path");
}

/* The cache's name is the SHA-256 of the normalised URL. */
static void test_repocache_cache_name(void **state)
{
	char tmp[] = "/tmp/test_repocache.XXXXXX", hex[65];
	struct ed_repo_cache_opts o;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT, want = ED_BUF_INIT, cmd = ED_BUF_INIT;
	struct stat st;
	const char *norm = "file:///nonexistent/state";

	(void)state;
	assert_non_null(mkdtemp(tmp));
	memset(&o, 0, sizeof(o));
	ed_buf_addf(&want, "%s/cache/sub", tmp);
	o.root = want.ptr;
	o.offline = 1;
	assert_int_equal(ed_repo_cache_sync(&path,
					    "FILE://u:pw@/nonexistent/state/",
					    &o, &err),
			 ED_ENOTFOUND);
	assert_null(strstr(err.msg, "pw"));
	assert_non_null(
		strstr(err.msg, "FILE:///nonexistent/state/: no cached copy"));
	/* the root was made 0700 on the way */
	assert_int_equal(stat(want.ptr, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	ed_sha256_hex(hex, norm, strlen(norm));
	assert_non_null(strstr(err.msg, hex));
	ed_buf_addf(&cmd, "rm -rf '%s'", tmp);
	assert_int_equal(system(cmd.ptr), 0);
	ed_buf_release(&path);
	ed_buf_release(&want);
	ed_buf_release(&cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repocache_urls_and_paths),
		cmocka_unit_test(test_repocache_strip_removes_userinfo),
		cmocka_unit_test(test_repocache_normalise),
		cmocka_unit_test(test_repocache_cache_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
