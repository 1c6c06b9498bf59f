#ifndef ENVDRIFT_CORE_TEXTDIFF_H
#define ENVDRIFT_CORE_TEXTDIFF_H
/*
 * Unified diffs of two texts (libgit2's xdiff), for config-file drift and
 * the patch report: what "git diff" would print for them.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/*
 * Append to out a git-style unified diff (3 lines of context) of a and b,
 * with "--- a/<aname>" and "+++ b/<bname>" headers. Nothing is appended
 * when they are equal. ED_EGIT on failure.
 */
int ed_unified_diff(struct ed_buf *out, const char *a, size_t alen,
		    const char *aname, const char *b, size_t blen,
		    const char *bname, struct ed_err *err);

#endif
