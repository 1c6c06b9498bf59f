/*
 * The error context: a code and one fixed-size line. The 512-byte buffer is
 * the one fixed buffer the style allows: it is a diagnostic, never data.
 */
#include "core/err.h"

#include <errno.h>
#include <git2.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void vset(struct ed_err *err, const char *fmt, va_list ap)
{
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);

	if (n < 0)
		strcpy(err->msg, "(unformattable error)");
	else if ((size_t)n >= sizeof(err->msg))
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
}

static void append(struct ed_err *err, const char *s)
{
	size_t len = strlen(err->msg);
	int n;

	if (len >= sizeof(err->msg) - 1)
		return;
	n = snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", s);
	if (n < 0 || (size_t)n >= sizeof(err->msg) - len)
		memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
}

int ed_err_set(struct ed_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	return code;
}

int ed_err_errno(struct ed_err *err, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	append(err, strerror(errnum));
	return code;
}

int ed_err_git(struct ed_err *err, const char *fmt, ...)
{
	const git_error *ge = git_error_last();
	va_list ap;

	err->code = ED_EGIT;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	append(err, ge && ge->message ? ge->message : "unknown libgit2 error");
	return ED_EGIT;
}

int ed_err_ssl(struct ed_err *err, const char *fmt, ...)
{
	char buf[256]; /* OpenSSL documents 256 bytes as enough */
	unsigned long e = ERR_get_error();
	va_list ap;

	err->code = ED_ERROR;
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	if (e) {
		ERR_error_string_n(e, buf, sizeof(buf));
		append(err, buf);
	}
	ERR_clear_error();
	return ED_ERROR;
}

void ed_err_prefix(struct ed_err *err, const char *fmt, ...)
{
	char old[sizeof(err->msg)];
	va_list ap;

	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	append(err, old);
}

void ed_err_clear(struct ed_err *err)
{
	err->code = 0;
	err->msg[0] = '\0';
}
