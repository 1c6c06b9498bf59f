/*
 * libFuzzer target: Ansible inventories, YAML or INI (inventory_load_buf
 * tells them by content; the corpus has both), then a walk over every
 * resolved host, its variables as JSON, and a --limit pattern.
 */
#include "collector/fleet/fleet.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = NULL;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf json = ED_BUF_INIT;
	size_t i, n;

	if (inventory_load_buf(&inv, (const char *)data, size, "fuzz.yml", NULL,
			       &err) < 0)
		return 0;
	n = inventory_nr_hosts(inv);
	for (i = 0; i < n; i++) {
		const struct inventory_host *h = inventory_host(inv, i);

		if (inventory_find(inv, h->name) != h)
			abort();
		(void)inventory_host_var(h, "envdrift_baseline");
		inventory_host_vars_json(&json, inv, h);
	}
	(void)inventory_limit(inv, "all,!web*,&prod", &err);
	ed_buf_release(&json);
	inventory_free(inv);
	return 0;
}
