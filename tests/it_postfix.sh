#!/bin/bash
# Postfix reads what dirmail writes: the LDAP tables of conf/postfix, with
# only their server and base changed, queried by Debian's postmap with a
# private configuration directory (main.cf is conf/postfix/main.cf, no MTA
# runs) against a private slapd after a real reconcile of the sample
# tenant. Each table answers as it should for every address class, and
# each address is then routed the way Postfix routes it (recipient access,
# virtual_alias_maps in main.cf's order, user@domain before @domain, the
# expansion again until an address maps to itself, then transport_maps
# and virtual_mailbox_maps). Everything is checked again after dirmail
# applies tests/data/mail-changes.ldif.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp

POSTMAP=${POSTMAP:-$(PATH="$PATH:/usr/sbin:/sbin" command -v postmap || echo /usr/sbin/postmap)}
POSTCONF=${POSTCONF:-$(PATH="$PATH:/usr/sbin:/sbin" command -v postconf || echo /usr/sbin/postconf)}
[ -x "$POSTMAP" ] && [ -x "$POSTCONF" ] ||
	fail "postmap not installed: apt-get install postfix postfix-ldap"
"$POSTCONF" -m 2>/dev/null | grep -qx ldap ||
	fail "Postfix has no ldap table type: apt-get install postfix-ldap"

slapd_start
BASE=dc=example,dc=test
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/journal.ldif")
# Every pass here exits 1: the tenant always has blocked objects.
assert_exit 1 dirmail reconcile "${conn[@]}"

