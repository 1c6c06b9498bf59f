#!/bin/sh
# envdrift scan under faults (issue 5), against a real sshd fleet
# (tests/lib/fleet.sh) of six chrooted hosts:
#  1. kill -9 of scan at 25 moments from 0 to 1.2x the last scan's time,
#     then at 6 targeted ones (a pack, a loose object, the branch lock being
#     written): fsck --strict clean, main at the old tip or at a new
#     complete commit on top of it, the next scan succeeds (no stale lock).
#  2. two scans at once on one repository: both land, one on the other.
#  3. a hostile remote side: h3's tar replaced by scripts that truncate,
#     flood, trickle, send garbage, huge sizes, NUL bytes or hostile member
#     names; h3's login shell writing control bytes to stderr; h4's /etc
#     full of hostile names. Each host fails or is recorded safely, the
#     others are collected, a failed host keeps its snapshot, nothing is
#     written outside the repository.
#  4. a host that drops the connection mid-stream (kill -9 of the remote
#     shell): a collection error, never a host with fewer files.
#  5. inventory values with newlines, quotes and shell metacharacters:
#     exit 2 with file:line:col before anything is contacted.
. "$(dirname "$0")/test-lib.sh"
need_tool python3
. "$TESTS_DIR/../lib/fleet.sh"

now_ms() { date +%s%3N; }
T_START=$(now_ms)
BG_PIDS=
ATEXIT='for p in $BG_PIDS; do kill -9 "$p" 2>/dev/null; done'
start_fleet 6
echo "# fleet up in $(($(now_ms) - T_START)) ms"

R=$TMP/state
new_repo "$R"
# a mark in every hostile name, to look for it outside the repository
MARK=evil$$

# inventory (as t0019): h1-h3 staging, h4-h6 prod, all in role web
inventory() { fleet_inventory 6 3; }
: | inventory >"$TMP/inv.yaml"
SCAN0="$ENVDRIFT scan --repo $R --known-hosts $FLEET_KNOWN_HOSTS -j 6"
SCAN="$SCAN0 -i $TMP/inv.yaml"
HOSTS="staging/h1 staging/h2 staging/h3 prod/h4 prod/h5 prod/h6"

# complete REV: every host of the inventory has its five files and the
# commit has an Envdrift-Scan trailer (prints what is missing)
complete() {
	git -C "$R" ls-tree -r --name-only "$1" -- hosts >"$TMP/lt" 2>/dev/null || {
		echo "cannot list $1"; return 1; }
	for hk in $HOSTS; do
		for f in packages files kernel sysctl meta; do
			grep -qx "hosts/$hk/$f" "$TMP/lt" || { echo "$1: no hosts/$hk/$f"; return 1; }
		done
	done
	git -C "$R" log -1 --format=%B "$1" | grep -q '^Envdrift-Scan: ' ||
		{ echo "$1: no Envdrift-Scan trailer"; return 1; }
}
# collected_all REV: an Envdrift-Collected trailer for every host
collected_all() {
	git -C "$R" log -1 --format=%B "$1" >"$TMP/msg"
	for hk in $HOSTS; do
		grep -qx "Envdrift-Collected: $hk" "$TMP/msg" || { echo "$1: no trailer for $hk"; return 1; }
	done
}
one_line() { [ "$(wc -l <"$1")" -le 1 ]; }
fsck_quiet() { git -C "$R" fsck --strict --no-progress >"$TMP/fsck" 2>&1; }
tip() { git -C "$R" rev-parse main 2>/dev/null; }

expect_exit 0 "first scan of 6 hosts" $SCAN
expect_grep "6 collected" "6 hosts, 6 collected, 0 failed" "$TMP/out"
check "first commit complete" complete main
t0=$(now_ms)
expect_exit 0 "second scan (timed)" $SCAN -q
SCAN_MS=$(($(now_ms) - t0))
echo "# one scan of 6 hosts: $SCAN_MS ms"
[ "$SCAN_MS" -gt 0 ] || SCAN_MS=500

