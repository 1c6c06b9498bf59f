#ifndef ENVDRIFT_COLLECTOR_COLLECTOR_H
#define ENVDRIFT_COLLECTOR_COLLECTOR_H
/*
 * Collectors: snapshot one target (this machine, a mounted root or a
 * remote host's image: collector/vfs.h) into a struct snapshot. What to
 * collect comes from a YAML configuration whose defaults are built in
 * (baselines/collect-default.yaml, sysctl-classes.yaml). Parsers take
 * buffers, not paths, so a remote stream can feed them too.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/snapshot.h"
#include "core/strvec.h"

struct ed_hmac;
struct host_identity;
struct vfs;

/* Sysctl key classes, globs on dotted keys ('.' separates). */
struct sysctl_classes {
	struct ed_strvec volatile_keys; /* never stored */
	struct ed_strvec per_host;      /* stored in sysctl-per-host */
	struct ed_strvec secret;        /* stored as hmac tokens */
	struct ed_strvec write_only;    /* never read */
};

/*
 * Fleet scan settings (the "scan" key of the configuration). 0, NULL and
 * -1 mean unset: inventory variables and command-line flags come first,
 * then these, then the defaults (README "Fleet scan").
 */
struct scan_settings {
	struct ed_strvec environments; /* group names that are environments */
	size_t jobs, connect_timeout, deadline, keepalive; /* seconds */
	size_t max_bytes;
	char *max_failed; /* "N" or "P%" */
	char *known_hosts, *ssh_config;
	int accept_new; /* -1 unset */
};

/*
 * A feature-flag command (toggles.commands): run on the host itself (this
 * machine, or over SSH), never for a mounted root; no shell.
 */
enum toggle_format { TOGGLE_YAML, TOGGLE_KV }; /* YAML/JSON; INI/.env */
struct toggle_cmd {
	char *name;  /* its flags are "NAME:KEY = VALUE" */
	char **argv; /* NULL-terminated; argv[0] absolute */
	enum toggle_format format;
	unsigned timeout_s;
};

/*
 * The snapshot files a collector may carry over from the host's previous
 * scan (collect_opts.prev): NULL-terminated.
 */
extern const char *const collect_prev_paths[];

struct collect_config {
	/* enabled collectors */
	bool packages, kernel, sysctl, services, files, identity;
	struct ed_strvec file_include; /* absolute globs: /etc then two stars */
	struct ed_strvec file_exclude; /* globs; a matching dir is pruned */
	struct ed_strvec secret_files; /* globs: whole file is a secret */
	struct ed_strvec secret_values; /* POSIX EREs, see README */
	struct ed_strvec plain_files;   /* globs: secret_values not applied */
	struct ed_strvec toggle_files; /* absolute paths of feature-flag files */
	struct toggle_cmd *toggle_cmds; /* toggles.commands */
	size_t toggle_cmds_nr;
	size_t content_max; /* text files up to this are stored */
	size_t max_files;   /* safety cap on entries per host */
	struct sysctl_classes sysctl_classes;
	struct scan_settings scan;
};

/*
 * Load configuration: the built-in defaults, then path (NULL: defaults
 * only) whose keys replace or extend them. Errors name path:line:col.
 * The caller frees *out with collect_config_free.
 */
int collect_config_load(struct collect_config **out, const char *path,
			struct ed_err *err);
void collect_config_free(struct collect_config *cfg);
/*
 * "64M", "1G", "65536": a byte count with an optional K/M/G suffix (1024
 * based), 1 to 1 TiB. -1 when malformed.
 */
int collect_parse_size(const char *s, size_t *out);
/* Seconds, 0 to 86400, as a flag or an inventory variable gives them; -1 if
 * malformed. */
int collect_parse_seconds(const char *s, unsigned *out);

struct collect_opts {
	const struct collect_config *cfg;
	struct ed_hmac *key;           /* secrets are tokenised with it */
	const struct ed_strvec *roles; /* "role NAME" lines in meta; NULL or
					* empty means the role "default" */
	/*
	 * The files stat cache of this host's previous scan (NULL: none)
	 * and where to write the new one (NULL: don't). Used only when the
	 * snapshot has a content sink; the caller persists cache_out after
	 * the commit lands.
	 */
	const char *cache_in;
	size_t cache_in_len;
	struct ed_buf *cache_out;
	/*
	 * The target's clock when its collection began (unix seconds; 0:
	 * this machine's now): entries changed within a second of it are
	 * neither taken from the stat cache nor written to it.
	 */
	long long clock;
	/*
	 * This host's previous collect_prev_paths files (NULL: none). What a
	 * collector cannot see now (a directory that became unreadable,
	 * systemctl failing, a toggles file or command failing) is carried
	 * over from it, never dropped.
	 */
	const struct snapshot *prev;
	/*
	 * Who the host is, as `collect --identity FILE` says (NULL: the
	 * identity collector finds out, collector/identity.c).
	 */
	const struct host_identity *identity;
};

