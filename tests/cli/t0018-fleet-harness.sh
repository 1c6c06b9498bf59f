#!/bin/sh
# The fleet harness (tests/lib/fleet.sh): 20 chrooted hosts, each behind
# its own sshd on 127.0.0.2-21, answer the stock ssh client with their own
# root and their own SSH host keys; each has its identity (host name,
# FQDN, addresses, MAC, machine-id in /etc, live tables in /proc/net and
# /sys/class/net, tests/lib/identity.sh); drift injected on one host stays
# on that host; stopping leaves no sshd and a closed port.
. "$(dirname "$0")/test-lib.sh"
need_tool ssh-keyscan
. "$TESTS_DIR/../lib/fleet.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "# skipped: needs root"
	check "skipped (not root)" true
	finish
	exit $?
fi
need_tool /usr/sbin/sshd ssh useradd

FL=$(fleet_mktemp) || { fail "fleet_mktemp"; finish; exit 1; }
FL2=
trap 'fleet_clean "$FL" >/dev/null 2>&1; [ -z "$FL2" ] || fleet_clean "$FL2" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

check "fleet_setup of 20 hosts" fleet_setup "$FL" 20
[ -f "$FL/port" ] || { finish; exit 1; }
expect_eq "FLEET_PORT exported" "$(cat "$FL/port")" "${FLEET_PORT:-}"
expect_eq "FLEET_N exported" 20 "${FLEET_N:-}"
expect_eq "one sshd per host" 20 "$(sort -u "$FL/run/pids" | wc -l)"
expect_eq "known_hosts: ed25519 and ecdsa line per host" 40 "$(wc -l <"$FL/known_hosts")"
expect_grep "known_hosts names [127.0.0.21]:port" "^\[127\.0\.0\.21\]:$FLEET_PORT ssh-ed25519 " "$FL/known_hosts"
expect_eq "40 different host keys" 40 "$(cut -d' ' -f3 "$FL/known_hosts" | sort -u | wc -l)"

# each host's own key pair in its root: real files, root-only key, and the
# one its sshd serves (known_hosts holds it; strict checking logs in below)
bad=
for k in $(seq 1 20); do
	for t in ed25519 ecdsa; do
		f=$FL/hosts/h$k/etc/ssh/ssh_host_${t}_key
		[ "$(stat -c '%F %a %U:%G %h' "$f" "$f.pub" | tr '\n' ' ')" = \
			"regular file 600 root:root 1 regular file 644 root:root 1 " ] || bad="$bad h$k:$t:mode"
		[ "$(ssh-keygen -y -f "$f" | cut -d' ' -f1,2)" = "$(cut -d' ' -f1,2 "$f.pub")" ] || bad="$bad h$k:$t:pair"
		grep -qxF "[$(fleet_addr "$k")]:$FLEET_PORT $(cut -d' ' -f1,2 "$f.pub")" "$FL/known_hosts" ||
			bad="$bad h$k:$t:known_hosts"
	done
done
expect_eq "each root holds its own key pair (0600/0644 root, one link), the one in known_hosts" "" "$bad"
ssh-keyscan -p "$FLEET_PORT" -t ed25519 "$(fleet_addr 9)" 2>/dev/null | cut -d' ' -f2,3 >"$TMP/scan9"
expect_eq "h9's sshd serves h9's ed25519 key" "$(cut -d' ' -f1,2 "$FL/hosts/h9/etc/ssh/ssh_host_ed25519_key.pub")" "$(cat "$TMP/scan9")"
expect_grep "inventory: h20 at 127.0.0.21" "^          ansible_host: 127\.0\.0\.21$" "$FL/inventory.yaml"
expect_grep "inventory: staging and prod groups" "^    prod:$" "$FL/inventory.yaml"
expect_eq "hosts share inodes with the base" \
	"$(stat -c %i "$FL/base/etc/passwd")" "$(stat -c %i "$FL/hosts/h7/etc/passwd")"

# identity: h1..h10 staging, h11..h20 prod, as in inventory.yaml
# (tests/lib/identity.sh's address scheme)
expect_grep "h3's /etc/hosts: its FQDN and staging address" \
	"^10\.30\.1\.13	h3\.staging\.example\.internal h3$" "$FL/hosts/h3/etc/hosts"
expect_grep "h17's /etc/hosts: its FQDN and prod address" \
	"^10\.20\.1\.27	h17\.prod\.example\.internal h17$" "$FL/hosts/h17/etc/hosts"
