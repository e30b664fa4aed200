/* sync.c - dirmail run: the daemon loop; it orchestrates, nothing more.
 * The change source fills the cache (every recipient by entryUUID) and the
 * account entry; whenever something changed, one pass runs over the cache
 * (dependents follow: the policy sees everyone) and the cookie of what it
 * applied is kept. Outages, reloads and stops are handled between passes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "cache.h"
#include "export.h"
#include "hash.h"
#include "journal.h"
#include "lease.h"
#include "log.h"
#include "notify.h"
#include "profile.h"
#include "reconcile.h"
#include "state.h"
#include "status.h"
#include "sync.h"

/* The file in the state directory that holds the daemon's pid, locked
 * while it runs: one daemon per state directory. */
#define PID_FILE STATE_PID_FILE
/* How long the next pass waits for the echoes of the last one's writes
 * once the source is silent. */
#define ECHO_WAIT_MS 200
/* The cookie is written at most this often (and at the stop). */
#define COOKIE_EVERY_MS 1000
/* The status (and the metrics) are written at most once a second after
 * they change, and this often besides, so that their time and the sync
 * lag stay current. */
#define STATUS_SOON_MS 1000
#define STATUS_EVERY_MS 30000

static enum ldapc_rc rfc4533_start(struct ldapc *c, const struct conf *conf, const char *filter,
                                   const char *const *attrs, const void *cookie, size_t len,
                                   int persist, void **out, struct buf *err)
{
	struct ldapc_sync *s = NULL;
	enum ldapc_rc rc;

	rc = ldapc_sync_start(c, conf->base, filter, attrs, cookie, len, persist, &s, err);
	*out = s;
	return rc;
}

static int rfc4533_fd(const void *s)
{
	return ldapc_sync_fd(s);
}

static enum ldapc_rc rfc4533_poll(void *s, int timeout_ms, const struct ldapc_sync_cb *cb,
                                  void *arg, int *refresh_required, struct buf *err)
{
	return ldapc_sync_poll(s, timeout_ms, cb, arg, refresh_required, err);
}

static void rfc4533_end(void *s)
{
	ldapc_sync_end(s);
}

const struct sync_source sync_source_rfc4533 = {
    "RFC 4533 content synchronisation", 0, rfc4533_start, rfc4533_fd, rfc4533_poll, rfc4533_end,
};

static volatile sig_atomic_t got_term, got_hup;
static int wake_fd = -1; /* the self-pipe's write end */

static void on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (wake_fd >= 0)
		(void)!write(wake_fd, "", 1);
	errno = saved;
}

struct daemon {
	const struct sync_host *h;
	struct conf *c;
	int foreground;
	struct ldapc *rw;       /* passes: reads, filters, writes */
	struct ldapc *sl;       /* the change source's own */
	struct ldapc *ll;       /* the lease's own (sync.lease_dn) */
	struct lease lease;     /* lease.dn NULL: one instance, no lease */
	void *sync;             /* NULL: not following changes */
	struct sync_flavour fl; /* of the directory last connected to */
	struct cache *cache;    /* every recipient, by entryUUID */
	struct rec_memo *memo;  /* what the last pass made of the cache */
	uint64_t trim_ms;       /* when memory was last given back */
	uint64_t tick_ms;       /* when a pass last fed the watchdog */
	struct entry *acct_e;   /* the account entry as last delivered */
	unsigned char acct_uuid[CACHE_UUID_LEN];
	int acct_marked;         /* reported during this refresh */
	struct account acct;     /* acct_e parsed and checked */
	int acct_ok, acct_stale; /* acct matches acct_e and is usable / must be checked */
	struct buf cookie;       /* the last the source gave */
	struct buf done;         /* the last whose changes are applied */
	struct buf applied;      /* the last kept in the state directory */
	int have_cookie, have_done, have_applied;
	uint64_t cookie_saved_ms;
	int refreshing; /* until the refresh is done, no pass */
	int whole;      /* this refresh started without a cookie: sweep at its end */
	int full_due;   /* the next start reads everything again */
	int dirty;      /* changes not yet applied */
	int interrupted_pass;
	uint64_t next_full_ms;
	uint64_t retry_pass_ms; /* a pass that could not write waits until then */
	/* outages */
	int down;
	uint64_t down_since_ms, retry_ms;
	unsigned attempt;
	int wake_rd;
	int lock_fd;
	char *pid_path;
	struct journal *j; /* open from the first write to the stop */
	size_t changes, passes;
	struct buf pass_id; /* of the pass running, for its journal records */
	int oom;            /* a callback of the source ran out of memory */
	int standby_said;   /* "standing by" logged since the lease was last held */
	int lease_changed;  /* a reload changed the lease's settings */
	int lease_failing;  /* the last lease step failed (said once) */
	int ready;          /* READY=1 sent */
	/* The changes the passes' own writes cause come back through the
	 * source, one per write: the DNs written and not seen back yet, each
	 * as often as written. Such an echo updates the cache and needs no
	 * pass (the pass that wrote it computed that state); a pass waits for
	 * the echoes (or for ECHO_WAIT_MS of silence) so that it does not
	 * compute from what they replaced. */
	struct echo *echo;
	size_t echo_cap, echo_used; /* slots, slots holding a DN */
	size_t echoes;              /* slots whose count is not 0 */
	uint64_t echo_ms;
	/* What dirmail status and the metrics show (status.h). */
	struct status st;
	int st_dirty;            /* changed since it was last written */
	uint64_t st_saved_ms;    /* when it was */
	struct buf down_why;     /* the outage's reason */
	const char *idle_why;    /* why passes do not run (the account entry), or NULL */
	int st_failed, m_failed; /* the last write of the status, the metrics failed */
};

struct echo {
	char *dn; /* as written; NULL: empty slot */
	size_t count;
};

/* The slot of dn (compared without case), or the empty one where it
 * would go; the table is never full (echo_add grows it first). */
static struct echo *echo_slot(const struct daemon *d, const char *dn)
{
	size_t m = d->echo_cap - 1, i = hash_slot(hash_nocase(dn)) & m;

	while (d->echo[i].dn != NULL && strcasecmp(d->echo[i].dn, dn) != 0)
		i = (i + 1) & m;
	return &d->echo[i];
}

