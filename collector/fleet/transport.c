/*
 * Which transport each host of a plan uses, and why. envdrift_transport
 * decides when set. Else, when the ssh_config holds a directive
 * ssh_config.c does not read (Include, Match, ProxyCommand, ...), the
 * ssh client itself resolves every host (`ssh -G`, 8 at a time, 5 s
 * each), and a host whose resolved settings need OpenSSH, or differ from
 * what our reader found, uses it. Every other host starts on libssh2.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"

#define G_PARALLEL 8
#define G_TIMEOUT_MS 5000
#define G_MAX_OUT ((size_t)256 << 10)

static const char default_reason[] =
	"default: libssh2, OpenSSH if libssh2 fails on the key, host key algorithm or auth method";

/* One `ssh -G` run. */
struct gjob {
	size_t host; /* index in the plan's selected hosts */
	struct proc proc;
	struct ed_buf out, err;
	long long deadline;
	int timed_out, status, done, active;
};

/* The value of the first "key value" line of -G output, or NULL. */
static const char *g_value(const char *out, const char *key, size_t *len)
{
	size_t klen = strlen(key);
	const char *p = out;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);

		if (n > klen && p[klen] == ' ' && !strncasecmp(p, key, klen)) {
			*len = n - klen - 1;
			return p + klen + 1;
		}
		p += n + (eol != NULL);
	}
	return NULL;
}

static int g_is(const char *out, const char *key, const char *want)
{
	size_t len;
	const char *v = g_value(out, key, &len);

	if (!v)
		return want == NULL;
	return want && strlen(want) == len && !strncasecmp(v, want, len);
}

/* Append s without the brackets ssh -G puts around an address. */
static void unbracket(struct ed_buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != '[' && s[i] != ']')
			ed_buf_addch(out, s[i]);
}

/* ProxyJump as ssh -G prints it ("user@[host]:port") against ours. */
static int same_jump(const char *out, const char *ours)
{
	struct ed_buf a = ED_BUF_INIT, b = ED_BUF_INIT;
	size_t len = 0;
	const char *v = g_value(out, "proxyjump", &len);
	int same;

	if (!v || !ours)
		return !v && !ours;
	unbracket(&a, v, len);
	unbracket(&b, ours, strlen(ours));
	same = !strcmp(a.ptr, b.ptr);
	ed_buf_release(&a);
	ed_buf_release(&b);
	return same;
}

/* ~/ as ssh(1) expands it: the passwd home. */
static void expand_home(struct ed_buf *out, const char *v, size_t len)
{
	struct passwd *pw = getpwuid(getuid());

	if (len >= 2 && v[0] == '~' && v[1] == '/' && pw && pw->pw_dir) {
		ed_buf_adds(out, pw->pw_dir);
		v++;
		len--;
	}
	ed_buf_add(out, v, len);
}

/*
 * Why this host needs OpenSSH, from ssh -G's view of it (out), or NULL
 * when libssh2 connects where ssh(1) would, as ssh(1) would.
 */
static const char *g_needs(const char *out, const struct fleet_plan *p,
			   const struct inventory_host *ih, struct ed_buf *why)
{
	static const char *const needs[] = { "proxycommand", "certificatefile",
					     "pkcs11provider",
					     "knownhostscommand" };
	struct ssh_config_host sc;
	struct ed_buf want = ED_BUF_INIT;
	struct passwd *pw;
	const char *v;
	size_t i, len;

	for (i = 0; i < ED_ARRAY_SIZE(needs); i++)
		if (g_value(out, needs[i], &len))
			return needs[i];
	if (g_is(out, "gssapiauthentication", "yes"))
		return "gssapiauthentication yes";
	ssh_config_lookup(p->sshcfg, ih->address, &sc);
	if (!g_is(out, "hostname",
		  strcmp(ih->address, ih->name) || !sc.hostname ? ih->address :
								  sc.hostname))
		return "hostname (set by Include or Match)";
	ed_buf_addf(&want, "%u",
		    ih->port != 22 ? ih->port :
		    sc.port        ? sc.port :
				     22);
	i = g_is(out, "port", want.ptr);
	ed_buf_release(&want);
	if (!i)
		return "port (set by Include or Match)";
	pw = getpwuid(getuid());
	if (!g_is(out, "user",
		  ih->user ? ih->user :
		  sc.user  ? sc.user :
		  pw       ? pw->pw_name :
			     NULL))
		return "user (set by Include or Match)";
	if (!same_jump(out, sc.proxy_jump))
		return "proxyjump (set by Include or Match)";
	v = g_value(out, "identityfile", &len);
	if (ih->key_file || !v)
		return NULL;
	/* the defaults, listed when nothing is configured */
	if (len == 13 && !strncmp(v, "~/.ssh/id_rsa", 13))
		return sc.identity_file ?
			       "identityfile (set by Include or Match)" :
			       NULL;
	expand_home(why, v, len);
	i = !sc.identity_file || strcmp(why->ptr, sc.identity_file);
	ed_buf_reset(why);
	return i ? "identityfile (set by Include or Match)" : NULL;
}

