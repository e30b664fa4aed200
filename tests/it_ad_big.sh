#!/bin/bash
# it_ad_big.sh - a list of 5,000 members on a real Samba AD DC: 5,000
# POP/IMAP users added with one ldapadd, a distribution group whose members
# dirmail derives from its dirmailMemberFilter, one pass that writes every
# member in modifies of at most 1,000 values each (journaled one by one,
# guarded by their values as every write on AD), the DC holding all 5,000
# afterwards, a journal that verifies, and a second pass that writes
# nothing. Samba sends all 5,000 values at once (it never ranges, see the
# README), so this is the write side of large groups; the read side is
# tests/unit/test_range.c and tests/it_range.sh. Each phase's time goes to
# stderr.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/ad-tenant.sh"
N=5000
BATCH=1000 # DIFF_BATCH_MAX in agent/diff.h
mktmp
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
t0=$(date +%s%N)
ad_dc
echo "it_ad_big: DC started, schema applied in $(ms "$t0") ms" >&2

TEN="OU=tenant,$SAMBA_BASE"
PEOPLE="OU=people,$TEN"
LIST="CN=everyone,OU=lists,$TEN"
{
	ad_containers
	# Users without a password: Samba takes them (about 23 ms less each).
	# 66048: a normal account whose password never expires.
	awk -v n="$N" -v people="$PEOPLE" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "dn: CN=u%04d,%s\nobjectClass: user\nobjectClass: dirmailUser\nsAMAccountName: u%04d\nuserAccountControl: 66048\ndirmailService: pop-imap\n\n", i, people, i
	}'
	# After the users: Samba refuses a DN value that names nothing.
	cat <<EOF
dn: CN=account,$TEN
objectClass: dirmailAccount
dirmailPrimaryDomain: example.test
dirmailPrimaryTemplate: %m
dirmailLicences: $N
dirmailStorageTotal: 1000000
dirmailDefaultQuota: 10
dirmailCatchAll: CN=u0000,$PEOPLE
dirmailAddressList: CN=GAL,$TEN
dirmailExchangeDatabase: CN=DB1,$TEN
dirmailPopImapHost: pop.example.test
dirmailDeleteThreshold: 50
dirmailContactBase: OU=contacts,$TEN

dn: $LIST
objectClass: group
objectClass: dirmailList
groupType: 8
sAMAccountName: everyone
dirmailMemberFilter: (objectClass=user)

EOF
} >"$T/tenant.ldif"
t0=$(date +%s%N)
samba_add -f "$T/tenant.ldif" >"$T/add.out" 2>&1 || fail "adding the tenant: $(tail -n 3 "$T/add.out")"
echo "it_ad_big: $N users added with ldapadd in $(ms "$t0") ms" >&2

conn=(-H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -y "$SAMBA_ADMIN_PW_FILE" -b "$TEN" --state-dir "$T/state")
# members: how many members the DC holds for the list (Samba sends them all).
members() { samba_search -b "$LIST" -s base member | grep -c '^member: ' || :; }

t0=$(date +%s%N)
assert_exit 0 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
echo "it_ad_big: the first pass in $(ms "$t0") ms" >&2
assert_contains "$OUT" " refused=0 stale=0 unanswered=0 " "every write accepted"
assert_eq "$(members)" "$N" "members the DC holds"
# The list's records in the journal: each a modify of at most BATCH values,
# the members spread over them, every one answered with success.
awk -v list="$LIST" -v max="$BATCH" '
	/^dn: / { mine = (substr($0, 5) == list); if (mine) recs++; next }
	mine && /^(add|delete|replace|changetype): / { next }
	mine && /^-$/ { next }
	mine && /^[A-Za-z;]+: / { vals[recs]++; if ($1 == "member:") members++ }
	mine && /^$/ { mine = 0 }
	END {
		for (r = 1; r <= recs; r++)
			if (vals[r] > max) { print "record " r " holds " vals[r] " values"; exit 1 }
		print recs, members
	}' "$T/journal.ldif" >"$T/batches" || fail "a batch too large: $(cat "$T/batches")"
read -r recs added <"$T/batches"
assert_eq "$added" "$N" "member values journaled"
[ "$recs" -ge $((N / BATCH)) ] || fail "the members went in $recs modifies, want at least $((N / BATCH))"
assert_exit 0 dirmail journal verify --journal "$T/journal.ldif"
pass "one pass writes $N members in $recs modifies of at most $BATCH values, each journaled and accepted"

# Converged: a second pass writes nothing.
j0=$(md5sum <"$T/journal.ldif")
t0=$(date +%s%N)
assert_exit 0 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
echo "it_ad_big: the second pass in $(ms "$t0") ms" >&2
assert_contains "$OUT" " changed=0 writes=0 " "the second pass"
assert_eq "$(md5sum <"$T/journal.ldif")" "$j0" "the journal after the second pass"
assert_eq "$(members)" "$N" "members the DC holds after the second pass"
pass "the second pass over $N members writes nothing"
