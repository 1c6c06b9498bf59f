# envdrift's remote script: what a fleet scan runs on every host
# (collector/fleet/remote.h). It never changes; the controller runs
#     [sudo -n] /bin/sh -c 'THIS SCRIPT' envdrift
# and writes the first request on its standard input: a line
# "envdrift-request-2 N", N lines of one record each, and a line
# "envdrift-request-end". The script reads them itself with read -r (no
# other process: on a host where starting one costs milliseconds, the
# wrapper's head and xargs and a second shell were a fifth of an
# unchanged host's work) into its arguments, so no path or argument of
# the request is ever read as shell code or split into words. A record's
# bytes outside printable ASCII, and its backslashes, come as \0ooo
# (octal), which printf %b turns back. read(1) takes no byte past its
# line from a pipe, so what follows on standard input is the second
# request, which the controller writes once it has read the listing.
#
# The first request's records (collector/fleet/remote_request.c), in
# sections, each a count and as many records:
#   paths       listed themselves (a directory's entries are not)
#   trees       listed with everything below them
#   proc paths  /proc files whose contents are sent (grep, no descent)
#   proc trees  /proc trees whose files' contents are sent (grep -r)
#   commands    each a count and as many records (run_cmd below)
#   filters     two records each: a file, the ERE its sent lines match
#   tar paths   sent whole when regular files (tar, no descent)
#   tar trees   whose regular files are sent whole
# The second request (collector/fleet/remote_session.c), read after the
# commands ran: one line "a" (send every filtered file and the tar
# sections above: a full scan), or "l COUNT SEL" where SEL holds one 0 or
# 1 per filter (1: send it) and COUNT NUL-terminated paths follow, the
# regular files to send whole, which tar reads itself (-T), never the
# shell. No line (the controller hung up) ends the script with status 2.
# The answer (collector/fleet/remote_decode.c): "ENVDRIFT-STREAM 2", the
# host's clock, and the sections @list, @proc, @cmd, @file, @tar, @done.
# Nothing is hashed or parsed here; the controller's collectors do that.
#
# Tools: GNU find (-printf, -readable), GNU grep (-r, -Z), GNU
# tar (--format=gnu, --no-recursion, --null -T), GNU date (%N); printf
# and read as sh has them; timeout(1) where there.

LC_ALL=C
export LC_ALL
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# The first request, whole and well-framed, before anything is written:
# a request cut short or miscounted fails the host, never looks empty.
bad_request() {
	echo "envdrift: no request on standard input, or a malformed one" >&2
	exit 2
}
IFS= read -r rq_line || bad_request
case $rq_line in
"envdrift-request-2 "[0-9]*) ;;
*) bad_request ;;
esac
rq_n=${rq_line#envdrift-request-2 }
case $rq_n in
*[!0-9]*) bad_request ;;
esac
set --
while [ "$rq_n" -gt 0 ]; do
	IFS= read -r rq_line || bad_request
	case $rq_line in
	*\\*)
		rq_line=$(printf '%bx' "$rq_line")
		rq_line=${rq_line%x} ;;
	esac
	set -- "$@" "$rq_line"
	rq_n=$((rq_n - 1))
done
IFS= read -r rq_line || bad_request
[ "$rq_line" = envdrift-request-end ] || bad_request

# add_refs FROM TO: append ' "${FROM}" ... "${TO}"' to $refs, for eval:
# references this script counts out, never a request record, so that
# "set --" keeps a slice of the arguments in one step, not one at a time.
add_refs() {
	rf_i=$1
	while [ "$rf_i" -le "$2" ]; do
		refs="$refs \"\${$rf_i}\""
		rf_i=$((rf_i + 1))
	done
}

# first N FUNCTION ARG...: run FUNCTION with the first N ARGs as its
# arguments.
first() {
	fn_f=$2
	refs=
	add_refs 3 "$(($1 + 2))"
	eval "set -- $refs"
	"$fn_f" "$@"
}

