#ifndef ENVDRIFT_CORE_ERR_H
#define ENVDRIFT_CORE_ERR_H
/*
 * Error context passed explicitly down every call chain. Library code sets
 * one line here and returns the code; only cli/ prints it. Messages read
 * "path:line:col: what" for input and "host: what" for remote errors.
 */

struct ed_err {
	int code;
	char msg[512]; /* one diagnostic line; truncated with "..." */
};

#define ED_ERR_INIT \
 {                  \
  0,                \
  {                 \
   0                \
  }                 \
 }

enum {
	ED_OK = 0,
	ED_ERROR = -1,
	ED_ENOTFOUND = -2,
	ED_EPARSE = -3,
	ED_EIO = -4,
	ED_ESSH = -5,
	ED_EGIT = -6,
	ED_EPARTIAL = -7,
	ED_ELOCKED = -8,
	ED_EKEY = -9,
	ED_ESETTINGS = -10, /* a writer's settings differ from the repository's */
	ED_EPUSH = -11, /* publishing failed; the local repository is intact */
};

/* Record code and message; returns code so "return ed_err_set(...)" works. */
int ed_err_set(struct ed_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ed_err_set, appending ": strerror(errnum)". */
int ed_err_errno(struct ed_err *err, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Like ed_err_set, appending ": <libgit2's last error>"; code ED_EGIT. */
int ed_err_git(struct ed_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like ed_err_set, appending ": <OpenSSL's first queued error>". */
int ed_err_ssl(struct ed_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefix the current message with "prefix: " (adds context on the way up). */
void ed_err_prefix(struct ed_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void ed_err_clear(struct ed_err *err);

#endif
