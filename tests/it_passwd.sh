#!/bin/bash
# dirmail passwd against a private slapd: RFC 3062 Password Modify over
# ldapi:// and StartTLS, each new password proved by a simple bind as the
# user; the refusals (a plain ldap:// connection, a password file others
# can read, no terminal, no such user, a list, outside the base) leave
# the password as it was; the prompt on a pseudo-terminal (echo off, asked
# twice, Ctrl-C puts the terminal back); and the password is nowhere in
# dirmail's output, its journal or its state directory.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp
command -v python3 >/dev/null || fail "python3 not installed: apt-get install python3"
slapd_start

BASE=dc=example,dc=test
PEOPLE=ou=people,$BASE
JM=uid=jmueller,$PEOPLE
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/journal.ldif")
# Passwords no fixture holds: non-ASCII, a space, shell metacharacters.
PW1='pässwörd€ Sesam-42'
# shellcheck disable=SC2016  # a literal $ in a password
PW2='zweites$Passwort;"x"'
PW3='über-TLS 3'
PWTTY='Getippt ohne Echo 7'
ALL_PWS=("$PW1" "$PW2" "$PW3" "$PWTTY")
# pwfile NAME PASSWORD: a 0600 file holding PASSWORD and a newline, as an
# editor leaves it.
pwfile() {
	(umask 077 && printf '%s\n' "$2" >"$T/$1")
	echo "$T/$1"
}
# run WANT ARGS...: dirmail ARGS must exit WANT; its output is kept for the
# final search for passwords.
run() {
	local want=$1
	shift
	assert_exit "$want" dirmail "$@"
	printf '%s\n' "$OUT" >>"$T/outputs"
}
# binds_as DN PASSWORD [URI]: a simple bind as DN with PASSWORD succeeds.
binds_as() {
	local out
	(umask 077 && printf '%s' "$2" >"$T/bind.pw")
	out=$(ldapwhoami -x -H "${3:-$SLAPD_URI}" -D "$1" -y "$T/bind.pw" 2>&1) || {
		rm -f "$T/bind.pw"
		return 1
	}
	rm -f "$T/bind.pw"
	[ "$out" = "dn:$1" ]
}
# hash DN: the userPassword the directory holds (a new salt every time one
# is set, so an unchanged hash means nothing was set).
hash() { slapd_search -b "$1" -s base '(objectClass=*)' userPassword | sed -n 's/^userPassword::\{0,1\} //p'; }

# A pass first, so that the journal and the state directory hold what a
# pass leaves there; passwd must add nothing to either.
assert_exit 1 dirmail reconcile "${conn[@]}"
[ -s "$T/journal.ldif" ] || fail "the pass wrote no journal"
state_before=$(cd "$T" && find state journal.ldif -type f -exec md5sum {} + | sort)

# ---- setting a password by DN, then by login --------------------------------
binds_as "$JM" "$PW1" && fail "the fixture already has PW1"
run 0 passwd "${conn[@]}" --password-file "$(pwfile pw1 "$PW1")" "$JM"
assert_eq "$OUT" "dirmail: notice: passwd: $JM: password set (RFC 3062 Password Modify) by dn:$(_slapd_peer_dn)" "the notice"
binds_as "$JM" "$PW1" || fail "jmueller cannot bind with the new password"
binds_as "$JM" "$PW1"$'\n' && fail "the file's newline became part of the password"
binds_as "$JM" wrong && fail "a wrong password binds"
pass "passwd by DN sets the password (a bind proves it), the file's newline left out"

run 0 passwd "${conn[@]}" --password-file "$(pwfile pw2 "$PW2")" jmueller@example.org
assert_contains "$OUT" "passwd: $JM: password set" "by login"
binds_as "$JM" "$PW2" || fail "jmueller cannot bind with the second password"
binds_as "$JM" "$PW1" && fail "the first password still binds"
run 0 passwd "${conn[@]}" -vv --password-file "$T/pw2" "jose.mueller@example.org"
assert_contains "$OUT" "passwd: $JM: password set" "by address"
binds_as "$JM" "$PW2" || fail "jmueller cannot bind after the reset by address"
pass "a login (uid, then an address) names the user as explain does"

