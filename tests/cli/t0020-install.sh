#!/bin/sh
# make install: binary, man page, defaults and the nightly systemd pair
# (valid for systemd-analyze); the service's shell line runs the report
# even when some hosts failed and fails the unit only on a real outage.
. "$(dirname "$0")/test-lib.sh"
need_tool systemd-analyze

SRC=$(cd "$TESTS_DIR/../.." && pwd)
BUILD_DIR=$(dirname "$ENVDRIFT")
case $BUILD_DIR in
"$SRC"/*) BUILD_REL=${BUILD_DIR#"$SRC"/} ;;
*) BUILD_REL= ;;
esac
if [ -z "$BUILD_REL" ] || ! command -v make >/dev/null; then
	echo "# skipped: $ENVDRIFT is not in this source tree's build directory"
	check "skipped (binary outside the tree)" true
	finish
	exit $?
fi

D=$TMP/dest
check "make install DESTDIR" make -s -C "$SRC" install BUILD="$BUILD_REL" DESTDIR="$D" PREFIX=/usr/local
for f in usr/local/bin/envdrift usr/local/share/man/man1/envdrift.1 \
	usr/local/share/envdrift/collect-default.yaml usr/local/share/envdrift/parity.example.yaml \
	etc/systemd/system/envdrift-scan.service etc/systemd/system/envdrift-scan.timer; do
	expect_eq "installed $f" yes "$([ -f "$D/$f" ] && echo yes)"
done
U=$D/etc/systemd/system
expect_no_grep "@BINDIR@ filled in" "@BINDIR@" "$U/envdrift-scan.service"
expect_grep "the service runs the installed binary" "/usr/local/bin/envdrift scan " "$U/envdrift-scan.service"
expect_grep "the timer is nightly and persistent" "^Persistent=true" "$U/envdrift-scan.timer"
check "systemd-analyze verify" systemd-analyze verify --man=no "$U/envdrift-scan.service" "$U/envdrift-scan.timer"

# The ExecStart line with a stand-in envdrift that records its calls and
# exits as told: the report must run after a partial scan (3), not after
# a scan that could do nothing (2); the unit's status follows the scan.
mkdir -p "$TMP/bin"
cat >"$TMP/bin/envdrift" <<'EOF'
#!/bin/sh
echo "$1" >>"$CALLS"
case $1 in
scan) exit "$SCAN_RC" ;;
report) exit "$REPORT_RC" ;;
esac
EOF
chmod +x "$TMP/bin/envdrift"
line=$(sed -n 's/^ExecStart=//p' "$D/etc/systemd/system/envdrift-scan.service" |
	sed -e "s|/usr/local/bin/envdrift|$TMP/bin/envdrift|g" -e 's/\$\$/$/g')
# systemd turns $$ into $ and passes the quoted sh -c argument as one word;
# so do sed and eval here
grep -v '^#' "$D/etc/systemd/system/envdrift-scan.service" >"$TMP/unit"
expect_no_grep "no bare \$ left for systemd to expand" '[^$]\$[a-zA-Z?{]' "$TMP/unit"
run_unit() {
	: >"$TMP/calls"
	CALLS=$TMP/calls SCAN_RC=$1 REPORT_RC=$2 ENVDRIFT_INVENTORY=/x ENVDRIFT_SCAN_ARGS= \
		eval "$line" >/dev/null 2>&1
}
export CALLS SCAN_RC REPORT_RC
run_unit 0 0; expect_eq "all collected: exit 0" 0 $?
expect_eq "scan then report" "scan report" "$(tr '\n' ' ' <"$TMP/calls" | sed 's/ $//')"
run_unit 3 0; expect_eq "too many failed hosts: exit 3" 3 $?
expect_eq "the report still runs" "scan report" "$(tr '\n' ' ' <"$TMP/calls" | sed 's/ $//')"
run_unit 2 0; expect_eq "nothing could be done: exit 2" 2 $?
expect_eq "no report then" "scan" "$(tr '\n' ' ' <"$TMP/calls" | sed 's/ $//')"
run_unit 0 2; expect_eq "a failing report fails the unit" 2 $?

finish
