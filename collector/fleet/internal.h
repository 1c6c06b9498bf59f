#ifndef ENVDRIFT_COLLECTOR_FLEET_INTERNAL_H
#define ENVDRIFT_COLLECTOR_FLEET_INTERNAL_H
/*
 * Internals of the fleet transport, shared by the files of
 * collector/fleet/ and their unit tests; no other folder includes this.
 * Sections follow the files, leaves first: SSH wire helpers, known_hosts,
 * user keys and ssh-agent, name resolution, the session state machine,
 * the inventory's parts, the scan's parts.
 */
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <libssh2.h>

#include "collector/fleet/fleet.h"
#include "core/buf.h"
#include "core/snapshot.h"
#include "core/strvec.h"

/*
 * SSH wire format and key types (ssh_wire.c): the leaves every other
 * ssh*.c file uses.
 */

/* libssh2_init, exactly once per process (thread-safe through pthread_once). */
void ssh_lib_init(void);

/* Key algorithms, as bits so a set of them fits in an unsigned. */
enum ssh_key_type {
	SSH_KEY_ED25519 = 1 << 0,
	SSH_KEY_ECDSA256 = 1 << 1,
	SSH_KEY_ECDSA384 = 1 << 2,
	SSH_KEY_ECDSA521 = 1 << 3,
	SSH_KEY_RSA = 1 << 4,
	SSH_KEY_DSS = 1 << 5,
};
#define SSH_KEY_LEGACY (SSH_KEY_RSA | SSH_KEY_DSS)

/* "ssh-ed25519" and so on; NULL for 0 or several bits. */
const char *ssh_key_type_name(unsigned type);
/* The bit for an algorithm name of len bytes, 0 if not one of ours. */
unsigned ssh_key_type_parse(const char *name, size_t len);
/* The bit for a public key blob (its leading name string), 0 if unknown. */
unsigned ssh_key_blob_type(const unsigned char *blob, size_t len);
/* Append "SHA256:<unpadded base64>", as ssh-keygen -l prints it. */
void ssh_key_fingerprint(struct ed_buf *out, const unsigned char *blob,
			 size_t len);
/* Base64 (RFC 4648) encode, with or without '=' padding. */
void ssh_b64_encode(struct ed_buf *out, const void *p, size_t len, int pad);
/* Decode base64 (whitespace skipped, padding optional); -1 if malformed. */
int ssh_b64_decode(struct ed_buf *out, const char *s, size_t len);

/* SSH wire format readers (RFC 4251 uint32 and string). */
struct rd {
	const unsigned char *p;
	size_t left;
};

/* Read a uint32 / a string from r and advance it; -1 if r is too short. */
int ssh_rd_u32(struct rd *r, size_t *out);
int ssh_rd_str(struct rd *r, const unsigned char **s, size_t *len);
/* Append a uint32 / a length-prefixed string to b. */
void ssh_put_u32(struct ed_buf *b, size_t v);
void ssh_put_str(struct ed_buf *b, const void *s, size_t len);

/*
 * OpenSSH's pattern matching (ssh_config.c), case-insensitive: '*' any
 * run, '?' one character. ssh_pattern_match_list takes a comma-separated
 * list whose entries may start with '!': 1 if s matches, -1 if a negated
 * entry matches (which overrides), 0 otherwise.
 */
int ssh_pattern_match(const char *s, const char *pattern, size_t len);
int ssh_pattern_match_list(const char *s, const char *list, size_t len);

/*
 * known_hosts (ssh_known.c): read once per run; lookups as OpenSSH does
 * them ("[address]:port" unless the port is 22, hashed names, comma
 * lists), plus the lines libssh2 1.10 cannot use, kept aside to explain.
 */
struct ssh_known;

enum ssh_known_result {
	SSH_KNOWN_MATCH,   /* trusted */
	SSH_KNOWN_ADDED,   /* unknown, appended (accept_new); why says what */
	SSH_KNOWN_NEW,     /* unknown, refused; why says what */
	SSH_KNOWN_CHANGED, /* another key or a revoked one; why says what */
	SSH_KNOWN_FAILED,  /* could not append; why says why */
};