static void echo_clear(struct daemon *d)
{
	size_t k;

	for (k = 0; k < d->echo_cap; k++)
		free(d->echo[k].dn);
	free(d->echo);
	d->echo = NULL;
	d->echo_cap = d->echo_used = d->echoes = 0;
}

/* rec_opts.written: one more echo to expect for dn. Out of memory, the
 * echo is simply not recognised: it costs a pass, nothing else. */
static void echo_add(const char *dn, void *arg)
{
	struct daemon *d = arg;
	struct echo *e;

	if ((d->echo_used + 1) * 2 > d->echo_cap) {
		struct echo *old = d->echo;
		size_t oldcap = d->echo_cap, k, cap = oldcap ? 2 * oldcap : 256;

		d->echo = calloc(cap, sizeof(*d->echo));
		if (d->echo == NULL) {
			d->echo = old;
			return;
		}
		d->echo_cap = cap;
		for (k = 0; k < oldcap; k++)
			if (old[k].dn != NULL)
				*echo_slot(d, old[k].dn) = old[k];
		free(old);
	}
	e = echo_slot(d, dn);
	if (e->dn == NULL) {
		e->dn = strdup(dn);
		if (e->dn == NULL)
			return;
		d->echo_used++;
	}
	if (e->count++ == 0)
		d->echoes++;
}

/* 1 when a change of dn is the echo of a write of dirmail's (consumed:
 * one, or all writes of dn when the source coalesces), else 0. Slots are
 * only emptied by echo_clear, once none is expected. */
static int echo_take(struct daemon *d, const char *dn, int all)
{
	struct echo *e;

	if (d->echo_cap == 0)
		return 0;
	e = echo_slot(d, dn);
	if (e->dn == NULL || e->count == 0)
		return 0;
	if (all)
		e->count = 1;
	if (--e->count == 0 && --d->echoes == 0)
		echo_clear(d);
	return 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- what the change source reports ------------------------------------ */

static int is_acct(const struct daemon *d, const unsigned char uuid[CACHE_UUID_LEN])
{
	return d->acct_e != NULL && memcmp(d->acct_uuid, uuid, CACHE_UUID_LEN) == 0;
}

static void forget(struct daemon *d, const unsigned char uuid[CACHE_UUID_LEN])
{
	if (is_acct(d, uuid)) {
		log_error("%s: the account entry was deleted or left the base; nothing is written "
		          "until it is back",
		          d->acct_e->dn);
		entry_free(d->acct_e);
		d->acct_e = NULL;
		d->acct_stale = 1;
		d->dirty = 1;
	} else if (cache_del(d->cache, uuid)) {
		d->dirty = 1;
	}
}

/* Takes a new or changed entry: the account entry, or a recipient. */
static int take_entry(struct daemon *d, const unsigned char uuid[CACHE_UUID_LEN],
                      const struct entry *e)
{
	if (reconcile_is_account(e)) {
		struct entry *copy;

		if (d->acct_e != NULL && !is_acct(d, uuid)) {
			log_error(
			    "%s: a second account entry under \"%s\"; it is ignored (the base must "
			    "hold one tenant)",
			    e->dn, d->c->base);
			return 0;
		}
		copy = entry_dup(e);
		if (copy == NULL)
			return -1;
		entry_free(d->acct_e);
		d->acct_e = copy;
		memcpy(d->acct_uuid, uuid, CACHE_UUID_LEN);
		d->acct_marked = 1;
		d->acct_stale = 1;
		d->dirty = 1;
		/* Once an account entry, it is not a recipient as well. */
		(void)cache_del(d->cache, uuid);
		return 0;
	}
	if (cache_put(d->cache, uuid, e) < 0)
		return -1;
	d->dirty = 1;
	return 0;
}

static void mark(struct daemon *d, const unsigned char uuid[CACHE_UUID_LEN])
{
	if (is_acct(d, uuid))
		d->acct_marked = 1;
	else
		(void)cache_mark(d->cache, uuid);
}

static int on_entry(enum ldapc_sync_state st, const unsigned char uuid[16], const struct entry *e,
                    void *arg)
{
	struct daemon *d = arg;
	int echo = 0, dirty = d->dirty, rc = 0;

	d->changes++;
	if (st != LDAPC_SYNC_PRESENT && !d->refreshing) {
		echo = echo_take(d, e->dn, d->fl.source->coalesces);
		d->echo_ms = now_ms();
		if (!echo) {
			d->st.changes++;
			d->st.last_change = time(NULL);
			d->st_dirty = 1;
		}
	}
	switch (st) {
	case LDAPC_SYNC_PRESENT:
		mark(d, uuid);
		return 0;
	case LDAPC_SYNC_DELETE:
		forget(d, uuid);
		break;
	case LDAPC_SYNC_ADD:
	case LDAPC_SYNC_MODIFY:
		log_debug("%s: %s%s", e->dn, st == LDAPC_SYNC_ADD ? "added" : "changed",
		          echo ? " (dirmail's own write)" : "");
		rc = take_entry(d, uuid, e);
		break;
	}
	/* dirmail's own write: the pass that made it computed this state.
	 * From a source that coalesces, the report may carry an admin's
	 * change as well: a pass looks (it finds nothing to do when there
	 * was none). */
	if (echo && !d->fl.source->coalesces)
		d->dirty = dirty;
	if (rc < 0)
		d->oom = 1;
	return rc;
}

static int on_idset(const unsigned char (*uuids)[16], size_t n, int deletes, void *arg)
{
	struct daemon *d = arg;
	size_t k;

	for (k = 0; k < n; k++) {
		if (deletes)
			forget(d, uuids[k]);
		else
			mark(d, uuids[k]);
	}
	return 0;
}

/* The outage is over once the source has delivered a whole refresh
 * again, not when a connection merely opens: a server that accepts
 * connections and refuses the sync is still an outage, retried with the
 * growing wait. */
static void outage_over(struct daemon *d)
{
	if (!d->down)
		return;
	log_info("directory available again at %s after %llu s", ldapc_uri(d->sl),
	         (unsigned long long)((now_ms() - d->down_since_ms) / 1000));
	d->down = 0;
	d->st.down_since = 0;
	d->st_dirty = 1;
}

static int on_refresh_end(int present, int done, void *arg)
{
	struct daemon *d = arg;
	size_t gone;

	if (present || d->whole) {
		/* What the refresh did not report is gone. */
		gone = cache_sweep(d->cache);
		if (gone > 0) {
			log_info("%zu recipients are gone since the last cookie", gone);
			d->dirty = 1;
		}
		if (d->acct_e != NULL && !d->acct_marked)
			forget(d, d->acct_uuid); /* an array of d's own: it outlives the entry */
	}
	if (done && d->refreshing) {
		d->refreshing = 0;
		outage_over(d);
		log_debug("refresh done: %zu recipients", cache_count(d->cache));
	}
	return 0;
}

static int on_cookie(const void *cookie, size_t len, void *arg)
{
	struct daemon *d = arg;

	/* slapd ends a load from a cookie it could not read with an empty
	 * one: nothing to resume from. */
	if (len == 0)
		return 0;
	buf_reset(&d->cookie);
	if (buf_add(&d->cookie, cookie, len) < 0) {
		d->oom = 1;
		return -1;
	}
	d->have_cookie = 1;
	return 0;
}

static const struct ldapc_sync_cb callbacks = {on_entry, on_idset, on_refresh_end, on_cookie};

/* ---- connections and outages --------------------------------------------- */

static void disconnect(struct daemon *d)
{
	if (d->sync != NULL)
		d->fl.source->end(d->sync);
	d->sync = NULL;
	ldapc_close(d->sl);
	ldapc_close(d->rw);
	ldapc_close(d->ll);
	d->sl = d->rw = d->ll = NULL;
	/* What comes after a reconnection is no echo to wait for. */
	echo_clear(d);
}

/* The directory is out of reach: logged once when it starts; the next
 * attempt waits 1, 2, 4 ... up to sync.backoff_max seconds, half of it
 * random so that many agents do not come back at once. */
static void outage(struct daemon *d, const char *why)
{
	uint64_t cap = (uint64_t)d->c->backoff_max * 1000, wait = 1000, r = 0;
	unsigned k;

	disconnect(d);
	if (!d->down) {
		d->down = 1;
		d->down_since_ms = now_ms();
		d->attempt = 0;
		log_error("directory unavailable: %s; trying again until it answers", why);
		(void)notify_status("directory unavailable: %s", why);
		d->st.down_since = time(NULL);
		buf_reset(&d->down_why);
		(void)!buf_puts(&d->down_why, why);
		d->st_dirty = 1;
	}
	for (k = 0; k < d->attempt && wait < cap; k++)
		wait *= 2;
	if (wait > cap)
		wait = cap;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) < 0)
		r = now_ms();
	d->retry_ms = now_ms() + wait / 2 + r % (wait / 2 + 1);
	d->attempt++;
}

