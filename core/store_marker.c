/*
 * The repository's marker: .envdrift/format and .envdrift/settings in the
 * branch's tree, so that any clone (bare, non-bare, shallow, mirror) says
 * it is a state repository and carries what every writer must agree with:
 * the format version, the HMAC key's fingerprint and the settings that
 * shape snapshot bytes. The repository config holds a copy only for a
 * repository that has no commit yet.
 */
#include "core/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/hmac.h"

#define MARKER_DIR ".envdrift"
#define MARKER_VERSION "1"

static const char marker_head[] =
	"# envdrift state repository. Writers must use the HMAC key and the\n"
	"# settings recorded here (README \"State repository\").\n";

void store_marker_release(struct store_marker *m)
{
	free(m->settings);
	memset(m, 0, sizeof(*m));
}

/* The value of "KEY VALUE" line key in text (len bytes) into out[65]. */
static void marker_field(const char *text, size_t len, const char *key,
			 char *out, size_t outsz)
{
	size_t klen = strlen(key);
	const char *p = text, *end = text + len;

	out[0] = '\0';
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - p) > klen && !memcmp(p, key, klen) &&
		    p[klen] == ' ') {
			size_t n = (size_t)(eol - p) - klen - 1;

			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return;
		}
		p = eol + 1;
	}
}

static int read_blob(git_repository *repo, const git_oid *id,
		     struct ed_buf *out, struct ed_err *err)
{
	git_blob *b = NULL;

	if (git_blob_lookup(&b, repo, id) < 0)
		return ed_err_git(err, "cannot read %s/", MARKER_DIR);
	ed_buf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return 0;
}

int store_marker_read_tree(struct store_marker *m, git_repository *repo,
			   const git_tree *tree, struct ed_err *err)
{
	const git_tree_entry *e;
	git_tree *dir = NULL;
	struct ed_buf text = ED_BUF_INIT;
	int rc = 0;

	memset(m, 0, sizeof(*m));
	e = git_tree_entry_byname(tree, MARKER_DIR);
	if (!e || git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return 0;
	if (git_tree_lookup(&dir, repo, git_tree_entry_id(e)) < 0)
		return ed_err_git(err, "cannot read %s/", MARKER_DIR);
	e = git_tree_entry_byname(dir, "format");
	if (!e) {
		rc = ed_err_set(err, ED_ERROR, "%s/ has no format file",
				MARKER_DIR);
		goto out;
	}
	rc = read_blob(repo, git_tree_entry_id(e), &text, err);
	if (rc < 0)
		goto out;
	m->present = 1;
	marker_field(text.ptr, text.len, "version", m->version,
		     sizeof(m->version));
	marker_field(text.ptr, text.len, "key-fingerprint", m->key_fp,
		     sizeof(m->key_fp));
	marker_field(text.ptr, text.len, "settings-sha256", m->settings_sha,
		     sizeof(m->settings_sha));
	e = git_tree_entry_byname(dir, "settings");
	if (e && m->settings_sha[0]) {
		ed_buf_reset(&text);
		rc = read_blob(repo, git_tree_entry_id(e), &text, err);
		if (rc < 0)
			goto out;
		m->settings = ed_buf_detach(&text, NULL);
	}
out:
	ed_buf_release(&text);
	git_tree_free(dir);
	return rc;
}

int store_marker_read(struct store_marker *m, struct store *st, struct ed_err *err)
{
	git_oid tip;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int found, rc;

	memset(m, 0, sizeof(*m));
	rc = store_read_tip(st->repo, &tip, &found, err);
	if (rc < 0 || !found)
		return rc;
	if (git_commit_lookup(&c, st->repo, &tip) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		git_commit_free(c);
		return ed_err_git(err, "%s: cannot read %s", st->path,
				  STORE_BRANCH);
	}
	rc = store_marker_read_tree(m, st->repo, tree, err);
	m->has_hosts = git_tree_entry_byname(tree, "hosts") != NULL;
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* 1 if text holds the line [line, line + len) */
static int has_line(const char *text, const char *line, size_t len)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n == len && !memcmp(p, line, len))
			return 1;
		p += n + (p[n] == '\n');
	}
	return 0;
}

/* The first line of a that b lacks into *line, *len; 0 if none. */
static int first_missing(const char *a, const char *b, const char **line,
			 size_t *len)
{
	while (*a) {
		size_t n = strcspn(a, "\n");

		if (n && !has_line(b, a, n)) {
			*line = a;
			*len = n > 80 ? 80 : n;
			return 1;
		}
		a += n + (a[n] == '\n');
	}
	return 0;
}

/*
 * What the refusal names: a line this writer has that the recorded
 * settings lack and the other way round ("content-max 1048576" against
 * "content-max 4096").
 */
