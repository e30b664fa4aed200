/* test_ldifw.c - LDIF output.
 * Exact records for every change type, base64 and folding as libldap
 * decides them, secrets left out, masked comments, and a libldap round trip. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldap.h>

#include "ldifw.h"

#define DN "uid=jsmith,ou=people,dc=example,dc=test"
#define NV(a) (sizeof(a) / sizeof((a)[0]))

/* A mod in a table: up to three values, a length of 0 meaning strlen. */
struct mspec {
	enum entry_mod_op op;
	const char *attr;
	size_t nvals;
	const char *v[3];
	size_t len[3];
};

/* Turns table rows into entry_mods with values of their own. */
static struct entry_mod *mods_new(const struct mspec *ms, size_t n)
{
	struct entry_mod *m = calloc(n ? n : 1, sizeof(*m));
	size_t i, k;

	assert_non_null(m);
	for (i = 0; i < n; i++) {
		struct entry_val *vals = NULL;

		m[i].op = ms[i].op;
		m[i].attr = ms[i].attr;
		m[i].nvals = ms[i].nvals;
		if (ms[i].nvals > 0) {
			vals = calloc(ms[i].nvals, sizeof(*vals));
			assert_non_null(vals);
		}
		for (k = 0; k < ms[i].nvals; k++) {
			size_t len = ms[i].len[k] ? ms[i].len[k] : strlen(ms[i].v[k]);

			vals[k].val = malloc(len + 1);
			assert_non_null(vals[k].val);
			memcpy(vals[k].val, ms[i].v[k], len);
			vals[k].val[len] = '\0';
			vals[k].len = len;
		}
		m[i].vals = vals;
	}
	return m;
}

static void mods_free(struct entry_mod *m, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < m[i].nvals; k++)
			free(m[i].vals[k].val);
		free((void *)(uintptr_t)m[i].vals);
	}
	free(m);
}

static void test_version(void **state)
{
	struct buf b = BUF_INIT;

	assert_int_equal(ldifw_version(&b), 0);
	assert_string_equal(buf_str(&b), "version: 1\n\n");
	buf_free(&b);
}

static void test_modify(void **state)
{
	static const struct {
		const char *name;
		struct mspec mods[4];
		size_t nmods;
		const char *want;
	} cases[] = {
	    {"add one",
	     {{ENTRY_MOD_ADD, "mail", 1, {"j.smith@example.test"}, {0}}},
	     1,
	     "dn: " DN "\nchangetype: modify\nadd: mail\nmail: j.smith@example.test\n-\n\n"},
	    {"add several",
	     {{ENTRY_MOD_ADD,
	       "proxyAddresses",
	       3,
	       {"SMTP:j.smith@example.test", "smtp:js@example.test", "X500:/o=x"},
	       {0}}},
	     1,
	     "dn: " DN "\nchangetype: modify\nadd: proxyAddresses\n"
	     "proxyAddresses: SMTP:j.smith@example.test\nproxyAddresses: smtp:js@example.test\n"
	     "proxyAddresses: X500:/o=x\n-\n\n"},
	    {"delete values",
	     {{ENTRY_MOD_DELETE,
	       "proxyAddresses",
	       2,
	       {"smtp:a@example.test", "smtp:b@example.test"},
	       {0}}},
	     1,
	     "dn: " DN "\nchangetype: modify\ndelete: proxyAddresses\n"
	     "proxyAddresses: smtp:a@example.test\nproxyAddresses: smtp:b@example.test\n-\n\n"},
	    {"delete attribute",
	     {{ENTRY_MOD_DELETE, "targetAddress", 0, {NULL}, {0}}},
	     1,
	     "dn: " DN "\nchangetype: modify\ndelete: targetAddress\n-\n\n"},
	    {"replace several",
	     {{ENTRY_MOD_REPLACE, "mDBOverQuotaLimit", 1, {"10240"}, {0}},
	      {ENTRY_MOD_REPLACE, "description", 2, {"one", "two"}, {0}}},
	     2,
	     "dn: " DN
	     "\nchangetype: modify\nreplace: mDBOverQuotaLimit\nmDBOverQuotaLimit: 10240\n"
	     "-\nreplace: description\ndescription: one\ndescription: two\n-\n\n"},
	    {"replace with nothing",
	     {{ENTRY_MOD_REPLACE, "mDBStorageQuota", 0, {NULL}, {0}}},
	     1,
	     "dn: " DN "\nchangetype: modify\nreplace: mDBStorageQuota\n-\n\n"},
	    {"promotion and demotion in one modify",
	     {{ENTRY_MOD_DELETE,
	       "proxyAddresses",
	       2,
	       {"smtp:new@example.test", "SMTP:old@example.test"},
	       {0}},
	      {ENTRY_MOD_ADD,
	       "proxyAddresses",
	       2,
	       {"SMTP:new@example.test", "smtp:old@example.test"},
	       {0}},
	      {ENTRY_MOD_REPLACE, "mail", 1, {"new@example.test"}, {0}}},
	     3,
	     "dn: " DN "\nchangetype: modify\ndelete: proxyAddresses\n"
	     "proxyAddresses: smtp:new@example.test\nproxyAddresses: SMTP:old@example.test\n-\n"
	     "add: proxyAddresses\nproxyAddresses: SMTP:new@example.test\n"
	     "proxyAddresses: smtp:old@example.test\n-\nreplace: mail\nmail: "
	     "new@example.test\n-\n\n"},
	    {"base64 value",
	     {{ENTRY_MOD_ADD, "displayName", 1, {"Jos\xc3\xa9"}, {0}}},
	     1,
	     "dn: " DN "\nchangetype: modify\nadd: displayName\ndisplayName:: Sm9zw6k=\n-\n\n"},
	    {"secrets left out",
	     {{ENTRY_MOD_REPLACE, "userPassword", 1, {"{SSHA}xxxx"}, {0}},
	      {ENTRY_MOD_ADD, "mail", 1, {"a@example.test"}, {0}},
	      {ENTRY_MOD_REPLACE, "unicodePwd;binary", 1, {"\"\0p\0w\0\"\0", NULL}, {8}},
	      {ENTRY_MOD_DELETE, "SAMBANTPASSWORD", 0, {NULL}, {0}}},
	     4,
	     "dn: " DN "\nchangetype: modify\nadd: mail\nmail: a@example.test\n-\n\n"},
	    {"only secrets: nothing at all",
	     {{ENTRY_MOD_REPLACE, "userPassword", 1, {"{SSHA}xxxx"}, {0}},
	      {ENTRY_MOD_DELETE, "krbPrincipalKey", 0, {NULL}, {0}}},
	     2,
	     ""},
	};
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		struct entry_mod *m = mods_new(cases[i].mods, cases[i].nmods);
		struct buf b = BUF_INIT;

		print_message("case %s\n", cases[i].name);
		assert_int_equal(ldifw_modify(&b, DN, m, cases[i].nmods), 0);
		assert_string_equal(buf_str(&b), cases[i].want);
		mods_free(m, cases[i].nmods);
		buf_free(&b);
	}
}

