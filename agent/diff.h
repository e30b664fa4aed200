/* diff.h - current entry vs wanted entry -> minimal modifications.
 * Pure: add and delete of specific values only, never a replace of a
 * multi-valued attribute; big changes are cut into batches. */
#ifndef DIRMAIL_DIFF_H
#define DIRMAIL_DIFF_H

#include <stddef.h>

#include "attrs.h"
#include "entry.h"

/* Most values one modify carries; larger changes go in several. */
#define DIFF_BATCH_MAX 1000

/* One modify: its mods borrow the values of the two entries compared. */
struct diff_batch {
	struct entry_mod *mods;
	size_t nmods;
};

struct diff {
	struct diff_batch *b;
	size_t nb;
	size_t nvals; /* values added or deleted in all */
	/* private: the value arrays the batches point into */
	struct entry_val **own;
	size_t nown;
};

/* Compares cur and want over attrs (NULL-terminated; compared value by
 * value, byte for byte) and objectClass (values only added, never removed).
 * Per attribute the deletions come before the additions, so a promotion
 * (smtp:x to SMTP:x, equal to the server) is a delete plus an add in one
 * modify; objectClass additions come first. Fills out (nb 0 = nothing to
 * do); the values stay borrowed from cur and want, which must outlive out.
 * -1 when memory runs out. Free with diff_free. */
int diff_entry(const struct entry *cur, const struct entry *want, const char *const *attrs,
               struct diff *out) DM_WUR;
/* Frees what diff_entry allocated and empties d; accepts NULL. */
void diff_free(struct diff *d);

#endif
