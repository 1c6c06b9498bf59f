#!/bin/sh
# envdrift scan's incremental re-scan against a real sshd fleet
# (tests/lib/fleet.sh): a host sends only the files its cache beside the
# repository cannot stand for, and `scan --full` (every file sent) is the
# oracle. After each change (edit, add, remove, chmod, chown, content
# changed with size and mtime restored so only ctime tells, a dpkg status
# change, a secret's change) an incremental scan into one repository and a
# full scan into its twin give the same host tree ids; an unchanged
# re-scan sends fewer bytes; a stream cut between the request's two phases
# fails the host, which keeps its previous snapshot.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

start_fleet 3
A=$TMP/incr
B=$TMP/full
new_repo "$A"
# the twin: same key and init record, so secrets get the same tokens
cp -a "$A" "$B"
cp -p "$A.key" "$B.key"
fleet_inventory 3 1 </dev/null >"$TMP/inv.yaml"
H=$FL/hosts
SCAN="scan --known-hosts $FLEET_KNOWN_HOSTS -j 3 -i $TMP/inv.yaml -v"

# the files the tests change, private to each host (roots share inodes)
for k in 1 2 3; do
	fleet_set_file "$FL" "$k" /etc/incr/app.conf "listen = 80" 0644
	fleet_set_file "$FL" "$k" /etc/incr/secret.conf "password = hunter2hunter2" 0644
	fleet_set_file "$FL" "$k" /etc/incr/same-size.conf "mode = aaaa" 0644
	fleet_set_file "$FL" "$k" /etc/incr/gone.conf "x = 1" 0644
	printf 'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\nDescription: x\n\n' |
		fleet_set_file "$FL" "$k" /var/lib/dpkg/status
done
touch -d '2020-01-01 00:00:00' "$H"/h*/etc/incr/* "$H"/h*/var/lib/dpkg/status
sleep 2 # nothing racy: only the stat key can tell a change

# both scans, then the host trees compared; $1 names the step
both() {
	expect_exit 0 "$1: incremental scan" "$ENVDRIFT" $SCAN --repo "$A"
	cp "$TMP/err" "$TMP/incr.err"
	expect_exit 0 "$1: full scan" "$ENVDRIFT" $SCAN --repo "$B" --full
	cp "$TMP/err" "$TMP/full.err"
	for h in staging/h1 prod/h2 prod/h3; do
		expect_eq "$1: $h same tree as --full" \
			"$(git -C "$B" rev-parse "main:hosts/$h")" \
			"$(git -C "$A" rev-parse "main:hosts/$h")"
	done
}

# "N files sent, M reused, B bytes" of host $2 in -v output $1
sent() { sed -n "s|^envdrift: $2 collected in .*; \([0-9]*\) files\{0,1\} sent, \([0-9]*\) reused, \([0-9]*\) bytes[^)]*) over .*\$|\1 \2 \3|p" "$1"; }

both "first scan"
set -- $(sent "$TMP/incr.err" staging/h1)
FIRST_BYTES=${3:-0}
expect_eq "first scan: nothing reused" 0 "${2:-x}"

both "unchanged"
set -- $(sent "$TMP/incr.err" staging/h1)
UNCHANGED_SENT=${1:-x}
expect_eq "unchanged: most files reused" yes "$([ "${2:-0}" -gt 20 ] && echo yes)"
# /proc and /sys are sent every time: on these small hosts most of it
expect_eq "unchanged: under half the first scan's bytes ($3 of $FIRST_BYTES)" yes \
	"$([ "${3:-999999999}" -lt $((FIRST_BYTES / 2)) ] && echo yes)"
set -- $(sent "$TMP/incr.err" prod/h2)
UNCHANGED_SENT2=${1:-x}
set -- $(sent "$TMP/full.err" staging/h1)
expect_eq "unchanged: --full reuses nothing" 0 "${2:-x}"
expect_eq "unchanged: --full sends more bytes ($3 vs $FIRST_BYTES)" yes \
	"$([ "${3:-0}" -ge $((FIRST_BYTES * 9 / 10)) ] && echo yes)"

