/* schema.h - does the directory's schema hold what dirmail needs?
 * Every attribute type and object class dirmail reads or writes, per kind
 * of directory, with the schema file that brings it; a pure check of the
 * names a server publishes against them, and the report naming what is
 * missing and which file to load. */
#ifndef DIRMAIL_SCHEMA_H
#define DIRMAIL_SCHEMA_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"

struct ldapc;
struct profile;

enum schema_dir {
	SCHEMA_LDAP, /* OpenLDAP: schema/dirmail.ldif and schema/ad-compat.ldif */
	SCHEMA_AD    /* Active Directory: schema/dirmail-ad.ldif and, without
	              * Exchange's schema, schema/exchange-subset-ad.ldif */
};

enum schema_kind { SCHEMA_ATTR, SCHEMA_CLASS };

struct schema_need {
	const char *name;
	enum schema_kind kind;
	const char *file; /* the schema file that brings it; NULL: the server's
	                   * own standard schema */
};

/* What a check has seen so far; fill with schema_seen / schema_seen_def. */
struct schema_check {
	enum schema_dir dir;
	unsigned char found[128];
};

/* Starts a check of the names dir needs. */
void schema_check_init(struct schema_check *s, enum schema_dir dir);
/* Marks the attribute type or object class name (len bytes; ASCII case
 * ignored) as present. */
void schema_seen(struct schema_check *s, enum schema_kind kind, const char *name, size_t len);
/* Marks every name of the RFC 4512 definition def (a value of
 * attributeTypes or objectClasses: "( OID NAME 'n' ... )" or
 * "NAME ( 'a' 'b' )") as present. Returns how many names it found, or -1
 * when def does not parse (then nothing is marked). */
int schema_seen_def(struct schema_check *s, enum schema_kind kind, const char *def);
/* Writes to missing, which has room for schema_max_needs() pointers, the
 * needs of the check's directory not seen, in a fixed order (files in the
 * order they are to be loaded); returns how many. The pointers are static. */
size_t schema_check_missing(const struct schema_check *s, const struct schema_need **missing);
/* The most names any kind of directory needs. */
size_t schema_max_needs(void);
/* The pure check in one call: the needs of dir that are neither among the
 * nattrs attribute type names attrs nor among the nclasses object class
 * names classes (ASCII case ignored) go to missing (room for
 * schema_max_needs()); returns how many. */
size_t schema_missing(enum schema_dir dir, const char *const *attrs, size_t nattrs,
                      const char *const *classes, size_t nclasses,
                      const struct schema_need **missing);
/* Appends to out the report of n missing needs of dir, several lines
 * without a final newline: the subschema entry they are missing from
 * (where), then per schema file (in schemadir) the attribute types and the
 * object classes it would bring. -1 when out of memory. */
int schema_report(struct buf *out, enum schema_dir dir, const struct schema_need *const *missing,
                  size_t n, const char *where, const char *schemadir) DM_WUR;

enum schema_rc {
	SCHEMA_OK,         /* every name is there */
	SCHEMA_MISSING,    /* names are missing: the report is in err */
	SCHEMA_UNREADABLE, /* the server shows no schema to this bind: err says so */
	SCHEMA_RETRY,      /* transport trouble: err says so */
	SCHEMA_NOMEM
};

/* Reads the subschema entry p names through c and checks it for the
 * directory kind of p; on anything but SCHEMA_OK, err gets the report or
 * the reason (lines, no final newline). *nneeds gets how many names were
 * checked. */
enum schema_rc schema_check_server(struct ldapc *c, const struct profile *p, const char *schemadir,
                                   size_t *nneeds, struct buf *err) DM_WUR;

#endif
