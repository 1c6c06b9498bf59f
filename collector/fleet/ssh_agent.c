/*
 * A minimal ssh-agent client for the fleet transport: one connection per
 * run, the identities listed once, one signature per host. Declarations
 * are in internal.h.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/alloc.h"

#define AGENT_MAX ((size_t)256 << 10) /* largest ssh-agent reply taken */
#define AGENT_TIMEOUT_S 10 /* a wedged agent stalls the loop this long */

void ssh_agent_close(struct agent *a, const char *why)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (!a->status)
		a->status = ed_xstrdup(why);
}

static int io_all(int fd, void *buf, size_t len, int out)
{
	char *p = buf;

	while (len) {
		ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL) :
				  recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ssh_agent_call(struct agent *a, const struct ed_buf *req, struct ed_buf *resp)
{
	struct ed_buf msg = ED_BUF_INIT;
	unsigned char hdr[4];
	size_t len;
	int rc = -1;

	if (a->fd < 0)
		return -1;
	ssh_put_str(&msg, req->ptr, req->len);
	if (io_all(a->fd, msg.ptr, msg.len, 1) < 0 || io_all(a->fd, hdr, 4, 0) < 0)
		goto out;
	len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
	      (size_t)hdr[2] << 8 | hdr[3];
	if (!len || len > AGENT_MAX)
		goto out;
	ed_buf_reset(resp);
	ed_buf_grow(resp, len);
	if (io_all(a->fd, resp->ptr, len, 0) < 0)
		goto out;
	ed_buf_setlen(resp, len);
	rc = 0;
out:
	if (rc < 0)
		ssh_agent_close(a, "ssh-agent stopped answering");
	ed_buf_release(&msg);
	return rc;
}

void ssh_agent_open(struct agent *a, const char *path)
{
	struct sockaddr_un sa;
	struct timeval tv = { AGENT_TIMEOUT_S, 0 };
	struct ed_buf req = ED_BUF_INIT, resp = ED_BUF_INIT;
	const unsigned char *blob, *comment;
	size_t n, blen, clen, i;
	struct rd r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		ssh_agent_close(a, "SSH_AUTH_SOCK is too long");
		return;
	}
	memcpy(sa.sun_path, path, strlen(path));
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0 ||
	    setsockopt(a->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(a->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(a->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ssh_agent_close(a, "cannot connect to ssh-agent");
		return;
	}
	ed_buf_addch(&req, 11); /* SSH2_AGENTC_REQUEST_IDENTITIES */
	if (ssh_agent_call(a, &req, &resp) < 0)
		goto out;
	r.p = (const unsigned char *)resp.ptr + 1;
	r.left = resp.len - 1;
	if (resp.ptr[0] != 12 || ssh_rd_u32(&r, &n) < 0 || n > 4096) {
		ssh_agent_close(a, "ssh-agent sent a malformed identity list");
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct agent_id *id;

		if (ssh_rd_str(&r, &blob, &blen) < 0 ||
		    ssh_rd_str(&r, &comment, &clen) < 0) {
			ssh_agent_close(a,
					"ssh-agent sent a malformed identity list");
			break;
		}
		ED_ALLOC_GROW(a->ids, a->nr + 1, a->alloc);
		id = &a->ids[a->nr++];
		ed_buf_init(&id->blob);
		ed_buf_add(&id->blob, blob, blen);
		id->comment = ed_xmemdup(comment, clen);
		id->type = ssh_key_blob_type(blob, blen);
	}
	if (!a->nr)
		ssh_agent_close(a, "ssh-agent holds no keys");
out:
	ed_buf_release(&req);
	ed_buf_release(&resp);
}

void ssh_agent_release(struct agent *a)
{
	size_t i;

	if (a->fd >= 0)
		close(a->fd);
	for (i = 0; i < a->nr; i++) {
		ed_buf_release(&a->ids[i].blob);
		free(a->ids[i].comment);
	}
	free(a->ids);
	free(a->status);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}
