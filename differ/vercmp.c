/*
 * Version ordering for the three package managers the collectors read:
 * dpkg (lib/dpkg/version.c), rpm (rpmio/rpmvercmp.cc and rpmio/rpmver.c)
 * and apk (apk-tools src/version.c). The differ has to order versions the
 * way the host's own tool does, or an upgrade reads as a downgrade, so each
 * comparison mirrors its upstream algorithm step by step. All three work in
 * place on [begin, end) spans of the caller's strings: no allocation, no
 * recursion, one forward pass over each input, O(len(a) + len(b)).
 *
 * Every function returns exactly -1, 0 or 1 and treats NULL as "".
 */
#include "differ/internal.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

/* ASCII only, like c_isdigit() in dpkg and risdigit() in rpm. */
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* strcmp() order on two spans that hold no NUL: memcmp, then length. */
static int span_cmp(const char *a, const char *ae, const char *b, const char *be)
{
	size_t al = (size_t)(ae - a);
	size_t bl = (size_t)(be - b);
	int rc = memcmp(a, b, al < bl ? al : bl);

	if (rc)
		return sign(rc);
	return (al > bl) - (al < bl);
}

/*
 * dpkg: [epoch:]upstream[-revision], deb-version(5).
 *
 * parseversion() rejects some strings outright; dpkg --compare-versions
 * then fails with exit 2. We cannot fail, so a string dpkg would reject
 * (empty or blank, embedded blanks, an epoch that is empty, not a number,
 * negative or above INT_MAX, nothing after the colon, an empty upstream
 * version) makes the whole comparison fall back to strcmp() of the two
 * raw strings. That keeps the result antisymmetric and puts "" first, as
 * dpkg does with a blank version. What dpkg only warns about (no leading
 * digit, odd characters, an empty revision after a trailing '-') is
 * compared normally, as dpkg --compare-versions does after its warning.
 */
struct dpkg_ver {
	int epoch;
	const char *ver;
	const char *ver_end;
	const char *rev;
	const char *rev_end;
};

/*
 * dpkg reads the bytes as plain char, which is signed on the platforms we
 * build for, so a byte >= 0x80 orders as (byte - 256) + 256. Mirror that.
 */
static int dpkg_at(const char *p, const char *end)
{
	return p < end ? (signed char)*p : 0;
}

