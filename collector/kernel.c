/*
 * The kernel collector: release, version and command line from ROOT/proc,
 * loaded module names from ROOT/proc/modules, and the distribution from
 * os-release. An image without a mounted /proc still records os-release,
 * and says in meta that the kernel values were not collected, so a
 * missing /proc never reads as "kernel removed".
 */
#include "collector/internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"

/* /proc/cmdline is at most a page or so; modules about 100 B per module */
#define KERNEL_MAX_FILE (1024 * 1024)

static const char proc[] = "/proc";
static const char osrelease[] = "/proc/sys/kernel/osrelease";
static const char version[] = "/proc/sys/kernel/version";
static const char cmdline[] = "/proc/cmdline";
static const char meminfo[] = "/proc/meminfo";
static const char modules[] = "/proc/modules";
static const char etc_os_release[] = "/etc/os-release";
static const char usr_os_release[] = "/usr/lib/os-release";

/*
 * What the kernel collector reads. An absolute os-release link is followed
 * inside the target (read_os_release): on a remote host only to these.
 * os-release is an input (NEED_INPUT): public, so a scan's cache may keep
 * it, and an unchanged host need not send it.
 */
static const struct collect_need kernel_needs[] = {
	{ NEED_PATH, proc, NULL, NULL, NULL },
	{ NEED_PATH, osrelease, NULL, NULL, NULL },
	{ NEED_PATH, version, NULL, NULL, NULL },
	{ NEED_PATH, cmdline, NULL, NULL, NULL },
	{ NEED_PATH, meminfo, NULL, NULL, NULL },
	{ NEED_PATH, modules, NULL, NULL, NULL },
	{ NEED_INPUT, etc_os_release, NULL, NULL, NULL },
	{ NEED_INPUT, usr_os_release, NULL, NULL, NULL },
};

/* 1 if dir exists and holds at least one entry besides "." and "..". */
static int dir_has_entries(struct vfs *fs, const char *dir)
{
	struct vfs_dir *d;
	unsigned char type;
	int fd, found;

	fd = vfs_openat(fs, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = vfs_fdopendir(fs, fd);
	if (!d)
		return 0;
	found = vfs_readdir(d, &type) != NULL;
	vfs_closedir(d);
	return found;
}

/*
 * Read ROOT/abspath into b (reset first). 1 if read, 0 if missing or
 * unreadable (a warning unless missing): one absent value is not fatal.
 */
static int read_optional(struct ed_buf *b, struct snapshot *snap,
			 struct vfs *fs, const char *abspath)
{
	struct ed_err e = ED_ERR_INIT;
	int rc;

	ed_buf_reset(b);
	rc = vfs_read_file(fs, b, abspath, KERNEL_MAX_FILE, &e);
	if (rc == ED_ENOTFOUND)
		return 0;
	if (rc < 0) {
		snapshot_warn(snap, "kernel %s: %s", abspath, e.msg);
		return 0;
	}
	return 1;
}

static void add_value_line(struct ed_strvec *lines, const char *key,
			   const struct ed_buf *v)
{
	struct ed_buf line = ED_BUF_INIT;
	size_t len = v->len;

	if (len && v->ptr[len - 1] == '\n')
		len--;
	ed_buf_adds(&line, key);
	ed_buf_adds(&line, " = ");
	snapshot_quote_value(&line, v->ptr, len);
	ed_strvec_take(lines, ed_buf_detach(&line, NULL));
}

/* Pointer past the current line (and its '\n'); *linelen excludes it. */
static const char *next_line(const char *p, const char *end, size_t *linelen)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*linelen = nl ? (size_t)(nl - p) : (size_t)(end - p);
	return nl ? nl + 1 : end;
}

static int is_module_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int kernel_parse_modules(struct ed_strvec *lines, const char *buf, size_t len,
			 const char *name, struct ed_err *err)
{
	const char *p = buf, *end = buf + len;
	size_t lineno = 0;

	while (p < end) {
		const char *line = p;
		size_t n, i, size_digits = 0;

		p = next_line(p, end, &n);
		lineno++;
		if (!n)
			continue;
		for (i = 0; i < n && line[i] != ' '; i++)
			if (!is_module_char(line[i]))
				return ed_err_set(err, ED_EPARSE,
						  "%s:%zu: invalid byte in module name",
						  name, lineno);
		if (!i)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu: missing module name", name,
					  lineno);
		/* "name size refcount deps state address": size must follow */
		while (i + 1 + size_digits < n &&
		       line[i + 1 + size_digits] >= '0' &&
		       line[i + 1 + size_digits] <= '9')
			size_digits++;
		if (i >= n || !size_digits)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu: missing module size", name,
					  lineno);
		ed_strvec_pushf(lines, "module %.*s", (int)i, line);
	}
	return 0;
}

