# lib.sh - helpers sourced by every tests/it_*.sh (bash).
# shellcheck shell=bash
# Assertions that print "FAIL: ..." and exit 1, a private temp directory,
# cleanups run at exit in reverse order, and the dirmail command (optionally
# wrapped in valgrind through DIRMAIL_WRAP).
#
# Exit 77 means SKIP to automake; nothing here uses it, and a missing tool
# the test needs is a failure.

# ---- environment (set by automake's AM_TESTS_ENVIRONMENT, defaulted by hand)
if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
top_builddir=${top_builddir:-$top_srcdir}
DIRMAIL=${DIRMAIL:-$top_builddir/agent/dirmail}
if [ -z "${SLAPD:-}" ]; then
	SLAPD=$(PATH="$PATH:/usr/sbin:/sbin" command -v slapd || echo /usr/sbin/slapd)
fi
LDAPNOINIT=1
export top_srcdir top_builddir DIRMAIL SLAPD LDAPNOINIT

# ---- messages and assertions ----------------------------------------------

# fail MSG: report a failed check on stderr and end the test with status 1.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# pass MSG: report a passed check.
pass() {
	echo "PASS: $*"
}

# assert_eq GOT WANT WHAT: fail unless GOT equals WANT (shows a diff when
# either spans several lines).
assert_eq() {
	if [ "$1" != "$2" ]; then
		case "$1$2" in
		*'
'*)
			echo "$3: -want +got" >&2
			diff -u <(printf '%s\n' "$2") <(printf '%s\n' "$1") | tail -n +3 >&2 || :
			fail "$3: output differs (see diff above)"
			;;
		esac
		fail "$3: got '$1', want '$2'"
	fi
}

# assert_contains HAYSTACK NEEDLE WHAT: fail unless NEEDLE is a substring.
assert_contains() {
	case "$1" in
	*"$2"*) return 0 ;;
	esac
	printf '%s\n' "$1" | sed 's/^/  | /' >&2
	fail "$3: output lacks '$2'"
}

# assert_not_contains HAYSTACK NEEDLE WHAT: fail if NEEDLE is a substring.
assert_not_contains() {
	case "$1" in
	*"$2"*)
		printf '%s\n' "$1" | sed 's/^/  | /' >&2
		fail "$3: output contains '$2'"
		;;
	esac
	return 0
}

# assert_exit WANT CMD...: run CMD, leave its stdout+stderr in $OUT and its
# exit status in $RC; fail (showing OUT) unless RC equals WANT.
assert_exit() {
	local want=$1
	shift
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
	if [ "$RC" != "$want" ]; then
		printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
		fail "$*: exit $RC, want $want"
	fi
}

# ---- the program under test -----------------------------------------------

# wait_for SECONDS WHAT CMD...: runs CMD (its output discarded) every 20 ms
# until it succeeds; fails the test naming WHAT, with the last lines of
# $LOG when the test has set LOG, if no run of CMD that started within
# SECONDS (wall clock, CMD's own time included) succeeded.
wait_for() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$(($(date +%s%N) + limit * 1000000000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$deadline" ] ||
			fail "$what: not within $limit s${LOG:+ (log: $(tail -n 5 "$LOG"))}"
		sleep 0.02
	done
}

# stop_pidfile FILE: stops the process FILE names (and removes FILE):
# SIGTERM, up to 5 s to go, then SIGKILL. Nothing when FILE is missing.
stop_pidfile() {
	local pid i
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	rm -f "$1"
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$pid" 2>/dev/null || :
	fi
	wait "$pid" 2>/dev/null || :
}

# logged TEXT: true when the file $LOG holds TEXT.
logged() {
	grep -qF -- "$1" "$LOG"
}

# daemon_ready [FILE]: true once the daemon has said it is up, after its
# first pass or standing by, in FILE (default $LOG). Its own line: the debug
# line of a sync's start and an outage's message name the same words.
daemon_ready() {
	grep -qF -- "dirmail: following changes under" "${1:-$LOG}"
}

# daemon_start ARGS...: dirmail run -f ARGS in the background, its output
# in $LOG (emptied first), its pid in DPID (killed at exit if still
# running), until the first pass is done.
DPID=
daemon_start() {
	: >"$LOG"
	[ -n "${_lib_daemon_reg:-}" ] || on_exit '[ -z "$DPID" ] || kill -9 "$DPID" 2>/dev/null'
	_lib_daemon_reg=1
	# not through the dirmail function: $! must be the daemon itself
	# shellcheck disable=SC2086  # DIRMAIL_WRAP is a command line
	${DIRMAIL_WRAP:-} "$DIRMAIL" run -f "$@" >>"$LOG" 2>&1 &
	DPID=$!
	wait_for 20 "the daemon's first pass" daemon_ready
}

# daemon_stop: SIGTERM to the daemon daemon_start started; the test fails
# unless it exits 0.
daemon_stop() {
	local rc=0
	kill -TERM "$DPID"
	wait "$DPID" || rc=$?
	DPID=
	assert_eq "$rc" 0 "exit status after SIGTERM"
}

# applied_within SECONDS WHAT CMD...: wait_for, printing how long it took.
applied_within() {
	local t0 t1
	t0=$(date +%s%N)
	wait_for "$1" "$2" "${@:3}"
	t1=$(date +%s%N)
	echo "# $2: $(((t1 - t0) / 1000000)) ms"
}

# dirmail ARGS...: run the agent, through $DIRMAIL_WRAP when set
# (e.g. DIRMAIL_WRAP="valgrind --error-exitcode=99 --leak-check=full -q").
dirmail() {
	if [ -n "${DIRMAIL_WRAP:-}" ]; then
		# shellcheck disable=SC2086  # DIRMAIL_WRAP is a command line
		$DIRMAIL_WRAP "$DIRMAIL" "$@"
	else
		"$DIRMAIL" "$@"
	fi
}

# ---- cleanup at exit ------------------------------------------------------

_lib_exit_cmds=
_lib_rc=0

# on_exit CMD: run the one-line shell command CMD when the test exits; the
# commands run in reverse order of registration. $_lib_rc holds the test's
# exit status while they run (test_failed tells whether it is non-zero).
on_exit() {
	_lib_exit_cmds="$1
$_lib_exit_cmds"
}

# test_failed: true while exit cleanups run for a failing test.
test_failed() {
	[ "$_lib_rc" != 0 ]
}

_lib_run_exit() {
	_lib_rc=$?
	set +e
	trap - EXIT
	local cmd
	while IFS= read -r cmd; do
		[ -n "$cmd" ] && eval "$cmd"
	done <<EOF
$_lib_exit_cmds
EOF
	exit "$_lib_rc"
}
trap _lib_run_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# mktmp: create the test's private directory, export it as $T, and remove
# it at exit unless KEEP_TMP=1 or the test failed (then its path is
# printed). Call it directly, not in $(...). Calling it again is a no-op.
mktmp() {
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		return 0
	fi
	T=$(mktemp -d "${TMPDIR:-/tmp}/dirmail-$(basename "$0" .sh).XXXXXX") ||
		fail "cannot create a temporary directory"
	export T
	on_exit _lib_rm_tmp
}

_lib_rm_tmp() {
	if [ "${KEEP_TMP:-0}" = 1 ] || test_failed; then
		echo "kept test directory: $T" >&2
	else
		rm -rf "$T"
	fi
}
