#ifndef ENVDRIFT_CORE_PUBLISH_H
#define ENVDRIFT_CORE_PUBLISH_H
/*
 * Publishing the state repository's branch to a git remote, and fetching
 * it back. The network is the git client's (core/gitproc.h), under a
 * deadline and never while holding the repository lock; everything local
 * is libgit2. A push refused as non-fast-forward (another writer pushed
 * first) is resolved by fetching, rebuilding our unpushed commits on the
 * remote's tip (store_rebuild) and pushing again, a bounded number of
 * times. What is about to be published for the first time is first read
 * by the secret audit.
 */
#include <stddef.h>

#include "core/audit.h"
#include "core/err.h"
#include "core/secrets.h"
#include "core/store.h"
#include "core/strvec.h"

#define PUBLISH_ATTEMPTS 8

struct publish_opts {
	const char *remote;       /* a git remote's name, a URL or a path;
				     NULL: "origin" */
	unsigned timeout_ms;      /* per git run; 0: 120 s */
	unsigned lock_timeout_ms; /* for the rebuild's store_lock */
	int allow_secrets;        /* publish even when the audit has hits */
	const struct ed_secret_finder *finder; /* the audit's detectors */
	const struct ed_strvec *plain;         /* secrets.plain-files */
};

struct publish_result {
	char *remote;     /* the remote as printed: userinfo redacted */
	char tip[41];     /* the remote's main afterwards ("" if none) */
	int up_to_date;   /* push: nothing new; fetch: nothing changed */
	size_t attempts;  /* pushes tried */
	size_t rebuilt;   /* commits rebuilt on the remote's tip */
	int fast_forward; /* fetch: main moved to the remote's tip */
	size_t merged;    /* merge-incoming: hosts folded into main */
	struct ed_strvec superseded; /* "ENV/HOST" the remote had newer */
	struct ed_strvec refused; /* merge-incoming: "ENV/HOST: why" not
				     merged (another key or settings) */
	struct ed_audit audit;       /* what the audit read, and its hits */
	int audited;
};

void publish_result_release(struct publish_result *r);

/*
 * Push the branch to opts->remote's main (res zeroed first; release it
 * also on failure). ED_EPUSH when publishing failed but the local
 * repository holds every commit (remote unreachable or refusing, timeout,
 * still rejected after PUBLISH_ATTEMPTS, or audit hits: res->audit); the
 * next push publishes them. ED_ERROR (unrelated histories, no such
 * remote, no commit to push), ED_ELOCKED, ED_EGIT otherwise.
 */
int publish_push(struct publish_result *res, struct store *st,
		 const struct publish_opts *opts, struct ed_err *err);

/*
 * Fetch the remote's main and bring the branch up to it: fast-forward,
 * or our unpushed commits rebuilt on it. A remote without main is no
 * error (res->up_to_date). ED_EPUSH when git fails, else as publish_push.
 */
int publish_fetch(struct publish_result *res, struct store *st,
		  const struct publish_opts *opts, struct ed_err *err);

/*
 * Pull mode, where each host collects into a repository of its own: push
 * its main (forced) to the remote's refs/envdrift/incoming/HOST, that ref
 * only, after the audit as above. ED_EPUSH, ED_ERROR.
 */
int publish_push_incoming(struct publish_result *res, struct store *st,
			  const struct publish_opts *opts, const char *host,
			  struct ed_err *err);

/*
 * Fetch the remote's main and its refs/envdrift/incoming/ refs, bring
 * main up to the remote's, fold into it in one commit each incoming
 * host's directory that is newer than main's (the later scan wins; an
 * Envdrift-Collected and an Envdrift-Incoming trailer per host), then
 * publish_push. res->merged counts the hosts folded in; a snapshot made
 * with another key or settings than main records is left out, listed in
 * res->refused (store_commit_agrees). As publish_push.
 */
int publish_merge_incoming(struct publish_result *res, struct store *st,
			   const struct publish_opts *opts, struct ed_err *err);

#endif
