#!/bin/sh
# No secret byte from the fixture root reaches any git object; a changed
# secret is still visible as a changed token.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/root"
ROOT="$TMP/root"
# a binary file (a NUL byte) with a password line, and an env file
printf 'BIN\000\001\002\npassword = binary-SECRET-0451\n' > "$ROOT/etc/app/blob.db"
printf 'export DB_PASSWORD=env-SECRET-0452\n' > "$ROOT/etc/app/app.env"
new_repo "$TMP/state"
R="$TMP/state"
check "collect a root full of secrets" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --env prod --host sec-01
git -C "$R" cat-file --batch-all-objects --batch > "$TMP/objects"
# the secrets, as plain strings
{
	echo 'hunter2-fixture-secret'
	echo 'AKIAFIXTURESECRET42'
	echo 'fixturesaltSECRETHASH'
	echo 'feedc0de-5ec2e7f0-0badcafe-1234abcd'
	echo 'binary-SECRET-0451'
	echo 'env-SECRET-0452'
	# key material: the base64 body lines of the generated private keys
	grep -hv -- '-----' "$ROOT/etc/ssh/ssh_host_ed25519_key" "$ROOT/etc/ssl/private/app.pem"
} > "$TMP/secrets"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qF -- "$s" "$TMP/objects"; then leaks=$((leaks + 1)); echo "# leaked: $s"; fi
done < "$TMP/secrets"
expect_eq "no secret occurs in any object" "$leaks" "0"
# no plain SHA-256 of a secret file either
for f in etc/shadow etc/ssh/ssh_host_ed25519_key etc/ssl/private/app.pem etc/app/app.conf etc/app/embedded-key.txt etc/app/blob.db etc/app/app.env; do
	h=$(sha256sum "$ROOT/$f" | cut -d' ' -f1)
	if grep -qF "$h" "$TMP/objects"; then fail "plain sha256 of $f stored"; else pass "no plain sha256 of $f"; fi
done
git -C "$R" show main:hosts/prod/sec-01/content/etc/app/app.conf > "$TMP/app"
expect_grep "secret value replaced by a token" "^password = hmac:[0-9a-f]{64}$" "$TMP/app"
expect_grep "non-secret line kept" "^host = db.internal$" "$TMP/app"
git -C "$R" show main:hosts/prod/sec-01/sysctl > "$TMP/sc"
expect_grep "secret sysctl stored as a token" "^net\.ipv4\.tcp_fastopen_key = hmac:[0-9a-f]{64}$" "$TMP/sc"
git -C "$R" show main:hosts/prod/sec-01/files > "$TMP/files1"
expect_grep "PEM key found by content is tokenised" "^/etc/app/embedded-key.txt file [0-7]{4} root:root 0:0 [0-9]+ hmac:" "$TMP/files1"

sed -i 's/hunter2-fixture-secret/hunter3-fixture-secret/' "$ROOT/etc/app/app.conf"
check "collect after a password change" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --env prod --host sec-01
git -C "$R" diff main~1 main > "$TMP/d"
expect_grep "changed secret is drift (content token)" "^\+password = hmac:" "$TMP/d"
expect_grep "changed secret is drift (file token)" "^\+/etc/app/app.conf file " "$TMP/d"
expect_no_grep "new secret not leaked" "hunter3" "$TMP/d"

# The same secret on two hosts gives the same token.
check "collect a second host with the same secrets" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --env prod --host sec-02
t1=$(git -C "$R" show main:hosts/prod/sec-01/files | grep '^/etc/shadow ' | awk '{print $NF}')
t2=$(git -C "$R" show main:hosts/prod/sec-02/files | grep '^/etc/shadow ' | awk '{print $NF}')
expect_eq "same secret, same token on two hosts" "$t1" "$t2"

# A different key is refused, never silently regenerated.
"$ENVDRIFT" init --repo "$TMP/other" >/dev/null
expect_exit 2 "a different key is refused" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --key "$TMP/other.key" --host sec-01
expect_grep "message says the key does not match" "does not match" "$TMP/err"
mv "$R.key" "$R.key.bak"
expect_exit 2 "a missing key is an error" "$ENVDRIFT" collect --repo "$R" --root "$ROOT" --host sec-01
expect_grep "message names the key file" "state\.key: HMAC key missing" "$TMP/err"
check "key was not regenerated" test ! -e "$R.key"
mv "$R.key.bak" "$R.key"
# secrets.plain-files: lines that only look like secret values stay plain
# (nsswitch's "passwd:" names a database); elsewhere the same line is one
R2=$TMP/plain
printf 'passwd:         files systemd\ngroup:          files\n' > "$ROOT/etc/nsswitch.conf"
printf 'passwd: files-like-SECRET-0453\n' > "$ROOT/etc/app/other.conf"
new_repo "$R2"
check "collect with the default plain-files" "$ENVDRIFT" collect -q --repo "$R2" --root "$ROOT" --env prod --host sec-01
git -C "$R2" show main:hosts/prod/sec-01/content/etc/nsswitch.conf > "$TMP/ns"
expect_grep "nsswitch.conf's passwd line is plain" "^passwd: +files systemd$" "$TMP/ns"
git -C "$R2" show main:hosts/prod/sec-01/content/etc/app/other.conf > "$TMP/oc"
expect_grep "the same line elsewhere is a token" "^passwd: hmac:[0-9a-f]{64}$" "$TMP/oc"
printf 'secrets:\n  plain-files-extra: [/etc/app/other.conf]\n' > "$TMP/plain.yaml"
expect_exit 2 "other secret rules are refused (the repository records its settings)" "$ENVDRIFT" collect -q --repo "$R2" --root "$ROOT" --env prod --host sec-01 --config "$TMP/plain.yaml"
expect_grep "the refusal names the new rule" "adds 'plain-file /etc/app/other.conf'" "$TMP/err"
check "collect with plain-files-extra, adopted" "$ENVDRIFT" collect -q --repo "$R2" --root "$ROOT" --env prod --host sec-01 --config "$TMP/plain.yaml" --adopt-settings
git -C "$R2" show main:hosts/prod/sec-01/content/etc/app/other.conf > "$TMP/oc"
expect_grep "plain-files-extra makes it plain (the stat cache was keyed on it)" "^passwd: files-like-SECRET-0453$" "$TMP/oc"
fsck_ok "$R2"

fsck_ok "$R"
finish
