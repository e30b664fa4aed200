/* range.h - AD's range retrieval of large multi-valued attributes.
 * Active Directory returns at most MaxValRange (1500) values of an
 * attribute such as member per read, under a description that says which
 * ("member;range=0-1499"), the last part ending in "*"; the next read asks
 * for "member;range=1500-*". Pure: parsing those descriptions, the request
 * for the next part, and putting an entry's parts together into the whole
 * attribute. Samba never ranges, so this is tested here. */
#ifndef DIRMAIL_RANGE_H
#define DIRMAIL_RANGE_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

struct range {
	size_t name_len;  /* the attribute name: desc up to the first ';' */
	size_t opt_at;    /* the range option's ';' in desc (when there is one) */
	size_t opt_len;   /* its bytes, ';' included: desc without them is the
	                   * description of the whole attribute */
	unsigned long lo; /* first value's index */
	unsigned long hi; /* last value's index; meaningless when last */
	int last;         /* 1: "LO-*", the final part */
};

/* Parses the attribute description desc as a server returns it. Returns 1
 * with r filled when it has a range option ("range=LO-HI" or "range=LO-*",
 * the option name in any case, among other options), 0 when it has none
 * (r->name_len set, the values are all there are), -1 when the range option
 * is malformed (not digits, HI below LO, overflow, an empty name, a second
 * range option). */
int range_parse(const char *desc, struct range *r) DM_WUR;
/* Appends to out the description that asks for the values of the
 * attribute described by name (len bytes, without a range option) from
 * index lo on: "NAME;range=LO-*". -1 when out of memory (out then
 * unchanged). */
int range_request(struct buf *out, const char *name, size_t len, unsigned long lo) DM_WUR;
/* 1 when the part r holds nvals values, as many as it says it holds (a
 * final part may hold any number), else 0: a reply that claims more or
 * fewer is not to be trusted. */
int range_count_ok(const struct range *r, size_t nvals);

/* 1 when an attribute of e carries a range option (well-formed or not),
 * else 0: only then is there anything to put together. */
int range_has(const struct entry *e);

/* An entry whose ranged attributes are being put together. */
struct range_merge;

/* Starts putting together e, an entry as the server sent it: its
 * attributes without a range option are kept as they are, the parts of
 * each ranged one (in any order, several of one attribute included) are
 * held by index. Returns 0 with *out set (free it with range_merge_free),
 * or -1 with *out NULL and, unless memory ran out, one reason appended to
 * why ("member;range=5-: a malformed range", a part that holds another
 * number of values than it says, two parts that overlap, an attribute
 * sent both whole and in parts). */
int range_merge_start(const struct entry *e, struct range_merge **out, struct buf *why) DM_WUR;
/* What to ask the server for next: *want is set to the descriptions
 * ("NAME;range=N-*", N the first index not yet held) of every attribute
 * still incomplete, NULL-terminated, borrowed from m until its next call.
 * Returns 1 with *want set, 0 when every attribute is whole (*want NULL),
 * -1 when out of memory. */
int range_merge_want(struct range_merge *m, const char *const **want) DM_WUR;
/* Merges part, the server's reply to the last want, into m: its ranged
 * attributes that m is putting together, nothing else. Returns 0, or -1
 * with one reason appended to why (unless memory ran out) when a range is
 * malformed, a part holds another number of values than it says, a part
 * overlaps one held already (the server repeats itself), or the reply
 * does not extend an attribute it was asked for beyond what was held (a
 * server that does not advance would be asked the same for ever); m is
 * then unusable. */
int range_merge_add(struct range_merge *m, const struct entry *part, struct buf *why) DM_WUR;
/* Returns the whole entry (caller frees with entry_free): e's DN and
 * attributes in e's order, each ranged one under its description without
 * the range option (the spelling of its first part) with every value of
 * every part in index order, as if the server had sent it at once. NULL
 * when an attribute is still incomplete or memory runs out. */
struct entry *range_merge_finish(struct range_merge *m) DM_WUR;
/* Frees m; accepts NULL. */
void range_merge_free(struct range_merge *m);

#endif
