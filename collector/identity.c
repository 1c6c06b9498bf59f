/*
 * The identity collector: who this host is (core/identity.h), recorded in
 * the snapshot's "identity" file. The differ never compares it between
 * hosts, only with the host's own past (at severity info, so a renumbered
 * host stays visible), and replaces each host's identity by placeholders
 * before comparing it with other hosts.
 *
 * On a live host the addresses and MACs are the kernel's
 * (/proc/net/fib_trie, /proc/net/if_inet6, /sys/class/net/NAME/address);
 * on an image (--root), or where the kernel's tables cannot be read, the
 * static ones of the network configuration (ifupdown, netplan,
 * systemd-networkd, udev, NetworkManager keyfiles: read here, where even a
 * keyfile whose content is never stored can be read), else /etc/hosts'
 * addresses for the host's name. Names come from /etc/hostname (and the
 * kernel's host name on a live host), fully qualified ones from
 * /etc/hosts. collect_opts.identity (--identity FILE) replaces it all.
 */
#include "collector/internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/identity.h"

#define IDENTITY_MAX_FILE (1024 * 1024)
#define IDENTITY_MAX_DIR_FILES 256

static const char fib_trie[] = "/proc/net/fib_trie";
static const char if_inet6[] = "/proc/net/if_inet6";
static const char sys_net[] = "/sys/class/net";
/* a pattern: the remote script expands /sys records (remote.sh) */
static const char sys_net_addresses[] = "/sys/class/net/*/address";
static const char kernel_hostname[] = "/proc/sys/kernel/hostname";
static const char etc_hostname[] = "/etc/hostname";
static const char etc_hosts[] = "/etc/hosts";
static const char etc_machine_id[] = "/etc/machine-id";
static const char etc_interfaces[] = "/etc/network/interfaces";

/*
 * Directories of network configuration, one level deep; which of their
 * files state addresses, and in which syntax, is host_identity_config_file's
 * to say.
 */
static const char *const config_dirs[] = {
	"/etc/network/interfaces.d",
	"/etc/netplan",
	"/etc/systemd/network",
	"/etc/udev/rules.d",
	"/etc/NetworkManager/system-connections",
};

static const struct collect_need identity_needs[] = {
	{ NEED_PATH, fib_trie, NULL, NULL, NULL },
	{ NEED_PATH, if_inet6, NULL, NULL, NULL },
	{ NEED_PATH, sys_net_addresses, NULL, NULL, NULL },
	{ NEED_PATH, kernel_hostname, NULL, NULL, NULL },
	{ NEED_PATH, etc_hostname, NULL, NULL, NULL },
	{ NEED_PATH, etc_hosts, NULL, NULL, NULL },
	{ NEED_PATH, etc_machine_id, NULL, NULL, NULL },
	{ NEED_PATH, etc_interfaces, NULL, NULL, NULL },
	{ NEED_TREE, "/etc/network/interfaces.d", NULL, NULL, NULL },
	{ NEED_TREE, "/etc/netplan", NULL, NULL, NULL },
	{ NEED_TREE, "/etc/systemd/network", NULL, NULL, NULL },
	{ NEED_TREE, "/etc/udev/rules.d", NULL, NULL, NULL },
	{ NEED_TREE, "/etc/NetworkManager/system-connections", NULL, NULL, NULL },
};

/* path into b (reset first): 1 if read, 0 if absent or unreadable. */
static int read_quiet(struct ed_buf *b, struct vfs *fs, const char *path)
{
	struct ed_err e = ED_ERR_INIT;

	ed_buf_reset(b);
	return vfs_read_file(fs, b, path, IDENTITY_MAX_FILE, &e) == 0;
}

