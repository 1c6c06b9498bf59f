/*
 * libFuzzer target: baselines (baseline_load reads a path, so each
 * input goes through a temporary file; its .waivers.yaml never exists).
 */
#include "baselines/baseline.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct baseline *bl = NULL;
	struct ed_err err = ED_ERR_INIT;

	if (baseline_load(&bl, fuzz_tmp_write(data, size, ".yaml"), &err) == 0)
		baseline_free(bl);
	return 0;
}
