/*
 * Secret values in the files collector: the detectors (core/secrets.h)
 * find them, and each is replaced by its HMAC token in the stored copy,
 * line by line, so the rest of the file stays readable and a changed
 * secret still shows as a changed token.
 */
#include "collector/files.h"

#include "core/hmac.h"

int files_redact(struct ed_buf *out, int *found, struct files_ctx *c,
		 const char *data, size_t len, struct ed_err *err)
{
	struct ed_secret_hits *h = &c->hits;
	size_t i, pos = 0;

	h->nr = 0;
	ed_secret_find(&c->secrets, data, len, h);
	*found = h->nr > 0;
	if (!*found)
		return 0;
	if (!c->o->key)
		return ed_err_set(err, ED_EKEY,
				  "secret found in %s but no HMAC key loaded",
				  c->quoted.ptr);
	ed_buf_reset(out);
	for (i = 0; i < h->nr; i++) {
		ed_buf_add(out, data + pos, h->v[i].start - pos);
		ed_hmac_token(c->o->key, out, data + h->v[i].start,
			      h->v[i].end - h->v[i].start);
		pos = h->v[i].end;
	}
	ed_buf_add(out, data + pos, len - pos);
	return 0;
}
