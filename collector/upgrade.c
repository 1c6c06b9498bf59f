/*
 * Bringing a host snapshot stored by an older release up to the current
 * secret rules without collecting it again: its stored contents go through
 * today's detectors, credential files lose their content, and a plain
 * SHA-256 of a content that is not stored becomes the keyed digest that a
 * collect would record now (core/hmac.h makes it from the digest alone).
 * What a collect would find in the bytes never stored cannot be found here;
 * the host's next collect completes it.
 */
#include "collector/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/glob.h"
#include "core/hmac.h"
#include "core/secrets.h"

/* The meta line a host collected under the current detectors carries. */
void collect_format_line(struct ed_buf *out)
{
	ed_buf_addf(out, "format %d", ED_SECRET_DETECTORS);
}

static int any_glob(const struct ed_strvec *globs, const char *path)
{
	size_t i;

	for (i = 0; i < globs->nr; i++)
		if (ed_glob_match(globs->v[i], path, '/'))
			return 1;
	return 0;
}

int collect_meta_is_current(const char *data, size_t len)
{
	struct ed_buf want = ED_BUF_INIT;
	const char *p, *end;
	int found = 0;

	if (!data)
		return 0;
	collect_format_line(&want);
	for (p = data, end = p + len; p < end && !found;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		found = n == want.len && !memcmp(p, want.ptr, n);
		p += n + 1;
	}
	ed_buf_release(&want);
	return found;
}

int collect_snapshot_is_current(const struct snapshot *snap)
{
	const struct snapshot_entry *meta = snapshot_find(snap, "meta");

	return meta && collect_meta_is_current(meta->data, meta->len);
}

struct upgrade {
	const struct snapshot *old;
	const struct collect_config *cfg;
	struct ed_hmac *key;
	struct ed_secret_finder finder;
	struct ed_secret_hits hits;
	struct snapshot *out;
	struct ed_strvec dropped; /* content paths not to copy */
	struct ed_strvec redone;  /* content paths already added */
};

/* data with its secrets replaced by tokens into out; 1 if any. */
static int redact(struct upgrade *u, struct ed_buf *out, const char *data,
		  size_t len)
{
	size_t i, pos = 0;

	u->hits.nr = 0;
	ed_secret_find(&u->finder, data, len, &u->hits);
	if (!u->hits.nr)
		return 0;
	ed_buf_reset(out);
	for (i = 0; i < u->hits.nr; i++) {
		ed_buf_add(out, data + pos, u->hits.v[i].start - pos);
		ed_hmac_token(u->key, out, data + u->hits.v[i].start,
			      u->hits.v[i].end - u->hits.v[i].start);
		pos = u->hits.v[i].end;
	}
	ed_buf_add(out, data + pos, len - pos);
	return 1;
}

/*
 * One "files" line: PATH TYPE MODE OWNER UID:GID SIZE DIGEST for regular
 * files. Appends the line as it is now to lines.
 */
static int upgrade_file_line(struct upgrade *u, struct ed_strvec *lines,
			     const char *line, size_t len, struct ed_err *err)
{
	struct ed_buf raw = ED_BUF_INIT, cpath = ED_BUF_INIT, nl = ED_BUF_INIT;
	struct ed_buf red = ED_BUF_INIT;
	const char *sp = memchr(line, ' ', len), *dig;
	const struct snapshot_entry *c;
	size_t head;
	int rc = 0, secret_file;

	dig = NULL;
	if (sp && len > 7)
		for (head = len; head > 0; head--)
			if (line[head - 1] == ' ') {
				dig = line + head;
				break;
			}
	if (!sp || !dig || (size_t)(sp - line) + 6 > len ||
	    memcmp(sp, " file ", 6)) {
		ed_strvec_take(lines, ed_xmemdup(line, len));
		return 0;
	}
	rc = snapshot_unquote(&raw, line, (size_t)(sp - line), err);
	if (rc < 0)
		goto out;
	ed_buf_adds(&cpath, "content");
	ed_buf_add(&cpath, raw.ptr, raw.len);
	c = snapshot_find(u->old, cpath.ptr);
	if (c && !c->data)
		ED_BUG("upgrade: content %s not loaded", cpath.ptr);
	head = (size_t)(dig - line);
	ed_buf_add(&nl, line, head);
	secret_file = any_glob(&u->cfg->secret_files, raw.ptr) ||
		      (c && ed_secret_key_file(c->data, c->len));
	if (secret_file) {
		if (c) {
			ed_strvec_push(&u->dropped, cpath.ptr);
			if (!strncmp(dig, "sha256:", 7))
				ed_hmac_token(u->key, &nl, c->data, c->len);
			else
				ed_buf_add(&nl, dig, len - head);
		} else if (!strncmp(dig, "sha256:", 7)) {
			if (ed_hmac_digest_token(u->key, &nl, dig + 7,
						 len - head - 7) < 0)
				ed_buf_add(&nl, dig, len - head);
		} else {
			ed_buf_add(&nl, dig, len - head);
		}
	} else if (c) {
		int plain = any_glob(&u->cfg->plain_files, raw.ptr);

		if (!plain && redact(u, &red, c->data, c->len)) {
			snapshot_add(u->out, cpath.ptr, red.ptr, red.len);
			ed_strvec_push(&u->redone, cpath.ptr);
			/* a sha256 line's content is the original bytes */
			if (!strncmp(dig, "sha256:", 7))
				ed_hmac_token(u->key, &nl, c->data, c->len);
			else
				ed_buf_add(&nl, dig, len - head);
		} else {
			ed_buf_add(&nl, dig, len - head);
		}
	} else if (!strncmp(dig, "sha256:", 7) &&
		   !ed_hmac_digest_token(u->key, &nl, dig + 7, len - head - 7)) {
		; /* content never stored: its plain digest becomes keyed */
	} else {
		ed_buf_add(&nl, dig, len - head);
	}
	ed_strvec_take(lines, ed_buf_detach(&nl, NULL));
out:
	ed_buf_release(&raw);
	ed_buf_release(&cpath);
	ed_buf_release(&nl);
	ed_buf_release(&red);
	return rc;
}

