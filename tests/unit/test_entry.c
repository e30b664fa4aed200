/* test_entry.c - the plain entry model.
 * Case-insensitive attribute lookup, value order kept, binary values. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "entry.h"

static void test_add_get(void **state)
{
	struct entry *e = entry_new("uid=a,dc=example,dc=test");
	const struct entry_attr *a;

	assert_non_null(e);
	assert_int_equal(entry_add(e, "proxyAddresses", "SMTP:a@example.test", 19), 0);
	assert_int_equal(entry_add(e, "PROXYADDRESSES", "smtp:b@example.test", 19), 0);
	assert_int_equal(entry_add(e, "cn", "A", 1), 0);
	assert_int_equal(entry_add(e, "msExchMailboxGuid", "\0\1\2", 3), 0);
	assert_int_equal(e->nattrs, 3);
	a = entry_get(e, "proxyaddresses");
	assert_non_null(a);
	assert_string_equal(a->name, "proxyAddresses");
	assert_int_equal(a->nvals, 2);
	assert_string_equal(a->vals[0].val, "SMTP:a@example.test");
	assert_string_equal(a->vals[1].val, "smtp:b@example.test");
	assert_string_equal(entry_first(e, "CN"), "A");
	assert_null(entry_first(e, "mail"));
	assert_null(entry_get(e, "mail"));
	a = entry_get(e, "msexchmailboxguid");
	assert_int_equal(a->vals[0].len, 3);
	assert_memory_equal(a->vals[0].val, "\0\1\2", 3);
	entry_free(e);
	entry_free(NULL);
}

static void test_null_dn(void **state)
{
	struct entry *e = entry_new(NULL);

	assert_non_null(e);
	assert_string_equal(e->dn, "");
	entry_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_get),
	    cmocka_unit_test(test_null_dn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
