#!/bin/sh
# The state repository end to end on real git servers (tests/lib/gitserver.sh:
# sshd with a git-shell account, lighttpd + git http-backend over TLS) and
# a real SSH fleet (tests/lib/fleet.sh), with git fsck --strict on the
# server after every case:
#  1. three scanners (clones of the server's repository) scan disjoint
#     parts of the fleet and push at once, one killed mid-push: every
#     surviving write lands, history stays linear, the killed one keeps
#     its commit and a later push publishes it;
#  2. ten pull-mode hosts push at once over SSH, each key limited by the
#     pre-receive hook to its own incoming ref; merge-incoming folds them
#     and leaves out a host made with another key;
#  3. the gate (check) from a bare clone, a shallow clone and --repo URL
#     --max-age gives the scanner's verdict;
#  4. a clone written with another key is refused before anything is pushed;
#  5. the sharded, merged view equals one scanner's scan of the same fleet;
#  6. a password in an HTTPS URL is never printed; a wrong password, a
#     wrong CA and an unknown SSH host key are exit 4, the commit kept.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"
. "$TESTS_DIR/../lib/gitserver.sh"

need_tool /usr/sbin/lighttpd /usr/lib/lighttpd/mod_openssl.so /usr/bin/git-shell
start_fleet 6
# gitserver.sh's exit trap replaces start_fleet's: it runs $ATEXIT first
ATEXIT='fleet_clean "$FL" >/dev/null 2>&1'
GS=$(gitsrv_mktemp) || { fail "gitsrv_mktemp"; finish; exit 1; }
check "ssh git server starts" gitsrv_ssh_start "$GS"
check "https git server starts" gitsrv_http_start "$GS"
if [ -z "${GITSRV_SSH_PID:-}" ] || [ -z "${GITSRV_HTTP_PID:-}" ]; then finish; exit 1; fi
export XDG_CACHE_HOME="$TMP/cache"
SSH_URL=$GITSRV_SSH_BASE/state.git
HTTP_URL=$GITSRV_HTTP_BASE/state.git
tip() { git -C "$1" rev-parse -q --verify "${2:-main}"; }
srv_tip() { gitsrv_git "$1" rev-parse -q --verify "${2:-main}"; }
# env of fleet host hK (h1..h3 staging, the rest prod)
envof() { if [ "$1" -le 3 ]; then echo staging; else echo prod; fi; }

# a drift between the environments: prod's h5 runs an older openssl
sed '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.1-1/' \
	"$FL/hosts/h5/var/lib/dpkg/status" >"$TMP/status.h5"
check "h5 gets an older openssl" fleet_set_file "$FL" 5 /var/lib/dpkg/status <"$TMP/status.h5"
fleet_inventory 6 3 </dev/null >"$TMP/inv.yaml"

# the server's repository: the incoming hook behind a hook that sleeps
# while the file "slow" exists (a window in which to kill a push)
check "repository on the server" gitsrv_new_repo state
H=$GS/repos/state.git/hooks
cp "$TESTS_DIR/../../doc/pre-receive-incoming" "$H/pre-receive-incoming"
cat >"$H/pre-receive" <<'EOF'
#!/bin/sh
if [ -f slow ]; then sleep "$(cat slow)"; fi
exec "$(dirname "$0")/pre-receive-incoming"
EOF
chmod 0755 "$H/pre-receive" "$H/pre-receive-incoming"

# the first scanner's repository makes main: a host outside the fleet
mkroot "$TMP/root"
new_repo "$TMP/seed"
"$ENVDRIFT" collect -q --repo "$TMP/seed" --root "$TMP/root" --env ops --host seed
expect_exit 0 "the first push over SSH creates main" "$ENVDRIFT" push --repo "$TMP/seed" "$SSH_URL"
expect_eq "... the server's main is the seed's" "$(srv_tip state)" "$(tip "$TMP/seed")"
check "server fsck after the seed" gitsrv_fsck state

## 1. three scanners at once, one killed mid-push
for s in a b c; do
	git clone -q --bare "$SSH_URL" "$TMP/$s" 2>"$TMP/clone.err"
	cp "$TMP/seed.key" "$TMP/$s.key"
