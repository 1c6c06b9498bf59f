#!/bin/sh
# envdrift scan against a real OpenSSH sshd (tests/lib/fleet.sh): six
# chrooted hosts in staging and prod, one commit per scan, a remote
# snapshot byte-identical to `collect --root` of the same root read by the
# same user (but for the listening sockets only a live host has), the
# hosts' own identities not drift, injected drift seen exactly, and every failure state keeping
# the previous snapshot: unreachable, host key unknown / changed, auth
# failed, timed out, too much output; --max-failed, status, forget, prune.
. "$(dirname "$0")/test-lib.sh"
need_tool python3
. "$TESTS_DIR/../lib/fleet.sh"

HANG_PID=
ATEXIT='[ -z "$HANG_PID" ] || kill "$HANG_PID" 2>/dev/null'
start_fleet 6

R=$TMP/state
new_repo "$R"

# inventory: h1-h3 staging, h4-h6 prod, all in role web; extra hosts are
# appended per case
inventory() { fleet_inventory 6 3; }
: | inventory >"$TMP/inv.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 4"

expect_exit 0 "scan of 6 hosts" $SCAN -i "$TMP/inv.yaml"
expect_grep "summary: 6 collected, 0 failed" "6 hosts, 6 collected, 0 failed" "$TMP/out"
fsck_ok "$R"
expect_eq "one commit" 1 "$(git -C "$R" rev-list --count main)"
expect_eq "six Envdrift-Collected trailers" 6 \
	"$(git -C "$R" log -1 --format=%B main | grep -c '^Envdrift-Collected: ')"
expect_eq "h2 stored under staging" "tree" "$(git -C "$R" cat-file -t main:hosts/staging/h2)"
expect_eq "h5 stored under prod" "tree" "$(git -C "$R" cat-file -t main:hosts/prod/h5)"
git -C "$R" show main:hosts/staging/h1/packages >"$TMP/pk"
expect_eq "packages as on this machine's dpkg status" \
	"$(grep -c '^Status: install ok installed' /var/lib/dpkg/status)" "$(wc -l <"$TMP/pk")"
git -C "$R" show main:hosts/staging/h1/files >"$TMP/files"
expect_grep "the 0600 file is recorded unreadable, not missing" \
	"^$FLEET_SECRET_FILE file 0600 .* unreadable" "$TMP/files"
git -C "$R" show main:hosts/staging/h1/sysctl >"$TMP/sysctl"
expect_grep "sysctl from the host's /proc/sys" "^vm\.swappiness = " "$TMP/sysctl"
git -C "$R" show main:hosts/staging/h1/meta >"$TMP/meta"
expect_grep "role from the inventory" "^role web$" "$TMP/meta"

# byte-identity: collect --root of h2's root as the same user, same key
R2=$TMP/local
mkdir -p "$R2.d" && chown "$FLEET_USER" "$R2.d" "$TMP"
chmod 755 "$TMP"
cp "$R.key" "$R2.d/key" && chown "$FLEET_USER" "$R2.d/key"
runuser -u "$FLEET_USER" -- "$ENVDRIFT" init --repo "$R2.d/repo" --key "$R2.d/key" >/dev/null 2>&1 ||
	runuser -u "$FLEET_USER" -- "$ENVDRIFT" init --repo "$R2.d/repo" >/dev/null 2>&1
check "collect --root of h2 as $FLEET_USER" runuser -u "$FLEET_USER" -- env HOME="$R2.d" \
	"$ENVDRIFT" collect --repo "$R2.d/repo" --key "$R2.d/key" --root "$FL/hosts/h2" \
	--env staging --host h2 --role web -q
for f in packages kernel os-release sysctl sysctl-per-host files content meta; do
	a=$(git -C "$R" rev-parse -q --verify "main:hosts/staging/h2/$f" 2>/dev/null)
	b=$(git -c safe.directory="*" -C "$R2.d/repo" rev-parse -q --verify "main:hosts/staging/h2/$f" 2>/dev/null)
	expect_eq "remote $f is byte-identical to collect --root" "$b" "$a"
