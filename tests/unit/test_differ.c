/*
 * The differ on hand-made snapshots: facts parsing, consensus, ties,
 * outliers, missing and extra facts, roles, and collectors that were not
 * collected (never drift).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "differ/differ.h"
#include "differ/internal.h"

struct fx {
	struct differ_host h[12];
	size_t nr;
	struct drift_report r;
	struct baseline *rules;
	struct ed_err err;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	drift_report_init(&f->r, "A", "B");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	size_t i;

	for (i = 0; i < f->nr; i++)
		differ_host_release(&f->h[i]);
	drift_report_release(&f->r);
	baseline_free(f->rules);
	free(f);
	return 0;
}

/* Add a host from "path\ncontents" pairs: meta, packages, sysctl. */
static struct differ_host *host(struct fx *f, const char *env, const char *name,
				const char *meta, const char *pkgs,
				const char *sysctl)
{
	struct snapshot s = SNAPSHOT_INIT;
	struct differ_host *h = &f->h[f->nr];

	snapshot_add(&s, "meta", meta, strlen(meta));
	if (pkgs)
		snapshot_add(&s, "packages", pkgs, strlen(pkgs));
	if (sysctl)
		snapshot_add(&s, "sysctl", sysctl, strlen(sysctl));
	snapshot_add(&s, "sysctl-per-host", "kernel.hostname = x\n", 20);
	assert_int_equal(differ_host_load(h, env, name, &s, &f->err), 0);
	snapshot_release(&s);
	f->nr++;
	return h;
}

static void compare(struct fx *f, size_t na)
{
	const struct differ_host *a[12], *b[12];
	size_t i;

	for (i = 0; i < na; i++)
		a[i] = &f->h[i];
	for (i = na; i < f->nr; i++)
		b[i - na] = &f->h[i];
	assert_int_equal(differ_compare(&f->r, f->rules, a, na, b, f->nr - na,
					&f->err),
			 0);
}

static const struct drift_item *find(const struct fx *f, const char *collector,
				     const char *key, enum drift_kind kind)
{
	size_t i;

	for (i = 0; i < f->r.nr; i++)
		if (!strcmp(f->r.items[i].collector, collector) &&
		    !strcmp(f->r.items[i].key, key) && f->r.items[i].kind == kind)
			return &f->r.items[i];
	return NULL;
}

#define META "collector packages collected: dpkg\nrole web\n"

static void test_differ_facts_are_keyed_by_collector_and_key(void **state)
{
	struct fx *f = *state;
	struct differ_host *h =
		host(f, "prod", "h1", META,
		     "openssl amd64 3.0.15-1\nlibfoo i386 1.0 config-files\n",
		     "net.core.rmem = 4096\tx\nkernel.printk = 4\nkernel.printk = 5\n");

	assert_int_equal(h->nr_facts, 5);
	/* per-host values are facts too, compared only by "must differ" rules */
	assert_string_equal(h->facts[4]->collector, "sysctl-per-host");
	assert_string_equal(h->facts[4]->key, "kernel.hostname");
	assert_string_equal(h->facts[0]->collector, "packages");
	assert_string_equal(h->facts[0]->key, "libfoo:i386");
	assert_string_equal(h->facts[0]->value, "1.0 config-files");
	assert_string_equal(h->facts[1]->key, "openssl:amd64");
	assert_string_equal(h->facts[2]->key, "kernel.printk");
	assert_string_equal(h->facts[2]->value, "4\n5"); /* a multi-line value */
	assert_string_equal(h->facts[3]->value, "4096\tx");
	assert_string_equal(h->pkg_manager, "dpkg");
	assert_int_equal(h->roles.nr, 1);
	assert_string_equal(h->roles.v[0], "web");
}

