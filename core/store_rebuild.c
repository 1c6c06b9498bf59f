/*
 * Rebuilding this writer's unpublished commits on a remote tip, after a
 * push was refused as non-fast-forward. Writers own disjoint host subtrees,
 * so each commit is replayed as a tree merge by path: the host directories
 * (and other top-level entries such as reports/) it changed relative to
 * its parent replace those of the new base; nothing is merged textually.
 * When both sides wrote the same host since the merge base, the later scan
 * (commit time) wins and the rebuilt commit says so in a trailer. Objects
 * are written as one pack; the branch moves by compare-and-swap.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/strvec.h"

/* a linear history longer than this is not rebuilt (the loop's bound) */
#define MAX_REBUILD 100000

/* One path a commit changed: a host ("h" kind) or a top-level entry. */
struct change {
	char kind; /* 'h' host (name escaped), 't' top-level entry */
	char *name;
	char *env; /* host's environment (escaped) after the commit; NULL: gone */
	char *old_env; /* host's environment before, for the trailer */
	int present;
	unsigned mode;
	git_oid oid;
	/* the remote's newest write of this path: its commit time and id */
	long long time;
	git_oid by;
};

struct changes {
	struct change *v;
	size_t nr, alloc;
};

static void changes_release(struct changes *c)
{
	size_t i;

	for (i = 0; i < c->nr; i++) {
		free(c->v[i].name);
		free(c->v[i].env);
		free(c->v[i].old_env);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

static struct change *changes_find(struct changes *c, char kind, const char *name)
{
	size_t i;

	for (i = 0; i < c->nr; i++)
		if (c->v[i].kind == kind && !strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

static struct change *changes_get(struct changes *c, char kind, const char *name)
{
	struct change *ch = changes_find(c, kind, name);

	if (ch)
		return ch;
	ED_ALLOC_GROW(c->v, c->nr + 1, c->alloc);
	ch = &c->v[c->nr++];
	memset(ch, 0, sizeof(*ch));
	ch->kind = kind;
	ch->name = ed_xstrdup(name);
	return ch;
}

static int lookup_tree(git_tree **out, git_repository *repo, const git_oid *id,
		       struct ed_err *err)
{
	*out = NULL;
	if (id && git_tree_lookup(out, repo, id) < 0)
		return ed_err_git(err, "cannot read tree %s", git_oid_tostr_s(id));
	return 0;
}

static const git_tree_entry *entry(const git_tree *t, const char *name)
{
	return t ? git_tree_entry_byname(t, name) : NULL;
}

static int same_entry(const git_tree_entry *a, const git_tree_entry *b)
{
	if (!a || !b)
		return !a && !b;
	return git_tree_entry_filemode(a) == git_tree_entry_filemode(b) &&
	       git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b));
}

static const git_oid *tree_id_of(const git_tree_entry *e)
{
	return e && git_tree_entry_type(e) == GIT_OBJECT_TREE ?
		       git_tree_entry_id(e) :
		       NULL;
}

/* Hosts of one environment that differ between a and b (either NULL). */
static void diff_env(struct changes *out, const char *env, const git_tree *a,
		     const git_tree *b)
{
	size_t i, n;

	for (n = b ? git_tree_entrycount(b) : 0, i = 0; i < n; i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);
		const char *name = git_tree_entry_name(eb);
		struct change *ch;

		if (same_entry(entry(a, name), eb))
			continue;
		ch = changes_get(out, 'h', name);
		free(ch->env);
		ch->env = ed_xstrdup(env);
		ch->present = 1;
		ch->mode = (unsigned)git_tree_entry_filemode(eb);
		git_oid_cpy(&ch->oid, git_tree_entry_id(eb));
	}
	for (n = a ? git_tree_entrycount(a) : 0, i = 0; i < n; i++) {
		const char *name =
			git_tree_entry_name(git_tree_entry_byindex(a, i));
		struct change *ch;

		if (entry(b, name))
			continue;
		/* gone from here: removed, unless another env gained it */
		ch = changes_get(out, 'h', name);
		if (!ch->old_env)
			ch->old_env = ed_xstrdup(env);
	}
}

/* The hosts and top-level entries that differ between trees a and b. */
static int diff_commit_trees(struct changes *out, git_repository *repo,
			     const git_oid *a_id, const git_oid *b_id,
			     struct ed_err *err)
{
	git_tree *a = NULL, *b = NULL, *ha = NULL, *hb = NULL;
	git_tree *ea = NULL, *eb = NULL;
	size_t i, pass;
	int rc;

	rc = lookup_tree(&a, repo, a_id, err);
	if (!rc)
		rc = lookup_tree(&b, repo, b_id, err);
	for (pass = 0; !rc && pass < 2; pass++) {
		const git_tree *t = pass ? a : b;
		size_t n = t ? git_tree_entrycount(t) : 0;

		for (i = 0; i < n; i++) {
			const char *name =
				git_tree_entry_name(git_tree_entry_byindex(t, i));
			const git_tree_entry *x = entry(a, name),
					     *y = entry(b, name);
			struct change *ch;

			if (!strcmp(name, "hosts") || same_entry(x, y) ||
			    changes_find(out, 't', name))
				continue;
			ch = changes_get(out, 't', name);
			ch->present = y != NULL;
			if (y) {
				ch->mode = (unsigned)git_tree_entry_filemode(y);
				git_oid_cpy(&ch->oid, git_tree_entry_id(y));
			}
		}
	}
	if (rc < 0 || same_entry(entry(a, "hosts"), entry(b, "hosts")))
		goto out;
	rc = lookup_tree(&ha, repo, tree_id_of(entry(a, "hosts")), err);
	if (!rc)
		rc = lookup_tree(&hb, repo, tree_id_of(entry(b, "hosts")), err);
	for (pass = 0; !rc && pass < 2; pass++) {
		const git_tree *t = pass ? ha : hb;
		size_t n = t ? git_tree_entrycount(t) : 0;

		for (i = 0; !rc && i < n; i++) {
			const char *env =
				git_tree_entry_name(git_tree_entry_byindex(t, i));
			const git_tree_entry *x = entry(ha, env),
					     *y = entry(hb, env);

			/* the second pass only sees environments b lacks */
			if (same_entry(x, y) || (pass && y))
				continue;
			rc = lookup_tree(&ea, repo, tree_id_of(x), err);
			if (!rc)
				rc = lookup_tree(&eb, repo, tree_id_of(y), err);
			if (!rc)
				diff_env(out, env, ea, eb);
			git_tree_free(ea);
			git_tree_free(eb);
			ea = eb = NULL;
		}
	}
out:
	git_tree_free(a);
	git_tree_free(b);
	git_tree_free(ha);
	git_tree_free(hb);
	return rc;
}

/* What commit id changed against its first parent (none: empty tree). */
static int commit_changes(struct changes *out, git_repository *repo,
			  const git_commit *c, struct ed_err *err)
{
	git_commit *p = NULL;
	int rc;

	if (git_commit_parentcount(c) == 0)
		return diff_commit_trees(out, repo, NULL, git_commit_tree_id(c),
					 err);
	if (git_commit_parent(&p, c, 0) < 0)
		return ed_err_git(err, "cannot read parent of %s",
				  git_oid_tostr_s(git_commit_id(c)));
	rc = diff_commit_trees(out, repo, git_commit_tree_id(p),
			       git_commit_tree_id(c), err);
	git_commit_free(p);
	return rc;
}

/*
 * The first-parent chain from tip down to (not including) base, newest
 * first, into ids; ED_ERROR if base is not on it within MAX_REBUILD.
 */
static int chain(git_repository *repo, const git_oid *tip, const git_oid *base,
		 git_oid **ids, size_t *nr, struct ed_err *err)
{
	size_t alloc = 0;
	git_oid cur = *tip;

	*ids = NULL;
	*nr = 0;
	while (!git_oid_equal(&cur, base)) {
		git_commit *c = NULL;

		if (*nr >= MAX_REBUILD || git_commit_lookup(&c, repo, &cur) < 0 ||
		    git_commit_parentcount(c) == 0) {
			git_commit_free(c);
			return ed_err_set(
				err, ED_ERROR,
				"merge base %.12s is not on the first-parent history of %.12s",
				git_oid_tostr_s(base), git_oid_tostr_s(tip));
		}
		ED_ALLOC_GROW(*ids, *nr + 1, alloc);
		(*ids)[(*nr)++] = cur;
		git_oid_cpy(&cur, git_commit_parent_id(c, 0));
		git_commit_free(c);
	}
	return 0;
}

/* The remote's writes since base: each path once, with its newest commit. */
static int remote_writes(struct changes *out, git_repository *repo,
			 const git_oid *onto, const git_oid *base,
			 struct ed_err *err)
{
	git_oid *ids = NULL;
	size_t nr, i, j;
	int rc = chain(repo, onto, base, &ids, &nr, err);

	for (i = 0; !rc && i < nr; i++) {
		struct changes one = { NULL, 0, 0 };
		git_commit *c = NULL;

		if (git_commit_lookup(&c, repo, &ids[i]) < 0) {
			rc = ed_err_git(err, "cannot read %s",
					git_oid_tostr_s(&ids[i]));
			break;
		}
		rc = commit_changes(&one, repo, c, err);
		for (j = 0; !rc && j < one.nr; j++) {
			struct change *ch;

			if (changes_find(out, one.v[j].kind, one.v[j].name))
				continue; /* a newer remote commit wrote it */
			ch = changes_get(out, one.v[j].kind, one.v[j].name);
			ch->time = (long long)git_commit_time(c);
			git_oid_cpy(&ch->by, &ids[i]);
		}
		changes_release(&one);
		git_commit_free(c);
	}
	free(ids);
	return rc;
}

/* Put change ch (a host or top-level entry) into the overlay root. */
static int apply(struct mtree *root, git_repository *repo,
		 const struct change *ch, struct ed_err *err)
{
	struct mentry *me;

	if (ch->kind == 't') {
		mtree_remove(root, ch->name);
		root->dirty = 1;
		if (ch->present) {
			me = mtree_add(root, ch->name);
			me->mode = ch->mode;
			git_oid_cpy(&me->oid, &ch->oid);
		}
		return 0;
	}
	return mtree_put_host(root, repo, ch->env, ch->name, ch->mode,
			      ch->present ? &ch->oid : NULL, err);
}

/* "ENV/HOST" (unescaped) of a host change, for trailers. */
static void host_label(struct ed_buf *out, const struct change *ch)
{
	struct ed_err ignored = ED_ERR_INIT;
	const char *env = ch->env ? ch->env : ch->old_env ? ch->old_env : "?";

	if (store_unescape_name(out, env, &ignored) < 0)
		ed_buf_adds(out, env);
	ed_buf_addch(out, '/');
	if (store_unescape_name(out, ch->name, &ignored) < 0)
		ed_buf_adds(out, ch->name);
}

/*
 * c's message without the Envdrift-Collected trailers of the hosts in
 * dropped ("ENV/HOST"), plus the added trailer lines.
 */
static void rebuild_message(struct ed_buf *out, const char *msg,
			    const struct ed_strvec *dropped,
			    const struct ed_strvec *added)
{
	const char *p = msg;
	size_t i;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int drop = 0;

		for (i = 0; i < dropped->nr && !drop; i++)
			drop = len == 20 + strlen(dropped->v[i]) &&
			       !strncmp(p, "Envdrift-Collected: ", 20) &&
			       !strncmp(p + 20, dropped->v[i], len - 20);
		if (!drop) {
			ed_buf_add(out, p, len);
			ed_buf_addch(out, '\n');
		}
		p += len + (nl != NULL);
	}
	if (added->nr && !strstr(msg, "\nEnvdrift-"))
		ed_buf_addch(out, '\n');
	for (i = 0; i < added->nr; i++)
		ed_buf_addf(out, "%s\n", added->v[i]);
}

