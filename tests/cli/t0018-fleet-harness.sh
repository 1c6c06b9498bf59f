#!/bin/sh
# The fleet harness (tests/lib/fleet.sh): 20 chrooted hosts behind two sshd
# instances on 127.0.0.2-21 answer the stock ssh client with their own
# root; drift injected on one host stays on that host; stopping leaves no
# sshd and a closed port.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null ||
	! command -v useradd >/dev/null; then
	echo "# skipped: needs root, /usr/sbin/sshd, ssh and useradd"
	check "skipped (not root or no OpenSSH)" true
	finish
	exit $?
fi

FL=$(fleet_mktemp) || { fail "fleet_mktemp"; finish; exit 1; }
trap 'fleet_clean "$FL" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

check "fleet_setup of 20 hosts" fleet_setup "$FL" 20
[ -f "$FL/port" ] || { finish; exit 1; }
expect_eq "FLEET_PORT exported" "$(cat "$FL/port")" "${FLEET_PORT:-}"
expect_eq "FLEET_N exported" 20 "${FLEET_N:-}"
expect_eq "two sshd instances (16 addresses each at most)" 2 "$(wc -l <"$FL/run/pids")"
expect_eq "known_hosts: ed25519 and ecdsa line per host" 40 "$(wc -l <"$FL/known_hosts")"
expect_grep "known_hosts names [127.0.0.21]:port" "^\[127\.0\.0\.21\]:$FLEET_PORT ssh-ed25519 " "$FL/known_hosts"
expect_grep "inventory: h20 at 127.0.0.21" "^          ansible_host: 127\.0\.0\.21$" "$FL/inventory.yaml"
expect_grep "inventory: staging and prod groups" "^    prod:$" "$FL/inventory.yaml"
expect_eq "hosts share inodes with the base" \
	"$(stat -c %i "$FL/base/etc/passwd")" "$(stat -c %i "$FL/hosts/h7/etc/passwd")"

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
check "the base is unchanged" cmp "$TMP/hosts3.before" "$FL/base/etc/hosts"
expect_eq "h2 keeps the mode" "$(stat -c %a "$FL/base/etc/hosts")" "$(stat -c %a "$FL/hosts/h2/etc/hosts")"
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
finish
