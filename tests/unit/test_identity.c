/*
 * Host identity from stored files and the kernel's tables, the identity
 * file, and normalisation with it (core/identity.c, identity_file.c):
 * whole tokens only, longest first, loopback never, the network
 * configuration's addresses over /etc/hosts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>

#include "collector/internal.h"
#include "collector/vfs.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/identity.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "differ/internal.h"

static const char hosts[] =
	"127.0.0.1\tlocalhost\n"
	"127.0.1.1\tweb-01.example.internal web-01\n"
	"10.20.1.6\tweb-01.example.internal web-01 # this host\n"
	"fd00:20::6 web-01\n"
	"10.20.1.7\tweb-02.example.internal web-02\n"
	"::1 localhost ip6-localhost ip6-loopback\n";

static const char interfaces[] = "auto eth0\n"
				 "iface eth0 inet static\n"
				 "    address 10.20.1.6/24\n"
				 "    gateway 10.20.1.1\n"
				 "    hwaddress ether 52:54:00:AB:CD:06\n";

static const char netplan[] =
	"network:\n"
	"  ethernets:\n"
	"    ens3:\n"
	"      match: {macaddress: \"52:54:00:ab:cd:16\"}\n"
	"      addresses: [10.40.0.6/16, \"fd00:40::6/64\"]\n"
	"      routes: [{to: default, via: 10.40.0.1}]\n"
	"      nameservers: {addresses: [10.40.0.2]}\n";

/* norm(id, text) as a C string in *out (released by the caller). */
static const char *norm(struct ed_buf *out, const struct host_identity *id,
			const char *text)
{
	ed_buf_reset(out);
	host_identity_normalize(out, id, text, strlen(text));
	return out->ptr ? out->ptr : "";
}

static void load_web01(struct host_identity *id, int with_interfaces)
{
	memset(id, 0, sizeof(*id));
	host_identity_from_hostname(id, "web-01\n", 7);
	if (with_interfaces)
		host_identity_from_interfaces(id, interfaces,
					      sizeof(interfaces) - 1);
	host_identity_from_hosts(id, hosts, sizeof(hosts) - 1,
				 !host_identity_has_addrs(id));
}

static void test_identity_hosts_file_gives_names_and_addresses(void **state)
{
	struct host_identity id;
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	load_web01(&id, 0);
	assert_string_equal(norm(&b, &id, hosts),
			    "127.0.0.1\tlocalhost\n"
			    "127.0.1.1\t{fqdn} {host}\n"
			    "{addr4}\t{fqdn} {host} # this host\n"
			    "{addr6} {host}\n"
			    "10.20.1.7\tweb-02.example.internal web-02\n"
			    "::1 localhost ip6-localhost ip6-loopback\n");
	host_identity_release(&id);
	ed_buf_release(&b);
}

static void test_identity_whole_tokens_only(void **state)
{
	struct host_identity id;
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	load_web01(&id, 1);
	/* 10.20.1.6 is not in 10.20.1.60 nor in 110.20.1.6; web-01 not in web-010 */
	assert_string_equal(norm(&b, &id,
				 "peers 10.20.1.60 110.20.1.6 10.20.1.6\n"),
			    "peers 10.20.1.60 110.20.1.6 {addr4}\n");
	assert_string_equal(norm(&b, &id, "web-010 web-01 xweb-01 WEB-01.\n"),
			    "web-010 {host} xweb-01 {host}.\n");
	assert_string_equal(norm(&b, &id, "listen 10.20.1.6:9100\n"),
			    "listen {addr4}:9100\n");
	assert_string_equal(norm(&b, &id,
				 "mac 52:54:00:ab:cd:06 52:54:00:ab:cd:061\n"),
			    "mac {mac} 52:54:00:ab:cd:061\n");
	/* the longest token wins: the FQDN, not the name inside it */
	assert_string_equal(norm(&b, &id, "myhostname = web-01.example.internal\n"),
			    "myhostname = {fqdn}\n");
	host_identity_release(&id);
	ed_buf_release(&b);
}

