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

/* A copy of the attributes of e that a wanted entry is made of. */
static struct entry *want_from(const struct entry *e)
{
	struct entry *w = entry_new(e->dn);
	size_t i, k;

	for (k = 0; w != NULL && k < 2; k++) {
		const char *const *list = k == 0 ? owned : merged;

		for (i = 0; list[i]; i++) {
			const struct entry_attr *a = entry_get(e, list[i]);

			if (a != NULL && entry_add_vals(w, a->name, a->vals, a->nvals) < 0) {
				entry_free(w);
				return NULL;
			}
		}
	}
	return w;
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

struct strv {
	char **v;
	size_t n;
};

static int strv_add(struct strv *s, const char *str)
{
	char **v = realloc(s->v, (s->n + 1) * sizeof(*v));

	if (v == NULL)
		return -1;
	s->v = v;
	s->v[s->n] = strdup(str);
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

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* ---- a string-keyed index: address or DN -> object --------------------- */

struct slot {
	char *key; /* lowercase; NULL = empty */
	size_t owner;
};

struct idx {
	struct slot *s;
	size_t cap, n;
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

static struct slot *idx_slot(const struct idx *x, const char *key)
{
	size_t i;

	if (x->cap == 0)
		return NULL;
	for (i = hash(key) & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
		if (x->s[i].key == NULL || strcasecmp(x->s[i].key, key) == 0)
			return &x->s[i];
}

/* The owner of key, or -1. */
static long idx_get(const struct idx *x, const char *key)
{
	struct slot *s = idx_slot(x, key);

	return s && s->key ? (long)s->owner : -1;
}

static int idx_grow(struct idx *x)
{
	struct idx y = {NULL, x->cap ? x->cap * 2 : 1024, 0};
	size_t i;

	y.s = calloc(y.cap, sizeof(*y.s));
	if (y.s == NULL)
		return -1;
	for (i = 0; i < x->cap; i++)
		if (x->s[i].key != NULL) {
			*idx_slot(&y, x->s[i].key) = x->s[i];
			y.n++;
		}
	free(x->s);
	*x = y;
	return 0;
}

/* Records key for owner unless someone holds it already: owners keep. */
static int idx_put(struct idx *x, const char *key, size_t owner)
{
	struct slot *s;

	if ((x->n + 1) * 2 > x->cap && idx_grow(x) < 0)
		return -1;
	s = idx_slot(x, key);
	if (s->key != NULL)
		return 0;
	s->key = strdup(key);
	if (s->key == NULL)
		return -1;
	for (char *p = s->key; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	s->owner = owner;
	x->n++;
	return 0;
}

static void idx_free(struct idx *x)
{
	size_t i;

	for (i = 0; i < x->cap; i++)
		free(x->s[i].key);
	free(x->s);
}

/* ---- per-object working state ------------------------------------------ */

enum svc { SVC_NONE, SVC_POP, SVC_EXCH };

struct work {
	struct pol_obj *o;
	size_t self;
	const char *created; /* "" sorts last through created_cmp */
	enum svc svc;        /* wanted */
	int cur_pop, cur_exch;
	int footprint; /* dirmailState or dirmailManagedAddress present */
	int blocked;   /* the state explains it; nothing else changes */
	int active;    /* mail-enabled after this pass */
	int disabled, hidden, notify, keep_copy;
	long quota;              /* MB, -1 = the account default */
	struct buf state;        /* "" = ok */
	struct strv addrs;       /* claimed, lowercase; [0] is the primary */
	struct strv alias_addrs; /* claimed from dirmailAlias */
	struct strv old_plain, old_alias;
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
	return entry_first(w->o->e, attr);
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
	return strv_find(&w->old_plain, addr) >= 0 || strv_find(&w->old_alias, addr) >= 0;
}

/* Phase A: the object's intent, read and checked; sets blocked states. */
static void read_intent(const struct pol_ctx *ctx, struct work *w)
{
	const struct entry *e = w->o->e;
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
	a = entry_get(e, "dirmailManagedAddress");
	for (i = 0; a && i < a->nvals; i++) {
		if (strncasecmp(a->vals[i].val, ALIAS_MARK, strlen(ALIAS_MARK)) == 0)
			(void)!strv_add(&w->old_alias, a->vals[i].val + strlen(ALIAS_MARK));
		else
			(void)!strv_add(&w->old_plain, a->vals[i].val);
	}
	v = first(w, "msExchRecipientTypeDetails");
	w->cur_exch = entry_get(e, "homeMDB") || entry_get(e, "msExchMailboxGuid") ||
	              (v && strcmp(v, "1") == 0);
	w->cur_pop = !w->cur_exch && v && strcmp(v, "128") == 0;
	w->quota = -1;
	w->notify = 1;
	if (w->o->kind == POL_OTHER)
		return;

	w->hidden = get_bool(w, "dirmailHidden", 0) == 1;
	if (w->o->kind == POL_LIST) {
		w->active = 1;
		if (w->o->filter_error)
			(void)!set_state(w, "invalid: dirmailMemberFilter: %s", w->o->filter_error);
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
	if (w->blocked || w->o->kind != POL_USER)
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
	return c ? c : strcasecmp(a->o->e->dn, b->o->e->dn);
}

/* The address candidates of w, in order: primary first; explicit ones are
 * marked in *nexplicit (the first that many of cands are explicit). */
static int candidates(const struct pol_ctx *ctx, struct work *w, struct strv *cands,
                      size_t *nprim_explicit)
{
	const struct account *a = ctx->acct;
	const struct entry *e = w->o->e;
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
	if (nm.nick == NULL || w->o->kind == POL_LIST)
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

		if (w->o->kind == POL_LIST)
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
			if (buf_printf(&full, "%s@%s", buf_str(&lp), dom) < 0)
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
	const struct entry_attr *al = entry_get(w->o->e, "dirmailAlias");
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
static int resolve(const struct idx *ix, size_t self, const char *cand, struct buf *out)
{
	unsigned n;
	long owner;

	for (n = 1; n <= SUFFIX_MAX; n++) {
		buf_reset(out);
		if (n == 1 ? buf_puts(out, cand) < 0 : addr_with_suffix(out, cand, n) < 0)
			return n == 1 ? -1 : 1;
		owner = idx_get(ix, buf_str(out));
		if (owner < 0 || (size_t)owner == self)
			return 0;
	}
	return 1;
}

/* Phase C for one object: explicit addresses must be free, a new POP/IMAP
 * mailbox needs a licence, then every address is claimed. */
static int claim(const struct pol_ctx *ctx, struct work *w, struct work *all, struct idx *ix,
                 long *free_licences)
{
	struct strv cands = {NULL, 0}, aliases = {NULL, 0};
	struct buf got = BUF_INIT;
	size_t i, nexp;
	long owner;
	int rc = -1, r;

	if (candidates(ctx, w, &cands, &nexp) < 0 || alias_candidates(ctx->acct, w, &aliases) < 0)
		goto done;
	if (w->blocked) {
		rc = 0;
		goto done;
	}
	for (i = 0; i < nexp + aliases.n; i++) {
		const char *c = i < nexp ? cands.v[i] : aliases.v[i - nexp];

		owner = idx_get(ix, c);
		if (owner >= 0 && (size_t)owner != w->self) {
			(void)!set_state(w, "address-taken: %s belongs to %s", c,
			                 all[owner].o->e->dn);
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
		if (i < nexp)
			r = buf_puts(&got, cands.v[i]) < 0 ? -1 : 0;
		else
			r = resolve(ix, w->self, cands.v[i], &got);
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
		if (strv_find(&w->addrs, buf_str(&got)) < 0 &&
		    (strv_add(&w->addrs, buf_str(&got)) < 0 ||
		     idx_put(ix, buf_str(&got), w->self) < 0))
			goto done;
		buf_reset(&got);
	}
	for (i = 0; i < aliases.n; i++)
		if (strv_find(&w->addrs, aliases.v[i]) < 0 &&
		    (strv_add(&w->alias_addrs, aliases.v[i]) < 0 ||
		     idx_put(ix, aliases.v[i], w->self) < 0))
			goto done;
	rc = 0;
done:
	strv_free(&cands);
	strv_free(&aliases);
	buf_free(&got);
	return rc;
}

/* ---- building the wanted entry ----------------------------------------- */

static int set1(struct entry *e, const char *attr, const char *fmt, ...) DM_PRINTF(3, 4);
static int set1(struct entry *e, const char *attr, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	entry_del(e, attr);
	if (rc == 0)
		rc = entry_add(e, attr, buf_str(&b), b.len);
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
	const struct entry_attr *cur = entry_get(w->o->e, "proxyAddresses");
	struct buf v = BUF_INIT;
	size_t i;
	int rc = -1;

	entry_del(want, "proxyAddresses");
	for (i = 0; cur && i < cur->nvals; i++) {
		const char *val = cur->vals[i].val;

		if (is_smtp(val) &&
		    (strv_find(mine, val + 5) >= 0 || strv_find(&w->old_plain, val + 5) >= 0 ||
		     strv_find(&w->old_alias, val + 5) >= 0))
			continue; /* dirmail's: rewritten below or retired */
		buf_reset(&v);
		if (primary && strncmp(val, "SMTP:", 5) == 0) {
			if (buf_printf(&v, "smtp:%s", val + 5) < 0)
				goto done;
		} else if (buf_add(&v, val, cur->vals[i].len) < 0) {
			goto done;
		}
		if (!entry_has(want, "proxyAddresses", v.s, v.len) &&
		    entry_add(want, "proxyAddresses", v.s, v.len) < 0)
			goto done;
	}
	for (i = 0; i < mine->n; i++) {
		buf_reset(&v);
		if (buf_printf(&v, "%s:%s",
		               primary && strcasecmp(mine->v[i], primary) == 0 ? "SMTP" : "smtp",
		               mine->v[i]) < 0 ||
		    entry_add(want, "proxyAddresses", v.s, v.len) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&v);
	return rc;
}

/* Drops every owned attribute but dirmailState: service none. */
static void strip(struct work *w, struct entry *want)
{
	const char *m = entry_first(w->o->e, "mail");
	size_t i;

	for (i = 0; owned[i]; i++) {
		if (strcmp(owned[i], "dirmailState") == 0)
			continue;
		/* Without a footprint nothing here is known to be dirmail's. */
		if (!w->footprint)
			continue;
		if (strcmp(owned[i], "mail") == 0 && m && strv_find(&w->old_plain, m) < 0 &&
		    strv_find(&w->old_alias, m) < 0)
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
	if (entry_add(c, "objectClass", "top", 3) < 0)
		goto done;
	for (i = 0; ctx->contact_classes && ctx->contact_classes[i]; i++)
		if (entry_add(c, "objectClass", ctx->contact_classes[i],
		              strlen(ctx->contact_classes[i])) < 0)
			goto done;
	if (buf_printf(&v, "SMTP:%s", addr) < 0 || entry_add(c, "cn", addr, strlen(addr)) < 0 ||
	    entry_add(c, "sn", addr, strlen(addr)) < 0 ||
	    entry_add(c, "mail", addr, strlen(addr)) < 0 ||
	    entry_add(c, "proxyAddresses", v.s, v.len) < 0 ||
	    entry_add(c, "targetAddress", v.s, v.len) < 0 ||
	    entry_add(c, "msExchHideFromAddressLists", "TRUE", 4) < 0 ||
	    entry_add(c, "dirmailManagedAddress", addr, strlen(addr)) < 0 ||
	    entry_add(c, "dirmailState", "ok", 2) < 0)
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

/* Is o a mail contact dirmail created (under the contact base, marked)? */
static int own_contact(const struct account *a, const struct pol_obj *o)
{
	size_t dl = strlen(o->e->dn), bl = a->contact_base ? strlen(a->contact_base) : 0;

	return o->kind == POL_OTHER && bl > 0 && dl > bl + 1 && o->e->dn[dl - bl - 1] == ',' &&
	       strcasecmp(o->e->dn + dl - bl, a->contact_base) == 0 &&
	       entry_get(o->e, "dirmailManagedAddress") != NULL;
}

static int build_active(const struct pol_ctx *ctx, struct work *w, struct work *all, size_t n,
                        struct idx *ix, struct pol_result *res)
{
	const struct account *a = ctx->acct;
	struct entry *want = w->o->want;
	struct strv mine = {NULL, 0};
	struct buf b = BUF_INIT;
	const char *primary = w->addrs.v[0], *fwd;
	size_t i;
	int rc = -1, r;

	/* dirmail's addresses: this pass's claims, then former generated ones
	 * still in an accepted domain (mail to them keeps arriving). */
	for (i = 0; i < w->addrs.n; i++)
		if (strv_add(&mine, w->addrs.v[i]) < 0)
			goto done;
	for (i = 0; i < w->old_plain.n; i++) {
		long owner = idx_get(ix, w->old_plain.v[i]);

		if (strv_find(&mine, w->old_plain.v[i]) < 0 &&
		    domain_accepted(a, domain_of(w->old_plain.v[i])) &&
		    (owner < 0 || (size_t)owner == w->self) &&
		    strv_add(&mine, w->old_plain.v[i]) < 0)
			goto done;
	}
	entry_del(want, "dirmailManagedAddress");
	for (i = 0; i < mine.n; i++)
		if (entry_add(want, "dirmailManagedAddress", mine.v[i], strlen(mine.v[i])) < 0)
			goto done;
	for (i = 0; i < w->alias_addrs.n; i++) {
		buf_reset(&b);
		if (strv_find(&mine, w->alias_addrs.v[i]) >= 0)
			continue;
		if (buf_printf(&b, ALIAS_MARK "%s", w->alias_addrs.v[i]) < 0 ||
		    entry_add(want, "dirmailManagedAddress", b.s, b.len) < 0 ||
		    strv_add(&mine, w->alias_addrs.v[i]) < 0)
			goto done;
	}
	for (i = 0; i < w->old_plain.n; i++)
		w->o->deletions += strv_find(&mine, w->old_plain.v[i]) < 0;
	for (i = 0; i < w->old_alias.n; i++)
		w->o->deletions += strv_find(&mine, w->old_alias.v[i]) < 0;
	if (build_proxy(w, want, &mine, primary) < 0)
		goto done;
	for (i = 0; want && i < entry_get(want, "proxyAddresses")->nvals; i++)
		if (entry_get(want, "proxyAddresses")->vals[i].len > ADDR_ATTR_MAX) {
			(void)!set_state(
			    w, "invalid: a proxyAddresses value would exceed %d characters",
			    ADDR_ATTR_MAX);
			rc = 1;
			goto done;
		}

	if (set1(want, "mail", "%s", primary) < 0)
		goto done;
	{
		const char *nick = entry_first(w->o->e, w->o->kind == POL_LIST ? "cn" : "uid");

		if (w->o->kind == POL_USER && entry_first(w->o->e, "sAMAccountName"))
			nick = entry_first(w->o->e, "sAMAccountName");
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
			if (entry_add(want, "showInAddressBook", a->address_lists.v[i],
			              strlen(a->address_lists.v[i])) < 0)
				goto done;
	}

	for (i = 0; exchange_attrs[i]; i++)
		if (w->svc != SVC_EXCH)
			entry_del(want, exchange_attrs[i]);
	if (w->o->kind == POL_LIST) {
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
		const struct entry_attr *g = entry_get(w->o->e, "msExchMailboxGuid");

		entry_del(want, "targetAddress");
		if (set1(want, "homeMDB", "%s", a->exchange_database) < 0 ||
		    set1(want, "msExchRecipientTypeDetails", "1") < 0 ||
		    set1(want, "msExchRecipientDisplayType", "1073741824") < 0)
			goto done;
		if (!entry_first(w->o->e, "legacyExchangeDN") &&
		    legacy_dn(want, a, entry_first(want, "mailNickname")) < 0)
			goto done;
		if (g == NULL || g->nvals != 1 || g->vals[0].len != 16) {
			unsigned char guid[16];

			ctx->new_guid(guid, ctx->guid_arg);
			entry_del(want, "msExchMailboxGuid");
			if (entry_add(want, "msExchMailboxGuid", guid, sizeof(guid)) < 0)
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

	/* Forwarding to another recipient of the directory. */
	entry_del(want, "altRecipient");
	entry_del(want, "deliverAndRedirect");
	fwd = entry_first(w->o->e, "dirmailForwardTo");
	if (fwd != NULL) {
		long owner;

		buf_reset(&b);
		if (addr_key(&b, fwd, strlen(fwd)) < 0)
			goto done;
		/* check_forward refused a missing target in an accepted domain
		 * and the user's own address before anything was built. */
		owner = idx_get(ix, buf_str(&b));
		if (owner < 0) {
			/* Outside the directory: a mail contact stands for it. */
			struct buf dn = BUF_INIT;
			char *key = buf_steal(&b);

			r = key ? new_contact(ctx, key, n, ix, res, &dn) : -1;
			free(key);
			if (r == 0)
				r = set1(want, "altRecipient", "%s", buf_str(&dn));
			buf_free(&dn);
			if (r < 0)
				goto done;
		} else if (set1(want, "altRecipient", "%s",
		                (size_t)owner >= n ? res->adds[(size_t)owner - n]->dn
		                                   : all[owner].o->e->dn) < 0) {
			goto done;
		}
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
	if (m->o->kind == POL_OTHER)
		return entry_get(m->o->e, "mail") || entry_get(m->o->e, "proxyAddresses");
	if (m->o->kind == POL_LIST)
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
	const struct entry_attr *cur = entry_get(w->o->e, "member");
	struct strv keep = {NULL, 0};
	size_t i;
	int rc = -1;

	if (w->o->filter_members) {
		for (i = 0; i < w->o->nfilter_members; i++)
			if (member_ok(dns, all, w->o->filter_members[i]) &&
			    strv_find(&keep, w->o->filter_members[i]) < 0 &&
			    strv_add(&keep, w->o->filter_members[i]) < 0)
				goto done;
	} else {
		for (i = 0; cur && i < cur->nvals; i++)
			if (cur->vals[i].len && member_ok(dns, all, cur->vals[i].val) &&
			    strv_find(&keep, cur->vals[i].val) < 0 &&
			    strv_add(&keep, cur->vals[i].val) < 0)
				goto done;
	}
	entry_del(want, "member");
	/* Keep the server's spelling of members that stay. */
	for (i = 0; cur && i < cur->nvals; i++) {
		int k = strv_find(&keep, cur->vals[i].val);

		if (k >= 0) {
			if (entry_add(want, "member", cur->vals[i].val, cur->vals[i].len) < 0)
				goto done;
			free(keep.v[k]);
			keep.v[k] = keep.v[--keep.n];
		}
	}
	for (i = 0; i < keep.n; i++)
		if (entry_add(want, "member", keep.v[i], strlen(keep.v[i])) < 0)
			goto done;
	/* groupOfNames must have a member: the empty DN expands to nobody. */
	if (!entry_get(want, "member") && has_class(w->o->e, "groupOfNames") &&
	    entry_add(want, "member", "", 0) < 0)
		goto done;
	rc = 0;
done:
	strv_free(&keep);
	return rc;
}

static int add_class(const struct pol_ctx *ctx, struct entry *want)
{
	if (ctx->recipient_class == NULL || has_class(want, ctx->recipient_class))
		return 0;
	return entry_add(want, "objectClass", ctx->recipient_class, strlen(ctx->recipient_class));
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
	strv_free(&w->old_plain);
	strv_free(&w->old_alias);
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

/* Marks the contacts dirmail created that no forwarding uses any more;
 * used holds every altRecipient the pass wants. */
static void unused_contacts(const struct account *a, struct work *w, size_t n,
                            const struct idx *used)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (own_contact(a, w[i].o) && idx_get(used, w[i].o->e->dn) < 0) {
			w[i].o->remove = 1;
			w[i].o->deletions = 1;
		}
}

/* Does want hold, for every attribute diff compares, exactly what e holds
 * (objectClass: nothing e lacks)? */
static int unchanged(const struct entry *e, const struct entry *want)
{
	size_t i, j, k;

	for (k = 0; k < 2; k++) {
		const char *const *list = k == 0 ? owned : merged;

		for (i = 0; list[i]; i++) {
			const struct entry_attr *x = entry_get(e, list[i]),
			                        *y = entry_get(want, list[i]);
			size_t nx = x ? x->nvals : 0, ny = y ? y->nvals : 0;

			if (strcmp(list[i], "objectClass") != 0 && nx != ny)
				return 0;
			for (j = 0; j < ny; j++)
				if (!entry_has(e, list[i], y->vals[j].val, y->vals[j].len))
					return 0;
		}
	}
	return 1;
}

/* A forward that cannot work makes the user invalid: a target address no
 * recipient has in an accepted domain, or the user's own. */
static void check_forward(const struct pol_ctx *ctx, struct work *w, const struct idx *ix)
{
	const char *fwd = entry_first(w->o->e, "dirmailForwardTo");
	struct buf key = BUF_INIT;
	long owner;

	if (fwd == NULL || addr_key(&key, fwd, strlen(fwd)) < 0)
		goto done;
	owner = idx_get(ix, buf_str(&key));
	if (owner < 0 && domain_accepted(ctx->acct, domain_of(buf_str(&key)))) {
		(void)!set_state(w, "invalid: dirmailForwardTo: no recipient has the address %s",
		                 fwd);
		w->active = 0;
	} else if (owner >= 0 && (size_t)owner == w->self) {
		(void)!set_state(w, "invalid: dirmailForwardTo: %s is the user's own address", fwd);
		w->active = 0;
	}
done:
	buf_free(&key);
}

int policy_run(const struct pol_ctx *ctx, struct pol_obj *objs, size_t n, struct pol_result *res)
{
	struct buf *acct_state = &res->acct_state;
	const struct account *a = ctx->acct;
	struct work *w = calloc(n ? n : 1, sizeof(*w));
	struct work **ord = calloc(n ? n : 1, sizeof(*ord));
	struct idx ix = {NULL, 0, 0}, dns = {NULL, 0, 0}, used = {NULL, 0, 0};
	long reserved = 0, free_licences, allocated = 0;
	size_t i, j;
	int rc = -1, r;

	policy_result_clear(res);
	if (w == NULL || ord == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		policy_obj_clear(&objs[i]);
		w[i].o = &objs[i];
		w[i].self = i;
		ord[i] = &w[i];
		read_intent(ctx, &w[i]);
		if (idx_put(&dns, objs[i].e->dn, i) < 0)
			goto done;
	}
	/* Every address in use, whoever holds it: owners keep what they have. */
	for (i = 0; i < n; i++) {
		const struct entry_attr *pa = entry_get(objs[i].e, "proxyAddresses");
		const char *m = entry_first(objs[i].e, "mail");

		/* What a user leaving the service loses is free from this pass on. */
		int leaving = w[i].o->kind == POL_USER && !w[i].blocked && w[i].svc == SVC_NONE;

		for (j = 0; pa && j < pa->nvals; j++)
			if (is_smtp(pa->vals[j].val) &&
			    !(leaving && dirmails(&w[i], pa->vals[j].val + 5)) &&
			    idx_put(&ix, pa->vals[j].val + 5, i) < 0)
				goto done;
		if (m && !(leaving && dirmails(&w[i], m)) && idx_put(&ix, m, i) < 0)
			goto done;
	}
	/* Existing POP/IMAP mailboxes keep their licences while they exist. */
	for (i = 0; i < n; i++)
		if (w[i].o->kind == POL_USER && w[i].cur_pop &&
		    (w[i].blocked || w[i].svc == SVC_POP))
			reserved++;
	free_licences = a->licences - reserved;

	qsort(ord, n, sizeof(*ord), order_cmp);
	for (i = 0; i < n; i++)
		if (ord[i]->o->kind != POL_OTHER && !ord[i]->blocked && ord[i]->active &&
		    claim(ctx, ord[i], w, &ix, &free_licences) < 0)
			goto done;

	/* Forwarding needs every claim made: refuse what cannot work before
	 * anything is built, so every object's status is final below. */
	for (i = 0; i < n; i++)
		if (w[i].o->kind == POL_USER && !w[i].blocked && w[i].active)
			check_forward(ctx, &w[i], &ix);

	/* One object at a time: its wanted entry is built, finished and, when
	 * asked, dropped again if nothing in it differs from what was read. */
	for (i = 0; i < n; i++) {
		struct work *x = &w[i];
		const char *alt;

		if (x->o->kind == POL_OTHER)
			continue;
		x->o->want = want_from(x->o->e);
		if (x->o->want == NULL)
			goto done;
		if (!x->blocked && x->active) {
			r = build_active(ctx, x, w, n, &ix, res);
			if (r < 0)
				goto done;
			if (r > 0) {
				/* Found invalid late: back to the object as read. */
				entry_free(x->o->want);
				x->o->want = want_from(x->o->e);
				x->o->deletions = 0;
				if (x->o->want == NULL)
					goto done;
			}
		} else if (!x->blocked) {
			/* Service none: dirmail's attributes and addresses go. */
			strip(x, x->o->want);
			if (x->footprint) {
				size_t k;

				if (build_proxy(x, x->o->want, &(struct strv){NULL, 0}, NULL) < 0)
					goto done;
				for (k = 0; k < x->old_plain.n + x->old_alias.n; k++)
					x->o->deletions++;
				if (x->cur_exch || x->cur_pop)
					x->o->deletions++;
			}
		}
		if (x->o->kind == POL_USER && x->active && !x->blocked)
			allocated += limit_mb(a, x);
		if (x->o->kind == POL_LIST && !x->blocked && build_members(x, w, &dns) < 0)
			goto done;
		if (set1(x->o->want, "dirmailState", "%s",
		         x->state.len ? buf_str(&x->state) : "ok") < 0 ||
		    add_class(ctx, x->o->want) < 0)
			goto done;
		x->o->state = strdup(entry_first(x->o->want, "dirmailState"));
		if (x->o->state == NULL)
			goto done;
		x->o->managed = 1;
		alt = entry_first(x->o->want, "altRecipient");
		if (alt != NULL && idx_put(&used, alt, i) < 0)
			goto done;
		if (ctx->drop_unchanged && unchanged(x->o->e, x->o->want)) {
			entry_free(x->o->want);
			x->o->want = NULL;
		}
	}
	unused_contacts(a, w, n, &used);

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
	for (i = 0; w && i < n; i++)
		work_free(&w[i]);
	free(w);
	free(ord);
	idx_free(&ix);
	idx_free(&dns);
	idx_free(&used);
	return rc;
}
