#!/bin/bash
# RFC 4533 sync against a private slapd 2.5 (syncprov) loaded with the sample
# tenant, through tests/sync-dump (ldapc_sync): a full refresh, changes
# arriving in the persist stage, resuming from a cookie in a present phase
# and (with a session log) a delete phase, refused cookies, a server silent
# in the refresh, and a server killed or stopped during the persist stage.
# sync-dump keeps a consumer's uuid -> DN state; after every scenario it
# must equal what the directory holds, which checks the semantics reported.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
slapd_start

BASE=$SLAPD_SUFFIX
PEOPLE=ou=people,$BASE
SYNC_DUMP=$top_builddir/tests/sync-dump
[ -x "$SYNC_DUMP" ] || fail "$SYNC_DUMP not built (make check builds it)"
# shellcheck disable=SC2206  # DIRMAIL_WRAP is a command line (valgrind)
SD=(${DIRMAIL_WRAP:-} "$SYNC_DUMP" -H "$SLAPD_LDAPI" -b "$BASE")
ATTRS=(uid description)
STATE=$T/state
COOKIE=$T/cookie

# The directory's own uuid -> DN list, as sync-dump writes its state.
truth() {
	slapd_search -b "$BASE" '(objectClass=*)' entryUUID |
		awk '/^dn: / { dn = substr($0, 5) } /^entryUUID: / { print $2 " " dn }' |
		LC_ALL=C sort
}
uuid_of() {
	slapd_search -b "$1" -s base '(objectClass=*)' entryUUID | sed -n 's/^entryUUID: //p'
}
# check_state WHAT: the consumer's state equals the directory.
check_state() {
	assert_eq "$(cat "$STATE")" "$(truth)" "$1: consumer state vs directory"
}
# wait_line FILE PATTERN SECONDS: until a line of FILE matches (grep -E).
wait_line() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	sed 's/^/  | /' "$1" >&2
	fail "no line matching '$2' in $1 within $3 s"
}
count() {
	grep -cE "$2" "$1" || :
}
now_ms() {
	date +%s%3N
}
# expect_retry OUT T0 MAX_MS WHAT: the background sync-dump ends with a
# retry (exit 3) less than MAX_MS after T0; ELAPSED gets the time taken.
expect_retry() {
	local rc=0
	wait_line "$1" '^end ' 10
	ELAPSED=$(($(now_ms) - $2))
	wait "$BG" || rc=$?
	assert_eq "$rc" "3" "$4: sync-dump exit status"
	assert_contains "$(cat "$1")" "end retry: ldapi://" "$4"
	[ "$ELAPSED" -lt "$3" ] || fail "$4: the retry came after $ELAPSED ms"
}
# syncprov_set ATTR VALUE: one setting of the syncprov overlay, at once.
syncprov_set() {
	slapd_modify >/dev/null <<EOF
dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config
changetype: modify
replace: $1
$1: $2
EOF
}
# A background sync-dump; its pid in BG, killed at exit if still there.
bg_sync() {
	local out=$1
	shift
	"${SD[@]}" "$@" >"$out" 2>&1 &
	BG=$!
	on_exit "kill $BG 2>/dev/null"
}

nentries=$(truth | wc -l)
[ "$nentries" -gt 30 ] || fail "the tenant has only $nentries entries"
zoe=$(uuid_of "uid=zoe,$PEOPLE")
nnix=$(uuid_of "uid=nnix,$PEOPLE")
lleft=$(uuid_of "uid=lleft,$PEOPLE")
jsmith=$(uuid_of "uid=jsmith,$PEOPLE")

# ---- 1. a full refresh --------------------------------------------------
# slapd 2.5 ends a refresh without a cookie as a delete phase
# (refreshDeletes TRUE); ldapc_sync reports it as present=1, since a full
# load leaves out nothing but what is gone.
assert_exit 0 "${SD[@]}" -s "$COOKIE" -S "$STATE" "${ATTRS[@]}"
printf '%s\n' "$OUT" >"$T/full.out"
assert_eq "$(count "$T/full.out" '^add ')" "$nentries" "adds in a full refresh"
assert_eq "$(count "$T/full.out" '^(present|modify|delete|idset) ')" "0" "other events"
assert_eq "$(sed -n '$p' "$T/full.out")" "end ok" "last line"
assert_eq "$(tail -n 3 "$T/full.out" | head -n 2 | sed 's/ rid=.*//')" \
	"refresh-end present=1 done=1
