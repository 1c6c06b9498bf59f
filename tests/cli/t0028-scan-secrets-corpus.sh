#!/bin/sh
# The credential corpus (tests/fixtures/secrets) over SSH (issue 11): the
# corpus is planted into a chrooted fleet host behind a real sshd, scanned
# with become (sudo -n, so 0600 files are read), changed (change.sh) and
# scanned again. No marker, sha256 of a marker, or sha256 or blob id of a
# secret-holding file reaches any object or the scan's output; every
# change is a changed files line; audit-secrets finds the repository clean.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"
. "$TESTS_DIR/../lib/corpus.sh"

[ -u /usr/bin/sudo ] || { echo "# needs sudo (make deps-test)"; fail "sudo installed"; finish; exit 1; }
C=$FIXTURES/secrets
# the host keeps its own account files: sshd and sudo read them
SKIP='^etc/(passwd|group|shadow|gshadow|nsswitch\.conf)$'

start_fleet 1
check "sudo staged into the host" fleet_add_sudo "$FL" 1

# plant DIR: a corpus tree into h1 (new inodes: the fleet's roots share them)
plant() {
	(cd "$1" && find . -type f | sed 's|^\./||') | grep -Ev "$SKIP" >"$TMP/files"
	# GNU tar unlinks an existing file before it writes one
	(cd "$1" && tar cf - --no-recursion -T "$TMP/files") | (cd "$FL/hosts/h1" && tar xpf -)
}
corpus() { # corpus DIR: a copy with the modes real servers give it
	cp -a "$C/root" "$1"
	for m in $(cut -f2 "$C/MODES" | sort -u); do
		awk -F'\t' -v m="$m" -v d="$1" '$2 == m { print d "/" $1 }' "$C/MODES" |
			tr '\n' '\0' | xargs -0 chmod "$m"
	done
}
corpus "$TMP/c1"
check "plant the corpus into h1" plant "$TMP/c1"

# the needles (tests/lib/corpus.sh): the markers and their digests, the
# digests and blob ids of each secret-holding file planted
corpus_marker_needles "$C/MANIFEST" "$SKIP" >"$TMP/needles"
corpus_file_needles "$C/MANIFEST" "$TMP/c1" "$SKIP" >>"$TMP/needles"
check "control: the needles are in the planted host" test "$(leaks "$FL/hosts/h1" 2>/dev/null)" -gt 250

R=$TMP/state
new_repo "$R"
printf '    becomers:\n      hosts:\n        h1: {ansible_become: true}\n' |
	fleet_inventory 1 1 >"$TMP/inv.yaml"
cat >"$TMP/collect.yaml" <<'EOF'
files:
  include: [/etc/**, /root/**, /home/**, /run/**, /srv/**, /usr/local/**, /var/**]
EOF
SCAN="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS --config $TMP/collect.yaml -i $TMP/inv.yaml -v"
expect_exit 0 "scan the planted host with become" $SCAN
cp "$TMP/out" "$TMP/scan1.out"
cp "$TMP/err" "$TMP/scan1.err"
C1=$(git -C "$R" rev-parse main)
H1=hosts/staging/h1
expect_no_grep "nothing planted is unreadable with become" "unreadable" "$TMP/scan1.err"

corpus "$TMP/c2"
check "change.sh changes every secret" sh "$C/change.sh" "$TMP/c2"
check "plant the changed corpus" plant "$TMP/c2"
expect_exit 0 "scan again" $SCAN
cp "$TMP/out" "$TMP/scan2.out"
cp "$TMP/err" "$TMP/scan2.err"
fsck_ok "$R"

git -C "$R" diff "$C1" main -- "$H1" >"$TMP/d"
grep -v '^#' "$C/MANIFEST" | cut -f1 | sort -u | grep -Ev "$SKIP" | while IFS= read -r p; do
	q=$(printf '%s' "$p" | sed 's/ /\\x20/g')
	grep -qF -- "+/$q " "$TMP/d" || echo "unseen /$p"
done >"$TMP/unseen"
expect_eq "every secret change shows as a changed files line" "" "$(head -5 "$TMP/unseen")"

git -C "$R" cat-file --batch-all-objects --batch >"$TMP/objects"
expect_eq "no marker, digest or blob id of a secret in any object" 0 "$(leaks "$TMP/objects")"
expect_eq "... nor in the scans' output" 0 "$(leaks "$TMP/scan1.out" "$TMP/scan1.err" "$TMP/scan2.out" "$TMP/scan2.err")"
expect_exit 1 "diff over time: drift" "$ENVDRIFT" diff --repo "$R" --color never "h1@$C1" h1
expect_eq "... whose report holds none either" 0 "$(leaks "$TMP/out" "$TMP/err")"
expect_exit 0 "audit-secrets finds the repository clean" "$ENVDRIFT" audit-secrets --repo "$R"
sed 's/^/#   /' "$TMP/out" | head -10
finish
