/*
 * Unit tests for the sysctl collector: a real /proc/sys excerpt from the
 * development machine (tests/fixtures/sysctl/root), the key classes, and
 * the live /proc/sys of the machine running the tests.
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
#include <sys/utsname.h>
#include <unistd.h>

#include "collector/internal.h"
#include "core/buf.h"
#include "core/hmac.h"

#define ROOT FIXTURE_DIR "/sysctl/root"

struct fixture {
	char tmp[64];
	struct ed_hmac *key;
	struct collect_config cfg;
	struct snapshot snap;
	struct ed_strvec meta;
	struct ed_err err;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ed_buf path = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	if (!f)
		return -1;
	strcpy(f->tmp, "/tmp/test_sysctl.XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	ed_buf_addf(&path, "%s/key", f->tmp);
	if (ed_hmac_generate(path.ptr, 0600, &err) < 0 ||
	    ed_hmac_load(&f->key, path.ptr, &err) < 0) {
		fprintf(stderr, "key: %s\n", err.msg);
		return -1;
	}
	ed_buf_release(&path);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	ed_hmac_free(f->key);
	ed_buf_addf(&cmd, "rm -rf '%s'", f->tmp);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	free(f);
	return rc ? -1 : 0;
}

static void classes_release(struct sysctl_classes *c)
{
	ed_strvec_release(&c->volatile_keys);
	ed_strvec_release(&c->per_host);
	ed_strvec_release(&c->secret);
	ed_strvec_release(&c->write_only);
}

static int setup(void **state)
{
	struct fixture *f = *state;

	memset(&f->cfg, 0, sizeof(f->cfg));
	snapshot_init(&f->snap);
	ed_strvec_init(&f->meta);
	ed_err_clear(&f->err);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	classes_release(&f->cfg.sysctl_classes);
	snapshot_release(&f->snap);
	ed_strvec_release(&f->meta);
	return 0;
}

/* The classes a host would ship, written out so the test states them. */
static void fill_classes(struct sysctl_classes *c)
{
	ed_strvec_push(&c->volatile_keys, "kernel.random.boot_id");
	ed_strvec_push(&c->volatile_keys, "kernel.random.uuid");
	ed_strvec_push(&c->volatile_keys, "fs.*-nr");
	ed_strvec_push(&c->volatile_keys, "fs.*-state");
	ed_strvec_push(&c->volatile_keys, "kernel.ns_last_pid");
	ed_strvec_push(&c->per_host, "kernel.hostname");
	ed_strvec_push(&c->per_host, "kernel.domainname");
	ed_strvec_push(&c->secret, "net.ipv4.tcp_fastopen_key");
	ed_strvec_push(&c->secret, "net.ipv6.conf.*.stable_secret");
	ed_strvec_push(&c->secret, "net.core.netdev_rss_key");
	ed_strvec_push(&c->write_only, "vm.drop_caches");
	ed_strvec_push(&c->write_only, "net.*.route.flush");
}

static int run(struct fixture *f, const char *root, struct ed_hmac *key)
{
	struct collect_opts o = { 0 };
	struct vfs *fs = vfs_root_new(root);
	int rc;

	vfs_set_live(fs, false);
	o.cfg = &f->cfg;
	o.key = key;
	rc = collect_sysctl(&f->snap, &f->meta, fs, &o, &f->err);
	vfs_free(fs);
	return rc;
}

static const struct snapshot_entry *entry(const struct fixture *f, const char *path)
{
	return snapshot_find(&f->snap, path);
}

/* 1 if the file holds line as one whole line */
static int has_line(const struct snapshot_entry *e, const char *line)
{
	size_t n = strlen(line);
	const char *p = e->data, *end = e->data + e->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len == n && !memcmp(p, line, n))
			return 1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int has_prefix_line(const struct snapshot_entry *e, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = e->data, *end = e->data + e->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) >= n && !memcmp(p, prefix, n))
			return 1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* 1 if needle occurs anywhere in the file */
static int contains(const struct snapshot_entry *e, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= e->len; i++)
		if (!memcmp(e->data + i, needle, n))
			return 1;
	return 0;
}

static size_t count_lines(const struct snapshot_entry *e)
{
	size_t i, n = 0;

	for (i = 0; i < e->len; i++)
		n += e->data[i] == '\n';
	return n;
}

static void test_sysctl_matches_grep_of_the_fixture_tree(void **state)
{
	struct fixture *f = *state;
	struct ed_buf want = ED_BUF_INIT;
	const struct snapshot_entry *e;

	assert_int_equal(run(f, ROOT, f->key), 0);
	e = entry(f, "sysctl");
	assert_non_null(e);
	/* expected-sysctl was made with grep -r '' and awk, not with envdrift
	 */
	assert_int_equal(ed_buf_read_file(&want,
					  FIXTURE_DIR "/sysctl/expected-sysctl",
					  1 << 20, &f->err),
			 0);
	assert_int_equal(e->len, want.len);
	assert_memory_equal(e->data, want.ptr, want.len);
	assert_null(entry(f, "sysctl-per-host"));
	assert_int_equal(f->meta.nr, 1);
	assert_string_equal(f->meta.v[0], "collector sysctl collected");
	assert_int_equal(f->snap.warnings.nr, 0);
	ed_buf_release(&want);
}

