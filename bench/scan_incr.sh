# Issue 14's part of bench/scan.sh (BENCH_SCAN_MODE=incr), sourced by it:
# the cached host roots (minbase, fat), one fleet per kind of root, and
# OLD against NEW side by side on it. Uses scan.sh's measure, get, put,
# say, hdr, inventory, ratio, per, ms2s and its variables.
# shellcheck shell=sh disable=SC2034,SC2154
CACHE=${BENCH_SCAN_CACHE:-/var/cache/envdrift-bench}
ROOTS=${BENCH_SCAN_ROOTS:-minbase fat}
GRUNS=${BENCH_SCAN_GROWTH_RUNS:-3} # rounds at the growth sizes
# bench_root KIND: the path of the kind's root, built the first time
bench_root() {
	br=$CACHE/$1
	if [ -f "$br/.envdrift-bench-root" ]; then
		echo "$br"
		return 0
	fi
	rm -rf "$br" "$br.tmp"
	mkdir -p "$CACHE" || return 1
	case $1 in
	minbase)
		command -v debootstrap >/dev/null || want_pkg debootstrap >&2 || return 1
		say "  debootstrap --variant=minbase bookworm (once, kept in $br)" >&2
		debootstrap --variant=minbase bookworm "$br.tmp" http://deb.debian.org/debian \
			>"$CACHE/debootstrap.log" 2>&1 || { tail -n 5 "$CACHE/debootstrap.log" >&2; return 1; }
		rm -rf "$br.tmp/var/cache/apt/archives"/*.deb "$br.tmp/var/lib/apt/lists"/*_Packages
		fleet_proc_files "$br.tmp" || return 1 ;;
	fat)
		bm=$(bench_root minbase) || return 1
		say "  fat root: minbase + this machine's /etc and dpkg status (once, kept in $br)" >&2
		cp -a "$bm" "$br.tmp" && cp -a /etc/. "$br.tmp/etc/" 2>/dev/null
		cp /var/lib/dpkg/status "$br.tmp/var/lib/dpkg/status" || return 1
		# the fleet gives every host its own; this machine's stay here
		rm -f "$br.tmp"/etc/ssh/ssh_host_* ;;
	*) die "BENCH_SCAN_ROOTS: no kind '$1' (minbase, fat)" ;;
	esac
	date -u '+%Y-%m-%d %H:%M UTC' >"$br.tmp/.envdrift-bench-root"
	mv "$br.tmp" "$br" && echo "$br"
}

# med KEY SUFFIX [ROUNDS]: the median over rounds 1..ROUNDS (RUNS) of
# KEY_rI_SUFFIX
med() {
	for mi in $(seq 1 "${3:-$RUNS}"); do get "${1}_r${mi}_$2"; done | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# vfield FILE F: median over the hosts of scan -v's per-host counts
# (F 1: files sent, 2: reused, 3: bytes of the answer)
vfield() {
	sed -n 's/^envdrift: .* collected in .*; \([0-9]*\) files\{0,1\} sent, \([0-9]*\) reused, \([0-9]*\) bytes.*$/\1 \2 \3/p' "$1" |
		awk -v f="$2" '{ print $f }' | sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "" }'
}

incr_kind() { # KIND ROOT
	k=$1
	hdr "$k hosts: $FN chrooted on 127.0.0.2..$((FN + 1))"
	FL=$(fleet_mktemp) || die "fleet_mktemp failed"
	t0=$(date +%s)
	fleet_setup "$FL" "$FN" "$2" || die "fleet_setup failed"
	target_cgroup || say "  no cpuacct cgroup: target CPU is an undercount"
	say "  ready in $(($(date +%s) - t0)) s; $(find "$FL/hosts/h1/etc" | wc -l) entries under /etc ($(find "$FL/hosts/h1/etc" -type f -readable | wc -l) regular), dpkg status $(du -k --apparent-size "$FL/hosts/h1/var/lib/dpkg/status" | cut -f1) KiB, $(find "$FL/hosts/h1/proc/sys" -type f | wc -l) sysctl files"
	for S in $COMPARE $GROWTH; do
		inventory "$S" "$T/inv-$S.yaml"
		awk -v n="$S" -v fn="$FN" 'BEGIN { for (k = 1; k <= n; k++) printf "127.0.0.%d\n", (k - 1) % fn + 2 }' >"$T/addr-$S"
	done
	for S in $COMPARE; do
		say "  $S hosts, -j $JOBS"
		RO=$T/old-$S RN=$T/new-$S
		so="$OLDED scan --repo $RO --known-hosts $FLEET_KNOWN_HOSTS -j $JOBS -i $T/inv-$S.yaml"
		sn="$ED scan --repo $RN --known-hosts $FLEET_KNOWN_HOSTS -j $JOBS -i $T/inv-$S.yaml"
		fl="$FLOOR -j $JOBS -p $FLEET_PORT -u $FLEET_USER -k $FLEET_KEY -K $FLEET_KNOWN_HOSTS -f $T/addr-$S"
		measure "${k}${S}_floor" -w 1 -n "$RUNS" -- $fl -c true
		measure "${k}${S}_oldbytes" -n 1 -- $OLDFLOOR -j "$JOBS" -p "$FLEET_PORT" -u "$FLEET_USER" -k "$FLEET_KEY" -K "$FLEET_KNOWN_HOSTS" -f "$T/addr-$S" -E
		put "${k}${S}_oldbytes" "$(($(sed -n 's/.*out_bytes=\([0-9]*\).*/\1/p' "$T/last.out") / S))"
		# first scans into fresh repositories, OLD and NEW alternating
		for r in $(seq 1 "$RUNS"); do
			measure "${k}${S}_ofirst_r$r" -n 1 -p "rm -rf '$RO' '$RO.key' && '$OLDED' init --repo '$RO' >/dev/null" -- $so
			grep -q "$S hosts, $S collected, 0 failed" "$T/last.out" || die "old first scan: $(cat "$T/last.out")"
			measure "${k}${S}_nfirst_r$r" -n 1 -p "rm -rf '$RN' '$RN.key' && '$ED' init --repo '$RN' >/dev/null" -- $sn
			grep -q "$S hosts, $S collected, 0 failed" "$T/last.out" || die "new first scan: $(cat "$T/last.out")"
		done
		sleep 2.1 # nothing racy: every file older than two seconds by the hosts' clock
		# one untimed scan to fill the cache: the first scan found racy files
		$sn -v >"$T/last.out" 2>"$T/v.err" || die "scan -v failed"
		# and one more, so every host's cache holds its snapshot memo: the
		# nightly steady state
		$sn >"$T/last.out" 2>&1 || die "scan failed"
		# NEW --full into its own copy: its caches have no memo, and
		# nightly scans are not interleaved with full ones
		RF=$T/full-$S
		rm -rf "$RF" "$RF.key" && cp -a "$RN" "$RF" && cp -p "$RN.key" "$RF.key"
		sf="$ED scan --repo $RF --known-hosts $FLEET_KNOWN_HOSTS -j $JOBS -i $T/inv-$S.yaml"
		# unchanged re-scans, alternating OLD, NEW, NEW --full
		for r in $(seq 1 "$RUNS"); do
			measure "${k}${S}_osame_r$r" -n 1 -- $so
			grep -q "(unchanged)" "$T/last.out" || die "old unchanged re-scan committed: $(cat "$T/last.out")"
			measure "${k}${S}_nsame_r$r" -n 1 -- $sn
			grep -q "(unchanged)" "$T/last.out" || die "new unchanged re-scan committed: $(cat "$T/last.out")"
			measure "${k}${S}_nfull_r$r" -n 1 -- $sf --full
			grep -q "(unchanged)" "$T/last.out" || die "new --full re-scan committed: $(cat "$T/last.out")"
		done
		$sn -v >"$T/last.out" 2>"$T/v.err" || die "scan -v failed"
		put "${k}${S}_nbytes" "$(vfield "$T/v.err" 3)"
		put "${k}${S}_nsent" "$(vfield "$T/v.err" 1)"
		put "${k}${S}_nreused" "$(vfield "$T/v.err" 2)"
		$sf -v --full >"$T/last.out" 2>"$T/v.err" || die "scan -v --full failed"
		put "${k}${S}_fbytes" "$(vfield "$T/v.err" 3)"
		put "${k}${S}_fsent" "$(vfield "$T/v.err" 1)"
		# one changed file on one host: only it crosses, only for that host
		fleet_set_file "$FL" 1 /etc/envdrift-bench.conf "changed $(date +%s.%N)" 0644
		sleep 2.1
		$sn -v >"$T/last.out" 2>"$T/v.err" || die "scan -v failed"
		put "${k}${S}_one_h1" "$(sed -n 's/^envdrift: [a-z]*\/h1 collected in .*; \([0-9]*\) files\{0,1\} sent.*/\1/p' "$T/v.err")"
		put "${k}${S}_one_others" "$(grep -v '/h1 collected' "$T/v.err" | sed -n 's/^envdrift: .* collected in .*; \([0-9]*\) files\{0,1\} sent.*/\1/p' | sort -n | tail -n 1)"
		put "${k}${S}_one_commit" "$(git --git-dir="$RN" diff --name-only HEAD~1 HEAD | tr '\n' ' ')"
		say "    floor $(ms2s "$(get "${k}${S}_floor_wall_med")") s; first old/new $(ms2s "$(med "${k}${S}_ofirst" wall_med)") / $(ms2s "$(med "${k}${S}_nfirst" wall_med)") s; unchanged old/new/--full $(ms2s "$(med "${k}${S}_osame" wall_med)") / $(ms2s "$(med "${k}${S}_nsame" wall_med)") / $(ms2s "$(med "${k}${S}_nfull" wall_med)") s"
	done
	for N in $GROWTH; do
		say "  $N hosts ($(((N + FN - 1) / FN)) names per address at most), -j $JOBS"
		RN=$T/new-$N
		sn="$ED scan --repo $RN --known-hosts $FLEET_KNOWN_HOSTS -j $JOBS -i $T/inv-$N.yaml"
		rm -rf "$RN" "$RN.key"
		"$ED" init --repo "$RN" >/dev/null
		$sn >"$T/last.out" 2>&1 || die "first scan at $N: $(tail -n 3 "$T/last.out")"
		sleep 2.1
		$sn >"$T/last.out" 2>&1 || die "cache-filling scan at $N: $(tail -n 3 "$T/last.out")"
		$sn >"$T/last.out" 2>&1 || die "memo-making scan at $N: $(tail -n 3 "$T/last.out")"
		fl="$FLOOR -j $JOBS -p $FLEET_PORT -u $FLEET_USER -k $FLEET_KEY -K $FLEET_KNOWN_HOSTS -f $T/addr-$N"
		for r in $(seq 1 "$GRUNS"); do
			measure "${k}${N}_floor_r$r" -n 1 -- $fl -c true
			measure "${k}${N}_nsame_r$r" -n 1 -- $sn
			grep -q "(unchanged)" "$T/last.out" || die "unchanged re-scan at $N committed: $(cat "$T/last.out")"
		done
		rm -rf "$RN" "$RN.key"
	done
	fleet_clean "$FL" >/dev/null 2>&1
	FL=
}