done
# services: a live host (over SSH) also lists the listening sockets of its
# /proc/net (fleet_identity's tables; the ESTABLISHED client and the UDP
# socket on an ephemeral port are no listeners), a root read with --root
# has none; everything else is the same bytes
git -C "$R" show main:hosts/staging/h2/services >"$TMP/svc.remote"
git -c safe.directory="*" -C "$R2.d/repo" show main:hosts/staging/h2/services >"$TMP/svc.local"
expect_eq "remote services: h2's listening sockets, nothing else live" \
	"listen tcp 0.0.0.0:22|listen tcp 10.30.1.12:9100|listen tcp 127.0.0.1:25|listen tcp6 [::]:22" \
	"$(grep '^listen ' "$TMP/svc.remote" | sort | tr '\n' '|' | sed 's/|$//')"
grep -v '^listen ' "$TMP/svc.remote" >"$TMP/svc.remote.cfg"
check "remote services but for them is byte-identical to collect --root" cmp "$TMP/svc.local" "$TMP/svc.remote.cfg"
# identity: a live host's addresses and MACs are its kernel's, a root's
# its network configuration's; here both say the same
git -C "$R" show main:hosts/staging/h2/identity >"$TMP/id.remote"
git -c safe.directory="*" -C "$R2.d/repo" show main:hosts/staging/h2/identity >"$TMP/id.local"
expect_grep "remote identity: from the kernel" "^addresses-from = kernel$" "$TMP/id.remote"
expect_grep "local identity of the root: from its configuration" "^addresses-from = config$" "$TMP/id.local"
expect_eq "... the same IPv4 address either way" "$(grep '^addr4 ' "$TMP/id.local")" "$(grep '^addr4 ' "$TMP/id.remote")"
expect_eq "the whole host tree is identical but for services and identity" \
	"$(git -c safe.directory="*" -C "$R2.d/repo" ls-tree main:hosts/staging/h2 | grep -Ev '	(services|identity)$')" \
	"$(git -C "$R" ls-tree main:hosts/staging/h2 | grep -Ev '	(services|identity)$')"

# the hosts' own names, addresses, MACs, machine-ids and own-address
# listeners are not drift: staging and prod compare clean
expect_exit 0 "check staging prod: identities are not drift" "$ENVDRIFT" check --repo "$R" staging prod
sed 's/^/# /' "$TMP/out" | head -20
expect_exit 0 "diff h1 h5: no drift" "$ENVDRIFT" diff --repo "$R" h1 h5

# drift: a config line on h5, a sysctl on h6; the rescan shows exactly those
fleet_set_file "$FL" 5 /etc/login.defs "$(sed 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS 30/' "$FL/hosts/h5/etc/login.defs")"
fleet_set_sysctl "$FL" 6 vm.swappiness 7
expect_exit 0 "rescan" $SCAN -i "$TMP/inv.yaml"
expect_eq "two commits" 2 "$(git -C "$R" rev-list --count main)"
git -C "$R" diff --stat main~1 main >"$TMP/stat"
expect_grep "h5 content changed" "hosts/prod/h5/content/etc/login.defs" "$TMP/stat"
expect_grep "h6 sysctl changed" "hosts/prod/h6/sysctl " "$TMP/stat"
expect_eq "nothing else changed (h5 files + content, h6 sysctl)" 3 \
	"$(git -C "$R" diff --name-only main~1 main | wc -l)"
git -C "$R" diff main~1 main -- hosts/prod/h6/sysctl >"$TMP/d"
expect_grep "git diff shows the new swappiness" "^\+vm\.swappiness = 7$" "$TMP/d"
expect_exit 1 "envdrift diff h4 h6 reports the sysctl" "$ENVDRIFT" diff --repo "$R" h4 h6
expect_grep "vm.swappiness in the diff" "vm\.swappiness" "$TMP/out"

