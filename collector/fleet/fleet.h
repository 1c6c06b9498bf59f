#ifndef ENVDRIFT_COLLECTOR_FLEET_FLEET_H
#define ENVDRIFT_COLLECTOR_FLEET_FLEET_H
/*
 * The fleet transport: which hosts (an Ansible YAML inventory, narrowed by
 * --limit), where each goes (~/.ssh/config), one command run on all of
 * them at once over SSH, and the scan that collects every host's image
 * and commits the fleet in one commit. The one header of collector/fleet/
 * that other folders include; internals are in internal.h.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"
#include "core/strvec.h"

struct collect_config;
struct ed_hmac;

/*
 * Inventory (inventory*.c): Ansible inventories, YAML or INI, so teams
 * reuse what they have: groups with hosts, children and vars (anchors and
 * merge keys expanded under a cap), host ranges, inherited variables, the
 * group_vars/ and host_vars/ directories beside the file. Each host
 * resolves to one environment, its roles and the connection settings a
 * fleet scan needs. Host names and connection values are checked here so
 * shell metacharacters never pass.
 */
struct inventory;

struct inventory_opts {
	/* environment group names; NULL means dev, development, test, qa,
	 * staging, stage, preprod, prod, production */
	const char *const *envs;
	size_t nr_envs;
};

/* An envdrift_* variable. A "!vault" value is opaque: value NULL, vault 1. */
struct inventory_var {
	char *key;
	char *value;
	int vault;
};

/* The settings whose origin a host records. */
enum inventory_setting {
	INVENTORY_ENV,
	INVENTORY_CONNECTION,
	INVENTORY_ADDRESS,
	INVENTORY_PORT,
	INVENTORY_USER,
	INVENTORY_KEY_FILE,
	INVENTORY_BECOME,
	INVENTORY_NR_SETTINGS
};

/* One host after range expansion and variable inheritance; all borrowed. */
struct inventory_host {
	char *name;   /* [A-Za-z0-9._-]+ */
	char *env;    /* envdrift_env, else its one environment group */
	char **roles; /* its other groups, sorted; not all/ungrouped */
	size_t nr_roles;
	char *connection;    /* ansible_connection: "ssh" (default), "local"
			      * (this machine) or "chroot" (address is a root
			      * directory read as collect --root does) */
	char *address;       /* ansible_host; the name when unset */
	unsigned port;       /* ansible_port; 22 when unset */
	char *user;          /* ansible_user; NULL when unset */
	char *key_file;      /* ansible_ssh_private_key_file; NULL when unset */
	int become;          /* ansible_become */
	char *become_method; /* always "sudo" */
	struct inventory_var *vars; /* envdrift_* variables, sorted by key */
	size_t nr_vars;
	size_t line, col; /* where the host is first listed */
	char **groups; /* every group it is in, ancestors and "all" too, sorted */
	size_t nr_groups;
	/*
	 * Where each setting came from: "FILE:LINE" of the variable that set
	 * it (the inventory or a group_vars/host_vars file), "FILE: group G"
	 * for an environment group; NULL when it is the default.
	 */
	char *origin[INVENTORY_NR_SETTINGS];
};

/*
 * Read and resolve the inventory at path (or in buf; name is for messages).
 * opts may be NULL. The caller frees *out with inventory_free. Returns
 * ED_EIO/ED_ENOTFOUND for the file, ED_EPARSE with "path:line:col: what".
 */
int inventory_load(struct inventory **out, const char *path,
		   const struct inventory_opts *opts, struct ed_err *err);
int inventory_load_buf(struct inventory **out, const char *buf, size_t len,
		       const char *name, const struct inventory_opts *opts,
		       struct ed_err *err);
void inventory_free(struct inventory *inv);

/*
 * Narrow the selected hosts (initially all) to pattern, as --limit:
 * comma-separated terms (colon-separated when there is no comma, as in
 * Ansible), each a group name, a host name or a glob over
 * both ('*', '?', '[...]'); "!term" excludes, "&term" intersects; "all"
 * is every host. Plain terms are united first, then intersections, then
 * exclusions (Ansible's order). Limits compose. ED_ENOTFOUND names a term
 * that matches nothing, ED_EPARSE a malformed pattern.
 */
int inventory_limit(struct inventory *inv, const char *pattern,
		    struct ed_err *err);
