/*
 * Report formats over the differ's result. text: one line per drift item,
 * grouped by role and collector, nothing but "no drift" when clean; json:
 * the documented schema 1 (README "JSON report").
 */
#include "reports/report.h"

#include <string.h>

#include "core/buf.h"

struct report_format {
	const char *name;
	void (*write)(FILE *out, const struct drift_report *r, int color);
};

static const char *side_name(const struct drift_report *r, int side)
{
	return r->operands[side];
}

static void text_value(FILE *out, const char *v)
{
	const char *p;

	if (!v) {
		fputs("(absent)", out);
		return;
	}
	/* multi-line values (sysctl) on one line */
	for (p = v; *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
}

static void write_text(FILE *out, const struct drift_report *r, int color)
{
	const char *red = color ? "\033[31m" : "", *green = color ? "\033[32m" : "";
	const char *bold = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
	const char *last_role = "";
	size_t i, outliers = 0;

	if (!r->nr) {
		fprintf(out, "no drift between %s and %s (%zu hosts)\n",
			r->operands[0], r->operands[1], r->hosts);
		return;
	}
	fprintf(out, "%sdrift between %s and %s%s: %zu items, %zu hosts\n",
		bold, r->operands[0], r->operands[1], off, r->nr, r->hosts);
	for (i = 0; i < r->nr; i++) {
		const struct drift_item *it = &r->items[i];
		const char *role = it->role ? it->role : "";

		if (strcmp(role, last_role) && *role)
			fprintf(out, "\n%srole %s%s\n", bold, role, off);
		last_role = role;
		if (it->kind == DRIFT_OUTLIER) {
			outliers++;
			fprintf(out, "  outlier  %s:%s  %s (%s) has ", it->collector,
				it->key, it->host, side_name(r, it->side));
			fputs(red, out);
			text_value(out, it->host_value);
			fprintf(out, "%s, the other %zu of %zu have %s", off,
				it->group_size - 1, it->group_size, green);
			text_value(out, it->values[it->side]);
			fprintf(out, "%s\n", off);
			continue;
		}
		fprintf(out, "  %-8s %s:%s  %s=%s", drift_kind_name(it->kind),
			it->collector, it->key, r->operands[0], red);
		text_value(out, it->values[0]);
		fprintf(out, "%s  %s=%s", off, r->operands[1], green);
		text_value(out, it->values[1]);
		fputs(off, out);
		if (it->newer >= 0)
			fprintf(out, "  (newer: %s)", side_name(r, it->newer));
		fputc('\n', out);
	}
	for (i = 0; i < r->notes.nr; i++)
		fprintf(out, "note: %s\n", r->notes.v[i]);
	(void)outliers;
}

static void json_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* "hosts": {"VALUE": ["h1", "h2"], ...} from sorted "VALUE\tHOST" lines */
static void json_hosts(FILE *out, const struct ed_strvec *hosts)
{
	size_t i;
	const char *prev = NULL;
	size_t prevlen = 0;

	fputs("{", out);
	for (i = 0; i < hosts->nr; i++) {
		const char *tab = strchr(hosts->v[i], '\t');
		size_t vlen = (size_t)(tab - hosts->v[i]);
		struct ed_buf v = ED_BUF_INIT;

		if (!prev || vlen != prevlen || memcmp(prev, hosts->v[i], vlen)) {
			if (prev)
				fputs("], ", out);
			ed_buf_add(&v, hosts->v[i], vlen);
			json_str(out, v.ptr);
			fputs(": [", out);
		} else {
			fputs(", ", out);
		}
		json_str(out, tab + 1);
		prev = hosts->v[i];
		prevlen = vlen;
		ed_buf_release(&v);
	}
	if (prev)
		fputs("]", out);
	fputs("}", out);
}

static void write_json(FILE *out, const struct drift_report *r, int color)
{
	size_t i, counts[DRIFT_KINDS] = { 0 };

	(void)color;
	for (i = 0; i < r->nr; i++)
		counts[r->items[i].kind]++;
	fputs("{\"schema\": 1, \"compared\": [", out);
	json_str(out, r->operands[0]);
	fputs(", ", out);
	json_str(out, r->operands[1]);
	fputs("], \"commits\": [", out);
	json_str(out, r->commits[0]);
	fputs(", ", out);
	json_str(out, r->commits[1]);
	fprintf(out, "], \"summary\": {\"hosts\": %zu, \"drift\": %zu, "
		     "\"changed\": %zu, \"missing\": %zu, \"extra\": %zu, "
		     "\"outlier\": %zu}, \"drift\": [",
		r->hosts, r->nr, counts[DRIFT_CHANGED], counts[DRIFT_MISSING],
		counts[DRIFT_EXTRA], counts[DRIFT_OUTLIER]);
	for (i = 0; i < r->nr; i++) {
		const struct drift_item *it = &r->items[i];

		fputs(i ? ",\n  {" : "\n  {", out);
		fputs("\"collector\": ", out);
		json_str(out, it->collector);
		fputs(", \"key\": ", out);
		json_str(out, it->key);
		fputs(", \"kind\": ", out);
		json_str(out, drift_kind_name(it->kind));
		if (it->role) {
			fputs(", \"role\": ", out);
			json_str(out, it->role);
		}
		fputs(", \"values\": {", out);
		json_str(out, r->operands[0]);
		fputs(": ", out);
		json_str(out, it->values[0]);
		fputs(", ", out);
		json_str(out, r->operands[1]);
		fputs(": ", out);
		json_str(out, it->values[1]);
		fputs("}", out);
		if (it->newer >= 0) {
			fputs(", \"newer\": ", out);
			json_str(out, r->operands[it->newer]);
		}
		if (it->kind == DRIFT_OUTLIER) {
			fputs(", \"host\": ", out);
			json_str(out, it->host);
			fputs(", \"host_value\": ", out);
			json_str(out, it->host_value);
			fprintf(out, ", \"group_size\": %zu", it->group_size);
		}
		fputs(", \"hosts\": ", out);
		json_hosts(out, &it->hosts);
		fputs("}", out);
	}
	fputs(r->nr ? "\n], \"notes\": [" : "], \"notes\": [", out);
	for (i = 0; i < r->notes.nr; i++) {
		if (i)
			fputs(", ", out);
		json_str(out, r->notes.v[i]);
	}
	fputs("]}\n", out);
}

static const struct report_format formats[] = {
	{ "text", write_text },
	{ "json", write_json },
};

int report_known(const char *format)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].name, format))
			return 1;
	return 0;
}

int report_write(FILE *out, const char *format, const struct drift_report *r,
		 int color, struct ed_err *err)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (!strcmp(formats[i].name, format)) {
			formats[i].write(out, r, color);
			return 0;
		}
	}
	return ed_err_set(err, ED_ERROR, "unknown report format '%s' (known: text, json)",
			  format);
}
