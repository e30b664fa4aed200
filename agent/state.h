/* state.h - what a pass remembers between runs, in the state directory.
 * The number of recipients the last complete pass read, per account
 * entry, so that a pass which suddenly sees far fewer stops; the daemon's
 * sync cookie, so that a restart resumes where it stopped; whether a
 * daemon runs, and its status, for dirmail status. */
#ifndef DIRMAIL_STATE_H
#define DIRMAIL_STATE_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"

/* The file under the state directory that holds the counts. */
#define STATE_SEEN_FILE "recipients"

/* Creates the state directory DIR (mode 0700) when it is missing: 0, or
 * -1 with "DIR: reason" in err. */
int state_dir_make(const char *dir, struct buf *err) DM_WUR;
/* Reads into *count the number of recipients the last complete pass for
 * the account entry acct_dn (compared without case) read, from
 * DIR/recipients: 1 when found, 0 when there is none (no file, or no line
 * for acct_dn), -1 with "path:LINE: reason" or "path: reason" in err when
 * the file cannot be read or a line of it is not "COUNT DN". */
int state_seen_load(const char *dir, const char *acct_dn, long *count, struct buf *err) DM_WUR;
/* Records count for acct_dn in DIR/recipients, keeping the lines of other
 * account entries; DIR is created (mode 0700) when missing, the file is
 * written to a temporary file (0600), synced and renamed over the old one.
 * 0, or -1 with "path: reason" in err (nothing changed then). */
int state_seen_save(const char *dir, const char *acct_dn, long count, struct buf *err) DM_WUR;

/* The file under the state directory that holds the daemon's cookie. */
#define STATE_COOKIE_FILE "cookie"

/* Reads the sync cookie kept for base (compared without case) from
 * DIR/cookie into cookie (emptied first): 1 when there is one, 0 when there
 * is none or it is another base's, -1 with "path: reason" in err when the
 * file cannot be read or is damaged (cookie empty then). */
int state_cookie_load(const char *dir, const char *base, struct buf *cookie,
                      struct buf *err) DM_WUR;
/* Keeps len bytes of cookie for base in DIR/cookie (hex), written to a
 * temporary file, synced and renamed over the old one; DIR is created
 * (0700) when missing. 0, or -1 with "path: reason" in err. */
int state_cookie_save(const char *dir, const char *base, const void *cookie, size_t len,
                      struct buf *err) DM_WUR;
/* Removes DIR/cookie (a cookie the server refused); 0 also when there was
 * none, -1 with the reason in err. */
int state_cookie_forget(const char *dir, struct buf *err) DM_WUR;

/* The file under the state directory that holds the daemon's pid, locked
 * (flock) while it runs: one daemon per state directory. */
#define STATE_PID_FILE "dirmail.pid"

/* Tells whether a daemon runs on DIR: 1 when one holds the lock of
 * DIR/dirmail.pid, its pid in *pid (0 when the file does not say), 0 when
 * none does, -1 with "path: reason" in err when it cannot be told (the
 * file cannot be opened: run as the daemon's user or root). Asks with a
 * shared lock held for an instant; a daemon starting in that instant
 * tries again (sync.c). */
int state_daemon_running(const char *dir, long *pid, struct buf *err) DM_WUR;

/* The file under the state directory that holds the daemon's status. */
#define STATE_STATUS_FILE "status"

/* Replaces DIR/status with len bytes of text (temporary file, fsync,
 * rename; mode 0600). 0, or -1 with "path: reason" in err. */
int state_status_save(const char *dir, const char *text, size_t len, struct buf *err) DM_WUR;
/* Reads DIR/status into *text (the caller frees it; NULL when there is
 * none). 0, or -1 with "path: reason" in err. */
int state_status_load(const char *dir, char **text, struct buf *err) DM_WUR;

#endif
