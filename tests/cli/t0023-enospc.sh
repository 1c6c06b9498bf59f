#!/bin/sh
# ENOSPC (issue 5, fault injection): the state repository on a small tmpfs
# (8 MiB; the HMAC key outside it), filled by a filler file.
#  1. init and a first collect fit.
#  2. ~4 MB of new text under ROOT/etc with only 1 MiB free: exit 2, one
#     stderr line saying "No space left on device" and naming the repository,
#     main unchanged, fsck --strict clean, no temporary file or lone
#     .pack/.idx left; status still reads the repository.
#  3. the filler deleted: the next collect lands on top, and removes the
#     stale tmp_* files a killed writer would have left.
#  4. ladders of free space, measured in pages around what one same-shaped
#     change needs (N pages, measured on free space), from N+2 down to N-7,
#     for a change written as loose objects and one written as a pack: every
#     run exits 0 with a complete commit on top of the old tip, or 2 with one
#     ENOSPC line and main unchanged, and the repository stays consistent.
#     Between them the ladders must hit the object/pack, .idx and branch
#     update (refs/heads/main.lock) stages.
#  5. report --commit on a full disk: exit 2 the same way; with space, 0.
. "$(dirname "$0")/test-lib.sh"

MNT=$TMP/mnt
mkdir -p "$MNT"
if [ "$(id -u)" -ne 0 ] ||
   ! mount -t tmpfs -o size=8m,mode=0755 envdrift-enospc "$MNT" 2>/dev/null; then
	echo "# skipped: needs root and mount -t tmpfs"
	check "skipped (not root or no tmpfs mount)" true
	finish
	exit $?
fi
trap 'umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

R=$MNT/state
KEY=$TMP/state.key
ROOT=$TMP/root
PGK=$(($(getconf PAGESIZE) / 1024))
COMPLETE=hosts/default/k/files

avail_k() { df -Pk "$MNT" | awk 'NR == 2 { print $4 }'; }
# leave PAGES: refill the filler so that PAGES pages stay free
leave() {
	rm -f "$MNT/filler"
	n=$(($(avail_k) - $1 * PGK))
	[ "$n" -le 0 ] || head -c $((n * 1024)) /dev/zero >"$MNT/filler" 2>/dev/null
	[ "$(avail_k)" -le $(($1 * PGK)) ] || echo "# leave $1: $(avail_k) KiB free"
}
tip() { git -C "$R" rev-parse -q --verify main 2>/dev/null; }
collect() { "$ENVDRIFT" collect -q --repo "$R" --key "$KEY" --root "$ROOT" --host k "$@"; }
# temporary and lock files no writer may leave behind
stray() {
	find "$R" \( -name 'tmp_*' -o -name '*.tmp.*' -o \
		\( -name '*.lock' ! -name envdrift.lock \) \) -print
}
# a .pack without its .idx or the reverse
unpaired() {
	for p in "$R"/objects/pack/*.pack "$R"/objects/pack/*.idx; do
		[ -e "$p" ] || continue
		q=${p%.*}
		[ -e "$q.pack" ] && [ -e "$q.idx" ] || echo "$p"
	done
}

# attempt CMD...: run a writer. Allowed: exit 0 with main moved one commit
# on top of the old tip holding $COMPLETE, or exit 2 with one line saying
# "No space left on device" and main unchanged; either way fsck --strict
# clean, nothing stray, no lone pack. Sets RC and STAGE (ok, ref, idx,
# pack, loose, other); returns 1 (reasons as # lines) otherwise.
attempt() {
	before=$(tip)
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	after=$(tip)
	why=
	STAGE=other
	case $RC in
	0)
		STAGE=ok
		[ "$after" != "$before" ] || why="$why; exit 0 but main did not move"
		[ "$(git -C "$R" rev-parse -q --verify main^)" = "$before" ] ||
			why="$why; the new commit is not on top of the old tip"
		git -C "$R" cat-file -e "main:$COMPLETE" 2>/dev/null ||
			why="$why; main lacks $COMPLETE"
		;;
	2)
		[ "$after" = "$before" ] || why="$why; exit 2 but main moved"
		[ "$(wc -l <"$TMP/err")" -eq 1 ] ||
			why="$why; $(wc -l <"$TMP/err") lines on stderr"
		grep -q 'No space left on device' "$TMP/err" ||
			why="$why; stderr does not say No space left on device"
		case $(cat "$TMP/err") in
		*refs/heads/main*) STAGE=ref ;;
		*/pack-*.idx:*) STAGE=idx ;;
		*/pack-*.pack:*) STAGE=pack ;;
		*"cannot write object"*) STAGE=loose ;;
		esac
		;;
	*) why="$why; exit $RC" ;;
	esac
	git -C "$R" fsck --strict --no-progress >"$TMP/fsck" 2>&1 ||
		why="$why; fsck: $(head -3 "$TMP/fsck" | tr '\n' ' ')"
	s=$(stray)
	[ -z "$s" ] || why="$why; left behind: $s"
	u=$(unpaired)
	[ -z "$u" ] || why="$why; lone pack file: $u"
	[ -n "$why" ] || return 0
	echo "#   $*:$why"
	sed 's/^/#   stderr: /' "$TMP/err" | head -5
	return 1
}

# 1. init and a first collect fit
mkroot "$ROOT"
check "init on the tmpfs (key outside)" "$ENVDRIFT" init --repo "$R" --key "$KEY"
check "first collect" collect
fsck_ok "$R"
tip1=$(tip)
echo "# first collect: $(du -sk "$R" | cut -f1) KiB of $(df -Pk "$MNT" | awk 'NR == 2 { print $2 }') KiB"