expect_exit 0 "the same scan on 3 polling threads" $SCAN -i "$TMP/inv.yaml" --threads 3
expect_grep "changes nothing" "6 collected.*\(unchanged\)" "$TMP/out"

# failures: unreachable, host key unknown, changed, auth failed
sed "/^\[$(fleet_addr 3)\]/d" "$FLEET_KNOWN_HOSTS" >"$TMP/kh"
other=$(ssh-keygen -q -t ed25519 -N '' -f "$TMP/otherhost" </dev/null && cut -d' ' -f1-2 "$TMP/otherhost.pub")
sed "/^\[$(fleet_addr 2)\]/d" "$TMP/kh" >"$TMP/kh2" && mv "$TMP/kh2" "$TMP/kh"
echo "[$(fleet_addr 2)]:$FLEET_PORT $other" >>"$TMP/kh"
ssh-keygen -q -t ed25519 -N '' -f "$TMP/wrongkey" </dev/null
cat >"$TMP/extra" <<EOF
    unreachable:
      hosts:
        down1: {ansible_host: 127.0.0.250, ansible_port: 1, envdrift_env: prod}
    badkey:
      hosts:
        h4: {ansible_ssh_private_key_file: $TMP/wrongkey}
EOF
inventory <"$TMP/extra" >"$TMP/inv2.yaml"
before=$(git -C "$R" rev-parse main)
expect_exit 3 "scan with 4 failing hosts exits 3" "$ENVDRIFT" scan --repo "$R" \
	--known-hosts "$TMP/kh" -j 4 -i "$TMP/inv2.yaml"
cp "$TMP/out" "$TMP/scan.out"; cp "$TMP/err" "$TMP/scan.err"
expect_grep "summary counts 3 collected, 4 failed" "7 hosts, 3 collected, 4 failed" "$TMP/scan.out"
expect_grep "h3: host key unknown" "host key unknown.*h3" "$TMP/scan.err"
expect_grep "h2: host key changed" "host key changed.*h2" "$TMP/scan.err"
expect_grep "h4: auth failed" "auth failed.*h4" "$TMP/scan.err"
expect_grep "down1: unreachable" "unreachable.*down1" "$TMP/scan.err"
git -C "$R" log -1 --format=%B main >"$TMP/msg"
expect_eq "four Envdrift-Failed trailers" 4 "$(grep -c '^Envdrift-Failed: ' "$TMP/msg")"
expect_grep "trailer names env/host and state" "^Envdrift-Failed: staging/h2: host key changed: " "$TMP/msg"
expect_grep "and the scan's Envdrift-Duration" '^Envdrift-Duration: [0-9]+\.[0-9]{3}$' "$TMP/msg"
check "report --format prometheus after the scan" "$ENVDRIFT" report --repo "$R" --format prometheus
expect_grep "failed hosts by state as a metric" '^envdrift_failed_hosts\{env="staging",state="host key changed"\} 1$' "$TMP/out"
expect_grep "... and the last scan's duration" '^envdrift_last_scan_duration_seconds\{env="staging"\} [0-9.]+$' "$TMP/out"
for h in staging/h2 staging/h3 prod/h4; do
	expect_eq "$h keeps its previous snapshot" \
		"$(git -C "$R" rev-parse "$before:hosts/$h")" "$(git -C "$R" rev-parse "main:hosts/$h")"
done
expect_eq "the unreachable new host is not invented" "" \
	"$(git -C "$R" rev-parse -q --verify main:hosts/prod/down1 2>/dev/null)"
fsck_ok "$R"
expect_exit 0 "status" "$ENVDRIFT" status --repo "$R"
expect_grep "status: h2 stale with the reason" "h2 .*STALE: failed .*host key changed" "$TMP/out"
expect_no_grep "status: h1 not stale" "h1 .*STALE" "$TMP/out"
expect_grep "status: a new host that failed shows as never collected" \
	"down1 +never .*NEVER COLLECTED: failed .*unreachable" "$TMP/out"
