/* schema.c - the names dirmail needs in a directory's schema, and the check.
 * One table says, per kind of directory, which file brings each name; the
 * check marks what a server's subschema publishes and reports the rest,
 * grouped by the file to load, in one message. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entry.h"
#include "ldapc.h"
#include "profile.h"
#include "schema.h"

/* Where a name comes from on each kind of directory. */
enum src {
	NONE,        /* not needed there */
	STD,         /* the server's own standard schema */
	DIRMAIL,     /* schema/dirmail.ldif */
	ADCOMPAT,    /* schema/ad-compat.ldif */
	DIRMAIL_AD,  /* schema/dirmail-ad.ldif */
	EXCHANGE_AD, /* schema/exchange-subset-ad.ldif, or Exchange's own */
};

/* Each name as reported on OpenLDAP ([0]) and on AD ([1]), and where it
 * comes from on each. */
static const struct {
	struct schema_need need[2];
	enum src src[2];
} needs[] = {
#define INTENT(n)                                                                                  \
	{                                                                                          \
		{{n, SCHEMA_ATTR, "dirmail.ldif"}, {n, SCHEMA_ATTR, "dirmail-ad.ldif"}},           \
		{                                                                                  \
			DIRMAIL, DIRMAIL_AD                                                        \
		}                                                                                  \
	}
    /* The account entry's. */
    INTENT("dirmailPrimaryDomain"),
    INTENT("dirmailDomain"),
    INTENT("dirmailPrimaryTemplate"),
    INTENT("dirmailSecondaryTemplate"),
    INTENT("dirmailLicences"),
    INTENT("dirmailStorageTotal"),
    INTENT("dirmailDefaultQuota"),
    INTENT("dirmailQuotaWarnPercent"),
    INTENT("dirmailMaxMessagesPerHour"),
    INTENT("dirmailMaxRecipients"),
    INTENT("dirmailCatchAll"),
    INTENT("dirmailAddressList"),
    INTENT("dirmailExchangeDatabase"),
    INTENT("dirmailPopImapHost"),
    INTENT("dirmailDeleteThreshold"),
    INTENT("dirmailContactBase"),
    /* Users' and lists'. */
    INTENT("dirmailService"),
    INTENT("dirmailPrimaryAddress"),
    INTENT("dirmailAlias"),
    INTENT("dirmailQuota"),
    INTENT("dirmailQuotaNotify"),
    INTENT("dirmailForwardTo"),
    INTENT("dirmailForwardKeepCopy"),
    INTENT("dirmailAutoReply"),
    INTENT("dirmailAutoReplyStart"),
    INTENT("dirmailAutoReplyEnd"),
    INTENT("dirmailHidden"),
    INTENT("dirmailDisabled"),
    INTENT("dirmailMemberFilter"),
    /* Derived, without an AD name. */
    INTENT("dirmailState"),
    INTENT("dirmailManagedAddress"),
    INTENT("dirmailMessageRateLimit"),
#undef INTENT
    {{{"dirmailAccount", SCHEMA_CLASS, "dirmail.ldif"},
      {"dirmailAccount", SCHEMA_CLASS, "dirmail-ad.ldif"}},
     {DIRMAIL, DIRMAIL_AD}},
    {{{"dirmailUser", SCHEMA_CLASS, "dirmail.ldif"},
      {"dirmailUser", SCHEMA_CLASS, "dirmail-ad.ldif"}},
     {DIRMAIL, DIRMAIL_AD}},
    {{{"dirmailList", SCHEMA_CLASS, "dirmail.ldif"},
      {"dirmailList", SCHEMA_CLASS, "dirmail-ad.ldif"}},
     {DIRMAIL, DIRMAIL_AD}},
    {{{"dirmailRecipient", SCHEMA_CLASS, "ad-compat.ldif"},
      {"dirmailRecipient", SCHEMA_CLASS, "dirmail-ad.ldif"}},
     {ADCOMPAT, DIRMAIL_AD}},
    /* Derived, Exchange's. */
    {{{"mailNickname", SCHEMA_ATTR, "ad-compat.ldif"},
      {"mailNickname", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"msExchHideFromAddressLists", SCHEMA_ATTR, "ad-compat.ldif"},
      {"msExchHideFromAddressLists", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"mDBUseDefaults", SCHEMA_ATTR, "ad-compat.ldif"},
      {"mDBUseDefaults", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"mDBStorageQuota", SCHEMA_ATTR, "ad-compat.ldif"},
      {"mDBStorageQuota", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"mDBOverQuotaLimit", SCHEMA_ATTR, "ad-compat.ldif"},
      {"mDBOverQuotaLimit", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"mDBOverHardQuotaLimit", SCHEMA_ATTR, "ad-compat.ldif"},
      {"mDBOverHardQuotaLimit", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"altRecipient", SCHEMA_ATTR, "ad-compat.ldif"},
      {"altRecipient", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"deliverAndRedirect", SCHEMA_ATTR, "ad-compat.ldif"},
      {"deliverAndRedirect", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"targetAddress", SCHEMA_ATTR, "ad-compat.ldif"},
      {"targetAddress", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"homeMDB", SCHEMA_ATTR, "ad-compat.ldif"},
      {"homeMDB", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"msExchRecipientTypeDetails", SCHEMA_ATTR, "ad-compat.ldif"},
      {"msExchRecipientTypeDetails", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"msExchRecipientDisplayType", SCHEMA_ATTR, "ad-compat.ldif"},
      {"msExchRecipientDisplayType", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"msExchRecipLimit", SCHEMA_ATTR, "ad-compat.ldif"},
      {"msExchRecipLimit", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    {{{"msExchMailboxGuid", SCHEMA_ATTR, "ad-compat.ldif"},
      {"msExchMailboxGuid", SCHEMA_ATTR, "exchange-subset-ad.ldif"}},
     {ADCOMPAT, EXCHANGE_AD}},
    /* In AD's base schema; on OpenLDAP in the project's. */
    {{{"proxyAddresses", SCHEMA_ATTR, "ad-compat.ldif"}, {"proxyAddresses", SCHEMA_ATTR, NULL}},
     {ADCOMPAT, STD}},
    {{{"showInAddressBook", SCHEMA_ATTR, "ad-compat.ldif"},
      {"showInAddressBook", SCHEMA_ATTR, NULL}},
     {ADCOMPAT, STD}},
    {{{"legacyExchangeDN", SCHEMA_ATTR, "ad-compat.ldif"}, {"legacyExchangeDN", SCHEMA_ATTR, NULL}},
     {ADCOMPAT, STD}},
    {{{"userAccountControl", SCHEMA_ATTR, "ad-compat.ldif"},
      {"userAccountControl", SCHEMA_ATTR, NULL}},
     {ADCOMPAT, STD}},
    /* Standard everywhere, or only where dirmail reads them. */
    {{{"mail", SCHEMA_ATTR, NULL}, {"mail", SCHEMA_ATTR, NULL}}, {STD, STD}},
    {{{"cn", SCHEMA_ATTR, NULL}, {"cn", SCHEMA_ATTR, NULL}}, {STD, STD}},
    {{{"sn", SCHEMA_ATTR, NULL}, {"sn", SCHEMA_ATTR, NULL}}, {STD, STD}},
    {{{"givenName", SCHEMA_ATTR, NULL}, {"givenName", SCHEMA_ATTR, NULL}}, {STD, STD}},
    {{{"initials", SCHEMA_ATTR, NULL}, {"initials", SCHEMA_ATTR, NULL}}, {STD, STD}},
    {{{"member", SCHEMA_ATTR, NULL}, {"member", SCHEMA_ATTR, NULL}}, {STD, STD}},
    {{{"uid", SCHEMA_ATTR, NULL}, {"uid", SCHEMA_ATTR, NULL}}, {STD, NONE}},
    {{{"sAMAccountName", SCHEMA_ATTR, NULL}, {"sAMAccountName", SCHEMA_ATTR, NULL}}, {NONE, STD}},
    {{{"inetOrgPerson", SCHEMA_CLASS, NULL}, {"inetOrgPerson", SCHEMA_CLASS, NULL}}, {STD, NONE}},
    {{{"user", SCHEMA_CLASS, NULL}, {"user", SCHEMA_CLASS, NULL}}, {NONE, STD}},
    {{{"group", SCHEMA_CLASS, NULL}, {"group", SCHEMA_CLASS, NULL}}, {NONE, STD}},
    {{{"contact", SCHEMA_CLASS, NULL}, {"contact", SCHEMA_CLASS, NULL}}, {NONE, STD}},
};

#define NNEEDS (sizeof(needs) / sizeof(needs[0]))

/* The files in the order they are loaded, then the standard schema. */
static const enum src src_order[] = {DIRMAIL, ADCOMPAT, DIRMAIL_AD, EXCHANGE_AD, STD};

/* The file a source stands for; NULL for the standard schema. */
static const char *src_file(enum src src)
{
	switch (src) {
	case DIRMAIL:
		return "dirmail.ldif";
	case ADCOMPAT:
		return "ad-compat.ldif";
	case DIRMAIL_AD:
		return "dirmail-ad.ldif";
	case EXCHANGE_AD:
		return "exchange-subset-ad.ldif";
	case NONE:
	case STD:
		break;
	}
	return NULL;
}

static enum src src_of(size_t i, enum schema_dir dir)
{
	return needs[i].src[dir == SCHEMA_AD];
}

static const struct schema_need *need_of(size_t i, enum schema_dir dir)
{
	return &needs[i].need[dir == SCHEMA_AD];
}

size_t schema_max_needs(void)
{
	return NNEEDS;
}

void schema_check_init(struct schema_check *s, enum schema_dir dir)
{
	_Static_assert(NNEEDS <= sizeof(s->found), "schema_check.found too small");
	memset(s, 0, sizeof(*s));
	s->dir = dir;
}

void schema_seen(struct schema_check *s, enum schema_kind kind, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NNEEDS; i++)
		if (needs[i].need[0].kind == kind && strlen(needs[i].need[0].name) == len &&
		    strncasecmp(needs[i].need[0].name, name, len) == 0)
			s->found[i] = 1;
}

/* One token of an RFC 4512 definition: "(", ")", a quoted string (its
 * contents) or a bare word. Returns 0 at the end, -1 on an unclosed quote,
 * else 1 with *tok / *len set and p advanced. */
static int token(const char **p, const char **tok, size_t *len, int *quoted)
{
	const char *s = *p;

	while (isspace((unsigned char)*s))
		s++;
	*quoted = 0;
	if (*s == '\0')
		return 0;
	if (*s == '(' || *s == ')') {
		*tok = s;
		*len = 1;
		*p = s + 1;
		return 1;
	}
	if (*s == '\'') {
		const char *e = strchr(s + 1, '\'');

		if (e == NULL)
			return -1;
		*tok = s + 1;
		*len = (size_t)(e - s - 1);
		*quoted = 1;
		*p = e + 1;
		return 1;
	}
	*tok = s;
	while (*s && !isspace((unsigned char)*s) && *s != '(' && *s != ')' && *s != '\'')
		s++;
	*len = (size_t)(s - *tok);
	*p = s;
	return 1;
}

#define MAX_NAMES 16

/* Is the word a keyword whose value is one bare word? */
static int is_valued(const char *w, size_t len)
{
	static const char *const kw[] = {"SUP",    "EQUALITY", "ORDERING",
	                                 "SUBSTR", "SYNTAX",   "USAGE"};
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (strlen(kw[i]) == len && strncmp(w, kw[i], len) == 0)
			return 1;
	return 0;
}

int schema_seen_def(struct schema_check *s, enum schema_kind kind, const char *def)
{
	const char *p = def, *tok, *names[MAX_NAMES];
	size_t len, lens[MAX_NAMES];
	int r, q, depth = 0, n = 0, i, in_name = 0, after_name = 0, skip_value = 0;

	while ((r = token(&p, &tok, &len, &q)) > 0) {
		if (!q && *tok == '(') {
			if (after_name)
				in_name = 1;
			after_name = 0;
			depth++;
			continue;
		}
		if (!q && *tok == ')') {
			if (--depth < 0)
				return -1;
			in_name = 0;
			continue;
		}
		if (q && (after_name || in_name)) {
			if (n == MAX_NAMES)
				return -1;
			names[n] = tok;
			lens[n++] = len;
			after_name = 0;
			continue;
		}
		after_name = 0;
		if (skip_value) {
			skip_value = 0;
			continue;
		}
		/* Keywords are upper case (RFC 4512); the names after SUP and the
		 * like are values ("SUP name"), never keywords. */
		if (!q && depth == 1 && len == 4 && strncmp(tok, "NAME", 4) == 0)
			after_name = 1;
		else if (!q && depth == 1 && is_valued(tok, len))
			skip_value = 1;
	}
	if (r < 0 || depth != 0 || after_name || in_name)
		return -1;
	for (i = 0; i < n; i++)
		schema_seen(s, kind, names[i], lens[i]);
	return n;
}

size_t schema_check_missing(const struct schema_check *s, const struct schema_need **missing)
{
	size_t i, k, n = 0;

	for (k = 0; k < sizeof(src_order) / sizeof(src_order[0]); k++)
		for (i = 0; i < NNEEDS; i++)
			if (!s->found[i] && src_of(i, s->dir) == src_order[k])
				missing[n++] = need_of(i, s->dir);
	return n;
}

size_t schema_missing(enum schema_dir dir, const char *const *attrs, size_t nattrs,
                      const char *const *classes, size_t nclasses,
                      const struct schema_need **missing)
{
	struct schema_check s;
	size_t i;

	schema_check_init(&s, dir);
	for (i = 0; i < nattrs; i++)
		schema_seen(&s, SCHEMA_ATTR, attrs[i], strlen(attrs[i]));
	for (i = 0; i < nclasses; i++)
		schema_seen(&s, SCHEMA_CLASS, classes[i], strlen(classes[i]));
	return schema_check_missing(&s, missing);
}

/* Appends "LABEL a, b, c" for the missing of one file and kind; sep goes
 * before it when something was written already. */
static int list_kind(struct buf *out, const struct schema_need *const *missing, size_t n,
                     const char *file, enum schema_kind kind, int *any)
{
	size_t i, cnt = 0;
	int first = 1;

	for (i = 0; i < n; i++)
		if (missing[i]->kind == kind &&
		    (missing[i]->file == file ||
		     (file && missing[i]->file && strcmp(missing[i]->file, file) == 0)))
			cnt++;
	if (cnt == 0)
		return 0;
	if (*any && buf_puts(out, "; ") < 0)
		return -1;
	*any = 1;
	if (buf_puts(out, kind == SCHEMA_ATTR
	                      ? (cnt == 1 ? "attribute type " : "attribute types ")
	                      : (cnt == 1 ? "object class " : "object classes ")) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (missing[i]->kind != kind ||
		    !(missing[i]->file == file ||
		      (file && missing[i]->file && strcmp(missing[i]->file, file) == 0)))
			continue;
		if (buf_printf(out, "%s%s", first ? "" : ", ", missing[i]->name) < 0)
			return -1;
		first = 0;
	}
	return 0;
}

int schema_report(struct buf *out, enum schema_dir dir, const struct schema_need *const *missing,
                  size_t n, const char *where, const char *schemadir)
{
	size_t k, i;

	if (buf_printf(out,
	               "the directory's schema (%s) lacks %zu name%s dirmail needs; load the "
	               "schema files named below, from %s (schema/ in the source), as the README "
	               "says (\"Schema\"), and try again:",
	               where, n, n == 1 ? "" : "s", schemadir) < 0)
		return -1;
	for (k = 0; k < sizeof(src_order) / sizeof(src_order[0]); k++) {
		const char *file = src_file(src_order[k]);
		int any = 0, has = 0;

		for (i = 0; i < n; i++)
			if ((file == NULL && missing[i]->file == NULL) ||
			    (file && missing[i]->file && strcmp(missing[i]->file, file) == 0))
				has = 1;
		if (!has)
			continue;
		if (file != NULL && buf_printf(out, "\n  %s", file) < 0)
			return -1;
		if (file != NULL && src_order[k] == EXCHANGE_AD &&
		    buf_puts(out,
		             " (not where Exchange's own schema is installed: it has them all)") <
		        0)
			return -1;
		if (file == NULL &&
		    buf_puts(out, dir == SCHEMA_AD ? "\n  Active Directory's base schema (not in "
		                                     "any file of dirmail's)"
		                                   : "\n  the server's standard schema (core, "
		                                     "cosine, inetorgperson)") < 0)
			return -1;
		if (buf_puts(out, ": ") < 0 ||
		    list_kind(out, missing, n, file, SCHEMA_ATTR, &any) < 0 ||
		    list_kind(out, missing, n, file, SCHEMA_CLASS, &any) < 0)
			return -1;
	}
	return 0;
}

/* The definitions of one attribute of the subschema entry, marked. Returns
 * how many names were found. */
static size_t mark_all(struct schema_check *s, const struct entry *e, const char *attr,
                       enum schema_kind kind)
{
	const struct entry_attr *a = entry_get(e, attr);
	size_t i, n = 0;
	int r;

	for (i = 0; a != NULL && i < a->nvals; i++) {
		r = schema_seen_def(s, kind, a->vals[i].val);
		if (r > 0)
			n += (size_t)r;
	}
	return n;
}

enum schema_rc schema_check_server(struct ldapc *c, const struct profile *p, const char *schemadir,
                                   size_t *nneeds, struct buf *err)
{
	static const char *const attrs[] = {"attributeTypes", "objectClasses", NULL};
	const struct schema_need **missing = NULL;
	struct schema_check s;
	struct entry *e = NULL;
	enum schema_rc rc = SCHEMA_OK;
	enum ldapc_rc lrc;
	size_t n, i;

	schema_check_init(&s, p->ad ? SCHEMA_AD : SCHEMA_LDAP);
	*nneeds = 0;
	for (i = 0; i < NNEEDS; i++)
		if (src_of(i, s.dir) != NONE)
			(*nneeds)++;
		else
			s.found[i] = 1;
	if (p->subschema == NULL) {
		if (buf_puts(err, "the server's rootDSE names no subschema entry "
		                  "(subschemaSubentry): its schema cannot be checked") < 0)
			return SCHEMA_NOMEM;
		return SCHEMA_UNREADABLE;
	}
	lrc = ldapc_read(c, p->subschema, attrs, &e, err);
	if (lrc == LDAPC_RETRY)
		return SCHEMA_RETRY;
	if (lrc != LDAPC_OK) {
		if (buf_puts(err, ": the schema cannot be checked") < 0)
			return SCHEMA_NOMEM;
		return SCHEMA_UNREADABLE;
	}
	if (mark_all(&s, e, "attributeTypes", SCHEMA_ATTR) +
	        mark_all(&s, e, "objectClasses", SCHEMA_CLASS) ==
	    0) {
		rc = buf_printf(err,
		                "%s: no attribute type or object class could be read: the schema "
		                "cannot be checked",
		                p->subschema) < 0
		         ? SCHEMA_NOMEM
		         : SCHEMA_UNREADABLE;
		goto done;
	}
	missing = calloc(NNEEDS, sizeof(*missing));
	if (missing == NULL) {
		rc = SCHEMA_NOMEM;
		goto done;
	}
	n = schema_check_missing(&s, missing);
	if (n > 0) {
		rc = schema_report(err, s.dir, missing, n, p->subschema, schemadir) < 0
		         ? SCHEMA_NOMEM
		         : SCHEMA_MISSING;
	}
done:
	free(missing);
	entry_free(e);
	return rc;
}
