#!/bin/sh
# envdrift inventory and INI inventories, with Ansible (ansible-core) as
# the oracle: for every fixture of tests/fixtures/inventory/oracle/checks
# the hosts, their groups and every variable must equal what
# ansible-inventory --list says, and --limit patterns must select what
# ansible selects (tests/tools/inventory_oracle.py, one Python process).
# Then the text output with origins, and file:line errors for what is
# not supported.
. "$(dirname "$0")/test-lib.sh"

ROOT=$(cd "$TESTS_DIR/../.." && pwd)
INI=tests/fixtures/inventory/oracle/ini1/hosts.ini

# Ansible's Python is Debian's (ansible-core depends on python3)
if [ ! -x /usr/bin/python3 ] || ! command -v ansible-inventory >/dev/null; then
	fail "ansible-core is installed (make test installs TEST_DEPS)"
else
	(cd "$ROOT" && /usr/bin/python3 tests/tools/inventory_oracle.py "$ENVDRIFT" \
		tests/fixtures/inventory/oracle/checks) >"$TMP/oracle" 2>&1
	cat "$TMP/oracle"
	n=$(grep -c '^ok ' "$TMP/oracle")
	bad=$(grep -c '^not ok ' "$TMP/oracle")
	expect_eq "Ansible oracle: no check failed" 0 "$bad"
	expect_eq "Ansible oracle: all 43 checks ran" 43 "$n"
fi

cd "$ROOT" || exit 1
expect_exit 0 "inventory of an INI file" $ENVDRIFT inventory -i $INI --limit web01.example.com --ssh-config /dev/null
expect_grep "host line with env and roles" "^web01.example.com  env prod  roles web$" "$TMP/out"
expect_grep "address from host_vars, with its file and line" \
	"address +10.9.9.9 +inventory $INI/../host_vars/web01.example.com.yml:1|address +10.9.9.9 +inventory tests/fixtures/inventory/oracle/ini1/host_vars/web01.example.com.yml:1" "$TMP/out"
expect_grep "user from a group_vars directory's file" \
	"user +www +inventory tests/fixtures/inventory/oracle/ini1/group_vars/web/10-ports.yml:2" "$TMP/out"
expect_grep "env from its group" "env +prod +inventory $INI: group prod" "$TMP/out"
expect_grep "the key file is a default" "key file +\(agent, then the run's keys\) +default" "$TMP/out"
expect_grep "transport named, with why" "transport +libssh2 \(" "$TMP/out"

# ssh_config fills what the inventory leaves unset, and says so
printf 'Host web02.example.com\n  HostName 10.7.7.7\n  User sshcfg\n  Port 2299\n  IdentityFile ~/.ssh/other\n' >"$TMP/ssh_config"
expect_exit 0 "inventory --format json with an ssh_config" \
	$ENVDRIFT inventory -i $INI --limit 'web02*' --format json --ssh-config "$TMP/ssh_config"
/usr/bin/python3 - "$TMP/out" "$TMP/ssh_config" >"$TMP/py" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
h, = d["hosts"]
o = h["origins"]
assert d["ssh_config"] == sys.argv[2], d
assert h["address"] == "10.7.7.7" and o["address"] == {"source": "ssh_config", "where": sys.argv[2] + ":2"}, o
assert h["port"] == 2299 and o["port"] == {"source": "ssh_config", "where": sys.argv[2] + ":4"}, o
assert h["user"] == "www" and o["user"]["source"] == "inventory", h
assert h["key_file"].endswith("/.ssh/other") and o["key_file"]["where"] == sys.argv[2] + ":5", o
assert h["transport"] == "libssh2" and h["transport_reason"], h
assert h["vars"]["http_port"] == 8081 and h["vars"]["nested"] == {"a": [1, 2], "b": None}, h
print("json ok")
PY
expect_grep "json: settings from ssh_config and inventory, each with its source" "^json ok" "$TMP/py"

# errors: file:line and what is not supported; exit 2
bad() { printf "$2" >"$TMP/$1"; expect_exit 2 "$3" $ENVDRIFT inventory -i "$TMP/$1"; expect_grep "$3: message" "$4" "$TMP/err"; }
bad a.ini '[web]\nw1\n[web:meta]\nx\n' "unknown section type" "a.ini:3: unknown section type"
bad b.ini '[prod:children]\nweb\n' "child group never declared" "b.ini:2: section \[prod:children\] names group 'web'"
bad c.ini '[prod]\nw1 a="unterminated\n' "unterminated quote" "c.ini:2: host line: no closing quotation"
bad d.ini '[prod]\nw1 novalue\n' "host variable without =" "d.ini:2: expected key=value"
bad e.ini '[prod]\n[::1]:22\n' "IPv6 host pattern" "e.ini:2:1: bad range in host pattern"
bad f.ini '[prod]\nw1\n[prod:vars]\nnovalue\n' "vars line without =" "f.ini:4: expected key=value"
bad g.ini '[ohno:vars]\nx=1\n[prod]\nw1\n' "vars of an undeclared group" "g.ini:1: section \[ohno:vars\]"
bad h.ini '[prod]\nw1 ansible_port=99999\n' "port out of range" "h.ini:2:1: ansible_port"
mkdir -p "$TMP/gv/group_vars"
printf '[prod]\nw1\n' >"$TMP/gv/hosts"
printf -- '- a list\n' >"$TMP/gv/group_vars/prod.yml"
expect_exit 2 "group_vars file that is not a mapping" $ENVDRIFT inventory -i "$TMP/gv/hosts"
expect_grep "group_vars error names the file" "group_vars/prod.yml:1:1: want a mapping" "$TMP/err"
expect_exit 2 "bad --format" $ENVDRIFT inventory -i $INI --format xml
finish
