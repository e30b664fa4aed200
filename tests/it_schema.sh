#!/bin/bash
# it_schema.sh - the project's schema against a real slapd.
# Loads schema/*.ldif with slapadd and over LDAP, checks the slapd.conf forms
# define the same, the OID arcs, and proxyAddresses' case-insensitive equality.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"

BASE=1.2.840.113556.1.8000.2554.6205.19132.64121.17913.37051.9938089.11340878
SCHEMA=$top_srcdir/schema
TENANT=$top_srcdir/ldif/tenant.ldif
P="ou=people,$SLAPD_SUFFIX"
mktmp

# The attributeType/objectClass definitions of a cn=config schema LDIF, one
# per line: unfolded, without the {N} ordering prefix, whitespace collapsed.
schema_defs() {
	awk '
		/^#/ { next }
		/^ / { if (cur != "") cur = cur substr($0, 2); next }
		{ if (cur != "") print cur; cur = "" }
		/^olc(AttributeTypes|ObjectClasses):/ { cur = $0 }
		END { if (cur != "") print cur }
	' "$1" |
		sed -E 's/^(olcAttributeTypes|olcObjectClasses): *(\{[0-9]+\})?/\1 /;
			s/[[:space:]]+/ /g; s/ +$//' |
		LC_ALL=C sort
}

# ---- (a) slapadd of the schema and the tenant ------------------------------
slapd_start
pass "slapadd -n0 loads schema/dirmail.ldif and schema/ad-compat.ldif"
n=$(slapd_search -b "$SLAPD_SUFFIX" dn | grep -c '^dn:')
want=$(grep -c '^dn:' "$TENANT")
assert_eq "$n" "$want" "entries loaded from ldif/tenant.ldif"
pass "slapadd loads ldif/tenant.ldif ($n entries)"

sub=$(slapd_search -b cn=Subschema -s base '(objectClass=*)' attributeTypes objectClasses)
for f in dirmail ad-compat; do
	for oid in $(schema_defs "$SCHEMA/$f.ldif" | awk '{ print $3 }'); do
		assert_contains "$sub" "( $oid NAME" "cn=Subschema knows $oid"
	done
done
pass "cn=Subschema publishes every attribute type and object class"

# ---- (b) ldapadd into a stock config without the project's schema ----------
slapd_start --name stock --no-project-schema --no-data
assert_exit 0 slapd_add -f "$SCHEMA/dirmail.ldif"
assert_exit 0 slapd_add -f "$SCHEMA/ad-compat.ldif"
pass "ldapadd of dirmail.ldif then ad-compat.ldif into a stock cn=config"
# createTimestamp and entryUUID are operational: only slapadd may set them.
sed -E '/^(createTimestamp|entryUUID):/d' "$TENANT" >"$T/tenant-ldapadd.ldif"
assert_exit 0 slapd_add -f "$T/tenant-ldapadd.ldif"
n=$(slapd_search -b "$SLAPD_SUFFIX" dn | grep -c '^dn:')
assert_eq "$n" "$want" "entries added with ldapadd"
pass "ldapadd loads ldif/tenant.ldif into it ($n entries)"
slapd_stop stock
slapd_use slapd

# ---- (c) the slapd.conf forms define the same ------------------------------
mkdir -p "$T/conf/slapd.d"
{
	for s in core cosine inetorgperson nis; do
		echo "include $SLAPD_SCHEMADIR/$s.schema"
	done
	echo "include $SCHEMA/dirmail.schema"
	echo "include $SCHEMA/ad-compat.schema"
} >"$T/conf/slapd.conf"
slaptest=$(_slapd_tool slaptest)
assert_exit 0 "$slaptest" -f "$T/conf/slapd.conf" -F "$T/conf/slapd.d"
pass "slaptest accepts schema/dirmail.schema and schema/ad-compat.schema"
for f in dirmail ad-compat; do
	conv=$(ls "$T/conf/slapd.d/cn=config/cn=schema/"cn=\{*\}"$f.ldif") ||
		fail "slaptest wrote no cn=config entry for $f.schema"
	a=$(schema_defs "$SCHEMA/$f.ldif")
	b=$(schema_defs "$conv")
	[ -n "$a" ] || fail "no definitions found in $f.ldif"
	assert_eq "$b" "$a" "$f.schema (converted by slaptest) against $f.ldif"
	pass "$f.schema and $f.ldif define the same $(printf '%s\n' "$a" | wc -l) types and classes"
done

# ---- (d) OIDs: arcs below 2^32, owned names on the project arc --------------
defs=$(for f in dirmail ad-compat; do schema_defs "$SCHEMA/$f.ldif"; done)
printf '%s\n' "$defs" | awk '{ print $3, $5 }' | tr -d "'" >"$T/oids"
while read -r oid name; do
	IFS=. read -r -a arcs <<<"$oid"
	for a in "${arcs[@]}"; do
		case "$a" in '' | *[!0-9]*) fail "$name: malformed OID $oid" ;; esac
		if [ ${#a} -gt 10 ] || [ "$a" -gt 4294967295 ]; then
			fail "$name: arc $a of $oid exceeds 2^32-1 (AD refuses it)"
		fi
	done
	case "$name" in
	dirmail*)
		case "$oid" in "$BASE".[12].*) ;;
		*) fail "$name: OID $oid is not under the project arc $BASE" ;;
		esac
		;;
	*)
		case "$oid" in 1.2.840.113556.1.[24].*) ;;
		*) fail "$name: OID $oid is not one of Microsoft's" ;;
		esac
		;;
	esac
