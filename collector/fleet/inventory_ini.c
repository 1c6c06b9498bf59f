/*
 * Ansible INI inventories, read as ansible-core 2.14's ini plugin reads
 * them and turned into the tree a YAML inventory gives, so one parser
 * (inventory_parse.c) builds the groups and one resolver decides
 * environments, roles and connections for both formats:
 *
 *   [web]                        web: {hosts: {web1: {ansible_port: 2222,
 *   web1:2222 ansible_user=ops         ansible_user: ops}}}
 *   [prod:children]              prod: {children: {web: }}
 *   [web:vars]                   web: {vars: {ntp: ntp1}}
 *
 * Host lines are split as Python's shlex.split(comments=True) splits
 * them; every value (host line or :vars) goes through ast.literal_eval,
 * keeping the text when that fails (inventory_pylit.c). Hosts before the
 * first section are in "all" (Ansible puts them in ungrouped, which the
 * resolver adds). A [g:vars] or [p:children] naming a group no section
 * declares is an error, as in Ansible.
 */
#include "collector/fleet/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"
#include "core/yaml.h"

/* A group named in the file: its node in the tree and what declared it. */
struct ini_group {
	char *name;
	struct ed_ynode *body; /* {hosts:, children:, vars:} */
	int declared;          /* a [g] or [g:children] section */
	size_t vars_line;      /* first [g:vars] before any declaration */
	size_t child_line;     /* first [p:children] naming it undeclared */
	char *child_parent;
};

struct ini {
	const char *name;
	struct ed_ynode *doc;
	struct ini_group *groups;
	size_t nr, alloc;
	size_t line;
	struct ed_err *err;
};

static struct ed_ynode *ynode(enum ed_ynode_type type, const char *str,
			      size_t len, size_t line, size_t col)
{
	struct ed_ynode *n = ed_xcalloc(1, sizeof(*n));

	n->type = type;
	n->line = line;
	n->col = col;
	n->plain = 1;
	if (str) {
		n->str = ed_xstrndup(str, len);
		n->len = len;
	}
	return n;
}

static void add_kid(struct ed_ynode *parent, struct ed_ynode *kid)
{
	ED_ALLOC_GROW(parent->kids, parent->nr + 1, parent->alloc);
	parent->kids[parent->nr++] = kid;
}

/* The value of key in map (a mapping we build), created as a mapping. */
static struct ed_ynode *submap(struct ed_ynode *map, const char *key, size_t line)
{
	size_t i;
	struct ed_ynode *v;

	for (i = 0; i + 1 < map->nr; i += 2)
		if (!strcmp(map->kids[i]->str, key))
			return map->kids[i + 1];
	add_kid(map, ynode(ED_YSCALAR, key, strlen(key), line, 1));
	v = ynode(ED_YMAP, NULL, 0, line, 1);
	add_kid(map, v);
	return v;
}

static struct ini_group *group(struct ini *in, const char *name)
{
	struct ini_group *g;
	size_t i;

	for (i = 0; i < in->nr; i++)
		if (!strcmp(in->groups[i].name, name))
			return &in->groups[i];
	ED_ALLOC_GROW(in->groups, in->nr + 1, in->alloc);
	g = &in->groups[in->nr++];
	memset(g, 0, sizeof(*g));
	g->name = ed_xstrdup(name);
	g->body = submap(in->doc, name, in->line);
	/* Ansible's inventory starts with these two */
	g->declared = !strcmp(name, "all") || !strcmp(name, "ungrouped");
	return g;
}

static int fail(struct ini *in, const char *what, const char *text)
{
	return ed_err_set(in->err, ED_EPARSE, "%s:%zu: %s%s%s%s", in->name,
			  in->line, what, text ? " '" : "", text ? text : "",
			  text ? "'" : "");
}

/*
 * Python's shlex.split(line, comments=True) in POSIX mode: quotes, the
 * backslash, and '#' starting a comment even inside a word.
 */
static int shlex_split(struct ed_strvec *out, const char *s, struct ini *in)
{
	struct ed_buf tok = ED_BUF_INIT;
	int in_tok = 0, rc = 0;

	for (;;) {
		char c = *s;

		if (!c || c == '#' || c == ' ' || c == '\t' || c == '\r' ||
		    c == '\n' || c == '\v' || c == '\f') {
			if (in_tok)
				ed_strvec_push(out, tok.ptr);
			ed_buf_reset(&tok);
			in_tok = 0;
			if (!c || c == '#')
				break;
			s++;
			continue;
		}
		in_tok = 1;
		if (c == '\\') {
			if (!s[1]) {
				rc = fail(in, "host line: no escaped character",
					  NULL);
				break;
			}
			ed_buf_addch(&tok, s[1]);
			s += 2;
		} else if (c == '\'' || c == '"') {
			const char *q = s + 1;

			while (*q && *q != c) {
				if (c == '"' && *q == '\\' &&
				    (q[1] == '"' || q[1] == '\\'))
					q++;
				ed_buf_addch(&tok, *q++);
			}
			if (!*q) {
				rc = fail(in, "host line: no closing quotation",
					  NULL);
				break;
			}
			s = q + 1;
		} else {
			ed_buf_addch(&tok, c);
			s++;
		}
	}
	ed_buf_release(&tok);
	return rc;
}