cookie" "refresh end, then the cookie"
assert_contains "$OUT" "add $zoe uid=zoe,$PEOPLE uid=zoe" "zoe's entry"
assert_contains "$(cat "$COOKIE")" "csn=" "saved cookie"
check_state "full refresh"
# The filter and the attribute list are the caller's.
assert_exit 0 "${SD[@]}" -f '(uid=z*)' uid
assert_eq "$(grep -v '^cookie ' <<<"$OUT")" "started refreshOnly
add $zoe uid=zoe,$PEOPLE uid=zoe
refresh-end present=1 done=1
end ok" "filtered refresh"
pass "a refresh without a cookie delivers every entry as add, then refresh end (present) and the cookie"

# ---- 2. the persist stage -----------------------------------------------
# Started from the current cookie: nothing to send, a refresh end, then
# changes one by one, each with its cookie. A rename is a modify under the
# new DN with the same uuid. The operation timeout (2 s) bounds the refresh
# only: the idle persist stage outlives it.
bg_sync "$T/persist.out" -p -t 2 -C "$COOKIE" -s "$COOKIE" -S "$STATE" "${ATTRS[@]}"
wait_line "$T/persist.out" '^refresh-end .* done=1$' 10
assert_eq "$(grep -c '^\(add\|modify\|present\|delete\|idset\) ' "$T/persist.out")" "0" \
	"entries sent for an up-to-date cookie"
sleep 3
assert_eq "$(count "$T/persist.out" '^end ')" "0" "end lines after 3 s idle in the persist stage"
slapd_modify >/dev/null <<EOF
dn: uid=zoe,$PEOPLE
changetype: modify
replace: description
description: changed in persist

dn: uid=zoe,$PEOPLE
changetype: modrdn
newrdn: uid=zoe2
deleteoldrdn: 1

dn: uid=zed,$PEOPLE
changetype: add
objectClass: inetOrgPerson
uid: zed
cn: Zed
sn: Zed

dn: uid=nnix,$PEOPLE
changetype: delete
EOF
zed=$(uuid_of "uid=zed,$PEOPLE")
wait_line "$T/persist.out" "^delete $nnix " 10
wait_line "$T/persist.out" '^cookie .*' 1
sleep 0.2
kill -TERM "$BG"
wait "$BG" || fail "sync-dump -p exited $? on SIGTERM"
grep -E '^(add|modify|present|delete|idset) ' "$T/persist.out" >"$T/persist.events"
assert_eq "$(cat "$T/persist.events")" "modify $zoe uid=zoe,$PEOPLE uid=zoe description=changed in persist
modify $zoe uid=zoe2,$PEOPLE description=changed in persist uid=zoe2
add $zed uid=zed,$PEOPLE uid=zed
delete $nnix uid=nnix,$PEOPLE" "persist events"
assert_eq "$(grep -c '^cookie ' "$T/persist.out")" "4" "a cookie per change"
assert_eq "$(tail -n 1 "$T/persist.out")" "end signal" "persist ends on the signal"
check_state "persist"
pass "persist: modify, rename (modify, new DN, same uuid), add and delete arrive, each with a cookie"

# ---- 3. resume from a cookie: present phase -------------------------------
# Without a session log slapd 2.5 answers an old cookie with a present
# phase: the uuids of unchanged entries in syncIdSets (present), the changed
# entries as adds, then refreshDeletes FALSE. What was deleted is not named.
slapd_modify >/dev/null <<EOF
dn: uid=jsmith,$PEOPLE
changetype: modify
replace: description
description: changed offline

dn: uid=lleft,$PEOPLE
changetype: delete

