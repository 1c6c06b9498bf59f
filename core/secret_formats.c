/*
 * The secret detectors for formats with a shape of their own: positional
 * secrets (snmpd, redis ACLs and sentinel, NUT, ipsec.secrets, smbpasswd),
 * URLs, command lines, Authorization headers, token prefixes, JWTs and
 * password hashes. core/secret_lines.c reads keys and values and calls
 * these; core/secrets.c lists every detector.
 */
#define _GNU_SOURCE /* memmem */
#include "core/secret_int.h"

#include <string.h>

#include "core/alloc.h"

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

/* Well-known token formats (gitleaks, GitHub, GitLab, Slack, AWS ...). */
static size_t token_prefix(struct line_ctx *l, size_t i)
{
	static const struct {
		const char *prefix;
		size_t min_rest;
	} prefixes[] = {
		{ "ghp_", 30 },         { "gho_", 30 },
		{ "ghu_", 30 },         { "ghs_", 30 },
		{ "ghr_", 30 },         { "github_pat_", 30 },
		{ "glpat-", 16 },       { "xoxb-", 16 },
		{ "xoxp-", 16 },        { "xoxa-", 16 },
		{ "xoxr-", 16 },        { "xoxs-", 16 },
		{ "sk_live_", 16 },     { "rk_live_", 16 },
		{ "sk_test_", 16 },     { "AKIA", 16 },
		{ "ASIA", 16 },         { "AIza", 30 },
		{ "SG.", 30 },          { "npm_", 30 },
		{ "hf_", 30 },          { "pypi-", 30 },
		{ "dop_v1_", 30 },      { "shpat_", 20 },
		{ "grub.pbkdf2.", 30 },
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
		       (is_lower((unsigned char)b[j]) ||
			is_digit((unsigned char)b[j]) || b[j] == '-'))
			j++;
		if (j == i + 1 || j >= l->le || b[j] != '$')
			return i;
	} else if (b[i] == '{') {
		/* {SSHA}, {CRYPT}, {PBKDF2-SHA256}: not {10}name (LDIF order) */
		if (j >= l->le || !is_upper((unsigned char)b[j]))
			return i;
		while (j < l->le && j - i <= 22 &&
		       (is_upper((unsigned char)b[j]) ||
			is_digit((unsigned char)b[j]) || b[j] == '-'))
			j++;
		if (j - i < 3 || j >= l->le || b[j] != '}')
			return i;
	} else {
		return i;
	}
	e = j + 1;
	while (e < l->le &&
	       (is_alnum((unsigned char)b[e]) || strchr("./$=,+-", b[e])))
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

		if (c == '/' || c == '?' || c == '#' ||
		    is_space((unsigned char)c) || is_quote((unsigned char)c) ||
		    c == '<' || c == '>')
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

	static const char *const schemes[] = { "basic",  "bearer",    "token",
					       "digest", "negotiate", "ntlm",
					       "apikey", "key",       "sso-key" };
	int sep = 0, scheme = 0;
	size_t k;

	while (i < l->le && is_quote((unsigned char)l->buf[i]))
		i++;
	i = skip_space(l, i);
	if (i < l->le && (l->buf[i] == ':' || l->buf[i] == '=')) {
		sep = 1;
		i++;
	}
	i = skip_space(l, i);
	if (i < l->le && is_quote((unsigned char)l->buf[i]))
		i++;
	s = i;
	while (i < l->le && is_alpha((unsigned char)l->buf[i]))
		i++;
	for (k = 0; k < ED_ARRAY_SIZE(schemes); k++)
		scheme |= ed_secret_eq_ci(l->buf + s, i - s, schemes[k]);
	/* "RequestHeader set Authorization "Bearer X"": no ':', a scheme */
	if (!sep && !scheme)
		return;
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
		{ "mysql", "-p", 1 },      { "sshpass", "-p", 0 },
		{ "redis-cli", "-a", 0 },  { "ldapsearch", "-w", 0 },
		{ "ldapmodify", "-w", 0 }, { "ldapadd", "-w", 0 },
		{ "ldapdelete", "-w", 0 }, { "mosquitto_", "-P", 0 },
	};
	const char *b = l->buf;
	size_t i, k;

	for (i = l->ls; i + 2 < l->le; i++) {
		size_t s, e;

		if (b[i] != '-' ||
		    (i > l->ls && !is_space((unsigned char)b[i - 1])))
			continue;
		/* -u USER:PASS, --user USER:PASS, -U USER%PASS */
		if ((b[i + 1] == 'u' || b[i + 1] == 'U') &&
		    is_space((unsigned char)b[i + 2]))
			s = i + 2;
		else if (ed_secret_has_prefix_ci(b + i, b + l->le, "--user") &&
			 i + 6 < l->le &&
			 (is_space((unsigned char)b[i + 6]) || b[i + 6] == '='))
			s = i + 7;
		else if (ed_secret_has_prefix_ci(b + i, b + l->le, "--proxy-user") &&
			 i + 12 < l->le &&
			 (is_space((unsigned char)b[i + 12]) || b[i + 12] == '='))
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
				if (b[k] == ':' ||
				    (b[i + 1] == 'U' && b[k] == '%')) {
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
			prog = ed_secret_find_ci(b + l->ls, b + i,
						 opts[k].program);
			if (!prog)
				continue;
			if (opts[k].attached &&
			    !is_space((unsigned char)b[i + 2]) && b[i + 2] != '-')
				take_word(l, i + 2, "command-line");
			else if (!opts[k].attached &&
				 is_space((unsigned char)b[i + 2]))
				take_word(l, i + 2, "command-line");
			break;
		}
	}
}

