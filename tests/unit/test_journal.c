/* test_journal.c - the write-ahead change journal.
 * Exact file contents (result names, reread notes, the entry before a
 * delete), ids across reopen and rotation, torn tails, refused records,
 * verify's report in file order, and the exact LDIF undo writes. */
#include "config.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "entry.h"
#include "journal.h"
#include "ldifw.h"

#define NV(a) (sizeof(a) / sizeof((a)[0]))
#define T0 ((time_t)1795341600) /* 2026-11-22T10:00:00Z */

#define V "version: 1\n\n"
#define REC_MOD                                                                                    \
	"dn: uid=a,dc=example,dc=test\nchangetype: modify\nadd: mail\nmail: a@example.test\n-\n\n"
#define REC_DEL "dn: cn=old,dc=example,dc=test\nchangetype: delete\n\n"
#define B(id) "# 2026-11-22T10:00:00Z req=" #id " rule=r asserted=-\n"
/* The result of req=id a second later; res is what follows "result=". */
#define E(id, res) "# 2026-11-22T10:00:01Z req=" #id " result=" #res "\n"
#define R "dn: cn=x,dc=example,dc=test\nchangetype: delete\n\n"
/* The reread note of req=id, two seconds after it began. */
#define RR(id) "# 2026-11-22T10:00:02Z req=" #id " reread\n"
/* The comment before the inverse of a change whose outcome is unknown. */
#define UNKNOWN(id)                                                                                \
	"# outcome unknown: req=" #id " may not have been applied; if it was not, ldapmodify -c "  \
	"reports this record failing, harmlessly\n"
/* The entry R deletes, noted before it. */
#define PRE_X "# entry: dn: cn=x,dc=example,dc=test\n# entry: objectClass: device\n# entry: cn: x\n"
/* journaled's code for a request left without a result. */
#define NO_RESULT INT_MIN

static char dir[] = "/tmp/dirmail-journal-XXXXXX";

static int setup(void **state)
{
	umask(022);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Sets b to DIR/name, or DIR/name.gen for gen > 0. */
static const char *path_of(struct buf *b, const char *name, int gen)
{
	buf_reset(b);
	if (gen > 0)
		assert_int_equal(buf_printf(b, "%s/%s.%d", dir, name, gen), 0);
	else
		assert_int_equal(buf_printf(b, "%s/%s", dir, name), 0);
	return buf_str(b);
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Returns the file's contents in b. */
static const char *slurp(struct buf *b, const char *path)
{
	char chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	buf_reset(b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(b, chunk, n), 0);
	assert_int_equal(fclose(f), 0);
	return buf_str(b);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Replaces every '@' in want by path. */
static const char *expand(struct buf *b, const char *want, const char *path)
{
	buf_reset(b);
	for (; *want; want++)
		if (*want == '@')
			assert_int_equal(buf_puts(b, path), 0);
		else
			assert_int_equal(buf_add(b, want, 1), 0);
	return buf_str(b);
}

static void test_new_file(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT;
	struct journal *j = NULL;
	struct stat st;

	path_of(&p, "new", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_non_null(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), V);
	assert_int_equal(stat(p.s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	journal_close(j);
	/* reopening adds nothing */
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s), V);
	/* an existing empty file gets its version line too */
	spit(p.s, "", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s), V);
	journal_close(NULL);
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
}

#define RECORDS_FILE                                                                               \
	V "# 2026-11-22T10:00:00Z req=1 rule=primary-address asserted=(!(mail=*))\n" REC_MOD       \
	  "# 2026-11-22T10:00:01Z req=1 result=0 success\n"                                        \
	  "# 2026-11-22T10:00:02Z req=2 rule=- asserted=-\n" REC_DEL                               \
	  "# 2026-11-22T10:00:03Z req=2 result=32 noSuchObject No such object\n"                   \
	  "# 2026-11-22T10:00:04Z req=3 rule=catch-all asserted=(cn=old)\n" REC_DEL

static void test_records(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, report = BUF_INIT;
	struct journal *j = NULL;
	long nfailed = -1;

	path_of(&p, "records", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(
	    journal_begin(j, T0, "primary-address", "(!(mail=*))", NULL, REC_MOD, &err), 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 0, NULL, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 2, NULL, "", NULL, REC_DEL, &err), 2);
	assert_int_equal(journal_end(j, 2, T0 + 3, 32, "No such object", &err), 0);
	assert_int_equal(journal_begin(j, T0 + 4, "catch-all", "(cn=old)", NULL, REC_DEL, &err), 3);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), RECORDS_FILE);

	/* verify: one failed, one unfinished, each at its req= comment */
	assert_int_equal(journal_verify(p.s, &report, &nfailed), -1);
	assert_int_equal(nfailed, 2);
	assert_string_equal(buf_str(&report),
	                    expand(&got,
	                           "@:11: req=2 failed: result=32 noSuchObject No such object\n"
	                           "@:16: req=3 has no result (outcome unknown)\n",
	                           p.s));

	/* reopen continues after the highest id; results may come in any order */
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 5, "r", NULL, NULL, REC_DEL, &err), 4);
	assert_int_equal(journal_begin(j, T0 + 5, "r", NULL, NULL, REC_DEL, &err), 5);
	assert_int_equal(journal_end(j, 5, T0 + 6, 0, "", &err), 0);
	assert_int_equal(journal_end(j, 4, T0 + 6, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s),
	                    RECORDS_FILE "# 2026-11-22T10:00:05Z req=4 rule=r asserted=-\n" REC_DEL
	                                 "# 2026-11-22T10:00:05Z req=5 rule=r asserted=-\n" REC_DEL
	                                 "# 2026-11-22T10:00:06Z req=5 result=0 success\n"
	                                 "# 2026-11-22T10:00:06Z req=4 result=0 success\n");
	buf_reset(&report);
	assert_int_equal(journal_verify(p.s, &report, NULL), -1);
	assert_string_equal(buf_str(&report),
	                    expand(&got,
	                           "@:11: req=2 failed: result=32 noSuchObject No such object\n"
	                           "@:16: req=3 has no result (outcome unknown)\n",
	                           p.s));
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&report);
}

static void test_verify_clean(void **state)
{
	struct buf p = BUF_INIT, err = BUF_INIT, report = BUF_INIT;
	struct journal *j = NULL;
	long nfailed = -1;

	path_of(&p, "clean", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0, "a", "(mail=a@example.test)", NULL, REC_MOD, &err),
	                 1);
	assert_int_equal(journal_end(j, 1, T0, 0, NULL, &err), 0);
	assert_int_equal(journal_begin(j, T0, "b", NULL, NULL, REC_DEL, &err), 2);
	assert_int_equal(journal_end(j, 2, T0, 0, NULL, &err), 0);
	journal_close(j);
	assert_int_equal(journal_verify(p.s, &report, &nfailed), 2);
	assert_int_equal(nfailed, 0);
	assert_string_equal(buf_str(&report), "");
	buf_free(&p);
	buf_free(&err);
	buf_free(&report);
}

static void test_result_names(void **state)
{
	static const struct {
		int code;
		const char *text;
		const char *want;   /* after "# TIME req=ID " */
		const char *report; /* verify's line after "@:LINE: req=ID ", "" for none */
	} cases[] = {
	    {0, NULL, "result=0 success", ""},
	    {32, "No such object", "result=32 noSuchObject No such object",
	     "failed: result=32 noSuchObject No such object"},
	    {122, "ldap://h: modify on \"cn=x\": assertion failed (122)",
	     "result=122 assertionFailed ldap://h: modify on \"cn=x\": assertion failed (122)",
	     "failed: result=122 assertionFailed ldap://h: modify on \"cn=x\": assertion failed "
	     "(122) (never re-read)"},
	    {4096, "", "result=4096 esyncRefreshRequired",
	     "failed: result=4096 esyncRefreshRequired"},
	    {16654, NULL, "result=16654 noOperation", "failed: result=16654 noOperation"},
	    {9999, "odd", "result=9999 unrecognized odd", "failed: result=9999 unrecognized odd"},
	    {35, NULL, "result=35 unrecognized", "failed: result=35 unrecognized"},
	    {JOURNAL_UNKNOWN, "the connection was lost", "result=unknown the connection was lost",
	     "outcome unknown: the connection was lost"},
	    {JOURNAL_UNSENT, NULL, "result=unsent", "was not sent"},
	};
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, want = BUF_INIT, report = BUF_INIT,
	           wantr = BUF_INIT;
	struct journal *j = NULL;
	long nfailed = -1, id;
	size_t i;

	path_of(&p, "names", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(buf_puts(&want, V), 0);
	for (i = 0; i < NV(cases); i++) {
		print_message("case %d\n", cases[i].code);
		id = (long)i + 1;
		assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), id);
		assert_int_equal(journal_end(j, id, T0 + 1, cases[i].code, cases[i].text, &err), 0);
		assert_int_equal(buf_printf(&want,
		                            "# 2026-11-22T10:00:00Z req=%ld rule=r asserted=-\n" R
		                            "# 2026-11-22T10:00:01Z req=%ld %s\n",
		                            id, id, cases[i].want),
		                 0);
		if (*cases[i].report)
			assert_int_equal(buf_printf(&wantr, "%s:%ld: req=%ld %s\n", p.s,
			                            3 + 5 * (id - 1), id, cases[i].report),
			                 0);
	}
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), buf_str(&want));

	/* no other negative code; the request still awaits its result */
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 10);
	assert_int_equal(journal_end(j, 10, T0 + 1, -3, "x", &err), -1);
	assert_string_equal(buf_str(&err), expand(&got, "@: req=10: -3 is not a result code", p.s));
	buf_reset(&err);
	assert_int_equal(journal_end(j, 10, T0 + 1, INT_MIN, NULL, &err), -1);
	assert_string_equal(buf_str(&err),
	                    expand(&got, "@: req=10: -2147483648 is not a result code", p.s));
	buf_reset(&err);
	assert_int_equal(journal_end(j, 10, T0 + 1, 0, NULL, &err), 0);
	journal_close(j);
	assert_int_equal(
	    buf_puts(&want, "# 2026-11-22T10:00:00Z req=10 rule=r asserted=-\n" R E(10, 0 success)),
	    0);
	assert_string_equal(slurp(&got, p.s), buf_str(&want));

	/* read back as written */
	assert_int_equal(journal_verify(p.s, &report, &nfailed), -1);
	assert_int_equal(nfailed, 8);
	assert_string_equal(buf_str(&report), buf_str(&wantr));
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&want);
	buf_free(&report);
	buf_free(&wantr);
}

