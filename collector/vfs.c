/*
 * The collectors' file system: with a NULL struct vfs every call is the
 * plain syscall (one well-predicted branch, nothing else), and with an
 * in-memory image it is answered from a tree of nodes with the errno
 * values Linux gives for the same tree, so the collectors cannot tell a
 * remote host's image from `collect --root` of the same files.
 *
 * An image is an array of nodes (index 0 the root) plus one open-addressing
 * hash of (parent, name) for lookups, and a table of open handles. One
 * mutex guards it all, so one image may be read from several threads
 * (collect_host runs the files walk on its own thread); building it
 * (vfs_mem_add, vfs_mem_set_output) must not overlap with reading it.
 */
#include "collector/vfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector/internal.h"
#include "core/alloc.h"

/* Linux's MAXSYMLINKS: symlinks followed in one path resolution */
#define VFS_MAX_HOPS 40
/* collect_run keeps this much of a command's stderr */
#define VFS_ERRLINE_MAX 200

struct vnode {
	char *name;
	size_t parent;       /* the root is its own parent */
	mode_t mode;         /* type and permission bits */
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	off_t size;
	struct timespec mtime, ctime;
	char *data;          /* file content or symlink target, NUL-ended */
	size_t len;
	int flags;           /* VFS_MEM_* */
	size_t *kids;        /* in the order added (readdir order) */
	size_t nkids, kalloc;
};

struct vhandle {
	int used;
	size_t node;
	size_t off;
};

struct vcmd {
	char **argv;
	size_t argc;
	char *out;
	size_t len;
	int status;
	char *errline;
};

struct vfs {
	pthread_mutex_t lock;
	struct vnode *nodes;
	size_t nr, alloc;
	size_t *slots; /* hash of every node but the root: index + 1, 0 = empty */
	size_t cap;
	struct vhandle *fds;
	size_t nfds, fds_alloc;
	struct vcmd *cmds;
	size_t ncmds, cmds_alloc;
};

struct vfs_dir {
	struct vfs *fs;
	int fd;
	DIR *d;      /* the real file system */
	size_t node; /* an image: the directory and the next child to return */
	size_t pos;
};

/* ---- the real file system ---- */

static int real_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK) ? -1 : 0;
}

/* ---- image: nodes and the (parent, name) hash ---- */

static size_t hash_name(size_t parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)parent;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	return (size_t)h;
}

static size_t lookup(const struct vfs *fs, size_t parent, const char *name,
		     size_t len)
{
	size_t mask = fs->cap - 1;
	size_t i = hash_name(parent, name, len) & mask;

	for (; fs->slots[i]; i = (i + 1) & mask) {
		const struct vnode *n = &fs->nodes[fs->slots[i] - 1];

		if (n->parent == parent && !strncmp(n->name, name, len) &&
		    !n->name[len])
			return fs->slots[i] - 1;
	}
	return 0; /* the root is never anyone's child */
}

static void hash_insert(struct vfs *fs, size_t idx)
{
	const struct vnode *n = &fs->nodes[idx];
	size_t mask = fs->cap - 1;
	size_t i = hash_name(n->parent, n->name, strlen(n->name)) & mask;

	while (fs->slots[i])
		i = (i + 1) & mask;
	fs->slots[i] = idx + 1;
}

/* Hash the newest node, doubling the table past a load of one half. */
static void hash_add_last(struct vfs *fs)
{
	size_t i;

	if (fs->nr * 2 < fs->cap) {
		hash_insert(fs, fs->nr - 1);
		return;
	}
	free(fs->slots);
	fs->cap = ed_st_mult(fs->cap, 2);
	fs->slots = ed_xcalloc(fs->cap, sizeof(*fs->slots));
	for (i = 1; i < fs->nr; i++)
		hash_insert(fs, i);
}

static size_t new_node(struct vfs *fs, size_t parent, const char *name,
		       size_t len)
{
	struct vnode *n;
	struct vnode *p;
	size_t idx = fs->nr;

	ED_ALLOC_GROW(fs->nodes, fs->nr + 1, fs->alloc);
	n = &fs->nodes[fs->nr++];
	memset(n, 0, sizeof(*n));
	n->name = ed_xmemdup(name, len);
	n->parent = parent;
	n->mode = S_IFDIR | 0755;
	if (idx) {
		hash_add_last(fs);
		p = &fs->nodes[parent];
		ED_ALLOC_GROW(p->kids, p->nkids + 1, p->kalloc);
		p->kids[p->nkids++] = idx;
	}
	return idx;
}

