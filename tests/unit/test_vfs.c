/*
 * Unit tests for collector/vfs.c. An in-memory image must answer as Linux
 * does for the same tree (checked against the real file system wherever
 * Linux can show it, by hand where root cannot: unreadable nodes, links
 * to absolute targets), and collecting an image of a tree must give the
 * very snapshot `collect --root` gives for that tree: the property a
 * fleet scan's remote snapshots rest on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/internal.h"
#include "collector/vfs.h"
#include "core/alloc.h"
#include "core/hmac.h"

struct fx {
	char tmp[64]; /* mkdtemp template: a fixed, known length */
	struct vfs *fs;
	struct ed_hmac *key;
	struct collect_config *cfg;
	struct ed_err err;
};

static int setup(void **state)
{
	struct fx *f = ed_xcalloc(1, sizeof(*f));
	struct ed_buf path = ED_BUF_INIT;
	int rc = -1;

	memcpy(f->tmp, "/tmp/envdrift-vfs.XXXXXX",
	       sizeof("/tmp/envdrift-vfs.XXXXXX"));
	if (!mkdtemp(f->tmp) || chmod(f->tmp, 0755) < 0)
		goto out;
	ed_buf_addf(&path, "%s/key", f->tmp);
	if (ed_hmac_generate(path.ptr, 0600, &f->err) < 0 ||
	    ed_hmac_load(&f->key, path.ptr, &f->err) < 0 ||
	    collect_config_load(&f->cfg, NULL, &f->err) < 0)
		goto out;
	f->fs = vfs_mem_new();
	*state = f;
	rc = 0;
out:
	ed_buf_release(&path);
	return rc;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct ed_buf cmd = ED_BUF_INIT;
	int rc;

	ed_buf_addf(&cmd, "rm -rf '%s'", f->tmp);
	rc = system(cmd.ptr);
	ed_buf_release(&cmd);
	vfs_free(f->fs);
	ed_hmac_free(f->key);
	collect_config_free(f->cfg);
	free(f);
	return rc ? -1 : 0;
}

/* ---- building images and trees ---- */

static void add_node(struct vfs *fs, const char *path, mode_t mode,
		     unsigned uid, const char *data, int flags)
{
	struct ed_err err = ED_ERR_INIT;
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_gid = uid;
	st.st_mtim.tv_sec = 1700000000;
	st.st_mtim.tv_nsec = 5;
	st.st_size = 4096;
	if (vfs_mem_add(fs, path, &st, data, data ? strlen(data) : 0, flags,
			&err) < 0)
		fail_msg("vfs_mem_add %s: %s", path, err.msg);
}

static void add_dir(struct vfs *fs, const char *path)
{
	add_node(fs, path, S_IFDIR | 0755, 0, NULL, 0);
}

static void add_file(struct vfs *fs, const char *path, const char *data)
{
	add_node(fs, path, S_IFREG | 0644, 0, data, 0);
}

static void add_link(struct vfs *fs, const char *path, const char *target)
{
	add_node(fs, path, S_IFLNK | 0777, 0, target, 0);
}

/* The hand-built image most tests use. */
static void build_image(struct vfs *fs)
{
	add_dir(fs, "/etc");
	add_file(fs, "/etc/hosts", "127.0.0.1 localhost\n");
	add_link(fs, "/etc/rel", "hosts");
	add_link(fs, "/etc/abs", "/etc/hosts");
	add_link(fs, "/etc/up", "../etc/hosts");
	add_link(fs, "/etc/escape", "../../../../../../etc/hosts");
	add_link(fs, "/etc/dirlink", "/etc");
	add_link(fs, "/etc/rootlink", "/");
	add_link(fs, "/etc/loop1", "loop2");
	add_link(fs, "/etc/loop2", "loop1");
	add_link(fs, "/etc/dangling", "nowhere");
	add_link(fs, "/etc/empty-target", "");
	add_node(fs, "/etc/secret", S_IFREG | 0600, 0, "hidden\n",
		 VFS_MEM_UNREADABLE);
	add_node(fs, "/etc/private", S_IFDIR | 0700, 0, NULL, VFS_MEM_UNREADABLE);
	add_node(fs, "/etc/fifo", S_IFIFO | 0644, 0, NULL, 0);
	add_node(fs, "/etc/sock", S_IFSOCK | 0755, 0, NULL, 0);
	add_node(fs, "/usr/bin/tool", S_IFREG | 0755, 0, "#!/bin/sh\n", 0);
}

static void expect_open(struct vfs *fs, int dirfd, const char *path, int flags,
			int want_errno)
{
	int fd;

	errno = 0;
	fd = vfs_openat(fs, dirfd, path, flags);
	if (!want_errno) {
		if (fd < 0)
			fail_msg("open '%s': %s", path, strerror(errno));
		assert_int_equal(vfs_close(fs, fd), 0);
		return;
	}
	if (fd >= 0)
		fail_msg("open '%s' succeeded, want %s", path,
			 strerror(want_errno));
	if (errno != want_errno)
		fail_msg("open '%s': %s, want %s", path, strerror(errno),
			 strerror(want_errno));
}

/* Every byte of path (through fs) into out. */
static void slurp(struct vfs *fs, const char *path, struct ed_buf *out)
{
	struct ed_err err = ED_ERR_INIT;

	ed_buf_reset(out);
	if (vfs_read_file(fs, out, path, 1 << 20, &err) < 0)
		fail_msg("%s", err.msg);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	struct ed_buf cmd = ED_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ed_buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	if (system(cmd.ptr) != 0)
		fail_msg("failed: %s", cmd.ptr);
	ed_buf_release(&cmd);
}

static void write_in(const char *dir, const char *rel, const char *data,
		     mode_t mode)
{
	struct ed_buf p = ED_BUF_INIT;
	int fd;

	ed_buf_addf(&p, "%s/%s", dir, rel);
	fd = open(p.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(p.ptr, mode), 0);
	ed_buf_release(&p);
}

static void bind_socket(const char *dir, const char *rel)
{
	struct sockaddr_un sa;
	struct ed_buf p = ED_BUF_INIT;
	int fd;

	ed_buf_addf(&p, "%s/%s", dir, rel);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(p.len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p.ptr, p.len);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ed_buf_release(&p);
}

/* ---- the errno contract ---- */

