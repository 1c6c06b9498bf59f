#!/bin/sh
# Change a package, a config line, a mode and a sysctl in the root: the
# next commit shows exactly those changes in git log -p.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
ROOT="$TMP/root"
check "first collect" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --env prod --host web-01
sed -i 's/^Version: 3\.0\.\(.*\)$/Version: 3.0.99-1~deb12u9/' "$ROOT/var/lib/dpkg/status"
sed -i 's/^#\?PermitRootLogin.*/PermitRootLogin yes/' "$ROOT/etc/ssh/sshd_config"
chmod 0600 "$ROOT/etc/hosts"
echo 10 > "$ROOT/proc/sys/vm/swappiness"
check "collect after drift" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --env prod --host web-01
git -C "$R" diff --name-only main~1 main > "$TMP/changed"
expect_eq "exactly four files changed" "$(sort "$TMP/changed" | tr '\n' ' ')" \
	"hosts/prod/web-01/content/etc/ssh/sshd_config hosts/prod/web-01/files hosts/prod/web-01/packages hosts/prod/web-01/sysctl "
git -C "$R" log -p -1 main > "$TMP/log"
expect_grep "package upgrade shows as -old +new" "^\+openssl amd64 3\.0\.99-1~deb12u9$" "$TMP/log"
expect_grep "old package version removed" "^-openssl amd64 3\.0\." "$TMP/log"
expect_grep "config line change" "^\+PermitRootLogin yes$" "$TMP/log"
expect_grep "mode change" "^\+/etc/hosts file 0600 " "$TMP/log"
expect_grep "sysctl change" "^\+vm\.swappiness = 10$" "$TMP/log"
expect_grep "sysctl old value" "^-vm\.swappiness = " "$TMP/log"
expect_eq "diff has 4 files" "$(git -C "$R" diff --stat main~1 main | tail -1 | awk '{print $1}')" "4"
rm "$ROOT/etc/sysctl.d/99-web.conf"
check "collect after removing a file" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --env prod --host web-01
git -C "$R" log -p -1 main > "$TMP/log2"
expect_grep "removed file shows as removed" "^-/etc/sysctl.d/99-web.conf file" "$TMP/log2"
expect_grep "its content is deleted" "^deleted file mode" "$TMP/log2"
check "git log -p -- hosts/prod/web-01 works" git -C "$R" log -p --oneline -- hosts/prod/web-01
fsck_ok "$R"
finish
