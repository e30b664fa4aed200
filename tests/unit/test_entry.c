/* test_entry.c - the plain entry model.
 * Case-insensitive attribute lookup, value order kept, binary values, bulk
 * appends and merges, removals, copies, growth, and the arena's lifetimes. */
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

#include "buf.h"
#include "entry.h"

static void test_add_get(void **state)
{
	struct entry *e = entry_new("uid=a,dc=example,dc=test");
	const struct entry_attr *a;

	assert_non_null(e);
	assert_int_equal(entry_add(e, "proxyAddresses", "SMTP:a@example.test", 19), 0);
	assert_int_equal(entry_add(e, "PROXYADDRESSES", "smtp:b@example.test", 19), 0);
	assert_int_equal(entry_add(e, "cn", "A", 1), 0);
	assert_int_equal(entry_add(e, "msExchMailboxGuid", "\0\1\2", 3), 0);
	assert_int_equal(e->nattrs, 3);
	a = entry_get(e, "proxyaddresses");
	assert_non_null(a);
	assert_string_equal(a->name, "proxyAddresses");
	assert_int_equal(a->nvals, 2);
	assert_string_equal(a->vals[0].val, "SMTP:a@example.test");
	assert_string_equal(a->vals[1].val, "smtp:b@example.test");
	assert_string_equal(entry_first(e, "CN"), "A");
	assert_null(entry_first(e, "mail"));
	assert_null(entry_get(e, "mail"));
	a = entry_get(e, "msexchmailboxguid");
	assert_int_equal(a->vals[0].len, 3);
	assert_memory_equal(a->vals[0].val, "\0\1\2", 3);
	entry_free(e);
	entry_free(NULL);
}

static void test_null_dn(void **state)
{
	struct entry *e = entry_new(NULL);

	assert_non_null(e);
	assert_string_equal(e->dn, "");
	entry_free(e);
}

/* ---- scripted cases ------------------------------------------------------ */

/* Decodes %XX escapes (for NUL and binary bytes) into out; returns the
 * length. */
