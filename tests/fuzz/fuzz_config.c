/*
 * libFuzzer target: collect configuration (collect_config_load reads a
 * path, so each input goes through a temporary file).
 */
#include "collector/collector.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collect_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;

	if (collect_config_load(&cfg, fuzz_tmp_write(data, size, ".yaml"),
				&err) == 0)
		collect_config_free(cfg);
	return 0;
}
