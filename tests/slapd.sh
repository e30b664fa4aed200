# slapd.sh - a private OpenLDAP slapd for integration tests (bash).
# shellcheck shell=bash disable=SC2015  # "a && b || fail" is the intended idiom
# Source after lib.sh. Builds a cn=config with the project's schema under
# the test's temp dir, loads LDIF with slapadd, serves it on ldapi:// and a
# free loopback port, and stops it at exit. Never touches /etc/ldap's config.
#
#   slapd_start [--name N] [--tls CERT KEY CA] [--no-data] [--no-project-schema] [LDIF...]
#   slapd_stop [N] / slapd_restart [N] / slapd_use N / slapd_on N CMD...
#   slapd_search ARGS... / slapd_modify ARGS... / slapd_add ARGS... / slapd_dump [BASE]
#   slapd_csn [BASE]
#   slapd_replay_same JOURNAL FROM COPY [DUMP]
#   slapd_start_pair [--no-data] [--no-project-schema] A B [LDIF...]
#   slapd_wait_converged A B [BASE] [TIMEOUT]
#   tls_make_ca DIR / with_tls_ca CA CMD...
#
# Identity: the current uid/gid over ldapi (SASL EXTERNAL) manages both
# cn=config and the data; cn=admin,dc=example,dc=test is the data rootDN
# with the password in $SLAPD_ADMIN_PW_FILE.
#
# Multi-provider pair: slapd_start_pair A B starts two instances serving
# the suffix with the same data (same entryUUID and entryCSN per entry),
# serverIDs 1 and 2, each replicating from the other (refreshAndPersist,
# bound as the rootDN over the peer's loopback port). A is current after
# it; address B with slapd_use B or one command with slapd_on B CMD. A
# write on one is on the other within a few ms; slapd_wait_converged A B
# waits until both hold the same contextCSN set. To test a provider that
# is away:
#   slapd_stop A; slapd_on B slapd_modify <<EOF ... EOF
#   slapd_restart A; slapd_wait_converged A B    # A catches up; A is current
# (or kill -9 "$(cat "$T/A/pid")" instead of slapd_stop; restart the same
# way). A restarted provider pulls what it missed at once; its own new
# writes reach the peer once the peer's consumer reconnects (retry every
# 1 s). Equal contextCSN sets mean both saw the same changes; to prove the
# data equal, diff <(slapd_on A slapd_dump) <(slapd_on B slapd_dump).
# Timings, the exact configuration and the pitfalls: tests/mirror-notes.md.

: "${top_srcdir:?source lib.sh first}"
SLAPD_SUFFIX=${SLAPD_SUFFIX:-dc=example,dc=test}
SLAPD_ADMIN_DN="cn=admin,$SLAPD_SUFFIX"
SLAPD_MODULEDIR=${SLAPD_MODULEDIR:-/usr/lib/ldap}
SLAPD_SCHEMADIR=${SLAPD_SCHEMADIR:-/etc/ldap/schema}
# olcLogLevel of the instance; "stats" logs one line per operation.
SLAPD_LOGLEVEL=${SLAPD_LOGLEVEL:-stats}
# SLAPD_DB_SYNC=1: the database makes every commit durable, slapd's own
# default (the tests' instances set olcDbNoSync). SLAPD_SYNCPROV=0: no
# syncprov overlay (no RFC 4533 sync; for the benchmarks' comparisons).
export SLAPD_SUFFIX SLAPD_ADMIN_DN

_slapd_tool() {
	# slapadd, slaptest, ... live next to slapd (they are slapd itself).
	local t
	t="$(dirname "$SLAPD")/$1"
	[ -x "$t" ] || t=$(PATH="$PATH:/usr/sbin:/sbin" command -v "$1" 2>/dev/null) ||
		fail "$1 not installed: apt-get install slapd ldap-utils"
	echo "$t"
}

