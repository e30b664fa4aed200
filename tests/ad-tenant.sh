# ad-tenant.sh - sourced by the Active Directory tests: a Samba AD DC
# (tests/samba.sh) with dirmail's schema applied the README's way and a
# small tenant under OU=tenant: five users (one disabled, one forwarding,
# one whose alias another holds), a distribution group, the account entry.
# ad_tenant sets TEN, PEOPLE, conn (dirmail's connection arguments), get (an
# attribute's values), put (one more value) and user (the LDIF of one more
# user); ad_containers
# prints the tenant's OUs and containers alone, for a tenant of its own.
# shellcheck shell=bash
. "$top_srcdir/tests/samba.sh"

# ad_dc: a DC of the test's own with the schema files applied.
ad_dc() {
	samba_start
	for f in exchange-subset-ad dirmail-ad; do
		samba_apply_schema "$top_srcdir/schema/$f.ldif" >"$T/$f.out" 2>&1 ||
			fail "applying $f.ldif: $(tail -n 3 "$T/$f.out")"
	done
}

# ad_containers: the LDIF of the tenant's OU $TEN with its OUs for people
# ($PEOPLE), lists and contacts, the address list CN=GAL and the Exchange
# database CN=DB1, which the account entry names.
ad_containers() {
	cat <<-EOF
	dn: $TEN
	objectClass: organizationalUnit

	dn: $PEOPLE
	objectClass: organizationalUnit

	dn: OU=lists,$TEN
	objectClass: organizationalUnit

	dn: OU=contacts,$TEN
	objectClass: organizationalUnit

	dn: CN=GAL,$TEN
	objectClass: container

	dn: CN=DB1,$TEN
	objectClass: container

	EOF
}

# ad_tenant: ad_dc, and the tenant.
ad_tenant() {
	ad_dc

	TEN="OU=tenant,$SAMBA_BASE"
	PEOPLE="OU=people,$TEN"
	# user ID GIVEN SN UAC EXTRA...: an AD user with dirmail intent.
	user() {
		local id=$1 given=$2 sn=$3 uac=$4
		shift 4
		printf 'dn: CN=%s %s,%s\nobjectClass: user\nobjectClass: dirmailUser\n' "$given" "$sn" "$PEOPLE"
		printf 'sAMAccountName: %s\ngivenName: %s\nsn: %s\nuserAccountControl: %s\n' "$id" "$given" "$sn" "$uac"
		printf '%s\n' "$@"
		echo
	}
	{
		ad_containers
		# 66048: a normal account whose password never expires; 66050: disabled
		user main Main User 66048 "dirmailService: pop-imap"
		user jsmith John Smith 66048 "dirmailService: pop-imap"
		user smithj Johnny Smith 66048 "dirmailService: exchange" "dirmailAlias: jsmith"
		user dis Dis Abled 66050 "dirmailService: pop-imap"
		user fw Fo Rward 66048 "dirmailService: pop-imap" "dirmailForwardTo: x@partner.example.net"
		cat <<-EOF
	dn: CN=account,$TEN
	objectClass: dirmailAccount
	dirmailPrimaryDomain: example.test
	dirmailDomain: example.org
	dirmailPrimaryTemplate: %g.%s
	dirmailSecondaryTemplate: %1g%s
	dirmailLicences: 10
	dirmailStorageTotal: 2000
	dirmailDefaultQuota: 10
	dirmailCatchAll: CN=Main User,$PEOPLE
	dirmailAddressList: CN=GAL,$TEN
	dirmailExchangeDatabase: CN=DB1,$TEN
	dirmailPopImapHost: pop.example.test
	dirmailDeleteThreshold: 50
	dirmailContactBase: OU=contacts,$TEN

	dn: CN=team,OU=lists,$TEN
	objectClass: group
	objectClass: dirmailList
	groupType: 8
	sAMAccountName: team
	member: CN=John Smith,$PEOPLE
	member: CN=Dis Abled,$PEOPLE
	EOF
	} >"$T/tenant.ldif"
	samba_add -f "$T/tenant.ldif" >"$T/add.out" 2>&1 || fail "adding the tenant: $(tail -n 3 "$T/add.out")"

	conn=(-H "$SAMBA_URI" -D "$SAMBA_ADMIN_DN" -y "$SAMBA_ADMIN_PW_FILE" -b "$TEN" --state-dir "$T/state")
	# get DN ATTR: the values of ATTR on DN, one a line, sorted.
	get() { samba_search -b "$1" -s base "$2" | sed -n "s/^$2: //p" | LC_ALL=C sort; }
	# put DN ATTR VALUE: adds VALUE to ATTR of DN, as an admin would.
	put() {
		printf 'dn: %s\nchangetype: modify\nadd: %s\n%s: %s\n' "$1" "$2" "$2" "$3" |
			samba_modify >/dev/null || fail "adding $2: $3 to $1"
	}
}
