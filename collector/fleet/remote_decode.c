/*
 * The decoder of a host's answer to the fleet scan's request
 * (collector/fleet/remote.h) into an in-memory image.
 *
 * Stream (all sections in this order; a missing "@done" means truncated):
 *   ENVDRIFT-STREAM 3\n
 *   @list\n   records "R Y T MODE UID GID SIZE MTIME CTIME INODE DEVICE\0PATH
 *             \0LINK\0" where R is r (readable by the remote user) or u,
 *             Y y (racy: changed within two seconds of the host's clock)
 *             or n, T find's %y; "@end\0"
 *   @proc\n   grep -r -H -Z lines "PATH\0LINE\n" of /proc files; "@end\n"
 *   @cmd I RC LEN PATH\n LEN bytes   once per command of the request, in
 *             its order (PATH "-": not run on the host)
 *   @file LEN PATH\n LEN bytes   a file filtered on the host
 *   @tar\n    a GNU tar archive of the other readable regular files
 *   @done\n
 */
#include "collector/fleet/remote.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collector/collector.h"
#include "collector/fleet/remote_int.h"
#include "collector/vfs.h"
#include "core/alloc.h"

#define STREAM_MAGIC "ENVDRIFT-STREAM 3\n"

struct listed {
	const char *path;
	const char *link;
	size_t link_len;
	struct stat st;
	int readable;
	int racy;
	int linked;       /* below a listed symlink (mark_linked) */
	const char *data; /* content (slice of the stream or proc buffer) */
	size_t len;
	int has_data;
};

struct proc_file {
	char *path;
	struct ed_buf data;
};

struct filtered {
	char *path;
	const char *data; /* slice of the stream */
	size_t len;
};

struct decoder {
	const char *buf, *p, *end;
	const struct collect_needs *needs; /* the request's */
	struct filtered *filtered;         /* one per filter of the request */
	size_t filtered_nr;
	struct listed *v;
	size_t nr, alloc;
	/* /proc contents rebuilt from grep lines, one buffer per file */
	struct proc_file *proc;
	size_t proc_nr, proc_alloc;
	int archive_seen;
	struct remote_plan *plan; /* NULL: everything was asked for */
	long long clock;
	struct ed_err *err;
};

static int bad(struct decoder *d, const char *section, const char *what)
{
	return ed_err_set(d->err, ED_EPARSE,
			  "remote stream, %s section at byte %zu: %s", section,
			  (size_t)(d->p - d->buf), what);
}

static int expect(struct decoder *d, const char *lit, const char *section)
{
	size_t n = strlen(lit);

	if ((size_t)(d->end - d->p) < n || memcmp(d->p, lit, n))
		return bad(d, section,
			   d->p >= d->end ? "stream ends early (truncated)" :
					    "unexpected bytes");
	d->p += n;
	return 0;
}

/* A NUL-terminated field at d->p. */
static const char *field(struct decoder *d, size_t *len)
{
	const char *z = memchr(d->p, '\0', (size_t)(d->end - d->p));
	const char *s = d->p;

	if (!z)
		return NULL;
	*len = (size_t)(z - s);
	d->p = z + 1;
	return s;
}

static mode_t type_bits(char c)
{
	switch (c) {
	case 'f':
		return S_IFREG;
	case 'd':
		return S_IFDIR;
	case 'l':
		return S_IFLNK;
	case 'p':
		return S_IFIFO;
	case 's':
		return S_IFSOCK;
	case 'c':
		return S_IFCHR;
	case 'b':
		return S_IFBLK;
	default:
		return 0;
	}
}

