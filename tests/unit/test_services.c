/*
 * Unit tests for the services collector: a copy of a real
 * etc/systemd/system tree (symlinks as systemctl made them) and real
 * /proc/net/{tcp,tcp6,udp,udp6} tables captured with known sockets open
 * (tests/fixtures/services).
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

#include "collector/internal.h"
#include "core/alloc.h"
#include "core/buf.h"

#define SDIR FIXTURE_DIR "/services"

struct fixture {
	char tmp[64];
	struct collect_config cfg;
	struct snapshot snap;
	struct ed_strvec meta;
	struct ed_strvec lines;
	struct ed_err err;
};

static const char *const unit_lines[] = {
	"alias dbus-org.freedesktop.timesync1.service systemd-timesyncd.service",
	"alias sshd.service ssh.service",
	"enabled apt-daily-upgrade.timer timers.target.wants",
	"enabled apt-daily.timer timers.target.wants",
	"enabled dpkg-db-backup.timer timers.target.wants",
	"enabled e2scrub_all.timer timers.target.wants",
	"enabled e2scrub_reap.service multi-user.target.wants",
	"enabled fstrim.timer timers.target.wants",
	"enabled getty@tty1.service getty.target.wants",
	"enabled man-db.timer timers.target.wants",
	"enabled postgresql.service multi-user.target.wants",
	"enabled remote-fs.target multi-user.target.wants",
	"enabled ssh.service multi-user.target.wants",
	"enabled systemd-pstore.service sysinit.target.wants",
	"enabled systemd-timesyncd.service sysinit.target.wants",
	"masked systemd-networkd-wait-online.service",
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

	strcpy(f->tmp, "/tmp/test_services.XXXXXX");
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

static int run(struct fixture *f, const char *root, bool live)
{
	struct collect_opts o = { 0 };
	struct vfs *fs = vfs_root_new(root);
	int rc;

	vfs_set_live(fs, live);
	o.cfg = &f->cfg;
	rc = collect_services(&f->snap, &f->meta, fs, &o, &f->err);
	vfs_free(fs);
	return rc;
}

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

static void parse_fixture(struct fixture *f, const char *path,
			  const char *proto, int want_rc)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	assert_int_equal(ed_buf_read_file(&b, path, 1 << 20, &err), 0);
	assert_int_equal(services_parse_proc_net(&f->lines, b.ptr, b.len, proto,
						 &f->err),
			 want_rc);
	ed_buf_release(&b);
}

static void test_services_units_from_symlinks(void **state)
{
	struct fixture *f = *state;
	size_t i;

	assert_int_equal(run(f, SDIR "/root", false), 0);
	file_lines(f, "services");
	assert_int_equal(f->lines.nr, ED_ARRAY_SIZE(unit_lines));
	for (i = 0; i < ED_ARRAY_SIZE(unit_lines); i++)
		assert_string_equal(f->lines.v[i], unit_lines[i]);
	assert_int_equal(f->meta.nr, 1);
	assert_string_equal(f->meta.v[0], "collector services collected");
	assert_int_equal(f->snap.warnings.nr, 0);
}

static void test_services_live_adds_listening_sockets(void **state)
{
	static const char *const listen[] = {
		"listen tcp 0.0.0.0:22", "listen tcp 127.0.0.1:5432",
		"listen tcp6 [::1]:631", "listen tcp6 [::]:22",
		"listen udp 0.0.0.0:68", "listen udp 127.0.0.53:53",
		"listen udp6 [::]:546",
	};
	struct fixture *f = *state;
	size_t i;

	/* the fixture has no run/systemd/system, so systemctl is not run */
	assert_int_equal(run(f, SDIR "/root", true), 0);
	file_lines(f, "services");
	assert_int_equal(f->lines.nr,
			 ED_ARRAY_SIZE(unit_lines) + ED_ARRAY_SIZE(listen));
	for (i = 0; i < ED_ARRAY_SIZE(listen); i++)
		assert_string_equal(f->lines.v[ED_ARRAY_SIZE(unit_lines) - 1 + i],
				    listen[i]);
	assert_string_equal(f->lines.v[f->lines.nr - 1], unit_lines[15]);
}

