#!/bin/sh
# Print a small but real remote stream (the format collector/fleet/
# remote_decode.c reads) made by this machine's find, grep and GNU tar
# from a handful of its files: the seed tests/fuzz/corpus/remote/real.
# Usage: sh mkseed-remote.sh > FILE
LC_ALL=C; export LC_ALL
printf 'ENVDRIFT-STREAM 3\n@list\n'
find / /etc /proc /proc/net /etc/hostname /etc/os-release /etc/passwd /etc/group \
	/etc/shadow /proc/cmdline /proc/net/tcp /var /var/lib /var/lib/dpkg \
	/var/lib/dpkg/status -maxdepth 0 \( -type l -printf r -o -readable -printf r -o -printf u \) \
	\( \( -newermt '2 seconds ago' -o -newerct '2 seconds ago' \) -printf y -o -printf n \) \
	-printf '%y %m %U %G %s %T@ %C@ %i %D\0%p\0%l\0' 2>/dev/null
printf '@end\0@proc\n'
grep -a -d skip -H -Z '' /proc/cmdline /proc/net/tcp 2>/dev/null | head -5
grep -a -r -H -Z '' /proc/sys/kernel/osrelease /proc/sys/kernel/hostname 2>/dev/null
printf '@end\n'
# systemctl, which every scan runs, then rpm, keyed: its turn comes later
printf '@cmd 1 0 0 -\n'
printf '@cmd 0 0 0 -\n'
o=$(grep -i -E '^(package|status|architecture|version):|^$' /var/lib/dpkg/status | head -20; echo x)
o=${o%x}
printf '@file %s %s\n' "${#o}" /var/lib/dpkg/status; printf '%s' "$o"
printf '@tar\n'
tar --format=gnu --hard-dereference -cf - --no-recursion /etc/hostname /etc/os-release /etc/group 2>/dev/null
printf '@done\n'
