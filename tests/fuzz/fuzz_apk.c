/* libFuzzer target: apk_parse_installed on arbitrary bytes (untrusted host data). */
#include "collector/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;

	(void)apk_parse_installed(&lines, (const char *)data, size,
				  "lib/apk/db/installed", &err);
	ed_strvec_release(&lines);
	return 0;
}
