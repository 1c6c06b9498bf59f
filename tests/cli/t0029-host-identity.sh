#!/bin/sh
# Host identity is not drift (issue 12, first part): hosts that differ only
# by their own names, addresses, MACs and machine-ids compare equal in diff
# and check; a cluster file equal raw stays equal; injected drift in the
# same files is still found, and nothing else; a host against its own past
# is compared raw, so a renumbered host shows, its identity at severity
# info; --identity gives an image its identity.
. "$(dirname "$0")/test-lib.sh"
need_tool python3
. "$TESTS_DIR/../lib/identity.sh"

mkroot "$TMP/base"
R=$TMP/state
new_repo "$R"
C="$ENVDRIFT collect -q --repo $R"

# host NAME ENV N: a copy of base with its own identity (tests/lib/identity.sh)
host() { identity_host "$TMP/base" "$TMP/$1" "$1" "$2" "$3" || fail "make host $1"; }
for n in 1 2 3 4; do host "p$n" prod "$n"; done
for n in 1 2; do host "s$n" staging "$n"; done
for h in p1 p2 p3 p4 s1 s2; do
	case $h in p*) e=prod ;; *) e=staging ;; esac
	$C --root "$TMP/$h" --env "$e" --host "$h" || fail "collect $h"
done
C1=$(git -C "$R" rev-parse main)
printf 'parity:\n  - environments: [staging, prod]\n' >"$TMP/parity.yaml"

expect_exit 0 "identical fleet: check passes" "$ENVDRIFT" check --repo "$R" --baseline "$TMP/parity.yaml"
expect_exit 0 "... diff prod staging: no drift" "$ENVDRIFT" diff --repo "$R" prod staging
expect_grep "... and says so" "^no drift between prod and staging" "$TMP/out"
expect_exit 0 "... two hosts of different environments" "$ENVDRIFT" diff --repo "$R" p1 s2
expect_exit 0 "... within prod" "$ENVDRIFT" diff --repo "$R" prod prod
# the stored snapshot keeps the real text
git -C "$R" show main:hosts/prod/p2/content/etc/hosts >"$TMP/raw"
expect_grep "the snapshot keeps p2's own address" "^10\.20\.1\.12	p2\.prod\.example\.internal p2$" "$TMP/raw"

# explain --host: the identity and what comparing replaces
check "explain --repo --host" "$ENVDRIFT" explain --repo "$R" --host p2 files:/etc/hosts
expect_grep "... p2's address" "^  identity: \{addr4\} = 10\.20\.1\.12$" "$TMP/out"
expect_grep "... p2's FQDN" "^  identity: \{fqdn\} = p2\.prod\.example\.internal$" "$TMP/out"
expect_grep "... the line and what it becomes" "^  line 3: 10\.20\.1\.12	p2\.prod\.example\.internal p2 -> \{addr4\}	\{fqdn\} \{host\}$" "$TMP/out"
expect_exit 2 "explain --host of an unknown host" "$ENVDRIFT" explain --repo "$R" --host nope files:/etc/hosts
expect_grep "... names it" "host 'nope' is not in the state repository" "$TMP/err"

# injected drift in the files identity touches, and nothing else
echo "10.99.0.9	extra.example.internal extra" >>"$TMP/p2/etc/hosts"
sed -i 's/^bind = .*/bind = 10.20.1.11/' "$TMP/p3/etc/app/node.conf"    # p1's address, hard-coded
sed -i 's/^10\.20\.1\.14\t/10.20.1.13\t/' "$TMP/p4/etc/hosts"             # p4 claims p3's address
echo "members = 10.20.1.11 10.20.1.12 10.20.1.13" >"$TMP/p1/etc/app/cluster.conf" # a member lost
for h in p1 p2 p3 p4; do $C --root "$TMP/$h" --env prod --host "$h" || fail "collect $h"; done
expect_exit 1 "drift: diff prod prod" "$ENVDRIFT" diff --repo "$R" prod prod --format json
cp "$TMP/out" "$TMP/d.json"
python3 - "$TMP/d.json" >"$TMP/items" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
for it in r.get("drift", []):
    print(it.get("kind"), it.get("collector") + ":" + it.get("key"), it.get("host") or "-")
EOF
sort -u "$TMP/items" >"$TMP/items.u"
python3 - "$TMP/d.json" >"$TMP/p2diff" <<'EOF'
import json, sys
for it in json.load(open(sys.argv[1]))["drift"]:
    if it["key"] == "/etc/hosts" and it.get("host") == "p2":
        for l in (it.get("diff") or "").splitlines():
            if l[:1] in "+-" and not l.startswith(("+++", "---")):
                print(l)
        break
EOF
expect_eq "p2's diff is normalised: its extra line and nothing else" \
	"+10.99.0.9	extra.example.internal extra" "$(cat "$TMP/p2diff")"
expect_grep "the extra /etc/hosts line on p2" "^outlier files:/etc/hosts p2$" "$TMP/items.u"
expect_grep "p4's /etc/hosts claiming p3's address" "^outlier files:/etc/hosts p4$" "$TMP/items.u"
expect_grep "the foreign address p3 binds" "^outlier files:/etc/app/node.conf p3$" "$TMP/items.u"
expect_grep "the cluster file p1 changed" "^outlier files:/etc/app/cluster.conf p1$" "$TMP/items.u"
expect_eq "nothing else" 4 "$(wc -l <"$TMP/items.u" | tr -d ' ')"
sed 's/^/# /' "$TMP/items.u"

