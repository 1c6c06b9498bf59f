#!/bin/sh
# Issue 3's fleet-scan benchmark (make bench-scan; also part of make bench
# unless BENCH_SCAN=0). See BENCHMARKS.md, "Issue 3: fleet scan over SSH".
#
#   sh bench/scan.sh build/envdrift          (as root)
#
# One simulated loopback fleet (tests/lib/fleet.sh: chrooted hosts on
# 127.0.0.K, one real OpenSSH sshd per host), and side by side on
# it, gathering the same facts (installed packages with versions, content
# hashes of the files under /etc, sysctl values, kernel release):
#   1. envdrift scan -j 32: first scan into a fresh state repository,
#      nightly re-scan with nothing changed, nightly re-scan with 2 hosts
#      changed (fleet_set_file: a config file on h1, a sysctl on h2);
#   2. the handshake floor: bench/sshfloor.c (envdrift's own transport,
#      collector/fleet/fleet.h ssh_run, same -j, key and known_hosts) running
#      `true`; also running the pssh pipeline below, and running envdrift's
#      own remote script with its output thrown away (transport only);
#   3. parallel-ssh -p 32 (Debian's pssh) running an equivalent pipeline;
#   4. Ansible (Debian's ansible): package_facts (manager apt, through
#      python3-apt in the chroots: fleet_add_python) plus one shell task for
#      sysctl values, /etc hashes and the kernel release; gather_facts
#      false, pipelining on, ControlPersist, host key checking against the
#      fleet's known_hosts; on the first comparison size only (50 hosts).
# Comparison sizes 50 and 200 hosts; growth of envdrift at 100, 250, 500,
# 1,000 hosts (beyond the fleet's 250 addresses, several inventory names
# share an address: 500 = 2 names per address, 1,000 = 4).
#
# Timing: bench/timeit.c (wall medians from CLOCK_MONOTONIC; CPU user+sys
# and peak RSS from wait4's rusage, waited-for children included: pssh's
# ssh clients count, Ansible's detached ControlPersist masters do not).
# Target side: CPU of the fleet's sshds and everything they start
# (sessions, remote shells and tools), from a cpuacct cgroup holding the
# listeners; per run. sshd shares this machine's CPUs with the controller,
# so on a small machine it dominates wall time. "machine busy" is the whole
# machine's busy CPU per run (/proc/stat): what it holds beyond controller +
# target is the kernel's loopback networking, prepare steps, and any other
# process running meanwhile; "other" (with a cpuacct cgroup for the whole
# run) is the busy CPU not used by anything this run started: other
# processes and kernel threads (ksoftirqd). Large values mean interference.
#
# Knobs (environment):
#   BENCH_SCAN_RUNS       timed runs per measurement (default 3)
#   BENCH_SCAN_COMPARE    comparison sizes (default "50 200", each <= 250)
#   BENCH_SCAN_HOSTS      envdrift growth sizes (default "100 250 500 1000")
#   BENCH_SCAN_JOBS       -j / -p / forks for envdrift, sshfloor, pssh (32)
#   BENCH_SCAN_ANSIBLE    0 skips Ansible (default 1)
#   BENCH_SCAN_ANSIBLE_HOSTS  hosts of the Ansible subset (default: the
#                         first comparison size)
#   BENCH_SCAN_ANSIBLE_RUNS   (default BENCH_SCAN_RUNS)
#   BENCH_SCAN_FORKS      Ansible forks (default BENCH_SCAN_JOBS)
#   BENCH_SCAN_PSSH       0 skips parallel-ssh (default 1)
#   BENCH_SCAN_INSTALL    0: do not apt-get install pssh / ansible when
#                         missing (that tool is then skipped)
#   BENCH_SCAN_MODE=transport  only libssh2 against the OpenSSH client
#                         (issue 15): the same first scan of
#                         BENCH_SCAN_TRANSPORT_HOSTS hosts (default 20)
#                         with envdrift_transport libssh2, then openssh
#   BENCH_SCAN_MODE=incr  issue 14 (bench/scan_incr.sh): the nightly re-scan, side by side
#                         with OLD (a build from before it, second
#                         argument) on BENCH_SCAN_ROOTS kinds of host
#                         (default "minbase fat"; built once and kept
#                         under BENCH_SCAN_CACHE, default
#                         /var/cache/envdrift-bench: minbase is Debian 12
#                         debootstrap --variant=minbase, fat is minbase
#                         with this machine's whole /etc and dpkg status):
#                         at BENCH_SCAN_COMPARE hosts (default 200) the
#                         handshake floor, first scans of OLD and NEW
#                         alternating, unchanged re-scans (OLD, NEW, NEW
#                         --full), bytes per host, one changed file; the
#                         unchanged re-scan again at BENCH_SCAN_HOSTS
#                         (default 1000; BENCH_SCAN_GROWTH_RUNS rounds, default 3) with its floor
#   BENCH_RESULTS=FILE    keep the raw key=value results
# Everything lives in one mktemp -d directory and one fleet directory, both
# removed on exit (also on INT/TERM), with the fleet's sshds, their
# sessions, Ansible's ControlPersist masters and the running measurement.
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/scan.sh PATH/TO/envdrift [PATH/TO/OLD/envdrift]" >&2; exit 2; }
[ -x "$1" ] || { echo "bench-scan: $1 is not an executable (run make first)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-scan: needs root (chroot, sshd, useradd)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILDDIR=$(cd "$(dirname "$1")" && pwd)
OLD=${2:-}
RUNS=${BENCH_SCAN_RUNS:-3}
COMPARE=${BENCH_SCAN_COMPARE:-50 200}
GROWTH=${BENCH_SCAN_HOSTS:-100 250 500 1000}
JOBS=${BENCH_SCAN_JOBS:-32}
DO_ANSIBLE=${BENCH_SCAN_ANSIBLE:-1}
ANS_HOSTS=${BENCH_SCAN_ANSIBLE_HOSTS:-$(echo "$COMPARE" | awk '{ print $1 }')}
ANS_RUNS=${BENCH_SCAN_ANSIBLE_RUNS:-$RUNS}
FORKS=${BENCH_SCAN_FORKS:-$JOBS}
DO_PSSH=${BENCH_SCAN_PSSH:-1}
INSTALL=${BENCH_SCAN_INSTALL:-1}
MODE=${BENCH_SCAN_MODE:-}
if [ "$MODE" = incr ]; then
	COMPARE=${BENCH_SCAN_COMPARE:-200}
	GROWTH=${BENCH_SCAN_HOSTS:-1000}
	ANS_HOSTS=$COMPARE
	DO_ANSIBLE=0
	DO_PSSH=0
	[ "$RUNS" = 3 ] && [ -z "${BENCH_SCAN_RUNS:-}" ] && RUNS=5
	[ -n "$OLD" ] && [ -x "$OLD" ] || { echo "bench-scan: BENCH_SCAN_MODE=incr needs OLD, a build from before issue 14 (second argument)" >&2; exit 2; }
	[ -f "$(dirname "$OLD")/libenvdrift.a" ] && [ -f "$(dirname "$OLD")/../bench/sshfloor.c" ] ||
		{ echo "bench-scan: OLD must be in a build directory of a source tree (libenvdrift.a beside it, bench/sshfloor.c above)" >&2; exit 2; }
elif [ "$MODE" = transport ]; then
	COMPARE=${BENCH_SCAN_TRANSPORT_HOSTS:-20}
	ANS_HOSTS=$COMPARE
	GROWTH=''
	DO_ANSIBLE=0
	DO_PSSH=0
fi

die() { echo "bench-scan: $*" >&2; exit 1; }
num() { case $2 in '' | *[!0-9]*) die "$1 must be a number, not '$2'" ;; esac; }
num BENCH_SCAN_RUNS "$RUNS"
num BENCH_SCAN_JOBS "$JOBS"
num BENCH_SCAN_FORKS "$FORKS"
num BENCH_SCAN_ANSIBLE_RUNS "$ANS_RUNS"
num BENCH_SCAN_ANSIBLE_HOSTS "$ANS_HOSTS"
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 100 ] || die "BENCH_SCAN_RUNS: 1..100"
[ "$ANS_RUNS" -ge 1 ] && [ "$ANS_RUNS" -le 100 ] || die "BENCH_SCAN_ANSIBLE_RUNS: 1..100"
[ "$JOBS" -ge 1 ] || die "BENCH_SCAN_JOBS must be >= 1"
FN=1 # fleet size: the largest size, at most 250 addresses
for n in $COMPARE $GROWTH $ANS_HOSTS; do
	num "host count" "$n"
	[ "$n" -ge 1 ] && [ "$n" -le 20000 ] || die "host counts: 1..20000, not $n"
	m=$n
	[ "$m" -gt 250 ] && m=250
	[ "$m" -gt "$FN" ] && FN=$m
