#!/bin/sh
# Secrets audit of envdrift scan with `become` (issue 5): a fleet whose
# hosts have a real setuid sudo in their chroots (fleet_add_sudo) and
# secrets only root can read: /etc/shadow (0640 root:shadow) with marker
# hashes, SSH host private keys (0600), a PEM key in a 0700
# /etc/ssl/private, a 0600 config with `password = ...`, a 0600 *.key
# file, the 0600 sysctls net.ipv4.tcp_fastopen_key and IPv6 stable_secret.
# Without become they are recorded unreadable, with no content; with
# `ansible_become: true` (sudo -n) their files lines are hmac: tokens, and
# not one secret byte, plain SHA-256 or git blob id of a secret file
# reaches a git object, the repository directory, a report format, status
# or scan -v's output; a change of each secret is drift, seen in git only
# as a changed token; become dropped again keeps the redacted lines.
# git fsck --strict clean. (t0022: the same audit without become.)
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

command -v openssl >/dev/null || { echo "# needs openssl"; fail "openssl"; finish; exit 1; }
[ -u /usr/bin/sudo ] || { echo "# needs sudo (make deps-test)"; fail "sudo installed"; finish; exit 1; }

T0=$(date +%s)
start_fleet 3
check "sudo staged into every host" fleet_add_sudo "$FL"
for k in 1 2 3; do
	expect_eq "h$k: sudo -n id -u over SSH is 0" 0 "$(fleet_ssh "$FL" "$k" sudo -n id -u 2>&1)"
done
expect_eq "h1's sudo is its own file, 4755 root:root" "1 4755 0:0" \
	"$(stat -c '%h %a %u:%g' "$FL/hosts/h1/usr/bin/sudo")"

R=$TMP/state
umask 022
new_repo "$R"

# h1 h2 staging, h3 prod; the become inventory adds ansible_become to all
: | fleet_inventory 3 2 >"$TMP/inv.yaml"
printf '    becomers:\n      hosts:\n        h1: {ansible_become: true}\n        h2: {ansible_become: true}\n        h3: {ansible_become: true}\n' |
	fleet_inventory 3 2 >"$TMP/inv-become.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 3"
H1=hosts/staging/h1

. "$TESTS_DIR/../lib/secrets.sh"
# fok K: a new random tcp_fastopen_key for host K (the template's 0600 kept)
fok() {
	fleet_set_sysctl "$FL" "$1" net.ipv4.tcp_fastopen_key "$(fok_value)" || fail "fleet_set_sysctl h$1"
}
# stable K: a new IPv6 stable_secret (RFC 7217) for host K, 0600 root
stable() {
	_v=$(od -An -tx2 -N16 /dev/urandom | awk '{ printf "%s:%s:%s:%s:%s:%s:%s:%s", $1, $2, $3, $4, $5, $6, $7, $8 }')
	echo "$_v" >>"$TMP/secrets"
	echo "$_v" | tr -d : >>"$TMP/derived"
	printf '%s\n' "$_v" | sha256sum | cut -d' ' -f1 >>"$TMP/hashes"
	fleet_set_file "$FL" "$1" /proc/sys/net/ipv6/conf/default/stable_secret "$_v" 0600 ||
		fail "stable_secret h$1"
}
# plant K SUFFIX: (re)write every root-only secret of host K
plant() {
	# shadow: marker hashes for root and the login user, 0640 root:shadow kept
	awk -F: -v r="\$6\$$(marker "salt$1$2")\$$(marker "sh$1$2")" \
		-v u="\$y\$$(marker "ysalt$1$2")\$$(marker "ysh$1$2")" -v fu="$FLEET_USER" '
		BEGIN { OFS = ":" }
		$1 == "root" { $2 = r } $1 == fu { $2 = u } { print }' \
		"$FL/hosts/h$1/etc/shadow" >"$TMP/in"
	put "$1" /etc/shadow -
	for t in ed25519 ecdsa; do
		rm -f "$TMP/k" "$TMP/k.pub"
		ssh-keygen -q -t "$t" -N '' -C "root@h$1" -f "$TMP/k" </dev/null
		cp "$TMP/k" "$TMP/in"
		put "$1" "/etc/ssh/ssh_host_${t}_key" 0600 pem
	done
	openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/in" 2>/dev/null
	put "$1" /etc/ssl/private/app.pem 0600 pem
	chmod 0700 "$FL/hosts/h$1/etc/ssl/private" # (a directory: never shared)
	{ echo "# database of app"; echo "host = db.internal"; echo "password = $(marker "pw$1$2")"; echo "pool = 8"; } >"$TMP/in"
	put "$1" /etc/app/db.conf 0600
	marker "sk$1$2" >"$TMP/in"
	put "$1" /etc/app/server.key 0600
	fok "$1"
	stable "$1"
}
plant 1 a
plant 2 a
# h3 keeps the template's shadow (shared with the base) and its own host key: secret too
remember "$FL/hosts/h3/etc/shadow"
remember "$FL/hosts/h3/etc/ssh/ssh_host_ed25519_key" pem
fok 3
# control: a plain config that differs between h1 and h2 shows in reports
echo "colour = blue" >"$TMP/in"; fleet_set_file "$FL" 1 /etc/app/plain.conf <"$TMP/in"
echo "colour = red" >"$TMP/in"; fleet_set_file "$FL" 2 /etc/app/plain.conf <"$TMP/in"
SECRET_FILES="/etc/shadow /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key /etc/ssl/private/app.pem /etc/app/db.conf /etc/app/server.key"

