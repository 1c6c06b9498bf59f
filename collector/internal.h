#ifndef ENVDRIFT_COLLECTOR_INTERNAL_H
#define ENVDRIFT_COLLECTOR_INTERNAL_H
/*
 * Collector internals: one descriptor per collector, the table of what it
 * reads, and the parsers they use, exposed for the collector sources and
 * the unit tests only.
 */
#include "collector/collector.h"
#include "collector/vfs.h"
#include "core/buf.h"

/*
 * One thing a collector reads (struct collect_needs says what each kind
 * means). NEED_CONFIG entries add what depends on the configuration.
 */
enum collect_need_kind {
	NEED_PATH,
	NEED_INPUT, /* a NEED_PATH that is also one of collect_needs' inputs */
	NEED_TREE,
	NEED_VALUES,
	NEED_CMD,
	NEED_CONFIG,
};

struct collect_need {
	enum collect_need_kind kind;
	const char *path;              /* PATH, TREE, VALUES */
	const char *filter;            /* PATH: only lines matching this ERE */
	const struct collect_cmd *cmd; /* CMD */
	void (*add)(struct collect_needs *out,
		    const struct collect_config *cfg); /* CONFIG */
};

/*
 * A collector: adds its files (and "collector NAME ..." lines to meta)
 * to snap from fs. enabled NULL: it always runs (and decides itself).
 * needs lists every path and command it may read, so a remote host is
 * asked for exactly that (collect_needs).
 */
struct collector {
	const char *name;
	bool (*enabled)(const struct collect_config *cfg);
	int (*collect)(struct snapshot *snap, struct ed_strvec *meta,
		       struct vfs *fs, const struct collect_opts *o,
		       struct ed_err *err);
	const struct collect_need *needs;
	size_t needs_nr;
};

extern const struct collector collector_files, collector_packages,
	collector_kernel, collector_sysctl, collector_services,
	collector_toggles, collector_identity;
/* Their collect functions, for the tests. */
int collect_packages(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		     const struct collect_opts *o, struct ed_err *err);
int collect_kernel(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		   const struct collect_opts *o, struct ed_err *err);
int collect_sysctl(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		   const struct collect_opts *o, struct ed_err *err);
int collect_services(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		     const struct collect_opts *o, struct ed_err *err);
int collect_files(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		  const struct collect_opts *o, struct ed_err *err);
int collect_toggles(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		    const struct collect_opts *o, struct ed_err *err);
int collect_identity(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		     const struct collect_opts *o, struct ed_err *err);

/* Add to a struct collect_needs (copies; collector/needs.c). */
void collect_needs_add(struct collect_needs *out, const struct collect_need *need);
void collect_needs_add_cmd(struct collect_needs *out,
			   const struct collect_cmd *cmd);

/*
 * Run argv (argv[0] an absolute path; no shell) with stdin from /dev/null,
 * stdout into out (at most max_out bytes), the first line of stderr into
 * errline; envp NULL keeps our environment. The child is killed after
 * timeout_ms. *status gets its wait status. ED_EIO, naming argv[0] and the
 * limit, when it cannot run, is too talkative or too slow.
 */
int collect_run(struct ed_buf *out, struct ed_buf *errline, int *status,
		char *const argv[], char *const envp[], size_t max_out,
		int timeout_ms, struct ed_err *err);

/*
 * The package parsers' line reader (collector/pkg_lines.c) over a buffer
 * that must outlive it. pkg_lines_next sets *line and *len to the next
 * line without its '\n' (nor a '\r' before that) and returns 1, or 0 past
 * the last line; ED_EPARSE ("NAME:LINE: NUL byte") for a line holding a
 * NUL byte. lineno is the number of the line last returned, from 1.
 */
struct pkg_lines {
	const char *p, *end;
	const char *nul; /* the buffer's first NUL byte, or NULL */
	const char *name;
	size_t lineno;
};
void pkg_lines_init(struct pkg_lines *it, const char *buf, size_t len,
		    const char *name);
int pkg_lines_next(struct pkg_lines *it, const char **line, size_t *len,
		   struct ed_err *err);

/*
 * Parsers: buffer in, sorted-later lines out. name is used in messages
 * ("var/lib/dpkg/status:120: ..."). ED_EPARSE on malformed input.
 */
int dpkg_parse_status(struct ed_strvec *lines, const char *buf, size_t len,
		      const char *name, struct ed_err *err);
int apk_parse_installed(struct ed_strvec *lines, const char *buf, size_t len,
			const char *name, struct ed_err *err);
/*
 * The commands collectors run, so a test can record their outputs on an
 * image (vfs_mem_set_output) with the very argv a collector asks for.
 *
 * rpm (pkg_rpm.c, for packages.c when its database exists): the first
 * executable "rpm" in $PATH on this machine (of paths on an image), its
 * args with the target's root for COLLECT_ARG_ROOT. No environment change.
 */
extern const struct collect_cmd rpm_query_cmd;
/*
 * systemctl (services.c, on a live host whose /run/systemd/system is a
 * directory): its env as the whole environment.
 */
extern const struct collect_cmd services_systemctl_cmd;

/* rpm -qa --qf: NAME EPOCHNUM VERSION RELEASE ARCH, tab-separated */
int rpm_parse_query(struct ed_strvec *lines, const char *buf, size_t len,
		    const char *name, struct ed_err *err);
/*
 * Run rpm_query_cmd on fs and append its packages to lines.
 * ED_ENOTFOUND when no rpm tool is found, ED_ERROR when rpm fails,
 * ED_EPARSE on bad output.
 */
int rpm_query_installed(struct ed_strvec *lines, struct vfs *fs,
			struct ed_err *err);
/* /proc/modules: module names only */
int kernel_parse_modules(struct ed_strvec *lines, const char *buf, size_t len,
			 const char *name, struct ed_err *err);
/* /etc/os-release: "os-release.KEY = VALUE" with shell quoting removed */
int kernel_parse_os_release(struct ed_strvec *lines, const char *buf,
			    size_t len, const char *name, struct ed_err *err);
/* /proc/net/{tcp,tcp6,udp,udp6}: listening sockets as "listen PROTO ADDR:PORT" */
/*
 * ip_local_port_range's "LOW<TAB>HIGH" into *lo and *hi; -1 if it is not
 * two port numbers in order.
 */
int services_port_range(const char *text, size_t len, unsigned *lo, unsigned *hi);
int services_parse_proc_net(struct ed_strvec *lines, const char *buf,
			    size_t len, const char *proto, struct ed_err *err);

#endif
