#!/bin/sh
# init creates a private bare repository and a key; refuses to clobber.
. "$(dirname "$0")/test-lib.sh"

check "init creates a repository" "$ENVDRIFT" init --repo "$TMP/state"
expect_eq "repository is mode 0700" "$(stat -c %a "$TMP/state")" "700"
expect_eq "key is mode 0600" "$(stat -c %a "$TMP/state.key")" "600"
expect_eq "repository is bare" "$(git -C "$TMP/state" rev-parse --is-bare-repository)" "true"
expect_eq "HEAD names main" "$(git -C "$TMP/state" symbolic-ref HEAD)" "refs/heads/main"
fsck_ok "$TMP/state"
expect_exit 2 "init refuses a non-empty directory" "$ENVDRIFT" init --repo "$TMP/state"
expect_grep "error names the path" "state: already exists" "$TMP/err"
expect_exit 0 "status on an empty repository" "$ENVDRIFT" status --repo "$TMP/state"
expect_grep "status says no hosts" "no hosts" "$TMP/out"
ENVDRIFT_REPO="$TMP/envrepo" expect_exit 0 "ENVDRIFT_REPO selects the repository" "$ENVDRIFT" init
check "repository from ENVDRIFT_REPO exists" test -f "$TMP/envrepo/HEAD"
check "init --shared group" "$ENVDRIFT" init --shared group --repo "$TMP/shared"
expect_eq "shared repository is group-readable" "$(stat -c %a "$TMP/shared" | cut -c2-)" "750"
expect_eq "shared key is group-readable" "$(stat -c %a "$TMP/shared.key")" "640"
expect_exit 0 "--version" "$ENVDRIFT" --version
expect_grep "--version prints a version" "^envdrift [0-9]+\.[0-9]+" "$TMP/out"
expect_exit 0 "--help" "$ENVDRIFT" --help
expect_grep "--help lists collect" "collect" "$TMP/out"
expect_grep "--help lists exit status 3 (scan)" "3 a scan$" "$TMP/out"
expect_exit 0 "collect --help" "$ENVDRIFT" collect --help
expect_grep "collect --help lists --root" "--root" "$TMP/out"
expect_exit 2 "unknown command" "$ENVDRIFT" frobnicate
check "init creates missing parent directories" "$ENVDRIFT" init --repo "$TMP/deep/er/state"
check "repository under new parents" test -f "$TMP/deep/er/state/HEAD"
check "key beside it" test -f "$TMP/deep/er/state.key"
finish