done
for n in $COMPARE; do
	[ "$n" -le 250 ] || die "BENCH_SCAN_COMPARE sizes must be <= 250 (one address per host)"
done
[ "$ANS_HOSTS" -le 250 ] || die "BENCH_SCAN_ANSIBLE_HOSTS must be <= 250"

. "$TOP/tests/lib/fleet.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-bench-scan.XXXXXX")
FL=
BG=
CGROOT='' CGALL='' CG='' # cpuacct cgroups: this run, and the fleet's sshds in it
# close Ansible's ControlPersist masters: ssh -O exit on each socket
close_masters() {
	[ -d "$T/ans/cp" ] || return 0
	for s in "$T"/ans/cp/*; do
		[ -S "$s" ] || continue
		timeout 10 ssh -o ControlPath="$s" -O exit envdrift-bench >/dev/null 2>&1 || :
	done
}
cleanup() {
	trap - EXIT INT TERM
	set +e # fleet_stop's kill of an already gone PID is not an error here
	if [ -n "$BG" ]; then
		# the running measurement: timeit, then whatever it started
		kids=$(ps -o pid= --ppid "$BG" 2>/dev/null | tr '\n' ' ')
		kill "$BG" 2>/dev/null || :
		# shellcheck disable=SC2086
		[ -n "${kids% }" ] && kill $kids 2>/dev/null || :
		wait "$BG" 2>/dev/null || :
	fi
	close_masters
	[ -n "$FL" ] && fleet_clean "$FL" >/dev/null 2>&1
	# the cgroups are empty once this shell leaves and the fleet is gone
	if [ -n "$CGALL" ]; then
		echo $$ >"$CGROOT/cgroup.procs" 2>/dev/null
		for g in "$CG" "$CGALL"; do
			[ -n "$g" ] || continue
			i=0
			while ! rmdir "$g" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a cpuacct cgroup (v1) for this whole run: the machine's busy CPU minus
# this cgroup's is what other processes did meanwhile (interference)
for d in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct; do
	[ -f "$d/cpuacct.usage" ] && [ -w "$d/cgroup.procs" ] || continue
	if mkdir "$d/envdrift-bench-scan.$$" 2>/dev/null; then
		if echo $$ >"$d/envdrift-bench-scan.$$/cgroup.procs" 2>/dev/null; then
			CGROOT=$d CGALL=$d/envdrift-bench-scan.$$
		else
			rmdir "$d/envdrift-bench-scan.$$"
		fi
	fi
	break
done

START=$(date +%s)
RES=$T/results
: >"$RES"
say() { printf '%s\n' "$*"; }
hdr() { printf '\n== %s\n' "$*"; }
put() { printf '%s=%s\n' "$1" "$2" >>"$RES"; }
get() { awk -F= -v k="$1" '$1 == k { v = substr($0, length(k) + 2) } END { print v }' "$RES"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.1f", a / b; else print "n/a" }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
ms2s() { awk -v a="$1" 'BEGIN { if (a != "") printf "%.2f", a / 1000; else print "n/a" }'; }
kb2mb() { awk -v a="$1" 'BEGIN { if (a != "") printf "%.1f", a / 1024; else print "n/a" }'; }

# CPU (ms) used so far by the fleet's sshds and everything they started
# (pre-auth and session processes, the remote shells and their tools):
# a cpuacct cgroup (v1) holding the listeners, which forked children
# inherit even when they are orphaned (post-auth sshd children are not
# reaped by the listener, so its rusage would miss them). Without the
# cgroup: the listeners' own and reaped-children times (an undercount).
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
target_cgroup() {
	[ -n "$CGALL" ] || return 1
	CG=$CGALL/target
	[ -d "$CG" ] || mkdir "$CG" 2>/dev/null || { CG=; return 1; }
	for p in $(cat "$FL/run/pids"); do
		echo "$p" >"$CG/cgroup.procs" 2>/dev/null || { CG=; return 1; }
	done
}
# CPU (ms) of everything this run started (controller, prepare steps,
# sshds and sessions), or nothing without the cgroup
all_cpu() {
	if [ -n "$CGALL" ]; then awk '{ printf "%.0f", $1 / 1e6 }' "$CGALL/cpuacct.usage"; fi
}
target_cpu() {
	if [ -n "$CG" ]; then
		awk '{ printf "%.0f", $1 / 1e6 }' "$CG/cpuacct.usage"
		return
	fi
	for p in $(cat "$FL/run/pids" 2>/dev/null); do
		# fields after "(comm)": utime stime cutime cstime are 12..15
		sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null || :
	done | awk -v hz="$HZ" '{ s += $12 + $13 + $14 + $15 } END { printf "%.0f", s * 1000 / hz }'
}

# CPU (ms) the whole machine has been busy so far (all CPUs, /proc/stat)
busy_cpu() {
	awk -v hz="$HZ" '$1 == "cpu" { printf "%.0f", ($2 + $3 + $4 + $7 + $8 + $9) * 1000 / hz; exit }' /proc/stat
}

# measure KEY TIMEIT-ARGS... : timeit in the background (so INT/TERM
# reach the trap), keep KEY_wall_med etc. and the target-side CPU per run
measure() {
	m_k=$1
	shift
	m_c0=$(target_cpu)
	m_b0=$(busy_cpu)
	m_a0=$(all_cpu)
	"$TIMEIT" -O "$T/last.out" -E "$T/last.err" "$@" >"$T/timeit.out" &
	BG=$!
	if ! wait "$BG"; then
		BG=
		sed 's/^/    /' "$T/last.err" >&2 2>/dev/null || :
		tail -n 5 "$T/last.out" 2>/dev/null | sed 's/^/    /' >&2 || :
		die "$m_k: command failed"
	fi
	BG=
	sleep 0.2 # let the sshd listeners reap the last sessions
	m_c1=$(target_cpu)
	m_b1=$(busy_cpu)
	m_a1=$(all_cpu)
	m_out=$(cat "$T/timeit.out")
	m_n=$(echo "$m_out" | sed -n 's/^runs=\([0-9]*\).*/\1/p')
	m_w=$(echo " $* " | sed -n 's/^ -w \([0-9]*\) .*/\1/p')
	put "${m_k}_target_cpu" "$(awk -v a="$m_c0" -v b="$m_c1" -v n="$m_n" -v w="${m_w:-0}" 'BEGIN { printf "%.0f", (b - a) / (n + w) }')"
	# everything else the machine did meanwhile (prepare steps, other
	# processes): busy CPU per run minus controller and target CPU
	put "${m_k}_busy" "$(awk -v a="$m_b0" -v b="$m_b1" -v n="$m_n" -v w="${m_w:-0}" 'BEGIN { printf "%.0f", (b - a) / (n + w) }')"
	[ -n "$CGALL" ] && put "${m_k}_ctlall" "$(awk -v a="$m_a0" -v b="$m_a1" -v c="$m_c0" -v d="$m_c1" -v n="$m_n" -v w="${m_w:-0}" 'BEGIN { printf "%.0f", ((b - a) - (d - c)) / (n + w) }')"
	[ -n "$CGALL" ] && put "${m_k}_other" "$(awk -v a="$m_b0" -v b="$m_b1" -v c="$m_a0" -v d="$m_a1" -v n="$m_n" -v w="${m_w:-0}" 'BEGIN { printf "%.0f", ((b - a) - (d - c)) / (n + w) }')"
	for m_kv in $m_out; do
		put "${m_k}_${m_kv%%=*}" "${m_kv#*=}"
	done
	printf '  %-22s wall %s s (min %s, max %s)  cpu %s s  rss %s MiB  target cpu %s s/run  machine busy %s s/run (other processes %s)\n' "$m_k" \
		"$(ms2s "$(get "${m_k}_wall_med")")" "$(ms2s "$(get "${m_k}_wall_min")")" \
		"$(ms2s "$(get "${m_k}_wall_max")")" "$(ms2s "$(get "${m_k}_cpu_med")")" \
		"$(kb2mb "$(get "${m_k}_rss_max_kb")")" "$(ms2s "$(get "${m_k}_target_cpu")")" \
		"$(ms2s "$(get "${m_k}_busy")")" "$(ms2s "$(get "${m_k}_other")")"
}

