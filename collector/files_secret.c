/*
 * Secrets in the files collector: whole secret files are recognised by PEM
 * armour, secret values by the configured EREs, whose values are replaced
 * by HMAC tokens line by line. A cheap, provably equivalent byte prefilter
 * keeps regexec off most lines of /etc.
 */
#include "collector/files.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hmac.h"

struct re_group {
	size_t parent;
	int optional; /* holds a '|', or is followed by '*', '?' or '{' */
};

static int re_quantified(char next)
{
	return next == '*' || next == '?' || next == '{';
}

/*
 * The secret_values prefilter. Find a bracket expression of plain
 * punctuation ("[:=]" in the default patterns) that every match must use:
 * not quantified by '*', '?' or '{', and inside no group that holds a '|'
 * or is so quantified (nor a '|' at the top level). A line with none of its
 * bytes cannot match, so skipping regexec there changes no result; REG_ICASE
 * does not touch punctuation. out is "" when no such expression is found.
 */
void files_required_bytes(char out[FILES_REQ_MAX + 1], const char *pat)
{
	struct re_group *g = NULL;
	size_t ng = 1, alloc = 0, cur = 0, i = 0, j;
	size_t cand_group = 0;
	int have = 0;

	out[0] = '\0';
	ED_ALLOC_GROW(g, ng, alloc);
	g[0].parent = 0;
	g[0].optional = 0;
	while (pat[i]) {
		if (pat[i] == '\\') {
			i += pat[i + 1] ? 2 : 1;
		} else if (pat[i] == '(') {
			ED_ALLOC_GROW(g, ng + 1, alloc);
			g[ng].parent = cur;
			g[ng].optional = 0;
			cur = ng++;
			i++;
		} else if (pat[i] == ')') {
			if (cur == 0)
				goto none; /* unbalanced: no prefilter */
			if (re_quantified(pat[i + 1]))
				g[cur].optional = 1;
			cur = g[cur].parent;
			i++;
		} else if (pat[i] == '|') {
			g[cur].optional = 1;
			i++;
		} else if (pat[i] == '[') {
			char set[FILES_REQ_MAX + 1];
			size_t n = 0;
			int plain = 1;

			j = i + 1;
			if (pat[j] == '^') {
				plain = 0;
				j++;
			}
			if (pat[j] == ']')
				set[n++] = pat[j++];
			while (pat[j] && pat[j] != ']') {
				if (pat[j] == '[' && pat[j + 1] &&
				    strchr(":.=", pat[j + 1])) {
					const char *e =
					        strchr(pat + j + 2, ']');

					if (!e)
						goto none;
					plain = 0;
					j = (size_t)(e - pat) + 1;
					continue;
				}
				if (pat[j + 1] == '-' && pat[j + 2] &&
				    pat[j + 2] != ']')
					plain = 0;
				if (n < FILES_REQ_MAX &&
				    strchr("!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~",
				           pat[j]))
					set[n++] = pat[j];
				else
					plain = 0;
				j++;
			}
			if (!pat[j])
				goto none;
			if (!have && plain && n && !re_quantified(pat[j + 1])) {
				memcpy(out, set, n);
				out[n] = '\0';
				cand_group = cur;
				have = 1;
			}
			i = j + 1;
		} else {
			i++;
		}
	}
	if (cur != 0 || !have)
		goto none;
	for (j = cand_group;; j = g[j].parent) {
		if (g[j].optional)
			goto none;
		if (j == 0)
			break;
	}
	goto out;
none:
	out[0] = '\0';
out:
	free(g);
}

static int line_has_any(const char *line, size_t len, const char *set)
{
	for (; *set; set++)
		if (memchr(line, *set, len))
			return 1;
	return 0;
}

int files_secrets_compile(struct files_secrets *s, const struct ed_strvec *pats,
                          struct ed_err *err)
{
	size_t i;

