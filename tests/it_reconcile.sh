#!/bin/bash
# One-shot reconcile against a private slapd loaded with the sample tenant:
# plan and dry run write nothing, one pass converges to the golden state,
# the second writes nothing, the journal replays to the same state, the
# delete threshold stops a pass, --dn touches one object, no secret leaks.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
PY=/usr/bin/python3

# contextCSN moves with every write the server accepts.
csn() { slapd_csn; }
# The dump compared with tests/expected: mailbox GUIDs are random.
golden_dump() {
	slapd_dump | sed 's/^msExchMailboxGuid:: .*/msExchMailboxGuid:: (random)/'
}
# Every LDIF dirmail writes must parse with python-ldap's parser.
parses() {
	"$PY" - "$1" <<'PY' || fail "python-ldap cannot parse $1"
import ldif, sys
class P(ldif.LDIFParser):
    def handle(self, dn, entry): pass
    def handle_modify(self, dn, modops, controls=None): pass
p = P(open(sys.argv[1], "rb"))
p.parse_change_records()
print(p.records_read)
PY
}

before=$(csn)
[ -n "$before" ] || fail "no contextCSN on $BASE"

# plan: LDIF on stdout, nothing written.
dirmail plan "${conn[@]}" >"$T/plan.ldif" 2>"$T/plan.err" || fail "plan failed: $(cat "$T/plan.err")"
assert_eq "$(head -n 1 "$T/plan.ldif")" "version: 1" "plan starts with version: 1"
assert_eq "$(grep -c '^changetype: modify' "$T/plan.ldif")" "29" "modify records in the plan"
assert_eq "$(grep -c '^changetype: add' "$T/plan.ldif")" "1" "contact add in the plan"
assert_contains "$(cat "$T/plan.err")" "uid=oover,$PEOPLE: over-licence" "plan names blocked objects"
[ "$(parses "$T/plan.ldif")" -ge 29 ] || fail "python-ldap read too few plan records"
ldapmodify -n -c -f "$T/plan.ldif" >"$T/plan.n" 2>&1 || { cat "$T/plan.n" >&2; fail "ldapmodify -n cannot read the plan"; }
assert_eq "$(csn)" "$before" "contextCSN after plan"
pass "plan prints RFC 2849 change records and writes nothing"

assert_exit 1 dirmail reconcile --dry-run "${conn[@]}" --journal "$T/dry.journal"
assert_contains "$OUT" "notice: dry run: objects=28 ok=" "dry-run summary"
assert_contains "$OUT" " changed=29 writes=30 " "dry-run counts"
assert_eq "$(csn)" "$before" "contextCSN after --dry-run"
[ ! -e "$T/dry.journal" ] || fail "--dry-run created a journal"
pass "reconcile --dry-run writes nothing, not even a journal"

# The pass itself.
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" "notice: pass: objects=28 ok=" "summary"
assert_contains "$OUT" " changed=29 writes=30 refused=0 stale=0 unanswered=0 " "summary counts"
golden_dump >"$T/after.ldif"
if ! diff -u "$top_srcdir/tests/expected/reconcile.ldif" "$T/after.ldif" >"$T/golden.diff"; then
	head -n 80 "$T/golden.diff" >&2
	fail "the directory after one pass differs from tests/expected/reconcile.ldif"
fi
pass "one pass converges the sample tenant to tests/expected/reconcile.ldif"

# Spot checks of the rules, from the directory itself.
state() { slapd_search -b "$1" -s base '(objectClass=*)' dirmailState | sed -n 's/^dirmailState: //p'; }
assert_eq "$(state "uid=xexchange,$PEOPLE")" "conflict: exchange-enabled: disable Exchange first; its mailbox will be deleted" "xexchange"
assert_eq "$(state "uid=oflow,$PEOPLE")" "over-licence: all 10 POP/IMAP licences are in use; the mailbox is created when one is free" "oflow"
assert_eq "$(state "uid=iinvalid,$PEOPLE")" "invalid: dirmailQuota: -5 is negative" "iinvalid"
assert_contains "$(state "uid=ppan,$PEOPLE")" "address-taken: anna@example.test belongs to uid=aberg" "ppan"
assert_eq "$(slapd_search -b "uid=xexchange,$PEOPLE" -s base '(objectClass=*)' msExchMailboxGuid | sed -n 's/^msExchMailboxGuid:: //p')" \
	"1oP8xG66RWOZGDjru/597w==" "a mailbox in conflict keeps its GUID"
