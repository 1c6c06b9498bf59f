#ifndef ENVDRIFT_CORE_SECRET_INT_H
#define ENVDRIFT_CORE_SECRET_INT_H
/*
 * Internals of the secret detectors, shared by core/secrets.c (the
 * buffer: armour, user EREs, merging), secret_lines.c (the detectors of
 * one line) and secret_values.c (what keys and values look like). Nothing
 * else includes it.
 */
#include <stddef.h>

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
#define W(s) { s, sizeof(s) - 1 }

/* Case-blind tests on bounded spans; word and needle are lowercase. */
int ed_secret_has_prefix_ci(const char *p, const char *end, const char *pre);
int ed_secret_eq_ci(const char *p, size_t n, const char *word);
const char *ed_secret_find_ci(const char *p, const char *end, const char *needle);

void ed_secret_add_hit(struct ed_secret_hits *h, size_t start, size_t end,
                    const char *rule);

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

struct line_ctx {
	const char *buf;  /* the whole buffer: hits are offsets into it */
	size_t ls, le;    /* the line, without its '\n' or a final '\r' */
	size_t first;     /* where the first key may start */
	int comment;      /* the line is commented out */
	unsigned seen;    /* enum line_seen */
	struct ed_secret_hits *hits;
};

/* What one pass over a line saw, so detectors run only where they can hit. */
enum line_seen {
	SEEN_COLON = 1 << 0,   /* ':' */
	SEEN_OPTION = 1 << 1,  /* " -" */
	SEEN_URL = 1 << 2,     /* "://" */
	SEEN_Z = 1 << 3,       /* 'z' or 'Z', as in "authorization" */
	SEEN_PASS = 1 << 4,    /* "pass" in any case */
};

/*
 * The end of the line starting at pos (its '\n', or len), with what the
 * line holds in *seen (enum line_seen): one pass finds both.
 */
size_t ed_secret_line_end(const char *buf, size_t pos, size_t len,
                          unsigned *seen);

/* Run every line detector on l; hits go to l->hits. */
void ed_secret_scan_line(struct line_ctx *l);

#endif
