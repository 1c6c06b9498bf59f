/*
 * The snapshot model and its line-format quoting. Everything here is
 * deterministic: files are sorted byte-wise, so two collects of the same
 * state give byte-identical snapshots and identical git trees.
 */
#include "core/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void snapshot_init(struct snapshot *s)
{
	s->entries = NULL;
	s->nr = 0;
	s->alloc = 0;
	ed_strvec_init(&s->warnings);
	ed_strvec_init(&s->keep);
	s->sink = NULL;
}

void snapshot_release(struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++) {
		free(s->entries[i].path);
		free(s->entries[i].data);
	}
	free(s->entries);
	ed_strvec_release(&s->warnings);
	ed_strvec_release(&s->keep);
	snapshot_init(s);
}

static void add_owned(struct snapshot *s, const char *path, char *data, size_t len)
{
	struct snapshot_entry *e;

	ED_ALLOC_GROW(s->entries, s->nr + 1, s->alloc);
	e = &s->entries[s->nr++];
	memset(e, 0, sizeof(*e));
	e->path = ed_xstrdup(path);
	e->data = data;
	e->len = len;
}

int snapshot_add_content(struct snapshot *s, const char *path, const void *data,
			 size_t len, struct ed_err *err)
{
	unsigned char oid[20];
	int rc;

	if (!s->sink) {
		snapshot_add(s, path, data, len);
		return 0;
	}
	rc = s->sink->put(s->sink, data, len, oid, err);
	if (rc < 0)
		return rc;
	snapshot_add_oid(s, path, oid);
	return 0;
}

void snapshot_add_oid(struct snapshot *s, const char *path,
		      const unsigned char oid[20])
{
	struct snapshot_entry *e;

	add_owned(s, path, NULL, 0);
	e = &s->entries[s->nr - 1];
	e->has_oid = 1;
	memcpy(e->oid, oid, sizeof(e->oid));
}

void snapshot_take_entries(struct snapshot *dst, struct snapshot *src)
{
	size_t i;

	ED_ALLOC_GROW(dst->entries, dst->nr + src->nr, dst->alloc);
	for (i = 0; i < src->nr; i++)
		dst->entries[dst->nr++] = src->entries[i];
	src->nr = 0;
	for (i = 0; i < src->warnings.nr; i++)
		ed_strvec_take(&dst->warnings, src->warnings.v[i]);
	src->warnings.nr = 0;
	for (i = 0; i < src->keep.nr; i++)
		ed_strvec_take(&dst->keep, src->keep.v[i]);
	src->keep.nr = 0;
}

void snapshot_add(struct snapshot *s, const char *path, const void *data,
		  size_t len)
{
	add_owned(s, path, ed_xmemdup(data, len), len);
}

void snapshot_add_buf(struct snapshot *s, const char *path, struct ed_buf *b)
{
	size_t len;
	char *data = ed_buf_detach(b, &len);

	add_owned(s, path, data, len);
}

void snapshot_add_lines(struct snapshot *s, const char *path,
			struct ed_strvec *lines)
{
	struct ed_buf b = ED_BUF_INIT;

	ed_strvec_sort_unique(lines);
	ed_strvec_join_lines(lines, &b);
	ed_strvec_release(lines);
	snapshot_add_buf(s, path, &b);
}

void snapshot_warn(struct snapshot *s, const char *fmt, ...)
{
	struct ed_buf b = ED_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	ed_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ed_strvec_take(&s->warnings, ed_buf_detach(&b, NULL));
}

static int cmp_entry(const void *a, const void *b)
{
	const struct snapshot_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

void snapshot_sort(struct snapshot *s)
{
	size_t i;

	if (s->nr > 1)
		qsort(s->entries, s->nr, sizeof(*s->entries), cmp_entry);
	for (i = 1; i < s->nr; i++)
		if (!strcmp(s->entries[i - 1].path, s->entries[i].path))
			ED_BUG("snapshot file '%s' added twice",
			       s->entries[i].path);
}

const struct snapshot_entry *snapshot_find(const struct snapshot *s,
					   const char *path)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (!strcmp(s->entries[i].path, path))
			return &s->entries[i];
	return NULL;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	size_t n, i;
	unsigned c = s[0];
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int ed_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

static void add_hex_escape(struct ed_buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

	ed_buf_add(out, e, sizeof(e));
}

int snapshot_quote(struct ed_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int escaped = 0;

	while (i < len) {
		size_t n;

		/* a run of plain ASCII is added at once: most lines are just that */
		for (n = i;
		     n < len && p[n] > 0x20 && p[n] < 0x7f && p[n] != '\\'; n++)
			;
		if (n > i) {
			ed_buf_add(out, p + i, n - i);
			i = n;
			continue;
		}
		if (p[i] <= 0x20 || p[i] == 0x7f || p[i] == '\\') {
			add_hex_escape(out, p[i++]);
			escaped = 1;
			continue;
		}
		n = utf8_seq(p + i, len - i);
		if (!n) {
			add_hex_escape(out, p[i++]);
			escaped = 1;
			continue;
		}
		ed_buf_add(out, p + i, n);
		i += n;
	}
	return escaped;
}

int snapshot_unquote(struct ed_buf *out, const char *s, size_t len,
		     struct ed_err *err)
{
	size_t i;

	for (i = 0; i < len; i++) {
		const char *bs = memchr(s + i, '\\', len - i);
		int hi, lo;

		/* the bytes up to the next escape, at once */
		if (bs != s + i) {
			size_t run = bs ? (size_t)(bs - s) - i : len - i;

			ed_buf_add(out, s + i, run);
			i += run - 1;
			continue;
		}
		if (i + 1 < len && s[i + 1] == 'n') {
			ed_buf_addch(out, '\n');
			i++;
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\\') {
			ed_buf_addch(out, '\\');
			i++;
			continue;
		}
		if (len - i < 4)
			return ed_err_set(err, ED_EPARSE,
					  "truncated escape at offset %zu", i);
		if (s[i + 1] != 'x')
			return ed_err_set(err, ED_EPARSE,
					  "bad escape at offset %zu", i);
		hi = ed_hexval(s[i + 2]);
		lo = ed_hexval(s[i + 3]);
		if (hi < 0 || lo < 0)
			return ed_err_set(err, ED_EPARSE,
					  "bad escape at offset %zu", i);
		ed_buf_addch(out, (char)(hi << 4 | lo));
		i += 3;
	}
	return 0;
}

void snapshot_quote_value(struct ed_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\' || p[i] == '\n' ||
		    (p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			ed_buf_add(out, p + start, i - start);
			if (p[i] == '\\')
				ed_buf_add(out, "\\\\", 2);
			else if (p[i] == '\n')
				ed_buf_add(out, "\\n", 2);
			else
				add_hex_escape(out, p[i]);
			start = i + 1;
		}
	}
	ed_buf_add(out, p + start, len - start);
}
