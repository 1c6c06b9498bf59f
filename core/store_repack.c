/*
 * Repacking of the state repository. Every commit adds a pack (or a few
 * loose objects), and per-object lookup cost grows with the pack count
 * (doc/DESIGN-NOTES.md §1.4), so after each commit small packs are merged
 * geometrically and loose objects folded into a pack once they pile up.
 */
#include "core/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <git2/sys/odb_backend.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"

#define MAX_PACKS 16

struct pack_file {
	char *idx;
	size_t size;
};

static int cmp_pack_size(const void *a, const void *b)
{
	const struct pack_file *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size ? 1 : 0;
}

/* List objects/pack/ *.idx with the size of each matching .pack. */
static int list_packs(const struct store *st, struct pack_file **out,
		      size_t *nr, struct ed_err *err)
{
	struct ed_buf dir = ED_BUF_INIT, p = ED_BUF_INIT;
	struct pack_file *v = NULL;
	size_t n = 0, alloc = 0;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	*nr = 0;
	ed_buf_addf(&dir, "%sobjects/pack", git_repository_path(st->repo));
	d = opendir(dir.ptr);
	if (!d) {
		int rc = errno == ENOENT ?
				 0 :
				 ed_err_errno(err, ED_EIO, errno, "%s", dir.ptr);

		ed_buf_release(&dir);
		return rc;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct stat sb;

		if (len < 5 || strcmp(de->d_name + len - 4, ".idx"))
			continue;
		ed_buf_reset(&p);
		ed_buf_addf(&p, "%s/%.*s.pack", dir.ptr, (int)(len - 4),
			    de->d_name);
		if (stat(p.ptr, &sb) < 0)
			continue;
		ED_ALLOC_GROW(v, n + 1, alloc);
		v[n].size = (size_t)sb.st_size;
		ed_buf_reset(&p);
		ed_buf_addf(&p, "%s/%s", dir.ptr, de->d_name);
		v[n++].idx = ed_buf_detach(&p, NULL);
	}
	closedir(d);
	ed_buf_release(&dir);
	ed_buf_release(&p);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_pack_size);
	*out = v;
	*nr = n;
	return 0;
}

static void free_packs(struct pack_file *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].idx);
	free(v);
}

/* Loose objects in the 256 fan-out directories, and their bytes, into out. */
static void count_loose(const struct store *st, struct store_stats *out)
{
	const char *gitdir = git_repository_path(st->repo);
	struct ed_buf path = ED_BUF_INIT;
	int i;

	for (i = 0; i < 256; i++) {
		struct dirent *de;
		size_t base;
		DIR *d;

		ed_buf_reset(&path);
		ed_buf_addf(&path, "%sobjects/%02x/", gitdir, i);
		base = path.len;
		d = opendir(path.ptr);
		while (d && (de = readdir(d))) {
			struct stat sb;

			if (strlen(de->d_name) != GIT_OID_HEXSZ - 2)
				continue;
			ed_buf_setlen(&path, base);
			ed_buf_adds(&path, de->d_name);
			/* gone since readdir: a consolidation packed it */
			if (stat(path.ptr, &sb) < 0)
				continue;
			out->loose++;
			out->loose_bytes += (size_t)sb.st_size;
		}
		if (d)
			closedir(d);
	}
	ed_buf_release(&path);
}

int store_stats(const struct store *st, struct store_stats *out, struct ed_err *err)
{
	struct pack_file *v;
	size_t n, i;
	int rc = list_packs(st, &v, &n, err);

	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	out->packs = n;
	for (i = 0; i < n; i++) {
		struct stat sb;

		out->pack_bytes += v[i].size;
		if (stat(v[i].idx, &sb) == 0)
			out->index_bytes += (size_t)sb.st_size;
	}
	free_packs(v, n);
	count_loose(st, out);
	return 0;
}

struct oid_list {
	git_oid *v;
	size_t nr, alloc;
};

static int collect_oid(const git_oid *id, void *payload)
{
	struct oid_list *l = payload;

	ED_ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	git_oid_cpy(&l->v[l->nr++], id);
	return 0;
}

/*
 * Loose objects (small commits are written loose) are folded into a pack
 * once about LOOSE_FOLD of them exist, estimated as git gc --auto does from
 * one of the 256 fan-out directories.
 */
#define LOOSE_FOLD 1024

static size_t count_dir(const char *path)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(path);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strlen(de->d_name) == GIT_OID_HEXSZ - 2;
	closedir(d);
	return n;
}

/* Add every loose object to pb; their paths go to paths. */
static int gather_loose(struct store *st, struct pack_batch *pb,
			struct ed_strvec *paths, struct ed_err *err)
{
	const char *gitdir = git_repository_path(st->repo);
	struct ed_buf dir = ED_BUF_INIT, hex = ED_BUF_INIT;
	int i, rc = 0;

