/*
 * The fleet scan's request to a host (collector/fleet/remote.h): the
 * constant command line that runs remote.sh, and the records on its
 * standard input, built from the union of the collectors' needs
 * (collect_needs) so that what a host sends is what the collectors read.
 */
#include "collector/fleet/remote.h"

#include <stdlib.h>
#include <string.h>

#include "collector/collector.h"
#include "collector/fleet/remote_int.h"
#include "core/alloc.h"
#include "core/embedded.h"

/* Append s single-quoted for sh. */
static void sh_quote(struct ed_buf *out, const char *s)
{
	ed_buf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			ed_buf_adds(out, "'\\''");
		else
			ed_buf_addch(out, *s);
	}
	ed_buf_addch(out, '\'');
}

/*
 * /bin/sh first, as a sudoers rule for envdrift may name it, running the
 * script, which reads its request from standard input (remote.sh says
 * how): one process before the script's own tools.
 */
void remote_command(struct ed_buf *out, int become)
{
	const struct ed_embedded *script = ed_embedded_find("remote.sh");

	if (!script)
		ED_BUG("remote.sh is not compiled in");
	ed_buf_reset(out);
	/* exec: the login shell gives way to it (a fork less) */
	if (become)
		ed_buf_adds(out, "exec sudo -n /bin/sh -c ");
	else
		ed_buf_adds(out, "exec /bin/sh -c ");
	sh_quote(out, script->data);
	ed_buf_adds(out, " envdrift");
}

int remote_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!n || (n == 1 && dir[0] == '/'))
		return 1;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

int remote_is_proc(const char *path)
{
	return remote_is_under(path, "/proc") || remote_is_under(path, "/sys");
}

int remote_is_filtered(const struct collect_needs *n, const char *path)
{
	size_t i;

	for (i = 0; i < n->filters_nr; i++)
		if (!strcmp(path, n->filters[i].path))
			return 1;
	return 0;
}

/* Drop the entries of v below an entry of roots (or equal, with self). */
static void drop_under(struct ed_strvec *v, const struct ed_strvec *roots, int self)
{
	size_t i, j, k = 0;

	for (i = 0; i < v->nr; i++) {
		int under = 0;

		for (j = 0; j < roots->nr && !under; j++)
			under = remote_is_under(v->v[i], roots->v[j]) &&
				(self || strcmp(v->v[i], roots->v[j]));
		if (under)
			free(v->v[i]);
		else
			v->v[k++] = v->v[i];
	}
	v->nr = k;
}

/* Drop the entries of a sorted v below another entry of v. */
static void drop_self_nested(struct ed_strvec *v)
{
	size_t i, k = 0;

	for (i = 0; i < v->nr; i++) {
		size_t j;
		int nested = 0;

		for (j = 0; j < k && !nested; j++)
			nested = remote_is_under(v->v[i], v->v[j]);
		if (nested)
			free(v->v[i]);
		else
			v->v[k++] = v->v[i];
	}
	v->nr = k;
}

static void push_all(struct ed_strvec *out, const struct ed_strvec *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++)
		ed_strvec_push(out, v->v[i]);
}

/* out may be v: the ancestors pushed are not visited again */
static void push_ancestors(struct ed_strvec *out, const struct ed_strvec *v)
{
	size_t i, nr = v->nr;

	for (i = 0; i < nr; i++) {
		const char *path = v->v[i], *p = path;

		while ((p = strchr(p + 1, '/')))
			ed_strvec_take(out, ed_xstrndup(path, (size_t)(p - path)));
	}
}

/*
 * What to list: the walked trees, each once; the keyed commands'
 * directories (keyed, listed whole but never sent: remote_cmd.c); and the
 * single paths with their ancestors (commands' programs and conditions,
 * and the roots of the value trees, included), less those a tree lists or
 * a value tree holds.
 */
static void plan_paths(struct ed_strvec *singles, struct ed_strvec *trees,
		       struct ed_strvec *keyed, const struct collect_needs *n)
{
	size_t i;

	push_all(trees, &n->trees);
	ed_strvec_sort_unique(trees);
	drop_self_nested(trees);
	for (i = 0; i < n->cmds_nr; i++)
		push_all(keyed, &n->cmds[i].keyed_by);
	ed_strvec_sort_unique(keyed);
	drop_self_nested(keyed);
	drop_under(keyed, trees, 1);
	push_all(singles, &n->paths);
	for (i = 0; i < n->cmds_nr; i++) {
		push_all(singles, &n->cmds[i].paths);
		push_all(singles, &n->cmds[i].when);
	}
	push_all(singles, &n->values);
	push_ancestors(singles, singles);
	push_ancestors(singles, trees);
	push_ancestors(singles, keyed);
	ed_strvec_sort_unique(singles);
	drop_under(singles, trees, 1);
	drop_under(singles, keyed, 1);
	drop_under(singles, &n->values, 0);
}

