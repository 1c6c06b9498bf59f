#ifndef ENVDRIFT_COLLECTOR_FLEET_REMOTE_INT_H
#define ENVDRIFT_COLLECTOR_FLEET_REMOTE_INT_H
/*
 * What the request (remote_request.c) and the decoder of its answer
 * (remote_decode.c) must agree on; included only by those two.
 */
#include <stddef.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

struct collect_config;
struct collect_needs;
struct collect_needs_cmd;
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
/*
 * 1 if path lies below a keyed command's directory and no tree a
 * collector reads: listed, never sent.
 */
int remote_is_keyed(const struct collect_needs *n, const char *path);

/* A large input (collect_needs.inputs) as the host had it: stat key, bytes. */
struct remote_input {
	char *path;
	struct stat st; /* as listed */
	int filtered;   /* the lines of a filter, not the whole file */
	char *data;
	size_t len;
};

/*
 * A command's result: its program ("-": not run on the host), exit status
 * as the script reports it, output. key: SHA-256 (hex) of what decides it
 * (remote_cmd_key), "" when it may not be cached.
 */
struct remote_cmd_out {
	char key[65];
	char *prog;
	unsigned long long rc;
	char *data;
	size_t len;
	int have; /* the fields above are set */
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
	/*
	 * per command of the request: whether it runs ('1'), comes from the
	 * cache ('0', cmds[i] set) or is no keyed command ('-'); and the
	 * keyed commands' results, set by the decoder when they ran
	 */
	char *run;
	struct remote_cmd_out *cmds;
	size_t cmds_nr;
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
/* A decimal number at *s and the space or newline after it, *s past both. */
int remote_parse_field(const char **s, const char *end,
		       unsigned long long *out);
/* "SEC[.NSEC]" at *s, advanced past it (up to 9 digits of NSEC kept). */
int remote_parse_time(const char **s, const char *e, struct timespec *ts);
/* Keep an input for the next cache unless it changed within a second of clock. */
void remote_input_keep(struct remote_plan *p, const char *path,
		       const struct stat *st, int filtered, const char *data,
		       size_t len);

/*
 * The key of command c (the index-th of the request) from a listing v
 * (nr entries, sorted by path): SHA-256 (hex) of its records and the stat
 * keys of the entries below its keyed_by directories and of its program
 * candidates and conditions. "" when one of those is racy by clock (their
 * newest second at least clock less one): it then runs and is not kept.
 */
void remote_cmd_key(const struct collect_needs_cmd *c, size_t index,
		    const struct remote_entry *v, size_t nr, long long clock,
		    char key[65]);
/* "cmd KEY RC LEN PROGLEN\n", PROG, the output, "\n": a cache record. */
void remote_cmd_put(struct ed_buf *out, const struct remote_cmd_out *c);
/* One such record at *p (advanced past it) into out; -1 if malformed. */
int remote_cmd_load(const char **p, const char *end, struct remote_cmd_out *out);
void remote_cmd_out_set(struct remote_cmd_out *c, const char *prog,
			unsigned long long rc, const char *data, size_t len);
void remote_cmd_out_release(struct remote_cmd_out *c);
/*
 * The "@cmd" sections at *p (advanced past them) into fs as vfs_run
 * outputs, plan's cached results for the commands it did not run (plan
 * NULL: every command runs), and the keyed ones' results into plan. -1
 * with *what saying why when a section is malformed, unexpected or
 * missing.
 */
int remote_cmds_decode(const char **p, const char *end,
		       const struct collect_needs *n, struct remote_plan *plan,
		       struct vfs *fs, const char **what);
/*
 * The block of a second request (remote.sh): "envdrift-more N" and the
 * records of the keyed commands to run (run[i] '1'; NULL: all), the
 * filters to send (sel[i] '1'; NULL: all) and, full, what tar sends
 * whole.
 */
void remote_request_more(struct ed_buf *out, const struct collect_needs *n,
			 const char *run, const char *sel, int full);
/* The second request of a full scan, appended to out: "a" and that block. */
void remote_request_all(struct ed_buf *out, const struct collect_needs *n);

/* This program's SHA-256 (hex), hashed once (scan_memo.c); NULL if unreadable. */
const char *scan_memo_build_id(void);

#endif
