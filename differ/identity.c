/*
 * A host's identity as its own stored files state it, and config text
 * with that identity replaced by placeholders, so that two hosts which
 * differ only by who they are compare equal (differ/normalize.c).
 *
 * The identity comes from the snapshot, whatever the transport: the name
 * in /etc/hostname (else the inventory name), the fully qualified names
 * and addresses /etc/hosts gives that name, the static addresses and
 * hardware addresses of ifupdown's interfaces files and netplan, udev's
 * persistent-net rules and systemd .link files, and /etc/machine-id.
 * Loopback and wildcard addresses are never identity.
 */
#include "differ/internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"

enum tok_class { TOK_NAME, TOK_ADDR4, TOK_ADDR6, TOK_MAC, TOK_MID };

static const char *const placeholder[] = {
	[TOK_NAME] = "{host}",      [TOK_ADDR4] = "{addr4}",
	[TOK_ADDR6] = "{addr6}",    [TOK_MAC] = "{mac}",
	[TOK_MID] = "{machine-id}",
};

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static int is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Part of a token of class k: a match must not continue into one. */
static int token_char(enum tok_class k, int c)
{
	switch (k) {
	case TOK_NAME:
		return is_alnum(c) || c == '-' || c == '_' || c == '.';
	case TOK_ADDR4:
		return is_alnum(c) || c == '.';
	case TOK_ADDR6:
		return is_hex(c) || c == ':' || c == '.';
	case TOK_MAC:
		return is_hex(c) || c == ':' || c == '-';
	case TOK_MID:
		return is_alnum(c);
	}
	return 0;
}

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (!n || n > 253 || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return 0;
	return 1;
}

/* An address that names this host and no other: not loopback, not any. */
static int own_addr(const char *s, size_t n, enum tok_class *k)
{
	char text[64];
	unsigned char bin[16];

	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, bin) == 1) {
		*k = TOK_ADDR4;
		return bin[0] != 127 && bin[0] != 0;
	}
	if (inet_pton(AF_INET6, text, bin) == 1) {
		static const unsigned char any[16], loop[16] = { [15] = 1 };

		*k = TOK_ADDR6;
		return memcmp(bin, any, 16) && memcmp(bin, loop, 16);
	}
	return 0;
}

static int valid_mac(const char *s, size_t n)
{
	size_t i;

	if (n != 17)
		return 0;
	for (i = 0; i < n; i++)
		if (i % 3 == 2 ? (s[i] != ':' && s[i] != '-') : !is_hex(s[i]))
			return 0;
	/* all zeros or all ones is nobody's */
	return strncmp(s, "00:00:00:00:00:00", 17) &&
	       strncasecmp(s, "ff:ff:ff:ff:ff:ff", 17);
}

static void add_token(struct host_identity *id, enum tok_class k, const char *s,
		      size_t n)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if (id->v[i].kind == (int)k && id->v[i].len == n &&
		    !strncasecmp(id->v[i].text, s, n))
			return;
	ED_ALLOC_GROW(id->v, id->nr + 1, id->alloc);
	id->v[id->nr].kind = (int)k;
	id->v[id->nr].text = ed_xstrndup(s, n);
	id->v[id->nr].len = n;
	id->nr++;
}

void host_identity_add_name(struct host_identity *id, const char *s, size_t n)
{
	if (valid_name(s, n))
		add_token(id, TOK_NAME, s, n);
}

/* Addresses, with or without a "/prefix", that are the host's own. */
static void add_addr(struct host_identity *id, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	enum tok_class k;

	if (slash)
		n = (size_t)(slash - s);
	if (own_addr(s, n, &k))
		add_token(id, k, s, n);
}

static void add_mac(struct host_identity *id, const char *s, size_t n)
{
	if (valid_mac(s, n))
		add_token(id, TOK_MAC, s, n);
}