# ---- 1. kill -9 at 25 moments, then at 6 targeted ones ----
n=0 bad=0 killed=0 done_first=0 landed=0 hits=0
kill_start=$(now_ms)
: >"$TMP/kill.log"
# wait_for PID WHAT: busy-wait (shell builtins only) until a file of WHAT
# exists in the repository or PID has exited; 0 on a hit
wait_for() {
	while kill -0 "$1" 2>/dev/null; do
		case $2 in
		pack) set -- "$1" "$2" "$R"/objects/pack/tmp_* ;;
		loose) set -- "$1" "$2" "$R"/objects/tmp_* ;;
		ref) set -- "$1" "$2" "$R"/refs/heads/main.lock ;;
		esac
		[ -e "$3" ] && return 0
		set -- "$1" "$2"
	done
	return 1
}
# kill_round MODE ARG: start a scan, kill -9 it after ARG ms (MODE delay)
# or as soon as a WHAT file appears (MODE target), then check everything
kill_round() {
	old=$(tip)
	$SCAN -q >/dev/null 2>&1 &
	pid=$!
	if [ "$1" = delay ]; then
		sleep "$(($2 / 1000)).$(printf %03d $(($2 % 1000)))"
	elif wait_for "$pid" "$2"; then
		hits=$((hits + 1))
	fi
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	case $rc in
	137) killed=$((killed + 1)) ;;
	0) done_first=$((done_first + 1)) ;;
	*) bad=$((bad + 1)); echo "round $n: scan exit $rc" >>"$TMP/kill.log" ;;
	esac
	fsck_quiet || { bad=$((bad + 1)); echo "round $n ($1 $2): fsck:" >>"$TMP/kill.log"; head -5 "$TMP/fsck" >>"$TMP/kill.log"; }
	new=$(tip)
	if [ "$new" != "$old" ]; then
		[ "$(git -C "$R" rev-parse -q --verify "$new^" 2>/dev/null)" = "$old" ] ||
			{ bad=$((bad + 1)); echo "round $n: main $new is not on top of $old" >>"$TMP/kill.log"; }
		complete "$new" >>"$TMP/kill.log" || bad=$((bad + 1))
		[ "$rc" = 137 ] && landed=$((landed + 1))
	elif [ "$rc" = 0 ]; then
		bad=$((bad + 1)); echo "round $n: scan exited 0 but main did not move" >>"$TMP/kill.log"
	fi
	# the next scan: no stale lock (the lock timeout would say so)
	t0=$(now_ms)
	if ! $SCAN -q --lock-timeout 20 >"$TMP/next.out" 2>&1; then
		bad=$((bad + 1)); echo "round $n ($1 $2): next scan failed:" >>"$TMP/kill.log"
		head -5 "$TMP/next.out" >>"$TMP/kill.log"
	elif [ "$(git -C "$R" rev-parse -q --verify "main^")" != "$new" ] || ! complete main >>"$TMP/kill.log"; then
		bad=$((bad + 1)); echo "round $n: next scan's commit not complete on top" >>"$TMP/kill.log"
	else
		SCAN_MS=$(($(now_ms) - t0))
	fi
	# git's own lock files are gone once a scan has run (envdrift.lock is a flock)
	locks=$(find "$R" -name '*.lock' ! -name envdrift.lock)
	[ -z "$locks" ] || { bad=$((bad + 1)); echo "round $n: left $locks" >>"$TMP/kill.log"; }
	n=$((n + 1))
}
while [ $n -lt 25 ]; do
	# a change on one host each round, so a scan that lands is visible
	fleet_set_file "$FL" $((n % 6 + 1)) /etc/envdrift-fault.conf "round $n"
	# 0 .. 1.2x the last scan's time (the load on this machine varies),
	# stepped as 1.2 * sqrt(n / 24): denser near the end, where the commit is
	kill_round delay "$(awk -v t="$SCAN_MS" -v n="$n" 'BEGIN { printf "%d", t * 1.2 * sqrt(n / 24) }')"
	if [ $(($(now_ms) - kill_start)) -gt 150000 ]; then
		echo "round $n: kill loop over its 150 s budget, stopped" >>"$TMP/kill.log"
		bad=$((bad + 1))
		break
	fi
