/* entry.c - the plain directory entry model.
 * Small arrays, linear lookups: recipients carry a few dozen attributes,
 * so simplicity beats a hash here. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entry.h"

struct entry *entry_new(const char *dn)
{
	struct entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->dn = strdup(dn ? dn : "");
	if (e->dn == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

static struct entry_attr *find(const struct entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

const struct entry_attr *entry_get(const struct entry *e, const char *name)
{
	return find(e, name);
}

const char *entry_first(const struct entry *e, const char *name)
{
	const struct entry_attr *a = entry_get(e, name);

	return (a && a->nvals > 0) ? a->vals[0].val : NULL;
}

int entry_add(struct entry *e, const char *name, const void *val, size_t len)
{
	struct entry_attr *a = find(e, name);
	struct entry_val *v;
	char *copy;

	if (a == NULL) {
		struct entry_attr *attrs = realloc(e->attrs, (e->nattrs + 1) * sizeof(*attrs));

		if (attrs == NULL)
			return -1;
		e->attrs = attrs;
		a = &attrs[e->nattrs];
		memset(a, 0, sizeof(*a));
		a->name = strdup(name);
		if (a->name == NULL)
			return -1;
		e->nattrs++;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return -1;
	if (len > 0)
		memcpy(copy, val, len);
	copy[len] = '\0';
	v = realloc(a->vals, (a->nvals + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return -1;
	}
	a->vals = v;
	a->vals[a->nvals].val = copy;
	a->vals[a->nvals].len = len;
	a->nvals++;
	return 0;
}

static void attr_clear(struct entry_attr *a)
{
	size_t j;

	for (j = 0; j < a->nvals; j++)
		free(a->vals[j].val);
	free(a->vals);
	free(a->name);
}

void entry_del(struct entry *e, const char *name)
{
	struct entry_attr *a = find(e, name);
	size_t i;

	if (a == NULL)
		return;
	i = (size_t)(a - e->attrs);
	attr_clear(a);
	memmove(&e->attrs[i], &e->attrs[i + 1], (e->nattrs - i - 1) * sizeof(*a));
	e->nattrs--;
}

struct entry *entry_dup(const struct entry *e)
{
	struct entry *d = entry_new(e->dn);
	size_t i, j;

	if (d == NULL)
		return NULL;
	for (i = 0; i < e->nattrs; i++)
		for (j = 0; j < e->attrs[i].nvals; j++)
			if (entry_add(d, e->attrs[i].name, e->attrs[i].vals[j].val,
			              e->attrs[i].vals[j].len) < 0) {
				entry_free(d);
				return NULL;
			}
	return d;
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

void entry_free(struct entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nattrs; i++)
		attr_clear(&e->attrs[i]);
	free(e->attrs);
	free(e->dn);
	free(e);
}
