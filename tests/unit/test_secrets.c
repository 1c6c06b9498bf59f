/*
 * Unit tests for the secret detectors (core/secrets.h): every case of
 * tests/fixtures/detect/cases.txt, where the secret parts of a real config
 * line are marked, must give exactly those spans; then the pieces on their
 * own: key names, random-looking values, armour, user EREs, merging.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secrets.h"
#include "core/buf.h"

#define OPEN "\xc2\xab"  /* the case files' start mark */
#define CLOSE "\xc2\xbb" /* and end mark */

struct span {
	size_t start, end;
};

/* Strip the marks from a case into plain, recording the marked spans. */
static size_t unmark(struct ed_buf *plain, struct span *spans, size_t max,
		     const char *c)
{
	size_t n = 0;

	ed_buf_reset(plain);
	while (*c) {
		if (!strncmp(c, OPEN, 2)) {
			assert_true(n < max);
			spans[n].start = plain->len;
			c += 2;
		} else if (!strncmp(c, CLOSE, 2)) {
			spans[n++].end = plain->len;
			c += 2;
		} else {
			ed_buf_addch(plain, *c++);
		}
	}
	return n;
}

/* 0 if the finder gives exactly the marked spans of case c, else prints. */
static int check_case(const struct ed_secret_finder *f, const char *c)
{
	struct ed_buf plain = ED_BUF_INIT;
	struct ed_secret_hits hits = { 0 };
	struct span want[16];
	size_t n = unmark(&plain, want, 16, c), i;
	int bad = 0;

	ed_secret_find(f, plain.ptr, plain.len, &hits);
	if (hits.nr != n)
		bad = 1;
	for (i = 0; !bad && i < n; i++)
		if (hits.v[i].start != want[i].start ||
		    hits.v[i].end != want[i].end)
			bad = 1;
	if (bad) {
		fprintf(stderr, "case: %s\n  want %zu span(s), got:", c, n);
		for (i = 0; i < hits.nr; i++)
			fprintf(stderr, " [%.*s](%s)",
				(int)(hits.v[i].end - hits.v[i].start),
				plain.ptr + hits.v[i].start, hits.v[i].rule);
		fprintf(stderr, "\n");
	}
	ed_secret_hits_release(&hits);
	ed_buf_release(&plain);
	return bad;
}

static void test_secrets_every_case_of_the_fixture(void **state)
{
	struct ed_buf file = ED_BUF_INIT, multi = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec none = ED_STRVEC_INIT;
	struct ed_secret_finder f;
	char *line, *save = NULL;
	int bad = 0, cases = 0;

	(void)state;
	assert_int_equal(ed_buf_read_file(&file, FIXTURE_DIR "/detect/cases.txt",
					  1 << 20, &err),
			 0);
	assert_int_equal(ed_secret_finder_init(&f, &none, &err), 0);
	for (line = strtok_r(file.ptr, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "@@ ", 3)) {
			if (multi.len)
				ed_buf_addch(&multi, '\n');
			ed_buf_adds(&multi, line + 3);
			continue;
		}
		if (multi.len) {
			bad += check_case(&f, multi.ptr);
			cases++;
			ed_buf_reset(&multi);
		}
		if (!strncmp(line, "## ", 3) ||
		    (!strncmp(line, "# ", 2) && !strstr(line, OPEN) &&
		     !strstr(line, "assword")))
			continue;
		bad += check_case(&f, line);
		cases++;
	}
	if (multi.len) {
		bad += check_case(&f, multi.ptr);
		cases++;
	}
	assert_true(cases >= 70);
	assert_int_equal(bad, 0);
	ed_secret_finder_release(&f);
	ed_buf_release(&multi);
	ed_buf_release(&file);
}

