/*
 * The secret detectors of one line (core/secrets.c lists them). Each
 * adds the byte spans of the secrets it finds; one pass over the line
 * decides which detectors can hit at all.
 */
#define _GNU_SOURCE /* memmem */
#include "core/secret_int.h"

#include <string.h>

#include "core/alloc.h"


/* Skip blanks from i; never past le. */
static size_t skip_space(const struct line_ctx *l, size_t i)
{
	while (i < l->le && is_space((unsigned char)l->buf[i]))
		i++;
	return i;
}

/* The end of a quoted string opened at q (the quote), or le if unclosed. */
static size_t quote_end(const struct line_ctx *l, size_t q)
{
	char c = l->buf[q];
	size_t i;

	for (i = q + 1; i < l->le; i++) {
		if (c == '"' && l->buf[i] == '\\' && i + 1 < l->le) {
			i++;
			continue;
		}
		if (l->buf[i] == c)
			return i;
	}
	return l->le;
}

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
		if ((c == ',' || c == ';' || c == '&' || is_space((unsigned char)c)) &&
		    pair_follows(l, skip_space(l, i + 1)))
			break;
	}
	while (i > v && (is_space((unsigned char)l->buf[i - 1]) ||
	                 (l->buf[i - 1] == ';' && i - 1 > v)))
		i--;
	*ve = i;
}

/* Add [vs, ve) as a hit unless its text is plainly not a secret. */
static void take_value(struct line_ctx *l, size_t vs, size_t ve,
                       const char *rule)
{
	if (ve > vs && !ed_secret_value_is_plain(l->buf + vs, ve - vs))
		ed_secret_add_hit(l->hits, vs, ve, rule);
}

static size_t word_end(const struct line_ctx *l, size_t i)
{
	while (i < l->le && !is_space((unsigned char)l->buf[i]))
		i++;
	return i;
}

