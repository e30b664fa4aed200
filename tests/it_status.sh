#!/bin/bash
# dirmail status and the daemon's metrics against a private slapd with the
# sample tenant: with no daemon (a read-only pass that writes nothing),
# while one runs (text and JSON against tests/expected/status/, times,
# pids and durations normalised), after a change, held past the delete
# threshold, in an outage, after a clean stop and after a crash; the
# metrics file the daemon writes passes `promtool check metrics` and says
# what the directory holds.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
command -v promtool >/dev/null ||
	fail "promtool not installed: apt-get install prometheus (tools/install-deps does)"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
ACCT=cn=account,$BASE
LOG=$T/run.log
PROM=$T/metrics/dirmail.prom
mkdir "$T/metrics"
printf 'sync: { full_interval = 3600; backoff_max = 1; };\nmetrics: { textfile = "%s"; };\n' \
	"$PROM" >"$T/run.conf"
chmod 600 "$T/run.conf"
args=(-c "$T/run.conf" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/journal.ldif")
modify() { slapd_modify >/dev/null || fail "ldapmodify failed"; }

# status ARGS...: dirmail status, its standard output alone in $OUT, the
# exit status in $RC.
status() {
	RC=0
	OUT=$(dirmail status "${args[@]}" "$@" 2>"$T/status.err") || RC=$?
}
# The parts that change from run to run: the server's socket, times,
# pids, durations, pass ids, the version.
normalise() {
	sed -E -e "s|$SLAPD_LDAPI|LDAPI|g" \
		-e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/TIME/g' \
		-e 's/[0-9]{8}T[0-9]{6}Z-[0-9]+-[0-9]+/PASS/g' \
		-e 's/pid [0-9]+/pid PID/; s/"pid": [0-9]+/"pid": PID/' \
		-e 's/after [0-9]+ ms/after N ms/; s/read-only, [0-9]+ ms/read-only, N ms/; s/"ms": [0-9]+/"ms": N/' \
		-e 's/dirmail [0-9][0-9.]*$/dirmail VERSION/; s/"version": "[^"]*"/"version": "VERSION"/'
}
golden() {
	assert_eq "$(printf '%s\n' "$1" | normalise)" "$(cat "$top_srcdir/tests/expected/status/$2")" "$3"
}
# metric NAME[{LABELS}]: its value in the daemon's file.
metric() {
	awk -v m="$1" '$1 == m {print $2; found = 1} END {exit !found}' "$PROM" ||
		fail "no sample $1 in $PROM"
}
promcheck() {
	local out rc=0
	out=$(promtool check metrics <"$PROM" 2>&1) || rc=$?
	[ "$rc" = 0 ] && [ -z "$out" ] || fail "promtool check metrics ($1): exit $rc: $out"
}
# count FILTER: users and lists under the base that match.
count() {
	slapd_search -b "$BASE" "$1" dn | grep -c '^dn: ' || :
}

# ---- no daemon: a read-only pass, nothing written ---------------------------
csn0=$(slapd_csn)
status
assert_eq "$RC" 3 "exit status with no daemon"
golden "$OUT" none.txt "status with no daemon"
status --json
assert_eq "$RC" 3 "exit status with no daemon (--json)"
golden "$OUT" none.json "status --json with no daemon"
assert_eq "$(slapd_csn)" "$csn0" "contextCSN after status with no daemon"
[ ! -e "$T/state" ] && [ ! -e "$T/journal.ldif" ] && [ ! -e "$PROM" ] ||
	fail "status with no daemon wrote to the state directory, the journal or the metrics"
pass "no daemon: a read-only pass gives the figures, nothing is written, exit 3"

# ---- running: golden text and JSON ------------------------------------------
daemon_start "${args[@]}"
wait_for 10 "the status after the first pass" grep -qx 'pass 1' "$T/state/status"
status
assert_eq "$RC" 1 "exit status: running, some users blocked"
golden "$OUT" running.txt "status of a running daemon"
status --json
assert_eq "$RC" 1 "exit status: running, some users blocked (--json)"
golden "$OUT" running.json "status --json of a running daemon"
assert_eq "$(stat -c %a "$PROM")" 644 "mode of the metrics file"
pass "running: what the daemon's status file says, as text and JSON (golden), exit 1"