static size_t unescape(const char *s, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n) {
			char hex[3] = {s[i + 1], s[i + 2], '\0'};

			out[k++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	return k;
}

/* Splits "v1|v2|..." into vals, decoded into buf; returns the count. */
static size_t split(const char *s, struct entry_val *vals, char *buf)
{
	size_t n = 0;

	for (;;) {
		size_t len = strcspn(s, "|");

		vals[n].val = buf;
		vals[n].len = unescape(s, len, buf);
		buf += vals[n].len + 1;
		n++;
		if (s[len] == '\0')
			return n;
		s += len + 1;
	}
}

/*
 * Applies one step to *e:
 *   "+name=v"        entry_add
 *   "*name=v1|v2"    entry_add_vals ("*name=" adds nothing)
 *   "-name"          entry_del
 *   "~name#k"        entry_del_val
 *   "dup"            *e becomes entry_dup(*e), the original freed
 */
static void step(struct entry **e, const char *s)
{
	struct entry_val vals[16];
	char name[64], buf[256];
	const char *eq = strchr(s, '=');
	size_t n;

	if (strcmp(s, "dup") == 0) {
		struct entry *d = entry_dup(*e);

		assert_non_null(d);
		entry_free(*e);
		*e = d;
		return;
	}
	n = eq ? (size_t)(eq - s - 1) : strcspn(s + 1, "#");
	assert_true(n < sizeof(name));
	memcpy(name, s + 1, n);
	name[n] = '\0';
	switch (s[0]) {
	case '+':
		n = unescape(eq + 1, strlen(eq + 1), buf);
		assert_int_equal(entry_add(*e, name, buf, n), 0);
		break;
	case '*':
		n = eq[1] ? split(eq + 1, vals, buf) : 0;
		assert_int_equal(entry_add_vals(*e, name, vals, n), 0);
		break;
	case '-':
		entry_del(*e, name);
		break;
	case '~':
		entry_del_val(*e, name, (size_t)atoi(strchr(s, '#') + 1));
		break;
	default:
		fail_msg("bad step \"%s\"", s);
	}
}

/* The entry as "name=v1,v2;name=v", bytes outside printable ASCII (and the
 * separators) as %XX; checks every value's NUL terminator on the way. */
static char *show(const struct entry *e)
{
	struct buf b = BUF_INIT;
	size_t i, j, k;

	for (i = 0; i < e->nattrs; i++) {
		const struct entry_attr *a = &e->attrs[i];

		(void)!buf_printf(&b, "%s%s=", i ? ";" : "", a->name);
		for (j = 0; j < a->nvals; j++) {
			const unsigned char *v = (const unsigned char *)a->vals[j].val;

			if (a->vals[j].val[a->vals[j].len] != '\0')
				fail_msg("%s value %zu is not NUL-terminated", a->name, j);
			if (j)
				(void)!buf_puts(&b, ",");
			for (k = 0; k < a->vals[j].len; k++)
				if (v[k] < 0x20 || v[k] > 0x7e || strchr("%,;=", v[k]))
					(void)!buf_printf(&b, "%%%02x", v[k]);
				else
					(void)!buf_printf(&b, "%c", v[k]);
		}
	}
	return b.s ? buf_steal(&b) : strdup("");
}

static void expect_show(const struct entry *e, const char *what, const char *want)
{
	char *got = show(e);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
	free(got);
}

struct script_case {
	const char *what;
	const char *steps[10];
	const char *want;
};

static const struct script_case script_cases[] = {
    {"empty", {NULL}, ""},
    {"one value", {"+cn=A"}, "cn=A"},
    {"empty value", {"+description=", "*sn="}, "description="},
    {"order kept", {"+mail=a", "+cn=c", "+mail=b", "+MAIL=d"}, "mail=a,b,d;cn=c"},
    {"NUL and binary by one",
     {"+msExchMailboxGuid=%00%01%ff%00"},
     "msExchMailboxGuid=%00%01%ff%00"},
    {"NUL and binary at once", {"*objectGUID=%00|a%00b|%ff%fe|"}, "objectGUID=%00,a%00b,%ff%fe,"},
    {"bulk",
     {"*objectClass=top|person|dirmailUser", "*cn=A"},
     "objectClass=top,person,dirmailUser;cn=A"},
    {"bulk of nothing", {"*objectClass="}, ""},
    {"repeated name merges",
     {"*proxyAddresses=SMTP:a|smtp:b", "*PROXYADDRESSES=smtp:c", "+proxyaddresses=smtp:d",
      "*ProxyAddresses=smtp:e|smtp:f"},
     "proxyAddresses=SMTP:a,smtp:b,smtp:c,smtp:d,smtp:e,smtp:f"},
    {"by one then bulk", {"+member=a", "+cn=x", "*Member=b|c"}, "member=a,b,c;cn=x"},
    {"server spelling kept",
     {"*PROXYADDRESSES=a", "+Mail=b", "*x-Unknown=c"},
     "PROXYADDRESSES=a;Mail=b;x-Unknown=c"},
    {"del then add", {"+mail=a", "+cn=c", "-MAIL", "+Mail=b"}, "cn=c;Mail=b"},
    {"del then bulk add", {"*mail=a|b", "-mail", "*mail=c"}, "mail=c"},
    {"del of a missing name", {"+cn=c", "-mail", "-c"}, "cn=c"},
    {"del keeps the others", {"+a=1", "+b=2", "+c=3", "-b"}, "a=1;c=3"},
    {"del_val middle", {"*mail=a|b|c", "~MAIL#1"}, "mail=a,c"},
    {"del_val of a value by one", {"+mail=a", "+mail=b", "~mail#0"}, "mail=b"},
    {"del_val last value drops the attribute", {"+cn=c", "*mail=a", "~mail#0"}, "cn=c"},
    {"del_val out of range", {"*mail=a|b", "~mail#2", "~cn#0"}, "mail=a,b"},
    {"dup", {"*objectClass=top|x", "+cn=%00", "dup"}, "objectClass=top,x;cn=%00"},
    {"dup then grow", {"*mail=a", "dup", "+mail=b", "*mail=c|d", "+sn=s"}, "mail=a,b,c,d;sn=s"},
    {"dup after del", {"+a=1", "*b=2|3", "-a", "dup", "+a=4"}, "b=2,3;a=4"},
    {"dup after del_val", {"*b=1|2|3", "~b#0", "dup", "~b#1"}, "b=2"},
    {"del then add reuses", {"+cn=1", "+sn=2", "-cn", "+cn=3", "-sn", "*sn=4", "dup"}, "cn=3;sn=4"},
    {"fingerprint twins", {"+abcdefgh=1", "+axcdefgh=2", "+ABCDEFGH=3"}, "abcdefgh=1,3;axcdefgh=2"},
};

static void run_script(const struct script_case *c)
{
	struct entry *e = entry_new("uid=x,dc=example,dc=test");
	struct entry *d;
	size_t i;

	assert_non_null(e);
	for (i = 0; c->steps[i] != NULL; i++)
		step(&e, c->steps[i]);
	expect_show(e, c->what, c->want);
	assert_string_equal(e->dn, "uid=x,dc=example,dc=test");
	/* A copy shows the same and lives on its own. */
	d = entry_dup(e);
	assert_non_null(d);
	assert_ptr_not_equal(d->dn, e->dn);
	for (i = 0; i < e->nattrs; i++)
		if (e->attrs[i].nvals > 0)
			assert_ptr_not_equal(d->attrs[i].vals[0].val, e->attrs[i].vals[0].val);
	entry_free(e);
	expect_show(d, c->what, c->want);
	assert_string_equal(d->dn, "uid=x,dc=example,dc=test");
	entry_free(d);
}

static void test_scripts(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(script_cases) / sizeof(script_cases[0]); i++)
		run_script(&script_cases[i]);
}

