#ifndef ENVDRIFT_COLLECTOR_REMOTE_H
#define ENVDRIFT_COLLECTOR_REMOTE_H
/*
 * What a fleet scan runs on a host and how its answer becomes an image the
 * collectors read (collector/vfs.h). Every host runs the same POSIX sh
 * script (collector/fleet/remote.sh, compiled in) with a handful of
 * processes (find, grep, tar, systemctl/rpm when there); what it
 * lists and runs, the union of the collectors' needs (collect_needs),
 * reaches it on standard input as records, one a line (remote.sh says
 * how), read by the script itself. It answers with a listing of every
 * path the collectors look at (type, mode, owner, size, mtime, ctime,
 * inode, device, readable or not, racy or not by the host's clock), /proc
 * values and command outputs; then, as a second request on the same
 * standard input names them, filtered files and one tar stream of regular
 * files: all of them (a full scan), or those a session's cache cannot
 * stand for (remote_session_*). Nothing is hashed or parsed on the host; the
 * same collectors as a local collect run on the controller, so a remote
 * snapshot equals `collect --root` of the same tree read by the same user.
 *
 * Remote tools: sh, GNU find (-printf, -readable, -regex, -newermt),
 * GNU grep (-r -Z), GNU tar (--format=gnu, --no-recursion,
 * --null -T). Busybox-only hosts are
 * refused with a message, never collected as empty.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

struct collect_config;
struct vfs;
struct snapshot;

/*
 * The command line for the host's login shell (out is reset first):
 * "exec /bin/sh" running the script (quoted here), which reads the
 * request's records from standard input into its arguments; through
 * "sudo -n" when become is set. The same for every host and
 * configuration.
 */
void remote_command(struct ed_buf *out, int become);

/*
 * The request for cfg's enabled collectors (out is reset first): the bytes
 * to write on the command's standard input, then close it, for a full
 * scan in one go (every file sent). Records are NUL-terminated; remote.sh
 * gives their layout.
 */
void remote_request_build(struct ed_buf *out, const struct collect_config *cfg);
/*
 * Its first part alone: the second is remote_session_reply's, once the
 * host listed its files.
 */
void remote_request_first(struct ed_buf *out, const struct collect_config *cfg);

/*
 * Decode the host's stdout (buf, len) into fs (a new vfs_mem image); cfg
 * is the one the request was built for (NULL: every collector's fixed
 * needs). A truncated or malformed stream is ED_EPARSE naming the section
 * and byte offset: the host is then a collection error, never "all
 * removed". Files the host listed but tar did not deliver become
 * unreadable (their previous lines are kept) with a warning.
 */
int remote_decode(struct vfs *fs, const char *buf, size_t len,
		  const struct collect_config *cfg, struct ed_strvec *warnings,
		  struct ed_err *err);

/*
 * One host's two-phase exchange (remote_session.c), whatever carries it:
 * write remote_request_first, feed the output to remote_session_reply
 * until it gives the second request (write it, then EOF), then decode the
 * whole output. The session plans from the host's cache (a previous
 * remote_session_cache, made under the same settings): only files that
 * are new, changed by their stat key (size, mtime, ctime, inode, device,
 * mode, owner), racy (changed within two seconds of the host's clock,
 * which find judges on the host: remote.sh) or
 * unknown to the cache are asked for; the files walk's stat cache
 * (collect_opts.cache_in) stands for the others, and inputs (package
 * databases) come from the cache itself. full: every file is asked for
 * and the cache is only written, never read.
 */
struct remote_session;
struct ed_hmac;

/* cache (len bytes, NULL: none) is copied; key may be NULL. */
struct remote_session *remote_session_new(const struct collect_config *cfg,
					  struct ed_hmac *key, const char *cache,
					  size_t len, int full);
void remote_session_free(struct remote_session *s);
/*
 * The output so far (out, len). 1 with the second request in more (reset
 * first): the listing is complete, or the stream is not what it should be
 * (more is then empty: the host's script gives up, and decoding says
 * why); 0 while the listing is incomplete.
 */
int remote_session_reply(struct remote_session *s, const char *out, size_t len,
			 struct ed_buf *more);
/*
 * Decode the whole output into fs (a new vfs_mem image), as remote_decode
 * does, with the files the session did not ask for as VFS_MEM_NOT_SENT
 * and its inputs filled from the cache.
 */
int remote_session_decode(struct remote_session *s, struct vfs *fs,
			  const char *buf, size_t len,
			  struct ed_strvec *warnings, struct ed_err *err);
/*
 * What the collectors get: the files walk's part of the cache (NULL with
 * a full session) and the host's clock (unix seconds) as the listing
 * bounds it: files changed since one second before it are racy.
 */
void remote_session_collect_opts(const struct remote_session *s,
				 const char **cache_in, size_t *len,
				 long long *clock);
/*
 * The next cache (out reset first): files_cache, the files walk's
 * collect_opts.cache_out, and the inputs the host sent or the cache had:
 * large inputs, and the files collectors read whole whose bytes snap (the
 * host's new snapshot) stores as they are.
 */
void remote_session_cache(const struct remote_session *s,
			  const struct ed_buf *files_cache,
			  const struct snapshot *snap, struct ed_buf *out);
/*
 * The snapshot memo (scan_memo.c) the host's cache holds. key: SHA-256
 * (hex) of everything the snapshot is made from: this program, the
 * cache's settings, the answer in out (len), and
 * extra (the caller's other inputs). -1 when there is no such key (a full
 * scan, the program unreadable). remote_session_memo gives the cached
 * memo when its key is key and no file asked for was racy when it was
 * made (so a run of the collectors would now cache it), else NULL; remote_session_set_memo sets the
 * one remote_session_cache writes.
 */
int remote_session_memo_key(const struct remote_session *s, const char *out,
			    size_t len, const char *extra, size_t extra_len,
			    char key[65]);
const char *remote_session_memo(const struct remote_session *s,
				const char key[65], size_t *len);
void remote_session_set_memo(struct remote_session *s, const char key[65],
			     const char *memo, size_t len);
/*
 * 1 when cache (remote_session_cache's) holds the very bytes the session
 * was given: nothing to write, the cache on disk already says it.
 */
int remote_session_cache_unchanged(const struct remote_session *s,
				   const struct ed_buf *cache);
/* Regular files whose content the host sent, and those the cache stood for. */
void remote_session_counts(const struct remote_session *s, size_t *sent,
			   size_t *reused);

#endif
