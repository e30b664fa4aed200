/* fuzz_account.c - fuzz target for the account entry parser.
 * The account entry is directory data anyone with write access to it can
 * shape; input is "attribute: value" lines turned into an entry. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "account.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry *e = entry_new("cn=account,dc=example,dc=test");
	struct buf errs = BUF_INIT, why = BUF_INIT;
	struct account a;
	size_t i = 0;

	if (e == NULL)
		return 0;
	while (i < size) {
		const uint8_t *line = data + i, *nl = memchr(line, '\n', size - i);
		size_t len = nl ? (size_t)(nl - line) : size - i;
		const uint8_t *colon = memchr(line, ':', len);

		i += len + 1;
		if (colon == NULL || colon == line || (size_t)(colon - line) > 64)
			continue;
		{
			char name[65];
			const uint8_t *v = colon + 1;
			size_t vlen = len - (size_t)(v - line);

			memcpy(name, line, (size_t)(colon - line));
			name[colon - line] = '\0';
			if (vlen > 0 && *v == ' ') {
				v++;
				vlen--;
			}
			if (entry_add(e, name, v, vlen) < 0)
				break;
			(void)!account_check_template(e->attrs[e->nattrs - 1].vals[0].val, &why);
			(void)!account_check_domain(e->attrs[e->nattrs - 1].vals[0].val, &why);
		}
	}
	(void)!account_parse(e, &a, &errs);
	account_free(&a);
	entry_free(e);
	buf_free(&errs);
	buf_free(&why);
	return 0;
}
