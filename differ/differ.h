#ifndef ENVDRIFT_DIFFER_DIFFER_H
#define ENVDRIFT_DIFFER_DIFFER_H
/*
 * The differ: compares hosts, and environments per role, as sets of facts
 * ("collector:key" = value) parsed from the snapshot files. Between two
 * environments it compares each side's consensus (the value most hosts of
 * the role hold) and reports, inside each, the hosts that differ from it.
 * Packages are compared with their manager's version order.
 */
#include <stddef.h>

#include "baselines/baseline.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/snapshot.h"
#include "core/strvec.h"

/* A run of facts that came from one parsed file, possibly shared. */
struct fact_span {
	const void *table; /* identity of the parsed file (same blob, same table) */
	size_t start, len;
};

/* One host's facts, as read back from the store. */
struct differ_host {
	char *env;
	char *host;
	struct ed_strvec roles;       /* from meta; "default" when none */
	struct ed_strvec uncollected; /* collectors meta says were not collected */
	char *pkg_manager;            /* "dpkg", "rpm", "apk" or NULL */
	/*
	 * Sorted by collector, then key. The facts themselves are a fact
	 * cache's tables' (hosts with one blob share them) or own[]; a host
	 * holds only pointers, a third of the memory of copies.
	 */
	const struct fact **facts;
	size_t nr_facts;
	struct fact *own; /* the facts h owns (differ_host_load), strings too */
	size_t nr_own;
	struct fact **cow; /* facts normalisation rewrote: h's, strings borrowed */
	size_t nr_cow, alloc_cow;
	int borrowed;               /* fact strings belong to a fact cache */
	struct fact_span spans[16]; /* where facts came from (cached loads) */
	size_t nspans;
	void *facts_chunk; /* the fact cache's chunk facts sit in; NULL: malloc'd */
	struct ed_strvec owned; /* strings facts point to that h owns */
	/*
	 * Set by differ_normalize: the kernel addresses (MACs) its identity
	 * file records are all another compared host's too, so they are not
	 * this host's own (a shared kernel, a copied table): its stored
	 * network configuration says who it is instead.
	 */
	unsigned identity_shared_addrs:1, identity_shared_macs:1;
};

struct fact {
	char *collector; /* "packages", "sysctl", "files", ... */
	char *key;       /* "openssl:amd64", "vm.swappiness", "/etc/hosts" */
	char *value;
};

/*
 * Parse a host's snapshot files into out (which takes env and host
 * copies). Lines that do not parse are ED_EPARSE with "file:line: what".
 * Release with differ_host_release.
 */
int differ_host_load(struct differ_host *out, const char *env, const char *host,
		     const struct snapshot *snap, struct ed_err *err);
void differ_host_release(struct differ_host *h);

/*
 * Parsed snapshot files keyed by blob id, so the files many hosts share
 * (most of a role's packages, sysctl, services) are read and parsed once
 * and their strings shared. The hosts' fact arrays live in it too: free
 * the cache after every host loaded through it is released.
 */
struct differ_fact_cache;
struct store_view;

struct differ_fact_cache *differ_fact_cache_new(void);
void differ_fact_cache_free(struct differ_fact_cache *c);
/* differ_host_load from the store: v's host env/host, through cache. */
int differ_host_load_view(struct differ_host *out, struct differ_fact_cache *c,
			  const struct store_view *v, const char *env,
			  const char *host, struct ed_err *err);

/*
 * What normalisation between hosts does to host's fact collector:key at
 * the tip of st (differ/normalize.c): its identity, one line per token
 * ("identity: {addr4} = 10.20.1.6"), then for a stored text file each line
 * normalisation changes ("line 3: RAW -> NORMALISED"), for a listener on
 * an own address that it is compared by class. Lines appended to out.
 * ED_ENOTFOUND if host is not in st.
 */
struct store;
int differ_explain_identity(struct ed_strvec *out, struct store *st,
			    const char *host, const char *collector,
			    const char *key, struct ed_err *err);

/*
 * Rules (a struct baseline, baselines/baseline.h) as the differ applies
 * them. Every function here takes NULL rules as "no rules".
 */
