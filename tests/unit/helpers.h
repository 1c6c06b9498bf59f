#ifndef ENVDRIFT_TESTS_UNIT_HELPERS_H
#define ENVDRIFT_TESTS_UNIT_HELPERS_H
/*
 * Helpers the unit tests share: writing a file into a test's sandbox, a
 * prefix check, a monotonic clock. They assert (cmocka) instead of
 * returning an error, since a test that cannot set up its files has
 * failed. They are static inline so that a test binary using some of
 * them gets no unused-function warning for the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"

/*
 * Create or truncate path and write the len bytes of data, then chmod it
 * to mode, so the file has exactly that mode whatever the umask.
 */
static inline void ut_write_file(const char *path, const void *data, size_t len,
				 mode_t mode)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n > 0);
		p += n;
		len -= (size_t)n;
	}
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* ut_write_file of the string text. */
static inline void ut_write_text(const char *path, const char *text, mode_t mode)
{
	ut_write_file(path, text, strlen(text), mode);
}

/* ut_write_file of the path dir/rel. */
static inline void ut_write_file_in(const char *dir, const char *rel,
				    const void *data, size_t len, mode_t mode)
{
	struct ed_buf path = ED_BUF_INIT;

	ed_buf_addf(&path, "%s/%s", dir, rel);
	ut_write_file(path.ptr, data, len, mode);
	ed_buf_release(&path);
}

/* ut_write_text of the path dir/rel. */
static inline void ut_write_text_in(const char *dir, const char *rel,
				    const char *text, mode_t mode)
{
	ut_write_file_in(dir, rel, text, strlen(text), mode);
}

/* 1 if s starts with prefix */
static inline int ut_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* CLOCK_MONOTONIC in milliseconds, for tests that bound a wait. */
static inline long long ut_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
