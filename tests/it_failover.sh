#!/bin/bash
# dirmail run against two slapd providers in multi-provider replication:
# the provider dirmail follows is stopped in the middle of a stream of
# changes; dirmail goes on with the other (the next URI), resumes from its
# cookie, and every change is applied exactly once. Then the stopped one
# comes back and both hold the same data.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start_pair A B
A_LDAPI=$(slapd_on A sh -c 'echo "$SLAPD_LDAPI"')
B_LDAPI=$(slapd_on B sh -c 'echo "$SLAPD_LDAPI"')

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
LOG=$T/run.log
printf 'sync: { backoff_max = 1; };\nldap: { timeout = 2; op_timeout = 5; };\n' >"$T/run.conf"
args=(-c "$T/run.conf" -H "$A_LDAPI $B_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/journal.ldif")
DPID=
on_exit '[ -z "$DPID" ] || kill -9 "$DPID" 2>/dev/null'

# quota_on N USER: USER's mDBOverHardQuotaLimit on instance N.
quota_on() {
	slapd_on "$1" slapd_search -b "uid=$2,$PEOPLE" -s base '(objectClass=*)' mDBOverHardQuotaLimit |
		sed -n 's/^mDBOverHardQuotaLimit: //p'
}
is_quota() { [ "$(quota_on "$1" "$2")" = "$3" ]; }
# set_quota N USER MB: the admin's change, on instance N.
set_quota() {
	slapd_on "$1" slapd_modify >/dev/null <<LDIF || fail "modify of uid=$2 on $1 failed"
dn: uid=$2,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: $3
LDIF
}

# shellcheck disable=SC2086  # DIRMAIL_WRAP is a command line
${DIRMAIL_WRAP:-} "$DIRMAIL" run -f "${args[@]}" >>"$LOG" 2>&1 &
DPID=$!
wait_for 20 "the first pass" daemon_ready
slapd_wait_converged A B
pass "the daemon follows provider A; its first pass replicated to B"

# ---- a stream of changes; A goes away in the middle ----------------------
first=(smithj jgross zoe tbig ufrei)
second=(main jmueller jsmith hhidden efern)
records() { grep -c "^dn: uid=$1,$PEOPLE\$" "$T/journal.ldif" || :; }
declare -A before
for u in "${first[@]}" "${second[@]}"; do
	before[$u]=$(records "$u")
done
mb=40
for u in "${first[@]}"; do
	set_quota A "$u" $mb
	mb=$((mb + 1))
done
wait_for 5 "the changes made on A" is_quota A ufrei $((44 * 1024))
slapd_stop A
for u in "${second[@]}"; do
	set_quota B "$u" $mb
	mb=$((mb + 1))
done
wait_for 20 "the changes made on B" is_quota B efern $((49 * 1024))
mb=40
for u in "${first[@]}" "${second[@]}"; do
	is_quota B "$u" $((mb * 1024)) || fail "uid=$u: quota $(quota_on B "$u"), want $((mb * 1024))"
	mb=$((mb + 1))
done
logged "directory unavailable" || fail "the outage was not logged"
logged "directory available again at $B_LDAPI" || fail "the daemon did not go on with B"
pass "A stopped mid-stream: the daemon goes on with B and applies every change"

# ---- exactly once: one write per changed user in the journal -------------
for u in "${first[@]}" "${second[@]}"; do
	assert_eq "$(records "$u")" $((before[$u] + 1)) "journal records for uid=$u after its change"
done
assert_exit 0 dirmail journal verify --journal "$T/journal.ldif"
pass "nothing was applied twice, and the journal verifies"

# ---- A comes back: both hold the same data --------------------------------
slapd_restart A
slapd_wait_converged A B
slapd_on A slapd_dump >"$T/A.ldif"
slapd_on B slapd_dump >"$T/B.ldif"
diff -u "$T/A.ldif" "$T/B.ldif" >&2 || fail "A and B differ after A came back"
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
DPID=
assert_eq "$rc" 0 "exit status after SIGTERM"
assert_exit 0 dirmail plan -H "$A_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/plan"
assert_not_contains "$OUT" "changetype" "converged"
pass "A caught up; both providers hold the same converged data"
