/*
 * sshfloor: the handshake floor for bench/scan.sh (issue 3). A minimal
 * client of envdrift's own transport (collector/fleet/fleet.h, ssh_run:
 * libssh2, one thread multiplexing non-blocking sessions with poll): connect, host
 * key check against known_hosts, public key auth, exec COMMAND, read its
 * output, close. Nothing is parsed or stored, so the wall time of
 * `sshfloor -c true` is what any client of this transport pays at least.
 *
 *   sshfloor [-j JOBS] [-c COMMAND | -E] [-p PORT] [-u USER] -k KEY
 *            -K KNOWN_HOSTS [-v] [-f ADDRESS_FILE] [ADDRESS...]
 *
 * -c COMMAND (default "true") runs COMMAND; -E runs the exact script that
 * `envdrift scan` runs (collector/fleet/remote.h, default configuration) and
 * throws its output away: the transport cost of a scan without the
 * controller's decoding, parsing and commit.
 *
 * Addresses come from the arguments and/or ADDRESS_FILE (one per line).
 * Prints one line:
 *   hosts=N ok=N failed=N wall_ms=X cpu_ms=X cpu_ms_per_host=X out_bytes=N out_lines=N
 * (cpu = user + sys of this process, from getrusage). Exit 1 when any
 * host failed (its message goes to stderr), 2 on usage errors.
 *
 * Build (bench/scan.sh does it):
 *   cc -O2 -std=c11 -I. -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -o sshfloor \
 *      bench/sshfloor.c build/libenvdrift.a \
 *      $(pkg-config --libs libgit2 yaml-0.1 openssl libssh2 zlib) -lpthread
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "collector/collector.h"
#include "collector/fleet/remote.h"
#include "collector/fleet/fleet.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/strvec.h"

#define MAX_HOSTS 100000

struct tally {
	size_t ok, failed, bytes, lines;
	int verbose;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void on_done(const struct ssh_target *t, struct ssh_result *r, void *arg)
{
	struct tally *ty = arg;
	size_t i;

	(void)t;
	if (r->state == SSH_COLLECTED && r->exit_status == 0) {
		ty->ok++;
		if (r->out) {
			ty->bytes += r->out->len;
			for (i = 0; i < r->out->len; i++)
				ty->lines += r->out->ptr[i] == '\n';
		}
		if (ty->verbose)
			fprintf(stderr, "%s: %.3f s\n", t->name, r->seconds);
	} else {
		ty->failed++;
		fprintf(stderr, "sshfloor: %s (%s, exit %d)\n",
			r->message ? r->message : t->name,
			ssh_state_name(r->state), r->exit_status);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sshfloor [-j JOBS] [-c COMMAND | -E] [-p PORT] [-u USER] "
		"-k KEY -K KNOWN_HOSTS [-v] [-f ADDRESS_FILE] [ADDRESS...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd = "true", *user = NULL, *key = NULL, *known = NULL;
	const char *file = NULL;
	unsigned jobs = 32, port = 22;
	struct ed_strvec addrs = ED_STRVEC_INIT, warnings = ED_STRVEC_INIT;
	struct ed_err err = ED_ERR_INIT;
	struct ed_buf script, request;
	struct ssh_target *targets;
	struct ssh_opts so;
	struct tally ty;
	const char *keys[2];
	double w0, w1, c0, c1;
	size_t i;
	int c, rc, envdrift_script = 0;

	memset(&ty, 0, sizeof(ty));
	while ((c = getopt(argc, argv, "j:c:p:u:k:K:f:vE")) != -1) {
		switch (c) {
		case 'j':
			jobs = (unsigned)atoi(optarg);
			break;
		case 'c':
			cmd = optarg;
			break;
		case 'p':
			port = (unsigned)atoi(optarg);
			break;
		case 'u':
			user = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'K':
			known = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'v':
			ty.verbose = 1;
			break;
		case 'E':
			envdrift_script = 1;
			break;
		default:
			usage();
		}
	}
	if (!key || !known || jobs < 1 || port < 1 || port > 65535)
		usage();
	for (i = (size_t)optind; i < (size_t)argc; i++)
		ed_strvec_push(&addrs, argv[i]);
	if (file) {
		FILE *f = fopen(file, "r");
		char line[512];

		if (!f) {
			perror(file);
			return 2;
		}
		while (fgets(line, sizeof(line), f) && addrs.nr < MAX_HOSTS) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0])
				ed_strvec_push(&addrs, line);
		}
		fclose(f);
	}
	if (addrs.nr == 0)
		usage();

	ed_buf_init(&script);
	ed_buf_init(&request);
	if (envdrift_script) {
		struct collect_config *cfg;

		if (collect_config_load(&cfg, NULL, &err) < 0) {
			fprintf(stderr, "sshfloor: %s\n", err.msg);
			return 2;
		}
		remote_command(&script, 0);
		remote_request_build(&request, cfg);
		collect_config_free(cfg);
		cmd = script.ptr;
	}
	targets = calloc(addrs.nr, sizeof(*targets));
	if (!targets)
		return 2;
	for (i = 0; i < addrs.nr; i++) {
		targets[i].name = addrs.v[i];
		targets[i].address = addrs.v[i];
		targets[i].port = port;
		targets[i].user = user;
		targets[i].command = cmd;
		if (request.len) {
			targets[i].input = request.ptr;
			targets[i].input_len = request.len;
		}
	}
	keys[0] = key;
	keys[1] = NULL;
	memset(&so, 0, sizeof(so));
	so.jobs = jobs;
	so.known_hosts = known;
	so.key_files = keys;
	so.use_agent = 0;
	so.done = on_done;
	so.arg = &ty;

	w0 = now_ms();
	c0 = cpu_ms();
	rc = ssh_run(targets, addrs.nr, &so, &warnings, &err);
	c1 = cpu_ms();
	w1 = now_ms();
	if (rc < 0) {
		fprintf(stderr, "sshfloor: %s\n", err.msg);
		return 2;
	}
	for (i = 0; i < warnings.nr; i++)
		fprintf(stderr, "sshfloor: warning: %s\n", warnings.v[i]);
	printf("hosts=%zu ok=%zu failed=%zu wall_ms=%.1f cpu_ms=%.1f "
	       "cpu_ms_per_host=%.2f out_bytes=%zu out_lines=%zu\n",
	       addrs.nr, ty.ok, ty.failed, w1 - w0, c1 - c0,
	       (c1 - c0) / (double)addrs.nr, ty.bytes, ty.lines);
	free(targets);
	ed_buf_release(&script);
	ed_buf_release(&request);
	ed_strvec_release(&addrs);
	ed_strvec_release(&warnings);
	return ty.failed ? 1 : 0;
}
