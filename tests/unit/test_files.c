/*
 * Unit tests for the files collector. Modes, owners, symlinks, FIFOs and
 * sockets cannot live in git, so each test builds a root in a mkdtemp
 * sandbox from tests/fixtures/files/etc (real excerpts of a Debian /etc)
 * plus generated entries, collects it and checks the exact lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "collector/files.h"
#include "core/glob.h"
#include "collector/internal.h"
#include "collector/vfs.h"
#include "core/alloc.h"
#include "core/hmac.h"
#include "tests/unit/helpers.h"

#define FILES_FIXTURES FIXTURE_DIR "/files"

static const char default_secret_value[] =
	"^([[:space:]]*[#;]?[[:space:]]*[A-Za-z0-9_.-]*(password|passwd|passphrase|secret|token|api[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*[[:space:]]*[:=][[:space:]]*)[^[:space:]].*$";

static const char *const default_excludes[] = {
	"/etc/mtab",      "/etc/ld.so.cache", "/etc/adjtime", "**/*.dpkg-old",
	"**/*.dpkg-dist", "**/*.ucf-*",       "**/*.swp",     "**/*~",
	"/etc/.pwd.lock", "/etc/.git",
};

static const char *const default_secret_files[] = {
	"/etc/shadow*",
	"/etc/gshadow*",
	"/etc/ssh/ssh_host_*_key",
	"/etc/ssl/private/**",
};

static const char openssh_body[] =
	"b3BlbnNzaC1rZXktdjEAAAAAFixtureOpenSSHBodyDoNotLeak";

struct fx {
	/* mkdtemp template: a fixed, known length */
	char root[64];
	struct ed_buf keypath;
	struct ed_buf pem_body; /* base64 line of the generated key */
	struct ed_hmac *key;
	struct collect_config cfg;
	struct collect_opts o;
	const char *collect_root; /* what collect() reads: root, unless changed */
	struct snapshot snap;
	struct ed_strvec meta;
	struct ed_err err;
};

/* ---- sandbox helpers ---- */

static void path_in(struct ed_buf *out, const struct fx *f, const char *rel)
{
	ed_buf_reset(out);
	ed_buf_addf(out, "%s/%s", f->root, rel);
}

static void write_str(const struct fx *f, const char *rel, const char *s,
		      mode_t mode)
{
	ut_write_text_in(f->root, rel, s, mode);
}

static void copy_fixture(const struct fx *f, const char *rel, mode_t mode)
{
	struct ed_buf src = ED_BUF_INIT, data = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	ed_buf_addf(&src, "%s/%s", FILES_FIXTURES, rel);
	assert_int_equal(ed_buf_read_file(&data, src.ptr, 1 << 20, &err), 0);
	ut_write_file_in(f->root, rel, data.ptr, data.len, mode);
	ed_buf_release(&src);
	ed_buf_release(&data);
}

static void read_fixture(struct ed_buf *out, const char *rel)
{
	struct ed_buf src = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	ed_buf_reset(out);
	ed_buf_addf(&src, "%s/%s", FILES_FIXTURES, rel);
	assert_int_equal(ed_buf_read_file(out, src.ptr, 1 << 20, &err), 0);
	ed_buf_release(&src);
}

static void make_dir(const struct fx *f, const char *rel, mode_t mode)
{
	struct ed_buf p = ED_BUF_INIT;

	path_in(&p, f, rel);
	assert_int_equal(mkdir(p.ptr, 0700), 0);
	assert_int_equal(chmod(p.ptr, mode), 0);
	ed_buf_release(&p);
}

static void make_symlink(const struct fx *f, const char *target, const char *rel)
{
	struct ed_buf p = ED_BUF_INIT;

	path_in(&p, f, rel);
	assert_int_equal(symlink(target, p.ptr), 0);
	ed_buf_release(&p);
}

static void chown_in(const struct fx *f, const char *rel, uid_t uid, gid_t gid)
{
	struct ed_buf p = ED_BUF_INIT;

	if (geteuid() != 0)
		return; /* the owner assertions below are root-only too */
	path_in(&p, f, rel);
	assert_int_equal(lchown(p.ptr, uid, gid), 0);
	ed_buf_release(&p);
}

/* A fresh ed25519 key in PKCS#8 PEM; its base64 body goes to f->pem_body. */
static void write_private_key(struct fx *f, const char *rel, mode_t mode)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	const char *body, *eol;
	long n;

	assert_non_null(pkey);
	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
						  NULL, NULL),
			 1);
	n = BIO_get_mem_data(bio, &pem);
	assert_true(n > 0);
	ut_write_file_in(f->root, rel, pem, (size_t)n, mode);
	body = strchr(pem, '\n') + 1;
	eol = memchr(body, '\n', (size_t)(pem + n - body));
	ed_buf_reset(&f->pem_body);
	ed_buf_add(&f->pem_body, body, (size_t)(eol - body));
	assert_true(f->pem_body.len > 20);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
}

