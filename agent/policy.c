/* policy.c - intent to desired state, the rules of SPEC section 2.
 * A pass is computed in phases over every object at once: validation and
 * service exclusivity, licences, address claims in creation order, then the
 * derived attributes, list membership and the account's own state. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "hash.h"
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

/* What the policy knows of an attribute. */
enum {
	AT_READ = 1 << 0,         /* the policy reads it of a recipient */
	AT_OWNED = 1 << 1,        /* dirmail is authoritative on objects with intent:
	                           * it sets and removes it, whoever wrote it */
	AT_MERGED = 1 << 2,       /* shared with others: merged value by value */
	AT_ADD_ONLY = 1 << 3,     /* merged by adding values only (objectClass),
	                           * which diff does on its own */
	AT_DN = 1 << 4,           /* its values are DNs */
	AT_EXPORT = 1 << 5,       /* the export names it (it takes every owned and
	                           * every dirmail* attribute besides) */
	AT_EXCHANGE = 1 << 6,     /* an Exchange mailbox's: none other keeps it, and
	                           * removing it deletes the mailbox */
	AT_NOT_ON_LISTS = 1 << 7, /* a mailbox's: lists never hold it */
	AT_SERVICE = 1 << 8,      /* goes with the service: service none removes it */
	AT_IF_DIRMAILS = 1 << 9,  /* ... when its value is one of dirmail's addresses */
	AT_ACCOUNT = 1 << 10,     /* read of the account entry, not of recipients */
};

#define MAILBOX (AT_READ | AT_OWNED | AT_SERVICE | AT_NOT_ON_LISTS)

/*
 * Every attribute the policy reads, writes or names, once: the lists the
 * policy hands out and the ones it works with are all derived from here.
 * Order matters where output depends on it: diff writes modifications in
 * the order of the owned attributes, then proxyAddresses and member, and
 * the export names its attributes in the order they have here.
 */
static const struct attr_def {
	const char *name;
	unsigned flags;
} attr_table[] = {
    {"mail", AT_READ | AT_OWNED | AT_SERVICE | AT_IF_DIRMAILS},
    {"mailNickname", AT_READ | AT_OWNED | AT_SERVICE},
    {"targetAddress", MAILBOX},
    {"msExchRecipientTypeDetails", MAILBOX},
    {"msExchRecipientDisplayType", MAILBOX},
    {"homeMDB", MAILBOX | AT_EXCHANGE | AT_DN},
    {"legacyExchangeDN", MAILBOX | AT_EXCHANGE},
    {"msExchMailboxGuid", MAILBOX | AT_EXCHANGE},
    {"showInAddressBook", AT_READ | AT_OWNED | AT_SERVICE | AT_DN},
    {"msExchHideFromAddressLists", AT_READ | AT_OWNED | AT_SERVICE},
    {"mDBUseDefaults", MAILBOX},
    {"mDBStorageQuota", MAILBOX},
    {"mDBOverQuotaLimit", MAILBOX},
    {"mDBOverHardQuotaLimit", MAILBOX},
    {"altRecipient", MAILBOX | AT_DN},
    {"deliverAndRedirect", MAILBOX},
    {"msExchRecipLimit", MAILBOX},
    {"dirmailMessageRateLimit", MAILBOX},
    {"dirmailManagedAddress", AT_READ | AT_OWNED | AT_SERVICE},
    {"dirmailState", AT_READ | AT_OWNED},
    {"objectClass", AT_READ | AT_MERGED | AT_ADD_ONLY | AT_EXPORT},
    {"entryUUID", AT_EXPORT},
    {"objectGUID", AT_EXPORT},
    {"cn", AT_READ | AT_EXPORT},
    {"uid", AT_READ | AT_EXPORT},
    {"sAMAccountName", AT_READ | AT_EXPORT},
    {"givenName", AT_READ | AT_EXPORT},
    {"sn", AT_READ | AT_EXPORT},
    {"initials", AT_READ | AT_EXPORT},
    {"displayName", AT_EXPORT},
    {"description", AT_EXPORT},
    {"userAccountControl", AT_READ | AT_EXPORT},
    {"proxyAddresses", AT_READ | AT_MERGED | AT_EXPORT},
    {"member", AT_READ | AT_MERGED | AT_EXPORT | AT_DN},
    {"createTimestamp", AT_READ},
    {"whenCreated", AT_READ},
    {"dirmailService", AT_READ},
    {"dirmailPrimaryAddress", AT_READ},
    {"dirmailAlias", AT_READ},
    {"dirmailQuota", AT_READ},
    {"dirmailQuotaNotify", AT_READ},
    {"dirmailForwardTo", AT_READ},
    {"dirmailForwardKeepCopy", AT_READ},
    {"dirmailAutoReply", AT_READ},
    {"dirmailAutoReplyStart", AT_READ},
    {"dirmailAutoReplyEnd", AT_READ},
    {"dirmailHidden", AT_READ},
    {"dirmailDisabled", AT_READ},
    {"dirmailMemberFilter", AT_READ},
    {"dirmailCatchAll", AT_ACCOUNT | AT_DN},
    {"dirmailAddressList", AT_ACCOUNT | AT_DN},
    {"dirmailExchangeDatabase", AT_ACCOUNT | AT_DN},
    {"dirmailContactBase", AT_ACCOUNT | AT_DN},
};

#undef MAILBOX
#define NATTRS (sizeof(attr_table) / sizeof(attr_table[0]))

/* Which attributes each derived list holds. */
static int is_owned(unsigned f)
{
	return (f & AT_OWNED) != 0;
}

static int is_diffed(unsigned f)
{
	return (f & AT_OWNED) || ((f & AT_MERGED) && !(f & AT_ADD_ONLY));
}

static int is_read(unsigned f)
{
	return (f & AT_READ) != 0;
}

static int is_dn(unsigned f)
{
	return (f & AT_DN) != 0;
}

static int is_exported(unsigned f)
{
	return (f & AT_EXPORT) != 0;
}

static int is_wanted(unsigned f)
{
	return (f & (AT_OWNED | AT_MERGED)) != 0;
}

/*
 * Fills v (NATTRS + 1 slots) with the names of the attributes keep
 * accepts, in table order, NULL-terminated, and returns it. Filled on the
 * first call, only read after: the program is single-threaded where it
 * first asks (main takes policy_dn_attrs before any thread starts), and
 * every call would fill in the same names.
 */
static const char *const *derive(const char **v, int (*keep)(unsigned flags))
{
	size_t i, n = 0;

	if (v[0] == NULL) {
		for (i = 0; i < NATTRS; i++)
			if (keep(attr_table[i].flags))
				v[n++] = attr_table[i].name;
		v[n] = NULL;
	}
	return v;
}

const char *const *policy_owned_attrs(void)
{
	static const char *v[NATTRS + 1];

	return derive(v, is_owned);
}

const char *const *policy_diff_attrs(void)
{
	static const char *v[NATTRS + 1];

	return derive(v, is_diffed);
}

const char *const *policy_read_attrs(void)
{
	static const char *v[NATTRS + 1];

	return derive(v, is_read);
}

const char *const *policy_dn_attrs(void)
{
	static const char *v[NATTRS + 1];

	return derive(v, is_dn);
}

const char *const *policy_export_attrs(void)
{
	static const char *v[NATTRS + 1];

	return derive(v, is_exported);
}

static uint64_t wanted_keys; /* entry_key_bit of every wanted name */

/* The attributes a wanted entry is made of, owned or merged, with their
 * lookup keys: compared for every object, so worked out once (on the
 * first policy_take, in the one thread that runs the policy). */