/*
 * Narrow the selected hosts to those shard k of n owns (ed_shard_of, so
 * 1 <= k <= n): the shards of one n partition the inventory. Composes
 * with inventory_limit; cost: one SHA-256 per selected host.
 */
void inventory_shard(struct inventory *inv, unsigned k, unsigned n);

/* Selected hosts, sorted by name; pointers valid until inventory_free. */
size_t inventory_nr_hosts(const struct inventory *inv);
const struct inventory_host *inventory_host(const struct inventory *inv, size_t i);
/* Selected host by exact name, or NULL. */
const struct inventory_host *inventory_find(const struct inventory *inv,
					    const char *name);
/* Value of an envdrift_* variable of h, or NULL if unset or vault. */
const char *inventory_host_var(const struct inventory_host *h, const char *key);
/*
 * Append every variable of h (a host of inv) after inheritance, as one
 * JSON object sorted by name, typed as Ansible types them (YAML 1.1
 * scalars, INI values as Python literals); a vault value is written as
 * {"__ansible_vault": TEXT}, as ansible-inventory writes it.
 */
void inventory_host_vars_json(struct ed_buf *out, const struct inventory *inv,
			      const struct inventory_host *h);

/*
 * ssh_config (ssh_config.c): the subset of ~/.ssh/config that says where
 * a connection goes: Host blocks with OpenSSH's patterns (* ? !, several
 * per line), and HostName, User, Port, IdentityFile and ProxyJump, the
 * first value winning as in ssh(1). Every other keyword is ignored;
 * Include and Match are skipped with a warning, so nothing is ever half
 * understood.
 */
struct ssh_config;

/*
 * The settings for one host name; every field may be unset. The strings
 * are borrowed from the struct ssh_config, valid until ssh_config_free.
 */
