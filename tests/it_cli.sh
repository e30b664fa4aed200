#!/bin/bash
# The command line: help, version, sysexits codes for usage errors, and
# no way to put a password on the command line.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

assert_exit 0 dirmail --help
assert_contains "$OUT" "usage: dirmail [options] command" "--help"
assert_contains "$OUT" "check-config" "--help lists check-config"
assert_contains "$OUT" "reconcile" "--help lists reconcile"
assert_contains "$OUT" "plan" "--help lists plan"
pass "--help"

assert_exit 0 dirmail -V
assert_eq "$(sed -n 1p <<<"$OUT")" "dirmail 0.1.0" "-V"
assert_exit 0 dirmail --version
assert_eq "$(sed -n 1p <<<"$OUT")" "dirmail 0.1.0" "--version"
# The libraries, as they run (not as built): the Debian package's.
sasl=$(dpkg-query -W -f '${Version}' libsasl2-2 2>/dev/null | sed 's/[+-].*//')
ldap=$(dpkg-query -W -f '${Version}' libldap-2.5-0 2>/dev/null | sed 's/[+-].*//')
[[ "$(sed -n 2p <<<"$OUT")" =~ ^libldap:\ OpenLDAP\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version: libldap line: $OUT"
[ -z "$ldap" ] || assert_contains "$OUT" "libldap: OpenLDAP $ldap" "--version: libldap's own version"
[[ "$(sed -n 3p <<<"$OUT")" =~ ^TLS:\ (GnuTLS|OpenSSL|MozNSS)\ \(through\ libldap\)$ ]] || fail "--version: TLS line: $OUT"
[[ "$(sed -n 4p <<<"$OUT")" =~ ^SASL:\ Cyrus\ SASL\ [0-9.]+$ ]] || fail "--version: SASL line: $OUT"
[ -z "$sasl" ] || assert_contains "$OUT" "SASL: Cyrus SASL $sasl" "--version: SASL's own version"
pass "--version names dirmail's and its libraries' versions"

assert_exit 64 dirmail
assert_eq "$OUT" "dirmail: error: no command given; see dirmail --help" "no command"
assert_exit 64 dirmail frobnicate
assert_eq "$OUT" "dirmail: error: unknown command 'frobnicate'; see dirmail --help" "unknown command"
assert_exit 64 dirmail --bogus check-config
assert_eq "$OUT" "dirmail: error: unknown option --bogus" "unknown long option"
assert_exit 64 dirmail -q check-config
assert_eq "$OUT" "dirmail: error: unknown option -q" "unknown short option"
assert_exit 64 dirmail check-config -H
assert_eq "$OUT" "dirmail: error: option -H needs an argument" "missing argument"
assert_exit 64 dirmail check-config extra
assert_eq "$OUT" "dirmail: error: check-config takes no arguments" "stray operand"
pass "usage errors exit 64 with one clear line"

assert_exit 64 dirmail -w Sup3rSecretPW check-config
assert_contains "$OUT" "-w is not supported" "-w refused"
assert_not_contains "$OUT" "Sup3rSecretPW" "-w output"
pass "-w (password on the command line) is refused without echoing it"

assert_exit 64 dirmail plan --dry-run
assert_eq "$OUT" "dirmail: error: --dry-run does not apply to plan" "plan --dry-run"
assert_exit 64 dirmail check-config --force
assert_eq "$OUT" "dirmail: error: --force does not apply to check-config" "check-config --force"
assert_exit 64 dirmail check-config --dn uid=x
assert_eq "$OUT" "dirmail: error: --dn does not apply to check-config" "check-config --dn"
assert_exit 64 dirmail reconcile extra
assert_eq "$OUT" "dirmail: error: reconcile takes no arguments" "reconcile operand"
pass "options of one command are refused by the others"

assert_exit 64 dirmail passwd
assert_eq "$OUT" "dirmail: error: passwd needs one DN or login (user@domain); see dirmail --help" "passwd without a user"
pass "passwd wants a user"

# Long options are spelt out: getopt_long would take --password for
# --password-file and --state for --state-dir. A value given with '=' is
# never repeated in the message (it may be a password typed to the wrong
# option).
assert_exit 64 dirmail --password Sup3rSecretPW passwd uid=x
assert_eq "$OUT" "dirmail: error: unknown option --password; long options are spelt out in full" "--password"
assert_exit 64 dirmail check-config --state /tmp
assert_eq "$OUT" "dirmail: error: unknown option --state; long options are spelt out in full" "--state"
assert_exit 64 dirmail check-config --dry
assert_eq "$OUT" "dirmail: error: unknown option --dry; long options are spelt out in full" "--dry"
assert_exit 64 dirmail --bogus=Sup3rSecretPW check-config
assert_eq "$OUT" "dirmail: error: unknown option --bogus" "--bogus=value"
pass "abbreviated long options are refused; no option's value is echoed"

# -f belongs to run; run wants a base and takes no operand.
assert_exit 64 dirmail reconcile -f
assert_eq "$OUT" "dirmail: error: -f does not apply to reconcile" "reconcile -f"
assert_exit 64 dirmail run -f extra
assert_eq "$OUT" "dirmail: error: run takes no arguments" "run operand"
assert_exit 64 dirmail run --dry-run
assert_eq "$OUT" "dirmail: error: --dry-run does not apply to run" "run --dry-run"
assert_exit 78 dirmail run -f -H ldapi:///nowhere
assert_contains "$OUT" "ldap.base is not set" "run without a base"
pass "run's options are checked before it starts"
