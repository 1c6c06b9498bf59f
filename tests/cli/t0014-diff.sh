#!/bin/sh
# envdrift diff: environments per role (consensus and outliers), hosts,
# and a host against its own past; exit 0 no drift, 1 drift, 2 error.
. "$(dirname "$0")/test-lib.sh"
need_tool python3 xmllint

mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
cp -a "$TMP/b" "$TMP/c"
echo 5 > "$TMP/c/proc/sys/vm/swappiness"
new_repo "$TMP/state"
R="$TMP/state"
col() { "$ENVDRIFT" collect -q --repo "$R" --root "$1" --env "$2" --host "$3" --role web; }
col "$TMP/a" staging stg-1
col "$TMP/a" staging stg-2
col "$TMP/b" prod prd-1
col "$TMP/b" prod prd-2
col "$TMP/c" prod prd-3

expect_exit 1 "environments with drift exit 1" "$ENVDRIFT" diff --repo "$R" staging prod
expect_grep "package drift with the newer side" "changed +packages:openssl:amd64 +staging=3\.0\.[0-9].* +prod=3\.0\.13-1~deb12u1 +\(newer: staging\)" "$TMP/out"
expect_grep "outlier inside prod" "outlier +sysctl:vm\.swappiness +prd-3 \(prod\) has 5, the other 2 of 3 have " "$TMP/out"
expect_grep "grouped by role" "^role web" "$TMP/out"
today=$(date -u +%Y-%m-%d)
expect_grep "outlier has its age" "prd-3 \(prod\) has 5.* since $today \(1 scan\)" "$TMP/out"
expect_grep "package drift has its age (three prod collects)" "packages:openssl:amd64 .* since $today \(3 scans\)" "$TMP/out"
expect_no_grep "identical facts are not drift" "sshd_config" "$TMP/out"

expect_exit 1 "json format" "$ENVDRIFT" diff --repo "$R" --format json staging prod
expect_grep "json schema and operands" '^\{"schema": 1, "compared": \["staging", "prod"\]' "$TMP/out"
expect_grep "json item" '"collector": "packages", "key": "openssl:amd64", "kind": "changed", "fact_group": 1, "role": "web", "values": \{"staging": "3\.0\.[^"]*", "prod": "3\.0\.13-1~deb12u1"\}, "newer": "staging"' "$TMP/out"
expect_grep "json hosts by value" '"3\.0\.13-1~deb12u1": \["prd-1", "prd-2", "prd-3"\]' "$TMP/out"
cp "$TMP/out" "$TMP/report.json"
check "json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["drift"] == len(d["drift"])' "$TMP/report.json"

expect_exit 0 "identical hosts exit 0" "$ENVDRIFT" diff --repo "$R" stg-1 stg-2
expect_grep "one-line no drift" "^no drift between stg-1 and stg-2" "$TMP/out"
expect_eq "nothing else printed" "$(wc -l < "$TMP/out")" "1"
expect_exit 1 "host against host" "$ENVDRIFT" diff --repo "$R" host:stg-1 host:prd-3
expect_grep "host diff has the sysctl" "changed +sysctl:vm\.swappiness" "$TMP/out"