static void test_reread(void **state)
{
	struct buf p = BUF_INIT, g = BUF_INIT, got = BUF_INIT, err = BUF_INIT, report = BUF_INIT;
	struct journal *j = NULL;
	long nfailed = -1;

	path_of(&p, "reread", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 122, "stale", &err), 0);
	assert_int_equal(journal_reread(j, 1, T0 + 2, &err), 0);
	assert_string_equal(buf_str(&err), "");
	/* once only */
	assert_int_equal(journal_reread(j, 1, T0 + 2, &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    expand(&got,
	           "@: req=1 awaits no reread: it did not end with 122, 16 or 20 on this "
	           "handle",
	           p.s));
	/* not for a success, an unfinished request or one never begun */
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 2);
	assert_int_equal(journal_end(j, 2, T0 + 1, 0, NULL, &err), 0);
	buf_reset(&err);
	assert_int_equal(journal_reread(j, 2, T0 + 2, &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    expand(&got,
	           "@: req=2 awaits no reread: it did not end with 122, 16 or 20 on this "
	           "handle",
	           p.s));
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 3);
	buf_reset(&err);
	assert_int_equal(journal_reread(j, 3, T0 + 2, &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    expand(&got,
	           "@: req=3 awaits no reread: it did not end with 122, 16 or 20 on this "
	           "handle",
	           p.s));
	buf_reset(&err);
	assert_int_equal(journal_reread(j, 99, T0 + 2, &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    expand(&got,
	           "@: req=99 awaits no reread: it did not end with 122, 16 or 20 on this "
	           "handle",
	           p.s));
	buf_reset(&err);
	assert_int_equal(journal_end(j, 3, T0 + 1, JOURNAL_UNKNOWN, "lost", &err), 0);
	/* a stale request of another handle */
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 4);
	assert_int_equal(journal_end(j, 4, T0 + 1, 122, NULL, &err), 0);
	journal_close(j);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_reread(j, 4, T0 + 2, &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    expand(&got,
	           "@: req=4 awaits no reread: it did not end with 122, 16 or 20 on this "
	           "handle",
	           p.s));
	journal_close(j);
	buf_reset(&err);
	assert_int_equal(journal_reread(NULL, 1, T0, &err), -1);
	assert_string_equal(buf_str(&err), "journal: not open");
	assert_string_equal(slurp(&got, p.s),
	                    V B(1) R E(1, 122 assertionFailed stale) RR(1) B(2) R E(2, 0 success)
	                        B(3) R E(3, unknown lost) B(4) R E(4, 122 assertionFailed));
	assert_int_equal(journal_verify(p.s, &report, &nfailed), -1);
	assert_int_equal(nfailed, 2);
	assert_string_equal(
	    buf_str(&report),
	    expand(&got,
	           "@:14: req=3 outcome unknown: lost\n"
	           "@:19: req=4 failed: result=122 assertionFailed (never re-read)\n",
	           p.s));

	/* no rotation between a stale result and its reread note */
	buf_reset(&err);
	path_of(&p, "reread-rot", 0);
	assert_int_equal(journal_open_bytes(p.s, 100, &j, &err), 0);
	journal_defer(j, 1);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 122, NULL, &err), 0);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 2);
	assert_int_equal(journal_end(j, 2, T0 + 1, 0, NULL, &err), 0);
	assert_false(exists(path_of(&g, "reread-rot", 1)));
	assert_int_equal(journal_reread(j, 1, T0 + 2, &err), 0);
	assert_int_equal(journal_sync(j, &err), 0);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, R, &err), 3);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, path_of(&g, "reread-rot", 1)),
	                    V B(1) R E(1, 122 assertionFailed) B(2) R E(2, 0 success) RR(1));
	assert_string_equal(slurp(&got, p.s), V B(3) R);
	buf_free(&p);
	buf_free(&g);
	buf_free(&got);
	buf_free(&err);
	buf_free(&report);
}

static void test_masking(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT;
	struct journal *j = NULL;

	path_of(&p, "masking", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0, "evil\n\ndn: cn=x\nchangetype: delete",
	                               "(cn=a\r\n# 2026 req=9 result=0)", NULL, REC_DEL, &err),
	                 1);
	assert_int_equal(journal_end(j, 1, T0, 1, "bad\r\n\x1b[31mthing", &err), 0);
	journal_close(j);
	assert_string_equal(
	    slurp(&got, p.s),
	    V "# 2026-11-22T10:00:00Z req=1 rule=evil??dn: cn=x?changetype: delete "
	      "asserted=(cn=a??# 2026 req=9 result=0)\n" REC_DEL
	      "# 2026-11-22T10:00:00Z req=1 result=1 operationsError bad???[31mthing\n");
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
}

static void test_refused(void **state)
{
	static const struct {
		const char *name;
		const char *rec;
		const char *want; /* after "PATH: " */
	} cases[] = {
	    {"NULL", NULL, "refused: not one complete LDIF change record"},
	    {"empty", "", "refused: not one complete LDIF change record"},
	    {"no blank line", "dn: cn=x\nchangetype: delete\n",
	     "refused: not one complete LDIF change record"},
	    {"two records", "dn: cn=x\nchangetype: delete\n\ndn: cn=y\nchangetype: delete\n\n",
	     "refused: not one complete LDIF change record"},
	    {"content record", "dn: cn=x\ncn: x\n\n",
	     "refused: not one complete LDIF change record"},
	    {"no dn first", "changetype: delete\ndn: cn=x\n\n",
	     "refused: not one complete LDIF change record"},
	    {"forged note", "dn: cn=x\nchangetype: delete\n# 2026 req=7 result=0 success\n\n",
	     "refused: not one complete LDIF change record"},
	    {"secret value line",
	     "dn: cn=x\nchangetype: modify\nreplace: description\nuserPassword: x\n-\n\n",
	     "refused: the record names a secret attribute"},
	    {"secret op line", "dn: cn=x\nchangetype: modify\ndelete: unicodePwd\n-\n\n",
	     "refused: the record names a secret attribute"},
	    {"secret with option",
	     "dn: cn=x\nchangetype: modify\nreplace:  USERPASSWORD;binary\n-\n\n",
	     "refused: the record names a secret attribute"},
	    {"secret in add", "dn: cn=x\nchangetype: add\ncn: x\nsambaNTPassword:: AAAA\n\n",
	     "refused: the record names a secret attribute"},
	};
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct journal *j = NULL;
	size_t i;

	path_of(&p, "refused", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	for (i = 0; i < NV(cases); i++) {
		print_message("case %s\n", cases[i].name);
		buf_reset(&err);
		buf_reset(&want);
		assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, cases[i].rec, &err), -1);
		assert_int_equal(buf_printf(&want, "%s: %s", p.s, cases[i].want), 0);
		assert_string_equal(buf_str(&err), buf_str(&want));
		assert_string_equal(slurp(&got, p.s), V);
	}
	/* a refused record does not use up an id */
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), 1);

	buf_reset(&err);
	assert_int_equal(journal_end(j, 99, T0, 0, NULL, &err), -1);
	assert_string_equal(buf_str(&err), expand(&want, "@: req=99 awaits no result", p.s));
	assert_int_equal(journal_end(j, 1, T0, 0, NULL, &err), 0);
	buf_reset(&err);
	assert_int_equal(journal_end(j, 1, T0, 0, NULL, &err), -1);
	assert_string_equal(buf_str(&err), expand(&want, "@: req=1 awaits no result", p.s));
	journal_close(j);

	buf_reset(&err);
	assert_int_equal(journal_begin(NULL, T0, "r", NULL, NULL, REC_DEL, &err), -1);
	assert_string_equal(buf_str(&err), "journal: not open");
	buf_reset(&err);
	assert_int_equal(journal_end(NULL, 1, T0, 0, NULL, &err), -1);
	assert_string_equal(buf_str(&err), "journal: not open");
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&want);
}

static void test_open_errors(void **state)
{
	struct buf p = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct journal *j = (struct journal *)&p;

	path_of(&p, "missing/journal", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), -1);
	assert_null(j);
	assert_int_equal(buf_printf(&want, "%s: No such file or directory", p.s), 0);
	assert_string_equal(buf_str(&err), buf_str(&want));

	buf_reset(&err);
	buf_reset(&want);
	assert_int_equal(journal_open(dir, 0, &j, &err), -1);
	assert_int_equal(buf_printf(&want, "%s: Is a directory", dir), 0);
	assert_string_equal(buf_str(&err), buf_str(&want));
	buf_free(&p);
	buf_free(&err);
	buf_free(&want);
}

/* A write cut short (here by RLIMIT_FSIZE) leaves the file as it was. */
static void test_write_failure(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, rec = BUF_INIT, want = BUF_INIT;
	struct journal *j = NULL;
	struct rlimit old, lim;
	void (*oldsig)(int);
	int i;

	path_of(&p, "full", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(buf_puts(&rec, "dn: cn=x,dc=example,dc=test\nchangetype: modify\n"
	                                "add: description\n"),
	                 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(buf_puts(&rec, "description: some longer value\n"), 0);
	assert_int_equal(buf_puts(&rec, "-\n\n"), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, rec.s, &err), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_string_equal(buf_str(&err), expand(&want, "@: write: File too large", p.s));
	assert_string_equal(slurp(&got, p.s), V);
	/* the id was not used up, the journal goes on */
	buf_reset(&err);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s), V B(1) REC_DEL E(1, 0 success));
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&rec);
	buf_free(&want);
}

/* Begins and ends one request, checking its id. */
static void one(struct journal *j, long want_id)
{
	struct buf err = BUF_INIT;

	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), want_id);
	assert_int_equal(journal_end(j, want_id, T0 + 1, 0, NULL, &err), 0);
	assert_string_equal(buf_str(&err), "");
	buf_free(&err);
}

#define ONE(id) "# 2026-11-22T10:00:00Z req=" #id " rule=r asserted=-\n" REC_DEL

