/* reconcile.c - one full pass: read, compute, journal, write.
 * The pass is staged: everything is read and computed before the first
 * write, and every write is journaled and flushed before it is sent; it
 * streams, holding the policy's summaries and the packed entries of what
 * may change, and parses one object at a time again to build, diff and
 * write it. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "diff.h"
#include "explain.h"
#include "hash.h"
#include "journal.h"
#include "ldifw.h"
#include "log.h"
#include "policy.h"
#include "pool.h"
#include "reconcile.h"
#include "state.h"

/* What a pass reads of every object: user attributes, identity, creation
 * time and the version the assertion guards (entryCSN on OpenLDAP). */
static const char *const read_attrs[] = {"*",          "entryUUID",       "objectGUID",  "entryCSN",
                                         "uSNChanged", "createTimestamp", "whenCreated", NULL};

/* What a pass reads of a recipient: what the policy needs, plus identity
 * and the version the assertion guards. "*" would bring every attribute,
 * passwords included, into memory. */
static const char *const *rcpt_attrs(void)
{
	static const char *extra[] = {"entryUUID", "objectGUID", "entryCSN", "uSNChanged", NULL};
	static const char *all[128];
	const char *const *pol = policy_read_attrs();
	size_t i, n = 0;

	if (all[0] == NULL) {
		for (i = 0; pol[i] && n + 5 < sizeof(all) / sizeof(all[0]); i++)
			all[n++] = pol[i];
		for (i = 0; extra[i]; i++)
			all[n++] = extra[i];
		all[n] = NULL;
	}
	return all;
}

#define RECIPIENT_FILTER                                                                           \
	"(|(objectClass=dirmailUser)(objectClass=dirmailList)(proxyAddresses=*)(mail=*))"

const char *reconcile_sync_filter(void)
{
	return "(|(objectClass=dirmailAccount)(objectClass=dirmailUser)(objectClass=dirmailList)"
	       "(proxyAddresses=*)(mail=*))";
}

const char *const *reconcile_sync_attrs(void)
{
	static const char *all[160];
	const char *const *r = rcpt_attrs(), *const *a = account_attrs();
	size_t i, k, n = 0;

	if (all[0] != NULL)
		return all;
	for (i = 0; r[i] && n + 1 < sizeof(all) / sizeof(all[0]); i++)
		all[n++] = r[i];
	for (i = 0; a[i] && n + 1 < sizeof(all) / sizeof(all[0]); i++) {
		for (k = 0; k < n && strcasecmp(all[k], a[i]) != 0; k++)
			;
		if (k == n)
			all[n++] = a[i];
	}
	all[n] = NULL;
	return all;
}

int reconcile_is_account(const struct entry *e)
{
	return entry_has_nocase(e, "objectClass", "dirmailAccount", 14);
}

/* Attempts per object when its assertion keeps failing. */
#define ASSERT_TRIES 3

/* Keeps a copy of every entry read, secrets left out. */
static int collect(const struct entry *e, void *arg)
{
	struct entry *c = entry_dup_without(e, ldifw_is_secret);

	return c == NULL ? -1 : entry_list_push(arg, c);
}

struct account_search {
	struct entry_list found;
	struct buf others; /* the DNs of the second and further ones */
	size_t count;
};

static int collect_account(const struct entry *e, void *arg)
{
	struct account_search *s = arg;

	s->count++;
	if (s->found.n > 0)
		return buf_printf(&s->others, "%s\"%s\"", s->others.len ? ", " : "", e->dn) < 0 ? -1
		                                                                                : 0;
	return collect(e, &s->found);
}

static int exit_for(enum ldapc_rc rc)
{
	return rc == LDAPC_RETRY ? EX_UNAVAILABLE : rc == LDAPC_FATAL ? EX_CONFIG : EX_DATAERR;
}

int reconcile_find_account(struct ldapc *l, const char *base, int page_size, struct entry **out)
{
	struct account_search s = {{NULL, 0, 0}, BUF_INIT, 0};
	struct buf err = BUF_INIT;
	enum ldapc_rc lrc;
	int rc = EX_OK;

	*out = NULL;
	lrc = ldapc_search(l, base, LDAPC_SUB, "(objectClass=dirmailAccount)", read_attrs,
	                   page_size, collect_account, &s, &err);
	if (lrc == LDAPC_SKIP) {
		/* no such base, or not a DN: the configuration names it */
		log_error("ldap.base (-b) \"%s\": %s", base, buf_str(&err));
		rc = EX_CONFIG;
		goto done;
	}
	if (lrc != LDAPC_OK) {
		log_error("searching the account entry: %s", buf_str(&err));
		rc = exit_for(lrc);
		goto done;
	}
	if (s.found.n == 0) {
		log_error(
		    "no account entry (objectClass dirmailAccount) under \"%s\", or none this "
		    "bind may read",
		    base);
		rc = EX_CONFIG;
		goto done;
	}
	if (s.count > 1) {
		log_error(
		    "%zu account entries under \"%s\": \"%s\", %s; give -b the base of one tenant",
		    s.count, base, s.found.v[0]->dn, buf_str(&s.others));
		rc = EX_CONFIG;
		goto done;
	}
	*out = s.found.v[0];
	s.found.n = 0;
done:
	entry_list_free(&s.found);
	buf_free(&s.others);
	buf_free(&err);
	return rc;
}

/* Reads the entry dn the account names in attr; EX_OK, or logged and
 * EX_CONFIG when it is not there for this bind, or the code of a failed
 * read. */
static int check_named(struct ldapc *l, const char *acct, const char *attr, const char *dn)
{
	static const char *const attrs[] = {"1.1", NULL};
	struct buf err = BUF_INIT;
	struct entry *e = NULL;
	enum ldapc_rc lrc;

	lrc = ldapc_read(l, dn, attrs, &e, &err);
	entry_free(e);
	if (lrc != LDAPC_OK)
		log_error("%s: %s: \"%s\" cannot be read: %s", acct, attr, dn, buf_str(&err));
	buf_free(&err);
	return lrc == LDAPC_OK ? EX_OK : lrc == LDAPC_SKIP ? EX_CONFIG : exit_for(lrc);
}

/* Keeps the outcome r of one check in *rc when it is a problem; 1 when it
 * ends the checks (anything but an entry that is not there). */
static int failed(int *rc, int r)
{
	if (r != EX_OK)
		*rc = r;
	return r != EX_OK && r != EX_CONFIG;
}

/* Adds the lines of errs to why, "; " between them, each without the
 * account's DN in front. */
static void why_add(struct buf *why, const char *dn, const char *errs)
{
	size_t dl = strlen(dn);

	while (why != NULL && *errs) {
		const char *nl = strchr(errs, '\n'), *s = errs;
		size_t n = nl ? (size_t)(nl - errs) : strlen(errs);

		if (n > dl + 2 && strncasecmp(s, dn, dl) == 0 && s[dl] == ':' && s[dl + 1] == ' ') {
			s += dl + 2;
			n -= dl + 2;
		}
		if (n > 0)
			(void)!buf_printf(why, "%s%.*s", why->len ? "; " : "", (int)n, s);
		errs += nl ? (size_t)(nl - errs) + 1 : strlen(errs);
	}
}

int reconcile_check_account(struct ldapc *l, const struct entry *e, struct account *a,
                            struct buf *why)
{
	struct buf errs = BUF_INIT;
	size_t i;
	int rc = EX_OK;

	memset(a, 0, sizeof(*a));
	if (account_parse(e, a, &errs) < 0) {
		log_error_lines(buf_str(&errs));
		why_add(why, e->dn, buf_str(&errs));
		rc = EX_CONFIG;
	}
	buf_free(&errs);
	/* A missing entry is one more problem to report; a transport failure
	 * ends the checks. Not the entry's fault, maybe: the bind's rights
	 * may hide it, so it is not said on the entry. */
	if (a->catch_all && failed(&rc, check_named(l, e->dn, "dirmailCatchAll", a->catch_all)))
		return rc;
	for (i = 0; i < a->address_lists.n; i++)
		if (failed(&rc, check_named(l, e->dn, "dirmailAddressList", a->address_lists.v[i])))
			return rc;
	if (a->exchange_database &&
	    failed(&rc, check_named(l, e->dn, "dirmailExchangeDatabase", a->exchange_database)))
		return rc;
	if (a->contact_base)
		(void)failed(&rc, check_named(l, e->dn, "dirmailContactBase", a->contact_base));
	return rc;
}

/* ---- the objects as read ---------------------------------------------------- */

static int push_idx(size_t **v, size_t *n, size_t x)
{
	size_t *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	(*v)[(*n)++] = x;
	return 0;
}

/*
 * The pass streams: each object is handed to the policy as it arrives
 * (policy_take keeps a summary); an object the policy may have to build
 * again is kept in packed form, a third of what the parsed entry takes,
 * and unpacked, one object at a time, to build, diff and write it. One the
 * policy found unchanged as it was read is not kept: should settle decide
 * otherwise, it is read again, and used only if its version is the one
 * the pass read. Memory is the address index, the summaries and the
 * packed entries of what may change, never every parsed entry at once.
 */
struct packed {
	const unsigned char *p; /* NULL: not kept (known unchanged as read) */
	uint32_t len;
	/* p lacks the DN, which is the object's policy_dn: the pass holds
	 * that already, kept twice it would cost 5 MB at 100,000 users */
	unsigned dn_apart : 1;
	uint64_t ver; /* the version the pass read (version_of) */
};

struct store {
	struct pool pool;
	struct packed *v;
	size_t n, cap;
	size_t *lists, nlists;  /* objects with a dirmailMemberFilter */
	unsigned char *scratch; /* where an entry is packed before it is kept */
	size_t scratch_cap;
};

/* A fingerprint of the version attribute the assertion guards (entryCSN,
 * uSNChanged): an object read again is the one the pass decided on only
 * if this is the same. */
static uint64_t version_of(const struct entry *e)
{
	const char *v = entry_first(e, "entryCSN");

	if (v == NULL)
		v = entry_first(e, "uSNChanged");
	return hash_bytes(v, v ? strlen(v) : 0);
}

/* Room for n objects. */
static int store_reserve(struct store *s, size_t n)
{
	struct packed *v;

	if (n <= s->cap)
		return 0;
	v = realloc(s->v, n * sizeof(*v));
	if (v == NULL)
		return -1;
	s->v = v;
	s->cap = n;
	return 0;
}

/* A slot for object i (i <= s->n); NULL when out of memory. */
static struct packed *store_slot(struct store *s, size_t i)
{
	if (i == s->n) {
		if (s->n == s->cap && store_reserve(s, s->cap ? 2 * s->cap : 1024) < 0)
			return NULL;
		memset(&s->v[s->n++], 0, sizeof(*s->v));
	}
	return &s->v[i];
}

/* Notes object i without keeping its entry. */
static int store_skip(struct store *s, size_t i, const struct entry *e)
{
	struct packed *k = store_slot(s, i);

	if (k == NULL)
		return -1;
	k->ver = version_of(e);
	return 0;
}

/* Keeps e as object i, whose DN in the pass is dn. */
static int store_put(struct store *s, size_t i, const struct entry *e, const char *dn)
{
	struct packed *k;
	unsigned char *p;
	size_t len, at;

	if (entry_pack_buf(e, ldifw_is_secret, &s->scratch, &s->scratch_cap, &len) < 0)
		return -1;
	at = strcmp(e->dn, dn) == 0 ? entry_packed_dn_size(s->scratch, len) : 0;
	if (len - at > UINT32_MAX)
		return -1;
	p = pool_alloc(&s->pool, len - at ? len - at : 1, 1);
	k = p ? store_slot(s, i) : NULL;
	if (k == NULL)
		return -1;
	memcpy(p, s->scratch + at, len - at);
	k->p = p;
	k->len = (uint32_t)(len - at);
	k->dn_apart = at > 0;
	k->ver = version_of(e);
	return 0;
}

static int store_has(const struct store *s, size_t i)
{
	return s->v[i].p != NULL;
}

/* Object i as read, parsed again (caller frees); NULL when out of memory
 * or not kept. dn is its DN in the pass, as given to store_put. */
static struct entry *store_get(const struct store *s, size_t i, const char *dn)
{
	if (!store_has(s, i))
		return NULL;
	return s->v[i].dn_apart ? entry_unpack_dn(dn, s->v[i].p, s->v[i].len)
	                        : entry_unpack(s->v[i].p, s->v[i].len);
}

static void store_free(struct store *s)
{
	pool_free(&s->pool);
	free(s->v);
	free(s->lists);
	free(s->scratch);
	memset(s, 0, sizeof(*s));
}

/* ---- list filters --------------------------------------------------------- */

struct dnlist {
	char **v;
	size_t n;
};

static int dnlist_add(struct dnlist *l, const char *dn)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	l->v = v;
	l->v[l->n] = strdup(dn);
	if (l->v[l->n] == NULL)
		return -1;
	l->n++;
	return 0;
}

static int collect_dn(const struct entry *e, void *arg)
{
	return dnlist_add(arg, e->dn);
}

static void dnlist_free(struct dnlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Reads the members a list's dirmailMemberFilter flt selects into out:
 * the admin's filter used whole, as intent, and only among recipients.
 * 0 when the list's outcome is known (out filled, or *error set and out
 * empty when flt is no filter or the directory refused it), 1 when the
 * read failed (*lrc and err say why), -1 when out of memory. */
static int read_members(struct ldapc *l, const char *base, int page_size, const char *flt,
                        struct dnlist *out, char **error, enum ldapc_rc *lrc, struct buf *err)
{
	static const char *const dn_only[] = {"1.1", NULL};
	struct buf f = BUF_INIT;
	int rc = -1;

