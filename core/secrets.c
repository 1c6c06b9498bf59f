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
#define _GNU_SOURCE /* REG_STARTEND, memmem */
#include "core/secret_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void ed_secret_hits_release(struct ed_secret_hits *h)
{
	free(h->v);
	h->v = NULL;
	h->nr = h->alloc = 0;
}

/* Labels of armoured blocks that hold nothing secret. */
static int public_label(const char *p, size_t n)
{
	static const char *const labels[] = {
		"CERTIFICATE",
		"TRUSTED CERTIFICATE",
		"X509 CERTIFICATE",
		"X509 CRL",
		"CERTIFICATE REQUEST",
		"NEW CERTIFICATE REQUEST",
		"PUBLIC KEY",
		"RSA PUBLIC KEY",
		"DSA PUBLIC KEY",
		"EC PUBLIC KEY",
		"PGP PUBLIC KEY BLOCK",
		"PGP SIGNATURE",
		"PGP SIGNED MESSAGE",
		"PGP MESSAGE",
		"DH PARAMETERS",
		"X9.42 DH PARAMETERS",
		"EC PARAMETERS",
		"DSA PARAMETERS",
		"SSH2 PUBLIC KEY",
		"PKCS7",
		"CMS",
		"OPENSSH PUBLIC KEY",
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

struct re_group {
	size_t parent;
	int optional; /* holds a '|', or is followed by '*', '?' or '{' */
};

static int re_quantified(char next)
{
	return next == '*' || next == '?' || next == '{';
}

/*
 * The secret_values prefilter. Find a bracket expression of plain
 * punctuation ("[:=]" in the default patterns) that every match must use:
 * not quantified by '*', '?' or '{', and inside no group that holds a '|'
 * or is so quantified (nor a '|' at the top level). A line with none of its
 * bytes cannot match, so skipping regexec there changes no result; REG_ICASE
 * does not touch punctuation. out is "" when no such expression is found.
 */
void ed_secret_required_bytes(char out[ED_SECRET_REQ_MAX + 1], const char *pat)
{
	struct re_group *g = NULL;
	size_t ng = 1, alloc = 0, cur = 0, i = 0, j;
	size_t cand_group = 0;
	int have = 0;

	out[0] = '\0';
	ED_ALLOC_GROW(g, ng, alloc);
	g[0].parent = 0;
	g[0].optional = 0;
	while (pat[i]) {
		if (pat[i] == '\\') {
			i += pat[i + 1] ? 2 : 1;
		} else if (pat[i] == '(') {
			ED_ALLOC_GROW(g, ng + 1, alloc);
			g[ng].parent = cur;
			g[ng].optional = 0;
			cur = ng++;
			i++;
		} else if (pat[i] == ')') {
			if (cur == 0)
				goto none; /* unbalanced: no prefilter */
			if (re_quantified(pat[i + 1]))
				g[cur].optional = 1;
			cur = g[cur].parent;
			i++;
		} else if (pat[i] == '|') {
			g[cur].optional = 1;
			i++;
		} else if (pat[i] == '[') {
			char set[ED_SECRET_REQ_MAX + 1];
			size_t n = 0;
			int plain = 1;

			j = i + 1;
			if (pat[j] == '^') {
				plain = 0;
				j++;
			}
			if (pat[j] == ']')
				set[n++] = pat[j++];
			while (pat[j] && pat[j] != ']') {
				if (pat[j] == '[' && pat[j + 1] &&
				    strchr(":.=", pat[j + 1])) {
					const char *e = strchr(pat + j + 2, ']');

					if (!e)
						goto none;
					plain = 0;
					j = (size_t)(e - pat) + 1;
					continue;
				}
				if (pat[j + 1] == '-' && pat[j + 2] &&
				    pat[j + 2] != ']')
					plain = 0;
				if (n < ED_SECRET_REQ_MAX &&
				    strchr("!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~",
					   pat[j]))
					set[n++] = pat[j];
				else
					plain = 0;
				j++;
			}
			if (!pat[j])
				goto none;
			if (!have && plain && n && !re_quantified(pat[j + 1])) {
				memcpy(out, set, n);
				out[n] = '\0';
				cand_group = cur;
				have = 1;
			}
			i = j + 1;
		} else {
			i++;
		}
	}
	if (cur != 0 || !have)
		goto none;
	for (j = cand_group;; j = g[j].parent) {
		if (g[j].optional)
			goto none;
		if (j == 0)
			break;
	}
	goto out;
none:
	out[0] = '\0';
out:
	free(g);
}

static int line_has_any(const char *line, size_t len, const char *set)
{
	for (; *set; set++)
		if (memchr(line, *set, len))
			return 1;
	return 0;
}

static int compile_res(struct ed_secret_finder *s, const struct ed_strvec *pats,
		       struct ed_err *err)
{
	size_t i;

	s->nr = 0;
	s->res = ed_xcalloc(pats->nr ? pats->nr : 1, sizeof(*s->res));
	s->req = ed_xcalloc(pats->nr ? pats->nr : 1, sizeof(*s->req));
	for (i = 0; i < pats->nr; i++) {
		/* regerror text is a one-line diagnostic; truncation is fine */
		char msg[256];
		int rc = regcomp(&s->res[i], pats->v[i], REG_EXTENDED | REG_ICASE);

		if (rc) {
			regerror(rc, &s->res[i], msg, sizeof(msg));
			return ed_err_set(err, ED_EPARSE,
					  "secret_values: \"%s\": %s",
					  pats->v[i], msg);
		}
		s->nr++;
		ed_secret_required_bytes(s->req[i], pats->v[i]);
		if (s->res[i].re_nsub < 1)
			return ed_err_set(err, ED_EPARSE,
					  "secret_values: \"%s\": needs a group around the part kept verbatim",
					  pats->v[i]);
	}
	return 0;
}

static void release_res(struct ed_secret_finder *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		regfree(&s->res[i]);
	free(s->res);
	free(s->req);
	s->res = NULL;
	s->req = NULL;
	s->nr = 0;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle,
			      size_t m)
{
	const char *end = hay + n;

	while (m && (size_t)(end - hay) >= m) {
		const char *p =
			memchr(hay, needle[0], (size_t)(end - hay) - m + 1);

		if (!p)
			return NULL;
		if (!memcmp(p, needle, m))
			return p;
		hay = p + 1;
	}
	return NULL;
}

/* PEM and PGP armour: "-----BEGIN ... PRIVATE KEY..." on one line. */
int ed_secret_has_private_key(const char *buf, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	static const char key[] = "PRIVATE KEY";
	const char *p = buf, *end = buf + len;

	for (;;) {
		const char *q = find_bytes(p, (size_t)(end - p), begin,
					   sizeof(begin) - 1);
		const char *eol;

		if (!q)
			return 0;
		q += sizeof(begin) - 1;
		eol = memchr(q, '\n', (size_t)(end - q));
		if (!eol)
			eol = end;
		if (find_bytes(q, (size_t)(eol - q), key, sizeof(key) - 1))
			return 1;
		p = q;
	}
}

/* A line outside armour that a key file may hold (PKCS#12 bag attributes). */
static int key_file_line(const char *p, size_t n)
{
	static const char *const heads[] = { "Bag Attributes", "Key Attributes",
					     "subject=",       "issuer=",
					     "friendlyName",   "localKeyID",
					     "Proc-Type",      "DEK-Info" };
	size_t i;

	if (!n || p[0] == '#' || p[0] == ' ' || p[0] == '\t' || p[0] == '\r')
		return 1;
	for (i = 0; i < ED_ARRAY_SIZE(heads); i++)
		if (n >= strlen(heads[i]) &&
		    !memcmp(p, heads[i], strlen(heads[i])))
			return 1;
	return 0;
}

int ed_secret_key_file(const char *buf, size_t len)
{
	size_t pos = 0, s, e;
	int in_block = 0;

	if (!ed_secret_has_private_key(buf, len))
		return 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - buf) : len;

		if (in_block)
			in_block = !armour_line(buf, pos, eol, "END ", &s, &e);
		else if (armour_line(buf, pos, eol, "BEGIN ", &s, &e))
			in_block = 1;
		else if (!key_file_line(buf + pos, eol - pos))
			return 0; /* configuration around the key: not a key file */
		pos = eol + 1;
	}
	return 1;
}

