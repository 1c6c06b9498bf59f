/*
 * Host identity is not drift: between different hosts, a config file
 * whose stored text differs only by each host's own name, addresses, MACs
 * or machine-id is the same file. Only keys whose raw values disagree are
 * looked at, so a file that lists every member of a cluster (equal raw on
 * every host) costs nothing and stays equal, and only those hosts' blobs
 * are read. Two values are equal when equal raw or equal normalised; the
 * hosts so joined get one value, and the differ never sees the rest.
 */
#include "differ/internal.h"

#include <stdlib.h>
#include <string.h>

#include "baselines/baseline.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "core/store.h"
#include "core/strvec.h"

static int read_content(struct ed_buf *out, const struct store_view *v,
			const struct differ_host *h, const char *key)
{
	struct ed_err e = ED_ERR_INIT;

	return differ_read_content(out, v, h->env, h->host, key, &e);
}

/*
 * The identity file's facts ("identity:addr4" = the addresses, one a
 * line), less the addresses (MACs) differ_normalize found shared: 1 if h
 * has them; *addrs (*macs) 1 if they gave addresses (MACs).
 */
static int identity_from_facts(struct host_identity *id,
			       const struct differ_host *h, int *addrs, int *macs)
{
	size_t i, from, to, named = 0;

	*addrs = *macs = 0;
	differ_collector_facts(h, "identity", &from, &to);
	for (i = from; i < to; i++) {
		const char *k = h->facts[i]->key, *v = h->facts[i]->value;
		int addr = !strcmp(k, "addr4") || !strcmp(k, "addr6");
		int mac = !strcmp(k, "mac");

		if ((addr && h->identity_shared_addrs) ||
		    (mac && h->identity_shared_macs))
			continue;
		*addrs |= addr;
		*macs |= mac;
		for (;;) {
			const char *nl = strchr(v, '\n');
			size_t n = nl ? (size_t)(nl - v) : strlen(v);

			host_identity_set(id, k, v, n);
			if (!nl)
				break;
			v = nl + 1;
		}
	}
	for (i = 0; i < id->nr; i++)
		named |= id->v[i].kind == IDENTITY_NAME;
	if (from < to && !named) /* no host name: the inventory's */
		host_identity_add_name(id, h->host, strlen(h->host));
	return from < to;
}

/* What h's stored files say it is (snapshots of older releases). */
static void identity_from_files(struct host_identity *id,
				const struct differ_host *h,
				const struct store_view *v, int addrs, int macs)
{
	struct host_identity net;
	struct ed_buf b = ED_BUF_INIT;
	size_t i, from, to;

	memset(&net, 0, sizeof(net));
	if (!read_content(&b, v, h, "/etc/hostname"))
		host_identity_from_hostname(id, b.ptr, b.len);
	if (!id->nr) /* no /etc/hostname: the inventory's name */
		host_identity_add_name(id, h->host, strlen(h->host));
	if (!read_content(&b, v, h, "/etc/machine-id"))
		host_identity_from_machine_id(id, b.ptr, b.len);
	differ_collector_facts(h, "files", &from, &to);
	for (i = from; i < to; i++) {
		const char *k = h->facts[i]->key;

		if (!differ_text_stored(h->facts[i]->value) ||
		    !host_identity_config_file(k) || read_content(&b, v, h, k))
			continue;
		host_identity_from_config(&net, k, b.ptr, b.len);
	}
	host_identity_add_net(id, &net, addrs, macs);
	if (!read_content(&b, v, h, "/etc/hosts"))
		host_identity_from_hosts(id, b.ptr, b.len,
					 addrs && !host_identity_has_addrs(id));
	host_identity_release(&net);
	ed_buf_release(&b);
}

void differ_identity_load(struct host_identity *id, const struct differ_host *h,
			  const struct store_view *v)
{
	int addrs, macs;

	if (!identity_from_facts(id, h, &addrs, &macs))
		identity_from_files(id, h, v, 1, 1);
	else if (!addrs || !macs)
		identity_from_files(id, h, v, !addrs, !macs);
}

/* Push each line of text to out. */
static void push_lines(struct ed_strvec *out, const char *text)
{
	for (;;) {
		const char *nl = strchr(text, '\n');

		ed_strvec_take(out, nl ? ed_xstrndup(text, (size_t)(nl - text)) :
					 ed_xstrdup(text));
		if (!nl)
			return;
		text = nl + 1;
	}
}

