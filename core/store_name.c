/*
 * Tree-entry names of the state repository. Snapshot path components may
 * hold any byte, and git refuses or misreads some names (".git" and its
 * HFS+ and NTFS spellings, "/", NUL), so each component is escaped as %HH
 * where needed, reversibly (README "Snapshot format").
 */
#include "core/store.h"

#include <string.h>

#include "core/buf.h"
#include "core/snapshot.h"

/* Length of a code point git's HFS check ignores at s, or 0 (git utf8.c). */
static size_t hfs_ignorable(const unsigned char *s, size_t len)
{
	unsigned cp;

	if (len < 3 || (s[0] & 0xf0) != 0xe0)
		return 0;
	cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 |
	     (s[2] & 0x3f);
	if ((cp >= 0x200c && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x206a && cp <= 0x206f) || cp == 0xfeff)
		return 3;
	return 0;
}

/*
 * Offset of the '.' to escape when the name, read as HFS+ would (ignorable
 * code points dropped, case folded), starts with ".g": that covers .git,
 * .gitmodules and their spellings. -1 when it does not.
 */
static long hfs_dot_g(const unsigned char *p, size_t len)
{
	size_t i = 0, n;
	long dot = -1;

	while (i < len) {
		n = hfs_ignorable(p + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		if (dot < 0) {
			if (p[i] != '.')
				return -1;
			dot = (long)i++;
			continue;
		}
		return (p[i] | 0x20) == 'g' ? dot : -1;
	}
	return -1;
}

/* NTFS 8.3 short names of .git and .gitmodules: git~1, gitmod~1, gi7eba~1 */
static int ntfs_short_tilde(const unsigned char *p, size_t len, size_t i)
{
	return p[i] == '~' && i >= 2 && i <= 6 && (p[0] | 0x20) == 'g' &&
	       (p[1] | 0x20) == 'i' && i + 1 < len && p[i + 1] >= '0' &&
	       p[i + 1] <= '9';
}

void store_escape_name(struct ed_buf *out, const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	long dot = hfs_dot_g(p, len);
	int dots = (len == 1 || len == 2) && p[0] == '.' && p[len - 1] == '.';
	size_t i;

	for (i = 0; i < len; i++) {
		/* '\\' separates components for git's NTFS checks */
		int esc = p[i] == '%' || p[i] == '/' || p[i] == 0 ||
			  p[i] == '\\' || dots || (long)i == dot ||
			  ntfs_short_tilde(p, len, i);

		if (!esc && p[i] >= 0x80) {
			size_t n = 2;

			while (n <= 4 &&
			       (i + n > len || !ed_utf8_valid(name + i, n)))
				n++;
			if (n <= 4) {
				ed_buf_add(out, name + i, n);
				i += n - 1;
				continue;
			}
			esc = 1;
		}
		if (esc)
			ed_buf_addf(out, "%%%02X", p[i]);
		else
			ed_buf_addch(out, (char)p[i]);
	}
}

int store_unescape_name(struct ed_buf *out, const char *name, struct ed_err *err)
{
	size_t i, len = strlen(name);

	for (i = 0; i < len; i++) {
		unsigned v;

		if (name[i] != '%') {
			ed_buf_addch(out, name[i]);
			continue;
		}
		if (len - i < 3 || ed_hexval(name[i + 1]) < 0 ||
		    ed_hexval(name[i + 2]) < 0)
			return ed_err_set(err, ED_EPARSE,
					  "bad escape in tree entry '%s'", name);
		v = (unsigned)(ed_hexval(name[i + 1]) << 4 |
			       ed_hexval(name[i + 2]));
		ed_buf_addch(out, (char)v);
		i += 2;
	}
	return 0;
}