/* ---- lookups ------------------------------------------------------------- */

static void test_lookups(void **state)
{
	static const struct {
		const char *name, *first;
	} cases[] = {
	    {"cn", "A"},       {"CN", "A"},        {"mail", "a@x"}, {"MaIl", "a@x"},
	    {"ma", NULL},      {"mails", NULL},    {"", NULL},      {"abcdefgh", "1"},
	    {"aXcdefgh", "2"}, {"abcdefgX", NULL}, {"x-y", "bin"},  {"X-Y", "bin"},
	};
	struct entry *e = entry_new("cn=A");
	char b1[] = "bin", b2[] = "b\0c";
	const struct entry_val bin[] = {{b1, 3}, {b2, 3}};
	size_t i;

	assert_non_null(e);
	assert_int_equal(entry_add(e, "cn", "A", 1), 0);
	assert_int_equal(entry_add(e, "mail", "a@x", 3), 0);
	assert_int_equal(entry_add(e, "abcdefgh", "1", 1), 0);
	assert_int_equal(entry_add(e, "axcdefgh", "2", 1), 0);
	assert_int_equal(entry_add_vals(e, "x-y", bin, 2), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = entry_first(e, cases[i].name);

		if (cases[i].first == NULL ? got != NULL
		                           : got == NULL || strcmp(got, cases[i].first) != 0)
			fail_msg("entry_first(%s): got %s, want %s", cases[i].name,
			         got ? got : "NULL", cases[i].first ? cases[i].first : "NULL");
		assert_true((entry_get(e, cases[i].name) != NULL) == (cases[i].first != NULL));
	}
	assert_int_equal(entry_has(e, "X-y", "b\0c", 3), 1);
	assert_int_equal(entry_has(e, "x-y", "b\0d", 3), 0);
	assert_int_equal(entry_has(e, "x-y", "b", 1), 0);
	assert_int_equal(entry_has(e, "x-y", "bin", 2), 0);
	assert_int_equal(entry_has(e, "mail", "a@x", 3), 1);
	assert_int_equal(entry_has(e, "cn", "a@x", 3), 0);
	/* the same lookups without case */
	assert_int_equal(entry_has(e, "mail", "A@X", 3), 0);
	assert_int_equal(entry_has_nocase(e, "MAIL", "A@X", 3), 1);
	assert_int_equal(entry_has_nocase(e, "mail", "A@", 2), 0);
	assert_int_equal(entry_has_nocase(e, "x-y", "B\0c", 3), 1);
	assert_int_equal(entry_has_nocase(e, "x-y", "B\0d", 3), 0);
	assert_int_equal(entry_has_nocase(e, "cn", "a@x", 3), 0);
	entry_free(e);
}

