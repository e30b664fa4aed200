/* test_account.c - parsing the tenant's account entry.
 * Defaults, every validation message, and the template and domain rules,
 * table-driven with the exact text an admin reads. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "account.h"

#define DN "cn=account,dc=example,dc=test"

/* Builds an entry from "attr=value" strings, NULL-terminated. */
static struct entry *mk(const char *const *av)
{
	struct entry *e = entry_new(DN);

	assert_non_null(e);
	for (; *av; av++) {
		const char *eq = strchr(*av, '=');
		char name[64];

		assert_non_null(eq);
		assert_true((size_t)(eq - *av) < sizeof(name));
		memcpy(name, *av, (size_t)(eq - *av));
		name[eq - *av] = '\0';
		assert_int_equal(entry_add(e, name, eq + 1, strlen(eq + 1)), 0);
	}
	return e;
}

static void test_defaults(void **state)
{
	static const char *const av[] = {"dirmailPrimaryDomain=Example.TEST",
	                                 "dirmailCatchAll=uid=main,dc=example,dc=test", NULL};
	struct entry *e = mk(av);
	struct buf errs = BUF_INIT;
	struct account a;

	assert_int_equal(account_parse(e, &a, &errs), 0);
	assert_string_equal(buf_str(&errs), "");
	assert_string_equal(a.primary_domain, "example.test");
	assert_string_equal(a.primary_template, "%m");
	assert_int_equal(a.licences, 0);
	assert_int_equal(a.default_quota, 10);
	assert_int_equal(a.warn_percent, 90);
	assert_int_equal(a.max_messages_per_hour, 500);
	assert_int_equal(a.max_recipients, 50);
	assert_int_equal(a.delete_threshold, 500);
	assert_string_equal(a.contact_base, "ou=contacts,dc=example,dc=test");
	assert_int_equal(a.domains.n, 0);
	account_free(&a);
	account_free(NULL);
	entry_free(e);
	buf_free(&errs);
}

static void test_full(void **state)
{
	static const char *const av[] = {"dirmailPrimaryDomain=example.test",
	                                 "dirmailDomain=example.org",
	                                 "dirmailDomain=Example.NET",
	                                 "dirmailPrimaryTemplate=%g.%s",
	                                 "dirmailSecondaryTemplate=%1g%s",
	                                 "dirmailLicences=20",
	                                 "dirmailStorageTotal=2000",
	                                 "dirmailDefaultQuota=0",
	                                 "dirmailQuotaWarnPercent=80",
	                                 "dirmailMaxMessagesPerHour=100",
	                                 "dirmailMaxRecipients=10",
	                                 "dirmailCatchAll=uid=main,dc=example,dc=test",
	                                 "dirmailAddressList=cn=gal,dc=example,dc=test",
	                                 "dirmailPopImapHost=POP.example.test",
	                                 "dirmailDeleteThreshold=5",
	                                 "dirmailContactBase=ou=ext,dc=example,dc=test",
	                                 NULL};
	struct entry *e = mk(av);
	struct buf errs = BUF_INIT;
	struct account a;

	assert_int_equal(account_parse(e, &a, &errs), 0);
	assert_int_equal(a.domains.n, 2);
	assert_string_equal(a.domains.v[1], "example.net");
	assert_string_equal(a.secondary_templates.v[0], "%1g%s");
	assert_int_equal(a.licences, 20);
	assert_int_equal(a.storage_total, 2000);
	assert_int_equal(a.default_quota, 0);
	assert_int_equal(a.warn_percent, 80);
	assert_int_equal(a.delete_threshold, 5);
	assert_string_equal(a.popimap_host, "pop.example.test");
	assert_string_equal(a.contact_base, "ou=ext,dc=example,dc=test");
	assert_string_equal(a.address_lists.v[0], "cn=gal,dc=example,dc=test");
	account_free(&a);
	entry_free(e);
	buf_free(&errs);
}