# ---- refusals: nothing changes ------------------------------------------------
h=$(hash "$JM")
[ -n "$h" ] || fail "no userPassword on $JM"

chmod 0644 "$T/pw1"
run 66 passwd "${conn[@]}" --password-file "$T/pw1" "$JM"
assert_contains "$OUT" "password file $T/pw1: refused, it is accessible by group or others (mode 0644)" "a readable file"
assert_contains "$OUT" "nothing was changed" "a readable file"
chmod 0600 "$T/pw1"
run 66 passwd "${conn[@]}" --password-file "$T/missing" "$JM"
assert_contains "$OUT" "password file $T/missing: No such file or directory" "no file"
(umask 077 && printf '\n' >"$T/empty")
run 66 passwd "${conn[@]}" --password-file "$T/empty" "$JM"
assert_contains "$OUT" "password file $T/empty: empty" "an empty file"
assert_eq "$(hash "$JM")" "$h" "the password after the refused files"
pass "a password file others can read, a missing one and an empty one are refused (66)"

# getopt_long would take --password for --password-file: the value would
# be read as a file name and shown in the error.
run 64 passwd "${conn[@]}" --password "$PW1" "$JM"
assert_eq "$OUT" "dirmail: error: unknown option --password; long options are spelt out in full" "--password"
run 64 passwd "${conn[@]}" "--password=$PW1" "$JM"
assert_eq "$OUT" "dirmail: error: unknown option --password; long options are spelt out in full" "--password="
run 64 passwd "${conn[@]}" "--new-password=$PW1" "$JM"
assert_eq "$OUT" "dirmail: error: unknown option --new-password" "--new-password="
run 64 passwd "${conn[@]}" -w "$PW1" "$JM"
assert_contains "$OUT" "-w is not supported" "-w"
run 64 passwd "${conn[@]}" "$JM" "$PW1"
assert_eq "$OUT" "dirmail: error: passwd needs one DN or login (user@domain); see dirmail --help" "a password as operand"
run 64 passwd "${conn[@]}" --dry-run --password-file "$T/pw1" "$JM"
assert_eq "$OUT" "dirmail: error: --dry-run does not apply to passwd" "--dry-run"
run 64 plan "${conn[@]}" --password-file "$T/pw1"
assert_eq "$OUT" "dirmail: error: --password-file does not apply to plan" "--password-file elsewhere"
run 64 passwd "${conn[@]}" "$JM" </dev/null
assert_contains "$OUT" "standard input is no terminal to ask for the new password on; give --password-file FILE" "no terminal"
printf '%s\n%s\n' "$PW1" "$PW1" | {
	assert_exit 64 dirmail passwd "${conn[@]}" "$JM"
	assert_contains "$OUT" "no terminal" "a password piped in"
}
assert_eq "$(hash "$JM")" "$h" "the password after the usage errors"
pass "no option, operand or pipe takes a password: a file or the terminal only (64)"

