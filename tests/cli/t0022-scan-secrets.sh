#!/bin/sh
# Secrets audit of envdrift scan over a real OpenSSH sshd (tests/lib/fleet.sh),
# issue 5: secrets the SSH user CAN read on h1 (secret values in config
# files, PEM keys by path and by content, a file matched by the secret
# globs, a secret sysctl) never reach a git object, a report format,
# status or scan -v's stderr as bytes, nor as a plain SHA-256 (or a git
# blob id) of the file; their files lines are hmac: tokens; a change of
# each secret is drift, seen in git only as a changed token; a 0600 secret
# is recorded unreadable without content. Repository 0700, key 0600.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

command -v openssl >/dev/null || { echo "# needs openssl"; fail "openssl"; finish; exit 1; }

start_fleet 3

R=$TMP/state
umask 022
new_repo "$R"
expect_eq "init: the repository is 0700" 700 "$(stat -c %a "$R")"
expect_eq "init: the key is 0600" 600 "$(stat -c %a "$R.key")"

# inventory (t0019's): h1 h2 staging, h3 prod, all in role web
inventory() { fleet_inventory 3 2; }
: | inventory >"$TMP/inv.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 3 -i $TMP/inv.yaml"
H1=hosts/staging/h1

. "$TESTS_DIR/../lib/secrets.sh"

# plant SUFFIX: (re)write every readable secret of h1 with new markers
plant() {
	PW=$(marker "pw$1")
	TOK=$(marker "tok$1")
	{ echo "# database of app"; echo "host = db.internal"; echo "password = $PW"; echo "pool = 8"; } >"$TMP/in"
	put 1 /etc/app/db.conf 0644
	{ echo "endpoint: https://api.example.org"; echo "api_token: $TOK"; echo "retries: 3"; } >"$TMP/in"
	put 1 /etc/app/api.yaml 0644
	# PEM key by path (traditional EC) and by content (OpenSSH format) elsewhere
	openssl ecparam -name prime256v1 -genkey -noout -out "$TMP/in" 2>/dev/null
	put 1 /etc/ssl/private/app.pem 0644 pem
	rm -f "$TMP/k" "$TMP/k.pub"
	ssh-keygen -q -t ed25519 -N '' -C deploy@example.org -f "$TMP/k" </dev/null
	{ echo "# deploy key, pasted here $1"; cat "$TMP/k"; } >"$TMP/in"
	put 1 /etc/app/embedded-key.txt 0644 pem
	# files matched only by the secret globs, contents without armour
	marker "hk$1" >"$TMP/in"
	put 1 /etc/ssh/ssh_host_test_key 0644
	marker "sk$1" >"$TMP/in"
	put 1 /etc/app/server.key 0644
	# fleet_set_sysctl would keep the template's 0600 (unreadable over SSH)
	FOK=$(fok_value)
	fleet_set_file "$FL" 1 /proc/sys/net/ipv4/tcp_fastopen_key "$FOK" 0644
}
SECRET_FILES="/etc/app/db.conf /etc/app/api.yaml /etc/ssl/private/app.pem /etc/app/embedded-key.txt /etc/ssh/ssh_host_test_key /etc/app/server.key"

plant 1
# h2 holds the same paths with secrets of its own (diff h1 h2 compares them)
{ echo "host = db.internal"; echo "password = $(marker pwh2)"; } >"$TMP/in"
put 2 /etc/app/db.conf 0644
{ echo "endpoint: https://api.example.org"; echo "api_token: $(marker tokh2)"; } >"$TMP/in"
put 2 /etc/app/api.yaml 0644
marker skh2 >"$TMP/in"
put 2 /etc/app/server.key 0644
# control: a plain config file that differs between h1 and h2 is shown as
# a diff in the reports, so the secrets' absence there means something
echo "colour = blue" >"$TMP/in"; fleet_set_file "$FL" 1 /etc/app/plain.conf <"$TMP/in"
echo "colour = red" >"$TMP/in"; fleet_set_file "$FL" 2 /etc/app/plain.conf <"$TMP/in"
n=$(sort -u "$TMP/secrets" "$TMP/blobs" | wc -l)
find "$FL/hosts/h1/etc/app" "$FL/hosts/h2/etc/app" "$FL/hosts/h1/etc/ssl" "$FL/hosts/h1/etc/ssh/ssh_host_test_key" \
	"$FL/hosts/h1/proc/sys/net/ipv4/tcp_fastopen_key" -type f -exec cat {} + >"$TMP/planted"
