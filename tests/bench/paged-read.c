/* paged-read.c - reads what a list of searches returns, on one connection.
 *
 *   paged-read -H URI FILE
 *
 * Binds with SASL EXTERNAL (meant for ldapi://) and runs the searches of
 * FILE one after the other, each line "SCOPE<TAB>PAGE<TAB>BASE<TAB>FILTER
 * <TAB>ATTRIBUTES" (scope base, one or sub; PAGE 0: no paged results, else
 * the page size of the Simple Paged Results control; the attributes
 * separated by spaces). Every value of every entry is looked at, in one
 * walk of the entry as ldapsearch makes, and dropped. The benchmark's measure of
 * what a pass of dirmail asks of the server, without the start and bind of
 * one ldapsearch per search. Exit 0 when every search succeeded, 1
 * otherwise, 2 for a usage error; a summary goes to stderr. Built on
 * demand: make tests/bench/paged-read. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldap.h>

#define PROG "paged-read"

#include "bench-ldap.h"

static void usage(void)
{
	fprintf(stderr, "usage: %s -H URI FILE\n", PROG);
	exit(2);
}

/* Looks at every value of entry m, in one walk as ldapsearch does;
 * returns how many there were. */
static unsigned long use_entry(LDAP *ld, LDAPMessage *m)
{
	struct berval dn, name, *vals = NULL;
	BerElement *ber = NULL;
	unsigned long n = 0;

	if (ldap_get_dn_ber(ld, m, &ber, &dn) != LDAP_SUCCESS)
		return 0;
	while (ldap_get_attribute_ber(ld, m, ber, &name, &vals) == LDAP_SUCCESS &&
	       name.bv_val != NULL) {
		size_t i;

		for (i = 0; vals != NULL && vals[i].bv_val != NULL; i++)
			n += vals[i].bv_len > 0;
		ber_memfree(vals);
		vals = NULL;
	}
	ber_memfree(vals);
	ber_free(ber, 0);
	return n;
}

/* Runs one search (every page); 0, or -1 with the reason printed. */
static int run(LDAP *ld, int scope, int page, const char *base, const char *filter, char **attrs,
               unsigned long *entries, unsigned long *values)
{
	struct berval cookie = {0, NULL};
	int rc = -1, more = 1;

	while (more) {
		LDAPControl *ctrl = NULL, *ctrls[2] = {NULL, NULL}, **got = NULL;
		LDAPMessage *res = NULL, *m;
		int msgid, err = LDAP_OTHER, done = 0;

		more = 0;
		if (page > 0) {
			if (ldap_create_page_control(ld, page, &cookie, 0, &ctrl) != LDAP_SUCCESS)
				goto out;
			ctrls[0] = ctrl;
		}
		err = ldap_search_ext(ld, base, scope, filter, attrs, 0, ctrls, NULL, NULL, 0,
		                      &msgid);
		ldap_control_free(ctrl);
		if (err != LDAP_SUCCESS)
			goto fail;
		while (!done && ldap_result(ld, msgid, LDAP_MSG_ONE, NULL, &res) > 0) {
			for (m = ldap_first_message(ld, res); m != NULL;
			     m = ldap_next_message(ld, m))
				if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY) {
					(*entries)++;
					*values += use_entry(ld, m);
				} else if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT) {
					done = 1;
					if (ldap_parse_result(ld, m, &err, NULL, NULL, NULL, &got,
					                      0) != LDAP_SUCCESS)
						err = LDAP_OTHER;
				}
			ldap_msgfree(res);
			res = NULL;
		}
		if (!done || err != LDAP_SUCCESS) {
			ldap_controls_free(got);
			goto fail;
		}
		if (page > 0) {
			LDAPControl *pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, got, NULL);
			ber_int_t estimate;

			ber_memfree(cookie.bv_val);
			cookie.bv_val = NULL;
			cookie.bv_len = 0;
			if (pc != NULL && ldap_parse_pageresponse_control(ld, pc, &estimate,
			                                                  &cookie) == LDAP_SUCCESS)
				more = cookie.bv_len > 0;
		}
		ldap_controls_free(got);
		continue;
	fail:
		fprintf(stderr, "%s: search %s %s: %s (%d)\n", PROG, base, filter,
		        ldap_err2string(err), err);
		goto out;
	}
	rc = 0;
out:
	ber_memfree(cookie.bv_val);
	return rc;
}

int main(int argc, char **argv)
{
	const char *uri = NULL, *file;
	unsigned long entries = 0, values = 0, searches = 0;
	char line[65536];
	LDAP *ld;
	FILE *f;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "H:")) != -1) {
		if (opt != 'H')
			usage();
		uri = optarg;
	}
	if (uri == NULL || optind + 1 != argc)
		usage();
	file = argv[optind];
	f = fopen(file, "r");
	if (f == NULL) {
		perror(file);
		return 1;
	}
	ld = connect_external(uri);
	if (ld == NULL) {
		fclose(f);
		return 1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *field[5], *attrs[128], *p = line, *save = NULL;
		size_t k, n = 0;
		int scope;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		for (k = 0; k < 5; k++) {
			field[k] = p;
			p = k < 4 ? strchr(p, '\t') : NULL;
			if (k < 4 && p == NULL) {
				fprintf(stderr, "%s: %s: a line without five fields\n", PROG, file);
				rc = 1;
				break;
			}
			if (p != NULL)
				*p++ = '\0';
		}
		if (rc != 0)
			break;
		scope = strcmp(field[0], "base") == 0  ? LDAP_SCOPE_BASE
		        : strcmp(field[0], "one") == 0 ? LDAP_SCOPE_ONELEVEL
		                                       : LDAP_SCOPE_SUBTREE;
		for (p = strtok_r(field[4], " ", &save); p != NULL && n + 1 < 128;
		     p = strtok_r(NULL, " ", &save))
			attrs[n++] = p;
		attrs[n] = NULL;
		if (run(ld, scope, atoi(field[1]), field[2], field[3], n ? attrs : NULL, &entries,
		        &values) < 0)
			rc = 1;
		searches++;
	}
	fclose(f);
	ldap_unbind_ext_s(ld, NULL, NULL);
	fprintf(stderr, "%s: %lu searches, %lu entries, %lu values\n", PROG, searches, entries,
	        values);
	return rc;
}
