/* libFuzzer target: dpkg_parse_status on arbitrary bytes (untrusted host data). */
#include "collector/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;

	(void)dpkg_parse_status(&lines, (const char *)data, size,
				"var/lib/dpkg/status", &err);
	ed_strvec_release(&lines);
	return 0;
}