/*
 * The original header (author, committer, encoding...) without tree,
 * parent and a signature, which no longer holds.
 */
static void rebuild_header(struct ed_buf *out, const char *raw)
{
	const char *p = raw;
	int skipping = 0;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);

		if (*p != ' ')
			skipping = !strncmp(p, "tree ", 5) ||
				   !strncmp(p, "parent ", 7) ||
				   !strncmp(p, "gpgsig", 6);
		if (!skipping)
			ed_buf_add(out, p, len);
		p += len;
	}
	if (out->len && out->ptr[out->len - 1] != '\n')
		ed_buf_addch(out, '\n');
}

struct replay {
	git_repository *repo;
	git_odb *odb;
	struct mtree *root;
	struct pack_batch *pb;
	struct changes *remote;
	struct store_rebuild_result *res;
};

/* Replay commit id on the overlay; *parent becomes the new commit. */
static int replay_one(struct replay *r, const git_oid *id, git_oid *parent,
		      struct ed_err *err)
{
	struct changes mine = { NULL, 0, 0 };
	struct ed_strvec dropped = ED_STRVEC_INIT, added = ED_STRVEC_INIT;
	struct ed_buf body = ED_BUF_INIT, label = ED_BUF_INIT;
	git_commit *c = NULL;
	git_oid tree;
	size_t i;
	int rc;