n=$(sort -u "$TMP/secrets" "$TMP/blobs" | wc -l)
for k in 1 2; do
	for f in $SECRET_FILES /proc/sys/net/ipv4/tcp_fastopen_key /proc/sys/net/ipv6/conf/default/stable_secret; do
		cat "$FL/hosts/h$k$f"
		git hash-object --no-filters "$FL/hosts/h$k$f"
	done
done >"$TMP/planted"
cat "$FL/hosts/h3/etc/ssh/ssh_host_ed25519_key" "$FL/hosts/h3/proc/sys/net/ipv4/tcp_fastopen_key" >>"$TMP/planted"
git hash-object --no-filters "$FL/hosts/h3/etc/shadow" "$FL/hosts/h3/etc/ssh/ssh_host_ed25519_key" >>"$TMP/planted"
expect_eq "control: the audit finds all $n secrets and blob ids in what was planted" \
	"$n" "$(leaks "$TMP/planted" 2>/dev/null)"
expect_eq "control: the SSH user cannot read one of h1's secrets" end \
	"$(fleet_ssh "$FL" 1 "for f in $SECRET_FILES /proc/sys/net/ipv4/tcp_fastopen_key /proc/sys/net/ipv6/conf/default/stable_secret; do
		cat \$f >/dev/null 2>&1 && echo \$f; done; echo end")"
check "control: sudo -n can" fleet_ssh "$FL" 1 \
	"sudo -n cat /etc/shadow /etc/ssh/ssh_host_ecdsa_key /etc/app/db.conf /etc/app/server.key /etc/ssl/private/app.pem /proc/sys/net/ipv4/tcp_fastopen_key >/dev/null"

# 1. without become: unreadable, no content, no token
expect_exit 0 "scan -v without become" $SCAN -i "$TMP/inv.yaml" -v
cp "$TMP/out" "$TMP/scan1.out"; cp "$TMP/err" "$TMP/scan1.err"
expect_grep "3 collected" "3 hosts, 3 collected, 0 failed" "$TMP/scan1.out"
git -C "$R" show "main:$H1/files" >"$TMP/files1"
for f in /etc/shadow /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key /etc/app/db.conf /etc/app/server.key /etc/sudoers; do
	expect_grep "no become: $f recorded unreadable" \
		"^$f file 0[0-7]{3} root:[a-z]+ 0:[0-9]+ [0-9]+ unreadable$" "$TMP/files1"
done
expect_grep "no become: /etc/ssl/private (0700) recorded unreadable" \
	"^/etc/ssl/private dir 0700 root:root 0:0 .*unreadable" "$TMP/files1"
expect_no_grep "no become: app.pem in it not listed" "^/etc/ssl/private/app\.pem " "$TMP/files1"
for f in /etc/app/db.conf /etc/shadow; do
	expect_eq "no become: no content for $f" "" \
		"$(git -C "$R" rev-parse -q --verify "main:$H1/content$f" 2>/dev/null)"
done
expect_eq "no become: no tcp_fastopen_key nor stable_secret in sysctl" "" \
	"$(git -C "$R" show "main:$H1/sysctl" | grep 'tcp_fastopen_key\|stable_secret')"
