/* test_conf.c - unit tests of the configuration module.
 * Defaults, every error kind with its exact file:line text, overrides, and
 * the sample config and the man page checked against the key table. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>
#include <libconfig.h>

#include "buf.h"
#include "conf.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------- */

static void expect_str(const char *what, const char *got, const char *want)
{
	if ((got == NULL) != (want == NULL) || (got != NULL && strcmp(got, want) != 0))
		fail_msg("%s: got \"%s\", want \"%s\"", what, got ? got : "(null)",
		         want ? want : "(null)");
}

static void expect_int(const char *what, long long got, long long want)
{
	if (got != want)
		fail_msg("%s: got %lld, want %lld", what, got, want);
}

/* Returns top_srcdir/rel (free it); fails the test without top_srcdir. */
static char *srcpath(const char *rel)
{
	const char *top = getenv("top_srcdir");
	struct buf b = BUF_INIT;

	if (top == NULL || *top == '\0')
		fail_msg("top_srcdir is not set (make check exports it)");
	assert_int_equal(buf_printf(&b, "%s/%s", top, rel), 0);
	return buf_steal(&b);
}

/* Returns the whole file (free it). */
static char *slurp(const char *path)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		fail_msg("%s: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	assert_int_equal(buf_puts(&b, ""), 0);
	return buf_steal(&b);
}

/* Writes text to a new temporary file; returns its name (free it). */
static char *write_temp(const char *text)
{
	const char *dir = getenv("TMPDIR");
	struct buf name = BUF_INIT;
	FILE *f;
	int fd;

	assert_int_equal(buf_printf(&name, "%s/test_conf.XXXXXX", dir ? dir : "/tmp"), 0);
	fd = mkstemp(name.s);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return buf_steal(&name);
}

/* The value of key k in c, as text ("(unset)" for a NULL string). */
static void field_text(const struct conf *c, const struct conf_key *k, struct buf *out)
{
	const char *p = (const char *)c + k->offset;
	const char *s;

	buf_reset(out);
	if (k->type == CONF_STRING) {
		s = *(const char *const *)(const void *)p;
		assert_int_equal(buf_puts(out, s ? s : "(unset)"), 0);
	} else {
		assert_int_equal(buf_printf(out, "%d", *(const int *)(const void *)p), 0);
	}
}

/* The default of k as conf_init stores it, as text. */
static void default_text(const struct conf_key *k, struct buf *out)
{
	buf_reset(out);
	if (k->type == CONF_BOOL)
		assert_int_equal(buf_puts(out, strcmp(k->def, "true") == 0 ? "1" : "0"), 0);
	else
		assert_int_equal(buf_puts(out, *k->def ? k->def : "(unset)"), 0);
}

/* The default of k as the sample and the man page show it: paths under
 * LOCALSTATEDIR are documented for a build with --localstatedir=/var. */
static void doc_default(const struct conf_key *k, struct buf *out)
{
	size_t n = strlen(LOCALSTATEDIR);

	buf_reset(out);
	if (strncmp(k->def, LOCALSTATEDIR, n) == 0 && (k->def[n] == '/' || k->def[n] == '\0'))
		assert_int_equal(buf_printf(out, "/var%s", k->def + n), 0);
	else
		assert_int_equal(buf_puts(out, k->def), 0);
}

static const struct conf_key *key(const char *path)
{
	const struct conf_key *keys;
	size_t i, n;

	keys = conf_keys(&n);
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	fail_msg("no key %s in the table", path);
	return NULL;
}

/* Asserts that every key of c holds its default. */
static void expect_defaults(const struct conf *c, const char *what)
{
	struct buf got = BUF_INIT, want = BUF_INIT, name = BUF_INIT;
	const struct conf_key *keys;
	size_t i, n;

	keys = conf_keys(&n);
	for (i = 0; i < n; i++) {
		field_text(c, &keys[i], &got);
		default_text(&keys[i], &want);
		buf_reset(&name);
		assert_int_equal(buf_printf(&name, "%s: %s", what, keys[i].path), 0);
		expect_str(buf_str(&name), buf_str(&got), buf_str(&want));
	}
	buf_free(&got);
	buf_free(&want);
	buf_free(&name);
}

/* ---- the key table and defaults ------------------------------------------ */

static void test_table(void **state)
{
	const struct conf_key *keys;
	size_t i, j, n;

	(void)state;
	keys = conf_keys(&n);
	assert_int_equal(n, 32);
	for (i = 0; i < n; i++) {
		const struct conf_key *k = &keys[i];

		if (k->help == NULL || *k->help == '\0' || strchr(k->help, '\n') != NULL)
			fail_msg("%s: help must be one non-empty line", k->path);
		for (j = 0; j < i; j++) {
			if (strcmp(keys[j].path, k->path) == 0)
				fail_msg("%s: listed twice", k->path);
			if (keys[j].offset == k->offset)
				fail_msg("%s: same field as %s", k->path, keys[j].path);
		}
		if (k->type == CONF_INT) {
			char *end;
			long d = strtol(k->def, &end, 10);

			if (*end != '\0' || k->min > d || d > k->max)
				fail_msg("%s: default %s not in %ld..%ld", k->path, k->def, k->min,
				         k->max);
		}
		if (k->type == CONF_BOOL && strcmp(k->def, "true") != 0 &&
		    strcmp(k->def, "false") != 0)
			fail_msg("%s: default %s is not true or false", k->path, k->def);
		if (k->type != CONF_STRING && k->check != NULL)
			fail_msg("%s: check on a non-string", k->path);
	}
}

