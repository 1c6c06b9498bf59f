/*
 * envdrift check: the pre-deploy gate. Compares the environments the
 * baseline's parity entries name, checks its pins on every host, and
 * treats hosts not collected within --max-age as stale. Exit 1 when any
 * item not waived reaches --fail-on, 0 otherwise, 2 on error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "reports/report.h"

#define SINCE_MAX_SCANS 1000

static const char usage_text[] =
	"usage: envdrift check --baseline FILE [--repo DIR] [--fail-on critical|warning|info]\n"
	"                      [--max-age DURATION] [--format text|json]\n"
	"\n"
	"Compare the environments each 'parity' entry of the baseline names (the\n"
	"first against each other one, per role), check its 'pins' on every host,\n"
	"and report hosts whose last collection is older than --max-age (e.g. 26h,\n"
	"90m, 2d) as stale. Severities and waivers come from the baseline.\n"
	"  --fail-on LEVEL   fail on drift of this severity or worse (default warning)\n"
	"Exit status: 0 pass, 1 drift at or above --fail-on, 2 error.\n"
	"With --format json the output is {\"schema\": 1, \"failed\": BOOL, \"reports\": [...]}.\n";

/* "26h", "90m", "2d", "3600s", "3600" -> seconds; -1 if malformed */
static long long parse_duration(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	if (!strcmp(end, "d"))
		return v * 86400;
	return -1;
}

static int failing(const struct drift_report *r, enum drift_severity fail_on)
{
	size_t i;

	for (i = 0; i < r->nr; i++)
		if (!r->items[i].waived && r->items[i].severity >= fail_on)
			return 1;
	return 0;
}

/* Drop items of roles the parity entry does not name (empty: keep all). */
static void keep_roles(struct drift_report *r, const struct ed_strvec *roles)
{
	size_t i, out = 0;

	if (!roles->nr)
		return;
	for (i = 0; i < r->nr; i++) {
		struct drift_item *it = &r->items[i];

		if (!it->role || ed_strvec_contains(roles, it->role)) {
			r->items[out++] = *it;
			continue;
		}
		drift_item_release(it);
	}
	r->nr = out;
}

struct check {
	struct store *st;
	const struct differ_rules *rules;
	enum drift_severity fail_on;
	const char *format;
	int color, failed, printed;
	char today[11];
};

static int emit(struct check *c, struct drift_report *r, struct ed_err *err)
{
	int rc;

	differ_rules_apply(c->rules, r, c->today);
	if (failing(r, c->fail_on))
		c->failed = 1;
	if (c->printed)
		fputs(strcmp(c->format, "json") ? "\n" : ",\n", stdout);
	rc = report_write(stdout, c->format, r, c->color, err);
	c->printed = 1;
	return rc;
}

static int check_parity(struct check *c, size_t p, struct ed_err *err)
{
	const struct ed_strvec *envs = differ_rules_parity_envs(c->rules, p);
	const struct ed_strvec *roles = differ_rules_parity_roles(c->rules, p);
	enum drift_severity sev;
	const char *loc;
	int has_sev = differ_rules_parity_severity(c->rules, p, &sev, &loc);
	size_t k, i;
	int rc = 0;

	for (k = 1; k < envs->nr && !rc; k++) {
		struct cli_side sd[2];
		const struct differ_host **ga = NULL, **gb = NULL;
		struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;
		struct drift_report r;

		memset(sd, 0, sizeof(sd));
		ed_buf_addf(&a, "env:%s", envs->v[0]);
		ed_buf_addf(&b, "env:%s", envs->v[k]);
		drift_report_init(&r, envs->v[0], envs->v[k]);
		rc = cli_load_side(&sd[0], c->st, a.ptr, err);
		if (!rc)
			rc = cli_load_side(&sd[1], c->st, b.ptr, err);
		if (!rc) {
			ga = ed_xcalloc(sd[0].nr + 1, sizeof(*ga));
			gb = ed_xcalloc(sd[1].nr + 1, sizeof(*gb));
			for (i = 0; i < sd[0].nr; i++)
				ga[i] = &sd[0].hosts[i];
			for (i = 0; i < sd[1].nr; i++)
				gb[i] = &sd[1].hosts[i];
			r.commits[0] = ed_xstrdup(store_view_commit(sd[0].view));
			r.commits[1] = ed_xstrdup(store_view_commit(sd[1].view));
			rc = differ_compare(&r, c->rules, ga, sd[0].nr, gb, sd[1].nr, err);
		}
		if (!rc)
			rc = differ_since(&r, c->st, c->rules, ga, sd[0].nr, gb,
					  sd[1].nr, SINCE_MAX_SCANS, err);
		if (!rc) {
			keep_roles(&r, roles);
			for (i = 0; has_sev && i < r.nr; i++) {
				r.items[i].severity = sev;
				free(r.items[i].rule);
				r.items[i].rule = ed_xstrdup(loc);
			}
			rc = emit(c, &r, err);
		}
		free(ga);
		free(gb);
		cli_side_release(&sd[0]);
		cli_side_release(&sd[1]);
		drift_report_release(&r);
		ed_buf_release(&a);
		ed_buf_release(&b);
	}
	return rc;
}

