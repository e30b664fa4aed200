#!/bin/bash
# it_ad_run.sh - dirmail run against a real Samba AD DC, following changes
# by uSNChanged: the first pass converges; an intent change, a new user, a
# deleted user whose address goes to the one waiting for it, and a user
# moved out of the base are each applied within 2 s; SIGTERM keeps the
# cookie, a restart resumes from it and applies what changed meanwhile; a
# cookie of another DC's database, or one from before a restore, makes the
# daemon read everything again.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/ad-tenant.sh"
mktmp
ad_tenant

LOG=$T/run.log
printf 'sync: { full_interval = 3600; backoff_max = 1; poll_interval = 1; };\n' >"$T/run.conf"
chmod 600 "$T/run.conf"
args=(-c "$T/run.conf" "${conn[@]}" --journal "$T/journal.ldif" -v)
has() { get "$1" "$2" | grep -qxF -- "$3"; }
hasnt() { ! has "$@"; }
modify() { samba_modify >/dev/null || fail "ldapmodify failed"; }
cookie() { sed -n 's/^cookie //p' "$T/state/cookie" | sed 's/../\\x&/g' | xargs -0 printf '%b'; }
set_cookie() {
	sed -i "s/^cookie .*/cookie $(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')/" "$T/state/cookie"
}
# set_alias add|delete DN VALUE: an admin's change of dirmailAlias.
set_alias() {
	modify <<LDIF
dn: $2
changetype: modify
$1: dirmailAlias
dirmailAlias: $3
LDIF
}
converged() {
	dirmail plan "${conn[@]}" >"$T/plan.ldif" 2>"$T/plan.err" || fail "plan: $(tail -n 5 "$T/plan.err")"
	assert_eq "$(grep -c '^changetype:' "$T/plan.ldif" || :)" 0 "$1"
}

# ---- the first pass --------------------------------------------------------
daemon_start "${args[@]}"
logged "changes by uSNChanged" || fail "the daemon did not pick uSNChanged: $(tail -n 5 "$LOG")"
converged "changes left after the daemon's first pass"
assert_eq "$(get "CN=John Smith,$PEOPLE" mail)" "john.smith@example.test" "jsmith's mail"
pass "dirmail run on AD: the first pass converges, following changes by uSNChanged"

# ---- an intent change ------------------------------------------------------
set_alias add "CN=Main User,$PEOPLE" boss
applied_within 2 "a new alias" has "CN=Main User,$PEOPLE" proxyAddresses "smtp:boss@example.test"
pass "an intent change on AD is applied within 2 s"

# ---- a new user, then one whose alias the first holds -----------------------
user aold Ann Old 66048 "dirmailService: pop-imap" "dirmailAlias: sales" |
	samba_add >/dev/null || fail "adding Ann"
applied_within 2 "a new user" has "CN=Ann Old,$PEOPLE" proxyAddresses "smtp:sales@example.test"
user bnew Bob New 66048 "dirmailService: pop-imap" "dirmailAlias: sales" |
	samba_add >/dev/null || fail "adding Bob"
applied_within 2 "the second claim" has "CN=Bob New,$PEOPLE" dirmailState \
	"address-taken: sales@example.test belongs to CN=Ann Old,$PEOPLE"
pass "new users on AD: the first claim holds the alias"

# ---- a deletion: the address goes to the user waiting for it ----------------
has "CN=Johnny Smith,$PEOPLE" dirmailState "address-taken: jsmith@example.test belongs to CN=John Smith,$PEOPLE" ||
	fail "Johnny Smith should wait for jsmith@example.test"
samba_modify >/dev/null <<LDIF || fail "deleting John Smith"
dn: CN=John Smith,$PEOPLE
changetype: delete
LDIF
applied_within 2 "a deleted user's address handed over" has "CN=Johnny Smith,$PEOPLE" proxyAddresses \
	"smtp:jsmith@example.test"
pass "a deleted user (a tombstone seen with show deleted) frees its address within 2 s"

# ---- a move out of the base --------------------------------------------------
samba_modify >/dev/null <<LDIF || fail "moving Ann out"
dn: CN=Ann Old,$PEOPLE
changetype: modrdn
newrdn: CN=Ann Old
deleteoldrdn: 1
newsuperior: CN=Users,$SAMBA_BASE
LDIF
applied_within 2 "an address of a user moved out handed over" has "CN=Bob New,$PEOPLE" proxyAddresses \
	"smtp:sales@example.test"
has "CN=Ann Old,CN=Users,$SAMBA_BASE" proxyAddresses "smtp:sales@example.test" ||
	fail "the user moved out of the base lost a value dirmail does not own there"
pass "a user moved out of the base is gone for the tenant, untouched where it went"

# ---- SIGTERM, the cookie, a restart ----------------------------------------
daemon_stop
c=$(cookie)
case "$c" in
dirmail-usn:1:????????????????????????????????:*) ;;
*) fail "the cookie kept: $c" ;;
esac
set_alias add "CN=Bob New,$PEOPLE" bobby
daemon_start "${args[@]}"
logged "resuming from the cookie" || fail "the restart did not resume from the cookie"
applied_within 2 "a change made while stopped" has "CN=Bob New,$PEOPLE" proxyAddresses "smtp:bobby@example.test"
pass "SIGTERM keeps the uSNChanged cookie; a restart resumes from it and applies what changed meanwhile"

# ---- a cookie of another DC's database, or from before a restore -----------
usn=${c##*:}
for bad in "dirmail-usn:1:00000000000000000000000000000000:$usn" \
	"${c%:*}:$((usn + 1000000))"; do
	daemon_stop
	set_cookie "$bad"
	set_alias delete "CN=Main User,$PEOPLE" boss
	daemon_start "${args[@]}"
	wait_for 5 "the cookie refused" logged "reading everything again"
	case "$bad" in
	*:000000000000*) logged "another DC's database" || fail "the reason: $(tail -n 5 "$LOG")" ;;
	*) logged "a database restored from a backup" || fail "the reason: $(tail -n 5 "$LOG")" ;;
	esac
	applied_within 5 "a pass over everything" hasnt "CN=Main User,$PEOPLE" proxyAddresses "smtp:boss@example.test"
	set_alias add "CN=Main User,$PEOPLE" boss
	applied_within 2 "a change after the full read" has "CN=Main User,$PEOPLE" proxyAddresses "smtp:boss@example.test"
done
converged "changes left at the end"
daemon_stop
pass "a cookie of another DC's database or from before a restore: everything is read again"