	buf_reset(err);
	if (flt[0] != '(') {
		*error = strdup("the filter must be enclosed in parentheses");
		rc = *error ? 0 : -1;
		goto done;
	}
	if (buf_printf(&f, "(&%s%s)", RECIPIENT_FILTER, flt) < 0)
		goto done;
	*lrc =
	    ldapc_search(l, base, LDAPC_SUB, buf_str(&f), dn_only, page_size, collect_dn, out, err);
	if (*lrc == LDAPC_SKIP) {
		dnlist_free(out);
		memset(out, 0, sizeof(*out));
		*error = strdup(buf_str(err));
		rc = *error ? 0 : -1;
	} else {
		rc = *lrc == LDAPC_OK ? 0 : 1;
	}
done:
	buf_free(&f);
	return rc;
}

/*
 * The member filters, read on a second connection while the first one
 * reads the recipients: the directory evaluates them (a search over every
 * recipient each) while it streams the read, instead of after it. What the
 * read then finds is matched by DN and filter text; a list or filter the
 * read-ahead did not see, or any failure of it, falls back to reading that
 * filter after the read, as if there were no read-ahead.
 */
struct pf_list {
	char *dn, *filter;
	struct dnlist members;
	char *error; /* the directory refused the filter */
	int done;
};

struct prefetch {
	struct ldapc *l; /* its own connection; NULL: no read-ahead */
	const char *base;
	int page_size;
	struct pf_list *v;
	size_t n;
	int failed;
	pthread_t t;
};

static int collect_list(const struct entry *e, void *arg)
{
	struct prefetch *pf = arg;
	const char *flt = entry_first(e, "dirmailMemberFilter");
	struct pf_list *v;

	if (flt == NULL)
		return 0;
	v = realloc(pf->v, (pf->n + 1) * sizeof(*v));
	if (v == NULL)
		return -1;
	pf->v = v;
	memset(&v[pf->n], 0, sizeof(*v));
	v[pf->n].dn = strdup(e->dn);
	v[pf->n].filter = strdup(flt);
	pf->n++;
	return v[pf->n - 1].dn && v[pf->n - 1].filter ? 0 : -1;
}

static void *prefetch_run(void *arg)
{
	static const char *const attrs[] = {"dirmailMemberFilter", NULL};
	struct prefetch *pf = arg;
	struct buf err = BUF_INIT;
	enum ldapc_rc lrc;
	size_t k;

	lrc = ldapc_search(pf->l, pf->base, LDAPC_SUB,
	                   "(&(objectClass=dirmailList)(dirmailMemberFilter=*))", attrs,
	                   pf->page_size, collect_list, pf, &err);
	pf->failed = lrc != LDAPC_OK;
	for (k = 0; !pf->failed && k < pf->n; k++) {
		struct pf_list *v = &pf->v[k];

		pf->failed = read_members(pf->l, pf->base, pf->page_size, v->filter, &v->members,
		                          &v->error, &lrc, &err) != 0;
		v->done = !pf->failed;
	}
	buf_free(&err);
	return NULL;
}

/* Starts the read-ahead; without a second connection there is none. */
static void prefetch_start(struct prefetch *pf, struct ldapc *l, const struct rec_opts *o)
{
	struct buf err = BUF_INIT;

	memset(pf, 0, sizeof(*pf));
	pf->base = o->base;
	pf->page_size = o->page_size;
	/* Without a second connection, or reading the cache, there is none. */
	if (o->connections < 2 || o->source != NULL)
		return;
	if (ldapc_dup(l, &pf->l, &err) != LDAPC_OK) {
		log_debug("no second connection for the member filters (%s); they are read after "
		          "the recipients",
		          buf_str(&err));
	} else if (pthread_create(&pf->t, NULL, prefetch_run, pf) != 0) {
		ldapc_close(pf->l);
		pf->l = NULL;
	}
	buf_free(&err);
}

/* Waits for the read-ahead and closes its connection; idempotent. */
static void prefetch_join(struct prefetch *pf)
{
	if (pf->l == NULL)
		return;
	(void)pthread_join(pf->t, NULL);
	ldapc_close(pf->l);
	pf->l = NULL;
}

/* Hands over what the read-ahead found for the list dn with filter flt:
 * 1 when it did (members moved to out, or *error set), else 0. */
static int prefetch_take(struct prefetch *pf, const char *dn, const char *flt, struct dnlist *out,
                         char **error)
{
	size_t k;

	for (k = 0; pf != NULL && !pf->failed && k < pf->n; k++) {
		struct pf_list *v = &pf->v[k];

		if (!v->done || strcasecmp(v->dn, dn) != 0 || strcmp(v->filter, flt) != 0)
			continue;
		*out = v->members;
		memset(&v->members, 0, sizeof(v->members));
		*error = v->error;
		v->error = NULL;
		v->done = 0;
		return 1;
	}
	return 0;
}

static void prefetch_free(struct prefetch *pf)
{
	size_t k;

	prefetch_join(pf);
	for (k = 0; k < pf->n; k++) {
		free(pf->v[k].dn);
		free(pf->v[k].filter);
		free(pf->v[k].error);
		dnlist_free(&pf->v[k].members);
	}
	free(pf->v);
	pf->v = NULL;
	pf->n = 0;
}

/* ---- the pass -------------------------------------------------------------- */

struct pass {
	struct ldapc *l;
	const struct rec_opts *o;
	struct pol_ctx ctx;
	struct pol_pass *pp;
	struct store set;
	struct dnlist *members; /* per list of set.lists: filter matches */
	char **filter_err;      /* per list of set.lists */
	struct journal *j;
	struct pol_result res;
	/* narrowed to one object (narrow_to): o points at oo, only its DN */
	struct rec_opts oo;
	char *only;
	/* held past the delete threshold (rec_opts.hold): write the account's
	 * state only */
	int acct_only;
	/* Reading from rec_opts.source: objects read again from the directory
	 * after a stale write, sorted by DN; they replace the cache's. */
	struct entry_list fresh;
	uint64_t acct_key; /* the account entry's fingerprint, for rec_memo */
	/* The objects that delete the most, most first (count_changes), to
	 * name when the pass is over the threshold. */
	struct {
		size_t obj;
		int n;
	} top[5];
	size_t ntop;
};

/* Notes object i's deletions among the pass's largest. */
static void note_deletions(struct pass *p, size_t i, int n)
{
	size_t k, max = sizeof(p->top) / sizeof(p->top[0]);

	if (n <= 0 || (p->ntop == max && p->top[max - 1].n >= n))
		return;
	k = p->ntop < max ? p->ntop++ : max - 1;
	for (; k > 0 && p->top[k - 1].n < n; k--)
		p->top[k] = p->top[k - 1];
	p->top[k].obj = i;
	p->top[k].n = n;
}

/*
 * The daemon's kept pass. Object k of the pass is entry k of the cache;
 * stamps[k] is the cache_stamp it was taken at (0: taken from a re-read,
 * to be taken from the cache again), lists[k] says it is a list with a
 * dirmailMemberFilter. Anything that could make the kept pass differ from
 * a new one (another account entry or options, a failed pass, an address
 * two objects hold) makes the next pass a new one.
 */
struct rec_memo {
	struct pol_ctx ctx; /* the kept pass points at it */
	struct pol_pass *pp;
	uint64_t *stamps;
	unsigned char *lists;
	/* Per object: for a list with a member filter, the objects the filter
	 * matched (bit k: object k), fbytes bytes; NULL: search it whole. */
	unsigned char **fbits;
	size_t fbytes;
	size_t *retaken, nretaken; /* what the last read took again */
	size_t n, cap;
	uint64_t acct_key;
	size_t taken; /* by the last read: every object, or what changed */
};

struct rec_memo *rec_memo_new(void)
{
	return calloc(1, sizeof(struct rec_memo));
}

/* Forgets the filter matches of the lists from object k on. */
static void memo_unmatch(struct rec_memo *m, size_t k)
{
	for (; k < m->n; k++) {
		free(m->fbits[k]);
		m->fbits[k] = NULL;
	}
}

void rec_memo_forget(struct rec_memo *m)
{
	if (m == NULL)
		return;
	policy_pass_free(m->pp);
	m->pp = NULL;
	memo_unmatch(m, 0);
	m->n = 0;
}

void rec_memo_free(struct rec_memo *m)
{
	if (m == NULL)
		return;
	rec_memo_forget(m);
	free(m->stamps);
	free(m->lists);
	free(m->fbits);
	free(m->retaken);
	free(m);
}

/* What a pass that stops now leaves behind, for its last log line. */
static const char *stop_note(const struct pass *p)
{
	/* The journal is opened just before the first write. */
	return p->j ? "the pass stops; what was written is in the journal" : "nothing was written";
}

static void random_guid(unsigned char guid[16], void *arg)
{
	size_t got = 0;
	ssize_t r;

	(void)arg;
	while (got < 16) {
		r = getrandom(guid + got, 16 - got, 0);
		if (r > 0)
			got += (size_t)r;
	}
}

/* Does e answer to the login user@domain (or user+domain): its uid or
 * sAMAccountName is user, or user@domain is one of its addresses? */
static int answers_to(const struct entry *e, const char *user, const char *addr)
{
	const struct entry_attr *pa = entry_get(e, "proxyAddresses");
	const char *v;
	size_t i;

	if (((v = entry_first(e, "uid")) && strcasecmp(v, user) == 0) ||
	    ((v = entry_first(e, "sAMAccountName")) && strcasecmp(v, user) == 0) ||
	    ((v = entry_first(e, "mail")) && strcasecmp(v, addr) == 0))
		return 1;
	for (i = 0; pa && i < pa->nvals; i++)
		if (strncasecmp(pa->vals[i].val, "smtp:", 5) == 0 &&
		    strcasecmp(pa->vals[i].val + 5, addr) == 0)
			return 1;
	return 0;
}

int reconcile_is_login(const char *who)
{
	return strchr(who, '=') == NULL;
}

/* What a login search keeps: the DN of the last object that answers. */
struct login_search {
	const char *user, *addr;
	size_t found;
	char *dn;
};

static int login_match(const struct entry *e, void *arg)
{
	struct login_search *s = arg;

	if (!answers_to(e, s->user, s->addr))
		return 0;
	s->found++;
	free(s->dn);
	s->dn = strdup(e->dn);
	return s->dn == NULL ? -1 : 0;
}

int reconcile_find_login(struct ldapc *l, const struct account *acct, const char *base,
                         int page_size, const char *login, int lists, char **dn)
{
	static const char *const attrs[] = {"objectClass",    "uid",  "sAMAccountName",
	                                    "proxyAddresses", "mail", NULL};
	static const struct {
		const char *attr; /* with the "=" and any prefix of the value */
		int addr;         /* the value is user@domain, else user */
	} terms[] = {
	    {"uid=", 0}, {"sAMAccountName=", 0}, {"mail=", 1}, {"proxyAddresses=smtp:", 1}};
	struct login_search s = {NULL, NULL, 0, NULL};
	struct buf addr = BUF_INIT, filter = BUF_INIT, err = BUF_INIT;
	char *user = NULL, *domain = NULL;
	enum ldapc_rc lrc;
	size_t i;
	int ok, rc = EX_DATAERR;

	*dn = NULL;
	if (addr_login_split(login, &user, &domain) < 0) {
		log_error("\"%s\": neither a DN nor a login user@domain or user+domain", login);
		goto done;
	}
	ok = acct->primary_domain && strcasecmp(domain, acct->primary_domain) == 0;
	for (i = 0; !ok && i < acct->domains.n; i++)
		ok = strcasecmp(domain, acct->domains.v[i]) == 0;
	if (!ok) {
		log_error("login \"%s\": %s is not a domain of the account", login, domain);
		goto done;
	}
	/* The filter only narrows the search; answers_to decides, as it
	 * always has, so a server's matching rules change nothing. */
	rc = EX_OSERR;
	if (buf_printf(&addr, "%s@%s", user, domain) < 0 ||
	    buf_puts(&filter, lists ? "(&(|(objectClass=dirmailUser)(objectClass=dirmailList))(|"
	                            : "(&(objectClass=dirmailUser)(|") < 0)
		goto done;
	for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		const char *v = terms[i].addr ? buf_str(&addr) : user;

		if (buf_printf(&filter, "(%s", terms[i].attr) < 0 ||
		    ldapc_filter_escape(&filter, v, strlen(v)) < 0 || buf_puts(&filter, ")") < 0)
			goto done;
	}
	if (buf_puts(&filter, "))") < 0)
		goto done;
	rc = EX_DATAERR;
	s.user = user;
	s.addr = buf_str(&addr);
	lrc = ldapc_search(l, base, LDAPC_SUB, buf_str(&filter), attrs, page_size, login_match, &s,
	                   &err);
	if (lrc != LDAPC_OK) {
		log_error("looking up login \"%s\": %s", login, buf_str(&err));
		rc = exit_for(lrc);
		goto done;
	}
	if (s.found != 1) {
		log_error("login \"%s\": %s", login,
		          s.found == 0 ? "nobody has that login"
		          : lists      ? "several users or lists answer to that login"
		                       : "several users answer to that login");
		goto done;
	}
	*dn = s.dn;
	s.dn = NULL;
	rc = EX_OK;
done:
	if (rc == EX_OSERR)
		log_error("out of memory");
	free(s.dn);
	free(user);
	free(domain);
	buf_free(&addr);
	buf_free(&filter);
	buf_free(&err);
	return rc;
}

