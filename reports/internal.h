#ifndef ENVDRIFT_REPORTS_INTERNAL_H
#define ENVDRIFT_REPORTS_INTERNAL_H
/*
 * What the report formats share, and nothing outside reports/ includes:
 * the format interface report.c drives, the counts it computes up front,
 * and escaping helpers for values that may hold any byte but NUL.
 */
#include <stdio.h>

#include "core/buf.h"
#include "differ/differ.h"

struct report_counts {
	size_t items;
	size_t sev[3]; /* items not waived, by drift_severity */
	size_t waived;
	size_t kind[DRIFT_KINDS];
	size_t failures;      /* not waived, warning or critical */
	size_t groups;        /* (role, collector) groups */
	size_t failed_groups; /* groups holding a failure */
	size_t facts;         /* fact groups (below) */
};

struct report_fleet;

/*
 * The state a format sees. report.c visits the items ordered by role
 * (NULL first), then collector (or severity first, for a format that
 * asks), keeping the differ's order otherwise, and calls section/group
 * hooks around each run of one role / one collector.
 */
struct report_ctx {
	FILE *out;
	const struct drift_report *r;
	int color;     /* ANSI colours wanted (text only) */
	int all_hosts; /* every host named, not counted (REPORT_ALL_HOSTS) */
	struct report_counts total;
	struct report_counts section; /* the current role's items */
	struct report_counts group;   /* the current collector's items */
	size_t section_index;         /* 0 for the first role */
	size_t item_index;            /* 0 for the first item visited */
	struct ed_buf scratch; /* a format's own; emptied at group start */
	struct ed_strvec hosts; /* a format's own, too */
	/*
	 * report_write_many: r is report report_index (0-based) of nreports
	 * written into one document; 0 of 1 for report_write.
	 */
	size_t report_index;
	size_t nreports;
	/*
	 * The current item's fact group: the items of one role that say the
	 * same thing about different hosts (outliers of one fact with the
	 * same value against the same consensus, on either side, same
	 * severity), visited one after the other. fact[0..fact_n) are its
	 * items, fact_pos the current item's place, fact_id its number in
	 * the report (from 1). An item alone is a group of one.
	 */
	const struct drift_item *const *fact;
	size_t fact_n, fact_pos, fact_id;
	void *priv; /* a format's own state: set in begin, freed in end */
	const struct report_fleet *fleet; /* report_write_fleet's, or NULL */
};

/*
 * A format fills in the hooks it needs; NULL hooks are skipped. Items come
 * only between section_begin and section_end, and a clean report (r->nr
 * 0) gets begin and end alone. role is NULL for host vs host.
 *
 * Several reports in one document (report_write_many, n > 1): many_begin
 * runs first with every report's context (counts ready, nothing visited
 * yet), then each report is driven as above with many_sep written between
 * two, then many_end. A format whose documents nest (json, junit, html)
 * writes its outer parts there and, seeing c->nreports > 1, leaves them
 * out of begin and end.
 */
struct report_format {
	const char *name;
	void (*many_begin)(FILE *out, const struct report_ctx *c, size_t n);
	const char *many_sep;
	void (*many_end)(FILE *out, const struct report_ctx *c, size_t n);
	void (*begin)(struct report_ctx *c);
	void (*section_begin)(struct report_ctx *c, const char *role);
	void (*group_begin)(struct report_ctx *c, const char *role,
			    const char *collector);
	void (*item)(struct report_ctx *c, const struct drift_item *it);
	void (*group_end)(struct report_ctx *c, const char *role,
			  const char *collector);
	void (*section_end)(struct report_ctx *c, const char *role);
	void (*end)(struct report_ctx *c);
	/*
	 * Not 0: the document is cut at the last line that keeps it under
	 * this many bytes, with a line saying how many table rows were left
	 * out (report.c).
	 */
	size_t max_bytes;
	/*
	 * 1: items are visited worst first within a role (failing before
	 * waived, then by severity), for formats read top down by a person
	 * and cut at a size; 0: by collector.
	 */
	int severity_first;
};

extern const struct report_format report_text, report_json, report_markdown,
	report_junit, report_html, report_patch, report_prometheus;

