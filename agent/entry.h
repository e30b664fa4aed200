/* entry.h - the plain directory entry model.
 * What ldapc reads is handed to the rest of dirmail in these structs, so
 * no module beyond ldapc ever sees a libldap type. */
#ifndef DIRMAIL_ENTRY_H
#define DIRMAIL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"

struct entry_val {
	char *val;  /* bytes, NUL-terminated for convenience */
	size_t len; /* length without the NUL */
};

struct entry_attr {
	char *name; /* as the server spelt it; read-only, possibly shared */
	struct entry_val *vals;
	size_t nvals;
	/* Private to entry.c (entry_sort_attrs moves whole structs). */
	unsigned int cap;  /* slots in vals */
	unsigned int hash; /* fingerprint of name, blind to ASCII case */
};

struct entry_block;

struct entry {
	char *dn;
	struct entry_attr *attrs;
	size_t nattrs;
	/* Private to entry.c. */
	size_t cap;                 /* slots in attrs */
	size_t nheap;               /* at least the values entry_add allocated one by one */
	struct entry_block *blocks; /* the arena holding dn, names, vals arrays and values */
	void *spare;                /* one-value arrays of removed attributes, for reuse */
	/* By name hash, linear probing: the attribute's index + 1, 0 empty;
	 * unused (a scan) past ENTRY_SLOTS_MAX attributes. */
	unsigned char slot[64];
	unsigned char scan;
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
/* Like entry_new, with room for about hint bytes of names and values in one
 * allocation (what the caller expects to add); NULL when out of memory. */
struct entry *entry_new_sized(const char *dn, size_t hint) DM_WUR;
/* Appends one value to attribute name (created when missing, matched
 * case-insensitively); -1 when out of memory, e unchanged. The copy is a
 * separate allocation, which a caller may free() after taking it out of
 * vals (journal.c does); entry_del_val does both, for any value. */
int entry_add(struct entry *e, const char *name, const void *val, size_t len) DM_WUR;
/* Appends the n values vals to attribute name (created when missing,
 * matched case-insensitively; nothing happens when n is 0), copying them
 * into e's arena at once; -1 when out of memory, e unchanged. */
int entry_add_vals(struct entry *e, const char *name, const struct entry_val *vals,
                   size_t n) DM_WUR;
/* Makes the len bytes at val (copied into e's arena) the one value of
 * name, which keeps its place among e's attributes when e has it; an
 * attribute that holds just that value already is left as it is. -1 when
 * out of memory, e unchanged but for its arena. */
int entry_set1(struct entry *e, const char *name, const void *val, size_t len) DM_WUR;
/* Returns the attribute named name (case-insensitive) or NULL; borrowed
 * from e until e next changes. */
const struct entry_attr *entry_get(const struct entry *e, const char *name);
/* The lookup key of a name: entry_get_key(e, name, entry_name_key(name))
 * is entry_get(e, name), without working the key out on every call. */
unsigned int entry_name_key(const char *name);
const struct entry_attr *entry_get_key(const struct entry *e, const char *name, unsigned int key);
/* One of 64 bits for a lookup key: a set of names as a mask, which tells
 * at once that a name is not in it. */
uint64_t entry_key_bit(unsigned int key);
/* Sorts e's attributes with cmp (on struct entry_attr); look-ups go on
 * finding them. Only entry.c and this move whole attributes. */
void entry_sort_attrs(struct entry *e, int (*cmp)(const void *, const void *));
/* Returns the first value of name as a string, or NULL when absent;
 * borrowed from e until that value is removed (values never move). */
const char *entry_first(const struct entry *e, const char *name);
/* Removes attribute name (case-insensitive) with all its values; a
 * missing attribute is fine. */
void entry_del(struct entry *e, const char *name);
/* Removes value k of attribute name (case-insensitive), and the attribute
 * with its last value; a missing attribute or value is fine. */
void entry_del_val(struct entry *e, const char *name, size_t k);
/* Returns a deep copy of e (NULL when out of memory); free with entry_free. */
struct entry *entry_dup(const struct entry *e) DM_WUR;
/* Returns a deep copy of e without the attributes for which drop(name)
 * returns nonzero (NULL when out of memory); free with entry_free. */
struct entry *entry_dup_without(const struct entry *e, int (*drop)(const char *name)) DM_WUR;
/* Returns 1 when attribute name holds a value equal to val byte for byte. */
int entry_has(const struct entry *e, const char *name, const char *val, size_t len);
/* Returns 1 when attribute name holds a value equal to val but for ASCII
 * case (objectClass names, addresses, DNs as read). */
int entry_has_nocase(const struct entry *e, const char *name, const char *val, size_t len);
/* Writes e, without the attributes for which drop(name) returns nonzero
 * (drop may be NULL), in a compact private byte form to out (cap bytes)
 * and returns its length; when that is more than cap, nothing usable was
 * written: call again with room for it. entry_unpack reads it back. */
size_t entry_pack(const struct entry *e, int (*drop)(const char *name), unsigned char *out,
                  size_t cap);
/* entry_pack into the growable *buf of *cap bytes (NULL and 0 at first;
 * the caller frees *buf), made larger when e needs it: 0 with the length
 * written in *len, or -1 when out of memory (*buf and *cap unchanged). */
int entry_pack_buf(const struct entry *e, int (*drop)(const char *name), unsigned char **buf,
                   size_t *cap, size_t *len) DM_WUR;
/* Returns a new entry from len bytes entry_pack wrote, NULL when out of
 * memory or when the bytes are not such a form. */
struct entry *entry_unpack(const unsigned char *p, size_t len) DM_WUR;
/* Returns how many of the first bytes of the len that entry_pack wrote
 * hold the DN (len when they are not such a form): the form less those
 * is what entry_unpack_dn reads, for a caller that keeps the DN apart. */
size_t entry_packed_dn_size(const unsigned char *p, size_t len);
/* Like entry_unpack, of the len bytes entry_pack wrote after its first
 * entry_packed_dn_size, with dn (copied) as the entry's DN. */
struct entry *entry_unpack_dn(const char *dn, const unsigned char *p, size_t len) DM_WUR;
/* Frees e and everything in it; accepts NULL. */
void entry_free(struct entry *e);

/* A growable array of entries, each owned by the array. */
struct entry_list {
	struct entry **v;
	size_t n, cap;
};

/* Appends e to l, which then owns it; -1 when memory runs out, and e is
 * freed then too. */
int entry_list_push(struct entry_list *l, struct entry *e) DM_WUR;
/* Frees every entry of l and its array, leaving l empty; accepts NULL. */
void entry_list_free(struct entry_list *l);

#endif
