/*
 * Unit tests for the small shared core: ed_buf, ed_strvec, ed_err, the
 * snapshot line-format quoting, UTF-8 validation, glob matching, and the
 * HMAC key file and tokens. Tests that write use a mkdtemp sandbox.
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
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/glob.h"
#include "core/hmac.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "tests/unit/helpers.h"

struct fixture {
	char tmp[64];
	struct ed_err err;
	struct ed_buf path;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_core.XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	ed_buf_init(&f->path);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&cmd, "rm -rf '%s'", f->tmp);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	ed_buf_release(&f->path);
	free(f);
	return rc ? -1 : 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	ed_err_clear(&f->err);
	ed_buf_reset(&f->path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return 0;
}

/* f->path = sandbox/name; returns its string */
static const char *sandbox_path(struct fixture *f, const char *name)
{
	ed_buf_reset(&f->path);
	ed_buf_addf(&f->path, "%s/%s", f->tmp, name);
	return f->path.ptr;
}

/* ---- ed_buf ---- */

static void test_buf_starts_empty_and_nul_terminated(void **state)
{
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	assert_non_null(b.ptr);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	ed_buf_reset(&b);
	assert_string_equal(b.ptr, "");
	ed_buf_release(&b);
	assert_non_null(b.ptr);
	assert_int_equal(b.cap, 0);
}

static void test_buf_grows_past_many_doublings(void **state)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++)
		ed_buf_addch(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 100000);
	assert_true(b.cap > b.len);
	assert_int_equal(b.ptr[b.len], '\0');
	assert_int_equal(b.ptr[0], 'a');
	assert_int_equal(b.ptr[99999], 'a' + 99999 % 26);
	ed_buf_release(&b);
}

static void test_buf_holds_nul_bytes(void **state)
{
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	ed_buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.ptr, "a\0b", 4);
	ed_buf_release(&b);
}

static void test_buf_addf_formats_long_strings(void **state)
{
	struct ed_buf b = ED_BUF_INIT;
	char big[1000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ed_buf_adds(&b, "head:");
	ed_buf_addf(&b, "%d-%s-%s", 42, "mid", big);
	assert_int_equal(b.len, strlen("head:") + strlen("42-mid-") + 999);
	assert_true(ut_starts_with(b.ptr, "head:42-mid-xxx"));
	assert_int_equal(b.ptr[b.len - 1], 'x');
	assert_int_equal(b.ptr[b.len], '\0');
	ed_buf_release(&b);
}

static void test_buf_detach_gives_malloced_string_and_resets(void **state)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t len = 99;
	char *s;

	(void)state;
	s = ed_buf_detach(&b, &len);
	assert_non_null(s);
	assert_int_equal(len, 0);
	assert_string_equal(s, "");
	free(s);

	ed_buf_adds(&b, "hello");
	s = ed_buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_string_equal(b.ptr, "");
	free(s);
}

static void test_buf_read_file_reads_whole_file(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	const char *p = sandbox_path(f, "small");

	ut_write_file(p, "one\ntwo\n", 8, 0644);
	ed_buf_adds(&b, ">");
	assert_int_equal(ed_buf_read_file(&b, p, 100, &f->err), 0);
	assert_string_equal(b.ptr, ">one\ntwo\n");
	ed_buf_release(&b);
}

static void test_buf_read_file_at_exact_cap_is_complete(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	const char *p = sandbox_path(f, "exact");

	ut_write_file(p, "12345678", 8, 0644);
	assert_int_equal(ed_buf_read_file(&b, p, 8, &f->err), 0);
	assert_int_equal(b.len, 8);
	ed_buf_release(&b);
}

static void test_buf_read_file_over_cap_is_partial(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	const char *p = sandbox_path(f, "big");
	int rc;

	ut_write_file(p, "0123456789", 10, 0644);
	rc = ed_buf_read_file(&b, p, 4, &f->err);
	assert_int_equal(rc, ED_EPARTIAL);
	assert_int_equal(f->err.code, ED_EPARTIAL);
	assert_true(ut_starts_with(f->err.msg, p));
	assert_non_null(strstr(f->err.msg, "larger than 4 bytes"));
	assert_int_equal(b.len, 4);
	assert_string_equal(b.ptr, "0123");
	ed_buf_release(&b);
}

