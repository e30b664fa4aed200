/* profile.c - the kind of directory and what it offers, from its rootDSE.
 * Pure but for profile_read, which only fetches the rootDSE through ldapc:
 * everything decided is decided from an entry, so it is tested without a
 * server. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapc.h"
#include "profile.h"

#define CAP_ACTIVE_DIRECTORY "1.2.840.113556.1.4.800"

static const char *const rootdse_attrs[] = {"supportedCapabilities",   "supportedControl",
                                            "supportedExtension",      "subschemaSubentry",
                                            "rootDomainNamingContext", NULL};

static const struct {
	const char *oid;
	unsigned flag;
} control_oids[] = {
    {"1.2.840.113556.1.4.319", PROFILE_C_PAGED},
    {"1.3.6.1.1.12", PROFILE_C_ASSERT},
    {"1.3.6.1.4.1.4203.1.9.1.1", PROFILE_C_SYNC},
    {"1.2.840.113556.1.4.841", PROFILE_C_DIRSYNC},
    {"1.2.840.113556.1.4.417", PROFILE_C_SHOW_DELETED},
    {"1.2.840.113556.1.4.1413", PROFILE_C_PERMISSIVE},
};

static const struct {
	const char *oid;
	unsigned flag;
} extension_oids[] = {
    {"1.3.6.1.4.1.4203.1.11.1", PROFILE_X_PASSWD},
};

const char *const *profile_rootdse_attrs(void)
{
	return rootdse_attrs;
}

/* A copy of the first value of name in e, or NULL (with *oom set when the
 * copy failed). */
static char *dup_first(const struct entry *e, const char *name, int *oom)
{
	const char *v = entry_first(e, name);
	char *s;

	if (v == NULL || *v == '\0')
		return NULL;
	s = strdup(v);
	if (s == NULL)
		*oom = 1;
	return s;
}

int profile_from_rootdse(const struct entry *root, struct profile *p)
{
	const struct entry_attr *a;
	size_t i, k;
	int oom = 0;

	memset(p, 0, sizeof(*p));
	a = entry_get(root, "supportedCapabilities");
	for (i = 0; a != NULL && i < a->nvals; i++)
		if (strcasecmp(a->vals[i].val, CAP_ACTIVE_DIRECTORY) == 0)
			p->ad = 1;
	a = entry_get(root, "supportedControl");
	for (i = 0; a != NULL && i < a->nvals; i++)
		for (k = 0; k < sizeof(control_oids) / sizeof(control_oids[0]); k++)
			if (strcmp(a->vals[i].val, control_oids[k].oid) == 0)
				p->controls |= control_oids[k].flag;
	a = entry_get(root, "supportedExtension");
	for (i = 0; a != NULL && i < a->nvals; i++)
		for (k = 0; k < sizeof(extension_oids) / sizeof(extension_oids[0]); k++)
			if (strcmp(a->vals[i].val, extension_oids[k].oid) == 0)
				p->extensions |= extension_oids[k].flag;
	p->subschema = dup_first(root, "subschemaSubentry", &oom);
	if (p->ad)
		p->root_nc = dup_first(root, "rootDomainNamingContext", &oom);
	if (oom) {
		profile_free(p);
		return -1;
	}
	return 0;
}

int profile_read(struct ldapc *c, struct profile *p, int *lrc, struct buf *err)
{
	struct entry *root = NULL;
	enum ldapc_rc rc;

	memset(p, 0, sizeof(*p));
	rc = ldapc_read(c, "", rootdse_attrs, &root, err);
	*lrc = rc;
	if (rc != LDAPC_OK)
		return -1;
	if (profile_from_rootdse(root, p) < 0) {
		*lrc = LDAPC_FATAL;
		(void)!buf_puts(err, "out of memory");
		entry_free(root);
		return -1;
	}
	entry_free(root);
	return 0;
}

void profile_free(struct profile *p)
{
	if (p == NULL)
		return;
	free(p->subschema);
	free(p->root_nc);
	memset(p, 0, sizeof(*p));
}

const char *profile_name(const struct profile *p)
{
	return p->ad ? "Active Directory" : "LDAP";
}
