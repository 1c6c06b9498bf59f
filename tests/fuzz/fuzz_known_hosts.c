/*
 * libFuzzer target: known_hosts files (ssh_known_load reads a path, so each
 * input goes through a temporary file), then a lookup and a check of a
 * fixed ed25519 key against two host names. accept_new is off: the file is
 * never appended to.
 */
#include "collector/fleet/internal.h"
#include "core/buf.h"
#include "core/strvec.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[] = {
		0,   0,   0,  11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
		'1', '9', 0,  0,  0,   32,  1,   2,   3,   4,   5,   6,   7,
		8,   9,   10, 11, 12,  13,  14,  15,  16,  17,  18,  19,  20,
		21,  22,  23, 24, 25,  26,  27,  28,  29,  30,  31,  32,
	};
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf why = ED_BUF_INIT;
	struct ssh_known *k = NULL;

	if (ssh_known_load(&k, fuzz_tmp_write(data, size, ".known_hosts"),
			   &warnings, &err) == 0) {
		(void)ssh_known_types(k, "web1.example.com", 22);
		(void)ssh_known_check(k, "web1.example.com", 22, key,
				      sizeof(key), 0, &why);
		(void)ssh_known_check(k, "10.0.0.1", 2222, key, sizeof(key), 0,
				      &why);
		ssh_known_free(k);
	}
	ed_buf_release(&why);
	ed_strvec_release(&warnings);
	return 0;
}
