/* test_range.c - AD's ranged attribute descriptions, as Windows AD sends
 * them for groups above 1500 members (Samba never does), the request for
 * the next part, and an entry's parts put together into whole attributes:
 * in order and out of it, all at once, several attributes, any case, and
 * the replies of a server that does not advance. */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
		const char *whole; /* desc without its range option */
	} cases[] = {
	    {"member", 0, 6, 0, 0, 0, NULL},
	    {"member;range=0-1499", 1, 6, 0, 1499, 0, "member"},
	    {"member;range=1500-2999", 1, 6, 1500, 2999, 0, "member"},
	    {"member;range=3000-*", 1, 6, 3000, 0, 1, "member"},
	    {"member;range=0-*", 1, 6, 0, 0, 1, "member"},
	    {"member;Range=5-5", 1, 6, 5, 5, 0, "member"},
	    {"member;RANGE=0-1499", 1, 6, 0, 1499, 0, "member"},
	    /* Other options, before or after. */
	    {"member;binary;range=0-9", 1, 6, 0, 9, 0, "member;binary"},
	    {"member;range=0-9;x-opt", 1, 6, 0, 9, 0, "member;x-opt"},
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
	    {"member;range=0-*;Range=16-*", -1, 0, 0, 0, 0, NULL},
	    {"member;range=0-9;x;range=10-19", -1, 0, 0, 0, 0, NULL},
	    {"member;range=0-99999999999999999999999", -1, 0, 0, 0, 0, NULL},
	    {";range=0-9", -1, 0, 0, 0, 0, NULL},
	    {"", -1, 0, 0, 0, 0, NULL},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct range r;
		char whole[64];
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
		snprintf(whole, sizeof(whole), "%.*s%s", (int)r.opt_at, cases[i].desc,
		         cases[i].desc + r.opt_at + r.opt_len);
		if (strcmp(whole, cases[i].whole) != 0)
			fail_msg("%s: without the range option got '%s', want '%s'", cases[i].desc,
			         whole, cases[i].whole);
	}
}

static void test_request(void **state)
{
	struct buf out = BUF_INIT;
	char want[64];

	(void)state;
	assert_int_equal(range_request(&out, "member", 6, 1500), 0);
	assert_string_equal(buf_str(&out), "member;range=1500-*");
	buf_reset(&out);
	assert_int_equal(range_request(&out, "member;x-opt", 12, 0), 0);
	assert_string_equal(buf_str(&out), "member;x-opt;range=0-*");
	buf_reset(&out);
	/* Only len bytes of the name count. */
	assert_int_equal(range_request(&out, "memberXYZ", 6, ULONG_MAX), 0);
	snprintf(want, sizeof(want), "member;range=%lu-*", ULONG_MAX);
	assert_string_equal(buf_str(&out), want);
	buf_free(&out);
}

