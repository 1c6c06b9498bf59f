/*
 * ~/.ssh/config, the part that decides where a connection goes. Lines are
 * split as OpenSSH's readconf.c does (quotes, "Key=value", '#' comments);
 * each Host block keeps the first value of the five keywords we use, and
 * a lookup walks the blocks in order so the first value wins, as in ssh(1).
 */
#include "collector/fleet/internal.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"

enum cfg_key { K_HOSTNAME, K_USER, K_PORT, K_IDENTITY, K_PROXYJUMP, K_NR };

static const char *const key_names[K_NR] = {
	"HostName", "User", "Port", "IdentityFile", "ProxyJump",
};

struct cfg_block {
	struct ed_strvec patterns; /* Host arguments; empty: every host */
	int never;                 /* a Match block, which we cannot evaluate */
	char *val[K_NR];           /* first value of each keyword, unexpanded */
	unsigned line[K_NR];       /* where each value is */
};

struct ssh_config {
	struct cfg_block *blocks;
	size_t nr, alloc;
	struct ed_strvec expanded; /* lookups' expanded values, owned here */
	char *foreign; /* the first directive not read here, for the caller */
};

static int lower(int c)
{
	return tolower((unsigned char)c);
}

int ssh_pattern_match(const char *s, const char *pat, size_t len)
{
	/*
	 * Iterative wildcard match with one backtrack point (the last '*'):
	 * linear in practice, and no recursion on hostile patterns.
	 */
	const char *star_s = NULL;
	size_t p = 0, star_p = 0;

	while (*s) {
		if (p < len && pat[p] == '*') {
			star_p = ++p;
			star_s = s;
		} else if (p < len &&
			   (pat[p] == '?' || lower(pat[p]) == lower(*s))) {
			p++;
			s++;
		} else if (star_s) {
			p = star_p;
			s = ++star_s;
		} else {
			return 0;
		}
	}
	while (p < len && pat[p] == '*')
		p++;
	return p == len;
}

int ssh_pattern_match_list(const char *s, const char *list, size_t len)
{
	size_t i = 0;
	int got = 0;

	while (i < len) {
		size_t j = i;
		int neg = 0;

		while (j < len && list[j] != ',')
			j++;
		if (list[i] == '!') {
			neg = 1;
			i++;
		}
		if (i < j && ssh_pattern_match(s, list + i, j - i)) {
			if (neg)
				return -1;
			got = 1;
		}
		i = j + 1;
	}
	return got;
}

/*
 * One argument as OpenSSH's argv_split reads it: quotes group, backslash
 * escapes a quote, a backslash or a blank, '#' at the start of an argument
 * ends the line. 1: got one, 0: none left, -1: unterminated quote.
 */
static int next_arg(const char **pp, struct ed_buf *out)
{
	const char *p = *pp;
	char quote = 0;

	ed_buf_reset(out);
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#') {
		*pp = p;
		return 0;
	}
	for (; *p; p++) {
		if (!quote && (*p == ' ' || *p == '\t'))
			break;
		if (*p == '\\' && (p[1] == '"' || p[1] == '\'' || p[1] == '\\' ||
				   (!quote && (p[1] == ' ' || p[1] == '\t')))) {
			ed_buf_addch(out, p[1]);
			p++;
		} else if (!quote && (*p == '"' || *p == '\'')) {
			quote = *p;
		} else if (quote && *p == quote) {
			quote = 0;
		} else {
			ed_buf_addch(out, *p);
		}
	}
	*pp = p;
	return quote ? -1 : 1;
}

/* Which %-tokens a keyword accepts (OpenSSH's lists, minus what we lack). */
static int token_ok(enum cfg_key k, char t)
{
	if (t == '%' || t == 'h')
		return k == K_HOSTNAME || k == K_IDENTITY;
	return k == K_IDENTITY && strchr("dlnpru", t) != NULL;
}