static void test_identity_network_config_wins_over_hosts(void **state)
{
	struct host_identity id;
	struct ed_buf b = ED_BUF_INIT;
	static const char foreign[] =
		"10.20.1.9\tweb-01.example.internal web-01\n";

	(void)state;
	memset(&id, 0, sizeof(id));
	host_identity_from_hostname(&id, "web-01", 6);
	host_identity_from_interfaces(&id, interfaces, sizeof(interfaces) - 1);
	host_identity_from_hosts(&id, foreign, sizeof(foreign) - 1,
				 !host_identity_has_addrs(&id));
	/* /etc/hosts claims another address: that stays visible */
	assert_string_equal(norm(&b, &id, foreign), "10.20.1.9\t{fqdn} {host}\n");
	assert_string_equal(norm(&b, &id, "gateway 10.20.1.1\n"),
			    "gateway 10.20.1.1\n");
	host_identity_release(&id);
	ed_buf_release(&b);
}

static void test_identity_netplan_prefixes_and_macs(void **state)
{
	struct host_identity id;
	struct ed_buf b = ED_BUF_INIT;

	(void)state;
	memset(&id, 0, sizeof(id));
	host_identity_from_network(&id, netplan, sizeof(netplan) - 1);
	assert_string_equal(norm(&b, &id, netplan),
			    "network:\n"
			    "  ethernets:\n"
			    "    ens3:\n"
			    "      match: {macaddress: \"{mac}\"}\n"
			    "      addresses: [{addr4}/16, \"{addr6}/64\"]\n"
			    "      routes: [{to: default, via: 10.40.0.1}]\n"
			    "      nameservers: {addresses: [10.40.0.2]}\n");
	host_identity_release(&id);
	ed_buf_release(&b);
}

static void test_identity_machine_id_and_nothing_else(void **state)
{
	struct host_identity id;
	struct ed_buf b = ED_BUF_INIT;
	static const char mid[] = "0123456789abcdef0123456789abcdef\n";

	(void)state;
	memset(&id, 0, sizeof(id));
	host_identity_from_machine_id(&id, mid, sizeof(mid) - 1);
	host_identity_from_machine_id(&id, "short\n", 6);
	assert_int_equal(id.nr, 1);
	assert_string_equal(norm(&b, &id, "id=0123456789abcdef0123456789abcdef\n"),
			    "id={machine-id}\n");
	/* no identity: the text as it is */
	host_identity_release(&id);
	assert_string_equal(norm(&b, &id, "10.0.0.1 web-01\n"),
			    "10.0.0.1 web-01\n");
	ed_buf_release(&b);
}

static void test_identity_listeners_on_own_addresses(void **state)
{
	static const char services[] = "active node-exporter.service\n"
				       "listen tcp 0.0.0.0:22\n"
				       "listen tcp 10.20.1.6:9100\n"
				       "listen tcp 10.20.1.99:8080\n"
				       "listen tcp 127.0.0.1:5432\n"
				       "listen tcp6 [fd00:20::6]:9100\n";
	struct snapshot snap = SNAPSHOT_INIT;
	struct differ_host h;
	struct host_identity id;
	struct ed_err err = ED_ERR_INIT;
	size_t i;
	const char *want[] = {
		"active node-exporter.service", "listen tcp 0.0.0.0:22",
		"listen tcp 10.20.1.99:8080",   "listen tcp 127.0.0.1:5432",
		"listen tcp {addr4}:9100",      "listen tcp6 [{addr6}]:9100",
	};

	(void)state;
	snapshot_add(&snap, "services", services, sizeof(services) - 1);
	assert_int_equal(differ_host_load(&h, "prod", "web-01", &snap, &err), 0);
	memset(&id, 0, sizeof(id));
	host_identity_from_hostname(&id, "web-01", 6);
	host_identity_from_hosts(&id, hosts, sizeof(hosts) - 1, 1);
	differ_normalise_listeners(&h, &id);
	assert_int_equal(h.nr_facts, 6);
	for (i = 0; i < h.nr_facts; i++)
		assert_string_equal(h.facts[i]->key, want[i]);
	/* an address that is not the host's own stays literal: drift */
	differ_host_release(&h);
	host_identity_release(&id);
	snapshot_release(&snap);
}