done
check "three clones of the server's repository" test -d "$TMP/a" -a -d "$TMP/b" -a -d "$TMP/c"
SCAN0="scan --known-hosts $FLEET_KNOWN_HOSTS -j 2 -i $TMP/inv.yaml"
SCAN="$SCAN0 --push origin"
echo 2 >"$GS/repos/state.git/slow"
# a: shard 1/2 in staging (h1 h2), b: shard 1/2 in prod (h4 h5),
# c: shard 2/2 (h3 h6; t0040 pins the hash)
$ENVDRIFT $SCAN --repo "$TMP/a" --shard 1/2 --limit staging >"$TMP/a.out" 2>&1 &
pa=$!
# b pushes over HTTPS, the others over SSH
$ENVDRIFT $SCAN0 --repo "$TMP/b" --shard 1/2 --limit prod \
	--push "$GITSRV_HTTP_PUSH_BASE/state.git" >"$TMP/b.out" 2>&1 &
pb=$!
$ENVDRIFT $SCAN --repo "$TMP/c" --shard 2/2 >"$TMP/c.out" 2>&1 &
pc=$!
# c's git push (its own process group) and c itself die while the
# server's hook sleeps: at most 30 s of waiting for it to start
gitpid= i=0
while [ "$i" -lt 300 ] && kill -0 "$pc" 2>/dev/null; do
	for p in $(ps -o pid= --ppid "$pc" 2>/dev/null); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ' push '; then gitpid=$p; fi
	done
	[ -n "$gitpid" ] && break
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
kill -KILL "$pc" 2>/dev/null
[ -z "$gitpid" ] || kill -KILL -- "-$gitpid" 2>/dev/null
wait "$pc"
rc_c=$?
check "c was killed while its git push ran" test -n "$gitpid" -a "$rc_c" -eq 137
wait "$pa"
rc_a=$?
wait "$pb"
rc_b=$?
cat "$TMP/a.out" "$TMP/b.out" >"$TMP/ab.out"
expect_eq "a's scan and push succeed" "$rc_a" 0
expect_eq "b's scan and push succeed" "$rc_b" 0
expect_grep "... one of them rebuilt on the other's push" "commits? rebuilt on other writers' pushes" "$TMP/ab.out"
expect_grep "... b's over HTTPS, named without userinfo" "^$GITSRV_HTTP_BASE/state.git: pushed main" "$TMP/b.out"
expect_no_grep "... b's output holds no password" "$GITSRV_HTTP_PASSWORD" "$TMP/b.out"
rm -f "$GS/repos/state.git/slow"
check "server fsck after the concurrent pushes" gitsrv_fsck state
for s in a b; do
	check "$s's main is in the server's history" gitsrv_git state merge-base --is-ancestor "$(tip "$TMP/$s")" main
done
for k in 1 2 4 5; do
	check "h$k on the server's main" gitsrv_git state cat-file -e "main:hosts/$(envof $k)/h$k/meta"
done
expect_eq "history is linear" "$(gitsrv_git state rev-list --merges main | wc -l)" 0
git -C "$TMP/c" log -1 --format=%B main >"$TMP/c.msg"
expect_grep "the killed scanner's commit is kept" "^Envdrift-Collected: prod/h6$" "$TMP/c.msg"
C_COMMIT=$(tip "$TMP/c")
if gitsrv_git state merge-base --is-ancestor "$C_COMMIT" main 2>/dev/null; then
	echo "# c's push reached the server's ref update before the kill"
else
	echo "# c's push did not land"
fi
expect_exit 0 "a later envdrift push of c publishes it" "$ENVDRIFT" push --repo "$TMP/c"
for k in 3 6; do
	expect_eq "h$k on the server is c's scan" \
		"$(srv_tip state "main:hosts/$(envof $k)/h$k")" \
		"$(git -C "$TMP/c" rev-parse "$C_COMMIT:hosts/$(envof $k)/h$k")"
done
expect_eq "history is still linear" "$(gitsrv_git state rev-list --merges main | wc -l)" 0
expect_eq "every scan's Envdrift-Collected reached the server once" \
	"$(gitsrv_git state log --format=%B main | grep -c '^Envdrift-Collected: \(staging\|prod\)/h[1-6]$')" 6
