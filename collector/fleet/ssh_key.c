/*
 * User key files for the fleet transport: each read once per run, its
 * public half found (OpenSSH key header or KEY.pub) and, where libssh2
 * 1.10 needs it, converted once, so a host costs one signature and no
 * parsing. Declarations are in internal.h.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "core/alloc.h"

#define KEY_MAX ((size_t)64 << 10) /* no private key file is larger */

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void key_set_pub(struct ssh_key *k, const unsigned char *blob, size_t len)
{
	struct rd r = { blob, len };
	const unsigned char *name;
	size_t nlen;

	if (ssh_rd_str(&r, &name, &nlen) < 0)
		return;
	ed_buf_reset(&k->blob);
	ed_buf_add(&k->blob, blob, len);
	ed_buf_reset(&k->pub);
	ed_buf_add(&k->pub, name, nlen);
	ed_buf_addch(&k->pub, ' ');
	ssh_b64_encode(&k->pub, blob, len, 1);
	k->type = ssh_key_blob_type(blob, len);
}

/* Replace the private key text by PKCS#8 PEM of pk (NULL: keep it). */
static void key_set_pem(struct ssh_key *k, EVP_PKEY *pk)
{
	BIO *mem = pk ? BIO_new(BIO_s_secmem()) : NULL;
	char *pem = NULL;
	long len;

	if (mem &&
	    PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0, NULL, NULL) == 1) {
		len = BIO_get_mem_data(mem, &pem);
		if (len > 0) {
			OPENSSL_cleanse(k->priv.ptr, k->priv.len);
			ed_buf_reset(&k->priv);
			ed_buf_add(&k->priv, pem, (size_t)len);
		}
	}
	BIO_free(mem);
}

/*
 * libssh2 1.10 leaks two BIGNUMs per signature made with an ECDSA key in
 * OpenSSH format, and not with PEM: so such a key is converted once, here
 * (r is at its private section). On any failure the key stays as it was.
 */
static void key_ecdsa_to_pem(struct ssh_key *k, struct rd *r)
{
	static const char *const curves[][2] = {
		{ "nistp256", "prime256v1" },
		{ "nistp384", "secp384r1" },
		{ "nistp521", "secp521r1" },
	};
	const unsigned char *name, *curve, *q, *d;
	size_t nlen, clen, qlen, dlen, c1, c2, i;
	const char *group = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL;

	if (ssh_rd_u32(r, &c1) < 0 || ssh_rd_u32(r, &c2) < 0 || c1 != c2 ||
	    ssh_rd_str(r, &name, &nlen) < 0 || ssh_rd_str(r, &curve, &clen) < 0 ||
	    ssh_rd_str(r, &q, &qlen) < 0 || ssh_rd_str(r, &d, &dlen) < 0)
		return;
	for (i = 0; i < ED_ARRAY_SIZE(curves); i++)
		if (clen == strlen(curves[i][0]) &&
		    !memcmp(curve, curves[i][0], clen))
			group = curves[i][1];
	bn = group ? BN_bin2bn(d, (int)dlen, NULL) : NULL;
	bld = bn ? OSSL_PARAM_BLD_new() : NULL;
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q,
					      qlen) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL) : NULL;
	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_KEYPAIR, params) == 1)
		key_set_pem(k, pk);
out:
	EVP_PKEY_free(pk);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(bn);
}

/*
 * The Ed25519 private section (r at it): checkints, type, public key, then
 * the 64-byte secret (seed and public key). The key is kept only when the
 * seed gives back the public key the file states.
 */
static void key_ed25519(struct ssh_key *k, struct rd *r)
{
	const unsigned char *name, *pub, *priv;
	size_t nlen, plen, slen, c1, c2, len = 32;
	unsigned char derived[32];
	EVP_PKEY *pk;

	if (ssh_rd_u32(r, &c1) < 0 || ssh_rd_u32(r, &c2) < 0 || c1 != c2 ||
	    ssh_rd_str(r, &name, &nlen) < 0 || ssh_rd_str(r, &pub, &plen) < 0 ||
	    ssh_rd_str(r, &priv, &slen) < 0 || plen != 32 || slen != 64)
		return;
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
	if (pk && EVP_PKEY_get_raw_public_key(pk, derived, &len) == 1 &&
	    len == 32 && !memcmp(derived, pub, 32)) {
		k->ed25519 = pk;
		return;
	}
	EVP_PKEY_free(pk);
}

