#!/bin/sh
# A generated state repository with a year of history, for the benchmarks
# of the repository on a git server (issue 13): HOSTS hosts in prod,
# staging and dev, each with its own name in `identity` and
# `sysctl-per-host`, sharing one real snapshot otherwise (collected with
# `envdrift collect --root` from a gen-root.sh root, so every file has the
# real format); then SCANS daily scan commits of the whole fleet in which
# CHANGED hosts each change one file (`kernel`: a kernel rolled out to 2 %
# of the fleet per day, a new release every 30 days). Written with
# `git fast-import`, so a 10,000-host year takes seconds, not a day.
#
#   sh bench/gen-history.sh ENVDRIFT OUT_REPO HOSTS SCANS CHANGED
#
# OUT_REPO is a new bare state repository (key OUT_REPO.key).
set -eu
ED=$1 OUT=$2 HOSTS=$3 SCANS=$4 CHANGED=$5
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-gen.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM

sh "$HERE/gen-root.sh" "$T/root" 1000 800 1000 7 >/dev/null
echo seed >"$T/root/etc/hostname"
"$ED" init --repo "$OUT" >/dev/null
"$ED" collect --repo "$OUT" --root "$T/root" --env prod --host seed -q
seed=$(git -C "$OUT" rev-parse main)
# the seed's host tree without the two per-host files, as a base
git -C "$OUT" ls-tree "main:hosts/prod/seed" |
	grep -v -e '	identity$' -e '	sysctl-per-host$' >"$T/base.ls"
base=$(git -C "$OUT" mktree <"$T/base.ls")
marker=$(git -C "$OUT" rev-parse "main:.envdrift")
t0=$(($(date +%s) - SCANS * 86400))

awk -v hosts="$HOSTS" -v scans="$SCANS" -v changed="$CHANGED" \
	-v base="$base" -v marker="$marker" -v seed="$seed" -v t0="$t0" '
function env(i) { return i % 3 == 0 ? "prod" : (i % 3 == 1 ? "staging" : "dev") }
function name(i) { return sprintf("h%05d", i) }
function blob(s) { printf "data %d\n%s", length(s), s }
function kernel(v) {
	return sprintf("cmdline = BOOT_IMAGE=/boot/vmlinuz-6.1.0-%d-amd64 root=/dev/vda1 ro quiet\n" \
		"release = 6.1.0-%d-amd64\nversion = #1 SMP PREEMPT_DYNAMIC Debian 6.1.%d-1\n", v, v, 60 + v)
}
BEGIN {
	for (i = 0; i < hosts; i++)
		trail = trail sprintf("Envdrift-Collected: %s/%s\n", env(i), name(i))
	trail = trail sprintf("Envdrift-Scan: %d collected, 0 failed\n", hosts)
	for (s = 0; s <= scans; s++) {
		msg = sprintf("scan: %d hosts, %d changed\n\n", hosts, s ? changed : hosts) trail
		printf "commit refs/heads/main\n"
		printf "committer envdrift <envdrift@localhost> %d +0000\n", t0 + s * 86400
		printf "data %d\n%s", length(msg), msg
		if (s == 0) {
			printf "from %s\n", seed
			printf "deleteall\nM 040000 %s .envdrift\n", marker
			for (i = 0; i < hosts; i++) {
				p = "hosts/" env(i) "/" name(i)
				printf "M 040000 %s %s\n", base, p
				printf "M 100644 inline %s/identity\n", p
				blob(sprintf("addresses-from = none\nhost = %s\nmacs-from = none\n", name(i)))
				printf "M 100644 inline %s/sysctl-per-host\n", p
				blob(sprintf("kernel.hostname = %s\n", name(i)))
			}
		} else {
			for (k = 0; k < changed; k++) {
				i = (s * 7919 + k * 104729) % hosts
				printf "M 100644 inline hosts/%s/%s/kernel\n", env(i), name(i)
				blob(kernel(18 + int(s / 30)))
			}
		}
		printf "\n"
	}
}' | git -C "$OUT" fast-import --quiet --force