check "server fsck after c's push" gitsrv_fsck state

## 5. the merged view equals one scanner's scan of the whole fleet
cp "$TMP/seed.key" "$TMP/single.key"
new_repo "$TMP/single"
expect_exit 0 "one scanner scans every host" \
	"$ENVDRIFT" scan -q --repo "$TMP/single" --known-hosts "$FLEET_KNOWN_HOSTS" -j 4 -i "$TMP/inv.yaml"
for k in 1 2 3 4 5 6; do
	expect_eq "h$k: the same tree from the shards and from one scanner" \
		"$(srv_tip state "main:hosts/$(envof $k)/h$k")" \
		"$(git -C "$TMP/single" rev-parse "main:hosts/$(envof $k)/h$k")"
done
check "server fsck (case 5)" gitsrv_fsck state

## 3. the gate from clones, with the scanner's verdict
expect_exit 0 "scanner a fetches the server's main" "$ENVDRIFT" fetch --repo "$TMP/a"
"$ENVDRIFT" check --repo "$TMP/a" --max-age 1h staging prod >"$TMP/gate.scanner" 2>"$TMP/gate.scanner.err"
gate_rc=$?
expect_eq "the scanner's gate finds the openssl drift" "$gate_rc" 1
expect_grep "... naming openssl" "openssl" "$TMP/gate.scanner"
check "a bare clone over HTTPS" git clone -q --bare "$HTTP_URL" "$TMP/gate-bare"
check "a shallow clone over HTTPS" git clone -q --bare --depth 1 "$HTTP_URL" "$TMP/gate-shallow"
"$ENVDRIFT" check --repo "$TMP/a" staging prod >"$TMP/gate.all" 2>/dev/null
expect_eq "... also without --max-age" "$?" "$gate_rc"
expect_exit "$gate_rc" "check from the bare clone: the scanner's verdict" \
	"$ENVDRIFT" check --repo "$TMP/gate-bare" --max-age 1h staging prod
cp "$TMP/out" "$TMP/got"
check "... and the scanner's report" cmp "$TMP/got" "$TMP/gate.scanner"
# a --depth 1 clone holds one commit: the drift, not its age or history
expect_exit "$gate_rc" "check from the shallow clone: the scanner's verdict" \
	"$ENVDRIFT" check --repo "$TMP/gate-shallow" staging prod
expect_eq "... the scanner's summary" "$(grep '^summary:' "$TMP/out")" "$(grep '^summary:' "$TMP/gate.all")"
expect_eq "... the same drift items" "$(grep -E '^ +[a-z]+ +[a-z]+:' "$TMP/out" | awk '{print $1, $2, $3}')" \
	"$(grep -E '^ +[a-z]+ +[a-z]+:' "$TMP/gate.all" | awk '{print $1, $2, $3}')"
expect_grep "... ages given as 'since at least'" "since at least 20" "$TMP/out"
# with --max-age it cannot show the hosts the tip commit did not collect
# are fresh: stale (a gate never passes on what it cannot see), said so
expect_exit 2 "check --max-age from the --depth 1 clone: hosts of older commits are stale" \
	"$ENVDRIFT" check --repo "$TMP/gate-shallow" --max-age 1h staging prod
expect_grep "... saying the clone is too shallow" "too shallow to show a collection within --max-age" "$TMP/out"
expect_exit "$gate_rc" "check --repo https:// --max-age 1h: the scanner's verdict" \
	"$ENVDRIFT" check --repo "$HTTP_URL" --max-age 1h staging prod
cp "$TMP/out" "$TMP/got"
check "... and the scanner's report" cmp "$TMP/got" "$TMP/gate.scanner"
check "server fsck (case 3)" gitsrv_fsck state

## 4. another key: refused locally, nothing pushed
git clone -q --bare "$SSH_URL" "$TMP/wrong" 2>"$TMP/clone.err"
new_repo "$TMP/otherkey"
cp "$TMP/otherkey.key" "$TMP/wrong.key"
before=$(srv_tip state)
expect_exit 2 "a scan with another key is refused" \
	"$ENVDRIFT" $SCAN --repo "$TMP/wrong" --limit h1