run 65 passwd "${conn[@]}" --password-file "$T/pw1" nobody@example.org
assert_contains "$OUT" "login \"nobody@example.org\": nobody has that login" "unknown login"
run 65 passwd "${conn[@]}" --password-file "$T/pw1" jmueller@elsewhere.test
assert_contains "$OUT" "elsewhere.test is not a domain of the account" "foreign domain"
run 65 passwd "${conn[@]}" --password-file "$T/pw1" "uid=nobody,$PEOPLE"
assert_contains "$OUT" "uid=nobody,$PEOPLE" "unknown DN"
run 65 passwd "${conn[@]}" --password-file "$T/pw1" "cn=sales,ou=lists,$BASE"
assert_contains "$OUT" "cn=sales,ou=lists,$BASE: not a user with dirmail intent (objectClass dirmailUser)" "a list"
slapd_add >/dev/null <<LDIF || fail "adding a user without dirmail intent"
dn: uid=plain,$PEOPLE
objectClass: inetOrgPerson
uid: plain
cn: Plain User
sn: User
userPassword: plain-old
LDIF
run 65 passwd "${conn[@]}" --password-file "$T/pw1" "uid=plain,$PEOPLE"
assert_contains "$OUT" "not a user with dirmail intent" "a user without dirmailUser"
binds_as "uid=plain,$PEOPLE" plain-old || fail "uid=plain's password changed"
run 65 passwd -H "$SLAPD_LDAPI" -Y EXTERNAL -b "ou=lists,$BASE" --password-file "$T/pw1" "$JM"
assert_contains "$OUT" "$JM: not under the base \"ou=lists,$BASE\"" "outside the base"
run 65 passwd "${conn[@]}" --password-file "$T/pw1" "not a dn"
assert_contains "$OUT" "neither a DN nor a login" "garbage"
assert_eq "$(hash "$JM")" "$h" "the password after the lookups that failed"
pass "an unknown login or DN, a list, a user without dirmailUser and one outside the base are refused (65)"

# Plain ldap:// is refused even though slapd would take it.
run 78 passwd -H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b "$BASE" \
	--password-file "$T/pw1" "$JM"
assert_contains "$OUT" "$SLAPD_URI: the connection is not protected: a password is sent only over TLS (ldaps:// or StartTLS, -Z) or a local ldapi:// socket; nothing was changed" "plain ldap://"
assert_eq "$(hash "$JM")" "$h" "the password after plain ldap://"
pass "a plain ldap:// connection is refused before anything is sent (78)"

# ---- the prompt, on a pseudo-terminal -----------------------------------
# pty ANSWER...: runs dirmail passwd "${conn[@]}" $JM on a new pseudo-
# terminal (its controlling terminal), answering each prompt with the next
# ANSWER once the prompt shows ("^C" types Ctrl-C instead); prints the
# exit ("exit N" or "signal N") and whether the terminal echoes after it,
# and leaves what the terminal showed in $T/tty.out.
pty() {
	python3 - "$T/tty.out" "$@" -- "${conn[@]}" "$JM" <<'PY'
import os, select, shlex, signal, sys, termios, time, fcntl
out_path = sys.argv[1]
sep = sys.argv.index("--")
answers, args = sys.argv[2:sep], sys.argv[sep + 1:]
cmd = shlex.split(os.environ.get("DIRMAIL_WRAP", "")) + [os.environ["DIRMAIL"], "passwd"] + args
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.execvp(cmd[0], cmd)
prompts = [b"New password for ", b"Retype the new password: "]
seen, status, deadline = b"", None, time.time() + 120
while status is None and time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.05)
    if r:
        try:
            seen += os.read(master, 4096)
        except OSError:
            pass
    if answers and seen.count(prompts[0]) + seen.count(prompts[1]) > len(sys.argv[2:sep]) - len(answers):
        a = answers.pop(0)
        os.write(master, b"\x03" if a == "^C" else a.encode() + b"\n")
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        status = st
while select.select([master], [], [], 0.1)[0]:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    print("timeout")
elif os.WIFSIGNALED(status):
    print("signal %d" % os.WTERMSIG(status))
else:
    print("exit %d" % os.WEXITSTATUS(status))
