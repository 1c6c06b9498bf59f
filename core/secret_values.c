/*
 * What keys and values look like to the secret detectors: which key names
 * a secret, which values are plainly not one, and which look random.
 */
#include "core/secret_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

/* Shortest random-looking value taken as a secret (detect-secrets: 20). */
#define RANDOM_MIN 20

int ed_secret_has_prefix_ci(const char *p, const char *end, const char *pre)
{
	for (; *pre; pre++, p++)
		if (p >= end ||
		    lower((unsigned char)*p) != lower((unsigned char)*pre))
			return 0;
	return 1;
}

int ed_secret_eq_ci(const char *p, size_t n, const char *word)
{
	size_t i;

	/* no strlen: most calls end at the first byte */
	for (i = 0; i < n; i++)
		if (!word[i] ||
		    lower((unsigned char)p[i]) != lower((unsigned char)word[i]))
			return 0;
	return word[n] == '\0';
}

const char *ed_secret_find_ci(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (lower((unsigned char)*p) == needle[0] &&
		    ed_secret_has_prefix_ci(p, end, needle))
			return p;
	return NULL;
}

/* ---- what a key and a value look like ---- */

/*
 * Normalised key words: lowercase letters and digits only, so DB_PASSWORD,
 * db-password, dbPassword and "db.password" all read "dbpassword". A key
 * names a secret when it ends in one of these...
 */
static const struct word secret_suffixes[] = {
	W("password"),      W("passwd"),        W("passphrase"),
	W("secret"),        W("token"),         W("credential"),
	W("credentials"),   W("apikey"),        W("privatekey"),
	W("secretkey"),     W("presharedkey"),  W("psk"),
	W("pwd"),           W("authtok"),       W("accesskey"),
	W("authkey"),       W("encryptionkey"), W("signingkey"),
	W("masterkey"),     W("hmackey"),       W("bindpw"),
	W("rootpw"),        W("authpass"),      W("community"),
	W("secretkeybase"), W("keypassword"),   W("storepass"),
	W("keypass"),       W("authtoken"),     W("accesstoken"),
	W("refreshtoken"),  W("clientsecret"),  W("salt"),
	W("keydata"),       W("appkey"),        W("privkey"),
	W("cookie"),
};
/* ... or whose last word is one of these ... */
static const struct word secret_last_words[] = { W("pass"), W("pw") };
/*
 * ... or that holds one of these anywhere, unless its last word says the
 * value is about the secret rather than the secret itself.
 */
static const struct word secret_infixes[] = {
	W("password"),   W("passwd"),     W("passphrase"),
	W("secret"),     W("credential"), W("apikey"),
	W("privatekey"), W("authtoken"),  W("accesstoken"),
};
static const struct word not_secret_last_words[] = {
	W("file"),       W("files"),       W("path"),
	W("dir"),        W("directory"),   W("command"),
	W("cmd"),        W("program"),     W("min"),
	W("max"),        W("length"),      W("len"),
	W("size"),       W("lifetime"),    W("ttl"),
	W("timeout"),    W("expiry"),      W("expire"),
	W("expires"),    W("expiration"),  W("age"),
	W("days"),       W("type"),        W("method"),
	W("methods"),    W("mode"),        W("policy"),
	W("hash"),       W("hashing"),     W("algorithm"),
	W("algo"),       W("scheme"),      W("format"),
	W("enabled"),    W("enable"),      W("disabled"),
	W("disable"),    W("required"),    W("require"),
	W("prompt"),     W("maps"),        W("map"),
	W("url"),        W("uri"),         W("authentication"),
	W("chars"),      W("rounds"),      W("complexity"),
	W("history"),    W("change"),      W("reset"),
	W("field"),      W("name"),        W("id"),
	W("env"),        W("source"),      W("backend"),
	W("provider"),   W("helper"),      W("plugin"),
	W("module"),     W("manager"),     W("quality"),
	W("check"),      W("warn"),        W("warning"),
	W("encryption"), W("version"),     W("count"),
	W("limit"),      W("attempts"),    W("retries"),
	W("retry"),      W("interval"),    W("delay"),
	W("cache"),      W("db"),          W("database"),
	W("table"),      W("query"),       W("header"),
	W("location"),   W("ref"),         W("store"),
	W("storage"),    W("len"),         W("minlen"),
	W("maxlen"),     W("strength"),    W("validity"),
	W("warnage"),    W("inactive"),    W("cost"),
	W("level"),      W("style"),       W("hint"),
	W("label"),      W("server"),      W("host"),
	W("port"),       W("user"),        W("username"),
	W("login"),      W("list"),        W("dn"),
	W("uid"),        W("group"),       W("owner"),
	W("perms"),      W("permissions"), W("regex"),
	W("pattern"),    W("class"),       W("handler"),
	W("endpoint"),   W("ou"),          W("validators"),
	W("validator"),
};
/* Whole-key endings that name something public about a key or a secret. */
static const struct word not_secret_suffixes[] = {
	W("publickey"),
	W("pubkey"),
	W("certificate"),
	W("certificatedata"),
	W("authoritydata"),
	W("fingerprint"),
	W("checksum"),
	W("thumbprint"),
	W("uuid"),
	W("guid"),
	W("engineid"),
	W("loadcredential"),
	W("loadcredentialencrypted"),
	W("importcredential"),
};
/* Words ending in "pass" that are not one. */
static const struct word pass_words[] = {
	W("bypass"),   W("compass"),   W("nopass"),    W("encompass"),
	W("overpass"), W("underpass"), W("surpass"),   W("trespass"),
	W("onepass"),  W("firstpass"), W("multipass"),
};

