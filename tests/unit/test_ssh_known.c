/*
 * known_hosts handling for the SSH transport, without a server: line by
 * line loading with warnings, OpenSSH's lookups (ports, hashes, comma
 * lists, wildcards), the lines libssh2 1.10 cannot use, and accept_new's
 * single appended line. Keys are fixed test keys (ssh-keygen output);
 * fingerprints are what `ssh-keygen -lf` printed for them.
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

#include "collector/fleet/internal.h"
#include "core/alloc.h"
#include "tests/unit/helpers.h"

#define ED_A \
 "AAAAC3NzaC1lZDI1NTE5AAAAIIoHXeQ90PlOp1b0QEwDaPWIDiii0SSKcwoUehCPsczt"
#define ED_A_FP "SHA256:T9GkVY63jivv5bI/Ax3LLHfFLLf7j0lNxwzzydnUeyg"
#define ED_B \
 "AAAAC3NzaC1lZDI1NTE5AAAAIJRdvSEG5hZRn61o2xae2cXhI1d9U4jLr/pIda+SqK5Y"
#define EC_C \
 "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJLMlb5y3+64IAdETXzaqQYEyu2rLFs/iQHGeka+x60U8l3sThxPrY3sG51X28cjoffMt78b9+3CMbtd0M0o5ps="
#define EC_C_FP "SHA256:WG18S7IZgOpPOXRpQ0bH3o/rBxXe4NtGGC8fq7icGYs"
#define RSA_D \
 "AAAAB3NzaC1yc2EAAAADAQABAAAAgQC8vyLE2utJlbr+UvawQRMR+ve06rjrjEQtDWOLHazwRbKIyZdkBsbkA+UR6MxjN3+kOWWjd25TzDu6ss2z4CYtz08VfeWQaiNAEZhiURtKrN0pK/zzdZX/Zb011+sYYa9N6i/NhBGEUneV6gPTSKFzcd0f6ypsKal1xoRreIkxqQ=="
#define RSA_D_FP "SHA256:X7Yy1XvoZHr8Pe/WjG3ZJaWM4W2laHAX8TUI17Beruo"
/* `ssh-keygen -H` of "[web1.example]:2222 ED_A" and "web2.example EC_C" */
#define HASHED_1 "|1|96bR9rEL49YjTEz5X+FqbWIFTiY=|nhd9eZfYA8QwRqWLS9isYiql67s="
#define HASHED_2 "|1|jeGTlgAcJcU9GuyyQ6ZRM3M+NYA=|YintpCjtXC5I+DScuUicUVzYPGE="

struct fx {
	char dir[64];
	char path[96];
	struct ed_strvec warnings;
	struct ed_buf why, key;
	struct ssh_known *kh;
	struct ed_err err;
};

static int setup(void **state)
{
	struct fx *f = ed_xcalloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/envdrift-known-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/known_hosts", f->dir);
	ed_strvec_init(&f->warnings);
	ed_buf_init(&f->why);
	ed_buf_init(&f->key);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ssh_known_free(f->kh);
	unlink(f->path);
	rmdir(f->dir);
	ed_strvec_release(&f->warnings);
	ed_buf_release(&f->why);
	ed_buf_release(&f->key);
	free(f);
	return 0;
}

static char *read_text(const char *path)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	assert_int_equal(ed_buf_read_file(&b, path, 1 << 20, &err), 0);
	return ed_buf_detach(&b, NULL);
}

static void load(struct fx *f, const char *text)
{
	ssh_known_free(f->kh);
	f->kh = NULL;
	ut_write_text(f->path, text, 0644);
	assert_int_equal(ssh_known_load(&f->kh, f->path, &f->warnings, &f->err),
			 0);
}

static enum ssh_known_result check(struct fx *f, const char *host, unsigned port,
				   const char *b64key, int accept_new)
{
	ed_buf_reset(&f->key);
	assert_int_equal(ssh_b64_decode(&f->key, b64key, strlen(b64key)), 0);
	return ssh_known_check(f->kh, host, port,
			       (const unsigned char *)f->key.ptr, f->key.len,
			       accept_new, &f->why);
}