	if (git_commit_lookup(&c, r->repo, id) < 0)
		return ed_err_git(err, "cannot read %s", git_oid_tostr_s(id));
	rc = commit_changes(&mine, r->repo, c, err);
	for (i = 0; !rc && i < mine.nr; i++) {
		const struct change *ch = &mine.v[i];
		const struct change *theirs =
			changes_find(r->remote, ch->kind, ch->name);

		/* a tie goes to this writer, whose push comes later */
		if (theirs && theirs->time > (long long)git_commit_time(c)) {
			ed_buf_reset(&label);
			if (ch->kind == 'h')
				host_label(&label, ch);
			else
				ed_buf_adds(&label, ch->name);
			if (ch->kind == 'h')
				ed_strvec_push(&dropped, label.ptr);
			ed_strvec_pushf(&added,
					"Envdrift-Superseded: %s by %.12s (newer %s)",
					label.ptr, git_oid_tostr_s(&theirs->by),
					ch->kind == 'h'              ? "scan" :
					!strcmp(ch->name, "reports") ? "report" :
								       "write");
			ed_strvec_push(&r->res->superseded, label.ptr);
			continue;
		}
		rc = apply(r->root, r->repo, ch, err);
	}
	if (rc < 0)
		goto out;
	r->root->dirty = 1;
	rc = mtree_write(r->root, &tree, r->pb, r->odb, err);
	if (rc < 0)
		goto out;
	ed_buf_addf(&body, "tree %s\n", git_oid_tostr_s(&tree));
	ed_buf_addf(&body, "parent %s\n", git_oid_tostr_s(parent));
	rebuild_header(&body, git_commit_raw_header(c));
	ed_buf_addch(&body, '\n');
	rebuild_message(&body, git_commit_message_raw(c), &dropped, &added);
	pack_batch_add(r->pb, parent, r->odb, GIT_OBJECT_COMMIT, body.ptr,
		       body.len);
	r->res->replayed++;
out:
	changes_release(&mine);
	ed_strvec_release(&dropped);
	ed_strvec_release(&added);
	ed_buf_release(&body);
	ed_buf_release(&label);
	git_commit_free(c);
	return rc;
}