echo 7 > "$TMP/c/proc/sys/vm/swappiness"
col "$TMP/c" prod prd-3
expect_exit 1 "a host against its own past" "$ENVDRIFT" diff --repo "$R" prd-3@main~1 prd-3
expect_grep "past value and present value" "changed +sysctl:vm\.swappiness +prd-3@main~1=5 +prd-3=7" "$TMP/out"
expect_exit 0 "NAME@DATE resolves to the last commit of that day" "$ENVDRIFT" diff --repo "$R" "prd-3@$today" prd-3
expect_exit 2 "a date before any collection" "$ENVDRIFT" diff --repo "$R" "prd-3@2000-01-01" prd-3
expect_grep "says so" "no collection at or before 2000-01-01" "$TMP/err"
# per-host facts (SSH host keys) are never compared between two hosts by
# the built-in rules; a baseline adds rules, "!" re-includes
mkroot "$TMP/d"
col "$TMP/d" other oth-1
expect_exit 1 "hosts with different keys" "$ENVDRIFT" diff --repo "$R" stg-1 oth-1
expect_no_grep "SSH host keys are not drift" "ssh_host_" "$TMP/out"
expect_grep "another private key is" "files:/etc/ssl/private/app\.pem" "$TMP/out"
printf 'ignore:\n  - "files:/etc/ssl/**"\n  - "files:/etc/app/embedded-key.txt"\nper-host:\n  - "!files:/etc/ssh/ssh_host_ed25519_key"\n' > "$TMP/bl.yaml"
expect_exit 1 "with a baseline" "$ENVDRIFT" diff --repo "$R" --baseline "$TMP/bl.yaml" stg-1 oth-1
expect_no_grep "baseline ignores /etc/ssl" "files:/etc/ssl/" "$TMP/out"
expect_grep "! re-includes one host key" "files:/etc/ssh/ssh_host_ed25519_key " "$TMP/out"
expect_no_grep "the .pub stays ignored" "ssh_host_ed25519_key\.pub" "$TMP/out"
# ... but compared for the same host over time: a host key that changes
# on one host is reported, critical by the built-in rules (issue 11)
c0=$(git -C "$R" rev-parse main)
rm -f "$TMP/d/etc/ssh/ssh_host_ed25519_key" "$TMP/d/etc/ssh/ssh_host_ed25519_key.pub"
ssh-keygen -q -t ed25519 -N '' -C rekeyed -f "$TMP/d/etc/ssh/ssh_host_ed25519_key" </dev/null
col "$TMP/d" other oth-1
expect_exit 1 "a host's own key changed over time is drift" "$ENVDRIFT" diff --repo "$R" --color never "oth-1@$c0" oth-1
expect_grep "the private key, critical" "files:/etc/ssh/ssh_host_ed25519_key .*\[critical\]" "$TMP/out"
expect_grep "and the public key" "files:/etc/ssh/ssh_host_ed25519_key\.pub " "$TMP/out"
expect_exit 1 "two different hosts still differ only by what is not per host" "$ENVDRIFT" diff --repo "$R" stg-1 oth-1
expect_no_grep "their host keys are not compared" "ssh_host_" "$TMP/out"
printf 'pins:\n  - x\n' > "$TMP/bad.yaml"
expect_exit 2 "malformed pin" "$ENVDRIFT" diff --repo "$R" --baseline "$TMP/bad.yaml" stg-1 oth-1
expect_grep "says where and what" "bad\.yaml:2:5: pins: want" "$TMP/err"
printf 'frobnicate: 1\n' > "$TMP/bad2.yaml"
expect_exit 2 "unknown baseline key" "$ENVDRIFT" diff --repo "$R" --baseline "$TMP/bad2.yaml" stg-1 oth-1
expect_grep "names the key" "bad2\.yaml:1:1: 'frobnicate' is not a baseline key" "$TMP/err"

# several outputs in one run, config content diffs, the patch format
sed -i 's/^#\?MaxAuthTries.*/MaxAuthTries 2/' "$TMP/c/etc/ssh/sshd_config"
col "$TMP/c" prod prd-3
expect_exit 1 "several outputs" "$ENVDRIFT" diff --repo "$R" --format text --format "json:$TMP/d.json" --format "junit:$TMP/d.xml" --format "patch:$TMP/d.patch" stg-1 prd-3
expect_grep "text on stdout" "changed +sysctl:vm\.swappiness" "$TMP/out"
expect_grep "content diff in the text report" "^ +\+MaxAuthTries 2$" "$TMP/out"
expect_grep "json file written" '"schema": 1' "$TMP/d.json"
expect_grep "json carries the diff" '"diff": "diff --git' "$TMP/d.json"
check "junit file validates" xmllint --noout --schema "$FIXTURES/reports/junit.xsd" "$TMP/d.xml"
expect_grep "junit: a passing testcase per clean collector" '<testcase classname="hosts" name="os-release"/>' "$TMP/d.xml"
expect_grep "junit: a failure for the drifting one" '<failure message="sysctl:vm\.swappiness changed"' "$TMP/d.xml"
expect_grep "patch: facts as a unified diff" "^\+sysctl:vm\.swappiness = 7$" "$TMP/d.patch"
expect_grep "patch: the config file diff" "^\+MaxAuthTries 2$" "$TMP/d.patch"
check "the patch is what git apply --stat can read" git apply --stat "$TMP/d.patch"
expect_exit 2 "unknown format" "$ENVDRIFT" diff --repo "$R" --format yaml stg-1 prd-3
expect_no_grep "no secret content diffs" "hunter2" "$TMP/d.patch"

expect_exit 2 "unknown operand" "$ENVDRIFT" diff --repo "$R" nosuch prod
expect_grep "names the operand" "'nosuch' matches no environment or host" "$TMP/err"
expect_exit 2 "env: forces an environment" "$ENVDRIFT" diff --repo "$R" env:stg-1 prod
expect_exit 2 "one operand is a usage error" "$ENVDRIFT" diff --repo "$R" prod
expect_exit 2 "--hosts takes all or deviating" "$ENVDRIFT" diff --repo "$R" --hosts some staging prod
expect_grep "... says so" "--hosts takes all or deviating" "$TMP/err"
expect_exit 1 "--hosts all" "$ENVDRIFT" diff --repo "$R" --hosts all staging prod
expect_exit 1 "-v" "$ENVDRIFT" diff --repo "$R" -v staging prod
finish
