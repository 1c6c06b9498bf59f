#!/bin/sh
# Two builds of envdrift timed on the same machine in the same run, on the
# collect targets of BENCHMARKS.md (this machine's unchanged re-collect,
# the synthetic host's first collect and unchanged re-collect):
#
#   sh bench/side-by-side.sh OLD_BINARY NEW_BINARY
#
# Runs alternate, old, new, old, new..., SBS_RUNS (20) timed runs per
# binary and figure after one warm-up each, so a machine that speeds up or
# slows down during the run moves both sides alike. Prints per figure the
# wall and CPU (user+sys, bench/timeit.c) medians of each side and the
# ratio new/old. Absolute targets hold on a given machine; the ratio says
# what a change cost. Knobs: SBS_RUNS, SBS_SYNTH ("5000 20000 1500").
# Everything lives in one mktemp -d directory, removed on exit.
set -u
[ $# -eq 2 ] || { echo "usage: sh bench/side-by-side.sh OLD_BINARY NEW_BINARY" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${SBS_RUNS:-20}
SYNTH=${SBS_SYNTH:-5000 20000 1500}
case $RUNS in '' | *[!0-9]*) echo "SBS_RUNS: a number" >&2; exit 2 ;; esac
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 1000 ]; then echo "SBS_RUNS: 1..1000" >&2; exit 2; fi
T=$(mktemp -d /tmp/envdrift-sbs.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
cp "$1" "$T/old" && cp "$2" "$T/new" || exit 2
cc -O2 -std=c11 -o "$T/timeit" "$TOP/bench/timeit.c" || exit 2
# shellcheck disable=SC2086 # SYNTH is three numbers
sh "$TOP/bench/gen-root.sh" "$T/synth" $SYNTH >/dev/null || exit 2

# one SIDE LOG PREPARE ARGS...: one timed run; its "wall cpu" appended to LOG
one() {
	_olog=$2 _oprep=$3
	shift 3
	if [ -n "$_oprep" ]; then
		"$T/timeit" -n 1 -o "$T/run" -E "$T/err" -p "$_oprep" -- "$@" >/dev/null
	else
		"$T/timeit" -n 1 -o "$T/run" -E "$T/err" -- "$@" >/dev/null
	fi || { cat "$T/err" >&2; return 1; }
	awk '{ print $2, $3 }' "$T/run" >>"$_olog"
}
med() { # median of column $2 of file $1
	sort -n -k"$2" "$1" | awk -v k="$2" '{ v[NR] = $k } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# figure NAME PREPARE ARGS...: @B@ is the side's binary, @R@ its repository
figure() {
	_name=$1 _prep=$2
	shift 2
	_tmpl=$(printf '%s\n' "$@") # one word a line
	: >"$T/old.log"
	: >"$T/new.log"
	_i=0
	while [ "$_i" -le "$RUNS" ]; do
		for _s in old new; do
			_p=$(printf '%s' "$_prep" | sed "s|@B@|$T/$_s|g; s|@R@|$T/$_s.git|g")
			_c=$(printf '%s\n' "$_tmpl" | sed "s|@B@|$T/$_s|g; s|@R@|$T/$_s.git|g")
			_log=$T/$_s.log
			[ "$_i" -gt 0 ] || _log=$T/warm.log # run 0 is the warm-up
			_ifs=$IFS
			IFS='
'
			set -f
			# shellcheck disable=SC2086 # one word a line
			set -- $_c
			set +f
			IFS=$_ifs
			one "$_s" "$_log" "$_p" "$@" || {
				echo "side-by-side: $_name: a run of $_s failed" >&2
				exit 1
			}
		done
		_i=$((_i + 1))
	done
	_ow=$(med "$T/old.log" 1) _oc=$(med "$T/old.log" 2)
	_nw=$(med "$T/new.log" 1) _nc=$(med "$T/new.log" 2)
	awk -v n="$_name" -v ow="$_ow" -v oc="$_oc" -v nw="$_nw" -v nc="$_nc" -v r="$RUNS" 'BEGIN {
		printf "%-38s old wall %7.1f cpu %7.1f | new wall %7.1f cpu %7.1f | new/old wall %.3f cpu %.3f (%d runs each)\n",
			n, ow, oc, nw, nc, nw / ow, nc / oc, r }'
}

echo "side-by-side: $(uname -r), $(nproc) cpus, $(date -u '+%Y-%m-%d %H:%M UTC'); synthetic host: $SYNTH"
for s in old new; do
	if ! "$T/$s" init --repo "$T/$s.git" >/dev/null ||
		! "$T/$s" collect -q --repo "$T/$s.git" >/dev/null; then
		echo "side-by-side: setup of $s failed" >&2
		exit 1
	fi
done
figure "this machine, unchanged re-collect" "" @B@ collect -q --repo @R@
for s in old new; do rm -rf "$T/$s.git" "$T/$s.git.key"; done
figure "synthetic host, first collect" "rm -rf @R@ @R@.key && @B@ init --repo @R@ >/dev/null" \
	@B@ collect -q --repo @R@ --root "$T/synth"
for s in old new; do
	"$T/$s" collect -q --repo "$T/$s.git" --root "$T/synth" >/dev/null || exit 1
done
figure "synthetic host, unchanged re-collect" "" @B@ collect -q --repo @R@ --root "$T/synth"
