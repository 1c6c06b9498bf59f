#!/bin/sh
# Collect a fixture root: layout, determinism, identical re-collect.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
check "collect a mounted root" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env staging --role web --role db
expect_grep "summary names env/host from ROOT/etc/hostname" "collect staging/img-2026-11" "$TMP/out"
fsck_ok "$R"
git -C "$R" ls-tree -r --name-only main > "$TMP/tree"
for f in meta packages kernel sysctl files content/etc/ssh/sshd_config content/etc/passwd; do
	expect_grep "tree has hosts/staging/img-2026-11/$f" "^hosts/staging/img-2026-11/$f\$" "$TMP/tree"
done
expect_no_grep "secret file content is not stored" "content/etc/shadow" "$TMP/tree"
expect_no_grep "host private key content is not stored" "ssh_host_ed25519_key$" "$TMP/tree"
git -C "$R" show main:hosts/staging/img-2026-11/meta > "$TMP/meta"
expect_grep "meta lists role web" "^role web$" "$TMP/meta"
expect_grep "meta lists role db" "^role db$" "$TMP/meta"
git -C "$R" show main:hosts/staging/img-2026-11/packages > "$TMP/pk"
expect_grep "dpkg package with epoch" "^bsdutils amd64 1:2\.38\.1" "$TMP/pk"
expect_grep "openssl line" "^openssl amd64 [0-9]" "$TMP/pk"
git -C "$R" show main:hosts/staging/img-2026-11/sysctl > "$TMP/sc"
expect_grep "sysctl in dotted form" "^vm\.swappiness = [0-9]+$" "$TMP/sc"
expect_grep "sysctl nested key" "^net\.ipv4\.conf\.all\.rp_filter = " "$TMP/sc"
expect_no_grep "volatile fs.file-nr is not stored" "^fs\.file-nr" "$TMP/sc"
expect_no_grep "per-host kernel.hostname is not in sysctl" "^kernel\.hostname" "$TMP/sc"
git -C "$R" show main:hosts/staging/img-2026-11/files > "$TMP/files"
expect_grep "files line for sshd_config" "^/etc/ssh/sshd_config file 0644 root:root 0:0 [0-9]+ sha256:[0-9a-f]{64}$" "$TMP/files"
expect_grep "shadow recorded by token with its group" "^/etc/shadow file 0640 root:shadow 0:[0-9]+ [0-9]+ hmac:[0-9a-f]{64}$" "$TMP/files"
git -C "$R" show main:hosts/staging/img-2026-11/kernel > "$TMP/kernel"
expect_grep "kernel module names" "^module ext4$" "$TMP/kernel"
expect_no_grep "no module addresses" "0xffff" "$TMP/kernel"

tree1=$(git -C "$R" rev-parse 'main^{tree}')
check "re-collect" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env staging --role web --role db
expect_grep "re-collect says unchanged" "unchanged" "$TMP/out"
tree2=$(git -C "$R" rev-parse 'main^{tree}')
expect_eq "identical tree after an unchanged re-collect" "$tree1" "$tree2"
expect_eq "two commits" "$(git -C "$R" rev-list --count main)" "2"
expect_eq "git log -p shows nothing for it" "$(git -C "$R" diff main~1 main | wc -c)" "0"
check "status lists the host" "$ENVDRIFT" status --repo "$R"
expect_grep "status row" "staging +img-2026-11 +20[0-9-]+T" "$TMP/out"
check "status json" "$ENVDRIFT" status --repo "$R" --format json
expect_grep "status json row" '"host": "img-2026-11"' "$TMP/out"
fsck_ok "$R"
finish
