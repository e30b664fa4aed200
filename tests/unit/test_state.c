/* test_state.c - what a pass remembers between runs.
 * The recipients count per account entry: first run, round trip, other
 * accounts kept, a missing directory created, a damaged file reported;
 * the cookie; whether a daemon runs; the daemon's status file. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "state.h"

static char dir[] = "/tmp/dirmail-state-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The file's content, or "" when it cannot be read; static storage. */
static const char *content(const char *d)
{
	static char text[4096];
	char path[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d, STATE_SEEN_FILE);
	text[0] = '\0';
	f = fopen(path, "r");
	if (f != NULL) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return text;
}

static void test_first_run_then_round_trip(void **state)
{
	struct buf err = BUF_INIT;
	char sub[256];
	struct stat st;
	long n = -7;

	snprintf(sub, sizeof(sub), "%s/new", dir);
	/* no directory, no file: no count, no error */
	assert_int_equal(state_seen_load(sub, "cn=account,dc=a", &n, &err), 0);
	assert_int_equal(n, -7);
	assert_string_equal(buf_str(&err), "");
	assert_int_equal(state_seen_save(sub, "cn=account,dc=a", 10000, &err), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_string_equal(content(sub), "# dirmail: recipients read by the last complete pass, "
	                                  "per account entry\n10000 cn=account,dc=a\n");
	/* the DN is matched without case */
	assert_int_equal(state_seen_load(sub, "CN=Account,DC=a", &n, &err), 1);
	assert_int_equal(n, 10000);
	buf_free(&err);
}

static void test_other_accounts_kept(void **state)
{
	struct buf err = BUF_INIT;
	char sub[256];
	long n = 0;

	snprintf(sub, sizeof(sub), "%s/two", dir);
	assert_int_equal(state_seen_save(sub, "cn=a,dc=x", 5, &err), 0);
	assert_int_equal(state_seen_save(sub, "cn=b,dc=x", 7, &err), 0);
	assert_int_equal(state_seen_save(sub, "CN=A,dc=x", 6, &err), 0);
	assert_string_equal(content(sub), "# dirmail: recipients read by the last complete pass, "
	                                  "per account entry\n7 cn=b,dc=x\n6 CN=A,dc=x\n");
	assert_int_equal(state_seen_load(sub, "cn=b,dc=x", &n, &err), 1);
	assert_int_equal(n, 7);
	assert_int_equal(state_seen_load(sub, "cn=c,dc=x", &n, &err), 0);
	assert_int_equal(n, 7);
	buf_free(&err);
}

static void test_damaged_file(void **state)
{
	struct buf err = BUF_INIT, want = BUF_INIT;
	char sub[256], path[300];
	long n = 0;
	FILE *f;

	snprintf(sub, sizeof(sub), "%s/bad", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", sub, STATE_SEEN_FILE);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# comment\n\n12 cn=a,dc=x\ntwelve cn=b,dc=x\n", f);
	fclose(f);
	assert_int_equal(state_seen_load(sub, "cn=b,dc=x", &n, &err), -1);
	assert_int_equal(buf_printf(&want, "%s:4: not \"COUNT DN\"", path), 0);
	assert_string_equal(buf_str(&err), buf_str(&want));
	/* saving over a damaged file refuses too: the other lines would be lost */
	buf_reset(&err);
	assert_int_equal(state_seen_save(sub, "cn=b,dc=x", 3, &err), -1);
	assert_string_equal(buf_str(&err), buf_str(&want));
	/* a line break in the DN could forge a line */
	buf_reset(&err);
	assert_int_equal(state_seen_save(sub, "cn=a\n99 cn=b", 3, &err), -1);
	buf_reset(&want);
	assert_int_equal(buf_printf(&want, "%s: the account DN holds a line break", sub), 0);
	assert_string_equal(buf_str(&err), buf_str(&want));
	buf_free(&err);
	buf_free(&want);
}

static void test_unwritable_directory(void **state)
{
	struct buf err = BUF_INIT, want = BUF_INIT;
	char sub[256];

	snprintf(sub, sizeof(sub), "%s/no/such/dir", dir);
	assert_int_equal(state_seen_save(sub, "cn=a,dc=x", 1, &err), -1);
	assert_int_equal(buf_printf(&want, "%s: No such file or directory", sub), 0);
	assert_string_equal(buf_str(&err), buf_str(&want));
	buf_free(&err);
	buf_free(&want);
}

static void write_file(const char *d, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The cookie round trip, any bytes; another base's cookie is not resumed
 * from; a damaged file is an error naming it; forget removes it. */
static void test_cookie(void **state)
{
	static const unsigned char raw[] = {'r', 'i', 'd', '=', '0', 0, 0xff, '\n', ','};
	struct buf err = BUF_INIT, c = BUF_INIT;
	char sub[256];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/cookies", dir);
	assert_int_equal(state_cookie_load(sub, "dc=example,dc=test", &c, &err), 0);
	assert_int_equal(state_cookie_save(sub, "dc=example,dc=test", raw, sizeof(raw), &err), 0);
	assert_int_equal(state_cookie_load(sub, "DC=Example,dc=test", &c, &err), 1);
	assert_int_equal(c.len, sizeof(raw));
	assert_memory_equal(c.s, raw, sizeof(raw));
	assert_int_equal(state_cookie_load(sub, "dc=other,dc=test", &c, &err), 0);
	assert_int_equal(c.len, 0);
	assert_int_equal(err.len, 0);
	/* an empty cookie is still one */
	assert_int_equal(state_cookie_save(sub, "dc=example,dc=test", "", 0, &err), 0);
	assert_int_equal(state_cookie_load(sub, "dc=example,dc=test", &c, &err), 1);
	assert_int_equal(c.len, 0);
	write_file(sub, STATE_COOKIE_FILE, "base dc=example,dc=test\ncookie 7g\n");
	assert_int_equal(state_cookie_load(sub, "dc=example,dc=test", &c, &err), -1);
	assert_non_null(strstr(buf_str(&err), "/cookies/cookie: "));
	buf_reset(&err);
	write_file(sub, STATE_COOKIE_FILE, "garbage\n");
	assert_int_equal(state_cookie_load(sub, "dc=example,dc=test", &c, &err), -1);
	assert_non_null(strstr(buf_str(&err), "not a cookie file"));
	buf_reset(&err);
	assert_int_equal(state_cookie_forget(sub, &err), 0);
	assert_int_equal(state_cookie_forget(sub, &err), 0);
	assert_int_equal(state_cookie_load(sub, "dc=example,dc=test", &c, &err), 0);
	assert_int_equal(state_cookie_save(sub, "dc=a\ndc=b", raw, 1, &err), -1);
	/* the directory: made once, there after; not under a file */
	buf_reset(&err);
	assert_int_equal(state_dir_make(sub, &err), 0);
	snprintf(sub, sizeof(sub), "%s/cookies/%s/x", dir, STATE_COOKIE_FILE);
	write_file(dir, "cookies/" STATE_COOKIE_FILE, "base dc=x\ncookie 00\n");
	assert_int_equal(state_dir_make(sub, &err), -1);
	assert_non_null(strstr(buf_str(&err), "/x: "));
	buf_free(&err);
	buf_free(&c);
}

/* A daemon runs while it holds the lock of the pid file: none without
 * the file or with it unlocked (a crash leaves it); with it locked, the
 * pid it holds. Asking leaves the lock to the daemon. */
static void test_daemon_running(void **state)
{
	struct buf err = BUF_INIT;
	char sub[256], path[300];
	long pid = -1;
	int fd;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/daemon", dir);
	assert_int_equal(state_dir_make(sub, &err), 0);
	assert_int_equal(state_daemon_running(sub, &pid, &err), 0);
	assert_int_equal(pid, 0);
	write_file(sub, STATE_PID_FILE, "4242\n");
	assert_int_equal(state_daemon_running(sub, &pid, &err), 0);
	snprintf(path, sizeof(path), "%s/%s", sub, STATE_PID_FILE);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(state_daemon_running(sub, &pid, &err), 1);
	assert_int_equal(pid, 4242);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0); /* still the daemon's */
	close(fd);
	assert_int_equal(state_daemon_running(sub, &pid, &err), 0);
	assert_int_equal(err.len, 0);
	buf_free(&err);
}

/* The daemon's status file: written whole, read back, none before. */
static void test_status_file(void **state)
{
	struct buf err = BUF_INIT;
	char sub[256], *text = NULL;
	struct stat st;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/status", dir);
	assert_int_equal(state_dir_make(sub, &err), 0);
	assert_int_equal(state_status_load(sub, &text, &err), 0);
	assert_null(text);
	assert_int_equal(state_status_save(sub, "daemon running\n", 15, &err), 0);
	assert_int_equal(state_status_load(sub, &text, &err), 0);
	assert_string_equal(text, "daemon running\n");
	free(text);
	snprintf(sub, sizeof(sub), "%s/status/%s", dir, STATE_STATUS_FILE);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(sub, sizeof(sub), "%s/nowhere", dir);
	assert_int_equal(state_status_save(sub, "x", 1, &err), -1);
	assert_non_null(strstr(buf_str(&err), "/nowhere/status.tmp."));
	buf_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_run_then_round_trip),
	    cmocka_unit_test(test_other_accounts_kept),
	    cmocka_unit_test(test_damaged_file),
	    cmocka_unit_test(test_unwritable_directory),
	    cmocka_unit_test(test_cookie),
	    cmocka_unit_test(test_daemon_running),
	    cmocka_unit_test(test_status_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