static void settings_difference(struct ed_buf *out, const char *rec,
				const char *ours)
{
	const char *a = NULL, *r = NULL;
	size_t al = 0, rl = 0;
	int added = first_missing(ours, rec, &a, &al);
	int dropped = first_missing(rec, ours, &r, &rl);

	if (added && dropped)
		ed_buf_addf(out, "recorded '%.*s', this writer '%.*s'", (int)rl,
			    r, (int)al, a);
	else if (added)
		ed_buf_addf(out, "this writer adds '%.*s'", (int)al, a);
	else if (dropped)
		ed_buf_addf(out, "this writer lacks '%.*s'", (int)rl, r);
	else
		ed_buf_adds(out, "the same rules in another order");
}

int store_marker_check(const struct store *st, const struct store_marker *m,
		       struct ed_err *err)
{
	if (!m->present)
		return 0;
	if (strcmp(m->version, MARKER_VERSION))
		return ed_err_set(err, ED_ERROR,
				  "%s: unsupported envdrift repository version '%s' (%s/format); a newer envdrift wrote it",
				  st->path, m->version, MARKER_DIR);
	if (st->key_fp[0] && m->key_fp[0] && strcmp(st->key_fp, m->key_fp))
		return ed_err_set(err, ED_EKEY,
				  "%s: the HMAC key does not match the one this repository was created with (fingerprint %.16s..., key gives %.16s...); secrets would all look changed",
				  st->path, m->key_fp, st->key_fp);
	if (st->settings && m->settings_sha[0] && !st->adopt_settings) {
		char sha[65];

		ed_sha256_hex(sha, st->settings, strlen(st->settings));
		if (strcmp(sha, m->settings_sha)) {
			struct ed_buf d = ED_BUF_INIT;

			settings_difference(&d, m->settings ? m->settings : "",
					    st->settings);
			ed_err_set(err, ED_ESETTINGS,
				   "%s: this writer's settings differ from those recorded in %s/settings (%s); every host would flap. Use the same configuration, or --adopt-settings to record these",
				   st->path, MARKER_DIR, d.ptr ? d.ptr : "");
			ed_buf_release(&d);
			return ED_ESETTINGS;
		}
	}
	return 0;
}

void store_marker_text(struct ed_buf *format, const char **settings,
		       const struct store *st, const struct store_marker *m)
{
	char sha[65] = "";
	const char *fp = st->key_fp[0] ? st->key_fp : m->key_fp;

	*settings = st->settings ? st->settings : m->settings;
	if (st->settings)
		ed_sha256_hex(sha, st->settings, strlen(st->settings));
	else
		memcpy(sha, m->settings_sha, sizeof(sha));
	ed_buf_adds(format, marker_head);
	ed_buf_addf(format, "version %s\n", MARKER_VERSION);
	if (fp[0])
		ed_buf_addf(format, "key-fingerprint %s\n", fp);
	if (sha[0] && *settings)
		ed_buf_addf(format, "settings-sha256 %s\n", sha);
	else
		*settings = NULL;
}

int store_check_settings(struct store *st, const char *settings, int adopt,
			 struct ed_err *err)
{
	struct store_marker m;
	int rc;

	free(st->settings);
	st->settings = ed_xstrdup(settings);
	st->adopt_settings = adopt;
	rc = store_marker_read(&m, st, err);
	if (!rc)
		rc = store_marker_check(st, &m, err);
	store_marker_release(&m);
	return rc;
}

int store_marker_read_commit(struct store_marker *m, struct store *st,
			     const git_oid *id, struct ed_err *err)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if (git_commit_lookup(&c, st->repo, id) < 0 ||
	    git_commit_tree(&tree, c) < 0) {
		git_commit_free(c);
		return ed_err_git(err, "%s: cannot read a commit's tree",
				  st->path);
	}
	rc = store_marker_read_tree(m, st->repo, tree, err);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

int store_markers_agree(struct store *st, const git_oid *ours,
			const git_oid *theirs, struct ed_err *err)
{
	struct store_marker a, b;
	int rc = store_marker_read_commit(&a, st, ours, err);

	if (!rc)
		rc = store_marker_read_commit(&b, st, theirs, err);
	else
		memset(&b, 0, sizeof(b));
	if (rc < 0)
		goto out;
	if (a.key_fp[0] && b.key_fp[0] && strcmp(a.key_fp, b.key_fp))
		rc = ed_err_set(err, ED_EKEY,
				"%s: the remote's main was written with another HMAC key (fingerprint %.16s..., ours %.16s...); refusing to combine them",
				st->path, b.key_fp, a.key_fp);
	else if (a.settings_sha[0] && b.settings_sha[0] &&
		 strcmp(a.settings_sha, b.settings_sha)) {
		struct ed_buf d = ED_BUF_INIT;

		settings_difference(&d, b.settings ? b.settings : "",
				    a.settings ? a.settings : "");
		rc = ed_err_set(err, ED_ESETTINGS,
				"%s: the remote's main records other settings than ours (%s); every host both write would flap. Fetch, then write with its configuration or --adopt-settings",
				st->path, d.ptr ? d.ptr : "");
		ed_buf_release(&d);
	}
out:
	store_marker_release(&a);
	store_marker_release(&b);
	return rc;
}
