/*
 * The secret detectors of one line (core/secrets.c lists them). Each
 * adds the byte spans of the secrets it finds; one pass over the line
 * decides which detectors can hit at all.
 */
#define _GNU_SOURCE /* memmem */
#include "core/secret_int.h"

#include <string.h>

#include "core/alloc.h"

/* The key-looking word at i, if it is followed by '=' or ':'. */
static int pair_follows(const struct line_ctx *l, size_t i)
{
	size_t s;

	if (i < l->le && is_quote((unsigned char)l->buf[i]))
		i++;
	s = i;
	while (i < l->le && is_key_char((unsigned char)l->buf[i]))
		i++;
	if (i == s)
		return 0;
	if (i < l->le && is_quote((unsigned char)l->buf[i]))
		i++;
	i = skip_space(l, i);
	return i < l->le && (l->buf[i] == '=' || l->buf[i] == ':');
}

/*
 * The value starting at v (after the separator and its blanks): a quoted
 * string's inside, or an unquoted run. An unquoted value of a key at the
 * start of the line runs to the end of the line (values with blanks are
 * common there), unless another KEY= pair follows; one in the middle of a
 * line stops at a blank or a quote too; inside {...} or after a quote it
 * stops at the closing character.
 */
static void value_span(const struct line_ctx *l, size_t v, int midline,
		       char closer, size_t *vs, size_t *ve)
{
	size_t i;

	if (v + 5 < l->le && is_quote((unsigned char)l->buf[v]) &&
	    l->buf[v + 1] == l->buf[v] && l->buf[v + 2] == l->buf[v]) {
		/* """value""" (Python, grafana.ini: may hold # and ;) */
		const char *e = l->buf + v + 3;

		while (e + 3 <= l->buf + l->le &&
		       !(e[0] == l->buf[v] && e[1] == l->buf[v] &&
			 e[2] == l->buf[v]))
			e++;
		*vs = v + 3;
		*ve = e + 3 <= l->buf + l->le ? (size_t)(e - l->buf) : l->le;
		return;
	}
	if (v < l->le && is_quote((unsigned char)l->buf[v])) {
		*vs = v + 1;
		*ve = quote_end(l, v);
		return;
	}
	*vs = v;
	for (i = v; i < l->le; i++) {
		char c = l->buf[i];

		if (closer && c == closer)
			break;
		if (closer == '}' && (c == ',' || c == ']'))
			break;
		if (midline && !is_quote((unsigned char)closer) &&
		    (is_space((unsigned char)c) || is_quote((unsigned char)c)))
			break;
		if ((c == ',' || c == ';' || c == '&' ||
		     is_space((unsigned char)c)) &&
		    pair_follows(l, skip_space(l, i + 1)))
			break;
	}
	while (i > v && (is_space((unsigned char)l->buf[i - 1]) ||
			 (l->buf[i - 1] == ';' && i - 1 > v)))
		i--;
	*ve = i;
}

/*
 * "KEYWORD VALUE" daemons. How the value ends:
 *   EOL   the rest of the line (a passphrase may hold blanks);
 *   WORD  the next word (rocommunity's further words name a source);
 *   SOLE  the next word, and only when nothing follows it: generic words
 *         such as "password" or "secret" also start prose and other
 *         syntaxes ("passwd amd64 1:4.13" in a package list).
 */
enum daemon_end { EOL, WORD, SOLE };

static const struct daemon_kw {
	struct word w;
	enum daemon_end end;
} daemon_kws[] = {
	{ W("requirepass"), WORD },
	{ W("masterauth"), WORD }, /* redis.conf */
	{ W("rocommunity"), WORD },
	{ W("rwcommunity"), WORD }, /* snmpd.conf(5) */
	{ W("rocommunity6"), WORD },
	{ W("rwcommunity6"), WORD },
	{ W("wpa-psk"), EOL },
	{ W("wpa-password"), EOL }, /* ifupdown wpa */
	{ W("password"), SOLE },
	{ W("passwd"), SOLE }, /* msmtp, .netrc */
	{ W("pass"), SOLE },
	{ W("secret"), SOLE },
	{ W("bindpw"), EOL },
	{ W("rootpw"), WORD }, /* ldap.conf, slapd */
	{ W("auth_pass"), WORD },
	{ W("authpass"), WORD }, /* keepalived */
	{ W("psk"), SOLE },
	{ W("wpa_passphrase"), EOL },
	{ W("sae_password"), EOL }, /* hostapd */
	{ W("masterpassword"), SOLE },
	{ W("authtoken"), SOLE },
};

