#!/bin/sh
# The HTML report in a real browser: headless Chromium loads it with no
# script errors, the matrix is there, and a hostile value stays text.
. "$(dirname "$0")/test-lib.sh"

if ! command -v chromium >/dev/null; then
	echo "# skipped: chromium is not installed (make test installs it)"
	check "skipped (no chromium)" true
	finish
	exit $?
fi
mkroot "$TMP/a"
mkdir -p "$TMP/a/etc/app"
printf 'banner: ok\n' > "$TMP/a/etc/app/f.yaml"
cp -a "$TMP/a" "$TMP/b"
printf 'banner: "<script>window.HACKED=1;alert(1)</script>"\n' > "$TMP/b/etc/app/f.yaml"
printf 'toggles:\n  files: [/etc/app/f.yaml]\n' > "$TMP/cfg.yaml"
new_repo "$TMP/state"
R="$TMP/state"
"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/a" --env staging --host s1 --config "$TMP/cfg.yaml"
"$ENVDRIFT" collect -q --repo "$R" --root "$TMP/b" --env prod --host p1 --config "$TMP/cfg.yaml"
expect_exit 1 "html report written" "$ENVDRIFT" diff --repo "$R" --format "html:$TMP/r.html" staging prod
run_chromium() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$TMP/profile" --enable-logging=stderr --v=0 \
		--dump-dom "file://$1"
}
if run_chromium "$TMP/r.html" > "$TMP/dom.html" 2> "$TMP/console.txt"; then
	pass "chromium loads the page"
else
	fail "chromium loads the page"
	sed 's/^/#   /' "$TMP/console.txt" | tail -5
fi
expect_no_grep "no script errors" "Uncaught|CONSOLE.*Error" "$TMP/console.txt"
expect_grep "the matrix is present" 'id="matrix"' "$TMP/dom.html"
expect_grep "the drifting toggle is a row" "toggles" "$TMP/dom.html"
expect_grep "the hostile value is text" "&lt;script&gt;window\\.HACKED=1" "$TMP/dom.html"
expect_no_grep "and no script element came from it" "<script>window\\.HACKED" "$TMP/dom.html"
# the check above would catch a real error: a page with one is reported
printf '<html><body><script>nosuchfn();</script></body></html>' > "$TMP/bad.html"
run_chromium "$TMP/bad.html" > /dev/null 2> "$TMP/console-bad.txt"
expect_grep "an error on a page is seen (the probe works)" "Uncaught" "$TMP/console-bad.txt"
finish
