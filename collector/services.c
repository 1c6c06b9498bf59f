/*
 * The services collector: systemd units enabled, aliased or masked through
 * symlinks under ROOT/etc/systemd/system and, on a live host, the active
 * services (one systemctl run, no shell) and the listening sockets from
 * /proc/net/{tcp,tcp6,udp,udp6} (protocol, address and port only).
 */
#include "collector/internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

/* systemctl answers in milliseconds; a hung D-Bus must not hang a scan */
#define SYSTEMCTL_TIMEOUT_MS 10000
/* a systemctl listing or /proc/net table larger than this is not sane */
#define SERVICES_MAX_OUTPUT (16 * 1024 * 1024)

static const char etc_systemd[] = "/etc/systemd/system";
/* a directory while systemd runs: the documented sd_booted() test */
static const char *const run_systemd[] = { "/run/systemd/system", NULL };
/* listening sockets: protocol and table, a missing one (no IPv6) is fine */
static const char net_tcp[] = "/proc/net/tcp", net_tcp6[] = "/proc/net/tcp6",
		  net_udp[] = "/proc/net/udp", net_udp6[] = "/proc/net/udp6";
/* where the kernel picks ephemeral ports: ip-sysctl.rst, ip_local_port_range */
static const char port_range[] = "/proc/sys/net/ipv4/ip_local_port_range";
static const struct {
	const char *proto, *path;
} proc_net[] = {
	{ "tcp", net_tcp },
	{ "tcp6", net_tcp6 },
	{ "udp", net_udp },
	{ "udp6", net_udp6 },
};

static const char *const systemctl_paths[] = { "/usr/bin/systemctl",
					       "/bin/systemctl", NULL };
static const char *const systemctl_args[] = {
	"list-units",  "--type=service", "--state=active",
	"--no-legend", "--plain",        "--no-pager",
	NULL,
};
/* fixed: no user locale, colour or pager settings leak into output */
static const char *const systemctl_env[] = { "LC_ALL=C", "SYSTEMD_COLORS=0",
					     "SYSTEMD_PAGER=", NULL };
const struct collect_cmd services_systemctl_cmd = {
	systemctl_paths, systemctl_args, systemctl_env, run_systemd, 0,
	false,           NULL,
};