# the same answer from the same inputs, scan after scan: the snapshot is
# the last one's (its memo in the host's cache), no collector runs, and it
# is still what --full makes
both "unchanged again"
both "unchanged, third time"
expect_grep "unchanged: the snapshot as last scan (h1)" "staging/h1 collected .*; snapshot as last scan\) over" "$TMP/incr.err"
expect_grep "... (h3)" "prod/h3 collected .*; snapshot as last scan\) over" "$TMP/incr.err"
expect_no_grep "... never for --full" "snapshot as last scan" "$TMP/full.err"
# an input that is not in the answer: a new group is a new role in meta
printf '    db:\n      hosts:\n        h1:\n' | fleet_inventory 3 1 >"$TMP/inv-db.yaml"
expect_exit 0 "a new role for h1: incremental scan" "$ENVDRIFT" $SCAN --repo "$A" -i "$TMP/inv-db.yaml"
expect_no_grep "... h1's snapshot is not the memo's" "staging/h1 collected .*; snapshot as last scan" "$TMP/err"
git -C "$A" show main:hosts/staging/h1/meta >"$TMP/meta"
expect_grep "... its meta has the role" "^role db\$" "$TMP/meta"
expect_exit 0 "... the full scan too" "$ENVDRIFT" $SCAN --repo "$B" --full -i "$TMP/inv-db.yaml"
expect_eq "... same tree as --full" "$(git -C "$B" rev-parse main:hosts/staging/h1)" "$(git -C "$A" rev-parse main:hosts/staging/h1)"
both "the role gone again"
expect_no_grep "... h1's memo was the role's scan's: not used" "staging/h1 collected .*; snapshot as last scan" "$TMP/incr.err"

# edit, add, remove, chmod, chown
fleet_set_file "$FL" 1 /etc/incr/app.conf "listen = 8080"
fleet_set_file "$FL" 2 /etc/incr/new.conf "new = 1" 0644
fleet_rm_file "$FL" 3 /etc/incr/gone.conf
chmod 0600 "$H/h1/etc/incr/gone.conf"
chown 1:1 "$H/h2/etc/incr/gone.conf"
# a torn cache (a crash mid-write, a full disk) costs bytes, never drift
C3=$A/envdrift-cache/fleet@h3
head -c $(($(wc -c <"$C3") / 2)) "$C3" >"$C3.torn" && mv "$C3.torn" "$C3"
sleep 2
both "edit, add, remove, chmod, chown"
set -- $(sent "$TMP/incr.err" prod/h3)
expect_eq "... h3's torn cache: nothing reused" 0 "${2:-x}"

# same size, mtime put back: only ctime (and inode unchanged) tells
MT=$(stat -c %y "$H/h2/etc/incr/same-size.conf")
printf 'mode = bbbb\n' >"$H/h2/etc/incr/same-size.conf"
touch -d "$MT" "$H/h2/etc/incr/same-size.conf"
sleep 2
both "content changed, size and mtime restored"
set -- $(sent "$TMP/incr.err" prod/h2)
expect_eq "... exactly that file sent again" $((UNCHANGED_SENT2 + 1)) "${1:-x}"
expect_eq "... its content reached the incremental repository" "mode = bbbb" \
	"$(git -C "$A" show main:hosts/prod/h2/content/etc/incr/same-size.conf)"

# a package upgrade (dpkg status) and a secret's new value
sed -i 's/^Version: 12.4$/Version: 12.5/' "$H/h3/var/lib/dpkg/status"
fleet_set_file "$FL" 1 /etc/incr/secret.conf "password = swordfish1234"
sleep 2
both "dpkg status and secret changed"
git -C "$A" show main:hosts/prod/h3/packages >"$TMP/out"
expect_grep "... the new version is recorded" "base-files.*12\.5" "$TMP/out"

