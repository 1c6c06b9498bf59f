/*
 * dpkg status database parser. /var/lib/dpkg/status is a list of deb822
 * paragraphs; each one that is not "not-installed" becomes one fact keyed on
 * name and architecture (Multi-Arch: same packages appear once per arch).
 * One pass with memchr over the buffer, no allocation except output lines.
 */
#include "collector/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* A field value inside the input buffer; line is 0 when the field is absent. */
struct dpkg_field {
	const char *p;
	size_t len;
	size_t line;
};

struct dpkg_para {
	size_t line; /* first line of the paragraph, 0 when none is open */
	struct dpkg_field package, status, arch, version;
};

static const char *const dpkg_wants[] = {
	"unknown", "install", "hold", "deinstall", "purge",
};
static const char *const dpkg_flags[] = {
	"ok",
	"reinstreq",
};
static const char *const dpkg_states[] = {
	"not-installed",   "config-files",     "half-installed",   "unpacked",
	"half-configured", "triggers-awaited", "triggers-pending", "installed",
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* dpkg field names are case-insensitive; compare without the locale. */
static int field_name_is(const char *p, size_t len, const char *lit)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!lit[i] || ascii_lower((unsigned char)p[i]) !=
				       ascii_lower((unsigned char)lit[i]))
			return 0;
	return lit[len] == '\0';
}

static int word_is(const char *p, size_t len, const char *lit)
{
	return strlen(lit) == len && !memcmp(p, lit, len);
}

static int word_in(const char *p, size_t len, const char *const *set, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (word_is(p, len, set[i]))
			return 1;
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* On failure a parser leaves lines as it found them. */
static void truncate_lines(struct ed_strvec *lines, size_t nr)
{
	while (lines->nr > nr)
		free(lines->v[--lines->nr]);
}

static void add_field(struct ed_buf *out, const struct dpkg_field *f)
{
	if (f->line && f->len)
		snapshot_quote(out, f->p, f->len);
	else
		ed_buf_addch(out, '-');
}

/*
 * Split a Status value into its three words (want flag status) and check
 * each against dpkg's own tables.
 */
static int split_status(struct dpkg_field words[3], const struct dpkg_field *st,
			const char *name, struct ed_err *err)
{
	const char *p = st->p, *end = st->p + st->len;
	size_t n = 0;

	while (p < end) {
		const char *w;

		while (p < end && is_blank(*p))
			p++;
		if (p == end)
			break;
		w = p;
		while (p < end && !is_blank(*p))
			p++;
		if (n == 3) {
			n++;
			break;
		}
		words[n].p = w;
		words[n].len = (size_t)(p - w);
		words[n].line = st->line;
		n++;
	}
	if (n != 3)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: 'Status' field '%.*s' is not 3 words",
				  name, st->line, (int)st->len, st->p);
	if (!word_in(words[0].p, words[0].len, dpkg_wants,
		     ED_ARRAY_SIZE(dpkg_wants)))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: unknown package want '%.*s'", name,
				  st->line, (int)words[0].len, words[0].p);
	if (!word_in(words[1].p, words[1].len, dpkg_flags,
		     ED_ARRAY_SIZE(dpkg_flags)))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: unknown package flag '%.*s'", name,
				  st->line, (int)words[1].len, words[1].p);
	if (!word_in(words[2].p, words[2].len, dpkg_states,
		     ED_ARRAY_SIZE(dpkg_states)))
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: unknown package state '%.*s'", name,
				  st->line, (int)words[2].len, words[2].p);
	return 0;
}

/* Close the open paragraph: validate it and emit its line. */
static int end_paragraph(struct ed_strvec *lines, struct ed_buf *tmp,
			 const struct dpkg_para *pa, const char *name,
			 struct ed_err *err)
{
	struct dpkg_field words[3];
	int rc;

