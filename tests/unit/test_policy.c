/* test_policy.c - the rules of SPEC section 2, object by object.
 * Each case builds a small directory from LDIF-like text, runs the policy
 * and checks the wanted attributes and states ("got X, want Y"). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "account.h"
#include "diff.h"
#include "ldapc.h"
#include "policy.h"

#define BASE "dc=example,dc=test"
#define ACCT                                                                                       \
	"dn: cn=account," BASE "\n"                                                                \
	"objectClass: dirmailAccount\n"                                                            \
	"cn: account\n"                                                                            \
	"dirmailPrimaryDomain: example.test\n"                                                     \
	"dirmailDomain: example.org\n"                                                             \
	"dirmailPrimaryTemplate: %g.%s\n"                                                          \
	"dirmailSecondaryTemplate: %1g%s\n"                                                        \
	"dirmailLicences: 10\n"                                                                    \
	"dirmailStorageTotal: 2000\n"                                                              \
	"dirmailDefaultQuota: 10\n"                                                                \
	"dirmailCatchAll: uid=main,ou=people," BASE "\n"                                           \
	"dirmailAddressList: cn=GAL," BASE "\n"                                                    \
	"dirmailExchangeDatabase: cn=DB1," BASE "\n"                                               \
	"dirmailPopImapHost: pop.example.test\n"

/* A user "uid=ID,ou=people,..." with the given extra lines. */
#define USER(id, given, sn, created, extra)                                                        \
	"dn: uid=" id ",ou=people," BASE "\n"                                                      \
	"objectClass: inetOrgPerson\nobjectClass: dirmailUser\n"                                   \
	"uid: " id "\ngivenName: " given "\nsn: " sn "\ncreateTimestamp: " created "\n" extra

#define MAXOBJ 32

struct world {
	struct pol_ctx ctx;
	struct account acct;
	struct entry *acct_e;
	struct entry *e[MAXOBJ];
	struct pol_obj o[MAXOBJ];
	size_t n;
	struct pol_result res;
	unsigned guids;
};

/* Parses "attr: value" lines ("dn:" first) into an entry. */
static struct entry *parse(const char *text)
{
	struct entry *e = NULL;
	const char *p = text, *nl, *colon;

	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		colon = memchr(p, ':', (size_t)(nl - p));
		assert_non_null(colon);
		{
			char name[64];
			const char *v = colon + 1;

			snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
			if (*v == ' ')
				v++;
			if (e == NULL) {
				assert_string_equal(name, "dn");
				char dn[512];
				snprintf(dn, sizeof(dn), "%.*s", (int)(nl - v), v);
				e = entry_new(dn);
				assert_non_null(e);
			} else {
				assert_int_equal(entry_add(e, name, v, (size_t)(nl - v)), 0);
			}
		}
		p = *nl ? nl + 1 : nl;
	}
	return e;
}

static void fake_guid(unsigned char g[16], void *arg)
{
	struct world *w = arg;

	memset(g, 0, 16);
	g[15] = (unsigned char)++w->guids;
}

static void world_init(struct world *w, const char *acct_extra)
{
	struct buf errs = BUF_INIT, t = BUF_INIT;

	memset(w, 0, sizeof(*w));
	assert_int_equal(buf_printf(&t, "%s%s", ACCT, acct_extra ? acct_extra : ""), 0);
	w->acct_e = parse(buf_str(&t));
	if (account_parse(w->acct_e, &w->acct, &errs) < 0)
		fail_msg("account: %s", buf_str(&errs));
	buf_free(&errs);
	buf_free(&t);
}

static void add(struct world *w, const char *text)
{
	assert_true(w->n < MAXOBJ);
	w->e[w->n] = parse(text);
	w->o[w->n].e = w->e[w->n];
	w->o[w->n].kind = policy_kind(w->e[w->n]);
	w->n++;
}

/* The pass over w as production runs it, up to settle: drop_unchanged
 * set (so policy_take builds converged users as it reads them), every
 * object taken in order, the lists' filter matches handed over. The
 * caller frees the pass. */
static struct pol_pass *settled(struct world *w, struct pol_result *res)
{
	static const char *const contact[] = {"inetOrgPerson", "dirmailRecipient", NULL};
	struct pol_pass *pp;
	size_t i;

	memset(&w->ctx, 0, sizeof(w->ctx));
	w->ctx.acct = &w->acct;
	w->ctx.recipient_class = "dirmailRecipient";
	w->ctx.new_guid = fake_guid;
	w->ctx.guid_arg = w;
	w->ctx.dn_child = ldapc_dn_child;
	w->ctx.contact_classes = contact;
	w->ctx.drop_unchanged = 1;
	pp = policy_pass_new(&w->ctx);
	assert_non_null(pp);
	for (i = 0; i < w->n; i++) {
		const struct pol_obj *o = &w->o[i];

		assert_int_equal(policy_take(pp, w->e[i]), 0);
		if (o->filter_members || o->filter_error)
			assert_int_equal(policy_filter(pp, i, o->filter_members, o->nfilter_members,
			                               o->filter_error),
			                 0);
	}
	assert_int_equal(policy_settle(pp, res), 0);
	return pp;
}

/* The production path: settled, then every object built; what the pass
 * calls unchanged must build to nothing. */
static void run(struct world *w)
{
	struct pol_pass *pp = settled(w, &w->res);
	size_t i;

	for (i = 0; i < w->n; i++) {
		int known = policy_unchanged(pp, i);

		assert_int_equal(policy_build(pp, i, w->e[i], &w->o[i]), 0);
		if (known && w->o[i].want != NULL)
			fail_msg("%s: said unchanged, but its build wants a change", w->e[i]->dn);
	}
	policy_pass_free(pp);
}

static void world_free(struct world *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		policy_obj_clear(&w->o[i]);
		entry_free(w->e[i]);
	}
	entry_free(w->acct_e);
	account_free(&w->acct);
	policy_result_clear(&w->res);
	buf_free(&w->res.acct_state);
}

static struct pol_obj *obj(struct world *w, const char *dn_prefix)
{
	size_t i, l = strlen(dn_prefix);

	for (i = 0; i < w->n; i++)
		if (strncasecmp(w->e[i]->dn, dn_prefix, l) == 0 && w->e[i]->dn[l] == ',')
			return &w->o[i];
	fail_msg("no object %s", dn_prefix);
	return NULL;
}

/* What o is to hold after the pass: its wanted entry, or the entry as
 * read when nothing is to change (want NULL). */
static const struct entry *wanted(const struct pol_obj *o)
{
	return o->want ? o->want : o->e;
}

/* The values of attr in the wanted entry, sorted, joined by " | ". */
static char *vals(const struct pol_obj *o, const char *attr)
{
	const struct entry_attr *a = entry_get(wanted(o), attr);
	struct buf b = BUF_INIT;
	char **v;
	size_t i, j;

	if (a == NULL)
		return strdup("");
	v = calloc(a->nvals, sizeof(*v));
	for (i = 0; i < a->nvals; i++)
		v[i] = a->vals[i].val;
	for (i = 0; i < a->nvals; i++)
		for (j = i + 1; j < a->nvals; j++)
			if (strcmp(v[j], v[i]) < 0) {
				char *t = v[i];
				v[i] = v[j];
				v[j] = t;
			}
	for (i = 0; i < a->nvals; i++)
		(void)!buf_printf(&b, "%s%s", i ? " | " : "", v[i]);
	free(v);
	return b.s ? buf_steal(&b) : strdup("");
}

#define want_vals(o, attr, expect)                                                                 \
	do {                                                                                       \
		char *got_ = vals(o, attr);                                                        \
		if (strcmp(got_, expect) != 0)                                                     \
			fail_msg("%s %s: got \"%s\", want \"%s\"", (o)->e->dn, attr, got_,         \
			         expect);                                                          \
		free(got_);                                                                        \
	} while (0)

#define want_state(o, expect)                                                                      \
	do {                                                                                       \
		if (strncmp((o)->state, expect, strlen(expect)) != 0)                              \
			fail_msg("%s state: got \"%s\", want \"%s...\"", (o)->e->dn, (o)->state,   \
			         expect);                                                          \
	} while (0)

/* Nothing but dirmailState (and the recipient class) differs from e. */
static void same_attr(const struct pol_obj *o, const char *a)
{
	const struct entry_attr *x = entry_get(o->e, a), *y = entry_get(wanted(o), a);
	size_t i;

	if ((x == NULL) != (y == NULL) || (x && x->nvals != y->nvals))
		fail_msg("%s: %s changed on a blocked object", o->e->dn, a);
	for (i = 0; x && i < x->nvals; i++)
		if (!entry_has(wanted(o), a, x->vals[i].val, x->vals[i].len))
			fail_msg("%s: %s: %s changed on a blocked object", o->e->dn, a,
			         x->vals[i].val);
}

static void want_untouched(const struct pol_obj *o)
{
	const char *const *own = policy_owned_attrs();
	size_t i;

	for (i = 0; own[i]; i++)
		if (strcmp(own[i], "dirmailState") != 0)
			same_attr(o, own[i]);
	same_attr(o, "proxyAddresses");
	same_attr(o, "member");
}

/* The entry cur becomes once want is written: the compared attributes
 * (and objectClass) as want has them, everything else as it was. */
static struct entry *applied(const struct entry *cur, const struct entry *want,
                             const char *const *attrs)
{
	struct entry *next = entry_dup(cur);
	size_t i, j;

	assert_non_null(next);
	entry_del(next, "objectClass");
	for (i = 0; attrs[i]; i++)
		entry_del(next, attrs[i]);
	for (i = 0; i < want->nattrs; i++)
		for (j = 0; j < want->attrs[i].nvals; j++)
			assert_int_equal(entry_add(next, want->attrs[i].name,
			                           want->attrs[i].vals[j].val,
			                           want->attrs[i].vals[j].len),
			                 0);
	return next;
}

/* Applies want as the new current state and runs again: every object is
 * then unchanged, built to nothing. */
static void want_idempotent(struct world *w)
{
	const char *const *attrs = policy_diff_attrs();
	size_t i;

	for (i = 0; i < w->n; i++) {
		struct entry *next;

		if (w->o[i].want == NULL)
			continue; /* nothing to change, or no intent */
		next = applied(w->e[i], w->o[i].want, attrs);
		entry_free(w->e[i]);
		w->e[i] = next;
		w->o[i].e = next;
	}
	run(w);
	for (i = 0; i < w->n; i++) {
		struct diff d;

		if (w->o[i].want == NULL)
			continue;
		assert_int_equal(diff_entry(w->e[i], w->o[i].want, attrs, &d), 0);
		fail_msg("second pass changes %s: %s (%zu values)", w->e[i]->dn,
		         d.nb ? d.b[0].mods[0].attr : "objectClass or an equal value", d.nvals);
	}
}

