#ifndef ENVDRIFT_CORE_PACK_H
#define ENVDRIFT_CORE_PACK_H
/*
 * A batch of new git objects written as one packfile without deltas
 * (TECH-NOTES §1.3: a hand-written no-delta pack streamed through
 * git_odb_write_pack was the fastest way to add objects in libgit2 1.5).
 * Used by the store only.
 */
#include <git2.h>
#include <stddef.h>

#include "core/err.h"

struct pack_batch;

struct pack_batch *pack_batch_new(void);
void pack_batch_free(struct pack_batch *pb);

/*
 * Hash data as an object of type and add it unless the batch or odb already
 * holds it. *out gets its id. Returns 1 if added, 0 if already present.
 */
int pack_batch_add(struct pack_batch *pb, git_oid *out, git_odb *odb,
		   git_object_t type, const void *data, size_t len);
/* Add an object without checking the odb (repacking); dedupes in the batch. */
int pack_batch_add_raw(struct pack_batch *pb, const git_oid *id,
		       git_object_t type, const void *data, size_t len);
size_t pack_batch_count(const struct pack_batch *pb);
/* Total bytes of the pack that pack_batch_write would write. */
size_t pack_batch_packed_size(const struct pack_batch *pb);

/*
 * Write the batch as one pack (plus index) into odb; fsynced when
 * GIT_OPT_ENABLE_FSYNC_GITDIR is on. A no-op for an empty batch.
 */
int pack_batch_write(struct pack_batch *pb, git_odb *odb, struct ed_err *err);

#endif
