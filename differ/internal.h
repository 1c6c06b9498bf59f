#ifndef ENVDRIFT_DIFFER_INTERNAL_H
#define ENVDRIFT_DIFFER_INTERNAL_H
/*
 * Differ internals shared by the differ sources and the unit tests: version
 * ordering per package manager, and drift age without its shortcuts.
 */
#include <stddef.h>

struct drift_report;
struct store;
struct baseline;
struct differ_host;
struct ed_err;

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
struct fact;
size_t differ_parse_file(struct fact **out, size_t *nr, const char *name,
			 const char *data, size_t len);
void differ_facts_free(struct fact *f, size_t nr);

/*
 * The fact collector:key of h, searched from *cur on, which it then moves:
 * asked in key order, one galloping pass over h's facts serves all keys.
 * NULL when h lacks it.
 */
struct differ_host;
const struct fact *differ_fact_seek(const struct differ_host *h, size_t *cur,
				    const char *collector, const char *key);

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
 * differ_since as it was before the tallies: every item of a group whose
 * files moved at a commit is compared anew. The unit tests hold the two to
 * the same results; same arguments, codes and ownership.
 */
int differ_since_full(struct drift_report *r, struct store *st,
		      const struct baseline *rules,
		      const struct differ_host *const *a, size_t na,
		      const struct differ_host *const *b, size_t nb,
		      size_t max_scans, struct ed_err *err);

#endif
