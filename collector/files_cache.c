/*
 * The files stat cache (git's index idea): per path the stat data of the
 * last scan and what was derived from the bytes (the "rest" of the files
 * line, the stored content's blob id). A file whose device, inode, size,
 * mode, owner, mtime and ctime are unchanged is not read again. Entries
 * modified within a second of the scan that wrote them are never cached
 * ("racy git"), and the whole cache is ignored when anything that shapes
 * the derived values (secret rules, content cap, HMAC key) changed.
 */
#include "collector/files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hmac.h"

#define CACHE_MAGIC "envdrift-files-cache 1 "

static size_t hash_path(const char *p, size_t len)
{
	size_t h = 1469598103934665603ULL & (size_t)-1, i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * (size_t)1099511628211ULL;
	return h;
}

void files_cache_fingerprint(char out[65], const struct collect_config *cfg,
			     struct ed_hmac *key)
{
	struct ed_buf b = ED_BUF_INIT;
	char kfp[65] = "nokey";
	size_t i;

	if (key)
		ed_hmac_fingerprint(key, kfp);
	/* the detectors' version: new rules must not reuse old lines */
	ed_buf_addf(&b, "format %d\ncontent-max %zu\nkey %s\n",
		    ED_SECRET_DETECTORS, cfg->content_max, kfp);
	for (i = 0; i < cfg->secret_files.nr; i++)
		ed_buf_addf(&b, "secret-file %s\n", cfg->secret_files.v[i]);
	for (i = 0; i < cfg->secret_values.nr; i++)
		ed_buf_addf(&b, "secret-value %s\n", cfg->secret_values.v[i]);
	for (i = 0; i < cfg->plain_files.nr; i++)
		ed_buf_addf(&b, "plain-file %s\n", cfg->plain_files.v[i]);
	ed_sha256_hex(out, b.ptr, b.len);
	ed_buf_release(&b);
}

static int parse_u64(const char **p, const char *end, unsigned long long *out)
{
	unsigned long long v = 0;
	const char *q = *p;

	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9')
		v = v * 10 + (unsigned long long)(*q++ - '0');
	if (q >= end || *q != ' ')
		return -1;
	*p = q + 1;
	*out = v;
	return 0;
}

/* One line (without '\n'); 0 if it parsed. */
static int parse_line(struct files_cache_entry *e, const char *p, const char *end)
{
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT;
	unsigned long long v[10];
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	size_t i;

	if (!sp || snapshot_unquote(&path, p, (size_t)(sp - p), &err) < 0)
		goto bad;
	p = sp + 1;
	for (i = 0; i < 10; i++)
		if (parse_u64(&p, end, &v[i]) < 0)
			goto bad;
	if (end - p >= 41 && p[40] == ' ') {
		for (i = 0; i < 20; i++) {
			int hi = ed_hexval(p[2 * i]),
			    lo = ed_hexval(p[2 * i + 1]);

			if (hi < 0 || lo < 0)
				goto bad;
			e->oid[i] = (unsigned char)(hi << 4 | lo);
		}
		e->has_oid = 1;
		p += 41;
	} else if (end - p >= 2 && p[0] == '-' && p[1] == ' ') {
		e->has_oid = 0;
		p += 2;
	} else {
		goto bad;
	}
	if (end - p < 2 || (p[0] != 'u' && p[0] != '-') || p[1] != ' ')
		goto bad;
	e->warn_utf8 = p[0] == 'u';
	p += 2;
	e->dev = v[0];
	e->ino = v[1];
	e->size = v[2];
	e->mtime_s = v[3];
	e->mtime_ns = v[4];
	e->ctime_s = v[5];
	e->ctime_ns = v[6];
	e->mode = v[7];
	e->uid = v[8];
	e->gid = v[9];
	e->rest = ed_xmemdup(p, (size_t)(end - p));
	e->path = ed_buf_detach(&path, &e->plen);
	return 0;
bad:
	ed_buf_release(&path);
	return -1;
}

void files_cache_load(struct files_cache *fc, const char *buf, size_t len,
		      const char *fingerprint)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t i;

	memset(fc, 0, sizeof(*fc));
	nl = buf ? memchr(p, '\n', len) : NULL;
	if (!nl || (size_t)(nl - p) != strlen(CACHE_MAGIC) + 64 ||
	    memcmp(p, CACHE_MAGIC, strlen(CACHE_MAGIC)) ||
	    memcmp(p + strlen(CACHE_MAGIC), fingerprint, 64))
		return; /* absent, foreign or made under other rules */
	for (p = nl + 1; p < end; p = nl + 1) {
		struct files_cache_entry e;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		memset(&e, 0, sizeof(e));
		if (parse_line(&e, p, nl) < 0) {
			/* a damaged cache costs speed, never correctness */
			files_cache_release(fc);
			return;
		}
		ED_ALLOC_GROW(fc->v, fc->nr + 1, fc->alloc);
		fc->v[fc->nr++] = e;
	}
	fc->cap = 16;
	while (fc->cap < fc->nr * 2)
		fc->cap *= 2;
	fc->slots = ed_xcalloc(fc->cap, sizeof(*fc->slots));
	for (i = 0; i < fc->nr; i++) {
		size_t s =
			hash_path(fc->v[i].path, fc->v[i].plen) & (fc->cap - 1);

		while (fc->slots[s])
			s = (s + 1) & (fc->cap - 1);
		fc->slots[s] = i + 1;
	}
}