# shellcheck disable=SC2046 # (paths without spaces)
git hash-object --no-filters $(find "$FL/hosts/h1/etc/app" "$FL/hosts/h2/etc/app" -type f ! -name plain.conf) \
	"$FL/hosts/h1/etc/ssl/private/app.pem" "$FL/hosts/h1/etc/ssh/ssh_host_test_key" >>"$TMP/planted"
expect_eq "control: the audit finds all $n secrets and blob ids in what was planted" \
	"$n" "$(leaks "$TMP/planted" 2>/dev/null)"
check "the SSH user can read h1's secrets" fleet_ssh "$FL" 1 \
	"cat /etc/app/db.conf /etc/ssl/private/app.pem /etc/app/server.key /proc/sys/net/ipv4/tcp_fastopen_key >/dev/null"

t0=$(date +%s)
expect_exit 0 "scan -v of 3 hosts" $SCAN -v
cp "$TMP/out" "$TMP/scan1.out"; cp "$TMP/err" "$TMP/scan1.err"
expect_grep "3 collected, 0 failed" "3 hosts, 3 collected, 0 failed" "$TMP/scan1.out"
echo "# scan: $(($(date +%s) - t0)) s"
C1=$(git -C "$R" rev-parse main)

# the files lines are tokens, the contents redacted
git -C "$R" show "main:$H1/files" >"$TMP/files1"
for f in $SECRET_FILES; do
	expect_grep "files line of $f is an hmac token" \
		"^$f file 0644 root:root 0:0 [0-9]+ hmac:[0-9a-f]{64}$" "$TMP/files1"
done
for f in /etc/ssl/private/app.pem /etc/app/embedded-key.txt /etc/ssh/ssh_host_test_key /etc/app/server.key; do
	expect_eq "no stored content for the secret file $f" "" \
		"$(git -C "$R" rev-parse -q --verify "main:$H1/content$f" 2>/dev/null)"
done
git -C "$R" show "main:$H1/content/etc/app/db.conf" >"$TMP/db"
expect_grep "db.conf: password value is a token" "^password = hmac:[0-9a-f]{64}$" "$TMP/db"
expect_grep "db.conf: non-secret line kept" "^pool = 8$" "$TMP/db"
git -C "$R" show "main:$H1/content/etc/app/api.yaml" >"$TMP/api"
expect_grep "api.yaml: token value is a token" "^api_token: hmac:[0-9a-f]{64}$" "$TMP/api"
expect_grep "api.yaml: non-secret line kept" "^endpoint: https://api.example.org$" "$TMP/api"
git -C "$R" show "main:$H1/sysctl" >"$TMP/sc1"
expect_grep "tcp_fastopen_key is a token" "^net\.ipv4\.tcp_fastopen_key = hmac:[0-9a-f]{64}$" "$TMP/sc1"
expect_eq "and not in sysctl-per-host" "" \
	"$(git -C "$R" show "main:$H1/sysctl-per-host" 2>/dev/null | grep tcp_fastopen_key)"
git -C "$R" show "main:hosts/staging/h2/files" >"$TMP/files2"
t1=$(grep '^/etc/app/db.conf ' "$TMP/files1" | awk '{ print $NF }')
t2=$(grep '^/etc/app/db.conf ' "$TMP/files2" | awk '{ print $NF }')
expect_eq "h2's db.conf is a token too, another one" "hmac: hmac: different" \
	"${t1%%:*}: ${t2%%:*}: $([ "$t1" != "$t2" ] && echo different)"

# the secrets changed: every one is drift, and only a changed token in git
plant 2
expect_exit 0 "rescan after every secret of h1 changed" $SCAN -v
cp "$TMP/err" "$TMP/scan2.err"
C2=$(git -C "$R" rev-parse main)
expect_eq "one new commit" "$C1" "$(git -C "$R" rev-parse main~1)"
git -C "$R" diff "$C1" "$C2" >"$TMP/gd"
git -C "$R" diff --name-only "$C1" "$C2" >"$TMP/gdn"
expect_eq "git diff: only h1's files, two redacted contents and sysctl" \
	"$H1/content/etc/app/api.yaml $H1/content/etc/app/db.conf $H1/files $H1/sysctl" \
	"$(sort "$TMP/gdn" | tr '\n' ' ' | sed 's/ $//')"
