#!/bin/bash
# it_ad.sh - dirmail against a real Samba AD DC: the schema applied as the
# README says, a tenant of AD users, a distribution group and the account
# entry, then reconcile: addresses and mail, the Exchange mailbox, the
# disabled account (userAccountControl), a forward through a new contact
# object, the list's members; writes guarded by the values they delete
# (AD has no assertion control); the second pass writes nothing; dirmail
# bound with SASL GSSAPI from a service account's keytab over plain LDAP,
# StartTLS and LDAPS.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/ad-tenant.sh"
mktmp
ad_tenant

assert_exit 0 dirmail check-config "${conn[@]}"
assert_contains "$OUT" "schema: Active Directory" "the profile"
assert_contains "$OUT" "write rights: user CN=" "the rights on a user"
assert_contains "$OUT" "write rights: list CN=team,OU=lists,$TEN: may write every attribute dirmail owns there" "the rights on a list"
assert_contains "$OUT" "write rights: contact base OU=contacts,$TEN: may create contact objects" "the contact base"

# A service account without the rights: check-config names what it lacks,
# object by object, asking AD (allowedAttributesEffective), writing nothing.
printf 'Svc-pass-1234!' >"$T/svc.pw"
chmod 600 "$T/svc.pw"
samba_add >/dev/null <<LDIF || fail "adding the service account"
dn: CN=svc,CN=Users,$SAMBA_BASE
objectClass: user
sAMAccountName: svc
userAccountControl: 66048
unicodePwd:: $(printf '"%s"' "$(cat "$T/svc.pw")" | iconv -f UTF-8 -t UTF-16LE | base64 -w0)
LDIF
# Read on the tenant, nothing more (AD lets an ordinary user read none of
# dirmail's own classes).
sid=$(samba-tool user show svc --attributes=objectSid -H "$SAMBA_URI" -s "$SAMBA_DIR/etc/smb.conf" \
	-U "Administrator%$(cat "$SAMBA_ADMIN_PW_FILE")" | sed -n 's/^objectSid: //p')
[ -n "$sid" ] || fail "no objectSid for the service account"
samba-tool dsacl set -H "$SAMBA_URI" -s "$SAMBA_DIR/etc/smb.conf" -U "Administrator%$(cat "$SAMBA_ADMIN_PW_FILE")" \
	--objectdn="$TEN" --sddl="(A;CI;RPLCLORC;;;$sid)" >"$T/dsacl.out" 2>&1 ||
	fail "granting the service account read: $(tail -n 3 "$T/dsacl.out")"
svc=(-H "$SAMBA_URI" -D "CN=svc,CN=Users,$SAMBA_BASE" -y "$T/svc.pw" -b "$TEN" --state-dir "$T/state")
assert_exit 78 dirmail check-config "${svc[@]}"
assert_contains "$OUT" "CN=account,$TEN: this bind may not write dirmailState on the account entry; grant" "the account entry's right"
assert_contains "$OUT" ",$PEOPLE: this bind may not write mail mailNickname " "a user's rights named"
assert_contains "$OUT" "OU=contacts,$TEN: this bind may not create contact objects there" "the contact base's right"
assert_not_contains "$OUT" "configuration OK" "check-config with too few rights"
pass "check-config asks AD whether the bind may write what dirmail owns, and names what it lacks"
dirmail plan "${conn[@]}" >"$T/plan.ldif" 2>"$T/plan.err" || fail "plan: $(tail -n 5 "$T/plan.err")"
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" "notice: pass: objects=" "summary"
assert_contains "$OUT" " refused=0 stale=0 unanswered=0 " "every write accepted"
assert_not_contains "$(cat "$T/journal.ldif")" "asserted=(" "no assertion control on AD"
assert_eq "$(get "CN=John Smith,$PEOPLE" mail)" "john.smith@example.test" "jsmith's mail"
assert_eq "$(get "CN=John Smith,$PEOPLE" proxyAddresses | tr '\n' ' ')" \
	"SMTP:john.smith@example.test smtp:john.smith@example.org smtp:jsmith@example.org smtp:jsmith@example.test " \
	"jsmith's addresses"
assert_eq "$(get "CN=Johnny Smith,$PEOPLE" dirmailState)" \
	"address-taken: jsmith@example.test belongs to CN=John Smith,$PEOPLE" "smithj's alias is taken"
