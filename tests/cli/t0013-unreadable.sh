#!/bin/sh
# Collecting with fewer rights than last time (a directory or a file that
# became unreadable) keeps what the last scan saw instead of reporting it
# removed, and says so in the line and in the warnings.
. "$(dirname "$0")/test-lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root to run a collect as nobody"
	check "skipped (not root)" true
	finish
	exit $?
fi
need_tool setpriv
mkroot "$TMP/root"
ROOT="$TMP/root"
mkdir -p "$ROOT/etc/vault" "$ROOT/etc/vault/sub"
echo "listen = 1" > "$ROOT/etc/vault/app.conf"
echo "deep = 1" > "$ROOT/etc/vault/sub/deep.conf"
echo "plain = 1" > "$ROOT/etc/solo.conf"
chmod 0644 "$ROOT/etc/solo.conf"
chmod -R go+rX "$ROOT/etc"
chmod 0644 "$ROOT/etc/app/app.conf" "$ROOT/etc/shadow" # readable for the first scan
mkdir "$TMP/work"
chown nobody "$TMP/work"
chmod 0755 "$TMP"
AS_NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"
R="$TMP/work/state"
# stock git (run as root below) would refuse a repository nobody owns
git config --global safe.directory "*"
check "init as nobody" $AS_NOBODY env HOME="$TMP/work" "$ENVDRIFT" init --repo "$R"
check "first collect as nobody" $AS_NOBODY env HOME="$TMP/work" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host u1
chmod 0700 "$ROOT/etc/vault"
chmod 0600 "$ROOT/etc/solo.conf"
expect_exit 0 "collect after a directory and a file became unreadable" $AS_NOBODY env HOME="$TMP/work" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host u1
expect_grep "warns about the directory" "/etc/vault: unreadable" "$TMP/err"
expect_grep "warns about the file" "/etc/solo.conf: unreadable" "$TMP/err"
git -C "$R" show main:hosts/default/u1/files > "$TMP/files"
expect_grep "directory line says unreadable" "^/etc/vault dir 0700 root:root 0:0 unreadable$" "$TMP/files"
expect_grep "entries below it are kept" "^/etc/vault/app\.conf file 0644 " "$TMP/files"
expect_grep "nested entries are kept" "^/etc/vault/sub/deep\.conf file 0644 " "$TMP/files"
expect_grep "file line says unreadable" "^/etc/solo\.conf file 0600 root:root 0:0 [0-9]+ unreadable$" "$TMP/files"
git -C "$R" diff --name-status main~1 main > "$TMP/ns"
expect_no_grep "no stored content shows as deleted" "^D" "$TMP/ns"
check "kept content is still there" git -C "$R" cat-file -e main:hosts/default/u1/content/etc/vault/sub/deep.conf
check "kept file content is still there" git -C "$R" cat-file -e main:hosts/default/u1/content/etc/solo.conf
chmod 0755 "$ROOT/etc/vault"
chmod 0644 "$ROOT/etc/solo.conf"
echo "deep = 2" > "$ROOT/etc/vault/sub/deep.conf"
check "collect once readable again" $AS_NOBODY env HOME="$TMP/work" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host u1
git -C "$R" diff main~1 main > "$TMP/d"
expect_grep "the real change shows" "^\+deep = 2$" "$TMP/d"
expect_grep "the unreadable mark goes" "^-/etc/vault dir 0700 root:root 0:0 unreadable$" "$TMP/d"
fsck_ok "$R"
finish
