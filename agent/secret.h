/* secret.h - reading credentials from files.
 * Secrets only ever come from files with tight permissions; this module
 * refuses loose ones and wipes what it read when done. */
#ifndef DIRMAIL_SECRET_H
#define DIRMAIL_SECRET_H

#include "attrs.h"
#include "buf.h"

/* Reads the secret in path (one trailing newline dropped) into a new
 * string the caller releases with secret_free. Returns NULL with one line
 * in err when the file cannot be read, is not a regular file, is empty,
 * holds a NUL byte, or is readable or writable by group or others. */
char *secret_read_file(const char *path, struct buf *err) DM_WUR;
/* Checks that the credential file path (what names it in messages:
 * "keytab") is a regular file this process can read and that group and
 * others cannot access, without reading it. 0, or -1 with one line in
 * err ("keytab PATH: reason", naming the chmod that fixes loose modes). */
int secret_check_file(const char *path, const char *what, struct buf *err) DM_WUR;
/* Wipes and frees a secret; accepts NULL. */
void secret_free(char *s);

#endif
