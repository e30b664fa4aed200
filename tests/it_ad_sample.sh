#!/bin/bash
# it_ad_sample.sh - the policy scenarios of the sample tenant on both kinds
# of directory: ldif/tenant.ldif on the private slapd, and the same tenant
# as AD objects on a Samba AD DC (tests/ad-sample.py load); one reconcile
# on each; their exports agree on every value but names and identities
# (what AD cannot hold of the tenant is checked as the loader says it, and
# the README explains); a second pass on AD writes nothing.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
. "$top_srcdir/tests/ad-tenant.sh"
mktmp
PY=/usr/bin/python3
"$PY" -c 'import ldap' 2>/dev/null || fail "python3-ldap is missing: apt-get install python3-ldap"

# OpenLDAP: the sample tenant, one pass.
slapd_start
lconn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b dc=example,dc=test --state-dir "$T/lstate")
assert_exit 1 dirmail reconcile "${lconn[@]}" --journal "$T/ljournal.ldif"
assert_exit 0 dirmail export "${lconn[@]}" -o "$T/slapd.ldif"

# Active Directory: the schema, then the same tenant as AD objects.
ad_dc
TEN="OU=tenant,$SAMBA_BASE"
"$PY" "$top_srcdir/tests/ad-sample.py" load "$SAMBA_URI" "$SAMBA_ADMIN_DN" "$SAMBA_ADMIN_PW_FILE" \
	"$SAMBA_BASE" "$top_srcdir/ldif/tenant.ldif" >"$T/load.out" 2>&1 ||
	fail "loading the sample tenant into AD: $(tail -n 3 "$T/load.out")"
assert_eq "$(cat "$T/load.out")" \
	"CN=team,OU=lists,$TEN: member CN=gone,OU=people,$TEN: names no object, which AD cannot hold" \
	"what AD cannot hold of the sample tenant"
aconn=(-H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -y "$SAMBA_ADMIN_PW_FILE" -b "$TEN" --state-dir "$T/astate")
assert_exit 1 dirmail reconcile "${aconn[@]}" --journal "$T/ajournal.ldif"
assert_contains "$OUT" " refused=0 stale=0 unanswered=0 " "every write accepted on AD"
assert_exit 0 dirmail export "${aconn[@]}" -o "$T/ad.ldif"

# The same outcomes: every entry, every value but names and identities.
"$PY" "$top_srcdir/tests/ad-sample.py" compare "$T/slapd.ldif" "$T/ad.ldif" "$SAMBA_BASE" \
	>"$T/diff" 2>&1 || fail "comparing the exports: $(tail -n 3 "$T/diff")"
n=$(grep -c '^dn:' "$T/slapd.ldif")
[ "$n" -ge 25 ] || fail "the slapd export holds $n entries"
head -n 1 "$T/diff" | grep -q "^# $n entries, [0-9]* values compared\$" ||
	fail "the comparison: $(head -n 1 "$T/diff")"
if [ "$(wc -l <"$T/diff")" != 1 ]; then
	cat "$T/diff" >&2
	fail "the outcomes on OpenLDAP and AD differ"
fi
pass "the sample tenant on OpenLDAP and on AD: the same outcomes ($(head -n 1 "$T/diff" | cut -c3-))"

# Converged on AD too.
assert_exit 1 dirmail reconcile "${aconn[@]}" --journal "$T/ajournal.ldif"
assert_contains "$OUT" " changed=0 writes=0 " "the second pass on AD"
pass "the second pass over the sample tenant on AD writes nothing"
