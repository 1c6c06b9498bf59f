/*
 * envdrift check: the pre-deploy gate. Compares the environments the
 * baseline's parity entries name, checks its pins on every host, and
 * treats hosts not collected within --max-age as stale. Exit 1 when any
 * item not waived reaches --fail-on, 0 otherwise, 2 on error.
 */
#include <errno.h>
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

static const char usage_text[] =
	"usage: envdrift check [--baseline FILE] [--repo DIR] [--fail-on critical|warning|info]\n"
	"                      [--max-age DURATION] [--format FORMAT[:FILE]]... [A B]\n"
	"\n"
	"With A B, require them to be identical under the built-in rules (and the\n"
	"baseline's, if given). Without, compare the environments each 'parity'\n"
	"entry of the baseline names (the first against each other one, per role).\n"
	"Either way, check the baseline's 'pins' on every host and report hosts\n"
	"whose last collection is older than --max-age (e.g. 26h, 90m, 2d).\n"
	"  --fail-on LEVEL   fail on drift of this severity or worse (default info: any)\n"
	"  --toggle-days N   note toggles with one value on every host for N days (30)\n"
	"Exit status: 0 pass, 1 drift at or above --fail-on, 2 error, including\n"
	"stale hosts (2 wins over 1). The verdict line goes to stderr.\n"
	"FORMAT is text (default), json, markdown, junit, html or patch, :FILE\n"
	"to write a file; with several parity entries each output holds them all:\n"
	"json as {\"schema\": 1, \"reports\": [...]}, junit as one <testsuites>,\n"
	"html as one page, the others one after another.\n";

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

struct check {
	struct store *st;
	const struct baseline *rules;
	enum drift_severity fail_on;
	char today[11];
	struct drift_report *reports; /* one per parity pair, then the hosts' */
	size_t nreports, alloc;
	const char *operands[2];      /* check A B: compare these instead */
	struct differ_fact_cache *cache; /* files shared by hosts, parsed once */
	long toggle_days;             /* report toggles uniform this long (-1: off) */
	int every_pair;               /* no parity: compare every pair of environments */
};

/* Keep r (moved: the caller's r is left empty). */
static void keep(struct check *c, struct drift_report *r)
{
	ED_ALLOC_GROW(c->reports, c->nreports + 1, c->alloc);
	c->reports[c->nreports++] = *r;
	memset(r, 0, sizeof(*r));
}

/*
 * Compare operands a and b (labels as the reports show them); roles, when
 * not NULL or empty, limits the items kept; sev/loc, when has_sev, override
 * the items' severity (a parity entry's own).
 */
static int compare_pair(struct check *c, const char *a, const char *b,
			const char *la, const char *lb,
			const struct ed_strvec *roles, int has_sev,
			enum drift_severity sev, const char *loc,
			struct ed_err *err)
{
	struct differ_run_opts ro;
	struct drift_report r;
	int rc;

	memset(&ro, 0, sizeof(ro));
	ro.labels[0] = la;
	ro.labels[1] = lb;
	ro.roles = roles;
	ro.rule = has_sev ? loc : NULL;
	ro.severity = sev;
	ro.today = c->today;
	ro.cache = c->cache;
	rc = differ_run(&r, c->st, c->rules, a, b, &ro, err);
	if (!rc)
		keep(c, &r);
	return rc;
}

static int check_parity(struct check *c, size_t p, struct ed_err *err)
{
	const struct baseline_rule *pe = &c->rules->parity.v[p];
	const struct ed_strvec *envs = &pe->envs, *roles = &pe->roles;
	enum drift_severity sev = pe->sev;
	const char *loc = pe->loc;
	int has_sev = pe->has_sev;
	size_t k;
	int rc = 0;

	for (k = 1; k < envs->nr && !rc; k++) {
		struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;

		ed_buf_addf(&a, "env:%s", envs->v[0]);
		ed_buf_addf(&b, "env:%s", envs->v[k]);
		rc = compare_pair(c, a.ptr, b.ptr, envs->v[0], envs->v[k], roles,
				  has_sev, sev, loc, err);
		ed_buf_release(&a);
		ed_buf_release(&b);
	}
	return rc;
}

