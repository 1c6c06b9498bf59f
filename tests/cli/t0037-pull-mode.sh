#!/bin/sh
# Pull mode: hosts collect into repositories of their own and push to
# refs/envdrift/incoming/HOST only (collect --push, the server's
# doc/pre-receive-incoming hook enforcing it); envdrift merge-incoming
# folds them into main (the later scan wins) and pushes main.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
REM="$TMP/remote.git"
git init -q --bare "$REM"
cp "$TESTS_DIR/../../doc/pre-receive-incoming" "$REM/hooks/pre-receive"
chmod +x "$REM/hooks/pre-receive"
new_repo "$TMP/central"
C="$TMP/central"
tip() { git -C "$1" rev-parse -q --verify "$2"; }

for h in h1 h2; do
	cp "$C.key" "$TMP/$h.key" # one key for the fleet: tokens compare
	new_repo "$TMP/$h"
	ENVDRIFT_HOST=$h expect_exit 0 "$h: collect --push to its incoming ref" \
		"$ENVDRIFT" collect --repo "$TMP/$h" --root "$TMP/root" --env prod --host "$h" --push "$REM"
	expect_grep "... says so" "pushed refs/envdrift/incoming/$h " "$TMP/out"
	expect_eq "... the remote's ref is its main" \
		"$(tip "$REM" "refs/envdrift/incoming/$h")" "$(tip "$TMP/$h" main)"
done
check "no main on the remote yet" sh -c "! git -C '$REM' rev-parse -q --verify main"

# the hook: a host's account may update only its own incoming ref
ENVDRIFT_HOST=h1 expect_exit 4 "h1's account cannot push h2's ref" \
	"$ENVDRIFT" collect --repo "$TMP/h1" --root "$TMP/root" --env prod --host h2 --push "$REM"
expect_grep "... the hook says why" "may update only refs/envdrift/incoming/h1" "$TMP/err"
ENVDRIFT_HOST=h1 expect_exit 4 "h1's account cannot push main" "$ENVDRIFT" push --repo "$TMP/h1" "$REM"
check "... main is still absent" sh -c "! git -C '$REM' rev-parse -q --verify main"
expect_eq "... h2's ref is untouched" \
	"$(tip "$REM" refs/envdrift/incoming/h2)" "$(tip "$TMP/h2" main)"

expect_exit 0 "merge-incoming folds both hosts into main and pushes it" \
	"$ENVDRIFT" merge-incoming --repo "$C" "$REM"
expect_grep "... two hosts" "2 hosts folded into main" "$TMP/out"
expect_eq "... the remote's main is the central main" "$(tip "$REM" main)" "$(tip "$C" main)"
check "h1 on main" git -C "$REM" cat-file -e main:hosts/prod/h1/meta
check "h2 on main" git -C "$REM" cat-file -e main:hosts/prod/h2/meta
expect_eq "... as the hosts' own trees" \
	"$(git -C "$REM" rev-parse main:hosts/prod/h1)" "$(git -C "$TMP/h1" rev-parse main:hosts/prod/h1)"
git -C "$REM" log -1 --format=%B main >"$TMP/msg"
expect_eq "one Envdrift-Collected trailer per host" "$(grep -c '^Envdrift-Collected: prod/h[12]$' "$TMP/msg")" 2
expect_grep "and an Envdrift-Incoming trailer" "^Envdrift-Incoming: prod/h1 [0-9a-f]{12}$" "$TMP/msg"
"$ENVDRIFT" status --repo "$C" >"$TMP/status"
expect_eq "status lists both" "$(grep -Ec ' (h1|h2) ' "$TMP/status")" 2

expect_exit 0 "merge-incoming again" "$ENVDRIFT" merge-incoming --repo "$C" "$REM"
expect_grep "... has nothing new" "0 hosts folded" "$TMP/out"
expect_eq "... and makes no commit" "$(git -C "$REM" rev-list --count main)" 1

# a newer scan of h1 replaces its directory; a central scan newer than an
# incoming snapshot wins over it
sleep 1
echo "drift" >"$TMP/root/etc/motd"
ENVDRIFT_HOST=h1 check "h1 collects again" \
	"$ENVDRIFT" collect -q --repo "$TMP/h1" --root "$TMP/root" --env prod --host h1 --push "$REM"
expect_eq "... saying nothing with -q" "$(cat "$TMP/out")" ""
expect_exit 0 "merge-incoming takes h1's newer scan" "$ENVDRIFT" merge-incoming --repo "$C" "$REM"
expect_grep "... one host" "1 host folded into main" "$TMP/out"
expect_eq "... h1's new tree is on main" \
	"$(git -C "$REM" rev-parse main:hosts/prod/h1)" "$(git -C "$TMP/h1" rev-parse main:hosts/prod/h1)"
