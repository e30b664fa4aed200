#!/bin/bash
# Dovecot reads what dirmail writes: a private Dovecot, started by this test
# on loopback under its temp dir with conf/dovecot as shipped (only paths,
# users and the directory's address changed), against a private slapd after
# a real reconcile of the sample tenant. Logins (doveadm auth test, IMAP,
# POP3): user@domain and user+domain, by uid or address, work for POP/IMAP
# mailboxes and for nobody else. Quotas (doveadm user, doveadm quota get,
# IMAP GETQUOTAROOT, LMTP deliveries) are dirmail's: the limit refuses a
# message, the warning runs the quota-warning service. Everything is
# checked again after dirmail applies tests/data/mail-changes.ldif.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"
. "$top_srcdir/tests/slapd.sh"
mktmp

DOVECOT=${DOVECOT:-$(PATH="$PATH:/usr/sbin:/sbin" command -v dovecot || echo /usr/sbin/dovecot)}
DOVEADM=${DOVEADM:-$(command -v doveadm || echo /usr/bin/doveadm)}
PY=/usr/bin/python3
[ -x "$DOVECOT" ] && [ -x "$DOVEADM" ] || fail "dovecot not installed: apt-get install dovecot-core"
for f in /usr/lib/dovecot/imap /usr/lib/dovecot/pop3 /usr/lib/dovecot/lmtp; do
	[ -x "$f" ] || fail "$f missing: apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd"
