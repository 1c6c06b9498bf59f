/*
 * The cache behind read commands given a URL: one bare repository per
 * normalised URL, holding only main. A new cache is an empty repository
 * plus a fetch, rather than git clone, so that the URL (and any password
 * in it) is never written into the cache's configuration; it is made
 * under a temporary name and renamed, so a killed run leaves no half
 * cache. All of it runs under one flock per cache, which the kernel drops
 * if the holder dies: parallel CI jobs on one runner share it safely.
 */
#include "core/repocache.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/gitproc.h"
#include "core/hmac.h"

#define DEFAULT_TIMEOUT_MS 120000u
#define LOCK_POLL_MS 20

static const char *const schemes[] = { "https://", "http://", "ssh://",
				       "git://", "file://" };

/* Length of the "scheme://" prefix of s, 0 if it has none of ours. */
static size_t scheme_len(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncasecmp(s, schemes[i], strlen(schemes[i])))
			return strlen(schemes[i]);
	return 0;
}

/* scp-like "user@host:path": the '@' (NULL if s is not one). */
static const char *scp_at(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');
	const char *at = strchr(s, '@');

	if (!colon || !at || at == s || at > colon || colon == at + 1 ||
	    (slash && slash < colon))
		return NULL;
	return at;
}

int ed_repo_is_url(const char *s)
{
	return scheme_len(s) > 0 || scp_at(s) != NULL;
}

/*
 * Split url into its prefix (scheme), the host part (lowercased by
 * normalise) and the rest, userinfo dropped.
 */
static void split(const char *url, size_t *pre, const char **host,
		  size_t *host_len, const char **rest)
{
	size_t sl = scheme_len(url);
	const char *at;

	*pre = sl;
	if (sl) {
		const char *a = url + sl;
		size_t alen = strcspn(a, "/");
		const char *last_at = NULL, *p;

		for (p = a; p < a + alen; p++)
			if (*p == '@')
				last_at = p;
		*host = last_at ? last_at + 1 : a;
		*host_len = (size_t)(a + alen - *host);
		*rest = a + alen;
		return;
	}
	at = scp_at(url);
	*host = at ? at + 1 : url;
	*host_len = at ? strcspn(*host, ":") : 0;
	*rest = *host + *host_len;
}

void ed_repo_url_strip(struct ed_buf *out, const char *url)
{
	const char *host, *rest;
	size_t pre, hl;

	split(url, &pre, &host, &hl, &rest);
	ed_buf_add(out, url, pre);
	ed_buf_add(out, host, hl);
	ed_buf_adds(out, rest);
}

void ed_repo_url_normalise(struct ed_buf *out, const char *url)
{
	const char *host, *rest;
	size_t pre, hl, start = out->len, keep, i;

	split(url, &pre, &host, &hl, &rest);
	for (i = 0; i < pre; i++)
		ed_buf_addf(out, "%c",
			    url[i] >= 'A' && url[i] <= 'Z' ? url[i] - 'A' + 'a' :
							     url[i]);
	for (i = 0; i < hl; i++)
		ed_buf_addf(out, "%c",
			    host[i] >= 'A' && host[i] <= 'Z' ? host[i] - 'A' + 'a' :
							       host[i]);
	ed_buf_adds(out, rest);
	/* "file:///" keeps its root: never drop into the "://" */
	keep = start + pre + hl + 1;
	while (out->len > keep && out->ptr[out->len - 1] == '/')
		out->ptr[--out->len] = '\0';
}

/* mkdir each missing component of path, mode 0700. */
static int mkdirs(const char *path, struct ed_err *err)
{
	struct ed_buf p = ED_BUF_INIT;
	const char *s;
	int rc = 0;

	for (s = path;; s++) {
		if (*s != '/' && *s)
			continue;
		ed_buf_reset(&p);
		ed_buf_add(&p, path, (size_t)(s - path));
		if (p.len && mkdir(p.ptr, 0700) < 0 && errno != EEXIST) {
			rc = ed_err_errno(err, ED_EIO, errno, "%s", p.ptr);
			break;
		}
		if (!*s)
			break;
	}
	ed_buf_release(&p);
	return rc;
}

static int cache_root(struct ed_buf *out, const char *root, struct ed_err *err)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (root && *root)
		ed_buf_adds(out, root);
	else if (xdg && *xdg == '/')
		ed_buf_addf(out, "%s/envdrift", xdg);
	else if (home && *home)
		ed_buf_addf(out, "%s/.cache/envdrift", home);
	else
		return ed_err_set(
			err, ED_EIO,
			"no cache directory: neither XDG_CACHE_HOME nor HOME is set");
	return mkdirs(out->ptr, err);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The exclusive lock of the cache, waiting at most wait_ms; *fd to close. */
static int lock_cache(int *fd, const char *path, unsigned wait_ms,
		      const char *name, struct ed_err *err)
{
	unsigned waited = 0;

	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return ed_err_errno(err, ED_EIO, errno, "%s", path);
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return ed_err_errno(err, ED_EIO, errno, "%s", path);
		if (waited >= wait_ms)
			return ed_err_set(err, ED_ELOCKED,
					  "%s: the cache is busy (%s held for %u s)",
					  name, path, wait_ms / 1000);
		sleep_ms(LOCK_POLL_MS);
		waited += LOCK_POLL_MS;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Remove the tree at path (a cache half made by a killed run). */
static int remove_tree(const char *path, struct ed_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0 && errno == ENOENT)
		return 0;
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return ed_err_errno(err, ED_EIO, errno, "%s: cannot remove", path);
	return 0;
}