# ---------------------------------------------------------------------------
hdr "machine and tools"
command -v cc >/dev/null || die "cc not found (apt-get install build-essential)"
command -v pkg-config >/dev/null || die "pkg-config not found"
[ -f "$BUILDDIR/libenvdrift.a" ] || die "$BUILDDIR/libenvdrift.a missing (run make)"
# copies: a parallel make cannot swap them mid-run
ED=$T/envdrift
cp "$1" "$ED"
cp "$BUILDDIR/libenvdrift.a" "$T/libenvdrift.a"
TIMEIT=$T/timeit
cc -O2 -std=c11 -o "$TIMEIT" "$HERE/timeit.c" || die "cannot build bench/timeit.c"
FLOOR=$T/sshfloor
# shellcheck disable=SC2046
cc -O2 -std=c11 -I"$TOP" -I"$BUILDDIR" -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	$(pkg-config --cflags libgit2 yaml-0.1 openssl libssh2) -o "$FLOOR" "$HERE/sshfloor.c" \
	"$T/libenvdrift.a" $(pkg-config --libs libgit2 yaml-0.1 openssl libssh2 zlib) -lpthread -lm ||
	die "cannot build bench/sshfloor.c"

have_pkg() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'; }
want_pkg() { # PKG: installed, or installed now (BENCH_SCAN_INSTALL=1), or 1
	have_pkg "$1" && return 0
	[ "$INSTALL" = 1 ] || return 1
	say "  installing $1 (apt-get; Ansible takes a while)"
	if [ ! -f "$T/.apt-updated" ]; then
		apt-get update -qq >/dev/null 2>&1 || :
		: >"$T/.apt-updated"
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >"$T/apt.log" 2>&1 ||
		{ tail -n 5 "$T/apt.log" >&2; return 1; }
}
HAVE_PSSH=0
if [ "$DO_PSSH" = 1 ]; then
	want_pkg pssh && command -v parallel-ssh >/dev/null && HAVE_PSSH=1 ||
		say "  parallel-ssh unavailable: skipped"
