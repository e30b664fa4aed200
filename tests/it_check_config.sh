#!/bin/bash
# check-config against a real private slapd: binds that work and binds
# that must not, failover, timeouts, and the account entry's validation.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
ACCT=cn=account,$BASE

# Simple bind over ldap:// with the password from a 0600 file.
assert_exit 0 dirmail check-config -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b $BASE --state-dir "$T/state"
assert_contains "$OUT" "connected to $SLAPD_URI as dn:$SLAPD_ADMIN_DN" "whoami"
assert_contains "$OUT" "account $ACCT" "account DN"
assert_contains "$OUT" "primary domain   example.test" "primary domain"
assert_contains "$OUT" "further domains  example.org" "further domains"
assert_contains "$OUT" "licences         10 POP/IMAP mailboxes" "licences"
assert_contains "$OUT" "catch-all        " "catch-all"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "last line"
assert_not_contains "$OUT" "$(cat "$SLAPD_ADMIN_PW_FILE")" "password in output"
pass "simple bind: account summary and configuration OK"

# SASL EXTERNAL over ldapi://.
assert_exit 0 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE --state-dir "$T/state"
assert_contains "$OUT" "cn=peercred,cn=external,cn=auth" "EXTERNAL identity"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "last line"
pass "SASL EXTERNAL over ldapi://"

# The same from a config file, with -v.
cat > "$T/dirmail.conf" <<CONF
ldap: {
  uri = "$SLAPD_URI";
  bind_dn = "$SLAPD_ADMIN_DN";
  password_file = "$SLAPD_ADMIN_PW_FILE";
  base = "$BASE";
};
CONF
assert_exit 0 dirmail -c "$T/dirmail.conf" check-config --state-dir "$T/state"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "config-file run"
pass "settings from the config file"

# Wrong password: refused, the DN named, the password never printed.
printf 'Wr0ngPassw0rd\n' > "$T/wrong.pw"
chmod 600 "$T/wrong.pw"
assert_exit 78 dirmail check-config -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$T/wrong.pw" -b $BASE
assert_contains "$OUT" "invalid credentials" "wrong password"
assert_contains "$OUT" "$SLAPD_ADMIN_DN" "DN named"
assert_not_contains "$OUT" "Wr0ngPassw0rd" "password echoed"
assert_not_contains "$OUT" "configuration OK" "no success line"
pass "wrong password: 'invalid credentials' for the DN, exit 78, password not shown"

# Failover: the first URI is dead, the second answers.
assert_exit 0 dirmail check-config -H "ldap://127.0.0.1:1/ $SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b $BASE --state-dir "$T/state"
assert_contains "$OUT" "connected to $SLAPD_URI" "failover to the second URI"
assert_exit 0 dirmail check-config -H ldap://127.0.0.1:1/ -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b $BASE --state-dir "$T/state"
assert_contains "$OUT" "connected to $SLAPD_URI" "repeated -H"
pass "URI failover"

# A preflight: an anonymous bind, a state directory that cannot be, a
# journal in a directory that does not exist: each named with its fix.
assert_exit 78 dirmail check-config -H "$SLAPD_URI" -b $BASE --state-dir "$T/state"
assert_contains "$OUT" "the bind is anonymous, which may write nothing: give a bind DN and password file (-D, -y) or a SASL mechanism (-Y)" "anonymous bind"
: >"$T/afile"
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE --state-dir "$T/afile" --journal "$T/none/j.ldif"
assert_contains "$OUT" "state_dir \"$T/afile\": Not a directory; create it, mode 0700" "a state directory that is a file"
assert_contains "$OUT" "journal.file \"$T/none/j.ldif\": its directory: No such file or directory; create it" "a journal without its directory"
assert_not_contains "$OUT" "configuration OK" "no success line"
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE --state-dir "$T/no/such/state"
assert_contains "$OUT" "state_dir \"$T/no/such/state\": No such file or directory" "a state directory that cannot be made"
pass "check-config: an anonymous bind, unusable state or journal directories, each with its fix (78)"

# Unreachable: exit 69 with one line, quickly: no wait beyond what
# starting dirmail takes here (under valgrind, on a busy machine, seconds).
start=$(date +%s%N)
assert_exit 0 dirmail --version
base_ms=$(( ($(date +%s%N) - start) / 1000000 ))
start=$(date +%s%N)
assert_exit 69 dirmail check-config -H "ldap://127.0.0.1:1/ ldap://127.0.0.1:2/" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b $BASE
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" "1" "one line"
assert_contains "$OUT" "ldap://127.0.0.1:2/" "names the URIs tried"
[ "$took_ms" -le $((2 * base_ms + 3000)) ] ||
	fail "refused connections took $took_ms ms, starting dirmail $base_ms ms"
pass "unreachable servers: one line, exit 69"