/*
 * Read path (NULL: ~/.ssh/known_hosts of the running user). A missing
 * file is empty (created on the first append). Unusable lines become
 * warnings "path:line: skipped: why". ED_EIO if unreadable. The caller
 * frees *out with ssh_known_free.
 */
int ssh_known_load(struct ssh_known **out, const char *path,
		   struct ed_strvec *warnings, struct ed_err *err);
void ssh_known_free(struct ssh_known *kh);

/*
 * What known_hosts holds for one host, found in one pass over it (one
 * HMAC per hashed line, about 0.3 us): the key types, for the algorithm
 * preference before the handshake, and the lines, for the check after it.
 */
struct ssh_known_host {
	char *spec;     /* "[address]:port", or "address" for port 22 */
	unsigned types; /* SSH_KEY_* bits */
	size_t *lines;  /* the lines naming the host (internal) */
	size_t nr, alloc, upto;
};

/* Fill out for address:port (port 0 means 22); release it after. */
void ssh_known_lookup(struct ssh_known_host *out, const struct ssh_known *kh,
		      const char *address, unsigned port);
void ssh_known_host_release(struct ssh_known_host *h);
/*
 * Check the host key blob the host presented. With accept_new an
 * unknown key is appended to the file as one plain line, unless another
 * key type or an unusable line applies to the host. why (reset first) gets
 * one line without the host name, for anything but SSH_KNOWN_MATCH.
 */
enum ssh_known_result ssh_known_check_host(struct ssh_known *kh,
					   struct ssh_known_host *h,
					   const unsigned char *key, size_t len,
					   int accept_new, struct ed_buf *why);
/* The two above in one call, and the types alone (for tests and tools). */
enum ssh_known_result ssh_known_check(struct ssh_known *kh, const char *address,
				      unsigned port, const unsigned char *key,
				      size_t len, int accept_new,
				      struct ed_buf *why);
unsigned ssh_known_types(const struct ssh_known *kh, const char *address,
			 unsigned port);

/*
 * User keys (ssh_key.c): each file is read once per run. The public half
 * goes to libssh2 as "type base64" text, taken from the OpenSSH key header
 * or from KEY.pub, so libssh2 does not derive it again for every host.
 */
struct ssh_key {
	char *path;
	char *why;   /* NULL when usable */
	int missing; /* the file does not exist */
	struct ed_buf priv;
	struct ed_buf pub;  /* "type base64"; empty: libssh2 derives it */
	struct ed_buf blob; /* decoded public key, when known */
	unsigned type;      /* SSH_KEY_* bit; 0: not known (ECDSA PEM...) */
	/*
	 * An Ed25519 key, parsed once: each host then costs one signature
	 * (ssh_key_sign), where libssh2 would decode the PEM text every time.
	 * NULL for other types, which libssh2 reads from priv.
	 */
	struct evp_pkey_st *ed25519;
};

/* Read the key file at path; never NULL (k->why says why it is unusable). */
struct ssh_key *ssh_key_load(const char *path);
/* Free k, wiping the private key text; NULL is a no-op. */
void ssh_key_free(struct ssh_key *k);
/*
 * Sign data with k->ed25519: the raw 64-byte signature in *sig (malloc'd,
 * libssh2 frees it), as libssh2_userauth_publickey's callback gives it.
 */
int ssh_key_sign(const struct ssh_key *k, unsigned char **sig, size_t *sig_len,
		 const unsigned char *data, size_t data_len);

/*
 * ssh-agent (ssh_agent.c), spoken to directly (draft-miller-ssh-agent):
 * one connection per run, identities listed once, and a signature per
 * host. Agent I/O is blocking on a local socket, bounded by
 * AGENT_TIMEOUT_S; after any error the agent is dropped for the rest of
 * the run.
 */
struct agent_id {
	struct ed_buf blob;
	char *comment;
	unsigned type;
};

struct agent {
	int fd;
	struct agent_id *ids;
	size_t nr, alloc;
	char *status; /* why it is not used, for messages */
};

