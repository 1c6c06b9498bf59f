#!/bin/sh
# Generate a synthetic host root for the benchmarks (deterministic: seeded awk).
#
#   sh bench/gen-root.sh ROOT NPKG NFILES NSYSCTL [SEED]
#
# ROOT/var/lib/dpkg/status  NPKG deb822 paragraphs shaped like real ones
#                           (multi-line Description and Conffiles, Depends,
#                           Multi-Arch, Source...; ~1% config-files state)
# ROOT/etc/...              NFILES text config files, 200 B - 8 KiB
#                           (log-uniform), in a nested tree of ~3 levels,
#                           plus etc/hostname, etc/os-release and a few
#                           enabled systemd unit symlinks
# ROOT/proc/sys/...         NSYSCTL regular files laid out like /proc/sys
# ROOT/proc/cmdline
set -e
root=$1 npkg=$2 nfiles=$3 nsysctl=$4 seed=${5:-42}
[ -n "$nsysctl" ] || { echo "usage: gen-root.sh ROOT NPKG NFILES NSYSCTL [SEED]" >&2; exit 2; }
mkdir -p "$root/var/lib/dpkg" "$root/etc/systemd/system/multi-user.target.wants" \
	"$root/proc/sys"

# ---- dpkg status -----------------------------------------------------------
awk -v n="$npkg" -v seed="$seed" '
function word(  ) { return W[int(rand() * nw) + 1] }
function sentence(k,  s, i) { s = word(); for (i = 1; i < k; i++) s = s " " word(); return s }
function ver() { return int(rand()*9) "." int(rand()*30) "." int(rand()*20) "-" int(rand()*9+1) (rand() < .3 ? "+deb12u" int(rand()*5+1) : "") }
BEGIN {
	srand(seed)
	nw = split("data library tools common utility runtime support files server client " \
		"daemon shared module plugin perl python ruby gnome kde network system " \
		"manager interface protocol format parser compression archive kernel graphics " \
		"audio video font theme locale documentation development headers static " \
		"binary package debian upstream version release stable configuration", W, " ")
	ns = split("libs utils admin net devel python perl web x11 doc text misc sound " \
		"graphics kernel database mail editors interpreters shells", S, " ")
	for (i = 1; i <= n; i++) {
		name = (rand() < .45 ? "lib" : "") word() "-" word() i
		ma = rand()
		printf "Package: %s\n", name
		printf "Status: %s\n", rand() < .01 ? "deinstall ok config-files" : "install ok installed"
		printf "Priority: %s\n", rand() < .8 ? "optional" : "important"
		printf "Section: %s\n", S[int(rand()*ns)+1]
		printf "Installed-Size: %d\n", int(exp(rand()*10))
		printf "Maintainer: Debian %s Maintainers <pkg-%s@lists.debian.org>\n", word(), word()
		printf "Architecture: %s\n", ma < .05 ? "all" : "amd64"
		if (ma > .6) print "Multi-Arch: " (ma > .85 ? "same" : "foreign")
		if (rand() < .4) printf "Source: %s (%s)\n", word() "-" word(), ver()
		printf "Version: %s\n", ver()
		if (rand() < .2) printf "Replaces: %s (<< %s)\n", word() i, ver()
		k = int(rand()*6)
		if (k) {
			d = "libc6 (>= 2.34)"
			for (j = 1; j < k; j++) d = d ", " word() "-" word() int(rand()*n) " (>= " ver() ")"
			print "Depends: " d
		}
		if (rand() < .15) {
			print "Conffiles:"
			k = int(rand()*4) + 1
			for (j = 0; j < k; j++) {
				h = ""
				for (m = 0; m < 32; m++) h = h substr("0123456789abcdef", int(rand()*16)+1, 1)
				printf " /etc/%s/%s.conf %s\n", word(), word(), h
			}
		}
		printf "Description: %s\n", sentence(5)
		k = int(rand()*6) + 1
		for (j = 0; j < k; j++) print (j == 2 && k > 3 ? " ." : " " sentence(11))
		if (rand() < .7) printf "Homepage: https://%s.example.org/\n", word()
		print ""
	}
}' > "$root/var/lib/dpkg/status"

# ---- etc tree ----------------------------------------------------------------
# Phase 1: the directory list; phase 2: the files (same seed, same list).
awk -v seed="$seed" -v nfiles="$nfiles" '
BEGIN {
	srand(seed + 1)
	nt = split("apt systemd ssh ssl default security network nginx apache2 postgresql " \
		"mysql php python3 X11 cron.d logrotate.d pam.d profile.d sudoers.d udev " \
		"dbus-1 fonts modprobe.d sysctl.d tmpfiles.d NetworkManager ufw fail2ban " \
		"docker containerd kubernetes prometheus grafana rsyslog.d selinux ld.so.conf.d " \
		"init.d alternatives", T, " ")
	ntop = int(nfiles / 130) + 1
	if (ntop < 3) ntop = 3
	nd = 0
	for (i = 1; i <= ntop; i++) {
		top = (i <= nt ? T[i] : "app" i)
		D[++nd] = top
		k = int(rand()*4)
		for (j = 1; j <= k; j++) {
			sub1 = top "/conf" j ".d"
			D[++nd] = sub1
			m = int(rand()*3)
			for (l = 1; l <= m; l++) D[++nd] = sub1 "/part" l
		}
	}
	for (i = 1; i <= nd; i++) print D[i]
}' > "$root/.dirs"
(cd "$root/etc" && xargs mkdir -p < ../.dirs)

