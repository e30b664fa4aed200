/* entry.h - the plain directory entry model.
 * What ldapc reads is handed to the rest of dirmail in these structs, so
 * no module beyond ldapc ever sees a libldap type. */
#ifndef DIRMAIL_ENTRY_H
#define DIRMAIL_ENTRY_H

#include <stddef.h>

#include "attrs.h"

struct entry_val {
	char *val;  /* bytes, NUL-terminated for convenience */
	size_t len; /* length without the NUL */
};

struct entry_attr {
	char *name; /* as the server spelt it */
	struct entry_val *vals;
	size_t nvals;
};

struct entry {
	char *dn;
	struct entry_attr *attrs;
	size_t nattrs;
};

enum entry_mod_op { ENTRY_MOD_ADD, ENTRY_MOD_DELETE, ENTRY_MOD_REPLACE };

/* One step of a modify: what diff computes, the journal records and ldapc
 * sends, in that order. */
struct entry_mod {
	enum entry_mod_op op;
	const char *attr;
	const struct entry_val *vals; /* NULL/0 with DELETE removes the attribute */
	size_t nvals;
};

/* Returns a new entry with no attributes, NULL when out of memory;
 * free it with entry_free. */
struct entry *entry_new(const char *dn) DM_WUR;
/* Appends one value to attribute name (created when missing, matched
 * case-insensitively); -1 when out of memory. */
int entry_add(struct entry *e, const char *name, const void *val, size_t len) DM_WUR;
/* Returns the attribute named name (case-insensitive) or NULL; borrowed
 * from e. */
const struct entry_attr *entry_get(const struct entry *e, const char *name);
/* Returns the first value of name as a string, or NULL when absent;
 * borrowed from e. */
const char *entry_first(const struct entry *e, const char *name);
/* Removes attribute name (case-insensitive) with all its values; a
 * missing attribute is fine. */
void entry_del(struct entry *e, const char *name);
/* Returns a deep copy of e (NULL when out of memory); free with entry_free. */
struct entry *entry_dup(const struct entry *e) DM_WUR;
/* Returns 1 when attribute name holds a value equal to val byte for byte. */
int entry_has(const struct entry *e, const char *name, const char *val, size_t len);
/* Frees e and everything in it; accepts NULL. */
void entry_free(struct entry *e);

#endif
