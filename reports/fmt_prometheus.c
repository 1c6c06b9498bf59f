/*
 * prometheus: drift as metrics, in the text exposition format 0.0.4 that
 * node_exporter's textfile collector reads. Every series is a gauge of the
 * state now (counts of items and hosts, times in unix seconds), computed
 * for the whole document at once: several reports of one pair add up, so
 * no series is written twice. Output is sorted by name and labels, so two
 * runs over the same state write the same bytes.
 */
#include "reports/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/store.h"
#include "reports/report.h"

enum fam {
	F_CHECK,
	F_DRIFT,
	F_WAIVED,
	F_FAILED,
	F_HOSTS,
	F_DURATION,
	F_SCAN_TIME,
	F_STALE,
};

/* In name order, so the document is sorted by metric name. */
static const struct {
	const char *name;
	const char *help;
	int sum; /* equal series add up (counts), else the larger wins */
} fams[] = {
	[F_CHECK] = { "envdrift_check_status",
		      "Exit status of envdrift check: 0 passed, 1 drift at or above --fail-on, 2 error (stale hosts).",
		      0 },
	[F_DRIFT] = { "envdrift_drift_items",
		      "Drift items not waived, by compared pair (a, b), collector and severity.",
		      1 },
	[F_WAIVED] = { "envdrift_drift_waived_items",
		       "Drift items accepted by a waiver, by compared pair (a, b), collector and severity.",
		       1 },
	[F_FAILED] = { "envdrift_failed_hosts",
		       "Hosts whose latest scan failed since their last collection, by environment and state.",
		       1 },
	[F_HOSTS] = { "envdrift_hosts",
		      "Hosts in the state repository, by environment.", 1 },
	[F_DURATION] = { "envdrift_last_scan_duration_seconds",
			 "How long the environment's latest scan or collect took.",
			 0 },
	[F_SCAN_TIME] = { "envdrift_last_scan_timestamp_seconds",
			  "When the environment's latest scan or collect was committed, in unix time.",
			  0 },
	[F_STALE] = { "envdrift_stale_hosts",
		      "Hosts not collected within check's --max-age, by environment.",
		      1 },
};

struct sample {
	enum fam fam;
	char *labels; /* name="value",... escaped, or "" */
	double value;
};

struct samples {
	struct sample *v;
	size_t nr, alloc;
	struct ed_buf labels; /* the next sample's, built by label() */
};

/*
 * Append name="value" to s->labels. The format escapes backslash, quote
 * and newline; other control bytes and invalid UTF-8 become the text
 * \xNN, so every value is valid UTF-8 and still tells bytes apart.
 */
static void label(struct samples *s, const char *name, const char *value)
{
	const unsigned char *p = (const unsigned char *)value;
	struct ed_buf *b = &s->labels;

	ed_buf_addf(b, "%s%s=\"", b->len ? "," : "", name);
	while (*p) {
		size_t n = *p < 0x80 ? 1 : report_utf8_len(p);

		if (*p == '\\' || *p == '"') {
			ed_buf_addch(b, '\\');
			ed_buf_addch(b, (char)*p);
		} else if (*p == '\n') {
			ed_buf_adds(b, "\\n");
		} else if (!n || *p < 0x20 || *p == 0x7f) {
			ed_buf_addf(b, "\\\\x%02x", *p);
		} else {
			ed_buf_add(b, p, n);
			p += n;
			continue;
		}
		p++;
	}
	ed_buf_addch(b, '"');
}

/* A sample of fam with the labels built so far (which are then reset). */
static void put(struct samples *s, enum fam fam, double value)
{
	struct sample *x;

	ED_ALLOC_GROW(s->v, s->nr + 1, s->alloc);
	x = &s->v[s->nr++];
	x->fam = fam;
	x->labels = ed_xstrdup(s->labels.ptr);
	x->value = value;
	ed_buf_reset(&s->labels);
}

static void put_item(struct samples *s, enum fam fam,
		     const struct drift_report *r, const char *collector,
		     size_t sev, double value)
{
	label(s, "a", r->operands[0]);
	label(s, "b", r->operands[1]);
	label(s, "collector", collector);
	label(s, "severity", drift_severity_name((enum drift_severity)sev));
	put(s, fam, value);
}

/*
 * Items by pair, collector and severity. Every collector compared gets
 * its zeros, so fixed drift reads 0 rather than vanishing.
 */
static void drift(struct samples *s, const struct drift_report *r)
{
	size_t i, sev;

	for (i = 0; i < r->compared.nr; i++) {
		const char *tab = strchr(r->compared.v[i], '\t');
		const char *collector = tab ? tab + 1 : r->compared.v[i];

		for (sev = SEV_INFO; sev <= SEV_CRITICAL; sev++) {
			put_item(s, F_DRIFT, r, collector, sev, 0);
			put_item(s, F_WAIVED, r, collector, sev, 0);
		}
	}
	for (i = 0; i < r->nr; i++) {
		const struct drift_item *it = &r->items[i];

		put_item(s, it->waived ? F_WAIVED : F_DRIFT, r, it->collector,
			 report_sev(it), 1);
	}
}

static int cmp_host_name(const void *pa, const void *pb)
{
	const struct store_host *a = *(const struct store_host *const *)pa;
	const struct store_host *b = *(const struct store_host *const *)pb;

	return strcmp(a->host, b->host);
}

