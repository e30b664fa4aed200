#!/bin/bash
# Names from any script against a private slapd: the sample tenant plus
# users named in Vietnamese, Russian, Chinese and Greek get their
# transliterated addresses; a user without a givenName falls back to %m
# (state ok, explain says why); one whose %m gives nothing either is
# invalid with both reasons; the second pass writes nothing; a givenName
# added later gives the template's address, the fallback one kept.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
PY=/usr/bin/python3

# The users, as "uid|givenName|sn|cn" ("" leaves the attribute out; no uid
# names the entry by its cn), written as LDIF with base64 where RFC 2849
# wants it. All Exchange: licences play no part here.
"$PY" - "$T/names.ldif" <<'PY'
import base64, sys
users = [
    ("nminh", "Nguyễn", "Thị Minh", "Nguyễn Thị Minh"),
    ("ipetrov", "Иван", "Петров", "Иван Петров"),
    ("lxl", "李", "小龙", "李 小龙"),
    ("gpapa", "Γιώργος", "Παπαδόπουλος", "Γιώργος Παπαδόπουλος"),
    ("cher", "", "Cher", "Cher"),
    ("", "", "†", "†"),
]
def line(attr, v):
    if v.isascii() and v[:1] not in (" ", ":", "<"):
        return "%s: %s" % (attr, v)
    return "%s:: %s" % (attr, base64.b64encode(v.encode()).decode())
with open(sys.argv[1], "w") as f:
    for k, (uid, given, sn, cn) in enumerate(users):
        rdn = "uid=" + uid if uid else "cn=" + cn
        rec = [line("dn", rdn + ",ou=people,dc=example,dc=test")]
        rec += ["objectClass: " + c for c in
                ("top", "person", "organizationalPerson", "inetOrgPerson", "dirmailUser")]
        rec += [line("uid", uid)] if uid else []
        rec += [line("cn", cn), line("sn", sn)]
        rec += [line("givenName", given)] if given else []
        rec += ["dirmailService: exchange",
                "createTimestamp: 2024020110%02d00Z" % k,
                "entryUUID: d1a00000-0000-4000-8000-0000000009%02d" % k]
        f.write("\n".join(rec) + "\n\n")
PY
slapd_start "$top_srcdir/ldif/tenant.ldif" "$T/names.ldif"
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")

# get DN ATTR: the values of ATTR on DN, sorted, one a line.
get() { slapd_search -b "$1" -s base '(objectClass=*)' "$2" | sed -n "s/^$2: //p" | sort; }
DAGGER="cn=\\E2\\80\\A0,$PEOPLE"

# Exit 1: converged, with users blocked: the sample's two invalid ones and
# the one no template can name.
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" " invalid=3 " "the blocked users counted"
assert_eq "$(get "uid=nminh,$PEOPLE" mail)" "nguyen.thiminh@example.test" "Nguyễn Thị Minh"
assert_eq "$(get "uid=ipetrov,$PEOPLE" mail)" "ivan.petrov@example.test" "Иван Петров"
assert_eq "$(get "uid=lxl,$PEOPLE" mail)" "li.xiaolong@example.test" "李 小龙"
assert_eq "$(get "uid=gpapa,$PEOPLE" mail)" "giorgos.papadopoulos@example.test" "Γιώργος Παπαδόπουλος"
# The secondary template %1g%s in both domains, the primary's in the other.
assert_eq "$(get "uid=ipetrov,$PEOPLE" proxyAddresses)" "SMTP:ivan.petrov@example.test
smtp:ipetrov@example.org
smtp:ipetrov@example.test
smtp:ivan.petrov@example.org" "Иван Петров's proxyAddresses"
for u in nminh ipetrov lxl gpapa; do
	assert_eq "$(get "uid=$u,$PEOPLE" dirmailState)" "ok" "$u's state"
done
pass "names in Vietnamese, Russian, Chinese and Greek get their transliterated addresses"

# No givenName: %g.%s and %1g%s fall back to %m, the uid.
assert_eq "$(get "uid=cher,$PEOPLE" dirmailState)" "ok" "cher's state"
assert_eq "$(get "uid=cher,$PEOPLE" mail)" "cher@example.test" "cher's primary"
assert_eq "$(get "uid=cher,$PEOPLE" proxyAddresses)" "SMTP:cher@example.test
smtp:cher@example.org" "cher's proxyAddresses"
dirmail explain "${conn[@]}" "uid=cher,$PEOPLE" >"$T/cher.explain" 2>&1 ||
	fail "explain cher: $(cat "$T/cher.explain")"
assert_contains "$(cat "$T/cher.explain")" "  state:      ok" "cher explained"
assert_contains "$(cat "$T/cher.explain")" "    cher@example.test  template %g.%s gave nothing usable (no givenName for %g): %m instead; held already" "cher's primary explained"
assert_contains "$(cat "$T/cher.explain")" "    cher@example.org  template %g.%s gave nothing usable (no givenName for %g): %m instead; held already" "cher's secondary explained"
# cn=† has no givenName and its %m (its cn) has no letter: invalid.
assert_eq "$(get "$DAGGER" dirmailState)" "invalid: dirmailPrimaryTemplate %g.%s: no givenName for %g; fallback %m: mailNickname has no usable characters for %m" "cn=†'s state"
assert_eq "$(get "$DAGGER" mail)" "" "cn=† has no address"
pass "a template that gives nothing falls back to %m (state ok, explain says why); invalid only when %m fails too"

before=$(slapd_csn)
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_eq "$(slapd_csn)" "$before" "contextCSN after the second pass"
pass "the second pass writes nothing"

# The givenName arrives: the template's address is the primary, the one
# %m gave stays as a secondary (mail to it keeps arriving).
slapd_modify >/dev/null <<LDIF
dn: uid=cher,$PEOPLE
changetype: modify
add: givenName
givenName: Cherilyn
LDIF
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_eq "$(get "uid=cher,$PEOPLE" mail)" "cherilyn.cher@example.test" "cher's new primary"
assert_eq "$(get "uid=cher,$PEOPLE" proxyAddresses)" "SMTP:cherilyn.cher@example.test
smtp:ccher@example.org
smtp:ccher@example.test
smtp:cher@example.org
smtp:cher@example.test
smtp:cherilyn.cher@example.org" "cher's addresses once named"
dirmail explain "${conn[@]}" "uid=cher,$PEOPLE" >"$T/cher2.explain" 2>&1 ||
	fail "explain cher: $(cat "$T/cher2.explain")"
assert_not_contains "$(cat "$T/cher2.explain")" "gave nothing usable" "cher explained once named"
pass "a givenName added later gives the template's address; the fallback's stays"
