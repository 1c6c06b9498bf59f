#!/bin/sh
# Read commands with --repo URL: a bare cache of main under
# $XDG_CACHE_HOME/envdrift (else ~/.cache/envdrift), made 0700, named by
# the SHA-256 of the normalised URL, fetched by the git client under a
# flock; the same answers as the local repository; --offline; a failing
# URL is exit 2 in one line without its userinfo; concurrent first runs
# share one cache; nothing is written to the remote.
. "$(dirname "$0")/test-lib.sh"

mkroot "$TMP/a"
cp -a "$TMP/a" "$TMP/b"
sed -i '/^Package: openssl$/,/^$/ s/^Version: .*/Version: 3.0.13-1~deb12u1/' "$TMP/b/var/lib/dpkg/status"
R="$TMP/state"
new_repo "$R"
col() { "$ENVDRIFT" collect -q --repo "$R" --root "$1" --env "$2" --host "$3" --role web; }
col "$TMP/a" staging stg-1
col "$TMP/b" prod prd-1
URL="file://$R"
export XDG_CACHE_HOME="$TMP/xdg"
NAME=$(printf %s "$URL" | sha256sum | cut -c1-64)
C="$XDG_CACHE_HOME/envdrift"
# the remote's refs and files, to show no read command writes there
remote_state() { (cd "$R" && find . -type f ! -name '*.lock' | sort | xargs cat | sha256sum); }
BEFORE=$(remote_state)
# caches DIR: the cache directories in DIR (not the lock files), sorted
caches() { find "$1" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort; }
# same DESC FILE: the last command's stdout is FILE's bytes
same() { cp "$TMP/out" "$TMP/got"; check "$1" cmp "$TMP/got" "$2"; }

# a plain path is read where it is: no cache
expect_exit 0 "status --repo PATH" "$ENVDRIFT" status --repo "$R"
cp "$TMP/out" "$TMP/status.local"
expect_eq "a plain path makes no cache" no "$([ -e "$C" ] && echo yes || echo no)"

expect_exit 0 "status --repo file:// URL" "$ENVDRIFT" status --repo "$URL"
same "... the same output as the local repository" "$TMP/status.local"
expect_eq "cache directory mode 0700" 700 "$(stat -c %a "$C")"
expect_eq "cache named by the SHA-256 of the normalised URL" "$NAME" "$(caches "$C")"
expect_eq "it is a bare repository holding main" "$(git -C "$R" rev-parse main)" \
	"$(git --git-dir="$C/$NAME" rev-parse refs/heads/main)"
expect_eq "... and no other ref" "refs/heads/main" "$(git --git-dir="$C/$NAME" for-each-ref --format='%(refname)')"
check "git fsck --strict of the cache" git --git-dir="$C/$NAME" fsck --strict --no-progress

# other spellings of the URL share the cache; userinfo is never kept or printed
expect_exit 0 "status --repo with userinfo and a trailing slash" \
	"$ENVDRIFT" status --repo "file://reader:s3cr3t@$R//"
same "... same output" "$TMP/status.local"
expect_eq "... same cache" 1 "$(caches "$C" | wc -l)"
expect_eq "no secret in the cache" "" "$(grep -rl s3cr3t "$C" 2>/dev/null)"

# the other read commands give the local answers
for cmd in "check prod staging" "diff staging prod" "report --format json" \
	"explain --host prd-1 packages:openssl:amd64"; do
	# shellcheck disable=SC2086
	"$ENVDRIFT" $cmd --repo "$R" >"$TMP/local.out" 2>/dev/null
	want=$?
	# shellcheck disable=SC2086
	expect_exit "$want" "$cmd --repo URL: exit $want as with the path" "$ENVDRIFT" $cmd --repo "$URL"
	same "... same output" "$TMP/local.out"
done
sleep 2
expect_exit 2 "check --max-age 1s --repo URL (a shallow fetch)" \
	"$ENVDRIFT" check --repo "$URL" --max-age 1s prod staging
expect_grep "... stale hosts counted" "^check: ERROR: 2 hosts not collected within --max-age" "$TMP/err"
expect_exit 2 "report --commit refuses a URL" "$ENVDRIFT" report --repo "$URL" --commit
expect_grep "... saying why" "give a local --repo DIR, not a URL" "$TMP/err"

# a new commit: fetched, unless --offline
col "$TMP/a" staging stg-2
BEFORE=$(remote_state)
expect_exit 0 "status --offline reads the cache as it is" "$ENVDRIFT" status --repo "$URL" --offline
expect_no_grep "... without the new host" "stg-2" "$TMP/out"
expect_exit 0 "status fetches" "$ENVDRIFT" status --repo "$URL"
expect_grep "... the new host" "^staging +stg-2 " "$TMP/out"
expect_exit 0 "status --max-age: a shallow fetch into the cache" "$ENVDRIFT" status --repo "$URL" --max-age 26h
expect_grep "... still every host" "^staging +stg-2 " "$TMP/out"

# --offline without a cache; failing URLs
expect_exit 2 "--offline without a cache is an error" \
	env XDG_CACHE_HOME="$TMP/empty" "$ENVDRIFT" status --repo "$URL" --offline
