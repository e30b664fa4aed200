/* test_ldapc_escape.c - unit tests of ldapc's pure helpers.
 * Filter escaping (RFC 4515), child DN building (RFC 4514) and the names of
 * the classifications, table-driven and without a server. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "ldapc.h"

/* UTF-8 spelt out, so the tables do not depend on the source encoding. */
#define E_ACUTE "\xc3\xa9"
#define U_UML "\xc3\xbc"
#define NIHON "\xe6\x97\xa5\xe6\x9c\xac"
#define EMOJI "\xf0\x9f\x93\xa7"

struct esc_case {
	const char *in;
	size_t len;
	const char *want;
};

#define ESC(s, w)                                                                                  \
	{                                                                                          \
		s, sizeof(s) - 1, w                                                                \
	}

static const struct esc_case esc_cases[] = {
    ESC("", ""),
    ESC("john.smith", "john.smith"),
    ESC("*", "\\2A"),
    ESC("(", "\\28"),
    ESC(")", "\\29"),
    ESC("\\", "\\5C"),
    ESC("a\0b", "a\\00b"),
    ESC("*)(uid=*", "\\2A\\29\\28uid=\\2A"),
    ESC("smtp:a*b@example.test", "smtp:a\\2Ab@example.test"),
    ESC("Jos" E_ACUTE " M" U_UML "ller", "Jos" E_ACUTE " M" U_UML "ller"),
    ESC(NIHON, NIHON),
    ESC(EMOJI, EMOJI),
    ESC(E_ACUTE "*", E_ACUTE "\\2A"),
    ESC("(" E_ACUTE ")", "\\28" E_ACUTE "\\29"),
    /* Not UTF-8: escaped byte by byte. */
    ESC("\xff", "\\FF"),
    ESC("a\x80z", "a\\80z"),
    ESC("\xc0\xaf", "\\C0\\AF"),                 /* overlong "/" */
    ESC("\xed\xa0\x80", "\\ED\\A0\\80"),         /* surrogate */
    ESC("\xf4\x90\x80\x80", "\\F4\\90\\80\\80"), /* above U+10FFFF */
    ESC("x\xc3", "x\\C3"),                       /* cut short */
    ESC("\xc3" E_ACUTE, "\\C3" E_ACUTE),
};

static void test_filter_escape(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		const struct esc_case *t = &esc_cases[i];
		struct buf b = BUF_INIT;

		assert_int_equal(ldapc_filter_escape(&b, t->in, t->len), 0);
		if (strcmp(buf_str(&b), t->want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf_str(&b), t->want);
		assert_int_equal(b.len, strlen(t->want));
		buf_free(&b);
	}
}

static void test_filter_escape_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_puts(&b, "(mail="), 0);
	assert_int_equal(ldapc_filter_escape(&b, "a*", 2), 0);
	assert_int_equal(buf_puts(&b, ")"), 0);
	assert_string_equal(buf_str(&b), "(mail=a\\2A)");
	buf_free(&b);
}

struct dn_case {
	const char *attr;
	const char *value;
	const char *parent;
	const char *want; /* NULL: must fail */
};

#define PEOPLE "ou=people,dc=example,dc=test"

static const struct dn_case dn_cases[] = {
    {"cn", "John Smith", PEOPLE, "cn=John Smith," PEOPLE},
    {"cn", "Smith, John", PEOPLE, "cn=Smith\\2C John," PEOPLE},
    {"cn", "a+b", PEOPLE, "cn=a\\2Bb," PEOPLE},
    {"cn", "say \"hi\"", PEOPLE, "cn=say \\22hi\\22," PEOPLE},
    {"cn", " lead", PEOPLE, "cn=\\20lead," PEOPLE},
    {"cn", "#hash", PEOPLE, "cn=\\23hash," PEOPLE},
    {"cn", "mid#dle", PEOPLE, "cn=mid#dle," PEOPLE},
    {"cn", "trail ", PEOPLE, "cn=trail\\20," PEOPLE},
    {"cn", "x=y", PEOPLE, "cn=x\\3Dy," PEOPLE},
    {"cn", "back\\slash", PEOPLE, "cn=back\\5Cslash," PEOPLE},
    {"cn", "<a>;b", PEOPLE, "cn=\\3Ca\\3E\\3Bb," PEOPLE},
    {"cn", "Jos" E_ACUTE " M" U_UML "ller", PEOPLE, "cn=Jos" E_ACUTE " M" U_UML "ller," PEOPLE},
    {"cn", NIHON, PEOPLE, "cn=" NIHON "," PEOPLE},
    {"mail", "a@example.test", "ou=contacts,dc=example,dc=test",
     "mail=a@example.test,ou=contacts,dc=example,dc=test"},
    {"2.5.4.3", "x", PEOPLE, "2.5.4.3=x," PEOPLE},
    /* The parent is parsed and rendered again. */
    {"cn", "x", "ou=people , dc=example,dc=test", "cn=x," PEOPLE},
    {"cn", "x", "o=A\\2CB,dc=test", "cn=x,o=A\\2CB,dc=test"},
    {"cn", "x", "o=A\\,B,dc=test", "cn=x,o=A\\2CB,dc=test"},
    {"cn", "x", "cn=a+sn=b,dc=test", "cn=x,cn=a+sn=b,dc=test"},
    {"cn", "x", "ou=M" U_UML "nchen,dc=test", "cn=x,ou=M" U_UML "nchen,dc=test"},
    {"cn", "x", "", "cn=x"},
    {"cn", "x", NULL, "cn=x"},
    /* Bad parents. */
    {"cn", "x", "dc=example,,dc=test", NULL},
    {"cn", "x", "example", NULL},
    {"cn", "x", "=x,dc=test", NULL},
    {"cn", "x", "cn=a,", NULL},
    {"cn", "x", "dc=ex\\zz", NULL},
    /* Bad attributes and values. */
    {"", "x", PEOPLE, NULL},
    {NULL, "x", PEOPLE, NULL},
    {"1cn", "x", PEOPLE, NULL},
    {"c n", "x", PEOPLE, NULL},
    {"cn;lang-de", "x", PEOPLE, NULL},
    {"2..5", "x", PEOPLE, NULL},
    {"2.5.", "x", PEOPLE, NULL},
    {"cn", "\xff", PEOPLE, NULL},
    {"cn", "x\xc3", PEOPLE, NULL},
    {"cn", NULL, PEOPLE, NULL},
};

