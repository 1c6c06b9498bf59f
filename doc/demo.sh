#!/bin/sh
# make demo: what envdrift is for, in a few seconds. This machine is
# "prod"; an edited copy of it (its /etc, dpkg status and /proc/sys, with a
# config line changed, a package upgraded, one removed and a sysctl
# changed) is "staging". Both go into a fresh state repository, then the
# diff, the gate's verdict and the HTML report.
# Usage: sh doc/demo.sh ENVDRIFT REPO
set -eu
ED=$1
R=$2
HTML=$R.report.html
rm -rf "$R" "$R.key" "$HTML"
# the copy is scratch (and must not sit under build/, whose *.d the
# Makefile reads): a temporary directory, removed at exit
COPY=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-demo.XXXXXX")
trap 'rm -rf "$COPY"' EXIT

step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "a fresh state repository (a bare git repository, and its HMAC key)"
run "$ED" init --repo "$R"

step "snapshot this machine as prod/$(hostname)"
run "$ED" collect --repo "$R" --env prod --role app

step "an edited copy of this machine (in a temporary directory)"
mkdir -p "$COPY/var/lib/dpkg" "$COPY/proc" "$COPY/usr/lib"
cp -a /etc "$COPY/etc"
# /etc/os-release is a link to it on Debian
if [ -e /usr/lib/os-release ]; then cp /usr/lib/os-release "$COPY/usr/lib/"; fi
cp /var/lib/dpkg/status "$COPY/var/lib/dpkg/status"
# /proc files report size 0: cp reads them to the end all the same; keys
# the kernel will not let us read are left out, as the collector would
cp -r /proc/sys "$COPY/proc/" 2>/dev/null || true
for f in cmdline modules meminfo; do
	if [ -r "/proc/$f" ]; then cat "/proc/$f" >"$COPY/proc/$f"; fi
done
S=$COPY/var/lib/dpkg/status
# an upgrade that reached staging first, and a package dropped there
up=$(for p in openssl libssl3 bash; do
	grep -qx "Package: $p" "$S" && { echo "$p"; break; }; done)
sed -i "/^Package: $up\$/,/^\$/ s/^\\(Version: .*\\)/\\1+demo1/" "$S"
gone=$(for p in git less curl nano; do
	grep -qx "Package: $p" "$S" && { echo "$p"; break; }; done)
sed -i "/^Package: $gone\$/,/^\$/d" "$S"
# a hand edit of a config file, and a sysctl someone tuned
if grep -q '^UMASK' "$COPY/etc/login.defs" 2>/dev/null; then
	sed -i 's/^UMASK.*/UMASK		027/' "$COPY/etc/login.defs"
	conf=/etc/login.defs
else
	echo 'DEMO_EDIT=1' >>"$COPY/etc/environment"
	conf=/etc/environment
fi
echo 10 >"$COPY/proc/sys/vm/swappiness"
echo "  $conf: a line changed; package $up: version +demo1; package $gone: removed; vm.swappiness = 10"

step "snapshot the copy as staging/staging-1"
run "$ED" collect --repo "$R" --root "$COPY" --env staging --host staging-1 --role app

step "what differs between staging and prod"
# exit 1 means drift: expected here, so the demo goes on
run "$ED" diff --repo "$R" staging prod || true

step "the pre-deploy gate"
rc=0
echo "\$ $ED check --repo $R staging prod >/dev/null"
"$ED" check --repo "$R" staging prod >/dev/null || rc=$?
case $rc in
0) echo "exit 0: staging and prod match; a pipeline would go on" ;;
1) echo "exit 1: staging drifted from prod; a pipeline would stop the deploy here (0 passes, 2 is an error)" ;;
*) echo "exit $rc: an error (not drift): the gate never passes on one"; exit 1 ;;
esac

step "the HTML report"
run "$ED" report --repo "$R" --format "html:$HTML"
echo "Open $(cd "$(dirname "$HTML")" && pwd)/$(basename "$HTML") in a browser."
echo "The history is plain git:  git -C $R log --stat main"
