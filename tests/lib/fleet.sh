# fleet.sh: simulate a fleet of SSH hosts on this machine with the stock
# OpenSSH sshd on loopback (doc/DESIGN-NOTES.md §7). POSIX sh; source it:
#   . tests/lib/fleet.sh
# Needs root (chroot, useradd, mknod). Every function returns non-zero and
# prints "fleet: ..." on stderr on failure. Variables it uses are _fl_*.
#
# Host K (1..250) answers on 127.0.0.(K+1), port FLEET_PORT, as user
# envdrift-fleet, chrooted (ChrootDirectory) into DIR/hosts/hK, with its
# own SSH host keys: one sshd per host, as sshd picks host keys per
# process, never per ListenAddress (an idle sshd: about 1.3 MB PSS).
# Every host has an identity of its own, as real servers do (default on;
# tests/lib/identity.sh, which fleet.sh sources itself): h1..h(N/2) are
# staging, the rest prod, as in DIR/inventory.yaml, so host K of ENV has
# the names hK and hK.ENV.example.internal, IPv4 10.E.(1+K/200).(10+K%200),
# IPv6 fd00:E::(10+K), MAC 52:54:00:EE:HH:LL (E 30 staging, 20 prod) in
# its /etc (hostname, hosts, mailname, machine-id, network/interfaces,
# netplan/50-cloud-init.yaml) and in live tables as regular files
# (/proc/net/{fib_trie,if_inet6,tcp,tcp6,udp,udp6},
# /sys/class/net/{lo,eth0}/address): see identity_live there.
#
# fleet_mktemp
#     Print a new empty directory usable as DIR: /var/lib/envdrift-fleet/
#     fleet.XXXXXX (0755). Chroots need every path component root-owned and
#     not group/other-writable, so DIR must NOT be under /tmp or /var/tmp
#     (1777). Base changes with FLEET_BASE.
# fleet_setup DIR N [TEMPLATE_ROOT]
#     The caller passes DIR (absolute, [A-Za-z0-9._/-] only; missing or
#     empty; its existing ancestors must be root-owned, not g/o-writable).
#     Builds N host roots, each host's SSH host keys (ed25519 and ecdsa,
#     made a few at a time), their identities (fleet_identity),
#     known_hosts, inventory.yaml, starts one sshd per host (a few at a
#     time), waits (max 10 s) until every address listens, then runs
#     fleet_env DIR. TEMPLATE_ROOT: a root tree copied (cp -a) under every
#     host (its /etc/ssh/ssh_host_* keys are not: every host gets its
#     own); default: one built from this machine (see _fl_template).
#     FLEET_PORT set in the environment picks the first port tried;
#     FLEET_IDENTITY=0 leaves out fleet_identity (the hosts then share the
#     template's /etc/hosts, and have no /proc/net nor /sys); FLEET_TRACE=1
#     prints the time of each phase. FLEET_LIB: the directory of
#     identity.sh when it is not tests/lib beside the calling script (or
#     under the current directory). Cost on a 2-CPU gVisor machine: 6
#     hosts 4.6-4.9 s (as with one shared key set), 200 hosts 19-19.5 s
#     (was 9.4-10.8 s: 400 ssh-keygen 4 s, identities 2.3 s, 200 sshds
#     4.6 s); 200 idle sshds hold about 260 MB PSS.
# fleet_identity DIR [K...]
#     Give hosts K... (default: every host) their full identity:
#     identity_files (hostname, FQDN in /etc/hosts, interfaces, netplan,
#     machine-id, mailname) and identity_live (the /proc/net tables,
#     /sys/class/net, ip_local_port_range when missing) of
#     tests/lib/identity.sh, for hK in its environment (see above). New
#     files are written and renamed over the old ones (roots share inodes
#     through cp -al: never written in place); run again, a host keeps its
#     addresses and gets a new machine-id, new ports and inodes. Hosts are
#     done by a few background shells; one read of /dev/urandom for all.
# fleet_env DIR
#     Export, for an existing fleet (also from another process):
#     FLEET_DIR FLEET_N FLEET_PORT FLEET_USER FLEET_KEY FLEET_KNOWN_HOSTS
#     FLEET_INVENTORY FLEET_SECRET_FILE (a 0600 root-only file in each root).
# fleet_addr K          print 127.0.0.(K+1)
# fleet_ssh DIR K CMD...
#     Run CMD on host K with the stock ssh client (BatchMode, strict host
#     key checking against DIR/known_hosts, -F /dev/null). Exit status and
#     output are ssh's.
# fleet_set_file DIR K PATH [CONTENT [MODE]]
#     Replace (or create) PATH in host K's root with CONTENT plus a newline,
#     or with stdin verbatim when CONTENT is absent. Writes a new file and
#     renames it over (roots share inodes through hard links: never write
#     in place). Keeps the old file's mode and owner unless MODE is given.
# fleet_rm_file DIR K PATH      unlink PATH in host K only.
# fleet_set_sysctl DIR K KEY VALUE
#     Same for /proc/sys/KEY (net.ipv4.ip_forward or net/ipv4/ip_forward).
# fleet_inventory N S
#     Print an Ansible inventory of hosts h1..hN with the connection
#     settings in all: vars (FLEET_PORT, FLEET_USER, FLEET_KEY: run
#     fleet_env first), all in group web, h1..hS in staging and the rest in
#     prod, then whatever stdin holds (more groups, indented as children).
#     The hosts' identities follow inventory.yaml's split (S = N/2): with
#     another S a host's FQDN and addresses name the other environment
#     (harmless for envdrift, which normalises them, but not realistic).
# fleet_stop DIR
#     Stop the sshds (by the PIDs recorded at start, checked to still be
#     this fleet's sshd: its binary and DIR/run/sshd- in its command line,
#     a few processes for all of them), their session processes and anything chrooted
#     into DIR/hosts; wait until gone (bounded, then SIGKILL). Leaves files.
# fleet_clean DIR       fleet_stop, then rm -rf DIR (only if it holds the
#                       DIR/.envdrift-fleet marker).
# fleet_add_python DIR [K...]
#     Optional, never called by fleet_setup (the default fleet has no
#     Python, as the issue's targets may not): stage /usr/bin/python3, its
#     standard library (without test/, lib2to3, ensurepip, pydoc_data,
#     config-*), python3-apt (apt, apt_pkg, aptsources), dpkg (+ its
#     cputable, ostable, tupletable, abitable) and every
#     shared library ldd names for them in DIR/python (built once), plus
#     /var/lib/apt/lists and /var/cache/apt for apt.Cache(); then hard-link
#     it into hosts K... (default: every host; files a host already has are
#     kept). For Ansible's modules (bench/scan.sh); adds no file under /etc.
# fleet_add_sudo DIR [K...]
#     Optional, never called by fleet_setup (the default fleet has no sudo:
#     t0019 checks that `become` fails there): give hosts K... (default:
#     every host) a working `sudo -n` for the login user. Stages once in
#     DIR/sudo: this machine's /usr/bin/sudo, /usr/libexec/sudo/
#     (sudoers.so, libsudo_util.so*), pam_permit.so and every shared library
#     ldd names for them; /etc/sudo.conf (the sudoers plugins, no interface
#     probing), /etc/sudoers 0440 root:root (`envdrift-fleet ALL=(root)
#     NOPASSWD: ALL`; no fqdn, syslog, pty or lecture) and /etc/pam.d/sudo
#     (pam_permit.so for auth, account, session). Every host gets real
#     copies, no inode shared with another root or DIR/sudo (sudo 4755
#     root:root); libraries a host already has are kept, the sudo files
#     replaced (unlinked first, never written in place). Needs sudo
#     installed here (apt-get install sudo). Check: fleet_ssh DIR K sudo -n id -u.
#
# Layout of DIR (root-owned, 0755):
#   .envdrift-fleet  marker     port, n   the port and host count
#   keys/  id_ed25519{,.pub} (client key, root 0600), authorized_keys,
#          hK/ssh_host_{ed25519,ecdsa}_key{,.pub}: host K's keys, which its
#          sshd reads (a file planted in the root later changes nothing)
#   run/   sshd-K.conf sshd-K.log sshd-K.pid (K=1..N, one sshd per host;
#          sshd removes its pid file when it exits), pids (all listener
#          PIDs, one a line)
#   base/  the merged template + runtime every host is cloned from; holds
#          none of the per-host files below (nothing of them is shared)
#   hosts/hK  cp -al of base, plus files of its own (real files, one link):
#          etc/hostname, proc/sys/kernel/hostname,
#          etc/ssh/ssh_host_{ed25519,ecdsa}_key{,.pub} (a copy of keys/hK:
#          0600 and 0644, root), and fleet_identity's files
#          ($FLEET_IDENTITY_FILES)
#   known_hosts     "[127.0.0.K]:PORT ssh-ed25519 ..." and "... ecdsa-..."
#                   lines, each host's own keys, in host order
#   inventory.yaml  Ansible YAML: staging (hosts 1..N/2), prod (the rest),
#                   web (all); per host ansible_host/port/user/key file.

