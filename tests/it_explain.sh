#!/bin/bash
# dirmail explain against a private slapd: for one object, every derived
# value with the rule and the inputs behind it, printed from the decisions
# of a real computation of the whole directory; golden output in
# tests/expected/explain/ (a new mailbox GUID is random, so it is masked).
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
csn() { slapd_csn; }
mask() { sed 's/^\(    msExchMailboxGuid: \).*/\1(random)/'; }
# golden NAME WHAT: dirmail explain WHAT matches tests/expected/explain/NAME.
golden() {
	dirmail explain "${conn[@]}" "$2" >"$T/$1.out" 2>"$T/$1.err" ||
		fail "explain $2 failed: $(cat "$T/$1.err")"
	mask <"$T/$1.out" >"$T/$1"
	diff -u "$top_srcdir/tests/expected/explain/$1" "$T/$1" >&2 ||
		fail "explain $2 differs from tests/expected/explain/$1"
}

before=$(csn)
# Before the first pass: a suffixed template address (whose unsuffixed form
# belongs to an earlier user), a request waiting for a licence (rank 12 of
# 10), a quota override, a mailbox made before dirmail that service none
# removes.
golden jmueller "uid=jmueller,$PEOPLE"
golden oflow "uid=oflow,$PEOPLE"
golden tbig "uid=tbig,$PEOPLE"
golden lleft "uid=lleft,$PEOPLE"
# A login names the same user as its DN.
dirmail explain "${conn[@]}" jmueller@example.org | mask >"$T/login"
diff -u "$T/jmueller" "$T/login" >&2 || fail "explain by login differs from explain by DN"
assert_eq "$(csn)" "$before" "contextCSN after explain"
pass "explain before the first pass: suffix and its owner, licence rank, quota source, service none"

# After it: internal and external forwards, a rule-based list.
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
golden fvogel "uid=fvogel,$PEOPLE"
golden efern "uid=efern,$PEOPLE"
golden sales "cn=sales,ou=lists,$BASE"
pass "explain after the pass: forwarding to a recipient and to a mail contact, a list's filter"

assert_exit 65 dirmail explain "${conn[@]}" "uid=nobody,$PEOPLE"
assert_contains "$OUT" "uid=nobody,$PEOPLE: no user, list or contact there" "unknown DN"
assert_exit 65 dirmail explain "${conn[@]}" nobody@example.test
assert_contains "$OUT" "nobody has that login" "unknown login"
assert_exit 64 dirmail explain "${conn[@]}"
assert_contains "$OUT" "explain needs one DN or login" "no operand"
assert_exit 64 dirmail explain "${conn[@]}" a b
assert_exit 64 dirmail explain --dry-run "${conn[@]}" "uid=tbig,$PEOPLE"
pass "explain: an unknown DN or login (65), usage errors (64)"