/* The look-up table against a model: names added, set, removed and
 * sorted at random, growing past the size where the table gives way to
 * a scan, then shrinking; each present name found with its value and
 * every other one not found. */
static int by_name(const void *pa, const void *pb)
{
	return strcmp(((const struct entry_attr *)pa)->name, ((const struct entry_attr *)pb)->name);
}

static void check_model(const struct entry *e, char (*val)[16], size_t nnames)
{
	char name[16];
	size_t i, n = 0;

	for (i = 0; i < nnames; i++) {
		const struct entry_attr *a;

		sprintf(name, (i % 3) ? "name%zu" : "NAME%zu", i); /* looked up in another case */
		a = entry_get(e, name);
		if (val[i][0] == '\0') {
			if (a != NULL)
				fail_msg("%s found after its removal", name);
			continue;
		}
		n++;
		if (a == NULL || a->nvals != 1 || strcmp(a->vals[0].val, val[i]) != 0)
			fail_msg("%s: got %s, want %s", name, a ? a->vals[0].val : "nothing",
			         val[i]);
		assert_true(strcasecmp(a->name, name) == 0);
	}
	assert_int_equal(e->nattrs, n);
}

static void test_name_table(void **state)
{
	enum { NNAMES = 90 };
	static char val[NNAMES][16];
	struct entry *e = entry_new("cn=t");
	uint32_t r = 12345;
	char name[16];
	size_t step;

	(void)state;
	assert_non_null(e);
	memset(val, 0, sizeof(val));
	for (step = 0; step < 4000; step++) {
		size_t i, op;

		r = r * 1103515245u + 12345u;
		i = (r >> 8) % NNAMES;
		op = (r >> 20) % 8;
		/* Grow to past 64 names in the first half, shrink in the second. */
		if (step >= 2000 && op < 5)
			op = 5 + op % 2;
		sprintf(name, "name%zu", i);
		if (op < 3 && val[i][0] == '\0') {
			sprintf(val[i], "a%zu", step);
			assert_int_equal(entry_add(e, name, val[i], strlen(val[i])), 0);
		} else if (op < 5) {
			sprintf(val[i], "s%zu", step);
			assert_int_equal(entry_set1(e, name, val[i], strlen(val[i])), 0);
		} else if (op < 7) {
			entry_del(e, name);
			val[i][0] = '\0';
		} else {
			entry_sort_attrs(e, by_name);
		}
		check_model(e, val, NNAMES);
	}
	entry_free(e);
}

/* ---- growth and lifetimes ------------------------------------------------ */

/* Value k of attribute i, as its own digits (lengths vary, so values cross
 * arena blocks at different points). */
static size_t fmt_val(char *buf, size_t i, size_t k)
{
	return (size_t)sprintf(buf, "v%zu-%zu-%0*zu", i, k, (int)(k % 40), k);
}

static void check_grown(const struct entry *e, size_t nattrs, size_t nvals)
{
	char want[128], name[32];
	size_t i, k;

	assert_int_equal(e->nattrs, nattrs);
	for (i = 0; i < nattrs; i++) {
		const struct entry_attr *a;

		sprintf(name, "attr%zu", i);
		a = entry_get(e, name);
		assert_non_null(a);
		assert_ptr_equal(a, &e->attrs[i]);
		assert_int_equal(a->nvals, nvals);
		for (k = 0; k < nvals; k++) {
			size_t n = fmt_val(want, i, k);

			assert_int_equal(a->vals[k].len, n);
			assert_memory_equal(a->vals[k].val, want, n + 1);
		}
	}
}

