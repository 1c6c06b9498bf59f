#!/bin/sh
# The state repository on a git server (issue 13): real servers on
# loopback (tests/lib/gitserver.sh: sshd + git-shell, lighttpd + git
# http-backend over TLS) and a real SSH fleet (tests/lib/fleet.sh).
#
#   sh bench/remote.sh path/to/envdrift [OLD]    (as root)
#
# With OLD (another build), the local checks of scale and year also run
# OLD, interleaved with the new one (before/after an optimisation).
# Sections (REMOTE_SECTIONS, default "scale year fleet"):
#   scale  check on generated merged repositories of 1,000 and 10,000 hosts
#          (bench/gen-history.sh ... 1000 1 20 and 10000 1 200), interleaved;
#          target <= 3 s at 10,000 and t(10,000)/t(1,000) <= 11
#   year   a year of daily scans of 1,000 hosts (gen-history.sh ... 1000 365
#          20) pushed to the server, repacked there with deltas; its size;
#          `check --repo HTTPS-URL` from an empty cache (clone + check,
#          <= 10 s) and again on the warm cache (fetch + check, <= 1 s)
#   fleet  N_SHARDS scanners (`scan --shard K/N --push origin`, each from
#          its own clone of one server repository, over SSH) at once on
#          REMOTE_HOSTS inventory hosts served by REMOTE_SSHD sshds (several
#          names per address); then the push of an unchanged scan (<= 1 s)
# Every measurement is REMOTE_RUNS runs (default 5), medians; the two
# sides of a comparison alternate run by run. One line per measurement
# on stdout; BENCH_RESULTS=FILE also keeps them as key=value lines.
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/remote.sh PATH/TO/envdrift [OLD]" >&2; exit 2; }
[ -x "$1" ] || { echo "bench-remote: $1 is not an executable (run make first)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-remote: needs root (sshd, lighttpd, chroot, useradd)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
RUNS=${REMOTE_RUNS:-5}
SECTIONS=${REMOTE_SECTIONS:-scale year fleet}
HOSTS=${REMOTE_HOSTS:-1000}
SSHD=${REMOTE_SSHD:-125}
SHARDS=${REMOTE_SHARDS:-8}
JOBS=${REMOTE_JOBS:-8}

die() { echo "bench-remote: $*" >&2; exit 1; }
num() { case $2 in '' | *[!0-9]*) die "$1 must be a number, not '$2'" ;; esac; }
num REMOTE_RUNS "$RUNS"
num REMOTE_HOSTS "$HOSTS"
num REMOTE_SSHD "$SSHD"
num REMOTE_SHARDS "$SHARDS"
num REMOTE_JOBS "$JOBS"
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 50 ] || die "REMOTE_RUNS: 1..50"
[ "$SSHD" -ge 1 ] && [ "$SSHD" -le 250 ] || die "REMOTE_SSHD: 1..250"
[ "$SHARDS" -ge 1 ] && [ "$SHARDS" -le 64 ] || die "REMOTE_SHARDS: 1..64"
[ "$HOSTS" -ge "$SHARDS" ] && [ "$HOSTS" -le 20000 ] || die "REMOTE_HOSTS: REMOTE_SHARDS..20000"