/* key is of kind: "addr" (addr4, addr6) or "mac". */
static int key_is(const char *key, const char *kind)
{
	if (kind[0] == 'a')
		return !strcmp(key, "addr4") || !strcmp(key, "addr6");
	return !strcmp(key, "mac");
}

/* h's identity file says its values of kind came from the kernel. */
static int from_kernel(const struct differ_host *h, const char *kind)
{
	size_t j, from, to;

	differ_collector_facts(h, "identity", &from, &to);
	for (j = from; j < to; j++)
		if (!strcmp(h->facts[j]->key,
			    kind[0] == 'a' ? "addresses-from" : "macs-from"))
			return !strcmp(h->facts[j]->value, "kernel");
	return 0;
}

/*
 * A value of the kind ("addr" for both address kinds, "mac") in two
 * hosts' identity files is nobody's own. Mark each host whose values of
 * a kind, read from its kernel, are all shared: that kernel's view is not
 * the host's own (chroots of one machine, a table copied between images).
 */
static void mark_shared(struct differ_host *const *h, size_t n, const char *kind)
{
	struct ed_strvec *mine = ed_xcalloc(n + 1, sizeof(*mine));
	struct ed_strvec all = ED_STRVEC_INIT, dup = ED_STRVEC_INIT;
	size_t i, j, from, to;

	/* each host's values of kind, each once */
	for (i = 0; i < n; i++) {
		differ_collector_facts(h[i], "identity", &from, &to);
		for (j = from; j < to; j++)
			if (key_is(h[i]->facts[j]->key, kind))
				push_lines(&mine[i], h[i]->facts[j]->value);
		ed_strvec_sort_unique(&mine[i]);
		for (j = 0; j < mine[i].nr; j++)
			ed_strvec_push(&all, mine[i].v[j]);
	}
	ed_strvec_sort(&all);
	for (i = 1; i < all.nr; i++)
		if (!strcmp(all.v[i - 1], all.v[i]) &&
		    (!dup.nr || strcmp(dup.v[dup.nr - 1], all.v[i])))
			ed_strvec_push(&dup, all.v[i]);
	for (i = 0; i < n; i++) {
		size_t own = 0;
		int shared;

		for (j = 0; j < mine[i].nr; j++)
			own += ed_strvec_find(&dup, mine[i].v[j]) == dup.nr;
		shared = mine[i].nr && !own && from_kernel(h[i], kind);
		if (kind[0] == 'a')
			h[i]->identity_shared_addrs = shared ? 1 : 0;
		else
			h[i]->identity_shared_macs = shared ? 1 : 0;
		ed_strvec_release(&mine[i]);
	}
	free(mine);
	ed_strvec_release(&all);
	ed_strvec_release(&dup);
}

/* One host's fact for the key being looked at. */
struct member {
	size_t host;
	const struct fact *fact;
	size_t at;     /* fact's index in its host's facts */
	char norm[65]; /* sha256 of the normalised content; "" if unread */
	size_t root;   /* union-find parent, an index into members */
	size_t group;  /* its root, for sorting */
};

static size_t find_root(struct member *m, size_t i)
{
	while (m[i].root != i) {
		m[i].root = m[m[i].root].root;
		i = m[i].root;
	}
	return i;
}

static void join(struct member *m, size_t a, size_t b)
{
	a = find_root(m, a);
	b = find_root(m, b);
	if (a != b)
		m[a > b ? a : b].root = a < b ? a : b;
}

static const struct member *sort_base;

/* By group, then raw value. */
static int by_group_raw(const void *x, const void *y)
{
	const struct member *a = &sort_base[*(const size_t *)x];
	const struct member *b = &sort_base[*(const size_t *)y];

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	return strcmp(a->fact->value, b->fact->value);
}

static int by_norm(const void *x, const void *y)
{
	const struct member *a = &sort_base[*(const size_t *)x];
	const struct member *b = &sort_base[*(const size_t *)y];

	return strcmp(a->norm, b->norm);
}

/*
 * Give every member of each joined group the raw value most of its
 * members hold (on a tie, the smallest), where the group holds several.
 */