static void test_growth(void **state)
{
	static const struct {
		size_t nattrs, nvals;
		int bulk;
	} cases[] = {
	    {1, 3000, 0}, {1, 3000, 1}, {300, 3, 0}, {300, 3, 1}, {40, 40, 0}, {40, 40, 1},
	};
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t nattrs = cases[c].nattrs, nvals = cases[c].nvals, i, k;
		struct entry *e = entry_new("cn=big"), *d;
		const char *first;
		char name[32], buf[128];

		assert_non_null(e);
		/* Values added attribute after attribute, interleaved by rounds so
		 * that no array stays at the end of the arena. */
		for (k = 0; k < nvals; k++)
			for (i = 0; i < nattrs; i++) {
				struct entry_val v;

				sprintf(name, "attr%zu", i);
				v.val = buf;
				v.len = fmt_val(buf, i, k);
				if (cases[c].bulk)
					assert_int_equal(entry_add_vals(e, name, &v, 1), 0);
				else
					assert_int_equal(entry_add(e, name, v.val, v.len), 0);
			}
		first = e->attrs[0].vals[0].val;
		check_grown(e, nattrs, nvals);
		d = entry_dup(e);
		assert_non_null(d);
		/* The first value never moved while everything grew. */
		assert_ptr_equal(e->attrs[0].vals[0].val, first);
		entry_free(e);
		check_grown(d, nattrs, nvals);
		entry_free(d);
	}
}

/* ---- what journal.c does: take a value by one out and free it ------------- */

static void test_caller_frees_added_value(void **state)
{
	struct entry *e = entry_new("cn=j");
	struct entry_attr *a;

	assert_non_null(e);
	assert_int_equal(entry_add(e, "mail", "a", 1), 0);
	assert_int_equal(entry_add(e, "mail", "b", 1), 0);
	assert_int_equal(entry_add(e, "mail", "c", 1), 0);
	a = &e->attrs[0];
	free(a->vals[1].val);
	memmove(a->vals + 1, a->vals + 2, sizeof(*a->vals));
	a->nvals--;
	expect_show(e, "after the caller's free", "mail=a,c");
	assert_int_equal(entry_add(e, "mail", "d", 1), 0);
	expect_show(e, "added again", "mail=a,c,d");
	entry_free(e);
}

/* ---- copies -------------------------------------------------------------- */

static int drop_secret(const char *name)
{
	return strcmp(name, "userPassword") == 0 || strcmp(name, "unicodePwd") == 0;
}

static void test_dup_without(void **state)
{
	static const struct {
		const char *what, *steps[6], *want;
	} cases[] = {
	    {"drops", {"+cn=a", "*userPassword=x|y", "+mail=m", NULL}, "cn=a;mail=m"},
	    {"only dropped", {"+userPassword=x", "*unicodePwd=y", NULL}, ""},
	    {"nothing to drop", {"*cn=a|b", "+mail=%00", NULL}, "cn=a,b;mail=%00"},
	    {"after removals", {"*cn=a|b", "+x=1", "-cn", "+unicodePwd=p", NULL}, "x=1"},
	};
	size_t c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct entry *e = entry_new("cn=d"), *d;

		assert_non_null(e);
		for (i = 0; cases[c].steps[i] != NULL; i++)
			step(&e, cases[c].steps[i]);
		d = entry_dup_without(e, drop_secret);
		assert_non_null(d);
		entry_free(e);
		expect_show(d, cases[c].what, cases[c].want);
		assert_string_equal(d->dn, "cn=d");
		assert_int_equal(entry_add(d, "cn", "z", 1), 0);
		assert_string_equal(entry_first(d, "cn"),
		                    strstr(cases[c].want, "cn=a") ? "a" : "z");
		entry_free(d);
	}
}

/* ---- the packed form ------------------------------------------------------ */

static struct entry *repack(const struct entry *e, int (*drop)(const char *), size_t *len)
{
	unsigned char small[8], *buf, *once, *again;
	size_t n = entry_pack(e, drop, small, sizeof(small)), at, m;
	struct entry *u, *d;