/* "R Y T MODE UID GID SIZE MTIME CTIME INODE DEVICE" */
static int parse_attrs(struct listed *l, const char *s, size_t n)
{
	const char *e = s + n;
	unsigned long long mode, uid, gid, size, ino, dev;
	struct timespec mt, ct;
	mode_t type;

	if (n < 5 || (s[0] != 'r' && s[0] != 'u') || (s[1] != 'y' && s[1] != 'n'))
		return -1;
	l->readable = s[0] == 'r';
	l->racy = s[1] == 'y';
	type = type_bits(s[2]);
	if (!type || s[3] != ' ')
		return -1;
	s += 4;
	if (remote_parse_ull(&s, e, 8, &mode) || mode > 07777 || s >= e ||
	    *s++ != ' ' || remote_parse_ull(&s, e, 10, &uid) || s >= e ||
	    *s++ != ' ' || remote_parse_ull(&s, e, 10, &gid) || s >= e ||
	    *s++ != ' ' || remote_parse_ull(&s, e, 10, &size) || s >= e ||
	    *s++ != ' ' || remote_parse_time(&s, e, &mt) || s >= e ||
	    *s++ != ' ' || remote_parse_time(&s, e, &ct) || s >= e ||
	    *s++ != ' ' || remote_parse_ull(&s, e, 10, &ino) || s >= e ||
	    *s++ != ' ' || remote_parse_ull(&s, e, 10, &dev))
		return -1;
	if (s != e || uid > 0xffffffffULL || gid > 0xffffffffULL ||
	    size > (unsigned long long)INT64_MAX)
		return -1;
	memset(&l->st, 0, sizeof(l->st));
	l->st.st_mode = type | (mode_t)mode;
	l->st.st_uid = (uid_t)uid;
	l->st.st_gid = (gid_t)gid;
	l->st.st_size = (off_t)size;
	l->st.st_mtim = mt;
	l->st.st_ctim = ct;
	l->st.st_ino = (ino_t)ino;
	l->st.st_dev = (dev_t)dev;
	l->st.st_nlink = 1;
	return 0;
}

static int decode_header(struct decoder *d)
{
	return expect(d, STREAM_MAGIC, "header");
}

static long long newest_sec(const struct stat *st)
{
	return st->st_mtim.tv_sec > st->st_ctim.tv_sec ?
		       (long long)st->st_mtim.tv_sec :
		       (long long)st->st_ctim.tv_sec;
}

/*
 * The host's clock as its listing bounds it. find marked the entries
 * changed within two seconds of its start (no date(1) to run: a process
 * less on every host); the rules here judge a file racy when its newest
 * time, in whole seconds, is at least the clock less one. So the clock is
 * one more than the oldest racy entry's newest second: every entry find
 * marked is racy, and one it did not is only when it shares that second
 * (racy once too often costs bytes, never a missed change). Nothing
 * marked: two more than the newest of all, so that nothing listed is.
 */
static long long listing_clock(const struct decoder *d)
{
	long long oldest_racy = 0, newest = 0;
	int any_racy = 0;
	size_t i;

	for (i = 0; i < d->nr; i++) {
		long long t = newest_sec(&d->v[i].st);

		if (d->v[i].racy && (!any_racy || t < oldest_racy)) {
			oldest_racy = t;
			any_racy = 1;
		}
		if (t > newest)
			newest = t;
	}
	return any_racy ? oldest_racy + 1 : newest + 2;
}

static int decode_list(struct decoder *d)
{
	if (expect(d, "@list\n", "list") < 0)
		return d->err->code;
	for (;;) {
		struct listed *l;
		const char *attrs, *path, *link;
		size_t alen, plen, llen;

		if (d->end - d->p >= 5 && !memcmp(d->p, "@end", 5))
			break;
		attrs = field(d, &alen);
		path = attrs ? field(d, &plen) : NULL;
		link = path ? field(d, &llen) : NULL;
		if (!link)
			return bad(d, "list", "stream ends early (truncated)");
		if (!plen || path[0] != '/')
			return bad(d, "list", "path is not absolute");
		ED_ALLOC_GROW(d->v, d->nr + 1, d->alloc);
		l = &d->v[d->nr];
		memset(l, 0, sizeof(*l));
		if (parse_attrs(l, attrs, alen) < 0)
			return bad(d, "list",
				   "malformed attributes (not GNU find?)");
		l->path = path;
		l->link = link;
		l->link_len = llen;
		d->nr++;
	}
	d->p += 5;
	d->clock = listing_clock(d);
	return 0;
}

/* grep prints each file's lines together: a new path is a new file */
static struct ed_buf *proc_buf(struct decoder *d, const char *path)
{
	struct proc_file *f;

