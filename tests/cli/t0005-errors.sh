#!/bin/sh
# Bad input: one line naming the problem, exit 2, and no commit.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
new_repo "$TMP/state"
R="$TMP/state"
check "baseline collect" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1
before=$(git -C "$R" rev-parse main)

expect_exit 2 "missing root" "$ENVDRIFT" collect --repo "$R" --root "$TMP/nope" --host h1
expect_grep "names the root" "root '.*nope'" "$TMP/err"
expect_eq "one-line message" "$(wc -l < "$TMP/err")" "1"

expect_exit 2 "not a repository" "$ENVDRIFT" collect --repo "$TMP/root" --root "$TMP/root" --host h1
expect_grep "says not an envdrift repository" "not an envdrift state repository" "$TMP/err"
git init -q "$TMP/plain"
expect_exit 2 "plain git repository is not an envdrift one" "$ENVDRIFT" collect --repo "$TMP/plain" --root "$TMP/root" --host h1
expect_grep "says no envdrift.version" "not an envdrift state repository" "$TMP/err"

printf 'files:\n  include:\n    - /etc/**\n  exclude: [a, b\n' > "$TMP/bad.yaml"
expect_exit 2 "YAML syntax error" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1 --config "$TMP/bad.yaml"
expect_grep "error has file:line:col" "bad\.yaml:[0-9]+:[0-9]+: " "$TMP/err"
printf 'collectors:\n  packages: true\n  sysctl: maybe\n' > "$TMP/bad2.yaml"
expect_exit 2 "YAML type error" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1 --config "$TMP/bad2.yaml"
expect_grep "type error at 3:11" "bad2\.yaml:3:11: sysctl: want true or false" "$TMP/err"
printf 'colectors:\n  packages: true\n' > "$TMP/bad3.yaml"
expect_exit 2 "unknown key" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1 --config "$TMP/bad3.yaml"
expect_grep "unknown key at 1:1" "bad3\.yaml:1:1: unknown key 'colectors'" "$TMP/err"

cp "$TMP/root/var/lib/dpkg/status" "$TMP/status.good"
printf 'Package: broken\nthis line is not a field\n' >> "$TMP/root/var/lib/dpkg/status"
expect_exit 2 "malformed dpkg status" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1
expect_grep "names status file and line" "var/lib/dpkg/status:[0-9]+: " "$TMP/err"
cp "$TMP/status.good" "$TMP/root/var/lib/dpkg/status"

expect_exit 2 "bad host name" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host 'a b'
expect_exit 2 "bad env name" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1 --env '../x'
rm "$TMP/root/etc/hostname"
expect_exit 2 "no hostname in root and no --host" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root"
expect_grep "asks for --host" "give --host" "$TMP/err"
echo "garbage" > "$TMP/badkey"
expect_exit 2 "malformed key" "$ENVDRIFT" collect --repo "$R" --root "$TMP/root" --host h1 --key "$TMP/badkey"
expect_grep "names the key" "badkey: not an envdrift key" "$TMP/err"
expect_eq "no commit was made by any failure" "$(git -C "$R" rev-parse main)" "$before"

# options may follow operands and come in any order
expect_exit 2 "stray operand is refused" "$ENVDRIFT" collect --repo "$R" extra --host h1 --root "$TMP/root"
fsck_ok "$R"
finish
