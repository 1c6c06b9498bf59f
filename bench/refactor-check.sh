#!/bin/sh
# Proof that a refactor changed no behaviour (issue 10), run before closing:
#
#   sh bench/refactor-check.sh OLD_REV        (as root for the SSH fleet)
#
# Builds the old binary from OLD_REV (git archive into a temp dir, its own
# build) and the new one from the working tree (make BUILD=temp dir), then
# compares them, one PASS/FAIL line each:
#  1. trees: whole host tree ids (git rev-parse main:hosts/ENV/HOST) of every
#     fixture root under tests/fixtures, a mkroot-style root, a root with
#     toggle files and the synthetic host of bench/gen-root.sh, collected
#     twice by each binary into twin repositories (one init, one HMAC key),
#     with the exit status and output of each collect;
#  2. this machine: collected old, new, old; the new tree must equal one of
#     the old ones (live facts may move between runs);
#  3. outputs: stdout, stderr and exit status of diff, check, report (all
#     six formats, several --format outputs and their files), explain,
#     status and accept on repositories built like the CLI tests build them
#     (several parity entries and roles, waivers valid and expired, pins,
#     stale hosts, @REV and @DATE operands, bad baselines); report --commit
#     and accept run on a fresh copy per side and compare what they wrote;
#  4. fleet (root and sshd only; tests/lib/fleet.sh): envdrift scan of
#     chrooted hosts behind real sshds, tree ids per host and the scan's
#     exit status and output (timings and commit ids masked), also with an
#     unreachable host (exit 3);
#  5. performance: old and new run interleaved (A B A B..., RC_RUNS runs
#     each after one warm-up each) on P2 (BENCHMARKS.md target 2: first
#     collect of the synthetic host), P3 (target 3: its unchanged
#     re-collect) and the fleet's unchanged re-scan. CPU is user+sys from
#     bench/timeit.c. A figure fails only if the new CPU median is more than
#     5% above the old one AND the gap exceeds the run-to-run spread, taken
#     as the larger of the two interquartile ranges.
# Exit 0 when everything passed, 1 on any FAIL, 2 on a setup error.
#
# Knobs (environment): RC_RUNS (runs per binary and figure, default 30),
# RC_FLEET (0: skip the fleet; default: on when root with sshd),
# RC_FLEET_HOSTS (default 10), RC_PERF (0: skip performance),
# RC_SYNTH ("NPKG NFILES NSYSCTL", default "5000 20000 1500", P2's host),
# RC_JOBS (make -j, default 2), RC_KEEP=1 (keep the temp dir).
# Everything lives in one mktemp -d directory (and one fleet directory),
# removed on exit with the fleet's sshds. Every loop is bounded.
# shellcheck disable=SC2317 # RESET and AFTER hooks are called by name
set -u
[ $# -eq 1 ] || { echo "usage: sh bench/refactor-check.sh OLD_REV" >&2; exit 2; }
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 2
OLD_REV=$1
RUNS=${RC_RUNS:-30}
FLEET_HOSTS=${RC_FLEET_HOSTS:-10}
DO_PERF=${RC_PERF:-1}
SYNTH=${RC_SYNTH:-5000 20000 1500}
JOBS=${RC_JOBS:-2}
die() { echo "refactor-check: $*" >&2; exit 2; }
case $RUNS$FLEET_HOSTS$JOBS in *[!0-9]*) die "RC_RUNS, RC_FLEET_HOSTS, RC_JOBS are numbers" ;; esac
if [ "$RUNS" -lt 1 ] || [ "$RUNS" -gt 1000 ]; then die "RC_RUNS: 1..1000"; fi
if [ "$FLEET_HOSTS" -lt 2 ] || [ "$FLEET_HOSTS" -gt 250 ]; then die "RC_FLEET_HOSTS: 2..250"; fi
if [ -z "${RC_FLEET:-}" ]; then
	RC_FLEET=0
	[ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v useradd >/dev/null && RC_FLEET=1
fi
git rev-parse -q --verify "$OLD_REV^{commit}" >/dev/null || die "'$OLD_REV' is not a commit"

T=$(mktemp -d "${TMPDIR:-/tmp}/envdrift-refactor-check.XXXXXX") || die "mktemp failed"
FL=
cleanup() {
	trap - EXIT INT TERM
	[ -z "$FL" ] || fleet_clean "$FL" >/dev/null 2>&1
	if [ "${RC_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export LC_ALL=C TZ=UTC GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
unset ENVDRIFT_REPO ENVDRIFT_KEY ENVDRIFT_BASELINE SSH_AUTH_SOCK
mkdir -p "$HOME" "$T/cmp" "$T/perf"
START=$(date +%s)
: >"$T/results"

hdr() { printf '\n== %s (at %d s)\n' "$*" "$(($(date +%s) - START))"; }
# result PASS|FAIL|SKIP WHAT: one line, counted for the summary
result() {
	printf '%s %s\n' "$1" "$2" | tee -a "$T/results"
}
bin() { if [ "$1" = old ]; then echo "$T/old"; else echo "$T/new"; fi; }
# subst SIDE WORD: WORD with @ED@ as the side's binary, @SIDE@ as old/new
subst() { printf '%s\n' "$2" | sed "s|@ED@|$(bin "$1")|g; s|@SIDE@|$1|g"; }

# ---------------------------------------------------------------------------
hdr "build"
OLD_ID=$(git rev-parse --short "$OLD_REV^{commit}")
NEW_DESC="working tree at $(git rev-parse --short HEAD)"
git diff --quiet HEAD -- || NEW_DESC="$NEW_DESC plus uncommitted changes"
mkdir "$T/old-src"
git archive --format=tar "$OLD_REV" | tar -x -C "$T/old-src" || die "git archive $OLD_REV failed"
make -C "$T/old-src" -j"$JOBS" all >"$T/old-build.log" 2>&1 ||
	{ tail -n 20 "$T/old-build.log" >&2; die "building $OLD_ID failed"; }
cp "$T/old-src/build/envdrift" "$T/old"
make -j"$JOBS" BUILD="$T/new-build" all >"$T/new-build.log" 2>&1 ||
	{ tail -n 20 "$T/new-build.log" >&2; die "building the working tree failed"; }
cp "$T/new-build/envdrift" "$T/new"
cc -O2 -std=c11 -o "$T/timeit" bench/timeit.c || die "cannot build bench/timeit.c"
echo "  old: $OLD_ID ($(git log -1 --format=%cs "$OLD_REV")), new: $NEW_DESC"
echo "  machine: $(nproc) cpus, $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC'); RC_RUNS=$RUNS RC_FLEET=$RC_FLEET RC_PERF=$DO_PERF"

# twin REPO...: one repository made by the old binary, copied (with its
# key) to each REPO, so secrets become the same tokens in all of them
twin() {
	"$T/old" init --repo "$T/twin-base.git" >/dev/null || die "init failed"
	for r in "$@"; do
		{ cp -a "$T/twin-base.git" "$r" && cp "$T/twin-base.git.key" "$r.key"; } || die "copy failed"
	done
	rm -rf "$T/twin-base.git" "$T/twin-base.git.key"
}
# mkroot DIR: tests/cli/test-lib.sh's fixture root (modes and keys git
# cannot store; keys made once, so every copy holds the same ones) plus
# /proc/meminfo
mkroot() {
	cp -a tests/fixtures/cli/root "$1"
	chmod 0640 "$1/etc/shadow"
	chmod 0600 "$1/etc/app/app.conf"
	mkdir -p "$1/etc/ssl/private" "$1/run"
	if [ ! -f "$T/keys/host" ]; then
		mkdir -p "$T/keys"
		ssh-keygen -q -t ed25519 -N '' -C fixture -f "$T/keys/host" </dev/null
		ssh-keygen -q -t ecdsa -N '' -C fixture -f "$T/keys/app" </dev/null
	fi
	cp "$T/keys/host" "$1/etc/ssh/ssh_host_ed25519_key"
	cp "$T/keys/host.pub" "$1/etc/ssh/ssh_host_ed25519_key.pub"
	cp "$T/keys/app" "$1/etc/ssl/private/app.pem"
	cp "$T/keys/host" "$1/etc/app/embedded-key.txt"
	# installed memory, which the fixture lacks: the kernel collector's
	# memory line is compared too
	printf 'MemTotal:        2030320 kB\nMemFree:          123456 kB\n' >"$1/proc/meminfo"
}
# norm FILE: mask what legitimately differs between two runs (commit ids,
# scan timings)
norm() {
	sed -E 's/commit [0-9a-f]{12}/commit <id>/g; s/committed [0-9a-f]+/committed <id>/g
		s/; [0-9.]+ s, cpu [0-9.]+ ms\/host;/; <time>;/' "$1" >"$1.n" && mv "$1.n" "$1"
}

# run_side SIDE DIR ARGS...: ARGS (@ED@ = the side's binary) in $W, into
# DIR/out, DIR/err, DIR/rc; then the files named in $OUTS (moved there),
# and $AFTER DIR if set
run_side() {
	rs_side=$1 rs_dir=$2
	shift 2
	for a in "$@"; do
		shift
		set -- "$@" "$(subst "$rs_side" "$a")"
	done
	mkdir -p "$rs_dir"
	(cd "$W" && "$@") >"$rs_dir/out" 2>"$rs_dir/err" </dev/null
	echo $? >"$rs_dir/rc"
	for f in ${OUTS:-}; do
		if [ -e "$W/$f" ]; then mv "$W/$f" "$rs_dir/file-$(basename "$f")"; else echo absent >"$rs_dir/file-$(basename "$f")"; fi
	done
	[ -z "${AFTER:-}" ] || "$AFTER" "$rs_dir"
	[ "${NORM:-0}" = 0 ] || { norm "$rs_dir/out"; norm "$rs_dir/err"; }
	[ "${SORT_ERR:-0}" = 0 ] || { sort "$rs_dir/err" >"$rs_dir/err.s" && mv "$rs_dir/err.s" "$rs_dir/err"; }
}
# same WHAT ARGS...: old then new (each after $RESET if set); PASS when
# stdout, stderr, exit status and the collected files are equal
NCMP=0
same() {
	s_what=$1
	shift
	NCMP=$((NCMP + 1))
	s_d=$T/cmp/$NCMP
	for side in old new; do
		[ -z "${RESET:-}" ] || "$RESET"
		run_side "$side" "$s_d/$side" "$@"
	done
	if diff -r "$s_d/old" "$s_d/new" >"$s_d/diff" 2>&1; then
		result PASS "$s_what (exit $(cat "$s_d/old/rc"))"
	else
		result FAIL "$s_what (exit $(cat "$s_d/old/rc") / $(cat "$s_d/new/rc"))"
		head -n 30 "$s_d/diff" | sed 's/^/    /'
	fi
}
# cmp_tree WHAT OLD_REPO NEW_REPO PATH: equal tree ids at main:PATH (or
# both absent); on a difference, the first entries that differ
cmp_tree() {
	ct_a=$(tree_id "$2" "$4")
	ct_b=$(tree_id "$3" "$4")
	if [ "$ct_a" = "$ct_b" ]; then
		result PASS "$1 ${ct_a:-absent in both}"
		return
	fi
	result FAIL "$1 old ${ct_a:-absent} new ${ct_b:-absent}"
	git -C "$2" ls-tree -r "main:$4" >"$T/ls.old" 2>&1
	git -C "$3" ls-tree -r "main:$4" >"$T/ls.new" 2>&1
	diff "$T/ls.old" "$T/ls.new" | grep '^[<>]' | head -n 10 | sed 's/^/    /'
}
tree_id() { git -C "$1" rev-parse -q --verify "main:$2" 2>/dev/null || :; }

# ---------------------------------------------------------------------------
hdr "1. trees: fixture roots, collected by each binary into twin repositories"
R=$T/roots
mkdir -p "$R"
mkroot "$R/cli-root"
mkroot "$R/toggles-root"
mkdir -p "$R/toggles-root/etc/app"
printf 'checkout:\n  new_flow: false\n  providers: [card, paypal]\nsearch: {beta: true}\n' >"$R/toggles-root/etc/app/features.yaml"
printf '{"dark_mode": true, "limits": {"rps": 100}}\n' >"$R/toggles-root/etc/app/flags.json"
printf '[payments]\nretry = 3\n' >"$R/toggles-root/etc/app/flags.ini"
printf 'export FEATURE_X=on\nexport DB_PASSWORD=LEAKENV7731\n' >"$R/toggles-root/etc/app/.env"
cat >"$T/toggles.yaml" <<EOF
toggles:
  files: [/etc/app/features.yaml, /etc/app/flags.json, /etc/app/flags.ini, /etc/app/.env, /etc/app/missing.yaml]
EOF
# shellcheck disable=SC2086
set -- $SYNTH
sh bench/gen-root.sh "$R/synth" "$1" "$2" "$3" 42 >/dev/null || die "gen-root.sh failed"
# every other fixture root: a directory holding etc, proc, var, usr or
# lib, not inside another such directory
find tests/fixtures -type d \( -name etc -o -name proc -o -name var -o -name usr -o -name lib \) \
	-printf "$TOP/%h\\n" | LC_ALL=C sort -u |
	awk '{ for (i = 1; i <= n; i++) if (index($0 "/", r[i] "/") == 1) next; r[++n] = $0; print }' >"$T/fixture-roots"
{
	cat "$T/fixture-roots"
	echo "$R/cli-root"
	echo "$R/toggles-root"
	echo "$R/synth"
} >"$T/all-roots"
twin "$T/fold.git" "$T/fnew.git"
# the stand-in rpm of the unit tests, so rpm databases are read too
PATH_RPM="$TOP/tests/fixtures/packages/bin:$PATH"
W=$T
NORM=1
i=0
while IFS= read -r root; do
	i=$((i + 1))
	h=r$i-$(basename "$root" | tr -c 'A-Za-z0-9._\n-' '-')
	shown=${root#"$TOP"/}
	shown=${shown#"$T"/}
	cfg=
	case $root in *toggles-root) cfg="--config $T/toggles.yaml" ;; esac
	for pass in first again; do
		# shellcheck disable=SC2086
		same "collect ($pass) of $shown" env PATH="$PATH_RPM" @ED@ collect \
			--repo "$T/f@SIDE@.git" --root "$root" --env fixtures --host "$h" --role web $cfg
	done
	cmp_tree "tree of $shown:" "$T/fold.git" "$T/fnew.git" "hosts/fixtures/$h"
done <"$T/all-roots"
NORM=0

# ---------------------------------------------------------------------------
hdr "2. this machine: collected old, new, old"
twin "$T/l1.git" "$T/l2.git" "$T/l3.git"
for s in old:l1 new:l2 old:l3; do
	"$(bin "${s%%:*}")" collect -q --repo "$T/${s#*:}.git" --env live --host this \
		>"$T/${s#*:}.out" 2>&1
	echo "exit $?" >>"$T/${s#*:}.out"
done
l1=$(tree_id "$T/l1.git" hosts/live/this)
l2=$(tree_id "$T/l2.git" hosts/live/this)
l3=$(tree_id "$T/l3.git" hosts/live/this)
if [ -n "$l2" ] && { [ "$l2" = "$l1" ] || [ "$l2" = "$l3" ]; }; then
	result PASS "this machine: new tree $l2 equals an old run's (old: $l1, $l3)"
else
	result FAIL "this machine: new tree ${l2:-absent}, old ${l1:-absent} and ${l3:-absent}"
	for r in l1 l2 l3; do git -C "$T/$r.git" ls-tree -r main:hosts/live/this >"$T/$r.tree" 2>&1; done
	diff "$T/l1.tree" "$T/l2.tree" | grep '^[<>]' | head -n 10 | sed 's/^/    /'
fi
if [ "$(tail -n 1 "$T/l2.out")" = "$(tail -n 1 "$T/l1.out")" ]; then
	result PASS "this machine: collect $(tail -n 1 "$T/l1.out") in both"
else
	result FAIL "this machine: collect old $(tail -n 1 "$T/l1.out"), new $(tail -n 1 "$T/l2.out")"
fi

# ---------------------------------------------------------------------------
hdr "3. outputs: diff, check, report, explain, status, accept on fixture repositories"
# Built by the old binary the way tests/cli/t0014, t0015 and t0016 build
# theirs; both binaries then read the very same files, from $W.
W=$T/w
mkdir -p "$W/out"
mkroot "$W/a"
cp -a "$R/toggles-root/etc/app/." "$W/a/etc/app/"
cp -a "$W/a" "$W/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$W/b/var/lib/dpkg/status"
sed -i 's/new_flow: false/new_flow: true/' "$W/b/etc/app/features.yaml"
cp -a "$W/b" "$W/c"
echo 5 >"$W/c/proc/sys/vm/swappiness"
mkroot "$W/d"
rm -f "$W/d/etc/ssh/ssh_host_ed25519_key" "$W/d/etc/ssh/ssh_host_ed25519_key.pub" \
	"$W/d/etc/ssl/private/app.pem" "$W/d/etc/ssl/private/app.pem.pub"
ssh-keygen -q -t ed25519 -N '' -C other -f "$W/d/etc/ssh/ssh_host_ed25519_key" </dev/null
ssh-keygen -q -t ecdsa -N '' -C other -f "$W/d/etc/ssl/private/app.pem" </dev/null
col() { # REPO ROOT ENV HOST ROLE
	"$T/old" collect -q --repo "$W/$1" --root "$W/$2" --env "$3" --host "$4" --role "$5" \
		--config "$T/toggles.yaml" >/dev/null 2>&1 || die "collect $* failed"
}
{ "$T/old" init --repo "$W/d.git" && "$T/old" init --repo "$W/c.git"; } >/dev/null ||
	die "init failed"
col d.git a staging stg-1 web
col d.git a staging stg-2 web
col d.git a staging sdb-1 db
col d.git b prod prd-1 web
col d.git b prod prd-2 web
col d.git b prod pdb-1 db
col d.git c prod prd-3 web
col d.git d other oth-1 web
echo 7 >"$W/c/proc/sys/vm/swappiness"
col d.git c prod prd-3 web
sed -i 's/^#\?MaxAuthTries.*/MaxAuthTries 2/' "$W/c/etc/ssh/sshd_config"
col d.git c prod prd-3 web
col c.git a staging stg-1 web
col c.git a staging sdb-1 db
col c.git b prod prd-1 web
col c.git b prod prd-2 web
col c.git a prod pdb-1 db
col c.git c dev dev-1 web
col c.git a dev ddb-1 db
cat >"$W/parity.yaml" <<'YAML'
# staging and prod must match for web and db servers; dev may lag
parity:
  - environments: [staging, prod]
    roles: [web, db]
  - environments: [staging, dev]
    severity: info
ignore:
  - "sysctl:net.netfilter.*"
  - "files:/etc/ssl/**"
severity:
  packages: critical
  sysctl: warning
  "files:/etc/ssh/**": critical
expect:
  - key: "sysctl-per-host:kernel.hostname"
    differs: always
  - key: "packages:**"
    differs: between
    environments: [dev, prod]
pins:
  - "packages:openssl:amd64 >= 3.0.15"
  - "sysctl:net.ipv4.ip_forward = 0"
  - "packages:telnetd:* absent"
  - {pin: "files:/etc/motd present", severity: info}
YAML
next=$(($(date -u +%Y) + 1))-01-31
(cd "$W" && "$T/old" accept --baseline parity.yaml --reason "openssl rollout" --expires "$next" \
	--env prod packages:openssl:amd64 &&
	"$T/old" accept --baseline parity.yaml --reason "legacy box" --expires "$next" \
		--host prd-2 "packages:openssl:*" &&
	"$T/old" accept --baseline parity.yaml --reason "an old one" --expires "$next" \
		--env dev "sysctl:*") >/dev/null || die "accept failed"
# the last waiver expired long ago: its drift counts again
sed -i '/reason: "an old one"/{n;s/expires: .*/expires: 2000-01-01/;}' "$W/parity.waivers.yaml"
cp "$W/parity.yaml" "$W/bw.yaml"
printf 'waivers:\n  - key: "sysctl:*"\n    reason: x\n  oops\n' >"$W/bw.waivers.yaml"
printf 'ignore:\n  - "files:/etc/ssl/**"\n  - "files:/etc/app/embedded-key.txt"\n  - "!files:/etc/ssh/ssh_host_ed25519_key"\n' >"$W/bl.yaml"
printf 'pins:\n  - x\n' >"$W/bad.yaml"
printf 'frobnicate: 1\n' >"$W/bad2.yaml"
printf 'parity:\n  - environments: [only-one]\n' >"$W/bad3.yaml"
today=$(date -u +%Y-%m-%d)
sleep 2 # every host is then older than --max-age 1s

for f in text json markdown junit html patch; do
	same "diff --format $f staging prod" @ED@ diff --repo d.git --format "$f" staging prod
	same "diff --format $f --baseline bl.yaml stg-1 prd-3" @ED@ diff --repo d.git --format "$f" \
		--baseline bl.yaml stg-1 prd-3
	same "check --format $f --baseline parity.yaml" @ED@ check --repo c.git --format "$f" \
		--baseline parity.yaml
	same "check --format $f staging@main~3 prod" @ED@ check --repo c.git --format "$f" staging@main~3 prod
	same "report --format $f --baseline parity.yaml" @ED@ report --repo c.git --format "$f" \
		--baseline parity.yaml
done
OUTS="out/r.json out/r.xml out/r.html out/r.md out/r.patch"
for c in "diff --repo d.git stg-1 prd-3" "check --repo c.git --baseline parity.yaml" \
	"report --repo c.git --baseline parity.yaml"; do
	# shellcheck disable=SC2086
	same "${c%% *} with six outputs, five to files" @ED@ $c --format text --format json:out/r.json \
		--format junit:out/r.xml --format html:out/r.html --format markdown:out/r.md \
		--format patch:out/r.patch
done
OUTS=
same "diff no drift" @ED@ diff --repo d.git stg-1 stg-2
same "diff host:stg-1 host:prd-3" @ED@ diff --repo d.git host:stg-1 host:prd-3
same "diff prd-3@main~1 prd-3" @ED@ diff --repo d.git prd-3@main~1 prd-3
same "diff prd-3@main~2 prd-3@main~1" @ED@ diff --repo d.git prd-3@main~2 prd-3@main~1
same "diff prod@main~3 prod" @ED@ diff --repo d.git prod@main~3 prod
same "diff prd-3@TODAY prd-3" @ED@ diff --repo d.git "prd-3@$today" prd-3
same "diff before any collection" @ED@ diff --repo d.git prd-3@2000-01-01 prd-3
same "diff hosts with different keys" @ED@ diff --repo d.git stg-1 oth-1
same "diff --baseline bl.yaml stg-1 oth-1" @ED@ diff --repo d.git --baseline bl.yaml stg-1 oth-1
same "diff --fail-on warning (roles web, db)" @ED@ diff --repo d.git --baseline parity.yaml \
	--fail-on warning staging prod
same "diff --fail-on critical" @ED@ diff --repo d.git --baseline parity.yaml --fail-on critical staging prod
same "diff --color always" @ED@ diff --repo d.git --color always staging prod
same "diff --color never --format markdown" @ED@ diff --repo d.git --color never --format markdown staging prod
same "diff malformed pin" @ED@ diff --repo d.git --baseline bad.yaml stg-1 oth-1
same "diff unknown baseline key" @ED@ diff --repo d.git --baseline bad2.yaml stg-1 oth-1
same "diff unknown format" @ED@ diff --repo d.git --format yaml stg-1 prd-3
same "diff unknown operand" @ED@ diff --repo d.git nosuch prod
same "diff env:stg-1" @ED@ diff --repo d.git env:stg-1 prod
same "diff one operand" @ED@ diff --repo d.git prod
same "diff no repository" @ED@ diff --repo nosuch.git staging prod
same "diff with ENVDRIFT_REPO" env ENVDRIFT_REPO=d.git @ED@ diff staging prod
same "check --max-age 1s (stale hosts)" @ED@ check --repo c.git --baseline parity.yaml --max-age 1s
same "check --max-age 26h" @ED@ check --repo c.git --baseline parity.yaml --max-age 26h
same "check --fail-on critical" @ED@ check --repo c.git --baseline parity.yaml --fail-on critical
same "check --fail-on warning --format json" @ED@ check --repo c.git --baseline parity.yaml \
	--fail-on warning --format json
same "check A B without a baseline" @ED@ check --repo c.git staging prod
same "check identical hosts" @ED@ check --repo c.git prd-1 prd-2
same "check --toggle-days 0" @ED@ check --repo c.git --toggle-days 0 staging prod
same "check without operands or baseline" @ED@ check --repo c.git
same "check with a bad waivers file" @ED@ check --repo c.git --baseline bw.yaml
same "check with a bad baseline" @ED@ check --repo c.git --baseline bad3.yaml
same "report --max-age 1s" @ED@ report --repo c.git --baseline parity.yaml --max-age 1s
same "report without a baseline (every pair)" @ED@ report --repo c.git
same "report from ENVDRIFT_BASELINE" env ENVDRIFT_BASELINE=parity.yaml @ED@ report --repo c.git --format json
same "status" @ED@ status --repo d.git
same "status --format json" @ED@ status --repo c.git --format json
same "explain with a baseline" @ED@ explain --baseline parity.yaml packages:openssl:amd64
same "explain an expect rule" @ED@ explain --baseline parity.yaml sysctl-per-host:kernel.hostname
same "explain a built-in ignore" @ED@ explain files:/etc/machine-id
same "explain a sysctl class" @ED@ explain sysctl:kernel.threads-max
same "explain a malformed key" @ED@ explain nokey
same "diff --help" @ED@ diff --help

# writers: each side starts from the same copy at the same path
reset_acc() { cp "$W/parity.yaml" "$W/acc.yaml" && rm -f "$W/acc.waivers.yaml"; }
RESET=reset_acc
OUTS=acc.waivers.yaml
same "accept --env (the waivers file it writes)" @ED@ accept --baseline acc.yaml --reason "rollout" \
	--expires "$next" --env prod packages:openssl:amd64
same "accept --host with a glob" @ED@ accept --baseline acc.yaml --reason "legacy" --expires "$next" \
	--host prd-1 "packages:openssl:*"
same "accept a past date" @ED@ accept --baseline acc.yaml --reason x --expires 2001-01-01 packages:x:amd64
reset_rc() { rm -rf "$W/rc.git" && cp -a "$W/c.git" "$W/rc.git" && cp "$W/c.git.key" "$W/rc.git.key"; }
after_rc() {
	{
		git -C "$W/rc.git" rev-parse 'main^{tree}'
		git -C "$W/rc.git" log -2 --format=%B main
		git -C "$W/rc.git" ls-tree -r main:reports
	} >"$1/repo" 2>&1
}
# shellcheck disable=SC2016 # $1 is the script's own argument
printf '%s\n' '"$1" report --repo rc.git --baseline parity.yaml --commit &&' \
	'"$1" report --repo rc.git --baseline parity.yaml --commit' >"$T/report-twice.sh"
RESET=reset_rc
OUTS=
AFTER=after_rc
NORM=1
same "report --commit twice (tree, messages, reports/)" sh "$T/report-twice.sh" @ED@
same "report --commit --max-age 1s" @ED@ report --repo rc.git --baseline parity.yaml --max-age 1s --commit
RESET=
AFTER=
NORM=0

# ---------------------------------------------------------------------------
hdr "4. fleet: envdrift scan of chrooted hosts behind real sshds"
if [ "$RC_FLEET" = 1 ]; then
	# shellcheck source=tests/lib/fleet.sh
	. "$TOP/tests/lib/fleet.sh"
	FL=$(fleet_mktemp) || die "fleet_mktemp failed"
	fleet_setup "$FL" "$FLEET_HOSTS" >"$T/fleet.log" 2>&1 ||
		{ tail -n 20 "$T/fleet.log" >&2; die "fleet_setup failed"; }
	S=$((FLEET_HOSTS / 2))
	fleet_inventory "$FLEET_HOSTS" "$S" </dev/null >"$T/inv.yaml"
	printf '    unreachable:\n      hosts:\n        down1: {ansible_host: 127.0.0.250, ansible_port: 1, envdrift_env: prod}\n' |
		fleet_inventory "$FLEET_HOSTS" "$S" >"$T/inv-down.yaml"
	# some hosts differ from the others
	{ fleet_set_file "$FL" 2 /etc/motd "changed on h2" && fleet_set_sysctl "$FL" 3 vm.swappiness 7; } ||
		die "fleet_set_file failed"
	twin "$T/sold.git" "$T/snew.git"
	after_scan() {
		git -C "$T/s$(basename "$1").git" log -1 --format=%B main | sed 1d | sort >"$1/message"
	}
	W=$T
	NORM=1
	SORT_ERR=1
	AFTER=after_scan
	SCAN="scan --repo $T/s@SIDE@.git --known-hosts $FLEET_KNOWN_HOSTS -j $FLEET_HOSTS"
	# shellcheck disable=SC2086
	same "scan of $FLEET_HOSTS hosts (a first scan)" @ED@ $SCAN -i "$T/inv.yaml"
	k=1
	while [ "$k" -le "$FLEET_HOSTS" ]; do
		e=prod
		[ "$k" -le "$S" ] && e=staging
		cmp_tree "fleet tree hosts/$e/h$k:" "$T/sold.git" "$T/snew.git" "hosts/$e/h$k"
		k=$((k + 1))
	done
	# shellcheck disable=SC2086
	same "scan again, nothing changed" @ED@ $SCAN -i "$T/inv.yaml"
	# shellcheck disable=SC2086
	same "scan with an unreachable host (exit 3, the rest committed)" @ED@ $SCAN -i "$T/inv-down.yaml"
	cmp_tree "fleet tree hosts/ after the three scans:" "$T/sold.git" "$T/snew.git" hosts
	NORM=0
	SORT_ERR=0
	AFTER=
else
	result SKIP "fleet: needs root, /usr/sbin/sshd and useradd (or RC_FLEET=0 was given)"
fi

# ---------------------------------------------------------------------------
hdr "5. performance: old and new interleaved (A B A B...), $RUNS runs each after a warm-up"
# one_run SIDE KEY PREPARE ARGS...: one timed run (timeit -n 1) of ARGS
# for SIDE, PREPARE untimed before it; "cpu_ms wall_ms" to $T/perf/KEY.SIDE
one_run() {
	or_side=$1 or_key=$2
	or_prep=$(subst "$1" "$3")
	shift 3
	for a in "$@"; do
		shift
		set -- "$@" "$(subst "$or_side" "$a")"
	done
	if [ -n "$or_prep" ]; then set -- -p "$or_prep" -- "$@"; else set -- -- "$@"; fi
	"$T/timeit" -n 1 -E "$T/perf/last.err" "$@" >"$T/perf/last.out" ||
		{ sed 's/^/    /' "$T/perf/last.err"; return 1; }
	sed -n 's/.* wall_med=\([0-9.]*\) .* cpu_med=\([0-9.]*\) .*/\2 \1/p' "$T/perf/last.out" \
		>>"$T/perf/$or_key.$or_side"
}
# verdict OLD NEW: medians and interquartile ranges of the CPU column
verdict() {
	awk '
	function isort(a, n,   i, j, v) {
		for (i = 2; i <= n; i++) {
			v = a[i]
			for (j = i - 1; j >= 1 && a[j] > v; j--)
				a[j + 1] = a[j]
			a[j + 1] = v
		}
	}
	function q(a, n, p,   h, lo) { # quantile, linear between ranks
		h = (n - 1) * p + 1
		lo = int(h)
		return lo >= n ? a[n] : a[lo] + (h - lo) * (a[lo + 1] - a[lo])
	}
	FNR == 1 { f++ }
	f == 1 { oc[++no] = $1; ow[no] = $2 }
	f == 2 { nc[++nn] = $1; nw[nn] = $2 }
	END {
		isort(oc, no); isort(nc, nn); isort(ow, no); isort(nw, nn)
		om = q(oc, no, .5); nm = q(nc, nn, .5)
		oi = q(oc, no, .75) - q(oc, no, .25); ni = q(nc, nn, .75) - q(nc, nn, .25)
		spread = oi > ni ? oi : ni
		gap = nm - om
		fail = nm > om * 1.05 && gap > spread
		printf "%s CPU median old %.1f ms, new %.1f ms (%+.1f%%), spread (larger IQR) %.1f ms [old %.1f, new %.1f]; wall median old %.1f, new %.1f ms; %d runs each\n",
			(fail ? "FAIL" : "PASS"), om, nm, (om > 0 ? 100 * gap / om : 0), spread, oi, ni,
			q(ow, no, .5), q(nw, nn, .5), no
	}' "$1" "$2"
}
# figure KEY WHAT PREPARE ARGS...: a warm-up each, then RUNS rounds of
# old, new; one PASS/FAIL line
figure() {
	f_key=$1 f_what=$2 f_prep=$3
	shift 3
	for side in old new; do
		one_run "$side" "$f_key.warm" "$f_prep" "$@" ||
			{ result FAIL "perf $f_what: the $side warm-up failed"; return; }
	done
	k=0
	while [ "$k" -lt "$RUNS" ]; do
		for side in old new; do
			one_run "$side" "$f_key" "$f_prep" "$@" ||
				{ result FAIL "perf $f_what: $side run $((k + 1)) failed"; return; }
		done
		k=$((k + 1))
	done
	v=$(verdict "$T/perf/$f_key.old" "$T/perf/$f_key.new")
	[ -n "$v" ] || v="FAIL no verdict (awk failed)"
	result "${v%% *}" "perf $f_what: ${v#* }"
}
if [ "$DO_PERF" = 1 ]; then
	P2=$T/perf/p2-@SIDE@.git
	figure p2 "P2 synthetic host ($SYNTH), first collect" \
		"rm -rf $P2 $P2.key && @ED@ init --repo $P2 >/dev/null" \
		@ED@ collect -q --repo "$P2" --root "$R/synth"
	for side in old new; do
		r=$T/perf/p3-$side.git
		{ "$(bin "$side")" init --repo "$r" && "$(bin "$side")" collect -q --repo "$r" --root "$R/synth" &&
			"$(bin "$side")" collect -q --repo "$r" --root "$R/synth"; } >/dev/null 2>&1 ||
			die "P3 setup failed ($side)"
	done
	figure p3 "P3 synthetic host, unchanged re-collect" "" \
		@ED@ collect -q --repo "$T/perf/p3-@SIDE@.git" --root "$R/synth"
	if [ "$RC_FLEET" = 1 ]; then
		for side in old new; do
			r=$T/perf/fs-$side.git
			{ "$(bin "$side")" init --repo "$r" && "$(bin "$side")" scan -q --repo "$r" \
				--known-hosts "$FLEET_KNOWN_HOSTS" -j "$FLEET_HOSTS" -i "$T/inv.yaml"; } >/dev/null 2>&1 ||
				die "fleet scan setup failed ($side)"
		done
		figure scan "fleet scan of $FLEET_HOSTS hosts, unchanged re-scan" "" \
			@ED@ scan -q --repo "$T/perf/fs-@SIDE@.git" --known-hosts "$FLEET_KNOWN_HOSTS" \
			-j "$FLEET_HOSTS" -i "$T/inv.yaml"
	else
		result SKIP "perf fleet scan: no fleet"
	fi
else
	result SKIP "performance (RC_PERF=0)"
fi

# ---------------------------------------------------------------------------
hdr "summary"
np=$(grep -c '^PASS ' "$T/results")
nf=$(grep -c '^FAIL ' "$T/results")
ns=$(grep -c '^SKIP ' "$T/results")
grep '^FAIL ' "$T/results"
echo "refactor-check: old $OLD_ID, new $NEW_DESC: $np passed, $nf failed, $ns skipped ($(($(date +%s) - START)) s)"
[ "$nf" -eq 0 ] || exit 1
exit 0
