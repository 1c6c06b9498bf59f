/*
 * No-delta pack writer. Objects are deflated (level 1: scans are mostly
 * small text, and speed matters more than a few percent of size) as they
 * are added, so the pack is a concatenation plus a SHA-1 trailer. Ids are
 * kept in an open-addressing set so an object is never packed twice (git
 * rejects duplicates, doc/DESIGN-NOTES.md §1.2). Since each object's id, offset and
 * record CRC are known when it is added, the .idx (v2) is written here too:
 * libgit2's indexer would inflate and re-hash every object to learn them.
 */
#include "core/pack.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/alloc.h"
#include "core/buf.h"

/* What the .idx needs of one object. */
struct pack_entry {
	git_oid id;
	uint32_t crc; /* zlib crc32 of the whole record: header + deflate */
	uint64_t off; /* of the record, from the start of the pack file */
};

struct loose_obj {
	git_object_t type;
	char *data;
	size_t len;
};

struct pack_batch {
	struct ed_buf body; /* object records, without header and trailer */
	git_oid *set;       /* open addressing; zero id = empty slot */
	size_t set_cap, count;
	struct pack_entry *ents; /* count of them, in pack order */
	size_t ents_alloc;
	/* raw copies of a small batch, for writing it loose */
	int loose_ok;
	struct loose_obj loose[PACK_LOOSE_MAX];
	size_t loose_bytes;
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
	size_t i;

