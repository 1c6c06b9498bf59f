/*
 * The line reader the package parsers share (dpkg status, apk installed,
 * rpm -qa output): lines counted for messages, CRLF read as LF, and a NUL
 * byte refused, since those formats are text and a NUL would cut a name
 * short in every later string use. It lives apart from packages.c, which
 * calls the parsers, so that no parser calls back into its caller.
 */
#include "collector/internal.h"

#include <string.h>

void pkg_lines_init(struct pkg_lines *it, const char *buf, size_t len,
		    const char *name)
{
	it->p = buf;
	it->end = buf + len;
	it->nul = len ? memchr(buf, '\0', len) : NULL;
	it->name = name;
	it->lineno = 0;
}

int pkg_lines_next(struct pkg_lines *it, const char **line, size_t *len,
		   struct ed_err *err)
{
	const char *p = it->p, *eol, *next;

	if (p >= it->end)
		return 0;
	eol = memchr(p, '\n', (size_t)(it->end - p));
	next = eol ? eol + 1 : it->end;
	if (!eol)
		eol = it->end;
	it->lineno++;
	if (it->nul && it->nul < next)
		return ed_err_set(err, ED_EPARSE, "%s:%zu: NUL byte", it->name,
				  it->lineno);
	if (eol > p && eol[-1] == '\r')
		eol--;
	it->p = next;
	*line = p;
	*len = (size_t)(eol - p);
	return 1;
}