static int move_branch(struct store *st, const git_oid *to, const git_oid *from,
		       struct ed_err *err)
{
	git_reference *ref = NULL;
	int rc;

	if (from)
		rc = git_reference_create_matching(&ref, st->repo, STORE_BRANCH,
						   to, 1, from,
						   "envdrift rebuild");
	else
		rc = git_reference_create(&ref, st->repo, STORE_BRANCH, to, 0,
					  "envdrift fetch");
	git_reference_free(ref);
	if (rc < 0)
		return ed_err_git(err, "%s: cannot update %s", st->path,
				  STORE_BRANCH);
	return 0;
}

void store_rebuild_result_release(struct store_rebuild_result *r)
{
	ed_strvec_release(&r->superseded);
}

/* Replay ids (newest first) onto onto; the branch moves from tip. */
static int replay_all(struct store *st, struct store_rebuild_result *res,
		      const git_oid *ids, size_t nr, const git_oid *onto,
		      const git_oid *tip, struct changes *remote,
		      struct ed_err *err)
{
	struct replay r = { st->repo, st->odb, NULL, NULL, remote, res };
	struct ed_buf objects = ED_BUF_INIT;
	git_commit *oc = NULL;
	git_oid parent = *onto;
	size_t i;
	int rc = 0;

	if (git_commit_lookup(&oc, st->repo, onto) < 0)
		return ed_err_git(err, "cannot read %s", git_oid_tostr_s(onto));
	rc = mtree_load(&r.root, st->repo, git_commit_tree_id(oc), err);
	git_commit_free(oc);
	if (rc < 0)
		return rc;
	r.pb = pack_batch_new();
	pack_batch_allow_loose(r.pb);
	for (i = nr; !rc && i > 0; i--)
		rc = replay_one(&r, &ids[i - 1], &parent, err);
	if (rc < 0)
		goto out;
	ed_buf_addf(&objects, "%sobjects", git_repository_path(st->repo));
	rc = pack_batch_write(r.pb, st->odb, objects.ptr, NULL, err);
	if (!rc)
		rc = move_branch(st, &parent, tip, err);
	if (!rc)
		git_oid_tostr(res->tip, sizeof(res->tip), &parent);
out:
	mtree_free(r.root);
	pack_batch_free(r.pb);
	ed_buf_release(&objects);
	return rc;
}

