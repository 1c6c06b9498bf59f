# identity.sh: a host with an identity of its own, as real servers have one
# (t0029, bench/precision.sh, and every fleet host through fleet.sh's
# fleet_identity). POSIX sh; source it. Variables it uses are ID_*, _id_*.
#
# The address scheme, one for every function here: host number N (1..)
# of environment ENV has
#   E     20 for prod, 30 for staging, 40 otherwise
#   IPv4  10.E.(1 + N/200).(10 + N%200), on eth0, /16, gateway 10.0.0.1
#   IPv6  fd00:E::(10 + N) /64 (the digits of 10 + N read as hex), and
#         fe80::/64 from the MAC (EUI-64)
#   MAC   52:54:00:EE:HH:LL (EE = E in hex, HH:LL = N in hex)
#   FQDN  NAME.ENV.example.internal
#
# identity_net ENV N
#     Set ID_E ID_A4 ID_O3 ID_O4 (the IPv4's last two octets) ID_A6 ID_MAC
#     for host N of ENV; starts no process.
# identity_files DIR NAME ENV N
#     Write NAME's own /etc/hostname, /etc/mailname (the FQDN),
#     /etc/machine-id (32 hex digits: ID_MACHINE_ID if set, else random),
#     /etc/hosts (localhost, 127.0.1.1 and both own addresses with FQDN and
#     name), /etc/network/interfaces (ifupdown: lo, eth0 static v4 + v6
#     with its MAC) and /etc/netplan/50-cloud-init.yaml (the same by MAC)
#     into the root DIR, 0644. A file that exists is replaced by a new
#     file renamed over it, never written in place (roots may share inodes
#     through cp -al); a missing one is created.
# identity_live DIR NAME ENV N
#     Write the live tables a running host of that identity shows, as
#     regular files under DIR (same rule: new files, renamed over old ones):
#       /proc/net/fib_trie   the kernel's layout: Main: and Local: with the
#                            default route, 10.E.0.0/16 on eth0 (its own
#                            address "/32 host LOCAL") and 127.0.0.0/8 (lo,
#                            127.0.0.1 "/32 host LOCAL")
#       /proc/net/if_inet6   fd00:E::(10+N) eth0 global, ::1 lo host,
#                            fe80::(EUI-64 of the MAC) eth0 link; lo is
#                            ifindex 1, eth0 2
#       /proc/net/tcp        LISTEN (0A) 0.0.0.0:22, own IPv4:9100 (uid
#                            65534), 127.0.0.1:25; ESTABLISHED (01) from the
#                            own IPv4 at a random port in 32768-60999 to
#                            10.E.0.5:443 (rows padded as the kernel does)
#       /proc/net/tcp6       LISTEN [::]:22
#       /proc/net/udp        0.0.0.0 at a random port in 32768-60999 (07)
#       /proc/net/udp6       the header only
#       /sys/class/net/lo/address     00:00:00:00:00:00
#       /sys/class/net/eth0/address   the MAC
#     all 0444, plain directories and files, no symlinks (/proc/net made
#     0555 when created here, the /sys directories as the umask gives), and
#     /proc/sys/net/ipv4/ip_local_port_range "32768<TAB>60999" (0644) when
#     the root has none. ID_RANDOM, if set, gives the 4 random numbers
#     (0..65535: client port, UDP port, inode base, pointer seed) instead
#     of /dev/urandom, for callers that draw them in bulk. NAME is not in
#     the tables; it is there for the same arguments as identity_files.
# identity_host BASE DIR NAME ENV N
#     DIR becomes a copy (cp -a) of BASE with NAME's identity_files, a new
#     SSH host key (/etc/ssh/ssh_host_ed25519_key{,.pub}), /etc/app/node.conf
#     binding the own address and /etc/app/cluster.conf listing the same
#     four members everywhere. No live tables (collect --root reads none).
#     DIR is a private copy, so its files are written in place.

identity_net() {
	case $1 in prod) ID_E=20 ;; staging) ID_E=30 ;; *) ID_E=40 ;; esac
	ID_O3=$((1 + $2 / 200)) ID_O4=$((10 + $2 % 200))
	ID_A4=10.$ID_E.$ID_O3.$ID_O4
	ID_A6=fd00:$ID_E::$((10 + $2))
	_id_x2 "$ID_E"
	ID_MAC=52:54:00:$_id_x
	_id_x2 $(($2 / 256 % 256))
	ID_MAC=$ID_MAC:$_id_x
	_id_x2 $(($2 % 256))
	ID_MAC=$ID_MAC:$_id_x
}

# _id_x2 N: _id_x = N (0..255) as two lower-case hex digits (no process:
# fleet.sh gives hundreds of hosts their identity)
_id_x2() {
	set -- 0 1 2 3 4 5 6 7 8 9 a b c d e f "$1"
	_id_x=
	eval "_id_x=\${$((${17} / 16 + 1))}\${$((${17} % 16 + 1))}"
}