/* ---- addresses ------------------------------------------------------------ */

static void test_generated_addresses(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("jmueller", "Jos\xc3\xa9", "M\xc3\xbcller", "20240101100000Z",
	             "dirmailService: pop-imap\n"));
	run(&w);
	o = obj(&w, "uid=jmueller");
	want_state(o, "ok");
	assert_int_equal(o->state_kind, POL_OK);
	want_vals(o, "mail", "jose.mueller@example.test");
	want_vals(o, "proxyAddresses",
	          "SMTP:jose.mueller@example.test | smtp:jmueller@example.org | "
	          "smtp:jmueller@example.test | smtp:jose.mueller@example.org");
	want_vals(o, "dirmailManagedAddress",
	          "jmueller@example.org | jmueller@example.test | jose.mueller@example.org | "
	          "jose.mueller@example.test");
	want_vals(o, "mailNickname", "jmueller");
	want_vals(o, "objectClass", "dirmailRecipient | dirmailUser | inetOrgPerson");
	want_idempotent(&w);
	world_free(&w);
}

static void test_collisions(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, NULL);
	/* smithj is older; jsmith sorts first by DN but came later. */
	add(&w, USER("smithj", "John", "Smith", "20240101120000Z", "dirmailService: pop-imap\n"));
	add(&w, USER("jsmith", "John", "Smith", "20240101160000Z", "dirmailService: pop-imap\n"));
	/* Same creation time: the smaller DN wins. */
	add(&w, USER("bmeier", "Berta", "Meier", "20240101170000Z", "dirmailService: exchange\n"));
	add(&w, USER("ameier", "Berta", "Meier", "20240101170000Z", "dirmailService: exchange\n"));
	/* aberg, created later, already holds jose.mueller@example.test: owners keep. */
	add(&w, USER("jmueller", "Jos\xc3\xa9", "M\xc3\xbcller", "20240101100000Z",
	             "dirmailService: pop-imap\n"));
	add(&w, USER("aberg", "Anna", "Berg", "20240101180000Z",
	             "dirmailService: pop-imap\nproxyAddresses: smtp:jose.mueller@example.test\n"));
	run(&w);
	want_vals(obj(&w, "uid=smithj"), "mail", "john.smith@example.test");
	want_vals(obj(&w, "uid=jsmith"), "proxyAddresses",
	          "SMTP:john.smith2@example.test | smtp:john.smith2@example.org | "
	          "smtp:jsmith2@example.org | smtp:jsmith2@example.test");
	want_vals(obj(&w, "uid=ameier"), "mail", "berta.meier@example.test");
	want_vals(obj(&w, "uid=bmeier"), "mail", "berta.meier2@example.test");
	/* Each address on its own: the .org one is free. */
	want_vals(obj(&w, "uid=jmueller"), "proxyAddresses",
	          "SMTP:jose.mueller2@example.test | smtp:jmueller@example.org | "
	          "smtp:jmueller@example.test | smtp:jose.mueller@example.org");
	want_vals(
	    obj(&w, "uid=aberg"), "proxyAddresses",
	    "SMTP:anna.berg@example.test | smtp:aberg@example.org | smtp:aberg@example.test | "
	    "smtp:anna.berg@example.org | smtp:jose.mueller@example.test");
	/* The foreign smtp: value of aberg is not dirmail's. */
	want_vals(obj(&w, "uid=aberg"), "dirmailManagedAddress",
	          "aberg@example.org | aberg@example.test | anna.berg@example.org | "
	          "anna.berg@example.test");
	want_idempotent(&w);
	/* The suffix stays once given, even in another run. */
	want_vals(obj(&w, "uid=jsmith"), "mail", "john.smith2@example.test");
	world_free(&w);
}

static void test_explicit_taken(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("aberg", "Anna", "Berg", "20240101180000Z",
	             "dirmailService: pop-imap\nproxyAddresses: smtp:anna@example.test\n"));
	add(&w, USER("ppan", "Peter", "Pan", "20240101100000Z",
	             "dirmailService: exchange\ndirmailPrimaryAddress: anna@example.test\n"));
	add(&w, USER("kweber", "Karin", "Weber", "20240101110000Z",
	             "dirmailService: exchange\ndirmailAlias: Anna\n"));
	run(&w);
	o = obj(&w, "uid=ppan");
	want_state(o, "address-taken: anna@example.test belongs to uid=aberg,ou=people," BASE);
	assert_int_equal(o->state_kind, POL_ADDRESS_TAKEN);
	want_untouched(o);
	want_vals(o, "mail", "");
	o = obj(&w, "uid=kweber");
	want_state(o, "address-taken: anna@example.test belongs to uid=aberg");
	want_untouched(o);
	world_free(&w);
}

static void test_foreign_values_and_adoption(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("aberg", "Anna", "Berg", "20240101180000Z",
	             "dirmailService: pop-imap\n"
	             "mail: anna.berg@example.test\n"
	             "proxyAddresses: SMTP:anna.berg@example.test\n"
	             "proxyAddresses: smtp:anna@example.test\n"
	             "proxyAddresses: X500:/o=Example/cn=aberg\n"
	             "proxyAddresses: SIP:anna.berg@example.test\n"));
	run(&w);
	o = obj(&w, "uid=aberg");
	want_vals(
	    o, "proxyAddresses",
	    "SIP:anna.berg@example.test | SMTP:anna.berg@example.test | X500:/o=Example/cn=aberg | "
	    "smtp:aberg@example.org | smtp:aberg@example.test | smtp:anna.berg@example.org | "
	    "smtp:anna@example.test");
	/* Adopted on first sight: the existing primary equals the generated one. */
	want_vals(o, "dirmailManagedAddress",
	          "aberg@example.org | aberg@example.test | anna.berg@example.org | "
	          "anna.berg@example.test");
	want_idempotent(&w);
	world_free(&w);
}

static void test_rename_keeps_old_addresses(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("jsmith", "John", "Smith", "20240101100000Z", "dirmailService: exchange\n"));
	run(&w);
	want_idempotent(&w);
	/* The admin renames John to Jon: the old addresses stay as secondaries. */
	entry_del(w.e[0], "givenName");
	assert_int_equal(entry_add(w.e[0], "givenName", "Jon", 3), 0);
	run(&w);
	o = obj(&w, "uid=jsmith");
	want_vals(o, "mail", "jon.smith@example.test");
	want_vals(o, "proxyAddresses",
	          "SMTP:jon.smith@example.test | smtp:john.smith@example.org | "
	          "smtp:john.smith@example.test | smtp:jon.smith@example.org | "
	          "smtp:jsmith@example.org | smtp:jsmith@example.test");
	assert_int_equal(o->deletions, 0);
	want_idempotent(&w);
	world_free(&w);
}

static void test_alias_retired(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("kweber", "Karin", "Weber", "20240101100000Z",
	             "dirmailService: exchange\ndirmailAlias: office@example.test\n"
	             "dirmailAlias: karin\n"));
	run(&w);
	o = obj(&w, "uid=kweber");
	want_vals(
	    o, "dirmailManagedAddress",
	    "alias:karin@example.org | alias:karin@example.test | alias:office@example.test | "
	    "karin.weber@example.org | karin.weber@example.test | kweber@example.org | "
	    "kweber@example.test");
	want_idempotent(&w);
	entry_del(w.e[0], "dirmailAlias");
	assert_int_equal(entry_add(w.e[0], "dirmailAlias", "karin", 5), 0);
	run(&w);
	o = obj(&w, "uid=kweber");
	want_vals(o, "proxyAddresses",
	          "SMTP:karin.weber@example.test | smtp:karin.weber@example.org | "
	          "smtp:karin@example.org | smtp:karin@example.test | smtp:kweber@example.org | "
	          "smtp:kweber@example.test");
	assert_int_equal(o->deletions, 1);
	world_free(&w);
}

