#!/bin/sh
# The OpenSSH transport (issue 15 section 2): SSH setups libssh2 1.10
# cannot serve, against real sshds on 127.0.0.1 serving one chrooted host
# root (tests/lib/fleet.sh's h1) behind five configurations: an RSA-only
# sshd with an RSA user key, a host certificate trusted by
# @cert-authority, a user certificate (TrustedUserCAKeys), a ProxyCommand
# hop through h1's sshd, and a host only an Included ssh_config names.
# Each is collected (retried over OpenSSH, or chosen by ssh -G), the
# snapshot is byte-identical to the libssh2 scan of the same root, -v says
# which transport ran and why, and an ansible_host or user starting with
# '-' is refused before any connection.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

command -v ssh >/dev/null && command -v ssh-keygen >/dev/null ||
	{ fail "needs ssh and ssh-keygen (openssh-client)"; finish; exit 1; }
EXTRA_PIDS=
ATEXIT='for p in $EXTRA_PIDS; do kill "$p" 2>/dev/null; done'
FLEET_IDENTITY=0
export FLEET_IDENTITY
start_fleet 1

K=$TMP/keys
# sshd reads authorized_keys as the user: the directories must let it
mkdir -p "$K" && chmod 755 "$TMP" "$K"
H1=$(fleet_addr 1)
P=$FLEET_PORT

# throw-away keys: an RSA host key, a host CA and a host certificate, a
# user RSA key, a user CA and a certificate for the fleet user
ssh-keygen -q -t rsa -b 2048 -N '' -f "$K/host_rsa" -C host-rsa
ssh-keygen -q -t ed25519 -N '' -f "$K/host_ed" -C host-ed
ssh-keygen -q -t ed25519 -N '' -f "$K/host_ca" -C host-ca
ssh-keygen -q -s "$K/host_ca" -I host-cert -h -n "$H1" "$K/host_ed.pub"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$K/user_rsa" -C user-rsa
ssh-keygen -q -t ed25519 -N '' -f "$K/user_ca" -C user-ca
ssh-keygen -q -t ed25519 -N '' -f "$K/user_cert" -C user-cert
ssh-keygen -q -s "$K/user_ca" -I envdrift-test -n "$FLEET_USER" "$K/user_cert.pub"
cat "$FL/keys/authorized_keys" "$K/user_rsa.pub" >"$K/authorized_keys"
check "throw-away keys and certificates" test -s "$K/host_ed-cert.pub" -a -s "$K/user_cert-cert.pub"