/* A range ending at the largest index has no next part to ask for. */
static void test_overflow(void **state)
{
	struct range r;
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	struct entry *e = entry_new("cn=g");
	char desc[64];

	(void)state;
	assert_non_null(e);
	snprintf(desc, sizeof(desc), "member;range=%lu-%lu", ULONG_MAX, ULONG_MAX);
	assert_int_equal(range_parse(desc, &r), 1);
	assert_int_equal(r.hi, ULONG_MAX);
	assert_int_equal(entry_add(e, desc, "cn=a", 4), 0);
	assert_int_equal(range_merge_start(e, &m, &why), -1);
	assert_null(m);
	assert_non_null(strstr(buf_str(&why), "a range that ends at the largest index"));
	snprintf(desc, sizeof(desc), "member;range=0-%lu0", ULONG_MAX);
	assert_int_equal(range_parse(desc, &r), -1);
	buf_free(&why);
	entry_free(e);
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

/* ---- putting an entry's parts together ------------------------------------- */

#define DN "CN=big,OU=lists,DC=example,DC=test"

/* Adds to e the part desc holding the values "CN=uK,OU=people" for K from
 * lo on, n of them (PREFIX instead of "u" when given). */
static void add_part(struct entry *e, const char *desc, const char *prefix, unsigned long lo,
                     size_t n)
{
	struct entry_val *v = calloc(n ? n : 1, sizeof(*v));
	char(*s)[48] = calloc(n ? n : 1, sizeof(*s));
	size_t i;

	assert_non_null(v);
	assert_non_null(s);
	for (i = 0; i < n; i++) {
		snprintf(s[i], sizeof(s[i]), "CN=%s%lu,OU=people", prefix ? prefix : "u",
		         lo + (unsigned long)i);
		v[i].val = s[i];
		v[i].len = strlen(s[i]);
	}
	assert_int_equal(entry_add_vals(e, desc, v, n), 0);
	free(s);
	free(v);
}

/* The descriptions m asks for next, space-separated ("" when whole). */
static const char *want_of(struct range_merge *m, char *out, size_t cap)
{
	const char *const *w;
	size_t i;
	int rc = range_merge_want(m, &w);

	assert_true(rc >= 0);
	out[0] = '\0';
	for (i = 0; rc == 1 && w[i]; i++) {
		strncat(out, i ? " " : "", cap - strlen(out) - 1);
		strncat(out, w[i], cap - strlen(out) - 1);
	}
	if (rc == 0)
		assert_null(w);
	return out;
}

/* Checks that attribute name of e holds n values CN=PREFIX0.. in order. */
static void want_values(const struct entry *e, const char *name, const char *prefix, size_t n)
{
	const struct entry_attr *a = entry_get(e, name);
	size_t i;

	if (n == 0) {
		assert_null(a);
		return;
	}
	assert_non_null(a);
	if (a->nvals != n)
		fail_msg("%s: got %zu values, want %zu", name, a->nvals, n);
	for (i = 0; i < n; i++) {
		char want[48];

		snprintf(want, sizeof(want), "CN=%s%zu,OU=people", prefix ? prefix : "u", i);
		if (strcmp(a->vals[i].val, want) != 0)
			fail_msg("%s: value %zu is %s, want %s", name, i, a->vals[i].val, want);
	}
}

/* No attribute of e carries a range option any more. */
static void want_no_ranges(const struct entry *e)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++)
		if (strcasestr(e->attrs[i].name, "range=") != NULL)
			fail_msg("%s left in the whole entry", e->attrs[i].name);
}

/* Walking a group of 4000 members as AD hands it out. */
static void test_walk(void **state)
{
	struct entry *e = entry_new(DN), *part, *whole;
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	char w[256];

	(void)state;
	assert_non_null(e);
	assert_int_equal(entry_add(e, "cn", "big", 3), 0);
	add_part(e, "member;range=0-1499", NULL, 0, 1500);
	assert_int_equal(entry_add(e, "mail", "big@example.test", 16), 0);
	assert_true(range_has(e));
	assert_int_equal(range_merge_start(e, &m, &why), 0);
	assert_string_equal(want_of(m, w, sizeof(w)), "member;range=1500-*");
	assert_null(range_merge_finish(m));

	part = entry_new(DN);
	add_part(part, "member;range=1500-2999", NULL, 1500, 1500);
	assert_int_equal(range_merge_add(m, part, &why), 0);
	entry_free(part);
	assert_string_equal(want_of(m, w, sizeof(w)), "member;range=3000-*");

	part = entry_new(DN);
	add_part(part, "member;range=3000-*", NULL, 3000, 1000);
	assert_int_equal(range_merge_add(m, part, &why), 0);
	entry_free(part);
	assert_string_equal(want_of(m, w, sizeof(w)), "");

	whole = range_merge_finish(m);
	assert_non_null(whole);
	assert_string_equal(whole->dn, DN);
	want_values(whole, "member", NULL, 4000);
	want_no_ranges(whole);
	assert_false(range_has(whole));
	/* The attributes in the order the server sent them. */
	assert_int_equal(whole->nattrs, 3);
	assert_string_equal(whole->attrs[0].name, "cn");
	assert_string_equal(whole->attrs[1].name, "member");
	assert_string_equal(whole->attrs[2].name, "mail");
	assert_int_equal(why.len, 0);
	entry_free(whole);
	range_merge_free(m);
	entry_free(e);
	buf_free(&why);
}

