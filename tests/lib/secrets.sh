# secrets.sh: the bookkeeping of the secrets audits (t0022, t0024). POSIX
# sh; source it after test-lib.sh and fleet.sh, with FL and R set.
#
# Every secret string planted goes to $TMP/secrets, every secret file's
# plain SHA-256 to $TMP/hashes, its git blob id to $TMP/blobs, other forms
# of a secret to $TMP/derived: leaks/no_secrets search for all of them.
: >"$TMP/secrets"
: >"$TMP/hashes"
: >"$TMP/blobs"
: >"$TMP/derived"

rnd() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }

# marker WORD: print a new unique marker, remembered with its random core
marker() {
	_h=$(rnd)
	echo "$_h" >>"$TMP/secrets"
	echo "$1-$_h" >>"$TMP/secrets"
	echo "$1-$_h"
}

# fok_value: print a new tcp_fastopen_key as the kernel prints it,
# remembered with its hex digits alone and the plain sha256 of both forms
fok_value() {
	_v=$(od -An -tx4 -N16 /dev/urandom | awk '{ printf "%08s-%08s-%08s-%08s", $1, $2, $3, $4 }')
	echo "$_v" >>"$TMP/secrets"
	echo "$_v" | tr -d - >>"$TMP/derived"
	printf '%s' "$_v" | sha256sum | cut -d' ' -f1 >>"$TMP/hashes"
	printf '%s\n' "$_v" | sha256sum | cut -d' ' -f1 >>"$TMP/hashes"
	echo "$_v"
}

# remember FILE [pem]: its plain sha256 and git blob id; with pem also its
# key material (the base64 body lines of the armour, >= 20 bytes)
remember() {
	[ "${2:-}" != pem ] ||
		sed -n '/^-----BEGIN/,/^-----END/p' "$1" | grep -v -- '-----' |
		awk 'length($0) >= 20' >>"$TMP/secrets"
	sha256sum <"$1" | cut -d' ' -f1 >>"$TMP/hashes"
	git hash-object --no-filters "$1" >>"$TMP/blobs"
}

# put K PATH MODE|- [pem]: $TMP/in as host K's PATH (a new inode, so chmod
# touches no other root; '-' keeps the old file's mode and owner), remembered
put() {
	fleet_set_file "$FL" "$1" "$2" <"$TMP/in" || { fail "fleet_set_file h$1 $2"; return 1; }
	[ "$3" = - ] || chmod "$3" "$FL/hosts/h$1$2" || { fail "chmod h$1 $2"; return 1; }
	remember "$FL/hosts/h$1$2" "${4:-}"
}

# leaks FILE...: how many secret strings, plain hashes or blob ids occur in
# FILEs (directories searched recursively); each one found is printed
leaks() {
	sort -u "$TMP/secrets" "$TMP/derived" "$TMP/hashes" "$TMP/blobs" >"$TMP/needles"
	_n=0
	while IFS= read -r _s; do
		[ -n "$_s" ] || continue
		if grep -raqF -- "$_s" "$@"; then
			_n=$((_n + 1))
			echo "# found in $(grep -ralF -- "$_s" "$@" | head -3 | tr '\n' ' '): $_s" >&2
		fi
	done <"$TMP/needles"
	echo "$_n"
}

# no_secrets DESC FILE...
no_secrets() {
	_d=$1; shift
	expect_eq "$_d: no secret, plain sha256 or blob id ($(sort -u "$TMP/secrets" "$TMP/derived" "$TMP/hashes" "$TMP/blobs" | wc -l) strings)" \
		0 "$(leaks "$@")"
}

# diff_over_time C1 N KEY...: diff h1@C1 h1 as text and json into
# $TMP/rep; the text must report each collector:KEY, the json exactly N
# changed items (a host's own SSH host keys count: per-host facts are
# compared for the same host over time)
diff_over_time() {
	_c1=$1 _n=$2
	shift 2
	mkdir -p "$TMP/rep"
	expect_exit 1 "envdrift diff h1@C1 h1: drift" "$ENVDRIFT" diff --repo "$R" --color never "h1@$_c1" h1
	cp "$TMP/out" "$TMP/rep/diff-time.txt"
	cp "$TMP/err" "$TMP/rep/diff-time.err"
	for _k; do
		expect_grep "diff over time reports $_k" "$(echo "$_k" | sed 's/[.]/\\./g; s/^\([a-z]*\):/\1.?/')" "$TMP/rep/diff-time.txt"
	done
	expect_exit 1 "diff --format json over time" "$ENVDRIFT" diff --repo "$R" --format json "h1@$_c1" h1
	cp "$TMP/out" "$TMP/rep/diff-time.json"
	expect_eq "json over time: exactly the $_n changed secrets" "$_n" \
		"$(grep -o '"kind": "changed"' "$TMP/rep/diff-time.json" | wc -l)"
}

# every_report C1: into $TMP/rep, diff h1 h2 and h1@C1 h1 in all six
# formats (each must exit 1), check h1 h2 and report to files in all six,
# status and status --format json
every_report() {
	mkdir -p "$TMP/rep"
	for _f in text json markdown junit html patch; do
		"$ENVDRIFT" diff --repo "$R" --color never --format "$_f" h1 h2 >"$TMP/rep/diff-h1h2.$_f" 2>"$TMP/rep/diff-h1h2.$_f.err"
		expect_eq "diff h1 h2 --format $_f: exit 1 (drift)" 1 $?
		"$ENVDRIFT" diff --repo "$R" --color never --format "$_f" "h1@$1" h1 >"$TMP/rep/diff-t.$_f" 2>"$TMP/rep/diff-t.$_f.err"
		expect_eq "diff h1@C1 h1 --format $_f: exit 1 (drift)" 1 $?
	done
	expect_exit 1 "check h1 h2 with every format to files" "$ENVDRIFT" check --repo "$R" h1 h2 \
		--format text:"$TMP/rep/check.txt" --format json:"$TMP/rep/check.json" \
		--format markdown:"$TMP/rep/check.md" --format junit:"$TMP/rep/check.xml" \
		--format html:"$TMP/rep/check.html" --format patch:"$TMP/rep/check.patch"
	cp "$TMP/err" "$TMP/rep/check.err"
	expect_exit 0 "report staging..prod with every format to files" "$ENVDRIFT" report --repo "$R" \
		--format text:"$TMP/rep/report.txt" --format json:"$TMP/rep/report.json" \
		--format markdown:"$TMP/rep/report.md" --format junit:"$TMP/rep/report.xml" \
		--format html:"$TMP/rep/report.html" --format patch:"$TMP/rep/report.patch"
	expect_exit 0 "status" "$ENVDRIFT" status --repo "$R"
	cp "$TMP/out" "$TMP/rep/status.txt"
	expect_exit 0 "status --format json" "$ENVDRIFT" status --repo "$R" --format json
	cp "$TMP/out" "$TMP/rep/status.json"
}
