#!/bin/sh
# The README's examples work as copied. Every fenced block needs a
# language. ```sh, ```shell, ```bash and ```console blocks run (console:
# only the lines after a "$ " prompt) against a fixture state repository,
# each in a directory of its own holding a copy of it and of baselines/;
# ```yaml blocks parse, and a baseline among them loads in `check`, a
# collect configuration in `collect --config`; ```json parses. A block
# that cannot run here follows the line
#   <!-- readme-test: skip (why) -->
# (blank lines between are allowed). Rewrites, applied to each block:
#   /var/lib/envdrift/state  the fixture (a fresh path if the block runs
#                            `envdrift init`); $ENVDRIFT_REPO is it too
#   /mnt/image               a fixture root filesystem
#   /etc/envdrift/X          ./X (inventory.yaml, hosts.ini: fixture
#                            inventories; parity.yaml: the example baseline)
#   @YYYY-MM-DD              today, so "as of a date" finds the fixture
# An envdrift command that exits above 1 (1 is drift) or a git command
# that fails is reported with the README line it is on. The fixture:
# environments dev (dev-01), staging (stg-01) and prod (web-01, web-02),
# role web, with drift between them, in six collections.
. "$(dirname "$0")/test-lib.sh"
need_tool python3
: "${ENVDRIFT_YAMLSCALARS:?set ENVDRIFT_YAMLSCALARS to tests/tools/yamlscalars (make cli-test does)}"
SRC=$(cd "$TESTS_DIR/../.." && pwd)
README=${ENVDRIFT_README:-$SRC/README.md} # another file: to test this test
TODAY=$(date -u +%Y-%m-%d)

# -- the fixture --
mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
cp -a "$TMP/a" "$TMP/d"
cp -a "$TMP/a" "$TMP/image"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
echo 10 >"$TMP/d/proc/sys/vm/swappiness"
FIX=$TMP/fixture/state
mkdir -p "$TMP/fixture"
new_repo "$FIX"
col() { "$ENVDRIFT" collect -q --repo "$FIX" --root "$1" --env "$2" --host "$3" --role web; }
ok=1
col "$TMP/b" prod web-01 && col "$TMP/b" prod web-02 && col "$TMP/a" staging stg-01 &&
	col "$TMP/d" dev dev-01 || ok=
echo "MaxAuthTries 3" >>"$TMP/b/etc/ssh/sshd_config"
col "$TMP/b" prod web-01 && col "$TMP/b" prod web-02 || ok=
check "the fixture: three environments, four hosts, six collections" test -n "$ok"
cat >"$TMP/inventory.yaml" <<'EOF'
all:
  children:
    prod:
      hosts:
        web-01: {ansible_host: 127.0.0.2}
        web-02: {ansible_host: 127.0.0.3}
    staging:
      hosts:
        stg-01: {ansible_host: 127.0.0.4}
    web:
      hosts: {web-01: {}, web-02: {}, stg-01: {}}
EOF
cat >"$TMP/hosts.ini" <<'EOF'
[prod]
web-01 ansible_host=127.0.0.2
web-02 ansible_host=127.0.0.3

[staging]
stg-01 ansible_host=127.0.0.4

[web:children]
prod
staging
EOF

