/*
 * libFuzzer target: the /proc and /etc value parsers. The first byte picks
 * the parser: 0 /proc/modules, 1 /etc/os-release, 2-5 /proc/net/{tcp,tcp6,
 * udp,udp6} (modulo 6); the rest is the file.
 */
#include "collector/internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protos[] = { "tcp", "tcp6", "udp", "udp6" };
	struct ed_strvec lines = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	const char *buf = (const char *)data + 1;
	unsigned sel;

	if (!size)
		return 0;
	sel = data[0] % 6u;
	size--;
	if (sel == 0)
		(void)kernel_parse_modules(&lines, buf, size, "proc/modules",
					   &err);
	else if (sel == 1)
		(void)kernel_parse_os_release(&lines, buf, size,
					      "etc/os-release", &err);
	else
		(void)services_parse_proc_net(&lines, buf, size,
					      protos[sel - 2], &err);
	ed_strvec_release(&lines);
	return 0;
}