# new settings (a secret rule): no cache made under the old ones is used
printf 'secrets:\n  values:\n    - "^(listen = )[0-9]+$"\n' >"$TMP/rules.yaml"
SCAN="$SCAN --config $TMP/rules.yaml"
expect_exit 0 "new secret rule: incremental scan" "$ENVDRIFT" $SCAN --repo "$A" --adopt-settings
set -- $(sent "$TMP/err" staging/h1)
expect_eq "... reuses nothing" 0 "${2:-x}"
expect_exit 0 "new secret rule: full scan" "$ENVDRIFT" $SCAN --repo "$B" --adopt-settings --full
for h in staging/h1 prod/h2 prod/h3; do
	expect_eq "new secret rule: $h same tree as --full" \
		"$(git -C "$B" rev-parse "main:hosts/$h")" \
		"$(git -C "$A" rev-parse "main:hosts/$h")"
done
git -C "$A" show main:hosts/staging/h1/content/etc/incr/app.conf >"$TMP/out"
expect_grep "... the rule applies to a file the cache held" "^listen = hmac:" "$TMP/out"

# the cache never enters history
expect_eq "no cache in the tree" 0 "$(git -C "$A" ls-tree -r --name-only main | grep -c cache)"
expect_eq "a cache per host beside the repository" 3 "$(ls "$A"/envdrift-cache 2>/dev/null | grep -c '^fleet@h[123]$')"

# a stream cut between the two phases: h3's shell dies once it listed
OLD3=$(git -C "$A" rev-parse main:hosts/prod/h3)
G=$(readlink -f "$H/h3/bin/grep")
mv "$G" "$G.real"
printf '#!/bin/sh\nkill -9 $PPID\n' >"$G"
chmod 0755 "$G"
fleet_set_file "$FL" 3 /etc/incr/app.conf "listen = 9"
expect_exit 3 "cut after the listing: the scan fails h3" "$ENVDRIFT" $SCAN --repo "$A"
expect_grep "... naming h3" "h3" "$TMP/err"
expect_eq "... which keeps its previous snapshot" "$OLD3" "$(git -C "$A" rev-parse main:hosts/prod/h3)"
expect_grep "... in the Envdrift-Failed trailer" "Envdrift-Failed: prod/h3" "$(git -C "$A" log -1 --format=%B main >"$TMP/msg"; echo "$TMP/msg")"
mv "$G.real" "$G"
sleep 2
both "after the cut"

# a cache naming content the repository lacks (pruned by hand): the scan
# fails, drops the caches, and the next one reads everything again
C1=$A/envdrift-cache/fleet@h1
sed -i 's|^\(/etc/incr/same-size.conf .* \)[0-9a-f]\{40\} |\10123456789012345678901234567890123456789 |' "$C1"
expect_grep "... (the test's own edit of h1's cache took)" "0123456789012345678901234567890123456789" "$C1"
expect_exit 2 "content missing from the repository: the scan fails" "$ENVDRIFT" $SCAN --repo "$A"
expect_grep "... and says the caches are dropped" "caches are dropped: scan again" "$TMP/err"
expect_eq "... dropped" 0 "$(ls "$A/envdrift-cache" | grep -c '^fleet@')"
both "after the caches were dropped"

# a killed scan's pending cache is swept; a pruned host's cache goes
DEAD=$(sh -c 'echo $$')
: >"$A/envdrift-cache/fleet@h1.pending.$DEAD"
fleet_inventory 2 1 </dev/null >"$TMP/inv2.yaml"
expect_exit 0 "scan --prune of an inventory without h3" "$ENVDRIFT" scan --known-hosts "$FLEET_KNOWN_HOSTS" \
	-i "$TMP/inv2.yaml" --config "$TMP/rules.yaml" --repo "$A" --prune
expect_eq "... a dead scan's pending cache swept" no \
	"$([ -e "$A/envdrift-cache/fleet@h1.pending.$DEAD" ] && echo yes || echo no)"
expect_eq "... h3's cache removed with h3" "fleet@h1 fleet@h2" "$(ls "$A/envdrift-cache" | tr '\n' ' ' | sed 's/ $//')"
# forget: a host that comes back starts from a full collection
expect_exit 0 "forget h2" "$ENVDRIFT" forget --repo "$A" h2
expect_eq "... h2's cache removed with h2" "fleet@h1" "$(ls "$A/envdrift-cache" | tr '\n' ' ' | sed 's/ $//')"

fsck_ok "$A"
fsck_ok "$B"
finish