/* Reads what kind of directory the connections reach and takes its
 * flavour: EX_OK, or EX_UNAVAILABLE with the reason in err. Another
 * change source than the last one cannot resume from its cookie. */
static int follow_profile(struct daemon *d, struct buf *err)
{
	struct sync_flavour fl;
	struct profile p;
	int lrc;

	if (profile_read(d->rw, &p, &lrc, err) < 0)
		return EX_UNAVAILABLE;
	memset(&fl, 0, sizeof(fl));
	d->h->flavour(&p, &fl);
	if (d->fl.source != NULL && fl.source != d->fl.source) {
		log_warn("%s is %s now: following its changes by %s; reading everything again",
		         ldapc_uri(d->rw), profile_name(&p), fl.source->name);
		d->full_due = 1;
	}
	if (d->fl.source != fl.source)
		log_debug("%s: %s, changes by %s", ldapc_uri(d->rw), profile_name(&p),
		          fl.source->name);
	d->fl = fl;
	profile_free(&p);
	return EX_OK;
}

/* Both connections; EX_OK, EX_UNAVAILABLE (an outage, scheduled again) or
 * the code of a configuration that cannot work. */
static int connect_all(struct daemon *d)
{
	struct buf err = BUF_INIT;
	int rc;

	rc = d->h->connect(d->c, &d->rw, &err, d->h->arg);
	if (rc == EX_OK) {
		buf_reset(&err);
		rc = d->h->connect(d->c, &d->sl, &err, d->h->arg);
	}
	if (rc == EX_OK && d->lease.dn != NULL) {
		buf_reset(&err);
		rc = d->h->connect(d->c, &d->ll, &err, d->h->arg);
	}
	if (rc == EX_OK)
		rc = follow_profile(d, &err);
	if (rc == EX_UNAVAILABLE || (rc != EX_OK && d->passes > 0)) {
		/* Once running, credentials refused are an outage too: they may
		 * be restored on the server. */
		outage(d, buf_str(&err));
		rc = EX_UNAVAILABLE;
	} else if (rc != EX_OK) {
		log_error("%s", buf_str(&err));
		disconnect(d);
	}
	buf_free(&err);
	return rc;
}

/* Reads every recipient and the account entry into the cache with a
 * paged search: a restart with a cookie has the changes since it from the
 * source, and everything else from here. */
struct load {
	struct daemon *d;
	int oom;
};

static int load_one(const struct entry *e, void *arg)
{
	struct load *ld = arg;
	unsigned char uuid[CACHE_UUID_LEN];

	if (cache_uuid_of(e, uuid) < 0) {
		log_error(
		    "%s: no entryUUID or objectGUID this bind can read; the object is left out",
		    e->dn);
		return 0;
	}
	if (take_entry(ld->d, uuid, e) < 0) {
		ld->oom = 1;
		return -1;
	}
	return 0;
}

static int load_all(struct daemon *d)
{
	struct buf err = BUF_INIT;
	struct load ld = {d, 0};
	enum ldapc_rc lrc;
	int rc = EX_OK;

	lrc = ldapc_search(d->rw, d->c->base, LDAPC_SUB, reconcile_sync_filter(),
	                   reconcile_sync_attrs(), d->c->page_size, load_one, &ld, &err);
	if (ld.oom) {
		rc = EX_OSERR;
	} else if (lrc == LDAPC_RETRY) {
		outage(d, buf_str(&err));
		rc = EX_UNAVAILABLE;
	} else if (lrc != LDAPC_OK) {
		log_error("reading the recipients under \"%s\": %s", d->c->base, buf_str(&err));
		rc = lrc == LDAPC_FATAL ? EX_CONFIG : EX_DATAERR;
	}
	buf_free(&err);
	return rc;
}

