#!/bin/sh
# The git servers a state repository is published to (tests/lib/gitserver.sh,
# doc/git-server.md), with the stock git CLI only: a real sshd whose account
# has git-shell as its login shell, and lighttpd running git http-backend
# over TLS with a test CA; clone, push and fetch over both; anonymous reads
# but authenticated pushes over HTTPS; the server's receive.* settings
# refuse a forced non-fast-forward push and a deletion; an unknown CA and
# an unknown SSH host key fail quickly, each with its own message; an
# envdrift state repository published by push and cloned by a pipeline
# leaves its key, stat cache and lock behind; a port taken at the first try
# is retried; both servers are stopped by PID at the end, and a test that
# fails or is killed stops its own too.
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
# its first port is the SSH server's: the bind fails, another port is tried
# shellcheck disable=SC2034 # (read by gitserver.sh)
GITSRV_PORT_FIRST=${GITSRV_SSH_PORT:-}
check "https server starts, on another port when the first is taken" gitsrv_http_start "$GS"
unset GITSRV_PORT_FIRST
expect_grep "  ... the first try found its port taken" "Address already in use" "$GS/http/stdout.log"
expect_eq "  ... and took another" yes "$([ "${GITSRV_HTTP_PORT:-}" != "${GITSRV_SSH_PORT:-}" ] && echo yes)"
# (gitsrv_ssh_start registered the cleanup of $GS on exit)
if [ -z "${GITSRV_SSH_PID:-}" ] || [ -z "${GITSRV_HTTP_PID:-}" ]; then finish; exit 1; fi

export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
SSH_URL=$GITSRV_SSH_BASE/state.git
HTTP_URL=$GITSRV_HTTP_BASE/state.git
PUSH_URL=$GITSRV_HTTP_PUSH_BASE/state.git
SRV=$GITSRV_DIR/repos/state.git

# --- the servers are the real programs, as the git account
expect_eq "sshd is /usr/sbin/sshd" /usr/sbin/sshd "$(readlink "/proc/$GITSRV_SSH_PID/exe")"
expect_eq "lighttpd is /usr/sbin/lighttpd" /usr/sbin/lighttpd "$(readlink "/proc/$GITSRV_HTTP_PID/exe")"
expect_eq "lighttpd runs as envdrift-git" envdrift-git "$(ps -o user:20= -p "$GITSRV_HTTP_PID" | tr -d ' ')"
expect_eq "the account's login shell is git-shell" /usr/bin/git-shell "$(getent passwd envdrift-git | cut -d: -f7)"
ss -Hltn "sport = :$GITSRV_SSH_PORT or sport = :$GITSRV_HTTP_PORT" >"$TMP/listen"
expect_eq "both listen, on 127.0.0.1 only" \
	"$(printf '127.0.0.1:%s\n' "$GITSRV_HTTP_PORT" "$GITSRV_SSH_PORT" | sort | tr '\n' ' ')" \
	"$(awk '{ print $4 }' "$TMP/listen" | sort | tr '\n' ' ')"
# shellcheck disable=SC2086
expect_exit 128 "an SSH login gets git-shell, not a shell" \
	$GIT_SSH_COMMAND -p "$GITSRV_SSH_PORT" envdrift-git@127.0.0.1 id
expect_grep "git-shell refuses the command" "unrecognized command 'id'" "$TMP/err"

check "new repository on the server" gitsrv_new_repo state
expect_eq "receive.denyNonFastForwards" true "$(gitsrv_git state config receive.denyNonFastForwards)"
expect_eq "receive.denyDeletes" true "$(gitsrv_git state config receive.denyDeletes)"

# --- push over SSH, read over HTTPS, and the other way round
W=$TMP/w
git init -q -b main "$W" && echo one >"$W/f" && git -C "$W" add f && git -C "$W" commit -qm one
C1=$(git -C "$W" rev-parse HEAD)
check "push over SSH" git -C "$W" push -q "$SSH_URL" main
expect_eq "the server's main is the SSH push" "$C1" "$(gitsrv_git state rev-parse main)"
git ls-remote "$HTTP_URL" refs/heads/main >"$TMP/ls" 2>"$TMP/err"
expect_eq "anonymous ls-remote over HTTPS sees it" "$C1" "$(cut -f1 "$TMP/ls")"
check "https://localhost works too (DNS name in the certificate)" \
	git ls-remote "https://localhost:$GITSRV_HTTP_PORT/git/state.git"

