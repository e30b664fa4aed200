/* policy.c - intent to desired state, the rules of SPEC section 2.
 * A pass is computed in phases over every object at once: validation and
 * service exclusivity, licences, address claims in creation order, then the
 * derived attributes, list membership and the account's own state. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "policy.h"
#include "pool.h"

/* AD's integer attributes are 32-bit; larger quotas are clamped. */
#define KB_MAX 2147483647L
/* AD's rangeUpper of proxyAddresses and targetAddress. */
#define ADDR_ATTR_MAX 1123
/* AD's rangeUpper of mailNickname. */
#define NICK_MAX 64
/* Suffixes tried before a generated collision is reported instead. */
#define SUFFIX_MAX 999
/* Marks an alias in dirmailManagedAddress: retired when the alias goes. */
#define ALIAS_MARK "alias:"

static const char *const owned[] = {
    "mail",
    "mailNickname",
    "targetAddress",
    "msExchRecipientTypeDetails",
    "msExchRecipientDisplayType",
    "homeMDB",
    "legacyExchangeDN",
    "msExchMailboxGuid",
    "showInAddressBook",
    "msExchHideFromAddressLists",
    "mDBUseDefaults",
    "mDBStorageQuota",
    "mDBOverQuotaLimit",
    "mDBOverHardQuotaLimit",
    "altRecipient",
    "deliverAndRedirect",
    "msExchRecipLimit",
    "dirmailMessageRateLimit",
    "dirmailManagedAddress",
    "dirmailState",
    NULL,
};

/* Of what the policy reads, the attributes whose values are DNs. */
static const char *const dn_valued[] = {
    "member",
    "altRecipient",
    "homeMDB",
    "showInAddressBook",
    "dirmailCatchAll",
    "dirmailAddressList",
    "dirmailExchangeDatabase",
    "dirmailContactBase",
    NULL,
};

const char *const *policy_dn_attrs(void)
{
	return dn_valued;
}

/* What the policy reads of an object besides the attributes it owns. */
static const char *const inputs[] = {
    "objectClass",
    "cn",
    "uid",
    "sAMAccountName",
    "givenName",
    "sn",
    "initials",
    "userAccountControl",
    "proxyAddresses",
    "member",
    "createTimestamp",
    "whenCreated",
    "dirmailService",
    "dirmailPrimaryAddress",
    "dirmailAlias",
    "dirmailQuota",
    "dirmailQuotaNotify",
    "dirmailForwardTo",
    "dirmailForwardKeepCopy",
    "dirmailAutoReply",
    "dirmailAutoReplyStart",
    "dirmailAutoReplyEnd",
    "dirmailHidden",
    "dirmailDisabled",
    "dirmailMemberFilter",
    NULL,
};

/* The attributes a wanted entry holds: what dirmail owns or merges. */
static const char *const merged[] = {"objectClass", "proxyAddresses", "member", NULL};

/* The mailbox attributes whose removal is a mailbox deletion. */
static const char *const exchange_attrs[] = {"homeMDB", "msExchMailboxGuid", "legacyExchangeDN",
                                             NULL};

const char *const *policy_owned_attrs(void)
{
	return owned;
}

const char *const *policy_diff_attrs(void)
{
	static const char *all[sizeof(owned) / sizeof(owned[0]) + 2];
	size_t i;

	if (all[0] == NULL) {
		for (i = 0; owned[i]; i++)
			all[i] = owned[i];
		all[i++] = "proxyAddresses";
		all[i++] = "member";
		all[i] = NULL;
	}
	return all;
}

const char *const *policy_read_attrs(void)
{
	static const char
	    *all[sizeof(owned) / sizeof(owned[0]) + sizeof(inputs) / sizeof(inputs[0])];
	size_t i, n = 0;

	if (all[0] == NULL) {
		for (i = 0; owned[i]; i++)
			all[n++] = owned[i];
		for (i = 0; inputs[i]; i++)
			all[n++] = inputs[i];
		all[n] = NULL;
	}
	return all;
}

/* The attributes a wanted entry is made of, owned then merged, with their
 * lookup keys: compared for every object, so worked out once. */
#define NWANTED (sizeof(owned) / sizeof(owned[0]) + sizeof(merged) / sizeof(merged[0]) - 2)

static const struct wanted {
	const char *name;
	unsigned int key;
} * wanted_attrs(void)
{
	static struct wanted w[NWANTED + 1];
	size_t i, k, at = 0;

	if (w[0].name == NULL) /* the same values, whoever computes them */
		for (k = 0; k < 2; k++)
			for (i = 0; (k == 0 ? owned : merged)[i]; i++, at++) {
				w[at].name = (k == 0 ? owned : merged)[i];
				w[at].key = entry_name_key(w[at].name);
			}
	return w;
}

/* Adds one value to attribute name of e, copied into e's arena: wanted
 * entries are built and dropped by the thousand. */
static int add1(struct entry *e, const char *name, const void *v, size_t len)
{
	struct entry_val x;

	x.val = dm_unconst((const char *)v);
	x.len = len;
	return entry_add_vals(e, name, &x, 1);
}

/* Is name none of the attributes a wanted entry is made of? */
static int not_wanted(const char *name)
{
	const struct wanted *w = wanted_attrs();
	unsigned int key = entry_name_key(name);
	size_t i;

	for (i = 0; i < NWANTED; i++)
		if (w[i].key == key && strcasecmp(w[i].name, name) == 0)
			return 0;
	return 1;
}

/* A copy of the attributes of e that a wanted entry is made of. */
static struct entry *want_from(const struct entry *e)
{
	return entry_dup_without(e, not_wanted);
}

static int has_class(const struct entry *e, const char *cls)
{
	const struct entry_attr *a = entry_get(e, "objectClass");
	size_t i;

	for (i = 0; a != NULL && i < a->nvals; i++)
		if (strcasecmp(a->vals[i].val, cls) == 0)
			return 1;
	return 0;
}

enum pol_kind policy_kind(const struct entry *e)
{
	if (has_class(e, "dirmailUser"))
		return POL_USER;
	if (has_class(e, "dirmailList"))
		return POL_LIST;
	return POL_OTHER;
}

/* ---- a string vector ------------------------------------------------- */

/* The strings are the pool's when pool is set, else each its own. */
struct strv {
	char **v;
	unsigned n, cap;
	struct pool *pool;
};

#define STRV_INIT(pool)                                                                            \
	{                                                                                          \
		NULL, 0, 0, pool                                                                   \
	}

static int strv_add(struct strv *s, const char *str)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 4;
		char **v = cap > s->cap ? realloc(s->v, cap * sizeof(*v)) : NULL;

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = s->pool ? pool_strdup(s->pool, str) : strdup(str);
	if (s->v[s->n] == NULL)
		return -1;
	s->n++;
	return 0;
}

static int strv_find(const struct strv *s, const char *str)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcasecmp(s->v[i], str) == 0)
			return (int)i;
	return -1;
}

static void strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; !s->pool && i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- a string-keyed index: address or DN -> object --------------------- */

struct slot {
	char *key; /* NULL = empty */
	uint32_t owner;
	uint32_t h; /* hash(key), its low half */
};

struct idx {
	struct slot *s;
	size_t cap, n;
	struct pool *pool; /* holds copies of the keys; NULL: keys are borrowed */
};

static uint64_t hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *k; k++) {
		h ^= (unsigned char)tolower((unsigned char)*k);
		h *= 1099511628211ULL;
	}
	return h;
}

static struct slot *idx_slot(const struct idx *x, const char *key, uint32_t h)
{
	size_t i;