dn: uid=newbie,$PEOPLE
changetype: add
objectClass: inetOrgPerson
uid: newbie
cn: Newbie
sn: Newbie
EOF
newbie=$(uuid_of "uid=newbie,$PEOPLE")
assert_exit 0 "${SD[@]}" -C "$COOKIE" -s "$COOKIE" -S "$STATE" "${ATTRS[@]}"
printf '%s\n' "$OUT" >"$T/present.out"
assert_eq "$(grep '^add ' "$T/present.out" | sort)" "$(printf '%s\n' \
	"add $jsmith uid=jsmith,$PEOPLE uid=jsmith description=changed offline" \
	"add $newbie uid=newbie,$PEOPLE uid=newbie" | sort)" "changed entries"
[ "$(count "$T/present.out" '^idset present ')" -ge 1 ] || fail "no present idset"
assert_eq "$(count "$T/present.out" '^(modify|present|delete|idset delete) ')" "0" "other events"
assert_not_contains "$OUT" "$lleft" "the deleted entry's uuid"
assert_contains "$OUT" "refresh-end present=1 done=1" "present phase end"
check_state "present phase"
pass "a cookie after changes: present idsets, changed entries as adds, deletion implied by the present phase"

# ---- 4. resume from a cookie: delete phase (session log) ------------------
# With olcSpSessionlog and a cookie inside the log, slapd 2.5 names the
# deleted uuids in a syncIdSet (refreshDeletes TRUE, with a cookie), sends
# the changed entries as adds and ends the refresh as a delete phase. The
# log starts with its first write: the cookie must come after it.
syncprov_set olcSpSessionlog 100
slapd_modify >/dev/null <<EOF
dn: uid=jsmith,$PEOPLE
changetype: modify
replace: description
description: first in the session log
EOF
assert_exit 0 "${SD[@]}" -C "$COOKIE" -s "$COOKIE" -S "$STATE" "${ATTRS[@]}"
check_state "catching up"
efern=$(uuid_of "uid=efern,$PEOPLE")
slapd_modify >/dev/null <<EOF
dn: uid=efern,$PEOPLE
changetype: delete

dn: uid=jsmith,$PEOPLE
changetype: modify
replace: description
description: changed with a session log
EOF
# refreshAndPersist this time: the refresh ends with a syncInfo message.
assert_exit 0 "${SD[@]}" -p -q -C "$COOKIE" -s "$COOKIE" -S "$STATE" "${ATTRS[@]}"
printf '%s\n' "$OUT" >"$T/delete.out"
assert_eq "$(grep -E '^(add|modify|present|delete|idset) ' "$T/delete.out")" \
	"idset delete 1 $efern
add $jsmith uid=jsmith,$PEOPLE uid=jsmith description=changed with a session log" "events"
assert_contains "$OUT" "refresh-end present=0 done=1" "delete phase end"
check_state "delete phase"
pass "a cookie inside the session log: deleted uuids in an idset, changed entries, a delete phase"

# ---- 5. cookies the server refuses ---------------------------------------
# slapd 2.5: e-syncRefreshRequired (4096) for a cookie older than every
# entry when olcSpReloadHint is set; unwillingToPerform (53) for a cookie
# newer than its state; a cookie it cannot read is taken as none (the whole
# content, called a delete phase, with an empty cookie): ldapc_sync reports
# all three as "refresh required".
syncprov_set olcSpReloadHint TRUE
assert_exit 2 "${SD[@]}" -c 'rid=000,csn=20000101000000.000000Z#000000#000#000000' uid
assert_contains "$OUT" "end retry refresh-required: " "stale cookie"
assert_contains "$OUT" "Content Sync Refresh Required (4096): sync cookie is stale; start again without a cookie" "stale cookie"
assert_exit 2 "${SD[@]}" -p -c 'rid=000,csn=20991231000000.000000Z#000000#000#000000' uid
assert_contains "$OUT" "Server is unwilling to perform (53): consumer state is newer than provider!; start again without a cookie" "future cookie"
# A consumer whose state holds an entry deleted meanwhile, and a cookie
# the server cannot read.
cp "$STATE" "$T/ghost.state"
echo "ffffffff-0000-4000-8000-000000000000 uid=ghost,$PEOPLE" >>"$T/ghost.state"
for mode in "" -p; do
	# shellcheck disable=SC2086  # no mode, or -p
	assert_exit 2 "${SD[@]}" $mode -c garbage -S "$T/ghost.state" uid
	assert_contains "$OUT" "the server did not take the cookie (it answered with an empty one); start again without a cookie" "garbage cookie $mode"
	assert_not_contains "$OUT" "refresh-end" "garbage cookie $mode"
	assert_contains "$(cat "$T/ghost.state")" "uid=ghost" "the state after a refused cookie"