done
timed=$n
# targeted: while a pack is written (a change on every host), while a
# loose object is written (one host), while the branch is locked
for what in pack pack loose loose ref ref; do
	if [ "$what" = pack ]; then
		for k in 1 2 3 4 5 6; do fleet_set_file "$FL" $k /etc/envdrift-fault.conf "round $n $k"; done
	else
		fleet_set_file "$FL" 1 /etc/envdrift-fault.conf "round $n"
	fi
	kill_round target "$what"
done
echo "# kill -9: $n rounds in $(($(now_ms) - kill_start)) ms; $killed killed ($landed after their commit landed), $done_first finished first; $hits of 6 targeted kills hit their moment"
expect_eq "kill -9 x$n: fsck clean, main old or complete, next scan ok, no lock left" "0" "$bad"
[ "$bad" -eq 0 ] || sed 's/^/#   /' "$TMP/kill.log" | head -20
expect_eq "25 timed rounds" 25 "$timed"
expect_eq "kills landed before the end of a scan" yes "$([ "$killed" -ge 5 ] && echo yes)"
# the last round's scan ran after a kill: it took the writer lock and
# removed what killed writers left (tmp_object_git2_*, tmp_pack_*, tmp_idx_*)
find "$R" -type f -name 'tmp*' >"$TMP/stray"
expect_eq "no temporary files left after the next scan" 0 "$(wc -l <"$TMP/stray")"
sed 's/^/#   /' "$TMP/stray" | head -5
fsck_ok "$R"

# ---- 2. two scans at once ----
fleet_set_file "$FL" 2 /etc/envdrift-fault.conf "concurrent"
old=$(tip)
$SCAN -q --lock-timeout 30 >"$TMP/c1.out" 2>&1 &
p1=$!
$SCAN -q --lock-timeout 30 >"$TMP/c2.out" 2>&1 &
p2=$!
BG_PIDS="$p1 $p2"
wait "$p1"; r1=$?
wait "$p2"; r2=$?
BG_PIDS=
expect_eq "two scans at once: both exit 0" "0 0" "$r1 $r2"
expect_eq "two new commits, the second on top of the first" "$old" \
	"$(git -C "$R" rev-parse -q --verify main~2)"
check "the first commit lists every host" collected_all main~1
check "the second commit lists every host" collected_all main
check "the tip is complete" complete main
fsck_ok "$R"

# ---- 3. hostile remote side ----
H3=$FL/hosts/h3
TAR=$H3/usr/bin/tar
[ -L "$H3/usr" ] && fail "h3's /usr is a symlink"
[ -f "$TAR" ] && [ ! -L "$TAR" ] || fail "h3 has no /usr/bin/tar"
# the original stays reachable (one more link to the shared inode)
ln "$TAR" "$H3/usr/bin/tar.real"

# hostile_tar SCRIPT: SCRIPT becomes h3's tar (a new file renamed over the
# shared link, mode kept)
hostile_tar() {
	printf '#!/bin/sh\n%s\n' "$1" | fleet_set_file "$FL" 3 /usr/bin/tar
}
restore_tar() { ln -f "$H3/usr/bin/tar.real" "$TAR"; }
h3_tree() { git -C "$R" rev-parse main:hosts/staging/h3; }