_slapd_need() {
	[ -x "$SLAPD" ] || fail "slapd not installed: apt-get install slapd ldap-utils (SLAPD='$SLAPD')"
	command -v ldapsearch >/dev/null 2>&1 ||
		fail "ldapsearch not installed: apt-get install slapd ldap-utils"
	[ -f "$SLAPD_MODULEDIR/back_mdb.la" ] || [ -f "$SLAPD_MODULEDIR/back_mdb.so" ] ||
		fail "slapd modules not found in $SLAPD_MODULEDIR: apt-get install slapd"
	[ -f "$SLAPD_SCHEMADIR/core.ldif" ] ||
		fail "slapd schema not found in $SLAPD_SCHEMADIR: apt-get install slapd"
}

# Percent-encode a path for an ldapi:// URL.
_slapd_urlencode() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case "$c" in
		[A-Za-z0-9._~-]) out+=$c ;;
		*)
			printf -v c '%%%02X' "'$c"
			out+=$c
			;;
		esac
	done
	printf '%s\n' "$out"
}

# The authorization DN of this process over ldapi with SASL EXTERNAL.
_slapd_peer_dn() {
	echo "gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth"
}

_slapd_write_config() {
	# _slapd_write_config DIR PROJECT_SCHEMA(0|1) CERT KEY CA
	local d=$1 proj=$2 cert=$3 key=$4 ca=$5 peer hash s
	peer=$(_slapd_peer_dn)
	hash=$("$(_slapd_tool slappasswd)" -h '{SSHA}' -T "$SLAPD_ADMIN_PW_FILE") ||
		fail "slappasswd failed"
	{
		cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $d/slapd.pid
olcArgsFile: $d/slapd.args
olcLogLevel: $SLAPD_LOGLEVEL
EOF
		if [ -n "$cert" ]; then
			cat <<EOF
olcTLSCertificateFile: $cert
olcTLSCertificateKeyFile: $key
olcTLSCACertificateFile: $ca
EOF
		fi
		cat <<EOF

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $SLAPD_MODULEDIR
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}syncprov

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$SLAPD_SCHEMADIR/core.ldif

include: file://$SLAPD_SCHEMADIR/cosine.ldif

include: file://$SLAPD_SCHEMADIR/inetorgperson.ldif

include: file://$SLAPD_SCHEMADIR/nis.ldif

EOF
		if [ "$proj" = 1 ]; then
			for s in dirmail ad-compat; do
				[ -f "$top_srcdir/schema/$s.ldif" ] ||
					fail "missing $top_srcdir/schema/$s.ldif"
				printf 'include: file://%s\n\n' "$top_srcdir/schema/$s.ldif"
			done
		fi
		cat <<EOF
dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: unlimited
olcTimeLimit: unlimited

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcRootDN: $peer
olcAccess: {0}to * by dn.exact="$peer" manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SLAPD_SUFFIX
olcDbDirectory: $d/db
EOF
		[ "${SLAPD_DB_SYNC:-0}" = 1 ] || echo "olcDbNoSync: TRUE"
		cat <<EOF
olcDbMaxSize: ${SLAPD_DB_MAXSIZE:-1073741824}
olcRootDN: $SLAPD_ADMIN_DN
olcRootPW: $hash
olcLimits: {0}dn.exact="$peer" size=unlimited time=unlimited
olcAccess: {0}to * by dn.exact="$peer" manage by * break
olcAccess: {1}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {2}to * by self read by users read by anonymous auth
olcDbIndex: objectClass eq
olcDbIndex: entryUUID eq
olcDbIndex: entryCSN eq
olcDbIndex: uid eq
olcDbIndex: member eq
EOF
		if [ "$proj" = 1 ]; then
			cat <<EOF
olcDbIndex: mail,proxyAddresses,dirmailManagedAddress eq
EOF
		else
			echo "olcDbIndex: mail eq"
		fi
		if [ "${SLAPD_SYNCPROV:-1}" = 1 ]; then
			cat <<EOF

dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcSyncProvConfig
olcOverlay: {0}syncprov
olcSpCheckpoint: 100 10
EOF
		fi
	} >"$d/config.ldif"
}

