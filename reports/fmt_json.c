/*
 * json: schema 1 (README "JSON report"), one object; several reports are
 * one object holding them in "reports". Every string is valid JSON
 * whatever bytes it holds: quotes, backslashes and control characters are
 * escaped, valid UTF-8 passes through, and each byte of an invalid
 * UTF-8 sequence is written as \u00XX of the byte (its Latin-1 reading)
 * rather than replaced, so two values that differ only there still differ.
 */
#include "reports/internal.h"

#include <string.h>

static void json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	while (*p) {
		n = *p < 0x80 ? 1 : report_utf8_len(p);
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (n)
			fputc(*p, out);
		else
			fprintf(out, "\\u%04x", *p); /* invalid UTF-8 */
		p++;
	}
	fputc('"', out);
}

/* "hosts": {"VALUE": ["h1", "h2"], ...} from sorted "VALUE\tHOST" lines */
static void json_hosts(FILE *out, const struct ed_strvec *hosts)
{
	struct ed_buf v = ED_BUF_INIT;
	size_t i, j, end;

	fputc('{', out);
	for (i = 0; i < hosts->nr; i = end) {
		end = report_hosts_run(hosts, i, &v);
		if (i)
			fputs(", ", out);
		json_str(out, v.ptr);
		fputs(": [", out);
		for (j = i; j < end; j++) {
			if (j > i)
				fputs(", ", out);
			json_str(out, report_host_name(hosts->v[j]));
		}
		fputc(']', out);
	}
	fputc('}', out);
	ed_buf_release(&v);
}

static void json_begin(struct report_ctx *c)
{
	const struct drift_report *r = c->r;
	const struct report_counts *k = &c->total;

	fputs("{\"schema\": 1, \"compared\": [", c->out);
	json_str(c->out, r->operands[0]);
	fputs(", ", c->out);
	json_str(c->out, r->operands[1]);
	fputs("]", c->out);
	if (!r->stable) {
		/* the commit compared (the second operand's), and both */
		fputs(", \"commit\": ", c->out);
		json_str(c->out, r->commits[1]);
		fputs(", \"commits\": [", c->out);
		json_str(c->out, r->commits[0]);
		fputs(", ", c->out);
		json_str(c->out, r->commits[1]);
		fputs("]", c->out);
	}
	fprintf(c->out,
		", \"summary\": {\"hosts\": %zu, \"drift\": %zu, "
		"\"changed\": %zu, \"missing\": %zu, \"extra\": %zu, "
		"\"outlier\": %zu, \"pin\": %zu, \"stale\": %zu, "
		"\"critical\": %zu, \"warning\": %zu, \"info\": %zu, "
		"\"waived\": %zu}, \"drift\": [",
		r->hosts, r->nr, k->kind[DRIFT_CHANGED], k->kind[DRIFT_MISSING],
		k->kind[DRIFT_EXTRA], k->kind[DRIFT_OUTLIER],
		k->kind[DRIFT_PIN], k->kind[DRIFT_STALE], k->sev[SEV_CRITICAL],
		k->sev[SEV_WARNING], k->sev[SEV_INFO], k->waived);
}

static void json_field(FILE *out, const char *name, const char *value)
{
	fprintf(out, ", \"%s\": ", name);
	json_str(out, value);
}

static void json_item(struct report_ctx *c, const struct drift_item *it)
{
	FILE *out = c->out;
	const struct drift_report *r = c->r;

	fputs(c->item_index ? ",\n  {" : "\n  {", out);
	fputs("\"collector\": ", out);
	json_str(out, it->collector);
	json_field(out, "key", it->key);
	json_field(out, "kind", drift_kind_name(it->kind));
	/* items saying the same about several hosts share it (reports/report.c) */
	fprintf(out, ", \"fact_group\": %zu", c->fact_id);
	if (it->role)
		json_field(out, "role", it->role);
	fputs(", \"values\": {", out);
	json_str(out, r->operands[0]);
	fputs(": ", out);
	json_str(out, it->values[0]);
	fputs(", ", out);
	json_str(out, r->operands[1]);
	fputs(": ", out);
	json_str(out, it->values[1]);
	fputc('}', out);
	if (it->newer == 0 || it->newer == 1)
		json_field(out, "newer", r->operands[it->newer]);
	if (it->kind == DRIFT_OUTLIER || it->host) {
		json_field(out, "host", it->host);
		json_field(out, "host_value", it->host_value);
	}
	if (it->kind == DRIFT_OUTLIER)
		fprintf(out, ", \"group_size\": %zu", it->group_size);
	json_field(out, "severity",
		   drift_severity_name((enum drift_severity)report_sev(it)));
	json_field(out, "rule", it->rule);
	if (it->detail)
		json_field(out, "detail", it->detail);
	if (it->shard)
		json_field(out, "shard", it->shard);
	if (it->waived) {
		fputs(", \"waived\": true", out);
		json_field(out, "waiver", it->waiver);
	}
	if (it->since_date[0]) {
		fputs(", \"since\": {\"date\": ", out);
		json_str(out, it->since_date);
		fputs(", \"commit\": ", out);
		json_str(out, it->since_commit);
		if (it->since_cut) /* a shallow clone's history ends */
			fputs(", \"at_least\": true", out);
		if (!c->r->stable)
			fprintf(out, ", \"scans\": %zu", it->since_scans);
		fputc('}', out);
	}
	if (it->patch)
		json_field(out, "diff", it->patch);
	fputs(", \"hosts\": ", out);
	json_hosts(out, &it->hosts);
	fputc('}', out);
}

static void json_end(struct report_ctx *c)
{
	size_t i;

	fputs(c->r->nr ? "\n], \"notes\": [" : "], \"notes\": [", c->out);
	for (i = 0; i < c->r->notes.nr; i++) {
		if (i)
			fputs(", ", c->out);
		json_str(c->out, c->r->notes.v[i]);
	}
	fputs("]}\n", c->out);
}

/* several reports: {"schema": 1, "reports": [REPORT,\nREPORT]} */
static void json_many_begin(FILE *out, const struct report_ctx *c, size_t n)
{
	(void)c;
	(void)n;
	fputs("{\"schema\": 1, \"reports\": [\n", out);
}

static void json_many_end(FILE *out, const struct report_ctx *c, size_t n)
{
	(void)c;
	(void)n;
	fputs("]}\n", out);
}

const struct report_format report_json = {
	.name = "json",
	.many_begin = json_many_begin,
	.many_sep = ",\n",
	.many_end = json_many_end,
	.begin = json_begin,
	.item = json_item,
	.end = json_end,
};
