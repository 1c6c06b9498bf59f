#!/bin/sh
# Drift as a metric: check/report --format prometheus[:FILE] read by
# prometheus_client's own text parser (names, types, label sets, values
# against drift made here), written atomically for node_exporter's
# textfile collector (a temporary name not ending in .prom, fsync, rename:
# seen with strace, and by a reader racing the writer), the
# Envdrift-Duration trailer (an old commit without it: no duration
# series), and report --commit counting waived items as check does.
. "$(dirname "$0")/test-lib.sh"

# Debian's python3 (python3-prometheus-client), not one earlier in PATH
PY=/usr/bin/python3
check "strace is installed (make deps-test)" strace -V
check "python3-prometheus-client is installed (make deps-test)" \
	"$PY" -c 'import prometheus_client.parser'

mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
R="$TMP/state"
new_repo "$R"
col() { "$ENVDRIFT" collect -q --repo "$R" --root "$1" --env "$2" --host "$3" --role web; }
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid

# dev-1 first, its commit then re-made 10 days old and without the
# Envdrift-Duration trailer, as commits made before the trailer are
col "$TMP/a" dev dev-1
git -C "$R" log -1 --format=%B main >"$TMP/msg"
expect_grep "collect commits carry Envdrift-Duration" '^Envdrift-Duration: [0-9]+\.[0-9]{3}$' "$TMP/msg"
OLD=$(($(date +%s) - 10 * 86400))
grep -v '^Envdrift-Duration: ' "$TMP/msg" >"$TMP/msg.old"
c=$(GIT_COMMITTER_DATE="@$OLD +0000" GIT_AUTHOR_DATE="@$OLD +0000" git -C "$R" commit-tree "main^{tree}" -F "$TMP/msg.old")
check "dev-1's commit re-made old, without the trailer" git -C "$R" update-ref refs/heads/main "$c"
col "$TMP/a" staging stg-1
col "$TMP/b" prod prd-1
col "$TMP/b" prod prd-2
PROD_TIME=$(git -C "$R" log -1 --format=%ct main)
# a scan that failed two hosts (one never collected), with a state that
# needs escaping: quote, backslash, invalid UTF-8, a control byte
printf 'scan inv.yaml: 0 of 3 hosts collected\n\nEnvdrift-Failed: prod/prd-2: unreachable: connection refused\nEnvdrift-Failed: staging/stg-9: auth failed: no key accepted\nEnvdrift-Failed: staging/stg-1: odd "st\\ate\377\001: x\nEnvdrift-Scan: 0 collected, 3 failed\n' >"$TMP/scan.msg"
# (hash-object: commit-tree would re-encode the invalid byte as Latin-1)
printf 'tree %s\nparent %s\nauthor t <t@example.invalid> %s +0000\ncommitter t <t@example.invalid> %s +0000\n\n' \
	"$(git -C "$R" rev-parse "main^{tree}")" "$(git -C "$R" rev-parse main)" "$PROD_TIME" "$PROD_TIME" >"$TMP/scan.commit"
cat "$TMP/scan.msg" >>"$TMP/scan.commit"
c=$(git -C "$R" hash-object -t commit -w "$TMP/scan.commit")
check "a failed scan's commit" git -C "$R" update-ref refs/heads/main "$c"
B="$TMP/parity.yaml"
cat >"$B" <<'YAML'
parity:
  - environments: [staging, prod]
    roles: [web]
severity:
  packages: critical
pins:
  - "packages:openssl:amd64 >= 3.0.15"
YAML
expect_exit 1 "the drift fails check" "$ENVDRIFT" check --repo "$R" --baseline "$B"
expect_grep "parity drift" "changed +packages:openssl:amd64" "$TMP/out"
next=$(($(date -u +%Y) + 1))-01-31
check "waive the parity item" "$ENVDRIFT" accept --baseline "$B" --reason "rollout" --expires "$next" --env prod packages:openssl:amd64