/* An empty bare repository at path whose HEAD names main. */
static int init_cache(const char *path, struct ed_err *err)
{
	git_repository_init_options o;
	git_repository *repo = NULL;
	int rc = 0;

	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	/* no envdrift.version: the fetched tree's .envdrift/ marker says it */
	if (git_repository_init_ext(&repo, path, &o) < 0)
		rc = ed_err_git(err, "%s", path);
	git_repository_free(repo);
	return rc;
}

/*
 * Why git failed: its first "fatal: " line (the last one is often advice
 * such as "and the repository exists."), userinfo redacted.
 */
static void git_reason(const struct ed_gitproc *res, struct ed_buf *out)
{
	const char *p = res->errout.ptr, *f = NULL;
	struct ed_buf line = ED_BUF_INIT;

	if (!res->timed_out) {
		if (!strncmp(p, "fatal: ", 7))
			f = p;
		else if ((f = strstr(p, "\nfatal: ")))
			f++;
	}
	if (!f) {
		ed_gitproc_reason(res, out);
		return;
	}
	ed_buf_add(&line, f + 7, strcspn(f + 7, "\n"));
	ed_text_redact(line.ptr, out);
	ed_buf_release(&line);
}

/* git fetch of main from url into git_dir; ED_EGIT with git's reason. */
static int fetch(const char *git_dir, const char *url, const char *name,
		 const struct ed_repo_cache_opts *o, struct ed_err *err)
{
	struct ed_gitproc_opts go = { git_dir, o->timeout_ms, 0 };
	struct ed_gitproc res;
	struct ed_buf since = ED_BUF_INIT, why = ED_BUF_INIT;
	const char *args[10];
	size_t n = 0;
	int rc, shallow = o->shallow_since > 0;

	args[n++] = "fetch";
	args[n++] = "--quiet";
	args[n++] = "--no-tags";
	args[n++] = "--no-write-fetch-head";
	if (shallow) {
		time_t t = (time_t)o->shallow_since;
		struct tm tm;
		char when[32];

		if (!gmtime_r(&t, &tm) ||
		    !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S +0000", &tm))
			return ed_err_set(err, ED_ERROR, "%s: bad time %lld",
					  name, o->shallow_since);
		ed_buf_addf(&since, "--shallow-since=%s", when);
		args[n++] = since.ptr;
	} else {
		/* a cache an earlier --max-age cut gets its whole history back */
		ed_buf_addf(&since, "%s/shallow", git_dir);
		if (access(since.ptr, F_OK) == 0)
			args[n++] = "--unshallow";
	}
	args[n++] = "--";
	args[n++] = url;
	args[n++] = "+refs/heads/main:refs/heads/main";
	args[n] = NULL;
	rc = ed_gitproc_run(&res, &go, args, err);
	/*
	 * A history with no commit inside the window cannot be cut there
	 * ("no commits selected for shallow requests"): take all of it.
	 */
	if (!rc && res.status && shallow && !res.timed_out &&
	    strstr(res.errout.ptr, "shallow")) {
		memmove(&args[4], &args[5], 4 * sizeof(args[0]));
		ed_gitproc_release(&res);
		rc = ed_gitproc_run(&res, &go, args, err);
	}
	if (!rc && (res.status || res.timed_out)) {
		git_reason(&res, &why);
		rc = ed_err_set(err, ED_EGIT, "%s: cannot fetch main: %s", name,
				why.ptr);
	}
	ed_gitproc_release(&res);
	ed_buf_release(&since);
	ed_buf_release(&why);
	return rc;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ed_repo_cache_sync(struct ed_buf *out, const char *url,
		       const struct ed_repo_cache_opts *o, struct ed_err *err)
{
	struct ed_buf root = ED_BUF_INIT, norm = ED_BUF_INIT, name = ED_BUF_INIT;
	struct ed_buf dir = ED_BUF_INIT, tmp = ED_BUF_INIT, lock = ED_BUF_INIT;
	unsigned timeout = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	char hex[65];
	int fd = -1, rc;

	ed_repo_url_strip(&name, url);
	ed_repo_url_normalise(&norm, url);
	ed_sha256_hex(hex, norm.ptr, norm.len);
	rc = cache_root(&root, o->root, err);
	if (rc < 0)
		goto out;
	ed_buf_addf(&dir, "%s/%s", root.ptr, hex);
	ed_buf_addf(&tmp, "%s/%s.tmp", root.ptr, hex);
	ed_buf_addf(&lock, "%s/%s.lock", root.ptr, hex);
	rc = lock_cache(&fd, lock.ptr, 2 * timeout, name.ptr, err);
	if (rc < 0)
		goto out;
	if (o->offline) {
		if (!is_dir(dir.ptr))
			rc = ed_err_set(err, ED_ENOTFOUND,
					"%s: no cached copy (%s) to read with --offline",
					name.ptr, dir.ptr);
	} else if (is_dir(dir.ptr)) {
		rc = fetch(dir.ptr, url, name.ptr, o, err);
	} else {
		rc = remove_tree(tmp.ptr, err);
		if (!rc)
			rc = init_cache(tmp.ptr, err);
		if (!rc)
			rc = fetch(tmp.ptr, url, name.ptr, o, err);
		if (!rc && rename(tmp.ptr, dir.ptr) < 0)
			rc = ed_err_errno(err, ED_EIO, errno, "%s", dir.ptr);
		if (rc < 0) {
			struct ed_err ignored = ED_ERR_INIT;

			/* the next run removes it too: err keeps the cause */
			(void)remove_tree(tmp.ptr, &ignored);
		}
	}
	if (!rc)
		ed_buf_add(out, dir.ptr, dir.len);
out:
	if (fd >= 0)
		close(fd); /* drops the flock */
	ed_buf_release(&root);
	ed_buf_release(&norm);
	ed_buf_release(&name);
	ed_buf_release(&dir);
	ed_buf_release(&tmp);
	ed_buf_release(&lock);
	return rc;
}
