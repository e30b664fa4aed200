/* pool.h - a pass-lifetime bump allocator.
 * What a pass keeps of every object (DNs, addresses, packed entries) is
 * allocated here in large blocks and freed at once: no per-string malloc
 * header, no fragmentation, and memory that grows with the data alone. */
#ifndef DIRMAIL_POOL_H
#define DIRMAIL_POOL_H

#include <stddef.h>

#include "attrs.h"

struct pool_block;

/* All zero is an empty pool. */
struct pool {
	struct pool_block *head; /* the block being filled; older ones follow */
	size_t bytes;            /* what the blocks take, for pool_bytes */
};

/* Returns size bytes aligned to align (a power of two, at most that of
 * max_align_t), valid until pool_free; NULL when out of memory. */
void *pool_alloc(struct pool *p, size_t size, size_t align) DM_WUR;
/* Copies len bytes of s and a NUL; NULL when out of memory. */
char *pool_strndup(struct pool *p, const char *s, size_t len) DM_WUR;
/* Copies the NUL-terminated s; NULL when out of memory (or s is NULL). */
char *pool_strdup(struct pool *p, const char *s) DM_WUR;
/* Frees every block; p is empty and usable again. */
void pool_free(struct pool *p);
/* Forgets everything allocated but keeps one block for what comes next:
 * scratch space reused object after object. */
void pool_reset(struct pool *p);
/* The bytes the pool's blocks take. */
size_t pool_bytes(const struct pool *p);

#endif
