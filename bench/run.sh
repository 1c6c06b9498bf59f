#!/bin/sh
# envdrift benchmarks (make bench). See BENCHMARKS.md for the targets and
# the last recorded figures.
#
#   sh bench/run.sh build/envdrift
#
# Everything happens in one mktemp -d directory, removed on exit. The binary
# is copied there first, so a parallel `make` cannot swap it mid-run.
# Timing: bench/timeit.c (built here with cc): a bounded fork/exec/wait4
# loop giving wall medians (CLOCK_MONOTONIC) and CPU (user+sys, children
# included) from rusage. hyperfine, when installed, cross-checks section 1.
# Peak RSS: /usr/bin/time -f %M when installed, else wait4's ru_maxrss.
#
# Object-file figures (packs, sizes, counts) come from the store's own
# store_stats (core/store.h), printed by bench/store-stats.c, built here
# against the libenvdrift.a beside the binary (or BENCH_LIB).
#
# Knobs (environment): BENCH_RUNS (re-collect runs, default 30),
# BENCH_SCANS (section 4, default 365), BENCH_NPKG/BENCH_NFILES/BENCH_NSYSCTL
# (synthetic host, default 5000/20000/1500), BENCH_SEED (42).
set -eu

[ $# -ge 1 ] || { echo "usage: sh bench/run.sh PATH/TO/envdrift" >&2; exit 2; }
[ -x "$1" ] || { echo "bench: $1 is not an executable (run make first)" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
LIB=${BENCH_LIB:-$(dirname "$1")/libenvdrift.a}
[ -f "$LIB" ] || { echo "bench: $LIB not found (run make first, or set BENCH_LIB)" >&2; exit 2; }
RUNS=${BENCH_RUNS:-30}
SCANS=${BENCH_SCANS:-365}
NPKG=${BENCH_NPKG:-5000}
NFILES=${BENCH_NFILES:-20000}
NSYSCTL=${BENCH_NSYSCTL:-1500}
SEED=${BENCH_SEED:-42}
[ "$SCANS" -ge 20 ] || { echo "bench: BENCH_SCANS must be >= 20" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-bench.XXXXXX")
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

ED=$T/envdrift
cp "$1" "$ED"
RES=$T/results
: > "$RES"
START=$(date +%s)

die() { echo "bench: $*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }
hdr() { printf '\n== %s\n' "$*"; }
put() { printf '%s=%s\n' "$1" "$2" >> "$RES"; }
get() { awk -F= -v k="$1" '$1 == k { v = substr($0, length(k) + 2) } END { print v }' "$RES"; }
# calc EXPR: awk arithmetic on numbers (the shell has no floats)
calc() { awk "BEGIN { printf \"%s\", $1 }" 2>/dev/null; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }'; }

# measure PREFIX TIMEIT-ARGS... : run timeit, keep PREFIX_wall_med etc.
measure() {
	p=$1
	shift
	out=$("$TIMEIT" -E "$T/last.err" "$@") || {
		cat "$T/last.err" >&2 2>/dev/null || :
		die "$p: command failed"
	}
	printf '  %-28s %s\n' "$p" "$out"
	for kv in $out; do
		put "${p}_${kv%%=*}" "${kv#*=}"
	done
}

# peak RSS (KiB) of one run of a command
peak_rss() {
	if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true >/dev/null 2>&1; then
		/usr/bin/time -o "$T/rss" -f '%M' "$@" >/dev/null 2>"$T/rss.err" ||
			die "peak_rss: $* failed"
		tail -n 1 "$T/rss"
	else
		"$TIMEIT" -n 1 -- "$@" | sed 's/.*rss_max_kb=//'
	fi
}
if [ -x /usr/bin/time ] && /usr/bin/time -f '%M' true >/dev/null 2>&1; then
	RSS_HOW="/usr/bin/time -f %M (GNU time, wait4 ru_maxrss)"
else
	RSS_HOW="wait4 ru_maxrss from bench/timeit (GNU time not installed)"
fi

# figure REPO KEY: one figure of store_stats (bench/store-stats.c)
figure() { "$STATS" "$1" "$2" || die "store-stats $1 $2 failed"; }
# bytes of the object files (loose objects, packs, indexes); directories
# are not counted: a new fan-out directory is file-system overhead, not data
objects_bytes() { figure "$1" object_bytes; }
npacks() { figure "$1" packs; }
fresh_repo() { rm -rf "$1" "$1.key" && "$ED" init --repo "$1" >/dev/null; }

# ---------------------------------------------------------------------------
hdr "machine"
command -v cc >/dev/null || die "cc not found (apt-get install build-essential)"
TIMEIT=$T/timeit
cc -O2 -std=c11 -o "$TIMEIT" "$HERE/timeit.c" || die "cannot build bench/timeit.c"
STATS=$T/store-stats
# shellcheck disable=SC2046
cc -O2 -std=c11 -I"$HERE/.." -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	$(pkg-config --cflags libgit2) -o "$STATS" "$HERE/store-stats.c" "$LIB" \
	$(pkg-config --libs libgit2 yaml-0.1 openssl libssh2 zlib) -lpthread ||
	die "cannot build bench/store-stats.c against $LIB"
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
say "  nproc: $(nproc)   cpu: ${CPU:-unknown}   kernel: $(uname -r)"
say "  date: $(date -u '+%Y-%m-%d %H:%M UTC')   envdrift: $("$ED" --version 2>/dev/null || echo ?)"
say "  git: $(git --version)   tmp: $T ($(df -T "$T" | awk 'NR == 2 { print $2 }'))"
say "  peak RSS via: $RSS_HOW"
HAVE_HF=0
command -v hyperfine >/dev/null 2>&1 && HAVE_HF=1
say "  hyperfine: $([ $HAVE_HF = 1 ] && hyperfine --version || echo 'not installed (timeit only)')"

# ---------------------------------------------------------------------------
hdr "1. this machine: envdrift collect vs the scripted baseline (bench/baseline.sh)"
R1=$T/real.git
BW=$T/baseline-real
measure real_first -n 5 -p "rm -rf '$R1' '$R1.key' && '$ED' init --repo '$R1' >/dev/null" \
	-- "$ED" collect --repo "$R1" --env prod --host web-01
# growth of one unchanged re-collect, right after a first collect (1 pack)
# (with one pack nothing is consolidated: the .pack bytes grow by the new pack)
b0=$(objects_bytes "$R1")
p0=$(figure "$R1" pack_bytes)
"$ED" collect --repo "$R1" --env prod --host web-01 > "$T/out"
b1=$(objects_bytes "$R1")
put real_grow_objects $((b1 - b0))
put real_grow_pack $(($(figure "$R1" pack_bytes) - p0))
put real_grow_newobj "$(sed -n 's/.*(\([0-9]*\) new objects).*/\1/p' "$T/out")"
say "  $(cat "$T/out")"
git --git-dir="$R1" diff --stat HEAD~1 HEAD | tail -n 1 | sed 's/^/  changed since the previous collect:/'

measure real_recollect -w 3 -n "$RUNS" -- "$ED" collect --repo "$R1" --env prod --host web-01
put real_rss "$(peak_rss "$ED" collect --repo "$R1" --env prod --host web-01)"

if command -v rsync >/dev/null 2>&1; then COPY=rsync; else COPY=cp; fi
say "  baseline copies /etc with: $COPY"
export BASELINE_COPY=$COPY
measure base_real_first -n 5 -p "rm -rf '$BW'" -- sh "$HERE/baseline.sh" "$BW"
measure base_real_rerun -w 2 -n "$RUNS" -- sh "$HERE/baseline.sh" "$BW"
if [ $COPY = rsync ]; then
	# the variant a machine without rsync runs: rm -rf etc && cp -a /etc etc
	BASELINE_COPY=cp
	measure base_real_rerun_cp -w 1 -n 10 -- sh "$HERE/baseline.sh" "$BW"
	BASELINE_COPY=$COPY
fi

if [ $HAVE_HF = 1 ]; then
	say "  hyperfine cross-check (unchanged re-run, side by side):"
	hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$T/hf.json" \
		-n envdrift "$ED collect --repo $R1 --env prod --host web-01" \
		-n baseline "sh $HERE/baseline.sh $BW" > "$T/hf.out" 2>&1 ||
		{ cat "$T/hf.out"; die "hyperfine failed"; }
	sed 's/^/    /' "$T/hf.out" | grep -E 'Benchmark|Time|Range|faster|±' || :
	awk -F': *' '/"median"/ { n++; gsub(/,/, "", $2); printf "hf_med_%d=%.1f\n", n, $2 * 1000 }' \
		"$T/hf.json" >> "$RES"
fi

# ---------------------------------------------------------------------------
hdr "2. synthetic large host: $NPKG packages, $NFILES config files, $NSYSCTL sysctls"
SR=$T/synth-root
t0=$(date +%s%N)
sh "$HERE/gen-root.sh" "$SR" "$NPKG" "$NFILES" "$NSYSCTL" "$SEED"
t1=$(date +%s%N)
say "  generated in $(( (t1 - t0) / 1000000 )) ms: $(find "$SR/etc" -type f | wc -l) files in etc ($(du -sh --apparent-size "$SR/etc" | cut -f1)), $(find "$SR/proc/sys" -type f | wc -l) sysctls, status $(du -h --apparent-size "$SR/var/lib/dpkg/status" | cut -f1)"
# warm the page cache
find "$SR" -type f -exec cat {} + > /dev/null
R2=$T/synth.git
measure synth_first -n 5 -w 1 -p "rm -rf '$R2' '$R2.key' && '$ED' init --repo '$R2' >/dev/null" \
	-- "$ED" collect --repo "$R2" --root "$SR"
# the repository now holds exactly one first collect: measure growth
b0=$(objects_bytes "$R2")
p0=$(figure "$R2" pack_bytes)
i0=$(figure "$R2" index_bytes)
"$ED" collect --repo "$R2" --root "$SR" > "$T/out"
b1=$(objects_bytes "$R2")
put synth_grow_objects $((b1 - b0))
put synth_grow_pack $(($(figure "$R2" pack_bytes) - p0))
put synth_grow_idx $(($(figure "$R2" index_bytes) - i0))
put synth_grow_newobj "$(sed -n 's/.*(\([0-9]*\) new objects).*/\1/p' "$T/out")"
say "  $(cat "$T/out")"

measure synth_recollect -w 2 -n "$RUNS" -- "$ED" collect --repo "$R2" --root "$SR"
put synth_rss_re "$(peak_rss "$ED" collect --repo "$R2" --root "$SR")"
fresh_repo "$T/rss.git"
put synth_rss_first "$(peak_rss "$ED" collect --repo "$T/rss.git" --root "$SR")"
rm -rf "$T/rss.git" "$T/rss.git.key"
say "  peak RSS: first collect $(get synth_rss_first) KiB, re-collect $(get synth_rss_re) KiB"

BW2=$T/baseline-synth
measure base_synth_first -n 3 -p "rm -rf '$BW2'" -- sh "$HERE/baseline.sh" "$BW2" "$SR"

# the secret detectors alone (bench/secrets-rate.c): every text file of
# this machine's /etc and of the synthetic /etc, in memory, 5 rounds
RATE=$T/secrets-rate
# shellcheck disable=SC2046
cc -O2 -std=c11 -I"$HERE/.." -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE \
	-o "$RATE" "$HERE/secrets-rate.c" "$LIB" \
	$(pkg-config --libs libgit2 yaml-0.1 openssl libssh2 zlib) -lpthread -lm ||
	die "cannot build bench/secrets-rate.c against $LIB"
find /etc -type f 2>/dev/null | "$RATE" 5 > "$T/rate-real"
find "$SR/etc" -type f | "$RATE" 5 > "$T/rate-synth"
put secrets_rate_real "$(sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p' "$T/rate-real")"
put secrets_rate_synth "$(sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p' "$T/rate-synth")"
say "  secret detectors, this machine's /etc: $(cat "$T/rate-real")"
say "  secret detectors, synthetic /etc: $(cat "$T/rate-synth")"

# ---------------------------------------------------------------------------
hdr "3. per-collector breakdown (a --config enabling one collector; 'none' = store + commit only)"
COLS="packages kernel sysctl services files"
for only in none $COLS all; do
	cfg=$T/only-$only.yaml
	{
		echo "collectors:"
		for c in $COLS; do
			if [ "$only" = all ] || [ "$c" = "$only" ]; then
				echo "  $c: true"
			else
				echo "  $c: false"
			fi
		done
	} > "$cfg"
	r=$T/only-$only.git
	fresh_repo "$r"
	"$ED" collect --repo "$r" --env prod --host web-01 --config "$cfg" > /dev/null
	measure "pc_real_${only}" -w 1 -n 10 -- "$ED" collect --repo "$r" --env prod --host web-01 --config "$cfg"
	measure "pc_sfirst_${only}" -n 3 -p "rm -rf '$r' '$r.key' && '$ED' init --repo '$r' >/dev/null" \
		-- "$ED" collect --repo "$r" --root "$SR" --config "$cfg"
	put "pc_srss_${only}" "$(get "pc_sfirst_${only}_rss_max_kb")"
	measure "pc_sre_${only}" -w 1 -n 10 -- "$ED" collect --repo "$r" --root "$SR" --config "$cfg"
	rm -rf "$r" "$r.key"
done

# ---------------------------------------------------------------------------
hdr "4. pack consolidation: $SCANS scans of a small root, one config file changed per scan"
SM=$T/small-root
sh "$HERE/gen-root.sh" "$SM" 50 200 100 "$SEED"
R4=$T/scans.git
fresh_repo "$R4"
# prepare (untimed): record the number of object files (loose objects,
# packs, indexes: consolidation lowers it), then replace one config file
# the way an editor or config manager does (write a new file, rename over)
cat > "$T/mutate.sh" <<EOF
'$STATS' '$R4' object_files >> '$T/packs.txt'
printf '# scan %s\nlisten = 127.0.0.1:%s\nworkers = %s\n' "\$TIMEIT_ITER" "\$TIMEIT_ITER" "\$TIMEIT_ITER" > '$SM/etc/app.conf.new'
mv '$SM/etc/app.conf.new' '$SM/etc/app.conf'
EOF
: > "$T/packs.txt"
measure scans -n "$SCANS" -p "sh '$T/mutate.sh'" -o "$T/scans.txt" -- "$ED" collect --repo "$R4" --root "$SM"
# scan i's wall time is line i; object files before scan i: packs.txt line i
win() { awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { print $2 }' "$T/scans.txt" | sort -n |
	awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
put scan_2_11 "$(win 2 11)"
put scan_last10 "$(win $((SCANS - 9)) "$SCANS")"
put scan_packs_end "$(npacks "$R4")"
put scan_packs_max "$(sort -n "$T/packs.txt" | tail -n 1)"
put scan_files_end "$(figure "$R4" object_files)"
put scan_objects_end "$(objects_bytes "$R4")"
# consolidating scans: the number of object files drops after them
awk 'NR > 1 && $1 < prev { n++ } { prev = $1 } END { print n + 0 }' "$T/packs.txt" > "$T/nconsol"
put scan_consolidations "$(cat "$T/nconsol")"
# cost of the scans that consolidated vs the others
paste -d' ' "$T/scans.txt" "$T/packs.txt" | awk 'NR > 1 { print }' > "$T/scan-packs.txt"
put scan_cons_max "$(awk 'NR > 1 { if (prev != "" && $5 < prevp) print prevw } { prevw = $2; prevp = $5; prev = 1 }' \
	"$T/scan-packs.txt" | sort -n | tail -n 1)"
awk 'NR > 1 { if (prev != "" && $5 < prevp) printf "%d:%.0f ", prevs, prevw } { prevs = $1; prevw = $2; prevp = $5; prev = 1 }' \
	"$T/scan-packs.txt" > "$T/cons-list"
say "  consolidating scans (scan:ms): $(cat "$T/cons-list")"
put scan_cons_first "$(awk '{ split($1, a, ":"); print a[2] }' "$T/cons-list")"
put scan_cons_last "$(awk '{ split($NF, a, ":"); print a[2] }' "$T/cons-list")"
# amortised: means over 50-scan windows, consolidation included
wmean() { awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { s += $2; n++ } END { if (n) printf "%.1f", s / n }' "$T/scans.txt"; }
put scan_mean_first50 "$(wmean 2 51)"
put scan_mean_last50 "$(wmean $((SCANS - 49)) "$SCANS")"
put scan_max "$(sort -k2 -n "$T/scans.txt" | tail -n 1 | awk '{ print $2 " (scan " $1 ")" }')"
say "  scans 2-11 median $(get scan_2_11) ms; scans $((SCANS - 9))-$SCANS median $(get scan_last10) ms; packs at end $(get scan_packs_end), object files at end $(get scan_files_end) (max seen $(get scan_packs_max)); $(get scan_consolidations) consolidations, slowest consolidating scan $(get scan_cons_max) ms; slowest scan $(get scan_max) ms"

# ---------------------------------------------------------------------------
hdr "5. fleet: envdrift check on 100 / 300 / 1,000 hosts in 3 environments, then drift age after 365 more scans"
if [ "${BENCH_FLEET:-1}" = 1 ]; then
	FLEET_RUNS=${FLEET_RUNS:-3} sh "$HERE/check-fleet.sh" "$ED" "$RES"
fi

END=$(date +%s)
hdr "summary ($((END - START)) s)"
verdict() { # VALUE OP LIMIT -> PASS / MISS
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		if (v == "" || v == "n/a") { print "n/a"; exit }
		ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0); print ok ? "PASS" : "MISS" }'
}
row() { printf '%-52s %-14s %-26s %s\n' "$1" "$2" "$3" "$4"; }
er=$(get real_recollect_wall_med)
br=$(get base_real_rerun_wall_med)
rr=$(ratio "$br" "$er")
rc=$(ratio "$(get base_real_rerun_cpu_med)" "$(get real_recollect_cpu_med)")
ef=$(get synth_first_wall_med)
es=$(get synth_recollect_wall_med)
rss=$(get synth_rss_first)
[ "$(get synth_rss_re)" -gt "$rss" ] && rss=$(get synth_rss_re)
row "target" "limit" "measured" "verdict"
row "------" "-----" "--------" "-------"
row "1 this host, unchanged re-collect (wall median)" "<= 50 ms" "$er ms (cpu $(get real_recollect_cpu_med))" "$(verdict "$er" '<=' 50)"
row "1 baseline script, unchanged re-run (wall median)" "-" "$br ms (cpu $(get base_real_rerun_cpu_med))" "-"
row "1 speed-up vs baseline, $COPY (wall / cpu)" ">= 10x" "${rr}x / ${rc}x" "$(verdict "$rr" '>=' 10)"
if [ $COPY = rsync ]; then
	bc=$(get base_real_rerun_cp_wall_med)
	row "1 baseline with rm -rf + cp -a instead (wall median)" "-" "$bc ms (cpu $(get base_real_rerun_cp_cpu_med))" "-"
	row "1 speed-up vs the cp -a baseline (wall / cpu)" ">= 10x" "$(ratio "$bc" "$er")x / $(ratio "$(get base_real_rerun_cp_cpu_med)" "$(get real_recollect_cpu_med)")x" "$(verdict "$(ratio "$bc" "$er")" '>=' 10)"
fi
if [ $HAVE_HF = 1 ]; then
	row "1 hyperfine cross-check medians (envdrift / baseline)" "-" "$(get hf_med_1) / $(get hf_med_2) ms" "-"
fi
row "1 this host, first collect vs baseline first run" "-" "$(get real_first_wall_med) / $(get base_real_first_wall_med) ms" "$(ratio "$(get base_real_first_wall_med)" "$(get real_first_wall_med)")x"
row "2 synthetic, first collect (wall median)" "<= 1800 ms" "$ef ms (cpu $(get synth_first_cpu_med))" "$(verdict "$ef" '<=' 1800)"
row "2 secret detectors, MB/s (this /etc / synthetic /etc)" "-" "$(get secrets_rate_real) / $(get secrets_rate_synth)" "-"
row "2 synthetic, unchanged re-collect (wall median)" "<= 300 ms" "$es ms (cpu $(get synth_recollect_cpu_med))" "$(verdict "$es" '<=' 300)"
row "2 synthetic, peak RSS (first / re-collect)" "<= 65536 KiB" "$(get synth_rss_first) / $(get synth_rss_re) KiB" "$(verdict "$rss" '<=' 65536)"
row "2 synthetic, baseline first run: median (min)" "-" "$(get base_synth_first_wall_med) ($(get base_synth_first_wall_min)) ms" "$(ratio "$(get base_synth_first_wall_med)" "$ef")x ($(ratio "$(get base_synth_first_wall_min)" "$ef")x)"
row "3 synthetic unchanged: new objects" "-" "$(get synth_grow_newobj)" "-"
row "3 synthetic unchanged: new pack file (0 = loose)" "-" "$(get synth_grow_pack) B (idx $(get synth_grow_idx) B)" "-"
row "3 synthetic unchanged: object files growth" "<= 1024 B" "$(get synth_grow_objects) B" "$(verdict "$(get synth_grow_objects)" '<=' 1024)"
row "3 this host re-collect: new objects / pack / growth" "-" "$(get real_grow_newobj) / $(get real_grow_pack) B / $(get real_grow_objects) B" "-"
row "4 scans 2-11 vs $((SCANS - 9))-$SCANS (wall medians)" "equal" "$(get scan_2_11) / $(get scan_last10) ms" "$(ratio "$(get scan_last10)" "$(get scan_2_11)")x"
row "4 mean of scans 2-51 vs $((SCANS - 49))-$SCANS (with repacks)" "-" "$(get scan_mean_first50) / $(get scan_mean_last50) ms" "$(ratio "$(get scan_mean_last50)" "$(get scan_mean_first50)")x"
row "4 first / last consolidating scan" "-" "$(get scan_cons_first) / $(get scan_cons_last) ms" "-"
row "4 packs / object files at the end (max files seen)" "bounded" "$(get scan_packs_end) / $(get scan_files_end) ($(get scan_packs_max))" "-"
row "4 consolidations / slowest consolidating scan" "-" "$(get scan_consolidations) / $(get scan_cons_max) ms" "-"
if [ -n "$(get fleet_check_1000_ms)" ]; then
	row "5 check, 100 / 300 / 1,000 hosts (median)" "1,000: <= 500 ms" "$(get fleet_check_100_ms) / $(get fleet_check_300_ms) / $(get fleet_check_1000_ms) ms" "$(verdict "$(get fleet_check_1000_ms)" '<=' 500)"
	row "5 check peak RSS, 100 / 300 / 1,000 hosts" "<= 262144 KiB" "$(get fleet_check_100_rss) / $(get fleet_check_300_rss) / $(get fleet_check_1000_rss) KiB" "$(verdict "$(get fleet_check_1000_rss)" '<=' 262144)"
	row "5 drift age: check after 365 more scans, extra" "<= 1000 ms" "$(( $(get fleet_since_after_ms) - $(get fleet_since_before_ms) )) ms" "$(verdict "$(( $(get fleet_since_after_ms) - $(get fleet_since_before_ms) ))" '<=' 1000)"
fi
printf '\nper-collector breakdown, wall median ms (cpu ms); synthetic first collect also peak RSS KiB:\n'
printf '%-10s %-22s %-22s %-22s %s\n' collector "this host re-collect" "synthetic first" "synthetic re-collect" "synth first RSS"
for only in none $COLS all; do
	printf '%-10s %-22s %-22s %-22s %s\n' "$only" \
		"$(get "pc_real_${only}_wall_med") ($(get "pc_real_${only}_cpu_med"))" \
		"$(get "pc_sfirst_${only}_wall_med") ($(get "pc_sfirst_${only}_cpu_med"))" \
		"$(get "pc_sre_${only}_wall_med") ($(get "pc_sre_${only}_cpu_med"))" \
		"$(get "pc_srss_${only}")"
done
if [ -n "${BENCH_RESULTS:-}" ]; then
	cp "$RES" "$BENCH_RESULTS"
	say "raw results: $BENCH_RESULTS"
fi