awk -v seed="$seed" -v nfiles="$nfiles" -v dirs="$root/.dirs" -v out="$root/etc" '
function word() { return W[int(rand() * nw) + 1] }
BEGIN {
	srand(seed + 2)
	nw = split("enable disable listen port timeout max min user group path log level " \
		"cache size buffer worker thread limit retry interval host address backend " \
		"server client socket mode format file directory include module option " \
		"debug info warn error true false yes no on off auto default local remote", W, " ")
	nd = 0
	while ((getline d < dirs) > 0) D[++nd] = d
	close(dirs)
	# a pool of realistic lines; files are drawn from it
	np = 2000
	for (i = 1; i <= np; i++) {
		r = rand()
		if (r < .12)      P[i] = "# " word() " " word() " " word() " " word() " " word() " " word() " " word()
		else if (r < .17) P[i] = "[" word() "_" int(rand()*50) "]"
		else if (r < .20) P[i] = ""
		else if (r < .201) P[i] = word() "_password = " int(rand()*1e9)
		else if (r < .55) P[i] = word() "_" word() " = " int(rand()*65536)
		else if (r < .80) P[i] = word() "." word() " = " word() "-" word() "-" int(rand()*1000)
		else              P[i] = "    " word() " /" word() "/" word() "/" word() "." word() ";"
	}
	for (f = 1; f <= nfiles; f++) {
		target = int(200 * exp(rand() * log(8192 / 200)))
		r = rand()
		name = word() "-" f (r < .7 ? ".conf" : r < .85 ? ".cfg" : r < .95 ? ".yaml" : "")
		path = out "/" D[int(rand()*nd)+1] "/" name
		s = "# " name ": generated by envdrift bench/gen-root.sh\n"
		while (length(s) < target) s = s P[int(rand()*np)+1] "\n"
		printf "%s", substr(s, 1, target) "\n" > path
		close(path)
	}
}'
rm -f "$root/.dirs"
echo synth-01 > "$root/etc/hostname"
cat > "$root/etc/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
OS
for u in ssh cron rsyslog nginx postgresql docker containerd prometheus-node-exporter \
	fail2ban unattended-upgrades; do
	ln -sf "/lib/systemd/system/$u.service" "$root/etc/systemd/system/multi-user.target.wants/$u.service"
done

# ---- /proc/sys ---------------------------------------------------------------
echo "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=/dev/vda1 ro quiet" > "$root/proc/cmdline"
awk -v seed="$seed" -v n="$nsysctl" -v out="$root/proc/sys" '
BEGIN {
	srand(seed + 3)
	# directory : share of the keys (roughly /proc/sys on a Debian 12 VM)
	g = split("kernel:14 vm:4 fs:4 fs/inotify:1 net/core:4 net/ipv4:12 " \
		"net/ipv4/conf/all:3 net/ipv4/conf/default:3 net/ipv4/conf/lo:3 " \
		"net/ipv4/conf/eth0:3 net/ipv4/neigh/default:2 net/ipv4/neigh/eth0:2 " \
		"net/ipv6:4 net/ipv6/conf/all:5 net/ipv6/conf/default:5 net/ipv6/conf/lo:5 " \
		"net/ipv6/conf/eth0:5 net/ipv6/neigh/eth0:2 net/netfilter:8 net/unix:1 " \
		"dev/raid:1 user:2 abi:1 debug:1 kernel/random:1 kernel/sched_domain/cpu0:3", G, " ")
	tot = 0
	for (i = 1; i <= g; i++) { split(G[i], a, ":"); GD[i] = a[1]; GW[i] = a[2]; tot += a[2] }
	cmd = "cd \"" out "\" && mkdir -p"
	for (i = 1; i <= g; i++) cmd = cmd " " GD[i]
	system(cmd)
	made = 0
	path = out "/kernel/osrelease"; print "6.1.0-18-amd64" > path; close(path)
	path = out "/kernel/version"; print "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)" > path; close(path)
	path = out "/kernel/hostname"; print "synth-01" > path; close(path)
	made = 3
	for (i = 1; i <= g && made < n; i++) {
		k = (i == g) ? n - made : int(n * GW[i] / tot + .5)
		for (j = 1; j <= k && made < n; j++) {
			path = out "/" GD[i] "/" (GD[i] ~ /^net/ ? "net_param_" : "param_") j
			r = rand()
			if (r < .7) v = int(rand()*100000)
			else if (r < .85) v = int(rand()*4096) "\t" int(rand()*16384) "\t" int(rand()*4194304)
			else v = (rand() < .5 ? "cubic" : "reno")
			print v > path; close(path)
			made++
		}
	}
}'