static void test_ssh_known_base64_round_trips(void **state)
{
	struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;

	(void)state;
	assert_int_equal(ssh_b64_decode(&a, RSA_D, strlen(RSA_D)), 0);
	ssh_b64_encode(&b, a.ptr, a.len, 1);
	assert_string_equal(b.ptr, RSA_D);
	ed_buf_reset(&b);
	ssh_b64_encode(&b, "ab", 2, 0);
	assert_string_equal(b.ptr, "YWI");
	ed_buf_reset(&a);
	assert_int_equal(ssh_b64_decode(&a, "YWI", 3), 0);
	assert_string_equal(a.ptr, "ab");
	assert_int_equal(ssh_b64_decode(&a, "Y*I", 3), -1);
	assert_int_equal(ssh_b64_decode(&a, "YW=I", 4), -1);
	ed_buf_release(&a);
	ed_buf_release(&b);
}

static void test_ssh_known_fingerprints_match_ssh_keygen(void **state)
{
	struct fx *f = *state;
	struct ed_buf fp = ED_BUF_INIT;

	ed_buf_reset(&f->key);
	assert_int_equal(ssh_b64_decode(&f->key, ED_A, strlen(ED_A)), 0);
	ssh_key_fingerprint(&fp, (unsigned char *)f->key.ptr, f->key.len);
	assert_string_equal(fp.ptr, ED_A_FP);
	assert_int_equal(ssh_key_blob_type((unsigned char *)f->key.ptr, f->key.len),
			 SSH_KEY_ED25519);
	ed_buf_reset(&f->key);
	ed_buf_reset(&fp);
	assert_int_equal(ssh_b64_decode(&f->key, RSA_D, strlen(RSA_D)), 0);
	ssh_key_fingerprint(&fp, (unsigned char *)f->key.ptr, f->key.len);
	assert_string_equal(fp.ptr, RSA_D_FP);
	ed_buf_release(&fp);
}

static void test_ssh_known_bad_lines_are_skipped_with_a_warning(void **state)
{
	struct fx *f = *state;

	load(f, "# comment\n"
		"\n"
		"garbage\n"
		"host1 ssh-ed25519 short\n"
		"host2 ssh-ed25519 !!!notbase64!!!xxxxxxxxxxxxxxxxxxxxxx\n"
		"host3 ssh-ed25519 " EC_C "\n"
		"@cert-authority *.example ssh-ed25519 " ED_B "\n"
		"host4 ssh-ed25519 " ED_A " a comment\n");
	assert_int_equal(f->warnings.nr, 5);
	assert_non_null(strstr(f->warnings.v[0], "known_hosts:3: skipped: "));
	assert_non_null(strstr(f->warnings.v[1], "known_hosts:4: skipped: "));
	assert_non_null(strstr(f->warnings.v[2], "known_hosts:5: skipped: "));
	assert_non_null(
		strstr(f->warnings.v[3],
		       "known_hosts:6: skipped: the key does not match its type"));
	assert_non_null(strstr(f->warnings.v[4], "known_hosts:7: @cert-authority"));
	/* the line after the bad ones still works, comment and all */
	assert_int_equal(check(f, "host4", 22, ED_A, 0), SSH_KNOWN_MATCH);
	assert_int_equal(ssh_known_types(f->kh, "host4", 22), SSH_KEY_ED25519);
}

static void test_ssh_known_ports_use_the_bracket_form(void **state)
{
	struct fx *f = *state;

	load(f, "[web1]:2222 ssh-ed25519 " ED_A "\n"
		"web1 ecdsa-sha2-nistp256 " EC_C "\n");
	assert_int_equal(ssh_known_types(f->kh, "web1", 2222), SSH_KEY_ED25519);
	assert_int_equal(ssh_known_types(f->kh, "WEB1", 22), SSH_KEY_ECDSA256);
	assert_int_equal(ssh_known_types(f->kh, "web1", 0), SSH_KEY_ECDSA256);
	assert_int_equal(check(f, "web1", 2222, ED_A, 0), SSH_KNOWN_MATCH);
	/* OpenSSH does not fall back to the port-22 entry; libssh2 would */
	assert_int_equal(check(f, "web1", 2222, EC_C, 0), SSH_KNOWN_CHANGED);
	assert_int_equal(check(f, "web1", 2223, ED_A, 0), SSH_KNOWN_NEW);
	assert_non_null(strstr(f->why.ptr, "host key unknown: ssh-ed25519 " ED_A_FP
					   " for [web1]:2223 is not in "));
}