/* Starts following changes: from the cookie when there is one (after
 * reading everything when the cache is empty), else from nothing. */
static int start_sync(struct daemon *d)
{
	struct buf err = BUF_INIT;
	int from_cookie = d->have_cookie && !d->full_due;
	enum ldapc_rc lrc;
	int rc = EX_OK;

	if (from_cookie && d->acct_e == NULL && cache_count(d->cache) == 0) {
		rc = load_all(d);
		if (rc != EX_OK)
			goto done;
	}
	cache_unmark(d->cache);
	d->acct_marked = 0;
	d->whole = !from_cookie;
	if (d->whole) {
		d->acct_stale = 1;        /* a full pass checks the account's names too */
		rec_memo_forget(d->memo); /* and decides everything from scratch */
	}
	lrc = d->fl.source->start(d->sl, d->c, reconcile_sync_filter(), reconcile_sync_attrs(),
	                          from_cookie ? d->cookie.s : NULL, from_cookie ? d->cookie.len : 0,
	                          1, &d->sync, &err);
	if (lrc == LDAPC_RETRY) {
		outage(d, buf_str(&err));
		rc = EX_UNAVAILABLE;
	} else if (lrc != LDAPC_OK) {
		/* Refused (no sync provider, access): tried again like an
		 * outage, so that it is logged once and not retried at once. */
		struct buf why = BUF_INIT;

		rc = EX_UNAVAILABLE;
		if (buf_printf(&why, "following changes under \"%s\" (%s): %s", d->c->base,
		               d->fl.source->name, buf_str(&err)) < 0)
			rc = EX_OSERR;
		else
			outage(d, buf_str(&why));
		buf_free(&why);
	} else {
		d->refreshing = 1;
		d->full_due = 0;
		log_debug("following changes under \"%s\" %s", d->c->base,
		          from_cookie ? "from the cookie" : "from the whole content");
	}
done:
	buf_free(&err);
	return rc;
}

/* The server refused the cookie (why: its reason, or ""): everything is
 * read again. */
static void refresh_required(struct daemon *d, const char *why)
{
	struct buf err = BUF_INIT;

	log_warn("the directory no longer knows the cookie%s%s%s; reading everything again",
	         *why ? " (" : "", why, *why ? ")" : "");
	if (state_cookie_forget(d->c->state_dir, &err) < 0)
		log_error("%s", buf_str(&err));
	buf_reset(&d->cookie);
	d->have_cookie = 0;
	d->have_done = d->have_applied = 0;
	d->full_due = 1;
	buf_free(&err);
}

/* ---- passes --------------------------------------------------------------- */

/* Writes the cookie of the last pass that applied everything before it
 * (d->done) to the state directory, when it is not there yet. */
static int cookie_pending(const struct daemon *d)
{
	return d->have_done && !(d->have_applied && d->applied.len == d->done.len &&
	                         memcmp(d->applied.s, d->done.s, d->done.len) == 0);
}

static void save_cookie(struct daemon *d)
{
	struct buf err = BUF_INIT;

	if (!cookie_pending(d))
		return;
	if (state_cookie_save(d->c->state_dir, d->c->base, d->done.s, d->done.len, &err) < 0) {
		log_error("keeping the sync cookie: %s", buf_str(&err));
	} else {
		buf_reset(&d->applied);
		d->have_applied = buf_add(&d->applied, d->done.s, d->done.len) == 0;
		d->cookie_saved_ms = now_ms();
	}
	buf_free(&err);
}

/* Notes cookie as applied; the loop writes it at most once a second (a
 * restart from an older one only sees changes again that it applies with
 * no write), and at the stop. */
static void keep_cookie(struct daemon *d, const struct buf *cookie)
{
	buf_reset(&d->done);
	d->have_done = buf_add(&d->done, cookie->s, cookie->len) == 0;
}

/* Checks the account entry again when it changed (or a full pass asks):
 * EX_OK with d->acct_ok saying whether passes can run. */
static int pass_opts(struct daemon *d, struct rec_opts *o);

static int check_account(struct daemon *d)
{
	struct buf why = BUF_INIT;
	int rc;

	if (!d->acct_stale)
		return EX_OK;
	account_free(&d->acct);
	memset(&d->acct, 0, sizeof(d->acct));
	d->acct_ok = 0;
	if (d->acct_e == NULL) {
		log_error("no account entry (objectClass dirmailAccount) under \"%s\"; nothing is "
		          "written until there is one",
		          d->c->base);
		d->acct_stale = 0;
		return EX_OK;
	}
	rc = reconcile_check_account(d->rw, d->acct_e, &d->acct, &why);
	if (rc == EX_UNAVAILABLE)
		goto done;
	d->acct_stale = 0;
	d->acct_ok = rc == EX_OK;
	rc = EX_OK;
	if (!d->acct_ok && why.len == 0) {
		log_error("%s: the account entry names an entry this bind cannot read; nothing is "
		          "written until that changes",
		          d->acct_e->dn);
	} else if (!d->acct_ok) {
		struct rec_opts o;
		struct rec_stats st;

		log_error("%s: the account entry or an entry it names is wrong or cannot be read "
		          "by this bind; nothing is written until it changes but its "
		          "dirmailState, which says why",
		          d->acct_e->dn);
		rc = pass_opts(d, &o) < 0
		         ? EX_OSERR
		         : reconcile_account_invalid(d->rw, d->acct_e, buf_str(&why), &o, &st);
		if (rc == EX_UNAVAILABLE)
			d->acct_stale = 1; /* again once the directory is back */
		else if (rc != EX_OSERR)
			rc = EX_OK; /* said; the next change of the entry tries again */
	}
done:
	buf_free(&why);
	return rc;
}

/* Feeds systemd's watchdog as often as it asks (half its interval), from
 * the loop and, through rec_opts.tick, from within a long pass (a first
 * one over a large tenant writing to a durable server takes minutes). */
static void pass_tick(void *arg)
{
	struct daemon *d = arg;
	unsigned long every = notify_watchdog_interval_ms();
	uint64_t now = now_ms();

	if (every > 0 && now - d->tick_ms >= every) {
		(void)notify_watchdog();
		d->tick_ms = now;
	}
}

/* The daemon is up: after its first pass, or as a standby once it follows
 * the changes (said once). */
