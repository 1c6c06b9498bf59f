#!/bin/sh
# scan --push against a real OpenSSH fleet (tests/lib/fleet.sh): the scan's
# commit is published to a bare remote; a failed push is exit 4, which wins
# over the failed-hosts exit 3, and the next push publishes the commit.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

start_fleet 2

R=$TMP/state
REM=$TMP/remote.git
new_repo "$R"
git init -q --bare "$REM"
fleet_inventory 2 1 </dev/null >"$TMP/inv.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 2"

expect_exit 0 "scan --push of 2 hosts" $SCAN -i "$TMP/inv.yaml" --push "$REM"
expect_grep "says it pushed" "pushed main [0-9a-f]{12}" "$TMP/out"
expect_eq "the remote's main is the scan's commit" \
	"$(git -C "$REM" rev-parse main)" "$(git -C "$R" rev-parse main)"
check "h2 is on the remote" git -C "$REM" cat-file -e main:hosts/prod/h2/meta

cat >"$TMP/extra" <<EOF
    unreachable:
      hosts:
        down1: {ansible_host: 127.0.0.250, ansible_port: 1, envdrift_env: prod}
EOF
fleet_inventory 2 1 <"$TMP/extra" >"$TMP/inv2.yaml"
expect_exit 3 "a failed host and a good push: exit 3" $SCAN -i "$TMP/inv2.yaml" --push "$REM"
expect_eq "... the commit is published" \
	"$(git -C "$REM" rev-parse main)" "$(git -C "$R" rev-parse main)"
expect_exit 4 "a failed host and a failed push: exit 4 wins over 3" \
	$SCAN -i "$TMP/inv2.yaml" --push "$TMP/nonexistent.git"
expect_grep "... the push error names the remote" "nonexistent\.git" "$TMP/err"
check "... the scan's commit is kept" test "$(git -C "$R" rev-list --count main)" -eq 3
expect_exit 0 "the next push publishes it" "$ENVDRIFT" push --repo "$R" "$REM"
expect_eq "... up to the local main" \
	"$(git -C "$REM" rev-parse main)" "$(git -C "$R" rev-parse main)"
fsck_ok "$REM"
finish