static void test_modify_invalid(void **state)
{
	static const struct {
		const char *name;
		const char *dn;
		struct mspec mod;
		size_t nmods;
	} cases[] = {
	    {"no mods", DN, {ENTRY_MOD_ADD, "mail", 1, {"a"}, {0}}, 0},
	    {"no dn", NULL, {ENTRY_MOD_ADD, "mail", 1, {"a"}, {0}}, 1},
	    {"add without values", DN, {ENTRY_MOD_ADD, "mail", 0, {NULL}, {0}}, 1},
	    {"space in name", DN, {ENTRY_MOD_ADD, "ma il", 1, {"a"}, {0}}, 1},
	    {"newline in name", DN, {ENTRY_MOD_ADD, "mail\ndn: cn=x", 1, {"a"}, {0}}, 1},
	    {"colon in name", DN, {ENTRY_MOD_DELETE, "mail:", 0, {NULL}, {0}}, 1},
	    {"empty name", DN, {ENTRY_MOD_DELETE, "", 0, {NULL}, {0}}, 1},
	    {"NULL name", DN, {ENTRY_MOD_DELETE, NULL, 0, {NULL}, {0}}, 1},
	    {"empty option", DN, {ENTRY_MOD_DELETE, "mail;", 0, {NULL}, {0}}, 1},
	    {"leading option", DN, {ENTRY_MOD_DELETE, ";binary", 0, {NULL}, {0}}, 1},
	    {"bad op", DN, {(enum entry_mod_op)7, "mail", 1, {"a"}, {0}}, 1},
	};
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		struct entry_mod *m = mods_new(&cases[i].mod, 1);
		struct buf b = BUF_INIT;

		print_message("case %s\n", cases[i].name);
		assert_int_equal(buf_puts(&b, "kept\n"), 0);
		assert_int_equal(ldifw_modify(&b, cases[i].dn, m, cases[i].nmods), -1);
		assert_string_equal(buf_str(&b), "kept\n");
		assert_int_equal(b.len, 5);
		mods_free(m, 1);
		buf_free(&b);
	}
}

static struct entry *sample_entry(void)
{
	struct entry *e = entry_new(DN);