/* Severity and kind as table indexes, clamped to the enums' ranges. */
size_t report_sev(const struct drift_item *it);
size_t report_kind(const struct drift_item *it);
/* 1 if it fails a check: not waived, severity warning or critical. */
int report_fails(const struct drift_item *it);
/*
 * 1 if it is about one host and has no operand values (a PIN or STALE
 * item naming host): shown as "HOST has host_value", not as A=... B=....
 */
int report_host_only(const struct drift_item *it);
/*
 * 0 for a host-only item shown as its host alone: a STALE host without a
 * value, whose detail says why ("prd-2 has (absent)" would mislead).
 */
int report_shows_host_value(const struct drift_item *it);

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence starting at p (RFC 3629:
 * no overlong forms, surrogates or code points past U+10FFFF), 0 if p
 * does not start one. p is NUL-terminated; ASCII (NUL aside) is 1.
 */
size_t report_utf8_len(const unsigned char *p);

/*
 * Write s (NULL: nothing) for a human reader. For each ASCII byte,
 * special(c) may return its replacement (NULL: as is); the rest of the
 * C0 controls and DEL become "\xNN", as do bytes of invalid UTF-8 and
 * U+FFFE/U+FFFF, which XML forbids. Valid UTF-8 passes through, so the
 * output is well-formed UTF-8 and free of terminal escapes.
 */
void report_put(FILE *out, const char *s, const char *(*special)(unsigned char c));

/*
 * hosts lists sorted "VALUE\tHOST" lines. From line i, copy VALUE into
 * value (reset first) and return the end of the run of lines sharing it.
 * report_host_name gives a line's HOST. Values may hold tabs, host names
 * do not: the split is at the last tab.
 */
size_t report_hosts_run(const struct ed_strvec *hosts, size_t i,
			struct ed_buf *value);
/*
 * The hosts of every item of the current fact group, as "VALUE\tHOST"
 * lines, sorted, each once, into out (reset first).
 */
void report_fact_hosts(struct ed_strvec *out, const struct report_ctx *c);
/*
 * The runs of a sorted "VALUE\tHOST" list, one per value, the smallest
 * (the hosts that deviate) first, ties in list order: *out, freed by the
 * caller; returns how many.
 */
struct report_run {
	size_t from, to; /* [from, to) of hosts */
};
size_t report_host_runs(struct report_run **out, const struct ed_strvec *hosts,
			struct ed_buf *scratch);
/*
 * Write the current fact group's outlier hosts by side, "h8 (staging),
 * h108, h608 (prod)", a side past REPORT_HOSTS_SHOWN hosts cut to "and N
 * more" unless all_hosts; put writes a value escaped for the format.
 * Returns how many hosts of those sides hold the other value.
 */
size_t report_put_outliers(const struct report_ctx *c,
			   void (*put)(FILE *, const char *));
/*
 * r's items by collector: names sorted, n[i] the counts of names.v[i] by
 * drift_severity for those not waived and REPORT_WAIVED for the waived.
 * Free with report_tally_release.
 */
#define REPORT_WAIVED 3
struct report_tally {
	struct ed_strvec names;
	size_t (*n)[4];
};
void report_tally_collectors(struct report_tally *t, const struct drift_report *r);
void report_tally_release(struct report_tally *t);
/* Hosts lists longer than this are a count unless asked for in full. */
#define REPORT_HOSTS_SHOWN 10
const char *report_host_name(const char *line);

/*
 * The HTML report's overview (reports/fmt_html_map.c): rows (hosts that
 * deviate and roles, or roles and sides when folded) against collectors.
 * A cell's worst is a drift_severity, -1 when all its items are waived.
 */
struct html_cell {
	size_t n;
	int worst;
};
struct html_map {
	struct ed_strvec rows;    /* sorted */
	struct report_tally cols; /* the collectors, and their counts */
	int folded;
	struct html_cell *cells; /* rows.nr x cols.nr */
};
struct html_map *html_map_new(const struct report_ctx *c);
void html_map_free(struct html_map *m);
size_t html_map_row(const struct html_map *m, const struct report_ctx *c,
		    const struct drift_item *it);
size_t html_map_col(const struct html_map *m, const struct drift_item *it);
/* The counts table and the heatmap; h escapes a value. */
void html_map_write(FILE *out, const struct html_map *m,
		    void (*h)(FILE *, const char *));

#endif