static void settle(struct member *m, size_t nm, size_t *order,
		   struct differ_host *const *h)
{
	size_t i, j, k, run;

	for (i = 0; i < nm; i++) {
		m[i].group = find_root(m, i);
		order[i] = i;
	}
	sort_base = m;
	qsort(order, nm, sizeof(*order), by_group_raw);
	for (i = 0; i < nm; i = j) {
		char *best = NULL;
		size_t best_n = 0, runs = 0;

		for (j = i; j < nm && m[order[j]].group == m[order[i]].group; j++)
			;
		for (k = i; k < j; k = run) {
			for (run = k + 1;
			     run < j && !strcmp(m[order[run]].fact->value,
						m[order[k]].fact->value);
			     run++)
				;
			runs++;
			if (run - k > best_n) {
				best_n = run - k;
				best = m[order[k]].fact->value;
			}
		}
		for (k = i; runs > 1 && k < j; k++) {
			struct member *mk = &m[order[k]];

			differ_host_own_fact(h[mk->host], mk->at)->value = best;
		}
	}
}

/* The hosts holding key with a normalisable value, their groups joined. */
static void key_members(struct member **mv, size_t *nm, size_t *alloc,
			struct differ_host *const *h, size_t n, const char *key)
{
	size_t i;

	*nm = 0;
	for (i = 0; i < n; i++) {
		size_t at = differ_fact_index(h[i], "files", key);
		const struct fact *f =
			at < h[i]->nr_facts ? h[i]->facts[at] : NULL;

		/* values are repointed: only a cache's shared strings */
		if (!f || !differ_text_stored(f->value) || !h[i]->borrowed)
			continue;
		ED_ALLOC_GROW(*mv, *nm + 1, *alloc);
		memset(&(*mv)[*nm], 0, sizeof(**mv));
		(*mv)[*nm].host = i;
		(*mv)[*nm].fact = f;
		(*mv)[*nm].at = at;
		(*mv)[*nm].root = *nm;
		(*nm)++;
	}
}

/* Join members equal raw, then those equal normalised. */
static void join_equal(struct member *m, size_t nm, size_t *order)
{
	size_t i;

	for (i = 0; i < nm; i++)
		order[i] = i;
	sort_base = m;
	for (i = 0; i < nm; i++)
		m[i].group = 0;
	qsort(order, nm, sizeof(*order), by_group_raw);
	for (i = 1; i < nm; i++)
		if (!strcmp(m[order[i]].fact->value, m[order[i - 1]].fact->value))
			join(m, order[i], order[i - 1]);
	qsort(order, nm, sizeof(*order), by_norm);
	for (i = 1; i < nm; i++)
		if (m[order[i]].norm[0] &&
		    !strcmp(m[order[i]].norm, m[order[i - 1]].norm))
			join(m, order[i], order[i - 1]);
}

/*
 * The files keys whose values are not all equal among the hosts (a key
 * some hosts lack counts only by the values of those that have it).
 */
static void disagreeing_keys(struct ed_strvec *out,
			     struct differ_host *const *h, size_t n)
{
	struct ed_strvec seen = ED_STRVEC_INIT; /* "key\tvalue", each once */
	size_t i, j, f0, t0, from, to;

	if (!n)
		return;
	differ_collector_facts(h[0], "files", &f0, &t0);
	for (i = 1; i < n; i++) {
		size_t a, b;

		differ_collector_facts(h[i], "files", &from, &to);
		/* both sorted by key: a merge */
		for (a = f0, b = from; b < to;) {
			const struct fact *fa = a < t0 ? h[0]->facts[a] : NULL;
			const struct fact *fb = h[i]->facts[b];
			/* a table's keys are shared strings: pointers first */
			int c = !fa                ? 1 :
				fa->key == fb->key ? 0 :
						     strcmp(fa->key, fb->key);

			if (c < 0) {
				a++;
				continue;
			}
			if (c > 0) {
				if (differ_text_stored(h[i]->facts[b]->value))
					ed_strvec_pushf(&seen, "%s\t%s",
							h[i]->facts[b]->key,
							h[i]->facts[b]->value);
				b++;
				continue;
			}
			if (!differ_same_str(h[0]->facts[a]->value,
					     h[i]->facts[b]->value) &&
			    differ_text_stored(h[i]->facts[b]->value))
				ed_strvec_push(out, h[i]->facts[b]->key);
			a++;
			b++;
		}
	}
	/* keys host 0 lacks: disagreeing if two values were seen */
	ed_strvec_sort_unique(&seen);
	for (j = 1; j < seen.nr; j++) {
		const char *p = seen.v[j - 1], *q = seen.v[j];
		size_t kl = strcspn(p, "\t");

		if (!strncmp(p, q, kl) && q[kl] == '\t') {
			char *k = ed_xstrndup(p, kl);

			ed_strvec_take(out, k);
		}
	}
	ed_strvec_release(&seen);
	ed_strvec_sort_unique(out);
}

