/*
 * One host's two-phase exchange (collector/fleet/remote.h): find the end
 * of the listing in the output as it arrives, decide from the host's cache
 * which contents to ask for (the second request), and decode the answer
 * with the rest taken from the cache. Nothing here knows the transport.
 */
#include "collector/fleet/remote.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "collector/collector.h"
#include "collector/fleet/remote_int.h"
#include "core/alloc.h"
#include "core/hmac.h"
#include "core/snapshot.h"

#define LIST_START "ENVDRIFT-STREAM 3\n@list\n"
#define LIST_END "@end"

struct remote_session {
	const struct collect_config *cfg;
	struct collect_needs needs;
	struct remote_plan plan;
	char fp[65];
	int full;
	/* the cache: the files walk's part, the inputs; as it was read */
	struct ed_buf files;
	struct ed_buf loaded;
	/* the snapshot memo: the cache's, and the next cache's */
	char memo_key[65], next_key[65];
	struct ed_buf memo, next_memo;
	size_t memo_at, memo_end; /* the memo's record in loaded */
	long long memo_clock;     /* the host's clock when it was made */
	long long sent_newest; /* newest mtime or ctime of a file asked for */
	struct collect_reuse *reuse;
	struct remote_input *inputs;
	size_t inputs_nr, inputs_alloc;
	/* the keyed commands' results the cache holds */
	struct remote_cmd_out *cmds;
	size_t cmds_nr, cmds_alloc;
	/* the reply: where the listing's next record starts (0: header) */
	size_t off;
	int replied, decoded;
	size_t sent, reused; /* asked for, taken from the cache */
};

/*
 * Everything that decides what the cache holds: the settings that shape
 * snapshot bytes, the key, the request (paths, filters) and this format.
 */
static void fingerprint(struct remote_session *s, struct ed_hmac *key)
{
	struct ed_buf b = ED_BUF_INIT, req = ED_BUF_INIT;
	char kfp[65] = "nokey", rfp[65];

	if (key)
		ed_hmac_fingerprint(key, kfp);
	remote_request_first(&req, s->cfg);
	ed_sha256_hex(rfp, req.ptr, req.len);
	ed_buf_addf(&b, "envdrift-fleet-cache 2\nkey %s\nrequest %s\n", kfp, rfp);
	collect_settings_text(&b, s->cfg);
	ed_sha256_hex(s->fp, b.ptr, b.len);
	ed_buf_release(&b);
	ed_buf_release(&req);
}

#define CACHE_MAGIC "envdrift-fleet-cache 2 "

/*
 * "input F|W LEN PATHLEN DEV INO SIZE MS MNS CS CNS MODE UID GID\n" then
 * the path, the bytes and "\n"; then "files LEN\n" and the files walk's
 * cache. Anything amiss: no cache at all (it only costs bytes).
 */
