/*
 * known_hosts for the fleet transport. The file is read once per run and
 * fed to libssh2 one line at a time, so a bad line costs a warning instead
 * of the whole file (libssh2_knownhost_readfile stops at the first one).
 * Lines libssh2 1.10 cannot use are kept aside: wildcard patterns and
 * @revoked keys are applied here, @cert-authority and sk-* lines explain
 * why a host is unknown. accept_new appends one plain line per new host
 * (O_APPEND, never a rewrite).
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libssh2.h>
#include <openssl/evp.h>

#include "core/alloc.h"

enum kh_kind {
	KH_PLAIN,    /* plain or hashed names, as libssh2 reads them */
	KH_WILDCARD, /* a pattern list with * ? or ! (libssh2 cannot) */
	KH_CA,       /* @cert-authority: unsupported */
	KH_REVOKED,  /* @revoked: refused here */
	KH_SK,       /* sk-* key: unsupported */
};

struct kh_line {
	unsigned lineno;
	enum kh_kind kind;
	unsigned type; /* SSH_KEY_* bit, 0 for another algorithm */
	char *hosts;   /* the host field as written */
	/* hashed (|1|salt|hash): HMAC-SHA1 states after the padded salt */
	EVP_MD_CTX *inner, *outer;
	unsigned char hash[20];
	struct ed_buf blob; /* the key, decoded */
};

struct ssh_known {
	char *path;
	struct kh_line *lines;
	size_t nr, alloc;
	EVP_MD *sha1;
	EVP_MD_CTX *tmp;    /* scratch for the HMACs */
	int need_newline;   /* the file does not end in '\n' */
	unsigned last_line; /* lines in the file, counting our appends */
};

/* "[address]:port" unless the port is 22, lower case, as OpenSSH looks up. */
static void host_spec(struct ed_buf *out, const char *address, unsigned port)
{
	const char *p;

	ed_buf_reset(out);
	if (port && port != 22)
		ed_buf_addch(out, '[');
	for (p = address; *p; p++)
		ed_buf_addch(out, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
	if (port && port != 22)
		ed_buf_addf(out, "]:%u", port);
}

static int line_matches(const struct ssh_known *k, const struct kh_line *l,
			const char *spec)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!l->inner)
		return ssh_pattern_match_list(spec, l->hosts,
					      strlen(l->hosts)) == 1;
	/* HMAC-SHA1(salt, spec) from the precomputed pad states: 0.3 us */
	if (EVP_MD_CTX_copy_ex(k->tmp, l->inner) != 1 ||
	    EVP_DigestUpdate(k->tmp, spec, strlen(spec)) != 1 ||
	    EVP_DigestFinal_ex(k->tmp, md, &mdlen) != 1 ||
	    EVP_MD_CTX_copy_ex(k->tmp, l->outer) != 1 ||
	    EVP_DigestUpdate(k->tmp, md, mdlen) != 1 ||
	    EVP_DigestFinal_ex(k->tmp, md, &mdlen) != 1)
		return 0;
	return mdlen == 20 && !memcmp(md, l->hash, 20);
}

static void line_release(struct kh_line *l)
{
	free(l->hosts);
	EVP_MD_CTX_free(l->inner);
	EVP_MD_CTX_free(l->outer);
	ed_buf_release(&l->blob);
}

static EVP_MD_CTX *hmac_pad(const EVP_MD *sha1, const struct ed_buf *salt,
			    unsigned char with)
{
	unsigned char pad[64]; /* SHA-1's block */
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t i;

	memset(pad, with, sizeof(pad));
	for (i = 0; i < salt->len; i++)
		pad[i] ^= (unsigned char)salt->ptr[i];
	if (c && (EVP_DigestInit_ex(c, sha1, NULL) != 1 ||
		  EVP_DigestUpdate(c, pad, sizeof(pad)) != 1)) {
		EVP_MD_CTX_free(c);
		c = NULL;
	}
	return c;
}

