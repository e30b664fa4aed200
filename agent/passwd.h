/* passwd.h - dirmail passwd: an admin's reset of one user's password.
 * RFC 3062 Password Modify on LDAP servers, unicodePwd over TLS on Active
 * Directory; the new password comes from a file or the terminal, never
 * argv, is wiped from memory once sent, and is never logged or journaled. */
#ifndef DIRMAIL_PASSWD_H
#define DIRMAIL_PASSWD_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"

struct ldapc;

struct passwd_opts {
	const char *base;          /* the tenant: the user must be under it */
	int page_size;             /* for the search of a login */
	const char *user;          /* the operand: a DN, or a login user@domain */
	const char *password_file; /* the new password; NULL: ask on the terminal */
	const char *bind_dn;       /* who binds, logged when the server cannot tell */
};

/* The value of unicodePwd that sets the password pw (len bytes of UTF-8):
 * the password between double quotes, as UTF-16LE, characters beyond
 * U+FFFF as surrogate pairs. Returns 0 with a new buffer of *outlen bytes
 * in *out, which the caller releases with passwd_wipe; -1 with *out NULL
 * when pw is not well-formed UTF-8 or holds a NUL (no one could type that
 * password at a Windows logon), or when out of memory. */
int passwd_unicodepwd(const char *pw, size_t len, char **out, size_t *outlen) DM_WUR;
/* Overwrites len bytes of p with zeros and frees it; accepts NULL. */
void passwd_wipe(char *p, size_t len);

/* What passwd_prompt made of the terminal. */
enum passwd_prompt_rc {
	PASSWD_PROMPT_OK,      /* *out holds the password */
	PASSWD_PROMPT_REFUSED, /* empty, too long, or the two did not match */
	PASSWD_PROMPT_IOERR    /* the terminal could not be read or set */
};
/* Asks for the new password for dn twice on the terminal fd (standard
 * input), echo off, the prompts on standard error, and compares. On
 * PASSWD_PROMPT_OK *out is a new string released with secret_free; else
 * *out is NULL and err holds one line. The terminal's settings are put
 * back before returning, and by SIGINT, SIGTERM, SIGHUP and SIGQUIT,
 * which then end the process as they would have. */
enum passwd_prompt_rc passwd_prompt(int fd, const char *dn, char **out, struct buf *err) DM_WUR;

/* dirmail passwd over the bound connection l: finds the user o names,
 * checks the directory offers a way to set a password and the connection
 * protects it, reads the new password, sets it, and logs one notice naming
 * the DN. Returns a sysexits code, every problem logged (dirmail(8),
 * passwd). */
int passwd_run(struct ldapc *l, const struct passwd_opts *o) DM_WUR;

#endif
