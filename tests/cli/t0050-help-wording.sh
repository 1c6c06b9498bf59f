#!/bin/sh
# Help, errors and wording: 'help CMD' is 'CMD --help' byte for byte, an
# unknown command suggests the nearest one, every option a command accepts
# is on its usage lines, explain of an unknown collector fails, and counts
# of one read in the singular in every format.
. "$(dirname "$0")/test-lib.sh"

# The commands, from the top-level help's table.
check "envdrift help" "$ENVDRIFT" help
cp "$TMP/out" "$TMP/top-help"
"$ENVDRIFT" --help >"$TMP/top-help2" 2>&1
check "'envdrift help' is 'envdrift --help'" cmp "$TMP/top-help" "$TMP/top-help2"
CMDS=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$TMP/top-help")
expect_grep "the command table lists collect" '^  collect ' "$TMP/top-help"
expect_grep "report commits to main:reports/" 'main:reports/' "$TMP/top-help"
expect_no_grep "no refs/heads/reports" 'refs/heads/reports' "$TMP/top-help"

for c in $CMDS; do
	"$ENVDRIFT" "$c" --help >"$TMP/h1" 2>"$TMP/e1"
	r1=$?
	"$ENVDRIFT" help "$c" >"$TMP/h2" 2>"$TMP/e2"
	r2=$?
	expect_eq "$c --help exits 0" "$r1" 0
	expect_eq "help $c exits 0" "$r2" 0
	check "help $c = $c --help (stdout)" cmp "$TMP/h1" "$TMP/h2"
	check "help $c = $c --help (stderr)" cmp "$TMP/e1" "$TMP/e2"
	expect_grep "$c --help starts with its usage" "^usage: envdrift $c " "$TMP/h1"
	expect_grep "$c --help gives its exit statuses" '^Exit status: ' "$TMP/h1"
	# The usage lines: from "usage:" to the first blank line.
	sed '/^$/q' "$TMP/h1" >"$TMP/synopsis"
	# Every long option of the command's getopt_long table. glibc lists
	# them all for the empty prefix "--=", which matches every one.
	"$ENVDRIFT" "$c" --= >/dev/null 2>"$TMP/opts"
	longs=$(sed -n "s/.*possibilities: //p" "$TMP/opts" | tr -d "'")
	[ -n "$longs" ] || fail "$c: no option table from '--='"
	missing=
	for o in $longs; do
		[ "$o" = --help ] && continue
		grep -Eq -- "$o([^a-z0-9-]|\$)" "$TMP/synopsis" || missing="$missing $o"
	done
	expect_eq "$c: usage lines list every long option" "${missing# }" ""
	# ... and every option on the usage lines is one it takes.
	extra=
	for o in $(grep -Eo -- '(^|[^a-z0-9-])--[a-z][a-z0-9-]*' "$TMP/synopsis" | sed 's/^[^-]*//'); do
		case " $longs " in *" $o "*) ;; *) extra="$extra $o" ;; esac
	done
	expect_eq "$c: usage lines name no option it lacks" "${extra# }" ""
	# Short options: -X1 makes a short option with no argument fail on "-1"
	# and one with an argument fail on the bad option after it.
	for s in v q i j; do
		"$ENVDRIFT" "$c" "-${s}1" --zz-not-an-option >/dev/null 2>"$TMP/sh"
		if grep -q "invalid option -- '$s'" "$TMP/sh"; then
			expect_no_grep "$c: -$s is not on the usage lines" "(^|[^a-z0-9-])-$s([^a-z0-9-]|\$)" "$TMP/synopsis"
		else
			expect_grep "$c: -$s is on the usage lines" "(^|[^a-z0-9-])-$s([^a-z0-9-]|\$)" "$TMP/synopsis"
		fi
	done
done

# 'help' alone and unknown commands
check "'help --help' is the top-level help" "$ENVDRIFT" help --help
cp "$TMP/out" "$TMP/help-help"
check "... the same bytes" cmp "$TMP/help-help" "$TMP/top-help"
expect_exit 2 "a mistyped command" "$ENVDRIFT" colect --repo "$TMP/none"
expect_eq "... suggests the nearest" "$(cat "$TMP/err")" \
	"envdrift: 'colect' is not a command; did you mean 'collect'?"
expect_eq "... and writes nothing on stdout" "$(wc -c <"$TMP/out" | tr -d ' ')" 0
expect_exit 2 "a transposition" "$ENVDRIFT" chekc
expect_grep "... suggests check" "did you mean 'check'\?$" "$TMP/err"
expect_exit 2 "a prefix of two commands" "$ENVDRIFT" c
expect_grep "... suggests both" "did you mean 'collect' or 'check'\?$" "$TMP/err"
expect_exit 2 "'help' of a mistyped command" "$ENVDRIFT" help stauts
expect_grep "... suggests status" "^envdrift: 'stauts' is not a command; did you mean 'status'\?$" "$TMP/err"
expect_exit 2 "a name far from every command" "$ENVDRIFT" frobnicate
expect_eq "... suggests nothing" "$(cat "$TMP/err")" \
	"envdrift: 'frobnicate' is not a command; see 'envdrift --help'"
