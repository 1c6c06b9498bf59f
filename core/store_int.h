#ifndef ENVDRIFT_CORE_STORE_INT_H
#define ENVDRIFT_CORE_STORE_INT_H
/*
 * Internals shared by the files of the state repository (core/store*.c)
 * and by nothing else: the store handle's fields (store.c), the tree
 * overlay commits are built in (store_tree.c), the carry-over of kept
 * entries (store_keep.c) and repacking (store_repack.c), which
 * store_commit.c puts together. Callers outside use core/store.h.
 */
#include <git2.h>
#include <stddef.h>

#include "core/err.h"
#include "core/pack.h"
#include "core/snapshot.h"
#include "core/store.h"
#include "core/strvec.h"

#define MODE_TREE 0040000u
#define MODE_BLOB 0100644u

struct store_sink;

struct store {
	git_repository *repo;
	git_odb *odb;
	char *path;
	int lock_fd;
	struct pack_batch *pending; /* contents put through the sink */
	struct store_sink *sink;
	/* the writer, as store_check_key and store_check_settings saw it */
	char key_fp[65];        /* "" until a key was checked */
	char *settings;         /* canonical settings text, or NULL */
	int adopt_settings;     /* record settings even if others are there */
	struct ed_strvec notes; /* what store_open noticed (store_notes) */
};

/*
 * The marker (store_marker.c): .envdrift/format and .envdrift/settings of
 * a tree. Fields are "" when absent.
 */
struct store_marker {
	int present;   /* .envdrift/format exists */
	int has_hosts; /* the tree has hosts/ (store_marker_read) */
	char version[16];
	char key_fp[65];
	char settings_sha[65];
	char *settings; /* .envdrift/settings, or NULL */
};

void store_marker_release(struct store_marker *m);
/* The marker of tree into m (zeroed here). ED_EGIT, ED_ERROR. */
int store_marker_read_tree(struct store_marker *m, git_repository *repo,
			   const git_tree *tree, struct ed_err *err);
/* The marker of commit id into m (zeroed here). ED_EGIT, ED_ERROR. */
int store_marker_read_commit(struct store_marker *m, struct store *st,
			     const git_oid *id, struct ed_err *err);
/* The marker of the branch tip (none for a new branch). */
int store_marker_read(struct store_marker *m, struct store *st,
		      struct ed_err *err);
/*
 * Refuse a writer whose key or settings differ from m's (ED_EKEY,
 * ED_ESETTINGS), or a version this release cannot write (ED_ERROR).
 */
int store_marker_check(const struct store *st, const struct store_marker *m,
		       struct ed_err *err);
/*
 * The marker the next commit records: format text into format, and the
 * settings text (borrowed from st or m; NULL: no settings file).
 */
void store_marker_text(struct ed_buf *format, const char **settings,
		       const struct store *st, const struct store_marker *m);
/*
 * Commits ours and theirs (a remote tip this writer would rebuild on)
 * record the same key and settings, where both record them: else ED_EKEY
 * or ED_ESETTINGS, since combining them would make hosts flap.
 */
int store_markers_agree(struct store *st, const git_oid *ours,
			const git_oid *theirs, struct ed_err *err);

/*
 * The repository config's value of key appended to out; < 0 (libgit2's
 * code) when it is not set.
 */
int store_config_get(struct ed_buf *out, git_repository *repo, const char *key);

/*
 * The first parent of c into *out, or *out NULL at the first commit and
 * where a shallow clone's history is cut (*cut then 1). A parent missing
 * from a complete repository is ED_EGIT. The branch is linear: the first
 * parent is the previous scan.
 */
int store_commit_parent(git_commit **out, const git_commit *c, int *cut,
			struct ed_err *err);

/* The branch tip; *found 0 (and no error) while the branch does not exist. */
int store_read_tip(git_repository *repo, git_oid *out, int *found,
		   struct ed_err *err);