static void test_lock_and_group_commit(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct journal *j = NULL, *k = NULL;

	(void)state;
	path_of(&p, "locked", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	/* A second writer is refused while the first holds the journal. */
	assert_int_equal(journal_open(p.s, 0, &k, &err), JOURNAL_BUSY);
	assert_null(k);
	assert_string_equal(buf_str(&err),
	                    expand(&want, "@: another dirmail is writing this journal", p.s));
	/* Deferred: records are written at once, synced by journal_sync. */
	journal_defer(j, 1);
	buf_reset(&err);
	assert_int_equal(journal_sync(j, &err), 0);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), 1);
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), 2);
	assert_string_equal(slurp(&got, p.s), V B(1) REC_DEL B(2) REC_DEL);
	assert_int_equal(journal_sync(j, &err), 0);
	assert_int_equal(journal_end(j, 2, T0 + 1, 0, NULL, &err), 0);
	assert_int_equal(journal_end(j, 1, T0 + 1, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s),
	                    V B(1) REC_DEL B(2) REC_DEL E(2, 0 success) E(1, 0 success));
	/* Closed: the lock is gone, the ids go on. */
	assert_int_equal(journal_open(p.s, 0, &k, &err), 0);
	assert_int_equal(journal_begin(k, T0, "r", NULL, NULL, REC_DEL, &err), 3);
	journal_close(k);
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&want);
}

static void test_rotation(void **state)
{
	struct buf p = BUF_INIT, g = BUF_INIT, got = BUF_INIT, err = BUF_INIT, want = BUF_INIT;
	struct journal *j = NULL;
	struct stat st;
	long id;
	int gen;

	path_of(&p, "rot", 0);
	assert_int_equal(journal_open_bytes(p.s, 100, &j, &err), 0);
	one(j, 1); /* 12 bytes before it: no rotation */
	assert_false(exists(path_of(&g, "rot", 1)));
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err),
	                 2); /* rotates first */
	assert_string_equal(slurp(&got, path_of(&g, "rot", 1)),
	                    V ONE(1) "# 2026-11-22T10:00:01Z req=1 result=0 success\n");
	assert_string_equal(slurp(&got, p.s), V ONE(2));
	/* no rotation while req=2 awaits its result */
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), 3);
	assert_int_equal(journal_end(j, 3, T0 + 1, 0, NULL, &err), 0);
	assert_int_equal(journal_end(j, 2, T0 + 1, 0, NULL, &err), 0);
	assert_false(exists(path_of(&g, "rot", 2)));
	assert_string_equal(slurp(&got, p.s),
	                    V ONE(2) ONE(3) "# 2026-11-22T10:00:01Z req=3 result=0 success\n"
	                                    "# 2026-11-22T10:00:01Z req=2 result=0 success\n");
	assert_int_equal(stat(p.s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* 13 more: each rotates, nine generations stay */
	for (id = 4; id <= 16; id++)
		one(j, id);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s),
	                    V ONE(16) "# 2026-11-22T10:00:01Z req=16 result=0 success\n");
	for (gen = 1; gen <= 9; gen++) {
		buf_reset(&want);
		assert_int_equal(
		    buf_printf(&want,
		               V "# 2026-11-22T10:00:00Z req=%d rule=r asserted=-\n" REC_DEL
		                 "# 2026-11-22T10:00:01Z req=%d result=0 success\n",
		               16 - gen, 16 - gen),
		    0);
		assert_string_equal(slurp(&got, path_of(&g, "rot", gen)), buf_str(&want));
	}
	assert_false(exists(path_of(&g, "rot", 10)));
	assert_false(exists(path_of(&g, "rot.new", 0)));

	/* rotation on open: the new file has no ids, path.1 gives them */
	assert_int_equal(journal_open_bytes(p.s, 100, &j, &err), 0);
	assert_string_equal(slurp(&got, p.s), V);
	assert_string_equal(slurp(&got, path_of(&g, "rot", 1)),
	                    V ONE(16) "# 2026-11-22T10:00:01Z req=16 result=0 success\n");
	journal_close(j);
	assert_int_equal(journal_open_bytes(p.s, 100, &j, &err), 0);
	one(j, 17);
	journal_close(j);
	/* 0 never rotates */
	assert_int_equal(journal_open_bytes(p.s, 0, &j, &err), 0);
	one(j, 18);
	one(j, 19);
	journal_close(j);
	assert_string_equal(
	    slurp(&got, p.s),
	    V ONE(17) "# 2026-11-22T10:00:01Z req=17 result=0 success\n" ONE(
	        18) "# 2026-11-22T10:00:01Z req=18 result=0 success\n" ONE(19) "# "
	                                                                       "2026-11-22T10:00:"
	                                                                       "01Z "
	                                                                       "req=19 result=0 "
	                                                                       "success\n");
	assert_string_equal(buf_str(&err), "");
	buf_free(&p);
	buf_free(&g);
	buf_free(&got);
	buf_free(&err);
	buf_free(&want);
}

static void test_rotation_mb(void **state)
{
	struct buf p = BUF_INIT, g = BUF_INIT, big = BUF_INIT, got = BUF_INIT, err = BUF_INIT;
	struct journal *j = NULL;
	size_t i;

	path_of(&p, "mb", 0);
	assert_int_equal(
	    buf_puts(&big, V ONE(41) "# 2026-11-22T10:00:01Z req=41 result=0 success\n"), 0);
	/* just past 1 MiB with ordinary remark lines */
	for (i = 0; big.len <= 1024 * 1024; i++)
		assert_int_equal(
		    buf_puts(&big, "# padding padding padding padding padding padding\n"), 0);
	spit(p.s, big.s, big.len);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	journal_close(j);
	assert_int_equal(journal_open(p.s, 2, &j, &err), 0);
	journal_close(j);
	assert_false(exists(path_of(&g, "mb", 1)));
	assert_int_equal(journal_open(p.s, 1, &j, &err), 0);
	assert_string_equal(slurp(&got, p.s), V);
	assert_string_equal(slurp(&got, path_of(&g, "mb", 1)), big.s);
	one(j, 42);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	buf_free(&p);
	buf_free(&g);
	buf_free(&big);
	buf_free(&got);
	buf_free(&err);
}

static void test_torn_tail(void **state)
{
	static const struct {
		const char *name;
		const char *before;
		const char *after; /* what open leaves before the next record */
		const char *report;
		long nfailed;
	} cases[] = {
	    {"cut mid-line", V B(1) "dn: cn=torn,dc=example,dc=test\nchangetype: del",
	     V B(1) "dn: cn=torn,dc=example,dc=test\nchangetype: del\n\n",
	     "@:3: req=1 has no result (outcome unknown)\n@:4: not a valid LDIF change record\n",
	     1},
	    {"cut before the blank line",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: delete\n",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: delete\n\n",
	     "@:3: req=1 has no result (outcome unknown)\n", 1},
	    {"cut mid-note", V B(1) R "# 2026-11-22T10:00:01Z req=1 res",
	     V B(1) R "# 2026-11-22T10:00:01Z req=1 res\n\n",
	     "@:3: req=1 has no result (outcome unknown)\n", 1},
	    {"complete", V B(1) R E(1, 0 success), V B(1) R E(1, 0 success), "", 0},
	};
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, want = BUF_INIT, report = BUF_INIT;
	struct journal *j = NULL;
	long nfailed;
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		print_message("case %s\n", cases[i].name);
		path_of(&p, cases[i].name, 0);
		spit(p.s, cases[i].before, strlen(cases[i].before));
		assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
		one(j, 2);
		journal_close(j);
		buf_reset(&want);
		assert_int_equal(buf_printf(&want, "%s%s%s", cases[i].after, ONE(2),
		                            "# 2026-11-22T10:00:01Z req=2 result=0 success\n"),
		                 0);
		assert_string_equal(slurp(&got, p.s), buf_str(&want));
		buf_reset(&report);
		nfailed = -1;
		assert_int_equal(journal_verify(p.s, &report, &nfailed), cases[i].nfailed ? -1 : 2);
		assert_int_equal(nfailed, cases[i].nfailed);
		assert_string_equal(buf_str(&report), expand(&want, cases[i].report, p.s));
	}
	assert_string_equal(buf_str(&err), "");
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&want);
	buf_free(&report);
}

