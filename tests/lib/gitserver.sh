# gitserver.sh: real git servers on loopback for the CLI tests, as a state
# repository is published in production (doc/git-server.md). POSIX sh;
# source it after tests/cli/test-lib.sh:
#   . "$TESTS_DIR/../lib/gitserver.sh"
# Needs root (useradd, sshd, lighttpd dropping to the git account), the
# git, openssh-server, lighttpd and lighttpd-mod-openssl packages. Every
# function returns non-zero and prints "gitsrv: ..." on stderr on failure.
# Variables it uses are _gs_*.
#
# Both servers run as one account, envdrift-git (login shell git-shell,
# home /var/lib/envdrift-git, made once and shared by parallel runs), and
# serve one repository root, DIR/repos, owned by it: a push over either
# protocol writes objects the other can read, and git's ownership check
# (safe.directory) never trips.
#
# gitsrv_mktemp
#     Print a new empty directory usable as DIR:
#     /var/lib/envdrift-gitsrv/srv.XXXXXX (0755). sshd's StrictModes wants
#     every directory above the authorized_keys file root-owned and not
#     group/other-writable, and the git account must reach DIR/repos:
#     neither holds under the test's $TMP (0700) or /tmp (1777).
#     GITSRV_BASE changes the parent.
# gitsrv_ssh_start DIR
#     OpenSSH sshd on 127.0.0.1:PORT (a free port), throw-away host key,
#     its own sshd_config (StrictModes yes, keys only, AllowUsers
#     envdrift-git, no forwarding nor tty); a throw-away client key in
#     authorized_keys with `restrict`. Exports GITSRV_DIR, GITSRV_SSH_PORT,
#     GITSRV_SSH_PID, GITSRV_SSH_BASE=ssh://envdrift-git@127.0.0.1:PORT/DIR/repos,
#     GITSRV_SSH_KEY, GITSRV_SSH_KNOWN_HOSTS and GIT_SSH_COMMAND (strict
#     host key checking against that known_hosts, batch mode).
# gitsrv_http_start DIR
#     lighttpd -D (in the background) on 127.0.0.1:PORT over TLS, running
#     git http-backend as CGI under /git as envdrift-git; clones and
#     fetches anonymous, pushes (receive-pack) only with HTTP basic auth
#     (user "pusher", a random password, htpasswd file with a SHA-256
#     crypt hash). A test CA (DIR/http/ca.pem) signs the server certificate
#     for IP:127.0.0.1 and DNS:localhost. Exports GITSRV_HTTP_PORT,
#     GITSRV_HTTP_PID, GITSRV_HTTP_BASE=https://127.0.0.1:PORT/git,
#     GITSRV_HTTP_PUSH_BASE=https://pusher:PASSWORD@127.0.0.1:PORT/git,
#     GITSRV_HTTP_USER, GITSRV_HTTP_PASSWORD, GITSRV_CA, GIT_SSL_CAINFO
#     (the CA) and GIT_TERMINAL_PROMPT=0 (a refused push fails, never
#     waits for a password).
#     Both starts: state under DIR/ssh or DIR/http (config, keys, log
#     sshd.log or error.log, pid); a port clash (another run took the port
#     between the check and the bind) retries another port, at most 8
#     times; waits at most 10 s for the port to listen. GITSRV_PORT_FIRST:
#     the first port tried, unchecked (a test of the clash). The first start
#     registers gitsrv_stop and gitsrv_clean on EXIT (after eval of
#     $ATEXIT, the test's own cleanup, then rm -rf "$TMP").
# gitsrv_ssh_add_key NAME [HOST]
#     Another client key, DIR/ssh/id_NAME (NAME: [A-Za-z0-9._-]; root
#     0600), added to authorized_keys with `restrict`; with HOST also with
#     environment="ENVDRIFT_HOST=HOST", as a pull-mode host's account
#     (doc/pre-receive-incoming; sshd_config accepts that one variable:
#     PermitUserEnvironment ENVDRIFT_HOST). Prints the GIT_SSH_COMMAND
#     that uses it (otherwise as the exported one). After gitsrv_ssh_start.
# gitsrv_make_ca OUTDIR NAME
#     A CA (OUTDIR/ca.key, OUTDIR/ca.pem, subject CN=NAME) with openssl;
#     gitsrv_http_start uses it, a test makes a second one to check that
#     an unknown CA fails.
# gitsrv_new_repo NAME
#     A bare repository DIR/repos/NAME.git (NAME: [A-Za-z0-9._-]), branch
#     main, receive.denyNonFastForwards and receive.denyDeletes true,
#     owned by envdrift-git; served by both servers as BASE/NAME.git.
# gitsrv_git NAME GIT-ARGS...
#     Run git in the server side repository as its owner (as the servers do).
# gitsrv_fsck NAME
#     git fsck --strict on the server side repository, as its owner.
# gitsrv_stop
#     Stop every server started by this shell: its recorded PID (checked
#     still to be that server: its binary, its config path in the command
#     line) and their children (sshd sessions, CGI processes); TERM, then
#     KILL after 5 s; waits until gone (bounded). Leaves files.
# gitsrv_clean DIR
#     gitsrv_stop, then rm -rf DIR (only with its .envdrift-gitsrv marker).
#
# Layout of DIR (root-owned, 0755):
#   .envdrift-gitsrv   marker
#   repos/             envdrift-git 0755; NAME.git
#   ssh/   sshd_config, sshd.log (every try's output), sshd.pid, port,
#          ssh_host_ed25519_key{,.pub}, id_ed25519{,.pub} (the client key,
#          root 0600), authorized_keys, known_hosts
#   http/  lighttpd.conf, error.log, stdout.log (every try's start-up
#          output), port, pid, htpasswd, www/ (an empty document root),
#          ca.{key,pem}, server.{key,pem} (key 0600 root: lighttpd reads it
#          before it drops to envdrift-git)

