#ifndef ENVDRIFT_COLLECTOR_VFS_H
#define ENVDRIFT_COLLECTOR_VFS_H
/*
 * The file system the collectors read: the real one (a NULL struct vfs *:
 * plain syscalls, zero cost) or an in-memory image of a remote host,
 * decoded from the one stream a fleet scan reads over SSH. Same calls,
 * same errno values, so one collector code path serves both and a remote
 * snapshot is byte-identical to `collect --root` of the same tree.
 *
 * The calls mirror POSIX: they return -1 (NULL) and set errno. Handles of
 * an image are small ints private to it; AT_FDCWD with an absolute path
 * starts at the image's root (and so does AT_FDCWD with a relative one:
 * an image's working directory is its root). Symlinks resolve inside the
 * image ("/.." is "/"). Commands (systemctl, rpm) are run for real, or
 * answered from outputs recorded on the remote host.
 *
 * An image may be read from several threads at once (a mutex guards it);
 * it must not be changed (vfs_mem_*) while anyone reads it.
 */
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

struct vfs;
struct vfs_dir;

/*
 * flags: O_RDONLY plus O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_NONBLOCK,
 * O_NOCTTY. An image answers EROFS to anything that writes, EACCES for a
 * VFS_MEM_UNREADABLE node and ENXIO for sockets and devices.
 */
int vfs_openat(struct vfs *fs, int dirfd, const char *path, int flags);
/* flags: 0 or AT_SYMLINK_NOFOLLOW */
int vfs_fstatat(struct vfs *fs, int dirfd, const char *path, struct stat *st,
		int flags);
int vfs_fstat(struct vfs *fs, int fd, struct stat *st);
ssize_t vfs_readlinkat(struct vfs *fs, int dirfd, const char *path, char *buf,
		       size_t len);
ssize_t vfs_read(struct vfs *fs, int fd, void *buf, size_t len);
int vfs_close(struct vfs *fs, int fd);
/*
 * 0 if path (absolute) exists and is an executable regular file, else -1
 * with errno set. On an image any execute bit will do (as for root).
 */
int vfs_executable(struct vfs *fs, const char *path);

/* Takes fd (closed by vfs_closedir, or on failure). */
struct vfs_dir *vfs_fdopendir(struct vfs *fs, int fd);
/*
 * The next entry other than "." and "..", and its DT_* type (DT_UNKNOWN
 * allowed). NULL at the end (errno 0) or on error (errno set).
 */
const char *vfs_readdir(struct vfs_dir *d, unsigned char *type);
/* Closes d and its fd; NULL is a no-op. */
int vfs_closedir(struct vfs_dir *d);

/*
 * ed_buf_read_file through fs: ED_ENOTFOUND when path is absent, ED_EIO
 * when unreadable, ED_EPARTIAL past max bytes.
 */
int vfs_read_file(struct vfs *fs, struct ed_buf *out, const char *path,
		  size_t max, struct ed_err *err);
/* ed_buf_read_fd through fs: append fd's bytes (fd is not closed). */
int vfs_read_fd(struct vfs *fs, struct ed_buf *out, int fd, const char *name,
		size_t max, struct ed_err *err);

/*
 * collect_run through fs (see collector/internal.h). On an image the
 * output recorded for the same argv (argv[0] included) is returned;
 * a command that was not recorded (absent on the host) is ED_ENOTFOUND.
 */
int vfs_run(struct vfs *fs, struct ed_buf *out, struct ed_buf *errline,
	    int *status, char *const argv[], char *const envp[],
	    size_t max_out, int timeout_ms, struct ed_err *err);

/* In-memory images: an empty root directory; the caller frees it. */
struct vfs *vfs_mem_new(void);
/* Frees the image and its recorded outputs; NULL is a no-op. */
void vfs_free(struct vfs *fs);

/*
 * Add path (absolute, '/'-separated, no "." or ".." components) with the
 * type, permission bits, uid, gid, rdev, mtime and ctime of st. Missing
 * parents are created as root-owned 0755 directories; adding an existing
 * path replaces its attributes and content (a directory keeps its
 * children). data is the content of a regular file or the target of a
 * symlink (copied; NULL is empty). The size is len for symlinks and
 * readable files, st_size otherwise. VFS_MEM_UNREADABLE: opening it fails
 * with EACCES (the remote user could not read it); stat still works.
 * ED_ERROR for a relative path, an unknown type or a parent that is not
 * a directory.
 */
#define VFS_MEM_UNREADABLE 1
int vfs_mem_add(struct vfs *fs, const char *path, const struct stat *st,
		const char *data, size_t len, int flags, struct ed_err *err);
/* Record the output and wait status of argv for vfs_run. */
void vfs_mem_set_output(struct vfs *fs, char *const argv[], const char *out,
			size_t len, int status);
/* Record its stderr: the first line is kept, as collect_run does. */
void vfs_mem_set_stderr(struct vfs *fs, char *const argv[], const char *line,
			size_t len);
/*
 * Copy the real tree at dir (for tests and debugging) into fs under
 * prefix ("" for the image root), as the current user sees it: lstat,
 * never following a symlink; a file or directory that cannot be opened
 * or read is VFS_MEM_UNREADABLE. dir may also be a single file.
 */
int vfs_mem_load_dir(struct vfs *fs, const char *dir, const char *prefix,
		     struct ed_err *err);

#endif