FLEET_USER=envdrift-fleet
FLEET_HOME=/home/envdrift-fleet
FLEET_SECRET_FILE=/etc/ssh/ssh_host_ed25519_key
FLEET_SSHD=${FLEET_SSHD:-/usr/sbin/sshd}
# tools copied into each root, with the libraries ldd names
FLEET_BINS=${FLEET_BINS:-"dash find grep tar cat sed head tail printf test [ env sleep id yes wc ls stat sort uniq uname tr cut xargs readlink timeout true false sha256sum md5sum gzip base64 mkdir rm mv cp ln touch chmod date od awk mawk echo expr basename dirname"}

# what fleet_identity writes per host: the base keeps none of them
FLEET_IDENTITY_FILES="/etc/hostname /etc/mailname /etc/machine-id /etc/hosts /etc/network/interfaces
/etc/netplan/50-cloud-init.yaml /proc/net/fib_trie /proc/net/if_inet6 /proc/net/tcp /proc/net/tcp6
/proc/net/udp /proc/net/udp6 /sys/class/net/lo/address /sys/class/net/eth0/address"

_fl_err() { echo "fleet: $*" >&2; }
# FLEET_TRACE=1: phase times of fleet_setup on stderr
_fl_tr() {
	[ -n "${FLEET_TRACE:-}" ] || return 0
	_fl_now=$(date +%s.%N)
	echo "fleet: $(echo "${_fl_t0:-$_fl_now} $_fl_now" | awk '{ printf "%6.2f", $2 - $1 }') s $*" >&2
	[ -n "${_fl_t0:-}" ] || _fl_t0=$_fl_now
}
_fl_die() { echo "fleet: $*" >&2; exit 1; }

# _fl_checkdir DIR: DIR is a safe absolute path
_fl_checkdir() {
	case $1 in
	/*) ;;
	*) _fl_err "DIR must be absolute: '$1'"; return 1 ;;
	esac
	case $1 in
	*[!A-Za-z0-9._/-]* | */../* | */..) _fl_err "DIR: only [A-Za-z0-9._/-], no '..': '$1'"; return 1 ;;
	esac
	return 0
}

# _fl_checkk DIR K: K is a host of the fleet at DIR
_fl_checkk() {
	case $2 in
	'' | *[!0-9]*) _fl_err "bad host number '$2'"; return 1 ;;
	esac
	if [ ! -d "$1/hosts/h$2" ]; then
		_fl_err "no host h$2 in $1"
		return 1
	fi
}

