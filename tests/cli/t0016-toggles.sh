#!/bin/sh
# Feature toggles from YAML, JSON, INI and .env files and from commands run
# on the host, compared across environments like any other fact.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/a"
mkdir -p "$TMP/a/etc/app"
cat > "$TMP/a/etc/app/features.yaml" <<'YAML'
checkout:
  new_flow: false
  providers: [card, paypal]
search: {beta: true}
YAML
printf '{"dark_mode": true, "limits": {"rps": 100}}\n' > "$TMP/a/etc/app/flags.json"
printf '[payments]\nretry = 3\n; comment\n' > "$TMP/a/etc/app/flags.ini"
printf '# env file\nexport FEATURE_X=on\nFEATURE_Y="quoted value"\nexport DB_PASSWORD=LEAKENV7731\n' > "$TMP/a/etc/app/.env"
printf 'db:\n  password: LEAKYAML5521\n  host: db1\napi_token: LEAKYAML5522\n' > "$TMP/a/etc/app/secrets.yaml"
cp -a "$TMP/a" "$TMP/b"
sed -i 's/new_flow: false/new_flow: true/' "$TMP/b/etc/app/features.yaml"
cat > "$TMP/cfg.yaml" <<'YAML'
toggles:
  files: [/etc/app/features.yaml, /etc/app/flags.json, /etc/app/flags.ini, /etc/app/.env, /etc/app/secrets.yaml, /etc/app/missing.yaml]
YAML
new_repo "$TMP/state"
R="$TMP/state"
check "collect staging" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/a" --env staging --host s1 --config "$TMP/cfg.yaml"
check "collect prod" "$ENVDRIFT" collect -q --repo "$R" --root "$TMP/b" --env prod --host p1 --config "$TMP/cfg.yaml"
git -C "$R" show main:hosts/staging/s1/toggles > "$TMP/t"
expect_grep "yaml flattened" "^/etc/app/features\.yaml:checkout\.new_flow = false$" "$TMP/t"
expect_grep "yaml sequence" "^/etc/app/features\.yaml:checkout\.providers\.1 = paypal$" "$TMP/t"
expect_grep "json flattened" "^/etc/app/flags\.json:limits\.rps = 100$" "$TMP/t"
expect_grep "ini section" "^/etc/app/flags\.ini:payments\.retry = 3$" "$TMP/t"
expect_grep ".env export" "^/etc/app/\.env:FEATURE_X = on$" "$TMP/t"
expect_grep ".env quotes removed" '^/etc/app/\.env:FEATURE_Y = quoted value$' "$TMP/t"
git -C "$R" show main:hosts/staging/s1/meta > "$TMP/m"
expect_grep "meta counts the files read" "^collector toggles collected: 5 of 6 files$" "$TMP/m"
# secret values (secrets.values) are HMAC tokens here too, never plain
expect_grep "a .env password is a token" "^/etc/app/\.env:DB_PASSWORD = hmac:[0-9a-f]{64}$" "$TMP/t"
expect_grep "a nested YAML password is a token" "^/etc/app/secrets\.yaml:db\.password = hmac:[0-9a-f]{64}$" "$TMP/t"
expect_grep "a YAML token is a token" "^/etc/app/secrets\.yaml:api_token = hmac:[0-9a-f]{64}$" "$TMP/t"
expect_grep "a plain value beside them stays" "^/etc/app/secrets\.yaml:db\.host = db1$" "$TMP/t"
git -C "$R" cat-file --batch-all-objects --batch >"$TMP/objs"
expect_no_grep "no toggle secret in any object" "LEAKENV7731|LEAKYAML552" "$TMP/objs"
expect_exit 1 "a toggle that differs is drift" "$ENVDRIFT" diff --repo "$R" staging prod
expect_grep "toggle drift" "changed +toggles:/etc/app/features\.yaml:checkout\.new_flow +staging=false +prod=true" "$TMP/out"
# toggles with one value everywhere for N days: candidates for removal
expect_exit 1 "check lists long-uniform toggles" "$ENVDRIFT" check --repo "$R" --toggle-days 0 staging prod
expect_grep "a uniform toggle is a candidate" "toggle /etc/app/flags\.json:dark_mode has been true on every host since 20[0-9-]+ \(0 days\): a candidate for removal" "$TMP/out"
expect_no_grep "a toggle that differs is not" "toggle /etc/app/features\.yaml:checkout\.new_flow has been" "$TMP/out"
expect_exit 1 "default: 30 days" "$ENVDRIFT" check --repo "$R" staging prod
expect_no_grep "none is 30 days old yet" "a candidate for removal" "$TMP/out"

# the same history dated 40 and 35 days ago (stock git commit-tree keeps
# trees and messages): both hosts have held the toggle for 35 days
now=$(date +%s)
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
old1=$((now - 40 * 86400)); old2=$((now - 35 * 86400))
c1=$(GIT_AUTHOR_DATE="@$old1 +0000" GIT_COMMITTER_DATE="@$old1 +0000" \
	git -C "$R" commit-tree "main~1^{tree}" -m "$(git -C "$R" log -1 --format=%B main~1)")
c2=$(GIT_AUTHOR_DATE="@$old2 +0000" GIT_COMMITTER_DATE="@$old2 +0000" \
	git -C "$R" commit-tree "main^{tree}" -p "$c1" -m "$(git -C "$R" log -1 --format=%B main)")
