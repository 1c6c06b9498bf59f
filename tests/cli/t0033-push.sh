#!/bin/sh
# Publishing the state repository to git remotes (envdrift push, fetch and
# --push): local bare repositories as remotes, concurrent writers rebuilt
# onto each other's pushes, failures that keep the local commit (exit 4),
# deadlines, the secret audit, and no userinfo in any output.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
new_repo "$TMP/s1"
R="$TMP/s1"
REM="$TMP/remote.git"
git init -q --bare "$REM"

now_ms() { date +%s%3N; }
tip() { git -C "$1" rev-parse -q --verify refs/heads/main; }

# --- push to a new remote, then push twice ----------------------------------
check "collect" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host app-1
expect_exit 0 "push to a path creates the remote's main" "$ENVDRIFT" push --repo "$R" "$REM"
expect_eq "the remote's main is the local main" "$(tip "$REM")" "$(tip "$R")"
expect_grep "says it pushed" "pushed main [0-9a-f]{12}" "$TMP/out"
expect_exit 0 "push again" "$ENVDRIFT" push --repo "$R" "$REM"
expect_grep "second push has nothing new" "up to date" "$TMP/out"
t0=$(now_ms)
expect_exit 0 "push a third time" "$ENVDRIFT" push --repo "$R" "file://$REM"
t1=$(now_ms)
expect_eq "the file:// URL names the same main" "$(tip "$REM")" "$(tip "$R")"
check "a push with nothing new takes under a second" test $((t1 - t0)) -lt 1000
git -C "$R" remote add origin "$REM"
expect_exit 0 "push to the named remote origin" "$ENVDRIFT" push --repo "$R"
check "the tracking ref refs/remotes/origin/main is set" \
	test "$(git -C "$R" rev-parse refs/remotes/origin/main)" = "$(tip "$R")"
expect_exit 2 "an unknown remote name is an error" "$ENVDRIFT" push --repo "$R" nosuch
expect_grep "... that names it" "no git remote 'nosuch'" "$TMP/err"

# --- three writers from clones of one remote, pushing at once ---------------
for w in w1 w2 w3; do
	git clone -q --bare "$REM" "$TMP/$w"
	cp "$R.key" "$TMP/$w.key"
done
for round in 1 2; do
	pids=
	for w in w1 w2 w3; do
		{ "$ENVDRIFT" collect -q --repo "$TMP/$w" --root "$TMP/root" --env "env-$w" \
			--host "host-$w-$round" && "$ENVDRIFT" push --repo "$TMP/$w"; } >"$TMP/$w.out" 2>&1 &
		pids="$pids $!"
	done
	n=0
	for p in $pids; do wait "$p" && n=$((n + 1)); done
	expect_eq "round $round: all three concurrent pushes succeed" "$n" 3
	for w in w1 w2 w3; do sed "s/^/# $w: /" "$TMP/$w.out"; done
done
for e in env-w1 env-w2 env-w3 prod; do
	git -C "$REM" ls-tree -d --name-only "main:hosts/$e"
done | sort >"$TMP/hosts"
expect_eq "every host of every writer is on the remote" "$(tr '\n' ' ' <"$TMP/hosts")" \
	"app-1 host-w1-1 host-w1-2 host-w2-1 host-w2-2 host-w3-1 host-w3-2 "
expect_eq "history is linear (no merges)" "$(git -C "$REM" rev-list --merges main | wc -l)" 0
expect_eq "seven commits, one per collect" "$(git -C "$REM" rev-list --count main)" 7
fsck_ok "$REM"
git -C "$REM" log --format=%B main | grep -c '^Envdrift-Collected: ' >"$TMP/n"
expect_eq "every commit keeps its Envdrift-Collected trailer" "$(cat "$TMP/n")" 7

# --- fetch brings a writer up to date ----------------------------------------
expect_exit 0 "fetch into the first repository" "$ENVDRIFT" fetch --repo "$R" "$REM"
expect_eq "fetch fast-forwards main" "$(tip "$R")" "$(tip "$REM")"
"$ENVDRIFT" status --repo "$R" >"$TMP/status"
expect_eq "status then lists all seven hosts" \
	"$(grep -Ec '(app-1|host-w[123]-[12])' "$TMP/status")" 7

# --- report --commit --push and forget --push publish their commits -------
expect_exit 0 "report --commit --push" "$ENVDRIFT" report --repo "$TMP/w1" --commit --push origin
expect_grep "... says it pushed" "pushed main" "$TMP/out"
check "... reports/ is on the remote" git -C "$REM" cat-file -e main:reports
expect_exit 2 "report --push without --commit is a usage error" \
	"$ENVDRIFT" report --repo "$TMP/w1" --push origin
expect_exit 0 "forget --push from another writer" "$ENVDRIFT" forget --repo "$TMP/w2" --push origin host-w2-1
check "... host-w2-1 is gone from the remote" \
	sh -c "! git -C '$REM' cat-file -e main:hosts/env-w2/host-w2-1 2>/dev/null"
check "... the report is still there (rebuilt on it)" git -C "$REM" cat-file -e main:reports
expect_exit 0 "fetch again" "$ENVDRIFT" fetch --repo "$R" "$REM"
expect_eq "... main follows" "$(tip "$R")" "$(tip "$REM")"

