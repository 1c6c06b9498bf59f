/*
 * libFuzzer target: remote_decode, the host's whole answer to a fleet scan
 * (stream header, @list, @proc, @cmd, @file and GNU tar sections), into a
 * fresh in-memory image each time: once as a scan without toggle commands
 * and once as one with two (their extra @cmd sections 2 and 3).
 */
#include "collector/collector.h"
#include "collector/fleet/remote.h"
#include "collector/vfs.h"
#include "tests/fuzz/fuzz.h"

static const char toggles_yaml[] =
	"toggles:\n  commands:\n"
	"    - {name: app, run: [/usr/bin/app, flags], format: json}\n"
	"    - {name: env, run: [/bin/env-flags], format: env}\n";

static const struct collect_config *with_commands(void)
{
	static struct collect_config *cfg;
	struct ed_err err = ED_ERR_INIT;

	if (!cfg &&
	    collect_config_load(&cfg,
				fuzz_tmp_write((const uint8_t *)toggles_yaml,
					       sizeof(toggles_yaml) - 1, ".yaml"),
				&err) < 0) {
		fprintf(stderr, "fuzz_remote: %s\n", err.msg);
		abort();
	}
	return cfg;
}

static void decode(const uint8_t *data, size_t size,
		   const struct collect_config *cfg)
{
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct vfs *fs = vfs_mem_new();

	(void)remote_decode(fs, (const char *)data, size, cfg, &warnings, &err);
	ed_strvec_release(&warnings);
	vfs_free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(data, size, NULL);
	decode(data, size, with_commands());
	return 0;
}