	/* Too small: the length is right, and the call can be repeated. */
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(entry_pack(e, drop, buf, n), n);
	assert_int_equal(entry_pack(e, drop, NULL, 0), n);
	u = entry_unpack(buf, n);
	assert_non_null(u);
	/* Cut short anywhere, or with a byte more, it is refused. */
	for (size_t cut = 0; cut < n; cut++)
		assert_null(entry_unpack(buf, cut));
	buf[n] = 0;
	assert_null(entry_unpack(buf, n + 1));
	/* Without the DN, given apart: the same entry, under that DN. */
	at = entry_packed_dn_size(buf, n);
	assert_int_equal(at, 1 + strlen(e->dn)); /* the DNs here are short */
	assert_int_equal(entry_packed_dn_size(buf, at - 1), at - 1);
	d = entry_unpack_dn(e->dn, buf + at, n - at);
	assert_non_null(d);
	assert_string_equal(d->dn, e->dn);
	m = entry_pack(u, NULL, NULL, 0);
	once = malloc(m);
	again = malloc(m);
	assert_non_null(once);
	assert_non_null(again);
	assert_int_equal(entry_pack(u, NULL, once, m), m);
	assert_int_equal(entry_pack(d, NULL, again, m), m);
	assert_memory_equal(again, once, m);
	free(once);
	free(again);
	entry_free(d);
	for (size_t cut = 0; cut < n - at; cut++)
		assert_null(entry_unpack_dn(e->dn, buf + at, cut));
	assert_null(entry_unpack_dn(e->dn, buf + at, n - at + 1));
	free(buf);
	*len = n;
	return u;
}

static void test_pack(void **state)
{
	static const struct {
		const char *what, *steps[6], *want;
	} cases[] = {
	    {"known and unknown names",
	     {"*cn=a|b", "+fooBar=x", "+mail=%00%ff", NULL},
	     "cn=a,b;fooBar=x;mail=%00%ff"},
	    {"empty values", {"*member=|x", "+description=", NULL}, "member=,x;description="},
	    {"known values, and values that only look like them",
	     {"*objectClass=top|person|TOP|topx|to", "+dirmailService=exchange", "*x=TRUE|FALSEy",
	      NULL},
	     "objectClass=top,person,TOP,topx,to;dirmailService=exchange;x=TRUE,FALSEy"},
	    {"drops", {"+cn=a", "*userPassword=x|y", "+mail=m", NULL}, "cn=a;mail=m"},
	    {"only dropped", {"+userPassword=x", NULL}, ""},
	    {"after removals", {"*cn=a|b", "+x=1", "-cn", NULL}, "x=1"},
	    {"nothing", {NULL}, ""},
	};
	size_t c, i, len;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct entry *e = entry_new("cn=d,dc=example,dc=test"), *u;

		assert_non_null(e);
		for (i = 0; cases[c].steps[i] != NULL; i++)
			step(&e, cases[c].steps[i]);
		u = repack(e, drop_secret, &len);
		expect_show(u, cases[c].what, cases[c].want);
		assert_string_equal(u->dn, "cn=d,dc=example,dc=test");
		/* An unpacked entry is an ordinary one. */
		assert_int_equal(entry_add(u, "cn", "z", 1), 0);
		assert_string_equal(entry_first(u, "CN"),
		                    strstr(cases[c].want, "cn=a") ? "a" : "z");
		entry_free(u);
		entry_free(e);
	}
}

/* entry_pack_buf grows its buffer from nothing, reuses it when it is
 * large enough, and writes what entry_pack writes. */
static void test_pack_buf(void **state)
{
	struct entry *small = entry_new("cn=s"), *big = entry_new("cn=big"), *u;
	unsigned char *buf = NULL, *kept;
	size_t cap = 0, len = 0, cap_big, k;
	char name[32];

	(void)state;
	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal(entry_add(small, "cn", "s", 1), 0);
	for (k = 0; k < 200; k++) {
		snprintf(name, sizeof(name), "attr%zu", k);
		assert_int_equal(entry_add(big, name, "value", 5), 0);
	}
	assert_int_equal(entry_pack_buf(big, NULL, &buf, &cap, &len), 0);
	assert_non_null(buf);
	assert_int_equal(len, entry_pack(big, NULL, NULL, 0));
	assert_true(cap >= len);
	u = entry_unpack(buf, len);
	assert_non_null(u);
	assert_string_equal(entry_first(u, "attr199"), "value");
	entry_free(u);
	/* room enough: the same buffer, the smaller entry */
	kept = buf;
	cap_big = cap;
	assert_int_equal(entry_pack_buf(small, NULL, &buf, &cap, &len), 0);
	assert_ptr_equal(buf, kept);
	assert_int_equal(cap, cap_big);
	assert_int_equal(len, entry_pack(small, NULL, NULL, 0));
	u = entry_unpack(buf, len);
	assert_non_null(u);
	assert_string_equal(u->dn, "cn=s");
	assert_string_equal(entry_first(u, "cn"), "s");
	entry_free(u);
	free(buf);
	entry_free(small);
	entry_free(big);
}