/*
 * In-memory tree overlay (store_tree.c): a tree whose subtrees are loaded
 * only when an update descends into them, and written back bottom-up.
 */
struct mtree;
struct mentry {
	char *name; /* escaped tree-entry name */
	unsigned mode;
	git_oid oid;
	struct mtree *sub; /* loaded subtree, or NULL */
};
struct mtree {
	struct mentry *e;
	size_t nr, alloc;
	int dirty;
};

/* An empty overlay; mtree_free(NULL) is a no-op. */
struct mtree *mtree_new(void);
void mtree_free(struct mtree *t);
/* The overlay of tree id (its entries only, subtrees not loaded); ED_EGIT. */
int mtree_load(struct mtree **out, git_repository *repo, const git_oid *id,
	       struct ed_err *err);
/* The entry named name (escaped), or NULL: a linear search. */
struct mentry *mtree_find(struct mtree *t, const char *name);
/* Append a zeroed entry named name (no check for an existing one). */
struct mentry *mtree_add(struct mtree *t, const char *name);
/* Remove the entry named name and its subtree, if there is one. */
void mtree_remove(struct mtree *t, const char *name);
/*
 * The subtree named name, loaded or (create) made; *out NULL when absent
 * and not created. ED_ERROR if a blob is there, ED_EGIT.
 */
int mtree_subdir(struct mtree **out, struct mtree *t, git_repository *repo,
		 const char *name, int create, struct ed_err *err);
/*
 * Put host (escaped) into root's hosts/ENV/ (env escaped) as the entry
 * (mode, id), after removing it from whatever environment holds it; id
 * NULL only removes it. ED_ERROR, ED_EGIT.
 */
int mtree_put_host(struct mtree *root, git_repository *repo, const char *env,
		   const char *host, unsigned mode, const git_oid *id,
		   struct ed_err *err);
/*
 * Write t's dirty subtrees bottom-up, then t, into pb; *out gets t's id.
 * Empty subtrees vanish.
 */
int mtree_write(struct mtree *t, git_oid *out, struct pack_batch *pb,
		git_odb *odb, struct ed_err *err);
/*
 * The overlay of one host snapshot, its contents added to pb. Contents
 * already stored through the sink (or a stat cache) must exist:
 * ED_ENOTFOUND names the first one that does not.
 */
int mtree_from_snapshot(struct mtree **out, const struct snapshot *snap,
			struct pack_batch *pb, git_odb *odb, struct ed_err *err);

/*
 * Carry-over (store_keep.c): an entry of the previous host tree kept in
 * the new one, found by kept_carry_over and planted by kept_plant.
 */
struct kept {
	struct ed_strvec comps; /* escaped path components */
	unsigned mode;
	git_oid oid;
};

struct kept_list {
	struct kept *v;
	size_t nr, alloc;
};

/* Free k's entries; k is then empty and can be reused. */
void kept_release(struct kept_list *k);
/*
 * Append to out the entries of oldhost (NULL: none) at the snapshot's keep
 * paths ("sysctl", "content/etc/ssl/private") that the snapshot lacks.
 * ED_ERROR or ED_EGIT when oldhost's trees cannot be read.
 */
int kept_carry_over(struct kept_list *out, struct mtree *oldhost,
		    git_repository *repo, const struct snapshot *snap,
		    struct ed_err *err);
/*
 * Put k's entries into the host tree, creating directories; an entry
 * already there (the new snapshot's) wins.
 */
void kept_plant(struct mtree *host, const struct kept_list *k);

/*
 * Repacking (store_repack.c): merge small packs geometrically once more
 * than 16 exist, and fold loose objects into a pack once about 1,024
 * exist. Called after a commit has landed, under the writer lock; a
 * failure loses nothing (retried next time). ED_EIO, ED_EGIT.
 */
int store_consolidate(struct store *st, struct ed_err *err);

#endif