GITSRV_USER=envdrift-git
GITSRV_HOME=/var/lib/envdrift-git
GITSRV_SSHD=${GITSRV_SSHD:-/usr/sbin/sshd}
GITSRV_LIGHTTPD=${GITSRV_LIGHTTPD:-/usr/sbin/lighttpd}
GITSRV_BACKEND=${GITSRV_BACKEND:-/usr/lib/git-core/git-http-backend}
# directories this shell started servers under, and the servers, one
# "KIND PID DIR" a line
_gs_dirs=
_gs_procs=
_gs_trapped=
# this shell's own (the exported GITSRV_* may be a parent's)
_gs_dir=
_gs_ssh_pid=
_gs_http_pid=

_gs_err() { echo "gitsrv: $*" >&2; }

gitsrv_mktemp() {
	_gs_base=${GITSRV_BASE:-/var/lib/envdrift-gitsrv}
	(umask 022 && mkdir -p "$_gs_base") || return 1
	_gs_d=$(mktemp -d "$_gs_base/srv.XXXXXX") || return 1
	chmod 0755 "$_gs_d" &&
		echo "envdrift git servers (tests/lib/gitserver.sh)" >"$_gs_d/.envdrift-gitsrv" &&
		echo "$_gs_d"
}

# _gs_checkdir DIR: absolute, safe characters, every existing component
# root-owned and not group/other-writable (StrictModes; see gitsrv_mktemp)
_gs_checkdir() {
	case $1 in
	/*) ;;
	*) _gs_err "DIR must be absolute: '$1'"; return 1 ;;
	esac
	case $1 in
	*[!A-Za-z0-9._/-]* | */../* | */..) _gs_err "DIR: only [A-Za-z0-9._/-], no '..': '$1'"; return 1 ;;
	esac
	_gs_p=$1
	while :; do
		if [ -e "$_gs_p" ]; then
			# shellcheck disable=SC2046
			set -- $(stat -L -c '%u %a' "$_gs_p")
			if [ "$1" != 0 ] || [ $((0$2 & 022)) -ne 0 ]; then
				_gs_err "$_gs_p: owner uid $1 mode $2; sshd's StrictModes needs every component root-owned and not group/other-writable (see gitsrv_mktemp)"
				return 1
			fi
		fi
		[ "$_gs_p" = / ] && break
		_gs_p=$(dirname "$_gs_p")
	done
}

