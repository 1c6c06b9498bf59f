#!/bin/sh
# make lint: cppcheck and gcc -fanalyzer over the project's own sources.
# cppcheck must report nothing; -fanalyzer findings must all be listed in
# tests/lint/fanalyzer.supp (reviewed false positives). CFLAGS for the
# analyzer come from the caller (include dirs, defines, pkg-config).
set -u
cd "$(dirname "$0")/../.."
SRC=$(ls core/*.c collector/*.c differ/*.c reports/*.c cli/*.c baselines/*.c 2>/dev/null)
fail=0

if ! command -v cppcheck >/dev/null; then
	echo "lint: cppcheck is not installed (make deps-test installs it)" >&2
	exit 2
fi
cppcheck --quiet --enable=warning,portability --std=c11 --inline-suppr \
	-I. -Ibuild -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	--suppress=missingIncludeSystem --error-exitcode=1 \
	--template='{file}:{line}: {severity} [{id}] {message}' $SRC || fail=1

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for f in $SRC; do
	${CC:-gcc} -std=c11 -fanalyzer -O1 $LINT_CFLAGS -c "$f" -o /dev/null 2>&1 |
		grep -E '^[^ ]+:[0-9]+:[0-9]+: warning: ' >>"$out"
done
n=0
while IFS= read -r line; do
	file=${line%%:*}
	msg=${line#*: warning: }
	if ! grep -qxF -- "$file: $msg" tests/lint/fanalyzer.supp; then
		echo "lint: -fanalyzer: $line"
		n=$((n + 1))
	fi
done <"$out"
[ "$n" -eq 0 ] || fail=1
echo "lint: cppcheck and -fanalyzer over $(echo "$SRC" | wc -w) files: $([ "$fail" -eq 0 ] && echo clean || echo FAILED)"
exit "$fail"