static void test_differ_malformed_line_names_file_and_line(void **state)
{
	struct fx *f = *state;
	struct snapshot s = SNAPSHOT_INIT;
	struct differ_host h;

	snapshot_add(&s, "packages", "ok amd64 1\nbroken\n", 18);
	assert_int_equal(differ_host_load(&h, "prod", "h1", &s, &f->err),
			 ED_EPARSE);
	assert_string_equal(f->err.msg,
			    "hosts/prod/h1/packages:2: malformed line");
	snapshot_release(&s);
}

/* A host with a kernel file (NULL: none) and a sysctl file. */
static void kernel_host(struct fx *f, const char *env, const char *name,
			const char *kernel, const char *sysctl)
{
	struct snapshot s = SNAPSHOT_INIT;

	snapshot_add(&s, "meta", META, strlen(META));
	if (kernel)
		snapshot_add(&s, "kernel", kernel, strlen(kernel));
	snapshot_add(&s, "sysctl", sysctl, strlen(sysctl));
	assert_int_equal(differ_host_load(&f->h[f->nr], env, name, &s, &f->err),
			 0);
	snapshot_release(&s);
	f->nr++;
}

static void test_differ_one_fact_one_item(void **state)
{
	struct fx *f = *state;

	kernel_host(f, "a", "h1", "release = 6.1.0-18-amd64\nversion = #1 a\n",
		    "kernel.osrelease = 6.1.0-18-amd64\nkernel.version = #1 a\n");
	kernel_host(f, "b", "h2", "release = 6.1.0-21-amd64\nversion = #1 b\n",
		    "kernel.osrelease = 6.1.0-21-amd64\nkernel.version = #1 b\n");
	compare(f, 1);
	assert_non_null(find(f, "kernel", "release", DRIFT_CHANGED));
	assert_non_null(find(f, "kernel", "version", DRIFT_CHANGED));
	assert_null(find(f, "sysctl", "kernel.osrelease", DRIFT_CHANGED));
	assert_null(find(f, "sysctl", "kernel.version", DRIFT_CHANGED));
	assert_int_equal(f->r.nr, 2);
}

static void test_differ_echo_reported_without_its_source(void **state)
{
	struct fx *f = *state;

	/* h2 has no kernel file: the sysctl is the only one saying it */
	kernel_host(f, "a", "h1", "release = 6.1.0-18-amd64\n",
		    "kernel.osrelease = 6.1.0-18-amd64\n");
	kernel_host(f, "b", "h2", NULL, "kernel.osrelease = 6.1.0-21-amd64\n");
	compare(f, 1);
	assert_non_null(find(f, "sysctl", "kernel.osrelease", DRIFT_CHANGED));
}

/* A host with a services file. */
static void services_host(struct fx *f, const char *env, const char *name,
			  const char *services)
{
	struct snapshot s = SNAPSHOT_INIT;

	snapshot_add(&s, "meta", META, strlen(META));
	snapshot_add(&s, "services", services, strlen(services));
	assert_int_equal(differ_host_load(&f->h[f->nr], env, name, &s, &f->err),
			 0);
	snapshot_release(&s);
	f->nr++;
}

#define LIVE                                     \
 "active ssh.service\n"                          \
 "enabled ssh.service multi-user.target.wants\n" \
 "listen tcp 0.0.0.0:22\n"
#define IMAGE "enabled ssh.service multi-user.target.wants\n"

static int has_note(const struct fx *f, const char *note)
{
	size_t i;

	for (i = 0; i < f->r.notes.nr; i++)
		if (!strcmp(f->r.notes.v[i], note))
			return 1;
	return 0;
}

static void test_differ_live_facts_against_an_image(void **state)
{
	struct fx *f = *state;

	/* a live host against an image of it: a note, no drift */
	services_host(f, "a", "live", LIVE);
	services_host(f, "b", "image", IMAGE);
	compare(f, 1);
	assert_int_equal(f->r.nr, 0);
	assert_true(has_note(f, "live facts (active units, listening sockets) "
				"not collected on image"));
	assert_false(has_note(f, "live facts (active units, listening "
				 "sockets) not collected on live"));
}