echo two >"$W/f" && git -C "$W" commit -qam two
C2=$(git -C "$W" rev-parse HEAD)
check "push over HTTPS with basic auth" git -C "$W" push -q "$PUSH_URL" main
expect_eq "the server's main is the HTTPS push" "$C2" "$(gitsrv_git state rev-parse main)"
git ls-remote "$SSH_URL" refs/heads/main >"$TMP/ls" 2>"$TMP/err"
expect_eq "ls-remote over SSH sees it" "$C2" "$(cut -f1 "$TMP/ls")"
expect_eq "every file in the server's repository is the account's" "" \
	"$(find "$SRV" ! -user envdrift-git | head -3)"

check "clone over SSH" git clone -q "$SSH_URL" "$TMP/c-ssh"
check "clone over HTTPS" git clone -q "$HTTP_URL" "$TMP/c-https"
expect_eq "SSH clone at the pushed commit" "$C2" "$(git -C "$TMP/c-ssh" rev-parse HEAD)"
expect_eq "HTTPS clone at the pushed commit" "$C2" "$(git -C "$TMP/c-https" rev-parse HEAD)"
fsck_ok "$TMP/c-ssh"
fsck_ok "$TMP/c-https"

echo three >"$W/f" && git -C "$W" commit -qam three
C3=$(git -C "$W" rev-parse HEAD)
check "second push over SSH" git -C "$W" push -q "$SSH_URL" main
check "fetch over HTTPS" git -C "$TMP/c-https" fetch -q origin
check "fetch over SSH" git -C "$TMP/c-ssh" fetch -q origin
expect_eq "HTTPS fetch got it" "$C3" "$(git -C "$TMP/c-https" rev-parse origin/main)"
expect_eq "SSH fetch got it" "$C3" "$(git -C "$TMP/c-ssh" rev-parse origin/main)"

# --- HTTPS pushes need a user; reads do not
echo four >"$W/f" && git -C "$W" commit -qam four
expect_exit 128 "push over HTTPS without credentials is refused" git -C "$W" push "$HTTP_URL" main
expect_grep "  ... the server asked for a user" "could not read Username for 'https://127.0.0.1:$GITSRV_HTTP_PORT'" "$TMP/err"
expect_exit 128 "push over HTTPS with a wrong password is refused" \
	git -C "$W" push "https://pusher:wrong@127.0.0.1:$GITSRV_HTTP_PORT/git/state.git" main
expect_grep "  ... Authentication failed" "Authentication failed for 'https://127.0.0.1:$GITSRV_HTTP_PORT/" "$TMP/err"
expect_no_grep "  ... the message hides the password" "wrong" "$TMP/err"
expect_eq "the server's main did not move" "$C3" "$(gitsrv_git state rev-parse main)"

# --- the server's own settings refuse history rewrites and deletions,
# even when the client forces them
git -C "$W" reset -q --hard "$C2" && echo rewritten >"$W/f" && git -C "$W" commit -qam rewritten
expect_exit 1 "forced non-fast-forward push over SSH is refused" git -C "$W" push --force "$SSH_URL" main
expect_grep "  ... by the server's receive.denyNonFastForwards" \
	"denying non-fast-forward refs/heads/main" "$TMP/err"
expect_grep "  ... reported as remote rejected" '! \[remote rejected\] main -> main' "$TMP/err"
expect_exit 1 "forced non-fast-forward push over HTTPS is refused" git -C "$W" push --force "$PUSH_URL" main
expect_grep "  ... by the server's receive.denyNonFastForwards" \
	"denying non-fast-forward refs/heads/main" "$TMP/err"
expect_exit 1 "deleting main over SSH is refused" git -C "$W" push "$SSH_URL" :main
expect_grep "  ... by the server's receive.denyDeletes" "denying ref deletion for refs/heads/main" "$TMP/err"
expect_eq "the server's main is still the last good push" "$C3" "$(gitsrv_git state rev-parse main)"

# --- trust failures: each fails at once, with its own message
gitsrv_make_ca "$TMP/other-ca" "another test CA" 2>"$TMP/err" || fail "second CA"
expect_exit 128 "HTTPS with another CA fails" env GIT_SSL_CAINFO="$TMP/other-ca/ca.pem" \
	git ls-remote "$HTTP_URL"
expect_grep "  ... with a TLS verification error" \
	"server certificate verification failed|SSL certificate problem" "$TMP/err"
: >"$TMP/empty_known_hosts"
t0=$(date +%s)
expect_exit 128 "SSH with an unknown host key fails" env GIT_SSH_COMMAND="ssh -F /dev/null \
-i $GITSRV_SSH_KEY -o UserKnownHostsFile=$TMP/empty_known_hosts -o StrictHostKeyChecking=yes \
-o BatchMode=yes -o IdentitiesOnly=yes" timeout 20 git ls-remote "$SSH_URL"
expect_grep "  ... Host key verification failed" "Host key verification failed" "$TMP/err"
expect_eq "  ... without hanging (under 10 s)" yes "$([ $(($(date +%s) - t0)) -lt 10 ] && echo yes)"

