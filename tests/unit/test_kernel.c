/*
 * Unit tests for the kernel collector: /proc values, module names and
 * os-release from fixture roots (tests/fixtures/kernel), and what meta
 * says when /proc or os-release is missing.
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

#include "collector/internal.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "tests/unit/helpers.h"

#define KDIR FIXTURE_DIR "/kernel"

struct fixture {
	char tmp[64];
	struct collect_config cfg;
	struct snapshot snap;
	struct ed_strvec meta;
	struct ed_strvec lines;
	struct ed_err err;
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	free(*state);
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = *state;

	strcpy(f->tmp, "/tmp/test_kernel.XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	memset(&f->cfg, 0, sizeof(f->cfg));
	snapshot_init(&f->snap);
	ed_strvec_init(&f->meta);
	ed_strvec_init(&f->lines);
	ed_err_clear(&f->err);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	snapshot_release(&f->snap);
	ed_strvec_release(&f->meta);
	ed_strvec_release(&f->lines);
	ed_buf_addf(&cmd, "rm -rf '%s'", f->tmp);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	return rc ? -1 : 0;
}

static int run(struct fixture *f, const char *root)
{
	struct collect_opts o = { 0 };
	struct vfs *fs = vfs_root_new(root);
	int rc;

	vfs_set_live(fs, false);
	o.cfg = &f->cfg;
	rc = collect_kernel(&f->snap, &f->meta, fs, &o, &f->err);
	vfs_free(fs);
	return rc;
}

/* Split the snapshot file path into f->lines. */
static void file_lines(struct fixture *f, const char *path)
{
	const struct snapshot_entry *e = snapshot_find(&f->snap, path);
	const char *p, *end;

	assert_non_null(e);
	for (p = e->data, end = e->data + e->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		assert_non_null(nl);
		ed_strvec_take(&f->lines, ed_xstrndup(p, (size_t)(nl - p)));
		p = nl + 1;
	}
}

static void read_fixture(struct ed_buf *b, const char *path)
{
	struct ed_err err = ED_ERR_INIT;

	assert_int_equal(ed_buf_read_file(b, path, 1 << 20, &err), 0);
}

static void make_dir(const char *dir, const char *rel)
{
	struct ed_buf path = ED_BUF_INIT;

	ed_buf_addf(&path, "%s/%s", dir, rel);
	assert_int_equal(mkdir(path.ptr, 0755), 0);
	ed_buf_release(&path);
}

static void test_kernel_fixture_root_gives_every_line(void **state)
{
	static const char *const want[] = {
		"cmdline = mitigations=auto,no_guest_host,no_guest_guest console=ttyS0 quiet reboot=k panic=1 nomodule random.trust_cpu=1 swiotlb=noforce psi=1 nvproxy.enable=1 page_reporting.page_reporting_order=11 deferred_init=lazy nested_pvm=1 rcupdate.rcu_cpu_stall_cputime=1 cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=0 sched_vcpu_pack=15 rdinit=/process_api -- --firecracker-init --addr 0.0.0.0:2024 --max-ws-buffer-size 32768 --block-local-connections --log-vsock-port 5002 --control-vsock-port 5001 --listen-vsock-port 2024 --tcp-readiness-only --auth-required",
		"module drm",
		"module drm_kms_helper",
		"module fb_sys_fops",
		"module floppy",
		"module kagent",
		"module pata_acpi",
		"module psmouse",
		"module syscopyarea",
		"module sysfillrect",
		"module sysimgblt",
		"module ttm",
		"release = 6.18.44-fc-v669",
		"version = #1 SMP PREEMPT_DYNAMIC @0",
	};
	struct fixture *f = *state;
	size_t i;

	static const char *const want_os[] = {
		"BUG_REPORT_URL = https://bugs.debian.org/",
		"HOME_URL = https://www.debian.org/",
		"ID = debian",
		"NAME = Debian GNU/Linux",
		"PRETTY_NAME = Debian GNU/Linux 12 (bookworm)",
		"SUPPORT_URL = https://www.debian.org/support",
		"VERSION = 12 (bookworm)",
		"VERSION_CODENAME = bookworm",
		"VERSION_ID = 12",
	};

	assert_int_equal(run(f, KDIR "/root"), 0);
	file_lines(f, "kernel");
	assert_int_equal(f->lines.nr, ED_ARRAY_SIZE(want));
	for (i = 0; i < ED_ARRAY_SIZE(want); i++)
		assert_string_equal(f->lines.v[i], want[i]);
	ed_strvec_release(&f->lines);
	file_lines(f, "os-release");
	assert_int_equal(f->lines.nr, ED_ARRAY_SIZE(want_os));
	for (i = 0; i < ED_ARRAY_SIZE(want_os); i++)
		assert_string_equal(f->lines.v[i], want_os[i]);
	assert_int_equal(f->meta.nr, 2);
	assert_string_equal(f->meta.v[0], "collector kernel collected");
	assert_string_equal(f->meta.v[1], "collector os-release collected");
	assert_int_equal(f->snap.warnings.nr, 0);
}

