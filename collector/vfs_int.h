#ifndef ENVDRIFT_COLLECTOR_VFS_INT_H
#define ENVDRIFT_COLLECTOR_VFS_INT_H
/*
 * Internals of collector/vfs.h shared by vfs.c (the target, the real file
 * system and the calls' dispatch) and vfs_mem.c (in-memory images);
 * included only by those two.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "collector/vfs.h"

struct vfs_image;

struct vfs {
	char *root;        /* as given, for messages ("/" for an image) */
	size_t prefix_len; /* bytes of root put before an absolute path */
	bool live;
	struct vfs_image *img; /* NULL: this machine's file system */
};

/*
 * The image's side of each vfs_* call of the same name (vfs_mem.c): same
 * contract, on fs->img.
 */
void image_free(struct vfs_image *im);
int image_openat(struct vfs_image *im, int dirfd, const char *path, int flags);
int image_fstatat(struct vfs_image *im, int dirfd, const char *path,
		  struct stat *st, int flags);
int image_fstat(struct vfs_image *im, int fd, struct stat *st);
ssize_t image_readlinkat(struct vfs_image *im, int dirfd, const char *path,
			 char *buf, size_t len);
ssize_t image_read(struct vfs_image *im, int fd, void *buf, size_t len);
int image_close(struct vfs_image *im, int fd);
int image_executable(struct vfs_image *im, const char *path);
/* The directory node behind fd (closed when it is not a directory). */
int image_dir_node(struct vfs_image *im, int fd, size_t *node);
/* Child *pos of directory node (then *pos + 1), or NULL past the last. */
const char *image_dir_next(struct vfs_image *im, size_t node, size_t *pos,
			   unsigned char *type);
int image_run(struct vfs_image *im, struct ed_buf *out, struct ed_buf *errline,
	      int *status, char *const argv[], size_t max_out,
	      struct ed_err *err);

#endif