expect_grep "... saying the key differs" "HMAC key does not match" "$TMP/err"
expect_eq "... no local commit" "$(tip "$TMP/wrong")" "$before"
expect_eq "... nothing pushed" "$(srv_tip state)" "$before"
expect_exit 2 "collect --push with another key is refused too" \
	"$ENVDRIFT" collect --repo "$TMP/wrong" --root "$TMP/root" --env ops --host seed --push origin
expect_eq "... nothing pushed" "$(srv_tip state)" "$before"
check "server fsck (case 4)" gitsrv_fsck state

## 6. credentials and trust
P=$GITSRV_HTTP_PASSWORD
"$ENVDRIFT" collect -q --repo "$TMP/a" --root "$TMP/root" --env ops --host seed2
expect_exit 0 "push over HTTPS with user:password in the URL" \
	"$ENVDRIFT" push --repo "$TMP/a" "$GITSRV_HTTP_PUSH_BASE/state.git"
expect_grep "... says it pushed, to the URL without userinfo" "^$GITSRV_HTTP_BASE/state.git: pushed main" "$TMP/out"
expect_no_grep "... no password in its output" "$P|pusher" "$TMP/out"
expect_no_grep "... nor on stderr" "$P|pusher" "$TMP/err"
expect_eq "... the server has it" "$(srv_tip state)" "$(tip "$TMP/a")"
"$ENVDRIFT" collect -q --repo "$TMP/a" --root "$TMP/root" --env ops --host seed3
A3=$(tip "$TMP/a")
BAD=$(echo "$GITSRV_HTTP_PUSH_BASE" | sed "s|:$P@|:wrong$P@|")
expect_exit 4 "a wrong password is exit 4" "$ENVDRIFT" push --repo "$TMP/a" "$BAD/state.git"
expect_no_grep "... no password printed" "$P|pusher" "$TMP/out"
expect_no_grep "... nor the wrong one" "$P|pusher" "$TMP/err"
expect_grep "... naming the URL without userinfo" "$GITSRV_HTTP_BASE/state.git" "$TMP/err"
expect_eq "no password in any file of the scanners' repositories" "" \
	"$(grep -rl "$P" "$TMP/a" "$TMP/b" "$TMP/a.key" 2>/dev/null)"
check "a second CA" gitsrv_make_ca "$TMP/ca2" "another CA"
expect_exit 4 "a server certificate from another CA is exit 4" \
	env GIT_SSL_CAINFO="$TMP/ca2/ca.pem" "$ENVDRIFT" push --repo "$TMP/a" "$GITSRV_HTTP_PUSH_BASE/state.git"
expect_grep "... saying why" "certificate|SSL" "$TMP/err"
expect_no_grep "... no password" "$P|pusher" "$TMP/err"
: >"$TMP/empty_known_hosts"
expect_exit 4 "an unknown SSH host key on scan --push is exit 4" \
	env GIT_SSH_COMMAND="ssh -F /dev/null -i $GITSRV_SSH_KEY -o UserKnownHostsFile=$TMP/empty_known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes" \
	"$ENVDRIFT" $SCAN --repo "$TMP/a" --limit h1
expect_grep "... saying why" "[Hh]ost key" "$TMP/err"
expect_eq "... the scan's commit is kept on top of the others" \
	"$(git -C "$TMP/a" rev-parse main~1)" "$A3"
expect_eq "... and nothing reached the server" "$(srv_tip state)" "$(git -C "$TMP/a" rev-parse main~2)"
expect_exit 0 "the next push publishes both" "$ENVDRIFT" push --repo "$TMP/a" "$SSH_URL"
expect_eq "... the server's main is a's" "$(srv_tip state)" "$(tip "$TMP/a")"
check "server fsck (case 6)" gitsrv_fsck state

## 2. ten pull-mode hosts at once, each limited to its own ref
check "a pull-mode repository on the server" gitsrv_new_repo pull
cp "$H/pre-receive-incoming" "$GS/repos/pull.git/hooks/pre-receive"
chmod 0755 "$GS/repos/pull.git/hooks/pre-receive"
PULL_URL=$GITSRV_SSH_BASE/pull.git
new_repo "$TMP/central"
"$ENVDRIFT" collect -q --repo "$TMP/central" --root "$TMP/root" --env ops --host central
expect_exit 0 "the central box publishes main first" "$ENVDRIFT" push --repo "$TMP/central" "$PULL_URL"
pids=
for k in 1 2 3 4 5 6 7 8 9 10; do
	cp "$TMP/central.key" "$TMP/p$k.key"
	new_repo "$TMP/p$k"
	cmd=$(gitsrv_ssh_add_key "p$k" "p$k") || fail "key of p$k"
	echo "$cmd" >"$TMP/p$k.ssh"
