#!/bin/sh
# Upgrading a repository written by the previous release (issue 11): the
# fixture tests/fixtures/upgrade/state-0.1.0.tar was made by envdrift 0.1.0
# (edd717f), whose rules missed redis's "requirepass X" and stored a binary
# file's plain sha256. The first collect after the upgrade rewrites every
# host once, in one commit with "Envdrift-Format: 2": the host collected
# now, and the host that is not (from its stored snapshot); the new tree
# references no old unredacted blob and no plain digest; drift age is
# unchanged; the next collect is an ordinary one.
. "$(dirname "$0")/test-lib.sh"

cd "$TMP" && tar xf "$FIXTURES/upgrade/state-0.1.0.tar" || { fail "untar"; finish; exit 1; }
R=$TMP/state
# the roots the fixture was collected from
cp -a "$FIXTURES/cli/root" "$TMP/rootA"
mkdir -p "$TMP/rootA/etc/redis"
printf 'bind 127.0.0.1\nrequirepass Sup3rSecretOldRules\n' >"$TMP/rootA/etc/redis/redis.conf"
printf 'BIN\000\001secret-in-binary\n' >"$TMP/rootA/etc/app.db"
BIN_SHA=$(sha256sum <"$TMP/rootA/etc/app.db" | cut -d' ' -f1)
REDIS_SHA=$(sha256sum <"$TMP/rootA/etc/redis/redis.conf" | cut -d' ' -f1)

expect_grep "control: the old release stored the secret" "requirepass Sup3rSecretOldRules" \
	"$(git -C "$R" show main:hosts/staging/b/content/etc/redis/redis.conf >"$TMP/old" && echo "$TMP/old")"
expect_exit 1 "check before the upgrade" "$ENVDRIFT" check --repo "$R" --format json staging prod
grep -o '"since[a-z_]*": "*[^,"]*' "$TMP/out" >"$TMP/since.before"
check "since dates are reported" test -s "$TMP/since.before"

check "collect host a with this release" "$ENVDRIFT" collect --repo "$R" --root "$TMP/rootA" --env prod --host a
git -C "$R" log -1 --format=%B main >"$TMP/msg"
expect_grep "the commit is a format commit" "^Envdrift-Format: 2$" "$TMP/msg"
expect_eq "one format commit in history" 1 "$(git -C "$R" log --format=%B main | grep -c '^Envdrift-Format:')"
git -C "$R" show main:hosts/staging/b/content/etc/redis/redis.conf >"$TMP/b-redis"
expect_grep "host b, not collected, rewritten: its secret is a token" "^requirepass hmac:[0-9a-f]{64}$" "$TMP/b-redis"
expect_grep "... and its other lines kept" "^bind 127.0.0.1$" "$TMP/b-redis"
git -C "$R" show main:hosts/staging/b/files >"$TMP/b-files"
expect_grep "host b: the binary's digest is keyed" "^/etc/app.db file [0-7]+ [^ ]+ [^ ]+ 22 hmac:[0-9a-f]{64}$" "$TMP/b-files"
expect_grep "host b: the redacted file's digest is keyed" "^/etc/redis/redis.conf file .* hmac:[0-9a-f]{64}$" "$TMP/b-files"
for h in a b; do
	expect_grep "host $h carries format 2 in its meta" "^format 2$" \
		"$(git -C "$R" show "main:hosts/$([ $h = a ] && echo prod || echo staging)/$h/meta" >"$TMP/meta" && echo "$TMP/meta")"
done
git -C "$R" ls-tree -r main | awk '{print $3}' | git -C "$R" cat-file --batch >"$TMP/tip"
expect_no_grep "the new tree references no old secret" "Sup3rSecretOldRules" "$TMP/tip"
expect_no_grep "... nor a plain digest of the binary" "$BIN_SHA" "$TMP/tip"
expect_no_grep "... nor of the redacted file" "$REDIS_SHA" "$TMP/tip"
# the same facts on both hosts still compare equal after both rewrites
expect_exit 1 "check after the upgrade" "$ENVDRIFT" check --repo "$R" --format json staging prod
grep -o '"since[a-z_]*": "*[^,"]*' "$TMP/out" >"$TMP/since.after"
expect_eq "drift age unchanged by the format commit" "$(cat "$TMP/since.before")" "$(cat "$TMP/since.after")"
expect_no_grep "the format rewrite is no drift" "redis|app\.db" "$TMP/out"
check "collect again" "$ENVDRIFT" collect --repo "$R" --root "$TMP/rootA" --env prod --host a
expect_eq "the next commit is an ordinary one" 0 "$(git -C "$R" log -1 --format=%B main | grep -c '^Envdrift-Format:')"
# history keeps what the old release wrote, and the audit says so
expect_exit 1 "audit-secrets finds the old release's secret in history" "$ENVDRIFT" audit-secrets --repo "$R"
expect_no_grep "... naming it, not showing it" "Sup3r" "$TMP/out"
fsck_ok "$R"
finish
