#!/bin/sh
# An image without a mounted /proc records kernel and sysctl as "not
# collected", never as every value removed.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
ROOT="$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
check "collect with /proc" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host img
rm -rf "$ROOT/proc"
mkdir "$ROOT/proc"
check "collect with an empty /proc" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host img
git -C "$R" show main:hosts/default/img/meta > "$TMP/meta"
expect_grep "sysctl not collected" "^collector sysctl not-collected" "$TMP/meta"
git -C "$R" diff main~1 main > "$TMP/d"
expect_no_grep "no sysctl lines shown as removed" "^-vm\.swappiness" "$TMP/d"
expect_no_grep "no kernel lines shown as removed" "^-(release|module) " "$TMP/d"
expect_eq "previous sysctl values are kept" "$(git -C "$R" rev-parse main~1:hosts/default/img/sysctl)" "$(git -C "$R" rev-parse main:hosts/default/img/sysctl)"
git -C "$R" show main:hosts/default/img/os-release > "$TMP/os" 2>/dev/null || git -C "$R" show main:hosts/default/img/kernel > "$TMP/os"
expect_grep "os-release still recorded" "ID = debian" "$TMP/os"

# A fresh image that never had /proc: no sysctl file at all.
check "collect a new image with an empty /proc" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host img-new
check "no sysctl file for it" sh -c "! git -C '$R' cat-file -e main:hosts/default/img-new/sysctl 2>/dev/null"
fsck_ok "$R"
finish