static void test_defaults(void **state)
{
	struct conf c;
	size_t i;

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	{
		const struct {
			const char *name, *got, *want;
		} strs[] = {
		    {"uri", c.uri, "ldapi:///"},
		    {"bind_dn", c.bind_dn, NULL},
		    {"password_file", c.password_file, NULL},
		    {"sasl_mech", c.sasl_mech, NULL},
		    {"sasl_authcid", c.sasl_authcid, NULL},
		    {"sasl_authzid", c.sasl_authzid, NULL},
		    {"sasl_realm", c.sasl_realm, NULL},
		    {"keytab", c.keytab, NULL},
		    {"base", c.base, NULL},
		    {"tls_ca_file", c.tls_ca_file, NULL},
		    {"tls_ca_dir", c.tls_ca_dir, NULL},
		    {"tls_cert_file", c.tls_cert_file, NULL},
		    {"tls_key_file", c.tls_key_file, NULL},
		    {"journal_file", c.journal_file, LOCALSTATEDIR "/lib/dirmail/journal.ldif"},
		    {"state_dir", c.state_dir, LOCALSTATEDIR "/lib/dirmail"},
		    {"log_facility", c.log_facility, "daemon"},
		};
		const struct {
			const char *name;
			int got, want;
		} ints[] = {
		    {"starttls", c.starttls, 0},       {"timeout", c.timeout, 10},
		    {"op_timeout", c.op_timeout, 30},  {"page_size", c.page_size, 500},
		    {"window", c.window, 32},          {"connections", c.connections, 2},
		    {"tls_verify", c.tls_verify, 1},   {"journal_max_size", c.journal_max_size, 64},
		    {"log_verbose", c.log_verbose, 0},
		};

		for (i = 0; i < NELEM(strs); i++)
			expect_str(strs[i].name, strs[i].got, strs[i].want);
		for (i = 0; i < NELEM(ints); i++)
			expect_int(ints[i].name, ints[i].got, ints[i].want);
	}
	expect_defaults(&c, "conf_init");
	conf_free(&c);
	/* Free is idempotent and takes NULL. */
	conf_free(&c);
	conf_free(NULL);
}

/* ---- loading files ------------------------------------------------------- */

static void test_good(void **state)
{
	struct buf errs = BUF_INIT;
	struct conf c;
	char *path = srcpath("tests/data/conf/good.conf");
	size_t i;

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	expect_int("conf_load", conf_load(&c, path, &errs), 0);
	expect_str("errors", buf_str(&errs), "");
	{
		const struct {
			const char *name, *got, *want;
		} strs[] = {
		    {"uri", c.uri, "ldaps://dc1.example.test ldaps://dc2.example.test"},
		    {"bind_dn", c.bind_dn, "CN=dirmail,OU=Service Accounts,DC=example,DC=test"},
		    {"password_file", c.password_file, "/etc/dirmail/bind.pw"},
		    {"sasl_mech", c.sasl_mech, "DIGEST-MD5"},
		    {"sasl_authcid", c.sasl_authcid, "dirmail"},
		    {"sasl_authzid", c.sasl_authzid, "u:admin"},
		    {"sasl_realm", c.sasl_realm, "EXAMPLE.TEST"},
		    {"keytab", c.keytab, "/etc/dirmail/dirmail.keytab"},
		    {"base", c.base, "DC=example,DC=test"},
		    {"tls_ca_file", c.tls_ca_file, "/etc/dirmail/ca.pem"},
		    {"tls_ca_dir", c.tls_ca_dir, "/etc/ssl/certs"},
		    {"tls_cert_file", c.tls_cert_file, "/etc/dirmail/client.pem"},
		    {"tls_key_file", c.tls_key_file, "/etc/dirmail/client.key"},
		    {"journal_file", c.journal_file, "/srv/dirmail/journal.ldif"},
		    {"state_dir", c.state_dir, "/srv/dirmail"},
		    {"log_facility", c.log_facility, "local3"},
		};
		const struct {
			const char *name;
			int got, want;
		} ints[] = {
		    {"starttls", c.starttls, 1},
		    {"timeout", c.timeout, 5},
		    {"op_timeout", c.op_timeout, 120},
		    {"page_size", c.page_size, 1000},
		    {"window", c.window, 1},
		    {"connections", c.connections, 1},
		    {"tls_verify", c.tls_verify, 0},
		    {"journal_max_size", c.journal_max_size, 65536},
		    {"log_verbose", c.log_verbose, 2},
		};

		for (i = 0; i < NELEM(strs); i++)
			expect_str(strs[i].name, strs[i].got, strs[i].want);
		for (i = 0; i < NELEM(ints); i++)
			expect_int(ints[i].name, ints[i].got, ints[i].want);
	}
	/* Loading again over the same struct frees what it replaces. */
	expect_int("conf_load again", conf_load(&c, path, &errs), 0);
	conf_free(&c);
	buf_free(&errs);
	free(path);
}

/* One fixture per error kind; want holds "line: message" lines that the
 * test prefixes with the fixture's path. */