check "git fsck --strict on the server's repository" gitsrv_fsck state
fsck_ok "$W"

# --- an envdrift state repository, published as doc/git-server.md says:
# the scanner pushes main after each scan, a pipeline clones over HTTPS
check "new repository envdrift-state on the server" gitsrv_new_repo envdrift-state
mkroot "$TMP/root"
new_repo "$TMP/state"
check "collect" "$ENVDRIFT" collect --repo "$TMP/state" --root "$TMP/root" --env staging
check "publish the state repository over SSH" git -C "$TMP/state" push -q "$GITSRV_SSH_BASE/envdrift-state.git" main
echo "# changed" >>"$TMP/root/etc/ssh/sshd_config"
check "collect again" "$ENVDRIFT" collect --repo "$TMP/state" --root "$TMP/root" --env staging
check "publish the next scan over HTTPS" git -C "$TMP/state" push -q "$GITSRV_HTTP_PUSH_BASE/envdrift-state.git" main
expect_eq "the server holds the scanner's main" "$(git -C "$TMP/state" rev-parse main)" \
	"$(gitsrv_git envdrift-state rev-parse main)"
expect_eq "neither the key, the stat cache nor the lock is published" "" \
	"$(find "$GITSRV_DIR/repos/envdrift-state.git" \( -name '*.key' -o -name 'envdrift-cache' -o -name 'envdrift.lock' \) -print)"
check "a pipeline clones it over HTTPS" git clone -q --bare "$GITSRV_HTTP_BASE/envdrift-state.git" "$TMP/ci.git"
git -C "$TMP/ci.git" log --format='%(trailers:key=Envdrift-Collected,valueonly)' main >"$TMP/trailers"
expect_eq "  ... with both scans' trailers" "staging/img-2026-11 staging/img-2026-11 " \
	"$(grep . "$TMP/trailers" | tr '\n' ' ')"
git -C "$TMP/ci.git" diff main~1 main -- hosts/staging/img-2026-11 >"$TMP/diff"
expect_grep "  ... and the drift readable with git diff" '^\+# changed$' "$TMP/diff"
check "git fsck --strict on the server's envdrift-state" gitsrv_fsck envdrift-state
fsck_ok "$TMP/ci.git"

# --- stop by PID
check "gitsrv_stop" gitsrv_stop
gone=
for p in "$GITSRV_SSH_PID" "$GITSRV_HTTP_PID"; do
	kill -0 "$p" 2>/dev/null || gone="$gone $p"
done
expect_eq "both server PIDs are gone" " $GITSRV_SSH_PID $GITSRV_HTTP_PID" "$gone"
expect_eq "neither port listens" "" \
	"$(ss -Hltn "sport = :$GITSRV_SSH_PORT or sport = :$GITSRV_HTTP_PORT")"
expect_exit 128 "ls-remote over HTTPS fails once stopped" git ls-remote "$HTTP_URL"

# --- a test that fails, or is killed, still stops its servers: a shell
# that starts both, then exits 1 / gets SIGTERM while waiting
cat >"$TMP/child.sh" <<'EOF'
. "$GSLIB"
D=$(gitsrv_mktemp) || exit 2
gitsrv_ssh_start "$D" >/dev/null 2>&1 && gitsrv_http_start "$D" >/dev/null 2>&1 || exit 2
echo "$D $GITSRV_SSH_PID $GITSRV_HTTP_PID" >"$OUT"
[ "$HOW" = fail ] && exit 1
sleep 30 &
SLEEP=$!
ATEXIT='kill "$SLEEP" 2>/dev/null'
wait "$SLEEP"
EOF
for how in fail term; do
	: >"$TMP/child.out"
	HOW=$how OUT=$TMP/child.out GSLIB=$TESTS_DIR/../lib/gitserver.sh \
		sh "$TMP/child.sh" &
	child=$!
	if [ "$how" = term ]; then
		n=0
		while [ ! -s "$TMP/child.out" ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		kill -TERM "$child"
	fi
	wait "$child"
	rc=$?
	# shellcheck disable=SC2046
	set -- $(cat "$TMP/child.out")
	expect_eq "$how: the shell exited as it should" "$([ "$how" = fail ] && echo 1 || echo 130)" "$rc"
	expect_eq "$how: it had started both servers" 3 "$#"
	left=
	for p in "${2:-}" "${3:-}"; do
		[ -n "$p" ] && kill -0 "$p" 2>/dev/null && left="$left $p"
	done
	expect_eq "$how: no server left" "" "$left"
	expect_eq "$how: its directory removed" no "$([ -e "${1:-/}" ] && echo yes || echo no)"
done
finish
