/*
 * Toggles that have had one value on every host for a long time are
 * candidates for removal: old flags left in place are a known source of
 * production mistakes. For each toggle that is uniform now, walk the
 * first-parent history back until some host held another value (or the
 * toggle did not exist); hosts whose toggles file id did not change since
 * the newer commit are not read again.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"
#include "differ/internal.h"

struct candidate {
	const char *key; /* borrowed from a tip host's fact */
	const char *value;
	int open;        /* still uniform at the commits walked so far */
	long long since; /* time of the oldest commit where it held */
};

/* The value of toggles:key in a "toggles" file body, NULL if absent. */
static const char *value_in(const struct ed_buf *file, const char *key,
			    struct ed_buf *scratch)
{
	size_t kl = strlen(key);
	const char *p = file->ptr, *end = file->ptr + file->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if ((size_t)(e - p) >= kl + 3 && !memcmp(p, key, kl) &&
		    !memcmp(p + kl, " = ", 3)) {
			ed_buf_reset(scratch);
			ed_buf_add(scratch, p + kl + 3, (size_t)(e - p - kl - 3));
			return scratch->ptr;
		}
		p = e + 1;
	}
	return NULL;
}

int differ_stale_toggles(struct drift_report *r, struct store *st,
			 const struct differ_host *const *hosts, size_t n,
			 unsigned days, struct ed_err *err)
{
	struct candidate *c = NULL;
	size_t nc = 0, alloc = 0, i, j, open = 0;
	struct store_view *v = NULL, *p = NULL;
	unsigned char(*ids)[20] = NULL;
	int *have = NULL, rc = 0;
	struct ed_buf file = ED_BUF_INIT, scratch = ED_BUF_INIT;
	long long now = (long long)time(NULL);

	if (!n)
		return 0;
	/* toggles uniform on every host now */
	for (i = 0; i < hosts[0]->nr_facts; i++) {
		const struct fact *f = hosts[0]->facts[i];
		int uniform = !strcmp(f->collector, "toggles");

		for (j = 1; uniform && j < n; j++) {
			const struct fact *g =
				differ_find_fact(hosts[j], "toggles", f->key);

			uniform = g && !strcmp(g->value, f->value);
		}
		if (!uniform)
			continue;
		ED_ALLOC_GROW(c, nc + 1, alloc);
		c[nc].key = f->key;
		c[nc].value = f->value;
		c[nc].open = 1;
		c[nc].since = 0;
		nc++;
	}
	if (!nc)
		goto out;
	open = nc;
	ids = ed_xcalloc(n, sizeof(*ids));
	have = ed_xcalloc(n, sizeof(*have));
	rc = store_view_open(&v, st, NULL, err);
	while (!rc && v && open) {
		int changed = 0;

		for (i = 0; i < n; i++) {
			unsigned char id[20];
			int h = !store_view_file_id(v, hosts[i]->env,
						    hosts[i]->host, "toggles",
						    id);

			if (h != have[i] || (h && memcmp(id, ids[i], 20)))
				changed = 1;
			have[i] = h;
			if (h)
				memcpy(ids[i], id, 20);
		}
		if (changed) {
			for (i = 0; i < n && open; i++) {
				ed_buf_reset(&file);
				if (!have[i] ||
				    store_view_read_blob(v, ids[i], &file, err) <
					    0) {
					/* no toggles here: nothing was uniform before this */
					for (j = 0; j < nc; j++)
						if (c[j].open) {
							c[j].open = 0;
							open--;
						}
					break;
				}
				for (j = 0; j < nc; j++) {
					const char *val;

					if (!c[j].open)
						continue;
					val = value_in(&file, c[j].key, &scratch);
					if (!val || strcmp(val, c[j].value)) {
						c[j].open = 0;
						open--;
					}
				}
			}
		}
		for (j = 0; j < nc; j++)
			if (c[j].open)
				c[j].since = store_view_time(v);
		if (!open)
			break;
		rc = store_view_parent(&p, v, err);
		store_view_free(v);
		v = p;
		p = NULL;
		if (rc == ED_ENOTFOUND) {
			rc = 0;
			break;
		}
	}
	for (j = 0; !rc && j < nc; j++) {
		long long age = c[j].since ? (now - c[j].since) / 86400 : 0;
		char date[11] = "";
		time_t t = (time_t)c[j].since;
		struct tm tm;

		if (!c[j].since || age < (long long)days)
			continue;
		if (gmtime_r(&t, &tm))
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		ed_strvec_pushf(&r->notes,
				"toggle %s has been %s on every host since %s (%lld %s): a candidate for removal",
				c[j].key, c[j].value, date, age,
				age == 1 ? "day" : "days");
	}
out:
	store_view_free(v);
	free(c);
	free(ids);
	free(have);
	ed_buf_release(&file);
	ed_buf_release(&scratch);
	return rc;
}
