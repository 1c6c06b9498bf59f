/*
 * In-memory images of a remote host (collector/vfs.h): a tree of nodes
 * answered with the errno values Linux gives for the same tree, so the
 * collectors cannot tell a remote host's image from `collect --root` of
 * the same files, plus the command outputs the host recorded.
 *
 * An image is an array of nodes (index 0 the root) plus one open-addressing
 * hash of (parent, name) for lookups, and a table of open handles. One
 * mutex guards it all, so one image may be read from several threads
 * (collect_host runs the files walk on its own thread); building it
 * (vfs_mem_add, vfs_mem_set_output) must not overlap with reading it.
 */
#include "collector/vfs_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Linux's MAXSYMLINKS: symlinks followed in one path resolution */
#define VFS_MAX_HOPS 40
/* collect_run keeps this much of a command's stderr */
#define VFS_ERRLINE_MAX 200

struct vnode {
	char *name;
	size_t parent; /* the root is its own parent */
	mode_t mode;   /* type and permission bits */
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	off_t size;
	struct timespec mtime, ctime;
	dev_t dev; /* the host's, with ino; 0: the image's own */
	ino_t ino;
	char *data; /* file content or symlink target, NUL-ended */
	size_t len;
	int flags;    /* VFS_MEM_* */
	size_t *kids; /* in the order added (readdir order) */
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

struct vfs_image {
	pthread_mutex_t lock;
	struct vnode *nodes;
	size_t nr, alloc;
	size_t *slots; /* hash of every node but the root: index + 1, 0 = empty */
	size_t cap;
	struct vhandle *fds;
	size_t nfds, fds_alloc;
	struct vcmd *cmds;
	size_t ncmds, cmds_alloc;
	size_t unsent; /* the first VFS_MEM_NOT_SENT node opened, or 0 */
};

/* ---- nodes and the (parent, name) hash ---- */

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

static size_t lookup(const struct vfs_image *im, size_t parent,
		     const char *name, size_t len)
{
	size_t mask = im->cap - 1;
	size_t i = hash_name(parent, name, len) & mask;

	for (; im->slots[i]; i = (i + 1) & mask) {
		const struct vnode *n = &im->nodes[im->slots[i] - 1];

		if (n->parent == parent && !strncmp(n->name, name, len) &&
		    !n->name[len])
			return im->slots[i] - 1;
	}
	return 0; /* the root is never anyone's child */
}

static void hash_insert(struct vfs_image *im, size_t idx)
{
	const struct vnode *n = &im->nodes[idx];
	size_t mask = im->cap - 1;
	size_t i = hash_name(n->parent, n->name, strlen(n->name)) & mask;

	while (im->slots[i])
		i = (i + 1) & mask;
	im->slots[i] = idx + 1;
}

/* Hash the newest node, doubling the table past a load of one half. */
static void hash_add_last(struct vfs_image *im)
{
	size_t i;

	if (im->nr * 2 < im->cap) {
		hash_insert(im, im->nr - 1);
		return;
	}
	free(im->slots);
	im->cap = ed_st_mult(im->cap, 2);
	im->slots = ed_xcalloc(im->cap, sizeof(*im->slots));
	for (i = 1; i < im->nr; i++)
		hash_insert(im, i);
}

static size_t new_node(struct vfs_image *im, size_t parent, const char *name,
		       size_t len)
{
	struct vnode *n;
	struct vnode *p;
	size_t idx = im->nr;

	ED_ALLOC_GROW(im->nodes, im->nr + 1, im->alloc);
	n = &im->nodes[im->nr++];
	memset(n, 0, sizeof(*n));
	n->name = ed_xmemdup(name, len);
	n->parent = parent;
	n->mode = S_IFDIR | 0755;
	if (idx) {
		hash_add_last(im);
		p = &im->nodes[parent];
		ED_ALLOC_GROW(p->kids, p->nkids + 1, p->kalloc);
		p->kids[p->nkids++] = idx;
	}
	return idx;
}

static void fill_stat(const struct vfs_image *im, size_t idx, struct stat *st)
{
	const struct vnode *n = &im->nodes[idx];

	memset(st, 0, sizeof(*st));
	st->st_dev = n->ino ? n->dev : 1;
	st->st_ino = n->ino ? n->ino : (ino_t)idx + 1;
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

/* ---- path resolution (called with the lock held) ---- */

/*
 * Resolve path from directory node cur as Linux does: '/' starts at the
 * image root, "." and ".." are components ("/.." is "/"), symlinks are
 * followed everywhere but in the last component unless follow is set or
 * a '/' trails it. 0 with *out set, or an errno value.
 */
static int resolve(const struct vfs_image *im, size_t cur, const char *p,
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
		if (!S_ISDIR(im->nodes[cur].mode))
			return ENOTDIR;
		if (n > NAME_MAX)
			return ENAMETOOLONG;
		if (n == 1 && s[0] == '.')
			continue;
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			cur = im->nodes[cur].parent;
			continue;
		}
		child = lookup(im, cur, s, n);
		if (!child)
			return ENOENT;
		if (S_ISLNK(im->nodes[child].mode) &&
		    (!last || follow || trailing)) {
			const char *target = im->nodes[child].data;

			if (++*hops > VFS_MAX_HOPS)
				return ELOOP;
			if (!target || !*target)
				return ENOENT;
			rc = resolve(im, cur, target, 1, hops, &child);
			if (rc)
				return rc;
		}
		cur = child;
		if (last && trailing && !S_ISDIR(im->nodes[cur].mode))
			return ENOTDIR;
	}
	*out = cur;
	return 0;
}