static int load_cache(struct remote_session *s, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;

	nl = memchr(p, '\n', len);
	if (!nl || (size_t)(nl - p) != strlen(CACHE_MAGIC) + 64 ||
	    memcmp(p, CACHE_MAGIC, strlen(CACHE_MAGIC)) ||
	    memcmp(p + strlen(CACHE_MAGIC), s->fp, 64))
		return -1;
	p = nl + 1;
	while (end - p > 6 && !memcmp(p, "input ", 6)) {
		unsigned long long v[12] = { 0 };
		struct stat st;
		char *path;
		size_t i;
		int filtered = p[6] == 'F';

		if (end - p < 9 || (p[6] != 'F' && p[6] != 'W') || p[7] != ' ')
			return -1;
		p += 8;
		for (i = 0; i < 12; i++)
			if (remote_parse_field(&p, end, &v[i]) < 0)
				return -1;
		if (v[0] > (size_t)(end - p) || v[1] > (size_t)(end - p) - v[0] ||
		    (size_t)(end - p) - v[0] - v[1] < 1)
			return -1;
		memset(&st, 0, sizeof(st));
		st.st_dev = (dev_t)v[2];
		st.st_ino = (ino_t)v[3];
		st.st_size = (off_t)v[4];
		st.st_mtim.tv_sec = (time_t)v[5];
		st.st_mtim.tv_nsec = (long)v[6];
		st.st_ctim.tv_sec = (time_t)v[7];
		st.st_ctim.tv_nsec = (long)v[8];
		st.st_mode = (mode_t)v[9];
		st.st_uid = (uid_t)v[10];
		st.st_gid = (gid_t)v[11];
		path = ed_xstrndup(p, (size_t)v[1]);
		remote_input_push(&s->inputs, &s->inputs_nr, &s->inputs_alloc,
				  path, &st, filtered, p + v[1], (size_t)v[0]);
		free(path);
		p += v[0] + v[1] + 1;
	}
	while (end - p > 4 && !memcmp(p, "cmd ", 4)) {
		ED_ALLOC_GROW(s->cmds, s->cmds_nr + 1, s->cmds_alloc);
		if (remote_cmd_load(&p, end, &s->cmds[s->cmds_nr]) < 0)
			return -1;
		s->cmds_nr++;
	}
	/* "memo KEY CLOCK LEN\n", the memo and "\n" */
	if (end - p > 5 && !memcmp(p, "memo ", 5)) {
		unsigned long long n, clock;

		if (end - p < 5 + 64 + 1 || p[5 + 64] != ' ')
			return -1;
		s->memo_at = (size_t)(p - buf);
		memcpy(s->memo_key, p + 5, 64);
		s->memo_key[64] = '\0';
		p += 5 + 64 + 1;
		if (remote_parse_field(&p, end, &clock) < 0 ||
		    remote_parse_field(&p, end, &n) < 0 ||
		    n >= (size_t)(end - p) || p[n] != '\n')
			return -1;
		s->memo_clock = (long long)clock;
		ed_buf_add(&s->memo, p, (size_t)n);
		p += n + 1;
		s->memo_end = (size_t)(p - buf);
	}
	if (end - p < 6 || memcmp(p, "files ", 6))
		return -1;
	p += 6;
	{
		unsigned long long n;

		if (remote_parse_field(&p, end, &n) < 0 || n != (size_t)(end - p))
			return -1;
	}
	ed_buf_add(&s->files, p, (size_t)(end - p));
	return 0;
}

struct remote_session *remote_session_new(const struct collect_config *cfg,
					  struct ed_hmac *key, const char *cache,
					  size_t len, int full)
{
	struct remote_session *s = ed_xcalloc(1, sizeof(*s));
	size_t i;

	s->cfg = cfg;
	s->full = full;
	s->plan.full = full;
	ed_strvec_init(&s->plan.sent);
	ed_buf_init(&s->files);
	ed_buf_init(&s->loaded);
	ed_buf_init(&s->memo);
	ed_buf_init(&s->next_memo);
	collect_needs(&s->needs, cfg);
	fingerprint(s, key);
	s->plan.cmds = ed_xcalloc(s->needs.cmds_nr + 1, sizeof(*s->plan.cmds));
	s->plan.cmds_nr = s->needs.cmds_nr;
	if (!full && cache && load_cache(s, cache, len) < 0) {
		for (i = 0; i < s->inputs_nr; i++)
			remote_input_release(&s->inputs[i]);
		s->inputs_nr = 0;
		for (i = 0; i < s->cmds_nr; i++)
			remote_cmd_out_release(&s->cmds[i]);
		s->cmds_nr = 0;
		ed_buf_reset(&s->files);
		ed_buf_reset(&s->memo);
		s->memo_key[0] = '\0';
		s->memo_at = s->memo_end = 0;
	} else if (!full && cache) {
		ed_buf_add(&s->loaded, cache, len);
	}
	s->reuse = collect_reuse_new(cfg, key, s->files.len ? s->files.ptr : NULL,
				     s->files.len);
	return s;
}

void remote_session_free(struct remote_session *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->inputs_nr; i++)
		remote_input_release(&s->inputs[i]);
	free(s->inputs);
	for (i = 0; i < s->cmds_nr; i++)
		remote_cmd_out_release(&s->cmds[i]);
	free(s->cmds);
	for (i = 0; i < s->plan.cmds_nr; i++)
		remote_cmd_out_release(&s->plan.cmds[i]);
	free(s->plan.cmds);
	free(s->plan.run);
	for (i = 0; i < s->plan.cached_nr; i++)
		remote_input_release(&s->plan.cached[i]);
	free(s->plan.cached);
	for (i = 0; i < s->plan.got_nr; i++)
		remote_input_release(&s->plan.got[i]);
	free(s->plan.got);
	free(s->plan.sel);
	ed_strvec_release(&s->plan.sent);
	collect_reuse_free(s->reuse);
	ed_buf_release(&s->files);
	ed_buf_release(&s->loaded);
	ed_buf_release(&s->memo);
	ed_buf_release(&s->next_memo);
	collect_needs_release(&s->needs);
	free(s);
}