assert_eq "$(get "CN=Dis Abled,$PEOPLE" msExchHideFromAddressLists)" "TRUE" "a disabled account leaves the address lists"
assert_eq "$(get "CN=Main User,$PEOPLE" showInAddressBook)" "CN=GAL,$TEN" "the GAL, a DN that exists"
contact="cn=x@partner.example.net,OU=contacts,$TEN"
assert_eq "$(get "$contact" objectClass | tr '\n' ' ')" "contact organizationalPerson person top " "the forward's contact object"
assert_eq "$(get "$contact" targetAddress)" "SMTP:x@partner.example.net" "its targetAddress"
assert_eq "$(get "CN=Fo Rward,$PEOPLE" altRecipient)" "CN=x@partner.example.net,OU=contacts,$TEN" "the forward points at it"
assert_eq "$(get "CN=team,OU=lists,$TEN" member)" "CN=John Smith,$PEOPLE" "the disabled member leaves the list"
assert_eq "$(get "CN=team,OU=lists,$TEN" mail)" "team@example.test" "the list's address"
pass "a first pass on Samba AD: addresses, the disabled account, the forward's contact, the list"

# Converged: a plan shows nothing, a second pass writes nothing.
j0=$(md5sum <"$T/journal.ldif")
dirmail plan "${conn[@]}" >"$T/plan2.ldif" 2>"$T/plan2.err" || fail "plan: $(tail -n 5 "$T/plan2.err")"
assert_eq "$(grep -c '^changetype:' "$T/plan2.ldif")" 0 "the second plan's changes"
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" " changed=0 writes=0 " "the second pass"
assert_eq "$(md5sum <"$T/journal.ldif")" "$j0" "the journal after the second pass"
pass "the second pass on Samba AD writes nothing"

# An admin adds, between dirmail's read and its write, a value dirmail is
# about to add: without an assertion control the add itself is the guard
# (attributeOrValueExists); the object is read again and the rest written.
command -v gdb >/dev/null || fail "gdb not installed: apt-get install gdb"
put "CN=John Smith,$PEOPLE" dirmailAlias johnny
cat >"$T/race.ldif" <<LDIF
dn: CN=John Smith,$PEOPLE
changetype: modify
add: proxyAddresses
proxyAddresses: smtp:johnny@example.test
LDIF
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" gdb -q -batch -ex 'break journal_open' -ex run \
	-ex "shell env LDAPNOINIT=1 ldapmodify -x -H '$SAMBA_URI' -D '$SAMBA_ADMIN_DN' -y '$SAMBA_ADMIN_PW_FILE' -f '$T/race.ldif'" \
	-ex continue --args "$DIRMAIL" reconcile "${conn[@]}" --journal "$T/race.journal" \
	>"$T/race.out" 2>&1 || { cat "$T/race.out" >&2; fail "gdb run failed"; }
assert_contains "$(cat "$T/race.out")" " refused=0 stale=1 unanswered=0 " "one object read again"
assert_contains "$(cat "$T/race.journal")" "result=20 attributeOrValueExists" "the guard's refusal is journaled"
assert_eq "$(grep -c "^dn: CN=John Smith,$PEOPLE" "$T/race.journal")" 2 "John Smith written twice"
assert_eq "$(get "CN=John Smith,$PEOPLE" dirmailManagedAddress | grep -c johnny)" 2 "the rest written after the re-read"
assert_exit 0 dirmail journal verify --journal "$T/race.journal"
dirmail plan "${conn[@]}" >"$T/plan3.ldif" 2>/dev/null || fail "plan after the race"
assert_eq "$(grep -c '^changetype:' "$T/plan3.ldif")" 0 "converged after the re-read"
pass "on AD a write is guarded by its values: a concurrent change is read again, not overwritten"

# ---- dirmail itself binds with SASL GSSAPI from a keytab ---------------------
# A service account with rights on the tenant alone and its keytab (0600),
# named by ldap.keytab: dirmail gets its own ticket, never the one in
# KRB5CCNAME (the Administrator's here), over plain LDAP (GSSAPI seals the
# connection), StartTLS and LDAPS (no SASL layer inside TLS, which AD and
# Samba refuse: "Sign or Seal are not allowed if TLS is used"); Samba has
# no Who am I?, so the journal names the principal the bind presented.
SMB=(-s "$SAMBA_DIR/etc/smb.conf" -H "$SAMBA_DIR/private/sam.ldb")
SVC=svc-dirmail
samba-tool user create "$SVC" --random-password "${SMB[@]}" >"$T/svc.out" 2>&1 ||
	fail "creating $SVC: $(tail -n 3 "$T/svc.out")"