int store_rebuild(struct store *st, struct store_rebuild_result *res,
		  const char *onto_hex, struct ed_err *err)
{
	struct changes remote = { NULL, 0, 0 };
	git_oid onto, tip, base, *ids = NULL;
	size_t nr = 0;
	int have_tip, rc;

	if (st->lock_fd < 0)
		ED_BUG("store_rebuild without store_lock");
	memset(res, 0, sizeof(*res));
	ed_strvec_init(&res->superseded);
	if (git_oid_fromstr(&onto, onto_hex) < 0)
		return ed_err_set(err, ED_ERROR, "bad commit id '%s'", onto_hex);
	rc = store_read_tip(st->repo, &tip, &have_tip, err);
	if (rc < 0)
		return rc;
	if (!have_tip) {
		res->fast_forward = 1;
		rc = move_branch(st, &onto, NULL, err);
		goto done;
	}
	rc = git_merge_base(&base, st->repo, &tip, &onto);
	if (rc == GIT_ENOTFOUND)
		return ed_err_set(err, ED_ERROR,
				  "%s: the remote's main (%.12s) and this repository's have unrelated histories; refusing to combine them",
				  st->path, onto_hex);
	if (rc < 0)
		return ed_err_git(err, "%s: cannot find the merge base", st->path);
	if (git_oid_equal(&base, &onto)) {
		res->up_to_date = 1; /* onto is already in our history */
		git_oid_tostr(res->tip, sizeof(res->tip), &tip);
		return 0;
	}
	if (git_oid_equal(&base, &tip)) {
		res->fast_forward = 1;
		rc = move_branch(st, &onto, &tip, err);
		goto done;
	}
	rc = store_markers_agree(st, &tip, &onto, err);
	if (!rc)
		rc = chain(st->repo, &tip, &base, &ids, &nr, err);
	if (!rc)
		rc = remote_writes(&remote, st->repo, &onto, &base, err);
	if (!rc)
		rc = replay_all(st, res, ids, nr, &onto, &tip, &remote, err);
	free(ids);
	changes_release(&remote);
	return rc;
done:
	if (!rc)
		git_oid_tostr(res->tip, sizeof(res->tip), &onto);
	return rc;
}