	assert_non_null(e);
	assert_int_equal(entry_add(e, "objectClass", "inetOrgPerson", 13), 0);
	assert_int_equal(entry_add(e, "objectClass", "dirmailUser", 11), 0);
	assert_int_equal(entry_add(e, "userPassword", "{SSHA}secret", 12), 0);
	assert_int_equal(entry_add(e, "sn", "Smith", 5), 0);
	assert_int_equal(entry_add(e, "cn", "John Smith", 10), 0);
	assert_int_equal(entry_add(e, "unicodePwd", "\"\0p\0\"\0", 6), 0);
	assert_int_equal(entry_add(e, "description", " padded", 7), 0);
	return e;
}

static void test_add_entry_delete(void **state)
{
	struct entry *e = sample_entry();
	struct buf b = BUF_INIT;

	assert_int_equal(ldifw_add(&b, e), 0);
	assert_string_equal(buf_str(&b), "dn: " DN "\nchangetype: add\nobjectClass: inetOrgPerson\n"
	                                 "objectClass: dirmailUser\nsn: Smith\ncn: John Smith\n"
	                                 "description:: IHBhZGRlZA==\n\n");
	buf_reset(&b);
	assert_int_equal(ldifw_entry(&b, e), 0);
	assert_string_equal(buf_str(&b), "dn: " DN "\nobjectClass: inetOrgPerson\n"
	                                 "objectClass: dirmailUser\nsn: Smith\ncn: John Smith\n"
	                                 "description:: IHBhZGRlZA==\n\n");
	buf_reset(&b);
	assert_int_equal(ldifw_delete(&b, DN), 0);
	assert_string_equal(buf_str(&b), "dn: " DN "\nchangetype: delete\n\n");
	buf_reset(&b);
	assert_int_equal(ldifw_delete(&b, ""), 0);
	assert_string_equal(buf_str(&b), "dn:\nchangetype: delete\n\n");

	/* appending keeps what was there; failures leave it alone */
	assert_int_equal(ldifw_delete(&b, NULL), -1);
	assert_int_equal(ldifw_add(&b, NULL), -1);
	assert_int_equal(ldifw_entry(&b, NULL), -1);
	assert_string_equal(buf_str(&b), "dn:\nchangetype: delete\n\n");
	assert_int_equal(entry_add(e, "bad name", "x", 1), 0);
	assert_int_equal(ldifw_add(&b, e), -1);
	assert_int_equal(ldifw_entry(&b, e), -1);
	assert_string_equal(buf_str(&b), "dn:\nchangetype: delete\n\n");
	entry_free(e);
	buf_free(&b);
}

static void test_base64(void **state)
{
	static const struct {
		const char *name;
		const char *dn;
		const char *val;
		size_t len; /* 0: strlen */
		const char *want;
	} cases[] = {
	    {"safe", "cn=x", "plain value", 0, "dn: cn=x\ndescription: plain value\n\n"},
	    {"hash is safe", "cn=x", "#1 not a comment", 0,
	     "dn: cn=x\ndescription: #1 not a comment\n\n"},
	    {"inner colon is safe", "cn=x", "smtp:a@b", 0, "dn: cn=x\ndescription: smtp:a@b\n\n"},
	    {"leading space", "cn=x", " lead", 0, "dn: cn=x\ndescription:: IGxlYWQ=\n\n"},
	    {"leading colon", "cn=x", ":colon", 0, "dn: cn=x\ndescription:: OmNvbG9u\n\n"},
	    {"leading less-than", "cn=x", "<lt", 0, "dn: cn=x\ndescription:: PGx0\n\n"},
	    {"UTF-8", "cn=x", "M\xc3\xbcller", 0, "dn: cn=x\ndescription:: TcO8bGxlcg==\n\n"},
	    {"NUL byte", "cn=x", "a\0b", 3, "dn: cn=x\ndescription:: YQBi\n\n"},
	    {"trailing space", "cn=x", "trail ", 0, "dn: cn=x\ndescription:: dHJhaWwg\n\n"},
	    {"newline", "cn=x", "a\nb", 0, "dn: cn=x\ndescription:: YQpi\n\n"},
	    {"carriage return", "cn=x", "a\rb", 0, "dn: cn=x\ndescription:: YQ1i\n\n"},
	    {"binary", "cn=x", "\xff\xfe", 0, "dn: cn=x\ndescription:: //4=\n\n"},
	    {"empty", "cn=x", "", 0, "dn: cn=x\ndescription:\n\n"},
	    {"UTF-8 DN", "cn=M\xc3\xbcller,dc=example,dc=test", "x", 0,
	     "dn:: Y249TcO8bGxlcixkYz1leGFtcGxlLGRjPXRlc3Q=\ndescription: x\n\n"},
	};
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		struct entry *e = entry_new(cases[i].dn);
		struct buf b = BUF_INIT;
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].val);

		print_message("case %s\n", cases[i].name);
		assert_non_null(e);
		assert_int_equal(entry_add(e, "description", cases[i].val, len), 0);
		assert_int_equal(ldifw_entry(&b, e), 0);
		assert_string_equal(buf_str(&b), cases[i].want);
		entry_free(e);
		buf_free(&b);
	}
}

