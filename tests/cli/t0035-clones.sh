#!/bin/sh
# A clone is a state repository: the marker (.envdrift/) travels in the
# tree; bare, non-bare, mirror and shallow clones answer every read command
# without the key, byte for byte as the original; writers must bring the
# recorded key and settings; an older repository is upgraded by one format
# commit; a clone behind its origin says so.
. "$(dirname "$0")/test-lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

R="$TMP/state"
mkroot "$TMP/root"
new_repo "$R"
cp "$R.key" "$TMP/saved.key"
collect() { "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" -q "$@"; }
collect --env staging --host s1
collect --env prod --host p1
collect --env prod --host p2
echo "net.ipv4.ip_forward = 1" >>"$TMP/root/etc/sysctl.conf"
collect --env prod --host p1
collect --env prod --host p2
echo "# incident edit" >>"$TMP/root/etc/ssh/sshd_config"
collect --env prod --host p2

# the marker
git -C "$R" show main:.envdrift/format >"$TMP/format"
expect_grep "format: version 1" "^version 1$" "$TMP/format"
expect_grep "format: the key's fingerprint" "^key-fingerprint [0-9a-f]{64}$" "$TMP/format"
expect_grep "format: the settings' digest" "^settings-sha256 [0-9a-f]{64}$" "$TMP/format"
git -C "$R" show main:.envdrift/settings >"$TMP/settings"
sha=$(sha256sum <"$TMP/settings" | cut -d' ' -f1)
expect_grep "the digest is the settings file's" "^settings-sha256 $sha$" "$TMP/format"
expect_grep "settings: detector version" "^detectors [0-9]+$" "$TMP/settings"
expect_grep "settings: content cap" "^content-max [0-9]+$" "$TMP/settings"
expect_grep "settings: secret rules" "^secret-file /etc/shadow" "$TMP/settings"
expect_grep "settings: sysctl classes" "^sysctl-volatile " "$TMP/settings"
expect_eq "the marker came with the first commit (no extra commit)" \
	"$(git -C "$R" rev-list --count main)" "6"
fp=$(sed -n 's/^key-fingerprint //p' "$TMP/format")
expect_no_grep "the fingerprint is not the key" "$fp" "$R.key"

# clones of every kind read the same, without a key
git clone -q --bare "$R" "$TMP/bare"
git clone -q "$R" "$TMP/work"
git clone -q --mirror "$R" "$TMP/mirror"
git clone -q --depth 2 "file://$R" "$TMP/shallow"
git clone -q --bare --depth 1 "file://$R" "$TMP/shallow1"
expect_eq "the shallow clone is shallow" "$(git -C "$TMP/shallow" rev-parse --is-shallow-repository)" "true"
export ENVDRIFT_KEY="$TMP/no-such.key"
read_all() { # DIR TAG: every read command's output and exit status
	d=$1 t=$2
	for c in "check staging prod" "diff staging prod" "report" "report --format json" \
		"explain --host p2 files:/etc/ssh/sshd_config" "status" "status --format json"; do
		# shellcheck disable=SC2086 # c is a word list
		"$ENVDRIFT" $c --repo "$d" >"$TMP/$t.$(echo "$c" | tr ' /:' ___)" 2>&1
		echo "$c: $?" >>"$TMP/$t.rc"
	done
	sed "s|$d|REPO|g" "$TMP/$t".* >"$TMP/$t.all"
}
read_all "$R" orig
expect_grep "the original reads (check finds drift)" "^check staging prod: 1$" "$TMP/orig.rc"
for kind in bare work mirror; do
	read_all "$TMP/$kind" "$kind"
	check "$kind clone: every read command byte-identical, no key" cmp "$TMP/orig.all" "$TMP/$kind.all"
done
read_all "$TMP/shallow" shallow
expect_grep "shallow clone: check reads (exit 1)" "^check staging prod: 1$" "$TMP/shallow.rc"
expect_no_grep "shallow clone: no read command fails" ": 2$" "$TMP/shallow.rc"
expect_grep "shallow clone: drift age says 'since at least'" "since at least [0-9-]{10}" "$TMP/shallow.report"
expect_grep "shallow clone: JSON marks the age a lower bound" '"at_least": true' "$TMP/shallow.report_--format_json"
expect_grep "shallow clone: status says not seen since" "s1 +not seen since 20" "$TMP/shallow.status"
expect_grep "shallow clone: p2 was seen" "p2 +20[0-9-]+T" "$TMP/shallow.status"
read_all "$TMP/shallow1" shallow1
expect_no_grep "depth-1 clone: no read command fails" ": 2$" "$TMP/shallow1.rc"
expect_exit 2 "shallow clone: the gate names stale hosts past --max-age" \
	"$ENVDRIFT" check --repo "$TMP/shallow1" --max-age 1d staging prod
expect_grep "stale by the cut history: not seen since" "not seen since 20" "$TMP/out"
unset ENVDRIFT_KEY

# writers: the recorded key, the recorded settings
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/other.key"
echo >>"$TMP/other.key"
expect_exit 2 "a clone refuses a writer with another key" \
	"$ENVDRIFT" collect --repo "$TMP/bare" --key "$TMP/other.key" --root "$TMP/root" --env prod --host p3
expect_grep "the refusal names the key" "HMAC key does not match" "$TMP/err"
check "a clone takes a writer with the recorded key" \
	"$ENVDRIFT" collect --repo "$TMP/bare" --key "$TMP/saved.key" --root "$TMP/root" --env prod --host p3
