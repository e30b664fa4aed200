/* test_usn.c - the pure parts of following changes by uSNChanged on AD:
 * the cookie kept in the state directory, the GUID as AD shows it, and the
 * naming context that holds a base. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "usn.h"

static const unsigned char inv[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                      0x09, 0x0a, 0x0b, 0x0c, 0xfd, 0xfe, 0xff, 0x00};

static void test_cookie_round_trip(void **state)
{
	static const uint64_t usns[] = {0, 1, 4097, 18446744073709551615ULL};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(usns) / sizeof(usns[0]); i++) {
		struct buf b = BUF_INIT;
		unsigned char got[16];
		uint64_t u = 7;

		assert_int_equal(usn_cookie_encode(inv, usns[i], &b), 0);
		assert_int_equal(usn_cookie_decode(b.s, b.len, got, &u), 0);
		assert_memory_equal(got, inv, 16);
		assert_true(u == usns[i]);
		buf_free(&b);
	}
}

static void test_cookie_text(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(usn_cookie_encode(inv, 4097, &b), 0);
	assert_string_equal(buf_str(&b), "dirmail-usn:1:0102030405060708090a0b0cfdfeff00:4097");
	buf_free(&b);
}

static void test_cookie_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "rid=000,csn=20261207000000.000000Z#000000#000#000000", /* slapd's */
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeff00",       /* no USN */
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeff00:",
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeff00:12x",
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeff00:-1",
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeff00:18446744073709551616",
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeffz0:1", /* not hex */
	    "dirmail-usn:1:0102030405060708090a0b0cfdfeff:1",   /* short */
	    "dirmail-usn:2:0102030405060708090a0b0cfdfeff00:1", /* another version */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char got[16];
		uint64_t u = 0;

		assert_int_equal(usn_cookie_decode(bad[i], strlen(bad[i]), got, &u), -1);
	}
}

static void test_guid_format(void **state)
{
	char out[37];

	(void)state;
	usn_guid_format(inv, out);
	/* The first three fields little endian, as AD and Windows show it. */
	assert_string_equal(out, "04030201-0605-0807-090a-0b0cfdfeff00");
}

static void test_naming_context(void **state)
{
	static const char *const ncs[] = {
	    "DC=example,DC=test",
	    "CN=Configuration,DC=example,DC=test",
	    "CN=Schema,CN=Configuration,DC=example,DC=test",
	    "DC=DomainDnsZones,DC=example,DC=test",
	};
	static const struct {
		const char *dn;
		int nc; /* index in ncs, -1 for none */
	} cases[] = {
	    {"OU=tenant,DC=example,DC=test", 0},
	    {"ou=tenant,dc=EXAMPLE,dc=test", 0},
	    {"DC=example,DC=test", 0},
	    {"CN=x,CN=Configuration,DC=example,DC=test", 1},
	    {"CN=Schema,CN=Configuration,DC=example,DC=test", 2},
	    {"OU=a,DC=other,DC=test", -1},
	    {"OU=a,DC=myexample,DC=test", -1},
	    /* An escaped comma is part of a value, no separator. */
	    {"OU=a\\,DC=example,DC=test", -1},
	    {"OU=a\\\\,DC=example,DC=test", 0},
	    {"", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = usn_naming_context(cases[i].dn, ncs, 4);

		if (cases[i].nc < 0)
			assert_null(got);
		else
			assert_ptr_equal(got, ncs[cases[i].nc]);
	}
	assert_null(usn_naming_context("DC=example,DC=test", ncs, 0));
	/* The test under it, shared with dirmail passwd's base check. */
	assert_int_equal(ldapc_dn_under("CN=x,OU=t,DC=example,DC=test", "ou=T,dc=example,dc=test"),
	                 1);
	assert_int_equal(
	    ldapc_dn_under("CN=x\\,OU=t,DC=example,DC=test", "OU=t,DC=example,DC=test"), 0);
	assert_int_equal(ldapc_dn_under("OU=xt,DC=example,DC=test", "OU=t,DC=example,DC=test"), 0);
	assert_int_equal(ldapc_dn_under("DC=test", "DC=example,DC=test"), 0);
	assert_int_equal(ldapc_dn_under("DC=test", ""), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cookie_round_trip), cmocka_unit_test(test_cookie_text),
	    cmocka_unit_test(test_cookie_refused),    cmocka_unit_test(test_guid_format),
	    cmocka_unit_test(test_naming_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
