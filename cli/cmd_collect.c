/*
 * envdrift collect: snapshot this machine (or a mounted root) and commit it
 * as hosts/<env>/<host>/ in one commit. Collection happens before the
 * repository lock is taken; only the commit is serialised.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "core/identity.h"
#include "core/store.h"
#include "core/words.h"

static const char usage_text[] =
	"usage: envdrift collect [--repo DIR] [--root DIR] [--env ENV] [--host NAME]\n"
	"                        [--role ROLE]... [--config FILE] [--key FILE]\n"
	"                        [--identity FILE] [--lock-timeout SECONDS]\n"
	"                        [--adopt-settings] [--allow-empty] [-q|--quiet]\n"
	"                        [--push REMOTE [--push-timeout S] [--allow-secrets]]\n"
	"\n"
	"Snapshot packages, kernel, sysctl, services and files of this machine (or\n"
	"of the root filesystem mounted at --root) into one commit.\n"
	"  --repo DIR          state repository (default $ENVDRIFT_REPO or /var/lib/envdrift/state)\n"
	"  --root DIR          read a mounted root filesystem instead of / \n"
	"  --env ENV           environment (default 'default')\n"
	"  --host NAME         host name (default: hostname, or ROOT/etc/hostname with --root)\n"
	"  --role ROLE         a role of this host (repeatable; default 'default')\n"
	"  --config FILE       collection configuration (YAML)\n"
	"  --key FILE          HMAC key (default $ENVDRIFT_KEY or DIR.key)\n"
	"  --identity FILE     who the host is (\"host = NAME\", \"addr4 = A\", ...; for\n"
	"                      an image whose addresses its files do not say)\n"
	"  --lock-timeout S    wait at most S seconds for another writer (default 300)\n"
	"  --adopt-settings    record this configuration's secret rules, caps and\n"
	"                      classes in the repository, replacing the recorded ones\n"
	"  --allow-empty       record a collection without files and packages over a\n"
	"                      host that had some (else refused: a wrong --root)\n"
	"  -q, --quiet         print only errors and warnings\n"
	"  --push REMOTE       then push main to REMOTE's refs/envdrift/incoming/HOST\n"
	"                      (pull mode: see envdrift merge-incoming)\n"
	"Names match [A-Za-z0-9._-]+.\n"
	"Exit status: 0 collected, 4 collected but not published, 2 error.\n";

int cmd_collect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "root", required_argument, NULL, 'R' },
		{ "env", required_argument, NULL, 'e' },
		{ "host", required_argument, NULL, 'H' },
		{ "role", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "identity", required_argument, NULL, 'i' },
		{ "adopt-settings", no_argument, NULL, CLI_OPT_ADOPT_SETTINGS },
		{ "allow-empty", no_argument, NULL, 'E' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		CLI_PUSH_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	struct ed_strvec roles = ED_STRVEC_INIT, trailers = ED_STRVEC_INIT;
	struct ed_buf host = ED_BUF_INIT, subject = ED_BUF_INIT;
	const char *repo_opt = NULL, *key_opt = NULL, *config = NULL;
	const char *identity_opt = NULL;
	struct host_identity identity;
	const char *root = "/", *env = "default", *host_opt = NULL;
	struct collect_config *cfg = NULL;
	struct store *st = NULL;
	struct ed_hmac *key = NULL;
	struct snapshot snap = SNAPSHOT_INIT;
	struct store_result res;
	struct store_update up, *all = NULL;
	struct collect_upgrades upg;
	struct cli_push push = CLI_PUSH_INIT;
	size_t nall = 0;
	struct ed_buf cache_out = ED_BUF_INIT;
	struct timespec t0, t1;
	unsigned lock_timeout = 300;
	int c, quiet = 0, adopt = 0, allow_empty = 0, rc = EXIT_ERROR;
	int have_res = 0;

	memset(&upg, 0, sizeof(upg));
	memset(&identity, 0, sizeof(identity));
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'R':
			root = optarg;
			break;
		case 'e':
			env = optarg;
			break;
		case 'H':
			host_opt = optarg;
			break;
		case 'o':
			if (!cli_valid_name(optarg)) {
				rc = cli_usage_error(
					"collect",
					"bad role name '%s' (want [A-Za-z0-9._-]+)",
					optarg);
				goto done;
			}
			ed_strvec_push(&roles, optarg);
			break;
		case 'c':
			config = optarg;
			break;
		case 'k':
			key_opt = optarg;
			break;
		case 'i':
			identity_opt = optarg;
			break;
		case 'l':
			if (collect_parse_seconds(optarg, &lock_timeout) < 0) {
				rc = cli_usage_error(
					"collect",
					"--lock-timeout takes seconds (0-86400)");
				goto done;
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'E':
			allow_empty = 1;
			break;
		case CLI_OPT_ADOPT_SETTINGS:
			adopt = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			rc = EXIT_OK;
			goto done;
		default:
			c = cli_push_option(&push, c, optarg, "collect");
			if (c > 0)
				break;
			rc = c < 0 ? EXIT_ERROR :
				     cli_usage_error("collect", "bad option");
			goto done;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error("collect", "unexpected argument '%s'",
				     argv[optind]);
		goto done;
	}
	if (!cli_valid_name(env)) {
		rc = cli_usage_error("collect",
				     "bad environment name '%s' (want [A-Za-z0-9._-]+)",
				     env);
		goto done;
	}
	if (access(root, F_OK) < 0) {
		ed_err_errno(&err, ED_ENOTFOUND, errno, "root '%s'", root);
		goto out;
	}
	if (strcmp(root, "/") && collect_root_check(root, &err) < 0)
		goto out;
	if (host_opt) {
		ed_buf_adds(&host, host_opt);
	} else if (strcmp(root, "/")) {
		if (collect_root_hostname(&host, root, &err) < 0)
			goto out;
	} else {
		char hn[256]; /* HOST_NAME_MAX is 64 on Linux */

		if (gethostname(hn, sizeof(hn)) < 0) {
			ed_err_errno(&err, ED_ERROR, errno, "gethostname");
			goto out;
		}
		hn[sizeof(hn) - 1] = '\0';
		ed_buf_adds(&host, hn);
	}
	if (!cli_valid_name(host.ptr)) {
		rc = cli_usage_error("collect",
				     "bad host name '%s' (want [A-Za-z0-9._-]+)",
				     host.ptr);
		goto done;
	}

	if (collect_config_load(&cfg, config, &err) < 0 ||
	    (identity_opt &&
	     collect_identity_load(&identity, identity_opt, &err) < 0))
		goto out;
	if (cli_open_keyed_store(&st, &key, repo_opt, key_opt, cfg, adopt,
				 &err) < 0)
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (collect_into_store(&snap, &cache_out, st, host.ptr, root, cfg, key,
			       &roles, identity_opt ? &identity : NULL, &err) < 0 ||
	    (!allow_empty &&
	     collect_check_emptied(st, host.ptr, root, &snap, &err) < 0))
		goto out;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (store_lock(st, lock_timeout * 1000u, &err) < 0)
		goto out;

	cli_collect_message(&subject, &trailers, env, host.ptr, root, &snap,
			    &t0, &t1);
	up.env = env;
	up.host = host.ptr;
	up.snap = &snap;
	if (collect_upgrade_updates(&upg, &all, &nall, &up, 1, &trailers, st,
				    cfg, key, &err) < 0)
		goto out;
	if (store_commit(st, &res, all, nall, subject.ptr, &trailers, &err) < 0) {
		/*
		 * A stat cache naming content the repository lacks (someone
		 * pruned it): drop the cache and collect once more in full.
		 */
		if (err.code != ED_ENOTFOUND || !cache_out.len)
			goto out;
		snapshot_release(&snap);
		ed_buf_reset(&cache_out);
		store_cache_drop(st, host.ptr);
		ed_err_clear(&err);
		if (collect_into_store(&snap, &cache_out, st, host.ptr, root,
				       cfg, key, &roles,
				       identity_opt ? &identity : NULL, &err) < 0 ||
		    store_commit(st, &res, all, nall, subject.ptr, &trailers,
				 &err) < 0)
			goto out;
	}
	have_res = 1;
	store_cache_save(st, host.ptr, &cache_out);
	cli_collect_notes(&snap, &res, quiet);
	if (!quiet)
		printf("%s%s; commit %.12s (%zu new %s)\n", subject.ptr,
		       res.tree_unchanged ? ", unchanged" : "", res.commit,
		       res.new_objects,
		       ed_plural(res.new_objects, "object", "objects"));
	store_unlock(st); /* git never runs under the writer lock */
	push.quiet = quiet;
	rc = cli_publish_as(st, &push, config, CLI_PUBLISH_INCOMING, host.ptr);
	if (rc != EXIT_OK)
		goto done;
out:
	if (rc != EXIT_OK)
		cli_fail(&err);
done:
	if (have_res)
		store_result_release(&res);
	free(all);
	collect_upgrades_release(&upg);
	snapshot_release(&snap);
	store_free(st);
	ed_hmac_free(key);
	collect_config_free(cfg);
	host_identity_release(&identity);
	ed_strvec_release(&roles);
	ed_strvec_release(&trailers);
	ed_buf_release(&host);
	ed_buf_release(&subject);
	ed_buf_release(&cache_out);
	return rc;
}