expect_grep "scan -v warns about unreadable files" "db\.conf.*unreadable|unreadable.*db\.conf" "$TMP/scan1.err"
expect_eq "no become: no token for a root-only secret" 0 \
	"$(grep -E "^($(echo "$SECRET_FILES" | sed 's/[.]/\\./g; s/ /|/g')) .*hmac:" "$TMP/files1" | wc -l)"

# 2. with become: tokens, nothing unreadable
expect_exit 0 "scan -v with become (sudo -n)" $SCAN -i "$TMP/inv-become.yaml" -v
cp "$TMP/out" "$TMP/scan2.out"; cp "$TMP/err" "$TMP/scan2.err"
expect_grep "3 collected" "3 hosts, 3 collected, 0 failed" "$TMP/scan2.out"
C1=$(git -C "$R" rev-parse main)
git -C "$R" show "main:$H1/files" >"$TMP/files2"
expect_grep "become: shadow is an hmac token" \
	"^/etc/shadow file 0640 root:shadow 0:42 [0-9]+ hmac:[0-9a-f]{64}$" "$TMP/files2"
for f in /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ecdsa_key /etc/ssl/private/app.pem /etc/app/db.conf /etc/app/server.key; do
	expect_grep "become: $f is an hmac token" \
		"^$f file 0600 root:root 0:0 [0-9]+ hmac:[0-9a-f]{64}$" "$TMP/files2"
done
expect_grep "become: /etc/sudoers (0440) read" "^/etc/sudoers file 0440 root:root 0:0 [0-9]+ sha256:" "$TMP/files2"
expect_grep "become: /etc/ssl/private listed" "^/etc/ssl/private dir 0700 root:root 0:0$" "$TMP/files2"
expect_eq "become: nothing unreadable on h1" 0 "$(grep -c 'unreadable$' "$TMP/files2")"
for f in /etc/shadow /etc/ssh/ssh_host_ed25519_key /etc/ssl/private/app.pem /etc/app/server.key; do
	expect_eq "become: no stored content for the secret file $f" "" \
		"$(git -C "$R" rev-parse -q --verify "main:$H1/content$f" 2>/dev/null)"
done
git -C "$R" show "main:$H1/content/etc/app/db.conf" >"$TMP/db"
expect_grep "become: db.conf password value is a token" "^password = hmac:[0-9a-f]{64}$" "$TMP/db"
expect_grep "become: db.conf non-secret line kept" "^pool = 8$" "$TMP/db"
git -C "$R" show "main:$H1/sysctl" >"$TMP/sc"
expect_grep "become: tcp_fastopen_key is a token" "^net\.ipv4\.tcp_fastopen_key = hmac:[0-9a-f]{64}$" "$TMP/sc"
expect_grep "become: stable_secret is a token" "^net\.ipv6\.conf\.default\.stable_secret = hmac:[0-9a-f]{64}$" "$TMP/sc"
expect_eq "become: and not in sysctl-per-host" "" \
	"$(git -C "$R" show "main:$H1/sysctl-per-host" 2>/dev/null | grep tcp_fastopen_key)"
git -C "$R" show "main:hosts/prod/h3/files" >"$TMP/files3"
expect_grep "become: h3's template shadow is a token too" "^/etc/shadow file .* hmac:[0-9a-f]{64}$" "$TMP/files3"

# 3. every secret of h1 changed: drift, only a changed token in git
plant 1 b
expect_exit 0 "rescan with become after every secret of h1 changed" $SCAN -i "$TMP/inv-become.yaml" -v
cp "$TMP/out" "$TMP/scan3.out"; cp "$TMP/err" "$TMP/scan3.err"
C2=$(git -C "$R" rev-parse main)
expect_eq "one new commit" "$C1" "$(git -C "$R" rev-parse main~1)"
git -C "$R" diff "$C1" "$C2" >"$TMP/gd"
expect_eq "git diff: only h1's files, db.conf content and sysctl" \
	"$H1/content/etc/app/db.conf $H1/files $H1/sysctl" \
	"$(git -C "$R" diff --name-only "$C1" "$C2" | sort | tr '\n' ' ' | sed 's/ $//')"