static void test_secrets_key_names(void **state)
{
	static const char *const secret[] = {
		"password",         "DB_PASSWORD",
		"client-secret",    "dbPassword",
		"db.password",      "wpa_psk",
		"api_key",          "apiKey",
		"X-Auth-Token",     "aws_secret_access_key",
		"secret_key_base",  "PrivateKey",
		"PresharedKey",     "smtp_pass",
		"bindpw",           "ldap_default_authtok",
		"keyStorePassword", "rocommunity",
	};
	static const char *const not_secret[] = {
		"PasswordAuthentication",
		"password_file",
		"token_lifetime",
		"smtp_sasl_password_maps",
		"password_encryption",
		"PASS_MAX_DAYS",
		"passwd_path",
		"user",
		"host",
		"keyboard",
		"bypass",
		"max_tokens",
		"tokenizer",
		"transparentAuth",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		if (!ed_secret_key_names_secret(secret[i], strlen(secret[i])))
			fail_msg("%s should name a secret", secret[i]);
	for (i = 0; i < sizeof(not_secret) / sizeof(*not_secret); i++)
		if (ed_secret_key_names_secret(not_secret[i],
					       strlen(not_secret[i])))
			fail_msg("%s should not name a secret", not_secret[i]);
}

static void test_secrets_random_values(void **state)
{
	static const char *const random[] = {
		"AQBrEDM017qxAAAAAAAJBCRGCCBAhbz5u2WJpFzK5A==",
		"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"0a1b2c3d4e5f60718293a4b5c6d7e8f9",
		"Zk8pQ2vR7nX4mT9bW3cY6hJ1",
	};
	static const char *const plain[] = {
		"3f2a1b4c-5d6e-7f80-91a2-b3c4d5e6f708", /* a UUID */
		"Debian-GNU-Linux-twelve-bookworm",     /* words */
		"usr/lib/x86_64-linux-gnu/something",   /* a path */
		"aaaaaaaaaaaaaaaaaaaaaaaaaa",           /* no entropy */
		"short1A",                              /* too short */
		"PBEWithHmacSHA256AndAES_256",          /* caught by its key */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(random) / sizeof(*random); i++)
		if (!ed_secret_value_looks_random(random[i], strlen(random[i])))
			fail_msg("%s should look random", random[i]);
	/* the last one looks random alone: its key keeps it plain */
	for (i = 0; i + 1 < sizeof(plain) / sizeof(*plain); i++)
		if (ed_secret_value_looks_random(plain[i], strlen(plain[i])))
			fail_msg("%s should not look random", plain[i]);
}

static void test_secrets_armour_to_the_end_when_unterminated(void **state)
{
	static const char buf[] = "a = 1\n-----BEGIN OpenVPN Static key V1-----\n"
				  "0123abcd\n4567ef01\n";
	struct ed_secret_hits hits = { 0 };

	(void)state;
	ed_secret_find(NULL, buf, sizeof(buf) - 1, &hits);
	assert_int_equal(hits.nr, 1);
	assert_string_equal(hits.v[0].rule, "armour");
	assert_int_equal(hits.v[0].start, strstr(buf, "0123") - buf);
	assert_int_equal(hits.v[0].end, sizeof(buf) - 1);
	ed_secret_hits_release(&hits);
}

static void test_secrets_user_regex_adds_to_the_built_ins(void **state)
{
	static const char buf[] = "pin 4711 here\ncode = 0815\npassword = x1y2\n"
				  "pin 42 too\n";
	struct ed_strvec res = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct ed_secret_hits hits = { 0 };
	struct ed_secret_finder f;

	(void)state;
	ed_strvec_push(&res, "^(pin )[0-9]+");
	assert_int_equal(ed_secret_finder_init(&f, &res, &err), 0);
	ed_secret_find(&f, buf, sizeof(buf) - 1, &hits);
	assert_int_equal(hits.nr, 3);
	/* a user ERE hides from the end of group 1 to the end of the line */
	assert_int_equal(hits.v[0].start, 4);
	assert_int_equal(hits.v[0].end, 13);
	assert_string_equal(hits.v[0].rule, "user-regex");
	assert_string_equal(hits.v[1].rule, "keyword");
	/* '^' anchors at every line, not only the buffer's first */
	assert_memory_equal(buf + hits.v[2].start, "42 too", 6);
	assert_int_equal(hits.v[2].end - hits.v[2].start, 6);
	ed_secret_hits_release(&hits);
	ed_secret_finder_release(&f);
	ed_strvec_release(&res);
}

static void test_secrets_bad_user_regex_is_refused(void **state)
{
	struct ed_strvec res = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct ed_secret_finder f;

	(void)state;
	ed_strvec_push(&res, "(unclosed");
	assert_int_equal(ed_secret_finder_init(&f, &res, &err), ED_EPARSE);
	assert_non_null(strstr(err.msg, "(unclosed"));
	ed_secret_finder_release(&f);
	ed_strvec_release(&res);
}

static void test_secrets_several_on_one_line_stay_apart(void **state)
{
	static const char buf[] =
		"{\"user\": \"a\", \"password\": \"p1\", \"token\": \"t2\"}";
	struct ed_secret_hits hits = { 0 };

	(void)state;
	ed_secret_find(NULL, buf, sizeof(buf) - 1, &hits);
	assert_int_equal(hits.nr, 2);
	assert_memory_equal(buf + hits.v[0].start, "p1", 2);
	assert_int_equal(hits.v[0].end - hits.v[0].start, 2);
	assert_memory_equal(buf + hits.v[1].start, "t2", 2);
	ed_secret_hits_release(&hits);
}

static void test_secrets_own_tokens_are_never_hits(void **state)
{
	static const char buf[] =
		"password = hmac:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
		"/etc/app.conf file 0644 root:root 0:0 12 sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
	struct ed_secret_hits hits = { 0 };

	(void)state;
	ed_secret_find(NULL, buf, sizeof(buf) - 1, &hits);
	assert_int_equal(hits.nr, 0);
	ed_secret_hits_release(&hits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secrets_every_case_of_the_fixture),
		cmocka_unit_test(test_secrets_key_names),
		cmocka_unit_test(test_secrets_random_values),
		cmocka_unit_test(test_secrets_armour_to_the_end_when_unterminated),
		cmocka_unit_test(test_secrets_user_regex_adds_to_the_built_ins),
		cmocka_unit_test(test_secrets_bad_user_regex_is_refused),
		cmocka_unit_test(test_secrets_several_on_one_line_stay_apart),
		cmocka_unit_test(test_secrets_own_tokens_are_never_hits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
