/*
 * The collectors' target (collector/vfs.h): on this machine's file system
 * every call is the plain syscall, with the root's path put in front of an
 * absolute path when the root is not "/" (no allocation on the live
 * system); on an image it is answered by collector/vfs_mem.c. The live
 * decision, once made by each caller from the root's name, is made here.
 */
#include "collector/vfs_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/internal.h"
#include "core/alloc.h"

struct vfs_dir {
	struct vfs *fs;
	int fd;
	DIR *d;      /* the real file system */
	size_t node; /* an image: the directory and the next child to return */
	size_t pos;
};

struct vfs *vfs_root_new(const char *root)
{
	struct vfs *fs = ed_xcalloc(1, sizeof(*fs));
	size_t n = strlen(root);

	fs->root = ed_xstrdup(root);
	/* trailing slashes go; "/" itself puts nothing in front */
	while (n > 1 && root[n - 1] == '/')
		n--;
	fs->prefix_len = n == 1 && root[0] == '/' ? 0 : n;
	fs->live = !strcmp(root, "/");
	return fs;
}

void vfs_free(struct vfs *fs)
{
	if (!fs)
		return;
	if (fs->img)
		image_free(fs->img);
	free(fs->root);
	free(fs);
}

const char *vfs_root(const struct vfs *fs)
{
	return fs->root;
}

bool vfs_live(const struct vfs *fs)
{
	return fs->live;
}

void vfs_set_live(struct vfs *fs, bool live)
{
	fs->live = live;
}

const char *vfs_getenv(const struct vfs *fs, const char *name)
{
	return fs->img ? NULL : getenv(name);
}

void vfs_path(struct ed_buf *out, const struct vfs *fs, const char *abspath)
{
	ed_buf_reset(out);
	ed_buf_add(out, fs->root, fs->prefix_len);
	if (abspath[0] != '/')
		ed_buf_addch(out, '/');
	ed_buf_adds(out, abspath);
}

/*
 * The real path of (dirfd, path): the root itself by the name it was
 * given (so `--root DIR/` is stat'ed and opened as DIR/, as before),
 * anything else from the root below it; tmp holds a joined path.
 */
static const char *real_path(const struct vfs *fs, int dirfd, const char *path,
			     struct ed_buf *tmp)
{
	if (path[0] == '/' && !path[1])
		return fs->root;
	if (path[0] != '/' && dirfd != AT_FDCWD)
		return path;
	if (!fs->prefix_len && path[0] == '/')
		return path;
	vfs_path(tmp, fs, path);
	return tmp->ptr;
}

/* ---- the calls ---- */

int vfs_openat(struct vfs *fs, int dirfd, const char *path, int flags)
{
	struct ed_buf tmp = ED_BUF_INIT;
	int fd, saved;

	if (fs->img)
		return image_openat(fs->img, dirfd, path, flags);
	fd = openat(dirfd, real_path(fs, dirfd, path, &tmp), flags);
	saved = errno;
	ed_buf_release(&tmp);
	errno = saved;
	return fd;
}

int vfs_fstatat(struct vfs *fs, int dirfd, const char *path, struct stat *st,
		int flags)
{
	struct ed_buf tmp = ED_BUF_INIT;
	int rc, saved;

	if (fs->img)
		return image_fstatat(fs->img, dirfd, path, st, flags);
	rc = fstatat(dirfd, real_path(fs, dirfd, path, &tmp), st, flags);
	saved = errno;
	ed_buf_release(&tmp);
	errno = saved;
	return rc;
}

int vfs_fstat(struct vfs *fs, int fd, struct stat *st)
{
	if (fs->img)
		return image_fstat(fs->img, fd, st);
	return fstat(fd, st);
}

ssize_t vfs_readlinkat(struct vfs *fs, int dirfd, const char *path, char *buf,
		       size_t len)
{
	struct ed_buf tmp = ED_BUF_INIT;
	ssize_t n;
	int saved;

	if (fs->img)
		return image_readlinkat(fs->img, dirfd, path, buf, len);
	n = readlinkat(dirfd, real_path(fs, dirfd, path, &tmp), buf, len);
	saved = errno;
	ed_buf_release(&tmp);
	errno = saved;
	return n;
}

