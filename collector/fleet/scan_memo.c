/*
 * A fleet host's snapshot memo: the snapshot its last scan made, as blob
 * ids, kept in the host's cache (remote_session) under a key that holds
 * everything the snapshot is made from (remote_session_memo_key). When a
 * nightly answer has the same key, the snapshot is the memo's and the
 * host costs no decoding and no collector run. Declarations: internal.h.
 *
 * Format, per record: "e OIDHEX LEN\nPATH\n" (an entry), "w LEN\nLINE\n"
 * (a warning), "k LEN\nPATH\n" (a path the store keeps from before).
 */
#include "collector/fleet/internal.h"
#include "collector/fleet/remote_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/hmac.h"

static char build_id[65];
static pthread_once_t build_once = PTHREAD_ONCE_INIT;

/*
 * This program's own bytes, hashed once: a rebuilt envdrift may make
 * other snapshots from the same answer, so no memo outlives its binary.
 */
static void hash_self(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[32], buf[65536];
	unsigned int mdlen = 0;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0 || !ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			goto out;
	if (n < 0 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	ed_hex(build_id, md, sizeof(md));
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
}

const char *scan_memo_build_id(void)
{
	pthread_once(&build_once, hash_self);
	return build_id[0] ? build_id : NULL;
}

static void put_rec(struct ed_buf *out, char kind, const char *s, size_t len)
{
	ed_buf_addf(out, "%c %zu\n", kind, len);
	ed_buf_add(out, s, len);
	ed_buf_addch(out, '\n');
}

int scan_memo_write(struct ed_buf *out, const struct snapshot *snap)
{
	char hex[41];
	size_t i;

	ed_buf_reset(out);
	for (i = 0; i < snap->nr; i++) {
		const struct snapshot_entry *e = &snap->entries[i];

		/* only stored contents: their ids are all a memo keeps */
		if (!e->has_oid)
			return -1;
		ed_hex(hex, e->oid, sizeof(e->oid));
		ed_buf_addf(out, "e %s %zu\n", hex, strlen(e->path));
		ed_buf_adds(out, e->path);
		ed_buf_addch(out, '\n');
	}
	for (i = 0; i < snap->warnings.nr; i++)
		put_rec(out, 'w', snap->warnings.v[i],
			strlen(snap->warnings.v[i]));
	for (i = 0; i < snap->keep.nr; i++)
		put_rec(out, 'k', snap->keep.v[i], strlen(snap->keep.v[i]));
	return 0;
}

/* "LEN\n" then LEN bytes and "\n": the bytes, NUL-ended, in out. */
static int get_rec(const char **p, const char *end, struct ed_buf *out)
{
	const char *q = *p;
	size_t len = 0;

	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		if (len > ((size_t)-1 - 9) / 10)
			return -1;
		len = len * 10 + (size_t)(*q++ - '0');
	}
	if (q >= end || *q++ != '\n' || (size_t)(end - q) < len + 1 ||
	    q[len] != '\n' || memchr(q, '\0', len))
		return -1;
	ed_buf_reset(out);
	ed_buf_add(out, q, len);
	*p = q + len + 1;
	return 0;
}

int scan_memo_read(struct snapshot *snap, const char *p, size_t len)
{
	const char *end = p + len;
	struct ed_buf b = ED_BUF_INIT;
	struct ed_strvec paths = ED_STRVEC_INIT, sorted = ED_STRVEC_INIT,
			 warnings = ED_STRVEC_INIT, keep = ED_STRVEC_INIT;
	unsigned char(*oids)[20] = NULL;
	size_t i, alloc = 0;
	int rc = 0;

	while (p < end && !rc) {
		char kind = *p;

		if (end - p < 2 || p[1] != ' ') {
			rc = -1;
			break;
		}
		p += 2;
		if (kind == 'e') {
			ED_ALLOC_GROW(oids, paths.nr + 1, alloc);
			for (i = 0; i < 20 && end - p >= 2; i++, p += 2) {
				int hi = ed_hexval(p[0]), lo = ed_hexval(p[1]);

				if (hi < 0 || lo < 0)
					break;
				oids[paths.nr][i] = (unsigned char)(hi << 4 | lo);
			}
			if (i < 20 || p >= end || *p++ != ' ' ||
			    get_rec(&p, end, &b) < 0 || !b.len)
				rc = -1;
			else
				ed_strvec_push(&paths, b.ptr);
		} else if (kind == 'w' || kind == 'k') {
			if (get_rec(&p, end, &b) < 0)
				rc = -1;
			else
				ed_strvec_push(kind == 'w' ? &warnings : &keep,
					       b.ptr);
		} else {
			rc = -1;
		}
	}
	/* a path twice is a damaged memo, never a snapshot (a BUG there) */
	for (i = 0; !rc && i < paths.nr; i++)
		ed_strvec_push(&sorted, paths.v[i]);
	ed_strvec_sort(&sorted);
	for (i = 1; !rc && i < sorted.nr; i++)
		if (!strcmp(sorted.v[i - 1], sorted.v[i]))
			rc = -1;
	for (i = 0; !rc && i < paths.nr; i++)
		snapshot_add_oid(snap, paths.v[i], oids[i]);
	for (i = 0; !rc && i < warnings.nr; i++)
		ed_strvec_push(&snap->warnings, warnings.v[i]);
	for (i = 0; !rc && i < keep.nr; i++)
		ed_strvec_push(&snap->keep, keep.v[i]);
	free(oids);
	ed_strvec_release(&paths);
	ed_strvec_release(&sorted);
	ed_strvec_release(&warnings);
	ed_strvec_release(&keep);
	ed_buf_release(&b);
	return rc;
}