static void test_verify(void **state)
{
	static const struct {
		const char *name;
		const char *data; /* NULL: no file */
		size_t len;       /* 0: strlen */
		long rc;
		long nfailed;
		const char *report; /* '@' stands for the path */
	} cases[] = {
	    {"clean", V B(1) R E(1, 0 success), 0, 1, 0, ""},
	    {"empty", "", 0, 0, 0, ""},
	    {"missing", NULL, 0, -1, 0, "@: No such file or directory\n"},
	    {"remarks", V "# by hand\n" B(1) R E(1, 0 success) "# the end\n", 0, 1, 0, ""},
	    {"crlf",
	     "version: 1\r\n\r\n# 2026-11-22T10:00:00Z req=1 rule=r asserted=-\r\n"
	     "dn: cn=x,dc=example,dc=test\r\nchangetype: delete\r\n\r\n"
	     "# 2026-11-22T10:00:01Z req=1 result=0 success\r\n",
	     0, 1, 0, ""},
	    {"version and record in one block", "version: 1\n" B(1) R E(1, 0 success), 0, 1, 0, ""},
	    {"failed, folded note",
	     V B(1) R "# 2026-11-22T10:00:01Z req=1 result=32 noSuchObject No such\n  object\n", 0,
	     -1, 1, "@:3: req=1 failed: result=32 noSuchObject No such object\n"},
	    {"failed, name only", V B(1) R E(1, 68 entryAlreadyExists), 0, -1, 1,
	     "@:3: req=1 failed: result=68 entryAlreadyExists\n"},
	    {"failed, unrecognized code", V B(1) R E(1, 4097 unrecognized why), 0, -1, 1,
	     "@:3: req=1 failed: result=4097 unrecognized why\n"},
	    /* as written before result names were noted */
	    {"failed, no name", V B(1) R "# 2026-11-22T10:00:01Z req=1 result=32 No such object\n",
	     0, -1, 1, "@:3: req=1 failed: result=32 noSuchObject No such object\n"},
	    {"succeeded, no name", V B(1) R "# 2026-11-22T10:00:01Z req=1 result=0 ok\n", 0, 1, 0,
	     ""},
	    {"failed, text masked",
	     V B(1) R "# 2026-11-22T10:00:01Z req=1 result=1 operationsError \x1b[2Jgone\n", 0, -1,
	     1, "@:3: req=1 failed: result=1 operationsError ?[2Jgone\n"},
	    /* no result journal_end writes: a remark */
	    {"negative code", V B(1) R "# 2026-11-22T10:00:01Z req=1 result=-1 gone\n", 0, -1, 1,
	     "@:3: req=1 has no result (outcome unknown)\n"},
	    {"unknown", V B(1) R E(1, unknown the connection was lost), 0, -1, 1,
	     "@:3: req=1 outcome unknown: the connection was lost\n"},
	    {"unknown, no text", V B(1) R E(1, unknown), 0, -1, 1, "@:3: req=1 outcome unknown\n"},
	    {"unsent", V B(1) R E(1, unsent the pass stopped), 0, -1, 1,
	     "@:3: req=1 was not sent: the pass stopped\n"},
	    {"unsent, no text", V B(1) R E(1, unsent), 0, -1, 1, "@:3: req=1 was not sent\n"},
	    {"bad changetype",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: rename-it\n\n" E(1, 0 success), 0, -1,
	     0, "@:4: not a valid LDIF change record\n"},
	    {"no dn", V B(1) "cn: x\nchangetype: delete\n\n" E(1, 0 success), 0, -1, 0,
	     "@:4: record has no dn: line\n"},
	    {"no req comment", V R, 0, -1, 0, "@:3: record has no req= comment\n"},
	    {"control",
	     V B(1) "dn: cn=x,dc=example,dc=test\ncontrol: 1.3.6.1.1.12 true\n"
	            "changetype: delete\n\n" E(1, 0 success),
	     0, -1, 0, "@:4: record carries a control, so it would not replay as written\n"},
	    {"URL value",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: modify\n"
	            "replace: description\ndescription:< file:///dev/zero\n-\n\n" E(1, 0 success),
	     0, -1, 0, "@:4: record takes a value from a URL (\":<\"), never journaled\n"},
	    {"folded URL value",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: modify\n"
	            "replace: description\ndescr\n iption:\n < file:///dev/zero\n"
	            "-\n\n" E(1, 0 success),
	     0, -1, 0, "@:4: record takes a value from a URL (\":<\"), never journaled\n"},
	    {"result without request", V B(1) R E(1, 0 success) E(5, 0 success), 0, -1, 0,
	     "@:8: result for req=5, which awaits none\n"},
	    {"request without record", V B(1) "\n" B(2) R E(2, 0 success), 0, -1, 1,
	     "@:3: req=1 has no record\n@:3: req=1 has no result (outcome unknown)\n"},
	    {"request at the end without record", V B(1) R E(1, 0 success) B(2), 0, -1, 1,
	     "@:8: req=2 has no record\n@:8: req=2 has no result (outcome unknown)\n"},
	    {"torn last line", V B(1) R "# 2026-11-22T10:00:01Z req=1 resu", 0, -1, 1,
	     "@:3: req=1 has no result (outcome unknown)\n"
	     "@:7: the last line is incomplete (a write was cut short)\n"},
	    {"no version", B(1) R E(1, 0 success), 0, -1, 0,
	     "@:2: no \"version: 1\" line opens the file\n"},
	    {"version 2", "version: 2\n\n" B(1) R E(1, 0 success), 0, -1, 0,
	     "@:1: version is not 1\n"},
	    {"out of order", V B(2) R E(2, 0 success) B(1) R E(1, 0 success), 0, -1, 0,
	     "@:8: req=1 does not follow req=2\n@:9: record has no req= comment\n"
	     "@:12: result for req=1, which awaits none\n"},
	    {"inside a record",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: delete\n" B(
	         2) "dn: cn=y,dc=example,dc=test\nchangetype: delete\n\n" E(1, 0 success)
	         E(2, 0 success),
	     0, -1, 0,
	     "@:3: req=1 has no record\n@:4: not a valid LDIF change record\n"
	     "@:6: req=2 starts inside the record above it (no blank line)\n"},
	    {"missing result in the middle, in file order",
	     V B(1) R B(2) R E(9, 0 success) E(2, 0 success) B(3)
	         R E(3, 20 attributeOrValueExists dup),
	     0, -1, 2,
	     "@:3: req=1 has no result (outcome unknown)\n"
	     "@:11: result for req=9, which awaits none\n"
	     "@:13: req=3 failed: result=20 attributeOrValueExists dup (never re-read)\n"},
	    {"stale, re-read",
	     V B(1) R "# 2026-11-22T10:00:01Z req=1 result=122 assertionFailed ldap://h: modify on "
	              "\"cn=x\": assertion failed (122)\n" RR(1) B(2) R E(2, 0 success),
	     0, 2, 0, ""},
	    {"stale, never re-read", V B(1) R E(1, 122 assertionFailed stale), 0, -1, 1,
	     "@:3: req=1 failed: result=122 assertionFailed stale (never re-read)\n"},
	    {"stale, never re-read, in file order",
	     V B(1) R E(1, 122 assertionFailed) B(2) R E(2, 32 noSuchObject), 0, -1, 2,
	     "@:3: req=1 failed: result=122 assertionFailed (never re-read)\n"
	     "@:8: req=2 failed: result=32 noSuchObject\n"},
	    {"reread before its result", V B(1) R RR(1) E(1, 122 assertionFailed), 0, -1, 1,
	     "@:3: req=1 failed: result=122 assertionFailed (never re-read)\n"
	     "@:7: req=1: reread before its result\n"},
	    {"reread of a success", V B(1) R E(1, 0 success) RR(1), 0, -1, 0,
	     "@:8: req=1: reread, but no failed assertion or value guard awaits one\n"},
	    {"reread twice", V B(1) R E(1, 122 assertionFailed) RR(1) RR(1), 0, -1, 0,
	     "@:9: req=1: reread, but no failed assertion or value guard awaits one\n"},
	    {"reread of no request", V RR(4), 0, -1, 0,
	     "@:3: req=4: reread, but no failed assertion or value guard awaits one\n"},
	    {"entry before the delete", V B(1) PRE_X R E(1, 0 success), 0, 1, 0, ""},
	    {"entry before the delete, after a blank line", V B(1) "\n" PRE_X R E(1, 0 success), 0,
	     1, 0, ""},
	    {"entry before the delete does not parse",
	     V B(1) "# entry: dn cn=x,dc=example,dc=test\n" R E(1, 0 success), 0, -1, 0,
	     "@:4: req=1: the entry before the delete does not parse\n"},
	    {"entry before the delete without dn", V B(1) "# entry: cn: x\n" R E(1, 0 success), 0,
	     -1, 0, "@:4: req=1: the entry before the delete does not parse\n"},
	    {"entry before the delete, a change record",
	     V B(1) "# entry: dn: cn=x,dc=example,dc=test\n# entry: changetype: modify\n"
	            "# entry: add: cn\n# entry: cn: y\n# entry: -\n" R E(1, 0 success),
	     0, -1, 0, "@:4: req=1: the entry before the delete does not parse\n"},
	    {"entry before the delete, URL value",
	     V B(1) "# entry: dn: cn=x,dc=example,dc=test\n# entry: description:< "
	            "file:///etc/passwd\n" R E(1, 0 success),
	     0, -1, 0, "@:4: req=1: the entry before the delete does not parse\n"},
	    {"entry before the delete, of another entry",
	     V B(1) "# entry: dn: cn=y,dc=example,dc=test\n# entry: cn: y\n" R E(1, 0 success), 0,
	     -1, 0, "@:4: req=1: the entry before the delete is not the entry it deletes\n"},
	    {"entry before a modify",
	     V B(1) PRE_X
	     "dn: cn=x,dc=example,dc=test\nchangetype: modify\nadd: cn\ncn: y\n-\n\n" E(1,
	                                                                                0 success),
	     0, -1, 0,
	     "@:4: req=1: an entry before the change comes with a record that is no delete\n"},
	    /* only the lines before the record are the entry's */
	    {"entry comment inside the record",
	     V B(1) "dn: cn=x,dc=example,dc=test\n# entry: cn x\nchangetype: delete\n\n" E(
	         1, 0 success),
	     0, 1, 0, ""},
	    {"NUL byte",
	     V B(1) "dn: cn=x\0y,dc=example,dc=test\nchangetype: delete\n\n" E(1, 0 success),
	     sizeof(
	         V B(1) "dn: cn=x\0y,dc=example,dc=test\nchangetype: delete\n\n" E(1, 0 success)) -
	         1,
	     -1, 0, "@:4: holds a NUL byte\n"},
	};
	struct buf p = BUF_INIT, want = BUF_INIT, report = BUF_INIT;
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		long nfailed = -1;

		print_message("case %s\n", cases[i].name);
		path_of(&p, "verify", 0);
		unlink(p.s);
		if (cases[i].data != NULL)
			spit(p.s, cases[i].data,
			     cases[i].len ? cases[i].len : strlen(cases[i].data));
		buf_reset(&report);
		assert_int_equal(journal_verify(p.s, &report, &nfailed), cases[i].rc);
		assert_int_equal(nfailed, cases[i].nfailed);
		assert_string_equal(buf_str(&report), expand(&want, cases[i].report, p.s));
	}
	buf_free(&p);
	buf_free(&want);
	buf_free(&report);
}

static void test_parse_time(void **state)
{
	static const struct {
		const char *s;
		int rc;
		time_t want;
	} cases[] = {
	    {"2026-11-22T10:00:00Z", 0, T0},
	    {"1970-01-01T00:00:00Z", 0, 0},
	    {"1970-01-01T00:00:01Z", 0, 1},
	    {"2000-02-29T23:59:59Z", 0, 951868799},
	    {"2028-02-29T00:00:00Z", 0, 1835395200},
	    {"2026-12-31T23:59:59Z", 0, 1798761599},
	    {"2027-01-01T00:00:00Z", 0, 1798761600},
	    {"9999-12-31T23:59:59Z", 0, (time_t)253402300799LL},
	    {"2026-02-29T00:00:00Z", -1, 0},
	    {"2100-02-29T00:00:00Z", -1, 0},
	    {"2026-04-31T00:00:00Z", -1, 0},
	    {"2026-00-10T00:00:00Z", -1, 0},
	    {"2026-13-10T00:00:00Z", -1, 0},
	    {"2026-11-00T00:00:00Z", -1, 0},
	    {"2026-11-22T24:00:00Z", -1, 0},
	    {"2026-11-22T10:60:00Z", -1, 0},
	    {"2026-11-22T10:00:60Z", -1, 0},
	    {"1969-12-31T23:59:59Z", -1, 0},
	    {"2026-11-22T10:00:00", -1, 0},
	    {"2026-11-22T10:00:00z", -1, 0},
	    {"2026-11-22t10:00:00Z", -1, 0},
	    {"2026-11-22 10:00:00Z", -1, 0},
	    {"2026-11-22T10:00:00Z ", -1, 0},
	    {"2026-11-22T10:00:00+00:00", -1, 0},
	    {"2026-1-22T10:00:00Z", -1, 0},
	    {"+026-11-22T10:00:00Z", -1, 0},
	    {"2026-11-22T1a:00:00Z", -1, 0},
	    {"", -1, 0},
	};
	size_t i;
	time_t t;

	for (i = 0; i < NV(cases); i++) {
		print_message("case \"%s\"\n", cases[i].s);
		t = (time_t)42;
		assert_int_equal(journal_parse_time(cases[i].s, &t), cases[i].rc);
		assert_true(t == (cases[i].rc == 0 ? cases[i].want : (time_t)42));
	}
	assert_int_equal(journal_parse_time(NULL, &t), -1);
}