static const struct wanted {
	const char *name; /* NULL after the last */
	unsigned int key;
} * wanted_attrs(void)
{
	static struct wanted w[NATTRS + 1];
	static const char *names[NATTRS + 1];
	const char *const *n;
	size_t i;

	if (w[0].name != NULL)
		return w;
	n = derive(names, is_wanted);
	for (i = 0; n[i]; i++) {
		w[i].key = entry_name_key(n[i]);
		w[i].name = n[i];
		wanted_keys |= entry_key_bit(w[i].key);
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

	if (!(wanted_keys & entry_key_bit(key)))
		return 1;
	for (i = 0; w[i].name; i++)
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
	return entry_has_nocase(e, "objectClass", cls, strlen(cls));
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

/* The vector's cap pointers are followed by cap bytes, one a string: how
 * claim decided an address (HOW_*), for the vectors of claims. */
static unsigned char *strv_hows(const struct strv *s)
{
	return (unsigned char *)(s->v + s->cap);
}

/* Makes room for one more string. */
static int strv_grow(struct strv *s)
{
	unsigned cap = s->cap ? 2 * s->cap : 4;
	char **v;

	if (s->n < s->cap)
		return 0;
	v = cap > s->cap && cap <= UINT_MAX / (sizeof(*v) + 1)
	        ? realloc(s->v, cap * (sizeof(*v) + 1))
	        : NULL;
	if (v == NULL)
		return -1;
	if (s->cap > 0)
		memmove(v + cap, v + s->cap, s->cap);
	s->v = v;
	s->cap = cap;
	return 0;
}

static int strv_add(struct strv *s, const char *str)
{
	if (strv_grow(s) < 0)
		return -1;
	s->v[s->n] = s->pool ? pool_strdup(s->pool, str) : strdup(str);
	if (s->v[s->n] == NULL)
		return -1;
	s->n++;
	return 0;
}

/*
 * Address candidates carry two bytes after their NUL, for policy_decision:
 * where the address comes from (ORIGIN_EXPLICIT, ORIGIN_ALIAS, or
 * ORIGIN_TEMPLATE plus the template's index), and HOW_UNDECIDED. How claim
 * decided an address (HOW_*, a suffix's number of digits in the high bits)
 * is kept beside the claim in its vector (strv_hows), so that a claim of
 * the candidate as it is shares the candidate's string: the claims of a
 * pass take pointers, not a second copy of every address. Two bytes an
 * address rather than fields in every object; nothing else reads past the
 * NUL. Only for vectors whose strings are a pool's.
 */
enum { ORIGIN_EXPLICIT, ORIGIN_ALIAS, ORIGIN_TEMPLATE, ORIGIN_MAX = 255 };
enum { HOW_UNDECIDED, HOW_HELD, HOW_CLAIMED, HOW_SUFFIXED, HOW_REFUSED, HOW_MASK = 15 };
#define HOW_DIGITS(d) ((d) << 4)

static int strv_add_tagged(struct strv *s, const char *str, unsigned origin, unsigned how)
{
	size_t len = strlen(str);
	char *c;

	if (strv_grow(s) < 0 || (c = pool_alloc(s->pool, len + 3, 1)) == NULL)
		return -1;
	memcpy(c, str, len + 1);
	c[len + 1] = (char)(origin < ORIGIN_MAX ? origin : ORIGIN_MAX);
	c[len + 2] = (char)HOW_UNDECIDED;
	strv_hows(s)[s->n] = (unsigned char)how;
	s->v[s->n++] = c;
	return 0;
}

static unsigned tag_origin(const char *tagged)
{
	return (unsigned char)tagged[strlen(tagged) + 1];
}

/* Adds the tagged string c itself, which outlives s (a candidate, in the
 * pass's pool), decided how. */
static int strv_add_shared(struct strv *s, const char *c, unsigned how)
{
	if (strv_grow(s) < 0)
		return -1;
	strv_hows(s)[s->n] = (unsigned char)how;
	s->v[s->n++] = dm_unconst(c);
	return 0;
}

/* Adds the claim str, from the candidate c, decided how: c itself when it
 * is the same address. */
static int strv_add_claim(struct strv *s, const char *str, const char *c, unsigned how)
{
	if (strcmp(str, c) == 0)
		return strv_add_shared(s, c, how);
	return strv_add_tagged(s, str, tag_origin(c), how);
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
	uint32_t h; /* hash_nocase(key), its low half */
};

struct idx {
	struct slot *s;
	size_t cap, n;
	struct pool *pool; /* holds copies of the keys; NULL: keys are borrowed */
};

static struct slot *idx_slot(const struct idx *x, const char *key, uint32_t h)
{
	size_t i;

	if (x->cap == 0)
		return NULL;
	for (i = h & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
		if (x->s[i].key == NULL ||
		    (x->s[i].h == h && (x->s[i].key == key || strcasecmp(x->s[i].key, key) == 0)))
			return &x->s[i];
}

/* The owner of key, or -1. */
static long idx_get(const struct idx *x, const char *key)
{
	struct slot *s = idx_slot(x, key, (uint32_t)hash_nocase(key));

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

/* Records key for owner: 1 when it is new (*stored gets the index's copy),
 * 0 when owner holds it already, 2 when another does (it keeps it), -1
 * out of memory. */
static int idx_put_new(struct idx *x, const char *key, size_t owner, const char **stored)
{
	uint32_t h = (uint32_t)hash_nocase(key);
	struct slot *s;

	if (owner > UINT32_MAX || ((x->n + 1) * 4 > x->cap * 3 && idx_grow(x) < 0))
		return -1;
	s = idx_slot(x, key, h);
	if (s->key != NULL)
		return s->owner == owner ? 0 : 2;
	s->h = h;
	s->key = x->pool ? pool_strdup(x->pool, key) : dm_unconst(key);
	if (s->key == NULL)
		return -1;
	s->owner = (uint32_t)owner;
	x->n++;
	*stored = s->key;
	return 1;
}

/* Like idx_put_new with key itself as the index's key, not a copy: key
 * must outlive x (the index is freed or copied anew before it goes). */
static int idx_put_new_borrowed(struct idx *x, const char *key, size_t owner, const char **stored)
{
	struct pool *pool = x->pool;
	int r;

	x->pool = NULL;
	r = idx_put_new(x, key, owner, stored);
	x->pool = pool;
	return r;
}

/* Like idx_put with key itself as the index's key (idx_put_new_borrowed). */
static int idx_put_borrowed(struct idx *x, const char *key, size_t owner)
{
	const char *stored;

	return idx_put_new_borrowed(x, key, owner, &stored) < 0 ? -1 : 0;
}

/* Records key for owner unless someone holds it already: owners keep. */
static int idx_put(struct idx *x, const char *key, size_t owner)
{
	const char *stored;

	return idx_put_new(x, key, owner, &stored) < 0 ? -1 : 0;
}

/* Forgets key if owner holds it; linear probing, so the entries after it
 * move back into the gap rather than leaving a mark. */
static void idx_del(struct idx *x, const char *key, size_t owner)
{
	struct slot *s = idx_slot(x, key, (uint32_t)hash_nocase(key));
	size_t i, j, k, mask = x->cap - 1;

	if (s == NULL || s->key == NULL || s->owner != owner)
		return;
	i = (size_t)(s - x->s);
	x->s[i].key = NULL;
	x->n--;
	for (j = (i + 1) & mask; x->s[j].key != NULL; j = (j + 1) & mask) {
		k = x->s[j].h & mask;
		/* Stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		x->s[i] = x->s[j];
		x->s[j].key = NULL;
		i = j;
	}
}

/* Makes dst a copy of src (the keys shared); dst keeps its own pool for
 * what is put in it after. */
static int idx_copy(struct idx *dst, const struct idx *src)
{
	if (dst->cap != src->cap) {
		struct slot *s = malloc((src->cap ? src->cap : 1) * sizeof(*s));

		if (s == NULL)
			return -1;
		free(dst->s);
		dst->s = s;
		dst->cap = src->cap;
	}
	if (src->cap > 0)
		memcpy(dst->s, src->s, src->cap * sizeof(*dst->s));
	dst->n = src->n;
	return 0;
}

/* Room for n keys without growing. */
static int idx_reserve(struct idx *x, size_t n)
{
	while (n * 4 > x->cap * 3)
		if (idx_grow(x) < 0)
			return -1;
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

/*
 * What policy_take's build of a user assumed settle would decide, kept
 * only for the users that build found unchanged: settle compares it field
 * by field with what it decided, and the user is known unchanged only when
 * every field is equal. An address is kept as the decision that made it:
 * the candidate it came from (the object's candidates are the same array
 * at take and at settle) and the suffix added, three bytes where the
 * string would take thirty; claim compares them as it decides
 * (spec_miss). One allocation in the pass's pool.
 */
struct spec {
	unsigned naddrs, nalias;
	enum pol_state state_kind;
	unsigned active : 1, blocked : 1;
	unsigned alt : 1; /* forwards to the altRecipient as read */
	/* naddrs picks of a candidate (its index, the suffix low byte then
	 * high byte), nalias indexes of an alias, then the state text */
	unsigned char picks[];
};

/* Candidates and aliases a spec can name in its one-byte picks. */
#define SPEC_PICKS_MAX 255

/* The fields of a work that few objects set (forwards, lists, states,
 * fallbacks), apart so that the many objects without them do not carry
 * them: a pass of 100,000 users holds 100,000 works. Allocated by rare_of
 * when one is first set, freed with the work. */
struct rare {
	const char *fwd; /* dirmailForwardTo as an index key, or NULL */
	const char *fwd_as_read;
	const char *alt;     /* the altRecipient the forward wants, or NULL */
	const char *cur_alt; /* altRecipient as read, or NULL */
	const char *const *filter_members;
	size_t nfilter_members;
	const char **fallback; /* NULL, or for each template (0 the primary) why
	                        * it gave this object nothing and %m stood in */
	const char *t_state;   /* see struct work */
};

/* Field f of w's rare part, NULL or 0 when it has none. */
#define RARE(w, f) ((w)->rare ? (w)->rare->f : 0)

/* What the pass keeps of an object between reading it (policy_take) and
 * building its wanted entry (policy_build): its intent, checked, and what
 * other objects' rules ask of it. Strings are in the pass's pool. */
struct work {
	const struct entry *e; /* only within policy_take and policy_build */
	struct olds *old;      /* within take and build only: the pass's */
	const char *dn;
	const char *created;        /* "" sorts last through work_cmp */
	struct rare *rare;          /* NULL: every field of it NULL or 0 */
	const struct spec *spec;    /* what that build assumed, or NULL: not built so */
	long quota;                 /* MB, -1 = the account default */
	uint64_t held;              /* bit i < 32: cands[i], bit 32 + j: aliases[j] is this
	                             * object's already (it holds it): claim needs no look-up */
	struct buf state;           /* "kind: message", "" = ok */
	struct strv addrs;          /* claimed, lowercase; [0] is the primary */
	struct strv alias_addrs;    /* claimed from dirmailAlias */
	struct strv cands, aliases; /* what claim tries, until it has */
	/* Kept passes only: the keys of the address index this object put
	 * there, so that taking it again can take them out. */
	const char **hkeys;
	unsigned nhkeys;
	/* The narrow fields last, in bytes and bits rather than words: this
	 * struct is kept for every object of a pass. */
	uint32_t self;            /* the index's owners are 32 bits too */
	unsigned lic_rank;        /* place among the POP/IMAP mailboxes, in creation
	                           * order, kept ones first; 0: needs no licence */
	unsigned nexp;            /* explicit ones at the head of cands */
	unsigned char kind;       /* enum pol_kind */
	unsigned char state_kind; /* enum pol_state: the kind of state */
	unsigned char svc;        /* enum svc: wanted */
	/* What take decided, which policy_reopen puts back after a settle:
	 * the state (its text pooled, NULL when ok: in rare) and the two flags. */
	unsigned char t_state_kind;
	unsigned t_active : 1, t_blocked : 1;
	unsigned cur_pop : 1, cur_exch : 1;
	unsigned footprint : 1; /* dirmailState or dirmailManagedAddress present */
	unsigned blocked : 1;   /* the state explains it; nothing else changes */
	unsigned active : 1;    /* mail-enabled after this pass */
	unsigned disabled : 1, hidden : 1, notify : 1, keep_copy : 1;
	unsigned has_addr : 1;  /* holds mail or proxyAddresses */
	unsigned contact : 1;   /* a mail contact dirmail created */
	unsigned remove : 1;    /* such a contact nothing uses any more */
	unsigned spec_ok : 1;   /* built unchanged when taken, and settle agreed */
	unsigned spec_miss : 1; /* claim decided otherwise than spec assumed */
};

struct pol_pass {
	const struct pol_ctx *ctx;
	struct olds old;     /* of the one object being taken or built */
	struct pool scratch; /* strings of that object alone */
	struct pool pool;
	struct work *w;
	size_t n, cap;
	struct idx held;       /* every address in use as read, whoever holds it */
	struct idx ix;         /* settle's: held, then what the claims take */
	struct idx dns;        /* every DN */
	struct idx dups;       /* kept passes: addresses two objects hold as read */
	struct pool spool;     /* what settle makes; policy_reopen frees it */
	const char **contacts; /* the DNs of the mail contacts settle creates, in spool */
	size_t ncontacts;
	size_t pool_base;  /* kept passes: the pool's size after the first settle */
	size_t *ord, nord; /* kept passes: the objects in work_cmp's order */
	int settled;
	int settled_once; /* kept passes: reopened since, objects taken again */
	int keep;         /* policy_keep: settle leaves what a new settle needs */
};

/* The address index as it stands: as read until settle, then with the
 * claims. */
static const struct idx *addr_index(const struct pol_pass *pp)
{
	return pp->settled ? &pp->ix : &pp->held;
}

const char *policy_state_name(enum pol_state k)
{
	static const char *const names[] = {
	    [POL_OK] = "ok",
	    [POL_INVALID] = "invalid",
	    [POL_CONFLICT] = "conflict",
	    [POL_ADDRESS_TAKEN] = "address-taken",
	    [POL_OVER_LICENCE] = "over-licence",
	    [POL_OVER_ALLOCATED] = "over-allocated",
	    [POL_ERROR] = "error",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "error";
}

/* w's rare part, made on first use; NULL when out of memory. */
static struct rare *rare_of(struct work *w)
{
	if (w->rare == NULL)
		w->rare = calloc(1, sizeof(*w->rare));
	return w->rare;
}

/* Gives w the state "kind: message", unless it has one already: the first
 * reason found is the one shown. The text is made from the kind, so the
 * two never disagree. */
static int set_state(struct work *w, enum pol_state kind, const char *fmt, ...) DM_PRINTF(3, 4);
static int set_state(struct work *w, enum pol_state kind, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (w->state.len)
		return 0;
	va_start(ap, fmt);
	rc = buf_printf(&w->state, "%s: ", policy_state_name(kind));
	if (rc == 0)
		rc = buf_vprintf(&w->state, fmt, ap);
	va_end(ap);
	w->state_kind = kind;
	w->blocked = 1;
	return rc;
}

static const char *first(const struct work *w, const char *attr)
{
	return entry_first(w->e, attr);
}

/* Keeps why template t gave w no local part, in pool; -1 on out of memory. */
static int note_fallback(const struct account *a, struct work *w, struct pool *pool, size_t t,
                         const char *why)
{
	size_t n = 1 + a->secondary_templates.n;
	struct rare *r = rare_of(w);

	if (r == NULL)
		return -1;
	if (r->fallback == NULL) {
		r->fallback = pool_alloc(pool, n * sizeof(*r->fallback), sizeof(*r->fallback));
		if (r->fallback == NULL)
			return -1;
		memset(r->fallback, 0, n * sizeof(*r->fallback));
	}
	r->fallback[t] = pool_strdup(pool, why);
	return r->fallback[t] ? 0 : -1;
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
	(void)!set_state(w, POL_INVALID, "%s: \"%s\" is not TRUE or FALSE", attr, v);
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

/* A user's service and mailbox settings, read and checked. */
static void read_user_intent(const struct pol_ctx *ctx, struct work *w)
{
	const char *v = first(w, "dirmailService");
	struct buf why = BUF_INIT;
	long n;

	if (v == NULL || strcasecmp(v, "none") == 0)
		w->svc = SVC_NONE;
	else if (strcasecmp(v, "pop-imap") == 0)
		w->svc = SVC_POP;
	else if (strcasecmp(v, "exchange") == 0)
		w->svc = SVC_EXCH;
	else
		(void)!set_state(w, POL_INVALID,
		                 "dirmailService: \"%s\" is not pop-imap, exchange or none", v);
	w->disabled = get_bool(w, "dirmailDisabled", 0) == 1;
	v = first(w, "userAccountControl");
	if (v && parse_long(v, &n) == 0 && (n & 2))
		w->disabled = 1;
	w->notify = get_bool(w, "dirmailQuotaNotify", 1) != 0;
	w->keep_copy = get_bool(w, "dirmailForwardKeepCopy", 0) == 1;
	v = first(w, "dirmailQuota");
	if (v != NULL) {
		if (parse_long(v, &w->quota) < 0)
			(void)!set_state(w, POL_INVALID,
			                 "dirmailQuota: \"%s\" is not a number of MB", v);
		else if (w->quota < 0)
			(void)!set_state(w, POL_INVALID, "dirmailQuota: %ld is negative", w->quota);
		else if (ctx->acct->storage_total > 0 && w->quota > ctx->acct->storage_total)
			(void)!set_state(w, POL_INVALID,
			                 "dirmailQuota: %ld MB is more than the account's "
			                 "storage of %ld MB",
			                 w->quota, ctx->acct->storage_total);
	}
	v = first(w, "dirmailForwardTo");
	if (v != NULL && addr_check(v, &why) < 0)
		(void)!set_state(w, POL_INVALID, "dirmailForwardTo: \"%s\": %s", v, buf_str(&why));
	buf_free(&why);
	v = first(w, "dirmailAutoReplyStart");
	if (v && !gentime_ok(v))
		(void)!set_state(w, POL_INVALID,
		                 "dirmailAutoReplyStart: \"%s\" is not a GeneralizedTime", v);
	v = first(w, "dirmailAutoReplyEnd");
	if (v && !gentime_ok(v))
		(void)!set_state(w, POL_INVALID,
		                 "dirmailAutoReplyEnd: \"%s\" is not a GeneralizedTime", v);
	if (first(w, "dirmailAutoReplyStart") && v &&
	    strcmp(first(w, "dirmailAutoReplyStart"), v) > 0)
		(void)!set_state(w, POL_INVALID,
		                 "dirmailAutoReplyEnd lies before dirmailAutoReplyStart");
}

/* The explicit primary and the aliases, checked. */
static void read_address_intent(const struct pol_ctx *ctx, struct work *w)
{
	const struct entry_attr *a = entry_get(w->e, "dirmailAlias");
	const char *v = first(w, "dirmailPrimaryAddress");
	struct buf why = BUF_INIT;
	size_t i;

	if (v != NULL) {
		if (addr_check(v, &why) < 0)
			(void)!set_state(w, POL_INVALID, "dirmailPrimaryAddress: \"%s\": %s", v,
			                 buf_str(&why));
		else if (!domain_accepted(ctx->acct, domain_of(v)))
			(void)!set_state(w, POL_INVALID,
			                 "dirmailPrimaryAddress: \"%s\": %s is not a domain of "
			                 "the account",
			                 v, domain_of(v));
	}
	for (i = 0; a && i < a->nvals; i++) {
		v = a->vals[i].val;
		buf_reset(&why);
		if (strchr(v, '@') ? addr_check(v, &why) < 0
		                   : addr_check_local(v, strlen(v), &why) < 0)
			(void)!set_state(w, POL_INVALID, "dirmailAlias: \"%s\": %s", v,
			                 buf_str(&why));
		else if (strchr(v, '@') && !domain_accepted(ctx->acct, domain_of(v)))
			(void)!set_state(w, POL_INVALID,
			                 "dirmailAlias: \"%s\": %s is not a domain of the account",
			                 v, domain_of(v));
	}
	buf_free(&why);
}

/* Service exclusivity: never two mailboxes, never a silent switch; the
 * catch-all keeps its mailbox; a service needs the account's settings. */
static void check_service(const struct pol_ctx *ctx, struct work *w)
{
	const struct account *a = ctx->acct;

	if (w->svc == SVC_POP && w->cur_exch)
		(void)!set_state(w, POL_CONFLICT,
		                 "exchange-enabled: disable Exchange first; its mailbox "
		                 "will be deleted");
	else if (w->svc == SVC_EXCH && w->cur_pop)
		(void)!set_state(w, POL_CONFLICT,
		                 "pop-imap-enabled: disable POP/IMAP first; its mailbox "
		                 "will be deleted");
	else if (a->catch_all && strcasecmp(w->e->dn, a->catch_all) == 0 &&
	         (w->svc == SVC_NONE || w->disabled))
		(void)!set_state(w, POL_CONFLICT,
		                 "catch-all: the main account receives mail for unknown "
		                 "addresses and cannot be disabled or lose its mailbox");
	if (!w->blocked && ((w->svc == SVC_POP && a->popimap_host == NULL) ||
	                    (w->svc == SVC_EXCH && a->exchange_database == NULL)))
		(void)!set_state(w, POL_INVALID, "the account entry has no %s",
		                 w->svc == SVC_POP ? "dirmailPopImapHost"
		                                   : "dirmailExchangeDatabase");
}

/* Phase A: the object's intent, read and checked; sets blocked states. */
static void read_intent(const struct pol_ctx *ctx, struct work *w)
{
	const struct entry *e = w->e;
	const char *v;

	w->footprint = entry_get(e, "dirmailState") || entry_get(e, "dirmailManagedAddress");
	if (managed_split(w) < 0)
		(void)!set_state(w, POL_ERROR, "out of memory");
	v = first(w, "msExchRecipientTypeDetails");
	w->cur_exch = entry_get(e, "homeMDB") || entry_get(e, "msExchMailboxGuid") ||
	              (v && strcmp(v, "1") == 0);
	w->cur_pop = !w->cur_exch && v && strcmp(v, "128") == 0;
	w->quota = -1;
	w->notify = 1;
	if (w->kind == POL_OTHER)
		return;
	w->hidden = get_bool(w, "dirmailHidden", 0) == 1;
	w->active = w->kind == POL_LIST;
	if (w->kind == POL_USER)
		read_user_intent(ctx, w);
	read_address_intent(ctx, w);
	if (w->blocked || w->kind != POL_USER)
		return;
	check_service(ctx, w);
	w->active = !w->blocked && w->svc != SVC_NONE;
}

/* Creation order, then the smaller DN: who wins a race for an address or a
 * licence. Objects without a creation time come last. */
static int work_cmp(const struct work *a, const struct work *b)
{
	int c;

	if (*a->created == '\0' || *b->created == '\0')
		c = (*a->created == '\0') - (*b->created == '\0');
	else
		c = strcmp(a->created, b->created);
	return c ? c : strcasecmp(a->dn, b->dn);
}

/*
 * work_cmp's order from a copy of its leading bytes, sorted without
 * chasing two pointers per comparison: the first 24 bytes of the creation
 * time and 16 of the DN, ASCII case folded, as big-endian numbers, so that
 * numbers in order are strings in order. Equal numbers leave it to
 * work_cmp.
 */
struct order_key {
	uint64_t k[5]; /* created (all ones: none, last), then the DN */
	int whole;     /* created fits k[0..2]: equal numbers are equal times */
	struct work *w;
};

static uint64_t be_prefix(const char *s, size_t *at, int fold)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		unsigned char ch = s ? (unsigned char)s[*at] : 0;

		if (ch != 0)
			(*at)++;
		else
			s = NULL; /* the rest is padding */
		v = v << 8 | (fold && ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
	}
	return v;
}

static void order_key_of(struct order_key *o, struct work *w)
{
	size_t at = 0, i;

	o->w = w;
	if (*w->created == '\0') {
		o->k[0] = o->k[1] = o->k[2] = UINT64_MAX;
		o->whole = 0; /* a time of 24 bytes 0xff has the same numbers */
	} else {
		for (i = 0; i < 3; i++)
			o->k[i] = be_prefix(w->created, &at, 0);
		o->whole = w->created[at] == '\0';
	}
	at = 0;
	o->k[3] = be_prefix(w->dn, &at, 1);
	o->k[4] = be_prefix(w->dn, &at, 1);
}

static int order_key_cmp(const void *pa, const void *pb)
{
	const struct order_key *a = pa, *b = pb;
	size_t i;

	for (i = 0; i < 3; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	for (i = 3; a->whole && b->whole && i < 5; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	return work_cmp(a->w, b->w);
}

/* Puts ord[0..n) (objects) in work_cmp's order; -1 out of memory. */
static int order_sort(struct work **ord, size_t n)
{
	struct order_key *keys = malloc((n ? n : 1) * sizeof(*keys));
	size_t i;

	if (keys == NULL)
		return -1;
	for (i = 0; i < n; i++)
		order_key_of(&keys[i], ord[i]);
	qsort(keys, n, sizeof(*keys), order_key_cmp);
	for (i = 0; i < n; i++)
		ord[i] = keys[i].w;
	free(keys);
	return 0;
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
	int rc = -1, got;

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
		    strv_add_tagged(cands, buf_str(&full), ORIGIN_EXPLICIT, HOW_UNDECIDED) < 0)
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
		got = addr_expand(&lp, tmpl, &nm, &why);
		if (got > 0 && strcmp(tmpl, "%m") != 0) {
			/* The template is sound, this object's names give it
			 * nothing: %m stands in (SPEC §2), the reason kept. */
			if (note_fallback(ctx->acct, w, cands->pool, t, buf_str(&why)) < 0)
				goto done;
			if (buf_puts(&why, "; fallback %m: ") < 0)
				goto done;
			got = addr_expand(&lp, "%m", &nm, &why);
		}
		if (got != 0) {
			if (why.len == 0)
				goto done;
			(void)!set_state(w, POL_INVALID, "%s %s: %s",
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
			    strv_add_tagged(cands, buf_str(&full), ORIGIN_TEMPLATE + t,
			                    HOW_UNDECIDED) < 0)
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
			if (strv_find(out, buf_str(&full)) < 0 &&
			    strv_add_tagged(out, buf_str(&full), ORIGIN_ALIAS, HOW_UNDECIDED) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	buf_free(&full);
	return rc;
}

/* Finds the address a generated candidate becomes: itself when free or
 * already ours, else the first free or ours with a suffix 2, 3, ...
 * (*suffix, 1 for none; *held: ours already); 1 when none is left under
 * 64 bytes, -1 on out of memory. */
static int resolve(const struct idx *ix, size_t self, const char *cand, struct buf *out, int *held,
                   unsigned *suffix)
{
	unsigned n;
	long owner;

	for (n = 1; n <= SUFFIX_MAX; n++) {
		buf_reset(out);
		if (n == 1 ? buf_puts(out, cand) < 0 : addr_with_suffix(out, cand, n) < 0)
			return n == 1 ? -1 : 1;
		owner = idx_get(ix, buf_str(out));
		if (owner < 0 || (size_t)owner == self) {
			*held = owner >= 0;
			*suffix = n;
			return 0;
		}
	}
	return 1;
}

/* How claim decided an address: held or free, with or without a suffix. */
static unsigned how_of(int held, unsigned suffix)
{
	unsigned digits = suffix >= 100 ? 3 : suffix >= 10 ? 2 : 1;

	return (held         ? HOW_HELD
	        : suffix > 1 ? HOW_SUFFIXED
	                     : HOW_CLAIMED) |
	       (suffix > 1 ? HOW_DIGITS(digits) : 0);
}

#define HELD(w, bit) ((bit) < 64 && ((w)->held >> (bit)&1))

/* Did the build at take assume that w's k-th claimed address comes from
 * candidate i with suffix n (1: none)? */
static int spec_pick(const struct spec *sp, size_t k, size_t i, unsigned n)
{
	const unsigned char *p = sp->picks + 3 * k;

	return k < sp->naddrs && p[0] == i && (p[1] | (unsigned)p[2] << 8) == n;
}

/* Did it assume that w's k-th alias address is its alias j? */
static int spec_alias(const struct spec *sp, size_t k, size_t j)
{
	return k < sp->nalias && sp->picks[3 * sp->naddrs + k] == j;
}

/* Licences as settle hands them out. */
struct licences {
	long free;     /* left to hand out */
	unsigned rank; /* mailboxes ranked so far, in creation order */
	long granted;  /* new mailboxes given one */
	long waiting;  /* users left over-licence */
};

/* Refuses w for the address c (a candidate), kept in addrs as refused. */
static int refuse(struct work *w, const char *c)
{
	w->active = 0;
	return strv_add_shared(&w->addrs, c, HOW_REFUSED);
}

/* Claims one generated or explicit candidate of w, or refuses w (1) when
 * it and its numbered variants are all in use; -1 on out of memory. */
static int claim1(struct work *w, struct idx *ix, size_t i, struct buf *got)
{
	const char *c = w->cands.v[i];
	int held = i < 32 && HELD(w, i), r = 0;
	unsigned suffix = 1;

	if (i < w->nexp)
		held = held || idx_get(ix, c) == (long)w->self;
	buf_reset(got);
	if (i < w->nexp || held)
		r = buf_puts(got, c) < 0 ? -1 : 0;
	else
		r = resolve(ix, w->self, c, got, &held, &suffix);
	if (r != 0)
		return r;
	if (strv_find(&w->addrs, buf_str(got)) >= 0)
		return 0;
	/* What the object holds is in the index as its own already; a claim
	 * is keyed by the string in addrs, which lives as long as ix. */
	if (strv_add_claim(&w->addrs, buf_str(got), c, how_of(held, suffix)) < 0 ||
	    (!held && idx_put_borrowed(ix, w->addrs.v[w->addrs.n - 1], w->self) < 0))
		return -1;
	if (w->spec != NULL && !spec_pick(w->spec, w->addrs.n - 1, i, suffix))
		w->spec_miss = 1;
	return 0;
}

/* Phase C for one object: explicit addresses must be free, a new POP/IMAP
 * mailbox needs a licence, then every address is claimed; addrs and
 * alias_addrs keep how each was decided (and the one refused, if any). */
static int claim(const struct pol_ctx *ctx, struct work *w, struct work *all, struct idx *ix,
                 struct licences *lic)
{
	const struct strv aliases = w->aliases;
	struct buf got = BUF_INIT;
	size_t i, nexp = w->nexp;
	long owner;
	int rc = -1, r, held;

	for (i = 0; i < nexp + aliases.n; i++) {
		const char *c = i < nexp ? w->cands.v[i] : aliases.v[i - nexp];

		if (HELD(w, i < nexp ? i : 32 + (i - nexp)))
			continue;
		owner = idx_get(ix, c);
		if (owner >= 0 && (size_t)owner != w->self) {
			(void)!set_state(w, POL_ADDRESS_TAKEN, "%s belongs to %s", c,
			                 all[owner].dn);
			rc = refuse(w, c);
			goto done;
		}
	}
	if (w->svc == SVC_POP && !w->cur_pop) {
		w->lic_rank = ++lic->rank;
		if (lic->free <= 0) {
			(void)!set_state(w, POL_OVER_LICENCE,
			                 "all %ld POP/IMAP licences are in use; the mailbox "
			                 "is created when one is free",
			                 ctx->acct->licences);
			w->active = 0;
			lic->waiting++;
			rc = 0;
			goto done;
		}
		lic->free--;
		lic->granted++;
	}
	for (i = 0; i < w->cands.n; i++) {
		r = claim1(w, ix, i, &got);
		if (r < 0)
			goto done;
		if (r > 0) {
			(void)!set_state(w, POL_ADDRESS_TAKEN,
			                 "%s and its numbered variants are all in use",
			                 w->cands.v[i]);
			rc = refuse(w, w->cands.v[i]);
			goto done;
		}
	}
	for (i = 0; i < aliases.n; i++) {
		if (strv_find(&w->addrs, aliases.v[i]) >= 0)
			continue;
		held = (i < 32 && HELD(w, 32 + i)) || idx_get(ix, aliases.v[i]) == (long)w->self;
		if (strv_add_shared(&w->alias_addrs, aliases.v[i], held ? HOW_HELD : HOW_CLAIMED) <
		        0 ||
		    (!held && idx_put_borrowed(ix, aliases.v[i], w->self) < 0))
			goto done;
		if (w->spec != NULL && !spec_alias(w->spec, w->alias_addrs.n - 1, i))
			w->spec_miss = 1;
	}
	rc = 0;
done:
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

	/* Most values are a constant, one string or one number: no printf
	 * for those. */
	if (strchr(fmt, '%') == NULL)
		return entry_set1(e, attr, fmt, strlen(fmt));
	va_start(ap, fmt);
	if (strcmp(fmt, "%s") == 0) {
		const char *v = va_arg(ap, const char *);

		va_end(ap);
		return entry_set1(e, attr, v, strlen(v));
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
		return entry_set1(e, attr, p, (size_t)(d + sizeof(d) - p));
	}
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = entry_set1(e, attr, buf_str(&b), b.len);
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

/* ---- the wanted entry, one rule family at a time ------------------------- */

/*
 * What a rule reads: the entry as read, the pass's context (the account,
 * where new mailbox GUIDs come from) and the object's settled decision,
 * w, with the addresses that decision leaves dirmail holding (mine). A
 * rule writes its own attributes of want and adds what it retires to
 * deletions; it reads nothing another rule writes, so their order is free.
 */
struct rule {
	struct entry *want;
	const struct entry *e;
	const struct pol_ctx *ctx;
	const struct account *a;
	const struct work *w;
	const struct olds *old;  /* dirmail's addresses as read */
	const struct strv *mine; /* dirmail's after this pass: generated, then aliases */
	size_t nplain;           /* how many of mine are not aliases */
	const char *primary;     /* mine->v[0] when mail-enabled, else NULL */
	const struct work *all;  /* every object's decision: who may be a list member */
	const struct idx *dns;   /* DN -> object */
	int deletions;
};

/* The addresses dirmail holds on w after this pass: its claims, then the
 * former generated ones still in an accepted domain that nobody else
 * holds (mail to them keeps arriving), then its aliases; *nplain gets how
 * many come before the aliases. */
static int own_addresses(const struct pol_pass *pp, const struct work *w, struct strv *mine,
                         size_t *nplain)
{
	size_t i;

	for (i = 0; i < w->addrs.n; i++)
		if (strv_add(mine, w->addrs.v[i]) < 0)
			return -1;
	for (i = 0; i < w->old->plain.n; i++) {
		const char *v = w->old->plain.v[i];
		long owner = idx_get(addr_index(pp), v);

		if (strv_find(mine, v) < 0 && domain_accepted(pp->ctx->acct, domain_of(v)) &&
		    (owner < 0 || (size_t)owner == w->self) && strv_add(mine, v) < 0)
			return -1;
	}
	*nplain = mine->n;
	for (i = 0; i < w->alias_addrs.n; i++)
		if (strv_find(mine, w->alias_addrs.v[i]) < 0 &&
		    strv_add(mine, w->alias_addrs.v[i]) < 0)
			return -1;
	return 0;
}

/* dirmailManagedAddress: which addresses are dirmail's, aliases marked. */
static int rule_managed(struct rule *r)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc = -1;

	entry_del(r->want, "dirmailManagedAddress");
	for (i = 0; i < r->mine->n; i++) {
		buf_reset(&b);
		if ((i >= r->nplain && buf_puts(&b, ALIAS_MARK) < 0) ||
		    buf_puts(&b, r->mine->v[i]) < 0 ||
		    add1(r->want, "dirmailManagedAddress", b.s, b.len) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

/* Every address dirmail held that it no longer holds is a deletion. */
static int rule_retired(struct rule *r)
{
	size_t i;

	for (i = 0; i < r->old->plain.n; i++)
		r->deletions += strv_find(r->mine, r->old->plain.v[i]) < 0;
	for (i = 0; i < r->old->alias.n; i++)
		r->deletions += strv_find(r->mine, r->old->alias.v[i]) < 0;
	return 0;
}

/* proxyAddresses: foreign values kept (a foreign primary demoted when
 * there is a primary of dirmail's), dirmail's own written from mine, its
 * former ones that mine lacks retired. Without a footprint and without a
 * mailbox nothing there is dirmail's. No value grows past AD's limit
 * here: policy_take refused the objects holding one already, and
 * generated addresses are short. */
static int rule_proxy(struct rule *r)
{
	const struct entry_attr *cur = entry_get(r->e, "proxyAddresses");
	struct buf v = BUF_INIT;
	size_t i;
	int rc = -1;

	if (r->primary == NULL && !r->w->footprint)
		return 0;
	entry_del(r->want, "proxyAddresses");
	for (i = 0; cur && i < cur->nvals; i++) {
		const char *val = cur->vals[i].val;

		if (is_smtp(val) &&
		    (strv_find(r->mine, val + 5) >= 0 || strv_find(&r->old->plain, val + 5) >= 0 ||
		     strv_find(&r->old->alias, val + 5) >= 0))
			continue; /* dirmail's: rewritten below or retired */
		buf_reset(&v);
		if (r->primary && strncmp(val, "SMTP:", 5) == 0) {
			if (buf_add(&v, "smtp:", 5) < 0 || buf_puts(&v, val + 5) < 0)
				goto done;
		} else if (buf_add(&v, val, cur->vals[i].len) < 0) {
			goto done;
		}
		if (!entry_has(r->want, "proxyAddresses", v.s, v.len) &&
		    add1(r->want, "proxyAddresses", v.s, v.len) < 0)
			goto done;
	}
	for (i = 0; i < r->mine->n; i++) {
		const char *m = r->mine->v[i];

		buf_reset(&v);
		if (buf_puts(&v, r->primary && strcasecmp(m, r->primary) == 0 ? "SMTP:" : "smtp:") <
		        0 ||
		    buf_puts(&v, m) < 0 || add1(r->want, "proxyAddresses", v.s, v.len) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&v);
	return rc;
}

/* The mailNickname of the object in out: its sAMAccountName or uid (a
 * list's cn), transliterated and cut to AD's limit, else the local part of
 * its primary. */
static int nickname(const struct rule *r, struct buf *out)
{
	const char *nick = entry_first(r->e, r->w->kind == POL_LIST ? "cn" : "uid");

	if (r->w->kind == POL_USER && entry_first(r->e, "sAMAccountName"))
		nick = entry_first(r->e, "sAMAccountName");
	if (nick == NULL)
		nick = r->primary;
	buf_reset(out);
	if (addr_translit(out, nick, strlen(nick)) < 0)
		return -1;
	if (out->len > NICK_MAX) {
		out->len = NICK_MAX;
		out->s[NICK_MAX] = '\0';
	}
	if (out->len == 0 && buf_add(out, r->primary, strcspn(r->primary, "@")) < 0)
		return -1;
	return 0;
}

/* mail and mailNickname. */
static int rule_mail(struct rule *r)
{
	struct buf b = BUF_INIT;
	int rc = -1;

	if (set1(r->want, "mail", "%s", r->primary) < 0 || nickname(r, &b) < 0 ||
	    set1(r->want, "mailNickname", "%s", buf_str(&b)) < 0)
		goto done;
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

/* GAL: hidden or disabled recipients leave every address list. */
static int rule_gal(struct rule *r)
{
	size_t i;

	entry_del(r->want, "showInAddressBook");
	if (r->w->hidden || r->w->disabled)
		return set1(r->want, "msExchHideFromAddressLists", "TRUE");
	if (set1(r->want, "msExchHideFromAddressLists", "FALSE") < 0)
		return -1;
	for (i = 0; i < r->a->address_lists.n; i++)
		if (add1(r->want, "showInAddressBook", r->a->address_lists.v[i],
		         strlen(r->a->address_lists.v[i])) < 0)
			return -1;
	return 0;
}

/* An Exchange mailbox: its database, type, legacy DN (kept once there)
 * and GUID (a new random one unless a well-formed one is there). */
static int exchange_mailbox(struct rule *r)
{
	const struct entry_attr *g = entry_get(r->e, "msExchMailboxGuid");
	struct buf nick = BUF_INIT;
	int rc = -1;

	entry_del(r->want, "targetAddress");
	if (set1(r->want, "homeMDB", "%s", r->a->exchange_database) < 0 ||
	    set1(r->want, "msExchRecipientTypeDetails", "1") < 0 ||
	    set1(r->want, "msExchRecipientDisplayType", "1073741824") < 0)
		goto done;
	if (!entry_first(r->e, "legacyExchangeDN") &&
	    (nickname(r, &nick) < 0 || legacy_dn(r->want, r->a, buf_str(&nick)) < 0))
		goto done;
	if (g == NULL || g->nvals != 1 || g->vals[0].len != 16) {
		unsigned char guid[16];

		r->ctx->new_guid(guid, r->ctx->guid_arg);
		entry_del(r->want, "msExchMailboxGuid");
		if (add1(r->want, "msExchMailboxGuid", guid, sizeof(guid)) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&nick);
	return rc;
}

/* Mailbox and routing: POP/IMAP users are mail users routed to the
 * store, Exchange users get a mailbox; only those keep its attributes. */
static int rule_mailbox(struct rule *r)
{
	const char *p = r->primary;
	size_t i;

	for (i = 0; r->w->svc != SVC_EXCH && i < NATTRS; i++)
		if (attr_table[i].flags & AT_EXCHANGE)
			entry_del(r->want, attr_table[i].name);
	if (r->w->kind != POL_USER)
		return 0;
	if (r->w->svc == SVC_EXCH)
		return exchange_mailbox(r);
	if (set1(r->want, "targetAddress", "SMTP:%.*s@%s", (int)strcspn(p, "@"), p,
	         r->a->popimap_host) < 0 ||
	    set1(r->want, "msExchRecipientTypeDetails", "128") < 0 ||
	    set1(r->want, "msExchRecipientDisplayType", "6") < 0)
		return -1;
	return 0;
}

/* Quotas in KB, explicit on the object: consumers read them from there. */
static int rule_quota(struct rule *r)
{
	long mb = limit_mb(r->a, r->w), kb = mb == 0 ? KB_MAX : quota_kb(mb);

	if (r->w->kind != POL_USER)
		return 0;
	if (set1(r->want, "mDBUseDefaults", "FALSE") < 0 ||
	    set1(r->want, "mDBOverQuotaLimit", "%ld", kb) < 0 ||
	    set1(r->want, "mDBOverHardQuotaLimit", "%ld", kb) < 0)
		return -1;
	entry_del(r->want, "mDBStorageQuota");
	if (r->w->notify && set1(r->want, "mDBStorageQuota", "%ld",
	                         (long)((long long)kb * r->a->warn_percent / 100)) < 0)
		return -1;
	return 0;
}

/* Sending limits: the account's. */
static int rule_limits(struct rule *r)
{
	if (r->w->kind != POL_USER)
		return 0;
	if (set1(r->want, "msExchRecipLimit", "%ld", r->a->max_recipients) < 0 ||
	    set1(r->want, "dirmailMessageRateLimit", "%ld", r->a->max_messages_per_hour) < 0)
		return -1;
	return 0;
}

/* Forwarding: to the recipient or the mail contact settle chose. */
static int rule_forwarding(struct rule *r)
{
	if (r->w->kind != POL_USER)
		return 0;
	entry_del(r->want, "altRecipient");
	entry_del(r->want, "deliverAndRedirect");
	if (RARE(r->w, alt) == NULL)
		return 0;
	if (set1(r->want, "altRecipient", "%s", r->w->rare->alt) < 0 ||
	    (r->w->keep_copy && set1(r->want, "deliverAndRedirect", "TRUE") < 0))
		return -1;
	return 0;
}

/* A list is no mailbox: what only a mailbox holds goes. */
static int rule_not_on_lists(struct rule *r)
{
	size_t i;

	for (i = 0; r->w->kind == POL_LIST && i < NATTRS; i++)
		if (attr_table[i].flags & AT_NOT_ON_LISTS)
			entry_del(r->want, attr_table[i].name);
	return 0;
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
		       m->state_kind != POL_INVALID && m->state_kind != POL_OVER_LICENCE;
	return m->active && !m->disabled;
}

/* List members: the filter's matches, else the members as read, less
 * whoever may not be one; each member that goes is a deletion. */
static int rule_members(struct rule *r)
{
	const struct entry_attr *cur = entry_get(r->e, "member");
	const char *const *from = RARE(r->w, filter_members);
	size_t nfrom = RARE(r->w, nfilter_members), i, nkeep = 0, *arr = NULL, *pos = NULL;
	const char **keep = NULL;
	struct idx seen = {NULL, 0, 0, NULL}; /* DN -> its number in keep */
	int rc = -1;

	if (r->w->kind != POL_LIST)
		return 0;
	if (from == NULL)
		nfrom = cur ? cur->nvals : 0;
	keep = calloc(nfrom ? nfrom : 1, sizeof(*keep));
	arr = calloc(nfrom ? nfrom : 1, sizeof(*arr));
	pos = calloc(nfrom ? nfrom : 1, sizeof(*pos));
	if (keep == NULL || arr == NULL || pos == NULL)
		goto done;
	for (i = 0; i < nfrom; i++) {
		const char *dn = from ? from[i] : cur->vals[i].val;

		if ((from == NULL && cur->vals[i].len == 0) || !member_ok(r->dns, r->all, dn) ||
		    idx_get(&seen, dn) >= 0)
			continue;
		if (idx_put(&seen, dn, nkeep) < 0)
			goto done;
		keep[nkeep] = dn;
		arr[nkeep] = pos[nkeep] = nkeep;
		nkeep++;
	}
	entry_del(r->want, "member");
	/* Keep the server's spelling of members that stay; the rest follow. */
	for (i = 0; cur && i < cur->nvals; i++) {
		long k = idx_get(&seen, cur->vals[i].val);
		size_t at, last;

		if (k < 0 || pos[k] == (size_t)-1) {
			/* A member that goes is a deletion (the empty DN is no one). */
			r->deletions += k < 0 && cur->vals[i].len > 0;
			continue;
		}
		if (add1(r->want, "member", cur->vals[i].val, cur->vals[i].len) < 0)
			goto done;
		at = pos[k];
		last = arr[--nkeep];
		arr[at] = last;
		pos[last] = at;
		pos[k] = (size_t)-1;
	}
	for (i = 0; i < nkeep; i++)
		if (add1(r->want, "member", keep[arr[i]], strlen(keep[arr[i]])) < 0)
			goto done;
	/* groupOfNames must have a member: the empty DN expands to nobody. */
	if (!entry_get(r->want, "member") && has_class(r->e, "groupOfNames") &&
	    add1(r->want, "member", "", 0) < 0)
		goto done;
	rc = 0;
done:
	idx_free(&seen);
	free(keep);
	free(arr);
	free(pos);
	return rc;
}

/* Service none: the mailbox (a deletion) and every attribute dirmail owns
 * go, dirmailState aside. dirmail is authoritative for the mailbox,
 * routing, GAL, quota, forwarding and limit attributes of an object with
 * intent whoever wrote them, so they go whether or not dirmail wrote to
 * the object before: the first pass does what the second would (it writes
 * the footprint). Addresses stay their owners' business: a mail that is
 * not one of dirmail's addresses stays. */
static int rule_strip(struct rule *r)
{
	const char *m;
	size_t i;

	r->deletions += r->w->cur_exch || r->w->cur_pop;
	for (i = 0; i < NATTRS; i++) {
		const struct attr_def *d = &attr_table[i];

		if (!(d->flags & AT_SERVICE))
			continue;
		if ((d->flags & AT_IF_DIRMAILS) && (m = entry_first(r->e, d->name)) != NULL &&
		    strv_find(&r->old->plain, m) < 0 && strv_find(&r->old->alias, m) < 0)
			continue;
		entry_del(r->want, d->name);
	}
	return 0;
}

/* dirmailState, and the class that lets the object carry what dirmail
 * writes. */
static int rule_state(struct rule *r)
{
	const char *cls = r->ctx->recipient_class;

	if (set1(r->want, "dirmailState", "%s", r->w->state.len ? buf_str(&r->w->state) : "ok") < 0)
		return -1;
	if (cls == NULL || has_class(r->want, cls))
		return 0;
	return add1(r->want, "objectClass", cls, strlen(cls));
}

/* The rules, by what the decision made of the object. */
static int (*const active_rules[])(struct rule *) = {
    rule_managed, rule_retired, rule_proxy,      rule_mail,         rule_gal,     rule_mailbox,
    rule_quota,   rule_limits,  rule_forwarding, rule_not_on_lists, rule_members, rule_state,
};
static int (*const none_rules[])(struct rule *) = {rule_strip, rule_retired, rule_proxy,
                                                   rule_state};
static int (*const blocked_rules[])(struct rule *) = {rule_state};

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
	o->state_kind = POL_OK;
}

static void work_free(struct work *w)
{
	free(w->rare);
	w->rare = NULL;
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
	res->acct_state_kind = POL_OK;
	res->licences_used = res->licences_waiting = res->allocated_mb = 0;
}

/* Does want hold, for every attribute diff compares, exactly what e holds
 * (objectClass: nothing e lacks)? */
static int unchanged(const struct entry *e, const struct entry *want)
{
	const struct wanted *w = wanted_attrs();
	size_t i, j;

	for (i = 0; w[i].name; i++) {
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
	long owner = idx_get(ix, w->rare->fwd);

	if (owner < 0 && domain_accepted(ctx->acct, domain_of(w->rare->fwd))) {
		(void)!set_state(w, POL_INVALID,
		                 "dirmailForwardTo: no recipient has the address %s",
		                 w->rare->fwd_as_read);
		w->active = 0;
	} else if (owner >= 0 && (size_t)owner == w->self) {
		(void)!set_state(w, POL_INVALID, "dirmailForwardTo: %s is the user's own address",
		                 w->rare->fwd_as_read);
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
	pp->held.pool = &pp->pool;
	pp->ix.pool = &pp->spool;
	pp->dups.pool = &pp->pool;
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

enum pol_state policy_state_kind(const struct pol_pass *pp, size_t i)
{
	return pp->w[i].state_kind;
}

enum pol_kind policy_obj_kind(const struct pol_pass *pp, size_t i)
{
	return pp->w[i].kind;
}

const char *policy_forward_dn(const struct pol_pass *pp, size_t i)
{
	const struct work *w = &pp->w[i];

	return w->kind == POL_USER && w->active && !w->blocked ? RARE(w, alt) : NULL;
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
	size_t nexp;
	int rc = -1;

	w->cands.pool = w->aliases.pool = &pp->pool;
	if (candidates(pp->ctx, w, &w->cands, &nexp) < 0 ||
	    alias_candidates(pp->ctx->acct, w, &w->aliases) < 0)
		goto done;
	w->nexp = (unsigned)nexp; /* at most cands.n */
	if (fwd != NULL && w->kind == POL_USER) {
		struct rare *r = rare_of(w);

		if (r == NULL || addr_key(&key, fwd, strlen(fwd)) < 0)
			goto done;
		r->fwd = pool_strndup(&pp->pool, key.s, key.len);
		r->fwd_as_read = pool_strdup(&pp->pool, fwd);
		if (r->fwd == NULL || r->fwd_as_read == NULL)
			goto done;
	}
	rc = 0;
done:
	buf_free(&key);
	return rc;
}

static int speculate(struct pol_pass *pp, struct work *w);
static int spec_agrees(const struct spec *s, const struct work *w);

/* Puts an address object w holds as read into the index: owners keep
 * what they have. A kept pass notes what w owns, and the addresses two
 * objects hold: taking one of those again could hand it to the other,
 * which only a new pass decides as a first one would (1). */
/* w's candidate or alias that is addr byte for byte, or NULL: an address
 * an object holds as read is most often one it would be given, and the
 * index then keys it by that string (in the pass's pool) instead of a copy. */
static const char *same_candidate(const struct work *w, const char *addr)
{
	size_t i;

	for (i = 0; i < w->cands.n; i++)
		if (strcmp(w->cands.v[i], addr) == 0)
			return w->cands.v[i];
	for (i = 0; i < w->aliases.n; i++)
		if (strcmp(w->aliases.v[i], addr) == 0)
			return w->aliases.v[i];
	return NULL;
}

static int hold(struct pol_pass *pp, struct work *w, const char *addr, const char **keys)
{
	const char *stored = NULL, *same = same_candidate(w, addr);
	int r = same ? idx_put_new_borrowed(&pp->held, same, w->self, &stored)
	             : idx_put_new(&pp->held, addr, w->self, &stored);

	if (r < 0)
		return -1;
	if (r == 1 && pp->keep)
		keys[w->nhkeys++] = stored;
	if (r == 2 && pp->keep) {
		if (pp->settled_once)
			return 1;
		if (idx_put(&pp->dups, addr, w->self) < 0)
			return -1;
	}
	return 0;
}

/* Takes e as object i (pp->n, or one policy_forget left empty): 0, 1
 * when a kept pass must be made anew (hold), -1 out of memory. */
static int take_at(struct pol_pass *pp, size_t i, const struct entry *e)
{
	const struct entry_attr *pa = entry_get(e, "proxyAddresses");
	const char *m = entry_first(e, "mail"), *created, *dn, **keys = NULL;
	struct work *w = &pp->w[i];
	size_t k;
	int oom = 0, leaving, r = 0;

	pool_reset(&pp->scratch);
	memset(w, 0, sizeof(*w));
	w->self = i;
	w->e = e;
	w->old = &pp->old;
	w->kind = policy_kind(e);
	w->addrs.pool = w->alias_addrs.pool = &pp->spool;
	read_intent(pp->ctx, w);
	for (k = 0; !w->blocked && pa && k < pa->nvals; k++)
		if (pa->vals[k].len > ADDR_ATTR_MAX)
			(void)!set_state(w, POL_INVALID,
			                 "a proxyAddresses value would exceed %d characters",
			                 ADDR_ATTR_MAX);
	created = entry_first(e, "createTimestamp");
	if (created == NULL)
		created = entry_first(e, "whenCreated");
	w->dn = pooled(pp, e->dn, &oom);
	w->created = created ? pooled(pp, created, &oom) : "";
	if (entry_first(e, "altRecipient") != NULL) {
		if (rare_of(w) == NULL)
			goto fail;
		w->rare->cur_alt = pooled(pp, entry_first(e, "altRecipient"), &oom);
	}
	w->has_addr = m != NULL || pa != NULL;
	w->contact = own_contact(pp->ctx->acct, w->kind, e);
	if (oom)
		goto fail;
	r = idx_put_new(&pp->dns, w->dn, w->self, &dn);
	if (r < 0)
		goto fail;
	if (r == 2 && pp->settled_once)
		goto again; /* two objects with one DN: only a new pass knows */
	r = 0;
	if (w->kind != POL_OTHER && !w->blocked && w->active && prepare_claim(pp, w) < 0)
		goto fail;

	/* Every address in use, whoever holds it: owners keep what they have.
	 * What a user leaving the service loses is free from this pass on. */
	if (pp->keep) {
		keys = pool_alloc(&pp->pool, ((pa ? pa->nvals : 0) + 1) * sizeof(*keys),
		                  _Alignof(const char *));
		if (keys == NULL)
			goto fail;
		w->hkeys = keys;
	}
	leaving = w->kind == POL_USER && !w->blocked && w->svc == SVC_NONE;
	for (k = 0; r == 0 && pa && k < pa->nvals; k++)
		if (is_smtp(pa->vals[k].val) && !(leaving && dirmails(w, pa->vals[k].val + 5)))
			r = hold(pp, w, pa->vals[k].val + 5, keys);
	if (r == 0 && m && !(leaving && dirmails(w, m)))
		r = hold(pp, w, m, keys);
	if (r < 0)
		goto fail;
	if (r > 0)
		goto again;
	if (speculate(pp, w) < 0)
		goto fail;
	w->t_state_kind = w->state_kind;
	w->t_active = w->active;
	w->t_blocked = w->blocked;
	if (w->state.len && (rare_of(w) == NULL || (w->rare->t_state = pool_strdup(
	                                                &pp->pool, buf_str(&w->state))) == NULL))
		goto fail;
	strv_free(&w->old->plain);
	strv_free(&w->old->alias);
	w->e = NULL;
	return 0;
again:
	r = 1;
	goto out;
fail:
	r = -1;
out:
	strv_free(&w->old->plain);
	strv_free(&w->old->alias);
	w->e = NULL;
	return r;
}

static int grow_to(struct pol_pass *pp, size_t n)
{
	struct work *nw;

	if (n <= pp->cap)
		return 0;
	if (n - 1 > UINT32_MAX) /* object numbers are 32 bits (self) */
		return -1;
	nw = realloc(pp->w, n * sizeof(*nw));
	if (nw == NULL)
		return -1;
	pp->w = nw;
	pp->cap = n;
	return 0;
}

int policy_reserve(struct pol_pass *pp, size_t n)
{
	if (grow_to(pp, n) < 0 || idx_reserve(&pp->held, 2 * n) < 0 || idx_reserve(&pp->dns, n) < 0)
		return -1;
	return 0;
}

int policy_take(struct pol_pass *pp, const struct entry *e)
{
	int r;

	if (pp->settled || pp->settled_once)
		return -1;
	if (pp->n == pp->cap && grow_to(pp, pp->cap ? pp->cap + pp->cap / 2 : 256) < 0)
		return -1;
	r = take_at(pp, pp->n, e);
	if (r != 0) {
		/* A first pass has no second owner to fear: r is -1. */
		work_free(&pp->w[pp->n]);
		return -1;
	}
	pp->n++;
	return 0;
}

void policy_keep(struct pol_pass *pp)
{
	pp->keep = 1;
}

/* Takes object i out of the indexes: 1 when an address it holds is held
 * by another too (a new pass must decide who keeps it). */
static int forget(struct pol_pass *pp, size_t i)
{
	struct work *w = &pp->w[i];
	size_t k;

	for (k = 0; k < w->nhkeys; k++)
		if (idx_get(&pp->dups, w->hkeys[k]) >= 0)
			return 1;
	for (k = 0; k < w->nhkeys; k++)
		idx_del(&pp->held, w->hkeys[k], i);
	idx_del(&pp->dns, w->dn, i);
	work_free(w);
	return 0;
}

int policy_reopen(struct pol_pass *pp)
{
	size_t i;

	if (!pp->keep || !pp->settled)
		return -1;
	for (i = 0; i < pp->n; i++) {
		struct work *w = &pp->w[i];

		/* The strings were settle's; the arrays serve the next one. */
		w->addrs.n = w->alias_addrs.n = 0;
		buf_reset(&w->state);
		if (RARE(w, t_state) != NULL && buf_puts(&w->state, w->rare->t_state) < 0)
			return -1;
		w->state_kind = w->t_state_kind;
		w->active = w->t_active;
		w->blocked = w->t_blocked;
		w->lic_rank = 0;
		w->spec_ok = w->spec_miss = w->remove = 0;
		if (w->rare != NULL) {
			w->rare->alt = NULL;
			w->rare->filter_members = NULL;
			w->rare->nfilter_members = 0;
		}
	}
	free(pp->contacts);
	pp->contacts = NULL;
	pp->ncontacts = 0;
	pool_reset(&pp->spool);
	if (pp->pool_base == 0)
		pp->pool_base = pool_bytes(&pp->pool);
	pp->settled = 0;
	pp->settled_once = 1;
	return 0;
}

int policy_retake(struct pol_pass *pp, size_t i, const struct entry *e)
{
	int r;

	if (!pp->keep || pp->settled || !pp->settled_once || i > pp->n)
		return -1;
	/* What the objects taken again leave in the pool is freed only with
	 * the pass: past a quarter more than its first size (and a
	 * megabyte), a new pass keeps the daemon's size flat. */
	if (pool_bytes(&pp->pool) > pp->pool_base + pp->pool_base / 4 + (1u << 20))
		return 1;
	if (i == pp->n) {
		if (pp->n == pp->cap && grow_to(pp, pp->cap ? pp->cap + pp->cap / 2 : 256) < 0)
			return -1;
	} else if (forget(pp, i) != 0) {
		pp->keep = pp->settled_once = 0;
		return 1;
	}
	r = take_at(pp, i, e);
	if (r == 0) {
		if (i == pp->n)
			pp->n++;
		return 0;
	}
	/* Half taken: the pass is good for policy_pass_free alone. */
	if (i == pp->n)
		work_free(&pp->w[i]);
	pp->keep = pp->settled_once = 0;
	return r;
}

int policy_truncate(struct pol_pass *pp, size_t n)
{
	if (!pp->keep || pp->settled || !pp->settled_once || n > pp->n)
		return -1;
	while (pp->n > n) {
		if (forget(pp, pp->n - 1) != 0) {
			pp->keep = pp->settled_once = 0;
			return 1;
		}
		pp->n--;
	}
	return 0;
}

int policy_filter(struct pol_pass *pp, size_t i, const char *const *members, size_t n,
                  const char *error)
{
	struct work *w = &pp->w[i];

	if (pp->settled || w->kind != POL_LIST)
		return -1;
	if (members != NULL || n > 0 || w->rare != NULL) {
		if (rare_of(w) == NULL)
			return -1;
		w->rare->filter_members = members;
		w->rare->nfilter_members = n;
	}
	if (error != NULL) {
		/* The filter's reason is the one shown. */
		buf_reset(&w->state);
		w->state_kind = POL_OK;
		w->blocked = 0; /* set again: claim leaves the list alone */
		return set_state(w, POL_INVALID, "dirmailMemberFilter: %s", error);
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
		return RARE(w, cur_alt);
	return w->active && w->kind == POL_USER ? RARE(w, alt) : NULL;
}

/* Does w keep the POP/IMAP licence its existing mailbox holds? */
static int keeps_licence(const struct work *w)
{
	return w->kind == POL_USER && w->cur_pop && (w->blocked || w->svc == SVC_POP);
}

/* Licences and addresses, first come first served (creation time, then
 * DN): existing POP/IMAP mailboxes keep their licences while they exist
 * and rank first (*reserved gets how many they are), then every object
 * claims. */
/* A kept pass's order again, from the last one: the objects gone left
 * out, new ones added, then an insertion sort, which costs little when
 * few moved. */
static int order_again(struct pol_pass *pp, struct work **ord)
{
	size_t i, k, n = 0;

	for (i = 0; i < pp->nord; i++)
		if (pp->ord[i] < pp->n)
			pp->ord[n++] = pp->ord[i];
	if (pp->n > pp->nord) {
		size_t *v = realloc(pp->ord, pp->n * sizeof(*v));

		if (v == NULL)
			return -1;
		pp->ord = v;
		for (i = pp->nord; i < pp->n; i++)
			pp->ord[n++] = i;
	}
	pp->nord = n;
	for (i = 0; i < n; i++) {
		size_t xi = pp->ord[i];

		for (k = i; k > 0 && work_cmp(&pp->w[pp->ord[k - 1]], &pp->w[xi]) > 0; k--)
			pp->ord[k] = pp->ord[k - 1];
		pp->ord[k] = xi;
	}
	for (i = 0; i < n; i++)
		ord[i] = &pp->w[pp->ord[i]];
	return 0;
}

/* The first order of a kept pass, for order_again. */
static int order_keep(struct pol_pass *pp, struct work *const *ord)
{
	size_t i;

	free(pp->ord);
	pp->ord = malloc((pp->n ? pp->n : 1) * sizeof(*pp->ord));
	if (pp->ord == NULL)
		return -1;
	for (i = 0; i < pp->n; i++)
		pp->ord[i] = (size_t)(ord[i] - pp->w);
	pp->nord = pp->n;
	return 0;
}

static int settle_claims(struct pol_pass *pp, long *reserved, struct pol_result *res)
{
	struct work **ord = calloc(pp->n ? pp->n : 1, sizeof(*ord));
	struct licences lic = {0, 0, 0, 0};
	size_t i;
	int rc = -1;

	if (ord == NULL)
		return -1;
	if (pp->keep && pp->ord != NULL) {
		if (order_again(pp, ord) < 0)
			goto done;
	} else {
		for (i = 0; i < pp->n; i++)
			ord[i] = &pp->w[i];
		if (order_sort(ord, pp->n) < 0 || (pp->keep && order_keep(pp, ord) < 0))
			goto done;
	}
	for (i = 0; i < pp->n; i++)
		if (keeps_licence(ord[i]))
			ord[i]->lic_rank = ++lic.rank;
	*reserved = (long)lic.rank;
	lic.free = pp->ctx->acct->licences - *reserved;
	for (i = 0; i < pp->n; i++) {
		if (ord[i]->kind != POL_OTHER && !ord[i]->blocked && ord[i]->active &&
		    claim(pp->ctx, ord[i], pp->w, &pp->ix, &lic) < 0)
			goto done;
		/* What claim tries is needed again only by a new settle. */
		if (!pp->keep) {
			strv_free(&ord[i]->cands);
			strv_free(&ord[i]->aliases);
		}
	}
	res->licences_used = *reserved + lic.granted;
	res->licences_waiting = lic.waiting;
	rc = 0;
done:
	free(ord);
	return rc;
}

/* The DN of the mail contact owner k of the address index stands for:
 * an object of the pass, or one settle creates. */
static const char *owner_dn(const struct pol_pass *pp, size_t k)
{
	if (k < pp->n)
		return pp->w[k].dn;
	return k - pp->n < pp->ncontacts ? pp->contacts[k - pp->n] : NULL;
}

/* Creates the mail contact for the external address addr (in res), its
 * DN kept in the pass too. */
static int add_contact(struct pol_pass *pp, const char *addr, struct pol_result *res)
{
	const char **v = realloc(pp->contacts, (pp->ncontacts + 1) * sizeof(*v));
	struct buf dn = BUF_INIT;
	int rc = -1;

	if (v == NULL)
		goto done;
	pp->contacts = v;
	if (new_contact(pp->ctx, addr, pp->n, &pp->ix, res, &dn) < 0)
		goto done;
	v[pp->ncontacts] = pool_strdup(&pp->spool, res->adds[res->nadds - 1]->dn);
	if (v[pp->ncontacts] == NULL)
		goto done;
	pp->ncontacts++;
	rc = 0;
done:
	buf_free(&dn);
	return rc;
}

/* Forwarding needs every claim made: what cannot work is refused before
 * anything is built, so every object's status is final after. Then where
 * each forward goes: a recipient of the directory, or a mail contact
 * standing for an address outside it (shared, made once). */
static int settle_forwards(struct pol_pass *pp, struct pol_result *res)
{
	struct work *w = pp->w;
	size_t i;
	long owner;

	for (i = 0; i < pp->n; i++)
		if (w[i].kind == POL_USER && !w[i].blocked && w[i].active && RARE(&w[i], fwd))
			check_forward(pp->ctx, &w[i], &pp->ix);
	for (i = 0; i < pp->n; i++) {
		if (w[i].kind != POL_USER || w[i].blocked || !w[i].active || !RARE(&w[i], fwd))
			continue;
		owner = idx_get(&pp->ix, w[i].rare->fwd);
		if (owner < 0 && add_contact(pp, w[i].rare->fwd, res) < 0)
			return -1;
		w[i].rare->alt =
		    owner < 0 ? pp->contacts[pp->ncontacts - 1] : owner_dn(pp, (size_t)owner);
	}
	return 0;
}

/* Contacts dirmail made that no forward uses any more go. */
static int settle_contacts(struct pol_pass *pp)
{
	struct idx used = {NULL, 0, 0, NULL};
	size_t i;
	int rc = -1;

	for (i = 0; i < pp->n; i++) {
		const char *alt = alt_wanted(&pp->w[i]);

		if (alt != NULL && idx_put(&used, alt, i) < 0)
			goto done;
	}
	for (i = 0; i < pp->n; i++)
		pp->w[i].remove = pp->w[i].contact && idx_get(&used, pp->w[i].dn) < 0;
	rc = 0;
done:
	idx_free(&used);
	return rc;
}

/* The account's own state: more mailboxes than licences, or more quota
 * handed out than storage bought. */
static int settle_account(const struct pol_pass *pp, long reserved, struct pol_result *res)
{
	const struct account *a = pp->ctx->acct;
	struct buf *st = &res->acct_state;
	long allocated = 0;
	size_t i;
	int r;

	for (i = 0; i < pp->n; i++)
		if (pp->w[i].kind == POL_USER && pp->w[i].active && !pp->w[i].blocked)
			allocated += limit_mb(a, &pp->w[i]);
	res->allocated_mb = allocated;
	buf_reset(st);
	res->acct_state_kind = reserved > a->licences ? POL_OVER_LICENCE
	                       : a->storage_total > 0 && allocated > a->storage_total
	                           ? POL_OVER_ALLOCATED
	                           : POL_OK;
	r = buf_puts(st, policy_state_name(res->acct_state_kind));
	if (r == 0 && res->acct_state_kind == POL_OVER_LICENCE)
		r = buf_printf(
		    st,
		    ": %ld POP/IMAP mailboxes exist and the account has %ld licences; no "
		    "new one is created until some are disabled",
		    reserved, a->licences);
	else if (r == 0 && res->acct_state_kind == POL_OVER_ALLOCATED)
		r = buf_printf(st, ": mailbox quotas add up to %ld MB and the account has %ld MB",
		               allocated, a->storage_total);
	return r;
}

int policy_settle(struct pol_pass *pp, struct pol_result *res)
{
	long reserved = 0;
	size_t i;

	if (pp->settled)
		return -1;
	policy_result_clear(res);
	if (pp->keep) {
		pp->ix.pool = &pp->spool;
		if (idx_copy(&pp->ix, &pp->held) < 0)
			return -1;
	} else {
		/* Nothing takes again: the index as read becomes settle's. */
		idx_free(&pp->ix);
		pp->ix = pp->held;
		memset(&pp->held, 0, sizeof(pp->held));
	}
	pp->settled = 1;
	if (settle_claims(pp, &reserved, res) < 0 || settle_forwards(pp, res) < 0 ||
	    settle_contacts(pp) < 0 || settle_account(pp, reserved, res) < 0)
		return -1;
	/* Did settle decide as the build at take assumed? */
	for (i = 0; i < pp->n; i++)
		pp->w[i].spec_ok = pp->w[i].spec != NULL && spec_agrees(pp->w[i].spec, &pp->w[i]);
	return 0;
}

#define NRULES(v) (sizeof(v) / sizeof((v)[0]))

/* Builds the wanted entry of x (not a POL_OTHER) from its entry e: the
 * rules its decision calls for, one after the other. */
static int build_into(struct pol_pass *pp, struct work *x, const struct entry *e, struct pol_obj *o)
{
	struct strv mine = STRV_INIT(&pp->scratch);
	int (*const *rules)(struct rule *) = blocked_rules;
	size_t i, n = NRULES(blocked_rules);
	struct rule r;
	int rc = -1;

	x->e = e;
	memset(&r, 0, sizeof(r));
	r.e = e;
	r.ctx = pp->ctx;
	r.a = pp->ctx->acct;
	r.w = x;
	r.old = x->old;
	r.mine = &mine;
	r.all = pp->w;
	r.dns = &pp->dns;
	if (managed_split(x) < 0)
		goto done;
	o->want = r.want = want_from(e);
	if (o->want == NULL)
		goto done;
	if (!x->blocked && x->active) {
		if (own_addresses(pp, x, &mine, &r.nplain) < 0)
			goto done;
		r.primary = x->addrs.v[0];
		rules = active_rules;
		n = NRULES(active_rules);
	} else if (!x->blocked) {
		rules = none_rules;
		n = NRULES(none_rules);
	}
	for (i = 0; i < n; i++)
		if (rules[i](&r) < 0)
			goto done;
	o->deletions += r.deletions;
	o->state = strdup(entry_first(o->want, "dirmailState"));
	if (o->state == NULL)
		goto done;
	o->state_kind = x->state_kind;
	o->managed = 1;
	if (pp->ctx->drop_unchanged && unchanged(e, o->want)) {
		entry_free(o->want);
		o->want = NULL;
	}
	rc = 0;
done:
	strv_free(&mine);
	strv_free(&x->old->plain);
	strv_free(&x->old->alias);
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

/* Keeps what the build of w at take assumed settle decides (claims as
 * picks, as dry_claim made them; forward; state) in the pass's pool; NULL
 * when out of memory. */
static const struct spec *spec_keep(struct pol_pass *pp, const struct work *w,
                                    const unsigned char *picks, const unsigned char *alias_picks)
{
	size_t np = 3 * w->addrs.n, len = np + w->alias_addrs.n + w->state.len + 1;
	struct spec *sp = pool_alloc(&pp->pool, sizeof(*sp) + len, _Alignof(struct spec));

	if (sp == NULL)
		return NULL;
	sp->naddrs = w->addrs.n;
	sp->nalias = w->alias_addrs.n;
	sp->state_kind = w->state_kind;
	sp->active = w->active;
	sp->blocked = w->blocked;
	sp->alt = RARE(w, alt) != NULL;
	if (np > 0)
		memcpy(sp->picks, picks, np);
	if (w->alias_addrs.n > 0)
		memcpy(sp->picks + np, alias_picks, w->alias_addrs.n);
	memcpy(sp->picks + np + w->alias_addrs.n, buf_str(&w->state), w->state.len + 1);
	return sp;
}

/* Did settle decide for w exactly what its build at take assumed? The
 * claims were compared one by one as claim made them. */
static int spec_agrees(const struct spec *s, const struct work *w)
{
	const char *text = (const char *)s->picks + 3 * s->naddrs + s->nalias;

	return s->naddrs == w->addrs.n && s->nalias == w->alias_addrs.n && !w->spec_miss &&
	       s->state_kind == w->state_kind && s->active == w->active &&
	       s->blocked == w->blocked && s->alt == (RARE(w, alt) != NULL) &&
	       (RARE(w, alt) == NULL || strcmp(w->rare->alt, w->rare->cur_alt) == 0) &&
	       strcmp(text, buf_str(&w->state)) == 0;
}

/* Claims as settle would make them if nothing else claimed first, without
 * taking anything, each one's pick in picks (three bytes an address) and
 * alias_picks: 1 when that is all known now, 0 when it is not (an
 * explicit address held by another, no free variant), -1 out of memory. */
static int dry_claim(struct pol_pass *pp, struct work *w, unsigned char *picks,
                     unsigned char *alias_picks)
{
	struct buf got = BUF_INIT;
	size_t i;
	long owner;
	int rc = 0;

	for (i = 0; i < w->nexp + w->aliases.n; i++) {
		size_t bit = i < w->nexp ? i : 32 + (i - w->nexp);

		owner = idx_get(&pp->held, i < w->nexp ? w->cands.v[i] : w->aliases.v[i - w->nexp]);
		if (owner >= 0 && (size_t)owner != w->self)
			goto done;
		/* Held addresses never change hands: a fact claim can use. */
		if (owner >= 0 && bit < 64)
			w->held |= (uint64_t)1 << bit;
	}
	for (i = 0; i < w->cands.n; i++) {
		const char *c = w->cands.v[i];
		unsigned suffix = 1;
		int held = 0;

		buf_reset(&got);
		if (i < w->nexp ? buf_puts(&got, c) < 0
		                : resolve(&pp->held, w->self, c, &got, &held, &suffix) != 0)
			goto done;
		/* The candidate itself held: claim takes it without a look-up. */
		if (held && suffix == 1 && i < 32)
			w->held |= (uint64_t)1 << i;
		if (strv_find(&w->addrs, buf_str(&got)) >= 0)
			continue;
		if (strv_add_claim(&w->addrs, buf_str(&got), c, HOW_UNDECIDED) < 0)
			goto fail;
		picks[3 * (w->addrs.n - 1)] = (unsigned char)i;
		picks[3 * (w->addrs.n - 1) + 1] = (unsigned char)(suffix & 0xff);
		picks[3 * (w->addrs.n - 1) + 2] = (unsigned char)(suffix >> 8);
	}
	for (i = 0; i < w->aliases.n; i++) {
		if (strv_find(&w->addrs, w->aliases.v[i]) >= 0)
			continue;
		if (strv_add_shared(&w->alias_addrs, w->aliases.v[i], HOW_UNDECIDED) < 0)
			goto fail;
		alias_picks[w->alias_addrs.n - 1] = (unsigned char)i;
	}
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
	unsigned char *picks = NULL;
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
		    (RARE(w, fwd) && !w->rare->cur_alt) || w->cands.n > SPEC_PICKS_MAX ||
		    w->aliases.n > SPEC_PICKS_MAX)
			return 0;
		/* Scratch: gone with this object, not left in the pass's pool. */
		picks = pool_alloc(&pp->scratch, 3 * w->cands.n + w->aliases.n + 1, 1);
		if (picks == NULL)
			return -1;
		w->addrs.pool = w->alias_addrs.pool = &pp->scratch;
		r = dry_claim(pp, w, picks, picks + 3 * w->cands.n);
		if (r <= 0) {
			rc = r;
			goto done;
		}
		/* A former address kept only while nobody holds it: settle may
		 * hand it out, so the build cannot be known now. */
		for (i = 0; i < w->old->plain.n; i++)
			if (strv_find(&w->addrs, w->old->plain.v[i]) < 0 &&
			    domain_accepted(pp->ctx->acct, domain_of(w->old->plain.v[i])) &&
			    idx_get(&pp->held, w->old->plain.v[i]) < 0)
				goto done;
		if (w->rare != NULL)
			w->rare->alt = w->rare->fwd ? w->rare->cur_alt : NULL;
	}
	o.e = e;
	o.kind = w->kind;
	rc = build_into(pp, w, e, &o);
	w->e = e;
	if (rc == 0 && o.managed && o.want == NULL) {
		w->spec = spec_keep(pp, w, picks, picks ? picks + 3 * w->cands.n : NULL);
		if (w->spec == NULL)
			rc = -1;
	}
	policy_obj_clear(&o);
done:
	strv_free(&w->addrs);
	strv_free(&w->alias_addrs);
	w->addrs.pool = w->alias_addrs.pool = &pp->spool;
	if (w->rare != NULL)
		w->rare->alt = NULL;
	return rc;
}

int policy_unchanged_as_read(const struct pol_pass *pp, size_t i)
{
	return pp->w[i].spec != NULL;
}

long policy_find(const struct pol_pass *pp, const char *dn)
{
	return idx_get(&pp->dns, dn);
}

int policy_unchanged(const struct pol_pass *pp, size_t i)
{
	return pp->settled && pp->w[i].spec_ok;
}

/* ---- decisions as data --------------------------------------------------- */

/* The text of template t (0 the primary one) for an object of kind k. */
static const char *template_text(const struct account *a, enum pol_kind k, unsigned t)
{
	if (k == POL_LIST)
		return "%m";
	if (t == 0)
		return a->primary_template;
	return t - 1 < a->secondary_templates.n ? a->secondary_templates.v[t - 1] : NULL;
}

/* The DN holding the form of addr without its suffix of digits digits
 * (the number in *suffix), or NULL: looked up now rather than kept for
 * every address. */
static const char *unsuffixed_owner(const struct pol_pass *pp, const char *addr, unsigned digits,
                                    unsigned *suffix)
{
	const char *at = strchr(addr, '@');
	size_t local = at ? (size_t)(at - addr) : strlen(addr), i;
	char key[512];
	long owner;

	if (digits == 0 || digits >= local ||
	    (size_t)snprintf(key, sizeof(key), "%.*s%s", (int)(local - digits), addr,
	                     addr + local) >= sizeof(key))
		return NULL;
	for (*suffix = 0, i = local - digits; i < local; i++)
		*suffix = *suffix * 10 + (unsigned)(addr[i] - '0');
	owner = idx_get(&pp->ix, key);
	return owner >= 0 ? owner_dn(pp, (size_t)owner) : NULL;
}

/* Where the tagged address a of w comes from and how it was decided. */
static void decide_addr(const struct pol_pass *pp, const struct work *w, const char *a,
                        unsigned how, int first, struct pol_addr_decision *d)
{
	unsigned origin = tag_origin(a);
	long owner;

	d->addr = a;
	d->origin = origin == ORIGIN_EXPLICIT ? POL_FROM_EXPLICIT
	            : origin == ORIGIN_ALIAS  ? POL_FROM_ALIAS
	                                      : POL_FROM_TEMPLATE;
	d->primary = first && origin != ORIGIN_ALIAS;
	/* Past what a tag holds, the template goes unnamed. */
	if (d->origin == POL_FROM_TEMPLATE && origin < ORIGIN_MAX) {
		d->tmpl = template_text(pp->ctx->acct, w->kind, origin - ORIGIN_TEMPLATE);
		if (d->tmpl != NULL && RARE(w, fallback) != NULL)
			d->fallback = w->rare->fallback[origin - ORIGIN_TEMPLATE];
	}
	if (how >> 4)
		d->by = unsuffixed_owner(pp, a, how >> 4, &d->suffix);
	switch (how & HOW_MASK) {
	case HOW_HELD:
		d->how = POL_ADDR_HELD;
		break;
	case HOW_SUFFIXED:
		d->how = POL_ADDR_SUFFIXED;
		break;
	case HOW_REFUSED:
		d->how = POL_ADDR_REFUSED;
		owner = idx_get(&pp->ix, a);
		d->by = owner >= 0 && (size_t)owner != w->self ? owner_dn(pp, (size_t)owner) : NULL;
		break;
	default:
		d->how = POL_ADDR_CLAIMED;
	}
}

/* The licence, quota and forward of user w. */
static void decide_mailbox(const struct pol_pass *pp, const struct work *w,
                           struct pol_decision *out)
{
	const struct account *a = pp->ctx->acct;

	out->licences = a->licences;
	out->licence_rank = w->lic_rank;
	out->licence = w->lic_rank == 0                    ? POL_LICENCE_NONE
	               : w->cur_pop                        ? POL_LICENCE_KEPT
	               : w->state_kind == POL_OVER_LICENCE ? POL_LICENCE_WAITING
	                                                   : POL_LICENCE_GRANTED;
	if (w->active && !w->blocked) {
		out->quota = w->quota > 0           ? POL_QUOTA_OVERRIDE
		             : w->quota == 0        ? POL_QUOTA_UNLIMITED
		             : a->default_quota > 0 ? POL_QUOTA_DEFAULT
		                                    : POL_QUOTA_UNLIMITED;
		out->quota_mb = limit_mb(a, w);
	}
	out->forward = RARE(w, fwd_as_read);
	out->forward_dn = w->active && !w->blocked ? RARE(w, alt) : NULL;
	out->forward_external =
	    RARE(w, fwd) != NULL && !domain_accepted(a, domain_of(w->rare->fwd));
}

int policy_decision(const struct pol_pass *pp, size_t i, struct pol_decision *out)
{
	const struct work *w;
	size_t k, n;

	memset(out, 0, sizeof(*out));
	if (pp == NULL || !pp->settled || i >= pp->n)
		return -1;
	w = &pp->w[i];
	out->kind = w->kind;
	out->service = w->svc == SVC_POP    ? POL_SERVICE_POP_IMAP
	               : w->svc == SVC_EXCH ? POL_SERVICE_EXCHANGE
	                                    : POL_SERVICE_NONE;
	out->state_kind = w->state_kind;
	out->message = "";
	out->unused_contact = w->remove;
	if (w->kind == POL_OTHER)
		return 0;
	out->state = w->state.len ? buf_str(&w->state) : "ok";
	k = strlen(policy_state_name(w->state_kind)) + 2;
	if (w->state.len > k)
		out->message = out->state + k;
	n = w->addrs.n + w->alias_addrs.n;
	if (n > 0 && (out->addrs = calloc(n, sizeof(*out->addrs))) == NULL)
		return -1;
	for (k = 0; k < n; k++)
		if (k < w->addrs.n)
			decide_addr(pp, w, w->addrs.v[k], strv_hows(&w->addrs)[k], k == 0,
			            &out->addrs[k]);
		else
			decide_addr(pp, w, w->alias_addrs.v[k - w->addrs.n],
			            strv_hows(&w->alias_addrs)[k - w->addrs.n], k == 0,
			            &out->addrs[k]);
	out->naddrs = n;
	if (w->kind == POL_USER)
		decide_mailbox(pp, w, out);
	else
		out->members = RARE(w, filter_members) ? POL_MEMBERS_FILTER : POL_MEMBERS_STATIC;
	return 0;
}

void policy_decision_clear(struct pol_decision *d)
{
	if (d == NULL)
		return;
	free(d->addrs);
	memset(d, 0, sizeof(*d));
}

void policy_pass_free(struct pol_pass *pp)
{
	size_t i;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->n; i++)
		work_free(&pp->w[i]);
	free(pp->w);
	idx_free(&pp->held);
	idx_free(&pp->ix);
	idx_free(&pp->dns);
	idx_free(&pp->dups);
	free(pp->contacts);
	free(pp->ord);
	strv_free(&pp->old.plain);
	strv_free(&pp->old.alias);
	pool_free(&pp->scratch);
	pool_free(&pp->spool);
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