# _gs_user: the git account. useradd races with a parallel run: either
# creates it, the other finds it. '*' (not '!'): with UsePAM no, sshd
# refuses a locked account even for a key.
_gs_user() {
	if ! getent passwd "$GITSRV_USER" >/dev/null; then
		useradd -r -U -M -d "$GITSRV_HOME" -s /usr/bin/git-shell -p '*' \
			-c "envdrift git server test account" "$GITSRV_USER" 2>/dev/null ||
			getent passwd "$GITSRV_USER" >/dev/null || {
			_gs_err "cannot create the account $GITSRV_USER"
			return 1
		}
	fi
	# an account made otherwise: fixed (usermod fails while another
	# process holds the passwd lock: retried, bounded)
	_gs_i=0
	until [ "$(getent passwd "$GITSRV_USER" | cut -d: -f7)" = /usr/bin/git-shell ] &&
		[ "$(getent shadow "$GITSRV_USER" | cut -d: -f2)" = '*' ]; do
		if [ "$_gs_i" -ge 20 ]; then
			_gs_err "cannot set the shell and password field of $GITSRV_USER"
			return 1
		fi
		usermod -s /usr/bin/git-shell -p '*' "$GITSRV_USER" 2>/dev/null || sleep 0.2
		_gs_i=$((_gs_i + 1))
	done
	# sshd changes into it; a missing home is a warning on every clone
	mkdir -p "$GITSRV_HOME" && chown "$GITSRV_USER:" "$GITSRV_HOME" &&
		chmod 0755 "$GITSRV_HOME"
}

# _gs_atexit: the test's own cleanup ($ATEXIT), the servers, their
# directories, then test-lib.sh's $TMP
_gs_atexit() {
	eval "${ATEXIT:-}"
	for _gs_x in $_gs_dirs; do
		gitsrv_clean "$_gs_x" >/dev/null 2>&1
	done
	[ -z "${TMP:-}" ] || rm -rf "$TMP"
}

# _gs_prepare DIR: the directory, its marker, the repository root, the
# account, the exit trap; DIR must be the one of a server already started
_gs_prepare() {
	_gs_checkdir "$1" || return 1
	# removed at exit even when this start fails (gitsrv_clean wants the
	# marker gitsrv_mktemp wrote, or the one written below)
	case " $_gs_dirs " in
	*" $1 "*) ;;
	*) _gs_dirs="$_gs_dirs $1" ;;
	esac
	if [ -z "$_gs_trapped" ]; then
		_gs_trapped=1
		trap '_gs_atexit' EXIT
		trap 'exit 130' INT TERM
	fi
	if [ -n "$_gs_dir" ] && [ "$_gs_dir" != "$1" ]; then
		_gs_err "servers of this shell already serve $_gs_dir, not $1"
		return 1
	fi
	[ "$(id -u)" = 0 ] || { _gs_err "needs root"; return 1; }
	_gs_user || return 1
	(umask 022 && mkdir -p "$1/repos") || return 1
	chown root:root "$1" && chmod 0755 "$1" || return 1
	echo "envdrift git servers (tests/lib/gitserver.sh)" >"$1/.envdrift-gitsrv" || return 1
	chown "$GITSRV_USER:" "$1/repos" && chmod 0755 "$1/repos" || return 1
	_gs_dir=$1
	GITSRV_DIR=$1
	export GITSRV_DIR
}