static void fill_stat(const struct vfs *fs, size_t idx, struct stat *st)
{
	const struct vnode *n = &fs->nodes[idx];

	memset(st, 0, sizeof(*st));
	st->st_dev = 1;
	st->st_ino = (ino_t)idx + 1;
	st->st_mode = n->mode;
	st->st_nlink = 1;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_size = n->size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_atim = n->mtime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

/* ---- image: path resolution (called with the lock held) ---- */

/*
 * Resolve path from directory node cur as Linux does: '/' starts at the
 * image root, "." and ".." are components ("/.." is "/"), symlinks are
 * followed everywhere but in the last component unless follow is set or
 * a '/' trails it. 0 with *out set, or an errno value.
 */
static int resolve(const struct vfs *fs, size_t cur, const char *p,
		   int follow, int *hops, size_t *out)
{
	if (*p == '/')
		cur = 0;
	for (;;) {
		const char *s;
		size_t n, child;
		int last, trailing, rc;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		n = strcspn(p, "/");
		p += n;
		trailing = *p == '/';
		while (*p == '/')
			p++;
		last = !*p;
		if (!S_ISDIR(fs->nodes[cur].mode))
			return ENOTDIR;
		if (n > NAME_MAX)
			return ENAMETOOLONG;
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			cur = fs->nodes[cur].parent;
			continue;
		}
		child = lookup(fs, cur, s, n);
		if (!child)
			return ENOENT;
		if (S_ISLNK(fs->nodes[child].mode) &&
		    (!last || follow || trailing)) {
			const char *target = fs->nodes[child].data;

			if (++*hops > VFS_MAX_HOPS)
				return ELOOP;
			if (!target || !*target)
				return ENOENT;
			rc = resolve(fs, cur, target, 1, hops, &child);
			if (rc)
				return rc;
		}
		cur = child;
		if (last && trailing && !S_ISDIR(fs->nodes[cur].mode))
			return ENOTDIR;
	}
	*out = cur;
	return 0;
}

/* The node of an open handle, or EBADF. */
static int handle_node(const struct vfs *fs, int fd, size_t *out)
{
	if (fd < 0 || (size_t)fd >= fs->nfds || !fs->fds[fd].used)
		return EBADF;
	*out = fs->fds[fd].node;
	return 0;
}

/* Resolve (dirfd, path) as the *at() calls do. 0 or an errno value. */
static int resolve_at(const struct vfs *fs, int dirfd, const char *path,
		      int follow, size_t *out)
{
	size_t start = 0;
	int hops = 0, rc;

	if (!*path)
		return ENOENT;
	if (*path != '/' && dirfd != AT_FDCWD) {
		rc = handle_node(fs, dirfd, &start);
		if (rc)
			return rc;
	}
	return resolve(fs, start, path, follow, &hops, out);
}

static int fail(struct vfs *fs, int e)
{
	pthread_mutex_unlock(&fs->lock);
	errno = e;
	return -1;
}

/* ---- the calls ---- */

int vfs_openat(struct vfs *fs, int dirfd, const char *path, int flags)
{
	const struct vnode *n;
	size_t idx, i;
	int rc;

	if (!fs)
		return openat(dirfd, path, flags);
	pthread_mutex_lock(&fs->lock);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return fail(fs, EROFS);
	rc = resolve_at(fs, dirfd, path, !(flags & O_NOFOLLOW), &idx);
	if (rc)
		return fail(fs, rc);
	n = &fs->nodes[idx];
	/* Linux checks O_DIRECTORY before refusing the symlink itself */
	if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
		return fail(fs, ENOTDIR);
	if (S_ISLNK(n->mode))
		return fail(fs, ELOOP);
	if (n->flags & VFS_MEM_UNREADABLE)
		return fail(fs, EACCES);
	/* no socket or device behind an image: as for a socket on Linux */
	if (S_ISSOCK(n->mode) || S_ISCHR(n->mode) || S_ISBLK(n->mode))
		return fail(fs, ENXIO);
	for (i = 0; i < fs->nfds && fs->fds[i].used; i++)
		;
	if (i == fs->nfds) {
		if (i >= INT_MAX)
			return fail(fs, EMFILE);
		ED_ALLOC_GROW(fs->fds, fs->nfds + 1, fs->fds_alloc);
		fs->nfds++;
	}
	fs->fds[i].used = 1;
	fs->fds[i].node = idx;
	fs->fds[i].off = 0;
	pthread_mutex_unlock(&fs->lock);
	return (int)i;
}