static void test_dn_child(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(dn_cases) / sizeof(dn_cases[0]); i++) {
		const struct dn_case *t = &dn_cases[i];
		struct buf b = BUF_INIT;
		int rc = ldapc_dn_child(&b, t->attr, t->value, t->parent);

		if (t->want == NULL) {
			if (rc != -1 || b.len != 0)
				fail_msg("case %zu: got %d \"%s\", want -1 and nothing appended", i,
				         rc, buf_str(&b));
		} else {
			if (rc != 0 || strcmp(buf_str(&b), t->want) != 0)
				fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, rc, buf_str(&b),
				         t->want);
		}
		buf_free(&b);
	}
}

static void test_dn_child_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_puts(&b, "dn: "), 0);
	assert_int_equal(ldapc_dn_child(&b, "cn", "a,b", "dc=test"), 0);
	assert_string_equal(buf_str(&b), "dn: cn=a\\2Cb,dc=test");
	/* A failure leaves what was there. */
	assert_int_equal(ldapc_dn_child(&b, "cn", "x", "bad"), -1);
	assert_string_equal(buf_str(&b), "dn: cn=a\\2Cb,dc=test");
	buf_free(&b);
}

/* DNs as read are normalised so that two spellings compare equal. */
static void test_dn_norm(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"", ""},
	    {"uid=a,ou=people,dc=x", "uid=a,ou=people,dc=x"},
	    {"cn=Mailbox Database 01,ou=databases,dc=x",
	     "cn=Mailbox Database 01,ou=databases,dc=x"},
	    /* spaces around separators go, case stays */
	    {"UID=KWeber, OU=People ,dc=x", "UID=KWeber,OU=People,dc=x"},
	    {" uid=a , dc=x", "uid=a,dc=x"},
	    /* escapes as libldap writes them */
	    {"uid=k\\77eber,dc=x", "uid=kweber,dc=x"},
	    {"cn=a\\,b,dc=x", "cn=a\\2Cb,dc=x"},
	    {"cn=\"quoted, name\",dc=x", "cn=quoted\\2C name,dc=x"},
	    {"cn=Jos\\C3\\A9,dc=x", "cn=Jos" E_ACUTE ",dc=x"},
	    {"cn=Jos" E_ACUTE ",dc=x", "cn=Jos" E_ACUTE ",dc=x"},
	    /* what does not parse is kept as it is */
	    {"not a dn", "not a dn"},
	    {"cn=a,,dc=x", "cn=a,,dc=x"},
	};
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		assert_int_equal(buf_puts(&b, "> "), 0);
		assert_int_equal(ldapc_dn_norm(&b, cases[i].in, strlen(cases[i].in)), 0);
		if (strcmp(buf_str(&b) + 2, cases[i].want) != 0)
			fail_msg("ldapc_dn_norm(\"%s\"): got \"%s\", want \"%s\"", cases[i].in,
			         buf_str(&b) + 2, cases[i].want);
	}
	assert_int_equal(ldapc_dn_valid("uid=a,dc=x"), 1);
	assert_int_equal(ldapc_dn_valid("notadn"), 0);
	buf_free(&b);
}

static void test_rc_name(void **state)
{
	static const struct {
		enum ldapc_rc rc;
		const char *want;
	} cases[] = {
	    {LDAPC_OK, "ok"},       {LDAPC_RETRY, "retry"}, {LDAPC_SKIP, "skip"},
	    {LDAPC_FATAL, "fatal"}, {LDAPC_STALE, "stale"}, {(enum ldapc_rc)42, "unknown"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(ldapc_rc_name(cases[i].rc), cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_filter_escape), cmocka_unit_test(test_filter_escape_appends),
	    cmocka_unit_test(test_dn_child),      cmocka_unit_test(test_dn_child_appends),
	    cmocka_unit_test(test_dn_norm),       cmocka_unit_test(test_rc_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
