/* fuzz_schema.c - fuzz target for what dirmail parses of a server's schema
 * and replies: RFC 4512 definitions (schema_seen_def, both kinds) and AD's
 * ranged attribute descriptions (range_parse, range_request) and their
 * parts put together (range_merge_*). Input: lines, each fed to all of
 * them; for the merge, each line is an attribute of an entry (the first
 * half) or of the reply to it (the second half). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "range.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Adds the attribute desc to e with as many values as its range says (up
 * to 8), else len % 4 of them. */
static void add_attr(struct entry *e, const char *desc, size_t len)
{
	static char vals[] = "abcdefgh";
	struct entry_val v[8];
	struct range r;
	size_t n = len % 4, i;

	for (i = 0; i < 8; i++) {
		v[i].val = vals + i;
		v[i].len = 1;
	}
	if (range_parse(desc, &r) > 0 && !r.last && r.hi - r.lo < 8)
		n = r.hi - r.lo + 1;
	(void)!entry_add_vals(e, desc, v, n);
}

/* Puts the parts of e and the reply together, as ldapc does. */
static void merge(const struct entry *e, const struct entry *reply)
{
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	const char *const *want;
	struct entry *whole;

	if (range_merge_start(e, &m, &why) < 0)
		goto done;
	if (range_merge_want(m, &want) == 1 && range_merge_add(m, reply, &why) < 0)
		goto done;
	if (range_merge_want(m, &want) != 0)
		goto done;
	whole = range_merge_finish(m);
	if (whole != NULL && range_has(whole))
		abort();
	entry_free(whole);
done:
	range_merge_free(m);
	buf_free(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct schema_need **missing = calloc(schema_max_needs(), sizeof(*missing));
	struct schema_check s[2];
	struct buf out = BUF_INIT;
	struct entry *e = entry_new("cn=g"), *reply = entry_new("cn=g");
	size_t i = 0;

	if (missing == NULL || e == NULL || reply == NULL)
		goto done;
	schema_check_init(&s[0], SCHEMA_LDAP);
	schema_check_init(&s[1], SCHEMA_AD);
	while (i < size) {
		const uint8_t *line = data + i, *nl = memchr(line, '\n', size - i);
		size_t len = nl ? (size_t)(nl - line) : size - i;
		char *l = malloc(len + 1);
		struct range r;

		i += len + 1;
		if (l == NULL)
			break;
		memcpy(l, line, len);
		l[len] = '\0';
		(void)schema_seen_def(&s[0], SCHEMA_ATTR, l);
		(void)schema_seen_def(&s[1], SCHEMA_CLASS, l);
		if (range_parse(l, &r) > 0) {
			(void)range_count_ok(&r, len);
			if (r.opt_at + r.opt_len > len || r.opt_at < r.name_len)
				abort();
			if (range_request(&out, l, r.opt_at, r.lo) == 0 && out.len < r.opt_at)
				abort();
			buf_reset(&out);
		}
		if (len > 0)
			add_attr(i <= size / 2 ? e : reply, l, len);
		free(l);
	}
	if (range_has(e))
		merge(e, reply);
	for (i = 0; i < 2; i++) {
		size_t n = schema_check_missing(&s[i], missing);

		if (n > schema_max_needs())
			abort();
		if (n > 0)
			(void)!schema_report(&out, s[i].dir, missing, n, "cn=Subschema", "/s");
		buf_reset(&out);
	}
done:
	entry_free(reply);
	entry_free(e);
	buf_free(&out);
	free(missing);
	return 0;
}