static void test_invalid_input(void **state)
{
	static const struct {
		const char *extra, *state;
	} cases[] = {
	    {"dirmailService: imap\n", "invalid: dirmailService: \"imap\" is not pop-imap"},
	    {"dirmailService: pop-imap\ndirmailQuota: -5\n",
	     "invalid: dirmailQuota: -5 is negative"},
	    {"dirmailService: pop-imap\ndirmailQuota: lots\n", "invalid: dirmailQuota: \"lots\""},
	    {"dirmailService: pop-imap\ndirmailQuota: 5000\n",
	     "invalid: dirmailQuota: 5000 MB is more than the account's storage of 2000 MB"},
	    {"dirmailService: exchange\ndirmailPrimaryAddress: a b@example.test\n",
	     "invalid: dirmailPrimaryAddress: \"a b@example.test\""},
	    {"dirmailService: exchange\ndirmailPrimaryAddress: boss@elsewhere.test\n",
	     "invalid: dirmailPrimaryAddress: \"boss@elsewhere.test\": elsewhere.test is not a "
	     "domain"},
	    {"dirmailService: exchange\ndirmailAlias: a..b\n", "invalid: dirmailAlias: \"a..b\""},
	    {"dirmailService: exchange\ndirmailHidden: maybe\n",
	     "invalid: dirmailHidden: \"maybe\" is not TRUE or FALSE"},
	    {"dirmailService: exchange\ndirmailAutoReplyStart: tomorrow\n",
	     "invalid: dirmailAutoReplyStart"},
	    {"dirmailService: exchange\ndirmailAutoReplyStart: 20260815000000Z\n"
	     "dirmailAutoReplyEnd: 20260801000000Z\n",
	     "invalid: dirmailAutoReplyEnd lies before dirmailAutoReplyStart"},
	    {"dirmailService: exchange\ndirmailForwardTo: nowhere\n",
	     "invalid: dirmailForwardTo: \"nowhere\""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world w;
		struct buf t = BUF_INIT;

		world_init(&w, NULL);
		assert_int_equal(
		    buf_printf(&t, USER("x", "Xa", "Ver", "20240101100000Z", "%s"), cases[i].extra),
		    0);
		add(&w, buf_str(&t));
		run(&w);
		want_state(&w.o[0], cases[i].state);
		assert_int_equal(w.o[0].state_kind, POL_INVALID);
		want_untouched(&w.o[0]);
		buf_free(&t);
		world_free(&w);
	}
}

/* A template that gives an object nothing usable falls back to %m (its
 * uid here) for that object alone; the decision says which and why. Only
 * when %m gives nothing either is the object invalid. */
static void test_template_fallback(void **state)
{
	static const struct {
		const char *user; /* the entry, created in this order */
		const char *mail; /* "": invalid */
		const char *why;  /* the primary template's fallback, or the state */
	} cases[] = {
	    {"dn: uid=cher,ou=people," BASE "\nobjectClass: dirmailUser\nuid: cher\n"
	     "sn: Cher\n",
	     "cher@example.test", "no givenName for %g"},
	    {"dn: uid=nosn,ou=people," BASE "\nobjectClass: dirmailUser\nuid: nosn\n"
	     "givenName: Solo\n",
	     "nosn@example.test", "no sn for %s"},
	    {"dn: uid=snow,ou=people," BASE "\nobjectClass: dirmailUser\nuid: snow\n"
	     "givenName: \xe2\x98\x83\nsn: Man\n",
	     "snow@example.test", "givenName has no usable characters for %g"},
	    {"dn: uid=long,ou=people," BASE "\nobjectClass: dirmailUser\nuid: long\n"
	     "givenName: Maximiliansebastianus\n"
	     "sn: Wolfeschlegelsteinhausenbergerdorffvoralternwaren\n",
	     "long@example.test", "local part has 71 bytes, more than 64"},
	    {"dn: cn=\xe2\x80\xa0,ou=people," BASE "\nobjectClass: dirmailUser\n"
	     "cn: \xe2\x80\xa0\nsn: X\n",
	     "",
	     "invalid: dirmailPrimaryTemplate %g.%s: no givenName for %g; fallback %m: "
	     "mailNickname has no usable characters for %m"},
	    {"dn: uid=ivan,ou=people," BASE "\nobjectClass: dirmailUser\nuid: ivan\n"
	     "givenName: \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\n"
	     "sn: \xd0\x9f\xd0\xb5\xd1\x82\xd1\x80\xd0\xbe\xd0\xb2\n",
	     "ivan.petrov@example.test", NULL},
	};
	const struct pol_addr_decision *x;
	struct pol_decision d;
	struct pol_pass *pp;
	struct world w;
	char t[512];
	size_t i;

	(void)state;
	world_init(&w, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(t, sizeof(t),
		         "%sdirmailService: exchange\ncreateTimestamp: 2024010110%02zu00Z\n",
		         cases[i].user, i);
		add(&w, t);
	}
	run(&w);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pol_obj *o = &w.o[i];

		if (*cases[i].mail == '\0') {
			want_state(o, cases[i].why);
			assert_int_equal(o->state_kind, POL_INVALID);
			want_untouched(o);
			continue;
		}
		want_state(o, "ok");
		want_vals(o, "mail", cases[i].mail);
	}
	/* The secondary template %1g%s falls back as well; one address
	 * per domain, not two. */
	want_vals(&w.o[0], "proxyAddresses", "SMTP:cher@example.test | smtp:cher@example.org");
	want_idempotent(&w);

	pp = settled(&w, &w.res);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (*cases[i].mail == '\0')
			continue;
		assert_int_equal(policy_decision(pp, i, &d), 0);
		x = &d.addrs[0];
		assert_string_equal(x->addr, cases[i].mail);
		assert_int_equal(x->origin, POL_FROM_TEMPLATE);
		assert_string_equal(x->tmpl, "%g.%s");
		if (cases[i].why == NULL)
			assert_null(x->fallback);
		else
			assert_string_equal(x->fallback, cases[i].why);
		assert_string_equal(d.state, "ok");
		policy_decision_clear(&d);
	}
	policy_pass_free(pp);
	world_free(&w);
}

/* ---- services, licences ------------------------------------------------------ */

static void test_exclusivity(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("xex", "Xaver", "Exchange", "20240101100000Z",
	             "dirmailService: pop-imap\nhomeMDB: cn=DB1," BASE
	             "\nmsExchRecipientTypeDetails: 1\n"
	             "dirmailState: ok\n"));
	add(&w, USER("pop", "Paul", "Pop", "20240101110000Z",
	             "dirmailService: exchange\nmsExchRecipientTypeDetails: 128\n"
	             "targetAddress: SMTP:paul.pop@pop.example.test\ndirmailState: ok\n"));
	run(&w);
	o = obj(&w, "uid=xex");
	want_state(
	    o, "conflict: exchange-enabled: disable Exchange first; its mailbox will be deleted");
	want_untouched(o);
	o = obj(&w, "uid=pop");
	want_state(o, "conflict: pop-imap-enabled: disable POP/IMAP first");
	want_untouched(o);
	world_free(&w);

	/* exchange -> none removes the Exchange mailbox (a counted deletion). */
	world_init(&w, NULL);
	add(&w, USER("xex", "Xaver", "Exchange", "20240101100000Z", "dirmailService: exchange\n"));
	run(&w);
	want_vals(&w.o[0], "homeMDB", "cn=DB1," BASE);
	want_vals(&w.o[0], "msExchRecipientTypeDetails", "1");
	assert_int_equal(entry_get(wanted(&w.o[0]), "msExchMailboxGuid")->vals[0].len, 16);
	want_idempotent(&w);
	entry_del(w.e[0], "dirmailService");
	assert_int_equal(entry_add(w.e[0], "dirmailService", "none", 4), 0);
	run(&w);
	want_state(&w.o[0], "ok");
	want_vals(&w.o[0], "homeMDB", "");
	want_vals(&w.o[0], "msExchMailboxGuid", "");
	want_vals(&w.o[0], "mail", "");
	want_vals(&w.o[0], "proxyAddresses", "");
	assert_int_equal(w.o[0].deletions, 5); /* the mailbox and four addresses */
	want_idempotent(&w);
	/* ... and only then can pop-imap be enabled. */
	entry_del(w.e[0], "dirmailService");
	assert_int_equal(entry_add(w.e[0], "dirmailService", "pop-imap", 8), 0);
	run(&w);
	want_state(&w.o[0], "ok");
	want_vals(&w.o[0], "targetAddress", "SMTP:xaver.exchange@pop.example.test");
	want_vals(&w.o[0], "msExchRecipientTypeDetails", "128");
	world_free(&w);
}

static void test_licences(void **state)
{
	struct world w;
	char t[512], id[16];
	int i;

	(void)state;
	world_init(&w, NULL);
	/* An existing POP/IMAP mailbox in conflict keeps its licence. */
	add(&w,
	    USER("held", "Held", "Box", "20240109000000Z",
	         "dirmailService: exchange\nmsExchRecipientTypeDetails: 128\ndirmailState: ok\n"));
	/* Blocked for another reason: no licence taken. */
	add(&w, USER("bad", "Bad", "Quota", "20240101000000Z",
	             "dirmailService: pop-imap\ndirmailQuota: -1\n"));
	for (i = 0; i < 11; i++) {
		snprintf(id, sizeof(id), "u%02d", i);
		snprintf(t, sizeof(t),
		         "dn: uid=%s,ou=people," BASE "\nobjectClass: dirmailUser\nuid: %s\n"
		         "givenName: U\nsn: %s\ndirmailService: pop-imap\n"
		         "createTimestamp: 202401020000%02dZ\n",
		         id, id, id, i);
		add(&w, t);
	}
	run(&w);
	for (i = 0; i < 9; i++)
		want_state(&w.o[2 + i], "ok");
	want_state(obj(&w, "uid=u09"), "over-licence: all 10 POP/IMAP licences are in use");
	want_state(obj(&w, "uid=u10"), "over-licence");
	assert_int_equal(obj(&w, "uid=u10")->state_kind, POL_OVER_LICENCE);
	want_untouched(obj(&w, "uid=u10"));
	want_state(obj(&w, "uid=bad"), "invalid");
	want_state(obj(&w, "uid=held"), "conflict: pop-imap-enabled");
	assert_int_equal(obj(&w, "uid=held")->state_kind, POL_CONFLICT);
	/* The figures dirmail status shows: the kept one and nine granted,
	 * two waiting. */
	assert_int_equal(w.res.licences_used, 10);
	assert_int_equal(w.res.licences_waiting, 2);
	want_idempotent(&w);
	want_state(obj(&w, "uid=u09"), "over-licence");
	/* A freed licence goes to the next in line. */
	entry_del(w.e[2], "dirmailService");
	assert_int_equal(entry_add(w.e[2], "dirmailService", "none", 4), 0);
	run(&w);
	want_state(obj(&w, "uid=u09"), "ok");
	want_state(obj(&w, "uid=u10"), "over-licence");
	assert_int_equal(w.res.licences_used, 10);
	assert_int_equal(w.res.licences_waiting, 1);
	world_free(&w);
}

static void test_catch_all(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("main", "Main", "Account", "20240101090000Z",
	             "dirmailService: none\nmsExchRecipientTypeDetails: 128\n"
	             "targetAddress: SMTP:main.account@pop.example.test\ndirmailState: ok\n"));
	run(&w);
	want_state(&w.o[0], "conflict: catch-all:");
	want_untouched(&w.o[0]);
	world_free(&w);
	world_init(&w, NULL);
	add(&w, USER("main", "Main", "Account", "20240101090000Z",
	             "dirmailService: pop-imap\ndirmailDisabled: TRUE\n"));
	run(&w);
	want_state(&w.o[0], "conflict: catch-all:");
	world_free(&w);
}

/* ---- quotas, GAL, limits, forwarding --------------------------------------- */