pops=$(slapd_search -b "$PEOPLE" '(msExchRecipientTypeDetails=128)' 1.1 | grep -c '^dn:')
assert_eq "$pops" "10" "POP/IMAP mailboxes (licences)"
pass "states, licences and the kept mailbox as SPEC section 2 says"

# The journal: readable, each change with its result, replayable.
assert_eq "$(head -n 1 "$T/journal.ldif")" "version: 1" "journal header"
assert_eq "$(grep -c '^# .* req=[0-9]* rule=' "$T/journal.ldif")" "30" "journaled changes"
assert_eq "$(grep -c '^# .* req=[0-9]* result=0 success$' "$T/journal.ldif")" "30" "journaled results"
assert_not_contains "$(cat "$T/journal.ldif")" "assertion:" "no control in a record"
assert_contains "$(cat "$T/journal.ldif")" "asserted=(entryCSN=" "asserted state noted"
[ "$(parses "$T/journal.ldif")" -ge 30 ] || fail "python-ldap read too few journal records"
slapd_start --name copy
slapd_replay_same "$T/journal.ldif" slapd copy
pass "the journal replays with ldapmodify -c on a pristine copy to the same state"

# The second pass writes nothing, not even to the journal.
before=$(csn)
jsum=$(md5sum <"$T/journal.ldif")
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" "pass: objects=29 " "second pass summary"
assert_contains "$OUT" " changed=0 writes=0 " "second pass writes nothing"
assert_eq "$(csn)" "$before" "contextCSN after the second pass"
assert_eq "$(md5sum <"$T/journal.ldif")" "$jsum" "the journal after the second pass"
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/none.journal"
[ ! -e "$T/none.journal" ] || fail "a pass with nothing to write created a journal"
dirmail plan "${conn[@]}" >"$T/plan2.ldif" 2>/dev/null
assert_eq "$(head -n 1 "$T/plan2.ldif")" "version: 1" "second plan"
assert_eq "$(grep -c '^changetype:' "$T/plan2.ldif")" 0 "second plan's changes"
assert_contains "$(tail -n 1 "$T/plan2.ldif")" "# summary: objects=29 ok=22 " "second plan's summary"
pass "the second pass writes nothing (contextCSN unchanged)"

# Secrets never leave the directory.
for f in "$T/plan.ldif" "$T/plan.err" "$T/journal.ldif"; do
	assert_not_contains "$(cat "$f")" "{SSHA}" "userPassword in $f"
	assert_not_contains "$(cat "$f")" "userPassword" "userPassword in $f"
done
pass "no password value in plan, journal or log"

# The delete threshold: two users leave the mail service at once.
slapd_modify <<LDIF >/dev/null
dn: cn=account,$BASE
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 6

dn: uid=jgross,$PEOPLE
changetype: modify
replace: dirmailService
dirmailService: none

dn: uid=smithj,$PEOPLE
changetype: modify
replace: dirmailService
dirmailService: none
LDIF
before=$(csn)
assert_exit 65 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" "this pass would delete 12 mailboxes, addresses, list members or contacts, more than the account's dirmailDeleteThreshold of 6; nothing was written" "threshold message"
assert_eq "$(csn)" "$before" "contextCSN after the refused pass"
assert_exit 1 dirmail reconcile --force "${conn[@]}" --journal "$T/journal.ldif"
assert_eq "$(slapd_search -b "uid=jgross,$PEOPLE" -s base '(objectClass=*)' mail proxyAddresses | grep -c '^\(mail\|proxyAddresses\):')" "0" "jgross stripped"
# fvogel forwarded to jgross, who has no address left: fvogel is invalid now.
assert_eq "$(state "uid=fvogel,$PEOPLE")" "invalid: dirmailForwardTo: no recipient has the address juergen.gross@example.test" "forward target gone"
pass "the delete threshold stops a pass before any write; --force goes past it"

