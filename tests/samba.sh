# samba.sh - a private Samba AD DC for integration tests (bash).
# shellcheck shell=bash disable=SC2015  # "a && b || fail" is the intended idiom
# Provisions a domain once (a cached template, see below), copies it for each
# DC, starts it on a loopback address of its own with TLS from a CA issued
# here and a krb5.conf for its KDC, and stops it by PID. Never touches
# /etc/samba or /etc/krb5.conf. Measured facts behind every choice:
# the project's notes on Samba AD (Debian 12, Samba 4.17).
#
# Sourced after lib.sh:
#   samba_start [--name N]      start a DC in $T/N (default "samba"), stopped at exit
#   samba_stop [N]
#   samba_search ARGS... / samba_modify ARGS... / samba_add ARGS...
#                               ldapsearch / ldapmodify / ldapadd, simple bind
#                               as Administrator over plain LDAP
#   samba_apply_schema FILE [LDAPMODIFY ARGS...]
#                               FILE with DC=X replaced by the forest root, fed
#                               to ldapmodify as the README says to do it
#   samba_kinit                 a ticket for Administrator (keytab) in $KRB5CCNAME
# Run as a script (everything under DIR; prints the variables to source):
#   tests/samba.sh start DIR
#   tests/samba.sh stop DIR
#
# After samba_start: SAMBA_DIR, SAMBA_ADDR (127.a.b.c), SAMBA_URI
# (ldap://ADDR), SAMBA_LDAPS (ldaps://ADDR), SAMBA_BASE (DC=example,DC=test),
# SAMBA_REALM, SAMBA_DOMAIN, SAMBA_ADMIN_DN, SAMBA_ADMIN_PW_FILE (mode 0600),
# SAMBA_CA (the PEM of the CA that issued the DC's certificate, for
# IP:ADDR and dc1.example.test), SAMBA_PID, and KRB5_CONFIG / KRB5CCNAME
# under SAMBA_DIR (kdc = ADDR, no DNS, no reverse lookups; the DC has the
# SPN ldap/ADDR, so GSSAPI works with SASL_NOCANON); SAMBA_TEMPLATE, the
# template it was copied from.
#
# Root only: Samba's ports are fixed (88, 389, 636, 3268, 3269, all
# privileged) and its DC refuses to run otherwise; a DC that cannot start
# fails the test, it never skips it. One DC per address: each gets a random
# 127.x.y.z no listener uses.
#
# The template: `samba-tool domain provision` (about 6 s) runs once per
# Samba version and version of this file, in $SAMBA_CACHE (default
# ${TMPDIR:-/tmp}/dirmail-samba-UID), shared by every build directory and
# test mode, rebuilt when older than a week, created under a lock so tests
# running in parallel wait for one provisioning; templates of other versions
# go once unused for a day. Copying it and starting the copy takes about a
# second.

SAMBA_REALM=EXAMPLE.TEST
SAMBA_DOMAIN=EXAMPLE
SAMBA_BASE="DC=example,DC=test"
SAMBA_ADMIN_DN="CN=Administrator,CN=Users,$SAMBA_BASE"
export SAMBA_REALM SAMBA_DOMAIN SAMBA_BASE SAMBA_ADMIN_DN

_samba_fail() {
	if declare -F fail >/dev/null; then
		fail "$@"
	fi
	echo "samba.sh: $*" >&2
	exit 1
}

_samba_need() {
	local t
	[ "$(id -u)" = 0 ] ||
		_samba_fail "a Samba AD DC must run as root (its ports 88, 389 and 636 are fixed); run the tests as root"
	for t in samba samba-tool; do
		PATH="$PATH:/usr/sbin:/sbin" command -v "$t" >/dev/null 2>&1 ||
			_samba_fail "$t not installed: apt-get install samba samba-ad-dc samba-ad-provision krb5-user"
	done
	for t in ldapsearch ldapmodify openssl flock ss; do
		command -v "$t" >/dev/null 2>&1 ||
			_samba_fail "$t not installed: apt-get install ldap-utils openssl util-linux iproute2"
	done
	[ -d /usr/share/samba/setup/ad-schema ] ||
		_samba_fail "Samba's AD schema files are missing: apt-get install samba-ad-provision"
}

# The cache key: the Samba version and this file's contents.
_samba_key() {
	local v h
	v=$(PATH="$PATH:/usr/sbin:/sbin" samba --version 2>/dev/null | tr -c 'A-Za-z0-9.\n-' _)
	h=$(cksum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)
	printf '%s-%s\n' "$v" "$h"
}