# run_hostile DESC EXTRA-ARGS...: h3 fails (exit 3) naming h3, keeps its
# snapshot; the other five are collected; fsck clean. --full: an
# unchanged host is asked for no file, so its tar would not run at all
run_hostile() {
	desc=$1; shift
	sc="$SCAN0 --full -i ${INV:-$TMP/inv.yaml}"
	before=$(h3_tree)
	old=$(tip)
	t0=$(now_ms)
	$sc "$@" >"$TMP/hout" 2>"$TMP/herr"
	rc=$?
	ms=$(($(now_ms) - t0))
	echo "# $desc: exit $rc in $ms ms: $(grep -m1 'h3' "$TMP/herr" | cut -c1-160)"
	expect_eq "$desc: exit 3" 3 "$rc"
	expect_grep "$desc: the error names h3" "h3" "$TMP/herr"
	expect_grep "$desc: 5 others collected" "6 hosts, 5 collected, 1 failed" "$TMP/hout"
	expect_eq "$desc: h3 keeps its snapshot" "$before" "$(h3_tree)"
	git -C "$R" log -1 --format=%B main >"$TMP/msg"
	expect_grep "$desc: Envdrift-Failed for h3" "^Envdrift-Failed: staging/h3: " "$TMP/msg"
	expect_eq "$desc: the others in Envdrift-Collected" 5 "$(grep -c '^Envdrift-Collected: ' "$TMP/msg")"
	expect_eq "$desc: one commit on top" "$old" "$(git -C "$R" rev-parse -q --verify main^)"
	check "$desc: fsck --strict" fsck_quiet
}

