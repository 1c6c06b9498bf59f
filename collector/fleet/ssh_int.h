#ifndef ENVDRIFT_COLLECTOR_SSH_INT_H
#define ENVDRIFT_COLLECTOR_SSH_INT_H
/*
 * Internals of the fleet transport shared by ssh.c (sessions, run loop)
 * and ssh_auth.c (user keys, ssh-agent); included only by collector/ssh*.c
 * and the ssh unit tests.
 */
#include <stddef.h>

#include "collector/fleet/ssh.h"
#include "core/buf.h"

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
 * User keys: each file is read once per run. The public half goes to
 * libssh2 as "type base64" text, taken from the OpenSSH key header or from
 * KEY.pub, so libssh2 does not derive it again for every host.
 */
struct ssh_key {
	char *path;
	char *why;            /* NULL when usable */
	int missing;          /* the file does not exist */
	struct ed_buf priv;
	struct ed_buf pub;    /* "type base64"; empty: libssh2 derives it */
	struct ed_buf blob;   /* decoded public key, when known */
	unsigned type;        /* SSH_KEY_* bit; 0: not known (ECDSA PEM...) */
};

/* Read the key file at path; never NULL (k->why says why it is unusable). */
struct ssh_key *ssh_key_load(const char *path);
/* Free k, wiping the private key text; NULL is a no-op. */
void ssh_key_free(struct ssh_key *k);

/*
 * ssh-agent, spoken to directly (draft-miller-ssh-agent): one connection
 * per run, identities listed once, and a signature per host. Agent I/O is
 * blocking on a local socket, bounded by AGENT_TIMEOUT_S; after any error
 * the agent is dropped for the rest of the run.
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
int ssh_agent_call(struct agent *a, const struct ed_buf *req,
		   struct ed_buf *resp);
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

#endif