static int is_key_char(char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

/*
 * Unquote one os-release value the way a POSIX shell would for a single
 * word: "..." (backslash escapes only $ ` " \ and newline), '...' (no
 * escapes) and unquoted text (backslash escapes any byte), concatenated.
 * Unquoted whitespace may only trail. Returns NULL or a static message.
 */
static const char *unquote_value(struct ed_buf *out, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		char c = s[i];

		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n &&
				    strchr("$`\"\\\n", s[i + 1]))
					i++;
				ed_buf_addch(out, s[i]);
			}
			if (i >= n)
				return "unterminated double quote";
			i++;
		} else if (c == '\'') {
			for (i++; i < n && s[i] != '\''; i++)
				ed_buf_addch(out, s[i]);
			if (i >= n)
				return "unterminated single quote";
			i++;
		} else if (c == '\\') {
			if (i + 1 >= n)
				return "backslash at end of line";
			ed_buf_addch(out, s[i + 1]);
			i += 2;
		} else if (c == ' ' || c == '\t') {
			for (; i < n; i++)
				if (s[i] != ' ' && s[i] != '\t')
					return "unquoted whitespace in value";
		} else if (strchr("`$;&|<>()", c)) {
			/* shell syntax that a data file has no business using
			 */
			return "unquoted shell metacharacter in value";
		} else {
			ed_buf_addch(out, c);
			i++;
		}
	}
	return NULL;
}

/* Drop an earlier "KEY = ..." line: the last assignment wins. */
static void drop_key(struct ed_strvec *lines, size_t from, const char *prefix)
{
	size_t i, plen = strlen(prefix);

	for (i = from; i < lines->nr; i++) {
		if (!strncmp(lines->v[i], prefix, plen)) {
			free(lines->v[i]);
			memmove(lines->v + i, lines->v + i + 1,
				(lines->nr - i - 1) * sizeof(*lines->v));
			lines->nr--;
			return;
		}
	}
}