static const struct daemon_kw *daemon_kw(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(daemon_kws); i++)
		if (daemon_kws[i].w.n == n &&
		    ed_secret_has_prefix_ci(k, k + n, daemon_kws[i].w.s))
			return &daemon_kws[i];
	return NULL;
}

/* A key at the start of the line followed by blanks, not by = or :. */
static void daemon_line(struct line_ctx *l, size_t ks, size_t ke)
{
	const struct daemon_kw *kw;
	size_t v, vs, ve;

	if (ed_secret_positional(l, ks, ke))
		return;
	kw = daemon_kw(l->buf + ks, ke - ks);
	v = skip_space(l, ke);
	if (!kw || v >= l->le || v == ke)
		return;
	vs = v;
	ve = l->le;
	while (ve > vs && is_space((unsigned char)l->buf[ve - 1]))
		ve--;
	if (is_quote((unsigned char)l->buf[v])) {
		size_t q = quote_end(l, v), t = q + 1;

		while (t < ve && (l->buf[t] == ';' || l->buf[t] == ','))
			t++; /* secret "..."; (bind, dhcpd) */
		if ((kw->end == SOLE || l->comment) && t < ve)
			return;
		take_value(l, v + 1, q, "daemon");
		return;
	}
	/* in a comment, only "# keyword value": prose has more words */
	if ((kw->end == SOLE || l->comment) && word_end(l, vs) != ve)
		return;
	if (kw->end == EOL)
		take_value(l, vs, ve, "daemon");
	else
		take_word(l, v, "daemon");
}

/* The separator after a key: '=', ':', "=>", ":=" (its length), or 0. */
static size_t separator(const struct line_ctx *l, size_t i)
{
	char c = i < l->le ? l->buf[i] : '\0';
	char d = i + 1 < l->le ? l->buf[i + 1] : '\0';

	if (c == '=' && d == '>')
		return 2;
	if (c == '=' && d != '=')
		return 1;
	if (c == ':' && d == '=')
		return 2;
	if (c == ':' && d != ':' && d != '/')
		return 1;
	return 0;
}

/*
 * A key starting at i. Returns the position scanning resumes from (past
 * the key, or past its value when one was taken).
 */
