/* bench-ldap.h - the connection both benchmark helpers open: ldapi:// or
 * any URI, LDAPv3, no referrals, SASL EXTERNAL. Included by one program
 * each, which defines PROG first. */
#ifndef DIRMAIL_BENCH_LDAP_H
#define DIRMAIL_BENCH_LDAP_H

#include <stdio.h>
#include <string.h>

#include <ldap.h>
#include <sasl/sasl.h>

/* SASL EXTERNAL asks for nothing; answer every prompt with its default. */
static int interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *p;

	for (p = in; p != NULL && p->id != SASL_CB_LIST_END; p++) {
		p->result = p->defresult != NULL ? p->defresult : "";
		p->len = (unsigned)strlen(p->result);
	}
	return LDAP_SUCCESS;
}

static LDAP *connect_external(const char *uri)
{
	LDAP *ld = NULL;
	int v3 = LDAP_VERSION3, rc;

	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "%s: %s: %s\n", PROG, uri, ldap_err2string(rc));
		return NULL;
	}
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	rc = ldap_sasl_interactive_bind_s(ld, NULL, "EXTERNAL", NULL, NULL, LDAP_SASL_QUIET,
	                                  interact, NULL);
	if (rc != LDAP_SUCCESS) {
		char *diag = NULL;

		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
		fprintf(stderr, "%s: SASL EXTERNAL bind to %s: %s (%d)%s%s\n", PROG, uri,
		        ldap_err2string(rc), rc, diag != NULL && *diag ? ": " : "",
		        diag != NULL ? diag : "");
		ldap_memfree(diag);
		ldap_unbind_ext_s(ld, NULL, NULL);
		return NULL;
	}
	return ld;
}

#endif
