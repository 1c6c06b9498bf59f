#ifndef ENVDRIFT_CORE_STORE_H
#define ENVDRIFT_CORE_STORE_H
/*
 * The state repository: a bare git repository whose branch "main" holds
 * hosts/<env>/<host>/<snapshot files>. Each collect or scan is one commit
 * built in memory (no working tree), written as one pack, then published by
 * a compare-and-swap of the branch, all under a repository lock, so a kill
 * at any moment leaves either the old or the new commit.
 */
#include <stddef.h>

#include "core/err.h"
#include "core/snapshot.h"
#include "core/strvec.h"

struct store;
struct ed_hmac;

#define STORE_BRANCH "refs/heads/main"

/* Create a new state repository at path (mode 0700, or 0750 when
 * shared_group). ED_ERROR if path exists and is not empty. */
int store_init(const char *path, int shared_group, struct ed_err *err);

/* Open an existing state repository; ED_ENOTFOUND if it is not one. */
int store_open(struct store **out, const char *path, struct ed_err *err);
void store_free(struct store *st);
/*
 * What store_open noticed that a reader should know, one line each
 * (a clone whose main is behind its origin/main). Borrowed.
 */
const struct ed_strvec *store_notes(const struct store *st);

/*
 * Take the repository's writer lock (flock, so a killed holder never leaves
 * it stale), waiting at most timeout_ms; ED_ELOCKED past that. Also clears
 * a branch .lock file a killed writer left behind.
 */
int store_lock(struct store *st, unsigned timeout_ms, struct ed_err *err);
void store_unlock(struct store *st);

/*
 * Compare key's fingerprint with the one recorded in the branch's
 * .envdrift/format, or for a repository without one with the one recorded
 * at init (recording it if none is). ED_EKEY on mismatch. The next commit
 * records it in .envdrift/format.
 */
int store_check_key(struct store *st, struct ed_hmac *key, struct ed_err *err);
/*
 * Compare settings (the canonical text of what shapes snapshot bytes,
 * collect_settings_text) with the branch's .envdrift/settings: ED_ESETTINGS
 * naming the first difference, unless adopt. The next commit records them
 * (checked again under the lock). Read commands need neither check.
 */
int store_check_settings(struct store *st, const char *settings, int adopt,
			 struct ed_err *err);

/*
 * What the repository's object files hold, as the benchmark and the tests
 * watch its growth and its consolidation: packs (each a .pack with its
 * .idx) and loose objects, with their sizes on disk.
 */
struct store_stats {
	size_t packs;
	size_t pack_bytes;  /* the .pack files */
	size_t index_bytes; /* their .idx files */
	size_t loose;       /* loose objects */
	size_t loose_bytes;
};

/*
 * Fill *out (zeroed first): one readdir of objects/pack and of each of the
 * 256 loose-object directories, one stat per file. ED_EIO if objects/pack
 * exists but cannot be read.
 */
int store_stats(const struct store *st, struct store_stats *out,
		struct ed_err *err);

/*
 * The sink that stores snapshot contents as they are collected; they are
 * packed by the next store_commit (and dropped if there is none). Borrowed,
 * valid while st lives; one thread at a time.
 */
struct snapshot_sink *store_content_sink(struct store *st);

/*
 * Path of the files stat cache of host (inside the git directory, never
 * in history) into out. Losing it costs only speed.
 */
void store_cache_path(const struct store *st, struct ed_buf *out,
		      const char *host);

/*
 * The file path ("files", "content/etc/hosts") of host's snapshot at the
 * branch tip, whatever its environment, appended to out. ED_ENOTFOUND when
 * the host or the file is not there.
 */
int store_read_host_file(struct store *st, struct ed_buf *out, const char *host,
			 const char *path, struct ed_err *err);

struct store_update {
	const char *env;
	const char *host;
	const struct snapshot *snap; /* NULL: remove the host */
};

