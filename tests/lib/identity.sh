# identity.sh: a host made from a base root with an identity of its own,
# as real servers have one (t0029, bench/precision.sh). POSIX sh.
#
# identity_host BASE DIR NAME ENV N: DIR becomes a copy of BASE with
# NAME's own host name, FQDN (NAME.ENV.example.internal), machine-id, SSH
# host key, IPv4 10.E.(1 + N/200).(10 + N%200) and IPv6 fd00:E::(10 + N)
# (E: 20 for prod, 30 for staging, 40 otherwise), MAC 52:54:00:E:hi:lo, in /etc/hosts,
# ifupdown's interfaces and netplan; /etc/app/node.conf binds the own
# address, /etc/app/cluster.conf lists the same four members everywhere.
identity_host() {
	_b=$1 _d=$2 _h=$3 _v=$4 _i=$5
	case $_v in prod) _e=20 ;; staging) _e=30 ;; *) _e=40 ;; esac
	_a4=10.$_e.$((1 + _i / 200)).$((10 + _i % 200))
	_a6=fd00:$_e::$((10 + _i))
	_mac=$(printf '52:54:00:%02x:%02x:%02x' "$_e" $((_i / 256)) $((_i % 256)))
	_fq=$_h.$_v.example.internal
	rm -rf "$_d"
	cp -a "$_b" "$_d" || return 1
	rm -f "$_d/etc/ssh/ssh_host_ed25519_key" "$_d/etc/ssh/ssh_host_ed25519_key.pub"
	mkdir -p "$_d/etc/ssh" "$_d/etc/network" "$_d/etc/netplan" "$_d/etc/app"
	ssh-keygen -q -t ed25519 -N '' -C "root@$_h" -f "$_d/etc/ssh/ssh_host_ed25519_key" </dev/null || return 1
	echo "$_h" >"$_d/etc/hostname"
	echo "$_fq" >"$_d/etc/mailname"
	{ od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; echo; } >"$_d/etc/machine-id"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s %s\n%s\t%s %s\n%s\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
		"$_fq" "$_h" "$_a4" "$_fq" "$_h" "$_a6" "$_h" >"$_d/etc/hosts"
	printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address %s/16\n    gateway 10.0.0.1\n    hwaddress ether %s\n\niface eth0 inet6 static\n    address %s/64\n' \
		"$_a4" "$_mac" "$_a6" >"$_d/etc/network/interfaces"
	printf 'network:\n  version: 2\n  ethernets:\n    ens3:\n      match: {macaddress: "%s"}\n      addresses: [%s/16, "%s/64"]\n      routes: [{to: default, via: 10.0.0.1}]\n' \
		"$_mac" "$_a4" "$_a6" >"$_d/etc/netplan/50-cloud-init.yaml"
	printf 'bind = %s\nport = 9100\nname = %s\n' "$_a4" "$_h" >"$_d/etc/app/node.conf"
	printf 'members = 10.20.1.11 10.20.1.12 10.20.1.13 10.20.1.14\n' >"$_d/etc/app/cluster.conf"
}
