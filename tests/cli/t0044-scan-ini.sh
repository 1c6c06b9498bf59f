#!/bin/sh
# scan -i hosts.ini end to end against two real sshds (tests/lib/fleet.sh):
# an INI inventory whose connection settings live in group_vars/ and
# host_vars/ beside it, as SREs keep them; envdrift inventory shows what
# the scan then uses.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

start_fleet 2
fleet_env "$FL"

R=$TMP/state
new_repo "$R"
D=$TMP/ansible
mkdir -p "$D/group_vars/all" "$D/host_vars"
cat >"$D/hosts.ini" <<INI
# h1 in staging, h2 in prod; both web servers
[web]
h1 ansible_host=$(fleet_addr 1)
h2

[staging]
h1

[prod]
h2

[prod:vars]
ansible_port=1
INI
printf 'ansible_user: %s\n' "$FLEET_USER" >"$D/group_vars/all/10-user.yml"
printf 'ansible_ssh_private_key_file: %s\n' "$FLEET_KEY" >"$D/group_vars/all/20-key.yaml"
# group_vars files override the inventory's [prod:vars] port, as in Ansible
printf '{"ansible_port": %s}\n' "$FLEET_PORT" >"$D/group_vars/prod.json"
printf 'ansible_port: %s\n' "$FLEET_PORT" >"$D/group_vars/staging"
printf 'ansible_host: %s\n' "$(fleet_addr 2)" >"$D/host_vars/h2.yml"

expect_exit 0 "inventory shows what scan will use" \
	$ENVDRIFT inventory -i "$D/hosts.ini" --ssh-config /dev/null
expect_grep "h2's address from host_vars" "address +$(fleet_addr 2) +inventory $D/host_vars/h2.yml:1" "$TMP/out"
expect_grep "h2's port from group_vars/prod.json, over [prod:vars]" "port +$FLEET_PORT +inventory $D/group_vars/prod.json:1" "$TMP/out"
expect_grep "user from group_vars/all/" "user +$FLEET_USER +inventory $D/group_vars/all/10-user.yml:1" "$TMP/out"

expect_exit 0 "scan -i hosts.ini" $ENVDRIFT scan --repo "$R" -i "$D/hosts.ini" \
	--known-hosts "$FLEET_KNOWN_HOSTS" --ssh-config /dev/null
expect_grep "both hosts collected" "2 collected, 0 failed" "$TMP/out"
fsck_ok "$R"
expect_eq "h1 stored under staging" tree "$(git -C "$R" cat-file -t main:hosts/staging/h1)"
expect_eq "h2 stored under prod" tree "$(git -C "$R" cat-file -t main:hosts/prod/h2)"
expect_eq "the commit names the INI inventory" 1 \
	"$(git -C "$R" log -1 --format=%s main | grep -c "hosts.ini")"
finish