static int word_in(const char *w, size_t n, const struct word *list, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (list[i].n == n && !memcmp(list[i].s, w, n))
			return 1;
	return 0;
}

static int ends_with(const char *s, size_t n, const struct word *suffix)
{
	return suffix->n <= n && !memcmp(s + n - suffix->n, suffix->s, suffix->n);
}

static int contains(const char *s, size_t n, const struct word *needle)
{
	size_t i;

	for (i = 0; i + needle->n <= n; i++)
		if (s[i] == needle->s[0] && !memcmp(s + i, needle->s, needle->n))
			return 1;
	return 0;
}

/*
 * Every secret word above holds one of these: a key without any is
 * settled in one pass (most keys of a config file).
 */
static int may_name_secret(const char *norm, size_t n)
{
	size_t i;

	for (i = 0; i + 2 <= n; i++) {
		const char *p = norm + i;
		int three = i + 3 <= n;

		switch (*p) {
		case 'p': /* pass, pw, psk */
			if (p[1] == 'w' ||
			    (three && ((p[1] == 'a' && p[2] == 's') ||
				       (p[1] == 's' && p[2] == 'k'))))
				return 1;
			break;
		case 's': /* secret */
			if (three && p[1] == 'e' && p[2] == 'c')
				return 1;
			break;
		case 't': /* token */
			if (three && p[1] == 'o' && p[2] == 'k')
				return 1;
			break;
		case 'c': /* credential, community */
			if (three && ((p[1] == 'r' && p[2] == 'e') ||
				      (p[1] == 'o' && p[2] == 'm')))
				return 1;
			break;
		case 'k': /* ...key */
			if (three && p[1] == 'e' && p[2] == 'y')
				return 1;
			break;
		case 'a': /* authtok */
			if (three && p[1] == 'u' && p[2] == 't')
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

/*
 * KEY_SECRET if the key names a secret; KEY_ABOUT_SECRET if its last word
 * says the value is about something else (a file, a length, an algorithm),
 * which also keeps the entropy detector off it; KEY_OTHER otherwise.
 * Without about, a key holding no secret word is KEY_OTHER at once (its
 * last word is then looked at only for a random-looking value).
 */
/* [A-Za-z0-9_.-]: the bytes of a key */
const unsigned char ed_secret_key_chars[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1, ['.'] = 1,
	['-'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
	['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1,
	['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1,
	['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1,
	['x'] = 1, ['y'] = 1, ['z'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
	['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
	['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
	['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
};

enum key_class ed_secret_key_class(const char *key, size_t len, int about)
{
	char norm[KEY_MAX];
	size_t n = 0, last = 0, i;
	int prev = 0; /* previous source character */

	if (len > KEY_MAX)
		return KEY_OTHER;
	/* the secret words hold no separator: look for them in the raw key */
	if (!about) {
		char low[KEY_MAX];

		for (i = 0; i < len; i++)
			low[i] = (char)lower((unsigned char)key[i]);
		if (!may_name_secret(low, len))
			return KEY_OTHER;
	}
	for (i = 0; i < len; i++) {
		int c = (unsigned char)key[i];

		if (!is_alnum(c)) {
			if (n > last)
				last = n; /* a word starts after a separator */
			prev = c;
			continue;
		}
		/* camelCase: a capital after a lowercase letter starts a word */
		if (is_upper(c) && is_lower(prev))
			last = n;
		norm[n++] = (char)lower(c);
		prev = c;
	}
	if (!n)
		return KEY_OTHER;
	if (last >= n)
		last = 0;
	if (word_in(norm + last, n - last, not_secret_last_words,
		    ED_ARRAY_SIZE(not_secret_last_words)))
		return KEY_ABOUT_SECRET;
	for (i = 0; i < ED_ARRAY_SIZE(not_secret_suffixes); i++)
		if (ends_with(norm, n, &not_secret_suffixes[i]))
			return KEY_ABOUT_SECRET;
	for (i = 0; i < ED_ARRAY_SIZE(secret_suffixes); i++)
		if (ends_with(norm, n, &secret_suffixes[i]))
			return KEY_SECRET;
	/* dbpass, smtp_pass, adminpass; not bypass */
	if (n >= 4 && !memcmp(norm + n - 4, "pass", 4)) {
		for (i = 0; i < ED_ARRAY_SIZE(pass_words); i++)
			if (ends_with(norm, n, &pass_words[i]))
				break;
		if (i == ED_ARRAY_SIZE(pass_words))
			return KEY_SECRET;
	}
	if (word_in(norm + last, n - last, secret_last_words,
		    ED_ARRAY_SIZE(secret_last_words)))
		return KEY_SECRET;
	for (i = 0; i < ED_ARRAY_SIZE(secret_infixes); i++)
		if (contains(norm, n, &secret_infixes[i]))
			return KEY_SECRET;
	return KEY_OTHER;
}

int ed_secret_key_names_secret(const char *key, size_t len)
{
	return ed_secret_key_class(key, len, 0) == KEY_SECRET;
}

int ed_secret_all_hex(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_hex((unsigned char)v[i]))
			return 0;
	return 1;
}

/* "hmac:" or "sha256:" and 64 hex digits: envdrift's own digest forms. */
static int is_own_digest(const char *v, size_t n)
{
	if (n == 69 && !memcmp(v, "hmac:", 5))
		return ed_secret_all_hex(v + 5, 64);
	if (n == 71 && !memcmp(v, "sha256:", 7))
		return ed_secret_all_hex(v + 7, 64);
	return 0;
}

/* 1 if the lowercase needle occurs in v[0..n). */
static int memmem_lower(const char *v, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; i + m <= n; i++)
		if (!memcmp(v + i, needle, m))
			return 1;
	return 0;
}

/* Documentation's stand-ins for a secret, never one itself. */
static const char *const placeholders[] = {
	"secret",       "password",      "passwd",     "changeme", "change_me",
	"yourpassword", "your_password", "mypassword", "example",  "xxx",
	"redacted",     "public",        "private", /* SNMP's well-known default communities */
	"foobared",                                 /* redis.conf's example */
	"test",         "pass",          "passphrase",
};

/*
 * Several words, one of them a word for a secret: a description or a
 * prompt ("A challenge password", "the password to use"), not a password.
 */
static int is_prose(const char *v, size_t n)
{
	static const char *const words[] = { "password", "passphrase", "secret",
					     "token",    "key",        "used",
					     "empty" };
	size_t i = 0, nwords = 0, k;
	int about = 0;

	while (i < n) {
		size_t s;

		while (i < n && is_space((unsigned char)v[i]))
			i++;
		s = i;
		while (i < n && !is_space((unsigned char)v[i]))
			i++;
		if (i == s)
			break;
		nwords++;
		for (k = 0; k < ED_ARRAY_SIZE(words); k++)
			if (ed_secret_eq_ci(v + s, i - s, words[k]) ||
			    (i - s > 1 && strchr(".;,", v[i - 1]) &&
			     ed_secret_eq_ci(v + s, i - s - 1, words[k])))
				about = 1;
	}
	return about && nwords >= 3;
}

/* "new-password", "your_secret": lowercase words naming what belongs there. */
static int names_itself(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_lower((unsigned char)v[i]) && v[i] != '-' && v[i] != '_')
			return 0;
	return n > 6 &&
	       (memmem_lower(v, n, "password") ||
		memmem_lower(v, n, "secret") || memmem_lower(v, n, "passwd"));
}

/*
 * Values that are never a secret: booleans and the like, numbers, absolute
 * paths, references to a variable or a template, postfix-style map names
 * ("hash:/etc/postfix/sasl_passwd"), and envdrift's own tokens.
 */
int ed_secret_value_is_plain(const char *v, size_t n)
{
	size_t c;
	static const char *const words[] = {
		"yes",      "no",       "true",     "false",   "on",
		"off",      "none",     "null",     "nil",     "enabled",
		"disabled", "required", "optional", "default", "auto",
		"empty",    "undef",    "~",        "y",       "n",
	};
	size_t i;

	if (!n)
		return 1;
	if (is_own_digest(v, n))
		return 1;
	if (v[0] == '#')
		return 1; /* "secret = # none": the value is a comment */
	/* "value # a comment": judge the value alone */
	for (c = 1; c < n; c++)
		if (v[c] == '#' && is_space((unsigned char)v[c - 1])) {
			size_t e = c;

			while (e > 0 && is_space((unsigned char)v[e - 1]))
				e--;
			return ed_secret_value_is_plain(v, e);
		}
	for (i = 0; i < ED_ARRAY_SIZE(words); i++)
		if (ed_secret_eq_ci(v, n, words[i]))
			return 1;
	for (i = 0; i < ED_ARRAY_SIZE(placeholders); i++)
		if (ed_secret_eq_ci(v, n, placeholders[i]))
			return 1;
	for (i = 1; i < n && v[i] == v[0]; i++)
		;
	if (i == n && !is_alnum((unsigned char)v[0]))
		return 1; /* "***" */
	if (n > 2 && v[0] == '<' && v[n - 1] == '>')
		return 1; /* "<keystore-password>" */
	if (memchr(v, '|', n)) {
		/* "true|false": a list of choices in a comment */
		const char *p = v, *bar, *end = v + n;

		while ((bar = memchr(p, '|', (size_t)(end - p)))) {
			if (!ed_secret_value_is_plain(p, (size_t)(bar - p)))
				return 0;
			p = bar + 1;
		}
		return ed_secret_value_is_plain(p, (size_t)(end - p));
	}
	if (is_prose(v, n) || names_itself(v, n))
		return 1;
	i = (v[0] == '-' || v[0] == '+') ? 1 : 0;
	if (i < n && is_digit((unsigned char)v[i])) {
		int dot = 0;

		for (; i < n; i++) {
			if (v[i] == '.' && !dot) {
				dot = 1;
				continue;
			}
			if (!is_digit((unsigned char)v[i]))
				break;
		}
		if (i == n)
			return 1;
	}
	if (v[0] == '/' || (n > 1 && v[0] == '~' && v[1] == '/')) {
		for (i = 0; i < n; i++)
			if (is_space((unsigned char)v[i]))
				break;
		if (i == n)
			return 1;
	}
	/* ${VAR} $(cmd) {{ x }} %(x)s <%= x %> $VAR */
	if (n >= 2 &&
	    ((v[0] == '$' && (v[1] == '{' || v[1] == '(')) ||
	     (v[0] == '{' && v[1] == '{') || (v[0] == '%' && v[1] == '(') ||
	     (v[0] == '<' && v[1] == '%')))
		return 1;
	if (v[0] == '$' && n > 1 &&
	    (is_alpha((unsigned char)v[1]) || v[1] == '_')) {
		for (i = 1; i < n; i++)
			if (!is_alnum((unsigned char)v[i]) && v[i] != '_')
				break;
		/* $VAR, or $dir/private/key.pem and $section::name (openssl.cnf) */
		if (i == n || v[i] == '/' || v[i] == ':' || v[i] == '.')
			return 1;
	}
	for (i = 0; i < n && (is_lower((unsigned char)v[i]) ||
			      is_digit((unsigned char)v[i]));
	     i++)
		;
	if (i > 0 && i + 1 < n && v[i] == ':' && v[i + 1] == '/' &&
	    (i + 2 >= n || v[i + 2] != '/'))
		return 1;
	return 0;
}

static double entropy(const char *v, size_t n)
{
	unsigned count[256] = { 0 };
	double h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		count[(unsigned char)v[i]]++;
	for (i = 0; i < 256; i++) {
		double p;

		if (!count[i])
			continue;
		p = (double)count[i] / (double)n;
		h -= p * log2(p);
	}
	return h;
}

static int is_uuid(const char *v, size_t n)
{
	static const unsigned char dash[] = { 8, 13, 18, 23 };
	size_t i, d = 0;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (d < sizeof(dash) && i == dash[d]) {
			if (v[i] != '-')
				return 0;
			d++;
		} else if (!is_hex((unsigned char)v[i])) {
			return 0;
		}
	}
	return 1;
}

/* Words joined by '-' or '_' ("Debian-GNU-Linux-12") are names, not keys. */
static int is_word_chain(const char *v, size_t n)
{
	size_t i = 0, seps = 0;

	while (i < n) {
		size_t s = i;
		int alpha = 0, digit = 0;

		for (; i < n && v[i] != '-' && v[i] != '_'; i++) {
			if (is_alpha((unsigned char)v[i]))
				alpha = 1;
			else if (is_digit((unsigned char)v[i]))
				digit = 1;
			else
				return 0;
		}
		if (i == s || (alpha && digit))
			return 0;
		if (i < n) {
			seps++;
			i++;
		}
	}
	return seps >= 1;
}

int ed_secret_value_looks_random(const char *v, size_t n)
{
	int up = 0, lo = 0, dg = 0, other = 0;
	size_t i, pad = n;

	if (n < RANDOM_MIN || n > 4096)
		return 0;
	while (pad > 0 && v[pad - 1] == '=')
		pad--;
	for (i = 0; i < pad; i++) {
		int c = (unsigned char)v[i];

		if (!is_b64_char(c) || c == '=')
			return 0;
		if (is_upper(c))
			up = 1;
		else if (is_lower(c))
			lo = 1;
		else if (is_digit(c))
			dg = 1;
		else
			other = 1;
	}
	if (is_uuid(v, n))
		return 0;
	if (ed_secret_all_hex(v, pad) && dg && (up || lo) && !(up && lo))
		return entropy(v, pad) >= 3.0;
	if (!(up && lo && dg) || is_word_chain(v, pad))
		return 0;
	(void)other;
	return entropy(v, pad) >= 3.5;
}

int ed_secret_jwk_private(const char *key, size_t len)
{
	static const char *const params[] = { "d",  "p",  "q", "dp",
					      "dq", "qi", "k", "oth" };
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(params); i++)
		if (strlen(params[i]) == len && !memcmp(params[i], key, len))
			return 1;
	return 0;
}

int ed_secret_user_pass_key(const char *key, size_t len)
{
	static const char *const keys[] = { "login",      "userpass",   "user",
					    "proxy-user", "basic_auth", "auth" };
	size_t i;

	for (i = 0; i < ED_ARRAY_SIZE(keys); i++)
		if (ed_secret_eq_ci(key, len, keys[i]))
			return 1;
	return 0;
}

int ed_secret_comment_plain(const char *v, size_t n)
{
	size_t i, words = 0;
	int in = 0;

	if (n && v[0] == '<')
		return 1;
	/* an option's value in a commented default: "always-impersonate" */
	for (i = 0; i < n && (is_lower((unsigned char)v[i]) || v[i] == '-'); i++)
		;
	if (i == n && memchr(v, '-', n))
		return 1;
	for (i = 0; i < n; i++) {
		int sp = is_space((unsigned char)v[i]);

		if (!sp && !in)
			words++;
		in = !sp;
	}
	return words >= 3;
}