/* env, then the latest collection first (one with a duration first) */
static int cmp_env_latest(const void *pa, const void *pb)
{
	const struct store_host *a = *(const struct store_host *const *)pa;
	const struct store_host *b = *(const struct store_host *const *)pb;
	int c = strcmp(a->env, b->env);

	if (!c)
		c = (a->last_success < b->last_success) -
		    (a->last_success > b->last_success);
	if (!c)
		c = (a->last_duration < b->last_duration) -
		    (a->last_duration > b->last_duration);
	return c;
}

/* Each environment's latest collection: when, and how long it took. */
static void last_scans(struct samples *s, const struct store_host **v, size_t n)
{
	size_t i;

	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_env_latest);
	for (i = 0; i < n; i++) {
		if ((i && !strcmp(v[i]->env, v[i - 1]->env)) || !v[i]->last_success)
			continue;
		label(s, "env", v[i]->env);
		put(s, F_SCAN_TIME, (double)v[i]->last_success);
		if (v[i]->last_duration >= 0) {
			label(s, "env", v[i]->env);
			put(s, F_DURATION, v[i]->last_duration);
		}
	}
}

/*
 * STALE items not waived (as check counts them), by their host's env;
 * a host once, should two reports both name it.
 */
static void stale(struct samples *s, const struct report_ctx *c, size_t n,
		  const struct store_host **by_name, size_t nhosts)
{
	struct ed_strvec names = ED_STRVEC_INIT;
	struct store_host key;
	const struct store_host *kp = &key, *const * hit;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < c[i].r->nr; j++) {
			const struct drift_item *it = &c[i].r->items[j];

			if (it->kind == DRIFT_STALE && !it->waived && it->host)
				ed_strvec_push(&names, it->host);
		}
	ed_strvec_sort_unique(&names);
	memset(&key, 0, sizeof(key));
	for (i = 0; i < names.nr && nhosts; i++) {
		key.host = names.v[i];
		hit = bsearch(&kp, by_name, nhosts, sizeof(*by_name),
			      cmp_host_name);
		if (!hit)
			continue; /* every STALE host is a store host */
		label(s, "env", (*hit)->env);
		put(s, F_STALE, 1);
	}
	ed_strvec_release(&names);
}

static void fleet(struct samples *s, const struct report_fleet *f,
		  const struct report_ctx *c, size_t n)
{
	const struct store_host **v = NULL;
	size_t i;

	if (f->check_status >= 0)
		put(s, F_CHECK, f->check_status);
	if (f->nhosts)
		v = ed_xcalloc(f->nhosts, sizeof(*v));
	for (i = 0; i < f->nhosts; i++) {
		const struct store_host *h = &f->hosts[i];

		v[i] = h;
		label(s, "env", h->env);
		put(s, F_HOSTS, 1);
		if (f->stale_checked) {
			label(s, "env", h->env);
			put(s, F_STALE, 0);
		}
		if (h->failure) {
			char *state = ed_xstrndup(h->failure,
						  strcspn(h->failure, ":"));

			label(s, "env", h->env);
			label(s, "state", state);
			put(s, F_FAILED, 1);
			free(state);
		}
	}
	if (f->stale_checked) {
		if (f->nhosts > 1)
			qsort(v, f->nhosts, sizeof(*v), cmp_host_name);
		stale(s, c, n, v, f->nhosts);
	}
	last_scans(s, v, f->nhosts);
	free(v);
}

static int cmp_sample(const void *pa, const void *pb)
{
	const struct sample *a = pa, *b = pb;

	if (a->fam != b->fam)
		return a->fam < b->fam ? -1 : 1;
	return strcmp(a->labels, b->labels);
}

static void write_samples(FILE *out, struct samples *s)
{
	size_t i, j;

	if (s->nr > 1)
		qsort(s->v, s->nr, sizeof(*s->v), cmp_sample);
	for (i = 0; i < s->nr; i = j) {
		const struct sample *x = &s->v[i];
		double value = x->value;

		for (j = i + 1; j < s->nr && !cmp_sample(x, &s->v[j]); j++)
			if (fams[x->fam].sum)
				value += s->v[j].value;
			else if (s->v[j].value > value)
				value = s->v[j].value;
		if (!i || s->v[i - 1].fam != x->fam)
			fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n",
				fams[x->fam].name, fams[x->fam].help,
				fams[x->fam].name);
		fprintf(out, "%s%s%s%s %.15g\n", fams[x->fam].name,
			*x->labels ? "{" : "", x->labels, *x->labels ? "}" : "",
			value);
	}
}

static void write_metrics(FILE *out, const struct report_ctx *c, size_t n)
{
	struct samples s;
	size_t i;

	memset(&s, 0, sizeof(s));
	ed_buf_init(&s.labels);
	for (i = 0; i < n; i++)
		drift(&s, c[i].r);
	if (c->fleet)
		fleet(&s, c->fleet, c, n);
	write_samples(out, &s);
	for (i = 0; i < s.nr; i++)
		free(s.v[i].labels);
	free(s.v);
	ed_buf_release(&s.labels);
}

/* Several reports: all of them at once, before the first is driven. */
static void prom_many_begin(FILE *out, const struct report_ctx *c, size_t n)
{
	write_metrics(out, c, n);
}

static void prom_begin(struct report_ctx *c)
{
	if (c->nreports == 1)
		write_metrics(c->out, c, 1);
}

const struct report_format report_prometheus = {
	.name = "prometheus",
	.many_begin = prom_many_begin,
	.begin = prom_begin,
};
