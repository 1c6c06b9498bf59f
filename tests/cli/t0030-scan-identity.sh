#!/bin/sh
# Zero noise on a live fleet (issue 12): six chrooted hosts behind real
# sshds, each with its own SSH host keys, names, addresses, MAC,
# machine-id, /proc/net tables and /sys/class/net (tests/lib/fleet.sh).
# Their identity comes from their kernel tables and is recorded; a check of
# the identical fleet reports nothing; each injected change is found and
# nothing else: a listener added, one removed, an address class changed,
# an extra /etc/hosts line, a foreign hard-coded address, a MAC in an
# interfaces file that is not the host's own. Kernel tables copied between
# hosts are not taken for identity; a live host against an image of itself
# gives only a note.
. "$(dirname "$0")/test-lib.sh"
need_tool python3
. "$TESTS_DIR/../lib/fleet.sh"
. "$TESTS_DIR/../lib/identity.sh"

start_fleet 6
R=$TMP/state
new_repo "$R"
fleet_inventory 6 3 </dev/null >"$TMP/inv.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 6 -q -i $TMP/inv.yaml"

# every host binds an application to its own address (as node exporters do)
for k in 1 2 3 4 5 6; do
	case $k in [123]) env=staging ;; *) env=prod ;; esac
	identity_net "$env" "$k"
	fleet_set_file "$FL" "$k" /etc/app/node.conf "bind = $ID_A4:9100" 0644
done
expect_exit 0 "scan of six hosts with identities" $SCAN
git -C "$R" show main:hosts/prod/h5/identity >"$TMP/h5.id"
identity_net prod 5
expect_grep "h5's identity: its kernel's address" "^addr4 = $ID_A4$" "$TMP/h5.id"
expect_grep "... its MAC from /sys/class/net" "^mac = $ID_MAC$" "$TMP/h5.id"
expect_grep "... its IPv6 address" "^addr6 = fd00:20::15$" "$TMP/h5.id"
expect_grep "... its FQDN" "^fqdn = h5\.prod\.example\.internal$" "$TMP/h5.id"
expect_grep "... read from the kernel" "^addresses-from = kernel$" "$TMP/h5.id"
expect_grep "... MACs too" "^macs-from = kernel$" "$TMP/h5.id"
git -C "$R" show main:hosts/prod/h5/services >"$TMP/h5.svc"
expect_grep "the stored listener keeps its literal address" "^listen tcp $ID_A4:9100$" "$TMP/h5.svc"
expect_no_grep "no ephemeral socket is stored" ":(3[2-9][0-9]{3}|[4-5][0-9]{4}|60[0-9]{3})$" "$TMP/h5.svc"
C1=$(git -C "$R" rev-parse main)

printf 'parity:\n  - environments: [staging, prod]\n' >"$TMP/parity.yaml"
expect_exit 0 "identical fleet: check staging prod reports nothing" \
	"$ENVDRIFT" check --repo "$R" --baseline "$TMP/parity.yaml" staging prod
expect_exit 0 "... diff prod prod" "$ENVDRIFT" diff --repo "$R" prod prod
expect_exit 0 "... diff h1 h6 (different environments)" "$ENVDRIFT" diff --repo "$R" h1 h6

# injected changes, one per host, so each environment keeps a majority:
# prod h4..h6, staging h1..h3
tcp=/proc/net/tcp
# h4: a new fixed port (0.0.0.0:8080), as a kernel row
{ cat "$FL/hosts/h4$tcp"
  echo "  99: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99999 1 0000000000000000 100 0 0 10 0"
} | fleet_set_file "$FL" 4 "$tcp"
# h5: its exporter on its own address moves to any (an address class change)
identity_net prod 5
sed "s/^\( *[0-9]*: \)[0-9A-F]\{8\}:238C /\100000000:238C /" "$FL/hosts/h5$tcp" | fleet_set_file "$FL" 5 "$tcp"
# h6: it binds a foreign address
fleet_set_file "$FL" 6 /etc/app/node.conf "bind = 10.20.1.99:9100"
# h1: its exporter is gone
grep -v ':238C 00000000:0000 0A ' "$FL/hosts/h1$tcp" | fleet_set_file "$FL" 1 "$tcp"
# h2: an extra /etc/hosts line
{ cat "$FL/hosts/h2/etc/hosts"; printf '10.99.0.9\textra.example.internal extra\n'; } |
	fleet_set_file "$FL" 2 /etc/hosts
# h3: a MAC in its interfaces file that is not its own (its card keeps its own)
sed 's/hwaddress ether .*/hwaddress ether 52:54:00:99:99:99/' "$FL/hosts/h3/etc/network/interfaces" |
	fleet_set_file "$FL" 3 /etc/network/interfaces
