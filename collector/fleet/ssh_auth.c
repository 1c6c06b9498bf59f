/*
 * User authentication, the session step after the host key: the
 * credentials a hop offers (ssh-agent identities, then key files, RSA and
 * DSA last), each tried in turn, with messages that say what was tried and
 * why RSA cannot work. The run's key files are read here, once.
 */
#include "collector/fleet/internal.h"

#include <stdlib.h>
#include <string.h>

#include <libssh2.h>

#include "core/alloc.h"

static void add_cred(struct hop *h, const struct agent_id *id,
		     const struct ssh_key *key)
{
	ED_ALLOC_GROW(h->creds, h->ncreds + 1, h->acreds);
	h->creds[h->ncreds].id = id;
	h->creds[h->ncreds].key = key;
	h->ncreds++;
}

static int same_key(const struct ssh_key *k, const struct agent_id *id)
{
	return k->blob.len && k->blob.len == id->blob.len &&
	       !memcmp(k->blob.ptr, id->blob.ptr, k->blob.len);
}

/* Agent identities, then key files; RSA and DSA keys last. */
void ssh_hop_creds(struct run *r, struct hop *h)
{
	struct ssh_key *own = h->key_file ? ssh_run_key(r, h->key_file) : NULL;
	size_t i, j, nkeys = own ? 1 : r->ndefault;
	int legacy, dup;

	for (legacy = 0; legacy < 2; legacy++) {
		for (i = 0; r->agent.fd >= 0 && i < r->agent.nr; i++)
			if (!!(r->agent.ids[i].type & SSH_KEY_LEGACY) == legacy)
				add_cred(h, &r->agent.ids[i], NULL);
		for (i = 0; i < nkeys; i++) {
			const struct ssh_key *k = own ? own : r->keys[i];

			if (k->why || !!(k->type & SSH_KEY_LEGACY) != legacy)
				continue;
			/* the agent already offered this key */
			for (j = 0, dup = 0;
			     r->agent.fd >= 0 && j < r->agent.nr; j++)
				dup |= same_key(k, &r->agent.ids[j]);
			if (!dup)
				add_cred(h, NULL, k);
		}
	}
}

static LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC(agent_sign)
{
	struct conn *c = *abstract;
	const struct hop *h = &c->hop[c->cur];
	const struct agent_id *id = h->creds[h->cred].id;
	struct agent *a = &c->run->agent;
	struct ed_buf req = ED_BUF_INIT, resp = ED_BUF_INIT;
	const unsigned char *blob, *alg, *raw;
	size_t blen, alen, rlen;
	struct rd r;
	int rc = -1;

	(void)session;
	ed_buf_addch(&req, 13); /* SSH2_AGENTC_SIGN_REQUEST */
	ssh_put_str(&req, id->blob.ptr, id->blob.len);
	ssh_put_str(&req, data, data_len);
	ssh_put_u32(&req, 0);
	if (ssh_agent_call(a, &req, &resp) < 0 || resp.ptr[0] != 14)
		goto out;
	r.p = (const unsigned char *)resp.ptr + 1;
	r.left = resp.len - 1;
	if (ssh_rd_str(&r, &blob, &blen) < 0)
		goto out;
	r.p = blob;
	r.left = blen;
	if (ssh_rd_str(&r, &alg, &alen) < 0 || ssh_rd_str(&r, &raw, &rlen) < 0)
		goto out;
	/* libssh2 frees it with its allocator, the default malloc/free */
	*sig = malloc(rlen ? rlen : 1);
	if (!*sig)
		goto out;
	memcpy(*sig, raw, rlen);
	*sig_len = rlen;
	rc = 0;
out:
	ed_buf_release(&req);
	ed_buf_release(&resp);
	return rc;
}

static LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC(key_sign)
{
	struct conn *c = *abstract;
	const struct hop *h = &c->hop[c->cur];

	(void)session;
	return ssh_key_sign(h->creds[h->cred].key, sig, sig_len, data, data_len);
}

static void cred_name(struct ed_buf *out, const struct cred *cr)
{
	if (cr->id)
		ed_buf_addf(out, "agent key '%s'", cr->id->comment);
	else
		ed_buf_adds(out, cr->key->path);
}

static enum step auth_exhausted(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];

	if (!h->ncreds) {
		const struct ssh_key *own =
			h->key_file ? ssh_run_key(r, h->key_file) : NULL;

		if (own && own->why)
			return ssh_conn_fail(c, SSH_AUTH_FAILED, "key %s: %s",
					     own->path, own->why);
		return ssh_conn_fail(c, SSH_AUTH_FAILED,
				     "no usable key for user '%s'", h->user);
	}
	if (h->tried_legacy && !h->tried_modern)
		return ssh_conn_fail(c, SSH_UNSUPPORTED_KEY,
				     "RSA/DSA key rejected for user '%s' (%s): %s",
				     h->user, h->tried.ptr, ssh_rsa_why);
	return ssh_conn_fail(c, SSH_AUTH_FAILED,
			     "authentication failed for user '%s' (tried %s)%s%s",
			     h->user, h->tried.ptr, h->tried_legacy ? "; " : "",
			     h->tried_legacy ? ssh_rsa_why : "");
}

