/*
 * libFuzzer target: the secret detectors (core/secrets.h) on any bytes.
 * Besides memory safety, every hit must lie inside the input, be
 * non-empty, and hits must come sorted and apart: a redaction built from
 * them must never write outside the buffer or twice over one byte.
 */
#include "core/secrets.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ed_secret_finder finder;
	static int ready;
	struct ed_secret_hits hits = { 0 };
	char *copy;
	size_t i;

	if (!ready) {
		struct ed_strvec res = ED_STRVEC_INIT;
		struct ed_err err = ED_ERR_INIT;

		ed_strvec_push(&res,
			       "^([[:space:]]*dsn[[:space:]]*=[[:space:]]*).*$");
		if (ed_secret_finder_init(&finder, &res, &err) < 0)
			abort();
		ed_strvec_release(&res);
		ready = 1;
	}
	/* callers pass ed_buf or git object data, both NUL-terminated */
	copy = malloc(size + 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	ed_secret_find(&finder, copy, size, &hits);
	for (i = 0; i < hits.nr; i++) {
		if (hits.v[i].start >= hits.v[i].end || hits.v[i].end > size)
			abort();
		if (i && hits.v[i].start <= hits.v[i - 1].end)
			abort();
	}
	ed_secret_hits_release(&hits);
	free(copy);
	return 0;
}