	if (x->cap == 0)
		return NULL;
	for (i = h & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
		if (x->s[i].key == NULL || (x->s[i].h == h && strcasecmp(x->s[i].key, key) == 0))
			return &x->s[i];
}

/* The owner of key, or -1. */
static long idx_get(const struct idx *x, const char *key)
{
	struct slot *s = idx_slot(x, key, (uint32_t)hash(key));

	return s && s->key ? (long)s->owner : -1;
}

static int idx_grow(struct idx *x)
{
	struct idx y = {NULL, x->cap ? x->cap * 2 : 1024, 0, x->pool};
	size_t i;

	y.s = calloc(y.cap, sizeof(*y.s));
	if (y.s == NULL)
		return -1;
	for (i = 0; i < x->cap; i++)
		if (x->s[i].key != NULL) {
			size_t k = x->s[i].h & (y.cap - 1);

			while (y.s[k].key != NULL) /* keys are unique: no compare */
				k = (k + 1) & (y.cap - 1);
			y.s[k] = x->s[i];
			y.n++;
		}
	free(x->s);
	*x = y;
	return 0;
}

/* Records key for owner unless someone holds it already: owners keep. */
static int idx_put(struct idx *x, const char *key, size_t owner)
{
	uint32_t h = (uint32_t)hash(key);
	struct slot *s;

	if (owner > UINT32_MAX || ((x->n + 1) * 4 > x->cap * 3 && idx_grow(x) < 0))
		return -1;
	s = idx_slot(x, key, h);
	if (s->key != NULL)
		return 0;
	s->h = h;
	s->key = x->pool ? pool_strdup(x->pool, key) : dm_unconst(key);
	if (s->key == NULL)
		return -1;
	s->owner = (uint32_t)owner;
	x->n++;
	return 0;
}

static void idx_free(struct idx *x)
{
	free(x->s);
	x->s = NULL;
	x->cap = x->n = 0;
}

/* ---- per-object working state ------------------------------------------ */

enum svc { SVC_NONE, SVC_POP, SVC_EXCH };

/* The addresses dirmail recorded as its own on an entry: generated ones
 * and aliases apart. */
struct olds {
	struct strv plain, alias;
};

/* What the pass keeps of an object between reading it (policy_take) and
 * building its wanted entry (policy_build): its intent, checked, and what
 * other objects' rules ask of it. Strings are in the pass's pool. */
struct work {
	struct pol_obj *o;     /* only within policy_build */
	const struct entry *e; /* only within policy_take and policy_build */
	size_t self;
	enum pol_kind kind;
	const char *dn;
	const char *created; /* "" sorts last through order_cmp */
	const char *fwd;     /* dirmailForwardTo as an index key, or NULL */
	const char *fwd_as_read;
	const char *alt;     /* the altRecipient the forward wants, or NULL */
	const char *cur_alt; /* altRecipient as read, or NULL */
	const char *const *filter_members;
	size_t nfilter_members;
	enum svc svc; /* wanted */
	unsigned cur_pop : 1, cur_exch : 1;
	unsigned footprint : 1; /* dirmailState or dirmailManagedAddress present */
	unsigned blocked : 1;   /* the state explains it; nothing else changes */
	unsigned active : 1;    /* mail-enabled after this pass */
	unsigned disabled : 1, hidden : 1, notify : 1, keep_copy : 1;
	unsigned has_addr : 1;      /* holds mail or proxyAddresses */
	unsigned contact : 1;       /* a mail contact dirmail created */
	unsigned remove : 1;        /* such a contact nothing uses any more */
	unsigned spec_same : 1;     /* built when taken, unchanged, if settle agrees */
	unsigned spec_ok : 1;       /* and settle agreed */
	uint64_t spec_fp;           /* settled_fp as that build assumed it */
	long quota;                 /* MB, -1 = the account default */
	struct buf state;           /* "" = ok */
	struct strv addrs;          /* claimed, lowercase; [0] is the primary */
	struct strv alias_addrs;    /* claimed from dirmailAlias */
	struct strv cands, aliases; /* what claim tries, until it has */
	size_t nexp;                /* explicit ones at the head of cands */
	uint64_t held;              /* bit i < 32: cands[i], bit 32 + j: aliases[j] is this
	                             * object's already (it holds it): claim needs no look-up */
	struct olds *old;           /* within take and build only: the pass's */
};

struct pol_pass {
	const struct pol_ctx *ctx;
	struct olds old;     /* of the one object being taken or built */
	struct pool scratch; /* strings of that object alone */
	struct pool pool;
	struct work *w;
	size_t n, cap;
	struct idx ix, dns; /* every address in use; every DN */
	int settled;
};

static int set_state(struct work *w, const char *fmt, ...) DM_PRINTF(2, 3);
static int set_state(struct work *w, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (w->state.len)
		return 0; /* the first reason found is the one shown */
	va_start(ap, fmt);
	rc = buf_vprintf(&w->state, fmt, ap);
	va_end(ap);
	w->blocked = 1;
	return rc;
}

static const char *first(const struct work *w, const char *attr)
{
	return entry_first(w->e, attr);
}

/* Reads a TRUE/FALSE attribute: 0/1, dflt when absent, -1 when invalid. */
static int get_bool(struct work *w, const char *attr, int dflt)
{
	const char *v = first(w, attr);

	if (v == NULL)
		return dflt;
	if (strcasecmp(v, "TRUE") == 0)
		return 1;
	if (strcasecmp(v, "FALSE") == 0)
		return 0;
	(void)!set_state(w, "invalid: %s: \"%s\" is not TRUE or FALSE", attr, v);
	return -1;
}

static int parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' ? 0 : -1;
}

/* The domain of a full address, or NULL. */
static const char *domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : NULL;
}

static int domain_accepted(const struct account *a, const char *dom)
{
	size_t i;

	if (dom == NULL)
		return 0;
	if (a->primary_domain && strcasecmp(dom, a->primary_domain) == 0)
		return 1;
	for (i = 0; i < a->domains.n; i++)
		if (strcasecmp(dom, a->domains.v[i]) == 0)
			return 1;
	return 0;
}

/* Is a GeneralizedTime (YYYYMMDDHHMMSS[.f]Z) well formed? */
static int gentime_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 14; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	s += 14;
	if (*s == '.' || *s == ',')
		for (s++; isdigit((unsigned char)*s); s++)
			;
	return strcmp(s, "Z") == 0;
}

static int is_smtp(const char *v)
{
	return strncasecmp(v, "smtp:", 5) == 0;
}

/* Is addr one dirmail generated for w? */
static int dirmails(const struct work *w, const char *addr)
{
	return strv_find(&w->old->plain, addr) >= 0 || strv_find(&w->old->alias, addr) >= 0;
}

/* The addresses dirmail recorded as its own on w's entry, generated ones
 * and aliases apart; -1 when out of memory. */
static int managed_split(struct work *w)
{
	const struct entry_attr *a = entry_get(w->e, "dirmailManagedAddress");
	size_t i;

	strv_free(&w->old->plain);
	strv_free(&w->old->alias);
	for (i = 0; a && i < a->nvals; i++)
		if (strncasecmp(a->vals[i].val, ALIAS_MARK, strlen(ALIAS_MARK)) == 0
		        ? strv_add(&w->old->alias, a->vals[i].val + strlen(ALIAS_MARK)) < 0
		        : strv_add(&w->old->plain, a->vals[i].val) < 0)
			return -1;
	return 0;
}

