# test-lib.sh: a tiny harness for envdrift's CLI tests (git's t/ style).
# Each tNNNN-*.sh sources this, calls `check DESCRIPTION CMD...` or the
# expect_* helpers, and ends with `finish`. $ENVDRIFT is the binary.
set -u
: "${ENVDRIFT:?set ENVDRIFT to the envdrift binary}"
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
FIXTURES=$(cd "$TESTS_DIR/../fixtures" && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-cli.XXXXXX")
PASSED=0
FAILED=0
trap 'rm -rf "$TMP"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$TMP/home" LC_ALL=C
mkdir -p "$HOME"
unset ENVDRIFT_REPO ENVDRIFT_KEY

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; }

# check DESC CMD...: CMD must exit 0
check() {
	desc=$1; shift
	if "$@" >"$TMP/out" 2>"$TMP/err"; then pass "$desc"; else
		fail "$desc"; sed 's/^/#   /' "$TMP/out" "$TMP/err" | head -20; fi
}

# expect_exit CODE DESC CMD...: CMD must exit CODE; output in $TMP/out, $TMP/err
expect_exit() {
	want=$1; desc=$2; shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" -eq "$want" ]; then pass "$desc"; else
		fail "$desc (exit $got, want $want)"; sed 's/^/#   /' "$TMP/out" "$TMP/err" | head -20; fi
}

# expect_grep DESC PATTERN FILE: FILE must contain PATTERN (grep -E)
expect_grep() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else
		fail "$1 (no /$2/ in $(basename "$3"))"; sed 's/^/#   /' "$3" | head -20; fi
}

expect_no_grep() {
	if grep -Eq -- "$2" "$3"; then fail "$1 (found /$2/)"; grep -E -- "$2" "$3" | head -5 | sed 's/^/#   /'; else pass "$1"; fi
}

# expect_eq DESC A B
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1 ('$2' != '$3')"; fi
}

# Every repository a test creates must pass stock git's strict fsck.
fsck_ok() {
	check "git fsck --strict $(basename "$1")" git -C "$1" fsck --strict --no-progress
}

# mkroot DIR: a small real root filesystem from tests/fixtures/cli/root plus
# what git cannot store (modes, a fifo, keys made now).
mkroot() {
	cp -a "$FIXTURES/cli/root" "$1"
	chmod 0640 "$1/etc/shadow"
	chgrp "$(awk -F: '$1=="shadow"{print $3}' "$1/etc/group")" "$1/etc/shadow"
	chmod 0600 "$1/etc/app/app.conf"
	mkdir -p "$1/etc/ssl/private" "$1/run"
	ssh-keygen -q -t ed25519 -N '' -C fixture -f "$1/etc/ssh/ssh_host_ed25519_key" </dev/null
	ssh-keygen -q -t ecdsa -N '' -C fixture -f "$1/etc/ssl/private/app.pem" </dev/null
	cp "$1/etc/ssh/ssh_host_ed25519_key" "$1/etc/app/embedded-key.txt"
}

# new_repo DIR: init a state repository (key DIR.key)
new_repo() {
	"$ENVDRIFT" init --repo "$1" >/dev/null
}

# need_tool TOOL...: a tool a test uses must be there; a missing one fails
# the test (the Makefile's TEST_DEPS installs them), it never skips it. A
# TOOL with a slash is a file that must exist (a server's module, say).
need_tool() {
	for _nt in "$@"; do
		case $_nt in
		*/*) [ -e "$_nt" ] && continue ;;
		*) command -v "$_nt" >/dev/null 2>&1 && continue ;;
		esac
		fail "needs $_nt (make deps-test installs it: Makefile TEST_DEPS)"
		finish
		exit 1
	done
}

finish() {
	echo "# $(basename "$0"): $PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# start_fleet N: for a test of SSH scans (tests/lib/fleet.sh, sourced by
# the test). Skips the whole test unless root with OpenSSH's sshd; else
# sets FL to a new fleet of N hosts, stopped and removed at exit after
# eval of $ATEXIT (the test's own cleanup, read at exit time).
start_fleet() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "# skipped: needs root (a fleet of sshds with their own users)"
		check "skipped (not root)" true
		finish
		exit $?
	fi
	need_tool /usr/sbin/sshd ssh useradd
	FL=$(fleet_mktemp) || { fail "fleet_mktemp"; finish; exit 1; }
	trap 'eval "${ATEXIT:-}"; fleet_clean "$FL" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
	trap 'exit 130' INT TERM
	check "fleet of $1 hosts" fleet_setup "$FL" "$1"
	[ -f "$FL/port" ] || { finish; exit 1; }
}
