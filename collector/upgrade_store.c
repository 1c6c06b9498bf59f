/*
 * The store-level half of a secret-rule upgrade: the hosts at the branch
 * tip that an older release stored, loaded whole (top-level files, then
 * every content/ file their "files" lines name) and rewritten by
 * collect_upgrade_host, ready to go into the same commit as the hosts
 * being collected now (collector/upgrade.c says what changes).
 */
#include "collector/collector.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/secrets.h"
#include "core/store.h"

void collect_upgrades_release(struct collect_upgrades *u)
{
	size_t i;

	for (i = 0; i < u->nr; i++) {
		snapshot_release(&u->snaps[i]);
		free(u->envs[i]);
		free(u->hosts[i]);
	}
	free(u->snaps);
	free(u->envs);
	free(u->hosts);
	memset(u, 0, sizeof(*u));
}

/* Load the content/ files the "files" lines of snap name into snap. */
static int load_contents(struct snapshot *snap, const struct store_view *v,
			 const char *env, const char *host, struct ed_err *err)
{
	const struct snapshot_entry *files = snapshot_find(snap, "files");
	struct ed_buf raw = ED_BUF_INIT, path = ED_BUF_INIT, data = ED_BUF_INIT;
	struct ed_strvec paths = ED_STRVEC_INIT;
	const char *p, *end;
	size_t i;
	int rc = 0;

	if (!files)
		return 0;
	for (p = files->data, end = p + files->len; p < end && !rc;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end,
			   *sp = memchr(p, ' ', (size_t)(e - p));

		if (sp && (size_t)(e - sp) > 6 && !memcmp(sp, " file ", 6)) {
			ed_buf_reset(&raw);
			rc = snapshot_unquote(&raw, p, (size_t)(sp - p), err);
			if (!rc)
				ed_strvec_pushf(&paths, "content%s", raw.ptr);
		}
		p = e + 1;
	}
	for (i = 0; i < paths.nr && !rc; i++) {
		ed_buf_reset(&data);
		rc = store_view_read_file(v, env, host, paths.v[i], &data, err);
		if (rc == ED_ENOTFOUND) {
			rc = 0; /* not stored: binary, too big, or a secret */
			continue;
		}
		if (!rc)
			snapshot_add_buf(snap, paths.v[i], &data);
	}
	snapshot_sort(snap);
	ed_buf_release(&raw);
	ed_buf_release(&path);
	ed_buf_release(&data);
	ed_strvec_release(&paths);
	return rc;
}

int collect_upgrades_find(struct collect_upgrades *out, struct store *st,
			  const struct ed_strvec *skip,
			  const struct collect_config *cfg, struct ed_hmac *key,
			  struct ed_err *err)
{
	static const struct ed_strvec none = ED_STRVEC_INIT;
	struct store_view *v = NULL;
	struct store_host *h = NULL;
	size_t nh = 0, i;
	int rc;

	if (!skip)
		skip = &none;
	memset(out, 0, sizeof(*out));
	rc = store_view_open(&v, st, NULL, err);
	if (rc == ED_ENOTFOUND)
		return 0; /* an empty repository has nothing to upgrade */
	if (rc < 0)
		return rc;
	rc = store_view_hosts(v, &h, &nh, err);
	for (i = 0; !rc && i < nh; i++) {
		struct snapshot old = SNAPSHOT_INIT, neu = SNAPSHOT_INIT;
		struct ed_buf meta = ED_BUF_INIT;
		int current;

		/* its meta alone says: the whole host is read only when old */
		current = !store_view_read_file(v, h[i].env, h[i].host, "meta",
						&meta, err) &&
			  collect_meta_is_current(meta.ptr, meta.len);
		ed_buf_release(&meta);
		ed_err_clear(err);
		if (current)
			continue;
		rc = store_view_read_host(v, h[i].env, h[i].host, &old, err);
		if (!rc && ed_strvec_contains(skip, h[i].host)) {
			/* collected now: its new snapshot is the upgrade */
			out->collected_old++;
			snapshot_release(&old);
			continue;
		}
		if (!rc)
			rc = load_contents(&old, v, h[i].env, h[i].host, err);
		if (!rc)
			rc = collect_upgrade_host(&neu, &old, cfg, key, err);
		if (rc > 0) {
			ED_ALLOC_GROW(out->snaps, out->nr + 1, out->alloc);
			out->envs = ed_xrealloc(out->envs,
						out->alloc * sizeof(*out->envs));
			out->hosts =
				ed_xrealloc(out->hosts,
					    out->alloc * sizeof(*out->hosts));
			snapshot_sort(&neu);
			out->snaps[out->nr] = neu;
			out->envs[out->nr] = ed_xstrdup(h[i].env);
			out->hosts[out->nr] = ed_xstrdup(h[i].host);
			out->nr++;
			rc = 0;
		} else {
			snapshot_release(&neu);
		}
		snapshot_release(&old);
	}
	store_hosts_free(h, nh);
	store_view_free(v);
	if (rc < 0)
		collect_upgrades_release(out);
	return rc;
}

int collect_upgrade_updates(struct collect_upgrades *upg,
			    struct store_update **all, size_t *nall,
			    const struct store_update *ups, size_t nups,
			    struct ed_strvec *trailers, struct store *st,
			    const struct collect_config *cfg,
			    struct ed_hmac *key, struct ed_err *err)
{
	struct ed_strvec skip = ED_STRVEC_INIT;
	size_t i;
	int rc;

	*all = NULL;
	*nall = 0;
	for (i = 0; i < nups; i++)
		ed_strvec_push(&skip, ups[i].host);
	rc = collect_upgrades_find(upg, st, &skip, cfg, key, err);
	ed_strvec_release(&skip);
	if (rc < 0)
		return rc;
	*all = ed_xcalloc(nups + upg->nr + 1, sizeof(**all));
	for (i = 0; i < nups; i++)
		(*all)[(*nall)++] = ups[i];
	for (i = 0; i < upg->nr; i++) {
		(*all)[*nall].env = upg->envs[i];
		(*all)[*nall].host = upg->hosts[i];
		(*all)[*nall].snap = &upg->snaps[i];
		(*nall)++;
	}
	if (upg->nr || upg->collected_old)
		ed_strvec_pushf(trailers, "Envdrift-Format: %d",
				ED_SECRET_DETECTORS);
	return 0;
}
