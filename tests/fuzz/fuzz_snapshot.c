/*
 * libFuzzer target: the snapshot line formats read back from git. The
 * first byte picks the file name (meta, packages, kernel, sysctl, services,
 * files, os-release, toggles or an unknown one) whose lines differ_host_load
 * turns into facts; every line also goes through snapshot_unquote, and
 * snapshot_quote/snapshot_unquote must round-trip the whole input.
 */
#include "core/buf.h"
#include "core/snapshot.h"
#include "differ/differ.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {
		"meta",         "packages",        "kernel",
		"sysctl",       "sysctl-per-host", "services",
		"files",        "os-release",      "toggles",
		"future-thing",
	};
	struct snapshot snap = SNAPSHOT_INIT;
	struct differ_host h;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf q = ED_BUF_INIT, u = ED_BUF_INIT;
	const char *p, *end;

	if (!size)
		return 0;
	p = (const char *)data + 1;
	end = p + size - 1;
	snapshot_add(&snap, files[data[0] % (sizeof(files) / sizeof(*files))],
		     p, size - 1);
	if (differ_host_load(&h, "prod", "web1", &snap, &err) == 0)
		differ_host_release(&h);
	snapshot_release(&snap);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		ed_buf_reset(&u);
		(void)snapshot_unquote(&u, p, n, &err);
		p += n + 1;
	}

	snapshot_quote(&q, (const char *)data, size);
	ed_buf_reset(&u);
	if (snapshot_unquote(&u, q.ptr, q.len, &err) < 0 || u.len != size ||
	    memcmp(u.ptr, data, size))
		abort();
	ed_buf_release(&q);
	ed_buf_release(&u);
	return 0;
}