done
# The remedy: start again without a cookie, into the state kept so far.
assert_exit 0 "${SD[@]}" -s "$COOKIE" -S "$T/ghost.state" uid
assert_eq "$(cat "$T/ghost.state")" "$(truth)" "the state after a load without a cookie"
pass "stale, future and unreadable cookies come back as refresh required; a load without a cookie repairs the state"

# Searches the server refuses, and a caller that stops.
# A later -b wins.
assert_exit 4 "${SD[@]}" -b "ou=nowhere,$BASE" uid
assert_contains "$OUT" "end skip: ldapi://" "missing base"
assert_contains "$OUT" "sync on \"ou=nowhere,$BASE\": No such object (32)" "missing base"
assert_exit 4 "${SD[@]}" -f '(uid=x' uid
assert_contains "$OUT" "Bad search filter (-7): filter (uid=x" "bad filter"
assert_exit 4 "${SD[@]}" -x 3 uid
assert_eq "$(count <(printf '%s\n' "$OUT") '^add ')" "2" "entries before the callback failed"
assert_contains "$OUT" "failing at entry 3
end skip: ldapi://" "stopped by the caller"
assert_contains "$OUT" "\": stopped by caller" "stopped by the caller"
pass "a missing base, a bad filter and a callback's -1 end the search with skip"

# ---- 6. a server silent in the refresh -------------------------------------
bg_sync "$T/silent.out" -D 2 -t 2 uid
on_exit "kill -CONT $SLAPD_PID 2>/dev/null"
wait_line "$T/silent.out" '^connected$' 10
kill -STOP "$SLAPD_PID"
# sleep 2 s, then 2 s of operation timeout
expect_retry "$T/silent.out" "$(now_ms)" 8000 "silent server"
kill -CONT "$SLAPD_PID"
assert_contains "$(cat "$T/silent.out")" "Timed out (-5): no answer within the operation timeout" "silent server"
pass "a server silent during the refresh: retry after the operation timeout ($ELAPSED ms)"

# ---- 7. the server goes away in the persist stage ---------------------------
# Killed: waiting in ldapc_sync_poll(-1) (-B) returns at once.
bg_sync "$T/kill.out" -p -B -t 2 uid
wait_line "$T/kill.out" '^refresh-end .* done=1$' 10
sleep 3
assert_eq "$(count "$T/kill.out" '^end ')" "0" "end lines after 3 s idle, blocked"
t0=$(now_ms)
kill -KILL "$SLAPD_PID"
{ wait "$SLAPD_PID"; } 2>/dev/null || :
expect_retry "$T/kill.out" "$t0" 3000 "killed server"
assert_contains "$(cat "$T/kill.out")" "Can't contact LDAP server (-1)" "killed server"
pass "slapd killed in the persist stage: retry after $ELAPSED ms"

# slapd writes its contextCSN at checkpoints (olcSpCheckpoint 100 10) and
# on shutdown: killed, it comes back with an older state than the cookies it
# gave, and refuses them as newer than its own (53): refresh required.
slapd_restart
assert_exit 2 "${SD[@]}" -C "$COOKIE" uid
assert_contains "$OUT" "Server is unwilling to perform (53): consumer state is newer than provider!; start again without a cookie" "cookie after a crash"
pass "after slapd was killed, its own last cookie comes back as refresh required"

# Stopped cleanly, while sync-dump waits on the descriptor with poll(2).
bg_sync "$T/stop.out" -p -S "$STATE" uid
wait_line "$T/stop.out" '^refresh-end .* done=1$' 10
t0=$(now_ms)
slapd_stop
expect_retry "$T/stop.out" "$t0" 8000 "stopped server"
pass "slapd stopped in the persist stage: retry after $ELAPSED ms"