static const struct {
	const char *file;
	const char *want;
} error_cases[] = {
    {"unknown_key.conf",
     "3: unknown setting \"ldap.bindn\"; did you mean \"ldap.bind_dn\"?\n"
     "5: unknown setting \"ldap.tls.verify_peer\"; did you mean \"ldap.tls.verify\"?\n"
     "8: unknown setting \"verbose\"; did you mean \"log.verbose\"?\n"},
    {"unknown_group.conf", "2: unknown setting \"mail\"\n"},
    {"inline_password.conf", "4: unknown setting \"ldap.password\"\n"},
    {"type_string.conf", "2: ldap.base: expected a string\n"
                         "3: ldap.uri: expected a string\n"},
    {"type_int.conf", "2: ldap.timeout: expected an integer\n"
                      "3: ldap.op_timeout: expected an integer\n"
                      "4: ldap.window: expected an integer\n"},
    {"type_bool.conf", "2: ldap.starttls: expected a boolean\n"
                       "4: ldap.tls.verify: expected a boolean\n"},
    {"range.conf", "2: ldap.timeout: 0 is out of range (1..3600)\n"
                   "3: ldap.page_size: 5000 is out of range (1..1000)\n"
                   "4: ldap.window: -1 is out of range (1..1024)\n"
                   "7: journal.max_size: 100000000000 is out of range (1..65536)\n"
                   "10: log.verbose: 3 is out of range (0..2)\n"},
    {"facility.conf", "2: log.facility: unknown syslog facility 'deamon'\n"},
    {"group_scalar.conf", "3: ldap.tls: expected a group\n"
                          "5: journal: expected a group\n"},
    {"scalar_group.conf", "3: ldap.uri: expected a string\n"
                          "6: ldap.timeout: expected an integer\n"
                          "8: state_dir: expected a string\n"},
    {"empty.conf", "6: journal.file: must not be empty\n"},
    {"syntax.conf", "4: syntax error\n"},
    {"many.conf", "4: ldap.timeout: 0 is out of range (1..3600)\n"
                  "5: unknown setting \"ldap.foo\"\n"
                  "6: ldap.starttls: expected a boolean\n"
                  "10: journal.max_size: expected an integer\n"
                  "14: log.facility: unknown syslog facility 'syslog'\n"
                  "17: unknown setting \"extra\"\n"},
};

static void test_errors(void **state)
{
	struct buf errs = BUF_INIT, want = BUF_INIT, rel = BUF_INIT;
	const char *line, *nl;
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(error_cases); i++) {
		char *path;

		buf_reset(&rel);
		assert_int_equal(buf_printf(&rel, "tests/data/conf/%s", error_cases[i].file), 0);
		path = srcpath(buf_str(&rel));
		buf_reset(&want);
		for (line = error_cases[i].want; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			assert_non_null(nl);
			assert_int_equal(
			    buf_printf(&want, "%s:%.*s\n", path, (int)(nl - line), line), 0);
		}
		buf_reset(&errs);
		assert_int_equal(conf_init(&c), 0);
		expect_int(error_cases[i].file, conf_load(&c, path, &errs), -1);
		expect_str(error_cases[i].file, buf_str(&errs), buf_str(&want));
		conf_free(&c);
		free(path);
	}
	buf_free(&errs);
	buf_free(&want);
	buf_free(&rel);
}

/* What could be read is kept; what was refused keeps its old value. */
static void test_errors_keep_good_values(void **state)
{
	struct buf errs = BUF_INIT;
	struct conf c;
	char *path = srcpath("tests/data/conf/many.conf");
	char *empty = srcpath("tests/data/conf/empty.conf");

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	expect_int("many.conf", conf_load(&c, path, &errs), -1);
	expect_str("uri", c.uri, "ldap://dc1.example.test");
	expect_int("timeout", c.timeout, 10);
	expect_int("starttls", c.starttls, 0);
	expect_int("window", c.window, 64);
	expect_int("journal_max_size", c.journal_max_size, 64);
	expect_str("state_dir", c.state_dir, "/srv/dirmail");
	expect_str("log_facility", c.log_facility, "daemon");
	expect_int("log_verbose", c.log_verbose, 1);
	conf_free(&c);

	/* "" unsets an optional key. */
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_set(&c, "ldap.bind_dn", "cn=old", &errs), 0);
	expect_int("empty.conf", conf_load(&c, empty, &errs), -1);
	expect_str("bind_dn", c.bind_dn, NULL);
	expect_str("journal_file", c.journal_file, LOCALSTATEDIR "/lib/dirmail/journal.ldif");
	conf_free(&c);
	buf_free(&errs);
	free(path);
	free(empty);
}

static void test_unreadable(void **state)
{
	struct buf errs = BUF_INIT, want = BUF_INIT;
	struct conf c;
	char *dir = srcpath("tests/data/conf");
	const char *missing = "/nonexistent/dirmail.conf";

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	expect_int("missing", conf_load(&c, missing, &errs), -1);
	expect_str("missing", buf_str(&errs),
	           "/nonexistent/dirmail.conf: No such file or directory\n");
	buf_reset(&errs);
	expect_int("directory", conf_load(&c, dir, &errs), -1);
	assert_int_equal(buf_printf(&want, "%s: Is a directory\n", dir), 0);
	expect_str("directory", buf_str(&errs), buf_str(&want));
	expect_defaults(&c, "after unreadable");
	conf_free(&c);
	buf_free(&errs);
	buf_free(&want);
	free(dir);
}

/* Errors inside an @include'd file name that file and its own lines. */
static void test_include(void **state)
{
	struct buf errs = BUF_INIT, text = BUF_INIT, want = BUF_INIT;
	struct conf c;
	char *inc, *main_file;

	(void)state;
	inc = write_temp("# included\nlog: {\n\tbogus = 1;\n\tverbose = 2;\n};\n");
	assert_int_equal(buf_printf(&text,
	                            "ldap: {\n\ttimeout = 7;\n};\n@include \"%s\"\n"
	                            "state_dir = 5;\n",
	                            inc),
	                 0);
	main_file = write_temp(buf_str(&text));
	assert_int_equal(conf_init(&c), 0);
	expect_int("conf_load", conf_load(&c, main_file, &errs), -1);
	assert_int_equal(buf_printf(&want,
	                            "%s:3: unknown setting \"log.bogus\"\n"
	                            "%s:5: state_dir: expected a string\n",
	                            inc, main_file),
	                 0);
	expect_str("include", buf_str(&errs), buf_str(&want));
	expect_int("timeout", c.timeout, 7);
	expect_int("log_verbose", c.log_verbose, 2);
	conf_free(&c);
	unlink(inc);
	unlink(main_file);
	free(inc);
	free(main_file);
	buf_free(&errs);
	buf_free(&text);
	buf_free(&want);
}

