#!/bin/bash
# What-if plans against a private slapd: plan --set computes a pass as if
# intent values were set on the account entry or on one object, prints
# its changes and writes nothing.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
csn() { slapd_csn; }
# waiting PLAN: the DNs the plan leaves over-licence, sorted.
waiting() { awk 'BEGIN { RS = "" } /^# over-licence/ { for (i = 1; i <= NF; i++) if ($i == "dn:") { print $(i + 1); break } }' "$1" | sort; }
before=$(csn)

# Licences: with fewer, more requests wait; with more, none does.
dirmail plan "${conn[@]}" >"$T/base.plan" 2>/dev/null || fail "plan failed"
assert_eq "$(waiting "$T/base.plan")" "uid=oflow,$PEOPLE
uid=oover,$PEOPLE" "who waits with the account's 10 licences"
dirmail plan "${conn[@]}" --set dirmailLicences=0 >"$T/none.plan" 2>/dev/null || fail "plan --set dirmailLicences=0 failed"
assert_eq "$(waiting "$T/none.plan" | wc -l)" "12" "every POP/IMAP request waits without licences"
assert_contains "$(cat "$T/none.plan")" "# over-licence: all 0 POP/IMAP licences are in use" "the reason names the what-if count"
dirmail plan "${conn[@]}" --set dirmailLicences=20 >"$T/more.plan" 2>/dev/null || fail "plan --set dirmailLicences=20 failed"
assert_eq "$(waiting "$T/more.plan")" "" "nobody waits with 20 licences"
# A what-if value is checked like the directory's: 5 is no pack of ten.
assert_exit 78 dirmail plan "${conn[@]}" --set dirmailLicences=5
assert_contains "$OUT" "dirmailLicences" "an invalid what-if value is named"
assert_eq "$(csn)" "$before" "contextCSN after the what-if plans"
pass "plan --set dirmailLicences shows who would wait; nothing is written"

# A template change on a converged tenant: new primaries, the old ones kept.
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
before=$(csn)
dirmail plan "${conn[@]}" --set 'dirmailPrimaryTemplate=%1g%s' >"$T/tmpl.plan" 2>/dev/null ||
	fail "plan --set dirmailPrimaryTemplate failed"
awk 'BEGIN { RS = ""; ORS = "\n\n" } /dn: uid=jmueller,/' "$T/tmpl.plan" >"$T/jm.plan"
assert_contains "$(cat "$T/jm.plan")" "add: proxyAddresses
proxyAddresses: SMTP:jmueller@example.test
proxyAddresses: smtp:jose.mueller2@example.test" "the new primary, the old one as a secondary"
assert_contains "$(cat "$T/jm.plan")" "add: mail
mail: jmueller@example.test" "mail follows the primary"
assert_not_contains "$(cat "$T/tmpl.plan")" "delete: dirmailManagedAddress" "no address dirmail made is retired"
assert_eq "$(csn)" "$before" "contextCSN after the template what-if"
pass "plan --set dirmailPrimaryTemplate: new primaries, former ones kept as secondaries"

# One object: DN:ATTR=VALUE; several values and removal.
dirmail plan "${conn[@]}" --set "uid=tbig,$PEOPLE:dirmailQuota=100" >"$T/tbig.plan" 2>/dev/null ||
	fail "plan --set DN:dirmailQuota failed"
assert_contains "$(cat "$T/tbig.plan")" "add: mDBOverQuotaLimit
mDBOverQuotaLimit: 102400" "tbig's quota as if set to 100 MB"
assert_eq "$(grep -c '^dn: uid=' "$T/tbig.plan")" "1" "only tbig changes"
dirmail plan "${conn[@]}" --set "uid=smithj, ou=people,$BASE:dirmailAlias=johnny" \
	--set "uid=smithj,$PEOPLE:dirmailAlias=js" >"$T/alias.plan" 2>/dev/null || fail "plan --set aliases failed"
assert_contains "$(cat "$T/alias.plan")" "proxyAddresses: smtp:johnny@example.test" "first alias"
assert_contains "$(cat "$T/alias.plan")" "proxyAddresses: smtp:js@example.test" "second alias"
dirmail plan "${conn[@]}" --set "uid=efern,$PEOPLE:dirmailForwardTo=" >"$T/fwd.plan" 2>/dev/null ||
	fail "plan --set to remove a forward failed"
assert_contains "$(cat "$T/fwd.plan")" "delete: altRecipient" "an empty value removes the attribute"
assert_contains "$(cat "$T/fwd.plan")" "# mail contact no forwarding uses any more" "and its contact goes"
assert_eq "$(csn)" "$before" "contextCSN after the per-object what-ifs"
pass "plan --set DN:ATTR=VALUE: one object as if changed, values added, an empty value removes"

# Misuse.
assert_exit 64 dirmail reconcile "${conn[@]}" --set dirmailLicences=0
assert_eq "$OUT" "dirmail: error: --set does not apply to reconcile" "--set is for plan"
assert_exit 64 dirmail plan "${conn[@]}" --set nonsense
assert_contains "$OUT" "--set \"nonsense\": want [DN:]ATTR=VALUE" "no ATTR=VALUE"
assert_exit 64 dirmail plan "${conn[@]}" --set userPassword=x
assert_contains "$OUT" "userPassword is a secret" "secrets are refused"
assert_exit 65 dirmail plan "${conn[@]}" --set "uid=nobody,$PEOPLE:dirmailQuota=1"
assert_contains "$OUT" "--set uid=nobody,$PEOPLE:dirmailQuota: no user, list or contact there" "unknown DN"
pass "--set: only with plan, ATTR=VALUE required, no secrets, a DN that is not there"
