/* test_journal.c - the write-ahead change journal.
 * Exact file contents, request ids across reopen and rotation, torn tails,
 * refused records, and verify's report on good and broken journals. */
#include "config.h"

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

#include "journal.h"

#define NV(a) (sizeof(a) / sizeof((a)[0]))
#define T0 ((time_t)1795341600) /* 2026-11-22T10:00:00Z */

#define V "version: 1\n\n"
#define REC_MOD                                                                                    \
	"dn: uid=a,dc=example,dc=test\nchangetype: modify\nadd: mail\nmail: a@example.test\n-\n\n"
#define REC_DEL "dn: cn=old,dc=example,dc=test\nchangetype: delete\n\n"
#define B(id) "# 2026-11-22T10:00:00Z req=" #id " rule=r asserted=-\n"
#define E(id, code) "# 2026-11-22T10:00:01Z req=" #id " result=" #code "\n"
#define R "dn: cn=x,dc=example,dc=test\nchangetype: delete\n\n"

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
	  "# 2026-11-22T10:00:01Z req=1 result=0\n"                                                \
	  "# 2026-11-22T10:00:02Z req=2 rule=- asserted=-\n" REC_DEL                               \
	  "# 2026-11-22T10:00:03Z req=2 result=32 No such object\n"                                \
	  "# 2026-11-22T10:00:04Z req=3 rule=catch-all asserted=(cn=old)\n" REC_DEL

static void test_records(void **state)
{
	struct buf p = BUF_INIT, got = BUF_INIT, err = BUF_INIT, report = BUF_INIT;
	struct journal *j = NULL;
	long nfailed = -1;

	path_of(&p, "records", 0);
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0, "primary-address", "(!(mail=*))", REC_MOD, &err), 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 0, NULL, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 2, NULL, "", REC_DEL, &err), 2);
	assert_int_equal(journal_end(j, 2, T0 + 3, 32, "No such object", &err), 0);
	assert_int_equal(journal_begin(j, T0 + 4, "catch-all", "(cn=old)", REC_DEL, &err), 3);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), RECORDS_FILE);

	/* verify: one failed, one unfinished, each at its req= comment */
	assert_int_equal(journal_verify(p.s, &report, &nfailed), -1);
	assert_int_equal(nfailed, 2);
	assert_string_equal(buf_str(&report),
	                    expand(&got,
	                           "@:11: req=2 failed: result=32 No such object\n"
	                           "@:16: req=3 has no result\n",
	                           p.s));

	/* reopen continues after the highest id; results may come in any order */
	assert_int_equal(journal_open(p.s, 0, &j, &err), 0);
	assert_int_equal(journal_begin(j, T0 + 5, "r", NULL, REC_DEL, &err), 4);
	assert_int_equal(journal_begin(j, T0 + 5, "r", NULL, REC_DEL, &err), 5);
	assert_int_equal(journal_end(j, 5, T0 + 6, 0, "", &err), 0);
	assert_int_equal(journal_end(j, 4, T0 + 6, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s),
	                    RECORDS_FILE "# 2026-11-22T10:00:05Z req=4 rule=r asserted=-\n" REC_DEL
	                                 "# 2026-11-22T10:00:05Z req=5 rule=r asserted=-\n" REC_DEL
	                                 "# 2026-11-22T10:00:06Z req=5 result=0\n"
	                                 "# 2026-11-22T10:00:06Z req=4 result=0\n");
	buf_reset(&report);
	assert_int_equal(journal_verify(p.s, &report, NULL), -1);
	assert_string_equal(buf_str(&report),
	                    expand(&got,
	                           "@:11: req=2 failed: result=32 No such object\n"
	                           "@:16: req=3 has no result\n",
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
	assert_int_equal(journal_begin(j, T0, "a", "(mail=a@example.test)", REC_MOD, &err), 1);
	assert_int_equal(journal_end(j, 1, T0, 0, NULL, &err), 0);
	assert_int_equal(journal_begin(j, T0, "b", NULL, REC_DEL, &err), 2);
	assert_int_equal(journal_end(j, 2, T0, 0, NULL, &err), 0);
	journal_close(j);
	assert_int_equal(journal_verify(p.s, &report, &nfailed), 2);
	assert_int_equal(nfailed, 0);
	assert_string_equal(buf_str(&report), "");
	buf_free(&p);
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
	                               "(cn=a\r\n# 2026 req=9 result=0)", REC_DEL, &err),
	                 1);
	assert_int_equal(journal_end(j, 1, T0, 1, "bad\r\n\x1b[31mthing", &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s),
	                    V "# 2026-11-22T10:00:00Z req=1 rule=evil??dn: cn=x?changetype: delete "
	                      "asserted=(cn=a??# 2026 req=9 result=0)\n" REC_DEL
	                      "# 2026-11-22T10:00:00Z req=1 result=1 bad???[31mthing\n");
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
	    {"forged note", "dn: cn=x\nchangetype: delete\n# 2026 req=7 result=0\n\n",
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
		assert_int_equal(journal_begin(j, T0, "r", NULL, cases[i].rec, &err), -1);
		assert_int_equal(buf_printf(&want, "%s: %s", p.s, cases[i].want), 0);
		assert_string_equal(buf_str(&err), buf_str(&want));
		assert_string_equal(slurp(&got, p.s), V);
	}
	/* a refused record does not use up an id */
	assert_int_equal(journal_begin(j, T0, "r", NULL, REC_DEL, &err), 1);

	buf_reset(&err);
	assert_int_equal(journal_end(j, 99, T0, 0, NULL, &err), -1);
	assert_string_equal(buf_str(&err), expand(&want, "@: req=99 awaits no result", p.s));
	assert_int_equal(journal_end(j, 1, T0, 0, NULL, &err), 0);
	buf_reset(&err);
	assert_int_equal(journal_end(j, 1, T0, 0, NULL, &err), -1);
	assert_string_equal(buf_str(&err), expand(&want, "@: req=1 awaits no result", p.s));
	journal_close(j);

	buf_reset(&err);
	assert_int_equal(journal_begin(NULL, T0, "r", NULL, REC_DEL, &err), -1);
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
	assert_int_equal(journal_begin(j, T0, "r", NULL, rec.s, &err), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, oldsig);
	assert_string_equal(buf_str(&err), expand(&want, "@: write: File too large", p.s));
	assert_string_equal(slurp(&got, p.s), V);
	/* the id was not used up, the journal goes on */
	buf_reset(&err);
	assert_int_equal(journal_begin(j, T0, "r", NULL, REC_DEL, &err), 1);
	assert_int_equal(journal_end(j, 1, T0 + 1, 0, NULL, &err), 0);
	journal_close(j);
	assert_string_equal(slurp(&got, p.s), V B(1) REC_DEL E(1, 0));
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

	assert_int_equal(journal_begin(j, T0, "r", NULL, REC_DEL, &err), want_id);
	assert_int_equal(journal_end(j, want_id, T0 + 1, 0, NULL, &err), 0);
	assert_string_equal(buf_str(&err), "");
	buf_free(&err);
}