# 2. a big change with 1 MiB free
mkdir -p "$ROOT/etc/bulk"
i=0
while [ $i -lt 20 ]; do
	head -c 150000 /dev/urandom | base64 >"$ROOT/etc/bulk/f$i.conf"
	i=$((i + 1))
done
leave $((1024 / PGK))
expect_exit 2 "collect of ~4 MB new text with 1 MiB free exits 2" collect
cp "$TMP/err" "$TMP/err2"
echo "# stderr: $(cat "$TMP/err2")"
expect_eq "one line on stderr" "$(wc -l <"$TMP/err2")" "1"
expect_grep "it says No space left on device" "No space left on device" "$TMP/err2"
expect_grep "it names the repository" "$R/" "$TMP/err2"
expect_eq "main still at the first commit" "$(tip)" "$tip1"
fsck_ok "$R"
expect_eq "no temporary or lock file left" "$(stray)" ""
expect_eq "no lone .pack or .idx" "$(unpaired)" ""
leave 0
check "status reads a repository on a full disk" "$ENVDRIFT" status --repo "$R"

# 3. space back: the next run lands and clears stale temporary files
rm -f "$MNT/filler"
: >"$R/objects/pack/tmp_pack_stale1"
: >"$R/objects/pack/tmp_idx_stale1"
: >"$R/objects/tmp_object_git2_stale1"
attempt collect
expect_eq "collect with the filler deleted exits 0, on top, consistent" "$RC" "0"
git -C "$R" cat-file -e main:hosts/default/k/content/etc/bulk/f19.conf 2>/dev/null
expect_eq "the big change is in the new commit" "$?" "0"
expect_eq "stale tmp_pack_/tmp_idx_/tmp_object_git2_ files removed" "$(stray)" ""
fsck_ok "$R"

# 4. ladders around what one same-shaped change needs
# change loose|pack N: rewrite the same files with same-sized new content
change() {
	mkdir -p "$ROOT/etc/ladder"
	if [ "$1" = loose ]; then
		printf 'step %06d\n' "$2" >"$ROOT/etc/ladder/one.conf"
	else
		j=0
		while [ $j -lt 20 ]; do
			printf 'step %06d file %02d\n' "$2" "$j" >"$ROOT/etc/ladder/p$j.conf"
			j=$((j + 1))
		done
	fi
}
SEEN=
seq_n=0
ladder() {
	kind=$1
	rm -f "$MNT/filler"
	seq_n=$((seq_n + 1)); change "$kind" "$seq_n"
	check "$kind ladder: prime" collect
	seq_n=$((seq_n + 1)); change "$kind" "$seq_n"
	a=$(avail_k)
	check "$kind ladder: measure" collect
	need=$(((a - $(avail_k)) / PGK))
	k=$((need + 2))
	bad=0
	line=
	while [ $k -ge $((need - 7)) ] && [ $k -ge 0 ]; do
		seq_n=$((seq_n + 1)); change "$kind" "$seq_n"
		leave "$k"
		attempt collect || bad=$((bad + 1))
		line="$line $k:$STAGE"
		SEEN="$SEEN $kind-$STAGE"
		k=$((k - 1))
	done
	echo "# $kind ladder, a change takes $need pages of ${PGK} KiB; free pages:outcome$line"
	expect_eq "$kind ladder: every run exits 0 complete or 2 unchanged, repository consistent" "$bad" "0"
	rm -f "$MNT/filler"
}
ladder loose
ladder pack
for s in loose-ok loose-ref loose-loose pack-ok pack-ref pack-idx pack-pack; do
	case " $SEEN " in
	*" $s "*) pass "ladders reached stage $s" ;;
	*) fail "ladders reached stage $s (seen:$SEEN)" ;;
	esac
done
attempt collect
expect_eq "collect with space after the ladders" "$RC" "0"
fsck_ok "$R"
echo "# packs: $(ls "$R"/objects/pack/*.pack | wc -l), used $(du -sk "$R" | cut -f1) KiB"

# 5. report --commit on a full disk
check "collect a second environment" "$ENVDRIFT" collect -q --repo "$R" --key "$KEY" \
	--root "$ROOT" --host k2 --env prod
COMPLETE=reports/default..prod.md
attempt "$ENVDRIFT" report --repo "$R" --commit --key "$KEY"
expect_eq "report --commit with space" "$RC" "0"
echo "report drift $$" >"$ROOT/etc/app/report.conf"
check "collect a change the report shows" collect
bad=0
line=
for k in 0 1 2; do
	leave "$k"
	attempt "$ENVDRIFT" report --repo "$R" --commit --key "$KEY" || bad=$((bad + 1))
	line="$line $k:$STAGE"
done
echo "# report --commit, free pages:outcome$line"
expect_eq "report --commit on a full disk: exit 2 unchanged (or 0 complete), consistent" "$bad" "0"
case $line in
" 0:ok"*) fail "report --commit with no page free exits 2 ($line)" ;;
*) pass "report --commit with no page free exits 2" ;;
esac
rm -f "$MNT/filler"
attempt "$ENVDRIFT" report --repo "$R" --commit --key "$KEY"
expect_eq "report --commit with space again" "$RC" "0"
git -C "$R" show main:reports/default..prod.json >"$TMP/rep"
expect_grep "the new report shows the change" "report\.conf" "$TMP/rep"
fsck_ok "$R"
finish
