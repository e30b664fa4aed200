/* entry.c - the plain directory entry model.
 * Small arrays, linear lookups on a folded hash per name: recipients carry a
 * few dozen attributes. Strings and value arrays live in a per-entry arena. */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entry.h"

/*
 * The arena is a list of blocks that never move, so every pointer into them
 * stays valid until entry_free; what entry_del drops stays behind until then,
 * but for one-value arrays, which the next attribute reuses. The first block
 * shares the entry's allocation and holds the DN. Value arrays, names dirmail
 * does not know, and the values of entry_add_vals and entry_dup live in the
 * arena; each value entry_add adds is its own allocation (see entry.h).
 */
struct entry_block {
	struct entry_block *next;
	size_t size; /* bytes of data after this header */
	size_t used;
};

#define BLOCK_SIZE 256
#define VAL_ALIGN _Alignof(struct entry_val)

/* Block data follows the headers, so they keep it aligned for arrays. */
_Static_assert(sizeof(struct entry_block) % VAL_ALIGN == 0, "entry_block misaligns its data");
_Static_assert(sizeof(struct entry) % _Alignof(struct entry_block) == 0 &&
                   (sizeof(struct entry) + sizeof(struct entry_block)) % VAL_ALIGN == 0,
               "entry misaligns its first block");

/*
 * The attribute names dirmail reads and writes, by length and then bytes:
 * an entry points at these instead of copying a name the server spells the
 * same way. Anything else is copied into the arena.
 */
#define N(s)                                                                                       \
	{                                                                                          \
		sizeof(s) - 1, s                                                                   \
	}
static const struct known_name {
	unsigned char len;
	char s[31];
} names[] = {
    N("cn"),
    N("sn"),
    N("uid"),
    N("mail"),
    N("member"),
    N("homeMDB"),
    N("entryCSN"),
    N("initials"),
    N("entryUUID"),
    N("givenName"),
    N("objectGUID"),
    N("uSNChanged"),
    N("description"),
    N("displayName"),
    N("objectClass"),
    N("whenCreated"),
    N("altRecipient"),
    N("dirmailAlias"),
    N("dirmailQuota"),
    N("dirmailState"),
    N("mailNickname"),
    N("userPassword"),
    N("dirmailDomain"),
    N("dirmailHidden"),
    N("targetAddress"),
    N("dirmailService"),
    N("mDBUseDefaults"),
    N("proxyAddresses"),
    N("sAMAccountName"),
    N("createTimestamp"),
    N("dirmailCatchAll"),
    N("dirmailDisabled"),
    N("dirmailLicences"),
    N("mDBStorageQuota"),
    N("departmentNumber"),
    N("dirmailAutoReply"),
    N("dirmailForwardTo"),
    N("legacyExchangeDN"),
    N("msExchRecipLimit"),
    N("mDBOverQuotaLimit"),
    N("msExchMailboxGuid"),
    N("showInAddressBook"),
    N("deliverAndRedirect"),
    N("dirmailAddressList"),
    N("dirmailContactBase"),
    N("dirmailPopImapHost"),
    N("dirmailQuotaNotify"),
    N("userAccountControl"),
    N("dirmailAutoReplyEnd"),
    N("dirmailDefaultQuota"),
    N("dirmailMemberFilter"),
    N("dirmailStorageTotal"),
    N("dirmailMaxRecipients"),
    N("dirmailPrimaryDomain"),
    N("dirmailAutoReplyStart"),
    N("dirmailManagedAddress"),
    N("dirmailPrimaryAddress"),
    N("mDBOverHardQuotaLimit"),
    N("dirmailDeleteThreshold"),
    N("dirmailForwardKeepCopy"),
    N("dirmailPrimaryTemplate"),
    N("dirmailExchangeDatabase"),
    N("dirmailMessageRateLimit"),
    N("dirmailQuotaWarnPercent"),
    N("dirmailSecondaryTemplate"),
    N("dirmailMaxMessagesPerHour"),
    N("msExchHideFromAddressLists"),
    N("msExchRecipientDisplayType"),
    N("msExchRecipientTypeDetails"),
};
#undef N

#define NNAMES (sizeof(names) / sizeof(names[0]))

static unsigned char *block_data(struct entry_block *b)
{
	return (unsigned char *)(b + 1);
}