void files_cache_release(struct files_cache *fc)
{
	size_t i;

	for (i = 0; i < fc->nr; i++) {
		free(fc->v[i].path);
		free(fc->v[i].rest);
	}
	free(fc->v);
	free(fc->slots);
	memset(fc, 0, sizeof(*fc));
}

const struct files_cache_entry *files_cache_lookup(const struct files_cache *fc,
						   const char *path, size_t len,
						   const struct stat *st)
{
	const struct files_cache_entry *e = NULL;
	size_t s;

	if (!fc->cap)
		return NULL;
	s = hash_path(path, len) & (fc->cap - 1);
	while (fc->slots[s]) {
		const struct files_cache_entry *c = &fc->v[fc->slots[s] - 1];

		if (c->plen == len && !memcmp(c->path, path, len)) {
			e = c;
			break;
		}
		s = (s + 1) & (fc->cap - 1);
	}
	if (!e || e->dev != (unsigned long long)st->st_dev ||
	    e->ino != (unsigned long long)st->st_ino ||
	    e->size != (unsigned long long)st->st_size ||
	    e->mode != (unsigned long long)st->st_mode ||
	    e->uid != (unsigned long long)st->st_uid ||
	    e->gid != (unsigned long long)st->st_gid ||
	    e->mtime_s != (unsigned long long)st->st_mtim.tv_sec ||
	    e->mtime_ns != (unsigned long long)st->st_mtim.tv_nsec ||
	    e->ctime_s != (unsigned long long)st->st_ctim.tv_sec ||
	    e->ctime_ns != (unsigned long long)st->st_ctim.tv_nsec)
		return NULL;
	return e;
}

void collect_stat_key_add(struct ed_buf *out, const struct stat *st)
{
	ed_buf_addf(out, " %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		    (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		    (unsigned long long)st->st_size,
		    (unsigned long long)st->st_mtim.tv_sec,
		    (unsigned long long)st->st_mtim.tv_nsec,
		    (unsigned long long)st->st_ctim.tv_sec,
		    (unsigned long long)st->st_ctim.tv_nsec,
		    (unsigned long long)st->st_mode,
		    (unsigned long long)st->st_uid,
		    (unsigned long long)st->st_gid);
}

int collect_stat_racy(const struct stat *st, long long clock)
{
	return (long long)st->st_mtim.tv_sec >= clock - 1 ||
	       (long long)st->st_ctim.tv_sec >= clock - 1;
}

struct collect_reuse {
	struct files_cache cache;
	struct glob_set include, exclude;
};

struct collect_reuse *collect_reuse_new(const struct collect_config *cfg,
					struct ed_hmac *key, const char *cache,
					size_t len)
{
	struct collect_reuse *r = ed_xcalloc(1, sizeof(*r));
	char fp[65];

	files_cache_fingerprint(fp, cfg, key);
	files_cache_load(&r->cache, cache, len, fp);
	files_glob_set_init(&r->include, &cfg->file_include);
	files_glob_set_init(&r->exclude, &cfg->file_exclude);
	return r;
}

void collect_reuse_free(struct collect_reuse *r)
{
	if (!r)
		return;
	files_cache_release(&r->cache);
	files_glob_set_release(&r->include);
	files_glob_set_release(&r->exclude);
	free(r);
}

int collect_reuse_walked(const struct collect_reuse *r, const char *path)
{
	char *p = ed_xstrdup(path), *slash = p;
	int out = files_match_any(&r->include, path);

	/* an excluded directory is not descended into (files_walk.c) */
	while (out && (slash = strchr(slash + 1, '/'))) {
		*slash = '\0';
		out = !files_match_any(&r->exclude, p);
		*slash = '/';
	}
	out = out && !files_match_any(&r->exclude, path);
	free(p);
	return out;
}

int collect_reuse_hit(const struct collect_reuse *r, const char *path,
		      const struct stat *st, long long clock)
{
	return files_cache_lookup(&r->cache, path, strlen(path), st) &&
	       !collect_stat_racy(st, clock);
}

void files_cache_begin(struct ed_buf *out, const char *fingerprint)
{
	ed_buf_adds(out, CACHE_MAGIC);
	ed_buf_adds(out, fingerprint);
	ed_buf_addch(out, '\n');
}

void files_cache_add(struct ed_buf *out, long long scan_start, const char *path,
		     size_t len, const struct stat *st,
		     const unsigned char *oid, int warn_utf8, const char *rest)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	/* changed within the clock's resolution of this scan: not trusted */
	if (collect_stat_racy(st, scan_start))
		return;
	snapshot_quote(out, path, len);
	collect_stat_key_add(out, st);
	ed_buf_addch(out, ' ');
	if (oid) {
		for (i = 0; i < 20; i++) {
			ed_buf_addch(out, hex[oid[i] >> 4]);
			ed_buf_addch(out, hex[oid[i] & 15]);
		}
	} else {
		ed_buf_addch(out, '-');
	}
	ed_buf_addf(out, " %c %s\n", warn_utf8 ? 'u' : '-', rest);
}
