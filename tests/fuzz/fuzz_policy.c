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

/* Packs and unpacks e: the copy must pack to the same bytes. */
static void repack(const struct entry *e)
{
	size_t n = entry_pack(e, NULL, NULL, 0), m, at;
	unsigned char *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
	struct entry *u;

	if (a == NULL || b == NULL)
		abort();
	if (entry_pack(e, NULL, a, n) != n || (u = entry_unpack(a, n)) == NULL)
		abort();
	m = entry_pack(u, NULL, b, n);
	if (m != n || memcmp(a, b, n) != 0)
		abort();
	entry_free(u);
	/* The form less its DN, with the DN given apart, reads the same. */
	at = entry_packed_dn_size(a, n);
	if ((u = entry_unpack_dn(e->dn, a + at, n - at)) == NULL)
		abort();
	m = entry_pack(u, NULL, b, n);
	if (m != n || memcmp(a, b, n) != 0)
		abort();
	entry_free(u);
	free(a);
	free(b);
}

/* What the pass says it decided for object i agrees with what it built. */
static void check_decision(struct pol_pass *pp, size_t i, const struct pol_obj *o)
{
	struct pol_decision d;
	size_t k;

	if (policy_decision(pp, i, &d) < 0)
		return; /* out of memory */
	if (d.kind != o->kind || (o->managed && (d.state_kind != o->state_kind || d.state == NULL ||
	                                         strcmp(d.state, o->state) != 0)))
		abort();
	if (d.kind == POL_USER && d.forward_dn != policy_forward_dn(pp, i))
		abort();
	if (d.licence == POL_LICENCE_NONE ? d.licence_rank != 0 : d.licence_rank == 0)
		abort();
	/* A mail-enabled object's primary is its mail. */
	if (o->want != NULL && d.state_kind == POL_OK && d.naddrs > 0 &&
	    (!d.addrs[0].primary || entry_first(o->want, "mail") == NULL ||
	     strcmp(entry_first(o->want, "mail"), d.addrs[0].addr) != 0))
		abort();
	for (k = 0; k < d.naddrs; k++) {
		const struct pol_addr_decision *a = &d.addrs[k];

		if (a->addr == NULL || (a->primary && k != 0) ||
		    (a->how == POL_ADDR_SUFFIXED && a->suffix < 2) ||
		    (a->origin == POL_FROM_ALIAS && a->primary) ||
		    (a->fallback != NULL && a->origin != POL_FROM_TEMPLATE))
			abort();
	}
	policy_decision_clear(&d);
}

/* The streamed pass over the entries as they are now: whatever it says is
 * unchanged without building must build to nothing, and the decisions it
 * reports agree with what it builds. */
static void streamed(const struct account *a, struct entry **e, size_t n)
{
	static const char *const contact[] = {"inetOrgPerson", "dirmailRecipient", NULL};
	struct pol_ctx ctx = {a, 0, "dirmailRecipient", guid, NULL, ldapc_dn_child, contact, 1};
	struct pol_result res;
	struct pol_pass *pp = policy_pass_new(&ctx);
	struct pol_decision d;
	struct pol_obj o;
	size_t i;

	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	if (pp == NULL)
		return;
	for (i = 0; i < n; i++) {
		repack(e[i]);
		if (policy_take(pp, e[i]) < 0)
			goto done;
	}
	if (policy_settle(pp, &res) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		int known = policy_unchanged(pp, i);

		if (policy_build(pp, i, e[i], &o) < 0)
			break;
		if (known && o.want != NULL)
			abort();
		check_decision(pp, i, &o);
		policy_obj_clear(&o);
	}
	if (policy_decision(pp, n, &d) != -1)
		abort();
done:
	policy_pass_free(pp);
	policy_result_clear(&res);
	buf_free(&res.acct_state);
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
	if (n > 0 && a.primary_domain != NULL)
		streamed(&a, e + 1, n - 1);
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