	if (d->proc_nr && !strcmp(d->proc[d->proc_nr - 1].path, path))
		return &d->proc[d->proc_nr - 1].data;
	ED_ALLOC_GROW(d->proc, d->proc_nr + 1, d->proc_alloc);
	f = &d->proc[d->proc_nr++];
	f->path = ed_xstrdup(path);
	ed_buf_init(&f->data);
	return &f->data;
}

static int cmp_proc(const void *a, const void *b)
{
	return strcmp(((const struct proc_file *)a)->path,
		      ((const struct proc_file *)b)->path);
}

static int decode_proc(struct decoder *d)
{
	if (expect(d, "@proc\n", "proc") < 0)
		return d->err->code;
	while (!(d->end - d->p >= 5 && !memcmp(d->p, "@end\n", 5))) {
		size_t plen;
		const char *path = field(d, &plen);
		const char *nl;

		if (!path)
			return bad(d, "proc", "stream ends early (truncated)");
		nl = memchr(d->p, '\n', (size_t)(d->end - d->p));
		if (!nl)
			return bad(d, "proc", "stream ends early (truncated)");
		{
			struct ed_buf *b = proc_buf(d, path);

			ed_buf_add(b, d->p, (size_t)(nl - d->p) + 1);
		}
		d->p = nl + 1;
	}
	d->p += 5;
	return 0;
}

static int decode_cmds(struct decoder *d, struct vfs *fs)
{
	const char *what = NULL;

	if (remote_cmds_decode(&d->p, d->end, d->needs, d->plan, fs, &what) < 0)
		return bad(d, "cmd", what);
	return 0;
}

static int decode_files(struct decoder *d)
{
	while (d->end - d->p >= 6 && !memcmp(d->p, "@file ", 6)) {
		const char *nl = memchr(d->p, '\n', (size_t)(d->end - d->p));
		const char *s = d->p + 6;
		unsigned long long len;
		struct filtered *f;
		char *path;

		if (!nl || remote_parse_ull(&s, nl, 10, &len) || *s++ != ' ' ||
		    s >= nl || len > (size_t)(d->end - nl - 1))
			return bad(d, "file", "malformed header or truncated");
		path = ed_xstrndup(s, (size_t)(nl - s));
		if (!remote_is_filtered(d->needs, path) ||
		    d->filtered_nr == d->needs->filters_nr) {
			free(path);
			return bad(d, "file", "unexpected file");
		}
		f = &d->filtered[d->filtered_nr++];
		f->path = path;
		f->data = nl + 1;
		f->len = (size_t)len;
		d->p = nl + 1 + len;
	}
	return 0;
}

/* Parse an octal or base-256 tar number field. */
static int tar_num(const unsigned char *f, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1;
		for (i = 1; i < n; i++) {
			if (v >> 56)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v * 8 + (unsigned)(f[i] - '0');
	}
	if (i < n && f[i] && f[i] != ' ')
		return -1;
	*out = v;
	return 0;
}

static int cmp_listed(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->path,
		      ((const struct listed *)b)->path);
}

static struct listed *find_listed(struct decoder *d, const char *path)
{
	struct listed key;

	memset(&key, 0, sizeof(key));
	key.path = path;
	return d->nr ? bsearch(&key, d->v, d->nr, sizeof(*d->v), cmp_listed) :
		       NULL;
}