/* Every pair of environments, for a report without parity entries. */
static int all_pairs(struct check *c, struct ed_err *err)
{
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	struct ed_strvec envs = ED_STRVEC_INIT;
	size_t n = 0, i, j;
	int rc = store_view_open(&v, c->st, NULL, err);

	if (!rc)
		rc = store_view_hosts(v, &h, &n, err);
	for (i = 0; !rc && i < n; i++)
		ed_strvec_push(&envs, h[i].env);
	ed_strvec_sort_unique(&envs);
	for (i = 0; !rc && i < envs.nr; i++)
		for (j = i + 1; !rc && j < envs.nr; j++) {
			struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;

			ed_buf_addf(&a, "env:%s", envs.v[i]);
			ed_buf_addf(&b, "env:%s", envs.v[j]);
			rc = compare_pair(c, a.ptr, b.ptr, envs.v[i], envs.v[j],
					  NULL, 0, SEV_INFO, NULL, err);
			ed_buf_release(&a);
			ed_buf_release(&b);
		}
	ed_strvec_release(&envs);
	store_hosts_free(h, n);
	store_view_free(v);
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
	int rc, need_hosts;

	drift_report_init(&r, "baseline", baseline ? baseline : "(built-in rules)");
	rc = store_view_open(&v, c->st, NULL, err);
	if (!rc)
		rc = store_hosts(c->st, &h, &n, err);
	if (rc < 0)
		goto out;
	r.commits[0] = ed_xstrdup(store_view_commit(v));
	r.hosts = n;
	dh = ed_xcalloc(n + 1, sizeof(*dh));
	ptrs = ed_xcalloc(n + 1, sizeof(*ptrs));
	/* every host's facts: for pins, and for toggles unchanged for long */
	need_hosts = c->rules->pins.nr > 0;
	for (i = 0; !need_hosts && c->toggle_days >= 0 && i < n; i++) {
		unsigned char id[20];

		need_hosts = !store_view_file_id(v, h[i].env, h[i].host, "toggles", id);
	}
	for (i = 0; i < n; i++) {
		/* a host only a failed scan names has no facts to load */
		if (need_hosts && h[i].last_commit[0]) {
			rc = differ_host_load_view(&dh[loaded], c->cache, v, h[i].env,
						   h[i].host, err);
			if (rc < 0)
				goto out;
			ptrs[loaded] = &dh[loaded];
			loaded++;
		}
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
			if (h[i].failure)
				ed_buf_addf(&d, "; the last scan failed: %s", h[i].failure);
			it->detail = ed_buf_detach(&d, NULL);
			it->host = ed_xstrdup(h[i].host);
			it->severity = SEV_CRITICAL;
		}
	}
	differ_rules_pins(c->rules, &r, ptrs, loaded);
	rc = differ_since(&r, c->st, c->rules, ptrs, loaded, NULL, 0,
			  DIFFER_SINCE_MAX_SCANS, err);
	if (!rc && loaded && c->toggle_days >= 0)
		rc = differ_stale_toggles(&r, c->st, ptrs, loaded,
					  (unsigned)c->toggle_days, err);
	if (!rc) {
		differ_rules_apply(c->rules, &r, c->today);
		keep(c, &r);
	}
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

/*
 * Pins and stale hosts are about single hosts, not the operands: fold that
 * report into the first parity report, so the common baseline (one parity
 * entry) gives one report that every format can carry.
 */
static void fold_hosts_report(struct check *c)
{
	struct drift_report *first, *last;
	size_t i;

	if (c->nreports < 2)
		return;
	first = &c->reports[0];
	last = &c->reports[c->nreports - 1];
	for (i = 0; i < last->nr; i++) {
		struct drift_item *it = drift_report_add(first, "", "", NULL, DRIFT_PIN);

		drift_item_release(it);
		*it = last->items[i];
	}
	last->nr = 0;
	for (i = 0; i < last->notes.nr; i++)
		ed_strvec_push(&first->notes, last->notes.v[i]);
	ed_strvec_sort_unique(&first->notes);
	drift_report_release(last);
	c->nreports--;
}

static void check_release(struct check *c)
{
	size_t i;

	for (i = 0; i < c->nreports; i++)
		drift_report_release(&c->reports[i]);
	free(c->reports);
	differ_fact_cache_free(c->cache);
}

/*
 * Run the gate: every parity pair, then pins and freshness on all hosts.
 * The reports end up in c->reports, rules applied.
 */
static int gate_run(struct check *c, const char *baseline, long long max_age,
		    struct ed_err *err)
{
	size_t p;
	int rc = 0;

	if (c->operands[0])
		rc = compare_pair(c, c->operands[0], c->operands[1],
				  c->operands[0], c->operands[1], NULL, 0,
				  SEV_INFO, NULL, err);
	else if (!c->rules->parity.nr && c->every_pair)
		rc = all_pairs(c, err);
	for (p = 0; !rc && !c->operands[0] && p < c->rules->parity.nr; p++)
		rc = check_parity(c, p, err);
	if (!rc)
		rc = check_hosts(c, baseline, max_age, err);
	if (!rc)
		fold_hosts_report(c);
	return rc;
}

/* Hosts reported stale and not waived. */
static size_t stale_hosts(const struct check *c)
{
	size_t i, j, n = 0;

	for (i = 0; i < c->nreports; i++)
		for (j = 0; j < c->reports[i].nr; j++)
			n += c->reports[i].items[j].kind == DRIFT_STALE &&
			     !c->reports[i].items[j].waived;
	return n;
}