# _samba_provision DIR: provision a domain with everything under DIR, the
# Administrator's password in DIR/admin.pw (0600), never expiring, its
# keytab in DIR/admin.keytab, a CA in DIR/ca.{pem,key}.
_samba_provision() {
	local d=$1 o
	local -a opts
	mkdir -p "$d"
	chmod 0700 "$d"
	opts=(
		"interfaces = 127.0.0.2/8" "bind interfaces only = yes"
		"pid directory = $d/run" "lock directory = $d/lock"
		"state directory = $d/state" "cache directory = $d/cache"
		"private dir = $d/private" "ncalrpc dir = $d/run/ncalrpc"
		"winbindd socket directory = $d/run/winbindd"
		"ntp signd socket directory = $d/run/ntp_signd"
		"log file = $d/log/%m.log"
		"ldap server require strong auth = no"
		"dsdb:schema update allowed = true"
		"ldb:nosync = true"
		"server services = -s3fs -nbt -wrepl -winbindd -ntp_signd -dnsupdate"
		"dns forwarder = 127.0.0.1"
	)
	local -a args=()
	for o in "${opts[@]}"; do
		args+=("--option=$o")
	done
	mkdir -p "$d/log"
	# No --adminpass: argv is visible to every local user. Samba picks a
	# random password and logs it; the log is private and loses that line.
	if ! (umask 077 && samba-tool domain provision --targetdir="$d" \
		--realm="$SAMBA_REALM" --domain="$SAMBA_DOMAIN" --host-name=dc1 \
		--host-ip=127.0.0.2 --server-role=dc --dns-backend=SAMBA_INTERNAL \
		--use-rfc2307 --backend-store=mdb "${args[@]}" >"$d/log/provision.log" 2>&1); then
		sed -i '/Admin password/d' "$d/log/provision.log"
		tail -n 20 "$d/log/provision.log" >&2
		return 1
	fi
	(umask 077 && sed -n 's/.*Admin password: *//p' "$d/log/provision.log" |
		head -n 1 | tr -d '\n' >"$d/admin.pw")
	sed -i '/Admin password/d' "$d/log/provision.log"
	[ -s "$d/admin.pw" ] || { echo "provisioning printed no password" >&2; return 1; }
	# Options provision does not write into smb.conf when they are not
	# defaults it knows: the ones the tests rely on, once more.
	sed -i '/^\[global\]/a\	ldap server require strong auth = no\n\ttls enabled = yes\n\ttls keyfile = '"$d"'/tls/server.key\n\ttls certfile = '"$d"'/tls/server.pem\n\ttls cafile = '"$d"'/tls/ca.pem' "$d/etc/smb.conf"
	samba-tool user setexpiry Administrator --noexpiry -s "$d/etc/smb.conf" \
		-H "$d/private/sam.ldb" >>"$d/log/provision.log" 2>&1 || return 1
	(umask 077 && samba-tool domain exportkeytab "$d/admin.keytab" \
		--principal="Administrator@$SAMBA_REALM" -s "$d/etc/smb.conf" \
		>>"$d/log/provision.log" 2>&1) || return 1
	mkdir -p "$d/tls"
	(
		cd "$d/tls" &&
			umask 077 &&
			openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
				-subj "/CN=dirmail test Samba CA" -keyout ca.key -out ca.pem \
				-addext "basicConstraints=critical,CA:TRUE" \
				-addext "keyUsage=critical,keyCertSign,cRLSign"
	) >>"$d/log/provision.log" 2>&1 || return 1
	printf '%s\n' "$d" >"$d/provisioned-at"
}

# Prints the template's directory, provisioning it first if needed.
_samba_template() {
	local cache=${SAMBA_CACHE:-${TMPDIR:-/tmp}/dirmail-samba-$(id -u)} key tpl tmp
	key=$(_samba_key)
	tpl=$cache/$key
	mkdir -p "$cache" && chmod 0700 "$cache" || _samba_fail "cannot create $cache"
	(
		flock 9 || exit 1
		# Templates of other versions unused for a day go.
		find "$cache" -mindepth 1 -maxdepth 1 -type d -mtime +0 ! -path "$tpl" \
			-exec rm -rf {} + 2>/dev/null || :
		if [ -f "$tpl/provisioned-at" ] && [ -z "$(find "$tpl/provisioned-at" -mtime +6)" ]; then
			touch "$tpl"
			exit 0
		fi
		rm -rf "$tpl"
		tmp=$(mktemp -d "$cache/new.XXXXXX") || exit 1
		t0=$(date +%s%N)
		if ! _samba_provision "$tmp"; then
			echo "samba-tool domain provision failed (log: $tmp/log/provision.log)" >&2
			exit 1
		fi
		# The paths in smb.conf keep naming $tmp: each copy rewrites them.
		mv "$tmp" "$tpl" || exit 1
		echo "$(( ($(date +%s%N) - t0) / 1000000 ))" >"$tpl/provision-ms"
	) 9>"$cache/lock" || _samba_fail "could not provision a Samba AD template in $cache"
	printf '%s\n' "$tpl"
}