# the summary of one kind
incr_summary() { # KIND
	k=$1
	for S in $COMPARE; do
		fl=$(get "${k}${S}_floor_target_cpu")
		say ""
		say "$k roots, $S hosts (medians of $RUNS; per host = per run / $S)"
		row "" "wall s" "cpu ms/h" "target ms/h" "above true"
		for m in floor:"handshake floor (exec true)" ofirst:"OLD first scan" nfirst:"NEW first scan" osame:"OLD unchanged re-scan" nsame:"NEW unchanged re-scan" nfull:"NEW --full re-scan"; do
			key=${m%%:*}
			if [ "$key" = floor ]; then
				w=$(get "${k}${S}_floor_wall_med") c=$(get "${k}${S}_floor_cpu_med") t=$fl
			else
				w=$(med "${k}${S}_$key" wall_med) c=$(med "${k}${S}_$key" cpu_med) t=$(med "${k}${S}_$key" target_cpu)
			fi
			put "${k}${S}_${key}_host" "$(awk -v t="$t" -v f="$fl" -v n="$S" 'BEGIN { printf "%.2f", (t - f) / n }')"
			row "${m#*:}" "$(ms2s "$w")" "$(per "$c" "$S")" "$(per "$t" "$S")" "$(get "${k}${S}_${key}_host")"
		done
		say "  bytes per host: OLD $(get "${k}${S}_oldbytes") (sshfloor -E of OLD: its whole answer), NEW --full $(get "${k}${S}_fbytes") ($(get "${k}${S}_fsent") files), NEW unchanged $(get "${k}${S}_nbytes") ($(get "${k}${S}_nsent") files sent, $(get "${k}${S}_nreused") reused)"
		say "  one changed file on h1: h1 sent $(get "${k}${S}_one_h1") files (unchanged: $(get "${k}${S}_nsent")), the other hosts at most $(get "${k}${S}_one_others"); commit: $(get "${k}${S}_one_commit")"
	done
	for N in $GROWTH; do
		say "  $N hosts: floor $(ms2s "$(med "${k}${N}_floor" wall_med "$GRUNS")") s, NEW unchanged re-scan $(ms2s "$(med "${k}${N}_nsame" wall_med "$GRUNS")") s, controller $(per "$(med "${k}${N}_nsame" cpu_med "$GRUNS")" "$N") ms/host"
	done
}

