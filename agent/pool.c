/* pool.c - a pass-lifetime bump allocator. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

struct pool_block {
	struct pool_block *next;
	size_t size, used;
	max_align_t data[]; /* size bytes */
};

/* Big enough that the malloc header is noise, small enough that the last,
 * part-filled block is too. */
#define POOL_BLOCK (64 * 1024)

void *pool_alloc(struct pool *p, size_t size, size_t align)
{
	struct pool_block *b = p->head;
	size_t at = 0;

	if (b != NULL)
		at = (b->used + align - 1) & ~(align - 1);
	if (b == NULL || at > b->size || size > b->size - at) {
		/* A large request gets a block of its own behind the current
		 * one, which keeps serving small requests. */
		size_t bs = size > POOL_BLOCK / 4 ? size : POOL_BLOCK;

		if (bs > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + bs);
		if (b == NULL)
			return NULL;
		b->size = bs;
		b->used = 0;
		p->bytes += bs;
		at = 0;
		if (bs != POOL_BLOCK && p->head != NULL) {
			b->next = p->head->next;
			p->head->next = b;
		} else {
			b->next = p->head;
			p->head = b;
		}
	}
	b->used = at + size;
	return (char *)b->data + at;
}

char *pool_strndup(struct pool *p, const char *s, size_t len)
{
	char *d = len < SIZE_MAX ? pool_alloc(p, len + 1, 1) : NULL;

	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *pool_strdup(struct pool *p, const char *s)
{
	return s ? pool_strndup(p, s, strlen(s)) : NULL;
}

void pool_reset(struct pool *p)
{
	struct pool_block *keep = p->head, *b, *next;

	if (keep == NULL)
		return;
	for (b = keep->next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	keep->next = NULL;
	keep->used = 0;
	p->bytes = keep->size;
}

size_t pool_bytes(const struct pool *p)
{
	return p->bytes;
}

void pool_free(struct pool *p)
{
	struct pool_block *b, *next;

	for (b = p->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	p->head = NULL;
	p->bytes = 0;
}
