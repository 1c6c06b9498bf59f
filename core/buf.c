/*
 * ed_buf: the one growable buffer every module builds strings in, so no
 * fixed array can silently truncate a path or a value.
 */
#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"

char ed_buf_empty[1];

void ed_buf_init(struct ed_buf *b)
{
	b->ptr = ed_buf_empty;
	b->len = 0;
	b->cap = 0;
}

void ed_buf_release(struct ed_buf *b)
{
	if (b->cap)
		free(b->ptr);
	ed_buf_init(b);
}

void ed_buf_reset(struct ed_buf *b)
{
	if (b->cap) {
		b->len = 0;
		b->ptr[0] = '\0';
	}
}

void ed_buf_grow(struct ed_buf *b, size_t extra)
{
	size_t need = ed_st_add(ed_st_add(b->len, extra), 1);
	size_t cap;

	if (need <= b->cap)
		return;
	cap = b->cap < 64 ? 64 : b->cap;
	while (cap < need)
		cap = ed_st_mult(cap, 2);
	if (!b->cap) {
		b->ptr = ed_xmalloc(cap);
		b->ptr[0] = '\0';
	} else {
		b->ptr = ed_xrealloc(b->ptr, cap);
	}
	b->cap = cap;
}

void ed_buf_setlen(struct ed_buf *b, size_t len)
{
	if (len > (b->cap ? b->cap - 1 : 0))
		ED_BUG("ed_buf_setlen beyond capacity");
	b->len = len;
	b->ptr[len] = '\0';
}

void ed_buf_add(struct ed_buf *b, const void *p, size_t len)
{
	if (!len)
		return;
	ed_buf_grow(b, len);
	memcpy(b->ptr + b->len, p, len);
	ed_buf_setlen(b, b->len + len);
}

void ed_buf_adds(struct ed_buf *b, const char *s)
{
	ed_buf_add(b, s, strlen(s));
}

void ed_buf_addch(struct ed_buf *b, char c)
{
	ed_buf_grow(b, 1);
	b->ptr[b->len] = c;
	ed_buf_setlen(b, b->len + 1);
}

void ed_buf_vaddf(struct ed_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	ed_buf_grow(b, 64);
	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		ED_BUG("vsnprintf failed for format \"%s\"", fmt);
	if ((size_t)n >= b->cap - b->len) {
		ed_buf_grow(b, (size_t)n);
		n = vsnprintf(b->ptr + b->len, b->cap - b->len, fmt, ap);
		if (n < 0)
			ED_BUG("vsnprintf failed for format \"%s\"", fmt);
	}
	ed_buf_setlen(b, b->len + (size_t)n);
}

void ed_buf_addf(struct ed_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ed_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

int ed_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *ed_buf_detach(struct ed_buf *b, size_t *len_out)
{
	char *p;

	if (!b->cap)
		ed_buf_grow(b, 0);
	p = b->ptr;
	if (len_out)
		*len_out = b->len;
	ed_buf_init(b);
	return p;
}

int ed_buf_read_from(struct ed_buf *b, ed_buf_reader *rd, void *ctx,
		     const char *name, size_t max_bytes, struct ed_err *err)
{
	size_t got = 0;

	for (;;) {
		size_t want = 65536;
		ssize_t n;

		if (got >= max_bytes) {
			char c;

			n = rd(ctx, &c, 1);
			if (n > 0)
				return ed_err_set(err, ED_EPARTIAL,
						  "%s: larger than %zu bytes",
						  name, max_bytes);
			break;
		}
		if (want > max_bytes - got)
			want = max_bytes - got;
		ed_buf_grow(b, want);
		n = rd(ctx, b->ptr + b->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ed_err_errno(err, ED_EIO, errno, "%s: read", name);
		}
		if (n == 0)
			break;
		ed_buf_setlen(b, b->len + (size_t)n);
		got += (size_t)n;
	}
	return 0;
}

static ssize_t read_fd(void *ctx, void *buf, size_t len)
{
	return read(*(const int *)ctx, buf, len);
}

int ed_buf_read_fd(struct ed_buf *b, int fd, const char *name, size_t max_bytes,
		   struct ed_err *err)
{
	return ed_buf_read_from(b, read_fd, &fd, name, max_bytes, err);
}

int ed_buf_read_file(struct ed_buf *b, const char *path, size_t max_bytes,
		     struct ed_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int rc, saved;

	if (fd < 0) {
		saved = errno;
		rc = ed_err_errno(err, saved == ENOENT ? ED_ENOTFOUND : ED_EIO,
				  saved, "%s", path);
		errno = saved;
		return rc;
	}
	rc = ed_buf_read_fd(b, fd, path, max_bytes, err);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
