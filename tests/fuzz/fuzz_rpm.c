/* libFuzzer target: rpm_parse_query on arbitrary bytes (untrusted host data). */
#include "collector/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;

	(void)rpm_parse_query(&lines, (const char *)data, size, "rpm-qa", &err);
	ed_strvec_release(&lines);
	return 0;
}