/* Connect to path and list the identities; on failure a->status says why. */
void ssh_agent_open(struct agent *a, const char *path);
/* Send req, read the reply into resp; -1 (and the agent closed) on error. */
int ssh_agent_call(struct agent *a, const struct ed_buf *req, struct ed_buf *resp);
/* Stop using the agent; why is kept in a->status unless one is set already. */
void ssh_agent_close(struct agent *a, const char *why);
/* Close and free everything; a is left closed (fd -1) and empty. */
void ssh_agent_release(struct agent *a);

/*
 * Host names resolved once each, in parallel threads, before the poll
 * loop (ssh_resolve.c). NULL and numeric entries of hosts are skipped.
 */
struct addrinfo;
struct ssh_names;
struct ssh_names *ssh_names_resolve(const char *const *hosts, size_t n);
/*
 * -1 when host was not resolved here (numeric, or not in the list); else
 * getaddrinfo's code, and on 0 *ai (port 0, owned by the cache); on
 * EAI_SYSTEM *sys_errno.
 */
int ssh_names_find(const struct ssh_names *c, const char *host,
		   const struct addrinfo **ai, int *sys_errno);
void ssh_names_free(struct ssh_names *c);

/*
 * The session state machine. ssh.c runs the poll loop and calls one step
 * function per phase: ssh_connect.c (connect, handshake, host key),
 * ssh_auth.c (user authentication), ssh_tunnel.c (ProxyJump),
 * ssh_channel.c (exec, input, output, exit status). Steps report through
 * the leaves of ssh_conn.c; none calls back into ssh.c.
 */

/* One credential to offer: an agent identity or a key file. */
struct cred {
	const struct agent_id *id;
	const struct ssh_key *key;
};

enum phase {
	PH_IDLE,
	PH_CONNECT,
	PH_HANDSHAKE,
	PH_AUTH,
	PH_TUNNEL, /* bastion only: the direct-tcpip channel to the target */
	PH_OPEN,
	PH_EXEC,
	PH_EOF,
	PH_READ,
	PH_WAIT_CLOSED,
	PH_CLOSE,
	PH_PROC, /* OpenSSH: the ssh client runs the command (ssh_openssh.c) */
};

/* One SSH connection: to the target, or to the bastion in front of it. */
struct hop {
	const char *address, *user;
	unsigned port;
	const char *key_file;        /* the target's own key, else the run's */
	struct ssh_known_host known; /* its known_hosts lines */
	int fd;
	short events;              /* what fd waits for */
	struct addrinfo *ai_list;  /* owned; NULL when from the run's names */
	const struct addrinfo *ai; /* the address being tried (port 0) */
	int resolved;
	int conn_errno; /* last connect() failure */
	LIBSSH2_SESSION *s;
	struct cred *creds;
	size_t ncreds, acreds, cred;
	unsigned tried_legacy, tried_modern;
	struct ed_buf tried; /* key names, for messages */
};

/*
 * libssh2 1.10 must see the call that returned EAGAIN while a packet was
 * half sent repeated before any other send on that session (else it
 * drops or repeats a packet, or fails with LIBSSH2_ERROR_BAD_USE); a
 * channel read may send a window adjustment. "pending" says which call
 * comes first.
 */
enum { PEND_NONE, PEND_READ, PEND_WRITE, PEND_EOF };

/*
 * ProxyJump: the target's session runs over a socketpair whose other end
 * is pumped to and from a direct-tcpip channel of the bastion's session.
 */
struct tunnel {
	LIBSSH2_CHANNEL *ch;
	int pair; /* our end; the target's session has the other */
	short events;
	struct ed_buf up, down; /* to the bastion channel, to the pair */
	size_t up_off, down_off;
	int pending;
	int up_eof, down_eof;
};

/*
 * A child process with pipes to its stdin, stdout and stderr (ssh_proc.c),
 * in a process group of its own so a deadline kills what it started too
 * (a ProxyCommand). Our ends are non-blocking and close-on-exec.
 */