int ed_secret_finder_init(struct ed_secret_finder *f,
			  const struct ed_strvec *res, struct ed_err *err)
{
	memset(f, 0, sizeof(*f));
	return compile_res(f, res, err);
}

void ed_secret_finder_release(struct ed_secret_finder *f)
{
	release_res(f);
}

static int cmp_hit(const void *a, const void *b)
{
	const struct ed_secret_hit *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* Sort, and merge hits that overlap or touch, keeping the first rule. */
static void merge_hits(struct ed_secret_hits *h, size_t from)
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

static void user_res(const struct ed_secret_finder *f, const char *b, size_t ls,
		     size_t le, struct ed_secret_hits *hits)
{
	size_t i;

	for (i = 0; i < f->nr; i++) {
		regmatch_t m[2];
		size_t keep;

		if (f->req[i][0] && !line_has_any(b + ls, le - ls, f->req[i]))
			continue;
		/*
		 * The string starts at the line, so '^' matches there: glibc
		 * takes a REG_STARTEND start after the string's start as the
		 * middle of a line.
		 */
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)(le - ls);
		if (regexec(&f->res[i], b + ls, 2, m, REG_STARTEND))
			continue;
		keep = ls + (m[1].rm_so >= 0 ? (size_t)m[1].rm_eo : 0);
		ed_secret_add_hit(hits, keep, le, "user-regex");
	}
}