/* Parts in any order, within an entry and within a reply. */
static void test_out_of_order(void **state)
{
	struct entry *e = entry_new(DN), *part, *whole;
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	char w[256];

	(void)state;
	/* The start holds the later part first, and a gap before it. */
	add_part(e, "member;range=20-29", NULL, 20, 10);
	add_part(e, "member;range=0-9", NULL, 0, 10);
	assert_int_equal(range_merge_start(e, &m, &why), 0);
	assert_string_equal(want_of(m, w, sizeof(w)), "member;range=10-*");
	/* The reply fills the gap and ends the attribute, the last first. */
	part = entry_new(DN);
	add_part(part, "member;range=30-*", NULL, 30, 5);
	add_part(part, "member;range=10-19", NULL, 10, 10);
	assert_int_equal(range_merge_add(m, part, &why), 0);
	entry_free(part);
	assert_string_equal(want_of(m, w, sizeof(w)), "");
	whole = range_merge_finish(m);
	assert_non_null(whole);
	want_values(whole, "member", NULL, 35);
	want_no_ranges(whole);
	entry_free(whole);
	range_merge_free(m);
	entry_free(e);

	/* A start whose parts already make the whole attribute. */
	e = entry_new(DN);
	add_part(e, "member;range=5-*", NULL, 5, 3);
	add_part(e, "member;range=0-4", NULL, 0, 5);
	assert_int_equal(range_merge_start(e, &m, &why), 0);
	assert_string_equal(want_of(m, w, sizeof(w)), "");
	whole = range_merge_finish(m);
	want_values(whole, "member", NULL, 8);
	entry_free(whole);
	range_merge_free(m);
	entry_free(e);
	assert_int_equal(why.len, 0);
	buf_free(&why);
}

/* Replies that would have dirmail ask the same for ever, or trust a part
 * that is not what it says: each an error naming the attribute. */