/* The node of an open handle, or EBADF. */
static int handle_node(const struct vfs_image *im, int fd, size_t *out)
{
	if (fd < 0 || (size_t)fd >= im->nfds || !im->fds[fd].used)
		return EBADF;
	*out = im->fds[fd].node;
	return 0;
}

/*
 * Resolve (dirfd, path) as the *at() calls do: from the root for an
 * absolute path or AT_FDCWD (an image's working directory is its root).
 * 0 or an errno value.
 */
static int resolve_at(const struct vfs_image *im, int dirfd, const char *path,
		      int follow, size_t *out)
{
	size_t start = 0;
	int hops = 0, rc;

	if (!*path)
		return ENOENT;
	if (*path != '/' && dirfd != AT_FDCWD) {
		rc = handle_node(im, dirfd, &start);
		if (rc)
			return rc;
	}
	return resolve(im, start, path, follow, &hops, out);
}

static int fail(struct vfs_image *im, int e)
{
	pthread_mutex_unlock(&im->lock);
	errno = e;
	return -1;
}

/* ---- the calls ---- */

int image_openat(struct vfs_image *im, int dirfd, const char *path, int flags)
{
	const struct vnode *n;
	size_t idx, i;
	int rc;

	pthread_mutex_lock(&im->lock);
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return fail(im, EROFS);
	rc = resolve_at(im, dirfd, path, !(flags & O_NOFOLLOW), &idx);
	if (rc)
		return fail(im, rc);
	n = &im->nodes[idx];
	/* Linux checks O_DIRECTORY before refusing the symlink itself */
	if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
		return fail(im, ENOTDIR);
	if (S_ISLNK(n->mode))
		return fail(im, ELOOP);
	if (n->flags & VFS_MEM_UNREADABLE)
		return fail(im, EACCES);
	if ((n->flags & VFS_MEM_NOT_SENT) && !im->unsent)
		im->unsent = idx;
	if (n->flags & VFS_MEM_NOT_SENT)
		return fail(im, EIO);
	/* no socket or device behind an image: as for a socket on Linux */
	if (S_ISSOCK(n->mode) || S_ISCHR(n->mode) || S_ISBLK(n->mode))
		return fail(im, ENXIO);
	for (i = 0; i < im->nfds && im->fds[i].used; i++)
		;
	if (i == im->nfds) {
		if (i >= INT_MAX)
			return fail(im, EMFILE);
		ED_ALLOC_GROW(im->fds, im->nfds + 1, im->fds_alloc);
		im->nfds++;
	}
	im->fds[i].used = 1;
	im->fds[i].node = idx;
	im->fds[i].off = 0;
	pthread_mutex_unlock(&im->lock);
	return (int)i;
}