/* ---- undo --------------------------------------------------------------- */

#define GUID1 "\x00\x01\x02\n\r :<\xff\xfe\x80\x7f\x10 0@"
#define GUID2 "\x10\x32\x54\x76\x98\xba\xdc\xfe\x01\x23\x45\x67\x89\xab\xcd\xef"
#define LONGDESC                                                                                   \
	"a description long enough to be folded by the LDIF writer, which wraps at seventy-six "   \
	"columns"
#define DN_A "uid=a,ou=people,dc=example,dc=test"
#define DN_B "uid=b,ou=people,dc=example,dc=test"
#define DN_C1 "cn=c1,ou=contacts,dc=example,dc=test"
#define DN_C2 "cn=c2,ou=contacts,dc=example,dc=test"

/* The reverting records journal_undo should write for the journal that
 * make_journal writes, by req=. */
#define U1 "# undo of req=1 (2026-11-22T10:00:00Z)\ndn: " DN_C1 "\nchangetype: delete\n\n"
#define U2                                                                                         \
	"# undo of req=2 (2026-11-22T10:00:10Z)\ndn: " DN_A "\nchangetype: modify\n"               \
	"delete: description\n"                                                                    \
	"description: a description long enough to be folded by the LDIF writer, whic\n"           \
	" h wraps at seventy-six columns\n-\n"                                                     \
	"delete: msExchMailboxGuid\nmsExchMailboxGuid:: EDJUdpi63P4BI0VniavN7w==\n-\n"             \
	"delete: mail\nmail: a@example.test\nmail: a2@example.test\n-\n"                           \
	"add: description\ndescription: old one\ndescription:: IGxlYWQ=\n"                         \
	"description:: TcO8bGxlcg==\n-\n"                                                          \
	"delete: objectClass\nobjectClass: dirmailRecipient\n-\n\n"
#define U3                                                                                         \
	"# undo of req=3 (2026-11-22T10:00:20Z)\ndn: " DN_B "\nchangetype: modify\n"               \
	"delete: proxyAddresses\nproxyAddresses: SMTP:b@example.test\n-\n"                         \
	"add: proxyAddresses\nproxyAddresses: smtp:b@example.test\n-\n\n"
#define U6                                                                                         \
	"# undo of req=6 (2026-11-22T10:00:40Z)\ndn: " DN_C1 "\nchangetype: modify\n"              \
	"delete: description\ndescription: forwarded\n-\n\n"
#define U7                                                                                         \
	"# undo of req=7 (2026-11-22T10:00:50Z)\ndn: " DN_C1 "\nchangetype: add\n"                 \
	"objectClass: top\nobjectClass: inetOrgPerson\ncn: c1\nsn: c1\nmail: c1@other.test\n"      \
	"msExchMailboxGuid:: AAECCg0gOjz//oB/ECAwQA==\ndescription: forwarded\n\n"
#define U12 "# undo of req=12 (2026-11-22T10:01:40Z)\ndn: " DN_C2 "\nchangetype: delete\n\n"
/* ... and the report, '@' standing for the path */
#define U5                                                                                         \
	"# undo of req=5 (2026-11-22T10:00:35Z)\n" UNKNOWN(                                        \
	    5) "dn: " DN_B "\nchangetype: modify\n"                                                \
	       "delete: mail\nmail: b2@example.test\n-\n\n"
#define PROBLEMS "@:57: req=5: outcome unknown; its inverse is included\n" PROBLEMS_FROM_8
#define PROBLEMS_FROM_8                                                                            \
	"@:77: req=8: cannot be reverted: the content of the deleted entry is not in the file\n"   \
	"@:82: req=9: cannot be reverted: it replaces dirmailState\n"                              \
	"@:93: req=10: cannot be reverted: it deletes every value of mailNickname\n"               \
	"@:100: req=11: cannot be reverted: it is a modrdn\n"

/* Journals rec as the next request, begun at T0 + dt; its result (a second
 * later, so since can only match the begin) unless code is NO_RESULT. */
static void journaled(struct journal *j, long want_id, int dt, const struct buf *rec, int code)
{
	struct buf err = BUF_INIT;

	assert_int_equal(journal_begin(j, T0 + dt, "r", "(entryCSN=x)", NULL, buf_str(rec), &err),
	                 want_id);
	if (code != NO_RESULT)
		assert_int_equal(
		    journal_end(j, want_id, T0 + dt + 1, code, code ? "failed" : "ok", &err), 0);
	assert_string_equal(buf_str(&err), "");
	buf_free(&err);
}

static struct entry *contact(const char *dn, const char *cn, const char *guid, size_t guidlen)
{
	struct entry *e = entry_new(dn);
	struct buf mail = BUF_INIT;

	assert_non_null(e);
	assert_int_equal(buf_printf(&mail, "%s@other.test", cn), 0);
	assert_int_equal(entry_add(e, "objectClass", "top", 3), 0);
	assert_int_equal(entry_add(e, "objectClass", "inetOrgPerson", 13), 0);
	assert_int_equal(entry_add(e, "cn", cn, strlen(cn)), 0);
	assert_int_equal(entry_add(e, "sn", cn, strlen(cn)), 0);
	assert_int_equal(entry_add(e, "mail", mail.s, mail.len), 0);
	buf_free(&mail);
	if (guid != NULL)
		assert_int_equal(entry_add(e, "msExchMailboxGuid", guid, guidlen), 0);
	return e;
}

/* One mod of a modify the tests journal; a len of 0 means strlen. */
struct mspec {
	enum entry_mod_op op;
	const char *attr;
	size_t n;
	const char *vals[3];
	size_t lens[3];
};

/* Appends the modify of dn that the n specs ms describe, as ldifw writes it. */
static void modify_rec(struct buf *rec, const char *dn, const struct mspec *ms, size_t n)
{
	struct entry_mod *m = calloc(n, sizeof(*m));
	struct entry_val *v = calloc(n * 3, sizeof(*v));
	size_t i, k;

	assert_non_null(m);
	assert_non_null(v);
	for (i = 0; i < n; i++) {
		m[i].op = ms[i].op;
		m[i].attr = ms[i].attr;
		m[i].vals = ms[i].n ? v + i * 3 : NULL;
		m[i].nvals = ms[i].n;
		for (k = 0; k < ms[i].n; k++) {
			size_t len = ms[i].lens[k] ? ms[i].lens[k] : strlen(ms[i].vals[k]);

			v[i * 3 + k].val = malloc(len + 1);
			assert_non_null(v[i * 3 + k].val);
			memcpy(v[i * 3 + k].val, ms[i].vals[k], len + 1);
			v[i * 3 + k].len = len;
		}
	}
	buf_reset(rec);
	assert_int_equal(ldifw_modify(rec, dn, m, n), 0);
	for (i = 0; i < n * 3; i++)
		free(v[i].val);
	free(v);
	free(m);
}

/* Writes the journal at path every undo test reads: twelve requests, one
 * failed, one unfinished, four that cannot be reverted. */
static void make_journal(const char *path)
{
	static const struct mspec m2[] = {
	    {ENTRY_MOD_ADD, "objectClass", 1, {"dirmailRecipient"}, {0}},
	    {ENTRY_MOD_DELETE, "description", 3, {"old one", " lead", "M\xc3\xbcller"}, {0}},
	    {ENTRY_MOD_ADD, "mail", 2, {"a@example.test", "a2@example.test"}, {0}},
	    {ENTRY_MOD_ADD, "msExchMailboxGuid", 1, {GUID2}, {16}},
	    {ENTRY_MOD_ADD, "description", 1, {LONGDESC}, {0}},
	};
	static const struct mspec m3[] = {
	    {ENTRY_MOD_DELETE, "proxyAddresses", 1, {"smtp:b@example.test"}, {0}},
	    {ENTRY_MOD_ADD, "proxyAddresses", 1, {"SMTP:b@example.test"}, {0}},
	};
	static const struct mspec m4[] = {{ENTRY_MOD_ADD, "mail", 1, {"a@example.test"}, {0}}};
	static const struct mspec m5[] = {{ENTRY_MOD_ADD, "mail", 1, {"b2@example.test"}, {0}}};
	static const struct mspec m6[] = {{ENTRY_MOD_ADD, "description", 1, {"forwarded"}, {0}}};
	static const struct mspec m9[] = {
	    {ENTRY_MOD_DELETE, "mail", 1, {"a@example.test"}, {0}},
	    {ENTRY_MOD_REPLACE, "dirmailState", 1, {"ok"}, {0}},
	};
	static const struct mspec m10[] = {{ENTRY_MOD_DELETE, "mailNickname", 0, {NULL}, {0}}};
	struct buf rec = BUF_INIT, err = BUF_INIT;
	struct journal *j = NULL;
	struct entry *e;

	unlink(path);
	assert_int_equal(journal_open(path, 0, &j, &err), 0);
	e = contact(DN_C1, "c1", GUID1, 16);
	assert_int_equal(ldifw_add(&rec, e), 0);
	entry_free(e);
	journaled(j, 1, 0, &rec, 0);
	modify_rec(&rec, DN_A, m2, NV(m2));
	journaled(j, 2, 10, &rec, 0);
	modify_rec(&rec, DN_B, m3, NV(m3));
	journaled(j, 3, 20, &rec, 0);
	modify_rec(&rec, DN_A, m4, NV(m4));
	journaled(j, 4, 30, &rec, 20); /* failed: skipped */
	modify_rec(&rec, DN_B, m5, NV(m5));
	journaled(j, 5, 35, &rec, NO_RESULT); /* unfinished: reverted, reported */
	modify_rec(&rec, DN_C1, m6, NV(m6));
	journaled(j, 6, 40, &rec, 0);
	buf_reset(&rec);
	/* spelt differently from the add, the same entry */
	assert_int_equal(ldifw_delete(&rec, "CN=c1, ou=Contacts,dc=example,dc=test"), 0);
	journaled(j, 7, 50, &rec, 0);
	buf_reset(&rec);
	assert_int_equal(ldifw_delete(&rec, "cn=stranger,ou=contacts,dc=example,dc=test"), 0);
	journaled(j, 8, 60, &rec, 0);
	modify_rec(&rec, DN_A, m9, NV(m9));
	journaled(j, 9, 70, &rec, 0);
	modify_rec(&rec, DN_A, m10, NV(m10));
	journaled(j, 10, 80, &rec, 0);
	buf_reset(&rec);
	assert_int_equal(buf_puts(&rec, "dn: " DN_B "\nchangetype: modrdn\nnewrdn: uid=bb\n"
	                                "deleteoldrdn: 1\n\n"),
	                 0);
	journaled(j, 11, 90, &rec, 0);
	buf_reset(&rec);
	e = contact(DN_C2, "c2", NULL, 0);
	assert_int_equal(ldifw_add(&rec, e), 0);
	entry_free(e);
	journaled(j, 12, 100, &rec, 0);
	journal_close(j);
	buf_free(&rec);
	buf_free(&err);
}