static void build_tree(struct fx *f)
{
	static const char blob[] = { 'E', 'L', 'F', 0, 1, 2, 0, 'x', '\n' };
	struct sockaddr_un sa;
	struct ed_buf p = ED_BUF_INIT;
	int fd;

	make_dir(f, "etc", 0755);
	copy_fixture(f, "etc/hosts", 0644);
	copy_fixture(f, "etc/passwd", 0644);
	copy_fixture(f, "etc/group", 0644);
	copy_fixture(f, "etc/shadow", 0640);
	chown_in(f, "etc/shadow", 0, 1234);
	make_dir(f, "etc/ssh", 0755);
	copy_fixture(f, "etc/ssh/sshd_config", 0644);
	write_private_key(f, "etc/ssh/ssh_host_ed25519_key", 0600);
	make_dir(f, "etc/sysctl.d", 0755);
	copy_fixture(f, "etc/sysctl.d/99-protect-links.conf", 0644);
	make_symlink(f, "99-protect-links.conf", "etc/sysctl.d/local.conf");
	make_dir(f, "etc/app", 0750);
	chown_in(f, "etc/app", 1234, 1234);
	copy_fixture(f, "etc/app/app.conf", 0640);
	chown_in(f, "etc/app/app.conf", 1234, 1234);
	write_str(f, "etc/app/deploy_key",
		  "-----BEGIN OPENSSH PRIVATE KEY-----\n"
		  "b3BlbnNzaC1rZXktdjEAAAAAFixtureOpenSSHBodyDoNotLeak\n"
		  "-----END OPENSSH PRIVATE KEY-----\n",
		  0600);
	write_str(f, "etc/app/orphan.conf", "owned = by nobody known\n", 0644);
	chown_in(f, "etc/app/orphan.conf", 4242, 4343);
	write_str(f, "etc/setuid-tool", "#!/bin/sh\n", 04755);
	ut_write_file_in(f->root, "etc/blob.bin", blob, sizeof(blob), 0644);
	write_str(f, "etc/caf\xe9.conf", "x = 1\n", 0644);
	write_str(f, "etc/latin1.conf", "name = caf\xe9\n", 0644);
	make_symlink(f, "/", "etc/root-link");
	make_symlink(f, "../../../..", "etc/up-link");
	make_symlink(f, "/etc", "etc/linked");
	make_symlink(f, "../proc/self/mounts", "etc/mtab");
	write_str(f, "etc/hosts.dpkg-old", "old\n", 0644);
	write_str(f, "etc/hosts~", "backup\n", 0644);
	make_dir(f, "etc/.git", 0755);
	write_str(f, "etc/.git/config", "[core]\n", 0644);
	make_dir(f, "etc/sub", 0755);
	write_str(f, "etc/sub/.git", "gitdir: elsewhere\n", 0644);
	make_dir(f, "etc/locked", 0700);
	write_str(f, "etc/locked/inside.conf", "a = b\n", 0644);
	write_str(f, "etc/private.conf", "private = yes\n", 0000);
	write_str(f, "etc/empty.conf", "", 0644);

	path_in(&p, f, "etc/fifo");
	assert_int_equal(mkfifo(p.ptr, 0644), 0);
	assert_int_equal(chmod(p.ptr, 0644), 0);

	path_in(&p, f, "etc/sock");
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true(p.len < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p.ptr, p.len);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (const struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(chmod(p.ptr, 0755), 0);

	/* outside the include globs entirely */
	make_dir(f, "root", 0700);
	write_str(f, "root/outside.conf", "password = outside-secret\n", 0644);
	ed_buf_release(&p);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fx *f = ed_xcalloc(1, sizeof(*f));
	size_t i;

	memcpy(f->root, "/tmp/envdrift-files-XXXXXX",
	       sizeof("/tmp/envdrift-files-XXXXXX"));
	if (!mkdtemp(f->root))
		return -1;
	/* 0755 so a test can collect as an unprivileged user */
	if (chmod(f->root, 0755) < 0)
		return -1;
	ed_buf_init(&f->keypath);
	ed_buf_init(&f->pem_body);
	build_tree(f);

	path_in(&f->keypath, f, "hmac.key");
	if (ed_hmac_generate(f->keypath.ptr, 0600, &f->err) < 0 ||
	    ed_hmac_load(&f->key, f->keypath.ptr, &f->err) < 0)
		return -1;

	ed_strvec_push(&f->cfg.file_include, "/etc/**");
	for (i = 0; i < ED_ARRAY_SIZE(default_excludes); i++)
		ed_strvec_push(&f->cfg.file_exclude, default_excludes[i]);
	for (i = 0; i < ED_ARRAY_SIZE(default_secret_files); i++)
		ed_strvec_push(&f->cfg.secret_files, default_secret_files[i]);
	ed_strvec_push(&f->cfg.secret_values, default_secret_value);
	f->cfg.files = true;
	f->cfg.content_max = 1 << 20;
	f->cfg.max_files = 100000;

	f->collect_root = f->root;
	f->o.cfg = &f->cfg;
	f->o.key = f->key;
	snapshot_init(&f->snap);
	ed_strvec_init(&f->meta);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ed_hmac_free(f->key);
	ed_buf_release(&f->keypath);
	ed_buf_release(&f->pem_body);
	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_release(&f->cfg.file_exclude);
	ed_strvec_release(&f->cfg.secret_files);
	ed_strvec_release(&f->cfg.secret_values);
	snapshot_release(&f->snap);
	ed_strvec_release(&f->meta);
	free(f);
	return 0;
}

/* ---- assertion helpers ---- */

static int collect(struct fx *f)
{
	struct vfs *fs = vfs_root_new(f->collect_root);
	int rc;

	snapshot_release(&f->snap);
	ed_strvec_release(&f->meta);
	ed_err_clear(&f->err);
	vfs_set_live(fs, false);
	rc = collect_files(&f->snap, &f->meta, fs, &f->o, &f->err);
	vfs_free(fs);
	return rc;
}

static const char *entry(const struct fx *f, const char *path)
{
	const struct snapshot_entry *e = snapshot_find(&f->snap, path);

	return e ? e->data : NULL;
}

/* The "files" line whose first field is qpath, copied into out; 0 if none. */
static int files_line(struct ed_buf *out, const struct fx *f, const char *qpath)
{
	const char *files = entry(f, "files");
	size_t n = strlen(qpath);
	const char *p;

	assert_non_null(files);
	for (p = files; *p; p = strchr(p, '\n') + 1) {
		if (!strncmp(p, qpath, n) && (p[n] == ' ')) {
			ed_buf_reset(out);
			ed_buf_add(out, p, (size_t)(strchr(p, '\n') - p));
			return 1;
		}
	}
	return 0;
}

/* A name from the fixture passwd/group, else the number. */
static void add_fixture_name(struct ed_buf *out, unsigned long id, int group)
{
	if (id == 0)
		ed_buf_adds(out, "root");
	else if (id == 1234)
		ed_buf_adds(out, "envdrift");
	else if (id == 65534)
		ed_buf_adds(out, group ? "nogroup" : "nobody");
	else
		ed_buf_addf(out, "%lu", id);
}

/*
 * Expected lines say "root:root 0:0" for files the test created; run by
 * another user, those belong to it instead.
 */
static void assert_line(const struct fx *f, const char *expected_root)
{
	static const char as_root[] = " root:root 0:0";
	struct ed_buf path = ED_BUF_INIT, got = ED_BUF_INIT;
	struct ed_buf exp = ED_BUF_INIT;
	const char *expected = expected_root, *at;

	at = strstr(expected_root, as_root);
	if (geteuid() != 0 && at) {
		ed_buf_add(&exp, expected_root, (size_t)(at - expected_root));
		ed_buf_addch(&exp, ' ');
		add_fixture_name(&exp, (unsigned long)geteuid(), 0);
		ed_buf_addch(&exp, ':');
		add_fixture_name(&exp, (unsigned long)getegid(), 1);
		ed_buf_addf(&exp, " %lu:%lu%s", (unsigned long)geteuid(),
			    (unsigned long)getegid(), at + strlen(as_root));
		expected = exp.ptr;
	}

	ed_buf_add(&path, expected, (size_t)(strchr(expected, ' ') - expected));
	if (!files_line(&got, f, path.ptr))
		fail_msg("no line for %s", path.ptr);
	assert_string_equal(got.ptr, expected);
	ed_buf_release(&path);
	ed_buf_release(&got);
	ed_buf_release(&exp);
}

static void assert_no_line(const struct fx *f, const char *qpath)
{
	struct ed_buf got = ED_BUF_INIT;

	if (files_line(&got, f, qpath))
		fail_msg("unexpected line: %s", got.ptr);
	ed_buf_release(&got);
}

static int has_bytes(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle), i;

	for (i = 0; m && i + m <= n; i++)
		if (!memcmp(hay + i, needle, m))
			return 1;
	return 0;
}

