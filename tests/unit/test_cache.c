/* test_cache.c - the daemon's in-memory recipients, keyed by entryUUID.
 * Replace and rename, delete with the last slot moved into the hole, the
 * present-phase mark and sweep, secrets left out, thousands of random
 * changes against a plain model, and entryUUID parsing. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"

static void uuid_of(unsigned n, unsigned char u[CACHE_UUID_LEN])
{
	memset(u, 0, CACHE_UUID_LEN);
	u[0] = (unsigned char)(n >> 24);
	u[5] = (unsigned char)(n >> 16);
	u[9] = (unsigned char)(n >> 8);
	u[15] = (unsigned char)n;
}

static struct entry *person(const char *dn, const char *cn)
{
	struct entry *e = entry_new(dn);

	assert_non_null(e);
	assert_int_equal(entry_add(e, "cn", cn, strlen(cn)), 0);
	assert_int_equal(entry_add(e, "userPassword", "secret", 6), 0);
	return e;
}

/* The index of the entry kept with DN dn, or -1. */
static long find_dn(const struct cache *c, const char *dn)
{
	size_t k;

	for (k = 0; k < cache_count(c); k++)
		if (strcmp(cache_dn(c, k), dn) == 0)
			return (long)k;
	return -1;
}

static void test_put_replace_rename(void **state)
{
	struct cache *c = cache_new();
	unsigned char a[CACHE_UUID_LEN], b[CACHE_UUID_LEN];
	struct entry *e;
	long k;

	(void)state;
	assert_non_null(c);
	uuid_of(1, a);
	uuid_of(2, b);
	e = person("uid=a,dc=t", "A");
	assert_int_equal(cache_put(c, a, e), 0);
	entry_free(e);
	e = person("uid=b,dc=t", "B");
	assert_int_equal(cache_put(c, b, e), 0);
	entry_free(e);
	assert_int_equal(cache_count(c), 2);
	/* the same uuid under a new DN: a rename, still one object */
	e = person("uid=a2,ou=moved,dc=t", "A2");
	assert_int_equal(cache_put(c, a, e), 0);
	entry_free(e);
	assert_int_equal(cache_count(c), 2);
	assert_int_equal(find_dn(c, "uid=a,dc=t"), -1);
	k = find_dn(c, "uid=a2,ou=moved,dc=t");
	assert_true(k >= 0);
	e = cache_nth(c, (size_t)k);
	assert_non_null(e);
	assert_string_equal(entry_first(e, "cn"), "A2");
	/* the password never went into memory */
	assert_null(entry_first(e, "userPassword"));
	entry_free(e);
	assert_true(cache_bytes(c) > 0);
	assert_null(cache_nth(c, 2));
	assert_null(cache_dn(c, 2));
	cache_free(c);
	cache_free(NULL);
}

static void test_delete_and_sweep(void **state)
{
	struct cache *c = cache_new();
	unsigned char u[CACHE_UUID_LEN];
	unsigned i;
	char dn[32];

	(void)state;
	for (i = 0; i < 5; i++) {
		struct entry *e;

		snprintf(dn, sizeof(dn), "uid=u%u,dc=t", i);
		e = person(dn, "x");
		uuid_of(i, u);
		assert_int_equal(cache_put(c, u, e), 0);
		entry_free(e);
	}
	uuid_of(1, u);
	assert_int_equal(cache_del(c, u), 1);
	assert_int_equal(cache_del(c, u), 0);
	assert_int_equal(cache_has(c, u), 0);
	assert_int_equal(cache_count(c), 4);
	/* the last one moved into the hole and is still found */
	uuid_of(4, u);
	assert_int_equal(cache_has(c, u), 1);
	assert_int_equal(find_dn(c, "uid=u4,dc=t"), 1);
	/* a present phase that reports 0 and 3 only */
	cache_unmark(c);
	uuid_of(0, u);
	assert_int_equal(cache_mark(c, u), 0);
	uuid_of(3, u);
	assert_int_equal(cache_mark(c, u), 0);
	uuid_of(99, u);
	assert_int_equal(cache_mark(c, u), -1);
	assert_int_equal(cache_sweep(c), 2);
	assert_int_equal(cache_count(c), 2);
	assert_true(find_dn(c, "uid=u0,dc=t") >= 0);
	assert_true(find_dn(c, "uid=u3,dc=t") >= 0);
	uuid_of(2, u);
	assert_int_equal(cache_has(c, u), 0);
	cache_free(c);
}

/* Random puts and deletes against a plain array: the index never loses
 * an entry, whatever the probe runs deletes shift. */