fi
HAVE_ANS=0
if [ "$DO_ANSIBLE" = 1 ]; then
	if want_pkg ansible && want_pkg python3-apt && command -v ansible-playbook >/dev/null; then
		HAVE_ANS=1
	else
		say "  ansible unavailable: skipped"
	fi
fi
unset SSH_AUTH_SOCK # every tool authenticates with the fleet's key file
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
say "  nproc: $(nproc)   cpu: ${CPU:-unknown}   RAM: $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)   kernel: $(uname -r)"
say "  date: $(date -u '+%Y-%m-%d %H:%M UTC')   envdrift: $("$ED" --version 2>/dev/null || echo ?)   libssh2 $(pkg-config --modversion libssh2)"
say "  $(/usr/sbin/sshd -V 2>&1 | head -n 1 || :)"
[ $HAVE_PSSH = 1 ] && say "  parallel-ssh $(parallel-ssh --version 2>&1)"
[ $HAVE_ANS = 1 ] && say "  $(ansible --version 2>/dev/null | head -n 1), $(/usr/bin/python3 --version 2>&1) (controller and hosts)"
say "  runs per measurement: $RUNS (Ansible: $ANS_RUNS); -j / -p: $JOBS; Ansible forks: $FORKS"

# inventory N FILE: h1..hN; host K at address ((K-1) mod FN)+1, so above
# FN names share addresses; staging = first half, prod = rest, role web
inventory() {
	{
		echo "all:"
		echo "  vars:"
		echo "    ansible_port: $FLEET_PORT"
		echo "    ansible_user: $FLEET_USER"
		echo "    ansible_ssh_private_key_file: $FLEET_KEY"
		echo "  children:"
		echo "    web:"
		echo "      children:"
		echo "        staging:"
		echo "          hosts:"
		awk -v n="$1" -v fn="$FN" 'BEGIN { for (k = 1; k <= int(n / 2); k++)
			printf "            h%d: {ansible_host: 127.0.0.%d}\n", k, (k - 1) % fn + 2 }'
		echo "        prod:"
		echo "          hosts:"
		awk -v n="$1" -v fn="$FN" 'BEGIN { for (k = int(n / 2) + 1; k <= n; k++)
			printf "            h%d: {ansible_host: 127.0.0.%d}\n", k, (k - 1) % fn + 2 }'
	} >"$2"
}

