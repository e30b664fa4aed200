/* test_diff.c - minimal modifications between two entries.
 * Values added and deleted one by one, promotions as delete plus add,
 * objectClass only added, big changes cut into batches. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "diff.h"

static const char *const attrs[] = {"mail", "proxyAddresses", "member", "mDBStorageQuota", NULL};

static struct entry *mk(const char *const *kv)
{
	struct entry *e = entry_new("uid=x,dc=example,dc=test");
	size_t i;

	assert_non_null(e);
	for (i = 0; kv[i]; i += 2)
		assert_int_equal(entry_add(e, kv[i], kv[i + 1], strlen(kv[i + 1])), 0);
	return e;
}

/* The batches as text: "op attr: v, v; ..." per batch, " || " between. */
static char *show(const struct diff *d)
{
	struct buf b = BUF_INIT;
	size_t i, j, k;

	for (i = 0; i < d->nb; i++) {
		if (i)
			(void)!buf_puts(&b, " || ");
		for (j = 0; j < d->b[i].nmods; j++) {
			const struct entry_mod *m = &d->b[i].mods[j];

			(void)!buf_printf(&b, "%s%s %s:", j ? "; " : "",
			                  m->op == ENTRY_MOD_ADD      ? "add"
			                  : m->op == ENTRY_MOD_DELETE ? "del"
			                                              : "rep",
			                  m->attr);
			for (k = 0; k < m->nvals; k++)
				(void)!buf_printf(&b, "%s%s", k ? ", " : " ", m->vals[k].val);
		}
	}
	return b.s ? buf_steal(&b) : strdup("");
}

static void check(const char *const *cur, const char *const *want, const char *expect)
{
	struct entry *c = mk(cur), *w = mk(want);
	struct diff d;
	char *got;

	assert_int_equal(diff_entry(c, w, attrs, &d), 0);
	got = show(&d);
	if (strcmp(got, expect) != 0)
		fail_msg("got \"%s\", want \"%s\"", got, expect);
	free(got);
	diff_free(&d);
	entry_free(c);
	entry_free(w);
}

static void test_nothing(void **state)
{
	const char *const e[] = {"objectClass",
	                         "top",
	                         "mail",
	                         "a@x",
	                         "proxyAddresses",
	                         "SMTP:a@x",
	                         "proxyAddresses",
	                         "X500:/o=x",
	                         "description",
	                         "ignored",
	                         NULL};
	const char *const w[] = {"objectClass",
	                         "top",
	                         "proxyAddresses",
	                         "X500:/o=x",
	                         "proxyAddresses",
	                         "SMTP:a@x",
	                         "mail",
	                         "a@x",
	                         NULL};

	(void)state;
	/* description is not compared; value order does not matter. */
	check(e, w, "");
}

static void test_values(void **state)
{
	const char *const c[] = {"mail",           "old@x",          "proxyAddresses",
	                         "smtp:a@x",       "proxyAddresses", "SMTP:old@x",
	                         "proxyAddresses", "SIP:a@x",        NULL};
	const char *const w[] = {"objectClass",
	                         "dirmailRecipient",
	                         "mail",
	                         "a@x",
	                         "proxyAddresses",
	                         "SMTP:a@x",
	                         "proxyAddresses",
	                         "smtp:old@x",
	                         "proxyAddresses",
	                         "SIP:a@x",
	                         "mDBStorageQuota",
	                         "9216",
	                         NULL};

	(void)state;
	/* The promotion is a delete and an add in one modify, deletes first;
	 * the class comes before the attributes it allows. */
	check(c, w,
	      "add objectClass: dirmailRecipient; del mail: old@x; add mail: a@x; "
	      "del proxyAddresses: smtp:a@x, SMTP:old@x; add proxyAddresses: SMTP:a@x, smtp:old@x; "
	      "add mDBStorageQuota: 9216");
}

static void test_class_never_removed(void **state)
{
	const char *const c[] = {"objectClass", "top", "objectClass", "dirmailRecipient",
	                         "mail",        "a@x", NULL};
	const char *const w[] = {"objectClass", "top", NULL};

	(void)state;
	check(c, w, "del mail: a@x");
}

