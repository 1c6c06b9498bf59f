#!/bin/sh
# make valgrind: a subset of the tests under valgrind memcheck (zero errors,
# zero definite leaks): the parsers' and decoders' unit tests, then a local
# collect, a fleet-less scan (ansible_connection: chroot), diff and check
# against a fixture root. Tests that start sshd stay in the ASan run: under
# valgrind's slowdown their deadlines would fire.
#   sh tests/valgrind/run.sh BUILD_DIR
set -u
B=${1:-build}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-origins=no"
command -v valgrind >/dev/null || { echo "valgrind: not installed (make deps-test installs it)" >&2; exit 2; }
fail=0
run() {
	desc=$1; shift
	if $VG "$@" >"$T/out" 2>"$T/err"; then
		echo "ok - valgrind: $desc"
	else
		rc=$?
		echo "FAIL - valgrind: $desc (exit $rc)"
		tail -30 "$T/err" | sed 's/^/#   /'
		fail=1
	fi
}
T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-vg.XXXXXX")
trap 'rm -rf "$T"' EXIT
# the CPU bounds of unit tests scale by memcheck's slowdown (tens of times)
export ENVDRIFT_TEST_SLOWDOWN=50

for t in test_core test_yaml test_config test_inventory test_packages test_kernel \
	test_sysctl test_services test_vfs test_remote test_ssh_known test_vercmp \
	test_differ test_reports; do
	run "unit $t" "$B/tests/unit/$t"
done

ED="$B/envdrift"
cp -a "$SRC/tests/fixtures/cli/root" "$T/root"
R="$T/state"
run "init" "$ED" init --repo "$R"
run "collect --root" "$ED" collect -q --repo "$R" --root "$T/root" --env prod --host vg1
cp -a "$T/root" "$T/root2"
echo "drift = yes" >"$T/root2/etc/vg-drift.conf"
cat >"$T/inv.yaml" <<YAML
all:
  children:
    prod:
      hosts:
        vg1: {ansible_connection: chroot, ansible_host: $T/root}
    staging:
      hosts:
        vg2: {ansible_connection: chroot, ansible_host: $T/root2}
YAML
run "scan (chroot hosts)" "$ED" scan -q --repo "$R" -i "$T/inv.yaml"
$VG "$ED" diff --repo "$R" vg1 vg2 >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 1 ]; then echo "ok - valgrind: diff (drift found)"; else
	echo "FAIL - valgrind: diff exit $rc (want 1)"; tail -30 "$T/err" | sed 's/^/#   /'; fail=1; fi
$VG "$ED" check --repo "$R" --format json:"$T/r.json" --format html:"$T/r.html" prod staging >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" -eq 1 ]; then echo "ok - valgrind: check, json + html"; else
	echo "FAIL - valgrind: check exit $rc (want 1)"; tail -30 "$T/err" | sed 's/^/#   /'; fail=1; fi
run "status" "$ED" status --repo "$R"

# the SSH transport too, on a 2-host fleet, with the limits raised so
# valgrind's slowdown cannot trip them
if [ "$(id -u)" -eq 0 ] && [ -x /usr/sbin/sshd ] && command -v useradd >/dev/null; then
	. "$SRC/tests/lib/fleet.sh"
	FL=$(fleet_mktemp) && fleet_setup "$FL" 2 >"$T/fleet.log" 2>&1 && {
		run "scan over SSH (2 hosts)" "$ED" scan -q --repo "$R" -i "$FLEET_INVENTORY" \
			--known-hosts "$FLEET_KNOWN_HOSTS" --connect-timeout 120 --deadline 600
		fleet_clean "$FL" >/dev/null 2>&1
	} || { echo "FAIL - valgrind: fleet setup"; tail -5 "$T/fleet.log"; fail=1; fleet_clean "$FL" >/dev/null 2>&1; }
else
	echo "ok - valgrind: scan over SSH skipped (needs root and sshd)"
fi
[ "$fail" -eq 0 ] && echo "valgrind: all passed" || echo "valgrind: FAILED"
exit "$fail"