static void g_start(struct gjob *j, const struct fleet_plan *p, const char *ssh)
{
	const struct inventory_host *ih = inventory_host(p->inv, j->host);
	struct ed_strvec argv = ED_STRVEC_INIT;

	ed_strvec_push(&argv, "ssh");
	ed_strvec_push(&argv, "-G");
	if (p->ssh_F) {
		ed_strvec_push(&argv, "-F");
		ed_strvec_push(&argv, p->ssh_F);
	}
	if (ih->port != 22) {
		ed_strvec_push(&argv, "-p");
		ed_strvec_pushf(&argv, "%u", ih->port);
	}
	if (ih->user) {
		ed_strvec_push(&argv, "-l");
		ed_strvec_push(&argv, ih->user);
	}
	ed_strvec_push(&argv, "--");
	ed_strvec_push(&argv, ih->address);
	ed_strvec_take(&argv, NULL);
	argv.nr--;
	ed_buf_init(&j->out);
	ed_buf_init(&j->err);
	j->deadline = ssh_now_ms() + G_TIMEOUT_MS;
	if (ssh_proc_spawn(&j->proc, ssh, argv.v, 0) < 0) {
		ed_buf_addf(&j->err, "cannot start %s: %s", ssh, strerror(errno));
		j->done = 1;
		j->status = -1;
	}
	ed_strvec_release(&argv);
}

/* Move what j's pipes hold; 1 once both ended and ssh exited. */
static int g_pump(struct gjob *j)
{
	char buf[8192];
	ssize_t n;

	if (j->done)
		return 1;
	while (j->proc.out >= 0 &&
	       (n = ssh_proc_read(&j->proc.out, buf, sizeof(buf))) > 0)
		if (j->out.len < G_MAX_OUT)
			ed_buf_add(&j->out, buf, (size_t)n);
	while (j->proc.err >= 0 &&
	       (n = ssh_proc_read(&j->proc.err, buf, sizeof(buf))) > 0)
		if (j->err.len < 4096)
			ed_buf_add(&j->err, buf, (size_t)n);
	if (ssh_now_ms() >= j->deadline) {
		j->timed_out = 1;
		ssh_proc_kill(&j->proc);
		return j->done = 1;
	}
	if (j->proc.out >= 0 || j->proc.err >= 0 ||
	    !ssh_proc_reap(&j->proc, &j->status))
		return 0;
	ssh_proc_kill(&j->proc);
	return j->done = 1;
}

static void set_reason(struct fleet_plan *p, size_t i, enum ssh_transport t,
		       struct ed_buf *b)
{
	p->transport[i] = t;
	free(p->transport_reason[i]);
	p->transport_reason[i] = ed_buf_detach(b, NULL);
}

/* A finished -G run into its host's transport and reason. */
static void g_finish(struct fleet_plan *p, struct gjob *j)
{
	const struct inventory_host *ih = inventory_host(p->inv, j->host);
	struct ed_buf b = ED_BUF_INIT, scratch = ED_BUF_INIT;
	const char *need;

	if (j->timed_out) {
		ed_buf_addf(&b, "ssh -G timed out after %d s: OpenSSH decides",
			    G_TIMEOUT_MS / 1000);
		set_reason(p, j->host, SSH_TRANSPORT_OPENSSH, &b);
	} else if (j->status != 0) {
		ed_buf_adds(&b, "ssh -G failed: ");
		ed_buf_add(&b, j->err.ptr, strcspn(j->err.ptr, "\r\n"));
		ed_buf_adds(&b, "; OpenSSH decides");
		set_reason(p, j->host, SSH_TRANSPORT_OPENSSH, &b);
	} else if ((need = g_needs(j->out.ptr, p, ih, &scratch))) {
		ed_buf_addf(&b, "ssh_config (%s, ssh -G): %s",
			    ssh_config_foreign(p->sshcfg), need);
		set_reason(p, j->host, SSH_TRANSPORT_OPENSSH, &b);
	} else {
		ed_buf_addf(&b, "%s (ssh -G: nothing libssh2 lacks)",
			    default_reason);
		set_reason(p, j->host, SSH_TRANSPORT_AUTO, &b);
	}
	ed_buf_release(&scratch);
	ed_buf_release(&j->out);
	ed_buf_release(&j->err);
}

