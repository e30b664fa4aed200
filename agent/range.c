/* range.c - parsing AD's ranged attribute descriptions, and putting an
 * entry's parts together. Strict: digits only, no signs or spaces, HI not
 * below LO, no overflow, parts that hold what they say and never overlap,
 * because the next request and the completeness of a group's members are
 * computed from these numbers. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
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
		r->opt_at = (size_t)(opt - desc);
		r->opt_len = (size_t)(p - opt);
		/* A second range option: which part would this be? */
		for (opt = strchr(p, ';'); opt != NULL; opt = strchr(opt + 1, ';'))
			if (strncasecmp(opt + 1, "range=", 6) == 0)
				return -1;
		return 1;
	}
	return 0;
}

int range_request(struct buf *out, const char *name, size_t len, unsigned long lo)
{
	if (len > INT_MAX)
		return -1;
	return buf_printf(out, "%.*s;range=%lu-*", (int)len, name, lo) < 0 ? -1 : 0;
}

int range_count_ok(const struct range *r, size_t nvals)
{
	return r->last || (unsigned long)nvals == r->hi - r->lo + 1;
}

int range_has(const struct entry *e)
{
	struct range r;
	size_t i;

	for (i = 0; i < e->nattrs; i++)
		if (strchr(e->attrs[i].name, ';') != NULL && range_parse(e->attrs[i].name, &r) != 0)
			return 1;
	return 0;
}

/* ---- putting the parts together ------------------------------------------ */

/* One part: values lo..hi (hi ULONG_MAX for the final part), copied. */
struct part {
	unsigned long lo, hi;
	int last;
	struct entry_val *vals; /* one allocation with the bytes they point at */
	size_t nvals;
};

/* One ranged attribute. */
struct rattr {
	char *name; /* its description without the range option */
	struct part *parts;
	size_t nparts;
	unsigned long next; /* the first index not held from 0 on */
	int done;           /* the final part is among those from 0 on */
};

struct range_merge {
	struct entry *e; /* the entry as the server sent it, first */
	struct rattr *a;
	size_t na;
	struct buf wbuf;   /* range_merge_want's descriptions, NUL-separated */
	const char **want; /* pointers into wbuf, NULL-terminated */
};

/* desc without the range option r found in it, in a new string. */
static char *whole_name(const char *desc, const struct range *r)
{
	size_t len = strlen(desc);
	char *s = malloc(len - r->opt_len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, desc, r->opt_at);
	memcpy(s + r->opt_at, desc + r->opt_at + r->opt_len, len - r->opt_at - r->opt_len + 1);
	return s;
}

static struct rattr *find_attr(const struct range_merge *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->na; i++)
		if (strcasecmp(m->a[i].name, name) == 0)
			return &m->a[i];
	return NULL;
}

/* Moves a->next past the parts that follow on from it. */
static void advance(struct rattr *a)
{
	size_t i;
	int moved = 1;

	while (moved && !a->done) {
		moved = 0;
		for (i = 0; i < a->nparts; i++) {
			if (a->parts[i].lo != a->next)
				continue;
			if (a->parts[i].last)
				a->done = 1;
			else
				a->next = a->parts[i].hi + 1;
			moved = 1;
			break;
		}
	}
}

/* Takes the part of attribute description desc (parsed into r) with the
 * values v (n of them) into m. -1 with why on a bad part or out of memory
 * (why unchanged). */
static int take_part(struct range_merge *m, const char *desc, const struct range *r,
                     const struct entry_val *v, size_t n, struct buf *why)
{
	struct rattr *a;
	struct part *p;
	char *name, *bytes;
	size_t i, total = 0;

	if (!range_count_ok(r, n)) {
		(void)!buf_printf(why, "%s: holds %zu values, not the %lu it says", desc, n,
		                  r->hi - r->lo + 1);
		return -1;
	}
	if (!r->last && r->hi == ULONG_MAX) {
		(void)!buf_printf(why, "%s: a range that ends at the largest index", desc);
		return -1;
	}
	name = whole_name(desc, r);
	if (name == NULL)
		return -1;
	a = find_attr(m, name);
	if (a == NULL) {
		struct rattr *na = realloc(m->a, (m->na + 1) * sizeof(*na));

		if (na == NULL) {
			free(name);
			return -1;
		}
		m->a = na;
		a = &m->a[m->na++];
		memset(a, 0, sizeof(*a));
		a->name = name;
	} else {
		free(name);
	}
	for (i = 0; i < a->nparts; i++) {
		const struct part *q = &a->parts[i];
		unsigned long hi = r->last ? ULONG_MAX : r->hi;

		if (r->lo <= q->hi && q->lo <= hi) {
			(void)!buf_printf(why, "%s: overlaps the values %lu-", desc, q->lo);
			if (q->last)
				(void)!buf_puts(why, "*");
			else
				(void)!buf_printf(why, "%lu", q->hi);
			(void)!buf_puts(why, " held already (the server repeats itself)");
			return -1;
		}
	}
	p = realloc(a->parts, (a->nparts + 1) * sizeof(*p));
	if (p == NULL)
		return -1;
	a->parts = p;
	p = &a->parts[a->nparts];
	for (i = 0; i < n; i++)
		total += v[i].len + 1;
	p->vals = malloc(n * sizeof(*p->vals) + total + 1);
	if (p->vals == NULL)
		return -1;
	bytes = (char *)(p->vals + n);
	for (i = 0; i < n; i++) {
		memcpy(bytes, v[i].val, v[i].len);
		bytes[v[i].len] = '\0';
		p->vals[i].val = bytes;
		p->vals[i].len = v[i].len;
		bytes += v[i].len + 1;
	}
	p->nvals = n;
	p->lo = r->lo;
	p->hi = r->last ? ULONG_MAX : r->hi;
	p->last = r->last;
	a->nparts++;
	advance(a);
	return 0;
}