/* The records, counted: remote.sh checks the count. */
struct records {
	struct ed_buf buf;
	size_t nr;
};

static void rec(struct records *r, const char *s)
{
	ed_buf_adds(&r->buf, s);
	ed_buf_addch(&r->buf, '\0');
	r->nr++;
}

static void rec_num(struct records *r, size_t n)
{
	ed_buf_addf(&r->buf, "%zu", n);
	ed_buf_addch(&r->buf, '\0');
	r->nr++;
}

enum pick { ALL, PROC, NOT_PROC, NOT_PROC_NOR_FILTERED };

static int picked(const struct collect_needs *n, const char *path, enum pick pick)
{
	int proc = remote_is_proc(path);

	switch (pick) {
	case ALL:
		return 1;
	case PROC:
		return proc;
	case NOT_PROC:
		return !proc;
	case NOT_PROC_NOR_FILTERED:
		return !proc && !remote_is_filtered(n, path);
	}
	return 0;
}

/* The count of v's picked entries, then those entries. */
static void rec_section(struct records *r, const struct collect_needs *n,
			const struct ed_strvec *v, const struct ed_strvec *more,
			enum pick pick)
{
	size_t i, count = 0;

	for (i = 0; i < v->nr; i++)
		count += (size_t)picked(n, v->v[i], pick);
	rec_num(r, count + (more ? more->nr : 0));
	for (i = 0; i < v->nr; i++)
		if (picked(n, v->v[i], pick))
			rec(r, v->v[i]);
	for (i = 0; more && i < more->nr; i++)
		rec(r, more->v[i]);
}

static void rec_list(struct records *r, const struct ed_strvec *v)
{
	size_t i;

	rec_num(r, v->nr);
	for (i = 0; i < v->nr; i++)
		rec(r, v->v[i]);
}

/* One command: its record count, then the records run_cmd reads. */
static void rec_cmd(struct records *r, const struct collect_needs_cmd *c,
		    size_t index)
{
	size_t i;

	rec_num(r, 3 + 3 + c->paths.nr + c->when.nr + c->env.nr + c->args.nr);
	rec_num(r, index);
	rec(r, c->if_exists ? "e" : "x");
	rec_num(r, c->host_timeout_s);
	rec_list(r, &c->paths);
	rec_list(r, &c->when);
	rec_list(r, &c->env);
	for (i = 0; i < c->args.nr; i++)
		rec(r, c->args.v[i]);
}

/* well below the 128 KiB one exec argument may hold, and quick to compile */
#define SINGLES_REGEX_MAX ((size_t)16 << 10)

/*
 * 1 when the single paths of v can go as EREs that match exactly them
 * (find -regex matches the whole path), which remote.sh's list joins to
 * prune them and unbrackets back into the paths: each special character
 * in brackets, never after a backslash, which would cost the script a
 * process to decode. Not when a path holds a character brackets cannot
 * say as remote.sh reads them ("^", "\\"), or they would make too long
 * an argument: the paths then go as they are.
 */
static int singles_as_regex(const struct ed_strvec *v)
{
	size_t i, total = 0;

	for (i = 0; i < v->nr; i++) {
		total += strlen(v->v[i]) + 1;
		if (strpbrk(v->v[i], "^\\") || total > SINGLES_REGEX_MAX)
			return 0;
	}
	return 1;
}

static void rec_singles(struct records *r, const struct ed_strvec *v, int rx)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;

	for (i = 0; i < v->nr; i++) {
		const char *p;

		ed_buf_reset(&b);
		for (p = v->v[i]; *p; p++) {
			if (rx && strchr(".[]()*+?{}|$", *p))
				ed_buf_addf(&b, "[%c]", *p);
			else
				ed_buf_addch(&b, *p);
		}
		rec(r, b.ptr);
	}
	ed_buf_release(&b);
}

/*
 * A request block: "TAG N", one record a line, "envdrift-request-end".
 * A record's bytes outside printable ASCII, and its backslashes, as
 * \0ooo, which the script's printf %b turns back.
 */
