#!/bin/sh
# kill -9 at random moments during collect: the repository stays
# consistent, the branch points at a complete commit, the next run works.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
check "first collect" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/root" --host k
n=0
bad=0
while [ $n -lt 12 ]; do
	echo "$n" > "$TMP/root/etc/counter.conf"
	"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/root" --host k >/dev/null 2>&1 &
	pid=$!
	# 0-29 ms: before, during and after the commit
	sleep "0.0$((n * 7 % 30 / 10))$((n * 7 % 10))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	git -C "$R" fsck --strict --no-progress >/dev/null 2>&1 || bad=$((bad + 1))
	git -C "$R" cat-file -e main:hosts/default/k/files 2>/dev/null || bad=$((bad + 1))
	n=$((n + 1))
done
expect_eq "fsck clean and branch complete after every kill" "$bad" "0"
check "next run succeeds" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host k
git -C "$R" show main:hosts/default/k/content/etc/counter.conf > "$TMP/c"
expect_eq "last write is visible" "$(cat "$TMP/c")" "11"
fsck_ok "$R"
finish
