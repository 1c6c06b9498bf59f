/*
 * Python literals, as Ansible's INI parser reads a value: it calls
 * ast.literal_eval and keeps the text when that fails. This is the subset
 * inventories use: numbers (one sign, underscores, 0x 0o 0b, floats),
 * strings (' and ", adjacent ones joined, the common escapes), True,
 * False, None, lists, tuples and dicts. Anything else (sets, complex
 * numbers, bytes, triple quotes, prefixed strings) is reported as not a
 * literal, so the value stays text; Python would evaluate a few of those.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/yaml.h"

#define MAX_DEPTH 32

struct lit {
	const char *p;
	size_t line, col;
	int depth;
};

static struct ed_ynode *node(const struct lit *l, enum ed_ynode_type type,
			     const char *tag, const char *str, size_t len)
{
	struct ed_ynode *n = ed_xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = l->line;
	n->col = l->col;
	n->plain = 1;
	if (tag)
		n->tag = ed_xstrdup(tag);
	if (str) {
		n->str = ed_xmalloc(len + 1);
		memcpy(n->str, str, len);
		n->str[len] = '\0';
		n->len = len;
	}
	return n;
}

static void add_kid(struct ed_ynode *parent, struct ed_ynode *kid)
{
	ED_ALLOC_GROW(parent->kids, parent->nr + 1, parent->alloc);
	parent->kids[parent->nr++] = kid;
}

static void skip_ws(struct lit *l)
{
	while (*l->p == ' ' || *l->p == '\t')
		l->p++;
}

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* c as a digit of any base up to 16; 99 (no base's) if not a hex digit */
static int digit_val(char c)
{
	int v = ed_hexval(c);

	return v < 0 ? 99 : v;
}

/* Digits of base with single underscores between them, into b; -1 if none. */
static int digits(struct lit *l, int base, struct ed_buf *b)
{
	size_t n = 0;

	for (;;) {
		if (digit_val(*l->p) < base) {
			ed_buf_addch(b, *l->p++);
			n++;
		} else if (*l->p == '_' && n && digit_val(l->p[1]) < base) {
			l->p++;
		} else {
			break;
		}
	}
	return n ? 0 : -1;
}

/*
 * The shortest text that reads back as d, laid out as Python's repr: plain
 * digits for exponents -4 to 15 ("1500.0"), else "1.5e+16".
 */
