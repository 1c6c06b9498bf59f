/*
 * libFuzzer target: remote_decode, the host's whole answer to a fleet scan
 * (stream header, @list, @proc, @cmd, @file and GNU tar sections), into a
 * fresh in-memory image each time.
 */
#include "collector/remote.h"
#include "collector/vfs.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct vfs *fs = vfs_mem_new();

	(void)remote_decode(fs, (const char *)data, size, NULL, &warnings, &err);
	ed_strvec_release(&warnings);
	vfs_free(fs);
	return 0;
}
