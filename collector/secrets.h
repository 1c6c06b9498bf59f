#ifndef ENVDRIFT_COLLECTOR_SECRETS_H
#define ENVDRIFT_COLLECTOR_SECRETS_H
/*
 * Finding secrets in text: the built-in detectors for the credential
 * syntaxes real servers hold (collector/secrets.c lists them) and the
 * user's secrets.values EREs. A finder reports byte spans; callers replace
 * those by HMAC tokens (files, toggles) or list them (audit-secrets).
 * Read-only after init, so threads may share one finder.
 */
#include <stddef.h>

#include "collector/files.h"
#include "core/err.h"
#include "core/strvec.h"

struct secret_finder {
	struct files_secrets user; /* the compiled secrets.values EREs */
};

/* One secret: bytes [start, end) of the scanned buffer. */
struct secret_hit {
	size_t start, end;
	const char *rule; /* static: "keyword", "armour", ... */
};

struct secret_hits {
	struct secret_hit *v;
	size_t nr, alloc;
};

/*
 * Compile the user's EREs (may be empty). ED_EPARSE on a bad one. Release
 * f with secret_finder_release even on failure.
 */
int secret_finder_init(struct secret_finder *f, const struct ed_strvec *res,
		       struct ed_err *err);
void secret_finder_release(struct secret_finder *f);
/*
 * Append the secrets of buf to hits, sorted by start, overlapping spans
 * merged. f may be NULL (built-in detectors only). Spans never include a
 * line's '\n', except that an armoured block's body is one span.
 */
void secret_find(const struct secret_finder *f, const char *buf, size_t len,
		 struct secret_hits *hits);
void secret_hits_release(struct secret_hits *h);

/* 1 if a key such as DB_PASSWORD, client-secret or wpa_psk names a secret. */
int secret_key_names_secret(const char *key, size_t len);
/* 1 if v looks like a random key: base64 or hex, 20+ bytes, high entropy. */
int secret_value_looks_random(const char *v, size_t n);

#endif
