/*
 * Snapshot files to facts: every line of a collector's file becomes one
 * "collector:key" = value fact, the unit the differ compares and reports.
 * The key is what identifies the thing (a package name and architecture, a
 * sysctl key, a path), the value what may drift about it.
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, madvise(MADV_HUGEPAGE) */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"
#include "differ/internal.h"

struct fact_vec {
	struct fact *v;
	size_t nr, alloc;
};

static void push_fact(struct fact_vec *fv, const char *collector, const char *key,
		      size_t klen, const char *value, size_t vlen)
{
	struct fact *f;

	ED_ALLOC_GROW(fv->v, fv->nr + 1, fv->alloc);
	f = &fv->v[fv->nr++];
	f->collector = ed_xstrdup(collector);
	f->key = ed_xmemdup(key, klen);
	f->value = ed_xmemdup(value, vlen);
}

int differ_cmp_fact(const void *a, const void *b)
{
	const struct fact *x = a, *y = b;
	int c = strcmp(x->collector, y->collector);

	return c ? c : strcmp(x->key, y->key);
}

int differ_cmp_fact_ptr(const void *a, const void *b)
{
	return differ_cmp_fact(*(const struct fact *const *)a,
			       *(const struct fact *const *)b);
}

/* Sort, and join the values of repeated keys with '\n' (multi-line sysctls). */
static void finish_facts(struct fact_vec *fv)
{
	size_t i, out = 0;

	if (fv->nr > 1)
		qsort(fv->v, fv->nr, sizeof(*fv->v), differ_cmp_fact);
	for (i = 0; i < fv->nr; i++) {
		struct fact *prev = out ? &fv->v[out - 1] : NULL;

		if (prev && !differ_cmp_fact(prev, &fv->v[i])) {
			struct ed_buf b = ED_BUF_INIT;

			ed_buf_adds(&b, prev->value);
			ed_buf_addch(&b, '\n');
			ed_buf_adds(&b, fv->v[i].value);
			free(prev->value);
			prev->value = ed_buf_detach(&b, NULL);
			free(fv->v[i].collector);
			free(fv->v[i].key);
			free(fv->v[i].value);
			continue;
		}
		fv->v[out++] = fv->v[i];
	}
	fv->nr = out;
}

/* "key = value" files: sysctl, kernel, os-release */
static int parse_assign(struct fact_vec *fv, const char *collector,
			const char *line, size_t len)
{
	const char *eq = NULL;
	size_t i;

	for (i = 0; i + 2 < len; i++)
		if (line[i] == ' ' && line[i + 1] == '=' && line[i + 2] == ' ') {
			eq = line + i;
			break;
		}
	if (!eq && len >= 2 && !memcmp(line + len - 2, " =", 2))
		eq = line + len - 2; /* "key = " with an empty value */
	if (!eq)
		return -1;
	push_fact(fv, collector, line, (size_t)(eq - line),
		  eq + 3 <= line + len ? eq + 3 : line + len,
		  eq + 3 <= line + len ? (size_t)(line + len - eq - 3) : 0);
	return 0;
}

/* Split at the first space: "head rest". */
static const char *first_space(const char *line, size_t len)
{
	return memchr(line, ' ', len);
}

