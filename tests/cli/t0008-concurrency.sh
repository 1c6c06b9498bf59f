#!/bin/sh
# Writers serialise on the repository lock: two collects at once both land;
# a held lock past --lock-timeout is a clear error.
. "$(dirname "$0")/test-lib.sh"
need_tool flock

mkroot "$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
i=0
pids=
while [ $i -lt 4 ]; do
	"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/root" --host "par-$i" >"$TMP/par$i.out" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
okc=0
for p in $pids; do wait "$p" && okc=$((okc + 1)); done
expect_eq "four parallel collects succeed" "$okc" "4"
expect_eq "four commits, none lost" "$(git -C "$R" rev-list --count main)" "4"
expect_eq "all four hosts in the tree" "$(git -C "$R" ls-tree --name-only main:hosts/default | wc -l)" "4"
fsck_ok "$R"
flock "$R/envdrift.lock" sleep 3 &
holder=$!
sleep 0.5
expect_exit 2 "lock held past --lock-timeout" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host late --lock-timeout 1
expect_grep "says another writer holds it" "another envdrift is writing" "$TMP/err"
check "collect waits for the lock and then commits" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host late --lock-timeout 10
wait "$holder"
# a branch lock file left by a killed writer is cleared under our lock
: > "$R/refs/heads/main.lock"
check "stale ref lock is cleared" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host after-stale
fsck_ok "$R"
finish
