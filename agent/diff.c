/* diff.c - current entry vs wanted entry -> minimal modifications.
 * Values are compared byte for byte: a value that differs only in case is
 * deleted and added again, which is how a promotion reaches the server. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "diff.h"

/* The mods of one pass over the attributes, before batching. */
struct modlist {
	struct entry_mod *m;
	size_t n;
	struct entry_val **own; /* value arrays allocated here */
	size_t nown;
};

/* Orders values by length, then bytes: equal means byte for byte equal. */
static int val_cmp(const void *pa, const void *pb)
{
	const struct entry_val *a = pa, *b = pb;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->val, b->val, a->len);
}

/* Above this many values a list's members are looked up in a sorted copy
 * rather than one by one: 5,000 members against 5,000 would be 25 million
 * comparisons. */
#define DIFF_SORT_MIN 16

/* Appends a mod of the values of a that b lacks (all of them when b is NULL). */
static int push(struct modlist *l, enum entry_mod_op op, const char *name,
                const struct entry_attr *a, const struct entry_attr *b)
{
	struct entry_val *v, *sorted = NULL;
	struct entry_mod *m;
	struct entry_val **own;
	size_t i, j, k = 0;

	if (a == NULL || a->nvals == 0)
		return 0;
	v = calloc(a->nvals, sizeof(*v));
	if (v == NULL)
		return -1;
	if (b != NULL && b->nvals >= DIFF_SORT_MIN) {
		sorted = malloc(b->nvals * sizeof(*sorted));
		if (sorted == NULL) {
			free(v);
			return -1;
		}
		memcpy(sorted, b->vals, b->nvals * sizeof(*sorted));
		qsort(sorted, b->nvals, sizeof(*sorted), val_cmp);
	}
	for (i = 0; i < a->nvals; i++) {
		int found = 0;

		if (sorted != NULL)
			found = bsearch(&a->vals[i], sorted, b->nvals, sizeof(*sorted), val_cmp) !=
			        NULL;
		for (j = 0; sorted == NULL && b && j < b->nvals && !found; j++)
			found = val_cmp(&a->vals[i], &b->vals[j]) == 0;
		if (!found)
			v[k++] = a->vals[i];
	}
	free(sorted);
	if (k == 0) {
		free(v);
		return 0;
	}
	own = realloc(l->own, (l->nown + 1) * sizeof(*own));
	if (own == NULL) {
		free(v);
		return -1;
	}
	l->own = own;
	l->own[l->nown++] = v;
	m = realloc(l->m, (l->n + 1) * sizeof(*m));
	if (m == NULL)
		return -1;
	l->m = m;
	l->m[l->n].op = op;
	l->m[l->n].attr = name;
	l->m[l->n].vals = v;
	l->m[l->n].nvals = k;
	l->n++;
	return 0;
}

/* Cuts the mods into batches of at most DIFF_BATCH_MAX values. */
static int batch(const struct modlist *l, struct diff *out)
{
	size_t i, done, room = 0, take;
	struct diff_batch *b;
	struct entry_mod *m;

	for (i = 0; i < l->n; i++) {
		for (done = 0; done < l->m[i].nvals; done += take) {
			if (room == 0) {
				b = realloc(out->b, (out->nb + 1) * sizeof(*b));
				if (b == NULL)
					return -1;
				out->b = b;
				memset(&out->b[out->nb++], 0, sizeof(*b));
				room = DIFF_BATCH_MAX;
			}
			take = l->m[i].nvals - done < room ? l->m[i].nvals - done : room;
			b = &out->b[out->nb - 1];
			m = realloc(b->mods, (b->nmods + 1) * sizeof(*m));
			if (m == NULL)
				return -1;
			b->mods = m;
			b->mods[b->nmods] = l->m[i];
			b->mods[b->nmods].vals = l->m[i].vals + done;
			b->mods[b->nmods].nvals = take;
			b->nmods++;
			room -= take;
			out->nvals += take;
		}
	}
	return 0;
}

int diff_entry(const struct entry *cur, const struct entry *want, const char *const *attrs,
               struct diff *out)
{
	struct modlist l = {NULL, 0, NULL, 0};
	size_t i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (push(&l, ENTRY_MOD_ADD, "objectClass", entry_get(want, "objectClass"),
	         entry_get(cur, "objectClass")) < 0)
		goto done;
	for (i = 0; attrs[i]; i++) {
		const struct entry_attr *c = entry_get(cur, attrs[i]),
		                        *w = entry_get(want, attrs[i]);

		if (push(&l, ENTRY_MOD_DELETE, attrs[i], c, w) < 0 ||
		    push(&l, ENTRY_MOD_ADD, attrs[i], w, c) < 0)
			goto done;
	}
	if (batch(&l, out) < 0)
		goto done;
	out->own = l.own;
	out->nown = l.nown;
	l.own = NULL;
	l.nown = 0;
	rc = 0;
done:
	for (i = 0; i < l.nown; i++)
		free(l.own[i]);
	free(l.own);
	free(l.m);
	if (rc < 0)
		diff_free(out);
	return rc;
}

void diff_free(struct diff *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nown; i++)
		free(d->own[i]);
	free(d->own);
	for (i = 0; i < d->nb; i++)
		free(d->b[i].mods);
	free(d->b);
	memset(d, 0, sizeof(*d));
}