static int failed(const struct check *c)
{
	size_t i;

	for (i = 0; i < c->nreports; i++)
		if (drift_report_failing(&c->reports[i], c->fail_on))
			return 1;
	return 0;
}

/* Options shared by check and report. */
struct gate_opts {
	const char *repo, *baseline, *color;
	long long max_age;
	int commit;
	struct cli_outputs outs;
};

static int parse_gate_opts(struct gate_opts *g, struct check *c, int argc,
			   char **argv, const char *cmd, const char *usage)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "max-age", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'F' },
		{ "color", required_argument, NULL, 'c' },
		{ "commit", no_argument, NULL, 'C' },
		{ "toggle-days", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			g->repo = optarg;
			break;
		case 'b':
			g->baseline = optarg;
			break;
		case 'f':
			if (drift_severity_parse(&c->fail_on, optarg) < 0)
				return cli_usage_error(cmd, "--fail-on takes critical, warning or info");
			break;
		case 'm':
			g->max_age = parse_duration(optarg);
			if (g->max_age < 0)
				return cli_usage_error(cmd, "--max-age takes a duration such as 26h, 90m, 2d");
			break;
		case 'F':
			if (cli_output_add(&g->outs, optarg) < 0)
				return cli_usage_error(cmd, "--format takes text, json, markdown, junit, html or patch, optionally :FILE");
			break;
		case 'c':
			g->color = optarg;
			break;
		case 't': {
			char *end;

			c->toggle_days = strtol(optarg, &end, 10);
			if (!*optarg || *end || c->toggle_days < 0)
				return cli_usage_error(cmd, "--toggle-days takes a number of days");
			break;
		}
		case 'C':
			if (strcmp(cmd, "report"))
				return cli_usage_error(cmd, "bad option '--commit'");
			g->commit = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK + 100;
		default:
			return cli_usage_error(cmd, "bad option");
		}
	}
	if (argc - optind == 2 && !strcmp(cmd, "check")) {
		c->operands[0] = argv[optind];
		c->operands[1] = argv[optind + 1];
	} else if (optind < argc) {
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if (!g->baseline && !c->operands[0] && !strcmp(cmd, "check"))
		return cli_usage_error(cmd, "give two operands (A B), or --baseline FILE with parity entries");
	return -1;
}

/* Defaults and options for check and report; an exit code, or -1 to go on. */
static int gate_begin(struct gate_opts *g, struct check *c, int argc,
		      char **argv, const char *cmd, const char *usage)
{
	int rc;

	memset(c, 0, sizeof(*c));
	memset(g, 0, sizeof(*g));
	c->fail_on = SEV_INFO;
	c->toggle_days = 30;
	g->max_age = -1;
	g->color = "auto";
	rc = parse_gate_opts(g, c, argc, argv, cmd, usage);
	if (rc >= 0) {
		cli_outputs_release(&g->outs);
		return rc == EXIT_OK + 100 ? EXIT_OK : rc;
	}
	return -1;
}

int cmd_check(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct baseline *rules = NULL;
	struct gate_opts g;
	struct check c;
	int rc = EXIT_ERROR;
	size_t stale;

	rc = gate_begin(&g, &c, argc, argv, "check", usage_text);
	if (rc >= 0)
		return rc;
	rc = EXIT_ERROR;
	differ_today(c.today);
	if (baseline_load(&rules, g.baseline, &err) < 0 ||
	    store_open(&c.st, cli_repo_path(g.repo), &err) < 0)
		goto out;
	c.rules = rules;
	c.cache = differ_fact_cache_new();
	if (gate_run(&c, g.baseline, g.max_age, &err) < 0 ||
	    cli_outputs_write(&g.outs, c.reports, c.nreports, g.color, &err) < 0)
		goto out;
	stale = stale_hosts(&c);
	/* the one-line verdict goes to stderr; stdout is the report */
	if (stale)
		fprintf(stderr, "check: ERROR: %zu host%s not collected within --max-age\n",
			stale, stale == 1 ? "" : "s");
	else
		fprintf(stderr, "check: %s (fail on %s)\n",
			failed(&c) ? "FAILED" : "passed",
			drift_severity_name(c.fail_on));
	if (stale) {
		/* stale data is an error, not drift: 2 wins over 1 */
		rc = EXIT_ERROR + 100;
		goto out;
	}
	rc = failed(&c) ? EXIT_DRIFT : EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	if (rc == EXIT_ERROR + 100)
		rc = EXIT_ERROR;
	check_release(&c);
	store_free(c.st);
	baseline_free(rules);
	cli_outputs_release(&g.outs);
	return rc;
}