/* ---- command-line overrides ---------------------------------------------- */

static const struct {
	const char *path, *value;
	int rc;
	const char *want; /* the field as text on success, the error otherwise */
} set_cases[] = {
    {"ldap.uri", "ldap://a.example.test ldap://b.example.test", 0,
     "ldap://a.example.test ldap://b.example.test"},
    {"ldap.bind_dn", "cn=dirmail,dc=example,dc=test", 0, "cn=dirmail,dc=example,dc=test"},
    {"ldap.bind_dn", "", 0, "(unset)"},
    {"ldap.password_file", "/etc/dirmail/bind.pw", 0, "/etc/dirmail/bind.pw"},
    {"ldap.tls.ca_file", "/etc/ssl/ca.pem", 0, "/etc/ssl/ca.pem"},
    {"ldap.timeout", "3600", 0, "3600"},
    {"ldap.timeout", "+7", 0, "7"},
    {"ldap.page_size", "1", 0, "1"},
    {"log.verbose", "2", 0, "2"},
    {"ldap.starttls", "true", 0, "1"},
    {"ldap.starttls", "YES", 0, "1"},
    {"ldap.starttls", "on", 0, "1"},
    {"ldap.starttls", "1", 0, "1"},
    {"ldap.tls.verify", "false", 0, "0"},
    {"ldap.tls.verify", "No", 0, "0"},
    {"ldap.tls.verify", "off", 0, "0"},
    {"ldap.tls.verify", "0", 0, "0"},
    {"log.facility", "local7", 0, "local7"},
    {"log.facility", "authpriv", 0, "authpriv"},
    {"journal.file", "/srv/j.ldif", 0, "/srv/j.ldif"},
    {"state_dir", "/srv/dirmail", 0, "/srv/dirmail"},
    {"metrics.textfile", "/var/lib/prometheus/node-exporter/dirmail.prom", 0,
     "/var/lib/prometheus/node-exporter/dirmail.prom"},
    {"metrics.textfile", "", 0, "(unset)"},
    {"ldap.timeout", "0", -1, "ldap.timeout: 0 is out of range (1..3600)\n"},
    {"ldap.timeout", "-5", -1, "ldap.timeout: -5 is out of range (1..3600)\n"},
    {"ldap.timeout", "99999999999999999999", -1,
     "ldap.timeout: 99999999999999999999 is out of range (1..3600)\n"},
    {"ldap.page_size", "1001", -1, "ldap.page_size: 1001 is out of range (1..1000)\n"},
    {"ldap.timeout", "10s", -1, "ldap.timeout: expected an integer\n"},
    {"ldap.timeout", " 10", -1, "ldap.timeout: expected an integer\n"},
    {"ldap.timeout", "0x10", -1, "ldap.timeout: expected an integer\n"},
    {"ldap.timeout", "", -1, "ldap.timeout: expected an integer\n"},
    {"ldap.timeout", "-", -1, "ldap.timeout: expected an integer\n"},
    {"ldap.starttls", "maybe", -1, "ldap.starttls: expected a boolean\n"},
    {"ldap.starttls", "", -1, "ldap.starttls: expected a boolean\n"},
    {"log.facility", "xyz", -1, "log.facility: unknown syslog facility 'xyz'\n"},
    {"log.facility", "a\nb", -1, "log.facility: unknown syslog facility 'a?b'\n"},
    {"log.facility", "", -1, "log.facility: must not be empty\n"},
    {"journal.file", "", -1, "journal.file: must not be empty\n"},
    {"metrics.textfile", "dirmail.prom", -1,
     "metrics.textfile: want an absolute path ending in .prom (the textfile collector reads "
     "no other name)\n"},
    {"metrics.textfile", "/var/lib/dirmail.txt", -1,
     "metrics.textfile: want an absolute path ending in .prom (the textfile collector reads "
     "no other name)\n"},
    {"metrics.textfile", "/var/lib/.prom", -1,
     "metrics.textfile: want an absolute path ending in .prom (the textfile collector reads "
     "no other name)\n"},
    {"ldap.uri", "", -1, "ldap.uri: must not be empty\n"},
    {"ldap.foo", "1", -1, "unknown setting \"ldap.foo\"\n"},
    {"ldap.password", "secret", -1, "unknown setting \"ldap.password\"\n"},
    {"ldap", "x", -1, "unknown setting \"ldap\"\n"},
    {"ldap.tls", "x", -1, "unknown setting \"ldap.tls\"\n"},
    {"ldap.pagesize", "5", -1,
     "unknown setting \"ldap.pagesize\"; did you mean \"ldap.page_size\"?\n"},
    {"", "x", -1, "unknown setting \"\"\n"},
};

static void test_set(void **state)
{
	struct buf errs = BUF_INIT, got = BUF_INIT, want = BUF_INIT, name = BUF_INIT;
	struct conf c;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(set_cases); i++) {
		buf_reset(&name);
		assert_int_equal(buf_printf(&name, "conf_set(%s, \"%s\")", set_cases[i].path,
		                            set_cases[i].value),
		                 0);
		buf_reset(&errs);
		assert_int_equal(conf_init(&c), 0);
		expect_int(buf_str(&name),
		           conf_set(&c, set_cases[i].path, set_cases[i].value, &errs),
		           set_cases[i].rc);
		if (set_cases[i].rc == 0) {
			expect_str(buf_str(&name), buf_str(&errs), "");
			field_text(&c, key(set_cases[i].path), &got);
			expect_str(buf_str(&name), buf_str(&got), set_cases[i].want);
		} else {
			expect_str(buf_str(&name), buf_str(&errs), set_cases[i].want);
			/* a refused value leaves c as it was */
			expect_defaults(&c, buf_str(&name));
		}
		conf_free(&c);
	}
	buf_free(&errs);
	buf_free(&got);
	buf_free(&want);
	buf_free(&name);
}

