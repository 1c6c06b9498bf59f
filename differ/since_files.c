/*
 * What drift age reads at each commit: a host's meta and one collector
 * file, found by blob id so an unchanged file costs no read. A file blob
 * is parsed once per group however many hosts hold it, and freed when the
 * last of them moves on to another.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"
#include "differ/internal.h"

/* The tip host's facts of one collector: a contiguous run, they are sorted. */
static void cut_view(struct differ_host *out, const struct differ_host *h,
		     const char *file)
{
	size_t from, to;

	*out = *h;
	out->nr_facts = 0;
	out->nspans = 0; /* a slice: spans would point past it */
	if (!file)
		return;
	differ_collector_facts(h, file, &from, &to);
	out->facts = h->facts + from;
	out->nr_facts = to - from;
}

int since_slot_ids(struct since_slot *s, const struct store_view *v,
		   const struct differ_host *h, const char *file)
{
	unsigned char fid[20], mid[20];
	int has_file = 0, has_meta, moved;

	memset(fid, 0, sizeof(fid));
	memset(mid, 0, sizeof(mid));
	has_meta = !store_view_file_id(v, h->env, h->host, "meta", mid);
	if (file)
		has_file = !store_view_file_id(v, h->env, h->host, file, fid);
	moved = has_meta != s->has_meta || has_file != s->has_file ||
		memcmp(mid, s->meta_id, 20) || memcmp(fid, s->file_id, 20);
	s->has_meta = has_meta;
	s->has_file = has_file;
	memcpy(s->meta_id, mid, 20);
	memcpy(s->file_id, fid, 20);
	return moved;
}

/* The position of oid in fc->blobs, or where it would go. */
static size_t blob_pos(const struct since_files *fc,
		       const unsigned char oid[20], int *found_it)
{
	size_t lo = 0, hi = fc->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(fc->blobs[mid]->oid, oid, 20);

		if (!c) {
			*found_it = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found_it = 0;
	return lo;
}

/* A reference to fc's file of blob oid, read and parsed if new. */
static int blob_get(struct since_blob **out, struct since_files *fc,
		    const struct store_view *v, const unsigned char oid[20],
		    struct ed_err *err)
{
	struct ed_buf data = ED_BUF_INIT;
	struct since_blob *b;
	int have;
	size_t at = blob_pos(fc, oid, &have), i;
	int rc;

	if (have) {
		fc->blobs[at]->refs++;
		*out = fc->blobs[at];
		return 0;
	}
	rc = store_view_read_blob(v, oid, &data, err);
	if (rc < 0)
		return rc;
	b = ed_xcalloc(1, sizeof(*b));
	memcpy(b->oid, oid, 20);
	b->bad_line = differ_parse_file(&b->facts, &b->nr, fc->file, data.ptr,
					data.len);
	b->ptrs = ed_xcalloc(b->nr + 1, sizeof(*b->ptrs));
	for (i = 0; i < b->nr; i++)
		b->ptrs[i] = &b->facts[i];
	b->refs = 1;
	ed_buf_release(&data);
	ED_ALLOC_GROW(fc->blobs, fc->nr + 1, fc->alloc);
	memmove(fc->blobs + at + 1, fc->blobs + at,
		(fc->nr - at) * sizeof(*fc->blobs));
	fc->blobs[at] = b;
	fc->nr++;
	*out = b;
	return 0;
}

/* Give a reference back; the last one frees the blob. */
static void blob_put(struct since_files *fc, struct since_blob *b)
{
	int have;
	size_t at;

	if (!b)
		return;
	b->refs--;
	if (b->refs)
		return;
	at = blob_pos(fc, b->oid, &have);
	memmove(fc->blobs + at, fc->blobs + at + 1,
		(fc->nr - at - 1) * sizeof(*fc->blobs));
	fc->nr--;
	differ_facts_free(b->facts, b->nr);
	free(b->ptrs);
	free(b);
}

void since_slot_drop(struct since_slot *s, struct since_files *fc)
{
	if (s->owned) {
		s->own.facts = NULL; /* the blob's, not own's to free */
		differ_host_release(&s->own);
	}
	blob_put(fc, s->blob);
	s->blob = NULL;
	s->owned = 0;
	s->cur = NULL;
}

int since_slot_load(struct since_slot *s, struct since_files *fc,
		    const struct store_view *v, const struct differ_host *h,
		    struct ed_err *err)
{
	struct snapshot snap = SNAPSHOT_INIT;
	struct ed_buf b = ED_BUF_INIT;
	int rc = 0;

	since_slot_drop(s, fc);
	if (!s->has_meta && !s->has_file)
		return 0;
	if (s->has_meta) {
		rc = store_view_read_blob(v, s->meta_id, &b, err);
		if (!rc)
			snapshot_add(&snap, "meta", b.ptr, b.len);
	}
	if (!rc && s->has_file)
		rc = blob_get(&s->blob, fc, v, s->file_id, err);
	if (!rc && s->blob && s->blob->bad_line) {
		ed_err_set(err, ED_EPARSE, "hosts/%s/%s/%s:%zu: malformed line",
			   h->env, h->host, fc->file, s->blob->bad_line);
		ed_err_prefix(err, "%s", store_view_commit(v));
		rc = ED_EPARSE;
	}
	if (!rc)
		rc = differ_host_load(&s->own, h->env, h->host, &snap, err);
	if (!rc) {
		s->owned = 1;
		s->own.borrowed = 1;
		free(s->own.facts); /* meta only: no facts of its own */
		s->own.facts = s->blob ? s->blob->ptrs : NULL;
		s->own.nr_facts = s->blob ? s->blob->nr : 0;
		s->cur = &s->own;
	}
	snapshot_release(&snap);
	ed_buf_release(&b);
	return rc;
}

void since_slot_start(struct since_slot *s, const struct store_view *v,
		      const struct differ_host *h, const char *file)
{
	since_slot_ids(s, v, h, file);
	cut_view(&s->tip_view, h, file);
	s->cur = &s->tip_view;
}

void since_files_release(struct since_files *fc)
{
	free(fc->blobs); /* the slots held the last references */
	free(fc->file);
}
