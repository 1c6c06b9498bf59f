#ifndef ENVDRIFT_COLLECTOR_INTERNAL_H
#define ENVDRIFT_COLLECTOR_INTERNAL_H
/*
 * Collector internals: one function per collector and the parsers they use,
 * exposed for the collector sources and the unit tests only.
 */
#include "collector/collector.h"
#include "collector/vfs.h"
#include "core/buf.h"

/* Each adds its files (and "collector X ..." lines to meta) to snap from fs. */
int collect_packages(struct snapshot *snap, struct ed_strvec *meta,
		     struct vfs *fs, const struct collect_opts *o,
		     struct ed_err *err);
int collect_kernel(struct snapshot *snap, struct ed_strvec *meta,
		   struct vfs *fs, const struct collect_opts *o,
		   struct ed_err *err);
int collect_sysctl(struct snapshot *snap, struct ed_strvec *meta,
		   struct vfs *fs, const struct collect_opts *o,
		   struct ed_err *err);
int collect_services(struct snapshot *snap, struct ed_strvec *meta,
		     struct vfs *fs, const struct collect_opts *o,
		     struct ed_err *err);
int collect_files(struct snapshot *snap, struct ed_strvec *meta,
		  struct vfs *fs, const struct collect_opts *o,
		  struct ed_err *err);
int collect_toggles(struct snapshot *snap, struct ed_strvec *meta,
		    struct vfs *fs, const struct collect_opts *o,
		    struct ed_err *err);

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
 * Where the files walk starts for these include globs: per pattern its
 * longest glob-free directory prefix ("" is the root), minus starts below
 * another. The remote script lists exactly these trees. ED_EPARSE names a
 * pattern that is relative or holds "." or "..".
 */
int files_include_starts(struct ed_strvec *out, const struct ed_strvec *include,
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
 * The commands collectors run, exported so a remote script runs exactly
 * the same argv and the outputs it records (vfs_mem_set_output) match.
 *
 * rpm is run as `PATH -qa --root ROOT --qf RPM_QF` (ROOT is vfs_root, "/"
 * on an image), PATH being the first executable "rpm" in $PATH on this
 * machine (vfs_getenv), or in /usr/bin:/bin on an image or without a
 * PATH. No environment change.
 */
#define RPM_QF "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n"
/*
 * systemctl (on a live host whose /run/systemd/system is a directory) is
 * run as the first executable of services_systemctl_paths followed by
 * services_active_args, with services_active_env as its whole environment.
 * All three are NULL-terminated.
 */
extern const char *const services_systemctl_paths[];
extern const char *const services_active_args[];
extern const char *const services_active_env[];

/* rpm -qa --qf RPM_QF: NAME EPOCHNUM VERSION RELEASE ARCH, tab-separated */
int rpm_parse_query(struct ed_strvec *lines, const char *buf, size_t len,
		    const char *name, struct ed_err *err);
/*
 * Run "rpm -qa --root ROOT" on fs and append its packages to lines.
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
int services_parse_proc_net(struct ed_strvec *lines, const char *buf,
			    size_t len, const char *proto, struct ed_err *err);

#endif