D="$TMP/textfile"
mkdir "$D"
expect_exit 1 "check --format prometheus:FILE" "$ENVDRIFT" check --repo "$R" --baseline "$B" --format "prometheus:$D/check.prom"
expect_grep "the verdict line stays on stderr" "^check: FAILED" "$TMP/err"
expect_exit 1 "check --format prometheus (stdout) and text beside it" "$ENVDRIFT" check --repo "$R" --baseline "$B" --format prometheus --format "text:$TMP/check.txt"
cp "$TMP/out" "$TMP/stdout.prom"
expect_eq "stdout and FILE hold the same metrics" "$(cat "$TMP/stdout.prom")" "$(cat "$D/check.prom")"
expect_exit 2 "check --max-age 1d: dev-1 is stale" "$ENVDRIFT" check --repo "$R" --baseline "$B" --max-age 1d --format "prometheus:$D/stale.prom" --format "text:$TMP/stale.txt"
STALE_TEXT=$(grep -cE '^ +stale +hosts:' "$TMP/stale.txt")
expect_exit 0 "report --format prometheus:FILE" "$ENVDRIFT" report --repo "$R" --baseline "$B" --format "prometheus:$D/report.prom"
cp "$B" "$TMP/two.yaml"
printf '  - environments: [staging, prod]\n    severity: critical\n' >"$TMP/two.part"
sed -i "/^    roles: \[web\]$/r $TMP/two.part" "$TMP/two.yaml"
cp "$TMP/parity.waivers.yaml" "$TMP/two.waivers.yaml"
expect_exit 1 "two parity entries on one pair" "$ENVDRIFT" check --repo "$R" --baseline "$TMP/two.yaml" --format "prometheus:$D/two.prom"
expect_exit 1 "check A B (no baseline)" "$ENVDRIFT" check --repo "$R" staging prod --format "prometheus:$D/ab.prom"
expect_exit 1 "diff --format prometheus" "$ENVDRIFT" diff --repo "$R" staging prod --format prometheus
expect_grep "... the drift items" '^envdrift_drift_items\{a="staging",b="prod",collector="packages",severity="warning"\} 1$' "$TMP/out"
expect_no_grep "... and no fleet metrics (diff reads no hosts list)" '^envdrift_(hosts|check_status)' "$TMP/out"
expect_exit 2 "an unknown format lists prometheus" "$ENVDRIFT" report --repo "$R" --format yaml
expect_grep "... in the usage error" "prometheus" "$TMP/err"
ls "$D" >"$TMP/names"
expect_eq "no temporary file left" "ab.prom check.prom report.prom stale.prom two.prom" "$(tr '\n' ' ' <"$TMP/names" | sed 's/ $//')"

# one python3 run checks every file; it prints "ok|FAIL<TAB>what" lines
cat >"$TMP/check.py" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

d, prod_time, old_time, stale_text = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
checks = []
def ok(cond, what):
    checks.append(("ok" if cond else "FAIL", what))

def load(name):
    text = open(d + "/" + name, encoding="utf-8").read()
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    series = {}
    dup = False
    for f in fams.values():
        for s in f.samples:
            k = (s.name, tuple(sorted(s.labels.items())))
            dup = dup or k in series
            series[k] = s.value
    ok(not dup, name + ": no series twice")
    ok(text.endswith("\n") and "\n\n" not in text, name + ": whole lines, no blank line")
    return text, fams, series

def val(series, name, **labels):
    return series.get((name, tuple(sorted(labels.items()))))

DRIFT = ("envdrift_drift_items", "envdrift_drift_waived_items")
FLEET = ("envdrift_failed_hosts", "envdrift_hosts", "envdrift_last_scan_duration_seconds",
         "envdrift_last_scan_timestamp_seconds")
text, fams, s = load("check.prom")
ok(set(fams) == {"envdrift_check_status", *DRIFT, *FLEET}, "check.prom: the metric names (no stale hosts without --max-age): %s" % sorted(fams))
ok(all(f.type == "gauge" for f in fams.values()), "check.prom: every metric a gauge")
ok(all(f.documentation for f in fams.values()), "check.prom: every metric has HELP")
ok(not any(n.endswith("_total") for n in fams), "check.prom: no _total on gauges")
ok(val(s, "envdrift_check_status") == 1, "check.prom: envdrift_check_status 1 (drift)")
for n in DRIFT:
    ok(all(set(x.labels) == {"a", "b", "collector", "severity"} for x in fams[n].samples), n + ": labels a, b, collector, severity")
    ok(all(x.labels["severity"] in ("critical", "warning", "info") for x in fams[n].samples), n + ": severity values")
    ok(all((x.labels["a"], x.labels["b"]) == ("staging", "prod") for x in fams[n].samples), n + ": the pair staging, prod")