static void test_quotas(void **state)
{
	static const struct {
		const char *extra, *hard, *warn;
	} cases[] = {
	    {"", "10240", "9216"},
	    {"dirmailQuota: 500\n", "512000", "460800"},
	    {"dirmailQuota: 0\n", "2048000", "1843200"},
	    {"dirmailQuotaNotify: FALSE\n", "10240", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world w;
		struct buf t = BUF_INIT;

		world_init(&w, NULL);
		assert_int_equal(buf_printf(&t,
		                            USER("q", "Quo", "Ta", "20240101100000Z",
		                                 "dirmailService: pop-imap\n%s"),
		                            cases[i].extra),
		                 0);
		add(&w, buf_str(&t));
		run(&w);
		want_state(&w.o[0], "ok");
		want_vals(&w.o[0], "mDBUseDefaults", "FALSE");
		want_vals(&w.o[0], "mDBOverQuotaLimit", cases[i].hard);
		want_vals(&w.o[0], "mDBOverHardQuotaLimit", cases[i].hard);
		want_vals(&w.o[0], "mDBStorageQuota", cases[i].warn);
		buf_free(&t);
		world_free(&w);
	}
}

static void test_quota_clamp_and_overallocation(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, NULL);
	/* 2000 MB account: two 1500 MB mailboxes are over-allocated. */
	add(&w, USER("a", "Aa", "Aa", "20240101100000Z",
	             "dirmailService: pop-imap\ndirmailQuota: 1500\n"));
	add(&w, USER("b", "Bb", "Bb", "20240101110000Z",
	             "dirmailService: exchange\ndirmailQuota: 1500\n"));
	run(&w);
	assert_string_equal(
	    buf_str(&w.res.acct_state),
	    "over-allocated: mailbox quotas add up to 3000 MB and the account has 2000 MB");
	assert_int_equal(w.res.acct_state_kind, POL_OVER_ALLOCATED);
	assert_int_equal(w.res.allocated_mb, 3000);
	world_free(&w);
	/* Unlimited on an account of 5 TB is clamped to AD's 32-bit range. */
	{
		struct buf errs = BUF_INIT;

		world_init(&w, NULL);
		entry_del(w.acct_e, "dirmailStorageTotal");
		assert_int_equal(entry_add(w.acct_e, "dirmailStorageTotal", "5000000", 7), 0);
		account_free(&w.acct);
		assert_int_equal(account_parse(w.acct_e, &w.acct, &errs), 0);
		buf_free(&errs);
		add(&w, USER("u", "Un", "Limited", "20240101100000Z",
		             "dirmailService: pop-imap\ndirmailQuota: 0\n"));
		run(&w);
		want_vals(&w.o[0], "mDBOverHardQuotaLimit", "2147483647");
		want_vals(&w.o[0], "mDBStorageQuota", "1932735282");
		assert_string_equal(buf_str(&w.res.acct_state), "ok");
		/* unlimited counts as the whole account */
		assert_int_equal(w.res.allocated_mb, 5000000);
		world_free(&w);
	}
}

static void test_gal_and_limits(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("vis", "Vi", "Sible", "20240101100000Z", "dirmailService: exchange\n"));
	add(&w, USER("hid", "Hi", "Dden", "20240101110000Z",
	             "dirmailService: exchange\ndirmailHidden: TRUE\n"));
	add(&w, USER("dis", "Dis", "Abled", "20240101120000Z",
	             "dirmailService: pop-imap\nuserAccountControl: 514\n"));
	run(&w);
	want_vals(obj(&w, "uid=vis"), "showInAddressBook", "cn=GAL," BASE);
	want_vals(obj(&w, "uid=vis"), "msExchHideFromAddressLists", "FALSE");
	want_vals(obj(&w, "uid=hid"), "showInAddressBook", "");
	want_vals(obj(&w, "uid=hid"), "msExchHideFromAddressLists", "TRUE");
	/* Disabled: keeps the mailbox, leaves the GAL. */
	want_vals(obj(&w, "uid=dis"), "showInAddressBook", "");
	want_vals(obj(&w, "uid=dis"), "msExchRecipientTypeDetails", "128");
	want_vals(obj(&w, "uid=vis"), "msExchRecipLimit", "50");
	want_vals(obj(&w, "uid=vis"), "dirmailMessageRateLimit", "500");
	want_idempotent(&w);
	world_free(&w);
}

static void test_forwarding(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("jgross", "J\xc3\xbcrgen", "Gro\xc3\x9f", "20240101100000Z",
	             "dirmailService: pop-imap\n"));
	add(&w, USER("fvogel", "Felix", "Vogel", "20240101110000Z",
	             "dirmailService: exchange\ndirmailForwardTo: Juergen.Gross@example.test\n"
	             "dirmailForwardKeepCopy: TRUE\n"));
	add(&w, USER("self", "Se", "Lf", "20240101120000Z",
	             "dirmailService: exchange\ndirmailForwardTo: se.lf@example.test\n"));
	run(&w);
	want_vals(obj(&w, "uid=jgross"), "mail", "juergen.gross@example.test");
	want_vals(obj(&w, "uid=fvogel"), "altRecipient", "uid=jgross,ou=people," BASE);
	want_vals(obj(&w, "uid=fvogel"), "deliverAndRedirect", "TRUE");
	want_state(obj(&w, "uid=self"),
	           "invalid: dirmailForwardTo: se.lf@example.test is the user's own");
	want_idempotent(&w);
	/* The target leaves the service: its addresses are free in this very
	 * pass, so the forwarding is refused now rather than a pass later. */
	entry_del(w.e[0], "dirmailService");
	assert_int_equal(entry_add(w.e[0], "dirmailService", "none", 4), 0);
	run(&w);
	want_state(
	    obj(&w, "uid=fvogel"),
	    "invalid: dirmailForwardTo: no recipient has the address Juergen.Gross@example.test");
	world_free(&w);
}

/* A value already past AD's limit: the object is refused before it claims
 * anything, so a namesake gets the address it would have taken. */
static void test_overlong_proxy(void **state)
{
	struct world w;
	struct buf t = BUF_INIT, x500 = BUF_INIT;
	size_t i;

	(void)state;
	world_init(&w, NULL);
	for (i = 0; i < 1200; i++)
		assert_int_equal(buf_puts(&x500, "o"), 0);
	assert_int_equal(buf_printf(&t,
	                            USER("long", "Ann", "Lee", "20240101100000Z",
	                                 "dirmailService: pop-imap\nproxyAddresses: X500:%s\n"),
	                            buf_str(&x500)),
	                 0);
	add(&w, buf_str(&t));
	add(&w, USER("later", "Ann", "Lee", "20240101110000Z", "dirmailService: pop-imap\n"));
	run(&w);
	want_state(obj(&w, "uid=long"),
	           "invalid: a proxyAddresses value would exceed 1123 characters");
	want_untouched(obj(&w, "uid=long"));
	want_vals(obj(&w, "uid=later"), "mail", "ann.lee@example.test");
	buf_free(&t);
	buf_free(&x500);
	world_free(&w);
}

/* The streamed pass: entries are borrowed only while taken and built, each
 * object can be built again (the same result), and misuse is refused. */
static void test_streamed_pass(void **state)
{
	static const char *const contact[] = {"inetOrgPerson", "dirmailRecipient", NULL};
	static const char *const texts[] = {
	    USER("jsmith", "John", "Smith", "20240101120000Z", "dirmailService: pop-imap\n"),
	    USER("smithj", "John", "Smith", "20240101100000Z", "dirmailService: pop-imap\n"),
	    USER("fwd", "Fo", "Rward", "20240101130000Z",
	         "dirmailService: pop-imap\ndirmailForwardTo: x@partner.example.net\n"),
	    "dn: cn=team,ou=lists," BASE "\nobjectClass: groupOfNames\nobjectClass: dirmailList\n"
	    "cn: team\ncreateTimestamp: 20240101140000Z\n"
	    "member: uid=jsmith,ou=people," BASE "\nmember: uid=gone,ou=people," BASE "\n",
	};
	struct world w;
	struct pol_ctx ctx = {NULL,    0, "dirmailRecipient", fake_guid, NULL, ldapc_dn_child,
	                      contact, 1};
	struct pol_result res = {BUF_INIT, NULL, 0, POL_OK, 0, 0, 0};
	struct pol_pass *pp;
	struct pol_obj o;
	size_t i, k, n = sizeof(texts) / sizeof(texts[0]);

	(void)state;
	world_init(&w, NULL);
	ctx.acct = &w.acct;
	ctx.guid_arg = &w;
	for (i = 0; i < n; i++)
		add(&w, texts[i]);
	run(&w);

	pp = policy_pass_new(&ctx);
	assert_non_null(pp);
	memset(&o, 0, sizeof(o));
	for (i = 0; i < n; i++) {
		struct entry *e = parse(texts[i]);

		assert_int_equal(policy_take(pp, e), 0);
		entry_free(e); /* borrowed for the call only */
	}
	assert_int_equal(policy_count(pp), n);
	assert_string_equal(policy_dn(pp, 3), "cn=team,ou=lists," BASE);
	assert_int_equal(policy_obj_kind(pp, 3), POL_LIST);
	assert_int_equal(policy_build(pp, 0, w.e[0], &o), -1);     /* not settled */
	assert_int_equal(policy_filter(pp, 0, NULL, 0, NULL), -1); /* not a list */
	assert_int_equal(policy_settle(pp, &res), 0);
	assert_int_equal(policy_settle(pp, &res), -1);
	assert_int_equal(policy_take(pp, w.e[0]), -1);
	assert_int_equal(policy_build(pp, 0, w.e[1], &o), -1); /* another object */
	assert_int_equal(res.nadds, 1);
	assert_string_equal(policy_forward_dn(pp, 2), res.adds[0]->dn);
	assert_null(policy_forward_dn(pp, 0));
	assert_int_equal(policy_unused_contact(pp, 0), 0);
	assert_string_equal(buf_str(&res.acct_state), buf_str(&w.res.acct_state));
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++) {
			const char *const *attrs = policy_diff_attrs();
			struct entry *e = parse(texts[i]);
			struct diff d;

			assert_int_equal(policy_build(pp, i, e, &o), 0);
			assert_string_equal(o.state, w.o[i].state);
			assert_int_equal(o.deletions, w.o[i].deletions);
			/* Same as the whole pass: no difference between the two. */
			assert_int_equal(diff_entry(wanted(&w.o[i]), wanted(&o), attrs, &d), 0);
			if (d.nb != 0)
				fail_msg("%s: streamed build differs in %s", e->dn,
				         d.b[0].mods[0].attr);
			diff_free(&d);
			policy_obj_clear(&o);
			entry_free(e);
		}
	want_vals(obj(&w, "cn=team"), "member", "uid=jsmith,ou=people," BASE);
	policy_pass_free(pp);
	policy_pass_free(NULL);
	/* The whole pass at once, nothing dropped, decides the same. */
	{
		const char *const *attrs = policy_diff_attrs();
		struct pol_obj all[sizeof(texts) / sizeof(texts[0])];
		struct diff d;

		memset(all, 0, sizeof(all));
		for (i = 0; i < n; i++) {
			all[i].e = w.e[i];
			all[i].kind = policy_kind(w.e[i]);
		}
		ctx.drop_unchanged = 0;
		assert_int_equal(policy_run(&ctx, all, n, &res), 0);
		for (i = 0; i < n; i++) {
			assert_non_null(all[i].want);
			assert_string_equal(all[i].state, w.o[i].state);
			assert_int_equal(all[i].state_kind, w.o[i].state_kind);
			assert_int_equal(diff_entry(all[i].want, wanted(&w.o[i]), attrs, &d), 0);
			assert_int_equal(d.nb, 0);
			diff_free(&d);
			policy_obj_clear(&all[i]);
		}
	}
	policy_result_clear(&res);
	buf_free(&res.acct_state);
	world_free(&w);
}

