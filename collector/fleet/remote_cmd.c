/*
 * Keyed commands of a fleet scan (collect_cmd.keyed_by: rpm -qa): their
 * output is decided by the files of a few directories, so a host runs
 * them only when the stat key of one of those files, of the program or
 * of a condition changed. The key, and the host cache's record of a
 * result (remote_session.c keeps them).
 */
#include "collector/fleet/remote.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "collector/collector.h"
#include "collector/fleet/remote_int.h"
#include "collector/vfs.h"
#include "core/alloc.h"
#include "core/hmac.h"

static int decides(const struct collect_needs_cmd *c, const char *path)
{
	size_t i;

	for (i = 0; i < c->keyed_by.nr; i++)
		if (remote_is_under(path, c->keyed_by.v[i]))
			return 1;
	return ed_strvec_contains(&c->paths, path) ||
	       ed_strvec_contains(&c->when, path);
}

static void add_list(struct ed_buf *b, const char *what, const struct ed_strvec *v)
{
	size_t i;

	ed_buf_addf(b, "%s %zu\n", what, v->nr);
	for (i = 0; i < v->nr; i++) {
		ed_buf_adds(b, v->v[i]);
		ed_buf_addch(b, '\0');
	}
}

void remote_cmd_key(const struct collect_needs_cmd *c, size_t index,
		    const struct remote_entry *v, size_t nr, long long clock,
		    char key[65])
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;

	key[0] = '\0';
	ed_buf_addf(&b, "envdrift-cmd 1\nindex %zu %u %d\n", index,
		    c->host_timeout_s, (int)c->if_exists);
	add_list(&b, "paths", &c->paths);
	add_list(&b, "when", &c->when);
	add_list(&b, "env", &c->env);
	add_list(&b, "args", &c->args);
	add_list(&b, "keyed_by", &c->keyed_by);
	for (i = 0; i < nr; i++) {
		const struct stat *st = &v[i].st;

		if (!decides(c, v[i].path))
			continue;
		/* changed within a second of the host's clock: run it */
		if (collect_stat_racy(st, clock))
			goto out;
		ed_buf_adds(&b, v[i].path);
		ed_buf_addch(&b, '\0');
		collect_stat_key_add(&b, st);
		ed_buf_addf(&b, " %d\n", v[i].readable);
	}
	ed_sha256_hex(key, b.ptr, b.len);
out:
	ed_buf_release(&b);
}

void remote_cmd_put(struct ed_buf *out, const struct remote_cmd_out *c)
{
	ed_buf_addf(out, "cmd %s %llu %zu %zu\n", c->key, c->rc, c->len,
		    strlen(c->prog));
	ed_buf_adds(out, c->prog);
	ed_buf_add(out, c->data, c->len);
	ed_buf_addch(out, '\n');
}

int remote_cmd_load(const char **p, const char *end, struct remote_cmd_out *out)
{
	const char *q = *p;
	unsigned long long rc, len, plen;
	size_t i;

	if (end - q < 4 + 65 || memcmp(q, "cmd ", 4))
		return -1;
	q += 4;
	for (i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", q[i]) || !q[i])
			return -1;
	if (q[64] != ' ')
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(out->key, q, 64);
	q += 65;
	if (remote_parse_field(&q, end, &rc) < 0 ||
	    remote_parse_field(&q, end, &len) < 0 ||
	    remote_parse_field(&q, end, &plen) < 0 || !plen ||
	    plen > (size_t)(end - q) || len > (size_t)(end - q) - plen ||
	    (size_t)(end - q) - plen - len < 1 || q[plen + len] != '\n')
		return -1;
	out->prog = ed_xstrndup(q, (size_t)plen);
	out->data = ed_xmemdup(q + plen, (size_t)len);
	out->len = (size_t)len;
	out->rc = rc;
	out->have = 1;
	*p = q + plen + len + 1;
	return 0;
}

void remote_cmd_out_set(struct remote_cmd_out *c, const char *prog,
			unsigned long long rc, const char *data, size_t len)
{
	free(c->prog);
	free(c->data);
	c->prog = ed_xstrdup(prog);
	c->data = ed_xmemdup(data ? data : "", len);
	c->len = len;
	c->rc = rc;
	c->have = 1;
}

void remote_cmd_out_release(struct remote_cmd_out *c)
{
	free(c->prog);
	free(c->data);
	c->prog = c->data = NULL;
	c->have = 0;
}

/* Set what a collector's vfs_run of command c gets: prog's output. */
static void set_output(struct vfs *fs, const struct collect_needs_cmd *c,
		       const char *prog, unsigned long long rc,
		       const char *data, size_t len)
{
	char **argv;
	size_t j;

	if (!strcmp(prog, "-"))
		return; /* not run on the host: as a missing program */
	argv = ed_xcalloc(c->args.nr + 2, sizeof(*argv));
	/* execve's type; nothing writes through it */
	argv[0] = (char *)(uintptr_t)prog;
	for (j = 0; j < c->args.nr; j++)
		argv[j + 1] = c->args.v[j];
	/* as a wait status: the shell reports 128+N for signal N */
	vfs_mem_set_output(fs, argv, data, len,
			   rc > 128 && rc < 160 ? (int)(rc - 128) :
						  (int)((rc & 0xff) << 8));
	free(argv);
}

/*
 * The commands every scan runs come first, in the request's order; the
 * keyed ones after them, as the host ran them once the second request
 * came.
 */
int remote_cmds_decode(const char **p, const char *end,
		       const struct collect_needs *n, struct remote_plan *plan,
		       struct vfs *fs, const char **what)
{
	const char *q = *p;
	size_t k, i;
	int rc = -1;

	for (k = 0; k < 2 * n->cmds_nr; k++) {
		const struct collect_needs_cmd *c;
		unsigned long long idx, status, len;
		const char *nl, *s;
		char *prog;

		i = k % n->cmds_nr;
		c = &n->cmds[i];
		if (!c->keyed_by.nr != (k < n->cmds_nr))
			continue;
		if (plan && plan->run && plan->run[i] == '0') {
			if (!plan->cmds[i].have)
				ED_BUG("a command planned from the cache without its result");
			set_output(fs, c, plan->cmds[i].prog, plan->cmds[i].rc,
				   plan->cmds[i].data, plan->cmds[i].len);
			continue;
		}
		*what = "a command's output is missing (truncated?)";
		if ((size_t)(end - q) < 5 || memcmp(q, "@cmd ", 5))
			goto out;
		*what = "malformed header";
		q += 5;
		nl = memchr(q, '\n', (size_t)(end - q));
		s = q;
		if (!nl || remote_parse_ull(&s, nl, 10, &idx) || idx != i ||
		    *s++ != ' ' || remote_parse_ull(&s, nl, 10, &status) ||
		    *s++ != ' ' || remote_parse_ull(&s, nl, 10, &len) ||
		    *s++ != ' ' || s >= nl || len > (size_t)(end - nl - 1))
			goto out;
		prog = ed_xstrndup(s, (size_t)(nl - s));
		q = nl + 1;
		if (strcmp(prog, "-") && !ed_strvec_contains(&c->paths, prog)) {
			free(prog);
			*what = "unexpected program";
			goto out;
		}
		set_output(fs, c, prog, status, q, (size_t)len);
		if (plan && c->keyed_by.nr && i < plan->cmds_nr)
			remote_cmd_out_set(&plan->cmds[i], prog, status, q,
					   (size_t)len);
		free(prog);
		q += len;
	}
	rc = 0;
out:
	*p = q;
	return rc;
}
