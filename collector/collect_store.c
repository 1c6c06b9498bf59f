/*
 * What "envdrift collect" asks of the library: the default host name of a
 * mounted root, and one collect whose contents go straight into the
 * store's pack, with the host's stat cache and previous files read from
 * the store (core/store.h keeps both).
 */
#include "collector/collector.h"

#include <string.h>

#include "collector/vfs.h"
#include "core/store.h"

int collect_root_hostname(struct ed_buf *out, const char *root, struct ed_err *err)
{
	struct ed_buf path = ED_BUF_INIT, data = ED_BUF_INIT;
	size_t s = 0, e;
	int rc;

	ed_buf_addf(&path, "%s/etc/hostname", root);
	rc = ed_buf_read_file(&data, path.ptr, 4096, err);
	if (rc == ED_ENOTFOUND || rc == ED_EPARTIAL)
		rc = ed_err_set(err, ED_ERROR,
				"%s: no usable host name; give --host", path.ptr);
	if (rc < 0)
		goto out;
	while (s < data.len && (data.ptr[s] == ' ' || data.ptr[s] == '\t' ||
				data.ptr[s] == '\n'))
		s++;
	e = s;
	while (e < data.len && data.ptr[e] != '\n' && data.ptr[e] != ' ' &&
	       data.ptr[e] != '\t' && data.ptr[e] != '\r')
		e++;
	if (e == s) {
		rc = ed_err_set(err, ED_ERROR, "%s: empty; give --host", path.ptr);
		goto out;
	}
	ed_buf_add(out, data.ptr + s, e - s);
out:
	ed_buf_release(&path);
	ed_buf_release(&data);
	return rc;
}

int collect_into_store(struct snapshot *snap, struct ed_buf *cache_out,
		       struct store *st, const char *host, const char *root,
		       const struct collect_config *cfg, struct ed_hmac *key,
		       const struct ed_strvec *roles,
		       const struct host_identity *identity, struct ed_err *err)
{
	struct ed_buf cache_in = ED_BUF_INIT;
	struct snapshot prev = SNAPSHOT_INIT;
	struct collect_opts o;
	struct vfs *fs = NULL;
	int rc;

	store_cache_read(st, host, &cache_in);
	rc = store_read_prev_files(&prev, st, NULL, NULL, host,
				   collect_prev_paths, err);
	if (rc < 0)
		goto out;
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.key = key;
	o.roles = roles;
	o.cache_in = cache_in.len ? cache_in.ptr : NULL;
	o.cache_in_len = cache_in.len;
	o.cache_out = cache_out;
	o.prev = &prev;
	o.identity = identity;
	snapshot_init(snap);
	snap->sink = store_content_sink(st);
	fs = vfs_root_new(root);
	rc = collect_host(snap, fs, &o, err);
out:
	vfs_free(fs);
	ed_buf_release(&cache_in);
	snapshot_release(&prev);
	return rc;
}