static int drop_x(const char *name)
{
	return strncmp(name, "x-attr-", 7) == 0;
}

static void test_pack_many(void **state)
{
	struct entry *e = entry_new("cn=big"), *u;
	char v[32];
	size_t i, len;

	(void)state;
	assert_non_null(e);
	/* Counts and lengths past one varint byte; a name past the table. */
	for (i = 0; i < 300; i++) {
		int n = snprintf(v, sizeof(v), "uid=u%zu", i);

		assert_int_equal(entry_add(e, "member", v, (size_t)n), 0);
	}
	for (i = 0; i < 140; i++) {
		snprintf(v, sizeof(v), "x-attr-%zu", i);
		assert_int_equal(entry_add(e, v, "1", 1), 0);
	}
	{
		char big[5000];

		memset(big, 'q', sizeof(big));
		assert_int_equal(entry_add(e, "description", big, sizeof(big)), 0);
	}
	u = repack(e, NULL, &len);
	assert_int_equal(u->nattrs, e->nattrs);
	assert_int_equal(entry_get(u, "member")->nvals, 300);
	assert_string_equal(entry_get(u, "member")->vals[299].val, "uid=u299");
	assert_string_equal(entry_first(u, "X-ATTR-139"), "1");
	assert_int_equal(entry_get(u, "description")->vals[0].len, 5000);
	entry_free(u);
	/* Dropping many leaves the count's width as it was, and still reads. */
	u = repack(e, drop_x, &len);
	assert_int_equal(u->nattrs, 2);
	assert_null(entry_get(u, "x-attr-0"));
	assert_int_equal(entry_get(u, "member")->nvals, 300);
	entry_free(u);
	entry_free(e);
}

/* ---- names --------------------------------------------------------------- */

/* The names entry.c shares between entries rather than copying: sharing is
 * what keeps a 10k-entry read small, and it only works for a name the table's
 * search finds. Keep in step with entry.c. */
static const char *const shared_names[] = {
    "altRecipient",
    "cn",
    "createTimestamp",
    "deliverAndRedirect",
    "departmentNumber",
    "description",
    "dirmailAddressList",
    "dirmailAlias",
    "dirmailAutoReply",
    "dirmailAutoReplyEnd",
    "dirmailAutoReplyStart",
    "dirmailCatchAll",
    "dirmailContactBase",
    "dirmailDefaultQuota",
    "dirmailDeleteThreshold",
    "dirmailDisabled",
    "dirmailDomain",
    "dirmailExchangeDatabase",
    "dirmailForwardKeepCopy",
    "dirmailForwardTo",
    "dirmailHidden",
    "dirmailLicences",
    "dirmailManagedAddress",
    "dirmailMaxMessagesPerHour",
    "dirmailMaxRecipients",
    "dirmailMemberFilter",
    "dirmailMessageRateLimit",
    "dirmailPopImapHost",
    "dirmailPrimaryAddress",
    "dirmailPrimaryDomain",
    "dirmailPrimaryTemplate",
    "dirmailQuota",
    "dirmailQuotaNotify",
    "dirmailQuotaWarnPercent",
    "dirmailSecondaryTemplate",
    "dirmailService",
    "dirmailState",
    "dirmailStorageTotal",
    "displayName",
    "entryCSN",
    "entryUUID",
    "givenName",
    "homeMDB",
    "initials",
    "legacyExchangeDN",
    "mDBOverHardQuotaLimit",
    "mDBOverQuotaLimit",
    "mDBStorageQuota",
    "mDBUseDefaults",
    "mail",
    "mailNickname",
    "member",
    "msExchHideFromAddressLists",
    "msExchMailboxGuid",
    "msExchRecipLimit",
    "msExchRecipientDisplayType",
    "msExchRecipientTypeDetails",
    "objectClass",
    "objectGUID",
    "proxyAddresses",
    "sAMAccountName",
    "showInAddressBook",
    "sn",
    "targetAddress",
    "uSNChanged",
    "uid",
    "userAccountControl",
    "userPassword",
    "whenCreated",
};

