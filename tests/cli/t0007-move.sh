#!/bin/sh
# A host name is unique in the repository: collecting it under another
# environment moves it, and the commit says so.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
check "collect under staging" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env staging --host app-1
check "collect a second host under staging" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env staging --host app-2
expect_exit 0 "collect app-1 under prod" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host app-1
expect_grep "stderr says moved" "moved staging/app-1 -> prod/app-1" "$TMP/err"
git -C "$R" ls-tree --name-only main:hosts/staging > "$TMP/staging"
expect_no_grep "app-1 left staging" "^app-1$" "$TMP/staging"
expect_grep "app-2 stays in staging" "^app-2$" "$TMP/staging"
check "app-1 is in prod" git -C "$R" cat-file -e main:hosts/prod/app-1/meta
git -C "$R" log -1 --format=%B main > "$TMP/msg"
expect_grep "commit trailer records the move" "^Envdrift-Moved: staging/app-1 -> prod/app-1$" "$TMP/msg"
check "collect app-2 under prod" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host app-2
check "empty environment disappears" sh -c "! git -C '$R' cat-file -e main:hosts/staging 2>/dev/null"
"$ENVDRIFT" status --repo "$R" > "$TMP/status"
expect_eq "status lists two hosts" "$(grep -c '^prod ' "$TMP/status")" "2"
fsck_ok "$R"
finish