# ---------------------------------------------------------------------------
# Issue 14 (BENCH_SCAN_MODE=incr): bench/scan_incr.sh's functions
. "$HERE/scan_incr.sh"

if [ "$MODE" = incr ]; then
	OLDB=$(cd "$(dirname "$OLD")" && pwd)
	OLDED=$T/envdrift-old
	cp "$OLD" "$OLDED"
	OLDFLOOR=$T/sshfloor-old
	# shellcheck disable=SC2046
	cc -O2 -std=c11 -I"$OLDB/.." -I"$OLDB" -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
		$(pkg-config --cflags libgit2 yaml-0.1 openssl libssh2) -o "$OLDFLOOR" "$OLDB/../bench/sshfloor.c" \
		"$OLDB/libenvdrift.a" $(pkg-config --libs libgit2 yaml-0.1 openssl libssh2 zlib) -lpthread -lm ||
		die "cannot build OLD's bench/sshfloor.c"
	say "  OLD: $("$OLDED" --version 2>/dev/null || echo ?) ($OLD)"
	for kind in $ROOTS; do
		root=$(bench_root "$kind") || die "cannot build the $kind root"
		incr_kind "$kind" "$root"
	done
	END=$(date +%s)
	hdr "summary ($((END - START)) s; wall = median, cpu = controller user+sys, target = sshd side, above true = target minus the floor's, per host)"
	row() { printf '%-34s %8s %9s %12s %11s\n' "$@"; }
	for kind in $ROOTS; do incr_summary "$kind"; done
	verdict() {
		awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
			if (v == "" || v == "n/a") { print "n/a"; exit }
			ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0); print ok ? "PASS" : "MISS" }'
	}
	vrow() { printf '%-46s %-10s %-48s %s\n' "$@"; }
	say ""
	vrow "target" "limit" "measured" "verdict"
	for kind in $ROOTS; do incr_targets "$kind"; done
	if [ -n "${BENCH_RESULTS:-}" ]; then
		cp "$RES" "$BENCH_RESULTS"
		say "raw results: $BENCH_RESULTS"
	fi
	exit 0
fi

# ---------------------------------------------------------------------------
hdr "fleet: $FN chrooted hosts on 127.0.0.2..$((FN + 1))"
FL=$(fleet_mktemp) || die "fleet_mktemp failed"
t0=$(date +%s)
fleet_setup "$FL" "$FN" || die "fleet_setup failed"
if [ $HAVE_ANS = 1 ]; then
	# python3 + stdlib + python3-apt for Ansible's modules, only where it runs
	fleet_add_python "$FL" $(seq 1 "$ANS_HOSTS") || die "fleet_add_python failed"
fi
say "  ready in $(($(date +%s) - t0)) s; port $FLEET_PORT; $(find "$FL/hosts/h1/etc" -type f | wc -l) files under /etc, $(grep -c '^Package: ' "$FL/hosts/h1/var/lib/dpkg/status") packages in dpkg status ($(du -k --apparent-size "$FL/hosts/h1/var/lib/dpkg/status" | cut -f1) KiB), $(find "$FL/hosts/h1/proc/sys" -type f | wc -l) sysctl files per host"
[ $HAVE_ANS = 1 ] && say "  python3 + python3-apt linked into h1..h$ANS_HOSTS (for Ansible)"
if target_cgroup; then
	say "  target CPU: cpuacct cgroup $CG (the sshds and all they start)"
else
	say "  target CPU: no cpuacct cgroup; the sshd listeners' rusage (misses the orphaned post-auth sessions: an undercount)"
fi

# the pipeline pssh (and sshfloor -c) runs: the same four facts
PIPE="grep -E '^(Package|Version):' /var/lib/dpkg/status; find /etc -type f -readable -print0 | xargs -0 sha256sum; grep -r '' /proc/sys 2>/dev/null; uname -r"
echo 0 >"$T/change.count"
cat >"$T/change.sh" <<EOF
# 2 hosts drift between nightly scans: a config file on h1, a sysctl on h2
# (a new value at every call, whatever repository scans next)
. '$TOP/tests/lib/fleet.sh'
c=\$((\$(cat '$T/change.count') + 1))
echo "\$c" >'$T/change.count'
fleet_set_file '$FL' 1 /etc/motd "envdrift bench change \$c" &&
fleet_set_sysctl '$FL' 2 vm.swappiness "\$((c % 90 + 1))"
EOF

# envdrift_runs N LABEL [CHANGED]: first scan, unchanged re-scan, and (with
# CHANGED=1) a re-scan with 2 hosts changed, into $T/state-N
envdrift_runs() {
	n=$1 k=$2
	R=$T/state-$n
	scan="$ED scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j $JOBS -i $T/inv-$n.yaml"
	measure "${k}_first" -n "$RUNS" -p "rm -rf '$R' '$R.key' && '$ED' init --repo '$R' >/dev/null" -- $scan
	grep -q "$n hosts, $n collected, 0 failed" "$T/last.out" || die "$k first scan: $(cat "$T/last.out")"
	say "    $(tail -n 1 "$T/last.out")"
	if [ "${3:-1}" = 1 ]; then
		measure "${k}_same" -n "$RUNS" -- $scan
		grep -q "(unchanged)" "$T/last.out" || die "$k unchanged re-scan committed changes: $(cat "$T/last.out")"
		say "    $(tail -n 1 "$T/last.out")"
	fi
	measure "${k}_two" -n "$RUNS" -p "sh '$T/change.sh'" -- $scan
	changed=$(git --git-dir="$R" diff --name-only HEAD~1 HEAD | awk -F/ '{ print $2 "/" $3 }' | sort -u | tr '\n' ' ')
	say "    $(tail -n 1 "$T/last.out"); hosts changed in the last commit: $changed"
	put "${k}_two_changed" "$changed"
}