struct proc {
	pid_t pid;        /* 0: none */
	int in, out, err; /* -1: closed */
};

struct run;

struct conn {
	struct run *run;
	const struct ssh_target *t;
	enum phase phase;
	struct hop hop[2]; /* [0] the bastion, [1] the target */
	int cur;           /* the hop being set up */
	struct tunnel tun;
	char *jump; /* copy of t->jump, split in place */
	int spin;   /* EAGAIN without a direction: retry after SPIN_MS */
	LIBSSH2_CHANNEL *ch;
	void *abstract; /* for the agent sign callback: this conn */
	long long t0, connect_by, deadline, keepalive_at;
	int connected;    /* the target's handshake is done */
	size_t max_bytes; /* stdout cap for this host */
	size_t in_off;    /* t->input bytes the channel took */
	int in_done;      /* EOF sent, or the output ended first */
	int replied;      /* t->reply gave the rest of the input: more */
	struct ed_buf more;
	size_t more_off; /* more bytes the channel took */
	int pending;     /* PEND_*: the channel call to repeat first */
	struct ed_buf out, err, msg;
	enum ssh_state state;
	int exit_status;
	/* OpenSSH (ssh_openssh.c): the ssh client instead of hop[] */
	int openssh;
	struct proc proc;
	int out_eof, err_eof;
	char *retried; /* libssh2's failure before the OpenSSH retry */
};

struct run {
	struct ssh_opts o; /* defaults filled in */
	const struct ssh_target *targets;
	size_t total, started, finished;
	struct ed_strvec *warnings;
	struct ssh_known *known;
	struct agent agent;
	struct ssh_key **keys; /* the run's key files, then targets' */
	size_t nkeys, akeys, ndefault;
	char *local_user, *home;
	struct conn *conns;
	struct pollfd *pfd; /* up to three per connection */
	struct conn **pfd_conn;
	struct ssh_names *names; /* host names resolved before the loop */
	char *ssh_path;          /* the OpenSSH client; NULL: none found */
};

/* What a step tells the loop: go on with the next phase, wait, or end. */
enum step { STEP_NEXT, STEP_WAIT, STEP_END };

/* Why RSA fails with libssh2 1.10, for messages. */
extern const char ssh_rsa_why[];