pkg = dict(a="staging", b="prod", collector="packages")
ok(val(s, "envdrift_drift_items", severity="critical", **pkg) == 2, "the two pin violations (prd-1, prd-2), critical")
ok(val(s, "envdrift_drift_waived_items", severity="critical", **pkg) == 1, "the waived parity item, critical")
ok(val(s, "envdrift_drift_items", severity="info", **pkg) == 0, "zeros for a compared collector's other severities")
ok(val(s, "envdrift_drift_waived_items", severity="warning", a="staging", b="prod", collector="sysctl") == 0, "zeros for a collector without drift")
ok(sum(x.value for x in fams["envdrift_drift_items"].samples) == 2, "no other drift items")
ok(all(set(x.labels) == {"env"} for n in FLEET[1:] for x in fams[n].samples), "fleet metrics: label env")
ok(val(s, "envdrift_hosts", env="dev") == 1 and val(s, "envdrift_hosts", env="prod") == 2, "hosts by env")
ok(val(s, "envdrift_hosts", env="staging") == 2, "staging: stg-1 and stg-9 (failed, never collected)")
ok(val(s, "envdrift_failed_hosts", env="prod", state="unreachable") == 1, "failed hosts: prod unreachable")
ok(val(s, "envdrift_failed_hosts", env="staging", state="auth failed") == 1, "failed hosts: staging auth failed (never collected)")
ok(val(s, "envdrift_failed_hosts", env="staging", state='odd "st\\ate\\xff\\x01') == 1, "a state label escaped (quote, backslash; invalid UTF-8 and control bytes as \\xNN)")
ok(len(fams["envdrift_failed_hosts"].samples) == 3, "three failed series")
ok(val(s, "envdrift_last_scan_timestamp_seconds", env="prod") == prod_time, "prod's last scan time: prd-2's commit")
ok(val(s, "envdrift_last_scan_timestamp_seconds", env="dev") == old_time, "dev's last scan time: the old commit")
ok(val(s, "envdrift_last_scan_duration_seconds", env="dev") is None, "no duration from a commit without the trailer")
dur = val(s, "envdrift_last_scan_duration_seconds", env="prod")
ok(dur is not None and 0 <= dur < 60, "prod's last scan duration in seconds: %s" % dur)
ok("envdrift_last_scan_timestamp_seconds{env=\"prod\"} %d\n" % prod_time in text, "timestamps written as whole unix seconds")
lines = [l for l in text.splitlines() if not l.startswith("#")]
ok(lines == sorted(lines, key=lambda l: (l.split("{")[0].split(" ")[0], l)), "series sorted by name, then labels")

text, fams, s2 = load("stale.prom")
ok(val(s2, "envdrift_check_status") == 2, "stale.prom: envdrift_check_status 2 (stale hosts)")
ok(fams["envdrift_stale_hosts"].type == "gauge", "stale.prom: envdrift_stale_hosts, a gauge")
ok(val(s2, "envdrift_stale_hosts", env="dev") == 1, "dev-1 stale (10 days, --max-age 1d)")
ok(val(s2, "envdrift_stale_hosts", env="prod") == 0, "prod: zero stale, not absent")
ok(sum(x.value for x in fams["envdrift_stale_hosts"].samples) == stale_text, "stale hosts as many as the text report's stale items (%d)" % stale_text)

text, fams, s3 = load("report.prom")
ok("envdrift_check_status" not in fams, "report.prom: no check status (report never gates)")
ok({k: v for k, v in s3.items() if k[0] in DRIFT} == {k: v for k, v in s.items() if k[0] in DRIFT}, "report.prom: the same drift series as check")

text, fams, s4 = load("two.prom")
ok(val(s4, "envdrift_drift_waived_items", severity="critical", **pkg) == 2, "two.prom: one pair's two reports add up in one series")

text, fams, s5 = load("ab.prom")
ok(val(s5, "envdrift_drift_items", severity="warning", **pkg) == 1, "ab.prom: check A B, the parity item without a baseline (warning)")
for st, what in checks:
    print(st + "\t" + what)