/* Split "|1|salt|hash" and prepare its HMAC; -1 if malformed. */
static int parse_hashed(const struct ssh_known *k, struct kh_line *l)
{
	struct ed_buf salt = ED_BUF_INIT, hash = ED_BUF_INIT;
	const char *s = l->hosts + 3, *bar = strchr(s, '|');
	int rc = -1;

	if (!bar || ssh_b64_decode(&salt, s, (size_t)(bar - s)) < 0 ||
	    ssh_b64_decode(&hash, bar + 1, strlen(bar + 1)) < 0 ||
	    hash.len != 20 || salt.len > 64)
		goto out;
	memcpy(l->hash, hash.ptr, 20);
	l->inner = hmac_pad(k->sha1, &salt, 0x36);
	l->outer = hmac_pad(k->sha1, &salt, 0x5c);
	if (l->inner && l->outer)
		rc = 0;
out:
	ed_buf_release(&salt);
	ed_buf_release(&hash);
	return rc;
}

static size_t field(const char **p, const char **start)
{
	const char *s = *p;

	while (*s == ' ' || *s == '\t')
		s++;
	*start = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	*p = s;
	return (size_t)(s - *start);
}

static const char *libssh2_msg(LIBSSH2_SESSION *s)
{
	char *msg = NULL;

	libssh2_session_last_error(s, &msg, NULL, 0);
	return msg && *msg ? msg : "libssh2 cannot parse it";
}

/*
 * Parse one line (NUL-terminated, no newline). Returns NULL when it is
 * kept, else why it is skipped. kh (NULL for our own appends) is the
 * libssh2 collection that vets the lines libssh2 should understand.
 */
static const char *add_line(struct ssh_known *k, LIBSSH2_KNOWNHOSTS *kh,
			    LIBSSH2_SESSION *ks, const char *line,
			    unsigned lineno, struct ed_buf *norm)
{
	struct kh_line l;
	const char *p = line, *mark = NULL, *hosts, *type, *key;
	size_t mlen = 0, hlen, tlen, klen;
	const char *why = NULL;
	int hashed;

	memset(&l, 0, sizeof(l));
	ed_buf_init(&l.blob);
	l.lineno = lineno;
	hlen = field(&p, &hosts);
	if (!hlen || *hosts == '#')
		return NULL;
	if (*hosts == '@') {
		mark = hosts;
		mlen = hlen;
		hlen = field(&p, &hosts);
	}
	tlen = field(&p, &type);
	klen = field(&p, &key);
	if (!klen)
		return "expected host names, a key type and a key";
	l.hosts = ed_xstrndup(hosts, hlen);
	l.type = ssh_key_type_parse(type, tlen);
	hashed = hlen > 3 && !memcmp(hosts, "|1|", 3);
	if (mark && mlen == 15 && !memcmp(mark, "@cert-authority", 15))
		l.kind = KH_CA;
	else if (mark && mlen == 8 && !memcmp(mark, "@revoked", 8))
		l.kind = KH_REVOKED;
	else if (mark)
		why = "unknown marker";
	else if (tlen > 3 && !memcmp(type, "sk-", 3))
		l.kind = KH_SK;
	else if (!hashed && strpbrk(l.hosts, "*?!"))
		l.kind = KH_WILDCARD;
	else
		l.kind = KH_PLAIN;

	if (!why && ssh_b64_decode(&l.blob, key, klen) < 0)
		why = "the key is not valid base64";
	else if (!why && l.type &&
		 ssh_key_blob_type((unsigned char *)l.blob.ptr, l.blob.len) !=
			 l.type)
		why = "the key does not match its type";
	else if (!why && hashed && parse_hashed(k, &l) < 0)
		why = "malformed hashed host name";
	else if (!why && !l.type && (l.kind == KH_PLAIN || l.kind == KH_WILDCARD))
		why = "key type not supported by libssh2 1.10";
	if (!why && l.kind == KH_PLAIN && kh) {
		/* libssh2 gets the fields alone: 1.10 misreads some comments */
		ed_buf_reset(norm);
		ed_buf_add(norm, hosts, hlen);
		ed_buf_addch(norm, ' ');
		ed_buf_add(norm, type, tlen);
		ed_buf_addch(norm, ' ');
		ed_buf_add(norm, key, klen);
		if (libssh2_knownhost_readline(kh, norm->ptr, norm->len,
					       LIBSSH2_KNOWNHOST_FILE_OPENSSH))
			why = libssh2_msg(ks);
	}
	if (why) {
		line_release(&l);
		return why;
	}
	ED_ALLOC_GROW(k->lines, k->nr + 1, k->alloc);
	k->lines[k->nr++] = l;
	return NULL;
}

