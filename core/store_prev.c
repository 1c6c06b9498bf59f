/*
 * What a host's next collection takes from its previous one: the files
 * stat cache (kept in the git directory, outside history) and chosen
 * files of its last snapshot. Both collect and scan read them here, so
 * "this host's previous files" means one thing.
 */
#include "core/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"

#define CACHE_MAX ((size_t)1 << 30)

void store_cache_read(const struct store *st, const char *host, struct ed_buf *out)
{
	struct ed_buf path = ED_BUF_INIT;
	struct ed_err ignored = ED_ERR_INIT;

	ed_buf_reset(out);
	store_cache_path(st, &path, host);
	if (ed_buf_read_file(out, path.ptr, CACHE_MAX, &ignored) < 0)
		ed_buf_reset(out);
	ed_buf_release(&path);
}

void store_cache_save(const struct store *st, const char *host,
		      const struct ed_buf *cache)
{
	struct ed_buf path = ED_BUF_INIT, tmp = ED_BUF_INIT;
	char *slash;
	int fd;

	if (!cache->len)
		return;
	store_cache_path(st, &path, host);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	mkdir(path.ptr, 0700);
	*slash = '/';
	ed_buf_addf(&tmp, "%s.tmp.%ld", path.ptr, (long)getpid());
	fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		int ok = write(fd, cache->ptr, cache->len) == (ssize_t)cache->len;

		if (close(fd) < 0 || !ok || rename(tmp.ptr, path.ptr) < 0)
			unlink(tmp.ptr);
	}
	ed_buf_release(&path);
	ed_buf_release(&tmp);
}

void store_cache_drop(const struct store *st, const char *host)
{
	struct ed_buf path = ED_BUF_INIT;

	store_cache_path(st, &path, host);
	unlink(path.ptr);
	ed_buf_release(&path);
}

/* host's environment in v; ED_ENOTFOUND when v lacks the host. */
static int find_env(char **out, const struct store_view *v, const char *host,
		    struct ed_err *err)
{
	struct store_host *h = NULL;
	size_t n = 0, i;
	int rc = store_view_hosts(v, &h, &n, err);

	for (i = 0; !rc && i < n && strcmp(h[i].host, host); i++)
		;
	if (!rc && i == n)
		rc = ED_ENOTFOUND;
	if (!rc) {
		*out = h[i].env;
		h[i].env = NULL;
	}
	store_hosts_free(h, n);
	return rc;
}

int store_read_prev_files(struct snapshot *out, struct store *st,
			  const struct store_view *v, const char *env,
			  const char *host, const char *const *paths,
			  struct ed_err *err)
{
	struct store_view *tip = NULL;
	char *tip_env = NULL;
	size_t i;
	int rc = 0;

	if (!v) {
		rc = store_view_open(&tip, st, NULL, err);
		if (!rc)
			rc = find_env(&tip_env, tip, host, err);
		if (rc == ED_ENOTFOUND) /* no collection yet, or not of host */
			rc = 0;
		if (rc < 0 || !tip_env)
			goto out;
		v = tip;
		env = tip_env;
	}
	for (i = 0; paths[i]; i++) {
		struct ed_buf b = ED_BUF_INIT;
		struct ed_err e = ED_ERR_INIT;
		int r = store_view_read_file(v, env, host, paths[i], &b, &e);

		if (!r)
			snapshot_add_buf(out, paths[i], &b);
		else if (r != ED_ENOTFOUND && !rc) {
			*err = e;
			rc = r;
		}
		ed_buf_release(&b);
	}
out:
	free(tip_env);
	store_view_free(tip);
	return rc;
}
