#!/bin/sh
# Read commands with --repo URL against real git servers
# (tests/lib/gitserver.sh): a state repository published over SSH
# (git-shell) is read by ssh:// and by https:// (git http-backend, test CA)
# URLs, with the same answers as the local repository; a later push is
# fetched; a password in the URL and an unknown repository or a wrong CA
# give one line naming the URL without userinfo.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/gitserver.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root"
	check "skipped (not root)" true
	finish
	exit $?
fi
need_tool /usr/sbin/sshd /usr/sbin/lighttpd /usr/lib/lighttpd/mod_openssl.so /usr/bin/git-shell useradd

GS=$(gitsrv_mktemp) || { fail "gitsrv_mktemp"; finish; exit 1; }
check "ssh server starts" gitsrv_ssh_start "$GS"
check "https server starts" gitsrv_http_start "$GS"
if [ -z "${GITSRV_SSH_PID:-}" ] || [ -z "${GITSRV_HTTP_PID:-}" ]; then finish; exit 1; fi
export XDG_CACHE_HOME="$TMP/cache"

mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
R="$TMP/state"
new_repo "$R"
"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/a" --env staging --host stg-1
"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/b" --env prod --host prd-1
check "new repository on the server" gitsrv_new_repo state
check "publish over SSH" git -C "$R" push -q "$GITSRV_SSH_BASE/state.git" main
SSH_URL=$GITSRV_SSH_BASE/state.git
# a reader's password in the URL: anonymous reads accept it, nothing keeps it
HTTP_URL=$(echo "$GITSRV_HTTP_BASE/state.git" | sed 's|^https://|https://reader:s3cr3t@|')

"$ENVDRIFT" status --repo "$R" >"$TMP/status.local"
"$ENVDRIFT" check --repo "$R" prod staging >"$TMP/check.local" 2>/dev/null
for url in "$SSH_URL" "$HTTP_URL"; do
	kind=${url%%:*}
	expect_exit 0 "status --repo $kind://" "$ENVDRIFT" status --repo "$url"
	cp "$TMP/out" "$TMP/got"
	check "... the local output" cmp "$TMP/got" "$TMP/status.local"
	expect_exit 1 "check --repo $kind:// finds the drift" "$ENVDRIFT" check --repo "$url" prod staging
	cp "$TMP/out" "$TMP/got"
	check "... the local report" cmp "$TMP/got" "$TMP/check.local"
done
expect_eq "two caches, one per URL" 2 "$(find "$XDG_CACHE_HOME/envdrift" -mindepth 1 -maxdepth 1 -type d | wc -l)"
expect_eq "no password anywhere in the caches" "" "$(grep -rl s3cr3t "$XDG_CACHE_HOME" 2>/dev/null)"

"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/a" --env staging --host stg-2
check "publish the next collection over HTTPS" git -C "$R" push -q "$GITSRV_HTTP_PUSH_BASE/state.git" main
expect_exit 0 "status --repo https:// fetches it" "$ENVDRIFT" status --repo "$HTTP_URL" --max-age 26h
expect_grep "... the new host" "^staging +stg-2 " "$TMP/out"
expect_exit 0 "status --repo ssh:// too" "$ENVDRIFT" status --repo "$SSH_URL"
expect_grep "... the new host" "^staging +stg-2 " "$TMP/out"

expect_exit 2 "an unknown repository over https is exit 2" "$ENVDRIFT" status --repo "$(echo "$HTTP_URL" | sed 's|state.git$|nope.git|')"
expect_eq "... one line" 1 "$(wc -l <"$TMP/err")"
expect_grep "... naming the URL without userinfo" "^envdrift: $GITSRV_HTTP_BASE/nope.git: cannot fetch main: " "$TMP/err"
expect_no_grep "... no password" "s3cr3t|reader" "$TMP/err"
expect_exit 2 "an unknown repository over ssh is exit 2" "$ENVDRIFT" status --repo "$GITSRV_SSH_BASE/nope.git"
expect_eq "... one line" 1 "$(wc -l <"$TMP/err")"
expect_grep "... naming the URL without its user" "^envdrift: ssh://127.0.0.1:$GITSRV_SSH_PORT/.*/nope.git: cannot fetch main: " "$TMP/err"
expect_exit 2 "a server certificate from an unknown CA is exit 2" \
	env -u GIT_SSL_CAINFO "$ENVDRIFT" status --repo "$(echo "$HTTP_URL" | sed 's|state.git$|other.git|')"
expect_grep "... saying why in one line" "^envdrift: https://127.0.0.1:[0-9]+/git/other.git: cannot fetch main: .*(certificate|SSL)" "$TMP/err"
expect_no_grep "... no password" "s3cr3t|reader" "$TMP/err"
check "the server's repository is intact" gitsrv_fsck state
expect_eq "the server's main is the last push" "$(git -C "$R" rev-parse main)" "$(gitsrv_git state rev-parse main)"
finish
