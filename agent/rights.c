/* rights.c - may this bind write what dirmail owns?
 * AD computes, for each object it returns, the attributes its classes
 * allow and those of them this bind may write; the difference, on the
 * attributes dirmail owns, is what the service account lacks. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ldapc.h"
#include "log.h"
#include "policy.h"
#include "rights.h"

const char *const *rights_attrs(void)
{
	static const char *const v[] = {"allowedAttributes", "allowedAttributesEffective",
	                                "allowedChildClassesEffective", NULL};
	return v;
}

int rights_missing(const struct entry *e, const char *const *owned, struct buf *out)
{
	int n = 0;
	size_t i;

	for (i = 0; owned[i] != NULL; i++) {
		size_t len = strlen(owned[i]);

		if (!entry_has_nocase(e, "allowedAttributes", owned[i], len) ||
		    entry_has_nocase(e, "allowedAttributesEffective", owned[i], len))
			continue;
		if (buf_printf(out, "%s%s", n ? " " : "", owned[i]) < 0)
			return -1;
		n++;
	}
	return n;
}

int rights_may_create(const struct entry *e, const char *cls)
{
	return entry_has_nocase(e, "allowedChildClassesEffective", cls, strlen(cls));
}

/* The first entry of a search: kept, and the search stopped. */
static int first(const struct entry *e, void *arg)
{
	struct entry **out = arg;

	*out = entry_dup(e);
	return -1;
}

/* Checks the object dn (its kind for messages): 0, 1 or -1 as
 * rights_check. */
static int check_one(struct ldapc *l, const char *kind, const char *dn, struct buf *err)
{
	struct entry *e = NULL;
	struct buf miss = BUF_INIT;
	int n, r;

	if (ldapc_read(l, dn, rights_attrs(), &e, err) != LDAPC_OK)
		return -1;
	if (entry_get(e, "allowedAttributes") == NULL) {
		printf("write rights: %s %s: the server does not say (no allowedAttributes); "
		       "unchecked\n",
		       kind, dn);
		entry_free(e);
		return 0;
	}
	n = rights_missing(e, policy_owned_attrs(), &miss);
	if (n < 0) {
		(void)!buf_puts(err, "out of memory");
		r = -1;
	} else if (n > 0) {
		log_error("%s: this bind may not write %s on the %s; grant the service account "
		          "Write Property on them (README, \"The service account\")",
		          dn, buf_str(&miss), kind);
		r = 1;
	} else {
		printf("write rights: %s %s: may write every attribute dirmail owns there\n", kind,
		       dn);
		r = 0;
	}
	buf_free(&miss);
	entry_free(e);
	return r;
}

int rights_check(struct ldapc *l, const char *base, const char *acct, const char *contact_base,
                 const char *contact_cls, struct buf *err)
{
	static const char *const kinds[][2] = {
	    {"user", "(objectClass=dirmailUser)"},
	    {"list", "(objectClass=dirmailList)"},
	};
	static const char *const dn_only[] = {"1.1", NULL};
	struct entry *e = NULL;
	size_t k;
	int worst = 0, r;

	r = check_one(l, "account entry", acct, err);
	if (r < 0)
		return -1;
	worst = r;
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct buf why = BUF_INIT;
		enum ldapc_rc rc;

		e = NULL;
		rc = ldapc_search(l, base, LDAPC_SUB, kinds[k][1], dn_only, 0, first, &e, &why);
		buf_free(&why);
		if (e == NULL) {
			if (rc == LDAPC_RETRY) {
				(void)!buf_printf(err, "looking for a %s under \"%s\"", kinds[k][0],
				                  base);
				return -1;
			}
			printf("write rights: no %s under the base to check them on\n",
			       kinds[k][0]);
			continue;
		}
		r = check_one(l, kinds[k][0], e->dn, err);
		entry_free(e);
		if (r < 0)
			return -1;
		if (r > worst)
			worst = r;
	}
	if (contact_base != NULL && contact_cls != NULL) {
		e = NULL;
		if (ldapc_read(l, contact_base, rights_attrs(), &e, err) != LDAPC_OK)
			return -1;
		if (!rights_may_create(e, contact_cls)) {
			log_error("%s: this bind may not create %s objects there (for external "
			          "forwards); grant the service account Create Child for %s",
			          contact_base, contact_cls, contact_cls);
			worst = 1;
		} else {
			printf("write rights: contact base %s: may create %s objects\n",
			       contact_base, contact_cls);
		}
		entry_free(e);
	}
	return worst;
}