# ---- the metrics: promtool, and what the tenant has -------------------------
promcheck "after the first pass"
used=$(count '(&(objectClass=dirmailUser)(msExchRecipientTypeDetails=128))')
assert_eq "$(metric dirmail_licences_used)" "$used" "licences used: POP/IMAP mailboxes in the directory"
assert_eq "$(metric dirmail_licences_purchased)" 10 "licences purchased"
assert_eq "$(metric dirmail_licences_free)" $((10 - used < 0 ? 0 : 10 - used)) "licences free"
assert_eq "$(metric dirmail_licences_waiting)" "$(count '(&(objectClass=dirmailUser)(dirmailState=over-licence*))')" \
	"licences waiting: users over licence"
assert_eq "$(metric dirmail_storage_purchased_bytes)" $((2000 * 1048576)) "storage purchased"
for k in ok invalid conflict address-taken over-licence over-allocated error; do
	if [ "$k" = ok ]; then f='(dirmailState=ok)'; else f="(dirmailState=$k:*)"; fi
	n=$(count "(&(|(objectClass=dirmailUser)(objectClass=dirmailList))$f)")
	assert_eq "$(metric "dirmail_objects{state=\"$k\"}")" "$n" "users and lists in state $k"
	assert_contains "$OUT" "\"$k\": $n" "status --json objects.$k"
done
assert_eq "$(metric 'dirmail_daemon_state{state="running"}')" 1 "daemon state running"
grep -qx "dirmail_directory_up{uri=\"$SLAPD_LDAPI/\"} 1" "$PROM" || fail "the directory is not up in $PROM"
assert_eq "$(metric 'dirmail_passes_total{result="converged"}')" "$(metric dirmail_pass_duration_seconds_count)" \
	"passes counted in the histogram"
records=$(grep -c '^# .* req=[0-9]* rule=' "$T/journal.ldif")
assert_eq "$(metric 'dirmail_writes_total{attribute="dirmailState",result="success"}')" \
	"$(grep -c '^replace: dirmailState\|^add: dirmailState' "$T/journal.ldif" || :)" "dirmailState writes"
[ "$records" -gt 0 ] || fail "the first pass journaled nothing"
pass "promtool accepts the metrics; licences, storage and objects by state are the directory's"

# ---- a change: counted, the writes by attribute -----------------------------
before=$(metric 'dirmail_writes_total{attribute="mDBOverHardQuotaLimit",result="success"}')
modify <<LDIF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: 77
LDIF
wait_for 10 "the change in the status" grep -q '^last_change [1-9]' "$T/state/status"
wait_for 10 "the change in the metrics" grep -qx 'dirmail_changes_total 1' "$PROM"
wait_for 10 "the write in the metrics" grep -qx \
	"dirmail_writes_total{attribute=\"mDBOverHardQuotaLimit\",result=\"success\"} $((before + 1))" "$PROM"
promcheck "after a change"
status
assert_eq "$RC" 1 "exit status after a change"
assert_contains "$OUT" "sync lag        0 s, last change seen " "the change seen"
[[ "$OUT" =~ last\ pass\ +converged,\ ended\ .*\ \(pass\ [0-9TZ]+-$DPID-([0-9]+)\) ]] ||
	fail "no converged pass of the daemon: $OUT"
[ "${BASH_REMATCH[1]}" -ge 2 ] || fail "the change's pass is not the last one: $OUT"
pass "a change: seen, applied, counted by attribute"

# ---- held past the delete threshold ------------------------------------------
modify <<LDIF
dn: $ACCT
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 0
-
replace: dirmailStorageTotal
dirmailStorageTotal: 3000
LDIF
modify <<LDIF
dn: uid=kweber,$PEOPLE
changetype: modify
delete: dirmailAlias
LDIF
wait_for 10 "the held pass in the status" grep -qx 'daemon held' "$T/state/status"
status
assert_eq "$RC" 2 "exit status while held"
assert_contains "$OUT" "daemon          held, pid $DPID" "held"
assert_contains "$OUT" "would have deleted more than dirmailDeleteThreshold" "why it is held"
assert_contains "$OUT" "last pass       held, ended " "the held pass"
wait_for 10 "held in the metrics" grep -qx 'dirmail_daemon_state{state="held"} 1' "$PROM"
assert_eq "$(metric 'dirmail_passes_total{result="held"}')" 1 "held passes"
assert_eq "$(metric dirmail_storage_purchased_bytes)" $((3000 * 1048576)) "storage purchased, changed"
promcheck "held"
modify <<LDIF
dn: $ACCT
changetype: modify
replace: dirmailDeleteThreshold
dirmailDeleteThreshold: 500
LDIF
wait_for 10 "running again" grep -qx 'daemon running' "$T/state/status"
pass "held past the threshold: status says so and exits 2; running again once raised"

