#ifndef ENVDRIFT_COLLECTOR_REMOTE_H
#define ENVDRIFT_COLLECTOR_REMOTE_H
/*
 * What a fleet scan runs on a host and how its answer becomes an image the
 * collectors read (collector/vfs.h). The host runs one POSIX sh script
 * with a handful of processes (find, grep, tar, systemctl/rpm when there):
 * a listing of every path the collectors look at (type, mode, owner, size,
 * readable or not), /proc values, command outputs, and one tar stream of
 * the readable regular files. Nothing is hashed or parsed on the host; the
 * same collectors as a local collect run on the controller, so a remote
 * snapshot equals `collect --root` of the same tree read by the same user.
 *
 * Remote tools: sh, GNU find (-printf, -readable), GNU grep (-r -Z),
 * GNU tar (--null -T, --format=gnu). Busybox-only hosts are refused with
 * a message, never collected as empty.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

struct collect_config;
struct vfs;

/*
 * The command line for the host: the script, quoted for the login shell,
 * run through "sudo -n" when become is set.
 */
void remote_command(struct ed_buf *out, const struct collect_config *cfg,
		    int become);

/*
 * Decode the host's stdout (buf, len) into fs (a new vfs_mem image); cfg
 * is the one remote_command was given (its toggles commands; NULL: none).
 * A truncated or malformed stream is ED_EPARSE naming the section and
 * byte offset: the host is then a collection error, never "all removed".
 * Files the host listed but tar did not deliver become unreadable (their
 * previous lines are kept) with a warning.
 */
int remote_decode(struct vfs *fs, const char *buf, size_t len,
		  const struct collect_config *cfg, struct ed_strvec *warnings,
		  struct ed_err *err);

#endif