int kernel_parse_os_release(struct ed_strvec *lines, const char *buf,
			    size_t len, const char *name, struct ed_err *err)
{
	struct ed_buf val = ED_BUF_INIT, line = ED_BUF_INIT;
	const char *p = buf, *end = buf + len;
	size_t lineno = 0, first = lines->nr;
	int rc = 0;

	while (p < end) {
		const char *s = p, *why;
		size_t n, i, klen;

		p = next_line(p, end, &n);
		lineno++;
		while (n &&
		       (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (!n || *s == '#')
			continue;
		for (klen = 0; klen < n && is_key_char(s[klen], !klen); klen++)
			;
		if (!klen || klen >= n || s[klen] != '=') {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: expected KEY=VALUE", name,
					lineno);
			goto out;
		}
		i = klen + 1;
		ed_buf_reset(&val);
		why = unquote_value(&val, s + i, n - i);
		if (why) {
			rc = ed_err_set(err, ED_EPARSE, "%s:%zu: %s", name,
					lineno, why);
			goto out;
		}
		ed_buf_reset(&line);
		ed_buf_addf(&line, "%.*s = ", (int)klen, s);
		drop_key(lines, first, line.ptr);
		snapshot_quote_value(&line, val.ptr, val.len);
		ed_strvec_push(lines, line.ptr);
	}
out:
	ed_buf_release(&val);
	ed_buf_release(&line);
	return rc;
}

/*
 * Read os-release into b: ROOT/etc/os-release, else ROOT/usr/lib/os-release.
 * An absolute symlink is resolved inside ROOT, not on this machine. name
 * gets the path read, for messages. 1 if found, 0 if not.
 */
static int read_os_release(struct ed_buf *b, struct ed_buf *name,
			   struct snapshot *snap, struct vfs *fs)
{
	static const char *const candidates[] = { etc_os_release, usr_os_release };
	struct ed_buf target = ED_BUF_INIT;
	size_t i;
	int found = 0;

	for (i = 0; i < ED_ARRAY_SIZE(candidates) && !found; i++) {
		const char *abspath = candidates[i];
		ssize_t n;

		ed_buf_reset(&target);
		ed_buf_grow(&target, 4096);
		n = vfs_readlinkat(fs, AT_FDCWD, abspath, target.ptr,
				   target.cap - 1);
		if (n > 0 && (size_t)n < target.cap - 1) {
			ed_buf_setlen(&target, (size_t)n);
			if (target.ptr[0] == '/')
				abspath = target.ptr;
		}
		found = read_optional(b, snap, fs, abspath);
		if (found) {
			ed_buf_reset(name);
			ed_buf_adds(name, abspath + 1);
		}
	}
	ed_buf_release(&target);
	return found;
}

/* release, version, cmdline and modules from ROOT/proc; count added */
static int collect_proc(struct ed_strvec *lines, struct snapshot *snap,
			struct vfs *fs, struct ed_err *err)
{
	static const struct {
		const char *key, *path;
	} values[] = {
		{ "release", osrelease },
		{ "version", version },
		{ "cmdline", cmdline },
	};
	struct ed_buf b = ED_BUF_INIT;
	size_t i, before = lines->nr;
	int rc = 0;

	for (i = 0; i < ED_ARRAY_SIZE(values); i++)
		if (read_optional(&b, snap, fs, values[i].path))
			add_value_line(lines, values[i].key, &b);
	/*
	 * Installed memory (MemTotal), so a baseline can say some values may
	 * differ when hosts differ in memory (kernel.threads-max, tcp_mem).
	 */
	if (read_optional(&b, snap, fs, meminfo)) {
		const char *m = strstr(b.ptr, "MemTotal:");
		unsigned long long kb;

		if (m && sscanf(m + 9, "%llu", &kb) == 1)
			ed_strvec_pushf(lines, "memory = %llu kB", kb);
	}
	/* no /proc/modules: a kernel built without module support */
	if (read_optional(&b, snap, fs, modules)) {
		rc = kernel_parse_modules(lines, b.ptr, b.len, "proc/modules",
					  err);
		if (rc < 0)
			goto out;
	}
	rc = (int)(lines->nr - before);
out:
	ed_buf_release(&b);
	return rc;
}

int collect_kernel(struct snapshot *snap, struct ed_strvec *meta, struct vfs *fs,
		   const struct collect_opts *o, struct ed_err *err)
{
	struct ed_strvec lines = ED_STRVEC_INIT, os = ED_STRVEC_INIT;
	struct ed_buf b = ED_BUF_INIT, name = ED_BUF_INIT;
	int rc = 0, nproc = 0;

	(void)o; /* no secrets here, nothing carried over */
	if (dir_has_entries(fs, proc)) {
		nproc = collect_proc(&lines, snap, fs, err);
		if (nproc < 0) {
			rc = nproc;
			goto out;
		}
	}
	if (read_os_release(&b, &name, snap, fs)) {
		rc = kernel_parse_os_release(&os, b.ptr, b.len, name.ptr, err);
		if (rc < 0)
			goto out;
	}
	/*
	 * os-release is a file of its own: an image without /proc then keeps
	 * its previous kernel file instead of showing it emptied.
	 */
	if (nproc) {
		ed_strvec_push(meta, "collector kernel collected");
		snapshot_add_lines(snap, "kernel", &lines);
	} else {
		ed_strvec_push(meta, "collector kernel not-collected: "
				     "/proc is empty");
	}
	if (os.nr) {
		ed_strvec_push(meta, "collector os-release collected");
		snapshot_add_lines(snap, "os-release", &os);
	} else {
		ed_strvec_push(meta, "collector os-release not-collected: "
				     "no etc/os-release or usr/lib/os-release");
	}
out:
	ed_strvec_release(&lines);
	ed_strvec_release(&os);
	ed_buf_release(&b);
	ed_buf_release(&name);
	return rc;
}

static bool kernel_enabled(const struct collect_config *cfg)
{
	return cfg->kernel;
}

const struct collector collector_kernel = {
	"kernel",
	kernel_enabled,
	collect_kernel,
	kernel_needs,
	ED_ARRAY_SIZE(kernel_needs),
};