static void test_vfs_open_answers_as_linux_does(void **state)
{
	struct fx *f = *state;
	struct vfs *fs = f->fs;
	int etc;

	build_image(fs);
	expect_open(fs, AT_FDCWD, "/etc/hosts", O_RDONLY, 0);
	expect_open(fs, AT_FDCWD, "etc/hosts", O_RDONLY, 0);
	expect_open(fs, AT_FDCWD, "//etc///hosts", O_RDONLY, 0);
	expect_open(fs, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0);
	expect_open(fs, AT_FDCWD, "/nope", O_RDONLY, ENOENT);
	expect_open(fs, AT_FDCWD, "/etc/nope/x", O_RDONLY, ENOENT);
	expect_open(fs, AT_FDCWD, "", O_RDONLY, ENOENT);
	expect_open(fs, AT_FDCWD, "/etc/hosts/x", O_RDONLY, ENOTDIR);
	expect_open(fs, AT_FDCWD, "/etc/hosts/", O_RDONLY, ENOTDIR);
	expect_open(fs, AT_FDCWD, "/etc/rel/", O_RDONLY, ENOTDIR);
	expect_open(fs, AT_FDCWD, "/etc/hosts", O_RDONLY | O_DIRECTORY, ENOTDIR);
	expect_open(fs, AT_FDCWD, "/etc/rel", O_RDONLY | O_NOFOLLOW, ELOOP);
	expect_open(fs, AT_FDCWD, "/etc/dirlink",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW, ENOTDIR);
	expect_open(fs, AT_FDCWD, "/etc/dirlink/", O_RDONLY | O_NOFOLLOW, 0);
	expect_open(fs, AT_FDCWD, "/etc/dirlink", O_RDONLY | O_DIRECTORY, 0);
	expect_open(fs, AT_FDCWD, "/etc/loop1", O_RDONLY, ELOOP);
	expect_open(fs, AT_FDCWD, "/etc/loop1/x", O_RDONLY, ELOOP);
	expect_open(fs, AT_FDCWD, "/etc/loop1", O_RDONLY | O_NOFOLLOW, ELOOP);
	expect_open(fs, AT_FDCWD, "/etc/dangling", O_RDONLY, ENOENT);
	expect_open(fs, AT_FDCWD, "/etc/empty-target", O_RDONLY, ENOENT);
	expect_open(fs, AT_FDCWD, "/etc/secret", O_RDONLY, EACCES);
	expect_open(fs, AT_FDCWD, "/etc/private", O_RDONLY | O_DIRECTORY, EACCES);
	expect_open(fs, AT_FDCWD, "/etc/sock", O_RDONLY | O_NONBLOCK, ENXIO);
	expect_open(fs, AT_FDCWD, "/etc/fifo", O_RDONLY | O_NONBLOCK, 0);
	expect_open(fs, AT_FDCWD, "/etc/hosts", O_WRONLY, EROFS);
	expect_open(fs, AT_FDCWD, "/etc/new", O_RDONLY | O_CREAT, EROFS);

	/* relative to a handle; a file handle cannot be a starting point */
	etc = vfs_openat(fs, AT_FDCWD, "/etc", O_RDONLY | O_DIRECTORY);
	assert_true(etc >= 0);
	expect_open(fs, etc, "hosts", O_RDONLY | O_NOFOLLOW, 0);
	expect_open(fs, etc, "./hosts", O_RDONLY, 0);
	expect_open(fs, etc, "../etc/hosts", O_RDONLY, 0);
	expect_open(fs, etc, ".", O_RDONLY | O_DIRECTORY, 0);
	expect_open(fs, etc, "/usr/bin/tool", O_RDONLY, 0);
	{
		int file = vfs_openat(fs, etc, "hosts", O_RDONLY);

		assert_true(file >= 0);
		expect_open(fs, file, "x", O_RDONLY, ENOTDIR);
		expect_open(fs, file, "", O_RDONLY, ENOENT);
		assert_int_equal(vfs_close(fs, file), 0);
	}
	assert_int_equal(vfs_close(fs, etc), 0);
}

static void test_vfs_links_resolve_inside_the_image(void **state)
{
	struct fx *f = *state;
	struct vfs *fs = f->fs;
	struct ed_buf b = ED_BUF_INIT;
	struct ed_buf chain = ED_BUF_INIT, name = ED_BUF_INIT;
	int i;

	build_image(fs);
	/* a host path that also exists here must not be what is read */
	add_file(fs, "/etc/passwd", "image-only\n");
	add_link(fs, "/etc/pw", "/etc/passwd");
	slurp(fs, "/etc/pw", &b);
	assert_string_equal(b.ptr, "image-only\n");
	slurp(fs, "/etc/abs", &b);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");
	slurp(fs, "/etc/up", &b);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");
	/* ".." above the root stays at the root */
	slurp(fs, "/etc/escape", &b);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");
	slurp(fs, "/../../etc/hosts", &b);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");
	slurp(fs, "/etc/dirlink/dirlink/rootlink/etc/rel", &b);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");
	/* ".." is the parent of where a link led, not of the link */
	slurp(fs, "/etc/rootlink/usr/../etc/hosts", &b);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");

	/* 40 links are followed, the 41st is ELOOP */
	for (i = 0; i <= 40; i++) {
		ed_buf_reset(&name);
		ed_buf_addf(&name, "/chain/l%d", i);
		ed_buf_reset(&chain);
		if (i == 40)
			ed_buf_adds(&chain, "/etc/hosts");
		else
			ed_buf_addf(&chain, "l%d", i + 1);
		add_link(fs, name.ptr, chain.ptr);
	}
	expect_open(fs, AT_FDCWD, "/chain/l1", O_RDONLY, 0);
	expect_open(fs, AT_FDCWD, "/chain/l0", O_RDONLY, ELOOP);
	ed_buf_release(&b);
	ed_buf_release(&chain);
	ed_buf_release(&name);
}

/*
 * The same relative tree on disk and in an image: every open, stat and
 * readlink must give the same result and errno.
 */
static void test_vfs_errno_matches_the_real_file_system(void **state)
{
	static const char *const paths[] = {
		"f",          "f/",       "f/x",        "d",        "d/",
		"d/.",        "d/..",     "d/../f",     "d//f2",    "./f",
		".",          "ld",       "ld/",        "ld/f2",    "ldd/f2",
		"lf",         "lf/",      "lup",        "lup/d/f2", "loop1",
		"loop1/x",    "dangling", "dangling/x", "missing",  "missing/x",
		"",           "fifo",     "sock",       "chain0",   "chain1",
		"d/sub/deep",
	};
	static const int flags[] = {
		O_RDONLY,
		O_RDONLY | O_NOFOLLOW,
		O_RDONLY | O_DIRECTORY,
		O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
	};
	struct fx *f = *state;
	struct ed_buf tree = ED_BUF_INIT, link = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	int rfd, ifd, i;
	size_t p, k;

	ed_buf_addf(&tree, "%s/tree", f->tmp);
	sh("mkdir -p '%s/d/sub' && cd '%s' && echo one > f && echo two > d/f2 "
	   "&& echo deep > d/sub/deep && ln -s d ld && ln -s ld ldd && "
	   "ln -s f lf && ln -s .. lup && ln -s loop2 loop1 && "
	   "ln -s loop1 loop2 && ln -s nowhere dangling && mkfifo fifo",
	   tree.ptr, tree.ptr);
	bind_socket(tree.ptr, "sock");
	for (i = 0; i <= 40; i++) {
		ed_buf_reset(&link);
		ed_buf_addf(&link, "%s/chain%d", tree.ptr, i);
		if (i == 40)
			assert_int_equal(symlink("f", link.ptr), 0);
		else {
			char target[16];

			assert_true(snprintf(target, sizeof(target), "chain%d",
					     i + 1) > 0);
			assert_int_equal(symlink(target, link.ptr), 0);
		}
	}
	assert_int_equal(vfs_mem_load_dir(f->fs, tree.ptr, "", &err), 0);
	rfd = open(tree.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ifd = vfs_openat(f->fs, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
	assert_true(rfd >= 0 && ifd >= 0);

	for (p = 0; p < ED_ARRAY_SIZE(paths); p++) {
		const char *path = paths[p];
		struct stat rst, ist;
		char rbuf[64], ibuf[64];
		ssize_t rn, in;
		int re, ie, rrc, irc;

		/* ".." of the tree's root is the tree's parent on disk */
		if (!strcmp(path, "lup") || !strncmp(path, "lup/", 4))
			continue;
		for (k = 0; k < ED_ARRAY_SIZE(flags); k++) {
			int fl = flags[k] | O_NONBLOCK | O_CLOEXEC;

			errno = 0;
			rrc = openat(rfd, path, fl);
			re = errno;
			errno = 0;
			irc = vfs_openat(f->fs, ifd, path, fl);
			ie = errno;
			if ((rrc < 0) != (irc < 0) || (rrc < 0 && re != ie))
				fail_msg("openat '%s' flags %#x: real %s, image %s",
					 path, fl, rrc < 0 ? strerror(re) : "ok",
					 irc < 0 ? strerror(ie) : "ok");
			if (rrc >= 0)
				close(rrc);
			if (irc >= 0)
				vfs_close(f->fs, irc);
		}
		for (k = 0; k < 2; k++) {
			int fl = k ? AT_SYMLINK_NOFOLLOW : 0;

			errno = 0;
			rrc = fstatat(rfd, path, &rst, fl);
			re = errno;
			errno = 0;
			irc = vfs_fstatat(f->fs, ifd, path, &ist, fl);
			ie = errno;
			if (rrc != irc || (rrc < 0 && re != ie))
				fail_msg("fstatat '%s' %d: real %s, image %s",
					 path, fl, rrc < 0 ? strerror(re) : "ok",
					 irc < 0 ? strerror(ie) : "ok");
			if (!rrc) {
				assert_int_equal(rst.st_mode, ist.st_mode);
				if (!S_ISDIR(rst.st_mode))
					assert_int_equal(rst.st_size, ist.st_size);
				assert_int_equal(rst.st_uid, ist.st_uid);
				assert_int_equal(rst.st_mtim.tv_sec,
						 ist.st_mtim.tv_sec);
				assert_int_equal(rst.st_mtim.tv_nsec,
						 ist.st_mtim.tv_nsec);
			}
		}
		errno = 0;
		rn = readlinkat(rfd, path, rbuf, sizeof(rbuf));
		re = errno;
		errno = 0;
		in = vfs_readlinkat(f->fs, ifd, path, ibuf, sizeof(ibuf));
		ie = errno;
		if (rn != in || (rn < 0 && re != ie))
			fail_msg("readlinkat '%s': real %zd %s, image %zd %s",
				 path, rn, strerror(re), in, strerror(ie));
		if (rn > 0)
			assert_memory_equal(rbuf, ibuf, (size_t)rn);
	}
	close(rfd);
	vfs_close(f->fs, ifd);
	ed_buf_release(&tree);
	ed_buf_release(&link);
}

static void test_vfs_unreadable_nodes_refuse_opening_only(void **state)
{
	struct fx *f = *state;
	struct ed_buf b = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct stat st;

	build_image(f->fs);
	add_file(f->fs, "/etc/private/inside", "x\n");
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/secret", &st, 0), 0);
	assert_true(S_ISREG(st.st_mode));
	/* nothing was read: the size is the one listed, not the data's */
	assert_int_equal(st.st_size, 4096);
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/private", &st,
				     AT_SYMLINK_NOFOLLOW),
			 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0700);
	expect_open(f->fs, AT_FDCWD, "/etc/secret", O_RDONLY | O_NOFOLLOW, EACCES);
	expect_open(f->fs, AT_FDCWD, "/etc/private",
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW, EACCES);
	/* what was listed below it stays reachable by name */
	expect_open(f->fs, AT_FDCWD, "/etc/private/inside", O_RDONLY, 0);
	assert_int_equal(vfs_read_file(f->fs, &b, "/etc/secret", 100, &err),
			 ED_EIO);
	assert_string_equal(err.msg, "/etc/secret: Permission denied");
	assert_int_equal(errno, EACCES);
	ed_buf_release(&b);
}