/* A value as Ansible's _parse_value keeps it: a literal, else the text. */
static struct ed_ynode *parse_value(const char *v, size_t line, size_t col)
{
	struct ed_ynode *n = inv_pyliteral(v, line, col);

	if (!n) {
		n = ynode(ED_YSCALAR, v, strlen(v), line, col);
		n->tag = ed_xstrdup(INV_TAG_PREFIX "str");
	}
	return n;
}

static void set_var(struct ed_ynode *map, const char *k, size_t klen,
		    struct ed_ynode *v, size_t line)
{
	add_kid(map, ynode(ED_YSCALAR, k, klen, line, 1));
	add_kid(map, v);
}

/* "name[:port]" of a host line; ranges ([1:3]) keep their colons. */
static int host_line(struct ini *in, const char *group_name, const char *line)
{
	struct ed_strvec tok = ED_STRVEC_INIT;
	struct ed_ynode *hosts, *vars;
	char *pat, *colon = NULL, *p;
	int depth = 0, rc;
	size_t i;

	rc = shlex_split(&tok, line, in);
	if (rc < 0 || !tok.nr)
		goto out;
	pat = tok.v[0];
	for (p = pat; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ':' && !depth)
			colon = colon ? colon : p;
	}
	vars = ynode(ED_YMAP, NULL, 0, in->line, 1);
	if (colon) {
		if (!colon[1] ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    strlen(colon + 1) > 5) {
			ed_ynode_free(vars);
			rc = fail(in,
				  "host pattern not supported (want NAME or NAME:PORT; IPv6 addresses go in ansible_host):",
				  pat);
			goto out;
		}
	}
	for (i = 1; i < tok.nr; i++) {
		char *eq = strchr(tok.v[i], '=');

		if (!eq) {
			ed_ynode_free(vars);
			rc = fail(in, "expected key=value host variable, got",
				  tok.v[i]);
			goto out;
		}
		set_var(vars, tok.v[i], (size_t)(eq - tok.v[i]),
			parse_value(eq + 1, in->line, 1), in->line);
	}
	hosts = submap(group(in, group_name)->body, "hosts", in->line);
	add_kid(hosts, ynode(ED_YSCALAR, pat, strlen(pat), in->line, 1));
	if (vars->nr) {
		add_kid(hosts, vars);
	} else {
		ed_ynode_free(vars);
		add_kid(hosts, ynode(ED_YSCALAR, "", 0, in->line, 1));
	}
out:
	ed_strvec_release(&tok);
	return rc;
}

static int vars_line(struct ini *in, const char *group_name, const char *line)
{
	const char *eq = strchr(line, '=');
	const char *kend, *v;
	struct ed_ynode *vars;

	if (!eq)
		return fail(in, "expected key=value, got", line);
	for (kend = eq; kend > line && (kend[-1] == ' ' || kend[-1] == '\t');)
		kend--;
	for (v = eq + 1; *v == ' ' || *v == '\t';)
		v++;
	vars = submap(group(in, group_name)->body, "vars", in->line);
	set_var(vars, line, (size_t)(kend - line), parse_value(v, in->line, 1),
		in->line);
	return 0;
}

/* "[^:\]\s]+" then blanks, then an optional "#" comment */
static size_t group_name_len(const char *s)
{
	return strcspn(s, ":] \t\r\n\v\f");
}

static int rest_is_comment(const char *s)
{
	s += strspn(s, " \t\r\n\v\f");
	return !*s || *s == '#';
}

static int children_line(struct ini *in, const char *parent, const char *line)
{
	size_t n = group_name_len(line);
	char *child;
	struct ini_group *g;
	struct ed_ynode *kids;

	if (!n || !rest_is_comment(line + n))
		return fail(in, "expected a group name, got", line);
	child = ed_xstrndup(line, n);
	g = group(in, child);
	if (!g->declared && !g->child_line) {
		g->child_line = in->line;
		g->child_parent = ed_xstrdup(parent);
	}
	kids = submap(group(in, parent)->body, "children", in->line);
	add_kid(kids, ynode(ED_YSCALAR, child, n, in->line, 1));
	add_kid(kids, ynode(ED_YSCALAR, "", 0, in->line, 1));
	free(child);
	return 0;
}

/* Strip line (Python's str.strip) into a NUL-terminated copy in b. */
static void strip(struct ed_buf *b, const char *s, size_t len)
{
	while (len && strchr(" \t\r\n\v\f", *s)) {
		s++;
		len--;
	}
	while (len && strchr(" \t\r\n\v\f", s[len - 1]))
		len--;
	ed_buf_reset(b);
	ed_buf_add(b, s, len);
}

