/* buf.h - growable byte strings.
 * DNs, filters, messages and LDIF are built here instead of in fixed
 * buffers; the contents are always NUL-terminated for convenience. */
#ifndef DIRMAIL_BUF_H
#define DIRMAIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "attrs.h"

struct buf {
	char *s;    /* NUL-terminated contents, NULL until something is added */
	size_t len; /* bytes in s, excluding the terminating NUL */
	size_t cap; /* bytes allocated */
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Appends len bytes of p; returns -1 only when memory runs out. */
int buf_add(struct buf *b, const void *p, size_t len) DM_WUR;
/* Appends the NUL-terminated string s; -1 on out of memory. */
int buf_puts(struct buf *b, const char *s) DM_WUR;
/* Appends printf-style formatted text; -1 on out of memory. */
int buf_printf(struct buf *b, const char *fmt, ...) DM_PRINTF(2, 3) DM_WUR;
/* Like buf_printf with a va_list; -1 on out of memory. */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) DM_PRINTF(2, 0) DM_WUR;
/* Returns the contents ("" when empty); valid until the next change. */
const char *buf_str(const struct buf *b);
/* Empties b but keeps its memory. */
void buf_reset(struct buf *b);
/* Hands the contents to the caller (free() it, never NULL unless out of
 * memory) and leaves b empty. */
char *buf_steal(struct buf *b);
/* Frees the memory; accepts NULL and a never-used buffer. */
void buf_free(struct buf *b);
/* Returns the value of the hexadecimal digit ch (either case), -1 when
 * ch is none. */
int buf_hexval(int ch);

#endif
