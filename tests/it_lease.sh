#!/bin/bash
# it_lease.sh - two dirmail run instances against one private slapd, each
# with a state directory and journal of its own, sharing a lease entry:
# exactly one writes at a time; the other takes over within the lease
# time when the holder is killed (SIGKILL); a holder paused past its lease
# (SIGSTOP) writes nothing once it resumes; a holder that stops cleanly
# hands over at once.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
LEASE="cn=dirmail-lease,$BASE"
printf 'sync: { full_interval = 3600; backoff_max = 1; lease_dn = "%s"; lease_time = 3; };\n' \
	"$LEASE" >"$T/run.conf"
chmod 600 "$T/run.conf"
declare -A PID=()
on_exit 'for p in "${PID[@]}"; do kill -9 "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done'

get() { slapd_search -b "$1" -s base '(objectClass=*)' "$2" | sed -n "s/^$2: //p" | sort; }
has() { get "$1" "$2" | grep -qxF -- "$3"; }
in_log() { grep -qF -- "$2" "$T/$1.log"; }
# records NAME: the requests in NAME's journal.
records() { if [ -f "$T/$1.journal" ]; then grep -c '^changetype:' "$T/$1.journal" || :; else echo 0; fi; }
# start NAME WAIT: instance NAME in the background, until WAIT is logged
# (ready: until its first pass is done, daemon_ready).
start() {
	: >"$T/$1.log"
	# shellcheck disable=SC2086  # DIRMAIL_WRAP is a command line
	${DIRMAIL_WRAP:-} "$DIRMAIL" run -f -c "$T/run.conf" -H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" \
		--state-dir "$T/$1.state" --journal "$T/$1.journal" >>"$T/$1.log" 2>&1 &
	PID[$1]=$!
	if [ "$2" = ready ]; then
		LOG=$T/$1.log wait_for 20 "instance $1: its first pass" daemon_ready "$T/$1.log"
	else
		LOG=$T/$1.log wait_for 20 "instance $1: $2" in_log "$1" "$2"
	fi
}
quota() {
	slapd_modify >/dev/null <<LDIF || fail "ldapmodify failed"
dn: uid=zoe,$PEOPLE
changetype: modify
replace: dirmailQuota
dirmailQuota: $1
LDIF
}
# applied_by NAME QUOTA: the change reaches the directory, through NAME.
applied_by() {
	local before
	before=$(records "$1")
	quota "$2"
	LOG=$T/$1.log applied_within 5 "quota $2 through $1" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit $(($2 * 1024))
	wait_for 5 "$1's journal record" test "$(records "$1")" -gt "$before"
}

# ---- one holds the lease, the other stands by ------------------------------
start a ready
in_log a "lease: $LEASE is held by this instance" || fail "a does not hold the lease: $(tail -n 3 "$T/a.log")"
assert_eq "$(get "$LEASE" objectClass)" "applicationProcess" "the lease entry dirmail made"
start b "standing by"
b0=$(records b)
applied_by a 61
applied_by a 62
assert_eq "$(records b)" "$b0" "requests b journaled while a holds the lease"
wait_for 3 "b's status" grep -q '^daemon standby' "$T/b.state/status"
assert_exit 0 dirmail status --state-dir "$T/b.state"
assert_contains "$OUT" "standby" "dirmail status of the standing-by instance"
pass "one instance holds the lease and writes, the other stands by and writes nothing"

# ---- the holder killed: the other takes over within the lease time ---------
kill -9 "${PID[a]}"
wait "${PID[a]}" 2>/dev/null || :
unset 'PID[a]'
t0=$(date +%s%N)
LOG=$T/b.log wait_for 3 "b taking over within the lease time" in_log b "taken over from"
echo "# taken over after $((($(date +%s%N) - t0) / 1000000)) ms"
applied_by b 63
pass "the holder killed with SIGKILL: the standby takes over within the lease time and writes"

# ---- a holder paused past its lease writes nothing when it resumes ---------
start a "standing by"
a0=$(records a)
kill -STOP "${PID[b]}"
LOG=$T/a.log wait_for 8 "a taking over from the paused b" in_log a "taken over from"
b0=$(records b)
applied_by a 64
kill -CONT "${PID[b]}"
quota 65
LOG=$T/b.log wait_for 5 "b seeing it lost the lease" in_log b "was taken over by another instance"
LOG=$T/a.log wait_for 5 "a applying quota 65" has "uid=zoe,$PEOPLE" mDBOverHardQuotaLimit $((65 * 1024))
sleep 1
assert_eq "$(records b)" "$b0" "requests b journaled after it resumed"
[ "$(records a)" -gt "$a0" ] || fail "a journaled nothing after taking over"
in_log b "standing by" || fail "b does not stand by: $(tail -n 3 "$T/b.log")"
pass "a holder paused past its lease (SIGSTOP) writes nothing when it resumes, and stands by"

# ---- a clean stop hands the lease over at once ------------------------------
: >"$T/b.log"
kill -TERM "${PID[a]}"
wait "${PID[a]}" || fail "a's exit status after SIGTERM: $?"
unset 'PID[a]'
t0=$(date +%s%N)
LOG=$T/b.log wait_for 3 "b taking the released lease" in_log b "is held by this instance"
echo "# handed over after $((($(date +%s%N) - t0) / 1000000)) ms"
applied_by b 66
kill -TERM "${PID[b]}"
wait "${PID[b]}" || fail "b's exit status after SIGTERM: $?"
unset 'PID[b]'
assert_eq "$(get "$LEASE" description)" "free" "the lease after the last clean stop"
pass "a holder that stops cleanly releases the lease; the standby takes it at its next read"
