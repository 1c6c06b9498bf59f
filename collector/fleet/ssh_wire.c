/*
 * The leaves of the SSH transport, used by every other ssh*.c file and
 * calling none of them: libssh2's one-time initialisation, key algorithm
 * names, base64, key fingerprints, and the RFC 4251 wire encoding.
 */
#include "collector/fleet/internal.h"

#include <pthread.h>
#include <string.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "core/alloc.h"

/* The one piece of process state: libssh2_init is not thread-safe. */
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init_once(void)
{
	/* on failure every session_init fails and says so per host */
	(void)libssh2_init(0);
}

void ssh_lib_init(void)
{
	pthread_once(&lib_once, lib_init_once);
}

static const struct {
	unsigned type;
	const char *name;
} key_types[] = {
	{ SSH_KEY_ED25519, "ssh-ed25519" },
	{ SSH_KEY_ECDSA256, "ecdsa-sha2-nistp256" },
	{ SSH_KEY_ECDSA384, "ecdsa-sha2-nistp384" },
	{ SSH_KEY_ECDSA521, "ecdsa-sha2-nistp521" },
	{ SSH_KEY_RSA, "ssh-rsa" },
	{ SSH_KEY_DSS, "ssh-dss" },
};

const char *ssh_key_type_name(unsigned type)
{
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(key_types); i++)
		if (key_types[i].type == type)
			return key_types[i].name;
	return NULL;
}

unsigned ssh_key_type_parse(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(key_types); i++)
		if (strlen(key_types[i].name) == len &&
		    !memcmp(key_types[i].name, name, len))
			return key_types[i].type;
	return 0;
}

unsigned ssh_key_blob_type(const unsigned char *blob, size_t len)
{
	size_t n;

	if (len < 4)
		return 0;
	n = (size_t)blob[0] << 24 | (size_t)blob[1] << 16 |
	    (size_t)blob[2] << 8 | blob[3];
	if (n > len - 4)
		return 0;
	return ssh_key_type_parse((const char *)blob + 4, n);
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ssh_b64_encode(struct ed_buf *out, const void *p, size_t len, int pad)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		ed_buf_addch(out, b64[s[i] >> 2]);
		ed_buf_addch(out, b64[(s[i] & 3) << 4 | s[i + 1] >> 4]);
		ed_buf_addch(out, b64[(s[i + 1] & 15) << 2 | s[i + 2] >> 6]);
		ed_buf_addch(out, b64[s[i + 2] & 63]);
	}
	if (len - i == 1) {
		ed_buf_addch(out, b64[s[i] >> 2]);
		ed_buf_addch(out, b64[(s[i] & 3) << 4]);
		if (pad)
			ed_buf_adds(out, "==");
	} else if (len - i == 2) {
		ed_buf_addch(out, b64[s[i] >> 2]);
		ed_buf_addch(out, b64[(s[i] & 3) << 4 | s[i + 1] >> 4]);
		ed_buf_addch(out, b64[(s[i + 1] & 15) << 2]);
		if (pad)
			ed_buf_addch(out, '=');
	}
}

int ssh_b64_decode(struct ed_buf *out, const char *s, size_t len)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		const char *c;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		c = s[i] ? strchr(b64, s[i]) : NULL;
		if (!c || pad)
			return -1;
		acc = (acc << 6 | (unsigned)(c - b64)) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			ed_buf_addch(out, (char)(acc >> bits & 0xff));
		}
	}
	/* leftover bits must be zero padding, and at most 2 '=' */
	if (pad > 2 || bits >= 6 || (acc & ((1u << bits) - 1)))
		return -1;
	return 0;
}

void ssh_key_fingerprint(struct ed_buf *out, const unsigned char *blob, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	ed_buf_adds(out, "SHA256:");
	if (EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		ED_BUG("SHA-256 unavailable");
	ssh_b64_encode(out, md, mdlen, 0);
}

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