/* Flags override the file: conf_set after conf_load replaces the value. */
static void test_set_overrides_file(void **state)
{
	struct buf errs = BUF_INIT;
	struct conf c;
	char *path = srcpath("tests/data/conf/good.conf");

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_load(&c, path, &errs), 0);
	assert_int_equal(conf_set(&c, "ldap.uri", "ldapi:///", &errs), 0);
	assert_int_equal(conf_set(&c, "ldap.base", "dc=example,dc=test", &errs), 0);
	assert_int_equal(conf_set(&c, "ldap.starttls", "false", &errs), 0);
	assert_int_equal(conf_set(&c, "log.verbose", "0", &errs), 0);
	expect_str("errors", buf_str(&errs), "");
	expect_str("uri", c.uri, "ldapi:///");
	expect_str("base", c.base, "dc=example,dc=test");
	expect_int("starttls", c.starttls, 0);
	expect_int("log_verbose", c.log_verbose, 0);
	expect_str("bind_dn (from the file)", c.bind_dn,
	           "CN=dirmail,OU=Service Accounts,DC=example,DC=test");
	conf_free(&c);
	buf_free(&errs);
	free(path);
}

/* journal.file, until given, is journal.ldif in state_dir wherever the
 * state directory moves (the file, --state-dir, the systemd unit); once
 * given, in the file or with --journal, it stays where it was put. */
static void test_journal_follows_state_dir(void **state)
{
	static const struct {
		const char *name;
		const char *file;       /* config text, NULL = no file */
		const char *sets[2][2]; /* conf_set calls after the file, up to NULL */
		const char *want;       /* journal_file */
	} cases[] = {
	    {"defaults", NULL, {{NULL, NULL}}, CONF_DEFAULT_STATE_DIR "/journal.ldif"},
	    {"--state-dir", NULL, {{"state_dir", "/srv/x"}, {NULL, NULL}}, "/srv/x/journal.ldif"},
	    {"--state-dir with a slash",
	     NULL,
	     {{"state_dir", "/srv/x/"}, {NULL, NULL}},
	     "/srv/x/journal.ldif"},
	    {"--journal then --state-dir",
	     NULL,
	     {{"journal.file", "/j.ldif"}, {"state_dir", "/srv/x"}},
	     "/j.ldif"},
	    {"--state-dir then --journal",
	     NULL,
	     {{"state_dir", "/srv/x"}, {"journal.file", "/j.ldif"}},
	     "/j.ldif"},
	    {"state_dir in the file",
	     "state_dir = \"/srv/f\";\n",
	     {{NULL, NULL}},
	     "/srv/f/journal.ldif"},
	    {"state_dir in the file, then --state-dir",
	     "state_dir = \"/srv/f\";\n",
	     {{"state_dir", "/srv/x"}, {NULL, NULL}},
	     "/srv/x/journal.ldif"},
	    {"journal.file in the file, then --state-dir",
	     "journal: {\n\tfile = \"/var/log/j.ldif\";\n};\n",
	     {{"state_dir", "/srv/x"}, {NULL, NULL}},
	     "/var/log/j.ldif"},
	    {"state_dir after journal.file in the file",
	     "journal: {\n\tfile = \"/var/log/j.ldif\";\n};\nstate_dir = \"/srv/f\";\n",
	     {{NULL, NULL}},
	     "/var/log/j.ldif"},
	    {"a bad state_dir moves nothing",
	     NULL,
	     {{"state_dir", ""}, {NULL, NULL}},
	     CONF_DEFAULT_STATE_DIR "/journal.ldif"},
	};
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		struct buf errs = BUF_INIT;
		struct conf c;
		char *path = NULL;

		assert_int_equal(conf_init(&c), 0);
		if (cases[i].file != NULL) {
			path = write_temp(cases[i].file);
			if (conf_load(&c, path, &errs) < 0)
				fail_msg("%s: %s", cases[i].name, buf_str(&errs));
		}
		for (j = 0; j < NELEM(cases[i].sets) && cases[i].sets[j][0] != NULL; j++)
			(void)!conf_set(&c, cases[i].sets[j][0], cases[i].sets[j][1], &errs);
		expect_str(cases[i].name, c.journal_file, cases[i].want);
		conf_free(&c);
		buf_free(&errs);
		if (path != NULL)
			unlink(path);
		free(path);
	}
}

/* ---- where each value comes from ---------------------------------------- */

/* config -n and config: a file, flags over it, a journal.file that moves
 * with state_dir, values that need escapes; the exact lines. */