# _gs_port TRY: a random port in 20000..32699 (below Linux's ephemeral
# range) nobody listens on; bounded. On try 0, GITSRV_PORT_FIRST as is.
_gs_port() {
	if [ "$1" = 0 ] && [ -n "${GITSRV_PORT_FIRST:-}" ]; then
		echo "$GITSRV_PORT_FIRST"
		return 0
	fi
	_gs_i=0
	while [ "$_gs_i" -lt 50 ]; do
		_gs_n=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_gs_n=$((20000 + _gs_n % 12700))
		if [ -z "$(ss -Hltn "sport = :$_gs_n" 2>/dev/null)" ]; then
			echo "$_gs_n"
			return 0
		fi
		_gs_i=$((_gs_i + 1))
	done
	_gs_err "no free port in 50 tries"
	return 1
}

# _gs_listens PORT PID: PID itself listens on 127.0.0.1:PORT (not just
# anyone: after a clash, the port's owner listens while PID is dying)
_gs_listens() {
	ss -Hltnp "src 127.0.0.1 and sport = :$1" 2>/dev/null | grep -q "pid=$2,"
}

# _gs_wait PORT PID: up to 10 s for _gs_listens; 1 if PID died
_gs_wait() {
	_gs_i=0
	while [ "$_gs_i" -lt 100 ]; do
		_gs_listens "$1" "$2" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		_gs_i=$((_gs_i + 1))
	done
	_gs_err "port $1 does not listen after 10 s (pid $2)"
	return 1
}

# _gs_clash LOG TRY: try TRY's part of LOG says its port was taken
_gs_clash() {
	sed -n "/^gitsrv: try $2, /,\$p" "$1" 2>/dev/null |
		grep -qi 'address already in use\|cannot bind any address'
}

# _gs_ssh_conf DIR PORT
_gs_ssh_conf() {
	cat >"$1/ssh/sshd_config" <<EOF
# generated by tests/lib/gitserver.sh: a git-only SSH server
ListenAddress 127.0.0.1:$2
HostKey $1/ssh/ssh_host_ed25519_key
PidFile $1/ssh/sshd.pid
AuthorizedKeysFile $1/ssh/authorized_keys
StrictModes yes
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AllowUsers $GITSRV_USER
PermitRootLogin no
DisableForwarding yes
PermitTTY no
PermitUserRC no
# only a pull-mode key's environment="ENVDRIFT_HOST=..." (gitsrv_ssh_add_key)
PermitUserEnvironment ENVDRIFT_HOST
UseDNS no
PrintMotd no
PrintLastLog no
LoginGraceTime 20
MaxStartups 50:30:100
LogLevel ERROR
EOF
}

