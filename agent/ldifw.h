/* ldifw.h - writing RFC 2849 LDIF.
 * Change records for plan and the journal, content records for export and
 * comments, all built with libldap's ldif_* functions; secrets never appear. */
#ifndef DIRMAIL_LDIFW_H
#define DIRMAIL_LDIFW_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

/* Returns 1 when attr (any case, options such as ";binary" ignored) names a
 * password or key attribute that no ldifw function ever writes, else 0. */
int ldifw_is_secret(const char *attr);
/* Appends "version: 1" and a blank line, the start of every LDIF file; -1
 * on out of memory. */
int ldifw_version(struct buf *out) DM_WUR;
/* Appends a change record "dn: DN", "changetype: modify", then per mod
 * "add:|delete:|replace: ATTR", its values and "-", then a blank line; a
 * DELETE or REPLACE without values removes the whole attribute, mods of
 * secret attributes are left out (nothing at all is appended, with 0, when
 * every mod is one). -1, with out unchanged, on out of memory, nmods 0, a
 * NULL dn, an ADD without values or an attribute name that is not an LDAP
 * attribute description; the caller keeps ownership of everything. */
int ldifw_modify(struct buf *out, const char *dn, const struct entry_mod *mods,
                 size_t nmods) DM_WUR;
/* Appends "dn: DN", "changetype: add" and every value of every attribute of
 * e except secrets, then a blank line; -1, with out unchanged, on out of
 * memory or an invalid attribute name. */
int ldifw_add(struct buf *out, const struct entry *e) DM_WUR;
/* Appends "dn: DN", "changetype: delete" and a blank line; -1, with out
 * unchanged, on out of memory or a NULL dn. */
int ldifw_delete(struct buf *out, const char *dn) DM_WUR;
/* Appends a content record (no changetype) of e for export, attributes and
 * values in the order given, secrets left out, then a blank line; -1, with
 * out unchanged, on out of memory or an invalid attribute name. */
int ldifw_entry(struct buf *out, const struct entry *e) DM_WUR;
/* Appends the single, never folded, comment line "# TEXT" (just "#" for an
 * empty or NULL text) with ASCII and C1 control characters, line and
 * paragraph separators, bidirectional overrides and invalid UTF-8 bytes
 * replaced by '?', so a comment can never end early or inject a record; -1
 * on out of memory, out unchanged. */
int ldifw_comment(struct buf *out, const char *text) DM_WUR;

#endif