	if (!pb)
		return;
	ed_buf_release(&pb->body);
	free(pb->set);
	free(pb->ents);
	for (i = 0; i < PACK_LOOSE_MAX; i++)
		free(pb->loose[i].data);
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

/* Append the record of id; pb->count already includes it. */
static void append_record(struct pack_batch *pb, const git_oid *id,
			  git_object_t type, const void *data, size_t len)
{
	unsigned char hdr[16]; /* 4 + 7 * 9 bits cover any 64-bit size */
	size_t n = 0, size = len, start = pb->body.len;
	uLongf bound = compressBound((uLong)len);
	struct pack_entry *e;

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
	ED_ALLOC_GROW(pb->ents, pb->count, pb->ents_alloc);
	e = &pb->ents[pb->count - 1];
	git_oid_cpy(&e->id, id);
	e->off = 12 + (uint64_t)start;
	e->crc = (uint32_t)crc32_z(0, (const Bytef *)pb->body.ptr + start,
				   pb->body.len - start);
}

static void drop_loose(struct pack_batch *pb)
{
	size_t i;

	for (i = 0; i < PACK_LOOSE_MAX; i++) {
		free(pb->loose[i].data);
		pb->loose[i].data = NULL;
	}
	pb->loose_ok = 0;
}

int pack_batch_add_raw(struct pack_batch *pb, const git_oid *id,
		       git_object_t type, const void *data, size_t len)
{
	if (!set_insert(pb, id))
		return 0;
	append_record(pb, id, type, data, len);
	if (pb->loose_ok) {
		if (pb->count > PACK_LOOSE_MAX ||
		    pb->loose_bytes + len > PACK_LOOSE_BYTES) {
			drop_loose(pb);
		} else {
			struct loose_obj *lo = &pb->loose[pb->count - 1];

			lo->type = type;
			lo->data = ed_xmemdup(data, len);
			lo->len = len;
			pb->loose_bytes += len;
		}
	}
	return 1;
}

void pack_batch_allow_loose(struct pack_batch *pb)
{
	if (!pb->count)
		pb->loose_ok = 1;
}

/* Each object as a loose file (libgit2 fsyncs it and its directory). */
static int write_loose(struct pack_batch *pb, git_odb *odb,
		       const char *objects_dir, struct ed_err *err)
{
	size_t i;

	for (i = 0; i < pb->count; i++) {
		const struct loose_obj *lo = &pb->loose[i];
		git_oid id;

		if (git_odb_write(&id, odb, lo->data, lo->len, lo->type) < 0)
			return ed_err_git(err, "%s: cannot write object",
					  objects_dir);
	}
	return 0;
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
	if (pb->loose_ok)
		return pb->body.len; /* the same deflated bytes, one file each */
	return pb->count ? 12 + pb->body.len + 20 : 0;
}

int pack_batch_contains(const struct pack_batch *pb, const git_oid *id)
{
	return set_contains(pb, id);
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct pack_entry *x = a, *y = b;

	return git_oid_cmp(&x->id, &y->id);
}

/* out = SHA-1(a || b), reusing md. Returns -1 on an OpenSSL failure. */
static int sha1_of(EVP_MD_CTX *md, unsigned char out[20], const void *a,
		   size_t alen, const void *b, size_t blen)
{
	unsigned int n = 0;

	if (!EVP_DigestInit_ex(md, EVP_sha1(), NULL) ||
	    !EVP_DigestUpdate(md, a, alen) ||
	    (blen && !EVP_DigestUpdate(md, b, blen)) ||
	    !EVP_DigestFinal_ex(md, out, &n) || n != 20)
		return -1;
	return 0;
}

/*
 * Index v2 (git's Documentation/gitformat-pack.txt): magic, version, fanout,
 * sorted ids, CRC32s, 31-bit offsets (MSB set: index into the 64-bit
 * table), the 64-bit table, then the pack checksum; the caller appends the
 * index's own SHA-1. Sorts ents by id.
 */
static void build_idx(struct ed_buf *idx, struct pack_entry *ents, size_t n,
		      const unsigned char pack_sum[20])
{
	static const unsigned char magic[8] = { 0xff, 't', 'O', 'c', 0, 0, 0, 2 };
	uint32_t fan[256] = { 0 };
	unsigned char b[8];
	uint32_t nlarge = 0;
	size_t i;

	qsort(ents, n, sizeof(*ents), cmp_entry);
	for (i = 0; i < n; i++)
		fan[ents[i].id.id[0]]++;
	for (i = 1; i < 256; i++)
		fan[i] += fan[i - 1];
	ed_buf_grow(idx, ed_st_add(8 + 4 * 256 + 20 + 20,
				   ed_st_mult(n, GIT_OID_RAWSZ + 4 + 4)));
	ed_buf_add(idx, magic, sizeof(magic));
	for (i = 0; i < 256; i++) {
		put_be32(b, fan[i]);
		ed_buf_add(idx, b, 4);
	}
	for (i = 0; i < n; i++)
		ed_buf_add(idx, ents[i].id.id, GIT_OID_RAWSZ);
	for (i = 0; i < n; i++) {
		put_be32(b, ents[i].crc);
		ed_buf_add(idx, b, 4);
	}
	for (i = 0; i < n; i++) {
		if (ents[i].off < 0x80000000u)
			put_be32(b, (uint32_t)ents[i].off);
		else
			put_be32(b, 0x80000000u | nlarge++);
		ed_buf_add(idx, b, 4);
	}
	for (i = 0; i < n; i++) {
		if (ents[i].off < 0x80000000u)
			continue;
		put_be32(b, (uint32_t)(ents[i].off >> 32));
		put_be32(b + 4, (uint32_t)ents[i].off);
		ed_buf_add(idx, b, 8);
	}
	ed_buf_add(idx, pack_sum, 20);
}

/* write(2) all of p, across partial writes and EINTR. */
static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		size_t chunk = n < (1u << 30) ? n : (1u << 30);
		ssize_t w = write(fd, c, chunk);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Like mkstemp(dir/prefixXXXXXX), but created with mode 0444 so the umask
 * applies as it does to git's own packs (mkstemp forces 0600, and fixing
 * that afterwards needs the umask, which cannot be read without setting it
 * process-wide). Then add the read bits the pack directory grants: in a
 * --shared group repository the group must read packs even when the writer's
 * umask is 077 (git's adjust_shared_perm). On failure nothing is left.
 */
static int create_tmp(int *out, struct ed_buf *path, const char *dir,
		      mode_t dir_mode, const char *prefix, struct ed_err *err)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[6];
	struct stat sb;
	mode_t want;
	int tries, fd = -1, rc = 0;
	size_t i;

	*out = -1;
	for (tries = 0; tries < 100 && fd < 0; tries++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			rc = ed_err_ssl(err, "%s: temporary file name", dir);
			goto out;
		}
		ed_buf_reset(path);
		ed_buf_addf(path, "%s/%s", dir, prefix);
		for (i = 0; i < sizeof(rnd); i++)
			ed_buf_addch(path, chars[rnd[i] % (sizeof(chars) - 1)]);
		fd = open(path->ptr, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		if (fd < 0 && errno != EEXIST) {
			rc = ed_err_errno(err, ED_EIO, errno, "%s", path->ptr);
			goto out;
		}
	}
	if (fd < 0) {
		rc = ed_err_set(err, ED_EIO,
				"%s: cannot create a temporary file", dir);
		goto out;
	}
	if (fstat(fd, &sb) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s", path->ptr);
		goto out;
	}
	want = (sb.st_mode & 0777) | (dir_mode & (S_IRGRP | S_IROTH));
	if (want != (sb.st_mode & 0777) && fchmod(fd, want) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s: chmod", path->ptr);
		goto out;
	}
	*out = fd;
	fd = -1;
out:
	if (fd >= 0) {
		close(fd);
		unlink(path->ptr);
	}
	if (rc < 0)
		ed_buf_reset(path); /* names no file of ours */
	return rc;
}

