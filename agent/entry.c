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

void entry_free(struct entry *e)
{
	size_t i, j;

	if (e == NULL)
		return;
	for (i = 0; i < e->nattrs; i++) {
		for (j = 0; j < e->attrs[i].nvals; j++)
			free(e->attrs[i].vals[j].val);
		free(e->attrs[i].vals);
		free(e->attrs[i].name);
	}
	free(e->attrs);
	free(e->dn);
	free(e);
}
