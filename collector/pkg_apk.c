/*
 * apk installed database parser. /lib/apk/db/installed holds one block per
 * package, blocks separated by a blank line, each line "X:value" with a
 * one-letter key; we keep P: (name), V: (version) and A: (arch).
 */
#include "collector/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

struct apk_field {
	const char *p;
	size_t len;
	size_t line; /* 0 when absent */
};

struct apk_block {
	size_t line; /* first line, 0 when no block is open */
	struct apk_field name, version, arch;
};

/* On failure a parser leaves lines as it found them. */
static void truncate_lines(struct ed_strvec *lines, size_t nr)
{
	while (lines->nr > nr)
		free(lines->v[--lines->nr]);
}

static int end_block(struct ed_strvec *lines, struct ed_buf *tmp,
		     const struct apk_block *bl, const char *name,
		     struct ed_err *err)
{
	if (!bl->line)
		return 0;
	if (!bl->name.line || !bl->name.len)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: package block has no 'P:' line",
				  name, bl->line);
	if (!bl->version.line || !bl->version.len)
		return ed_err_set(err, ED_EPARSE,
				  "%s:%zu: package '%.*s' has no 'V:' line",
				  name, bl->line, (int)bl->name.len, bl->name.p);

	ed_buf_reset(tmp);
	snapshot_quote(tmp, bl->name.p, bl->name.len);
	ed_buf_addch(tmp, ' ');
	if (bl->arch.line && bl->arch.len)
		snapshot_quote(tmp, bl->arch.p, bl->arch.len);
	else
		ed_buf_addch(tmp, '-');
	ed_buf_addch(tmp, ' ');
	snapshot_quote(tmp, bl->version.p, bl->version.len);
	ed_strvec_take(lines, ed_xmemdup(tmp->ptr, tmp->len));
	return 0;
}

int apk_parse_installed(struct ed_strvec *lines, const char *buf, size_t len,
			const char *name, struct ed_err *err)
{
	struct ed_buf tmp = ED_BUF_INIT;
	struct pkg_lines it;
	struct apk_block bl;
	const char *p;
	size_t n, nr0 = lines->nr;
	int rc = 0;

	memset(&bl, 0, sizeof(bl));
	pkg_lines_init(&it, buf, len, name);
	while ((rc = pkg_lines_next(&it, &p, &n, err)) > 0) {
		const char *eol = p + n;
		struct apk_field *f;

		if (eol == p) {
			rc = end_block(lines, &tmp, &bl, name, err);
			if (rc < 0)
				goto out;
			memset(&bl, 0, sizeof(bl));
			continue;
		}
		if (eol - p < 2 || p[1] != ':' || p[0] == ' ' || p[0] == '\t') {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu: expected an 'X:value' line",
					name, it.lineno);
			goto out;
		}
		if (!bl.line)
			bl.line = it.lineno;

		switch (p[0]) {
		case 'P':
			f = &bl.name;
			break;
		case 'V':
			f = &bl.version;
			break;
		case 'A':
			f = &bl.arch;
			break;
		default:
			f = NULL;
			break;
		}
		if (f) {
			if (f->line) {
				rc = ed_err_set(err, ED_EPARSE,
						"%s:%zu: duplicate '%c:' line",
						name, it.lineno, p[0]);
				goto out;
			}
			f->p = p + 2;
			f->len = (size_t)(eol - (p + 2));
			f->line = it.lineno;
		}
	}
	if (rc < 0)
		goto out;
	rc = end_block(lines, &tmp, &bl, name, err);

out:
	if (rc < 0)
		truncate_lines(lines, nr0);
	ed_buf_release(&tmp);
	return rc;
}
