/*
 * envdrift init: create the state repository and, unless one exists, the
 * HMAC key beside it; the repository records the key's fingerprint.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "core/store.h"

static const char usage_text[] =
	"usage: envdrift init [--repo DIR] [--key FILE] [--shared group]\n"
	"\n"
	"Create a bare state repository (mode 0700) and an HMAC-SHA256 key\n"
	"(default DIR.key, mode 0600; an existing key file is reused).\n"
	"  --repo DIR       repository (default $ENVDRIFT_REPO or /var/lib/envdrift/state)\n"
	"  --key FILE       HMAC key file (default $ENVDRIFT_KEY or DIR.key)\n"
	"  --shared group   make repository and key group-readable (0750/0640)\n"
	"Exit status: 0 created, 2 error.\n";

/* mkdir -p of path's parent directories (mode 0755, like install -d). */
static int make_parents(const char *path, struct ed_err *err)
{
	struct ed_buf b = ED_BUF_INIT;
	size_t i;
	int rc = 0;

	ed_buf_adds(&b, path);
	for (i = 1; i < b.len && !rc; i++) {
		if (b.ptr[i] != '/')
			continue;
		b.ptr[i] = '\0';
		if (mkdir(b.ptr, 0755) < 0 && errno != EEXIST)
			rc = ed_err_errno(err, ED_EIO, errno,
					  "%s: cannot create", b.ptr);
		b.ptr[i] = '/';
	}
	ed_buf_release(&b);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "shared", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *key_opt = NULL;
	struct store *st = NULL;
	struct ed_hmac *key = NULL;
	char *key_path = NULL;
	const char *repo;
	int shared = 0, c, rc = EXIT_ERROR, created_key = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'k':
			key_opt = optarg;
			break;
		case 's':
			if (strcmp(optarg, "group"))
				return cli_usage_error("init",
						       "--shared takes 'group'");
			shared = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("init", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("init", "unexpected argument '%s'",
				       argv[optind]);
	repo = cli_repo_path(repo_opt);
	key_path = cli_key_path(key_opt, repo);
	if (make_parents(repo, &err) < 0 || make_parents(key_path, &err) < 0)
		goto out;
	if (access(key_path, F_OK) < 0) {
		if (ed_hmac_generate(key_path, shared ? 0640 : 0600, &err) < 0)
			goto out;
		created_key = 1;
	}
	if (ed_hmac_load(&key, key_path, &err) < 0)
		goto out;
	if (store_init(repo, shared, &err) < 0 ||
	    store_open(&st, repo, &err) < 0 || store_check_key(st, key, &err) < 0)
		goto out;
	printf("initialised %s (key %s%s)\n", repo, key_path,
	       created_key ? ", new" : ", existing");
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK) {
		if (created_key)
			unlink(key_path);
		cli_fail(&err);
	}
	store_free(st);
	ed_hmac_free(key);
	free(key_path);
	return rc;
}
