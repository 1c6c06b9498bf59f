/*
 * A host's identity from what states it (the kernel's address tables,
 * /etc/hostname, /etc/hosts, the network configuration of ifupdown,
 * netplan, systemd-networkd, udev and NetworkManager, /etc/machine-id),
 * its "identity" file, and text with it replaced by placeholders, so that
 * two hosts which differ only by who they are compare equal
 * (differ/normalize.c). Loopback and wildcard addresses are never
 * identity.
 */
#include "core/identity.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static const char *const placeholder[] = {
	[IDENTITY_NAME] = "{host}",      [IDENTITY_ADDR4] = "{addr4}",
	[IDENTITY_ADDR6] = "{addr6}",    [IDENTITY_MAC] = "{mac}",
	[IDENTITY_MID] = "{machine-id}",
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
static int token_char(enum identity_kind k, int c)
{
	switch (k) {
	case IDENTITY_NAME:
		return is_alnum(c) || c == '-' || c == '_' || c == '.';
	case IDENTITY_ADDR4:
		return is_alnum(c) || c == '.';
	case IDENTITY_ADDR6:
		return is_hex(c) || c == ':' || c == '.';
	case IDENTITY_MAC:
		return is_hex(c) || c == ':' || c == '-';
	case IDENTITY_MID:
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
static int own_addr(const char *s, size_t n, enum identity_kind *k)
{
	char text[64];
	unsigned char bin[16];

	if (n == 0 || n >= sizeof(text))
		return 0;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET, text, bin) == 1) {
		*k = IDENTITY_ADDR4;
		return bin[0] != 127 && bin[0] != 0;
	}
	if (inet_pton(AF_INET6, text, bin) == 1) {
		static const unsigned char any[16], loop[16] = { [15] = 1 };

		*k = IDENTITY_ADDR6;
		return memcmp(bin, any, 16) && memcmp(bin, loop, 16);
	}
	return 0;
}

/* Six hex pairs separated by ':' or '-' (17 bytes at s). */
static int valid_mac_form(const char *s)
{
	size_t i;

	for (i = 0; i < 17; i++)
		if (i % 3 == 2 ? (s[i] != ':' && s[i] != '-') : !is_hex(s[i]))
			return 0;
	return 1;
}

static int valid_mac(const char *s, size_t n)
{
	if (n != 17 || !valid_mac_form(s))
		return 0;
	/* all zeros or all ones is nobody's */
	return strncmp(s, "00:00:00:00:00:00", 17) &&
	       strncasecmp(s, "ff:ff:ff:ff:ff:ff", 17);
}

static void add_token(struct host_identity *id, enum identity_kind k,
		      const char *s, size_t n)
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
		add_token(id, IDENTITY_NAME, s, n);
}

void host_identity_add_addr(struct host_identity *id, const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	enum identity_kind k;

	if (slash)
		n = (size_t)(slash - s);
	if (own_addr(s, n, &k))
		add_token(id, k, s, n);
}

void host_identity_add_mac(struct host_identity *id, const char *s, size_t n)
{
	if (valid_mac(s, n))
		add_token(id, IDENTITY_MAC, s, n);
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
	if (!w)
		return;
	host_identity_add_name(id, w, n);
	if (memchr(w, '.', n)) /* "web-01.example.com": "web-01" too */
		host_identity_add_name(id, w,
				       (size_t)((char *)memchr(w, '.', n) - w));
}

/* id's host name: its first name without a domain, else its first; NULL. */
static const struct identity_token *host_name(const struct host_identity *id)
{
	const struct identity_token *first = NULL;
	size_t i;

	for (i = 0; i < id->nr; i++) {
		if (id->v[i].kind != IDENTITY_NAME)
			continue;
		if (!memchr(id->v[i].text, '.', id->v[i].len))
			return &id->v[i];
		if (!first)
			first = &id->v[i];
	}
	return first;
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
			host_identity_add_addr(id, addr, an);
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
		if ((id->v[i].kind == IDENTITY_ADDR4 ||
		     id->v[i].kind == IDENTITY_ADDR6) &&
		    id->v[i].len == n && !strncasecmp(id->v[i].text, s, n))
			return 1;
	return 0;
}

int host_identity_has_addrs(const struct host_identity *id)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if (id->v[i].kind == IDENTITY_ADDR4 ||
		    id->v[i].kind == IDENTITY_ADDR6)
			return 1;
	return 0;
}