/* A streamed pass with drop_unchanged over w's current entries: for every
 * object policy_unchanged says 1 for, a full build must want nothing.
 * Returns how many it said 1 for; *changed gets the DN prefix test of
 * the objects that want a change (joined uids). */
static size_t known_unchanged(struct world *w, struct buf *changed)
{
	struct pol_result res = {BUF_INIT, NULL, 0, POL_OK, 0, 0, 0};
	struct pol_pass *pp = settled(w, &res);
	struct pol_obj o;
	size_t i, known = 0;

	memset(&o, 0, sizeof(o));
	buf_reset(changed);
	for (i = 0; i < w->n; i++) {
		int k = policy_unchanged(pp, i);

		assert_int_equal(policy_build(pp, i, w->e[i], &o), 0);
		if (k && o.want != NULL)
			fail_msg("%s: said unchanged, but a build wants a change", w->e[i]->dn);
		known += (size_t)k;
		if (o.want != NULL)
			assert_int_equal(buf_printf(changed, "%s%s", changed->len ? " " : "",
			                            entry_first(w->e[i], "uid")),
			                 0);
		policy_obj_clear(&o);
	}
	policy_pass_free(pp);
	policy_result_clear(&res);
	buf_free(&res.acct_state);
	return known;
}

/* Converged users are known unchanged as they are read; what settle
 * changes for one of them is noticed. */
static void test_known_unchanged(void **state)
{
	struct world w;
	struct buf changed = BUF_INIT;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("smithj", "John", "Smith", "20240101100000Z", "dirmailService: pop-imap\n"));
	add(&w, USER("jsmith", "John", "Smith", "20240101110000Z", "dirmailService: exchange\n"));
	add(&w, USER("bad", "Ba", "D", "20240101120000Z", "dirmailService: imap\n"));
	add(&w, USER("off", "Of", "F", "20240101130000Z", "dirmailService: none\n"));
	add(&w, USER("fw", "Fo", "Rward", "20240101140000Z",
	             "dirmailService: pop-imap\ndirmailForwardTo: john.smith@example.test\n"));
	run(&w);
	want_idempotent(&w);
	/* Converged: every one is known unchanged as it is read. */
	assert_int_equal(known_unchanged(&w, &changed), 5);
	assert_string_equal(buf_str(&changed), "");
	/* smithj leaves: jsmith may now take john.smith, and fw's forward
	 * has nobody to go to; both are built, not assumed. */
	entry_del(w.e[0], "dirmailService");
	assert_int_equal(entry_add(w.e[0], "dirmailService", "none", 4), 0);
	assert_int_equal(known_unchanged(&w, &changed), 2);
	assert_string_equal(buf_str(&changed), "smithj jsmith fw");
	buf_free(&changed);
	world_free(&w);
}

static void test_drop_unchanged(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("a", "Aa", "Aa", "20240101100000Z", "dirmailService: pop-imap\n"));
	add(&w, USER("b", "Bb", "Bb", "20240101110000Z", "dirmailService: exchange\n"));
	run(&w);
	want_idempotent(&w);
	/* Converged: with drop_unchanged, nothing is kept, states still known. */
	run(&w);
	assert_null(w.o[0].want);
	assert_null(w.o[1].want);
	want_state(&w.o[0], "ok");
	assert_int_equal(w.o[0].managed, 1);
	/* One changes: only its wanted entry is kept. */
	assert_int_equal(entry_add(w.e[1], "dirmailHidden", "TRUE", 4), 0);
	run(&w);
	assert_null(w.o[0].want);
	assert_non_null(w.o[1].want);
	want_vals(&w.o[1], "msExchHideFromAddressLists", "TRUE");
	world_free(&w);
}

static void test_external_forwarding(void **state)
{
	struct world w;
	struct entry *c;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("efern", "Erika", "Fern", "20240101100000Z",
	             "dirmailService: exchange\ndirmailForwardTo: Erika.Fern@example.net\n"
	             "dirmailForwardKeepCopy: TRUE\n"));
	add(&w, USER("other", "Ot", "Her", "20240101110000Z",
	             "dirmailService: exchange\ndirmailForwardTo: erika.fern@example.net\n"));
	run(&w);
	/* One contact for both, under the contact base, hidden from the GAL. */
	assert_int_equal(w.res.nadds, 1);
	c = w.res.adds[0];
	assert_string_equal(c->dn, "cn=erika.fern@example.net,ou=contacts," BASE);
	assert_string_equal(entry_first(c, "mail"), "erika.fern@example.net");
	assert_string_equal(entry_first(c, "targetAddress"), "SMTP:erika.fern@example.net");
	assert_string_equal(entry_first(c, "msExchHideFromAddressLists"), "TRUE");
	want_vals(obj(&w, "uid=efern"), "altRecipient",
	          "cn=erika.fern@example.net,ou=contacts," BASE);
	want_vals(obj(&w, "uid=efern"), "deliverAndRedirect", "TRUE");
	want_vals(obj(&w, "uid=other"), "altRecipient",
	          "cn=erika.fern@example.net,ou=contacts," BASE);
	want_vals(obj(&w, "uid=other"), "deliverAndRedirect", "");
	/* Once it exists it is reused, not created again. */
	c = entry_dup(w.res.adds[0]);
	want_idempotent(&w);
	add(&w, "dn: cn=erika.fern@example.net,ou=contacts," BASE "\n");
	entry_free(w.e[w.n - 1]);
	w.e[w.n - 1] = c;
	w.o[w.n - 1].e = c;
	w.o[w.n - 1].kind = policy_kind(c);
	run(&w);
	assert_int_equal(w.res.nadds, 0);
	assert_int_equal(w.o[w.n - 1].remove, 0);
	want_vals(obj(&w, "uid=efern"), "altRecipient",
	          "cn=erika.fern@example.net,ou=contacts," BASE);
	/* Nobody forwards there any more: the contact goes (a deletion). */
	entry_del(w.e[0], "dirmailForwardTo");
	entry_del(w.e[1], "dirmailForwardTo");
	run(&w);
	assert_int_equal(w.o[w.n - 1].remove, 1);
	assert_int_equal(w.o[w.n - 1].deletions, 1);
	want_vals(obj(&w, "uid=efern"), "altRecipient", "");
	world_free(&w);
}

static void test_service_none_keeps_foreign(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("nnix", "Norbert", "Nix", "20240101100000Z",
	             "objectClass: dirmailRecipient\ndirmailService: none\n"
	             "mail: norbert.nix@example.test\nmailNickname: nnix\n"
	             "proxyAddresses: SMTP:norbert.nix@example.test\n"
	             "proxyAddresses: smtp:nn@example.test\n"
	             "dirmailManagedAddress: norbert.nix@example.test\n"
	             "targetAddress: SMTP:norbert.nix@pop.example.test\n"
	             "msExchRecipientTypeDetails: 128\nmDBUseDefaults: FALSE\n"
	             "dirmailState: ok\n"));
	/* No footprint: nothing is dirmail's, nothing is removed. */
	add(&w, USER("plain", "Pl", "Ain", "20240101110000Z", "mail: pl@elsewhere.test\n"));
	run(&w);
	o = obj(&w, "uid=nnix");
	want_state(o, "ok");
	want_vals(o, "proxyAddresses", "smtp:nn@example.test");
	want_vals(o, "mail", "");
	want_vals(o, "targetAddress", "");
	want_vals(o, "msExchRecipientTypeDetails", "");
	want_vals(o, "dirmailManagedAddress", "");
	assert_int_equal(o->deletions, 2);
	want_vals(obj(&w, "uid=plain"), "mail", "pl@elsewhere.test");
	want_idempotent(&w);
	world_free(&w);
}

/* An object with intent is dirmail's to serve from the first pass on: with
 * service none, a mailbox, routing, GAL, quota, forwarding and limits that
 * someone else wrote before dirmail was deployed go at once, not on the
 * second pass (after the first wrote the footprint); addresses stay. */
static void test_service_none_first_sight(void **state)
{
	struct world w;
	struct pol_obj *o;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("legacy", "Le", "Gacy", "20240101100000Z",
	             "mail: legacy@example.test\nmailNickname: legacy\n"
	             "proxyAddresses: SMTP:legacy@example.test\n"
	             "proxyAddresses: X500:/o=Org/cn=legacy\n"
	             "homeMDB: cn=Old Database," BASE "\n"
	             "legacyExchangeDN: /o=Org/cn=legacy\n"
	             "msExchMailboxGuid: 0123456789abcdef\n"
	             "msExchRecipientTypeDetails: 1\nmsExchRecipientDisplayType: 1073741824\n"
	             "targetAddress: SMTP:legacy@old.example.test\n"
	             "showInAddressBook: cn=GAL," BASE "\nmsExchHideFromAddressLists: FALSE\n"
	             "mDBUseDefaults: TRUE\nmDBStorageQuota: 1000\nmDBOverQuotaLimit: 2000\n"
	             "mDBOverHardQuotaLimit: 3000\naltRecipient: uid=other,ou=people," BASE "\n"
	             "deliverAndRedirect: TRUE\nmsExchRecipLimit: 10\n"));
	run(&w);
	o = obj(&w, "uid=legacy");
	want_state(o, "ok");
	want_vals(o, "mail", "legacy@example.test");
	want_vals(o, "proxyAddresses", "SMTP:legacy@example.test | X500:/o=Org/cn=legacy");
	want_vals(o, "mailNickname", "");
	want_vals(o, "homeMDB", "");
	want_vals(o, "legacyExchangeDN", "");
	want_vals(o, "msExchMailboxGuid", "");
	want_vals(o, "msExchRecipientTypeDetails", "");
	want_vals(o, "msExchRecipientDisplayType", "");
	want_vals(o, "targetAddress", "");
	want_vals(o, "showInAddressBook", "");
	want_vals(o, "msExchHideFromAddressLists", "");
	want_vals(o, "mDBUseDefaults", "");
	want_vals(o, "mDBStorageQuota", "");
	want_vals(o, "mDBOverQuotaLimit", "");
	want_vals(o, "mDBOverHardQuotaLimit", "");
	want_vals(o, "altRecipient", "");
	want_vals(o, "deliverAndRedirect", "");
	want_vals(o, "msExchRecipLimit", "");
	assert_int_equal(o->deletions, 1); /* the mailbox */
	/* the next pass, over what this one wrote, changes nothing */
	want_idempotent(&w);
	world_free(&w);
}