gitsrv_ssh_start() {
	[ $# -eq 1 ] || { _gs_err "usage: gitsrv_ssh_start DIR"; return 1; }
	[ -x "$GITSRV_SSHD" ] || { _gs_err "no sshd at $GITSRV_SSHD"; return 1; }
	[ -x /usr/bin/git-shell ] || { _gs_err "no /usr/bin/git-shell"; return 1; }
	if [ -n "$_gs_ssh_pid" ] && kill -0 "$_gs_ssh_pid" 2>/dev/null; then
		_gs_err "an ssh server of this shell runs already (pid $_gs_ssh_pid)"
		return 1
	fi
	_gs_prepare "$1" || return 1
	_gs_s=$1/ssh
	(umask 022 && mkdir -p "$_gs_s" /run/sshd) || return 1
	rm -f "$_gs_s"/ssh_host_ed25519_key* "$_gs_s"/id_ed25519*
	if ! ssh-keygen -q -t ed25519 -N '' -C gitsrv-host -f "$_gs_s/ssh_host_ed25519_key" </dev/null ||
		! ssh-keygen -q -t ed25519 -N '' -C gitsrv-client -f "$_gs_s/id_ed25519" </dev/null; then
		_gs_err "ssh-keygen failed"
		return 1
	fi
	# what GitLab and Gitea write: no pty, no forwarding, git-shell does the rest
	echo "restrict $(cat "$_gs_s/id_ed25519.pub")" >"$_gs_s/authorized_keys" &&
		chmod 0644 "$_gs_s/authorized_keys" || return 1
	_gs_try=0
	rm -f "$_gs_s/sshd.log"
	while :; do
		_gs_pt=$(_gs_port "$_gs_try") || return 1
		_gs_ssh_conf "$1" "$_gs_pt"
		rm -f "$_gs_s/sshd.pid"
		echo "gitsrv: try $_gs_try, port $_gs_pt" >>"$_gs_s/sshd.log"
		# -D: a child of this shell, so it is reaped the moment it is
		# stopped (a daemon's zombie would linger until init gets to it);
		# -e: its log on stderr, with any error before logging starts
		"$GITSRV_SSHD" -D -e -f "$_gs_s/sshd_config" </dev/null >>"$_gs_s/sshd.log" 2>&1 &
		_gs_pid=$!
		_gs_procs="$_gs_procs
ssh $_gs_pid $1"
		_gs_wait "$_gs_pt" "$_gs_pid" && break
		if [ "$_gs_try" -ge 7 ] || ! _gs_clash "$_gs_s/sshd.log" "$_gs_try"; then
			_gs_err "sshd did not start on 127.0.0.1:$_gs_pt:"
			sed 's/^/gitsrv:   /' "$_gs_s/sshd.log" >&2
			return 1
		fi
		_gs_try=$((_gs_try + 1))
	done
	echo "$_gs_pt" >"$_gs_s/port"
	echo "[127.0.0.1]:$_gs_pt $(cut -d' ' -f1,2 "$_gs_s/ssh_host_ed25519_key.pub")" >"$_gs_s/known_hosts"
	GITSRV_SSH_PORT=$_gs_pt
	_gs_ssh_pid=$_gs_pid
	GITSRV_SSH_PID=$_gs_pid
	GITSRV_SSH_BASE=ssh://$GITSRV_USER@127.0.0.1:$_gs_pt$1/repos
	GITSRV_SSH_KEY=$_gs_s/id_ed25519
	GITSRV_SSH_KNOWN_HOSTS=$_gs_s/known_hosts
	GIT_SSH_COMMAND="ssh -F /dev/null -i $GITSRV_SSH_KEY -o UserKnownHostsFile=$GITSRV_SSH_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10"
	export GITSRV_SSH_PORT GITSRV_SSH_PID GITSRV_SSH_BASE GITSRV_SSH_KEY \
		GITSRV_SSH_KNOWN_HOSTS GIT_SSH_COMMAND
}

gitsrv_ssh_add_key() {
	case $# in
	1 | 2) ;;
	*) _gs_err "usage: gitsrv_ssh_add_key NAME [HOST]"; return 1 ;;
	esac
	case $1 in
	'' | .* | *[!A-Za-z0-9._-]*) _gs_err "bad key name '$1'"; return 1 ;;
	esac
	case ${2-x} in
	'' | . | .. | *[!A-Za-z0-9._-]*) _gs_err "bad host name '${2-}'"; return 1 ;;
	esac
	if [ -z "$_gs_dir" ] || [ ! -f "$_gs_dir/ssh/authorized_keys" ]; then
		_gs_err "gitsrv_ssh_add_key: no ssh server started in this shell"
		return 1
	fi
	_gs_k=$_gs_dir/ssh/id_$1
	[ ! -e "$_gs_k" ] || { _gs_err "$_gs_k exists"; return 1; }
	ssh-keygen -q -t ed25519 -N '' -C "gitsrv-$1" -f "$_gs_k" </dev/null ||
		{ _gs_err "ssh-keygen failed"; return 1; }
	_gs_opt=restrict
	[ $# -eq 1 ] || _gs_opt="environment=\"ENVDRIFT_HOST=$2\",restrict"
	echo "$_gs_opt $(cat "$_gs_k.pub")" >>"$_gs_dir/ssh/authorized_keys" || return 1
	echo "ssh -F /dev/null -i $_gs_k -o UserKnownHostsFile=$_gs_dir/ssh/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10"
}