static void test_print(void **state)
{
	struct buf errs = BUF_INIT, out = BUF_INIT, want = BUF_INIT;
	struct conf c;
	char *path;

	(void)state;
	path = write_temp("ldap: {\n\tpage_size = 200;\n\tbase = \"dc=x\";\n"
	                  "\tsasl_realm = \"a\\\"b\\\\c\\td\";\n};\nstate_dir = \"/srv/f\";\n");
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_load(&c, path, &errs), 0);
	assert_int_equal(conf_set_from(&c, "ldap.uri", "ldap://a/ ldap://b/", "-H", &errs), 0);
	assert_int_equal(conf_set_from(&c, "ldap.base", "dc=y", "-b", &errs), 0);
	assert_int_equal(conf_set(&c, "ldap.starttls", "yes", &errs), 0);
	expect_str("errors", buf_str(&errs), "");
	assert_int_equal(conf_print(&c, 1, &out), 0);
	assert_int_equal(
	    buf_printf(&want,
	               "ldap.uri = \"ldap://a/ ldap://b/\"  # -H\n"
	               "ldap.sasl_realm = \"a\\\"b\\\\c\\x09d\"  # %s:4\n"
	               "ldap.starttls = true  # command line\n"
	               "ldap.base = \"dc=y\"  # -b\n"
	               "ldap.page_size = 200  # %s:2\n"
	               "journal.file = \"/srv/f/journal.ldif\"  # with state_dir from %s:6\n"
	               "state_dir = \"/srv/f\"  # %s:6\n",
	               path, path, path, path),
	    0);
	expect_str("config -n", buf_str(&out), buf_str(&want));
	/* Every key, in the order of the table, the rest from the default. */
	buf_reset(&out);
	assert_int_equal(conf_print(&c, 0, &out), 0);
	{
		size_t i, n, lines = 0;
		const struct conf_key *keys = conf_keys(&n);
		const char *p = out.s;

		for (i = 0; i < n; i++, lines++) {
			size_t len = strlen(keys[i].path);

			if (strncmp(p, keys[i].path, len) != 0 || strncmp(p + len, " = ", 3) != 0)
				fail_msg("line %zu: \"%.40s\", want key %s", i + 1, p,
				         keys[i].path);
			p = strchr(p, '\n');
			assert_non_null(p);
			p++;
		}
		expect_str("after the last key", p, "");
		expect_int("lines", (long long)lines, CONF_NKEYS);
	}
	assert_non_null(strstr(out.s, "\nldap.timeout = 10  # default\n"));
	assert_non_null(strstr(out.s, "\nldap.bind_dn = \"\"  # default\n"));
	assert_non_null(strstr(out.s, "\nldap.tls.verify = true  # default\n"));
	/* --journal then --state-dir: the journal stays where it was put */
	assert_int_equal(conf_set_from(&c, "journal.file", "/j.ldif", "--journal", &errs), 0);
	assert_int_equal(conf_set_from(&c, "state_dir", "/srv/x", "--state-dir", &errs), 0);
	buf_reset(&out);
	assert_int_equal(conf_print(&c, 1, &out), 0);
	assert_non_null(strstr(out.s, "\njournal.file = \"/j.ldif\"  # --journal\n"));
	assert_non_null(strstr(out.s, "\nstate_dir = \"/srv/x\"  # --state-dir\n"));
	/* a refused value keeps the origin it had */
	assert_int_equal(conf_set_from(&c, "ldap.page_size", "0", "--x", &errs), -1);
	buf_reset(&out);
	assert_int_equal(conf_print(&c, 1, &out), 0);
	assert_non_null(strstr(out.s, "\nldap.page_size = 200  # "));
	conf_free(&c);
	/* nothing given: -n prints nothing */
	assert_int_equal(conf_init(&c), 0);
	buf_reset(&out);
	assert_int_equal(conf_print(&c, 1, &out), 0);
	expect_str("config -n of the defaults", buf_str(&out), "");
	conf_free(&c);
	unlink(path);
	free(path);
	buf_free(&errs);
	buf_free(&out);
	buf_free(&want);
}

static void test_nearest(void **state)
{
	static const struct {
		const char *name;
		int group;
		const char *want; /* NULL: no suggestion */
	} cases[] = {
	    {"ldap.pagesize", 0, "ldap.page_size"},
	    {"ldap.page-size", 0, "ldap.page_size"},
	    {"ldap.pgae_size", 0, "ldap.page_size"},
	    {"LDAP.URI", 0, "ldap.uri"},
	    {"ldap.bindn", 0, "ldap.bind_dn"},
	    {"ldap.bind_db", 0, "ldap.bind_dn"},
	    {"page_size", 0, "ldap.page_size"},
	    {"timeout", 0, "ldap.timeout"},
	    {"verbose", 0, "log.verbose"},
	    {"journal.maxsize", 0, "journal.max_size"},
	    {"ldap.tls.cafile", 0, "ldap.tls.ca_file"},
	    {"ldap.tls.ca_file", 0, "ldap.tls.ca_file"},
	    {"statedir", 0, "state_dir"},
	    {"log.facilty", 0, "log.facility"},
	    {"frobnicate", 0, NULL},
	    {"ldap.password", 0, NULL},
	    {"extra", 0, NULL},
	    {"", 0, NULL},
	    {"lpad", 1, "ldap"},
	    {"ldap.tsl", 1, "ldap.tls"},
	    {"jornal", 1, "journal"},
	    {"mail", 1, NULL},
	    {"a-name-far-longer-than-any-key-of-the-table-could-ever-be-at-all-x", 0, NULL},
	};
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		buf_reset(&out);
		expect_int(cases[i].name, conf_nearest(cases[i].name, cases[i].group, &out),
		           cases[i].want != NULL);
		expect_str(cases[i].name, cases[i].want ? buf_str(&out) : NULL, cases[i].want);
		if (cases[i].want == NULL)
			expect_int(cases[i].name, (long long)out.len, 0);
	}
	buf_free(&out);
}

/* ---- settings as a whole ------------------------------------------------- */