# --dn: only that object is written.
slapd_start --name dn
assert_exit 0 dirmail reconcile --dn "uid=tbig,$PEOPLE" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/dn.journal"
assert_contains "$OUT" " changed=1 writes=1 " "--dn summary"
assert_eq "$(grep -c '^changetype:' "$T/dn.journal")" "1" "one record"
assert_contains "$(cat "$T/dn.journal")" "dn: uid=tbig,$PEOPLE" "the record is tbig's"
assert_exit 65 dirmail reconcile --dn "uid=nobody,$PEOPLE" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/dn.journal"
assert_contains "$OUT" "no user or list with dirmail intent there" "unknown --dn"
# A login names a user as well: user@domain and user+domain.
for login in jmueller@example.org jmueller+example.test; do
	dirmail plan --dn "$login" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" >"$T/dn.plan" 2>/dev/null ||
		fail "plan --dn $login failed"
	assert_eq "$(grep '^dn:' "$T/dn.plan")" "dn: uid=jmueller,$PEOPLE" "plan --dn $login"
done
assert_exit 65 dirmail plan --dn nobody@example.test -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state"
assert_contains "$OUT" "nobody has that login" "unknown login"
assert_exit 65 dirmail plan --dn jmueller@elsewhere.test -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state"
assert_contains "$OUT" "elsewhere.test is not a domain of the account" "foreign domain"
pass "reconcile --dn writes the changes of that object alone; logins name users"

# DNs are compared as DNs: a --dn and list members spelt with other case,
# spacing or escapes than the entries' DNs name the same entries.
dirmail plan --dn "UID=jmueller , ou=People,dc=example,dc=test" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" >"$T/dn2.plan" 2>"$T/dn2.err" ||
	fail "plan --dn with another spelling failed: $(cat "$T/dn2.err")"
assert_eq "$(grep '^dn:' "$T/dn2.plan")" "dn: uid=jmueller,$PEOPLE" "plan --dn with another spelling"
slapd_modify <<LDIF >/dev/null || fail "adding members in other spellings failed"
dn: cn=board,ou=lists,$BASE
changetype: modify
add: member
member: UID=JMueller, OU=People, dc=example,dc=test
member: uid=k\77eber,ou=people,dc=example,dc=test
LDIF
dirmail plan --dn "cn=board,ou=lists,$BASE" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" >"$T/dn3.plan" 2>"$T/dn3.err" ||
	fail "plan of cn=board failed: $(cat "$T/dn3.err")"
assert_not_contains "$(cat "$T/dn3.plan")" "delete: member" "members in other spellings are not dangling"
pass "DNs compare as DNs: --dn and members in other case, spacing and escapes"

# A journal that cannot be written: nothing is sent.
slapd_use dn
before=$(csn)
assert_exit 73 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/no/such/dir/journal.ldif"
assert_contains "$OUT" "nothing was written" "journal refusal"
assert_eq "$(csn)" "$before" "contextCSN without a journal"
# Another process holds the journal (a daemon writing it): try again later.
: >"$T/busy.journal"
flock -x "$T/busy.journal" sleep 30 &
holder=$!
wait_for 5 "the journal's lock" sh -c "! flock -n -x '$T/busy.journal' true"
assert_exit 75 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/busy.journal"
assert_contains "$OUT" "another dirmail is writing this journal; nothing was written" "busy journal"
kill "$holder"
wait "$holder" 2>/dev/null || :
assert_eq "$(csn)" "$before" "contextCSN with a busy journal"
pass "no journal, no write; a busy one exits 75 (EX_TEMPFAIL)"

