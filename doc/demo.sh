#!/bin/sh
# make demo: snapshot this machine into a fresh state repository and show
# what was recorded. Usage: sh doc/demo.sh ENVDRIFT REPO
set -eu
ED=$1
R=$2
rm -rf "$R" "$R.key"
echo "== envdrift init"
"$ED" init --repo "$R"
echo
echo "== envdrift collect (this machine)"
"$ED" collect --repo "$R" --env demo --role demo
echo
echo "== envdrift collect again (nothing changed: same tree, one small commit)"
"$ED" collect --repo "$R" --env demo --role demo
echo
echo "== envdrift status"
"$ED" status --repo "$R"
host=$(git -C "$R" ls-tree --name-only main:hosts/demo | head -1)
base="hosts/demo/$host"
echo
echo "== what was recorded under $base (lines per file)"
for f in meta identity packages kernel os-release sysctl sysctl-per-host services files; do
	if git -C "$R" cat-file -e "main:$base/$f" 2>/dev/null; then
		printf '  %-16s %6d lines\n' "$f" "$(git -C "$R" show "main:$base/$f" | wc -l)"
	fi
done
printf '  %-16s %6d files\n' "content/" "$(git -C "$R" ls-tree -r --name-only "main:$base/content" 2>/dev/null | wc -l)"
echo
echo "== meta"
git -C "$R" show "main:$base/meta" | sed 's/^/  /'
if git -C "$R" cat-file -e "main:$base/identity" 2>/dev/null; then
	echo
	echo "== identity (who this host is: never compared with other hosts)"
	git -C "$R" show "main:$base/identity" | sed 's/^/  /'
fi
for f in packages sysctl services files; do
	if git -C "$R" cat-file -e "main:$base/$f" 2>/dev/null; then
		echo
		echo "== $f (first 5 lines)"
		git -C "$R" show "main:$base/$f" | head -5 | sed 's/^/  /'
	fi
done
echo
echo "== history (git log --oneline)"
git -C "$R" log --oneline main | sed 's/^/  /'
echo
echo "Inspect it with stock git:  git -C $R log -p -- $base"