static void put(const char *dir, const char *rel, const char *text)
{
	struct ed_buf p = ED_BUF_INIT, cmd = ED_BUF_INIT;
	FILE *fp;

	ed_buf_addf(&p, "%s/%s", dir, rel);
	ed_buf_addf(&cmd, "mkdir -p \"$(dirname '%s')\"", p.ptr);
	assert_int_equal(system(cmd.ptr), 0);
	fp = fopen(p.ptr, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	ed_buf_release(&p);
	ed_buf_release(&cmd);
}

#define NET_HEAD "  sl  local_address rem_address   st tx_queue\n"

static void test_services_ephemeral_ports_are_left_out(void **state)
{
	struct fixture *f = *state;

	put(f->tmp, "etc/systemd/system/.keep", "");
	/* a listener on 22 and one on 45000; UDP 5353 and 41000 */
	put(f->tmp, "proc/net/tcp",
	    NET_HEAD "   0: 00000000:0016 00000000:0000 0A 0\n"
		     "   1: 0100007F:AFC8 00000000:0000 0A 0\n");
	put(f->tmp, "proc/net/udp",
	    NET_HEAD "   0: 00000000:14E9 00000000:0000 07 0\n"
		     "   1: 00000000:A028 00000000:0000 07 0\n");
	put(f->tmp, "proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	assert_int_equal(run(f, f->tmp, true), 0);
	file_lines(f, "services");
	assert_int_equal(f->lines.nr, 2);
	assert_string_equal(f->lines.v[0], "listen tcp 0.0.0.0:22");
	assert_string_equal(f->lines.v[1], "listen udp 0.0.0.0:5353");
}

static void test_services_port_range_parses(void **state)
{
	unsigned lo = 0, hi = 0;

	(void)state;
	assert_int_equal(services_port_range("32768\t60999\n", 12, &lo, &hi), 0);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	assert_int_equal(services_port_range("1024 65535", 10, &lo, &hi), 0);
	assert_int_equal(services_port_range("60999\t32768\n", 12, &lo, &hi), -1);
	assert_int_equal(services_port_range("x 2", 3, &lo, &hi), -1);
	assert_int_equal(services_port_range("1 70000", 7, &lo, &hi), -1);
	assert_int_equal(services_port_range("", 0, &lo, &hi), -1);
}

static void test_services_tcp_keeps_listen_state_only(void **state)
{
	struct fixture *f = *state;

	/* rows 2 and 3 are the two ends of an established connection */
	parse_fixture(f, SDIR "/root/proc/net/tcp", "tcp", 0);
	assert_int_equal(f->lines.nr, 2);
	assert_string_equal(f->lines.v[0], "listen tcp 0.0.0.0:22");
	assert_string_equal(f->lines.v[1], "listen tcp 127.0.0.1:5432");
}

static void test_services_udp_skips_connected_sockets(void **state)
{
	struct fixture *f = *state;

	/* udp6 holds a socket connected to [::1]:546: an ephemeral client */
	parse_fixture(f, SDIR "/root/proc/net/udp6", "udp6", 0);
	assert_int_equal(f->lines.nr, 1);
	assert_string_equal(f->lines.v[0], "listen udp6 [::]:546");
}

static void test_services_header_only_table_is_empty(void **state)
{
	struct fixture *f = *state;
	static const char text[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr "
		"tm->when retrnsmt   uid  timeout inode\n";

	assert_int_equal(services_parse_proc_net(&f->lines, text, strlen(text),
						 "tcp", &f->err),
			 0);
	assert_int_equal(f->lines.nr, 0);
}

static void test_services_malformed_proc_net_names_proto_and_line(void **state)
{
	struct fixture *f = *state;
	static const char shortrow[] =
		"  sl  local_address\n   0: 00000000:0016\n";
	static const char badstate[] =
		"   0: 00000000:0016 00000000:0000 0Z 00000000:00000000\n";

	parse_fixture(f, SDIR "/bad/tcp", "tcp", ED_EPARSE);
	assert_int_equal(f->err.code, ED_EPARSE);
	assert_string_equal(f->err.msg, "tcp:3: malformed local address");
	assert_int_equal(services_parse_proc_net(&f->lines, shortrow,
						 strlen(shortrow), "tcp6",
						 &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "tcp6:2: expected \"sl: local remote st\"");
	assert_int_equal(services_parse_proc_net(&f->lines, badstate,
						 strlen(badstate), "udp", &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg, "udp:1: malformed state");
}

static void test_services_no_systemd_is_not_collected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(run(f, f->tmp, false), 0);
	assert_int_equal(f->snap.nr, 0);
	assert_int_equal(f->meta.nr, 1);
	assert_string_equal(f->meta.v[0], "collector services not-collected: "
					  "no systemd units found");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_services_units_from_symlinks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_services_ephemeral_ports_are_left_out,
						setup, teardown),
		cmocka_unit_test(test_services_port_range_parses),
		cmocka_unit_test_setup_teardown(test_services_live_adds_listening_sockets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_services_tcp_keeps_listen_state_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_services_udp_skips_connected_sockets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_services_header_only_table_is_empty,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_services_malformed_proc_net_names_proto_and_line,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_services_no_systemd_is_not_collected,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
