#ifndef ENVDRIFT_CORE_AUDIT_H
#define ENVDRIFT_CORE_AUDIT_H
/*
 * Secret audit of a git repository: every object of its object store,
 * unreachable ones included (loose and packed), read through the secret
 * detectors (core/secrets.h). Blobs are named by the first path that
 * reaches them from any ref; commit and tag messages are read too. No key
 * is needed, and envdrift's own token forms are never hits.
 */
#include <stddef.h>

#include "core/err.h"
#include "core/secrets.h"
#include "core/strvec.h"

struct ed_audit_hit {
	char *where; /* "PATH" or "(unreachable blob ID)" or "(commit ID)" */
	size_t line; /* 1-based line of the hit in that object */
	const char *rule; /* the detector, static */
	char oid[41];
};

struct ed_audit {
	struct ed_audit_hit *v;
	size_t nr, alloc;
	size_t objects, blobs, bytes; /* what was read */
};

/*
 * Audit the repository at path (bare or not) with finder f into out
 * (zeroed by the caller), hits sorted by where, then line. Stored copies
 * of files matching a plain glob (secrets.plain-files; NULL: none) are
 * not searched, as the collector does not search them. ED_EGIT (or
 * ED_ENOTFOUND for a path that is no repository) with a message.
 */
int ed_audit_repo(struct ed_audit *out, const char *path,
		  const struct ed_secret_finder *f,
		  const struct ed_strvec *plain, struct ed_err *err);
/*
 * Audit only what publishing commit tip (40 hex) adds to a remote whose
 * tip is base (NULL: a remote with nothing yet): the commits tip has and
 * base lacks, their messages, and the blobs of their trees that base's
 * tree lacks at the same path. Cost follows what changed, not the fleet.
 */
int ed_audit_unpublished(struct ed_audit *out, const char *path, const char *tip,
			 const char *base, const struct ed_secret_finder *f,
			 const struct ed_strvec *plain, struct ed_err *err);
void ed_audit_release(struct ed_audit *a);

#endif