static void test_differ_live_facts_between_live_hosts(void **state)
{
	struct fx *f = *state;

	/* two live hosts: a lost listener is drift */
	services_host(f, "a", "l1", LIVE);
	services_host(f, "b", "l2",
		      "active ssh.service\n"
		      "enabled ssh.service multi-user.target.wants\n");
	compare(f, 1);
	assert_non_null(
		find(f, "services", "listen tcp 0.0.0.0:22", DRIFT_MISSING));
}

static void test_differ_enabled_units_are_not_live(void **state)
{
	struct fx *f = *state;

	/* an enabled unit the image lacks is drift: enabling is on disk */
	services_host(f, "a", "live", LIVE);
	services_host(f, "b", "image", "masked ssh.service\n");
	compare(f, 1);
	assert_non_null(find(f, "services", "enabled ssh.service", DRIFT_MISSING));
	assert_null(find(f, "services", "active ssh.service", DRIFT_MISSING));
}

static void test_differ_identical_hosts_have_no_drift(void **state)
{
	struct fx *f = *state;

	host(f, "a", "h1", META, "p amd64 1\n", "vm.x = 1\n");
	host(f, "b", "h2", META, "p amd64 1\n", "vm.x = 1\n");
	compare(f, 1);
	assert_int_equal(f->r.nr, 0);
}

static void test_differ_changed_missing_extra_and_newer(void **state)
{
	struct fx *f = *state;
	const struct drift_item *it;

	host(f, "a", "h1", META, "p amd64 1:2.0-1\nonly-a amd64 1\n",
	     "vm.x = 1\n");
	host(f, "b", "h2", META, "p amd64 1.9-1\nonly-b amd64 1\n", "vm.x = 2\n");
	compare(f, 1);
	it = find(f, "packages", "p:amd64", DRIFT_CHANGED);
	assert_non_null(it);
	assert_string_equal(it->values[0], "1:2.0-1");
	assert_string_equal(it->values[1], "1.9-1");
	assert_int_equal(it->newer, 0); /* the epoch wins */
	assert_non_null(find(f, "packages", "only-a:amd64", DRIFT_MISSING));
	assert_non_null(find(f, "packages", "only-b:amd64", DRIFT_EXTRA));
	assert_non_null(find(f, "sysctl", "vm.x", DRIFT_CHANGED));
	assert_null(find(f, "sysctl-per-host", "kernel.hostname", DRIFT_CHANGED));
	assert_int_equal(f->r.nr, 4);
}

static void test_differ_consensus_and_outlier(void **state)
{
	struct fx *f = *state;
	const struct drift_item *it;

	host(f, "stg", "s1", META, NULL, "vm.x = 1\n");
	host(f, "stg", "s2", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p2", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p3", META, NULL, "vm.x = 9\n");
	compare(f, 2);
	assert_null(find(f, "sysctl", "vm.x", DRIFT_CHANGED)); /* consensus agrees */
	it = find(f, "sysctl", "vm.x", DRIFT_OUTLIER);
	assert_non_null(it);
	assert_string_equal(it->host, "p3");
	assert_string_equal(it->host_value, "9");
	assert_string_equal(it->values[1], "1");
	assert_int_equal(it->side, 1);
	assert_int_equal(it->group_size, 3);
	assert_string_equal(it->role, "web");
	assert_int_equal(f->r.nr, 1);
}

static void test_differ_tie_means_no_consensus(void **state)
{
	struct fx *f = *state;
	const struct drift_item *it;

	host(f, "stg", "s1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p2", META, NULL, "vm.x = 2\n");
	compare(f, 1);
	it = find(f, "sysctl", "vm.x", DRIFT_CHANGED);
	assert_non_null(it);
	assert_string_equal(it->values[1], "(no consensus)");
	assert_int_equal(it->hosts.nr, 3); /* every value listed */
	assert_null(find(f, "sysctl", "vm.x", DRIFT_OUTLIER));
}