# ---------------------------------------------------------------------------
if [ "$MODE" = transport ]; then
	S=$COMPARE
	hdr "transports at $S hosts: libssh2 and the OpenSSH client (ssh), -j $JOBS"
	inventory "$S" "$T/inv-$S.yaml"
	# one HMAC key for both: the secret tokens, and so the trees, compare
	"$ED" init --repo "$T/key-repo" >/dev/null || die "envdrift init failed"
	for tr in libssh2 openssh; do
		sed "s/^  vars:\$/  vars:\n    envdrift_transport: $tr/" "$T/inv-$S.yaml" >"$T/inv-$tr.yaml"
		R=$T/state-$tr
		measure "tr_$tr" -n "$RUNS" -p "rm -rf '$R' '$R.key' && cp '$T/key-repo.key' '$R.key' && '$ED' init --repo '$R' >/dev/null" -- \
			$ED scan --repo "$R" --known-hosts "$FLEET_KNOWN_HOSTS" -j "$JOBS" -i "$T/inv-$tr.yaml"
		grep -q "$S hosts, $S collected, 0 failed" "$T/last.out" || die "$tr scan: $(cat "$T/last.out")"
		say "    $(tail -n 1 "$T/last.out")"
	done
	[ "$(git --git-dir="$T/state-libssh2" rev-parse "main:hosts")" = "$(git --git-dir="$T/state-openssh" rev-parse "main:hosts")" ] ||
		die "the two transports stored different hosts/ trees"
	say "  same hosts/ tree from both transports: $(git --git-dir="$T/state-openssh" rev-parse --short "main:hosts")"
	for tr in libssh2 openssh; do
		say "  $tr: wall $(per "$(get "tr_${tr}_wall_med")" "$S") ms/host, controller cpu $(per "$(get "tr_${tr}_cpu_med")" "$S") ms/host, target cpu $(per "$(get "tr_${tr}_target_cpu")" "$S") ms/host"
	done
	say "  openssh / libssh2: wall $(ratio "$(get tr_openssh_wall_med)" "$(get tr_libssh2_wall_med)")x, controller cpu $(ratio "$(get tr_openssh_cpu_med)" "$(get tr_libssh2_cpu_med)")x"
	exit 0
