# envdrift's remote script: what a fleet scan runs on every host
# (collector/fleet/remote.h). It never changes; the controller runs
#     [sudo -n] /bin/sh -c 'exec xargs -0 -s 2000000 /bin/sh -c "$1" envdrift'
#         envdrift 'THIS SCRIPT'
# and writes the request on standard input, where xargs turns its
# NUL-terminated records into this script's arguments: no path or argument
# of the request is ever read as shell code or split into words, and its
# size is bounded only by the system's argument space (-s), not by the
# 128 KiB a single argument may hold.
#
# The request (collector/fleet/remote_request.c): "envdrift-request-1",
# the number of records, then these sections, each a count and as many
# records:
#   paths       listed themselves (a directory's entries are not)
#   trees       listed with everything below them
#   proc paths  /proc files whose contents are sent (grep, no descent)
#   proc trees  /proc trees whose files' contents are sent (grep -r)
#   commands    each a count and as many records (run_cmd below)
#   filters     two records each: a file, the ERE its sent lines match
#   tar paths   sent whole when regular files (tar, no descent)
#   tar trees   whose regular files are sent whole
# The answer (collector/fleet/remote_decode.c): "ENVDRIFT-STREAM 1" and
# the sections @list, @proc, @cmd, @file, @tar, @done. Nothing is hashed or
# parsed here; the controller's collectors do that.
#
# Tools: GNU find (-printf, -readable), GNU grep (-r, -Z, -d skip), GNU
# tar (--format=gnu, --no-recursion), xargs -0; timeout(1) where there.

LC_ALL=C
export LC_ALL
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# xargs runs us more than once when the request outgrows -s: refuse that
if [ "${1-}" != envdrift-request-1 ] || [ "${2-}" != "$#" ]; then
	echo "envdrift: no request on standard input, or one too large for xargs" >&2
	exit 2
fi
shift 2

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

# Listing: "R T MODE UID GID SIZE MTIME\0PATH\0LINK\0" per entry, R being r
# (readable by us) or u and T find's %y.
list() {
	[ "$#" -gt 0 ] || return 0
	find "$@" -maxdepth 0 \( -readable -printf r -o -printf u \) \
		-printf '%y %m %U %G %s %T@\0%p\0%l\0' 2>/dev/null
}

walk() {
	[ "$#" -gt 0 ] || return 0
	find "$@" \( -readable -printf r -o -printf u \) \
		-printf '%y %m %U %G %s %T@\0%p\0%l\0' 2>/dev/null
}

# /proc and /sys files, as "PATH\0LINE\n" per line: tar would store them
# empty. Paths are not descended into (/proc and /proc/net are among them).
# A /sys record is a pattern, expanded here (/sys/class/net/*/address: one
# file per interface, whose names the request cannot know); IFS empty
# expands it without splitting it, and a pattern that matches nothing
# stays itself, which grep skips as missing.
grep_paths() {
	[ "$#" -gt 0 ] || return 0
	gp_n=$#
	gp_ifs=$IFS
	IFS=
	while [ "$gp_n" -gt 0 ]; do
		# shellcheck disable=SC2086 # globbing is the point
		case $1 in
		/sys/*) set -- "$@" $1 ;;
		*) set -- "$@" "$1" ;;
		esac
		shift
		gp_n=$((gp_n - 1))
	done
	IFS=$gp_ifs
	[ "$#" -gt 0 ] || return 0
	grep -a -d skip -H -Z '' "$@" 2>/dev/null
}

grep_trees() {
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
# already says so.
send_tar() {
	refs=" --no-recursion"
	add_refs 2 "$(($1 + 1))"
	refs="$refs --recursion"
	add_refs "$(($1 + 3))" "$#"
	eval "set -- $refs"
	[ "$#" -gt 2 ] || return 0
	tar -c -f - --format=gnu --hard-dereference "$@" 2>/dev/null
}

printf 'ENVDRIFT-STREAM 1\n@list\n'
n=$1; shift; first "$n" list "$@"; shift "$n"
n=$1; shift; first "$n" walk "$@"; shift "$n"
printf '@end\0@proc\n'
n=$1; shift; first "$n" grep_paths "$@"; shift "$n"
n=$1; shift; first "$n" grep_trees "$@"; shift "$n"
printf '@end\n'

cmd_nr=$1
shift
cmd_i=0
while [ "$cmd_i" -lt "$cmd_nr" ]; do
	n=$1; shift; first "$n" run_cmd "$@"; shift "$n"
	cmd_i=$((cmd_i + 1))
done
n=$1
shift
while [ "$n" -gt 0 ]; do
	filter "$1" "$2"
	shift 2
	n=$((n - 1))
done

printf '@tar\n'
send_tar "$@"
printf '@done\n'