static char *default_path(void)
{
	struct passwd *pw = getpwuid(getuid());
	struct ed_buf b = ED_BUF_INIT;

	ed_buf_adds(&b, pw && pw->pw_dir ? pw->pw_dir :
			getenv("HOME")   ? getenv("HOME") :
					   "/");
	ed_buf_adds(&b, "/.ssh/known_hosts");
	return ed_buf_detach(&b, NULL);
}

int ssh_known_load(struct ssh_known **out, const char *path,
		   struct ed_strvec *warnings, struct ed_err *err)
{
	struct ssh_known *k = ed_xcalloc(1, sizeof(*k));
	struct ed_buf file = ED_BUF_INIT, line = ED_BUF_INIT;
	struct ed_buf norm = ED_BUF_INIT;
	LIBSSH2_SESSION *ks = NULL;
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	unsigned lineno = 0;
	size_t i = 0;
	int rc;

	*out = NULL;
	ssh_lib_init();
	k->path = path ? ed_xstrdup(path) : default_path();
	k->sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	k->tmp = EVP_MD_CTX_new();
	if (!k->sha1 || !k->tmp) {
		rc = ed_err_ssl(err, "%s: SHA-1 unavailable", k->path);
		goto out;
	}
	rc = ed_buf_read_file(&file, k->path, (size_t)64 << 20, err);
	if (rc == ED_ENOTFOUND) {
		rc = 0;
	} else if (rc == ED_EPARTIAL) {
		rc = ed_err_set(err, ED_EIO, "%s: larger than 64 MiB", k->path);
		goto out;
	} else if (rc < 0) {
		goto out;
	}
	/* libssh2 vets each line; its collection is not kept */
	ks = libssh2_session_init();
	kh = ks ? libssh2_knownhost_init(ks) : NULL;
	if (!kh) {
		rc = ed_err_set(err, ED_ESSH, "%s: libssh2 cannot allocate",
				k->path);
		goto out;
	}
	k->need_newline = file.len && file.ptr[file.len - 1] != '\n';
	while (i < file.len) {
		size_t j = i;
		const char *why;

		while (j < file.len && file.ptr[j] != '\n')
			j++;
		lineno++;
		ed_buf_reset(&line);
		ed_buf_add(&line, file.ptr + i, j - i);
		if (line.len && line.ptr[line.len - 1] == '\r')
			ed_buf_setlen(&line, line.len - 1);
		why = memchr(line.ptr, '\0', line.len) ?
			      "NUL byte" :
			      add_line(k, kh, ks, line.ptr, lineno, &norm);
		if (why && warnings)
			ed_strvec_pushf(warnings, "%s:%u: skipped: %s", k->path,
					lineno, why);
		if (!why && k->nr && k->lines[k->nr - 1].lineno == lineno &&
		    k->lines[k->nr - 1].kind == KH_CA && warnings)
			ed_strvec_pushf(warnings,
					"%s:%u: @cert-authority lines are not supported by libssh2 1.10; a scan retries the hosts they cover over the OpenSSH client",
					k->path, lineno);
		i = j + 1;
	}
	k->last_line = lineno;
	*out = k;
	k = NULL;
out:
	if (kh)
		libssh2_knownhost_free(kh);
	if (ks)
		libssh2_session_free(ks);
	ed_buf_release(&file);
	ed_buf_release(&line);
	ed_buf_release(&norm);
	ssh_known_free(k);
	return rc;
}