/* Phase A: the object's intent, read and checked; sets blocked states. */
static void read_intent(const struct pol_ctx *ctx, struct work *w)
{
	const struct entry *e = w->e;
	const struct entry_attr *a;
	const char *v;
	struct buf why = BUF_INIT;
	long n;
	size_t i;

	w->created = entry_first(e, "createTimestamp");
	if (w->created == NULL)
		w->created = entry_first(e, "whenCreated");
	if (w->created == NULL)
		w->created = "";
	w->footprint = entry_get(e, "dirmailState") || entry_get(e, "dirmailManagedAddress");
	if (managed_split(w) < 0)
		(void)!set_state(w, "error: out of memory");
	v = first(w, "msExchRecipientTypeDetails");
	w->cur_exch = entry_get(e, "homeMDB") || entry_get(e, "msExchMailboxGuid") ||
	              (v && strcmp(v, "1") == 0);
	w->cur_pop = !w->cur_exch && v && strcmp(v, "128") == 0;
	w->quota = -1;
	w->notify = 1;
	if (w->kind == POL_OTHER)
		return;

	w->hidden = get_bool(w, "dirmailHidden", 0) == 1;
	if (w->kind == POL_LIST) {
		w->active = 1;
		goto addresses;
	}

	v = first(w, "dirmailService");
	if (v == NULL || strcasecmp(v, "none") == 0)
		w->svc = SVC_NONE;
	else if (strcasecmp(v, "pop-imap") == 0)
		w->svc = SVC_POP;
	else if (strcasecmp(v, "exchange") == 0)
		w->svc = SVC_EXCH;
	else
		(void)!set_state(
		    w, "invalid: dirmailService: \"%s\" is not pop-imap, exchange or none", v);
	w->disabled = get_bool(w, "dirmailDisabled", 0) == 1;
	v = first(w, "userAccountControl");
	if (v && parse_long(v, &n) == 0 && (n & 2))
		w->disabled = 1;
	w->notify = get_bool(w, "dirmailQuotaNotify", 1) != 0;
	w->keep_copy = get_bool(w, "dirmailForwardKeepCopy", 0) == 1;
	v = first(w, "dirmailQuota");
	if (v != NULL) {
		if (parse_long(v, &w->quota) < 0)
			(void)!set_state(w, "invalid: dirmailQuota: \"%s\" is not a number of MB",
			                 v);
		else if (w->quota < 0)
			(void)!set_state(w, "invalid: dirmailQuota: %ld is negative", w->quota);
		else if (ctx->acct->storage_total > 0 && w->quota > ctx->acct->storage_total)
			(void)!set_state(w,
			                 "invalid: dirmailQuota: %ld MB is more than the account's "
			                 "storage of %ld MB",
			                 w->quota, ctx->acct->storage_total);
	}
	v = first(w, "dirmailForwardTo");
	if (v != NULL) {
		buf_reset(&why);
		if (addr_check(v, &why) < 0)
			(void)!set_state(w, "invalid: dirmailForwardTo: \"%s\": %s", v,
			                 buf_str(&why));
	}
	v = first(w, "dirmailAutoReplyStart");
	if (v && !gentime_ok(v))
		(void)!set_state(
		    w, "invalid: dirmailAutoReplyStart: \"%s\" is not a GeneralizedTime", v);
	v = first(w, "dirmailAutoReplyEnd");
	if (v && !gentime_ok(v))
		(void)!set_state(w, "invalid: dirmailAutoReplyEnd: \"%s\" is not a GeneralizedTime",
		                 v);
	if (first(w, "dirmailAutoReplyStart") && v &&
	    strcmp(first(w, "dirmailAutoReplyStart"), v) > 0)
		(void)!set_state(w,
		                 "invalid: dirmailAutoReplyEnd lies before dirmailAutoReplyStart");

addresses:
	v = first(w, "dirmailPrimaryAddress");
	if (v != NULL) {
		buf_reset(&why);
		if (addr_check(v, &why) < 0)
			(void)!set_state(w, "invalid: dirmailPrimaryAddress: \"%s\": %s", v,
			                 buf_str(&why));
		else if (!domain_accepted(ctx->acct, domain_of(v)))
			(void)!set_state(
			    w,
			    "invalid: dirmailPrimaryAddress: \"%s\": %s is not a domain of "
			    "the account",
			    v, domain_of(v));
	}
	a = entry_get(e, "dirmailAlias");
	for (i = 0; a && i < a->nvals; i++) {
		v = a->vals[i].val;
		buf_reset(&why);
		if (strchr(v, '@') ? addr_check(v, &why) < 0
		                   : addr_check_local(v, strlen(v), &why) < 0)
			(void)!set_state(w, "invalid: dirmailAlias: \"%s\": %s", v, buf_str(&why));
		else if (strchr(v, '@') && !domain_accepted(ctx->acct, domain_of(v)))
			(void)!set_state(
			    w, "invalid: dirmailAlias: \"%s\": %s is not a domain of the account",
			    v, domain_of(v));
	}
	buf_free(&why);
	if (w->blocked || w->kind != POL_USER)
		return;

	/* Service exclusivity: never two mailboxes, never a silent switch. */
	if (w->svc == SVC_POP && w->cur_exch)
		(void)!set_state(w,
		                 "conflict: exchange-enabled: disable Exchange first; its mailbox "
		                 "will be deleted");
	else if (w->svc == SVC_EXCH && w->cur_pop)
		(void)!set_state(w,
		                 "conflict: pop-imap-enabled: disable POP/IMAP first; its mailbox "
		                 "will be deleted");
	else if (ctx->acct->catch_all && strcasecmp(e->dn, ctx->acct->catch_all) == 0 &&
	         (w->svc == SVC_NONE || w->disabled))
		(void)!set_state(w,
		                 "conflict: catch-all: the main account receives mail for unknown "
		                 "addresses and cannot be disabled or lose its mailbox");
	if (!w->blocked && w->svc != SVC_NONE &&
	    ((w->svc == SVC_POP && ctx->acct->popimap_host == NULL) ||
	     (w->svc == SVC_EXCH && ctx->acct->exchange_database == NULL)))
		(void)!set_state(w, "invalid: the account entry has no %s",
		                 w->svc == SVC_POP ? "dirmailPopImapHost"
		                                   : "dirmailExchangeDatabase");
	w->active = !w->blocked && w->svc != SVC_NONE;
}

/* Creation order, then the smaller DN: who wins a race for an address or a
 * licence. Objects without a creation time come last. */
static int order_cmp(const void *pa, const void *pb)
{
	const struct work *a = *(struct work *const *)pa, *b = *(struct work *const *)pb;
	int c;

	if (*a->created == '\0' || *b->created == '\0')
		c = (*a->created == '\0') - (*b->created == '\0');
	else
		c = strcmp(a->created, b->created);
	return c ? c : strcasecmp(a->dn, b->dn);
}

/* The address candidates of w, in order: primary first; explicit ones are
 * marked in *nexplicit (the first that many of cands are explicit). */
