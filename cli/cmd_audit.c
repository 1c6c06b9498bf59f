/*
 * envdrift audit-secrets: search every object of a repository, unreachable
 * ones included, for secrets in plain text (core/audit.h), before the
 * repository is pushed anywhere or after files were added to the collected
 * trees. Needs no key; prints where, never what.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "core/audit.h"
#include "core/words.h"

static const char usage_text[] =
	"usage: envdrift audit-secrets [--repo DIR] [--config FILE] [--format text|json]\n"
	"\n"
	"Read every object of the repository (content blobs, snapshot lines,\n"
	"committed reports, commit messages; unreachable objects too) through the\n"
	"secret detectors and the secrets.values expressions of --config, and list\n"
	"each hit as PATH:LINE: RULE. envdrift's own hmac: tokens are never hits.\n"
	"No key is needed.\n"
	"Exit status: 0 clean, 1 hits, 2 error.\n";

static void print_hits(const struct ed_audit *a, int json)
{
	size_t i;

	if (json)
		printf("{\"objects\": %zu, \"blobs\": %zu, \"hits\": [",
		       a->objects, a->blobs);
	for (i = 0; i < a->nr; i++) {
		const struct ed_audit_hit *h = &a->v[i];

		if (!json) {
			cli_put_safe(stdout, h->where);
			printf(":%zu: %s\n", h->line, h->rule);
			continue;
		}
		printf("%s\n  {\"path\": ", i ? "," : "");
		cli_put_json(stdout, h->where);
		printf(", \"line\": %zu, \"rule\": \"%s\", \"object\": \"%s\"}",
		       h->line, h->rule, h->oid);
	}
	if (json)
		printf("%s]}\n", a->nr ? "\n" : "");
}

int cmd_audit_secrets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	struct collect_config *cfg = NULL;
	struct ed_secret_finder finder;
	struct ed_audit audit;
	const char *repo_opt = NULL, *config = NULL;
	int c, json = 0, rc = EXIT_ERROR, have_finder = 0;

	memset(&audit, 0, sizeof(audit));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			repo_opt = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cli_usage_error("audit-secrets",
						       "--format is text or json");
			json = !strcmp(optarg, "json");
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("audit-secrets", "bad option");
		}
	}
	if (optind != argc)
		return cli_usage_error("audit-secrets", "takes no operands");
	if (collect_config_load(&cfg, config, &err) < 0)
		goto out;
	have_finder = 1;
	if (ed_secret_finder_init(&finder, &cfg->secret_values, &err) < 0 ||
	    ed_audit_repo(&audit, cli_repo_path(repo_opt), &finder,
			  &cfg->plain_files, &err) < 0)
		goto out;
	print_hits(&audit, json);
	fprintf(stderr, "audit-secrets: %zu %s read (%zu %s, %zu %s), %zu %s\n",
		audit.objects, ed_plural(audit.objects, "object", "objects"),
		audit.blobs, ed_plural(audit.blobs, "blob", "blobs"),
		audit.bytes, ed_plural(audit.bytes, "byte", "bytes"), audit.nr,
		ed_plural(audit.nr, "hit", "hits"));
	rc = audit.nr ? EXIT_DRIFT : EXIT_OK;
out:
	if (rc == EXIT_ERROR)
		cli_fail(&err);
	if (have_finder)
		ed_secret_finder_release(&finder);
	ed_audit_release(&audit);
	collect_config_free(cfg);
	return rc;
}
