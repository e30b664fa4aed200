/*
 * txn-crash - RFC 5805 transactions in a loop, to see whether a server
 * survives them (run by tests/bench/txn-crash, on demand).
 *
 *   txn-crash URI ROUNDS OPS MODE DELAY_US
 *
 * Binds with SASL EXTERNAL, then ROUNDS times: Start Transaction, OPS
 * modifies of uid=tN,ou=txn,<suffix from the rootDSE> carrying the
 * transaction specification control, End Transaction (commit). MODE
 * "serial" waits for each modify's answer before the next; "pipelined"
 * sends all, then reads the answers. DELAY_US is slept between the last
 * answer and End Transaction. Prints "committed K" (K transactions
 * committed) and exits 0 when all were, 1 when the server went away or
 * refused.
 */
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_OPS = 1000 };

static int suffix_of(LDAP *ld, char *out, size_t len)
{
	char *attrs[] = {"namingContexts", NULL};
	LDAPMessage *res = NULL, *e;
	struct berval **v;
	int r;

	r = ldap_search_ext_s(ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
	                      NULL, 0, &res);
	if (r != LDAP_SUCCESS || (e = ldap_first_entry(ld, res)) == NULL ||
	    (v = ldap_get_values_len(ld, e, "namingContexts")) == NULL) {
		ldap_msgfree(res);
		return -1;
	}
	snprintf(out, len, "%.*s", (int)v[0]->bv_len, v[0]->bv_val);
	ldap_value_free_len(v);
	ldap_msgfree(res);
	return 0;
}

static int one_round(LDAP *ld, const char *suffix, int round, int ops, int serial, int delay_us)
{
	struct berval *id = NULL;
	LDAPControl *spec = NULL, *ctrls[2] = {NULL, NULL};
	int ids[MAX_OPS], i, r, code;

	if ((r = ldap_txn_start_s(ld, NULL, NULL, &id)) != LDAP_SUCCESS) {
		fprintf(stderr, "start transaction: %s\n", ldap_err2string(r));
		return -1;
	}
	if (ldap_control_create(LDAP_CONTROL_TXN_SPEC, 1, id, 1, &spec) != LDAP_SUCCESS)
		return -1;
	ctrls[0] = spec;
	for (i = 0; i < ops; i++) {
		char dn[512], val[32];
		char *vals[] = {val, NULL};
		LDAPMod mod = {LDAP_MOD_REPLACE, "description", {.modv_strvals = vals}};
		LDAPMod *mods[] = {&mod, NULL};

		snprintf(dn, sizeof dn, "uid=t%d,ou=txn,%s", i, suffix);
		snprintf(val, sizeof val, "round %d", round);
		if ((r = ldap_modify_ext(ld, dn, mods, ctrls, NULL, &ids[i])) != LDAP_SUCCESS) {
			fprintf(stderr, "modify %s: %s\n", dn, ldap_err2string(r));
			return -1;
		}
		if (!serial && i + 1 < ops)
			continue;
		for (int j = serial ? i : 0; j <= i; j++) {
			LDAPMessage *res = NULL;

			if (ldap_result(ld, ids[j], 1, NULL, &res) <= 0 ||
			    ldap_parse_result(ld, res, &code, NULL, NULL, NULL, NULL, 1) !=
			        LDAP_SUCCESS) {
				fprintf(stderr, "answer to modify %d: the server went away\n", j);
				return -1;
			}
			if (code != LDAP_SUCCESS) {
				fprintf(stderr, "modify %d: %s\n", j, ldap_err2string(code));
				return -1;
			}
		}
	}
	if (delay_us > 0)
		usleep((useconds_t)delay_us);
	r = ldap_txn_end_s(ld, 1, id, NULL, NULL, NULL);
	ldap_control_free(spec);
	ber_bvfree(id);
	if (r != LDAP_SUCCESS) {
		fprintf(stderr, "end transaction: %s\n", ldap_err2string(r));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	LDAP *ld = NULL;
	struct berval none = {0, ""};
	char suffix[256];
	int v3 = LDAP_VERSION3, rounds, ops, delay_us, serial, k;

	if (argc != 6 || (rounds = atoi(argv[2])) < 1 || (ops = atoi(argv[3])) < 1 ||
	    ops > MAX_OPS || (delay_us = atoi(argv[5])) < 0) {
		fprintf(stderr, "usage: txn-crash URI ROUNDS OPS serial|pipelined DELAY_US\n");
		return 2;
	}
	serial = strcmp(argv[4], "serial") == 0;
	if (ldap_initialize(&ld, argv[1]) != LDAP_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	    ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &none, NULL, NULL, NULL) != LDAP_SUCCESS ||
	    suffix_of(ld, suffix, sizeof suffix) != 0) {
		fprintf(stderr, "txn-crash: cannot bind to %s\n", argv[1]);
		return 1;
	}
	for (k = 0; k < rounds; k++)
		if (one_round(ld, suffix, k, ops, serial, delay_us) != 0)
			break;
	printf("committed %d\n", k);
	ldap_unbind_ext_s(ld, NULL, NULL);
	return k == rounds ? 0 : 1;
}
