#!/bin/sh
# check's time and output size with and without issue 16's report
# rendering, on one repository: 1,000 hosts with own identities
# (tests/lib/identity.sh) in dev, staging and prod, ten cron files each on
# 30 hosts (3 of every 4 of the first 40 of each 100), so 1,000-host
# outlier groups; `check --format F` with parity prod = staging = dev,
# OLD and NEW interleaved, RUNS (9) runs each, wall medians.
#
#   sh bench/report-scale.sh OLD_BINARY NEW_BINARY [RUNS]
#
# REPSCALE_FORMATS (text markdown html json): the formats timed.
#
# One mktemp -d, removed on exit.
set -u
[ $# -ge 2 ] || { echo "usage: sh bench/report-scale.sh OLD NEW [RUNS]" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
OLD=$1 NEW=$2 RUNS=${3:-9}
case $RUNS in '' | *[!0-9]*) echo "RUNS: a number" >&2; exit 2 ;; esac
T=$(mktemp -d /tmp/envdrift-repscale.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
. "$TOP/tests/lib/identity.sh"
"$NEW" init --repo "$T/state" >/dev/null || exit 2
i=0
while [ "$i" -lt 1000 ]; do
	case $((i % 5)) in 0) env=dev ;; 1 | 2) env=staging ;; *) env=prod ;; esac
	h=$(printf '%s-%04d' "$env" "$i")
	identity_host "$TOP/tests/fixtures/cli/root" "$T/root" "$h" "$env" "$i" || exit 2
	b=$((i % 100))
	if [ "$b" -lt 40 ] && [ $((b % 4)) -ne 2 ]; then
		mkdir -p "$T/root/etc/cron.d"
		echo "* * * * * root true" >"$T/root/etc/cron.d/extra-$((b / 4))"
	fi
	"$NEW" collect -q --repo "$T/state" --root "$T/root" --env "$env" --host "$h" || exit 2
	i=$((i + 1))
done
printf 'parity:\n  - environments: [prod, staging, dev]\n' >"$T/parity.yaml"
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for fmt in ${REPSCALE_FORMATS:-text markdown html json}; do
	: >"$T/old.t"
	: >"$T/new.t"
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		for b in old new; do
			if [ "$b" = old ]; then bin=$OLD; else bin=$NEW; fi
			t0=$(date +%s%N)
			"$bin" check --repo "$T/state" --baseline "$T/parity.yaml" --format "$fmt" >"$T/out.$b" 2>/dev/null
			echo $((($(date +%s%N) - t0) / 1000000)) >>"$T/$b.t"
		done
		r=$((r + 1))
	done
	echo "check --format $fmt, 1,000 hosts: old $(median "$T/old.t") ms, new $(median "$T/new.t") ms (medians of $RUNS, interleaved); output old $(wc -c <"$T/out.old") B, new $(wc -c <"$T/out.new") B"
done
