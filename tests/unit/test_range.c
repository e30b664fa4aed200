/* test_range.c - AD's ranged attribute descriptions, as Windows AD sends
 * them for groups above 1500 members (Samba never does), and the request
 * for the next part. */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "range.h"

static void test_parse(void **state)
{
	static const struct {
		const char *desc;
		int rc;
		size_t name_len;
		unsigned long lo, hi;
		int last;
		const char *next; /* range_next, NULL when it must refuse */
	} cases[] = {
	    {"member", 0, 6, 0, 0, 0, NULL},
	    {"member;range=0-1499", 1, 6, 0, 1499, 0, "member;range=1500-*"},
	    {"member;range=1500-2999", 1, 6, 1500, 2999, 0, "member;range=3000-*"},
	    {"member;range=3000-*", 1, 6, 3000, 0, 1, NULL},
	    {"member;range=0-*", 1, 6, 0, 0, 1, NULL},
	    {"member;Range=5-5", 1, 6, 5, 5, 0, "member;range=6-*"},
	    {"member;RANGE=0-1499", 1, 6, 0, 1499, 0, "member;range=1500-*"},
	    /* Other options, before or after. */
	    {"member;binary;range=0-9", 1, 6, 0, 9, 0, "member;range=10-*"},
	    {"member;range=0-9;x-opt", 1, 6, 0, 9, 0, "member;range=10-*"},
	    {"userCertificate;binary", 0, 15, 0, 0, 0, NULL},
	    {"member;ranger=0-9", 0, 6, 0, 0, 0, NULL},
	    /* Malformed. */
	    {"member;range=", -1, 0, 0, 0, 0, NULL},
	    {"member;range=-5", -1, 0, 0, 0, 0, NULL},
	    {"member;range=5", -1, 0, 0, 0, 0, NULL},
	    {"member;range=5-", -1, 0, 0, 0, 0, NULL},
	    {"member;range=10-9", -1, 0, 0, 0, 0, NULL},
	    {"member;range=0-1499x", -1, 0, 0, 0, 0, NULL},
	    {"member;range=0-*x", -1, 0, 0, 0, 0, NULL},
	    {"member;range= 0-9", -1, 0, 0, 0, 0, NULL},
	    {"member;range=+0-9", -1, 0, 0, 0, 0, NULL},
	    {"member;range=0-99999999999999999999999", -1, 0, 0, 0, 0, NULL},
	    {";range=0-9", -1, 0, 0, 0, 0, NULL},
	    {"", -1, 0, 0, 0, 0, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct range r;
		struct buf out = BUF_INIT;
		int rc = range_parse(cases[i].desc, &r);

		if (rc != cases[i].rc)
			fail_msg("%s: got %d, want %d", cases[i].desc, rc, cases[i].rc);
		if (rc < 0)
			continue;
		if (r.name_len != cases[i].name_len || r.lo != cases[i].lo ||
		    r.last != cases[i].last || (!r.last && r.hi != cases[i].hi))
			fail_msg("%s: got name %zu, %lu-%lu last %d; want %zu, %lu-%lu last %d",
			         cases[i].desc, r.name_len, r.lo, r.hi, r.last, cases[i].name_len,
			         cases[i].lo, cases[i].hi, cases[i].last);
		if (rc == 0)
			continue;
		rc = range_next(&out, cases[i].desc, r.name_len, &r);
		if (cases[i].next == NULL) {
			if (rc != -1 || out.len != 0)
				fail_msg("%s: a next request after the last part", cases[i].desc);
		} else if (rc != 0 || strcmp(buf_str(&out), cases[i].next) != 0) {
			fail_msg("%s: next got '%s', want '%s'", cases[i].desc, buf_str(&out),
			         cases[i].next);
		}
		buf_free(&out);
	}
}

static void test_overflow(void **state)
{
	struct range r;
	struct buf out = BUF_INIT;
	char desc[64];

	(void)state;
	snprintf(desc, sizeof(desc), "member;range=0-%lu", ULONG_MAX);
	assert_int_equal(range_parse(desc, &r), 1);
	assert_int_equal(r.hi, ULONG_MAX);
	assert_int_equal(range_next(&out, "member", 6, &r), -1);
	assert_int_equal(out.len, 0);
	snprintf(desc, sizeof(desc), "member;range=0-%lu0", ULONG_MAX);
	assert_int_equal(range_parse(desc, &r), -1);
}

/* A part must hold what it says; the final one any number, none included. */
static void test_count(void **state)
{
	struct range r;

	(void)state;
	assert_int_equal(range_parse("member;range=0-1499", &r), 1);
	assert_true(range_count_ok(&r, 1500));
	assert_false(range_count_ok(&r, 1499));
	assert_false(range_count_ok(&r, 1501));
	assert_int_equal(range_parse("member;range=1500-*", &r), 1);
	assert_true(range_count_ok(&r, 0));
	assert_true(range_count_ok(&r, 1500));
}

/* Walking a group of 4000 members as AD hands it out. */
static void test_walk(void **state)
{
	const char *replies[] = {"member;range=0-1499", "member;range=1500-2999",
	                         "member;range=3000-*"};
	size_t i, total = 0;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct range r;
		struct buf next = BUF_INIT;
		size_t n = i < 2 ? 1500 : 1000;

		assert_int_equal(range_parse(replies[i], &r), 1);
		assert_int_equal(r.lo, total);
		assert_true(range_count_ok(&r, n));
		total += n;
		if (i < 2) {
			assert_int_equal(range_next(&next, replies[i], r.name_len, &r), 0);
			assert_int_equal(r.hi + 1, total);
		} else {
			assert_true(r.last);
		}
		buf_free(&next);
	}
	assert_int_equal(total, 4000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_overflow),
	    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