static void test_undo(void **state)
{
	static const struct {
		const char *name;
		time_t since;
		long rc;
		const char *out; /* after "version: 1" */
		long nproblems;
		const char *report;
	} cases[] = {
	    {"all", 0, 7, U12 U7 U6 U5 U3 U2 U1, 5, PROBLEMS},
	    {"since the first", T0, 7, U12 U7 U6 U5 U3 U2 U1, 5, PROBLEMS},
	    {"since a second later", T0 + 1, 6, U12 U7 U6 U5 U3 U2, 5, PROBLEMS},
	    {"since exactly req=3", T0 + 20, 5, U12 U7 U6 U5 U3, 5, PROBLEMS},
	    {"since its result", T0 + 21, 4, U12 U7 U6 U5, 5, PROBLEMS},
	    {"since exactly req=5", T0 + 35, 4, U12 U7 U6 U5, 5, PROBLEMS},
	    /* the delete's entry still has the description req=6 added */
	    {"since after req=6", T0 + 45, 2, U12 U7, 4, PROBLEMS_FROM_8},
	    {"since after req=8", T0 + 61, 1, U12, 3,
	     "@:82: req=9: cannot be reverted: it replaces dirmailState\n"
	     "@:93: req=10: cannot be reverted: it deletes every value of mailNickname\n"
	     "@:100: req=11: cannot be reverted: it is a modrdn\n"},
	    {"since the last", T0 + 100, 1, U12, 0, ""},
	    {"since after the last", T0 + 101, 0, "", 0, ""},
	};
	struct buf p = BUF_INIT, out = BUF_INIT, report = BUF_INIT, want = BUF_INIT;
	size_t i;

	path_of(&p, "undo", 0);
	make_journal(p.s);
	for (i = 0; i < NV(cases); i++) {
		long nproblems = -1;

		print_message("case %s\n", cases[i].name);
		buf_reset(&out);
		buf_reset(&report);
		assert_int_equal(journal_undo(p.s, cases[i].since, &out, &report, &nproblems),
		                 cases[i].rc);
		assert_int_equal(nproblems, cases[i].nproblems);
		buf_reset(&want);
		assert_int_equal(buf_printf(&want, V "%s", cases[i].out), 0);
		assert_string_equal(buf_str(&out), buf_str(&want));
		assert_string_equal(buf_str(&report), expand(&want, cases[i].report, p.s));
	}
	/* out is appended to; nproblems may be NULL */
	buf_reset(&out);
	buf_reset(&report);
	assert_int_equal(buf_puts(&out, "kept\n"), 0);
	assert_int_equal(journal_undo(p.s, T0 + 100, &out, &report, NULL), 1);
	assert_string_equal(buf_str(&out), "kept\n" V U12);
	assert_string_equal(buf_str(&report), "");
	buf_free(&p);
	buf_free(&out);
	buf_free(&report);
	buf_free(&want);
}

#define X "dn: cn=x,dc=example,dc=test\n"
#define ADDX X "changetype: add\nobjectClass: device\ncn: x\n\n"
#define DELX X "changetype: delete\n\n"
#define UB(id) "# undo of req=" #id " (2026-11-22T10:00:00Z)\n"
#define UNK(id) UB(id) UNKNOWN(id)

static void test_undo_cases(void **state)
{
	static const struct {
		const char *name;
		const char *data; /* NULL: no file */
		size_t len;       /* 0: strlen */
		time_t since;
		long rc;
		long nproblems;
		const char *out;    /* after "kept\n"; NULL: out unchanged */
		const char *report; /* '@' stands for the path */
	} cases[] = {
	    {"missing", NULL, 0, 0, -1, 0, NULL, "@: No such file or directory\n"},
	    {"no version", B(1) ADDX E(1, 0 success), 0, 0, -1, 0, NULL,
	     "@: not a journal: it does not open with \"version: 1\"\n"},
	    {"version 2", "version: 2\n\n" B(1) ADDX E(1, 0 success), 0, 0, -1, 0, NULL,
	     "@: not a journal: it does not open with \"version: 1\"\n"},
	    {"not LDIF", "root:x:0:0:root:/root:/bin/bash\n", 0, 0, -1, 0, NULL,
	     "@: not a journal: it does not open with \"version: 1\"\n"},
	    {"empty", "", 0, 0, 0, 0, V, ""},
	    {"version only", V, 0, 0, 0, 0, V, ""},
	    {"crlf",
	     "version: 1\r\n\r\n# 2026-11-22T10:00:00Z req=1 rule=r asserted=-\r\n"
	     "dn: cn=x,dc=example,dc=test\r\nchangetype: add\r\ncn: x\r\n\r\n"
	     "# 2026-11-22T10:00:01Z req=1 result=0 success\r\n",
	     0, 0, 1, 0, V UB(1) DELX, ""},
	    {"no req comment", V ADDX, 0, 0, 0, 0, V, ""},
	    {"request without record", V B(1) "\n" E(1, 0 success), 0, 0, 0, 0, V, ""},
	    /* the result counts, wherever it stands */
	    {"result before the record", V B(1) E(1, 0 success) ADDX, 0, 0, 1, 0, V UB(1) DELX, ""},
	    {"failed", V B(1) ADDX E(1, 68 entryAlreadyExists), 0, 0, 0, 0, V, ""},
	    {"unfinished", V B(1) ADDX, 0, 0, 1, 1, V UNK(1) DELX,
	     "@:3: req=1: outcome unknown; its inverse is included\n"},
	    {"outcome unknown", V B(1) ADDX E(1, unknown the connection was lost), 0, 0, 1, 1,
	     V UNK(1) DELX, "@:3: req=1: outcome unknown; its inverse is included\n"},
	    {"outcome unknown, before since", V B(1) ADDX E(1, unknown), 0, T0 + 1, 0, 0, V, ""},
	    {"unsent", V B(1) ADDX E(1, unsent), 0, 0, 0, 0, V, ""},
	    {"stale", V B(1) ADDX E(1, 122 assertionFailed) RR(1), 0, 0, 0, 0, V, ""},
	    /* the unknown add counts as applied: its content reverts the delete */
	    {"unknown add, then its delete", V B(1) ADDX E(1, unknown) B(2) DELX E(2, 0 success), 0,
	     0, 2, 1, V UB(2) ADDX UNK(1) DELX,
	     "@:3: req=1: outcome unknown; its inverse is included\n"},
	    /* reported once, as what cannot be reverted */
	    {"unknown, cannot be reverted",
	     V B(1) X
	     "changetype: modify\nreplace: description\ndescription: b\n-\n\n" E(1, unknown),
	     0, 0, 0, 1, V, "@:3: req=1: cannot be reverted: it replaces description\n"},
	    {"entry before the delete", V B(1) PRE_X DELX E(1, 0 success), 0, 0, 1, 0, V UB(1) ADDX,
	     ""},
	    {"entry before the delete beats the file",
	     V B(1) X "changetype: add\nobjectClass: device\ncn: x\ndescription: old\n\n" E(
	         1, 0 success) B(2) PRE_X DELX E(2, 0 success),
	     0, 0, 2, 0, V UB(2) ADDX UB(1) DELX, ""},
	    {"entry before the delete does not parse",
	     V B(1) X "changetype: add\nobjectClass: device\ncn: x\ndescription: old\n\n" E(
	         1, 0 success) B(2) "# entry: dn cn=x,dc=example,dc=test\n" DELX E(2, 0 success),
	     0, 0, 2, 0,
	     V UB(2) X "changetype: add\nobjectClass: device\ncn: x\ndescription: old\n\n" UB(1)
	         DELX,
	     ""},
	    {"entry before the delete, no content in the file",
	     V B(1) "# entry: dn cn=x,dc=example,dc=test\n" DELX E(1, 0 success), 0, 0, 0, 1, V,
	     "@:3: req=1: cannot be reverted: the content of the deleted entry is not in the "
	     "file\n"},
	    {"entry before the delete of another entry",
	     V B(1) "# entry: dn: cn=y,dc=example,dc=test\n# entry: cn: y\n" DELX E(1, 0 success),
	     0, 0, 0, 1, V,
	     "@:3: req=1: cannot be reverted: the content of the deleted entry is not in the "
	     "file\n"},
	    {"results out of order",
	     V B(1) ADDX B(2) "dn: cn=y,dc=example,dc=test\nchangetype: add\ncn: y\n\n" E(
	         2, 0 success) E(1, 0 success),
	     0, 0, 2, 0, V UB(2) "dn: cn=y,dc=example,dc=test\nchangetype: delete\n\n" UB(1) DELX,
	     ""},
	    {"invalid record", V B(1) X "changetype: rename-it\n\n" E(1, 0 success), 0, 0, 0, 1, V,
	     "@:3: req=1: cannot be reverted: not a valid LDIF change record\n"},
	    {"invalid record, failed", V B(1) X "changetype: rename-it\n\n" E(1, 1 operationsError),
	     0, 0, 0, 0, V, ""},
	    /* "cn=x\0y,..." as a string would name cn=x */
	    {"NUL in a base64 DN",
	     V B(1) "dn:: Y249eAB5LGRjPWV4YW1wbGUsZGM9dGVzdA==\nchangetype: add\ncn: x\n\n" E(
	         1, 0 success),
	     0, 0, 0, 1, V, "@:3: req=1: cannot be reverted: not a valid LDIF change record\n"},
	    {"NUL byte",
	     V B(1) "dn: cn=x\0y,dc=example,dc=test\nchangetype: add\ncn: x\n\n" E(1, 0 success),
	     sizeof(V B(1) "dn: cn=x\0y,dc=example,dc=test\nchangetype: add\ncn: x\n\n" E(
	         1, 0 success)) -
	         1,
	     0, 0, 1, V, "@:3: req=1: cannot be reverted: not a valid LDIF change record\n"},
	    {"increment",
	     V B(1) X
	     "changetype: modify\nincrement: uidNumber\nuidNumber: 1\n-\n\n" E(1, 0 success),
	     0, 0, 0, 1, V, "@:3: req=1: cannot be reverted: it increments uidNumber\n"},
	    {"ldifw refuses a name",
	     V B(1) X "changetype: modify\nadd: bad_name\nbad_name: v\n-\n\n" E(1, 0 success), 0, 0,
	     0, 1, V,
	     "@:3: req=1: cannot be reverted: ldifw cannot write the record that reverts it\n"},
	    {"unreadable time", V "# yesterday req=1 rule=r asserted=-\n" ADDX E(1, 0 success), 0,
	     0, 1, 0, V "# undo of req=1 (-)\n" DELX, ""},
	    {"unreadable time, since",
	     V "# yesterday req=1 rule=r asserted=-\n" ADDX E(1, 0 success), 0, T0, 0, 1, V,
	     "@:3: req=1: cannot be reverted: the time of its req= comment is not readable\n"},
	    {"the newest earlier add",
	     V B(1) X "changetype: add\nobjectClass: device\ncn: x\ndescription: first\n\n" E(
	         1, 0 success) B(2) DELX E(2, 0 success) B(3) X
	     "changetype: add\nobjectClass: device\ncn: x\ndescription: second\n\n" E(3, 0 success)
	         B(4) DELX E(4, 0 success),
	     0, 0, 4, 0,
	     V UB(4) X "changetype: add\nobjectClass: device\ncn: x\ndescription: second\n\n" UB(3)
	         DELX UB(2) X
	     "changetype: add\nobjectClass: device\ncn: x\ndescription: first\n\n" UB(1) DELX,
	     ""},
	    {"a replace carried into the entry",
	     V B(1) X
	     "changetype: add\nobjectClass: device\ncn: x\ndescription: a\n\n" E(1, 0 success) B(2)
	         X "changetype: modify\nreplace: description\ndescription: b\n-\n\n" E(2, 0 success)
	             B(3) DELX E(3, 0 success),
	     0, 0, 2, 1,
	     V UB(3) X "changetype: add\nobjectClass: device\ncn: x\ndescription: b\n\n" UB(1) DELX,
	     "@:11: req=2: cannot be reverted: it replaces description\n"},
	    {"deletes carried into the entry",
	     V B(1) X "changetype: add\nobjectClass: device\ncn: x\ndescription: Keep\n"
	              "description: Gone\nl: somewhere\n\n" E(1, 0 success) B(2) X
	     "changetype: modify\ndelete: description\ndescription: gone\n-\ndelete: l\n-\n\n" E(
	         2, 0 success) B(3) DELX E(3, 0 success),
	     0, 0, 2, 1,
	     V UB(3) X "changetype: add\nobjectClass: device\ncn: x\ndescription: Keep\n\n" UB(1)
	         DELX,
	     "@:13: req=2: cannot be reverted: it deletes every value of l\n"},
	    {"a secret modify",
	     V B(1) X "changetype: modify\nadd: description\ndescription: d\n-\n"
	              "add: userPassword\nuserPassword: s3cret\n-\n\n" E(1, 0 success),
	     0, 0, 0, 1, V,
	     "@:3: req=1: cannot be reverted: it changes the secret attribute "
	     "userPassword\n"},
	    {"a secret never comes back",
	     V B(1) X "changetype: add\nobjectClass: device\ncn: x\nuserPassword: s3cret\n\n" E(
	         1, 0 success) B(2) DELX E(2, 0 success),
	     0, 0, 2, 0, V UB(2) ADDX UB(1) DELX, ""},
	};
	struct buf p = BUF_INIT, want = BUF_INIT, out = BUF_INIT, report = BUF_INIT;
	size_t i;

	for (i = 0; i < NV(cases); i++) {
		long nproblems = -1;

		print_message("case %s\n", cases[i].name);
		path_of(&p, "undo-case", 0);
		unlink(p.s);
		if (cases[i].data != NULL)
			spit(p.s, cases[i].data,
			     cases[i].len ? cases[i].len : strlen(cases[i].data));
		buf_reset(&out);
		buf_reset(&report);
		assert_int_equal(buf_puts(&out, "kept\n"), 0);
		assert_int_equal(journal_undo(p.s, cases[i].since, &out, &report, &nproblems),
		                 cases[i].rc);
		assert_int_equal(nproblems, cases[i].nproblems);
		buf_reset(&want);
		assert_int_equal(buf_printf(&want, "kept\n%s", cases[i].out ? cases[i].out : ""),
		                 0);
		assert_string_equal(buf_str(&out), buf_str(&want));
		assert_string_equal(buf_str(&report), expand(&want, cases[i].report, p.s));
	}
	buf_free(&p);
	buf_free(&want);
	buf_free(&out);
	buf_free(&report);
}

