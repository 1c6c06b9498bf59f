#!/bin/sh
# Run every CLI test script; print the plain closing line CI reads.
: "${ENVDRIFT:?set ENVDRIFT to the envdrift binary}"
dir=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
failed_names=
for t in "$dir"/t[0-9]*.sh; do
	start=$(date +%s)
	out=$(timeout 300 sh "$t" 2>&1)
	rc=$?
	echo "$out"
	echo "# $(basename "$t"): $(($(date +%s) - start)) s"
	p=$(echo "$out" | grep -c '^ok - ')
	f=$(echo "$out" | grep -c '^FAIL - ')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
		echo "FAIL - $(basename "$t") exited $rc"
	fi
	[ "$rc" -ne 0 ] && failed_names="$failed_names $(basename "$t")"
done
[ -n "$failed_names" ] && echo "# failing scripts:$failed_names"
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
