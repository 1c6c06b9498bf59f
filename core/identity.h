#ifndef ENVDRIFT_CORE_IDENTITY_H
#define ENVDRIFT_CORE_IDENTITY_H
/*
 * A host's identity: its names, own addresses, MACs and machine-id, and
 * text with them replaced by placeholders ({host}, {fqdn}, {addr4},
 * {addr6}, {mac}, {machine-id}), whole tokens only (10.0.1.2 is not in
 * 10.0.1.23), names and MACs in any case. Shared by the identity collector
 * (which records it in the snapshot's "identity" file) and the differ
 * (which normalises with it between different hosts).
 *
 * Each host_identity_from_* adds what one source says; from_hosts needs
 * the host name first. Loopback, wildcard, all-zero and broadcast values
 * are never identity.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

enum identity_kind {
	IDENTITY_NAME,
	IDENTITY_ADDR4,
	IDENTITY_ADDR6,
	IDENTITY_MAC,
	IDENTITY_MID,
};

struct identity_token {
	int kind; /* enum identity_kind */
	char *text;
	size_t len;
};

struct host_identity {
	struct identity_token *v;
	size_t nr, alloc;
};

void host_identity_add_name(struct host_identity *id, const char *s, size_t n);
/* An own address, with or without "/prefix"; loopback and any are not. */
void host_identity_add_addr(struct host_identity *id, const char *s, size_t n);
void host_identity_add_mac(struct host_identity *id, const char *s, size_t n);
void host_identity_from_hostname(struct host_identity *id, const char *text,
				 size_t len);
/* take_addrs 0: names only (another source gave the addresses) */
void host_identity_from_hosts(struct host_identity *id, const char *text,
			      size_t len, int take_addrs);
/* 1 if id holds an address (a MAC) */
int host_identity_has_addrs(const struct host_identity *id);
int host_identity_has_macs(const struct host_identity *id);
/* s (n bytes) is one of id's own addresses. */
int host_identity_is_addr(const struct host_identity *id, const char *s, size_t n);
/* ifupdown's interfaces(5): address and hwaddress lines */
void host_identity_from_interfaces(struct host_identity *id, const char *text,
				   size_t len);
/*
 * netplan, systemd-networkd, udev rules and NetworkManager keyfiles: an
 * address with a prefix length (gateways and name servers have none), a
 * MAC after macaddress, mac-address, MACAddress= or ATTR{address}==.
 */
void host_identity_from_network(struct host_identity *id, const char *text,
				size_t len);
void host_identity_from_machine_id(struct host_identity *id, const char *text,
				   size_t len);
/* The kernel's own IPv4 addresses: /proc/net/fib_trie's "/32 host LOCAL". */
void host_identity_from_fib_trie(struct host_identity *id, const char *text,
				 size_t len);
/* The kernel's IPv6 addresses: /proc/net/if_inet6 (32 hex digits a line). */
void host_identity_from_if_inet6(struct host_identity *id, const char *text,
				 size_t len);
/*
 * Network configuration that states a host's static addresses and MACs:
 * 2 for ifupdown's interfaces files, 1 for netplan, systemd-networkd,
 * udev rules and NetworkManager keyfiles, 0 for any other path.
 */
int host_identity_config_file(const char *path);
/* What such a file (by its path) says: from_interfaces, from_network. */
void host_identity_from_config(struct host_identity *id, const char *path,
			       const char *text, size_t len);
/* Add from's addresses (when addrs) and MACs (when macs) to id. */
void host_identity_add_net(struct host_identity *id,
			   const struct host_identity *from, int addrs, int macs);
void host_identity_release(struct host_identity *id);

/* What t is replaced by: "{host}", "{fqdn}", "{addr4}", ... */
const char *host_identity_placeholder(const struct identity_token *t);
/* Append text to out with id's tokens replaced; 1 if any was. */
int host_identity_normalize(struct ed_buf *out, const struct host_identity *id,
			    const char *text, size_t len);

/*
 * The snapshot's "identity" file, one "KEY = VALUE" line per value:
 * host, fqdn, addr4, addr6, mac, machine-id, and where the addresses and
 * MACs came from ("addresses-from = kernel", "macs-from = config"; the
 * names: kernel, config, file, none). host_identity_lines pushes them,
 * unsorted.
 */
void host_identity_lines(struct ed_strvec *out, const struct host_identity *id,
			 const char *addresses_from, const char *macs_from);
/*
 * Add one "KEY = VALUE" of that file to id: 0 added (or not identity, as a
 * loopback address), 1 a source line (ignored), -1 an unknown key, -2 a
 * value that is not one of KEY.
 */
int host_identity_set(struct host_identity *id, const char *key,
		      const char *value, size_t len);
/*
 * An identity file as --identity gives it (the same lines; '#' comments
 * and blank lines allowed) into id: ED_EPARSE naming name:line:column.
 */
int host_identity_parse(struct host_identity *id, const char *text, size_t len,
			const char *name, struct ed_err *err);

#endif