static void ready(struct daemon *d, const char *how)
{
	if (d->ready)
		return;
	d->ready = 1;
	(void)notify_ready();
	log_info("following changes under \"%s\"%s", d->c->base, how);
}

/* ---- the lease ------------------------------------------------------------ */

/* Instances share the directory through the lease (sync.lease_dn): one
 * holds it and writes, the others follow changes and stand by. */
static int lease_setup(struct daemon *d)
{
	struct buf me = BUF_INIT;
	char host[256];
	uint32_t r = 0;
	int rc;

	if (d->c->lease_dn == NULL || *d->c->lease_dn == '\0')
		return 0;
	if (gethostname(host, sizeof(host)) < 0)
		(void)!snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) < 0)
		r = (uint32_t)now_ms();
	if (buf_printf(&me, "%s:%ld:%08x", host, (long)getpid(), r) < 0) {
		buf_free(&me);
		return -1;
	}
	rc = lease_init(&d->lease, d->c->lease_dn, buf_str(&me), (uint64_t)d->c->lease_time * 1000);
	buf_free(&me);
	return rc;
}

/* What the loop does about the lease when a step is due; a failure is
 * said once, and the recovery. */
static void lease_tick(struct daemon *d)
{
	struct buf err = BUF_INIT, who = BUF_INIT;
	int was = d->lease.leader;

	if (d->lease.dn == NULL || d->ll == NULL || lease_due(&d->lease, now_ms()) == LEASE_WAIT)
		return;
	if (lease_step(&d->lease, d->ll, d->fl.lease_class, !d->fl.no_assertion, now_ms(), &err) <
	    0) {
		if (!d->lease_failing)
			log_error("lease: %s%s", buf_str(&err),
			          d->lease.leader
			              ? "; no write is sent once it is not renewed in time"
			              : "");
		d->lease_failing = 1;
	} else if (d->lease_failing) {
		log_info("lease: %s answers again", d->lease.dn);
		d->lease_failing = 0;
	}
	if (d->lease.leader != was)
		d->st_dirty = 1; /* dirmail status says standby or not */
	if (d->lease.leader) {
		if (!was) {
			d->standby_said = 0;
			d->dirty = 1; /* a pass over what was followed meanwhile */
		}
	} else if (d->lease.have_seen && !d->standby_said &&
	           lease_holder(d->lease.seen, &who) == 0 && who.len > 0) {
		log_notice("lease: %s is held by %s; standing by", d->lease.dn, buf_str(&who));
		d->st_dirty = 1;
		(void)notify_status("standing by: %s holds the lease", buf_str(&who));
		d->standby_said = 1;
	}
	if (!d->lease.leader && d->standby_said && d->sync != NULL && !d->refreshing)
		ready(d, "; standing by");
	buf_free(&err);
	buf_free(&who);
}

/* rec_opts.may_write: the lease is sure for the write about to be sent,
 * renewed first when its time is running out. */
static int may_write(void *arg)
{
	struct daemon *d = arg;

	if (lease_may_write(&d->lease, now_ms()))
		return 1;
	d->lease.next_ms = 0;
	lease_tick(d);
	return lease_may_write(&d->lease, now_ms());
}

/* The options of the daemon's passes, with the id of the next one (the
 * journal names it on every record); -1 when out of memory. */
static int pass_opts(struct daemon *d, struct rec_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->base = d->c->base;
	o->page_size = d->c->page_size;
	o->window = d->c->window;
	o->connections = 1;
	o->journal = d->c->journal_file;
	o->journal_max_mb = d->c->journal_max_size;
	buf_reset(&d->pass_id);
	if (journal_pass_id(&d->pass_id, time(NULL), (long)getpid(), d->passes + 1) < 0)
		return -1;
	o->pass_id = buf_str(&d->pass_id);
	o->state_dir = d->c->state_dir;
	o->min_seen_percent = d->c->min_seen_percent;
	o->recipient_class = d->fl.recipient_class;
	o->contact_classes = d->fl.contact_classes;
	o->no_assertion = d->fl.no_assertion;
	o->source = d->cache;
	o->hold = 1;
	o->interrupt = &got_term;
	o->keep_journal = &d->j;
	o->written = echo_add;
	o->written_arg = d;
	o->memo = d->memo;
	o->tick = pass_tick;
	o->tick_arg = d;
	if (d->lease.dn != NULL) {
		o->may_write = may_write;
		o->may_write_arg = d;
	}
	o->outcome = status_note_write;
	o->outcome_arg = &d->st;
	return 0;
}

/* One pass over the cache; EX_OK (whatever it found to say about objects),
 * EX_UNAVAILABLE, EX_TEMPFAIL (asked to stop) or EX_OSERR. */
static int pass(struct daemon *d)
{
	struct status_names names[POL_ERROR + 1];
	struct rec_opts o;
	struct rec_stats st;
	struct buf sum = BUF_INIT;
	int rc;

	rc = check_account(d);
	if (rc != EX_OK)
		return rc;
	/* Nothing reads the source during a pass: d->cookie is the cookie of
	 * what the pass sees, kept below once it is applied. */
	d->dirty = 0;
	d->st_dirty = 1;
	d->idle_why = d->acct_ok          ? NULL
	              : d->acct_e == NULL ? "no account entry under the base"
	                                  : "the account entry is wrong or names what this bind "
	                                    "cannot read; its dirmailState or the log says why";
	if (!d->acct_ok)
		goto done;
	if (pass_opts(d, &o) < 0)
		return EX_OSERR;
	memset(names, 0, sizeof(names));
	o.state_of = status_note_state;
	o.state_arg = names;
	rc = reconcile_run(d->rw, &d->acct, d->acct_e, &o, &st);
	d->passes++;
	if (status_take_pass(&d->st, &st, names, rc, o.pass_id, time(NULL)) < 0 ||
	    reconcile_summary(&st, REC_SUM_TAKEN | REC_SUM_MS, &sum) < 0) {
		rc = EX_OSERR;
	} else {
		log_msg(st.writes > 0 || rc != EX_OK ? LOG_LVL_NOTICE : LOG_LVL_DEBUG, "pass: %s%s",
		        buf_str(&sum), st.held ? "; held past the delete threshold" : "");
	}
	buf_free(&sum);
	(void)notify_status("%zu recipients; %zu passes; last: %zu writes%s", st.objects, d->passes,
	                    st.writes, st.held ? ", held past the delete threshold" : "");
	/* A pass that took everyone allocates and frees much: give it back,
	 * so the daemon's size follows the cache, not the largest pass so
	 * far. One that took a few changes frees little: a trim a minute. */
	if (st.taken == st.objects || now_ms() - d->trim_ms > 60000) {
		(void)malloc_trim(0);
		d->trim_ms = now_ms();
	}
	d->echo_ms = now_ms();
	switch (rc) {
	case EX_OK:
	case EX_DATAERR: /* held, refused or left: said, and for the next change */
	case EX_CONFIG:
		rc = EX_OK;
		break;
	case EX_UNAVAILABLE:
		d->dirty = 1;
		outage(d, "the connection was lost during a pass");
		return rc;
	case EX_TEMPFAIL:
		d->dirty = 1;
		return rc;
	case EX_OSERR:
		return rc;
	default:
		/* the journal or the state directory: tried again later, the
		 * journal opened again */
		journal_close(d->j);
		d->j = NULL;
		d->dirty = 1;
		d->retry_pass_ms = now_ms() + (uint64_t)d->c->backoff_max * 1000;
		return EX_OK;
	}
done:
	if (d->have_cookie)
		keep_cookie(d, &d->cookie);
	return rc;
}

