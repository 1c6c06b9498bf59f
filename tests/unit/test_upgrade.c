/*
 * Unit tests for collector/upgrade.c: a host snapshot stored under the
 * previous secret rules is rewritten as the current rules store it, with
 * nothing of a secret left, and a current one is left alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/collector.h"
#include "core/buf.h"
#include "core/hmac.h"

struct fx {
	struct collect_config *cfg;
	struct ed_hmac *key;
	struct snapshot old, out;
	struct ed_err err;
	char keypath[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	strcpy(f->keypath, "/tmp/test_upgrade.XXXXXX");
	fd = mkstemp(f->keypath);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(f->keypath);
	if (ed_hmac_generate(f->keypath, 0600, &f->err) < 0 ||
	    ed_hmac_load(&f->key, f->keypath, &f->err) < 0 ||
	    collect_config_load(&f->cfg, NULL, &f->err) < 0)
		return -1;
	snapshot_init(&f->old);
	snapshot_init(&f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->keypath);
	snapshot_release(&f->old);
	snapshot_release(&f->out);
	ed_hmac_free(f->key);
	collect_config_free(f->cfg);
	free(f);
	return 0;
}

static const char *entry(const struct fx *f, const char *path)
{
	const struct snapshot_entry *e = snapshot_find(&f->out, path);

	return e ? e->data : NULL;
}

static void add_str(struct snapshot *s, const char *path, const char *data)
{
	snapshot_add(s, path, data, strlen(data));
}

static const char redis_conf[] = "bind 127.0.0.1\nrequirepass Sup3rSecr3t\n";
static const char pgpass[] = "db1:5432:app:app:PgS3cret\n";
static const char blob_hex[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void old_host(struct fx *f)
{
	struct ed_buf files = ED_BUF_INIT;
	char hex[65];

	add_str(&f->old, "meta", "collector files collected\nrole default\n");
	ed_sha256_hex(hex, redis_conf, strlen(redis_conf));
	ed_buf_addf(&files,
		    "/etc/redis/redis.conf file 0640 redis:redis 0:0 %zu sha256:%s\n",
		    strlen(redis_conf), hex);
	ed_sha256_hex(hex, pgpass, strlen(pgpass));
	ed_buf_addf(&files,
		    "/root/.pgpass file 0600 root:root 0:0 %zu sha256:%s\n",
		    strlen(pgpass), hex);
	ed_buf_addf(&files,
		    "/etc/app/cache.db file 0644 root:root 0:0 4096 sha256:%s\n",
		    blob_hex);
	ed_buf_adds(&files,
		    "/etc/motd file 0644 root:root 0:0 6 sha256:"
		    "1111111111111111111111111111111111111111111111111111111111111111\n");
	add_str(&f->old, "files", files.ptr);
	add_str(&f->old, "content/etc/redis/redis.conf", redis_conf);
	add_str(&f->old, "content/root/.pgpass", pgpass);
	add_str(&f->old, "content/etc/motd", "hello\n");
	add_str(&f->old, "toggles",
		"/etc/app/flags.env:FEATURE_X = on\n"
		"/etc/app/flags.env:STRIPE_KEY = sk_live_51HxEDM2aBcDeFgHiJkLmN\n");
	add_str(&f->old, "packages", "bash amd64 5.2.15-2+b2\n");
	ed_buf_release(&files);
}

static void test_upgrade_old_host_keeps_nothing_secret(void **state)
{
	struct fx *f = *state;
	struct ed_buf tok = ED_BUF_INIT, want = ED_BUF_INIT;
	size_t i;

	old_host(f);
	assert_int_equal(collect_snapshot_is_current(&f->old), 0);
	assert_int_equal(collect_upgrade_host(&f->out, &f->old, f->cfg, f->key,
					      &f->err),
			 1);
	assert_int_equal(collect_snapshot_is_current(&f->out), 1);
	/* a value the old rules missed becomes a token, the rest stays */
	assert_non_null(entry(f, "content/etc/redis/redis.conf"));
	assert_null(strstr(entry(f, "content/etc/redis/redis.conf"),
			   "Sup3rSecr3t"));
	assert_non_null(strstr(entry(f, "content/etc/redis/redis.conf"),
			       "bind 127.0.0.1\nrequirepass hmac:"));
	/* a credential file by path loses its content */
	assert_null(entry(f, "content/root/.pgpass"));
	/* digests: the redacted file keyed over its bytes, as a collect does */
	ed_hmac_token(f->key, &tok, redis_conf, strlen(redis_conf));
	ed_buf_addf(&want,
		    "/etc/redis/redis.conf file 0640 redis:redis 0:0 %zu %s\n",
		    strlen(redis_conf), tok.ptr);
	assert_non_null(strstr(entry(f, "files"), want.ptr));
	/* a binary's plain digest becomes the keyed one made from it */
	ed_buf_reset(&tok);
	assert_int_equal(ed_hmac_digest_token(f->key, &tok, blob_hex, 64), 0);
	assert_non_null(strstr(entry(f, "files"), tok.ptr));
	assert_null(strstr(entry(f, "files"), blob_hex));
	/* stored plain content keeps its plain digest and content */
	assert_non_null(strstr(entry(f, "files"),
			       "/etc/motd file 0644 root:root 0:0 6 sha256:1111"));
	assert_string_equal(entry(f, "content/etc/motd"), "hello\n");
	/* toggles: the secret value only */
	assert_non_null(strstr(entry(f, "toggles"), "FEATURE_X = on\n"));
	assert_non_null(strstr(entry(f, "toggles"), "STRIPE_KEY = hmac:"));
	assert_string_equal(entry(f, "packages"), "bash amd64 5.2.15-2+b2\n");
	for (i = 0; i < f->out.nr; i++) {
		const struct snapshot_entry *e = &f->out.entries[i];

		assert_null(strstr(e->data, "PgS3cret"));
		assert_null(strstr(e->data, "EDM2aBc"));
	}
	ed_buf_release(&tok);
	ed_buf_release(&want);
}