static size_t key_at(struct line_ctx *l, size_t i)
{
	const char *b = l->buf;
	size_t ks, ke, s, sep, vs, ve, p;
	char before = i > l->ls ? b[i - 1] : '\0';
	char pre = '\0'; /* the last non-blank before the key */
	int quoted = 0, option = 0, midline = i > l->first;
	char closer = '\0';
	enum key_class kc;

	p = prev_nonspace(l, i);
	if (p > l->ls)
		pre = b[p - 1];
	if (is_quote((unsigned char)b[i])) {
		size_t q = quote_end(l, i);

		if (q >= l->le || q - i - 1 > KEY_MAX ||
		    memchr(b + i + 1, '=', q - i - 1) ||
		    memchr(b + i + 1, ':', q - i - 1))
			return i + 1; /* a quoted value, not a key */
		ks = i + 1;
		ke = q;
		s = q + 1;
		quoted = 1;
	} else {
		ks = i;
		if (b[ks] == '$')
			ks++; /* PHP and Perl variables */
		if (ks + 1 < l->le && b[ks] == '-' && b[ks + 1] == '-')
			option = 1;
		ke = ks;
		while (ke < l->le && is_key_char((unsigned char)b[ke]))
			ke++;
		if (ke == ks)
			return i + 1;
		s = ke;
	}
	if (is_quote((unsigned char)before) && !quoted)
		closer = before;
	if (quoted || pre == '{' || pre == ',' || pre == '[')
		closer = '}';
	/* cfg['password'] = ..., env[DB_PASSWORD] = ... (PHP, Ruby, php-fpm) */
	if (s < l->le && b[s] == ']' &&
	    (quoted ? i > l->ls && b[i - 1] == '[' : before == '[')) {
		s++;
		closer = '\0';
	}
	s = skip_space(l, s);
	/* <password>VALUE</password> */
	if (before == '<' && s < l->le && b[s] == '>' &&
	    ed_secret_key_names_secret(b + ks, ke - ks)) {
		vs = s + 1;
		ve = vs;
		while (ve < l->le && b[ve] != '<')
			ve++;
		/* an element, closed on the line: "AUTH <password> as ..." is prose */
		if (ve + 2 + (ke - ks) <= l->le && b[ve + 1] == '/' &&
		    !memcmp(b + ve + 2, b + ks, ke - ks))
			take_value(l, vs, ve, "keyword");
		return ve;
	}
	/* define('DB_PASSWORD', 'value') */
	if (quoted && pre == '(' && s < l->le && b[s] == ',') {
		size_t v = skip_space(l, s + 1), q;

		if (v >= l->le || !is_quote((unsigned char)b[v]))
			return s;
		q = quote_end(l, v);
		if (ed_secret_key_names_secret(b + ks, ke - ks))
			take_value(l, v + 1, q, "keyword");
		else if (ed_secret_value_looks_random(b + v + 1, q - v - 1))
			ed_secret_add_hit(l->hits, v + 1, q, "entropy");
		return q;
	}
	sep = separator(l, s);
	/* LDIF: "attr:: BASE64" at the start of a line */
	if (!sep && !midline && s + 1 < l->le && b[s] == ':' && b[s + 1] == ':')
		sep = 2;
	if (!sep) {
		if (!midline && s > ke)
			daemon_line(l, ks, ke);
		else if (option && s > ke &&
			 ed_secret_key_names_secret(b + ks, ke - ks))
			return take_word(l, s, "command-line");
		return ke > i ? ke : i + 1;
	}
	/*
	 * A ':' in the middle of a line is a pair only in JSON/YAML flow
	 * ("key": or {key: v, k2: v2}) or a quoted header ("X-Token: v");
	 * elsewhere it is prose ("the password: ...") or a port.
	 */
	if (b[s] == ':' && sep == 1 && midline && !quoted && pre != '{' &&
	    pre != ',' && !is_quote((unsigned char)before))
		return ke;
	p = skip_space(l, s + sep);
	value_span(l, p, midline, closer, &vs, &ve);
	if (ve <= vs)
		return ke;
	kc = ed_secret_key_class(b + ks, ke - ks, 0);
	if (kc != KEY_SECRET && (l->flags & LINE_JWK) && quoted &&
	    ed_secret_jwk_private(b + ks, ke - ks))
		kc = KEY_SECRET; /* a JWK's private parameters */
	if (kc != KEY_SECRET && (l->flags & LINE_JAAS) && ke - ks > 5 &&
	    ed_secret_has_prefix_ci(b + ks, b + ke, "user_"))
		kc = KEY_SECRET; /* JAAS user_NAME="password" */
	if (kc != KEY_SECRET && memchr(b + vs, ':', ve - vs) &&
	    ed_secret_user_pass_key(b + ks, ke - ks) &&
	    (vs > 0 && is_quote((unsigned char)b[vs - 1]) ?
		     1 :
		     !ed_secret_eq_ci(b + ks, ke - ks, "user") &&
			     !ed_secret_eq_ci(b + ks, ke - ks, "auth"))) {
		/* login=user:password (squid cache_peer, curlrc "user") */
		const char *c = memchr(b + vs, ':', ve - vs);

		take_value(l, (size_t)(c - b) + 1, ve, "keyword");
		return ve;
	}
	if (kc == KEY_SECRET) {
		take_value(l, vs, ve, option ? "command-line" : "keyword");
		return ve;
	}
	p = vs;
	if (ve - vs > 7 && (!memcmp(b + vs, "base64:", 7)))
		p = vs + 7; /* Laravel APP_KEY=base64:... */
	if (ke - ks >= 2 && ed_secret_value_looks_random(b + p, ve - p) &&
	    ed_secret_key_class(b + ks, ke - ks, 1) == KEY_OTHER &&
	    !ed_secret_value_is_plain(b + vs, ve - vs) &&
	    !ed_secret_eq_ci(b + ks, ke - ks, "sha256") &&
	    !ed_secret_eq_ci(b + ks, ke - ks, "sha1") &&
	    !ed_secret_eq_ci(b + ks, ke - ks, "sha512") &&
	    !ed_secret_eq_ci(b + ks, ke - ks, "md5")) {
		ed_secret_add_hit(l->hits, vs, ve, "entropy");
		return ve;
	}
	return ke;
}

