/*
 * What envdrift scan shows while it runs and when it ends (cli/cmd_scan.c
 * runs it): a live progress line on a terminal, every failure always, every
 * host with -v, and the summary.
 */
#include "cli/scan_ui.h"

#include <stdio.h>
#include <sys/resource.h>

#include "cli/cmd.h"
#include "core/words.h"

static void progress_line(const struct scan_ui *ui,
			  const struct fleet_counts *c, int final)
{
	double rate = c->seconds > 0 ? (double)c->done / c->seconds : 0;
	size_t left = c->total - c->done;

	if (!ui->tty || ui->quiet)
		return;
	fprintf(stderr, "\r\033[K[%zu/%zu] %zu failed, %.1f hosts/s", c->done,
		c->total, c->failed, rate);
	if (!final && rate > 0 && left)
		fprintf(stderr, ", ETA %.0f s", (double)left / rate);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * A host ended: failures always (they are errors, even with -q), collected
 * hosts and their warnings with -v.
 */
static void on_host(const struct fleet_host *h, const struct fleet_counts *c,
		    void *arg)
{
	const struct scan_ui *ui = arg;
	size_t i;

	if (h->failed) {
		if (ui->tty && !ui->quiet)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "envdrift: %s: ", ssh_state_name(h->state));
		cli_put_safe(stderr, h->message);
		fputc('\n', stderr);
		if (ui->verbose && !h->local && h->transport_reason) {
			fprintf(stderr, "envdrift: %s: tried over %s: ", h->name,
				ssh_transport_name(h->transport));
			cli_put_safe(stderr, h->transport_reason);
			fputc('\n', stderr);
		}
	} else if (ui->verbose) {
		if (ui->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "envdrift: %s/%s %s in %.2f s (%zu %s", h->env,
			h->name, h->local ? "collected locally" : "collected",
			h->seconds, h->nr_warnings,
			ed_plural(h->nr_warnings, "warning", "warnings"));
		if (!h->local)
			fprintf(stderr, "; %zu %s sent, %zu reused, %zu bytes",
				h->files_sent,
				ed_plural(h->files_sent, "file", "files"),
				h->files_reused, h->bytes);
		if (h->memo)
			fputs("; snapshot as last scan", stderr);
		fputc(')', stderr);
		if (!h->local) {
			fprintf(stderr,
				" over %s: ", ssh_transport_name(h->transport));
			cli_put_safe(stderr, h->transport_reason ?
						     h->transport_reason :
						     "");
		}
		fputc('\n', stderr);
		for (i = 0; h->warnings && i < h->warnings->nr; i++) {
			fprintf(stderr, "warning: %s: ", h->name);
			cli_put_safe(stderr, h->warnings->v[i]);
			fputc('\n', stderr);
		}
	}
	progress_line(ui, c, 0);
}

static void on_tick(const struct fleet_counts *c, void *arg)
{
	progress_line(arg, c, 0);
}

/* Every host ended; the commit comes next. */
static void on_collected(const struct fleet_result *r,
			 const struct fleet_counts *c, void *arg)
{
	const struct scan_ui *ui = arg;
	size_t i;

	progress_line(ui, c, 1);
	for (i = 0; !ui->quiet && i < r->warnings.nr; i++) {
		fputs("warning: ", stderr);
		cli_put_safe(stderr, r->warnings.v[i]);
		fputc('\n', stderr);
	}
	if (r->prune_ignored)
		fprintf(stderr,
			"warning: --prune ignored with --limit or --shard\n");
}

void scan_print_summary(const struct scan_ui *ui, const struct fleet_result *r)
{
	size_t by_state[SSH_ERROR + 1] = { 0 }, i;
	struct rusage ru;
	double cpu = 0;

	for (i = 0; i < r->commit.notes.nr; i++)
		fprintf(stderr, "warning: %s\n", r->commit.notes.v[i]);
	for (i = 0; i < r->commit.moved.nr; i++)
		fprintf(stderr, "envdrift: moved %s\n", r->commit.moved.v[i]);
	for (i = 0; i < r->nr; i++)
		if (r->hosts[i].failed)
			by_state[r->hosts[i].state]++;
	if (!getrusage(RUSAGE_SELF, &ru))
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
			      1e6;
	if (!ui->quiet || r->failed) {
		printf("scan: %zu %s, %zu collected, %zu failed", r->nr,
		       ed_plural(r->nr, "host", "hosts"), r->nr - r->failed,
		       r->failed);
		for (i = 0; i <= SSH_ERROR; i++)
			if (by_state[i])
				printf(", %zu %s", by_state[i],
				       ssh_state_name((enum ssh_state)i));
		printf("; %zu %s; %.1f s, cpu %.1f ms/host; commit %.12s%s\n",
		       r->nr_warnings,
		       ed_plural(r->nr_warnings, "warning", "warnings"),
		       r->seconds, r->nr ? cpu * 1000 / (double)r->nr : 0.0,
		       r->commit.commit,
		       r->commit.tree_unchanged ? " (unchanged)" : "");
	}
	if (ui->tty && !ui->quiet && r->failed) {
		printf("%-28s %-18s %s\n", "HOST", "STATE", "WHY");
		for (i = 0; i < r->nr; i++)
			if (r->hosts[i].failed)
				printf("%-28s %-18s %s\n", r->hosts[i].name,
				       ssh_state_name(r->hosts[i].state),
				       r->hosts[i].message);
	}
}

const struct fleet_progress *scan_progress(struct scan_ui *ui)
{
	ui->progress.host_done = on_host;
	ui->progress.tick = on_tick;
	ui->progress.collected = on_collected;
	ui->progress.arg = ui;
	return &ui->progress;
}