static int decode_tar(struct decoder *d, struct ed_strvec *warnings)
{
	struct ed_buf name = ED_BUF_INIT, longname = ED_BUF_INIT;
	int have_long = 0, rc = 0;

	if (expect(d, "@tar\n", "tar") < 0)
		return d->err->code;
	for (;;) {
		const unsigned char *h = (const unsigned char *)d->p;
		unsigned long long size;
		size_t padded, i;
		char type;
		struct listed *l;

		if (!d->archive_seen && d->end - d->p >= 6 &&
		    !memcmp(d->p, "@done\n", 6))
			break; /* no archive at all: tar could not run */
		if (d->end - d->p < 512) {
			rc = bad(d, "tar", "stream ends early (truncated)");
			goto out;
		}
		for (i = 0; i < 512 && !h[i]; i++)
			;
		d->archive_seen = 1;
		if (i == 512) {
			/* end of archive: skip the zero padding of the record */
			while (d->p < d->end && !*d->p)
				d->p++;
			break;
		}
		if (memcmp(h + 257, "ustar", 5) || tar_num(h + 124, 12, &size) ||
		    size > (unsigned long long)(d->end - d->p)) {
			rc = bad(d, "tar", "not a GNU tar archive");
			goto out;
		}
		type = (char)h[156];
		padded = (size_t)((size + 511) & ~511ULL);
		if ((size_t)(d->end - d->p) - 512 < padded) {
			rc = bad(d, "tar", "stream ends early (truncated)");
			goto out;
		}
		if (type == 'L') {
			ed_buf_reset(&longname);
			ed_buf_add(&longname, d->p + 512, (size_t)size);
			ed_buf_setlen(&longname,
				      strnlen(longname.ptr, longname.len));
			have_long = 1;
			d->p += 512 + padded;
			continue;
		}
		ed_buf_reset(&name);
		ed_buf_addch(&name, '/');
		if (have_long) {
			ed_buf_add(&name, longname.ptr, longname.len);
		} else {
			size_t pl = strnlen((const char *)h + 345, 155);

			if (pl) {
				ed_buf_add(&name, h + 345, pl);
				ed_buf_addch(&name, '/');
			}
			ed_buf_add(&name, h, strnlen((const char *)h, 100));
		}
		have_long = 0;
		if (type == '0' || type == '\0' || type == '7') {
			l = find_listed(d, name.ptr);
			if (l && S_ISREG(l->st.st_mode)) {
				l->data = d->p + 512;
				l->len = (size_t)size;
				l->has_data = 1;
			} else {
				ed_strvec_pushf(warnings,
						"remote: %s: in the archive but not listed",
						name.ptr);
			}
		}
		d->p += 512 + padded;
	}
	rc = expect(d, "@done\n", "end");
out:
	ed_buf_release(&name);
	ed_buf_release(&longname);
	return rc;
}

/* 1 if a listed ancestor of path is a symlink. */
static int under_symlink(struct decoder *d, const char *path)
{
	struct ed_buf b = ED_BUF_INIT;
	const char *p = path;
	int found = 0;

	while (!found && (p = strchr(p + 1, '/'))) {
		struct listed *l;

		ed_buf_reset(&b);
		ed_buf_add(&b, path, (size_t)(p - path));
		l = find_listed(d, b.ptr);
		found = l && S_ISLNK(l->st.st_mode);
	}
	ed_buf_release(&b);
	return found;
}

/*
 * Each entry's linked mark, the listing sorted: a parent sorts before its
 * entries, so each takes its parent's, one lookup instead of one per
 * ancestor.
 */
static void mark_linked(struct decoder *d)
{
	struct ed_buf parent = ED_BUF_INIT;
	size_t i;

	for (i = 0; i < d->nr; i++) {
		struct listed *l = &d->v[i];
		const char *slash = strrchr(l->path, '/');
		const struct listed *up = NULL;

		if (slash && slash != l->path) {
			ed_buf_reset(&parent);
			ed_buf_add(&parent, l->path, (size_t)(slash - l->path));
			up = find_listed(d, parent.ptr);
		}
		l->linked = up ? S_ISLNK(up->st.st_mode) || up->linked :
				 under_symlink(d, l->path);
	}
	ed_buf_release(&parent);
}

/*
 * 1 if path lies below a value tree of the request, or matches one of its
 * /sys patterns: sent unlisted.
 */
static int under_values(const struct decoder *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->needs->values.nr; i++)
		if (remote_is_under(path, d->needs->values.v[i]))
			return 1;
	for (i = 0; i < d->needs->paths.nr; i++) {
		const char *pat = d->needs->paths.v[i];

		if (remote_is_under(pat, "/sys") && strchr(pat, '*') &&
		    !fnmatch(pat, path, FNM_PATHNAME))
			return 1;
	}
	return 0;
}

/* 1 if the host was asked for path's content whole (tar). */
static int asked(const struct decoder *d, const char *path)
{
	if (remote_is_keyed(d->needs, path))
		return 0;
	return !d->plan || d->plan->full ||
	       ed_strvec_find(&d->plan->sent, path) < d->plan->sent.nr;
}

