#!/bin/bash
# it_range.sh - range retrieval over the network. Samba and slapd never
# send an attribute in parts, so tests/ranging-server.py plays a DC that
# ranges as Windows AD does (1,500 values per part, every entry of a search
# written before the client asks for the rest of one), and dirmail export
# reads it: lists of 3,500 and 1,501 members (the latter spelt "Member"),
# one of 3, and a user with 1,600 proxyAddresses come out whole, the parts
# asked for with base searches beside the search still being answered.
# A server that sends the first part again, or nothing, stops the read
# (exit 69) naming the object and the attribute, and nothing is written.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
mktmp
PY=/usr/bin/python3
[ -x "$PY" ] || fail "python3 not installed: apt-get install python3"

# serve MODE: start the ranging server (MODE "" or --loop or --stall) and
# set URI; it is stopped at exit.
serve() {
	rm -f "$T/port"
	# shellcheck disable=SC2086  # no mode is no argument
	"$PY" "$top_srcdir/tests/ranging-server.py" "$T/port" $1 &
	local pid=$!
	on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
	wait_for 10 "the ranging server" test -s "$T/port"
	URI="ldap://127.0.0.1:$(cat "$T/port")/"
	SERVER=$pid
}
stop() {
	kill "$SERVER" 2>/dev/null || :
	wait "$SERVER" 2>/dev/null || :
}
# values FILE DN ATTR: the values of ATTR of DN in the LDIF FILE, sorted.
values() {
	awk -v dn="dn: $2" -v attr="$3: " '
		$0 == dn { on = 1; next }
		/^dn: / { on = 0 }
		on && index($0, attr) == 1 { print substr($0, length(attr) + 1) }
	' "$1" | LC_ALL=C sort
}
# people N PREFIX: the member DNs the server holds, sorted.
people() {
	awk -v n="$1" -v p="$2" 'BEGIN { for (i = 0; i < n; i++) printf "CN=%s%04d,OU=people,DC=test\n", p, i }' |
		LC_ALL=C sort
}

serve ""
assert_exit 0 dirmail export -H "$URI" -b dc=test -vv -o "$T/export.ldif"
assert_eq "$(grep -c '^dirmail: debug: range retrieval: ' <<<"$OUT")" 4 "base searches for the parts"
assert_contains "$OUT" 'range retrieval: base "cn=big,dc=test" scope base filter (objectClass=*) attributes member;range=1500-* ' "the second part of cn=big"
assert_contains "$OUT" 'range retrieval: base "cn=big,dc=test" scope base filter (objectClass=*) attributes member;range=3000-* ' "the third part of cn=big"
assert_contains "$OUT" 'attributes Member;range=1500-* ' "the attribute as the server spelt it"
assert_not_contains "$(cat "$T/export.ldif")" ";range=" "a ranged description in the export"
assert_eq "$(values "$T/export.ldif" cn=big,dc=test member)" "$(people 3500 u)" "the 3,500 members of cn=big"
assert_eq "$(values "$T/export.ldif" cn=edge,dc=test Member)" "$(people 1501 e)" "the 1,501 members of cn=edge"
assert_eq "$(values "$T/export.ldif" cn=small,dc=test member)" "$(people 3 s)" "cn=small, never ranged"
assert_eq "$(values "$T/export.ldif" cn=many,dc=test proxyAddresses | wc -l)" 1600 "the 1,600 proxyAddresses of cn=many"
assert_eq "$(values "$T/export.ldif" cn=many,dc=test mail)" "many@example.test" "cn=many's other attributes"
pass "export reads ranged attributes whole: 3,500 and 1,501 members, 1,600 proxyAddresses"
stop

serve --loop
assert_exit 69 dirmail export -H "$URI" -b dc=test -o "$T/loop.ldif"
assert_contains "$OUT" 'range retrieval on "cn=big,dc=test": member;range=0-1499: overlaps the values 0-1499 held already (the server repeats itself)' "a server sending the first part again"
[ ! -e "$T/loop.ldif" ] || fail "an export was written from a partial read"
stop

serve --stall
assert_exit 69 dirmail export -H "$URI" -b dc=test -o "$T/stall.ldif"
assert_contains "$OUT" 'range retrieval on "cn=big,dc=test": member: asked for the values from 1500 on, the reply holds none of them (the server does not advance)' "a server sending no further part"
[ ! -e "$T/stall.ldif" ] || fail "an export was written from a partial read"
pass "a server that repeats a part or sends none stops the read (exit 69), naming the object"
