#!/bin/sh
# The files stat cache: unchanged files are not re-read, yet every change
# (even one that keeps size and mtime) is seen; a damaged or foreign cache
# only costs speed.
. "$(dirname "$0")/test-lib.sh"
need_tool strace

mkroot "$TMP/root"
ROOT="$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
sleep 2 # files changed within a second of a scan are never cached (racy)
check "first collect writes the cache" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host c1
CACHE="$R/envdrift-cache/c1"
check "cache file exists" test -s "$CACHE"
expect_grep "cache lists sshd_config" "^/etc/ssh/sshd_config " "$CACHE"
expect_no_grep "cache holds no secret" "hunter2" "$CACHE"
tree1=$(git -C "$R" rev-parse 'main^{tree}')
# LeakSanitizer cannot run under ptrace: in the ASan run it would print
# "LeakSanitizer does not work under ptrace" and fail this one process
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -e trace=openat -o "$TMP/trace" "$ENVDRIFT" collect -q --repo "$R" --root "$ROOT" --host c1
expect_no_grep "an unchanged file is not opened again" "etc/ssh/sshd_config" "$TMP/trace"
expect_eq "re-collect from the cache gives the same tree" "$(git -C "$R" rev-parse 'main^{tree}')" "$tree1"

# same size, same mtime, different bytes: ctime still changes
f="$ROOT/etc/ssh/sshd_config"
touch -r "$f" "$TMP/stamp"
sed -i 's/^Include /include /' "$f"
touch -r "$TMP/stamp" "$f"
check "collect after a same-size edit with the old mtime" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host c1
git -C "$R" diff main~1 main > "$TMP/d"
expect_grep "the edit is seen" "^\+include /etc/ssh/sshd_config\.d" "$TMP/d"

printf 'envdrift-files-cache 1 0000\ngarbage\n' > "$CACHE"
check "collect with a damaged cache" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host c1
expect_eq "damaged cache: nothing changed" "$(git -C "$R" diff main~1 main | wc -c)" "0"

# a cache naming blobs this repository lacks: the collect retries in full
"$ENVDRIFT" init --repo "$TMP/other" --key "$R.key" >/dev/null
sleep 1
check "collect into the other repository" "$ENVDRIFT" collect -q --repo "$TMP/other" --key "$R.key" --root "$ROOT" --host c1
echo "# changed" >> "$ROOT/etc/hosts"
sleep 2
check "a fresh cache in the first repository" "$ENVDRIFT" collect -q --repo "$R" --root "$ROOT" --host c1
mkdir -p "$TMP/other/envdrift-cache"
cp "$R/envdrift-cache/c1" "$TMP/other/envdrift-cache/c1"
# the other repository has never seen the new /etc/hosts blob
check "foreign cache: retried without it" "$ENVDRIFT" collect --repo "$TMP/other" --key "$R.key" --root "$ROOT" --host c1
expect_eq "same tree as a full collect" "$(git -C "$TMP/other" rev-parse 'main:hosts/default/c1')" "$(git -C "$R" rev-parse 'main:hosts/default/c1')"
fsck_ok "$R"
fsck_ok "$TMP/other"
finish
