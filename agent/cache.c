/* cache.c - the recipients as the daemon last saw them, keyed by entryUUID.
 * A dense array of packed entries (deletes move the last one into the
 * hole) and an open-addressing index from uuid to slot, with backward
 * shift on delete so that no tombstones pile up over days of changes. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "hash.h"
#include "ldifw.h"

struct slot {
	unsigned char uuid[CACHE_UUID_LEN];
	unsigned char *p; /* entry_pack form */
	size_t len;
	char *dn;
	uint64_t stamp; /* cache_stamp */
	int mark;
};

struct cache {
	struct slot *v;
	size_t n, cap;
	uint32_t *ix; /* slot + 1, 0 when empty */
	size_t ixcap; /* a power of two, at least twice n */
	size_t bytes;
	uint64_t stamps; /* the last stamp given */
	unsigned char *scratch;
	size_t scratch_cap;
};

static size_t hash(const unsigned char *u)
{
	return hash_slot(hash_bytes(u, CACHE_UUID_LEN));
}

/* The index position holding uuid, or the empty one where it would go. */
static size_t ix_pos(const struct cache *c, const unsigned char *uuid)
{
	size_t m = c->ixcap - 1, i = hash(uuid) & m;

	while (c->ix[i] != 0 && memcmp(c->v[c->ix[i] - 1].uuid, uuid, CACHE_UUID_LEN) != 0)
		i = (i + 1) & m;
	return i;
}

static int ix_grow(struct cache *c)
{
	size_t cap = c->ixcap ? 2 * c->ixcap : 1024, k;
	uint32_t *old = c->ix;
	size_t oldcap = c->ixcap;

	c->ix = calloc(cap, sizeof(*c->ix));
	if (c->ix == NULL) {
		c->ix = old;
		return -1;
	}
	c->ixcap = cap;
	for (k = 0; k < oldcap; k++)
		if (old[k] != 0)
			c->ix[ix_pos(c, c->v[old[k] - 1].uuid)] = old[k];
	free(old);
	return 0;
}

/* Removes position i from the index, shifting back the entries of its
 * probe run so that every lookup still finds them. */
