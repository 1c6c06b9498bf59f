#!/bin/sh
# Feature toggles from a command's output over SSH (issue 4): envdrift scan
# runs each toggles.commands entry on the host (no shell of ours: argv as
# configured, under timeout(1)), and the flags are compared across
# environments. A command that fails, is too slow or prints garbage on one
# host is a warning there and keeps that host's previous flags; a program
# the host lacks gives no flags. Real OpenSSH sshd (tests/lib/fleet.sh).
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

start_fleet 3

R=$TMP/state
new_repo "$R"
fleet_inventory 3 2 </dev/null >"$TMP/inv.yaml"   # h1 h2 staging, h3 prod
# config ROLLOUT_SCRIPT TIMEOUT: three commands, the second one varies
config() {
	cat <<YAML
collectors: {packages: false, kernel: false, sysctl: false, services: false, files: false}
toggles:
  commands:
    - {name: app, run: [/usr/bin/cat, /etc/app/flags.env], format: env}
    - {name: rollout, run: [/bin/sh, -c, '$1'], format: json, timeout: $2}
    - {name: absent, run: [/opt/none/bin/flags], format: yaml}
YAML
}
config 'printf "{\"rollout\": {\"pct\": %s}}" "$(cat /etc/app/pct)"' 5 >"$TMP/cfg.yaml"
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 3 -i $TMP/inv.yaml --config $TMP/cfg.yaml"
for k in 1 2 3; do
	printf 'FEATURE_A=on\nFEATURE_B=off\n' | fleet_set_file "$FL" "$k" /etc/app/flags.env
	fleet_set_file "$FL" "$k" /etc/app/pct 10
done
fleet_set_file "$FL" 3 /etc/app/flags.env 'FEATURE_A=off'
printf 'FEATURE_B=off\n' >>"$FL/hosts/h3/etc/app/flags.env"

check "scan: the commands run on every host" $SCAN
for k in 1 2 3; do
	env=staging; [ "$k" -le 2 ] || env=prod
	git -C "$R" show "main:hosts/$env/h$k/toggles" >"$TMP/t$k" 2>/dev/null
	expect_grep "h$k: json output flattened" "^rollout:rollout\.pct = 10$" "$TMP/t$k"
	expect_grep "h$k: env output" "^app:FEATURE_B = off$" "$TMP/t$k"
	expect_no_grep "h$k: an absent program gives no flags" "^absent:" "$TMP/t$k"
done
expect_grep "h1 reads its own output" "^app:FEATURE_A = on$" "$TMP/t1"
expect_grep "h3 reads its own output" "^app:FEATURE_A = off$" "$TMP/t3"
git -C "$R" show main:hosts/staging/h1/meta >"$TMP/m"
expect_grep "meta counts the commands" "^collector toggles collected: 0 of 0 files, 2 of 3 commands$" "$TMP/m"
expect_exit 1 "diff: a flag that differs between environments" "$ENVDRIFT" diff --repo "$R" staging prod
expect_grep "named toggles:NAME:KEY with both values" "changed +toggles:app:FEATURE_A +staging=on +prod=off" "$TMP/out"
expect_no_grep "equal flags are not drift" "rollout\.pct|FEATURE_B" "$TMP/out"

# h2: the command fails (its file is gone) and another hangs past its
# timeout; h1 prints garbage JSON. Each is a warning on that host only,
# its previous flags are kept, the scan still succeeds.
fleet_rm_file "$FL" 2 /etc/app/flags.env
fleet_set_file "$FL" 2 /etc/app/pct '1; sleep 30'
config 'p=$(cat /etc/app/pct); case $p in *sleep*) sleep 30;; esac; printf "{\"rollout\": {\"pct\": %s}}" "$p"' 2 >"$TMP/cfg2.yaml"
fleet_set_file "$FL" 1 /etc/app/pct '10, "x": ['
t0=$(date +%s)
check "scan with failing commands succeeds" $ENVDRIFT scan -v --repo "$R" --known-hosts "$FLEET_KNOWN_HOSTS" -j 3 -i "$TMP/inv.yaml" --config "$TMP/cfg2.yaml"
t1=$(date +%s)
expect_eq "the hanging command is cut by its timeout (scan under 20 s)" 1 "$([ $((t1 - t0)) -lt 20 ] && echo 1 || echo 0)"
expect_grep "h2: the failing command is named" "h2.*toggles: command app: /usr/bin/cat: exited with status 1.*previous flags kept" "$TMP/err"
expect_grep "h2: the slow one says timed out" "h2.*toggles: command rollout: .*timed out.*previous flags kept" "$TMP/err"
expect_grep "h1: garbage output is a parse warning" "h1.*toggles: command rollout: .*previous flags kept" "$TMP/err"
git -C "$R" show main:hosts/staging/h2/toggles >"$TMP/t2"
expect_grep "h2 keeps its previous app flags" "^app:FEATURE_A = on$" "$TMP/t2"
expect_grep "h2 keeps its previous rollout flags" "^rollout:rollout\.pct = 10$" "$TMP/t2"
git -C "$R" show main:hosts/staging/h1/toggles >"$TMP/t1"
expect_grep "h1 keeps its previous rollout flags" "^rollout:rollout\.pct = 10$" "$TMP/t1"
expect_grep "h1 still reads app" "^app:FEATURE_A = on$" "$TMP/t1"
git -C "$R" show main:hosts/prod/h3/toggles >"$TMP/t3"
expect_grep "h3 is unaffected" "^rollout:rollout\.pct = 10$" "$TMP/t3"
expect_exit 1 "diff: still only the real difference" "$ENVDRIFT" diff --repo "$R" staging prod
expect_no_grep "no flag reads as removed" "missing|extra|outlier" "$TMP/out"

# a program that exists but is not executable fails (126), as locally
fleet_set_file "$FL" 3 /opt/none/bin/flags 'x: 1' 0644
check "scan: non-executable program" $ENVDRIFT scan -v --repo "$R" --known-hosts "$FLEET_KNOWN_HOSTS" -j 3 -i "$TMP/inv.yaml" --config "$TMP/cfg.yaml"
expect_grep "h3: named with status 126" "h3.*toggles: command absent: .*status 126" "$TMP/err"
fsck_ok "$R"
finish
