/*
 * Config-file drift as unified diffs of the stored contents: for a files
 * item whose two sides are text files with plain hashes, the content of a
 * host holding each side's value is diffed. Files whose line carries an
 * hmac: token (secret files, or secret values inside) are never shown.
 */
#include "differ/differ.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"
#include "core/textdiff.h"
#include "differ/internal.h"

/* The first host listed with value v in it->hosts ("VALUE\tHOST"). */
static const char *host_with(const struct drift_item *it, const char *v)
{
	size_t i, vl = strlen(v);

	for (i = 0; i < it->hosts.nr; i++) {
		const char *h = it->hosts.v[i];
		const char *tab = strrchr(h, '\t');

		if (tab && (size_t)(tab - h) == vl && !memcmp(h, v, vl))
			return tab + 1;
	}
	return NULL;
}

static const struct differ_host *host_of(const struct differ_host *const *g,
					 size_t n, const char *host)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(g[i]->host, host))
			return g[i];
	return NULL;
}

/*
 * Two different hosts: each content with its own identity replaced
 * (differ/identity.c), so the diff shows what differs, not who they are.
 */
static void normalise_pair(struct ed_buf *ca, struct ed_buf *cb,
			   const struct differ_host *ha,
			   const struct differ_host *hb,
			   const struct store_view *wa,
			   const struct store_view *wb)
{
	struct host_identity ia, ib;
	struct ed_buf na = ED_BUF_INIT, nb = ED_BUF_INIT;

	memset(&ia, 0, sizeof(ia));
	memset(&ib, 0, sizeof(ib));
	differ_identity_load(&ia, ha, wa);
	differ_identity_load(&ib, hb, wb);
	ed_buf_adds(&na, ""); /* never NULL, even for an empty file */
	ed_buf_adds(&nb, "");
	host_identity_normalize(&na, &ia, ca->ptr, ca->len);
	host_identity_normalize(&nb, &ib, cb->ptr, cb->len);
	{
		struct ed_buf t = *ca;

		*ca = na;
		na = t;
		t = *cb;
		*cb = nb;
		nb = t;
	}
	ed_buf_release(&na); /* the raw contents */
	ed_buf_release(&nb);
	host_identity_release(&ia);
	host_identity_release(&ib);
}

int differ_content_diffs(struct drift_report *r, const struct store_view *va,
			 const struct store_view *vb,
			 const struct differ_host *const *a, size_t na,
			 const struct differ_host *const *b, size_t nb,
			 struct ed_err *err)
{
	struct ed_buf path = ED_BUF_INIT, ca = ED_BUF_INIT, cb = ED_BUF_INIT;
	struct ed_buf diff = ED_BUF_INIT, raw = ED_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < r->nr && !rc; i++) {
		struct drift_item *it = &r->items[i];
		const struct differ_host *const *ga = a, *const *gb = b;
		const struct store_view *wa = va, *wb = vb;
		const char *v0 = it->values[0], *v1 = it->values[1];
		const char *ha, *hb;
		const struct differ_host *da, *db;
		size_t nga = na, ngb = nb;

		if (strcmp(it->collector, "files") || it->kind == DRIFT_PIN ||
		    it->kind == DRIFT_STALE)
			continue;
		if (it->kind == DRIFT_OUTLIER) {
			/* a host holding its group's consensus against the odd one */
			ga = gb = it->side ? b : a;
			nga = ngb = it->side ? nb : na;
			wa = wb = it->side ? vb : va;
			v0 = it->values[it->side];
			v1 = it->host_value;
		}
		if (!differ_text_stored(v0) || !differ_text_stored(v1))
			continue;
		ha = host_with(it, v0);
		hb = it->kind == DRIFT_OUTLIER ? it->host : host_with(it, v1);
		da = ha ? host_of(ga, nga, ha) : NULL;
		db = hb ? host_of(gb, ngb, hb) : NULL;
		if (!da || !db)
			continue;
		if (differ_read_content(&ca, wa, da->env, ha, it->key, err) < 0 ||
		    differ_read_content(&cb, wb, db->env, hb, it->key, err) < 0) {
			if (err->code == ED_EPARSE) { /* a key that is no path */
				rc = err->code;
				break;
			}
			continue; /* no stored content (binary, too large) */
		}
		if (strcmp(ha, hb))
			normalise_pair(&ca, &cb, da, db, wa, wb);
		ed_buf_reset(&diff);
		ed_buf_reset(&raw);
		ed_buf_addf(&raw, "%s%s", ha, it->key);
		{
			struct ed_buf bname = ED_BUF_INIT;

			ed_buf_addf(&bname, "%s%s", hb, it->key);
			rc = ed_unified_diff(&diff, ca.ptr, ca.len, raw.ptr,
					     cb.ptr, cb.len, bname.ptr, err);
			ed_buf_release(&bname);
		}
		if (!rc && diff.len) {
			free(it->patch);
			it->patch = ed_xmemdup(diff.ptr, diff.len);
		}
	}
	ed_buf_release(&path);
	ed_buf_release(&ca);
	ed_buf_release(&cb);
	ed_buf_release(&diff);
	ed_buf_release(&raw);
	return rc;
}