	if (!pa->line)
		return 0;
	if (!pa->package.line || !pa->package.len)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: paragraph has no 'Package' field",
				  name, pa->line);
	if (!pa->status.line)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: package '%.*s' has no 'Status' field",
				  name, pa->line, (int)pa->package.len,
				  pa->package.p);
	rc = split_status(words, &pa->status, name, err);
	if (rc < 0)
		return rc;
	if (word_is(words[2].p, words[2].len, "not-installed"))
		return 0;
	if (!pa->version.line || !pa->version.len)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: package '%.*s' has no 'Version' field",
				  name, pa->line, (int)pa->package.len,
				  pa->package.p);

	ed_buf_reset(tmp);
	add_field(tmp, &pa->package);
	ed_buf_addch(tmp, ' ');
	add_field(tmp, &pa->arch);
	ed_buf_addch(tmp, ' ');
	add_field(tmp, &pa->version);
	if (!word_is(words[2].p, words[2].len, "installed")) {
		ed_buf_addch(tmp, ' ');
		ed_buf_add(tmp, words[2].p, words[2].len);
	}
	ed_strvec_take(lines, ed_xmemdup(tmp->ptr, tmp->len));
	return 0;
}

/* Which tracked field a name denotes, or NULL for the ones we skip. */
static struct dpkg_field *tracked_field(struct dpkg_para *pa, const char *p,
					size_t len)
{
	switch (len) {
	case 6:
		return field_name_is(p, len, "Status") ? &pa->status : NULL;
	case 7:
		if (field_name_is(p, len, "Package"))
			return &pa->package;
		return field_name_is(p, len, "Version") ? &pa->version : NULL;
	case 12:
		return field_name_is(p, len, "Architecture") ? &pa->arch : NULL;
	default:
		return NULL;
	}
}

int dpkg_parse_status(struct ed_strvec *lines, const char *buf, size_t len,
		      const char *name, struct ed_err *err)
{
	struct ed_buf tmp = ED_BUF_INIT;
	struct pkg_lines it;
	struct dpkg_para pa;
	const struct dpkg_field *last = NULL; /* tracked field just read */
	const char *p;
	size_t n;
	size_t nr0 = lines->nr;
	int rc = 0;

	memset(&pa, 0, sizeof(pa));
	pkg_lines_init(&it, buf, len, name);
	while ((rc = pkg_lines_next(&it, &p, &n, err)) > 0) {
		const char *eol = p + n;
		const char *colon, *v, *ve;
		struct dpkg_field *f;

		if (eol == p) {
			rc = end_paragraph(lines, &tmp, &pa, name, err);
			if (rc < 0)
				goto out;
			memset(&pa, 0, sizeof(pa));
			last = NULL;
			continue;
		}

		if (is_blank(*p)) {
			/*
			 * A whitespace-only line adds nothing to any field
			 * (dpkg trims it) and dpkg skips it between
			 * paragraphs. Otherwise this continues a multi-line
			 * field (Description, Conffiles), which we don't keep.
			 */
			v = p;
			while (v < eol && is_blank(*v))
				v++;
			if (v == eol)
				continue;
			if (!pa.line) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu: continuation line outside a field",
						name, it.lineno);
				goto out;
			}
			if (last) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu: continuation of single-line field",
						name, it.lineno);
				goto out;
			}
			continue;
		}

		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: expected 'Field: value' or a continuation line",
					name, it.lineno);
			goto out;
		}
		for (v = p; v < colon; v++)
			if (is_blank(*v))
				break;
		if (v < colon) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: field name '%.*s' contains whitespace",
					name, it.lineno, (int)(colon - p), p);
			goto out;
		}
		if (!pa.line)
			pa.line = it.lineno;

		f = tracked_field(&pa, p, (size_t)(colon - p));
		last = f;
		if (f) {
			if (f->line) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu: duplicate '%.*s' field",
						name, it.lineno,
						(int)(colon - p), p);
				goto out;
			}
			v = colon + 1;
			ve = eol;
			while (v < ve && is_blank(*v))
				v++;
			while (ve > v && is_blank(ve[-1]))
				ve--;
			f->p = v;
			f->len = (size_t)(ve - v);
			f->line = it.lineno;
		}
	}
	if (rc < 0)
		goto out;
	rc = end_paragraph(lines, &tmp, &pa, name, err);

out:
	if (rc < 0)
		truncate_lines(lines, nr0);
	ed_buf_release(&tmp);
	return rc;
}
