#!/bin/sh
# Secrets on the credential formats real servers hold (issue 11): the
# corpus under tests/fixtures/secrets (70+ formats, each secret with a
# unique marker, MANIFEST says where) is collected as two hosts, then
# every secret is changed (change.sh) and collected again. No marker, no
# sha256 of a marker, of a credential file or of a value-bearing file, and
# no git blob id of such a file may appear in any object, the stat cache,
# any command's output or any report format; every change must show as a
# changed token; every decoy line (DECOYS) must stay readable; and
# audit-secrets must find the repository clean.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/corpus.sh"

C=$FIXTURES/secrets
[ -f "$C/MANIFEST" ] || { fail "corpus missing: $C/MANIFEST"; finish; exit 1; }

tab=$(printf '\t')
# copy_corpus DIR: the corpus root with the modes real servers give it
copy_corpus() {
	cp -a "$C/root" "$1"
	for m in $(cut -f2 "$C/MODES" | sort -u); do
		awk -F'\t' -v m="$m" -v d="$1" '$2 == m { print d "/" $1 }' "$C/MODES" |
			tr '\n' '\0' | xargs -0 chmod "$m"
	done
}
ROOT=$TMP/root
copy_corpus "$ROOT"
cat >"$TMP/collect.yaml" <<'EOF'
files:
  include: [/etc/**, /root/**, /home/**, /run/**, /srv/**, /usr/local/**, /var/**]
EOF
R=$TMP/state
new_repo "$R"
GITDIR=$(git -C "$R" rev-parse --absolute-git-dir)
COLLECT="$ENVDRIFT collect --repo $R --config $TMP/collect.yaml --root"

# the needles (tests/lib/corpus.sh): markers and their digests, and the
# digests and blob ids of every file holding a secret
corpus_marker_needles "$C/MANIFEST" >"$TMP/needles"
corpus_file_needles "$C/MANIFEST" "$ROOT" >>"$TMP/needles"
n_markers=$(grep -v '^#' "$C/MANIFEST" | cut -f3 | sort -u | grep -c .)
expect_eq "corpus: at least 70 secrets" 1 "$([ "$n_markers" -ge 70 ] && echo 1)"

mkdir -p "$TMP/out.d"
run() { # run NAME CMD...: keep stdout and stderr of every command
	_n=$1; shift
	"$@" >"$TMP/out.d/$_n.out" 2>"$TMP/out.d/$_n.err"
}

check "control: every marker is in the corpus" test "$(leaks "$ROOT" 2>/dev/null)" -ge "$n_markers"
# a content path as the store names it: '%' and a leading ".g" escaped
esc() { printf '%s' "$1" | sed 's/%/%25/g; s#\(^\|/\)\.\([gG]\)#\1%2E\2#g'; }
run c1 $COLLECT "$ROOT" --env prod --host c1
expect_eq "collect the corpus as c1" 0 $?
C1=$(git -C "$R" rev-parse main)

ROOT2=$TMP/root2
copy_corpus "$ROOT2"
check "change.sh changes every secret" sh "$C/change.sh" "$ROOT2"
corpus_file_needles "$C/MANIFEST" "$ROOT2" >>"$TMP/needles"
check "changed files differ" sh -c "! diff -r '$ROOT' '$ROOT2' >/dev/null"
run c2 $COLLECT "$ROOT2" --env staging --host c2
expect_eq "collect the changed corpus as c2" 0 $?
run c1b $COLLECT "$ROOT2" --env prod --host c1
expect_eq "collect the changed corpus as c1 again" 0 $?
fsck_ok "$R"

# every secret change is drift, as a changed token; a credential file by
# design or a binary is stored as one token, never as content
git -C "$R" diff "$C1" main -- hosts/prod/c1 >"$TMP/d"
git -C "$R" ls-tree -r --name-only main hosts/prod/c1/content >"$TMP/stored"
git -C "$R" show main:hosts/prod/c1/files >"$TMP/files1"
grep -v '^#' "$C/MANIFEST" | while IFS= read -r rec; do
	p=${rec%%"$tab"*}
	kind=$(printf '%s\n' "$rec" | cut -f4)
	q=$(printf '%s' "$p" | sed 's/ /\\x20/g')
	grep -qF -- "+/$q " "$TMP/d" || echo "unseen /$p ($kind)"
	if [ "$kind" != value ] && grep -qxF "hosts/prod/c1/content/$(esc "$p")" "$TMP/stored"; then
		echo "stored /$p ($kind)"
	fi
done | sort -u >"$TMP/unseen"
expect_eq "every secret change shows in git diff as a changed files line, credential files without content" \
	"" "$(head -5 "$TMP/unseen")"
expect_no_grep "the diff shows only tokens for secrets (no marker)" "EDM[0-9]{3}[a-z]{2}|ed5ec[0-9]{3}" "$TMP/d"

# decoys stay readable in the stored content, but in credential files
# stored whole (their files line a token, no content); one read per file
bad=0 whole=0
cut -f1 "$C/DECOYS" | grep -v '^#' | sort -u >"$TMP/decoy-files"
while IFS= read -r p; do
	awk -F'\t' -v p="$p" '$1 == p { sub(/^[^\t]*\t/, ""); print }' "$C/DECOYS" >"$TMP/want"
	n=$(wc -l <"$TMP/want")
	if grep -qxF "hosts/prod/c1/content/$(esc "$p")" "$TMP/stored"; then
		git -C "$R" show "main:hosts/prod/c1/content/$(esc "$p")" >"$TMP/have"
		missing=$(grep -vxF -f "$TMP/have" "$TMP/want")
		[ -z "$missing" ] && continue
		bad=$((bad + $(printf '%s\n' "$missing" | wc -l)))
		printf '%s\n' "$missing" | sed "s|^|# decoy not readable in /$p: |"
	elif grep -q "^/$(printf '%s' "$p" | sed 's/ /\\x20/g') file .* hmac:" "$TMP/files1"; then
		whole=$((whole + n))
	else
		bad=$((bad + n))
		echo "# decoys of /$p: file not stored"
	fi
done <"$TMP/decoy-files"
expect_eq "every decoy line is stored as it is ($whole in credential files stored whole)" 0 "$bad"
expect_eq "decoys in whole credential files: at most 10" 1 "$([ "$whole" -le 10 ] && echo 1)"

# every report, every format, and the other readers
for f in text json markdown junit html patch; do
	run "diff-hosts.$f" "$ENVDRIFT" diff --repo "$R" --color never --format "$f" c1 c2
	run "diff-time.$f" "$ENVDRIFT" diff --repo "$R" --color never --format "$f" "c1@$C1" c1
	run "check.$f" "$ENVDRIFT" check --repo "$R" --format "$f" prod staging
done
expect_grep "diff over time reports the changed credential files" "files.*/etc/ppp/chap-secrets" "$TMP/out.d/diff-time.text.out"
run report "$ENVDRIFT" report --repo "$R" --format text:"$TMP/out.d/report.txt" \
	--format json:"$TMP/out.d/report.json" --format markdown:"$TMP/out.d/report.md" \
	--format junit:"$TMP/out.d/report.xml" --format html:"$TMP/out.d/report.html" \
	--format patch:"$TMP/out.d/report.patch"
run report-commit "$ENVDRIFT" report --repo "$R" --commit
run status "$ENVDRIFT" status --repo "$R"
run status-json "$ENVDRIFT" status --repo "$R" --format json
run audit "$ENVDRIFT" audit-secrets --repo "$R"
expect_eq "audit-secrets finds the repository clean" 0 $?
sed 's/^/#   /' "$TMP/out.d/audit.out" | head -20

git -C "$R" cat-file --batch-all-objects --batch >"$TMP/objects"
expect_eq "no marker, digest or blob id of a secret in any object" 0 "$(leaks "$TMP/objects")"
expect_eq "... nor in the stat cache" 0 "$(leaks "$GITDIR/envdrift-cache")"
expect_eq "... nor in any output or report" 0 "$(leaks "$TMP/out.d")"
expect_eq "... nor anywhere in the repository directory" 0 "$(leaks "$R")"

# the audit does find planted secrets: a plain copy committed by hand
cp "$C/root/etc/redis/redis.conf" "$TMP/plain.conf"
blob=$(git -C "$R" hash-object -w "$TMP/plain.conf")
expect_exit 1 "audit-secrets finds a secret written by hand (unreachable blob)" \
	"$ENVDRIFT" audit-secrets --repo "$R"
expect_grep "... and names it unreachable, never the secret" "^\(unreachable blob ${blob%"${blob#????????????}"}\):[0-9]+: " "$TMP/out"
expect_eq "... whose output holds no marker" 0 "$(leaks "$TMP/out" "$TMP/err")"

finish
