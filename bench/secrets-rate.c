/*
 * secrets-rate: the secret detectors' throughput (core/secrets.h), for
 * bench/run.sh. Reads the files named on standard input (one path a
 * line; binary files, as the collector does, are skipped) into memory,
 * then runs the detectors over all of them ROUNDS times and prints
 *
 *   bytes=N files=N hits=N best_ms=N median_ms=N mb_per_s=N
 *
 * mb_per_s from the median round. Exits 2 on an error.
 *
 *   find /etc -type f | secrets-rate [ROUNDS]
 */
#include "core/secrets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"

#define MAX_ROUNDS 99

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct ed_strvec none = ED_STRVEC_INIT;
	struct ed_secret_finder f;
	struct ed_secret_hits hits = { 0 };
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf *bufs = NULL;
	char line[4096];
	size_t nbufs = 0, alloc = 0, bytes = 0, nhits = 0, i, r;
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	double ms[MAX_ROUNDS];

	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 5;
	if (ed_secret_finder_init(&f, &none, &err) < 0) {
		fprintf(stderr, "secrets-rate: %s\n", err.msg);
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct ed_buf b = ED_BUF_INIT;

		line[strcspn(line, "\n")] = '\0';
		if (ed_buf_read_file(&b, line, (size_t)1 << 20, &err) < 0 ||
		    memchr(b.ptr, '\0', b.len)) {
			ed_buf_release(&b);
			continue; /* unreadable, too big, or binary */
		}
		if (nbufs == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			bufs = realloc(bufs, alloc * sizeof(*bufs));
			if (!bufs)
				return 2;
		}
		bytes += b.len;
		bufs[nbufs++] = b;
	}
	for (r = 0; r < (size_t)rounds; r++) {
		double t0 = now_ms();

		nhits = 0;
		for (i = 0; i < nbufs; i++) {
			hits.nr = 0;
			ed_secret_find(&f, bufs[i].ptr, bufs[i].len, &hits);
			nhits += hits.nr;
		}
		ms[r] = now_ms() - t0;
	}
	qsort(ms, (size_t)rounds, sizeof(*ms), cmp_double);
	printf("bytes=%zu files=%zu hits=%zu best_ms=%.1f median_ms=%.1f mb_per_s=%.1f\n",
	       bytes, nbufs, nhits, ms[0], ms[rounds / 2],
	       (double)bytes / 1e6 / (ms[rounds / 2] / 1e3));
	for (i = 0; i < nbufs; i++)
		ed_buf_release(&bufs[i]);
	free(bufs);
	ed_secret_hits_release(&hits);
	ed_secret_finder_release(&f);
	return 0;
}
