#!/bin/bash
# Configuration errors without any server: file:line messages and exit 78,
# missing settings, password files with loose modes, secrets never shown.
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
