/* test_profile.c - the kind of directory and its controls, from rootDSEs
 * as Samba AD 4.17 and slapd 2.5 answer them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entry.h"
#include "profile.h"

/* An entry from "name: value" lines, NULL-terminated. */
static struct entry *rootdse(const char *const *lines)
{
	struct entry *e = entry_new("");
	size_t i;

	assert_non_null(e);
	for (i = 0; lines[i]; i++) {
		const char *c = strchr(lines[i], ':');
		char name[64];

		assert_non_null(c);
		assert_true((size_t)(c - lines[i]) < sizeof(name));
		memcpy(name, lines[i], (size_t)(c - lines[i]));
		name[c - lines[i]] = '\0';
		assert_int_equal(entry_add(e, name, c + 2, strlen(c + 2)), 0);
	}
	return e;
}

static void test_samba(void **state)
{
	static const char *const samba[] = {
	    "subschemaSubentry: CN=Aggregate,CN=Schema,CN=Configuration,DC=example,DC=test",
	    "rootDomainNamingContext: DC=example,DC=test",
	    "supportedCapabilities: 1.2.840.113556.1.4.800",
	    "supportedCapabilities: 1.2.840.113556.1.4.1670",
	    "supportedControl: 1.2.840.113556.1.4.841",
	    "supportedControl: 1.2.840.113556.1.4.319",
	    "supportedControl: 1.2.840.113556.1.4.417",
	    "supportedControl: 1.2.840.113556.1.4.1413",
	    "supportedExtension: 1.3.6.1.4.1.1466.20037",
	    "supportedExtension: 1.3.6.1.4.1.1466.101.119.1",
	    NULL};
	struct entry *e = rootdse(samba);
	struct profile p;

	(void)state;
	assert_int_equal(profile_from_rootdse(e, &p), 0);
	assert_int_equal(p.ad, 1);
	assert_string_equal(p.subschema,
	                    "CN=Aggregate,CN=Schema,CN=Configuration,DC=example,DC=test");
	assert_string_equal(p.root_nc, "DC=example,DC=test");
	assert_int_equal(p.controls, PROFILE_C_PAGED | PROFILE_C_DIRSYNC | PROFILE_C_SHOW_DELETED |
	                                 PROFILE_C_PERMISSIVE);
	/* AD sets passwords through unicodePwd, not RFC 3062. */
	assert_int_equal(p.extensions, 0);
	assert_string_equal(profile_name(&p), "Active Directory");
	profile_free(&p);
	assert_null(p.subschema);
	entry_free(e);
}

static void test_slapd(void **state)
{
	static const char *const slapd[] = {
	    "subschemaSubentry: cn=Subschema", "supportedControl: 1.3.6.1.4.1.4203.1.9.1.1",
	    "supportedControl: 1.2.840.113556.1.4.319", "supportedControl: 1.3.6.1.1.12",
	    "supportedControl: 1.3.6.1.1.13.1",
	    /* Not a capability: an AD control OID. */
	    "supportedControl: 1.2.840.113556.1.4.800",
	    "supportedExtension: 1.3.6.1.4.1.4203.1.11.1",
	    "supportedExtension: 1.3.6.1.4.1.4203.1.11.3",
	    /* Password Modify's OID as a control means nothing. */
	    "supportedControl: 1.3.6.1.4.1.4203.1.11.1",
	    /* A rootDomainNamingContext means nothing here. */
	    "rootDomainNamingContext: dc=x", NULL};
	struct entry *e = rootdse(slapd);
	struct profile p;

	(void)state;
	assert_int_equal(profile_from_rootdse(e, &p), 0);
	assert_int_equal(p.ad, 0);
	assert_string_equal(p.subschema, "cn=Subschema");
	assert_null(p.root_nc);
	assert_int_equal(p.controls, PROFILE_C_SYNC | PROFILE_C_PAGED | PROFILE_C_ASSERT);
	assert_int_equal(p.extensions, PROFILE_X_PASSWD);
	assert_string_equal(profile_name(&p), "LDAP");
	profile_free(&p);
	profile_free(NULL);
	entry_free(e);
}

/* What an anonymous bind may see of a rootDSE: nothing. */
static void test_empty(void **state)
{
	static const char *const none[] = {NULL};
	struct entry *e = rootdse(none);
	struct profile p;

	(void)state;
	assert_int_equal(profile_from_rootdse(e, &p), 0);
	assert_int_equal(p.ad, 0);
	assert_int_equal(p.controls, 0);
	assert_int_equal(p.extensions, 0);
	assert_null(p.subschema);
	profile_free(&p);
	entry_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_samba),
	    cmocka_unit_test(test_slapd),
	    cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