static const struct collect_need services_needs[] = {
	{ NEED_TREE, etc_systemd, NULL, NULL, NULL },
	{ NEED_PATH, net_tcp, NULL, NULL, NULL },
	{ NEED_PATH, net_tcp6, NULL, NULL, NULL },
	{ NEED_PATH, net_udp, NULL, NULL, NULL },
	{ NEED_PATH, net_udp6, NULL, NULL, NULL },
	{ NEED_PATH, port_range, NULL, NULL, NULL },
	{ NEED_CMD, NULL, NULL, &services_systemctl_cmd, NULL },
};

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* d_type, or the lstat type when the file system does not report it */
static unsigned char entry_type(struct vfs *fs, int dfd, const char *name,
				unsigned char type)
{
	struct stat st;

	if (type != DT_UNKNOWN)
		return type;
	if (vfs_fstatat(fs, dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return DT_UNKNOWN;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	if (S_ISLNK(st.st_mode))
		return DT_LNK;
	return S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
}

/* Append "word word ..." fields, each quoted, to a new line in lines. */
static void push_fields(struct ed_strvec *lines, const char *kind,
			const char *a, const char *b)
{
	struct ed_buf line = ED_BUF_INIT;

	ed_buf_adds(&line, kind);
	ed_buf_addch(&line, ' ');
	snapshot_quote(&line, a, strlen(a));
	if (b) {
		ed_buf_addch(&line, ' ');
		snapshot_quote(&line, b, strlen(b));
	}
	ed_strvec_take(lines, ed_buf_detach(&line, NULL));
}

/* "enabled UNIT DIR" for each symlink in DIR (a *.wants or *.requires). */
static void collect_wants(struct ed_strvec *lines, struct snapshot *snap,
			  struct vfs *fs, int sysfd, const char *dir)
{
	struct vfs_dir *d;
	const char *name;
	unsigned char type;
	int fd;

	fd = vfs_openat(fs, sysfd, dir,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snapshot_warn(snap, "etc/systemd/system/%s: %s", dir,
			      strerror(errno));
		return;
	}
	d = vfs_fdopendir(fs, fd);
	if (!d) {
		snapshot_warn(snap, "etc/systemd/system/%s: %s", dir,
			      strerror(errno));
		return;
	}
	/* systemd only honours symlinks here; other files are ignored */
	while ((name = vfs_readdir(d, &type)))
		if (entry_type(fs, fd, name, type) == DT_LNK)
			push_fields(lines, "enabled", name, dir);
	vfs_closedir(d);
}

/*
 * A symlink directly under etc/systemd/system: "masked UNIT" when it points
 * at /dev/null, else "alias NAME UNIT" (an Alias= or a linked unit file).
 */
static void collect_link(struct ed_strvec *lines, struct vfs *fs, int sysfd,
			 const char *name)
{
	struct ed_buf target = ED_BUF_INIT;
	const char *base;
	ssize_t n;

	ed_buf_grow(&target, 4096);
	n = vfs_readlinkat(fs, sysfd, name, target.ptr, target.cap - 1);
	if (n <= 0 || (size_t)n >= target.cap - 1)
		goto out;
	ed_buf_setlen(&target, (size_t)n);
	if (!strcmp(target.ptr, "/dev/null")) {
		push_fields(lines, "masked", name, NULL);
		goto out;
	}
	base = strrchr(target.ptr, '/');
	push_fields(lines, "alias", name, base ? base + 1 : target.ptr);
out:
	ed_buf_release(&target);
}

/* Unit lines from ROOT/etc/systemd/system; 0 if it does not exist. */
static int collect_units(struct ed_strvec *lines, struct snapshot *snap,
			 struct vfs *fs)
{
	struct vfs_dir *d = NULL;
	const char *name;
	unsigned char type;
	int fd, found = 0;

	fd = vfs_openat(fs, AT_FDCWD, etc_systemd,
			O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			snapshot_warn(snap, "etc/systemd/system: %s",
				      strerror(errno));
		goto out;
	}
	d = vfs_fdopendir(fs, fd);
	if (!d) {
		snapshot_warn(snap, "etc/systemd/system: %s", strerror(errno));
		goto out;
	}
	found = 1;
	while ((name = vfs_readdir(d, &type))) {
		type = entry_type(fs, fd, name, type);
		if (name[0] == '.')
			continue;
		if (type == DT_DIR && (has_suffix(name, ".wants") ||
				       has_suffix(name, ".requires")))
			collect_wants(lines, snap, fs, fd, name);
		else if (type == DT_LNK)
			collect_link(lines, fs, fd, name);
	}
	vfs_closedir(d);
out:
	return found;
}

/* "active UNIT" for each active service, from systemctl on a live host. */
/*
 * systemctl failed or is missing: keep the previous scan's "active" lines,
 * so a broken D-Bus is not read as every service stopped.
 */
static void keep_previous_active(struct ed_strvec *lines,
				 const struct collect_opts *o)
{
	const struct snapshot_entry *prev =
		o->prev ? snapshot_find(o->prev, "services") : NULL;
	const char *p, *end;

	if (!prev || !prev->data)
		return;
	for (p = prev->data, end = p + prev->len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 7 && !memcmp(p, "active ", 7)) {
			char *line = ed_xstrndup(p, n);

			ed_strvec_take(lines, line);
		}
		p += n + 1;
	}
}

/* argv and envp are char *const[]: give them copies of the constants */
static char **dup_strings(const char *first, const char *const *v)
{
	size_t n = 0, i = 0;
	char **out;

	while (v[n])
		n++;
	out = ed_xcalloc(n + 2, sizeof(*out));
	if (first)
		out[i++] = ed_xstrdup(first);
	for (n = 0; v[n]; n++)
		out[i++] = ed_xstrdup(v[n]);
	return out;
}

static void free_strings(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void collect_active(struct ed_strvec *lines, struct snapshot *snap,
			   struct vfs *fs, const struct collect_opts *o)
{
	struct ed_buf errline = ED_BUF_INIT;
	int status;
	struct ed_err e = ED_ERR_INIT;
	struct ed_buf out = ED_BUF_INIT;
	char **argv = NULL, **envp = NULL;
	const char *prog;
	const char *p, *end;
	size_t i;

	for (i = 0; systemctl_paths[i]; i++)
		if (!vfs_executable(fs, systemctl_paths[i]))
			break;
	prog = systemctl_paths[i];
	if (!prog) {
		snapshot_warn(snap, "services: systemctl not found, active "
				    "units not collected (previous ones kept)");
		keep_previous_active(lines, o);
		goto out;
	}
	argv = dup_strings(prog, systemctl_args);
	envp = dup_strings(NULL, systemctl_env);
	if (vfs_run(fs, &out, &errline, &status, argv, envp,
		    SERVICES_MAX_OUTPUT, SYSTEMCTL_TIMEOUT_MS, &e) == 0 &&
	    (!WIFEXITED(status) || WEXITSTATUS(status)))
		ed_err_set(&e, ED_EIO, "%s: exited with status %d%s%s", prog,
			   WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			   errline.len ? ": " : "", errline.ptr);
	if (e.code) {
		snapshot_warn(snap,
			      "services: %s; active units not "
			      "collected (previous ones kept)",
			      e.msg);
		keep_previous_active(lines, o);
		goto out;
	}
	for (p = out.ptr, end = out.ptr + out.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		size_t n;

		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		n = strcspn(p, " \t\n");
		if (p + n > le)
			n = (size_t)(le - p);
		if (n) {
			char *unit = ed_xstrndup(p, n);

			push_fields(lines, "active", unit, NULL);
			free(unit);
		}
		p = nl ? nl + 1 : end;
	}
out:
	free_strings(argv);
	free_strings(envp);
	ed_buf_release(&out);
	ed_buf_release(&errline);
}

/* n hex digits at s into *out; -1 if any is not hex. */
static int parse_hex(const char *s, size_t n, unsigned long *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		int v = ed_hexval(s[i]);

		if (v < 0)
			return -1;
		*out = (*out << 4) | (unsigned long)v;
	}
	return 0;
}

/*
 * "HEX:PORT" as the kernel prints it: the address is 1 (IPv4) or 4 (IPv6)
 * 32-bit words, each the %08X of network-order bytes read as a
 * little-endian integer. 0 on success, -1 if malformed.
 */
static int parse_endpoint(const char *s, size_t n, int v6,
			  unsigned char addr[16], unsigned *port)
{
	size_t words = v6 ? 4 : 1, w, j;
	unsigned long v;

	if (n != words * 8 + 5 || s[words * 8] != ':')
		return -1;
	for (w = 0; w < words; w++) {
		if (parse_hex(s + w * 8, 8, &v))
			return -1;
		for (j = 0; j < 4; j++)
			addr[w * 4 + j] = (unsigned char)(v >> (8 * j));
	}
	if (parse_hex(s + words * 8 + 1, 4, &v))
		return -1;
	*port = (unsigned)v;
	return 0;
}

/* Next whitespace-separated field of [*p, end); NULL at the end. */
static const char *next_field(const char **p, const char *end, size_t *n)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return NULL;
	*p = s;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*n = (size_t)(*p - s);
	return s;
}