# A server that accepts the connection but never answers: the timeouts
# (1 s to connect, 2 s per operation) bound the wait.
/usr/bin/python3 - "$T/silent.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(60)
PY
silent=$!
on_exit "kill $silent 2>/dev/null || true"
for _ in $(seq 50); do [ -s "$T/silent.port" ] && break; sleep 0.1; done
cat > "$T/timeout.conf" <<CONF
ldap: { timeout = 1; op_timeout = 2; base = "$BASE"; };
CONF
start=$(date +%s)
assert_exit 69 dirmail -c "$T/timeout.conf" check-config -H "ldap://127.0.0.1:$(cat "$T/silent.port")/" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE"
elapsed=$(( $(date +%s) - start ))
[ "$elapsed" -le 8 ] || fail "a silent server held dirmail for $elapsed s (timeouts 1 s + 2 s)"
assert_contains "$OUT" "127.0.0.1:$(cat "$T/silent.port")" "silent server named"
pass "a silent server ends in exit 69 within the timeouts (${elapsed} s)"

# No account entry under the base.
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b ou=people,$BASE
assert_contains "$OUT" 'no account entry (objectClass dirmailAccount) under "ou=people,dc=example,dc=test"' "no account"
pass "no account entry: exit 78"

# A broken account entry: every problem named with DN and attribute.
slapd_modify <<LDIF >/dev/null
dn: $ACCT
changetype: modify
replace: dirmailLicences
dirmailLicences: 15
-
replace: dirmailQuotaWarnPercent
dirmailQuotaWarnPercent: 150
-
replace: dirmailCatchAll
dirmailCatchAll: uid=nobody,ou=people,$BASE
LDIF
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE
assert_contains "$OUT" "$ACCT: dirmailLicences: 15 is not a multiple of ten (licences come in packs of ten)" "licences"
assert_contains "$OUT" "$ACCT: dirmailQuotaWarnPercent: 150 is out of range (1..100)" "warn percent"
assert_contains "$OUT" "$ACCT: dirmailCatchAll: \"uid=nobody,ou=people,$BASE\" cannot be read" "dangling catch-all"
assert_not_contains "$OUT" "configuration OK" "no success line"
state() { slapd_search -b "$ACCT" -s base '(objectClass=*)' dirmailState | sed -n 's/^dirmailState: //p'; }
assert_not_contains "$(state)" "invalid" "check-config writes nothing"
# reconcile says it on the entry too, where the admin looks: the entry's
# own values, not the catch-all this bind may just not see.
assert_exit 78 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE --state-dir "$T/state" --journal "$T/acct.journal"
assert_contains "$OUT" "nothing was computed, the account's dirmailState says why" "reconcile on a broken account"
assert_eq "$(state)" "invalid: dirmailLicences: 15 is not a multiple of ten (licences come in packs of ten); dirmailQuotaWarnPercent: 150 is out of range (1..100)" "the account's dirmailState"
assert_eq "$(grep -c '^changetype: modify' "$T/acct.journal")" 1 "journaled first"
assert_exit 78 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE --state-dir "$T/state" --journal "$T/acct.journal"
assert_eq "$(grep -c '^changetype: modify' "$T/acct.journal")" 1 "said once: the second pass writes nothing"
pass "broken account entry: every problem reported, exit 78, its dirmailState says why"

# Two tenants under one base are ambiguous.
slapd_modify <<LDIF >/dev/null
dn: cn=second,$BASE
changetype: add
objectClass: dirmailAccount
cn: second
dirmailPrimaryDomain: second.test
LDIF
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE
assert_contains "$OUT" "2 account entries under \"$BASE\"" "two accounts"
pass "two account entries under one base: exit 78"

# The schema check: a slapd without the project's schema is named what it
# lacks, grouped by the file that brings it, before anything is searched.
slapd_start --name bare --no-project-schema --no-data
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE
assert_contains "$OUT" "the directory's schema (cn=Subschema) lacks 54 names dirmail needs" "count"
assert_contains "$OUT" "  dirmail.ldif: attribute types dirmailPrimaryDomain, dirmailDomain," "dirmail.ldif"
assert_contains "$OUT" "; object classes dirmailAccount, dirmailUser, dirmailList" "classes"
assert_contains "$OUT" "  ad-compat.ldif: attribute types mailNickname, " "ad-compat.ldif"
assert_contains "$OUT" "userAccountControl; object class dirmailRecipient" "ad-compat class"
assert_not_contains "$OUT" "standard schema" "core, cosine and inetorgperson are loaded"
assert_not_contains "$OUT" "no account entry" "stopped before the search"
# Reconcile and plan stop on it too, before reading anything.
assert_exit 78 dirmail plan -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE
assert_contains "$OUT" "lacks 54 names dirmail needs" "plan"
# With dirmail.ldif loaded, only ad-compat.ldif's names are left.
assert_exit 0 slapd_add -f "$top_srcdir/schema/dirmail.ldif"
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE
assert_contains "$OUT" "lacks 19 names dirmail needs" "count after dirmail.ldif"
assert_not_contains "$OUT" "dirmail.ldif:" "dirmail.ldif no longer named"
assert_contains "$OUT" "  ad-compat.ldif: " "ad-compat.ldif still named"
assert_exit 0 slapd_add -f "$top_srcdir/schema/ad-compat.ldif"
assert_exit 78 dirmail check-config -H "$SLAPD_LDAPI" -Y EXTERNAL -b $BASE
assert_contains "$OUT" "schema: LDAP, all 62 names dirmail needs are in cn=Subschema" "schema OK"
assert_contains "$OUT" "search on \"$BASE\": No such object" "on to the account"
slapd_stop bare
pass "schema check: every missing name, grouped by the file to load, exit 78"
