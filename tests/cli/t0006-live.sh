#!/bin/sh
# Collect this machine: a sane snapshot, and an identical tree when nothing
# changed in between.
. "$(dirname "$0")/test-lib.sh"

new_repo "$TMP/state"
R="$TMP/state"
check "collect this machine" "$ENVDRIFT" collect --repo "$R" --env live --host self
fsck_ok "$R"
git -C "$R" show main:hosts/live/self/meta > "$TMP/meta"
expect_grep "meta: packages collected" "^collector packages collected" "$TMP/meta"
expect_grep "meta: files collected" "^collector files collected" "$TMP/meta"
expect_grep "meta: role default" "^role default$" "$TMP/meta"
if [ -f /var/lib/dpkg/status ]; then
	git -C "$R" show main:hosts/live/self/packages | awk '{print $1":"$2" "$3}' | sort > "$TMP/ours"
	dpkg-query -W -f='${db:Status-Status} ${Package}:${Architecture} ${Version}\n' | awk '$1=="installed"{print $2" "$3}' | sort > "$TMP/dpkg"
	check "installed packages equal dpkg-query's" cmp "$TMP/ours" "$TMP/dpkg"
fi
if [ -d /proc/sys/kernel ]; then
	git -C "$R" show main:hosts/live/self/sysctl > "$TMP/sc"
	expect_grep "live sysctl has kernel.pid_max" "^kernel\.pid_max = [0-9]+$" "$TMP/sc"
fi
tree1=$(git -C "$R" rev-parse 'main^{tree}')
check "collect again" "$ENVDRIFT" collect --repo "$R" --env live --host self
tree2=$(git -C "$R" rev-parse 'main^{tree}')
if [ "$tree1" != "$tree2" ]; then git -C "$R" diff main~1 main | head -40 | sed 's/^/#   /'; fi
expect_eq "identical tree for an unchanged machine" "$tree1" "$tree2"
fsck_ok "$R"
finish
