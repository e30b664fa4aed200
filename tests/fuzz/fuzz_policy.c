/* fuzz_policy.c - fuzz target for the policy on hostile directory data.
 * The input is "attr: value" lines, a blank line between entries, the
 * first entry the account; whatever the directory holds, the policy must
 * compute states, never crash, leak or read out of bounds, and a second
 * run over its own output must succeed too. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "diff.h"
#include "ldapc.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXOBJ 64

static void guid(unsigned char g[16], void *arg)
{
	(void)arg;
	memset(g, 7, 16);
}

/* Splits data into entries; returns how many were made. */
static size_t parse(const uint8_t *data, size_t size, struct entry **e)
{
	size_t n = 0, i = 0;

	while (i < size && n < MAXOBJ) {
		size_t end = i, colon;

		while (end < size && data[end] != '\n')
			end++;
		if (end == i) {
			if (e[n] != NULL)
				n++;
		} else {
			for (colon = i; colon < end && data[colon] != ':'; colon++)
				;
			if (colon < end) {
				char name[64];
				size_t nl =
				    colon - i < sizeof(name) - 1 ? colon - i : sizeof(name) - 1;
				size_t v = colon + 1 < end && data[colon + 1] == ' ' ? colon + 2
				                                                     : colon + 1;

				memcpy(name, data + i, nl);
				name[nl] = '\0';
				if (e[n] == NULL) {
					char *dn = strndup((const char *)data + v, end - v);

					e[n] = dn ? entry_new(dn) : NULL;
					free(dn);
				} else if (nl > 0) {
					(void)!entry_add(e[n], name, data + v, end - v);
				}
			}
		}
		i = end + 1;
	}
	if (n < MAXOBJ && e[n] != NULL)
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const contact[] = {"inetOrgPerson", "dirmailRecipient", NULL};
	struct entry *e[MAXOBJ + 1] = {NULL};
	struct pol_obj o[MAXOBJ];
	struct pol_result res;
	struct account a;
	struct buf errs = BUF_INIT;
	size_t n, i, k;

	memset(o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	memset(&a, 0, sizeof(a));
	n = parse(data, size, e);
	if (n == 0 || account_parse(e[0], &a, &errs) < 0)
		goto done;
	for (k = 0; k < 2; k++) {
		struct pol_ctx ctx = {
		    &a, 0, "dirmailRecipient", guid, NULL, ldapc_dn_child, contact, (int)k};

		for (i = 1; i < n; i++) {
			o[i - 1].e = e[i];
			o[i - 1].kind = policy_kind(e[i]);
		}
		if (policy_run(&ctx, o, n - 1, &res) < 0)
			break;
		/* The second round reads what the first one wanted. */
		for (i = 1; k == 0 && i < n; i++) {
			struct entry *w = o[i - 1].want ? entry_dup(o[i - 1].want) : NULL;

			if (w != NULL) {
				policy_obj_clear(&o[i - 1]);
				entry_free(e[i]);
				e[i] = w;
			}
		}
	}
done:
	for (i = 0; i < MAXOBJ; i++)
		policy_obj_clear(&o[i]);
	policy_result_clear(&res);
	buf_free(&res.acct_state);
	account_free(&a);
	for (i = 0; i <= MAXOBJ; i++)
		entry_free(e[i]);
	buf_free(&errs);
	return 0;
}