/*
 * "listen tcp 10.20.1.6:9100" -> the address's span; 0 if the line has
 * none or binds any or loopback (those are classes already).
 */
static int listen_addr(const char *key, size_t *at, size_t *n)
{
	const char *proto = key + 7, *addr = strchr(proto, ' ');
	const char *colon = strrchr(key, ':');

	if (strncmp(key, "listen ", 7) || !addr || !colon || colon < addr)
		return 0;
	addr++;
	if (*addr == '[') {
		addr++;
		if (colon[-1] != ']')
			return 0;
		*n = (size_t)(colon - 1 - addr);
	} else {
		*n = (size_t)(colon - addr);
	}
	*at = (size_t)(addr - key);
	if ((*n == 7 && !strncmp(addr, "0.0.0.0", 7)) ||
	    (*n == 2 && !strncmp(addr, "::", 2)) ||
	    (*n == 3 && !strncmp(addr, "::1", 3)) || !strncmp(addr, "127.", 4))
		return 0;
	return 1;
}

void differ_normalise_listeners(struct differ_host *h,
				const struct host_identity *id)
{
	size_t i, at, n, from, to;
	int moved = 0;

	differ_collector_facts(h, "services", &from, &to);
	for (i = from; i < to; i++) {
		const struct fact *old = h->facts[i];
		struct ed_buf k = ED_BUF_INIT;
		struct fact *f;

		if (!listen_addr(old->key, &at, &n) ||
		    !host_identity_is_addr(id, old->key + at, n))
			continue;
		f = differ_host_own_fact(h, i);
		ed_buf_add(&k, f->key, at);
		ed_buf_adds(&k, memchr(f->key + at, ':', n) ? "{addr6}" :
							      "{addr4}");
		ed_buf_adds(&k, f->key + at + n);
		if (h->borrowed) { /* the old key is the cache's */
			ed_strvec_take(&h->owned, ed_buf_detach(&k, NULL));
			f->key = h->owned.v[h->owned.nr - 1];
		} else {
			free(f->key);
			f->key = ed_buf_detach(&k, NULL);
		}
		moved = 1;
	}
	if (moved) {
		size_t s;

		/* only services keys changed: only their run needs sorting */
		qsort(h->facts + from, to - from, sizeof(*h->facts),
		      differ_cmp_fact_ptr);
		/*
		 * The spans keep their places; the one holding the services
		 * run no longer holds the shared table's keys, so it becomes
		 * this host's own (key_universe reads other hosts' spans of
		 * that table once, and this one for itself).
		 */
		for (s = 0; s < h->nspans; s++)
			if (h->spans[s].start < to &&
			    h->spans[s].start + h->spans[s].len > from)
				h->spans[s].table = h;
	}
}

/* Any listener of h bound to an address that is not a class already. */
static int has_bound_listener(const struct differ_host *h)
{
	size_t i, at, n, from, to;

	differ_collector_facts(h, "services", &from, &to);
	for (i = from; i < to; i++)
		if (listen_addr(h->facts[i]->key, &at, &n))
			return 1;
	return 0;
}