# Start the instance whose directory and URLs are in SLAPD_DIR / _slapd_urls.
# Returns 0 when it answers, 1 when it could not bind its port (caller picks
# another), fails the test otherwise.
_slapd_launch() {
	local d=$1 urls=$2 i
	"$SLAPD" -h "$urls" -F "$d/slapd.d" -d "${SLAPD_LOGLEVEL:-0}" >>"$d/slapd.log" 2>&1 &
	SLAPD_PID=$!
	echo "$SLAPD_PID" >"$d/pid"
	for ((i = 0; i < 200; i++)); do
		if ! kill -0 "$SLAPD_PID" 2>/dev/null; then
			wait "$SLAPD_PID" 2>/dev/null || :
			if grep -q 'Address already in use\|errno=98' "$d/slapd.log"; then
				return 1
			fi
			cat "$d/slapd.log" >&2
			fail "slapd exited at start (log: $d/slapd.log)"
		fi
		if ldapsearch -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -LLL -s base -b "" \
			1.1 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	cat "$d/slapd.log" >&2
	kill "$SLAPD_PID" 2>/dev/null || :
	fail "slapd did not answer on $SLAPD_LDAPI within 10 s (log: $d/slapd.log)"
}

_slapd_save_env() {
	local d=$1
	{
		printf 'SLAPD_DIR=%q\n' "$SLAPD_DIR"
		printf 'SLAPD_LDAPI=%q\n' "$SLAPD_LDAPI"
		printf 'SLAPD_URI=%q\n' "$SLAPD_URI"
		printf 'SLAPD_LDAPS=%q\n' "${SLAPD_LDAPS:-}"
		printf 'SLAPD_PORT=%q\n' "$SLAPD_PORT"
		printf 'SLAPD_PID=%q\n' "$SLAPD_PID"
		printf '_slapd_urls=%q\n' "$_slapd_urls"
	} >"$d/env"
}

