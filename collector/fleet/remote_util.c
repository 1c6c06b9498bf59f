/*
 * Leaves the request, its decoder and the session share
 * (collector/fleet/remote_int.h): number parsers and the inputs a
 * session's cache keeps.
 */
#include "collector/fleet/remote_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collector.h"
#include "core/alloc.h"

int remote_parse_ull(const char **s, const char *end, int base,
		     unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = *s;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d >= (unsigned)base || v > (~0ULL - d) / (unsigned)base)
			return -1;
		v = v * (unsigned)base + d;
	}
	*s = p;
	*out = v;
	return 0;
}

int remote_parse_field(const char **s, const char *end, unsigned long long *out)
{
	const char *p = *s;

	if (remote_parse_ull(&p, end, 10, out) || p >= end ||
	    (*p != ' ' && *p != '\n'))
		return -1;
	*s = p + 1;
	return 0;
}

/* "SEC[.NSEC]" at *s (nanoseconds: up to 9 digits kept) */
int remote_parse_time(const char **s, const char *e, struct timespec *ts)
{
	unsigned long long sec, nsec = 0;
	unsigned digits = 0;

	if (remote_parse_ull(s, e, 10, &sec) || sec > (unsigned long long)INT64_MAX)
		return -1;
	if (*s < e && **s == '.') {
		const char *f = ++*s;

		for (; *s < e && **s >= '0' && **s <= '9'; ++*s)
			if (digits++ < 9)
				nsec = nsec * 10 + (unsigned)(**s - '0');
		if (*s == f)
			return -1;
	}
	for (; digits < 9; digits++)
		nsec *= 10;
	ts->tv_sec = (time_t)sec;
	ts->tv_nsec = (long)nsec;
	return 0;
}

void remote_input_release(struct remote_input *in)
{
	free(in->path);
	free(in->data);
}

void remote_input_push(struct remote_input **v, size_t *nr, size_t *alloc,
		       const char *path, const struct stat *st, int filtered,
		       const char *data, size_t len)
{
	struct remote_input *in;

	ED_ALLOC_GROW(*v, *nr + 1, *alloc);
	in = &(*v)[(*nr)++];
	memset(in, 0, sizeof(*in));
	in->path = ed_xstrdup(path);
	in->st = *st;
	in->filtered = filtered;
	in->data = ed_xmemdup(data ? data : "", len);
	in->len = len;
}

void remote_input_keep(struct remote_plan *p, const char *path,
		       const struct stat *st, int filtered, const char *data,
		       size_t len)
{
	/* changed within a second of the host's clock: the bytes decide */
	if (collect_stat_racy(st, p->clock))
		return;
	remote_input_push(&p->got, &p->got_nr, &p->got_alloc, path, st,
			  filtered, data, len);
}

/* 1 if path lies below a tree some collector other than the walk reads. */
static int under_read_tree(const struct collect_needs *n, const char *path)
{
	size_t i, j;

	for (i = 0; i < n->trees.nr; i++) {
		size_t in_trees = 0, in_walked = 0;

		if (!remote_is_under(path, n->trees.v[i]))
			continue;
		/* the walk's own: as many times in walked as in trees */
		for (j = 0; j < n->trees.nr; j++)
			in_trees += !strcmp(n->trees.v[j], n->trees.v[i]);
		for (j = 0; j < n->walked.nr; j++)
			in_walked += !strcmp(n->walked.v[j], n->trees.v[i]);
		if (in_trees > in_walked)
			return 1;
	}
	return 0;
}

int remote_read_whole(const struct collect_needs *n, const char *path)
{
	return ed_strvec_contains(&n->paths, path) || under_read_tree(n, path);
}

int remote_is_keyed(const struct collect_needs *n, const char *path)
{
	size_t i, j;

	/* a tree a collector reads holds it: that collector's, then */
	for (i = 0; i < n->trees.nr; i++)
		if (remote_is_under(path, n->trees.v[i]))
			return 0;
	for (i = 0; i < n->cmds_nr; i++)
		for (j = 0; j < n->cmds[i].keyed_by.nr; j++)
			if (remote_is_under(path, n->cmds[i].keyed_by.v[j]))
				return 1;
	return 0;
}
