#!/bin/bash
# Safety against a private slapd: a bind that sees too little deletes
# nothing (account check, the share of recipients seen, member deletions
# against the threshold), a deleted contact comes back through undo, a
# killed server leaves changes of unknown outcome that undo includes and
# the next pass converges, a full journal stops with EX_IOERR, a bad base
# is a configuration error, a healthy race verifies clean.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
SVC=cn=dirmail,$BASE
root=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
csn() { slapd_csn; }
unguid() { sed 's/^msExchMailboxGuid:: .*/msExchMailboxGuid:: (random)/'; }
# LeakSanitizer cannot run under ptrace: leaks are checked in the runs
# without gdb.
nogdbleak() { ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$@"; }
members() { slapd_search -b "$1" -s base '(objectClass=*)' member | grep -c '^member: .' || :; }

# ---- a bad base is a configuration error ---------------------------------
for cmd in check-config plan reconcile; do
	assert_exit 78 dirmail "$cmd" -H "$SLAPD_LDAPI" -Y EXTERNAL -b notadn --state-dir "$T/state" --journal "$T/j0"
	assert_contains "$OUT" 'ldap.base (-b) "notadn": not a DN' "$cmd with a base that is no DN"
	assert_exit 78 dirmail "$cmd" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "ou=nowhere,$BASE" --state-dir "$T/state" --journal "$T/j0"
	assert_contains "$OUT" "ldap.base (-b) \"ou=nowhere,$BASE\": " "$cmd with a base that does not exist"
	assert_contains "$OUT" "No such object" "$cmd names the reason"
done
[ ! -e "$T/j0" ] || fail "a bad base created a journal"
pass "a base that is no DN or does not exist exits 78 (EX_CONFIG)"

# ---- converge the tenant as the managing identity ------------------------
assert_exit 1 dirmail reconcile "${root[@]}" --journal "$T/first.journal"
assert_contains "$OUT" "notice: pass: objects=28 " "first pass"
assert_eq "$(sed -n 's/^\([0-9]*\) cn=account,dc=example,dc=test$/\1/p' "$T/state/recipients")" "28" "count kept in the state directory"
assert_eq "$(stat -c %a "$T/state")" "700" "state directory mode"
assert_exit 1 dirmail reconcile "${root[@]}" --journal "$T/first.journal"
assert_contains "$OUT" "0 writes" "second pass"
pass "a complete pass keeps its recipient count in --state-dir"

# A service account (its password in $T/svc.pw) on the current instance.
(umask 077 && printf '%s' 'svc-secret' >"$T/svc.pw")
add_svc() {
	slapd_add <<LDIF >/dev/null || fail "adding the service account failed"
dn: $SVC
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: dirmail
userPassword: svc-secret
LDIF
}
# It may write everywhere but ou=people.
add_svc
# acl FILTER: hide ou=people (entries matching FILTER) from the service account.
acl() {
	slapd_modify <<LDIF >/dev/null || fail "changing the ACL failed"
dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcAccess
olcAccess: {1}to dn.subtree="$PEOPLE" filter=$1 by dn.exact="$SVC" none by * break
olcAccess: {2}to * by dn.exact="$SVC" write by * break
LDIF
}
acl_reset() {
	slapd_modify <<LDIF >/dev/null || fail "resetting the ACL failed"
dn: olcDatabase={1}mdb,cn=config
changetype: modify
delete: olcAccess
olcAccess: {1}
olcAccess: {1}
LDIF
}
svc=(-H "$SLAPD_URI" -D "$SVC" -y "$T/svc.pw" -b "$BASE" --state-dir "$T/state")

# ---- 1. the catch-all is hidden: the account check stops the pass ---------
acl '(objectClass=*)'
dump_before=$(slapd_dump)
before=$(csn)
assert_exit 78 dirmail check-config "${svc[@]}"
assert_contains "$OUT" "dirmailCatchAll: \"uid=main,$PEOPLE\" cannot be read" "check-config"
for cmd in plan reconcile; do
	assert_exit 78 dirmail "$cmd" "${svc[@]}" --journal "$T/svc.journal"
	assert_contains "$OUT" "cn=account,$BASE: dirmailCatchAll: \"uid=main,$PEOPLE\" cannot be read" "$cmd: account check"
	assert_contains "$OUT" "nothing was computed or written" "$cmd: says nothing was done"
	assert_not_contains "$OUT" "reconciled" "$cmd: no summary of a pass"
done
assert_exit 78 dirmail reconcile --force "${svc[@]}" --journal "$T/svc.journal"
assert_eq "$(csn)" "$before" "contextCSN after the refused passes"
[ ! -e "$T/svc.journal" ] || fail "a refused pass created a journal"
pass "a bind that cannot read the entries the account names stops before computing (78)"
acl_reset

# ---- 2. users hidden but the catch-all: the share of recipients seen -------
acl '(!(uid=main))'
assert_exit 0 dirmail check-config "${svc[@]}" --state-dir "$T/state"
for cmd in plan reconcile; do
	assert_exit 65 dirmail "$cmd" "${svc[@]}" --journal "$T/svc.journal"
	assert_contains "$OUT" "read 5 recipients under \"$BASE\", fewer than 50% of the 29 the last complete pass read" "$cmd: share stop"
	assert_contains "$OUT" "nothing was written" "$cmd: nothing written"
done
assert_exit 65 dirmail reconcile --dry-run "${svc[@]}" --journal "$T/svc.journal"
assert_contains "$OUT" "fewer than 50% of the 29" "--dry-run: share stop"
assert_eq "$(csn)" "$before" "contextCSN after the share stop"
# Without the share check (or past it with --force), the members the lists
# would lose count against the delete threshold, lowered here to 2.
slapd_modify <<LDIF >/dev/null
dn: cn=account,$BASE
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 2
LDIF
before=$(csn)
assert_exit 0 dirmail reconcile --dry-run --force "${svc[@]}" --journal "$T/svc.journal"
assert_contains "$OUT" "going on (--force)" "--force noted"
assert_contains "$OUT" "dry run: objects=5 " "--dry-run summary"
assert_contains "$OUT" " changed=4 writes=5 refused=0 stale=0 unanswered=0 deletions=7 " "--dry-run counts the member deletions"
printf 'safety: { min_seen_percent = 0; };\n' >"$T/noshare.conf"
assert_exit 65 dirmail -c "$T/noshare.conf" reconcile "${svc[@]}" --journal "$T/svc.journal"
assert_contains "$OUT" "this pass would delete 7 mailboxes, addresses, list members or contacts, more than the account's dirmailDeleteThreshold of 2; nothing was written" "reconcile: threshold counts members"
assert_contains "$OUT" "error: the most deletions: cn=team,ou=lists,$BASE (" "reconcile names what deletes the most"
# A plan past the threshold still shows every change (it writes nothing).
RC=0
dirmail -c "$T/noshare.conf" plan "${svc[@]}" >"$T/over.plan" 2>"$T/over.err" || RC=$?
assert_eq "$RC" 65 "plan past the threshold"
assert_contains "$(cat "$T/over.err")" "more than the account's dirmailDeleteThreshold of 2; the plan shows them all" "plan: threshold said"
assert_contains "$(cat "$T/over.err")" "the most deletions: cn=team,ou=lists,$BASE (" "plan names what deletes the most"
assert_eq "$(grep -c '^changetype: modify' "$T/over.plan")" 4 "the plan's records past the threshold (4 objects to change)"
assert_contains "$(tail -n 1 "$T/over.plan")" "# summary: objects=5 " "the plan ends with its summary"
assert_eq "$(csn)" "$before" "contextCSN after the threshold stop"
assert_eq "$(members "cn=team,ou=lists,$BASE")" "4" "team keeps its members"
assert_eq "$(slapd_dump)" "$(printf '%s\n' "$dump_before" | sed "s/^dirmailDeleteThreshold: 500$/dirmailDeleteThreshold: 2/")" "the directory is untouched"
pass "a bind that sees too few recipients stops (65); members removed count as deletions"
acl_reset

# ---- 3. dangling members against a low threshold ---------------------------
slapd_modify <<LDIF >/dev/null
dn: cn=team,ou=lists,$BASE
changetype: modify
add: member
member: uid=gone1,$PEOPLE
member: uid=gone2,$PEOPLE
member: uid=gone3,$PEOPLE
LDIF
before=$(csn)
assert_exit 65 dirmail reconcile --dry-run "${root[@]}" --journal "$T/m.journal"
assert_contains "$OUT" "would delete 3 mailboxes, addresses, list members or contacts" "dry run: threshold"
assert_contains "$OUT" " changed=1 writes=1 refused=0 stale=0 unanswered=0 deletions=3 " "dry run counts removed members"
assert_exit 65 dirmail reconcile "${root[@]}" --journal "$T/m.journal"
assert_contains "$OUT" "would delete 3 mailboxes, addresses, list members or contacts" "member threshold"
assert_eq "$(csn)" "$before" "nothing written"
assert_exit 1 dirmail reconcile --force "${root[@]}" --journal "$T/m.journal"
assert_eq "$(members "cn=team,ou=lists,$BASE")" "4" "dangling members removed with --force"
pass "removed members are deletions in the threshold, the dry run and the summary"
slapd_modify <<LDIF >/dev/null
dn: cn=account,$BASE
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 500
LDIF

# ---- 4. a contact dirmail deletes comes back through undo --------------------
CONTACT="cn=erika.fern@example.net,ou=contacts,$BASE"
slapd_search -b "$CONTACT" -s base '(objectClass=*)' 1.1 | grep -q '^dn:' || fail "no forwarding contact"
slapd_dump >"$T/c-before.ldif"
slapd_modify <<LDIF >/dev/null
dn: uid=efern,$PEOPLE
changetype: modify
delete: dirmailForwardTo
LDIF
assert_exit 1 dirmail reconcile "${root[@]}" --journal "$T/c.journal"
slapd_search -b "$CONTACT" -s base '(objectClass=*)' 1.1 >/dev/null 2>&1 && fail "the unused contact is still there"
assert_contains "$(cat "$T/c.journal")" "# entry: dn: $CONTACT" "the deleted entry is journaled"
assert_exit 0 dirmail journal verify --journal "$T/c.journal"
assert_exit 0 dirmail journal undo --journal "$T/c.journal" -o "$T/c.undo"
assert_contains "$(cat "$T/c.undo")" "dn: $CONTACT" "undo re-creates the contact"
ldapmodify -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -f "$T/c.undo" >"$T/c.out" 2>&1 ||
	{ cat "$T/c.out" >&2; fail "ldapmodify refused the undo"; }
slapd_modify <<LDIF >/dev/null
dn: uid=efern,$PEOPLE
changetype: modify
add: dirmailForwardTo
dirmailForwardTo: erika.fern@example.net
LDIF
slapd_dump >"$T/c-after.ldif"
diff -u "$T/c-before.ldif" "$T/c-after.ldif" >&2 || fail "undo did not restore the contact as it was"
pass "a deleted contact is journaled whole and journal undo re-creates it"

# ---- 5. a pass cut short with writes in flight -----------------------------------
command -v gdb >/dev/null || fail "gdb not installed: apt-get install gdb"
slapd_start --name kill
kconn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/kstate")
slapd_dump >"$T/k-before.ldif"
# kill_slapd_mid_pass JOURNAL: slapd is stopped as the first modify goes
# out (the mail contact before it was answered) and killed 2 s later, with
# every modify of the pass sent and none processed.
kill_slapd_mid_pass() {
	nogdbleak gdb -q -batch -ex 'handle SIGPIPE nostop noprint pass' -ex 'break ldapc_send' -ex 'ignore 1 1' -ex run \
		-ex "shell kill -STOP $SLAPD_PID" -ex "shell (sleep 2; kill -9 $SLAPD_PID) >/dev/null 2>&1 &" \
		-ex 'delete 1' -ex continue \
		--args "$DIRMAIL" reconcile "${kconn[@]}" --journal "$1" 2>&1 || :
}
out=$(kill_slapd_mid_pass "$T/k.journal")
assert_contains "$out" "its outcome is unknown (see the journal)" "in-flight writes reported"
assert_contains "$out" "exited with code 0105" "exit 69 (EX_UNAVAILABLE)"
assert_contains "$out" " unanswered=28 " "summary counts writes without reply"
assert_not_contains "$out" "reconciled" "no success summary"
assert_eq "$(grep -c 'result=unknown' "$T/k.journal")" "28" "unknown results journaled"
assert_eq "$(grep -c 'result=0 success' "$T/k.journal")" "1" "the contact, answered before"
slapd_restart kill
assert_exit 65 dirmail journal verify --journal "$T/k.journal"
assert_contains "$OUT" "outcome unknown: " "verify lists them"
assert_contains "$OUT" "28 requests failed, were not sent or have an unknown outcome" "verify count"
lines=$(printf '%s\n' "$OUT" | sed -n 's/^dirmail: error: [^:]*:\([0-9]*\): .*/\1/p')
assert_eq "$lines" "$(printf '%s\n' "$lines" | sort -n)" "verify lists in file order"
assert_exit 65 dirmail journal undo --journal "$T/k.journal" -o "$T/k.undo"
assert_contains "$OUT" "outcome unknown; its inverse is included" "undo lists them on stderr"
assert_eq "$(grep -c '^# outcome unknown' "$T/k.undo")" "28" "each with a comment"
# None was applied: each inverse fails as a whole under -c, harmlessly.
ldapmodify -c -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -f "$T/k.undo" >"$T/k.undo.out" 2>&1 || :
slapd_dump >"$T/k-undone.ldif"
diff -u "$T/k-before.ldif" "$T/k-undone.ldif" >&2 || fail "undo after the kill did not restore the directory"
pass "slapd killed mid-pass: result=unknown journaled, verify lists it in file order, undo includes it (65)"

# dirmail itself dies once the server applied its writes: no result at all.
nogdbleak gdb -q -batch -ex 'break ldapc_wait' -ex 'ignore 1 1' -ex run -ex 'shell sleep 1' -ex kill \
	--args "$DIRMAIL" reconcile "${kconn[@]}" --journal "$T/d.journal" >"$T/d.out" 2>&1 || :
assert_eq "$(grep -c '^changetype:' "$T/d.journal")" "29" "every change sent is journaled"
assert_eq "$(grep -c 'result=' "$T/d.journal")" "1" "only the contact's result"
assert_exit 65 dirmail journal verify --journal "$T/d.journal"
assert_eq "$(printf '%s\n' "$OUT" | grep -c 'has no result (outcome unknown)')" "28" "verify lists them"
assert_exit 65 dirmail journal undo --journal "$T/d.journal" -o "$T/d.undo"
assert_eq "$(grep -c '^# outcome unknown' "$T/d.undo")" "28" "undo includes them"
ldapmodify -Y EXTERNAL -H "$SLAPD_LDAPI" -Q -f "$T/d.undo" >"$T/d.undo.out" 2>&1 ||
	{ cat "$T/d.undo.out" >&2; fail "the applied changes of unknown outcome do not revert"; }
slapd_dump >"$T/d-undone.ldif"
diff -u "$T/k-before.ldif" "$T/d-undone.ldif" >&2 || fail "undo after dirmail died did not restore the directory"
pass "dirmail killed after its writes were applied: undo reverts the changes without a result"

# The next pass after a kill converges, applying nothing twice; the one
# after it writes nothing.
out=$(kill_slapd_mid_pass "$T/k2.journal")
assert_contains "$out" "exited with code 0105" "second kill"
slapd_restart kill
assert_exit 1 dirmail reconcile "${kconn[@]}" --journal "$T/k2.journal"
slapd_dump | unguid >"$T/k-after.ldif"
diff -u "$top_srcdir/tests/expected/reconcile.ldif" "$T/k-after.ldif" >&2 ||
	fail "the pass after the kill did not converge to tests/expected/reconcile.ldif"
before=$(csn)
assert_exit 1 dirmail reconcile "${kconn[@]}" --journal "$T/k2.journal"
assert_eq "$(csn)" "$before" "the pass after converging writes nothing"
pass "after the kill the next pass converges; the one after writes nothing"

# ---- 6. the journal cannot be written mid-pass (file size limit) --------------
slapd_start --name full
fconn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/fstate")
RC=0
OUT=$(ulimit -f 8 && dirmail reconcile "${fconn[@]}" --journal "$T/f.journal" 2>&1) || RC=$?
assert_eq "$RC" "74" "exit code with a full journal (EX_IOERR)"
assert_eq "$(printf '%s\n' "$OUT" | grep -c 'journal: ')" "1" "one message for the journal"
assert_contains "$OUT" "File too large; nothing more is written" "the reason"
assert_not_contains "$OUT" "reconciled" "no success summary"
[ ! -e "$T/fstate/recipients" ] || fail "a pass that stopped kept its count"
assert_exit 1 dirmail reconcile "${fconn[@]}" --journal "$T/f2.journal"
slapd_dump | unguid >"$T/f-after.ldif"
diff -u "$top_srcdir/tests/expected/reconcile.ldif" "$T/f-after.ldif" >&2 ||
	fail "the pass after the full journal did not converge"
pass "a journal that cannot be written mid-pass exits 74 with one message; the next pass converges"

# ---- 7. a healthy race verifies clean ------------------------------------------
slapd_start --name race
cat >"$T/race.ldif" <<LDIF
dn: uid=smithj,$PEOPLE
changetype: modify
add: dirmailAlias
dirmailAlias: johnny
LDIF
nogdbleak gdb -q -batch -ex 'break journal_open' -ex run \
	-ex "shell ldapmodify -Y EXTERNAL -H '$SLAPD_LDAPI' -Q -f '$T/race.ldif'" -ex continue \
	--args "$DIRMAIL" reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/rstate" \
	--journal "$T/race.journal" >"$T/race.out" 2>&1 || { cat "$T/race.out" >&2; fail "gdb run failed"; }
assert_contains "$(cat "$T/race.out")" " refused=0 stale=1 unanswered=0 " "summary"
assert_contains "$(cat "$T/race.journal")" "result=122 assertionFailed" "the stale write is journaled with its code"
assert_contains "$(cat "$T/race.journal")" " reread" "and its re-read"
assert_exit 0 dirmail journal verify --journal "$T/race.journal"
pass "a pass racing an admin: stale, read again, verify is clean"

# ---- 8. the server refuses one object's change -----------------------------------
slapd_start --name refuse
add_svc
# The service account may write everything but tbig's quota.
slapd_modify <<LDIF >/dev/null || fail "changing the ACL failed"
dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcAccess
olcAccess: {1}to dn.exact="uid=tbig,$PEOPLE" attrs=mDBOverQuotaLimit by dn.exact="$SVC" read by * break
olcAccess: {2}to * by dn.exact="$SVC" write by * break
LDIF
rconn=(-H "$SLAPD_URI" -D "$SVC" -y "$T/svc.pw" -b "$BASE" --state-dir "$T/rfstate")
assert_exit 65 dirmail reconcile "${rconn[@]}" --journal "$T/rf.journal"
assert_contains "$OUT" "uid=tbig,$PEOPLE: " "the refusal names the object"
assert_contains "$OUT" "Insufficient access" "with the server's reason"
assert_contains "$OUT" " refused=1 stale=0 unanswered=0 " "summary counts the refusal"
assert_eq "$(slapd_search -b "uid=tbig,$PEOPLE" -s base '(objectClass=*)' dirmailState | sed -n 's/^dirmailState: //p')" \
	"error: the directory refused dirmail's change; see the log" "the refusal is on the object"
assert_contains "$(cat "$T/rf.journal")" "result=50 insufficientAccessRights" "journaled with its code"
assert_exit 65 dirmail journal verify --journal "$T/rf.journal"
assert_contains "$OUT" "failed: result=50 insufficientAccessRights" "verify lists it"
assert_eq "$(slapd_search -b "uid=jmueller,$PEOPLE" -s base '(objectClass=*)' dirmailState | sed -n 's/^dirmailState: //p')" \
	"ok" "the other objects are written"
pass "a change the server refuses: logged, counted, noted in dirmailState, the pass goes on (65)"

# ---- 8b. the bind may write nothing of the users: one message, not 28 ----------
slapd_start --name norights
add_svc
slapd_modify <<LDIF >/dev/null || fail "changing the ACL failed"
dn: olcDatabase={1}mdb,cn=config
changetype: modify
add: olcAccess
olcAccess: {1}to dn.subtree="$PEOPLE" by dn.exact="$SVC" read by * break
olcAccess: {2}to * by dn.exact="$SVC" write by * break
LDIF
nconn=(-H "$SLAPD_URI" -D "$SVC" -y "$T/svc.pw" -b "$BASE" --state-dir "$T/nrstate")
# One write in flight, so that the count of answers is exact.
printf 'ldap: { window = 1; };\nsafety: { min_seen_percent = 0; };\n' >"$T/window1.conf"
assert_exit 78 dirmail -c "$T/window1.conf" reconcile "${nconn[@]}" --journal "$T/nr.journal"
assert_contains "$OUT" "the server refused 5 writes with insufficientAccessRights (50): this bind may not write what dirmail owns" "one message naming the fix"
assert_eq "$(printf '%s\n' "$OUT" | grep -c 'Insufficient access')" 5 "the first five refusals, not every one"
assert_contains "$OUT" " refused=5 " "the pass stopped after five"
pass "refusals that say the bind's rights are wrong stop the pass after five, with one message (78)"

# ---- 9. an object changed by someone else on every try ---------------------------
slapd_start --name busy
# Before every write dirmail sends, an admin changes smithj again.
cat >"$T/busy.gdb" <<GDB
set pagination off
handle SIGPIPE nostop noprint pass
break ldapc_send
commands
silent
shell printf 'dn: uid=smithj,$PEOPLE\nchangetype: modify\nreplace: description\ndescription: %s\n' "\$(date +%s%N)" | ldapmodify -Y EXTERNAL -H '$SLAPD_LDAPI' -Q >/dev/null
continue
end
break ldapc_modify
commands
silent
shell printf 'dn: uid=smithj,$PEOPLE\nchangetype: modify\nreplace: description\ndescription: %s\n' "\$(date +%s%N)" | ldapmodify -Y EXTERNAL -H '$SLAPD_LDAPI' -Q >/dev/null
continue
end
run
GDB
nogdbleak gdb -q -batch -x "$T/busy.gdb" \
	--args "$DIRMAIL" reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/bstate" \
	--journal "$T/busy.journal" >"$T/busy.out" 2>&1 || :
assert_contains "$(cat "$T/busy.out")" "uid=smithj,$PEOPLE: changed by someone else 3 times while dirmail wrote it; left for the next pass" "given up after three tries"
assert_contains "$(cat "$T/busy.out")" "exited with code 0101" "exit 65 (EX_DATAERR)"
assert_contains "$(cat "$T/busy.out")" " stale=4 " "every try counted"
assert_eq "$(grep -c "^dn: uid=smithj,$PEOPLE" "$T/busy.journal")" "4" "smithj tried four times"
assert_eq "$(grep -c ' reread$' "$T/busy.journal")" "3" "three re-reads noted"
assert_exit 65 dirmail journal verify --journal "$T/busy.journal"
assert_contains "$OUT" "assertionFailed" "the last try is listed"
assert_contains "$OUT" "(never re-read)" "as never re-read"
assert_contains "$OUT" "1 requests failed" "only the last try"
assert_exit 1 dirmail reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/bstate" --journal "$T/busy2.journal"
assert_contains "$(slapd_search -b "uid=smithj,$PEOPLE" -s base '(objectClass=*)' dirmailState)" "dirmailState: ok" "the next pass writes it"
pass "an object changed on every try is left for the next pass after three (65); verify names the last try"
