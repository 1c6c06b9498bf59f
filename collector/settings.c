/*
 * The settings that shape snapshot bytes, as one canonical text: the
 * repository records it (.envdrift/settings) and refuses a writer whose
 * text differs, because two writers with different rules would make every
 * host they both write flap between two snapshots.
 */
#include "collector/collector.h"

#include "core/secrets.h"

/* One "KEY VALUE" line, newlines and backslashes escaped: one line each. */
static void put_line(struct ed_buf *out, const char *key, const char *val)
{
	const char *p;

	ed_buf_addf(out, "%s ", key);
	for (p = val; *p; p++) {
		if (*p == '\n')
			ed_buf_adds(out, "\\n");
		else if (*p == '\\')
			ed_buf_adds(out, "\\\\");
		else
			ed_buf_addch(out, *p);
	}
	ed_buf_addch(out, '\n');
}

static void put_list(struct ed_buf *out, const char *key,
		     const struct ed_strvec *v)
{
	size_t i;

	for (i = 0; i < v->nr; i++)
		put_line(out, key, v->v[i]);
}

void collect_settings_text(struct ed_buf *out, const struct collect_config *cfg)
{
	const struct sysctl_classes *sc = &cfg->sysctl_classes;

	ed_buf_adds(out, "# What shapes snapshot bytes: every writer of this "
			 "repository must agree.\n");
	ed_buf_addf(out, "detectors %d\n", ED_SECRET_DETECTORS);
	ed_buf_addf(out, "content-max %zu\n", cfg->content_max);
	put_list(out, "secret-file", &cfg->secret_files);
	put_list(out, "secret-value", &cfg->secret_values);
	put_list(out, "plain-file", &cfg->plain_files);
	put_list(out, "sysctl-volatile", &sc->volatile_keys);
	put_list(out, "sysctl-per-host", &sc->per_host);
	put_list(out, "sysctl-secret", &sc->secret);
	put_list(out, "sysctl-write-only", &sc->write_only);
	put_list(out, "environment", &cfg->scan.environments);
}
