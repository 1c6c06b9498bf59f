#!/bin/sh
# make lint: cppcheck and gcc -fanalyzer over the project's own sources,
# and the structure checks of tests/lint/structure.sh.
# cppcheck must report nothing; -fanalyzer findings must all be listed in
# tests/lint/fanalyzer.supp (reviewed false positives). A file that does
# not compile fails the lint (its findings would otherwise go unseen).
set -u
cd "$(dirname "$0")/../.."
SRC=$(ls core/*.c collector/*.c collector/fleet/*.c differ/*.c reports/*.c cli/*.c baselines/*.c 2>/dev/null)
fail=0

# structure: file sizes and file-level call cycles (tests/lint/structure.sh,
# over BUILD's objects, which make lint builds first)
sh tests/lint/structure.sh || fail=1

if ! command -v cppcheck >/dev/null; then
	echo "lint: cppcheck is not installed (make deps-test installs it)" >&2
	exit 2
fi
cppcheck --quiet --enable=warning,portability --std=c11 --inline-suppr \
	-I. -Ibuild -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	--suppress=missingIncludeSystem --error-exitcode=1 \
	--template='{file}:{line}: {severity} [{id}] {message}' $SRC || fail=1

out=$(mktemp)
log=$(mktemp)
trap 'rm -f "$out" "$log"' EXIT
pc=$(pkg-config --cflags libgit2 yaml-0.1 openssl libssh2)
for f in $SRC; do
	# shellcheck disable=SC2086
	if ! gcc -std=c11 -fanalyzer -O1 -I. -Ibuild -D_XOPEN_SOURCE=700 \
		-D_DEFAULT_SOURCE -DENVDRIFT_VERSION='"lint"' -DFIXTURE_DIR='"."' \
		$pc -c "$f" -o /dev/null >"$log" 2>&1; then
		echo "lint: $f does not compile:"
		cat "$log"
		fail=1
	fi
	grep -E '^[^ ]+:[0-9]+:[0-9]+: warning: ' "$log" >>"$out"
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

# The fleet scan's remote script runs on every host under plain sh: it
# must pass shellcheck with no check disabled (shellcheck is a test
# dependency: make deps-test installs it; missing is a failure, not a skip).
if ! command -v shellcheck >/dev/null; then
	echo "lint: shellcheck is not installed (make deps-test installs it)" >&2
	fail=1
elif ! shellcheck -s sh collector/fleet/remote.sh; then
	echo "lint: shellcheck: collector/fleet/remote.sh"
	fail=1
fi
# so are the git servers' helper the CLI tests source and the scripts
# shipped for the git server
for f in tests/lib/gitserver.sh doc/pre-receive-incoming doc/envdrift-push-only; do
	if command -v shellcheck >/dev/null && ! shellcheck -s sh "$f"; then
		echo "lint: shellcheck: $f"
		fail=1
	fi
done
echo "lint: cppcheck and -fanalyzer over $(echo "$SRC" | wc -w) files: $([ "$fail" -eq 0 ] && echo clean || echo FAILED)"
exit "$fail"