done
ls /usr/lib/dovecot/modules/auth/*authdb_ldap* >/dev/null 2>&1 ||
	fail "Dovecot's LDAP driver missing: apt-get install dovecot-ldap"

slapd_start
BASE=dc=example,dc=test
conn=(-H "$SLAPD_LDAPI" -Y EXTERNAL -b "$BASE" --state-dir "$T/state" --journal "$T/journal.ldif")
# Every pass here exits 1: the tenant always has blocked objects.
assert_exit 1 dirmail reconcile "${conn[@]}"

# ---- a private Dovecot -------------------------------------------------------
# Its processes run as this user; mail is never accessed as root (Dovecot
# refuses), so as root the mailboxes belong to nobody, who must be able to
# reach them under $T.
D=$T/dovecot
mkdir -p "$D/run" "$D/state" "$D/vmail"
svc_user=$(id -un)
svc_group=$(id -gn)
login_user=$svc_user
if [ "$(id -u)" = 0 ]; then
	# Dovecot's login processes refuse root; Debian's dovecot-core makes
	# dovenull for them.
	login_user=dovenull
	id dovenull >/dev/null 2>&1 || fail "no user dovenull: apt-get install dovecot-core"
	mail_user=nobody
	mail_group=$(id -gn nobody)
	chmod 0711 "$T" "$D"
	chown "$mail_user:$mail_group" "$D/vmail"
else
	mail_user=$svc_user
	mail_group=$svc_group
fi
# The quota-warning service runs this instead of quota-warning.sh.
cat >"$D/quota-warning" <<EOF
#!/bin/sh
echo "\$*" >>"$D/warnings"
EOF
chmod 0755 "$D/quota-warning"
: >"$D/warnings"
chmod 0666 "$D/warnings"

sed -e "s|^uris = .*|uris = $SLAPD_LDAPI|" -e "s|^base = .*|base = $BASE|" \
	-e "s|/var/vmail/|$D/vmail/|" \
	"$top_srcdir/conf/dovecot/dirmail-ldap.conf.ext" >"$D/dirmail-ldap.conf.ext"
sed -e "s|/etc/dovecot/dirmail-ldap.conf.ext|$D/dirmail-ldap.conf.ext|" \
	-e "s|^mail_uid = .*|mail_uid = $mail_user|" -e "s|^mail_gid = .*|mail_gid = $mail_group|" \
	-e "s|/var/spool/postfix/private/dovecot-lmtp|$D/postfix-lmtp|" \
	-e "s|user = postfix|user = $svc_user|" -e "s|group = postfix|group = $svc_group|" \
	-e "s|/usr/local/bin/dirmail-quota-warning|$D/quota-warning|" \
	-e "s|user = vmail|user = $mail_user|" \
	"$top_srcdir/conf/dovecot/90-dirmail.conf" >"$D/90-dirmail.conf"
for f in dirmail-ldap.conf.ext 90-dirmail.conf; do
	cmp -s "$top_srcdir/conf/dovecot/$f" "$D/$f" && fail "conf/dovecot/$f: nothing was adapted"
done

# dovecot_conf IMAP POP3: the top-level configuration on those ports.
dovecot_conf() {
	cat <<EOF
instance_name = dirmail-test-$$
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
default_internal_user = $svc_user
default_internal_group = $svc_group
default_login_user = $login_user
first_valid_uid = 1
# A refused login answers at once, and the many refusals the test asks
# for (doveadm auth test -x no-penalty) add no penalty; production keeps
# Dovecot's defaults.
auth_failure_delay = 0
service imap-login {
  inet_listener imap {
    port = $1
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $2
  }
  inet_listener pop3s {
    port = 0
  }
}
!include $D/90-dirmail.conf
EOF
}

dovecot_stop() {
	[ -f "$D/pid" ] || return 0
	stop_pidfile "$D/pid"
	if test_failed; then
		echo "dovecot log: $D/dovecot.log" >&2
	fi
}

# Starts Dovecot in the foreground of a child on two free ports; returns
# once its IMAP port answers.
dovecot_start() {
	local try i pid
	on_exit dovecot_stop
	for ((try = 0; try < 20; try++)); do
		IMAP_PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		POP3_PORT=$((IMAP_PORT + 1))
		dovecot_conf "$IMAP_PORT" "$POP3_PORT" >"$D/dovecot.conf"
		: >"$D/dovecot.log"
		"$DOVECOT" -F -c "$D/dovecot.conf" >>"$D/dovecot.out" 2>&1 &
		pid=$!
		echo "$pid" >"$D/pid"
		for ((i = 0; i < 200; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			if "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', $IMAP_PORT), 1)" 2>/dev/null; then
				return 0
			fi
			sleep 0.05
		done
		rm -f "$D/pid"
		kill "$pid" 2>/dev/null || :
		wait "$pid" 2>/dev/null || :
		grep -q 'Address already in use' "$D/dovecot.log" "$D/dovecot.out" ||
			{ cat "$D/dovecot.out" "$D/dovecot.log" >&2; fail "dovecot did not start"; }
	done
	fail "dovecot: found no free port in 20 tries"
}
dovecot_conf 1 2 >"$D/dovecot.conf"
"$DOVECOT" -c "$D/dovecot.conf" -n >"$D/doveconf.out" 2>"$D/doveconf.err" ||
	{ cat "$D/doveconf.err" >&2; fail "doveconf refuses the configuration"; }
[ ! -s "$D/doveconf.err" ] || { cat "$D/doveconf.err" >&2; fail "doveconf warns about the configuration"; }
dovecot_start
pass "Dovecot runs with conf/dovecot (doveconf without a warning)"

adm() { "$DOVEADM" -c "$D/dovecot.conf" "$@"; }

# login_ok LOGIN PASSWORD CANONICAL: doveadm auth test succeeds and the
# user name Dovecot keeps is CANONICAL (the primary address).
login_ok() {
	assert_exit 0 adm auth test -x service=imap -x no-penalty "$1" "$2"
	assert_contains "$OUT" "passdb: $1 auth succeeded" "login $1"
	assert_contains "$OUT" "user=$3" "user name after login $1"
}
# login_refused LOGIN PASSWORD: doveadm auth test fails (exit 77).
login_refused() {
	assert_exit 77 adm auth test -x service=imap -x no-penalty "$1" "$2"
	assert_contains "$OUT" "auth failed" "login $1"
}
# userdb LOGIN USER HOME_UUID LIMIT_KB WARN_KB: doveadm user's fields, and
# the quota limit doveadm quota get reads for the user's mailbox.
userdb() {
	local f
	assert_exit 0 adm user "$1"
	f=$(printf '%s\n' "$OUT" | sed -n 's/^\(user\|home\|quota_rule\|quota_warning\)\t/\1=/p')
	assert_eq "$f" "user=$2
home=$D/vmail/d1a00000-0000-4000-8000-0000000000$3
quota_rule=*:storage=$4k
quota_warning=storage=$5k quota-warning $2" "doveadm user $1"
	assert_exit 0 adm quota get -u "$1"
	assert_eq "$(printf '%s\n' "$OUT" | awk '$3 == "STORAGE" { print $5 }')" "$4" "doveadm quota get -u $1: storage limit"
}
no_userdb() {
	assert_exit 67 adm user "$1"
	assert_contains "$OUT" "doesn't exist" "doveadm user $1"
}

# client imap|pop3|lmtp ...: a real session with the private Dovecot;
# prints what the server said that the test checks.
client() {
	"$PY" - "$@" <<'PY'
import imaplib, poplib, smtplib, sys
proto = sys.argv[1]
if proto == "imap":
    port, user, pw = sys.argv[2:5]
    c = imaplib.IMAP4("127.0.0.1", int(port))
    try:
        c.login(user, pw)
    except imaplib.IMAP4.error as e:
        print("NO", e)
        sys.exit(0)
    typ, data = c.getquotaroot("INBOX")
    print("OK", " ".join(d.decode() for d in data[1]))
    c.logout()
elif proto == "pop3":
    port, user, pw = sys.argv[2:5]
    c = poplib.POP3("127.0.0.1", int(port))
    c.user(user)
    try:
        c.pass_(pw)
    except poplib.error_proto as e:
        print("NO", e)
        sys.exit(0)
    print("OK", c.stat()[0])
    c.quit()
elif proto == "lmtp":
    sock, rcpt, kb = sys.argv[2], sys.argv[3], int(sys.argv[4])
    body = ("x" * 1023 + "\n") * kb
    msg = "From: test@example.net\nTo: %s\nSubject: %d KB\n\n%s" % (rcpt, kb, body)
    c = smtplib.LMTP(sock)
    try:
        c.sendmail("test@example.net", [rcpt], msg)
        print("250")
    except smtplib.SMTPRecipientsRefused as e:
        print(list(e.recipients.values())[0][0])
    except smtplib.SMTPDataError as e:
        print(e.smtp_code)
    finally:
        c.close()
PY
}
imap_ok() {
	local out
	out=$(client imap "$IMAP_PORT" "$1" "$2")
	assert_eq "$out" "OK \"User quota\" (STORAGE ${4:-0} $3)" "IMAP LOGIN $1, GETQUOTAROOT INBOX"
}
imap_refused() {
	local out
	out=$(client imap "$IMAP_PORT" "$1" "$2")
	assert_contains "$out" "NO " "IMAP LOGIN $1"
}
lmtp() { client lmtp "$D/postfix-lmtp" "$1" "$2"; }

# ---- the checks, before and after the changes -------------------------------
checks() {
	local round=$1

	# A POP/IMAP mailbox: every login form, one user name.
	for l in jmueller@example.test jmueller+example.test jmueller@example.org jmueller+example.org \
		jose.mueller2@example.test jose.mueller2+example.test jose.mueller@example.org JMueller@Example.Test; do
		login_ok "$l" pw-jmueller jose.mueller2@example.test
	done
	login_refused jmueller@example.test pw-wrong
	login_refused jmueller pw-jmueller
	login_refused jmueller@example.net pw-jmueller
	login_refused jmueller+example.net pw-jmueller
	# The adopted and the admin-added address of aberg name aberg.
	login_ok anna@example.test pw-aberg anna.berg@example.test
	login_ok jose.mueller+example.test pw-aberg anna.berg@example.test
	# The hidden user (round 2) logs in as before.
	login_ok jgross+example.org pw-jgross juergen.gross@example.test

	# No POP/IMAP mailbox, no login: Exchange (in conflict too), disabled,
	# service none, invalid, over-licence.
	login_refused cboss@example.test pw-cboss
	login_refused xexchange@example.test pw-xexchange
	login_refused ddisabled@example.test pw-ddisabled
	login_refused nnix@example.test pw-nnix
	login_refused nn@example.test pw-nnix
	login_refused lleft@example.test pw-lleft
	login_refused iinvalid@example.test pw-iinvalid
	login_refused uunknown@example.test pw-uunknown
	login_refused oflow@example.test pw-oflow
	for u in cboss@example.test ddisabled@example.test nnix@example.test oflow+example.test; do
		no_userdb "$u"
	done

	# Quotas as dirmail wrote them: the default, the unlimited one capped
	# at the account's 2000 MB, no warning for nstill.
	userdb jmueller+example.org jose.mueller2@example.test 11 10240 9216
	userdb ufrei@example.test ulla.frei@example.test 24 2048000 1843200
	userdb nstill@example.test nina.still@example.test 25 10240 0
	imap_ok main@example.test pw-main 10240
	assert_eq "$(client pop3 "$POP3_PORT" ufrei+example.org pw-ufrei)" "OK 0" "POP3 login ufrei+example.org"
	assert_contains "$(client pop3 "$POP3_PORT" cboss@example.test pw-cboss)" "NO " "POP3 login cboss"

	if [ "$round" = 1 ]; then
		login_refused verkauf@example.org pw-jmueller
		userdb tbig@example.test tom.big@example.test 23 512000 460800
		# 600 KB fit in 500 MB, far from the warning.
		assert_eq "$(lmtp tom.big@example.test 600)" 250 "LMTP 600 KB to tbig"
		imap_ok tbig+example.org pw-tbig 512000 "$(adm quota get -u tbig@example.test | awk '$3 == "STORAGE" { print $4 }')"
		assert_eq "$(cat "$D/warnings")" "" "quota warnings"
		login_ok smithj@example.test pw-smithj john.smith@example.test
		# jsmith@example.org is smithj's address and jsmith's uid: two
		# users answer, so neither logs in that way (dirmail's --dn
		# refuses such a login too); jsmith does by his address.
		login_refused jsmith@example.org pw-jsmith
		login_refused jsmith@example.org pw-smithj
		login_ok john.smith2+example.test pw-jsmith john.smith2@example.test
		login_refused oover@example.test pw-oover
		login_ok zoe+example.test pw-zoe zoe.obrien-nunez@example.test
		imap_ok zoe.obrien-nunez@example.org pw-zoe 10240
	else
		# The new alias logs in.
		login_ok verkauf@example.org pw-jmueller jose.mueller2@example.test
		# 1 MB: a limit of 1024 KB, the warning at 921 KB.
		userdb tbig@example.test tom.big@example.test 23 1024 921
		imap_ok tbig+example.org pw-tbig 1024 "$(adm quota get -u tbig@example.test | awk '$3 == "STORAGE" { print $4 }')"
		# 350 KB more pass the warning, 200 KB more the limit.
		assert_eq "$(lmtp tbig@example.org 350)" 250 "LMTP 350 KB to tbig"
		wait_for 5 "the quota warning" test -s "$D/warnings"
		assert_eq "$(cat "$D/warnings")" "tom.big@example.test" "quota warnings"
		assert_eq "$(lmtp tom.big@example.test 200)" 552 "LMTP 200 KB to tbig over quota"
		# Service none: no login; the other John Smith took john.smith
		# and jsmith, so his uid is a login of his alone now.
		login_refused smithj@example.test pw-smithj
		login_ok jsmith@example.org pw-jsmith john.smith@example.test
		login_ok john.smith2@example.test pw-jsmith john.smith@example.test
		# His licence: oover's mailbox.
		login_ok oover@example.test pw-oover olga.over@example.test
		userdb oover+example.org olga.over@example.test 32 10240 9216
		# Disabled: no login, no delivery.
		login_refused zoe+example.test pw-zoe
		imap_refused zoe.obrien-nunez@example.org pw-zoe
		no_userdb zoe@example.test
		assert_eq "$(lmtp zoe.obrien-nunez@example.test 1)" 550 "LMTP to disabled zoe"
	fi
}

checks 1
pass "round 1: logins by every form, refusals, quotas (doveadm, IMAP, POP3, LMTP)"
slapd_modify -f "$top_srcdir/tests/data/mail-changes.ldif" >/dev/null
assert_exit 1 dirmail reconcile "${conn[@]}"
checks 2
pass "round 2 after a new alias, a hidden user, a quota override (warning and refusal), a user set to none, a disabled user"

# Passwords never reach the log.
assert_not_contains "$(cat "$D/dovecot.log")" "pw-" "passwords in Dovecot's log"
# The only error: the ambiguous login of round 1.
assert_not_contains "$(grep -v 'ldap(jsmith@example.org): LDAP search returned multiple entries' "$D/dovecot.log")" \
	"Error" "errors in Dovecot's log"
dovecot_stop
pass "Dovecot logged no password and no error, and stopped"
