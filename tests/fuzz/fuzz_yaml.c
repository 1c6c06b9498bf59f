/*
 * libFuzzer target: the YAML loader behind configuration, baselines and
 * inventories. The first byte's low bit turns on ED_YAML_ALIASES (the
 * inventory mode, with alias expansion under its node cap).
 */
#include "core/yaml.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_ynode *doc = NULL;
	struct ed_err err = ED_ERR_INIT;
	unsigned flags;

	if (!size)
		return 0;
	flags = (data[0] & 1) ? ED_YAML_ALIASES : 0;
	if (ed_yaml_load_ext(&doc, (const char *)data + 1, size - 1,
			     "fuzz.yaml", flags, &err) == 0)
		ed_ynode_free(doc);
	return 0;
}
