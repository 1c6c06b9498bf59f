/*
 * Host identity from stored files, and normalisation with it
 * (differ/identity.c): whole tokens only, longest first, loopback never,
 * the network configuration's addresses over /etc/hosts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/buf.h"
#include "core/snapshot.h"
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
		assert_string_equal(h.facts[i].key, want[i]);
	/* an address that is not the host's own stays literal: drift */
	differ_host_release(&h);
	host_identity_release(&id);
	snapshot_release(&snap);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