static void test_errors(void **state)
{
	static const struct {
		const char *av[4];
		const char *want;
	} cases[] = {
	    {{"dirmailCatchAll=x", NULL},
	     DN ": dirmailPrimaryDomain: missing: every primary address needs a domain\n"},
	    {{"dirmailPrimaryDomain=example.test", NULL},
	     DN ": dirmailCatchAll: missing: the main account must always exist\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x", "dirmailLicences=15"},
	     DN ": dirmailLicences: 15 is not a multiple of ten (licences come in packs of "
	        "ten)\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x", "dirmailLicences=ten"},
	     DN ": dirmailLicences: 'ten' is not an integer\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x", "dirmailDefaultQuota=-5"},
	     DN ": dirmailDefaultQuota: -5 is out of range (0..1000000000)\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x",
	      "dirmailQuotaWarnPercent=101"},
	     DN ": dirmailQuotaWarnPercent: 101 is out of range (1..100)\n"},
	    {{"dirmailPrimaryDomain=exa mple.test", "dirmailCatchAll=x", NULL},
	     DN ": dirmailPrimaryDomain: 'exa mple.test' is not a valid domain name\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x",
	      "dirmailPrimaryTemplate=%g.%x"},
	     DN ": dirmailPrimaryTemplate: '%g.%x': unknown token '%x'\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x",
	      "dirmailSecondaryTemplate=a b"},
	     DN ": dirmailSecondaryTemplate: 'a b': ' ' is not allowed in a local part\n"},
	    {{"dirmailPrimaryDomain=-bad.test", "dirmailLicences=7", NULL},
	     DN ": dirmailPrimaryDomain: '-bad.test' is not a valid domain name\n" DN
	        ": dirmailLicences: 7 is not a multiple of ten (licences come in packs of ten)\n" DN
	        ": dirmailCatchAll: missing: the main account must always exist\n"},
	    {{"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x", "dirmailLicences=10"}, ""},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *av[5] = {cases[i].av[0], cases[i].av[1], cases[i].av[2], cases[i].av[3],
		                     NULL};
		struct entry *e = mk(av);
		struct buf errs = BUF_INIT;
		struct account a;
		int rc = account_parse(e, &a, &errs);

		assert_string_equal(buf_str(&errs), cases[i].want);
		assert_int_equal(rc, *cases[i].want ? -1 : 0);
		account_free(&a);
		entry_free(e);
		buf_free(&errs);
	}
}

static void test_several_values(void **state)
{
	static const char *const av[] = {"dirmailPrimaryDomain=example.test", "dirmailCatchAll=x",
	                                 "dirmailLicences=10", "dirmailLicences=20", NULL};
	struct entry *e = mk(av);
	struct buf errs = BUF_INIT;
	struct account a;

	assert_int_equal(account_parse(e, &a, &errs), -1);
	assert_string_equal(buf_str(&errs),
	                    DN ": dirmailLicences: has several values, one expected\n");
	account_free(&a);
	entry_free(e);
	buf_free(&errs);
}

static void test_templates(void **state)
{
	static const struct {
		const char *t;
		const char *why; /* NULL = valid */
	} cases[] = {
	    {"%g.%s", NULL},
	    {"%1g%s", NULL},
	    {"%2g.%3s", NULL},
	    {"%m", NULL},
	    {"%i", NULL},
	    {"sales", NULL},
	    {"x_%m-1", NULL},
	    {"", "empty template"},
	    {"%", "'%': unknown token '%'"},
	    {"%q", "'%q': unknown token '%q'"},
	    {"%1x", "'%1x': %N must be followed by g or s"},
	    {"a@b", "'a@b': '@' is not allowed in a local part"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf why = BUF_INIT;
		int rc = account_check_template(cases[i].t, &why);

		if (cases[i].why == NULL) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(buf_str(&why), cases[i].why);
		}
		buf_free(&why);
	}
}

static void test_domains(void **state)
{
	static const struct {
		const char *d;
		int ok;
	} cases[] = {
	    {"example.test", 1},
	    {"a.b-c.d", 1},
	    {"x", 1},
	    {"", 0},
	    {".a", 0},
	    {"a.", 0},
	    {"a..b", 0},
	    {"-a.b", 0},
	    {"a-.b", 0},
	    {"a_b.test", 0},
	    {"m\xc3\xbc.de", 0},
	    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.test", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf why = BUF_INIT;

		assert_int_equal(account_check_domain(cases[i].d, &why), cases[i].ok ? 0 : -1);
		assert_int_equal(why.len == 0, cases[i].ok);
		buf_free(&why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),  cmocka_unit_test(test_full),
	    cmocka_unit_test(test_errors),    cmocka_unit_test(test_several_values),
	    cmocka_unit_test(test_templates), cmocka_unit_test(test_domains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