/* ssh_conn.c: the leaves every step uses. */
long long ssh_now_ms(void);
/* Set the host's final state and its one-line message; STEP_END. */
enum step ssh_conn_fail(struct conn *c, enum ssh_state st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* libssh2's last error message for s, never NULL. */
const char *ssh_sess_err(LIBSSH2_SESSION *s);
/* The poll events libssh2 says s blocked on. */
short ssh_directions(LIBSSH2_SESSION *s);
/* After EAGAIN: wait for what libssh2 says it blocked on; STEP_WAIT. */
enum step ssh_conn_wait(struct conn *c);
/*
 * The command's byte stream, the same for both transports, while the
 * output is read into c->out as it comes. ssh_input_next: the bytes of
 * input not yet taken, *len of them at *next, and 1; *len 0 when all are,
 * which is when a transport half-closes (libssh2 EOF, or closing ssh's
 * stdin); 0 while a phased command's second input (t->reply) waits for
 * its answer: send nothing and keep reading. ssh_input_took: n of them
 * were written. ssh_input_answer: after the output grew, asks t->reply
 * for the second input until it gives it.
 */
int ssh_input_next(const struct conn *c, const char **next, size_t *len);
void ssh_input_took(struct conn *c, size_t n);
void ssh_input_answer(struct conn *c);

/* ssh_connect.c */
enum step ssh_step_connect(struct run *r, struct conn *c, short revents);
/* A session on the current hop's connected fd; then the handshake. */
enum step ssh_session_start(struct run *r, struct conn *c);
enum step ssh_step_handshake(struct run *r, struct conn *c);

/* ssh_auth.c */
/* The credentials to offer on hop h: agent identities, then key files. */
void ssh_hop_creds(struct run *r, struct hop *h);
enum step ssh_step_auth(struct run *r, struct conn *c);
/* The key at path (~ expanded), read on first use and kept for the run. */
struct ssh_key *ssh_run_key(struct run *r, const char *path);
/* Read the run's key files; ED_EKEY when none can be used at all. */
int ssh_run_keys(struct run *r, struct ed_err *err);

/* ssh_tunnel.c */
/*
 * "[user@]host[:port]" (or ssh://...), split in place: *user NULL when
 * absent. NULL or why it cannot be used.
 */
const char *ssh_split_jump(char *s, char **user, char **address, unsigned *port);
/* The bastion hop from c->jump (split in place); NULL or why not. */
const char *ssh_parse_jump(struct run *r, struct conn *c);
enum step ssh_step_tunnel(struct run *r, struct conn *c);
/* Move bytes both ways between the pair and the bastion's channel. */
enum step ssh_tunnel_pump(struct conn *c);

/*
 * ssh_proc.c: children for the OpenSSH transport and ssh -G. The stream
 * calls return bytes moved (> 0), 0 when the pipe would block, -1 on an
 * error (errno set); a read returns -2 at end of file, and closes *fd
 * then as after an error.
 */
/* The first executable name on $PATH (or name if it has a '/'), or NULL. */
char *ssh_proc_which(const char *name);
/* Start path with argv; want_input: a pipe to its stdin, else /dev/null. */
int ssh_proc_spawn(struct proc *p, const char *path, char *const *argv,
		   int want_input);
ssize_t ssh_proc_write(struct proc *p, const char *buf, size_t len);
/* Half-close: the child sees EOF on its stdin. */
void ssh_proc_close_input(struct proc *p);
ssize_t ssh_proc_read(int *fd, char *buf, size_t len);
/* 1 and *status (waitpid's) once the child exited, else 0 (no wait). */
int ssh_proc_reap(struct proc *p, int *status);
/* Kill the child's process group, reap it, close every pipe. */
void ssh_proc_kill(struct proc *p);

/* ssh_openssh.c: a session run by the ssh client (PH_PROC). */
/* Start c's target over OpenSSH; STEP_END with c->state set on failure. */
enum step ssh_openssh_start(struct run *r, struct conn *c);
enum step ssh_step_proc(struct conn *c);
/* The poll events for each of the child's pipes (in, out, err). */
void ssh_openssh_events(const struct conn *c, short ev[3]);
/* 1 when a libssh2 failure is one OpenSSH may not have (rsa-sha2, ...). */
int ssh_openssh_retryable(const struct conn *c);
/* "ssh" then every argument, for -v and tests: the command line used. */
void ssh_openssh_argv(struct ed_strvec *out, const struct run *r,
		      const struct ssh_target *t);

/* ssh_channel.c */
enum step ssh_step_open(struct conn *c);
enum step ssh_step_exec(struct conn *c);
enum step ssh_step_read(struct conn *c);
enum step ssh_step_close(struct conn *c);

/*
 * The inventory's parts: inventory.c (the API, --limit) calls
 * inventory_parse.c (YAML to groups and host definitions), inventory_ini.c
 * (an INI inventory into the same YAML shape), inventory_vars.c
 * (group_vars/ and host_vars/ beside the file) and inventory_resolve.c
 * (inheritance, environment, connection settings), which uses the group
 * table of inventory_parse.c. inventory_json.c writes variables as JSON.
 */
#define INV_NONE SIZE_MAX
#define INV_MAX_HOSTS 100000
/* the tag INI values carry (tag:yaml.org,2002:str and so on) */
#define INV_TAG_PREFIX "tag:yaml.org,2002:"

struct ed_ynode;

/* One mapping of variables and the file it was read from (borrowed). */
struct inv_vars {
	const struct ed_ynode *map;
	const char *file;
	int from_dir; /* group_vars/host_vars: after every inventory group's */
};

/* Variables visible to one host: later inv_varset_set calls override. */
struct inv_varset {
	const struct ed_ynode **keys, **vals;
	const char **files;
	size_t nr, alloc;
};

struct inv_group {
	char *name;
	size_t *parents;
	size_t nr_parents, alloc_parents;
	struct inv_vars *vars; /* "vars:" mappings, in file order, then files */
	size_t nr_vars, alloc_vars;
	size_t depth;
	int state; /* depth: 0 not computed, 1 in progress, 2 done */
	int is_env;
	size_t mark;
};

struct inv_hostdef {
	char *name;
	size_t line, col;
	size_t *groups; /* direct, then (after resolve) every ancestor too */
	size_t nr_groups, alloc_groups;
	struct inv_vars *vars;
	size_t nr_vars, alloc_vars;
	struct inv_varset all; /* after resolve: every variable, inherited */
};

struct inventory {
	char *name;
	struct ed_ynode *doc;
	const char *const *envs;
	size_t nr_envs;
	struct inv_group *groups;
	size_t nr_groups, alloc_groups;
	struct inv_hostdef *defs;
	size_t nr_defs, alloc_defs;
	size_t *hash; /* index + 1 into defs, open addressing */
	size_t hash_size;
	struct inventory_host *hosts; /* parallel to defs, sorted by name */
	unsigned char *selected;
	size_t *sel;
	size_t nr_sel;
	/* group_vars/ and host_vars/ files: their names and trees */
	struct ed_strvec var_files;
	struct ed_ynode **var_docs;
	size_t nr_var_docs, alloc_var_docs;
};

/* inventory_parse.c */
/* Every group of the document (a mapping) into inv's groups and defs. */
int inv_parse(struct inventory *inv, const struct ed_ynode *doc,
	      struct ed_err *err);
/* [A-Za-z0-9._-]+, plus the characters of extra (NULL: none). */
int inv_valid_name(const char *s, const char *extra);
/* A YAML null (~, null, empty, !!null), or a "!vault" value. */
int inv_is_null(const struct ed_ynode *n);
int inv_is_vault(const struct ed_ynode *n);
/* The index of group name, created when new. */
size_t inv_group_get(struct inventory *inv, const char *name);
/* Append x to the index list v unless it holds x already. */
void inv_add_index(size_t **v, size_t *nr, size_t *alloc, size_t x);
/* Append a vars mapping read from file to *v. */
void inv_vars_add(struct inv_vars **v, size_t *nr, size_t *alloc,
		  const struct ed_ynode *map, const char *file);

/*
 * inventory_ini.c: 1 when buf looks like an INI inventory (a "[section]"
 * or "host key=value" line before anything YAML-shaped), as Ansible tries
 * its parsers. inv_ini_load reads it into the tree a YAML inventory gives
 * ({group: {hosts:, children:, vars:}}), values typed as Ansible's INI
 * parser types them (INV_TAG_PREFIX tags); ED_EPARSE "name:line: what".
 */
int inv_ini_detect(const char *buf, size_t len);
int inv_ini_load(struct ed_ynode **out, const char *buf, size_t len,
		 const char *name, struct ed_err *err);
/*
 * A Python literal (ast.literal_eval's subset: numbers, strings, True,
 * False, None, lists, tuples, dicts) as a tagged node at line:col; NULL
 * when s is not one (Ansible then keeps the text).
 */
struct ed_ynode *inv_pyliteral(const char *s, size_t line, size_t col);

/*
 * inventory_vars.c: group_vars/NAME and host_vars/NAME under dir, found
 * and merged as Ansible's host_group_vars plugin does, appended to each
 * group's and host's vars (after the inventory file's: they override it).
 * Errors: ED_EPARSE "file:line:col: what", ED_EIO.
 */
int inv_load_var_dirs(struct inventory *inv, const char *dir, struct ed_err *err);

/* inventory_resolve.c: every host definition into inv->hosts, all selected. */
int inv_resolve(struct inventory *inv, struct ed_err *err);

/*
 * The scan's parts: scan.c (the plan, targets, commit) calls scan_host.c
 * (the worker pool and each host's collection).
 */
struct fleet_plan {
	struct fleet_scan_opts o; /* flags, then scan:, then the defaults */
	int flag_connect, flag_deadline,
		flag_bytes; /* given: variables do not apply */
	unsigned long max_failed;
	int max_failed_pct;
	unsigned keepalive_s;
	struct inventory *inv;
	struct ssh_config *sshcfg;   /* NULL: none */
	char *sshcfg_path;           /* the file read, or NULL */
	const char *flag_ssh_config; /* --ssh-config as given */
	int sshcfg_flag;             /* sshcfg_path is the flag's */
	struct ed_strvec warnings;   /* from reading the ssh_config */
	const char *ssh_F; /* the file given, for ssh -F; NULL: none */
	/* per selected host, in inventory order (transport.c) */
	enum ssh_transport *transport;
	char **transport_reason;
};

/*
 * A host's snapshot memo (scan_memo.c): the snapshot as blob ids, its
 * warnings and kept paths. scan_memo_write fails (-1) when an entry has
 * no id yet; scan_memo_read fails on a damaged memo, adding nothing.
 */
int scan_memo_write(struct ed_buf *out, const struct snapshot *snap);
int scan_memo_read(struct snapshot *snap, const char *p, size_t len);

struct remote_session;
struct ed_hmac;

struct scan_host {
	const struct inventory_host *inv;
	struct fleet_host *pub; /* in the result */
	struct snapshot snap;   /* when collected */
	int collected;
	const char *transport_reason; /* the plan's, borrowed */
	/* SSH hosts: the two-phase exchange (remote.h), on its worker */
	struct scan *scan;
	struct ed_hmac *key; /* the worker's */
	struct remote_session *sess;
	int cache_pending; /* its next cache waits for the commit */
};

/* The store's sink behind a mutex, for several polling threads. */
struct locked_sink {
	struct snapshot_sink base;
	struct snapshot_sink *inner;
	pthread_mutex_t *lock;
};

struct scan {
	struct scan_host *hosts;
	size_t nr;
	const struct collect_config *cfg;
	struct store *st;
	pthread_mutex_t lock; /* store reads, counters, callbacks */
	struct locked_sink sink;
	struct store_view *prev;       /* the tip before the scan, or NULL */
	struct store_host *prev_hosts; /* sorted by host name */
	size_t prev_nr;
	size_t done, failed;
	const struct fleet_progress *progress;
	struct timespec start;
	int full; /* every file asked for, caches written only */
};

/*
 * transport.c: each selected ssh host's transport, from envdrift_transport,
 * else from `ssh -G` (run 8 at a time) when the ssh_config has directives
 * ssh_config.c does not read. ED_EPARSE for a bad envdrift_transport, or a
 * host or user starting with '-'.
 */
int plan_transports(struct fleet_plan *p, struct ed_err *err);
void plan_transports_free(struct fleet_plan *p);

/* scan_host.c */
/* Set up s's content sink over st's (several threads share it). */
void scan_sink_init(struct scan *s, struct store *st);
/* The tip before the scan and its hosts, sorted (none: s->prev NULL). */
int scan_load_prev(struct scan *s, struct ed_err *err);
/*
 * Run the targets on nthreads polling threads (1: this thread). Each gets
 * a contiguous share and jobs/nthreads sessions. Returns the first error.
 */
int scan_run_workers(struct scan *s, const struct ssh_target *targets,
		     size_t nr, const struct ssh_opts *so, unsigned nthreads,
		     struct ed_hmac *key, struct ed_strvec *warnings,
		     struct ed_err *err);
/* Where s stands now, for a callback. */
void scan_counts(struct fleet_counts *c, const struct scan *s);
/* ssh_target.reply of an SSH host: its session's second request. */
int scan_reply(const struct ssh_target *t, const char *out, size_t len,
	       struct ed_buf *more);
/* Land (the commit did: landed) or drop every host's pending cache. */
void scan_caches_finish(struct scan *s, int landed);
/* Collect a host of connection local (this machine) or chroot (a root dir). */
void scan_collect_local(struct scan *s, struct ed_hmac *key, struct scan_host *h);

#endif