expect_exit 2 "control bytes in a mistyped command" "$ENVDRIFT" "$(printf 'x\033]0;t\007')"
expect_no_grep "... are escaped" "$(printf '\033')" "$TMP/err"

# explain: an unknown collector is an error naming the known ones
expect_exit 2 "explain of an unknown collector" "$ENVDRIFT" explain sysctls:vm.swappiness
expect_eq "... one line" "$(wc -l <"$TMP/err" | tr -d ' ')" 1
expect_grep "... naming it and the known ones" \
	"^envdrift explain: unknown collector 'sysctls'; known: files, .*packages, .*sysctl, " "$TMP/err"
check "explain of a known collector" "$ENVDRIFT" explain sysctl:vm.swappiness

# status --help gives its exit statuses
"$ENVDRIFT" status --help >"$TMP/out"
expect_grep "status --help: exit 0" '^Exit status: 0 ' "$TMP/out"
expect_grep "status --help: exit 2" ' 2 error\.$' "$TMP/out"

# One host, one scan, one drift item (a pin): counts in the singular. The
# root holds one package, one file entry (/etc) and one sysctl key.
R=$TMP/repo
mkdir -p "$TMP/one/etc" "$TMP/one/var/lib/dpkg" "$TMP/one/proc/sys/net/ipv4"
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' "$FIXTURES/cli/root/var/lib/dpkg/status" \
	>"$TMP/one/var/lib/dpkg/status"
echo 0 >"$TMP/one/proc/sys/net/ipv4/ip_forward"
new_repo "$R"
check "collect a host of one package" "$ENVDRIFT" collect --repo "$R" --root "$TMP/one" --env prod --host h1
expect_grep "collect: 1 package, 1 file, 1 sysctl key" \
	"^collect prod/h1: 1 package, 1 file, 1 sysctl key; commit " "$TMP/out"
printf 'pins:\n  - "sysctl:net.ipv4.ip_forward = 1"\n' >"$TMP/pin.yaml"
for f in text markdown json html junit; do
	expect_exit 1 "check --format $f: one pin fails" "$ENVDRIFT" check --repo "$R" \
		--baseline "$TMP/pin.yaml" --format "$f:$TMP/one.$f"
done
expect_grep "text: 1 drift item on 1 host" ': 1 drift item on 1 host$' "$TMP/one.text"
expect_grep "text: (1 scan)" ' since [0-9-]+ \(1 scan\)$' "$TMP/one.text"
expect_grep "markdown: 1 drift item in 1 group on 1 host" \
	'^1 drift item in 1 group on 1 host: \*\*1 critical\*\*, 0 warning, 0 info, 0 waived$' "$TMP/one.markdown"
expect_grep "markdown: (1 scan)" '<br>since [0-9-]+ \(1 scan\)' "$TMP/one.markdown"
expect_grep "html: 1 drift item in 1 group on 1 host" \
	'<p class="summary">1 drift item in 1 group on 1 host: 1 critical, 0 warning, 0 info, 0 waived</p>' "$TMP/one.html"
expect_grep "html: (1 scan)" '<p>since [0-9-]+ \(1 scan\)</p>' "$TMP/one.html"
expect_grep "junit: (1 scan)" 'since: [0-9-]+ \(1 scan\)' "$TMP/one.junit"
expect_eq "json: one item, one host, one scan" "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["summary"]["drift"], d["summary"]["hosts"], d["drift"][0]["since"]["scans"])' "$TMP/one.json")" "1 1 1"
# ... and no count of one with a plural noun anywhere
PLURAL='(^|[^0-9.,])1 (drift )?(items|hosts|groups|scans|objects|packages|files|keys|warnings|comparisons|hits|blobs|bytes|rows|days|values|commits)([^a-z]|$)|of 1 hosts|other 1 have'
for f in text markdown json html junit; do
	expect_no_grep "$f: no '1 <plural>'" "$PLURAL" "$TMP/one.$f"
done
expect_no_grep "check's verdict" "$PLURAL" "$TMP/err"

# a one-host scan (chroot: no sshd needed) and its commit subject
R2=$TMP/repo2
new_repo "$R2"
printf 'all:\n  children:\n    prod:\n      hosts:\n        h1:\n          ansible_connection: chroot\n          ansible_host: %s\n' \
	"$TMP/one" >"$TMP/inv.yaml"
check "scan of one host" "$ENVDRIFT" scan --repo "$R2" -i "$TMP/inv.yaml"
expect_grep "scan: 1 host" '^scan: 1 host, 1 collected, 0 failed; ' "$TMP/out"
expect_eq "scan's subject: 1 of 1 host" "$(git --git-dir="$R2" log -1 --format=%s main)" \
	"scan $TMP/inv.yaml: 1 of 1 host collected"
git --git-dir="$R" log -1 --format=%s main >"$TMP/subject"
expect_no_grep "collect's subject" "$PLURAL" "$TMP/subject"
fsck_ok "$R"
fsck_ok "$R2"
finish
