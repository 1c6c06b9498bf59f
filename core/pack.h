#ifndef ENVDRIFT_CORE_PACK_H
#define ENVDRIFT_CORE_PACK_H
/*
 * A batch of new git objects written as one packfile without deltas
 * (doc/DESIGN-NOTES.md §1.3: a hand-written no-delta pack was the fastest way to add
 * objects in libgit2 1.5), with its index written directly rather than by
 * libgit2's indexer. Used by the store only.
 */
#include <git2.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct pack_batch;

/* A batch this small is written as loose objects (see pack_batch_allow_loose). */
#define PACK_LOOSE_MAX 16
#define PACK_LOOSE_BYTES (256u << 10)

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
/*
 * Let pack_batch_write write the batch as loose objects if it stays within
 * PACK_LOOSE_MAX objects and PACK_LOOSE_BYTES: an unchanged re-collect adds
 * one commit, and a loose object is smaller than a pack plus its index.
 * Call on an empty batch.
 */
void pack_batch_allow_loose(struct pack_batch *pb);
/* 1 if the batch already holds id. */
int pack_batch_contains(const struct pack_batch *pb, const git_oid *id);
/* Total bytes of the pack that pack_batch_write would write. */
size_t pack_batch_packed_size(const struct pack_batch *pb);

/*
 * Write the batch as objects_dir/pack/pack-<checksum>.{pack,idx} (the .idx
 * built here, last, from what add recorded), each fsynced and renamed into
 * place, then the directory fsynced, and refresh odb. A no-op for an empty
 * batch. ED_EIO (temporary files removed) or ED_EGIT on failure. When
 * idx_out is not NULL it gets the path of the .idx (which may have existed
 * already: the same name means the same content).
 */
int pack_batch_write(struct pack_batch *pb, git_odb *odb, const char *objects_dir,
		     struct ed_buf *idx_out, struct ed_err *err);

#endif