fi
for S in $COMPARE; do
	hdr "compare at $S hosts"
	inventory "$S" "$T/inv-$S.yaml"
	seq 2 $((S + 1)) | sed 's/^/127.0.0./' >"$T/addr-$S"
	say "  envdrift scan -j $JOBS"
	envdrift_runs "$S" "ed$S"
	say "  sshfloor (envdrift's transport, ssh_run) -j $JOBS"
	fl="$FLOOR -j $JOBS -p $FLEET_PORT -u $FLEET_USER -k $FLEET_KEY -K $FLEET_KNOWN_HOSTS -f $T/addr-$S"
	measure "floor$S" -w 1 -n "$RUNS" -- $fl -c true
	grep -q "ok=$S failed=0" "$T/last.out" || die "sshfloor: $(cat "$T/last.out")"
	say "    $(cat "$T/last.out")"
	measure "floorpipe$S" -n "$RUNS" -- $fl -c "$PIPE"
	say "    $(cat "$T/last.out")"
	put "floorpipe${S}_lines" "$(sed -n 's/.*out_lines=\([0-9]*\).*/\1/p' "$T/last.out")"
	measure "floorscript$S" -n "$RUNS" -- $fl -E
	say "    $(cat "$T/last.out")"
	put "floorscript${S}_bytes" "$(sed -n 's/.*out_bytes=\([0-9]*\).*/\1/p' "$T/last.out")"
	if [ $HAVE_PSSH = 1 ]; then
		say "  parallel-ssh -p $JOBS"
		awk -v u="$FLEET_USER" -v p="$FLEET_PORT" '{ print u "@" $1 ":" p }' "$T/addr-$S" >"$T/pssh-$S"
		measure "pssh$S" -n "$RUNS" -p "rm -rf '$T/pssh-out' '$T/pssh-err'" -- \
			parallel-ssh -h "$T/pssh-$S" -p "$JOBS" -t 0 -o "$T/pssh-out" -e "$T/pssh-err" \
			-x "-F /dev/null" -O BatchMode=yes -O StrictHostKeyChecking=yes \
			-O UserKnownHostsFile="$FLEET_KNOWN_HOSTS" -O GlobalKnownHostsFile=/dev/null \
			-O IdentityFile="$FLEET_KEY" -O IdentitiesOnly=yes -O ControlMaster=no \
			-O LogLevel=ERROR "$PIPE"
		nf=$(find "$T/pssh-out" -type f | wc -l)
		nl=$(cat "$T/pssh-out"/* | wc -l)
		minl=$(for f in "$T"/pssh-out/*; do wc -l <"$f"; done | sort -n | head -n 1)
		say "    output of the last run: $nf hosts, $nl lines (fewest on one host: $minl); sshfloor with the same pipeline: $(get "floorpipe${S}_lines") lines"
		[ "$nf" -eq "$S" ] && [ "${minl:-0}" -gt 1000 ] || die "parallel-ssh output looks trivial ($nf files, min $minl lines)"
		put "pssh${S}_lines" "$nl"
	fi
done

# ---------------------------------------------------------------------------
if [ $HAVE_ANS = 1 ]; then
	S=$ANS_HOSTS
	hdr "Ansible at $S hosts (forks $FORKS)"
	[ -f "$T/inv-$S.yaml" ] || inventory "$S" "$T/inv-$S.yaml"
	[ -n "$(get "ed${S}_first_wall_med")" ] || { say "  envdrift scan -j $JOBS on the same $S hosts"; envdrift_runs "$S" "ed$S" 0; }
	mkdir -p "$T/ans/cp" "$T/ans/local"
	chmod 700 "$T/ans/cp"
	cat >"$T/ans/ansible.cfg" <<EOF
[defaults]
inventory = $T/inv-$S.yaml
forks = $FORKS
host_key_checking = True
gathering = explicit
interpreter_python = /usr/bin/python3
retry_files_enabled = False
deprecation_warnings = False
local_tmp = $T/ans/local
[ssh_connection]
pipelining = True
ssh_args = -F /dev/null -o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$FLEET_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o BatchMode=yes
control_path_dir = $T/ans/cp
EOF
	cat >"$T/ans/facts.yaml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - name: installed packages (python3-apt)
      package_facts:
        manager: apt
    - name: sysctl values, /etc hashes, kernel release
      shell: "grep -r '' /proc/sys 2>/dev/null; find /etc -type f -readable -exec sha256sum {} + 2>/dev/null; uname -r"
      register: out
      changed_when: false
    - name: what was gathered
      debug:
        msg: "envdrift-bench packages={{ ansible_facts.packages | length }} lines={{ out.stdout_lines | length }}"
EOF
	cat >"$T/ans/prep.sh" <<EOF
# a fresh run each time: no ControlPersist master left from the previous one
for s in '$T'/ans/cp/*; do
	[ -S "\$s" ] && timeout 10 ssh -o ControlPath="\$s" -O exit envdrift-bench >/dev/null 2>&1
done
exit 0
EOF
	export ANSIBLE_CONFIG="$T/ans/ansible.cfg" ANSIBLE_LOCAL_TEMP="$T/ans/local" ANSIBLE_NOCOLOR=1
	measure "ans$S" -n "$ANS_RUNS" -p "sh '$T/ans/prep.sh'" -- ansible-playbook "$T/ans/facts.yaml"
	# the sshd sessions end with the ControlPersist masters: count them now
	close_masters
	sleep 1
	put "ans${S}_target_cpu" "$(awk -v a="$m_c0" -v b="$(target_cpu)" -v n="$ANS_RUNS" 'BEGIN { printf "%.0f", (b - a) / n }')"
	say "    target cpu, masters closed: $(ms2s "$(get "ans${S}_target_cpu")") s/run; controller with the ControlPersist masters (and prepare): $(ms2s "$(get "ans${S}_ctlall")") s/run"
	ok=$(grep -c 'envdrift-bench packages=[1-9][0-9][0-9]* lines=[1-9][0-9][0-9]' "$T/last.out" || :)
	say "    $(grep -o 'envdrift-bench packages=[0-9]* lines=[0-9]*' "$T/last.out" | sort | uniq -c | head -n 3 | tr -s ' ')"
	[ "$ok" -eq "$S" ] || { tail -n 20 "$T/last.out" >&2; die "Ansible gathered facts on $ok of $S hosts"; }
	say "    $(grep -E '^h[0-9]+ +: ok=' "$T/last.out" | grep -c 'failed=0') of $S hosts ok=3 failed=0"
	unset ANSIBLE_CONFIG ANSIBLE_LOCAL_TEMP
fi

# ---------------------------------------------------------------------------
hdr "envdrift growth: $GROWTH hosts (names beyond $FN share addresses)"
for N in $GROWTH; do
	say "  $N hosts ($(((N + FN - 1) / FN)) names per address at most)"
	inventory "$N" "$T/inv-$N.yaml"
	envdrift_runs "$N" "g$N" 0
	rm -rf "$T/state-$N" "$T/state-$N.key"
done

# ---------------------------------------------------------------------------
END=$(date +%s)
hdr "summary ($((END - START)) s; wall = median of $RUNS runs, cpu = user+sys of the controller process(es), target = sshd side per run, busy = whole machine per run, other = busy not from this run)"
verdict() { # VALUE OP LIMIT -> PASS / MISS
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		if (v == "" || v == "n/a") { print "n/a"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0); print ok ? "PASS" : "MISS" }'
}
row() { printf '%-44s %8s %8s %9s %8s %9s %8s %8s\n' "$@"; }
line() { # KEY N LABEL
	row "$3" "$(ms2s "$(get "$1_wall_med")")" "$(ms2s "$(get "$1_cpu_med")")" \
		"$(per "$(get "$1_cpu_med")" "$2")" "$(kb2mb "$(get "$1_rss_max_kb")")" "$(ms2s "$(get "$1_target_cpu")")" "$(ms2s "$(get "$1_busy")")" "$(ms2s "$(get "$1_other")")"
}
for S in $COMPARE; do
	say ""
	row "$S hosts" "wall s" "cpu s" "cpu ms/h" "RSS MiB" "target s" "busy s" "other s"
	line "ed${S}_first" "$S" "envdrift scan, first (fresh repo)"
	line "ed${S}_same" "$S" "envdrift scan, nightly, unchanged"
	line "ed${S}_two" "$S" "envdrift scan, nightly, 2 hosts changed"
	line "floor$S" "$S" "sshfloor: ssh_run, true (floor)"
	line "floorscript$S" "$S" "sshfloor: ssh_run, envdrift's script"
	line "floorpipe$S" "$S" "sshfloor: ssh_run, pssh pipeline"
	[ $HAVE_PSSH = 1 ] && line "pssh$S" "$S" "parallel-ssh -p $JOBS, pipeline"
	[ $HAVE_ANS = 1 ] && [ "$S" = "$ANS_HOSTS" ] && line "ans$S" "$S" "ansible-playbook, forks $FORKS"
done
say ""
row "growth" "wall s" "cpu s" "cpu ms/h" "RSS MiB" "target s" "busy s" "other s"
for N in $GROWTH; do
	line "g${N}_first" "$N" "$N hosts: envdrift scan, first"
	line "g${N}_two" "$N" "$N hosts: nightly, 2 addresses changed"
done

say ""
say "targets (envdrift's first scan is the conservative figure: ratios use it; nightly in brackets)"
vrow() { printf '%-52s %-10s %-44s %s\n' "$@"; }
vrow "target" "limit" "measured" "verdict"
if [ $HAVE_ANS = 1 ]; then
	S=$ANS_HOSTS
	r=$(ratio "$(get "ans${S}_wall_med")" "$(get "ed${S}_first_wall_med")")
	vrow "faster than Ansible ($S hosts, same run)" ">= 25x" "${r}x ($(ratio "$(get "ans${S}_wall_med")" "$(get "ed${S}_two_wall_med")")x): $(ms2s "$(get "ans${S}_wall_med")") s vs $(ms2s "$(get "ed${S}_first_wall_med")") s" "$(verdict "$r" '>=' 25)"
	put v_ansible "$r"
fi
for S in $COMPARE; do
	if [ $HAVE_PSSH = 1 ]; then
		r=$(ratio "$(get "pssh${S}_wall_med")" "$(get "ed${S}_first_wall_med")")
		vrow "faster than parallel-ssh ($S hosts)" ">= 2x" "${r}x ($(ratio "$(get "pssh${S}_wall_med")" "$(get "ed${S}_two_wall_med")")x): $(ms2s "$(get "pssh${S}_wall_med")") s vs $(ms2s "$(get "ed${S}_first_wall_med")") s" "$(verdict "$r" '>=' 2)"
		put "v_pssh$S" "$r"
	fi
	r=$(ratio "$(get "ed${S}_first_wall_med")" "$(get "floor${S}_wall_med")")
	vrow "within 1.5x of the handshake floor ($S hosts)" "<= 1.5x" "${r}x ($(ratio "$(get "ed${S}_two_wall_med")" "$(get "floor${S}_wall_med")")x): $(ms2s "$(get "ed${S}_first_wall_med")") s vs $(ms2s "$(get "floor${S}_wall_med")") s" "$(verdict "$r" '<=' 1.5)"
	put "v_floor$S" "$r"
done
# CPU per host: at the largest size (fixed costs spread thinnest), and
# the worst size
BIG=$(echo "$GROWTH" | tr ' ' '\n' | sort -n | tail -n 1)
sizes() { # SUFFIX: "cpu-ms-per-host size" for every size
	for N in $COMPARE; do echo "$(per "$(get "ed${N}_$1_cpu_med")" "$N") $N"; done
	for N in $GROWTH; do echo "$(per "$(get "g${N}_$1_cpu_med")" "$N") $N"; done
}
for kind in two:"nightly, 2 hosts changed":10 first:"first scan":25; do
	sfx=${kind%%:*} lim=${kind##*:} lab=${kind#*:}
	lab=${lab%:*}
	v=$(per "$(get "g${BIG}_${sfx}_cpu_med")" "$BIG")
	w=$(sizes "$sfx" | sort -n | tail -n 1)
	b=$(sizes "$sfx" | sort -n | head -n 1)
	vrow "controller CPU, $lab, $BIG hosts" "<= $lim ms/h" "$v ms/host (all sizes: ${b% *} at ${b#* } .. ${w% *} at ${w#* })" "$(verdict "$v" '<=' "$lim")"
	put "v_cpu_$sfx" "$v"
done
rss=$(get "g${BIG}_first_rss_max_kb")
r2=$(get "g${BIG}_two_rss_max_kb")
[ "${r2:-0}" -gt "${rss:-0}" ] && rss=$r2
vrow "peak RSS at $BIG hosts (first / nightly)" "<= 128 MB" "$(kb2mb "$(get "g${BIG}_first_rss_max_kb")") / $(kb2mb "$(get "g${BIG}_two_rss_max_kb")") MiB" "$(verdict "$rss" '<=' 125000)"
put v_rss "$rss"
if [ -n "${BENCH_RESULTS:-}" ]; then
	cp "$RES" "$BENCH_RESULTS"
	say "raw results: $BENCH_RESULTS"
fi