# _id_open FILE: set _id_t to where FILE's new text goes: FILE itself when
# it does not exist, else a new file beside it (_id_close renames it over)
_id_open() {
	if [ -z "${_id_inplace:-}" ] && { [ -e "$1" ] || [ -L "$1" ]; }; then
		_id_t=$1.identity-new
		if [ -e "$_id_t" ] || [ -L "$_id_t" ]; then rm -f "$_id_t" || return 1; fi
	else
		_id_t=$1
	fi
}
_id_close() { [ "$_id_t" = "$1" ] || mv -f "$_id_t" "$1"; }
# _id_put FILE FORMAT ARGS...: FILE's new text is printf FORMAT ARGS
_id_put() {
	_id_f=$1
	shift
	_id_open "$_id_f" || return 1
	# shellcheck disable=SC2059
	printf "$@" >"$_id_t" && _id_close "$_id_f"
}

identity_files() {
	identity_net "$3" "$4"
	_id_fq=$2.$3.example.internal
	_id_mid=${ID_MACHINE_ID:-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')}
	[ -d "$1/etc/network" ] && [ -d "$1/etc/netplan" ] ||
		mkdir -p "$1/etc/network" "$1/etc/netplan" || return 1
	(
		umask 022
		_id_put "$1/etc/hostname" '%s\n' "$2" &&
		_id_put "$1/etc/mailname" '%s\n' "$_id_fq" &&
		_id_put "$1/etc/machine-id" '%s\n' "$_id_mid" &&
		_id_put "$1/etc/hosts" '127.0.0.1\tlocalhost\n127.0.1.1\t%s %s\n%s\t%s %s\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
			"$_id_fq" "$2" "$ID_A4" "$_id_fq" "$2" "$ID_A6" "$2" &&
		_id_put "$1/etc/network/interfaces" 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address %s/16\n    gateway 10.0.0.1\n    hwaddress ether %s\n\niface eth0 inet6 static\n    address %s/64\n' \
			"$ID_A4" "$ID_MAC" "$ID_A6" &&
		_id_put "$1/etc/netplan/50-cloud-init.yaml" 'network:\n  version: 2\n  ethernets:\n    ens3:\n      match: {macaddress: "%s"}\n      addresses: [%s/16, "%s/64"]\n      routes: [{to: default, via: 10.0.0.1}]\n' \
			"$ID_MAC" "$ID_A4" "$ID_A6"
	)
}

identity_live() {
	identity_net "$3" "$4"
	# shellcheck disable=SC2046,SC2086
	set -- "$1" ${ID_RANDOM:-$(od -An -tu2 -N8 /dev/urandom)}
	[ $# -eq 5 ] || { echo "identity: ID_RANDOM needs 4 numbers" >&2; return 1; }
	if [ ! -d "$1/proc/net" ]; then
		mkdir -p "$1/proc/net" && chmod 0555 "$1/proc/net" || return 1
	fi
	[ -d "$1/proc/sys/net/ipv4" ] && [ -d "$1/sys/class/net/lo" ] && [ -d "$1/sys/class/net/eth0" ] ||
		mkdir -p "$1/proc/sys/net/ipv4" "$1/sys/class/net/lo" "$1/sys/class/net/eth0" || return 1
	for _id_n in fib_trie if_inet6 tcp tcp6 udp udp6; do
		_id_open "$1/proc/net/$_id_n" || return 1
		eval "_id_t_$_id_n=\$_id_t"
	done
	# shellcheck disable=SC2154
	(
		umask 0222
		_id_put "$1/sys/class/net/lo/address" '00:00:00:00:00:00\n' &&
		_id_put "$1/sys/class/net/eth0/address" '%s\n' "$ID_MAC" &&
		exec awk -v e="$ID_E" -v o3="$ID_O3" -v o4="$ID_O4" -v n6="${ID_A6##*:}" -v mac="$ID_MAC" \
			-v cport="$((32768 + $2 % 28232))" -v uport="$((32768 + $3 % 28232))" \
			-v ino="$((20000 + $4 * 7))" -v seed="$5" \
			-v f_trie="$_id_t_fib_trie" -v f_if6="$_id_t_if_inet6" -v f_tcp="$_id_t_tcp" \
			-v f_tcp6="$_id_t_tcp6" -v f_udp="$_id_t_udp" -v f_udp6="$_id_t_udp6" '
		function hex4(a, b, c, d) { return sprintf("%02X%02X%02X%02X", d, c, b, a) }
		# the first MAC byte with the universal/local bit flipped
		function xor2(h,  v) { v = index("0123456789abcdef", substr(h, 1, 1)) * 16 - 16 + index("0123456789abcdef", substr(h, 2, 1)) - 1
			return (int(v / 2) % 2) ? v - 2 : v + 2 }
		function ptr() { return sprintf("ffff%04x%04x%04x", int(rand() * 65536), int(rand() * 65536), int(rand() * 65536)) }
		BEGIN {
			srand(seed)
			# the prefix 10.e.0.0 and the own address share (the trie node)
			bl = 0; b = o3; while (b > 0) { b = int(b / 2); bl++ }
			p = 24 - bl
			t = "  +-- 0.0.0.0/0 3 0 5\n" \
			    "     |-- 0.0.0.0\n        /0 universe UNICAST\n" \
			    "     +-- 10." e ".0.0/16 2 0 2\n" \
			    "        +-- 10." e ".0.0/" p " 2 0 2\n" \
			    "           |-- 10." e ".0.0\n              /16 link UNICAST\n" \
			    "           |-- 10." e "." o3 "." o4 "\n              /32 host LOCAL\n" \
			    "        |-- 10." e ".255.255\n           /32 link BROADCAST\n" \
			    "     +-- 127.0.0.0/8 2 0 2\n" \
			    "        +-- 127.0.0.0/31 1 0 0\n" \
			    "           |-- 127.0.0.0\n              /8 host LOCAL\n" \
			    "           |-- 127.0.0.1\n              /32 host LOCAL\n" \
			    "        |-- 127.255.255.255\n           /32 link BROADCAST"
			printf "Main:\n%s\nLocal:\n%s\n", t, t >f_trie
			# fd00:e::n6 (its groups are hex digits), ::1, fe80:: + EUI-64
			split(mac, m, ":")
			printf "fd00%04d00000000000000000000%04d 02 40 00 80     eth0\n", e, n6 >f_if6
			printf "00000000000000000000000000000001 01 80 10 80       lo\n" >f_if6
			printf "fe80000000000000%02x%s%sfffe%s%s%s 02 40 20 80     eth0\n", \
				xor2(m[1]), m[2], m[3], m[4], m[5], m[6] >f_if6
			own = hex4(10, e, o3, o4)
			printf "%-149s\n", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode" >f_tcp
			printf "%-149s\n", sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %d %d %s %d %d %d %d %d", 0, "00000000", 22, "00000000", 0, 10, 0, 0, 0, 0, 0, 0, 0, ino, 1, ptr(), 100, 0, 0, 10, 0) >f_tcp
			printf "%-149s\n", sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %d %d %s %d %d %d %d %d", 1, own, 9100, "00000000", 0, 10, 0, 0, 0, 0, 0, 65534, 0, ino + 31, 1, ptr(), 100, 0, 0, 10, 0) >f_tcp
			printf "%-149s\n", sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %d %d %s %d %d %d %d %d", 2, hex4(127, 0, 0, 1), 25, "00000000", 0, 10, 0, 0, 0, 0, 0, 0, 0, ino + 57, 1, ptr(), 100, 0, 0, 10, 0) >f_tcp
			printf "%-149s\n", sprintf("%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %d %d %s %d %d %d %d %d", 3, own, cport, hex4(10, e, 0, 5), 443, 1, 0, 0, 2, 719 + int(rand() * 7000), 0, 0, 0, ino + 1203, 2, ptr(), 20, 4, 30, 10, -1) >f_tcp
			printf "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" >f_tcp6
			printf "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %d %d %s %d %d %d %d %d\n", 0, "00000000000000000000000000000000", 22, "00000000000000000000000000000000", 0, 10, 0, 0, 0, 0, 0, 0, 0, ino + 1, 1, ptr(), 100, 0, 0, 10, 0 >f_tcp6
			printf "%-127s\n", "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops" >f_udp
			printf "%-127s\n", sprintf("%5d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08X %08X %5u %8d %d %d %s %d", uport % 128, "00000000", uport, "00000000", 0, 7, 0, 0, 0, 0, 0, 0, 0, ino + 409, 2, ptr(), 0) >f_udp
			printf "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" >f_udp6
		}'
	) || return 1
	for _id_n in fib_trie if_inet6 tcp tcp6 udp udp6; do
		eval "_id_t=\$_id_t_$_id_n"
		_id_close "$1/proc/net/$_id_n" || return 1
	done
	[ -e "$1/proc/sys/net/ipv4/ip_local_port_range" ] ||
		(umask 022 && printf '32768\t60999\n' >"$1/proc/sys/net/ipv4/ip_local_port_range")
}

identity_host() {
	_b=$1 _d=$2 _h=$3
	rm -rf "$_d"
	cp -a "$_b" "$_d" || return 1
	# a private copy: its files are written in place (no rename needed)
	_id_inplace=1
	identity_files "$_d" "$3" "$4" "$5" || { _id_inplace=; return 1; }
	_id_inplace=
	rm -f "$_d/etc/ssh/ssh_host_ed25519_key" "$_d/etc/ssh/ssh_host_ed25519_key.pub"
	mkdir -p "$_d/etc/ssh" "$_d/etc/app"
	ssh-keygen -q -t ed25519 -N '' -C "root@$_h" -f "$_d/etc/ssh/ssh_host_ed25519_key" </dev/null || return 1
	printf 'bind = %s\nport = 9100\nname = %s\n' "$ID_A4" "$_h" >"$_d/etc/app/node.conf"
	printf 'members = 10.20.1.11 10.20.1.12 10.20.1.13 10.20.1.14\n' >"$_d/etc/app/cluster.conf"
}