gitsrv_make_ca() {
	[ $# -eq 2 ] || { _gs_err "usage: gitsrv_make_ca OUTDIR NAME"; return 1; }
	(umask 077 && mkdir -p "$1") || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/ca.key" -out "$1/ca.pem" -days 2 -subj "/CN=$2" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>"$1/openssl.log" || {
		_gs_err "cannot make the CA $2 in $1:"
		sed 's/^/gitsrv:   /' "$1/openssl.log" >&2
		return 1
	}
	chmod 0644 "$1/ca.pem"
}

# _gs_server_cert DIR: DIR/server.{key,pem} for 127.0.0.1 and localhost,
# signed by DIR/ca.{key,pem}
_gs_server_cert() {
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
		'subjectAltName=IP:127.0.0.1,DNS:localhost' >"$1/server.ext"
	if ! (umask 077 && openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/server.key" -out "$1/server.csr" -subj /CN=127.0.0.1) \
		>/dev/null 2>"$1/openssl.log" ||
		! openssl x509 -req -in "$1/server.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" \
			-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 2 \
			-extfile "$1/server.ext" -out "$1/server.pem" >/dev/null 2>>"$1/openssl.log"; then
		_gs_err "cannot make the server certificate in $1:"
		sed 's/^/gitsrv:   /' "$1/openssl.log" >&2
		return 1
	fi
}

# _gs_http_conf DIR PORT
_gs_http_conf() {
	cat >"$1/http/lighttpd.conf" <<EOF
# generated by tests/lib/gitserver.sh: git smart HTTP over TLS
server.modules = ( "mod_access", "mod_alias", "mod_setenv", "mod_auth",
	"mod_authn_file", "mod_cgi", "mod_openssl" )
server.bind = "127.0.0.1"
server.port = $2
server.username = "$GITSRV_USER"
server.groupname = "$GITSRV_USER"
server.document-root = "$1/http/www"
server.errorlog = "$1/http/error.log"
server.max-worker = 0
ssl.engine = "enable"
ssl.pemfile = "$1/http/server.pem"
ssl.privkey = "$1/http/server.key"

alias.url = ( "/git/" => "$GITSRV_BACKEND/" )
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ( "" => "" )
	setenv.set-environment = (
		"GIT_PROJECT_ROOT" => "$1/repos",
		"GIT_HTTP_EXPORT_ALL" => "",
		"HOME" => "$GITSRV_HOME"
	)
}
# pushes, and only pushes, need a user: mod_auth sets REMOTE_USER, which
# http-backend requires before it runs receive-pack
auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "$1/http/htpasswd"
\$HTTP["querystring"] =~ "(^|&)service=git-receive-pack(&|\$)" {
	auth.require = ( "" => ( "method" => "basic", "realm" => "envdrift git", "require" => "valid-user" ) )
}
\$HTTP["url"] =~ "^/git/.*/git-receive-pack\$" {
	auth.require = ( "" => ( "method" => "basic", "realm" => "envdrift git", "require" => "valid-user" ) )
}
EOF
}

