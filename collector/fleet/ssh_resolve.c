/*
 * Host names of a fleet run, resolved before the poll loop: a DNS lookup
 * inside the loop blocks every session for its duration (the resolver's
 * timeouts are seconds), and an inventory of names would resolve one at a
 * time. Here each distinct name is looked up once, by a few threads at
 * once. Numeric addresses are not cached: they resolve without I/O.
 */
#include "collector/fleet/internal.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/alloc.h"

#define RESOLVE_THREADS 16

struct name {
	char *name;
	struct addrinfo *ai;
	int gai, sys_errno;
};

struct ssh_names {
	struct name *v;
	size_t nr;
	size_t next; /* the next one a thread takes */
	pthread_mutex_t lock;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct name *)a)->name,
		      ((const struct name *)b)->name);
}

static int is_numeric(const char *host)
{
	struct addrinfo hints, *ai = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (!rc)
		freeaddrinfo(ai);
	return !rc;
}

static void lookup(struct name *n)
{
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	n->gai = getaddrinfo(n->name, NULL, &hints, &n->ai);
	n->sys_errno = n->gai == EAI_SYSTEM ? errno : 0;
}

static void *worker(void *arg)
{
	struct ssh_names *c = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&c->lock);
		i = c->next < c->nr ? c->next++ : c->nr;
		pthread_mutex_unlock(&c->lock);
		if (i == c->nr)
			return NULL;
		lookup(&c->v[i]);
	}
}

struct ssh_names *ssh_names_resolve(const char *const *hosts, size_t n)
{
	struct ssh_names *c = ed_xcalloc(1, sizeof(*c));
	pthread_t th[RESOLVE_THREADS];
	size_t i, k, nth;

	pthread_mutex_init(&c->lock, NULL);
	c->v = ed_xcalloc(n ? n : 1, sizeof(*c->v));
	for (i = 0; i < n; i++)
		if (hosts[i] && !is_numeric(hosts[i]))
			c->v[c->nr++].name = ed_xstrdup(hosts[i]);
	qsort(c->v, c->nr, sizeof(*c->v), cmp_name);
	for (i = k = 0; i < c->nr; i++) {
		if (k && !strcmp(c->v[k - 1].name, c->v[i].name))
			free(c->v[i].name);
		else
			c->v[k++] = c->v[i];
	}
	c->nr = k;
	nth = c->nr < RESOLVE_THREADS ? c->nr : RESOLVE_THREADS;
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, c))
			break;
	if (!i) /* no thread at all: resolve here */
		worker(c);
	nth = i;
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	return c;
}

int ssh_names_find(const struct ssh_names *c, const char *host,
		   const struct addrinfo **ai, int *sys_errno)
{
	struct name key = { (char *)(uintptr_t)host, NULL, 0, 0 }, *n;

	if (!c || !c->nr)
		return -1;
	n = bsearch(&key, c->v, c->nr, sizeof(*c->v), cmp_name);
	if (!n)
		return -1;
	*ai = n->ai;
	*sys_errno = n->sys_errno;
	return n->gai;
}

void ssh_names_free(struct ssh_names *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nr; i++) {
		free(c->v[i].name);
		if (c->v[i].ai)
			freeaddrinfo(c->v[i].ai);
	}
	free(c->v);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