PY
"$PY" "$TMP/check.py" "$D" "$PROD_TIME" "$OLD" "$STALE_TEXT" >"$TMP/py.out" 2>"$TMP/py.err"
expect_eq "the python checks ran" "$?" 0
sed 's/^/#   /' "$TMP/py.err" | head -20
tab=$(printf '\t')
while IFS="$tab" read -r st what; do
	if [ "$st" = ok ]; then pass "$what"; else fail "$what"; fi
done <"$TMP/py.out"
expect_eq "every python check reported" "$(grep -c . "$TMP/py.out")" 48

# atomic: a new temporary file beside the target, not *.prom, flushed to
# disk, then renamed over it
strace -f -qq -e trace=openat,fsync,fdatasync,rename,renameat,renameat2 -o "$TMP/strace" \
	"$ENVDRIFT" check --repo "$R" --baseline "$B" --format "prometheus:$D/check.prom" >/dev/null 2>&1
grep -E "openat\(.*textfile/|fsync|rename" "$TMP/strace" | sed 's/^[0-9]* *//' >"$TMP/calls"
expect_grep "the temporary file: FILE.tmp.PID, created exclusively" "^openat\(AT_FDCWD, \"$D/check\.prom\.tmp\.[0-9]+\", O_WRONLY\|O_CREAT\|O_EXCL" "$TMP/calls"
expect_grep "renamed over check.prom" "^rename(at2?)?\(.*\"$D/check\.prom\.tmp\.[0-9]+\", .*\"$D/check\.prom\"" "$TMP/calls"
expect_eq "open, fsync, rename, in that order" "$(sed 's/(.*//; s/^renameat2*$/rename/; s/^fdatasync$/fsync/' "$TMP/calls" | tr '\n' ' ')" "openat fsync rename "
# a reader racing 20 writers only ever sees the whole document
cp "$D/check.prom" "$TMP/whole.prom"
(for _ in $(seq 20); do "$ENVDRIFT" check --repo "$R" --baseline "$B" --format "prometheus:$D/check.prom" >/dev/null 2>&1; done; touch "$TMP/writers.done") &
n=0 torn=0 names=
while [ ! -e "$TMP/writers.done" ] && [ "$n" -lt 5000 ]; do
	n=$((n + 1))
	cmp -s "$D/check.prom" "$TMP/whole.prom" || torn=$((torn + 1))
	names="$names $(cd "$D" && echo *.prom)"
done
wait
expect_eq "no read of a *.prom file saw a partial document ($n reads)" "$torn" 0
expect_eq "*.prom never named the temporary file" "$(echo "$names" | tr ' ' '\n' | sort -u | tr '\n' ' ')" " ab.prom check.prom report.prom stale.prom two.prom "
expect_eq "a rewrite of the same state is byte-identical" "$(cat "$D/check.prom")" "$(cat "$TMP/whole.prom")"
mkdir -p "$D/blocked.prom/x"
expect_exit 2 "a target that cannot be replaced is an error" "$ENVDRIFT" check --repo "$R" --baseline "$B" --format "prometheus:$D/blocked.prom"
expect_grep "naming the file" "blocked\.prom" "$TMP/err"
expect_eq "and leaves no temporary file" "$(find "$D" -name '*.tmp.*' | wc -l | tr -d ' ')" 0

# report --commit counts as check does: waived items apart
check "report --commit" "$ENVDRIFT" report --repo "$R" --baseline "$B" --commit
expect_grep "summary: waived items apart" "^report: 2 drift items \(1 waived\), failing; committed [0-9a-f]+ \(reports/\)" "$TMP/out"
expect_eq "the commit's subject says the same" "$(git -C "$R" log -1 --format=%s main)" "report: 2 drift items (1 waived), failing"
for h in prd-1 prd-2; do
	check "accept the pin on $h too" "$ENVDRIFT" accept --baseline "$B" --reason "rollout" --expires "$next" --host "$h" "packages:openssl:*"
done
check "report --commit, everything waived" "$ENVDRIFT" report --repo "$R" --baseline "$B" --commit
expect_grep "0 drift items (3 waived), passing" "^report: 0 drift items \(3 waived\), passing; " "$TMP/out"
fsck_ok "$R"
finish