grep -E '^[-+]' "$TMP/gd" | grep -Ev '^(\+\+\+|---) ' >"$TMP/gdl"
expect_eq "git diff: 2 x (6 files + 1 content + 2 sysctl) changed lines" 18 "$(wc -l <"$TMP/gdl")"
expect_eq "git diff: every changed line ends in an hmac token" 0 \
	"$(grep -Evc ' hmac:[0-9a-f]{64}$' "$TMP/gdl")"
for f in $SECRET_FILES; do
	expect_grep "git diff: $f token changed" "^\+$f file 0[0-7]{3} .* hmac:" "$TMP/gdl"
done
expect_grep "git diff: password token changed" "^\+password = hmac:" "$TMP/gdl"
expect_grep "git diff: tcp_fastopen_key token changed" "^\+net\.ipv4\.tcp_fastopen_key = hmac:" "$TMP/gdl"
expect_grep "git diff: stable_secret token changed" "^\+net\.ipv6\.conf\.default\.stable_secret = hmac:" "$TMP/gdl"

diff_over_time "$C1" 8 files:/etc/shadow files:/etc/ssl/private/app.pem \
	files:/etc/app/db.conf files:/etc/app/server.key \
	sysctl:net.ipv4.tcp_fastopen_key sysctl:net.ipv6.conf.default.stable_secret \
	files:/etc/ssh/ssh_host_ed25519_key files:/etc/ssh/ssh_host_ecdsa_key
every_report "$C1"
expect_grep "diff h1 h2 text names db.conf" "/etc/app/db\.conf" "$TMP/rep/diff-h1h2.text"
expect_grep "diff h1 h2 text names shadow" "/etc/shadow" "$TMP/rep/diff-h1h2.text"
expect_grep "control: the patch shows a plain config file's diff" "^\+colour = red$" "$TMP/rep/diff-h1h2.patch"
expect_grep "control: so does html" "colour = red" "$TMP/rep/diff-h1h2.html"
expect_grep "report lists a root-only secret file (token values)" "/etc/app/db\.conf" "$TMP/rep/report.json"
expect_exit 0 "report --commit into the repository" "$ENVDRIFT" report --repo "$R" --commit

# 4. become dropped again: unreadable; what the become scan saw is kept
# (README: fewer rights never read as files removed), still redacted
expect_exit 0 "scan -v without become again" $SCAN -i "$TMP/inv.yaml" -v
cp "$TMP/out" "$TMP/scan4.out"; cp "$TMP/err" "$TMP/scan4.err"
git -C "$R" show "main:$H1/files" >"$TMP/files4"
expect_grep "no become again: db.conf unreadable" \
	"^/etc/app/db\.conf file 0600 root:root 0:0 [0-9]+ unreadable$" "$TMP/files4"
expect_eq "no become again: db.conf's redacted content kept as it was" \
	"$(git -C "$R" rev-parse "$C2:$H1/content/etc/app/db.conf")" \
	"$(git -C "$R" rev-parse -q --verify "main:$H1/content/etc/app/db.conf" 2>/dev/null)"
expect_grep "no become again: app.pem's token kept below the unreadable directory" \
	"^/etc/ssl/private/app\.pem file 0600 root:root 0:0 [0-9]+ hmac:[0-9a-f]{64}$" "$TMP/files4"

# the audit: every object, the repository directory, every output
git -C "$R" cat-file --batch-all-objects --batch >"$TMP/objects"
echo "# $(git -C "$R" count-objects -v | awk '/^(count|in-pack):/ { n += $2 } END { print n }') objects, $(wc -c <"$TMP/objects") bytes"
no_secrets "git cat-file --batch-all-objects" "$TMP/objects"
n=0
while IFS= read -r b; do
	git -C "$R" cat-file -e "$b" 2>/dev/null && { n=$((n + 1)); echo "# raw secret file stored as blob $b"; }
done <"$TMP/blobs"
expect_eq "no secret file's raw bytes as a blob ($(wc -l <"$TMP/blobs") ids)" 0 "$n"
no_secrets "the repository directory, files as they are" "$R"
no_secrets "scan -v stdout and stderr (4 scans)" "$TMP"/scan[1-4].out "$TMP"/scan[1-4].err
no_secrets "diff, check, report (6 formats), status" "$TMP"/rep/*
fsck_ok "$R"
echo "# t0024: $(($(date +%s) - T0)) s"
finish
