#ifndef ENVDRIFT_COLLECTOR_FLEET_REMOTE_INT_H
#define ENVDRIFT_COLLECTOR_FLEET_REMOTE_INT_H
/*
 * What the request (remote_request.c) and the decoder of its answer
 * (remote_decode.c) must agree on; included only by those two.
 */
#include <stddef.h>
#include <sys/stat.h>

#include "core/err.h"
#include "core/strvec.h"

struct collect_config;
struct collect_needs;
struct vfs;

/* 1 if path equals dir or lies below it ("" and "/" are the root). */
int remote_is_under(const char *path, const char *dir);
/*
 * 1 for a path under /proc or /sys: its content comes from grep, as GNU
 * tar stores such files empty (or pads them to the size stat gives). A
 * /sys record may be a pattern the remote script expands
 * (/sys/class/net/ANY/address).
 */
int remote_is_proc(const char *path);
/* 1 if path is sent filtered (a @file section), not whole. */
int remote_is_filtered(const struct collect_needs *n, const char *path);
/*
 * 1 if a collector reads path whole (a path it needs, or a file below a
 * tree it reads besides the files walk): its bytes go to the host's cache
 * when the snapshot stores them as they are (remote_session_cache).
 */
int remote_read_whole(const struct collect_needs *n, const char *path);

/* A large input (collect_needs.inputs) as the host had it: stat key, bytes. */
struct remote_input {
	char *path;
	struct stat st; /* as listed */
	int filtered;   /* the lines of a filter, not the whole file */
	char *data;
	size_t len;
};

/*
 * What a session asked the host for (remote_session.c), for the decoder:
 * NULL there means a full one-shot request.
 */
struct remote_plan {
	int full;              /* "a": everything */
	struct ed_strvec sent; /* sorted: the paths asked for whole */
	char *sel;             /* per filter of the request: '1' asked for */
	struct remote_input *cached; /* inputs the cache stands for */
	size_t cached_nr, cached_alloc;
	size_t delivered; /* set by the decoder: regular files sent */
	/* set by the decoder: inputs as the host sent them now */
	struct remote_input *got;
	size_t got_nr, got_alloc;
	long long clock; /* the host's, from the stream */
};

/* One entry of a listing, its path a slice of the stream. */
struct remote_entry {
	const char *path;
	struct stat st;
	int readable;
	int linked; /* below a listed symlink: collectors never see it */
};

/*
 * The listing at the start of a stream (complete, up to its "@end"),
 * sorted by path, into *out (free() it); the host's clock into *clock.
 * ED_EPARSE as remote_decode says it.
 */
int remote_listing(const char *buf, size_t len, struct remote_entry **out,
		   size_t *nr, long long *clock, struct ed_err *err);
/* remote_decode with a session's plan (NULL: a full one-shot request). */
int remote_decode_plan(struct vfs *fs, const char *buf, size_t len,
		       const struct collect_config *cfg, struct remote_plan *plan,
		       struct ed_strvec *warnings, struct ed_err *err);
/* Append an input (copies of path and data) to *v. */
void remote_input_push(struct remote_input **v, size_t *nr, size_t *alloc,
		       const char *path, const struct stat *st, int filtered,
		       const char *data, size_t len);
void remote_input_release(struct remote_input *in);
/* A decimal (base 10) or octal (base 8) number at *s, advanced past it. */
int remote_parse_ull(const char **s, const char *end, int base,
		     unsigned long long *out);
/* "SEC[.NSEC]" at *s, advanced past it (up to 9 digits of NSEC kept). */
int remote_parse_time(const char **s, const char *e, struct timespec *ts);
/* Keep an input for the next cache unless it changed within a second of clock. */
void remote_input_keep(struct remote_plan *p, const char *path,
		       const struct stat *st, int filtered, const char *data,
		       size_t len);

/* This program's SHA-256 (hex), hashed once (scan_memo.c); NULL if unreadable. */
const char *scan_memo_build_id(void);

#endif