/* The next whitespace-separated word of [*p, end) on this line. */
static const char *word(const char **p, const char *end, size_t *n)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	if (s == end || *s == '#') {
		*p = end;
		return NULL;
	}
	*p = s;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\r' && **p != '#')
		(*p)++;
	*n = (size_t)(*p - s);
	return s;
}

/* The end of the line starting at ls: its '\n', or end. */
static const char *line_end(const char *ls, const char *end)
{
	const char *nl = memchr(ls, '\n', (size_t)(end - ls));

	return nl ? nl : end;
}

/* The first place of lit (lower case) in [s, s + n), any case; NULL if none. */
static const char *find_ci(const char *s, size_t n, const char *lit)
{
	size_t m = strlen(lit), i;

	for (i = 0; i + m <= n; i++)
		if (!strncasecmp(s + i, lit, m))
			return s + i;
	return NULL;
}

void host_identity_from_hostname(struct host_identity *id, const char *text,
				 size_t len)
{
	const char *p = text, *end = memchr(text, '\n', len);
	const char *w;
	size_t n;

	if (!end)
		end = text + len;
	w = word(&p, end, &n);
	if (w)
		host_identity_add_name(id, w, n);
}

/* The first name of id (its host name), or NULL. */
static const struct identity_token *host_name(const struct host_identity *id)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if (id->v[i].kind == TOK_NAME)
			return &id->v[i];
	return NULL;
}

/* "web-01" names "web-01" and "web-01.example.internal". */
static int names_host(const struct identity_token *h, const char *s, size_t n)
{
	return n >= h->len && !strncasecmp(s, h->text, h->len) &&
	       (n == h->len || s[h->len] == '.');
}

void host_identity_from_hosts(struct host_identity *id, const char *text,
			      size_t len, int take_addrs)
{
	const struct identity_token *h = host_name(id);
	char *hname;

	if (!h)
		return;
	hname = ed_xstrndup(h->text, h->len); /* id->v may move below */
	for (const char *ls = text, *end = text + len, *le; ls < end; ls = le + 1) {
		const char *p = ls, *addr, *w;
		size_t an, n, i, mine = 0;
		struct identity_token ht = { 0, hname, strlen(hname) };

		le = line_end(ls, end);
		addr = word(&p, le, &an);
		if (!addr)
			continue;
		for (i = 0; (w = word(&p, le, &n)) && i < 64; i++)
			mine |= names_host(&ht, w, n);
		if (!mine)
			continue;
		if (take_addrs)
			add_addr(id, addr, an);
		p = ls;
		word(&p, le, &an);
		while ((w = word(&p, le, &n)))
			if (names_host(&ht, w, n))
				host_identity_add_name(id, w, n);
	}
	free(hname);
}

static int is_word(const char *w, size_t n, const char *lit)
{
	return n == strlen(lit) && !strncasecmp(w, lit, n);
}

int host_identity_is_addr(const struct host_identity *id, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if ((id->v[i].kind == TOK_ADDR4 || id->v[i].kind == TOK_ADDR6) &&
		    id->v[i].len == n && !strncasecmp(id->v[i].text, s, n))
			return 1;
	return 0;
}

int host_identity_has_addrs(const struct host_identity *id)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if (id->v[i].kind == TOK_ADDR4 || id->v[i].kind == TOK_ADDR6)
			return 1;
	return 0;
}

void host_identity_from_interfaces(struct host_identity *id, const char *text,
				   size_t len)
{
	for (const char *ls = text, *end = text + len, *le; ls < end; ls = le + 1) {
		const char *p = ls, *w, *v;
		size_t n, vn;

		le = line_end(ls, end);
		w = word(&p, le, &n);
		if (!w || !(v = word(&p, le, &vn)))
			continue;
		if (is_word(w, n, "address")) {
			add_addr(id, v, vn);
		} else if (is_word(w, n, "hwaddress")) {
			if (is_word(v, vn, "ether") && !(v = word(&p, le, &vn)))
				continue;
			add_mac(id, v, vn);
		}
	}
}