/* Takes the ranged attributes of e into m (all of them when all, else only
 * those m is putting together already). */
static int take_parts(struct range_merge *m, const struct entry *e, int all, struct buf *why)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++) {
		const struct entry_attr *at = &e->attrs[i];
		struct range r;
		int rc;

		if (strchr(at->name, ';') == NULL)
			continue;
		rc = range_parse(at->name, &r);
		if (rc < 0) {
			(void)!buf_printf(why, "%s: a malformed range", at->name);
			return -1;
		}
		if (rc == 0)
			continue;
		if (!all) {
			char *name = whole_name(at->name, &r);
			int known = name != NULL && find_attr(m, name) != NULL;

			if (name == NULL)
				return -1;
			free(name);
			if (!known)
				continue;
		}
		if (take_part(m, at->name, &r, at->vals, at->nvals, why) < 0)
			return -1;
	}
	return 0;
}

int range_merge_start(const struct entry *e, struct range_merge **out, struct buf *why)
{
	struct range_merge *m = calloc(1, sizeof(*m));
	size_t i;

	*out = NULL;
	if (m == NULL)
		return -1;
	m->e = entry_dup(e);
	if (m->e == NULL || take_parts(m, e, 1, why) < 0)
		goto fail;
	for (i = 0; i < m->na; i++) {
		if (entry_get(e, m->a[i].name) != NULL) {
			(void)!buf_printf(why, "%s: sent both whole and in parts", m->a[i].name);
			goto fail;
		}
	}
	*out = m;
	return 0;
fail:
	range_merge_free(m);
	return -1;
}

int range_merge_want(struct range_merge *m, const char *const **want)
{
	size_t i, n = 0, *at = NULL;
	const char **w;

	*want = NULL;
	buf_reset(&m->wbuf);
	for (i = 0; i < m->na; i++)
		n += !m->a[i].done;
	if (n == 0)
		return 0;
	at = malloc(n * sizeof(*at));
	w = realloc(m->want, (n + 1) * sizeof(*w));
	if (at == NULL || w == NULL) {
		free(at);
		if (w != NULL)
			m->want = w;
		return -1;
	}
	m->want = w;
	/* Offsets first: the buffer may move while it grows. */
	for (i = 0, n = 0; i < m->na; i++) {
		if (m->a[i].done)
			continue;
		at[n++] = m->wbuf.len;
		if (range_request(&m->wbuf, m->a[i].name, strlen(m->a[i].name), m->a[i].next) < 0 ||
		    buf_add(&m->wbuf, "", 1) < 0) {
			free(at);
			return -1;
		}
	}
	for (i = 0; i < n; i++)
		w[i] = m->wbuf.s + at[i];
	w[n] = NULL;
	free(at);
	*want = w;
	return 1;
}

int range_merge_add(struct range_merge *m, const struct entry *part, struct buf *why)
{
	unsigned long *before = malloc((m->na ? m->na : 1) * sizeof(*before));
	size_t i, n = m->na;
	int rc = -1;

	if (before == NULL)
		return -1;
	for (i = 0; i < n; i++)
		before[i] = m->a[i].done ? ULONG_MAX : m->a[i].next;
	if (take_parts(m, part, 0, why) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (before[i] == ULONG_MAX || m->a[i].done || m->a[i].next != before[i])
			continue;
		(void)!buf_printf(why,
		                  "%s: asked for the values from %lu on, the reply holds none of "
		                  "them (the server does not advance)",
		                  m->a[i].name, before[i]);
		goto done;
	}
	rc = 0;
done:
	free(before);
	return rc;
}

static int part_cmp(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

struct entry *range_merge_finish(struct range_merge *m)
{
	struct entry *out;
	unsigned char *emitted = NULL;
	size_t i, k;

	for (i = 0; i < m->na; i++)
		if (!m->a[i].done)
			return NULL;
	out = entry_new(m->e->dn);
	emitted = calloc(m->na ? m->na : 1, 1);
	if (out == NULL || emitted == NULL)
		goto fail;
	for (i = 0; i < m->e->nattrs; i++) {
		const struct entry_attr *at = &m->e->attrs[i];
		struct range r;
		char *name;
		struct rattr *a;

		if (strchr(at->name, ';') == NULL || range_parse(at->name, &r) != 1) {
			if (entry_add_vals(out, at->name, at->vals, at->nvals) < 0)
				goto fail;
			continue;
		}
		name = whole_name(at->name, &r);
		if (name == NULL)
			goto fail;
		a = find_attr(m, name);
		free(name);
		if (a == NULL || emitted[a - m->a])
			continue;
		emitted[a - m->a] = 1;
		/* Index order; parts beyond the final one's start cannot exist
		 * (they would overlap it). */
		qsort(a->parts, a->nparts, sizeof(*a->parts), part_cmp);
		/* An attribute with no value at all is no attribute. */
		for (k = 0; k < a->nparts; k++)
			if (a->parts[k].nvals > 0 &&
			    entry_add_vals(out, a->name, a->parts[k].vals, a->parts[k].nvals) < 0)
				goto fail;
	}
	free(emitted);
	return out;
fail:
	free(emitted);
	entry_free(out);
	return NULL;
}

void range_merge_free(struct range_merge *m)
{
	size_t i, k;

	if (m == NULL)
		return;
	for (i = 0; i < m->na; i++) {
		for (k = 0; k < m->a[i].nparts; k++)
			free(m->a[i].parts[k].vals);
		free(m->a[i].parts);
		free(m->a[i].name);
	}
	free(m->a);
	free(m->want);
	buf_free(&m->wbuf);
	entry_free(m->e);
	free(m);
}