static int take_one(struct pass *p, size_t i, const struct entry *e);

int reconcile_apply_sets(struct entry *e, const char *dn, const struct rec_set *sets, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		const struct rec_set *s = &sets[i];

		if ((dn == NULL) != (s->dn == NULL) || (dn && strcasecmp(dn, s->dn) != 0))
			continue;
		/* The first set of an attribute replaces the directory's values. */
		for (k = 0; k < i; k++)
			if ((sets[k].dn == NULL) == (s->dn == NULL) &&
			    (s->dn == NULL || strcasecmp(sets[k].dn, s->dn) == 0) &&
			    strcasecmp(sets[k].attr, s->attr) == 0)
				break;
		if (k == i)
			entry_del(e, s->attr);
		if (*s->value != '\0' && entry_add(e, s->attr, s->value, strlen(s->value)) < 0)
			return -1;
	}
	return 0;
}

/* e as the what-if sets would have it, in *out (caller frees), or *out
 * NULL when no set names it; -1 when out of memory. */
static int with_sets(const struct pass *p, const struct entry *e, struct entry **out)
{
	size_t i;

	*out = NULL;
	for (i = 0; i < p->o->nsets; i++)
		if (p->o->sets[i].dn != NULL && strcasecmp(p->o->sets[i].dn, e->dn) == 0)
			break;
	if (i == p->o->nsets)
		return 0;
	*out = entry_dup(e);
	if (*out == NULL || reconcile_apply_sets(*out, e->dn, p->o->sets, p->o->nsets) < 0)
		return -1;
	return 0;
}

/* The read: every object goes to the policy, and into the store unless
 * the policy found it unchanged as it was read. */
static int take(const struct entry *e0, void *arg)
{
	struct pass *p = arg;
	size_t i = p->set.n;
	struct entry *what_if = NULL;
	const struct entry *e = e0;
	int rc = -1;

	if (p->o->nsets > 0) {
		if (with_sets(p, e0, &what_if) < 0)
			goto done;
		if (what_if != NULL)
			e = what_if;
	}
	rc = take_one(p, i, e);
done:
	entry_free(what_if);
	return rc;
}

/* Notes object i in the store, keeping its entry when the policy may
 * build it; the daemon's cache keeps every entry already. */
static int store_note(struct pass *p, size_t i, const struct entry *e)
{
	if (p->o->source != NULL)
		return store_slot(&p->set, i) != NULL ? 0 : -1;
	return policy_unchanged_as_read(p->pp, i) ? store_skip(&p->set, i, e)
	                                          : store_put(&p->set, i, e, policy_dn(p->pp, i));
}

/* rec_opts.tick, once every 16 calls (an object read, a change sent). */
static void tick(const struct rec_opts *o)
{
	static unsigned n;

	if (o->tick != NULL && (++n & 15) == 0)
		o->tick(o->tick_arg);
}

/* Takes object i, e, into the policy and the store. */
static int take_one(struct pass *p, size_t i, const struct entry *e)
{
	tick(p->o);
	if (policy_take(p->pp, e) < 0 || store_note(p, i, e) < 0)
		return -1;
	if (policy_obj_kind(p->pp, i) == POL_LIST && entry_get(e, "dirmailMemberFilter") &&
	    push_idx(&p->set.lists, &p->set.nlists, i) < 0)
		return -1;
	return 0;
}

static struct entry *source_nth(const struct pass *p, size_t k);

/* Object i as the pass took it, in a new entry the caller frees: from the
 * daemon's cache (or its re-read), else as the store kept it; NULL when
 * out of memory or not kept. */
static struct entry *obj_entry(const struct pass *p, size_t i)
{
	return p->o->source != NULL ? source_nth(p, i) : store_get(&p->set, i, policy_dn(p->pp, i));
}

/* The version of object i the pass decided on (version_of). */
static uint64_t obj_version(const struct pass *p, size_t i)
{
	struct entry *e;
	uint64_t v;

	if (p->o->source == NULL)
		return p->set.v[i].ver;
	e = source_nth(p, i);
	v = e ? version_of(e) : 0;
	entry_free(e);
	return v;
}

static int collect_one(const struct entry *e, void *arg)
{
	(void)e;
	*(int *)arg = 1;
	return 0;
}

/* The kept pass's list l (a dirmailMemberFilter flt) matched these objects
 * last time; of the objects taken again since, each is asked alone
 * whether it matches now (the others are as they were, so their answer
 * is too). 0 with out filled, 1 when the filter is to be searched whole
 * (no earlier answer, many objects changed, any read failed), -1 out of
 * memory. */
static int kept_members(struct pass *p, size_t l, const char *flt, struct dnlist *out)
{
	struct rec_memo *m = p->o->memo;
	static const char *const dn_only[] = {"1.1", NULL};
	struct buf f = BUF_INIT, err = BUF_INIT;
	unsigned char *bits;
	size_t k;
	int rc = 1;

	if (m == NULL || p->pp != m->pp || (bits = m->fbits[l]) == NULL || m->nretaken > 64)
		return 1;
	if (buf_printf(&f, "(&%s%s)", RECIPIENT_FILTER, flt) < 0)
		goto oom;
	for (k = 0; k < m->nretaken; k++) {
		size_t i = m->retaken[k];
		int found = 0;

		buf_reset(&err);
		if (ldapc_search(p->l, policy_dn(p->pp, i), LDAPC_BASE, buf_str(&f), dn_only, 0,
		                 collect_one, &found, &err) != LDAPC_OK) {
			/* Gone, refused: the whole search says what is, and its
			 * answer replaces these bits, some of them set already. */
			free(m->fbits[l]);
			m->fbits[l] = NULL;
			goto done;
		}
		if (found)
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
		else
			bits[i / 8] &= (unsigned char)~(1u << (i % 8));
	}
	for (k = 0; k < m->n; k++)
		if ((bits[k / 8] >> (k % 8)) & 1 && dnlist_add(out, policy_dn(p->pp, k)) < 0)
			goto oom;
	rc = 0;
	goto done;
oom:
	rc = -1;
done:
	if (rc != 0) {
		dnlist_free(out);
		memset(out, 0, sizeof(*out));
	}
	buf_free(&f);
	buf_free(&err);
	return rc;
}

/* Keeps which objects the kept pass's list l matched, for kept_members;
 * a refused filter keeps nothing (it is searched whole again). */
static int kept_match(struct pass *p, size_t l, const struct dnlist *members, const char *error)
{
	struct rec_memo *m = p->o->memo;
	unsigned char *bits;
	size_t k;
	long i;

	if (m == NULL || p->pp != m->pp)
		return 0;
	if (error != NULL) {
		free(m->fbits[l]);
		m->fbits[l] = NULL;
		return 0;
	}
	if (m->fbits[l] != NULL)
		return 0; /* kept_members answered from it */
	bits = calloc(m->fbytes ? m->fbytes : 1, 1);
	if (bits == NULL)
		return -1;
	for (k = 0; k < members->n; k++)
		if ((i = policy_find(p->pp, members->v[k])) >= 0)
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
	m->fbits[l] = bits;
	return 0;
}

/* Runs every list's dirmailMemberFilter against the directory, unless
 * the read-ahead pf has already. */
static int run_filters(struct pass *p, struct prefetch *pf, struct buf *err)
{
	size_t k;

	for (k = 0; k < p->set.nlists; k++) {
		struct entry *e = obj_entry(p, p->set.lists[k]);
		const char *flt = e ? entry_first(e, "dirmailMemberFilter") : NULL;
		enum ldapc_rc lrc = LDAPC_OK;
		int r;

		if (flt == NULL)
			r = -1;
		else if (prefetch_take(pf, e->dn, flt, &p->members[k], &p->filter_err[k]))
			r = 0;
		else if ((r = kept_members(p, p->set.lists[k], flt, &p->members[k])) == 1)
			r = read_members(p->l, p->o->base, p->o->page_size, flt, &p->members[k],
			                 &p->filter_err[k], &lrc, err);
		if (r == 0 && kept_match(p, p->set.lists[k], &p->members[k], p->filter_err[k]) < 0)
			r = -1;
		if (r > 0)
			log_error("%s: dirmailMemberFilter: %s", e->dn, buf_str(err));
		entry_free(e);
		if (r != 0)
			return r < 0 ? EX_OSERR : exit_for(lrc);
	}
	return EX_OK;
}

/* Hands the filter results to the policy and settles the pass. */
static int settle(struct pass *p)
{
	/* A filter that matched nobody: no members, not "as read". */
	static const char *const nobody[] = {NULL};
	size_t k;

	for (k = 0; k < p->set.nlists; k++) {
		const char *const *v = (const char *const *)p->members[k].v;

		if (policy_filter(p->pp, p->set.lists[k], v ? v : nobody, p->members[k].n,
		                  p->filter_err[k]) < 0)
			return -1;
	}
	return policy_settle(p->pp, &p->res);
}

/* load's answer when the directory moved under the read: read again. */
#define LOAD_MOVED (-1)

static int by_dn(const void *a, const void *b)
{
	return strcasecmp((*(struct entry *const *)a)->dn, (*(struct entry *const *)b)->dn);
}

/* The object read again after a stale write with DN dn, or NULL. */
static const struct entry *fresh_of(const struct pass *p, const char *dn)
{
	struct entry key, *kp = &key, *const * hit;

	if (p->fresh.n == 0)
		return NULL;
	key.dn = dm_unconst(dn);
	hit = bsearch(&kp, p->fresh.v, p->fresh.n, sizeof(*p->fresh.v), by_dn);
	return hit ? *hit : NULL;
}

/* Object k of rec_opts.source as this pass takes it, in a new entry the
 * caller frees: read again after a stale write, or as the cache holds
 * it; NULL when out of memory. */
static struct entry *source_nth(const struct pass *p, size_t k)
{
	const struct entry *f = fresh_of(p, cache_dn(p->o->source, k));

	return f ? entry_dup(f) : cache_nth(p->o->source, k);
}

/* Reads the objects settle decided otherwise for than policy_take's build
 * assumed, which the store did not keep; LOAD_MOVED when one is no longer
 * the version the pass read (or is gone). */
static int fill_gaps(struct pass *p)
{
	struct buf err = BUF_INIT;
	size_t i;
	int rc = EX_OK;

	/* The cache holds every object as the pass took it. */
	if (p->o->source != NULL)
		return EX_OK;
	for (i = 0; i < p->set.n && rc == EX_OK; i++) {
		struct entry *e = NULL;
		enum ldapc_rc lrc;

		if (store_has(&p->set, i) || policy_unchanged(p->pp, i))
			continue;
		buf_reset(&err);
		if (p->o->source != NULL) {
			e = source_nth(p, i);
			if (e == NULL) {
				rc = EX_OSERR;
				break;
			}
			lrc = LDAPC_OK;
		} else {
			lrc = ldapc_read(p->l, policy_dn(p->pp, i), rcpt_attrs(), &e, &err);
		}
		if (lrc == LDAPC_SKIP || (lrc == LDAPC_OK && version_of(e) != p->set.v[i].ver)) {
			rc = LOAD_MOVED;
		} else if (lrc != LDAPC_OK) {
			log_error("%s: reading again: %s", policy_dn(p->pp, i), buf_str(&err));
			rc = exit_for(lrc);
		} else {
			struct entry *what_if = NULL;

			/* Read again, it is taken as the what-if sets have it. */
			if ((p->o->nsets > 0 && with_sets(p, e, &what_if) < 0) ||
			    store_put(&p->set, i, what_if ? what_if : e, policy_dn(p->pp, i)) < 0)
				rc = EX_OSERR;
			entry_free(what_if);
		}
		entry_free(e);
	}
	buf_free(&err);
	return rc;
}

/* Forgets what load read, keeping the pass's settings. */
static void unload(struct pass *p)
{
	size_t k;

	for (k = 0; p->members && k < p->set.nlists; k++)
		dnlist_free(&p->members[k]);
	for (k = 0; p->filter_err && k < p->set.nlists; k++)
		free(p->filter_err[k]);
	free(p->members);
	free(p->filter_err);
	p->members = NULL;
	p->filter_err = NULL;
	store_free(&p->set);
	if (p->o == NULL || p->o->memo == NULL || p->pp != p->o->memo->pp)
		policy_pass_free(p->pp);
	p->pp = NULL;
}

/* The read from the daemon's cache: every object it holds, in its order,
 * so object i of the pass is entry i of the cache. */