static void test_buf_read_file_missing_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	const char *p = sandbox_path(f, "does-not-exist");
	int rc;

	rc = ed_buf_read_file(&b, p, 100, &f->err);
	assert_int_equal(rc, ED_ENOTFOUND);
	assert_int_equal(f->err.code, ED_ENOTFOUND);
	assert_int_equal(errno, ENOENT);
	assert_true(ut_starts_with(f->err.msg, p));
	assert_int_equal(b.len, 0);
	ed_buf_release(&b);
}

static void test_buf_read_file_directory_is_eio(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;

	assert_int_equal(ed_buf_read_file(&b, f->tmp, 100, &f->err), ED_EIO);
	assert_true(ut_starts_with(f->err.msg, f->tmp));
	ed_buf_release(&b);
}

/* ---- ed_strvec ---- */

static void test_strvec_sort_unique_is_byte_order(void **state)
{
	struct ed_strvec sv = ED_STRVEC_INIT;
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	ed_strvec_push(&sv, "b");
	ed_strvec_push(&sv, "\xc3\xa9"); /* é sorts after every ASCII byte */
	ed_strvec_push(&sv, "B");
	ed_strvec_push(&sv, "a");
	ed_strvec_push(&sv, "b");
	ed_strvec_push(&sv, "_");
	ed_strvec_pushf(&sv, "%s", "a");
	ed_strvec_push(&sv, "A");
	ed_strvec_push(&sv, "a b");
	ed_strvec_sort_unique(&sv);
	assert_int_equal(sv.nr, 7);
	ed_strvec_join_lines(&sv, &b);
	assert_string_equal(b.ptr, "A\nB\n_\na\na b\nb\n\xc3\xa9\n");
	assert_true(ed_strvec_contains(&sv, "a b"));
	assert_false(ed_strvec_contains(&sv, "c"));
	ed_buf_release(&b);
	ed_strvec_release(&sv);
	assert_int_equal(sv.nr, 0);
	assert_null(sv.v);
}

static void test_strvec_take_owns_string(void **state)
{
	struct ed_strvec sv = ED_STRVEC_INIT;
	char *s = malloc(4);

	(void)state;
	assert_non_null(s);
	memcpy(s, "own", 4);
	ed_strvec_take(&sv, s);
	assert_ptr_equal(sv.v[0], s);
	ed_strvec_sort_unique(&sv);
	assert_int_equal(sv.nr, 1);
	ed_strvec_release(&sv);
}

/* ---- ed_err ---- */