/* Pins on every host at the tip, and hosts older than max_age. */
static int check_hosts(struct check *c, const char *baseline, long long max_age,
		       struct ed_err *err)
{
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	struct differ_host *dh = NULL;
	const struct differ_host **ptrs = NULL;
	struct drift_report r;
	size_t n = 0, i, loaded = 0;
	long long now = (long long)time(NULL);
	int rc;

	drift_report_init(&r, "baseline", baseline);
	rc = store_view_open(&v, c->st, NULL, err);
	if (!rc)
		rc = store_hosts(c->st, &h, &n, err);
	if (rc < 0)
		goto out;
	r.commits[0] = ed_xstrdup(store_view_commit(v));
	r.hosts = n;
	dh = ed_xcalloc(n + 1, sizeof(*dh));
	ptrs = ed_xcalloc(n + 1, sizeof(*ptrs));
	for (i = 0; i < n; i++) {
		struct snapshot snap = SNAPSHOT_INIT;

		rc = store_view_read_host(v, h[i].env, h[i].host, &snap, err);
		if (!rc)
			rc = differ_host_load(&dh[loaded], h[i].env, h[i].host, &snap, err);
		snapshot_release(&snap);
		if (rc < 0)
			goto out;
		ptrs[loaded] = &dh[loaded];
		loaded++;
		if (max_age >= 0 && now - h[i].last_success > max_age) {
			struct drift_item *it = drift_report_add(&r, "hosts", h[i].host,
								 NULL, DRIFT_STALE);
			char when[32];
			time_t t = (time_t)h[i].last_success;
			struct tm tm;
			struct ed_buf d = ED_BUF_INIT;

			if (!h[i].last_success || !gmtime_r(&t, &tm) ||
			    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
				strcpy(when, "never");
			ed_buf_addf(&d, "last collected %s, older than --max-age", when);
			it->detail = ed_buf_detach(&d, NULL);
			it->host = ed_xstrdup(h[i].host);
			it->severity = SEV_CRITICAL;
		}
	}
	differ_rules_pins(c->rules, &r, ptrs, loaded);
	rc = differ_since(&r, c->st, c->rules, ptrs, loaded, NULL, 0,
			  SINCE_MAX_SCANS, err);
	if (!rc)
		rc = emit(c, &r, err);
out:
	for (i = 0; i < loaded; i++)
		differ_host_release(&dh[i]);
	free(dh);
	free(ptrs);
	store_hosts_free(h, n);
	store_view_free(v);
	drift_report_release(&r);
	return rc;
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *baseline = NULL;
	struct differ_rules *rules = NULL;
	struct check c;
	long long max_age = -1;
	size_t p;
	int opt, rc = EXIT_ERROR;

	memset(&c, 0, sizeof(c));
	c.fail_on = SEV_WARNING;
	c.format = "text";
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'f':
			if (!strcmp(optarg, "critical"))
				c.fail_on = SEV_CRITICAL;
			else if (!strcmp(optarg, "warning"))
				c.fail_on = SEV_WARNING;
			else if (!strcmp(optarg, "info"))
				c.fail_on = SEV_INFO;
			else
				return cli_usage_error("check", "--fail-on takes critical, warning or info");
			break;
		case 'm':
			max_age = parse_duration(optarg);
			if (max_age < 0)
				return cli_usage_error("check", "--max-age takes a duration such as 26h, 90m, 2d");
			break;
		case 'F':
			c.format = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("check", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
	if (!baseline)
		return cli_usage_error("check", "--baseline FILE is required");
	if (strcmp(c.format, "text") && strcmp(c.format, "json"))
		return cli_usage_error("check", "--format takes text or json");
	c.color = !strcmp(c.format, "text") && isatty(STDOUT_FILENO);
	differ_today(c.today);
	if (differ_rules_load(&rules, baseline, &err) < 0 ||
	    store_open(&c.st, cli_repo_path(repo_opt), &err) < 0)
		goto out;
	c.rules = rules;
	if (!strcmp(c.format, "json"))
		fputs("{\"schema\": 1, \"reports\": [\n", stdout);
	for (p = 0; p < differ_rules_parity_count(rules); p++)
		if (check_parity(&c, p, &err) < 0)
			goto out;
	if (check_hosts(&c, baseline, max_age, &err) < 0)
		goto out;
	if (!strcmp(c.format, "json"))
		printf("], \"failed\": %s}\n", c.failed ? "true" : "false");
	else
		printf("\ncheck: %s (fail on %s)\n", c.failed ? "FAILED" : "passed",
		       drift_severity_name(c.fail_on));
	rc = c.failed ? EXIT_DRIFT : EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	store_free(c.st);
	differ_rules_free(rules);
	return rc;
}
