/*
 * Helpers shared by the subcommands: where the repository and key are,
 * name validation, and the one place errors are printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "collector/collector.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "core/repocache.h"

const char *cli_repo_path(const char *opt)
{
	const char *env = getenv("ENVDRIFT_REPO");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return "/var/lib/envdrift/state";
}

char *cli_key_path(const char *opt, const char *repo)
{
	struct ed_buf b = ED_BUF_INIT;
	const char *env = getenv("ENVDRIFT_KEY");
	size_t len;

	if (opt && *opt) {
		ed_buf_adds(&b, opt);
	} else if (env && *env) {
		ed_buf_adds(&b, env);
	} else {
		len = strlen(repo);
		while (len > 1 && repo[len - 1] == '/')
			len--;
		ed_buf_add(&b, repo, len);
		ed_buf_adds(&b, ".key");
	}
	return ed_buf_detach(&b, NULL);
}

/* Load the writer's key (--key) for st and check it against st's. */
static int load_checked_key(struct ed_hmac **key, struct store *st,
			    const char *repo_opt, const char *key_opt,
			    struct ed_err *err)
{
	char *key_path = cli_key_path(key_opt, cli_repo_path(repo_opt));
	int rc = ed_hmac_load(key, key_path, err);

	if (rc == ED_ENOTFOUND)
		rc = ed_err_set(err, ED_EKEY,
				"%s: HMAC key missing; restore it or give --key (a new key would turn every secret into drift)",
				key_path);
	if (!rc)
		rc = store_check_key(st, *key, err);
	free(key_path);
	return rc;
}

int cli_open_keyed_store(struct store **st, struct ed_hmac **key,
			 const char *repo_opt, const char *key_opt,
			 const struct collect_config *cfg, int adopt,
			 struct ed_err *err)
{
	int rc = store_open(st, cli_repo_path(repo_opt), err);

	if (!rc)
		rc = load_checked_key(key, *st, repo_opt, key_opt, err);
	if (!rc) {
		struct ed_buf settings = ED_BUF_INIT;

		collect_settings_text(&settings, cfg);
		rc = store_check_settings(*st, settings.ptr, adopt, err);
		ed_buf_release(&settings);
	}
	return rc;
}

int cli_check_writer_key(struct store *st, const char *repo_opt,
			 const char *key_opt, struct ed_err *err)
{
	struct ed_hmac *key = NULL;
	int rc = load_checked_key(&key, st, repo_opt, key_opt, err);

	ed_hmac_free(key);
	return rc;
}

int cli_open_store(struct store **st, const char *repo_opt, struct ed_err *err)
{
	const struct ed_strvec *notes;
	size_t i;
	int rc = store_open(st, cli_repo_path(repo_opt), err);

	if (rc < 0)
		return rc;
	notes = store_notes(*st);
	for (i = 0; i < notes->nr; i++) {
		fputs("note: ", stderr);
		cli_put_safe(stderr, notes->v[i]);
		fputc('\n', stderr);
	}
	return 0;
}

int cli_open_read_store(struct store **st, const char *repo_opt, int offline,
			long long max_age, struct ed_err *err)
{
	const char *repo = cli_repo_path(repo_opt);
	struct ed_repo_cache_opts o;
	struct ed_buf path = ED_BUF_INIT;
	int rc;

	*st = NULL;
	if (!ed_repo_is_url(repo))
		return cli_open_store(st, repo, err);
	memset(&o, 0, sizeof(o));
	o.offline = offline;
	/* a day of margin: a host just past --max-age is still named */
	if (max_age >= 0)
		o.shallow_since = (long long)time(NULL) - max_age - 86400;
	rc = ed_repo_cache_sync(&path, repo, &o, err);
	if (!rc)
		rc = cli_open_store(st, path.ptr, err);
	ed_buf_release(&path);
	return rc;
}

int cli_valid_name(const char *name)
{
	const char *p;

	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		      *p == '-'))
			return 0;
	return 1;
}

void cli_put_safe(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

void cli_put_json(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int cli_fail(const struct ed_err *err)
{
	fputs("envdrift: ", stderr);
	cli_put_safe(stderr, err->msg[0] ? err->msg : "unknown error");
	fputc('\n', stderr);
	return EXIT_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "envdrift %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'envdrift %s --help'.\n", cmd);
	return EXIT_ERROR;
}
