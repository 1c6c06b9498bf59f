#!/bin/sh
# A pull-mode host's key made push-only on a real SSH git server (sshd, a
# git-shell account): doc/envdrift-push-only installed in the account's
# git-shell-commands/, the key's forced command naming it, and
# doc/pre-receive-incoming in the repository. The host's collect --push
# lands in its own incoming ref; the same key can neither fetch nor clone
# (the fleet's tokens stay out of its reach), nor push another ref.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/gitserver.sh"
DOC=$TESTS_DIR/../../doc

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root"
	check "skipped (not root)" true
	finish
	exit $?
fi
need_tool /usr/bin/git-shell /usr/sbin/sshd
GS=$(gitsrv_mktemp) || { fail "gitsrv_mktemp"; finish; exit 1; }
check "ssh git server starts" gitsrv_ssh_start "$GS"
CMDS=/var/lib/envdrift-git/git-shell-commands
# the account's commands directory is shared: made and removed by this test
rmdir_cmds=:
if [ ! -d "$CMDS" ]; then
	mkdir "$CMDS" && rmdir_cmds="rmdir $CMDS"
fi
cp "$DOC/envdrift-push-only" "$CMDS/envdrift-push-only"
chmod 0755 "$CMDS/envdrift-push-only"
# gitserver.sh's exit trap runs $ATEXIT, then stops the servers
# shellcheck disable=SC2034 # read by that trap
ATEXIT="rm -f $CMDS/envdrift-push-only; $rmdir_cmds"

check "repository on the server" gitsrv_new_repo state
cp "$DOC/pre-receive-incoming" "$GS/repos/state.git/hooks/pre-receive"
chmod 0755 "$GS/repos/state.git/hooks/pre-receive"
URL=$GITSRV_SSH_BASE/state.git

cmd=$(gitsrv_ssh_add_key web01) || fail "a key for web01"
# the key's line gets the forced command
sed -i "s|^restrict \(.* gitsrv-web01\)\$|command=\"envdrift-push-only web01\",restrict \\1|" "$GS/ssh/authorized_keys"
expect_grep "the key has the forced command" '^command="envdrift-push-only web01",restrict ssh-ed25519 ' "$GS/ssh/authorized_keys"

mkroot "$TMP/root"
new_repo "$TMP/web01"
expect_exit 0 "collect --push over the push-only key" env GIT_SSH_COMMAND="$cmd" \
	"$ENVDRIFT" collect -q --repo "$TMP/web01" --root "$TMP/root" --env prod --host web01 --push "$URL"
expect_eq "its incoming ref is the host's main" "$(gitsrv_git state rev-parse -q --verify refs/envdrift/incoming/web01)" \
	"$(git -C "$TMP/web01" rev-parse main)"
expect_exit 0 "a second collect --push updates it" env GIT_SSH_COMMAND="$cmd" \
	"$ENVDRIFT" collect -q --repo "$TMP/web01" --root "$TMP/root" --env prod --host web01 --push "$URL"
expect_eq "... to the new main" "$(gitsrv_git state rev-parse -q --verify refs/envdrift/incoming/web01)" \
	"$(git -C "$TMP/web01" rev-parse main)"

expect_exit 128 "the key cannot clone" env GIT_SSH_COMMAND="$cmd" git clone -q --bare "$URL" "$TMP/stolen"
expect_grep "... the forced command says push only" "may only push" "$TMP/err"
expect_exit 128 "nor list the refs for a fetch" env GIT_SSH_COMMAND="$cmd" git ls-remote "$URL"
expect_exit 1 "nor run a command" sh -c "$cmd -p $GITSRV_SSH_PORT envdrift-git@127.0.0.1 id"
expect_grep "... the forced command refuses it" "host web01 may only push" "$TMP/err"
expect_exit 1 "nor push a branch (the hook)" env GIT_SSH_COMMAND="$cmd" \
	git -C "$TMP/web01" push -q "$URL" main:refs/heads/main
expect_grep "... naming its own ref" "may update only refs/envdrift/incoming/web01" "$TMP/err"
expect_exit 1 "nor another host's incoming ref" env GIT_SSH_COMMAND="$cmd" \
	git -C "$TMP/web01" push -q "$URL" main:refs/envdrift/incoming/db01
expect_eq "the server has no main" "$(gitsrv_git state rev-parse -q --verify main || echo none)" none
check "server fsck" gitsrv_fsck state
finish