# Someone changes an object between dirmail's read and its write: the
# assertion fails, dirmail reads it again, recomputes and writes the new
# state. gdb holds dirmail where the pass is computed and the journal is
# about to open, while the admin's change goes in.
command -v gdb >/dev/null || fail "gdb not installed: apt-get install gdb"
slapd_start --name race
cat >"$T/race.ldif" <<LDIF
dn: uid=smithj,$PEOPLE
changetype: modify
add: dirmailAlias
dirmailAlias: johnny
LDIF
gdb -q -batch -ex 'break journal_open' -ex run \
	-ex "shell ldapmodify -Y EXTERNAL -H '$SLAPD_LDAPI' -Q -f '$T/race.ldif'" -ex continue \
	--args "$DIRMAIL" reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/race.journal" \
	>"$T/race.out" 2>&1 || { cat "$T/race.out" >&2; fail "gdb run failed"; }
assert_contains "$(cat "$T/race.out")" " refused=0 stale=1 unanswered=0 deletions=8 " "one object re-read"
assert_contains "$(cat "$T/race.journal")" "assertion failed" "the failed assertion is journaled"
assert_eq "$(grep -c "^dn: uid=smithj,$PEOPLE" "$T/race.journal")" "2" "smithj written twice"
assert_contains "$(slapd_search -b "uid=smithj,$PEOPLE" -s base '(objectClass=*)' proxyAddresses)" \
	"smtp:johnny@example.test" "the change made meanwhile is taken into account"
