#ifndef ENVDRIFT_BASELINES_BASELINE_H
#define ENVDRIFT_BASELINES_BASELINE_H
/*
 * Baselines: the comparison rules as written in YAML, loaded into a
 * struct baseline. The built-in baselines/diff-defaults.yaml comes first,
 * then a --baseline file, then its waivers file beside it
 * (BASE.waivers.yaml, which "envdrift accept" appends to). Keys: ignore,
 * per-host, severity, pins, parity, waivers, expect (README "Baselines"). Every rule
 * keeps its file:line. This module only loads; the differ applies them.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

/* How much an item matters; a baseline's severity rules set it. */
enum drift_severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };

/* "info", "warning" or "critical". */
const char *drift_severity_name(enum drift_severity s);
/* The severity named s in *out: 0, or -1 (*out untouched) for another word. */
int drift_severity_parse(enum drift_severity *out, const char *s);

/* Expected differences ("expect:" in a baseline). */
enum baseline_expect {
	EXPECT_NONE,
	EXPECT_ALWAYS,
	EXPECT_MEMORY,
	EXPECT_BETWEEN
};

/* One rule; which fields mean something depends on its list. */
struct baseline_rule {
	char *pattern;           /* "collector:key" glob */
	int negate;              /* ignore: "!pattern" */
	enum drift_severity sev; /* severity, pins, parity (SEV_WARNING unless given) */
	char *op, *value; /* pins: "=", ">=", ..., "present", "absent" */
	char *reason, *expires, *env, *host; /* waivers */
	struct ed_strvec roles, envs; /* parity (roles empty: all); expect */
	int has_sev;                  /* parity: severity given */
	enum baseline_expect mode;    /* expect */
	char *loc;                    /* "file:line" */
};

struct baseline_rule_list {
	struct baseline_rule *v;
	size_t nr, alloc;
};

/* In file order: where several rules match, the differ takes the last. */
struct baseline {
	struct baseline_rule_list ignore, severity, pins, parity, waivers, expect;
	/*
	 * per-host: facts that differ between hosts by design (host keys, a
	 * host's own name): never compared between two different hosts, but
	 * compared for the same host over time (host@A host, env@A env).
	 */
	struct baseline_rule_list per_host;
};

/*
 * Load the built-in rules, then path (NULL: none) and its waivers file if
 * it exists. ED_EPARSE names "file:line:col: what"; ED_ENOTFOUND or ED_EIO
 * for an unreadable path. On success the caller frees *out.
 */
int baseline_load(struct baseline **out, const char *path, struct ed_err *err);
void baseline_free(struct baseline *bl);
/* BASE.waivers.yaml for BASE.yaml (or .yml), appended to out. */
void baseline_waivers_path(struct ed_buf *out, const char *path);
/* 1 if s is a date YYYY-MM-DD, as a waiver's expires takes. */
int baseline_valid_date(const char *s);

#endif