static int has_warning(const struct fx *f, const char *text)
{
	size_t i;

	for (i = 0; i < f->snap.warnings.nr; i++)
		if (!strcmp(f->snap.warnings.v[i], text))
			return 1;
	return 0;
}

/* needle must appear in no entry's name or data, nor in any warning */
static void assert_nowhere(const struct fx *f, const char *needle)
{
	size_t i;

	for (i = 0; i < f->snap.nr; i++) {
		const struct snapshot_entry *e = &f->snap.entries[i];

		if (has_bytes(e->data, e->len, needle) ||
		    has_bytes(e->path, strlen(e->path), needle))
			fail_msg("\"%s\" leaked into %s", needle, e->path);
	}
	for (i = 0; i < f->snap.warnings.nr; i++)
		if (has_bytes(f->snap.warnings.v[i],
			      strlen(f->snap.warnings.v[i]), needle))
			fail_msg("\"%s\" leaked into a warning", needle);
}

/* "SIZE hmac:<64 hex>" ends the line for qpath; the token goes to tok */
static void assert_hmac_line(struct ed_buf *tok, const struct fx *f,
			     const char *qpath)
{
	struct ed_buf got = ED_BUF_INIT;
	const char *h;

	if (!files_line(&got, f, qpath))
		fail_msg("no line for %s", qpath);
	h = strstr(got.ptr, " hmac:");
	if (!h || strlen(h) != 6 + 64 || strspn(h + 6, "0123456789abcdef") != 64)
		fail_msg("not an hmac line: %s", got.ptr);
	if (tok) {
		ed_buf_reset(tok);
		ed_buf_adds(tok, h + 1);
	}
	ed_buf_release(&got);
}

static void expected_file_line(struct ed_buf *out, const char *qpath,
			       const char *owner, const char *fixture,
			       const char *mode)
{
	struct ed_buf data = ED_BUF_INIT;
	char hex[65];

	read_fixture(&data, fixture);
	ed_sha256_hex(hex, data.ptr, data.len);
	ed_buf_reset(out);
	ed_buf_addf(out, "%s file %s %s %zu sha256:%s", qpath, mode, owner,
		    data.len, hex);
	ed_buf_release(&data);
}

/* ---- tests ---- */