expect_grep "h17's interfaces: its MAC" "hwaddress ether 52:54:00:14:00:11$" "$FL/hosts/h17/etc/network/interfaces"
expect_grep "h17's netplan: the same" 'macaddress: "52:54:00:14:00:11"' "$FL/hosts/h17/etc/netplan/50-cloud-init.yaml"
expect_eq "20 different machine-ids" 20 "$(cat "$FL"/hosts/h*/etc/machine-id | sort -u | grep -c '^[0-9a-f]\{32\}$')"
expect_eq "h17's mailname" h17.prod.example.internal "$(cat "$FL/hosts/h17/etc/mailname")"
expect_eq "the base holds no per-host file" "" \
	"$(cd "$FL/base" && ls -d etc/hosts etc/hostname etc/machine-id etc/ssh/ssh_host_* proc/net/tcp 2>/dev/null)"
n=0
for f in /etc/hostname /etc/hosts /etc/machine-id /etc/mailname /etc/network/interfaces \
	/etc/netplan/50-cloud-init.yaml /proc/net/fib_trie /proc/net/if_inet6 /proc/net/tcp \
	/proc/net/tcp6 /proc/net/udp /proc/net/udp6 /sys/class/net/lo/address /sys/class/net/eth0/address; do
	[ "$(stat -c %h "$FL/hosts/h5$f" 2>/dev/null)" = 1 ] && n=$((n + 1))
done
expect_eq "h5's 14 identity files are its own (one link each)" 14 "$n"
expect_eq "h5's /sys/class/net: plain directories and 0444 files" \
	"directory directory regular file 444 regular file 444" \
	"$(stat -c '%F' "$FL/hosts/h5/sys/class/net/eth0" "$FL/hosts/h5/sys/class/net/lo" | tr '\n' ' ')$(stat -c '%F %a' "$FL/hosts/h5/sys/class/net/lo/address" "$FL/hosts/h5/sys/class/net/eth0/address" | tr '\n' ' ' | sed 's/ $//')"
fleet_ssh "$FL" 12 'cat /sys/class/net/eth0/address /sys/class/net/lo/address /proc/sys/net/ipv4/ip_local_port_range' >"$TMP/out" 2>"$TMP/err"
expect_eq "h12's MAC and port range over SSH" "$(printf '52:54:00:14:00:0c\n00:00:00:00:00:00\n32768\t60999')" "$(cat "$TMP/out")"
fleet_ssh "$FL" 12 'cat /proc/net/fib_trie /proc/net/if_inet6' >"$TMP/out" 2>"$TMP/err"
expect_eq "fib_trie: Main and Local tables" "Main: Local:" "$(grep '^[A-Z]' "$TMP/out" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "fib_trie: its own address and 127.0.0.1 are host LOCAL (both tables)" \
	"10.20.1.22 10.20.1.22 127.0.0.0 127.0.0.0 127.0.0.1 127.0.0.1" \
	"$(awk '/^ *\|-- / { a = $2 } /host LOCAL/ { print a }' "$TMP/out" | sort | tr '\n' ' ' | sed 's/ $//')"
expect_grep "if_inet6: fd00:20::22 on eth0" "^fd000020000000000000000000000022 02 40 00 80     eth0$" "$TMP/out"
expect_grep "if_inet6: ::1 on lo" "^00000000000000000000000000000001 01 80 10 80       lo$" "$TMP/out"
expect_grep "if_inet6: fe80:: from its MAC" "^fe80000000000000505400fffe14000c 02 40 20 80     eth0$" "$TMP/out"
fleet_ssh "$FL" 12 'cat /proc/net/tcp' >"$TMP/tcp" 2>"$TMP/err"
# the kernel's rows: "sl: local remote st ...", addresses little-endian
# hex, lines padded to 149 characters
expect_eq "tcp: header and 4 rows, each 149 characters" "150 150 150 150 150" "$(awk '{ printf "%s%d", (NR > 1 ? " " : ""), length($0) + 1 }' "$TMP/tcp")"
expect_grep "tcp: LISTEN 0.0.0.0:22" "^   0: 00000000:0016 00000000:0000 0A " "$TMP/tcp"
expect_grep "tcp: LISTEN own address:9100" "^   1: 1601140A:238C 00000000:0000 0A " "$TMP/tcp"
expect_grep "tcp: LISTEN 127.0.0.1:25" "^   2: 0100007F:0019 00000000:0000 0A " "$TMP/tcp"
expect_grep "tcp: ESTABLISHED from its address to 10.20.0.5:443" "^   3: 1601140A:[0-9A-F]{4} 0500140A:01BB 01 " "$TMP/tcp"
cport=$(awk 'NR == 5 { split($2, a, ":"); print a[2] }' "$TMP/tcp")
expect_eq "... from an ephemeral port" yes "$([ $((0x$cport)) -ge 32768 ] && [ $((0x$cport)) -le 60999 ] && echo yes)"
fleet_ssh "$FL" 12 'cat /proc/net/udp /proc/net/tcp6 /proc/net/udp6' >"$TMP/out" 2>"$TMP/err"
expect_grep "udp: 0.0.0.0 on an ephemeral port (07)" "^ +[0-9]+: 00000000:[0-9A-F]{4} 00000000:0000 07 " "$TMP/out"
expect_grep "tcp6: LISTEN [::]:22" "^   0: 0{32}:0016 0{32}:0000 0A " "$TMP/out"
expect_eq "three headers, two rows" 5 "$(wc -l <"$TMP/out")"
expect_exit 1 "h13's tcp table is its own" cmp -s "$TMP/tcp" "$FL/hosts/h13/proc/net/tcp"