/*
 * netplan, systemd-networkd and udev: an address with a prefix length is
 * an address of the host (gateways and name servers have none); a MAC
 * after macaddress:, MACAddress= or ATTR{address}== is one of its cards.
 */
void host_identity_from_network(struct host_identity *id, const char *text,
				size_t len)
{
	for (const char *ls = text, *end = text + len, *le; ls < end; ls = le + 1) {
		const char *p, *mac;

		le = line_end(ls, end);
		for (p = ls; p < le; p++) {
			const char *s = p;

			if (!is_hex(*p) ||
			    (p > ls &&
			     (is_alnum(p[-1]) || p[-1] == '.' || p[-1] == ':')))
				continue;
			while (p < le && (is_hex(*p) || *p == ':' || *p == '.'))
				p++;
			if (p + 1 < le && *p == '/' && p[1] >= '0' && p[1] <= '9')
				add_addr(id, s, (size_t)(p - s));
			if (p == le)
				break;
		}
		mac = find_ci(ls, (size_t)(le - ls), "macaddress");
		if (mac)
			mac += 10;
		else if ((mac = find_ci(ls, (size_t)(le - ls), "attr{address}")))
			mac += 13;
		if (!mac)
			continue;
		while (mac < le && (*mac == ':' || *mac == '=' || *mac == '"' ||
				    *mac == '\'' || *mac == ' ' || *mac == '\t'))
			mac++;
		if (le - mac >= 17 &&
		    (le - mac == 17 || !is_hex((unsigned char)mac[17])))
			add_mac(id, mac, 17);
	}
}

void host_identity_from_machine_id(struct host_identity *id, const char *text,
				   size_t len)
{
	size_t i;

	if (len < 32)
		return;
	for (i = 0; i < 32; i++)
		if (!is_hex(text[i]))
			return;
	if (len > 32 && text[32] != '\n')
		return;
	add_token(id, TOK_MID, text, 32);
}

void host_identity_release(struct host_identity *id)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		free(id->v[i].text);
	free(id->v);
	memset(id, 0, sizeof(*id));
}

/* Token i of id starts at text[at] and is a whole token there. */
static int matches_at(const struct identity_token *t, const char *text,
		      size_t len, size_t at)
{
	enum tok_class k = (enum tok_class)t->kind;
	size_t end = at + t->len;

	if (end > len || strncasecmp(text + at, t->text, t->len))
		return 0;
	if (at > 0 && token_char(k, (unsigned char)text[at - 1]))
		return 0;
	if (end < len && token_char(k, (unsigned char)text[end])) {
		/* "web-01." ends a sentence; "10.0.0.1." likewise */
		if (text[end] != '.' ||
		    (end + 1 < len && token_char(k, (unsigned char)text[end + 1])))
			return 0;
	}
	return 1;
}

const char *host_identity_placeholder(const struct identity_token *t)
{
	if (t->kind == TOK_NAME && memchr(t->text, '.', t->len))
		return "{fqdn}";
	return placeholder[t->kind];
}

int host_identity_normalize(struct ed_buf *out, const struct host_identity *id,
			    const char *text, size_t len)
{
	size_t i = 0, j, last = 0;
	int replaced = 0;

	while (i < len) {
		const struct identity_token *best = NULL;

		for (j = 0; j < id->nr; j++) {
			const struct identity_token *t = &id->v[j];

			if (lower((unsigned char)text[i]) !=
			    lower((unsigned char)t->text[0]))
				continue;
			if ((!best || t->len > best->len) &&
			    matches_at(t, text, len, i))
				best = t;
		}
		if (!best) {
			i++;
			continue;
		}
		ed_buf_add(out, text + last, i - last);
		ed_buf_adds(out, host_identity_placeholder(best));
		i += best->len;
		last = i;
		replaced = 1;
	}
	ed_buf_add(out, text + last, len - last);
	return replaced;
}
