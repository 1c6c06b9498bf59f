/*
 * What publishing needs of the repository beside commits (core/publish.c):
 * its git directory for the git client, refs other than the branch (the
 * remote's last known tips), seeing objects git fetched, and finding a
 * host's directory in a fetched commit (pull mode).
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/hmac.h"

const char *store_git_dir(const struct store *st)
{
	return git_repository_path(st->repo);
}

int store_ref_read(struct store *st, const char *name, char hex[41], int *found,
		   struct ed_err *err)
{
	git_oid id;
	int rc = git_reference_name_to_id(&id, st->repo, name);

	*found = 0;
	hex[0] = '\0';
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return ed_err_git(err, "%s: cannot read %s", st->path, name);
	*found = 1;
	git_oid_tostr(hex, 41, &id);
	return 0;
}

int store_ref_write(struct store *st, const char *name, const char *hex,
		    struct ed_err *err)
{
	git_reference *ref = NULL;
	git_oid id;
	int rc;

	if (git_oid_fromstr(&id, hex) < 0)
		return ed_err_set(err, ED_ERROR, "bad commit id '%s'", hex);
	rc = git_reference_create(&ref, st->repo, name, &id, 1, "envdrift");
	git_reference_free(ref);
	if (rc < 0)
		return ed_err_git(err, "%s: cannot update %s", st->path, name);
	return 0;
}

void store_refresh(struct store *st)
{
	(void)git_odb_refresh(st->odb);
}

int store_ref_list(struct store *st, const char *glob, struct ed_strvec *out,
		   struct ed_err *err)
{
	git_reference_iterator *it = NULL;
	const char *name;
	int rc;

	if (git_reference_iterator_glob_new(&it, st->repo, glob) < 0)
		return ed_err_git(err, "%s: cannot list %s", st->path, glob);
	while ((rc = git_reference_next_name(&name, it)) == 0)
		ed_strvec_push(out, name);
	git_reference_iterator_free(it);
	if (rc != GIT_ITEROVER)
		return ed_err_git(err, "%s: cannot list %s", st->path, glob);
	return 0;
}

int store_commit_host(struct store *st, const char *commit, const char *host,
		      struct ed_buf *env_out, char tree[41], long long *when,
		      struct ed_err *err)
{
	struct ed_buf hname = ED_BUF_INIT;
	git_commit *c = NULL;
	git_tree *root = NULL, *hosts = NULL, *env = NULL;
	git_oid id;
	size_t i, n;
	int rc = ED_ENOTFOUND;

	store_escape_name(&hname, host, strlen(host));
	if (git_oid_fromstr(&id, commit) < 0 ||
	    git_commit_lookup(&c, st->repo, &id) < 0 ||
	    git_commit_tree(&root, c) < 0) {
		rc = ed_err_git(err, "cannot read commit %s", commit);
		goto out;
	}
	*when = (long long)git_commit_time(c);
	{
		const git_tree_entry *he = git_tree_entry_byname(root, "hosts");

		if (!he || git_tree_entry_type(he) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&hosts, st->repo, git_tree_entry_id(he)) < 0)
			goto notfound;
	}
	n = git_tree_entrycount(hosts);
	for (i = 0; i < n; i++) {
		const git_tree_entry *ee = git_tree_entry_byindex(hosts, i);
		const git_tree_entry *he;

		if (git_tree_entry_type(ee) != GIT_OBJECT_TREE)
			continue;
		git_tree_free(env);
		env = NULL;
		if (git_tree_lookup(&env, st->repo, git_tree_entry_id(ee)) < 0) {
			rc = ed_err_git(err, "cannot read tree %s",
					git_oid_tostr_s(git_tree_entry_id(ee)));
			goto out;
		}
		he = git_tree_entry_byname(env, hname.ptr);
		if (!he || git_tree_entry_type(he) != GIT_OBJECT_TREE)
			continue;
		rc = store_unescape_name(env_out, git_tree_entry_name(ee), err);
		if (!rc)
			git_oid_tostr(tree, 41, git_tree_entry_id(he));
		goto out;
	}
notfound:
	rc = ed_err_set(err, ED_ENOTFOUND, "commit %.12s holds no host '%s'",
			commit, host);
out:
	git_tree_free(env);
	git_tree_free(hosts);
	git_tree_free(root);
	git_commit_free(c);
	ed_buf_release(&hname);
	return rc;
}

/* The marker of commit (40 hex) into m. ED_EGIT, ED_ERROR. */
static int commit_marker(struct store_marker *m, struct store *st,
			 const char *commit, struct ed_err *err)
{
	git_oid id;

	memset(m, 0, sizeof(*m));
	if (git_oid_fromstr(&id, commit) < 0)
		return ed_err_set(err, ED_ERROR, "bad commit id '%.40s'", commit);
	return store_marker_read_commit(m, st, &id, err);
}

/* The key fingerprint init recorded in the config into fp ("" if none). */
static void config_fp(char fp[65], struct store *st)
{
	struct ed_buf v = ED_BUF_INIT;

	fp[0] = '\0';
	if (!store_config_get(&v, st->repo, "envdrift.keyfingerprint") &&
	    v.len < 65)
		memcpy(fp, v.ptr, v.len + 1);
	ed_buf_release(&v);
}

int store_commit_agrees(struct store *st, const char *commit, struct ed_err *err)
{
	struct store_marker in, mine;
	char fp[65] = "", sha[65] = "";
	int rc;

	memset(&mine, 0, sizeof(mine));
	rc = commit_marker(&in, st, commit, err);
	if (rc == ED_ERROR) {
		/* a damaged marker is no marker */
		err->code = ED_EKEY;
		rc = ED_EKEY;
	}
	if (!rc)
		rc = store_marker_read(&mine, st, err);
	if (rc < 0)
		goto out;
	if (!in.present || !in.key_fp[0] || !in.settings_sha[0]) {
		rc = ed_err_set(err, ED_EKEY,
				"commit %.12s records no key fingerprint or settings in .envdrift/format",
				commit);
		goto out;
	}
	if (mine.present) {
		memcpy(fp, mine.key_fp, sizeof(fp));
		memcpy(sha, mine.settings_sha, sizeof(sha));
	} else {
		/* no marker on the branch yet: what this writer adopted,
		   else the key recorded at init */
		memcpy(fp, st->key_fp, sizeof(fp));
		if (!fp[0])
			config_fp(fp, st);
		if (st->settings)
			ed_sha256_hex(sha, st->settings, strlen(st->settings));
	}
	if (!st->settings && !sha[0] && in.settings &&
	    (!fp[0] || !strcmp(fp, in.key_fp))) {
		/* the first snapshot decides; the next commit records it */
		memcpy(st->key_fp, in.key_fp, sizeof(st->key_fp));
		free(st->settings);
		st->settings = ed_xstrdup(in.settings);
		goto out;
	}
	if (fp[0] && strcmp(fp, in.key_fp))
		rc = ed_err_set(err, ED_EKEY,
				"made with another HMAC key (fingerprint %.16s..., this repository's %.16s...)",
				in.key_fp, fp);
	else if (sha[0] && strcmp(sha, in.settings_sha))
		rc = ed_err_set(err, ED_ESETTINGS,
				"made under other settings (settings-sha256 %.16s..., this repository's %.16s...)",
				in.settings_sha, sha);
out:
	store_marker_release(&in);
	store_marker_release(&mine);
	return rc;
}