/* ---- what dirmail status and the metrics show --------------------------------- */

/* The daemon's state and connection, as the status says them now. */
static void status_refresh(struct daemon *d)
{
	struct status *s = &d->st;
	const char *why = NULL;

	s->updated = time(NULL);
	s->connected = d->sync != NULL && !d->down;
	if (d->sl != NULL && ldapc_uri(d->sl) != NULL)
		(void)!status_set(&s->uri, ldapc_uri(d->sl));
	(void)!status_set(&s->base, d->c->base);
	if (s->daemon == STATUS_STOPPED || s->daemon == STATUS_NOT_RUNNING)
		return; /* said by sync_run as it ends */
	if (d->down) {
		s->daemon = STATUS_OUTAGE;
		why = buf_str(&d->down_why);
	} else if (d->idle_why != NULL) {
		s->daemon = STATUS_HELD;
		why = d->idle_why;
	} else if (d->lease.dn != NULL && !d->lease.leader && d->standby_said) {
		s->daemon = STATUS_STANDBY;
		why = "another instance holds the lease (sync.lease_dn); this one follows the "
		      "changes";
	} else if (d->passes == 0) {
		s->daemon = STATUS_STARTING;
	} else if (s->pass_result == STATUS_PASS_HELD) {
		s->daemon = STATUS_HELD;
		why = "the last pass would have deleted more than dirmailDeleteThreshold; the "
		      "account entry's dirmailState says how much";
	} else {
		s->daemon = STATUS_RUNNING;
	}
	(void)!status_set(&s->reason, why);
}

/* Writes the status into the state directory and, when metrics.textfile
 * is set, the metrics there (mode 0644: node_exporter reads it). A failed
 * write is logged when it starts failing, not every time. */
static void status_save(struct daemon *d)
{
	struct buf out = BUF_INIT, err = BUF_INIT;
	int r;

	status_refresh(d);
	r = status_format(&d->st, &out) < 0
	        ? -1
	        : state_status_save(d->c->state_dir, out.s, out.len, &err);
	if (r < 0 && !d->st_failed)
		log_warn("the status for dirmail status cannot be kept: %s",
		         err.len ? buf_str(&err) : "out of memory");
	d->st_failed = r < 0;
	if (d->c->metrics_textfile != NULL) {
		buf_reset(&out);
		buf_reset(&err);
		r = status_render_prom(&d->st, d->st.updated, &out) < 0
		        ? -1
		        : export_write_file_mode(d->c->metrics_textfile, out.s, out.len, 0644,
		                                 &err);
		if (r < 0 && !d->m_failed)
			log_warn("metrics.textfile: %s", err.len ? buf_str(&err) : "out of memory");
		d->m_failed = r < 0;
	}
	d->st_dirty = 0;
	d->st_saved_ms = now_ms();
	buf_free(&out);
	buf_free(&err);
}

/* When the status is to be written next. */
static uint64_t status_due_ms(const struct daemon *d)
{
	return d->st_saved_ms + (d->st_dirty ? STATUS_SOON_MS : STATUS_EVERY_MS);
}

/* ---- the process ----------------------------------------------------------- */

/* Locks the pid file; dirmail status holds a shared lock on it for an
 * instant to tell whether a daemon runs, so a refusal is tried again a
 * few times before it is taken for another daemon. 0, or -1. */
static int lock_pid_file(int fd)
{
	const struct timespec pause = {0, 5000000};
	int k;

	for (k = 0; k < 20; k++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		(void)nanosleep(&pause, NULL);
	}
	return -1;
}

/* Takes the state directory for this process: EX_OK, or EX_TEMPFAIL when
 * another daemon holds it, EX_CANTCREAT when it cannot be made. */
static int lock_state(struct daemon *d)
{
	struct buf path = BUF_INIT;
	char held[32] = "";
	ssize_t n;
	int rc = EX_OK;

	if (state_dir_make(d->c->state_dir, &path) < 0) {
		log_error("state_dir %s", buf_str(&path));
		buf_free(&path);
		return EX_CANTCREAT;
	}
	if (buf_printf(&path, "%s/%s", d->c->state_dir, PID_FILE) < 0)
		return EX_OSERR;
	d->lock_fd = open(buf_str(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (d->lock_fd < 0) {
		log_error("%s: %s", buf_str(&path), strerror(errno));
		rc = EX_CANTCREAT;
	} else if (lock_pid_file(d->lock_fd) < 0) {
		n = read(d->lock_fd, held, sizeof(held) - 1);
		held[n > 0 ? n : 0] = '\0';
		held[strcspn(held, "\n")] = '\0';
		log_error("another dirmail run (pid %s) uses the state directory \"%s\"",
		          *held ? held : "unknown", d->c->state_dir);
		close(d->lock_fd);
		d->lock_fd = -1;
		rc = EX_TEMPFAIL;
	} else {
		d->pid_path = buf_steal(&path);
	}
	buf_free(&path);
	return rc;
}

/* Writes this process's pid into the locked file. */
static int write_pid(struct daemon *d)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());

	if (ftruncate(d->lock_fd, 0) < 0 || pwrite(d->lock_fd, line, (size_t)len, 0) != len) {
		log_error("%s: %s", d->pid_path, strerror(errno));
		return -1;
	}
	return 0;
}

