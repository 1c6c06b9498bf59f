#!/bin/sh
# envdrift scan of a host with a real rpm database (Debian's rpm 4.18,
# SQLite with its -wal and -shm files, packages built here by rpmbuild)
# against a real sshd fleet (tests/lib/fleet.sh): `rpm -qa` is a keyed
# command, run on a host only when the stat key of a file in its database
# directory, of the program or of a condition changed, and `scan --full`
# (which runs it every time) is the oracle. A wrapper in front of the real
# rpm counts its runs on the host.
. "$(dirname "$0")/test-lib.sh"
. "$TESTS_DIR/../lib/fleet.sh"

need_tool rpm rpmbuild
start_fleet 2
A=$TMP/incr
B=$TMP/full
new_repo "$A"
cp -a "$A" "$B"
cp -p "$A.key" "$B.key"
fleet_inventory 2 1 </dev/null >"$TMP/inv.yaml"
R=$FL/hosts/h1
SCAN="scan --known-hosts $FLEET_KNOWN_HOSTS -j 2 -i $TMP/inv.yaml -v"
DB="--root $R --dbpath /var/lib/rpm"

# rpm in h1: the program, its libraries, its configuration. New files
# only (-n): the roots share the inodes of the files they have in common.
stage_rpm() {
	mkdir -p "$R/usr/lib/rpm" "$R/etc/rpm" "$R/var/log/rpmruns" &&
		cp -a -n /usr/lib/rpm/. "$R/usr/lib/rpm/" &&
		cp /usr/bin/rpm "$R/usr/bin/rpm.real" || return 1
	ldd /usr/bin/rpm | awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }' | while read -r lib; do
		[ -e "$R$lib" ] && continue
		mkdir -p "$R$(dirname "$lib")" && cp -L "$lib" "$R$lib" || exit 1
	done || return 1
	# Debian's rpm asks bash for ~/.rpmdb; an rpm host keeps it here
	echo '%_dbpath /var/lib/rpm' >"$R/etc/rpm/macros"
	chmod 1777 "$R/var/log/rpmruns"
	printf '#!/bin/sh\necho run >>/var/log/rpmruns/log\nexec /usr/bin/rpm.real "$@"\n' >"$R/usr/bin/rpm"
	chmod 0755 "$R/usr/bin/rpm"
	rpm $DB --initdb
}
check "rpm staged in h1, an empty database made" stage_rpm

# mkpkg NAME VERSION: a noarch package with no files, built by rpmbuild
mkpkg() {
	printf 'Name: %s\nVersion: %s\nRelease: 1\nSummary: envdrift test\nLicense: MIT\nBuildArch: noarch\n%%description\nenvdrift test package\n%%files\n' \
		"$1" "$2" >"$TMP/$1.spec"
	rpmbuild -bb --define "_topdir $TMP/rpmbuild" "$TMP/$1.spec" >"$TMP/rpmbuild.log" 2>&1
}
for p in "envdrift-test-a 1.0" "envdrift-test-a 1.1" "envdrift-test-b 2.0" "envdrift-test-c 3.0"; do
	# shellcheck disable=SC2086 # name and version
	check "rpmbuild $p" mkpkg $p
done
rpmfile() { echo "$TMP/rpmbuild/RPMS/noarch/$1.noarch.rpm"; }
rpmi() { rpm $DB "$@" --justdb --nodeps --noscripts >"$TMP/rpm.log" 2>&1; }
check "install a 1.0" rpmi -i "$(rpmfile envdrift-test-a-1.0-1)"
check "the database has it" sh -c "rpm $DB -qa | grep -q envdrift-test-a-1.0"
check "the host's rpm reads it" sh -c "chroot '$R' /usr/bin/rpm.real -qa | grep -q envdrift-test-a-1.0"
sleep 2 # nothing racy

runs() { cat "$R/var/log/rpmruns/log" 2>/dev/null | wc -l; }
# incr NAME RUNS: an incremental scan, then the count of rpm runs it
# made; then a --full scan of the twin and the host trees compared
incr() {
	r0=$(runs)
	expect_exit 0 "$1: incremental scan" "$ENVDRIFT" $SCAN --repo "$A"
	expect_eq "$1: rpm ran $2 times on h1" "$2" "$(($(runs) - r0))"
	expect_exit 0 "$1: full scan" "$ENVDRIFT" $SCAN --repo "$B" --full
	for h in staging/h1 prod/h2; do
		expect_eq "$1: $h same tree as --full" \
			"$(git -C "$B" rev-parse "main:hosts/$h")" \
			"$(git -C "$A" rev-parse "main:hosts/$h")"
	done
}
pkgs() { git -C "$A" show main:hosts/staging/h1/packages | grep envdrift-test | tr '\n' ' '; }

incr "first scan (no cache)" 1
expect_eq "... h1's packages" "envdrift-test-a noarch 1.0-1 " "$(pkgs)"
incr "unchanged" 0
incr "unchanged again" 0
check "... the cache holds rpm's output, never history" sh -c \
	"grep -q '^cmd [0-9a-f]\{64\} 0 ' '$A/envdrift-cache/fleet@h1' &&
	! git -C '$A' log --all -p | grep -q envdrift-cache"

check "install b 2.0" rpmi -i "$(rpmfile envdrift-test-b-2.0-1)"
sleep 2
incr "a package installed" 1
expect_eq "... h1's packages" "envdrift-test-a noarch 1.0-1 envdrift-test-b noarch 2.0-1 " "$(pkgs)"
incr "unchanged after it" 0

check "upgrade a to 1.1" rpmi -U "$(rpmfile envdrift-test-a-1.1-1)"
sleep 2
incr "a package upgraded" 1
expect_eq "... h1's packages" "envdrift-test-a noarch 1.1-1 envdrift-test-b noarch 2.0-1 " "$(pkgs)"

# only the shared-memory file beside the database changes: every file of
# the directory is in the key, not only rpmdb.sqlite
check "a file beside the database touched" touch "$R/var/lib/rpm/rpmdb.sqlite-shm"
sleep 2
incr "the -shm file touched" 1
incr "unchanged after it" 0

# the program itself replaced: its output may differ
check "the rpm program replaced" sh -c "cp -p '$R/usr/bin/rpm' '$R/usr/bin/rpm.new' && mv '$R/usr/bin/rpm.new' '$R/usr/bin/rpm'"
sleep 2
incr "the program replaced" 1

# racy: changed within two seconds of the scan, so it runs, nothing is
# kept, and it runs again next time (then it is kept)
check "install c 3.0, no wait" rpmi -i "$(rpmfile envdrift-test-c-3.0-1)"
incr "racy database" 1
sleep 2
incr "after the racy scan" 1
incr "unchanged after that" 0
expect_eq "... h1's packages" "envdrift-test-a noarch 1.1-1 envdrift-test-b noarch 2.0-1 envdrift-test-c noarch 3.0-1 " "$(pkgs)"

# rpm gone: the cached output is not used for a host without it
check "rpm removed from h1" rm "$R/usr/bin/rpm" "$R/usr/bin/rpm.real"
sleep 2
incr "rpm removed" 0
expect_eq "... no rpm packages any more" "" "$(pkgs)"

fsck_ok "$A"
finish