incr_targets() { # KIND
	k=$1
	for S in $COMPARE; do
		b=$(awk -v a="$(get "${k}${S}_nbytes")" -v b="$(get "${k}${S}_oldbytes")" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b }')
		vrow "$k: bytes per unchanged host, NEW / OLD" "<= 15 %" "$b % ($(get "${k}${S}_nbytes") / $(get "${k}${S}_oldbytes"))" "$([ "$k" = fat ] && verdict "$b" '<=' 15 || echo "(fat only)")"
		h=$(awk -v a="$(get "${k}${S}_nsame_host")" -v b="$(get "${k}${S}_osame_host")" 'BEGIN { if (b > 0) printf "%.1f", 100 * a / b }')
		vrow "$k: host CPU above exec true, NEW / OLD" "<= 50 %" "$h % ($(get "${k}${S}_nsame_host") / $(get "${k}${S}_osame_host") ms/host)" "$([ "$k" = fat ] && verdict "$h" '<=' 50 || echo "(fat only)")"
		r=$(ratio "$(med "${k}${S}_nsame" wall_med)" "$(get "${k}${S}_floor_wall_med")")
		r=$(awk -v a="$(med "${k}${S}_nsame" wall_med)" -v b="$(get "${k}${S}_floor_wall_med")" 'BEGIN { printf "%.2f", a / b }')
		vrow "$k: unchanged re-scan / floor, $S hosts" "<= 1.8x" "${r}x" "$([ "$k" = minbase ] && verdict "$r" '<=' 1.8 || echo "(reported)")"
		c=$(per "$(med "${k}${S}_nsame" cpu_med)" "$S")
		vrow "$k: controller CPU, unchanged, $S hosts" "<= 5 ms/h" "$c ms/host (OLD $(per "$(med "${k}${S}_osame" cpu_med)" "$S"))" "$(verdict "$c" '<=' 5)"
		f=$(awk -v a="$(med "${k}${S}_nfirst" wall_med)" -v b="$(med "${k}${S}_ofirst" wall_med)" 'BEGIN { printf "%.1f", 100 * (a / b - 1) }')
		vrow "$k: first scan, NEW vs OLD (wall)" "<= +5 %" "$f % ($(ms2s "$(med "${k}${S}_nfirst" wall_med)") / $(ms2s "$(med "${k}${S}_ofirst" wall_med)") s)" "$(verdict "$f" '<=' 5)"
		o=$(get "${k}${S}_one_others")
		vrow "$k: one changed file: only it, only there" "h1 +1" "h1 $(get "${k}${S}_one_h1") sent (unchanged $(get "${k}${S}_nsent")), others <= $o" "$([ "$(get "${k}${S}_one_h1")" = $(($(get "${k}${S}_nsent") + 1)) ] && [ "$o" = "$(get "${k}${S}_nsent")" ] && echo PASS || echo MISS)"
	done
	for N in $GROWTH; do
		r=$(awk -v a="$(med "${k}${N}_nsame" wall_med "$GRUNS")" -v b="$(med "${k}${N}_floor" wall_med "$GRUNS")" 'BEGIN { printf "%.2f", a / b }')
		vrow "$k: unchanged re-scan / floor, $N hosts" "<= 1.8x" "${r}x" "$([ "$k" = minbase ] && verdict "$r" '<=' 1.8 || echo "(reported)")"
		c=$(per "$(med "${k}${N}_nsame" cpu_med "$GRUNS")" "$N")
		vrow "$k: controller CPU, unchanged, $N hosts" "<= 5 ms/h" "$c ms/host" "$(verdict "$c" '<=' 5)"
	done
}

