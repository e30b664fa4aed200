/* fuzz_schema.c - fuzz target for what dirmail parses of a server's schema
 * and replies: RFC 4512 definitions (schema_seen_def, both kinds) and AD's
 * ranged attribute descriptions (range_parse, range_next). Input: lines,
 * each fed to all of them. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"
#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct schema_need **missing = calloc(schema_max_needs(), sizeof(*missing));
	struct schema_check s[2];
	struct buf out = BUF_INIT;
	size_t i = 0;

	if (missing == NULL)
		return 0;
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
			if (range_next(&out, l, r.name_len, &r) == 0 && out.len < r.name_len)
				abort();
			buf_reset(&out);
		}
		free(l);
	}
	for (i = 0; i < 2; i++) {
		size_t n = schema_check_missing(&s[i], missing);

		if (n > schema_max_needs())
			abort();
		if (n > 0)
			(void)!schema_report(&out, s[i].dir, missing, n, "cn=Subschema", "/s");
		buf_reset(&out);
	}
	buf_free(&out);
	free(missing);
	return 0;
}