sid=$(samba-tool user show "$SVC" --attributes=objectSid "${SMB[@]}" 2>>"$T/svc.out" |
	sed -n 's/^objectSid: //p')
[ -n "$sid" ] || fail "no objectSid for $SVC: $(tail -n 3 "$T/svc.out")"
samba-tool dsacl set --objectdn="$TEN" --sddl="(A;CI;GA;;;$sid)" "${SMB[@]}" >>"$T/svc.out" 2>&1 ||
	fail "granting $SVC the tenant: $(tail -n 3 "$T/svc.out")"
(umask 077 && samba-tool domain exportkeytab "$T/svc.keytab" --principal="$SVC@$SAMBA_REALM" \
	-s "$SAMBA_DIR/etc/smb.conf" >>"$T/svc.out" 2>&1) || fail "exporting the keytab: $(tail -n 3 "$T/svc.out")"
cat >"$T/gss.conf" <<CONF
ldap: {
	uri = "$SAMBA_URI";
	sasl_mech = "GSSAPI";
	keytab = "$T/svc.keytab";
	base = "$TEN";
	tls: { ca_file = "$SAMBA_CA"; };
};
state_dir = "$T/gss-state";
CONF
assert_exit 0 samba_kinit
who="u:$SVC@$SAMBA_REALM"
for how in "plain" "-Z" "-H $SAMBA_LDAPS"; do
	# shellcheck disable=SC2086  # the flags of each way
	assert_exit 0 dirmail -c "$T/gss.conf" ${how#plain} check-config
	assert_contains "$OUT" " as $who (the server does not say)" "GSSAPI bind identity ($how)"
	assert_contains "$OUT" "configuration OK" "check-config bound with GSSAPI ($how)"
done
pass "check-config binds with GSSAPI from the keytab over plain LDAP, StartTLS and LDAPS"

put "CN=Main User,$PEOPLE" dirmailAlias postmaster
assert_exit 1 dirmail -c "$T/gss.conf" -Z reconcile --journal "$T/gss.journal"
assert_contains "$OUT" " refused=0 stale=0 unanswered=0 " "the GSSAPI pass's writes accepted"
assert_contains "$(get "CN=Main User,$PEOPLE" proxyAddresses)" "smtp:postmaster@example.test" "written over StartTLS with GSSAPI"
recs=$(grep -c '^# .* req=[0-9]* rule=' "$T/gss.journal")
[ "$recs" -ge 1 ] || fail "the GSSAPI pass journaled nothing"
assert_eq "$(grep -c "^# bind: $who\$" "$T/gss.journal")" "$recs" "the principal on every record"
dirmail -c "$T/gss.conf" plan >"$T/gss-plan.ldif" 2>"$T/gss-plan.err" || fail "plan over sealed GSSAPI: $(tail -n 3 "$T/gss-plan.err")"
assert_eq "$(grep -c '^changetype:' "$T/gss-plan.ldif")" 0 "converged, as seen over sealed GSSAPI"
assert_not_contains "$(klist 2>&1)" "$SVC" "dirmail's ticket left the caller's cache alone"
assert_contains "$(klist 2>&1)" "Default principal: Administrator@$SAMBA_REALM" "the caller's cache"
pass "a pass bound with GSSAPI writes and journals $who on every record"

chmod 0640 "$T/svc.keytab"
assert_exit 78 dirmail -c "$T/gss.conf" check-config
assert_contains "$OUT" "keytab $T/svc.keytab: refused, it is accessible by group or others (mode 0640); run chmod 600 $T/svc.keytab" "a loose keytab"
sed -i '/keytab = /d' "$T/gss.conf"
sed -i 's/sasl_mech = "GSSAPI";/keytab = "x";/' "$T/gss.conf"
assert_exit 78 dirmail -c "$T/gss.conf" check-config
assert_contains "$OUT" "ldap.keytab needs ldap.sasl_mech: set it to GSSAPI (-Y GSSAPI)" "a keytab without GSSAPI"
pass "a keytab others can read, or without a SASL mechanism, is refused (exit 78)"
