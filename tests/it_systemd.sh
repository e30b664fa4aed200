#!/bin/bash
# The systemd unit as `make install` writes it, checked by systemd itself:
# `systemd-analyze verify` has nothing to say about it in the installed tree
# (and does object to a broken copy), `systemd-analyze security` finds every
# sandbox option set but the few a network client needs, the overall
# exposure stays at most 1.5 (measured 1.2 with systemd 252), and the
# sysusers.d snippet creates the user the unit runs as.
set -eu
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

for v in dm_sbindir dm_sysconfdir dm_mandir dm_unitdir dm_sysusersdir have_libsystemd; do
	[ -n "${!v:-}" ] || fail "$v is not set: run this test through make check"
done
for v in dm_sbindir dm_sysconfdir dm_mandir dm_unitdir dm_sysusersdir; do
	case ${!v} in
	/*) ;;
	*) fail "$v is '${!v}', not an absolute path (see AM_DISTCHECK_CONFIGURE_FLAGS)" ;;
	esac
done
analyze=${SYSTEMD_ANALYZE:-}
[ -n "$analyze" ] || analyze=$(PATH="$PATH:/usr/bin:/bin" command -v systemd-analyze || true)
[ -n "$analyze" ] && [ -x "$analyze" ] ||
	fail "systemd-analyze not installed: apt-get install systemd (tools/install-deps does)"
sysusers=${SYSTEMD_SYSUSERS:-}
[ -n "$sysusers" ] || sysusers=$(PATH="$PATH:/usr/bin:/bin" command -v systemd-sysusers || true)
[ -n "$sysusers" ] && [ -x "$sysusers" ] ||
	fail "systemd-sysusers not installed: apt-get install systemd (tools/install-deps does)"
# verify checks that the man pages of Documentation= exist, through man(1).
command -v man >/dev/null || fail "man not installed: apt-get install man-db (tools/install-deps does)"

# systemd's own units (sysinit.target and the rest a service depends on by
# default) come from the host: the tree is the host plus dirmail.
host_units=
for d in /usr/lib/systemd/system /lib/systemd/system; do
	if [ -f "$d/sysinit.target" ]; then
		host_units=$d
		break
	fi
done
[ -n "$host_units" ] || fail "no systemd units on this host (sysinit.target): apt-get install systemd"

mktmp
root=$T/root
if ! "${MAKE:-make}" -s -C "$top_builddir" install DESTDIR="$root" > "$T/install.log" 2>&1; then
	sed 's/^/  | /' "$T/install.log" >&2
	fail "make install DESTDIR=$root"
fi
unit=$root$dm_unitdir/dirmail.service
[ -f "$unit" ] || fail "make install did not install $dm_unitdir/dirmail.service"
[ -x "$root$dm_sbindir/dirmail" ] || fail "make install did not install $dm_sbindir/dirmail"
pass "make install DESTDIR= installs the unit in $dm_unitdir"
# The state directory, where the journal is by default, made private.
statedir=$root${dm_localstatedir:?}/lib/dirmail
[ -d "$statedir" ] || fail "make install did not create $dm_localstatedir/lib/dirmail"
assert_eq "$(stat -c %a "$statedir")" "700" "mode of the state directory"
dirmail -c /dev/null config >"$T/config.out" || fail "dirmail config failed"
assert_contains "$(cat "$T/config.out")" "journal.file = \"$dm_localstatedir/lib/dirmail/journal.ldif\"  # default" \
	"the default journal is in the directory installed"
pass "make install DESTDIR= creates the state and journal directory, mode 0700"

mkdir -p "$root$host_units" "$root/bin"
cp -a -n "$host_units/." "$root$host_units/"
# ExecReload= runs /bin/kill, which the verification wants to find.
cp /bin/kill "$root/bin/kill"
# A unit directory systemd does not search (distcheck's prefix) is linked
# from /etc/systemd/system as `systemctl link` does, relatively so that the
# link resolves inside the tree.
case $dm_unitdir in
/etc/systemd/system | /usr/local/lib/systemd/system | /usr/lib/systemd/system | /lib/systemd/system) ;;
*)
	mkdir -p "$root/etc/systemd/system"
	ln -s "../../..$dm_unitdir/dirmail.service" "$root/etc/systemd/system/dirmail.service"
	;;
esac

# verify_unit NAME: systemd-analyze verify of NAME in the tree; the output
# in $OUT. Fails (returns 1) on a non-zero exit or any message at all: a
# setting systemd cannot parse is only a warning ("..., ignoring").
verify_unit() {
	RC=0
	OUT=$(MANPATH="$root$dm_mandir" SYSTEMD_LOG_COLOR=0 "$analyze" verify --root="$root" "$1" 2>&1) || RC=$?
	[ "$RC" = 0 ] && [ -z "$OUT" ]
}

# ---- the unit as installed -------------------------------------------------

want_type=notify
[ "$have_libsystemd" = yes ] || want_type=simple
lines=(
	"Type=$want_type"
	"ExecStart=$dm_sbindir/dirmail run -f -c $dm_sysconfdir/dirmail/dirmail.conf --state-dir %S/dirmail"
	'ExecReload=/bin/kill -HUP $MAINPID'
	"User=dirmail"
	"Group=dirmail"
	"StateDirectory=dirmail"
	"StateDirectoryMode=0700"
	"UMask=0077"
	"TimeoutStopSec=60s"
	"Restart=on-failure"
	"WantedBy=multi-user.target"
)
[ "$have_libsystemd" = yes ] && lines+=("WatchdogSec=2min")
for l in "${lines[@]}"; do
	grep -qxF -- "$l" "$unit" || fail "$dm_unitdir/dirmail.service lacks the line '$l'"
done
if [ "$have_libsystemd" != yes ] && grep -q '^WatchdogSec=' "$unit"; then
	fail "a build without libsystemd cannot feed a watchdog, yet the unit sets WatchdogSec="
fi
grep -qE '@[a-z]+dir@' "$unit" && fail "unsubstituted @...dir@ left in the unit: $(grep -E '@[a-z]+dir@' "$unit")"
pass "the unit starts $dm_sbindir/dirmail run -f as dirmail, Type=$want_type"

verify_unit dirmail.service || {
	printf '%s\n' "$OUT" | sed 's/^/  | /' >&2
	fail "systemd-analyze verify dirmail.service: exit $RC, want 0 and no message"
}
pass "systemd-analyze verify --root: the installed unit is clean"

# The verification can fail: broken copies of the unit are caught.
broken=(
	's/^ProtectSystem=strict$/ProtectSystem=stricter/'
	's/^SystemCallFilter=@system-service$/SystemCallFilter=@system-servic/'
	's/^ProtectHome=yes$/ProtectHomes=yes/'
	"s|^ExecStart=$dm_sbindir/dirmail |ExecStart=$dm_sbindir/dirmail-missing |"
	's/^\[Service\]$/[Servic]/'
)
mkdir -p "$root/etc/systemd/system"
for i in "${!broken[@]}"; do
	b=dirmail-broken$i.service
	sed -e "${broken[$i]}" "$unit" > "$root/etc/systemd/system/$b"
	cmp -s "$unit" "$root/etc/systemd/system/$b" && fail "broken copy $i: '${broken[$i]}' changed nothing"
	verify_unit "$b" && fail "systemd-analyze verify accepts a unit broken by '${broken[$i]}'"
	rm "$root/etc/systemd/system/$b"
done
pass "systemd-analyze verify rejects ${#broken[@]} broken copies of the unit"

# ---- the sandbox -----------------------------------------------------------

# What `systemd-analyze security` may find unset, and why:
# RootDirectory=/RootImage=: dirmail uses the host's libraries, CAs, config;
# RestrictAddressFamilies: AF_UNIX (ldapi://, sd_notify), AF_INET/6 (LDAP);
# PrivateNetwork=, IPAddressDeny=: it talks to directory servers the
# admin names; PrivateUsers=: left out so SASL EXTERNAL over ldapi:// and
# file ownership read as on the host; DeviceAllow=: ProtectClock= lets
# /dev/rtc be read.
accepted='DeviceAllow=
IPAddressDeny=
PrivateNetwork=
PrivateUsers=
RestrictAddressFamilies=~AF_(INET|INET6)
RestrictAddressFamilies=~AF_UNIX
RootDirectory=/RootImage='
RC=0
json=$("$analyze" security --offline=yes --root="$root" --json=short dirmail.service 2>&1) || RC=$?
[ "$RC" = 0 ] || fail "systemd-analyze security --offline=yes: exit $RC: $json"
unset_items=$(printf '%s\n' "$json" | sed 's/},{/}\n{/g' |
	sed -n 's/.*"set":false,"name":"\([^"]*\)".*/\1/p' | sort)