# -- the blocks: $TMP/blocks/LINE (the README line of the opening fence)
# and one line per block in $TMP/blocks/list: LINE LANG run|skip REASON --
mkdir -p "$TMP/blocks"
awk -v dir="$TMP/blocks" '
	function flush_marker() { marker = 0; reason = "" }
	!inb && /^<!-- readme-test: skip/ {
		marker = 1; reason = $0
		sub(/^<!-- readme-test: skip */, "", reason); sub(/ *-->.*$/, "", reason)
		next
	}
	!inb && /^ *```/ {
		inb = 1; start = NR; lang = $0
		sub(/^ *```/, "", lang); sub(/[ \t{].*$/, "", lang)
		if (lang == "") lang = "-"
		f = dir "/" start; printf "" > f
		printf "%d %s %s %s\n", start, lang, marker ? "skip" : "run", reason > (dir "/list")
		flush_marker(); next
	}
	inb && /^ *```[ \t]*$/ { inb = 0; close(f); next }
	inb { print > f; next }
	NF { flush_marker() }
	END { if (inb) printf "%d - unclosed -\n", start > (dir "/list") }
' "$README"

# prefix each line that starts an envdrift or git command with "_L=N;"
# (N its README line), outside here-documents and continuation lines;
# keep only prompted lines of a console block
prepare() { # FILE FIRST_LINE LANG
	awk -v first="$2" -v lang="$3" '
		{ line = first + NR; text = $0 }
		lang == "console" {
			if (text !~ /^\$ /) next
			sub(/^\$ /, "", text)
		}
		heredoc != "" { print text; if (text == heredoc) heredoc = ""; next }
		!cont && text ~ /^[ \t]*(envdrift|git)[ \t]/ { text = "_L=" line "; " text }
		{ print text }
		{ cont = (text ~ /\\$/) }
		match(text, /<<-?[ \t]*["\047]?[A-Za-z_]+/) {
			heredoc = substr(text, RSTART, RLENGTH)
			sub(/^<<-?[ \t]*["\047]?/, "", heredoc)
		}
	' "$1" | sed \
		-e "s|/var/lib/envdrift/state|$W/state|g" \
		-e "s|/mnt/image|$TMP/image|g" \
		-e "s|/etc/envdrift/parity\\.yaml|$W/baselines/parity.example.yaml|g" \
		-e "s|/etc/envdrift/|$W/|g" \
		-e "s|@20[0-9][0-9]-[01][0-9]-[0-3][0-9]|@$TODAY|g"
}

run_sh() { # LINE LANG
	W=$TMP/run/$1
	mkdir -p "$W"
	cp -a "$SRC/baselines" "$W/baselines"
	cp "$TMP/inventory.yaml" "$TMP/hosts.ini" "$W/"
	if ! grep -q 'envdrift[ \t][ \t]*init' "$TMP/blocks/$1"; then
		cp -a "$FIX" "$W/state"
		cp "$FIX.key" "$W/state.key"
	fi
	{
		printf '_L=%s\ncd "%s" || exit 3\n' "$(($1 + 1))" "$W"
		printf 'export ENVDRIFT_REPO="%s/state"\n' "$W"
		cat <<'EOF'
envdrift() {
	"$ENVDRIFT" "$@" >>"$W/out" 2>"$W/err1"
	_rc=$?
	cat "$W/err1" >>"$W/err"
	[ "$_rc" -le 1 ] ||
		printf 'README.md:%s: envdrift %s: exit %s: %s\n' "$_L" "$*" "$_rc" "$(head -1 "$W/err1")" >>"$W/failures"
	return $_rc
}
git() {
	command git "$@" >>"$W/out" 2>"$W/err1"
	_rc=$?
	[ "$_rc" -eq 0 ] ||
		printf 'README.md:%s: git %s: exit %s: %s\n' "$_L" "$*" "$_rc" "$(head -1 "$W/err1")" >>"$W/failures"
	return $_rc
}
EOF
		prepare "$TMP/blocks/$1" "$1" "$2"
		echo 'exit 0'
	} >"$W/script.sh"
	env W="$W" ENVDRIFT="$ENVDRIFT" timeout 120 sh "$W/script.sh" >"$W/sh.out" 2>"$W/sh.err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "README.md:$1: the $2 block does not run (sh exit $rc): $(tail -1 "$W/sh.err")"
	elif [ -s "$W/failures" ]; then
		fail "README.md:$1: $2 block: $(head -1 "$W/failures")"
		sed 's/^/#   /' "$W/failures" | head -10
	else
		pass "README.md:$1: $2 block runs"
	fi
}

# an error naming the block's file:line:col names README.md's line instead
readme_err() { # LINE FILE ERRFILE
	head -1 "$3" | awk -v f="$2" -v first="$1" '{
		i = index($0, f ":")
		if (i) {
			rest = substr($0, i + length(f) + 1)
			n = rest + 0
			sub(/^[0-9]+/, "", rest)
			$0 = substr($0, 1, i - 1) "README.md:" (first + n) rest
		}
		print
	}'
}

run_yaml() { # LINE
	W=$TMP/run/$1
	mkdir -p "$W"
	F=$W/block.yaml
	cp "$TMP/blocks/$1" "$F"
	if ! "$ENVDRIFT_YAMLSCALARS" "$F" >"$W/scalars" 2>"$W/err"; then
		l=$(sed -n 's/^[^:]*:\([0-9][0-9]*\):.*/\1/p' "$W/err" | head -1)
		fail "README.md:$(($1 + ${l:-0})): yaml block at line $1 does not parse: $(readme_err "$1" "$F" "$W/err")"
		return
	fi
	keys=$(cut -f1 "$W/scalars" | cut -d. -f1 | sort -u | tr '\n' ' ')
	case " $keys" in
	*" parity "* | *" pins "* | *" expect "* | *" ignore "* | *" severity "* | *" per-host "*)
		"$ENVDRIFT" check --repo "$FIX" --allow-missing-env --baseline "$F" >"$W/out" 2>"$W/err"
		rc=$?
		if [ "$rc" -le 1 ]; then pass "README.md:$1: yaml baseline loads in check (exit $rc)"; else
			grep -v '^check: ' "$W/err" >"$W/err1"
			fail "README.md:$1: yaml baseline: check exit $rc: $(readme_err "$1" "$F" "$W/err1")"; fi
		;;
	*" collectors "* | *" files "* | *" secrets "* | *" toggles "* | *" sysctl-classes "*)
		"$ENVDRIFT" init --repo "$W/c" >/dev/null 2>&1
		if "$ENVDRIFT" collect -q --repo "$W/c" --config "$F" --root "$TMP/a" --host cfg-01 >"$W/out" 2>"$W/err"; then
			pass "README.md:$1: yaml collect configuration works in collect --config"
		else
			fail "README.md:$1: yaml collect configuration: $(readme_err "$1" "$F" "$W/err")"
		fi
		;;
	*) pass "README.md:$1: yaml block parses" ;;
	esac
}

nrun=0 nskip=0 ndoc=0
while read -r line lang what reason; do
	case $lang in
	-)
		if [ "$what" = unclosed ]; then fail "README.md:$line: a fenced block is never closed"
		else fail "README.md:$line: a fenced block without a language: tag it (sh, yaml, text, json, ...)"; fi
		continue ;;
	esac
	if [ "$what" = skip ]; then
		nskip=$((nskip + 1))
		case $reason in
		\(?*\)) echo "# README.md:$line: $lang block skipped $reason" ;;
		*) fail "README.md:$((line - 1)): a readme-test skip marker without a (reason)" ;;
		esac
		continue
	fi
	case $lang in
	sh | shell | bash | console) nrun=$((nrun + 1)); run_sh "$line" "$lang" ;;
	yaml | yml) nrun=$((nrun + 1)); run_yaml "$line" ;;
	json)
		nrun=$((nrun + 1))
		check "README.md:$line: json block parses" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/blocks/$line" ;;
	*) ndoc=$((ndoc + 1)); echo "# README.md:$line: a $lang block, not run" ;;
	esac
done <"$TMP/blocks/list"
echo "# $nrun blocks run or parsed, $nskip skipped by a marker, $ndoc shown only"
check "the README has runnable examples" test "$nrun" -ge 5
# the shipped example baseline loads as such, with its dev entry a note
expect_exit 1 "baselines/parity.example.yaml loads in check (drift: exit 1)" \
	"$ENVDRIFT" check --repo "$FIX" --baseline "$SRC/baselines/parity.example.yaml"
finish