sleep 1
check "the central box collects h2 itself (newer)" \
	"$ENVDRIFT" collect -q --repo "$C" --root "$TMP/root" --env prod --host h2
expect_exit 0 "merge-incoming keeps the central scan of h2" "$ENVDRIFT" merge-incoming --repo "$C" "$REM"
expect_grep "... folding nothing" "0 hosts folded" "$TMP/out"
expect_eq "... h2 on main is the central scan" \
	"$(git -C "$REM" rev-parse main:hosts/prod/h2)" "$(git -C "$C" rev-parse main:hosts/prod/h2)"
# a host under another key or other settings is not merged: it would flap
new_repo "$TMP/h3" # a key of its own
ENVDRIFT_HOST=h3 check "h3 (another key) pushes its incoming ref" \
	"$ENVDRIFT" collect -q --repo "$TMP/h3" --root "$TMP/root" --env prod --host h3 --push "$REM"
cp "$C.key" "$TMP/h4.key"
new_repo "$TMP/h4"
printf 'files:\n  content-max: 4096\n' >"$TMP/small.yaml"
ENVDRIFT_HOST=h4 check "h4 (other settings) pushes its incoming ref" \
	"$ENVDRIFT" collect -q --repo "$TMP/h4" --root "$TMP/root" --env prod --host h4 \
	--config "$TMP/small.yaml" --push "$REM"
before=$(tip "$REM" main)
expect_exit 0 "merge-incoming skips both" "$ENVDRIFT" merge-incoming --repo "$C" "$REM"
expect_grep "... folding nothing" "0 hosts folded" "$TMP/out"
expect_grep "... naming h3 and its key" "^envdrift: warning: not merged: prod/h3: made with another HMAC key" "$TMP/err"
expect_grep "... naming h4 and its settings" "^envdrift: warning: not merged: prod/h4: made under other settings" "$TMP/err"
expect_eq "... main did not move" "$(tip "$REM" main)" "$before"
check "... h3 is not on main" sh -c "! git -C '$REM' cat-file -e main:hosts/prod/h3"
check "... nor h4" sh -c "! git -C '$REM' cat-file -e main:hosts/prod/h4"
check "main records the central settings" sh -c "git -C '$REM' show main:.envdrift/settings | grep -qx 'content-max 1048576'"
# a first merge into an empty main: the key the central box was made
# with decides, so a host with another key is left out there too
REM2="$TMP/remote2.git"
git init -q --bare "$REM2"
new_repo "$TMP/central2"
ENVDRIFT_HOST=h3 check "h3 pushes to a new remote" \
	"$ENVDRIFT" collect -q --repo "$TMP/h3" --root "$TMP/root" --env prod --host h3 --push "$REM2"
expect_exit 0 "merge-incoming into an empty main" "$ENVDRIFT" merge-incoming --repo "$TMP/central2" "$REM2"
expect_grep "... leaves h3 out" "^envdrift: warning: not merged: prod/h3: made with another HMAC key" "$TMP/err"
expect_grep "... folding nothing" "0 hosts folded" "$TMP/out"
expect_grep "... and pushing nothing" "remote2.git: nothing to push yet$" "$TMP/out"
check "... the new remote still has no main" sh -c "! git -C '$REM2' rev-parse -q --verify main"
# a host made with the central key: its merge starts main, marker included
cp "$TMP/central2.key" "$TMP/h5.key"
new_repo "$TMP/h5"
ENVDRIFT_HOST=h5 check "h5 (the central key) pushes to the new remote" \
	"$ENVDRIFT" collect -q --repo "$TMP/h5" --root "$TMP/root" --env prod --host h5 --push "$REM2"
check "merge-incoming folds it into the empty main" "$ENVDRIFT" merge-incoming --repo "$TMP/central2" "$REM2"
check "... main has h5" git -C "$REM2" cat-file -e main:hosts/prod/h5/meta
git -C "$REM2" show main:.envdrift/format >"$TMP/format2" 2>&1
expect_grep "... and the marker: the key's fingerprint" "^key-fingerprint [0-9a-f]{64}$" "$TMP/format2"
expect_grep "... and the settings' digest" "^settings-sha256 [0-9a-f]{64}$" "$TMP/format2"
check "... and the settings" git -C "$REM2" cat-file -e main:.envdrift/settings
fsck_ok "$REM2"
expect_eq "history is linear" "$(git -C "$REM" rev-list --merges main | wc -l)" 0
fsck_ok "$REM"
fsck_ok "$C"
finish
