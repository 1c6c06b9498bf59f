/*
 * envdrift forget: remove hosts that left the fleet from the state
 * repository, in one commit (their history stays in git). A scan never
 * drops a host by itself; only this and `scan --prune` do.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "collector/fleet/fleet.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/store.h"

static const char usage_text[] =
	"usage: envdrift forget [--repo DIR] [--key FILE] [--lock-timeout SECONDS]\n"
	"                       [--push REMOTE [--push-timeout S] [--allow-secrets]]\n"
	"                       HOST...\n"
	"\n"
	"Remove HOSTs (and their snapshots) from the tip of the state repository in\n"
	"one commit with Envdrift-Forgotten trailers. Their history stays.\n"
	"Exit status: 0 removed, 4 removed but not published (--push), 2 an\n"
	"unknown host or an error (nothing removed).\n";

int cmd_forget(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		CLI_PUSH_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	const char *repo_opt = NULL, *key_opt = NULL;
	struct store *st = NULL;
	struct store_host *h = NULL;
	struct store_update *ups = NULL;
	struct ed_strvec trailers = ED_STRVEC_INIT;
	struct ed_buf subject = ED_BUF_INIT;
	struct store_result res;
	struct cli_push push = CLI_PUSH_INIT;
	unsigned lock_timeout = 300;
	size_t n = 0, nups = 0, i, j;
	int c, rc = EXIT_ERROR, have_res = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'l':
			if (collect_parse_seconds(optarg, &lock_timeout) < 0)
				return cli_usage_error(
					"forget",
					"--lock-timeout takes seconds (0-86400)");
			break;
		case 'k':
			key_opt = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			c = cli_push_option(&push, c, optarg, "forget");
			if (c > 0)
				break;
			return c < 0 ? EXIT_ERROR :
				       cli_usage_error("forget", "bad option");
		}
	}
	if (optind == argc)
		return cli_usage_error("forget", "name at least one host");
	if (store_open(&st, cli_repo_path(repo_opt), &err) < 0 ||
	    cli_check_writer_key(st, repo_opt, key_opt, &err) < 0 ||
	    store_lock(st, lock_timeout * 1000u, &err) < 0 ||
	    store_hosts(st, &h, &n, &err) < 0)
		goto out;
	ups = ed_xcalloc((size_t)(argc - optind), sizeof(*ups));
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		/* hosts only a failed scan names have no snapshot to remove */
		for (j = 0; j < n &&
			    (strcmp(h[j].host, argv[i]) || !h[j].last_commit[0]);
		     j++)
			;
		if (j == n) {
			ed_err_set(&err, ED_ENOTFOUND,
				   "forget: no host '%s' in the repository",
				   argv[i]);
			goto out;
		}
		ups[nups].env = h[j].env;
		ups[nups].host = h[j].host;
		ups[nups].snap = NULL;
		nups++;
		ed_strvec_pushf(&trailers, "Envdrift-Forgotten: %s/%s",
				h[j].env, h[j].host);
	}
	ed_buf_addf(&subject, "forget %zu host%s", nups, nups == 1 ? "" : "s");
	if (store_commit(st, &res, ups, nups, subject.ptr, &trailers, &err) < 0)
		goto out;
	have_res = 1;
	/* a host that comes back starts from a full collection */
	for (i = 0; i < nups; i++) {
		store_cache_drop(st, ups[i].host);
		fleet_cache_drop(st, ups[i].host);
	}
	printf("%s; commit %.12s\n", subject.ptr, res.commit);
	store_unlock(st); /* git never runs under the writer lock */
	rc = cli_publish(st, &push, NULL);
	goto done;
out:
	cli_fail(&err);
done:
	if (have_res)
		store_result_release(&res);
	free(ups);
	store_hosts_free(h, n);
	store_free(st);
	ed_strvec_release(&trailers);
	ed_buf_release(&subject);
	return rc;
}
