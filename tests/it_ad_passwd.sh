#!/bin/bash
# dirmail passwd against a real Samba AD DC: unicodePwd over StartTLS and
# LDAPS with the DC's certificate verified, each new password proved by a
# simple bind as the user; over plain ldap:// dirmail refuses although
# Samba would take the password there, an untrusted certificate and a
# password the domain's policy rejects change nothing, and the password is
# nowhere in dirmail's output or state directory.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/ad-tenant.sh"
mktmp
ad_tenant

JS="CN=John Smith,$PEOPLE"
OLD='Alt-Passwort 1'
PW1='pässwörd€ Sesam-42'
# shellcheck disable=SC2016  # a literal $ in a password
PW2='Zweites$Passwort;"x" 9'
ALL_PWS=("$PW1" "$PW2")
# Samba takes a password over plain LDAP (real AD would not): the initial
# one is set that way, which is what dirmail refuses to do below. iconv
# encodes it, not dirmail.
samba_modify >"$T/init.out" 2>&1 <<EOF || fail "setting the initial password: $(tail -n 3 "$T/init.out")"
dn: $JS
changetype: modify
replace: unicodePwd
unicodePwd:: $(printf '"%s"' "$OLD" | iconv -f UTF-8 -t UTF-16LE | base64 -w0)
EOF

# pwfile NAME PASSWORD: a 0600 file holding PASSWORD and a newline.
pwfile() {
	(umask 077 && printf '%s\n' "$2" >"$T/$1")
	echo "$T/$1"
}
# binds_as DN PASSWORD: a simple bind as DN with PASSWORD succeeds (Samba
# has no WhoAmI: a read of the rootDSE stands in).
binds_as() {
	local rc=0
	(umask 077 && printf '%s' "$2" >"$T/bind.pw")
	env LDAPNOINIT=1 ldapsearch -x -H "$SAMBA_URI" -D "$1" -y "$T/bind.pw" -s base -b "" \
		dsServiceName >/dev/null 2>&1 || rc=$?
	rm -f "$T/bind.pw"
	return "$rc"
}
# ad_tenant's conn without its "-H URI": the bind, base and state directory.
bind=("${conn[@]:2}")
# stamp: the user's pwdLastSet, which every password set moves.
stamp() { samba_search -b "$JS" -s base pwdLastSet | sed -n 's/^pwdLastSet: //p'; }
run() {
	local want=$1
	shift
	assert_exit "$want" dirmail "$@"
	printf '%s\n' "$OUT" >>"$T/outputs"
}
binds_as "$JS" "$OLD" || fail "jsmith cannot bind with the initial password"
t0=$(stamp)
[ -n "$t0" ] || fail "no pwdLastSet on $JS"

# ---- refused: nothing sent ---------------------------------------------------
run 78 passwd "${conn[@]}" --password-file "$(pwfile pw1 "$PW1")" jsmith@example.test
assert_contains "$OUT" "ldap://$SAMBA_ADDR:389/: the connection is not protected by TLS, which Active Directory needs to set a password: use ldaps:// or StartTLS (-Z); nothing was changed" "plain ldap://"
# Without the DC's CA its certificate is not trusted: no connection at all.
run 69 passwd -H "$SAMBA_LDAPS" "${bind[@]}" --password-file "$T/pw1" jsmith@example.test
assert_contains "$OUT" "certificate" "an untrusted certificate"
assert_eq "$(stamp)" "$t0" "pwdLastSet after the refusals"
binds_as "$JS" "$OLD" || fail "the initial password no longer binds"
binds_as "$JS" "$PW1" && fail "the refused password binds"
pass "plain ldap:// (which Samba would take) and an untrusted certificate change nothing"

# ---- StartTLS, by login --------------------------------------------------------
tls=(--tls-ca-file "$SAMBA_CA")
run 0 passwd -H "$SAMBA_URI" -Z "${tls[@]}" "${bind[@]}" --password-file "$T/pw1" jsmith@example.test
assert_eq "$OUT" "dirmail: notice: passwd: $JS: password set (unicodePwd over TLS) by dn:$SAMBA_ADMIN_DN" "over StartTLS"
binds_as "$JS" "$PW1" || fail "jsmith cannot bind with the new password"
binds_as "$JS" wrong-Passw0rd && fail "a wrong password binds"
# (Samba still takes the previous password for an hour, "old password
# allowed period", as AD does for NTLM: the stamp shows the change.)
[ "$(stamp)" != "$t0" ] || fail "pwdLastSet did not move"
pass "StartTLS with the DC's CA: a non-ASCII password set by login, proved by a bind"

# ---- LDAPS, by DN; the domain's policy --------------------------------------------
t1=$(stamp)
run 65 passwd -H "$SAMBA_LDAPS" "${tls[@]}" "${bind[@]}" --password-file "$(pwfile weak abc)" "$JS"
assert_contains "$OUT" "modify on \"$JS\": Constraint violation (19)" "a weak password"
assert_contains "$OUT" "the password of $JS was not set" "a weak password"
assert_eq "$(stamp)" "$t1" "pwdLastSet after the weak password"
binds_as "$JS" "$PW1" || fail "PW1 no longer binds after the refused one"
run 0 passwd -H "$SAMBA_LDAPS" "${tls[@]}" "${bind[@]}" --password-file "$(pwfile pw2 "$PW2")" "$JS"
assert_contains "$OUT" "passwd: $JS: password set (unicodePwd over TLS)" "over LDAPS"
binds_as "$JS" "$PW2" || fail "jsmith cannot bind with the password set over LDAPS"
[ "$(stamp)" != "$t1" ] || fail "pwdLastSet did not move"
pass "LDAPS by DN; a password the domain's policy refuses is an error (65) and changes nothing"

# ---- nowhere else ------------------------------------------------------------
[ ! -e "$T/state" ] || fail "passwd made a state directory"
for pw in "${ALL_PWS[@]}"; do
	! grep -qF -- "$pw" "$T/outputs" || fail "dirmail's output holds a password"
	! grep -qF -- "$(printf '%s' "$pw" | base64 -w0)" "$T/outputs" || fail "dirmail's output holds a password in base64"
done
pass "no password in dirmail's output; no journal, no state directory"