static void test_sysctl_keys_and_values_look_like_sysctl_a(void **state)
{
	struct fixture *f = *state;
	const struct snapshot_entry *e;

	assert_int_equal(run(f, ROOT, f->key), 0);
	e = entry(f, "sysctl");
	assert_non_null(e);
	assert_true(has_line(e, "kernel.osrelease = 6.18.44-fc-v669"));
	assert_true(has_line(e, "vm.swappiness = 60"));
	/* tabs stay as they are */
	assert_true(has_line(e, "kernel.printk = 4\t4\t1\t7"));
	assert_true(has_line(e, "net.ipv4.tcp_rmem = 4096\t131072\t33554432"));
	/* one line per value line */
	assert_true(has_line(e, "kernel.core_modes = file"));
	assert_true(has_line(e, "kernel.core_modes = pipe"));
	assert_true(has_line(e, "kernel.core_modes = socket"));
	/* a '.' inside a component (interface eth0.100) becomes '/' */
	assert_true(has_line(e, "net.ipv4.conf.eth0/100.rp_filter = 0"));
	assert_true(has_line(e, "net.ipv6.conf.eth0/100.disable_ipv6 = 0"));
	/* an empty read (vm.stat_refresh) has no value, as in sysctl -a */
	assert_false(has_prefix_line(e, "vm.stat_refresh"));
}

static void test_sysctl_classes_drop_split_and_tokenise(void **state)
{
	struct fixture *f = *state;
	const struct snapshot_entry *e, *ph;
	struct ed_buf tok = ED_BUF_INIT;
	static const char fastopen[] = "6a1e2b3c-4d5e6f70-8192a3b4-c5d6e7f8";
	static const char secret[] = "2001:0db8:5ec2:e7ab:9f1c:44d0:7a21:c0de";

	fill_classes(&f->cfg.sysctl_classes);
	assert_int_equal(run(f, ROOT, f->key), 0);
	e = entry(f, "sysctl");
	ph = entry(f, "sysctl-per-host");
	assert_non_null(e);
	assert_non_null(ph);

	/* volatile: absent everywhere */
	assert_false(has_prefix_line(e, "kernel.random.uuid "));
	assert_false(has_prefix_line(e, "kernel.random.boot_id "));
	assert_false(has_prefix_line(e, "fs.file-nr "));
	assert_false(has_prefix_line(e, "fs.dentry-state "));
	assert_false(has_prefix_line(e, "kernel.ns_last_pid "));
	/* ...but neighbours that merely share a prefix stay */
	assert_true(has_line(e, "kernel.random.poolsize = 256"));
	assert_true(has_line(e, "fs.file-max = 2466170"));

	/* per-host: in the other file only */
	assert_true(has_line(ph, "kernel.hostname = vm"));
	assert_true(has_line(ph, "kernel.domainname = (none)"));
	assert_int_equal(count_lines(ph), 2);
	assert_false(has_prefix_line(e, "kernel.hostname "));

	/* secret: an HMAC token of the value, the value itself nowhere */
	ed_buf_adds(&tok, "net.ipv4.tcp_fastopen_key = ");
	ed_hmac_token(f->key, &tok, fastopen, strlen(fastopen));
	assert_true(has_line(e, tok.ptr));
	ed_buf_reset(&tok);
	ed_buf_adds(&tok, "net.ipv6.conf.eth0/100.stable_secret = ");
	ed_hmac_token(f->key, &tok, secret, strlen(secret));
	assert_true(has_line(e, tok.ptr));
	assert_false(contains(e, fastopen));
	assert_false(contains(e, secret));
	assert_false(contains(ph, secret));
	assert_true(has_prefix_line(e, "net.core.netdev_rss_key = hmac:"));

	/* write-only: never opened, so the fixture's marker never shows */
	assert_false(has_prefix_line(e, "vm.drop_caches "));
	assert_false(has_prefix_line(e, "net.ipv4.route.flush "));
	assert_false(contains(e, "fixture marker"));
	assert_int_equal(f->snap.warnings.nr, 0);
	ed_buf_release(&tok);
}

static void test_sysctl_secret_without_key_is_skipped_with_a_warning(void **state)
{
	struct fixture *f = *state;
	const struct snapshot_entry *e;

	fill_classes(&f->cfg.sysctl_classes);
	assert_int_equal(run(f, ROOT, NULL), 0);
	e = entry(f, "sysctl");
	assert_non_null(e);
	assert_false(has_prefix_line(e, "net.ipv4.tcp_fastopen_key "));
	assert_false(contains(e, "6a1e2b3c"));
	assert_int_equal(f->snap.warnings.nr, 1);
	assert_non_null(strstr(f->snap.warnings.v[0], "3 secret values"));
}

