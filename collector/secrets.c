/*
 * Secret detection in text: the built-in detectors for the syntaxes real
 * server configuration uses, plus the user's secrets.values EREs. Each
 * finds byte spans (the secret part only, never the key), so a caller can
 * replace exactly those bytes by HMAC tokens and keep every other line,
 * and every other byte of a line, readable. One pass over each line with
 * plain byte tests: no regex runs unless the user configured one.
 *
 * Detectors, and what they take as the secret:
 *   armour        the body of a -----BEGIN X----- block, X not public
 *   keyword       the value of KEY=V, KEY: V, "KEY": "V", KEY => V,
 *                 <KEY>V</KEY>, define('KEY', 'V') where KEY names a secret
 *   daemon        the value of "KEYWORD VALUE" for a named list of daemon
 *                 keywords (requirepass, rocommunity, bindpw, ...)
 *   url-userinfo  the password of scheme://user:PASSWORD@host
 *   command-line  -u user:PASSWORD, --password X, mysql -pX, sshpass -p X
 *   authorization the credentials of an Authorization header
 *   jwt           a JSON Web Token
 *   token         well-known token prefixes (ghp_, glpat-, xoxb-, AKIA, ...)
 *   crypt-hash    crypt(3) and LDAP {SCHEME} hashes, smbpasswd hashes
 *   ipsec         the secret of an ipsec.secrets ": PSK \"V\"" line
 *   entropy       a random-looking base64 or hex value on an assignment
 *   user-regex    group-1-suffix of a secrets.values ERE (README)
 */
#define _GNU_SOURCE /* REG_STARTEND */
#include "collector/secret_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void secret_hits_release(struct secret_hits *h)
{
	free(h->v);
	h->v = NULL;
	h->nr = h->alloc = 0;
}

void secret_add_hit(struct secret_hits *h, size_t start, size_t end,
                    const char *rule)
{
	if (end <= start)
		return;
	ED_ALLOC_GROW(h->v, h->nr + 1, h->alloc);
	h->v[h->nr].start = start;
	h->v[h->nr].end = end;
	h->v[h->nr].rule = rule;
	h->nr++;
}

/* Labels of armoured blocks that hold nothing secret. */
static int public_label(const char *p, size_t n)
{
	static const char *const labels[] = {
		"CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE",
		"X509 CRL", "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST",
		"PUBLIC KEY", "RSA PUBLIC KEY", "DSA PUBLIC KEY",
		"EC PUBLIC KEY", "PGP PUBLIC KEY BLOCK", "PGP SIGNATURE",
		"PGP SIGNED MESSAGE", "PGP MESSAGE", "DH PARAMETERS",
		"X9.42 DH PARAMETERS", "EC PARAMETERS", "DSA PARAMETERS",
		"SSH2 PUBLIC KEY", "PKCS7", "CMS", "OPENSSH PUBLIC KEY",
	};
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(labels); i++)
		if (strlen(labels[i]) == n && !memcmp(labels[i], p, n))
			return 1;
	return 0;
}

/*
 * "-----BEGIN LABEL-----" (or END) on the line: 1 with the label's span.
 * Leading blanks are allowed; anything may follow the closing dashes.
 */
static int armour_line(const char *b, size_t ls, size_t le, const char *what,
                       size_t *lab_s, size_t *lab_e)
{
	size_t n = strlen(what), i = ls, s;

	while (i < le && is_space((unsigned char)b[i]))
		i++;
	if (le - i < 5 + n || memcmp(b + i, "-----", 5) ||
	    memcmp(b + i + 5, what, n))
		return 0;
	s = i + 5 + n;
	for (i = s; i + 5 <= le; i++)
		if (!memcmp(b + i, "-----", 5)) {
			*lab_s = s;
			*lab_e = i;
			return 1;
		}
	return 0;
}

int secret_finder_init(struct secret_finder *f, const struct ed_strvec *res,
                       struct ed_err *err)
{
	memset(f, 0, sizeof(*f));
	return files_secrets_compile(&f->user, res, err);
}

void secret_finder_release(struct secret_finder *f)
{
	files_secrets_release(&f->user);
}

static int cmp_hit(const void *a, const void *b)
{
	const struct secret_hit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* Sort, and merge hits that overlap or touch, keeping the first rule. */
static void merge_hits(struct secret_hits *h, size_t from)
{
	size_t i, n;

	if (h->nr - from < 2)
		return;
	qsort(h->v + from, h->nr - from, sizeof(*h->v), cmp_hit);
	n = from;
	for (i = from; i < h->nr; i++) {
		if (n > from && h->v[i].start <= h->v[n - 1].end) {
			if (h->v[i].end > h->v[n - 1].end)
				h->v[n - 1].end = h->v[i].end;
			continue;
		}
		h->v[n++] = h->v[i];
	}
	h->nr = n;
}

static int line_has_any(const char *line, size_t len, const char *set)
{
	for (; *set; set++)
		if (memchr(line, *set, len))
			return 1;
	return 0;
}

static void user_res(const struct secret_finder *f, const char *b, size_t ls,
                     size_t le, struct secret_hits *hits)
{
	size_t i;

	for (i = 0; i < f->user.nr; i++) {
		regmatch_t m[2];
		size_t keep;

		if (f->user.req[i][0] && !line_has_any(b + ls, le - ls,
		                                       f->user.req[i]))
			continue;
		m[0].rm_so = (regoff_t)ls;
		m[0].rm_eo = (regoff_t)le;
		if (regexec(&f->user.res[i], b, 2, m, REG_STARTEND))
			continue;
		keep = m[1].rm_so >= 0 ? (size_t)m[1].rm_eo : ls;
		secret_add_hit(hits, keep, le, "user-regex");
	}
}

void secret_find(const struct secret_finder *f, const char *buf, size_t len,
                 struct secret_hits *hits)
{
	size_t pos = 0, from = hits->nr, body = 0;
	int in_block = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - buf) : len, le = eol, s, e;
		struct line_ctx l;

		if (le > pos && buf[le - 1] == '\r')
			le--;
		if (in_block) {
			if (armour_line(buf, pos, le, "END ", &s, &e)) {
				secret_add_hit(hits, body, pos ? pos - 1 : 0, "armour");
				in_block = 0;
			}
			pos = eol + 1;
			continue;
		}
		if (armour_line(buf, pos, le, "BEGIN ", &s, &e) &&
		    !public_label(buf + s, e - s)) {
			in_block = 1;
			body = eol < len ? eol + 1 : len;
			pos = eol + 1;
			continue;
		}
		memset(&l, 0, sizeof(l));
		l.buf = buf;
		l.ls = pos;
		l.le = le;
		l.hits = hits;
		secret_scan_line(&l);
		if (f && f->user.nr)
			user_res(f, buf, pos, le, hits);
		pos = eol + 1;
	}
	if (in_block)
		secret_add_hit(hits, body, len, "armour");
	merge_hits(hits, from);
}
