/* usn.h - following changes on Active Directory by uSNChanged.
 * A change source for dirmail run (sync.h): the DC numbers every change
 * it commits; what changed above the last number seen is read again, and
 * the DC's invocationId tells another or a restored database apart. */
#ifndef DIRMAIL_USN_H
#define DIRMAIL_USN_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "buf.h"
#include "sync.h"

/* The uSNChanged source. */
extern const struct sync_source sync_source_usn;

/* Appends the cookie of a DC's database inv (its 16-byte invocationId)
 * at highestCommittedUSN usn to out, as text an operator can read:
 * "dirmail-usn:1:INVOCATIONID:USN". -1 when out of memory. */
int usn_cookie_encode(const unsigned char inv[16], uint64_t usn, struct buf *out) DM_WUR;
/* Reads a cookie usn_cookie_encode wrote (len bytes at p) into inv and
 * *usn: 0, or -1 when it is not one (another source's, or damaged). */
int usn_cookie_decode(const void *p, size_t len, unsigned char inv[16], uint64_t *usn) DM_WUR;
/* Writes a 16-byte GUID as AD shows it (the first three fields little
 * endian): "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and a NUL into out. */
void usn_guid_format(const unsigned char g[16], char out[37]);
/* Returns the DN among the n naming contexts ncs that holds dn (equal to
 * it or its longest suffix, without case), or NULL when none does;
 * borrowed from ncs. */
const char *usn_naming_context(const char *dn, const char *const *ncs, size_t n);

#endif