int image_fstatat(struct vfs_image *im, int dirfd, const char *path,
		  struct stat *st, int flags)
{
	size_t idx;
	int rc;

	pthread_mutex_lock(&im->lock);
	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return fail(im, EINVAL);
	rc = resolve_at(im, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), &idx);
	if (rc)
		return fail(im, rc);
	fill_stat(im, idx, st);
	pthread_mutex_unlock(&im->lock);
	return 0;
}

int image_fstat(struct vfs_image *im, int fd, struct stat *st)
{
	size_t idx;
	int rc;

	pthread_mutex_lock(&im->lock);
	rc = handle_node(im, fd, &idx);
	if (rc)
		return fail(im, rc);
	fill_stat(im, idx, st);
	pthread_mutex_unlock(&im->lock);
	return 0;
}

ssize_t image_readlinkat(struct vfs_image *im, int dirfd, const char *path,
			 char *buf, size_t len)
{
	const struct vnode *n;
	size_t idx;
	int rc;

	pthread_mutex_lock(&im->lock);
	if (!len || len > SSIZE_MAX)
		return fail(im, EINVAL);
	rc = resolve_at(im, dirfd, path, 0, &idx);
	if (rc)
		return fail(im, rc);
	n = &im->nodes[idx];
	if (!S_ISLNK(n->mode))
		return fail(im, EINVAL);
	if (len > n->len)
		len = n->len;
	memcpy(buf, n->data, len);
	pthread_mutex_unlock(&im->lock);
	return (ssize_t)len;
}

ssize_t image_read(struct vfs_image *im, int fd, void *buf, size_t len)
{
	struct vhandle *h;
	const struct vnode *n;
	size_t idx, left;
	int rc;

	pthread_mutex_lock(&im->lock);
	rc = handle_node(im, fd, &idx);
	if (rc)
		return fail(im, rc);
	n = &im->nodes[idx];
	if (S_ISDIR(n->mode))
		return fail(im, EISDIR);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	h = &im->fds[fd];
	left = S_ISREG(n->mode) && h->off < n->len ? n->len - h->off : 0;
	if (len > left)
		len = left;
	if (len)
		memcpy(buf, n->data + h->off, len);
	h->off += len;
	pthread_mutex_unlock(&im->lock);
	return (ssize_t)len;
}

int image_close(struct vfs_image *im, int fd)
{
	size_t idx;
	int rc;

	pthread_mutex_lock(&im->lock);
	rc = handle_node(im, fd, &idx);
	if (rc)
		return fail(im, rc);
	im->fds[fd].used = 0;
	pthread_mutex_unlock(&im->lock);
	return 0;
}

int image_executable(struct vfs_image *im, const char *path)
{
	const struct vnode *n;
	size_t idx;
	int rc;

	pthread_mutex_lock(&im->lock);
	rc = resolve_at(im, AT_FDCWD, path, 1, &idx);
	if (rc)
		return fail(im, rc);
	n = &im->nodes[idx];
	/* as access(X_OK) for root: any execute bit will do */
	if (!S_ISREG(n->mode) || !(n->mode & 0111))
		return fail(im, EACCES);
	pthread_mutex_unlock(&im->lock);
	return 0;
}

int image_dir_node(struct vfs_image *im, int fd, size_t *node)
{
	size_t idx;
	int rc;

	pthread_mutex_lock(&im->lock);
	rc = handle_node(im, fd, &idx);
	if (!rc && !S_ISDIR(im->nodes[idx].mode)) {
		im->fds[fd].used = 0;
		rc = ENOTDIR;
	}
	if (rc)
		return fail(im, rc);
	*node = idx;
	pthread_mutex_unlock(&im->lock);
	return 0;
}

