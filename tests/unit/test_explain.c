/* test_explain.c - the explanation of one object, without a server.
 * Exact text for a suffixed, a refused and a fallen-back address, a waiting
 * licence, the quota sources, forwards, removed values and binary values. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "explain.h"

#define DN "uid=js2,ou=people,dc=example,dc=test"

static struct entry *mk(const char *const *kv)
{
	struct entry *e = entry_new(DN);
	size_t i;

	assert_non_null(e);
	for (i = 0; kv[i]; i += 2)
		assert_int_equal(entry_add(e, kv[i], kv[i + 1], strlen(kv[i + 1])), 0);
	return e;
}

static void init_account(struct account *a)
{
	memset(a, 0, sizeof(*a));
	a->popimap_host = dm_unconst("pop.example.test");
	a->storage_total = 2000;
	a->warn_percent = 90;
}

/* A line of out, or fail naming what is missing. */
static void want_line(const struct buf *out, const char *line)
{
	if (strstr(buf_str(out), line) == NULL)
		fail_msg("missing line \"%s\" in:\n%s", line, buf_str(out));
}

static void test_suffixed_and_quota(void **state)
{
	static const char *const cur_kv[] = {"mail", "old@example.test", NULL};
	static const char *const want_kv[] = {"mail",
	                                      "john.smith2@example.test",
	                                      "proxyAddresses",
	                                      "SMTP:john.smith2@example.test",
	                                      "proxyAddresses",
	                                      "X500:/o=Org/cn=js2",
	                                      "mDBOverQuotaLimit",
	                                      "512000",
	                                      NULL};
	struct pol_addr_decision addrs[] = {
	    {"john.smith2@example.test", 1, POL_FROM_TEMPLATE, "%g.%s", POL_ADDR_SUFFIXED, 2,
	     "uid=jsmith,ou=people,dc=example,dc=test", NULL},
	    {"js@example.test", 0, POL_FROM_ALIAS, NULL, POL_ADDR_REFUSED, 0,
	     "uid=other,ou=people,dc=example,dc=test", NULL},
	    {"js2@example.org", 0, POL_FROM_TEMPLATE, "%i%s", POL_ADDR_CLAIMED, 0, NULL,
	     "no initials for %i"},
	};
	struct entry *cur = mk(cur_kv), *want = mk(want_kv);
	struct pol_decision d;
	struct account a;
	struct buf out = BUF_INIT;

	(void)state;
	init_account(&a);
	memset(&d, 0, sizeof(d));
	d.kind = POL_USER;
	d.service = POL_SERVICE_POP_IMAP;
	d.state = "ok";
	d.addrs = addrs;
	d.naddrs = 3;
	d.licence = POL_LICENCE_GRANTED;
	d.licence_rank = 3;
	d.licences = 10;
	d.quota = POL_QUOTA_OVERRIDE;
	d.quota_mb = 500;
	assert_int_equal(explain_object(&out, cur, want, &d, &a), 0);
	want_line(&out, DN "\n  kind:       user\n  state:      ok\n");
	want_line(&out, "  service:    pop-imap (dirmailService)\n");
	want_line(&out, "  licence:    granted: rank 3 of 10 licences, in creation order, existing "
	                "mailboxes first\n");
	want_line(&out, "  quota:      500 MB from the user's dirmailQuota\n");
	want_line(&out,
	          "    john.smith2@example.test  template %g.%s; suffix 2: the form without it "
	          "belongs to uid=jsmith,ou=people,dc=example,dc=test\n");
	want_line(&out, "    js@example.test  dirmailAlias; refused: it belongs to "
	                "uid=other,ou=people,dc=example,dc=test\n");
	/* A template that gave the object nothing says why %m stood in. */
	want_line(&out, "    js2@example.org  template %i%s gave nothing usable (no initials for "
	                "%i): %m instead; free, claimed\n");
	want_line(&out, "    mail: john.smith2@example.test\n      <- the primary address\n");
	want_line(&out,
	          "    proxyAddresses: X500:/o=Org/cn=js2\n      <- not dirmail's: kept as it "
	          "is\n");
	want_line(&out, "    mDBOverQuotaLimit: 512000\n      <- quota in KB: 500 MB from the "
	                "user's dirmailQuota\n");
	want_line(&out, "  removed:\n    mail: old@example.test\n      <- no longer derived\n");
	buf_free(&out);
	entry_free(cur);
	entry_free(want);
}

static void test_waiting_unlimited_forward_binary(void **state)
{
	static const char guid[] = {'\x01', '\xff', 'a', '\0'};
	struct entry *cur = entry_new(DN);
	struct pol_decision d;
	struct account a;
	struct buf out = BUF_INIT;

	(void)state;
	init_account(&a);
	assert_non_null(cur);
	assert_int_equal(entry_add(cur, "msExchMailboxGuid", guid, 4), 0);
	assert_int_equal(entry_add(cur, "altRecipient", "cn=x@partner.example,ou=contacts", 32), 0);
	memset(&d, 0, sizeof(d));
	d.kind = POL_USER;
	d.service = POL_SERVICE_EXCHANGE;
	d.state = "over-licence: all 10 POP/IMAP licences are in use";
	d.licence = POL_LICENCE_WAITING;
	d.licence_rank = 12;
	d.licences = 10;
	d.quota = POL_QUOTA_UNLIMITED;
	d.quota_mb = 2000;
	d.forward = "x@partner.example";
	d.forward_dn = "cn=x@partner.example,ou=contacts";
	d.forward_external = 1;
	/* want NULL: the object needs no change, cur holds what it should */
	assert_int_equal(explain_object(&out, cur, NULL, &d, &a), 0);
	want_line(&out, "  licence:    waiting: rank 12 of 10 licences");
	want_line(&out, "  quota:      unlimited (0), capped by the account's dirmailStorageTotal "
	                "of 2000 MB\n");
	want_line(&out, "  forward:    x@partner.example: outside the account, to the mail contact "
	                "cn=x@partner.example,ou=contacts\n");
	want_line(&out, "    msExchMailboxGuid: (4 bytes) 01ff6100\n");
	want_line(&out, "    altRecipient: cn=x@partner.example,ou=contacts\n      <- "
	                "dirmailForwardTo x@partner.example: the mail contact made for it\n");
	if (strstr(buf_str(&out), "removed:") != NULL)
		fail_msg("nothing is removed from an object that needs no change:\n%s",
		         buf_str(&out));
	buf_free(&out);
	entry_free(cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_suffixed_and_quota),
	    cmocka_unit_test(test_waiting_unlimited_forward_binary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