/* 1 if the fact collector:key is ignored by the rules. */
int differ_rules_ignored(const struct baseline *r, const char *collector,
			 const char *key);
/*
 * 1 if collector:key is of the per-host class: compared only when the same
 * host name is on both sides, never between two different hosts.
 */
int differ_rules_per_host(const struct baseline *r, const char *collector,
			  const char *key);
/* Today's date in UTC as YYYY-MM-DD, for waiver expiry. */
void differ_today(char out[11]);
/*
 * The rules that decide collector:key, one line each ("file:line: what"),
 * appended to out: for "envdrift explain".
 */
void differ_rules_explain(const struct baseline *r, const char *collector,
			  const char *key, const char *today,
			  struct ed_strvec *out);
/*
 * The collectors facts come from, as a fact's "COLLECTOR:" names them
 * (files, packages, sysctl, ...): a NULL-ended static list, sorted.
 */
const char *const *differ_collectors(void);
/*
 * The expectation deciding collector:key (the last matching rule); for
 * EXPECT_BETWEEN *envs gets its environments. envs and loc may be NULL.
 */
enum baseline_expect differ_rules_expect(const struct baseline *r,
					 const char *collector, const char *key,
					 const struct ed_strvec **envs,
					 const char **loc);

enum drift_kind {
	DRIFT_CHANGED,
	DRIFT_MISSING,
	DRIFT_EXTRA,
	DRIFT_OUTLIER,
	DRIFT_PIN,   /* a pinned value or constraint is violated */
	DRIFT_STALE, /* a host's last collection is older than allowed */
};
#define DRIFT_KINDS 6

/*
 * One difference. values[0] and values[1] are the two sides' values (NULL
 * where absent: missing on side 1 means kind MISSING, on side 0 EXTRA).
 * For an OUTLIER, side says which operand's group it belongs to, host is
 * the odd one, values[side] the group's consensus and host_value its own.
 * hosts lists "VALUE\tHOST" pairs: who holds what.
 */
struct drift_item {
	char *collector;
	char *key;
	char *role; /* the role compared, NULL for host vs host */
	enum drift_kind kind;
	char *values[2];
	int newer;         /* packages: 0 or 1 for the newer side, -1 none */
	int side;          /* OUTLIER: which operand's group */
	char *host;        /* OUTLIER: the host that differs */
	char *host_value;  /* OUTLIER: its value (NULL: absent) */
	size_t group_size; /* OUTLIER: hosts in the group */
	struct ed_strvec hosts;     /* "VALUE\tHOST", sorted; read-only when
				 * shared */
	struct drift_hosts *shared; /* hosts' storage, when shared */
	enum drift_severity severity;
	char *rule;   /* "file:line" of the deciding rule, or NULL */
	char *detail; /* PIN: the constraint ("openssl >= 3.0.15");
				 * STALE: "last collected 2026-11-20T01:00:00Z" */
	char *shard;  /* STALE: "K/N" of the scan that last collected it */
	int waived;   /* accepted by a waiver: reported, not failing */
	char *waiver; /* WAIVED: "file:line: reason (until DATE)" */
	/* drift age: the first scan in which this item held, "" if unknown */
	char since_date[11]; /* YYYY-MM-DD (UTC) */
	char since_commit[41];
	size_t since_scans; /* scans of the involved hosts since then */
	int since_cut; /* held at least since: a shallow clone's history ends */
	char *patch;   /* files items: unified diff of the contents */
};

struct drift_report {
	char *operands[2]; /* as the user typed them */
	char *commits[2];  /* commit ids of each side */
	size_t hosts;      /* hosts compared */
	struct drift_item *items;
	size_t nr;
	size_t alloc;
	struct ed_strvec notes; /* e.g. "kernel not collected on img-1" */
	int stable;             /* render without per-run values (commit ids,
				 * scan counts): for reports kept in git */
	int no_hosts;           /* leave items' hosts lists empty (re-checks) */
	struct ed_strvec compared; /* "ROLE\tCOLLECTOR" of every group compared
				    * (ROLE "" for host vs host), sorted */
};

