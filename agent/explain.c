/* explain.c - one object's derived values and the decisions behind them.
 * Formats a policy decision and the wanted entry built from it, value by
 * value with its rule, for `dirmail explain`; never decides anything. */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "explain.h"
#include "utf8.h"

static const char *service_name(enum pol_service s)
{
	switch (s) {
	case POL_SERVICE_POP_IMAP:
		return "pop-imap";
	case POL_SERVICE_EXCHANGE:
		return "exchange";
	case POL_SERVICE_NONE:
		break;
	}
	return "none";
}

/* Is v printable text: well-formed UTF-8 without control characters? */
static int printable(const struct entry_val *v)
{
	const unsigned char *p = (const unsigned char *)v->val;
	size_t i = 0, n;
	uint32_t cp;

	while (i < v->len) {
		n = utf8_decode(p + i, v->len - i, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return 0;
		i += n;
	}
	return 1;
}

static int put_value(struct buf *out, const char *attr, const struct entry_val *v)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (printable(v))
		return buf_printf(out, "    %s: %.*s", attr, (int)v->len, v->val);
	if (buf_printf(out, "    %s: (%zu bytes) ", attr, v->len) < 0)
		return -1;
	for (i = 0; i < v->len; i++)
		if (buf_printf(out, "%c%c", hex[(unsigned char)v->val[i] >> 4],
		               hex[(unsigned char)v->val[i] & 15]) < 0)
			return -1;
	return 0;
}

/* The decision about the address addr (any case), or NULL. */
static const struct pol_addr_decision *addr_of(const struct pol_decision *d, const char *addr,
                                               size_t len)
{
	size_t i;

	for (i = 0; i < d->naddrs; i++)
		if (strlen(d->addrs[i].addr) == len &&
		    strncasecmp(d->addrs[i].addr, addr, len) == 0)
			return &d->addrs[i];
	return NULL;
}

/* Where an address comes from and how it was decided. */
static int put_addr_why(struct buf *out, const struct pol_addr_decision *x)
{
	int rc;

	switch (x->origin) {
	case POL_FROM_EXPLICIT:
		rc = buf_puts(out, "dirmailPrimaryAddress");
		break;
	case POL_FROM_TEMPLATE:
		rc = x->fallback
		         ? buf_printf(out, "template %s gave nothing usable (%s): %%m instead",
		                      x->tmpl ? x->tmpl : "?", x->fallback)
		         : buf_printf(out, "template %s", x->tmpl ? x->tmpl : "?");
		break;
	default:
		rc = buf_puts(out, "dirmailAlias");
		break;
	}
	if (rc < 0)
		return -1;
	switch (x->how) {
	case POL_ADDR_HELD:
		return x->suffix ? buf_printf(out, "; held already (with suffix %u)", x->suffix)
		                 : buf_puts(out, "; held already");
	case POL_ADDR_CLAIMED:
		return buf_puts(out, "; free, claimed");
	case POL_ADDR_SUFFIXED:
		return buf_printf(out, "; suffix %u: the form without it belongs to %s", x->suffix,
		                  x->by ? x->by : "another recipient");
	case POL_ADDR_REFUSED:
		return buf_printf(out, "; refused: it belongs to %s",
		                  x->by ? x->by : "another recipient");
	}
	return 0;
}

static int put_quota(struct buf *out, const struct pol_decision *d, const struct account *a)
{
	switch (d->quota) {
	case POL_QUOTA_OVERRIDE:
		return buf_printf(out, "%ld MB from the user's dirmailQuota", d->quota_mb);
	case POL_QUOTA_DEFAULT:
		return buf_printf(out, "%ld MB, the account's dirmailDefaultQuota", d->quota_mb);
	case POL_QUOTA_UNLIMITED:
		if (d->quota_mb > 0)
			return buf_printf(
			    out,
			    "unlimited (0), capped by the account's dirmailStorageTotal "
			    "of %ld MB",
			    a->storage_total);
		return buf_puts(out, "unlimited (0) and no dirmailStorageTotal: AD's maximum");
	case POL_QUOTA_NONE:
		break;
	}
	return buf_puts(out, "none (no mailbox)");
}

