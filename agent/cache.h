/* cache.h - the recipients as the daemon last saw them, in memory.
 * Keyed by entryUUID, so a renamed or moved object stays one object; each
 * entry is kept packed (secrets left out) and parsed again when a pass
 * takes it. Pure: no I/O. */
#ifndef DIRMAIL_CACHE_H
#define DIRMAIL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "entry.h"

#define CACHE_UUID_LEN 16

struct cache;

/* Returns an empty cache, NULL when out of memory; free with cache_free. */
struct cache *cache_new(void) DM_WUR;
/* Frees c and every entry in it; accepts NULL. */
void cache_free(struct cache *c);
/* Keeps a packed copy of e under uuid, replacing the entry that was
 * there (its DN may differ: a rename); marks it (cache_sweep). 0, or -1
 * when out of memory (then the old entry, if any, is still there). */
int cache_put(struct cache *c, const unsigned char uuid[CACHE_UUID_LEN],
              const struct entry *e) DM_WUR;
/* Forgets the entry under uuid: 1 when there was one, else 0. The last
 * entry takes its place, so the order cache_nth follows changes. */
int cache_del(struct cache *c, const unsigned char uuid[CACHE_UUID_LEN]);
/* 1 when an entry is kept under uuid, else 0. */
int cache_has(const struct cache *c, const unsigned char uuid[CACHE_UUID_LEN]);
/* A refresh with a present phase (RFC 4533): cache_unmark clears every
 * mark, cache_mark marks uuid as still there (0, or -1 when it is not
 * kept), and cache_sweep forgets every entry left unmarked, returning how
 * many it forgot. cache_put marks what it keeps. */
void cache_unmark(struct cache *c);
int cache_mark(struct cache *c, const unsigned char uuid[CACHE_UUID_LEN]);
size_t cache_sweep(struct cache *c);
/* The number of entries kept. */
size_t cache_count(const struct cache *c);
/* Entry k (0 <= k < cache_count) parsed again into a new entry the caller
 * frees; NULL when out of memory or k is out of range. The order is stable
 * until the next cache_put of a new uuid or cache_del. */
struct entry *cache_nth(const struct cache *c, size_t k) DM_WUR;
/* A number that changes whenever entry k changes: a new one with each
 * cache_put that changed what is kept (never 0), and entry k is another
 * one after a cache_del moved the last entry there. 0 when k is out of
 * range. */
uint64_t cache_stamp(const struct cache *c, size_t k);
/* The DN entry k was kept with (borrowed until it is replaced or
 * forgotten), or NULL when k is out of range. */
const char *cache_dn(const struct cache *c, size_t k);
/* The bytes the packed entries take, for the daemon's statistics. */
size_t cache_bytes(const struct cache *c);
/* Parses an entryUUID as the directory shows it
 * ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", any case) into out: 0, or -1
 * when s is not one. */
int cache_uuid_parse(const char *s, unsigned char out[CACHE_UUID_LEN]) DM_WUR;
/* The identity of e into out: its entryUUID (RFC 4530) or, on Active
 * Directory, its 16-byte objectGUID. 0, or -1 when it shows neither. */
int cache_uuid_of(const struct entry *e, unsigned char out[CACHE_UUID_LEN]) DM_WUR;
/* Writes uuid as the directory shows it, lowercase, into out (37 bytes
 * with the NUL). */
void cache_uuid_format(const unsigned char uuid[CACHE_UUID_LEN], char out[37]);

#endif
