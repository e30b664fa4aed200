/* test_buf.c - growable strings.
 * Growth across many doublings, binary content, formatting and the
 * ownership rules of buf_steal. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void test_empty(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	assert_string_equal(buf_str(&b), "");
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
	buf_free(NULL);
}

static void test_grow(void **state)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < 10000; i++)
		assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(b.len, 30000);
	assert_int_equal(strlen(buf_str(&b)), 30000);
	assert_memory_equal(b.s + 29997, "abc", 4);
	buf_free(&b);
}

static void test_binary(void **state)
{
	struct buf b = BUF_INIT;

	assert_int_equal(buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.s, "a\0b\0", 4);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_free(&b);
}

static void test_printf(void **state)
{
	static const struct {
		int n;
		const char *s;
		const char *want;
	} cases[] = {
	    {0, "", "0:"},
	    {-5, "x", "-5:x"},
	    {12345, "dn=a,dc=b", "12345:dn=a,dc=b"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = BUF_INIT;

		assert_int_equal(buf_printf(&b, "%d:%s", cases[i].n, cases[i].s), 0);
		assert_string_equal(buf_str(&b), cases[i].want);
		buf_free(&b);
	}
}

static void test_long_printf(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_puts(&b, "<"), 0);
	assert_int_equal(buf_printf(&b, "%s>", big), 0);
	assert_int_equal(b.len, 5000 + 1);
	assert_int_equal(b.s[b.len - 1], '>');
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),       cmocka_unit_test(test_grow),
	    cmocka_unit_test(test_binary),      cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_long_printf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