print("echo " + ("on" if termios.tcgetattr(slave)[3] & termios.ECHO else "off"))
open(out_path, "wb").write(seen)
PY
}
res=$(pty "$PWTTY" "$PWTTY")
assert_eq "$res" "exit 0
echo on" "typed twice"
tty=$(cat "$T/tty.out")
cat "$T/tty.out" >>"$T/outputs"
assert_contains "$tty" "New password for $JM: " "the first prompt"
assert_contains "$tty" "Retype the new password: " "the second prompt"
assert_contains "$tty" "passwd: $JM: password set" "the notice"
assert_not_contains "$tty" "$PWTTY" "the terminal (echo was on)"
binds_as "$JM" "$PWTTY" || fail "jmueller cannot bind with the typed password"
pass "the prompt: asked twice without echo, set, the terminal echoes again after"

h=$(hash "$JM")
res=$(pty "$PW1" "$PW2")
assert_eq "$res" "exit 65
echo on" "two different passwords"
assert_contains "$(cat "$T/tty.out")" "the two passwords differ; nothing was changed" "the mismatch"
cat "$T/tty.out" >>"$T/outputs"
res=$(pty "")
assert_eq "$res" "exit 65
echo on" "an empty password"
assert_contains "$(cat "$T/tty.out")" "an empty password is refused; nothing was changed" "empty"
res=$(pty "^C")
assert_eq "$res" "signal 2
echo on" "Ctrl-C at the prompt"
assert_eq "$(hash "$JM")" "$h" "the password after the refused prompts"
binds_as "$JM" "$PWTTY" || fail "the typed password no longer binds"
pass "the prompt: two different passwords and an empty one are refused (65); Ctrl-C puts echo back"

# ---- StartTLS on a slapd with a certificate ---------------------------------
tls_make_ca "$T/ca"
slapd_start --name tls --tls "$TLS_CERT" "$TLS_KEY" "$TLS_CA"
ZOE=uid=zoe,$PEOPLE
tconn=(-H "$SLAPD_URI" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b "$BASE" --tls-ca-file "$TLS_CA")
run 78 passwd "${tconn[@]}" --password-file "$(pwfile pw3 "$PW3")" "$ZOE"
assert_contains "$OUT" "the connection is not protected" "plain, without -Z"
run 0 passwd "${tconn[@]}" -Z --password-file "$T/pw3" zoe@example.test
assert_eq "$OUT" "dirmail: notice: passwd: $ZOE: password set (RFC 3062 Password Modify) by dn:$SLAPD_ADMIN_DN" "over StartTLS"
(umask 077 && printf '%s' "$PW3" >"$T/zoe.pw")
out=$(with_tls_ca "$TLS_CA" ldapwhoami -x -ZZ -H "$SLAPD_URI" -D "$ZOE" -y "$T/zoe.pw" 2>&1) ||
	fail "zoe cannot bind with the new password over StartTLS: $out"
assert_eq "$out" "dn:$ZOE" "zoe's bind"
rm -f "$T/zoe.pw"
run 0 passwd -H "$SLAPD_LDAPS" -D "$SLAPD_ADMIN_DN" -y "$SLAPD_ADMIN_PW_FILE" -b "$BASE" \
	--tls-ca-file "$TLS_CA" --password-file "$T/pw2" "$ZOE"
binds_as "$ZOE" "$PW2" || fail "zoe cannot bind after the reset over ldaps://"
pass "StartTLS (-Z) and ldaps:// carry a password; the same server over plain ldap:// does not"

# ---- the password is nowhere dirmail writes ----------------------------------
state_after=$(cd "$T" && find state journal.ldif -type f -exec md5sum {} + | sort)
assert_eq "$state_after" "$state_before" "the state directory and the journal after every passwd"
for pw in "${ALL_PWS[@]}"; do
	b64=$(printf '%s' "$pw" | base64 -w0)
	for f in "$T/outputs" "$T/journal.ldif"; do
		! grep -qF -- "$pw" "$f" || fail "$f holds a password"
		! grep -qF -- "$b64" "$f" || fail "$f holds a password in base64"
	done
	! grep -rqF -- "$pw" "$T/state" || fail "the state directory holds a password"
done
pass "no password in dirmail's output, its journal or its state directory, which passwd leaves alone"
