/* account.c - the tenant's account entry.
 * Pure: entry in, typed account out, no I/O. Defaults are those of
 * SPEC §2; anything that cannot be used is reported, never guessed. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"

/* Above this a quota or storage value is a typo, not a purchase (1 PB). */
#define ACCOUNT_MB_MAX 1000000000L

static int add_err(struct buf *errs, const char *dn, const char *attr, const char *fmt, ...)
    DM_PRINTF(4, 5);

/* Appends "DN: attribute: reason" as one line; always returns -1. */
static int add_err(struct buf *errs, const char *dn, const char *attr, const char *fmt, ...)
{
	va_list ap;

	(void)!buf_printf(errs, "%s: %s: ", dn, attr);
	va_start(ap, fmt);
	(void)!buf_vprintf(errs, fmt, ap);
	va_end(ap);
	(void)!buf_puts(errs, "\n");
	return -1;
}

static int dup_str(char **out, const char *s)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -1;
}

static int dup_list(struct strlist *l, const struct entry *e, const char *attr)
{
	const struct entry_attr *a = entry_get(e, attr);
	size_t i;

	l->v = NULL;
	l->n = 0;
	if (a == NULL || a->nvals == 0)
		return 0;
	l->v = calloc(a->nvals, sizeof(*l->v));
	if (l->v == NULL)
		return -1;
	for (i = 0; i < a->nvals; i++) {
		l->v[i] = strdup(a->vals[i].val);
		if (l->v[i] == NULL)
			return -1;
		l->n++;
	}
	return 0;
}