struct store_result {
	char commit[41];
	char parent[41];        /* "" for the first commit */
	size_t new_objects;     /* objects written by this commit */
	size_t pack_bytes;      /* size of the pack written (0 if none) */
	int tree_unchanged;     /* the root tree equals the parent's */
	struct ed_strvec moved; /* "old-env/host -> new-env/host" */
	struct ed_strvec notes; /* non-fatal problems after the commit landed */
};

void store_result_release(struct store_result *res);

/*
 * Apply updates on top of the branch tip and commit with subject and
 * trailer lines ("Key: value"). A host found under another environment is
 * moved (and a Envdrift-Moved trailer added). Requires store_lock.
 */
int store_commit(struct store *st, struct store_result *res,
		 const struct store_update *ups, size_t nr, const char *subject,
		 const struct ed_strvec *trailers, struct ed_err *err);

/*
 * Replace the top-level directory dir ("reports") of the branch tip with
 * files (a snapshot: path -> bytes) in a commit of its own, with subject
 * and trailers. When that changes nothing, no commit is made and
 * *unchanged is set (commit_out: the tip). Requires store_lock.
 */
int store_commit_dir(struct store *st, char commit_out[41], const char *dir,
		     const struct snapshot *files, const char *subject,
		     const struct ed_strvec *trailers, int *unchanged,
		     struct ed_err *err);

struct store_host {
	char *env;
	char *host;
	long long last_success; /* unix time of the last commit collecting it */
	char last_commit[41];
	/* a scan failure newer than last_success (Envdrift-Failed), or 0/NULL */
	long long last_failure;
	char *failure; /* "STATE: why" */
	/* "K/N": the Envdrift-Shard trailer of last_commit, or NULL (the
	 * scan that last collected the host was not sharded) */
	char *shard;
	/*
	 * Seconds the commit last_commit took to collect (its
	 * Envdrift-Duration trailer), -1 when it has none (commits older than
	 * the trailer, merges of incoming snapshots); set with last_success.
	 */
	double last_duration;
	/*
	 * In a shallow clone, a host whose last collection is older than the
	 * history fetched: last_success 0 and this, the oldest commit's time.
	 */
	long long not_seen_since;
};

/*
 * Hosts in the branch tip, when each was last collected (from the
 * Envdrift-Collected trailers; how long that took from Envdrift-Duration)
 * and any failure since (Envdrift-Failed:
 * "ENV/HOST: STATE: why", written by scan) and the shard of the scan that
 * collected it (Envdrift-Shard). Hosts the latest scan failed
 * that were never collected are listed too, with last_success 0 and an
 * empty last_commit. The caller frees with store_hosts_free.
 */
int store_hosts(struct store *st, struct store_host **out, size_t *nr,
		struct ed_err *err);
void store_hosts_free(struct store_host *h, size_t nr);

/*
 * A read-only view of one commit of the branch, for the differ. rev is
 * NULL or "" for the tip, "YYYY-MM-DD" for the last commit at or before the
 * end of that day (UTC), else anything git rev-parse accepts. ED_ENOTFOUND
 * when it names nothing. The caller frees with store_view_free.
 */
struct store_view;

int store_view_open(struct store_view **out, struct store *st, const char *rev,
		    struct ed_err *err);
void store_view_free(struct store_view *v);
/* The commit's id (40 hex) and time, borrowed / by value. */
const char *store_view_commit(const struct store_view *v);
long long store_view_time(const struct store_view *v);
/* The hosts of the view (last_success left 0). Free with store_hosts_free. */
int store_view_hosts(const struct store_view *v, struct store_host **out,
		     size_t *nr, struct ed_err *err);
/*
 * Read a host's top-level snapshot files (meta, packages, files, ...; not
 * content/) into out, initialised by the caller. ED_ENOTFOUND if absent.
 */
int store_view_read_host(const struct store_view *v, const char *env,
			 const char *host, struct snapshot *out,
			 struct ed_err *err);
/*
 * The view of the commit's first parent (the previous scan); ED_ENOTFOUND
 * at the first commit, and where a shallow history (a cache fetched with
 * --shallow-since) was cut. The caller frees *out.
 */
