#ifndef ENVDRIFT_CORE_BUF_H
#define ENVDRIFT_CORE_BUF_H
/*
 * A growable byte buffer (git's strbuf). Invariants: ptr is never NULL (a
 * static "" until the first growth), ptr[len] is always '\0', and len
 * excludes that NUL. Contents may hold NUL bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

struct ed_buf {
	char *ptr;
	size_t len;
	size_t cap;
};

extern char ed_buf_empty[];
#define ED_BUF_INIT  \
 {                   \
  ed_buf_empty, 0, 0 \
 }

void ed_buf_init(struct ed_buf *b);
/* Free the storage; b may be initialised or used again afterwards. */
void ed_buf_release(struct ed_buf *b);
/* Empty the buffer, keeping its storage. */
void ed_buf_reset(struct ed_buf *b);
/* Ensure room for extra more bytes (plus the NUL). */
void ed_buf_grow(struct ed_buf *b, size_t extra);
void ed_buf_setlen(struct ed_buf *b, size_t len);
void ed_buf_add(struct ed_buf *b, const void *p, size_t len);
void ed_buf_adds(struct ed_buf *b, const char *s);
void ed_buf_addch(struct ed_buf *b, char c);
void ed_buf_addf(struct ed_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ed_buf_vaddf(struct ed_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Value of the hex digit c (either case), or -1. */
int ed_hexval(char c);
/* Hand the malloc'd string to the caller (who frees it); b is reset. */
char *ed_buf_detach(struct ed_buf *b, size_t *len_out);
/*
 * Append the contents of path, at most max_bytes. ED_ENOTFOUND if it does not
 * exist, ED_EIO on any other failure, ED_EPARTIAL if it is larger than
 * max_bytes (b then holds the first max_bytes). errno is kept for callers.
 */
int ed_buf_read_file(struct ed_buf *b, const char *path, size_t max_bytes,
		     struct ed_err *err);
/* Same, from an fd already open (not closed here); name is for messages. */
int ed_buf_read_fd(struct ed_buf *b, int fd, const char *name, size_t max_bytes,
		   struct ed_err *err);
/*
 * Same, from any reader behaving as read(2) on ctx: bytes read, 0 at the
 * end, -1 with errno set (EINTR is retried).
 */
typedef ssize_t ed_buf_reader(void *ctx, void *buf, size_t len);
int ed_buf_read_from(struct ed_buf *b, ed_buf_reader *rd, void *ctx,
		     const char *name, size_t max_bytes, struct ed_err *err);

#endif
