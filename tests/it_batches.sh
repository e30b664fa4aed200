#!/bin/bash
# it_batches.sh - a list whose members change by more than one modify may
# carry (DIFF_BATCH_MAX, 1,000 values), on slapd: the sample tenant plus
# 2,500 mail recipients dirmail does not manage, and a list whose
# dirmailMemberFilter selects them all. The plan and the pass write the
# list in batches of at most 1,000 values, each journaled before it is
# sent; the first is guarded by the entryCSN dirmail read, each further one
# by the entryCSN the batch before left (read back with RFC 4527's
# post-read control), so an admin's change between two batches fails the
# next one's assertion and the list is read again and finished; the
# journal replays on a pristine copy to the same directory; a second pass
# writes nothing.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
N=2500
BATCH=1000 # DIFF_BATCH_MAX in agent/diff.h
mktmp

BASE=dc=example,dc=test
LIST="cn=all,ou=lists,$BASE"
{
	printf 'dn: ou=bulk,%s\nobjectClass: organizationalUnit\nou: bulk\n\n' "$BASE"
	awk -v n="$N" -v base="$BASE" 'BEGIN {
		for (i = 0; i < n; i++)
			printf "dn: uid=bulk%04d,ou=bulk,%s\nobjectClass: inetOrgPerson\nuid: bulk%04d\ncn: Bulk %04d\nsn: %04d\nmail: bulk%04d@partner.example.net\n\n", i, base, i, i, i, i
	}'
	cat <<EOF
dn: $LIST
objectClass: groupOfNames
objectClass: dirmailList
cn: all
dirmailMemberFilter: (uid=bulk*)
member:

EOF
} >"$T/bulk.ldif"
tenant=("$top_srcdir/ldif/tenant.ldif" "$T/bulk.ldif")
slapd_start "${tenant[@]}"
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state")
# What dirmail writes, dumped: everything but ou=bulk, whose entries it
# never writes (slapd_dump takes a while per entry).
dump() {
	local b
	for b in "ou=people,$BASE" "ou=lists,$BASE" "ou=contacts,$BASE" "cn=account,$BASE"; do
		slapd_dump "$b"
	done
}
members() { slapd_search -b "$LIST" -s base '(objectClass=*)' member | grep -c '^member: ' || :; }
# list_records FILE: one line per record of the list in the LDIF FILE: the
# number of values it carries, its member values and, for a journal, the
# assertion of its req= comment ("none" without one).
list_records() {
	awk -v list="$LIST" '
		/^# .* req=[0-9]+ rule=/ { asserted = $0; sub(/.* asserted=/, "", asserted) }
		/^dn: / { mine = (substr($0, 5) == list); if (mine) { recs++; as[recs] = asserted } next }
		mine && /^(add|delete|replace|changetype): / { next }
		mine && /^[A-Za-z;]+:/ { vals[recs]++; if ($1 == "member:") mem[recs]++ }
		mine && /^$/ { mine = 0 }
		END { for (r = 1; r <= recs; r++) print vals[r] + 0, mem[r] + 0, (as[r] == "" ? "none" : as[r]) }
	' "$1"
}

# plan: the list in batches, nothing written.
dirmail plan "${conn[@]}" >"$T/plan.ldif" 2>"$T/plan.err" || fail "plan: $(tail -n 3 "$T/plan.err")"
list_records "$T/plan.ldif" >"$T/plan.recs"
assert_eq "$(wc -l <"$T/plan.recs")" 3 "the list's records in the plan"
assert_eq "$(awk -v max="$BATCH" '$1 > max' "$T/plan.recs")" "" "no plan record above $BATCH values"
assert_eq "$(awk '{ n += $2 } END { print n }' "$T/plan.recs")" "$((N + 1))" "member values planned (the empty one deleted)"
pass "plan: a list gaining $N members in 3 modifies of at most $BATCH values"