/* Apply f to every line of e, collecting the new lines as path in out. */
static int each_line(struct upgrade *u, const struct snapshot_entry *e,
		     int (*f)(struct upgrade *, struct ed_strvec *,
			      const char *, size_t, struct ed_err *),
		     struct ed_err *err)
{
	struct ed_strvec lines = ED_STRVEC_INIT;
	const char *p = e->data, *end = e->data + e->len;
	int rc = 0;

	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		rc = f(u, &lines, p, n, err);
		p += n + 1;
	}
	if (!rc)
		snapshot_add_lines(u->out, e->path, &lines);
	ed_strvec_release(&lines);
	return rc;
}

/* "PATH:KEY = VALUE": the value becomes a token if it holds a secret. */
static int upgrade_toggle_line(struct upgrade *u, struct ed_strvec *lines,
			       const char *line, size_t len, struct ed_err *err)
{
	const char *colon = memchr(line, ':', len), *eq;
	struct ed_buf b = ED_BUF_INIT;
	size_t i, at;
	int secret = 0;

	(void)err;
	eq = colon ? strstr(colon, " = ") : NULL;
	if (!eq || eq >= line + len) {
		ed_strvec_take(lines, ed_xmemdup(line, len));
		return 0;
	}
	at = (size_t)(eq - colon) + 2;
	u->hits.nr = 0;
	ed_secret_find(&u->finder, colon + 1, (size_t)(line + len - colon - 1),
		       &u->hits);
	for (i = 0; i < u->hits.nr; i++)
		secret |= u->hits.v[i].end > at;
	ed_buf_add(&b, line, (size_t)(eq - line) + 3);
	if (secret)
		ed_hmac_token(u->key, &b, eq + 3, (size_t)(line + len - eq - 3));
	else
		ed_buf_add(&b, eq + 3, (size_t)(line + len - eq - 3));
	ed_strvec_take(lines, ed_buf_detach(&b, NULL));
	return 0;
}

static int upgrade_meta_line(struct upgrade *u, struct ed_strvec *lines,
			     const char *line, size_t len, struct ed_err *err)
{
	(void)u;
	(void)err;
	if (len < 7 || memcmp(line, "format ", 7))
		ed_strvec_take(lines, ed_xmemdup(line, len));
	return 0;
}

int collect_upgrade_host(struct snapshot *out, const struct snapshot *old,
			 const struct collect_config *cfg, struct ed_hmac *key,
			 struct ed_err *err)
{
	struct upgrade u;
	struct ed_buf fmt = ED_BUF_INIT;
	size_t i;
	int rc;

	if (collect_snapshot_is_current(old))
		return 0;
	if (!key)
		return ed_err_set(err, ED_EKEY,
				  "upgrading a host's secrets needs the HMAC key");
	memset(&u, 0, sizeof(u));
	u.old = old;
	u.cfg = cfg;
	u.key = key;
	u.out = out;
	rc = ed_secret_finder_init(&u.finder, &cfg->secret_values, err);
	for (i = 0; !rc && i < old->nr; i++) {
		const struct snapshot_entry *e = &old->entries[i];

		if (!e->data && strncmp(e->path, "content/", 8))
			ED_BUG("upgrade: %s not loaded", e->path);
		if (!strcmp(e->path, "files"))
			rc = each_line(&u, e, upgrade_file_line, err);
		else if (!strcmp(e->path, "toggles"))
			rc = each_line(&u, e, upgrade_toggle_line, err);
		else if (!strcmp(e->path, "meta")) {
			struct ed_strvec lines = ED_STRVEC_INIT;
			const char *p = e->data, *end = e->data + e->len;

			while (p < end) {
				const char *nl =
					memchr(p, '\n', (size_t)(end - p));
				size_t n = (size_t)((nl ? nl : end) - p);

				upgrade_meta_line(&u, &lines, p, n, err);
				p += n + 1;
			}
			collect_format_line(&fmt);
			ed_strvec_push(&lines, fmt.ptr);
			snapshot_add_lines(out, "meta", &lines);
		}
	}
	/* contents last: the files lines decided which change or go */
	for (i = 0; !rc && i < old->nr; i++) {
		const struct snapshot_entry *e = &old->entries[i];

		if (!strcmp(e->path, "files") || !strcmp(e->path, "toggles") ||
		    !strcmp(e->path, "meta") ||
		    ed_strvec_contains(&u.dropped, e->path) ||
		    ed_strvec_contains(&u.redone, e->path))
			continue;
		if (e->has_oid)
			snapshot_add_oid(out, e->path, e->oid);
		else
			snapshot_add(out, e->path, e->data, e->len);
	}
	ed_buf_release(&fmt);
	ed_secret_hits_release(&u.hits);
	ed_secret_finder_release(&u.finder);
	ed_strvec_release(&u.dropped);
	ed_strvec_release(&u.redone);
	return rc < 0 ? rc : 1;
}
