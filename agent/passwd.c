/* passwd.c - dirmail passwd: an admin's reset of one user's password.
 * Finds the user as explain does, picks the directory's way to set a
 * password, asks for it without echo or reads it from a file, and wipes it. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "account.h"
#include "ldapc.h"
#include "log.h"
#include "passwd.h"
#include "policy.h"
#include "profile.h"
#include "reconcile.h"
#include "secret.h"
#include "utf8.h"

/* As long as a password file may be (secret.c). */
#define PASSWD_MAX 4096

int passwd_unicodepwd(const char *pw, size_t len, char **out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)pw;
	unsigned char *o;
	size_t i = 0, n = 0, k;
	uint32_t cp;

	*out = NULL;
	*outlen = 0;
	/* Each byte of UTF-8 is at most one UTF-16 unit: 2 bytes, quotes aside. */
	if (len > (SIZE_MAX - 4) / 2)
		return -1;
	o = malloc(2 * len + 4);
	if (o == NULL)
		return -1;
	o[n++] = '"';
	o[n++] = 0;
	while (i < len) {
		k = utf8_decode(p + i, len - i, &cp);
		if (k == 0 || cp == 0) {
			passwd_wipe((char *)o, 2 * len + 4);
			return -1;
		}
		i += k;
		if (cp >= 0x10000) {
			uint32_t hi = 0xd800 + ((cp - 0x10000) >> 10), lo = 0xdc00 + (cp & 0x3ff);

			o[n++] = (unsigned char)(hi & 0xff);
			o[n++] = (unsigned char)(hi >> 8);
			cp = lo;
		}
		o[n++] = (unsigned char)(cp & 0xff);
		o[n++] = (unsigned char)(cp >> 8);
	}
	o[n++] = '"';
	o[n++] = 0;
	*out = (char *)o;
	*outlen = n;
	return 0;
}