static int take_cached(struct pass *p)
{
	size_t k, n = cache_count(p->o->source);

	if (policy_reserve(p->pp, n) < 0)
		return -1;
	for (k = 0; k < n; k++) {
		struct entry *e = source_nth(p, k);
		int r = e ? take(e, p) : -1;

		entry_free(e);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Notes object k of the kept pass, taken from e: its stamp (0 when e is a
 * re-read, which the cache has yet to catch up with) and whether it is a
 * list with a member filter. */
static void memo_note(struct pass *p, size_t k, const struct entry *e)
{
	struct rec_memo *m = p->o->memo;

	m->stamps[k] = fresh_of(p, e->dn) ? 0 : cache_stamp(p->o->source, k);
	m->lists[k] =
	    policy_obj_kind(m->pp, k) == POL_LIST && entry_get(e, "dirmailMemberFilter") != NULL;
}

static int memo_grow(struct rec_memo *m, size_t n)
{
	uint64_t *st;
	unsigned char *li, **fb;
	size_t *rt, k, bytes;

	if (n <= m->cap)
		return 0;
	n += n / 4 + 64;
	bytes = (n + 7) / 8;
	st = realloc(m->stamps, n * sizeof(*st));
	if (st == NULL)
		return -1;
	m->stamps = st;
	li = realloc(m->lists, n);
	if (li == NULL)
		return -1;
	m->lists = li;
	rt = realloc(m->retaken, n * sizeof(*rt));
	if (rt == NULL)
		return -1;
	m->retaken = rt;
	fb = realloc(m->fbits, n * sizeof(*fb));
	if (fb == NULL)
		return -1;
	m->fbits = fb;
	for (k = m->cap; k < n; k++)
		fb[k] = NULL;
	for (k = 0; k < m->n; k++) {
		unsigned char *b = fb[k] ? realloc(fb[k], bytes) : NULL;

		if (fb[k] != NULL && b == NULL) {
			memo_unmatch(m, 0); /* searched whole next time */
			break;
		}
		if (b != NULL)
			memset(b + m->fbytes, 0, bytes - m->fbytes);
		fb[k] = b;
	}
	m->fbytes = bytes;
	m->cap = n;
	return 0;
}

/* Takes again into the kept pass the objects of the cache that changed
 * since it was settled: 0, 1 when only a new pass can tell, -1 out of
 * memory. */
static int retake_changed(struct pass *p, size_t n)
{
	struct rec_memo *m = p->o->memo;
	size_t k;
	int r;

	if (m->acct_key != p->acct_key || m->ctx.acct != p->ctx.acct ||
	    m->ctx.recipient_class != p->ctx.recipient_class ||
	    m->ctx.contact_classes != p->ctx.contact_classes || policy_reopen(m->pp) < 0)
		return 1;
	if (m->n > n && (r = policy_truncate(m->pp, n)) != 0)
		return r;
	memo_unmatch(m, n);
	m->nretaken = 0;
	for (k = 0; k < n; k++) {
		struct entry *e;

		if (k < m->n && m->stamps[k] != 0 && m->stamps[k] == cache_stamp(p->o->source, k) &&
		    (p->fresh.n == 0 || fresh_of(p, cache_dn(p->o->source, k)) == NULL))
			continue;
		e = source_nth(p, k);
		if (e == NULL)
			return -1;
		r = policy_retake(m->pp, k, e);
		if (r == 0)
			memo_note(p, k, e);
		m->taken++;
		/* Its filter may be another: searched whole. */
		free(m->fbits[k]);
		m->fbits[k] = NULL;
		m->retaken[m->nretaken++] = k;
		entry_free(e);
		if (r != 0)
			return r;
	}
	return 0;
}

/* The read from the daemon's cache into its kept pass: only what changed
 * since the last pass when that can be, else everything. */
static int take_kept(struct pass *p)
{
	struct rec_memo *m = p->o->memo;
	size_t k, n = cache_count(p->o->source);
	int r = 1;

	if (memo_grow(m, n) < 0)
		return -1;
	m->taken = 0;
	if (m->pp != NULL)
		r = retake_changed(p, n);
	if (r < 0)
		return -1;
	if (r > 0) {
		rec_memo_forget(m);
		m->ctx = p->ctx;
		m->acct_key = p->acct_key;
		m->pp = policy_pass_new(&m->ctx);
		if (m->pp == NULL)
			return -1;
		policy_keep(m->pp);
		if (policy_reserve(m->pp, n) < 0)
			return -1;
		for (k = 0; k < n; k++) {
			struct entry *e = source_nth(p, k);

			tick(p->o);
			r = e ? policy_take(m->pp, e) : -1;
			if (r == 0)
				memo_note(p, k, e);
			entry_free(e);
			if (r < 0)
				return -1;
		}
		m->taken = n;
	}
	m->n = n;
	p->pp = m->pp;
	if (store_reserve(&p->set, n) < 0)
		return -1;
	for (k = 0; k < n; k++)
		if (store_slot(&p->set, k) == NULL ||
		    (m->lists[k] && push_idx(&p->set.lists, &p->set.nlists, k) < 0))
			return -1;
	return 0;
}

/* Reading from the cache, the objects of stale writes are read again from
 * the directory, which the cache may not have caught up with: the cache
 * will, through the change source, and the next pass takes it from there.
 * 0, or -1 (logged) when a read failed for another reason than the object
 * being gone. */
static int refresh_stale(struct pass *p, const struct dnlist *dns)
{
	struct buf err = BUF_INIT;
	size_t k;
	int rc = 0;

	for (k = 0; k < dns->n && rc == 0; k++) {
		struct entry *e = NULL;
		enum ldapc_rc lrc;
		size_t i;

		buf_reset(&err);
		lrc = ldapc_read(p->l, dns->v[k], rcpt_attrs(), &e, &err);
		if (lrc == LDAPC_SKIP)
			continue; /* gone or moved: the source says so */
		if (lrc != LDAPC_OK) {
			log_error("%s: reading again: %s", dns->v[k], buf_str(&err));
			rc = -1;
			break;
		}
		for (i = 0; i < p->fresh.n && strcasecmp(p->fresh.v[i]->dn, e->dn) != 0; i++)
			;
		if (i < p->fresh.n) {
			entry_free(p->fresh.v[i]);
			p->fresh.v[i] = e;
		} else if (entry_list_push(&p->fresh, e) < 0) {
			rc = -1; /* e is freed */
		}
	}
	if (p->fresh.n > 1)
		qsort(p->fresh.v, p->fresh.n, sizeof(*p->fresh.v), by_dn);
	buf_free(&err);
	return rc;
}

/* One read of every recipient, the lists' filters (from the read-ahead pf
 * when given) and settle: a sysexits code, or LOAD_MOVED. A failed read is
 * never taken for an empty one. */
static int load(struct pass *p, struct prefetch *pf, struct buf *err)
{
	enum ldapc_rc lrc;
	int rc;

	unload(p);
	if (p->o->source != NULL && p->o->memo != NULL && p->o->nsets == 0) {
		if (take_kept(p) < 0) {
			rec_memo_forget(p->o->memo);
			return EX_OSERR;
		}
	} else if ((p->pp = policy_pass_new(&p->ctx)) == NULL) {
		return EX_OSERR;
	} else if (p->o->source != NULL) {
		if (take_cached(p) < 0)
			return EX_OSERR;
	} else {
		lrc = ldapc_search(p->l, p->o->base, LDAPC_SUB, RECIPIENT_FILTER, rcpt_attrs(),
		                   p->o->page_size, take, p, err);
		if (pf != NULL)
			prefetch_join(pf);
		if (lrc != LDAPC_OK) {
			log_error("reading the recipients under \"%s\": %s; %s", p->o->base,
			          buf_str(err), stop_note(p));
			return exit_for(lrc);
		}
	}
	p->members = calloc(p->set.nlists ? p->set.nlists : 1, sizeof(*p->members));
	p->filter_err = calloc(p->set.nlists ? p->set.nlists : 1, sizeof(*p->filter_err));
	if (p->members == NULL || p->filter_err == NULL)
		return EX_OSERR;
	rc = run_filters(p, pf, err);
	if (rc != EX_OK)
		return rc;
	if (settle(p) < 0)
		return EX_OSERR;
	return fill_gaps(p);
}

/* load, again while objects keep moving under the read (ASSERT_TRIES). */
static int load_settled(struct pass *p, struct prefetch *pf, struct buf *err)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		rc = load(p, tries == 0 ? pf : NULL, err);
		if (rc != LOAD_MOVED)
			return rc;
		if (tries + 1 >= ASSERT_TRIES) {
			log_error("objects under \"%s\" changed while they were read, %d times; %s",
			          p->o->base, ASSERT_TRIES, stop_note(p));
			return EX_TEMPFAIL;
		}
		log_info("objects changed while they were read; reading everything again");
	}
}

/* An object built and diffed: what it is, wants, and must change. */
struct built {
	struct entry *cur;
	struct pol_obj o;
	struct diff d;
};

static void built_free(struct built *b)
{
	diff_free(&b->d);
	policy_obj_clear(&b->o);
	entry_free(b->cur);
	memset(b, 0, sizeof(*b));
}

static int selected(const struct rec_opts *o, const char *dn)
{
	return o->only_dn == NULL || strcasecmp(o->only_dn, dn) == 0;
}

/* Unpacks, builds and diffs object i into b (freeing what was there); the
 * diff borrows from b's entries, so all three live and go together. */
static int build_one(struct pass *p, size_t i, struct built *b)
{
	tick(p->o);
	built_free(b);
	if (p->o->source == NULL && !store_has(&p->set, i))
		log_panic("%s: to be built, but its entry was not kept", policy_dn(p->pp, i));
	b->cur = obj_entry(p, i);
	if (b->cur == NULL || policy_build(p->pp, i, b->cur, &b->o) < 0)
		return -1;
	if (!b->o.managed || b->o.want == NULL || !selected(p->o, b->cur->dn))
		return 0;
	return diff_entry(b->cur, b->o.want, policy_diff_attrs(), &b->d);
}

/* The version attribute the assertion guarding a write to e names, or
 * NULL when writes carry no assertion or e has no version. */
static const char *version_attr(const struct pass *p, const struct entry *e)
{
	const char *attr = entry_first(e, "entryCSN") ? "entryCSN" : "uSNChanged";

	return p->o->no_assertion || entry_first(e, attr) == NULL ? NULL : attr;
}

/* Appends the assertion filter "(attr=v)" to out; -1 when out of memory. */
static int assert_filter(const char *attr, const char *v, struct buf *out)
{
	return buf_printf(out, "(%s=", attr) < 0 || ldapc_filter_escape(out, v, strlen(v)) < 0 ||
	               buf_puts(out, ")") < 0
	           ? -1
	           : 0;
}

/* The assertion filter guarding a write to e, or "" when e carries no
 * version attribute. */
static int assertion(const struct pass *p, const struct entry *e, struct buf *out)
{
	const char *attr = version_attr(p, e);

	return attr == NULL ? 0 : assert_filter(attr, entry_first(e, attr), out);
}

/* The rule a change serves, for the journal: the kind of the state. */
static void rule_of(enum pol_state kind, struct buf *out)
{
	buf_reset(out);
	(void)!buf_printf(out, "reconcile:%s", policy_state_name(kind));
}

/* The attributes of e as the mods of an add. */
static struct entry_mod *add_mods(const struct entry *e)
{
	struct entry_mod *m = calloc(e->nattrs ? e->nattrs : 1, sizeof(*m));
	size_t i;

	for (i = 0; m && i < e->nattrs; i++) {
		m[i].op = ENTRY_MOD_ADD;
		m[i].attr = e->attrs[i].name;
		m[i].vals = e->attrs[i].vals;
		m[i].nvals = e->attrs[i].nvals;
	}
	return m;
}

/* ---- the write window ------------------------------------------------------ */

/* A write journaled and waiting to be sent (staged), or sent and not yet
 * answered (in flight). */
struct inflight {
	int msgid;
	long jid;    /* its journal request */
	size_t obj;  /* the object it changes, NO_OBJ for a contact or the account */
	int guarded; /* sent with an assertion */
	const char *dn;
	const char *postread; /* the version attribute to read back, or NULL */
	/* while staged: what to send (mods copied, values borrowed from b) */
	enum ldapc_write kind;
	struct entry_mod *mods;
	size_t nmods;
	char *guard;
	struct built *b; /* the object the values belong to, owned */
	uint64_t attrs;  /* a modify's attributes, as write_attr numbers them */
};

#define NO_OBJ ((size_t)-1)

/* Why a pass sends no more: each has its exit code (exit_for_stop). */
enum stop {
	STOP_NONE,
	STOP_LINK,    /* the connection or the server is gone: EX_UNAVAILABLE */
	STOP_JOURNAL, /* the journal cannot be written: EX_IOERR */
	STOP_MEMORY,  /* EX_OSERR */
	STOP_FATAL,   /* the server refuses dirmail's writes as configured: EX_CONFIG */
	STOP_SIGNAL,  /* asked to stop (rec_opts.interrupt): EX_TEMPFAIL */
};

/* A write whose assertion failed: its object is read again, and the
 * journal says so after its request. */
struct stale {
	size_t obj;
	long jid;
};

/* Up to cap writes in flight; what comes back is sorted into the lists. */
struct pipe {
	struct inflight *s; /* in flight */
	size_t n, cap;      /* n + nstaged <= cap */
	struct inflight *staged;
	size_t nstaged;
	struct stale *stale; /* objects whose assertion failed: re-read them */
	size_t nstale;
	size_t *refused, nrefused; /* objects whose change the server refused */
	size_t failed;             /* the object whose write failed last, or NO_OBJ */
	enum stop stop;            /* set: send no more */
	unsigned systemic[4];      /* refusals by SYSTEMIC_CODES, for systemic() */
	/* The version the last write sent with postread left its entry at
	 * (RFC 4527), when it succeeded and the server said; else NULL. The
	 * next batch of a modify in several is guarded by it. Owned. */
	char *version;
};

/* Refusals that say the bind's rights or the schema are wrong rather than
 * one object: undefinedAttributeType, invalidAttributeSyntax,
 * insufficientAccessRights, objectClassViolation. */
static const int SYSTEMIC_CODES[4] = {17, 21, 50, 65};
/* Refusals of one such kind after which the pass stops. */
#define SYSTEMIC_MAX 5

static int exit_for_stop(enum stop s)
{
	switch (s) {
	case STOP_NONE:
		return EX_OK;
	case STOP_LINK:
		return EX_UNAVAILABLE;
	case STOP_JOURNAL:
		return EX_IOERR;
	case STOP_MEMORY:
		return EX_OSERR;
	case STOP_FATAL:
		return EX_CONFIG;
	case STOP_SIGNAL:
		return EX_TEMPFAIL;
	}
	return EX_SOFTWARE;
}

