/* test_secret.c - password files.
 * Loose permissions, odd files and trailing newlines, each with the exact
 * message an operator reads. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret.h"

static char dir[] = "/tmp/dirmail-secret-XXXXXX";

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

static const char *make(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_table(void **state)
{
	static const struct {
		const char *name;
		const char *data;
		size_t len;
		mode_t mode;
		const char *want;     /* the secret, or NULL */
		const char *want_err; /* text after "password file PATH: " */
	} cases[] = {
	    {"plain", "s3cret", 6, 0600, "s3cret", NULL},
	    {"newline", "s3cret\n", 7, 0600, "s3cret", NULL},
	    {"crlf", "s3cret\r\n", 8, 0400, "s3cret", NULL},
	    {"two-newlines", "pw\n\n", 4, 0600, "pw\n", NULL},
	    {"spaces", " pw ", 4, 0600, " pw ", NULL},
	    {"group", "pw", 2, 0640, NULL,
	     "refused, it is accessible by group or others (mode 0640); run chmod 600 "},
	    {"world", "pw", 2, 0604, NULL,
	     "refused, it is accessible by group or others (mode 0604); run chmod 600 "},
	    {"gwrite", "pw", 2, 0620, NULL,
	     "refused, it is accessible by group or others (mode 0620); run chmod 600 "},
	    {"empty", "", 0, 0600, NULL, "empty"},
	    {"only-newline", "\n", 1, 0600, NULL, "empty"},
	    {"nul", "a\0b", 3, 0600, NULL, "holds a NUL byte"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf err = BUF_INIT, want = BUF_INIT;
		const char *path = make(cases[i].name, cases[i].data, cases[i].len, cases[i].mode);
		char *got = secret_read_file(path, &err);

		if (cases[i].want) {
			assert_non_null(got);
			assert_string_equal(got, cases[i].want);
			assert_int_equal(err.len, 0);
		} else {
			assert_null(got);
			assert_int_equal(
			    buf_printf(&want, "password file %s: %s", path, cases[i].want_err), 0);
			/* The refusal names the file twice: in front and in the fix. */
			if (strstr(cases[i].want_err, "chmod"))
				assert_int_equal(buf_puts(&want, path), 0);
			assert_string_equal(buf_str(&err), buf_str(&want));
		}
		secret_free(got);
		buf_free(&err);
		buf_free(&want);
	}
}

static void test_not_regular(void **state)
{
	struct buf err = BUF_INIT, want = BUF_INIT;

	assert_null(secret_read_file(dir, &err));
	assert_int_equal(buf_printf(&want, "password file %s: not a regular file", dir), 0);
	assert_string_equal(buf_str(&err), buf_str(&want));
	buf_reset(&err);
	buf_reset(&want);
	assert_null(secret_read_file("/nonexistent/pw", &err));
	assert_string_equal(buf_str(&err),
	                    "password file /nonexistent/pw: No such file or directory");
	buf_free(&err);
	buf_free(&want);
	secret_free(NULL);
}

static void test_too_big(void **state)
{
	static char big[5000];
	struct buf err = BUF_INIT;
	const char *path;

	memset(big, 'x', sizeof(big));
	path = make("big", big, sizeof(big), 0600);
	assert_null(secret_read_file(path, &err));
	assert_non_null(strstr(buf_str(&err), ": larger than 4096 bytes"));
	buf_free(&err);
}

/* A keytab is checked, never read: binary, NUL bytes and all. */
static void test_check_file(void **state)
{
	static const char keytab[] = "\x05\x02\x00\x00\x00\x3a";
	struct buf err = BUF_INIT, want = BUF_INIT;
	const char *path;

	path = make("keytab", keytab, sizeof(keytab) - 1, 0600);
	assert_int_equal(secret_check_file(path, "keytab", &err), 0);
	assert_int_equal(err.len, 0);
	path = make("loose.keytab", keytab, sizeof(keytab) - 1, 0640);
	assert_int_equal(secret_check_file(path, "keytab", &err), -1);
	assert_int_equal(buf_printf(&want,
	                            "keytab %s: refused, it is accessible by group or others "
	                            "(mode 0640); run chmod 600 %s",
	                            path, path),
	                 0);
	assert_string_equal(buf_str(&err), buf_str(&want));
	buf_reset(&err);
	assert_int_equal(secret_check_file(dir, "keytab", &err), -1);
	assert_non_null(strstr(buf_str(&err), ": not a regular file"));
	buf_reset(&err);
	assert_int_equal(secret_check_file("/nonexistent/k", "keytab", &err), -1);
	assert_string_equal(buf_str(&err), "keytab /nonexistent/k: No such file or directory");
	buf_free(&err);
	buf_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_not_regular),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_check_file),
	};

	/* Root reads any file; the mode checks do not depend on that. */
	return cmocka_run_group_tests(tests, setup, teardown);
}
