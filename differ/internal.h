#ifndef ENVDRIFT_DIFFER_INTERNAL_H
#define ENVDRIFT_DIFFER_INTERNAL_H
/*
 * Differ internals shared by the differ sources and the unit tests: version
 * ordering per package manager, fact parsing, drift age's tallies and
 * file reads, and drift age without its shortcuts.
 */
#include <stddef.h>
#include <string.h>

#include "differ/differ.h"
#include "core/identity.h"

struct ed_buf;

/*
 * Equal strings, NULL equal only to NULL. Pointer equality first: the
 * values of a cached parse are shared strings.
 */
static inline int differ_same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

enum pkg_manager { PKG_DPKG, PKG_RPM, PKG_APK };

/*
 * Compare two version strings the way the manager does: <0 if a is older,
 * 0 if equal, >0 if newer. dpkg: [epoch:]upstream[-revision] (deb-version(5),
 * dpkg's verrevcmp); rpm: [epoch:]version[-release] (rpmvercmp, '~' and
 * '^'); apk: apk-tools' version.c (suffixes _alpha.._p, -rN).
 * Each returns exactly -1, 0 or 1, reads NULL as "", never allocates and
 * runs in linear time. A string dpkg itself would reject (empty, bad epoch)
 * makes vercmp_dpkg fall back to strcmp(); see differ/vercmp.c.
 */
int vercmp_dpkg(const char *a, const char *b);
int vercmp_rpm(const char *a, const char *b);
int vercmp_apk(const char *a, const char *b);
int vercmp(enum pkg_manager m, const char *a, const char *b);

/*
 * The facts of one snapshot file (name: its collector) parsed from data,
 * sorted, repeated keys joined, in *out (*nr of them; the caller frees
 * them with differ_facts_free). Returns the number of the first malformed
 * line, where parsing stopped, or 0.
 */
size_t differ_parse_file(struct fact **out, size_t *nr, const char *name,
			 const char *data, size_t len);
void differ_facts_free(struct fact *f, size_t nr);

/*
 * The fact collector:key of h, searched from *cur on, which it then moves:
 * asked in key order, one galloping pass over h's facts serves all keys.
 * NULL when h lacks it.
 */
const struct fact *differ_fact_seek(const struct differ_host *h, size_t *cur,
				    const char *collector, const char *key);
/*
 * differ_fact_seek on each of the n hosts g into fv, cursors in cur; fv
 * holds each host's fact for the key before (keys come in order). Hosts
 * that share a cached table share its strings: once one host has the
 * fact, another's is usually the same pointers right at its cursor, taken
 * without comparing strings.
 */
void differ_fact_seek_all(const struct fact **fv, size_t *cur,
			  const struct differ_host *const *g, size_t n,
			  const char *collector, const char *key);

/*
 * Baseline expectations (differ/expect.c). differ_check_unique: "must
 * differ", items for values two distinct hosts share (loc: the rule's
 * "file:line"). differ_memory_of: h's kernel:memory, NULL if unknown;
 * differ_group_memory: the memory most of g have, NULL on a tie.
 * differ_sides_between: one side lies in one of envs, the other in
 * another.
 */
void differ_check_unique(struct drift_report *r, const char *role,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb,
			 const char *collector, const char *key, const char *loc);
const char *differ_memory_of(const struct differ_host *h);
const char *differ_group_memory(const struct differ_host *const *g, size_t n);
int differ_sides_between(const struct ed_strvec *envs,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb);

/*
 * One side's hosts grouped for one collector's keys (differ/groups.c):
 * hosts whose facts of the collector come from one shared table and that
 * agree on having collected it and on having live facts hold the same
 * fact for every key of it, so a group is sought and counted once. Built
 * again when the collector changes; the caller owns gr (zeroed first).
 */
struct differ_groups {
	size_t n;                        /* groups */
	size_t *of;                      /* per host: its group */
	size_t *weight;                  /* per group: its hosts */
	const struct differ_host **rep;  /* per group: its first host */
	const struct fact **fv;          /* per group: the current key's fact */
	size_t *cur;                     /* per group: its seek cursor */
	unsigned char *collected, *live; /* per group: as collected_as reads */
	unsigned char *off;              /* per group: free for the caller */
};

