/* test_schema.c - the names dirmail needs and the check of a server's.
 * RFC 4512 definitions as slapd and AD publish them, the missing names per
 * kind of directory, their order and the report naming the files. */
#include "config.h"

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile.h"
#include "schema.h"

/* One definition: how many names it has, and whether "probe" is one. */
static const struct {
	const char *def;
	enum schema_kind kind;
	int want;            /* what schema_seen_def returns */
	const char *probe;   /* a needed name it defines, or NULL */
	enum schema_dir dir; /* where probe is needed */
} defs[] = {
    /* slapd, one name and several, DESC with parentheses and NAME inside. */
    {"( 2.5.4.43 NAME 'initials' DESC 'RFC2256: initials of some or all of names, but not the "
     "surname(s).' SUP name )",
     SCHEMA_ATTR, 1, "initials", SCHEMA_LDAP},
    {"( 2.5.4.3 NAME ( 'cn' 'commonName' ) DESC 'RFC4519: common name(s) for which the entity "
     "is known by' SUP name )",
     SCHEMA_ATTR, 2, "cn", SCHEMA_LDAP},
    {"( 0.9.2342.19200300.100.1.3 NAME ( 'mail' 'rfc822Mailbox' ) DESC 'RFC1274: RFC822 "
     "Mailbox' EQUALITY caseIgnoreIA5Match SYNTAX 1.3.6.1.4.1.1466.115.121.1.26{256} )",
     SCHEMA_ATTR, 2, "mail", SCHEMA_LDAP},
    {"( 1.2.3 NAME 'x' DESC 'a NAME ( inside ) the text' )", SCHEMA_ATTR, 1, NULL, SCHEMA_LDAP},
    /* A value after SUP that reads like the keyword. */
    {"( 1.2.3 NAME 'sn' SUP NAME )", SCHEMA_ATTR, 1, "sn", SCHEMA_LDAP},
    {"( 1.2.3 NAME ('givenName' 'gn') SUP name )", SCHEMA_ATTR, 2, "givenName", SCHEMA_LDAP},
    /* AD: quoted SYNTAX, no spaces to spare. */
    {"( 1.2.840.113556.1.2.210 NAME 'proxyAddresses' SYNTAX '1.3.6.1.4.1.1466.115.121.1.15' )",
     SCHEMA_ATTR, 1, "proxyAddresses", SCHEMA_AD},
    {"( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL MUST (objectSid $ "
     "sAMAccountName ) MAY (mail $ cn ) )",
     SCHEMA_CLASS, 1, "user", SCHEMA_AD},
    /* The kind matters: an attribute named like a class is not the class. */
    {"( 1.2.3.4 NAME 'dirmailUser' )", SCHEMA_ATTR, 1, NULL, SCHEMA_LDAP},
    /* Malformed: nothing is marked. */
    {"( 1.2.3 NAME 'dirmailService )", SCHEMA_ATTR, -1, NULL, SCHEMA_LDAP},
    {"( 1.2.3 NAME ( 'dirmailService' )", SCHEMA_ATTR, -1, NULL, SCHEMA_LDAP},
    {"( 1.2.3 NAME )", SCHEMA_ATTR, -1, NULL, SCHEMA_LDAP},
    {"1.2.3 NAME 'dirmailService' ) )", SCHEMA_ATTR, -1, NULL, SCHEMA_LDAP},
    {"( 1.2.3 )", SCHEMA_ATTR, 0, NULL, SCHEMA_LDAP},
    {"", SCHEMA_ATTR, 0, NULL, SCHEMA_LDAP},
};

static int is_missing(const struct schema_need **m, size_t n, const char *name,
                      enum schema_kind kind)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(m[i]->name, name) == 0 && m[i]->kind == kind)
			return 1;
	return 0;
}

