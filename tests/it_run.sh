#!/bin/bash
# dirmail run against a private slapd: the first pass converges, an intent
# change is applied within a second, dependents follow (a freed address, a
# freed licence, a member filter, an account change re-evaluating everyone,
# a rename), the threshold holds, SIGHUP reloads or keeps the old config,
# SIGTERM stops with exit 0 and the cookie kept, a restart resumes from it
# writing nothing, a change made while stopped is applied, one instance
# per state directory, and a killed slapd loses nothing.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
ACCT=cn=account,$BASE
LOG=$T/run.log
printf 'sync: { full_interval = 3600; backoff_max = 1; };\n' >"$T/run.conf"
chmod 600 "$T/run.conf"
args=(-c "$T/run.conf" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/journal.ldif")
# get DN ATTR: the values of ATTR on DN, one per line, sorted.
get() { slapd_search -b "$1" -s base '(objectClass=*)' "$2" | sed -n "s/^$2: //p" | sort; }
has() { get "$1" "$2" | grep -qxF -- "$3"; }
hasnt() { ! get "$1" "$2" | grep -qxF -- "$3"; }
count_logged() { grep -cF -- "$1" "$LOG" || :; }
start() { daemon_start "${args[@]}"; }
stop() { daemon_stop; }
modify() { slapd_modify >/dev/null || fail "ldapmodify failed"; }

# ---- one instance per state directory, the first pass --------------------
start
assert_eq "$(cat "$T/state/dirmail.pid")" "$DPID" "pidfile holds the daemon's pid"
assert_exit 75 dirmail run -f "${args[@]}"
assert_contains "$OUT" "another dirmail run (pid $DPID) uses the state directory" "second instance refused"
assert_exit 0 dirmail plan "${args[@]}"
assert_not_contains "$OUT" "changetype" "the daemon's first pass converged the tenant"
pass "first pass converges; a second instance on the state directory exits 75"

# ---- an intent change within a second ------------------------------------
modify <<LDIF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 77
LDIF
applied_within 1 "quota change" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit 78848
pass "an intent change is applied within a second"

# ---- a deleted user's address goes to the user waiting for it -----------
has "uid=ppan,$PEOPLE" dirmailState "address-taken: anna@example.test belongs to uid=aberg,$PEOPLE" ||
	fail "uid=ppan should wait for anna@example.test"
modify <<LDIF
dn: uid=aberg,$PEOPLE
changetype: delete
LDIF
applied_within 1 "address handed over" has "uid=ppan,$PEOPLE" proxyAddresses "SMTP:anna@example.test"
assert_eq "$(get "uid=ppan,$PEOPLE" dirmailState)" "ok" "uid=ppan's state"
pass "a deleted user's address is handed to the user waiting for it"

# ---- a freed licence goes to the next user over licence ------------------
# uid=aberg held a POP/IMAP licence: uid=oover, first in line, has it now.
wait_for 1 "uid=aberg's licence" has "uid=oover,$PEOPLE" dirmailState ok
has "uid=oflow,$PEOPLE" dirmailState "over-licence: all 10 POP/IMAP licences are in use; the mailbox is created when one is free" ||
	fail "uid=oflow should be over licence: $(get "uid=oflow,$PEOPLE" dirmailState)"
modify <<LDIF
dn: uid=nstill,$PEOPLE
changetype: modify
replace: dirmailService
dirmailService: none
LDIF
applied_within 1 "licence handed over" has "uid=oflow,$PEOPLE" dirmailState ok
has "uid=oflow,$PEOPLE" mDBOverHardQuotaLimit 10240 || fail "uid=oflow got no mailbox quota"
hasnt "uid=nstill,$PEOPLE" mDBOverHardQuotaLimit 10240 || fail "uid=nstill kept its mailbox"
pass "a freed licence enables the next user over licence"

# ---- list membership by filter follows the users --------------------------
# A change elsewhere first, so that the list is not written (and taken
# anew) just before: the daemon then asks the directory about the changed
# user alone, and knows the others' answers from before.
modify <<LDIF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 78
LDIF
applied_within 1 "quota change" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit 79872
hasnt "cn=sales,ou=lists,$BASE" member "uid=tbig,$PEOPLE" || fail "uid=tbig already in sales"
modify <<LDIF
dn: uid=tbig,$PEOPLE
changetype: modify
replace: departmentNumber
departmentNumber: sales
LDIF
applied_within 1 "member filter" has "cn=sales,ou=lists,$BASE" member "uid=tbig,$PEOPLE"
pass "a list's member filter follows the users it matches"
# That pass took into the policy only what changed since the one before:
# uid=tbig and the echoes of that pass's writes, not every object.
taken_line=$(grep 'notice: pass: ' "$LOG" | tail -n 1)
[[ "$taken_line" =~ pass:\ objects=([0-9]+)\ .*\ taken=([0-9]+)\  ]] ||
	fail "no pass line: $taken_line"
[ "${BASH_REMATCH[2]}" -ge 1 ] && [ "${BASH_REMATCH[2]}" -le 5 ] ||
	fail "the pass took ${BASH_REMATCH[2]} of ${BASH_REMATCH[1]} objects anew: $taken_line"
pass "a pass after a change takes only what changed into the policy"

# ---- an account change re-evaluates everyone -----------------------------
modify <<LDIF
dn: $ACCT
changetype: modify
replace: dirmailDefaultQuota
dirmailDefaultQuota: 20
LDIF
applied_within 1 "default quota" has "uid=smithj,$PEOPLE" mDBOverHardQuotaLimit 20480
for u in jgross jsmith main; do
	has "uid=$u,$PEOPLE" mDBOverHardQuotaLimit 20480 || fail "uid=$u kept its old default quota"
done
# Another account entry: every object taken anew.
taken_line=$(grep 'notice: pass: ' "$LOG" | tail -n 1)
[[ "$taken_line" =~ pass:\ objects=([0-9]+)\ .*\ taken=([0-9]+)\  ]] &&
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
	fail "the account change did not take every object anew: $taken_line"
pass "an account change re-evaluates everyone"

# ---- a rename is the same object ------------------------------------------
before=$(get "uid=hurlaub,$PEOPLE" proxyAddresses)
modify <<LDIF
dn: uid=hurlaub,$PEOPLE
changetype: modrdn
newrdn: uid=hurlaub2
deleteoldrdn: 1
LDIF
modify <<LDIF
dn: uid=hurlaub2,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 33
LDIF
applied_within 1 "renamed object" has "uid=hurlaub2,$PEOPLE" mDBOverHardQuotaLimit 33792
assert_eq "$(get "uid=hurlaub2,$PEOPLE" proxyAddresses)" "$before" "addresses after the rename"
pass "a renamed object is followed by its entryUUID and keeps its addresses"

# ---- the threshold holds in daemon mode ----------------------------------
modify <<LDIF
dn: $ACCT
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 0
LDIF
wait_for 2 "the account change" logged "notice: pass: "
modify <<LDIF
dn: uid=kweber,$PEOPLE
changetype: modify
delete: dirmailAlias
LDIF
held() { get "$ACCT" dirmailState | grep -q '^error: held: a pass would delete [0-9]* mailboxes, addresses, list members or contacts, more than dirmailDeleteThreshold (0); nothing else is written'; }
wait_for 2 "the held pass" held
logged "it is held: only the account entry's dirmailState is written" || fail "the held pass was not logged"
has "uid=kweber,$PEOPLE" proxyAddresses "smtp:office@example.test" || fail "a held pass removed an alias"
kill -0 "$DPID" || fail "the daemon stopped after a held pass"
modify <<LDIF
dn: $ACCT
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 500
LDIF
applied_within 1 "released" hasnt "uid=kweber,$PEOPLE" proxyAddresses "smtp:office@example.test"
wait_for 2 "the account's state" eval '! held' 
pass "a pass past the threshold is held, says so on the account entry, and goes on when raised"

# ---- SIGHUP: a bad config is refused, a good one taken -------------------
cp "$T/run.conf" "$T/good.conf"
printf 'sync: { full_interval = 3600; backoff_max = 1; };\nldap: { window = 0; };\n' >"$T/run.conf"
kill -HUP "$DPID"
wait_for 2 "the refused reload" logged "the configuration was not reloaded"
assert_contains "$(cat "$LOG")" "$T/run.conf:2: " "the error names file:line"
modify <<LDIF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 78
LDIF
applied_within 1 "change after a refused reload" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit 79872
cp "$T/good.conf" "$T/run.conf"
kill -HUP "$DPID"
wait_for 2 "the reload" logged "configuration reloaded"
pass "SIGHUP keeps the old configuration when the new one has errors, takes a good one"

# ---- SIGTERM, restart from the cookie ------------------------------------
# Let the echo of the last write come in before the stop.
sleep 0.3
stop
[ -s "$T/state/cookie" ] || fail "no cookie kept"
[ ! -e "$T/state/dirmail.pid" ] || fail "the pidfile was left behind"
logged "stopped:" || fail "no stop line in the log"
csn0=$(slapd_csn)
j0=$(wc -l <"$T/journal.ldif")
start
logged "resuming from the cookie" || fail "the restart did not resume from the cookie"
sleep 0.5
assert_eq "$(slapd_csn)" "$csn0" "contextCSN after a restart with nothing changed"
assert_eq "$(wc -l <"$T/journal.ldif")" "$j0" "journal lines after a restart with nothing changed"
pass "SIGTERM exits 0 keeping the cookie; a restart resumes from it and writes nothing"

stop
modify <<LDIF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 79
LDIF
start
wait_for 2 "change made while stopped" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit 80896
pass "a change made while the daemon was stopped is applied after the restart"

# ---- slapd killed and restarted: nothing lost ----------------------------
kill -9 "$(cat "$SLAPD_DIR/slapd.pid")"
wait_for 5 "the outage noticed" logged "directory unavailable"
sleep 1.5
slapd_restart
modify <<LDIF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 80
LDIF
wait_for 10 "change after the outage" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit 81920
assert_eq "$(count_logged "directory unavailable")" 1 "outage lines"
assert_eq "$(count_logged "directory available again")" 1 "recovery lines"
pass "a killed slapd is logged once, reconnected with backoff, and nothing is lost"

stop
assert_exit 0 dirmail plan "${args[@]}"
assert_not_contains "$OUT" "changetype" "converged after all of it"
assert_exit 0 dirmail journal verify --journal "$T/journal.ldif"
# every record names its pass, the daemon's numbered in order, and the bind
recs=$(grep -c '^# .* req=[0-9]* rule=' "$T/journal.ldif")
assert_eq "$(grep -A1 ' req=[0-9]* rule=' "$T/journal.ldif" | grep -c '^# pass: [0-9]\{8\}T[0-9]\{6\}Z-[0-9]*-[0-9]*$')" "$recs" "a pass on every record"
assert_eq "$(grep -c '^# bind: dn:' "$T/journal.ldif")" "$recs" "a bind identity on every record"
passes=$(sed -n 's/^# pass: //p' "$T/journal.ldif" | uniq | awk -F- '$2 == p && $3 <= n {bad = 1} {p = $2; n = $3} END {print NR, bad + 0}')
[ "${passes% *}" -gt 5 ] && [ "${passes#* }" = 0 ] || fail "the daemon's passes in the journal: $passes (count, out of order)"
pass "the journal verifies and the tenant is converged at the end"

# ---- a server that refuses the sync: one outage, retried quietly ---------
overlay=$(slapd_search -b cn=config '(objectClass=olcSyncProvConfig)' dn | sed -n 's/^dn: //p')
[ -n "$overlay" ] || fail "no syncprov overlay in cn=config"
ldapdelete -Y EXTERNAL -H "$SLAPD_LDAPI" -Q "$overlay" || fail "removing syncprov failed"
: >"$LOG"
# shellcheck disable=SC2086  # DIRMAIL_WRAP is a command line
${DIRMAIL_WRAP:-} "$DIRMAIL" run -f "${args[@]}" >>"$LOG" 2>&1 &
DPID=$!
wait_for 10 "the refusal" logged "Critical extension is unavailable"
# backoff_max is 1 s: several attempts in these 3 s, one line for all
sleep 3
stop
assert_eq "$(count_logged "directory unavailable")" 1 "outage lines while the sync is refused"
assert_eq "$(count_logged "directory available again")" 0 "recovery lines while the sync is refused"
pass "a server that refuses the sync is one outage, logged once, not per attempt"