# The private configuration directory: main.cf as shipped, the tables as
# shipped but for the two lines that name the directory.
PF=$T/postfix
mkdir -p "$PF/dirmail"
cp "$top_srcdir/conf/postfix/main.cf" "$PF/main.cf"
: >"$PF/master.cf"
for f in "$top_srcdir"/conf/postfix/*.cf; do
	[ "$(basename "$f")" != main.cf ] || continue
	sed -e "s|^server_host = .*|server_host = $SLAPD_LDAPI|" \
		-e "s|^search_base = .*|search_base = $BASE|" "$f" >"$PF/dirmail/$(basename "$f")"
	[ "$(grep -c '^server_host = \|^search_base = ' "$PF/dirmail/$(basename "$f")")" = 2 ] ||
		fail "$f: expected one server_host and one search_base line"
done

# postconf reads main.cf and every ldap table it names, and warns about
# any parameter the ldap client does not know.
"$POSTCONF" -c "$PF" -n >"$T/postconf.out" 2>"$T/postconf.err" || fail "postconf failed: $(cat "$T/postconf.err")"
[ ! -s "$T/postconf.err" ] || { cat "$T/postconf.err" >&2; fail "postconf warns about main.cf or a table"; }
# The tables main.cf names, in its order, without proxy: (proxymap is a
# running Postfix; postmap opens the ldap table itself).
maps() {
	"$POSTCONF" -c "$PF" -xh "$1" | tr ' ,' '\n\n' | sed -n 's/^proxy:\(ldap:.*\)/\1/p'
}
mapfile -t ALIAS_MAPS < <(maps virtual_alias_maps)
assert_eq "${#ALIAS_MAPS[@]}" 5 "tables in virtual_alias_maps"
assert_eq "$(basename "${ALIAS_MAPS[4]}")" catchall.cf "the last table of virtual_alias_maps"
DOMAINS=$(maps virtual_mailbox_domains)
MAILBOXES=$(maps virtual_mailbox_maps)
TRANSPORT=$(maps transport_maps)
ACCESS=$(maps smtpd_recipient_restrictions)
assert_eq "$(basename "$ACCESS")" recipient-access.cf "check_recipient_access table"
pass "main.cf and the tables parse (postconf has no warning); virtual_alias_maps ends with the catch-all"

# pm TABLE KEY: postmap -q KEY TABLE; sets PM to its answer, "" when the
# key is not found. Any message on stderr (an LDAP error, a bad parameter)
# fails the test: "not found" must not hide a failure. Answers are cached
# within a round (it runs in this shell, never in $(...), for the cache).
declare -A PM_CACHE=()
PM=
pm() {
	local t=$1 k=$2 rc=0
	if [ -n "${PM_CACHE["$t $k"]+set}" ]; then
		PM=${PM_CACHE["$t $k"]}
		return 0
	fi
	[ -z "${PM_TRACE:-}" ] || echo "postmap -q $k $t" >&2
	PM=$("$POSTMAP" -c "$PF" -q "$k" "$t" 2>"$T/postmap.err") || rc=$?
	if [ -s "$T/postmap.err" ] || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
		cat "$T/postmap.err" >&2
		fail "postmap -q '$k' $t: exit $rc"
	fi
	PM_CACHE["$t $k"]=$PM
}

# prefetch: fills the cache for every table of main.cf with one
# "postmap -q -" each (keys on stdin, one LDAP connection) over every
# address of the directory, the test's own keys in $EXTRA_KEYS, their
# @domain forms and their domains; a key absent from the answer is cached
# as not found. pm queries the rest one by one.
EXTRA_KEYS=
prefetch() {
	local t k v keys
	PM_CACHE=()
	keys=$(
		{
			slapd_search -b "$BASE" '(|(mail=*)(proxyAddresses=*)(targetAddress=*))' mail proxyAddresses targetAddress |
				sed -n 's/^mail: //p; s/^proxyAddresses: smtp://Ip; s/^targetAddress: smtp://Ip'
			printf '%s\n' $EXTRA_KEYS
		} | tr 'A-Z' 'a-z' | LC_ALL=C sort -u
	)
	keys=$(printf '%s\n' "$keys" "$(printf '%s\n' "$keys" | sed 's/^[^@]*@/@/')" \
		"$(printf '%s\n' "$keys" | sed 's/^[^@]*@//')" | LC_ALL=C sort -u)
	for t in "${ALIAS_MAPS[@]}" "$DOMAINS" "$MAILBOXES" "$TRANSPORT" "$ACCESS"; do
		[ -z "${PM_TRACE:-}" ] || echo "$(date +%T.%N) prefetch $t $(wc -l <<<"$keys")" >&2
		while IFS= read -r k; do
			PM_CACHE["$t $k"]=
		done <<<"$keys"
		"$POSTMAP" -c "$PF" -q - "$t" <<<"$keys" >"$T/prefetch.out" 2>"$T/postmap.err" || :
		if [ -s "$T/postmap.err" ]; then
			cat "$T/postmap.err" >&2
			fail "postmap -q - $t failed"
		fi
		while IFS=$'\t' read -r k v; do
			PM_CACHE["$t $k"]=$v
		done <"$T/prefetch.out"
	done
}
# sort_into VAR SEP ITEM...: VAR = the ITEMs sorted (byte order), unique,
# joined by SEP. In the shell itself: a round makes hundreds of checks.
sort_into() {
	local -n _out=$1
	local sep=$2 v i j
	local -a a=()
	shift 2
	for v in "$@"; do
		for ((i = ${#a[@]}; i > 0; i--)); do
			[[ ${a[i - 1]} > $v ]] || break
		done
		[ "$i" -gt 0 ] && [ "${a[i - 1]}" = "$v" ] && continue
		for ((j = ${#a[@]}; j > i; j--)); do
			a[j]=${a[j - 1]}
		done
		a[i]=$v
	done
	_out=
	for v in "${a[@]}"; do
		_out+=${_out:+$sep}$v
	done
}

# expect TABLE KEY WANT: the table's answer for KEY is WANT (its values in
# any order, "" for not found).
expect() {
	local got want
	pm "ldap:$PF/dirmail/$1.cf" "$2"
	local IFS=,
	# shellcheck disable=SC2086  # split at the commas
	sort_into got , $PM
	# shellcheck disable=SC2086
	sort_into want , $3
	unset IFS
	assert_eq "$got" "$want" "postmap -q $2 $1.cf"
}

# Postfix's virtual alias expansion of one address into FINAL: the first
# table in main.cf's order that knows user@domain, else the first that
# knows @domain; an address in its own expansion is final, others are
# expanded again (cleanup(8) stops at 1000 levels, this at 20).
FINAL=()
expand() {
	local a=$1 depth=$2 r='' t x
	[ "$depth" -lt 20 ] || fail "alias expansion of $a loops"
	for t in "${ALIAS_MAPS[@]}"; do
		pm "$t" "$a"
		r=$PM
		[ -z "$r" ] || break
	done
	if [ -z "$r" ]; then
		for t in "${ALIAS_MAPS[@]}"; do
			pm "$t" "@${a#*@}"
			r=$PM
			[ -z "$r" ] || break
		done
	fi
	if [ -z "$r" ]; then
		FINAL+=("$a")
		return
	fi
	for x in ${r//,/ }; do
		if [ "${x,,}" = "${a,,}" ]; then
			FINAL+=("$x")
		else
			expand "$x" $((depth + 1))
		fi
	done
}

# route ADDRESS: where Postfix takes mail for ADDRESS, into ROUTE, one
# sorted line per final recipient: "reject" (refused at RCPT TO),
# "dovecot ADDR" (a POP/IMAP mailbox: LMTP), "exchange ADDR"
# (transport_maps: relayed to Exchange), "remote ADDR" (someone else's
# domain), "unknown ADDR" (an accepted domain, no mailbox: bounced).
ROUTE=
route() {
	local a=$1 x lines=()
	pm "$ACCESS" "$a"
	if [ -n "$PM" ]; then
		ROUTE=reject
		return
	fi
	FINAL=()
	expand "$a" 0
	for x in "${FINAL[@]}"; do
		pm "$DOMAINS" "${x#*@}"
		if [ -z "$PM" ]; then
			lines+=("remote $x")
			continue
		fi
		pm "$TRANSPORT" "$x"
		if [ -n "$PM" ]; then
			lines+=("exchange $x")
			continue
		fi
		pm "$MAILBOXES" "$x"
		if [ -n "$PM" ]; then
			lines+=("dovecot $x")
		else
			lines+=("unknown $x")
		fi
	done
	sort_into ROUTE $'\n' "${lines[@]}"
}

# check_route ADDRESS WANT...: route gives exactly the lines WANT.
check_route() {
	local a=$1
	shift
	local want
	route "$a"
	sort_into want $'\n' "$@"
	assert_eq "$ROUTE" "$want" "route of $a"
}

EXTRA_KEYS="nobody@example.test nobody@example.org nobody@pop.example.test nobody@example.net
oflow@example.test ivan.invalid@example.test uwe.unknown@example.org olga.over@example.test
verkauf@example.test verkauf@example.org norbert.nix@example.test"
uuid() { echo "d1a00000-0000-4000-8000-0000000000$1/Maildir/"; }
EXCH='smtp:[exchange.example.test]:25'

# ---- the checks, before and after the changes ------------------------------
# round 1 is the tenant after one pass, round 2 after mail-changes.ldif.
checks() {
	local round=$1 t k want
	prefetch
	# One key at a time answers as the batch did.
	for t in "${ALIAS_MAPS[@]}" "$MAILBOXES" "$TRANSPORT" "$ACCESS"; do
		for k in jmueller@example.org efern@example.test fvogel@example.org sales@example.test \
			nobody@example.org ceo@example.test nn@example.test; do
			want=${PM_CACHE["$t $k"]}
			unset 'PM_CACHE["$t $k"]'
			pm "$t" "$k"
			assert_eq "$PM" "$want" "postmap -q $k $t, alone and in a batch"
		done
	done

	# Domains: the account's two and the POP/IMAP host, nothing else.
	expect domains example.test example.test
	expect domains example.org example.test
	expect domains pop.example.test example.test
	expect domains example.net ""

	# Every address of a POP/IMAP mailbox, generated, suffixed, adopted or
	# added by an admin, and its targetAddress, is the mailbox.
	for a in jose.mueller2@example.test jose.mueller@example.org jmueller@example.test \
		jmueller@example.org jose.mueller2@pop.example.test; do
		expect mailboxes "$a" "$(uuid 11)"
		expect aliases "$a" jose.mueller2@example.test
		check_route "$a" "dovecot jose.mueller2@example.test"
	done
	for a in anna@example.test jose.mueller@example.test aberg@example.org; do
		expect aliases "$a" anna.berg@example.test
		check_route "$a" "dovecot anna.berg@example.test"
	done
	[ "$round" = 2 ] || check_route john.smith2@example.org "dovecot john.smith2@example.test"
	# The hidden user (round 2) still receives.
	check_route jgross@example.org "dovecot juergen.gross@example.test"
	check_route tbig@example.test "dovecot tom.big@example.test"

	# Exchange mailboxes are relayed to Exchange, a kept mailbox in
	# conflict included, and are no POP/IMAP mailbox.
	for a in ceo@example.test claire.boss@example.org cboss@example.test; do
		expect aliases "$a" ceo@example.test
		expect exchange "$a" "$EXCH"
		expect mailboxes "$a" ""
		check_route "$a" "exchange ceo@example.test"
	done
	check_route office@example.test "exchange karin.weber@example.test"
	check_route karin@example.org "exchange karin.weber@example.test"
	check_route xexchange@example.org "exchange xaver.exchange@example.test"
	check_route hhidden@example.test "exchange heidi.hidden@example.test"

	# Forwarding: without a copy only the target, with a copy both; an
	# outside target through dirmail's contact.
	expect forward felix.vogel@example.test juergen.gross@example.test
	expect forward-copy felix.vogel@example.test ""
	expect aliases felix.vogel@example.test ""
	check_route fvogel@example.org "dovecot juergen.gross@example.test"
	expect forward-copy efern@example.test "erika.fern@example.test,erika.fern@example.net"
	expect forward efern@example.test ""
	check_route erika.fern@example.org "exchange erika.fern@example.test" "remote erika.fern@example.net"

	# Lists expand to their members' primary addresses; the hidden list too.
	expect lists vorstand@example.test "main.account@example.test,ceo@example.test"
	check_route board@example.org "dovecot main.account@example.test" "exchange ceo@example.test"
	if [ "$round" = 1 ]; then
		expect lists sales@example.test "jose.mueller2@example.test,karin.weber@example.test"
		check_route sales@example.org "dovecot jose.mueller2@example.test" "exchange karin.weber@example.test"
	else
		# oover is in sales: with a mailbox, the member filter takes her.
		expect lists sales@example.test "jose.mueller2@example.test,karin.weber@example.test,olga.over@example.test"
		check_route sales@example.org "dovecot jose.mueller2@example.test" \
			"exchange karin.weber@example.test" "dovecot olga.over@example.test"
	fi

	# Users without a mailbox receive nothing: what they kept of their
	# addresses is refused; the addresses they never got are unknown local
	# parts, which the catch-all takes.
	for a in dieter.disabled@example.test ddisabled@example.org nn@example.test lena.left@example.test; do
		expect aliases "$a" ""
		expect mailboxes "$a" ""
		expect recipient-access "$a" "REJECT 5.2.1 mailbox unavailable"
		check_route "$a" reject
	done
	check_route oflow@example.test "dovecot main.account@example.test"
	check_route ivan.invalid@example.test "dovecot main.account@example.test"
	check_route uwe.unknown@example.org "dovecot main.account@example.test"
	check_route norbert.nix@example.test "dovecot main.account@example.test"

	# The catch-all: unknown local parts of accepted domains only.
	expect catchall @example.test main.account@example.test
	expect catchall nobody@example.org main.account@example.test
	expect catchall nobody@pop.example.test ""
	expect catchall nobody@example.net ""
	check_route nobody@example.test "dovecot main.account@example.test"
	check_route nobody@pop.example.test "unknown nobody@pop.example.test"
	check_route nobody@example.net "remote nobody@example.net"
	expect recipient-access nobody@example.test ""

	if [ "$round" = 1 ]; then
		check_route verkauf@example.test "dovecot main.account@example.test"
		check_route john.smith@example.test "dovecot john.smith@example.test"
		check_route jsmith@example.org "dovecot john.smith@example.test"
		expect lists team@example.test "main.account@example.test,juergen.gross@example.test,john.smith@example.test,xaver.exchange@example.test"
		check_route olga.over@example.test "dovecot main.account@example.test"
		expect recipient-access olga.over@example.test ""
		check_route zoe.obrien-nunez@example.org "dovecot zoe.obrien-nunez@example.test"
		expect mailboxes zobrien-nunez@example.test "$(uuid 13)"
	else
		# The new alias, in every accepted domain.
		expect aliases verkauf@example.test jose.mueller2@example.test
		check_route verkauf@example.org "dovecot jose.mueller2@example.test"
		# Service none: dirmail's addresses are gone (unknown: the
		# catch-all), the mailbox too, and so is he from the list.
		# The other John Smith, waiting for them, takes the freed
		# john.smith and jsmith and keeps his john.smith2.
		expect mailboxes john.smith@example.test "$(uuid 18)"
		check_route john.smith@example.test "dovecot john.smith@example.test"
		check_route jsmith@example.org "dovecot john.smith@example.test"
		check_route john.smith2@example.test "dovecot john.smith@example.test"
		expect lists team@example.test "main.account@example.test,juergen.gross@example.test,xaver.exchange@example.test"
		# His licence went to oover.
		check_route olga.over@example.test "dovecot olga.over@example.test"
		expect mailboxes oover@example.org "$(uuid 32)"
		# Disabled: refused, no mailbox.
		expect mailboxes zobrien-nunez@example.test ""
		check_route zoe.obrien-nunez@example.org reject
	fi
}

checks 1
pass "round 1: domains, mailboxes, Exchange, forwards, lists, users without a mailbox, the catch-all"

slapd_modify -f "$top_srcdir/tests/data/mail-changes.ldif" >/dev/null
assert_exit 1 dirmail reconcile "${conn[@]}"
checks 2
pass "round 2 after a new alias, a hidden user, a quota override, a user set to none, a disabled user"

# An emptied list expands to nobody and is refused.
slapd_modify >/dev/null <<LDIF
dn: cn=board,ou=lists,$BASE
changetype: modify
replace: dirmailMemberFilter
dirmailMemberFilter: (departmentNumber=nobody)
LDIF
assert_exit 1 dirmail reconcile "${conn[@]}"
assert_eq "$(slapd_search -b "cn=board,ou=lists,$BASE" -s base member | grep -c '^member:')" 1 "members of the emptied list"
prefetch
expect lists vorstand@example.test ""
check_route board@example.org reject
pass "an emptied list (only the empty DN) expands to nobody and is refused"