static int parse_line(struct fact_vec *fv, const char *file, const char *line,
		      size_t len)
{
	const char *sp = first_space(line, len);

	if (!strcmp(file, "sysctl") || !strcmp(file, "sysctl-per-host") ||
	    !strcmp(file, "os-release") || !strcmp(file, "toggles") ||
	    !strcmp(file, "identity"))
		return parse_assign(fv, file, line, len);
	if (!strcmp(file, "kernel")) {
		if (len > 7 && !memcmp(line, "module ", 7)) {
			push_fact(fv, file, line, len, "loaded", 6);
			return 0;
		}
		return parse_assign(fv, file, line, len);
	}
	if (!strcmp(file, "packages")) {
		/* "name arch version[ state]": key name:arch */
		const char *sp2 =
			sp ? first_space(sp + 1, (size_t)(line + len - sp - 1)) :
			     NULL;
		struct ed_buf key = ED_BUF_INIT;

		if (!sp || !sp2)
			return -1;
		ed_buf_add(&key, line, (size_t)(sp - line));
		ed_buf_addch(&key, ':');
		ed_buf_add(&key, sp + 1, (size_t)(sp2 - sp - 1));
		push_fact(fv, file, key.ptr, key.len, sp2 + 1,
			  (size_t)(line + len - sp2 - 1));
		ed_buf_release(&key);
		return 0;
	}
	if (!strcmp(file, "services")) {
		/* "enabled UNIT DIR", "masked UNIT", "alias NAME UNIT",
		 * "active UNIT", "listen PROTO ADDR": key "kind UNIT" */
		const char *sp2;

		if (!sp)
			return -1;
		if (len > 7 && !memcmp(line, "listen ", 7)) {
			push_fact(fv, file, line, len, "listening", 9);
			return 0;
		}
		sp2 = first_space(sp + 1, (size_t)(line + len - sp - 1));
		if (!sp2)
			push_fact(fv, file, line, len, "yes", 3);
		else
			push_fact(fv, file, line, (size_t)(sp2 - line), sp2 + 1,
				  (size_t)(line + len - sp2 - 1));
		return 0;
	}
	if (!strcmp(file, "files")) {
		if (!sp)
			return -1;
		push_fact(fv, file, line, (size_t)(sp - line), sp + 1,
			  (size_t)(line + len - sp - 1));
		return 0;
	}
	/* a file this version does not know: each line is a fact */
	push_fact(fv, file, line, len, "present", 7);
	return 0;
}

/*
 * Parse the lines of one snapshot file into fv: the number of the first
 * malformed line (where parsing stops), 0 if none.
 */
static size_t parse_file(struct fact_vec *fv, const char *name,
			 const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (n && parse_line(fv, name, p, n) < 0)
			return lineno;
		p += n + 1;
	}
	return 0;
}

size_t differ_parse_file(struct fact **out, size_t *nr, const char *name,
			 const char *data, size_t len)
{
	struct fact_vec fv = { NULL, 0, 0 };
	size_t bad = parse_file(&fv, name, data, len);

	finish_facts(&fv);
	*out = fv.v;
	*nr = fv.nr;
	return bad;
}

static void parse_meta(struct differ_host *h, const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	static const char coll[] = "collector ";
	static const char pkgs[] = "collector packages collected: ";

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line = ed_xmemdup(p, n);

		if (!strncmp(line, "role ", 5)) {
			ed_strvec_push(&h->roles, line + 5);
		} else if (!strncmp(line, pkgs, sizeof(pkgs) - 1)) {
			size_t w = strcspn(line + sizeof(pkgs) - 1, " ");

			free(h->pkg_manager);
			h->pkg_manager = ed_xstrndup(line + sizeof(pkgs) - 1, w);
		} else if (!strncmp(line, coll, sizeof(coll) - 1) &&
			   strstr(line, " not-collected")) {
			size_t w = strcspn(line + sizeof(coll) - 1, " ");

			ed_strvec_take(&h->uncollected,
				       ed_xstrndup(line + sizeof(coll) - 1, w));
		}
		free(line);
		p += n + 1;
	}
	if (!h->roles.nr)
		ed_strvec_push(&h->roles, "default");
	ed_strvec_sort_unique(&h->roles);
}

