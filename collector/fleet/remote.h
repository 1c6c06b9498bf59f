#ifndef ENVDRIFT_COLLECTOR_REMOTE_H
#define ENVDRIFT_COLLECTOR_REMOTE_H
/*
 * What a fleet scan runs on a host and how its answer becomes an image the
 * collectors read (collector/vfs.h). Every host runs the same POSIX sh
 * script (collector/fleet/remote.sh, compiled in) with a handful of
 * processes (xargs, find, grep, tar, systemctl/rpm when there); what it
 * lists and runs, the union of the collectors' needs (collect_needs),
 * reaches it on standard input as NUL-separated records. It answers with
 * a listing of every path the collectors look at (type, mode, owner, size,
 * readable or not), /proc values, command outputs, and one tar stream of
 * the readable regular files. Nothing is hashed or parsed on the host; the
 * same collectors as a local collect run on the controller, so a remote
 * snapshot equals `collect --root` of the same tree read by the same user.
 *
 * Remote tools: sh, xargs -0, GNU find (-printf, -readable), GNU grep
 * (-r -Z), GNU tar (--format=gnu, --no-recursion). Busybox-only hosts are
 * refused with a message, never collected as empty.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

struct collect_config;
struct vfs;

/*
 * The command line for the host's login shell (out is reset first):
 * /bin/sh running xargs over the request on standard input, which runs
 * the script (quoted here) with the request's records as its arguments;
 * through "sudo -n" when become is set. The same for every host and
 * configuration.
 */
void remote_command(struct ed_buf *out, int become);

/*
 * The request for cfg's enabled collectors (out is reset first): the bytes
 * to write on the command's standard input, then close it. Records are
 * NUL-terminated; remote.sh gives their layout.
 */
void remote_request_build(struct ed_buf *out, const struct collect_config *cfg);

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

#endif