static void test_differ_uncollected_is_never_drift(void **state)
{
	struct fx *f = *state;

	host(f, "a", "h1", META, NULL, "vm.x = 1\n");
	host(f, "b", "img",
	     "collector sysctl not-collected: /proc/sys is empty\nrole web\n",
	     NULL, NULL);
	compare(f, 1);
	assert_int_equal(f->r.nr, 0);
	assert_int_equal(f->r.notes.nr, 1);
	assert_string_equal(f->r.notes.v[0], "sysctl not collected on img");
}

static void test_differ_role_missing_on_one_side(void **state)
{
	struct fx *f = *state;
	const struct drift_item *it;

	host(f, "stg", "s1", META, NULL, "vm.x = 1\n");
	host(f, "stg", "s2", "role db\n", NULL, "vm.x = 1\n");
	host(f, "prd", "p1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p2", META, NULL, "vm.x = 1\n");
	compare(f, 2);
	it = find(f, "hosts", "db", DRIFT_MISSING);
	assert_non_null(it);
	assert_string_equal(it->role, "db");
	assert_int_equal(f->r.nr, 1);
}

static void test_differ_rules_ignore_with_reinclude(void **state)
{
	struct fx *f = *state;
	char path[] = "/tmp/envdrift-rules-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] =
		"ignore:\n  - \"sysctl:vm.*\"\n  - \"!sysctl:vm.keep\"\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(baseline_load(&f->rules, path, &f->err), 0);
	unlink(path);
	/* built-in defaults: host keys and ids are per host, not ignored */
	assert_true(differ_rules_per_host(f->rules, "files",
					  "/etc/ssh/ssh_host_ed25519_key.pub"));
	assert_true(differ_rules_per_host(f->rules, "files", "/etc/machine-id"));
	assert_false(differ_rules_ignored(f->rules, "files",
					  "/etc/ssh/ssh_host_ed25519_key.pub"));
	assert_false(differ_rules_per_host(f->rules, "files",
					   "/etc/ssh/sshd_config"));
	assert_false(differ_rules_ignored(f->rules, "files",
					  "/etc/ssh/sshd_config"));
	/* the baseline's, in order */
	assert_true(differ_rules_ignored(f->rules, "sysctl", "vm.swappiness"));
	assert_false(differ_rules_ignored(f->rules, "sysctl", "vm.keep"));
	host(f, "a", "h1", META, NULL, "vm.x = 1\nvm.keep = 1\n");
	host(f, "b", "h2", META, NULL, "vm.x = 2\nvm.keep = 2\n");
	compare(f, 1);
	assert_int_equal(f->r.nr, 1);
	assert_string_equal(f->r.items[0].key, "vm.keep");
}

/* A host whose only collector is files, with this "files" file. */
static void files_host(struct fx *f, const char *env, const char *name,
		       const char *files)
{
	struct snapshot s = SNAPSHOT_INIT;

	snapshot_add(&s, "meta", "collector files collected\nrole web\n", 36);
	snapshot_add(&s, "files", files, strlen(files));
	assert_int_equal(differ_host_load(&f->h[f->nr], env, name, &s, &f->err),
			 0);
	snapshot_release(&s);
	f->nr++;
}

/* per-host files between different hosts: presence, type, mode, owner */
static void test_differ_per_host_files_keep_their_shape(void **state)
{
	struct fx *f = *state;
	const struct drift_item *it;

	assert_int_equal(baseline_load(&f->rules, NULL, &f->err), 0);
	files_host(f, "a", "h1",
		   "/etc/machine-id file 0444 root:root 0:0 33 sha256:aa\n");
	files_host(f, "b", "h2",
		   "/etc/machine-id file 0644 root:root 0:0 33 sha256:cc\n");
	compare(f, 1);
	it = find(f, "files", "/etc/machine-id", DRIFT_CHANGED);
	assert_non_null(it);
	assert_string_equal(it->values[0], "file 0444 root:root 0:0");
	assert_string_equal(it->values[1], "file 0644 root:root 0:0");
	assert_int_equal(f->r.nr, 1);
}

