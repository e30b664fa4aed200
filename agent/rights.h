/* rights.h - may this bind write what dirmail owns? Checked without
 * changing anything: Active Directory says per object which attributes
 * the bind may write (allowedAttributesEffective) and which classes it
 * may create below (allowedChildClassesEffective); a server that offers
 * no such answer leaves the check to the first pass. */
#ifndef DIRMAIL_RIGHTS_H
#define DIRMAIL_RIGHTS_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

struct ldapc;

/* The attributes rights_missing reads, NULL-terminated, static. */
const char *const *rights_attrs(void);
/* Appends to out, space-separated, each of the owned attributes (NULL-
 * terminated) that e's classes allow (allowedAttributes) and this bind
 * may not write (not in allowedAttributesEffective), compared without
 * case. Returns how many, or -1 when out of memory. Pure. */
int rights_missing(const struct entry *e, const char *const *owned, struct buf *out) DM_WUR;
/* 1 when e (read with allowedChildClassesEffective) lets this bind create
 * objects of class cls below it, else 0. Pure. */
int rights_may_create(const struct entry *e, const char *cls);

/* Checks, through l, the account entry acct, the first user and the
 * first list under base, and the contact base (may create contacts of
 * class contact_cls): one line per object on stdout; each problem logged
 * as an error naming the object, the attributes and the fix. Returns 0
 * when every right is there, 1 when one is missing, -1 when the directory
 * failed (said in err). */
int rights_check(struct ldapc *l, const char *base, const char *acct, const char *contact_base,
                 const char *contact_cls, struct buf *err) DM_WUR;

#endif