/* Stops the pass for why; the first reason is the one logged (msg, when
 * given) and the one the exit code tells. */
static void pipe_stop(struct pipe *pp, enum stop why, const char *msg)
{
	if (pp->stop != STOP_NONE)
		return;
	pp->stop = why;
	if (msg != NULL)
		log_error("%s", msg);
	else if (why == STOP_MEMORY)
		log_error("out of memory; nothing more is written");
}

static void journal_failed(struct pipe *pp, const struct buf *jerr)
{
	struct buf msg = BUF_INIT;

	(void)!buf_printf(&msg, "journal: %s; nothing more is written", buf_str(jerr));
	pipe_stop(pp, STOP_JOURNAL, buf_str(&msg));
	buf_free(&msg);
}

/* The journal's word for what ldapc says of a write's result. */
static int journal_code(int code)
{
	if (code == LDAPC_CODE_UNSENT)
		return JOURNAL_UNSENT;
	return code < 0 ? JOURNAL_UNKNOWN : code;
}

static int push_idx(size_t **v, size_t *n, size_t x);

static void push_stale(struct pipe *pp, size_t obj, long jid)
{
	struct stale *v = realloc(pp->stale, (pp->nstale + 1) * sizeof(*v));

	if (v == NULL) {
		pipe_stop(pp, STOP_MEMORY, NULL);
		return;
	}
	pp->stale = v;
	v[pp->nstale].obj = obj;
	v[pp->nstale].jid = jid;
	pp->nstale++;
}

/* Counts a refusal with code; at SYSTEMIC_MAX of one kind that says the
 * bind or the schema is wrong, stops the pass with one message naming the
 * fix instead of one line per object (1). */
static int systemic(struct pipe *pp, int code)
{
	size_t k;

	for (k = 0; k < sizeof(SYSTEMIC_CODES) / sizeof(SYSTEMIC_CODES[0]); k++)
		if (SYSTEMIC_CODES[k] == code)
			break;
	if (k == sizeof(SYSTEMIC_CODES) / sizeof(SYSTEMIC_CODES[0]) ||
	    ++pp->systemic[k] < SYSTEMIC_MAX)
		return 0;
	log_error("the server refused %u writes with %s (%d): %s; the pass stops, what was "
	          "written is in the journal",
	          pp->systemic[k], journal_result_name(code), code,
	          code == 50
	              ? "this bind may not write what dirmail owns (grant it write access to "
	                "the attributes dirmail(8) lists, on the objects under the base)"
	              : "the directory's schema lacks what dirmail writes (dirmail check-config "
	                "names what is missing and the schema file that brings it)");
	pipe_stop(pp, STOP_FATAL, NULL);
	return 1;
}

/* The attributes a modify may change, numbered for inflight.attrs: those
 * diff compares, then objectClass; the last bit stands for any other. */
#define WRITE_ATTR_OTHER 63

static const char *write_attr(unsigned k)
{
	const char *const *v = policy_diff_attrs();
	unsigned i;

	for (i = 0; v[i] != NULL && i < k; i++)
		;
	return v[i] != NULL ? v[i] : i == k ? "objectClass" : "other";
}

static uint64_t write_attrs(const struct entry_mod *mods, size_t nmods)
{
	const char *const *v = policy_diff_attrs();
	uint64_t bits = 0;
	size_t k;
	unsigned i;

	for (k = 0; k < nmods; k++) {
		for (i = 0; v[i] != NULL && strcasecmp(v[i], mods[k].attr) != 0; i++)
			;
		if (v[i] == NULL && strcasecmp(mods[k].attr, "objectClass") != 0)
			i = WRITE_ATTR_OTHER;
		bits |= (uint64_t)1 << (i < WRITE_ATTR_OTHER ? i : WRITE_ATTR_OTHER);
	}
	return bits;
}

/* What became of write f (lrc, and code as journal_code gives it). */
static enum rec_outcome outcome_of(const struct pass *p, const struct inflight *f,
                                   enum ldapc_rc lrc, int code)
{
	if (lrc == LDAPC_OK)
		return REC_OUT_SUCCESS;
	if (code == JOURNAL_UNSENT)
		return REC_OUT_UNSENT;
	if (code == JOURNAL_UNKNOWN)
		return REC_OUT_UNANSWERED;
	/* A value to delete gone, or one to add there already: changed. */
	if (lrc == LDAPC_STALE ||
	    (lrc == LDAPC_SKIP && p->o->no_assertion && f->kind == LDAPC_W_MODIFY &&
	     (code == 16 || code == 20))) /* noSuchAttribute, attributeOrValueExists */
		return REC_OUT_STALE;
	return REC_OUT_REFUSED;
}

/* Tells rec_opts.outcome what became of write f. */
static void tell_outcome(const struct pass *p, const struct inflight *f, enum rec_outcome out,
                         int code)
{
	const char *names[64];
	size_t n = 0;
	unsigned k;

	for (k = 0; k < 64; k++)
		if (f->attrs & ((uint64_t)1 << k))
			names[n++] = write_attr(k);
	p->o->outcome(f->kind, names, n, out,
	              out == REC_OUT_REFUSED ? journal_result_name(code) : NULL, p->o->outcome_arg);
}

/* Sorts the outcome of write f (lrc, and code as journal_code gives it):
 * journal first, then the counts and lists. */
static void settle_write(struct pass *p, struct pipe *pp, const struct inflight *f,
                         enum ldapc_rc lrc, int code, const char *why, struct rec_stats *st)
{
	struct buf jerr = BUF_INIT;
	enum rec_outcome out = outcome_of(p, f, lrc, code);

	if (journal_end(p->j, f->jid, time(NULL), code, lrc == LDAPC_OK ? NULL : why, &jerr) < 0 &&
	    pp->stop != STOP_JOURNAL)
		journal_failed(pp, &jerr);
	buf_free(&jerr);
	if (lrc == LDAPC_OK && p->o->written != NULL)
		p->o->written(f->dn, p->o->written_arg);
	if (p->o->outcome != NULL)
		tell_outcome(p, f, out, code);
	if (out == REC_OUT_SUCCESS || out == REC_OUT_UNSENT)
		return; /* done, or never sent: nothing happened */
	pp->failed = f->obj;
	if (out == REC_OUT_UNANSWERED) {
		st->unknown++;
		log_error("%s: %s; its outcome is unknown (see the journal)", f->dn, why);
		pipe_stop(pp, STOP_LINK, NULL);
		return;
	}
	if (out == REC_OUT_STALE) {
		st->stale++;
		if (f->guarded && f->obj != NO_OBJ)
			push_stale(pp, f->obj, f->jid);
		else
			log_warn("%s: changed since dirmail read it; left for the next pass",
			         f->dn);
		return;
	}
	st->refused++;
	log_error("%s: %s", f->dn, why);
	if (lrc == LDAPC_SKIP && systemic(pp, code))
		return;
	if (lrc == LDAPC_SKIP) {
		if (f->obj != NO_OBJ && push_idx(&pp->refused, &pp->nrefused, f->obj) < 0)
			pipe_stop(pp, STOP_MEMORY, NULL);
	} else {
		pipe_stop(pp, lrc == LDAPC_FATAL ? STOP_FATAL : STOP_LINK, NULL);
	}
}

/* Waits for one answer; a lost connection leaves every write in flight
 * with an unknown outcome, and says so in the journal. */
static void reap(struct pass *p, struct pipe *pp, struct rec_stats *st)
{
	struct buf err = BUF_INIT;
	enum ldapc_rc lrc;
	size_t i;
	int msgid;

	lrc = ldapc_wait(p->l, &msgid, &err);
	for (i = 0; i < pp->n && pp->s[i].msgid != msgid; i++)
		;
	if (msgid < 0 || i == pp->n) {
		for (i = 0; i < pp->n; i++)
			settle_write(p, pp, &pp->s[i], LDAPC_RETRY, JOURNAL_UNKNOWN, buf_str(&err),
			             st);
		pp->n = 0;
		pipe_stop(pp, STOP_LINK, NULL);
	} else {
		struct inflight f = pp->s[i];
		const char *v = ldapc_result_postread(p->l);

		pp->s[i] = pp->s[--pp->n];
		if (f.postread != NULL && lrc == LDAPC_OK && v != NULL) {
			free(pp->version);
			pp->version = strdup(v);
		}
		settle_write(p, pp, &f, lrc, journal_code(ldapc_result_code(p->l)), buf_str(&err),
		             st);
	}
	buf_free(&err);
}

static void unstage(struct inflight *f)
{
	free(f->mods);
	free(f->guard);
	if (f->b != NULL)
		built_free(f->b);
	free(f->b);
	f->mods = NULL;
	f->guard = NULL;
	f->b = NULL;
}

/* Group commit: one fdatasync makes every staged record durable, then they
 * are all sent. */
static void flush(struct pass *p, struct pipe *pp, struct rec_stats *st)
{
	struct buf err = BUF_INIT;
	enum ldapc_rc lrc;
	size_t i;

	if (pp->nstaged == 0)
		return;
	if (journal_sync(p->j, &err) < 0)
		journal_failed(pp, &err);
	for (i = 0; i < pp->nstaged; i++) {
		struct inflight *f = &pp->staged[i];

		buf_reset(&err);
		if (pp->stop != STOP_NONE) {
			/* Journaled, never sent: the journal must say so. */
			settle_write(p, pp, f, LDAPC_RETRY, JOURNAL_UNSENT, "the pass stopped", st);
		} else {
			lrc = ldapc_send(p->l, f->kind, f->dn, f->mods, f->nmods, f->guard,
			                 f->postread, &f->msgid, &err);
			if (lrc == LDAPC_OK) {
				st->writes++;
				pp->s[pp->n++] = *f;
			} else {
				settle_write(p, pp, f, lrc, journal_code(ldapc_result_code(p->l)),
				             buf_str(&err), st);
			}
		}
		/* Sent (libldap encoded it) or given up: the values are not
		 * needed any more. */
		unstage(f);
	}
	pp->nstaged = 0;
	buf_free(&err);
}

static void drain(struct pass *p, struct pipe *pp, struct rec_stats *st)
{
	struct buf err = BUF_INIT;

	flush(p, pp, st);
	while (pp->n > 0)
		reap(p, pp, st);
	/* The results are worth keeping too before the next phase. */
	if (p->j && journal_sync(p->j, &err) < 0)
		journal_failed(pp, &err);
	buf_free(&err);
}

/* Journals one change (with before, the entry a delete removes, when
 * given) and stages it; staged changes are synced and sent in groups, up
 * to the window. dn must outlive the write (the pass's copy); b, when
 * given, is taken over and freed once the write is sent. */
static void pipe_send(struct pass *p, struct pipe *pp, enum ldapc_write kind, const char *dn,
                      const struct entry_mod *mods, size_t nmods, const char *guard,
                      const char *postread, const struct entry *before, const char *rule,
                      const char *rec, size_t obj, struct built *b, struct rec_stats *st)
{
	struct buf err = BUF_INIT;
	struct inflight f;

	memset(&f, 0, sizeof(f));
	f.b = b;
	while (pp->stop == STOP_NONE && pp->n + pp->nstaged >= pp->cap) {
		if (pp->nstaged > 0 && (pp->n == 0 || pp->nstaged >= pp->cap / 2))
			flush(p, pp, st);
		else
			reap(p, pp, st);
	}
	if (pp->stop != STOP_NONE) {
		unstage(&f);
		return;
	}
	f.msgid = -1;
	f.obj = obj;
	/* Without the assertion control, a modify is guarded by its values. */
	f.guarded = guard != NULL || (p->o->no_assertion && kind == LDAPC_W_MODIFY);
	f.dn = dn;
	f.postread = postread;
	f.kind = kind;
	f.nmods = nmods;
	f.mods = nmods ? malloc(nmods * sizeof(*f.mods)) : NULL;
	f.guard = guard ? strdup(guard) : NULL;
	if ((nmods && f.mods == NULL) || (guard && f.guard == NULL)) {
		unstage(&f);
		pipe_stop(pp, STOP_MEMORY, NULL);
		return;
	}
	if (nmods)
		memcpy(f.mods, mods, nmods * sizeof(*f.mods));
	if (kind == LDAPC_W_MODIFY)
		f.attrs = write_attrs(mods, nmods);
	/* the pass and the bind identity, asked once per connection */
	if (journal_set_origin(p->j, p->o->pass_id, ldapc_bind_identity(p->l), &err) < 0)
		f.jid = -1;
	else
		f.jid = journal_begin(p->j, time(NULL), rule, guard ? guard : "none", before, rec,
		                      &err);
	if (f.jid < 0) {
		unstage(&f);
		journal_failed(pp, &err);
	} else {
		pp->staged[pp->nstaged++] = f;
	}
	buf_free(&err);
}

/* Is the new contact c wanted by the objects this pass writes? */
static int add_selected(const struct pass *p, const struct entry *c)
{
	size_t i, n = policy_count(p->pp);

	for (i = 0; i < n; i++) {
		const char *alt = policy_forward_dn(p->pp, i);

		if (alt && strcasecmp(alt, c->dn) == 0 && selected(p->o, policy_dn(p->pp, i)))
			return 1;
	}
	return 0;
}

/* The DNs of the stale objects of the pass, copied: they outlive a reload;
 * their journal requests go to jids. */