struct ssh_config_host {
	const char *hostname; /* HostName, %h and %% expanded; NULL: unset */
	const char *user;     /* User; NULL: unset */
	unsigned port;        /* Port; 0: unset */
	const char *identity_file; /* first IdentityFile, ~ %d %h %l %n %p %r %u %% expanded */
	const char *proxy_jump; /* ProxyJump; NULL: unset or "none" */
	/* the line each value came from (0: unset), for messages */
	unsigned hostname_line, user_line, port_line, identity_file_line,
		proxy_jump_line;
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
/*
 * "path:line: Keyword" of the first directive of cfg this reader does not
 * read itself (Include, Match, ProxyCommand, CertificateFile, ...), or
 * NULL: then a lookup says all ssh(1) would do. Borrowed from cfg.
 */
const char *ssh_config_foreign(const struct ssh_config *cfg);
void ssh_config_free(struct ssh_config *cfg);

/*
 * SSH runs (ssh*.c): one command on many hosts at once (libssh2 on
 * OpenSSL), from one thread multiplexing non-blocking sessions with
 * poll(). Host keys are checked against known_hosts as OpenSSH does; user
 * keys come from ssh-agent, then key files loaded once for the whole run.
 * Every host ends in exactly one state.
 */
enum ssh_state {
	SSH_COLLECTED,   /* command ran and exited (any exit status) */
	SSH_UNREACHABLE, /* resolve/connect failed or refused */
	SSH_AUTH_FAILED, /* no key was accepted */
	SSH_UNSUPPORTED_KEY, /* RSA-only host or RSA user key (no rsa-sha2 in libssh2 1.10) */
	SSH_HOSTKEY_UNKNOWN, /* not in known_hosts (and not accepting new ones) */
	SSH_HOSTKEY_CHANGED, /* known_hosts holds another key for the host */
	SSH_TIMED_OUT,       /* --connect-timeout or --deadline */
	SSH_TOO_MUCH,        /* stdout over max_bytes */
	SSH_ERROR, /* "collection error": anything else (message says what) */
};

/* "collected", "unreachable", "auth failed", ... as in the README */
const char *ssh_state_name(enum ssh_state s);

/*
 * Which client carries a host's session. Both run the same command with
 * the same input and hand back the same stream; OpenSSH (the system ssh
 * as a child process) serves what libssh2 1.10 cannot: rsa-sha2,
 * certificates, ProxyCommand, GSSAPI, Include and Match.
 */
enum ssh_transport {
	SSH_TRANSPORT_LIBSSH2, /* libssh2 only (a zeroed target) */
	SSH_TRANSPORT_AUTO,    /* libssh2; OpenSSH once after an unsupported
				* key, host key algorithm or auth method */
	SSH_TRANSPORT_OPENSSH, /* the ssh client only */
};

/* "libssh2" (for AUTO too) or "openssh" */
const char *ssh_transport_name(enum ssh_transport t);

struct ssh_target {
	const char *name;     /* for messages */
	const char *address;  /* host name or IP to connect to (NULL: name) */
	unsigned port;        /* 0 means 22 */
	const char *user;     /* NULL: the local user name */
	const char *key_file; /* replaces the run's key files; NULL: those */
	const char *command;  /* run through the remote user's shell */
	/*
	 * The command's standard input, borrowed until ssh_run returns.
	 * NULL: none, EOF right after the exec. Else the input_len bytes
	 * are written as the channel's window allows, interleaved with
	 * reading the output (a command answering while it reads never
	 * stalls), then EOF. Writing stops early when the command's output
	 * ends. max_bytes caps the output only.
	 */
	const char *input;
	size_t input_len;
	/*
	 * A second input (NULL: none), for a command that answers the first
	 * before it reads the rest: EOF then waits until reply, called with
	 * the output read so far each time it grew, returns 1 having put the
	 * rest of the input in more (written as input is, then EOF; empty:
	 * EOF alone), or 0 to wait for more output.
	 */
	int (*reply)(const struct ssh_target *t, const char *out, size_t len,
		     struct ed_buf *more);
	const char *jump; /* "[user@]host[:port]" bastion or NULL */
	enum ssh_transport transport; /* the scan sets AUTO */
	/* OpenSSH's destination, the name ssh_config knows (NULL: address) */
	const char *dest;
	/* per-host limits (inventory variables); 0: the run's */
	unsigned connect_timeout_ms, deadline_ms;
	size_t max_bytes;
	void *data; /* for the callback */
};

struct ssh_result {
	enum ssh_state state;
	const char *message; /* one line starting with the target name */
	int exit_status;     /* of the command when SSH_COLLECTED; -1 if
			       * killed by a signal (message names it) */
	struct ed_buf *out;  /* stdout (the callback may take its bytes) */
	struct ed_buf *err;  /* first 64 KiB of stderr */
	double seconds;      /* wall time for this host */
	enum ssh_transport transport; /* LIBSSH2 or OPENSSH: the one that ran */
	const char *retried; /* libssh2's failure when OpenSSH was tried
			      * after it, else NULL */
};

/* A zero field means the default given in its comment. */
struct ssh_opts {
	unsigned jobs;               /* sessions at once (default 50) */
	unsigned connect_timeout_ms; /* TCP connect + handshake (10 s) */
	unsigned deadline_ms;        /* whole host (120 s) */
	size_t max_bytes;            /* stdout cap per host (256 MiB) */
	unsigned keepalive_s;        /* 0 = off */
	const char *known_hosts;     /* NULL: ~/.ssh/known_hosts */
	int accept_new;              /* append unknown host keys */
	const char *const *key_files; /* NULL-terminated; NULL: ~/.ssh/id_ed25519, id_ecdsa */
	int use_agent;                /* try SSH_AUTH_SOCK first */
	const char *ssh_config;  /* OpenSSH: -F FILE; NULL: its own default */
	const char *ssh_program; /* OpenSSH client (NULL: "ssh" on PATH) */
	/* Called once per host as it ends, from the polling thread. */
	void (*done)(const struct ssh_target *t, struct ssh_result *r, void *arg);
	void *arg;
	/* Called about every 200 ms for progress output (may be NULL). */
	void (*tick)(size_t done, size_t total, void *arg);
};

/*
 * Run every target; returns 0 when the run itself worked (per-host
 * failures go to done()), or an error that stopped everything before any
 * connection (ED_EKEY: no usable key at all or a named key file missing;
 * ED_EIO: known_hosts unreadable). Warnings (a known_hosts line skipped,
 * a host key added) are appended to warnings, which may be NULL.
 */
int ssh_run(const struct ssh_target *targets, size_t nr,
	    const struct ssh_opts *opts, struct ed_strvec *warnings,
	    struct ed_err *err);

/*
 * Fleet scan (scan*.c): every selected host of an inventory collected
 * (over SSH, or here for ansible_connection local and chroot) and
 * committed in one commit. A host that fails keeps its previous snapshot
 * and is named in the commit's Envdrift-Failed trailers; nothing is ever
 * recorded as removed because a host could not be read. The library never
 * prints: progress reaches the caller through struct fleet_progress.
 *
 * Each setting comes from the first of: its field below (a command-line
 * flag), the host's envdrift_* inventory variable (connect_timeout,
 * deadline, max_bytes only), the configuration's scan: key, the default.
 */
struct fleet_scan_opts {
	const char *inventory; /* path of the inventory (required) */
	const char *limit;     /* --limit pattern; NULL: every host */
	const struct collect_config *cfg; /* what to collect, scan: settings */
	/* 0 or NULL: not given */
	unsigned jobs;              /* sessions at once (default 50) */
	unsigned connect_timeout_s; /* default 10 */
	unsigned deadline_s;        /* default 120 */
	size_t max_bytes;           /* output per host (default 256 MiB) */
	const char *max_failed;     /* "N" or "P%" (default 0) */
	const char *known_hosts;    /* default ~/.ssh/known_hosts */
	const char *ssh_config;     /* default ~/.ssh/config if readable */
	int accept_new;             /* append unknown host keys (default no) */
	int prune;                  /* remove hosts that left the inventory
				      * (ignored with limit or shard) */
	/* --shard K/N: only the hosts shard K of N owns (core/shard.h);
	 * 0: not sharded. The commit carries "Envdrift-Shard: K/N". */
	unsigned shard_k, shard_n;
	unsigned threads;         /* polling threads sharing jobs (0: 1) */
	unsigned lock_timeout_ms; /* wait for another writer (store_lock) */
	/*
	 * Ask every host for every file (--full), as if no host's cache
	 * existed; the caches are still written. Else a host sends only the
	 * files its cache (beside the repository) cannot stand for.
	 */
	int full;
};

/*
 * "N" or "P%" (--max-failed, scan.max-failed): the largest failure count,
 * or percentage of the hosts, that still succeeds. -1 when malformed;
 * *n and *percent may be set even then.
 */
int fleet_parse_max_failed(const char *s, unsigned long *n, int *percent);

/*
 * What a scan will do: the selected hosts and their settings. Loading
 * reads the inventory (applying limit) and the ssh_config; errors are
 * those of inventory_load, inventory_limit and ssh_config_load. opts is
 * copied (its strings and cfg are borrowed until fleet_plan_free).
 */
struct fleet_plan;

int fleet_plan_load(struct fleet_plan **out, const struct fleet_scan_opts *opts,
		    struct ed_err *err);
void fleet_plan_free(struct fleet_plan *plan);

/* The plan's inventory (limit and shard applied), borrowed. */
const struct inventory *fleet_plan_inventory(const struct fleet_plan *p);
/* The ssh_config file the plan read (NULL: none); *flag: from --ssh-config. */
const char *fleet_plan_ssh_config(const struct fleet_plan *p, int *flag);

/* Where one connection setting of a host came from. */
enum fleet_origin_kind {
	FLEET_FROM_DEFAULT,
	FLEET_FROM_FLAG,
	FLEET_FROM_INVENTORY,  /* where: "FILE:LINE" of the variable */
	FLEET_FROM_SSH_CONFIG, /* where: the ssh_config file */
};

struct fleet_origin {
	enum fleet_origin_kind kind;
	const char *where; /* borrowed; NULL for defaults */
	unsigned line;     /* ssh_config: the line in where */
};

enum fleet_setting {
	FLEET_ADDRESS,
	FLEET_PORT,
	FLEET_USER,
	FLEET_KEY_FILE,
	FLEET_JUMP,
	FLEET_NR_SETTINGS
};

/*
 * How a scan reaches one host: the settings fleet_scan gives ssh_run
 * (it calls this), each with its origin. Strings are borrowed from the
 * plan. NULL user, key_file or jump: the local user name, the run's keys
 * (agent, ~/.ssh/id_ed25519, ~/.ssh/id_ecdsa), no bastion. transport is
 * "libssh2" for ssh hosts, "none" for local and chroot, with a one-line
 * transport_reason.
 */
struct fleet_conn {
	const char *address;
	unsigned port;
	const char *user, *key_file, *jump;
	const char *transport, *transport_reason;
	struct fleet_origin origin[FLEET_NR_SETTINGS];
};

void fleet_plan_conn(struct fleet_conn *out, const struct fleet_plan *p,
		     const struct inventory_host *ih);

/*
 * The transport the plan chose for the selected host named host, and why
 * (one line, borrowed from the plan): envdrift_transport, a setting of
 * the host's ssh_config (as `ssh -G` resolved it) that needs OpenSSH, or
 * the default (AUTO). A scan may still retry an AUTO host over OpenSSH:
 * struct fleet_host says what ran. SSH_TRANSPORT_LIBSSH2 with reason
 * NULL when host is not a selected ssh host.
 */
enum ssh_transport fleet_plan_transport(const struct fleet_plan *plan,
					const char *host, const char **reason);

/*
 * One host's outcome: name and env are borrowed from the plan, message
 * belongs to the result.
 */
struct fleet_host {
	const char *name;     /* inventory name */
	const char *env;      /* its environment: where it is stored */
	enum ssh_state state; /* SSH_COLLECTED unless failed says otherwise */
	int failed;
	char *message; /* when failed: one line, control bytes quoted */
	int local;     /* read here (connection local or chroot) */
	enum ssh_transport transport; /* LIBSSH2 or OPENSSH when over SSH */
	char *transport_reason;       /* why, one line (owned) */
	double seconds;               /* wall time for this host */
	size_t nr_warnings;           /* of its snapshot */
	/* SSH hosts collected: regular files whose content the host sent,
	 * those its cache stood for, and the bytes of its answer */
	size_t files_sent, files_reused, bytes;
	int memo; /* the same answer as last scan: its snapshot reused */
	/* the snapshot's warnings: valid during the host_done call only */
	const struct ed_strvec *warnings;
};

/* Where the scan stands when a callback is called. */
struct fleet_counts {
	size_t done, failed, total;
	double seconds; /* since the first host started */
};

struct fleet_result;

/*
 * Callbacks (each may be NULL), never called at the same time: worker
 * threads take the scan's lock around them.
 */
struct fleet_progress {
	/* a host ended, collected or failed */
	void (*host_done)(const struct fleet_host *h,
			  const struct fleet_counts *c, void *arg);
	/* about every 200 ms while SSH sessions run */
	void (*tick)(const struct fleet_counts *c, void *arg);
	/*
	 * every host ended, before the commit is taken: r holds everything
	 * but commit and seconds
	 */
	void (*collected)(const struct fleet_result *r,
			  const struct fleet_counts *c, void *arg);
	void *arg;
};

struct fleet_result {
	struct fleet_host *hosts; /* the selected hosts, sorted by name */
	size_t nr, failed;
	size_t nr_warnings; /* all hosts' snapshot warnings */
	/* ssh_config, known_hosts, keys, --jobs lowered ... one line each */
	struct ed_strvec warnings;
	int prune_ignored;   /* prune was asked for with a limit or shard */
	int too_many_failed; /* more failures than max_failed allows */
	struct store_result commit;
	double seconds; /* from the first host to the commit */
};

/*
 * Remove the fleet scan's stat cache of the host named name (kept beside
 * the repository, never in history): a host pruned or forgotten, whose
 * cache could name content that is gone.
 */
void fleet_cache_drop(struct store *st, const char *name);

/*
 * Scan plan's hosts into st: each host's snapshot contents go into st as
 * it is collected (key tokenises secrets), then one commit under the
 * repository lock with subject "scan INVENTORY: N of M hosts collected"
 * and the Envdrift-Collected/-Failed/-Pruned/-Scan (and -Shard) trailers. Host failures
 * are in out, not errors. Errors: the repository's, ED_EPARSE for a bad
 * envdrift_* inventory variable, ED_EKEY/ED_EIO from ssh_run, ED_ELOCKED.
 * The caller releases out with fleet_result_release, before freeing plan;
 * after a failure out is already released (a second release is harmless).
 */
int fleet_scan(struct fleet_result *out, struct fleet_plan *plan,
	       struct store *st, struct ed_hmac *key,
	       const struct fleet_progress *progress, struct ed_err *err);
void fleet_result_release(struct fleet_result *r);

#endif