static void assert_lines_within(const char *s, size_t width)
{
	while (*s) {
		size_t n = strcspn(s, "\n");

		assert_in_range(n, 0, width);
		s += n + (s[n] == '\n');
	}
}

static void test_fold(void **state)
{
	struct entry *e = entry_new("cn=x");
	struct buf b = BUF_INIT, want = BUF_INIT;
	char x[200], ff[100];

	memset(x, 'x', sizeof(x));
	memset(ff, 0xff, sizeof(ff));
	assert_non_null(e);
	assert_int_equal(entry_add(e, "description", x, sizeof(x)), 0);
	assert_int_equal(ldifw_entry(&b, e), 0);
	/* "description: " is 13 columns, so 63 + 75 + 62 bytes of value */
	assert_int_equal(buf_puts(&want, "dn: cn=x\ndescription: "), 0);
	assert_int_equal(buf_add(&want, x, 63), 0);
	assert_int_equal(buf_puts(&want, "\n "), 0);
	assert_int_equal(buf_add(&want, x, 75), 0);
	assert_int_equal(buf_puts(&want, "\n "), 0);
	assert_int_equal(buf_add(&want, x, 62), 0);
	assert_int_equal(buf_puts(&want, "\n\n"), 0);
	assert_string_equal(buf_str(&b), buf_str(&want));
	assert_lines_within(buf_str(&b), 76);
	entry_free(e);

	/* base64 folds the same way */
	buf_reset(&b);
	e = entry_new("cn=x");
	assert_non_null(e);
	assert_int_equal(entry_add(e, "jpegPhoto", ff, sizeof(ff)), 0);
	assert_int_equal(ldifw_entry(&b, e), 0);
	assert_string_equal(
	    buf_str(&b),
	    "dn: cn=x\njpegPhoto:: "
	    "////////////////////////////////////////////////////////////////\n"
	    " /////////////////////////////////////////////////////////////////////w==\n\n");
	assert_lines_within(buf_str(&b), 76);
	entry_free(e);
	buf_free(&b);
	buf_free(&want);
}

/* What libldap's own parser (the one in ldapmodify) reads back must be what
 * was written, byte for byte. */
static void test_round_trip(void **state)
{
	static const struct mspec ms[] = {
	    {ENTRY_MOD_ADD, "description", 3, {" lead", "a\0b", "M\xc3\xbcller"}, {0, 3, 0}},
	    {ENTRY_MOD_DELETE, "targetAddress", 0, {NULL}, {0}},
	    {ENTRY_MOD_REPLACE,
	     "info",
	     1,
	     {"a long value that is folded at seventy-six columns by libldap, then unfolded by "
	      "the reader again without losing a single byte"},
	     {0}},
	    {ENTRY_MOD_DELETE, "proxyAddresses", 1, {"trail "}, {0}},
	};
	static const int ops[] = {LDAP_MOD_ADD, LDAP_MOD_DELETE, LDAP_MOD_REPLACE, LDAP_MOD_DELETE};
	struct entry_mod *m = mods_new(ms, NV(ms));
	const char *dn = "cn=J\xc3\xb6rg,dc=example,dc=test";
	struct buf b = BUF_INIT;
	struct berval bv;
	LDIFRecord lr;
	size_t i, k;

	assert_int_equal(ldifw_modify(&b, dn, m, NV(ms)), 0);
	bv.bv_val = b.s;
	bv.bv_len = b.len;
	assert_int_equal(ldap_parse_ldif_record(&bv, 1, &lr, "test_ldifw", 0), LDAP_SUCCESS);
	assert_int_equal(lr.lr_op, LDAP_REQ_MODIFY);
	assert_int_equal(lr.lr_dn.bv_len, strlen(dn));
	assert_memory_equal(lr.lr_dn.bv_val, dn, strlen(dn));
	assert_null(lr.lr_ctrls);
	for (i = 0; i < NV(ms); i++) {
		LDAPMod *lm = lr.lrop_mods[i];

		assert_non_null(lm);
		assert_int_equal(lm->mod_op & ~LDAP_MOD_BVALUES, ops[i]);
		assert_string_equal(lm->mod_type, ms[i].attr);
		if (ms[i].nvals == 0) {
			assert_null(lm->mod_bvalues);
			continue;
		}
		for (k = 0; k < ms[i].nvals; k++) {
			assert_non_null(lm->mod_bvalues[k]);
			assert_int_equal(lm->mod_bvalues[k]->bv_len, m[i].vals[k].len);
			assert_memory_equal(lm->mod_bvalues[k]->bv_val, m[i].vals[k].val,
			                    m[i].vals[k].len);
		}
		assert_null(lm->mod_bvalues[k]);
	}
	assert_null(lr.lrop_mods[i]);
	ldap_ldif_record_done(&lr);
	mods_free(m, NV(ms));
	buf_free(&b);
}

