#ifndef ENVDRIFT_CORE_SHARD_H
#define ENVDRIFT_CORE_SHARD_H
/*
 * Sharded scans: which of N scanners owns a host. The owner is the jump
 * consistent hash (Lamping and Veach, 2014) of the SHA-256 of the host's
 * name, so adding hosts moves none, and going from N to N+1 scanners moves
 * about 1/(N+1) of the hosts, all to the new shard.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/store.h"
#include "core/strvec.h"

#define ED_SHARD_MAX 65536u

/* The jump consistent hash of key over n buckets (n >= 1): 0..n-1. */
uint32_t ed_jump_hash(uint64_t key, uint32_t n);
/*
 * The shard (0..n-1) of a host name: the jump hash of the first 8 bytes,
 * big-endian, of SHA-256(name). n must be at least 1.
 */
uint32_t ed_shard_of(const char *name, uint32_t n);
/*
 * Parse "K/N" (decimal, 1 <= K <= N <= ED_SHARD_MAX, nothing else) into
 * *k and *n; -1 if malformed or out of range.
 */
int ed_shard_parse(const char *s, uint32_t *k, uint32_t *n);

/* The stale hosts one shard last collected (ed_shard_stale_group). */
struct ed_shard_stale {
	char *shard;            /* "K/N" as the trailer has it */
	long long since;        /* the newest last_success among them */
	struct ed_strvec hosts; /* their names, sorted */
};

/*
 * Group the hosts of h not collected within max_age seconds before now
 * (now - last_success > max_age, as check's stale test) whose last
 * collection was by a sharded scan, by that shard: sorted by N then K.
 * *nr is 0 when none is. The caller frees *out with ed_shard_stale_free.
 */
void ed_shard_stale_group(struct ed_shard_stale **out, size_t *nr,
			  const struct store_host *h, size_t n, long long now,
			  long long max_age);
void ed_shard_stale_free(struct ed_shard_stale *s, size_t nr);

#endif