# extra_sshd NAME LINES: another sshd for h1's root, on the first free
# port after the last one taken (NEXT_PORT), which it sets in PORT_NAME
NEXT_PORT=$((P + 1))
extra_sshd() {
	tries=0
	while [ "$tries" -lt 20 ]; do
		port=$NEXT_PORT
		NEXT_PORT=$((NEXT_PORT + 1))
		tries=$((tries + 1))
		_fl_port_free "$port" || continue
		{
			echo "ListenAddress $H1:$port"
			echo "PidFile $K/sshd-$1.pid"
			echo "ChrootDirectory $FL/hosts/h1"
			echo "UsePAM no"
			echo "PasswordAuthentication no"
			echo "KbdInteractiveAuthentication no"
			echo "StrictModes no"
			echo "AllowUsers $FLEET_USER"
			echo "UseDNS no"
			echo "PrintMotd no"
			echo "LogLevel ERROR"
			printf '%s\n' "$2"
		} >"$K/sshd-$1.conf"
		/usr/sbin/sshd -f "$K/sshd-$1.conf" -E "$K/sshd-$1.log" || continue
		i=0
		while [ ! -s "$K/sshd-$1.pid" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		[ -s "$K/sshd-$1.pid" ] || continue
		EXTRA_PIDS="$EXTRA_PIDS $(cat "$K/sshd-$1.pid")"
		eval "PORT_$1=$port"
		return 0
	done
	return 1
}
check "RSA-only sshd" extra_sshd rsa "HostKey $K/host_rsa
HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256
PubkeyAcceptedAlgorithms rsa-sha2-512,rsa-sha2-256
AuthorizedKeysFile $K/authorized_keys"
check "host-certificate sshd" extra_sshd hcert "HostKey $K/host_ed
HostCertificate $K/host_ed-cert.pub
AuthorizedKeysFile $K/authorized_keys"
check "user-certificate sshd" extra_sshd ucert "HostKey $FL/keys/h1/ssh_host_ed25519_key
TrustedUserCAKeys $K/user_ca.pub
AuthorizedKeysFile none"
P_RSA=${PORT_rsa:-0} P_HCERT=${PORT_hcert:-0} P_UCERT=${PORT_ucert:-0}

# known_hosts: the fleet's, the RSA host, and only a @cert-authority line
# for the host-certificate sshd
KH=$TMP/known_hosts
{
	cat "$FLEET_KNOWN_HOSTS"
	echo "[$H1]:$P_RSA $(cut -d' ' -f1,2 "$K/host_rsa.pub")"
	echo "[$H1]:$P_UCERT $(cut -d' ' -f1,2 "$FL/keys/h1/ssh_host_ed25519_key.pub")"
	echo "@cert-authority [$H1]:$P_HCERT $(cut -d' ' -f1,2 "$K/host_ca.pub")"
} >"$KH"

# ssh_config: a ProxyCommand hop through h1's own sshd, and an Include
# that alone names host "included"
cat >"$K/included.conf" <<CONF
Host included
	HostName $H1
	Port $P
	User $FLEET_USER
	IdentityFile $FLEET_KEY
CONF
cat >"$K/ssh_config" <<CONF
Include $K/included.conf
Host hop
	HostName $H1
	Port $P
	User $FLEET_USER
	IdentityFile $FLEET_KEY
	ProxyCommand ssh -F /dev/null -o BatchMode=yes -o UserKnownHostsFile=$KH -i $FLEET_KEY -p $P -l $FLEET_USER -W %h:%p $H1
CONF

R=$TMP/state
new_repo "$R"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $KH -v"
# inventory FILE [VARS]: h1 through the fleet's sshd, VARS added to it
h1_inventory() {
	cat >"$1" <<INV
all:
  children:
    staging:
      hosts:
        h1: {ansible_host: $H1, ansible_port: $P, ansible_user: $FLEET_USER, ansible_ssh_private_key_file: $FLEET_KEY${2:-}}
INV
}

# the same host over libssh2, then over OpenSSH: the same snapshot
h1_inventory "$TMP/h1.yaml"
expect_exit 0 "h1 over libssh2" $SCAN -i "$TMP/h1.yaml"
expect_grep "-v: h1 over libssh2, by default" "staging/h1 collected .* over libssh2: default" "$TMP/err"
T1=$(git -C "$R" rev-parse main:hosts/staging/h1)
h1_inventory "$TMP/h1o.yaml" ", envdrift_transport: openssh"
expect_exit 0 "h1 over OpenSSH (envdrift_transport)" $SCAN -i "$TMP/h1o.yaml"
expect_grep "-v: h1 over openssh, forced" "staging/h1 collected .* over openssh: envdrift_transport: openssh" "$TMP/err"
expect_eq "OpenSSH's snapshot of h1 is byte-identical to libssh2's (host tree id)" \
	"$T1" "$(git -C "$R" rev-parse main:hosts/staging/h1)"
expect_grep "the commit is unchanged" "(unchanged)" "$TMP/out"
# the two-phase exchange over OpenSSH: files older than the racy second
# are reused from the host's cache, not sent again (a scan two seconds
# after the last change caches every file, the one after it reuses them)
sleep 2
expect_exit 0 "h1 over OpenSSH, nothing racy" $SCAN -i "$TMP/h1o.yaml"
expect_exit 0 "h1 over OpenSSH again" $SCAN -i "$TMP/h1o.yaml"
expect_grep "-v: the incremental exchange over OpenSSH reuses the host's cache" \
	"staging/h1 collected .*; [0-9]+ files? sent, [1-9][0-9]* reused, [0-9]+ bytes(; [a-z ]+)?\\) over openssh" "$TMP/err"
sleep 2
expect_exit 0 "h1 over OpenSSH, --full" $SCAN --full -i "$TMP/h1o.yaml"
expect_grep "-v: --full over OpenSSH reuses nothing" \
	"staging/h1 collected .*; [0-9]+ files? sent, 0 reused, [0-9]+ bytes(; [a-z ]+)?\\) over openssh" "$TMP/err"
expect_eq "OpenSSH, incremental and --full: the same host tree" \
	"$T1" "$(git -C "$R" rev-parse main:hosts/staging/h1)"
# envdrift inventory shows the transport the scan chooses, and why
expect_exit 0 "inventory of the forced host" sh -c "$ENVDRIFT inventory -i '$TMP/h1o.yaml' >'$TMP/inv' 2>&1"
expect_grep "inventory: h1 over openssh, with the reason" "^  transport +openssh \\(envdrift_transport: openssh\\)" "$TMP/inv"
expect_exit 0 "inventory of the default host" sh -c "$ENVDRIFT inventory -i '$TMP/h1.yaml' >'$TMP/inv' 2>&1"
expect_grep "inventory: h1 over libssh2 by default" "^  transport +libssh2 \\(default" "$TMP/inv"

cat >"$TMP/five.yaml" <<INV
all:
  vars:
    ansible_user: $FLEET_USER
  children:
    staging:
      hosts:
        rsa: {ansible_host: $H1, ansible_port: $P_RSA, ansible_ssh_private_key_file: $K/user_rsa}
        hcert: {ansible_host: $H1, ansible_port: $P_HCERT, ansible_ssh_private_key_file: $FLEET_KEY}
        ucert: {ansible_host: $H1, ansible_port: $P_UCERT, ansible_ssh_private_key_file: $K/user_cert}
        hop:
        included:
INV
expect_exit 0 "five hosts libssh2 cannot serve" $SCAN -i "$TMP/five.yaml" --ssh-config "$K/ssh_config"
expect_grep "summary: 5 collected" "5 hosts, 5 collected, 0 failed" "$TMP/out"
cp "$TMP/err" "$TMP/five.err"
fsck_ok "$R"
expect_grep "-v: RSA-only host retried over OpenSSH after libssh2's failure" \
	"staging/rsa collected .* over openssh: OpenSSH after libssh2 failed: no host key algorithm in common" "$TMP/five.err"
expect_grep "-v: host certificate retried after libssh2's @cert-authority miss" \
	"staging/hcert collected .* over openssh: OpenSSH after libssh2 failed: host key unknown: .*@cert-authority" "$TMP/five.err"
expect_grep "-v: user certificate retried after libssh2's auth failure" \
	"staging/ucert collected .* over openssh: OpenSSH after libssh2 failed: authentication failed" "$TMP/five.err"
expect_grep "-v: ProxyCommand host chosen by ssh -G" \
	"staging/hop collected .* over openssh: ssh_config \\(.*ssh_config:1: Include, ssh -G\\): proxycommand" "$TMP/five.err"
expect_grep "-v: a host only the Included file names, chosen by ssh -G" \
	"staging/included collected .* over openssh: ssh_config \\(.*, ssh -G\\): hostname" "$TMP/five.err"
for h in rsa hcert ucert hop included; do
	expect_eq "$h: the same tree as h1 (same root, same snapshot)" \
		"$T1" "$(git -C "$R" rev-parse "main:hosts/staging/$h")"
done

# forced libssh2: no retry, libssh2's own failure
cat >"$TMP/forced.yaml" <<INV
all:
  children:
    staging:
      hosts:
        rsa: {ansible_host: $H1, ansible_port: $P_RSA, ansible_user: $FLEET_USER, ansible_ssh_private_key_file: $K/user_rsa, envdrift_transport: libssh2}
INV
expect_exit 3 "envdrift_transport: libssh2 is not retried (exit 3: hosts failed)" $SCAN -i "$TMP/forced.yaml"
expect_grep "libssh2's failure, as before" "unsupported key: rsa: no host key algorithm in common" "$TMP/err"
expect_no_grep "no OpenSSH attempt" "over openssh|ssh exited" "$TMP/err"

# OpenSSH failures: ssh's exit status and last stderr line in the message;
# at the deadline the whole process group (here a ProxyCommand) is killed
cat >>"$K/ssh_config" <<CONF
Host slow
	ProxyCommand sleep 37
CONF
cat >"$TMP/fail.yaml" <<INV
all:
  children:
    staging:
      hosts:
        nokey: {ansible_host: $H1, ansible_port: $P, ansible_user: $FLEET_USER, ansible_ssh_private_key_file: $K/user_ca, envdrift_transport: openssh}
        slow: {envdrift_deadline: 2}
        badkey: {ansible_host: $H1, ansible_port: $P, ansible_user: $FLEET_USER, ansible_ssh_private_key_file: $K/user_ca}
INV
expect_exit 3 "three hosts failing over OpenSSH" $SCAN -i "$TMP/fail.yaml" --ssh-config "$K/ssh_config"
expect_grep "auth failure: ssh's status and message" \
	"auth failed: nokey: ssh exited with status 255: .*Permission denied \(publickey\)" "$TMP/err"
expect_grep "deadline: timed out running ssh" "timed out: slow: timed out running ssh \(--deadline 2 s\)" "$TMP/err"
expect_grep "retried and failed again: both failures in the message" \
	"auth failed: badkey: ssh exited with status 255: .*Permission denied \(publickey\)\.; libssh2 before it: authentication failed for user" "$TMP/err"
expect_grep "-v: a failed host says which transport it tried and why" \
	"nokey: tried over openssh: envdrift_transport: openssh" "$TMP/err"
expect_grep "all in the Envdrift-Scan trailer" "Envdrift-Scan: 0 collected, 3 failed" \
	"$(git -C "$R" log -1 --format=%B main >"$TMP/msg"; echo "$TMP/msg")"
expect_eq "the ProxyCommand was killed with ssh" "" "$(pgrep -x -f 'sleep 37' || true)"

# an address or user starting with '-' would be an option of ssh: refused
# before any connection, naming the host (either transport)
before=$(git -C "$R" rev-parse main)
for v in "ansible_host: -oProxyCommand" "ansible_user: -oProxyCommand"; do
	cat >"$TMP/dash.yaml" <<INV
all:
  children:
    staging:
      hosts:
        h1: {ansible_host: $H1, ansible_port: $P, ansible_user: $FLEET_USER, ansible_ssh_private_key_file: $FLEET_KEY}
        evil: {ansible_port: $P, $v}
INV
	expect_exit 2 "$v: refused" $SCAN -i "$TMP/dash.yaml"
	expect_grep "$v: the message names the host and the CVE" \
		"dash.yaml:[0-9]+:[0-9]+: host evil: ${v%%:*} '-oProxyCommand' starts with '-'.*CVE-2017-1000117" "$TMP/err"
done
expect_eq "no commit after a refusal" "$before" "$(git -C "$R" rev-parse main)"
expect_exit 2 "envdrift_transport: a bad value" sh -c "sed 's/envdrift_deadline: 2/envdrift_transport: putty/' '$TMP/fail.yaml' >'$TMP/bad.yaml' && $SCAN -i '$TMP/bad.yaml'"
expect_grep "bad envdrift_transport: file, line, host, value" \
	"bad.yaml:[0-9]+:[0-9]+: host slow: envdrift_transport: want libssh2 or openssh, not 'putty'" "$TMP/err"

finish