int differ_host_load(struct differ_host *out, const char *env, const char *host,
		     const struct snapshot *snap, struct ed_err *err)
{
	struct fact_vec fv = { NULL, 0, 0 };
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->env = ed_xstrdup(env);
	out->host = ed_xstrdup(host);
	for (i = 0; i < snap->nr && !rc; i++) {
		const struct snapshot_entry *e = &snap->entries[i];
		size_t bad;

		if (!e->data || strchr(e->path, '/'))
			continue; /* contents are diffed, not compared as facts */
		if (!strcmp(e->path, "meta")) {
			parse_meta(out, e->data, e->len);
			continue;
		}
		bad = parse_file(&fv, e->path, e->data, e->len);
		if (bad)
			rc = ed_err_set(err, ED_EPARSE,
					"hosts/%s/%s/%s:%zu: malformed line",
					env, host, e->path, bad);
	}
	finish_facts(&fv);
	out->own = fv.v;
	out->nr_own = out->nr_facts = fv.nr;
	out->facts = ed_xcalloc(fv.nr + 1, sizeof(*out->facts));
	for (i = 0; i < fv.nr; i++)
		out->facts[i] = &fv.v[i];
	if (!out->roles.nr)
		ed_strvec_push(&out->roles, "default");
	if (rc < 0)
		differ_host_release(out);
	return rc;
}

/*
 * Loaded hosts' fact arrays (24 KB each at 3,000 facts, 240 MB at 10,000
 * hosts) come from big chunks the kernel may back with huge pages: one
 * fault per 2 MiB instead of per 4 KiB. A chunk is reused once the last
 * host in it is released (a gate's next run loads its hosts again).
 */
#define CHUNK_SIZE ((size_t)64 << 20)

struct fact_chunk {
	char *base;
	size_t size, used, live;
};

static void chunk_put(void *chunk)
{
	struct fact_chunk *ch = chunk;

	if (!--ch->live)
		ch->used = 0;
}

/* n facts from c's chunks into *chunk_out; NULL when mapping fails. */
static const struct fact **chunk_alloc(struct differ_fact_cache *c, size_t n,
				       void **chunk_out);

void differ_host_release(struct differ_host *h)
{
	size_t i;

	differ_facts_free(h->own, h->nr_own);
	for (i = 0; i < h->nr_cow; i++)
		free(h->cow[i]); /* its strings are a cache's or in owned */
	free(h->cow);
	if (h->facts_chunk)
		chunk_put(h->facts_chunk);
	else
		free(h->facts);
	free(h->env);
	free(h->host);
	free(h->pkg_manager);
	ed_strvec_release(&h->roles);
	ed_strvec_release(&h->uncollected);
	ed_strvec_release(&h->owned);
	memset(h, 0, sizeof(*h));
}

/* One parsed file in the cache: its facts own their strings. */
struct cached_file {
	unsigned char oid[20];
	char *name;
	struct fact_vec fv;
	int bad; /* did not parse: the error is re-raised per host */
	size_t bad_line;
};

struct differ_fact_cache {
	struct cached_file **slots; /* open addressing on the blob id */
	size_t cap, nr;
	struct fact_chunk **chunks;
	size_t nchunks, achunks;
};

static const struct fact **chunk_alloc(struct differ_fact_cache *c, size_t n,
				       void **chunk_out)
{
	size_t bytes = ed_st_mult(n, sizeof(struct fact *)), i;
	struct fact_chunk *ch = NULL;
	void *base;

	bytes = (bytes + 63) & ~(size_t)63;
	for (i = 0; i < c->nchunks && !ch; i++)
		if (c->chunks[i]->size - c->chunks[i]->used >= bytes)
			ch = c->chunks[i];
	if (!ch) {
		size_t size = bytes > CHUNK_SIZE ? bytes : CHUNK_SIZE;

		base = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			return NULL;
		(void)madvise(base, size, MADV_HUGEPAGE); /* a hint only */
		ch = ed_xcalloc(1, sizeof(*ch));
		ch->base = base;
		ch->size = size;
		ED_ALLOC_GROW(c->chunks, c->nchunks + 1, c->achunks);
		c->chunks[c->nchunks++] = ch;
	}
	base = ch->base + ch->used;
	ch->used += bytes;
	ch->live++;
	*chunk_out = ch;
	return base;
}

struct differ_fact_cache *differ_fact_cache_new(void)
{
	struct differ_fact_cache *c = ed_xcalloc(1, sizeof(*c));