/* The entry deleted, as the file notes it before the delete. */
#define PRE_LONG                                                                                   \
	"# entry: dn: cn=x,dc=example,dc=test\n"                                                   \
	"# entry: objectClass: device\n"                                                           \
	"# entry: cn: x\n"                                                                         \
	"# entry: description: a description long enough to be folded by the LDIF writer, whic\n"  \
	"# entry:  h wraps at seventy-six columns\n"                                               \
	"# entry: description:: IGxlYWQ=\n"

static void test_preimage(void **state)
{
	static const struct {
		const char *name;
		const char *rec;
		const char *want; /* after "PATH: " */
	} refused[] = {
	    {"a modify", REC_MOD,
	     "refused: an entry before the change goes only with a delete record"},
	    {"an add", ADDX, "refused: an entry before the change goes only with a delete record"},
	    {"another entry", REC_DEL,
	     "refused: the entry before the delete is not the entry it deletes"},
	};
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, want = BUF_INIT, out = BUF_INIT,
	           report = BUF_INIT;
	struct journal *j = NULL;
	struct entry *e = entry_new("cn=x,dc=example,dc=test"), *bad = entry_new(DN_A);
	long nfailed = -1, nproblems = -1;
	size_t i;

	assert_non_null(e);
	assert_non_null(bad);
	assert_int_equal(entry_add(e, "objectClass", "device", 6), 0);
	assert_int_equal(entry_add(e, "cn", "x", 1), 0);
	assert_int_equal(entry_add(e, "userPassword", "s3cret", 6), 0);
	assert_int_equal(entry_add(e, "description", LONGDESC, strlen(LONGDESC)), 0);
	assert_int_equal(entry_add(e, "description", " lead", 5), 0);
	assert_int_equal(entry_add(bad, "bad_name", "v", 1), 0);
	path_of(&p, "preimage", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	for (i = 0; i < NV(refused); i++) {
		print_message("case %s\n", refused[i].name);
		buf_reset(&err);
		assert_int_equal(journal_begin(j, T0, "r", NULL, e, refused[i].rec, &err), -1);
		buf_reset(&want);
		assert_int_equal(buf_printf(&want, "%s: %s", p.s, refused[i].want), 0);
		assert_string_equal(buf_str(&err), buf_str(&want));
		assert_string_equal(slurp(&got, p.s), V);
	}
	buf_reset(&err);
	assert_int_equal(
	    journal_begin(j, T0, "r", NULL, bad, "dn: " DN_A "\nchangetype: delete\n\n", &err), -1);
	assert_string_equal(
	    buf_str(&err),
	    expand(&want, "@: refused: the entry before the delete cannot be written as LDIF",
	           p.s));
	assert_string_equal(slurp(&got, p.s), V);
	/* spelt differently, the same entry; the ids were not used up */
	buf_reset(&err);
	assert_int_equal(journal_begin(j, T0, "r", NULL, e,
	                               "dn: CN=x, DC=example,dc=test\nchangetype: delete\n\n",
	                               &err),
	                 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), V B(1) PRE_LONG
	                    "dn: CN=x, DC=example,dc=test\nchangetype: delete\n\n" E(1, 0 success));

	assert_int_equal(journal_verify(p.s, &report, &nfailed), 1);
	assert_int_equal(nfailed, 0);
	assert_string_equal(buf_str(&report), "");
	/* the add of the entry as it was, secrets left out */
	assert_int_equal(journal_undo(p.s, 0, &out, &report, &nproblems), 1);
	assert_int_equal(nproblems, 0);
	assert_string_equal(buf_str(&report), "");
	assert_string_equal(buf_str(&out),
	                    V UB(1) X "changetype: add\nobjectClass: device\ncn: x\n"
	                              "description: a description long enough to be folded by the "
	                              "LDIF writer, whic\n"
	                              " h wraps at seventy-six columns\n"
	                              "description:: IGxlYWQ=\n\n");
	entry_free(e);
	entry_free(bad);
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&want);
	buf_free(&out);
	buf_free(&report);
}

/* ---- the pass and the bind identity ------------------------------------ */

#define P1 "20261122T100000Z-4242-1"
#define P2 "20261122T100100Z-4242-2"
#define WHO "dn:gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"
/* The begin of req=id at T0 + dt seconds (dt < 10), pass pass, bound as WHO. */
#define BO(id, dt, pass)                                                                           \
	"# 2026-11-22T10:00:0" #dt "Z req=" #id " rule=r asserted=-\n# pass: " pass "\n"           \
	"# bind: " WHO "\n"