const char *image_dir_next(struct vfs_image *im, size_t node, size_t *pos,
			   unsigned char *type)
{
	const struct vnode *dir, *n;

	pthread_mutex_lock(&im->lock);
	dir = &im->nodes[node];
	n = *pos < dir->nkids ? &im->nodes[dir->kids[(*pos)++]] : NULL;
	pthread_mutex_unlock(&im->lock);
	errno = 0;
	if (!n)
		return NULL;
	*type = (unsigned char)IFTODT(n->mode);
	return n->name;
}

/* ---- commands ---- */

static size_t argv_len(char *const argv[])
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

static struct vcmd *find_cmd(const struct vfs_image *im, char *const argv[])
{
	size_t argc = argv_len(argv), i, j;

	for (i = 0; i < im->ncmds; i++) {
		struct vcmd *c = &im->cmds[i];

		if (c->argc != argc)
			continue;
		for (j = 0; j < argc && !strcmp(c->argv[j], argv[j]); j++)
			;
		if (j == argc)
			return c;
	}
	return NULL;
}

static struct vcmd *get_cmd(struct vfs_image *im, char *const argv[])
{
	struct vcmd *c = find_cmd(im, argv);
	size_t i;

	if (c)
		return c;
	ED_ALLOC_GROW(im->cmds, im->ncmds + 1, im->cmds_alloc);
	c = &im->cmds[im->ncmds++];
	memset(c, 0, sizeof(*c));
	c->argc = argv_len(argv);
	c->argv = ed_xcalloc(c->argc + 1, sizeof(*c->argv));
	for (i = 0; i < c->argc; i++)
		c->argv[i] = ed_xstrdup(argv[i]);
	c->errline = ed_xstrdup("");
	return c;
}

int image_run(struct vfs_image *im, struct ed_buf *out, struct ed_buf *errline,
	      int *status, char *const argv[], size_t max_out, struct ed_err *err)
{
	const struct vcmd *c;
	int rc = 0;

	*status = -1;
	pthread_mutex_lock(&im->lock);
	c = find_cmd(im, argv);
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
	pthread_mutex_unlock(&im->lock);
	return rc;
}

/* ---- building an image ---- */

struct vfs *vfs_mem_new(void)
{
	struct vfs *fs = ed_xcalloc(1, sizeof(*fs));
	struct vfs_image *im = ed_xcalloc(1, sizeof(*im));

	pthread_mutex_init(&im->lock, NULL);
	im->cap = 1024;
	im->slots = ed_xcalloc(im->cap, sizeof(*im->slots));
	new_node(im, 0, "", 0);
	fs->root = ed_xstrdup("/");
	fs->live = true; /* a remote host is a running system */
	fs->img = im;
	return fs;
}

void image_free(struct vfs_image *im)
{
	size_t i, j;

	for (i = 0; i < im->nr; i++) {
		free(im->nodes[i].name);
		free(im->nodes[i].data);
		free(im->nodes[i].kids);
	}
	for (i = 0; i < im->ncmds; i++) {
		for (j = 0; j < im->cmds[i].argc; j++)
			free(im->cmds[i].argv[j]);
		free(im->cmds[i].argv);
		free(im->cmds[i].out);
		free(im->cmds[i].errline);
	}
	free(im->cmds);
	free(im->nodes);
	free(im->slots);
	free(im->fds);
	pthread_mutex_destroy(&im->lock);
	free(im);
}

/* The image of fs: building a real file system is a programming error. */
static struct vfs_image *image_of(struct vfs *fs)
{
	if (!fs->img)
		ED_BUG("vfs_mem_* on a real file system (%s)", fs->root);
	return fs->img;
}

static int valid_type(mode_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode) ||
	       S_ISFIFO(mode) || S_ISSOCK(mode) || S_ISCHR(mode) || S_ISBLK(mode);
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
	n->dev = st->st_dev;
	n->ino = st->st_ino;
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
	    (S_ISREG(n->mode) &&
	     !(flags & (VFS_MEM_UNREADABLE | VFS_MEM_NOT_SENT))))
		n->size = (off_t)n->len;
	else
		n->size = st->st_size;
}