static void test_ssh_known_comma_lists_and_hashes_match(void **state)
{
	struct fx *f = *state;

	load(f, "web3,10.0.0.3 ssh-ed25519 " ED_B "\n" HASHED_1 " ssh-ed25519 " ED_A
		"\n" HASHED_2 " ecdsa-sha2-nistp256 " EC_C "\n");
	assert_int_equal(f->warnings.nr, 0);
	assert_int_equal(check(f, "10.0.0.3", 22, ED_B, 0), SSH_KNOWN_MATCH);
	assert_int_equal(check(f, "web3", 22, ED_B, 0), SSH_KNOWN_MATCH);
	assert_int_equal(check(f, "web1.example", 2222, ED_A, 0), SSH_KNOWN_MATCH);
	assert_int_equal(check(f, "web2.example", 22, EC_C, 0), SSH_KNOWN_MATCH);
	assert_int_equal(ssh_known_types(f->kh, "web1.example", 2222),
			 SSH_KEY_ED25519);
	assert_int_equal(ssh_known_types(f->kh, "web2.example", 22),
			 SSH_KEY_ECDSA256);
	assert_int_equal(ssh_known_types(f->kh, "web1.example", 22), 0);
}

static void test_ssh_known_changed_key_names_the_line(void **state)
{
	struct fx *f = *state;
	char *text;

	load(f, "# one\nweb1 ssh-ed25519 " ED_A "\n");
	assert_int_equal(check(f, "web1", 22, ED_B, 1), SSH_KNOWN_CHANGED);
	assert_non_null(strstr(f->why.ptr, "host key changed: "));
	assert_non_null(
		strstr(f->why.ptr,
		       "known_hosts:2 holds another ssh-ed25519 key for web1"));
	/* accept_new never adds a changed key */
	text = read_text(f->path);
	assert_string_equal(text, "# one\nweb1 ssh-ed25519 " ED_A "\n");
	free(text);
	/* another modern type that the server no longer offers */
	assert_int_equal(check(f, "web1", 22, EC_C, 1), SSH_KNOWN_CHANGED);
	assert_non_null(strstr(f->why.ptr, "which it no longer offers"));
}

static void test_ssh_known_accept_new_appends_one_line(void **state)
{
	struct fx *f = *state;
	char *text;

	load(f, "web1 ssh-ed25519 " ED_A); /* no final newline */
	assert_int_equal(check(f, "new.example", 2200, ED_B, 1), SSH_KNOWN_ADDED);
	assert_non_null(
		strstr(f->why.ptr, "added [new.example]:2200 ssh-ed25519 "));
	assert_int_equal(check(f, "new.example", 2200, ED_B, 1), SSH_KNOWN_MATCH);
	assert_int_equal(ssh_known_types(f->kh, "new.example", 2200),
			 SSH_KEY_ED25519);
	assert_int_equal(check(f, "Plain", 22, EC_C, 1), SSH_KNOWN_ADDED);
	text = read_text(f->path);
	assert_string_equal(text, "web1 ssh-ed25519 " ED_A "\n"
				  "[new.example]:2200 ssh-ed25519 " ED_B "\n"
				  "plain ecdsa-sha2-nistp256 " EC_C "\n");
	free(text);
	/* and a fresh load matches it */
	ssh_known_free(f->kh);
	f->kh = NULL;
	assert_int_equal(ssh_known_load(&f->kh, f->path, &f->warnings, &f->err),
			 0);
	assert_int_equal(check(f, "new.example", 2200, ED_B, 0), SSH_KNOWN_MATCH);
	assert_int_equal(check(f, "plain", 22, EC_C, 0), SSH_KNOWN_MATCH);
	assert_int_equal(f->warnings.nr, 0);
}