int vfs_fstatat(struct vfs *fs, int dirfd, const char *path, struct stat *st,
		int flags)
{
	size_t idx;
	int rc;

	if (!fs)
		return fstatat(dirfd, path, st, flags);
	pthread_mutex_lock(&fs->lock);
	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return fail(fs, EINVAL);
	rc = resolve_at(fs, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &idx);
	if (rc)
		return fail(fs, rc);
	fill_stat(fs, idx, st);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

int vfs_fstat(struct vfs *fs, int fd, struct stat *st)
{
	size_t idx;
	int rc;

	if (!fs)
		return fstat(fd, st);
	pthread_mutex_lock(&fs->lock);
	rc = handle_node(fs, fd, &idx);
	if (rc)
		return fail(fs, rc);
	fill_stat(fs, idx, st);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

ssize_t vfs_readlinkat(struct vfs *fs, int dirfd, const char *path, char *buf,
		       size_t len)
{
	const struct vnode *n;
	size_t idx;
	int rc;

	if (!fs)
		return readlinkat(dirfd, path, buf, len);
	pthread_mutex_lock(&fs->lock);
	if (!len || len > SSIZE_MAX)
		return fail(fs, EINVAL);
	rc = resolve_at(fs, dirfd, path, 0, &idx);
	if (rc)
		return fail(fs, rc);
	n = &fs->nodes[idx];
	if (!S_ISLNK(n->mode))
		return fail(fs, EINVAL);
	if (len > n->len)
		len = n->len;
	memcpy(buf, n->data, len);
	pthread_mutex_unlock(&fs->lock);
	return (ssize_t)len;
}

ssize_t vfs_read(struct vfs *fs, int fd, void *buf, size_t len)
{
	struct vhandle *h;
	const struct vnode *n;
	size_t idx, left;
	int rc;

	if (!fs)
		return read(fd, buf, len);
	pthread_mutex_lock(&fs->lock);
	rc = handle_node(fs, fd, &idx);
	if (rc)
		return fail(fs, rc);
	n = &fs->nodes[idx];
	if (S_ISDIR(n->mode))
		return fail(fs, EISDIR);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	h = &fs->fds[fd];
	left = S_ISREG(n->mode) && h->off < n->len ? n->len - h->off : 0;
	if (len > left)
		len = left;
	if (len)
		memcpy(buf, n->data + h->off, len);
	h->off += len;
	pthread_mutex_unlock(&fs->lock);
	return (ssize_t)len;
}

int vfs_close(struct vfs *fs, int fd)
{
	size_t idx;
	int rc;

	if (!fs)
		return close(fd);
	pthread_mutex_lock(&fs->lock);
	rc = handle_node(fs, fd, &idx);
	if (rc)
		return fail(fs, rc);
	fs->fds[fd].used = 0;
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

int vfs_executable(struct vfs *fs, const char *path)
{
	const struct vnode *n;
	size_t idx;
	int rc;

	if (!fs)
		return real_executable(path);
	pthread_mutex_lock(&fs->lock);
	rc = resolve_at(fs, AT_FDCWD, path, 1, &idx);
	if (rc)
		return fail(fs, rc);
	n = &fs->nodes[idx];
	/* as access(X_OK) for root: any execute bit will do */
	if (!S_ISREG(n->mode) || !(n->mode & 0111))
		return fail(fs, EACCES);
	pthread_mutex_unlock(&fs->lock);
	return 0;
}

struct vfs_dir *vfs_fdopendir(struct vfs *fs, int fd)
{
	struct vfs_dir *d;
	size_t idx;
	int rc;

	if (!fs) {
		DIR *real = fdopendir(fd);

		if (!real) {
			int saved = errno;

			close(fd);
			errno = saved;
			return NULL;
		}
		d = ed_xcalloc(1, sizeof(*d));
		d->d = real;
		d->fd = fd;
		return d;
	}
	pthread_mutex_lock(&fs->lock);
	rc = handle_node(fs, fd, &idx);
	if (!rc && !S_ISDIR(fs->nodes[idx].mode)) {
		fs->fds[fd].used = 0;
		rc = ENOTDIR;
	}
	pthread_mutex_unlock(&fs->lock);
	if (rc) {
		errno = rc;
		return NULL;
	}
	d = ed_xcalloc(1, sizeof(*d));
	d->fs = fs;
	d->fd = fd;
	d->node = idx;
	return d;
}

const char *vfs_readdir(struct vfs_dir *d, unsigned char *type)
{
	const struct vnode *dir, *n;
	struct dirent *de;

	if (!d->fs) {
		for (;;) {
			errno = 0;
			de = readdir(d->d);
			if (!de)
				return NULL;
			if (de->d_name[0] == '.' &&
			    (!de->d_name[1] ||
			     (de->d_name[1] == '.' && !de->d_name[2])))
				continue;
			*type = de->d_type;
			return de->d_name;
		}
	}
	pthread_mutex_lock(&d->fs->lock);
	dir = &d->fs->nodes[d->node];
	n = d->pos < dir->nkids ? &d->fs->nodes[dir->kids[d->pos++]] : NULL;
	pthread_mutex_unlock(&d->fs->lock);
	errno = 0;
	if (!n)
		return NULL;
	*type = (unsigned char)IFTODT(n->mode);
	return n->name;
}

int vfs_closedir(struct vfs_dir *d)
{
	int rc;

	if (!d)
		return 0;
	rc = d->fs ? vfs_close(d->fs, d->fd) : closedir(d->d);
	free(d);
	return rc;
}

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

	if (!fs)
		return ed_buf_read_fd(out, fd, name, max, err);
	/* ed_buf_read_fd's loop, so messages and limits are the same */
	return ed_buf_read_from(out, read_image, &f, name, max, err);
}

int vfs_read_file(struct vfs *fs, struct ed_buf *out, const char *path,
		  size_t max, struct ed_err *err)
{
	int fd, rc, saved;

	if (!fs)
		return ed_buf_read_file(out, path, max, err);
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

/* ---- commands ---- */

static size_t argv_len(char *const argv[])
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

static struct vcmd *find_cmd(const struct vfs *fs, char *const argv[])
{
	size_t argc = argv_len(argv), i, j;

	for (i = 0; i < fs->ncmds; i++) {
		struct vcmd *c = &fs->cmds[i];

		if (c->argc != argc)
			continue;
		for (j = 0; j < argc && !strcmp(c->argv[j], argv[j]); j++)
			;
		if (j == argc)
			return c;
	}
	return NULL;
}

static struct vcmd *get_cmd(struct vfs *fs, char *const argv[])
{
	struct vcmd *c = find_cmd(fs, argv);
	size_t i;

	if (c)
		return c;
	ED_ALLOC_GROW(fs->cmds, fs->ncmds + 1, fs->cmds_alloc);
	c = &fs->cmds[fs->ncmds++];
	memset(c, 0, sizeof(*c));
	c->argc = argv_len(argv);
	c->argv = ed_xcalloc(c->argc + 1, sizeof(*c->argv));
	for (i = 0; i < c->argc; i++)
		c->argv[i] = ed_xstrdup(argv[i]);
	c->errline = ed_xstrdup("");
	return c;
}

int vfs_run(struct vfs *fs, struct ed_buf *out, struct ed_buf *errline,
	    int *status, char *const argv[], char *const envp[],
	    size_t max_out, int timeout_ms, struct ed_err *err)
{
	const struct vcmd *c;
	int rc = 0;

	if (!fs)
		return collect_run(out, errline, status, argv, envp, max_out,
				   timeout_ms, err);
	*status = -1;
	pthread_mutex_lock(&fs->lock);
	c = find_cmd(fs, argv);
	if (!c) {
		rc = ed_err_set(err, ED_ENOTFOUND,
				"%s: not run on the remote host", argv[0]);
	} else if (c->len > max_out) {
		ed_buf_add(out, c->out, max_out);
		/* collect_run kills it: the wait status of SIGKILL on Linux */
		*status = SIGKILL;
		rc = ed_err_set(err, ED_EIO, "%s: output larger than %zu bytes",
				argv[0], max_out);
	} else {
		ed_buf_add(out, c->out, c->len);
		ed_buf_adds(errline, c->errline);
		*status = c->status;
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

/* ---- building an image ---- */

struct vfs *vfs_mem_new(void)
{
	struct vfs *fs = ed_xcalloc(1, sizeof(*fs));

	pthread_mutex_init(&fs->lock, NULL);
	fs->cap = 1024;
	fs->slots = ed_xcalloc(fs->cap, sizeof(*fs->slots));
	new_node(fs, 0, "", 0);
	return fs;
}

void vfs_free(struct vfs *fs)
{
	size_t i, j;

	if (!fs)
		return;
	for (i = 0; i < fs->nr; i++) {
		free(fs->nodes[i].name);
		free(fs->nodes[i].data);
		free(fs->nodes[i].kids);
	}
	for (i = 0; i < fs->ncmds; i++) {
		for (j = 0; j < fs->cmds[i].argc; j++)
			free(fs->cmds[i].argv[j]);
		free(fs->cmds[i].argv);
		free(fs->cmds[i].out);
		free(fs->cmds[i].errline);
	}
	free(fs->cmds);
	free(fs->nodes);
	free(fs->slots);
	free(fs->fds);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

static int valid_type(mode_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode) ||
	       S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) ||
	       S_ISBLK(mode);
}

static void set_node(struct vnode *n, const struct stat *st, const char *data,
		     size_t len, int flags)
{
	n->mode = st->st_mode & (S_IFMT | 07777);
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->rdev = st->st_rdev;
	n->mtime = st->st_mtim;
	n->ctime = st->st_ctim;
	n->flags = flags;
	free(n->data);
	n->data = NULL;
	n->len = 0;
	if (S_ISREG(n->mode) || S_ISLNK(n->mode)) {
		n->data = ed_xmemdup(data ? data : "", data ? len : 0);
		n->len = data ? len : 0;
	}
	/* Linux: a readable file's size is its content, a link's its target */
	if (S_ISLNK(n->mode) ||
	    (S_ISREG(n->mode) && !(flags & VFS_MEM_UNREADABLE)))
		n->size = (off_t)n->len;
	else
		n->size = st->st_size;
}

int vfs_mem_add(struct vfs *fs, const char *path, const struct stat *st,
		const char *data, size_t len, int flags, struct ed_err *err)
{
	const char *p = path;
	size_t cur = 0;
	int rc = 0;

	if (*path != '/')
		return ed_err_set(err, ED_ERROR, "'%s': not an absolute path",
				  path);
	if (!valid_type(st->st_mode))
		return ed_err_set(err, ED_ERROR, "'%s': unknown file type 0%o",
				  path, (unsigned)(st->st_mode & S_IFMT));
	pthread_mutex_lock(&fs->lock);
	for (;;) {
		const char *s;
		size_t n, child;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		n = strcspn(p, "/");
		p += n;
		if ((n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.')) {
			rc = ed_err_set(err, ED_ERROR,
					"'%s': \".\" and \"..\" are not allowed",
					path);
			goto out;
		}
		if (!S_ISDIR(fs->nodes[cur].mode)) {
			rc = ed_err_set(err, ED_ERROR,
					"'%s': '%.*s' is not a directory",
					path, (int)(s - path - 1), path);
			goto out;
		}
		child = lookup(fs, cur, s, n);
		if (!child)
			child = new_node(fs, cur, s, n);
		cur = child;
	}
	if (!cur && !S_ISDIR(st->st_mode)) {
		rc = ed_err_set(err, ED_ERROR, "'%s': the root must be a directory",
				path);
		goto out;
	}
	set_node(&fs->nodes[cur], st, data, len, flags);
out:
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

void vfs_mem_set_output(struct vfs *fs, char *const argv[], const char *out,
			size_t len, int status)
{
	struct vcmd *c;

	pthread_mutex_lock(&fs->lock);
	c = get_cmd(fs, argv);
	free(c->out);
	c->out = ed_xmemdup(out ? out : "", out ? len : 0);
	c->len = out ? len : 0;
	c->status = status;
	pthread_mutex_unlock(&fs->lock);
}

void vfs_mem_set_stderr(struct vfs *fs, char *const argv[], const char *line,
			size_t len)
{
	const char *nl = line ? memchr(line, '\n', len) : NULL;
	struct vcmd *c;
	size_t i;

	if (!line)
		len = 0;
	if (nl)
		len = (size_t)(nl - line);
	if (len > VFS_ERRLINE_MAX)
		len = VFS_ERRLINE_MAX;
	pthread_mutex_lock(&fs->lock);
	c = get_cmd(fs, argv);
	free(c->errline);
	c->errline = ed_xmemdup(line ? line : "", len);
	/* as collect_run: one line, control characters blanked */
	for (i = 0; i < len; i++)
		if ((unsigned char)c->errline[i] < 0x20)
			c->errline[i] = ' ';
	pthread_mutex_unlock(&fs->lock);
}

/* ---- copying a real tree (tests, debugging) ---- */

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
		fd = open(real->ptr,
			  O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
				  O_CLOEXEC);
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
		return ed_err_errno(err,
				    errno == ENOENT ? ED_ENOTFOUND : ED_EIO,
				    errno, "%s", dir);
	ed_buf_adds(&real, dir);
	while (real.len > 1 && real.ptr[real.len - 1] == '/')
		ed_buf_setlen(&real, real.len - 1);
	ed_buf_adds(&img, prefix);
	while (img.len && img.ptr[img.len - 1] == '/')
		ed_buf_setlen(&img, img.len - 1);
	if (img.len && img.ptr[0] != '/') {
		rc = ed_err_set(err, ED_ERROR,
				"'%s': not an absolute path", prefix);
		goto out;
	}
	rc = load_entry(fs, &real, &img, &st, err);
out:
	ed_buf_release(&real);
	ed_buf_release(&img);
	return rc;
}