static void test_defs(void **state)
{
	const struct schema_need **m = calloc(schema_max_needs(), sizeof(*m));
	struct schema_check s, before;
	size_t i, n0, n;
	int got;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		schema_check_init(&s, defs[i].dir);
		n0 = schema_check_missing(&s, m);
		before = s;
		got = schema_seen_def(&s, defs[i].kind, defs[i].def);
		if (got != defs[i].want)
			fail_msg("%s: got %d names, want %d", defs[i].def, got, defs[i].want);
		n = schema_check_missing(&s, m);
		if (defs[i].probe) {
			if (n != n0 - 1 || is_missing(m, n, defs[i].probe, defs[i].kind))
				fail_msg("%s: %s still missing (%zu of %zu)", defs[i].def,
				         defs[i].probe, n, n0);
		} else if (memcmp(&s, &before, sizeof(s)) != 0) {
			fail_msg("%s: marked something", defs[i].def);
		}
	}
	free(m);
}

/* Every needed name of a directory kind, as a server with the whole
 * schema would publish it. */
static size_t all_names(enum schema_dir dir, enum schema_kind kind, const char **out)
{
	const struct schema_need **m = calloc(schema_max_needs(), sizeof(*m));
	size_t i, n, k = 0;

	assert_non_null(m);
	n = schema_missing(dir, NULL, 0, NULL, 0, m);
	for (i = 0; i < n; i++)
		if (m[i]->kind == kind)
			out[k++] = m[i]->name;
	free(m);
	return k;
}

static void test_missing(void **state)
{
	static const struct {
		enum schema_dir dir;
		const char *drop; /* left out of what the server has */
		enum schema_kind kind;
		const char *file; /* what the report must name for it */
	} cases[] = {
	    {SCHEMA_LDAP, "dirmailService", SCHEMA_ATTR, "dirmail.ldif"},
	    {SCHEMA_LDAP, "dirmailUser", SCHEMA_CLASS, "dirmail.ldif"},
	    {SCHEMA_LDAP, "dirmailRecipient", SCHEMA_CLASS, "ad-compat.ldif"},
	    {SCHEMA_LDAP, "proxyAddresses", SCHEMA_ATTR, "ad-compat.ldif"},
	    {SCHEMA_LDAP, "uid", SCHEMA_ATTR, NULL},
	    {SCHEMA_AD, "dirmailService", SCHEMA_ATTR, "dirmail-ad.ldif"},
	    {SCHEMA_AD, "dirmailRecipient", SCHEMA_CLASS, "dirmail-ad.ldif"},
	    {SCHEMA_AD, "msExchHideFromAddressLists", SCHEMA_ATTR, "exchange-subset-ad.ldif"},
	    {SCHEMA_AD, "proxyAddresses", SCHEMA_ATTR, NULL},
	    {SCHEMA_AD, "contact", SCHEMA_CLASS, NULL},
	};
	const char *attrs[128], *classes[128];
	const struct schema_need **m = calloc(schema_max_needs(), sizeof(*m));
	size_t i, j, na, nc, n;

	(void)state;
	assert_non_null(m);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		na = all_names(cases[i].dir, SCHEMA_ATTR, attrs);
		nc = all_names(cases[i].dir, SCHEMA_CLASS, classes);
		assert_int_equal(schema_missing(cases[i].dir, attrs, na, classes, nc, m), 0);
		const char **v = cases[i].kind == SCHEMA_ATTR ? attrs : classes;
		size_t *nv = cases[i].kind == SCHEMA_ATTR ? &na : &nc;
		for (j = 0; j < *nv; j++)
			if (strcmp(v[j], cases[i].drop) == 0)
				v[j] = "somethingElse";
		n = schema_missing(cases[i].dir, attrs, na, classes, nc, m);
		if (n != 1 || strcmp(m[0]->name, cases[i].drop) != 0)
			fail_msg("%s without %s: got %zu missing (%s), want just it",
			         cases[i].dir == SCHEMA_AD ? "AD" : "LDAP", cases[i].drop, n,
			         n ? m[0]->name : "-");
		if ((m[0]->file == NULL) != (cases[i].file == NULL) ||
		    (m[0]->file && strcmp(m[0]->file, cases[i].file) != 0))
			fail_msg("%s: file %s, want %s", cases[i].drop,
			         m[0]->file ? m[0]->file : "-",
			         cases[i].file ? cases[i].file : "-");
	}
	free(m);
}