static int stale_dns(const struct pass *p, const struct pipe *pp, struct dnlist *out, long **jids)
{
	size_t k;

	*jids = calloc(pp->nstale ? pp->nstale : 1, sizeof(**jids));
	if (*jids == NULL)
		return -1;
	for (k = 0; k < pp->nstale; k++) {
		if (dnlist_add(out, policy_dn(p->pp, pp->stale[k].obj)) < 0)
			return -1;
		(*jids)[k] = pp->stale[k].jid;
	}
	return 0;
}

/* The DNs of objects v[0..n) of the pass, copied: they outlive a reload. */
static int dns_of(const struct pass *p, const size_t *v, size_t n, struct dnlist *out)
{
	size_t k;

	for (k = 0; k < n; k++)
		if (dnlist_add(out, policy_dn(p->pp, v[k])) < 0)
			return -1;
	return 0;
}

static void free_pass(struct pass *p)
{
	unload(p);
	entry_list_free(&p->fresh);
	free(p->only);
	if (p->o == NULL || p->o->keep_journal == NULL)
		journal_close(p->j);
	policy_result_clear(&p->res);
	buf_free(&p->res.acct_state);
}

/* The safety stop for a pass that reads far fewer recipients than the
 * last complete one: a bind whose rights hide users, a wrong base or a
 * server answering with part of the tree must never read as "everyone was
 * deleted". EX_OK to go on, else logged. */
static int seen_check(const struct rec_opts *o, const char *acct_dn, size_t seen)
{
	struct buf err = BUF_INIT;
	long last = 0;
	int r, rc = EX_OK;

	if (o->state_dir == NULL || o->min_seen_percent <= 0)
		return EX_OK;
	r = state_seen_load(o->state_dir, acct_dn, &last, &err);
	if (r < 0) {
		log_error("%s; nothing was written (remove the file to count afresh)",
		          buf_str(&err));
		rc = EX_IOERR;
	} else if (r > 0 && (double)seen * 100.0 < (double)last * o->min_seen_percent) {
		if (o->force) {
			log_warn(
			    "read %zu recipients under \"%s\", fewer than %d%% of the %ld the last "
			    "complete pass read; going on (--force)",
			    seen, o->base, o->min_seen_percent, last);
		} else {
			log_error(
			    "read %zu recipients under \"%s\", fewer than %d%% of the %ld the last "
			    "complete pass read: the bind may not see every object (access rules, "
			    "base); nothing was written (check the bind's rights, or run with "
			    "--force if they really are gone; safety.min_seen_percent)",
			    seen, o->base, o->min_seen_percent, last);
			rc = EX_DATAERR;
		}
	}
	buf_free(&err);
	return rc;
}

/* Remembers how many recipients this complete pass read. */
static int seen_save(const struct rec_opts *o, const char *acct_dn, size_t seen)
{
	struct buf err = BUF_INIT;
	int rc = EX_OK;

	long kept = -1;

	if (o->state_dir == NULL)
		return EX_OK;
	/* The daemon's passes mostly see the same count: no write then. */
	if (state_seen_load(o->state_dir, acct_dn, &kept, &err) == 1 && kept == (long)seen) {
		buf_free(&err);
		return EX_OK;
	}
	buf_reset(&err);
	if (state_seen_save(o->state_dir, acct_dn, (long)seen, &err) < 0) {
		log_error(
		    "%s: the number of recipients read cannot be kept, so the next pass cannot "
		    "tell whether it sees too few",
		    buf_str(&err));
		rc = EX_CANTCREAT;
	}
	buf_free(&err);
	return rc;
}

/* Stage 2: builds and diffs every selected object that may change, before
 * the first write, so what changes and how much is deleted is known up
 * front; nbs[i] is set for objects with changes. */
static int count_changes(struct pass *p, unsigned char *nbs, size_t *found_dn, struct rec_stats *st)
{
	struct built b;
	size_t i, n = p->set.n;
	int rc = EX_OK;

	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		const char *dn = policy_dn(p->pp, i);

		if (!selected(p->o, dn))
			continue;
		if (policy_obj_kind(p->pp, i) != POL_OTHER) {
			st->states[policy_state_kind(p->pp, i)]++;
			if (p->o->state_of != NULL)
				p->o->state_of(dn, policy_state_kind(p->pp, i), p->o->state_arg);
		}
		if (policy_unchanged(p->pp, i)) {
			(*found_dn)++; /* converged, known since it was read */
			continue;
		}
		if (build_one(p, i, &b) < 0) {
			rc = EX_OSERR;
			break;
		}
		if (b.o.remove) {
			(*found_dn)++;
			st->changed++;
			st->deletions += (size_t)b.o.deletions;
			note_deletions(p, i, b.o.deletions);
		}
		if (!b.o.managed)
			continue;
		(*found_dn)++;
		nbs[i] = b.d.nb > 0;
		if (b.d.nb == 0)
			continue;
		st->changed++;
		st->deletions += (size_t)b.o.deletions;
		note_deletions(p, i, b.o.deletions);
		if (b.o.state_kind != POL_OK)
			log_info("%s: %s", dn, b.o.state);
	}
	built_free(&b);
	for (i = 0; rc == EX_OK && i < p->res.nadds; i++)
		st->changed += add_selected(p, p->res.adds[i]);
	st->settled = rc == EX_OK;
	st->licences = p->ctx.acct->licences;
	st->licences_used = p->res.licences_used;
	st->licences_waiting = p->res.licences_waiting;
	st->storage_mb = p->ctx.acct->storage_total;
	st->allocated_mb = p->res.allocated_mb;
	return rc;
}

/* The user attributes of the contact i as it stands now, read again just
 * before it is deleted so the journal can re-create it; *out NULL (the
 * delete left out) when it changed or went since the pass read it. */
static int contact_before(struct pass *p, size_t i, struct entry **out)
{
	static const char *const attrs[] = {"*", "entryCSN", "uSNChanged", NULL};
	struct buf err = BUF_INIT;
	struct entry *e = NULL;
	enum ldapc_rc lrc;
	int rc = EX_OK;

	*out = NULL;
	lrc = ldapc_read(p->l, policy_dn(p->pp, i), attrs, &e, &err);
	if (lrc == LDAPC_SKIP || (lrc == LDAPC_OK && version_of(e) != obj_version(p, i))) {
		log_warn(
		    "%s: changed since dirmail read it; the unused contact is left for the next "
		    "pass",
		    policy_dn(p->pp, i));
	} else if (lrc != LDAPC_OK) {
		log_error("%s: reading again: %s", policy_dn(p->pp, i), buf_str(&err));
		rc = exit_for(lrc);
	} else {
		*out = entry_dup_without(e, ldifw_is_secret);
		if (*out == NULL) {
			rc = EX_OSERR;
		} else {
			entry_del(*out, "entryCSN");
			entry_del(*out, "uSNChanged");
		}
	}
	entry_free(e);
	buf_free(&err);
	return rc;
}

/* ---- the one writer ------------------------------------------------------- */

/*
 * Stage 4 emits every change of the pass once, in the order it is written
 * (new contacts, the objects, unused contacts, the account entry's state),
 * to one writer; the writer differs only in its sink: the plan (LDIF on
 * standard output), the dry run (a count), or the journal and the server
 * through the window of ldap.window writes. An object with several
 * batches, a re-send after a failed assertion and the note of a refusal go
 * through the same window, one write at a time (a barrier before and after
 * each batch).
 */
enum sink { SINK_PLAN, SINK_COUNT, SINK_WRITE };

/* One change as the emitter hands it to the writer. */
struct change {
	enum ldapc_write kind;
	const char *dn; /* outlives the write: the pass's or the caller's copy */
	const struct entry_mod *mods;
	size_t nmods;
	const struct entry *add; /* LDAPC_W_ADD: the new entry */
	const char *guard;       /* the assertion filter, or NULL */
	const char *postread;    /* the version attribute to read back (the next
	                          * batch's guard), or NULL */
	size_t obj;              /* the object it changes, NO_OBJ for none of the pass's */
	size_t contact;          /* LDAPC_W_DELETE: the contact's index, for its pre-image */
	const char *note;        /* the plan's comment, or NULL */
	const char *rule;        /* the journal's rule */
};

struct writer {
	enum sink sink;
	struct pass *p;
	struct rec_stats *st;
	struct pipe pp;  /* SINK_WRITE */
	struct buf out;  /* SINK_PLAN: LDIF not yet on the plan's FILE */
	struct buf text; /* a record being formatted */
	int oom;
};

static int writer_init(struct writer *w, enum sink sink, struct pass *p, struct rec_stats *st)
{
	memset(w, 0, sizeof(*w));
	w->sink = sink;
	w->p = p;
	w->st = st;
	w->pp.failed = NO_OBJ;
	if (sink == SINK_PLAN)
		return ldifw_version(&w->out);
	if (sink != SINK_WRITE)
		return 0;
	w->pp.cap = p->o->window > 0 ? (size_t)p->o->window : 1;
	w->pp.s = calloc(w->pp.cap, sizeof(*w->pp.s));
	w->pp.staged = calloc(w->pp.cap, sizeof(*w->pp.staged));
	return w->pp.s && w->pp.staged ? 0 : -1;
}

static int writer_stopped(const struct writer *w)
{
	return w->oom || w->pp.stop != STOP_NONE;
}

/* Waits for every write in flight (SINK_WRITE); the others have none. */
static void writer_barrier(struct writer *w)
{
	if (w->sink == SINK_WRITE)
		drain(w->p, &w->pp, w->st);
}

/* Hands the rest of the plan to its FILE. */
static void writer_end(struct writer *w)
{
	if (w->sink == SINK_PLAN && w->out.len > 0) {
		fwrite(w->out.s, 1, w->out.len, w->p->o->plan);
		buf_reset(&w->out);
	}
}

static void writer_free(struct writer *w)
{
	size_t i;

	for (i = 0; i < w->pp.nstaged; i++)
		unstage(&w->pp.staged[i]);
	free(w->pp.staged);
	free(w->pp.s);
	free(w->pp.stale);
	free(w->pp.refused);
	free(w->pp.version);
	buf_free(&w->out);
	buf_free(&w->text);
}

/* c as one LDIF change record, appended to out. */
static int format_change(const struct change *c, struct buf *out)
{
	switch (c->kind) {
	case LDAPC_W_ADD:
		return ldifw_add(out, c->add);
	case LDAPC_W_DELETE:
		return ldifw_delete(out, c->dn);
	case LDAPC_W_MODIFY:
		return ldifw_modify(out, c->dn, c->mods, c->nmods);
	}
	return -1;
}

/* The journal-and-send sink: journals c (a contact's delete with what the
 * contact holds, read again just before) and stages it in the window;
 * b, when given, is taken over. */
static void write_change(struct writer *w, const struct change *c, struct built *b)
{
	struct pass *p = w->p;
	struct entry_mod *m = NULL;
	struct entry *before = NULL;
	const struct entry_mod *mods = c->mods;
	size_t nmods = c->nmods;

	if (c->kind == LDAPC_W_DELETE && c->contact != NO_OBJ) {
		/* The read is synchronous: what is in flight goes first. */
		writer_barrier(w);
		if (writer_stopped(w))
			goto skip;
		switch (contact_before(p, c->contact, &before)) {
		case EX_OK:
			break;
		case EX_OSERR:
			w->oom = 1;
			goto skip;
		default:
			pipe_stop(&w->pp, STOP_LINK, NULL);
			goto skip;
		}
		if (before == NULL)
			goto skip; /* changed since it was read: for the next pass */
	}
	if (c->kind == LDAPC_W_ADD) {
		m = add_mods(c->add);
		if (m == NULL) {
			w->oom = 1;
			goto skip;
		}
		mods = m;
		nmods = c->add->nattrs;
	}
	pipe_send(p, &w->pp, c->kind, c->dn, mods, nmods, c->guard, c->postread, before, c->rule,
	          buf_str(&w->text), c->obj, b, w->st);
	b = NULL;
skip:
	if (b != NULL) {
		built_free(b);
		free(b);
	}
	entry_free(before);
	free(m);
}

/* Hands one change to the sink; b (the object the change's values belong
 * to), when given, is taken over and freed once the sink is done with it. */
static void writer_put(struct writer *w, const struct change *c, struct built *b)
{
	const volatile sig_atomic_t *stop = w->p->o->interrupt;

	tick(w->p->o);
	/* Asked to stop: what is in flight is finished, nothing more sent. */
	if (w->sink == SINK_WRITE && stop != NULL && *stop)
		pipe_stop(&w->pp, STOP_SIGNAL, "asked to stop: no further write is sent");
	else if (w->sink == SINK_WRITE && w->p->o->may_write != NULL && !writer_stopped(w) &&
	         !w->p->o->may_write(w->p->o->may_write_arg))
		pipe_stop(&w->pp, STOP_SIGNAL, "the lease is not sure: no further write is sent");
	if (!writer_stopped(w)) {
		buf_reset(&w->text);
		if (format_change(c, &w->text) < 0) {
			w->oom = 1;
		} else if (w->sink == SINK_PLAN) {
			if ((c->note != NULL && ldifw_comment(&w->out, c->note) < 0) ||
			    buf_add(&w->out, w->text.s, w->text.len) < 0)
				w->oom = 1;
			/* Streamed: a plan of a big directory is never held whole. */
			if (w->out.len > 65536)
				writer_end(w);
			w->st->writes++;
		} else if (w->sink == SINK_COUNT) {
			w->st->writes++;
		} else {
			write_change(w, c, b);
			return;
		}
	}
	if (b != NULL) {
		built_free(b);
		free(b);
	}
}

