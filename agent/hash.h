/* hash.h - the one string and byte hash of dirmail (FNV-1a, 64 bits).
 * Used by the in-memory indexes (the policy's addresses, the daemon's
 * cache and echoes) and the version fingerprint of a pass's objects. */
#ifndef DIRMAIL_HASH_H
#define DIRMAIL_HASH_H

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>

#define HASH_INIT 1469598103934665603ULL
#define HASH_PRIME 1099511628211ULL

/* Returns the hash of the n bytes at p. */
static inline uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = HASH_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * HASH_PRIME;
	return h;
}

/* Returns the hash of the string s, its letters folded to lowercase
 * (tolower), so that strings equal without case hash alike. */
static inline uint64_t hash_nocase(const char *s)
{
	uint64_t h = HASH_INIT;

	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * HASH_PRIME;
	return h;
}

/* Folds the high bits of h into the low ones, for a table indexed by its
 * low bits. */
static inline size_t hash_slot(uint64_t h)
{
	return (size_t)(h ^ (h >> 29));
}

#endif