# ---- an outage -------------------------------------------------------------------
kill -9 "$(cat "$SLAPD_DIR/slapd.pid")"
wait_for 5 "the outage in the status" grep -qx 'daemon outage' "$T/state/status"
sleep 1.2
status --json
assert_eq "$RC" 2 "exit status in an outage"
assert_contains "$OUT" '"state": "outage"' "outage"
assert_contains "$OUT" '"connected": false' "not connected"
[[ "$OUT" =~ \"sync_lag_seconds\":\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] ||
	fail "the sync lag does not grow in an outage: $OUT"
[[ "$OUT" =~ \"reason\":\ \"[^\"]+\" ]] || fail "no reason for the outage: $OUT"
wait_for 10 "the outage in the metrics" grep -qx "dirmail_directory_up{uri=\"$SLAPD_LDAPI/\"} 0" "$PROM"
assert_eq "$(metric 'dirmail_daemon_state{state="outage"}')" 1 "daemon state outage"
promcheck "in an outage"
slapd_restart
wait_for 10 "the end of the outage" grep -qx 'daemon running' "$T/state/status"
pass "an outage: status says why, the lag grows, exit 2; the metrics say the directory is down"

# ---- stopped cleanly, then a crash -------------------------------------------------
daemon_stop
assert_eq "$(metric 'dirmail_daemon_state{state="stopped"}')" 1 "daemon state stopped"
promcheck "stopped"
status
assert_eq "$RC" 3 "exit status after a clean stop"
golden "$OUT" stopped.txt "status after a clean stop"
pass "stopped: said with its time, a read-only pass finds nothing to change, exit 3"

daemon_start "${args[@]}"
wait_for 10 "the restarted daemon's status" grep -qx 'pass 1' "$T/state/status"
kill -9 "$DPID"
wait "$DPID" 2>/dev/null || :
DPID=
[ -e "$T/state/dirmail.pid" ] || fail "a killed daemon left no pidfile"
status
assert_eq "$RC" 3 "exit status after a crash"
assert_contains "$OUT" "daemon          not-running: its last status, written " "a crash"
assert_contains "$OUT" ", says running: it did not stop cleanly" "a crash"
pass "a killed daemon: not running, it did not stop cleanly, exit 3"

# ---- check-config: the metrics' directory --------------------------------------------
printf 'metrics: { textfile = "%s/nowhere/dirmail.prom"; };\n' "$T" >"$T/nowhere.conf"
assert_exit 78 dirmail check-config "${args[@]}" -c "$T/nowhere.conf"
assert_contains "$OUT" "metrics.textfile \"$T/nowhere/dirmail.prom\": its directory: No such file or directory" \
	"check-config names the metrics' directory"
pass "check-config: a metrics.textfile whose directory cannot be written is a configuration error"

# ---- usage and permissions ----------------------------------------------------------
assert_exit 64 dirmail status extra
assert_eq "$OUT" "dirmail: error: status takes no arguments" "status operand"
assert_exit 64 dirmail plan --json
assert_eq "$OUT" "dirmail: error: --json does not apply to plan" "--json elsewhere"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# the test directory is 0700: another user cannot look into it
	RC=0
	OUT=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$DIRMAIL" status -c /dev/null \
		-b "$BASE" --state-dir "$T/state" 2>&1) || RC=$?
	assert_eq "$RC" 77 "exit status of a user who cannot read the state directory"
	assert_contains "$OUT" "run dirmail status as the user dirmail runs as, or as root" "the fix"
fi
pass "status: usage errors exit 64, an unreadable state directory 77"
