#!/bin/bash
# it_ad_schema.sh - the project's Active Directory schema on a real Samba AD DC.
# Checks that dirmail-ad.ldif and exchange-subset-ad.ldif define what the
# OpenLDAP schema does, applies them as the README says (DC=X replaced,
# ldapmodify), checks that users, lists, contacts and the account entry
# carry the attributes, that applying again changes nothing, and that
# dirmail's schema check names what is missing before and nothing after.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/samba.sh"

SCHEMA=$top_srcdir/schema
BASE1=1.2.840.113556.1.8000.2554.6205.19132.64121.17913.37051.9938089.11340878
mktmp

# ---- (a) the AD files define what the OpenLDAP ones do ----------------------
# "NAME OID SINGLE|MULTI" per attribute of an OpenLDAP schema LDIF.
ol_attrs() {
	awk '
		/^#/ { next }
		/^ / { if (cur != "") cur = cur substr($0, 2); next }
		{ if (cur != "") print cur; cur = "" }
		/^olcAttributeTypes:/ { cur = $0 }
		END { if (cur != "") print cur }
	' "$1" | sed -E "s/^olcAttributeTypes: *\( *([0-9.]+) +NAME +'([^']+)'.*/\2 \1 &/" |
		awk '{ print $1, $2, (index($0, "SINGLE-VALUE") ? "SINGLE" : "MULTI") }' | LC_ALL=C sort
}
# The same of an AD schema LDIF's attributeSchema objects.
ad_attrs() {
	awk -v RS= '/objectClass: attributeSchema/ {
		n = ""; o = ""; s = ""
		k = split($0, l, "\n")
		for (i = 1; i <= k; i++) {
			if (l[i] ~ /^lDAPDisplayName: /) n = substr(l[i], 18)
			if (l[i] ~ /^attributeID: /) o = substr(l[i], 14)
			if (l[i] ~ /^isSingleValued: /) s = (substr(l[i], 17) == "TRUE") ? "SINGLE" : "MULTI"
		}
		print n, o, s
	}' "$1" | LC_ALL=C sort
}
ad_classes() {
	awk -v RS= '/objectClass: classSchema/ {
		n = ""; o = ""
		k = split($0, l, "\n")
		for (i = 1; i <= k; i++) {
			if (l[i] ~ /^lDAPDisplayName: /) n = substr(l[i], 18)
			if (l[i] ~ /^governsID: /) o = substr(l[i], 12)
		}
		print n, o
	}' "$1" | LC_ALL=C sort
}
ol_classes() {
	grep -A1 '^olcObjectClasses:' "$1" | tr '\n' ' ' | sed 's/--/\n/g' |
		sed -E "s/.*olcObjectClasses: *\( *([0-9.]+) +NAME '([^']+)'.*/\2 \1/" | LC_ALL=C sort
}
assert_eq "$(ad_attrs "$SCHEMA/dirmail-ad.ldif")" "$(ol_attrs "$SCHEMA/dirmail.ldif")" \
	"dirmail-ad.ldif against dirmail.ldif (name, OID, single-valued)"
want=$( (ol_classes "$SCHEMA/dirmail.ldif"; echo "dirmailRecipient $BASE1.2.4") | LC_ALL=C sort)
assert_eq "$(ad_classes "$SCHEMA/dirmail-ad.ldif")" "$want" "dirmail-ad.ldif classes"
# Every Exchange attribute in the subset is defined alike in ad-compat.ldif
# (back links aside: OpenLDAP has none), and every one of ad-compat's that
# AD's base schema lacks is in the subset.
ex=$(ad_attrs "$SCHEMA/exchange-subset-ad.ldif" | grep -v 'BL ')
oc=$(ol_attrs "$SCHEMA/ad-compat.ldif")
while read -r name oid single; do
	assert_contains "$oc" "$name $oid $single" "ad-compat.ldif defines $name alike"
done <<<"$ex"
for base in proxyAddresses showInAddressBook legacyExchangeDN userAccountControl; do
	oc=$(printf '%s\n' "$oc" | grep -v "^$base ")
done
assert_eq "$(printf '%s\n' "$oc" | awk '{ print $1 }' | grep -v '^dirmail')" \
	"$(printf '%s\n' "$ex" | awk '{ print $1 }')" "ad-compat's Exchange names in the subset"