/* This shape of fib_trie is what Linux 6.1 prints (abridged). */
static const char fib_trie[] = "Main:\n"
			       "  +-- 0.0.0.0/0 3 0 5\n"
			       "     |-- 0.0.0.0\n"
			       "        /0 universe UNICAST\n"
			       "     +-- 10.20.0.0/16 2 0 2\n"
			       "        +-- 10.20.1.0/24 2 0 2\n"
			       "           |-- 10.20.1.0\n"
			       "              /24 link UNICAST\n"
			       "           |-- 10.20.1.6\n"
			       "              /32 host LOCAL\n"
			       "        |-- 10.20.255.255\n"
			       "           /32 link BROADCAST\n"
			       "     +-- 127.0.0.0/8 2 0 2\n"
			       "        +-- 127.0.0.0/31 1 0 0\n"
			       "           |-- 127.0.0.0\n"
			       "              /8 host LOCAL\n"
			       "           |-- 127.0.0.1\n"
			       "              /32 host LOCAL\n"
			       "Local:\n"
			       "  +-- 0.0.0.0/0 3 0 5\n"
			       "           |-- 10.20.1.6\n"
			       "              /32 host LOCAL\n"
			       "           |-- 192.168.7.9\n"
			       "              /32 host LOCAL\n";

static const char if_inet6[] =
	"00000000000000000000000000000001 01 80 10 80       lo\n"
	"fd000020000000000000000000000006 02 40 00 80     eth0\n"
	"fe80000000000000505400fffeabcd06 02 40 20 80     eth0\n";

static int has_token(const struct host_identity *id, int kind, const char *text)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if (id->v[i].kind == kind && id->v[i].len == strlen(text) &&
		    !memcmp(id->v[i].text, text, id->v[i].len))
			return 1;
	return 0;
}

/* The kernel's own addresses: LOCAL leaves, not broadcast, not loopback. */
static void test_identity_kernel_tables(void **state)
{
	struct host_identity id;

	(void)state;
	memset(&id, 0, sizeof(id));
	host_identity_from_fib_trie(&id, fib_trie, sizeof(fib_trie) - 1);
	host_identity_from_if_inet6(&id, if_inet6, sizeof(if_inet6) - 1);
	assert_true(has_token(&id, IDENTITY_ADDR4, "10.20.1.6"));
	assert_true(has_token(&id, IDENTITY_ADDR4, "192.168.7.9"));
	assert_true(has_token(&id, IDENTITY_ADDR6, "fd00:20::6"));
	assert_true(has_token(&id, IDENTITY_ADDR6, "fe80::5054:ff:feab:cd06"));
	/* 10.20.1.6 is in both tables: once; no 127.x, ::1, network or broadcast */
	assert_int_equal(id.nr, 4);
	host_identity_release(&id);
}