int services_parse_proc_net(struct ed_strvec *lines, const char *buf,
			    size_t len, const char *proto, struct ed_err *err)
{
	int v6 = has_suffix(proto, "6");
	int udp = !strncmp(proto, "udp", 3);
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;
	char text[INET6_ADDRSTRLEN]; /* sized for the longest inet_ntop text */

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *q = p, *f[4];
		unsigned char laddr[16] = { 0 }, raddr[16] = { 0 };
		static const unsigned char zero[16];
		unsigned lport, rport;
		unsigned long st;
		size_t fn[4], i;

		lineno++;
		p = nl ? nl + 1 : end;
		for (i = 0; i < 4; i++) {
			f[i] = next_field(&q, le, &fn[i]);
			if (!f[i])
				break;
		}
		if (i == 0)
			continue;
		if (lineno == 1 && fn[0] == 2 && !memcmp(f[0], "sl", 2))
			continue; /* the header */
		if (i < 4 || f[0][fn[0] - 1] != ':')
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu: expected \"sl: local remote st\"",
					  proto, lineno);
		if (parse_endpoint(f[1], fn[1], v6, laddr, &lport))
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu: malformed local address",
					  proto, lineno);
		if (parse_endpoint(f[2], fn[2], v6, raddr, &rport))
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu: malformed remote address",
					  proto, lineno);
		if (fn[3] != 2 || parse_hex(f[3], 2, &st))
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu: malformed state", proto,
					  lineno);
		/* TCP_LISTEN; for UDP TCP_CLOSE and no peer: a bound socket */
		if (udp ? (st != 0x07 || rport || memcmp(raddr, zero, v6 ? 16 : 4)) :
			  st != 0x0A)
			continue;
		if (!inet_ntop(v6 ? AF_INET6 : AF_INET, laddr, text, sizeof(text)))
			return ed_err_errno(err, ED_EPARSE, errno,
					    "%s:%zu: address", proto, lineno);
		if (v6)
			ed_strvec_pushf(lines, "listen %s [%s]:%u", proto, text,
					lport);
		else
			ed_strvec_pushf(lines, "listen %s %s:%u", proto, text,
					lport);
	}
	return 0;
}