# fleet_identity again on one host: new files renamed over (new inodes),
# the same addresses, a new machine-id; the other hosts untouched
ino=$(stat -c %i "$FL/hosts/h6/etc/hosts" "$FL/hosts/h6/proc/net/tcp" | tr '\n' ' ')
mid=$(cat "$FL/hosts/h6/etc/machine-id")
cp "$FL/hosts/h6/etc/hosts" "$TMP/hosts6"
sum7=$(cat "$FL/hosts/h7/etc/machine-id" "$FL/hosts/h7/proc/net/tcp" | cksum)
check "fleet_identity DIR 6" fleet_identity "$FL" 6
check "... the same /etc/hosts" cmp "$TMP/hosts6" "$FL/hosts/h6/etc/hosts"
expect_eq "... written as new files" yes \
	"$([ "$(stat -c %i "$FL/hosts/h6/etc/hosts" "$FL/hosts/h6/proc/net/tcp" | tr '\n' ' ')" != "$ino" ] && echo yes)"
expect_eq "... a new machine-id" yes "$([ "$(cat "$FL/hosts/h6/etc/machine-id")" != "$mid" ] && echo yes)"
expect_eq "... h7 untouched" "$sum7" "$(cat "$FL/hosts/h7/etc/machine-id" "$FL/hosts/h7/proc/net/tcp" | cksum)"
expect_eq "... no temporary file left" "" "$(find "$FL/hosts/h6" -name '*.identity-new')"

osrel=$(cat "$FL/base/proc/sys/kernel/osrelease")
for k in 1 17 20; do
	fleet_ssh "$FL" $k cat /etc/hostname >"$TMP/out" 2>"$TMP/err"
	expect_eq "h$k: cat /etc/hostname" "h$k" "$(cat "$TMP/out")"
	fleet_ssh "$FL" $k id -un >"$TMP/out" 2>"$TMP/err"
	expect_eq "h$k: logged in as $FLEET_USER" "$FLEET_USER" "$(cat "$TMP/out")"
	fleet_ssh "$FL" $k find /etc -maxdepth 1 -name hostname >"$TMP/out" 2>"$TMP/err"
	expect_eq "h$k: find in the chroot" "/etc/hostname" "$(cat "$TMP/out")"
	fleet_ssh "$FL" $k "grep -r '' /proc/sys/kernel/osrelease /proc/sys/kernel/hostname" >"$TMP/out" 2>"$TMP/err"
	expect_grep "h$k: grep -r reads /proc/sys/kernel/osrelease" "osrelease:$osrel$" "$TMP/out"
	expect_grep "h$k: /proc/sys/kernel/hostname is its own" "hostname:h$k$" "$TMP/out"
	expect_exit 1 "h$k: the 0600 file is unreadable" fleet_ssh "$FL" $k cat "$FLEET_SECRET_FILE"
	expect_grep "h$k: permission denied" "Permission denied" "$TMP/err"
	fleet_ssh "$FL" $k 'tar cf - /etc 2>/dev/null' >"$TMP/etc.tar"
	expect_eq "h$k: tar of /etc is not empty" yes "$([ -s "$TMP/etc.tar" ] && echo yes)"
	tar xOf "$TMP/etc.tar" etc/hostname >"$TMP/out" 2>&1
	expect_eq "h$k: the tar holds its hostname" "h$k" "$(cat "$TMP/out")"
done