/* An input the plan took from the cache: its bytes. */
static int cached_input(const struct decoder *d, const char *path,
			const char **data, size_t *len)
{
	size_t i;

	for (i = 0; d->plan && i < d->plan->cached_nr; i++) {
		const struct remote_input *in = &d->plan->cached[i];

		if (!strcmp(in->path, path)) {
			*data = in->data;
			*len = in->len;
			return 1;
		}
	}
	return 0;
}

/*
 * An input or a file a collector reads whole, as the host sent it: kept
 * for the session's next cache (which writes only what it may).
 */
static void keep_input(struct decoder *d, const struct listed *l, int filtered,
		       const char *data, size_t len)
{
	if (d->plan && (ed_strvec_contains(&d->needs->inputs, l->path) ||
			remote_read_whole(d->needs, l->path)))
		remote_input_keep(d->plan, l->path, &l->st, filtered, data, len);
}

static int build_image(struct decoder *d, struct vfs *fs,
		       struct ed_strvec *warnings)
{
	size_t i, wanted = 0, got = 0;
	int rc;

	/*
	 * An archive that holds none of the readable files the listing
	 * names is a broken or hostile tar, not a host whose files all
	 * became unreadable at once.
	 */
	for (i = 0; i < d->nr; i++) {
		const struct listed *l = &d->v[i];

		if (!S_ISREG(l->st.st_mode) || !l->readable ||
		    remote_is_proc(l->path) ||
		    remote_is_filtered(d->needs, l->path) || l->linked ||
		    !asked(d, l->path))
			continue;
		wanted++;
		got += l->has_data;
	}
	if (wanted && !got)
		return ed_err_set(
			d->err, ED_EPARSE,
			d->archive_seen ?
				"remote stream: the tar archive holds none of the %zu readable files listed" :
				"remote stream: no tar archive for the %zu readable files listed (GNU tar with --recursion/--no-recursion is needed on the host)",
			wanted);