int services_port_range(const char *text, size_t len, unsigned *lo, unsigned *hi)
{
	char buf[64], *end;
	unsigned long a, b;

	if (!len || len >= sizeof(buf))
		return -1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	a = strtoul(buf, &end, 10);
	if (end == buf || (*end != ' ' && *end != '\t'))
		return -1;
	b = strtoul(end, &end, 10);
	if ((*end && *end != '\n') || !a || a > b || b > 65535)
		return -1;
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return 0;
}

/*
 * Sockets on ports the kernel hands out by itself (the ephemeral range)
 * are another port at every scan, not configuration: left out. A line
 * ends in ":PORT".
 */
static void drop_ephemeral(struct ed_strvec *lines, size_t from, unsigned lo,
			   unsigned hi)
{
	size_t i, out = from;

	for (i = from; i < lines->nr; i++) {
		const char *colon = strrchr(lines->v[i], ':');
		unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;

		if (port >= lo && port <= hi) {
			free(lines->v[i]);
			continue;
		}
		lines->v[out++] = lines->v[i];
	}
	lines->nr = out;
}

/* "listen ..." lines from ROOT/proc/net */
static int collect_listen(struct ed_strvec *lines, struct snapshot *snap,
			  struct vfs *fs, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_err e = ED_ERR_INIT;
	size_t i, from = lines->nr;
	unsigned lo = 32768, hi = 60999; /* Linux's default range */
	int rc = 0;

	if (!vfs_read_file(fs, &b, port_range, 64, &e) &&
	    services_port_range(b.ptr, b.len, &lo, &hi) < 0)
		snapshot_warn(snap, "services: %s: not two port numbers",
			      port_range);
	for (i = 0; i < ED_ARRAY_SIZE(proc_net); i++) {
		ed_buf_reset(&b);
		rc = vfs_read_file(fs, &b, proc_net[i].path,
				   SERVICES_MAX_OUTPUT, &e);
		if (rc == ED_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0) {
			snapshot_warn(snap, "services: %s", e.msg);
			rc = 0;
			continue;
		}
		rc = services_parse_proc_net(lines, b.ptr, b.len,
					     proc_net[i].proto, err);
		if (rc < 0)
			break;
	}
	if (!rc)
		drop_ephemeral(lines, from, lo, hi);
	ed_buf_release(&b);
	return rc;
}

int collect_services(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		     const struct collect_opts *o, struct ed_err *err)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct stat st;
	int rc = 0, units;

	units = collect_units(&lines, snap, fs);
	if (vfs_live(fs)) {
		if (units &&
		    !vfs_fstatat(fs, AT_FDCWD, run_systemd[0], &st,
				 AT_SYMLINK_NOFOLLOW) &&
		    S_ISDIR(st.st_mode))
			collect_active(&lines, snap, fs, o);
		rc = collect_listen(&lines, snap, fs, err);
		if (rc < 0)
			goto out;
	}
	if (!units || !lines.nr) {
		if (lines.nr) {
			ed_strvec_push(meta, "collector services partial: "
					     "no systemd units found, "
					     "listening sockets only");
			snapshot_add_lines(snap, "services", &lines);
		} else {
			ed_strvec_push(meta, "collector services not-collected: "
					     "no systemd units found");
		}
		goto out;
	}
	ed_strvec_push(meta, "collector services collected");
	snapshot_add_lines(snap, "services", &lines);
out:
	ed_strvec_release(&lines);
	return rc;
}

static bool services_enabled(const struct collect_config *cfg)
{
	return cfg->services;
}

const struct collector collector_services = {
	"services",
	services_enabled,
	collect_services,
	services_needs,
	ED_ARRAY_SIZE(services_needs),
};