static void test_names(void **state)
{
	static const char *const copied[] = {"PROXYADDRESSES", "Mail", "x-custom", "c", "zzz"};
	struct entry *a = entry_new("cn=a"), *b = entry_new("cn=b");
	char one[] = "v";
	const struct entry_val v = {one, 1};
	char name[64];
	size_t i;

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < sizeof(shared_names) / sizeof(shared_names[0]); i++) {
		/* From a buffer, as the server's names come. */
		strcpy(name, shared_names[i]);
		assert_int_equal(entry_add(a, name, "v", 1), 0);
		assert_int_equal(entry_add_vals(b, name, &v, 1), 0);
		if (a->attrs[i].name != b->attrs[i].name)
			fail_msg("%s is not shared", shared_names[i]);
		assert_string_equal(a->attrs[i].name, shared_names[i]);
	}
	entry_free(a);
	entry_free(b);
	a = entry_new("cn=a");
	b = entry_new("cn=b");
	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		strcpy(name, copied[i]);
		assert_int_equal(entry_add(a, name, "v", 1), 0);
		assert_int_equal(entry_add_vals(b, name, &v, 1), 0);
		memset(name, 'x', strlen(name));
		assert_ptr_not_equal(a->attrs[i].name, b->attrs[i].name);
		assert_string_equal(a->attrs[i].name, copied[i]);
		assert_string_equal(b->attrs[i].name, copied[i]);
	}
	entry_free(a);
	entry_free(b);
}

/* ---- sizes that cannot be ------------------------------------------------ */

static void test_impossible_sizes(void **state)
{
	struct entry *e = entry_new("cn=x");
	char a1[] = "a", b1[] = "b";
	const struct entry_val huge[] = {{a1, 1}, {b1, SIZE_MAX - 1}};

	assert_non_null(e);
	assert_int_equal(entry_add(e, "cn", "a", 1), 0);
	assert_int_equal(entry_add(e, "cn", "b", SIZE_MAX), -1);
	assert_int_equal(entry_add_vals(e, "cn", huge, 2), -1);
	assert_int_equal(entry_add_vals(e, "sn", huge, 2), -1);
	expect_show(e, "unchanged", "cn=a");
	assert_null(entry_new_sized("cn=x", SIZE_MAX - 8));
	entry_free(e);
	e = entry_new_sized("cn=y", 4096);
	assert_non_null(e);
	assert_string_equal(e->dn, "cn=y");
	assert_int_equal(entry_add_vals(e, "cn", huge, 1), 0);
	expect_show(e, "sized", "cn=a");
	entry_free(e);
}

static void test_list(void **state)
{
	struct entry_list l = {NULL, 0, 0};
	char dn[32];
	size_t i;

	(void)state;
	/* Past the first allocation (256): every entry kept, in order. */
	for (i = 0; i < 600; i++) {
		snprintf(dn, sizeof(dn), "cn=e%zu", i);
		assert_int_equal(entry_list_push(&l, entry_new(dn)), 0);
	}
	assert_int_equal(l.n, 600);
	for (i = 0; i < 600; i += 97) {
		snprintf(dn, sizeof(dn), "cn=e%zu", i);
		if (strcmp(l.v[i]->dn, dn) != 0)
			fail_msg("entry %zu: got \"%s\", want \"%s\"", i, l.v[i]->dn, dn);
	}
	entry_list_free(&l);
	assert_int_equal(l.n, 0);
	assert_null(l.v);
	entry_list_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_list),        cmocka_unit_test(test_add_get),
	    cmocka_unit_test(test_null_dn),     cmocka_unit_test(test_scripts),
	    cmocka_unit_test(test_lookups),     cmocka_unit_test(test_name_table),
	    cmocka_unit_test(test_growth),      cmocka_unit_test(test_caller_frees_added_value),
	    cmocka_unit_test(test_dup_without), cmocka_unit_test(test_pack),
	    cmocka_unit_test(test_pack_many),   cmocka_unit_test(test_pack_buf),
	    cmocka_unit_test(test_names),       cmocka_unit_test(test_impossible_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
