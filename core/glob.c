/*
 * Glob matching with gitignore's "**": used for file include/exclude lists
 * (sep '/') and sysctl key classes (sep '.'). Recursive on '*' with the
 * pattern length bounding the depth; patterns come from trusted config.
 */
#include "core/glob.h"

#include <stddef.h>

/* Match a "[...]" class at p against c; *end gets the char after ']'. */
static int match_class(const char *p, char c, const char **end)
{
	int negate = 0, matched = 0;
	const char *q = p + 1;

	if (*q == '!' || *q == '^') {
		negate = 1;
		q++;
	}
	if (*q == ']') {
		matched = (c == ']');
		q++;
	}
	while (*q && *q != ']') {
		if (q[1] == '-' && q[2] && q[2] != ']') {
			if (c >= q[0] && c <= q[2])
				matched = 1;
			q += 3;
		} else {
			if (c == *q)
				matched = 1;
			q++;
		}
	}
	if (*q != ']') {
		*end = NULL; /* unterminated: treat '[' as a literal */
		return c == '[';
	}
	*end = q + 1;
	return matched != negate;
}

static int match(const char *p, const char *s, char sep)
{
	while (*p) {
		/* "dir/STARSTAR" also matches "dir" itself */
		if (!*s && p[0] == sep && p[1] == '*' && p[2] == '*' && !p[3])
			return 1;
		if (p[0] == '*' && p[1] == '*') {
			const char *rest = p + 2;

			/* "a/STARSTAR/b" also matches "a/b" */
			if (*rest == sep && match(rest + 1, s, sep))
				return 1;
			for (;; s++) {
				if (match(rest, s, sep))
					return 1;
				if (!*s)
					return 0;
			}
		}
		if (*p == '*') {
			for (;; s++) {
				if (match(p + 1, s, sep))
					return 1;
				if (!*s || *s == sep)
					return 0;
			}
		}
		if (!*s)
			return 0;
		if (*p == '?') {
			if (*s == sep)
				return 0;
		} else if (*p == '[') {
			const char *end;

			if (*s == sep || !match_class(p, *s, &end))
				return 0;
			if (end) {
				p = end;
				s++;
				continue;
			}
		} else if (*p == '\\' && p[1]) {
			p++;
			if (*p != *s)
				return 0;
		} else if (*p != *s) {
			return 0;
		}
		p++;
		s++;
	}
	return *s == '\0';
}

int ed_glob_match(const char *pattern, const char *str, char sep)
{
	return match(pattern, str, sep);
}