/*
 * 1 when out holds the whole listing, 0 when more is needed, -1 when it
 * is not a listing at all. Each record is looked at once.
 */
static int listing_done(struct remote_session *s, const char *out, size_t len)
{
	const char *p, *end = out + len;
	size_t i;

	if (!s->off) {
		if (memcmp(out, LIST_START,
			   len < strlen(LIST_START) ? len : strlen(LIST_START)))
			return -1;
		if (len < strlen(LIST_START))
			return 0;
		s->off = strlen(LIST_START);
	}
	for (;;) {
		p = out + s->off;
		if ((size_t)(end - p) >= sizeof(LIST_END) &&
		    !memcmp(p, LIST_END, sizeof(LIST_END)))
			return 1;
		for (i = 0; i < 3; i++) {
			p = memchr(p, '\0', (size_t)(end - p));
			if (!p++)
				return 0;
		}
		s->off = (size_t)(p - out);
	}
}

static const struct remote_input *find_input(const struct remote_session *s,
					     const struct remote_entry *e)
{
	size_t i;

	for (i = 0; i < s->inputs_nr; i++) {
		const struct remote_input *in = &s->inputs[i];
		const struct stat *a = &in->st, *b = &e->st;

		if (strcmp(in->path, e->path))
			continue;
		if (a->st_dev != b->st_dev || a->st_ino != b->st_ino ||
		    a->st_size != b->st_size || a->st_mode != b->st_mode ||
		    a->st_uid != b->st_uid || a->st_gid != b->st_gid ||
		    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
		    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
		    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
		    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec ||
		    collect_stat_racy(b, s->plan.clock))
			return NULL;
		return in;
	}
	return NULL;
}

static size_t filter_index(const struct collect_needs *n, const char *path)
{
	size_t i;

	for (i = 0; i < n->filters_nr && strcmp(n->filters[i].path, path); i++)
		;
	return i;
}

/* One more file asked for; its stat key's newest time is remembered. */
static void asked_for(struct remote_session *s, const struct remote_entry *e)
{
	long long t = e->st.st_mtim.tv_sec > e->st.st_ctim.tv_sec ?
			      (long long)e->st.st_mtim.tv_sec :
			      (long long)e->st.st_ctim.tv_sec;

	if (t > s->sent_newest)
		s->sent_newest = t;
	s->sent++;
}

/* Decide, for one listed regular file, whether its content is asked for. */
static void plan_entry(struct remote_session *s, const struct remote_entry *e)
{
	const struct collect_needs *n = &s->needs;
	const struct remote_input *in = NULL;
	size_t f = filter_index(n, e->path);

	if (ed_strvec_contains(&n->inputs, e->path) ||
	    remote_read_whole(n, e->path))
		in = find_input(s, e);
	if (in) {
		remote_input_push(&s->plan.cached, &s->plan.cached_nr,
				  &s->plan.cached_alloc, in->path, &in->st,
				  in->filtered, in->data, in->len);
		s->reused++;
	} else if (f < n->filters_nr) {
		s->plan.sel[f] = '1';
		asked_for(s, e);
	} else if (remote_read_whole(n, e->path)) {
		ed_strvec_push(&s->plan.sent, e->path);
		asked_for(s, e);
	} else if (collect_reuse_walked(s->reuse, e->path)) {
		if (collect_reuse_hit(s->reuse, e->path, &e->st, s->plan.clock)) {
			s->reused++;
		} else {
			ed_strvec_push(&s->plan.sent, e->path);
			asked_for(s, e);
		}
	}
}

/* The keyed commands' keys; those the cache has the result of are not run. */
static void keys_of_cmds(struct remote_session *s, const struct remote_entry *v,
			 size_t nr)
{
	size_t i;

	for (i = 0; i < s->needs.cmds_nr; i++)
		if (s->needs.cmds[i].keyed_by.nr)
			remote_cmd_key(&s->needs.cmds[i], i, v, nr,
				       s->plan.clock, s->plan.cmds[i].key);
}