/* ---- lists ------------------------------------------------------------------- */

static void test_lists(void **state)
{
	struct world w;
	const char *matches[] = {"uid=a,ou=people," BASE, "uid=off,ou=people," BASE,
	                         "uid=dis,ou=people," BASE};

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("a", "Aa", "Aa", "20240101100000Z", "dirmailService: pop-imap\n"));
	add(&w, USER("off", "Of", "F", "20240101110000Z", "dirmailService: none\n"));
	add(&w, USER("dis", "Di", "S", "20240101120000Z",
	             "dirmailService: exchange\ndirmailDisabled: TRUE\n"));
	add(&w,
	    "dn: cn=sales,ou=lists," BASE "\nobjectClass: groupOfNames\nobjectClass: dirmailList\n"
	    "cn: sales\ndirmailMemberFilter: (departmentNumber=sales)\nmember:\n"
	    "createTimestamp: 20240102000000Z\n");
	add(&w,
	    "dn: cn=team,ou=lists," BASE "\nobjectClass: groupOfNames\nobjectClass: dirmailList\n"
	    "cn: team\nmember: uid=off,ou=people," BASE "\nmember: uid=gone,ou=people," BASE "\n"
	    "createTimestamp: 20240102000100Z\n");
	add(&w,
	    "dn: cn=board,ou=lists," BASE "\nobjectClass: groupOfNames\nobjectClass: dirmailList\n"
	    "cn: board\ndirmailHidden: TRUE\ndirmailPrimaryAddress: vorstand@example.test\n"
	    "dirmailAlias: board\nmember: uid=A,ou=people," BASE "\n"
	    "createTimestamp: 20240102000200Z\n");
	obj(&w, "cn=sales")->filter_members = matches;
	obj(&w, "cn=sales")->nfilter_members = 3;
	run(&w);
	want_vals(obj(&w, "cn=sales"), "member", "uid=a,ou=people," BASE);
	want_vals(obj(&w, "cn=sales"), "proxyAddresses",
	          "SMTP:sales@example.test | smtp:sales@example.org");
	want_vals(obj(&w, "cn=sales"), "showInAddressBook", "cn=GAL," BASE);
	/* Emptied groupOfNames: the empty DN stands for nobody. */
	want_vals(obj(&w, "cn=team"), "member", "");
	assert_non_null(entry_get(wanted(obj(&w, "cn=team")), "member"));
	/* Each member removed is a deletion; the empty DN is nobody's seat. */
	assert_int_equal(obj(&w, "cn=team")->deletions, 2);
	assert_int_equal(obj(&w, "cn=sales")->deletions, 0);
	assert_int_equal(obj(&w, "cn=board")->deletions, 0);
	want_vals(obj(&w, "cn=board"), "mail", "vorstand@example.test");
	want_vals(obj(&w, "cn=board"), "proxyAddresses",
	          "SMTP:vorstand@example.test | smtp:board@example.org | smtp:board@example.test");
	want_vals(obj(&w, "cn=board"), "msExchHideFromAddressLists", "TRUE");
	/* Members are matched case-insensitively, the server's spelling kept. */
	want_vals(obj(&w, "cn=board"), "member", "uid=A,ou=people," BASE);
	want_idempotent(&w);
	world_free(&w);

	world_init(&w, NULL);
	add(&w,
	    "dn: cn=bad,ou=lists," BASE "\nobjectClass: groupOfNames\nobjectClass: dirmailList\n"
	    "cn: bad\ndirmailMemberFilter: (nope\nmember:\n");
	w.o[0].filter_error = "Bad search filter (-7)";
	run(&w);
	want_state(&w.o[0], "invalid: dirmailMemberFilter: Bad search filter");
	want_untouched(&w.o[0]);
	world_free(&w);
}

/* ---- a kept pass decides as a new one --------------------------------------- */

#define KMAX 48

struct kept_world {
	struct world w; /* its ctx and account; objects in e below */
	struct entry *e[KMAX];
	size_t n;
	unsigned char changed[KMAX];     /* to take again into the kept pass */
	const char *members[KMAX][KMAX]; /* a list's filter matches (DNs of e) */
	size_t nmembers[KMAX];
	unsigned seed, made;
	int paste; /* kmutate may give an object another's address */
};

static unsigned rnd(struct kept_world *k, unsigned n)
{
	k->seed = k->seed * 1103515245u + 12345u;
	return (k->seed >> 16) % n;
}

/* Sets attr of object i to v (NULL: removes it). */
static void kset(struct kept_world *k, size_t i, const char *attr, const char *v)
{
	entry_del(k->e[i], attr);
	if (v != NULL)
		assert_int_equal(entry_add(k->e[i], attr, v, strlen(v)), 0);
	k->changed[i] = 1;
}

static int is_list(const struct entry *e)
{
	return policy_kind(e) == POL_LIST;
}

/* A new user, created after everyone. */
static void kadd_user(struct kept_world *k)
{
	static const char *const given[] = {"John", "Jon", "Ann", "Anna"};
	static const char *const sn[] = {"Smith", "Smyth", "Lee"};
	static const char *const svc[] = {"pop-imap", "exchange", "none", "imap"};
	char text[1024];

	assert_true(k->n < KMAX);
	snprintf(text, sizeof(text),
	         USER("u%u", "%s", "%s", "2024%02u01100000Z", "dirmailService: %s\n"), k->made,
	         k->made, given[rnd(k, 4)], sn[rnd(k, 3)], 1 + k->made % 12, svc[rnd(k, 4)]);
	k->made++;
	k->e[k->n] = parse(text);
	k->changed[k->n++] = 1;
}

/* Forgets object i the way the daemon's cache does: the last one moves
 * into its place. Filters drop it. */
static void kdel(struct kept_world *k, size_t i)
{
	size_t l, m, last = k->n - 1;

	for (l = 0; l < k->n; l++)
		for (m = 0; m < k->nmembers[l]; m++)
			if (k->members[l][m] == k->e[i]->dn) {
				k->members[l][m] = k->members[l][--k->nmembers[l]];
				m--;
			}
	entry_free(k->e[i]);
	k->e[i] = k->e[last];
	memcpy(k->members[i], k->members[last], sizeof(k->members[i]));
	k->nmembers[i] = k->nmembers[last];
	k->nmembers[last] = 0;
	k->changed[i] = 1;
	k->n--;
}

/* One admin's change, picked at random. */
static void kmutate(struct kept_world *k)
{
	static const char *const svc[] = {"pop-imap", "exchange", "none", "imap"};
	size_t i = rnd(k, (unsigned)k->n), j;
	char v[256];

	switch (rnd(k, 10)) {
	case 0:
		if (!is_list(k->e[i]))
			kset(k, i, "dirmailService", svc[rnd(k, 4)]);
		break;
	case 1:
		snprintf(v, sizeof(v), "alias%u", rnd(k, 3));
		kset(k, i, "dirmailAlias", rnd(k, 2) ? v : NULL);
		break;
	case 2:
		snprintf(v, sizeof(v), "p%u@example.test", rnd(k, 3));
		kset(k, i, "dirmailPrimaryAddress", rnd(k, 2) ? v : NULL);
		break;
	case 3:
		if (is_list(k->e[i]))
			break;
		j = rnd(k, (unsigned)k->n);
		snprintf(v, sizeof(v), "%s",
		         rnd(k, 3) == 0                         ? "x@partner.example.net"
		         : entry_first(k->e[j], "mail") != NULL ? entry_first(k->e[j], "mail")
		                                                : "nobody@example.test");
		kset(k, i, "dirmailForwardTo", rnd(k, 3) ? v : NULL);
		break;
	case 4:
		kset(k, i, rnd(k, 2) ? "dirmailHidden" : "dirmailDisabled",
		     rnd(k, 2) ? "TRUE" : NULL);
		break;
	case 5:
		if (k->n < KMAX - 4)
			kadd_user(k);
		break;
	case 6:
		if (k->n > 6)
			kdel(k, i);
		break;
	case 7:
		/* Another's address as read, as an admin might paste it, or
		 * every address cleared. */
		j = rnd(k, (unsigned)k->n);
		if (rnd(k, 2) == 0) {
			kset(k, i, "proxyAddresses", NULL);
		} else if (k->paste && entry_first(k->e[j], "mail") != NULL && i != j) {
			snprintf(v, sizeof(v), "smtp:%s", entry_first(k->e[j], "mail"));
			assert_int_equal(entry_add(k->e[i], "proxyAddresses", v, strlen(v)), 0);
			k->changed[i] = 1;
		}
		break;
	case 8:
		for (j = 0; j < k->n; j++)
			if (is_list(k->e[j]) && entry_get(k->e[j], "dirmailMemberFilter")) {
				size_t m = rnd(k, (unsigned)k->n);

				k->nmembers[j] = 0;
				for (; m < k->n; m += 1 + rnd(k, 3))
					k->members[j][k->nmembers[j]++] = k->e[m]->dn;
			}
		break;
	default:
		kset(k, i, "givenName", rnd(k, 2) ? "John" : "Ann");
	}
}

static void kctx(struct kept_world *k)
{
	static const char *const contact[] = {"inetOrgPerson", "dirmailRecipient", NULL};

	memset(&k->w.ctx, 0, sizeof(k->w.ctx));
	k->w.ctx.acct = &k->w.acct;
	k->w.ctx.recipient_class = "dirmailRecipient";
	k->w.ctx.new_guid = fake_guid;
	k->w.ctx.guid_arg = &k->w;
	k->w.ctx.dn_child = ldapc_dn_child;
	k->w.ctx.contact_classes = contact;
	k->w.ctx.drop_unchanged = 1;
}

static void kfilters(struct kept_world *k, struct pol_pass *pp)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (is_list(k->e[i]) && entry_get(k->e[i], "dirmailMemberFilter"))
			assert_int_equal(policy_filter(pp, i, k->members[i], k->nmembers[i], NULL),
			                 0);
}

/* A new pass over k, settled; kept: policy_keep first. */
static struct pol_pass *knew(struct kept_world *k, int kept, struct pol_result *res)
{
	struct pol_pass *pp = policy_pass_new(&k->w.ctx);
	size_t i;

	assert_non_null(pp);
	if (kept)
		policy_keep(pp);
	for (i = 0; i < k->n; i++)
		assert_int_equal(policy_take(pp, k->e[i]), 0);
	kfilters(k, pp);
	assert_int_equal(policy_settle(pp, res), 0);
	memset(k->changed, 0, sizeof(k->changed));
	return pp;
}