/* The identity file: written, read back, and errors at line and column. */
static void test_identity_file_round_trip_and_errors(void **state)
{
	static const char file[] = "# web-01, as the CMDB knows it\n"
				   "host = web-01\n"
				   "fqdn = web-01.example.internal\n"
				   "addr4 = 10.20.1.6\n"
				   "  addr6=fd00:20::6\n"
				   "\n"
				   "mac = 52:54:00:ab:cd:06\n"
				   "addresses-from = kernel\n";
	struct host_identity id, back;
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	size_t i;

	(void)state;
	memset(&id, 0, sizeof(id));
	memset(&back, 0, sizeof(back));
	assert_int_equal(host_identity_parse(&id, file, sizeof(file) - 1,
					     "id.conf", &err),
			 0);
	assert_int_equal(id.nr, 5);
	host_identity_lines(&lines, &id, "file", "file");
	assert_string_equal(lines.v[0], "host = web-01");
	assert_string_equal(lines.v[lines.nr - 2], "addresses-from = file");
	for (i = 0; i < lines.nr; i++) {
		char *eq = strstr(lines.v[i], " = ");

		*eq = '\0';
		assert_true(host_identity_set(&back, lines.v[i], eq + 3,
					      strlen(eq + 3)) >= 0);
	}
	assert_int_equal(back.nr, id.nr);

	host_identity_release(&back);
	assert_int_equal(host_identity_parse(&back,
					     "host = a\naddr4 = 10.0.0.300\n",
					     28, "id.conf", &err),
			 ED_EPARSE);
	assert_string_equal(err.msg,
			    "id.conf:2:9: '10.0.0.300' is not a valid addr4");
	assert_int_equal(host_identity_parse(&back, "\n  colour = blue\n", 17,
					     "id.conf", &err),
			 ED_EPARSE);
	assert_non_null(strstr(err.msg, "id.conf:2:3: unknown key 'colour'"));
	assert_int_equal(host_identity_parse(&back, "host web-01\n", 12,
					     "id.conf", &err),
			 ED_EPARSE);
	assert_string_equal(err.msg, "id.conf:1:1: expected \"KEY = VALUE\"");
	assert_int_equal(host_identity_parse(&back, "fqdn = web-01\n", 14,
					     "id.conf", &err),
			 ED_EPARSE);
	host_identity_release(&back);
	host_identity_release(&id);
	ed_strvec_release(&lines);
}

/* A host name given fully qualified also names the short name. */
static void test_identity_fqdn_hostname(void **state)
{
	static const char nm[] = "[ethernet]\nmac-address=52:54:00:AB:CD:06\n"
				 "[ipv4]\naddress1=10.20.1.6/24,10.20.1.1\n";
	struct host_identity id;
	struct ed_buf out = ED_BUF_INIT;

	(void)state;
	memset(&id, 0, sizeof(id));
	host_identity_from_hostname(&id, "web-01.example.internal\n", 24);
	host_identity_from_network(&id, nm, sizeof(nm) - 1);
	assert_string_equal(norm(&out, &id,
				 "web-01 web-01.example.internal 10.20.1.6 "
				 "10.20.1.1 52:54:00:ab:cd:06"),
			    "{host} {fqdn} {addr4} 10.20.1.1 {mac}");
	host_identity_release(&id);
	ed_buf_release(&out);
}

static void add_file(struct vfs *fs, const char *path, const char *text,
		     unsigned mode)
{
	struct ed_err err = ED_ERR_INIT;
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | mode;
	st.st_nlink = 1;
	st.st_size = (off_t)strlen(text);
	if (vfs_mem_add(fs, path, &st, text, strlen(text), 0, &err) < 0)
		fail_msg("%s", err.msg);
}

/* The identity collector's "identity" file for fs (live or not). */
static void collect_identity_of(struct ed_buf *out, struct vfs *fs, bool live,
				const struct host_identity *given)
{
	struct collect_config *cfg = NULL;
	struct snapshot snap = SNAPSHOT_INIT;
	struct ed_strvec meta = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct collect_opts o;
	const struct snapshot_entry *e;

	assert_int_equal(collect_config_load(&cfg, NULL, &err), 0);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.identity = given;
	vfs_set_live(fs, live);
	snapshot_init(&snap);
	assert_int_equal(collect_identity(&snap, &meta, fs, &o, &err), 0);
	e = snapshot_find(&snap, "identity");
	assert_non_null(e);
	ed_buf_reset(out);
	ed_buf_add(out, e->data, e->len);
	snapshot_release(&snap);
	ed_strvec_release(&meta);
	collect_config_free(cfg);
}