# (a) half a tar header, then the end of the script
hostile_tar 'tar.real "$@" | head -c 256'
run_hostile "truncated tar header"
expect_grep "says truncated / ends early" "truncated|ends early" "$TMP/herr"
# (b) 100 MB of zeros (an endless end-of-archive) against --max-bytes 10M
hostile_tar 'head -c 104857600 /dev/zero'
run_hostile "100 MB of zeros" --max-bytes 10M
expect_grep "too much output" "too much output" "$TMP/herr"
expect_eq "the flood was cut early (< 20 s)" yes "$([ "$ms" -lt 20000 ] && echo yes)"
# (c) a trickle: one byte per second, for at most 60 s
hostile_tar 'i=0; while [ $i -lt 60 ]; do printf x || exit 1; sleep 1; i=$((i + 1)); done'
printf '    slow:\n      hosts:\n        h3: {envdrift_deadline: 3}\n' | inventory >"$TMP/inv-slow.yaml"
INV=$TMP/inv-slow.yaml
run_hostile "one byte per second, envdrift_deadline 3"
INV=
expect_grep "timed out" "timed out" "$TMP/herr"
expect_eq "the trickle ended quickly (< 12 s)" yes "$([ "$ms" -lt 12000 ] && echo yes)"
# (d) garbage bytes instead of an archive
hostile_tar 'head -c 65536 /dev/urandom'
run_hostile "random bytes"
# (d') a valid archive followed by garbage before the end marker
hostile_tar 'tar.real "$@"; printf "\033[2J\r\nEnvdrift-Collected: staging/h3\n\377\376"'
run_hostile "garbage after the archive"
expect_no_grep "no forged trailer" "^Envdrift-Collected: staging/h3" "$TMP/msg"
# (d'') headers claiming an 8 GiB member (octal, then base-256), then
# a few KiB: payloads written on this side into h3's /opt (not scanned)
PAY=$H3/opt/envdrift-t0021
mkdir -p "$PAY"
tarhdr() { # NAME SIZE-FIELD (printf format of 12 bytes)
	printf '%s' "$1"; head -c $((100 - ${#1})) /dev/zero
	printf '%s\000' 0000644 0000000 0000000
	printf "$2"
	printf '%s\000' 00000000000
	printf '        0'
	head -c 100 /dev/zero
	printf 'ustar  \000'
	head -c 247 /dev/zero
}
{ tarhdr etc/passwd '77777777777\000'; head -c 4096 /dev/urandom; } >"$PAY/big-octal"
{ tarhdr etc/passwd '\200\000\000\000\000\000\000\002\000\000\000\000'; head -c 4096 /dev/urandom; } >"$PAY/big-b256"
{ tarhdr etc/passwd '\377\377\377\377\377\377\377\377\377\377\377\377'; head -c 4096 /dev/zero; } >"$PAY/big-ff"
for f in big-octal big-b256 big-ff; do
	hostile_tar "cat /opt/envdrift-t0021/$f"
	run_hostile "tar header with a huge size ($f)"
done

# (e) NUL bytes only: a valid empty archive that holds none of the files
# the listing names: a collection error, the old snapshot kept
GOOD_H3=$(h3_tree)
hostile_tar 'head -c 10240 /dev/zero'
before=$GOOD_H3
expect_exit 3 "empty archive: h3 fails" $SCAN --full
expect_grep "empty archive: says so, naming h3" "h3.*holds none of the" "$TMP/err"
expect_eq "empty archive: failed h3 keeps its snapshot" "$before" "$(h3_tree)"
check "empty archive: fsck --strict" fsck_quiet

# (f) hostile member names before the real archive: ../ components, an
# absolute symlink to /, a newline, control bytes, a long ../ name, a hard
# link to /etc/shadow. Ignored (not listed): h3 is recorded as before
src=$TMP/evsrc
mkdir -p "$src/etc" && (
	cd "$src" && printf x >f && ln -s / root &&
	printf y >"etc/$MARK$(printf '\nx')" && printf z >"etc/$MARK$(printf '\033[31m\r\377')" &&
	printf h >etc/hl && ln etc/hl etc/hl2 &&
	long=etc/$(printf '%0150d' 0 | tr 0 a) && mkdir -p "$long" && printf l >"$long/f" &&
	tar --format=gnu -b1 -cPf "$PAY/names.tar" \
		--transform 's,^f$,../../../../tmp/'"$MARK"'-dotdot,' \
		--transform 's,^root$,/tmp/'"$MARK"'-abs,' \
		--transform 's,^etc/hl$,/etc/shadow,RSh' \
		--transform 's,^etc/aaaa*/f$,etc/../../../../../tmp/'"$MARK"'-long/&,' \
		f root etc ) || fail "cannot build the hostile archive"
# without its end-of-archive blocks, then the real archive
head -c -1024 "$PAY/names.tar" >"$PAY/names" && rm -f "$PAY/names.tar"
rm -rf "$src"
hostile_tar 'cat /opt/envdrift-t0021/names; tar.real "$@"'
before=$(h3_tree)
old=$(tip)
$SCAN --full -v >"$TMP/out" 2>"$TMP/err"
rc=$?
echo "# hostile member names: exit $rc, $(grep -c 'not listed' "$TMP/err") 'not listed' warnings:"
grep -a 'not listed' "$TMP/err" | head -6 | cut -c1-120 | cat -v | sed 's/^/#   /' 
expect_eq "hostile member names: exit 0" 0 "$rc"
expect_eq "hostile member names: h3 recorded exactly as by its own tar" "$GOOD_H3" "$(h3_tree)"
expect_eq "hostile member names: one commit on top" "$old" "$(git -C "$R" rev-parse -q --verify main^)"
expect_grep "hostile member names: warned about" "h3|not listed" "$TMP/err"
check "no raw ESC from a remote member name on stderr" sh -c '! LC_ALL=C grep -q "$(printf "\033")" "$1"' sh "$TMP/err"
check "hostile member names: fsck --strict" fsck_quiet
restore_tar

# 4. a host that drops the connection mid-stream: the remote shell is
# killed after part of the archive, or after a complete archive (no @done)
hostile_tar 'tar.real "$@" | head -c 30000; kill -9 $PPID'
run_hostile "connection dropped mid-archive"
hostile_tar 'tar.real "$@"; kill -9 $PPID'
run_hostile "connection dropped after the archive"
# the shell killed before tar: no @tar section at all
hostile_tar 'kill -9 $PPID'
run_hostile "remote shell killed before the archive"
restore_tar
# (g) a hostile login shell: control bytes and a forged trailer on
# stderr, no output. The reason lands in the commit and in status
SH3=$H3/usr/bin/sh
[ -L "$SH3" ] || fail "h3's /usr/bin/sh is not the dash symlink"
printf '#!/usr/bin/dash\nprintf "boom\\033]0;pwned\\007\\033[2J\\rEnvdrift-Collected: staging/h3\\n" >&2\nexit 7\n' >"$SH3.new" &&
	chmod 0755 "$SH3.new" && mv -f "$SH3.new" "$SH3"
run_hostile "a login shell that only writes to stderr"
expect_grep "says the exit status" "exited with status 7" "$TMP/herr"
expect_eq "no forged Envdrift-Collected trailer for h3" 0 "$(grep -c '^Envdrift-Collected: staging/h3' "$TMP/msg")"
expect_no_grep "CR from the remote's stderr not in the commit message" "$(printf '\r')" "$TMP/msg"
check "no raw ESC or BEL from the remote's stderr in the commit message" \
	sh -c '! LC_ALL=C grep -q "$(printf "[\033\007]")" "$1"' sh "$TMP/msg"
"$ENVDRIFT" status --repo "$R" >"$TMP/status" 2>&1
check "no raw ESC or BEL from the remote's stderr in status" \
	sh -c '! LC_ALL=C grep -q "$(printf "[\033\007]")" "$1"' sh "$TMP/status"
ln -sf dash "$SH3"
expect_exit 0 "h3 with its own tar again: every host collected" $SCAN -q
check "and complete" complete main

# h4: hostile names in /etc (written from the controller into h4's root;
# directories are per host, only files are shared links)
E4=$FL/hosts/h4/etc
nl='
'
mkdir "$E4/$MARK"
printf 'a\n' >"$E4/$MARK/new${nl}line.conf"
printf 'b\n' >"$E4/$MARK/$(printf 'ctl\001\033[31m\r\177')"
printf 'c\n' >"$E4/$MARK/$(printf 'bad\377\376utf8')"
printf 'd\n' >"$E4/$MARK/a..b"
printf 'e\n' >"$E4/$MARK/..."
printf 'f\n' >"$E4/$MARK/%2Egitmodules"
printf '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch /tmp/%s-pwn\n' "$MARK" >"$E4/$MARK/.gitmodules"
mkdir "$E4/$MARK/.git" && printf '[core]\n\tfsmonitor = touch /tmp/%s-pwn\n' "$MARK" >"$E4/$MARK/.git/config"
ln -s / "$E4/$MARK/to-root"
ln -s ../../../../../../../../tmp "$E4/$MARK/up"
ln -s loop2 "$E4/$MARK/loop1" && ln -s loop1 "$E4/$MARK/loop2" && ln -s self "$E4/$MARK/self"
mkfifo "$E4/$MARK/fifo"
before=$(git -C "$R" rev-parse main:hosts/prod/h4)
t0=$(now_ms)
$SCAN >"$TMP/out" 2>"$TMP/err"
rc=$?
echo "# h4 hostile names: exit $rc in $(($(now_ms) - t0)) ms"
case $rc in
0) pass "hostile names in h4's /etc: recorded (exit 0)"
   git -C "$R" show main:hosts/prod/h4/files >"$TMP/h4files"
   expect_grep "newline escaped" "^/etc/$MARK/new\\\\x0aline\\.conf file " "$TMP/h4files"
   expect_grep "invalid UTF-8 escaped" "^/etc/$MARK/bad\\\\xff\\\\xfeutf8 file " "$TMP/h4files"
   expect_grep "control bytes escaped" "^/etc/$MARK/ctl\\\\x01\\\\x1b" "$TMP/h4files"
   expect_grep "'..' inside a name" "^/etc/$MARK/a\\.\\.b file " "$TMP/h4files"
   expect_grep "symlink to / recorded" "^/etc/$MARK/to-root symlink .* -> /$" "$TMP/h4files"
   expect_no_grep "nothing through the symlink to /" "^/etc/$MARK/(to-root|up)/" "$TMP/h4files"
   expect_grep "symlink loop recorded" "^/etc/$MARK/loop1 symlink .* -> loop2$" "$TMP/h4files"
   expect_grep "fifo recorded by type" "^/etc/$MARK/fifo fifo " "$TMP/h4files"
   expect_eq "one line per entry of the directory (14 + itself + .git/config)" 16 \
	"$(grep -c "^/etc/$MARK[/ ]" "$TMP/h4files")"
   awk 'index($0, "\r") || index($0, "\033") { bad = 1 } END { exit bad }' "$TMP/h4files" &&
	pass "no raw control byte in the files lines" || fail "raw control byte in the files lines"
   git -C "$R" ls-tree -r --name-only main:hosts/prod/h4/content >"$TMP/h4tree"
   expect_no_grep "no .git / .gitmodules tree entry" "(^|/)\\.git(modules)?(/|$)" "$TMP/h4tree"
   expect_eq ".gitmodules and a file named %2Egitmodules stay apart" 2 \
	"$(git -C "$R" ls-tree --name-only "main:hosts/prod/h4/content/etc/$MARK" | grep -c 'gitmodules$')"
   ;;
3) expect_eq "hostile names in h4's /etc: h4 failed and kept its snapshot" "$before" \
	"$(git -C "$R" rev-parse main:hosts/prod/h4)"
   expect_grep "the error names h4" "h4" "$TMP/err" ;;
*) fail "hostile names in h4's /etc: exit $rc (want 0 or 3)" ;;
esac
expect_grep "the others collected" "6 hosts, [56] collected" "$TMP/out"
check "hostile names: fsck --strict" fsck_quiet
expect_exit 0 "a re-scan is stable" $SCAN -q
rm -rf "${E4:?}/$MARK"