check "history re-dated 40 and 35 days back" git -C "$R" update-ref refs/heads/main "$c2"
expect_exit 1 "--toggle-days 30 on 35-day-old toggles" "$ENVDRIFT" check --repo "$R" --toggle-days 30 staging prod
expect_grep "uniform since both hosts had it (35 days): a candidate" \
	"toggle /etc/app/flags\.json:dark_mode has been true on every host since $(date -u -d "@$old2" +%Y-%m-%d) \(35 days\): a candidate for removal" "$TMP/out"
expect_no_grep "the differing toggle still is not" "checkout\.new_flow has been" "$TMP/out"
expect_exit 1 "--toggle-days 36: not old enough" "$ENVDRIFT" check --repo "$R" --toggle-days 36 staging prod
expect_no_grep "nothing listed at 36 days" "a candidate for removal" "$TMP/out"

# toggles from a command's output on the host (collect without --root runs
# it on this machine; scan runs it on each host): no shell, argv as given
C=$TMP/cmdstate
mkdir -p "$TMP/cmd"
printf 'FEATURE_A=on\nFEATURE_B=off\n' > "$TMP/cmd/app.env"
printf '{"rollout": {"pct": 10}}\n' > "$TMP/cmd/rollout.json"
cat > "$TMP/cmdcfg.yaml" <<YAML
collectors: {packages: false, kernel: false, sysctl: false, services: false, files: false}
toggles:
  commands:
    - {name: app, run: [/bin/cat, $TMP/cmd/app.env], format: env}
    - {name: rollout, run: [/bin/sh, -c, 'exec cat "\$0"', $TMP/cmd/rollout.json], format: json, timeout: 5}
    - {name: absent, run: [/nonexistent/bin/flags], format: yaml}
YAML
new_repo "$C"
check "collect: commands run on this machine" "$ENVDRIFT" collect -q --repo "$C" --env staging --host c1 --config "$TMP/cmdcfg.yaml"
git -C "$C" show main:hosts/staging/c1/toggles > "$TMP/t"
expect_grep "command flags: NAME:KEY = VALUE" "^app:FEATURE_A = on$" "$TMP/t"
expect_grep "json command output flattened" "^rollout:rollout\.pct = 10$" "$TMP/t"
expect_no_grep "an absent program gives no flags" "^absent:" "$TMP/t"
git -C "$C" show main:hosts/staging/c1/meta > "$TMP/m"
expect_grep "meta counts commands" "^collector toggles collected: 0 of 0 files, 2 of 3 commands$" "$TMP/m"
printf 'FEATURE_A=on\nFEATURE_B=on\n' > "$TMP/cmd/app.env"
check "re-collect after the flag changed" "$ENVDRIFT" collect -q --repo "$C" --env staging --host c1 --config "$TMP/cmdcfg.yaml"
git -C "$C" log -p -1 main -- hosts/staging/c1/toggles > "$TMP/p"
expect_grep "git log -p shows the old value" "^-app:FEATURE_B = off$" "$TMP/p"
expect_grep "and the new one" "^\+app:FEATURE_B = on$" "$TMP/p"
# a failing command (cat of a missing file exits 1) is a warning and keeps
# the previous flags: never "every flag of app was removed"
rm "$TMP/cmd/app.env"
check "a failing command does not fail the collect" "$ENVDRIFT" collect --repo "$C" --env staging --host c1 --config "$TMP/cmdcfg.yaml"
expect_grep "it is named with its status" "toggles: command app: /bin/cat: exited with status 1.*previous flags kept" "$TMP/err"
git -C "$C" show main:hosts/staging/c1/toggles > "$TMP/t"
expect_grep "its previous flags are kept" "^app:FEATURE_B = on$" "$TMP/t"
expect_grep "the others still read" "^rollout:rollout\.pct = 10$" "$TMP/t"
# a mounted root: its programs are not the host's, so never run
check "collect --root: commands not run" "$ENVDRIFT" collect --repo "$C" --root "$TMP/a" --env staging --host c1 --config "$TMP/cmdcfg.yaml"
expect_grep "says why" "toggles: command app not run: not the running system" "$TMP/err"
git -C "$C" show main:hosts/staging/c1/toggles > "$TMP/t"
expect_grep "and keeps the previous flags" "^app:FEATURE_B = on$" "$TMP/t"
# the same command with another output on a prod host: drift
printf 'FEATURE_A=off\nFEATURE_B=on\n' > "$TMP/cmd/app.env"
check "collect prod" "$ENVDRIFT" collect -q --repo "$C" --env prod --host c2 --config "$TMP/cmdcfg.yaml"
expect_exit 1 "a command's flag that differs is drift" "$ENVDRIFT" diff --repo "$C" staging prod
expect_grep "named NAME:KEY" "changed +toggles:app:FEATURE_A +staging=on +prod=off" "$TMP/out"
expect_no_grep "equal flags are not" "rollout\.pct" "$TMP/out"
fsck_ok "$C"
printf 'toggles:\n  commands:\n    - {name: x, run: [cat, /etc/x], format: env}\n' > "$TMP/bad.yaml"
expect_exit 2 "a relative program" "$ENVDRIFT" collect --repo "$C" --host c1 --config "$TMP/bad.yaml"
expect_grep "says absolute, with file:line:col" "bad\.yaml:3:23: toggles\.commands: run: the program must be an absolute path" "$TMP/err"

printf 'toggles:\n  files: [etc/relative]\n' > "$TMP/bad.yaml"
expect_exit 2 "relative toggle path" "$ENVDRIFT" collect --repo "$R" --root "$TMP/a" --host s1 --config "$TMP/bad.yaml"
expect_grep "says absolute" "bad\.yaml:2:3: toggles\.files: every path must be absolute" "$TMP/err"
fsck_ok "$R"
finish