# Listing: "R T MODE UID GID SIZE MTIME CTIME INODE DEVICE\0PATH\0LINK\0"
# per entry, R being r (readable by us) or u and T find's %y: the stat key
# the controller's cache compares.
list() {
	[ "$#" -gt 0 ] || return 0
	find "$@" -maxdepth 0 \( -readable -printf r -o -printf u \) \
		-printf '%y %m %U %G %s %T@ %C@ %i %D\0%p\0%l\0' 2>/dev/null
}

walk() {
	[ "$#" -gt 0 ] || return 0
	find "$@" \( -readable -printf r -o -printf u \) \
		-printf '%y %m %U %G %s %T@ %C@ %i %D\0%p\0%l\0' 2>/dev/null
}

# /proc and /sys files, as "PATH\0LINE\n" per line: tar would store them
# empty. Its arguments are two counted lists: paths, which are not
# descended into (/proc and /proc/net are among them), then trees, whose
# files are all read. One grep reads both (a process less on every host):
# the paths that are directories are dropped here, which is what -d skip
# would do. A /sys record is a pattern, expanded here
# (/sys/class/net/*/address: one file per interface, whose names the
# request cannot know); IFS empty expands it without splitting it, and a
# pattern that matches nothing stays itself, which grep skips as missing.
grep_proc() {
	gp_n=$1
	shift
	gp_ifs=$IFS
	IFS=
	while [ "$gp_n" -gt 0 ]; do
		# shellcheck disable=SC2086 # globbing is the point
		case $1 in
		/sys/*) for gp_f in $1; do [ -d "$gp_f" ] || set -- "$@" "$gp_f"; done ;;
		*) [ -d "$1" ] || set -- "$@" "$1" ;;
		esac
		shift
		gp_n=$((gp_n - 1))
	done
	IFS=$gp_ifs
	gp_n=$1
	shift
	while [ "$gp_n" -gt 0 ]; do
		set -- "$@" "$1"
		shift
		gp_n=$((gp_n - 1))
	done
	[ "$#" -gt 0 ] || return 0
	grep -a -r -H -Z '' "$@" 2>/dev/null
}

# One command, as "@cmd I STATUS LENGTH PROGRAM\n" and its output, or
# "@cmd I 0 0 -\n" when it is not run ($cmd_i is I). Its records: "x" to
# run the first of its candidates that is executable, "e" the first that
# exists (so one that is not executable fails as it would locally); the
# seconds timeout(1) gives it (0: no limit); then three counted lists:
# the candidates for argv[0], paths one of which must exist (none: no
# condition), environment assignments; the rest are its arguments.
run_cmd() {
	rc_mode=$1
	rc_time=$2
	shift 2
	rc_prog=
	rc_n=$1
	shift
	while [ "$rc_n" -gt 0 ]; do
		if [ -z "$rc_prog" ]; then
			if [ "$rc_mode" = e ] && [ -e "$1" ]; then
				rc_prog=$1
			elif [ "$rc_mode" = x ] && [ -x "$1" ]; then
				rc_prog=$1
			fi
		fi
		rc_n=$((rc_n - 1))
		shift
	done
	rc_n=$1
	shift
	rc_when=$rc_n
	while [ "$rc_n" -gt 0 ]; do
		if [ -e "$1" ]; then
			rc_when=0
		fi
		rc_n=$((rc_n - 1))
		shift
	done
	if [ -z "$rc_prog" ] || [ "$rc_when" -gt 0 ]; then
		printf '@cmd %s 0 0 -\n' "$cmd_i"
		return 0
	fi
	# "x$?" after the output keeps its trailing newlines and gives the status
	rc_out=$(
		rc_n=$1
		shift
		while [ "$rc_n" -gt 0 ]; do
			export "${1?}"
			rc_n=$((rc_n - 1))
			shift
		done
		if [ "$rc_time" -gt 0 ] && command -v timeout >/dev/null 2>&1; then
			set -- timeout -k 5 "$rc_time" "$rc_prog" "$@"
		else
			set -- "$rc_prog" "$@"
		fi
		"$@" </dev/null 2>/dev/null
		echo "x$?"
	)
	rc_status=${rc_out##*x}
	rc_out=${rc_out%x*}
	printf '@cmd %s %s %s %s\n' "$cmd_i" "$rc_status" "${#rc_out}" "$rc_prog"
	printf '%s' "$rc_out"
}

# A file sent filtered, as "@file LENGTH PATH\n" and the matching lines.
filter() {
	if [ ! -f "$1" ] || [ ! -r "$1" ]; then
		return 0
	fi
	fl_out=$(grep -a -i -E -e "$2" -- "$1" 2>/dev/null; echo "x$?")
	fl_status=${fl_out##*x}
	fl_out=${fl_out%x*}
	# grep says 1 for no line at all, 2 for an error: then no @file
	if [ "$fl_status" -lt 2 ]; then
		printf '@file %s %s\n' "${#fl_out}" "$1"
		printf '%s' "$fl_out"
	fi
}

# tar of the files sent whole; its arguments are the last two sections:
# paths, each one archive entry (--no-recursion), then trees (--recursion).
# tar walks the trees itself (one walk of /etc, no find feeding it).
# Unreadable files are skipped with a message (discarded): the listing
# already says so. tar's own 10 KiB records: a full scan's archive in
# few writes, at most 10 KiB of padding.
send_tar() {
	refs=" --no-recursion"
	add_refs 2 "$(($1 + 1))"
	refs="$refs --recursion"
	add_refs "$(($1 + 3))" "$#"
	eval "set -- $refs"
	[ "$#" -gt 2 ] || return 0
	tar -c -f - --format=gnu --hard-dereference "$@" 2>/dev/null
}

# The files the second request names, read by tar from standard input:
# absolute paths all, so none is taken for an option (no need for tar
# 1.29's --verbatim-files-from).
send_listed() {
	tar -c -f - -b 1 --format=gnu --hard-dereference --no-recursion \
		--null -T - 2>/dev/null
}

printf 'ENVDRIFT-STREAM 2\n@clock %s\n@list\n' "$(date +%s.%N)"
n=$1; shift; first "$n" list "$@"; shift "$n"
n=$1; shift; first "$n" walk "$@"; shift "$n"
printf '@end\0'
printf '@proc\n'
# both counted lists at once: the paths' count, paths, the trees' count, trees
n=$1
m=0
eval "m=\${$((n + 2))}"
n=$((n + m + 2))
first "$n" grep_proc "$@"
shift "$n"
printf '@end\n'

cmd_nr=$1
shift
cmd_i=0
while [ "$cmd_i" -lt "$cmd_nr" ]; do
	n=$1; shift; first "$n" run_cmd "$@"; shift "$n"
	cmd_i=$((cmd_i + 1))
done

# the second request: digits and 0/1 only, checked before any use
if ! IFS=' ' read -r mode count sel; then
	echo "envdrift: the second request did not come" >&2
	exit 2
fi
case $mode:$count:$sel in
a::) sel= ;;
l:[0-9]*:*) ;;
*) mode=bad ;;
esac
case $count$sel in
*[!0-9]*) mode=bad ;;
esac
if [ "$mode" = bad ]; then
	echo "envdrift: malformed second request" >&2
	exit 2
fi
n=$1
shift
while [ "$n" -gt 0 ]; do
	if [ "$mode" = a ] || [ "${sel%"${sel#?}"}" = 1 ]; then
		filter "$1" "$2"
	fi
	sel=${sel#?}
	shift 2
	n=$((n - 1))
done

printf '@tar\n'
if [ "$mode" = a ]; then
	send_tar "$@"
elif [ "$count" -gt 0 ]; then
	send_listed
fi
printf '@done\n'