/* "[name]" or "[name:type]" then an optional comment: 1, else 0. */
static int section(const char *s, char **name, char **type)
{
	size_t n, t = 0;

	if (*s++ != '[')
		return 0;
	n = group_name_len(s);
	if (!n)
		return 0;
	if (s[n] == ':') {
		while (s[n + 1 + t] && (s[n + 1 + t] == '_' ||
					strchr("abcdefghijklmnopqrstuvwxyz"
					       "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789",
					       s[n + 1 + t])))
			t++;
		if (!t)
			return 0;
	}
	if (s[n + (t ? 1 + t : 0)] != ']' ||
	    !rest_is_comment(s + n + (t ? 1 + t : 0) + 1))
		return 0;
	*name = ed_xstrndup(s, n);
	*type = t ? ed_xstrndup(s + n + 1, t) : ed_xstrdup("hosts");
	return 1;
}

static int parse_lines(struct ini *in, const char *buf, size_t len)
{
	struct ed_buf line = ED_BUF_INIT;
	char *gname = ed_xstrdup("all"), *state = ed_xstrdup("hosts");
	const char *p = buf, *end = buf + len;
	int rc = 0;

	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *name = NULL, *type = NULL;

		in->line++;
		strip(&line, p, n);
		p += n + 1;
		if (!line.len || line.ptr[0] == '#' || line.ptr[0] == ';')
			continue;
		if (strlen(line.ptr) != line.len) {
			rc = fail(in, "NUL byte in line", NULL);
		} else if (section(line.ptr, &name, &type)) {
			struct ini_group *g;

			if (strcmp(type, "hosts") && strcmp(type, "children") &&
			    strcmp(type, "vars")) {
				ed_buf_addf(&line, " (section type '%s')", type);
				rc = fail(in,
					  "unknown section type (want hosts, children or vars):",
					  line.ptr);
			}
			g = group(in, name);
			if (!g->declared && strcmp(type, "vars"))
				g->declared = 1;
			else if (!g->declared && !g->vars_line)
				g->vars_line = in->line;
			free(gname);
			free(state);
			gname = name;
			state = type;
		} else if (line.ptr[0] == '[' && line.ptr[line.len - 1] == ']') {
			rc = fail(in,
				  "invalid section header (no spaces allowed):",
				  line.ptr);
		} else if (!strcmp(state, "hosts")) {
			rc = host_line(in, gname, line.ptr);
		} else if (!strcmp(state, "vars")) {
			rc = vars_line(in, gname, line.ptr);
		} else {
			rc = children_line(in, gname, line.ptr);
		}
	}
	free(gname);
	free(state);
	ed_buf_release(&line);
	return rc;
}

int inv_ini_load(struct ed_ynode **out, const char *buf, size_t len,
		 const char *name, struct ed_err *err)
{
	struct ini in;
	size_t i;
	int rc;

	*out = NULL;
	memset(&in, 0, sizeof(in));
	in.name = name;
	in.err = err;
	in.doc = ynode(ED_YMAP, NULL, 0, 1, 1);
	rc = parse_lines(&in, buf, len);
	for (i = 0; !rc && i < in.nr; i++) {
		const struct ini_group *g = &in.groups[i];

		if (g->declared)
			continue;
		in.line = g->child_line ? g->child_line : g->vars_line;
		rc = g->child_line ?
			     ed_err_set(err, ED_EPARSE,
					"%s:%zu: section [%s:children] names group '%s', which no section declares",
					name, in.line, g->child_parent, g->name) :
			     ed_err_set(err, ED_EPARSE,
					"%s:%zu: section [%s:vars] is for a group no section declares",
					name, in.line, g->name);
	}
	for (i = 0; i < in.nr; i++) {
		free(in.groups[i].name);
		free(in.groups[i].child_parent);
	}
	free(in.groups);
	if (rc < 0)
		ed_ynode_free(in.doc);
	else
		*out = in.doc;
	return rc;
}

int inv_ini_detect(const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *s = p, *e = p + n;

		p += n + 1;
		while (s < e && strchr(" \t\r", *s))
			s++;
		while (e > s && strchr(" \t\r", e[-1]))
			e--;
		if (s == e || *s == '#' || *s == ';')
			continue;
		if (*s == '[') /* a section header, or a YAML flow sequence */
			return e[-1] == ']' && !memchr(s, ' ', (size_t)(e - s));
		if (*s == '{' || *s == '%' || *s == '"' || *s == '\'' ||
		    (e - s >= 3 && !strncmp(s, "---", 3)))
			return 0; /* flow mapping (JSON), directive, document, quoted key */
		/*
		 * A YAML mapping's first key ends its first word ("all:",
		 * "prod: {...}"); an INI host line's first word is a host
		 * pattern, perhaps with ":port", never ending in ':'.
		 */
		for (n = 0; s + n < e && s[n] != ' ' && s[n] != '\t';)
			n++;
		return s[n - 1] != ':';
	}
	return 0;
}
