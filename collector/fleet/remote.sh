# envdrift's remote script: what a fleet scan runs on every host
# (collector/fleet/remote.h). It never changes; the controller runs
#     exec [sudo -n] /bin/sh -c 'THIS SCRIPT' envdrift
# and writes the first request on its standard input: a line
# "envdrift-request-3 N", N lines of one record each, and a line
# "envdrift-request-end". The script reads them itself with read -r (no
# other process: on a host where starting one costs milliseconds, the
# wrapper's head and xargs and a second shell were a fifth of an
# unchanged host's work) into its arguments, so no path or argument of
# the request is ever read as shell code or split into words. A record's
# bytes outside printable ASCII, and its backslashes, come as \0ooo
# (octal), which printf %b turns back. read(1) takes no byte past its
# line from a pipe, so what follows on standard input is the second
# request, which the controller writes once it has read the listing.
# read(1) reads a byte at a time, about 2 us each on a VM: the first
# request carries only what every scan needs.
#
# The first request's records (collector/fleet/remote_request.c), in
# sections, each a count and as many records:
#   listing     how the single paths go ("rx" or "-"), the count of
#               trees, the trees (listed with everything below them:
#               the files walk's, and keyed commands' directories), the
#               single paths (listed themselves): list below
#   proc paths  /proc files whose contents are sent (grep, no descent)
#   proc trees  /proc trees whose files' contents are sent (grep -r)
#   commands    those every scan runs, each a count and as many records
#               (run_cmd below)
# The second request (collector/fleet/remote_session.c), read after the
# commands ran: a line "a" (a full scan) or "l COUNT", then a block
# "envdrift-more N" framed as the first request, of sections: the keyed
# commands to run (rpm -qa, when its database changed: remote_cmd.c),
# the filtered files to send (two records each: a file, the ERE its sent
# lines match) and, with "a", two more: paths sent whole when regular
# files (tar, no descent), trees whose regular files are sent whole.
# After "l COUNT" and its block come COUNT NUL-terminated paths, the
# regular files to send whole, which tar reads itself (-T), never the
# shell. No line (the controller hung up) ends the script with status 2.
# The answer (collector/fleet/remote_decode.c): "ENVDRIFT-STREAM 3" and
# the sections @list, @proc, @cmd (every-scan commands, then keyed ones),
# @file, @tar, @done. Nothing is hashed or parsed here; the controller's
# collectors do that.
#
# Tools: GNU find (-printf, -readable, -regex, -newermt with a relative
# date), GNU grep (-r, -Z), GNU tar (--format=gnu, --no-recursion,
# --null -T); printf and read as sh has them; timeout(1) where there.

LC_ALL=C
export LC_ALL
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# read_request TAG: a request block, whole and well-framed, before
# anything is written: a line "TAG N", N records and a line
# "envdrift-request-end"; the records into rq_1..rq_N, and $refs the
# references that "eval set -- $refs" makes them the arguments with (a
# function cannot set the script's). A block cut short or miscounted
# fails the host, never looks empty.
bad_request() {
	echo "envdrift: no request on standard input, or a malformed one" >&2
	exit 2
}
read_request() {
	IFS= read -r rq_line || bad_request
	case $rq_line in
	"$1 "[0-9]*) ;;
	*) bad_request ;;
	esac
	rq_n=${rq_line#"$1 "}
	case $rq_n in
	*[!0-9]*) bad_request ;;
	esac
	rq_i=0
	refs=
	while [ "$rq_i" -lt "$rq_n" ]; do
		IFS= read -r rq_line || bad_request
		case $rq_line in
		*\\*)
			rq_line=$(printf '%bx' "$rq_line")
			rq_line=${rq_line%x} ;;
		esac
		rq_i=$((rq_i + 1))
		eval "rq_$rq_i=\$rq_line"
		refs="$refs \"\${rq_$rq_i}\""
	done
	IFS= read -r rq_line || bad_request
	[ "$rq_line" = envdrift-request-end ] || bad_request
}
read_request envdrift-request-3
eval "set -- $refs"

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

