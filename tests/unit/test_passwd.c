/* test_passwd.c - the unicodePwd value Active Directory takes.
 * The password between double quotes as UTF-16LE, byte for byte, for
 * ASCII, "pässwörd€", a character beyond U+FFFF, and what is refused. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "passwd.h"

/* "xx xx ..." of n bytes, for messages. */
static const char *hex(const char *p, size_t n)
{
	static char s[512];
	size_t i, k = 0;

	s[0] = '\0';
	for (i = 0; i < n && k + 4 < sizeof(s); i++)
		k += (size_t)snprintf(s + k, sizeof(s) - k, "%s%02x", i ? " " : "",
		                      (unsigned)(unsigned char)p[i]);
	return s;
}

static void test_table(void **state)
{
	static const struct {
		const char *what;
		const char *pw;
		size_t len;
		const char *want; /* NULL: refused */
		size_t want_len;
	} cases[] = {
	    {"ASCII", "Sesam-42", 8, "\"\0S\0e\0s\0a\0m\0-\0004\0002\0\"\0", 20},
	    /* ä U+00E4, ö U+00F6 (two UTF-8 bytes each), € U+20AC (three) */
	    {"non-ASCII", "p\xc3\xa4ssw\xc3\xb6rd\xe2\x82\xac", 13,
	     "\"\0p\0\xe4\0s\0s\0w\0\xf6\0r\0d\0\xac\x20\"\0", 22},
	    /* U+1F511 (key) is the surrogate pair D83D DD11 */
	    {"beyond U+FFFF", "k\xf0\x9f\x94\x91", 5, "\"\0k\0\x3d\xd8\x11\xdd\"\0", 10},
	    /* a quote inside is a character like any other */
	    {"inner quote", "a\"b", 3, "\"\0a\0\"\0b\0\"\0", 10},
	    {"empty", "", 0, "\"\0\"\0", 4},
	    {"Latin-1 byte", "p\xe4ss", 4, NULL, 0},
	    {"overlong slash", "a\xc0\xaf", 3, NULL, 0},
	    {"truncated euro", "a\xe2\x82", 3, NULL, 0},
	    {"UTF-8 surrogate", "\xed\xa0\x80", 3, NULL, 0},
	    {"NUL inside", "a\0b", 3, NULL, 0},
	};
	size_t i, n;
	char *out;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = passwd_unicodepwd(cases[i].pw, cases[i].len, &out, &n);

		if (cases[i].want == NULL) {
			if (rc != -1 || out != NULL)
				fail_msg("%s: got %d (%s), want -1 and no value", cases[i].what, rc,
				         out ? hex(out, n) : "NULL");
			continue;
		}
		if (rc != 0 || out == NULL)
			fail_msg("%s: got %d, want 0", cases[i].what, rc);
		if (n != cases[i].want_len || memcmp(out, cases[i].want, n) != 0) {
			char got[512];

			snprintf(got, sizeof(got), "%s", hex(out, n));
			fail_msg("%s: got %s, want %s", cases[i].what, got,
			         hex(cases[i].want, cases[i].want_len));
		}
		passwd_wipe(out, n);
	}
	passwd_wipe(NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