/*
 * Live: the kernel's addresses and MACs, even where the configuration
 * names another (that stays drift); an image: the configuration's,
 * a NetworkManager keyfile included; --identity: what it says.
 */
static void test_identity_collector_sources(void **state)
{
	struct vfs *fs = vfs_mem_new();
	struct ed_buf out = ED_BUF_INIT;
	struct host_identity given;
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	add_file(fs, "/etc/hostname", "web-01\n", 0644);
	add_file(fs, "/etc/hosts", hosts, 0644);
	add_file(fs, "/etc/machine-id", "0123456789abcdef0123456789abcdef\n",
		 0444);
	add_file(fs, "/etc/network/interfaces",
		 "iface eth0 inet static\n  address 10.20.1.99/24\n"
		 "  hwaddress ether 52:54:00:00:00:99\n",
		 0644);
	add_file(fs, "/etc/NetworkManager/system-connections/lan.nmconnection",
		 "[ethernet]\nmac-address=52:54:00:00:00:77\n"
		 "[ipv4]\naddress1=10.20.7.7/24,10.20.7.1\n",
		 0600);
	add_file(fs, "/proc/net/fib_trie", fib_trie, 0444);
	add_file(fs, "/proc/net/if_inet6", if_inet6, 0444);
	add_file(fs, "/sys/class/net/eth0/address", "52:54:00:ab:cd:06\n", 0444);
	add_file(fs, "/sys/class/net/lo/address", "00:00:00:00:00:00\n", 0444);

	collect_identity_of(&out, fs, true, NULL);
	assert_string_equal(out.ptr,
			    "addr4 = 10.20.1.6\n"
			    "addr4 = 192.168.7.9\n"
			    "addr6 = fd00:20::6\n"
			    "addr6 = fe80::5054:ff:feab:cd06\n"
			    "addresses-from = kernel\n"
			    "fqdn = web-01.example.internal\n"
			    "host = web-01\n"
			    "mac = 52:54:00:ab:cd:06\n"
			    "machine-id = 0123456789abcdef0123456789abcdef\n"
			    "macs-from = kernel\n");
	collect_identity_of(&out, fs, false, NULL);
	assert_string_equal(out.ptr,
			    "addr4 = 10.20.1.99\n"
			    "addr4 = 10.20.7.7\n"
			    "addresses-from = config\n"
			    "fqdn = web-01.example.internal\n"
			    "host = web-01\n"
			    "mac = 52:54:00:00:00:77\n"
			    "mac = 52:54:00:00:00:99\n"
			    "machine-id = 0123456789abcdef0123456789abcdef\n"
			    "macs-from = config\n");
	memset(&given, 0, sizeof(given));
	assert_int_equal(host_identity_parse(&given,
					     "host = db-9\naddr4 = 10.9.9.9\n",
					     29, "given", &err),
			 0);
	collect_identity_of(&out, fs, false, &given);
	assert_string_equal(out.ptr, "addr4 = 10.9.9.9\n"
				     "addresses-from = file\n"
				     "host = db-9\n"
				     "macs-from = file\n");
	host_identity_release(&given);
	ed_buf_release(&out);
	vfs_free(fs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_hosts_file_gives_names_and_addresses),
		cmocka_unit_test(test_identity_whole_tokens_only),
		cmocka_unit_test(test_identity_network_config_wins_over_hosts),
		cmocka_unit_test(test_identity_netplan_prefixes_and_macs),
		cmocka_unit_test(test_identity_machine_id_and_nothing_else),
		cmocka_unit_test(test_identity_listeners_on_own_addresses),
		cmocka_unit_test(test_identity_kernel_tables),
		cmocka_unit_test(test_identity_file_round_trip_and_errors),
		cmocka_unit_test(test_identity_fqdn_hostname),
		cmocka_unit_test(test_identity_collector_sources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
