/* test_lease.c - the lease's state machine on a clock of the test's own:
 * when a follower reads and takes over, when the leader renews and may
 * write, and that a follower never takes over while the leader may still
 * write, however their steps interleave. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lease.h"

#define LEN 3000

static void test_value_and_holder(void **state)
{
	struct lease l;
	struct buf v = BUF_INIT, h = BUF_INIT;

	(void)state;
	assert_int_equal(lease_init(&l, "cn=lease,dc=example,dc=test", "host:42:0badf00d", LEN), 0);
	assert_int_equal(lease_value(&l, 7, &v), 0);
	assert_string_equal(buf_str(&v), "holder=host:42:0badf00d n=7");
	assert_int_equal(lease_holder(buf_str(&v), &h), 0);
	assert_string_equal(buf_str(&h), "host:42:0badf00d");
	buf_reset(&h);
	assert_int_equal(lease_holder("free", &h), 0);
	assert_int_equal(lease_holder("", &h), 0);
	assert_int_equal(lease_holder(NULL, &h), 0);
	assert_int_equal(h.len, 0);
	assert_int_equal(lease_holder("set by hand", &h), 0);
	assert_string_equal(buf_str(&h), "set by hand");
	buf_free(&v);
	buf_free(&h);
	lease_free(&l);
}

static void test_follower(void **state)
{
	struct lease l;

	(void)state;
	assert_int_equal(lease_init(&l, "cn=lease", "me:1:1", LEN), 0);
	/* Nothing read yet: read. */
	assert_int_equal(lease_due(&l, 0), LEASE_READ);
	/* Another holder, renewing: never taken while it changes. */
	assert_int_equal(lease_observe(&l, "holder=other:2:2 n=1", 0), 0);
	l.next_ms = 1000;
	assert_int_equal(lease_due(&l, 999), LEASE_WAIT);
	assert_int_equal(lease_due(&l, 1000), LEASE_READ);
	assert_int_equal(lease_observe(&l, "holder=other:2:2 n=2", 2500), 0);
	assert_int_equal(lease_due(&l, 2500 + LEN / 2 - 1), LEASE_READ);
	/* The same value read again does not restart the count. */
	assert_int_equal(lease_observe(&l, "holder=other:2:2 n=2", 4000), 0);
	assert_int_equal(lease_due(&l, 2500 + LEN / 2), LEASE_TAKE);
	/* A change restarts it. */
	assert_int_equal(lease_observe(&l, "holder=other:2:2 n=3", 5600), 0);
	assert_int_equal(lease_due(&l, 5600 + LEN / 2 - 1), LEASE_READ);
	/* Released, or no entry: taken at once. */
	assert_int_equal(lease_observe(&l, "free", 6000), 0);
	assert_int_equal(lease_due(&l, 6000), LEASE_TAKE);
	assert_int_equal(lease_observe(&l, NULL, 6100), 0);
	assert_int_equal(lease_due(&l, 6100), LEASE_TAKE);
	assert_int_equal(lease_may_write(&l, 6100), 0);
	lease_free(&l);
}

static void test_leader(void **state)
{
	struct lease l;

	(void)state;
	assert_int_equal(lease_init(&l, "cn=lease", "me:1:1", LEN), 0);
	l.leader = 1;
	l.ok_ms = 10000;
	assert_int_equal(lease_due(&l, 10000), LEASE_RENEW);
	assert_int_equal(lease_may_write(&l, 10000), 1);
	assert_int_equal(lease_may_write(&l, 10000 + LEN / 3 - 1), 1);
	/* A third of the lease time without a renewal: no write. */
	assert_int_equal(lease_may_write(&l, 10000 + LEN / 3), 0);
	assert_int_equal(lease_may_write(&l, 10000 + 60 * LEN), 0);
	l.leader = 0;
	assert_int_equal(lease_may_write(&l, 10000), 0);
	lease_free(&l);
}

/* A leader renewing (or paused) and a follower reading at random times:
 * whenever the follower would take over, the leader may no longer write. */
static void test_never_two_writers(void **state)
{
	unsigned seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		struct lease lead, follow;
		struct buf v = BUF_INIT;
		uint64_t now = 0, pause_from, pause_len;
		unsigned long n = 1;

		assert_int_equal(lease_init(&lead, "cn=lease", "a:1:1", LEN), 0);
		assert_int_equal(lease_init(&follow, "cn=lease", "b:2:2", LEN), 0);
		lead.leader = 1;
		lead.ok_ms = 0;
		assert_int_equal(lease_value(&lead, n, &v), 0);
		pause_from = (uint64_t)(rand_r(&seed) % 20000);
		pause_len = (uint64_t)(rand_r(&seed) % (3 * LEN));
		while (now < 40000) {
			now += (uint64_t)(rand_r(&seed) % 400);
			/* The leader renews every sixth, unless paused. */
			if ((now < pause_from || now >= pause_from + pause_len) &&
			    now - lead.ok_ms >= LEN / 6) {
				lead.ok_ms = now; /* sent now, committed at once */
				buf_reset(&v);
				assert_int_equal(lease_value(&lead, ++n, &v), 0);
			}
			/* The follower reads what the directory holds. */
			assert_int_equal(lease_observe(&follow, buf_str(&v), now), 0);
			if (lease_due(&follow, now) == LEASE_TAKE) {
				/* Taking over now: the leader must be silent, and
				 * has been for no longer than T/2 and two reads. */
				assert_int_equal(lease_may_write(&lead, now), 0);
				assert_true(now - lead.ok_ms <= LEN / 2 + 800);
				break;
			}
		}
		buf_free(&v);
		lease_free(&lead);
		lease_free(&follow);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value_and_holder),
	    cmocka_unit_test(test_follower),
	    cmocka_unit_test(test_leader),
	    cmocka_unit_test(test_never_two_writers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