/* Every host in todo through ssh -G, G_PARALLEL at a time. */
static void resolve_all(struct fleet_plan *p, const size_t *todo, size_t n,
			const char *ssh)
{
	struct gjob jobs[G_PARALLEL];
	struct pollfd pfd[2 * G_PARALLEL];
	size_t next = 0, running = 0, k;
	nfds_t np;

	memset(jobs, 0, sizeof(jobs));
	while (next < n || running) {
		for (k = 0; k < G_PARALLEL && next < n; k++)
			if (!jobs[k].active) {
				memset(&jobs[k], 0, sizeof(jobs[k]));
				jobs[k].active = 1;
				jobs[k].host = todo[next++];
				g_start(&jobs[k], p, ssh);
				running++;
			}
		np = 0;
		for (k = 0; k < G_PARALLEL; k++) {
			if (!jobs[k].active)
				continue;
			if (g_pump(&jobs[k])) {
				g_finish(p, &jobs[k]);
				jobs[k].active = 0;
				running--;
				continue;
			}
			pfd[np].fd = jobs[k].proc.out;
			pfd[np++].events = POLLIN;
			pfd[np].fd = jobs[k].proc.err;
			pfd[np++].events = POLLIN;
		}
		/* the pipes, or the exit once both closed: look again soon */
		if (np)
			(void)poll(pfd, np, 10);
	}
}

int plan_transports(struct fleet_plan *p, struct ed_err *err)
{
	size_t n = inventory_nr_hosts(p->inv), i, nr_todo = 0;
	size_t *todo = ed_xcalloc(n ? n : 1, sizeof(*todo));
	const char *foreign = ssh_config_foreign(p->sshcfg);
	char *ssh = NULL;
	int rc = 0;

	p->transport = ed_xcalloc(n ? n : 1, sizeof(*p->transport));
	p->transport_reason = ed_xcalloc(n ? n : 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		const struct inventory_host *ih = inventory_host(p->inv, i);
		const char *v = inventory_host_var(ih, "envdrift_transport");
		struct ed_buf b = ED_BUF_INIT;

		if (strcmp(ih->connection, "ssh"))
			continue;
		/* never an option to ssh(1): CVE-2017-1000117 */
		if (ih->address[0] == '-' || (ih->user && ih->user[0] == '-')) {
			rc = ed_err_set(
				err, ED_EPARSE,
				"%s:%zu:%zu: host %s: %s '%s' starts with '-', which ssh would read as an option (CVE-2017-1000117): refused",
				p->o.inventory, ih->line, ih->col, ih->name,
				ih->address[0] == '-' ? "ansible_host" :
							"ansible_user",
				ih->address[0] == '-' ? ih->address : ih->user);
			goto out;
		}
		if (v && strcmp(v, "libssh2") && strcmp(v, "openssh")) {
			rc = ed_err_set(err, ED_EPARSE,
					"%s:%zu:%zu: host %s: envdrift_transport: want libssh2 or openssh, not '%s'",
					p->o.inventory, ih->line, ih->col,
					ih->name, v);
			goto out;
		}
		if (v) {
			ed_buf_addf(&b, "envdrift_transport: %s", v);
			set_reason(p, i,
				   strcmp(v, "openssh") ? SSH_TRANSPORT_LIBSSH2 :
							  SSH_TRANSPORT_OPENSSH,
				   &b);
			continue;
		}
		ed_buf_adds(&b, default_reason);
		set_reason(p, i, SSH_TRANSPORT_AUTO, &b);
		if (foreign)
			todo[nr_todo++] = i;
	}
	if (!nr_todo)
		goto out;
	ssh = ssh_proc_which("ssh");
	if (ssh)
		resolve_all(p, todo, nr_todo, ssh);
	else
		ed_strvec_pushf(&p->warnings,
				"%s: not read by envdrift, and no ssh client on PATH to resolve it",
				foreign);
out:
	free(ssh);
	free(todo);
	return rc;
}

void plan_transports_free(struct fleet_plan *p)
{
	size_t i, n = p->inv ? inventory_nr_hosts(p->inv) : 0;

	for (i = 0; p->transport_reason && i < n; i++)
		free(p->transport_reason[i]);
	free(p->transport_reason);
	free(p->transport);
}

enum ssh_transport fleet_plan_transport(const struct fleet_plan *p,
					const char *host, const char **reason)
{
	size_t lo = 0, hi = inventory_nr_hosts(p->inv);

	*reason = NULL;
	/* selected hosts come sorted by name: envdrift inventory asks per host */
	while (p->transport && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(inventory_host(p->inv, mid)->name, host);

		if (!c) {
			*reason = p->transport_reason[mid];
			return p->transport[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SSH_TRANSPORT_LIBSSH2;
}