# Prints a loopback address no one listens on at Samba's fixed ports.
_samba_pick_addr() {
	local try a listen
	listen=$(ss -Hltun 2>/dev/null | awk '{ print $5 }')
	for p in 88 389 636 3268 3269; do
		if printf '%s\n' "$listen" | grep -Eq "^(0\.0\.0\.0|\*|\[::\]):$p\$"; then
			_samba_fail "something listens on every address at port $p: a Samba DC cannot start here"
		fi
	done
	for ((try = 0; try < 50; try++)); do
		a="127.$((RANDOM % 200 + 30)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 2))"
		if ! printf '%s\n' "$listen" | grep -q "^$a:"; then
			echo "$a"
			return 0
		fi
	done
	_samba_fail "found no free loopback address"
}

# _samba_copy TEMPLATE DIR ADDR: a private copy of the template, with its
# paths, address, certificate and Kerberos configuration.
_samba_copy() {
	local tpl=$1 d=$2 addr=$3 old
	old=$(cat "$tpl/provisioned-at")
	mkdir -p "$d" && chmod 0700 "$d" || return 1
	cp -a "$tpl/." "$d/" || return 1
	sed -i -e "s|$old|$d|g" -e "s|^\(\s*interfaces = \).*|\1$addr/8|" "$d/etc/smb.conf" || return 1
	printf '%s\n' "$d" >"$d/provisioned-at"
	mkdir -p "$d/run" "$d/log" "$d/lock"
	(
		cd "$d/tls" &&
			umask 077 &&
			openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=dc1.example.test" \
				-keyout server.key -out server.csr &&
			printf '%s\n' "basicConstraints=CA:FALSE" \
				"keyUsage=critical,digitalSignature,keyEncipherment" \
				"extendedKeyUsage=serverAuth" \
				"subjectAltName=IP:$addr,DNS:dc1.example.test" >server.ext &&
			openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 30 -sha256 -extfile server.ext -out server.pem
	) >"$d/log/tls.log" 2>&1 || return 1
	cat >"$d/krb5.conf" <<EOF
[libdefaults]
	default_realm = $SAMBA_REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	dns_canonicalize_hostname = false
	udp_preference_limit = 1

[realms]
	$SAMBA_REALM = {
		kdc = $addr
		admin_server = $addr
	}

[domain_realm]
	$addr = $SAMBA_REALM
	.example.test = $SAMBA_REALM
EOF
}

_samba_env() {
	local d=$1
	SAMBA_DIR=$d
	SAMBA_ADDR=$(cat "$d/addr")
	SAMBA_URI="ldap://$SAMBA_ADDR"
	SAMBA_LDAPS="ldaps://$SAMBA_ADDR"
	SAMBA_ADMIN_PW_FILE=$d/admin.pw
	SAMBA_CA=$d/tls/ca.pem
	SAMBA_PID=$(cat "$d/pid" 2>/dev/null || :)
	KRB5_CONFIG=$d/krb5.conf
	KRB5CCNAME=FILE:$d/krb5cc
	export SAMBA_DIR SAMBA_ADDR SAMBA_URI SAMBA_LDAPS SAMBA_ADMIN_PW_FILE SAMBA_CA \
		SAMBA_PID KRB5_CONFIG KRB5CCNAME
}