# _fl_checkpath PATH: absolute, no '..'
_fl_checkpath() {
	case $1 in
	/*) ;;
	*) _fl_err "path must be absolute: '$1'"; return 1 ;;
	esac
	case /$1/ in
	*/../*) _fl_err "no '..' in path: '$1'"; return 1 ;;
	esac
}

fleet_addr() { echo "127.0.0.$(($1 + 1))"; }

fleet_mktemp() {
	_fl_base=${FLEET_BASE:-/var/lib/envdrift-fleet}
	(umask 022 && mkdir -p "$_fl_base") || return 1
	_fl_d=$(mktemp -d "$_fl_base/fleet.XXXXXX") || return 1
	chmod 755 "$_fl_d" && echo "$_fl_d"
}

fleet_env() {
	_fl_checkdir "$1" || return 1
	if [ ! -f "$1/.envdrift-fleet" ] || [ ! -f "$1/port" ]; then
		_fl_err "$1 is not a fleet directory"
		return 1
	fi
	FLEET_DIR=$1
	FLEET_N=$(cat "$1/n")
	FLEET_PORT=$(cat "$1/port")
	FLEET_KEY=$1/keys/id_ed25519
	FLEET_KNOWN_HOSTS=$1/known_hosts
	FLEET_INVENTORY=$1/inventory.yaml
	export FLEET_DIR FLEET_N FLEET_PORT FLEET_USER FLEET_KEY FLEET_KNOWN_HOSTS \
		FLEET_INVENTORY FLEET_SECRET_FILE
}

# _fl_user: the login user, with '*' as password so UsePAM no lets keys in
_fl_user() {
	if ! getent passwd "$FLEET_USER" >/dev/null; then
		useradd -r -U -M -d "$FLEET_HOME" -s /bin/sh \
			-c "envdrift fleet test user" "$FLEET_USER" 2>/dev/null ||
			getent passwd "$FLEET_USER" >/dev/null ||
			_fl_die "cannot create user $FLEET_USER"
	fi
	case $(getent shadow "$FLEET_USER" | cut -d: -f2) in
	'*') ;;
	*) usermod -p '*' "$FLEET_USER" || _fl_die "cannot set the password field of $FLEET_USER" ;;
	esac
}

# _fl_ancestors DIR: every existing component root-owned, not g/o-writable
_fl_ancestors() {
	_fl_p=$1
	while :; do
		if [ -e "$_fl_p" ]; then
			# shellcheck disable=SC2046
			set -- $(stat -L -c '%u %a' "$_fl_p")
			if [ "$1" != 0 ] || [ $((0$2 & 022)) -ne 0 ]; then
				_fl_err "$_fl_p: owner uid $1 mode $2; ChrootDirectory needs every component root-owned and not group/other-writable (not under /tmp; see fleet_mktemp)"
				return 1
			fi
		fi
		[ "$_fl_p" = / ] && break
		_fl_p=$(dirname "$_fl_p")
	done
	return 0
}

# _fl_usrmerge ROOT: bin, sbin, lib, lib64 as on this machine
# _fl_copy_libs ROOT: copy into ROOT every library the ldd output on stdin
# names (absolute paths, symlinks followed)
_fl_copy_libs() {
	awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// && $1 !~ /:$/ { print $1 }' | sort -u |
	while read -r _fl_lib; do
		mkdir -p "$1$(dirname "$_fl_lib")" && cp -L --remove-destination "$_fl_lib" "$1$_fl_lib" || exit 1
	done
}

_fl_usrmerge() {
	for _fl_l in bin sbin lib lib64; do
		[ -e "$1/$_fl_l" ] || [ -L "$1/$_fl_l" ] && continue
		if [ -L "/$_fl_l" ]; then
			_fl_t=$(readlink "/$_fl_l")
			mkdir -p "$1/$_fl_t" && ln -s "$_fl_t" "$1/$_fl_l"
		elif [ -d "/$_fl_l" ]; then
			mkdir -p "$1/$_fl_l"
		fi
	done
	mkdir -p "$1/usr/bin" "$1/usr/sbin"
}

# _fl_runtime ROOT: the shell, tools and their libraries, /dev, /tmp, home
_fl_runtime() {
	_fl_usrmerge "$1" || return 1
	_fl_paths=
	for _fl_bin in $FLEET_BINS; do
		_fl_src=$(command -v -- "$_fl_bin" 2>/dev/null)
		case $_fl_src in
		/*) ;;
		*) for _fl_d in /usr/bin /bin /usr/sbin /sbin; do
			[ -x "$_fl_d/$_fl_bin" ] && { _fl_src=$_fl_d/$_fl_bin; break; }
		   done ;;
		esac
		case $_fl_src in
		/*) cp -L --remove-destination "$_fl_src" "$1/usr/bin/$_fl_bin" || return 1
		    _fl_paths="$_fl_paths $_fl_src" ;;
		*) [ "$_fl_bin" = dash ] && { _fl_err "no dash"; return 1; } ;;
		esac
	done
	ln -sf dash "$1/usr/bin/sh"
	# /bin a real directory in the template: give it a shell too
	[ -L "$1/bin" ] || { mkdir -p "$1/bin" && ln -f "$1/usr/bin/dash" "$1/bin/sh"; }
	# shellcheck disable=SC2086
	ldd $_fl_paths 2>/dev/null | _fl_copy_libs "$1" || return 1
	mkdir -p "$1/dev" "$1/tmp" "$1/var/tmp" "$1/run" "$1/root" "$1$FLEET_HOME" "$1/etc"
	for _fl_dev in null:3 zero:5 random:8 urandom:9; do
		rm -f "$1/dev/${_fl_dev%:*}"
		mknod -m 0666 "$1/dev/${_fl_dev%:*}" c 1 "${_fl_dev#*:}" || return 1
	done
	chmod 1777 "$1/tmp" "$1/var/tmp"
	chmod 0700 "$1/root"
	chown "$FLEET_USER:" "$1$FLEET_HOME" && chmod 0755 "$1$FLEET_HOME"
}

# _fl_accounts ROOT: root and the login user in passwd/group (same ids)
_fl_accounts() {
	for _fl_db in passwd group; do
		[ -f "$1/etc/$_fl_db" ] || : >"$1/etc/$_fl_db"
		chmod 0644 "$1/etc/$_fl_db"
		grep -q '^root:' "$1/etc/$_fl_db" || getent "$_fl_db" root >>"$1/etc/$_fl_db"
	done
	grep -q "^$FLEET_USER:" "$1/etc/passwd" || getent passwd "$FLEET_USER" >>"$1/etc/passwd"
	_fl_g=$(getent group "$(id -g "$FLEET_USER")" | cut -d: -f1)
	grep -q "^$_fl_g:" "$1/etc/group" || getent group "$_fl_g" >>"$1/etc/group"
}

# _fl_template ROOT: realistic content from this machine
_fl_template() {
	mkdir -p "$1/etc/ssh" "$1/usr/lib" "$1/var/lib/dpkg" "$1/proc/sys"
	for _fl_f in apt default ssh/ssh_config ssh/ssh_config.d hosts hosts.allow \
		hosts.deny host.conf networks login.defs passwd group nsswitch.conf \
		systemd/system sysctl.d sysctl.conf cron.d crontab debian_version issue \
		issue.net fstab environment adduser.conf motd localtime timezone \
		modules-load.d logrotate.d os-release; do
		[ -e "/etc/$_fl_f" ] || [ -L "/etc/$_fl_f" ] || continue
		mkdir -p "$1/etc/$(dirname "$_fl_f")" &&
			cp -a "/etc/$_fl_f" "$1/etc/$(dirname "$_fl_f")/" ||
			_fl_err "warning: cannot copy /etc/$_fl_f"
	done
	[ -f /usr/lib/os-release ] && cp -a /usr/lib/os-release "$1/usr/lib/"
	[ -L "$1/etc/os-release" ] || [ -e "$1/etc/os-release" ] ||
		ln -s ../usr/lib/os-release "$1/etc/os-release"
	# synthetic shadow: no real hashes leave the machine
	awk -F: '{ print $1 ":*:19700:0:99999:7:::" }' /etc/passwd >"$1/etc/shadow"
	chmod 0640 "$1/etc/shadow"
	chgrp shadow "$1/etc/shadow" 2>/dev/null
	[ -f /var/lib/dpkg/status ] && cp /var/lib/dpkg/status "$1/var/lib/dpkg/status"
	fleet_proc_files "$1"
}

# fleet_proc_files ROOT: this machine's /proc/sys, cmdline, modules and
# meminfo as regular files under ROOT/proc (a chroot has no procfs)
fleet_proc_files() {
	mkdir -p "$1/proc/sys" || return 1
	set -- "$(cd "$1" && pwd)" # the copy runs in /proc/sys
	# /proc as regular files: readable keys copied (cp reads to EOF), the
	# others (write-only) as empty files with their mode
	( cd /proc/sys && find . -type f -perm -0444 -print0 |
		xargs -0 cp --parents --preserve=mode -t "$1/proc/sys" 2>/dev/null
	  find . -type f ! -perm -0444 | while read -r _fl_k; do
		[ -f "$1/proc/sys/$_fl_k" ] && continue
		mkdir -p "$1/proc/sys/$(dirname "$_fl_k")"
		cp --preserve=mode "$_fl_k" "$1/proc/sys/$_fl_k" 2>/dev/null || {
			: >"$1/proc/sys/$_fl_k"
			chmod "$(stat -c %a "$_fl_k")" "$1/proc/sys/$_fl_k"
		}
	  done )
	for _fl_f in cmdline modules meminfo; do
		cat "/proc/$_fl_f" >"$1/proc/$_fl_f" 2>/dev/null || : >"$1/proc/$_fl_f"
		chmod 0444 "$1/proc/$_fl_f"
	done
	[ -s "$1/proc/sys/kernel/osrelease" ] || uname -r >"$1/proc/sys/kernel/osrelease"
	chmod 0555 "$1/proc"
}

# _fl_sshd_conf DIR K PORT: the config of host K's own sshd
_fl_sshd_conf() {
	cat >"$1/run/sshd-$2.conf" <<EOF
# generated by tests/lib/fleet.sh; host h$2
ListenAddress $(fleet_addr "$2"):$3
HostKey $1/keys/h$2/ssh_host_ed25519_key
HostKey $1/keys/h$2/ssh_host_ecdsa_key
PidFile $1/run/sshd-$2.pid
ChrootDirectory $1/hosts/h$2
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $1/keys/authorized_keys
StrictModes no
AllowUsers $FLEET_USER
PermitRootLogin no
MaxStartups 200:30:400
MaxSessions 10
LoginGraceTime 30
UseDNS no
PrintMotd no
PrintLastLog no
PermitUserRC no
PermitUserEnvironment no
X11Forwarding no
AllowTcpForwarding local
AllowAgentForwarding no
LogLevel ERROR
Subsystem sftp internal-sftp
EOF
}

_fl_port_free() {
	[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# _fl_listening DIR N PORT: how many of the N addresses listen on PORT
_fl_listening() {
	if command -v ss >/dev/null; then
		ss -Hltn "sport = :$3" 2>/dev/null | awk -v n="$2" -v p="$3" '
			{ a = $4; sub(/:[0-9]+$/, "", a); split(a, o, ".")
			  if (o[1] == 127 && o[2] == 0 && o[3] == 0 && o[4] >= 2 && o[4] <= n + 1) seen[a] = 1 }
			END { c = 0; for (a in seen) c++; print c }'
	else
		_fl_c=0 _fl_k=1
		while [ "$_fl_k" -le "$2" ]; do
			timeout 1 bash -c "</dev/tcp/$(fleet_addr "$_fl_k")/$3" 2>/dev/null &&
				_fl_c=$((_fl_c + 1))
			_fl_k=$((_fl_k + 1))
		done
		echo "$_fl_c"
	fi
}

# _fl_start DIR N PORT: start one sshd per host (a few at a time); 0 when
# all N listen, 2 on a port clash (caller retries another port), 1 otherwise
_fl_start() {
	rm -f "$1"/run/sshd-*.conf "$1"/run/sshd-*.log "$1"/run/sshd-*.pid "$1/run/pids" "$1/run/failed"
	_fl_k=1
	while [ "$_fl_k" -le "$2" ]; do
		_fl_sshd_conf "$1" "$_fl_k" "$3"
		_fl_k=$((_fl_k + 1))
	done
	# sshd forks into the background once its keys are loaded: the
	# starts of one batch overlap those of the others
	# shellcheck disable=SC2016
	seq 1 "$2" | xargs -P "$((_fl_par * 2))" -n 8 sh -c '
		d=$1 sshd=$2; shift 2
		for k; do
			"$sshd" -f "$d/run/sshd-$k.conf" -E "$d/run/sshd-$k.log" || echo "$k" >>"$d/run/failed"
		done' sh "$1" "$FLEET_SSHD"
	if [ -s "$1/run/failed" ]; then
		for _fl_k in $(sort -n "$1/run/failed" | head -n 3); do
			_fl_err "sshd of h$_fl_k did not start:"
			sed 's/^/fleet:   /' "$1/run/sshd-$_fl_k.log" >&2
		done
		return 1
	fi
	# the pid file is written once the listen socket is bound
	_fl_t=0
	while [ "$_fl_t" -lt 100 ]; do
		_fl_ok=1 _fl_k=1
		while [ "$_fl_k" -le "$2" ]; do
			[ -s "$1/run/sshd-$_fl_k.pid" ] || { _fl_ok=0; break; }
			_fl_k=$((_fl_k + 1))
		done
		[ "$_fl_ok" = 1 ] && break
		sleep 0.1
		_fl_t=$((_fl_t + 1))
	done
	cat "$1"/run/sshd-*.pid >"$1/run/pids" 2>/dev/null
	if grep -q 'Bind to port\|Cannot bind' "$1"/run/sshd-*.log 2>/dev/null; then
		return 2
	fi
	[ "$_fl_ok" = 1 ] || { _fl_err "sshd pid files missing after 10 s"; return 1; }
	_fl_t=0
	while [ "$_fl_t" -lt 100 ]; do
		[ "$(_fl_listening "$1" "$2" "$3")" -eq "$2" ] && return 0
		sleep 0.1
		_fl_t=$((_fl_t + 1))
	done
	_fl_err "only $(_fl_listening "$1" "$2" "$3") of $2 addresses listen on port $3 after 10 s"
	return 1
}

_fl_inventory() {
	_fl_half=$(($2 / 2))
	{
		echo "# generated by tests/lib/fleet.sh"
		echo "all:"
		echo "  children:"
		for _fl_g in staging prod; do
			if [ "$_fl_g" = staging ]; then _fl_k=1 _fl_end=$_fl_half; else _fl_k=$((_fl_half + 1)) _fl_end=$2; fi
			echo "    $_fl_g:"
			if [ "$_fl_k" -gt "$_fl_end" ]; then
				echo "      hosts: {}"
				continue
			fi
			echo "      hosts:"
			while [ "$_fl_k" -le "$_fl_end" ]; do
				echo "        h$_fl_k:"
				echo "          ansible_host: $(fleet_addr "$_fl_k")"
				echo "          ansible_port: $3"
				echo "          ansible_user: $FLEET_USER"
				echo "          ansible_ssh_private_key_file: $1/keys/id_ed25519"
				_fl_k=$((_fl_k + 1))
			done
		done
		echo "    web:"
		echo "      hosts:"
		_fl_k=1
		while [ "$_fl_k" -le "$2" ]; do
			echo "        h$_fl_k:"
			_fl_k=$((_fl_k + 1))
		done
	} >"$1/inventory.yaml"
}

_fl_setup() {
	_fl_dir=$1 _fl_n=$2 _fl_tpl=${3:-}
	umask 022
	_fl_t0=
	_fl_tr start
	[ "$(id -u)" = 0 ] || _fl_die "fleet_setup needs root"
	_fl_checkdir "$_fl_dir" || exit 1
	case $_fl_n in '' | *[!0-9]*) _fl_die "N must be a number: '$_fl_n'" ;; esac
	[ "$_fl_n" -ge 1 ] && [ "$_fl_n" -le 250 ] || _fl_die "N must be 1..250 (127.0.0.2..251), not $_fl_n"
	if [ -n "$_fl_tpl" ] && [ ! -d "$_fl_tpl" ]; then _fl_die "no template root $_fl_tpl"; fi
	[ -x "$FLEET_SSHD" ] || _fl_die "no sshd at $FLEET_SSHD"
	if [ -e "$_fl_dir" ] && [ -n "$(ls -A "$_fl_dir")" ]; then _fl_die "$_fl_dir is not empty"; fi
	_fl_ancestors "$_fl_dir" || exit 1
	mkdir -p "$_fl_dir" && chown root:root "$_fl_dir" && chmod 0755 "$_fl_dir" || exit 1
	mkdir -p "$_fl_dir/keys" "$_fl_dir/run" "$_fl_dir/hosts" /run/sshd || exit 1
	chmod 0755 /run/sshd
	echo "envdrift fleet (tests/lib/fleet.sh)" >"$_fl_dir/.envdrift-fleet"
	echo "$_fl_n" >"$_fl_dir/n"
	_fl_user

	_fl_kd=$_fl_dir/keys
	ssh-keygen -q -t ed25519 -N '' -C envdrift-fleet-client -f "$_fl_kd/id_ed25519" </dev/null ||
		_fl_die "ssh-keygen failed"
	cp "$_fl_kd/id_ed25519.pub" "$_fl_kd/authorized_keys" && chmod 0644 "$_fl_kd/authorized_keys"
	_fl_tr "user and client key"

	# base: template, then the runtime and accounts on top
	_fl_b=$_fl_dir/base
	mkdir "$_fl_b" || exit 1
	if [ -n "$_fl_tpl" ]; then
		cp -a "$_fl_tpl/." "$_fl_b/" || _fl_die "cannot copy template $_fl_tpl"
	else
		_fl_template "$_fl_b" || _fl_die "cannot build the template"
		_fl_tr template
	fi
	chown root:root "$_fl_b" && chmod 0755 "$_fl_b"
	_fl_runtime "$_fl_b" || _fl_die "cannot install the runtime"
	_fl_accounts "$_fl_b" || _fl_die "cannot write passwd/group"
	# per-host files are never shared inodes: the base has none (every
	# host gets its own SSH host keys, and its identity unless turned off)
	mkdir -p "$_fl_b/etc/ssh" || exit 1
	rm -f "$_fl_b/etc/hostname" "$_fl_b/proc/sys/kernel/hostname" \
		"$_fl_b"/etc/ssh/ssh_host_*_key "$_fl_b"/etc/ssh/ssh_host_*_key.pub
	if [ "${FLEET_IDENTITY:-1}" != 0 ]; then
		for _fl_f in $FLEET_IDENTITY_FILES; do rm -f "$_fl_b$_fl_f"; done
		# (directories are each host's own in a cp -al clone)
		mkdir -p "$_fl_b/etc/network" "$_fl_b/etc/netplan" "$_fl_b/proc/net" \
			"$_fl_b/proc/sys/net/ipv4" "$_fl_b/sys/class/net/lo" "$_fl_b/sys/class/net/eth0" &&
			chmod 0555 "$_fl_b/proc/net" || exit 1
	fi
	_fl_tr "runtime ($(find "$_fl_b" | wc -l) entries per host)"

	# clone the hosts, a few cp -al at a time (link() is all kernel time)
	_fl_par=$(nproc 2>/dev/null || echo 2)
	[ "$_fl_par" -gt 8 ] && _fl_par=8
	seq 1 "$_fl_n" | xargs -P "$((_fl_par * 2))" -n 8 sh -c '
		d=$1; shift
		for k; do
			cp -al "$d/base" "$d/hosts/h$k" || exit 255
			echo "h$k" >"$d/hosts/h$k/etc/hostname" || exit 255
			if [ -d "$d/hosts/h$k/proc/sys/kernel" ]; then
				echo "h$k" >"$d/hosts/h$k/proc/sys/kernel/hostname" || exit 255
			fi
		done' sh "$_fl_dir" || _fl_die "cannot clone the hosts"
	_fl_tr "cloned $_fl_n hosts"

	# each host's own SSH host keys: sshd reads DIR/keys/hK, the root
	# holds a copy of the same pair (ssh-keygen: key 0600, .pub 0644)
	(cd "$_fl_kd" && seq 1 "$_fl_n" | sed 's/^/h/' | xargs mkdir) || exit 1
	# shellcheck disable=SC2016
	seq 1 "$_fl_n" | xargs -P "$((_fl_par * 2))" -n 8 sh -c '
		d=$1; shift
		for k; do
			for t in ed25519 ecdsa; do
				ssh-keygen -q -t $t -N "" -C "root@h$k" -f "$d/keys/h$k/ssh_host_${t}_key" </dev/null || exit 255
			done
			cp -p "$d/keys/h$k"/ssh_host_* "$d/hosts/h$k/etc/ssh/" || exit 255
		done' sh "$_fl_dir" || _fl_die "cannot make the hosts' SSH keys"
	_fl_tr "SSH host keys of $_fl_n hosts"
	if [ "${FLEET_IDENTITY:-1}" != 0 ]; then
		fleet_identity "$_fl_dir" || _fl_die "cannot give the hosts their identity"
		_fl_tr "identity of $_fl_n hosts"
	fi

	# port: FLEET_PORT or 22400 + pid % 500; retry on a clash
	_fl_port=${FLEET_PORT:-$((22400 + $$ % 500))}
	_fl_try=0
	while :; do
		_fl_scan=0
		while ! _fl_port_free "$_fl_port"; do
			_fl_port=$((_fl_port + 1))
			_fl_scan=$((_fl_scan + 1))
			[ "$_fl_scan" -lt 200 ] || _fl_die "no free port found"
		done
		echo "$_fl_port" >"$_fl_dir/port"
		_fl_start "$_fl_dir" "$_fl_n" "$_fl_port"
		case $? in
		0) break ;;
		2) _fl_try=$((_fl_try + 1))
		   fleet_stop "$_fl_dir" >/dev/null 2>&1
		   [ "$_fl_try" -lt 5 ] || _fl_die "port clashes 5 times; last port $_fl_port"
		   _fl_port=$((_fl_port + 1)) ;;
		*) fleet_stop "$_fl_dir" >/dev/null 2>&1; exit 1 ;;
		esac
	done

	_fl_tr "sshd listening on port $_fl_port"
	# each host's own keys, in host order
	seq 1 "$_fl_n" | awk -v d="$_fl_kd" -v p="$_fl_port" '{
		for (t = 1; t <= 2; t++) {
			f = d "/h" $1 "/ssh_host_" (t == 1 ? "ed25519" : "ecdsa") "_key.pub"
			if ((getline l <f) <= 0) { print "fleet: cannot read " f >"/dev/stderr"; exit 1 }
			close(f)
			split(l, w, " ")
			printf "[127.0.0.%d]:%s %s %s\n", $1 + 1, p, w[1], w[2]
		} }' >"$_fl_dir/known_hosts" || _fl_die "cannot write known_hosts"
	_fl_inventory "$_fl_dir" "$_fl_n" "$_fl_port"
	_fl_tr "known_hosts and inventory"
}

fleet_setup() {
	if [ $# -lt 2 ]; then
		_fl_err "usage: fleet_setup DIR N [TEMPLATE_ROOT]"
		return 1
	fi
	(_fl_setup "$@") || return 1
	fleet_env "$1"
}

fleet_ssh() {
	if [ $# -lt 3 ]; then
		_fl_err "usage: fleet_ssh DIR K CMD..."
		return 255
	fi
	_fl_checkdir "$1" && _fl_checkk "$1" "$2" || return 255
	_fl_sd=$1 _fl_sk=$2
	shift 2
	ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes \
		-o UserKnownHostsFile="$_fl_sd/known_hosts" -o GlobalKnownHostsFile=/dev/null \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o ControlMaster=no \
		-o ConnectTimeout=10 -o LogLevel=ERROR \
		-i "$_fl_sd/keys/id_ed25519" -p "$(cat "$_fl_sd/port")" \
		"$FLEET_USER@$(fleet_addr "$_fl_sk")" "$@"
}

fleet_set_file() {
	if [ $# -lt 3 ]; then
		_fl_err "usage: fleet_set_file DIR K PATH [CONTENT [MODE]]"
		return 1
	fi
	_fl_checkdir "$1" && _fl_checkk "$1" "$2" && _fl_checkpath "$3" || return 1
	_fl_t=$1/hosts/h$2$3
	_fl_new=$(dirname "$_fl_t")/.fleet-new.$$.$(basename "$_fl_t")
	mkdir -p "$(dirname "$_fl_t")" || return 1
	if [ $# -ge 4 ]; then
		printf '%s\n' "$4" >"$_fl_new"
	else
		cat >"$_fl_new"
	fi || { rm -f "$_fl_new"; return 1; }
	if [ $# -ge 5 ]; then
		chmod "$5" "$_fl_new"
	elif [ -f "$_fl_t" ] && [ ! -L "$_fl_t" ]; then
		chmod --reference="$_fl_t" "$_fl_new" && chown --reference="$_fl_t" "$_fl_new"
	else
		chmod 0644 "$_fl_new"
	fi || { rm -f "$_fl_new"; return 1; }
	mv -f "$_fl_new" "$_fl_t"
}

fleet_rm_file() {
	_fl_checkdir "$1" && _fl_checkk "$1" "$2" && _fl_checkpath "$3" || return 1
	rm -f "$1/hosts/h$2$3"
}

fleet_set_sysctl() {
	if [ $# -ne 4 ]; then
		_fl_err "usage: fleet_set_sysctl DIR K KEY VALUE"
		return 1
	fi
	case $3 in
	*/*) _fl_key=$3 ;;
	*) _fl_key=$(echo "$3" | tr . /) ;;
	esac
	fleet_set_file "$1" "$2" "/proc/sys/${_fl_key#/}" "$4"
}