static void lower(char *s)
{
	for (; s && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Reads a single integer attribute; absent keeps the default. */
static int get_long(const struct entry *e, const char *attr, long min, long max, long *out,
                    struct buf *errs)
{
	const struct entry_attr *a = entry_get(e, attr);
	const char *s;
	char *end;
	long v;

	if (a == NULL || a->nvals == 0)
		return 0;
	if (a->nvals > 1)
		return add_err(errs, e->dn, attr, "%s", "has several values, one expected");
	s = a->vals[0].val;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return add_err(errs, e->dn, attr, "'%s' is not an integer", s);
	if (v < min || v > max)
		return add_err(errs, e->dn, attr, "%ld is out of range (%ld..%ld)", v, min, max);
	*out = v;
	return 0;
}

int account_check_domain(const char *d, struct buf *why)
{
	size_t label = 0, total = strlen(d);
	const char *p;

	if (total == 0 || total > 253) {
		(void)!buf_puts(why, "a domain has 1 to 253 characters");
		return -1;
	}
	for (p = d; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.') {
			if (label == 0 || p[-1] == '-')
				goto bad;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-') || c >= 0x80)
			goto bad;
		if (c == '-' && label == 0)
			goto bad;
		if (++label > 63)
			goto bad;
	}
	if (label == 0 || p[-1] == '-')
		goto bad;
	return 0;
bad:
	(void)!buf_printf(why, "'%s' is not a valid domain name", d);
	return -1;
}

int account_check_template(const char *t, struct buf *why)
{
	const char *p;
	int produces = 0;

	if (*t == '\0') {
		(void)!buf_puts(why, "empty template");
		return -1;
	}
	for (p = t; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%') {
			p++;
			if (*p >= '1' && *p <= '9') {
				p++;
				if (*p != 'g' && *p != 's') {
					(void)!buf_printf(
					    why, "'%s': %%N must be followed by g or s", t);
					return -1;
				}
				produces = 1;
				continue;
			}
			if (*p == 'g' || *p == 's' || *p == 'i' || *p == 'm') {
				produces = 1;
				continue;
			}
			(void)!buf_printf(why, "'%s': unknown token '%%%.1s'", t, *p ? p : "");
			return -1;
		}
		if (!(isalnum(c) || c == '.' || c == '-' || c == '_') || c >= 0x80) {
			(void)!buf_printf(why, "'%s': '%c' is not allowed in a local part", t, c);
			return -1;
		}
		produces = 1;
	}
	if (!produces) {
		(void)!buf_printf(why, "'%s' produces nothing", t);
		return -1;
	}
	return 0;
}

static int check_domain_attr(const struct entry *e, const char *attr, const char *d,
                             struct buf *errs)
{
	struct buf why = BUF_INIT;
	int rc = account_check_domain(d, &why);

	if (rc < 0)
		add_err(errs, e->dn, attr, "%s", buf_str(&why));
	buf_free(&why);
	return rc;
}

static int check_template_attr(const struct entry *e, const char *attr, const char *t,
                               struct buf *errs)
{
	struct buf why = BUF_INIT;
	int rc = account_check_template(t, &why);

	if (rc < 0)
		add_err(errs, e->dn, attr, "%s", buf_str(&why));
	buf_free(&why);
	return rc;
}

/* The default contact base: ou=contacts next to the account entry. */
static int default_contact_base(const char *dn, char **out)
{
	const char *comma = strchr(dn, ',');
	struct buf b = BUF_INIT;

	/* An escaped comma in the account's own RDN is rare; skip it. */
	while (comma && comma > dn && comma[-1] == '\\')
		comma = strchr(comma + 1, ',');
	if (buf_puts(&b, "ou=contacts") < 0 || (comma && buf_puts(&b, comma) < 0)) {
		buf_free(&b);
		return -1;
	}
	*out = buf_steal(&b);
	return *out ? 0 : -1;
}

int account_parse(const struct entry *e, struct account *a, struct buf *errs)
{
	int bad = 0, nomem = 0;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->default_quota = 10;
	a->warn_percent = 90;
	a->max_messages_per_hour = 500;
	a->max_recipients = 50;
	a->delete_threshold = 500;

	if (dup_str(&a->dn, e->dn) < 0 ||
	    dup_str(&a->primary_domain, entry_first(e, "dirmailPrimaryDomain")) < 0 ||
	    dup_str(&a->primary_template, entry_first(e, "dirmailPrimaryTemplate")) < 0 ||
	    dup_str(&a->catch_all, entry_first(e, "dirmailCatchAll")) < 0 ||
	    dup_str(&a->exchange_database, entry_first(e, "dirmailExchangeDatabase")) < 0 ||
	    dup_str(&a->popimap_host, entry_first(e, "dirmailPopImapHost")) < 0 ||
	    dup_str(&a->contact_base, entry_first(e, "dirmailContactBase")) < 0 ||
	    dup_list(&a->domains, e, "dirmailDomain") < 0 ||
	    dup_list(&a->secondary_templates, e, "dirmailSecondaryTemplate") < 0 ||
	    dup_list(&a->address_lists, e, "dirmailAddressList") < 0)
		nomem = 1;
	if (!nomem && a->primary_template == NULL && (a->primary_template = strdup("%m")) == NULL)
		nomem = 1;
	if (!nomem && a->contact_base == NULL && default_contact_base(e->dn, &a->contact_base) < 0)
		nomem = 1;
	if (nomem) {
		(void)!buf_printf(errs, "%s: out of memory\n", e->dn);
		return -1;
	}

	if (a->primary_domain == NULL) {
		bad |= add_err(errs, e->dn, "dirmailPrimaryDomain", "%s",
		               "missing: every primary address needs a domain");
	} else {
		lower(a->primary_domain);
		bad |= check_domain_attr(e, "dirmailPrimaryDomain", a->primary_domain, errs);
	}
	for (i = 0; i < a->domains.n; i++) {
		lower(a->domains.v[i]);
		bad |= check_domain_attr(e, "dirmailDomain", a->domains.v[i], errs);
	}
	bad |= check_template_attr(e, "dirmailPrimaryTemplate", a->primary_template, errs);
	for (i = 0; i < a->secondary_templates.n; i++)
		bad |= check_template_attr(e, "dirmailSecondaryTemplate",
		                           a->secondary_templates.v[i], errs);
	if (a->popimap_host) {
		lower(a->popimap_host);
		bad |= check_domain_attr(e, "dirmailPopImapHost", a->popimap_host, errs);
	}

	bad |= get_long(e, "dirmailLicences", 0, 1000000, &a->licences, errs);
	if (a->licences % 10 != 0)
		bad |= add_err(errs, e->dn, "dirmailLicences",
		               "%ld is not a multiple of ten (licences come in packs of ten)",
		               a->licences);
	bad |= get_long(e, "dirmailStorageTotal", 0, ACCOUNT_MB_MAX, &a->storage_total, errs);
	bad |= get_long(e, "dirmailDefaultQuota", 0, ACCOUNT_MB_MAX, &a->default_quota, errs);
	bad |= get_long(e, "dirmailQuotaWarnPercent", 1, 100, &a->warn_percent, errs);
	bad |=
	    get_long(e, "dirmailMaxMessagesPerHour", 1, 1000000, &a->max_messages_per_hour, errs);
	bad |= get_long(e, "dirmailMaxRecipients", 1, 1000000, &a->max_recipients, errs);
	bad |= get_long(e, "dirmailDeleteThreshold", 0, 100000000, &a->delete_threshold, errs);
	if (a->catch_all == NULL)
		bad |= add_err(errs, e->dn, "dirmailCatchAll", "%s",
		               "missing: the main account must always exist");
	return bad ? -1 : 0;
}

static void free_list(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const char *const *account_attrs(void)
{
	static const char *const attrs[] = {"objectClass",
	                                    "dirmailState",
	                                    "dirmailPrimaryDomain",
	                                    "dirmailDomain",
	                                    "dirmailPrimaryTemplate",
	                                    "dirmailSecondaryTemplate",
	                                    "dirmailLicences",
	                                    "dirmailStorageTotal",
	                                    "dirmailDefaultQuota",
	                                    "dirmailQuotaWarnPercent",
	                                    "dirmailMaxMessagesPerHour",
	                                    "dirmailMaxRecipients",
	                                    "dirmailCatchAll",
	                                    "dirmailAddressList",
	                                    "dirmailExchangeDatabase",
	                                    "dirmailPopImapHost",
	                                    "dirmailDeleteThreshold",
	                                    "dirmailContactBase",
	                                    NULL};

	return attrs;
}

void account_free(struct account *a)
{
	if (a == NULL)
		return;
	free(a->dn);
	free(a->primary_domain);
	free_list(&a->domains);
	free(a->primary_template);
	free_list(&a->secondary_templates);
	free(a->catch_all);
	free_list(&a->address_lists);
	free(a->exchange_database);
	free(a->popimap_host);
	free(a->contact_base);
	memset(a, 0, sizeof(*a));
}
