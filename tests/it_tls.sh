#!/bin/bash
# TLS: StartTLS and ldaps:// with a trusted CA work; a server whose
# certificate is not trusted is refused; a failed StartTLS never falls
# back to plain text.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
tls_make_ca "$T/pki"
slapd_start --tls "$TLS_CERT" "$TLS_KEY" "$TLS_CA"
BASE=dc=example,dc=test
bind=(-D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b $BASE)

assert_exit 0 dirmail check-config -H "$SLAPD_URI" -Z --tls-ca-file "$TLS_CA" "${bind[@]}" --state-dir "$T/state"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "StartTLS, trusted CA"
pass "StartTLS with a trusted CA"

assert_exit 0 dirmail check-config -H "$SLAPD_LDAPS" --tls-ca-file "$TLS_CA" "${bind[@]}" --state-dir "$T/state"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "ldaps, trusted CA"
pass "ldaps:// with a trusted CA"

assert_exit 0 dirmail check-config -H "$SLAPD_LDAPS" --tls-ca-dir "$TLS_CA_DIR" "${bind[@]}" --state-dir "$T/state"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "ldaps, CA directory"
pass "ldaps:// with a hashed CA directory"

for how in "-H $SLAPD_URI -Z" "-H $SLAPD_LDAPS"; do
	# shellcheck disable=SC2086
	assert_exit 69 dirmail check-config $how --tls-ca-file "$TLS_OTHER_CA" "${bind[@]}"
	assert_contains "$OUT" "certificate" "untrusted certificate ($how)"
	assert_not_contains "$OUT" "configuration OK" "untrusted ($how)"
	# Without any CA given, nothing is trusted either.
	# shellcheck disable=SC2086
	assert_exit 69 dirmail check-config $how "${bind[@]}"
	assert_contains "$OUT" "certificate" "no CA ($how)"
done
pass "an untrusted server certificate is refused (StartTLS and ldaps://)"

# Verification can only be switched off in the config file, on purpose.
printf 'ldap: { tls: { verify = false; }; };\n' > "$T/noverify.conf"
assert_exit 0 dirmail -c "$T/noverify.conf" check-config -H "$SLAPD_LDAPS" --tls-ca-file "$TLS_OTHER_CA" "${bind[@]}" --state-dir "$T/state"
assert_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "configuration OK" "verify = false"
pass "ldap.tls.verify = false accepts any certificate"

# StartTLS against a server without TLS fails; no plain-text fall-back.
slapd_stop
slapd_start --name plain
assert_exit 69 dirmail check-config -H "$SLAPD_URI" -Z --tls-ca-file "$TLS_CA" "${bind[@]}"
assert_not_contains "$OUT" "configuration OK" "StartTLS refused"
pass "a failed StartTLS is an error, not a plain-text fall-back"

# The member filters are read on a second connection in a thread: when the
# server has closed both idle connections, both reconnect at once, over
# TLS, and the pass is the same. gdb holds dirmail as the thread is about
# to start, with both connections open, until slapd has dropped them.
command -v gdb >/dev/null || fail "gdb not installed: apt-get install gdb"
slapd_stop plain
slapd_start --name idle --tls "$TLS_CERT" "$TLS_KEY" "$TLS_CA"
slapd_modify <<LDIF >/dev/null || fail "setting olcIdleTimeout failed"
dn: cn=config
changetype: modify
replace: olcIdleTimeout
olcIdleTimeout: 1
LDIF
iconn=(-H "$SLAPD_LDAPS" --tls-ca-file "$TLS_CA" "${bind[@]}" --state-dir "$T/istate")
dirmail plan "${iconn[@]}" >"$T/idle-ref.plan" 2>"$T/idle-ref.err" || fail "plan failed: $(cat "$T/idle-ref.err")"
# (gdb's own lines would land in the middle of the plan: thread events off)
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" gdb -q -batch -ex 'handle SIGPIPE nostop noprint pass' \
	-ex 'set print thread-events off' -ex 'break pthread_create' -ex run -ex 'delete 1' \
	-ex 'shell sleep 6' -ex continue \
	--args "$DIRMAIL" plan "${iconn[@]}" >"$T/idle.out" 2>"$T/idle.err" || :
assert_contains "$(cat "$T/idle.out")" "exited normally" "the plan succeeds"
assert_eq "$(grep -c 'reconnecting' "$T/idle.err")" "2" "both connections reconnect"
sed -n '/^version: 1$/,$p' "$T/idle.out" | grep -v '^\[Inferior' >"$T/idle.plan"
unguid() { sed 's/^msExchMailboxGuid:: .*/msExchMailboxGuid:: (random)/' "$1"; }
diff -u <(unguid "$T/idle-ref.plan") <(unguid "$T/idle.plan") >&2 || fail "the plan after reconnecting differs"
pass "both connections of a pass reconnect at once over TLS; the plan is the same"