void drift_report_init(struct drift_report *r, const char *a, const char *b);
/* Free what one item owns (for callers that drop items). */
void drift_item_release(struct drift_item *it);
/*
 * One host list several items hold: the outliers of one key on one side
 * all list that side's hosts, and copying it into each made a fleet's
 * report quadratic in hosts. drift_hosts_new takes list's contents (list
 * is left empty); each drift_item_share_hosts points it->hosts at them,
 * read-only, and takes a reference; drift_hosts_put drops the creator's.
 */
struct drift_hosts;
struct drift_hosts *drift_hosts_new(struct ed_strvec *list);
void drift_item_share_hosts(struct drift_item *it, struct drift_hosts *h);
void drift_hosts_put(struct drift_hosts *h);
/* A new item (severity warning, no values), owned by r. */
struct drift_item *drift_report_add(struct drift_report *r,
				    const char *collector, const char *key,
				    const char *role, enum drift_kind kind);
void drift_report_release(struct drift_report *r);
/* 1 if an item of r that is not waived reaches severity fail_on. */
int drift_report_failing(const struct drift_report *r,
			 enum drift_severity fail_on);

/*
 * Compare two groups of hosts (one host each for host vs host). Each
 * group is compared per role: its consensus against the other's, and each
 * host against its own group's consensus (outliers). Facts of collectors a
 * host did not collect are left out for that host; sysctl-per-host facts
 * are never compared. Appends to r.
 */
int differ_compare(struct drift_report *r, const struct baseline *rules,
		   const struct differ_host *const *a, size_t na,
		   const struct differ_host *const *b, size_t nb,
		   struct ed_err *err);

/*
 * Apply severities and waivers to every item of rep (today: YYYY-MM-DD; an
 * expired waiver adds a note and leaves the item failing).
 */
void differ_rules_apply(const struct baseline *r, struct drift_report *rep,
			const char *today);
/* Check the pins on every host; a violation is a PIN item naming the host. */
void differ_rules_pins(const struct baseline *r, struct drift_report *rep,
		       const struct differ_host *const *hosts, size_t n);

struct store_view;
/*
 * Fill it->patch for config-file items: a unified diff of the stored
 * contents of a host holding each side's value (va/vb: the sides' views).
 * Secret files and files with secret values are never shown.
 */
int differ_content_diffs(struct drift_report *r, const struct store_view *va,
			 const struct store_view *vb,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb,
			 struct ed_err *err);

/*
 * differ_compare limited to the keys in only ("collector\tkey" lines,
 * sorted): re-checking a few items costs what they do, not the whole host.
 */
int differ_compare_keys(struct drift_report *r, const struct baseline *rules,
			const struct differ_host *const *a, size_t na,
			const struct differ_host *const *b, size_t nb,
			const struct ed_strvec *only, struct ed_err *err);

struct store;
/*
 * Toggles with one value on every one of hosts (at the branch tip), held
 * for at least days: a note each in r ("a candidate for removal"), found
 * by walking history back until some host differed.
 */
int differ_stale_toggles(struct drift_report *r, struct store *st,
			 const struct differ_host *const *hosts, size_t n,
			 unsigned days, struct ed_err *err);

const char *drift_kind_name(enum drift_kind k);

/*
 * Drift age. For every item of r but STALE (a comparison of a and b, or
 * pins on their hosts, made at one commit: r->commits[0], else the branch
 * tip), walk the first-parent history back, at most max_scans commits
 * counting that one (0: no limit), and set since_commit and since_date
 * (UTC) to the oldest commit of the unbroken run in which the item held:
 * the two groups' consensus still differed (any values), the host was
 * still an outlier, the pin still violated. since_scans counts the commits
 * of the run whose Envdrift-Collected trailers name one of the item's
 * hosts. A run cut by max_scans means "at least". Hosts are found by their
 * env/host names; one absent at a commit has no vote there. A commit where
 * a host's subtree (or collector file and meta) ids are unchanged costs no
 * parsing, a file many hosts share is parsed once, and an item whose
 * hosts' votes read the same as at the newer commit is not compared again
 * (so a commit costs what moved in it, not the size of the groups). On
 * error (ED_EGIT, ED_EPARSE for a malformed old snapshot) no item is
 * changed. st is only read.
 */
