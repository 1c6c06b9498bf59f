/*
 * ed_unified_diff: git_patch_from_buffers + git_patch_to_buf, so reports
 * show drift in exactly the form a reviewer knows from git.
 */
#include "core/textdiff.h"

#include <git2.h>

int ed_unified_diff(struct ed_buf *out, const char *a, size_t alen,
		    const char *aname, const char *b, size_t blen,
		    const char *bname, struct ed_err *err)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	git_buf buf = { NULL, 0, 0 };
	int rc = 0;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.context_lines = 3;
	/* config files are text even with odd bytes: never "Binary files differ" */
	opts.flags = GIT_DIFF_FORCE_TEXT;
	if (git_patch_from_buffers(&patch, a, alen, aname, b, blen, bname,
				   &opts) < 0 ||
	    git_patch_to_buf(&buf, patch) < 0) {
		rc = ed_err_git(err, "cannot diff %s and %s", aname, bname);
		goto out;
	}
	ed_buf_add(out, buf.ptr, buf.size);
out:
	git_buf_dispose(&buf);
	git_patch_free(patch);
	return rc;
}