T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-bench-remote.XXXXXX")
FL=
cp "$1" "$T/envdrift" # a parallel make cannot replace it mid-run
ED=$T/envdrift
OLD=
if [ $# -ge 2 ]; then
	[ -x "$2" ] || die "$2 is not an executable"
	cp "$2" "$T/envdrift.old"
	OLD=$T/envdrift.old
fi
RES=$T/results
: >"$RES"

mine_cleanup() {
	set +e
	[ -n "$FL" ] && fleet_clean "$FL" >/dev/null 2>&1
	FL=
}
# gitserver.sh's exit trap runs $ATEXIT, stops its servers, removes $TMP
# shellcheck disable=SC2034 # both read by gitserver.sh
ATEXIT=mine_cleanup
# shellcheck disable=SC2034
TMP=$T
trap 'mine_cleanup; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
. "$TOP/tests/lib/gitserver.sh"
. "$TOP/tests/lib/fleet.sh"
unset SSH_AUTH_SOCK

say() { echo "$*"; }
put() { echo "$1=$2" >>"$RES"; }
now_ms() { date +%s%3N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
# median of the numbers on stdin (one a line)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "?"; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
minmax() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "-" hi }'; }
verdict() { # VALUE LIMIT: PASS when VALUE <= LIMIT (numbers, awk)
	awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l ? "PASS" : "MISS") }'
}
# timed FILE CMD...: run CMD (output to $T/out, $T/err), append its wall ms
# to FILE; a failure stops the benchmark
# and its CPU ms (user+sys, with the children it waited for) to FILE.cpu
timed() {
	_f=$1
	shift
	_a=$(now_ms)
	/usr/bin/time -o "$T/cpu" -f '%U %S' "$@" >"$T/out" 2>"$T/err" || {
		cat "$T/err" >&2
		die "failed: $*"
	}
	echo $(($(now_ms) - _a)) >>"$_f"
	tail -n 1 "$T/cpu" | awk '{ printf "%d\n", ($1 + $2) * 1000 }' >>"$_f.cpu"
}
rss_kib() { # peak RSS in KiB of one run of CMD
	/usr/bin/time -o "$T/rss" -f '%M' "$@" >/dev/null 2>&1 || die "failed: $*"
	tail -n 1 "$T/rss"
}
report() { # KEY LABEL FILE [LIMIT_MS]: median line, key=value
	_m=$(median <"$3")
	_r=$(minmax <"$3")
	if [ -s "$3.cpu" ]; then
		_c=$(median <"$3.cpu")
		put "${1}_cpu_ms" "$_c"
		set -- "$1" "$2 (CPU median $_c ms)" "$3" ${4:+"$4"}
	fi
	if [ $# -ge 4 ]; then
		_v=$(verdict "$_m" "$4")
		say "remote: $2: median $_m ms (range $_r, $(wc -l <"$3") runs; target <= $4 ms) $_v"
		put "${1}_verdict" "$_v"
	else
		say "remote: $2: median $_m ms (range $_r, $(wc -l <"$3") runs)"
	fi
	put "${1}_ms" "$_m"
}

printf 'parity:\n  - environments: [prod, staging, dev]\n' >"$T/parity.yaml"
CHECK="check --baseline $T/parity.yaml"

say "remote: machine: nproc $(nproc), $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -r), git $(git --version | cut -d' ' -f3), $(date -u '+%Y-%m-%d %H:%M UTC'), load $(load)"
say "remote: runs per measurement: $RUNS; sections: $SECTIONS"

# --------------------------------------------------------------------------
# scale: check on 1,000 and 10,000 merged hosts (local repositories)
section_scale() {
	say "remote: [scale] generating 1,000 and 10,000 hosts, one scan each (load $(load))"
	sh "$HERE/gen-history.sh" "$ED" "$T/s1k.git" 1000 1 20 >/dev/null
	sh "$HERE/gen-history.sh" "$ED" "$T/s10k.git" 10000 1 200 >/dev/null
	"$ED" $CHECK --repo "$T/s1k.git" >/dev/null 2>&1 || : # page cache
	"$ED" $CHECK --repo "$T/s10k.git" >/dev/null 2>&1 || :
	rm -f "$T"/t1k* "$T"/t10k* "$T"/o1k* "$T"/o10k*
	i=0
	while [ $i -lt "$RUNS" ]; do
		timed "$T/t1k" sh -c '"$@" || [ $? -eq 1 ]' - "$ED" $CHECK --repo "$T/s1k.git"
		timed "$T/t10k" sh -c '"$@" || [ $? -eq 1 ]' - "$ED" $CHECK --repo "$T/s10k.git"
		if [ -n "$OLD" ]; then
			timed "$T/o1k" sh -c '"$@" || [ $? -eq 1 ]' - "$OLD" $CHECK --repo "$T/s1k.git"
			timed "$T/o10k" sh -c '"$@" || [ $? -eq 1 ]' - "$OLD" $CHECK --repo "$T/s10k.git"
		fi
		i=$((i + 1))
	done
	if [ -n "$OLD" ]; then
		report scale_old_1k "check, 1,000 merged hosts, by the OLD binary" "$T/o1k"
		report scale_old_10k "check, 10,000 merged hosts, by the OLD binary" "$T/o10k"
	fi
	report scale_1k "check, 1,000 merged hosts" "$T/t1k"
	report scale_10k "check, 10,000 merged hosts" "$T/t10k" 3000
	m1=$(median <"$T/t1k")
	m10=$(median <"$T/t10k")
	ratio=$(awk -v a="$m10" -v b="$m1" 'BEGIN { printf "%.1f", a / b }')
	say "remote: t(10,000) / t(1,000): $ratio (target <= 11) $(verdict "$ratio" 11)"
	put scale_ratio "$ratio"
	r1=$(rss_kib sh -c '"$@" || [ $? -eq 1 ]' - "$ED" $CHECK --repo "$T/s1k.git")
	r10=$(rss_kib sh -c '"$@" || [ $? -eq 1 ]' - "$ED" $CHECK --repo "$T/s10k.git")
	say "remote: check peak RSS: 1,000 hosts $((r1 / 1024)) MiB, 10,000 hosts $((r10 / 1024)) MiB (load $(load))"
	put scale_1k_rss_kib "$r1"
	put scale_10k_rss_kib "$r10"
	rm -rf "$T/s1k.git" "$T/s1k.git.key" "$T/s10k.git" "$T/s10k.git.key"
}

# --------------------------------------------------------------------------
servers() {
	[ -n "${GITSRV_DIR:-}" ] && return 0
	SRV=$(gitsrv_mktemp) || die "gitsrv_mktemp failed"
	gitsrv_ssh_start "$SRV" || die "ssh git server failed"
	gitsrv_http_start "$SRV" || die "https git server failed"
	# every ssh git runs (a push attempt is one git-receive-pack) is
	# logged to $REMOTE_SSHLOG when set: retries = attempts - 1
	printf '#!/bin/sh\n[ -z "${REMOTE_SSHLOG:-}" ] || echo "$*" >>"$REMOTE_SSHLOG"\nexec %s "$@"\n' \
		"$GIT_SSH_COMMAND" >"$T/ssh-log.sh"
	GIT_SSH_COMMAND="sh $T/ssh-log.sh"
	export GIT_SSH_COMMAND
	say "remote: git servers: $GITSRV_SSH_BASE (sshd + git-shell), $GITSRV_HTTP_BASE (lighttpd + git http-backend, TLS)"
}

# year: a year of daily scans, served over HTTPS
section_year() {
	servers
	say "remote: [year] generating 1,000 hosts x 365 daily scans, 20 hosts changed per scan (load $(load))"
	sh "$HERE/gen-history.sh" "$ED" "$T/year.git" 1000 365 20 >/dev/null
	gitsrv_new_repo year || die "gitsrv_new_repo failed"
	git -C "$T/year.git" push -q "$GITSRV_SSH_BASE/year.git" main >/dev/null 2>&1 ||
		die "push of the generated year failed"
	gitsrv_git year repack -q -adf --window=250 --depth=50 || die "repack failed"
	gitsrv_git year prune-packed
	sz=$(du -sk "$GITSRV_DIR/repos/year.git/objects" | cut -f1)
	pk=$(find "$GITSRV_DIR/repos/year.git/objects/pack" -name '*.pack' -exec du -k {} + | awk '{ s += $1 } END { print s }')
	nobj=$(gitsrv_git year count-objects -v | awk '/^in-pack:/ { print $2 }')
	say "remote: year repository on the server after repack -adf --window=250 --depth=50: objects/ $sz KiB (pack $pk KiB, $nobj objects)"
	put year_objects_kib "$sz"
	put year_pack_kib "$pk"
	gitsrv_fsck year >/dev/null 2>&1 || die "fsck of the server repository failed"
	URL=$GITSRV_HTTP_BASE/year.git
	: >"$T/cold"
	: >"$T/warm"
	: >"$T/local"
	rm -f "$T"/cold* "$T"/warm* "$T"/local* "$T"/olocal*
	i=0
	while [ $i -lt "$RUNS" ]; do
		rm -rf "$T/cache"
		mkdir -m 0700 "$T/cache"
		timed "$T/cold" sh -c 'XDG_CACHE_HOME=$0 "$@" || [ $? -eq 1 ]' "$T/cache" "$ED" $CHECK --repo "$URL"
		timed "$T/warm" sh -c 'XDG_CACHE_HOME=$0 "$@" || [ $? -eq 1 ]' "$T/cache" "$ED" $CHECK --repo "$URL"
		timed "$T/local" sh -c '"$@" || [ $? -eq 1 ]' - "$ED" $CHECK --repo "$T/year.git"
		[ -z "$OLD" ] || timed "$T/olocal" sh -c '"$@" || [ $? -eq 1 ]' - "$OLD" $CHECK --repo "$T/year.git"
		i=$((i + 1))
	done
	[ -z "$OLD" ] || report year_old_local "the same by the OLD binary" "$T/olocal"
	report year_cold "check --repo HTTPS-URL, empty cache (clone + check)" "$T/cold" 10000
	report year_warm "check --repo HTTPS-URL, warm cache (fetch + check)" "$T/warm" 1000
	report year_local "check on the generated repository itself (no network)" "$T/local"
	say "remote: (load $(load))"
	rm -rf "$T/cache" "$T/year.git" "$T/year.git.key"
}

# --------------------------------------------------------------------------
# inventory N FILE: h1..hN; host K at fleet address ((K-1) mod SSHD)+1;
# staging the first half, prod the rest, role web
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
		awk -v n="$1" -v fn="$SSHD" 'BEGIN { for (k = 1; k <= int(n / 2); k++)
			printf "            h%d: {ansible_host: 127.0.0.%d}\n", k, (k - 1) % fn + 2 }'
		echo "        prod:"
		echo "          hosts:"
		awk -v n="$1" -v fn="$SSHD" 'BEGIN { for (k = int(n / 2) + 1; k <= n; k++)
			printf "            h%d: {ansible_host: 127.0.0.%d}\n", k, (k - 1) % fn + 2 }'
	} >"$2"
}