expect_eq "the clone did not need the original's config" "$(git -C "$TMP/bare" config envdrift.keyfingerprint || echo none)" "none"
expect_exit 2 "forget in a clone without the key is refused" "$ENVDRIFT" forget --repo "$TMP/mirror" p1
expect_grep "... the key is missing" "HMAC key missing" "$TMP/err"
expect_exit 2 "report --commit with another key is refused" \
	"$ENVDRIFT" report --repo "$TMP/mirror" --commit --key "$TMP/other.key"
expect_grep "... naming the key" "HMAC key does not match" "$TMP/err"
check "report --commit with the recorded key writes" \
	"$ENVDRIFT" report --repo "$TMP/mirror" --commit --key "$TMP/saved.key"
printf 'files:\n  content-max: 4096\n' >"$TMP/small.yaml"
expect_exit 2 "a writer with other settings is refused" \
	"$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host p1 --config "$TMP/small.yaml"
expect_grep "the refusal names the difference" "content-max 1048576.*content-max 4096" "$TMP/err"
expect_eq "nothing was committed" "$(git -C "$R" rev-list --count main)" "6"
check "--adopt-settings records the new settings" \
	"$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host p1 --config "$TMP/small.yaml" --adopt-settings
expect_grep "the recorded settings changed" "^content-max 4096$" "$(git -C "$R" show main:.envdrift/settings >"$TMP/s2"; echo "$TMP/s2")"
check "the adopted settings now pass" \
	"$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --env prod --host p1 --config "$TMP/small.yaml"

# a repository from before the marker is upgraded by one format commit
O="$TMP/old"
git clone -q --bare "$R" "$O"
cp "$R.key" "$O.key"
tree=$(git -C "$O" ls-tree main | grep -v '	\.envdrift$' | git -C "$O" mktree)
c=$(git -C "$O" commit-tree -p main -m "collect from an older release" "$tree")
git -C "$O" update-ref refs/heads/main "$c"
git -C "$O" config envdrift.version 1
"$ENVDRIFT" report --repo "$O" >"$TMP/before"
check "an old repository takes a write" \
	"$ENVDRIFT" collect --repo "$O" --root "$TMP/root" --env prod --host p1 --config "$TMP/small.yaml"
git -C "$O" log --format=%s -3 main >"$TMP/log"
expect_grep "the write made a format commit first" "^envdrift: record the repository format" "$TMP/log"
expect_eq "format commit + the write" "$(git -C "$O" rev-list --count "$c"..main)" "2"
expect_eq "the format commit changes only .envdrift/" \
	"$(git -C "$O" diff --name-only "$c" main~1 | sed 's|/.*||' | sort -u)" ".envdrift"
"$ENVDRIFT" report --repo "$O" >"$TMP/after"
scans() { sed -n 's/.*since [0-9-]* (\([0-9]*\) scans*).*/\1/p' "$1" | tr '\n' ' '; }
expect_eq "drift ages count the write as one scan, the format commit as none" \
	"$(scans "$TMP/after")" "$(for n in $(scans "$TMP/before"); do printf '%s ' $((n + 1)); done)"

# a non-bare clone behind its origin says so, and reads its main
git -C "$TMP/work" fetch -q origin
"$ENVDRIFT" status --repo "$TMP/work" >"$TMP/out" 2>"$TMP/err"
expect_grep "behind origin/main: a note" "note: .*main is [0-9]+ commits? behind origin/main" "$TMP/err"
expect_no_grep "status still reads main (no p3 yet... it was written to the bare clone)" "p3" "$TMP/out"

# not a state repository
git init -q --bare "$TMP/plain"
git -C "$TMP/plain" commit-tree -m x "$(git -C "$TMP/plain" mktree </dev/null)" >/dev/null
expect_exit 2 "an empty git repository is not a state repository" "$ENVDRIFT" status --repo "$TMP/plain"
expect_grep "and says why" "not an envdrift state repository" "$TMP/err"

# two writers whose settings differ are never combined by a push
git clone -q --bare "$R" "$TMP/server.git"
for w in wa wb; do
	git clone -q --bare "$TMP/server.git" "$TMP/$w"
	cp "$R.key" "$TMP/$w.key"
done
printf 'files:\n  content-max: 8192\n' >"$TMP/other.yaml"
check "writer A adopts other settings and pushes" sh -c '"$0" collect -q --repo "$1/wa" --root "$1/root" --env prod --host p1 --config "$1/other.yaml" --adopt-settings && "$0" push --repo "$1/wa" origin' "$ENVDRIFT" "$TMP"
check "writer B collects under the settings it has" \
	"$ENVDRIFT" collect -q --repo "$TMP/wb" --root "$TMP/root" --env prod --host p2 --config "$TMP/small.yaml"
expect_exit 2 "B's push is refused (an error, as for unrelated histories), not rebuilt on A's" "$ENVDRIFT" push --repo "$TMP/wb" origin
expect_grep "... naming the settings" "records other settings than ours.*content-max" "$TMP/err"
expect_eq "the server keeps A's commit" "$(git -C "$TMP/server.git" rev-parse main)" "$(git -C "$TMP/wa" rev-parse main)"
fsck_ok "$TMP/server.git"

for r in "$R" "$TMP/bare" "$TMP/mirror" "$O"; do fsck_ok "$r"; done
finish
