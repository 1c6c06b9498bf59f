/*
 * store-stats: what a state repository's object files hold, for
 * bench/run.sh, read through store_stats (core/store.h) rather than by
 * listing the repository's directories.
 *
 *   store-stats REPO [KEY]
 *
 * Prints one line "packs=N pack_bytes=N index_bytes=N loose=N
 * loose_bytes=N object_files=N object_bytes=N", or with KEY that figure
 * alone. object_files counts each pack's .pack and .idx and every loose
 * object; object_bytes is their total size. Exits 2 on an error.
 */
#include "core/store.h"

#include <git2.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct ed_err err = ED_ERR_INIT;
	struct store_stats s;
	struct store *st = NULL;
	struct {
		const char *key;
		size_t val;
	} fig[7];
	size_t i, n = sizeof(fig) / sizeof(fig[0]);
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: store-stats REPO [KEY]\n");
		return 2;
	}
	git_libgit2_init();
	rc = store_open(&st, argv[1], &err);
	if (!rc)
		rc = store_stats(st, &s, &err);
	store_free(st);
	git_libgit2_shutdown();
	if (rc < 0) {
		fprintf(stderr, "store-stats: %s\n", err.msg);
		return 2;
	}
	fig[0].key = "packs";
	fig[0].val = s.packs;
	fig[1].key = "pack_bytes";
	fig[1].val = s.pack_bytes;
	fig[2].key = "index_bytes";
	fig[2].val = s.index_bytes;
	fig[3].key = "loose";
	fig[3].val = s.loose;
	fig[4].key = "loose_bytes";
	fig[4].val = s.loose_bytes;
	fig[5].key = "object_files";
	fig[5].val = 2 * s.packs + s.loose;
	fig[6].key = "object_bytes";
	fig[6].val = s.pack_bytes + s.index_bytes + s.loose_bytes;
	if (argc == 3) {
		for (i = 0; i < n && strcmp(argv[2], fig[i].key); i++)
			;
		if (i == n) {
			fprintf(stderr, "store-stats: no figure '%s'\n", argv[2]);
			return 2;
		}
		printf("%zu\n", fig[i].val);
		return 0;
	}
	for (i = 0; i < n; i++)
		printf("%s%s=%zu", i ? " " : "", fig[i].key, fig[i].val);
	printf("\n");
	return 0;
}
