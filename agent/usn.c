/* usn.c - following changes on Active Directory by uSNChanged.
 * Once per poll interval the DC's rootDSE says its highestCommittedUSN;
 * when it moved, what changed above the last one seen is read under the
 * base, and what changed in the whole naming context but is no longer there
 * (deleted, moved out, filtered out) is reported gone. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cache.h"
#include "ldapc.h"
#include "log.h"
#include "usn.h"

#define COOKIE_TAG "dirmail-usn:1:"

struct usn {
	struct ldapc *c;
	char *base, *filter, **attrs;
	int page_size, persist;
	int tfd;          /* a timer: readable when the next poll is due */
	long interval_ms; /* between polls */
	char *nc;         /* the naming context holding base */
	char *dsa;        /* dsServiceName the invocationId was read from */
	unsigned char inv[16];
	int have_inv; /* inv is the database's the cookie or a poll saw */
	uint64_t usn; /* every change up to it is reported */
	int have_usn; /* from the cookie, or a poll has run */
	int first;    /* the first poll: it ends the refresh */
	int over;     /* the search is over: rc, refresh, why */
	enum ldapc_rc rc;
	int refresh;
	struct buf why;
	/* during one poll */
	const struct ldapc_sync_cb *cb;
	void *arg;
	int stopped; /* a callback returned -1 */
	unsigned char (*seen)[16];
	size_t nseen, capseen;
};

int usn_cookie_encode(const unsigned char inv[16], uint64_t usn, struct buf *out)
{
	size_t i;

	if (buf_puts(out, COOKIE_TAG) < 0)
		return -1;
	for (i = 0; i < 16; i++)
		if (buf_printf(out, "%02x", inv[i]) < 0)
			return -1;
	return buf_printf(out, ":%" PRIu64, usn);
}

int usn_cookie_decode(const void *p, size_t len, unsigned char inv[16], uint64_t *usn)
{
	const char *s = p, *end = s + len;
	size_t tag = strlen(COOKIE_TAG), i;
	uint64_t v = 0;

	if (len < tag + 32 + 2 || memcmp(s, COOKIE_TAG, tag) != 0)
		return -1;
	s += tag;
	for (i = 0; i < 16; i++) {
		int hi = buf_hexval((unsigned char)s[2 * i]),
		    lo = buf_hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		inv[i] = (unsigned char)(hi << 4 | lo);
	}
	s += 32;
	if (*s++ != ':' || s == end)
		return -1;
	for (; s < end; s++) {
		uint64_t dg = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9' || v > (UINT64_MAX - dg) / 10)
			return -1;
		v = v * 10 + dg;
	}
	*usn = v;
	return 0;
}

void usn_guid_format(const unsigned char g[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12],
	         g[13], g[14], g[15]);
}

const char *usn_naming_context(const char *dn, const char *const *ncs, size_t n)
{
	const char *best = NULL;
	size_t k;

	for (k = 0; k < n; k++)
		if (ldapc_dn_under(dn, ncs[k]) && (best == NULL || strlen(ncs[k]) > strlen(best)))
			best = ncs[k];
	return best;
}

/* ---- the source ----------------------------------------------------------- */

static void arm(struct usn *u, long ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	if (ms <= 0)
		its.it_value.tv_nsec = 1; /* 0 would disarm it */
	(void)timerfd_settime(u->tfd, 0, &its, NULL);
}

static void usn_end(void *s)
{
	struct usn *u = s;
	size_t i;

	if (u == NULL)
		return;
	if (u->tfd >= 0)
		close(u->tfd);
	free(u->base);
	free(u->filter);
	for (i = 0; u->attrs && u->attrs[i]; i++)
		free(u->attrs[i]);
	free(u->attrs);
	free(u->nc);
	free(u->dsa);
	free(u->seen);
	buf_free(&u->why);
	free(u);
}