grep -q 'DC=X$' "$SCHEMA/dirmail-ad.ldif" && grep -q 'DC=X$' "$SCHEMA/exchange-subset-ad.ldif" ||
	fail "the AD schema files do not use DC=X for the forest root"
[ -z "$(grep -h '^dn: ' "$SCHEMA/dirmail-ad.ldif" "$SCHEMA/exchange-subset-ad.ldif" |
	grep -v ',CN=Schema,CN=Configuration,DC=X$')" ] || fail "a DN outside the schema container"
pass "dirmail-ad.ldif and exchange-subset-ad.ldif match dirmail.ldif and ad-compat.ldif"

# ---- (b) a DC without them: the schema check names both files ---------------
samba_start
echo "samba: provisioned in $(cat "$SAMBA_TEMPLATE/provision-ms") ms (once), copied and started in $(cat "$SAMBA_DIR/start-ms") ms" >&2
ADMIN=(-H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -y "$SAMBA_ADMIN_PW_FILE" -b "$SAMBA_BASE")

# The DC samba.sh gives: TLS from its own CA, verified, and Kerberos.
tls() {
	env -u LDAPNOINIT LDAPCONF=/dev/null LDAPRC=/nonexistent LDAPTLS_CACERT="$1" \
		LDAPTLS_REQCERT=demand ldapsearch -x -LLL "${@:2}" -D "$SAMBA_ADMIN_DN" \
		-y "$SAMBA_ADMIN_PW_FILE" -s base -b "" dnsHostName
}
assert_exit 0 tls "$SAMBA_CA" -H "$SAMBA_LDAPS"
assert_exit 0 tls "$SAMBA_CA" -H "$SAMBA_URI" -ZZ
(cd "$T" && umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other \
	-keyout other.key -out other.pem >/dev/null 2>&1) || fail "openssl"
assert_exit 255 tls "$T/other.pem" -H "$SAMBA_LDAPS"
assert_contains "$OUT" "Can't contact LDAP server" "another CA refused"
assert_exit 0 samba_kinit
OUT=$(env -u LDAPNOINIT LDAPCONF=/dev/null LDAPRC=/nonexistent LDAPSASL_NOCANON=on \
	ldapsearch -LLL -Y GSSAPI -Q -H "$SAMBA_URI" -s base -b "$SAMBA_BASE" dn 2>&1) ||
	fail "GSSAPI bind: $OUT"
assert_contains "$OUT" "dn: $SAMBA_BASE" "GSSAPI search"
pass "the DC: LDAPS and StartTLS verified against its CA, refused with another; GSSAPI with a ticket"
assert_exit 78 dirmail check-config "${ADMIN[@]}"
assert_contains "$OUT" "the directory's schema (CN=Aggregate,CN=Schema,CN=Configuration,$SAMBA_BASE) lacks 50 names" "count"
assert_contains "$OUT" "  dirmail-ad.ldif: attribute types dirmailPrimaryDomain, " "dirmail-ad.ldif"
assert_contains "$OUT" "object classes dirmailAccount, dirmailUser, dirmailList, dirmailRecipient" "classes"
assert_contains "$OUT" "  exchange-subset-ad.ldif (not where Exchange's own schema is installed: it has them all): attribute types mailNickname, " "exchange-subset-ad.ldif"
assert_not_contains "$OUT" "base schema" "proxyAddresses and the like are AD's own"
pass "Samba AD without the schema: check-config names both files, exit 78"

# ---- (c) applied as the README says ------------------------------------------
t0=$(date +%s%N)
for f in exchange-subset-ad dirmail-ad; do
	sed "s/DC=X\$/$SAMBA_BASE/" "$SCHEMA/$f.ldif" >"$T/$f.ldif"
	assert_exit 0 samba_modify -f "$T/$f.ldif"
done
echo "samba: both schema files applied in $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
sub=$(samba_search -b "CN=Aggregate,CN=Schema,CN=Configuration,$SAMBA_BASE" -s base \
	attributeTypes objectClasses)
for f in exchange-subset-ad dirmail-ad; do
	while read -r name oid _; do
		assert_contains "$sub" "( $oid NAME '$name' " "the aggregate publishes $name"
	done < <(ad_attrs "$SCHEMA/$f.ldif"; ad_classes "$SCHEMA/$f.ldif")
done
pass "ldapmodify applies exchange-subset-ad.ldif and dirmail-ad.ldif; the aggregate lists every name"