static int dpkg_order(int c)
{
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

/* lib/dpkg/version.c verrevcmp() on spans; returns a signed difference. */
static int dpkg_verrevcmp(const char *a, const char *ae, const char *b,
			  const char *be)
{
	while (a < ae || b < be) {
		int first_diff = 0;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = dpkg_order(dpkg_at(a, ae));
			int bc = dpkg_order(dpkg_at(b, be));

			if (ac != bc)
				return ac - bc;
			/* equal orders here mean both sides hold a char */
			a++;
			b++;
		}
		while (a < ae && *a == '0')
			a++;
		while (b < be && *b == '0')
			b++;
		while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < ae && is_digit(*a))
			return 1;
		if (b < be && is_digit(*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

/*
 * The epoch as strtol() + parseversion() accept it: an optional sign, at
 * least one digit, then the colon; "-0" is 0, anything else negative or
 * above INT_MAX is rejected.
 */
static int dpkg_parse_epoch(int *out, const char *p, const char *colon)
{
	const char *digits;
	long long v = 0;
	int neg = 0;

	if (p < colon && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	digits = p;
	while (p < colon && is_digit(*p)) {
		/* stop growing once too big; the digits still get consumed */
		if (v <= INT_MAX)
			v = v * 10 + (*p - '0');
		p++;
	}
	if (p == digits || p != colon)
		return -1;
	if ((neg && v != 0) || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int dpkg_parse(struct dpkg_ver *v, const char *s)
{
	const char *end, *p, *colon, *hyphen = NULL;

	while (is_blank(*s))
		s++;
	if (!*s)
		return -1;
	end = s;
	while (*end && !is_blank(*end))
		end++;
	for (p = end; is_blank(*p); p++)
		;
	if (*p)
		return -1;

	v->epoch = 0;
	colon = memchr(s, ':', (size_t)(end - s));
	if (colon) {
		if (dpkg_parse_epoch(&v->epoch, s, colon) < 0)
			return -1;
		s = colon + 1;
	}
	/* the revision follows the last '-'; the upstream part may hold more */
	for (p = s; p < end; p++)
		if (*p == '-')
			hyphen = p;
	v->ver = s;
	v->ver_end = hyphen ? hyphen : end;
	v->rev = hyphen ? hyphen + 1 : end;
	v->rev_end = end;
	if (v->ver == v->ver_end)
		return -1;
	return 0;
}

int vercmp_dpkg(const char *a, const char *b)
{
	struct dpkg_ver va, vb;
	int rc;

	a = a ? a : "";
	b = b ? b : "";
	if (dpkg_parse(&va, a) < 0 || dpkg_parse(&vb, b) < 0)
		return sign(strcmp(a, b));
	if (va.epoch != vb.epoch)
		return va.epoch < vb.epoch ? -1 : 1;
	rc = dpkg_verrevcmp(va.ver, va.ver_end, vb.ver, vb.ver_end);
	if (!rc)
		rc = dpkg_verrevcmp(va.rev, va.rev_end, vb.rev, vb.rev_end);
	return sign(rc);
}

/*
 * rpm: [epoch:]version[-release] as rpmverParse() splits it, compared as
 * rpmverCmp() does: epoch (missing = "0"), version, then release with
 * rpmvercmp(); a release beats no release. Nothing is rejected. "" is
 * compared as an empty version (rpm itself refuses to parse it).
 */
struct rpm_evr {
	const char *e;
	const char *e_end;
	const char *v;
	const char *v_end;
	const char *r; /* NULL when there is no '-' */
	const char *r_end;
};

/* Only ASCII letters and digits make segments; all else separates. */
static int rpm_isalnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

static int rpm_at(const char *p, const char *end)
{
	return p < end ? (unsigned char)*p : 0;
}

/* rpmio/rpmvercmp.cc rpmvercmp() on spans. */
static int rpm_vercmp(const char *one, const char *oe, const char *two,
		      const char *te)
{
	if (oe - one == te - two && !memcmp(one, two, (size_t)(oe - one)))
		return 0;

	while (one < oe || two < te) {
		const char *s1, *s2;
		int c1, c2, isnum, rc;

		while (one < oe && !rpm_isalnum(*one) && *one != '~' && *one != '^')
			one++;
		while (two < te && !rpm_isalnum(*two) && *two != '~' && *two != '^')
			two++;
		c1 = rpm_at(one, oe);
		c2 = rpm_at(two, te);

		/* '~' sorts before everything, the end included */
		if (c1 == '~' || c2 == '~') {
			if (c1 != '~')
				return 1;
			if (c2 != '~')
				return -1;
			one++;
			two++;
			continue;
		}
		/* '^' sorts after the end but before any further segment */
		if (c1 == '^' || c2 == '^') {
			if (!c1)
				return -1;
			if (!c2)
				return 1;
			if (c1 != '^')
				return 1;
			if (c2 != '^')
				return -1;
			one++;
			two++;
			continue;
		}
		if (!(c1 && c2))
			break;

		s1 = one;
		s2 = two;
		if (is_digit(c1)) {
			while (s1 < oe && is_digit(*s1))
				s1++;
			while (s2 < te && is_digit(*s2))
				s2++;
			isnum = 1;
		} else {
			while (s1 < oe && is_alpha(*s1))
				s1++;
			while (s2 < te && is_alpha(*s2))
				s2++;
			isnum = 0;
		}
		/* segments of different types: numeric is newer */
		if (two == s2)
			return isnum ? 1 : -1;
		if (isnum) {
			while (one < s1 && *one == '0')
				one++;
			while (two < s2 && *two == '0')
				two++;
			if (s1 - one != s2 - two)
				return s1 - one > s2 - two ? 1 : -1;
		}
		rc = span_cmp(one, s1, two, s2);
		if (rc)
			return rc;
		one = s1;
		two = s2;
	}
	if (one >= oe && two >= te)
		return 0;
	return one >= oe ? -1 : 1;
}

/* rpmio/rpmver.c parseEVR(), without copying. */
static void rpm_parse(struct rpm_evr *x, const char *s)
{
	static const char zero[] = "0";
	const char *end = s + strlen(s);
	const char *p = s, *q, *hyphen = NULL;

	while (p < end && is_digit(*p))
		p++;
	/* the release follows the last '-' after the epoch digits */
	for (q = p; q < end; q++)
		if (*q == '-')
			hyphen = q;
	if (p < end && *p == ':' && p > s) {
		x->e = s;
		x->e_end = p;
	} else {
		x->e = zero;
		x->e_end = zero + 1;
	}
	x->v = p < end && *p == ':' ? p + 1 : s;
	x->v_end = hyphen ? hyphen : end;
	x->r = hyphen ? hyphen + 1 : NULL;
	x->r_end = end;
}

int vercmp_rpm(const char *a, const char *b)
{
	struct rpm_evr xa, xb;
	int rc;

	rpm_parse(&xa, a ? a : "");
	rpm_parse(&xb, b ? b : "");
	rc = rpm_vercmp(xa.e, xa.e_end, xb.e, xb.e_end);
	if (!rc)
		rc = rpm_vercmp(xa.v, xa.v_end, xb.v, xb.v_end);
	if (!rc && xa.r && xb.r)
		rc = rpm_vercmp(xa.r, xa.r_end, xb.r, xb.r_end);
	else if (!rc)
		rc = (xa.r != NULL) - (xb.r != NULL);
	return rc;
}

/*
 * apk: digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}, tokenised
 * and compared as current apk-tools src/version.c does (the token_state
 * rewrite with commit hashes: token_first, token_next, token_cmp,
 * apk_version_compare; older releases tokenised differently but agree on
 * test/version.data). A string stops being
 * tokenised where it turns invalid; apk then orders by the token types
 * reached, so two strings invalid at the same point with equal prefixes
 * are equal, and we keep that. Numbers are uint64_t and wrap past 2^64 as
 * apk_blob_pull_uint() does. Not mirrored: fuzzy matching ('~' operator)
 * and apk_version_validate(), which the differ does not need.
 */
enum apk_token {
	APK_TOKEN_INITIAL_DIGIT,
	APK_TOKEN_DIGIT,
	APK_TOKEN_LETTER,
	APK_TOKEN_SUFFIX,
	APK_TOKEN_SUFFIX_NO,
	APK_TOKEN_COMMIT_HASH,
	APK_TOKEN_REVISION_NO,
	APK_TOKEN_END,
	APK_TOKEN_INVALID
};

/* Pre-release suffixes sort below NONE, post-release ones above. */
enum apk_suffix {
	APK_SUFFIX_INVALID,
	APK_SUFFIX_ALPHA,
	APK_SUFFIX_BETA,
	APK_SUFFIX_PRE,
	APK_SUFFIX_RC,
	APK_SUFFIX_NONE,
	APK_SUFFIX_CVS,
	APK_SUFFIX_SVN,
	APK_SUFFIX_GIT,
	APK_SUFFIX_HG,
	APK_SUFFIX_P
};

static const char *const apk_suffix_names[] = {
	[APK_SUFFIX_ALPHA] = "alpha", [APK_SUFFIX_BETA] = "beta",
	[APK_SUFFIX_PRE] = "pre",     [APK_SUFFIX_RC] = "rc",
	[APK_SUFFIX_CVS] = "cvs",     [APK_SUFFIX_SVN] = "svn",
	[APK_SUFFIX_GIT] = "git",     [APK_SUFFIX_HG] = "hg",
	[APK_SUFFIX_P] = "p",
};

struct apk_tok {
	enum apk_token token;
	enum apk_suffix suffix;
	uint64_t number;
	const char *v; /* the token's text, for string ordering */
	const char *v_end;
};

/*
 * apk_blob_spn() treats bytes >= 0x80 as members of every class, so they
 * extend a suffix (which then fails to match) or a commit hash.
 */
static int apk_suffix_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || c >= 0x80;
}

static int apk_hex_char(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || c >= 0x80;
}

static enum apk_suffix apk_suffix_value(const char *p, const char *end)
{
	size_t len = (size_t)(end - p);
	size_t i;

	for (i = 0; i < sizeof(apk_suffix_names) / sizeof(apk_suffix_names[0]);
	     i++) {
		const char *name = apk_suffix_names[i];

		if (name && strlen(name) == len && !memcmp(name, p, len))
			return (enum apk_suffix)i;
	}
	return APK_SUFFIX_INVALID;
}

static const char *apk_parse_digits(struct apk_tok *t, const char *p,
				    const char *end)
{
	uint64_t n = 0;

	t->v = p;
	while (p < end && is_digit(*p)) {
		n = n * 10 + (uint64_t)(*p - '0');
		p++;
	}
	t->number = n;
	t->v_end = p;
	if (t->v == t->v_end)
		t->token = APK_TOKEN_INVALID;
	return p;
}

/* token_next(): the next token, valid only where the previous allows it. */
static const char *apk_token_next(struct apk_tok *t, const char *p, const char *end)
{
	unsigned char c;

	if (p >= end) {
		t->token = APK_TOKEN_END;
		return p;
	}
	c = (unsigned char)*p;
	if (c >= 'a' && c <= 'z') {
		if (t->token > APK_TOKEN_DIGIT)
			goto invalid;
		t->v = p;
		t->v_end = p + 1;
		t->token = APK_TOKEN_LETTER;
		return p + 1;
	}
	if (c == '.' || is_digit(c)) {
		if (c == '.') {
			if (t->token > APK_TOKEN_DIGIT)
				goto invalid;
			p++;
		}
		if (t->token == APK_TOKEN_INITIAL_DIGIT ||
		    t->token == APK_TOKEN_DIGIT)
			t->token = APK_TOKEN_DIGIT;
		else if (t->token == APK_TOKEN_SUFFIX)
			t->token = APK_TOKEN_SUFFIX_NO;
		else
			goto invalid;
		return apk_parse_digits(t, p, end);
	}
	if (c == '_') {
		if (t->token > APK_TOKEN_SUFFIX_NO)
			goto invalid;
		t->v = ++p;
		while (p < end && apk_suffix_char((unsigned char)*p))
			p++;
		t->v_end = p;
		t->suffix = apk_suffix_value(t->v, t->v_end);
		if (t->suffix == APK_SUFFIX_INVALID)
			goto invalid;
		t->token = APK_TOKEN_SUFFIX;
		return p;
	}
	if (c == '~') {
		if (t->token >= APK_TOKEN_COMMIT_HASH)
			goto invalid;
		t->v = ++p;
		while (p < end && apk_hex_char((unsigned char)*p))
			p++;
		t->v_end = p;
		if (t->v == t->v_end)
			goto invalid;
		t->token = APK_TOKEN_COMMIT_HASH;
		return p;
	}
	if (c == '-') {
		if (t->token >= APK_TOKEN_REVISION_NO)
			goto invalid;
		if (end - p < 2 || p[1] != 'r')
			goto invalid;
		t->token = APK_TOKEN_REVISION_NO;
		return apk_parse_digits(t, p + 2, end);
	}
invalid:
	t->token = APK_TOKEN_INVALID;
	return p;
}

/* token_cmp() for two tokens of the same type. */
static int apk_token_cmp(const struct apk_tok *a, const struct apk_tok *b)
{
	uint64_t x, y;

	switch (a->token) {
	case APK_TOKEN_DIGIT:
		/* a leading zero means string order, as Gentoo specifies */
		if (*a->v == '0' || *b->v == '0')
			return span_cmp(a->v, a->v_end, b->v, b->v_end);
		/* fallthrough */
	case APK_TOKEN_INITIAL_DIGIT:
	case APK_TOKEN_SUFFIX_NO:
	case APK_TOKEN_REVISION_NO:
		x = a->number;
		y = b->number;
		break;
	case APK_TOKEN_LETTER:
		x = (unsigned char)*a->v;
		y = (unsigned char)*b->v;
		break;
	case APK_TOKEN_SUFFIX:
		x = a->suffix;
		y = b->suffix;
		break;
	default:
		return span_cmp(a->v, a->v_end, b->v, b->v_end);
	}
	return (x > y) - (x < y);
}

int vercmp_apk(const char *a, const char *b)
{
	struct apk_tok ta = { APK_TOKEN_INITIAL_DIGIT, APK_SUFFIX_INVALID, 0,
			      NULL, NULL };
	struct apk_tok tb = ta;
	const char *pa, *pb, *ea, *eb;
	int rc;

	a = a ? a : "";
	b = b ? b : "";
	ea = a + strlen(a);
	eb = b + strlen(b);
	pa = apk_parse_digits(&ta, a, ea);
	pb = apk_parse_digits(&tb, b, eb);
	while (ta.token == tb.token && ta.token < APK_TOKEN_END) {
		rc = apk_token_cmp(&ta, &tb);
		if (rc)
			return rc;
		pa = apk_token_next(&ta, pa, ea);
		pb = apk_token_next(&tb, pb, eb);
	}
	/* both ended, or both turned invalid at the same token */
	if (ta.token == tb.token)
		return 0;
	/*
	 * Equal so far: the longer version is newer, unless what it has
	 * next is a pre-release suffix; otherwise the side whose next token
	 * type ranks lower (more specific) is the newer one.
	 */
	if (ta.token == APK_TOKEN_SUFFIX && ta.suffix < APK_SUFFIX_NONE)
		return -1;
	if (tb.token == APK_TOKEN_SUFFIX && tb.suffix < APK_SUFFIX_NONE)
		return 1;
	return ta.token > tb.token ? -1 : 1;
}

int vercmp(enum pkg_manager m, const char *a, const char *b)
{
	switch (m) {
	case PKG_DPKG:
		return vercmp_dpkg(a, b);
	case PKG_RPM:
		return vercmp_rpm(a, b);
	case PKG_APK:
		return vercmp_apk(a, b);
	}
	ED_BUG("vercmp: unknown package manager %d", (int)m);
}
