#!/bin/sh
# Issue 14's bytes benchmark: what one host's answer to a fleet scan
# weighs, a full scan (`scan --full`: every file sent, as before the
# incremental re-scan) against an unchanged incremental re-scan, and a
# re-scan after one file changed, on two kinds of host root:
#   minbase  the fleet's default root (tests/lib/fleet.sh: a few /etc files
#            of this machine, its dpkg status, /proc/sys as files)
#   fat      the same plus a copy of this machine's whole /etc, as real
#            servers carry (built once per run)
# The bytes are the answer's, as the controller's decoder sees it (`scan
# -v`: "N files sent, M reused, B bytes"), per host, median over the
# hosts; SSH's own framing and the request are not counted.
#
#   sh bench/scan_bytes.sh build/envdrift          (as root)
#
# Knobs: BENCH_BYTES_HOSTS (hosts per kind, default 4). Prints one table
# (Markdown) on stdout; everything lives in a mktemp -d directory and the
# fleet's directory, both removed on exit.
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/scan_bytes.sh PATH/TO/envdrift" >&2; exit 2; }
[ -x "$1" ] || { echo "bench-bytes: $1 is not an executable (run make first)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-bytes: needs root (chroot, sshd, useradd)" >&2; exit 2; }
ENVDRIFT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
N=${BENCH_BYTES_HOSTS:-4}
case $N in '' | *[!0-9]*) echo "bench-bytes: BENCH_BYTES_HOSTS must be a number" >&2; exit 2 ;; esac
FLEET_LIB=$HERE/../tests/lib
. "$FLEET_LIB/fleet.sh"

WORK=$(mktemp -d /tmp/envdrift-bytes.XXXXXX)
FL=
cleanup() {
	[ -n "$FL" ] && fleet_clean "$FL" >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }

# field F (1 sent, 2 reused, 3 bytes) of every host in -v output $1, median
field() {
	sed -n 's/^envdrift: .* collected in .*; \([0-9]*\) files\{0,1\} sent, \([0-9]*\) reused, \([0-9]*\) bytes[^)]*)$/\1 \2 \3/p' "$1" |
		awk -v f="$2" '{ print $f }' | median
}

# the summary's "cpu N ms/host" of the last scan
cpu() { sed -n 's/.*cpu \([0-9.]*\) ms\/host.*/\1/p' "$WORK/out" "$WORK/err" | head -1; }

scan() {
	"$ENVDRIFT" scan --repo "$WORK/repo" --known-hosts "$FLEET_KNOWN_HOSTS" \
		-i "$WORK/inv.yaml" -j "$N" -v "$@" 2>"$WORK/err" >"$WORK/out" ||
		{ cat "$WORK/err" >&2; exit 1; }
}

# one kind of root: $1 its name, $2 the template root ("" for the default)
measure() {
	FL=$(fleet_mktemp)
	if [ -n "$2" ]; then
		fleet_setup "$FL" "$N" "$2" >/dev/null
	else
		fleet_setup "$FL" "$N" >/dev/null
	fi
	fleet_env "$FL"
	fleet_inventory "$N" $((N / 2)) </dev/null >"$WORK/inv.yaml"
	rm -rf "$WORK/repo" "$WORK/repo.key"
	"$ENVDRIFT" init --repo "$WORK/repo" >/dev/null
	sleep 2 # nothing racy
	scan --full
	cpu_full=$(cpu)
	full=$(field "$WORK/err" 3)
	files=$(field "$WORK/err" 1)
	scan
	cpu_same=$(cpu)
	same=$(field "$WORK/err" 3)
	same_sent=$(field "$WORK/err" 1)
	same_reused=$(field "$WORK/err" 2)
	fleet_set_file "$FL" 1 /etc/envdrift-bench.conf "changed = $(date +%s)" 0644
	sleep 2
	scan
	one=$(sed -n 's/^envdrift: [a-z]*\/h1 collected in .*; \([0-9]*\) files\{0,1\} sent, .*$/\1/p' "$WORK/err")
	echo "| $1 | $files | $full | $same ($(awk -v a="$same" -v b="$full" 'BEGIN { printf "%.1f", 100 * a / b }') %) | $same_sent sent, $same_reused reused | $((one - same_sent)) | $cpu_full / $cpu_same |"
	fleet_clean "$FL" >/dev/null 2>&1
	FL=
}

# the fat root: the default one, then this machine's /etc over it
FAT=$WORK/fat
mkdir -p "$FAT"
_fl_template "$FAT"
cp -a /etc/. "$FAT/etc/" 2>/dev/null || true
rm -f "$FAT"/etc/ssh/ssh_host_*

echo "| root | files sent (full) | bytes per host, full | unchanged re-scan | files, unchanged | files sent for one changed file (beyond unchanged) | controller CPU ms/host, full / unchanged |"
echo "|---|---|---|---|---|---|---|"
measure minbase ""
measure fat "$FAT"