static enum ldapc_rc usn_start(struct ldapc *c, const struct conf *conf, const char *filter,
                               const char *const *attrs, const void *cookie, size_t len,
                               int persist, void **out, struct buf *err)
{
	struct usn *u = calloc(1, sizeof(*u));
	size_t n = 0, i;

	*out = NULL;
	if (u == NULL)
		goto oom;
	u->tfd = -1;
	u->c = c;
	u->page_size = conf->page_size;
	u->persist = persist;
	u->interval_ms = (long)conf->poll_interval * 1000;
	u->first = 1;
	u->base = strdup(conf->base);
	u->filter = strdup(filter != NULL ? filter : "(objectClass=*)");
	while (attrs != NULL && attrs[n] != NULL)
		n++;
	u->attrs = calloc(n + 1, sizeof(*u->attrs));
	if (u->base == NULL || u->filter == NULL || u->attrs == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		if ((u->attrs[i] = strdup(attrs[i])) == NULL)
			goto oom;
	if (cookie != NULL && len > 0) {
		if (usn_cookie_decode(cookie, len, u->inv, &u->usn) < 0) {
			/* Another source's cookie (the directory was not AD
			 * when it was kept): nothing to resume from, said by
			 * the first poll. */
			u->refresh = 1;
			(void)!buf_puts(&u->why, "the cookie kept is not one of uSNChanged");
		} else {
			u->have_inv = u->have_usn = 1;
		}
	}
	u->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (u->tfd < 0) {
		(void)!buf_printf(err, "timerfd_create: %s", strerror(errno));
		usn_end(u);
		return LDAPC_FATAL;
	}
	arm(u, 0);
	*out = u;
	return LDAPC_OK;
oom:
	usn_end(u);
	(void)!buf_puts(err, "out of memory");
	return LDAPC_FATAL;
}

static int usn_fd(const void *s)
{
	const struct usn *u = s;

	return u->over ? -1 : u->tfd;
}

/* Reads the DC's state: *hcu its highestCommittedUSN; the naming context
 * holding the base, once; the invocationId of its database whenever the
 * connection is to another DC than last time. A database other than the
 * cookie's sets u->refresh. */
static enum ldapc_rc read_dc(struct usn *u, uint64_t *hcu, struct buf *err)
{
	static const char *const root_attrs[] = {"highestCommittedUSN", "dsServiceName",
	                                         "namingContexts", NULL};
	static const char *const poll_attrs[] = {"highestCommittedUSN", "dsServiceName", NULL};
	static const char *const inv_attrs[] = {"invocationId", NULL};
	struct entry *root = NULL, *dsa = NULL;
	const struct entry_attr *a;
	const char *h, *name;
	enum ldapc_rc rc;
	char *end;

	/* The naming context is looked for once, not at every poll. */
	rc = ldapc_read(u->c, "", u->nc != NULL ? poll_attrs : root_attrs, &root, err);
	if (rc != LDAPC_OK)
		goto done;
	h = entry_first(root, "highestCommittedUSN");
	name = entry_first(root, "dsServiceName");
	errno = 0;
	if (h == NULL || name == NULL ||
	    (*hcu = strtoull(h, &end, 10), errno != 0 || *end != '\0')) {
		(void)!buf_printf(err,
		                  "%s: the rootDSE shows no highestCommittedUSN or dsServiceName",
		                  ldapc_uri(u->c));
		rc = LDAPC_FATAL;
		goto done;
	}
	if (u->nc == NULL) {
		const char *nc;

		a = entry_get(root, "namingContexts");
		if (a != NULL) {
			const char **ncs = calloc(a->nvals + 1, sizeof(*ncs));
			size_t k;

			if (ncs == NULL)
				goto oom;
			for (k = 0; k < a->nvals; k++)
				ncs[k] = a->vals[k].val;
			nc = usn_naming_context(u->base, ncs, a->nvals);
			if (nc != NULL && (u->nc = strdup(nc)) == NULL) {
				free(ncs);
				goto oom;
			}
			free(ncs);
		}
		if (u->nc == NULL) {
			(void)!buf_printf(err,
			                  "%s: the base \"%s\" is in none of its namingContexts",
			                  ldapc_uri(u->c), u->base);
			rc = LDAPC_FATAL;
			goto done;
		}
	}
	if (u->dsa == NULL || strcasecmp(u->dsa, name) != 0) {
		char was[37], now[37];

		rc = ldapc_read(u->c, name, inv_attrs, &dsa, err);
		if (rc != LDAPC_OK)
			goto done;
		a = entry_get(dsa, "invocationId");
		if (a == NULL || a->nvals != 1 || a->vals[0].len != 16) {
			(void)!buf_printf(err,
			                  "%s: \"%s\" shows no invocationId this bind can read; "
			                  "it tells a restored or another DC's database apart",
			                  ldapc_uri(u->c), name);
			rc = LDAPC_FATAL;
			goto done;
		}
		if (u->have_inv && memcmp(u->inv, a->vals[0].val, 16) != 0) {
			usn_guid_format(u->inv, was);
			usn_guid_format((const unsigned char *)a->vals[0].val, now);
			(void)!buf_printf(&u->why,
			                  "%s: the changes kept are of another DC's database "
			                  "(invocationId %s, now %s: another DC, or one restored "
			                  "from a backup)",
			                  ldapc_uri(u->c), was, now);
			u->refresh = 1;
		}
		memcpy(u->inv, a->vals[0].val, 16);
		u->have_inv = 1;
		free(u->dsa);
		if ((u->dsa = strdup(name)) == NULL)
			goto oom;
	}
	if (!u->refresh && u->have_usn && *hcu < u->usn) {
		(void)!buf_printf(&u->why,
		                  "%s: its highestCommittedUSN %" PRIu64 " is below the %" PRIu64
		                  " already seen (a database restored from a backup)",
		                  ldapc_uri(u->c), *hcu, u->usn);
		u->refresh = 1;
	}
	rc = LDAPC_OK;
	goto done;
oom:
	(void)!buf_puts(err, "out of memory");
	rc = LDAPC_FATAL;
done:
	entry_free(root);
	entry_free(dsa);
	return rc;
}

/* The entry's objectGUID into g: 0, or -1 (said) when it has none. */
static int guid_of(const struct entry *e, unsigned char g[16])
{
	if (cache_uuid_of(e, g) < 0) {
		log_error("%s: no objectGUID this bind can read; the object is left out", e->dn);
		return -1;
	}
	return 0;
}

static int cmp_guid(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* One entry of the base search: reported as added (the first load) or
 * changed, and remembered as still there. */
static int on_changed(const struct entry *e, void *arg)
{
	struct usn *u = arg;
	unsigned char g[16];

	if (guid_of(e, g) < 0)
		return 0;
	if (u->nseen == u->capseen) {
		size_t cap = u->capseen ? 2 * u->capseen : 64;
		void *p = realloc(u->seen, cap * sizeof(*u->seen));

		if (p == NULL) {
			u->stopped = 1;
			return -1;
		}
		u->seen = p;
		u->capseen = cap;
	}
	memcpy(u->seen[u->nseen++], g, 16);
	if (u->cb->entry != NULL &&
	    u->cb->entry(u->have_usn ? LDAPC_SYNC_MODIFY : LDAPC_SYNC_ADD, g, e, u->arg) < 0) {
		u->stopped = 1;
		return -1;
	}
	return 0;
}

/* One object changed in the naming context: gone when the base search
 * did not show it (deleted, moved out of the base, or no longer matching
 * the filter); the daemon ignores what it never held. */
static int on_nc(const struct entry *e, void *arg)
{
	struct usn *u = arg;
	unsigned char g[16];

	if (cache_uuid_of(e, g) < 0)
		return 0;
	if (bsearch(g, u->seen, u->nseen, sizeof(*u->seen), cmp_guid) != NULL)
		return 0;
	if (u->cb->entry != NULL && u->cb->entry(LDAPC_SYNC_DELETE, g, e, u->arg) < 0) {
		u->stopped = 1;
		return -1;
	}
	return 0;
}

/* One poll: what changed since u->usn, or everything on the first one
 * without a cookie. */
static enum ldapc_rc run(struct usn *u, struct buf *err)
{
	static const char *const nc_attrs[] = {"objectGUID", NULL};
	struct buf f = BUF_INIT, ck = BUF_INIT;
	uint64_t hcu = 0;
	enum ldapc_rc rc;

	rc = read_dc(u, &hcu, err);
	if (rc != LDAPC_OK || u->refresh)
		goto done;
	u->nseen = 0;
	if (!u->have_usn) {
		rc = ldapc_search(u->c, u->base, LDAPC_SUB, u->filter,
		                  (const char *const *)u->attrs, u->page_size, on_changed, u, err);
		if (rc != LDAPC_OK)
			goto done;
		if (u->cb->refresh_end != NULL && u->cb->refresh_end(1, 1, u->arg) < 0)
			goto stopped;
	} else if (hcu != u->usn || u->first) {
		if (buf_printf(&f, "(&%s(uSNChanged>=%" PRIu64 "))", u->filter, u->usn + 1) < 0)
			goto oom;
		rc = ldapc_search(u->c, u->base, LDAPC_SUB, buf_str(&f),
		                  (const char *const *)u->attrs, u->page_size, on_changed, u, err);
		if (rc != LDAPC_OK)
			goto done;
		qsort(u->seen, u->nseen, sizeof(*u->seen), cmp_guid);
		buf_reset(&f);
		if (buf_printf(&f, "(uSNChanged>=%" PRIu64 ")", u->usn + 1) < 0)
			goto oom;
		rc = ldapc_search_ex(u->c, u->nc, LDAPC_SUB, buf_str(&f), nc_attrs, u->page_size,
		                     LDAPC_S_DELETED, on_nc, u, err);
		if (rc != LDAPC_OK)
			goto done;
		if (u->first && u->cb->refresh_end != NULL && u->cb->refresh_end(0, 1, u->arg) < 0)
			goto stopped;
	} else {
		goto done; /* nothing committed since the last poll */
	}
	if (usn_cookie_encode(u->inv, hcu, &ck) < 0)
		goto oom;
	if (u->cb->cookie != NULL && u->cb->cookie(ck.s, ck.len, u->arg) < 0)
		goto stopped;
	u->usn = hcu;
	u->have_usn = 1;
	u->first = 0;
	goto done;
stopped:
	(void)!buf_puts(err, "stopped by caller");
	rc = LDAPC_SKIP;
	goto done;
oom:
	(void)!buf_puts(err, "out of memory");
	rc = LDAPC_FATAL;
done:
	if (rc == LDAPC_SKIP && u->stopped) {
		buf_reset(err);
		(void)!buf_puts(err, "stopped by caller");
	}
	buf_free(&f);
	buf_free(&ck);
	return rc;
}

static enum ldapc_rc usn_poll(void *s, int timeout_ms, const struct ldapc_sync_cb *cb, void *arg,
                              int *refresh_required, struct buf *err)
{
	struct usn *u = s;
	struct pollfd pfd;
	uint64_t ticks;
	struct buf e = BUF_INIT;
	enum ldapc_rc rc;

	*refresh_required = 0;
	if (!u->over) {
		pfd.fd = u->tfd;
		pfd.events = POLLIN;
		if (timeout_ms != 0 && poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR) {
			(void)!buf_printf(err, "poll: %s", strerror(errno));
			return LDAPC_RETRY;
		}
		if (read(u->tfd, &ticks, sizeof(ticks)) != (ssize_t)sizeof(ticks))
			return LDAPC_OK; /* not due yet */
		u->cb = cb;
		u->arg = arg;
		u->stopped = 0;
		rc = u->refresh ? LDAPC_OK : run(u, &e);
		if (u->refresh) {
			u->over = 1;
			u->rc = LDAPC_RETRY;
		} else if (rc != LDAPC_OK) {
			u->over = 1;
			u->rc = rc;
			(void)!buf_puts(&u->why, buf_str(&e));
		} else if (!u->persist) {
			u->over = 1;
			u->rc = LDAPC_OK;
		} else {
			arm(u, u->interval_ms);
		}
		buf_free(&e);
	}
	if (!u->over || u->rc == LDAPC_OK)
		return LDAPC_OK;
	*refresh_required = u->refresh;
	(void)!buf_puts(err, buf_str(&u->why));
	return u->rc;
}

const struct sync_source sync_source_usn = {
    "uSNChanged", 1, usn_start, usn_fd, usn_poll, usn_end,
};