	c->cap = 256;
	c->slots = ed_xcalloc(c->cap, sizeof(*c->slots));
	return c;
}

void differ_facts_free(struct fact *f, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(f[i].collector);
		free(f[i].key);
		free(f[i].value);
	}
	free(f);
}

static void free_vec(struct fact_vec *fv)
{
	differ_facts_free(fv->v, fv->nr);
}

void differ_fact_cache_free(struct differ_fact_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->cap; i++) {
		if (!c->slots[i])
			continue;
		free_vec(&c->slots[i]->fv);
		free(c->slots[i]->name);
		free(c->slots[i]);
	}
	for (i = 0; i < c->nchunks; i++) {
		munmap(c->chunks[i]->base, c->chunks[i]->size);
		free(c->chunks[i]);
	}
	free(c->chunks);
	free(c->slots);
	free(c);
}

static size_t slot_of(const unsigned char *oid, const char *name, size_t cap)
{
	size_t h, i;

	memcpy(&h, oid, sizeof(h));
	for (i = 0; name[i]; i++)
		h = h * 31 + (unsigned char)name[i];
	return h & (cap - 1);
}

/* The cached parse of (name, oid), reading and parsing it on a miss. */
static int cache_get(struct cached_file **out, struct differ_fact_cache *c,
		     const struct store_view *v, const char *name,
		     const unsigned char oid[20], struct ed_err *err)
{
	struct ed_buf data = ED_BUF_INIT;
	struct cached_file *cf;
	size_t i;
	int rc;

	if ((c->nr + 1) * 2 > c->cap) {
		struct cached_file **old = c->slots;
		size_t oldcap = c->cap;

		c->cap *= 2;
		c->slots = ed_xcalloc(c->cap, sizeof(*c->slots));
		for (i = 0; i < oldcap; i++) {
			size_t j;

			if (!old[i])
				continue;
			j = slot_of(old[i]->oid, old[i]->name, c->cap);
			while (c->slots[j])
				j = (j + 1) & (c->cap - 1);
			c->slots[j] = old[i];
		}
		free(old);
	}
	for (i = slot_of(oid, name, c->cap); c->slots[i];
	     i = (i + 1) & (c->cap - 1))
		if (!memcmp(c->slots[i]->oid, oid, 20) &&
		    !strcmp(c->slots[i]->name, name)) {
			*out = c->slots[i];
			return 0;
		}
	rc = store_view_read_blob(v, oid, &data, err);
	if (rc < 0)
		return rc;
	cf = ed_xcalloc(1, sizeof(*cf));
	memcpy(cf->oid, oid, 20);
	cf->name = ed_xstrdup(name);
	cf->bad_line = parse_file(&cf->fv, name, data.ptr, data.len);
	cf->bad = cf->bad_line != 0;
	finish_facts(&cf->fv);
	ed_buf_release(&data);
	c->slots[i] = cf;
	c->nr++;
	*out = cf;
	return 0;
}

