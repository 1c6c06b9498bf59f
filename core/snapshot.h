#ifndef ENVDRIFT_CORE_SNAPSHOT_H
#define ENVDRIFT_CORE_SNAPSHOT_H
/*
 * The snapshot model shared by the collectors (which fill it), the store
 * (which commits it as hosts/<env>/<host>/...) and the differ (which reads it
 * back). A snapshot is a set of named byte blobs, each a deterministic,
 * sorted, line-oriented file, plus per-run facts (warnings) that never enter
 * the tree. Paths are '/'-separated raw host bytes; the store escapes them.
 *
 * Files of a host snapshot (see README "Snapshot format"):
 *   meta            "role NAME", "collector NAME collected|not-collected: why"
 *   packages        "name arch version[ state]" (state only when not installed)
 *   kernel          "release = ...", "version = ...", "cmdline = ...",
 *                   "module NAME", "os-release.KEY = VALUE"
 *   sysctl          "key = value" (sysctl -a form)
 *   sysctl-per-host "key = value" for values expected to differ per host
 *   services        "enabled UNIT", "active UNIT", "listen PROTO ADDR:PORT"
 *   files           one line per path, see collector/files.c
 *   content/<path>  stored contents of text config files
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/strvec.h"

struct snapshot_entry {
	char *path; /* e.g. "packages", "content/etc/ssh/sshd_config" */
	char *data; /* owned, NUL-terminated; NULL when has_oid */
	size_t len;
	int has_oid; /* the bytes are already stored as this git blob */
	unsigned char oid[20];
};

/*
 * Where large contents go as they are read, so a host's files are never
 * all in memory at once: put() stores data as a git blob (the store packs
 * it) and gives its id. One thread at a time.
 */
struct snapshot_sink {
	int (*put)(struct snapshot_sink *sink, const void *data, size_t len,
		   unsigned char oid[20], struct ed_err *err);
};

struct snapshot {
	struct snapshot_entry *entries;
	size_t nr;
	size_t alloc;
	struct ed_strvec warnings; /* one line each; counted, never stored */
	/*
	 * Top-level paths the store carries over from the host's previous
	 * snapshot when this one lacks them: what a collector could not
	 * collect must not read as "everything removed".
	 */
	struct ed_strvec keep;
	struct snapshot_sink *sink; /* borrowed; NULL keeps contents in memory */
};

#define SNAPSHOT_INIT                              \
 {                                                 \
  NULL, 0, 0, ED_STRVEC_INIT, ED_STRVEC_INIT, NULL \
 }

void snapshot_init(struct snapshot *s);
void snapshot_release(struct snapshot *s);
/* Add a file holding a copy of data. A second add of one path is a BUG. */
void snapshot_add(struct snapshot *s, const char *path, const void *data,
		  size_t len);
/* Add a file taking the contents of b (b is left empty). */
void snapshot_add_buf(struct snapshot *s, const char *path, struct ed_buf *b);
/*
 * Add a content file: through s->sink when there is one (only the id is
 * kept), else as a copy. Errors come from the sink.
 */
int snapshot_add_content(struct snapshot *s, const char *path, const void *data,
			 size_t len, struct ed_err *err);
/* Add a file whose bytes are already stored as blob oid. */
void snapshot_add_oid(struct snapshot *s, const char *path,
		      const unsigned char oid[20]);
/* Move every entry, warning and keep path of src to dst; src is emptied. */
void snapshot_take_entries(struct snapshot *dst, struct snapshot *src);
/* Sort lines (unique) and add them as one file; lines is left empty. */
void snapshot_add_lines(struct snapshot *s, const char *path,
			struct ed_strvec *lines);
/* Record a warning line ("/etc/foo: unreadable: Permission denied"). */
void snapshot_warn(struct snapshot *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Sort entries by path (byte order). */
void snapshot_sort(struct snapshot *s);
/* Borrowed entry or NULL; linear scan unless sorted by snapshot_sort. */
const struct snapshot_entry *snapshot_find(const struct snapshot *s,
					   const char *path);

/*
 * Line-format field quoting: bytes <= 0x20, 0x7f, '\\' and bytes that are not
 * part of valid UTF-8 become "\xHH", so a field never holds a space or a
 * newline and the mapping is reversible. Returns 1 if anything was escaped.
 */
int snapshot_quote(struct ed_buf *out, const char *s, size_t len);
/* Reverse of snapshot_quote; ED_EPARSE on a malformed escape. */
int snapshot_unquote(struct ed_buf *out, const char *s, size_t len,
		     struct ed_err *err);
/* Value quoting for "key = value" lines: only '\\', '\n', '\r', NUL and
 * other control bytes (not tab or space) are escaped. */
void snapshot_quote_value(struct ed_buf *out, const char *s, size_t len);
/* 1 if s[0..len) is valid UTF-8 */
int ed_utf8_valid(const char *s, size_t len);

#endif