static void add_float(struct ed_buf *b, double d)
{
	char tmp[64], digits[32];
	int prec, exp, nd = 0, i;
	const char *p;

	for (prec = 0; prec <= 16; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	p = tmp;
	if (*p == '-')
		ed_buf_addch(b, *p++);
	for (; *p && *p != 'e'; p++)
		if (*p != '.' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp = *p ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	if (exp < -4 || exp >= 16) {
		ed_buf_addch(b, digits[0]);
		if (nd > 1)
			ed_buf_addf(b, ".%s", digits + 1);
		ed_buf_addf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
	} else if (exp < 0) {
		ed_buf_adds(b, "0.");
		for (i = -1; i > exp; i--)
			ed_buf_addch(b, '0');
		ed_buf_adds(b, digits);
	} else {
		for (i = 0; i <= exp; i++)
			ed_buf_addch(b, i < nd ? digits[i] : '0');
		ed_buf_addch(b, '.');
		ed_buf_adds(b, nd > exp + 1 ? digits + exp + 1 : "0");
	}
}

static struct ed_ynode *number(struct lit *l, int neg)
{
	struct ed_buf b = ED_BUF_INIT, out = ED_BUF_INIT;
	struct ed_ynode *n = NULL;
	int base = 10, is_float = 0;

	if (*l->p == '0' && strchr("xXoObB", l->p[1]) && l->p[1]) {
		base = strchr("xX", l->p[1]) ? 16 :
		       strchr("oO", l->p[1]) ? 8 :
					       2;
		l->p += 2;
		if (*l->p == '_')
			l->p++;
		if (digits(l, base, &b) < 0)
			goto out;
	} else {
		if (*l->p != '.' && digits(l, 10, &b) < 0)
			goto out;
		if (*l->p == '.') {
			is_float = 1;
			ed_buf_addch(&b, *l->p++);
			if (b.len == 1 && digits(l, 10, &b) < 0)
				goto out;
			if (b.len > 1 && digit_val(*l->p) < 10)
				(void)digits(l, 10, &b);
		}
		if (*l->p == 'e' || *l->p == 'E') {
			is_float = 1;
			ed_buf_addch(&b, 'e');
			l->p++;
			if (*l->p == '+' || *l->p == '-')
				ed_buf_addch(&b, *l->p++);
			if (digits(l, 10, &b) < 0)
				goto out;
		}
		/* "007" is a syntax error in Python 3; "000" is zero */
		if (!is_float && b.ptr[0] == '0' && strspn(b.ptr, "0") != b.len)
			goto out;
	}
	if (is_ident(*l->p) || *l->p == '.')
		goto out; /* 1j, 1.2.3, 10.0.0.5: not ours */
	if (is_float) {
		double d = strtod(b.ptr, NULL);

		if (isinf(d))
			goto out;
		add_float(&out, neg ? -d : d);
		n = node(l, ED_YSCALAR, INV_TAG_PREFIX "float", out.ptr, out.len);
	} else {
		unsigned long long v;

		errno = 0;
		v = strtoull(b.ptr, NULL, base);
		if (base == 10 && strspn(b.ptr, "0") != b.len)
			/* decimal digits as written: Python's ints have no size */
			ed_buf_addf(&out, "%s%s", neg ? "-" : "", b.ptr);
		else if (errno)
			goto out; /* a huge 0x/0o/0b int stays text */
		else
			ed_buf_addf(&out, "%s%llu", neg && v ? "-" : "", v);
		n = node(l, ED_YSCALAR, INV_TAG_PREFIX "int", out.ptr, out.len);
	}
out:
	ed_buf_release(&b);
	ed_buf_release(&out);
	return n;
}

static void add_utf8(struct ed_buf *b, unsigned long c)
{
	if (c < 0x80) {
		ed_buf_addch(b, (char)c);
	} else if (c < 0x800) {
		ed_buf_addch(b, (char)(0xc0 | (c >> 6)));
		ed_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		ed_buf_addch(b, (char)(0xe0 | (c >> 12)));
		ed_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		ed_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	} else {
		ed_buf_addch(b, (char)(0xf0 | (c >> 18)));
		ed_buf_addch(b, (char)(0x80 | ((c >> 12) & 0x3f)));
		ed_buf_addch(b, (char)(0x80 | ((c >> 6) & 0x3f)));
		ed_buf_addch(b, (char)(0x80 | (c & 0x3f)));
	}
}

/* A backslash escape after the backslash; -1 when Python rejects it. */
static int escape(struct lit *l, struct ed_buf *b)
{
	static const char from[] = "\\'\"abfnrtv", to[] = "\\'\"\a\b\f\n\r\t\v";
	const char *e = *l->p ? strchr(from, *l->p) : NULL;
	unsigned long c = 0;
	int i, n;

	if (e) {
		ed_buf_addch(b, to[e - from]);
		l->p++;
		return 0;
	}
	if (*l->p >= '0' && *l->p <= '7') {
		for (i = 0; i < 3 && *l->p >= '0' && *l->p <= '7'; i++)
			c = c * 8 + (unsigned long)(*l->p++ - '0');
		add_utf8(b, c);
		return 0;
	}
	n = *l->p == 'x' ? 2 : *l->p == 'u' ? 4 : *l->p == 'U' ? 8 : 0;
	if (!n) { /* unknown escapes stay as written */
		ed_buf_addch(b, '\\');
		return 0;
	}
	l->p++;
	for (i = 0; i < n; i++) {
		if (digit_val(*l->p) >= 16)
			return -1;
		c = c * 16 + (unsigned long)digit_val(*l->p++);
	}
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	add_utf8(b, c);
	return 0;
}

/* One or more adjacent quoted strings, joined. */
static struct ed_ynode *string(struct lit *l)
{
	struct ed_buf b = ED_BUF_INIT;
	struct ed_ynode *n = NULL;

	while (*l->p == '\'' || *l->p == '"') {
		char q = *l->p++;

		if (l->p[0] == q && l->p[1] == q)
			goto out; /* triple quotes */
		while (*l->p != q) {
			if (!*l->p)
				goto out;
			if (*l->p == '\\') {
				l->p++;
				if (escape(l, &b) < 0)
					goto out;
				continue;
			}
			ed_buf_addch(&b, *l->p++);
		}
		l->p++;
		skip_ws(l);
	}
	n = node(l, ED_YSCALAR, INV_TAG_PREFIX "str", b.ptr, b.len);
out:
	ed_buf_release(&b);
	return n;
}

static struct ed_ynode *value(struct lit *l);

/* The items of a list, tuple or dict up to close; dict: key: value pairs. */
static struct ed_ynode *items(struct lit *l, char close, int dict, int *commas)
{
	struct ed_ynode *n = node(l, dict ? ED_YMAP : ED_YSEQ, NULL, NULL, 0);

	*commas = 0;
	for (;;) {
		struct ed_ynode *k, *v;

		skip_ws(l);
		if (*l->p == close) {
			l->p++;
			return n;
		}
		k = value(l);
		if (!k)
			goto fail;
		if (dict) {
			size_t i;

			skip_ws(l);
			if (k->type != ED_YSCALAR || *l->p != ':') {
				ed_ynode_free(k);
				goto fail;
			}
			l->p++;
			v = value(l);
			if (!v) {
				ed_ynode_free(k);
				goto fail;
			}
			/* a repeated key: the last one wins, as in Python */
			for (i = 0; i + 1 < n->nr; i += 2)
				if (!strcmp(n->kids[i]->str, k->str)) {
					ed_ynode_free(n->kids[i + 1]);
					n->kids[i + 1] = v;
					ed_ynode_free(k);
					k = NULL;
					break;
				}
			if (k) {
				add_kid(n, k);
				add_kid(n, v);
			}
		} else {
			add_kid(n, k);
		}
		skip_ws(l);
		if (*l->p == ',') {
			l->p++;
			(*commas)++;
			continue;
		}
		if (*l->p != close)
			goto fail;
	}
fail:
	ed_ynode_free(n);
	return NULL;
}

static struct ed_ynode *value(struct lit *l)
{
	struct ed_ynode *n = NULL;
	int commas;
	char c;

	skip_ws(l);
	c = *l->p;
	if (l->depth >= MAX_DEPTH)
		return NULL;
	l->depth++;
	if (c == '-' || c == '+') {
		l->p++;
		skip_ws(l);
		if ((*l->p >= '0' && *l->p <= '9') || *l->p == '.')
			n = number(l, c == '-');
	} else if ((c >= '0' && c <= '9') ||
		   (c == '.' && l->p[1] >= '0' && l->p[1] <= '9')) {
		n = number(l, 0);
	} else if (c == '\'' || c == '"') {
		n = string(l);
	} else if (c == '[') {
		l->p++;
		n = items(l, ']', 0, &commas);
	} else if (c == '{') {
		l->p++;
		n = items(l, '}', 1, &commas);
	} else if (c == '(') {
		l->p++;
		n = items(l, ')', 0, &commas);
		/* "(x)" is x itself; "(x,)" and "()" are tuples */
		if (n && n->nr == 1 && !commas) {
			struct ed_ynode *x = n->kids[0];

			n->nr = 0;
			ed_ynode_free(n);
			n = x;
		}
	} else if (is_ident(c)) {
		const char *s = l->p;
		size_t len;

		while (is_ident(*l->p))
			l->p++;
		len = (size_t)(l->p - s);
		if (len == 4 && !strncmp(s, "True", 4))
			n = node(l, ED_YSCALAR, INV_TAG_PREFIX "bool", "true", 4);
		else if (len == 5 && !strncmp(s, "False", 5))
			n = node(l, ED_YSCALAR, INV_TAG_PREFIX "bool", "false", 5);
		else if (len == 4 && !strncmp(s, "None", 4))
			n = node(l, ED_YSCALAR, INV_TAG_PREFIX "null", "", 0);
	}
	l->depth--;
	return n;
}

struct ed_ynode *inv_pyliteral(const char *s, size_t line, size_t col)
{
	struct lit l = { s, line, col, 0 };
	struct ed_ynode *n = value(&l);

	if (!n)
		return NULL;
	skip_ws(&l);
	if (*l.p == ',') { /* "1, 2" and "1,": a tuple without parentheses */
		struct ed_ynode *t = node(&l, ED_YSEQ, NULL, NULL, 0);

		add_kid(t, n);
		n = t;
		while (*l.p == ',') {
			struct ed_ynode *x;

			l.p++;
			skip_ws(&l);
			if (!*l.p || *l.p == '#')
				break;
			x = value(&l);
			if (!x) {
				ed_ynode_free(n);
				return NULL;
			}
			add_kid(n, x);
			skip_ws(&l);
		}
	}
	if (*l.p && *l.p != '#') { /* a comment may follow, as in Python */
		ed_ynode_free(n);
		return NULL;
	}
	return n;
}