static void test_is_secret(void **state)
{
	static const struct {
		const char *attr;
		int want;
	} cases[] = {
	    {"userPassword", 1},
	    {"USERPASSWORD", 1},
	    {"userpassword;binary", 1},
	    {"2.5.4.35", 1},
	    {"authPassword", 1},
	    {"unicodePwd", 1},
	    {"sambaNTPassword", 1},
	    {"sambaLMPassword", 1},
	    {"ntPwdHistory", 1},
	    {"lmPwdHistory", 1},
	    {"supplementalCredentials", 1},
	    {"krbPrincipalKey", 1},
	    {"mail", 0},
	    {"userPasswordHint", 0},
	    {"user", 0},
	    {"", 0},
	    {NULL, 0},
	};
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		print_message("case %s\n", cases[i].attr ? cases[i].attr : "(null)");
		assert_int_equal(ldifw_is_secret(cases[i].attr), cases[i].want);
	}
}

static void test_comment(void **state)
{
	static const struct {
		const char *name;
		const char *text;
		const char *want;
	} cases[] = {
	    {"plain", "pass 3: 2 changes", "# pass 3: 2 changes\n"},
	    {"empty", "", "#\n"},
	    {"NULL", NULL, "#\n"},
	    {"newline", "a\nb", "# a?b\n"},
	    {"record injection", "x\n\ndn: cn=evil\nchangetype: delete\n",
	     "# x??dn: cn=evil?changetype: delete?\n"},
	    {"CRLF and tab", "a\r\n\tb", "# a???b\n"},
	    {"escape and DEL", "\x1b[31mred\x7f", "# ?[31mred?\n"},
	    {"UTF-8 kept", "Jos\xc3\xa9 M\xc3\xbcller", "# Jos\xc3\xa9 M\xc3\xbcller\n"},
	    {"invalid UTF-8", "a\xff\xc3zb", "# a??zb\n"},
	    {"truncated UTF-8", "a\xe2\x82", "# a??\n"},
	    {"overlong", "\xc0\xaf", "# ??\n"},
	    {"C1 NEL",
	     "a\xc2\x85"
	     "b",
	     "# a?b\n"},
	    {"line separator",
	     "a\xe2\x80\xa8"
	     "b",
	     "# a?b\n"},
	    {"bidi override",
	     "a\xe2\x80\xae"
	     "b",
	     "# a?b\n"},
	    {"four-byte kept", "\xf0\x9f\x93\xa7", "# \xf0\x9f\x93\xa7\n"},
	};
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		struct buf b = BUF_INIT;

		print_message("case %s\n", cases[i].name);
		assert_int_equal(ldifw_comment(&b, cases[i].text), 0);
		assert_string_equal(buf_str(&b), cases[i].want);
		buf_free(&b);
	}
}

static void test_long_comment(void **state)
{
	struct buf b = BUF_INIT, text = BUF_INIT;
	int i;

	for (i = 0; i < 30; i++)
		assert_int_equal(buf_puts(&text, "word "), 0);
	assert_int_equal(ldifw_comment(&b, buf_str(&text)), 0);
	/* one line, never folded */
	assert_int_equal(b.len, 2 + text.len + 1);
	assert_memory_equal(b.s, "# ", 2);
	assert_memory_equal(b.s + 2, text.s, text.len);
	assert_int_equal(b.s[b.len - 1], '\n');
	assert_null(memchr(b.s, '\n', b.len - 1));
	buf_free(&b);
	buf_free(&text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version),        cmocka_unit_test(test_modify),
	    cmocka_unit_test(test_modify_invalid), cmocka_unit_test(test_add_entry_delete),
	    cmocka_unit_test(test_base64),         cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_is_secret),
	    cmocka_unit_test(test_comment),        cmocka_unit_test(test_long_comment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