/* The rule behind value v of attr in the wanted entry. */
static int put_rule(struct buf *out, const char *attr, const struct entry_val *v,
                    const struct entry *cur, const struct pol_decision *d, const struct account *a)
{
	if (strcasecmp(attr, "proxyAddresses") == 0) {
		const char *s = v->val;
		size_t len = v->len;
		const struct pol_addr_decision *x;

		if (len > 5 && strncasecmp(s, "smtp:", 5) == 0) {
			s += 5;
			len -= 5;
		}
		x = addr_of(d, s, len);
		if (x != NULL)
			return buf_puts(out, x->primary ? "primary: " : "secondary: ") < 0
			           ? -1
			           : put_addr_why(out, x);
		if (entry_has_nocase(cur, "dirmailManagedAddress", s, len))
			return buf_puts(out, "a former address dirmail made: kept as a secondary, "
			                     "mail to it keeps arriving");
		return buf_puts(out, "not dirmail's: kept as it is");
	}
	if (strcasecmp(attr, "mail") == 0) {
		if (d->naddrs > 0 && d->addrs[0].primary)
			return buf_puts(out, "the primary address");
		return buf_puts(out, "not dirmail's: kept as it is");
	}
	if (strcasecmp(attr, "dirmailManagedAddress") == 0)
		return buf_puts(out, "an address dirmail made, so it is dirmail's to retire");
	if (strcasecmp(attr, "mailNickname") == 0)
		return buf_puts(out, "sAMAccountName, uid or cn, transliterated");
	if (strcasecmp(attr, "targetAddress") == 0)
		return buf_printf(out,
		                  "POP/IMAP routing: the primary's local part at "
		                  "dirmailPopImapHost %s",
		                  a->popimap_host ? a->popimap_host : "");
	if (strcasecmp(attr, "msExchRecipientTypeDetails") == 0 ||
	    strcasecmp(attr, "msExchRecipientDisplayType") == 0)
		return buf_printf(out, "the %s mailbox", service_name(d->service));
	if (strcasecmp(attr, "homeMDB") == 0)
		return buf_puts(out, "Exchange mailbox: the account's dirmailExchangeDatabase");
	if (strcasecmp(attr, "legacyExchangeDN") == 0 || strcasecmp(attr, "msExchMailboxGuid") == 0)
		return buf_puts(out, "Exchange mailbox identity: made once, then kept");
	if (strcasecmp(attr, "showInAddressBook") == 0)
		return buf_puts(out, "visible: the account's dirmailAddressList");
	if (strcasecmp(attr, "msExchHideFromAddressLists") == 0)
		return buf_puts(out, v->len == 4 ? "hidden: dirmailHidden TRUE or disabled"
		                                 : "visible in the address lists");
	if (strcasecmp(attr, "mDBUseDefaults") == 0)
		return buf_puts(out, "limits written on the object, read from there");
	if (strcasecmp(attr, "mDBOverQuotaLimit") == 0 ||
	    strcasecmp(attr, "mDBOverHardQuotaLimit") == 0)
		return buf_puts(out, "quota in KB: ") < 0 ? -1 : put_quota(out, d, a);
	if (strcasecmp(attr, "mDBStorageQuota") == 0)
		return buf_printf(out, "warning at the account's dirmailQuotaWarnPercent (%ld%%)",
		                  a->warn_percent);
	if (strcasecmp(attr, "altRecipient") == 0)
		return d->forward_external
		           ? buf_printf(out, "dirmailForwardTo %s: the mail contact made for it",
		                        d->forward ? d->forward : "")
		           : buf_printf(out, "dirmailForwardTo %s: the recipient holding it",
		                        d->forward ? d->forward : "");
	if (strcasecmp(attr, "deliverAndRedirect") == 0)
		return buf_puts(out, "dirmailForwardKeepCopy TRUE: the mailbox keeps a copy");
	if (strcasecmp(attr, "msExchRecipLimit") == 0)
		return buf_puts(out, "the account's dirmailMaxRecipients");
	if (strcasecmp(attr, "dirmailMessageRateLimit") == 0)
		return buf_puts(out, "the account's dirmailMaxMessagesPerHour");
	if (strcasecmp(attr, "member") == 0)
		return buf_puts(out, v->len == 0 ? "nobody: groupOfNames needs a member"
		                     : d->members == POL_MEMBERS_FILTER
		                         ? "matches dirmailMemberFilter and has a mailbox"
		                         : "a member with a mailbox");
	if (strcasecmp(attr, "dirmailState") == 0)
		return buf_puts(out, "the outcome above");
	return buf_puts(out, "derived");
}