ssize_t vfs_read(struct vfs *fs, int fd, void *buf, size_t len)
{
	if (fs->img)
		return image_read(fs->img, fd, buf, len);
	return read(fd, buf, len);
}

int vfs_close(struct vfs *fs, int fd)
{
	if (fs->img)
		return image_close(fs->img, fd);
	return close(fd);
}

int vfs_executable(struct vfs *fs, const char *path)
{
	struct stat st;

	if (fs->img)
		return image_executable(fs->img, path);
	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK) ? -1 : 0;
}

struct vfs_dir *vfs_fdopendir(struct vfs *fs, int fd)
{
	struct vfs_dir *d;
	DIR *real = NULL;
	size_t node = 0;

	if (fs->img) {
		if (image_dir_node(fs->img, fd, &node) < 0)
			return NULL;
	} else {
		real = fdopendir(fd);
		if (!real) {
			int saved = errno;

			close(fd);
			errno = saved;
			return NULL;
		}
	}
	d = ed_xcalloc(1, sizeof(*d));
	d->fs = fs;
	d->fd = fd;
	d->d = real;
	d->node = node;
	return d;
}

const char *vfs_readdir(struct vfs_dir *d, unsigned char *type)
{
	struct dirent *de;

	if (d->fs->img)
		return image_dir_next(d->fs->img, d->node, &d->pos, type);
	for (;;) {
		errno = 0;
		de = readdir(d->d);
		if (!de)
			return NULL;
		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		*type = de->d_type;
		return de->d_name;
	}
}

int vfs_closedir(struct vfs_dir *d)
{
	int rc;

	if (!d)
		return 0;
	rc = d->fs->img ? image_close(d->fs->img, d->fd) : closedir(d->d);
	free(d);
	return rc;
}

/* ---- whole files and commands ---- */

struct image_fd {
	struct vfs *fs;
	int fd;
};

static ssize_t read_image(void *ctx, void *buf, size_t len)
{
	const struct image_fd *f = ctx;

	return vfs_read(f->fs, f->fd, buf, len);
}

int vfs_read_fd(struct vfs *fs, struct ed_buf *out, int fd, const char *name,
		size_t max, struct ed_err *err)
{
	struct image_fd f = { fs, fd };

	if (!fs->img)
		return ed_buf_read_fd(out, fd, name, max, err);
	/* ed_buf_read_fd's loop, so messages and limits are the same */
	return ed_buf_read_from(out, read_image, &f, name, max, err);
}

int vfs_read_file(struct vfs *fs, struct ed_buf *out, const char *path,
		  size_t max, struct ed_err *err)
{
	struct ed_buf tmp = ED_BUF_INIT;
	int fd, rc, saved;

	if (!fs->img) {
		rc = ed_buf_read_file(out, real_path(fs, AT_FDCWD, path, &tmp),
				      max, err);
		saved = errno;
		ed_buf_release(&tmp);
		errno = saved;
		return rc;
	}
	fd = vfs_openat(fs, AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		saved = errno;
		rc = ed_err_errno(err, saved == ENOENT ? ED_ENOTFOUND : ED_EIO,
				  saved, "%s", path);
		errno = saved;
		return rc;
	}
	rc = vfs_read_fd(fs, out, fd, path, max, err);
	saved = errno;
	vfs_close(fs, fd);
	errno = saved;
	return rc;
}

int vfs_run(struct vfs *fs, struct ed_buf *out, struct ed_buf *errline,
	    int *status, char *const argv[], char *const envp[], size_t max_out,
	    int timeout_ms, struct ed_err *err)
{
	struct stat st;

	if (fs->img)
		return image_run(fs->img, out, errline, status, argv, max_out,
				 err);
	/* a program this machine does not have: as an unrecorded one */
	if (stat(argv[0], &st) < 0 && errno == ENOENT) {
		*status = -1;
		return ed_err_errno(err, ED_ENOTFOUND, ENOENT, "%s: cannot run",
				    argv[0]);
	}
	return collect_run(out, errline, status, argv, envp, max_out,
			   timeout_ms, err);
}