set_count=$(printf '%s\n' "$json" | sed 's/},{/}\n{/g' | grep -c '"set":true' || true)
[ "$set_count" -ge 60 ] || fail "systemd-analyze security --json=short: only $set_count items set; output: $json"
assert_eq "$unset_items" "$accepted" "sandbox options systemd-analyze security finds unset"
pass "systemd-analyze security: $set_count sandbox items set, only the accepted ones not"

RC=0
OUT=$("$analyze" security --offline=yes --root="$root" --threshold=15 dirmail.service 2>&1) || RC=$?
exposure=$(printf '%s\n' "$OUT" | sed -n 's/.*Overall exposure level for dirmail.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || fail "systemd-analyze security printed no exposure level: $OUT"
[ "$RC" = 0 ] || fail "overall exposure $exposure is above the threshold 1.5"
pass "systemd-analyze security: overall exposure $exposure (at most 1.5)"

# ---- the system user -------------------------------------------------------

snippet=$root$dm_sysusersdir/dirmail.conf
[ -f "$snippet" ] || fail "make install did not install $dm_sysusersdir/dirmail.conf"
RC=0
OUT=$("$sysusers" --root="$root" "$snippet" 2>&1) || RC=$?
[ "$RC" = 0 ] || fail "systemd-sysusers --root: exit $RC: $OUT"
entry=$(grep '^dirmail:' "$root/etc/passwd" || true)
[ -n "$entry" ] || fail "systemd-sysusers created no dirmail user: $OUT"
IFS=: read -r name _ uid gid gecos home shell <<< "$entry"
[ "$uid" -gt 0 ] && [ "$uid" -lt 1000 ] || fail "dirmail's uid $uid is not a system uid"
assert_eq "$(grep "^dirmail:" "$root/etc/group" | cut -d: -f3)" "$gid" "dirmail's group"
assert_eq "$home:$shell" "/var/lib/dirmail:/usr/sbin/nologin" "dirmail's home and shell"
pass "the sysusers.d snippet creates the system user $name ($uid:$gid, $gecos)"
