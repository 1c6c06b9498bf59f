/*
 * Unit tests for collector/fleet/remote*.c: the script a scan runs on each
 * host, run here with the real /bin/sh, xargs, find, grep and tar on this
 * machine over the request on its standard input, and the decoder of its
 * answer. The key property: collecting the decoded
 * image gives the same snapshot as collecting the same tree directly.
 * Any truncation of the stream is an error, never a smaller snapshot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/internal.h"
#include "collector/fleet/remote.h"
#include "collector/vfs.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/hmac.h"
#include "tests/unit/helpers.h"

struct fixture {
	struct collect_config *cfg;
	struct ed_buf stream;
	char tmp[64];
};

extern char **environ;

/*
 * Run the scan's command line with the local /bin/sh, as sshd would, the
 * request on its standard input (written, then closed); its stdout into
 * out, its stderr into the file errpath (NULL: ours). Returns the exit
 * status.
 */
static int run_command_status(struct ed_buf *out, const char *cmd,
			      const struct ed_buf *request, const char *errpath)
{
	posix_spawn_file_actions_t fa;
	char a0[] = "/bin/sh", a1[] = "-c";
	char *argv[4];
	int in[2], outp[2], status = -1;
	size_t off = 0;
	pid_t pid;

	argv[0] = a0;
	argv[1] = a1;
	argv[2] = (char *)(uintptr_t)cmd;
	argv[3] = NULL;
	ed_buf_reset(out);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(outp), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, outp[0]);
	if (errpath)
		posix_spawn_file_actions_addopen(&fa, 2, errpath,
						 O_WRONLY | O_CREAT | O_TRUNC,
						 0644);
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	/* write and read at once: neither pipe may fill up and stall */
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	for (;;) {
		struct pollfd p[2] = { { outp[0], POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		ssize_t n;

		assert_true(poll(p, in[1] >= 0 ? 2 : 1, 60000) > 0);
		if (in[1] >= 0 && p[1].revents) {
			n = write(in[1], request->ptr + off, request->len - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 || off == request->len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents) {
			ed_buf_grow(out, 65536);
			n = read(outp[0], out->ptr + out->len, 65536);
			assert_true(n >= 0);
			if (!n)
				break;
			ed_buf_setlen(out, out->len + (size_t)n);
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(outp[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void run_command(struct ed_buf *out, const char *cmd,
			const struct ed_buf *request)
{
	assert_int_equal(run_command_status(out, cmd, request, NULL), 0);
}

/*
 * Run the scan's script for cfg here, keep its answer in f->stream and
 * decode it into img; warnings get the decoder's.
 */
static void scan_here(struct fixture *f, const struct collect_config *cfg,
		      struct vfs *img, struct ed_strvec *warnings)
{
	struct ed_buf cmd = ED_BUF_INIT, request = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;

	remote_command(&cmd, 0);
	remote_request_build(&request, cfg);
	run_command(&f->stream, cmd.ptr, &request);
	if (remote_decode(img, f->stream.ptr, f->stream.len, cfg, warnings,
			  &err) < 0)
		fail_msg("decode: %s", err.msg);
	ed_buf_release(&cmd);
	ed_buf_release(&request);
}

static int setup(void **state)
{
	struct fixture *f = ed_xcalloc(1, sizeof(*f));
	struct ed_err err = ED_ERR_INIT;

	if (collect_config_load(&f->cfg, NULL, &err) < 0)
		return -1;
	strcpy(f->tmp, "/tmp/envdrift-remote.XXXXXX");
	if (!mkdtemp(f->tmp))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->tmp);
	if (system(cmd) != 0)
		return -1;
	collect_config_free(f->cfg);
	ed_buf_release(&f->stream);
	free(f);
	return 0;
}

/* Collect fs, or this machine's tree at root when fs is NULL. */
static void collect_prev(struct snapshot *snap, struct vfs *fs, const char *root,
			 int live, const struct collect_config *cfg,
			 struct ed_hmac *key, const struct snapshot *prev)
{
	struct ed_err err = ED_ERR_INIT;
	struct vfs *own = fs ? NULL : vfs_root_new(root);
	struct collect_opts o;

	if (!fs)
		fs = own;
	vfs_set_live(fs, live);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.key = key;
	o.prev = prev;
	snapshot_init(snap);
	if (collect_host(snap, fs, &o, &err) < 0)
		fail_msg("collect_host: %s", err.msg);
	vfs_free(own);
}

static void collect(struct snapshot *snap, struct vfs *fs, const char *root,
		    const struct collect_config *cfg, struct ed_hmac *key)
{
	collect_prev(snap, fs, root, 0, cfg, key, NULL);
}

/* Entries that must be byte-identical; sysctl values move on a live box. */
static void assert_same(const struct snapshot *a, const struct snapshot *b,
			int skip_sysctl)
{
	size_t i, compared = 0;

	for (i = 0; i < a->nr; i++) {
		const struct snapshot_entry *x = &a->entries[i];
		const struct snapshot_entry *y = snapshot_find(b, x->path);

		if (skip_sysctl && !strncmp(x->path, "sysctl", 6))
			continue;
		if (!y)
			fail_msg("%s: only in the direct collect", x->path);
		if (x->len != y->len || memcmp(x->data, y->data, x->len)) {
			/* show the first differing line */
			size_t k = 0;

			while (k < x->len && k < y->len &&
			       x->data[k] == y->data[k])
				k++;
			while (k && x->data[k - 1] != '\n')
				k--;
			fail_msg("%s differs at byte %zu:\n direct: %.120s\n remote: %.120s",
				 x->path, k, x->data + k,
				 k < y->len ? y->data + k : "");
		}
		compared++;
	}
	for (i = 0; i < b->nr; i++)
		if (!(skip_sysctl && !strncmp(b->entries[i].path, "sysctl", 6)))
			assert_non_null(snapshot_find(a, b->entries[i].path));
	assert_true(compared > 3);
}

/*
 * A fixture config whose include is a temporary tree: the script runs on
 * this machine and reads that tree, the direct collect reads it too.
 */
static void test_tree_identical(void **state)
{
	struct fixture *f = *state;
	struct collect_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT, yaml = ED_BUF_INIT;
	struct snapshot direct = SNAPSHOT_INIT, remote = SNAPSHOT_INIT;
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct vfs *img = vfs_mem_new();
	char big[5000];
	size_t i;

	/* odd names, a long path (GNU tar long-name records), symlinks, fifo */
	ed_buf_addf(&path, "%s/conf", f->tmp);
	assert_int_equal(mkdir(path.ptr, 0755), 0);
	ed_buf_addf(&path, "/sub dir");
	assert_int_equal(mkdir(path.ptr, 0750), 0);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/a.conf", f->tmp);
	ut_write_text(path.ptr, "key = value\nno newline at end", 0644);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/sub dir/it's \"quoted\" $(x).conf", f->tmp);
	ut_write_text(path.ptr, "x=1\n", 0600);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/sub dir/", f->tmp);
	for (i = 0; i < 12; i++)
		ed_buf_adds(&path, "long-component-name-");
	ut_write_text(path.ptr, "long\n", 0644);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/empty", f->tmp);
	ut_write_text(path.ptr, "", 0644);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/binary", f->tmp);
	memset(big, 0, sizeof(big));
	{
		int fd = open(path.ptr, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		assert_int_equal(write(fd, big, sizeof(big)),
				 (ssize_t)sizeof(big));
		close(fd);
	}
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/link", f->tmp);
	assert_int_equal(symlink("a.conf", path.ptr), 0);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/abs-link", f->tmp);
	assert_int_equal(symlink("/etc/hostname", path.ptr), 0);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/fifo", f->tmp);
	assert_int_equal(mkfifo(path.ptr, 0644), 0);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/conf/hardlink", f->tmp);
	{
		struct ed_buf src = ED_BUF_INIT;

		ed_buf_addf(&src, "%s/conf/a.conf", f->tmp);
		assert_int_equal(link(src.ptr, path.ptr), 0);
		ed_buf_release(&src);
	}

	/*
	 * a tree whose name has a tab, a newline and UTF-8: the request
	 * escapes those bytes in its record, the script turns them back
	 */
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/odd\t\xc3\xa9\nname", f->tmp);
	assert_int_equal(mkdir(path.ptr, 0755), 0);
	ed_buf_adds(&path, "/x.conf");
	ut_write_text(path.ptr, "odd = 1\n", 0644);
	ed_buf_addf(&yaml,
		    "files:\n  include:\n    - %s/conf/**\n"
		    "    - \"%s/odd\\t\xc3\xa9\\nname/**\"\n",
		    f->tmp, f->tmp);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/config.yaml", f->tmp);
	ut_write_text(path.ptr, yaml.ptr, 0644);
	assert_int_equal(collect_config_load(&cfg, path.ptr, &err), 0);

	scan_here(f, cfg, img, &warnings);
	assert_int_equal(warnings.nr, 0);
	collect(&direct, NULL, "/", cfg, NULL);
	collect(&remote, img, "/", cfg, NULL);
	assert_same(&direct, &remote, 1);
	{
		const struct snapshot_entry *e = snapshot_find(&remote, "files");

		assert_non_null(e);
		assert_non_null(strstr(e->data, "long-component-name-long"));
		assert_non_null(
			strstr(e->data, "odd\\x09\xc3\xa9\\x0aname/x.conf"));
		assert_non_null(strstr(e->data, "fifo"));
	}

	snapshot_release(&direct);
	snapshot_release(&remote);
	ed_strvec_release(&warnings);
	vfs_free(img);
	collect_config_free(cfg);
	ed_buf_release(&path);
	ed_buf_release(&yaml);
}

/* The whole default collection of this machine, both ways. */
static void test_this_machine_identical(void **state)
{
	struct fixture *f = *state;
	struct ed_err err = ED_ERR_INIT;
	struct snapshot direct = SNAPSHOT_INIT, remote = SNAPSHOT_INIT;
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct ed_hmac *key = NULL;
	struct vfs *img = vfs_mem_new();
	struct ed_buf keypath = ED_BUF_INIT;

	ed_buf_addf(&keypath, "%s/key", f->tmp);
	assert_int_equal(ed_hmac_generate(keypath.ptr, 0600, &err), 0);
	assert_int_equal(ed_hmac_load(&key, keypath.ptr, &err), 0);
	scan_here(f, f->cfg, img, &warnings);
	collect(&direct, NULL, "/", f->cfg, key);
	collect(&remote, img, "/", f->cfg, key);
	assert_same(&direct, &remote, 1);
	snapshot_release(&direct);
	snapshot_release(&remote);
	ed_strvec_release(&warnings);
	ed_hmac_free(key);
	vfs_free(img);
	ed_buf_release(&keypath);
}

/* Cut the real stream anywhere: decoding must fail, never succeed short. */
static void test_truncation_is_an_error(void **state)
{
	struct fixture *f = *state;
	size_t len = f->stream.len, step, cut, tried = 0;

	assert_true(len > 1000); /* filled by the previous test */
	step = len / 97 + 1;
	for (cut = 0; cut < len; cut += step) {
		struct vfs *img = vfs_mem_new();
		struct ed_strvec w = ED_STRVEC_INIT;
		struct ed_err err = ED_ERR_INIT;

		assert_true(remote_decode(img, f->stream.ptr, cut, f->cfg, &w,
					  &err) < 0);
		assert_true(err.msg[0] != '\0');
		ed_strvec_release(&w);
		vfs_free(img);
		tried++;
	}
	/* and the last bytes: "@done" cut in half */
	{
		struct vfs *img = vfs_mem_new();
		struct ed_strvec w = ED_STRVEC_INIT;
		struct ed_err err = ED_ERR_INIT;

		assert_true(remote_decode(img, f->stream.ptr, len - 3, f->cfg,
					  &w, &err) < 0);
		ed_strvec_release(&w);
		vfs_free(img);
	}
	assert_true(tried >= 90);
}

/* 1 if b holds the n bytes at s (NULs included) */
static int has_bytes_n(const struct ed_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; n <= b->len && i <= b->len - n; i++)
		if (!memcmp(b->ptr + i, s, n))
			return 1;
	return 0;
}

static int has_bytes(const struct ed_buf *b, const char *s)
{
	return has_bytes_n(b, s, strlen(s));
}

/*
 * The second request comes once the listing is whole, however the output
 * arrives: byte by byte here. With no cache every file the collectors
 * read is asked for; garbage gets an empty reply (EOF: the host stops).
 */
static void test_reply_waits_for_the_listing(void **state)
{
	struct fixture *f = *state;
	const char *end = NULL;
	struct remote_session *s = remote_session_new(f->cfg, NULL, NULL, 0, 0);
	struct ed_buf more = ED_BUF_INIT;
	size_t i, listed, nul = 0;

	assert_true(f->stream.len > 1000); /* filled by an earlier test */
	for (i = 0; i + 5 <= f->stream.len && !end; i++)
		if (!memcmp(f->stream.ptr + i, "\0@end\0", 6))
			end = f->stream.ptr + i + 6;
	assert_non_null(end);
	listed = (size_t)(end - f->stream.ptr);
	for (i = 1; i < listed; i++)
		assert_int_equal(remote_session_reply(s, f->stream.ptr, i, &more),
				 0);
	assert_int_equal(remote_session_reply(s, f->stream.ptr, listed, &more), 1);
	assert_int_equal(memcmp(more.ptr, "l ", 2), 0);
	assert_non_null(strstr(more.ptr, "\n"));
	for (i = 0; i < more.len; i++)
		nul += !more.ptr[i];
	/* every path asked for is one NUL-terminated record, /etc/passwd too */
	assert_int_equal(strtoul(more.ptr + 2, NULL, 10), nul);
	assert_true(nul > 10);
	assert_true(has_bytes(&more, "/etc/passwd"));
	remote_session_free(s);

	s = remote_session_new(f->cfg, NULL, NULL, 0, 0);
	assert_int_equal(remote_session_reply(s, "Welcome!\n", 9, &more), 1);
	assert_int_equal(more.len, 0);
	remote_session_free(s);
	ed_buf_release(&more);
}

static void test_garbage_and_no_tar(void **state)
{
	static const char no_tar[] = "ENVDRIFT-STREAM 3\n@list\n"
				     "rnf 644 0 0 3 1.5 1.5 7 8\0/etc/x\0\0"
				     "@end\0@proc\n@end\n"
				     "@cmd 1 0 0 -\n@cmd 0 0 0 -\n@tar\n@done\n";
	static const char bad_attr[] =
		"ENVDRIFT-STREAM 3\n@list\n"
		"rnf 999 0 0 3 1.5 1.5 7 8\0/etc/x\0\0@end\0";
	struct vfs *img = vfs_mem_new();
	struct ed_strvec w = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;

	(void)state;
	/* busybox tar refusing GNU options: no archive, so no "empty /etc" */
	assert_int_equal(remote_decode(img, no_tar, sizeof(no_tar) - 1, NULL,
				       &w, &err),
			 ED_EPARSE);
	if (!strstr(err.msg, "GNU tar"))
		fail_msg("%s", err.msg);
	ed_err_clear(&err);
	assert_int_equal(remote_decode(img, bad_attr, sizeof(bad_attr) - 1,
				       NULL, &w, &err),
			 ED_EPARSE);
	assert_non_null(strstr(err.msg, "list"));
	ed_err_clear(&err);
	assert_int_equal(remote_decode(img, "Welcome to host!\n", 17, NULL, &w,
				       &err),
			 ED_EPARSE);
	ed_strvec_release(&w);
	vfs_free(img);
}

/* 1 if b holds the bytes of s somewhere. */
/* A quote in a configured path must never reach the shell unquoted. */
static void test_paths_are_quoted(void **state)
{
	struct fixture *f = *state;
	struct collect_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf cmd = ED_BUF_INIT, become = ED_BUF_INIT;
	struct ed_buf yaml = ED_BUF_INIT, path = ED_BUF_INIT;
	struct ed_buf out = ED_BUF_INIT, pwned = ED_BUF_INIT;
	struct ed_buf request = ED_BUF_INIT;

	ed_buf_addf(&pwned, "%s/pwned", f->tmp);
	ed_buf_addf(&yaml, "files:\n  include:\n    - \"%s/x'; touch %s; '/**\"\n",
		    f->tmp, pwned.ptr);
	ed_buf_addf(&path, "%s/q.yaml", f->tmp);
	ut_write_text(path.ptr, yaml.ptr, 0644);
	assert_int_equal(collect_config_load(&cfg, path.ptr, &err), 0);
	remote_command(&become, 1);
	remote_command(&cmd, 0);
	assert_int_equal(strncmp(become.ptr, "exec sudo -n /bin/sh -c '", 25), 0);
	assert_int_equal(strncmp(cmd.ptr, "exec /bin/sh -c '", 17), 0);
	assert_string_equal(become.ptr + 13, cmd.ptr + 5);
	/* the path travels in the request only, never in a command line */
	remote_request_build(&request, cfg);
	assert_true(has_bytes(&request, pwned.ptr));
	assert_null(strstr(cmd.ptr, pwned.ptr));
	run_command(&out, cmd.ptr, &request);
	assert_int_equal(access(pwned.ptr, F_OK), -1);
	collect_config_free(cfg);
	ed_buf_release(&cmd);
	ed_buf_release(&become);
	ed_buf_release(&request);
	ed_buf_release(&yaml);
	ed_buf_release(&path);
	ed_buf_release(&out);
	ed_buf_release(&pwned);
}

static const char *toggles_of(const struct snapshot *s)
{
	const struct snapshot_entry *e = snapshot_find(s, "toggles");

	assert_non_null(e);
	return e->data ? e->data : "";
}

/* 1 if some warning contains every one of the strings (NULL-terminated) */
static int warned(const struct snapshot *s, ...)
{
	size_t i;

	for (i = 0; i < s->warnings.nr; i++) {
		const char *w;
		int all = 1;
		va_list ap;

		va_start(ap, s);
		while ((w = va_arg(ap, const char *)))
			all &= strstr(s->warnings.v[i], w) != NULL;
		va_end(ap);
		if (all)
			return 1;
	}
	return 0;
}

/*
 * toggles.commands: run by the script on the "host" (here, for real) and
 * locally; the flags must be the same, failures warned both ways and
 * never read as removals: the previous scan's flags of a failing command
 * are kept, those of a working one are replaced.
 */
static void test_toggle_commands(void **state)
{
	struct fixture *f = *state;
	struct collect_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf yaml = ED_BUF_INIT, path = ED_BUF_INIT;
	struct snapshot direct = SNAPSHOT_INIT, remote = SNAPSHOT_INIT;
	struct snapshot prev = SNAPSHOT_INIT, mounted = SNAPSHOT_INIT;
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct vfs *img = vfs_mem_new();
	const char *t;

	ed_buf_addf(&path, "%s/broken.yaml", f->tmp);
	ut_write_text(path.ptr, "{unclosed: [\n", 0644);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/noexec", f->tmp);
	ut_write_text(path.ptr, "a=1\n", 0644);
	ed_buf_addf(
		&yaml,
		"collectors: {packages: false, kernel: false, sysctl: false,"
		" services: false, files: false}\n"
		"toggles:\n  files: [%s/broken.yaml]\n  commands:\n"
		"    - {name: env, run: [/bin/sh, -c, \"printf 'a=1\\\\nb=two\\\\n'\"], format: env}\n"
		"    - {name: json, run: [/bin/echo, '{\"x\": {\"y\": true}, \"l\": [1, 2]}'], format: json}\n"
		"    - {name: missing, run: [/nonexistent/flags], format: yaml}\n"
		"    - {name: fails, run: [/bin/sh, -c, 'echo a=1; echo oops >&2; exit 3'], format: env}\n"
		"    - {name: noexec, run: [%s], format: env}\n"
		"    - {name: slow, run: [/bin/sleep, '5'], format: env, timeout: 1}\n"
		"    - {name: bad, run: [/bin/echo, '{unclosed'], format: yaml}\n",
		f->tmp, path.ptr);
	ed_buf_reset(&path);
	ed_buf_addf(&path, "%s/toggles.yaml", f->tmp);
	ut_write_text(path.ptr, yaml.ptr, 0644);
	if (collect_config_load(&cfg, path.ptr, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(cfg->toggle_cmds_nr, 7);

	scan_here(f, cfg, img, &warnings);
	collect_prev(&direct, NULL, "/", 1, cfg, NULL, NULL);
	collect_prev(&remote, img, "/", 1, cfg, NULL, NULL);
	assert_string_equal(toggles_of(&direct), toggles_of(&remote));
	assert_string_equal(toggles_of(&direct),
			    "env:a = 1\nenv:b = two\njson:l.0 = 1\njson:l.1 = 2\n"
			    "json:x.y = true\n");
	assert_true(warned(&direct, "command fails", "status 3", "oops",
			   (char *)NULL));
	assert_true(warned(&remote, "command fails", "status 3", (char *)NULL));
	assert_true(warned(&direct, "command slow", (char *)NULL));
	assert_true(warned(&remote, "command slow", "timed out", (char *)NULL));
	assert_true(warned(&direct, "command noexec", (char *)NULL));
	assert_true(warned(&remote, "command noexec", "126", (char *)NULL));
	assert_true(warned(&direct, "command bad", (char *)NULL));
	assert_true(warned(&remote, "command bad", (char *)NULL));
	assert_false(warned(&direct, "missing", (char *)NULL));
	assert_false(warned(&remote, "missing", (char *)NULL));

	assert_true(warned(&direct, "broken.yaml", "previous flags kept",
			   (char *)NULL));
	assert_true(warned(&remote, "broken.yaml", "previous flags kept",
			   (char *)NULL));

	/* the previous scan's flags: kept for failures, replaced otherwise */
	ed_buf_reset(&yaml);
	ed_buf_addf(&yaml,
		    "%s/broken.yaml:k = file\nbad:k = old\nenv:gone = 1\n"
		    "fails:a = 0\nmissing:m = 1\n",
		    f->tmp);
	snapshot_add(&prev, "toggles", yaml.ptr, yaml.len);
	snapshot_release(&remote);
	collect_prev(&remote, img, "/", 1, cfg, NULL, &prev);
	ed_buf_reset(&yaml);
	ed_buf_addf(&yaml,
		    "%s/broken.yaml:k = file\nbad:k = old\nenv:a = 1\n"
		    "env:b = two\nfails:a = 0\njson:l.0 = 1\njson:l.1 = 2\n"
		    "json:x.y = true\n",
		    f->tmp);
	assert_string_equal(toggles_of(&remote), yaml.ptr);
	/* a mounted root never runs the host's commands: all flags kept */
	collect_prev(&mounted, NULL, f->tmp, 0, cfg, NULL, &prev);
	t = toggles_of(&mounted);
	assert_string_equal(
		t, "bad:k = old\nenv:gone = 1\nfails:a = 0\nmissing:m = 1\n");
	/* (the broken file is not under the mounted root f->tmp: absent) */
	assert_true(warned(&mounted, "command env not run", (char *)NULL));

	snapshot_release(&direct);
	snapshot_release(&remote);
	snapshot_release(&prev);
	snapshot_release(&mounted);
	ed_strvec_release(&warnings);
	vfs_free(img);
	collect_config_free(cfg);
	ed_buf_release(&yaml);
	ed_buf_release(&path);
}

/* Load a configuration written to f->tmp/name. */
static struct collect_config *config(struct fixture *f, const char *name,
				     const char *yaml)
{
	struct collect_config *cfg = NULL;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf path = ED_BUF_INIT;

	ed_buf_addf(&path, "%s/%s", f->tmp, name);
	ut_write_text(path.ptr, yaml, 0644);
	if (collect_config_load(&cfg, path.ptr, &err) < 0)
		fail_msg("%s", err.msg);
	ed_buf_release(&path);
	return cfg;
}

/* 1 if the request holds the record s (NUL before and after it). */
/* A record is a line of the request (these have no byte to escape). */
static int has_record(const struct ed_buf *req, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 1; i + n < req->len; i++)
		if (req->ptr[i - 1] == '\n' && !memcmp(req->ptr + i, s, n) &&
		    req->ptr[i + n] == '\n')
			return 1;
	return 0;
}

/*
 * The request is the union of the collectors' tables: what an enabled
 * collector reads is in it (paths, trees, filters, commands with their
 * argv), what a disabled one reads is not.
 */
static void test_request_is_what_the_collectors_read(void **state)
{
	static const char *const wanted[] = {
		"/var/lib/dpkg/status",
		"^(package|status|architecture|version):|^$",
		"/lib/apk/db/installed",
		"/usr/bin/rpm",
		"--qf",
		"/var/lib/rpm/Packages",
		"/proc/cmdline",
		"/usr/lib/os-release",
		"/proc/sys",
		"/proc/net/tcp6",
		"/usr/bin/systemctl",
		"--state=active",
		"SYSTEMD_PAGER=",
		"/run/systemd/system",
		"/etc",
		"/proc",
		"/proc/net/fib_trie",
		"/sys/class/net/*/address",
	};
	struct fixture *f = *state;
	struct collect_config *none =
		config(f, "none.yaml",
		       "collectors: {packages: false, kernel: false, sysctl: false,"
		       " services: false, files: false, identity: false}\n");
	struct collect_config *services =
		config(f, "services.yaml",
		       "collectors: {packages: false, kernel: false, sysctl: false,"
		       " services: true, files: false, identity: false}\n");
	struct ed_buf all = ED_BUF_INIT, empty = ED_BUF_INIT;
	size_t i;

	/* a tree below another is walked once: /etc/systemd/system in /etc */
	remote_request_build(&all, services);
	assert_true(has_record(&all, "/etc/systemd/system"));
	assert_false(has_record(&all, "/etc/passwd"));
	assert_false(has_record(&all, "/var/lib/dpkg/status"));
	remote_request_build(&all, f->cfg);
	assert_false(has_record(&all, "/etc/systemd/system"));
	remote_request_build(&empty, none);
	assert_int_equal(memcmp(all.ptr, "envdrift-request-3 ", 19), 0);
	/* a full scan's second request: "a" and its block, framed */
	assert_non_null(strstr(all.ptr, "envdrift-request-end\na\nenvdrift-more "));
	assert_int_equal(memcmp(all.ptr + all.len - 21,
				"envdrift-request-end\n", 21),
			 0);
	for (i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		if (!has_record(&all, wanted[i]))
			fail_msg("not requested: %s", wanted[i]);
		if (has_record(&empty, wanted[i]))
			fail_msg("requested with every collector off: %s",
				 wanted[i]);
	}
	collect_config_free(none);
	collect_config_free(services);
	ed_buf_release(&all);
	ed_buf_release(&empty);
}

/*
 * Nothing on standard input (a transport that lost the request), a record
 * more or fewer than the count says, a count off by one, a request cut
 * short: the script says so on stderr and writes no stream at all, so the
 * host fails instead of looking empty.
 */
static void test_missing_or_split_request_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct ed_buf cmd = ED_BUF_INIT, request = ED_BUF_INIT, out = ED_BUF_INIT;
	struct ed_buf errpath = ED_BUF_INIT, msg = ED_BUF_INIT;
	struct ed_buf b = ED_BUF_INIT;
	struct ed_err err = ED_ERR_INIT;
	const char *end;
	int round;

	remote_command(&cmd, 0);
	ed_buf_addf(&errpath, "%s/stderr", f->tmp);
	for (round = 0; round < 5; round++) {
		remote_request_build(&request, f->cfg);
		end = strstr(request.ptr, "envdrift-request-end\n");
		assert_non_null(end);
		ed_buf_reset(&b);
		if (round == 0) {
			/* nothing */
		} else if (round == 1) {
			/* a record more than the count says */
			ed_buf_add(&b, request.ptr, (size_t)(end - request.ptr));
			ed_buf_adds(&b, "extra\n");
			ed_buf_adds(&b, end);
		} else if (round == 2) {
			/* a record fewer: the last line before the end dropped */
			const char *last = end - 2;

			while (*last != '\n')
				last--;
			ed_buf_add(&b, request.ptr,
				   (size_t)(last + 1 - request.ptr));
			ed_buf_adds(&b, end);
		} else if (round == 3) {
			/* the count itself, off by one */
			unsigned long n = strtoul(request.ptr + 19, NULL, 10);

			ed_buf_addf(&b, "envdrift-request-3 %lu", n + 1);
			ed_buf_adds(&b, strchr(request.ptr, '\n'));
		} else {
			/* cut in the middle, no end line */
			ed_buf_add(&b, request.ptr, request.len / 2);
		}
		assert_int_not_equal(run_command_status(&out, cmd.ptr, &b,
							errpath.ptr),
				     0);
		assert_int_equal(out.len, 0);
		ed_buf_reset(&msg);
		assert_int_equal(ed_buf_read_file(&msg, errpath.ptr, 4096, &err),
				 0);
		assert_string_equal(msg.ptr,
				    "envdrift: no request on standard input, "
				    "or a malformed one\n");
	}
	ed_buf_release(&cmd);
	ed_buf_release(&request);
	ed_buf_release(&out);
	ed_buf_release(&errpath);
	ed_buf_release(&msg);
	ed_buf_release(&b);
}

/*
 * A request past 128 KiB, the most one exec argument may hold (where the
 * whole script once lived), still reaches the host whole: 1,500 toggles
 * files, the last one there.
 */
static void test_request_larger_than_one_argument(void **state)
{
	struct fixture *f = *state;
	struct collect_config *cfg;
	struct ed_buf yaml = ED_BUF_INIT, path = ED_BUF_INIT;
	struct ed_buf request = ED_BUF_INIT;
	struct snapshot direct = SNAPSHOT_INIT, remote = SNAPSHOT_INIT;
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct vfs *img = vfs_mem_new();
	size_t i;

	ed_buf_addf(&path, "%s/flags.env", f->tmp);
	ut_write_text(path.ptr, "last=yes\n", 0644);
	ed_buf_adds(&yaml, "collectors: {packages: false, kernel: false,"
			   " sysctl: false, services: false, files: false}\n"
			   "toggles:\n  files:\n");
	for (i = 0; i < 1500; i++)
		ed_buf_addf(&yaml,
			    "    - %s/no-such-directory-with-a-long-name-%04zu/flags.env\n",
			    f->tmp, i);
	ed_buf_addf(&yaml, "    - %s\n", path.ptr);
	cfg = config(f, "big.yaml", yaml.ptr);
	remote_request_build(&request, cfg);
	assert_true(request.len > (size_t)128 << 10);
	scan_here(f, cfg, img, &warnings);
	collect(&direct, NULL, "/", cfg, NULL);
	collect(&remote, img, "/", cfg, NULL);
	assert_string_equal(toggles_of(&direct), toggles_of(&remote));
	assert_non_null(strstr(toggles_of(&remote), "/flags.env:last = yes\n"));
	snapshot_release(&direct);
	snapshot_release(&remote);
	ed_strvec_release(&warnings);
	vfs_free(img);
	collect_config_free(cfg);
	ed_buf_release(&yaml);
	ed_buf_release(&path);
	ed_buf_release(&request);
}

/*
 * One find lists the trees and the single paths, pruning the single paths
 * that are directories by EREs: a directory named with ERE special
 * characters is pruned (its other entry not listed), and a directory the
 * unescaped ERE would also match ("p.q" against "pxq") is still walked
 * whole. A path with "^" or a backslash sends the paths as they are, to a
 * find of their own: the same listing.
 */
static void test_single_paths_pruned_exactly(void **state)
{
	static const char *const special[] = { "sp.e[c](i)a*l+?{1}|$x",
					       "car^et\\x" };
	/* as YAML double quotes say them */
	static const char *const quoted[] = { "sp.e[c](i)a*l+?{1}|$x",
					      "car^et\\\\x" };
	struct fixture *f = *state;
	struct ed_buf yaml = ED_BUF_INIT, path = ED_BUF_INIT,
		      request = ED_BUF_INIT;
	size_t round, i;

	for (round = 0; round < 2; round++) {
		const char *dirs[] = { special[round], "p.q", "pxq" };
		struct snapshot direct = SNAPSHOT_INIT, remote = SNAPSHOT_INIT;
		struct ed_strvec warnings = ED_STRVEC_INIT;
		struct vfs *img = vfs_mem_new();
		struct collect_config *cfg;

		for (i = 0; i < 3; i++) {
			ed_buf_reset(&path);
			ed_buf_addf(&path, "%s/%s", f->tmp, dirs[i]);
			if (round == 0 || i == 0)
				assert_int_equal(mkdir(path.ptr, 0755), 0);
			ed_buf_adds(&path, "/flags.env");
			ut_write_text(path.ptr, "on=yes\n", 0644);
			ed_buf_reset(&path);
			ed_buf_addf(&path, "%s/%s/other", f->tmp, dirs[i]);
			ut_write_text(path.ptr, "x=1\n", 0644);
		}
		ed_buf_reset(&yaml);
		ed_buf_addf(&yaml,
			    "collectors: {packages: false, kernel: false, sysctl: false,"
			    " services: false, files: true, identity: false}\n"
			    "files:\n  include:\n    - %s/pxq/**\n"
			    "toggles:\n  files:\n"
			    "    - \"%s/%s/flags.env\"\n"
			    "    - %s/p.q/flags.env\n",
			    f->tmp, f->tmp, quoted[round], f->tmp);
		cfg = config(f, round ? "caret.yaml" : "special.yaml", yaml.ptr);
		remote_request_first(&request, cfg);
		/* how the single paths go: as EREs, or as they are */
		assert_non_null(strstr(request.ptr, round ? "\n-\n" : "\nrx\n"));
		scan_here(f, cfg, img, &warnings);
		collect(&direct, NULL, "/", cfg, NULL);
		collect(&remote, img, "/", cfg, NULL);
		assert_same(&direct, &remote, 1);
		assert_non_null(
			strstr(toggles_of(&remote), "x/flags.env:on = yes\n"));
		assert_non_null(strstr(toggles_of(&remote),
				       "p.q/flags.env:on = yes\n"));
		for (i = 0; i < 3; i++) {
			ed_buf_reset(&path);
			ed_buf_addf(&path, "%s/%s/other", f->tmp, dirs[i]);
			/* the walked tree lists it; the pruned directories do not */
			if (has_bytes_n(&f->stream, path.ptr, path.len + 1) !=
			    (i == 2))
				fail_msg("%s: listed %s", path.ptr,
					 i == 2 ? "not" : "though pruned");
		}
		snapshot_release(&direct);
		snapshot_release(&remote);
		ed_strvec_release(&warnings);
		vfs_free(img);
		collect_config_free(cfg);
	}
	ed_buf_release(&yaml);
	ed_buf_release(&path);
	ed_buf_release(&request);
}

/*
 * The kernel collector reads /proc/sys/kernel/osrelease and version
 * itself, so a host sends them with the sysctl collector off too.
 */
static void test_kernel_without_sysctl_identical(void **state)
{
	struct fixture *f = *state;
	struct collect_config *cfg =
		config(f, "kernel.yaml",
		       "collectors: {packages: false, kernel: true, sysctl: false,"
		       " services: false, files: false}\n");
	struct snapshot direct = SNAPSHOT_INIT, remote = SNAPSHOT_INIT;
	struct ed_strvec warnings = ED_STRVEC_INIT;
	struct vfs *img = vfs_mem_new();
	const struct snapshot_entry *a, *b;

	scan_here(f, cfg, img, &warnings);
	collect(&direct, NULL, "/", cfg, NULL);
	collect(&remote, img, "/", cfg, NULL);
	a = snapshot_find(&direct, "kernel");
	b = snapshot_find(&remote, "kernel");
	if (!a)
		skip(); /* no /proc here */
	assert_non_null(b);
	assert_non_null(strstr(b->data, "release = "));
	assert_string_equal(a->data, b->data);
	snapshot_release(&direct);
	snapshot_release(&remote);
	ed_strvec_release(&warnings);
	vfs_free(img);
	collect_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_identical),
		cmocka_unit_test(test_this_machine_identical),
		cmocka_unit_test(test_truncation_is_an_error),
		cmocka_unit_test(test_reply_waits_for_the_listing),
		cmocka_unit_test(test_garbage_and_no_tar),
		cmocka_unit_test(test_paths_are_quoted),
		cmocka_unit_test(test_toggle_commands),
		cmocka_unit_test(test_request_is_what_the_collectors_read),
		cmocka_unit_test(test_missing_or_split_request_writes_nothing),
		cmocka_unit_test(test_request_larger_than_one_argument),
		cmocka_unit_test(test_single_paths_pruned_exactly),
		cmocka_unit_test(test_kernel_without_sysctl_identical),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