/*
 * 1 if c followed by rest occurs in buf: memchr finds the rare first byte
 * faster than memmem, whose setup costs more than most files.
 */
static int has_after(const char *buf, size_t len, char c, const char *rest)
{
	const char *p = buf, *end = buf + len;
	size_t n = strlen(rest);

	while (p < end && (p = memchr(p, c, (size_t)(end - p)))) {
		p++;
		if ((size_t)(end - p) >= n && !memcmp(p, rest, n))
			return 1;
	}
	return 0;
}

void ed_secret_find(const struct ed_secret_finder *f, const char *buf,
		    size_t len, struct ed_secret_hits *hits)
{
	size_t pos = 0, from = hits->nr, body = 0;
	int in_block = 0;
	unsigned flags = 0;

	if (has_after(buf, len, '"', "kty\""))
		flags |= LINE_JWK;
	if (has_after(buf, len, 'L', "oginModule"))
		flags |= LINE_JAAS;
	while (pos < len) {
		unsigned seen;
		size_t eol = ed_secret_line_end(buf, pos, len, &seen), le = eol,
		       s, e;
		struct line_ctx l;

		if (le > pos && buf[le - 1] == '\r')
			le--;
		if (in_block) {
			if (armour_line(buf, pos, le, "END ", &s, &e)) {
				size_t end = pos ? pos - 1 : 0;

				/* a body that is our token already (a stored copy) */
				if (end < body + 69 || end > body + 70 ||
				    memcmp(buf + body, "hmac:", 5) ||
				    !ed_secret_all_hex(buf + body + 5, 64))
					ed_secret_add_hit(hits, body, end,
							  "armour");
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
		l.seen = seen;
		l.flags = flags;
		ed_secret_scan_line(&l);
		if (f && f->nr)
			user_res(f, buf, pos, le, hits);
		pos = eol + 1;
	}
	if (in_block)
		ed_secret_add_hit(hits, body, len, "armour");
	merge_hits(hits, from);
}
