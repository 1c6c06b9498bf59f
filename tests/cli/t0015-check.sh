#!/bin/sh
# envdrift check (the pre-deploy gate), explain and accept: parity per
# role, severities, pins, waivers with expiry, stale hosts.
. "$(dirname "$0")/test-lib.sh"
need_tool python3 xmllint

mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
new_repo "$TMP/state"
R="$TMP/state"
col() { "$ENVDRIFT" collect -q --repo "$R" --root "$1" --env "$2" --host "$3" --role web; }
col "$TMP/a" staging stg-1
col "$TMP/b" prod prd-1
col "$TMP/b" prod prd-2
B="$TMP/parity.yaml"
cat > "$B" <<'YAML'
# staging and prod must match for web servers
parity:
  - environments: [staging, prod]
    roles: [web]
severity:
  packages: critical
  sysctl: warning
pins:
  - "packages:openssl:amd64 >= 3.0.15"
  - "sysctl:net.ipv4.ip_forward = 0"
  - "packages:telnetd:* absent"
YAML
expect_exit 1 "drift fails the gate" "$ENVDRIFT" check --repo "$R" --baseline "$B"
expect_grep "parity drift" "changed +packages:openssl:amd64" "$TMP/out"
expect_grep "it is critical" "critical" "$TMP/out"
expect_grep "pin violation per host" "pin .*packages:openssl:amd64.*prd-1" "$TMP/out"
expect_grep "verdict line on stderr" "^check: FAILED \(fail on info\)" "$TMP/err"
expect_exit 1 "json output" "$ENVDRIFT" check --repo "$R" --baseline "$B" --format json
cp "$TMP/out" "$TMP/check.json"
expect_grep "one report: parity drift and the pins together" '"summary": \{"hosts": 3, "drift": 3, .*"pin": 2, .*"critical": 3' "$TMP/check.json"
expect_grep "verdict on stderr when stdout is json" "^check: FAILED" "$TMP/err"
check "check json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["critical"] == 3' "$TMP/check.json"
expect_exit 1 "several outputs from check" "$ENVDRIFT" check --repo "$R" --baseline "$B" --format text --format "junit:$TMP/gate.xml" --format "html:$TMP/gate.html"
check "gate junit validates" xmllint --noout --schema "$FIXTURES/reports/junit.xsd" "$TMP/gate.xml"
expect_grep "junit has a failure per drift" "<failure " "$TMP/gate.xml"
expect_grep "html written" "<html" "$TMP/gate.html"

check "explain names the rules" "$ENVDRIFT" explain --baseline "$B" packages:openssl:amd64
expect_grep "severity rule with its line" "parity\.yaml:6: severity critical" "$TMP/out"
expect_grep "pin with its line" "parity\.yaml:9: pinned: packages:openssl:amd64 >= 3\.0\.15" "$TMP/out"
check "explain a built-in per-host rule" "$ENVDRIFT" explain files:/etc/machine-id
expect_grep "built-in rule" "diff-defaults\.yaml:[0-9]+: per host, compared only with the same host over time: files:/etc/machine-id" "$TMP/out"

next=$(( $(date -u +%Y) + 1 ))-01-31
check "accept the parity drift in prod" "$ENVDRIFT" accept --baseline "$B" --reason "openssl rollout in progress" --expires "$next" --env prod packages:openssl:amd64
W="$TMP/parity.waivers.yaml"
expect_grep "waiver appended" 'key: "packages:openssl:amd64"' "$W"
expect_grep "with its reason" 'reason: "openssl rollout in progress"' "$W"
echo "# a hand-written comment survives" >> "$W"
check "accept another (host scope)" "$ENVDRIFT" accept --baseline "$B" --reason "legacy box" --expires "$next" --host prd-1 "packages:openssl:*"
expect_grep "comment kept" "hand-written comment survives" "$W"
expect_exit 1 "pins on prd-2 still fail" "$ENVDRIFT" check --repo "$R" --baseline "$B" --format json
expect_grep "parity item waived" '"waived": true' "$TMP/out"
expect_exit 2 "accept refuses a past date" "$ENVDRIFT" accept --baseline "$B" --reason x --expires 2001-01-01 packages:x:amd64

col "$TMP/a" prod prd-1
col "$TMP/a" prod prd-2
expect_exit 0 "no drift passes" "$ENVDRIFT" check --repo "$R" --baseline "$B"
expect_grep "passed" "^check: passed" "$TMP/err"
sleep 2
expect_exit 2 "stale hosts are an error with --max-age (2 wins over 1)" "$ENVDRIFT" check --repo "$R" --baseline "$B" --max-age 1s
expect_grep "verdict names the stale hosts" "^check: ERROR: 3 hosts not collected within --max-age" "$TMP/err"
expect_grep "stale item" "stale +hosts:prd-1" "$TMP/out"
expect_grep "with when it was last collected" "last collected 20[0-9-]+T[0-9:]+Z, older than --max-age" "$TMP/out"
expect_exit 0 "a generous --max-age passes" "$ENVDRIFT" check --repo "$R" --baseline "$B" --max-age 26h