static const struct {
	const char *name;
	const char *sets[6][2]; /* conf_set calls, up to an empty path */
	const char *want;
} check_cases[] = {
    {"defaults", {{NULL, NULL}}, "ldap.base is not set: give -b BASE or set ldap.base\n"},
    {"base only", {{"ldap.base", "dc=example,dc=test"}}, ""},
    {"sasl external", {{"ldap.base", "dc=x"}, {"ldap.sasl_mech", "EXTERNAL"}}, ""},
    {"simple bind",
     {{"ldap.base", "dc=x"}, {"ldap.bind_dn", "cn=a,dc=x"}, {"ldap.password_file", "/pw"}},
     ""},
    {"bind without password",
     {{"ldap.base", "dc=x"}, {"ldap.bind_dn", "cn=a,dc=x"}},
     "ldap.bind_dn needs a password: give -y FILE or set ldap.password_file\n"},
    {"bind and sasl",
     {{"ldap.base", "dc=x"},
      {"ldap.bind_dn", "cn=a,dc=x"},
      {"ldap.password_file", "/pw"},
      {"ldap.sasl_mech", "PLAIN"}},
     "ldap.bind_dn and ldap.sasl_mech are both set: choose a simple bind (-D) or SASL (-Y)\n"},
    {"password unused",
     {{"ldap.base", "dc=x"}, {"ldap.password_file", "/pw"}},
     "ldap.password_file is set but unused: set ldap.bind_dn (-D) or ldap.sasl_mech (-Y)\n"},
    {"sasl with password",
     {{"ldap.base", "dc=x"},
      {"ldap.sasl_mech", "DIGEST-MD5"},
      {"ldap.sasl_authcid", "dirmail"},
      {"ldap.sasl_realm", "EXAMPLE.TEST"},
      {"ldap.password_file", "/pw"}},
     ""},
    {"sasl options without mech",
     {{"ldap.base", "dc=x"},
      {"ldap.sasl_authcid", "dirmail"},
      {"ldap.sasl_authzid", "u:x"},
      {"ldap.sasl_realm", "R"}},
     "ldap.sasl_authcid needs ldap.sasl_mech\n"
     "ldap.sasl_authzid needs ldap.sasl_mech\n"
     "ldap.sasl_realm needs ldap.sasl_mech\n"},
    {"gssapi with a keytab",
     {{"ldap.base", "dc=x"}, {"ldap.sasl_mech", "GSSAPI"}, {"ldap.keytab", "/k"}},
     ""},
    {"keytab without mech",
     {{"ldap.base", "dc=x"}, {"ldap.keytab", "/k"}},
     "ldap.keytab needs ldap.sasl_mech: set it to GSSAPI (-Y GSSAPI)\n"},
    {"certificate without key",
     {{"ldap.base", "dc=x"}, {"ldap.sasl_mech", "EXTERNAL"}, {"ldap.tls.cert_file", "/c"}},
     "ldap.tls.cert_file and ldap.tls.key_file go together: set both or neither\n"},
    {"key without certificate",
     {{"ldap.base", "dc=x"}, {"ldap.tls.key_file", "/k"}},
     "ldap.tls.cert_file and ldap.tls.key_file go together: set both or neither\n"},
    {"certificate and key",
     {{"ldap.base", "dc=x"}, {"ldap.tls.cert_file", "/c"}, {"ldap.tls.key_file", "/k"}},
     ""},
    {"several problems",
     {{"ldap.bind_dn", "cn=a,dc=x"}, {"ldap.tls.key_file", "/k"}},
     "ldap.base is not set: give -b BASE or set ldap.base\n"
     "ldap.bind_dn needs a password: give -y FILE or set ldap.password_file\n"
     "ldap.tls.cert_file and ldap.tls.key_file go together: set both or neither\n"},
};

static void test_check(void **state)
{
	struct buf errs = BUF_INIT;
	struct conf c;
	size_t i, j;

	(void)state;
	for (i = 0; i < NELEM(check_cases); i++) {
		assert_int_equal(conf_init(&c), 0);
		buf_reset(&errs);
		for (j = 0; j < NELEM(check_cases[i].sets) && check_cases[i].sets[j][0]; j++)
			assert_int_equal(conf_set(&c, check_cases[i].sets[j][0],
			                          check_cases[i].sets[j][1], &errs),
			                 0);
		expect_int(check_cases[i].name, conf_check(&c, &errs),
		           *check_cases[i].want ? -1 : 0);
		expect_str(check_cases[i].name, buf_str(&errs), check_cases[i].want);
		conf_free(&c);
	}
	buf_free(&errs);
}