static void test_batches(void **state)
{
	struct entry *c = entry_new("cn=big"), *w = entry_new("cn=big");
	struct diff d;
	char v[64];
	size_t i, total = 0;

	(void)state;
	for (i = 0; i < 2500; i++) {
		snprintf(v, sizeof(v), "uid=u%zu,dc=x", i);
		assert_int_equal(entry_add(i < 600 ? c : w, "member", v, strlen(v)), 0);
	}
	assert_int_equal(entry_add(c, "member", "", 0), 0);
	assert_int_equal(diff_entry(c, w, attrs, &d), 0);
	/* 601 deletions and 1900 additions: 2501 values in 3 modifies. */
	assert_int_equal(d.nvals, 2501);
	assert_int_equal(d.nb, 3);
	for (i = 0; i < d.nb; i++) {
		size_t j, n = 0;

		for (j = 0; j < d.b[i].nmods; j++)
			n += d.b[i].mods[j].nvals;
		if (n > DIFF_BATCH_MAX)
			fail_msg("batch %zu holds %zu values, want at most %d", i, n,
			         DIFF_BATCH_MAX);
		total += n;
	}
	assert_int_equal(total, 2501);
	assert_int_equal(d.b[0].mods[0].op, ENTRY_MOD_DELETE);
	assert_int_equal(d.b[0].mods[0].nvals, 601);
	assert_int_equal(d.b[0].mods[1].op, ENTRY_MOD_ADD);
	assert_int_equal(d.b[0].mods[1].nvals, 399);
	assert_int_equal(d.b[2].mods[0].nvals, 501);
	diff_free(&d);
	entry_free(c);
	entry_free(w);
}

/* Large lists that share most members, in another order: only the
 * difference goes, each side in the order of the entry it comes from, and
 * a value that differs only in case is deleted and added again. */
static void test_large_overlap(void **state)
{
	struct entry *c = entry_new("cn=big"), *w = entry_new("cn=big");
	struct diff d;
	char v[64];
	size_t i, j, ndel = 0, nadd = 0;
	long last_del = -1, last_add = 4000;

	(void)state;
	for (i = 0; i < 3000; i++) {
		snprintf(v, sizeof(v), "uid=u%zu,dc=x", i);
		assert_int_equal(entry_add(c, "member", v, strlen(v)), 0);
	}
	for (i = 3999; i >= 1000; i--) {
		snprintf(v, sizeof(v), "%s=u%zu,dc=x", i == 1500 ? "UID" : "uid", i);
		assert_int_equal(entry_add(w, "member", v, strlen(v)), 0);
	}
	assert_int_equal(diff_entry(c, w, attrs, &d), 0);
	assert_int_equal(d.nvals, 2002);
	for (i = 0; i < d.nb; i++) {
		for (j = 0; j < d.b[i].nmods; j++) {
			const struct entry_mod *m = &d.b[i].mods[j];
			size_t k;

			for (k = 0; k < m->nvals; k++) {
				long n = strtol(strstr(m->vals[k].val, "=u") + 2, NULL, 10);

				if (m->op == ENTRY_MOD_DELETE) {
					if (!(n < 1000 || n == 1500) || n <= last_del)
						fail_msg("deleted %s out of order", m->vals[k].val);
					last_del = n;
					ndel++;
				} else {
					if (!(n >= 3000 || n == 1500) ||
					    (n != 1500 && n >= last_add))
						fail_msg("added %s out of order", m->vals[k].val);
					if (n == 1500 && strncmp(m->vals[k].val, "UID=", 4) != 0)
						fail_msg("added %s, want the new spelling",
						         m->vals[k].val);
					if (n != 1500)
						last_add = n;
					nadd++;
				}
			}
		}
	}
	assert_int_equal(ndel, 1001);
	assert_int_equal(nadd, 1001);
	diff_free(&d);
	entry_free(c);
	entry_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_class_never_removed),
	    cmocka_unit_test(test_batches),
	    cmocka_unit_test(test_large_overlap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
