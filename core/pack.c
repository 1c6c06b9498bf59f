/*
 * No-delta pack writer. Objects are deflated (level 1: scans are mostly
 * small text, and speed matters more than a few percent of size) as they
 * are added, so the pack is a concatenation plus a SHA-1 trailer. Ids are
 * kept in an open-addressing set so an object is never packed twice (the
 * indexer rejects duplicates, TECH-NOTES §1.2).
 */
#include "core/pack.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/buf.h"

struct pack_batch {
	struct ed_buf body;   /* object records, without header and trailer */
	git_oid *set;         /* open addressing; zero id = empty slot */
	size_t set_cap, count;
};

struct pack_batch *pack_batch_new(void)
{
	struct pack_batch *pb = ed_xcalloc(1, sizeof(*pb));

	ed_buf_init(&pb->body);
	pb->set_cap = 1024;
	pb->set = ed_xcalloc(pb->set_cap, sizeof(git_oid));
	return pb;
}

void pack_batch_free(struct pack_batch *pb)
{
	if (!pb)
		return;
	ed_buf_release(&pb->body);
	free(pb->set);
	free(pb);
}

static size_t slot_of(const git_oid *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (cap - 1);
}

static int is_zero(const git_oid *id)
{
	static const git_oid zero;

	return !memcmp(id, &zero, sizeof(zero));
}

/* Returns 1 if inserted, 0 if present. */
static int set_insert(struct pack_batch *pb, const git_oid *id)
{
	size_t i;

	if ((pb->count + 1) * 2 > pb->set_cap) {
		git_oid *old = pb->set;
		size_t oldcap = pb->set_cap, j;

		pb->set_cap *= 2;
		pb->set = ed_xcalloc(pb->set_cap, sizeof(git_oid));
		for (j = 0; j < oldcap; j++) {
			if (is_zero(&old[j]))
				continue;
			i = slot_of(&old[j], pb->set_cap);
			while (!is_zero(&pb->set[i]))
				i = (i + 1) & (pb->set_cap - 1);
			pb->set[i] = old[j];
		}
		free(old);
	}
	i = slot_of(id, pb->set_cap);
	while (!is_zero(&pb->set[i])) {
		if (git_oid_equal(&pb->set[i], id))
			return 0;
		i = (i + 1) & (pb->set_cap - 1);
	}
	pb->set[i] = *id;
	pb->count++;
	return 1;
}

static int set_contains(const struct pack_batch *pb, const git_oid *id)
{
	size_t i = slot_of(id, pb->set_cap);

	while (!is_zero(&pb->set[i])) {
		if (git_oid_equal(&pb->set[i], id))
			return 1;
		i = (i + 1) & (pb->set_cap - 1);
	}
	return 0;
}

static void append_record(struct pack_batch *pb, git_object_t type,
			  const void *data, size_t len)
{
	unsigned char hdr[16];
	size_t n = 0, size = len;
	uLongf bound = compressBound((uLong)len);

	hdr[n] = (unsigned char)(((unsigned)type << 4) | (size & 15));
	size >>= 4;
	while (size) {
		hdr[n++] |= 0x80;
		hdr[n] = size & 0x7f;
		size >>= 7;
	}
	n++;
	ed_buf_add(&pb->body, hdr, n);
	ed_buf_grow(&pb->body, bound);
	if (compress2((Bytef *)pb->body.ptr + pb->body.len, &bound,
		      (const Bytef *)data, (uLong)len, 1) != Z_OK)
		ED_BUG("zlib compress2 failed");
	ed_buf_setlen(&pb->body, pb->body.len + bound);
}

int pack_batch_add_raw(struct pack_batch *pb, const git_oid *id,
		       git_object_t type, const void *data, size_t len)
{
	if (!set_insert(pb, id))
		return 0;
	append_record(pb, type, data, len);
	return 1;
}

int pack_batch_add(struct pack_batch *pb, git_oid *out, git_odb *odb,
		   git_object_t type, const void *data, size_t len)
{
	if (git_odb_hash(out, data, len, type) < 0)
		ED_BUG("git_odb_hash failed");
	if (set_contains(pb, out))
		return 0;
	/* NO_REFRESH: a miss must not rescan objects/pack for every object */
	if (git_odb_exists_ext(odb, out, GIT_ODB_LOOKUP_NO_REFRESH))
		return 0;
	return pack_batch_add_raw(pb, out, type, data, len);
}

size_t pack_batch_count(const struct pack_batch *pb)
{
	return pb->count;
}

size_t pack_batch_packed_size(const struct pack_batch *pb)
{
	return pb->count ? 12 + pb->body.len + 20 : 0;
}

int pack_batch_write(struct pack_batch *pb, git_odb *odb, struct ed_err *err)
{
	git_odb_writepack *wp = NULL;
	git_indexer_progress stats;
	unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	unsigned char trailer[20];
	unsigned int tlen = 0;
	EVP_MD_CTX *md = NULL;
	size_t off;
	int rc = 0;

	if (!pb->count)
		return 0;
	if (pb->count > 0xffffffffu)
		return ed_err_set(err, ED_ERROR, "too many objects for one pack");
	head[8] = (unsigned char)(pb->count >> 24);
	head[9] = (unsigned char)(pb->count >> 16);
	head[10] = (unsigned char)(pb->count >> 8);
	head[11] = (unsigned char)pb->count;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(md, head, sizeof(head)) ||
	    !EVP_DigestUpdate(md, pb->body.ptr, pb->body.len) ||
	    !EVP_DigestFinal_ex(md, trailer, &tlen) || tlen != 20) {
		rc = ed_err_ssl(err, "pack checksum");
		goto out;
	}
	memset(&stats, 0, sizeof(stats));
	if (git_odb_write_pack(&wp, odb, NULL, NULL) < 0) {
		rc = ed_err_git(err, "cannot start pack");
		goto out;
	}
	if (wp->append(wp, head, sizeof(head), &stats) < 0) {
		rc = ed_err_git(err, "cannot write pack");
		goto out;
	}
	/* large appends: the indexer copes, and tiny ones cost (§1.3) */
	for (off = 0; off < pb->body.len;) {
		size_t chunk = pb->body.len - off;

		if (chunk > (8u << 20))
			chunk = 8u << 20;
		if (wp->append(wp, pb->body.ptr + off, chunk, &stats) < 0) {
			rc = ed_err_git(err, "cannot write pack");
			goto out;
		}
		off += chunk;
	}
	if (wp->append(wp, trailer, sizeof(trailer), &stats) < 0 ||
	    wp->commit(wp, &stats) < 0) {
		rc = ed_err_git(err, "cannot write pack");
		goto out;
	}
	/* make the new pack visible to NO_REFRESH lookups at once */
	if (git_odb_refresh(odb) < 0) {
		rc = ed_err_git(err, "cannot refresh the object database");
		goto out;
	}
out:
	if (wp)
		wp->free(wp);
	EVP_MD_CTX_free(md);
	return rc;
}