static void test_facility(void **state)
{
	static const struct {
		const char *name;
		int want;
	} cases[] = {
	    {"daemon", LOG_DAEMON},
	    {"user", LOG_USER},
	    {"mail", LOG_MAIL},
	    {"auth", LOG_AUTH},
	    {"authpriv", LOG_AUTHPRIV},
	    {"local0", LOG_LOCAL0},
	    {"local1", LOG_LOCAL1},
	    {"local2", LOG_LOCAL2},
	    {"local3", LOG_LOCAL3},
	    {"local4", LOG_LOCAL4},
	    {"local5", LOG_LOCAL5},
	    {"local6", LOG_LOCAL6},
	    {"local7", LOG_LOCAL7},
	    {"local8", -1},
	    {"DAEMON", -1},
	    {"kern", -1},
	    {"", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(cases); i++)
		expect_int(cases[i].name, conf_syslog_facility(cases[i].name), cases[i].want);
	expect_int("NULL", conf_syslog_facility(NULL), -1);
}

/* ---- the sample config and the man page against the key table ----------- */

static void test_sample_loads(void **state)
{
	struct buf errs = BUF_INIT;
	struct conf c;
	char *path = srcpath("conf/dirmail.conf");

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	expect_int("conf_load", conf_load(&c, path, &errs), 0);
	expect_str("errors", buf_str(&errs), "");
	expect_defaults(&c, "sample");
	conf_free(&c);
	buf_free(&errs);
	free(path);
}

/* Every key appears in the sample as a "#key = default;" line under its
 * help text: with those lines uncommented the file must load cleanly and
 * hold every key of the table at its documented default. */
static void test_sample_documents_every_key(void **state)
{
	struct buf text = BUF_INIT, errs = BUF_INIT, want = BUF_INIT, name = BUF_INIT;
	const struct conf_key *keys;
	const config_setting_t *s;
	char *path = srcpath("conf/dirmail.conf");
	char *sample = slurp(path);
	char *tmp, *line, *save = NULL;
	struct conf c;
	config_t cf;
	size_t i, n;
	int rc;

	(void)state;
	for (line = strtok_r(sample, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line + strspn(line, " \t");

		if (p[0] == '#' && ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'))) {
			assert_int_equal(buf_add(&text, line, (size_t)(p - line)), 0);
			p++;
		} else {
			p = line;
		}
		assert_int_equal(buf_printf(&text, "%s\n", p), 0);
	}
	tmp = write_temp(buf_str(&text));

	assert_int_equal(conf_init(&c), 0);
	rc = conf_load(&c, tmp, &errs);
	expect_str("uncommented sample", buf_str(&errs), "");
	expect_int("uncommented sample", rc, 0);
	conf_free(&c);

	config_init(&cf);
	assert_int_equal(config_read_file(&cf, tmp), CONFIG_TRUE);
	free(sample);
	sample = slurp(path);
	keys = conf_keys(&n);
	for (i = 0; i < n; i++) {
		const struct conf_key *k = &keys[i];

		s = config_lookup(&cf, k->path);
		if (s == NULL)
			fail_msg("%s: no \"#key = default;\" line in conf/dirmail.conf", k->path);
		buf_reset(&name);
		assert_int_equal(buf_printf(&name, "conf/dirmail.conf: %s", k->path), 0);
		doc_default(k, &want);
		switch (k->type) {
		case CONF_STRING:
			expect_str(buf_str(&name), config_setting_get_string(s), buf_str(&want));
			break;
		case CONF_INT:
			expect_int(buf_str(&name), config_setting_get_int64(s), atoll(k->def));
			break;
		case CONF_BOOL:
			expect_int(buf_str(&name), config_setting_get_bool(s),
			           strcmp(k->def, "true") == 0);
			break;
		}
		buf_reset(&want);
		assert_int_equal(buf_printf(&want, "# %s", k->help), 0);
		if (strstr(sample, buf_str(&want)) == NULL)
			fail_msg("%s: help \"%s\" missing from conf/dirmail.conf", k->path,
			         k->help);
	}
	config_destroy(&cf);
	unlink(tmp);
	free(tmp);
	free(sample);
	free(path);
	buf_free(&text);
	buf_free(&errs);
	buf_free(&want);
	buf_free(&name);
}

/* Every key has an entry ".It Cm PATH Pq TYPE, DEFAULT" in the man page,
 * and every such entry is a key of the table. */
static void test_manpage_documents_every_key(void **state)
{
	struct buf want = BUF_INIT, alt = BUF_INIT, def = BUF_INIT;
	const struct conf_key *keys;
	char *path = srcpath("conf/dirmail.conf.5");
	char *man = slurp(path);
	char *line, *save = NULL;
	size_t i, n, found;

	(void)state;
	keys = conf_keys(&n);
	for (i = 0; i < n; i++) {
		const struct conf_key *k = &keys[i];

		buf_reset(&want);
		buf_reset(&alt);
		doc_default(k, &def);
		switch (k->type) {
		case CONF_STRING:
			if (*k->def == '\0') {
				assert_int_equal(
				    buf_printf(&want, ".It Cm %s Pq string, unset\n", k->path), 0);
			} else {
				assert_int_equal(buf_printf(&want,
				                            ".It Cm %s Pq string, default Ql %s\n",
				                            k->path, buf_str(&def)),
				                 0);
				assert_int_equal(buf_printf(&alt,
				                            ".It Cm %s Pq string, default Pa %s\n",
				                            k->path, buf_str(&def)),
				                 0);
			}
			break;
		case CONF_INT:
			assert_int_equal(
			    buf_printf(&want, ".It Cm %s Pq integer, default %s, %ld\\(en%ld\n",
			               k->path, k->def, k->min, k->max),
			    0);
			break;
		case CONF_BOOL:
			assert_int_equal(buf_printf(&want, ".It Cm %s Pq boolean, default %s\n",
			                            k->path, k->def),
			                 0);
			break;
		}
		if (strstr(man, buf_str(&want)) == NULL &&
		    (alt.len == 0 || strstr(man, buf_str(&alt)) == NULL))
			fail_msg("conf/dirmail.conf.5: no line \"%.*s\"", (int)want.len - 1,
			         buf_str(&want));
	}
	for (line = strtok_r(man, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, ".It Cm ", 7) != 0)
			continue;
		line += 7;
		line[strcspn(line, " ")] = '\0';
		for (found = 0, i = 0; i < n; i++)
			found |= strcmp(keys[i].path, line) == 0;
		if (!found)
			fail_msg("conf/dirmail.conf.5 documents %s, which is not a key", line);
	}
	free(man);
	free(path);
	buf_free(&want);
	buf_free(&alt);
	buf_free(&def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_errors_keep_good_values),
	    cmocka_unit_test(test_unreadable),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_set),
	    cmocka_unit_test(test_set_overrides_file),
	    cmocka_unit_test(test_journal_follows_state_dir),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_nearest),
	    cmocka_unit_test(test_check),
	    cmocka_unit_test(test_facility),
	    cmocka_unit_test(test_sample_loads),
	    cmocka_unit_test(test_sample_documents_every_key),
	    cmocka_unit_test(test_manpage_documents_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