/* The first block, allocated with the entry itself. */
static struct entry_block *first_block(const struct entry *e)
{
	union {
		const struct entry *c;
		struct entry *m;
	} u;

	u.c = e;
	return (struct entry_block *)(u.m + 1);
}

/* Adds a block with room for need bytes and returns it; NULL when out of
 * memory. A large request gets a block of its own behind the current one,
 * which keeps serving small requests. */
static struct entry_block *block_add(struct entry *e, size_t need)
{
	struct entry_block *b, *head = e->blocks;
	int own = need > BLOCK_SIZE / 2;
	size_t size = own ? need : BLOCK_SIZE;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->size = size;
	b->used = 0;
	if (own) {
		b->next = head->next;
		head->next = b;
	} else {
		b->next = head;
		e->blocks = b;
	}
	return b;
}

/* Returns size bytes aligned to align (a power of two) from e's arena; NULL
 * when out of memory. */
static void *arena_alloc(struct entry *e, size_t size, size_t align)
{
	struct entry_block *b = e->blocks;
	size_t at = (b->used + align - 1) & ~(align - 1);

	if (at > b->size || size > b->size - at) {
		b = block_add(e, size);
		if (b == NULL)
			return NULL;
		at = 0; /* block data is aligned for any VAL_ALIGN */
	}
	b->used = at + size;
	return block_data(b) + at;
}

static int in_arena(const struct entry *e, const void *p)
{
	const struct entry_block *b;

	for (b = e->blocks; b != NULL; b = b->next)
		if ((uintptr_t)p - (uintptr_t)(b + 1) < b->size)
			return 1;
	return 0;
}

/* Frees the values among v[0..n) that entry_add allocated one by one. */
static void release(struct entry *e, const struct entry_val *v, size_t n)
{
	size_t j;

	for (j = 0; j < n && e->nheap > 0; j++)
		if (!in_arena(e, v[j].val)) {
			free(v[j].val);
			e->nheap--;
		}
}

/* A one-value array no longer used, kept for the next one. */
struct spare {
	struct spare *next;
};

static void spare_put(struct entry *e, struct entry_val *v)
{
	struct spare *s = (struct spare *)(void *)v;

	s->next = e->spare;
	e->spare = s;
}

/* A cheap fingerprint of a name: its length and four of its bytes with
 * the ASCII case bit set, so names strcasecmp calls equal (in the C locale
 * dirmail runs in) always get the same one. */
static unsigned int name_hash(const char *s)
{
	size_t n = strlen(s);
	unsigned int h;

	if (n == 0)
		return 0;
	h = (unsigned int)n * 0x9e3779b1u;
	h ^= (unsigned int)((unsigned char)s[0] | 0x20);
	h ^= (unsigned int)((unsigned char)s[n / 2] | 0x20) << 8;
	h ^= (unsigned int)((unsigned char)s[n - 1 - n / 4] | 0x20) << 16;
	h ^= (unsigned int)((unsigned char)s[n - 1] | 0x20) << 24;
	return h;
}

/* The top bits of a name hash, mixed: one of 2^bits places for it (the
 * tables below, entry_key_bit's 64 bits). */
static unsigned int hash_top(unsigned int h, unsigned int bits)
{
	return (h * 0x9e3779b1u) >> (32 - bits);
}

uint64_t entry_key_bit(unsigned int key)
{
	return (uint64_t)1 << hash_top(key, 6);
}

/* ---- the name table: attribute look-ups without a scan ---------------- */

#define NSLOTS (sizeof(((struct entry *)0)->slot))
/* At most three quarters full, and an index + 1 fits a byte. */
#define ENTRY_SLOTS_MAX (NSLOTS * 3 / 4)
_Static_assert(NSLOTS == 64 && ENTRY_SLOTS_MAX < 255, "slot size");
_Static_assert(sizeof(names) / sizeof(names[0]) < 256 * 3 / 4, "known_slot size");

static size_t slot_home(unsigned int h)
{
	return hash_top(h, 6); /* one of 64 */
}

/* Enters attribute i in the table (or gives the table up). */
static void slot_put(struct entry *e, size_t i)
{
	size_t k;

	if (e->scan)
		return;
	if (i >= ENTRY_SLOTS_MAX) {
		e->scan = 1;
		return;
	}
	for (k = slot_home(e->attrs[i].hash); e->slot[k] != 0; k = (k + 1) % NSLOTS)
		;
	e->slot[k] = (unsigned char)(i + 1);
}