/* ipsec.secrets(5): [selectors] : PSK|EAP|XAUTH|NTLM|PIN "secret" */
static void ipsec_line(struct line_ctx *l)
{
	static const char *const kinds[] = { "PSK",  "EAP", "XAUTH",
					     "NTLM", "PIN", "BIG5" };
	const char *b = l->buf;
	size_t i, k;

	for (i = l->ls; i < l->le; i++) {
		if (b[i] != ':' ||
		    (i + 1 < l->le && !is_space((unsigned char)b[i + 1])))
			continue;
		i = skip_space(l, i + 1);
		for (k = 0; k < ED_ARRAY_SIZE(kinds); k++) {
			size_t n = strlen(kinds[k]);

			if (i + n < l->le && !memcmp(b + i, kinds[k], n) &&
			    is_space((unsigned char)b[i + n])) {
				size_t v = skip_space(l, i + n);

				if (v < l->le && is_quote((unsigned char)b[v]))
					take_value(l, v + 1, quote_end(l, v),
						   "ipsec");
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
	static const char *const words[] = { "password", "passwd", "pass",
					     "insecure-password" };
	const char *b = l->buf;
	size_t i, k;
	int netrc;

	if (l->comment)
		return;
	netrc = has_word(l, "login") || has_word(l, "machine") ||
		has_word(l, "default");
	for (i = l->first + 1; i < l->le; i++) {
		if (!is_space((unsigned char)b[i - 1]))
			continue;
		for (k = 0; k < ED_ARRAY_SIZE(words); k++) {
			size_t n = strlen(words[k]), v;

			if (i + n >= l->le ||
			    !ed_secret_has_prefix_ci(b + i, b + l->le, words[k]) ||
			    !is_space((unsigned char)b[i + n]))
				continue;
			v = skip_space(l, i + n);
			if (v < l->le && (netrc || is_quote((unsigned char)b[v])))
				take_word(l, v, "daemon");
			break;
		}
	}
}

size_t ed_secret_token_at(struct line_ctx *l, size_t i)
{
	size_t next;

	/* envdrift's own token, in a stored copy read back (audit-secrets) */
	if (l->buf[i] == 'h' && i + 69 <= l->le &&
	    !memcmp(l->buf + i, "hmac:", 5) &&
	    ed_secret_all_hex(l->buf + i + 5, 64) &&
	    (i + 69 == l->le || !is_hex((unsigned char)l->buf[i + 69])))
		return i + 69;
	next = token_prefix(l, i);

	if (next == i)
		next = jwt_at(l, i);
	if (next == i)
		next = crypt_at(l, i);
	return next;
}

/* The word after the first one equal to word (any case), from i. */
static int after_word(const struct line_ctx *l, size_t i, const char *word,
		      size_t *s, size_t *e)
{
	while (nth_word(l, i, 0, s, e)) {
		i = *e;
		if (ed_secret_eq_ci(l->buf + *s, *e - *s, word))
			return nth_word(l, i, 0, s, e);
	}
	return 0;
}

/* Commands that set a named value: "SetEnv DB_PASSWORD x" and friends. */
static const char *const setters[] = {
	"setenv",        "fastcgi_param",
	"uwsgi_param",   "scgi_param",
	"env",           "set",
	"passenv",       "proxy_set_header",
	"add_header",    "grpc_set_header",
	"requestheader", "header",
	"export",        "declare",
	"readonly",      "local",
	"define",
};

int ed_secret_positional(struct line_ctx *l, size_t ks, size_t ke)
{
	const char *b = l->buf;
	const char *k = b + ks;
	size_t n = ke - ks, s, e, i;

	/* the first letters of every name below: most lines stop here */
	static const unsigned char first[256] = {
		['c'] = 1, ['u'] = 1, ['m'] = 1, ['s'] = 1, ['p'] = 1,
		['f'] = 1, ['e'] = 1, ['a'] = 1, ['g'] = 1, ['r'] = 1,
		['h'] = 1, ['d'] = 1, ['l'] = 1,
	};

	/*
	 * Commented-out lines of these formats are mostly documentation
	 * ("# createUser username (MD5|SHA) passphrase"): not read.
	 */
	if (l->comment || !first[lower((unsigned char)*k)])
		return 0;
	if (snmp_line(l, ks, ke))
		return 1;
	/* redis ACL (redis.conf, users.acl): "user NAME ... >password #sha256" */
	if (ed_secret_eq_ci(k, n, "user") && !l->comment) {
		for (i = ke; nth_word(l, i, 0, &s, &e); i = e) {
			if (b[s] == '>' && e > s + 1)
				take_value(l, s + 1, e, "daemon");
			else if (b[s] == '#' && e - s == 65 &&
				 ed_secret_all_hex(b + s + 1, 64))
				ed_secret_add_hit(l->hits, s + 1, e, "crypt-hash");
		}
		/* haproxy userlist: "user NAME insecure-password X" */
		if (after_word(l, ke, "insecure-password", &s, &e) ||
		    after_word(l, ke, "password", &s, &e))
			take_word(l, s, "daemon");
		return 1;
	}
	/* redis sentinel: "sentinel auth-pass MASTER X", "sentinel sentinel-pass X" */
	if (ed_secret_eq_ci(k, n, "sentinel")) {
		if (nth_word(l, ke, 0, &s, &e) &&
		    ed_secret_eq_ci(b + s, e - s, "auth-pass") &&
		    nth_word(l, e, 1, &s, &e))
			take_word(l, s, "daemon");
		else if (after_word(l, ke, "sentinel-pass", &s, &e))
			take_word(l, s, "daemon");
		return 1;
	}
	/*
	 * snmpd's persistent usmUser lines (/var/lib/snmp/snmpd.conf): the
	 * localized auth and priv keys are hex words after the engine id.
	 */
	if (ed_secret_eq_ci(k, n, "usmUser")) {
		int seen_engine = 0;

		for (i = ke; nth_word(l, i, 0, &s, &e); i = e) {
			if (e - s < 18 || b[s] != '0' || (b[s + 1] | 0x20) != 'x' ||
			    !ed_secret_all_hex(b + s + 2, e - s - 2))
				continue;
			if (seen_engine)
				ed_secret_add_hit(l->hits, s + 2, e, "daemon");
			seen_engine = 1;
		}
		return 1;
	}
	/* NUT upsmon.conf(5): MONITOR system powervalue username password type */
	if (ed_secret_eq_ci(k, n, "MONITOR") && nth_word(l, ke, 3, &s, &e)) {
		take_value(l, s, e, "daemon");
		return 1;
	}
	/* haproxy: "stats auth USER:PASS" */
	if (ed_secret_eq_ci(k, n, "stats") && after_word(l, ke, "auth", &s, &e)) {
		const char *c = memchr(b + s, ':', e - s);

		if (c)
			take_value(l, (size_t)(c - b) + 1, e, "daemon");
		return 1;
	}
	/* GRUB: "password_pbkdf2 USER HASH", "password USER PLAIN" */
	if (ed_secret_eq_ci(k, n, "password_pbkdf2") &&
	    nth_word(l, ke, 1, &s, &e)) {
		take_value(l, s, e, "crypt-hash");
		return 1;
	}
	/* SetEnv DB_PASSWORD x; fastcgi_param DB_PASSWORD "x"; */
	for (i = 0; i < ED_ARRAY_SIZE(setters); i++)
		if (ed_secret_eq_ci(k, n, setters[i]))
			break;
	if (i < ED_ARRAY_SIZE(setters) && nth_word(l, ke, 0, &s, &e)) {
		size_t ns = s, ne = e;

		/* RequestHeader set NAME VALUE */
		if (ed_secret_eq_ci(b + s, e - s, "set") ||
		    ed_secret_eq_ci(b + s, e - s, "add") ||
		    ed_secret_eq_ci(b + s, e - s, "append"))
			if (!nth_word(l, e, 0, &ns, &ne))
				return 1;
		if (is_quote((unsigned char)b[ns]))
			ns++;
		while (ne > ns &&
		       (is_quote((unsigned char)b[ne - 1]) || b[ne - 1] == ':'))
			ne--;
		if (ed_secret_key_names_secret(b + ns, ne - ns) &&
		    nth_word(l, ne, 0, &s, &e)) {
			while (e > s && b[e - 1] == ';')
				e--;
			if (is_quote((unsigned char)b[s]))
				take_value(l, s + 1, quote_end(l, s), "keyword");
			else
				take_value(l, s, e, "keyword");
		}
		return 1;
	}
	return 0;
}

/* SQL: CREATE USER ... IDENTIFIED BY 'x' (MySQL), ... PASSWORD 'x' (PostgreSQL) */
static void sql_identified(struct line_ctx *l)
{
	const char *b = l->buf,
		   *at = ed_secret_find_ci(b + l->ls, b + l->le, "identified");
	size_t s, e;

	if (at && after_word(l, (size_t)(at - b), "by", &s, &e) &&
	    is_quote((unsigned char)b[s]))
		take_value(l, s + 1, quote_end(l, s), "keyword");
}

/* Webhook URLs whose path is the secret (Slack, Discord, Teams). */
static void webhook(struct line_ctx *l)
{
	static const char *const hooks[] = { "hooks.slack.com/services/",
					     "discord.com/api/webhooks/",
					     "discordapp.com/api/webhooks/",
					     "webhook.office.com/webhookb2/" };
	const char *b = l->buf, *at;
	size_t k, s, e;

	for (k = 0; k < ED_ARRAY_SIZE(hooks); k++) {
		at = ed_secret_find_ci(b + l->ls, b + l->le, hooks[k]);
		if (!at)
			continue;
		s = (size_t)(at - b) + strlen(hooks[k]);
		for (e = s; e < l->le && !is_space((unsigned char)b[e]) &&
			    !is_quote((unsigned char)b[e]);
		     e++)
			;
		take_value(l, s, e, "token");
	}
}

void ed_secret_line_formats(struct line_ctx *l)
{
	const char *b = l->buf, *at;

	if (l->seen & SEEN_URL) {
		for (at = b + l->ls;
		     (at = memmem(at, (size_t)(b + l->le - at), "://", 3));
		     at += 3)
			url_userinfo(l, (size_t)(at - b));
		webhook(l);
	}
	if (memchr(b + l->ls, '\'', l->le - l->ls))
		sql_identified(l);
	if (l->seen & SEEN_Z) {
		at = ed_secret_find_ci(b + l->ls, b + l->le, "authorization");
		if (at)
			authorization(l, at);
	}
	if (l->seen & SEEN_OPTION)
		command_line(l);
	if (l->seen & SEEN_COLON) {
		ipsec_line(l);
		smbpasswd_line(l);
	}
	if (l->seen & SEEN_PASS)
		password_word(l);
}