/* live[i]: differ_host_live(g[i]), asked once per comparison, not per build */
void differ_groups_build(struct differ_groups *gr,
			 const struct differ_host *const *g, size_t n,
			 const unsigned char *live, const char *collector);
/* Each group's fact for key (keys of the collector come in order). */
void differ_groups_seek(struct differ_groups *gr, const char *collector,
			const char *key);
/* Group k's hosts collected a key (live: differ_live_key of it). */
int differ_groups_collected(const struct differ_groups *gr, size_t k, int live);
/* fv[i] = the fact of host i's group, for the n hosts grouped. */
void differ_groups_spread(const struct differ_groups *gr,
			  const struct fact **fv, size_t n);
void differ_groups_release(struct differ_groups *gr);

/*
 * For each host a[i], the index in b of the first host of the same name,
 * or SIZE_MAX (out holds na entries, the caller's). Returns how many hosts
 * of a have one. O((na + nb) log nb).
 */
size_t differ_twins(size_t *out, const struct differ_host *const *a, size_t na,
		    const struct differ_host *const *b, size_t nb);

/*
 * Running tallies for drift age (differ/tally.c), for the plain keys of
 * one collector file: per key and role, each side's votes as compare_role
 * counts them (hosts of the role present, those that collected the file,
 * how many hold each value). tally_set_refresh marks a tally changed when
 * that reading (hosts none, one or several; any voter; which value is the
 * consensus) moved since the last refresh.
 */
struct tally_set;

struct tally_set *tally_set_new(const char *file);
void tally_set_free(struct tally_set *ts);
/* Add a tally for key and role (copied); a second add of one is a no-op. */
void tally_set_add(struct tally_set *ts, const char *key, const char *role);
/* After the last add: sorts the tallies for votes and lookups. */
void tally_set_seal(struct tally_set *ts);
/* The index of key and role's tally once sealed; the count if absent. */
size_t tally_set_find(const struct tally_set *ts, const char *key,
		      const char *role);
/* A tally counts votes while someone holds it; dropped, it never returns. */
void tally_set_hold(struct tally_set *ts, size_t i);
void tally_set_drop(struct tally_set *ts, size_t i);
/*
 * Add (sign 1) or take back (-1) the votes of h (NULL: none), a host of
 * side 0 or 1, on every held tally: a take-back must see the h added.
 */
void tally_set_votes(struct tally_set *ts, int side,
		     const struct differ_host *h, int sign);
void tally_set_refresh(struct tally_set *ts);
int tally_set_changed(const struct tally_set *ts, size_t i);

/*
 * What drift age reads at each commit (differ/since_files.c). A slot is
 * one host within a group of items: its meta and the group's collector
 * file at one commit. A file parsed at some commit is a since_blob,
 * shared by every slot of the group that holds its blob id (the group's
 * since_files): when a change reaches many hosts, it is parsed once, and
 * freed when the last of them moves on.
 */
struct since_blob {
	unsigned char oid[20];
	struct fact *facts;
	const struct fact **ptrs; /* &facts[i], as a host holds them */
	size_t nr;
	size_t bad_line; /* the first malformed line, 0 if none */
	size_t refs;
};

struct since_files {
	char *file;                /* the collector file; NULL: meta only */
	struct since_blob **blobs; /* held by slots, sorted by id */
	size_t nr, alloc;
};

/* A host within a group: its collector file and meta at one commit. */
struct since_slot {
	int has_file, has_meta;
	unsigned char file_id[20], meta_id[20];
	struct differ_host tip_view; /* the tip host cut to the group's facts */
	struct differ_host own;      /* at an older commit; facts borrowed */
	struct since_blob *blob;     /* own's facts (NULL: no file) */
	int owned;
	int stepped;                   /* reloaded at this step */
	const struct differ_host *cur; /* NULL: absent at this commit */
};

/* Read the ids of s's files at v; 1 if they differ from before. */
int since_slot_ids(struct since_slot *s, const struct store_view *v,
		   const struct differ_host *h, const char *file);
/* s at the starting commit: the ids, and h (the tip) cut to file's facts. */
void since_slot_start(struct since_slot *s, const struct store_view *v,
		      const struct differ_host *h, const char *file);
/*
 * s's meta and fc's file as they are at v (after since_slot_ids said they
 * moved); s->cur is NULL where the host has neither. ED_EPARSE names the
 * commit and the malformed line.
 */