expect_exit 2 "forget refuses a host that has no snapshot" "$ENVDRIFT" forget --repo "$R" down1
expect_exit 0 "status --format json" "$ENVDRIFT" status --repo "$R" --format json
expect_grep "json: state stale and failure" '"host": "h4".*"state": "stale".*"failure": "auth failed' "$TMP/out"
expect_grep "json: never collected" '"host": "down1".*"state": "never collected"' "$TMP/out"
sleep 2
expect_exit 2 "check --max-age 1s: stale hosts are an error" "$ENVDRIFT" check --repo "$R" --max-age 1s staging prod
expect_grep "with why the last scan failed" "the last scan failed: host key changed: h2" "$TMP/out"
expect_exit 0 "--max-failed 4 tolerates the 4 failures" "$ENVDRIFT" scan --repo "$R" \
	--known-hosts "$TMP/kh" -j 4 -i "$TMP/inv2.yaml" --max-failed 4 -q
expect_exit 3 "--max-failed 50% does not (4 of 7)" "$ENVDRIFT" scan --repo "$R" \
	--known-hosts "$TMP/kh" -j 4 -i "$TMP/inv2.yaml" --max-failed 50% -q
expect_exit 0 "--max-failed 60% does" "$ENVDRIFT" scan --repo "$R" \
	--known-hosts "$TMP/kh" -j 4 -i "$TMP/inv2.yaml" --max-failed 60% -q
expect_exit 0 "a good scan clears the failures" $SCAN -i "$TMP/inv.yaml" -q
expect_exit 0 "status" "$ENVDRIFT" status --repo "$R"
expect_no_grep "status: no host stale" "STALE" "$TMP/out"

# limits: too much output, and a host that never answers (timed out)
expect_exit 3 "--max-bytes 64K fails every host" $SCAN -i "$TMP/inv.yaml" --max-bytes 64K
expect_grep "too much output names the limit" "too much output.*max-bytes" "$TMP/err"
cat >"$TMP/extra" <<EOF
    capped:
      hosts:
        h1: {envdrift_max_bytes: 64K}
EOF
inventory <"$TMP/extra" >"$TMP/inv-cap.yaml"
expect_exit 3 "envdrift_max_bytes caps one host" $SCAN -i "$TMP/inv-cap.yaml"
expect_grep "only h1 over its limit" "6 hosts, 5 collected, 1 failed, 1 too much output" "$TMP/out"
expect_grep "h1 names the limit" "h1.*64 KiB|h1.*64K" "$TMP/err"
expect_exit 0 "--max-bytes on the command line wins" $SCAN -i "$TMP/inv-cap.yaml" --max-bytes 256M -q
printf '    capped:\n      hosts:\n        h1: {envdrift_deadline: soon}\n' | inventory >"$TMP/inv-bad.yaml"
expect_exit 2 "a bad envdrift_deadline: exit 2" $SCAN -i "$TMP/inv-bad.yaml"
expect_grep "names the file, host and variable" "inv-bad.yaml:[0-9]+:[0-9]+: host h1: envdrift_deadline" "$TMP/err"
# become: sudo -n is not in the chroot, so a clear collection error
printf '    becomers:\n      hosts:\n        h2: {ansible_become: true}\n' | inventory >"$TMP/inv-become.yaml"
expect_exit 3 "ansible_become without sudo on the host" $SCAN -i "$TMP/inv-become.yaml"
expect_grep "collection error says sudo" "collection error.*h2.*sudo" "$TMP/err"