static void ix_remove(struct cache *c, size_t i)
{
	size_t m = c->ixcap - 1, j = i, home;

	c->ix[i] = 0;
	for (;;) {
		j = (j + 1) & m;
		if (c->ix[j] == 0)
			return;
		home = hash(c->v[c->ix[j] - 1].uuid) & m;
		/* j stays when its home lies cyclically in (i, j]. */
		if ((i < j) ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		c->ix[i] = c->ix[j];
		c->ix[j] = 0;
		i = j;
	}
}

struct cache *cache_new(void)
{
	return calloc(1, sizeof(struct cache));
}

static void slot_clear(struct cache *c, struct slot *s)
{
	c->bytes -= s->len + (s->dn ? strlen(s->dn) + 1 : 0);
	free(s->p);
	free(s->dn);
	s->p = NULL;
	s->dn = NULL;
	s->len = 0;
}

void cache_free(struct cache *c)
{
	size_t k;

	if (c == NULL)
		return;
	for (k = 0; k < c->n; k++)
		slot_clear(c, &c->v[k]);
	free(c->v);
	free(c->ix);
	free(c->scratch);
	free(c);
}

int cache_put(struct cache *c, const unsigned char uuid[CACHE_UUID_LEN], const struct entry *e)
{
	size_t len, pos;
	unsigned char *p;
	char *dn;
	struct slot *s;

	if (entry_pack_buf(e, ldifw_is_secret, &c->scratch, &c->scratch_cap, &len) < 0)
		return -1;
	/* The same entry again (a refresh without a cookie sends them all):
	 * nothing changes, not even its stamp. */
	if (c->n > 0 && c->ix[pos = ix_pos(c, uuid)] != 0) {
		s = &c->v[c->ix[pos] - 1];
		if (s->len == len && memcmp(s->p, c->scratch, len) == 0 &&
		    strcmp(s->dn, e->dn) == 0) {
			s->mark = 1;
			return 0;
		}
	}
	if ((c->n + 1) * 2 > c->ixcap && ix_grow(c) < 0)
		return -1;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 1024;
		struct slot *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	p = malloc(len ? len : 1);
	dn = strdup(e->dn);
	if (p == NULL || dn == NULL) {
		free(p);
		free(dn);
		return -1;
	}
	memcpy(p, c->scratch, len);
	pos = ix_pos(c, uuid);
	if (c->ix[pos] == 0) {
		s = &c->v[c->n];
		memset(s, 0, sizeof(*s));
		memcpy(s->uuid, uuid, CACHE_UUID_LEN);
		c->ix[pos] = (uint32_t)++c->n;
	} else {
		s = &c->v[c->ix[pos] - 1];
		slot_clear(c, s);
	}
	s->p = p;
	s->len = len;
	s->dn = dn;
	s->stamp = ++c->stamps;
	s->mark = 1;
	c->bytes += len + strlen(dn) + 1;
	return 0;
}

static void remove_at(struct cache *c, size_t pos)
{
	size_t k = c->ix[pos] - 1, last = c->n - 1;

	slot_clear(c, &c->v[k]);
	ix_remove(c, pos);
	if (k != last) {
		c->v[k] = c->v[last];
		c->ix[ix_pos(c, c->v[k].uuid)] = (uint32_t)(k + 1);
	}
	c->n--;
}

int cache_del(struct cache *c, const unsigned char uuid[CACHE_UUID_LEN])
{
	size_t pos;

	if (c->n == 0)
		return 0;
	pos = ix_pos(c, uuid);
	if (c->ix[pos] == 0)
		return 0;
	remove_at(c, pos);
	return 1;
}

int cache_has(const struct cache *c, const unsigned char uuid[CACHE_UUID_LEN])
{
	return c->n > 0 && c->ix[ix_pos(c, uuid)] != 0;
}

void cache_unmark(struct cache *c)
{
	size_t k;

	for (k = 0; k < c->n; k++)
		c->v[k].mark = 0;
}

int cache_mark(struct cache *c, const unsigned char uuid[CACHE_UUID_LEN])
{
	size_t pos;

	if (c->n == 0)
		return -1;
	pos = ix_pos(c, uuid);
	if (c->ix[pos] == 0)
		return -1;
	c->v[c->ix[pos] - 1].mark = 1;
	return 0;
}

size_t cache_sweep(struct cache *c)
{
	size_t k = 0, gone = 0;

	while (k < c->n) {
		if (c->v[k].mark) {
			k++;
			continue;
		}
		/* The last slot moves into k: look at k again. */
		remove_at(c, ix_pos(c, c->v[k].uuid));
		gone++;
	}
	return gone;
}

size_t cache_count(const struct cache *c)
{
	return c->n;
}

struct entry *cache_nth(const struct cache *c, size_t k)
{
	return k < c->n ? entry_unpack(c->v[k].p, c->v[k].len) : NULL;
}

uint64_t cache_stamp(const struct cache *c, size_t k)
{
	return k < c->n ? c->v[k].stamp : 0;
}

const char *cache_dn(const struct cache *c, size_t k)
{
	return k < c->n ? c->v[k].dn : NULL;
}

size_t cache_bytes(const struct cache *c)
{
	return c->bytes + c->cap * sizeof(*c->v) + c->ixcap * sizeof(*c->ix);
}

int cache_uuid_parse(const char *s, unsigned char out[CACHE_UUID_LEN])
{
	size_t i, k = 0;

	for (i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		hi = buf_hexval(s[i]);
		lo = hi < 0 ? -1 : buf_hexval(s[i + 1]);
		if (lo < 0)
			return -1;
		out[k++] = (unsigned char)(hi << 4 | lo);
		i++;
	}
	return s[36] == '\0' ? 0 : -1;
}

int cache_uuid_of(const struct entry *e, unsigned char out[CACHE_UUID_LEN])
{
	const char *u = entry_first(e, "entryUUID");
	const struct entry_attr *g;

	if (u != NULL)
		return cache_uuid_parse(u, out);
	g = entry_get(e, "objectGUID");
	if (g == NULL || g->nvals != 1 || g->vals[0].len != CACHE_UUID_LEN)
		return -1;
	memcpy(out, g->vals[0].val, CACHE_UUID_LEN);
	return 0;
}

void cache_uuid_format(const unsigned char uuid[CACHE_UUID_LEN], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8],
	         uuid[9], uuid[10], uuid[11], uuid[12], uuid[13], uuid[14], uuid[15]);
}
