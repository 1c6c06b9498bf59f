/*
 * libFuzzer target: baseline rules (differ_rules_load reads a path, so each
 * input goes through a temporary file; its .waivers.yaml never exists).
 */
#include "differ/differ.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct differ_rules *r = NULL;
	struct ed_err err = ED_ERR_INIT;

	if (differ_rules_load(&r, fuzz_tmp_write(data, size, ".yaml"), &err) == 0)
		differ_rules_free(r);
	return 0;
}