/*
 * Collect every enabled collector from the target fs (collector/vfs.h:
 * this machine, a mounted root or a remote host's image) into out
 * (initialised by the caller). Unreadable entries become warnings in
 * out->warnings and return 0; a missing root or a malformed package
 * database returns an error and the snapshot must not be committed.
 */
int collect_host(struct snapshot *out, struct vfs *fs,
		 const struct collect_opts *opts, struct ed_err *err);

/*
 * What the collectors read, declared by each in one table
 * (collector/internal.h) so a target that must be asked for everything at
 * once (a fleet scan's request, collector/fleet/remote.h) is built from
 * the same entries the collectors use.
 *
 * A command: argv[0] is the first of paths that is executable (or, with
 * if_exists, that exists), then args; COLLECT_ARG_ROOT in args stands for
 * the target's root ("/" on a host). env is the whole environment of a
 * local run (NULL: this process's), and is exported on top of the remote
 * script's own. It runs only if one of when exists (NULL: always);
 * host_timeout_s puts timeout(1) around it on a host (0: never).
 * keyed_by (NULL: none): directories whose files' stat keys decide its
 * output (rpm's database), so that a fleet scan runs it on a host only
 * when one of them, or the program, changed (collector/fleet/
 * remote_cmd.c). The lists are NULL-terminated.
 */
struct collect_cmd {
	const char *const *paths;
	const char *const *args;
	const char *const *env;
	const char *const *when;
	unsigned host_timeout_s;
	bool if_exists;
	const char *const *keyed_by;
};
extern const char collect_arg_root[];
#define COLLECT_ARG_ROOT collect_arg_root

/* A command of struct collect_needs, its lists copied. */
struct collect_needs_cmd {
	struct ed_strvec paths, args, env, when, keyed_by;
	unsigned host_timeout_s;
	bool if_exists;
};

/* A file only the lines matching ere (extended, any case) are needed of. */
struct collect_filter {
	char *path;
	char *ere;
};

/*
 * The union of what the enabled collectors read, in collector order,
 * unsorted, duplicates kept. Paths are absolute.
 */
struct collect_needs {
	/* a path's own entry, and its content when it is a file */
	struct ed_strvec paths;
	/* a directory and everything below it */
	struct ed_strvec trees;
	/* a directory's entry, and the contents of the files below it alone */
	struct ed_strvec values;
	/*
	 * Also in trees, once per time the files walk starts there: files
	 * below them are read by the walk (collect_reuse_walked says which),
	 * whose stat cache may stand for their contents.
	 */
	struct ed_strvec walked;
	/*
	 * Also in paths: large inputs, never secret (package databases), a
	 * stat-keyed cache may keep the content of.
	 */
	struct ed_strvec inputs;
	struct collect_filter *filters;
	size_t filters_nr, filters_alloc;
	struct collect_needs_cmd *cmds;
	size_t cmds_nr, cmds_alloc;
};

/*
 * Fill out (zeroed by the caller) with what cfg's enabled collectors read;
 * cfg NULL: every collector's fixed entries, none from a configuration.
 * Free with collect_needs_release.
 */
void collect_needs(struct collect_needs *out, const struct collect_config *cfg);
void collect_needs_release(struct collect_needs *n);

/*
 * What a fleet scan may leave unread on a host (collector/files_cache.c):
 * the files walk's reads that its stat cache (collect_opts.cache_in, key
 * the HMAC key) answers. collect_reuse_new never fails: a cache made
 * under other settings is empty.
 */
struct collect_reuse;
struct stat;
struct collect_reuse *collect_reuse_new(const struct collect_config *cfg,
					struct ed_hmac *key, const char *cache,
					size_t len);
void collect_reuse_free(struct collect_reuse *r);
/*
 * 1 if the files walk reads the regular file at path (absolute, no
 * symlink on the way): include matches it and exclude nothing on its way.
 */
int collect_reuse_walked(const struct collect_reuse *r, const char *path);
/*
 * 1 if the walk, given st for path and the target's clock, would take
 * path's line from the cache without reading it (collect_opts.clock).
 */
int collect_reuse_hit(const struct collect_reuse *r, const char *path,
		      const struct stat *st, long long clock);
/*
 * Append st's stat key as the caches write it: " DEV INO SIZE MTIME_S
 * MTIME_NS CTIME_S CTIME_NS MODE UID GID", each field after a space.
 */
void collect_stat_key_add(struct ed_buf *out, const struct stat *st);
/*
 * 1 if st's mtime or ctime lies within a second of clock (or after): its
 * stat key cannot tell a change made in the same tick, so no cache
 * trusts it (racy, as git's index says).
 */