static int candidates(const struct pol_ctx *ctx, struct work *w, struct strv *cands,
                      size_t *nprim_explicit)
{
	const struct account *a = ctx->acct;
	const struct entry *e = w->e;
	struct addr_names nm;
	struct buf lp = BUF_INIT, full = BUF_INIT, why = BUF_INIT;
	const char *explicit = entry_first(e, "dirmailPrimaryAddress");
	size_t d, t, ndom = 1 + a->domains.n;
	int rc = -1;

	memset(&nm, 0, sizeof(nm));
	nm.given = entry_first(e, "givenName");
	nm.sn = entry_first(e, "sn");
	nm.initials = entry_first(e, "initials");
	nm.nick = entry_first(e, "sAMAccountName");
	if (nm.nick == NULL)
		nm.nick = entry_first(e, "uid");
	if (nm.nick == NULL || w->kind == POL_LIST)
		nm.nick = entry_first(e, "cn");
	*nprim_explicit = 0;
	if (explicit != NULL) {
		buf_reset(&full);
		if (addr_key(&full, explicit, strlen(explicit)) < 0 ||
		    strv_add(cands, buf_str(&full)) < 0)
			goto done;
		*nprim_explicit = 1;
	}
	/* Primary template in every domain, then each secondary template in
	 * every domain; lists use their cn (%m) throughout. */
	for (t = 0; t <= a->secondary_templates.n; t++) {
		const char *tmpl = t == 0 ? a->primary_template : a->secondary_templates.v[t - 1];

		if (w->kind == POL_LIST)
			tmpl = "%m";
		buf_reset(&lp);
		buf_reset(&why);
		if (addr_expand(&lp, tmpl, &nm, &why) < 0) {
			if (why.len == 0)
				goto done;
			(void)!set_state(w, "invalid: %s %s: %s",
			                 t == 0 ? "dirmailPrimaryTemplate"
			                        : "dirmailSecondaryTemplate",
			                 tmpl, buf_str(&why));
			rc = 0;
			goto done;
		}
		for (d = 0; d < ndom; d++) {
			const char *dom = d == 0 ? a->primary_domain : a->domains.v[d - 1];

			buf_reset(&full);
			/* Both lowercase already: addr_expand's output and the
			 * account's domains (account_parse lowercases them). */
			if (buf_add(&full, lp.s, lp.len) < 0 || buf_add(&full, "@", 1) < 0 ||
			    buf_puts(&full, dom) < 0)
				goto done;
			if (strv_find(cands, buf_str(&full)) < 0 &&
			    strv_add(cands, buf_str(&full)) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	buf_free(&lp);
	buf_free(&full);
	buf_free(&why);
	return rc;
}

/* The aliases of w as full lowercase addresses (local parts in every domain). */
static int alias_candidates(const struct account *a, struct work *w, struct strv *out)
{
	const struct entry_attr *al = entry_get(w->e, "dirmailAlias");
	struct buf full = BUF_INIT;
	size_t i, d;
	int rc = -1;

	for (i = 0; al && i < al->nvals; i++) {
		const char *v = al->vals[i].val;

		for (d = 0; d < (strchr(v, '@') ? 1 : 1 + a->domains.n); d++) {
			buf_reset(&full);
			if (addr_key(&full, v, strlen(v)) < 0 ||
			    (!strchr(v, '@') &&
			     buf_printf(&full, "@%s",
			                d == 0 ? a->primary_domain : a->domains.v[d - 1]) < 0))
				goto done;
			if (strv_find(out, buf_str(&full)) < 0 && strv_add(out, buf_str(&full)) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	buf_free(&full);
	return rc;
}

/* Finds the address a generated candidate becomes: itself when free or
 * already ours, else the first free or ours with a suffix 2, 3, ...;
 * 1 when none is left under 64 bytes, -1 on out of memory. */
static int resolve(const struct idx *ix, size_t self, const char *cand, struct buf *out, int *held)
{
	unsigned n;
	long owner;

	for (n = 1; n <= SUFFIX_MAX; n++) {
		buf_reset(out);
		if (n == 1 ? buf_puts(out, cand) < 0 : addr_with_suffix(out, cand, n) < 0)
			return n == 1 ? -1 : 1;
		owner = idx_get(ix, buf_str(out));
		if (owner < 0 || (size_t)owner == self) {
			*held = n == 1 && owner >= 0;
			return 0;
		}
	}
	return 1;
}

#define HELD(w, bit) ((bit) < 64 && ((w)->held >> (bit)&1))

/* Phase C for one object: explicit addresses must be free, a new POP/IMAP
 * mailbox needs a licence, then every address is claimed. */
static int claim(const struct pol_ctx *ctx, struct work *w, struct work *all, struct idx *ix,
                 long *free_licences)
{
	const struct strv cands = w->cands, aliases = w->aliases;
	struct buf got = BUF_INIT;
	size_t i, nexp = w->nexp;
	long owner;
	int rc = -1, r;

	for (i = 0; i < nexp + aliases.n; i++) {
		const char *c = i < nexp ? cands.v[i] : aliases.v[i - nexp];

		if (HELD(w, i < nexp ? i : 32 + (i - nexp)))
			continue;
		owner = idx_get(ix, c);
		if (owner >= 0 && (size_t)owner != w->self) {
			(void)!set_state(w, "address-taken: %s belongs to %s", c, all[owner].dn);
			w->active = 0;
			rc = 0;
			goto done;
		}
	}
	if (w->svc == SVC_POP && !w->cur_pop) {
		if (*free_licences <= 0) {
			(void)!set_state(
			    w,
			    "over-licence: all %ld POP/IMAP licences are in use; the mailbox "
			    "is created when one is free",
			    ctx->acct->licences);
			w->active = 0;
			rc = 0;
			goto done;
		}
		(*free_licences)--;
	}
	for (i = 0; i < cands.n; i++) {
		int held = i < 32 && HELD(w, i);

		if (i < nexp || held)
			r = buf_puts(&got, cands.v[i]) < 0 ? -1 : 0;
		else
			r = resolve(ix, w->self, cands.v[i], &got, &held);
		if (r < 0)
			goto done;
		if (r > 0) {
			(void)!set_state(
			    w, "address-taken: %s and its numbered variants are all in use",
			    cands.v[i]);
			w->active = 0;
			rc = 0;
			goto done;
		}
		/* What the object holds is in the index as its own already. */
		if (strv_find(&w->addrs, buf_str(&got)) < 0 &&
		    (strv_add(&w->addrs, buf_str(&got)) < 0 ||
		     (!held && idx_put(ix, buf_str(&got), w->self) < 0)))
			goto done;
		buf_reset(&got);
	}
	for (i = 0; i < aliases.n; i++)
		if (strv_find(&w->addrs, aliases.v[i]) < 0 &&
		    (strv_add(&w->alias_addrs, aliases.v[i]) < 0 ||
		     (!(i < 32 && HELD(w, 32 + i)) && idx_put(ix, aliases.v[i], w->self) < 0)))
			goto done;
	rc = 0;
done:
	strv_free(&w->cands);
	strv_free(&w->aliases);
	buf_free(&got);
	return rc;
}

/* ---- building the wanted entry ----------------------------------------- */

/* Makes v (len bytes) the one value of attr; what already is stays. */
static int set_val(struct entry *e, const char *attr, const char *v, size_t len)
{
	const struct entry_attr *a = entry_get(e, attr);

	if (a != NULL && a->nvals == 1 && a->vals[0].len == len &&
	    memcmp(a->vals[0].val, v, len) == 0)
		return 0;
	entry_del(e, attr);
	return add1(e, attr, v, len);
}

static int set1(struct entry *e, const char *attr, const char *fmt, ...) DM_PRINTF(3, 4);
static int set1(struct entry *e, const char *attr, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	/* Most values are one string or one number: no printf for those. */
	if (strcmp(fmt, "%s") == 0) {
		const char *v = va_arg(ap, const char *);

		va_end(ap);
		return set_val(e, attr, v, strlen(v));
	}
	if (strcmp(fmt, "%ld") == 0) {
		long v = va_arg(ap, long);
		char d[24], *p = d + sizeof(d);
		unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

		va_end(ap);
		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) > 0);
		if (v < 0)
			*--p = '-';
		return set_val(e, attr, p, (size_t)(d + sizeof(d) - p));
	}
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = set_val(e, attr, buf_str(&b), b.len);
	buf_free(&b);
	return rc;
}

static long quota_kb(long mb)
{
	return mb > KB_MAX / 1024 ? KB_MAX : mb * 1024;
}

/* The effective limit of w in MB (unlimited = the account total, 0 when the
 * account has none either). */
static long limit_mb(const struct account *a, const struct work *w)
{
	long q = w->quota >= 0 ? w->quota : a->default_quota;

	return q == 0 ? a->storage_total : q;
}

static int legacy_dn(struct entry *want, const struct account *a, const char *nick)
{
	const char *dom = a->primary_domain ? a->primary_domain : "dirmail";
	size_t n = strcspn(dom, ".");

	return set1(
	    want, "legacyExchangeDN",
	    "/o=%c%.*s/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=%s",
	    toupper((unsigned char)dom[0]), (int)(n ? n - 1 : 0), dom + 1, nick);
}

/* Rebuilds proxyAddresses: foreign values kept (a foreign primary demoted),
 * dirmail's own written from addrs; counts retired managed addresses. */
static int build_proxy(struct work *w, struct entry *want, const struct strv *mine,
                       const char *primary)
{
	const struct entry_attr *cur = entry_get(w->e, "proxyAddresses");
	struct buf v = BUF_INIT;
	size_t i;
	int rc = -1;

	entry_del(want, "proxyAddresses");
	for (i = 0; cur && i < cur->nvals; i++) {
		const char *val = cur->vals[i].val;

		if (is_smtp(val) &&
		    (strv_find(mine, val + 5) >= 0 || strv_find(&w->old->plain, val + 5) >= 0 ||
		     strv_find(&w->old->alias, val + 5) >= 0))
			continue; /* dirmail's: rewritten below or retired */
		buf_reset(&v);
		if (primary && strncmp(val, "SMTP:", 5) == 0) {
			if (buf_add(&v, "smtp:", 5) < 0 || buf_puts(&v, val + 5) < 0)
				goto done;
		} else if (buf_add(&v, val, cur->vals[i].len) < 0) {
			goto done;
		}
		if (!entry_has(want, "proxyAddresses", v.s, v.len) &&
		    add1(want, "proxyAddresses", v.s, v.len) < 0)
			goto done;
	}
	for (i = 0; i < mine->n; i++) {
		buf_reset(&v);
		if (buf_puts(&v, primary && strcasecmp(mine->v[i], primary) == 0 ? "SMTP:"
		                                                                 : "smtp:") < 0 ||
		    buf_puts(&v, mine->v[i]) < 0 || add1(want, "proxyAddresses", v.s, v.len) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&v);
	return rc;
}

/* Drops every owned attribute but dirmailState: service none. dirmail is
 * authoritative for the mailbox, routing, GAL, quota, forwarding and limit
 * attributes of an object with intent whoever wrote them, so they go
 * whether or not dirmail wrote to the object before: the first pass does
 * what the second would (it writes the footprint). Addresses stay its own
 * business: a mail that is not one of dirmail's addresses stays. */
static void strip(struct work *w, struct entry *want)
{
	const char *m = entry_first(w->e, "mail");
	size_t i;

	for (i = 0; owned[i]; i++) {
		if (strcmp(owned[i], "dirmailState") == 0)
			continue;
		if (strcmp(owned[i], "mail") == 0 && m && strv_find(&w->old->plain, m) < 0 &&
		    strv_find(&w->old->alias, m) < 0)
			continue;
		entry_del(want, owned[i]);
	}
}

/* Creates (in res) the mail contact for the external address addr, known
 * from then on as owner n + k in ix; its DN goes to dn. */
static int new_contact(const struct pol_ctx *ctx, const char *addr, size_t n, struct idx *ix,
                       struct pol_result *res, struct buf *dn)
{
	const struct account *a = ctx->acct;
	struct entry *c = NULL, **adds;
	struct buf v = BUF_INIT;
	size_t i;
	int rc = -1;

	buf_reset(dn);
	if (ctx->dn_child == NULL || ctx->dn_child(dn, "cn", addr, a->contact_base) < 0)
		goto done;
	c = entry_new(buf_str(dn));
	if (c == NULL)
		goto done;
	if (add1(c, "objectClass", "top", 3) < 0)
		goto done;
	for (i = 0; ctx->contact_classes && ctx->contact_classes[i]; i++)
		if (add1(c, "objectClass", ctx->contact_classes[i],
		         strlen(ctx->contact_classes[i])) < 0)
			goto done;
	if (buf_printf(&v, "SMTP:%s", addr) < 0 || add1(c, "cn", addr, strlen(addr)) < 0 ||
	    add1(c, "sn", addr, strlen(addr)) < 0 || add1(c, "mail", addr, strlen(addr)) < 0 ||
	    add1(c, "proxyAddresses", v.s, v.len) < 0 || add1(c, "targetAddress", v.s, v.len) < 0 ||
	    add1(c, "msExchHideFromAddressLists", "TRUE", 4) < 0 ||
	    add1(c, "dirmailManagedAddress", addr, strlen(addr)) < 0 ||
	    add1(c, "dirmailState", "ok", 2) < 0)
		goto done;
	adds = realloc(res->adds, (res->nadds + 1) * sizeof(*adds));
	if (adds == NULL)
		goto done;
	res->adds = adds;
	if (idx_put(ix, addr, n + res->nadds) < 0)
		goto done;
	res->adds[res->nadds++] = c;
	c = NULL;
	rc = 0;
done:
	entry_free(c);
	buf_free(&v);
	return rc;
}

/* Is e a mail contact dirmail created (under the contact base, marked)? */
static int own_contact(const struct account *a, enum pol_kind kind, const struct entry *e)
{
	size_t dl = strlen(e->dn), bl = a->contact_base ? strlen(a->contact_base) : 0;

	return kind == POL_OTHER && bl > 0 && dl > bl + 1 && e->dn[dl - bl - 1] == ',' &&
	       strcasecmp(e->dn + dl - bl, a->contact_base) == 0 &&
	       entry_get(e, "dirmailManagedAddress") != NULL;
}

static int build_active(struct pol_pass *pp, struct work *w)
{
	const struct pol_ctx *ctx = pp->ctx;
	const struct account *a = ctx->acct;
	const struct idx *ix = &pp->ix;
	struct entry *want = w->o->want;
	struct strv mine = STRV_INIT(&pp->scratch);
	struct buf b = BUF_INIT;
	const char *primary = w->addrs.v[0];
	size_t i;
	int rc = -1;

	/* dirmail's addresses: this pass's claims, then former generated ones
	 * still in an accepted domain (mail to them keeps arriving). */
	for (i = 0; i < w->addrs.n; i++)
		if (strv_add(&mine, w->addrs.v[i]) < 0)
			goto done;
	for (i = 0; i < w->old->plain.n; i++) {
		long owner = idx_get(ix, w->old->plain.v[i]);

		if (strv_find(&mine, w->old->plain.v[i]) < 0 &&
		    domain_accepted(a, domain_of(w->old->plain.v[i])) &&
		    (owner < 0 || (size_t)owner == w->self) &&
		    strv_add(&mine, w->old->plain.v[i]) < 0)
			goto done;
	}
	entry_del(want, "dirmailManagedAddress");
	for (i = 0; i < mine.n; i++)
		if (add1(want, "dirmailManagedAddress", mine.v[i], strlen(mine.v[i])) < 0)
			goto done;
	for (i = 0; i < w->alias_addrs.n; i++) {
		buf_reset(&b);
		if (strv_find(&mine, w->alias_addrs.v[i]) >= 0)
			continue;
		if (buf_puts(&b, ALIAS_MARK) < 0 || buf_puts(&b, w->alias_addrs.v[i]) < 0 ||
		    add1(want, "dirmailManagedAddress", b.s, b.len) < 0 ||
		    strv_add(&mine, w->alias_addrs.v[i]) < 0)
			goto done;
	}
	for (i = 0; i < w->old->plain.n; i++)
		w->o->deletions += strv_find(&mine, w->old->plain.v[i]) < 0;
	for (i = 0; i < w->old->alias.n; i++)
		w->o->deletions += strv_find(&mine, w->old->alias.v[i]) < 0;
	/* No value grows past AD's limit here: policy_take refused the
	 * objects holding one already, and generated addresses are short. */
	if (build_proxy(w, want, &mine, primary) < 0)
		goto done;

	if (set1(want, "mail", "%s", primary) < 0)
		goto done;
	{
		const char *nick = entry_first(w->e, w->kind == POL_LIST ? "cn" : "uid");

		if (w->kind == POL_USER && entry_first(w->e, "sAMAccountName"))
			nick = entry_first(w->e, "sAMAccountName");
		buf_reset(&b);
		if (nick == NULL)
			nick = primary;
		if (addr_translit(&b, nick, strlen(nick)) < 0)
			goto done;
		if (b.len > NICK_MAX) {
			b.len = NICK_MAX;
			b.s[NICK_MAX] = '\0';
		}
		if (b.len == 0 && buf_add(&b, primary, strcspn(primary, "@")) < 0)
			goto done;
		if (set1(want, "mailNickname", "%s", buf_str(&b)) < 0)
			goto done;
	}

	/* GAL: hidden or disabled recipients leave every address list. */
	entry_del(want, "showInAddressBook");
	if (w->hidden || w->disabled) {
		if (set1(want, "msExchHideFromAddressLists", "TRUE") < 0)
			goto done;
	} else {
		if (set1(want, "msExchHideFromAddressLists", "FALSE") < 0)
			goto done;
		for (i = 0; i < a->address_lists.n; i++)
			if (add1(want, "showInAddressBook", a->address_lists.v[i],
			         strlen(a->address_lists.v[i])) < 0)
				goto done;
	}

	for (i = 0; exchange_attrs[i]; i++)
		if (w->svc != SVC_EXCH)
			entry_del(want, exchange_attrs[i]);
	if (w->kind == POL_LIST) {
		static const char *const none[] = {"targetAddress",
		                                   "msExchRecipientTypeDetails",
		                                   "msExchRecipientDisplayType",
		                                   "mDBUseDefaults",
		                                   "mDBStorageQuota",
		                                   "mDBOverQuotaLimit",
		                                   "mDBOverHardQuotaLimit",
		                                   "altRecipient",
		                                   "deliverAndRedirect",
		                                   "msExchRecipLimit",
		                                   "dirmailMessageRateLimit",
		                                   NULL};

		for (i = 0; none[i]; i++)
			entry_del(want, none[i]);
		rc = 0;
		goto done;
	}

	if (w->svc == SVC_POP) {
		if (set1(want, "targetAddress", "SMTP:%.*s@%s", (int)strcspn(primary, "@"), primary,
		         a->popimap_host) < 0 ||
		    set1(want, "msExchRecipientTypeDetails", "128") < 0 ||
		    set1(want, "msExchRecipientDisplayType", "6") < 0)
			goto done;
	} else {
		const struct entry_attr *g = entry_get(w->e, "msExchMailboxGuid");

		entry_del(want, "targetAddress");
		if (set1(want, "homeMDB", "%s", a->exchange_database) < 0 ||
		    set1(want, "msExchRecipientTypeDetails", "1") < 0 ||
		    set1(want, "msExchRecipientDisplayType", "1073741824") < 0)
			goto done;
		if (!entry_first(w->e, "legacyExchangeDN") &&
		    legacy_dn(want, a, entry_first(want, "mailNickname")) < 0)
			goto done;
		if (g == NULL || g->nvals != 1 || g->vals[0].len != 16) {
			unsigned char guid[16];

			ctx->new_guid(guid, ctx->guid_arg);
			entry_del(want, "msExchMailboxGuid");
			if (add1(want, "msExchMailboxGuid", guid, sizeof(guid)) < 0)
				goto done;
		}
	}

	/* Quotas in KB, explicit on the object: consumers read it from there. */
	{
		long kb = quota_kb(limit_mb(a, w));

		if (limit_mb(a, w) == 0)
			kb = KB_MAX;
		if (set1(want, "mDBUseDefaults", "FALSE") < 0 ||
		    set1(want, "mDBOverQuotaLimit", "%ld", kb) < 0 ||
		    set1(want, "mDBOverHardQuotaLimit", "%ld", kb) < 0)
			goto done;
		entry_del(want, "mDBStorageQuota");
		if (w->notify && set1(want, "mDBStorageQuota", "%ld",
		                      (long)((long long)kb * a->warn_percent / 100)) < 0)
			goto done;
	}
	if (set1(want, "msExchRecipLimit", "%ld", a->max_recipients) < 0 ||
	    set1(want, "dirmailMessageRateLimit", "%ld", a->max_messages_per_hour) < 0)
		goto done;

	/* Forwarding: to the recipient or the mail contact settle chose. */
	entry_del(want, "altRecipient");
	entry_del(want, "deliverAndRedirect");
	if (w->alt != NULL) {
		if (set1(want, "altRecipient", "%s", w->alt) < 0)
			goto done;
		if (w->keep_copy && set1(want, "deliverAndRedirect", "TRUE") < 0)
			goto done;
	}
	rc = 0;
done:
	strv_free(&mine);
	buf_free(&b);
	return rc;
}

/* Is the object behind dn a recipient a list may hold after this pass? */
static int member_ok(const struct idx *dns, const struct work *all, const char *dn)
{
	long i = idx_get(dns, dn);
	const struct work *m;

	if (i < 0)
		return 0; /* dangling, or no recipient */
	m = &all[i];
	if (m->kind == POL_OTHER)
		return m->has_addr;
	if (m->kind == POL_LIST)
		return m->active;
	/* A user keeps its list seats while it keeps a mailbox as it is. */
	if (m->blocked)
		return (m->cur_pop || m->cur_exch) && !m->disabled &&
		       strncmp(m->state.s, "invalid", 7) && strncmp(m->state.s, "over-licence", 12);
	return m->active && !m->disabled;
}

static int build_members(struct work *w, const struct work *all, const struct idx *dns)
{
	struct entry *want = w->o->want;
	const struct entry_attr *cur = entry_get(w->e, "member");
	const char *const *from = w->filter_members;
	size_t nfrom = w->nfilter_members, i, nkeep = 0, *arr = NULL, *pos = NULL;
	const char **keep = NULL;
	struct idx seen = {NULL, 0, 0, NULL}; /* DN -> its number in keep */
	int rc = -1;

	if (from == NULL)
		nfrom = cur ? cur->nvals : 0;
	keep = calloc(nfrom ? nfrom : 1, sizeof(*keep));
	arr = calloc(nfrom ? nfrom : 1, sizeof(*arr));
	pos = calloc(nfrom ? nfrom : 1, sizeof(*pos));
	if (keep == NULL || arr == NULL || pos == NULL)
		goto done;
	for (i = 0; i < nfrom; i++) {
		const char *dn = from ? from[i] : cur->vals[i].val;

		if ((from == NULL && cur->vals[i].len == 0) || !member_ok(dns, all, dn) ||
		    idx_get(&seen, dn) >= 0)
			continue;
		if (idx_put(&seen, dn, nkeep) < 0)
			goto done;
		keep[nkeep] = dn;
		arr[nkeep] = pos[nkeep] = nkeep;
		nkeep++;
	}
	entry_del(want, "member");
	/* Keep the server's spelling of members that stay; the rest follow. */
	for (i = 0; cur && i < cur->nvals; i++) {
		long k = idx_get(&seen, cur->vals[i].val);
		size_t at, last;

		if (k < 0 || pos[k] == (size_t)-1) {
			/* A member that goes is a deletion (the empty DN is no one). */
			w->o->deletions += k < 0 && cur->vals[i].len > 0;
			continue;
		}
		if (add1(want, "member", cur->vals[i].val, cur->vals[i].len) < 0)
			goto done;
		at = pos[k];
		last = arr[--nkeep];
		arr[at] = last;
		pos[last] = at;
		pos[k] = (size_t)-1;
	}
	for (i = 0; i < nkeep; i++)
		if (add1(want, "member", keep[arr[i]], strlen(keep[arr[i]])) < 0)
			goto done;
	/* groupOfNames must have a member: the empty DN expands to nobody. */
	if (!entry_get(want, "member") && has_class(w->e, "groupOfNames") &&
	    add1(want, "member", "", 0) < 0)
		goto done;
	rc = 0;
done:
	idx_free(&seen);
	free(keep);
	free(arr);
	free(pos);
	return rc;
}

static int add_class(const struct pol_ctx *ctx, struct entry *want)
{
	if (ctx->recipient_class == NULL || has_class(want, ctx->recipient_class))
		return 0;
	return add1(want, "objectClass", ctx->recipient_class, strlen(ctx->recipient_class));
}

void policy_obj_clear(struct pol_obj *o)
{
	if (o == NULL)
		return;
	entry_free(o->want);
	free(o->state);
	o->want = NULL;
	o->state = NULL;
	o->deletions = 0;
	o->managed = 0;
	o->remove = 0;
}

static void work_free(struct work *w)
{
	buf_free(&w->state);
	strv_free(&w->addrs);
	strv_free(&w->alias_addrs);
	strv_free(&w->cands);
	strv_free(&w->aliases);
}

void policy_result_clear(struct pol_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nadds; i++)
		entry_free(res->adds[i]);
	free(res->adds);
	res->adds = NULL;
	res->nadds = 0;
	buf_reset(&res->acct_state);
}

/* Does want hold, for every attribute diff compares, exactly what e holds
 * (objectClass: nothing e lacks)? */
static int unchanged(const struct entry *e, const struct entry *want)
{
	const struct wanted *w = wanted_attrs();
	size_t i, j;

	for (i = 0; i < NWANTED; i++) {
		const struct entry_attr *x = entry_get_key(e, w[i].name, w[i].key),
		                        *y = entry_get_key(want, w[i].name, w[i].key);
		size_t nx = x ? x->nvals : 0, ny = y ? y->nvals : 0;

		if (strcmp(w[i].name, "objectClass") != 0 && nx != ny)
			return 0;
		for (j = 0; j < ny; j++) {
			const struct entry_val *v = &y->vals[j];
			size_t m = j < nx ? j : 0; /* copies keep the order */
			size_t tries;

			for (tries = 0; tries < nx; tries++, m = (m + 1) % nx)
				if (x->vals[m].len == v->len &&
				    memcmp(x->vals[m].val, v->val, v->len) == 0)
					break;
			if (tries == nx)
				return 0;
		}
	}
	return 1;
}

/* A forward that cannot work makes the user invalid: a target address no
 * recipient has in an accepted domain, or the user's own. */
static void check_forward(const struct pol_ctx *ctx, struct work *w, const struct idx *ix)
{
	long owner = idx_get(ix, w->fwd);

	if (owner < 0 && domain_accepted(ctx->acct, domain_of(w->fwd))) {
		(void)!set_state(w, "invalid: dirmailForwardTo: no recipient has the address %s",
		                 w->fwd_as_read);
		w->active = 0;
	} else if (owner >= 0 && (size_t)owner == w->self) {
		(void)!set_state(w, "invalid: dirmailForwardTo: %s is the user's own address",
		                 w->fwd_as_read);
		w->active = 0;
	}
}

struct pol_pass *policy_pass_new(const struct pol_ctx *ctx)
{
	struct pol_pass *pp = calloc(1, sizeof(*pp));

	if (pp == NULL)
		return NULL;
	pp->ctx = ctx;
	pp->old.plain.pool = pp->old.alias.pool = &pp->scratch;
	pp->ix.pool = &pp->pool;
	pp->dns.pool = NULL; /* the DNs are the pass's copies */
	return pp;
}

size_t policy_count(const struct pol_pass *pp)
{
	return pp->n;
}

const char *policy_dn(const struct pol_pass *pp, size_t i)
{
	return pp->w[i].dn;
}

enum pol_kind policy_obj_kind(const struct pol_pass *pp, size_t i)
{
	return pp->w[i].kind;
}

const char *policy_forward_dn(const struct pol_pass *pp, size_t i)
{
	const struct work *w = &pp->w[i];

	return w->kind == POL_USER && w->active && !w->blocked ? w->alt : NULL;
}

int policy_unused_contact(const struct pol_pass *pp, size_t i)
{
	return pp->settled && pp->w[i].remove;
}

static char *pooled(struct pol_pass *pp, const char *s, int *oom)
{
	char *d = s ? pool_strdup(&pp->pool, s) : NULL;

	if (s && d == NULL)
		*oom = 1;
	return d;
}

/* Candidates, aliases and the forward key of an object about to claim. */
static int prepare_claim(struct pol_pass *pp, struct work *w)
{
	const char *fwd = first(w, "dirmailForwardTo");
	struct buf key = BUF_INIT;
	int rc = -1;

	w->cands.pool = w->aliases.pool = &pp->pool;
	if (candidates(pp->ctx, w, &w->cands, &w->nexp) < 0 ||
	    alias_candidates(pp->ctx->acct, w, &w->aliases) < 0)
		goto done;
	if (fwd != NULL && w->kind == POL_USER) {
		if (addr_key(&key, fwd, strlen(fwd)) < 0)
			goto done;
		w->fwd = pool_strndup(&pp->pool, key.s, key.len);
		w->fwd_as_read = pool_strdup(&pp->pool, fwd);
		if (w->fwd == NULL || w->fwd_as_read == NULL)
			goto done;
	}
	rc = 0;
done:
	buf_free(&key);
	return rc;
}

static int speculate(struct pol_pass *pp, struct work *w);
static uint64_t settled_fp(const struct work *w);

int policy_take(struct pol_pass *pp, const struct entry *e)
{
	const struct entry_attr *pa = entry_get(e, "proxyAddresses");
	const char *m = entry_first(e, "mail"), *created;
	struct work *w;
	size_t i;
	int oom = 0, leaving;

	if (pp->settled)
		return -1;
	pool_reset(&pp->scratch);
	if (pp->n == pp->cap) {
		size_t cap = pp->cap ? pp->cap + pp->cap / 2 : 256;
		struct work *nw = realloc(pp->w, cap * sizeof(*nw));

		if (nw == NULL)
			return -1;
		pp->w = nw;
		pp->cap = cap;
	}
	w = &pp->w[pp->n];
	memset(w, 0, sizeof(*w));
	w->self = pp->n;
	w->e = e;
	w->old = &pp->old;
	w->kind = policy_kind(e);
	w->addrs.pool = w->alias_addrs.pool = &pp->pool;
	read_intent(pp->ctx, w);
	for (i = 0; !w->blocked && pa && i < pa->nvals; i++)
		if (pa->vals[i].len > ADDR_ATTR_MAX)
			(void)!set_state(
			    w, "invalid: a proxyAddresses value would exceed %d characters",
			    ADDR_ATTR_MAX);
	created = entry_first(e, "createTimestamp");
	if (created == NULL)
		created = entry_first(e, "whenCreated");
	w->dn = pooled(pp, e->dn, &oom);
	w->created = created ? pooled(pp, created, &oom) : "";
	w->cur_alt = pooled(pp, entry_first(e, "altRecipient"), &oom);
	w->has_addr = m != NULL || pa != NULL;
	w->contact = own_contact(pp->ctx->acct, w->kind, e);
	if (oom || idx_put(&pp->dns, w->dn, w->self) < 0)
		goto fail;
	if (w->kind != POL_OTHER && !w->blocked && w->active && prepare_claim(pp, w) < 0)
		goto fail;

	/* Every address in use, whoever holds it: owners keep what they have.
	 * What a user leaving the service loses is free from this pass on. */
	leaving = w->kind == POL_USER && !w->blocked && w->svc == SVC_NONE;
	for (i = 0; pa && i < pa->nvals; i++)
		if (is_smtp(pa->vals[i].val) && !(leaving && dirmails(w, pa->vals[i].val + 5)) &&
		    idx_put(&pp->ix, pa->vals[i].val + 5, w->self) < 0)
			goto fail;
	if (m && !(leaving && dirmails(w, m)) && idx_put(&pp->ix, m, w->self) < 0)
		goto fail;
	if (speculate(pp, w) < 0)
		goto fail;
	strv_free(&w->old->plain);
	strv_free(&w->old->alias);
	w->e = NULL;
	pp->n++;
	return 0;
fail:
	strv_free(&w->old->plain);
	strv_free(&w->old->alias);
	work_free(w);
	return -1;
}

int policy_filter(struct pol_pass *pp, size_t i, const char *const *members, size_t n,
                  const char *error)
{
	struct work *w = &pp->w[i];

	if (pp->settled || w->kind != POL_LIST)
		return -1;
	w->filter_members = members;
	w->nfilter_members = n;
	if (error != NULL) {
		/* The filter's reason is the one shown. */
		buf_reset(&w->state);
		strv_free(&w->cands);
		strv_free(&w->aliases);
		w->blocked = 0;
		return set_state(w, "invalid: dirmailMemberFilter: %s", error);
	}
	return 0;
}

/* The altRecipient the wanted entry of w will hold: settle's choice when
 * it is built, what was read when it is left as it is. */
static const char *alt_wanted(const struct work *w)
{
	if (w->kind == POL_OTHER)
		return NULL;
	if (w->blocked)
		return w->cur_alt;
	return w->active && w->kind == POL_USER ? w->alt : NULL;
}

int policy_settle(struct pol_pass *pp, struct pol_result *res)
{
	const struct pol_ctx *ctx = pp->ctx;
	const struct account *a = ctx->acct;
	struct buf *acct_state = &res->acct_state, dn = BUF_INIT;
	struct work *w = pp->w, **ord = calloc(pp->n ? pp->n : 1, sizeof(*ord));
	struct idx used = {NULL, 0, 0, NULL};
	long reserved = 0, free_licences, allocated = 0, owner;
	size_t i, n = pp->n;
	int rc = -1, r;

	if (pp->settled) {
		free(ord);
		return -1;
	}
	policy_result_clear(res);
	if (ord == NULL)
		goto done;
	pp->settled = 1;
	/* Existing POP/IMAP mailboxes keep their licences while they exist. */
	for (i = 0; i < n; i++) {
		ord[i] = &w[i];
		if (w[i].kind == POL_USER && w[i].cur_pop && (w[i].blocked || w[i].svc == SVC_POP))
			reserved++;
	}
	free_licences = a->licences - reserved;

	qsort(ord, n, sizeof(*ord), order_cmp);
	for (i = 0; i < n; i++)
		if (ord[i]->kind != POL_OTHER && !ord[i]->blocked && ord[i]->active &&
		    claim(ctx, ord[i], w, &pp->ix, &free_licences) < 0)
			goto done;

	/* Forwarding needs every claim made: refuse what cannot work before
	 * anything is built, so every object's status is final below. */
	for (i = 0; i < n; i++)
		if (w[i].kind == POL_USER && !w[i].blocked && w[i].active && w[i].fwd)
			check_forward(ctx, &w[i], &pp->ix);

	/* Where each forward goes: a recipient of the directory, or a mail
	 * contact standing for an address outside it (shared, made once). */
	for (i = 0; i < n; i++) {
		if (w[i].kind != POL_USER || w[i].blocked || !w[i].active || !w[i].fwd)
			continue;
		owner = idx_get(&pp->ix, w[i].fwd);
		if (owner < 0) {
			if (new_contact(ctx, w[i].fwd, n, &pp->ix, res, &dn) < 0)
				goto done;
			w[i].alt = res->adds[res->nadds - 1]->dn;
		} else {
			w[i].alt =
			    (size_t)owner >= n ? res->adds[(size_t)owner - n]->dn : w[owner].dn;
		}
	}

	/* Contacts dirmail made that no forward uses any more go. */
	for (i = 0; i < n; i++) {
		const char *alt = alt_wanted(&w[i]);

		if (alt != NULL && idx_put(&used, alt, i) < 0)
			goto done;
	}
	for (i = 0; i < n; i++)
		w[i].remove = w[i].contact && idx_get(&used, w[i].dn) < 0;

	for (i = 0; i < n; i++) {
		if (w[i].kind == POL_USER && w[i].active && !w[i].blocked)
			allocated += limit_mb(a, &w[i]);
		/* Did settle decide as the build at take assumed? */
		w[i].spec_ok = w[i].spec_same && settled_fp(&w[i]) == w[i].spec_fp;
	}
	buf_reset(acct_state);
	if (reserved > a->licences)
		r = buf_printf(acct_state,
		               "over-licence: %ld POP/IMAP mailboxes exist and the account has %ld "
		               "licences; no new one is created until some are disabled",
		               reserved, a->licences);
	else if (a->storage_total > 0 && allocated > a->storage_total)
		r = buf_printf(
		    acct_state,
		    "over-allocated: mailbox quotas add up to %ld MB and the account has "
		    "%ld MB",
		    allocated, a->storage_total);
	else
		r = buf_puts(acct_state, "ok");
	if (r < 0)
		goto done;
	rc = 0;
done:
	free(ord);
	idx_free(&used);
	buf_free(&dn);
	return rc;
}

/* Builds the wanted entry of x (not a POL_OTHER) from its entry e. */
static int build_into(struct pol_pass *pp, struct work *x, const struct entry *e, struct pol_obj *o)
{
	const struct pol_ctx *ctx = pp->ctx;
	int rc = -1;

	x->o = o;
	x->e = e;
	if (managed_split(x) < 0)
		goto done;
	o->want = want_from(e);
	if (o->want == NULL)
		goto done;
	if (!x->blocked && x->active) {
		if (build_active(pp, x) < 0)
			goto done;
	} else if (!x->blocked) {
		/* Service none: dirmail's attributes and addresses go. */
		strip(x, o->want);
		if (x->cur_exch || x->cur_pop)
			o->deletions++; /* the mailbox */
		if (x->footprint) {
			struct strv none = STRV_INIT(NULL);

			if (build_proxy(x, o->want, &none, NULL) < 0)
				goto done;
			o->deletions += (int)(x->old->plain.n + x->old->alias.n);
		}
	}
	if (x->kind == POL_LIST && !x->blocked && build_members(x, pp->w, &pp->dns) < 0)
		goto done;
	if (set1(o->want, "dirmailState", "%s", x->state.len ? buf_str(&x->state) : "ok") < 0 ||
	    add_class(ctx, o->want) < 0)
		goto done;
	o->state = strdup(entry_first(o->want, "dirmailState"));
	if (o->state == NULL)
		goto done;
	o->managed = 1;
	if (ctx->drop_unchanged && unchanged(e, o->want)) {
		entry_free(o->want);
		o->want = NULL;
	}
	rc = 0;
done:
	strv_free(&x->old->plain);
	strv_free(&x->old->alias);
	x->o = NULL;
	x->e = NULL;
	if (rc < 0)
		policy_obj_clear(o);
	return rc;
}

int policy_build(struct pol_pass *pp, size_t i, const struct entry *e, struct pol_obj *o)
{
	struct work *x = &pp->w[i];

	policy_obj_clear(o);
	o->e = e;
	o->kind = x->kind;
	if (!pp->settled || strcasecmp(e->dn, x->dn) != 0)
		return -1;
	if (x->kind == POL_OTHER) {
		o->remove = x->remove;
		o->deletions = x->remove;
		return 0;
	}
	pool_reset(&pp->scratch);
	return build_into(pp, x, e, o);
}

/* What settle decides for a user and its build reads besides its own
 * entry and the account: claims, forward target, state. */
static uint64_t settled_fp(const struct work *w)
{
	uint64_t h = 1469598103934665603ULL;
	const struct strv *l[2] = {&w->addrs, &w->alias_addrs};
	const char *tail[2] = {w->alt ? w->alt : "", buf_str(&w->state)};
	size_t i, k;

#define FP_MIX(c) (h = (h ^ (unsigned char)(c)) * 1099511628211ULL)
	for (k = 0; k < 2; k++) {
		for (i = 0; i < l[k]->n; i++) {
			for (const char *p = l[k]->v[i]; *p; p++)
				FP_MIX(*p);
			FP_MIX('\0');
		}
		FP_MIX('\1');
	}
	for (k = 0; k < 2; k++) {
		for (const char *p = tail[k]; *p; p++)
			FP_MIX(*p);
		FP_MIX('\1');
	}
	FP_MIX(w->active | w->blocked << 1 | (w->alt != NULL) << 2);
#undef FP_MIX
	return h;
}

/* Claims as settle would make them if nothing else claimed first, without
 * taking anything: 1 when that is all known now, 0 when it is not (an
 * explicit address held by another, no free variant), -1 out of memory. */
static int dry_claim(struct pol_pass *pp, struct work *w)
{
	struct buf got = BUF_INIT;
	size_t i;
	long owner;
	int rc = 0;

	for (i = 0; i < w->nexp + w->aliases.n; i++) {
		size_t bit = i < w->nexp ? i : 32 + (i - w->nexp);

		owner = idx_get(&pp->ix, i < w->nexp ? w->cands.v[i] : w->aliases.v[i - w->nexp]);
		if (owner >= 0 && (size_t)owner != w->self)
			goto done;
		/* Held addresses never change hands: a fact claim can use. */
		if (owner >= 0 && bit < 64)
			w->held |= (uint64_t)1 << bit;
	}
	for (i = 0; i < w->cands.n; i++) {
		int held = 0;

		buf_reset(&got);
		if (i < w->nexp ? buf_puts(&got, w->cands.v[i]) < 0
		                : resolve(&pp->ix, w->self, w->cands.v[i], &got, &held) != 0)
			goto done;
		if (held && i < 32)
			w->held |= (uint64_t)1 << i;
		if (strv_find(&w->addrs, buf_str(&got)) < 0 &&
		    strv_add(&w->addrs, buf_str(&got)) < 0)
			goto fail;
	}
	for (i = 0; i < w->aliases.n; i++)
		if (strv_find(&w->addrs, w->aliases.v[i]) < 0 &&
		    strv_add(&w->alias_addrs, w->aliases.v[i]) < 0)
			goto fail;
	rc = 1;
	goto done;
fail:
	rc = -1;
done:
	buf_free(&got);
	return rc;
}

/*
 * Builds a user while its entry is at hand, as read, with the claims and
 * forward it most likely gets: a converged user then needs no second
 * look (policy_unchanged) once settle confirms what the build assumed.
 * Only what settle alone can change is assumed; a user that would get a
 * licence or a new mailbox GUID is left to policy_build.
 */
static int speculate(struct pol_pass *pp, struct work *w)
{
	const struct entry *e = w->e;
	struct pol_obj o;
	size_t i;
	int rc = 0, r;

	if (!pp->ctx->drop_unchanged || w->kind != POL_USER)
		return 0;
	memset(&o, 0, sizeof(o));
	if (!w->blocked && w->active) {
		const struct entry_attr *g = entry_get(e, "msExchMailboxGuid");

		if ((w->svc == SVC_POP && !w->cur_pop) ||
		    (w->svc == SVC_EXCH && (g == NULL || g->nvals != 1 || g->vals[0].len != 16)) ||
		    (w->fwd && !w->cur_alt))
			return 0;
		/* Scratch: gone with this object, not left in the pass's pool. */
		w->addrs.pool = w->alias_addrs.pool = &pp->scratch;
		r = dry_claim(pp, w);
		if (r <= 0) {
			rc = r;
			goto done;
		}
		/* A former address kept only while nobody holds it: settle may
		 * hand it out, so the build cannot be known now. */
		for (i = 0; i < w->old->plain.n; i++)
			if (strv_find(&w->addrs, w->old->plain.v[i]) < 0 &&
			    domain_accepted(pp->ctx->acct, domain_of(w->old->plain.v[i])) &&
			    idx_get(&pp->ix, w->old->plain.v[i]) < 0)
				goto done;
		w->alt = w->fwd ? w->cur_alt : NULL;
	}
	o.e = e;
	o.kind = w->kind;
	rc = build_into(pp, w, e, &o);
	w->e = e;
	if (rc == 0 && o.managed && o.want == NULL) {
		w->spec_same = 1;
		w->spec_fp = settled_fp(w);
	}
	policy_obj_clear(&o);
done:
	strv_free(&w->addrs);
	strv_free(&w->alias_addrs);
	w->addrs.pool = w->alias_addrs.pool = &pp->pool;
	w->alt = NULL;
	return rc;
}

int policy_unchanged_as_read(const struct pol_pass *pp, size_t i)
{
	return pp->w[i].spec_same;
}

long policy_find(const struct pol_pass *pp, const char *dn)
{
	return idx_get(&pp->dns, dn);
}

int policy_unchanged(const struct pol_pass *pp, size_t i)
{
	return pp->settled && pp->w[i].spec_ok;
}

void policy_pass_free(struct pol_pass *pp)
{
	size_t i;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->n; i++)
		work_free(&pp->w[i]);
	free(pp->w);
	idx_free(&pp->ix);
	idx_free(&pp->dns);
	strv_free(&pp->old.plain);
	strv_free(&pp->old.alias);
	pool_free(&pp->scratch);
	pool_free(&pp->pool);
	free(pp);
}

int policy_run(const struct pol_ctx *ctx, struct pol_obj *objs, size_t n, struct pol_result *res)
{
	struct pol_pass *pp = policy_pass_new(ctx);
	size_t i;
	int rc = -1;

	policy_result_clear(res);
	if (pp == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		policy_obj_clear(&objs[i]);
		if (policy_take(pp, objs[i].e) < 0)
			goto done;
		if (pp->w[i].kind == POL_LIST && (objs[i].filter_members || objs[i].filter_error) &&
		    policy_filter(pp, i, objs[i].filter_members, objs[i].nfilter_members,
		                  objs[i].filter_error) < 0)
			goto done;
	}
	if (policy_settle(pp, res) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (policy_build(pp, i, objs[i].e, &objs[i]) < 0)
			goto done;
	rc = 0;
done:
	policy_pass_free(pp);
	return rc;
}