# The pass: every batch guarded, the second and third by the entryCSN the
# batch before left.
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" " refused=0 stale=0 unanswered=0 " "every write accepted"
assert_eq "$(members)" "$N" "members after the pass"
list_records "$T/journal.ldif" >"$T/recs"
assert_eq "$(wc -l <"$T/recs")" 3 "the list's records in the journal"
assert_eq "$(awk -v max="$BATCH" '$1 > max' "$T/recs")" "" "no journal record above $BATCH values"
assert_eq "$(awk '$3 !~ /^\(entryCSN=/' "$T/recs")" "" "every batch asserts an entryCSN"
assert_eq "$(awk '{ print $3 }' "$T/recs" | sort -u | wc -l)" 3 "each batch asserts another entryCSN"
assert_eq "$(grep -c '^# .* req=[0-9]* result=0 success$' "$T/journal.ldif")" \
	"$(grep -c '^# .* req=[0-9]* rule=' "$T/journal.ldif")" "every request succeeded"
assert_exit 0 dirmail journal verify --journal "$T/journal.ldif"
pass "the pass writes the list in 3 batches, each asserting the entryCSN the one before left"

# The journal replays on a pristine copy to the same directory.
slapd_start --name copy "${tenant[@]}"
slapd_replay_same "$T/journal.ldif" slapd copy dump
pass "the journal of the batches replays with ldapmodify -c to the same directory"

before=$(slapd_csn)
jsum=$(md5sum <"$T/journal.ldif")
assert_exit 1 dirmail reconcile "${conn[@]}" --journal "$T/journal.ldif"
assert_contains "$OUT" " changed=0 writes=0 " "the second pass"
assert_eq "$(slapd_csn)" "$before" "contextCSN after the second pass"
assert_eq "$(md5sum <"$T/journal.ldif")" "$jsum" "the journal after the second pass"
pass "the second pass over $N members writes nothing"

# An admin changes the list between the first batch and the second: the
# second's assertion fails, the list is read again and finished.
command -v gdb >/dev/null || fail "gdb not installed: apt-get install gdb"
slapd_start --name race "${tenant[@]}"
cat >"$T/race.ldif" <<LDIF
dn: $LIST
changetype: modify
add: description
description: changed between two batches
LDIF
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" gdb -q -batch \
	-ex "break ldapc_send if \$_streq(dn, \"$LIST\")" -ex run -ex continue \
	-ex "shell ldapmodify -Y EXTERNAL -H '$SLAPD_LDAPI' -Q -f '$T/race.ldif'" \
	-ex delete -ex continue \
	--args "$DIRMAIL" reconcile -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/race-state" \
	--journal "$T/race.journal" >"$T/race.out" 2>&1 || { cat "$T/race.out" >&2; fail "gdb run failed"; }
assert_contains "$(cat "$T/race.out")" " refused=0 stale=1 unanswered=0 " "one batch's assertion failed"
list_records "$T/race.journal" >"$T/race.recs"
jid=$(grep -B3 "^dn: $LIST\$" "$T/race.journal" | sed -n 's/^# .* req=\([0-9]*\) rule=.*/\1/p' | sed -n 2p)
assert_contains "$(cat "$T/race.journal")" "req=$jid result=122 assertionFailed" "the second batch refused"
assert_contains "$(cat "$T/race.journal")" "req=$jid reread" "the list read again"
assert_eq "$(members)" "$N" "members after the race"
assert_eq "$(slapd_search -b "$LIST" -s base '(objectClass=*)' description | sed -n 's/^description: //p')" \
	"changed between two batches" "the admin's change kept"
assert_exit 0 dirmail journal verify --journal "$T/race.journal"
dirmail plan -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/race-state" >"$T/plan2.ldif" 2>/dev/null ||
	fail "plan after the race"
assert_eq "$(grep -c '^changetype:' "$T/plan2.ldif")" 0 "converged after the re-read"
pass "a change between two batches fails the next one's assertion; the list is read again and finished"