static void test_err_set_returns_code_and_formats(void **state)
{
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	assert_int_equal(ed_err_set(&err, ED_EPARSE, "%s:%d:%d: bad", "f", 3, 7),
			 ED_EPARSE);
	assert_int_equal(err.code, ED_EPARSE);
	assert_string_equal(err.msg, "f:3:7: bad");
	ed_err_prefix(&err, "host%d", 1);
	assert_string_equal(err.msg, "host1: f:3:7: bad");
	ed_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

static void test_err_errno_appends_strerror(void **state)
{
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	assert_int_equal(ed_err_errno(&err, ED_EIO, ENOENT, "%s", "/x"), ED_EIO);
	assert_string_equal(err.msg, "/x: No such file or directory");
}

static void test_err_truncates_with_ellipsis(void **state)
{
	struct ed_err err = ED_ERR_INIT;
	char big[2000];
	size_t len;

	(void)state;
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ed_err_set(&err, ED_ERROR, "%s", big);
	len = strlen(err.msg);
	assert_int_equal(len, sizeof(err.msg) - 1);
	assert_string_equal(err.msg + len - 3, "...");
	ed_err_errno(&err, ED_EIO, EACCES, "%s", big);
	assert_string_equal(err.msg + strlen(err.msg) - 3, "...");
	ed_err_prefix(&err, "%s", "ctx");
	assert_true(ut_starts_with(err.msg, "ctx: yyy"));
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_string_equal(err.msg + strlen(err.msg) - 3, "...");
}

/* ---- snapshot quoting and UTF-8 ---- */

static void assert_roundtrip(const char *s, size_t len, const char *quoted,
			     int escaped)
{
	struct ed_buf q = ED_BUF_INIT, u = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	assert_int_equal(snapshot_quote(&q, s, len), escaped);
	assert_string_equal(q.ptr, quoted);
	for (i = 0; i < q.len; i++) {
		unsigned char c = (unsigned char)q.ptr[i];

		assert_true(c > 0x20 && c != 0x7f);
	}
	assert_true(ed_utf8_valid(q.ptr, q.len));
	assert_int_equal(snapshot_unquote(&u, q.ptr, q.len, &err), 0);
	assert_int_equal(u.len, len);
	assert_memory_equal(u.ptr, s, len);
	ed_buf_release(&q);
	ed_buf_release(&u);
}

static void test_snapshot_quote_plain_is_unchanged(void **state)
{
	(void)state;
	assert_roundtrip("sshd.service", 12, "sshd.service", 0);
	assert_roundtrip("", 0, "", 0);
}

static void test_snapshot_quote_spaces_and_backslashes(void **state)
{
	(void)state;
	assert_roundtrip("a b", 3, "a\\x20b", 1);
	assert_roundtrip("C:\\dir", 6, "C:\\x5cdir", 1);
	assert_roundtrip("\\x41", 4, "\\x5cx41", 1);
}

static void test_snapshot_quote_newlines_and_control_chars(void **state)
{
	(void)state;
	assert_roundtrip("a\nb", 3, "a\\x0ab", 1);
	assert_roundtrip("\t\r\x01\x7f", 4, "\\x09\\x0d\\x01\\x7f", 1);
	assert_roundtrip("nul\0byte", 8, "nul\\x00byte", 1);
}

static void test_snapshot_quote_invalid_utf8_is_escaped(void **state)
{
	(void)state;
	/* Latin-1 "café": a lone 0xe9 is not UTF-8 */
	assert_roundtrip("caf\xe9", 4, "caf\\xe9", 1);
	/* truncated sequence, overlong encoding, surrogate, beyond U+10FFFF */
	assert_roundtrip("\xe2\x82", 2, "\\xe2\\x82", 1);
	assert_roundtrip("\xc0\xaf", 2, "\\xc0\\xaf", 1);
	assert_roundtrip("\xed\xa0\x80", 3, "\\xed\\xa0\\x80", 1);
	assert_roundtrip("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80", 1);
}

static void test_snapshot_quote_keeps_valid_multibyte_utf8(void **state)
{
	(void)state;
	assert_roundtrip("caf\xc3\xa9", 5, "caf\xc3\xa9", 0);
	assert_roundtrip("\xe2\x82\xac 5", 5, "\xe2\x82\xac\\x205", 1);
	assert_roundtrip("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", 0);
}

static void test_snapshot_unquote_rejects_malformed_escapes(void **state)
{
	struct fixture *f = *state;
	struct ed_buf u = ED_BUF_INIT;

	assert_int_equal(snapshot_unquote(&u, "ab\\x4", 5, &f->err), ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_string_equal(f->err.msg, "truncated escape at offset 2");
	ed_buf_reset(&u);
	assert_int_equal(snapshot_unquote(&u, "a\\q123", 6, &f->err), ED_EPARSE);
	assert_string_equal(f->err.msg, "bad escape at offset 1");
	ed_buf_reset(&u);
	assert_int_equal(snapshot_unquote(&u, "\\xzz", 4, &f->err), ED_EPARSE);
	assert_string_equal(f->err.msg, "bad escape at offset 0");
	ed_buf_release(&u);
}

static void test_snapshot_quote_value_escapes_only_controls(void **state)
{
	struct fixture *f = *state;
	struct ed_buf q = ED_BUF_INIT, u = ED_BUF_INIT;
	const char in[] = "a b\tc\\d\ne\rf\0g\x7f caf\xc3\xa9 \xe9";
	size_t len = sizeof(in) - 1;

	snapshot_quote_value(&q, in, len);
	assert_string_equal(q.ptr,
			    "a b\tc\\\\d\\ne\\x0df\\x00g\\x7f caf\xc3\xa9 \xe9");
	assert_int_equal(snapshot_unquote(&u, q.ptr, q.len, &f->err), 0);
	assert_int_equal(u.len, len);
	assert_memory_equal(u.ptr, in, len);
	ed_buf_release(&q);
	ed_buf_release(&u);
}

static void test_utf8_valid_accepts_and_rejects(void **state)
{
	(void)state;
	assert_true(ed_utf8_valid("", 0));
	assert_true(ed_utf8_valid("plain ascii", 11));
	assert_true(ed_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_true(ed_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
	assert_false(ed_utf8_valid("\xe9", 1));
	assert_false(ed_utf8_valid("\xc3", 1));
	assert_false(ed_utf8_valid("\x80", 1));
	assert_false(ed_utf8_valid("\xc1\xbf", 2));         /* overlong */
	assert_false(ed_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	assert_false(ed_utf8_valid("\xf0\x80\x80\xaf", 4)); /* overlong */
	assert_false(ed_utf8_valid("\xed\xbf\xbf", 3));     /* surrogate */
	assert_false(ed_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(ed_utf8_valid("\xff", 1));
	/* the length bounds the check: a cut sequence is invalid */
	assert_false(ed_utf8_valid("\xc3\xa9", 1));
}

/* ---- glob ---- */

static void test_glob_doublestar_matches_below_and_the_dir(void **state)
{
	(void)state;
	assert_true(ed_glob_match("/etc/**", "/etc/a/b", '/'));
	assert_true(ed_glob_match("/etc/**", "/etc/a", '/'));
	assert_false(ed_glob_match("/etc/**", "/etcx/a", '/'));
	assert_false(ed_glob_match("/etc/**", "/usr/etc/a", '/'));
	assert_false(ed_glob_match("/etc/**", "/et", '/'));
}

/*
 * Regression (fixed in core/glob.c match()): "/etc/STARSTAR" must also match "/etc", the
 * include root itself, as "a/STARSTAR/b" already matches "a/b"; otherwise
 * the mode and owner of /etc are never recorded.
 */
static void test_glob_trailing_doublestar_matches_the_dir_itself(void **state)
{
	(void)state;
	assert_true(ed_glob_match("/etc/**", "/etc", '/'));
	assert_true(ed_glob_match("net.**", "net", '.'));
}

static void test_glob_star_does_not_cross_separator(void **state)
{
	(void)state;
	assert_true(ed_glob_match("*", "abc", '/'));
	assert_true(ed_glob_match("*", "", '/'));
	assert_false(ed_glob_match("*", "a/b", '/'));
	assert_true(ed_glob_match("/etc/*.conf", "/etc/x.conf", '/'));
	assert_false(ed_glob_match("/etc/*.conf", "/etc/d/x.conf", '/'));
	assert_true(ed_glob_match("/etc/blkid.tab*", "/etc/blkid.tab.old", '/'));
	assert_false(ed_glob_match("/etc/?", "/etc/ab", '/'));
	assert_false(ed_glob_match("/etc?x", "/etc/x", '/'));
	assert_true(ed_glob_match("/etc/?", "/etc/a", '/'));
}

static void test_glob_doublestar_prefix_matches_at_any_depth(void **state)
{
	(void)state;
	assert_true(ed_glob_match("**/*.dpkg-old", "/etc/apt/x.dpkg-old", '/'));
	assert_true(ed_glob_match("**/*.dpkg-old", "/x.dpkg-old", '/'));
	assert_false(ed_glob_match("**/*.dpkg-old", "/etc/apt/x.dpkg-new", '/'));
	assert_false(ed_glob_match("**/*.dpkg-old", "/etc/x.dpkg-old/y", '/'));
	assert_true(ed_glob_match("/etc/**/*.key", "/etc/ssl/a/b.key", '/'));
	assert_true(ed_glob_match("/etc/**/*.key", "/etc/b.key", '/'));
	assert_false(ed_glob_match("/etc/**/*.key", "/etc/b.pem", '/'));
}

static void test_glob_sysctl_keys_use_dot_separator(void **state)
{
	(void)state;
	assert_true(ed_glob_match("kernel.random.*", "kernel.random.boot_id", '.'));
	assert_false(ed_glob_match("kernel.random.*", "kernel.random.a.b", '.'));
	assert_false(ed_glob_match("kernel.random.*", "kernel.randomx", '.'));
	assert_true(ed_glob_match("net.ipv6.conf.*.stable_secret",
				  "net.ipv6.conf.eth0.stable_secret", '.'));
	assert_true(ed_glob_match("net.ipv6.conf.*.stable_secret",
				  "net.ipv6.conf.all.stable_secret", '.'));
	assert_false(ed_glob_match("net.ipv6.conf.*.stable_secret",
				   "net.ipv6.conf.eth0.mtu", '.'));
	/* with sep '.', '/' is an ordinary character (eth0.100 shows as eth0/100) */
	assert_true(ed_glob_match("net.ipv6.conf.*.stable_secret",
				  "net.ipv6.conf.eth0/100.stable_secret", '.'));
	assert_true(ed_glob_match("fs.*-nr", "fs.file-nr", '.'));
	assert_true(ed_glob_match("net.**", "net.ipv4.conf.all.rp_filter", '.'));
	assert_true(ed_glob_match("kernel.hostname", "kernel.hostname", '.'));
	assert_false(ed_glob_match("kernel.hostname", "kernel.hostnamex", '.'));
}

static void test_glob_character_classes(void **state)
{
	(void)state;
	assert_true(ed_glob_match("[!a]", "b", '/'));
	assert_false(ed_glob_match("[!a]", "a", '/'));
	assert_false(ed_glob_match("[!a]", "/", '/'));
	assert_false(ed_glob_match("[!a]", "bb", '/'));
	assert_true(ed_glob_match("[^a]", "c", '/'));
	assert_true(ed_glob_match("x[a-c]y", "xby", '/'));
	assert_false(ed_glob_match("x[a-c]y", "xdy", '/'));
	assert_true(ed_glob_match("[]]", "]", '/'));
	assert_true(ed_glob_match("[!]]", "x", '/'));
	assert_true(ed_glob_match("/etc/ssl/certs/*.[01]",
				  "/etc/ssl/certs/ab.1", '/'));
	/* unterminated class: '[' is literal */
	assert_true(ed_glob_match("a[b", "a[b", '/'));
	assert_false(ed_glob_match("a[b", "ab", '/'));
	/* backslash escapes a metacharacter */
	assert_true(ed_glob_match("a\\*", "a*", '/'));
	assert_false(ed_glob_match("a\\*", "ab", '/'));
}

/* ---- HMAC and SHA-256 ---- */

static void test_sha256_known_vectors(void **state)
{
	char hex[65];

	(void)state;
	ed_sha256_hex(hex, "abc", 3);
	assert_string_equal(
		hex,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ed_sha256_hex(hex, "", 0);
	assert_string_equal(
		hex,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_hmac_generate_creates_mode_0600_file(void **state)
{
	struct fixture *f = *state;
	const char *p = sandbox_path(f, "gen.key");
	struct ed_buf b = ED_BUF_INIT;
	struct stat sb;
	size_t i;

	assert_int_equal(ed_hmac_generate(p, 0, &f->err), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(ed_buf_read_file(&b, p, 1000, &f->err), 0);
	assert_int_equal(b.len, 65);
	assert_int_equal(b.ptr[64], '\n');
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", b.ptr[i]));
	ed_buf_release(&b);
}

static void test_hmac_generate_refuses_existing_file(void **state)
{
	struct fixture *f = *state;
	const char *p = sandbox_path(f, "existing.key");
	struct ed_buf b = ED_BUF_INIT;

	ut_write_file(p, "keep me\n", 8, 0644);
	assert_int_equal(ed_hmac_generate(p, 0600, &f->err), ED_EIO);
	assert_int_equal(f->err.code, ED_EIO);
	assert_true(ut_starts_with(f->err.msg, p));
	assert_non_null(strstr(f->err.msg, "File exists"));
	/* the existing file is neither overwritten nor removed */
	assert_int_equal(ed_buf_read_file(&b, p, 100, &f->err), 0);
	assert_string_equal(b.ptr, "keep me\n");
	ed_buf_release(&b);
}

static void test_hmac_load_missing_is_notfound(void **state)
{
	struct fixture *f = *state;
	const char *p = sandbox_path(f, "nokey");
	struct ed_hmac *k = (struct ed_hmac *)&k;

	assert_int_equal(ed_hmac_load(&k, p, &f->err), ED_ENOTFOUND);
	assert_null(k);
	assert_int_equal(f->err.code, ED_ENOTFOUND);
	assert_true(ut_starts_with(f->err.msg, p));
	assert_non_null(strstr(f->err.msg, "not found"));
}

static void test_hmac_load_rejects_bad_length(void **state)
{
	struct fixture *f = *state;
	const char *p = sandbox_path(f, "short.key");
	struct ed_hmac *k = NULL;

	ut_write_file(p, "abcdef\n", 7, 0644);
	assert_int_equal(ed_hmac_load(&k, p, &f->err), ED_EKEY);
	assert_null(k);
	assert_int_equal(f->err.code, ED_EKEY);
	assert_true(ut_starts_with(f->err.msg, p));
	assert_non_null(strstr(f->err.msg, "64 hex digits"));
	/* 65 digits */
	ut_write_file(p,
		      "00000000000000000000000000000000000000000000000000000000000000000\n",
		      66, 0644);
	assert_int_equal(ed_hmac_load(&k, p, &f->err), ED_EKEY);
	assert_null(k);
	/* empty */
	ut_write_file(p, "", 0, 0644);
	assert_int_equal(ed_hmac_load(&k, p, &f->err), ED_EKEY);
	assert_null(k);
}

static void test_hmac_load_rejects_bad_hex(void **state)
{
	struct fixture *f = *state;
	const char *p = sandbox_path(f, "badhex.key");
	struct ed_hmac *k = NULL;

	ut_write_file(p,
		      "000000000000000000000000000000000000000000000000000000000000000g\n",
		      65, 0644);
	assert_int_equal(ed_hmac_load(&k, p, &f->err), ED_EKEY);
	assert_null(k);
	assert_int_equal(f->err.code, ED_EKEY);
	assert_true(ut_starts_with(f->err.msg, p));
	assert_non_null(strstr(f->err.msg, "bad hex"));
}

static void load_key(struct fixture *f, struct ed_hmac **k, const char *name,
		     const char *hex)
{
	const char *p = sandbox_path(f, name);

	ut_write_file(p, hex, strlen(hex), 0644);
	assert_int_equal(ed_hmac_load(k, p, &f->err), 0);
	assert_non_null(*k);
}

static void test_hmac_token_is_deterministic_per_key(void **state)
{
	struct fixture *f = *state;
	struct ed_hmac *k1 = NULL, *k1b = NULL, *k2 = NULL;
	struct ed_buf t1 = ED_BUF_INIT, t1again = ED_BUF_INIT,
		      t1b = ED_BUF_INIT, t2 = ED_BUF_INIT, other = ED_BUF_INIT;
	size_t i;

	load_key(f, &k1, "k1",
		 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
	/* the same key, uppercase and CRLF: the same token */
	load_key(f, &k1b, "k1b",
		 "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\r\n");
	load_key(f, &k2, "k2",
		 "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

	ed_hmac_token(k1, &t1, "s3cret", 6);
	ed_hmac_token(k1, &t1again, "s3cret", 6);
	ed_hmac_token(k1b, &t1b, "s3cret", 6);
	ed_hmac_token(k2, &t2, "s3cret", 6);
	ed_hmac_token(k1, &other, "s3cres", 6);

	assert_int_equal(t1.len, 5 + 64);
	assert_true(ut_starts_with(t1.ptr, "hmac:"));
	for (i = 5; i < t1.len; i++)
		assert_non_null(strchr("0123456789abcdef", t1.ptr[i]));
	assert_string_equal(t1.ptr, t1again.ptr);
	assert_string_equal(t1.ptr, t1b.ptr);
	assert_string_not_equal(t1.ptr, t2.ptr);
	assert_string_not_equal(t1.ptr, other.ptr);
	/* a token is not the plain SHA-256 of the secret */
	{
		char sha[65];

		ed_sha256_hex(sha, "s3cret", 6);
		assert_string_not_equal(t1.ptr + 5, sha);
	}

	ed_buf_release(&t1);
	ed_buf_release(&t1again);
	ed_buf_release(&t1b);
	ed_buf_release(&t2);
	ed_buf_release(&other);
	ed_hmac_free(k1);
	ed_hmac_free(k1b);
	ed_hmac_free(k2);
}

static void test_hmac_token_matches_reference_vector(void **state)
{
	struct fixture *f = *state;
	struct ed_hmac *k = NULL;
	struct ed_buf t = ED_BUF_INIT;

	/*
	 * RFC 4231 case 2's message under a 32-byte key ("Jefe" x 8), computed
	 * independently with `openssl dgst -sha256 -mac HMAC -macopt hexkey:...`
	 * and Python's hmac module.
	 */
	load_key(f, &k, "rfc",
		 "4a6566654a6566654a6566654a6566654a6566654a6566654a6566654a656665\n");
	ed_hmac_token(k, &t, "what do ya want for nothing?", 28);
	assert_true(ut_starts_with(t.ptr, "hmac:"));
	assert_int_equal(t.len, 69);
	assert_string_equal(
		t.ptr,
		"hmac:167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6");
	ed_buf_release(&t);
	ed_hmac_free(k);
}

static void test_hmac_fingerprint_is_stable_per_key(void **state)
{
	struct fixture *f = *state;
	struct ed_hmac *k1 = NULL, *k1b = NULL, *k2 = NULL;
	char a[65], b[65], c[65], d[65];
	struct ed_buf tok = ED_BUF_INIT;

	load_key(f, &k1, "f1",
		 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
	load_key(f, &k1b, "f1b",
		 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
	load_key(f, &k2, "f2",
		 "100102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
	ed_hmac_fingerprint(k1, a);
	/* tokens in between must not disturb the re-armed context */
	ed_hmac_token(k1, &tok, "x", 1);
	ed_hmac_fingerprint(k1, b);
	ed_hmac_fingerprint(k1b, c);
	ed_hmac_fingerprint(k2, d);
	assert_int_equal(strlen(a), 64);
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_string_not_equal(a, d);
	/* the fingerprint is not the key */
	assert_string_not_equal(
		a,
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
	ed_buf_release(&tok);
	ed_hmac_free(k1);
	ed_hmac_free(k1b);
	ed_hmac_free(k2);
}

static void test_hmac_free_null_is_noop(void **state)
{
	struct ed_hmac *k = NULL;

	(void)state;
	ed_hmac_free(k);
	assert_null(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_buf_starts_empty_and_nul_terminated,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buf_grows_past_many_doublings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buf_holds_nul_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_buf_addf_formats_long_strings,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_buf_detach_gives_malloced_string_and_resets, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_buf_read_file_reads_whole_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buf_read_file_at_exact_cap_is_complete,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buf_read_file_over_cap_is_partial,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buf_read_file_missing_is_notfound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_buf_read_file_directory_is_eio,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_strvec_sort_unique_is_byte_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_strvec_take_owns_string,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_set_returns_code_and_formats,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_errno_appends_strerror,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_err_truncates_with_ellipsis,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_quote_plain_is_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_quote_spaces_and_backslashes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_quote_newlines_and_control_chars, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_quote_invalid_utf8_is_escaped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_quote_keeps_valid_multibyte_utf8, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_unquote_rejects_malformed_escapes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_snapshot_quote_value_escapes_only_controls, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_utf8_valid_accepts_and_rejects,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_glob_doublestar_matches_below_and_the_dir, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_glob_trailing_doublestar_matches_the_dir_itself,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_glob_star_does_not_cross_separator,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_glob_doublestar_prefix_matches_at_any_depth, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_glob_sysctl_keys_use_dot_separator,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_glob_character_classes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sha256_known_vectors,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_generate_creates_mode_0600_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_generate_refuses_existing_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_load_missing_is_notfound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_load_rejects_bad_length,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_load_rejects_bad_hex,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_token_is_deterministic_per_key,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_token_matches_reference_vector,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_fingerprint_is_stable_per_key,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hmac_free_null_is_noop,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