/* Take the word (or quoted string) at i; returns where it ends. */
static size_t take_word(struct line_ctx *l, size_t i, const char *rule)
{
	size_t vs, ve;

	i = skip_space(l, i);
	if (i >= l->le)
		return i;
	if (is_quote((unsigned char)l->buf[i])) {
		vs = i + 1;
		ve = quote_end(l, i);
		take_value(l, vs, ve, rule);
		return ve < l->le ? ve + 1 : ve;
	}
	ve = word_end(l, i);
	take_value(l, i, ve, rule);
	return ve;
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
	{ W("requirepass"), WORD }, { W("masterauth"), WORD }, /* redis.conf */
	{ W("rocommunity"), WORD }, { W("rwcommunity"), WORD }, /* snmpd.conf(5) */
	{ W("rocommunity6"), WORD }, { W("rwcommunity6"), WORD },
	{ W("wpa-psk"), EOL }, { W("wpa-password"), EOL },   /* ifupdown wpa */
	{ W("password"), SOLE }, { W("passwd"), SOLE },      /* msmtp, .netrc */
	{ W("pass"), SOLE }, { W("secret"), SOLE },
	{ W("bindpw"), EOL }, { W("rootpw"), WORD },         /* ldap.conf, slapd */
	{ W("auth_pass"), WORD }, { W("authpass"), WORD },   /* keepalived */
	{ W("psk"), SOLE },
	{ W("wpa_passphrase"), EOL }, { W("sae_password"), EOL }, /* hostapd */
	{ W("masterpassword"), SOLE }, { W("authtoken"), SOLE },
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

/* Word n (0-based) of the line from i, as [*s, *e); 0 if absent. */
static int nth_word(const struct line_ctx *l, size_t i, unsigned n,
                    size_t *s, size_t *e)
{
	for (;;) {
		i = skip_space(l, i);
		if (i >= l->le)
			return 0;
		*s = i;
		*e = word_end(l, i);
		if (!n--)
			return 1;
		i = *e;
	}
}

/* snmpd.conf: com2sec [-Cn CTX] NAME SOURCE COMMUNITY; createUser ... */
static int snmp_line(struct line_ctx *l, size_t ks, size_t ke)
{
	size_t s, e, i;
	unsigned w = 0;

	if (ed_secret_eq_ci(l->buf + ks, ke - ks, "com2sec") ||
	    ed_secret_eq_ci(l->buf + ks, ke - ks, "com2sec6")) {
		if (nth_word(l, ke, 0, &s, &e) && l->buf[s] == '-')
			w = 2;
		if (nth_word(l, ke, w + 2, &s, &e))
			take_value(l, s, e, "daemon");
		return 1;
	}
	if (!ed_secret_eq_ci(l->buf + ks, ke - ks, "createUser"))
		return 0;
	/* createUser [-e ENGINEID] USER AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]] */
	if (nth_word(l, ke, 0, &s, &e) && ed_secret_eq_ci(l->buf + s, e - s, "-e"))
		w = 2;
	for (i = w + 2; i <= w + 4; i += 2)
		if (nth_word(l, ke, (unsigned)i, &s, &e)) {
			if (is_quote((unsigned char)l->buf[s]))
				take_word(l, s, "daemon");
			else
				take_value(l, s, e, "daemon");
		}
	return 1;
}

/* A key at the start of the line followed by blanks, not by = or :. */
static void daemon_line(struct line_ctx *l, size_t ks, size_t ke)
{
	const struct daemon_kw *kw;
	size_t v, vs, ve;

	if (snmp_line(l, ks, ke))
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
		size_t q = quote_end(l, v);

		if ((kw->end == SOLE || l->comment) && q + 1 < ve)
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

static size_t prev_nonspace(const struct line_ctx *l, size_t i)
{
	while (i > l->ls && is_space((unsigned char)l->buf[i - 1]))
		i--;
	return i;
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
	s = skip_space(l, s);
	/* <password>VALUE</password> */
	if (before == '<' && s < l->le && b[s] == '>' &&
	    ed_secret_key_names_secret(b + ks, ke - ks)) {
		vs = s + 1;
		ve = vs;
		while (ve < l->le && b[ve] != '<')
			ve++;
		take_value(l, vs, ve, "keyword");
		return ve;
	}
	/* define('DB_PASSWORD', 'value') */
	if (quoted && pre == '(' && s < l->le && b[s] == ',') {
		size_t v = skip_space(l, s + 1);

		if (v < l->le && is_quote((unsigned char)b[v]) &&
		    ed_secret_key_names_secret(b + ks, ke - ks)) {
			take_value(l, v + 1, quote_end(l, v), "keyword");
			return quote_end(l, v);
		}
		return s;
	}
	sep = separator(l, s);
	if (!sep) {
		if (!midline && s > ke)
			daemon_line(l, ks, ke);
		else if (option && s > ke && ed_secret_key_names_secret(b + ks, ke - ks))
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
	if (kc == KEY_SECRET) {
		take_value(l, vs, ve, option ? "command-line" : "keyword");
		return ve;
	}
	if (ke - ks >= 2 && ed_secret_value_looks_random(b + vs, ve - vs) &&
	    ed_secret_key_class(b + ks, ke - ks, 1) == KEY_OTHER &&
	    !ed_secret_value_is_plain(b + vs, ve - vs) &&
	    !ed_secret_eq_ci(b + ks, ke - ks, "sha256") && !ed_secret_eq_ci(b + ks, ke - ks, "sha1") &&
	    !ed_secret_eq_ci(b + ks, ke - ks, "sha512") && !ed_secret_eq_ci(b + ks, ke - ks, "md5")) {
		ed_secret_add_hit(l->hits, vs, ve, "entropy");
		return ve;
	}
	return ke;
}

/* The longest run of token characters from i. */
static size_t token_end(const struct line_ctx *l, size_t i)
{
	while (i < l->le && (is_alnum((unsigned char)l->buf[i]) ||
	                     l->buf[i] == '_' || l->buf[i] == '-' ||
	                     l->buf[i] == '.'))
		i++;
	return i;
}

/* Well-known token formats (gitleaks, GitHub, GitLab, Slack, AWS ...). */
static size_t token_prefix(struct line_ctx *l, size_t i)
{
	static const struct {
		const char *prefix;
		size_t min_rest;
	} prefixes[] = {
		{ "ghp_", 30 },  { "gho_", 30 },  { "ghu_", 30 },
		{ "ghs_", 30 },  { "ghr_", 30 },  { "github_pat_", 30 },
		{ "glpat-", 16 }, { "xoxb-", 16 }, { "xoxp-", 16 },
		{ "xoxa-", 16 }, { "xoxr-", 16 }, { "xoxs-", 16 },
		{ "sk_live_", 16 }, { "rk_live_", 16 }, { "sk_test_", 16 },
		{ "AKIA", 16 },  { "ASIA", 16 },  { "AIza", 30 },
		{ "SG.", 30 },   { "npm_", 30 },  { "hf_", 30 },
		{ "pypi-", 30 }, { "dop_v1_", 30 }, { "shpat_", 20 },
	};
	size_t k, n, e;

	/* every prefix starts with one of these: most tokens stop here */
	static const unsigned char first[256] = {
		['g'] = 1, ['x'] = 1, ['s'] = 1, ['r'] = 1, ['A'] = 1,
		['S'] = 1, ['h'] = 1, ['n'] = 1, ['p'] = 1, ['d'] = 1,
	};

	if (!first[(unsigned char)l->buf[i]])
		return i;
	/* the shortest token is 20 bytes: most words stop here */
	e = token_end(l, i);
	if (e - i < 20)
		return i;
	for (k = 0; k < ED_ARRAY_SIZE(prefixes); k++) {
		if (prefixes[k].prefix[0] != l->buf[i])
			continue;
		n = strlen(prefixes[k].prefix);
		if (i + n > l->le || memcmp(l->buf + i, prefixes[k].prefix, n))
			continue;
		e = token_end(l, i + n);
		if (e - i - n >= prefixes[k].min_rest) {
			ed_secret_add_hit(l->hits, i, e, "token");
			return e;
		}
	}
	return i;
}

/* eyJ...eyJ... base64url header.payload.signature */
static size_t jwt_at(struct line_ctx *l, size_t i)
{
	size_t j = i, parts = 0, s;

	if (l->buf[i] != 'e' || i + 3 > l->le || l->buf[i + 1] != 'y' ||
	    l->buf[i + 2] != 'J')
		return i;
	while (parts < 3) {
		s = j;
		while (j < l->le && (is_alnum((unsigned char)l->buf[j]) ||
		                     l->buf[j] == '_' || l->buf[j] == '-'))
			j++;
		if (j - s < (parts < 2 ? 10u : 0u))
			return i;
		parts++;
		if (parts < 3) {
			if (j >= l->le || l->buf[j] != '.')
				return i;
			j++;
		}
	}
	ed_secret_add_hit(l->hits, i, j, "jwt");
	return j;
}

/* $id$salt$hash (crypt(3)) and {SCHEME}hash (LDAP, dovecot). */
static size_t crypt_at(struct line_ctx *l, size_t i)
{
	const char *b = l->buf;
	size_t j = i + 1, e;

	if (b[i] == '$') {
		while (j < l->le && j - i <= 17 &&
		       (is_lower((unsigned char)b[j]) || is_digit((unsigned char)b[j]) ||
		        b[j] == '-'))
			j++;
		if (j == i + 1 || j >= l->le || b[j] != '$')
			return i;
	} else if (b[i] == '{') {
		while (j < l->le && j - i <= 22 &&
		       (is_upper((unsigned char)b[j]) || is_digit((unsigned char)b[j]) ||
		        b[j] == '-'))
			j++;
		if (j - i < 3 || j >= l->le || b[j] != '}')
			return i;
	} else {
		return i;
	}
	e = j + 1;
	while (e < l->le && (is_alnum((unsigned char)b[e]) ||
	                     strchr("./$=,+-", b[e])))
		e++;
	if (e - j - 1 < 8)
		return i;
	ed_secret_add_hit(l->hits, i, e, "crypt-hash");
	return e;
}

/* smbpasswd: NAME:UID:LMHASH:NTHASH:[FLAGS]:LCT-... */
static void smbpasswd_line(struct line_ctx *l)
{
	size_t f[8], nf = 0, i;

	f[nf++] = l->ls;
	for (i = l->ls; i < l->le && nf < ED_ARRAY_SIZE(f); i++)
		if (l->buf[i] == ':')
			f[nf++] = i + 1;
	if (nf < 6)
		return;
	for (i = 2; i <= 3; i++) {
		size_t s = f[i], e = f[i + 1] - 1;

		if (e - s == 32 && ed_secret_all_hex(l->buf + s, 32))
			ed_secret_add_hit(l->hits, s, e, "crypt-hash");
	}
}

/* scheme://user:PASSWORD@host */
static void url_userinfo(struct line_ctx *l, size_t at)
{
	const char *b = l->buf;
	size_t u = at + 3, j, last_at = 0, colon = 0;

	for (j = u; j < l->le; j++) {
		char c = b[j];

		if (c == '/' || c == '?' || c == '#' || is_space((unsigned char)c) ||
		    is_quote((unsigned char)c) || c == '<' || c == '>')
			break;
		if (c == '@')
			last_at = j;
	}
	if (!last_at)
		return;
	for (j = u; j < last_at; j++)
		if (b[j] == ':') {
			colon = j;
			break;
		}
	if (colon)
		take_value(l, colon + 1, last_at, "url-userinfo");
	else if (ed_secret_value_looks_random(b + u, last_at - u))
		ed_secret_add_hit(l->hits, u, last_at, "url-userinfo");
}

/* Authorization: Bearer|Basic|Token ... CREDENTIALS */
static void authorization(struct line_ctx *l, const char *at)
{
	size_t i = (size_t)(at - l->buf) + strlen("authorization"), s, e;

	while (i < l->le && is_quote((unsigned char)l->buf[i]))
		i++;
	i = skip_space(l, i);
	if (i >= l->le || (l->buf[i] != ':' && l->buf[i] != '='))
		return;
	i = skip_space(l, i + 1);
	if (i < l->le && is_quote((unsigned char)l->buf[i]))
		i++;
	s = i;
	while (i < l->le && is_alpha((unsigned char)l->buf[i]))
		i++;
	if (i > s && i < l->le && is_space((unsigned char)l->buf[i]))
		s = skip_space(l, i);
	e = s;
	while (e < l->le && !is_space((unsigned char)l->buf[e]) &&
	       !is_quote((unsigned char)l->buf[e]))
		e++;
	take_value(l, s, e, "authorization");
}

/*
 * Command lines: curl/wget -u USER:PASS, mysql -pPASS, sshpass -p PASS,
 * redis-cli -a PASS, ldapsearch -w PASS, smbclient -U USER%PASS.
 */
static void command_line(struct line_ctx *l)
{
	static const struct {
		const char *program, *option;
		int attached;
	} opts[] = {
		{ "mysql", "-p", 1 },    { "sshpass", "-p", 0 },
		{ "redis-cli", "-a", 0 }, { "ldapsearch", "-w", 0 },
		{ "ldapmodify", "-w", 0 }, { "ldapadd", "-w", 0 },
		{ "ldapdelete", "-w", 0 }, { "mosquitto_", "-P", 0 },
	};
	const char *b = l->buf;
	size_t i, k;

	for (i = l->ls; i + 2 < l->le; i++) {
		size_t s, e;

		if (b[i] != '-' || (i > l->ls && !is_space((unsigned char)b[i - 1])))
			continue;
		/* -u USER:PASS, --user USER:PASS, -U USER%PASS */
		if ((b[i + 1] == 'u' || b[i + 1] == 'U') && is_space((unsigned char)b[i + 2]))
			s = i + 2;
		else if (ed_secret_has_prefix_ci(b + i, b + l->le, "--user") &&
		         i + 6 < l->le && (is_space((unsigned char)b[i + 6]) || b[i + 6] == '='))
			s = i + 7;
		else if (ed_secret_has_prefix_ci(b + i, b + l->le, "--proxy-user") &&
		         i + 12 < l->le && (is_space((unsigned char)b[i + 12]) || b[i + 12] == '='))
			s = i + 13;
		else
			s = 0;
		if (s) {
			int q;

			s = skip_space(l, s);
			q = s < l->le && is_quote((unsigned char)b[s]);
			e = q ? quote_end(l, s) : word_end(l, s);
			if (q)
				s++;
			for (k = s; k < e; k++)
				if (b[k] == ':' || (b[i + 1] == 'U' && b[k] == '%')) {
					take_value(l, k + 1, e, "command-line");
					break;
				}
		}
	}
	for (i = l->ls + 1; i + 2 < l->le; i++) {
		if (b[i] != '-' || !is_space((unsigned char)b[i - 1]))
			continue;
		for (k = 0; k < ED_ARRAY_SIZE(opts); k++) {
			const char *prog;

			if (b[i + 1] != opts[k].option[1])
				continue;
			prog = ed_secret_find_ci(b + l->ls, b + i, opts[k].program);
			if (!prog)
				continue;
			if (opts[k].attached && !is_space((unsigned char)b[i + 2]) &&
			    b[i + 2] != '-')
				take_word(l, i + 2, "command-line");
			else if (!opts[k].attached && is_space((unsigned char)b[i + 2]))
				take_word(l, i + 2, "command-line");
			break;
		}
	}
}

/* ipsec.secrets(5): [selectors] : PSK|EAP|XAUTH|NTLM|PIN "secret" */
static void ipsec_line(struct line_ctx *l)
{
	static const char *const kinds[] = { "PSK", "EAP", "XAUTH", "NTLM",
		                             "PIN", "BIG5" };
	const char *b = l->buf;
	size_t i, k;

	for (i = l->ls; i < l->le; i++) {
		if (b[i] != ':' || (i + 1 < l->le && !is_space((unsigned char)b[i + 1])))
			continue;
		i = skip_space(l, i + 1);
		for (k = 0; k < ED_ARRAY_SIZE(kinds); k++) {
			size_t n = strlen(kinds[k]);

			if (i + n < l->le && !memcmp(b + i, kinds[k], n) &&
			    is_space((unsigned char)b[i + n])) {
				size_t v = skip_space(l, i + n);

				if (v < l->le && is_quote((unsigned char)b[v]))
					take_value(l, v + 1, quote_end(l, v), "ipsec");
				else
					take_value(l, v, word_end(l, v), "ipsec");
				return;
			}
		}
	}
}

/* 1 if the line holds word, blank-separated, any case. */
static int has_word(const struct line_ctx *l, const char *word)
{
	size_t n = strlen(word), i;

	for (i = l->ls; i + n <= l->le; i++)
		if ((i == l->ls || is_space((unsigned char)l->buf[i - 1])) &&
		    (i + n == l->le || is_space((unsigned char)l->buf[i + n])) &&
		    ed_secret_has_prefix_ci(l->buf + i, l->buf + l->le, word))
			return 1;
	return 0;
}

/* fetchmail's "password 'x'" and netrc's "login u password x" mid-line. */
static void password_word(struct line_ctx *l)
{
	static const char *const words[] = { "password", "passwd", "pass" };
	const char *b = l->buf;
	size_t i, k;
	int netrc;

	if (l->comment)
		return;
	netrc = has_word(l, "login") || has_word(l, "machine") ||
	        has_word(l, "user") || has_word(l, "username");
	for (i = l->first + 1; i < l->le; i++) {
		if (!is_space((unsigned char)b[i - 1]))
			continue;
		for (k = 0; k < ED_ARRAY_SIZE(words); k++) {
			size_t n = strlen(words[k]), v;

			if (i + n >= l->le || !ed_secret_has_prefix_ci(b + i, b + l->le, words[k]) ||
			    !is_space((unsigned char)b[i + n]))
				continue;
			v = skip_space(l, i + n);
			if (v < l->le && (netrc || is_quote((unsigned char)b[v])))
				take_word(l, v, "daemon");
			break;
		}
	}
}

/* Bytes after which a key or a token may start. */
static const unsigned char delim[256] = {
	[' '] = 1, ['\t'] = 1, [','] = 1, [';'] = 1, ['{'] = 1, ['('] = 1,
	['['] = 1, ['&'] = 1, ['?'] = 1, ['"'] = 1, ['\''] = 1, ['='] = 1,
	['|'] = 1, ['<'] = 1, ['>'] = 1, [':'] = 1, ['@'] = 1,
};


/* 1 if some c in b[0..n) has b[i-1] among prev (blanks, or "ss"/"SS"...). */
static int byte_after(const char *b, size_t n, char c, int (*ok)(const char *, size_t))
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
	const char *at;
	unsigned seen;

	if (i < l->le && (b[i] == '#' || b[i] == ';' || b[i] == '!' ||
	                  (b[i] == '/' && i + 1 < l->le && b[i + 1] == '/'))) {
		l->comment = 1;
		while (i < l->le && (b[i] == '#' || b[i] == ';' || b[i] == '!' ||
		                     b[i] == '/'))
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
		next = token_prefix(l, i);
		if (next == i)
			next = jwt_at(l, i);
		if (next == i)
			next = crypt_at(l, i);
		if (next == i && (is_key_char((unsigned char)b[i]) || b[i] == '$' ||
		                  is_quote((unsigned char)b[i])))
			next = key_at(l, i);
		i = next > i ? next : i + 1;
	}
	seen = l->seen;
	if (seen & SEEN_URL)
		for (at = b + l->ls;
		     (at = memmem(at, (size_t)(b + l->le - at), "://", 3));
		     at += 3)
			url_userinfo(l, (size_t)(at - b));
	if (seen & SEEN_Z) {
		at = ed_secret_find_ci(b + l->ls, b + l->le, "authorization");
		if (at)
			authorization(l, at);
	}
	if (seen & SEEN_OPTION)
		command_line(l);
	if (seen & SEEN_COLON) {
		ipsec_line(l);
		smbpasswd_line(l);
	}
	if (seen & SEEN_PASS)
		password_word(l);
}