void ssh_known_free(struct ssh_known *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nr; i++)
		line_release(&k->lines[i]);
	free(k->lines);
	EVP_MD_CTX_free(k->tmp);
	EVP_MD_free(k->sha1);
	free(k->path);
	free(k);
}

/* Lines [from, k->nr) that name spec (plain, hashed or pattern). */
static void scan(struct ssh_known_host *h, const struct ssh_known *k, size_t from)
{
	size_t i;

	for (i = from; i < k->nr; i++) {
		const struct kh_line *l = &k->lines[i];

		if ((l->kind != KH_PLAIN && l->kind != KH_WILDCARD) ||
		    !line_matches(k, l, h->spec))
			continue;
		ED_ALLOC_GROW(h->lines, h->nr + 1, h->alloc);
		h->lines[h->nr++] = i;
		h->types |= l->type;
	}
	h->upto = k->nr;
}

void ssh_known_lookup(struct ssh_known_host *out, const struct ssh_known *k,
		      const char *address, unsigned port)
{
	struct ed_buf spec = ED_BUF_INIT;

	memset(out, 0, sizeof(*out));
	host_spec(&spec, address, port);
	out->spec = ed_buf_detach(&spec, NULL);
	scan(out, k, 0);
}

void ssh_known_host_release(struct ssh_known_host *h)
{
	free(h->spec);
	free(h->lines);
	memset(h, 0, sizeof(*h));
}

unsigned ssh_known_types(const struct ssh_known *k, const char *address,
			 unsigned port)
{
	struct ssh_known_host h;
	unsigned types;

	ssh_known_lookup(&h, k, address, port);
	types = h.types;
	ssh_known_host_release(&h);
	return types;
}