# ---- (d) objects carry the attributes ------------------------------------------
U="CN=Users,$SAMBA_BASE"
assert_exit 0 samba_add <<EOF
dn: OU=tenant,$SAMBA_BASE
objectClass: organizationalUnit

dn: CN=fwd contact,OU=tenant,$SAMBA_BASE
objectClass: contact
sn: fwd
mail: fwd@example.org
proxyAddresses: SMTP:fwd@example.org
targetAddress: SMTP:fwd@example.org
msExchHideFromAddressLists: TRUE
dirmailManagedAddress: fwd@example.org
dirmailState: ok

dn: CN=Anna Berg,$U
objectClass: user
objectClass: dirmailUser
sAMAccountName: aberg
userAccountControl: 514
givenName: Anna
sn: Berg
dirmailService: pop-imap
dirmailAlias: anna
dirmailAlias: ab@example.test
dirmailQuota: 100
dirmailQuotaNotify: FALSE
dirmailForwardTo: fwd@example.org
dirmailForwardKeepCopy: TRUE
dirmailAutoReply: away
dirmailAutoReplyStart: 20261201000000.0Z
dirmailAutoReplyEnd: 20261224000000.0Z
dirmailHidden: FALSE
mail: anna.berg@example.test
mailNickname: aberg
proxyAddresses: SMTP:anna.berg@example.test
proxyAddresses: smtp:anna@example.test
targetAddress: SMTP:aberg@pop.example.test
msExchRecipientTypeDetails: 128
msExchRecipientDisplayType: 6
msExchHideFromAddressLists: FALSE
showInAddressBook: CN=Users,$SAMBA_BASE
mDBUseDefaults: FALSE
mDBStorageQuota: 92160
mDBOverQuotaLimit: 102400
mDBOverHardQuotaLimit: 102400
msExchRecipLimit: 50
dirmailMessageRateLimit: 500
altRecipient: CN=fwd contact,OU=tenant,$SAMBA_BASE
deliverAndRedirect: TRUE
dirmailManagedAddress: anna.berg@example.test
dirmailManagedAddress: alias:anna@example.test
dirmailState: ok

dn: CN=Carl Boss,$U
objectClass: user
sAMAccountName: cboss
userAccountControl: 514

dn: CN=sales,$U
objectClass: group
objectClass: dirmailList
groupType: 8
dirmailMemberFilter: (dirmailService=pop-imap)
dirmailHidden: TRUE
mail: sales@example.test
mailNickname: sales
proxyAddresses: SMTP:sales@example.test
msExchHideFromAddressLists: TRUE
member: CN=Anna Berg,$U
dirmailState: ok

dn: CN=account,OU=tenant,$SAMBA_BASE
objectClass: dirmailAccount
dirmailPrimaryDomain: example.test
dirmailDomain: example.org
dirmailPrimaryTemplate: %g.%s
dirmailSecondaryTemplate: %1g%s
dirmailLicences: 10
dirmailStorageTotal: 2000
dirmailDefaultQuota: 10
dirmailQuotaWarnPercent: 90
dirmailMaxMessagesPerHour: 500
dirmailMaxRecipients: 50
dirmailCatchAll: CN=Anna Berg,$U
dirmailAddressList: CN=Users,$SAMBA_BASE
dirmailExchangeDatabase: CN=Computers,$SAMBA_BASE
dirmailPopImapHost: pop.example.test
dirmailDeleteThreshold: 500
dirmailContactBase: OU=tenant,$SAMBA_BASE
EOF
pass "a user, a list, a contact and the account entry are added with every attribute"

# One modify adds the intent class together with its attributes and the
# Exchange mailbox attributes (a class AD only knows on the object would
# refuse that, 00002014), and the derived ones without any class.
assert_exit 0 samba_modify <<EOF
dn: CN=Carl Boss,$U
changetype: modify
add: objectClass
objectClass: dirmailUser
-
add: dirmailService
dirmailService: exchange
-
add: dirmailPrimaryAddress
dirmailPrimaryAddress: ceo@example.test
-
add: homeMDB
homeMDB: CN=Computers,$SAMBA_BASE
-
add: msExchMailboxGuid
msExchMailboxGuid:: AAECAwQFBgcICQoLDA0ODw==
-
add: legacyExchangeDN
legacyExchangeDN: /o=dirmail/ou=Exchange Administrative Group/cn=Recipients/cn=cboss
-
add: dirmailState
dirmailState: ok
-
EOF
got=$(samba_search -b "CN=Carl Boss,$U" -s base objectClass dirmailService homeMDB msExchMailboxGuid)
assert_contains "$got" "objectClass: dirmailUser" "class added"
assert_contains "$got" "dirmailService: exchange" "service"
assert_contains "$got" "homeMDB: CN=Computers,$SAMBA_BASE" "homeMDB"
assert_contains "$got" "msExchMailboxGuid:: AAECAwQFBgcICQoLDA0ODw==" "mailbox GUID"
got=$(samba_search -b "CN=fwd contact,OU=tenant,$SAMBA_BASE" -s base altRecipientBL)
assert_contains "$got" "altRecipientBL: CN=Anna Berg,$U" "altRecipient's back link"
pass "one modify adds dirmailUser with its attributes; homeMDB, GUID and the back link work"

