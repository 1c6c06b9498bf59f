/*
 * timeit: a bounded timing loop for bench/run.sh (no hyperfine needed).
 *
 *   timeit [-n RUNS] [-w WARMUP] [-p PREPARE] [-o PERRUN] [-O STDOUT] [-E STDERR]
 *          -- COMMAND [ARGS...]
 *
 * Runs COMMAND WARMUP + RUNS times (directly, no shell). Before each run,
 * PREPARE (if given) is run untimed with /bin/sh -c, with TIMEIT_ITER set to
 * the 1-based run number (warmups count as 0). Wall time is measured with
 * CLOCK_MONOTONIC around fork+exec+wait4; CPU (user+sys) and peak RSS come
 * from wait4's rusage, which includes the waited-for descendants (git,
 * dpkg-query... in a shell script), like GNU time.
 * Prints one line: runs=N wall_med=MS wall_min=MS wall_max=MS wall_p90=MS
 * cpu_med=MS user_med=MS sys_med=MS rss_max_kb=KB
 * PERRUN gets one line per timed run: "i wall_ms cpu_ms rss_kb".
 * COMMAND's stdin is /dev/null; its stdout and stderr go to /dev/null, or
 * to OUT / ERR (truncated each run, so the last run's output remains).
 * Exits 1 if any run of COMMAND or PREPARE fails.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 10000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double *s = malloc(sizeof(*s) * (size_t)n);
	double m;

	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static double pct(const double *v, int n, double p)
{
	double *s = malloc(sizeof(*s) * (size_t)n);
	double m;
	int i;

	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	i = (int)(p * (n - 1) + 0.5);
	m = s[i];
	free(s);
	return m;
}

static void redirect(int fd, const char *path)
{
	int f = open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC,
		     0644);

	if (f >= 0) {
		dup2(f, fd);
		close(f);
	}
}

static int run_prepare(const char *prep, int iter)
{
	char num[32];
	int st;
	pid_t pid;

	snprintf(num, sizeof(num), "%d", iter);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setenv("TIMEIT_ITER", num, 1);
		execl("/bin/sh", "sh", "-c", prep, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int runs = 10, warm = 0, c, i, total;
	const char *prep = NULL, *perrun = NULL, *out = NULL, *errf = NULL;
	static double wall[MAX_RUNS], cpu[MAX_RUNS], usr[MAX_RUNS], sys[MAX_RUNS];
	long rss_max = 0;
	FILE *pf = NULL;

	while ((c = getopt(argc, argv, "+n:w:p:o:O:E:")) != -1) {
		switch (c) {
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warm = atoi(optarg);
			break;
		case 'p':
			prep = optarg;
			break;
		case 'o':
			perrun = optarg;
			break;
		case 'O':
			out = optarg;
			break;
		case 'E':
			errf = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind >= argc || runs < 1 || runs > MAX_RUNS || warm < 0 ||
	    warm > 100) {
		fprintf(stderr,
			"usage: timeit [-n RUNS] [-w WARMUP] [-p PREPARE] "
			"[-o PERRUN] [-O OUT] [-E ERR] -- CMD [ARGS...]\n");
		return 2;
	}
	if (perrun && !(pf = fopen(perrun, "w"))) {
		perror(perrun);
		return 2;
	}
	total = warm + runs;
	for (i = 0; i < total; i++) {
		int timed = i >= warm, st, k = i - warm;
		struct rusage ru;
		double t0, t1;
		pid_t pid;

		if (prep && run_prepare(prep, timed ? k + 1 : 0) < 0) {
			fprintf(stderr, "timeit: prepare failed: %s\n", prep);
			return 1;
		}
		t0 = now_ms();
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			int in = open("/dev/null", O_RDONLY);

			if (in >= 0) {
				dup2(in, STDIN_FILENO);
				close(in);
			}
			redirect(STDOUT_FILENO, out);
			redirect(STDERR_FILENO, errf);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
		if (wait4(pid, &st, 0, &ru) < 0) {
			perror("wait4");
			return 1;
		}
		t1 = now_ms();
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "timeit: %s failed (status %d)%s%s\n",
				argv[optind],
				WIFEXITED(st) ? WEXITSTATUS(st) : -1,
				errf ? ", see " : "", errf ? errf : "");
			return 1;
		}
		if (!timed)
			continue;
		wall[k] = t1 - t0;
		usr[k] = tv_ms(ru.ru_utime);
		sys[k] = tv_ms(ru.ru_stime);
		cpu[k] = usr[k] + sys[k];
		if (ru.ru_maxrss > rss_max)
			rss_max = ru.ru_maxrss;
		if (pf)
			fprintf(pf, "%d %.3f %.3f %ld\n", k + 1, wall[k],
				cpu[k], ru.ru_maxrss);
	}
	if (pf)
		fclose(pf);
	printf("runs=%d wall_med=%.1f wall_min=%.1f wall_max=%.1f wall_p90=%.1f "
	       "cpu_med=%.1f user_med=%.1f sys_med=%.1f rss_max_kb=%ld\n",
	       runs, median(wall, runs), pct(wall, runs, 0), pct(wall, runs, 1),
	       pct(wall, runs, 0.9), median(cpu, runs), median(usr, runs),
	       median(sys, runs), rss_max);
	return 0;
}