	/* the listing's entries, their directories, the /proc files */
	vfs_mem_reserve(fs, d->nr + d->proc_nr + 64);
	for (i = 0; i < d->nr; i++) {
		struct listed *l = &d->v[i];
		const char *data = NULL;
		size_t len = 0;
		int flags = l->readable ? 0 : VFS_MEM_UNREADABLE;

		/* /bin/x on a merged-/usr host: reached through /usr/bin/x */
		if (l->linked)
			continue;

		if (S_ISLNK(l->st.st_mode)) {
			data = l->link;
			len = l->link_len;
		} else if (S_ISREG(l->st.st_mode) && l->readable) {
			if (remote_is_proc(l->path)) {
				struct proc_file key, *f;

				memset(&key, 0, sizeof(key));
				key.path = (char *)(uintptr_t)l->path;
				f = !d->proc_nr ?
					    NULL :
					    bsearch(&key, d->proc, d->proc_nr,
						    sizeof(*d->proc), cmp_proc);
				if (f) {
					data = f->data.ptr;
					len = f->data.len;
				}
			} else if (cached_input(d, l->path, &data, &len)) {
				if (remote_is_filtered(d->needs, l->path))
					l->st.st_size = (off_t)len;
				else
					flags = 0;
			} else if (remote_is_filtered(d->needs, l->path)) {
				size_t j;

				for (j = 0; j < d->filtered_nr; j++)
					if (!strcmp(d->filtered[j].path, l->path))
						break;
				if (j < d->filtered_nr) {
					data = d->filtered[j].data;
					len = d->filtered[j].len;
					keep_input(d, l, 1, data, len);
					if (d->plan)
						d->plan->delivered++;
					l->st.st_size = (off_t)len;
				} else {
					ed_strvec_pushf(warnings,
							"remote: %s: listed but not read",
							l->path);
					flags = VFS_MEM_UNREADABLE;
				}
			} else if (!asked(d, l->path)) {
				/* the cache stands for it (or nobody reads it) */
				flags = VFS_MEM_NOT_SENT;
			} else if (!d->archive_seen) {
				return ed_err_set(
					d->err, ED_EPARSE,
					"remote stream: no tar archive (GNU tar with --null -T is needed on the host)");
			} else if (l->has_data) {
				data = l->data;
				len = l->len;
				keep_input(d, l, 0, data, len);
				if (d->plan)
					d->plan->delivered++;
				l->st.st_size = (off_t)len;
			} else {
				/* listed, readable, yet not delivered: keep the old lines */
				ed_strvec_pushf(warnings,
						"remote: %s: listed but not read (changed or removed during the scan?)",
						l->path);
				flags = VFS_MEM_UNREADABLE;
			}
		}
		rc = vfs_mem_add(fs, l->path, &l->st, data, len, flags, d->err);
		if (rc < 0)
			return rc;
	}
	/* values known from grep alone (/proc/sys): readable regular files */
	for (i = 0; i < d->proc_nr; i++) {
		struct stat st;

		if (find_listed(d, d->proc[i].path) ||
		    !under_values(d, d->proc[i].path))
			continue;
		memset(&st, 0, sizeof(st));
		st.st_mode = S_IFREG | 0444;
		st.st_nlink = 1;
		st.st_size = (off_t)d->proc[i].data.len;
		rc = vfs_mem_add(fs, d->proc[i].path, &st, d->proc[i].data.ptr,
				 d->proc[i].data.len, 0, d->err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int remote_decode_plan(struct vfs *fs, const char *buf, size_t len,
		       const struct collect_config *cfg, struct remote_plan *plan,
		       struct ed_strvec *warnings, struct ed_err *err)
{
	struct collect_needs needs;
	struct decoder d;
	size_t i;
	int rc;

	memset(&needs, 0, sizeof(needs));
	collect_needs(&needs, cfg);
	memset(&d, 0, sizeof(d));
	d.buf = d.p = buf;
	d.end = buf + len;
	d.needs = &needs;
	d.filtered = ed_xcalloc(needs.filters_nr + 1, sizeof(*d.filtered));
	d.err = err;
	d.plan = plan;
	rc = decode_header(&d);
	if (!rc)
		rc = decode_list(&d);
	if (!rc && plan)
		plan->clock = d.clock;
	if (!rc)
		rc = decode_proc(&d);
	if (!rc)
		rc = decode_cmds(&d, fs);
	if (!rc)
		rc = decode_files(&d);
	if (!rc) {
		if (d.nr)
			qsort(d.v, d.nr, sizeof(*d.v), cmp_listed);
		mark_linked(&d);
		if (d.proc_nr)
			qsort(d.proc, d.proc_nr, sizeof(*d.proc), cmp_proc);
		rc = decode_tar(&d, warnings);
	}
	if (!rc)
		rc = build_image(&d, fs, warnings);
	for (i = 0; i < d.proc_nr; i++) {
		ed_buf_release(&d.proc[i].data);
		free(d.proc[i].path);
	}
	free(d.proc);
	free(d.v);
	for (i = 0; i < d.filtered_nr; i++)
		free(d.filtered[i].path);
	free(d.filtered);
	collect_needs_release(&needs);
	return rc;
}

int remote_decode(struct vfs *fs, const char *buf, size_t len,
		  const struct collect_config *cfg, struct ed_strvec *warnings,
		  struct ed_err *err)
{
	return remote_decode_plan(fs, buf, len, cfg, NULL, warnings, err);
}

int remote_listing(const char *buf, size_t len, struct remote_entry **out,
		   size_t *nr, long long *clock, struct ed_err *err)
{
	struct decoder d;
	size_t i;
	int rc;

	memset(&d, 0, sizeof(d));
	d.buf = d.p = buf;
	d.end = buf + len;
	d.err = err;
	*out = NULL;
	*nr = 0;
	rc = decode_header(&d);
	if (!rc)
		rc = decode_list(&d);
	if (!rc && d.nr)
		qsort(d.v, d.nr, sizeof(*d.v), cmp_listed);
	if (!rc) {
		mark_linked(&d);
		*out = ed_xcalloc(d.nr + 1, sizeof(**out));
		for (i = 0; i < d.nr; i++) {
			(*out)[i].path = d.v[i].path;
			(*out)[i].st = d.v[i].st;
			(*out)[i].readable = d.v[i].readable;
			(*out)[i].linked = d.v[i].linked;
		}
		*nr = d.nr;
		*clock = d.clock;
	}
	free(d.v);
	return rc;
}
