#!/bin/sh
# Precision on a fleet of hosts that differ only by who they are (issue
# 12): N hosts (default 200) split into dev, staging and prod, each a copy
# of one root with its own name, FQDN, addresses, MAC, machine-id and SSH
# host key in /etc/hosts, interfaces, netplan and an application config
# (tests/lib/identity.sh), collected with --root into one repository.
# Then:
#   - items `check` reports with parity dev = staging = prod (target 0),
#     and for each binary given, so an older one shows what the noise was;
#   - check's wall median over PRECISION_RUNS (5) runs, for each binary.
#
#   sh bench/precision.sh ENVDRIFT [OLD_ENVDRIFT]
#
# Knobs: PRECISION_HOSTS (200), PRECISION_BASE (a root to copy; default
# tests/fixtures/cli/root), PRECISION_RUNS. One mktemp -d, removed on exit.
#
# PRECISION_SSH=1: live hosts instead (root, sshd; N <= 250): the SSH test
# fleet of tests/lib/fleet.sh, each chrooted host with its own host keys,
# names, addresses, MAC, machine-id, /proc/net tables (listeners on its own
# address, an ephemeral client socket) and /sys/class/net, staging and
# prod, scanned over SSH; parity staging = prod.
set -u
[ $# -ge 1 ] || { echo "usage: sh bench/precision.sh ENVDRIFT [OLD_ENVDRIFT]" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
ED=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
OLD=${2:-}
N=${PRECISION_HOSTS:-200}
RUNS=${PRECISION_RUNS:-5}
BASE=${PRECISION_BASE:-$TOP/tests/fixtures/cli/root}
case $N$RUNS in '' | *[!0-9]*) echo "PRECISION_HOSTS, PRECISION_RUNS: numbers" >&2; exit 2 ;; esac
if [ "$N" -lt 3 ] || [ "$N" -gt 5000 ] || [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 100 ]; then
	echo "PRECISION_HOSTS 3..5000, PRECISION_RUNS 1..100" >&2
	exit 2
fi
T=$(mktemp -d /tmp/envdrift-precision.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
. "$TOP/tests/lib/identity.sh"

start=$(date +%s)
"$ED" init --repo "$T/state" >/dev/null || exit 2
if [ "${PRECISION_SSH:-0}" = 1 ]; then
	[ "$N" -le 250 ] || { echo "PRECISION_SSH: at most 250 hosts" >&2; exit 2; }
	. "$TOP/tests/lib/fleet.sh"
	FL=$(fleet_mktemp) || exit 2
	trap 'fleet_clean "$FL" >/dev/null 2>&1; rm -rf "$T"' EXIT
	(fleet_setup "$FL" "$N") >"$T/fleet.log" 2>&1 || { tail -3 "$T/fleet.log"; exit 2; }
	fleet_env "$FL"
	fleet_inventory "$N" $((N / 2)) </dev/null >"$T/inv.yaml"
	echo "precision: fleet of $N live hosts set up in $(($(date +%s) - start)) s"
	start=$(date +%s)
	"$ED" scan -q --repo "$T/state" --known-hosts "$FLEET_KNOWN_HOSTS" -j 32 -i "$T/inv.yaml" || exit 2
	echo "precision: $N hosts (staging, prod) scanned over SSH in $(($(date +%s) - start)) s"
	printf 'parity:\n  - environments: [prod, staging]\n' >"$T/parity.yaml"
else
	i=0
	while [ "$i" -lt "$N" ]; do
		case $((i % 5)) in 0) env=dev ;; 1 | 2) env=staging ;; *) env=prod ;; esac
		h=$(printf '%s-%04d' "$env" "$i")
		identity_host "$BASE" "$T/root" "$h" "$env" "$i" || exit 2
		"$ED" collect -q --repo "$T/state" --root "$T/root" --env "$env" --host "$h" || exit 2
		i=$((i + 1))
	done
	echo "precision: $N hosts (dev, staging, prod) collected in $(($(date +%s) - start)) s"
	printf 'parity:\n  - environments: [prod, staging, dev]\n' >"$T/parity.yaml"
fi

items() { # BINARY: the items check reports, from its json summary
	"$1" check --repo "$T/state" --baseline "$T/parity.yaml" --format json >"$T/out.json" 2>"$T/err"
	_rc=$?
	if [ "$_rc" -gt 1 ]; then
		echo "error: $(head -1 "$T/err")"
		return
	fi
	sed -n 's/.*"summary": {[^}]*"drift": \([0-9]*\).*/\1/p' "$T/out.json" | head -1
}
echo "precision: items reported by check on the identical fleet: $(items "$ED") (target 0)"
[ -z "$OLD" ] || echo "precision: the same by $OLD: $(items "$OLD")"

median_check() { # BINARY: check's wall median in ms over RUNS runs
	: >"$T/times"
	_r=0
	while [ "$_r" -lt "$RUNS" ]; do
		_t0=$(date +%s%N)
		"$1" check --repo "$T/state" --baseline "$T/parity.yaml" >/dev/null 2>&1
		echo $((($(date +%s%N) - _t0) / 1000000)) >>"$T/times"
		_r=$((_r + 1))
	done
	sort -n "$T/times" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo "precision: check on $N hosts, wall median of $RUNS runs: $(median_check "$ED") ms"
[ -z "$OLD" ] || echo "precision: the same by $OLD: $(median_check "$OLD") ms"
