/* range.c - parsing AD's ranged attribute descriptions.
 * Strict: digits only, no signs or spaces, HI not below LO, no overflow,
 * because the next request and the completeness of a group's members are
 * computed from these numbers. */
#include <ctype.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "range.h"

/* Reads the digits at *p into *v, advancing p; -1 on none or overflow. */
static int number(const char **p, unsigned long *v)
{
	const char *s = *p;
	unsigned long n = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (n > (ULONG_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*v = n;
	*p = s;
	return 0;
}

int range_parse(const char *desc, struct range *r)
{
	const char *semi = strchr(desc, ';'), *opt, *p;

	memset(r, 0, sizeof(*r));
	r->name_len = semi ? (size_t)(semi - desc) : strlen(desc);
	if (r->name_len == 0)
		return -1;
	for (opt = semi; opt != NULL; opt = strchr(opt + 1, ';')) {
		if (strncasecmp(opt + 1, "range=", 6) != 0)
			continue;
		p = opt + 7;
		if (number(&p, &r->lo) < 0 || *p++ != '-')
			return -1;
		if (*p == '*') {
			r->last = 1;
			p++;
		} else if (number(&p, &r->hi) < 0 || r->hi < r->lo) {
			return -1;
		}
		if (*p != '\0' && *p != ';')
			return -1;
		return 1;
	}
	return 0;
}

int range_next(struct buf *out, const char *name, size_t len, const struct range *r)
{
	if (r->last || r->hi == ULONG_MAX || len > INT_MAX)
		return -1;
	return buf_printf(out, "%.*s;range=%lu-*", (int)len, name, r->hi + 1) < 0 ? -1 : 0;
}

int range_count_ok(const struct range *r, size_t nvals)
{
	return r->last || (unsigned long)nvals == r->hi - r->lo + 1;
}