static void test_differ_per_host_files_missing_on_a_host(void **state)
{
	struct fx *f = *state;

	assert_int_equal(baseline_load(&f->rules, NULL, &f->err), 0);
	files_host(f, "a", "h1",
		   "/etc/machine-id file 0444 root:root 0:0 33 sha256:aa\n");
	files_host(f, "b", "h2", "/etc dir 0755 root:root 0:0\n");
	compare(f, 1);
	assert_non_null(find(f, "files", "/etc/machine-id", DRIFT_MISSING));
}

/* per-host facts: the same host over time, never two different hosts */
static void test_differ_per_host_facts_compare_only_the_same_host(void **state)
{
	struct fx *f = *state;
	static const char id_a[] =
		"/etc/machine-id file 0444 root:root 0:0 33 sha256:aa\n";
	static const char id_c[] =
		"/etc/machine-id file 0444 root:root 0:0 33 sha256:cc\n";

	assert_int_equal(baseline_load(&f->rules, NULL, &f->err), 0);
	/* two different hosts: their ids are not compared */
	files_host(f, "a", "h1", id_a);
	files_host(f, "b", "h2", id_c);
	compare(f, 1);
	assert_int_equal(f->r.nr, 0);
	/* h1 and h2 against themselves at another time: h1's id changed */
	files_host(f, "a", "h2", id_c);
	files_host(f, "b", "h1", id_c);
	drift_report_release(&f->r);
	drift_report_init(&f->r, "A", "B");
	{
		const struct differ_host *a[2] = { &f->h[0], &f->h[2] };
		const struct differ_host *b[2] = { &f->h[3], &f->h[1] };

		assert_int_equal(differ_compare(&f->r, f->rules, a, 2, b, 2,
						&f->err),
				 0);
	}
	assert_int_equal(f->r.nr, 1);
	assert_string_equal(f->r.items[0].key, "/etc/machine-id");
	assert_int_equal(f->r.items[0].kind, DRIFT_CHANGED);
	assert_string_equal(f->r.items[0].host, "h1");
	assert_non_null(strstr(f->r.items[0].values[0], "sha256:aa"));
	assert_non_null(strstr(f->r.items[0].values[1], "sha256:cc"));
}

static void load_rules(struct fx *f, const char *text)
{
	char path[] = "/tmp/envdrift-rules-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(baseline_load(&f->rules, path, &f->err), 0);
	unlink(path);
}

static void test_differ_expect_always_flags_shared_values(void **state)
{
	struct fx *f = *state;
	const struct drift_item *it;

	load_rules(f,
		   "expect:\n  - key: \"sysctl-per-host:kernel.hostname\"\n    differs: always\n");
	/* host() gives every host kernel.hostname = x: a cloned VM */
	host(f, "stg", "s1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p2", META, NULL, "vm.x = 1\n");
	compare(f, 1);
	it = find(f, "sysctl-per-host", "kernel.hostname", DRIFT_CHANGED);
	assert_non_null(it);
	assert_string_equal(it->values[0], "x");
	assert_int_equal(it->hosts.nr, 3);
	assert_non_null(strstr(it->detail, "3 hosts share this value"));
	assert_int_equal(f->r.nr, 1);
}

static void test_differ_expect_between_environments(void **state)
{
	struct fx *f = *state;

	load_rules(f,
		   "expect:\n  - key: \"sysctl:vm.*\"\n    differs: between\n    environments: [dev, prd]\n");
	host(f, "dev", "d1", META, NULL, "vm.x = 1\n");
	host(f, "prd", "p1", META, NULL, "vm.x = 2\n");
	host(f, "prd", "p2", META, NULL, "vm.x = 2\n");
	host(f, "prd", "p3", META, NULL, "vm.x = 3\n");
	compare(f, 1);
	assert_null(find(f, "sysctl", "vm.x", DRIFT_CHANGED)); /* dev may lag */
	assert_non_null(find(f, "sysctl", "vm.x",
			     DRIFT_OUTLIER)); /* inside prd it may not */
	assert_int_equal(f->r.nr, 1);
}