out=$(dirmail plan -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" 2>/dev/null)
assert_eq "$(printf '%s\n' "$out" | grep -c '^changetype:')" 0 "converged after the re-read"
pass "a failed assertion re-reads and recomputes the object"

# journal verify and undo, on the first instance's journal: the undo of the
# whole journal brings the directory back to the tenant as loaded.
# The race journal holds the write whose assertion failed and the note
# that its object was read again: that is no failure.
assert_exit 0 dirmail journal verify --journal "$T/race.journal"
slapd_stop copy
slapd_start --name undo
slapd_dump >"$T/undo-before.ldif"
assert_exit 1 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/undo.journal"
assert_exit 0 dirmail journal verify --journal "$T/undo.journal"
assert_eq "$OUT" "$T/undo.journal: 30 change records, all with a successful result" "verify"
assert_exit 0 dirmail journal undo --journal "$T/undo.journal" -o "$T/undo.ldif"
[ "$(parses "$T/undo.ldif")" -ge 30 ] || fail "python-ldap read too few undo records"
ldapmodify -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -f "$T/undo.ldif" >"$T/undo.out" 2>&1 ||
	{ cat "$T/undo.out" >&2; fail "ldapmodify refused the undo"; }
slapd_dump >"$T/undo-after.ldif"
diff -u "$T/undo-before.ldif" "$T/undo-after.ldif" >&2 || fail "undo did not restore the directory"
pass "journal undo restores the state before the pass; verify counts its records"

# A request that failed and one that never got its result are listed.
cp "$T/undo.journal" "$T/bad.journal"
sed -i '0,/req=3 result=0 success/s//req=3 result=32 noSuchObject uid=x: refused/' "$T/bad.journal"
sed -i '/req=5 result=0 success/d' "$T/bad.journal"
assert_exit 65 dirmail journal verify --journal "$T/bad.journal"
assert_contains "$OUT" "req=3 failed: result=32 noSuchObject uid=x: refused" "failed request"
assert_contains "$OUT" "req=5 has no result" "unfinished request"
assert_contains "$OUT" "2 requests failed, were not sent or have an unknown outcome" "count"
# --since after the pass: nothing to revert.
assert_exit 0 dirmail journal undo --journal "$T/undo.journal" --since 2999-01-01T00:00:00Z
assert_eq "$OUT" "version: 1" "undo --since the future"
assert_exit 64 dirmail journal undo --journal "$T/undo.journal" --since yesterday
assert_exit 64 dirmail journal frobnicate --journal "$T/undo.journal"
assert_exit 64 dirmail journal verify --since 2026-01-01T00:00:00Z --journal "$T/undo.journal"
pass "journal verify lists failed and unfinished requests; undo --since; usage errors"

# Journal for auditors: each record names its pass and the bind identity
# (Who am I?, here SASL EXTERNAL's mapped DN); undo selects by pass, DN
# and time in the common ISO 8601 forms. Two passes into one journal, a
# second apart: the whole tenant, then one admin change.
assert_exit 1 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/sel.journal"
pa=$(sed -n 's/^# pass: //p' "$T/sel.journal" | sort -u)
[[ $pa =~ ^[0-9]{8}T[0-9]{6}Z-[0-9]+-1$ ]] || fail "pass id '$pa'"
assert_contains "$OUT" "pass $pa: its writes are journaled in $T/sel.journal" "the log names the pass"
slapd_search -b "uid=jmueller,$PEOPLE" -s base '(objectClass=*)' >"$T/jm-after-a.ldif"
sleep 1
slapd_modify <<LDIF >/dev/null
dn: uid=jmueller,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 77
LDIF
assert_exit 1 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/sel.journal"
pb=$(sed -n 's/^# pass: //p' "$T/sel.journal" | sort -u | grep -vx "$pa")
[ -n "$pb" ] && [ "$(printf '%s\n' "$pb" | wc -l)" = 1 ] || fail "second pass id '$pb'"
who=$(ldapwhoami -Y EXTERNAL -H "$SLAPD_LDAPI" -Q) || fail "ldapwhoami failed"
# (the second pass changes the account's storage note too)
assert_eq "$(grep -c '^# .* req=[0-9]* rule=' "$T/sel.journal")" "32" "journaled changes"
assert_eq "$(grep -c "^# pass: $pa\$" "$T/sel.journal")" "30" "records of the first pass"
assert_eq "$(grep -c "^# pass: $pb\$" "$T/sel.journal")" "2" "records of the second pass"
assert_eq "$(grep -c "^# bind: $who\$" "$T/sel.journal")" "32" "the bind identity on every record"
# each right under its req= comment
assert_eq "$(grep -A2 ' req=[0-9]* rule=' "$T/sel.journal" | grep -c '^# \(pass\|bind\): ')" "64" "where they stand"
assert_exit 0 dirmail journal verify --journal "$T/sel.journal"
[ "$(parses "$T/sel.journal")" -ge 32 ] || fail "python-ldap read too few records of the journal"
ldapmodify -n -c -f "$T/sel.journal" >"$T/sel.n" 2>&1 || { cat "$T/sel.n" >&2; fail "ldapmodify -n cannot read the journal"; }
pass "every record names its pass and the bind identity; verify and ldapmodify take them"

undo() { dirmail journal undo --journal "$T/sel.journal" "$@" 2>&1; }
records() { grep -c '^changetype:' || :; }
assert_exit 0 dirmail journal undo --journal "$T/sel.journal" --pass "$pb" -o "$T/undo-b.ldif"
assert_eq "$(grep '^dn:' "$T/undo-b.ldif" | sort)" "dn: cn=account,$BASE
dn: uid=jmueller,$PEOPLE" "undo --pass: the second pass's objects"
assert_contains "$(cat "$T/undo-b.ldif")" "# undo of req=31 (" "undo --pass names the request"
assert_contains "$(cat "$T/undo-b.ldif")" ", pass $pb)" "undo --pass names the pass"
assert_eq "$(undo --pass "$pa" | records)" "30" "undo --pass of the first"
assert_eq "$(undo --dn "UID=jmueller, ou=People,$BASE" | records)" "2" "undo --dn, spelt otherwise"
assert_eq "$(undo --dn "uid=jmueller,$PEOPLE" --pass "$pa" | records)" "1" "--dn and --pass"
assert_eq "$(undo --dn "uid=jmueller,$PEOPLE" --pass "$pb" | records)" "1" "--dn and the other --pass"
# --since in the journal's own form and others: the second pass's time,
# written with an offset, and the day both ran
tb=$(grep -B3 "^# pass: $pb\$" "$T/sel.journal" | sed -n 's/^# \([^ ]*\) req=[0-9]* rule=.*/\1/p' | head -n 1)
[ -n "$tb" ] || fail "no time for the second pass"
plus1=$(TZ=UTC-1 date -d "$tb" +%Y-%m-%dT%H:%M:%S+01:00)
basic=$(date -u -d "$tb" +%Y%m%dT%H%M%SZ)
for since in "$tb" "$plus1" "$basic"; do
	assert_eq "$(undo --since "$since" | records)" "2" "--since $since"
	assert_eq "$(undo --since "$since" --pass "$pa" | records)" "0" "--since $since --pass (first)"
done
day=$(sed -n 's/^# \([0-9-]*\)T[^ ]* req=1 rule=.*/\1/p' "$T/sel.journal")
assert_eq "$(undo --since "$day" | records)" "32" "--since the day"
assert_eq "$(undo --since "${day}T00:00" --dn "uid=jmueller,$PEOPLE" | records)" "2" "--since with minutes, --dn"
pass "journal undo --pass, --dn and --since (ISO 8601 forms) select what to revert"

# Reverting the second pass brings its objects back to where the first left them.
ldapmodify -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -f "$T/undo-b.ldif" >"$T/undo-b.out" 2>&1 ||
	{ cat "$T/undo-b.out" >&2; fail "ldapmodify refused the undo of the second pass"; }
# (attributes in any order; the intent, dirmailQuota, is the admin's)
slapd_search -b "uid=jmueller,$PEOPLE" -s base '(objectClass=*)' | grep -v '^dirmailQuota:' | sort >"$T/jm-undone.ldif"
diff -u <(grep -v '^dirmailQuota:' "$T/jm-after-a.ldif" | sort) "$T/jm-undone.ldif" >&2 ||
	fail "undo --pass did not bring jmueller back to the first pass's state"
pass "undo --pass reverts that pass alone"

# Journals written before the pass and bind comments still verify and undo.
sed -e '/^# pass: /d' -e '/^# bind: /d' "$T/sel.journal" >"$T/old.journal"
assert_exit 0 dirmail journal verify --journal "$T/old.journal"
assert_eq "$(dirmail journal undo --journal "$T/old.journal" --since "$tb" 2>&1 | records)" "2" "--since on the old form"
diff -u <(undo | sed "s/, pass [^)]*)/)/") <(dirmail journal undo --journal "$T/old.journal" 2>&1) >&2 ||
	fail "undo of the old form differs but for the pass"
assert_eq "$(dirmail journal undo --journal "$T/old.journal" --dn "uid=jmueller,$PEOPLE" 2>&1 | records)" "2" "--dn on the old form"
assert_exit 65 dirmail journal undo --journal "$T/old.journal" --pass "$pa"
assert_contains "$OUT" "no change of pass $pa in $T/old.journal" "--pass on the old form"
pass "journals without pass and bind comments verify and undo as before"

assert_exit 65 dirmail journal undo --journal "$T/sel.journal" --pass 20000101T000000Z-1-1
assert_eq "$OUT" "dirmail: error: no change of pass 20000101T000000Z-1-1 in $T/sel.journal (rotated journals, $T/sel.journal.1 ..., are not read)" "unknown pass"
assert_exit 64 dirmail journal undo --journal "$T/sel.journal" --since 07.12.2026
assert_eq "$OUT" 'dirmail: error: --since "07.12.2026": not a time; give one as 2026-12-07, 2026-12-07T01:15, 2026-12-07T01:15:00Z, 2026-12-07T01:15:00+01:00 or 20261207T011500Z (no offset: UTC)' "bad --since"
assert_exit 64 dirmail journal undo --journal "$T/sel.journal" --dn "not a dn"
assert_eq "$OUT" 'dirmail: error: --dn "not a dn": not a DN' "bad --dn"
assert_exit 64 dirmail journal verify --journal "$T/sel.journal" --pass "$pa"
assert_eq "$OUT" "dirmail: error: --pass does not apply to journal" "verify --pass"
assert_exit 64 dirmail reconcile --pass "$pa" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE"
assert_eq "$OUT" "dirmail: error: --pass does not apply to reconcile" "reconcile --pass"
pass "journal undo: an unknown pass, a bad time or DN are clear errors"

# Member filters: read on a second connection beside the recipients
# (ldap.connections = 2, the default) or on the one connection after them:
# the same plan either way, a filter the directory refuses reported alike.
slapd_stop undo
slapd_start --name filters
slapd_add <<EOF2 >/dev/null || fail "adding the list with a broken filter failed"
dn: cn=broken,ou=lists,$BASE
objectClass: top
objectClass: groupOfNames
objectClass: dirmailList
cn: broken
member:
dirmailMemberFilter: (departmentNumber=sales
EOF2
(umask 077 && printf 'ldap: { connections = 1; };\n' >"$T/one.conf")
unguid() { sed 's/^msExchMailboxGuid:: .*/msExchMailboxGuid:: (random)/' "$1"; }
fconn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
dirmail plan -vv "${fconn[@]}" >"$T/two.plan" 2>"$T/two.err" || fail "plan failed: $(cat "$T/two.err")"
dirmail -c "$T/one.conf" plan -vv "${fconn[@]}" >"$T/one.plan" 2>"$T/one.err" ||
	fail "plan with one connection failed: $(cat "$T/one.err")"
assert_contains "$(cat "$T/two.err")" "filter (&(objectClass=dirmailList)(dirmailMemberFilter=*))" \
	"the lists' filters are read ahead"
assert_not_contains "$(cat "$T/one.err")" "(dirmailMemberFilter=*)" "one connection reads no lists ahead"
diff -u <(unguid "$T/one.plan") <(unguid "$T/two.plan") >&2 || fail "the plans differ"
assert_contains "$(cat "$T/two.plan")" "# invalid: dirmailMemberFilter: " "the refused filter is reported"
assert_contains "$(cat "$T/two.plan")" "member: uid=kweber,$PEOPLE" "the sales filter's members"
# A filter that matches nobody empties its list (the empty DN stays for
# groupOfNames), on either path.
slapd_add <<EOF2 >/dev/null || fail "adding the list whose filter matches nobody failed"
dn: cn=nobody,ou=lists,$BASE
objectClass: top
objectClass: groupOfNames
objectClass: dirmailList
cn: nobody
member: uid=main,$PEOPLE
dirmailMemberFilter: (departmentNumber=no-such-department)
EOF2
for cf in /dev/null "$T/one.conf"; do
	dirmail -c "$cf" plan --dn "cn=nobody,ou=lists,$BASE" "${fconn[@]}" >"$T/nobody.plan" 2>"$T/nobody.err" ||
		fail "plan of the list failed: $(cat "$T/nobody.err")"
	assert_contains "$(cat "$T/nobody.plan")" "delete: member
member: uid=main,$PEOPLE" "a filter that matches nobody empties the list ($cf)"
done
pass "member filters read on a second connection or after the read give the same plan"

# The pass keeps no entry of a user it finds converged as it reads it; when
# settle then decides otherwise (here: the forward's target left the
# service), that user alone is read again, and the pass is as before.
slapd_stop filters
slapd_start --name known
kconn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
assert_exit 1 dirmail reconcile "${kconn[@]}" --journal "$T/known.journal"
slapd_modify <<EOF2 >/dev/null || fail "taking jgross's service away failed"
dn: uid=jgross,$PEOPLE
changetype: modify
replace: dirmailService
dirmailService: none
EOF2
dirmail plan -vv "${kconn[@]}" >"$T/known.plan" 2>"$T/known.err" || fail "plan failed: $(cat "$T/known.err")"
assert_contains "$(cat "$T/known.err")" "read: base \"uid=fvogel,$PEOPLE\"" "fvogel is read again"
# (besides the rootDSE and the schema, and the entries the account names,
# which every pass checks first)
rereads=$(grep '^dirmail: debug: read: ' "$T/known.err" |
	grep -v 'read: base "\(cn=Subschema\)\?"' |
	grep -vc "base \"\(uid=main,$PEOPLE\|cn=Default Global Address List,ou=address lists,$BASE\|cn=Mailbox Database 01,ou=databases,$BASE\|ou=contacts,$BASE\)\"") || :
assert_eq "$rereads" "1" "nobody else is read again"
assert_contains "$(cat "$T/known.plan")" "# invalid: dirmailForwardTo: no recipient has the address" \
	"fvogel's forward is refused"
assert_contains "$(cat "$T/known.plan")" "dn: uid=jgross,$PEOPLE" "jgross loses its mailbox"
pass "a user known unchanged as it was read, whom settle sees otherwise, is read again"
