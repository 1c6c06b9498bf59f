#ifndef ENVDRIFT_CORE_HMAC_H
#define ENVDRIFT_CORE_HMAC_H
/*
 * Keyed hashing of secrets (HMAC-SHA256) and plain SHA-256 digests. The key
 * lives outside the repository; the repository records only its fingerprint,
 * so secrets compare equal across hosts without ever entering git.
 */
#include <stddef.h>

#include "core/buf.h"

#define ED_KEY_BYTES 32

struct ed_hmac;

/* Create a new random key file at path (O_EXCL, mode 0600 unless mode given). */
int ed_hmac_generate(const char *path, unsigned mode, struct ed_err *err);
/*
 * Load the key at path. ED_ENOTFOUND if missing, ED_EKEY if malformed. The
 * caller frees *out with ed_hmac_free. One struct per thread.
 */
int ed_hmac_load(struct ed_hmac **out, const char *path, struct ed_err *err);
void ed_hmac_free(struct ed_hmac *k);
/* A second handle on the same key, for another thread (the MAC context is
 * not shareable). The caller frees *out. */
int ed_hmac_dup(struct ed_hmac **out, const struct ed_hmac *k, struct ed_err *err);
/* Append "hmac:<64 hex>" for data to out. */
void ed_hmac_token(struct ed_hmac *k, struct ed_buf *out, const void *data,
		   size_t len);
/*
 * Append "hmac:<64 hex>" keyed over the SHA-256 of data: the digest of a
 * file whose content is not stored (binary, or over the content cap), so
 * nobody without the key can confirm a guess of it. Being keyed over the
 * digest, it can also be made from a recorded "sha256:HEX" alone.
 */
void ed_hmac_content_token(struct ed_hmac *k, struct ed_buf *out,
			   const void *data, size_t len);
/* The same token from hex[0..len), a SHA-256 in hex; -1 if malformed. */
int ed_hmac_digest_token(struct ed_hmac *k, struct ed_buf *out, const char *hex,
			 size_t len);
/* 64 hex digits identifying the key without revealing it. */
void ed_hmac_fingerprint(struct ed_hmac *k, char out[65]);

/* n bytes of in as 2n lowercase hex digits + NUL in out. */
void ed_hex(char *out, const unsigned char *in, size_t n);
/* SHA-256 of data as 64 lowercase hex digits + NUL. */
void ed_sha256_hex(char out[65], const void *data, size_t len);
/* The id git gives data as a blob: SHA-1 of "blob LEN\0" and data. */
void ed_git_blob_id(unsigned char oid[20], const void *data, size_t len);

#endif