# _slapd_prepare NAME PROJ CERT KEY CA SLAPADD_OPTS LDIF...: create $T/NAME
# with its cn=config and load each LDIF with slapadd SLAPADD_OPTS (a
# space-separated word list). Sets SLAPD_DIR, SLAPD_LDAPI, SLAPD_ADMIN_PW_FILE.
_slapd_prepare() {
	local name=$1 proj=$2 cert=$3 key=$4 ca=$5 opts=$6 d f
	local -a addopts
	shift 6
	read -r -a addopts <<<"$opts"
	_slapd_need
	mktmp
	d=$T/$name
	[ ! -e "$d" ] || fail "slapd_start: $d already exists"
	mkdir -p "$d/slapd.d" "$d/db"
	SLAPD_DIR=$d
	SLAPD_LDAPI="ldapi://$(_slapd_urlencode "$d/ldapi")"
	[ ${#d} -lt 100 ] || fail "slapd_start: socket path too long: $d/ldapi (set TMPDIR)"
	SLAPD_ADMIN_PW_FILE=$T/admin.pw
	if [ ! -f "$SLAPD_ADMIN_PW_FILE" ]; then
		(umask 077 && printf '%s' secret >"$SLAPD_ADMIN_PW_FILE")
	fi
	export SLAPD_DIR SLAPD_LDAPI SLAPD_ADMIN_PW_FILE
	if [ -n "$cert" ]; then
		[ -r "$cert" ] && [ -r "$key" ] && [ -r "$ca" ] ||
			fail "slapd_start --tls: cannot read $cert, $key or $ca"
	fi

	_slapd_write_config "$d" "$proj" "$cert" "$key" "$ca"
	if ! "$(_slapd_tool slapadd)" -n 0 -F "$d/slapd.d" -l "$d/config.ldif" \
		>"$d/slapadd.log" 2>&1; then
		cat "$d/slapadd.log" >&2
		fail "slapadd of the cn=config failed ($d/config.ldif)"
	fi
	for f in "$@"; do
		if ! "$(_slapd_tool slapadd)" -q "${addopts[@]}" -F "$d/slapd.d" \
			-b "$SLAPD_SUFFIX" -l "$f" >>"$d/slapadd.log" 2>&1; then
			cat "$d/slapadd.log" >&2
			fail "slapadd of $f failed"
		fi
	done
}

# _slapd_serve NAME TLS(0|1): start the prepared instance $T/NAME on a free
# loopback port (and the next one for ldaps:// with TLS=1), make it current
# and save its env.
_slapd_serve() {
	local name=$1 tls=$2 d=$T/$1 try port
	SLAPD_DIR=$d
	SLAPD_LDAPI="ldapi://$(_slapd_urlencode "$d/ldapi")"
	export SLAPD_DIR SLAPD_LDAPI
	for ((try = 0; try < 20; try++)); do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		SLAPD_PORT=$port
		SLAPD_URI="ldap://127.0.0.1:$port/"
		_slapd_urls="$SLAPD_LDAPI $SLAPD_URI"
		SLAPD_LDAPS=
		if [ "$tls" = 1 ]; then
			SLAPD_LDAPS="ldaps://127.0.0.1:$((port + 1))/"
			_slapd_urls+=" $SLAPD_LDAPS"
		fi
		export SLAPD_PORT SLAPD_URI SLAPD_LDAPS
		if _slapd_launch "$d" "$_slapd_urls"; then
			export SLAPD_PID
			_slapd_save_env "$d"
			return 0
		fi
		echo "slapd: port $port busy, retrying" >>"$d/slapd.log"
	done
	fail "slapd_start: found no free port in 20 tries (log: $d/slapd.log)"
}

# slapd_start [--name N] [--tls CERT KEY CA] [--no-data] [--no-project-schema] [LDIF...]
#   Start a private slapd in $T/N (N defaults to "slapd"), loading each LDIF
#   into dc=example,dc=test (default: ldif/tenant.ldif; none with --no-data).
#   --no-project-schema leaves out schema/dirmail.ldif and ad-compat.ldif.
#   Exports SLAPD_DIR, SLAPD_LDAPI, SLAPD_URI (ldap://127.0.0.1:PORT/),
#   SLAPD_PORT, SLAPD_LDAPS (with --tls), SLAPD_PID, SLAPD_ADMIN_DN,
#   SLAPD_ADMIN_PW_FILE, SLAPD_SUFFIX. Stopped automatically at exit.
slapd_start() {
	local name=slapd cert='' key='' ca='' data=1 proj=1
	local -a ldifs=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--name) name=$2; shift 2 ;;
		--tls) cert=$2; key=$3; ca=$4; shift 4 ;;
		--no-data) data=0; shift ;;
		--no-project-schema) proj=0; shift ;;
		--) shift; break ;;
		-*) fail "slapd_start: unknown option $1" ;;
		*) break ;;
		esac
	done
	ldifs=("$@")
	if [ "$data" = 1 ] && [ ${#ldifs[@]} -eq 0 ]; then
		ldifs=("$top_srcdir/ldif/tenant.ldif")
	fi
	[ "$data" = 1 ] || ldifs=()
	_slapd_prepare "$name" "$proj" "$cert" "$key" "$ca" "" "${ldifs[@]}"
	on_exit "slapd_stop $name"
	_slapd_serve "$name" "$([ -n "$cert" ] && echo 1 || echo 0)"
}

# slapd_use N: make instance N's SLAPD_* variables current.
slapd_use() {
	[ -f "$T/$1/env" ] || fail "slapd_use: no instance $1"
	# shellcheck disable=SC1090
	. "$T/$1/env"
	export SLAPD_DIR SLAPD_LDAPI SLAPD_URI SLAPD_LDAPS SLAPD_PORT SLAPD_PID
}

# slapd_stop [N]: stop instance N (default "slapd") and wait for it; a
# no-op when it is not running. On a failing test it names the log.
slapd_stop() {
	local d=$T/${1:-slapd}
	[ -f "$d/pid" ] || return 0
	stop_pidfile "$d/pid"
	if test_failed; then
		echo "slapd log: $d/slapd.log" >&2
	fi
	return 0
}

# slapd_restart [N]: stop and start instance N again on the same URLs and data.
slapd_restart() {
	local name=${1:-slapd}
	slapd_stop "$name"
	slapd_use "$name"
	local i
	for ((i = 0; i < 20; i++)); do
		if _slapd_launch "$T/$name" "$_slapd_urls"; then
			export SLAPD_PID
			_slapd_save_env "$T/$name"
			return 0
		fi
		sleep 0.2
	done
	fail "slapd_restart: could not bind $_slapd_urls again"
}

# slapd_on N CMD...: run CMD (a function or command) in a subshell with
# instance N current; the current instance of the caller does not change.
slapd_on() {
	(
		slapd_use "$1"
		shift
		"$@"
	)
}

# _slapd_replicate NAME PEER_SID PEER_URI SERVERIDS: make the running
# instance NAME a multi-provider: the serverIDs with their URLs (slapd
# picks its own by its listener), a refreshAndPersist consumer of PEER_URI
# binding as the rootDN, olcMultiProvider. No "timeout=": with one, a
# consumer that (re)connected within that many seconds holds slapd's
# shutdown for the rest of them.
_slapd_replicate() {
	local name=$1 psid=$2 puri=$3 sids=$4 pw
	pw=$(cat "$SLAPD_ADMIN_PW_FILE")
	if ! slapd_on "$name" slapd_modify >"$T/$name/replication.log" 2>&1 <<EOF; then
dn: cn=config
changetype: modify
add: olcServerID
$sids

dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcSyncrepl
olcSyncrepl: rid=$(printf '%03d' "$psid") provider=$puri bindmethod=simple
  binddn="$SLAPD_ADMIN_DN" credentials="$pw" searchbase="$SLAPD_SUFFIX"
  type=refreshAndPersist retry="1 +" network-timeout=3
-
add: olcMultiProvider
olcMultiProvider: TRUE
EOF
		cat "$T/$name/replication.log" >&2
		fail "configuring replication on $name failed"
	fi
}

# slapd_start_pair [--no-data] [--no-project-schema] A B [LDIF...]
#   Start two providers A (serverID 1) and B (serverID 2) of the suffix in
#   multi-provider replication, each a refreshAndPersist consumer of the
#   other over its loopback port, binding as $SLAPD_ADMIN_DN. The LDIF
#   (default ldif/tenant.ldif) is loaded into A with entryCSNs of serverID 1
#   and contextCSN written, and A's slapcat of it into B, so every entry has
#   the same entryUUID and entryCSN on both and nothing replicates at start.
#   Returns once both report the same contextCSN, with A current; use
#   slapd_use / slapd_on to address B. Both are stopped at exit. With
#   --no-data nothing is awaited, and the first write (the suffix entry)
#   reaches the other side within a second: until the suffix exists each
#   consumer's refresh fails with noSuchObject and is retried every second.
slapd_start_pair() {
	local data=1 proj=1 a b ua ub sids
	local -a ldifs=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--no-data) data=0; shift ;;
		--no-project-schema) proj=0; shift ;;
		--) shift; break ;;
		-*) fail "slapd_start_pair: unknown option $1" ;;
		*) break ;;
		esac
	done
	[ $# -ge 2 ] || fail "slapd_start_pair: usage: slapd_start_pair [OPTIONS] A B [LDIF...]"
	a=$1 b=$2
	shift 2
	[ "$a" != "$b" ] || fail "slapd_start_pair: A and B must differ"
	ldifs=("$@")
	if [ "$data" = 1 ] && [ ${#ldifs[@]} -eq 0 ]; then
		ldifs=("$top_srcdir/ldif/tenant.ldif")
	fi
	[ "$data" = 1 ] || ldifs=()

	_slapd_prepare "$a" "$proj" '' '' '' "-S 1 -w" "${ldifs[@]}"
	if [ ${#ldifs[@]} -gt 0 ]; then
		"$(_slapd_tool slapcat)" -F "$T/$a/slapd.d" -b "$SLAPD_SUFFIX" \
			-o ldif-wrap=no -l "$T/$a/seed.ldif" >>"$T/$a/slapadd.log" 2>&1 ||
			fail "slapcat of $a failed (log: $T/$a/slapadd.log)"
		_slapd_prepare "$b" "$proj" '' '' '' "" "$T/$a/seed.ldif"
	else
		_slapd_prepare "$b" "$proj" '' '' '' ""
	fi
	on_exit "slapd_stop $a"
	on_exit "slapd_stop $b"
	_slapd_serve "$a" 0
	ua=$SLAPD_URI
	_slapd_serve "$b" 0
	ub=$SLAPD_URI
	sids="olcServerID: 1 $ua
olcServerID: 2 $ub"
	_slapd_replicate "$a" 2 "$ub" "$sids"
	_slapd_replicate "$b" 1 "$ua" "$sids"
	# Without data there is no contextCSN to compare until the first write.
	[ ${#ldifs[@]} -eq 0 ] || slapd_wait_converged "$a" "$b"
	slapd_use "$a"
}

# _slapd_csn_set VAR LDAPI BASE: set VAR to the contextCSN values of BASE,
# sorted and space-joined like slapd_csn's output, or to "" when the server
# does not answer. It forks only ldapsearch: a polling loop would otherwise
# spend its time starting processes.
_slapd_csn_set() {
	local out line v i j joined=''
	local -a vals=()
	out=$(ldapsearch -LLL -o ldif-wrap=no -Y EXTERNAL -H "$2" -Q -s base \
		-b "$3" '(objectClass=*)' contextCSN 2>/dev/null) || out=
	while IFS= read -r line; do
		case "$line" in
		'contextCSN: '*) vals+=("${line#contextCSN: }") ;;
		esac
	done <<<"$out"
	for ((i = 1; i < ${#vals[@]}; i++)); do
		v=${vals[i]}
		for ((j = i - 1; j >= 0; j--)); do
			[[ ${vals[j]} > $v ]] || break
			vals[j + 1]=${vals[j]}
		done
		vals[j + 1]=$v
	done
	for v in "${vals[@]}"; do
		joined+="$v "
	done
	printf -v "$1" '%s' "$joined"
}

# slapd_wait_converged A B [BASE] [TIMEOUT]: wait until instances A and B
# report the same non-empty set of contextCSN values (one per serverID that
# ever wrote) on BASE (default the suffix); fail after TIMEOUT seconds
# (default 10, or $SLAPD_CONVERGE_TIMEOUT). Sets SLAPD_CONVERGED_MS to the
# milliseconds it waited.
slapd_wait_converged() {
	local a=$1 b=$2 base=${3:-$SLAPD_SUFFIX} limit=${4:-${SLAPD_CONVERGE_TIMEOUT:-10}}
	local t0 now ca cb la lb
	[ -f "$T/$a/env" ] || fail "slapd_wait_converged: no instance $a"
	[ -f "$T/$b/env" ] || fail "slapd_wait_converged: no instance $b"
	la="ldapi://$(_slapd_urlencode "$T/$a/ldapi")"
	lb="ldapi://$(_slapd_urlencode "$T/$b/ldapi")"
	t0=${EPOCHREALTIME/./}
	while :; do
		_slapd_csn_set ca "$la" "$base"
		_slapd_csn_set cb "$lb" "$base"
		now=${EPOCHREALTIME/./}
		if [ -n "$ca" ] && [ "$ca" = "$cb" ]; then
			export SLAPD_CONVERGED_MS=$(((now - t0) / 1000))
			return 0
		fi
		if [ $((now - t0)) -ge $((limit * 1000000)) ]; then
			echo "contextCSN of $a: ${ca:-(none)}" >&2
			echo "contextCSN of $b: ${cb:-(none)}" >&2
			fail "slapd_wait_converged: $a and $b differ after $limit s (logs: $T/$a/slapd.log $T/$b/slapd.log)"
		fi
		sleep 0.01
	done
}

# slapd_search ARGS...: ldapsearch as the managing identity, unwrapped LDIF.
slapd_search() {
	ldapsearch -LLL -o ldif-wrap=no -Y EXTERNAL -H "$SLAPD_LDAPI" -Q "$@"
}

# slapd_csn [BASE]: the contextCSN values of BASE (default the suffix),
# sorted and space-joined: they move with every write the server accepts.
slapd_csn() {
	slapd_search -s base -b "${1:-$SLAPD_SUFFIX}" '(objectClass=*)' contextCSN |
		sed -n 's/^contextCSN: //p' | sort | tr '\n' ' '
}

# slapd_modify ARGS...: ldapmodify as the managing identity (LDIF on stdin or -f).
slapd_modify() {
	ldapmodify -Y EXTERNAL -H "$SLAPD_LDAPI" -Q "$@"
}

# slapd_add ARGS...: ldapadd as the managing identity.
slapd_add() {
	ldapadd -Y EXTERNAL -H "$SLAPD_LDAPI" -Q "$@"
}

# slapd_dump [BASE]: the user attributes of every entry under BASE (default
# the suffix) as LDIF, entries sorted by DN and attribute lines sorted, so
# two dumps diff cleanly. Operational attributes are left out.
slapd_dump() {
	slapd_search -b "${1:-$SLAPD_SUFFIX}" '(objectClass=*)' '*' |
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			n = split($0, l, "\n"); body = ""
			for (i = 2; i <= n; i++) body = body "\001" l[i]
			print tolower(l[1]) "\002" l[1] "\002" body
		}' |
		LC_ALL=C sort -t "$(printf '\002')" -k1,1 |
		while IFS=$'\002' read -r _ dn body; do
			printf '%s\n' "$dn"
			printf '%s' "$body" | tr '\001' '\n' | sed '/^$/d' | LC_ALL=C sort
			echo
		done
}

# slapd_replay_same JOURNAL FROM COPY [DUMP]: replays JOURNAL (dirmail's)
# with ldapmodify -c on instance COPY, a pristine copy of what FROM held
# before dirmail wrote it, and fails, showing the diff, unless the dump of
# COPY then equals that of FROM; DUMP (a command, default slapd_dump)
# dumps the current instance. FROM is current afterwards.
slapd_replay_same() {
	local journal=$1 from=$2 copy=$3 dump=${4:-slapd_dump} out=$T/replay
	slapd_use "$copy"
	ldapmodify -c -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -f "$journal" >"$out.out" 2>&1 ||
		{ tail -n 40 "$out.out" >&2; fail "ldapmodify could not replay $journal"; }
	"$dump" >"$out.replayed.ldif"
	slapd_use "$from"
	"$dump" >"$out.applied.ldif"
	diff -u "$out.applied.ldif" "$out.replayed.ldif" >"$out.diff" ||
		{ head -n 40 "$out.diff" >&2; fail "replaying $journal on a pristine copy differs"; }
}

# tls_make_ca DIR: create a test CA, a server certificate for 127.0.0.1 /
# localhost signed by it, and a second, unrelated CA. Exports TLS_CA,
# TLS_CERT, TLS_KEY and TLS_OTHER_CA (PEM paths under DIR) and TLS_CA_DIR,
# a directory holding the trusted CA under its OpenSSL subject hash.
tls_make_ca() {
	local d=$1
	command -v openssl >/dev/null 2>&1 || fail "openssl not installed: apt-get install openssl"
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		umask 077
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
			-subj "/CN=dirmail test CA" -keyout ca.key -out ca.pem \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -sha256 \
			-subj "/CN=dirmail untrusted CA" -keyout other-ca.key -out other-ca.pem \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
			-keyout server.key -out server.csr
		printf '%s\n' \
			"basicConstraints=CA:FALSE" \
			"keyUsage=critical,digitalSignature,keyEncipherment" \
			"extendedKeyUsage=serverAuth" \
			"subjectAltName=IP:127.0.0.1,DNS:localhost" >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -days 30 -sha256 -extfile server.ext -out server.pem
		mkdir cadir
		cp ca.pem cadir/
		openssl rehash cadir
	) >"$d/openssl.log" 2>&1 || {
		cat "$d/openssl.log" >&2
		fail "tls_make_ca: openssl failed"
	}
	TLS_CA=$d/ca.pem
	TLS_CERT=$d/server.pem
	TLS_KEY=$d/server.key
	TLS_OTHER_CA=$d/other-ca.pem
	TLS_CA_DIR=$d/cadir
	export TLS_CA TLS_CERT TLS_KEY TLS_OTHER_CA TLS_CA_DIR
}

# with_tls_ca CA CMD...: run an OpenLDAP client tool trusting only CA.
# LDAPNOINIT (set by lib.sh) also hides the LDAPTLS_* variables, so it is
# lifted here; LDAPCONF and LDAPRC point away from any user file.
with_tls_ca() {
	local ca=$1
	shift
	env -u LDAPNOINIT LDAPCONF=/dev/null LDAPRC=/nonexistent/ldaprc \
		LDAPTLS_CACERT="$ca" LDAPTLS_REQCERT=demand "$@"
}