static void put_block(struct ed_buf *out, const char *tag, const struct records *r)
{
	size_t i;

	ed_buf_addf(out, "%s %zu\n", tag, r->nr);
	for (i = 0; i < r->buf.len; i++) {
		unsigned char c = (unsigned char)r->buf.ptr[i];

		if (!c)
			ed_buf_addch(out, '\n');
		else if (c < 0x20 || c >= 0x7f || c == '\\')
			ed_buf_addf(out, "\\0%03o", c);
		else
			ed_buf_addch(out, (char)c);
	}
	ed_buf_adds(out, "envdrift-request-end\n");
}

void remote_request_first(struct ed_buf *out, const struct collect_config *cfg)
{
	struct collect_needs n;
	struct ed_strvec trees = ED_STRVEC_INIT, singles = ED_STRVEC_INIT;
	struct ed_strvec keyed = ED_STRVEC_INIT;
	struct records r = { ED_BUF_INIT, 0 };
	size_t i, count = 0;
	int rx;

	memset(&n, 0, sizeof(n));
	collect_needs(&n, cfg);
	plan_paths(&singles, &trees, &keyed, &n);
	/*
	 * the listing: the count of paths, how they go ("rx": the single
	 * paths as EREs, remote.sh's list), the count of trees, the trees,
	 * the single paths
	 */
	rx = singles_as_regex(&singles);
	rec_num(&r, trees.nr + keyed.nr + singles.nr);
	rec(&r, rx ? "rx" : "-");
	rec_num(&r, trees.nr + keyed.nr);
	for (i = 0; i < trees.nr; i++)
		rec(&r, trees.v[i]);
	for (i = 0; i < keyed.nr; i++)
		rec(&r, keyed.v[i]);
	rec_singles(&r, &singles, rx);
	rec_section(&r, &n, &singles, NULL, PROC);
	rec_section(&r, &n, &trees, &n.values, PROC);
	/* the commands every scan runs; keyed ones wait for the second request */
	for (i = 0; i < n.cmds_nr; i++)
		count += !n.cmds[i].keyed_by.nr;
	rec_num(&r, count);
	for (i = 0; i < n.cmds_nr; i++)
		if (!n.cmds[i].keyed_by.nr)
			rec_cmd(&r, &n.cmds[i], i);
	ed_buf_reset(out);
	put_block(out, "envdrift-request-3", &r);
	ed_buf_release(&r.buf);
	ed_strvec_release(&trees);
	ed_strvec_release(&singles);
	ed_strvec_release(&keyed);
	collect_needs_release(&n);
}

void remote_request_more(struct ed_buf *out, const struct collect_needs *n,
			 const char *run, const char *sel, int full)
{
	struct records r = { ED_BUF_INIT, 0 };
	size_t i, count = 0;

	for (i = 0; i < n->cmds_nr; i++)
		count += n->cmds[i].keyed_by.nr && (!run || run[i] == '1');
	rec_num(&r, count);
	for (i = 0; i < n->cmds_nr; i++)
		if (n->cmds[i].keyed_by.nr && (!run || run[i] == '1'))
			rec_cmd(&r, &n->cmds[i], i);
	for (i = 0, count = 0; i < n->filters_nr; i++)
		count += !sel || sel[i] == '1';
	rec_num(&r, count);
	for (i = 0; i < n->filters_nr; i++) {
		if (sel && sel[i] != '1')
			continue;
		rec(&r, n->filters[i].path);
		rec(&r, n->filters[i].ere);
	}
	if (full) {
		struct ed_strvec trees = ED_STRVEC_INIT, singles = ED_STRVEC_INIT;
		struct ed_strvec keyed = ED_STRVEC_INIT;

		plan_paths(&singles, &trees, &keyed, n);
		rec_section(&r, n, &singles, NULL, NOT_PROC_NOR_FILTERED);
		rec_section(&r, n, &trees, NULL, NOT_PROC);
		ed_strvec_release(&trees);
		ed_strvec_release(&singles);
		ed_strvec_release(&keyed);
	}
	put_block(out, "envdrift-more", &r);
	ed_buf_release(&r.buf);
}

void remote_request_all(struct ed_buf *out, const struct collect_needs *n)
{
	ed_buf_adds(out, "a\n");
	remote_request_more(out, n, NULL, NULL, 1);
}

void remote_request_build(struct ed_buf *out, const struct collect_config *cfg)
{
	struct collect_needs n;

	memset(&n, 0, sizeof(n));
	collect_needs(&n, cfg);
	remote_request_first(out, cfg);
	remote_request_all(out, &n);
	collect_needs_release(&n);
}
