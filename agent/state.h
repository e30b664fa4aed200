/* state.h - what a pass remembers between runs, in the state directory.
 * For now the number of recipients the last complete pass read, per
 * account entry, so that a pass which suddenly sees far fewer stops. */
#ifndef DIRMAIL_STATE_H
#define DIRMAIL_STATE_H

#include "attrs.h"
#include "buf.h"

/* The file under the state directory that holds the counts. */
#define STATE_SEEN_FILE "recipients"

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

#endif