static void test_differ_expect_with_memory(void **state)
{
	struct fx *f = *state;
	struct snapshot s = SNAPSHOT_INIT;
	static const struct {
		const char *env, *host, *mem, *tm;
	} hs[] = {
		{ "stg", "s1", "2048", "100" },
		{ "prd", "p1", "8192", "400" },
		{ "prd", "p2", "8192", "400" },
		{ "prd", "p3", "4096", "200" }, /* smaller host: expected */
		{ "prd", "p4", "8192", "999" }, /* same size, other value: drift */
	};
	size_t i;

	load_rules(f,
		   "expect:\n  - key: \"sysctl:kernel.threads-max\"\n    differs: with-memory\n");
	for (i = 0; i < 5; i++) {
		struct ed_buf k = ED_BUF_INIT, c = ED_BUF_INIT;

		snapshot_init(&s);
		snapshot_add(&s, "meta", META, strlen(META));
		ed_buf_addf(&k, "memory = %s kB\n", hs[i].mem);
		ed_buf_addf(&c, "kernel.threads-max = %s\n", hs[i].tm);
		snapshot_add(&s, "kernel", k.ptr, k.len);
		snapshot_add(&s, "sysctl", c.ptr, c.len);
		assert_int_equal(differ_host_load(&f->h[f->nr], hs[i].env,
						  hs[i].host, &s, &f->err),
				 0);
		f->nr++;
		snapshot_release(&s);
		ed_buf_release(&k);
		ed_buf_release(&c);
	}
	compare(f, 1);
	assert_null(find(f, "sysctl", "kernel.threads-max", DRIFT_CHANGED));
	{
		const struct drift_item *it =
			find(f, "sysctl", "kernel.threads-max", DRIFT_OUTLIER);

		assert_non_null(it);
		assert_string_equal(it->host, "p4");
	}
}

/*
 * Seeking keys in order in every host: hosts sharing a table's strings
 * take the pointer fast path, a host with equal strings of its own, one
 * lacking keys and an empty one the slow path; each answer must be the
 * fact differ_find_fact finds.
 */
static void test_differ_seek_all_agrees_with_find(void **state)
{
	static char c[] = "sysctl", k1[] = "a", k2[] = "b", k3[] = "d";
	static char v1[] = "1", v2[] = "2", v3[] = "3";
	static char oc[] = "sysctl", ok2[] = "b", ov[] = "9";
	struct fact shared[3] = { { c, k1, v1 }, { c, k2, v2 }, { c, k3, v3 } };
	struct fact gap[2] = { { c, k1, v1 }, { c, k3, v3 } };
	struct fact own[1] = { { oc, ok2, ov } };
	const struct fact *pshared[3] = { &shared[0], &shared[1], &shared[2] };
	const struct fact *pgap[2] = { &gap[0], &gap[1] };
	const struct fact *pown[1] = { &own[0] };
	struct differ_host h[5];
	const struct differ_host *g[5];
	const struct fact *fv[5] = { NULL };
	size_t cur[5] = { 0 }, i, k;
	static const char *const keys[] = { "a", "b", "c", "d", "e" };

	(void)state;
	memset(h, 0, sizeof(h));
	h[0].facts = pshared;
	h[0].nr_facts = 3;
	h[1].facts = pshared;
	h[1].nr_facts = 3;
	h[2].facts = pgap;
	h[2].nr_facts = 2;
	h[3].facts = pown;
	h[3].nr_facts = 1;
	for (i = 0; i < 5; i++)
		g[i] = &h[i];
	for (k = 0; k < 5; k++) {
		differ_fact_seek_all(fv, cur, g, 5, "sysctl", keys[k]);
		for (i = 0; i < 5; i++)
			assert_ptr_equal(fv[i], differ_find_fact(&h[i], "sysctl",
								 keys[k]));
	}
	/* after "e", past every fact: each cursor at its host's end */
	for (i = 0; i < 5; i++)
		assert_int_equal(cur[i], h[i].nr_facts);
}

