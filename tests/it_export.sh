#!/bin/bash
# export: the auditors' snapshot. Deterministic (two exports are byte for
# byte equal, entries, attributes and values sorted), readable by
# python-ldap, free of secrets, written atomically with -o.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"

dirmail export "${conn[@]}" >"$T/a.ldif" 2>"$T/a.err" || fail "export failed: $(cat "$T/a.err")"
assert_eq "$(cat "$T/a.err")" "" "export says nothing on stderr"
assert_exit 0 dirmail export "${conn[@]}" -o "$T/b.ldif"
cmp -s "$T/a.ldif" "$T/b.ldif" || fail "two exports differ"
assert_eq "$(stat -c %a "$T/b.ldif")" "600" "mode of the -o file"
assert_eq "$(ls "$T" | grep -c '\.tmp\.')" "0" "no temporary file left"
pass "two exports are identical; -o writes the same bytes, mode 0600"

/usr/bin/python3 - "$T/a.ldif" <<'PY' || fail "export is not sorted or not readable"
import ldif, sys
recs = ldif.LDIFRecordList(open(sys.argv[1], "rb"))
recs.parse()
dns = [dn for dn, _ in recs.all_records]
assert len(dns) == 30, len(dns)
assert dns == sorted(dns, key=lambda d: (d.lower(), d)), "entries not sorted by DN"
for dn, attrs in recs.all_records:
    names = list(attrs)
    assert names == sorted(names, key=lambda a: (a.lower(), a)), dn
    for a, vals in attrs.items():
        assert vals == sorted(vals), (dn, a)
        assert a.lower() not in ("userpassword", "createtimestamp", "entrycsn"), (dn, a)
acct = dict(recs.all_records)["cn=account,dc=example,dc=test"]
assert acct["dirmailState"][0].startswith(b"over-allocated"), acct["dirmailState"]
PY
pass "entries by DN, attributes by name, values sorted; python-ldap reads it"

assert_not_contains "$(cat "$T/a.ldif")" "userPassword" "secrets in the export"
assert_not_contains "$(cat "$T/a.ldif")" "{SSHA}" "password hashes in the export"
assert_contains "$(cat "$T/a.ldif")" "dn: uid=jmueller,ou=people,$BASE" "a user"
assert_contains "$(cat "$T/a.ldif")" "proxyAddresses: SMTP:jose.mueller2@example.test" "derived state"
assert_contains "$(cat "$T/a.ldif")" "entryUUID: d1a00000-0000-4000-8000-000000000011" "identity"
pass "no secrets; intent, derived state and identity are there"

assert_exit 64 dirmail plan -o "$T/x.ldif" "${conn[@]}"
assert_eq "$OUT" "dirmail: error: -o does not apply to plan" "-o elsewhere"
assert_exit 73 dirmail export "${conn[@]}" -o "$T/no/such/dir/x.ldif"
assert_contains "$OUT" "export: $T/no/such/dir/x.ldif.tmp." "unwritable -o named"
pass "export -o errors"
