#!/bin/sh
# Issue 4's fleet benchmark: envdrift check against a state repository of
# 100, 300 and 1,000 hosts in 3 environments (~3,000 facts per host; most
# hosts of a role share most blob ids, as a real fleet does), then the
# extra cost of drift age after 365 more scan commits; then the same hosts
# as scan commits (one unchanged, then 5 that each change every host).
#
#   sh bench/check-fleet.sh path/to/envdrift [RESULTS_FILE]
#
# Prints one line per measurement; with RESULTS_FILE also appends
# key=value lines for bench/run.sh's summary.
set -eu
ED=$1
RES=${2:-/dev/null}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-fleet.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
RUNS=${FLEET_RUNS:-5}

# ~1,000 packages + ~1,000 sysctls + ~900 files and dirs per host
sh "$HERE/gen-root.sh" "$T/base" 1000 800 1000 7 >/dev/null
echo fleet > "$T/base/etc/hostname"
# variants share everything else by hard link, as cloned images do
cp -al "$T/base" "$T/pkg"
first=$(awk '/^Package: /{print $2; exit}' "$T/base/var/lib/dpkg/status")
awk -v pkg="$first" '/^Package: /{p=$2} /^Version: /&&p==pkg{$0="Version: 9.9.9-9"} {print}' \
	"$T/base/var/lib/dpkg/status" > "$T/status.new"
rm "$T/pkg/var/lib/dpkg/status"
cp "$T/status.new" "$T/pkg/var/lib/dpkg/status"
cp -al "$T/base" "$T/conf"
f=$(cd "$T/conf" && find etc -type f -name '*.conf' | sort | head -1)
rm "$T/conf/$f"
printf 'drifted = yes\n' > "$T/conf/$f"

R=$T/fleet.git
"$ED" init --repo "$R" >/dev/null
cat > "$T/parity.yaml" <<'YAML'
parity:
  - environments: [prod, staging, dev]
YAML

median_run() { # prints "median_ms max_rss_kb" of RUNS runs of "$@"
	i=0
	: > "$T/times"
	while [ $i -lt "$RUNS" ]; do
		/usr/bin/time -f '%e %M' -o "$T/one" "$@" >/dev/null 2>&1 || :
		# GNU time writes "Command exited with non-zero status" first
		tail -n 1 "$T/one" >> "$T/times"
		i=$((i + 1))
	done
	sort -n "$T/times" | awk -v n="$RUNS" '{ t[NR] = $1 * 1000; if ($2 > m) m = $2 }
		END { printf "%.0f %d\n", t[int((n + 1) / 2)], m }'
}

# host n: its environment and root (variants every 47th and 71st host)
env_of() { case $(($1 % 3)) in 0) echo prod ;; 1) echo staging ;; *) echo dev ;; esac; }
root_of() {
	if [ $(($1 % 71)) -eq 9 ]; then echo "$T/conf"
	elif [ $(($1 % 47)) -eq 5 ]; then echo "$T/pkg"
	else echo "$T/base"; fi
}

n=0
for target in 100 300 1000; do
	while [ $n -lt $target ]; do
		"$ED" collect -q --repo "$R" --root "$(root_of $n)" --env "$(env_of $n)" --host "h$n" --role web
		n=$((n + 1))
	done
	set -- $(median_run "$ED" check --repo "$R" --baseline "$T/parity.yaml")
	echo "  check, $target hosts: median $1 ms, peak RSS $2 KB"
	echo "fleet_check_${target}_ms=$1" >> "$RES"
	echo "fleet_check_${target}_rss=$2" >> "$RES"
done

# drift age: 365 more scan commits (one host re-collected, unchanged)
set -- $(median_run "$ED" check --repo "$R" --baseline "$T/parity.yaml")
before=$1
i=0
while [ $i -lt 365 ]; do
	"$ED" collect -q --repo "$R" --root "$T/base" --env prod --host h0 --role web
	i=$((i + 1))
done
set -- $(median_run "$ED" check --repo "$R" --baseline "$T/parity.yaml")
echo "  check, 1000 hosts after 365 more scans: median $1 ms (before: $before ms; drift age extra $(($1 - before)) ms)"
echo "fleet_since_before_ms=$before" >> "$RES"
echo "fleet_since_after_ms=$1" >> "$RES"

# The same 1,000 hosts as a nightly fleet scan writes them: one commit for
# every host (ansible_connection: chroot reads each root as collect --root
# does), then a second, unchanged scan. Drift age then walks scan commits,
# not 1,000 single-host commits.
R2=$T/scan.git
"$ED" init --repo "$R2" >/dev/null
{
	echo "all:"
	echo "  children:"
	for env in prod staging dev; do
		echo "    $env:"
		echo "      hosts:"
		n=0
		while [ $n -lt 1000 ]; do
			[ "$(env_of $n)" = "$env" ] &&
				echo "        h$n: {ansible_connection: chroot, ansible_host: $(root_of $n)}"
			n=$((n + 1))
		done
	done
	echo "    web:"
	echo "      hosts:"
	n=0
	while [ $n -lt 1000 ]; do echo "        h$n:"; n=$((n + 1)); done
} > "$T/inventory.yaml"
start=$(date +%s)
"$ED" scan -q --repo "$R2" -i "$T/inventory.yaml"
echo "  scan of 1,000 chroot hosts into one commit: $(($(date +%s) - start)) s"
set -- $(median_run "$ED" check --repo "$R2" --baseline "$T/parity.yaml")
echo "  check, 1000 hosts from one scan commit: median $1 ms, peak RSS $2 KB"
echo "fleet_scan_check_1000_ms=$1" >> "$RES"
echo "fleet_scan_check_1000_rss=$2" >> "$RES"
"$ED" scan -q --repo "$R2" -i "$T/inventory.yaml"
set -- $(median_run "$ED" check --repo "$R2" --baseline "$T/parity.yaml")
echo "  check, 1000 hosts after a second (unchanged) scan: median $1 ms"
echo "fleet_scan_check_1000_2_ms=$1" >> "$RES"

# Fleet-wide change nights: 5 more scans, each after one package version
# was bumped in every root (unattended upgrades everywhere), so every host
# moves at every commit and drift age re-reads every host at each step.
for round in 1 2 3 4 5; do
	for root in base pkg conf; do
		st=$T/$root/var/lib/dpkg/status
		awk -v r="$round" '/^Package: /{p++} /^Version: /&&p==2{$0="Version: 1." r} {print}' "$st" > "$st.new"
		rm "$st"
		mv "$st.new" "$st"
	done
	"$ED" scan -q --repo "$R2" -i "$T/inventory.yaml"
done
set -- $(median_run "$ED" check --repo "$R2" --baseline "$T/parity.yaml")
echo "  check, 1000 hosts after 5 scans that each changed every host: median $1 ms, peak RSS $2 KB"
echo "fleet_scan_check_1000_all_changed_ms=$1" >> "$RES"
echo "fleet_scan_check_1000_all_changed_rss=$2" >> "$RES"
