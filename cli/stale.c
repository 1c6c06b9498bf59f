/*
 * Stale hosts by shard, for check and status: when several scanners share
 * a repository (scan --shard K/N), a host that is stale usually means its
 * scanner stopped, so name the scanner and a few of its hosts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "core/shard.h"

/* names printed per shard in text; the count says how many there are */
#define STALE_NAMES 8

long long cli_parse_duration(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	if (!strcmp(end, "m"))
		return v * 60;
	if (!strcmp(end, "h"))
		return v * 3600;
	if (!strcmp(end, "d"))
		return v * 86400;
	return -1;
}

static void minute(char out[32], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%MZ", &tm))
		(void)snprintf(out, 32, "never");
}

size_t cli_print_stale_shards(FILE *f, const char *prefix,
			      const struct store_host *h, size_t n,
			      long long max_age)
{
	struct ed_shard_stale *g = NULL;
	size_t ng = 0, i, j;
	char when[32];

	ed_shard_stale_group(&g, &ng, h, n, (long long)time(NULL), max_age);
	for (i = 0; i < ng; i++) {
		minute(when, g[i].since);
		fprintf(f, "%sshard %s has not reported since %s: %zu host%s (",
			prefix, g[i].shard, when, g[i].hosts.nr,
			g[i].hosts.nr == 1 ? "" : "s");
		for (j = 0; j < g[i].hosts.nr && j < STALE_NAMES; j++)
			fprintf(f, "%s%s", j ? ", " : "", g[i].hosts.v[j]);
		fprintf(f, "%s)\n", g[i].hosts.nr > STALE_NAMES ? ", ..." : "");
	}
	ed_shard_stale_free(g, ng);
	return ng;
}

void cli_json_stale_shards(FILE *f, const struct store_host *h, size_t n,
			   long long max_age)
{
	struct ed_shard_stale *g = NULL;
	size_t ng = 0, i, j;
	char when[32];

	ed_shard_stale_group(&g, &ng, h, n, (long long)time(NULL), max_age);
	if (ng)
		fputs(", \"stale_shards\": [", f);
	for (i = 0; i < ng; i++) {
		minute(when, g[i].since);
		fprintf(f, "%s\n  {\"shard\": ", i ? "," : "");
		cli_put_json(f, g[i].shard);
		fprintf(f, ", \"since\": \"%s\", \"hosts\": [", when);
		for (j = 0; j < g[i].hosts.nr; j++) {
			fputs(j ? ", " : "", f);
			cli_put_json(f, g[i].hosts.v[j]);
		}
		fputs("]}", f);
	}
	if (ng)
		fputs("\n]", f);
	ed_shard_stale_free(g, ng);
}