/* One report of a and b rendered as lines, for comparing two runs. */
static void render(struct ed_strvec *out, const struct drift_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nr; i++) {
		const struct drift_item *it = &r->items[i];

		ed_strvec_pushf(out, "%s:%s %d %s|%s %s=%s", it->collector,
				it->key, (int)it->kind,
				it->values[0] ? it->values[0] : "-",
				it->values[1] ? it->values[1] : "-",
				it->host ? it->host : "-",
				it->host_value ? it->host_value : "-");
		for (j = 0; j < it->hosts.nr; j++)
			ed_strvec_pushf(out, "  %s", it->hosts.v[j]);
	}
}

/*
 * Hosts that share a table are sought and counted once per group; the
 * report must be the one that per-host seeking gives (hosts without spans
 * are each a group of their own).
 */
static void test_differ_groups_agree_with_hosts(void **state)
{
	static char c[] = "sysctl", ka[] = "a", kb[] = "b", kc[] = "c";
	static char v1[] = "1", v2[] = "2", v3[] = "3", v9[] = "9";
	struct fact t1[3] = { { c, ka, v1 }, { c, kb, v2 }, { c, kc, v3 } };
	struct fact t2[2] = { { c, ka, v1 }, { c, kb, v9 } };
	struct fact t3[3] = { { c, ka, v9 }, { c, kb, v2 }, { c, kc, v3 } };
	const struct fact *p1[3] = { &t1[0], &t1[1], &t1[2] };
	const struct fact *p2[2] = { &t2[0], &t2[1] };
	const struct fact *p3[3] = { &t3[0], &t3[1], &t3[2] };
	struct differ_host h[8];
	const struct differ_host *g[8];
	struct differ_groups gr;
	struct drift_report r[2];
	struct ed_strvec lines[2] = { ED_STRVEC_INIT, ED_STRVEC_INIT };
	static char names[8][3] = { "a1", "a2", "a3", "a4",
				    "a5", "b1", "b2", "b3" };
	static char prod[] = "prod", staging[] = "staging";
	static const char *const keys[] = { "a", "b", "c", "d" };
	static const unsigned char nolive[8];
	size_t i, k, pass;

	(void)state;
	memset(h, 0, sizeof(h));
	for (i = 0; i < 8; i++) {
		/* a4 and b2 differ; a5 did not collect sysctl */
		const struct fact **t = i == 3 ? p2 : i == 6 ? p3 : p1;

		h[i].host = names[i];
		h[i].env = i < 5 ? prod : staging;
		h[i].facts = t;
		h[i].nr_facts = t == p2 ? 2 : 3;
		h[i].spans[0].table = t;
		h[i].spans[0].len = h[i].nr_facts;
		h[i].nspans = 1;
		ed_strvec_push(&h[i].roles, "default");
		g[i] = &h[i];
	}
	ed_strvec_push(&h[4].uncollected, "sysctl");
	memset(&gr, 0, sizeof(gr));
	differ_groups_build(&gr, g, 5, nolive, "sysctl");
	assert_int_equal(gr.n, 3); /* t1, t1 uncollected, t2 */
	assert_int_equal(gr.weight[gr.of[0]], 3);
	assert_int_equal(gr.of[0], gr.of[2]);
	assert_int_not_equal(gr.of[0], gr.of[4]);
	for (k = 0; k < 4; k++) {
		differ_groups_seek(&gr, "sysctl", keys[k]);
		for (i = 0; i < 5; i++) {
			const struct fact *f =
				differ_find_fact(&h[i], "sysctl", keys[k]);
			const struct fact *gf = gr.fv[gr.of[i]];

			assert_true(differ_same_str(f ? f->value : NULL,
						    gf ? gf->value : NULL));
		}
	}
	differ_groups_release(&gr);
	for (pass = 0; pass < 2; pass++) {
		/* pass 1: no spans, one group per host */
		for (i = 0; pass && i < 8; i++)
			h[i].nspans = 0;
		drift_report_init(&r[pass], "prod", "staging");
		assert_int_equal(differ_compare(&r[pass], NULL, g, 5, g + 5, 3,
						NULL),
				 0);
		render(&lines[pass], &r[pass]);
	}
	assert_true(lines[0].nr > 2); /* a4's and b2's outliers at least */
	assert_int_equal(lines[0].nr, lines[1].nr);
	for (i = 0; i < lines[0].nr; i++)
		assert_string_equal(lines[0].v[i], lines[1].v[i]);
	for (pass = 0; pass < 2; pass++) {
		drift_report_release(&r[pass]);
		ed_strvec_release(&lines[pass]);
	}
	ed_strvec_release(&h[4].uncollected);
	for (i = 0; i < 8; i++)
		ed_strvec_release(&h[i].roles);
}