static void test_kernel_modules_keep_names_only(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"nf_conntrack 180224 1 nf_conntrack_netlink, Live 0xffffffffc0a2d000\n"
		"kagent 12288 0 - Live 0x0000000000000000 (OE)\n"
		"vfat 20480 1 - Loading 0x0000000000000000\n";

	assert_int_equal(kernel_parse_modules(&f->lines, text, strlen(text),
					      "proc/modules", &f->err),
			 0);
	assert_int_equal(f->lines.nr, 3);
	assert_string_equal(f->lines.v[0], "module nf_conntrack");
	assert_string_equal(f->lines.v[1], "module kagent");
	assert_string_equal(f->lines.v[2], "module vfat");
}

static void test_kernel_malformed_modules_name_the_line(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;

	read_fixture(&b, KDIR "/bad-modules");
	assert_int_equal(kernel_parse_modules(&f->lines, b.ptr, b.len,
					      "bad-modules", &f->err),
			 ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_string_equal(f->err.msg, "bad-modules:3: missing module size");
	ed_buf_release(&b);
}

static void test_kernel_os_release_quoting_is_removed(void **state)
{
	static const char *const want[] = {
		"NAME = Fedora",
		"VERSION = 39 (Workstation Edition)",
		"PRETTY_NAME = Fedora Linux 39 (Workstation Edition)",
		"CPE_NAME = cpe:/o:fedoraproject:fedora:39",
		"ESCAPED = say \"hi\", $HOME, back\\\\slash, \\\\x kept",
		"MIXED = abcdefghi",
		"EMPTY = ",
		"VARIANT_ID = server",
	};
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	size_t i;

	read_fixture(&b, KDIR "/quoting-os-release");
	assert_int_equal(kernel_parse_os_release(&f->lines, b.ptr, b.len,
						 "quoting-os-release", &f->err),
			 0);
	assert_int_equal(f->lines.nr, ED_ARRAY_SIZE(want));
	for (i = 0; i < ED_ARRAY_SIZE(want); i++)
		assert_string_equal(f->lines.v[i], want[i]);
	ed_buf_release(&b);
}

static void test_kernel_bad_os_release_names_file_and_line(void **state)
{
	struct fixture *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	static const char nokey[] = "ID=debian\n\n=oops\n";

	read_fixture(&b, KDIR "/bad-os-release");
	assert_int_equal(kernel_parse_os_release(&f->lines, b.ptr, b.len,
						 "bad-os-release", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "bad-os-release:3: unterminated double quote");
	assert_int_equal(kernel_parse_os_release(&f->lines, nokey,
						 strlen(nokey), "x", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg, "x:3: expected KEY=VALUE");
	ed_buf_release(&b);
}

static void test_kernel_bad_os_release_fails_the_collector(void **state)
{
	struct fixture *f = *state;

	make_dir(f->tmp, "etc");
	ut_write_text_in(f->tmp, "etc/os-release", "ID=debian\nNAME=\"Debian\n",
			 0644);
	assert_int_equal(run(f, f->tmp), ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "etc/os-release:2: unterminated double quote");
	assert_null(snapshot_find(&f->snap, "kernel"));
}

static void test_kernel_without_proc_keeps_os_release_only(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, KDIR "/os-only"), 0);
	assert_null(snapshot_find(&f->snap, "kernel"));
	file_lines(f, "os-release");
	assert_int_equal(f->lines.nr, 9);
	assert_string_equal(f->lines.v[2], "ID = debian");
	assert_int_equal(f->meta.nr, 2);
	assert_string_equal(f->meta.v[0], "collector kernel not-collected: "
					  "/proc is empty");
	assert_string_equal(f->meta.v[1], "collector os-release collected");
}

static void test_kernel_empty_proc_falls_back_to_usr_lib(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;

	/* an image with an empty proc/ mount point and no etc/os-release */
	ed_buf_addf(&cmd, "cp -a '%s/usrlib-only/usr' '%s/'", KDIR, f->tmp);
	assert_int_equal(system(cmd.ptr), 0);
	make_dir(f->tmp, "proc");
	assert_int_equal(run(f, f->tmp), 0);
	file_lines(f, "os-release");
	assert_int_equal(f->lines.nr, 9);
	assert_string_equal(f->lines.v[8], "VERSION_ID = 12");
	assert_string_equal(f->meta.v[0], "collector kernel not-collected: "
					  "/proc is empty");
	ed_buf_release(&cmd);
}

static void test_kernel_absolute_link_resolves_inside_root(void **state)
{
	struct fixture *f = *state;
	struct ed_buf link = ED_BUF_INIT;

	make_dir(f->tmp, "etc");
	make_dir(f->tmp, "usr");
	make_dir(f->tmp, "usr/lib");
	ut_write_text_in(f->tmp, "usr/lib/os-release", "ID=inside-the-image\n",
			 0644);
	ed_buf_addf(&link, "%s/etc/os-release", f->tmp);
	assert_int_equal(symlink("/usr/lib/os-release", link.ptr), 0);
	assert_int_equal(run(f, f->tmp), 0);
	file_lines(f, "os-release");
	assert_int_equal(f->lines.nr, 1);
	assert_string_equal(f->lines.v[0], "ID = inside-the-image");
	ed_buf_release(&link);
}

static void test_kernel_nothing_to_read_writes_no_file(void **state)
{
	struct fixture *f = *state;

	make_dir(f->tmp, "proc");
	assert_int_equal(run(f, f->tmp), 0);
	assert_int_equal(f->snap.nr, 0);
	assert_int_equal(f->meta.nr, 2);
	assert_string_equal(f->meta.v[0], "collector kernel not-collected: "
					  "/proc is empty");
	assert_string_equal(f->meta.v[1],
			    "collector os-release not-collected: "
			    "no etc/os-release or usr/lib/os-release");
}

static void test_kernel_records_installed_memory(void **state)
{
	struct fixture *f = *state;

	make_dir(f->tmp, "proc");
	ut_write_text_in(f->tmp, "proc/meminfo",
			 "MemTotal:        2030320 kB\nMemFree:          123456 kB\n",
			 0644);
	assert_int_equal(run(f, f->tmp), 0);
	file_lines(f, "kernel");
	assert_int_equal(f->lines.nr, 1);
	assert_string_equal(f->lines.v[0], "memory = 2030320 kB");
	assert_string_equal(f->meta.v[0], "collector kernel collected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_records_installed_memory,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_fixture_root_gives_every_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_modules_keep_names_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_malformed_modules_name_the_line,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_os_release_quoting_is_removed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_bad_os_release_names_file_and_line, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_bad_os_release_fails_the_collector, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_without_proc_keeps_os_release_only, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_empty_proc_falls_back_to_usr_lib, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_kernel_absolute_link_resolves_inside_root, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_kernel_nothing_to_read_writes_no_file,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