static void plan_cmds(struct remote_session *s, const struct remote_entry *v,
		      size_t nr)
{
	size_t i, j;

	keys_of_cmds(s, v, nr);
	s->plan.run = ed_xcalloc(s->needs.cmds_nr + 1, 1);
	for (i = 0; i < s->needs.cmds_nr; i++) {
		struct remote_cmd_out *c = &s->plan.cmds[i];

		s->plan.run[i] = s->needs.cmds[i].keyed_by.nr ? '1' : '-';
		for (j = 0;
		     c->key[0] && s->plan.run[i] == '1' && j < s->cmds_nr; j++) {
			if (strcmp(s->cmds[j].key, c->key))
				continue;
			remote_cmd_out_set(c, s->cmds[j].prog, s->cmds[j].rc,
					   s->cmds[j].data, s->cmds[j].len);
			s->plan.run[i] = '0';
		}
	}
}

/*
 * The second request from the listing in out: "l COUNT\n", the block of
 * the keyed commands to run and the filtered files to send, and COUNT
 * paths.
 */
static int plan(struct remote_session *s, const char *out, size_t len,
		struct ed_buf *more)
{
	struct ed_err err = ED_ERR_INIT;
	struct remote_entry *v = NULL;
	size_t nr = 0, i;

	if (remote_listing(out, len, &v, &nr, &s->plan.clock, &err) < 0)
		return -1;
	s->plan.sel = ed_xcalloc(s->needs.filters_nr + 1, 1);
	memset(s->plan.sel, '0', s->needs.filters_nr);
	for (i = 0; i < nr; i++)
		if (S_ISREG(v[i].st.st_mode) && v[i].readable && !v[i].linked &&
		    !remote_is_proc(v[i].path))
			plan_entry(s, &v[i]);
	plan_cmds(s, v, nr);
	free(v);
	ed_strvec_sort_unique(&s->plan.sent);
	ed_buf_addf(more, "l %zu\n", s->plan.sent.nr);
	remote_request_more(more, &s->needs, s->plan.run, s->plan.sel, 0);
	for (i = 0; i < s->plan.sent.nr; i++) {
		ed_buf_adds(more, s->plan.sent.v[i]);
		ed_buf_addch(more, '\0');
	}
	return 0;
}

int remote_session_reply(struct remote_session *s, const char *out, size_t len,
			 struct ed_buf *more)
{
	int rc;

	if (s->replied)
		return 1;
	ed_buf_reset(more);
	if (s->full) {
		remote_request_all(more, &s->needs);
		s->replied = 1;
		return 1;
	}
	rc = listing_done(s, out, len);
	if (rc == 0)
		return 0;
	/* not a listing: no second request, so the script stops */
	if (rc < 0 || plan(s, out, len, more) < 0)
		ed_buf_reset(more);
	s->replied = 1;
	return 1;
}

int remote_session_decode(struct remote_session *s, struct vfs *fs,
			  const char *buf, size_t len,
			  struct ed_strvec *warnings, struct ed_err *err)
{
	int rc;

	s->decoded = 1;
	rc = remote_decode_plan(fs, buf, len, s->cfg, &s->plan, warnings, err);
	/* a full scan ran every keyed command: their keys, for the next cache */
	if (!rc && !s->plan.run) {
		struct remote_entry *v = NULL;
		size_t nr = 0;
		long long clock;

		if (!remote_listing(buf, len, &v, &nr, &clock, err))
			keys_of_cmds(s, v, nr);
		free(v);
	}
	return rc;
}

void remote_session_collect_opts(const struct remote_session *s,
				 const char **cache_in, size_t *len,
				 long long *clock)
{
	*cache_in = s->full || !s->files.len ? NULL : s->files.ptr;
	*len = s->full ? 0 : s->files.len;
	*clock = s->plan.clock;
}

static void put_input(struct ed_buf *out, const struct remote_input *in)
{
	const struct stat *st = &in->st;

	ed_buf_addf(out, "input %c %zu %zu", in->filtered ? 'F' : 'W', in->len,
		    strlen(in->path));
	collect_stat_key_add(out, st);
	ed_buf_addch(out, '\n');
	ed_buf_adds(out, in->path);
	ed_buf_add(out, in->data, in->len);
	ed_buf_addch(out, '\n');
}

/*
 * What the cache may keep of an input: a large input (never secret) as
 * it is; a file a collector reads whole only when the snapshot stores the
 * very same bytes (content/PATH), so the cache holds nothing that history
 * does not already hold in the clear: a secret file, or one whose secret
 * values the snapshot replaced by tokens, is sent again each time.
 */
