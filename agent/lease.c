/* lease.c - one writer among several dirmail run instances.
 * The state machine (which step is due, whether the leader may write) is
 * pure and tested on a clock of the tests' own; lease_step does the step
 * against the directory through ldapc. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entry.h"
#include "lease.h"
#include "ldapc.h"
#include "log.h"

#define FREE_VALUE "free"

int lease_init(struct lease *l, const char *dn, const char *me, uint64_t len_ms)
{
	memset(l, 0, sizeof(*l));
	l->dn = strdup(dn);
	l->me = strdup(me);
	l->len_ms = len_ms;
	if (l->dn == NULL || l->me == NULL) {
		lease_free(l);
		return -1;
	}
	return 0;
}

void lease_free(struct lease *l)
{
	if (l == NULL)
		return;
	free(l->dn);
	free(l->me);
	free(l->seen);
	memset(l, 0, sizeof(*l));
}

int lease_value(const struct lease *l, unsigned long n, struct buf *out)
{
	return buf_printf(out, "holder=%s n=%lu", l->me, n);
}

int lease_holder(const char *value, struct buf *out)
{
	const char *sp;

	if (value == NULL || strcmp(value, FREE_VALUE) == 0 || *value == '\0')
		return 0;
	if (strncmp(value, "holder=", 7) != 0)
		return buf_puts(out, value);
	value += 7;
	sp = strchr(value, ' ');
	return buf_add(out, value, sp != NULL ? (size_t)(sp - value) : strlen(value));
}

/* 1 when value names this instance. */
static int is_mine(const struct lease *l, const char *value)
{
	size_t n = strlen(l->me);

	return value != NULL && strncmp(value, "holder=", 7) == 0 &&
	       strncmp(value + 7, l->me, n) == 0 && value[7 + n] == ' ';
}

static int is_free(const char *value)
{
	return value == NULL || *value == '\0' || strcmp(value, FREE_VALUE) == 0;
}

enum lease_act lease_due(const struct lease *l, uint64_t now)
{
	if (now < l->next_ms)
		return LEASE_WAIT;
	if (l->leader)
		return LEASE_RENEW;
	if (l->have_seen &&
	    (is_free(l->seen) || is_mine(l, l->seen) || now - l->seen_ms >= l->len_ms / 2))
		return LEASE_TAKE;
	return LEASE_READ;
}

int lease_observe(struct lease *l, const char *value, uint64_t now)
{
	char *copy = NULL;

	if (l->have_seen &&
	    (value == NULL ? l->seen == NULL : l->seen != NULL && strcmp(value, l->seen) == 0))
		return 0; /* unchanged: seen_ms keeps counting */
	if (value != NULL && (copy = strdup(value)) == NULL)
		return -1;
	free(l->seen);
	l->seen = copy;
	l->have_seen = 1;
	l->seen_ms = now;
	return 0;
}

int lease_may_write(const struct lease *l, uint64_t now)
{
	return l->leader && now - l->ok_ms < l->len_ms / 3;
}

/* ---- against the directory ------------------------------------------------- */

/* Swaps the value the entry holds (l->seen; NULL: creates the entry) for
 * next. 1 when done, 0 when someone else changed it first, -1 with the
 * reason in err. */
static int swap(struct lease *l, struct ldapc *c, const char *cls, int assert, const char *next,
                struct buf *err)
{
	struct buf f = BUF_INIT, rdn = BUF_INIT;
	struct entry_val oldv, newv, cv, rv;
	struct entry_mod mods[3];
	size_t n = 0;
	enum ldapc_rc rc;
	int code, r = -1, msgid = -1;

