/* profile.h - what kind of directory dirmail talks to, from its rootDSE.
 * Active Directory (Samba AD included) or an LDAP server such as OpenLDAP,
 * where its schema is published, and which controls it offers: the facts
 * the rest of dirmail asks instead of guessing from a URI or a name. */
#ifndef DIRMAIL_PROFILE_H
#define DIRMAIL_PROFILE_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

struct ldapc;

/* Controls a server lists in its rootDSE's supportedControl. */
enum {
	PROFILE_C_PAGED = 1 << 0,        /* RFC 2696 paged results */
	PROFILE_C_ASSERT = 1 << 1,       /* RFC 4528 assertion */
	PROFILE_C_SYNC = 1 << 2,         /* RFC 4533 content synchronisation */
	PROFILE_C_DIRSYNC = 1 << 3,      /* AD DirSync */
	PROFILE_C_SHOW_DELETED = 1 << 4, /* AD show deleted objects */
	PROFILE_C_PERMISSIVE = 1 << 5,   /* AD permissive modify */
};

/* Extended operations a server lists in its rootDSE's supportedExtension. */
enum {
	PROFILE_X_PASSWD = 1 << 0, /* RFC 3062 Password Modify */
};

struct profile {
	int ad;              /* 1: Active Directory (supportedCapabilities has
	                      * 1.2.840.113556.1.4.800, LDAP_CAP_ACTIVE_DIRECTORY_OID) */
	unsigned controls;   /* PROFILE_C_* */
	unsigned extensions; /* PROFILE_X_* */
	char *subschema;     /* subschemaSubentry, NULL when the rootDSE names none */
	char *root_nc;       /* AD: rootDomainNamingContext (the forest root), else NULL */
};

/* Fills p from the rootDSE root (as read with at least supportedCapabilities,
 * supportedControl, supportedExtension, subschemaSubentry and
 * rootDomainNamingContext; see profile_rootdse_attrs); OID and attribute
 * name matching ignores ASCII case. Returns 0, or -1 when out of memory (p
 * then holds nothing to free). Free with profile_free. */
int profile_from_rootdse(const struct entry *root, struct profile *p) DM_WUR;
/* The attributes profile_from_rootdse reads, NULL-terminated, static. */
const char *const *profile_rootdse_attrs(void);
/* Reads the rootDSE through c into p. Returns 0, or -1 with one line in err
 * (the classification of an LDAP failure in *lrc, LDAPC_FATAL when out of
 * memory). Free p with profile_free. */
int profile_read(struct ldapc *c, struct profile *p, int *lrc, struct buf *err) DM_WUR;
/* Frees what p holds and zeroes it; accepts NULL. */
void profile_free(struct profile *p);
/* "Active Directory" or "LDAP": for messages; static. */
const char *profile_name(const struct profile *p);

#endif