#define ONE(id) "# 2026-11-22T10:00:00Z req=" #id " rule=r asserted=-\n" REC_DEL

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
	assert_int_equal(journal_begin(j, T0, "r", NULL, REC_DEL, &err), 2); /* rotates first */
	assert_string_equal(slurp(&got, path_of(&g, "rot", 1)),
	                    V ONE(1) "# 2026-11-22T10:00:01Z req=1 result=0\n");
	assert_string_equal(slurp(&got, p.s), V ONE(2));
	/* no rotation while req=2 awaits its result */
	assert_int_equal(journal_begin(j, T0, "r", NULL, REC_DEL, &err), 3);
	assert_int_equal(journal_end(j, 3, T0 + 1, 0, NULL, &err), 0);
	assert_int_equal(journal_end(j, 2, T0 + 1, 0, NULL, &err), 0);
	assert_false(exists(path_of(&g, "rot", 2)));
	assert_string_equal(slurp(&got, p.s),
	                    V ONE(2) ONE(3) "# 2026-11-22T10:00:01Z req=3 result=0\n"
	                                    "# 2026-11-22T10:00:01Z req=2 result=0\n");
	assert_int_equal(stat(p.s, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* 13 more: each rotates, nine generations stay */
	for (id = 4; id <= 16; id++)
		one(j, id);
	journal_close(j);
	assert_string_equal(buf_str(&err), "");
	assert_string_equal(slurp(&got, p.s), V ONE(16) "# 2026-11-22T10:00:01Z req=16 result=0\n");
	for (gen = 1; gen <= 9; gen++) {
		buf_reset(&want);
		assert_int_equal(
		    buf_printf(&want,
		               V "# 2026-11-22T10:00:00Z req=%d rule=r asserted=-\n" REC_DEL
		                 "# 2026-11-22T10:00:01Z req=%d result=0\n",
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
	                    V ONE(16) "# 2026-11-22T10:00:01Z req=16 result=0\n");
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
	    V ONE(17) "# 2026-11-22T10:00:01Z req=17 result=0\n" ONE(
	        18) "# 2026-11-22T10:00:01Z req=18 result=0\n" ONE(19) "# 2026-11-22T10:00:01Z "
	                                                               "req=19 result=0\n");
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
	assert_int_equal(buf_puts(&big, V ONE(41) "# 2026-11-22T10:00:01Z req=41 result=0\n"), 0);
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
	     "@:4: not a valid LDIF change record\n@:3: req=1 has no result\n", 1},
	    {"cut before the blank line",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: delete\n",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: delete\n\n",
	     "@:3: req=1 has no result\n", 1},
	    {"cut mid-note", V B(1) R "# 2026-11-22T10:00:01Z req=1 res",
	     V B(1) R "# 2026-11-22T10:00:01Z req=1 res\n\n", "@:3: req=1 has no result\n", 1},
	    {"complete", V B(1) R E(1, 0), V B(1) R E(1, 0), "", 0},
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
		                            "# 2026-11-22T10:00:01Z req=2 result=0\n"),
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
	    {"clean", V B(1) R E(1, 0), 0, 1, 0, ""},
	    {"empty", "", 0, 0, 0, ""},
	    {"missing", NULL, 0, -1, 0, "@: No such file or directory\n"},
	    {"remarks", V "# by hand\n" B(1) R E(1, 0) "# the end\n", 0, 1, 0, ""},
	    {"crlf",
	     "version: 1\r\n\r\n# 2026-11-22T10:00:00Z req=1 rule=r asserted=-\r\n"
	     "dn: cn=x,dc=example,dc=test\r\nchangetype: delete\r\n\r\n"
	     "# 2026-11-22T10:00:01Z req=1 result=0\r\n",
	     0, 1, 0, ""},
	    {"version and record in one block", "version: 1\n" B(1) R E(1, 0), 0, 1, 0, ""},
	    {"failed, folded note",
	     V B(1) R "# 2026-11-22T10:00:01Z req=1 result=32 No such\n  object\n", 0, -1, 1,
	     "@:3: req=1 failed: result=32 No such object\n"},
	    {"failed, text masked", V B(1) R "# 2026-11-22T10:00:01Z req=1 result=-1 \x1b[2Jgone\n",
	     0, -1, 1, "@:3: req=1 failed: result=-1 ?[2Jgone\n"},
	    {"bad changetype",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: rename-it\n\n" E(1, 0), 0, -1, 0,
	     "@:4: not a valid LDIF change record\n"},
	    {"no dn", V B(1) "cn: x\nchangetype: delete\n\n" E(1, 0), 0, -1, 0,
	     "@:4: record has no dn: line\n"},
	    {"no req comment", V R, 0, -1, 0, "@:3: record has no req= comment\n"},
	    {"control",
	     V B(1) "dn: cn=x,dc=example,dc=test\ncontrol: 1.3.6.1.1.12 true\n"
	            "changetype: delete\n\n" E(1, 0),
	     0, -1, 0, "@:4: record carries a control, so it would not replay as written\n"},
	    {"URL value",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: modify\n"
	            "replace: description\ndescription:< file:///dev/zero\n-\n\n" E(1, 0),
	     0, -1, 0, "@:4: record takes a value from a URL (\":<\"), never journaled\n"},
	    {"folded URL value",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: modify\n"
	            "replace: description\ndescr\n iption:\n < file:///dev/zero\n"
	            "-\n\n" E(1, 0),
	     0, -1, 0, "@:4: record takes a value from a URL (\":<\"), never journaled\n"},
	    {"result without request", V B(1) R E(1, 0) E(5, 0), 0, -1, 0,
	     "@:8: result for req=5, which awaits none\n"},
	    {"request without record", V B(1) "\n" B(2) R E(2, 0), 0, -1, 1,
	     "@:3: req=1 has no record\n@:3: req=1 has no result\n"},
	    {"request at the end without record", V B(1) R E(1, 0) B(2), 0, -1, 1,
	     "@:8: req=2 has no record\n@:8: req=2 has no result\n"},
	    {"torn last line", V B(1) R "# 2026-11-22T10:00:01Z req=1 resu", 0, -1, 1,
	     "@:7: the last line is incomplete (a write was cut short)\n@:3: req=1 has no "
	     "result\n"},
	    {"no version", B(1) R E(1, 0), 0, -1, 0,
	     "@:2: no \"version: 1\" line opens the file\n"},
	    {"version 2", "version: 2\n\n" B(1) R E(1, 0), 0, -1, 0, "@:1: version is not 1\n"},
	    {"out of order", V B(2) R E(2, 0) B(1) R E(1, 0), 0, -1, 0,
	     "@:8: req=1 does not follow req=2\n@:9: record has no req= comment\n"
	     "@:12: result for req=1, which awaits none\n"},
	    {"inside a record",
	     V B(1) "dn: cn=x,dc=example,dc=test\nchangetype: delete\n" B(
	         2) "dn: cn=y,dc=example,dc=test\nchangetype: delete\n\n" E(1, 0) E(2, 0),
	     0, -1, 0,
	     "@:6: req=2 starts inside the record above it (no blank line)\n"
	     "@:3: req=1 has no record\n@:4: not a valid LDIF change record\n"},
	    {"NUL byte", V B(1) "dn: cn=x\0y,dc=example,dc=test\nchangetype: delete\n\n" E(1, 0),
	     sizeof(V B(1) "dn: cn=x\0y,dc=example,dc=test\nchangetype: delete\n\n" E(1, 0)) - 1,
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_file),      cmocka_unit_test(test_records),
	    cmocka_unit_test(test_verify_clean),  cmocka_unit_test(test_masking),
	    cmocka_unit_test(test_refused),       cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_rotation),      cmocka_unit_test(test_rotation_mb),
	    cmocka_unit_test(test_torn_tail),     cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_write_failure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