int ssh_key_sign(const struct ssh_key *k, unsigned char **sig, size_t *sig_len,
		 const unsigned char *data, size_t data_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t len = 64;
	int rc = -1;

	*sig = malloc(len);
	if (ctx && *sig &&
	    EVP_DigestSignInit_ex(ctx, NULL, NULL, NULL, NULL, k->ed25519,
				  NULL) == 1 &&
	    EVP_DigestSign(ctx, *sig, &len, data, data_len) == 1 && len == 64) {
		*sig_len = len;
		rc = 0;
	} else {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* "-----BEGIN OPENSSH PRIVATE KEY-----": openssh-key-v1 (PROTOCOL.key). */
static const char *key_openssh(struct ssh_key *k, const char *begin)
{
	static const char magic[] = "openssh-key-v1"; /* with its NUL */
	const char *body = strchr(begin, '\n');
	const char *end = body ? strstr(body, "-----END") : NULL;
	struct ed_buf raw = ED_BUF_INIT;
	const unsigned char *cipher, *kdf, *opts, *pub;
	size_t clen, klen, olen, plen, n;
	const char *why = NULL;
	struct rd r;

	if (!end || ssh_b64_decode(&raw, body, (size_t)(end - body)) < 0 ||
	    raw.len < sizeof(magic) || memcmp(raw.ptr, magic, sizeof(magic))) {
		why = "malformed OpenSSH private key";
		goto out;
	}
	r.p = (const unsigned char *)raw.ptr + sizeof(magic);
	r.left = raw.len - sizeof(magic);
	if (ssh_rd_str(&r, &cipher, &clen) < 0 ||
	    ssh_rd_str(&r, &kdf, &klen) < 0 || ssh_rd_str(&r, &opts, &olen) < 0 ||
	    ssh_rd_u32(&r, &n) < 0 || n < 1 || ssh_rd_str(&r, &pub, &plen) < 0) {
		why = "malformed OpenSSH private key";
		goto out;
	}
	if (clen != 4 || memcmp(cipher, "none", 4)) {
		why = "encrypted (passphrases are not supported: load it into ssh-agent)";
		goto out;
	}
	key_set_pub(k, pub, plen);
	if (!k->type)
		why = "key type not supported by libssh2 1.10";
	else if (n == 1 && ssh_rd_str(&r, &pub, &plen) == 0) {
		r.p = pub; /* the private section */
		r.left = plen;
		if (k->type &
		    (SSH_KEY_ECDSA256 | SSH_KEY_ECDSA384 | SSH_KEY_ECDSA521))
			key_ecdsa_to_pem(k, &r);
		else if (k->type == SSH_KEY_ED25519)
			key_ed25519(k, &r);
	}
out:
	OPENSSL_cleanse(raw.ptr, raw.len);
	ed_buf_release(&raw);
	return why;
}

/* PKCS#8 names no algorithm in its header: ask OpenSSL. */
static unsigned key_pkcs8_type(const struct ssh_key *k)
{
	BIO *bio = BIO_new_mem_buf(k->priv.ptr, (int)k->priv.len);
	EVP_PKEY *pk =
		bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) :
		      NULL;
	unsigned type = 0;

	if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		type = SSH_KEY_RSA;
	else if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_DSA)
		type = SSH_KEY_DSS;
	EVP_PKEY_free(pk);
	BIO_free(bio);
	return type;
}

/* Read KEY.pub when the private key file did not give the public half. */
static void key_read_pub(struct ssh_key *k)
{
	struct ed_buf path = ED_BUF_INIT, b = ED_BUF_INIT, blob = ED_BUF_INIT;
	struct ed_err e = ED_ERR_INIT;
	const char *sp, *end;

	ed_buf_addf(&path, "%s.pub", k->path);
	if (ed_buf_read_file(&b, path.ptr, KEY_MAX, &e) < 0)
		goto out;
	sp = strchr(b.ptr, ' ');
	if (!sp)
		goto out;
	end = sp + 1 + strcspn(sp + 1, " \t\r\n");
	if (ssh_b64_decode(&blob, sp + 1, (size_t)(end - sp - 1)) == 0 &&
	    ssh_key_blob_type((unsigned char *)blob.ptr, blob.len))
		key_set_pub(k, (unsigned char *)blob.ptr, blob.len);
out:
	ed_buf_release(&path);
	ed_buf_release(&b);
	ed_buf_release(&blob);
}

struct ssh_key *ssh_key_load(const char *path)
{
	struct ssh_key *k = ed_xcalloc(1, sizeof(*k));
	struct ed_err e = ED_ERR_INIT;
	const char *s, *why = NULL;
	int rc;

	k->path = ed_xstrdup(path);
	ed_buf_init(&k->priv);
	ed_buf_init(&k->pub);
	ed_buf_init(&k->blob);
	rc = ed_buf_read_file(&k->priv, path, KEY_MAX, &e);
	if (rc < 0) {
		k->missing = rc == ED_ENOTFOUND;
		k->why = ed_xstrdup(rc == ED_EPARTIAL ?
					    "larger than 64 KiB, not a key" :
				    k->missing ? "no such file" :
						 strerror(errno));
		return k;
	}
	s = k->priv.ptr;
	if (strstr(s, "-----BEGIN OPENSSH PRIVATE KEY-----"))
		why = key_openssh(k, strstr(s, "-----BEGIN OPENSSH"));
	else if (strstr(s, "ENCRYPTED"))
		why = "encrypted (passphrases are not supported: load it into ssh-agent)";
	else if (strstr(s, "-----BEGIN RSA PRIVATE KEY-----"))
		k->type = SSH_KEY_RSA;
	else if (strstr(s, "-----BEGIN DSA PRIVATE KEY-----"))
		k->type = SSH_KEY_DSS;
	else if (strstr(s, "-----BEGIN PRIVATE KEY-----"))
		k->type = key_pkcs8_type(k);
	else if (!strstr(s, "-----BEGIN EC PRIVATE KEY-----"))
		why = "not a private key";
	if (!why && !k->pub.len)
		key_read_pub(k);
	if (why)
		k->why = ed_xstrdup(why);
	return k;
}

void ssh_key_free(struct ssh_key *k)
{
	if (!k)
		return;
	free(k->path);
	free(k->why);
	/* the private key: do not leave it in freed memory */
	OPENSSL_cleanse(k->priv.ptr, k->priv.len);
	ed_buf_release(&k->priv);
	EVP_PKEY_free(k->ed25519);
	ed_buf_release(&k->pub);
	ed_buf_release(&k->blob);
	free(k);
}