static void test_no_advance(void **state)
{
	static const struct {
		const char *what;
		const char *desc; /* the reply's part, NULL for none */
		unsigned long lo;
		size_t n;
		const char *msg;
	} cases[] = {
	    {"the same part again", "member;range=0-9", 0, 10,
	     "member;range=0-9: overlaps the values 0-9 held already (the server repeats itself)"},
	    {"a part overlapping", "member;range=5-14", 5, 10,
	     "member;range=5-14: overlaps the values 0-9 held already"},
	    {"a final part from the start", "member;range=0-*", 0, 12,
	     "member;range=0-*: overlaps the values 0-9 held already"},
	    {"no part at all", NULL, 0, 0,
	     "member: asked for the values from 10 on, the reply holds none of them (the server "
	     "does not advance)"},
	    {"a part beyond a gap", "member;range=20-*", 20, 5,
	     "member: asked for the values from 10 on, the reply holds none of them"},
	    {"the whole attribute, unranged", "member", 0, 30,
	     "member: asked for the values from 10 on, the reply holds none of them"},
	    {"a part short of what it says", "member;range=10-19", 10, 9,
	     "member;range=10-19: holds 9 values, not the 10 it says"},
	    {"a malformed range", "member;range=10-", 10, 1, "member;range=10-: a malformed range"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct entry *e = entry_new(DN), *part = entry_new(DN);
		struct range_merge *m = NULL;
		struct buf why = BUF_INIT;

		add_part(e, "member;range=0-9", NULL, 0, 10);
		assert_int_equal(range_merge_start(e, &m, &why), 0);
		assert_int_equal(entry_add(part, "cn", "big", 3), 0);
		if (cases[i].desc != NULL)
			add_part(part, cases[i].desc, NULL, cases[i].lo, cases[i].n);
		if (range_merge_add(m, part, &why) != -1)
			fail_msg("%s: taken", cases[i].what);
		if (strstr(buf_str(&why), cases[i].msg) == NULL)
			fail_msg("%s: got '%s', want '%s'", cases[i].what, buf_str(&why),
			         cases[i].msg);
		range_merge_free(m);
		entry_free(part);
		entry_free(e);
		buf_free(&why);
	}
}

/* Entries the merge refuses from the start. */
static void test_bad_start(void **state)
{
	static const struct {
		const char *a, *b; /* two parts; b may be NULL or a plain name */
		size_t na, nb;
		const char *msg;
	} cases[] = {
	    {"member;range=0-9", NULL, 5, 0,
	     "member;range=0-9: holds 5 values, not the 10 it says"},
	    {"member;range=5-", NULL, 1, 0, "member;range=5-: a malformed range"},
	    {"member;range=0-9", "member", 10, 3, "member: sent both whole and in parts"},
	    {"member;range=0-9", "member;range=9-*", 10, 3,
	     "member;range=9-*: overlaps the values 0-9 held already"},
	    {"member;range=0-*", "member;range=3-*", 3, 1,
	     "member;range=3-*: overlaps the values 0-* held already"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct entry *e = entry_new(DN);
		struct range_merge *m = NULL;
		struct buf why = BUF_INIT;

		add_part(e, cases[i].a, NULL, 0, cases[i].na);
		if (cases[i].b != NULL)
			add_part(e, cases[i].b, "v", 0, cases[i].nb);
		assert_int_equal(range_merge_start(e, &m, &why), -1);
		assert_null(m);
		if (strstr(buf_str(&why), cases[i].msg) == NULL)
			fail_msg("%s: got '%s', want '%s'", cases[i].a, buf_str(&why),
			         cases[i].msg);
		entry_free(e);
		buf_free(&why);
	}
}

/* "member;range=0-*": the server ranged, and everything came at once. */
static void test_all_at_once(void **state)
{
	struct entry *e = entry_new(DN), *whole;
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	char w[64];

	(void)state;
	add_part(e, "member;range=0-*", NULL, 0, 7);
	assert_true(range_has(e));
	assert_int_equal(range_merge_start(e, &m, &why), 0);
	assert_string_equal(want_of(m, w, sizeof(w)), "");
	whole = range_merge_finish(m);
	assert_non_null(whole);
	want_values(whole, "member", NULL, 7);
	want_no_ranges(whole);
	entry_free(whole);
	range_merge_free(m);
	entry_free(e);
	buf_free(&why);
}

/* Any multi-valued attribute may be ranged, several in one entry, each
 * asked for until it is whole; the spelling of the first part's name
 * stays, later parts may spell it otherwise. */
static void test_other_attributes(void **state)
{
	struct entry *e = entry_new(DN), *part, *whole;
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	char w[256];

	(void)state;
	add_part(e, "Member;RANGE=0-2", NULL, 0, 3);
	add_part(e, "proxyAddresses;range=0-1", "p", 0, 2);
	add_part(e, "userCertificate;binary", "c", 0, 2);
	assert_int_equal(range_merge_start(e, &m, &why), 0);
	assert_string_equal(want_of(m, w, sizeof(w)), "Member;range=3-* proxyAddresses;range=2-*");
	/* The reply ends member and takes proxyAddresses one step further. */
	part = entry_new(DN);
	add_part(part, "member;range=3-*", NULL, 3, 2);
	add_part(part, "PROXYADDRESSES;Range=2-3", "p", 2, 2);
	assert_int_equal(range_merge_add(m, part, &why), 0);
	entry_free(part);
	assert_string_equal(want_of(m, w, sizeof(w)), "proxyAddresses;range=4-*");
	part = entry_new(DN);
	add_part(part, "proxyaddresses;range=4-*", "p", 4, 1);
	assert_int_equal(range_merge_add(m, part, &why), 0);
	entry_free(part);
	assert_string_equal(want_of(m, w, sizeof(w)), "");
	whole = range_merge_finish(m);
	assert_non_null(whole);
	want_values(whole, "member", NULL, 5);
	want_values(whole, "proxyAddresses", "p", 5);
	want_values(whole, "userCertificate;binary", "c", 2);
	want_no_ranges(whole);
	assert_int_equal(whole->nattrs, 3);
	assert_string_equal(whole->attrs[0].name, "Member");
	assert_string_equal(whole->attrs[1].name, "proxyAddresses");
	entry_free(whole);
	range_merge_free(m);
	entry_free(e);

	/* Other options stay on the whole attribute and in the request. */
	e = entry_new(DN);
	add_part(e, "member;range=0-1;x-opt", NULL, 0, 2);
	assert_int_equal(range_merge_start(e, &m, &why), 0);
	assert_string_equal(want_of(m, w, sizeof(w)), "member;x-opt;range=2-*");
	part = entry_new(DN);
	add_part(part, "member;x-opt;range=2-*", NULL, 2, 1);
	assert_int_equal(range_merge_add(m, part, &why), 0);
	whole = range_merge_finish(m);
	want_values(whole, "member;x-opt", NULL, 3);
	entry_free(whole);
	entry_free(part);
	range_merge_free(m);
	entry_free(e);
	assert_int_equal(why.len, 0);
	buf_free(&why);
}

/* Nothing ranged: nothing to do, however many options. */
static void test_has(void **state)
{
	struct entry *e = entry_new(DN);

	(void)state;
	add_part(e, "member", NULL, 0, 3);
	add_part(e, "userCertificate;binary", NULL, 0, 1);
	add_part(e, "member;ranger=0-9", NULL, 0, 1);
	assert_false(range_has(e));
	add_part(e, "x;range=oops", NULL, 0, 1);
	assert_true(range_has(e)); /* malformed: the merge says what is wrong */
	entry_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),       cmocka_unit_test(test_request),
	    cmocka_unit_test(test_overflow),    cmocka_unit_test(test_count),
	    cmocka_unit_test(test_walk),        cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_no_advance),  cmocka_unit_test(test_bad_start),
	    cmocka_unit_test(test_all_at_once), cmocka_unit_test(test_other_attributes),
	    cmocka_unit_test(test_has),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