int differ_host_load_view(struct differ_host *out, struct differ_fact_cache *c,
			  const struct store_view *v, const char *env,
			  const char *host, struct ed_err *err)
{
	struct store_file *files = NULL;
	size_t nfiles = 0, i, total = 0, at = 0;
	struct cached_file **parts = NULL;
	int rc, untracked = 0;

	memset(out, 0, sizeof(*out));
	out->env = ed_xstrdup(env);
	out->host = ed_xstrdup(host);
	out->borrowed = 1;
	rc = store_view_host_files(v, env, host, &files, &nfiles, err);
	if (rc < 0)
		goto out;
	parts = ed_xcalloc(nfiles + 1, sizeof(*parts));
	for (i = 0; i < nfiles; i++) {
		if (!strcmp(files[i].name, "meta")) {
			struct ed_buf meta = ED_BUF_INIT;

			rc = store_view_read_blob(v, files[i].oid, &meta, err);
			if (!rc)
				parse_meta(out, meta.ptr, meta.len);
			ed_buf_release(&meta);
			if (rc < 0)
				goto out;
			continue;
		}
		rc = cache_get(&parts[i], c, v, files[i].name, files[i].oid, err);
		if (rc < 0)
			goto out;
		if (parts[i]->bad) {
			rc = ed_err_set(err, ED_EPARSE,
					"hosts/%s/%s/%s:%zu: malformed line", env,
					host, files[i].name, parts[i]->bad_line);
			goto out;
		}
		total += parts[i]->fv.nr;
	}
	/* files come in byte order, which is collector order: concatenation is sorted */
	/* every slot is written below: only the spare one needs zeroing */
	out->facts = chunk_alloc(c, total + 1, &out->facts_chunk);
	if (!out->facts)
		out->facts =
			ed_xmalloc(ed_st_mult(total + 1, sizeof(*out->facts)));
	out->facts[total] = NULL;
	for (i = 0; i < nfiles; i++) {
		size_t j;

		if (!parts[i])
			continue;
		for (j = 0; j < parts[i]->fv.nr; j++)
			out->facts[at + j] = &parts[i]->fv.v[j];
		if (!untracked &&
		    out->nspans < sizeof(out->spans) / sizeof(out->spans[0])) {
			out->spans[out->nspans].table = parts[i];
			out->spans[out->nspans].start = at;
			out->spans[out->nspans].len = parts[i]->fv.nr;
			out->nspans++;
		} else {
			untracked = 1; /* too many files to track: no dedupe */
			out->nspans = 0;
		}
		at += parts[i]->fv.nr;
	}
	out->nr_facts = total;
	if (!out->roles.nr)
		ed_strvec_push(&out->roles, "default");
out:
	free(parts);
	store_files_free(files, nfiles);
	if (rc < 0)
		differ_host_release(out);
	return rc;
}

/* The services facts only a running system has (prefixes of 7 bytes). */
static const char *const live_kinds[] = { "active ", "listen " };

int differ_live_key(const char *collector, const char *key)
{
	/* runs per host and key: the first bytes rule out most keys */
	if ((key[0] != 'a' && key[0] != 'l') || collector[0] != 's')
		return 0;
	return !strcmp(collector, "services") &&
	       (!strncmp(key, live_kinds[0], 7) ||
		!strncmp(key, live_kinds[1], 7));
}

static int fact_cmp(const struct fact *f, const char *collector, const char *key)
{
	int c = strcmp(f->collector, collector);

	return c ? c : strcmp(f->key, key);
}

const struct fact *differ_fact_seek(const struct differ_host *h, size_t *cur,
				    const char *collector, const char *key)
{
	size_t lo = *cur, hi = h->nr_facts, step = 1;
	int c, tries;

	/*
	 * Keys come in order and most hosts hold most keys: the key is
	 * usually at the cursor or right after it. Everything before the
	 * cursor is below the previous key, so a fact above this key there
	 * means the host lacks it.
	 */
	for (tries = 0; tries < 2 && lo < hi; tries++) {
		c = fact_cmp(h->facts[lo], collector, key);
		if (!c) {
			*cur = lo;
			return h->facts[lo];
		}
		if (c > 0) {
			*cur = lo;
			return NULL;
		}
		lo++;
	}
	/* gallop: the next one is still close */
	while (lo + step < hi &&
	       fact_cmp(h->facts[lo + step], collector, key) < 0) {
		lo += step;
		step *= 2;
	}
	if (lo + step < hi)
		hi = lo + step + 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fact_cmp(h->facts[mid], collector, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*cur = lo;
	if (lo >= h->nr_facts)
		return NULL;
	c = fact_cmp(h->facts[lo], collector, key);
	return c ? NULL : h->facts[lo];
}

void differ_fact_seek_all(const struct fact **fv, size_t *cur,
			  const struct differ_host *const *g, size_t n,
			  const char *collector, const char *key)
{
	const struct fact *hint = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct differ_host *h = g[i];
		/* a host that held the last key sits on it: this one is next */
		size_t at = cur[i] + (fv[i] != NULL);

		if (hint && at < h->nr_facts && h->facts[at]->key == hint->key &&
		    h->facts[at]->collector == hint->collector) {
			cur[i] = at;
			fv[i] = h->facts[at];
			continue;
		}
		fv[i] = differ_fact_seek(h, &cur[i], collector, key);
		if (fv[i])
			hint = fv[i];
	}
}