static void test_upgrade_current_host_is_left_alone(void **state)
{
	struct fx *f = *state;
	struct ed_buf meta = ED_BUF_INIT;

	collect_format_line(&meta);
	ed_buf_adds(&meta, "\nrole default\n");
	add_str(&f->old, "meta", meta.ptr);
	add_str(&f->old, "content/etc/redis/redis.conf", redis_conf);
	assert_int_equal(collect_upgrade_host(&f->out, &f->old, f->cfg, f->key,
					      &f->err),
			 0);
	assert_int_equal(f->out.nr, 0);
	ed_buf_release(&meta);
}

static void test_upgrade_needs_the_key(void **state)
{
	struct fx *f = *state;

	old_host(f);
	assert_int_equal(collect_upgrade_host(&f->out, &f->old, f->cfg, NULL,
					      &f->err),
			 ED_EKEY);
}

static void test_upgrade_keyed_digest_matches_a_collect(void **state)
{
	struct fx *f = *state;
	struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;
	static const char data[] = "\x7f"
				   "ELF binary \0 with a pass";
	char hex[65];

	/* what a collect records for content it does not store ... */
	ed_hmac_content_token(f->key, &a, data, sizeof(data) - 1);
	/* ... equals what an upgrade makes from the old plain digest */
	ed_sha256_hex(hex, data, sizeof(data) - 1);
	assert_int_equal(ed_hmac_digest_token(f->key, &b, hex, 64), 0);
	assert_string_equal(a.ptr, b.ptr);
	assert_int_equal(ed_hmac_digest_token(f->key, &b, hex, 63), -1);
	hex[3] = 'x';
	assert_int_equal(ed_hmac_digest_token(f->key, &b, hex, 64), -1);
	ed_buf_release(&a);
	ed_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upgrade_old_host_keeps_nothing_secret,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_current_host_is_left_alone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_needs_the_key,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_keyed_digest_matches_a_collect,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