/* Enters every attribute anew, after they moved. */
static void slots_rebuild(struct entry *e)
{
	size_t i;

	memset(e->slot, 0, sizeof(e->slot));
	e->scan = 0;
	for (i = 0; i < e->nattrs; i++)
		slot_put(e, i);
}

/* Takes attribute i, about to be removed (those after it move down one),
 * out of the table: linear probing, so the entries after its slot move
 * back into the gap rather than leaving a mark. */
static void slot_del(struct entry *e, size_t i)
{
	size_t k, j, home;

	if (e->scan)
		return; /* stays a scan */
	for (k = slot_home(e->attrs[i].hash); e->slot[k] != i + 1; k = (k + 1) % NSLOTS)
		;
	e->slot[k] = 0;
	for (j = (k + 1) % NSLOTS; e->slot[j] != 0; j = (j + 1) % NSLOTS) {
		home = slot_home(e->attrs[e->slot[j] - 1].hash);
		/* Stays when its home lies cyclically in (k, j]. */
		if (k <= j ? (k < home && home <= j) : (k < home || home <= j))
			continue;
		e->slot[k] = e->slot[j];
		e->slot[j] = 0;
		k = j;
	}
	for (k = 0; k < NSLOTS; k++)
		e->slot[k] = (unsigned char)(e->slot[k] - (e->slot[k] > i + 1));
}

static int interned(const char *p)
{
	return (uintptr_t)p - (uintptr_t)names < sizeof(names);
}

/* names by name_hash, linear probing: index + 1, 0 empty; filled once. */
static unsigned char known_slot[256];
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static size_t known_home(unsigned int h)
{
	return hash_top(h, 8); /* one of 256 */
}

static void known_fill(void)
{
	size_t i, k;

	for (i = 0; i < NNAMES; i++) {
		for (k = known_home(name_hash(names[i].s)); known_slot[k] != 0; k = (k + 1) % 256)
			;
		known_slot[k] = (unsigned char)(i + 1);
	}
}

/* Returns name (name_hash h) as e keeps it: the shared spelling when it
 * is one, else a copy in e's arena; NULL when out of memory. */
static char *keep_name(struct entry *e, const char *name, unsigned int h)
{
	size_t k, n;
	char *p;

	if (interned(name))
		return dm_unconst(name);
	(void)pthread_once(&known_once, known_fill);
	for (k = known_home(h); known_slot[k] != 0; k = (k + 1) % 256)
		if (strcmp(name, names[known_slot[k] - 1].s) == 0)
			return dm_unconst(names[known_slot[k] - 1].s);
	n = strlen(name);
	p = arena_alloc(e, n + 1, 1);
	if (p != NULL)
		memcpy(p, name, n + 1);
	return p;
}

/* Scans backwards: a copy adds value after value to the last attribute.
 * Names are unique in an entry, so the direction changes nothing else. */
static struct entry_attr *find_hash(const struct entry *e, const char *name, unsigned int h)
{
	size_t i, k;