struct piece {
	const void *p;
	size_t len;
};

/*
 * Write the pieces to a temporary file in dir, fsync it and rename it to
 * final. *made is 1 once final is this call's file. No temporary file is
 * left behind, whatever happens (tmp is empty unless one was created).
 */
static int write_durably(int *made, const char *dir, mode_t dir_mode,
			 const char *prefix, const char *final,
			 const struct piece *pc, size_t npc, struct ed_err *err)
{
	struct ed_buf tmp = ED_BUF_INIT;
	int fd = -1, rc;
	size_t i;

	*made = 0;
	rc = create_tmp(&fd, &tmp, dir, dir_mode, prefix, err);
	if (rc < 0)
		goto out;
	for (i = 0; i < npc; i++) {
		if (write_all(fd, pc[i].p, pc[i].len) < 0) {
			/* name the file being made: tmp is gone after this */
			rc = ed_err_errno(err, ED_EIO, errno, "%s: write", final);
			goto out;
		}
	}
	if (fsync(fd) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s: fsync", final);
		goto out;
	}
	rc = close(fd);
	fd = -1;
	if (rc < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s: close", final);
		goto out;
	}
	if (rename(tmp.ptr, final) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s", final);
		goto out;
	}
	*made = 1;
out:
	if (fd >= 0)
		close(fd);
	if (tmp.len && !*made)
		unlink(tmp.ptr);
	ed_buf_release(&tmp);
	return rc;
}

/* 1 if path exists, 0 if not, <0 (error set) if that cannot be told. */
static int exists(const char *path, struct ed_err *err)
{
	struct stat sb;

	if (!lstat(path, &sb))
		return 1;
	if (errno == ENOENT)
		return 0;
	return ed_err_errno(err, ED_EIO, errno, "%s", path);
}

int pack_batch_write(struct pack_batch *pb, git_odb *odb, const char *objects_dir,
		     struct ed_buf *idx_out, struct ed_err *err)
{
	unsigned char head[12] = { 'P', 'A', 'C', 'K', 0, 0, 0, 2 };
	unsigned char pack_sum[20], idx_sum[20];
	char hex[GIT_OID_HEXSZ + 1];
	struct ed_buf dir = ED_BUF_INIT, idx = ED_BUF_INIT;
	struct ed_buf pack_path = ED_BUF_INIT, idx_path = ED_BUF_INIT;
	EVP_MD_CTX *md = NULL;
	struct piece pc[3];
	struct stat sb;
	git_oid name;
	int rc = 0, made_pack = 0, made_idx = 0, dfd = -1;