/* The first fact of h at or after collector:key in fact order. */
static size_t lower_bound(const struct differ_host *h, const char *collector,
			  const char *key)
{
	size_t lo = 0, hi = h->nr_facts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(h->facts[mid]->collector, collector);

		if (!c)
			c = strcmp(h->facts[mid]->key, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The fact collector:key of h, or NULL: where lower_bound lands. */
const struct fact *differ_find_fact(const struct differ_host *h,
				    const char *collector, const char *key)
{
	size_t i = lower_bound(h, collector, key);

	if (i < h->nr_facts && !strcmp(h->facts[i]->collector, collector) &&
	    !strcmp(h->facts[i]->key, key))
		return h->facts[i];
	return NULL;
}

size_t differ_fact_index(const struct differ_host *h, const char *collector,
			 const char *key)
{
	size_t i = lower_bound(h, collector, key);

	if (i < h->nr_facts && !strcmp(h->facts[i]->collector, collector) &&
	    !strcmp(h->facts[i]->key, key))
		return i;
	return h->nr_facts;
}

struct fact *differ_host_own_fact(struct differ_host *h, size_t i)
{
	struct fact *c;
	size_t k;

	if (!h->borrowed)
		return &h->own[h->facts[i] - h->own]; /* h's already */
	for (k = h->nr_cow; k > 0; k--)
		if (h->cow[k - 1] == h->facts[i])
			return h->cow[k - 1]; /* copied already */
	c = ed_xmalloc(sizeof(*c));
	*c = *h->facts[i];
	ED_ALLOC_GROW(h->cow, h->nr_cow + 1, h->alloc_cow);
	h->cow[h->nr_cow++] = c;
	h->facts[i] = c;
	return c;
}

void differ_collector_facts(const struct differ_host *h, const char *collector,
			    size_t *from, size_t *to)
{
	size_t lo = lower_bound(h, collector, ""), hi = h->nr_facts, end;

	/* the first fact of a later collector: the run ends there */
	for (end = lo; end < hi;) {
		size_t mid = end + (hi - end) / 2;

		if (strcmp(h->facts[mid]->collector, collector) <= 0)
			end = mid + 1;
		else
			hi = mid;
	}
	*from = lo;
	*to = end;
}

int differ_host_has(const struct differ_host *h, const char *collector)
{
	size_t from, to;

	differ_collector_facts(h, collector, &from, &to);
	return from < to;
}

int differ_host_live(const struct differ_host *h)
{
	size_t k, i;

	for (k = 0; k < 2; k++) {
		i = lower_bound(h, "services", live_kinds[k]);
		if (i < h->nr_facts &&
		    !strcmp(h->facts[i]->collector, "services") &&
		    !strncmp(h->facts[i]->key, live_kinds[k], 7))
			return 1;
	}
	return 0;
}

int differ_text_stored(const char *v)
{
	return v && !strncmp(v, "file ", 5) && strstr(v, " sha256:") &&
	       !strstr(v, "hmac:");
}

int differ_read_content(struct ed_buf *out, const struct store_view *v,
			const char *env, const char *host, const char *key,
			struct ed_err *err)
{
	struct ed_buf path = ED_BUF_INIT;
	int rc;

	ed_buf_adds(&path, "content");
	rc = snapshot_unquote(&path, key, strlen(key), err);
	ed_buf_reset(out);
	if (!rc)
		rc = store_view_read_file(v, env, host, path.ptr, out, err);
	ed_buf_release(&path);
	return rc;
}