int differ_normalize(struct differ_host *const *h, const int *side, size_t n,
		     const struct store_view *const views[2],
		     const struct baseline *rules, struct ed_err *err)
{
	struct ed_strvec keys = ED_STRVEC_INIT;
	struct host_identity *ids = NULL;
	unsigned char *loaded = NULL;
	struct member *m = NULL;
	size_t *order = NULL, nm = 0, am = 0, i, k;
	struct ed_buf raw = ED_BUF_INIT, norm = ED_BUF_INIT;

	(void)err;
	mark_shared(h, n, "addr");
	mark_shared(h, n, "mac");
	ids = ed_xcalloc(n + 1, sizeof(*ids));
	loaded = ed_xcalloc(n + 1, 1);
	order = ed_xcalloc(n + 1, sizeof(*order));
	for (i = 0; i < n; i++) {
		if (!has_bound_listener(h[i]))
			continue;
		differ_identity_load(&ids[i], h[i], views[side[i]]);
		loaded[i] = 1;
		differ_normalise_listeners(h[i], &ids[i]);
	}
	disagreeing_keys(&keys, h, n);
	for (k = 0; k < keys.nr; k++) {
		if (rules && differ_rules_per_host(rules, "files", keys.v[k]))
			continue;
		key_members(&m, &nm, &am, h, n, keys.v[k]);
		if (nm < 2)
			continue;
		for (i = 0; i < nm; i++) {
			size_t hi = m[i].host;
			const struct store_view *v = views[side[hi]];

			if (!loaded[hi]) {
				differ_identity_load(&ids[hi], h[hi], v);
				loaded[hi] = 1;
			}
			if (read_content(&raw, v, h[hi], keys.v[k]))
				continue;
			ed_buf_reset(&norm);
			host_identity_normalize(&norm, &ids[hi], raw.ptr, raw.len);
			ed_sha256_hex(m[i].norm, norm.ptr, norm.len);
		}
		join_equal(m, nm, order);
		settle(m, nm, order, h);
	}
	for (i = 0; ids && i < n; i++)
		host_identity_release(&ids[i]);
	free(ids);
	free(loaded);
	free(order);
	free(m);
	ed_buf_release(&raw);
	ed_buf_release(&norm);
	ed_strvec_release(&keys);
	return 0;
}

int differ_explain_identity(struct ed_strvec *out, struct store *st,
			    const char *host, const char *collector,
			    const char *key, struct ed_err *err)
{
	struct store_view *v = NULL;
	struct store_host *all = NULL;
	struct differ_fact_cache *cache = differ_fact_cache_new();
	struct differ_host h;
	struct host_identity id;
	struct ed_buf raw = ED_BUF_INIT, norm = ED_BUF_INIT;
	const char *env = NULL;
	const struct fact *f;
	size_t n = 0, i, at, len;
	int rc;

	memset(&h, 0, sizeof(h));
	memset(&id, 0, sizeof(id));
	rc = store_view_open(&v, st, NULL, err);
	if (!rc)
		rc = store_view_hosts(v, &all, &n, err);
	for (i = 0; !rc && i < n && !env; i++)
		if (!strcmp(all[i].host, host))
			env = all[i].env;
	if (!rc && !env)
		rc = ed_err_set(err, ED_ENOTFOUND,
				"host '%s' is not in the state repository", host);
	if (!rc)
		rc = differ_host_load_view(&h, cache, v, env, host, err);
	if (rc || !h.host)
		goto out;
	differ_identity_load(&id, &h, v);
	for (i = 0; i < id.nr; i++)
		ed_strvec_pushf(out, "identity: %s = %s",
				host_identity_placeholder(&id.v[i]),
				id.v[i].text);
	if (!id.nr)
		ed_strvec_push(out, "identity: none found in the stored files");
	f = differ_find_fact(&h, collector, key);
	if (f && !strcmp(collector, "services") && listen_addr(f->key, &at, &len) &&
	    host_identity_is_addr(&id, f->key + at, len)) {
		ed_strvec_push(out, "between hosts: compared by the class of "
				    "its own address");
	} else if (f && !strcmp(collector, "files") &&
		   differ_text_stored(f->value) &&
		   !read_content(&raw, v, &h, key)) {
		const char *p = raw.ptr, *end = raw.ptr + raw.len;
		size_t line = 0;

		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

			line++;
			ed_buf_reset(&norm);
			if (host_identity_normalize(&norm, &id, p, l))
				ed_strvec_pushf(out, "line %zu: %.*s -> %s",
						line, (int)l, p, norm.ptr);
			p += l + 1;
		}
	}
out:
	ed_buf_release(&raw);
	ed_buf_release(&norm);
	host_identity_release(&id);
	differ_host_release(&h);
	differ_fact_cache_free(cache);
	store_hosts_free(all, n);
	store_view_free(v);
	return rc;
}