static void test_origin(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, report = BUF_INIT, id = BUF_INIT;
	struct journal *j = NULL;
	struct entry *e = entry_new("cn=x,dc=example,dc=test");
	long nfailed = -1, k;

	assert_non_null(e);
	assert_int_equal(entry_add(e, "objectClass", "device", 6), 0);
	assert_int_equal(entry_add(e, "cn", "x", 1), 0);
	/* the identifier: the start in UTC, the pid, the pass's number */
	assert_int_equal(journal_pass_id(&id, T0, 4242, 1), 0);
	assert_string_equal(buf_str(&id), P1);
	buf_reset(&id);
	assert_int_equal(journal_pass_id(&id, T0 + 60, 4242, 2), 0);
	assert_string_equal(buf_str(&id), P2);

	path_of(&p, "origin", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	/* none set: the record as before */
	assert_int_equal(journal_begin(j, T0, "r", NULL, NULL, REC_DEL, &err), 1);
	assert_int_equal(journal_set_origin(j, P1, WHO, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 1, "r", NULL, NULL, REC_DEL, &err), 2);
	/* with the entry before the delete: the origin comes first */
	assert_int_equal(journal_begin(j, T0 + 2, "r", NULL, e, R, &err), 3);
	/* the same again copies nothing; a new pass, the same bind */
	assert_int_equal(journal_set_origin(j, P1, WHO, &err), 0);
	assert_int_equal(journal_set_origin(j, P2, WHO, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 3, "r", NULL, NULL, REC_DEL, &err), 4);
	/* unset, and a bind the server answered with a forged note and a newline */
	assert_int_equal(journal_set_origin(j, "", "req=9 rule=x\nasserted", &err), 0);
	assert_int_equal(journal_begin(j, T0 + 4, "r", NULL, NULL, REC_DEL, &err), 5);
	assert_int_equal(journal_set_origin(j, NULL, NULL, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 5, "r", NULL, NULL, REC_DEL, &err), 6);
	for (k = 1; k <= 6; k++)
		assert_int_equal(journal_end(j, k, T0 + 9, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), V
	                    "# 2026-11-22T10:00:00Z req=1 rule=r asserted=-\n" REC_DEL BO(2, 1, P1)
	                        REC_DEL BO(3, 2, P1) PRE_X R BO(4, 3, P2) REC_DEL
	                    "# 2026-11-22T10:00:04Z req=5 rule=r asserted=-\n# bind: req=9 "
	                    "rule=x?asserted\n" REC_DEL
	                    "# 2026-11-22T10:00:05Z req=6 rule=r asserted=-\n" REC_DEL
	                    "# 2026-11-22T10:00:09Z req=1 result=0 success\n"
	                    "# 2026-11-22T10:00:09Z req=2 result=0 success\n"
	                    "# 2026-11-22T10:00:09Z req=3 result=0 success\n"
	                    "# 2026-11-22T10:00:09Z req=4 result=0 success\n"
	                    "# 2026-11-22T10:00:09Z req=5 result=0 success\n"
	                    "# 2026-11-22T10:00:09Z req=6 result=0 success\n");
	/* verify takes the comments as remarks; the forged one is no request */
	assert_int_equal(journal_verify(p.s, &report, &nfailed), 6);
	assert_string_equal(buf_str(&report), "");
	assert_int_equal(nfailed, 0);
	/* and ids go on after the real ones */
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 9, "r", NULL, NULL, REC_DEL, &err), 7);
	journal_close(j);
	assert_int_equal(journal_set_origin(NULL, P1, WHO, &err), -1);
	assert_string_equal(buf_str(&err), "journal: not open");
	entry_free(e);
	buf_free(&p);
	buf_free(&got);
	buf_free(&err);
	buf_free(&report);
	buf_free(&id);
}

/* The journal undo --pass, --dn and --since choose from: two passes and
 * an old record without one, over two entries and a contact. */
#define DN_S "uid=s,ou=people,dc=example,dc=test"
#define DN_T "uid=t,ou=people,dc=example,dc=test"
#define MOD(dn, v) "dn: " dn "\nchangetype: modify\nadd: mail\nmail: " v "\n-\n\n"
#define UMOD(dn, v) "dn: " dn "\nchangetype: modify\ndelete: mail\nmail: " v "\n-\n\n"
#define SEL_FILE                                                                                   \
	V "# 2026-11-22T10:00:00Z req=1 rule=r asserted=-\n" MOD(DN_S, "s0@x.test")                \
	    E(1, 0 success) BO(2, 1, P1) MOD(DN_S, "s1@x.test") E(2, 0 success) BO(3, 2, P1)       \
	        MOD(DN_T, "t1@x.test") E(3, 0 success) BO(4, 3, P1) MOD(DN_T, "t9@x.test")         \
	            E(4, 20 attributeOrValueExists) BO(5, 4, P2) MOD(DN_S, "s2@x.test")            \
	                E(5, 0 success) BO(6, 5, P2) MOD(DN_T, "t2@x.test") BO(7, 6, P2) X         \
	    "changetype: modrdn\nnewrdn: cn=y\ndeleteoldrdn: 1\n\n" E(7, 0 success)
/* The inverse of req=id at T0 + dt, of pass pass ("" for none). */
#define US(id, dt, pass) "# undo of req=" #id " (2026-11-22T10:00:0" #dt "Z" pass ")\n"
#define OFP1 ", pass " P1
#define OFP2 ", pass " P2

static void test_undo_select(void **state)
{
	static const struct {
		const char *name;
		time_t since;
		const char *pass, *dn;
		long rc, nselected, nproblems;
		const char *out;    /* after "version: 1" */
		const char *report; /* '@' stands for the path */
	} cases[] = {
	    {"everything", 0, NULL, NULL, 5, 7, 2,
	     US(6, 5, OFP2) UNKNOWN(6) UMOD(DN_T, "t2@x.test") US(5, 4, OFP2)
	         UMOD(DN_S, "s2@x.test") US(3, 2, OFP1) UMOD(DN_T, "t1@x.test") US(2, 1, OFP1)
	             UMOD(DN_S, "s1@x.test") US(1, 0, "") UMOD(DN_S, "s0@x.test"),
	     "@:51: req=6: outcome unknown; its inverse is included\n"
	     "@:60: req=7: cannot be reverted: it is a modrdn\n"},
	    /* the failed req=4 is of the pass, and changed nothing */
	    {"pass 1", 0, P1, NULL, 2, 3, 0,
	     US(3, 2, OFP1) UMOD(DN_T, "t1@x.test") US(2, 1, OFP1) UMOD(DN_S, "s1@x.test"), ""},
	    {"pass 2", 0, P2, NULL, 2, 3, 2,
	     US(6, 5, OFP2) UNKNOWN(6) UMOD(DN_T, "t2@x.test") US(5, 4, OFP2)
	         UMOD(DN_S, "s2@x.test"),
	     "@:51: req=6: outcome unknown; its inverse is included\n"
	     "@:60: req=7: cannot be reverted: it is a modrdn\n"},
	    {"a pass no record has", 0, "20261122T100000Z-4242-3", NULL, 0, 0, 0, "", ""},
	    {"a prefix of a pass is none", 0, "20261122T100000Z-4242", NULL, 0, 0, 0, "", ""},
	    /* the DN however it is spelt; the old record has no pass but a DN */
	    {"dn", 0, NULL, "UID=s, ou=People,dc=example,dc=test", 3, 3, 0,
	     US(5, 4, OFP2) UMOD(DN_S, "s2@x.test") US(2, 1, OFP1) UMOD(DN_S, "s1@x.test")
	         US(1, 0, "") UMOD(DN_S, "s0@x.test"),
	     ""},
	    {"dn and pass", 0, P2, DN_T, 1, 1, 1, US(6, 5, OFP2) UNKNOWN(6) UMOD(DN_T, "t2@x.test"),
	     "@:51: req=6: outcome unknown; its inverse is included\n"},
	    {"dn and since", T0 + 2, NULL, DN_S, 1, 1, 0, US(5, 4, OFP2) UMOD(DN_S, "s2@x.test"),
	     ""},
	    {"pass and since", T0 + 2, P1, NULL, 1, 2, 0, US(3, 2, OFP1) UMOD(DN_T, "t1@x.test"),
	     ""},
	    {"pass and a since after it", T0 + 4, P1, NULL, 0, 0, 0, "", ""},
	    {"a dn no record has", 0, NULL, "uid=nobody,dc=example,dc=test", 0, 0, 0, "", ""},
	    {"since alone", T0 + 5, NULL, NULL, 1, 2, 2,
	     US(6, 5, OFP2) UNKNOWN(6) UMOD(DN_T, "t2@x.test"),
	     "@:51: req=6: outcome unknown; its inverse is included\n"
	     "@:60: req=7: cannot be reverted: it is a modrdn\n"},
	};
	struct buf p = BUF_INIT, out = BUF_INIT, report = BUF_INIT, want = BUF_INIT;
	size_t i;

	path_of(&p, "select", 0);
	spit(p.s, SEL_FILE, strlen(SEL_FILE));
	assert_int_equal(journal_verify(p.s, &report, NULL), -1);
	for (i = 0; i < NV(cases); i++) {
		struct journal_select sel = {cases[i].since, cases[i].pass, cases[i].dn};
		long nproblems = -1, nselected = -1;

		print_message("case %s\n", cases[i].name);
		buf_reset(&out);
		buf_reset(&report);
		assert_int_equal(
		    journal_undo_select(p.s, &sel, &out, &report, &nproblems, &nselected),
		    cases[i].rc);
		assert_int_equal(nselected, cases[i].nselected);
		assert_int_equal(nproblems, cases[i].nproblems);
		buf_reset(&want);
		assert_int_equal(buf_printf(&want, V "%s", cases[i].out), 0);
		assert_string_equal(buf_str(&out), buf_str(&want));
		assert_string_equal(buf_str(&report), expand(&want, cases[i].report, p.s));
	}
	buf_free(&p);
	buf_free(&out);
	buf_free(&report);
	buf_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_file),      cmocka_unit_test(test_records),
	    cmocka_unit_test(test_verify_clean),  cmocka_unit_test(test_result_names),
	    cmocka_unit_test(test_reread),        cmocka_unit_test(test_masking),
	    cmocka_unit_test(test_refused),       cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_rotation),      cmocka_unit_test(test_rotation_mb),
	    cmocka_unit_test(test_torn_tail),     cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_write_failure), cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_undo),          cmocka_unit_test(test_undo_cases),
	    cmocka_unit_test(test_preimage),      cmocka_unit_test(test_lock_and_group_commit),
	    cmocka_unit_test(test_origin),        cmocka_unit_test(test_undo_select),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