static int may_keep(const struct remote_session *s, const struct snapshot *snap,
		    const struct remote_input *in)
{
	const struct snapshot_entry *e;
	struct ed_buf path = ED_BUF_INIT;
	unsigned char oid[20];

	if (ed_strvec_contains(&s->needs.inputs, in->path))
		return 1;
	if (!snap || in->filtered)
		return 0;
	ed_buf_addf(&path, "content%s", in->path);
	e = snapshot_find(snap, path.ptr);
	ed_buf_release(&path);
	if (!e)
		return 0;
	if (!e->has_oid)
		return e->len == in->len && !memcmp(e->data, in->data, in->len);
	ed_git_blob_id(oid, in->data, in->len);
	return !memcmp(oid, e->oid, sizeof(oid));
}

void remote_session_cache(const struct remote_session *s,
			  const struct ed_buf *files_cache,
			  const struct snapshot *snap, struct ed_buf *out)
{
	size_t i;

	ed_buf_reset(out);
	ed_buf_addf(out, CACHE_MAGIC "%s\n", s->fp);
	for (i = 0; i < s->plan.cached_nr; i++)
		if (may_keep(s, snap, &s->plan.cached[i]))
			put_input(out, &s->plan.cached[i]);
	for (i = 0; i < s->plan.got_nr; i++)
		if (may_keep(s, snap, &s->plan.got[i]))
			put_input(out, &s->plan.got[i]);
	for (i = 0; i < s->plan.cmds_nr; i++)
		if (s->plan.cmds[i].have && s->plan.cmds[i].key[0])
			remote_cmd_put(out, &s->plan.cmds[i]);
	if (s->next_key[0]) {
		ed_buf_addf(out, "memo %s %lld %zu\n", s->next_key,
			    s->plan.clock, s->next_memo.len);
		ed_buf_add(out, s->next_memo.ptr, s->next_memo.len);
		ed_buf_addch(out, '\n');
	}
	ed_buf_addf(out, "files %zu\n", files_cache->len);
	ed_buf_add(out, files_cache->ptr, files_cache->len);
}

int remote_session_memo_key(const struct remote_session *s, const char *out,
			    size_t len, const char *extra, size_t extra_len,
			    char key[65])
{
	const char *self = scan_memo_build_id(), *p = out, *end = out + len;
	EVP_MD_CTX *ctx;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int rc = -1;

	/* the answer whole: the racy marks in its listing are part of it */
	if (s->full || !self)
		return -1;
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, "envdrift-memo 1\n", 16) == 1 &&
	    EVP_DigestUpdate(ctx, self, 64) == 1 &&
	    EVP_DigestUpdate(ctx, s->fp, 64) == 1 &&
	    EVP_DigestUpdate(ctx, extra, extra_len) == 1 &&
	    /* the cache it reused files from, but for its memo */
	    EVP_DigestUpdate(ctx, s->loaded.ptr, s->memo_at) == 1 &&
	    EVP_DigestUpdate(ctx, s->loaded.ptr + s->memo_end,
			     s->loaded.len - s->memo_end) == 1 &&
	    EVP_DigestUpdate(ctx, p, (size_t)(end - p)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32) {
		ed_hex(key, md, sizeof(md));
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

const char *remote_session_memo(const struct remote_session *s,
				const char key[65], size_t *len)
{
	if (!s->memo_key[0] || strcmp(s->memo_key, key))
		return NULL;
	/*
	 * A file asked for that was racy when the memo was made is not in
	 * the cache only for that: the collectors run, so it goes there.
	 */
	if (s->sent_newest >= s->memo_clock - 1)
		return NULL;
	*len = s->memo.len;
	return s->memo.ptr;
}

void remote_session_set_memo(struct remote_session *s, const char key[65],
			     const char *memo, size_t len)
{
	memcpy(s->next_key, key, 65);
	ed_buf_reset(&s->next_memo);
	ed_buf_add(&s->next_memo, memo, len);
}

int remote_session_cache_unchanged(const struct remote_session *s,
				   const struct ed_buf *cache)
{
	return s->loaded.len && s->loaded.len == cache->len &&
	       !memcmp(s->loaded.ptr, cache->ptr, cache->len);
}

void remote_session_counts(const struct remote_session *s, size_t *sent,
			   size_t *reused)
{
	/* a memo's host is not decoded: what it was asked for was sent */
	*sent = s->decoded ? s->plan.delivered : s->sent;
	*reused = s->reused;
}