int since_slot_load(struct since_slot *s, struct since_files *fc,
		    const struct store_view *v, const struct differ_host *h,
		    struct ed_err *err);
/* Drop what s holds at an older commit (its blob reference back to fc). */
void since_slot_drop(struct since_slot *s, struct since_files *fc);
/* After every slot is dropped. */
void since_files_release(struct since_files *fc);

/*
 * differ_since as it was before the tallies: every item of a group whose
 * files moved at a commit is compared anew. The unit tests hold the two to
 * the same results; same arguments, codes and ownership.
 */
int differ_since_full(struct drift_report *r, struct store *st,
		      const struct baseline *rules,
		      const struct differ_host *const *a, size_t na,
		      const struct differ_host *const *b, size_t nb,
		      size_t max_scans, struct ed_err *err);

/* qsort order of struct fact: collector, then key; of pointers to them. */
int differ_cmp_fact(const void *a, const void *b);
int differ_cmp_fact_ptr(const void *a, const void *b);
/* The index of collector:key in h->facts; h->nr_facts if h lacks it. */
size_t differ_fact_index(const struct differ_host *h, const char *collector,
			 const char *key);
/*
 * h->facts[i] made h's own to rewrite: a cache's fact is copied (its
 * strings still the cache's), once; the place in h->facts is kept, so a
 * caller may rewrite keys of a run and sort it after.
 */
struct fact *differ_host_own_fact(struct differ_host *h, size_t i);
/* The fact collector:key of h, or NULL; binary search. */
const struct fact *differ_find_fact(const struct differ_host *h,
				    const char *collector, const char *key);

/*
 * Live facts: what only a running system has (active units, listening
 * sockets). differ_live_key says a fact is one; differ_host_live says h
 * has any, which an image read with --root never has: such a host has no
 * vote on live facts, and a note says so.
 */
int differ_live_key(const char *collector, const char *key);
int differ_host_live(const struct differ_host *h);
/* h has a fact of collector. */
int differ_host_has(const struct differ_host *h, const char *collector);
/* The facts of collector on h: h->facts[*from, *to) (they are sorted). */
void differ_collector_facts(const struct differ_host *h, const char *collector,
			    size_t *from, size_t *to);

/*
 * Stored config-file contents (differ/facts.c). differ_text_stored: a
 * files value whose text is stored as is ("file ... sha256:...", no hmac
 * token), so it can be shown and normalised. differ_read_content: the
 * stored content of files key on host env/host in v, into out (reset
 * first); codes as store_view_read_file.
 */
int differ_text_stored(const char *value);
int differ_read_content(struct ed_buf *out, const struct store_view *v,
			const char *env, const char *host, const char *key,
			struct ed_err *err);

/*
 * A host's identity (core/identity.h) for normalisation: its "identity"
 * file when it has one (the collector recorded it: the kernel's addresses
 * and MACs on a live host, the network configuration's on an image, or
 * --identity), else what its stored files say (snapshots of older
 * releases): the name in /etc/hostname (else the inventory name), the
 * network configuration's addresses and MACs, /etc/hosts' names (and its
 * addresses only when the configuration gives none, so a foreign address
 * written into /etc/hosts stays drift) and /etc/machine-id.
 */
struct store_view;
void differ_identity_load(struct host_identity *id, const struct differ_host *h,
			  const struct store_view *v);

/*
 * Between different hosts, two values of a files fact are equal when equal
 * raw or equal once each host's content is normalised with its identity
 * (differ/normalize.c). For each files key whose stored text contents
 * disagree among the n hosts h (side 0 or 1 each, read through views),
 * hosts equal either way get one value: the raw value most of them hold.
 * A listening socket bound to one of the host's own addresses becomes
 * "listen PROTO {addr4}:PORT" ([{addr6}]); any, loopback and other
 * addresses stay literal. The facts of h are changed in place (new keys
 * in h->owned, the facts sorted again). Per-host keys are left alone.
 */
struct store_view;
struct baseline;
/* The listener part of differ_normalize, on one host with its identity. */
void differ_normalise_listeners(struct differ_host *h,
				const struct host_identity *id);
int differ_normalize(struct differ_host *const *h, const int *side, size_t n,
		     const struct store_view *const views[2],
		     const struct baseline *rules, struct ed_err *err);

#endif