static void unlock_state(struct daemon *d)
{
	if (d->lock_fd < 0)
		return;
	if (d->pid_path != NULL)
		(void)unlink(d->pid_path);
	close(d->lock_fd);
	d->lock_fd = -1;
	free(d->pid_path);
	d->pid_path = NULL;
}

/* Detaches from the terminal: the parent exits at once, the grandchild
 * goes on in its own session with its standard streams on /dev/null. */
static int detach(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(EX_OK);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(EX_OK);
	if (chdir("/") < 0)
		return -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

static int signals_init(struct daemon *d)
{
	struct sigaction sa;
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	d->wake_rd = p[0];
	wake_fd = p[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal ends the wait in poll(2). */
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	return 0;
}

static void signals_end(struct daemon *d)
{
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	if (wake_fd >= 0)
		close(wake_fd);
	if (d->wake_rd >= 0)
		close(d->wake_rd);
	wake_fd = d->wake_rd = -1;
}

/* SIGHUP: a configuration with errors is refused, each error logged, and
 * the one in use kept; a good one replaces it and the daemon connects
 * again and runs a pass under it. */
static void reload(struct daemon *d)
{
	struct buf errs = BUF_INIT;
	struct conf nc;
	int rc;

	(void)notify_reloading();
	memset(&nc, 0, sizeof(nc));
	rc = d->h->load(&nc, &errs, d->h->arg);
	if (rc != EX_OK) {
		log_error_lines(buf_str(&errs));
		log_error(
		    "the configuration was not reloaded: it has errors; the one in use is kept");
		conf_free(&nc);
		goto done;
	}
	if (strcmp(nc.state_dir, d->c->state_dir) != 0) {
		log_warn(
		    "state_dir cannot change while dirmail runs; \"%s\" is kept until a restart",
		    d->c->state_dir);
		free(nc.state_dir);
		nc.state_dir = strdup(d->c->state_dir);
		if (nc.state_dir == NULL)
			log_fatal(EX_OSERR, "out of memory");
	}
	if (strcasecmp(nc.base, d->c->base) != 0) {
		/* Another tenant: nothing of the old one's state applies. */
		cache_free(d->cache);
		d->cache = cache_new();
		if (d->cache == NULL)
			log_fatal(EX_OSERR, "out of memory");
		entry_free(d->acct_e);
		d->acct_e = NULL;
		buf_reset(&d->cookie);
		d->have_cookie = d->have_done = d->have_applied = 0;
	}
	if (strcmp(nc.lease_dn ? nc.lease_dn : "", d->c->lease_dn ? d->c->lease_dn : "") != 0 ||
	    nc.lease_time != d->c->lease_time) {
		struct buf err = BUF_INIT;

		if (d->lease.leader && d->ll != NULL &&
		    lease_release(&d->lease, d->ll, !d->fl.no_assertion, &err) < 0)
			log_error("lease: releasing %s: %s", d->lease.dn, buf_str(&err));
		buf_free(&err);
		lease_free(&d->lease);
		d->lease_changed = 1;
	}
	disconnect(d);
	rec_memo_forget(d->memo);
	conf_free(d->c);
	*d->c = nc;
	if (d->lease_changed && lease_setup(d) < 0)
		log_fatal(EX_OSERR, "out of memory");
	d->lease_changed = 0;
	log_init("dirmail", d->foreground, conf_syslog_facility(d->c->log_facility),
	         d->c->log_verbose);
	d->acct_stale = 1;
	d->dirty = 1;
	d->next_full_ms = now_ms() + (uint64_t)d->c->full_interval * 1000;
	d->st_dirty = 1;
	log_info("configuration reloaded");
done:
	(void)notify_ready();
	buf_free(&errs);
}

/* 1 when the last pass's writes have come back through the source, or
 * it has been silent long enough not to wait for them any more. */
static int echoes_in(const struct daemon *d)
{
	return d->echoes == 0 || now_ms() >= d->echo_ms + ECHO_WAIT_MS;
}

/* How long poll(2) may wait: until the next retry, full pass, watchdog,
 * or the end of the wait for echoes. */
static int wait_ms(const struct daemon *d)
{
	uint64_t now = now_ms(), until = d->next_full_ms;
	unsigned long wd = notify_watchdog_interval_ms();

	if (d->down && d->retry_ms < until)
		until = d->retry_ms;
	if (d->lease.dn != NULL && d->rw != NULL && d->lease.next_ms < until)
		until = d->lease.next_ms;
	if (d->dirty && d->retry_pass_ms > now && d->retry_pass_ms < until)
		until = d->retry_pass_ms;
	if (wd > 0 && d->tick_ms + (uint64_t)wd < until)
		until = d->tick_ms + (uint64_t)wd;
	if (d->dirty && !echoes_in(d) && d->echo_ms + ECHO_WAIT_MS < until)
		until = d->echo_ms + ECHO_WAIT_MS;
	if (cookie_pending(d) && d->cookie_saved_ms + COOKIE_EVERY_MS < until)
		until = d->cookie_saved_ms + COOKIE_EVERY_MS;
	if (status_due_ms(d) < until)
		until = status_due_ms(d);
	return until <= now ? 0 : until - now > 3600000 ? 3600000 : (int)(until - now);
}

/* Waits for a signal or for the change source, and takes what came. */
static int wait_and_take(struct daemon *d)
{
	struct pollfd pfd[2];
	struct buf err = BUF_INIT;
	int n = 1, need_full = 0, rc = EX_OK;
	char drain[64];

	pfd[0].fd = d->wake_rd;
	pfd[0].events = POLLIN;
	if (d->sync != NULL) {
		pfd[1].fd = d->fl.source->fd(d->sync);
		pfd[1].events = POLLIN;
		n = pfd[1].fd >= 0 ? 2 : 1;
	}
	if (poll(pfd, (nfds_t)n, wait_ms(d)) < 0 && errno != EINTR) {
		log_error("poll: %s", strerror(errno));
		return EX_OSERR;
	}
	while (read(d->wake_rd, drain, sizeof(drain)) > 0)
		;
	if (d->sync == NULL || (n == 2 && pfd[1].revents == 0) || got_term || got_hup)
		return EX_OK;
	switch (d->fl.source->poll(d->sync, 0, &callbacks, d, &need_full, &err)) {
	case LDAPC_OK:
		break;
	case LDAPC_RETRY:
		if (need_full) {
			d->fl.source->end(d->sync);
			d->sync = NULL;
			refresh_required(d, buf_str(&err));
		} else {
			outage(d, buf_str(&err));
		}
		break;
	default:
		if (d->oom) {
			rc = EX_OSERR; /* a callback ran out of memory */
			break;
		}
		outage(d, buf_str(&err));
		break;
	}
	buf_free(&err);
	return rc;
}

static int loop(struct daemon *d)
{
	int rc = EX_OK;

	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(d);
		}
		pass_tick(d);
		if (now_ms() >= d->cookie_saved_ms + COOKIE_EVERY_MS)
			save_cookie(d);
		/* The oldest change not applied yet, for the sync lag. */
		/* A standby applies nothing: the lease holder does. */
		if (!d->dirty || (d->lease.dn != NULL && !d->lease.leader))
			d->st.pending_since = 0;
		else if (d->st.pending_since == 0)
			d->st.pending_since = time(NULL);
		if (now_ms() >= status_due_ms(d))
			status_save(d);
		if (now_ms() >= d->next_full_ms && d->sync != NULL && !d->refreshing) {
			/* The periodic full pass: everything is read again. */
			log_info("full pass: reading every recipient again");
			d->fl.source->end(d->sync);
			d->sync = NULL;
			d->full_due = 1;
			d->next_full_ms = now_ms() + (uint64_t)d->c->full_interval * 1000;
		}
		if (d->rw == NULL && (!d->down || now_ms() >= d->retry_ms)) {
			rc = connect_all(d);
			if (rc != EX_OK && rc != EX_UNAVAILABLE)
				return rc;
		}
		if (d->rw != NULL && d->sync == NULL) {
			rc = start_sync(d);
			if (rc == EX_OSERR)
				return rc;
		}
		if (d->rw != NULL)
			lease_tick(d);
		if (d->rw != NULL && d->sync != NULL && !d->refreshing && d->dirty &&
		    now_ms() >= d->retry_pass_ms && echoes_in(d) &&
		    (d->lease.dn == NULL || lease_may_write(&d->lease, now_ms()))) {
			rc = pass(d);
			if (rc == EX_OSERR)
				return rc;
			if (d->passes == 1 && rc == EX_OK)
				ready(d, "");
			continue; /* see what came meanwhile before waiting */
		}
		rc = wait_and_take(d);
		if (rc != EX_OK)
			return rc;
	}
	return EX_OK;
}