	for (i = 0; i < 256 && !rc; i++) {
		struct dirent *de;
		DIR *d;

		ed_buf_reset(&dir);
		ed_buf_addf(&dir, "%sobjects/%02x", gitdir, i);
		d = opendir(dir.ptr);
		if (!d)
			continue;
		while (!rc && (de = readdir(d))) {
			git_odb_object *obj = NULL;
			git_oid id;

			if (strlen(de->d_name) != GIT_OID_HEXSZ - 2)
				continue;
			ed_buf_reset(&hex);
			ed_buf_addf(&hex, "%02x%s", i, de->d_name);
			if (git_oid_fromstr(&id, hex.ptr) < 0)
				continue; /* not an object file */
			if (git_odb_read(&obj, st->odb, &id) < 0) {
				rc = ed_err_git(err, "cannot read object %s",
						hex.ptr);
				break;
			}
			pack_batch_add_raw(pb, &id, git_odb_object_type(obj),
					   git_odb_object_data(obj),
					   git_odb_object_size(obj));
			git_odb_object_free(obj);
			ed_strvec_pushf(paths, "%s/%s", dir.ptr, de->d_name);
		}
		closedir(d);
	}
	ed_buf_release(&dir);
	ed_buf_release(&hex);
	return rc;
}

/*
 * When more than MAX_PACKS packs exist, merge the small ones geometrically
 * (git repack --geometric=2): from the smallest up, while the next pack is
 * less than twice what has been gathered. Each object is then rewritten
 * O(log n) times over the repository's life, so the 365th scan pays what
 * the 2nd did (BENCHMARKS.md). The new pack is durable before any old one
 * is removed, and .idx goes before .pack, so a kill in between leaves every
 * object reachable.
 */
int store_consolidate(struct store *st, struct ed_err *err)
{
	struct pack_batch *pb = NULL;
	struct oid_list oids = { NULL, 0, 0 };
	struct pack_file *v = NULL;
	struct ed_buf objects = ED_BUF_INIT, new_idx = ED_BUF_INIT;
	struct ed_strvec loose = ED_STRVEC_INIT;
	size_t n = 0, i, j, m, acc;
	int rc, fold_loose;

	rc = list_packs(st, &v, &n, err);
	if (rc < 0)
		goto out;
	ed_buf_addf(&objects, "%sobjects", git_repository_path(st->repo));
	{
		struct ed_buf d17 = ED_BUF_INIT;

		ed_buf_addf(&d17, "%s/17", objects.ptr);
		fold_loose = count_dir(d17.ptr) * 256 >= LOOSE_FOLD;
		ed_buf_release(&d17);
	}
	m = 0;
	if (n > MAX_PACKS) {
		/* v is sorted by size, smallest first */
		acc = v[0].size;
		for (m = 1; m < n && v[m].size < 2 * acc; m++)
			acc += v[m].size;
		if (m < 2)
			m = n - 1; /* already geometric: fold all but the largest */
	}
	if (!m && !fold_loose)
		goto out;
	pb = pack_batch_new();
	if (fold_loose) {
		rc = gather_loose(st, pb, &loose, err);
		if (rc < 0)
			goto out;
	}
	for (i = 0; i < m; i++) {
		git_odb_backend *be = NULL;

		oids.nr = 0;
		if (git_odb_backend_one_pack(&be, v[i].idx) < 0 ||
		    be->foreach(be, collect_oid, &oids) < 0) {
			if (be)
				be->free(be);
			rc = ed_err_git(err, "%s: cannot read pack", v[i].idx);
			goto out;
		}
		be->free(be);
		for (j = 0; j < oids.nr; j++) {
			git_odb_object *obj = NULL;

			if (git_odb_read(&obj, st->odb, &oids.v[j]) < 0) {
				rc = ed_err_git(err, "cannot read object");
				goto out;
			}
			pack_batch_add_raw(pb, &oids.v[j],
					   git_odb_object_type(obj),
					   git_odb_object_data(obj),
					   git_odb_object_size(obj));
			git_odb_object_free(obj);
		}
	}
	rc = pack_batch_write(pb, st->odb, objects.ptr, &new_idx, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < loose.nr; i++)
		unlink(loose.v[i]);
	for (i = 0; i < m; i++) {
		struct ed_buf pack = ED_BUF_INIT;

		/* duplicates merged into a pack we already had: keep it */
		if (!strcmp(v[i].idx, new_idx.ptr))
			continue;

		ed_buf_add(&pack, v[i].idx, strlen(v[i].idx) - 4);
		ed_buf_adds(&pack, ".pack");
		unlink(v[i].idx);
		unlink(pack.ptr);
		ed_buf_release(&pack);
	}
	git_odb_refresh(st->odb);
out:
	ed_strvec_release(&loose);
	ed_buf_release(&objects);
	ed_buf_release(&new_idx);
	free(oids.v);
	pack_batch_free(pb);
	free_packs(v, n);
	return rc;
}