gitsrv_http_start() {
	[ $# -eq 1 ] || { _gs_err "usage: gitsrv_http_start DIR"; return 1; }
	[ -x "$GITSRV_LIGHTTPD" ] || { _gs_err "no lighttpd at $GITSRV_LIGHTTPD (apt-get install lighttpd lighttpd-mod-openssl)"; return 1; }
	[ -x "$GITSRV_BACKEND" ] || { _gs_err "no $GITSRV_BACKEND"; return 1; }
	if [ -n "$_gs_http_pid" ] && kill -0 "$_gs_http_pid" 2>/dev/null; then
		_gs_err "an https server of this shell runs already (pid $_gs_http_pid)"
		return 1
	fi
	_gs_prepare "$1" || return 1
	_gs_h=$1/http
	(umask 022 && mkdir -p "$_gs_h/www") || return 1
	gitsrv_make_ca "$_gs_h" "envdrift test CA $(basename "$1")" && _gs_server_cert "$_gs_h" || return 1
	GITSRV_HTTP_USER=pusher
	GITSRV_HTTP_PASSWORD=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	# lighttpd reads it after dropping to the git account
	echo "$GITSRV_HTTP_USER:$(openssl passwd -5 "$GITSRV_HTTP_PASSWORD")" >"$_gs_h/htpasswd" &&
		chown "root:$GITSRV_USER" "$_gs_h/htpasswd" && chmod 0640 "$_gs_h/htpasswd" || return 1
	_gs_try=0
	rm -f "$_gs_h/stdout.log"
	while :; do
		_gs_pt=$(_gs_port "$_gs_try") || return 1
		_gs_http_conf "$1" "$_gs_pt"
		# lighttpd opens its error log after it drops to the git account
		rm -f "$_gs_h/error.log"
		: >"$_gs_h/error.log" && chown "$GITSRV_USER:" "$_gs_h/error.log" || return 1
		"$GITSRV_LIGHTTPD" -tt -f "$_gs_h/lighttpd.conf" >"$_gs_h/check.log" 2>&1 || {
			_gs_err "lighttpd rejects $_gs_h/lighttpd.conf:"
			sed 's/^/gitsrv:   /' "$_gs_h/check.log" >&2
			return 1
		}
		# every try's start-up errors (a bind failure is one) are kept
		echo "gitsrv: try $_gs_try, port $_gs_pt" >>"$_gs_h/stdout.log"
		"$GITSRV_LIGHTTPD" -D -f "$_gs_h/lighttpd.conf" </dev/null >>"$_gs_h/stdout.log" 2>&1 &
		_gs_pid=$!
		echo "$_gs_pid" >"$_gs_h/pid"
		_gs_procs="$_gs_procs
http $_gs_pid $1"
		_gs_wait "$_gs_pt" "$_gs_pid" && break
		if [ "$_gs_try" -ge 7 ] || ! _gs_clash "$_gs_h/stdout.log" "$_gs_try"; then
			_gs_err "lighttpd did not start on 127.0.0.1:$_gs_pt:"
			cat "$_gs_h/stdout.log" "$_gs_h/error.log" 2>/dev/null | sed 's/^/gitsrv:   /' >&2
			return 1
		fi
		_gs_try=$((_gs_try + 1))
	done
	echo "$_gs_pt" >"$_gs_h/port"
	GITSRV_HTTP_PORT=$_gs_pt
	_gs_http_pid=$_gs_pid
	GITSRV_HTTP_PID=$_gs_pid
	GITSRV_HTTP_BASE=https://127.0.0.1:$_gs_pt/git
	GITSRV_HTTP_PUSH_BASE=https://$GITSRV_HTTP_USER:$GITSRV_HTTP_PASSWORD@127.0.0.1:$_gs_pt/git
	GITSRV_CA=$_gs_h/ca.pem
	GIT_SSL_CAINFO=$GITSRV_CA
	GIT_TERMINAL_PROMPT=0
	export GITSRV_HTTP_PORT GITSRV_HTTP_PID GITSRV_HTTP_BASE GITSRV_HTTP_PUSH_BASE \
		GITSRV_HTTP_USER GITSRV_HTTP_PASSWORD GITSRV_CA GIT_SSL_CAINFO GIT_TERMINAL_PROMPT
}

# _gs_repo NAME: print the server side path of repository NAME
_gs_repo() {
	case $1 in
	'' | .* | *[!A-Za-z0-9._-]*) _gs_err "bad repository name '$1'"; return 1 ;;
	esac
	[ -n "$_gs_dir" ] || { _gs_err "no server started in this shell"; return 1; }
	echo "$_gs_dir/repos/$1.git"
}

