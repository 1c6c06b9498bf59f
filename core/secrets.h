#ifndef ENVDRIFT_CORE_SECRETS_H
#define ENVDRIFT_CORE_SECRETS_H
/*
 * Finding secrets in text: the built-in detectors for the credential
 * syntaxes real servers hold (core/secrets.c lists them) and the
 * user's secrets.values EREs. A finder reports byte spans; callers replace
 * those by HMAC tokens (files, toggles) or list them (audit-secrets).
 * Read-only after init, so threads may share one finder.
 */
#include <stddef.h>

#include <regex.h>

#include "core/err.h"
#include "core/strvec.h"

/*
 * The detectors' version, part of every cache key built on their output:
 * raised whenever a change to them can change what is stored.
 */
#define ED_SECRET_DETECTORS 2

/* Longest required-byte set kept for a user ERE's prefilter. */
#define ED_SECRET_REQ_MAX 8

struct ed_secret_finder {
	regex_t *res; /* the compiled secrets.values EREs */
	/* per ERE: every match holds one of these bytes ("" = unknown) */
	char (*req)[ED_SECRET_REQ_MAX + 1];
	size_t nr;
};

/* One secret: bytes [start, end) of the scanned buffer. */
struct ed_secret_hit {
	size_t start, end;
	const char *rule; /* static: "keyword", "armour", ... */
};

struct ed_secret_hits {
	struct ed_secret_hit *v;
	size_t nr, alloc;
};

/*
 * Compile the user's EREs (may be empty; REG_EXTENDED | REG_ICASE, each
 * with a group 1 kept verbatim). ED_EPARSE on a bad one. Release f with
 * ed_secret_finder_release even on failure.
 */
int ed_secret_finder_init(struct ed_secret_finder *f,
			  const struct ed_strvec *res, struct ed_err *err);
void ed_secret_finder_release(struct ed_secret_finder *f);
/*
 * Append the secrets of buf to hits, sorted by start, overlapping spans
 * merged. f may be NULL (built-in detectors only). Spans never include a
 * line's '\n', except that an armoured block's body is one span. buf[len]
 * must be '\0' (an ed_buf, git object data): regexec wants a string.
 */
void ed_secret_find(const struct ed_secret_finder *f, const char *buf,
		    size_t len, struct ed_secret_hits *hits);
void ed_secret_hits_release(struct ed_secret_hits *h);

/*
 * The prefilter of a user ERE: bytes one of which every match of pat
 * contains, or "" when that cannot be shown. Exposed for the tests.
 */
void ed_secret_required_bytes(char out[ED_SECRET_REQ_MAX + 1], const char *pat);
/* 1 if buf holds PEM or PGP armour of a private key. */
int ed_secret_has_private_key(const char *buf, size_t len);
/*
 * 1 if buf is a key file: it holds a private key, and nothing outside its
 * armoured blocks but blank lines, comments and PEM bag attributes. Such a
 * file is one secret whatever its name; a configuration with a key inline
 * (an OpenVPN profile) keeps its other lines, the key body a token.
 */
int ed_secret_key_file(const char *buf, size_t len);

/* 1 if a key such as DB_PASSWORD, client-secret or wpa_psk names a secret. */
int ed_secret_key_names_secret(const char *key, size_t len);
/* 1 if v looks like a random key: base64 or hex, 20+ bytes, high entropy. */
int ed_secret_value_looks_random(const char *v, size_t n);

#endif
