/*
 * envdrift accept: record a known drift as a waiver with a reason, an
 * expiry and a scope, appended as text to the baseline's waivers file
 * (BASE.waivers.yaml) so hand-written comments survive. The file is read
 * back after the append; if it no longer parses, the append is undone.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "core/buf.h"

static const char usage_text[] =
	"usage: envdrift accept --baseline FILE --reason TEXT --expires YYYY-MM-DD\n"
	"                       [--env ENV] [--host HOST] COLLECTOR:KEY\n"
	"\n"
	"Accept a known drift until a date: append a waiver to FILE's waivers file\n"
	"(parity.yaml -> parity.waivers.yaml). COLLECTOR:KEY may be a glob. After\n"
	"the expiry date the drift counts again.\n"
	"Exit status: 0 waiver appended, 2 error.\n";

/* A YAML double-quoted scalar. */
static void yaml_quote(struct ed_buf *b, const char *s)
{
	ed_buf_addch(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			ed_buf_addf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			ed_buf_addf(b, "\\x%02x", (unsigned char)*s);
		else
			ed_buf_addch(b, *s);
	}
	ed_buf_addch(b, '"');
}

int cmd_accept(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "baseline", required_argument, NULL, 'b' },
		{ "reason", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "env", required_argument, NULL, 'E' },
		{ "host", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT, text = ED_BUF_INIT;
	const char *baseline = NULL, *reason = NULL, *expires = NULL;
	const char *env = NULL, *host = NULL, *fact;
	struct baseline *rules = NULL;
	char today[11];
	struct stat sb;
	off_t before = 0;
	int c, fd = -1, rc = EXIT_ERROR, existed;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			baseline = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'e':
			expires = optarg;
			break;
		case 'E':
			env = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("accept", "bad option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("accept", "want one COLLECTOR:KEY");
	fact = argv[optind];
	if (!baseline || !reason || !*reason || !expires)
		return cli_usage_error(
			"accept",
			"--baseline, --reason and --expires are required");
	if (!strchr(fact, ':'))
		return cli_usage_error("accept", "'%s' is not COLLECTOR:KEY",
				       fact);
	differ_today(today);
	if (!baseline_valid_date(expires) || strcmp(expires, today) < 0)
		return cli_usage_error(
			"accept",
			"--expires takes a date from today on (YYYY-MM-DD)");
	if ((env && !cli_valid_name(env)) || (host && !cli_valid_name(host)))
		return cli_usage_error("accept",
				       "--env and --host take names [A-Za-z0-9._-]+");
	/* the baseline itself must load before anything is appended */
	if (baseline_load(&rules, baseline, &err) < 0)
		goto out;
	baseline_waivers_path(&path, baseline);
	existed = !stat(path.ptr, &sb);
	before = existed ? sb.st_size : 0;
	if (!existed)
		ed_buf_adds(&text,
			    "# Accepted drift: envdrift accept appends here; each waiver\n"
			    "# expires, and the drift counts again after that date.\n"
			    "waivers:\n");
	ed_buf_addf(&text, "  # accepted %s\n  - key: ", today);
	yaml_quote(&text, fact);
	ed_buf_adds(&text, "\n    reason: ");
	yaml_quote(&text, reason);
	ed_buf_addf(&text, "\n    expires: %s\n", expires);
	if (env)
		ed_buf_addf(&text, "    env: %s\n", env);
	if (host)
		ed_buf_addf(&text, "    host: %s\n", host);
	fd = open(path.ptr, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text.ptr, text.len) != (ssize_t)text.len ||
	    fsync(fd) < 0) {
		ed_err_errno(&err, ED_EIO, errno, "%s", path.ptr);
		goto undo;
	}
	baseline_free(rules);
	rules = NULL;
	if (baseline_load(&rules, baseline, &err) < 0) {
		ed_err_prefix(&err, "%s: the waiver would not load, not added",
			      path.ptr);
		goto undo;
	}
	printf("accepted %s until %s in %s\n", fact, expires, path.ptr);
	rc = EXIT_OK;
	goto out;
undo:
	if (fd >= 0 && ftruncate(fd, before) == 0 && !existed)
		unlink(path.ptr);
out:
	if (fd >= 0)
		close(fd);
	if (rc != EXIT_OK)
		cli_fail(&err);
	baseline_free(rules);
	ed_buf_release(&path);
	ed_buf_release(&text);
	return rc;
}