/* Bytes after which a key or a token may start. */
static const unsigned char delim[256] = {
	[' '] = 1, ['\t'] = 1, [','] = 1, [';'] = 1, ['{'] = 1,  ['('] = 1,
	['['] = 1, ['&'] = 1,  ['?'] = 1, ['"'] = 1, ['\''] = 1, ['='] = 1,
	['|'] = 1, ['<'] = 1,  ['>'] = 1, [':'] = 1, ['@'] = 1,
};

/* 1 if some c in b[0..n) has b[i-1] among prev (blanks, or "ss"/"SS"...). */
static int byte_after(const char *b, size_t n, char c,
		      int (*ok)(const char *, size_t))
{
	const char *p = b, *end = b + n;

	while (p < end && (p = memchr(p, c, (size_t)(end - p)))) {
		if (ok(b, (size_t)(p - b)))
			return 1;
		p++;
	}
	return 0;
}

/* "-" after a blank: a command-line option */
static int option_at(const char *b, size_t i)
{
	return i > 0 && (b[i - 1] == ' ' || b[i - 1] == '\t');
}

/* the last 's' of "pass" in any case */
static int pass_at(const char *b, size_t i)
{
	return i >= 3 && (b[i - 1] | 0x20) == 's' && (b[i - 2] | 0x20) == 'a' &&
	       (b[i - 3] | 0x20) == 'p';
}

/* ':' followed by "//" */
static int url_at(const char *b, size_t i)
{
	return b[i + 1] == '/' && b[i + 2] == '/';
}

size_t ed_secret_line_end(const char *buf, size_t pos, size_t len,
			  unsigned *seen_out)
{
	const char *b = buf + pos, *nl = memchr(b, '\n', len - pos);
	size_t n = nl ? (size_t)(nl - b) : len - pos;
	unsigned seen = 0;

	/*
	 * A few vectorised searches (memchr) beat one byte loop: most lines
	 * hold none of these bytes, or only one or two.
	 */
	if (memchr(b, ':', n)) {
		seen |= SEEN_COLON;
		if (n >= 3 && byte_after(b, n - 2, ':', url_at))
			seen |= SEEN_URL;
	}
	if (byte_after(b, n, '-', option_at))
		seen |= SEEN_OPTION;
	if (memchr(b, 'z', n) || memchr(b, 'Z', n))
		seen |= SEEN_Z;
	if (byte_after(b, n, 's', pass_at) || byte_after(b, n, 'S', pass_at))
		seen |= SEEN_PASS;
	*seen_out = seen;
	return pos + n;
}

void ed_secret_scan_line(struct line_ctx *l)
{
	const char *b = l->buf;
	size_t i = skip_space(l, l->ls);

	if (i < l->le && (b[i] == '#' || b[i] == ';' || b[i] == '!' ||
			  (b[i] == '/' && i + 1 < l->le && b[i + 1] == '/'))) {
		l->comment = 1;
		while (i < l->le && (b[i] == '#' || b[i] == ';' ||
				     b[i] == '!' || b[i] == '/'))
			i++;
		i = skip_space(l, i);
	}
	if (i + 1 < l->le && b[i] == '-' && is_space((unsigned char)b[i + 1]))
		i = skip_space(l, i + 1); /* a YAML list item */
	if (i + 7 <= l->le && !memcmp(b + i, "export", 6) &&
	    is_space((unsigned char)b[i + 6]))
		i = skip_space(l, i + 6);
	l->first = i;
	while (i < l->le) {
		size_t next;

		if (i > l->first && !delim[(unsigned char)b[i - 1]]) {
			i++;
			continue;
		}
		next = ed_secret_token_at(l, i);
		if (next == i && (is_key_char((unsigned char)b[i]) ||
				  b[i] == '$' || is_quote((unsigned char)b[i])))
			next = key_at(l, i);
		i = next > i ? next : i + 1;
	}
	ed_secret_line_formats(l);
}