done
for k in 1 2 3 4 5 6 7 8 9 10; do
	GIT_SSH_COMMAND=$(cat "$TMP/p$k.ssh") "$ENVDRIFT" collect --repo "$TMP/p$k" \
		--root "$TMP/root" --env pull --host "p$k" --push "$PULL_URL" >"$TMP/p$k.out" 2>&1 &
	pids="$pids $!"
done
n=0
for p in $pids; do wait "$p" && n=$((n + 1)); done
expect_eq "ten hosts collect and push at once" "$n" 10
for k in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(srv_tip pull "refs/envdrift/incoming/p$k")" = "$(tip "$TMP/p$k")" ] || fail "p$k's incoming ref"
done
check "every incoming ref is its host's main" true
expect_exit 4 "p1's key cannot push p2's ref" env GIT_SSH_COMMAND="$(cat "$TMP/p1.ssh")" \
	"$ENVDRIFT" collect --repo "$TMP/p1" --root "$TMP/root" --env pull --host p2 --push "$PULL_URL"
expect_grep "... the hook says why" "may update only refs/envdrift/incoming/p1, not refs/envdrift/incoming/p2" "$TMP/err"
expect_eq "... p2's ref is untouched" "$(srv_tip pull refs/envdrift/incoming/p2)" "$(tip "$TMP/p2")"
expect_exit 2 "envdrift push of p1's unrelated main is refused" env GIT_SSH_COMMAND="$(cat "$TMP/p1.ssh")" \
	"$ENVDRIFT" push --repo "$TMP/p1" "$PULL_URL"
expect_grep "... as unrelated histories" "unrelated histories" "$TMP/err"
expect_exit 1 "p1's key cannot push a branch either (the hook)" env GIT_SSH_COMMAND="$(cat "$TMP/p1.ssh")" \
	git -C "$TMP/p1" push "$PULL_URL" main:refs/heads/p1
expect_grep "... the hook says why" "may update only refs/envdrift/incoming/p1, not refs/heads/p1" "$TMP/err"
expect_eq "... main is the central one" "$(srv_tip pull)" "$(tip "$TMP/central")"
# a host with a key of its own: its snapshot must not be merged
new_repo "$TMP/p11"
cmd=$(gitsrv_ssh_add_key p11 p11)
expect_exit 0 "p11 (another key) pushes its incoming ref" env GIT_SSH_COMMAND="$cmd" \
	"$ENVDRIFT" collect --repo "$TMP/p11" --root "$TMP/root" --env pull --host p11 --push "$PULL_URL"
check "server fsck after the pull-mode pushes" gitsrv_fsck pull
git clone -q --bare "$PULL_URL" "$TMP/merger" 2>"$TMP/clone.err"
expect_exit 0 "merge-incoming folds the ten hosts" "$ENVDRIFT" merge-incoming --repo "$TMP/merger"
expect_grep "... ten" "^merge-incoming: 10 hosts folded into main" "$TMP/out"
expect_grep "... leaving p11 out, named" "warning: not merged: pull/p11: made with another HMAC key" "$TMP/err"
expect_eq "... the server's main is the merger's" "$(srv_tip pull)" "$(tip "$TMP/merger")"
for k in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(srv_tip pull "main:hosts/pull/p$k")" = "$(git -C "$TMP/p$k" rev-parse "main:hosts/pull/p$k")" ] ||
		fail "p$k on main is its own tree"
done
check "each host on main is its own tree" true
check "p11 is not on main" sh -c "! git -C '$GS/repos/pull.git' cat-file -e main:hosts/pull/p11 2>/dev/null"
expect_eq "history is linear" "$(gitsrv_git pull rev-list --merges main | wc -l)" 0
check "server fsck after merge-incoming" gitsrv_fsck pull
finish
