#!/bin/sh
# make lint, structure: the shape the layout promises (doc/DESIGN-NOTES.md).
#  1. No source file (.c, .h, .sh) outside tests/ over 800 lines, and no
#     cli/*.c over 300: a longer one holds more than one concern.
#  2. No file-level call cycle among the library and cli objects. An edge
#     A -> B means A.o leaves undefined a global symbol that B.o defines
#     (nm -g), i.e. A calls into B or reads its data. Every set of files
#     that reach each other (a strongly connected component, found by
#     taking each file's reach and intersecting both ways) is a failure,
#     unless tests/lint/cycles.allow lists exactly that set with the reason
#     it is one state machine. An entry that matches no component fails too,
#     so the list cannot outlive what it excuses.
# The objects are BUILD's (default build/; `make lint` builds them first).
# Prints one line per finding, then a summary; exit 1 on any finding.
set -u
cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
ALLOW=tests/lint/cycles.allow
MAX_LINES=800
MAX_CLI_LINES=300
fail=0

T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-structure.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# ---- 1. line counts
find . -path ./tests -prune -o -path ./.git -prune -o -path "./$BUILD" -prune \
	-o -path ./build -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' \) \
	-print | sed 's|^\./||' | LC_ALL=C sort >"$T/sources"
nsrc=$(wc -l <"$T/sources")
# one wc for all (its last line is the total)
tr '\n' '\0' <"$T/sources" | xargs -0 wc -l | sed '$d' |
	awk -v max="$MAX_LINES" -v cli="$MAX_CLI_LINES" '{
		limit = ($2 ~ /^cli\/[^\/]*\.c$/) ? cli : max
		if ($1 + 0 > limit) {
			printf "structure: %s: %d lines, over the limit of %d\n", $2, $1, limit
			bad = 1
		}
	} END { exit bad }' || fail=1

# ---- 2. call cycles between files
SRC=$(find core collector differ reports cli baselines -name '*.c' 2>/dev/null | LC_ALL=C sort)
: >"$T/objs"
for c in $SRC; do
	o=$BUILD/${c%.c}.o
	if [ ! -f "$o" ] || [ -n "$(find "$c" -newer "$o")" ]; then
		echo "structure: $o is missing or older than $c (run make first)"
		fail=1
		continue
	fi
	echo "$o" >>"$T/objs"
done
# generated data (the embedded YAML defaults): defines, calls nothing
[ -f "$BUILD/gen/embedded.o" ] && echo "$BUILD/gen/embedded.o" >>"$T/objs"
nobj=$(wc -l <"$T/objs")
# "FILE D SYMBOL" for defined globals, "FILE U SYMBOL" for undefined ones
# (weak undefined too), FILE being the source (build/x/y.o -> x/y.c)
tr '\n' '\0' <"$T/objs" | xargs -0 nm -A -g -P | awk -v b="$BUILD/" '{
	f = $1
	sub(/:$/, "", f)
	if (index(f, b) == 1)
		f = substr(f, length(b) + 1)
	sub(/\.o$/, ".c", f)
	print f, ($3 == "U" || $3 == "w" || $3 == "v") ? "U" : "D", $2
}' >"$T/syms"

# edges "A B SYMBOL" (A uses SYMBOL defined in B), then the components of
# two or more files, each as "FILES...<TAB>edges" on one line
awk '
$2 == "D" { def[$3] = $1; next }
{ use[++nu] = $1 SUBSEP $3 }
END {
	for (i = 1; i <= nu; i++) {
		split(use[i], u, SUBSEP)
		if (!(u[2] in def) || def[u[2]] == u[1])
			continue
		a = u[1]; b = def[u[2]]
		if (!((a, b) in edge)) {
			edge[a, b] = u[2]
			adj[a] = adj[a] " " b
			node[a] = 1; node[b] = 1
		} else if (length(edge[a, b]) < 200) {
			edge[a, b] = edge[a, b] ", " u[2]
		}
	}
	# reach[a, b]: b is reachable from a (breadth first from every node)
	for (s in node) {
		delete seen
		n = 0; q[++n] = s; seen[s] = 1; head = 1
		while (head <= n) {
			x = q[head++]
			k = split(adj[x], nb, " ")
			for (j = 1; j <= k; j++)
				if (!(nb[j] in seen)) { seen[nb[j]] = 1; q[++n] = nb[j] }
		}
		for (x in seen)
			if (x != s)
				reach[s, x] = 1
	}
	for (s in node) {
		if (s in done)
			continue
		members = s; done[s] = 1; cnt = 1
		for (x in node)
			if (x != s && ((s, x) in reach) && ((x, s) in reach)) {
				members = members " " x; done[x] = 1; cnt++
			}
		if (cnt < 2)
			continue
		# sorted member list
		m = split(members, mv, " ")
		for (i = 2; i <= m; i++) {
			v = mv[i]
			for (j = i - 1; j >= 1 && mv[j] > v; j--)
				mv[j + 1] = mv[j]
			mv[j + 1] = v
		}
		line = mv[1]
		for (i = 2; i <= m; i++)
			line = line " " mv[i]
		ed = ""
		for (i = 1; i <= m; i++)
			for (j = 1; j <= m; j++)
				if ((mv[i], mv[j]) in edge)
					ed = ed "\t" mv[i] " -> " mv[j] ": " edge[mv[i], mv[j]]
		print line ed
	}
}' "$T/syms" | LC_ALL=C sort >"$T/cycles"

# the allowlist: "FILE FILE...: reason" per entry, '#' comments
: >"$T/allowed"
if [ -f "$ALLOW" ]; then
	grep -v '^[[:space:]]*\(#\|$\)' "$ALLOW" | while IFS= read -r entry; do
		files=${entry%%:*}
		reason=${entry#*:}
		if [ "$files" = "$entry" ] || [ -z "$(echo "$reason" | tr -d ' \t')" ]; then
			echo "structure: $ALLOW: entry without a reason: $entry"
			echo "BAD" >>"$T/allowed"
			continue
		fi
		echo "$files" | tr -s ' \t' '\n' | grep -v '^$' | LC_ALL=C sort | tr '\n' ' ' |
			sed 's/ $//' >>"$T/allowed"
		echo >>"$T/allowed"
	done
	grep -qx BAD "$T/allowed" && fail=1
fi

ncyc=0
while IFS= read -r line; do
	files=$(printf '%s\n' "$line" | cut -f1)
	if grep -qxF -- "$files" "$T/allowed"; then
		continue
	fi
	ncyc=$((ncyc + 1))
	echo "structure: call cycle between files: $files"
	printf '%s\n' "$line" | cut -f2- | tr '\t' '\n' | sed 's/^/    /'
done <"$T/cycles"
[ "$ncyc" -eq 0 ] || fail=1
while IFS= read -r files; do
	if [ -z "$files" ] || [ "$files" = BAD ]; then
		continue
	fi
	if ! cut -f1 "$T/cycles" | grep -qxF -- "$files"; then
		echo "structure: $ALLOW: no such cycle (remove the entry): $files"
		fail=1
	fi
done <"$T/allowed"

echo "structure: $nsrc source files (limits $MAX_LINES, cli/*.c $MAX_CLI_LINES), $nobj objects, $ncyc call cycles not allowed: $([ "$fail" -eq 0 ] && echo clean || echo FAILED)"
exit "$fail"