# Listing: "R Y T MODE UID GID SIZE MTIME CTIME INODE DEVICE\0PATH\0LINK\0"
# per entry, R being r (readable by us) or u, Y y when it changed within
# two seconds of find's start by this host's clock (racy: its stat key
# cannot tell a change made in the same clock tick) or n, T find's %y:
# the stat key the controller's cache compares.
# entries HOW START...: list START... and, HOW being walk, everything
# below them; self, not below them; prune, everything below them but the
# directories the next argument (an ERE) matches (find -regex: the whole
# path). R is r for every symlink: what a link points to is not read.
entries() {
	en_how=$1
	shift
	case $en_how in
	prune)
		en_rx=$1
		shift
		set -- "$@" \( -type d -regextype posix-extended -regex "$en_rx" -prune -o -true \) ;;
	self) set -- "$@" -maxdepth 0 ;;
	esac
	find "$@" \( -type l -printf r -o -readable -printf r -o -printf u \) \
		\( \( -newermt '2 seconds ago' -o -newerct '2 seconds ago' \) -printf y -o -printf n \) \
		-printf '%y %m %U %G %s %T@ %C@ %i %D\0%p\0%l\0' 2>/dev/null
}

# unbracket STRING: into $ub, STRING with each "[C]" made C
unbracket() {
	ub=
	ub_r=$1
	while :; do
		case $ub_r in
		*\[?\]*)
			ub=$ub${ub_r%%\[*}
			ub_r=${ub_r#*\[}
			ub=$ub${ub_r%"${ub_r#?}"}
			ub_r=${ub_r#??} ;;
		*)
			ub=$ub$ub_r
			return 0 ;;
		esac
	done
}

# list HOW TREES PATH...: the first TREES paths walked, the others listed
# themselves. HOW "rx": one find for all (a process less on every host),
# the single paths written as EREs (each special character in brackets),
# which joined prune those that are directories (tried on directories
# only, a few hundred under a real /etc); the paths themselves are the
# EREs unbracketed. HOW "-": a path no ERE could be made of without a
# backslash, or too many of them for one argument (128 KiB at most): the
# single paths as they are, with a find of their own.
list() {
	ls_how=$1
	ls_trees=$2
	shift 2
	[ "$#" -gt 0 ] || return 0
	if [ "$ls_how" = rx ]; then
		ls_rx=
		ls_i=0
		for ls_p; do
			ls_i=$((ls_i + 1))
			if [ "$ls_i" -gt "$ls_trees" ]; then
				ls_rx=$ls_rx\|$ls_p
				case $ls_p in
				*\[*)
					unbracket "$ls_p"
					ls_p=$ub ;;
				esac
			fi
			set -- "$@" "$ls_p"
		done
		shift "$ls_i"
		if [ -n "$ls_rx" ]; then
			entries prune "(${ls_rx#|})" "$@"
		else
			entries walk "$@"
		fi
		return 0
	fi
	[ "$ls_trees" -eq 0 ] || first "$((ls_trees + 1))" entries walk "$@"
	shift "$ls_trees"
	[ "$#" -eq 0 ] || entries self "$@"
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
# "@cmd I 0 0 -\n" when it is not run. Its records: its index I, "x" to
# run the first of its candidates that is executable, "e" the first that
# exists (so one that is not executable fails as it would locally); the
# seconds timeout(1) gives it (0: no limit); then three counted lists:
# the candidates for argv[0], paths one of which must exist (none: no
# condition), environment assignments; the rest are its arguments.
run_cmd() {
	cmd_i=$1
	rc_mode=$2
	rc_time=$3
	shift 3
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

# run_cmds COUNT COMMAND...: run COUNT commands, each a count and as
# many records; $rs_used: how many arguments they took, COUNT included
run_cmds() {
	rs_n=$1
	shift
	rs_used=1
	while [ "$rs_n" -gt 0 ]; do
		rs_m=$1
		shift
		first "$rs_m" run_cmd "$@"
		shift "$rs_m"
		rs_used=$((rs_used + rs_m + 1))
		rs_n=$((rs_n - 1))
	done
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

printf 'ENVDRIFT-STREAM 3\n@list\n'
n=$1; shift; first "$((n + 2))" list "$@"; shift "$((n + 2))"
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

run_cmds "$@"
shift "$rs_used"

# the second request: "a", or "l COUNT" (digits only, checked before any
# use), then its block: the keyed commands to run, the filters to send
# (a count, then a file and its ERE each) and, with "a", what tar sends
if ! IFS=' ' read -r mode count; then
	echo "envdrift: the second request did not come" >&2
	exit 2
fi
case $mode:$count in
a:) ;;
l:[0-9]*) ;;
*) mode=bad ;;
esac
case $count in
*[!0-9]*) mode=bad ;;
esac
if [ "$mode" = bad ]; then
	echo "envdrift: malformed second request" >&2
	exit 2
fi
read_request envdrift-more
eval "set -- $refs"
run_cmds "$@"
shift "$rs_used"
n=$1
shift
while [ "$n" -gt 0 ]; do
	filter "$1" "$2"
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