/* Emits the modify d of the entry cur (its DN dn, which outlives the
 * writes) for object obj, whose state is of kind with the text state: the
 * first batch guarded by cur's version, each further batch only once the
 * one before succeeded, guarded by the version that one left the entry at
 * (read back with it, RFC 4527), so an admin's change between two batches
 * is a failed assertion like any other; a server that does not read back
 * leaves the further batches unguarded. b, when given, holds d and cur and
 * is taken over. */
static void emit_modify(struct writer *w, const char *dn, const struct entry *cur,
                        const struct diff *d, size_t obj, enum pol_state kind, const char *state,
                        struct built *b)
{
	struct buf as = BUF_INIT, rule = BUF_INIT;
	const char *vattr = version_attr(w->p, cur);
	struct change c;
	size_t k;

	if (assertion(w->p, cur, &as) < 0) {
		w->oom = 1;
		goto done;
	}
	rule_of(kind, &rule);
	memset(&c, 0, sizeof(c));
	c.kind = LDAPC_W_MODIFY;
	c.dn = dn;
	c.obj = obj;
	c.contact = NO_OBJ;
	c.rule = buf_str(&rule);
	if (d->nb == 1) {
		c.mods = d->b[0].mods;
		c.nmods = d->b[0].nmods;
		c.guard = as.len ? buf_str(&as) : NULL;
		c.note = state;
		writer_put(w, &c, b);
		b = NULL;
		goto done;
	}
	/* Several batches: a window of one, in order. */
	writer_barrier(w);
	w->pp.failed = NO_OBJ;
	for (k = 0; k < d->nb && !writer_stopped(w); k++) {
		if (k > 0) {
			writer_barrier(w);
			if (w->pp.failed == obj && obj != NO_OBJ)
				break;
			buf_reset(&as);
			if (vattr != NULL && w->pp.version != NULL &&
			    assert_filter(vattr, w->pp.version, &as) < 0) {
				w->oom = 1;
				break;
			}
		}
		free(w->pp.version);
		w->pp.version = NULL;
		c.mods = d->b[k].mods;
		c.nmods = d->b[k].nmods;
		c.guard = as.len ? buf_str(&as) : NULL;
		c.postread = k + 1 < d->nb ? vattr : NULL;
		c.note = k == 0 ? state : NULL;
		writer_put(w, &c, NULL);
	}
	writer_barrier(w);
done:
	if (b != NULL) {
		built_free(b);
		free(b);
	}
	buf_free(&as);
	buf_free(&rule);
}

/* Builds object i and emits its change; the writer owns what it builds. */
static int emit_object(struct writer *w, size_t i)
{
	struct built *b = calloc(1, sizeof(*b));

	if (b == NULL || build_one(w->p, i, b) < 0) {
		if (b != NULL)
			built_free(b);
		free(b);
		return -1;
	}
	if (b->d.nb == 0) {
		built_free(b);
		free(b);
		return 0;
	}
	emit_modify(w, policy_dn(w->p->pp, i), b->cur, &b->d, i, b->o.state_kind, b->o.state, b);
	return 0;
}

/* After the server refused a change: the reason goes on the object, as
 * it is now, through the same writer. */
static void report_refusal(struct writer *w, const char *dn)
{
	struct pass *p = w->p;
	static const char *const attrs[] = {"dirmailState", NULL};
	static const char note[] = "error: the directory refused dirmail's change; see the log";
	struct entry *cur = NULL, *want = NULL;
	struct buf err = BUF_INIT;
	struct diff d;

	memset(&d, 0, sizeof(d));
	if (ldapc_read(p->l, dn, rcpt_attrs(), &cur, &err) != LDAPC_OK) {
		log_error("%s: cannot note the refusal on it: %s", dn, buf_str(&err));
		goto done;
	}
	want = entry_dup(cur);
	if (want == NULL)
		goto oom;
	entry_del(want, "dirmailState");
	/* The class that allows dirmailState may be part of what was refused. */
	if ((p->ctx.recipient_class != NULL &&
	     !entry_has_nocase(cur, "objectClass", p->ctx.recipient_class,
	                       strlen(p->ctx.recipient_class)) &&
	     entry_add(want, "objectClass", p->ctx.recipient_class,
	               strlen(p->ctx.recipient_class)) < 0) ||
	    entry_add(want, "dirmailState", note, sizeof(note) - 1) < 0 ||
	    diff_entry(cur, want, attrs, &d) < 0)
		goto oom;
	if (d.nb > 0)
		emit_modify(w, cur->dn, cur, &d, NO_OBJ, POL_ERROR, note, NULL);
	writer_barrier(w);
	goto done;
oom:
	w->oom = 1;
done:
	diff_free(&d);
	entry_free(want);
	entry_free(cur);
	buf_free(&err);
}

/* Someone changed these since they were read: everything is read and
 * settled again (their change may move claims elsewhere too), the journal
 * notes that each was read again, then they are built and written anew,
 * up to ASSERT_TRIES times. */
static int retry_stale(struct writer *w)
{
	struct pass *p = w->p;
	struct pipe *pp = &w->pp;
	struct buf err = BUF_INIT;
	int tries, rc = EX_OK;
	size_t i;

	for (tries = 0; tries < ASSERT_TRIES && pp->nstale > 0 && !writer_stopped(w); tries++) {
		struct dnlist sdn = {NULL, 0}, rdn = {NULL, 0};
		long *jids = NULL, at;
		size_t k, nst = pp->nstale;

		if (stale_dns(p, pp, &sdn, &jids) < 0 ||
		    dns_of(p, pp->refused, pp->nrefused, &rdn) < 0) {
			rc = EX_OSERR;
			goto next;
		}
		pp->nstale = pp->nrefused = 0;
		if (p->o->source != NULL && refresh_stale(p, &sdn) < 0) {
			pipe_stop(pp, STOP_LINK, NULL);
			goto next;
		}
		rc = load_settled(p, NULL, &err);
		if (rc != EX_OK)
			goto next;
		for (k = 0; k < nst && pp->stop == STOP_NONE; k++) {
			buf_reset(&err);
			if (journal_reread(p->j, jids[k], time(NULL), &err) < 0)
				journal_failed(pp, &err);
		}
		for (k = 0; k < rdn.n; k++)
			if ((at = policy_find(p->pp, rdn.v[k])) >= 0 &&
			    push_idx(&pp->refused, &pp->nrefused, (size_t)at) < 0)
				pipe_stop(pp, STOP_MEMORY, NULL);
		for (k = 0; k < sdn.n && !writer_stopped(w); k++) {
			at = policy_find(p->pp, sdn.v[k]);
			if (at < 0) {
				log_info("%s: gone since dirmail read it", sdn.v[k]);
				continue;
			}
			if (!policy_unchanged(p->pp, (size_t)at) &&
			    emit_object(w, (size_t)at) < 0) {
				rc = EX_OSERR;
				break;
			}
		}
		writer_barrier(w);
	next:
		free(jids);
		dnlist_free(&sdn);
		dnlist_free(&rdn);
		if (rc != EX_OK)
			break;
	}
	for (i = 0; rc == EX_OK && i < pp->nstale; i++) {
		log_error(
		    "%s: changed by someone else %d times while dirmail wrote it; left for the "
		    "next pass",
		    policy_dn(p->pp, pp->stale[i].obj), ASSERT_TRIES);
		w->st->left++;
	}
	buf_free(&err);
	return rc;
}

/* Stage 4: every change of the pass, once, in the order it is written: new
 * contacts (the modifies that follow refer to them), the objects, for the
 * journal-and-send sink what went stale again and the notes of refusals,
 * unused contacts, the account entry's state. */
static int emit_all(struct writer *w, const unsigned char *nbs, const struct entry *acct_e,
                    const struct diff *acct_diff)
{
	struct pass *p = w->p;
	struct change c;
	size_t i, n = p->set.n;
	int rc = EX_OK;

	memset(&c, 0, sizeof(c));
	c.obj = NO_OBJ;
	c.contact = NO_OBJ;
	/* Held past the threshold: the account's state says why, nothing else. */
	if (p->acct_only)
		n = 0;
	for (i = 0; i < p->res.nadds && !p->acct_only && !writer_stopped(w); i++) {
		if (!add_selected(p, p->res.adds[i]))
			continue;
		c.kind = LDAPC_W_ADD;
		c.dn = p->res.adds[i]->dn;
		c.add = p->res.adds[i];
		c.note = "new mail contact for forwarding";
		c.rule = "reconcile:contact";
		writer_put(w, &c, NULL);
	}
	writer_barrier(w);
	for (i = 0; i < n && !writer_stopped(w); i++)
		if (nbs[i] && emit_object(w, i) < 0)
			w->oom = 1;
	writer_barrier(w);
	if (w->sink == SINK_WRITE && !writer_stopped(w)) {
		rc = retry_stale(w);
		for (i = 0; rc == EX_OK && i < w->pp.nrefused && !writer_stopped(w); i++)
			report_refusal(w, policy_dn(p->pp, w->pp.refused[i]));
	}
	for (i = 0; rc == EX_OK && i < n && !writer_stopped(w); i++) {
		struct buf as = BUF_INIT;
		struct entry *cur;

		if (!policy_unused_contact(p->pp, i) || !selected(p->o, policy_dn(p->pp, i)))
			continue;
		cur = obj_entry(p, i);
		if (cur == NULL || assertion(p, cur, &as) < 0) {
			w->oom = 1;
		} else {
			c.kind = LDAPC_W_DELETE;
			c.dn = policy_dn(p->pp, i);
			c.add = NULL;
			c.guard = as.len ? buf_str(&as) : NULL;
			c.contact = i;
			c.note = "mail contact no forwarding uses any more";
			c.rule = "reconcile:unused-contact";
			writer_put(w, &c, NULL);
		}
		c.guard = NULL;
		c.contact = NO_OBJ;
		entry_free(cur);
		buf_free(&as);
	}
	writer_barrier(w);
	if (rc == EX_OK && !writer_stopped(w) && selected(p->o, acct_e->dn) && acct_diff->nb > 0)
		emit_modify(w, acct_e->dn, acct_e, acct_diff, NO_OBJ, p->res.acct_state_kind,
		            buf_str(&p->res.acct_state), NULL);
	writer_barrier(w);
	writer_end(w);
	return rc != EX_OK ? rc : w->oom ? EX_OSERR : EX_OK;
}

/* Narrows the pass to the object only (a DN, or the DN of the user or
 * list a login names): its own copy of the options. */
static int narrow_to(struct pass *p, const char *only)
{
	char *copy = strdup(only);

	if (copy == NULL)
		return EX_OSERR;
	free(p->only);
	p->only = copy;
	p->oo = *p->o;
	p->oo.only_dn = p->only;
	p->o = &p->oo;
	return EX_OK;
}

/* The pass's settings; a --dn given as a DN is normalised like the DNs
 * read, one given as a login is looked up (reconcile_find_login). */
static int pass_init(struct pass *p, struct ldapc *l, const struct account *acct,
                     const struct rec_opts *o)
{
	struct buf nd = BUF_INIT;
	int rc = EX_OK;

	memset(p, 0, sizeof(*p));
	p->l = l;
	p->o = o;
	p->ctx.acct = acct;
	p->ctx.now = time(NULL);
	p->ctx.recipient_class = o->recipient_class;
	p->ctx.new_guid = random_guid;
	p->ctx.dn_child = ldapc_dn_child;
	p->ctx.contact_classes = o->contact_classes;
	p->ctx.drop_unchanged = 1;
	if (o->only_dn == NULL)
		return EX_OK;
	if (reconcile_is_login(o->only_dn)) {
		char *dn = NULL;

		rc = reconcile_find_login(l, acct, o->base, o->page_size, o->only_dn, 1, &dn);
		if (rc == EX_OK)
			rc = narrow_to(p, dn);
		free(dn);
		return rc;
	}
	/* A DN as the admin spelt it, compared with DNs as read. */
	if (ldapc_dn_norm(&nd, o->only_dn, strlen(o->only_dn)) < 0)
		rc = EX_OSERR;
	else
		rc = narrow_to(p, buf_str(&nd));
	buf_free(&nd);
	return rc;
}

/* Stage 1: reads everything, the member filters alongside, settles, and
 * checks what the read can tell: every --set DN is there, the share of
 * recipients seen. */
/* A fingerprint of the account entry's intent (its state and version
 * left out): a kept pass was decided against the same one only if this
 * is the same. */
static uint64_t acct_key(const struct entry *e)
{
	const char *const *a = account_attrs();
	uint64_t h = 0;
	size_t i, k;

	for (; *a != NULL; a++) {
		const struct entry_attr *at =
		    strcasecmp(*a, "dirmailState") ? entry_get(e, *a) : NULL;

		for (k = 0; at && k < at->nvals; k++)
			for (i = 0; i < 2; i++) {
				const char *v = i ? at->vals[k].val : *a;

				h = h * 1000003u ^ hash_bytes(v, i ? at->vals[k].len : strlen(v));
			}
	}
	return h ^ hash_bytes(e->dn, strlen(e->dn));
}

static int stage_read(struct pass *p, struct prefetch *pf, const struct entry *acct_e,
                      struct rec_stats *st)
{
	const struct rec_opts *o = p->o;
	struct buf err = BUF_INIT;
	size_t i;
	int rc;

	p->acct_key = acct_key(acct_e);