void vfs_mem_reserve(struct vfs *fs, size_t n)
{
	struct vfs_image *im = image_of(fs);
	size_t i, cap = im->cap;

	pthread_mutex_lock(&im->lock);
	ED_ALLOC_GROW(im->nodes, n, im->alloc);
	while (cap / 2 <= n)
		cap = ed_st_mult(cap, 2);
	if (cap != im->cap) {
		free(im->slots);
		im->cap = cap;
		im->slots = ed_xcalloc(im->cap, sizeof(*im->slots));
		for (i = 1; i < im->nr; i++)
			hash_insert(im, i);
	}
	pthread_mutex_unlock(&im->lock);
}

int vfs_mem_add(struct vfs *fs, const char *path, const struct stat *st,
		const char *data, size_t len, int flags, struct ed_err *err)
{
	struct vfs_image *im = image_of(fs);
	const char *p = path;
	size_t cur = 0;
	int rc = 0;

	if (*path != '/')
		return ed_err_set(err, ED_ERROR, "'%s': not an absolute path",
				  path);
	if (!valid_type(st->st_mode))
		return ed_err_set(err, ED_ERROR, "'%s': unknown file type 0%o",
				  path, (unsigned)(st->st_mode & S_IFMT));
	pthread_mutex_lock(&im->lock);
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
		if (!S_ISDIR(im->nodes[cur].mode)) {
			rc = ed_err_set(err, ED_ERROR,
					"'%s': '%.*s' is not a directory", path,
					(int)(s - path - 1), path);
			goto out;
		}
		child = lookup(im, cur, s, n);
		if (!child)
			child = new_node(im, cur, s, n);
		cur = child;
	}
	if (!cur && !S_ISDIR(st->st_mode)) {
		rc = ed_err_set(err, ED_ERROR,
				"'%s': the root must be a directory", path);
		goto out;
	}
	set_node(&im->nodes[cur], st, data, len, flags);
out:
	pthread_mutex_unlock(&im->lock);
	return rc;
}

void vfs_mem_set_output(struct vfs *fs, char *const argv[], const char *out,
			size_t len, int status)
{
	struct vfs_image *im = image_of(fs);
	struct vcmd *c;

	pthread_mutex_lock(&im->lock);
	c = get_cmd(im, argv);
	free(c->out);
	c->out = ed_xmemdup(out ? out : "", out ? len : 0);
	c->len = out ? len : 0;
	c->status = status;
	pthread_mutex_unlock(&im->lock);
}

void vfs_mem_set_stderr(struct vfs *fs, char *const argv[], const char *line,
			size_t len)
{
	struct vfs_image *im = image_of(fs);
	const char *nl = line ? memchr(line, '\n', len) : NULL;
	struct vcmd *c;
	size_t i;

	if (!line)
		len = 0;
	if (nl)
		len = (size_t)(nl - line);
	if (len > VFS_ERRLINE_MAX)
		len = VFS_ERRLINE_MAX;
	pthread_mutex_lock(&im->lock);
	c = get_cmd(im, argv);
	free(c->errline);
	c->errline = ed_xmemdup(line ? line : "", len);
	/* as collect_run: one line, control characters blanked */
	for (i = 0; i < len; i++)
		if ((unsigned char)c->errline[i] < 0x20)
			c->errline[i] = ' ';
	pthread_mutex_unlock(&im->lock);
}

int vfs_mem_unsent(struct vfs *fs, struct ed_buf *path)
{
	struct vfs_image *im = image_of(fs);
	size_t idx, depth = 0;

	pthread_mutex_lock(&im->lock);
	idx = im->unsent;
	ed_buf_reset(path);
	/* from the node up, each name put in front; bounded by the depth */
	while (idx && depth++ < im->nr) {
		const struct vnode *n = &im->nodes[idx];
		size_t len = strlen(n->name) + 1;

		ed_buf_grow(path, len);
		memmove(path->ptr + len, path->ptr, path->len + 1);
		path->ptr[0] = '/';
		memcpy(path->ptr + 1, n->name, len - 1);
		ed_buf_setlen(path, path->len + len);
		idx = n->parent;
	}
	idx = im->unsent;
	pthread_mutex_unlock(&im->lock);
	return idx != 0;
}
