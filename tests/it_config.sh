#!/bin/bash
# Configuration errors without any server: file:line messages and exit 78,
# missing settings, password files with loose modes, secrets never shown;
# config and config -n against golden output, misspelt keys and their nearest.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
mktmp

cat > "$T/bad.conf" <<'CONF'
ldap: {
  uri = "ldap://127.0.0.1:1/";
  timeout = 0;
  frobnicate = true;
};
CONF
assert_exit 78 dirmail -c "$T/bad.conf" check-config
assert_contains "$OUT" "$T/bad.conf:3: " "out-of-range key reported with file:line"
assert_contains "$OUT" "$T/bad.conf:4: " "unknown key reported with file:line"
assert_contains "$OUT" "frobnicate" "unknown key named"
assert_eq "$(printf '%s\n' "$OUT" | wc -l)" "2" "exactly the two errors, nothing else"
pass "bad config: every error as file:line, exit 78"

printf 'ldap: {\n  uri = "ldap://x/";\n  base = = "y";\n};\n' > "$T/syntax.conf"
assert_exit 78 dirmail -c "$T/syntax.conf" check-config
assert_contains "$OUT" "$T/syntax.conf:3: " "syntax error with its line"
pass "syntax error: file:line, exit 78"

assert_exit 78 dirmail -c "$T/missing.conf" check-config
assert_contains "$OUT" "$T/missing.conf" "missing config file named"
pass "missing -c file: exit 78"

assert_exit 78 dirmail -c /dev/null -H ldap://127.0.0.1:1/ check-config
assert_eq "$OUT" "dirmail: error: ldap.base is not set: give -b BASE or set ldap.base" "no base"
pass "missing base: exit 78"

assert_exit 78 dirmail -c /dev/null -H ldap://127.0.0.1:1/ -b dc=x -D cn=admin,dc=x check-config
assert_eq "$OUT" "dirmail: error: ldap.bind_dn needs a password: give -y FILE or set ldap.password_file" "bind DN without password"
pass "a bind DN without a password file is refused (no unauthenticated bind)"

printf 'Sup3rSecretPW\n' > "$T/pw"
chmod 0644 "$T/pw"
assert_exit 78 dirmail -c /dev/null -H ldap://127.0.0.1:1/ -b dc=x -D cn=admin,dc=x -y "$T/pw" check-config
assert_eq "$OUT" "dirmail: error: password file $T/pw: refused, it is accessible by group or others (mode 0644); run chmod 600 $T/pw" "world-readable password file"
assert_not_contains "$OUT" "Sup3rSecretPW" "password file refusal"
chmod 0640 "$T/pw"
assert_exit 78 dirmail -c /dev/null -H ldap://127.0.0.1:1/ -b dc=x -D cn=admin,dc=x -y "$T/pw" check-config
assert_contains "$OUT" "(mode 0640)" "group-readable password file"
pass "password files readable by group or others are refused"

# A config file cannot carry a password inline: there is no such key.
printf 'ldap: { password = "Sup3rSecretPW"; };\n' > "$T/inline.conf"
assert_exit 78 dirmail -c "$T/inline.conf" check-config
assert_contains "$OUT" "$T/inline.conf:1: " "inline password key rejected with file:line"
assert_not_contains "$OUT" "Sup3rSecretPW" "inline password never echoed"
pass "no inline password key; its value is never echoed"

# Flags override the file: the file's bogus URI is replaced by -H.
printf 'ldap: { uri = "ldap://127.0.0.1:1/"; base = "dc=x"; timeout = 2; };\n' > "$T/ok.conf"
chmod 0600 "$T/pw"
assert_exit 69 dirmail -c "$T/ok.conf" -H ldap://127.0.0.1:2/ check-config
assert_contains "$OUT" "ldap://127.0.0.1:2/" "flag URI used"
assert_not_contains "$OUT" "127.0.0.1:1/" "file URI overridden"
pass "command-line flags override the config file"

# config -n: the settings given in the file (an @include'd one with its own
# file and line) or by a flag, each with where it comes from; config: every
# setting. Exact output against tests/expected/config/.
printf 'Sup3rSecretPW\n' > "$T/bind.pw"
chmod 0600 "$T/bind.pw"
for f in sample.conf included.conf; do
	sed "s|@T@|$T|g" "$top_srcdir/tests/data/config/$f" > "$T/$f"
done
golden() {
	sed -e "s|@T@|$T|g" -e "s|@LOCALSTATEDIR@|${dm_localstatedir:-/usr/local/var}|g" \
		"$top_srcdir/tests/expected/config/$1"
}
assert_exit 0 dirmail -c "$T/sample.conf" -Z -b dc=example,dc=test --state-dir "$T/state" -vv config -n
assert_eq "$OUT" "$(golden config-n.txt)" "config -n"
assert_not_contains "$OUT" "Sup3rSecretPW" "config -n shows the password file, never the password"
[ ! -e "$T/state" ] || fail "config created the state directory"
pass "config -n: the settings given, each with its file:line or flag (golden)"

assert_exit 0 dirmail -c /dev/null -Y EXTERNAL -b dc=example,dc=test config
assert_eq "$OUT" "$(golden config.txt)" "config"
assert_exit 0 dirmail -c /dev/null config -n
assert_eq "$OUT" "" "config -n with nothing given"
pass "config: every setting, the defaults said so (golden)"

assert_exit 64 dirmail -c /dev/null -n check-config
assert_eq "$OUT" "dirmail: error: -n does not apply to check-config" "-n elsewhere"
assert_exit 64 dirmail -c /dev/null config extra
assert_eq "$OUT" "dirmail: error: config takes no arguments" "config operand"
pass "config: usage errors"

# A misspelt key is an error that names the nearest key.
cat > "$T/typo.conf" <<'CONF'
ldap: {
  pagesize = 200;
  tsl: { verify = false; };
};
verbose = 1;
CONF
assert_exit 78 dirmail -c "$T/typo.conf" config -n
assert_eq "$OUT" "$T/typo.conf:2: unknown setting \"ldap.pagesize\"; did you mean \"ldap.page_size\"?
$T/typo.conf:3: unknown setting \"ldap.tsl\"; did you mean \"ldap.tls\"?
$T/typo.conf:5: unknown setting \"verbose\"; did you mean \"log.verbose\"?" "misspelt keys"
pass "unknown keys: file:line and the nearest known key"