# --- a hanging remote: --push-timeout kills git, exit 4, commit kept ---------
HANG="$TMP/hang.git"
git clone -q --bare "$REM" "$HANG"
printf '#!/bin/sh\nsleep 30\n' >"$HANG/hooks/pre-receive"
chmod +x "$HANG/hooks/pre-receive"
check "collect app-2" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host app-2
t0=$(now_ms)
expect_exit 4 "--push-timeout 2 against a hanging remote exits 4" \
	"$ENVDRIFT" push --repo "$R" --push-timeout 2 "$HANG"
t1=$(now_ms)
expect_grep "... saying it timed out" "timed out after 2 s" "$TMP/err"
check "... within 5 s" test $((t1 - t0)) -lt 5000
check "... the local commit is there" git -C "$R" cat-file -e main:hosts/prod/app-2/meta
check "... the remote did not get it" sh -c "! git -C '$HANG' cat-file -e main:hosts/prod/app-2/meta 2>/dev/null"

# the git subprocess killed mid-push: exit 4 and nothing lost
"$ENVDRIFT" push --repo "$R" --push-timeout 60 "$HANG" >"$TMP/kill.out" 2>"$TMP/kill.err" &
pid=$!
gitpid=
i=0
while [ -z "$gitpid" ] && [ $i -lt 100 ]; do
	gitpid=$(ps -o pid= --ppid "$pid" | tr -d ' ' | head -1)
	[ -n "$gitpid" ] || sleep 0.05
	i=$((i + 1))
done
sleep 0.3
[ -n "$gitpid" ] && kill -TERM "$gitpid"
t0=$(now_ms)
wait "$pid"
rc=$?
t1=$(now_ms)
expect_eq "a push whose git is killed exits 4" "$rc" 4
check "... promptly (not at the 60 s deadline)" test $((t1 - t0)) -lt 5000
check "... the local commit is still main" git -C "$R" cat-file -e main:hosts/prod/app-2/meta
rm "$HANG/hooks/pre-receive"
expect_exit 0 "the next push publishes it" "$ENVDRIFT" push --repo "$R" "$HANG"
expect_eq "... up to the local main" "$(tip "$HANG")" "$(tip "$R")"

# --- an unreachable remote: exit 4, commit kept, no userinfo printed --------
URL='https://user:s3cret@127.0.0.1:1/x'
expect_exit 4 "collect --push to an unreachable remote exits 4" \
	"$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host app-3 --push "$URL"
expect_grep "... saying the commit is kept" "local commits are kept" "$TMP/err"
cat "$TMP/out" "$TMP/err" >"$TMP/all"
expect_grep "... the error names the remote" "127\.0\.0\.1:1" "$TMP/all"
check "... the local commit is there" git -C "$R" cat-file -e main:hosts/prod/app-3/meta
expect_no_grep "... and never its password" "s3cret" "$TMP/all"
expect_no_grep "... nor its user" "user:" "$TMP/all"
expect_exit 4 "push to it exits 4 too" "$ENVDRIFT" push --repo "$R" "$URL"
cat "$TMP/out" "$TMP/err" >"$TMP/all"
expect_no_grep "... without the password" "s3cret" "$TMP/all"
expect_exit 4 "fetch from it exits 4" "$ENVDRIFT" fetch --repo "$R" "$URL"
cat "$TMP/out" "$TMP/err" >"$TMP/all"
expect_no_grep "... without the password" "s3cret" "$TMP/all"
expect_exit 0 "the next push to the path publishes both commits" "$ENVDRIFT" push --repo "$R" "$REM"
check "... app-3 is on the remote" git -C "$REM" cat-file -e main:hosts/prod/app-3/meta

# --- the secret audit guards what is published for the first time ----------
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
ssh-keygen -q -t ed25519 -N '' -C planted -f "$TMP/planted" </dev/null
blob=$(git -C "$R" hash-object -w "$TMP/planted")
GIT_INDEX_FILE="$TMP/index" git -C "$R" read-tree main
GIT_INDEX_FILE="$TMP/index" git -C "$R" update-index --add --cacheinfo "100644,$blob,reports/leak.txt"
tree=$(GIT_INDEX_FILE="$TMP/index" git -C "$R" write-tree)
commit=$(git -C "$R" commit-tree "$tree" -p main -m "planted")
git -C "$R" update-ref refs/heads/main "$commit"
before=$(tip "$REM")
expect_exit 4 "a push whose new history holds a secret is refused" "$ENVDRIFT" push --repo "$R" "$REM"
expect_grep "... naming where" "^secret: reports/leak\.txt:[0-9]+: " "$TMP/err"
expect_grep "... and the way out" "allow-secrets" "$TMP/err"
expect_eq "... the remote did not move" "$(tip "$REM")" "$before"
expect_exit 0 "--allow-secrets pushes it anyway" "$ENVDRIFT" push --allow-secrets --repo "$R" "$REM"
expect_eq "... the remote has it" "$(tip "$REM")" "$commit"

# --- unrelated histories are refused -----------------------------------------
new_repo "$TMP/other"
"$ENVDRIFT" collect -q --repo "$TMP/other" --root "$TMP/root" --host lone
expect_exit 2 "pushing an unrelated repository's main is refused" \
	"$ENVDRIFT" push --repo "$TMP/other" "$REM"
expect_grep "... as unrelated histories" "unrelated histories" "$TMP/err"
expect_eq "... the remote did not move" "$(tip "$REM")" "$commit"
fsck_ok "$REM"
fsck_ok "$R"
finish