/* Names differ from the server's only in case: found. */
static void test_case(void **state)
{
	const char *attrs[128], *classes[128];
	const struct schema_need **m = calloc(schema_max_needs(), sizeof(*m));
	char buf[128][64];
	size_t i, na, nc;

	(void)state;
	assert_non_null(m);
	na = all_names(SCHEMA_AD, SCHEMA_ATTR, attrs);
	nc = all_names(SCHEMA_AD, SCHEMA_CLASS, classes);
	for (i = 0; i < na; i++) {
		size_t k;

		for (k = 0; attrs[i][k] && k < sizeof(buf[i]) - 1; k++)
			buf[i][k] = (char)(k % 2 ? toupper((unsigned char)attrs[i][k])
			                         : tolower((unsigned char)attrs[i][k]));
		buf[i][k] = '\0';
		attrs[i] = buf[i];
	}
	assert_int_equal(schema_missing(SCHEMA_AD, attrs, na, classes, nc, m), 0);
	free(m);
}

/* A server without any of the project's schema: the dirmail file first,
 * then the Exchange names, then the standard ones, in one report. */
static void test_report(void **state)
{
	static const char *const std_ldap[] = {"mail",     "cn",     "sn", "givenName",
	                                       "initials", "member", "uid"};
	static const char *const std_class[] = {"inetOrgPerson"};
	const struct schema_need **m = calloc(schema_max_needs(), sizeof(*m));
	struct buf out = BUF_INIT;
	size_t n;
	const char *s, *a, *b;

	(void)state;
	assert_non_null(m);
	n = schema_missing(SCHEMA_LDAP, std_ldap, 7, std_class, 1, m);
	assert_true(n > 50);
	assert_string_equal(m[0]->file, "dirmail.ldif");
	assert_string_equal(m[n - 1]->file, "ad-compat.ldif");
	assert_int_equal(schema_report(&out, SCHEMA_LDAP, m, n, "cn=Subschema", "/usr/share/x"), 0);
	s = buf_str(&out);
	assert_non_null(strstr(s, "the directory's schema (cn=Subschema) lacks "));
	assert_non_null(strstr(s, "from /usr/share/x"));
	a = strstr(s, "\n  dirmail.ldif: attribute types dirmailPrimaryDomain, dirmailDomain, ");
	b = strstr(s, "\n  ad-compat.ldif: attribute types mailNickname, ");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(strstr(a, "; object classes dirmailAccount, dirmailUser, dirmailList\n"));
	assert_non_null(strstr(b, "; object class dirmailRecipient"));
	assert_null(strstr(s, "standard schema"));
	assert_int_not_equal(s[out.len - 1], '\n');
	buf_free(&out);

	/* AD with neither file nor a base attribute. */
	n = schema_missing(SCHEMA_AD, NULL, 0, (const char *const[]){"user", "group", "contact"}, 3,
	                   m);
	assert_int_equal(schema_report(&out, SCHEMA_AD, m, n, "CN=Aggregate", "/s"), 0);
	s = buf_str(&out);
	a = strstr(s, "\n  dirmail-ad.ldif: attribute types dirmailPrimaryDomain");
	b = strstr(s, "\n  exchange-subset-ad.ldif (not where Exchange's own schema is installed");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(strstr(s, "\n  Active Directory's base schema (not in any file of "
	                          "dirmail's): attribute types proxyAddresses, "));
	assert_null(strstr(s, " uid"));
	buf_free(&out);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defs),
	    cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_case),
	    cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