	if (!pb->count)
		return 0;
	if (pb->loose_ok)
		return write_loose(pb, odb, objects_dir, err);
	if (pb->count > 0xffffffffu)
		return ed_err_set(err, ED_ERROR, "too many objects for one pack");
	ed_buf_addf(&dir, "%s/pack", objects_dir);
	if (stat(dir.ptr, &sb) < 0 && errno == ENOENT)
		(void)mkdir(dir.ptr, 0777); /* its failure shows below */
	if (stat(dir.ptr, &sb) < 0) {
		rc = ed_err_errno(err, ED_EIO, errno, "%s", dir.ptr);
		goto out;
	}
	put_be32(head + 8, (uint32_t)pb->count);
	md = EVP_MD_CTX_new();
	if (!md || sha1_of(md, pack_sum, head, sizeof(head), pb->body.ptr,
			   pb->body.len) < 0) {
		rc = ed_err_ssl(err, "pack checksum");
		goto out;
	}
	build_idx(&idx, pb->ents, pb->count, pack_sum);
	if (sha1_of(md, idx_sum, idx.ptr, idx.len, NULL, 0) < 0) {
		rc = ed_err_ssl(err, "index checksum");
		goto out;
	}
	ed_buf_add(&idx, idx_sum, sizeof(idx_sum));

	/* git's naming: the pack's trailer checksum */
	git_oid_fromraw(&name, pack_sum);
	git_oid_tostr(hex, sizeof(hex), &name);
	ed_buf_addf(&pack_path, "%s/pack-%s.pack", dir.ptr, hex);
	ed_buf_addf(&idx_path, "%s/pack-%s.idx", dir.ptr, hex);

	/*
	 * The same name means the same content: an existing file is kept. The
	 * .idx lands last, since readers ignore a .pack without one.
	 */
	rc = exists(pack_path.ptr, err);
	if (rc == 0) {
		pc[0] = (struct piece){ head, sizeof(head) };
		pc[1] = (struct piece){ pb->body.ptr, pb->body.len };
		pc[2] = (struct piece){ pack_sum, sizeof(pack_sum) };
		rc = write_durably(&made_pack, dir.ptr, sb.st_mode, "tmp_pack_",
				   pack_path.ptr, pc, 3, err);
	}
	if (rc < 0)
		goto out;
	rc = exists(idx_path.ptr, err);
	if (rc == 0) {
		pc[0] = (struct piece){ idx.ptr, idx.len };
		rc = write_durably(&made_idx, dir.ptr, sb.st_mode, "tmp_idx_",
				   idx_path.ptr, pc, 1, err);
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (made_pack || made_idx) {
		dfd = open(dir.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			rc = ed_err_errno(err, ED_EIO, errno, "%s: fsync",
					  dir.ptr);
			goto out;
		}
	}
	/* make the new pack visible to NO_REFRESH lookups at once */
	if (git_odb_refresh(odb) < 0) {
		rc = ed_err_git(err, "cannot refresh the object database");
		goto out;
	}
	if (idx_out)
		ed_buf_add(idx_out, idx_path.ptr, idx_path.len);
out:
	/* a .pack of ours without its .idx is dead weight */
	if (rc < 0 && made_pack && !made_idx)
		unlink(pack_path.ptr);
	if (dfd >= 0)
		close(dfd);
	EVP_MD_CTX_free(md);
	ed_buf_release(&dir);
	ed_buf_release(&idx);
	ed_buf_release(&pack_path);
	ed_buf_release(&idx_path);
	return rc;
}