enum step ssh_step_auth(struct run *r, struct conn *c)
{
	struct hop *h = &c->hop[c->cur];
	const struct cred *cr;
	int rc;

	for (; h->cred < h->ncreds; h->cred++) {
		cr = &h->creds[h->cred];
		if (cr->id) {
			rc = libssh2_userauth_publickey(
				h->s, h->user,
				(const unsigned char *)cr->id->blob.ptr,
				cr->id->blob.len, agent_sign, &c->abstract);
		} else if (cr->key->ed25519 && cr->key->blob.len) {
			rc = libssh2_userauth_publickey(
				h->s, h->user,
				(const unsigned char *)cr->key->blob.ptr,
				cr->key->blob.len, key_sign, &c->abstract);
		} else {
			rc = libssh2_userauth_publickey_frommemory(
				h->s, h->user, strlen(h->user),
				cr->key->pub.len ? cr->key->pub.ptr : NULL,
				cr->key->pub.len, cr->key->priv.ptr,
				cr->key->priv.len, NULL);
		}
		if (rc == LIBSSH2_ERROR_EAGAIN)
			return ssh_conn_wait(c);
		if (rc == 0) {
			c->phase = c->cur == 0 ? PH_TUNNEL : PH_OPEN;
			return STEP_NEXT;
		}
		if (h->tried.len)
			ed_buf_adds(&h->tried, ", ");
		cred_name(&h->tried, cr);
		if ((cr->id ? cr->id->type : cr->key->type) & SSH_KEY_LEGACY)
			h->tried_legacy++;
		else
			h->tried_modern++;
		if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED ||
		    rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
			continue;
		if (rc == LIBSSH2_ERROR_FILE || rc == LIBSSH2_ERROR_METHOD_NONE ||
		    rc == LIBSSH2_ERROR_INVAL) {
			/* this key file cannot be used by libssh2: say so */
			ed_buf_addf(&h->tried, " (%s)", ssh_sess_err(h->s));
			continue;
		}
		return ssh_conn_fail(
			c, SSH_AUTH_FAILED,
			"authentication failed for user '%s' after trying %s: %s",
			h->user, h->tried.ptr, ssh_sess_err(h->s));
	}
	return auth_exhausted(r, c);
}

static char *expand_home(const struct run *r, const char *path)
{
	struct ed_buf b = ED_BUF_INIT;

	if (path[0] == '~' && (path[1] == '/' || !path[1])) {
		ed_buf_adds(&b, r->home);
		path++;
	}
	ed_buf_adds(&b, path);
	return ed_buf_detach(&b, NULL);
}

/* The key at path, read on first use and kept for the run. */
struct ssh_key *ssh_run_key(struct run *r, const char *path)
{
	char *full = expand_home(r, path);
	size_t i;

	for (i = 0; i < r->nkeys; i++)
		if (!strcmp(r->keys[i]->path, full))
			break;
	if (i == r->nkeys) {
		ED_ALLOC_GROW(r->keys, r->nkeys + 1, r->akeys);
		r->keys[r->nkeys++] = ssh_key_load(full);
	}
	free(full);
	return r->keys[i];
}

int ssh_run_keys(struct run *r, struct ed_err *err)
{
	static const char *const defaults[] = { "~/.ssh/id_ed25519",
						"~/.ssh/id_ecdsa", NULL };
	const char *const *list = r->o.key_files ? r->o.key_files : defaults;
	struct ed_buf tried = ED_BUF_INIT;
	size_t i, usable = r->agent.fd >= 0 ? r->agent.nr : 0;
	int rc = 0;

	for (i = 0; list[i]; i++) {
		struct ssh_key *k = ssh_run_key(r, list[i]);

		if (k->why && r->o.key_files && !k->missing && k->priv.len == 0) {
			rc = ed_err_set(err, ED_EKEY, "key file %s: %s",
					k->path, k->why);
			goto out;
		}
		if (k->missing && r->o.key_files) {
			rc = ed_err_set(err, ED_EKEY,
					"key file %s: no such file", k->path);
			goto out;
		}
		if (k->why && !k->missing && r->warnings)
			ed_strvec_pushf(r->warnings, "key %s skipped: %s",
					k->path, k->why);
	}
	r->ndefault = r->nkeys;
	for (i = 0; i < r->ndefault; i++) {
		if (!r->keys[i]->why)
			usable++;
		ed_buf_addf(&tried, "%s%s (%s)", i ? ", " : "", r->keys[i]->path,
			    r->keys[i]->why ? r->keys[i]->why : "ok");
	}
	/* the ssh client finds its own keys */
	for (i = 0; !usable && i < r->total; i++)
		if (!r->targets[i].key_file &&
		    r->targets[i].transport != SSH_TRANSPORT_OPENSSH) {
			rc = ed_err_set(err, ED_EKEY,
					"no usable SSH key: %s; key files: %s",
					r->agent.status ? r->agent.status :
							  "ssh-agent unused",
					r->ndefault ? tried.ptr : "none");
			break;
		}
out:
	ed_buf_release(&tried);
	return rc;
}
