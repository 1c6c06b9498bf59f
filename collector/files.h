#ifndef ENVDRIFT_COLLECTOR_FILES_H
#define ENVDRIFT_COLLECTOR_FILES_H
/*
 * Internals of the files collector, shared by collector/files.c (setup),
 * files_match.c (owner names, globs), files_walk.c (the symlink-safe walk
 * and the line format) and files_secret.c (secret detection and
 * redaction). Nothing outside these files and tests/unit/test_files.c
 * includes it.
 */
#include <stddef.h>
#include <sys/stat.h>

#include "collector/internal.h"
#include "core/buf.h"
#include "core/secrets.h"
#include "core/strvec.h"

struct ed_hmac;

/* Each level holds one open directory fd, so this also bounds fd use. */
#define FILES_MAX_DEPTH 64
/*
 * Files are hashed from one buffer; a bigger one is recorded by size only
 * (core/hmac.h has no streaming digest). Nothing under /etc comes close.
 */
#define FILES_HASH_MAX ((size_t)256 << 20)

struct id_name {
	unsigned long id;
	size_t order; /* line number: the first line for an id wins */
	char *name;
};

/* ids to names from one passwd or group file, sorted by id */
struct id_map {
	struct id_name *v;
	size_t nr;
	size_t alloc;
};

/*
 * A glob list with, per pattern, whether it can be matched against the
 * basename alone: "**" "/X" where X holds no '/', '\\' or "**" matches an
 * absolute path exactly when X matches its last component (X cannot match
 * across or at a '/'), and that skips the costly "**" backtracking.
 */
struct glob_set {
	const struct ed_strvec *pats;
	/* per pattern, precomputed by files_glob_set_init */
	struct glob_hint {
		unsigned char base_only; /* "**" "/NAME": matched on the base name */
		unsigned short pre, suf; /* literal head and tail every match has */
		size_t len;              /* of the pattern matched */
	} * hint;
};

struct staged_content {
	char *path; /* "content/etc/hosts" */
	struct ed_buf data;
	int has_oid; /* data went through the sink; this is its blob id */
	unsigned char oid[20];
};

/* One file of the previous scan (files_cache.c). */
struct files_cache_entry {
	char *path; /* raw host path */
	size_t plen;
	unsigned long long dev, ino, size, mtime_s, mtime_ns, ctime_s, ctime_ns,
		mode, uid, gid;
	int has_oid;   /* content stored as blob oid */
	int warn_utf8; /* content is not valid UTF-8 (warned again) */
	unsigned char oid[20];
	char *rest; /* the files line after UID:GID */
};

struct files_cache {
	struct files_cache_entry *v;
	size_t nr, alloc;
	size_t *slots; /* open addressing: index + 1, 0 = empty */
	size_t cap;
};

struct files_ctx {
	struct vfs *fs;
	const struct collect_opts *o;
	const struct collect_config *cfg;
	struct snapshot *snap;
	struct id_map users;
	struct id_map groups;
	struct glob_set include, exclude, secret_files, plain_files;
	struct ed_secret_finder secrets; /* compiled once per collect */
	struct ed_secret_hits hits;      /* reused for every file */
	struct ed_strvec *inc_comps;     /* '/'-components of each include */
	struct ed_buf path;              /* host path of the current entry */
	struct ed_buf quoted; /* snapshot_quote(path), for lines and warnings */
	struct ed_buf data;   /* the one reused read buffer */
	struct ed_buf redacted; /* content with secret values replaced */
	struct ed_buf line;
	struct ed_buf rest;
	struct ed_buf tmp;
	struct ed_strvec lines;
	/* contents reach the snapshot only once the whole walk succeeded */
	struct staged_content *staged;
	size_t staged_nr;
	size_t staged_alloc;
	size_t nr_entries;
	/* stat cache: used only with a content sink (ids need a store) */
	struct files_cache cache;
	struct ed_buf *cache_out; /* NULL: none written */
	long long scan_start;
	/* directories that could not be opened: their old lines are kept */
	struct ed_strvec unreadable_dirs;
};

/* files_match.c */

/* Parse passwd or group lines into m (appended); release frees its names. */
void files_id_map_parse(struct id_map *m, const char *buf, size_t len);
void files_id_map_release(struct id_map *m);
/* The name for id, borrowed from m, or NULL. */
const char *files_id_name(const struct id_map *m, unsigned long id);
/* g matches pats (borrowed); release frees what init allocated. */
void files_glob_set_init(struct glob_set *g, const struct ed_strvec *pats);
void files_glob_set_release(struct glob_set *g);
/* 1 if the absolute path ("/" for the root) matches a glob of g. */
int files_match_any(const struct glob_set *g, const char *path);
/* Split absolute pat into components; ED_EPARSE if relative or "."/"..". */
int files_split_pattern(struct ed_strvec *out, const char *pat,
			struct ed_err *err);

/* files_walk.c */

/*
 * Where the walks start: per include its longest directory prefix free of
 * glob characters (the whole path if it has none), minus any start below
 * another, so every path is visited once. "" is the root.
 */
void files_start_prefixes(struct ed_strvec *out, const struct files_ctx *c);
/*
 * Walk one start prefix below rootfd, adding lines to c->lines and contents
 * to c->staged. ED_EPARTIAL past max_files or FILES_MAX_DEPTH, ED_EKEY for
 * a secret without a key; unreadable entries are warnings.
 */
int files_walk_start(struct files_ctx *c, int rootfd, const char *start,
		     struct ed_err *err);
/*
 * files_start_prefixes for these include globs, before any walk: where a
 * remote host must list. ED_EPARSE names a pattern that is relative or
 * holds "." or "..".
 */
int files_include_starts(struct ed_strvec *out, const struct ed_strvec *include,
			 struct ed_err *err);

/* files_cache.c */

/* Digest of every setting that shapes cached values (64 hex + NUL). */
void files_cache_fingerprint(char out[65], const struct collect_config *cfg,
			     struct ed_hmac *key);
/*
 * Parse a cache written by files_cache_begin/add. A missing, damaged or
 * differently-fingerprinted cache loads empty (it only costs speed).
 */
void files_cache_load(struct files_cache *fc, const char *buf, size_t len,
		      const char *fingerprint);
void files_cache_release(struct files_cache *fc);
/* The entry for path if its stat data still equals st, else NULL. */
const struct files_cache_entry *files_cache_lookup(const struct files_cache *fc,
						   const char *path, size_t len,
						   const struct stat *st);
void files_cache_begin(struct ed_buf *out, const char *fingerprint);
/* Append one entry unless it changed too close to scan_start (racy). */
void files_cache_add(struct ed_buf *out, long long scan_start, const char *path,
		     size_t len, const struct stat *st,
		     const unsigned char *oid, int warn_utf8, const char *rest);

/* files_secret.c */

/*
 * Replace each secret the detectors find in data (core/secrets.h) by its
 * token under key, into out (reset first). *found says whether anything
 * was replaced; out is only filled then. ED_EKEY if a secret is found and
 * key is NULL (qpath names the file in the message).
 */
int files_redact(struct ed_buf *out, int *found, struct files_ctx *c,
		 const char *data, size_t len, struct ed_err *err);

#endif
