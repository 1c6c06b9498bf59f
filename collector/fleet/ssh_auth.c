/*
 * User authentication material for the fleet transport (ssh.c): key
 * files read and, where libssh2 needs it, converted once per run, and a
 * minimal ssh-agent client over one connection per run. Declarations are
 * in ssh_int.h.
 */
#include "collector/fleet/ssh_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "core/alloc.h"

#define KEY_MAX ((size_t)64 << 10)   /* no private key file is larger */
#define AGENT_MAX ((size_t)256 << 10) /* largest ssh-agent reply taken */
#define AGENT_TIMEOUT_S 10           /* a wedged agent stalls the loop this long */

int ssh_rd_u32(struct rd *r, size_t *out)
{
	if (r->left < 4)
		return -1;
	*out = (size_t)r->p[0] << 24 | (size_t)r->p[1] << 16 |
	       (size_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int ssh_rd_str(struct rd *r, const unsigned char **s, size_t *len)
{
	if (ssh_rd_u32(r, len) < 0 || *len > r->left)
		return -1;
	*s = r->p;
	r->p += *len;
	r->left -= *len;
	return 0;
}

void ssh_put_u32(struct ed_buf *b, size_t v)
{
	unsigned char x[4];

	x[0] = (unsigned char)(v >> 24);
	x[1] = (unsigned char)(v >> 16);
	x[2] = (unsigned char)(v >> 8);
	x[3] = (unsigned char)v;
	ed_buf_add(b, x, 4);
}

void ssh_put_str(struct ed_buf *b, const void *s, size_t len)
{
	ssh_put_u32(b, len);
	ed_buf_add(b, s, len);
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static void key_set_pub(struct ssh_key *k, const unsigned char *blob,
			size_t len)
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

	if (mem && PEM_write_bio_PrivateKey(mem, pk, NULL, NULL, 0, NULL,
					    NULL) == 1) {
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
	if (ssh_rd_str(&r, &cipher, &clen) < 0 || ssh_rd_str(&r, &kdf, &klen) < 0 ||
	    ssh_rd_str(&r, &opts, &olen) < 0 || ssh_rd_u32(&r, &n) < 0 || n < 1 ||
	    ssh_rd_str(&r, &pub, &plen) < 0) {
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
	else if (n == 1 && ssh_rd_str(&r, &pub, &plen) == 0 &&
		 (k->type & (SSH_KEY_ECDSA256 | SSH_KEY_ECDSA384 |
			     SSH_KEY_ECDSA521))) {
		r.p = pub; /* the private section */
		r.left = plen;
		key_ecdsa_to_pem(k, &r);
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
	EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
						     NULL) : NULL;
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
	ed_buf_release(&k->pub);
	ed_buf_release(&k->blob);
	free(k);
}

void ssh_agent_close(struct agent *a, const char *why)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (!a->status)
		a->status = ed_xstrdup(why);
}

static int io_all(int fd, void *buf, size_t len, int out)
{
	char *p = buf;

	while (len) {
		ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL) :
				  recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ssh_agent_call(struct agent *a, const struct ed_buf *req,
		   struct ed_buf *resp)
{
	struct ed_buf msg = ED_BUF_INIT;
	unsigned char hdr[4];
	size_t len;
	int rc = -1;

	if (a->fd < 0)
		return -1;
	ssh_put_str(&msg, req->ptr, req->len);
	if (io_all(a->fd, msg.ptr, msg.len, 1) < 0 ||
	    io_all(a->fd, hdr, 4, 0) < 0)
		goto out;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	      (size_t)hdr[2] << 8 | hdr[3];
	if (!len || len > AGENT_MAX)
		goto out;
	ed_buf_reset(resp);
	ed_buf_grow(resp, len);
	if (io_all(a->fd, resp->ptr, len, 0) < 0)
		goto out;
	ed_buf_setlen(resp, len);
	rc = 0;
out:
	if (rc < 0)
		ssh_agent_close(a, "ssh-agent stopped answering");
	ed_buf_release(&msg);
	return rc;
}

void ssh_agent_open(struct agent *a, const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = { AGENT_TIMEOUT_S, 0 };
	struct ed_buf req = ED_BUF_INIT, resp = ED_BUF_INIT;
	const unsigned char *blob, *comment;
	size_t n, blen, clen, i;
	struct rd r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		ssh_agent_close(a, "SSH_AUTH_SOCK is too long");
		return;
	}
	memcpy(sa.sun_path, path, strlen(path));
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0 ||
	    setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(a->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(a->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ssh_agent_close(a, "cannot connect to ssh-agent");
		return;
	}
	ed_buf_addch(&req, 11); /* SSH2_AGENTC_REQUEST_IDENTITIES */
	if (ssh_agent_call(a, &req, &resp) < 0)
		goto out;
	r.p = (const unsigned char *)resp.ptr + 1;
	r.left = resp.len - 1;
	if (resp.ptr[0] != 12 || ssh_rd_u32(&r, &n) < 0 || n > 4096) {
		ssh_agent_close(a, "ssh-agent sent a malformed identity list");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct agent_id *id;

		if (ssh_rd_str(&r, &blob, &blen) < 0 ||
		    ssh_rd_str(&r, &comment, &clen) < 0) {
			ssh_agent_close(a, "ssh-agent sent a malformed identity list");
			break;
		}
		ED_ALLOC_GROW(a->ids, a->nr + 1, a->alloc);
		id = &a->ids[a->nr++];
		ed_buf_init(&id->blob);
		ed_buf_add(&id->blob, blob, blen);
		id->comment = ed_xmemdup(comment, clen);
		id->type = ssh_key_blob_type(blob, blen);
	}
	if (!a->nr)
		ssh_agent_close(a, "ssh-agent holds no keys");
out:
	ed_buf_release(&req);
	ed_buf_release(&resp);
}

void ssh_agent_release(struct agent *a)
{
	size_t i;

	if (a->fd >= 0)
		close(a->fd);
	for (i = 0; i < a->nr; i++) {
		ed_buf_release(&a->ids[i].blob);
		free(a->ids[i].comment);
	}
	free(a->ids);
	free(a->status);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}