int store_view_parent(struct store_view **out, const struct store_view *v,
		      struct ed_err *err);
/*
 * 1 if v is where a shallow clone's history is cut (its parent was not
 * fetched; store_view_parent says ED_ENOTFOUND there as at the first
 * commit): what v holds, held at least since.
 */
int store_view_is_cut(const struct store_view *v);
/*
 * The git id (20 bytes) of a host's file, or with path NULL of the host's
 * directory tree; ED_ENOTFOUND if absent.
 */
int store_view_file_id(const struct store_view *v, const char *env,
		       const char *host, const char *path, unsigned char oid[20]);
/*
 * The hosts of environment env whose directory differs between views v
 * and other (changed, added or removed), unescaped and appended to out.
 * Costs one tree-entry lookup per view when hosts/<env> has the same id in
 * both, else one pass over both environment trees. An absent environment
 * counts as empty. ED_EGIT if a tree cannot be read.
 */
int store_view_env_moved(const struct store_view *v,
			 const struct store_view *other, const char *env,
			 struct ed_strvec *out, struct ed_err *err);
/*
 * The host named by each of this commit's Envdrift-Collected trailers
 * ("ENV/HOST": the part after the first '/'), appended to out in order.
 */
void store_view_collected_hosts(const struct store_view *v, struct ed_strvec *out);
/* The commit's message, borrowed (valid while v lives). */
const char *store_view_message(const struct store_view *v);
/* 1 if the commit's message has a trailer line "KEY: ..." (key without ':'). */
int store_view_has_trailer(const struct store_view *v, const char *key);
/* One top-level file of a host's snapshot: its (unescaped) name and blob id. */
struct store_file {
	char *name;
	unsigned char oid[20];
};

/*
 * The top-level files of a host (not content/) with their blob ids, without
 * reading them: identical files of many hosts are then read and parsed
 * once. Free with store_files_free. ED_ENOTFOUND if the host is absent.
 */
int store_view_host_files(const struct store_view *v, const char *env,
			  const char *host, struct store_file **out, size_t *nr,
			  struct ed_err *err);
void store_files_free(struct store_file *f, size_t nr);
/* Append the blob oid to out. */
int store_view_read_blob(const struct store_view *v, const unsigned char oid[20],
			 struct ed_buf *out, struct ed_err *err);
/* Append one file of a host ("content/etc/hosts") to out; ED_ENOTFOUND. */
int store_view_read_file(const struct store_view *v, const char *env,
			 const char *host, const char *path, struct ed_buf *out,
			 struct ed_err *err);

/* Tree-entry name escaping (reversible; see README "Snapshot format"). */
void store_escape_name(struct ed_buf *out, const char *name, size_t len);
int store_unescape_name(struct ed_buf *out, const char *name, struct ed_err *err);

/*
 * A host's state from its previous collection (core/store_prev.c): the
 * files stat cache, kept beside the repository and never in history
 * (losing it costs only speed), and chosen files of its last snapshot.
 */

/* host's stat cache into out (reset first); empty when missing or unreadable. */
void store_cache_read(const struct store *st, const char *host,
		      struct ed_buf *out);
/*
 * Persist cache (nothing when empty) as host's stat cache once the commit
 * landed: a temporary file renamed over it. No fsync: a lost or torn cache
 * only costs speed (a damaged one is ignored), never correctness.
 */
void store_cache_save(const struct store *st, const char *host,
		      const struct ed_buf *cache);
/* Remove host's stat cache. */
void store_cache_drop(const struct store *st, const char *host);
/*
 * Add to out each of paths (NULL-terminated) that host's snapshot holds:
 * in view v under env, or with v NULL at the branch tip under whatever
 * environment holds host (env unused). Absent files, host or tip are
 * skipped; another error is returned, after every file that could be read
 * was added.
 */
