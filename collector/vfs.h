#ifndef ENVDRIFT_COLLECTOR_VFS_H
#define ENVDRIFT_COLLECTOR_VFS_H
/*
 * The target the collectors read, whole: this machine's file system seen
 * from a root directory (vfs_root_new: "/" is the running system, another
 * path a mounted root) or an in-memory image of a remote host, decoded
 * from the one stream a fleet scan reads over SSH (vfs_mem_new). Same
 * calls, same errno values, so one collector code path serves every
 * target and a remote snapshot is byte-identical to `collect --root` of
 * the same tree.
 *
 * The calls mirror POSIX: they return -1 (NULL) and set errno. An absolute
 * path, or any path from AT_FDCWD, starts at the target's root; a relative
 * one from a handle starts there. On a mounted root that is the root's
 * path put in front (symlinks resolve as the kernel resolves them); on an
 * image, handles are small ints private to it and symlinks resolve inside
 * it ("/.." is "/"). Commands (systemctl, rpm, toggles commands) are this
 * machine's on a real file system, whatever its root, and the remote
 * host's on an image, answered from the outputs it recorded.
 *
 * An image may be read from several threads at once (a mutex guards it);
 * it must not be changed (vfs_mem_*) while anyone reads it. A real file
 * system keeps no state but its root and live flag.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/err.h"

struct vfs;
struct vfs_dir;

/*
 * This machine's file system seen from root (kept as given, for messages).
 * Live (vfs_live) when root is exactly "/". Never fails; nothing is
 * checked until it is read. The caller frees it with vfs_free.
 */
struct vfs *vfs_root_new(const char *root);
/* An in-memory image: an empty root directory, live. vfs_free frees it. */
struct vfs *vfs_mem_new(void);
/* Frees the target (an image with its recorded outputs); NULL is a no-op. */
void vfs_free(struct vfs *fs);

/* The root as vfs_root_new was given it; "/" for an image. Borrowed. */
const char *vfs_root(const struct vfs *fs);
/*
 * The name of abspath on fs, for messages: the root's path put in front
 * on a mounted root, abspath itself elsewhere (out is reset first).
 */
void vfs_path(struct ed_buf *out, const struct vfs *fs, const char *abspath);
/*
 * Whether fs is a running system: its active units, listening sockets and
 * toggles commands are read. vfs_set_live overrides the default (a remote
 * host whose inventory says envdrift_live: false, a chroot of "/").
 */
bool vfs_live(const struct vfs *fs);
void vfs_set_live(struct vfs *fs, bool live);
/*
 * The environment commands run with: this process's variable on a real
 * file system, NULL on an image (a remote host's is not known).
 */
const char *vfs_getenv(const struct vfs *fs, const char *name);

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
 * 0 if the program path (absolute) exists and is an executable regular
 * file, else -1 with errno set. On an image any execute bit will do (as
 * for root); on a real file system path is this machine's.
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
 * when unreadable, ED_EPARTIAL past max bytes. Messages name vfs_path.
 */
int vfs_read_file(struct vfs *fs, struct ed_buf *out, const char *path,
		  size_t max, struct ed_err *err);
/* ed_buf_read_fd through fs: append fd's bytes (fd is not closed). */
int vfs_read_fd(struct vfs *fs, struct ed_buf *out, int fd, const char *name,
		size_t max, struct ed_err *err);

/*
 * collect_run through fs (see collector/internal.h). ED_ENOTFOUND when
 * the program is not there: argv[0] does not exist on this machine, or
 * on an image the same argv (argv[0] included) was not recorded (absent
 * on the host); otherwise the recorded output and status.
 */
int vfs_run(struct vfs *fs, struct ed_buf *out, struct ed_buf *errline,
	    int *status, char *const argv[], char *const envp[], size_t max_out,
	    int timeout_ms, struct ed_err *err);

/*
 * Add path to an image (absolute, '/'-separated, no "." or ".."
 * components) with the type, permission bits, uid, gid, rdev, mtime and
 * ctime of st. Missing parents are created as root-owned 0755
 * directories; the device and inode of st too when st_ino is not 0 (a
 * host's own, which a stat cache compares), else the image's own. Adding
 * an existing path replaces its attributes and
 * content (a directory keeps its children). data is the content of a
 * regular file or the target of a symlink (copied; NULL is empty). The
 * size is len for symlinks and readable files, st_size otherwise.
 * VFS_MEM_UNREADABLE: opening it fails with EACCES (the remote user could
 * not read it); stat still works. ED_ERROR for a relative path, an
 * unknown type or a parent that is not a directory.
 */
#define VFS_MEM_UNREADABLE 1
/*
 * VFS_MEM_NOT_SENT: a regular file whose content the host was not asked
 * for (its stat cache entry stands for it): stat gives st whole (size,
 * device and inode too), opening it fails with EIO and is remembered
 * (vfs_mem_unsent), as that is a request that missed a read.
 */
#define VFS_MEM_NOT_SENT 2
int vfs_mem_add(struct vfs *fs, const char *path, const struct stat *st,
		const char *data, size_t len, int flags, struct ed_err *err);
/* Make room for about n entries at once (a hint: the image still grows). */
void vfs_mem_reserve(struct vfs *fs, size_t n);
/*
 * 1 when a VFS_MEM_NOT_SENT file was opened, the first such path in path
 * (reset first); 0 otherwise.
 */
int vfs_mem_unsent(struct vfs *fs, struct ed_buf *path);
/* Record the output and wait status of argv for vfs_run. */
void vfs_mem_set_output(struct vfs *fs, char *const argv[], const char *out,
			size_t len, int status);
/* Record its stderr: the first line is kept, as collect_run does. */
void vfs_mem_set_stderr(struct vfs *fs, char *const argv[], const char *line,
			size_t len);
/*
 * Copy the real tree at dir (for tests and debugging) into the image fs
 * under prefix ("" for the image root), as the current user sees it:
 * lstat, never following a symlink; a file or directory that cannot be
 * opened or read is VFS_MEM_UNREADABLE. dir may also be a single file.
 */
int vfs_mem_load_dir(struct vfs *fs, const char *dir, const char *prefix,
		     struct ed_err *err);

#endif