# gitsrv_git NAME ARGS...: as the owner, with the account's own
# environment (the test's HOME is not readable to it)
gitsrv_git() {
	_gs_r=$(_gs_repo "$1") || return 1
	shift
	[ -d "$_gs_r" ] || { _gs_err "no repository $_gs_r"; return 1; }
	env -i PATH=/usr/bin:/bin HOME="$GITSRV_HOME" LC_ALL=C GIT_CONFIG_NOSYSTEM=1 \
		setpriv --reuid="$GITSRV_USER" --regid="$GITSRV_USER" --init-groups \
		git -C "$_gs_r" "$@"
}

gitsrv_new_repo() {
	[ $# -eq 1 ] || { _gs_err "usage: gitsrv_new_repo NAME"; return 1; }
	_gs_r=$(_gs_repo "$1") || return 1
	[ ! -e "$_gs_r" ] || { _gs_err "$_gs_r exists"; return 1; }
	env -i PATH=/usr/bin:/bin HOME="$GITSRV_HOME" LC_ALL=C GIT_CONFIG_NOSYSTEM=1 \
		setpriv --reuid="$GITSRV_USER" --regid="$GITSRV_USER" --init-groups \
		git init -q --bare -b main "$_gs_r" || { _gs_err "git init $_gs_r failed"; return 1; }
	if ! gitsrv_git "$1" config receive.denyNonFastForwards true ||
		! gitsrv_git "$1" config receive.denyDeletes true; then
		_gs_err "cannot configure $_gs_r"
		return 1
	fi
}

gitsrv_fsck() {
	[ $# -eq 1 ] || { _gs_err "usage: gitsrv_fsck NAME"; return 1; }
	gitsrv_git "$1" fsck --strict --no-progress
}

# _gs_ours KIND PID DIR: PID is still that server (binary and config path)
_gs_ours() {
	case $1 in
	ssh) _gs_bin=$GITSRV_SSHD _gs_conf=$3/ssh/sshd_config ;;
	*) _gs_bin=$GITSRV_LIGHTTPD _gs_conf=$3/http/lighttpd.conf ;;
	esac
	[ "$(readlink "/proc/$2/exe" 2>/dev/null)" = "$_gs_bin" ] &&
		tr '\0' ' ' <"/proc/$2/cmdline" 2>/dev/null | grep -qF -- "$_gs_conf"
}

# _gs_victims: live servers of this shell and their children
_gs_victims() {
	echo "$_gs_procs" | while read -r _gs_k _gs_pid _gs_d; do
		[ -n "$_gs_pid" ] || continue
		_gs_ours "$_gs_k" "$_gs_pid" "$_gs_d" || continue
		echo "$_gs_pid"
		ps -o pid= --ppid "$_gs_pid" 2>/dev/null
	done
}

gitsrv_stop() {
	_gs_t=0 _gs_sig=TERM
	while [ "$_gs_t" -lt 70 ]; do
		_gs_v=$(_gs_victims | sort -u | tr '\n' ' ')
		if [ -z "${_gs_v% }" ]; then
			# reap the ones that are this shell's children
			for _gs_pid in $(echo "$_gs_procs" | cut -d' ' -f2); do
				wait "$_gs_pid" 2>/dev/null
			done
			_gs_procs=
			return 0
		fi
		[ "$_gs_t" -ge 50 ] && _gs_sig=KILL
		# shellcheck disable=SC2086
		[ "$_gs_t" = 0 ] || [ "$_gs_sig" = KILL ] || [ $((_gs_t % 10)) = 0 ] &&
			kill -s "$_gs_sig" $_gs_v 2>/dev/null
		sleep 0.1
		_gs_t=$((_gs_t + 1))
	done
	_gs_err "processes left after stop: $_gs_v"
	return 1
}

gitsrv_clean() {
	[ $# -eq 1 ] || { _gs_err "usage: gitsrv_clean DIR"; return 1; }
	gitsrv_stop
	_gs_rc=$?
	[ -e "$1" ] || return "$_gs_rc"
	if [ ! -f "$1/.envdrift-gitsrv" ]; then
		_gs_err "$1 has no .envdrift-gitsrv marker; not removing it"
		return 1
	fi
	rm -rf "$1" || return 1
	return "$_gs_rc"
}