# nothing written outside the repository, here or on the hosts
ls -A / /tmp >"$TMP/outside.after" 2>/dev/null
expect_no_grep "no new entry named after a hostile name in / or /tmp" "$MARK" "$TMP/outside.after"
find / -xdev -maxdepth 3 -path "$FL" -prune -o -path "$TMP" -prune -o -name "*$MARK*" -print 2>/dev/null >"$TMP/found"
find "$TMP" -name "*$MARK*" ! -path "$R/*" -print >>"$TMP/found" 2>/dev/null
find "$FL/hosts" -maxdepth 3 -name "*$MARK*" -print >>"$TMP/found" 2>/dev/null
expect_eq "no file named after a hostile name anywhere" "" "$(cat "$TMP/found")"

# ---- 5. hostile inventory values ----
PROBE_PID=
# a listener in the inventory's first host: any connection is logged
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.250", int(sys.argv[1]))); s.listen(8); s.settimeout(120)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, a = s.accept()
    open(sys.argv[2], "a").write("connection\n"); c.close()' "$FLEET_PORT" "$TMP/probe.log" &
PROBE_PID=$!
BG_PIDS=$PROBE_PID
# python takes a second or more to start on a loaded machine: wait
# (at most 20 s) until it listens
i=0
while [ ! -f "$TMP/probe.log.ready" ] && [ $i -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
# positive control: a valid inventory does reach the probe
printf 'all:\n  vars: {ansible_port: %s, ansible_user: %s, ansible_ssh_private_key_file: %s}\n  children:\n    prod:\n      hosts:\n        probe: {ansible_host: 127.0.0.250}\n' \
	"$FLEET_PORT" "$FLEET_USER" "$FLEET_KEY" >"$TMP/inv-probe.yaml"
expect_exit 3 "the probe host fails a valid scan" $SCAN0 -i "$TMP/inv-probe.yaml" --connect-timeout 3 --deadline 5
head -2 "$TMP/err" | cut -c1-150 | sed 's/^/#   /' 
expect_eq "and logged its connection" yes "$(grep -q connection "$TMP/probe.log" 2>/dev/null && echo yes)"
: >"$TMP/probe.log"
old=$(tip)
bad_inv() { # NUM VAR YAML-VALUE
	{
		echo "all:"
		echo "  vars: {ansible_port: $FLEET_PORT, ansible_ssh_private_key_file: $FLEET_KEY}"
		echo "  children:"
		echo "    prod:"
		echo "      hosts:"
		echo "        probe: {ansible_host: 127.0.0.250, ansible_user: $FLEET_USER}"
		echo "        h1:"
		[ "$2" = ansible_host ] || echo "          ansible_host: $(fleet_addr 1)"
		[ "$2" = ansible_user ] || echo "          ansible_user: $FLEET_USER"
		printf '          %s: %s\n' "$2" "$3"
	} >"$TMP/inv-bad$1.yaml"
}
k=0
while read -r var val; do
	k=$((k + 1))
	bad_inv $k "$var" "$val"
	printf '# inventory %s: %s: %s\n' "$k" "$var" "$val"
	expect_exit 2 "inventory $k ($var): exit 2" $SCAN0 -i "$TMP/inv-bad$k.yaml"
	expect_grep "inventory $k: file:line:col" "inv-bad$k\\.yaml:[0-9]+:[0-9]+: " "$TMP/err"
	head -3 "$TMP/err" | cut -c1-150 | cat -v | sed 's/^/#   /' 
	check "inventory $k: the message is one line" one_line "$TMP/err"
done <<EOF
ansible_host "127.0.0.2; touch /tmp/$MARK-1"
ansible_host "127.0.0.2\ntouch /tmp/$MARK-2"
ansible_host '\$(touch /tmp/$MARK-3)'
ansible_host "-oProxyCommand=touch /tmp/$MARK-4"
ansible_host "127.0.0.2\0.evil"
ansible_user "envdrift-fleet\$(touch /tmp/$MARK-5)"
ansible_user "a'b\"c"
ansible_user "envdrift-fleet\nroot"
ansible_user "envdrift-fleet\0root"
envdrift_env "prod\`touch /tmp/$MARK-6\`"
envdrift_env "prod\nstaging"
envdrift_env "../../../tmp/$MARK-7"
envdrift_env "prod|touch"
ansible_port "22; touch /tmp/$MARK-8"
EOF
printf 'all:\n  children:\n    prod:\n      hosts:\n        "h1\\nh2": {ansible_host: %s}\n' "$(fleet_addr 1)" >"$TMP/inv-badname.yaml"
expect_exit 2 "a host name with a newline: exit 2" $SCAN0 -i "$TMP/inv-badname.yaml"
expect_grep "names file:line:col" "inv-badname\\.yaml:5:[0-9]+: " "$TMP/err"
check "a host name with a newline: the message is one line" one_line "$TMP/err"
expect_eq "no commit from a refused inventory" "$old" "$(tip)"
if [ -n "$PROBE_PID" ]; then
	expect_eq "nothing contacted (the probe host saw no connection)" "" "$(cat "$TMP/probe.log" 2>/dev/null)"
	kill "$PROBE_PID" 2>/dev/null; wait "$PROBE_PID" 2>/dev/null
	BG_PIDS=
fi
ls /tmp | grep "$MARK" >"$TMP/pwn"
expect_eq "no command of a value ran" "" "$(cat "$TMP/pwn")"
fsck_ok "$R"
echo "# total $(($(now_ms) - T_START)) ms"
finish
