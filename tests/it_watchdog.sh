#!/bin/bash
# dirmail run under a systemd watchdog: a first pass long enough to
# outlast the watchdog interval several times (3,000 users, every one
# written) still sends WATCHDOG=1 as often as the interval asks, not only
# between passes. The notification socket is a datagram socket the test
# binds itself, as systemd would.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
PY=/usr/bin/python3
"$PY" -c 'import socket' || fail "$PY not found: apt-get install python3"
BASE=dc=example,dc=test
"$PY" "$top_srcdir/tests/bench/gen-tenant.py" 3000 "$top_srcdir/ldif/tenant.ldif" \
	"$T/tenant.ldif" "$T/tenant.env" || fail "generating the tenant failed"
slapd_start "$T/tenant.ldif"

# The listener: every message with the time it came, until READY=1.
SOCK=$T/notify
"$PY" - "$SOCK" >"$T/messages" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(600)
while True:
    m = s.recv(4096).decode()
    print("%.3f %s" % (time.monotonic(), m.replace("\n", " ")), flush=True)
    if "READY=1" in m:
        break
PY
LPID=$!
on_exit "kill $LPID 2>/dev/null"
wait_for 5 "the listener's socket" test -S "$SOCK"

LOG=$T/run.log
# WatchdogSec=0.2s: a ping is wanted every 100 ms.
NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=200000 ${DIRMAIL_WRAP:-} "$DIRMAIL" run -f \
	-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" \
	--journal "$T/journal.ldif" >"$LOG" 2>&1 &
DPID=$!
on_exit "kill -9 $DPID 2>/dev/null"
# The pass, unless the daemon died (then at once, not after 600 s).
passed_or_died() {
	kill -0 "$DPID" 2>/dev/null || fail "the daemon died: $(tail -n 3 "$LOG")"
	daemon_ready
}
wait_for 600 "the first pass" passed_or_died
wait "$LPID" || fail "the listener failed: $(cat "$T/messages")"
kill -TERM "$DPID"
wait "$DPID" || fail "the daemon's exit status after SIGTERM: $?"

# The first pass: how long it took, and the longest silence of the
# watchdog from the first message to READY=1.
line=$(grep -m1 'notice: pass: ' "$LOG") || fail "no pass line: $(tail -n 5 "$LOG")"
[[ "$line" =~ pass:\ objects=([0-9]+)\ .*\ ms=([0-9]+) ]] || fail "pass line: $line"
objects=${BASH_REMATCH[1]} pass_ms=${BASH_REMATCH[2]}
[ "$objects" -ge 3000 ] || fail "the first pass saw $objects objects"
gap=$(awk '/WATCHDOG=1|READY=1/ { if (last != "" && $1 - last > max) max = $1 - last; last = $1 }
	/READY=1/ { exit } END { printf "%d", max * 1000 }' "$T/messages")
pings=$(sed -n '1,/READY=1/p' "$T/messages" | grep -c 'WATCHDOG=1' || :)
echo "# first pass: $objects objects in $pass_ms ms; $pings pings before READY, longest silence $gap ms"
# The check says something only when the pass outlasts the interval.
[ "$pass_ms" -ge 600 ] || fail "the first pass took $pass_ms ms: too short to tell (make the tenant larger)"
[ "$gap" -lt $((pass_ms / 4)) ] ||
	fail "the watchdog went unfed for $gap ms of a $pass_ms ms pass"
pass "a long first pass keeps the watchdog fed"