	prefetch_start(pf, p->l, o);
	rc = load_settled(p, pf, &err);
	buf_free(&err);
	if (rc != EX_OK)
		return rc;
	st->objects = p->set.n;
	st->taken = o->memo != NULL && o->source != NULL && p->pp == o->memo->pp ? o->memo->taken
	                                                                         : p->set.n;
	for (i = 0; i < o->nsets; i++)
		if (o->sets[i].dn != NULL && policy_find(p->pp, o->sets[i].dn) < 0) {
			log_error("--set %s:%s: no user, list or contact there under \"%s\"",
			          o->sets[i].dn, o->sets[i].attr, o->base);
			rc = EX_DATAERR;
		}
	if (rc != EX_OK)
		return rc;
	return seen_check(o, acct_e->dn, p->set.n);
}

static int hold_state(struct pass *p, const struct entry *acct_e, struct diff *acct_diff,
                      struct entry *acct_want, const struct rec_stats *st);

/* Makes want (a copy of the account entry acct_e) carry state as its
 * dirmailState and diffs acct_e against it into d, which borrows from
 * both; -1 when out of memory. */
static int acct_state_diff(const struct entry *acct_e, struct entry *want, const struct buf *state,
                           struct diff *d)
{
	static const char *const state_attr[] = {"dirmailState", NULL};

	entry_del(want, "dirmailState");
	return entry_add(want, "dirmailState", state->s, state->len) < 0 ||
	               diff_entry(acct_e, want, state_attr, d) < 0
	           ? -1
	           : 0;
}

/* Names the objects that delete the most, for a pass over the threshold. */
static void log_top(const struct pass *p)
{
	struct buf b = BUF_INIT;
	size_t k;

	for (k = 0; k < p->ntop; k++)
		if (buf_printf(&b, "%s%s (%d)", k ? ", " : "", policy_dn(p->pp, p->top[k].obj),
		               p->top[k].n) < 0)
			break;
	if (p->ntop > 0)
		log_error("the most deletions: %s", buf_str(&b));
	buf_free(&b);
}

/* Stages 2 and 3: builds and diffs everything before the first write (nbs
 * marks the objects with changes, acct_diff the account entry's state,
 * borrowing from *acct_want, which the caller frees after it), then holds
 * the delete threshold: *over set (and logged) past it. */
static int stage_count(struct pass *p, unsigned char *nbs, const struct entry *acct_e,
                       struct diff *acct_diff, struct entry **acct_want, struct rec_stats *st,
                       int *over)
{
	const struct rec_opts *o = p->o;
	const struct account *acct = p->ctx.acct;
	size_t found_dn = 0;
	int rc;

	rc = count_changes(p, nbs, &found_dn, st);
	if (rc != EX_OK)
		return rc;
	if (o->only_dn && found_dn == 0 && strcasecmp(o->only_dn, acct_e->dn) != 0) {
		log_error("--dn \"%s\": no user or list with dirmail intent there", o->only_dn);
		return EX_DATAERR;
	}
	*acct_want = entry_dup(acct_e);
	if (*acct_want == NULL ||
	    acct_state_diff(acct_e, *acct_want, &p->res.acct_state, acct_diff) < 0)
		return EX_OSERR;
	/* The daemon says it when it changes, not on every pass. */
	if (p->res.acct_state_kind != POL_OK && (o->source == NULL || acct_diff->nb > 0))
		log_warn("%s: %s", acct_e->dn, buf_str(&p->res.acct_state));
	if ((long)st->deletions > acct->delete_threshold && !o->force) {
		log_error(
		    "this pass would delete %zu mailboxes, addresses, list members or contacts, "
		    "more than the account's dirmailDeleteThreshold of %ld; %s",
		    st->deletions, acct->delete_threshold,
		    o->hold ? "it is held: only the account entry's dirmailState is written "
		              "(check the intent and the bind's rights, or raise the threshold)"
		    : o->plan != NULL
		        ? "the plan shows them all"
		        : "nothing was written (check the intent and the bind's rights, or "
		          "run with --force)");
		log_top(p);
		*over = 1;
		st->held = 1;
		if (o->hold && hold_state(p, acct_e, acct_diff, *acct_want, st) < 0)
			return EX_OSERR;
	}
	return EX_OK;
}

/* A pass held past the threshold (rec_opts.hold): the account entry's
 * dirmailState says so, and it alone is written. */
static int hold_state(struct pass *p, const struct entry *acct_e, struct diff *acct_diff,
                      struct entry *acct_want, const struct rec_stats *st)
{
	int rc = -1;

	diff_free(acct_diff);
	memset(acct_diff, 0, sizeof(*acct_diff));
	buf_reset(&p->res.acct_state);
	if (buf_printf(&p->res.acct_state,
	               "%s: held: a pass would delete %zu mailboxes, addresses, list members or "
	               "contacts, more than dirmailDeleteThreshold (%ld); nothing else is written "
	               "until the intent changes or the threshold is raised",
	               policy_state_name(POL_ERROR), st->deletions,
	               p->ctx.acct->delete_threshold) < 0)
		goto done;
	p->res.acct_state_kind = POL_ERROR;
	if (acct_state_diff(acct_e, acct_want, &p->res.acct_state, acct_diff) < 0)
		goto done;
	p->acct_only = 1;
	rc = 0;
done:
	return rc;
}

/* Stage 4: the one writer, its sink the plan, the dry run's count, or the
 * journal and the server; *complete says the pass got through its writes. */
static int stage_write(struct pass *p, enum sink sink, const unsigned char *nbs,
                       const struct entry *acct_e, const struct diff *acct_diff,
                       struct rec_stats *st, int *complete)
{
	const struct rec_opts *o = p->o;
	struct buf err = BUF_INIT;
	struct writer w;
	int rc = EX_OK;

	memset(&w, 0, sizeof(w));
	if (sink == SINK_WRITE) {
		/* Nothing to write: the journal is left as it is (not even created). */
		if (st->changed == 0 && !(selected(o, acct_e->dn) && acct_diff->nb > 0)) {
			*complete = 1;
			goto done;
		}
		if (o->keep_journal != NULL && *o->keep_journal != NULL) {
			p->j = *o->keep_journal; /* the daemon's, open since an earlier pass */
		} else if ((rc = journal_open(o->journal, o->journal_max_mb, &p->j, &err)) < 0) {
			log_error("journal: %s; nothing was written", buf_str(&err));
			/* A daemon at work: another time, not another setting. */
			rc = rc == JOURNAL_BUSY ? EX_TEMPFAIL : EX_CANTCREAT;
			goto done;
		} else if (o->keep_journal != NULL) {
			*o->keep_journal = p->j;
		}
		journal_defer(p->j, 1);
	}
	if (writer_init(&w, sink, p, st) < 0) {
		rc = EX_OSERR;
		goto done;
	}
	rc = emit_all(&w, nbs, acct_e, acct_diff);
	if (rc == EX_OK && w.pp.stop != STOP_NONE) {
		rc = exit_for_stop(w.pp.stop);
		if (w.pp.stop != STOP_JOURNAL)
			log_error("the pass stopped after %zu writes; each is in the journal %s",
			          st->writes, o->journal);
	}
	if (rc != EX_OK || sink != SINK_WRITE)
		goto done;
	*complete = 1;
	if (st->refused > 0 || st->left > 0)
		rc = EX_DATAERR;
done:
	writer_free(&w);
	buf_free(&err);
	return rc;
}

static int reconcile_pass(struct ldapc *l, const struct account *acct, const struct entry *acct_e,
                          const struct rec_opts *o, struct rec_stats *st);

int reconcile_account_invalid(struct ldapc *l, const struct entry *acct_e, const char *why,
                              const struct rec_opts *o, struct rec_stats *st)
{
	struct entry *want = entry_dup(acct_e);
	struct diff d;
	struct pass p;
	int rc = EX_OSERR, complete = 0;

	memset(st, 0, sizeof(*st));
	memset(&d, 0, sizeof(d));
	memset(&p, 0, sizeof(p));
	p.l = l;
	p.o = o;
	p.acct_only = 1; /* the account's state, nothing else */
	p.res.acct_state_kind = POL_INVALID;
	if (want == NULL || buf_printf(&p.res.acct_state, "invalid: %s", why) < 0 ||
	    acct_state_diff(acct_e, want, &p.res.acct_state, &d) < 0)
		goto done;
	rc = EX_OK;
	if (d.nb > 0 && o->plan == NULL && !o->dry_run)
		rc = stage_write(&p, SINK_WRITE, NULL, acct_e, &d, st, &complete);
done:
	diff_free(&d);
	entry_free(want);
	free_pass(&p);
	return rc;
}

size_t reconcile_blocked(const struct rec_stats *st)
{
	size_t k, n = 0;

	for (k = 0; k < sizeof(st->states) / sizeof(st->states[0]); k++)
		if (k != POL_OK)
			n += st->states[k];
	return n;
}

int reconcile_summary(const struct rec_stats *st, int flags, struct buf *out)
{
	size_t k;
	int r = buf_printf(out, "objects=%zu", st->objects);

	for (k = 0; r == 0 && k < sizeof(st->states) / sizeof(st->states[0]); k++)
		r = buf_printf(out, " %s=%zu", policy_state_name((enum pol_state)k), st->states[k]);
	if (r == 0 && (flags & REC_SUM_TAKEN))
		r = buf_printf(out, " taken=%zu", st->taken);
	if (r == 0)
		r = buf_printf(out,
		               " changed=%zu writes=%zu refused=%zu stale=%zu unanswered=%zu "
		               "deletions=%zu",
		               st->changed, st->writes, st->refused, st->stale, st->unknown,
		               st->deletions);
	if (r == 0 && (flags & REC_SUM_MS))
		r = buf_printf(out, " ms=%lu", st->ms);
	return r;
}

static unsigned long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long)ts.tv_sec * 1000ul + (unsigned long)ts.tv_nsec / 1000000ul;
}

int reconcile_run(struct ldapc *l, const struct account *acct, const struct entry *acct_e,
                  const struct rec_opts *o, struct rec_stats *st)
{
	unsigned long t0 = mono_ms();
	int rc = reconcile_pass(l, acct, acct_e, o, st);

	st->ms = mono_ms() - t0;
	return rc;
}

static int reconcile_pass(struct ldapc *l, const struct account *acct, const struct entry *acct_e,
                          const struct rec_opts *o, struct rec_stats *st)
{
	enum sink sink = o->plan ? SINK_PLAN : o->dry_run ? SINK_COUNT : SINK_WRITE;
	unsigned char *nbs = NULL; /* per object: 1 when it has changes */
	struct entry *acct_want = NULL;
	struct prefetch pf;
	struct diff acct_diff;
	struct pass p;
	int rc, complete = 0, over = 0;

	memset(&pf, 0, sizeof(pf));
	memset(st, 0, sizeof(*st));
	memset(&acct_diff, 0, sizeof(acct_diff));
	rc = pass_init(&p, l, acct, o);
	if (rc == EX_OK)
		rc = stage_read(&p, &pf, acct_e, st);
	if (rc == EX_OK && (nbs = calloc(p.set.n ? p.set.n : 1, sizeof(*nbs))) == NULL)
		rc = EX_OSERR;
	if (rc == EX_OK)
		rc = stage_count(&p, nbs, acct_e, &acct_diff, &acct_want, st, &over);
	/* A dry run past the threshold still counts what the pass would write;
	 * a held one writes the account's state. */
	/* A plan or dry run past the threshold still shows what the pass
	 * would write; a held one writes the account's state. */
	if (rc == EX_OK && (!over || sink != SINK_WRITE || p.acct_only))
		rc = stage_write(&p, sink, nbs, acct_e, &acct_diff, st, &complete);
	if (rc == EX_OK && over)
		rc = EX_DATAERR;
	if (rc == EX_OSERR)
		log_error("out of memory; %s", stop_note(&p));
	if (sink == SINK_WRITE && complete) {
		int src = seen_save(p.o, acct_e->dn, st->objects);

		if (rc == EX_OK)
			rc = src;
	}
	prefetch_free(&pf);
	free(nbs);
	diff_free(&acct_diff);
	entry_free(acct_want);
	free_pass(&p);
	return rc;
}

int reconcile_explain(struct ldapc *l, const struct account *acct, const struct entry *acct_e,
                      const struct rec_opts *o, struct buf *out)
{
	struct pol_decision d;
	struct prefetch pf;
	struct rec_stats st;
	struct built b;
	struct pass p;
	long i = -1;
	int rc;

	memset(&pf, 0, sizeof(pf));
	memset(&d, 0, sizeof(d));
	memset(&b, 0, sizeof(b));
	rc = pass_init(&p, l, acct, o);
	/* Every object kept and built in full: the explanation shows all. */
	p.ctx.drop_unchanged = 0;
	if (rc == EX_OK)
		rc = stage_read(&p, &pf, acct_e, &st);
	if (rc == EX_OK && (i = policy_find(p.pp, p.o->only_dn)) < 0) {
		log_error("%s: no user, list or contact there under \"%s\"", p.o->only_dn, o->base);
		rc = EX_DATAERR;
	}
	if (rc == EX_OK &&
	    (policy_decision(p.pp, (size_t)i, &d) < 0 ||
	     (b.cur = store_get(&p.set, (size_t)i, policy_dn(p.pp, (size_t)i))) == NULL ||
	     policy_build(p.pp, (size_t)i, b.cur, &b.o) < 0 ||
	     explain_object(out, b.cur, b.o.want, &d, acct) < 0))
		rc = EX_OSERR;
	if (rc == EX_OSERR)
		log_error("out of memory; nothing was written");
	policy_decision_clear(&d);
	built_free(&b);
	prefetch_free(&pf);
	free_pass(&p);
	return rc;
}