	newv.val = (char *)(uintptr_t)next;
	newv.len = strlen(next);
	if (l->seen == NULL) {
		/* A new entry: "cn=NAME,..." is what dirmail can create. */
		const char *v = l->dn + 3, *end = strchr(v, ',');

		if (strncasecmp(l->dn, "cn=", 3) != 0 || end == NULL || memchr(v, '\\', end - v)) {
			(void)!buf_printf(err,
			                  "%s: no such entry; create it (class %s) or name one "
			                  "\"cn=NAME,...\" for dirmail to create",
			                  l->dn, cls);
			goto done;
		}
		if (buf_add(&rdn, v, (size_t)(end - v)) < 0)
			goto oom;
		cv.val = (char *)(uintptr_t)cls;
		cv.len = strlen(cls);
		rv.val = rdn.s;
		rv.len = rdn.len;
		mods[n++] = (struct entry_mod){ENTRY_MOD_ADD, "objectClass", &cv, 1};
		mods[n++] = (struct entry_mod){ENTRY_MOD_ADD, "cn", &rv, 1};
		mods[n++] = (struct entry_mod){ENTRY_MOD_ADD, "description", &newv, 1};
		rc = ldapc_send(c, LDAPC_W_ADD, l->dn, mods, n, NULL, NULL, &msgid, err);
		if (rc == LDAPC_OK)
			rc = ldapc_wait(c, &msgid, err);
	} else {
		if (*l->seen != '\0') {
			oldv.val = l->seen;
			oldv.len = strlen(l->seen);
			mods[n++] = (struct entry_mod){ENTRY_MOD_DELETE, "description", &oldv, 1};
			if (assert && (buf_puts(&f, "(description=") < 0 ||
			               ldapc_filter_escape(&f, l->seen, strlen(l->seen)) < 0 ||
			               buf_puts(&f, ")") < 0))
				goto oom;
		} else if (assert && buf_puts(&f, "(!(description=*))") < 0) {
			goto oom;
		}
		mods[n++] = (struct entry_mod){ENTRY_MOD_ADD, "description", &newv, 1};
		rc = ldapc_modify(c, l->dn, mods, n, f.len ? buf_str(&f) : NULL, err);
	}
	code = ldapc_result_code(c);
	if (rc != LDAPC_OK && l->seen == NULL && code == 68) {
		buf_reset(err);
		(void)!buf_printf(err, "%s exists, and this bind cannot read its description",
		                  l->dn);
	} else if (rc == LDAPC_OK)
		r = 1;
	else if (rc == LDAPC_STALE || code == 16 || code == 20 || code == 68)
		r = 0; /* assertion failed, noSuchAttribute, exists, entry exists */
	goto done;
oom:
	(void)!buf_puts(err, "out of memory");
done:
	buf_free(&f);
	buf_free(&rdn);
	return r;
}

static int read_value(struct lease *l, struct ldapc *c, uint64_t now, struct buf *err)
{
	static const char *const attrs[] = {"description", NULL};
	struct entry *e = NULL;
	enum ldapc_rc rc;
	int r = 0;

	rc = ldapc_read(c, l->dn, attrs, &e, err);
	if (rc == LDAPC_OK) {
		const char *v = entry_first(e, "description");

		r = lease_observe(l, v != NULL ? v : "", now);
	} else if (rc == LDAPC_SKIP) {
		/* No such entry (or none this bind may read: creating it then
		 * fails and says so). */
		buf_reset(err);
		r = lease_observe(l, NULL, now);
	} else {
		r = -1;
	}
	if (r < 0 && err->len == 0)
		(void)!buf_puts(err, "out of memory");
	entry_free(e);
	return r;
}

int lease_step(struct lease *l, struct ldapc *c, const char *cls, int assert, uint64_t now,
               struct buf *err)
{
	struct buf next = BUF_INIT, who = BUF_INIT;
	enum lease_act act = lease_due(l, now);
	uint64_t silent = now - l->seen_ms;
	int r = 0, sw;

	if (act == LEASE_WAIT)
		return 0;
	l->next_ms = now + (act == LEASE_RENEW ? l->len_ms / 6 : l->len_ms / 4);
	if (act == LEASE_READ) {
		r = read_value(l, c, now, err);
		if (r == 0 && lease_due(l, now) == LEASE_TAKE)
			l->next_ms = now; /* free, or ours from before a restart */
		goto done;
	}
	if ((act == LEASE_TAKE && lease_holder(l->seen, &who) < 0) ||
	    lease_value(l, act == LEASE_RENEW ? l->n + 1 : 1, &next) < 0) {
		(void)!buf_puts(err, "out of memory");
		r = -1;
		goto done;
	}
	sw = swap(l, c, cls, assert, buf_str(&next), err);
	if (sw < 0) {
		l->next_ms = now + 1000; /* the directory: again soon */
		r = -1;
		goto done;
	}
	if (sw == 0) {
		/* Someone else changed it first: read it again now. */
		buf_reset(err);
		l->have_seen = 0;
		l->next_ms = now;
		if (l->leader) {
			l->leader = 0;
			log_error(
			    "lease: %s was taken over by another instance; no further write is "
			    "sent",
			    l->dn);
		}
		goto done;
	}
	if (lease_observe(l, buf_str(&next), now) < 0) {
		(void)!buf_puts(err, "out of memory");
		r = -1;
		goto done;
	}
	if (!l->leader) {
		if (who.len > 0)
			log_notice("lease: %s taken over from %s, silent for %llu s; this instance "
			           "(%s) writes",
			           l->dn, buf_str(&who), (unsigned long long)silent / 1000, l->me);
		else
			log_notice("lease: %s is held by this instance (%s); it writes", l->dn,
			           l->me);
		l->n = 0;
	}
	l->leader = 1;
	l->ok_ms = now;
	l->n++;
done:
	buf_free(&next);
	buf_free(&who);
	return r;
}

int lease_release(struct lease *l, struct ldapc *c, int assert, struct buf *err)
{
	int sw;

	if (!l->leader)
		return 0;
	sw = swap(l, c, "", assert, FREE_VALUE, err);
	l->leader = 0;
	if (sw < 0)
		return -1;
	log_info("lease: %s released", l->dn);
	return 0;
}