python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.249", '"$FLEET_PORT"')); s.listen(8)
open("'"$TMP/hang.ready"'", "w").close()
c = [s.accept() for _ in range(4)]; time.sleep(60)' &
HANG_PID=$!
# python takes a second or more to start on a loaded machine: wait
# (at most 20 s) until it listens
i=0
while [ ! -f "$TMP/hang.ready" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
cat >"$TMP/extra" <<EOF
    hang:
      hosts:
        hung1: {ansible_host: 127.0.0.249, envdrift_env: prod}
EOF
inventory <"$TMP/extra" >"$TMP/inv3.yaml"
start=$(date +%s)
expect_exit 3 "a host that never answers" $SCAN -i "$TMP/inv3.yaml" --connect-timeout 2 --deadline 3
expect_grep "timed out, naming the limit" "timed out.*hung1|hung1.*timed out" "$TMP/err"
expect_eq "the scan did not wait for it (<= 15 s)" yes "$([ $(($(date +%s) - start)) -le 15 ] && echo yes)"
kill "$HANG_PID" 2>/dev/null
HANG_PID=

# ProxyJump through one bastion (h1) from an ssh config; the known_hosts
# entry of the target is its own address, as OpenSSH looks it up
cat >"$TMP/ssh_config" <<EOF
Host jumped-h3
  HostName $(fleet_addr 3)
  Port $FLEET_PORT
  ProxyJump $FLEET_USER@$(fleet_addr 1):$FLEET_PORT
# unknown keywords are ignored, not misread
  ForwardAgent yes
EOF
printf 'all:\n  vars:\n    ansible_user: %s\n    ansible_ssh_private_key_file: %s\n  children:\n    staging:\n      hosts:\n        jumped-h3:\n' \
	"$FLEET_USER" "$FLEET_KEY" >"$TMP/inv-jump.yaml"
expect_exit 0 "scan through a ProxyJump bastion" "$ENVDRIFT" scan --repo "$R" --known-hosts "$FLEET_KNOWN_HOSTS" \
	--ssh-config "$TMP/ssh_config" -i "$TMP/inv-jump.yaml"
expect_eq "the jumped host's snapshot equals h3's (same root)" \
	"$(git -C "$R" rev-parse main:hosts/staging/h3/packages)" \
	"$(git -C "$R" rev-parse main:hosts/staging/jumped-h3/packages)"
sed "s/ProxyJump .*/ProxyJump $FLEET_USER@127.0.0.250:1/" "$TMP/ssh_config" >"$TMP/ssh_config2"
expect_exit 3 "an unreachable bastion fails the host" "$ENVDRIFT" scan --repo "$R" --known-hosts "$FLEET_KNOWN_HOSTS" \
	--ssh-config "$TMP/ssh_config2" -i "$TMP/inv-jump.yaml"
expect_grep "says unreachable" "unreachable" "$TMP/err"
expect_exit 0 "forget the jumped alias" "$ENVDRIFT" forget --repo "$R" jumped-h3

# ansible_connection chroot (a root directory, as collect --root) and local
# (this machine) in the same commit as the SSH hosts
cat >"$TMP/extra" <<EOF
    images:
      hosts:
        img4: {ansible_connection: chroot, ansible_host: $FL/hosts/h4, envdrift_env: prod}
        self: {ansible_connection: local, envdrift_env: dev}
EOF
inventory <"$TMP/extra" >"$TMP/inv-local.yaml"
expect_exit 0 "scan with a chroot and a local host" $SCAN -i "$TMP/inv-local.yaml"
expect_grep "8 hosts collected" "8 hosts, 8 collected" "$TMP/out"
expect_eq "the chroot's packages equal h4's over SSH" \
	"$(git -C "$R" rev-parse main:hosts/prod/h4/packages)" "$(git -C "$R" rev-parse main:hosts/prod/img4/packages)"
# (sysctl differs: root reads the 0600 keys the SSH user cannot)
expect_eq "the chroot's kernel facts equal h4's over SSH" \
	"$(git -C "$R" rev-parse main:hosts/prod/h4/kernel)" "$(git -C "$R" rev-parse main:hosts/prod/img4/kernel)"
git -C "$R" show main:hosts/dev/self/kernel >"$TMP/k"
expect_grep "the local host's kernel is this machine's" "^release = $(uname -r)$" "$TMP/k"
printf '    bad:\n      hosts:\n        x1: {ansible_connection: docker, envdrift_env: dev}\n' | inventory >"$TMP/inv-conn.yaml"
expect_exit 2 "an unsupported connection is refused" $SCAN -i "$TMP/inv-conn.yaml"
expect_grep "naming it and the line" "inv-conn.yaml:[0-9]+:[0-9]+: host 'x1': connection 'docker' is not supported" "$TMP/err"
expect_exit 0 "forget them" "$ENVDRIFT" forget --repo "$R" img4 self

# host names that could reach a shell are refused before anything runs
printf 'all:\n  hosts:\n    "h1;touch /tmp/pwn":\n      envdrift_env: prod\n' >"$TMP/bad.yaml"
expect_exit 2 "metacharacters in a host name: exit 2" $SCAN -i "$TMP/bad.yaml"
expect_grep "error names the file and line" "bad.yaml:3" "$TMP/err"

# accept-new-host-keys: appends lines, then the keys are known
: >"$TMP/kh-new"
expect_exit 3 "unknown keys are refused" "$ENVDRIFT" scan --repo "$R" --known-hosts "$TMP/kh-new" -i "$TMP/inv.yaml" -q
expect_exit 0 "--accept-new-host-keys" "$ENVDRIFT" scan --repo "$R" --known-hosts "$TMP/kh-new" \
	-i "$TMP/inv.yaml" --accept-new-host-keys -q
expect_eq "one line per host appended" 6 "$(wc -l <"$TMP/kh-new")"
expect_exit 0 "then they are known" "$ENVDRIFT" scan --repo "$R" --known-hosts "$TMP/kh-new" -i "$TMP/inv.yaml" -q

# hosts that left the inventory stay until --prune or forget
grep -v 'h6' "$TMP/inv.yaml" >"$TMP/inv5.yaml"
expect_exit 0 "scan without h6" $SCAN -i "$TMP/inv5.yaml" -q
expect_eq "h6 stays" tree "$(git -C "$R" cat-file -t main:hosts/prod/h6)"
expect_exit 0 "--limit with --prune never prunes" $SCAN -i "$TMP/inv5.yaml" --limit staging --prune -q
expect_eq "h6 still there" tree "$(git -C "$R" cat-file -t main:hosts/prod/h6)"
expect_exit 0 "scan --prune" $SCAN -i "$TMP/inv5.yaml" --prune -q
expect_eq "h6 pruned" "" "$(git -C "$R" rev-parse -q --verify main:hosts/prod/h6 2>/dev/null)"
expect_grep "Envdrift-Pruned trailer" "^Envdrift-Pruned: prod/h6$" /dev/stdin <<EOF
$(git -C "$R" log -1 --format=%B main)
EOF
expect_exit 2 "forget an unknown host" "$ENVDRIFT" forget --repo "$R" nosuchhost
expect_exit 0 "forget h5" "$ENVDRIFT" forget --repo "$R" h5
expect_eq "h5 gone" "" "$(git -C "$R" rev-parse -q --verify main:hosts/prod/h5 2>/dev/null)"

# the live tables are facts: h4 loses its own-address exporter (9100) from
# /proc/net/tcp (h5, back with the fleet's login.defs); check names that
# listener, with h4 its only host without it, and nothing else
fleet_set_file "$FL" 5 /etc/login.defs <"$FL/base/etc/login.defs"
grep -v ':238C 00000000:0000 0A ' "$FL/hosts/h4/proc/net/tcp" | fleet_set_file "$FL" 4 /proc/net/tcp
expect_exit 0 "rescan" $SCAN -i "$TMP/inv5.yaml" -q
expect_exit 1 "check staging prod: h4's lost listener" "$ENVDRIFT" check --repo "$R" staging prod
cp "$TMP/out" "$TMP/lost"
expect_grep "... named by its address class" "^  [a-z]+ +services:listen tcp \{addr4\}:9100 " "$TMP/lost"
expect_grep "... h4 without it" "^ +\(absent\): h4$" "$TMP/lost"
expect_eq "... and nothing else" 1 "$(grep -c '^  [a-z]' "$TMP/lost")"
fsck_ok "$R"

finish
