/* test_isotime.c - ISO 8601 times as people type them.
 * Every accepted form against the instant it names, and the near misses
 * that must be refused (leaving the result untouched). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "isotime.h"

#define NV(a) (sizeof(a) / sizeof((a)[0]))
#define T0 ((time_t)1796606100)  /* 2026-12-07T01:15:00Z */
#define DAY ((time_t)1796601600) /* 2026-12-07T00:00:00Z */

static void test_accepted(void **state)
{
	static const struct {
		const char *s;
		time_t want;
	} cases[] = {
	    /* the journal's own form */
	    {"2026-12-07T01:15:00Z", T0},
	    {"2026-11-22T10:00:00Z", 1795341600},
	    /* a date alone: its midnight, UTC */
	    {"2026-12-07", DAY},
	    {"20261207", DAY},
	    /* minutes, seconds, with and without an offset (none: UTC) */
	    {"2026-12-07T01:15", T0},
	    {"2026-12-07T01:15Z", T0},
	    {"2026-12-07T01:15:00", T0},
	    {"2026-12-07T01:15:07", T0 + 7},
	    {"2026-12-07t01:15:00z", T0},
	    {"2026-12-07 01:15:00Z", T0},
	    {"2026-12-07 01:15", T0},
	    /* offsets east and west, every spelling */
	    {"2026-12-07T02:15:00+01:00", T0},
	    {"2026-12-07T02:15+01:00", T0},
	    {"2026-12-07T02:15:00+0100", T0},
	    {"2026-12-07T02:15:00+01", T0},
	    {"2026-12-06T20:15:00-05:00", T0},
	    {"2026-12-07T06:45:00+05:30", T0},
	    {"2026-12-07T01:15:00+00:00", T0},
	    {"2026-12-07T01:15:00-00:00", T0},
	    {"2026-12-07T00:15:00-01:00", T0},
	    {"2026-12-07T03:15:00-01:00", T0 + 3 * 3600},
	    /* the offset moves the day */
	    {"2026-12-07T00:30:00+01:00", DAY - 1800},
	    {"2026-12-06T23:59:59-23:59", DAY + 86399 - 60},
	    /* fractions of a second are dropped */
	    {"2026-12-07T01:15:00.999Z", T0},
	    {"2026-12-07T01:15:00,5+01:00", T0 - 3600},
	    /* basic format throughout, as in a pass id */
	    {"20261207T011500Z", T0},
	    {"20261207T0115", T0},
	    {"20261207T021500+0100", T0},
	    {"20261207T021500+01:00", T0},
	    /* calendar edges */
	    {"1970-01-01T00:00:00Z", 0},
	    {"1970-01-01T01:00:00+01:00", 0},
	    {"2000-02-29", 951782400},
	    {"2028-02-29T00:00:00Z", 1835395200},
	    {"2026-12-31T23:59:59Z", 1798761599},
	    {"9999-12-31T23:59:59Z", (time_t)253402300799LL},
	};
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < NV(cases); i++) {
		print_message("case \"%s\"\n", cases[i].s);
		t = (time_t)42;
		assert_int_equal(isotime_parse(cases[i].s, &t), 0);
		assert_int_equal((long long)t, (long long)cases[i].want);
	}
}

static void test_refused(void **state)
{
	static const char *const cases[] = {
	    "",
	    "yesterday",
	    "now",
	    "2026",
	    "2026-12",
	    "202612",
	    "2026-12-7",
	    "2026-1-07",
	    "26-12-07",
	    "+2026-12-07",
	    "2026/12/07",
	    "07.12.2026",
	    "2026-12-07T",
	    "2026-12-07T01",
	    "2026-12-07T1:15",
	    "2026-12-07T01:5",
	    "2026-12-07T01:15:0",
	    "2026-12-07T0115", /* extended date, basic time */
	    "20261207T01:15",  /* basic date, extended time */
	    "2026-1207",       /* half and half */
	    "202612-07",
	    "2026-12-07 ",
	    " 2026-12-07",
	    "2026-12-07Z", /* an offset without a time */
	    "2026-12-07T01:15:00ZZ",
	    "2026-12-07T01:15:00 Z",
	    "2026-12-07T01:15:00+1",
	    "2026-12-07T01:15:00+01:0",
	    "2026-12-07T01:15:00+24:00",
	    "2026-12-07T01:15:00+01:60",
	    "2026-12-07T01:15:00+01:00:00",
	    "2026-12-07T01:15:00.",
	    "2026-12-07T01:15:00.5x",
	    "2026-12-07T24:00:00Z",
	    "2026-12-07T23:60:00Z",
	    "2026-12-07T23:59:60Z",
	    "2026-02-29",
	    "2100-02-29",
	    "2026-04-31",
	    "2026-00-10",
	    "2026-13-10",
	    "2026-11-00",
	    "1969-12-31T23:59:59Z",
	    "1970-01-01T00:30:00+01:00", /* before 1970 once the offset is taken off */
	    "2026-12-07T01:15:00Z\n",
	    "2026-W49-1",
	    "2026-341",
	};
	size_t i;
	time_t t;

	(void)state;
	for (i = 0; i < NV(cases); i++) {
		print_message("case \"%s\"\n", cases[i]);
		t = (time_t)42;
		assert_int_equal(isotime_parse(cases[i], &t), -1);
		assert_int_equal((long long)t, 42);
	}
	assert_int_equal(isotime_parse(NULL, &t), -1);
}

static void test_days(void **state)
{
	(void)state;
	assert_int_equal(isotime_days(1970, 1, 1), 0);
	assert_int_equal(isotime_days(1969, 12, 31), -1);
	assert_int_equal(isotime_days(2026, 12, 7), 20794);
	assert_int_equal(isotime_valid_date(2024, 2, 29), 1);
	assert_int_equal(isotime_valid_date(2023, 2, 29), 0);
	assert_int_equal(isotime_valid_date(2000, 2, 29), 1);
	assert_int_equal(isotime_valid_date(1900, 2, 29), 0);
	assert_int_equal(isotime_valid_date(2026, 12, 31), 1);
	assert_int_equal(isotime_valid_date(2026, 11, 31), 0);
	assert_int_equal(isotime_valid_date(2026, 0, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_days),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