# clone_state K: $T/sK.git, a bare clone of the server's fleet repository
# with origin over SSH, and the key beside it
clone_state() {
	rm -rf "$T/s$1.git"
	git clone -q --bare "$GITSRV_SSH_BASE/fleet.git" "$T/s$1.git" || die "clone $1 failed"
	cp "$T/seed.git.key" "$T/s$1.git.key"
}

section_fleet() {
	servers
	say "remote: [fleet] $HOSTS inventory hosts on $SSHD sshds ($(((HOSTS + SSHD - 1) / SSHD)) names per address at most), $SHARDS shards, -j $JOBS each (load $(load))"
	FL=$(fleet_mktemp) || die "fleet_mktemp failed"
	a=$(now_ms)
	fleet_setup "$FL" "$SSHD" >/dev/null || die "fleet_setup failed"
	say "remote: fleet of $SSHD sshds up in $(($(now_ms) - a)) ms"
	inventory "$HOSTS" "$T/inv.yaml"
	SCAN="scan --known-hosts $FLEET_KNOWN_HOSTS -i $T/inv.yaml"
	gitsrv_new_repo fleet || die "gitsrv_new_repo failed"
	# the existing repository every scanner clones: one unsharded scan
	"$ED" init --repo "$T/seed.git" >/dev/null
	a=$(now_ms)
	"$ED" $SCAN --repo "$T/seed.git" -j 32 -q >"$T/out" 2>&1 || die "seed scan failed: $(tail -n 3 "$T/out")"
	seedms=$(($(now_ms) - a))
	say "remote: seed: one unsharded scan of $HOSTS hosts (-j 32): $seedms ms"
	put fleet_seed_scan_ms "$seedms"
	git -C "$T/seed.git" push -q "$GITSRV_SSH_BASE/fleet.git" main >/dev/null 2>&1 || die "seed push failed"
	seed=$(git -C "$T/seed.git" rev-parse main)

	: >"$T/wall"
	: >"$T/rebuilt"
	: >"$T/retries"
	r=0
	while [ $r -lt "$RUNS" ]; do
		gitsrv_git fleet update-ref refs/heads/main "$seed" || die "reset of the server failed"
		k=1
		while [ $k -le "$SHARDS" ]; do
			clone_state $k
			k=$((k + 1))
		done
		a=$(now_ms)
		k=1
		while [ $k -le "$SHARDS" ]; do
			: >"$T/ssh$k.log"
			REMOTE_SSHLOG=$T/ssh$k.log "$ED" $SCAN --repo "$T/s$k.git" -j "$JOBS" --shard "$k/$SHARDS" --push origin \
				>"$T/shard$k.out" 2>"$T/shard$k.err" &
			echo $! >"$T/shard$k.pid"
			k=$((k + 1))
		done
		k=1
		fails=0
		while [ $k -le "$SHARDS" ]; do
			wait "$(cat "$T/shard$k.pid")" || { fails=$((fails + 1)); tail -n 3 "$T/shard$k.err" >&2; }
			k=$((k + 1))
		done
		echo $(($(now_ms) - a)) >>"$T/wall"
		[ $fails -eq 0 ] || die "run $((r + 1)): $fails of $SHARDS scanners failed"
		# what landed: one commit per shard on the seed, every host
		n=$(gitsrv_git fleet rev-list --count "$seed..main")
		[ "$n" -eq "$SHARDS" ] || die "run $((r + 1)): $n commits landed, not $SHARDS"
		h=0
		for e in staging prod; do
			h=$((h + $(gitsrv_git fleet ls-tree --name-only "main:hosts/$e" | wc -l)))
		done
		[ "$h" -eq "$HOSTS" ] || die "run $((r + 1)): $h hosts on the server, not $HOSTS"
		# each landed commit's hosts: its Envdrift-Collected trailers
		c=$(gitsrv_git fleet log --format=%B "$seed..main" | grep -c '^Envdrift-Collected: ' || :)
		[ "$c" -eq "$HOSTS" ] || die "run $((r + 1)): $c collected trailers, not $HOSTS"
		gitsrv_fsck fleet >/dev/null 2>&1 || die "run $((r + 1)): fsck --strict of the server repository failed"
		# rebuilds: "(N commits rebuilt on other writers' pushes)"
		rb=$(cat "$T"/shard*.out | sed -n 's/.*(\([0-9]*\) commits\{0,1\} rebuilt.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
		pushed=$(cat "$T"/shard*.out | grep -c ': pushed main' || :)
		att=$(cat "$T"/ssh*.log | grep -c 'git-receive-pack' || :)
		echo "$rb" >>"$T/rebuilt"
		echo $((att - SHARDS)) >>"$T/retries"
		say "remote:   run $((r + 1)): $(tail -n 1 "$T/wall") ms, $pushed/$SHARDS pushes reported, $rb rebuilt commits, $att push attempts ($((att - SHARDS)) retries), $n commits and $h hosts landed, fsck ok (load $(load))"
		r=$((r + 1))
	done
	report fleet_shards "$SHARDS scanners x $((HOSTS / SHARDS)) hosts pushing at once, wall" "$T/wall"
	say "remote: rebuilt commits per run: $(tr '\n' ' ' <"$T/rebuilt")(median $(median <"$T/rebuilt"); $((SHARDS - 1)) would be one per scanner that lost a race once)"
	put fleet_rebuilt_med "$(median <"$T/rebuilt")"
	say "remote: push retries per run (git-receive-pack runs beyond one per scanner): $(tr '\n' ' ' <"$T/retries")(median $(median <"$T/retries"))"
	put fleet_retries_med "$(median <"$T/retries")"

	# the push of an unchanged scan: scanner 1, brought up to the server
	"$ED" fetch --repo "$T/s1.git" origin >/dev/null 2>&1 || die "fetch failed"
	"$ED" push --repo "$T/s1.git" origin >/dev/null 2>&1 || die "push failed"
	S1="$SCAN --repo $T/s1.git -j $JOBS -q --shard 1/$SHARDS"
	: >"$T/scan"
	: >"$T/push1"
	: >"$T/push0"
	: >"$T/scanpush"
	rm -f "$T"/scan* "$T"/push1* "$T"/push0*
	r=0
	while [ $r -lt "$RUNS" ]; do
		timed "$T/scan" "$ED" $S1
		timed "$T/push1" "$ED" push --repo "$T/s1.git" origin
		grep -q ': pushed main' "$T/out" || die "push of the scan's commit: $(cat "$T/out")"
		timed "$T/push0" "$ED" push --repo "$T/s1.git" origin
		grep -q ': up to date' "$T/out" || die "push with nothing new: $(cat "$T/out")"
		timed "$T/scanpush" "$ED" $S1 --push origin
		r=$((r + 1))
	done
	report push_nothing "push with nothing new" "$T/push0" 1000
	report push_unchanged "push of one unchanged scan's commit" "$T/push1" 1000
	report scan_alone "scan --shard 1/$SHARDS alone, unchanged" "$T/scan"
	report scan_push "scan --shard 1/$SHARDS --push origin, unchanged" "$T/scanpush"
	d=$(($(median <"$T/scanpush") - $(median <"$T/scan")))
	say "remote: push part of scan --push (median difference): $d ms (target <= 1000 ms) $(verdict "$d" 1000)"
	put scan_push_part_ms "$d"
	say "remote: (load $(load))"
	fleet_clean "$FL" >/dev/null 2>&1
	FL=
}

for s in $SECTIONS; do
	case $s in
	scale) section_scale ;;
	year) section_year ;;
	fleet) section_fleet ;;
	*) die "unknown section '$s' (scale, year, fleet)" ;;
	esac
done
if [ -n "${BENCH_RESULTS:-}" ]; then
	cp "$RES" "$BENCH_RESULTS"
	say "remote: raw results: $BENCH_RESULTS"
fi
