/*
 * A host's identity from the kernel's address tables (/proc/net/fib_trie,
 * /proc/net/if_inet6), and the "identity" file of a snapshot, which is
 * also the syntax of `collect --identity FILE`.
 */
#include "core/identity.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* [*p, end) up to the next '\n'; *p moves past it. */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	*n = (size_t)((nl ? nl : end) - s);
	*p = nl ? nl + 1 : end;
	return s;
}

static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/*
 * fib_trie lists every prefix of each table; an address of this host is a
 * leaf ("|-- 10.0.2.15") one of whose entries is "/32 host LOCAL".
 */
void host_identity_from_fib_trie(struct host_identity *id, const char *text,
				 size_t len)
{
	const char *p = text, *end = text + len, *line, *leaf = NULL;
	size_t n, leaf_len = 0;

	while ((line = next_line(&p, end, &n))) {
		const char *s = skip_blanks(line, line + n), *le = line + n;

		if (le - s > 4 && !memcmp(s, "|-- ", 4)) {
			leaf = s + 4;
			leaf_len = (size_t)(le - leaf);
			while (leaf_len && (leaf[leaf_len - 1] == ' ' ||
					    leaf[leaf_len - 1] == '\r'))
				leaf_len--;
		} else if (leaf && le - s > 3 && !memcmp(s, "/32", 3) &&
			   (size_t)(le - s) >= 14 &&
			   !memcmp(le - 11, " host LOCAL", 11)) {
			host_identity_add_addr(id, leaf, leaf_len);
		} else if (s < le && *s != '/') {
			leaf = NULL; /* "+-- 10.0.0.0/8 ..." or a table name */
		}
	}
}

/* "fd000020000000000000000000000006 02 40 00 80 eth0" a line */
void host_identity_from_if_inet6(struct host_identity *id, const char *text,
				 size_t len)
{
	const char *p = text, *end = text + len, *line;
	size_t n;

	while ((line = next_line(&p, end, &n))) {
		unsigned char bin[16];
		char out[INET6_ADDRSTRLEN];
		size_t i;

		if (n < 32 || (n > 32 && line[32] != ' '))
			continue;
		for (i = 0; i < 16; i++) {
			int hi = ed_hexval(line[2 * i]);
			int lo = ed_hexval(line[2 * i + 1]);

			if (hi < 0 || lo < 0)
				break;
			bin[i] = (unsigned char)(hi << 4 | lo);
		}
		if (i < 16 || !inet_ntop(AF_INET6, bin, out, sizeof(out)))
			continue;
		host_identity_add_addr(id, out, strlen(out));
	}
}

void host_identity_lines(struct ed_strvec *out, const struct host_identity *id,
			 const char *addresses_from, const char *macs_from)
{
	size_t i;

	for (i = 0; i < id->nr; i++) {
		const struct identity_token *t = &id->v[i];
		const char *key = "machine-id";

		switch (t->kind) {
		case IDENTITY_NAME:
			key = memchr(t->text, '.', t->len) ? "fqdn" : "host";
			break;
		case IDENTITY_ADDR4:
			key = "addr4";
			break;
		case IDENTITY_ADDR6:
			key = "addr6";
			break;
		case IDENTITY_MAC:
			key = "mac";
			break;
		}
		ed_strvec_pushf(out, "%s = %.*s", key, (int)t->len, t->text);
	}
	ed_strvec_pushf(out, "addresses-from = %s", addresses_from);
	ed_strvec_pushf(out, "macs-from = %s", macs_from);
}

int host_identity_parse(struct host_identity *id, const char *text, size_t len,
			const char *name, struct ed_err *err)
{
	const char *p = text, *end = text + len, *line;
	size_t n, lineno = 0;

	if (memchr(text, '\0', len))
		return ed_err_set(err, ED_EPARSE,
				  "%s: a NUL byte (not a text file)", name);
	while ((line = next_line(&p, end, &n))) {
		const char *le = line + n, *k = skip_blanks(line, le), *ke, *v,
			   *ve;
		char key[32];
		int rc;

		lineno++;
		while (le > k &&
		       (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
			le--;
		if (k == le || *k == '#')
			continue;
		for (ke = k; ke < le && *ke != '=' && *ke != ' ' && *ke != '\t';
		     ke++)
			;
		v = skip_blanks(ke, le);
		if (v == le || *v != '=' || ke == k)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: expected \"KEY = VALUE\"",
					  name, lineno, (size_t)(k - line) + 1);
		v = skip_blanks(v + 1, le);
		ve = le;
		if ((size_t)(ke - k) >= sizeof(key))
			ke = k + sizeof(key) - 1;
		memcpy(key, k, (size_t)(ke - k));
		key[ke - k] = '\0';
		rc = host_identity_set(id, key, v, (size_t)(ve - v));
		if (rc == -1)
			return ed_err_set(
				err, ED_EPARSE,
				"%s:%zu:%zu: unknown key '%s' (host, fqdn, addr4, addr6, mac, machine-id)",
				name, lineno, (size_t)(k - line) + 1, key);
		if (rc == -2)
			return ed_err_set(err, ED_EPARSE,
					  "%s:%zu:%zu: '%.*s' is not a valid %s",
					  name, lineno, (size_t)(v - line) + 1,
					  (int)(ve - v), v, key);
	}
	return 0;
}
