/* test_rights.c - what AD says a bind may write, against what dirmail
 * owns: the attributes an object's classes allow and the bind may not
 * write are named; those its classes do not allow are not. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rights.h"

static struct entry *object(const char *const *allowed, const char *const *eff,
                            const char *const *children)
{
	struct entry *e = entry_new("CN=x,DC=example,DC=test");
	size_t k;

	assert_non_null(e);
	for (k = 0; allowed && allowed[k]; k++)
		assert_int_equal(entry_add(e, "allowedAttributes", allowed[k], strlen(allowed[k])),
		                 0);
	for (k = 0; eff && eff[k]; k++)
		assert_int_equal(entry_add(e, "allowedAttributesEffective", eff[k], strlen(eff[k])),
		                 0);
	for (k = 0; children && children[k]; k++)
		assert_int_equal(
		    entry_add(e, "allowedChildClassesEffective", children[k], strlen(children[k])),
		    0);
	return e;
}

static void test_missing(void **state)
{
	static const char *const owned[] = {"proxyAddresses", "mail", "member", "dirmailState",
	                                    NULL};
	static const char *const allowed[] = {"cn", "PROXYADDRESSES", "mail", "dirmailState", NULL};
	static const char *const some[] = {"proxyaddresses", "cn", NULL};
	static const char *const all[] = {"mail", "proxyAddresses", "dirmailstate", NULL};
	struct buf out = BUF_INIT;
	struct entry *e;

	(void)state;
	/* member is not allowed on this object: never named. */
	e = object(allowed, some, NULL);
	assert_int_equal(rights_missing(e, owned, &out), 2);
	assert_string_equal(buf_str(&out), "mail dirmailState");
	entry_free(e);
	buf_reset(&out);
	e = object(allowed, all, NULL);
	assert_int_equal(rights_missing(e, owned, &out), 0);
	assert_string_equal(buf_str(&out), "");
	entry_free(e);
	/* No allowedAttributesEffective at all: AD's way of saying none. */
	e = object(allowed, NULL, NULL);
	assert_int_equal(rights_missing(e, owned, &out), 3);
	assert_string_equal(buf_str(&out), "proxyAddresses mail dirmailState");
	entry_free(e);
	buf_free(&out);
}

static void test_may_create(void **state)
{
	static const char *const some[] = {"organizationalUnit", "Contact", NULL};
	struct entry *e;

	(void)state;
	e = object(NULL, NULL, some);
	assert_int_equal(rights_may_create(e, "contact"), 1);
	assert_int_equal(rights_may_create(e, "user"), 0);
	entry_free(e);
	e = object(NULL, NULL, NULL);
	assert_int_equal(rights_may_create(e, "contact"), 0);
	entry_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_may_create),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