int collect_stat_racy(const struct stat *st, long long clock);

/*
 * 0 when root looks like a root filesystem: it has a package database
 * (dpkg, rpm, apk) or an etc/. Else ED_ENOTFOUND naming root: a mistyped
 * or unmounted --root must not record an empty host.
 */
int collect_root_check(const char *root, struct ed_err *err);
/* The first word of ROOT/etc/hostname; ED_ERROR naming the file if none. */
int collect_root_hostname(struct ed_buf *out, const char *root,
			  struct ed_err *err);
/*
 * An identity file (core/identity.h: "host = NAME", "addr4 = A", ...) at
 * path into id (zeroed by the caller; host_identity_release frees it).
 * ED_EPARSE naming path:line:column, ED_ENOTFOUND if absent.
 */
int collect_identity_load(struct host_identity *id, const char *path,
			  struct ed_err *err);
struct store;
/*
 * collect_host of the tree at root ("/": this machine, live) for host,
 * contents through st's content sink, with host's stat cache (written to
 * cache_out, which the caller saves with store_cache_save once the commit
 * landed) and previous collect_prev_paths files from st's tip. snap is
 * initialised here; the caller releases it.
 */
int collect_into_store(struct snapshot *snap, struct ed_buf *cache_out,
		       struct store *st, const char *host, const char *root,
		       const struct collect_config *cfg, struct ed_hmac *key,
		       const struct ed_strvec *roles,
		       const struct host_identity *identity, struct ed_err *err);
/*
 * 0 unless snap (of root) has no files but directories and no packages
 * while host's snapshot at st's tip has some: then ED_ERROR naming root
 * and the counts, as such a commit would wipe a host.
 */
int collect_check_emptied(struct store *st, const char *host, const char *root,
			  const struct snapshot *snap, struct ed_err *err);

/*
 * The settings of cfg that shape snapshot bytes (detector version, content
 * cap, secret and plain rules, sysctl classes, environment names) as one
 * canonical text appended to out: store_check_settings compares it with
 * the repository's (collector/settings.c).
 */
void collect_settings_text(struct ed_buf *out, const struct collect_config *cfg);

/*
 * Secret-rule upgrades (collector/upgrade.c). A host collected under the
 * current detectors has collect_format_line ("format N") in its meta.
 */
void collect_format_line(struct ed_buf *out);
/* 1 if snap's meta carries the current format line. */
int collect_snapshot_is_current(const struct snapshot *snap);
/* The same for a meta file's bytes (data NULL: none). */
int collect_meta_is_current(const char *data, size_t len);
/*
 * Rewrite old (every entry loaded with its data) as the current rules
 * would have stored it, into out (initialised by the caller): contents
 * through the detectors, credential files without content, plain digests
 * of contents not stored keyed. 1 if rewritten, 0 if old is current (out
 * untouched), ED_EKEY without a key.
 */
int collect_upgrade_host(struct snapshot *out, const struct snapshot *old,
			 const struct collect_config *cfg, struct ed_hmac *key,
			 struct ed_err *err);

/* The hosts of a repository's tip that an older release stored. */
struct collect_upgrades {
	struct snapshot *snaps; /* rewritten, ready for store_commit */
	char **envs, **hosts;
	size_t nr, alloc;
	size_t collected_old; /* hosts in skip whose stored snapshot was old */
};
/*
 * Every host at st's tip not named in skip (the hosts being collected
 * now; NULL: none) whose snapshot an older release stored, rewritten by
 * collect_upgrade_host into out. The caller commits them with its own
 * hosts and an "Envdrift-Format: N" trailer, and frees out with
 * collect_upgrades_release (also after a failure).
 */
int collect_upgrades_find(struct collect_upgrades *out, struct store *st,
			  const struct ed_strvec *skip,
			  const struct collect_config *cfg, struct ed_hmac *key,
			  struct ed_err *err);
void collect_upgrades_release(struct collect_upgrades *u);
struct store_update;
/*
 * What a writer calls under the store lock, just before store_commit: *all
 * (nall entries; the caller frees the array, and upg with
 * collect_upgrades_release) is ups plus every other host of the tip an
 * older release stored, rewritten; when any host changes format (those or
 * one of ups whose stored snapshot was old) "Envdrift-Format: N" is added
 * to trailers, so drift age reads the commit as no change.
 */
int collect_upgrade_updates(struct collect_upgrades *upg,
			    struct store_update **all, size_t *nall,
			    const struct store_update *ups, size_t nups,
			    struct ed_strvec *trailers, struct store *st,
			    const struct collect_config *cfg,
			    struct ed_hmac *key, struct ed_err *err);

#endif
