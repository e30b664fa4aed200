/* explain.h - one object's derived values and the decisions behind them.
 * Pure: formats what a real computation of the whole directory decided
 * for one object (its policy decision and wanted entry) for a person. */
#ifndef DIRMAIL_EXPLAIN_H
#define DIRMAIL_EXPLAIN_H

#include "account.h"
#include "attrs.h"
#include "buf.h"
#include "entry.h"
#include "policy.h"

/* Appends to out the explanation of the object cur (as read): its state,
 * service, licence, quota, forwarding and list members from d, then every
 * value of every attribute dirmail derives that want (its wanted entry;
 * NULL when the object needs no change: then cur holds what it should)
 * holds, one line each, with the rule and the inputs that give it; a
 * value that goes is listed as removed. a is the account the pass ran
 * against. -1 when out of memory (out then holds part of it). */
int explain_object(struct buf *out, const struct entry *cur, const struct entry *want,
                   const struct pol_decision *d, const struct account *a) DM_WUR;

#endif
