#ifndef ENVDRIFT_CLI_SCAN_UI_H
#define ENVDRIFT_CLI_SCAN_UI_H
/* What envdrift scan prints while it runs and at its end (cli/scan_ui.c). */
#include "collector/fleet/fleet.h"

struct scan_ui {
	int quiet, verbose, tty;
	struct fleet_progress progress; /* filled by scan_progress */
};

/* The progress callbacks for fleet_scan, printing as ui says; ui outlives them. */
const struct fleet_progress *scan_progress(struct scan_ui *ui);
/* Notes, moved hosts, the one-line summary, and on a terminal the failures. */
void scan_print_summary(const struct scan_ui *ui, const struct fleet_result *r);

#endif
