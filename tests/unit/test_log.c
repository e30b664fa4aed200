/* test_log.c - the one logging module's lines on stderr.
 * Plain "dirmail: LEVEL: text" lines, and "<N>" syslog priorities when
 * JOURNAL_STREAM says stderr is journald's stream (and only then). */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

static char dir[] = "/tmp/dirmail-log-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	unsetenv("JOURNAL_STREAM");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The lines one batch of calls writes to stderr, with JOURNAL_STREAM set
 * to journal (unset when NULL, "SELF" for the file stderr then is);
 * static storage. */
static const char *capture(const char *journal, int verbosity)
{
	static char text[4096];
	char path[256], self[64];
	struct stat st;
	size_t n;
	FILE *f;
	int saved, fd;

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	snprintf(self, sizeof(self), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	if (journal == NULL)
		unsetenv("JOURNAL_STREAM");
	else
		setenv("JOURNAL_STREAM", strcmp(journal, "SELF") == 0 ? self : journal, 1);

	log_init("dirmail", 1, LOG_DAEMON, verbosity);
	log_debug("reading %s", "ou=people");
	log_info("pass over %d objects", 28);
	log_notice("pass: objects=%d", 28);
	log_warn("odd");
	log_error("uid=x: refused");
	log_msg(LOG_LVL_FATAL, "cannot go on");
	log_info("cn=a\nb");

	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

static void expect_text(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: got\n%s\nwant\n%s", what, got, want);
}

static const char plain[] = "dirmail: pass over 28 objects\n"
                            "dirmail: notice: pass: objects=28\n"
                            "dirmail: warning: odd\n"
                            "dirmail: error: uid=x: refused\n"
                            "dirmail: fatal: cannot go on\n"
                            "dirmail: cn=a?b\n";

static void test_plain(void **state)
{
	expect_text("no JOURNAL_STREAM", capture(NULL, 0), plain);
}

static void test_journal(void **state)
{
	expect_text("stderr is the journal", capture("SELF", 0),
	            "<6>pass over 28 objects\n"
	            "<5>notice: pass: objects=28\n"
	            "<4>warning: odd\n"
	            "<3>error: uid=x: refused\n"
	            "<2>fatal: cannot go on\n"
	            "<6>cn=a?b\n");
	expect_text("stderr is the journal, -v", capture("SELF", 1),
	            "<7>debug: reading ou=people\n"
	            "<6>pass over 28 objects\n"
	            "<5>notice: pass: objects=28\n"
	            "<4>warning: odd\n"
	            "<3>error: uid=x: refused\n"
	            "<2>fatal: cannot go on\n"
	            "<6>cn=a?b\n");
}

/* JOURNAL_STREAM is inherited: a stderr that is another file (redirected
 * by hand) or a value that does not parse gets plain lines. */
static void test_not_the_journal(void **state)
{
	static const char *const values[] = {
	    "1:1", "", "SELF:", "abc", "12", "12:", ":12", "12:34x", "12:34:56", "-1:5", "12: 34",
	};
	char other[64];
	struct stat st;
	size_t i;

	assert_int_equal(stat(dir, &st), 0);
	snprintf(other, sizeof(other), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	expect_text(other, capture(other, 0), plain);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		expect_text(values[i], capture(values[i], 0), plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_journal),
	    cmocka_unit_test(test_not_the_journal),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