# _samba_run DIR: start the DC prepared in DIR and wait until it answers.
_samba_run() {
	local d=$1 addr pid i
	addr=$(cat "$d/addr")
	setsid "$(PATH="$PATH:/usr/sbin:/sbin" command -v samba)" -F -M prefork \
		-s "$d/etc/smb.conf" >>"$d/log/samba.out" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$d/pid"
	for ((i = 0; i < 600; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$d/log/samba.out" >&2
			return 1
		fi
		if env LDAPNOINIT=1 ldapsearch -x -H "ldap://$addr" -s base -b "" \
			dsServiceName >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "samba did not answer on ldap://$addr within 30 s" >&2
	return 1
}

# samba_start [--name N]: a DC of its own in $T/N; see the top of the file.
samba_start() {
	local name=samba
	while [ $# -gt 0 ]; do
		case "$1" in
		--name) name=$2; shift 2 ;;
		*) fail "samba_start: unknown argument $1" ;;
		esac
	done
	mktmp
	# Registered first: a DC that started and then failed its setup is
	# stopped too.
	on_exit "samba_stop $name"
	_samba_start_dir "$T/$name"
}

_samba_start_dir() {
	local d=$1 tpl addr t0
	_samba_need
	[ ! -e "$d" ] || [ -z "$(ls -A "$d" 2>/dev/null)" ] ||
		_samba_fail "samba start: $d exists and is not empty"
	tpl=$(_samba_template) || exit 1
	SAMBA_TEMPLATE=$tpl
	export SAMBA_TEMPLATE
	t0=$(date +%s%N)
	addr=$(_samba_pick_addr) || exit 1
	_samba_copy "$tpl" "$d" "$addr" ||
		_samba_fail "could not copy the template $tpl to $d (logs in $d/log)"
	echo "$addr" >"$d/addr"
	if ! _samba_run "$d"; then
		_samba_stop_dir "$d"
		_samba_fail "samba did not start on $addr (log: $d/log/samba.out, $d/log/samba.log)"
	fi
	_samba_env "$d"
	# An SPN for the address, so that GSSAPI needs no name for the DC.
	samba_modify >"$d/log/spn.log" 2>&1 <<EOF ||
dn: CN=DC1,OU=Domain Controllers,$SAMBA_BASE
changetype: modify
add: servicePrincipalName
servicePrincipalName: ldap/$addr
servicePrincipalName: ldap/$addr/$SAMBA_REALM
EOF
		{
			_samba_stop_dir "$d"
			_samba_fail "adding the SPN ldap/$addr failed (log: $d/log/spn.log)"
		}
	echo "$(( ($(date +%s%N) - t0) / 1000000 ))" >"$d/start-ms"
}

# samba_stop [N]: stop the DC in $T/N (default "samba") and every process of
# its session; a no-op when it is not running.
samba_stop() {
	_samba_stop_dir "$T/${1:-samba}"
	if declare -F test_failed >/dev/null && test_failed; then
		echo "samba logs: $T/${1:-samba}/log" >&2
	fi
	return 0
}

# Processes of the session the DC leads (samba rewrites its argv, so they
# are found by session, not by name).
_samba_session() {
	ps -eo pid=,sid= | awk -v s="$1" '$2 == s { print $1 }'
}

_samba_stop_dir() {
	local d=$1 pid i left
	[ -f "$d/pid" ] || return 0
	pid=$(cat "$d/pid")
	rm -f "$d/pid"
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || :
	for ((i = 0; i < 100; i++)); do
		left=$(_samba_session "$pid")
		[ -n "$left" ] || break
		sleep 0.05
	done
	left=$(_samba_session "$pid")
	# shellcheck disable=SC2086  # one pid per word
	[ -z "$left" ] || kill -9 $left 2>/dev/null || :
	wait "$pid" 2>/dev/null || :
	return 0
}

samba_search() {
	env LDAPNOINIT=1 ldapsearch -x -H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -y "$SAMBA_ADMIN_PW_FILE" \
		-LLL -o ldif-wrap=no "$@"
}

samba_modify() {
	env LDAPNOINIT=1 ldapmodify -x -H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -y "$SAMBA_ADMIN_PW_FILE" "$@"
}

samba_add() {
	samba_modify -a "$@"
}

# samba_apply_schema FILE [ARGS...]: FILE with DC=X replaced by the forest
# root, applied with ldapmodify (ARGS added, e.g. -c).
samba_apply_schema() {
	local f=$1
	shift
	sed "s/DC=X\$/$SAMBA_BASE/" "$f" | samba_modify "$@"
}

# samba_kinit: a ticket for Administrator from its keytab.
samba_kinit() {
	kinit -k -t "$SAMBA_DIR/admin.keytab" "Administrator@$SAMBA_REALM"
}

# As a script: start|stop DIR.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	case "${1:-}" in
	start)
		[ $# = 2 ] || _samba_fail "usage: $0 start|stop DIR"
		mkdir -p "$2"
		dir=$(cd "$2" && pwd)
		_samba_start_dir "$dir"
		for v in SAMBA_DIR SAMBA_ADDR SAMBA_URI SAMBA_LDAPS SAMBA_BASE SAMBA_REALM \
			SAMBA_ADMIN_DN SAMBA_ADMIN_PW_FILE SAMBA_CA SAMBA_PID KRB5_CONFIG KRB5CCNAME; do
			printf '%s=%q\n' "$v" "${!v}"
		done
		;;
	stop)
		[ $# = 2 ] || _samba_fail "usage: $0 start|stop DIR"
		_samba_stop_dir "$2"
		;;
	*) _samba_fail "usage: $0 start|stop DIR" ;;
	esac
fi