struct store;
int differ_since(struct drift_report *r, struct store *st,
		 const struct baseline *rules, const struct differ_host *const *a,
		 size_t na, const struct differ_host *const *b, size_t nb,
		 size_t max_scans, struct ed_err *err);

/* How far back drift age looks: a year of nightly scans and then some. */
#define DIFFER_SINCE_MAX_SCANS 1000

/*
 * The compare pipeline of "envdrift diff", once for every command.
 * Operands a and b name an environment or a host ("prod", "web-1",
 * "env:X", "host:X"; environments first), optionally at a commit or a day
 * ("X@REV", "X@YYYY-MM-DD"). differ_run loads both sides' hosts from st,
 * compares them (differ_compare), dates every item unless an operand names
 * a past point (differ_since, DIFFER_SINCE_MAX_SCANS scans back), adds
 * config file diffs (differ_content_diffs), narrows and overrides as opts
 * says, and applies rules' severities and waivers last. On success the
 * caller releases *out (drift_report_release); on failure *out is already
 * released. ED_ENOTFOUND for an operand naming no host; the store's codes.
 */
enum differ_run_flags {
	DIFFER_RUN_PINS = 1 << 0, /* also check rules' pins on every host */
};

struct differ_run_opts {
	const char *labels[2]; /* the report's operands; NULL: a and b */
	unsigned flags;        /* enum differ_run_flags */
	const struct ed_strvec *roles; /* keep only items of these roles
					* (and those of none); NULL or empty: all */
	const char *rule;              /* not NULL: every item gets severity and
				  * this rule ("file:line"), before rules */
	enum drift_severity severity;
	const char *today; /* YYYY-MM-DD for waivers; NULL: today, UTC */
	struct differ_fact_cache *cache; /* shared by runs; NULL: a run's own */
};

/* opts may be NULL (all defaults). */
int differ_run(struct drift_report *out, struct store *st,
	       const struct baseline *rules, const char *a, const char *b,
	       const struct differ_run_opts *opts, struct ed_err *err);

/*
 * The pre-deploy gate of "envdrift check" and "envdrift report": one
 * report per pair compared (opts->operands, else each parity entry's
 * first environment against each other one, else with every_pair every
 * two environments), then pins, stale hosts and long-uniform toggles on
 * every host at the tip, folded into the first report when there is one.
 * Rules are applied to all. On success the caller releases *out
 * (differ_gate_release); on failure *out is empty. Codes as differ_run;
 * a parity environment with no host at the tip is ED_ENOTFOUND naming
 * the entry's file:line, or with missing_env_ok a line in out->notes and
 * the pairs it is in are skipped.
 */
struct differ_gate_opts {
	const char *operands[2]; /* compare these two instead; NULL: parity */
	const char *baseline;    /* the hosts report's second operand (its
				  * label); NULL: "(built-in rules)" */
	long long max_age;       /* seconds: hosts not collected within it
				  * are STALE items; -1: none */
	long toggle_days;        /* note toggles uniform this long; -1: off */
	int every_pair;          /* no parity entries: every two environments */
	int missing_env_ok;      /* a missing parity environment: a note */
};

struct differ_gate {
	struct drift_report *reports;
	size_t nr, alloc;
	struct ed_strvec notes; /* about the run, not a report: "file:line: ..." */
};

int differ_gate_run(struct differ_gate *out, struct store *st,
		    const struct baseline *rules,
		    const struct differ_gate_opts *opts, struct ed_err *err);
void differ_gate_release(struct differ_gate *g);
/* STALE items not waived, over every report. */
size_t differ_gate_stale(const struct differ_gate *g);
/* 1 if a report of g is failing at fail_on (drift_report_failing). */
int differ_gate_failing(const struct differ_gate *g, enum drift_severity fail_on);

#endif