static void test_sysctl_empty_proc_sys_is_not_collected(void **state)
{
	struct fixture *f = *state;
	struct ed_buf dir = ED_BUF_INIT;

	ed_buf_addf(&dir, "%s/empty", f->tmp);
	assert_int_equal(mkdir(dir.ptr, 0700), 0);
	ed_buf_adds(&dir, "/proc");
	assert_int_equal(mkdir(dir.ptr, 0700), 0);
	ed_buf_adds(&dir, "/sys");
	assert_int_equal(mkdir(dir.ptr, 0700), 0);
	ed_buf_setlen(&dir, strlen(f->tmp) + strlen("/empty"));

	assert_int_equal(run(f, dir.ptr, f->key), 0);
	assert_int_equal(f->snap.nr, 0);
	assert_int_equal(f->meta.nr, 1);
	assert_string_equal(f->meta.v[0],
			    "collector sysctl not-collected: /proc/sys is empty");
	ed_buf_release(&dir);
}

static void test_sysctl_missing_proc_is_not_collected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, f->tmp, f->key), 0);
	assert_int_equal(f->snap.nr, 0);
	assert_int_equal(f->meta.nr, 1);
	assert_string_equal(f->meta.v[0],
			    "collector sysctl not-collected: /proc/sys is empty");
}

static void test_sysctl_only_volatile_keys_is_not_collected(void **state)
{
	struct fixture *f = *state;

	ed_strvec_push(&f->cfg.sysctl_classes.volatile_keys, "**");
	assert_int_equal(run(f, ROOT, f->key), 0);
	assert_int_equal(f->snap.nr, 0);
	assert_string_equal(f->meta.v[0], "collector sysctl not-collected: "
					  "no readable value under /proc/sys");
}

static void test_sysctl_shipped_classes_load_and_apply(void **state)
{
	struct fixture *f = *state;
	struct collect_config *cfg = NULL;
	struct collect_opts o = { 0 };
	struct vfs *fs = vfs_root_new(ROOT);
	const struct snapshot_entry *e, *ph;

	assert_int_equal(collect_config_load(&cfg, NULL, &f->err), 0);
	vfs_set_live(fs, false);
	o.cfg = cfg;
	o.key = f->key;
	assert_int_equal(collect_sysctl(&f->snap, &f->meta, fs, &o, &f->err), 0);
	vfs_free(fs);
	e = entry(f, "sysctl");
	ph = entry(f, "sysctl-per-host");
	assert_non_null(e);
	assert_non_null(ph);
	assert_false(has_prefix_line(e, "kernel.random.uuid "));
	assert_false(has_prefix_line(e, "fs.inode-nr "));
	assert_false(has_prefix_line(e, "fs.quota.lookups "));
	assert_false(has_prefix_line(e, "kernel.pty.nr "));
	assert_true(has_line(e, "kernel.pty.max = 4096"));
	assert_true(has_line(e, "kernel.random.poolsize = 256"));
	assert_true(has_line(ph, "kernel.hostname = vm"));
	assert_true(has_prefix_line(e, "net.ipv4.tcp_fastopen_key = hmac:"));
	assert_true(
		has_prefix_line(e, "net.ipv6.conf.eth0/100.stable_secret = hmac:"));
	assert_false(has_prefix_line(e, "vm.drop_caches "));
	assert_false(has_prefix_line(e, "net.ipv4.route.flush "));
	collect_config_free(cfg);
}

static void test_sysctl_live_proc_sys_reads_cleanly(void **state)
{
	struct fixture *f = *state;
	const struct snapshot_entry *e;
	struct ed_buf want = ED_BUF_INIT;
	struct utsname u;

	if (access("/proc/sys/kernel/osrelease", R_OK))
		skip();
	assert_int_equal(run(f, "/", f->key), 0);
	e = entry(f, "sysctl");
	assert_non_null(e);
	assert_int_equal(uname(&u), 0);
	ed_buf_addf(&want, "kernel.osrelease = %s", u.release);
	assert_true(has_line(e, want.ptr));
	assert_true(count_lines(e) > 100);
	/* write-only keys fail with EACCES, unset stable_secret with EIO:
	 * both are skipped without a warning, as sysctl -a does */
	assert_false(has_prefix_line(e, "vm.drop_caches "));
	assert_int_equal(f->snap.warnings.nr, 0);
	ed_buf_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_sysctl_matches_grep_of_the_fixture_tree, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_sysctl_keys_and_values_look_like_sysctl_a, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_classes_drop_split_and_tokenise,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sysctl_secret_without_key_is_skipped_with_a_warning,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_empty_proc_sys_is_not_collected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_missing_proc_is_not_collected,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sysctl_only_volatile_keys_is_not_collected, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_shipped_classes_load_and_apply,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl_live_proc_sys_reads_cleanly,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
