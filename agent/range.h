/* range.h - AD's range retrieval of large multi-valued attributes.
 * Active Directory returns at most MaxValRange (1500) values of an
 * attribute such as member per read, under a description that says which
 * ("member;range=0-1499"), the last part ending in "*"; the next read asks
 * for "member;range=1500-*". Pure: parsing those descriptions and writing
 * the next request. Samba never ranges, so this is tested here. */
#ifndef DIRMAIL_RANGE_H
#define DIRMAIL_RANGE_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"

struct range {
	size_t name_len;  /* the attribute name: desc up to the first ';' */
	unsigned long lo; /* first value's index */
	unsigned long hi; /* last value's index; meaningless when last */
	int last;         /* 1: "LO-*", the final part */
};

/* Parses the attribute description desc as a server returns it. Returns 1
 * with r filled when it has a range option ("range=LO-HI" or "range=LO-*",
 * the option name in any case, among other options), 0 when it has none
 * (r->name_len set, the values are all there are), -1 when the range option
 * is malformed (not digits, HI below LO, overflow, an empty name). */
int range_parse(const char *desc, struct range *r) DM_WUR;
/* Appends to out the description that asks for the part after r of the
 * attribute name (len bytes): "NAME;range=HI+1-*". -1 when r was the last
 * part, HI+1 overflows, or out of memory (out then unchanged). */
int range_next(struct buf *out, const char *name, size_t len, const struct range *r) DM_WUR;
/* 1 when the part r holds nvals values, as many as it says it holds (a
 * final part may hold any number), else 0: a reply that claims more or
 * fewer is not to be trusted. */
int range_count_ok(const struct range *r, size_t nvals);

#endif