# Case-insensitive matching where the OpenLDAP schema has it, exact where not.
got=$(samba_search -b "$SAMBA_BASE" '(&(dirmailManagedAddress=ANNA.Berg@EXAMPLE.test)(dirmailAlias=ANNA))' dn)
assert_contains "$got" "dn: CN=Anna Berg,$U" "case-insensitive addresses"
got=$(samba_search -b "$SAMBA_BASE" '(dirmailPrimaryTemplate=%G.%S)' dn)
assert_not_contains "$got" "dn: CN=account" "templates match case-sensitively"
got=$(samba_search -b "$SAMBA_BASE" '(dirmailPrimaryTemplate=%g.%s)' dn)
assert_contains "$got" "dn: CN=account,OU=tenant,$SAMBA_BASE" "template match"
# Single-valued where the OpenLDAP schema says so (Samba says 20 where
# Windows says 19, with the same 0000200D).
assert_exit 20 samba_modify <<EOF
dn: CN=Anna Berg,$U
changetype: modify
add: dirmailService
dirmailService: exchange
-
EOF
assert_contains "$OUT" "SINGLE-VALUE attribute dirmailService" "single-valued"
# The class goes while its attributes stay set (listed in user's auxiliaryClass).
assert_exit 0 samba_modify <<EOF
dn: CN=Carl Boss,$U
changetype: modify
delete: objectClass
objectClass: dirmailUser
-
EOF
got=$(samba_search -b "CN=Carl Boss,$U" -s base objectClass dirmailService)
assert_not_contains "$got" "objectClass: dirmailUser" "class removed"
assert_contains "$got" "dirmailService: exchange" "attribute kept"
pass "matching as on OpenLDAP, single values enforced, the class removable with values set"

# ---- (e) applying again changes nothing and says why ------------------------
count() {
	samba_search -b "CN=Schema,CN=Configuration,$SAMBA_BASE" -s one \
		'(|(objectClass=attributeSchema)(objectClass=classSchema))' dn | grep -c '^dn:'
}
before=$(count)
for f in exchange-subset-ad dirmail-ad; do
	RC=0
	samba_modify -c -f "$T/$f.ldif" >"$T/$f.again" 2>&1 || RC=$?
	[ "$RC" != 0 ] || fail "$f.ldif applied twice without an error"
	adds=$(grep -c '^changetype: add' "$T/$f.ldif")
	mods=$(grep -c '^dn: CN=' "$T/$f.ldif")
	mods=$((mods - adds))
	assert_eq "$(grep -c '^ldap_add: Already exists (68)' "$T/$f.again")" "$adds" "$f: adds refused as existing"
	assert_eq "$(grep -c '^ldap_modify: Type or value exists (20)' "$T/$f.again")" "$mods" "$f: values refused as existing"
	assert_eq "$(grep -c '^ldap_' "$T/$f.again")" "$((adds + mods))" "$f: no other error"
done
assert_eq "$(count)" "$before" "schema objects after applying again"
pass "applied twice: only 'Already exists' and 'Type or value exists', nothing changes"

# ---- (f) the schema check is satisfied ----------------------------------------
assert_exit 0 dirmail check-config "${ADMIN[@]}" --state-dir "$T/state"
assert_contains "$OUT" "schema: Active Directory, all 64 names dirmail needs are in CN=Aggregate,CN=Schema,CN=Configuration,$SAMBA_BASE" "schema OK"
assert_contains "$OUT" "account CN=account,OU=tenant,$SAMBA_BASE" "account found"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "last line"
pass "Samba AD with both files: check-config finds every name and the account entry"