# all hosts at once (MaxStartups)
for k in $(seq 1 20); do
	fleet_ssh "$FL" "$k" cat /etc/hostname >"$TMP/par.$k" 2>&1 &
done
wait
bad=
for k in $(seq 1 20); do
	[ "$(cat "$TMP/par.$k")" = "h$k" ] || bad="$bad h$k"
done
expect_eq "20 parallel logins each reach their host" "" "$bad"

# drift on host 2 only
fleet_ssh "$FL" 3 cat /etc/hosts >"$TMP/hosts3.before"
check "fleet_set_file on h2" fleet_set_file "$FL" 2 /etc/hosts "127.0.0.1 drifted.example"
fleet_ssh "$FL" 2 cat /etc/hosts >"$TMP/out"
expect_eq "h2 sees the new file" "127.0.0.1 drifted.example" "$(cat "$TMP/out")"
fleet_ssh "$FL" 3 cat /etc/hosts >"$TMP/hosts3.after"
check "h3 is unchanged" cmp "$TMP/hosts3.before" "$TMP/hosts3.after"
check "... and its file is h3's own" cmp "$TMP/hosts3.before" "$FL/hosts/h3/etc/hosts"
expect_eq "h2 keeps the mode" "$(stat -c %a "$FL/hosts/h3/etc/hosts")" "$(stat -c %a "$FL/hosts/h2/etc/hosts")"
fleet_ssh "$FL" 3 cat /etc/passwd >"$TMP/pw3"
check "fleet_set_file on h2's shared /etc/passwd" fleet_set_file "$FL" 2 /etc/passwd "root:x:0:0::/root:/bin/sh"
check "the base's copy is unchanged" cmp "$TMP/pw3" "$FL/base/etc/passwd"
old=$(cat "$FL/base/proc/sys/net/ipv4/ip_forward")
new=$((1 - old))
check "fleet_set_sysctl on h2" fleet_set_sysctl "$FL" 2 net.ipv4.ip_forward "$new"
fleet_ssh "$FL" 2 cat /proc/sys/net/ipv4/ip_forward >"$TMP/out"
expect_eq "h2 sees the new sysctl" "$new" "$(cat "$TMP/out")"
fleet_ssh "$FL" 3 cat /proc/sys/net/ipv4/ip_forward >"$TMP/out"
expect_eq "h3 keeps the old sysctl" "$old" "$(cat "$TMP/out")"

# stop: no sshd left, the port refuses
pids=$(cat "$FL/run/pids")
check "fleet_stop" fleet_stop "$FL"
left=
for p in $pids; do
	# a zombie is gone for our purpose (PID 1 may not reap daemons here)
	st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && left="$left $p"
done
expect_eq "no sshd from the pid files remains" "" "$left"
expect_eq "nothing listens on the port" "" "$(ss -Hltn "sport = :$FLEET_PORT" 2>/dev/null)"
for a in 127.0.0.2 127.0.0.21; do
	expect_exit 1 "$a:$FLEET_PORT refuses" timeout 3 bash -c "</dev/tcp/$a/$FLEET_PORT"
done
expect_exit 255 "fleet_ssh fails once stopped" fleet_ssh "$FL" 1 true
check "fleet_clean" fleet_clean "$FL"
expect_eq "the fleet directory is gone" no "$([ -e "$FL" ] && echo yes || echo no)"

# FLEET_IDENTITY=0: no identity (the hosts share the template's
# /etc/hosts, no /proc/net), but still their own host keys
FL2=$(fleet_mktemp) || fail "fleet_mktemp"
no_identity() { FLEET_IDENTITY=0 && export FLEET_IDENTITY && fleet_setup "$FL2" 2; r=$?; unset FLEET_IDENTITY; return $r; }
check "FLEET_IDENTITY=0 fleet_setup of 2 hosts" no_identity
expect_eq "... /etc/hosts shared with the base" \
	"$(stat -c %i "$FL2/base/etc/hosts")" "$(stat -c %i "$FL2/hosts/h2/etc/hosts")"
expect_eq "... no /proc/net" no "$([ -e "$FL2/hosts/h2/proc/net" ] && echo yes || echo no)"
expect_eq "... own host keys" 4 "$(cut -d' ' -f3 "$FL2/known_hosts" | sort -u | wc -l)"
fleet_ssh "$FL2" 2 cat /etc/hostname >"$TMP/out" 2>"$TMP/err"
expect_eq "... h2 answers" h2 "$(cat "$TMP/out")"
check "... fleet_clean" fleet_clean "$FL2"
finish