	if (!e->scan) {
		for (k = slot_home(h); e->slot[k] != 0; k = (k + 1) % NSLOTS) {
			struct entry_attr *a = &e->attrs[e->slot[k] - 1];

			if (a->hash == h && strcasecmp(a->name, name) == 0)
				return a;
		}
		return NULL;
	}
	for (i = e->nattrs; i-- > 0;)
		if (e->attrs[i].hash == h && strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

static struct entry_attr *find(const struct entry *e, const char *name)
{
	return find_hash(e, name, name_hash(name));
}

/* Appends attribute name with room for n values and none yet; NULL when out
 * of memory, e unchanged but for its arena. */
static struct entry_attr *attr_new(struct entry *e, const char *name, unsigned int h, size_t n)
{
	struct entry_attr *a;
	struct entry_val *v;
	char *kept;

	if (n > UINT_MAX || n > SIZE_MAX / sizeof(*v))
		return NULL;
	if (e->nattrs == e->cap) {
		size_t cap = e->cap < 8 ? 8 : e->cap + e->cap / 2;

		if (cap > SIZE_MAX / sizeof(*a))
			return NULL;
		a = realloc(e->attrs, cap * sizeof(*a));
		if (a == NULL)
			return NULL;
		e->attrs = a;
		e->cap = cap;
	}
	kept = keep_name(e, name, h);
	if (kept == NULL)
		return NULL;
	if (n == 1 && e->spare != NULL) {
		struct spare *sp = e->spare;

		e->spare = sp->next;
		v = (struct entry_val *)(void *)sp;
	} else {
		v = arena_alloc(e, n * sizeof(*v), VAL_ALIGN);
		if (v == NULL)
			return NULL;
	}
	a = &e->attrs[e->nattrs++];
	a->name = kept;
	a->vals = v;
	a->nvals = 0;
	a->cap = (unsigned int)n;
	a->hash = h;
	slot_put(e, e->nattrs - 1);
	return a;
}

/* Makes room for more values in a; -1 when out of memory, a unchanged. */
static int reserve(struct entry *e, struct entry_attr *a, size_t more)
{
	struct entry_block *b = e->blocks;
	struct entry_val *v;
	size_t need, cap;

	if (a->cap - a->nvals >= more)
		return 0;
	if (more > UINT_MAX - a->nvals)
		return -1;
	need = a->nvals + more;
	/* The array ends where the current block's free space starts: grow it
	 * in place, as a copy adding value after value does. */
	if ((unsigned char *)(a->vals + a->cap) == block_data(b) + b->used &&
	    need - a->cap <= (b->size - b->used) / sizeof(*v)) {
		b->used += (need - a->cap) * sizeof(*v);
		a->cap = (unsigned int)need;
		return 0;
	}
	cap = a->cap <= UINT_MAX / 2 && 2 * (size_t)a->cap > need ? 2 * (size_t)a->cap : need;
	if (cap > SIZE_MAX / sizeof(*v))
		return -1;
	v = arena_alloc(e, cap * sizeof(*v), VAL_ALIGN);
	if (v == NULL)
		return -1;
	memcpy(v, a->vals, a->nvals * sizeof(*v));
	if (a->cap == 1)
		spare_put(e, a->vals);
	a->vals = v;
	a->cap = (unsigned int)cap;
	return 0;
}

/* entry_new_sized with the dl bytes at dn as its DN (a NUL added). */
static struct entry *new_sized(const char *dn, size_t dl, size_t hint)
{
	struct entry_block *b;
	struct entry *e;
	size_t n = dl + 1;

	if (dl == SIZE_MAX || hint > SIZE_MAX - n - sizeof(*e) - sizeof(*b))
		return NULL;
	e = malloc(sizeof(*e) + sizeof(*b) + n + hint);
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	b = first_block(e);
	b->next = NULL;
	b->size = n + hint;
	b->used = n;
	if (dl > 0)
		memcpy(block_data(b), dn, dl);
	block_data(b)[dl] = '\0';
	e->dn = (char *)block_data(b);
	e->blocks = b;
	return e;
}

struct entry *entry_new_sized(const char *dn, size_t hint)
{
	if (dn == NULL)
		dn = "";
	return new_sized(dn, strlen(dn), hint);
}

struct entry *entry_new(const char *dn)
{
	return entry_new_sized(dn, 0);
}

const struct entry_attr *entry_get(const struct entry *e, const char *name)
{
	return find(e, name);
}

unsigned int entry_name_key(const char *name)
{
	return name_hash(name);
}

const struct entry_attr *entry_get_key(const struct entry *e, const char *name, unsigned int key)
{
	return find_hash(e, name, key);
}

const char *entry_first(const struct entry *e, const char *name)
{
	const struct entry_attr *a = entry_get(e, name);

	return (a && a->nvals > 0) ? a->vals[0].val : NULL;
}

int entry_add(struct entry *e, const char *name, const void *val, size_t len)
{
	unsigned int h = name_hash(name);
	struct entry_attr *a = find_hash(e, name, h);
	char *copy;

	if (len == SIZE_MAX)
		return -1;
	copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, val, len);
	copy[len] = '\0';
	if (a == NULL ? (a = attr_new(e, name, h, 1)) == NULL : reserve(e, a, 1) < 0) {
		free(copy);
		return -1;
	}
	a->vals[a->nvals].val = copy;
	a->vals[a->nvals].len = len;
	a->nvals++;
	e->nheap++;
	return 0;
}

int entry_add_vals(struct entry *e, const char *name, const struct entry_val *vals, size_t n)
{
	struct entry_attr *a;
	size_t total = 0, i;
	unsigned int h;
	char *p;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (vals[i].len >= SIZE_MAX - total)
			return -1;
		total += vals[i].len + 1;
	}
	p = arena_alloc(e, total, 1);
	if (p == NULL)
		return -1;
	h = name_hash(name);
	a = find_hash(e, name, h);
	if (a == NULL ? (a = attr_new(e, name, h, n)) == NULL : reserve(e, a, n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct entry_val *v = &a->vals[a->nvals + i];

		if (vals[i].len > 0)
			memcpy(p, vals[i].val, vals[i].len);
		p[vals[i].len] = '\0';
		v->val = p;
		v->len = vals[i].len;
		p += vals[i].len + 1;
	}
	a->nvals += n;
	return 0;
}

int entry_set1(struct entry *e, const char *name, const void *val, size_t len)
{
	unsigned int h = name_hash(name);
	struct entry_attr *a = find_hash(e, name, h);
	char *p;

	if (a != NULL && a->nvals == 1 && a->vals[0].len == len &&
	    (len == 0 || memcmp(a->vals[0].val, val, len) == 0))
		return 0; /* what already is stays */
	if (len == SIZE_MAX || (p = arena_alloc(e, len + 1, 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(p, val, len);
	p[len] = '\0';
	if (a == NULL) {
		a = attr_new(e, name, h, 1);
		if (a == NULL)
			return -1;
	} else {
		if (a->cap == 0 && reserve(e, a, 1) < 0)
			return -1;
		release(e, a->vals, a->nvals);
	}
	a->vals[0].val = p;
	a->vals[0].len = len;
	a->nvals = 1;
	return 0;
}

static void attr_remove(struct entry *e, struct entry_attr *a)
{
	size_t i = (size_t)(a - e->attrs);

	release(e, a->vals, a->nvals);
	if (a->cap == 1)
		spare_put(e, a->vals);
	slot_del(e, i);
	memmove(&e->attrs[i], &e->attrs[i + 1], (e->nattrs - i - 1) * sizeof(*a));
	e->nattrs--;
}

void entry_del(struct entry *e, const char *name)
{
	struct entry_attr *a = find(e, name);

	if (a != NULL)
		attr_remove(e, a);
}

void entry_del_val(struct entry *e, const char *name, size_t k)
{
	struct entry_attr *a = find(e, name);

	if (a == NULL || k >= a->nvals)
		return;
	if (a->nvals == 1) {
		attr_remove(e, a);
		return;
	}
	release(e, &a->vals[k], 1);
	memmove(&a->vals[k], &a->vals[k + 1], (a->nvals - k - 1) * sizeof(*a->vals));
	a->nvals--;
}

struct entry *entry_dup_without(const struct entry *e, int (*drop)(const char *name))
{
	struct entry_attr *attrs = NULL;
	struct entry *d;
	size_t need = VAL_ALIGN - 1, n = 0, i, j;

	/* Take the attributes first and size the arena to fit them exactly:
	 * the arrays, then the strings, leave no gaps. */
	if (e->nattrs > 0) {
		attrs = malloc(e->nattrs * sizeof(*attrs));
		if (attrs == NULL)
			return NULL;
	}
	for (i = 0; i < e->nattrs; i++) {
		const struct entry_attr *a = &e->attrs[i];

		if (a->nvals == 0 || (drop != NULL && drop(a->name)))
			continue;
		attrs[n++] = *a;
		need += a->nvals * sizeof(*a->vals);
		if (!interned(a->name))
			need += strlen(a->name) + 1;
		for (j = 0; j < a->nvals; j++)
			need += a->vals[j].len + 1;
	}
	d = entry_new_sized(e->dn, need);
	if (d == NULL) {
		free(attrs);
		return NULL;
	}
	d->attrs = attrs;
	d->nattrs = n;
	d->cap = e->nattrs;
	slots_rebuild(d);
	for (i = 0; i < n; i++) {
		struct entry_val *v = arena_alloc(d, attrs[i].nvals * sizeof(*v), VAL_ALIGN);

		if (v == NULL)
			goto fail;
		memcpy(v, attrs[i].vals, attrs[i].nvals * sizeof(*v));
		attrs[i].vals = v;
		attrs[i].cap = (unsigned int)attrs[i].nvals;
	}
	for (i = 0; i < n; i++) {
		attrs[i].name = keep_name(d, attrs[i].name, attrs[i].hash);
		if (attrs[i].name == NULL)
			goto fail;
		for (j = 0; j < attrs[i].nvals; j++) {
			struct entry_val *v = &attrs[i].vals[j];
			char *p = arena_alloc(d, v->len + 1, 1);

			if (p == NULL)
				goto fail;
			if (v->len > 0)
				memcpy(p, v->val, v->len);
			p[v->len] = '\0';
			v->val = p;
		}
	}
	return d;
fail:
	/* Everything copied so far is in the arena; the rest still points into
	 * e, so entry_free must not look at any attribute. */
	d->nattrs = 0;
	entry_free(d);
	return NULL;
}

void entry_sort_attrs(struct entry *e, int (*cmp)(const void *, const void *))
{
	if (e->nattrs > 1)
		qsort(e->attrs, e->nattrs, sizeof(*e->attrs), cmp);
	slots_rebuild(e);
}

struct entry *entry_dup(const struct entry *e)
{
	return entry_dup_without(e, NULL);
}

/* ---- the packed form --------------------------------------------------------
 * varint(len) DN, varint(nattrs), then per attribute a name byte (k + 1
 * for names[k], 0 for varint(len) and the name's bytes), varint(nvals)
 * and per value varint(len) and its bytes. Varints are LEB128. */

static size_t varint_size(size_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static unsigned char *varint_put(unsigned char *p, size_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* Reads a varint from [*p, end); -1 when it is cut short or too long. */
static int varint_get(const unsigned char **p, const unsigned char *end, size_t *v)
{
	size_t r = 0;
	unsigned shift = 0;

	while (*p < end && shift < 8 * sizeof(size_t)) {
		unsigned char c = *(*p)++;

		r |= (size_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/*
 * Values that most entries carry, which the packed form writes as a number:
 * the object classes of users, lists and contacts, booleans, the services
 * and states. A packed value is varint(2 * length) and its bytes, or
 * varint(2 * k + 1) for known_vals[k]. Private to this process: the order may
 * change at will.
 */
#define V(s)                                                                                       \
	{                                                                                          \
		sizeof(s) - 1, s                                                                   \
	}
static const struct known_name known_vals[] = {
    V("top"),           V("person"),       V("organizationalPerson"),
    V("inetOrgPerson"), V("dirmailUser"),  V("dirmailRecipient"),
    V("dirmailList"),   V("groupOfNames"), V("user"),
    V("group"),         V("contact"),      V("TRUE"),
    V("FALSE"),         V("ok"),           V("exchange"),
    V("pop-imap"),      V("none"),
};
#undef V
#define NVALS (sizeof(known_vals) / sizeof(known_vals[0]))

/* The index of the known value v, or -1. */
static long known_val(const char *v, size_t len)
{
	size_t k;

	for (k = 0; len < sizeof(known_vals[0].s) && k < NVALS; k++)
		if (known_vals[k].len == len && memcmp(known_vals[k].s, v, len) == 0)
			return (long)k;
	return -1;
}

/* A packed value at *p: its bytes and length; -1 when they are not one. */
static int unpack_val(const unsigned char **p, const unsigned char *end, const char **v,
                      size_t *len)
{
	size_t x;

	if (varint_get(p, end, &x) < 0)
		return -1;
	if (x & 1) {
		if (x / 2 >= NVALS)
			return -1;
		*v = known_vals[x / 2].s;
		*len = known_vals[x / 2].len;
		return 0;
	}
	if (x / 2 > (size_t)(end - *p))
		return -1;
	*v = (const char *)*p;
	*len = x / 2;
	*p += x / 2;
	return 0;
}

/* Appends to the packed form while it fits in cap; counts either way. */
struct packer {
	unsigned char *out;
	size_t n, cap;
};

static void put_bytes(struct packer *k, const void *p, size_t len)
{
	if (k->out != NULL && len <= k->cap && k->n <= k->cap - len && len > 0)
		memcpy(k->out + k->n, p, len);
	k->n += len;
}

static void put_varint(struct packer *k, size_t v)
{
	unsigned char b[2 * sizeof(size_t)], *e = varint_put(b, v);

	put_bytes(k, b, (size_t)(e - b));
}

size_t entry_pack(const struct entry *e, int (*drop)(const char *name), unsigned char *out,
                  size_t cap)
{
	struct packer k = {out, 0, cap};
	size_t i, j, nattrs = 0, width, dl = strlen(e->dn);

	for (i = 0; i < e->nattrs; i++)
		nattrs += e->attrs[i].nvals > 0;
	put_varint(&k, dl);
	put_bytes(&k, e->dn, dl);
	/* The count is fixed up below when drop leaves attributes out: its
	 * varint never grows from that. */
	width = varint_size(nattrs);
	put_varint(&k, nattrs);
	for (i = 0; i < e->nattrs; i++) {
		const struct entry_attr *a = &e->attrs[i];

		if (a->nvals == 0)
			continue;
		if (drop != NULL && drop(a->name)) {
			nattrs--;
			continue;
		}
		if (interned(a->name)) {
			unsigned char id =
			    (unsigned char)(1 + ((uintptr_t)a->name - (uintptr_t)names) /
			                            sizeof(names[0]));

			put_bytes(&k, &id, 1);
		} else {
			size_t nl = strlen(a->name);

			put_bytes(&k, "", 1);
			put_varint(&k, nl);
			put_bytes(&k, a->name, nl);
		}
		put_varint(&k, a->nvals);
		for (j = 0; j < a->nvals; j++) {
			long id = known_val(a->vals[j].val, a->vals[j].len);

			if (id >= 0) {
				put_varint(&k, 2 * (size_t)id + 1);
				continue;
			}
			put_varint(&k, 2 * a->vals[j].len);
			put_bytes(&k, a->vals[j].val, a->vals[j].len);
		}
	}
	if (out != NULL && k.n <= cap) {
		/* Rewrite the count in place, padded to its first width so
		 * nothing moves: LEB128 allows redundant continuation bytes. */
		size_t at = varint_size(dl) + dl, t, v = nattrs;

		for (t = 0; t < width; t++, v >>= 7)
			out[at + t] = (unsigned char)((v & 0x7f) | (t + 1 < width ? 0x80 : 0));
	}
	return k.n;
}

int entry_pack_buf(const struct entry *e, int (*drop)(const char *name), unsigned char **buf,
                   size_t *cap, size_t *len)
{
	size_t n = entry_pack(e, drop, *buf, *cap);

	if (n > *cap) {
		unsigned char *b = realloc(*buf, n);

		if (b == NULL)
			return -1;
		*buf = b;
		*cap = n;
		(void)entry_pack(e, drop, *buf, *cap);
	}
	*len = n;
	return 0;
}

/* One attribute of a packed entry: its name (known or inline) and where
 * its values start; -1 when the bytes are not a packed attribute. */
static int unpack_name(const unsigned char **p, const unsigned char *end, const char **known,
                       const unsigned char **name, size_t *nl, size_t *nvals)
{
	unsigned char k;

	if (*p >= end)
		return -1;
	k = *(*p)++;
	*known = NULL;
	if (k > 0) {
		if (k > NNAMES)
			return -1;
		*known = names[k - 1].s;
	} else {
		if (varint_get(p, end, nl) < 0 || *nl > (size_t)(end - *p))
			return -1;
		*name = *p;
		*p += *nl;
	}
	return varint_get(p, end, nvals) < 0 || *nvals == 0 ? -1 : 0;
}

/* The DN a packed entry starts with: dl bytes at *dn; -1 when malformed. */
static int packed_dn(const unsigned char *buf, size_t len, const unsigned char **dn, size_t *dl)
{
	const unsigned char *end = buf + len;

	*dn = buf;
	if (varint_get(dn, end, dl) < 0 || *dl > (size_t)(end - *dn))
		return -1;
	return 0;
}

size_t entry_packed_dn_size(const unsigned char *buf, size_t len)
{
	const unsigned char *dn;
	size_t dl;

	if (packed_dn(buf, len, &dn, &dl) < 0)
		return len;
	return (size_t)(dn - buf) + dl;
}

/* entry_unpack of the attributes at [attrs, end), named dn (dl bytes). */
static struct entry *unpack(const unsigned char *dn, size_t dl, const unsigned char *attrs,
                            const unsigned char *end)
{
	const unsigned char *p = attrs, *name = NULL;
	const char *known, *v;
	size_t nattrs, nl = 0, nvals = 0, vl = 0, need = VAL_ALIGN - 1, i, j;
	struct entry *e;

	/* First the sizes, so the arena is one exact allocation. */
	if (varint_get(&p, end, &nattrs) < 0 || nattrs > (size_t)(end - p))
		return NULL;
	for (i = 0; i < nattrs; i++) {
		if (unpack_name(&p, end, &known, &name, &nl, &nvals) < 0 ||
		    nvals > (size_t)(end - p))
			return NULL;
		/* Each value array may need padding: names and values sit between. */
		need += VAL_ALIGN - 1 + nvals * sizeof(struct entry_val) + (known ? 0 : nl + 1);
		for (j = 0; j < nvals; j++) {
			if (unpack_val(&p, end, &v, &vl) < 0)
				return NULL;
			need += vl + 1;
		}
	}
	if (p != end)
		return NULL;
	e = new_sized((const char *)dn, dl, need);
	if (e == NULL)
		return NULL;
	e->attrs = nattrs ? malloc(nattrs * sizeof(*e->attrs)) : NULL;
	if (nattrs && e->attrs == NULL)
		goto fail;
	e->cap = nattrs;
	p = attrs;
	(void)varint_get(&p, end, &nattrs);
	for (i = 0; i < nattrs; i++) {
		struct entry_attr *a = &e->attrs[i];

		(void)unpack_name(&p, end, &known, &name, &nl, &nvals);
		if (known != NULL) {
			a->name = dm_unconst(known);
		} else {
			a->name = arena_alloc(e, nl + 1, 1);
			if (a->name == NULL)
				goto fail;
			memcpy(a->name, name, nl);
			a->name[nl] = '\0';
		}
		a->hash = name_hash(a->name);
		a->vals = arena_alloc(e, nvals * sizeof(*a->vals), VAL_ALIGN);
		if (a->vals == NULL)
			goto fail;
		a->nvals = a->cap = (unsigned int)nvals;
		e->nattrs = i + 1;
		slot_put(e, i);
		for (j = 0; j < nvals; j++) {
			(void)unpack_val(&p, end, &v, &vl);
			a->vals[j].val = arena_alloc(e, vl + 1, 1);
			if (a->vals[j].val == NULL)
				goto fail;
			if (vl > 0)
				memcpy(a->vals[j].val, v, vl);
			a->vals[j].val[vl] = '\0';
			a->vals[j].len = vl;
		}
	}
	return e;
fail:
	entry_free(e);
	return NULL;
}

struct entry *entry_unpack(const unsigned char *buf, size_t len)
{
	const unsigned char *dn;
	size_t dl;

	if (packed_dn(buf, len, &dn, &dl) < 0)
		return NULL;
	return unpack(dn, dl, dn + dl, buf + len);
}

struct entry *entry_unpack_dn(const char *dn, const unsigned char *p, size_t len)
{
	return unpack((const unsigned char *)dn, strlen(dn), p, p + len);
}

int entry_has(const struct entry *e, const char *name, const char *val, size_t len)
{
	const struct entry_attr *a = find(e, name);
	size_t j;

	for (j = 0; a != NULL && j < a->nvals; j++)
		if (a->vals[j].len == len && memcmp(a->vals[j].val, val, len) == 0)
			return 1;
	return 0;
}

int entry_has_nocase(const struct entry *e, const char *name, const char *val, size_t len)
{
	const struct entry_attr *a = find(e, name);
	size_t j;

	size_t k;

	for (j = 0; a != NULL && j < a->nvals; j++) {
		if (a->vals[j].len != len)
			continue;
		/* byte by byte: a value may hold a NUL, where strncasecmp stops */
		for (k = 0; k < len; k++)
			if (tolower((unsigned char)a->vals[j].val[k]) !=
			    tolower((unsigned char)val[k]))
				break;
		if (k == len)
			return 1;
	}
	return 0;
}

void entry_free(struct entry *e)
{
	struct entry_block *b, *next;
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nattrs && e->nheap > 0; i++)
		release(e, e->attrs[i].vals, e->attrs[i].nvals);
	free(e->attrs);
	for (b = e->blocks; b != NULL; b = next) {
		next = b->next;
		if (b != first_block(e))
			free(b);
	}
	free(e);
}

int entry_list_push(struct entry_list *l, struct entry *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct entry **v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL) {
			entry_free(e);
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

void entry_list_free(struct entry_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		entry_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
