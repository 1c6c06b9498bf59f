#ifndef ENVDRIFT_COLLECTOR_SSH_H
#define ENVDRIFT_COLLECTOR_SSH_H
/*
 * Agentless fleet transport: run one command on many hosts at once over
 * SSH (libssh2 on OpenSSL), from one thread multiplexing non-blocking
 * sessions with poll(). Host keys are checked against known_hosts as
 * OpenSSH does; user keys come from ssh-agent, then key files loaded once
 * for the whole run. Every host ends in exactly one state.
 */
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

enum ssh_state {
	SSH_COLLECTED,       /* command ran and exited (any exit status) */
	SSH_UNREACHABLE,     /* resolve/connect failed or refused */
	SSH_AUTH_FAILED,     /* no key was accepted */
	SSH_UNSUPPORTED_KEY, /* RSA-only host or RSA user key (no rsa-sha2 in libssh2 1.10) */
	SSH_HOSTKEY_UNKNOWN, /* not in known_hosts (and not accepting new ones) */
	SSH_HOSTKEY_CHANGED, /* known_hosts holds another key for the host */
	SSH_TIMED_OUT,       /* --connect-timeout or --deadline */
	SSH_TOO_MUCH,        /* stdout over max_bytes */
	SSH_ERROR,           /* "collection error": anything else (message says what) */
};

/* "collected", "unreachable", "auth failed", ... as in the README */
const char *ssh_state_name(enum ssh_state s);

struct ssh_target {
	const char *name;     /* for messages */
	const char *address;  /* host name or IP to connect to (NULL: name) */
	unsigned port;        /* 0 means 22 */
	const char *user;     /* NULL: the local user name */
	const char *key_file; /* replaces the run's key files; NULL: those */
	const char *command;  /* run through the remote user's shell */
	const char *jump;     /* "[user@]host[:port]" bastion or NULL */
	/* per-host limits (inventory variables); 0: the run's */
	unsigned connect_timeout_ms, deadline_ms;
	size_t max_bytes;
	void *data;           /* for the callback */
};

struct ssh_result {
	enum ssh_state state;
	const char *message;  /* one line starting with the target name */
	int exit_status;      /* of the command when SSH_COLLECTED; -1 if
			       * killed by a signal (message names it) */
	struct ed_buf *out;   /* stdout (the callback may take its bytes) */
	struct ed_buf *err;   /* first 64 KiB of stderr */
	double seconds;       /* wall time for this host */
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
	int use_agent;               /* try SSH_AUTH_SOCK first */
	/* Called once per host as it ends, from the polling thread. */
	void (*done)(const struct ssh_target *t, struct ssh_result *r,
		     void *arg);
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
 * Internals shared by ssh.c, ssh_known.c and their unit tests.
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
					   const unsigned char *key,
					   size_t len, int accept_new,
					   struct ed_buf *why);
/* The two above in one call, and the types alone (for tests and tools). */
enum ssh_known_result ssh_known_check(struct ssh_known *kh,
				      const char *address, unsigned port,
				      const unsigned char *key, size_t len,
				      int accept_new, struct ed_buf *why);
unsigned ssh_known_types(const struct ssh_known *kh, const char *address,
			 unsigned port);

#endif
