/* account.h - the tenant's account entry (objectClass dirmailAccount).
 * Parsed once into a typed struct with defaults applied; every problem is
 * collected so an admin sees all of them at once. */
#ifndef DIRMAIL_ACCOUNT_H
#define DIRMAIL_ACCOUNT_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

struct strlist {
	char **v;
	size_t n;
};

struct account {
	char *dn;
	char *primary_domain;   /* dirmailPrimaryDomain, lowercased */
	struct strlist domains; /* dirmailDomain: further accepted domains */
	char *primary_template; /* dirmailPrimaryTemplate, default "%m" */
	struct strlist secondary_templates;
	long licences;                /* POP/IMAP mailbox licences, 0 when absent */
	long storage_total;           /* MB, 0 = none purchased/absent */
	long default_quota;           /* MB, default 10, 0 = unlimited */
	long warn_percent;            /* default 90 */
	long max_messages_per_hour;   /* default 500 */
	long max_recipients;          /* default 50 */
	char *catch_all;              /* DN of the main account */
	struct strlist address_lists; /* DNs */
	char *exchange_database;      /* DN for homeMDB */
	char *popimap_host;           /* targetAddress routing domain */
	long delete_threshold;        /* default 500 */
	char *contact_base;           /* default ou=contacts under the parent */
};

/* Parses e into a (freed with account_free). Returns 0, or -1 after
 * appending one "DN: attribute: reason" line per problem to errs; a then
 * holds every value that was valid. */
int account_parse(const struct entry *e, struct account *a, struct buf *errs) DM_WUR;
/* Checks an address template (%g %s %i %m %1g/%Ng %%); returns 0, or -1
 * with the reason appended to why. */
int account_check_template(const char *tmpl, struct buf *why) DM_WUR;
/* Checks a DNS domain name (letters, digits, '-', dot-separated labels of
 * at most 63 bytes, at most 253 in all); 0 or -1 with the reason in why. */
int account_check_domain(const char *domain, struct buf *why) DM_WUR;
/* The attributes account_parse reads, with objectClass and dirmailState,
 * NULL-terminated; static storage. */
const char *const *account_attrs(void);
/* Frees what account_parse allocated; accepts NULL. */
void account_free(struct account *a);

#endif
