/*
 * mkreport HOSTS FACTS FORMAT: write a drift report of a fleet in FORMAT
 * to standard output, for the browser tests (tests/cli/t0017): HOSTS hosts
 * (a tenth in staging, the rest in prod, role web), and FACTS facts each
 * drifting on three hosts (one in staging, two in prod: one change on
 * three hosts, three outlier items), the first with a hostile value, plus
 * a package that differs between the environments with a config diff.
 * The report is what the differ would make of such a fleet; building it
 * directly keeps a 1,000-host page a second's work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "differ/differ.h"
#include "reports/report.h"

static void fact(struct drift_report *r, size_t f, size_t hosts, size_t staging)
{
	struct ed_buf key = ED_BUF_INIT, line = ED_BUF_INIT;
	const char *value = f ? "file 0644 root root 20 sha256:3f2a" :
				"banner: \"<script>window.HACKED=1</script>\"";
	size_t on[3], k, h;

	on[0] = 1 + f % staging;
	on[1] = staging + 1 + f % (hosts - staging);
	on[2] = staging + 1 + (f + (hosts - staging) / 2) % (hosts - staging);
	ed_buf_addf(&key, "/etc/cron.d/extra-%03zu", f);
	for (k = 0; k < 3; k++) {
		struct drift_item *it = drift_report_add(r, "files", key.ptr,
							 "web", DRIFT_OUTLIER);
		size_t lo = k ? staging + 1 : 1, hi = k ? hosts : staging;

		it->side = k ? 1 : 0;
		ed_buf_reset(&line);
		ed_buf_addf(&line, "h%zu", on[k]);
		it->host = ed_xstrdup(line.ptr);
		it->host_value = ed_xstrdup(value);
		it->group_size = hi - lo + 1;
		memcpy(it->since_date, "2026-11-20", 11);
		for (h = lo; h <= hi; h++) {
			ed_buf_reset(&line);
			ed_buf_addf(&line, "%s\th%zu",
				    h == on[0] || h == on[1] || h == on[2] ?
					    value :
					    "(absent)",
				    h);
			ed_strvec_push(&it->hosts, line.ptr);
		}
		ed_strvec_sort_unique(&it->hosts);
	}
	ed_buf_release(&key);
	ed_buf_release(&line);
}

int main(int argc, char **argv)
{
	struct drift_report r;
	struct drift_item *it;
	struct ed_err err = ED_ERR_INIT;
	size_t hosts, facts, staging, f, h;
	int rc;

	if (argc != 4 || (hosts = strtoul(argv[1], NULL, 10)) < 20 ||
	    hosts > 100000 || (facts = strtoul(argv[2], NULL, 10)) > 100000) {
		fputs("usage: mkreport HOSTS(20..100000) FACTS FORMAT\n", stderr);
		return 2;
	}
	staging = hosts / 10;
	drift_report_init(&r, "staging", "prod");
	r.hosts = hosts;
	it = drift_report_add(&r, "packages", "openssl:amd64", "web",
			      DRIFT_CHANGED);
	it->values[0] = ed_xstrdup("3.0.15-1~deb12u1");
	it->values[1] = ed_xstrdup("3.0.13-1~deb12u1");
	it->newer = 0;
	it->severity = SEV_CRITICAL;
	it->patch = ed_xstrdup(
		"--- a/h1/etc/app.conf\n+++ b/h20/etc/app.conf\n"
		"@@ -1,2 +1,2 @@\n workers: 4\n-timeout: 30\n+timeout: 60\n");
	for (h = 1; h <= hosts; h++) {
		char line[64];

		snprintf(line, sizeof(line), "%s\th%zu",
			 h <= staging ? "3.0.15-1~deb12u1" : "3.0.13-1~deb12u1",
			 h);
		ed_strvec_push(&it->hosts, line);
	}
	ed_strvec_sort_unique(&it->hosts);
	for (f = 0; f < facts; f++)
		fact(&r, f, hosts, staging);
	ed_strvec_push(&r.notes,
		       "live facts (active units, listening sockets) not collected on img-1");
	rc = report_write(stdout, argv[3], &r, 0, &err);
	if (rc < 0)
		fprintf(stderr, "mkreport: %s\n", err.msg);
	drift_report_release(&r);
	return rc < 0 ? 2 : 0;
}
