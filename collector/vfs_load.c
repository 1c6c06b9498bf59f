/*
 * vfs_mem_load_dir: copy a real tree into an in-memory image as the
 * current user sees it, for the tests and for debugging an image against
 * the tree it should equal (collector/vfs.h).
 */
#include "collector/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"

static int load_entry(struct vfs *fs, struct ed_buf *real, struct ed_buf *img,
		      const struct stat *st, struct ed_err *err);

static int load_children(struct vfs *fs, struct ed_buf *real,
			 struct ed_buf *img, DIR *d, struct ed_err *err)
{
	size_t rlen = real->len, ilen = img->len;
	struct dirent *de;
	struct stat st;
	int rc = 0;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = ed_err_errno(err, ED_EIO, errno,
						  "%s: readdir", real->ptr);
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ed_buf_setlen(real, rlen);
		if (rlen != 1 || real->ptr[0] != '/')
			ed_buf_addch(real, '/');
		ed_buf_adds(real, de->d_name);
		ed_buf_setlen(img, ilen);
		ed_buf_addch(img, '/');
		ed_buf_adds(img, de->d_name);
		if (lstat(real->ptr, &st) < 0) {
			if (errno == ENOENT)
				continue; /* removed since readdir */
			rc = ed_err_errno(err, ED_EIO, errno, "%s", real->ptr);
			break;
		}
		rc = load_entry(fs, real, img, &st, err);
		if (rc < 0)
			break;
	}
	ed_buf_setlen(real, rlen);
	ed_buf_setlen(img, ilen);
	return rc;
}

/* Add real->ptr (whose lstat is st) as img->ptr ("" is the root). */
static int load_entry(struct vfs *fs, struct ed_buf *real, struct ed_buf *img,
		      const struct stat *st, struct ed_err *err)
{
	struct ed_buf data = ED_BUF_INIT;
	struct ed_err ignored = ED_ERR_INIT;
	const char *ipath = img->len ? img->ptr : "/";
	int flags = 0, rc = 0, fd;
	DIR *d = NULL;

	if (S_ISDIR(st->st_mode)) {
		d = opendir(real->ptr);
		if (!d)
			flags = VFS_MEM_UNREADABLE;
	} else if (S_ISREG(st->st_mode)) {
		fd = open(real->ptr, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
					     O_NOCTTY | O_CLOEXEC);
		if (fd < 0 ||
		    ed_buf_read_fd(&data, fd, real->ptr, SIZE_MAX, &ignored) < 0)
			flags = VFS_MEM_UNREADABLE;
		if (fd >= 0)
			close(fd);
	} else if (S_ISLNK(st->st_mode)) {
		size_t cap = 256;
		ssize_t n;

		for (;;) {
			ed_buf_reset(&data);
			ed_buf_grow(&data, cap);
			n = readlink(real->ptr, data.ptr, cap);
			if (n < 0 || (size_t)n < cap)
				break;
			cap = ed_st_mult(cap, 2);
		}
		if (n < 0) {
			rc = ed_err_errno(err, ED_EIO, errno, "%s", real->ptr);
			goto out;
		}
		ed_buf_setlen(&data, (size_t)n);
	}
	rc = vfs_mem_add(fs, ipath, st, data.ptr, data.len, flags, err);
	if (rc < 0 || !d)
		goto out;
	rc = load_children(fs, real, img, d, err);
out:
	if (d)
		closedir(d);
	ed_buf_release(&data);
	return rc;
}

int vfs_mem_load_dir(struct vfs *fs, const char *dir, const char *prefix,
		     struct ed_err *err)
{
	struct ed_buf real = ED_BUF_INIT, img = ED_BUF_INIT;
	struct stat st;
	int rc;

	if (lstat(dir, &st) < 0)
		return ed_err_errno(err, errno == ENOENT ? ED_ENOTFOUND : ED_EIO,
				    errno, "%s", dir);
	ed_buf_adds(&real, dir);
	while (real.len > 1 && real.ptr[real.len - 1] == '/')
		ed_buf_setlen(&real, real.len - 1);
	ed_buf_adds(&img, prefix);
	while (img.len && img.ptr[img.len - 1] == '/')
		ed_buf_setlen(&img, img.len - 1);
	if (img.len && img.ptr[0] != '/') {
		rc = ed_err_set(err, ED_ERROR, "'%s': not an absolute path",
				prefix);
		goto out;
	}
	rc = load_entry(fs, &real, &img, &st, err);
out:
	ed_buf_release(&real);
	ed_buf_release(&img);
	return rc;
}