static void test_random_against_model(void **state)
{
	enum { N = 3000 };
	static int model[N];
	struct cache *c = cache_new();
	unsigned char u[CACHE_UUID_LEN];
	unsigned i, seed = 12345;
	size_t live = 0;

	(void)state;
	memset(model, 0, sizeof(model));
	for (i = 0; i < 40000; i++) {
		unsigned k;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % N;
		uuid_of(k * 2654435761u, u);
		if ((seed >> 20) % 3 != 0) {
			char dn[32];
			struct entry *e;

			snprintf(dn, sizeof(dn), "uid=%u,dc=t", k);
			e = person(dn, "x");
			assert_int_equal(cache_put(c, u, e), 0);
			entry_free(e);
			live += !model[k];
			model[k] = 1;
		} else {
			assert_int_equal(cache_del(c, u), model[k]);
			live -= model[k];
			model[k] = 0;
		}
	}
	assert_int_equal(cache_count(c), live);
	for (i = 0; i < N; i++) {
		uuid_of(i * 2654435761u, u);
		assert_int_equal(cache_has(c, u), model[i]);
	}
	cache_free(c);
}

static void test_uuid_text(void **state)
{
	unsigned char u[CACHE_UUID_LEN];
	char s[37];

	(void)state;
	assert_int_equal(cache_uuid_parse("0C7F2A58-1B7E-103F-8A3C-29C4F1E2D3B4", u), 0);
	assert_int_equal(u[0], 0x0c);
	assert_int_equal(u[15], 0xb4);
	cache_uuid_format(u, s);
	assert_string_equal(s, "0c7f2a58-1b7e-103f-8a3c-29c4f1e2d3b4");
	assert_int_equal(cache_uuid_parse("0c7f2a58-1b7e-103f-8a3c-29c4f1e2d3b", u), -1);
	assert_int_equal(cache_uuid_parse("0c7f2a58-1b7e-103f-8a3c-29c4f1e2d3b45", u), -1);
	assert_int_equal(cache_uuid_parse("0c7f2a58x1b7e-103f-8a3c-29c4f1e2d3b4", u), -1);
	assert_int_equal(cache_uuid_parse("0c7f2a58-1b7e-103f-8a3c-29c4f1e2d3g4", u), -1);
	assert_int_equal(cache_uuid_parse("", u), -1);
}

/* A stamp changes exactly when what entry k holds does: the same entry
 * put again keeps it (a refresh resends everything), a change, a rename
 * or another entry moved into the slot by a delete gives a new one. */
static void test_stamps(void **state)
{
	struct cache *c = cache_new();
	unsigned char a[CACHE_UUID_LEN], b[CACHE_UUID_LEN];
	struct entry *e;
	uint64_t sa, sb;

	(void)state;
	assert_non_null(c);
	uuid_of(1, a);
	uuid_of(2, b);
	e = person("uid=a,dc=t", "A");
	assert_int_equal(cache_put(c, a, e), 0);
	entry_free(e);
	e = person("uid=b,dc=t", "B");
	assert_int_equal(cache_put(c, b, e), 0);
	entry_free(e);
	sa = cache_stamp(c, 0);
	sb = cache_stamp(c, 1);
	assert_true(sa != 0 && sb != 0 && sa != sb);
	assert_int_equal(cache_stamp(c, 2), 0);
	/* The same again, marked for the sweep and nothing else. */
	cache_unmark(c);
	e = person("uid=a,dc=t", "A");
	assert_int_equal(cache_put(c, a, e), 0);
	entry_free(e);
	assert_true(cache_stamp(c, 0) == sa);
	assert_int_equal(cache_sweep(c), 1); /* b was not sent again */
	assert_int_equal(cache_count(c), 1);
	e = person("uid=b,dc=t", "B");
	assert_int_equal(cache_put(c, b, e), 0);
	entry_free(e);
	sb = cache_stamp(c, 1);
	/* A value changes; then a rename with the same values. */
	e = person("uid=a,dc=t", "A2");
	assert_int_equal(cache_put(c, a, e), 0);
	entry_free(e);
	assert_true(cache_stamp(c, 0) != sa && cache_stamp(c, 0) != sb);
	sa = cache_stamp(c, 0);
	e = person("uid=a2,dc=t", "A2");
	assert_int_equal(cache_put(c, a, e), 0);
	entry_free(e);
	assert_true(cache_stamp(c, 0) != sa);
	/* Deleting a moves b into slot 0, with b's stamp. */
	assert_int_equal(cache_del(c, a), 1);
	assert_true(cache_stamp(c, 0) == sb);
	assert_string_equal(cache_dn(c, 0), "uid=b,dc=t");
	cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_put_replace_rename),
	    cmocka_unit_test(test_delete_and_sweep),
	    cmocka_unit_test(test_random_against_model),
	    cmocka_unit_test(test_uuid_text),
	    cmocka_unit_test(test_stamps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