static const char report_usage[] =
	"usage: envdrift report [--baseline FILE] [--repo DIR] [--max-age DURATION]\n"
	"                       [--commit] [--format FORMAT[:FILE]]...\n"
	"\n"
	"What check compares (the baseline's parity entries, or every pair of\n"
	"environments when it declares none; pins; stale hosts) as a report that\n"
	"never fails: exit 0 unless an error (2). With --commit, a Markdown and a\n"
	"JSON report per pair go to reports/A..B.{md,json} in the state repository\n"
	"as a commit of their own (trailer Envdrift-Kind: report, not a scan),\n"
	"rendered without run ids or scan counts, so `git log -p -- reports/` shows\n"
	"drift appearing and being fixed. The baseline is --baseline, else\n"
	"$ENVDRIFT_BASELINE.\n";

/* "staging..prod" with characters outside [A-Za-z0-9._-] made '_'. */
static void pair_name(struct ed_buf *out, const struct drift_report *r)
{
	size_t i, k;

	for (k = 0; k < 2; k++) {
		const char *p = r->operands[k];

		if (k)
			ed_buf_adds(out, "..");
		for (i = 0; p[i]; i++) {
			char ch = p[i];
			int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
				 ch == '-';

			ed_buf_addch(out, ok ? ch : '_');
		}
	}
}

/*
 * For each compared pair, a Markdown and a JSON report under reports/ of
 * the state repository, rendered without per-run values so an unchanged
 * drift makes no change: git log -p reports/ shows drift appear and go.
 */
static int commit_reports(struct check *c, unsigned lock_ms, struct ed_err *err)
{
	static const struct {
		const char *format, *ext;
	} files[] = { { "markdown", ".md" }, { "json", ".json" } };
	struct snapshot snap = SNAPSHOT_INIT;
	struct ed_buf subject = ED_BUF_INIT;
	struct ed_strvec trailers = ED_STRVEC_INIT;
	char commit[41];
	size_t i, k, items = 0;
	int rc = 0, unchanged = 0;

	for (i = 0; i < c->nreports && !rc; i++) {
		struct drift_report *r = &c->reports[i];

		r->stable = 1;
		items += r->nr;
		for (k = 0; k < sizeof(files) / sizeof(files[0]) && !rc; k++) {
			struct ed_buf b = ED_BUF_INIT, name = ED_BUF_INIT;
			char *mem = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&mem, &len);

			if (!f) {
				rc = ed_err_errno(err, ED_EIO, errno, "open_memstream");
				break;
			}
			rc = report_write(f, files[k].format, r, 0, err);
			if (fclose(f) != 0 && !rc)
				rc = ed_err_errno(err, ED_EIO, errno, "rendering");
			if (!rc) {
				ed_buf_add(&b, mem, len);
				pair_name(&name, r);
				ed_buf_adds(&name, files[k].ext);
				snapshot_add_buf(&snap, name.ptr, &b);
			}
			free(mem);
			ed_buf_release(&b);
			ed_buf_release(&name);
		}
	}
	if (!rc)
		rc = store_lock(c->st, lock_ms, err);
	ed_buf_addf(&subject, "report: %zu drift items, %s", items,
		    failed(c) ? "failing" : "passing");
	ed_strvec_push(&trailers, "Envdrift-Kind: report");
	if (!rc) {
		snapshot_sort(&snap);
		rc = store_commit_dir(c->st, commit, "reports", &snap, subject.ptr,
				      &trailers, &unchanged, err);
	}
	if (!rc && unchanged)
		printf("%s; unchanged since the last report (no commit)\n", subject.ptr);
	else if (!rc)
		printf("%s; committed %.12s (reports/)\n", subject.ptr, commit);
	snapshot_release(&snap);
	ed_buf_release(&subject);
	ed_strvec_release(&trailers);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct baseline *rules = NULL;
	struct gate_opts g;
	struct check c;
	int rc;

	rc = gate_begin(&g, &c, argc, argv, "report", report_usage);
	if (rc >= 0)
		return rc;
	rc = EXIT_ERROR;
	if (!g.baseline)
		g.baseline = getenv("ENVDRIFT_BASELINE");
	c.every_pair = 1;
	differ_today(c.today);
	if (baseline_load(&rules, g.baseline, &err) < 0 ||
	    store_open(&c.st, cli_repo_path(g.repo), &err) < 0)
		goto out;
	c.rules = rules;
	c.cache = differ_fact_cache_new();
	if (gate_run(&c, g.baseline ? g.baseline : "(built-in rules)", g.max_age, &err) < 0)
		goto out;
	if (g.commit ? commit_reports(&c, 300000, &err) < 0 :
		       cli_outputs_write(&g.outs, c.reports, c.nreports, g.color, &err) < 0)
		goto out;
	rc = EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	check_release(&c);
	store_free(c.st);
	baseline_free(rules);
	cli_outputs_release(&g.outs);
	return rc;
}
