#ifndef ENVDRIFT_CORE_REPOCACHE_H
#define ENVDRIFT_CORE_REPOCACHE_H
/*
 * Read commands against a state repository named by URL: a bare copy of
 * its branch main kept in a cache directory (one per normalised URL),
 * fetched with the git client (core/gitproc.h) under a lock shared by
 * every process on the machine, then read locally like any repository.
 * Nothing is ever written to the remote.
 */
#include "core/buf.h"
#include "core/err.h"

/*
 * 1 if s names a remote repository: "https://", "http://", "ssh://",
 * "git://" or "file://" (scheme in any case), or scp-like "user@host:path"
 * (an '@' and then a ':' before any '/'). 0 for a local path.
 */
int ed_repo_is_url(const char *s);
/*
 * Append url without its userinfo to out: "https://u:pw@h/x" -> "https://h/x",
 * "user@host:path" -> "host:path". What messages name.
 */
void ed_repo_url_strip(struct ed_buf *out, const char *url);
/*
 * Append the normalised url to out: userinfo stripped, scheme and host
 * lowercased, trailing slashes dropped ("SSH://Git@Example.COM/x/" ->
 * "ssh://example.com/x"). Two spellings of one repository share a cache.
 */
void ed_repo_url_normalise(struct ed_buf *out, const char *url);

struct ed_repo_cache_opts {
	/* the cache directory; NULL: $XDG_CACHE_HOME/envdrift, else
	 * $HOME/.cache/envdrift (created 0700) */
	const char *root;
	int offline;             /* read the cache as it is, never fetch */
	long long shallow_since; /* unix time: fetch no history older than
				  * it (git --shallow-since); 0: all of it */
	unsigned timeout_ms;     /* for the git run; 0: 120 s */
};

/*
 * Bring the cache of url up to date and append its path to out: ROOT/HEX,
 * HEX the SHA-256 of the normalised URL, a bare repository holding only
 * refs/heads/main. Created (an empty repository plus a fetch, published by
 * a rename) when missing, else fetched into; both under an exclusive flock
 * of ROOT/HEX.lock, waited for at most twice timeout_ms. With offline, the
 * cache is used as it is. Errors name the URL stripped of userinfo:
 * ED_ENOTFOUND (offline and no cache), ED_EGIT (the fetch failed, with
 * git's reason), ED_EIO (the cache directory), ED_ELOCKED.
 */
int ed_repo_cache_sync(struct ed_buf *out, const char *url,
		       const struct ed_repo_cache_opts *opts, struct ed_err *err);

#endif
