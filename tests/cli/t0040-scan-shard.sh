#!/bin/sh
# envdrift scan --shard K/N against a real sshd fleet (tests/lib/fleet.sh):
# shards 1/2 and 2/2 together collect every host exactly once, each commit
# carries Envdrift-Shard, a sharded scan never prunes, --shard composes with
# --limit, and when only shard 1 keeps scanning, check and status name
# shard 2 and its hosts.
. "$(dirname "$0")/test-lib.sh"
need_tool python3
. "$TESTS_DIR/../lib/fleet.sh"

start_fleet 6
R=$TMP/state
new_repo "$R"
fleet_inventory 6 3 </dev/null >"$TMP/inv.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 4 -i $TMP/inv.yaml"

for bad in 0/2 3/2 1/0 2/65537 x 1/2/3 ""; do
	expect_exit 2 "--shard '$bad' is a usage error" $SCAN --shard "$bad"
	expect_grep "... saying what --shard takes" "--shard takes K/N" "$TMP/err"
done
expect_eq "no commit from a usage error" "" "$(git -C "$R" rev-parse -q --verify main)"

# collected hosts of commit $1, sorted, on one line
collected() {
	git -C "$R" log -1 --format=%B "$1" | sed -n 's/^Envdrift-Collected: [a-z]*\///p' | sort | tr '\n' ' '
}

expect_exit 0 "scan --shard 1/2" $SCAN --shard 1/2
expect_eq "shard 1/2 trailer" "Envdrift-Shard: 1/2" \
	"$(git -C "$R" log -1 --format=%B main | grep '^Envdrift-Shard: ')"
S1=$(collected main)
expect_exit 0 "scan --shard 2/2" $SCAN --shard 2/2
expect_eq "shard 2/2 trailer" "Envdrift-Shard: 2/2" \
	"$(git -C "$R" log -1 --format=%B main | grep '^Envdrift-Shard: ')"
S2=$(collected main)
# the hash is part of the contract: a change would move hosts between scanners
expect_eq "shard 1/2 owns h1 h2 h4 h5" "h1 h2 h4 h5 " "$S1"
expect_eq "shard 2/2 owns h3 h6" "h3 h6 " "$S2"
expect_eq "together every host exactly once" "h1 h2 h3 h4 h5 h6" \
	"$(echo $S1 $S2 | tr ' ' '\n' | sort | uniq -c | awk '$1 == 1 {print $2}' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "all six hosts in the tree" 6 "$(git -C "$R" ls-tree -r -d --name-only main hosts | grep -c '^hosts/[a-z]*/h[0-9]$')"
fsck_ok "$R"

# --limit and --shard both apply; a sharded scan never prunes
fleet_inventory 5 3 </dev/null >"$TMP/inv5.yaml"
expect_exit 0 "scan --shard 2/2 --prune of an inventory without h6" \
	$ENVDRIFT scan --repo "$R" --known-hosts "$FLEET_KNOWN_HOSTS" -i "$TMP/inv5.yaml" --shard 2/2 --prune
expect_grep "--prune ignored, said once" "warning: --prune ignored with --limit or --shard" "$TMP/err"
expect_eq "only h3 collected" "h3 " "$(collected main)"
expect_eq "h6 not pruned" tree "$(git -C "$R" cat-file -t main:hosts/prod/h6)"
expect_eq "no Envdrift-Pruned trailer" 0 "$(git -C "$R" log -1 --format=%B main | grep -c '^Envdrift-Pruned: ')"
expect_exit 0 "scan --shard 1/2 --limit staging" $SCAN --shard 1/2 --limit staging
expect_eq "only staging's shard-1 hosts" "h1 h2 " "$(collected main)"

# unsharded history prints no shard
expect_exit 0 "status without --max-age" "$ENVDRIFT" status --repo "$R"
expect_no_grep "no shard line without --max-age" "^shard " "$TMP/out"

# shard 2 stops reporting; shard 1 goes on. The --max-age of each command
# is 3 s more than shard 1's scan is old, shard 2's being 6 s older still:
# a slow machine (ASan, load) moves both ages alike.
sleep 6
expect_exit 0 "scan --shard 1/2 again" $SCAN --shard 1/2
age() { echo "$(($(date +%s) - $(git -C "$R" log -1 --format=%ct main) + 3))s"; }
expect_exit 2 "check --max-age AGE: shard 2's hosts are stale" \
	"$ENVDRIFT" check --repo "$R" --max-age "$(age)" staging prod
expect_grep "verdict counts the stale hosts" "^check: ERROR: 2 hosts not collected within --max-age" "$TMP/err"
expect_grep "check names shard 2/2 and its hosts" \
	"^check: shard 2/2 has not reported since 20[0-9-]+T[0-9]{2}:[0-9]{2}Z: 2 hosts \(h3, h6\)$" "$TMP/err"
expect_no_grep "check does not name shard 1/2" "shard 1/2" "$TMP/err"
expect_exit 2 "check --format json" "$ENVDRIFT" check --repo "$R" --max-age "$(age)" --format json staging prod
cp "$TMP/out" "$TMP/check.json"
cat >"$TMP/stale.py" <<'PY'
import json, sys
def items(x):
    if isinstance(x, dict):
        if x.get("kind") == "stale":
            yield x
        for v in x.values():
            yield from items(v)
    elif isinstance(x, list):
        for v in x:
            yield from items(v)
print(" ".join(sorted(i["host"] + "=" + i.get("shard", "-") for i in items(json.load(open(sys.argv[1]))))))
PY
expect_eq "json: each stale item names its shard" "h3=2/2 h6=2/2" "$(python3 "$TMP/stale.py" "$TMP/check.json")"
expect_exit 0 "status --max-age AGE" "$ENVDRIFT" status --repo "$R" --max-age "$(age)"
expect_grep "status names shard 2/2 and its hosts" \
	"^shard 2/2 has not reported since 20[0-9-]+T[0-9:]+Z: 2 hosts \(h3, h6\)$" "$TMP/out"
expect_eq "status: one shard line" 1 "$(grep -c '^shard ' "$TMP/out")"
expect_exit 0 "status --format json --max-age AGE" "$ENVDRIFT" status --repo "$R" --format json --max-age "$(age)"
expect_grep "json: stale_shards lists shard 2/2 with every host" \
	'"stale_shards": \[$' "$TMP/out"
expect_grep "... with its hosts" '^  \{"shard": "2/2", "since": "[0-9T:-]+Z", "hosts": \["h3", "h6"\]\}$' "$TMP/out"
expect_grep "json: each host's shard" '"host": "h1", .*"shard": "1/2"' "$TMP/out"
cp "$TMP/out" "$TMP/status.json"
check "status json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["stale_shards"][0]["hosts"]==["h3","h6"]' "$TMP/status.json"
expect_exit 2 "status --max-age bad" "$ENVDRIFT" status --repo "$R" --max-age 3x
fsck_ok "$R"
finish
