#ifndef ENVDRIFT_COLLECTOR_SSH_CONFIG_H
#define ENVDRIFT_COLLECTOR_SSH_CONFIG_H
/*
 * The subset of ~/.ssh/config that says where a connection goes: Host
 * blocks with OpenSSH's patterns (* ? !, several per line), and HostName,
 * User, Port, IdentityFile and ProxyJump, the first value winning as in
 * ssh(1). Every other keyword is ignored; Include and Match are skipped
 * with a warning, so nothing is ever half understood.
 */
#include "core/err.h"
#include "core/strvec.h"

struct ssh_config;

/*
 * The settings for one host name; every field may be unset. The strings
 * are borrowed from the struct ssh_config, valid until ssh_config_free.
 */
struct ssh_config_host {
	const char *hostname;      /* HostName, %h and %% expanded; NULL: unset */
	const char *user;          /* User; NULL: unset */
	unsigned port;             /* Port; 0: unset */
	const char *identity_file; /* first IdentityFile, ~ %d %h %l %n %p %r %u %% expanded */
	const char *proxy_jump;    /* ProxyJump; NULL: unset or "none" */
};

/*
 * Parse the file at path. ED_ENOTFOUND if it does not exist (callers
 * reading the default path treat that as empty), ED_EIO if unreadable,
 * ED_EPARSE ("path:line: what") on a bad value of a keyword we use.
 * Skipped Include/Match lines add warnings "path:line: ...". The caller
 * frees *out with ssh_config_free.
 */
int ssh_config_load(struct ssh_config **out, const char *path,
		    struct ed_strvec *warnings, struct ed_err *err);
/* Same from a buffer; name is used in messages. */
int ssh_config_parse(struct ssh_config **out, const char *buf, size_t len,
		     const char *name, struct ed_strvec *warnings,
		     struct ed_err *err);
/*
 * Fill out with the settings for name (as typed, before HostName); cfg
 * may be NULL (nothing set). Expanded values are kept in cfg, so the
 * strings stay valid until ssh_config_free; cost: a walk over the blocks.
 */
void ssh_config_lookup(struct ssh_config *cfg, const char *name,
		       struct ssh_config_host *out);
void ssh_config_free(struct ssh_config *cfg);

/*
 * OpenSSH's pattern matching, case-insensitive: '*' any run, '?' one
 * character. ssh_pattern_match_list takes a comma-separated list whose
 * entries may start with '!': 1 if s matches, -1 if a negated entry
 * matches (which overrides), 0 otherwise.
 */
int ssh_pattern_match(const char *s, const char *pattern, size_t len);
int ssh_pattern_match_list(const char *s, const char *list, size_t len);

#endif