printf 'waivers:\n  - key: "sysctl:*"\n    reason: old\n    expires: 2000-01-01\n' >> "$W"
expect_exit 2 "a waivers file that does not parse is an error" "$ENVDRIFT" check --repo "$R" --baseline "$B"
expect_grep "names the waivers file" "parity\.waivers\.yaml:[0-9]+:[0-9]+: " "$TMP/err"
printf 'waivers:\n  - key: "packages:openssl:amd64"\n    reason: old\n    expires: 2000-01-01\n' > "$W"
col "$TMP/b" prod prd-2
expect_exit 1 "an expired waiver lets the drift count again" "$ENVDRIFT" check --repo "$R" --baseline "$B"
expect_grep "says it expired" "expired on 2000-01-01" "$TMP/out"

# report: never fails; --commit puts it on refs/heads/reports as files
expect_exit 0 "report does not gate" "$ENVDRIFT" report --repo "$R" --baseline "$B"
expect_grep "report prints the drift" "packages:openssl:amd64" "$TMP/out"
check "report --commit" "$ENVDRIFT" report --repo "$R" --baseline "$B" --commit
expect_grep "says it committed" "committed [0-9a-f]+ \(reports/\)" "$TMP/out"
git -C "$R" ls-tree --name-only main:reports > "$TMP/rfiles"
expect_grep "markdown report per pair" "^staging\.\.prod\.md$" "$TMP/rfiles"
expect_grep "json report per pair" "^staging\.\.prod\.json$" "$TMP/rfiles"
git -C "$R" log -1 --format=%B main > "$TMP/rmsg"
expect_grep "trailer marks it a report" "^Envdrift-Kind: report$" "$TMP/rmsg"
git -C "$R" show main:reports/staging..prod.json > "$TMP/rjson"
expect_no_grep "no run ids in the committed json" '"commits"|"scans"' "$TMP/rjson"
expect_grep "the since date and commit are there" '"since": \{"date": "[0-9-]+", "commit": "[0-9a-f]{40}"\}' "$TMP/rjson"
before=$(git -C "$R" rev-parse main)
check "an unchanged state" "$ENVDRIFT" report --repo "$R" --baseline "$B" --commit
expect_grep "unchanged report: no commit" "unchanged since the last report" "$TMP/out"
expect_eq "branch did not move" "$(git -C "$R" rev-parse main)" "$before"
col "$TMP/a" prod prd-2
ENVDRIFT_BASELINE="$B" check "a report after a fix (baseline from ENVDRIFT_BASELINE)" "$ENVDRIFT" report --repo "$R" --commit
git -C "$R" log -p -1 main -- reports/ > "$TMP/rlog"
expect_grep "git log -p reports/ shows the drift going" "^-.*prd-2" "$TMP/rlog"
"$ENVDRIFT" status --repo "$R" > "$TMP/st"
expect_grep "a report is not a scan: status still lists the hosts" "prd-2" "$TMP/st"
fsck_ok "$R"
# two parity entries on one pair: one report file each, none overwritten
cp "$B" "$TMP/two.yaml"
printf '  - environments: [staging, prod]\n    severity: critical\n' >"$TMP/two.part"
sed -i "/^    roles: \[web\]$/r $TMP/two.part" "$TMP/two.yaml"
check "report --commit, two parity entries on one pair" "$ENVDRIFT" report --repo "$R" --baseline "$TMP/two.yaml" --commit
git -C "$R" ls-tree --name-only main:reports > "$TMP/rfiles"
expect_grep "the second entry's report beside the first" "^staging\.\.prod\.2\.md$" "$TMP/rfiles"
expect_grep "... in json too" "^staging\.\.prod\.2\.json$" "$TMP/rfiles"
expect_eq "four report files" 4 "$(wc -l <"$TMP/rfiles" | tr -d ' ')"
fsck_ok "$R"

# zero configuration: check A B without a baseline, --fail-on
col "$TMP/b" prod prd-1
col "$TMP/b" prod prd-2
expect_exit 1 "check A B without a baseline" "$ENVDRIFT" check --repo "$R" staging prod
expect_grep "compares the two operands" "drift between staging and prod" "$TMP/out"
expect_exit 0 "check A B of identical hosts" "$ENVDRIFT" check --repo "$R" prd-1 prd-2
expect_exit 2 "check without operands or baseline" "$ENVDRIFT" check --repo "$R"
expect_exit 1 "diff --fail-on warning still fails on a warning" "$ENVDRIFT" diff --repo "$R" --fail-on warning staging prod
expect_exit 0 "diff --fail-on critical passes warnings" "$ENVDRIFT" diff --repo "$R" --fail-on critical staging prod

printf 'parity:\n  - environments: [only-one]\n' > "$TMP/bad.yaml"
expect_exit 2 "bad baseline" "$ENVDRIFT" check --repo "$R" --baseline "$TMP/bad.yaml"
expect_grep "file:line:col" "bad\.yaml:2:19: parity: name at least two environments" "$TMP/err"
expect_exit 2 "check needs a baseline or operands" "$ENVDRIFT" check --repo "$R"
finish
