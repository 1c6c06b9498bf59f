#!/bin/sh
# The scripted baseline: what a user would write today to keep a host's
# state in git (an etckeeper-like cron job, plus packages and sysctls).
#
#   sh bench/baseline.sh WORKTREE [ROOT]
#
# WORKTREE is a git work tree (created on first use). Without ROOT it
# records this machine: dpkg-query -W, sysctl -a, a copy of /etc. With ROOT
# (a mounted or synthetic root) it records the same from ROOT: dpkg-query
# with --admindir=ROOT/var/lib/dpkg, every value under ROOT/proc/sys (the
# sysctl -a equivalent for a tree of regular files), ROOT/etc.
# Then: git add -A && git commit -q -m scan --allow-empty.
#
# The copy is rsync -a --delete when rsync is installed (unchanged files
# are skipped), else rm -rf + cp -a (so deleted files disappear too);
# BASELINE_COPY=rsync or BASELINE_COPY=cp forces one.
set -e
wt=$1
root=${2:-}
[ -n "$wt" ] || { echo "usage: baseline.sh WORKTREE [ROOT]" >&2; exit 2; }
if [ ! -d "$wt/.git" ]; then
	mkdir -p "$wt"
	git -C "$wt" init -q
	# No automatic gc: a detached background gc would outlive the script
	# and disturb the next measurement. This flatters the baseline (a real
	# cron job pays for an occasional gc); see BENCHMARKS.md.
	git -C "$wt" config gc.auto 0
fi
cd "$wt"
if [ -z "$root" ]; then
	dpkg-query -W > packages
	sysctl -a > sysctl 2>/dev/null || true
	src=/etc
else
	dpkg-query --admindir="$root/var/lib/dpkg" -W > packages
	(cd "$root/proc/sys" && grep -r . . 2>/dev/null | sort) > sysctl || true
	src=$root/etc
fi
copy=${BASELINE_COPY:-}
if [ -z "$copy" ]; then
	if command -v rsync >/dev/null 2>&1; then copy=rsync; else copy=cp; fi
fi
if [ "$copy" = rsync ]; then
	rsync -a --delete "$src/" etc/ 2>/dev/null || true
else
	rm -rf etc
	cp -a "$src" etc 2>/dev/null || true
fi
git add -A
git -c user.name=baseline -c user.email=baseline@localhost \
	-c commit.gpgsign=false commit -q -m scan --allow-empty