int sync_run(const struct sync_host *h, struct conf *c, int foreground)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.h = h;
	d.c = c;
	d.foreground = foreground;
	d.lock_fd = d.wake_rd = -1;
	d.cache = cache_new();
	d.memo = rec_memo_new();
	if (d.cache == NULL || d.memo == NULL) {
		cache_free(d.cache);
		rec_memo_free(d.memo);
		return EX_OSERR;
	}
	rc = lock_state(&d);
	if (rc != EX_OK)
		goto done;
	if (!foreground) {
		if (detach() < 0) {
			log_error("detaching: %s", strerror(errno));
			rc = EX_OSERR;
			goto done;
		}
		log_init("dirmail", 0, conf_syslog_facility(c->log_facility), c->log_verbose);
	}
	if (write_pid(&d) < 0 || signals_init(&d) < 0 || lease_setup(&d) < 0) {
		rc = EX_OSERR;
		goto done;
	}
	{
		struct buf err = BUF_INIT;
		int r = state_cookie_load(c->state_dir, c->base, &d.cookie, &err);

		if (r < 0)
			log_warn("%s; starting from the whole content", buf_str(&err));
		d.have_cookie = d.have_applied = r == 1;
		if (r == 1 && buf_add(&d.applied, d.cookie.s, d.cookie.len) < 0)
			rc = EX_OSERR;
		buf_free(&err);
	}
	d.next_full_ms = now_ms() + (uint64_t)c->full_interval * 1000;
	d.st.pid = (long)getpid();
	d.st.started = time(NULL);
	d.st.daemon = STATUS_STARTING;
	if (status_set(&d.st.version, PACKAGE_VERSION) < 0)
		rc = EX_OSERR;
	status_save(&d);
	log_info("dirmail %s starting under \"%s\"%s", PACKAGE_VERSION, c->base,
	         d.have_cookie ? ", resuming from the cookie" : "");
	if (rc == EX_OK)
		rc = loop(&d);
	save_cookie(&d);
	if (d.lease.leader && d.ll != NULL) {
		struct buf err = BUF_INIT;

		if (lease_release(&d.lease, d.ll, !d.fl.no_assertion, &err) < 0)
			log_error("lease: releasing %s: %s", d.lease.dn, buf_str(&err));
		buf_free(&err);
	}
	if (rc == EX_OK) {
		(void)notify_stopping();
		log_info("stopped: %zu changes seen, %zu passes", d.changes, d.passes);
	}
done:
	disconnect(&d);
	if (d.pid_path != NULL) {
		/* The last word, while the state directory is still this one's. */
		struct buf why = BUF_INIT;

		d.st.daemon = rc == EX_OK ? STATUS_STOPPED : STATUS_NOT_RUNNING;
		(void)!buf_printf(&why, "the daemon exited with status %d", rc);
		(void)!status_set(&d.st.reason, rc == EX_OK ? NULL : buf_str(&why));
		d.st.pending_since = d.st.down_since = 0;
		status_save(&d);
		buf_free(&why);
	}
	journal_close(d.j);
	signals_end(&d);
	unlock_state(&d);
	rec_memo_free(d.memo);
	cache_free(d.cache);
	lease_free(&d.lease);
	entry_free(d.acct_e);
	account_free(&d.acct);
	buf_free(&d.cookie);
	buf_free(&d.pass_id);
	buf_free(&d.applied);
	buf_free(&d.done);
	buf_free(&d.down_why);
	status_clear(&d.st);
	return rc;
}
