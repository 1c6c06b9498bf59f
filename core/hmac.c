/*
 * HMAC-SHA256 tokens for secrets and SHA-256 digests (OpenSSL 3 EVP). The
 * MAC context is initialised with the key once and re-armed per token with
 * EVP_MAC_init(ctx, NULL, 0, NULL), which doc/DESIGN-NOTES.md §5 measured at about
 * half the cost of a full init.
 */
#include "core/hmac.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

struct ed_hmac {
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	unsigned char key[ED_KEY_BYTES];
};

static const char hexdigits[] = "0123456789abcdef";

void ed_hex(char *out, const unsigned char *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int ed_hmac_generate(const char *path, unsigned mode, struct ed_err *err)
{
	unsigned char key[ED_KEY_BYTES];
	char hex[2 * ED_KEY_BYTES + 2];
	int fd, rc = 0;
	size_t len;

	if (RAND_bytes(key, sizeof(key)) != 1)
		return ed_err_ssl(err, "cannot generate a random key");
	ed_hex(hex, key, sizeof(key));
	len = strlen(hex);
	hex[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  mode ? mode : 0600);
	if (fd < 0)
		return ed_err_errno(err, ED_EIO, errno, "%s: cannot create key",
				    path);
	if (write(fd, hex, len) != (ssize_t)len || fsync(fd) < 0)
		rc = ed_err_errno(err, ED_EIO, errno, "%s: cannot write key",
				  path);
	if (close(fd) < 0 && !rc)
		rc = ed_err_errno(err, ED_EIO, errno, "%s: cannot write key",
				  path);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc)
		unlink(path);
	return rc;
}

static int init_ctx(struct ed_hmac *k, struct ed_err *err)
{
	OSSL_PARAM params[2];
	char digest[] = "SHA256";

	k->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (k->mac)
		k->ctx = EVP_MAC_CTX_new(k->mac);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!k->ctx || !EVP_MAC_init(k->ctx, k->key, sizeof(k->key), params))
		return ed_err_ssl(err, "cannot initialise HMAC-SHA256");
	return 0;
}

int ed_hmac_dup(struct ed_hmac **out, const struct ed_hmac *k, struct ed_err *err)
{
	struct ed_hmac *d = ed_xcalloc(1, sizeof(*d));
	int rc;

	*out = NULL;
	memcpy(d->key, k->key, sizeof(d->key));
	rc = init_ctx(d, err);
	if (rc < 0) {
		ed_hmac_free(d);
		return rc;
	}
	*out = d;
	return 0;
}

int ed_hmac_load(struct ed_hmac **out, const char *path, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_hmac *k = NULL;
	size_t i, len;
	int rc;

	*out = NULL;
	rc = ed_buf_read_file(&b, path, 4096, err);
	if (rc < 0) {
		if (rc == ED_ENOTFOUND)
			ed_err_set(err, ED_ENOTFOUND, "%s: HMAC key not found",
				   path);
		goto out;
	}
	len = b.len;
	while (len && (b.ptr[len - 1] == '\n' || b.ptr[len - 1] == '\r'))
		len--;
	if (len != 2 * ED_KEY_BYTES) {
		rc = ed_err_set(err, ED_EKEY,
				"%s: not an envdrift key (want %d hex digits)",
				path, 2 * ED_KEY_BYTES);
		goto out;
	}
	k = ed_xcalloc(1, sizeof(*k));
	for (i = 0; i < ED_KEY_BYTES; i++) {
		int hi = ed_hexval(b.ptr[2 * i]),
		    lo = ed_hexval(b.ptr[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			rc = ed_err_set(err, ED_EKEY,
					"%s: not an envdrift key (bad hex)",
					path);
			goto out;
		}
		k->key[i] = (unsigned char)(hi << 4 | lo);
	}
	rc = init_ctx(k, err);
	if (rc < 0)
		goto out;
	*out = k;
	k = NULL;
out:
	OPENSSL_cleanse(b.ptr, b.len);
	ed_buf_release(&b);
	ed_hmac_free(k);
	return rc;
}

void ed_hmac_free(struct ed_hmac *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->ctx);
	EVP_MAC_free(k->mac);
	OPENSSL_cleanse(k->key, sizeof(k->key));
	free(k);
}

static void mac(struct ed_hmac *k, unsigned char out[32], const void *data,
		size_t len)
{
	size_t outl = 0;

	if (!EVP_MAC_init(k->ctx, NULL, 0, NULL) ||
	    !EVP_MAC_update(k->ctx, data, len) ||
	    !EVP_MAC_final(k->ctx, out, &outl, 32) || outl != 32)
		ED_BUG("HMAC-SHA256 failed");
}

void ed_hmac_token(struct ed_hmac *k, struct ed_buf *out, const void *data,
		   size_t len)
{
	unsigned char md[32];
	char hex[65];

	mac(k, md, data, len);
	ed_hex(hex, md, sizeof(md));
	ed_buf_adds(out, "hmac:");
	ed_buf_add(out, hex, 64);
}

void ed_hmac_fingerprint(struct ed_hmac *k, char out[65])
{
	static const char label[] = "envdrift key fingerprint v1";
	unsigned char md[32];

	mac(k, md, label, sizeof(label) - 1);
	ed_hex(out, md, sizeof(md));
}

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void sha256(unsigned char md[32], const void *data, size_t len)
{
	unsigned int mdlen = 0;

	pthread_once(&sha256_once, fetch_sha256);
	if (!sha256_md || !EVP_Digest(data, len, md, &mdlen, sha256_md, NULL) ||
	    mdlen != 32)
		ED_BUG("SHA-256 failed");
}

void ed_git_blob_id(unsigned char oid[20], const void *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int mdlen = 0;
	char head[32];
	int n = snprintf(head, sizeof(head), "blob %zu", len);

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, head, (size_t)n + 1) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, oid, &mdlen) != 1 || mdlen != 20)
		ED_BUG("SHA-1 failed");
	EVP_MD_CTX_free(ctx);
}

void ed_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];

	sha256(md, data, len);
	ed_hex(out, md, sizeof(md));
}

static void digest_token(struct ed_hmac *k, struct ed_buf *out,
			 const unsigned char md[32])
{
	unsigned char tag[32];
	char hex[65];

	mac(k, tag, md, 32);
	ed_hex(hex, tag, sizeof(tag));
	ed_buf_adds(out, "hmac:");
	ed_buf_add(out, hex, 64);
}

void ed_hmac_content_token(struct ed_hmac *k, struct ed_buf *out,
			   const void *data, size_t len)
{
	unsigned char md[32];

	sha256(md, data, len);
	digest_token(k, out, md);
}

int ed_hmac_digest_token(struct ed_hmac *k, struct ed_buf *out, const char *hex,
			 size_t len)
{
	unsigned char md[32];
	size_t i;

	if (len != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		int hi = ed_hexval(hex[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = ed_hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		md[i] = (unsigned char)(hi << 4 | lo);
	}
	digest_token(k, out, md);
	return 0;
}