	s->nr = 0;
	s->res = ed_xcalloc(pats->nr ? pats->nr : 1, sizeof(*s->res));
	s->req = ed_xcalloc(pats->nr ? pats->nr : 1, sizeof(*s->req));
	for (i = 0; i < pats->nr; i++) {
		/* regerror text is a one-line diagnostic; truncation is fine */
		char msg[256];
		int rc = regcomp(&s->res[i], pats->v[i],
		                 REG_EXTENDED | REG_ICASE);

		if (rc) {
			regerror(rc, &s->res[i], msg, sizeof(msg));
			return ed_err_set(err, ED_EPARSE,
			                  "secret_values: \"%s\": %s",
			                  pats->v[i], msg);
		}
		s->nr++;
		files_required_bytes(s->req[i], pats->v[i]);
		if (s->res[i].re_nsub < 1)
			return ed_err_set(
			        err, ED_EPARSE,
			        "secret_values: \"%s\": needs a group around the part kept verbatim",
			        pats->v[i]);
	}
	return 0;
}

void files_secrets_release(struct files_secrets *s)
{
	size_t i;

	for (i = 0; i < s->nr; i++)
		regfree(&s->res[i]);
	free(s->res);
	free(s->req);
	s->res = NULL;
	s->req = NULL;
	s->nr = 0;
}

static const char *find_bytes(const char *hay, size_t n, const char *needle,
                              size_t m)
{
	const char *end = hay + n;

	while (m && (size_t)(end - hay) >= m) {
		const char *p =
		        memchr(hay, needle[0], (size_t)(end - hay) - m + 1);

		if (!p)
			return NULL;
		if (!memcmp(p, needle, m))
			return p;
		hay = p + 1;
	}
	return NULL;
}

/* PEM and PGP armour: "-----BEGIN ... PRIVATE KEY..." on one line. */
int files_has_private_key(const char *buf, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	static const char key[] = "PRIVATE KEY";
	const char *p = buf, *end = buf + len;

	for (;;) {
		const char *q = find_bytes(p, (size_t)(end - p), begin,
		                           sizeof(begin) - 1);
		const char *eol;

		if (!q)
			return 0;
		q += sizeof(begin) - 1;
		eol = memchr(q, '\n', (size_t)(end - q));
		if (!eol)
			eol = end;
		if (find_bytes(q, (size_t)(eol - q), key, sizeof(key) - 1))
			return 1;
		p = q;
	}
}

int files_redact(struct ed_buf *out, int *found, const struct files_secrets *s,
                 struct ed_hmac *key, struct ed_buf *data, const char *qpath,
                 struct ed_err *err)
{
	char *buf = data->ptr;
	size_t len = data->len, pos = 0, flushed = 0;
	regmatch_t m[2];

	*found = 0;
	ed_buf_reset(out);
	while (pos < len) {
		char *nl = memchr(buf + pos, '\n', len - pos);
		size_t eol = nl ? (size_t)(nl - buf) : len;
		char saved = buf[eol]; /* '\n', or the buffer's own NUL */
		size_t i;

		/* regexec wants a string: end the line there for a moment */
		buf[eol] = '\0';
		for (i = 0; i < s->nr; i++) {
			size_t keep, vend = eol;

			if (s->req[i][0] &&
			    !line_has_any(buf + pos, eol - pos, s->req[i]))
				continue;
			if (regexec(&s->res[i], buf + pos, 2, m, 0))
				continue;
			keep = pos + (m[1].rm_so >= 0 ? (size_t)m[1].rm_eo : 0);
			if (vend > keep && buf[vend - 1] == '\r')
				vend--;
			if (vend <= keep)
				continue;
			if (!key) {
				buf[eol] = saved;
				return ed_err_set(
				        err, ED_EKEY,
				        "secret found in %s but no HMAC key loaded",
				        qpath);
			}
			ed_buf_add(out, buf + flushed, keep - flushed);
			ed_hmac_token(key, out, buf + keep, vend - keep);
			flushed = vend;
			*found = 1;
			break;
		}
		buf[eol] = saved;
		pos = eol + 1;
	}
	if (*found)
		ed_buf_add(out, buf + flushed, len - flushed);
	return 0;
}
