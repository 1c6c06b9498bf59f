#ifndef ENVDRIFT_CORE_SECRET_INT_H
#define ENVDRIFT_CORE_SECRET_INT_H
/*
 * Internals of the secret detectors, shared by core/secrets.c (the
 * buffer: armour, user EREs, merging), secret_lines.c (the detectors of
 * one line) and secret_values.c (what keys and values look like). Nothing
 * else includes it.
 */
#include <stddef.h>

#include "core/alloc.h"
#include "core/secrets.h"

static inline int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int is_alnum(int c)
{
	return is_alpha(c) || is_digit(c);
}

static inline int is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static inline int is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static inline int lower(int c)
{
	return is_upper(c) ? c + ('a' - 'A') : c;
}

static inline int is_space(int c)
{
	return c == ' ' || c == '\t';
}

static inline int is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

extern const unsigned char ed_secret_key_chars[256];

static inline int is_key_char(int c)
{
	return ed_secret_key_chars[c & 0xff];
}

static inline int is_b64_char(int c)
{
	return is_alnum(c) || c == '+' || c == '/' || c == '=' || c == '_' ||
	       c == '-';
}

static inline int is_quote(int c)
{
	return c == '"' || c == '\'';
}

/* Case-insensitive prefix test of a bounded span. */

/* Keys longer than this are not names a human gave a secret. */
#define KEY_MAX 64

/* A word of a table, with its length. */
struct word {
	const char *s;
	size_t n;
};
#define W(s)       \
 {                 \
  s, sizeof(s) - 1 \
 }

/* Case-blind tests on bounded spans; word and needle are lowercase. */
int ed_secret_has_prefix_ci(const char *p, const char *end, const char *pre);
int ed_secret_eq_ci(const char *p, size_t n, const char *word);
const char *ed_secret_find_ci(const char *p, const char *end, const char *needle);

/* Record bytes [start, end) as a secret found by rule (nothing if empty). */
static inline void ed_secret_add_hit(struct ed_secret_hits *h, size_t start,
				     size_t end, const char *rule)
{
	if (end <= start)
		return;
	ED_ALLOC_GROW(h->v, h->nr + 1, h->alloc);
	h->v[h->nr].start = start;
	h->v[h->nr].end = end;
	h->v[h->nr].rule = rule;
	h->nr++;
}

enum key_class { KEY_OTHER, KEY_SECRET, KEY_ABOUT_SECRET };
/*
 * KEY_SECRET if the key names a secret; KEY_ABOUT_SECRET if its last word
 * says the value is about something else (a file, a length, an algorithm);
 * KEY_OTHER otherwise. Without about, a key holding no secret word is
 * KEY_OTHER at once; with it, its last word is looked at too.
 */
enum key_class ed_secret_key_class(const char *key, size_t len, int about);
/* 1 if the value is plainly not a secret (yes, 42, /a/path, ${VAR}...). */
int ed_secret_value_is_plain(const char *v, size_t n);
int ed_secret_all_hex(const char *v, size_t n);
/*
 * 1 if a value on a commented-out line is documentation, not a secret
 * someone commented out: several words, or a "<placeholder".
 */
int ed_secret_comment_plain(const char *v, size_t n);

struct line_ctx {
	const char *buf; /* the whole buffer: hits are offsets into it */
	size_t ls, le;   /* the line, without its '\n' or a final '\r' */
	size_t first;    /* where the first key may start */
	int comment;     /* the line is commented out */
	unsigned seen;   /* enum line_seen */
	unsigned flags;  /* enum buffer_flags: what the whole buffer is */
	struct ed_secret_hits *hits;
};

/* What the whole buffer is, found once per buffer (core/secrets.c). */
enum buffer_flags {
	LINE_JWK = 1 << 0, /* a JSON Web Key ("kty"): "d", "p", ... are private */
	LINE_JAAS = 1 << 1, /* a JAAS config (LoginModule): user_NAME= are passwords */
};

/* 1 if a quoted key is a JWK private parameter (d, p, q, dp, dq, qi, k). */
int ed_secret_jwk_private(const char *key, size_t len);
/* 1 if the key's value is "user:password" (login, userpass, curl's user). */
int ed_secret_user_pass_key(const char *key, size_t len);

/* What one pass over a line saw, so detectors run only where they can hit. */
enum line_seen {
	SEEN_COLON = 1 << 0,  /* ':' */
	SEEN_OPTION = 1 << 1, /* " -" */
	SEEN_URL = 1 << 2,    /* "://" */
	SEEN_Z = 1 << 3,      /* 'z' or 'Z', as in "authorization" */
	SEEN_PASS = 1 << 4,   /* "pass" in any case */
};

/*
 * The end of the line starting at pos (its '\n', or len), with what the
 * line holds in *seen (enum line_seen): one pass finds both.
 */
size_t ed_secret_line_end(const char *buf, size_t pos, size_t len, unsigned *seen);

/* ---- reading one line (struct line_ctx) ---- */

/* Skip blanks from i; never past le. */
static inline size_t skip_space(const struct line_ctx *l, size_t i)
{
	while (i < l->le && is_space((unsigned char)l->buf[i]))
		i++;
	return i;
}

/* The end of a quoted string opened at q (the quote), or le if unclosed. */
static inline size_t quote_end(const struct line_ctx *l, size_t q)
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

/* Add [vs, ve) as a hit unless its text is plainly not a secret. */
static inline void take_value(struct line_ctx *l, size_t vs, size_t ve,
			      const char *rule)
{
	if (ve > vs && !ed_secret_value_is_plain(l->buf + vs, ve - vs) &&
	    !(l->comment && ed_secret_comment_plain(l->buf + vs, ve - vs)))
		ed_secret_add_hit(l->hits, vs, ve, rule);
}

static inline size_t word_end(const struct line_ctx *l, size_t i)
{
	while (i < l->le && !is_space((unsigned char)l->buf[i]))
		i++;
	return i;
}

/* Take the word (or quoted string) at i; returns where it ends. */
static inline size_t take_word(struct line_ctx *l, size_t i, const char *rule)
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

/* Word n (0-based) of the line from i, as [*s, *e); 0 if absent. */
static inline int nth_word(const struct line_ctx *l, size_t i, unsigned n,
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

static inline size_t prev_nonspace(const struct line_ctx *l, size_t i)
{
	while (i > l->ls && is_space((unsigned char)l->buf[i - 1]))
		i--;
	return i;
}

/* The longest run of token characters from i. */
static inline size_t token_end(const struct line_ctx *l, size_t i)
{
	while (i < l->le &&
	       (is_alnum((unsigned char)l->buf[i]) || l->buf[i] == '_' ||
		l->buf[i] == '-' || l->buf[i] == '.'))
		i++;
	return i;
}

/* ---- the detectors (core/secret_lines.c, core/secret_formats.c) ---- */

/* Run every line detector on l; hits go to l->hits. */
void ed_secret_scan_line(struct line_ctx *l);
/*
 * A token starting at i (after a delimiter): a well-known token prefix, a
 * JWT or a crypt hash. Returns where scanning resumes, i if none.
 */
size_t ed_secret_token_at(struct line_ctx *l, size_t i);
/*
 * The first word of the line is ks..ke, followed by blanks: the formats
 * whose secret is a later word (snmpd, redis ACL and sentinel, NUT, ...).
 * 1 if the line was one of them.
 */
int ed_secret_positional(struct line_ctx *l, size_t ks, size_t ke);
/* The detectors of the whole line that l->seen allows. */
void ed_secret_line_formats(struct line_ctx *l);

#endif