grep -E '^[-+]' "$TMP/gd" | grep -Ev '^(\+\+\+|---) ' >"$TMP/gdl"
expect_eq "git diff: 2 x (6 files + 2 content + 1 sysctl) changed lines" 18 "$(wc -l <"$TMP/gdl")"
expect_eq "git diff: every changed line ends in an hmac token" 0 \
	"$(grep -Evc ' hmac:[0-9a-f]{64}$' "$TMP/gdl")"
for f in $SECRET_FILES; do
	expect_grep "git diff: $f token changed" "^\+$f file 0644 .* hmac:" "$TMP/gdl"
done
expect_grep "git diff: password token changed" "^\+password = hmac:" "$TMP/gdl"
expect_grep "git diff: api_token token changed" "^\+api_token: hmac:" "$TMP/gdl"
expect_grep "git diff: sysctl token changed" "^\+net\.ipv4\.tcp_fastopen_key = hmac:" "$TMP/gdl"

diff_over_time "$C1" 7 files:/etc/app/db.conf files:/etc/app/api.yaml \
	files:/etc/ssl/private/app.pem files:/etc/app/embedded-key.txt \
	files:/etc/app/server.key sysctl:net.ipv4.tcp_fastopen_key \
	files:/etc/ssh/ssh_host_test_key
every_report "$C1"
expect_grep "diff h1 h2 text names db.conf" "/etc/app/db\.conf" "$TMP/rep/diff-h1h2.text"
expect_grep "control: the patch shows a plain config file's diff" "^\+colour = red$" "$TMP/rep/diff-h1h2.patch"
expect_grep "control: so does html" "colour = red" "$TMP/rep/diff-h1h2.html"
expect_grep "report lists h1's secret file (token values)" "/etc/app/db\.conf" "$TMP/rep/report.json"

# a 0600 root secret: unreadable, no content, old content not kept as new
marker sk3 >"$TMP/in"
put 1 /etc/app/server.key 0600
{ echo "user = app"; echo "password = $(marker pwhidden)"; } >"$TMP/in"
put 1 /etc/app/hidden.conf 0600
expect_exit 0 "scan with two 0600 secrets on h1" $SCAN -v
cp "$TMP/err" "$TMP/scan3.err"
git -C "$R" show "main:$H1/files" >"$TMP/files3"
expect_grep "server.key recorded unreadable" \
	"^/etc/app/server.key file 0600 root:root 0:0 [0-9]+ unreadable$" "$TMP/files3"
expect_grep "new hidden.conf recorded unreadable" \
	"^/etc/app/hidden.conf file 0600 root:root 0:0 [0-9]+ unreadable$" "$TMP/files3"
expect_eq "no content for the unreadable hidden.conf" "" \
	"$(git -C "$R" rev-parse -q --verify "main:$H1/content/etc/app/hidden.conf" 2>/dev/null)"
expect_eq "no content for the unreadable server.key" "" \
	"$(git -C "$R" rev-parse -q --verify "main:$H1/content/etc/app/server.key" 2>/dev/null)"
expect_grep "scan -v warns about them" "hidden\.conf.*unreadable|unreadable.*hidden\.conf" "$TMP/scan3.err"
expect_exit 0 "report --commit into the repository" "$ENVDRIFT" report --repo "$R" --commit

# the audit: every object, the repository directory, every output
git -C "$R" cat-file --batch-all-objects --batch >"$TMP/objects"
echo "# $(git -C "$R" count-objects -v | awk '/^(count|in-pack):/ { n += $2 } END { print n }') objects, $(wc -c <"$TMP/objects") bytes"
no_secrets "git cat-file --batch-all-objects" "$TMP/objects"
n=0
while IFS= read -r b; do
	git -C "$R" cat-file -e "$b" 2>/dev/null && { n=$((n + 1)); echo "# raw secret file stored as blob $b"; }
done <"$TMP/blobs"
expect_eq "no secret file's raw bytes as a blob" 0 "$n"
no_secrets "the repository directory, files as they are" "$R"
no_secrets "scan -v stdout and stderr (3 scans)" "$TMP/scan1.out" "$TMP/scan1.err" "$TMP/scan2.err" "$TMP/scan3.err"
no_secrets "diff, check, report (6 formats), status" "$TMP"/rep/*
fsck_ok "$R"
finish