expect_grep "... saying so" "^envdrift: file://$R: no cached copy" "$TMP/err"
expect_exit 2 "a missing repository is exit 2" "$ENVDRIFT" status --repo "file://reader:s3cr3t@$TMP/nope"
expect_eq "... in one line" 1 "$(wc -l <"$TMP/err")"
expect_grep "... naming the URL without userinfo" "^envdrift: file://$TMP/nope: cannot fetch main: " "$TMP/err"
expect_no_grep "... no password" "s3cr3t|reader" "$TMP/err"
expect_eq "... and no cache left behind" "" "$(caches "$C" | grep -v "^$NAME\$")"
expect_exit 2 "an unreachable https server is exit 2" \
	"$ENVDRIFT" check --repo "https://reader:s3cr3t@127.0.0.1:9/state.git" prod staging
expect_eq "... in one line" 1 "$(wc -l <"$TMP/err")"
expect_grep "... naming the URL without userinfo" "^envdrift: https://127.0.0.1:9/state.git: cannot fetch main: " "$TMP/err"
expect_no_grep "... no password" "s3cr3t|reader" "$TMP/err"
expect_exit 2 "a repository without main is exit 2" "$ENVDRIFT" status --repo "file://$TMP/empty.git" \
	--offline
git init -q --bare "$TMP/empty.git"
expect_exit 2 "a remote without main is exit 2" "$ENVDRIFT" status --repo "file://$TMP/empty.git"
expect_grep "... saying what is missing" "cannot fetch main: .*main" "$TMP/err"

# without XDG_CACHE_HOME: ~/.cache/envdrift
expect_exit 0 "status with HOME's cache" env -u XDG_CACHE_HOME "$ENVDRIFT" status --repo "$URL"
expect_eq "HOME/.cache/envdrift/NAME" "$NAME" "$(caches "$HOME/.cache/envdrift")"
expect_eq "HOME/.cache/envdrift is 0700" 700 "$(stat -c %a "$HOME/.cache/envdrift")"

# parallel first runs on an empty cache share it safely
P="$TMP/par"
i=1
while [ $i -le 4 ]; do
	XDG_CACHE_HOME="$P" "$ENVDRIFT" status --repo "$URL" >"$TMP/par.$i.out" 2>"$TMP/par.$i.err" &
	eval "pid$i=\$!"
	i=$((i + 1))
done
"$ENVDRIFT" status --repo "$R" >"$TMP/status.local"
i=1
while [ $i -le 4 ]; do
	eval "wait \$pid$i"
	expect_eq "concurrent status $i: exit 0" "0" "$?"
	check "concurrent status $i: the local output" cmp "$TMP/par.$i.out" "$TMP/status.local"
	expect_eq "concurrent status $i: nothing on stderr" "" "$(cat "$TMP/par.$i.err")"
	i=$((i + 1))
done
expect_eq "one cache, no temporary left" "$NAME" "$(caches "$P/envdrift")"
check "git fsck --strict of the shared cache" git --git-dir="$P/envdrift/$NAME" fsck --strict --no-progress

expect_eq "no read command wrote to the remote" "$BEFORE" "$(remote_state)"

# --max-age cuts the fetched history at max-age plus a day: the same three
# collections, re-dated 10 days, 5 days and 0 days ago
OLD="$TMP/old.git"
git init -q --bare "$OLD"
prev=
age=10
for c in $(git -C "$R" rev-list --reverse main); do
	d=$(($(date +%s) - age * 86400))
	git -C "$R" cat-file commit "$c" | sed '1,/^$/d' >"$TMP/msg"
	prev=$(GIT_COMMITTER_DATE="@$d" GIT_AUTHOR_DATE="@$d" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
		GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t \
		git -C "$R" commit-tree "$c^{tree}" ${prev:+-p "$prev"} -F "$TMP/msg")
	age=$((age - 5))
done
git -C "$R" push -q "$OLD" "$prev:refs/heads/main"
SC="$TMP/shallow/envdrift/$(printf %s "file://$OLD" | sha256sum | cut -c1-64)"
export XDG_CACHE_HOME="$TMP/shallow"
expect_exit 0 "status --max-age 1d of an old history" "$ENVDRIFT" status --repo "file://$OLD" --max-age 1d
expect_eq "... fetched one commit of three" 1 "$(git --git-dir="$SC" rev-list --count main)"
expect_grep "... the recent host with its date" "^staging +stg-2 +20[0-9-]+T" "$TMP/out"
expect_grep "... older ones past the cut" "^prod +prd-1 +not seen since 20" "$TMP/out"
expect_exit 2 "check --max-age 1d on the cut history: stale hosts" "$ENVDRIFT" check --repo "file://$OLD" --max-age 1d prod staging
expect_grep "... the two old ones" "^check: ERROR: 2 hosts not collected within --max-age" "$TMP/err"
expect_exit 0 "status --max-age 7d deepens the cache" "$ENVDRIFT" status --repo "file://$OLD" --max-age 7d
expect_eq "... to two commits" 2 "$(git --git-dir="$SC" rev-list --count main)"
expect_grep "... prd-1 collected 5 days ago" "^prod +prd-1 +20[0-9-]+T" "$TMP/out"
expect_exit 0 "status without --max-age fetches all of it" "$ENVDRIFT" status --repo "file://$OLD"
expect_eq "... three commits" 3 "$(git --git-dir="$SC" rev-list --count main)"
expect_eq "... no longer shallow" no "$([ -e "$SC/shallow" ] && echo yes || echo no)"
expect_grep "... every host collected" "^staging +stg-1 +20[0-9-]+T" "$TMP/out"
check "git fsck --strict of the unshallowed cache" git --git-dir="$SC" fsck --strict --no-progress
fsck_ok "$R"
finish