/* Why a value cannot be used as written (NULL when it can). */
static const char *value_problem(enum cfg_key k, const char *v, char *tok)
{
	const char *p;

	if (k != K_HOSTNAME && k != K_IDENTITY)
		return NULL;
	for (p = v; *p; p++) {
		if (*p == '$' && p[1] == '{' && k == K_IDENTITY)
			return "environment variables are not supported";
		if (*p != '%')
			continue;
		*tok = p[1];
		if (!p[1] || !token_ok(k, p[1]))
			return "token";
		p++;
	}
	if (k == K_IDENTITY && v[0] == '~' && v[1] && v[1] != '/')
		return "~user is not supported";
	return NULL;
}

static struct cfg_block *add_block(struct ssh_config *cfg)
{
	struct cfg_block *b;

	ED_ALLOC_GROW(cfg->blocks, cfg->nr + 1, cfg->alloc);
	b = &cfg->blocks[cfg->nr++];
	memset(b, 0, sizeof(*b));
	ed_strvec_init(&b->patterns);
	return b;
}

static int parse_port(const char *s, unsigned *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Keep where the first directive we do not read is: ssh -G reads it. */
static void note_foreign(struct ssh_config *cfg, const char *name,
			 unsigned lineno, const char *kw)
{
	struct ed_buf b = ED_BUF_INIT;

	if (cfg->foreign)
		return;
	ed_buf_addf(&b, "%s:%u: %s", name, lineno, kw);
	cfg->foreign = ed_buf_detach(&b, NULL);
}

static int parse_line(struct ssh_config *cfg, const char *line,
		      const char *name, unsigned lineno,
		      struct ed_strvec *warnings, struct ed_err *err)
{
	struct ed_buf arg = ED_BUF_INIT, kw = ED_BUF_INIT;
	struct cfg_block *b = &cfg->blocks[cfg->nr - 1];
	const char *p = line;
	const char *why;
	char tok = 0;
	int k, got, rc = 0;
	unsigned port;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		goto out;
	while (*p && *p != ' ' && *p != '\t' && *p != '=')
		ed_buf_addch(&kw, *p++);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=')
		p++;

	if (!strcasecmp(kw.ptr, "Host")) {
		b = add_block(cfg);
		while ((got = next_arg(&p, &arg)) > 0)
			ed_strvec_push(&b->patterns, arg.ptr);
		if (got < 0 || !b->patterns.nr) {
			rc = ed_err_set(err, ED_EPARSE, "%s:%u: %s", name, lineno,
					got < 0 ? "unterminated quote" :
						  "Host needs at least one pattern");
		}
		goto out;
	}
	if (!strcasecmp(kw.ptr, "Match")) {
		note_foreign(cfg, name, lineno, "Match");
		b = add_block(cfg);
		b->never = 1;
		if (warnings)
			ed_strvec_pushf(warnings,
					"%s:%u: Match is not read by envdrift (the settings of its block are not used here; ssh -G resolves the hosts)",
					name, lineno);
		goto out;
	}
	if (!strcasecmp(kw.ptr, "Include")) {
		note_foreign(cfg, name, lineno, "Include");
		if (warnings)
			ed_strvec_pushf(warnings,
					"%s:%u: Include is not read by envdrift (ssh -G resolves the hosts)",
					name, lineno);
		goto out;
	}
	for (k = 0; k < K_NR; k++)
		if (!strcasecmp(kw.ptr, key_names[k]))
			break;
	if (k == K_NR) {
		/* a keyword we do not use: never read its value */
		note_foreign(cfg, name, lineno, kw.ptr);
		goto out;
	}

	got = next_arg(&p, &arg);
	if (got <= 0) {
		rc = ed_err_set(err, ED_EPARSE, "%s:%u: %s", name, lineno,
				got < 0 ? "unterminated quote" : "missing value");
		goto out;
	}
	if (next_arg(&p, &kw) != 0) {
		rc = ed_err_set(err, ED_EPARSE,
				"%s:%u: garbage at end of line after %s", name,
				lineno, key_names[k]);
		goto out;
	}
	if (k == K_PORT && parse_port(arg.ptr, &port) < 0) {
		rc = ed_err_set(err, ED_EPARSE, "%s:%u: bad port '%s'", name,
				lineno, arg.ptr);
		goto out;
	}
	why = value_problem((enum cfg_key)k, arg.ptr, &tok);
	if (why) {
		if (warnings && !strcmp(why, "token"))
			ed_strvec_pushf(warnings,
					"%s:%u: %s: token %%%c is not supported; line ignored",
					name, lineno, key_names[k],
					tok ? tok : ' ');
		else if (warnings)
			ed_strvec_pushf(warnings, "%s:%u: %s: %s; line ignored",
					name, lineno, key_names[k], why);
		goto out;
	}
	if (!b->val[k]) {
		b->val[k] = ed_xstrdup(arg.ptr);
		b->line[k] = lineno;
	}
out:
	ed_buf_release(&arg);
	ed_buf_release(&kw);
	return rc;
}

int ssh_config_parse(struct ssh_config **out, const char *buf, size_t len,
		     const char *name, struct ed_strvec *warnings,
		     struct ed_err *err)
{
	struct ssh_config *cfg = ed_xcalloc(1, sizeof(*cfg));
	struct ed_buf line = ED_BUF_INIT;
	size_t i = 0;
	unsigned lineno = 0;
	int rc = 0;

	*out = NULL;
	ed_strvec_init(&cfg->expanded);
	add_block(cfg); /* the lines before the first Host apply to all */
	while (i < len) {
		size_t j = i;

		while (j < len && buf[j] != '\n')
			j++;
		lineno++;
		ed_buf_reset(&line);
		ed_buf_add(&line, buf + i, j - i);
		while (line.len && (line.ptr[line.len - 1] == '\r' ||
				    line.ptr[line.len - 1] == ' ' ||
				    line.ptr[line.len - 1] == '\t'))
			ed_buf_setlen(&line, line.len - 1);
		if (memchr(line.ptr, '\0', line.len)) {
			rc = ed_err_set(err, ED_EPARSE, "%s:%u: NUL byte", name,
					lineno);
			goto out;
		}
		rc = parse_line(cfg, line.ptr, name, lineno, warnings, err);
		if (rc < 0)
			goto out;
		i = j + 1;
	}
	*out = cfg;
	cfg = NULL;
out:
	ed_buf_release(&line);
	ssh_config_free(cfg);
	return rc;
}

int ssh_config_load(struct ssh_config **out, const char *path,
		    struct ed_strvec *warnings, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	int rc;

	*out = NULL;
	rc = ed_buf_read_file(&b, path, 4 << 20, err);
	if (rc == ED_EPARTIAL)
		rc = ed_err_set(err, ED_EIO, "%s: larger than 4 MiB", path);
	if (rc == 0)
		rc = ssh_config_parse(out, b.ptr, b.len, path, warnings, err);
	ed_buf_release(&b);
	return rc;
}

static int block_matches(const struct cfg_block *b, const char *name)
{
	size_t i;
	int got = 0;

	if (b->never)
		return 0;
	if (!b->patterns.nr)
		return 1;
	for (i = 0; i < b->patterns.nr; i++) {
		const char *pat = b->patterns.v[i];
		int neg = pat[0] == '!';

		if (neg)
			pat++;
		if (ssh_pattern_match(name, pat, strlen(pat))) {
			if (neg)
				return 0;
			got = 1;
		}
	}
	return got;
}

static void local_identity(const char **user, const char **home)
{
	struct passwd *pw = getpwuid(getuid());

	*user = pw && pw->pw_name ? pw->pw_name : "";
	*home = pw && pw->pw_dir ? pw->pw_dir : "";
	if (getenv("HOME") && !pw)
		*home = getenv("HOME");
}

static char *expand(const char *v, const struct ssh_config_host *h,
		    const char *name)
{
	struct ed_buf b = ED_BUF_INIT;
	const char *user, *home;
	char host[256]; /* HOST_NAME_MAX is 64 on Linux */
	const char *p = v;

	local_identity(&user, &home);
	if (p[0] == '~' && (!p[1] || p[1] == '/')) {
		ed_buf_adds(&b, home);
		p++;
	}
	for (; *p; p++) {
		if (*p != '%' || !p[1]) {
			ed_buf_addch(&b, *p);
			continue;
		}
		p++;
		switch (*p) {
		case 'd':
			ed_buf_adds(&b, home);
			break;
		case 'h':
			ed_buf_adds(&b, h->hostname ? h->hostname : name);
			break;
		case 'l':
			if (gethostname(host, sizeof(host)) == 0) {
				host[sizeof(host) - 1] = '\0';
				ed_buf_add(&b, host, strcspn(host, "."));
			}
			break;
		case 'n':
			ed_buf_adds(&b, name);
			break;
		case 'p':
			ed_buf_addf(&b, "%u", h->port ? h->port : 22);
			break;
		case 'r':
			ed_buf_adds(&b, h->user ? h->user : user);
			break;
		case 'u':
			ed_buf_adds(&b, user);
			break;
		default: /* '%', and nothing else passes value_problem */
			ed_buf_addch(&b, *p);
			break;
		}
	}
	return ed_buf_detach(&b, NULL);
}

/* v itself when it has nothing to expand, else a copy kept in cfg. */
static const char *expanded(struct ssh_config *cfg, const char *v,
			    const struct ssh_config_host *h, const char *name)
{
	if (!strchr(v, '%') && v[0] != '~')
		return v;
	ed_strvec_take(&cfg->expanded, expand(v, h, name));
	return cfg->expanded.v[cfg->expanded.nr - 1];
}

void ssh_config_lookup(struct ssh_config *cfg, const char *name,
		       struct ssh_config_host *out)
{
	const char *val[K_NR] = { NULL };
	unsigned line[K_NR] = { 0 };
	struct ed_buf lname = ED_BUF_INIT;
	size_t i;
	int k;

	memset(out, 0, sizeof(*out));
	if (!cfg)
		return;
	for (i = 0; name[i]; i++)
		ed_buf_addch(&lname, (char)lower(name[i]));
	for (i = 0; i < cfg->nr; i++) {
		if (!block_matches(&cfg->blocks[i], lname.ptr))
			continue;
		for (k = 0; k < K_NR; k++)
			if (!val[k]) {
				val[k] = cfg->blocks[i].val[k];
				line[k] = cfg->blocks[i].line[k];
			}
	}
	out->user = val[K_USER];
	out->hostname_line = line[K_HOSTNAME];
	out->user_line = line[K_USER];
	out->port_line = line[K_PORT];
	out->identity_file_line = line[K_IDENTITY];
	out->proxy_jump_line = line[K_PROXYJUMP];
	if (val[K_PORT] && parse_port(val[K_PORT], &out->port) < 0)
		out->port = 0; /* cannot happen: checked while parsing */
	/* ssh(1) lowercases the name first, so %h and %n are lower case */
	if (val[K_HOSTNAME])
		out->hostname = expanded(cfg, val[K_HOSTNAME], out, lname.ptr);
	if (val[K_IDENTITY])
		out->identity_file =
			expanded(cfg, val[K_IDENTITY], out, lname.ptr);
	if (val[K_PROXYJUMP] && strcasecmp(val[K_PROXYJUMP], "none"))
		out->proxy_jump = val[K_PROXYJUMP];
	ed_buf_release(&lname);
}

const char *ssh_config_foreign(const struct ssh_config *cfg)
{
	return cfg ? cfg->foreign : NULL;
}

void ssh_config_free(struct ssh_config *cfg)
{
	size_t i;
	int k;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nr; i++) {
		ed_strvec_release(&cfg->blocks[i].patterns);
		for (k = 0; k < K_NR; k++)
			free(cfg->blocks[i].val[k]);
	}
	free(cfg->blocks);
	free(cfg->foreign);
	ed_strvec_release(&cfg->expanded);
	free(cfg);
}
