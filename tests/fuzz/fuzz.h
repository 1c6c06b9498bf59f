#ifndef ENVDRIFT_TESTS_FUZZ_FUZZ_H
#define ENVDRIFT_TESTS_FUZZ_FUZZ_H
/*
 * Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): the
 * libFuzzer entry point's prototype and, for loaders that only take a path,
 * one temporary file per process that each input overwrites.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_tmp_path[64];

static inline void fuzz_tmp_remove(void)
{
	if (fuzz_tmp_path[0])
		unlink(fuzz_tmp_path);
}

/* Write data to this process's temp file (suffix e.g. ".yaml"); its path. */
static inline const char *fuzz_tmp_write(const uint8_t *data, size_t size,
					 const char *suffix)
{
	size_t off = 0;
	int fd;

	if (!fuzz_tmp_path[0]) {
		snprintf(fuzz_tmp_path, sizeof(fuzz_tmp_path),
			 "/tmp/envdrift-fuzz-%ld%s", (long)getpid(), suffix);
		atexit(fuzz_tmp_remove);
	}
	fd = open(fuzz_tmp_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(fuzz_tmp_path);
		abort();
	}
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			perror(fuzz_tmp_path);
			abort();
		}
		off += (size_t)n;
	}
	close(fd);
	return fuzz_tmp_path;
}

#endif