int store_read_prev_files(struct snapshot *out, struct store *st,
			  const struct store_view *v, const char *env,
			  const char *host, const char *const *paths,
			  struct ed_err *err);

/*
 * Publishing (core/store_rebuild.c): what core/publish.c needs of the
 * repository while git (a subprocess) fetches into it and pushes from it.
 */

/* The git directory (with a trailing '/'), borrowed. */
const char *store_git_dir(const struct store *st);
/* The id ref name points to into hex; *found 0 (no error) if absent. */
int store_ref_read(struct store *st, const char *name, char hex[41], int *found,
		   struct ed_err *err);
/* Point ref name (not the branch: it moves only by commits) at hex. */
int store_ref_write(struct store *st, const char *name, const char *hex,
		    struct ed_err *err);
/* See objects another process (git fetch) added since the store opened. */
void store_refresh(struct store *st);
/* The names of the refs matching glob ("refs/x/" then a star), appended to out. */
int store_ref_list(struct store *st, const char *glob, struct ed_strvec *out,
		   struct ed_err *err);
/*
 * Find host's directory in commit (40 hex), under whatever environment:
 * the environment (unescaped) appended to env_out, the directory's tree
 * id into tree, the commit's time into *when. ED_ENOTFOUND, ED_EGIT.
 */
int store_commit_host(struct store *st, const char *commit, const char *host,
		      struct ed_buf *env_out, char tree[41], long long *when,
		      struct ed_err *err);

/*
 * Whether commit (40 hex; pull mode's incoming snapshot) was made with the
 * HMAC key and the settings the branch records in .envdrift/format: a host
 * writing under others would make itself flap. Against a branch with no
 * marker yet, the key recorded at init decides and the first commit that
 * agrees lends its settings (the next commit records them). 0 when they
 * agree; ED_EKEY (another key, no marker or a damaged one), ED_ESETTINGS,
 * ED_EGIT.
 */
int store_commit_agrees(struct store *st, const char *commit,
			struct ed_err *err);

struct store_rebuild_result {
	char tip[41];     /* the branch tip afterwards */
	size_t replayed;  /* commits of ours rebuilt on onto */
	int fast_forward; /* the branch only moved to onto */
	int up_to_date;   /* onto was already in the branch's history */
	struct ed_strvec superseded; /* "ENV/HOST" (or "reports") dropped */
};

void store_rebuild_result_release(struct store_rebuild_result *r);

/*
 * Rebuild the branch's commits that commit onto (present in the object
 * database: fetched) lacks on top of it, oldest first along first
 * parents: each commit's changed host subtrees (added, changed, removed,
 * moved between environments) and other top-level entries replace those
 * of the new base, keeping its message, author and committer. A host or
 * entry the remote wrote since the merge base in a newer commit than ours
 * keeps the remote's version; our commit then gets an
 * "Envdrift-Superseded: ENV/HOST by <12-hex> (newer scan)" trailer and
 * loses that host's Envdrift-Collected. The branch moves by
 * compare-and-swap (fast-forward when we have nothing of our own; no
 * change when onto is already ours). Requires store_lock. ED_ERROR for
 * unrelated histories, ED_EGIT.
 */
int store_rebuild(struct store *st, struct store_rebuild_result *res,
		  const char *onto, struct ed_err *err);

/* A host's directory as a tree already in the object database. */
struct store_subtree {
	const char *env;
	const char *host;
	const char *tree; /* 40 hex */
};

/*
 * Put each host's directory under hosts/ENV/ (moved from another
 * environment if there) on top of the branch tip, in one commit with
 * subject and trailers (pull mode's merge of incoming snapshots), made
 * as store_commit makes its commits, the marker (.envdrift/) included.
 * Requires store_lock. ED_ERROR, ED_EGIT, ED_EKEY, ED_ESETTINGS.
 */
int store_commit_subtrees(struct store *st, struct store_result *res,
			  const struct store_subtree *v, size_t nr,
			  const char *subject, const struct ed_strvec *trailers,
			  struct ed_err *err);

#endif