/* The names in dir, sorted (so the result never depends on readdir). */
static void list_dir(struct ed_strvec *out, struct vfs *fs, const char *dir)
{
	struct vfs_dir *d;
	const char *name;
	unsigned char type;
	int fd;

	fd = vfs_openat(fs, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = vfs_fdopendir(fs, fd);
	if (!d)
		return;
	while ((name = vfs_readdir(d, &type)) && out->nr < IDENTITY_MAX_DIR_FILES)
		ed_strvec_pushf(out, "%s/%s", dir, name);
	vfs_closedir(d);
	ed_strvec_sort_unique(out); /* names in a directory are unique */
}

/* The kernel's own addresses; 1 if its table could be read. */
static int kernel_addrs(struct host_identity *id, struct vfs *fs, struct ed_buf *b)
{
	int got = 0;

	if (read_quiet(b, fs, fib_trie)) {
		host_identity_from_fib_trie(id, b->ptr, b->len);
		got = 1;
	}
	if (read_quiet(b, fs, if_inet6)) {
		host_identity_from_if_inet6(id, b->ptr, b->len);
		got = 1;
	}
	return got;
}

/* The kernel's interfaces' MACs; 1 if any interface was listed. */
static int kernel_macs(struct host_identity *id, struct vfs *fs, struct ed_buf *b)
{
	struct ed_strvec ifs = ED_STRVEC_INIT;
	struct ed_buf path = ED_BUF_INIT;
	size_t i;
	int got;

	list_dir(&ifs, fs, sys_net);
	got = ifs.nr > 0;
	for (i = 0; i < ifs.nr; i++) {
		size_t n;

		ed_buf_reset(&path);
		ed_buf_addf(&path, "%s/address", ifs.v[i]);
		if (!read_quiet(b, fs, path.ptr))
			continue;
		n = b->len;
		while (n && (b->ptr[n - 1] == '\n' || b->ptr[n - 1] == ' '))
			n--;
		host_identity_add_mac(id, b->ptr, n);
	}
	ed_buf_release(&path);
	ed_strvec_release(&ifs);
	return got;
}

/* The network configuration's static addresses and MACs, into cfg. */
static void config_identity(struct host_identity *cfg, struct vfs *fs,
			    struct ed_buf *b)
{
	size_t i, j;

	if (read_quiet(b, fs, etc_interfaces))
		host_identity_from_config(cfg, etc_interfaces, b->ptr, b->len);
	for (i = 0; i < ED_ARRAY_SIZE(config_dirs); i++) {
		struct ed_strvec files = ED_STRVEC_INIT;

		list_dir(&files, fs, config_dirs[i]);
		for (j = 0; j < files.nr; j++)
			if (read_quiet(b, fs, files.v[j]))
				host_identity_from_config(cfg, files.v[j],
							  b->ptr, b->len);
		ed_strvec_release(&files);
	}
}

/*
 * What the host says it is: names, machine-id, then addresses and MACs
 * from the kernel where it is live and they can be read, else from the
 * configuration; /etc/hosts' addresses only when neither gave any.
 */
static void gather(struct host_identity *id, const char **addrs_from,
		   const char **macs_from, struct vfs *fs)
{
	struct host_identity kern, cfg;
	struct ed_buf b = ED_BUF_INIT;
	int kaddrs = 0, kmacs = 0;

	memset(&kern, 0, sizeof(kern));
	memset(&cfg, 0, sizeof(cfg));
	if (read_quiet(&b, fs, etc_hostname))
		host_identity_from_hostname(id, b.ptr, b.len);
	if (vfs_live(fs) && read_quiet(&b, fs, kernel_hostname))
		host_identity_from_hostname(id, b.ptr, b.len);
	if (read_quiet(&b, fs, etc_machine_id))
		host_identity_from_machine_id(id, b.ptr, b.len);
	if (vfs_live(fs)) {
		kaddrs = kernel_addrs(&kern, fs, &b);
		kmacs = kernel_macs(&kern, fs, &b);
	}
	if (!kaddrs || !kmacs)
		config_identity(&cfg, fs, &b);
	host_identity_add_net(id, kaddrs ? &kern : &cfg, 1, 0);
	host_identity_add_net(id, kmacs ? &kern : &cfg, 0, 1);
	*addrs_from = kaddrs                      ? "kernel" :
		      host_identity_has_addrs(id) ? "config" :
						    "none";
	*macs_from = kmacs                      ? "kernel" :
		     host_identity_has_macs(id) ? "config" :
						  "none";
	if (read_quiet(&b, fs, etc_hosts)) {
		int take = !host_identity_has_addrs(id) && !kaddrs;

		host_identity_from_hosts(id, b.ptr, b.len, take);
		if (take && host_identity_has_addrs(id))
			*addrs_from = "config";
	}
	host_identity_release(&kern);
	host_identity_release(&cfg);
	ed_buf_release(&b);
}

int collect_identity_load(struct host_identity *id, const char *path,
			  struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	int rc = ed_buf_read_file(&b, path, IDENTITY_MAX_FILE, err);

	if (!rc)
		rc = host_identity_parse(id, b.ptr, b.len, path, err);
	if (!rc && !id->nr)
		rc = ed_err_set(err, ED_EPARSE, "%s: no identity in it", path);
	ed_buf_release(&b);
	return rc;
}

int collect_identity(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		     const struct collect_opts *o, struct ed_err *err)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct host_identity id;
	const char *addrs_from, *macs_from;

	(void)err;
	memset(&id, 0, sizeof(id));
	if (o->identity) {
		host_identity_lines(&lines, o->identity, "file", "file");
		ed_strvec_push(meta, "collector identity collected: --identity");
	} else {
		gather(&id, &addrs_from, &macs_from, fs);
		host_identity_lines(&lines, &id, addrs_from, macs_from);
		ed_strvec_push(meta, "collector identity collected");
	}
	snapshot_add_lines(snap, "identity", &lines);
	host_identity_release(&id);
	ed_strvec_release(&lines);
	return 0;
}

static bool identity_enabled(const struct collect_config *cfg)
{
	return cfg->identity;
}

const struct collector collector_identity = {
	"identity",
	identity_enabled,
	collect_identity,
	identity_needs,
	ED_ARRAY_SIZE(identity_needs),
};