/* The kept pass after k's changes: what changed taken again, or a new
 * one when it says only that can tell (*anew counts those). */
static struct pol_pass *kagain(struct kept_world *k, struct pol_pass *pp, struct pol_result *res,
                               size_t *anew)
{
	size_t i;
	int r = policy_reopen(pp);

	assert_int_equal(r, 0);
	if (policy_count(pp) > k->n)
		r = policy_truncate(pp, k->n);
	for (i = 0; r == 0 && i < k->n; i++)
		if (i >= policy_count(pp) || k->changed[i])
			r = policy_retake(pp, i, k->e[i]);
	assert_true(r == 0 || r == 1);
	if (r == 1) {
		policy_pass_free(pp);
		(*anew)++;
		return knew(k, 1, res);
	}
	assert_int_equal(policy_count(pp), k->n);
	kfilters(k, pp);
	assert_int_equal(policy_settle(pp, res), 0);
	memset(k->changed, 0, sizeof(k->changed));
	return pp;
}

/* Every decision of a and b is the same, object by object; b's wanted
 * entries are written when apply is set (the directory moves on). */
static void ksame(struct kept_world *k, struct pol_pass *a, const struct pol_result *ra,
                  struct pol_pass *b, const struct pol_result *rb, int apply)
{
	const char *const *attrs = policy_diff_attrs();
	size_t i, j, n = k->n;

	assert_string_equal(buf_str(&ra->acct_state), buf_str(&rb->acct_state));
	assert_int_equal(ra->nadds, rb->nadds);
	for (i = 0; i < ra->nadds; i++)
		assert_string_equal(ra->adds[i]->dn, rb->adds[i]->dn);
	for (i = 0; i < n; i++) {
		struct pol_obj oa, ob;
		struct pol_decision da, db;
		struct diff d;
		const char *fa = policy_forward_dn(a, i), *fb = policy_forward_dn(b, i);

		memset(&oa, 0, sizeof(oa));
		memset(&ob, 0, sizeof(ob));
		k->w.guids = 0;
		assert_int_equal(policy_build(a, i, k->e[i], &oa), 0);
		k->w.guids = 0;
		assert_int_equal(policy_build(b, i, k->e[i], &ob), 0);
		if ((oa.state == NULL) != (ob.state == NULL) ||
		    (oa.state && strcmp(oa.state, ob.state) != 0))
			fail_msg("%s: kept pass says \"%s\", a new one \"%s\"", k->e[i]->dn,
			         oa.state ? oa.state : "-", ob.state ? ob.state : "-");
		assert_int_equal(oa.deletions, ob.deletions);
		assert_int_equal(oa.remove, ob.remove);
		assert_int_equal(oa.managed, ob.managed);
		assert_int_equal(diff_entry(wanted(&oa), wanted(&ob), attrs, &d), 0);
		if (d.nb != 0)
			fail_msg("%s: kept pass wants another %s", k->e[i]->dn,
			         d.b[0].mods[0].attr);
		diff_free(&d);
		if ((fa == NULL) != (fb == NULL) || (fa && strcmp(fa, fb) != 0))
			fail_msg("%s: forwards differ", k->e[i]->dn);
		assert_int_equal(policy_decision(a, i, &da), 0);
		assert_int_equal(policy_decision(b, i, &db), 0);
		assert_int_equal(da.naddrs, db.naddrs);
		for (j = 0; j < da.naddrs; j++) {
			assert_string_equal(da.addrs[j].addr, db.addrs[j].addr);
			assert_int_equal(da.addrs[j].how, db.addrs[j].how);
			assert_int_equal(da.addrs[j].suffix, db.addrs[j].suffix);
		}
		assert_int_equal(da.licence, db.licence);
		assert_int_equal(da.licence_rank, db.licence_rank);
		policy_decision_clear(&da);
		policy_decision_clear(&db);
		if (apply && ob.want != NULL) {
			struct entry *next = applied(k->e[i], ob.want, attrs);

			/* The filters keep pointing at the DN, which stays. */
			for (j = 0; j < k->n; j++) {
				size_t m;

				for (m = 0; m < k->nmembers[j]; m++)
					if (k->members[j][m] == k->e[i]->dn)
						k->members[j][m] = next->dn;
			}
			entry_free(k->e[i]);
			k->e[i] = next;
			k->changed[i] = 1;
		}
		policy_obj_clear(&oa);
		policy_obj_clear(&ob);
	}
}

/* Rounds of random changes: the kept pass, taking again only what
 * changed, decides exactly what a new pass over the same objects does.
 * The first 400 rounds give nobody another's address, and most of them
 * take only what changed; the next 400 paste addresses around, and every
 * change to an object holding one makes the kept pass a new one. */
static void test_kept_pass(void **state)
{
	struct kept_world k;
	struct pol_result rk = {BUF_INIT, NULL, 0, POL_OK, 0, 0, 0},
	                  rn = {BUF_INIT, NULL, 0, POL_OK, 0, 0, 0};
	struct pol_pass *kept, *fresh;
	size_t round, i, anew = 0;

	(void)state;
	memset(&k, 0, sizeof(k));
	k.seed = 7;
	world_init(&k.w, NULL);
	kctx(&k);
	for (i = 0; i < 14; i++)
		kadd_user(&k);
	k.e[k.n++] = parse("dn: cn=sales,ou=lists," BASE "\nobjectClass: groupOfNames\n"
	                   "objectClass: dirmailList\ncn: sales\n"
	                   "dirmailMemberFilter: (departmentNumber=sales)\nmember:\n"
	                   "createTimestamp: 20240102000000Z\n");
	k.e[k.n++] = parse("dn: cn=team,ou=lists," BASE "\nobjectClass: groupOfNames\n"
	                   "objectClass: dirmailList\ncn: team\n"
	                   "member: uid=u1,ou=people," BASE "\nmember: uid=u2,ou=people," BASE
	                   "\ncreateTimestamp: 20240102000100Z\n");
	kept = knew(&k, 1, &rk);
	for (round = 0; round < 800; round++) {
		size_t changes = 1 + rnd(&k, 3);
		int apply = rnd(&k, 4) != 0;

		if (round == 400) {
			/* Most rounds took only what changed. */
			print_message("kept pass: %zu of 400 rounds needed a new one\n", anew);
			if (anew > 20)
				fail_msg("%zu of 400 rounds needed a new pass", anew);
			k.paste = 1;
		}
		for (i = 0; i < changes; i++)
			kmutate(&k);
		kept = kagain(&k, kept, &rk, &anew);
		{
			unsigned char ch[KMAX];

			memcpy(ch, k.changed, sizeof(ch));
			fresh = knew(&k, 0, &rn);
			memcpy(k.changed, ch, sizeof(ch));
		}
		ksame(&k, kept, &rk, fresh, &rn, apply);
		policy_pass_free(fresh);
	}
	print_message("kept pass: %zu of 800 rounds needed a new one\n", anew);
	policy_pass_free(kept);
	for (i = 0; i < k.n; i++)
		entry_free(k.e[i]);
	policy_result_clear(&rk);
	policy_result_clear(&rn);
	buf_free(&rk.acct_state);
	buf_free(&rn.acct_state);
	k.w.n = 0;
	world_free(&k.w);
}

/* ---- decisions as data ------------------------------------------------------ */

/* The decision for the object whose DN starts with dn_prefix. */
static void decision(struct pol_pass *pp, struct world *w, const char *dn_prefix,
                     struct pol_decision *d)
{
	size_t i = (size_t)(obj(w, dn_prefix) - w->o);

	assert_int_equal(policy_decision(pp, i, d), 0);
}

/* The decision's entry for address a. */
static const struct pol_addr_decision *addr_of(const struct pol_decision *d, const char *a)
{
	size_t i;

	for (i = 0; i < d->naddrs; i++)
		if (strcmp(d->addrs[i].addr, a) == 0)
			return &d->addrs[i];
	fail_msg("no address %s in the decision", a);
	return NULL;
}

