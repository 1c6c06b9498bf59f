#!/bin/sh
# What a newcomer meets first: a parity environment missing from the
# repository (an error for check unless --allow-missing-env, a note for
# report), collect --root on an empty, mistyped or wiped root, and
# doc/demo.sh (make demo without the install and the build).
. "$(dirname "$0")/test-lib.sh"
SRC=$(cd "$TESTS_DIR/../.." && pwd)

mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
R=$TMP/state
new_repo "$R"
col() { "$ENVDRIFT" collect -q --repo "$R" --root "$1" --env "$2" --host "$3" --role web; }
check "collect staging" col "$TMP/a" staging stg-1
check "collect prod" col "$TMP/b" prod prd-1

# -- a parity environment with no host --
B=$TMP/parity.yaml
cat >"$B" <<'YAML'
parity:
  - environments: [staging, prod]
  - environments: [dev, staging]
    severity: info
  - environments: [staging, qa, prod]
YAML
expect_exit 2 "check: a missing parity environment is an error" "$ENVDRIFT" check --repo "$R" --baseline "$B"
expect_grep "the error names the baseline file:line and the environment" \
	"^envdrift: .*parity\.yaml:3: parity environment 'dev' has no host in the state repository$" "$TMP/err"
expect_eq "the error is one line" "$(wc -l <"$TMP/err")" 1
expect_eq "no report on stdout" "$(wc -c <"$TMP/out")" 0

expect_exit 1 "check --allow-missing-env: the pairs that exist are compared" \
	"$ENVDRIFT" check --repo "$R" --baseline "$B" --allow-missing-env
expect_grep "a note names the dev entry" "^check: note: .*parity\.yaml:3: parity environment 'dev' has no host in the state repository: not compared$" "$TMP/err"
expect_grep "a note names qa's entry" "^check: note: .*parity\.yaml:5: parity environment 'qa' has no host" "$TMP/err"
expect_eq "two notes" "$(grep -c ': note: ' "$TMP/err")" 2
expect_grep "the verdict still comes" "^check: FAILED" "$TMP/err"
expect_grep "staging..prod compared" "changed +packages:openssl:amd64" "$TMP/out"
expect_eq "staging against prod twice (the first entry, and past qa in the third)" \
	"$(grep -c 'drift between staging and prod' "$TMP/out")" 2

# only missing environments: nothing compared, pins and stale hosts remain
printf 'parity:\n  - environments: [dev, qa]\n' >"$TMP/only-missing.yaml"
expect_exit 0 "check --allow-missing-env with every parity environment missing passes" \
	"$ENVDRIFT" check --repo "$R" --baseline "$TMP/only-missing.yaml" --allow-missing-env
expect_grep "and says it compared none of them" "only-missing\.yaml:2: parity environment 'dev'" "$TMP/err"

expect_exit 0 "report: a missing environment is a note" "$ENVDRIFT" report --repo "$R" --baseline "$B" --format json
expect_grep "report's note on stderr" "^report: note: .*parity\.yaml:3: parity environment 'dev' has no host" "$TMP/err"
expect_grep "report has the pairs that exist" '"compared": \["staging", "prod"\]' "$TMP/out"
expect_exit 2 "report has no --allow-missing-env (it needs none)" \
	"$ENVDRIFT" report --repo "$R" --baseline "$B" --allow-missing-env
# diff compares its operands; parity entries do not matter to it
expect_exit 1 "diff with the same baseline compares its operands" "$ENVDRIFT" diff --repo "$R" --baseline "$B" staging prod
expect_no_grep "diff notes nothing about dev" "dev" "$TMP/err"
expect_exit 2 "an operand that matches nothing stays an error" "$ENVDRIFT" diff --repo "$R" staging dev
expect_grep "naming it" "'dev' matches no environment or host" "$TMP/err"
expect_exit 2 "check A B with a typo stays an error" "$ENVDRIFT" check --repo "$R" --allow-missing-env staging prdo
"$ENVDRIFT" check --help >"$TMP/help"
expect_grep "check --help lists --allow-missing-env" "--allow-missing-env" "$TMP/help"

# -- collect --root: empty, mistyped, wiped --
mkdir "$TMP/empty"
expect_exit 2 "collect --root on an empty directory" "$ENVDRIFT" collect --repo "$R" --root "$TMP/empty" --host e-1
expect_grep "names the root" "^envdrift: root '$TMP/empty' has no package database \(dpkg, rpm, apk\) and no etc/" "$TMP/err"
expect_eq "one line" "$(wc -l <"$TMP/err")" 1
expect_exit 2 "collect --root on a mistyped directory" "$ENVDRIFT" collect --repo "$R" --root "$TMP/emtpy" --host e-1
expect_grep "names it" "root '$TMP/emtpy'" "$TMP/err"
expect_eq "nothing was recorded" "$(git -C "$R" ls-tree -r --name-only main | grep -c '/e-1/')" 0
mkdir -p "$TMP/dpkg-only/var/lib/dpkg"
cp "$TMP/a/var/lib/dpkg/status" "$TMP/dpkg-only/var/lib/dpkg/"
check "a root with only a dpkg database is a root" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/dpkg-only" --host d-1
mkdir -p "$TMP/apk-only/lib/apk/db"
printf 'P:musl\nV:1.2.4-r2\nA:x86_64\n\n' >"$TMP/apk-only/lib/apk/db/installed"
check "a root with only an apk database is a root" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/apk-only" --host k-1

# a root whose etc/ is there but empty would wipe a host that had files
mkdir -p "$TMP/wiped/etc"
tip=$(git -C "$R" rev-parse main)
expect_exit 2 "a collection that empties prd-1 is refused" "$ENVDRIFT" collect --repo "$R" --root "$TMP/wiped" --env prod --host prd-1 --role web
expect_grep "it says what it would have lost" "^envdrift: $TMP/wiped: no files and no packages, where host 'prd-1' had [1-9][0-9]* files and [1-9][0-9]* packages: refused \(--allow-empty records it\)$" "$TMP/err"
expect_eq "nothing committed" "$(git -C "$R" rev-parse main)" "$tip"
check "--allow-empty records it" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/wiped" --env prod --host prd-1 --role web --allow-empty
expect_eq "prd-1 now has no file but /etc" "$(git -C "$R" show main:hosts/prod/prd-1/files)" "/etc dir 0755 0:0 0:0"
check "a new host from an empty etc/ is no loss" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/wiped" --host new-1
check "a full collection over it is fine" col "$TMP/b" prod prd-1
fsck_ok "$R"

# -- make demo's script --
mkdir -p "$TMP/demo-tmp"
expect_exit 0 "doc/demo.sh runs" env TMPDIR="$TMP/demo-tmp" sh "$SRC/doc/demo.sh" "$ENVDRIFT" "$TMP/demo/state"
expect_grep "the diff shows the edited config line" "changed +files:/etc/(login\.defs|environment)" "$TMP/out"
expect_grep "the upgraded package, newer on staging" "changed +packages:.*\(newer: staging\)" "$TMP/out"
expect_grep "the removed package" "extra +packages:" "$TMP/out"
expect_grep "the sysctl" "changed +sysctl:vm\.swappiness +staging=10" "$TMP/out"
expect_grep "the verdict and its exit status" "^exit 1: staging drifted from prod" "$TMP/out"
expect_grep "where the report is" "^Open /.*state\.report\.html in a browser" "$TMP/out"
expect_grep "the report is HTML" "<html" "$TMP/demo/state.report.html"
expect_eq "the edited copy is gone" "$(ls -A "$TMP/demo-tmp")" ""
finish