# _fl_ours DIR PID...: print the PIDs that are still an sshd of this fleet
# (its binary, a command line naming DIR/run/sshd-); three processes for
# any number of PIDs
_fl_ours() {
	_fl_od=$1
	shift
	[ $# -gt 0 ] || return 0
	# shellcheck disable=SC2046
	_fl_ex=$(find $(for _fl_p; do echo "/proc/$_fl_p/exe"; done) -maxdepth 0 \
		-lname "$FLEET_SSHD" 2>/dev/null | cut -d/ -f3 | tr '\n' , )
	[ -n "$_fl_ex" ] || return 0
	ps -o pid=,args= -p "${_fl_ex%,}" 2>/dev/null |
		awk -v d="$_fl_od/run/sshd-" 'index($0, d) { print $1 }'
}

# _fl_victims DIR: listener PIDs, their children, processes chrooted into DIR/hosts
_fl_victims() {
	# shellcheck disable=SC2046
	_fl_ls=$(_fl_ours "$1" $(cat "$1/run/pids" "$1"/run/sshd-*.pid 2>/dev/null | sort -u))
	if [ -n "$_fl_ls" ]; then
		echo "$_fl_ls"
		ps -o pid= --ppid "$(echo "$_fl_ls" | tr '\n' , | sed 's/,$//')" 2>/dev/null
	fi
	find /proc -maxdepth 2 -path '/proc/[0-9]*/root' -lname "$1/hosts/*" 2>/dev/null |
		cut -d/ -f3
}

fleet_stop() {
	_fl_checkdir "$1" || return 1
	[ -d "$1/run" ] || return 0
	_fl_sig=TERM _fl_t=0
	while [ "$_fl_t" -lt 60 ]; do
		_fl_v=$(_fl_victims "$1" | sort -u | tr '\n' ' ')
		[ -z "${_fl_v% }" ] && return 0
		[ "$_fl_t" -ge 50 ] && _fl_sig=KILL
		# shellcheck disable=SC2086
		[ "$_fl_t" = 0 ] || [ "$_fl_sig" = KILL ] || [ $((_fl_t % 10)) = 0 ] &&
			kill -s "$_fl_sig" $_fl_v 2>/dev/null
		sleep 0.1
		_fl_t=$((_fl_t + 1))
	done
	_fl_err "processes left after stop: $_fl_v"
	return 1
}

fleet_clean() {
	_fl_checkdir "$1" || return 1
	[ -e "$1" ] || return 0
	if [ ! -f "$1/.envdrift-fleet" ]; then
		_fl_err "$1 has no .envdrift-fleet marker; not removing it"
		return 1
	fi
	fleet_stop "$1"
	_fl_rc=$?
	if [ -d "$1/hosts" ]; then
		find "$1/hosts" -mindepth 1 -maxdepth 1 -print0 | xargs -0 -r -P 4 -n 16 rm -rf
	fi
	rm -rf "$1" || return 1
	return $_fl_rc
}

# _fl_idlib: identity.sh's functions, sourced once (FLEET_LIB, else
# tests/lib beside the calling script or under the current directory)
_fl_idlib() {
	command -v identity_live >/dev/null 2>&1 && return 0
	_fl_s=$(dirname "$0")
	for _fl_d in ${FLEET_LIB:+"$FLEET_LIB"} "$_fl_s/../lib" "$_fl_s/../tests/lib" \
		"$_fl_s/tests/lib" "$_fl_s/lib" tests/lib; do
		if [ -f "$_fl_d/identity.sh" ] && [ -f "$_fl_d/fleet.sh" ]; then
			# shellcheck source=/dev/null
			. "$_fl_d/identity.sh"
			return 0
		fi
	done
	_fl_err "cannot find tests/lib/identity.sh (set FLEET_LIB to that directory)"
	return 1
}

# fleet_identity DIR [K...]: see the header
fleet_identity() {
	if [ $# -lt 1 ]; then
		_fl_err "usage: fleet_identity DIR [K...]"
		return 1
	fi
	_fl_checkdir "$1" || return 1
	[ -f "$1/.envdrift-fleet" ] && [ -d "$1/hosts" ] || { _fl_err "$1 is not a fleet directory"; return 1; }
	_fl_idlib || return 1
	_fl_id=$1
	_fl_idn=$(cat "$_fl_id/n")
	shift
	# shellcheck disable=SC2046
	[ $# -gt 0 ] || set -- $(seq 1 "$_fl_idn")
	for _fl_k; do _fl_checkk "$_fl_id" "$_fl_k" || return 1; done
	# one read of /dev/urandom for every host (16 bytes of machine-id, 8
	# for identity_live's four numbers); the hosts split among a few
	# background shells
	_fl_idp=$(nproc 2>/dev/null || echo 2)
	[ "$_fl_idp" -gt 8 ] && _fl_idp=8
	[ "$_fl_idp" -gt $# ] && _fl_idp=$#
	_fl_rnd=$(od -An -v -tx1 -N$(($# * 24)) /dev/urandom) || return 1
	_fl_ks=$*
	_fl_j=0 _fl_pids=
	while [ "$_fl_j" -lt "$_fl_idp" ]; do
		# shellcheck disable=SC2086
		_fl_id_some "$_fl_id" "$_fl_idn" "$_fl_j" "$_fl_idp" "$_fl_ks" $_fl_rnd &
		_fl_pids="$_fl_pids $!"
		_fl_j=$((_fl_j + 1))
	done
	_fl_rc=0
	for _fl_p in $_fl_pids; do wait "$_fl_p" || _fl_rc=1; done
	[ "$_fl_rc" = 0 ] || _fl_err "fleet_identity failed"
	return "$_fl_rc"
}

# _fl_id_some DIR N J P "K..." BYTES...: identity_files and identity_live
# for the hosts K whose index I in the list has I % P = J; BYTES: 24 hex
# bytes per host of the list, in its order
_fl_id_some() {
	_fl_sd=$1 _fl_sn=$2 _fl_sj=$3 _fl_sp=$4 _fl_sks=$5
	shift 5
	_fl_i=0
	for _fl_k in $_fl_sks; do
		if [ $((_fl_i % _fl_sp)) -eq "$_fl_sj" ]; then
			# (identity.sh reads them)
			# shellcheck disable=SC2034
			ID_MACHINE_ID=$1$2$3$4$5$6$7$8$9${10}${11}${12}${13}${14}${15}${16}
			# shellcheck disable=SC2034
			ID_RANDOM="$((0x${17} * 256 + 0x${18})) $((0x${19} * 256 + 0x${20})) $((0x${21} * 256 + 0x${22})) $((0x${23} * 256 + 0x${24}))"
			if [ "$_fl_k" -le $((_fl_sn / 2)) ]; then _fl_e=staging; else _fl_e=prod; fi
			if ! identity_files "$_fl_sd/hosts/h$_fl_k" "h$_fl_k" "$_fl_e" "$_fl_k" ||
				! identity_live "$_fl_sd/hosts/h$_fl_k" "h$_fl_k" "$_fl_e" "$_fl_k"; then
				_fl_err "cannot write the identity of h$_fl_k"
				return 1
			fi
		fi
		shift 24
		_fl_i=$((_fl_i + 1))
	done
}

# _fl_stage_once CALLER NAME STAGE DIR [K...]: check CALLER's arguments,
# then build DIR/NAME with the function STAGE unless it exists already
_fl_stage_once() {
	if [ $# -lt 4 ]; then
		_fl_err "usage: $1 DIR [K...]"
		return 1
	fi
	_fl_checkdir "$4" || return 1
	[ -f "$4/.envdrift-fleet" ] && [ -d "$4/hosts" ] || { _fl_err "$4 is not a fleet directory"; return 1; }
	[ ! -d "$4/$2" ] || return 0
	("$3" "$4/$2.new") && mv "$4/$2.new" "$4/$2" || {
		rm -rf "$4/$2.new"
		return 1
	}
}

# fleet_add_python DIR [K...]: see the header
fleet_add_python() {
	_fl_stage_once fleet_add_python python _fl_python_stage "$@" || return 1
	_fl_pd=$1
	shift
	[ $# -gt 0 ] || set -- $(seq 1 "$(cat "$_fl_pd/n")")
	for _fl_k; do
		_fl_checkk "$_fl_pd" "$_fl_k" || return 1
		# -n: a library the host already has stays its own file
		cp -a -l -n "$_fl_pd/python/." "$_fl_pd/hosts/h$_fl_k/" || {
			_fl_err "cannot link python into h$_fl_k"
			return 1
		}
	done
}

# _fl_python_stage ROOT: python3 + stdlib + python3-apt + dpkg + libraries
_fl_python_stage() {
	umask 022
	_fl_py=$(readlink -f /usr/bin/python3) || { _fl_err "no /usr/bin/python3"; return 1; }
	[ -x "$_fl_py" ] || { _fl_err "no /usr/bin/python3"; return 1; }
	_fl_pv=$(basename "$_fl_py")
	[ -d "/usr/lib/$_fl_pv" ] || { _fl_err "no /usr/lib/$_fl_pv"; return 1; }
	[ -d /usr/lib/python3/dist-packages/apt ] ||
		{ _fl_err "no python3-apt (apt-get install python3-apt)"; return 1; }
	mkdir -p "$1" && chmod 0755 "$1" && _fl_usrmerge "$1" || return 1
	cp -L "$_fl_py" "$1/usr/bin/$_fl_pv" && ln -sf "$_fl_pv" "$1/usr/bin/python3" || return 1
	_fl_pbins="$_fl_py"
	if [ -x /usr/bin/dpkg ]; then
		cp -L /usr/bin/dpkg "$1/usr/bin/dpkg" && _fl_pbins="$_fl_pbins /usr/bin/dpkg"
	fi
	( cd /usr/lib && tar cf - --exclude="$_fl_pv/test" --exclude="$_fl_pv/lib2to3" \
		--exclude="$_fl_pv/ensurepip" --exclude="$_fl_pv/pydoc_data" \
		--exclude="$_fl_pv/config-*" --exclude="$_fl_pv/idlelib" \
		--exclude="$_fl_pv/tkinter" "$_fl_pv" ) | tar xf - -C "$1/usr/lib" || return 1
	mkdir -p "$1/usr/lib/python3/dist-packages" || return 1
	for _fl_m in apt apt_pkg.cpython-*.so apt_inst.cpython-*.so aptsources; do
		for _fl_f in /usr/lib/python3/dist-packages/$_fl_m; do
			[ -e "$_fl_f" ] && { cp -a "$_fl_f" "$1/usr/lib/python3/dist-packages/" || return 1; }
		done
	done
	mkdir -p "$1/var/lib/apt/lists/partial" "$1/var/cache/apt/archives/partial" || return 1
	# apt_pkg.init_system() reads dpkg's cputable, ostable, tupletable
	if [ -d /usr/share/dpkg ]; then
		mkdir -p "$1/usr/share/dpkg" &&
			cp -a /usr/share/dpkg/cputable /usr/share/dpkg/ostable \
				/usr/share/dpkg/tupletable /usr/share/dpkg/abitable "$1/usr/share/dpkg/" ||
			return 1
	fi
	# the libraries of the interpreter, its extension modules and apt_pkg
	find "$1/usr/lib/$_fl_pv" "$1/usr/lib/python3/dist-packages" -name '*.so' >"$1.so" || return 1
	# shellcheck disable=SC2046
	{ ldd $_fl_pbins; xargs ldd <"$1.so"; } 2>/dev/null | _fl_copy_libs "$1" || return 1
	rm -f "$1.so"
}

# fleet_add_sudo DIR [K...]: see the header
fleet_add_sudo() {
	_fl_stage_once fleet_add_sudo sudo _fl_sudo_stage "$@" || return 1
	_fl_sd=$1
	shift
	[ $# -gt 0 ] || set -- $(seq 1 "$(cat "$_fl_sd/n")")
	for _fl_k; do
		_fl_checkk "$_fl_sd" "$_fl_k" || return 1
		_fl_h=$_fl_sd/hosts/h$_fl_k
		# real copies, no -l: libraries new to the host added, its own
		# kept; the sudo files replaced (--remove-destination unlinks
		# first: an inode shared with other roots is never written)
		(cd "$_fl_sd/sudo" && find . ! -type d) | while read -r _fl_f; do
			_fl_f=${_fl_f#.}
			case $_fl_f in
			/usr/bin/sudo | /usr/libexec/sudo/* | /etc/*)
				mkdir -p "$_fl_h$(dirname "$_fl_f")" &&
					cp -a --remove-destination "$_fl_sd/sudo$_fl_f" "$_fl_h$_fl_f" || exit 1 ;;
			*)	[ -e "$_fl_h$_fl_f" ] || [ -L "$_fl_h$_fl_f" ] && continue
				mkdir -p "$_fl_h$(dirname "$_fl_f")" &&
					cp -a "$_fl_sd/sudo$_fl_f" "$_fl_h$_fl_f" || exit 1 ;;
			esac
		done || { _fl_err "cannot copy sudo into h$_fl_k"; return 1; }
		# (cp -a kept owner and modes; said again, the check is cheap)
		chown root:root "$_fl_h/usr/bin/sudo" "$_fl_h/etc/sudoers" &&
			chmod 4755 "$_fl_h/usr/bin/sudo" && chmod 0440 "$_fl_h/etc/sudoers" || {
			_fl_err "cannot set the modes of sudo in h$_fl_k"
			return 1
		}
	done
}

# _fl_sudo_stage ROOT: sudo, its plugins, pam_permit, their libraries, config
_fl_sudo_stage() {
	umask 022
	_fl_sb=$(readlink -f /usr/bin/sudo 2>/dev/null)
	[ -x "$_fl_sb" ] && [ -u "$_fl_sb" ] ||
		{ _fl_err "no setuid /usr/bin/sudo here (apt-get install sudo)"; return 1; }
	[ -f /usr/libexec/sudo/sudoers.so ] || { _fl_err "no /usr/libexec/sudo/sudoers.so"; return 1; }
	_fl_pam=
	for _fl_f in /usr/lib/*/security/pam_permit.so /lib/*/security/pam_permit.so \
		/usr/lib/security/pam_permit.so /lib/security/pam_permit.so; do
		[ -f "$_fl_f" ] && { _fl_pam=$(readlink -f "$_fl_f"); break; }
	done
	[ -n "$_fl_pam" ] || { _fl_err "no pam_permit.so (apt-get install libpam-modules)"; return 1; }
	mkdir -p "$1" && chmod 0755 "$1" && _fl_usrmerge "$1" || return 1
	mkdir -p "$1/usr/libexec/sudo" "$1/etc/pam.d" "$1$(dirname "$_fl_pam")" || return 1
	cp -L "$_fl_sb" "$1/usr/bin/sudo" && chown root:root "$1/usr/bin/sudo" &&
		chmod 4755 "$1/usr/bin/sudo" || return 1
	# the policy plugin and libsudo_util.so* (its symlinks kept)
	cp -a /usr/libexec/sudo/sudoers.so /usr/libexec/sudo/libsudo_util.so* \
		"$1/usr/libexec/sudo/" || return 1
	cp -L "$_fl_pam" "$1$_fl_pam" || return 1
	# (sudo's own libraries are there already, their symlinks kept)
	ldd "$_fl_sb" /usr/libexec/sudo/sudoers.so "$_fl_pam" 2>/dev/null |
		grep -v '=> /usr/libexec/sudo/' | _fl_copy_libs "$1" || return 1
	cat >"$1/etc/sudo.conf" <<EOF
# generated by tests/lib/fleet.sh (fleet_add_sudo)
Plugin sudoers_policy sudoers.so
Plugin sudoers_io sudoers.so
Plugin sudoers_audit sudoers.so
Set probe_interfaces false
EOF
	cat >"$1/etc/sudoers" <<EOF
# generated by tests/lib/fleet.sh (fleet_add_sudo)
Defaults	env_reset, !fqdn, !syslog, !use_pty, !lecture
Defaults	secure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
root	ALL=(ALL:ALL) ALL
$FLEET_USER	ALL=(root) NOPASSWD: ALL
EOF
	cat >"$1/etc/pam.d/sudo" <<EOF
# generated by tests/lib/fleet.sh (fleet_add_sudo): no password, no limits
auth	required	pam_permit.so
account	required	pam_permit.so
session	required	pam_permit.so
EOF
	chown -R root:root "$1/etc" && chmod 0644 "$1/etc/sudo.conf" "$1/etc/pam.d/sudo" &&
		chmod 0440 "$1/etc/sudoers"
}

fleet_inventory() {
	echo "all:"
	echo "  vars:"
	echo "    ansible_port: $FLEET_PORT"
	echo "    ansible_user: $FLEET_USER"
	echo "    ansible_ssh_private_key_file: $FLEET_KEY"
	echo "  children:"
	echo "    web:"
	echo "      hosts:"
	_fl_k=1
	while [ "$_fl_k" -le "$1" ]; do echo "        h$_fl_k:"; _fl_k=$((_fl_k + 1)); done
	echo "    staging:"
	echo "      hosts:"
	_fl_k=1
	while [ "$_fl_k" -le "$2" ]; do
		echo "        h$_fl_k: {ansible_host: $(fleet_addr "$_fl_k")}"
		_fl_k=$((_fl_k + 1))
	done
	echo "    prod:"
	echo "      hosts:"
	while [ "$_fl_k" -le "$1" ]; do
		echo "        h$_fl_k: {ansible_host: $(fleet_addr "$_fl_k")}"
		_fl_k=$((_fl_k + 1))
	done
	cat
}
