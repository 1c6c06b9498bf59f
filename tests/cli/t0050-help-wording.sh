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