void passwd_wipe(char *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

/* ---- the terminal ------------------------------------------------------ */

/* The terminal's settings while echo is off, for a signal to put back. */
static struct termios saved_tio;
static int saved_fd = -1;
static volatile sig_atomic_t echo_off;
static int handlers_set;
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction saved_sa[sizeof(tty_signals) / sizeof(tty_signals[0])];

static void tty_restore_and_die(int sig)
{
	if (echo_off)
		(void)tcsetattr(saved_fd, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Turns echo off on fd, the signals above put it back; -1 when fd is no
 * terminal or cannot be set (tty_echo_on undoes what was done). */
static int tty_echo_off(int fd)
{
	struct termios t;
	struct sigaction sa;
	size_t i;

	if (tcgetattr(fd, &saved_tio) < 0)
		return -1;
	saved_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_restore_and_die;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(tty_signals) / sizeof(tty_signals[0]); i++)
		(void)sigaction(tty_signals[i], &sa, &saved_sa[i]);
	handlers_set = 1;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	t.c_lflag |= ICANON;
	echo_off = 1;
	if (tcsetattr(fd, TCSAFLUSH, &t) < 0)
		return -1;
	return 0;
}

static void tty_echo_on(int fd)
{
	size_t i;

	if (echo_off)
		(void)tcsetattr(fd, TCSAFLUSH, &saved_tio);
	echo_off = 0;
	for (i = 0; handlers_set && i < sizeof(tty_signals) / sizeof(tty_signals[0]); i++)
		(void)sigaction(tty_signals[i], &saved_sa[i], NULL);
	handlers_set = 0;
}

static void say(const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (n > 0) {
		w = write(STDERR_FILENO, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Reads one line from fd into a new buffer of PASSWD_MAX + 1 bytes (the
 * newline dropped, the rest zero). PASSWD_PROMPT_REFUSED for an empty line,
 * end of input or a line too long (read to its end), with err set. */
static enum passwd_prompt_rc read_line(int fd, char **out, struct buf *err)
{
	char *s = calloc(1, PASSWD_MAX + 1), ch;
	enum passwd_prompt_rc rc = PASSWD_PROMPT_REFUSED;
	size_t len = 0;
	int nl = 0, toolong = 0;
	ssize_t r;

	*out = NULL;
	if (s == NULL) {
		(void)!buf_puts(err, "out of memory");
		return PASSWD_PROMPT_IOERR;
	}
	for (;;) {
		r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			(void)!buf_printf(err, "reading the terminal: %s", strerror(errno));
			rc = PASSWD_PROMPT_IOERR;
			goto done;
		}
		if (r == 0 || ch == '\n') {
			nl = r == 1;
			break;
		}
		if (len < PASSWD_MAX)
			s[len++] = ch;
		else
			toolong = 1;
	}
	ch = 0;
	if (toolong)
		(void)!buf_printf(err, "the password is longer than %d bytes", PASSWD_MAX);
	else if (len == 0)
		(void)!buf_puts(err, nl ? "an empty password is refused" : "no password given");
	else if (memchr(s, '\0', len) != NULL)
		(void)!buf_puts(err, "the password holds a NUL byte");
	else
		rc = PASSWD_PROMPT_OK;
done:
	if (rc != PASSWD_PROMPT_OK) {
		passwd_wipe(s, PASSWD_MAX + 1);
		s = NULL;
	}
	*out = s;
	return rc;
}

enum passwd_prompt_rc passwd_prompt(int fd, const char *dn, char **out, struct buf *err)
{
	enum passwd_prompt_rc rc;
	struct buf prompt = BUF_INIT;
	char *again = NULL, *shown = malloc(strlen(dn) + 1);

	*out = NULL;
	if (tty_echo_off(fd) < 0) {
		(void)!buf_printf(err, "cannot turn the terminal's echo off: %s", strerror(errno));
		rc = PASSWD_PROMPT_IOERR;
		goto done;
	}
	/* The DN comes from the directory: no control characters reach the
	 * terminal. */
	if (shown != NULL)
		log_mask(dn, shown, strlen(dn) + 1);
	if (shown == NULL || buf_printf(&prompt, "New password for %s: ", shown) < 0) {
		(void)!buf_puts(err, "out of memory");
		rc = PASSWD_PROMPT_IOERR;
		goto done;
	}
	say(buf_str(&prompt));
	rc = read_line(fd, out, err);
	say("\n");
	if (rc != PASSWD_PROMPT_OK)
		goto done;
	say("Retype the new password: ");
	rc = read_line(fd, &again, err);
	say("\n");
	if (rc != PASSWD_PROMPT_OK)
		goto done;
	if (strcmp(*out, again) != 0) {
		(void)!buf_puts(err, "the two passwords differ");
		rc = PASSWD_PROMPT_REFUSED;
	}
done:
	tty_echo_on(fd);
	secret_free(again);
	if (rc != PASSWD_PROMPT_OK) {
		secret_free(*out);
		*out = NULL;
	}
	buf_free(&prompt);
	free(shown);
	return rc;
}

/* ---- the command ------------------------------------------------------- */

/* The sysexits code for a failed operation of classification rc. */
static int exit_for(enum ldapc_rc rc)
{
	return rc == LDAPC_RETRY ? EX_UNAVAILABLE : rc == LDAPC_FATAL ? EX_CONFIG : EX_DATAERR;
}

/* The DN of the user o names, checked to be a dirmailUser under the base,
 * into *dn (caller frees); a sysexits code, logged when not EX_OK. */
static int find_user(struct ldapc *l, const struct passwd_opts *o, char **dn)
{
	static const char *const attrs[] = {"objectClass", NULL};
	struct buf err = BUF_INIT, nb = BUF_INIT;
	struct entry *acct_e = NULL, *e = NULL;
	struct account a;
	enum ldapc_rc lrc;
	int rc;

	*dn = NULL;
	memset(&a, 0, sizeof(a));
	if (reconcile_is_login(o->user)) {
		/* Only the domains matter here: a wrong licence count must not
		 * stop a password reset, so the parse's complaints are left to
		 * check-config. */
		rc = reconcile_find_account(l, o->base, o->page_size, &acct_e);
		if (rc != EX_OK)
			goto done;
		if (account_parse(acct_e, &a, &err) < 0)
			log_debug(
			    "the account entry has problems (dirmail check-config says which)");
		rc = reconcile_find_login(l, &a, o->base, o->page_size, o->user, 0, dn);
		if (rc != EX_OK)
			goto done;
	} else if (!ldapc_dn_valid(o->user)) {
		log_error("\"%s\": neither a DN nor a login user@domain or user+domain", o->user);
		rc = EX_DATAERR;
		goto done;
	} else {
		*dn = strdup(o->user);
		if (*dn == NULL) {
			rc = EX_OSERR;
			goto done;
		}
	}
	buf_reset(&err);
	lrc = ldapc_read(l, *dn, attrs, &e, &err);
	if (lrc != LDAPC_OK) {
		log_error("%s", buf_str(&err));
		rc = exit_for(lrc);
		goto done;
	}
	if (ldapc_dn_norm(&nb, o->base, strlen(o->base)) < 0) {
		rc = EX_OSERR;
		goto done;
	}
	rc = EX_DATAERR;
	if (!ldapc_dn_under(e->dn, buf_str(&nb)))
		log_error(
		    "%s: not under the base \"%s\": dirmail sets the passwords of its tenant's "
		    "users only",
		    e->dn, o->base);
	else if (policy_kind(e) != POL_USER)
		log_error(
		    "%s: not a user with dirmail intent (objectClass dirmailUser): dirmail sets "
		    "the passwords of its users only",
		    e->dn);
	else
		rc = EX_OK;
	if (rc == EX_OK) {
		/* The DN as the directory spells it, for the log. */
		free(*dn);
		*dn = strdup(e->dn);
		if (*dn == NULL)
			rc = EX_OSERR;
	}
done:
	if (rc == EX_OSERR)
		log_error("out of memory");
	if (rc != EX_OK) {
		free(*dn);
		*dn = NULL;
	}
	account_free(&a);
	entry_free(acct_e);
	entry_free(e);
	buf_free(&err);
	buf_free(&nb);
	return rc;
}

/* The new password for dn from o's file or the terminal into *pw (release
 * with secret_free); a sysexits code, logged when not EX_OK. */
static int read_password(const struct passwd_opts *o, const char *dn, char **pw)
{
	struct buf err = BUF_INIT;
	int rc = EX_OK;

	if (o->password_file != NULL) {
		*pw = secret_read_file(o->password_file, &err);
		if (*pw == NULL)
			rc = EX_NOINPUT;
	} else {
		switch (passwd_prompt(STDIN_FILENO, dn, pw, &err)) {
		case PASSWD_PROMPT_OK:
			break;
		case PASSWD_PROMPT_REFUSED:
			rc = EX_DATAERR;
			break;
		case PASSWD_PROMPT_IOERR:
			rc = EX_IOERR;
			break;
		}
	}
	if (rc != EX_OK)
		log_error("%s; nothing was changed", buf_str(&err));
	buf_free(&err);
	return rc;
}

int passwd_run(struct ldapc *l, const struct passwd_opts *o)
{
	struct buf err = BUF_INIT;
	struct profile p;
	enum ldapc_pw kind;
	enum ldapc_rc lrc;
	char *dn = NULL, *pw = NULL, *val = NULL;
	const char *who;
	size_t vlen = 0;
	int rc, prc;

	memset(&p, 0, sizeof(p));
	if (profile_read(l, &p, &prc, &err) < 0) {
		log_error("%s: the rootDSE cannot be read, so whether this is Active Directory "
		          "is not known and nothing was changed",
		          buf_str(&err));
		rc = prc == LDAPC_RETRY ? EX_UNAVAILABLE : EX_CONFIG;
		goto done;
	}
	kind = p.ad ? LDAPC_PW_UNICODEPWD : LDAPC_PW_EXOP;
	if (!p.ad && !(p.extensions & PROFILE_X_PASSWD)) {
		log_error(
		    "%s: the server does not offer the Password Modify extended operation "
		    "(RFC 3062, 1.3.6.1.4.1.4203.1.11.1 in its rootDSE's supportedExtension), "
		    "the way dirmail sets a password on an LDAP server",
		    ldapc_uri(l));
		rc = EX_CONFIG;
		goto done;
	}
	/* Said before anyone types a password, and checked again right
	 * before it is sent. */
	if (ldapc_pw_channel(l, kind, &err) < 0) {
		log_error("%s; nothing was changed", buf_str(&err));
		rc = EX_CONFIG;
		goto done;
	}
	rc = find_user(l, o, &dn);
	if (rc != EX_OK)
		goto done;
	rc = read_password(o, dn, &pw);
	if (rc != EX_OK)
		goto done;
	if (kind == LDAPC_PW_UNICODEPWD) {
		if (passwd_unicodepwd(pw, strlen(pw), &val, &vlen) < 0) {
			log_error(
			    "the new password is not UTF-8 text, which Active Directory needs; "
			    "nothing was changed");
			rc = EX_DATAERR;
			goto done;
		}
	}
	buf_reset(&err);
	lrc = ldapc_set_password(l, dn, kind, val ? val : pw, val ? vlen : strlen(pw), &err);
	if (lrc == LDAPC_RETRY && ldapc_result_code(l) == LDAPC_CODE_UNKNOWN) {
		log_error("%s; the password may or may not be set: run dirmail passwd again",
		          buf_str(&err));
		rc = EX_UNAVAILABLE;
		goto done;
	}
	if (lrc != LDAPC_OK) {
		log_error("%s; the password of %s was not set", buf_str(&err), dn);
		rc = exit_for(lrc);
		goto done;
	}
	who = ldapc_bind_identity(l);
	log_notice("passwd: %s: password set (%s) by %s", dn,
	           kind == LDAPC_PW_EXOP ? "RFC 3062 Password Modify" : "unicodePwd over TLS", who);
done:
	passwd_wipe(val, vlen);
	secret_free(pw);
	free(dn);
	profile_free(&p);
	buf_free(&err);
	return rc;
}