# the same host against its own past: raw, so renumbering is drift
host p1 prod 41
$C --root "$TMP/p1" --env prod --host p1 || fail "collect renumbered p1"
expect_exit 1 "renumbered p1 against its past" "$ENVDRIFT" diff --repo "$R" "p1@$C1" p1
expect_grep "... its interfaces changed" "files:/etc/network/interfaces" "$TMP/out"
expect_grep "... and its /etc/hosts" "files:/etc/hosts" "$TMP/out"
expect_grep "... and its recorded identity: the old address" "identity:addr4 .*10\.20\.1\.11" "$TMP/out"
"$ENVDRIFT" diff --repo "$R" "p1@$C1" p1 --format json >"$TMP/renum.json"
expect_eq "... identity changes are at severity info" "info" \
	"$(python3 -c 'import json,sys; print(" ".join(sorted({i["severity"] for i in json.load(open(sys.argv[1]))["drift"] if i["collector"] == "identity"})))' "$TMP/renum.json")"
git -C "$R" show main:hosts/prod/p1/identity >"$TMP/p1.id"
expect_grep "the identity file: p1's new address, from its configuration" "^addr4 = 10\.20\.1\.51$" "$TMP/p1.id"
expect_grep "... and where it came from" "^addresses-from = config$" "$TMP/p1.id"

# an image whose files do not say its addresses: --identity FILE
for h in img1 img2; do
	rm -rf "$TMP/$h"; cp -a "$TMP/base" "$TMP/$h"
	echo "$h" >"$TMP/$h/etc/hostname"
done
printf 'bind = 10.50.0.1\n' >"$TMP/img1/etc/app.conf"
printf 'bind = 10.50.0.2\n' >"$TMP/img2/etc/app.conf"
printf '# from the CMDB\nhost = img1\naddr4 = 10.50.0.1\n' >"$TMP/img1.id"
printf 'host = img2\naddr4 = 10.50.0.2\n' >"$TMP/img2.id"
for h in img1 img2; do
	$C --root "$TMP/$h" --env lab --identity "$TMP/$h.id" || fail "collect $h"
done
expect_exit 0 "--identity: two images bound to their own addresses are equal" "$ENVDRIFT" diff --repo "$R" img1 img2
git -C "$R" show main:hosts/lab/img1/identity >"$TMP/img1.stored"
expect_grep "... the identity is recorded as given" "^addresses-from = file$" "$TMP/img1.stored"
printf 'host = img1\naddr4 = 10.50.0.300\n' >"$TMP/bad.id"
expect_exit 2 "--identity with a bad address" $C --root "$TMP/img1" --env lab --identity "$TMP/bad.id"
expect_grep "... names file, line and column" "bad.id:2:9: '10.50.0.300' is not a valid addr4" "$TMP/err"
expect_exit 2 "--identity of a missing file" $C --root "$TMP/img1" --env lab --identity "$TMP/none.id"

# no consensus: each value with its hosts, and a hint when every host
# holds its own value
n=0; for h in p1 p2 p3 p4 s1 s2; do n=$((n + 1)); echo "build $((n * 111))" >"$TMP/$h/etc/motd"; done
for h in p1 p2 p3 p4; do $C --root "$TMP/$h" --env prod --host "$h" || fail "collect $h"; done
for h in s1 s2; do $C --root "$TMP/$h" --env staging --host "$h" || fail "collect $h"; done
expect_exit 1 "per-host banners: drift" "$ENVDRIFT" diff --repo "$R" prod staging
expect_grep "no consensus on prod" "files:/etc/motd  prod=\(no consensus\)" "$TMP/out"
expect_eq "each value listed with its host" 4 "$(grep -cE '^ +file 0644 .*: p[1-4]$' "$TMP/out")"
expect_grep "the hint names the fact and the rule" \
	'note: files:/etc/motd: 4 of 4 hosts hold a value of their own; if it differs per host by design, add "files:/etc/motd" to per-host: in a baseline' "$TMP/out"
printf 'per-host:\n  - "files:/etc/motd"\n' >"$TMP/motd.yaml"
expect_exit 1 "with the rule, the banners are not compared between hosts" \
	"$ENVDRIFT" check --repo "$R" --baseline "$TMP/motd.yaml" prod staging
expect_no_grep "... (motd gone)" "files:/etc/motd" "$TMP/out"
chmod 0600 "$TMP/s2/etc/motd"
$C --root "$TMP/s2" --env staging --host s2 || fail "collect s2"
expect_exit 1 "a per-host file keeps its mode between hosts" \
	"$ENVDRIFT" check --repo "$R" --baseline "$TMP/motd.yaml" prod staging
expect_grep "... compared by its shape, not its content" "files:/etc/motd  prod=file 0644 root:root 0:0  staging=\(no consensus\)" "$TMP/out"
expect_grep "... s2's mode listed" "^ +file 0600 root:root 0:0: s2$" "$TMP/out"
fsck_ok "$R"
finish