/* Why each value is what it is: addresses, licences, quotas, forwards. */
static void test_decision(void **state)
{
	const char *matches[] = {"uid=smithj,ou=people," BASE};
	const struct pol_addr_decision *x;
	struct pol_decision d;
	struct pol_pass *pp;
	struct world w;
	char t[512];
	int i;

	(void)state;
	world_init(&w, NULL);
	add(&w, USER("smithj", "John", "Smith", "20240101000000Z", "dirmailService: exchange\n"));
	add(&w, USER("jsmith", "John", "Smith", "20240101010000Z",
	             "dirmailService: exchange\ndirmailAlias: jay\n"));
	add(&w, USER("ppan", "Peter", "Pan", "20240101020000Z",
	             "dirmailService: exchange\ndirmailPrimaryAddress: John.Smith@example.test\n"));
	add(&w, USER("over", "Ov", "Er", "20240101030000Z",
	             "dirmailService: exchange\ndirmailQuota: 500\n"
	             "dirmailForwardTo: john.smith@example.test\n"));
	add(&w, USER("unl", "Un", "Limited", "20240101040000Z",
	             "dirmailService: exchange\ndirmailQuota: 0\n"
	             "dirmailForwardTo: Someone@Partner.example.net\n"));
	add(&w, USER("held", "Held", "Box", "20240109000000Z",
	             "dirmailService: pop-imap\nmsExchRecipientTypeDetails: 128\n"));
	for (i = 0; i < 11; i++) {
		snprintf(t, sizeof(t),
		         "dn: uid=u%02d,ou=people," BASE "\nobjectClass: dirmailUser\nuid: u%02d\n"
		         "givenName: U\nsn: u%02d\ndirmailService: pop-imap\n"
		         "createTimestamp: 202401020000%02dZ\n",
		         i, i, i, i);
		add(&w, t);
	}
	add(&w, "dn: cn=sales,ou=lists," BASE "\nobjectClass: groupOfNames\n"
	        "objectClass: dirmailList\ncn: sales\ndirmailMemberFilter: (ou=sales)\nmember:\n"
	        "createTimestamp: 20240103000000Z\n");
	add(&w, "dn: cn=team,ou=lists," BASE "\nobjectClass: groupOfNames\n"
	        "objectClass: dirmailList\ncn: team\nmember:\ncreateTimestamp: 20240103000100Z\n");
	obj(&w, "cn=sales")->filter_members = matches;
	obj(&w, "cn=sales")->nfilter_members = 1;
	pp = settled(&w, &w.res);
	assert_int_equal(policy_decision(pp, w.n, &d), -1);

	/* john.smith is the earlier user's: the later one is suffixed. */
	decision(pp, &w, "uid=smithj", &d);
	assert_int_equal(d.kind, POL_USER);
	assert_int_equal(d.service, POL_SERVICE_EXCHANGE);
	assert_int_equal(d.state_kind, POL_OK);
	assert_string_equal(d.state, "ok");
	assert_string_equal(d.message, "");
	assert_string_equal(d.addrs[0].addr, "john.smith@example.test");
	assert_int_equal(d.addrs[0].primary, 1);
	assert_int_equal(d.addrs[0].origin, POL_FROM_TEMPLATE);
	assert_string_equal(d.addrs[0].tmpl, "%g.%s");
	assert_int_equal(d.addrs[0].how, POL_ADDR_CLAIMED);
	assert_null(d.addrs[0].by);
	x = addr_of(&d, "jsmith@example.org");
	assert_string_equal(x->tmpl, "%1g%s");
	assert_int_equal(x->primary, 0);
	assert_int_equal(d.licence, POL_LICENCE_NONE);
	assert_int_equal(d.quota, POL_QUOTA_DEFAULT);
	assert_int_equal(d.quota_mb, 10);
	assert_null(d.forward);
	policy_decision_clear(&d);
	decision(pp, &w, "uid=jsmith", &d);
	assert_string_equal(d.addrs[0].addr, "john.smith2@example.test");
	assert_int_equal(d.addrs[0].primary, 1);
	assert_int_equal(d.addrs[0].how, POL_ADDR_SUFFIXED);
	assert_int_equal(d.addrs[0].suffix, 2);
	assert_string_equal(d.addrs[0].by, "uid=smithj,ou=people," BASE);
	x = addr_of(&d, "jay@example.org");
	assert_int_equal(x->origin, POL_FROM_ALIAS);
	assert_int_equal(x->how, POL_ADDR_CLAIMED);
	assert_int_equal(x->primary, 0);
	policy_decision_clear(&d);
	/* An explicit primary another holds is refused, naming the holder. */
	decision(pp, &w, "uid=ppan", &d);
	assert_int_equal(d.state_kind, POL_ADDRESS_TAKEN);
	assert_string_equal(d.message,
	                    "john.smith@example.test belongs to uid=smithj,ou=people," BASE);
	assert_int_equal(d.naddrs, 1);
	assert_int_equal(d.addrs[0].origin, POL_FROM_EXPLICIT);
	assert_int_equal(d.addrs[0].primary, 1);
	assert_int_equal(d.addrs[0].how, POL_ADDR_REFUSED);
	assert_string_equal(d.addrs[0].by, "uid=smithj,ou=people," BASE);
	assert_int_equal(d.quota, POL_QUOTA_NONE);
	policy_decision_clear(&d);

	/* Licences: the existing mailbox first, then creation order. */
	decision(pp, &w, "uid=held", &d);
	assert_int_equal(d.licence, POL_LICENCE_KEPT);
	assert_int_equal(d.licence_rank, 1);
	policy_decision_clear(&d);
	decision(pp, &w, "uid=u00", &d);
	assert_int_equal(d.licence, POL_LICENCE_GRANTED);
	assert_int_equal(d.licence_rank, 2);
	policy_decision_clear(&d);
	decision(pp, &w, "uid=u10", &d);
	assert_int_equal(d.state_kind, POL_OVER_LICENCE);
	assert_string_equal(d.state, "over-licence: all 10 POP/IMAP licences are in use; the "
	                             "mailbox is created when one is free");
	assert_int_equal(d.licence, POL_LICENCE_WAITING);
	assert_int_equal(d.licence_rank, 12);
	assert_int_equal(d.licences, 10);
	assert_int_equal(d.naddrs, 0);
	policy_decision_clear(&d);

	/* Quotas: override, unlimited (capped by the account's total);
	 * forwards: to a recipient, or to a mail contact outside. */
	decision(pp, &w, "uid=over", &d);
	assert_int_equal(d.quota, POL_QUOTA_OVERRIDE);
	assert_int_equal(d.quota_mb, 500);
	assert_string_equal(d.forward, "john.smith@example.test");
	assert_string_equal(d.forward_dn, "uid=smithj,ou=people," BASE);
	assert_int_equal(d.forward_external, 0);
	policy_decision_clear(&d);
	decision(pp, &w, "uid=unl", &d);
	assert_int_equal(d.quota, POL_QUOTA_UNLIMITED);
	assert_int_equal(d.quota_mb, 2000);
	assert_string_equal(d.forward, "Someone@Partner.example.net");
	assert_string_equal(d.forward_dn, "cn=someone@partner.example.net,ou=contacts," BASE);
	assert_int_equal(d.forward_external, 1);
	policy_decision_clear(&d);

	/* Lists: where the members come from; %m is their template. */
	decision(pp, &w, "cn=sales", &d);
	assert_int_equal(d.kind, POL_LIST);
	assert_int_equal(d.members, POL_MEMBERS_FILTER);
	assert_string_equal(d.addrs[0].addr, "sales@example.test");
	assert_string_equal(d.addrs[0].tmpl, "%m");
	policy_decision_clear(&d);
	decision(pp, &w, "cn=team", &d);
	assert_int_equal(d.members, POL_MEMBERS_STATIC);
	policy_decision_clear(&d);
	policy_decision_clear(NULL);
	policy_pass_free(pp);

	/* Once converged, the addresses are held. */
	run(&w);
	want_idempotent(&w);
	pp = settled(&w, &w.res);
	decision(pp, &w, "uid=jsmith", &d);
	assert_string_equal(d.addrs[0].addr, "john.smith2@example.test");
	assert_int_equal(d.addrs[0].how, POL_ADDR_HELD);
	assert_int_equal(d.addrs[0].suffix, 2);
	assert_string_equal(d.addrs[0].by, "uid=smithj,ou=people," BASE);
	assert_int_equal(addr_of(&d, "jay@example.test")->how, POL_ADDR_HELD);
	assert_null(addr_of(&d, "jay@example.test")->by);
	policy_decision_clear(&d);
	policy_pass_free(pp);
	world_free(&w);
}

/* State kinds and their names. */
static void test_state_names(void **state)
{
	static const struct {
		enum pol_state k;
		const char *name;
	} cases[] = {
	    {POL_OK, "ok"},
	    {POL_INVALID, "invalid"},
	    {POL_CONFLICT, "conflict"},
	    {POL_ADDRESS_TAKEN, "address-taken"},
	    {POL_OVER_LICENCE, "over-licence"},
	    {POL_OVER_ALLOCATED, "over-allocated"},
	    {POL_ERROR, "error"},
	    {(enum pol_state)99, "error"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(policy_state_name(cases[i].k), cases[i].name);
}

/* The attribute lists are derived from one table; what depends on their
 * order keeps it: diff's modifications, the export's names. */
static void test_attribute_lists(void **state)
{
	static const char *const diffed[] = {"mail",
	                                     "mailNickname",
	                                     "targetAddress",
	                                     "msExchRecipientTypeDetails",
	                                     "msExchRecipientDisplayType",
	                                     "homeMDB",
	                                     "legacyExchangeDN",
	                                     "msExchMailboxGuid",
	                                     "showInAddressBook",
	                                     "msExchHideFromAddressLists",
	                                     "mDBUseDefaults",
	                                     "mDBStorageQuota",
	                                     "mDBOverQuotaLimit",
	                                     "mDBOverHardQuotaLimit",
	                                     "altRecipient",
	                                     "deliverAndRedirect",
	                                     "msExchRecipLimit",
	                                     "dirmailMessageRateLimit",
	                                     "dirmailManagedAddress",
	                                     "dirmailState",
	                                     "proxyAddresses",
	                                     "member",
	                                     NULL};
	static const char *const exported[] = {"objectClass",
	                                       "entryUUID",
	                                       "objectGUID",
	                                       "cn",
	                                       "uid",
	                                       "sAMAccountName",
	                                       "givenName",
	                                       "sn",
	                                       "initials",
	                                       "displayName",
	                                       "description",
	                                       "userAccountControl",
	                                       "proxyAddresses",
	                                       "member",
	                                       NULL};
	const char *const *own = policy_owned_attrs(), *const *diff = policy_diff_attrs(),
	                  *const *exp = policy_export_attrs(), *const *rd = policy_read_attrs(),
	                  *const *dn = policy_dn_attrs();
	size_t i, j;

	(void)state;
	for (i = 0; diffed[i]; i++)
		assert_string_equal(diff[i], diffed[i]);
	assert_null(diff[i]);
	for (i = 0; i < 20; i++)
		assert_string_equal(own[i], diffed[i]);
	assert_null(own[i]);
	for (i = 0; exported[i]; i++)
		assert_string_equal(exp[i], exported[i]);
	assert_null(exp[i]);
	/* What the policy owns it reads; what is an account's it does not. */
	for (i = 0; own[i]; i++) {
		for (j = 0; rd[j] && strcmp(rd[j], own[i]) != 0; j++)
			;
		assert_non_null(rd[j]);
	}
	for (i = 0; dn[i]; i++) {
		for (j = 0; rd[j] && strcmp(rd[j], dn[i]) != 0; j++)
			;
		assert_int_equal(rd[j] != NULL, strncmp(dn[i], "dirmail", 7) != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generated_addresses),
	    cmocka_unit_test(test_collisions),
	    cmocka_unit_test(test_explicit_taken),
	    cmocka_unit_test(test_foreign_values_and_adoption),
	    cmocka_unit_test(test_rename_keeps_old_addresses),
	    cmocka_unit_test(test_alias_retired),
	    cmocka_unit_test(test_invalid_input),
	    cmocka_unit_test(test_overlong_proxy),
	    cmocka_unit_test(test_streamed_pass),
	    cmocka_unit_test(test_known_unchanged),
	    cmocka_unit_test(test_template_fallback),
	    cmocka_unit_test(test_exclusivity),
	    cmocka_unit_test(test_licences),
	    cmocka_unit_test(test_catch_all),
	    cmocka_unit_test(test_quotas),
	    cmocka_unit_test(test_quota_clamp_and_overallocation),
	    cmocka_unit_test(test_gal_and_limits),
	    cmocka_unit_test(test_forwarding),
	    cmocka_unit_test(test_drop_unchanged),
	    cmocka_unit_test(test_external_forwarding),
	    cmocka_unit_test(test_service_none_keeps_foreign),
	    cmocka_unit_test(test_service_none_first_sight),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_kept_pass),
	    cmocka_unit_test(test_decision),
	    cmocka_unit_test(test_state_names),
	    cmocka_unit_test(test_attribute_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