done <"$T/oids"
dups=$( (awk '{ print $1 }' "$T/oids"; awk '{ print tolower($2) }' "$T/oids") | sort | uniq -d)
assert_eq "$dups" "" "duplicate OIDs or names"
# Attribute N and class N run 1, 2, 3... without gaps.
for kind in 1 2; do
	got=$(awk -v p="$BASE.$kind." 'index($1, p) == 1 { print substr($1, length(p) + 1) }' \
		"$T/oids" | sort -n | tr '\n' ' ')
	cnt=$(printf '%s' "$got" | wc -w)
	assert_eq "$got" "$(seq -s ' ' 1 "$cnt") " "sequence of $BASE.$kind.N"
done
# Where Debian's msuser schema defines the same AD name, the OID must agree.
if [ -f "$SLAPD_SCHEMADIR/msuser.ldif" ]; then
	# Resolve its OID macros (olcObjectIdentifier: MSADat2 MSAD:2 ...).
	ms=$( (grep '^olcObjectIdentifier:' "$SLAPD_SCHEMADIR/msuser.ldif" |
		sed -E 's/^[^:]*: *(\{[0-9]+\})?/M /'
	schema_defs "$SLAPD_SCHEMADIR/msuser.ldif" | awk '{ print "D", $3, $5 }') |
		tr -d "'" | awk '
		function res(o,   p) {
			p = index(o, ":")
			if (p == 0) return (o in m) ? res(m[o]) : o
			return res(substr(o, 1, p - 1)) "." substr(o, p + 1)
		}
		$1 == "M" { m[$2] = $3; next }
		{ print res($2), $3 }')
	while read -r oid name; do
		other=$(printf '%s\n' "$ms" | awk -v n="$name" 'tolower($2) == tolower(n) { print $1 }')
		[ -z "$other" ] || assert_eq "$oid" "$other" "OID of $name (msuser.ldif)"
	done <"$T/oids"
fi
pass "all $(wc -l <"$T/oids") OIDs have arcs < 2^32, dirmail names under $BASE, Microsoft's for AD names"

# ---- (e) proxyAddresses matches case-insensitively ---------------------------
aberg="uid=aberg,$P"
assert_exit 20 slapd_modify <<EOF
dn: $aberg
changetype: modify
add: proxyAddresses
proxyAddresses: smtp:ANNA.BERG@example.test
EOF
pass "proxyAddresses: smtp:ANNA.BERG@... equals SMTP:anna.berg@... (typeOrValueExists)"
assert_exit 0 slapd_modify <<EOF
dn: $aberg
changetype: modify
delete: proxyAddresses
proxyAddresses: SMTP:anna.berg@example.test
proxyAddresses: smtp:anna@example.test
-
add: proxyAddresses
proxyAddresses: smtp:anna.berg@example.test
proxyAddresses: SMTP:anna@example.test
-
EOF
got=$(slapd_search -b "$aberg" -s base proxyAddresses | grep -i '^proxyAddresses: smtp:' | LC_ALL=C sort)
assert_eq "$got" "proxyAddresses: SMTP:anna@example.test
proxyAddresses: smtp:anna.berg@example.test
proxyAddresses: smtp:jose.mueller@example.test" "proxyAddresses after the promotion"
pass "one modify deletes smtp:x / SMTP:y and adds SMTP:x / smtp:y (promotion)"

# Every derived attribute has an EQUALITY rule: delete each value by value.
xd="uid=xexchange,$P"
vals=$(slapd_search -b "$xd" -s base '(objectClass=*)' \
	mail mailNickname proxyAddresses dirmailManagedAddress homeMDB msExchMailboxGuid \
	msExchRecipientTypeDetails msExchRecipientDisplayType legacyExchangeDN \
	showInAddressBook msExchHideFromAddressLists mDBUseDefaults mDBOverQuotaLimit \
	mDBOverHardQuotaLimit mDBStorageQuota msExchRecipLimit dirmailMessageRateLimit \
	dirmailState | grep -v '^dn:' | sed '/^$/d')
[ "$(printf '%s\n' "$vals" | wc -l)" -ge 21 ] || fail "uid=xexchange lacks its derived values: $vals"
{
	printf 'dn: %s\nchangetype: modify\n' "$xd"
	printf '%s\n' "$vals" | while IFS= read -r l; do
		printf 'delete: %s\n%s\n-\n' "${l%%:*}" "$l"
	done
} >"$T/delete-values.ldif"
assert_exit 0 slapd_modify -f "$T/delete-values.ldif"
left=$(slapd_search -b "$xd" -s base '(objectClass=*)' proxyAddresses homeMDB mDBStorageQuota \
	msExchMailboxGuid dirmailState | grep -v '^dn:' | sed '/^$/d' || :)
assert_eq "$left" "" "derived values left after deleting each by value"
pass "every derived value can be deleted by value ($(printf '%s\n' "$vals" | wc -l) values)"