int host_identity_has_macs(const struct host_identity *id)
{
	size_t i;

	for (i = 0; i < id->nr; i++)
		if (id->v[i].kind == IDENTITY_MAC)
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
			host_identity_add_addr(id, v, vn);
		} else if (is_word(w, n, "hwaddress")) {
			if (is_word(v, vn, "ether") && !(v = word(&p, le, &vn)))
				continue;
			host_identity_add_mac(id, v, vn);
		}
	}
}

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
				host_identity_add_addr(id, s, (size_t)(p - s));
			if (p == le)
				break;
		}
		mac = find_ci(ls, (size_t)(le - ls), "macaddress");
		if (mac)
			mac += 10;
		else if ((mac = find_ci(ls, (size_t)(le - ls), "mac-address")))
			mac += 11; /* NetworkManager: mac-address=, cloned-mac-address= */
		else if ((mac = find_ci(ls, (size_t)(le - ls), "attr{address}")))
			mac += 13;
		if (!mac)
			continue;
		while (mac < le && (*mac == ':' || *mac == '=' || *mac == '"' ||
				    *mac == '\'' || *mac == ' ' || *mac == '\t'))
			mac++;
		if (le - mac >= 17 &&
		    (le - mac == 17 || !is_hex((unsigned char)mac[17])))
			host_identity_add_mac(id, mac, 17);
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
	add_token(id, IDENTITY_MID, text, 32);
}

int host_identity_set(struct host_identity *id, const char *key,
		      const char *value, size_t len)
{
	char text[64];
	unsigned char bin[16];

	if (!strcmp(key, "addresses-from") || !strcmp(key, "macs-from"))
		return 1;
	if (!strcmp(key, "host") || !strcmp(key, "fqdn")) {
		if (!valid_name(value, len) ||
		    (key[0] == 'f') != (memchr(value, '.', len) != NULL))
			return -2;
		host_identity_add_name(id, value, len);
		return 0;
	}
	if (!strcmp(key, "addr4") || !strcmp(key, "addr6")) {
		if (len >= sizeof(text))
			return -2;
		memcpy(text, value, len);
		text[len] = '\0';
		if (inet_pton(key[4] == '4' ? AF_INET : AF_INET6, text, bin) != 1)
			return -2;
		host_identity_add_addr(id, value, len);
		return 0;
	}
	if (!strcmp(key, "mac")) {
		if (len != 17 || !valid_mac_form(value))
			return -2;
		host_identity_add_mac(id, value, len);
		return 0;
	}
	if (!strcmp(key, "machine-id")) {
		size_t i;

		for (i = 0; i < len && is_hex(value[i]); i++)
			;
		if (len != 32 || i != len)
			return -2;
		host_identity_from_machine_id(id, value, len);
		return 0;
	}
	return -1;
}

void host_identity_add_net(struct host_identity *id,
			   const struct host_identity *from, int addrs, int macs)
{
	size_t i;

	for (i = 0; i < from->nr; i++) {
		const struct identity_token *t = &from->v[i];

		if (t->kind == IDENTITY_MAC && macs)
			host_identity_add_mac(id, t->text, t->len);
		else if ((t->kind == IDENTITY_ADDR4 || t->kind == IDENTITY_ADDR6) &&
			 addrs)
			host_identity_add_addr(id, t->text, t->len);
	}
}

static int has_prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

int host_identity_config_file(const char *path)
{
	static const char *const network[] = {
		"/etc/netplan/",
		"/etc/systemd/network/",
		"/etc/udev/rules.d/",
		"/etc/NetworkManager/system-connections/",
	};
	size_t i;

	if (!strcmp(path, "/etc/network/interfaces") ||
	    has_prefix(path, "/etc/network/interfaces.d/"))
		return 2;
	for (i = 0; i < sizeof(network) / sizeof(network[0]); i++)
		if (has_prefix(path, network[i]))
			return 1;
	return 0;
}

void host_identity_from_config(struct host_identity *id, const char *path,
			       const char *text, size_t len)
{
	int kind = host_identity_config_file(path);

	if (kind == 2)
		host_identity_from_interfaces(id, text, len);
	if (kind)
		host_identity_from_network(id, text, len);
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
	enum identity_kind k = (enum identity_kind)t->kind;
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
	if (t->kind == IDENTITY_NAME && memchr(t->text, '.', t->len))
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
