/*
 * Carry-over of kept entries: the paths a snapshot marks as kept (a
 * collector that could not read them this time) are copied from the
 * host's previous tree into its new one, so a partial read never shows
 * as "removed".
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"

void kept_release(struct kept_list *k)
{
	size_t i;

	for (i = 0; i < k->nr; i++)
		ed_strvec_release(&k->v[i].comps);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

/* 1 if the snapshot has path itself or anything below it. */
static int snapshot_covers(const struct snapshot *snap, const char *path)
{
	size_t len = strlen(path), j;

	for (j = 0; j < snap->nr; j++)
		if (!strncmp(snap->entries[j].path, path, len) &&
		    (snap->entries[j].path[len] == '\0' ||
		     snap->entries[j].path[len] == '/'))
			return 1;
	return 0;
}

/*
 * Collect from the old host tree the entries at the snapshot's keep paths
 * ("sysctl", "content/etc/ssl/private") that the snapshot itself lacks.
 */
int kept_carry_over(struct kept_list *out, struct mtree *oldhost,
		    git_repository *repo, const struct snapshot *snap,
		    struct ed_err *err)
{
	struct ed_buf name = ED_BUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; oldhost && i < snap->keep.nr && !rc; i++) {
		const char *p = snap->keep.v[i];
		struct ed_strvec comps = ED_STRVEC_INIT;
		struct mtree *t = oldhost;
		struct mentry *me = NULL;

		if (snapshot_covers(snap, p))
			continue;
		for (;;) {
			const char *slash = strchr(p, '/');
			size_t n = slash ? (size_t)(slash - p) : strlen(p);

			ed_buf_reset(&name);
			store_escape_name(&name, p, n);
			ed_strvec_push(&comps, name.ptr);
			if (!slash)
				break;
			rc = mtree_subdir(&t, t, repo, name.ptr, 0, err);
			if (rc < 0 || !t)
				break;
			p = slash + 1;
		}
		if (!rc && t)
			me = mtree_find(t, comps.v[comps.nr - 1]);
		if (!me) {
			ed_strvec_release(&comps);
			continue;
		}
		ED_ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		out->v[out->nr].comps = comps;
		out->v[out->nr].mode = me->mode;
		git_oid_cpy(&out->v[out->nr].oid, &me->oid);
		out->nr++;
	}
	ed_buf_release(&name);
	return rc;
}

/* Put the kept entries into the new host tree, creating directories. */
void kept_plant(struct mtree *host, const struct kept_list *k)
{
	size_t i, c;

	for (i = 0; i < k->nr; i++) {
		struct mtree *t = host;
		struct mentry *me;

		for (c = 0; c + 1 < k->v[i].comps.nr; c++) {
			me = mtree_find(t, k->v[i].comps.v[c]);
			if (!me) {
				me = mtree_add(t, k->v[i].comps.v[c]);
				me->mode = MODE_TREE;
				me->sub = mtree_new();
				me->sub->dirty = 1;
			}
			if (!me->sub) /* a file where the kept path needs a directory */
				break;
			t = me->sub;
			t->dirty = 1;
		}
		if (c + 1 < k->v[i].comps.nr || mtree_find(t, k->v[i].comps.v[c]))
			continue;
		me = mtree_add(t, k->v[i].comps.v[c]);
		me->mode = k->v[i].mode;
		git_oid_cpy(&me->oid, &k->v[i].oid);
	}
}