static void test_ssh_known_missing_file_is_created(void **state)
{
	struct fx *f = *state;
	char *text;

	assert_int_equal(ssh_known_load(&f->kh, f->path, &f->warnings, &f->err),
			 0);
	assert_int_equal(check(f, "h", 22, ED_A, 0), SSH_KNOWN_NEW);
	assert_int_equal(check(f, "h", 22, ED_A, 1), SSH_KNOWN_ADDED);
	text = read_text(f->path);
	assert_string_equal(text, "h ssh-ed25519 " ED_A "\n");
	free(text);
}

static void test_ssh_known_unusable_lines_explain_unknown(void **state)
{
	struct fx *f = *state;

	load(f, "@cert-authority *.corp ssh-ed25519 " ED_B "\n"
		"sk.other sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIA==\n"
		"old.corp ssh-rsa " RSA_D "\n");
	assert_int_equal(check(f, "web.corp", 22, ED_A, 1), SSH_KNOWN_NEW);
	assert_non_null(strstr(
		f->why.ptr,
		"known_hosts:1 is a @cert-authority line, which libssh2 1.10 does not support"));
	assert_int_equal(check(f, "sk.other", 22, ED_A, 1), SSH_KNOWN_NEW);
	assert_non_null(strstr(f->why.ptr, "known_hosts:2 holds a security-key"));
	assert_int_equal(check(f, "old.corp", 22, ED_A, 1), SSH_KNOWN_NEW);
	assert_non_null(strstr(
		f->why.ptr,
		"known_hosts:3 holds only an ssh-rsa key for it, which libssh2 1.10 cannot verify"));
	assert_int_equal(ssh_known_types(f->kh, "old.corp", 22), SSH_KEY_RSA);
	/* nothing was appended for any of them */
	assert_int_equal(check(f, "web.corp", 22, ED_A, 0), SSH_KNOWN_NEW);
}

static void test_ssh_known_wildcards_and_revoked_keys(void **state)
{
	struct fx *f = *state;

	load(f, "*.example,!bad.example ssh-ed25519 " ED_A "\n"
		"web?.test ecdsa-sha2-nistp256 " EC_C "\n"
		"@revoked * ssh-ed25519 " ED_B "\n");
	assert_int_equal(f->warnings.nr, 0);
	assert_int_equal(check(f, "a.example", 22, ED_A, 0), SSH_KNOWN_MATCH);
	assert_int_equal(ssh_known_types(f->kh, "a.example", 22), SSH_KEY_ED25519);
	assert_int_equal(check(f, "bad.example", 22, ED_A, 0), SSH_KNOWN_NEW);
	assert_int_equal(check(f, "web1.test", 22, EC_C, 0), SSH_KNOWN_MATCH);
	assert_int_equal(check(f, "web12.test", 22, EC_C, 0), SSH_KNOWN_NEW);
	/* a pattern holding another key of that type: changed, not new */
	assert_int_equal(f->warnings.nr, 0);
	load(f, "*.example ssh-ed25519 " ED_A "\n@revoked * ssh-ed25519 " ED_B
		"\n");
	assert_int_equal(check(f, "c.example", 22, ED_B, 1), SSH_KNOWN_CHANGED);
	assert_non_null(strstr(f->why.ptr, "@revoked"));
}

static void test_ssh_known_wildcard_with_another_key_is_changed(void **state)
{
	struct fx *f = *state;

	load(f, "*.example ssh-ed25519 " ED_A "\n");
	assert_int_equal(check(f, "c.example", 22, ED_B, 1), SSH_KNOWN_CHANGED);
	assert_non_null(strstr(f->why.ptr,
			       "known_hosts:1 holds another ssh-ed25519 key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ssh_known_base64_round_trips),
		cmocka_unit_test_setup_teardown(
			test_ssh_known_fingerprints_match_ssh_keygen, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_ssh_known_bad_lines_are_skipped_with_a_warning,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_known_ports_use_the_bracket_form,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_known_comma_lists_and_hashes_match,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_known_changed_key_names_the_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_known_accept_new_appends_one_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ssh_known_missing_file_is_created,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ssh_known_unusable_lines_explain_unknown, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_ssh_known_wildcards_and_revoked_keys,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_ssh_known_wildcard_with_another_key_is_changed,
			setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