expect_exit 0 "rescan" $SCAN
expect_exit 1 "check staging prod: drift" "$ENVDRIFT" check --repo "$R" staging prod --format json
cp "$TMP/out" "$TMP/d.json"
python3 - "$TMP/d.json" >"$TMP/items" <<'EOF'
import json, sys
for it in json.load(open(sys.argv[1])).get("drift", []):
    print(it["kind"], it["collector"] + ":" + it["key"], it.get("host") or "-")
EOF
sort -u "$TMP/items" >"$TMP/items.u"
sed 's/^/# /' "$TMP/items.u"
expect_grep "h4's new port" "^outlier services:listen tcp 0\.0\.0\.0:8080 h4$" "$TMP/items.u"
expect_grep "h5's exporter moved to any" "^outlier services:listen tcp 0\.0\.0\.0:9100 h5$" "$TMP/items.u"
expect_grep "... and left its own address" "^outlier services:listen tcp \{addr4\}:9100 h5$" "$TMP/items.u"
expect_grep "h1's lost exporter" "^outlier services:listen tcp \{addr4\}:9100 h1$" "$TMP/items.u"
expect_grep "h6's foreign address" "^outlier files:/etc/app/node.conf h6$" "$TMP/items.u"
expect_grep "h2's extra /etc/hosts line" "^outlier files:/etc/hosts h2$" "$TMP/items.u"
expect_grep "h3's foreign MAC in interfaces" "^outlier files:/etc/network/interfaces h3$" "$TMP/items.u"
expect_eq "nothing else" 7 "$(wc -l <"$TMP/items.u" | tr -d ' ')"
python3 - "$TMP/d.json" >"$TMP/h3diff" <<'EOF'
import json, sys
for it in json.load(open(sys.argv[1]))["drift"]:
    if it["key"] == "/etc/network/interfaces" and it.get("host") == "h3":
        print("\n".join(l for l in (it.get("diff") or "").splitlines()
                        if l[:1] in "+-" and not l.startswith(("+++", "---"))))
EOF
expect_eq "h3's diff: the foreign MAC against {mac}" \
	"$(printf -- '-    hwaddress ether {mac}\n+    hwaddress ether 52:54:00:99:99:99')" "$(cat "$TMP/h3diff")"

# identity over time: h6 against its own past is raw, its identity unchanged
expect_exit 1 "h6 against its past" "$ENVDRIFT" diff --repo "$R" "h6@$C1" h6
expect_no_grep "... its identity did not change" "identity:" "$TMP/out"

# address tables copied from h1 to every staging host (one machine's view
# in every chroot): not taken for the hosts' identity (their network
# configuration says who they are), still no noise; their MACs stay their
# own, so h3's foreign MAC is still found
for k in 2 3; do
	for f in /proc/net/fib_trie /proc/net/if_inet6; do
		fleet_set_file "$FL" "$k" "$f" <"$FL/hosts/h1$f"
	done
done
expect_exit 0 "rescan with copied kernel tables" $SCAN
expect_exit 1 "check: only the drift injected before" "$ENVDRIFT" check --repo "$R" staging prod --format json
python3 - "$TMP/out" >"$TMP/items2" <<'EOF'
import json, sys
for it in json.load(open(sys.argv[1])).get("drift", []):
    print(it["kind"], it["collector"] + ":" + it["key"], it.get("host") or "-")
EOF
sort -u "$TMP/items2" >"$TMP/items2.u"
expect_eq "... the same seven items" "$(cat "$TMP/items.u")" "$(cat "$TMP/items2.u")"

# a live host against an image of itself (read as root, so it also holds
# what the scan's login cannot read): no live fact and no identity is
# drift, a note says the image has no live facts
R3=$TMP/img
new_repo "$R3"
expect_exit 0 "collect --root of h4's root" "$ENVDRIFT" collect -q --repo "$R3" --root "$FL/hosts/h4" --env image --host h4img
expect_exit 0 "scan h4 into the same repository" "$ENVDRIFT" scan --repo "$R3" --known-hosts "$FLEET_KNOWN_HOSTS" -q -i "$TMP/inv.yaml" --limit h4
"$ENVDRIFT" diff --repo "$R3" h4img h4 >"$TMP/img.out" 2>&1
expect_grep "h4 against its image: a note on the live facts" "live facts \(active units, listening sockets\) not collected on h4img" "$TMP/img.out"
expect_no_grep "... no listener is drift" "services:" "$TMP/img.out"
expect_no_grep "... nor its identity" "identity:|/etc/hosts|/etc/network/interfaces|/etc/netplan|/etc/hostname" "$TMP/img.out"
fsck_ok "$R"
finish