static int append(struct ssh_known *k, const char *spec, const char *tname,
		  const unsigned char *key, size_t len, struct ed_buf *why)
{
	struct ed_buf line = ED_BUF_INIT, norm = ED_BUF_INIT;
	size_t off = 0, start;
	int fd, rc = 0;

	if (k->need_newline)
		ed_buf_addch(&line, '\n');
	start = line.len;
	ed_buf_addf(&line, "%s %s ", spec, tname);
	ssh_b64_encode(&line, key, len, 1);
	ed_buf_addch(&line, '\n');
	fd = open(k->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ed_buf_addf(why, "cannot append to %s: %s", k->path,
			    strerror(errno));
		rc = -1;
		goto out;
	}
	while (off < line.len) {
		ssize_t n = write(fd, line.ptr + off, line.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ed_buf_addf(why, "cannot append to %s: %s", k->path,
				    n < 0 ? strerror(errno) : "short write");
			rc = -1;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && !rc) {
		ed_buf_addf(why, "cannot append to %s: %s", k->path,
			    strerror(errno));
		rc = -1;
	}
	if (rc == 0) {
		k->need_newline = 0;
		ed_buf_setlen(&line, line.len - 1);
		/* the line is ours and parses: later hosts see it */
		k->last_line++;
		add_line(k, NULL, NULL, line.ptr + start, k->last_line, &norm);
	}
out:
	ed_buf_release(&line);
	ed_buf_release(&norm);
	return rc;
}

/* Why an unknown key is not simply new: a line we cannot use applies. */
static const struct kh_line *aside_line(const struct ssh_known *k, const char *spec)
{
	size_t i;

	for (i = 0; i < k->nr; i++)
		if ((k->lines[i].kind == KH_CA || k->lines[i].kind == KH_SK) &&
		    line_matches(k, &k->lines[i], spec))
			return &k->lines[i];
	return NULL;
}

enum ssh_known_result ssh_known_check_host(struct ssh_known *k,
					   struct ssh_known_host *h,
					   const unsigned char *key, size_t len,
					   int accept_new, struct ed_buf *why)
{
	struct ed_buf fp = ED_BUF_INIT;
	const struct kh_line *other = NULL, *aside = NULL, *same = NULL;
	unsigned type = ssh_key_blob_type(key, len);
	const char *tname = type ? ssh_key_type_name(type) : "unknown";
	enum ssh_known_result res = SSH_KNOWN_NEW;
	size_t i;

	ed_buf_reset(why);
	ssh_key_fingerprint(&fp, key, len);
	for (i = 0; i < k->nr; i++) {
		const struct kh_line *l = &k->lines[i];

		if (l->kind == KH_REVOKED && l->blob.len == len &&
		    !memcmp(l->blob.ptr, key, len)) {
			ed_buf_addf(why,
				    "host key revoked: %s %s is marked @revoked at %s:%u",
				    tname, fp.ptr, k->path, l->lineno);
			res = SSH_KNOWN_CHANGED;
			goto out;
		}
	}
	if (h->upto < k->nr) /* lines appended since the lookup */
		scan(h, k, h->upto);
	for (i = 0; i < h->nr; i++) {
		const struct kh_line *l = &k->lines[h->lines[i]];

		if (l->type != type) {
			/* a modern key of another type says more than RSA */
			if (!other || ((other->type & SSH_KEY_LEGACY) &&
				       !(l->type & SSH_KEY_LEGACY)))
				other = l;
		} else if (l->blob.len == len && !memcmp(l->blob.ptr, key, len)) {
			res = SSH_KNOWN_MATCH;
			goto out;
		} else if (!same) {
			same = l;
		}
	}
	if (same) {
		ed_buf_addf(why,
			    "host key changed: the server sent %s %s but %s:%u holds another %s key for %s (possible man-in-the-middle); refusing",
			    tname, fp.ptr, k->path, same->lineno, tname, h->spec);
		res = SSH_KNOWN_CHANGED;
		goto out;
	}
	if (other && !(other->type & SSH_KEY_LEGACY)) {
		ed_buf_addf(why,
			    "host key changed: the server sent %s %s but %s:%u holds a %s key for %s, which it no longer offers; refusing",
			    tname, fp.ptr, k->path, other->lineno,
			    ssh_key_type_name(other->type), h->spec);
		res = SSH_KNOWN_CHANGED;
		goto out;
	}
	aside = aside_line(k, h->spec);
	if (accept_new && !other && !aside && type) {
		if (append(k, h->spec, tname, key, len, why) < 0) {
			res = SSH_KNOWN_FAILED;
		} else {
			ed_buf_addf(why, "added %s %s %s to %s", h->spec, tname,
				    fp.ptr, k->path);
			res = SSH_KNOWN_ADDED;
		}
		goto out;
	}
	ed_buf_addf(why, "host key unknown: %s %s for %s is not in %s", tname,
		    fp.ptr, h->spec, k->path);
	if (other)
		ed_buf_addf(why,
			    "; %s:%u holds only an %s key for it, which libssh2 1.10 cannot verify (no rsa-sha2)",
			    k->path, other->lineno,
			    ssh_key_type_name(other->type));
	else if (aside && aside->kind == KH_CA)
		ed_buf_addf(why,
			    "; %s:%u is a @cert-authority line, which libssh2 1.10 does not support",
			    k->path, aside->lineno);
	else if (aside)
		ed_buf_addf(why,
			    "; %s:%u holds a security-key (sk-*) key, which libssh2 1.10 does not support",
			    k->path, aside->lineno);
	else if (accept_new)
		ed_buf_adds(why, "; not accepting a key of an unknown type");
out:
	ed_buf_release(&fp);
	return res;
}

enum ssh_known_result ssh_known_check(struct ssh_known *k, const char *address,
				      unsigned port, const unsigned char *key,
				      size_t len, int accept_new,
				      struct ed_buf *why)
{
	struct ssh_known_host h;
	enum ssh_known_result res;

	ssh_known_lookup(&h, k, address, port);
	res = ssh_known_check_host(k, &h, key, len, accept_new, why);
	ssh_known_host_release(&h);
	return res;
}
