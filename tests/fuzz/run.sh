#!/bin/sh
# Run libFuzzer targets for a bounded time each: run.sh DIR SECONDS NAME...
# Seeds (tests/fuzz/corpus/NAME) are copied to DIR/corpus/NAME, which the
# fuzzer grows; crashes land in DIR/crashes/NAME-*. One summary line per
# target; exit 1 if any target failed.
dir=$1 secs=$2
shift 2
failed=
mkdir -p "$dir/logs" "$dir/crashes"
for n in "$@"; do
	mkdir -p "$dir/corpus/$n"
	cp -n tests/fuzz/corpus/"$n"/* "$dir/corpus/$n/" 2>/dev/null
	log=$dir/logs/$n.log
	if "$dir/fuzz_$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$dir/crashes/$n-" "$dir/corpus/$n" >"$log" 2>&1; then
		st=ok
	else
		st=FAILED failed="$failed $n"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	echo "fuzz $n: $st, ${runs:-?} execs, ${rate:-?}/s in ${secs}s (log $log)"
	[ "$st" = ok ] || grep -m1 -A12 'ERROR: \|==ERROR\|runtime error' "$log"
done
[ -z "$failed" ] || { echo "fuzz: failing:$failed"; exit 1; }