static int put_header(struct buf *out, const struct entry *cur, const struct pol_decision *d,
                      const struct account *a)
{
	static const char *const kinds[] = {"user", "list", "other recipient"};

	if (buf_printf(out, "%s\n  kind:       %s\n", cur->dn, kinds[d->kind]) < 0)
		return -1;
	if (d->state != NULL && buf_printf(out, "  state:      %s\n", d->state) < 0)
		return -1;
	if (d->kind == POL_USER &&
	    buf_printf(out, "  service:    %s (dirmailService)\n", service_name(d->service)) < 0)
		return -1;
	switch (d->licence) {
	case POL_LICENCE_GRANTED:
		if (buf_printf(out,
		               "  licence:    granted: rank %u of %ld licences, in creation order, "
		               "existing mailboxes first\n",
		               d->licence_rank, d->licences) < 0)
			return -1;
		break;
	case POL_LICENCE_KEPT:
		if (buf_printf(out,
		               "  licence:    kept: the POP/IMAP mailbox exists (rank %u of %ld "
		               "licences)\n",
		               d->licence_rank, d->licences) < 0)
			return -1;
		break;
	case POL_LICENCE_WAITING:
		if (buf_printf(out,
		               "  licence:    waiting: rank %u of %ld licences, in creation order, "
		               "existing mailboxes first\n",
		               d->licence_rank, d->licences) < 0)
			return -1;
		break;
	case POL_LICENCE_NONE:
		break;
	}
	if (d->quota != POL_QUOTA_NONE && (buf_puts(out, "  quota:      ") < 0 ||
	                                   put_quota(out, d, a) < 0 || buf_puts(out, "\n") < 0))
		return -1;
	if (d->forward != NULL &&
	    buf_printf(out, "  forward:    %s: %s %s\n", d->forward,
	               d->forward_external ? "outside the account, to the mail contact"
	                                   : "to the recipient",
	               d->forward_dn ? d->forward_dn : "(none: see the state)") < 0)
		return -1;
	if (d->members != POL_MEMBERS_NONE &&
	    buf_printf(out, "  members:    %s\n",
	               d->members == POL_MEMBERS_FILTER ? "dirmailMemberFilter's matches"
	                                                : "the list's own member values") < 0)
		return -1;
	if (d->unused_contact &&
	    buf_puts(out, "  contact:    made by dirmail for forwarding; no forward uses it: "
	                  "deleted\n") < 0)
		return -1;
	return 0;
}

int explain_object(struct buf *out, const struct entry *cur, const struct entry *want,
                   const struct pol_decision *d, const struct account *a)
{
	const char *const *attrs = policy_diff_attrs();
	const struct entry *has = want ? want : cur;
	size_t i, k;
	int removed = 0;

	if (put_header(out, cur, d, a) < 0)
		return -1;
	for (i = 0; i < d->naddrs; i++)
		if ((i == 0 && buf_puts(out, "  addresses:\n") < 0) ||
		    buf_printf(out, "    %s  ", d->addrs[i].addr) < 0 ||
		    put_addr_why(out, &d->addrs[i]) < 0 || buf_puts(out, "\n") < 0)
			return -1;
	if (d->kind == POL_OTHER)
		return 0;
	if (buf_puts(out, "  values:\n") < 0)
		return -1;
	for (i = 0; attrs[i]; i++) {
		const struct entry_attr *x = entry_get(has, attrs[i]);

		for (k = 0; x != NULL && k < x->nvals; k++)
			if (put_value(out, x->name, &x->vals[k]) < 0 ||
			    buf_puts(out, "\n      <- ") < 0 ||
			    put_rule(out, x->name, &x->vals[k], cur, d, a) < 0 ||
			    buf_puts(out, "\n") < 0)
				return -1;
	}
	for (i = 0; want != NULL && attrs[i]; i++) {
		const struct entry_attr *x = entry_get(cur, attrs[i]);

		for (k = 0; x != NULL && k < x->nvals; k++) {
			if (entry_has_nocase(want, attrs[i], x->vals[k].val, x->vals[k].len))
				continue;
			if ((!removed++ && buf_puts(out, "  removed:\n") < 0) ||
			    put_value(out, x->name, &x->vals[k]) < 0 ||
			    buf_puts(out,
			             d->kind == POL_USER && d->service == POL_SERVICE_NONE
			                 ? "\n      <- service none: what dirmail serves goes\n"
			                 : "\n      <- no longer derived\n") < 0)
				return -1;
		}
	}
	return 0;
}