static void test_vfs_bad_handles_are_ebadf(void **state)
{
	struct fx *f = *state;
	struct stat st;
	char c;
	int fd, fd2;

	build_image(f->fs);
	errno = 0;
	assert_int_equal(vfs_read(f->fs, 7, &c, 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(vfs_close(f->fs, -1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(vfs_fstat(f->fs, 3, &st), -1);
	assert_int_equal(errno, EBADF);
	expect_open(f->fs, 42, "hosts", O_RDONLY, EBADF);
	/* an absolute path ignores the handle, as on Linux */
	expect_open(f->fs, 42, "/etc/hosts", O_RDONLY, 0);
	errno = 0;
	assert_int_equal(vfs_fstatat(f->fs, 42, "hosts", &st, 0), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_null(vfs_fdopendir(f->fs, 42));
	assert_int_equal(errno, EBADF);

	/* handles are small ints, the lowest free one first */
	fd = vfs_openat(f->fs, AT_FDCWD, "/etc/hosts", O_RDONLY);
	fd2 = vfs_openat(f->fs, AT_FDCWD, "/etc/hosts", O_RDONLY);
	assert_int_equal(fd, 0);
	assert_int_equal(fd2, 1);
	assert_int_equal(vfs_close(f->fs, fd), 0);
	errno = 0;
	assert_int_equal(vfs_close(f->fs, fd), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(vfs_read(f->fs, fd, &c, 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(vfs_openat(f->fs, AT_FDCWD, "/etc", O_RDONLY), 0);
	assert_int_equal(vfs_close(f->fs, 0), 0);
	assert_int_equal(vfs_close(f->fs, fd2), 0);
}

static void test_vfs_read_returns_content_progressively(void **state)
{
	struct fx *f = *state;
	struct ed_buf got = ED_BUF_INIT;
	char buf[8];
	ssize_t n;
	int fd, fd2, dir;

	build_image(f->fs);
	fd = vfs_openat(f->fs, AT_FDCWD, "/etc/rel", O_RDONLY);
	fd2 = vfs_openat(f->fs, AT_FDCWD, "/etc/hosts", O_RDONLY);
	assert_true(fd >= 0 && fd2 >= 0);
	while ((n = vfs_read(f->fs, fd, buf, 3)) > 0) {
		assert_true(n <= 3);
		ed_buf_add(&got, buf, (size_t)n);
	}
	assert_int_equal(n, 0);
	assert_int_equal(vfs_read(f->fs, fd, buf, sizeof(buf)), 0);
	assert_string_equal(got.ptr, "127.0.0.1 localhost\n");
	/* each handle has its own offset */
	assert_int_equal(vfs_read(f->fs, fd2, buf, 4), 4);
	assert_memory_equal(buf, "127.", 4);
	assert_int_equal(vfs_read(f->fs, fd2, buf, 0), 0);
	assert_int_equal(vfs_close(f->fs, fd), 0);
	assert_int_equal(vfs_close(f->fs, fd2), 0);

	dir = vfs_openat(f->fs, AT_FDCWD, "/etc", O_RDONLY);
	assert_true(dir >= 0);
	errno = 0;
	assert_int_equal(vfs_read(f->fs, dir, buf, 1), -1);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(vfs_close(f->fs, dir), 0);
	fd = vfs_openat(f->fs, AT_FDCWD, "/etc/fifo", O_RDONLY | O_NONBLOCK);
	assert_int_equal(vfs_read(f->fs, fd, buf, 1), 0);
	assert_int_equal(vfs_close(f->fs, fd), 0);
	/* a regular file added without data is empty */
	add_node(f->fs, "/etc/none", S_IFREG | 0644, 0, NULL, 0);
	slurp(f->fs, "/etc/none", &got);
	assert_int_equal(got.len, 0);
	ed_buf_release(&got);
}

static void test_vfs_stat_fills_the_listed_fields(void **state)
{
	struct fx *f = *state;
	struct stat a, b, l;
	int fd;

	build_image(f->fs);
	add_node(f->fs, "/etc/owned", S_IFREG | 04751, 1234, "abc", 0);
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/owned", &a, 0), 0);
	assert_int_equal(a.st_mode, S_IFREG | 04751);
	assert_int_equal(a.st_uid, 1234);
	assert_int_equal(a.st_gid, 1234);
	assert_int_equal(a.st_size, 3);
	assert_int_equal(a.st_mtim.tv_sec, 1700000000);
	assert_int_equal(a.st_mtim.tv_nsec, 5);
	assert_int_equal(a.st_nlink, 1);
	assert_int_equal(a.st_dev, 1);
	fd = vfs_openat(f->fs, AT_FDCWD, "/etc/owned", O_RDONLY);
	assert_int_equal(vfs_fstat(f->fs, fd, &b), 0);
	assert_int_equal(vfs_close(f->fs, fd), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	/* a link: its own node with the target's length as size */
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/rel", &l,
				     AT_SYMLINK_NOFOLLOW),
			 0);
	assert_int_equal(l.st_mode, S_IFLNK | 0777);
	assert_int_equal(l.st_size, 5);
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/hosts", &b, 0), 0);
	assert_int_not_equal(l.st_ino, b.st_ino);
	assert_int_not_equal(a.st_ino, b.st_ino);
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/rel", &l, 0), 0);
	assert_int_equal(l.st_ino, b.st_ino);
	errno = 0;
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/etc/hosts", &b, 0x4000),
			 -1);
	assert_int_equal(errno, EINVAL);
}

static void test_vfs_readdir_lists_children(void **state)
{
	struct fx *f = *state;
	struct vfs_dir *d;
	struct vfs *real;
	struct ed_buf names = ED_BUF_INIT;
	const char *name;
	unsigned char type;
	int fd;

	add_dir(f->fs, "/d");
	add_file(f->fs, "/d/b", "");
	add_dir(f->fs, "/d/a");
	add_link(f->fs, "/d/c", "b");
	add_node(f->fs, "/d/p", S_IFIFO | 0600, 0, NULL, 0);
	fd = vfs_openat(f->fs, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY);
	d = vfs_fdopendir(f->fs, fd);
	assert_non_null(d);
	while ((name = vfs_readdir(d, &type)))
		ed_buf_addf(&names, "%s:%d ", name, type);
	assert_int_equal(errno, 0);
	assert_string_equal(names.ptr, "b:8 a:4 c:10 p:1 ");
	assert_null(vfs_readdir(d, &type));
	assert_int_equal(vfs_closedir(d), 0);
	/* closedir closed the handle */
	errno = 0;
	assert_int_equal(vfs_close(f->fs, fd), -1);
	assert_int_equal(errno, EBADF);

	/* not a directory: ENOTDIR, and the handle is closed */
	fd = vfs_openat(f->fs, AT_FDCWD, "/d/b", O_RDONLY);
	assert_true(fd >= 0);
	errno = 0;
	assert_null(vfs_fdopendir(f->fs, fd));
	assert_int_equal(errno, ENOTDIR);
	errno = 0;
	assert_int_equal(vfs_close(f->fs, fd), -1);
	assert_int_equal(errno, EBADF);

	/* the real file system skips "." and ".." too */
	ed_buf_reset(&names);
	real = vfs_root_new("/");
	fd = vfs_openat(real, AT_FDCWD, f->tmp, O_RDONLY | O_DIRECTORY);
	d = vfs_fdopendir(real, fd);
	assert_non_null(d);
	while ((name = vfs_readdir(d, &type)))
		ed_buf_addf(&names, "%s:%d ", name, type);
	assert_int_equal(errno, 0);
	assert_string_equal(names.ptr, "key:8 ");
	assert_int_equal(vfs_closedir(d), 0);
	assert_int_equal(vfs_closedir(NULL), 0);
	vfs_free(real);
	ed_buf_release(&names);
}

static void test_vfs_read_file_codes_match_ed_buf_read_file(void **state)
{
	struct fx *f = *state;
	struct ed_buf b = ED_BUF_INIT, real = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT, rerr = ED_ERR_INIT;

	build_image(f->fs);
	assert_int_equal(vfs_read_file(f->fs, &b, "/etc/nope", 10, &err),
			 ED_ENOTFOUND);
	assert_string_equal(err.msg, "/etc/nope: No such file or directory");
	assert_int_equal(vfs_read_file(f->fs, &b, "/etc/loop1", 10, &err), ED_EIO);
	assert_string_equal(err.msg,
			    "/etc/loop1: Too many levels of symbolic links");
	/* a directory opens, then read() says EISDIR: as on Linux */
	assert_int_equal(vfs_read_file(f->fs, &b, "/etc", 10, &err), ED_EIO);
	assert_int_equal(ed_buf_read_file(&real, f->tmp, 10, &rerr), ED_EIO);
	assert_string_equal(err.msg, "/etc: read: Is a directory");
	assert_non_null(strstr(rerr.msg, ": read: Is a directory"));
	ed_buf_reset(&b);
	assert_int_equal(vfs_read_file(f->fs, &b, "/etc/hosts", 5, &err),
			 ED_EPARTIAL);
	assert_string_equal(err.msg, "/etc/hosts: larger than 5 bytes");
	assert_string_equal(b.ptr, "127.0");
	ed_buf_reset(&b);
	assert_int_equal(vfs_read_file(f->fs, &b, "/etc/hosts", 20, &err), 0);
	assert_string_equal(b.ptr, "127.0.0.1 localhost\n");
	ed_buf_release(&b);
	ed_buf_release(&real);
}

/* ---- commands ---- */

static void test_vfs_run_answers_from_recorded_outputs(void **state)
{
	struct fx *f = *state;
	char a0[] = "/usr/bin/tool", a1[] = "--list", a2[] = "--other";
	char *argv[] = { a0, a1, NULL };
	char *argv2[] = { a0, a2, NULL };
	char *argv3[] = { a0, NULL };
	char env0[] = "LC_ALL=C";
	char *envp[] = { env0, NULL };
	struct ed_buf out = ED_BUF_INIT, errline = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	int status;

	vfs_mem_set_output(f->fs, argv, "one\ntwo\n", 8, 0);
	vfs_mem_set_output(f->fs, argv2, "bad\n", 4, 3 << 8);
	vfs_mem_set_stderr(f->fs, argv2, "error: it\tbroke\nsecond line\n", 28);
	assert_int_equal(vfs_run(f->fs, &out, &errline, &status, argv, envp,
				 100, 1000, &err),
			 0);
	assert_string_equal(out.ptr, "one\ntwo\n");
	assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
	assert_int_equal(errline.len, 0);

	ed_buf_reset(&out);
	assert_int_equal(vfs_run(f->fs, &out, &errline, &status, argv2, NULL,
				 100, 1000, &err),
			 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_string_equal(errline.ptr, "error: it broke");

	/* too big: the error collect_run gives */
	ed_buf_reset(&out);
	assert_int_equal(vfs_run(f->fs, &out, &errline, &status, argv, NULL, 5,
				 1000, &err),
			 ED_EIO);
	assert_string_equal(err.msg, "/usr/bin/tool: output larger than 5 bytes");
	assert_int_equal(out.len, 5);

	/* not recorded (argv must match entirely): absent on the host */
	assert_int_equal(vfs_run(f->fs, &out, &errline, &status, argv3, NULL,
				 100, 1000, &err),
			 ED_ENOTFOUND);
	assert_string_equal(err.msg, "/usr/bin/tool: not run on the remote host");
	assert_int_equal(status, -1);

	/* recording again replaces */
	vfs_mem_set_output(f->fs, argv, "three\n", 6, 0);
	ed_buf_reset(&out);
	assert_int_equal(vfs_run(f->fs, &out, &errline, &status, argv, NULL,
				 100, 1000, &err),
			 0);
	assert_string_equal(out.ptr, "three\n");
	ed_buf_release(&out);
	ed_buf_release(&errline);
}

static void test_vfs_executable_needs_a_regular_file_with_x(void **state)
{
	struct fx *f = *state;
	struct vfs *real;

	build_image(f->fs);
	add_link(f->fs, "/bin", "usr/bin");
	assert_int_equal(vfs_executable(f->fs, "/usr/bin/tool"), 0);
	assert_int_equal(vfs_executable(f->fs, "/bin/tool"), 0);
	assert_int_equal(vfs_executable(f->fs, "/etc/hosts"), -1);
	assert_int_equal(errno, EACCES);
	assert_int_equal(vfs_executable(f->fs, "/usr/bin"), -1);
	assert_int_equal(vfs_executable(f->fs, "/usr/bin/none"), -1);
	assert_int_equal(errno, ENOENT);
	/* the real file system: this machine's programs whatever the root */
	real = vfs_root_new(f->tmp);
	assert_int_equal(vfs_executable(real, "/bin/sh"), 0);
	assert_int_equal(vfs_executable(real, "/etc/passwd"), -1);
	assert_int_equal(vfs_executable(real, "/usr/bin"), -1);
	vfs_free(real);
}

/* ---- building ---- */

static void test_vfs_add_replaces_and_keeps_children(void **state)
{
	struct fx *f = *state;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf b = ED_BUF_INIT;
	struct stat st;

	add_file(f->fs, "/a/b/c", "first\n");
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/a/b", &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0755);
	assert_int_equal(st.st_uid, 0);
	add_node(f->fs, "/a", S_IFDIR | 0700, 1234, NULL, 0);
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/a", &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0700);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_mtim.tv_sec, 1700000000);
	slurp(f->fs, "/a/b/c", &b);
	assert_string_equal(b.ptr, "first\n");
	add_node(f->fs, "/a/b/c", S_IFREG | 0600, 7, "second, longer\n", 0);
	slurp(f->fs, "/a/b/c", &b);
	assert_string_equal(b.ptr, "second, longer\n");
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/a/b/c", &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFREG | 0600);
	assert_int_equal(st.st_size, 15);
	/* the root can take attributes too, but only a directory's */
	add_node(f->fs, "/", S_IFDIR | 0711, 0, NULL, 0);
	assert_int_equal(vfs_fstatat(f->fs, AT_FDCWD, "/", &st, 0), 0);
	assert_int_equal(st.st_mode, S_IFDIR | 0711);
	expect_open(f->fs, AT_FDCWD, "/a/b/c", O_RDONLY, 0);

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	assert_int_equal(vfs_mem_add(f->fs, "rel", &st, NULL, 0, 0, &err),
			 ED_ERROR);
	assert_int_equal(vfs_mem_add(f->fs, "/a/../x", &st, NULL, 0, 0, &err),
			 ED_ERROR);
	assert_int_equal(vfs_mem_add(f->fs, "/a/b/c/d", &st, NULL, 0, 0, &err),
			 ED_ERROR);
	assert_string_equal(err.msg, "'/a/b/c/d': '/a/b/c' is not a directory");
	assert_int_equal(vfs_mem_add(f->fs, "/", &st, NULL, 0, 0, &err), ED_ERROR);
	st.st_mode = 0644;
	assert_int_equal(vfs_mem_add(f->fs, "/y", &st, NULL, 0, 0, &err),
			 ED_ERROR);
	ed_buf_release(&b);
}

static void test_vfs_images_hold_many_entries(void **state)
{
	struct fx *f = *state;
	struct ed_buf p = ED_BUF_INIT, b = ED_BUF_INIT;
	int i;

	for (i = 0; i < 30000; i++) {
		ed_buf_reset(&p);
		ed_buf_addf(&p, "/etc/d%d/f%d", i % 97, i);
		add_file(f->fs, p.ptr, p.ptr);
	}
	for (i = 0; i < 30000; i += 997) {
		ed_buf_reset(&p);
		ed_buf_addf(&p, "/etc/d%d/f%d", i % 97, i);
		slurp(f->fs, p.ptr, &b);
		assert_string_equal(b.ptr, p.ptr);
	}
	ed_buf_release(&p);
	ed_buf_release(&b);
}

/* ---- collect_host: an image of a tree against the tree itself ---- */

/* s with every occurrence of root ("/" excepted) removed */
static void unroot(struct ed_buf *out, const char *s, const char *root)
{
	size_t n = strlen(root);
	const char *at;

	ed_buf_reset(out);
	while (n > 1 && (at = strstr(s, root))) {
		ed_buf_add(out, s, (size_t)(at - s));
		s = at + n;
	}
	ed_buf_adds(out, s);
}

static void assert_same_vec(const char *what, const struct ed_strvec *a,
			    const struct ed_strvec *b, const char *root)
{
	struct ed_buf x = ED_BUF_INIT;
	size_t i;

	for (i = 0; i < a->nr && i < b->nr; i++) {
		unroot(&x, a->v[i], root);
		if (strcmp(x.ptr, b->v[i]))
			fail_msg("%s %zu: real '%s', image '%s'", what, i,
				 a->v[i], b->v[i]);
	}
	if (a->nr != b->nr)
		fail_msg("%s: real has %zu, image %zu (first extra: '%s')",
			 what, a->nr, b->nr, a->nr > b->nr ? a->v[i] : b->v[i]);
	ed_buf_release(&x);
}

static void assert_same_snapshot(const struct snapshot *a,
				 const struct snapshot *b, const char *root)
{
	size_t i;

	for (i = 0; i < a->nr && i < b->nr; i++) {
		const struct snapshot_entry *x = &a->entries[i];
		const struct snapshot_entry *y = &b->entries[i];

		if (strcmp(x->path, y->path))
			fail_msg("entry %zu: real '%s', image '%s'", i, x->path,
				 y->path);
		assert_false(x->has_oid || y->has_oid);
		if (x->len != y->len || memcmp(x->data, y->data, x->len))
			fail_msg("%s differs:\n--- real\n%s\n--- image\n%s",
				 x->path, x->data, y->data);
	}
	if (a->nr != b->nr)
		fail_msg("real has %zu entries, image %zu (first extra: %s)",
			 a->nr, b->nr,
			 a->nr > b->nr ? a->entries[i].path : b->entries[i].path);
	assert_same_vec("warning", &a->warnings, &b->warnings, root);
	assert_same_vec("keep", &a->keep, &b->keep, root);
}

/* Collect fs, or this machine's tree at root when fs is NULL. */
static int collect(struct snapshot *out, const struct fx *f, struct vfs *fs,
		   const char *root, bool live, struct ed_err *err)
{
	struct vfs *own = fs ? NULL : vfs_root_new(root);
	struct collect_opts o;
	int rc;

	if (!fs)
		fs = own;
	vfs_set_live(fs, live);
	memset(&o, 0, sizeof(o));
	o.cfg = f->cfg;
	o.key = f->key;
	snapshot_init(out);
	ed_err_clear(err);
	rc = collect_host(out, fs, &o, err);
	vfs_free(own);
	return rc;
}

/*
 * collect_host of dir, and of an image of dir loaded now (as the current
 * user), must agree: same code, same entries byte for byte, same
 * warnings once dir's path is taken out of them. Returns the code.
 */
static int assert_image_matches(struct fx *f, struct vfs *fs, const char *dir)
{
	struct snapshot real, img;
	struct ed_err rerr = ED_ERR_INIT, ierr = ED_ERR_INIT;
	struct ed_buf x = ED_BUF_INIT;
	int rrc, irc;

	if (vfs_mem_load_dir(fs, dir, "", &ierr) < 0)
		fail_msg("load %s: %s", dir, ierr.msg);
	rrc = collect(&real, f, NULL, dir, false, &rerr);
	irc = collect(&img, f, fs, "/", false, &ierr);
	if (rrc != irc)
		fail_msg("%s: real %d (%s), image %d (%s)", dir, rrc, rerr.msg,
			 irc, ierr.msg);
	if (rrc < 0) {
		unroot(&x, rerr.msg, dir);
		assert_string_equal(x.ptr, ierr.msg);
	} else {
		assert_same_snapshot(&real, &img, dir);
	}
	snapshot_release(&real);
	snapshot_release(&img);
	ed_buf_release(&x);
	return rrc;
}

static void test_vfs_fixture_roots_collect_identically(void **state)
{
	static const char *const roots[] = {
		"/cli/root",           "/packages/root",
		"/packages/apkroot",   "/packages/badroot",
		"/kernel/root",        "/kernel/os-only",
		"/kernel/usrlib-only", "/sysctl/root",
		"/services/root",      "/files",
	};
	struct fx *f = *state;
	struct ed_buf dir = ED_BUF_INIT;
	size_t i;
	int bad = 0;

	for (i = 0; i < ED_ARRAY_SIZE(roots); i++) {
		struct vfs *fs = vfs_mem_new();

		ed_buf_reset(&dir);
		ed_buf_addf(&dir, "%s%s", FIXTURE_DIR, roots[i]);
		if (assert_image_matches(f, fs, dir.ptr) == ED_EPARSE)
			bad++;
		vfs_free(fs);
	}
	assert_int_equal(bad, 1); /* badroot: the error, root-free, is equal */
	ed_buf_release(&dir);
}

/*
 * A root like the CLI tests' mkroot, plus units, toggles and odd files:
 * every collector has something to say about it.
 */
static void build_root(const struct fx *f, struct ed_buf *root)
{
	ed_buf_reset(root);
	ed_buf_addf(root, "%s/root", f->tmp);
	sh("cp -a '%s/cli/root' '%s'", FIXTURE_DIR, root->ptr);
	sh("cd '%s' && cp -a '%s/services/root/etc/systemd' etc/ && "
	   "cp -a '%s/files/etc/app' etc/app2 && chgrp 42 etc/shadow && "
	   "chmod 0640 etc/shadow && chmod 0600 etc/app/app.conf && "
	   "mkdir -p etc/ssl/private run etc/locked && chmod 0700 etc/locked && "
	   "mkfifo etc/fifo && ln -s /etc/hosts etc/abs && "
	   "ln -s hosts etc/rel && ln -s nowhere etc/dangling && "
	   "ln -s / etc/rootlink",
	   root->ptr, FIXTURE_DIR, FIXTURE_DIR);
	if (geteuid() == 0)
		sh("chown -h 1234:1234 '%s/etc/app2/app.conf' '%s/etc/rel'",
		   root->ptr, root->ptr);
	write_in(root->ptr, "etc/ssl/private/app.pem",
		 "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwFixture\n"
		 "-----END PRIVATE KEY-----\n",
		 0600);
	write_in(root->ptr, "etc/locked/inside.conf", "a = b\n", 0644);
	write_in(root->ptr, "etc/private.conf", "private = yes\n", 0000);
	write_in(root->ptr, "etc/empty.conf", "", 0644);
	write_in(root->ptr, "etc/caf\xe9 \n.conf", "name = caf\xe9\n", 0644);
	write_in(root->ptr, "etc/blob.bin", "ELF\x01\x02", 0644);
	write_in(root->ptr, "etc/app/flags.yaml",
		 "features:\n  new_ui: true\n  limits: [1, 2]\n", 0644);
	write_in(root->ptr, "etc/app/flags.conf", "[main]\nfast = yes\n", 0644);
	write_in(root->ptr, "etc/app/bad.yaml", "a: [\n", 0644);
	bind_socket(root->ptr, "etc/sock");
	ed_strvec_push(&f->cfg->toggle_files, "/etc/app/flags.yaml");
	ed_strvec_push(&f->cfg->toggle_files, "/etc/app/flags.conf");
	ed_strvec_push(&f->cfg->toggle_files, "/etc/app/bad.yaml");
	ed_strvec_push(&f->cfg->toggle_files, "/etc/app/missing.env");
	ed_strvec_push(&f->cfg->toggle_files, "/etc/app/private.env");
}

static void test_vfs_built_root_collects_identically(void **state)
{
	struct fx *f = *state;
	struct ed_buf root = ED_BUF_INIT;
	struct vfs *fs2;
	uid_t euid = geteuid();
	int rc;

	build_root(f, &root);
	write_in(root.ptr, "etc/app/private.env", "X=1\n", 0600);
	assert_int_equal(assert_image_matches(f, f->fs, root.ptr), 0);
	if (euid != 0)
		goto out;
	/*
	 * As nobody much becomes unreadable (etc/locked, etc/shadow,
	 * etc/private.conf, a toggles file): image and tree must still
	 * agree. The euid comes back before any assertion can jump out.
	 */
	fs2 = vfs_mem_new();
	if (seteuid(65534) < 0) {
		vfs_free(fs2);
		goto out;
	}
	{
		struct snapshot real, img;
		struct ed_err rerr = ED_ERR_INIT, ierr = ED_ERR_INIT;
		int lrc, rrc, irc;

		lrc = vfs_mem_load_dir(fs2, root.ptr, "", &ierr);
		rrc = collect(&real, f, NULL, root.ptr, false, &rerr);
		irc = collect(&img, f, fs2, "/", false, &ierr);
		rc = seteuid(0);
		assert_int_equal(rc, 0);
		assert_int_equal(lrc, 0);
		assert_int_equal(rrc, 0);
		assert_int_equal(irc, 0);
		assert_same_snapshot(&real, &img, root.ptr);
		assert_true(real.warnings.nr >= 3);
		snapshot_release(&real);
		snapshot_release(&img);
	}
	vfs_free(fs2);
out:
	ed_buf_release(&root);
}

/* The lines of a snapshot file, as one string ("" when absent). */
static const char *file_of(const struct snapshot *s, const char *path)
{
	const struct snapshot_entry *e = snapshot_find(s, path);

	return e && e->data ? e->data : "";
}

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* A line of text that starts with start and ends with end. */
static int has_line_with(const char *text, const char *start, const char *end)
{
	size_t n = strlen(start), m = strlen(end);
	const char *p;

	for (p = text; (p = strstr(p, start)); p += n) {
		const char *nl = strchr(p, '\n');

		if ((p == text || p[-1] == '\n') && nl &&
		    nl - p >= (long)(n + m) && !strncmp(nl - m, end, m))
			return 1;
	}
	return 0;
}

/*
 * Nodes marked unreadable by hand (root can read any file, so a real
 * tree cannot show this when the tests run as root).
 */
static void test_vfs_unreadable_nodes_collect_as_unreadable(void **state)
{
	struct fx *f = *state;
	struct ed_buf root = ED_BUF_INIT, p = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct snapshot img;
	struct stat st;
	const char *files;

	build_root(f, &root);
	assert_int_equal(vfs_mem_load_dir(f->fs, root.ptr, "", &err), 0);
	ed_buf_addf(&p, "%s/etc/app/app.conf", root.ptr);
	assert_int_equal(lstat(p.ptr, &st), 0);
	assert_int_equal(vfs_mem_add(f->fs, "/etc/app/app.conf", &st, NULL, 0,
				     VFS_MEM_UNREADABLE, &err),
			 0);
	ed_buf_reset(&p);
	ed_buf_addf(&p, "%s/etc/ssh", root.ptr);
	assert_int_equal(lstat(p.ptr, &st), 0);
	assert_int_equal(vfs_mem_add(f->fs, "/etc/ssh", &st, NULL, 0,
				     VFS_MEM_UNREADABLE, &err),
			 0);
	ed_buf_reset(&p);
	ed_buf_addf(&p, "%s/proc/sys/vm/swappiness", root.ptr);
	assert_int_equal(lstat(p.ptr, &st), 0);
	assert_int_equal(vfs_mem_add(f->fs, "/proc/sys/vm/swappiness", &st,
				     NULL, 0, VFS_MEM_UNREADABLE, &err),
			 0);
	ed_buf_reset(&p);
	ed_buf_addf(&p, "%s/etc/app/flags.conf", root.ptr);
	assert_int_equal(lstat(p.ptr, &st), 0);
	assert_int_equal(vfs_mem_add(f->fs, "/etc/app/flags.conf", &st, NULL, 0,
				     VFS_MEM_UNREADABLE, &err),
			 0);

	assert_int_equal(collect(&img, f, f->fs, "/", false, &err), 0);
	files = file_of(&img, "files");
	/* the size is the listed one, the owner the tree's */
	ed_buf_reset(&p);
	ed_buf_addf(&p, "%s/etc/app/app.conf", root.ptr);
	assert_int_equal(lstat(p.ptr, &st), 0);
	ed_buf_reset(&p);
	ed_buf_addf(&p, " %jd unreadable", (intmax_t)st.st_size);
	assert_true(has_line_with(files, "/etc/app/app.conf file 0600 ", p.ptr));
	assert_true(has_line_with(files, "/etc/ssh dir ", " unreadable"));
	assert_null(strstr(files, "/etc/ssh/sshd_config"));
	assert_true(ed_strvec_contains(
		&img.warnings, "/etc/app/app.conf: unreadable: Permission denied"));
	assert_true(ed_strvec_contains(&img.warnings,
				       "/etc/ssh: unreadable: Permission denied"));
	assert_true(ed_strvec_contains(
		&img.warnings,
		"toggles: /etc/app/flags.conf: /etc/app/flags.conf: Permission denied (previous flags kept)"));
	assert_true(ed_strvec_contains(&img.keep, "content/etc/app/app.conf"));
	assert_null(snapshot_find(&img, "content/etc/app/app.conf"));
	assert_null(snapshot_find(&img, "content/etc/ssh/sshd_config"));
	/* an unreadable sysctl is skipped without a word, as sysctl -a does */
	assert_null(strstr(file_of(&img, "sysctl"), "vm.swappiness"));
	assert_non_null(strstr(file_of(&img, "sysctl"), "vm.dirty_ratio = "));
	assert_null(strstr(file_of(&img, "toggles"), "flags.conf"));
	assert_non_null(strstr(file_of(&img, "toggles"), "flags.yaml"));
	snapshot_release(&img);
	ed_buf_release(&root);
	ed_buf_release(&p);
}

static void test_vfs_rpm_answers_from_the_recorded_query(void **state)
{
	struct fx *f = *state;
	char a0[] = FIXTURE_DIR "/packages/bin/rpm";
	char *argv[16];
	char img0[] = "/usr/bin/rpm";
	struct ed_buf out = ED_BUF_INIT, errline = ED_BUF_INIT;
	struct ed_buf root = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct snapshot real, img;
	const char *path = getenv("PATH");
	char *saved = ed_xstrdup(path ? path : "/usr/bin:/bin");
	int status;
	size_t i;

	/* the argv the packages collector runs (its root "/" on a host) */
	argv[0] = a0;
	for (i = 0; rpm_query_cmd.args[i]; i++)
		argv[i + 1] = (char *)(uintptr_t)rpm_query_cmd.args[i];
	argv[i + 1] = NULL;
	assert_string_equal(argv[3], "/");
	/* what the remote host would have answered to the same argv */
	assert_int_equal(collect_run(&out, &errline, &status, argv, NULL,
				     1 << 20, 10000, &err),
			 0);
	assert_int_equal(status, 0);
	argv[0] = img0;
	vfs_mem_set_output(f->fs, argv, out.ptr, out.len, status);
	ed_buf_addf(&root, "%s/packages/rpmroot", FIXTURE_DIR);
	assert_int_equal(vfs_mem_load_dir(f->fs, root.ptr, "", &err), 0);
	add_node(f->fs, "/usr/bin/rpm", S_IFREG | 0755, 0, "#!/bin/sh\n", 0);

	setenv("PATH", FIXTURE_DIR "/packages/bin:/usr/bin:/bin", 1);
	assert_int_equal(collect(&real, f, NULL, root.ptr, false, &err), 0);
	setenv("PATH", saved, 1);
	/* the image looks in /usr/bin:/bin of the image, never in PATH */
	assert_int_equal(collect(&img, f, f->fs, "/", false, &err), 0);
	/* the real tree has no /usr/bin/rpm: one files-free difference */
	assert_string_equal(file_of(&real, "packages"), file_of(&img, "packages"));
	assert_non_null(strstr(file_of(&img, "packages"),
			       "\nbash x86_64 5.2.15-3.fc38\n"));
	assert_true(has_line(file_of(&img, "meta"),
			     "collector packages collected: dpkg rpm"));
	snapshot_release(&real);
	snapshot_release(&img);

	/* rpm present but its query not recorded: the collect fails */
	vfs_free(f->fs);
	f->fs = vfs_mem_new();
	assert_int_equal(vfs_mem_load_dir(f->fs, root.ptr, "", &err), 0);
	add_node(f->fs, "/bin/rpm", S_IFREG | 0755, 0, "#!/bin/sh\n", 0);
	assert_int_equal(collect(&img, f, f->fs, "/", false, &err), ED_EIO);
	assert_string_equal(err.msg, "/bin/rpm: not run on the remote host");
	snapshot_release(&img);

	/* no rpm tool on the image: a warning, as here without one */
	vfs_free(f->fs);
	f->fs = vfs_mem_new();
	assert_int_equal(vfs_mem_load_dir(f->fs, root.ptr, "", &err), 0);
	assert_int_equal(collect(&img, f, f->fs, "/", false, &err), 0);
	assert_true(ed_strvec_contains(&img.warnings,
				       "/usr/lib/sysimage/rpm: rpm database found but "
				       "rpm tool missing; rpm packages skipped"));
	snapshot_release(&img);
	free(saved);
	ed_buf_release(&out);
	ed_buf_release(&errline);
	ed_buf_release(&root);
}

static void test_vfs_live_services_come_from_recorded_systemctl(void **state)
{
	struct fx *f = *state;
	char *argv[16];
	struct ed_err err = ED_ERR_INIT;
	struct snapshot img;
	const char *services;
	size_t n = 0, i;
	char prog[] = "/bin/systemctl";
	static const char listing[] =
		"  ssh.service loaded active running OpenBSD Secure Shell\n"
		"cron.service loaded active running Regular background\n";
	static const char tcp[] =
		"  sl  local_address rem_address   st\n"
		"   0: 00000000:0016 00000000:0000 0A 00000000:00000000\n";

	assert_int_equal(vfs_mem_load_dir(f->fs, FIXTURE_DIR "/services/root",
					  "", &err),
			 0);
	add_dir(f->fs, "/run/systemd/system");
	add_node(f->fs, "/bin/systemctl", S_IFREG | 0755, 0, "", 0);
	add_file(f->fs, "/proc/net/tcp", tcp);
	argv[n++] = prog;
	for (i = 0; services_systemctl_cmd.args[i]; i++)
		argv[n++] = (char *)(uintptr_t)services_systemctl_cmd.args[i];
	argv[n] = NULL;
	vfs_mem_set_output(f->fs, argv, listing, sizeof(listing) - 1, 0);

	assert_int_equal(collect(&img, f, f->fs, "/", true, &err), 0);
	services = file_of(&img, "services");
	assert_true(has_line(services, "active ssh.service"));
	assert_true(has_line(services, "active cron.service"));
	assert_true(has_line(services, "listen tcp 0.0.0.0:22"));
	assert_true(has_line(services,
			     "enabled ssh.service multi-user.target.wants"));
	snapshot_release(&img);

	/* /usr/bin/systemctl comes first, and its run was not recorded */
	add_node(f->fs, "/usr/bin/systemctl", S_IFREG | 0755, 0, "", 0);
	assert_int_equal(collect(&img, f, f->fs, "/", true, &err), 0);
	assert_true(ed_strvec_contains(
		&img.warnings,
		"services: /usr/bin/systemctl: not run on the remote host; "
		"active units not collected (previous ones kept)"));
	assert_false(has_line(file_of(&img, "services"), "active ssh.service"));
	snapshot_release(&img);

	/* systemctl failing on the host */
	argv[0] = (char *)(uintptr_t)services_systemctl_cmd.paths[0];
	vfs_mem_set_output(f->fs, argv, "", 0, 1 << 8);
	vfs_mem_set_stderr(f->fs, argv, "Failed to connect to bus\n", 25);
	assert_int_equal(collect(&img, f, f->fs, "/", true, &err), 0);
	assert_true(ed_strvec_contains(
		&img.warnings,
		"services: /usr/bin/systemctl: exited with status 1: Failed to "
		"connect to bus; active units not collected (previous ones "
		"kept)"));
	snapshot_release(&img);
}

/* ---- this machine: real directories against their images ---- */

/* Load path into fs at the same path, if it exists here. */
static int load_same(struct vfs *fs, const char *path)
{
	struct ed_err err = ED_ERR_INIT;
	int rc = vfs_mem_load_dir(fs, path, path, &err);

	if (rc == ED_ENOTFOUND)
		return 0;
	if (rc < 0)
		fail_msg("load %s: %s", path, err.msg);
	return 1;
}

/* What the identity collector reads of an image that is not live. */
static void load_identity_files(struct vfs *fs)
{
	static const char *const paths[] = {
		"/etc/hostname",     "/etc/hosts",
		"/etc/machine-id",   "/etc/network",
		"/etc/netplan",      "/etc/systemd/network",
		"/etc/udev/rules.d", "/etc/NetworkManager/system-connections",
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		load_same(fs, paths[i]);
}

/*
 * The kernel's tables as a fleet scan's answer brings them: the /proc/net
 * files, and each /sys/class/net/NAME/address as a plain file in a plain
 * directory (grep followed the symlink on the host).
 */
static void load_kernel_identity(struct vfs *fs)
{
	struct ed_err err = ED_ERR_INIT;
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;

	load_same(fs, "/proc/net/fib_trie");
	load_same(fs, "/proc/net/if_inet6");
	load_same(fs, "/proc/sys/kernel/hostname");
	while (d && (e = readdir(d))) {
		struct ed_buf path = ED_BUF_INIT, b = ED_BUF_INIT;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		ed_buf_addf(&path, "/sys/class/net/%s/address", e->d_name);
		if (!ed_buf_read_file(&b, path.ptr, 4096, &err)) {
			memset(&st, 0, sizeof(st));
			st.st_mode = S_IFREG | 0444;
			st.st_nlink = 1;
			st.st_size = (off_t)b.len;
			if (vfs_mem_add(fs, path.ptr, &st, b.ptr, b.len, 0,
					&err) < 0)
				fail_msg("%s", err.msg);
		}
		ed_buf_release(&path);
		ed_buf_release(&b);
	}
	if (d)
		closedir(d);
}

static void only_collectors(struct collect_config *cfg, bool files, bool sysctl,
			    bool kernel, bool packages)
{
	cfg->files = files;
	cfg->sysctl = sysctl;
	cfg->kernel = kernel;
	cfg->packages = packages;
	cfg->services = false;
}

static void test_vfs_this_machine_etc_apt_kernel_and_dpkg(void **state)
{
	struct fx *f = *state;
	struct snapshot real, img;
	struct ed_err err = ED_ERR_INIT;
	struct stat st;

	if (stat("/etc/apt", &st) < 0 || stat("/var/lib/dpkg/status", &st) < 0)
		skip();
	/* with an rpm database here, rpm would run for real only */
	if (!stat("/var/lib/rpm", &st) || !stat("/usr/lib/sysimage/rpm", &st))
		skip();
	load_same(f->fs, "/etc/apt");
	load_same(f->fs, "/etc/passwd");
	load_same(f->fs, "/etc/group");
	load_same(f->fs, "/etc/os-release");
	load_same(f->fs, "/usr/lib/os-release");
	load_same(f->fs, "/var/lib/dpkg/status");
	load_same(f->fs, "/lib/apk/db/installed");
	load_same(f->fs, "/proc/sys/kernel/osrelease");
	load_same(f->fs, "/proc/sys/kernel/version");
	load_same(f->fs, "/proc/cmdline");
	load_same(f->fs, "/proc/meminfo");
	load_same(f->fs, "/proc/modules");
	load_identity_files(f->fs);
	only_collectors(f->cfg, true, false, true, true);
	ed_strvec_release(&f->cfg->file_include);
	ed_strvec_push(&f->cfg->file_include, "/etc/apt/**");
	assert_int_equal(collect(&real, f, NULL, "/", false, &err), 0);
	assert_int_equal(collect(&img, f, f->fs, "/", false, &err), 0);
	assert_same_snapshot(&real, &img, "/");
	assert_true(strlen(file_of(&img, "files")) > 100);
	assert_true(strlen(file_of(&img, "packages")) > 100);
	assert_true(has_line(file_of(&img, "meta"), "collector kernel collected"));
	snapshot_release(&real);
	snapshot_release(&img);
}

/*
 * This machine's live identity (the kernel's addresses and MACs), read
 * directly and from an image as a fleet scan builds it: the same file.
 */
static void test_vfs_this_machine_live_identity(void **state)
{
	struct fx *f = *state;
	struct snapshot real, img;
	struct ed_err err = ED_ERR_INIT;
	struct stat st;

	if (stat("/proc/net/fib_trie", &st) < 0 || stat("/sys/class/net", &st) < 0)
		skip();
	load_identity_files(f->fs);
	load_kernel_identity(f->fs);
	only_collectors(f->cfg, false, false, false, false);
	assert_int_equal(collect(&real, f, NULL, "/", true, &err), 0);
	assert_int_equal(collect(&img, f, f->fs, "/", true, &err), 0);
	assert_same_snapshot(&real, &img, "/");
	assert_true(has_line(file_of(&img, "identity"), "addresses-from = kernel"));
	assert_true(has_line(file_of(&img, "identity"), "macs-from = kernel"));
	snapshot_release(&real);
	snapshot_release(&img);
}

/* Keep only the lines of text that start with prefix. */
static void filter_lines(struct ed_buf *out, const char *text, const char *prefix)
{
	const char *p = text;

	ed_buf_reset(out);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!strncmp(p, prefix, strlen(prefix)))
			ed_buf_add(out, p, n);
		p += n;
	}
}

static void test_vfs_this_machine_proc_sys_excerpt(void **state)
{
	static const char *const dirs[] = { "/proc/sys/net/ipv4",
					    "/proc/sys/vm", "/proc/sys/fs" };
	static const char *const prefixes[] = { "net.ipv4.", "vm.", "fs." };
	struct fx *f = *state;
	struct snapshot real, img;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;
	size_t i, loaded = 0;

	for (i = 0; i < ED_ARRAY_SIZE(dirs); i++)
		loaded += (size_t)load_same(f->fs, dirs[i]);
	if (!loaded)
		skip();
	only_collectors(f->cfg, false, true, false, false);
	assert_int_equal(collect(&real, f, NULL, "/", false, &err), 0);
	assert_int_equal(collect(&img, f, f->fs, "/", false, &err), 0);
	for (i = 0; i < ED_ARRAY_SIZE(dirs); i++) {
		filter_lines(&a, file_of(&real, "sysctl"), prefixes[i]);
		filter_lines(&b, file_of(&img, "sysctl"), prefixes[i]);
		assert_string_equal(a.ptr, b.ptr);
		filter_lines(&a, file_of(&real, "sysctl-per-host"), prefixes[i]);
		filter_lines(&b, file_of(&img, "sysctl-per-host"), prefixes[i]);
		assert_string_equal(a.ptr, b.ptr);
	}
	assert_true(strlen(file_of(&img, "sysctl")) > 100);
	for (i = 0; i < img.warnings.nr; i++)
		assert_true(ed_strvec_contains(&real.warnings, img.warnings.v[i]));
	snapshot_release(&real);
	snapshot_release(&img);
	ed_buf_release(&a);
	ed_buf_release(&b);
}

/*
 * A file the host was not asked for: stat gives the host's own size,
 * inode and device (a stat cache compares them), opening it fails and is
 * remembered, so a request that missed a read fails the host.
 */
static void test_vfs_not_sent_nodes_are_remembered(void **state)
{
	struct vfs *fs = vfs_mem_new();
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT;
	struct stat st, got;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0644;
	st.st_size = 1234;
	st.st_ino = 777;
	st.st_dev = 65024;
	st.st_ctim.tv_sec = 1700000000;
	st.st_ctim.tv_nsec = 5;
	assert_int_equal(vfs_mem_add(fs, "/etc/a/b.conf", &st, NULL, 0,
				     VFS_MEM_NOT_SENT, &err),
			 0);
	assert_int_equal(vfs_mem_unsent(fs, &path), 0);
	assert_int_equal(vfs_fstatat(fs, AT_FDCWD, "/etc/a/b.conf", &got,
				     AT_SYMLINK_NOFOLLOW),
			 0);
	assert_int_equal(got.st_size, 1234);
	assert_int_equal(got.st_ino, 777);
	assert_int_equal(got.st_dev, 65024);
	assert_int_equal(got.st_ctim.tv_nsec, 5);
	errno = 0;
	assert_int_equal(vfs_openat(fs, AT_FDCWD, "/etc/a/b.conf", O_RDONLY), -1);
	assert_int_equal(errno, EIO);
	assert_int_equal(vfs_mem_unsent(fs, &path), 1);
	assert_string_equal(path.ptr, "/etc/a/b.conf");
	ed_buf_release(&path);
	vfs_free(fs);
}

#define VFS_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		VFS_TEST(test_vfs_open_answers_as_linux_does),
		VFS_TEST(test_vfs_not_sent_nodes_are_remembered),
		VFS_TEST(test_vfs_links_resolve_inside_the_image),
		VFS_TEST(test_vfs_errno_matches_the_real_file_system),
		VFS_TEST(test_vfs_unreadable_nodes_refuse_opening_only),
		VFS_TEST(test_vfs_bad_handles_are_ebadf),
		VFS_TEST(test_vfs_read_returns_content_progressively),
		VFS_TEST(test_vfs_stat_fills_the_listed_fields),
		VFS_TEST(test_vfs_readdir_lists_children),
		VFS_TEST(test_vfs_read_file_codes_match_ed_buf_read_file),
		VFS_TEST(test_vfs_run_answers_from_recorded_outputs),
		VFS_TEST(test_vfs_executable_needs_a_regular_file_with_x),
		VFS_TEST(test_vfs_add_replaces_and_keeps_children),
		VFS_TEST(test_vfs_images_hold_many_entries),
		VFS_TEST(test_vfs_fixture_roots_collect_identically),
		VFS_TEST(test_vfs_built_root_collects_identically),
		VFS_TEST(test_vfs_unreadable_nodes_collect_as_unreadable),
		VFS_TEST(test_vfs_rpm_answers_from_the_recorded_query),
		VFS_TEST(test_vfs_live_services_come_from_recorded_systemctl),
		VFS_TEST(test_vfs_this_machine_etc_apt_kernel_and_dpkg),
		VFS_TEST(test_vfs_this_machine_proc_sys_excerpt),
		VFS_TEST(test_vfs_this_machine_live_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
