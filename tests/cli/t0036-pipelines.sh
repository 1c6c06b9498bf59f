#!/bin/sh
# The pipeline examples of the README (doc/pipelines/*.yml): valid YAML,
# and the envdrift commands they run, run as written against a state
# repository read by URL: the gate fails on drift and passes without, its
# JUnit file is valid, the report the comment step posts is the file it
# wrote and fits a comment. The install step names every build package.
. "$(dirname "$0")/test-lib.sh"
: "${ENVDRIFT_YAMLSCALARS:?set ENVDRIFT_YAMLSCALARS to tests/tools/yamlscalars}"
DOC=$TESTS_DIR/../../doc/pipelines
MAKEFILE=$TESTS_DIR/../../Makefile

R="$TMP/state"
mkroot "$TMP/root"
new_repo "$R"
new_repo "$TMP/clean"
for r in "$R" "$TMP/clean"; do
	"$ENVDRIFT" collect -q --repo "$r" --root "$TMP/root" --env staging --host s1
done
"$ENVDRIFT" collect -q --repo "$TMP/clean" --root "$TMP/root" --env prod --host p1
echo "vm.swappiness = 10" >>"$TMP/root/etc/sysctl.conf"
"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/root" --env prod --host p1
mkdir -p "$TMP/bin" "$TMP/job/ops"
ln -s "$ENVDRIFT" "$TMP/bin/envdrift"
printf 'parity:\n  - environments: [staging, prod]\n' >"$TMP/job/ops/parity.yaml"

# run_lines FILE: the envdrift command lines of FILE's scripts, as the
# runner would run them (in the job's directory, envdrift on PATH)
commands() {
	"$ENVDRIFT_YAMLSCALARS" "$1" |
		awk -F'\t' '$1 ~ /(^|\.)(script|before_script)\.[0-9]+$|\.run$/ { print $2 }' |
		sed 's/\\n/\n/g' | grep '^envdrift '
}
STATE=$R
run_job() { # FILE TAG: every envdrift line; statuses to $TMP/TAG.rc
	: >"$TMP/$2.rc"
	commands "$1" >"$TMP/$2.cmds"
	while IFS= read -r line; do
		(cd "$TMP/job" && PATH="$TMP/bin:$PATH" ENVDRIFT_STATE="file://$STATE" \
			XDG_CACHE_HOME="$TMP/cache" sh -c "$line" >"$TMP/$2.out" 2>&1)
		echo "$? ${line%% --*}" >>"$TMP/$2.rc"
	done <"$TMP/$2.cmds"
}

for f in gitlab-ci github-actions; do
	check "$f.yml is valid YAML" "$ENVDRIFT_YAMLSCALARS" "$DOC/$f.yml"
	run_job "$DOC/$f.yml" "$f"
	expect_eq "$f: a gate and a report command" "$(wc -l <"$TMP/$f.cmds" | tr -d ' ')" "2"
	expect_grep "$f: the gate fails on drift (exit 1)" "^1 envdrift check$" "$TMP/$f.rc"
	expect_grep "$f: the report runs (exit 0)" "^0 envdrift report$" "$TMP/$f.rc"
	check "$f: the JUnit file is valid XML" xmllint --noout "$TMP/job/drift.xml"
	expect_grep "$f: the JUnit file names the drift" "<testcase " "$TMP/job/drift.xml"
	expect_grep "$f: the markdown report has its table" "^\| " "$TMP/job/drift.md"
	size=$(wc -c <"$TMP/job/drift.md")
	expect_eq "$f: the report fits a comment (<= 60,000 bytes)" "$([ "$size" -le 60000 ] && echo yes)" "yes"
	"$ENVDRIFT_YAMLSCALARS" "$DOC/$f.yml" >"$TMP/$f.scalars"
	expect_grep "$f: the comment posts the report it wrote" "drift\.md" "$TMP/$f.scalars"
	for p in $(awk '/^DEB_DEPS :=/ { on = 1; sub(/^DEB_DEPS :=/, "") } on { c = sub(/\\$/, ""); print; if (!c) on = 0 }' "$MAKEFILE" |
		tr ' \t' '\n\n' | grep -e '-dev$' -e '^pkg-config$' -e '^build-essential$' -e '^git$' | grep -v cmocka); do
		expect_grep "$f: the install step has $p" "install .*[ ]$p( |\\\\n|$)" "$TMP/$f.scalars"
	done
	rm -f "$TMP/job/drift.xml" "$TMP/job/drift.md"
done

# without drift the gate passes
STATE=$TMP/clean
run_job "$DOC/gitlab-ci.yml" clean
expect_grep "no drift: the gate passes (exit 0)" "^0 envdrift check$" "$TMP/clean.rc"
finish