static void test_files_records_exact_lines(void **state)
{
	struct fx *f = *state;
	struct ed_buf exp = ED_BUF_INIT;
	char hex[65];

	assert_int_equal(collect(f), 0);
	expected_file_line(&exp, "/etc/hosts", "root:root 0:0", "etc/hosts",
			   "0644");
	assert_line(f, exp.ptr);
	expected_file_line(&exp, "/etc/ssh/sshd_config", "root:root 0:0",
			   "etc/ssh/sshd_config", "0644");
	assert_line(f, exp.ptr);
	assert_line(f, "/etc/ssh dir 0755 root:root 0:0");
	assert_line(f, "/etc/root-link symlink 0777 root:root 0:0 -> /");
	assert_line(f, "/etc/up-link symlink 0777 root:root 0:0 -> ../../../..");
	assert_line(f,
		    "/etc/sysctl.d/local.conf symlink 0777 root:root 0:0 -> 99-protect-links.conf");
	assert_line(f, "/etc/fifo fifo 0644 root:root 0:0");
	assert_line(f, "/etc/sock socket 0755 root:root 0:0");
	assert_line(f,
		    "/etc/empty.conf file 0644 root:root 0:0 0 sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ed_sha256_hex(hex, "#!/bin/sh\n", 10);
	ed_buf_reset(&exp);
	ed_buf_addf(&exp,
		    "/etc/setuid-tool file 4755 root:root 0:0 10 sha256:%s", hex);
	assert_line(f, exp.ptr);
	ed_sha256_hex(hex, "x = 1\n", 6);
	ed_buf_reset(&exp);
	ed_buf_addf(&exp, "/etc/caf\\xe9.conf file 0644 root:root 0:0 6 sha256:%s",
		    hex);
	assert_line(f, exp.ptr);
	if (geteuid() == 0) {
		assert_line(f, "/etc/app dir 0750 envdrift:envdrift 1234:1234");
		ed_sha256_hex(hex, "owned = by nobody known\n", 24);
		ed_buf_reset(&exp);
		ed_buf_addf(&exp,
			    "/etc/app/orphan.conf file 0644 4242:4343 4242:4343 24 sha256:%s",
			    hex);
		assert_line(f, exp.ptr);
	}
	assert_non_null(strstr(f->meta.v[0], "collector files collected"));
	ed_buf_release(&exp);
}

static void test_files_stores_text_content_only(void **state)
{
	struct fx *f = *state;
	struct ed_buf exp = ED_BUF_INIT;
	const struct snapshot_entry *e;

	assert_int_equal(collect(f), 0);
	read_fixture(&exp, "etc/hosts");
	assert_string_equal(entry(f, "content/etc/hosts"), exp.ptr);
	read_fixture(&exp, "etc/ssh/sshd_config");
	assert_string_equal(entry(f, "content/etc/ssh/sshd_config"), exp.ptr);
	/* the raw name, not the quoted one, names the content */
	assert_string_equal(entry(f, "content/etc/caf\xe9.conf"), "x = 1\n");
	assert_true(
		has_warning(f, "/etc/caf\\xe9.conf: file name is not valid UTF-8"));
	/* not UTF-8 inside: stored anyway, with a warning */
	assert_string_equal(entry(f, "content/etc/latin1.conf"),
			    "name = caf\xe9\n");
	assert_true(has_warning(f, "/etc/latin1.conf: content is not valid UTF-8"));
	e = snapshot_find(&f->snap, "content/etc/empty.conf");
	assert_non_null(e);
	assert_int_equal(e->len, 0);
	/* binary: hashed, never stored; links and specials: never stored */
	assert_null(entry(f, "content/etc/blob.bin"));
	assert_null(entry(f, "content/etc/root-link"));
	assert_null(entry(f, "content/etc/fifo"));
	assert_true(has_warning(f, "/etc/fifo: special file (fifo), not read"));
	assert_true(has_warning(f, "/etc/sock: special file (socket), not read"));
	ed_buf_release(&exp);
}

static void test_files_skips_excluded_paths(void **state)
{
	struct fx *f = *state;
	struct ed_buf exp = ED_BUF_INIT;
	char hex[65];
	size_t i;

	assert_int_equal(collect(f), 0);
	assert_no_line(f, "/etc/mtab");
	assert_no_line(f, "/etc/hosts.dpkg-old");
	assert_no_line(f, "/etc/hosts~");
	assert_no_line(f, "/etc/.git");
	assert_no_line(f, "/etc/.git/config");
	assert_null(entry(f, "content/etc/.git/config"));
	/* "/etc/.git" is anchored: a .git file deeper down is config */
	ed_sha256_hex(hex, "gitdir: elsewhere\n", 18);
	ed_buf_addf(&exp, "/etc/sub/.git file 0644 root:root 0:0 18 sha256:%s",
		    hex);
	assert_line(f, exp.ptr);
	for (i = 0; i < f->snap.nr; i++)
		assert_null(strstr(f->snap.entries[i].path, "dpkg-old"));
	ed_buf_release(&exp);
}

static void test_files_does_not_follow_symlinks(void **state)
{
	struct fx *f = *state;
	const char *files, *p;
	size_t i;

	assert_int_equal(collect(f), 0);
	files = entry(f, "files");
	assert_non_null(files);
	for (p = files; *p; p = strchr(p, '\n') + 1) {
		/* "/etc/STARSTAR" records /etc itself too */
		assert_true(!strncmp(p, "/etc/", 5) ||
			    !strncmp(p, "/etc dir ", 9));
		assert_int_not_equal(strncmp(p, "/etc/root-link/", 15), 0);
		assert_int_not_equal(strncmp(p, "/etc/up-link/", 13), 0);
		assert_int_not_equal(strncmp(p, "/etc/linked/", 12), 0);
	}
	for (i = 0; i < f->snap.nr; i++) {
		const char *path = f->snap.entries[i].path;

		assert_true(!strcmp(path, "files") ||
			    !strncmp(path, "content/etc/", 12));
	}
	/* the sandbox path never leaks into the snapshot */
	assert_nowhere(f, f->root);
	assert_nowhere(f, "outside-secret");
}

static void test_files_warns_on_symlinked_prefix(void **state)
{
	struct fx *f = *state;

	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/linked/**");
	ed_strvec_push(&f->cfg.file_include, "/etc/root-link/etc/hosts");
	assert_int_equal(collect(f), 0);
	/* the link itself is recorded (it matches "/etc/linked/STARSTAR"), never entered */
	assert_string_equal(entry(f, "files"),
			    "/etc/linked symlink 0777 root:root 0:0 -> /etc\n");
	assert_int_equal(f->snap.nr, 1);
	/* recorded as a symlink entry, so no warning is needed for it */
	assert_false(has_warning(
		f,
		"/etc/linked: is a symlink, not followed: nothing collected below it"));
	assert_true(has_warning(
		f,
		"/etc/root-link: is a symlink, not followed: nothing collected below it"));
}

static void test_files_narrow_and_overlapping_includes(void **state)
{
	struct fx *f = *state;
	struct ed_buf all = ED_BUF_INIT;
	size_t nr;

	assert_int_equal(collect(f), 0);
	ed_buf_adds(&all, entry(f, "files"));
	nr = f->snap.nr;

	/* overlapping patterns: each path once, each content once */
	ed_strvec_push(&f->cfg.file_include, "/etc/hosts");
	ed_strvec_push(&f->cfg.file_include, "/etc/ssh/*");
	ed_strvec_push(&f->cfg.file_include, "/etc");
	assert_int_equal(collect(f), 0);
	assert_int_equal(f->snap.nr, nr);
	assert_line(f, "/etc dir 0755 root:root 0:0");

	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/ssh/*_config");
	ed_strvec_push(&f->cfg.file_include, "/etc/hosts");
	assert_int_equal(collect(f), 0);
	assert_no_line(f, "/etc/ssh");
	assert_no_line(f, "/etc/ssh/ssh_host_ed25519_key");
	assert_non_null(entry(f, "content/etc/hosts"));
	assert_non_null(entry(f, "content/etc/ssh/sshd_config"));
	assert_int_equal(f->snap.nr, 3);
	ed_buf_release(&all);
}

static void test_files_never_stores_secrets(void **state)
{
	struct fx *f = *state;
	const char *app;

	assert_int_equal(collect(f), 0);
	assert_nowhere(f, "hunter2");
	assert_nowhere(f, f->pem_body.ptr);
	assert_nowhere(f, openssh_body);
	assert_nowhere(f, "Fixture0RootHashDoNotLeak");
	assert_nowhere(f, "Fixture1UserHashDoNotLeak");
	assert_nowhere(f, "fixtureSalt");

	/* whole secret files: by glob and by PEM content */
	assert_hmac_line(NULL, f, "/etc/shadow");
	assert_hmac_line(NULL, f, "/etc/ssh/ssh_host_ed25519_key");
	assert_hmac_line(NULL, f, "/etc/app/deploy_key");
	assert_null(entry(f, "content/etc/shadow"));
	assert_null(entry(f, "content/etc/ssh/ssh_host_ed25519_key"));
	assert_null(entry(f, "content/etc/app/deploy_key"));

	/* secret values: replaced in the content, file hashed with the key */
	assert_hmac_line(NULL, f, "/etc/app/app.conf");
	app = entry(f, "content/etc/app/app.conf");
	assert_non_null(app);
	assert_non_null(
		strstr(app,
		       "\nhost = db.example.com\nport = 5432\npassword = hmac:"));
	assert_non_null(strstr(app, "\n  api_key: hmac:"));
	assert_non_null(strstr(app, "\nuser = app\n"));
	assert_int_equal(
		strlen(app),
		strlen("# test application config\n[db]\nhost = db.example.com\nport = 5432\npassword = \n  api_key: \nuser = app\n") +
			2 * (5 + 64));
}

static void test_files_tokens_are_stable_per_key(void **state)
{
	struct fx *f = *state;
	struct ed_buf files1 = ED_BUF_INIT, app1 = ED_BUF_INIT;
	struct ed_buf tok1 = ED_BUF_INIT, tok2 = ED_BUF_INIT;
	const char *app2;

	assert_int_equal(collect(f), 0);
	ed_buf_adds(&files1, entry(f, "files"));
	ed_buf_adds(&app1, entry(f, "content/etc/app/app.conf"));
	assert_hmac_line(&tok1, f, "/etc/app/app.conf");

	/* same key, same bytes: identical snapshot */
	assert_int_equal(collect(f), 0);
	assert_string_equal(entry(f, "files"), files1.ptr);
	assert_string_equal(entry(f, "content/etc/app/app.conf"), app1.ptr);

	/* a changed password changes its token and the file's, not the rest */
	write_str(f, "etc/app/app.conf",
		  "# test application config\n[db]\nhost = db.example.com\nport = 5432\npassword = hunter3\n  api_key: sk_live_hunter2key\nuser = app\n",
		  0640);
	chown_in(f, "etc/app/app.conf", 1234, 1234);
	assert_int_equal(collect(f), 0);
	assert_nowhere(f, "hunter3");
	assert_hmac_line(&tok2, f, "/etc/app/app.conf");
	assert_string_not_equal(tok1.ptr, tok2.ptr);
	app2 = entry(f, "content/etc/app/app.conf");
	assert_string_not_equal(app2, app1.ptr);
	assert_non_null(strstr(app1.ptr, strstr(app2, "\n  api_key: hmac:")));
	ed_buf_release(&files1);
	ed_buf_release(&app1);
	ed_buf_release(&tok1);
	ed_buf_release(&tok2);
}

static void test_files_requires_key_for_secrets(void **state)
{
	struct fx *f = *state;

	f->o.key = NULL;
	assert_int_equal(collect(f), ED_EKEY);
	assert_non_null(strstr(f->err.msg, "but no HMAC key loaded"));
	assert_null(snapshot_find(&f->snap, "files"));
	assert_int_equal(f->snap.nr, 0);

	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/app/app.conf");
	assert_int_equal(collect(f), ED_EKEY);
	assert_string_equal(f->err.msg,
			    "secret found in /etc/app/app.conf but no HMAC key loaded");

	/* no secret in scope: no key needed */
	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/ssh/sshd_config");
	assert_int_equal(collect(f), 0);
	assert_non_null(entry(f, "content/etc/ssh/sshd_config"));
}

static void test_files_custom_secret_patterns(void **state)
{
	struct fx *f = *state;
	const char *c;

	write_str(f, "etc/custom.conf",
		  "apikey s3cr3tvalue\ntoken\tt0k3nvalue\r\nplain line\n", 0644);
	ed_strvec_release(&f->cfg.secret_values);
	/* neither needs ':' or '=', so the prefilter must not skip them */
	ed_strvec_push(&f->cfg.secret_values,
		       "^(apikey[[:space:]]+)[^[:space:]]+");
	ed_strvec_push(&f->cfg.secret_values, "^(token(=|[[:space:]]))");
	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/custom.conf");
	assert_int_equal(collect(f), 0);
	assert_nowhere(f, "s3cr3t");
	assert_nowhere(f, "t0k3n");
	c = entry(f, "content/etc/custom.conf");
	assert_non_null(c);
	assert_int_equal(strncmp(c, "apikey hmac:", 12), 0);
	assert_non_null(strstr(c, "\ntoken\thmac:"));
	/* the '\r' of a CRLF line is kept, not hashed */
	assert_non_null(strstr(c, "\r\nplain line\n"));
	assert_hmac_line(NULL, f, "/etc/custom.conf");
}

static void test_files_rejects_bad_config(void **state)
{
	struct fx *f = *state;

	ed_strvec_push(&f->cfg.file_include, "etc/relative/**");
	assert_int_equal(collect(f), ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "file_include: \"etc/relative/**\": not an absolute path");
	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/../root/**");
	assert_int_equal(collect(f), ED_EPARSE);

	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/etc/**");
	ed_strvec_push(&f->cfg.secret_values, "^password=.*$");
	assert_int_equal(collect(f), ED_EPARSE);
	assert_string_equal(
		f->err.msg,
		"secret_values: \"^password=.*$\": needs a group around the part kept verbatim");
	ed_strvec_release(&f->cfg.secret_values);
	ed_strvec_push(&f->cfg.secret_values, "^(unclosed");
	assert_int_equal(collect(f), ED_EPARSE);
	assert_int_equal(strncmp(f->err.msg, "secret_values: \"^(unclosed\": ", 29),
			 0);
	assert_int_equal(f->snap.nr, 0);
}

static void test_files_missing_root_is_an_error(void **state)
{
	struct fx *f = *state;

	f->collect_root = "/nonexistent/envdrift-root";
	assert_int_equal(collect(f), ED_ENOTFOUND);
	assert_int_equal(strncmp(f->err.msg,
				 "root /nonexistent/envdrift-root: ", 33),
			 0);
}

static void test_files_max_files_overflow_is_partial(void **state)
{
	struct fx *f = *state;

	f->cfg.max_files = 5;
	assert_int_equal(collect(f), ED_EPARTIAL);
	assert_non_null(strstr(f->err.msg, "more than 5 entries"));
	/* nothing of a partial collection reaches the snapshot */
	assert_int_equal(f->snap.nr, 0);
	assert_int_equal(f->meta.nr, 0);
}

static void test_files_depth_is_bounded(void **state)
{
	struct fx *f = *state;
	struct ed_buf rel = ED_BUF_INIT;
	int i;

	ed_buf_adds(&rel, "etc/deep");
	for (i = 0; i < 70; i++) {
		make_dir(f, rel.ptr, 0755);
		ed_buf_adds(&rel, "/d");
	}
	assert_int_equal(collect(f), ED_EPARTIAL);
	assert_non_null(strstr(f->err.msg, "more than 64 directory levels deep"));
	assert_int_equal(f->snap.nr, 0);
	ed_buf_release(&rel);
}

static void test_files_records_device_nodes(void **state)
{
	struct fx *f = *state;
	struct ed_buf p = ED_BUF_INIT;

	path_in(&p, f, "etc/null");
	if (mknod(p.ptr, S_IFCHR | 0666, makedev(1, 3)) < 0) {
		ed_buf_release(&p);
		skip(); /* needs CAP_MKNOD */
	}
	assert_int_equal(chmod(p.ptr, 0666), 0);
	assert_int_equal(collect(f), 0);
	assert_line(f, "/etc/null chardev 0666 root:root 0:0 1:3");
	assert_true(has_warning(f, "/etc/null: special file (chardev), not read"));
	ed_buf_release(&p);
}

/*
 * Root reads everything, so as root the collect runs with euid nobody; the
 * euid is restored before any assertion can jump out of the test.
 */
static void test_files_records_unreadable_files(void **state)
{
	struct fx *f = *state;
	uid_t euid = geteuid();
	int rc;

	if (euid == 0 && seteuid(65534) < 0)
		skip();
	rc = collect(f);
	if (euid == 0)
		assert_int_equal(seteuid(0), 0);
	assert_int_equal(rc, 0);
	assert_line(f, "/etc/private.conf file 0000 root:root 0:0 14 unreadable");
	assert_true(
		has_warning(f, "/etc/private.conf: unreadable: Permission denied"));
	assert_null(entry(f, "content/etc/private.conf"));
	if (euid == 0) {
		/* an unreadable directory is kept, and says so */
		assert_line(f, "/etc/locked dir 0700 root:root 0:0 unreadable");
		assert_true(has_warning(
			f, "/etc/locked: unreadable: Permission denied"));
		assert_line(f,
			    "/etc/shadow file 0640 root:envdrift 0:1234 251 unreadable");
	}
}

static void test_files_walks_from_the_root(void **state)
{
	struct fx *f = *state;

	ed_strvec_release(&f->cfg.file_include);
	ed_strvec_push(&f->cfg.file_include, "/**");
	ed_strvec_push(&f->cfg.file_exclude, "/hmac.key");
	assert_int_equal(collect(f), 0);
	assert_line(f, "/ dir 0755 root:root 0:0");
	assert_line(f, "/etc dir 0755 root:root 0:0");
	assert_hmac_line(NULL, f, "/root/outside.conf");
	assert_no_line(f, "/hmac.key");
	assert_nowhere(f, "outside-secret");
	assert_non_null(entry(f, "content/etc/hosts"));
}

static void test_files_huge_files_are_not_hashed(void **state)
{
	struct fx *f = *state;
	struct ed_buf p = ED_BUF_INIT;

	path_in(&p, f, "etc/huge.img");
	/* sparse: costs no disk and is never read */
	write_str(f, "etc/huge.img", "", 0644);
	assert_int_equal(truncate(p.ptr, (off_t)FILES_HASH_MAX + 1), 0);
	assert_int_equal(collect(f), 0);
	assert_line(f, "/etc/huge.img file 0644 root:root 0:0 268435457 unhashed");
	assert_true(has_warning(
		f, "/etc/huge.img: larger than 268435456 bytes, not hashed"));
	assert_null(entry(f, "content/etc/huge.img"));
	ed_buf_release(&p);
}

/* Both snapshots hold the same entries, bytes, warnings and keep paths. */
static void assert_same_snapshot(const struct snapshot *a,
				 const struct snapshot *b)
{
	size_t i;

	assert_int_equal(a->nr, b->nr);
	for (i = 0; i < a->nr; i++) {
		assert_string_equal(a->entries[i].path, b->entries[i].path);
		assert_int_equal(a->entries[i].len, b->entries[i].len);
		assert_memory_equal(a->entries[i].data, b->entries[i].data,
				    a->entries[i].len);
	}
	assert_int_equal(a->warnings.nr, b->warnings.nr);
	for (i = 0; i < a->warnings.nr; i++)
		assert_string_equal(a->warnings.v[i], b->warnings.v[i]);
	assert_int_equal(a->keep.nr, b->keep.nr);
	for (i = 0; i < a->keep.nr; i++)
		assert_string_equal(a->keep.v[i], b->keep.v[i]);
}

/*
 * An in-memory image of the tree (collector/vfs.h, what a fleet scan
 * decodes) collects to the same snapshot as the tree itself: as root,
 * then as nobody, for whom etc/locked, etc/shadow and the 0600 files
 * are unreadable in the tree and so marked in the image.
 */
static void test_files_image_collects_like_the_tree(void **state)
{
	struct fx *f = *state;
	struct collect_opts o = f->o;
	struct ed_strvec meta = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf p = ED_BUF_INIT;
	struct snapshot img;
	uid_t euid = geteuid();
	int pass, lrc, rrc, irc;

	path_in(&p, f, "etc/null");
	if (mknod(p.ptr, S_IFCHR | 0666, makedev(1, 3)) == 0)
		assert_int_equal(chmod(p.ptr, 0666), 0);
	for (pass = 0; pass < 2; pass++) {
		struct vfs *fs = vfs_mem_new();

		if (pass && (euid != 0 || seteuid(65534) < 0)) {
			vfs_free(fs);
			break;
		}
		snapshot_init(&img);
		vfs_set_live(fs, false);
		lrc = vfs_mem_load_dir(fs, f->root, "", &err);
		rrc = collect(f);
		irc = collect_files(&img, &meta, fs, &o, &err);
		if (pass)
			assert_int_equal(seteuid(0), 0);
		assert_int_equal(lrc, 0);
		assert_int_equal(rrc, 0);
		assert_int_equal(irc, 0);
		assert_same_snapshot(&f->snap, &img);
		assert_int_equal(meta.nr, f->meta.nr);
		if (pass)
			assert_true(has_warning(
				f, "/etc/locked: unreadable: Permission denied"));
		snapshot_release(&img);
		ed_strvec_release(&meta);
		vfs_free(fs);
	}
	ed_buf_release(&p);
}

static void assert_required(const char *pattern, const char *expected)
{
	char got[ED_SECRET_REQ_MAX + 1];

	ed_secret_required_bytes(got, pattern);
	assert_string_equal(got, expected);
}

static void test_files_prefilter_is_conservative(void **state)
{
	(void)state;
	assert_required(default_secret_value, ":=");
	assert_required("^(pass[=:])(.*)", "=:");
	assert_required("^(k[[:space:]]*[=])", "=");
	assert_required("^(k(e)+[=])", "=");
	/* optional, alternative, negated, ranged or classed: no prefilter */
	assert_required("^(token(=|[[:space:]]))", "");
	assert_required("^(a[:=]?)", "");
	assert_required("^(a[:=]*)", "");
	assert_required("^(a[:=]{0,1})", "");
	assert_required("^(a|b[:=])", "");
	assert_required("^(a([:=]))*x", "");
	assert_required("^(a[:=])|b", "");
	assert_required("^(a[^=])", "");
	assert_required("^(a[+-=])", "");
	assert_required("^(a[[:punct:]])", "");
	assert_required("^(a[xy])", "");
	assert_required("^(a\\[:=])", "");
	assert_required("a[:=])|x", "");
	assert_required("a[:=]([)", "");
}

/*
 * files_match_any refuses most paths on a literal head and tail before it
 * runs the matcher: it must agree with the matcher alone on every pair,
 * the special cases of "**" included.
 */
static void test_files_glob_hints_never_refuse_a_match(void **state)
{
	static const char *const pats[] = {
		"/etc/ssl/private/**",
		"/etc/**/*.key",
		"**/*.jks",
		"**/.netrc",
		"/etc/ppp/*-secrets",
		"/a/**/b",
		"/etc/x?",
		"/etc/[ab]c",
		"/etc/\\*lit",
		"**/id_*",
		"/home/*/.pgpass",
		"/etc/**",
		"/etc/ceph/*.keyring",
		"**/x[!y]",
		"/etc/sh*adow*",
		"/",
	};
	static const char *const paths[] = {
		"/etc/ssl/private",
		"/etc/ssl/private/k.pem",
		"/etc/ssl/privatex",
		"/etc/a.key",
		"/etc/d/e/f.key",
		"/etc/a.keyx",
		"/srv/x.jks",
		"/root/.netrc",
		"/root/.netrcx",
		"/etc/ppp/chap-secrets",
		"/etc/ppp/pap-secrets.bak",
		"/a/b",
		"/a/x/y/b",
		"/a/bb",
		"/etc/xy",
		"/etc/x",
		"/etc/ac",
		"/etc/cc",
		"/etc/*lit",
		"/etc/xlit",
		"/root/.ssh/id_ed25519",
		"/home/u/.pgpass",
		"/home/u/v/.pgpass",
		"/etc",
		"/etc/ceph/c.keyring",
		"/q/xz",
		"/q/xy",
		"/etc/shadow",
		"/etc/shadow-",
		"/etc/gshadow",
		"/",
		"/e",
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		struct ed_strvec one = ED_STRVEC_INIT;
		struct glob_set g;

		ed_strvec_push(&one, pats[i]);
		files_glob_set_init(&g, &one);
		for (j = 0; j < sizeof(paths) / sizeof(paths[0]); j++) {
			const char *p = pats[i], *path = paths[j];
			const char *base = strrchr(path, '/') + 1;
			int base_only = !strncmp(p, "**/", 3) &&
					!strpbrk(p + 3, "/\\") &&
					!strstr(p + 3, "**");
			int want = base_only ? ed_glob_match(p + 3, base, '/') :
					       ed_glob_match(p, path, '/');

			if (files_match_any(&g, path) != want)
				fail_msg("%s on %s: %d, the matcher says %d", p,
					 path, !want, want);
		}
		files_glob_set_release(&g);
		ed_strvec_release(&one);
	}
	/* the hints do refuse: a sample of what they are for */
	{
		struct ed_strvec one = ED_STRVEC_INIT;
		struct glob_set g;

		ed_strvec_push(&one, "/etc/**/*.key");
		files_glob_set_init(&g, &one);
		assert_int_equal(g.hint[0].pre, 4);
		assert_int_equal(g.hint[0].suf, 4);
		files_glob_set_release(&g);
		ed_strvec_release(&one);
	}
}

static void test_files_detects_private_key_armour(void **state)
{
	static const char *const keys[] = {
		"-----BEGIN PRIVATE KEY-----\nMC4C\n-----END PRIVATE KEY-----\n",
		"x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n",
		"-----BEGIN RSA PRIVATE KEY-----\n",
		"-----BEGIN EC PRIVATE KEY-----\n",
		"-----BEGIN ENCRYPTED PRIVATE KEY-----\n",
		"-----BEGIN PGP PRIVATE KEY BLOCK-----\n",
	};
	static const char *const not_keys[] = {
		"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		"-----BEGIN PUBLIC KEY-----\nPRIVATE KEY on the next line\n",
		"PRIVATE KEY-----\n",
		"-----BEGIN ",
	};
	size_t i;

	(void)state;
	for (i = 0; i < ED_ARRAY_SIZE(keys); i++)
		assert_true(ed_secret_has_private_key(keys[i], strlen(keys[i])));
	for (i = 0; i < ED_ARRAY_SIZE(not_keys); i++)
		assert_false(ed_secret_has_private_key(not_keys[i],
						       strlen(not_keys[i])));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_files_records_exact_lines,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_stores_text_content_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_skips_excluded_paths,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_does_not_follow_symlinks,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_warns_on_symlinked_prefix,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_narrow_and_overlapping_includes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_never_stores_secrets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_tokens_are_stable_per_key,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_requires_key_for_secrets,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_custom_secret_patterns,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_rejects_bad_config,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_missing_root_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_max_files_overflow_is_partial,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_depth_is_bounded,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_records_device_nodes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_records_unreadable_files,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_walks_from_the_root,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_huge_files_are_not_hashed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_image_collects_like_the_tree,
						setup, teardown),
		cmocka_unit_test(test_files_prefilter_is_conservative),
		cmocka_unit_test(test_files_glob_hints_never_refuse_a_match),
		cmocka_unit_test(test_files_detects_private_key_armour),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