/*
 * A host holds pointers to a cache's shared facts: rewriting one (as
 * normalisation does) copies it for that host alone, once, in place.
 */
static void test_differ_own_fact_copies_on_write(void **state)
{
	static char c[] = "services", k1[] = "listen tcp 10.0.0.1:22",
		    k2[] = "listen tcp 0.0.0.0:80", v[] = "sshd", nk[] = "x";
	struct fact table[2] = { { c, k2, v }, { c, k1, v } };
	const struct fact *p[2][2] = { { &table[0], &table[1] },
				       { &table[0], &table[1] } };
	struct differ_host h[2];
	struct fact *f, *again;
	size_t i;

	(void)state;
	memset(h, 0, sizeof(h));
	for (i = 0; i < 2; i++) {
		h[i].facts = p[i];
		h[i].nr_facts = 2;
		h[i].borrowed = 1;
	}
	i = differ_fact_index(&h[0], "services", k1);
	assert_int_equal(i, 1);
	assert_int_equal(differ_fact_index(&h[0], "services", "nope"), 2);
	f = differ_host_own_fact(&h[0], i);
	assert_ptr_not_equal(f, &table[1]);
	f->key = nk;
	again = differ_host_own_fact(&h[0], i);
	assert_ptr_equal(again, f);
	assert_string_equal(table[1].key, k1); /* the cache's is untouched */
	assert_ptr_equal(h[1].facts[1], &table[1]);
	assert_string_equal(h[0].facts[1]->key, "x");
	assert_int_equal(h[0].nr_cow, 1);
	for (i = 0; i < h[0].nr_cow; i++)
		free(h[0].cow[i]);
	free(h[0].cow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_differ_facts_are_keyed_by_collector_and_key, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_differ_malformed_line_names_file_and_line, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_differ_identical_hosts_have_no_drift,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_changed_missing_extra_and_newer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_consensus_and_outlier,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_tie_means_no_consensus,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_uncollected_is_never_drift,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_role_missing_on_one_side,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_rules_ignore_with_reinclude,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_differ_per_host_facts_compare_only_the_same_host,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_one_fact_one_item,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_per_host_files_keep_their_shape,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_differ_per_host_files_missing_on_a_host, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_differ_live_facts_against_an_image,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_live_facts_between_live_hosts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_enabled_units_are_not_live,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_differ_echo_reported_without_its_source, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_differ_expect_always_flags_shared_values, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_differ_expect_between_environments,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_seek_all_agrees_with_find,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_groups_agree_with_hosts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_own_fact_copies_on_write,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_differ_expect_with_memory,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
