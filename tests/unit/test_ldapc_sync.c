/* test_ldapc_sync.c - unit tests of the RFC 4533 codec, without a server.
 * Exact bytes slapd 2.5 sent, hand-built BER, round trips through liblber
 * (an encoder and decoder independent of ours), and malformed values. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lber.h>
#include <ldap.h>

#include "buf.h"
#include "ldapc_sync.h"

#define NV(a) (sizeof(a) / sizeof((a)[0]))

/* What slapd 2.5.13 sent in tests/it_sync.sh's scenarios. */
#define UUID13 "d1a00000000040008000000000000013"
#define COOKIE_HEX                                                                                 \
	"7269643d3030302c63736e3d32303236313230363233303730362e3832313736375a23303030303030233030" \
	"3023303030303030"
#define COOKIE_TXT "rid=000,csn=20261206230706.821767Z#000000#000#000000"

/* Decodes hex (whitespace ignored) into a new buffer; *len gets its size. */
static unsigned char *unhex(const char *hex, size_t *len)
{
	unsigned char *out = malloc(strlen(hex) / 2 + 1);
	size_t n = 0;
	unsigned x;

	assert_non_null(out);
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_int_equal(sscanf(hex, "%2x", &x), 1);
		out[n++] = (unsigned char)x;
		hex += 2;
	}
	*len = n;
	return out;
}

static void assert_hex(const void *p, size_t len, const char *want)
{
	size_t n;
	unsigned char *w = unhex(want, &n);

	if (n != len || memcmp(p, w, n) != 0) {
		char got[2048] = "";
		size_t i;

		for (i = 0; i < len && 2 * i + 2 < sizeof(got); i++)
			snprintf(got + 2 * i, 3, "%02x", ((const unsigned char *)p)[i]);
		free(w);
		fail_msg("got %s, want %s", got, want);
	}
	free(w);
}

/* Fails unless case i (hex) was refused (r -1) with "what: ...why...". */
static void want_refusal(size_t i, const char *hex, int r, const struct buf *err, const char *what,
                         const char *why)
{
	size_t n = strlen(what);

	if (r != -1 || strstr(buf_str(err), why) == NULL || strncmp(buf_str(err), what, n) != 0 ||
	    strncmp(buf_str(err) + n, ": ", 2) != 0)
		fail_msg("case %zu (%s): got %d \"%s\", want -1 \"%s: ...%s\"", i, hex, r,
		         buf_str(err), what, why);
}

/* Asserts a decoded cookie: none when want is NULL, else want's bytes. */
static void want_cookie(const unsigned char *cookie, size_t len, const char *want)
{
	if (want == NULL) {
		assert_null(cookie);
		return;
	}
	assert_non_null(cookie);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(cookie, want, len);
}

/* ---- syncRequestValue ---------------------------------------------- */

struct req_case {
	int persist;
	const char *cookie; /* NULL: none */
	size_t cookielen;
	int reload;
	const char *want;
};

static const struct req_case req_cases[] = {
    {0, NULL, 0, 0, "3003 0a0101"},
    {1, NULL, 0, 0, "3003 0a0103"},
    {1, "abc", 3, 0, "3008 0a0103 0403616263"},
    {0, "", 0, 0, "3005 0a0101 0400"},
    {0, NULL, 0, 1, "3006 0a0101 0101ff"},
    {1, "x", 1, 1, "3009 0a0103 040178 0101ff"},
    {1, "a\0b", 3, 0, "3008 0a0103 0403610062"},
};

static void test_request_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < NV(req_cases); i++) {
		const struct req_case *t = &req_cases[i];
		struct buf b = BUF_INIT;

		assert_int_equal(
		    ldapc_sync_request_encode(t->persist, t->cookie, t->cookielen, t->reload, &b),
		    0);
		assert_hex(b.s, b.len, t->want);
		buf_free(&b);
	}
}

/* Our encoding read back by liblber, cookies of every length form. */
static void test_request_round_trip(void **state)
{
	static const size_t lens[] = {1, 52, 127, 128, 255, 256, 1000, 70000};
	size_t i;

	(void)state;
	for (i = 0; i < NV(lens); i++) {
		char *cookie = malloc(lens[i]);
		struct buf b = BUF_INIT;
		struct berval in, got = {0, NULL};
		BerElement *ber;
		ber_int_t mode = 0, hint = 0;
		ber_len_t left = 1;
		size_t j;

		assert_non_null(cookie);
		for (j = 0; j < lens[i]; j++)
			cookie[j] = (char)(j * 7 + i);
		assert_int_equal(ldapc_sync_request_encode(1, cookie, lens[i], 1, &b), 0);
		in.bv_val = b.s;
		in.bv_len = b.len;
		ber = ber_init(&in);
		assert_non_null(ber);
		assert_int_not_equal(ber_scanf(ber, "{eob}", &mode, &got, &hint), LBER_ERROR);
		assert_int_equal(mode, LDAP_SYNC_REFRESH_AND_PERSIST);
		assert_int_not_equal(hint, 0); /* liblber reads 0xff as -1 */
		assert_int_equal(got.bv_len, lens[i]);
		assert_memory_equal(got.bv_val, cookie, lens[i]);
		assert_int_equal(ber_get_option(ber, LBER_OPT_BER_REMAINING_BYTES, &left),
		                 LBER_OPT_SUCCESS);
		assert_int_equal(left, 0);
		ber_memfree(got.bv_val);
		ber_free(ber, 1);
		buf_free(&b);
		free(cookie);
	}
}

/* ---- syncStateValue ------------------------------------------------ */

struct state_case {
	const char *hex;
	int state;          /* -1: must be rejected */
	const char *cookie; /* NULL: none */
	const char *why;    /* part of the message for a rejected value */
};

static const struct state_case state_cases[] = {
    /* slapd: an added entry in the refresh, a modified one with its cookie */
    {"3015 0a0101 0410" UUID13, LDAPC_SYNC_ADD, NULL, NULL},
    {"304b 0a0102 0410" UUID13 "0434" COOKIE_HEX, LDAPC_SYNC_MODIFY, COOKIE_TXT, NULL},
    {"3015 0a0100 0410" UUID13, LDAPC_SYNC_PRESENT, NULL, NULL},
    {"3015 0a0103 0410" UUID13, LDAPC_SYNC_DELETE, NULL, NULL},
    {"3017 0a0103 0410" UUID13 "0400", LDAPC_SYNC_DELETE, "", NULL},
    /* long-form lengths are BER too */
    {"308116 0a0101 048110" UUID13, LDAPC_SYNC_ADD, NULL, NULL},
    {"3082001a 0a0101 0410" UUID13 "048200017a", LDAPC_SYNC_ADD, "z", NULL},
    /* malformed */
    {"", -1, NULL, "an element is missing"},
    {"30", -1, NULL, "truncated"},
    {"3016 0a0101 0410" UUID13, -1, NULL, "truncated"},
    {"3114 0a0101 0410" UUID13, -1, NULL, "not a SEQUENCE"},
    {"3015 0a0101 0410" UUID13 "00", -1, NULL, "bytes after the value"},
    {"3015 0a0104 0410" UUID13, -1, NULL, "unknown state 4"},
    {"3015 0a01ff 0410" UUID13, -1, NULL, "unknown state 255"},
    {"3016 0a020001 0410" UUID13, -1, NULL, "not one byte long"},
    {"3014 0a00 0410" UUID13, -1, NULL, "not one byte long"},
    {"3015 020101 0410" UUID13, -1, NULL, "no ENUMERATED"},
    {"3014 0a0101 040f d1a000000000400080000000000000", -1, NULL, "15 bytes long"},
    {"3016 0a0101 0411" UUID13 "14", -1, NULL, "17 bytes long"},
    {"3003 0a0101", -1, NULL, "an element is missing"},
    {"3015 0a0101 0510" UUID13, -1, NULL, "no OCTET STRING"},
    {"3018 0a0101 0410" UUID13 "050100", -1, NULL, "an unexpected element"},
    {"301d 0a0101 0410" UUID13 "0401610401620000", -1, NULL, "an unexpected element"},
    {"3080 0a0101 0410" UUID13 "0000", -1, NULL, "indefinite length"},
    {"30850000000015 0a0101 0410" UUID13, -1, NULL, "more than 4 bytes"},
    {"3f15 0a0101 0410" UUID13, -1, NULL, "more than one byte"},
    {"3084ffffffff 0a0101", -1, NULL, "truncated"},
    {"3082", -1, NULL, "truncated"},
};

static void test_state_decode(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < NV(state_cases); i++) {
		const struct state_case *t = &state_cases[i];
		struct ldapc_sync_state_value v;
		struct buf err = BUF_INIT;
		unsigned char *p = unhex(t->hex, &len), *want;
		int r = ldapc_sync_state_decode(p, len, &v, &err);

		if (t->state < 0) {
			want_refusal(i, t->hex, r, &err, "syncStateValue", t->why);
		} else {
			if (r != 0)
				fail_msg("case %zu: got -1 \"%s\", want 0", i, buf_str(&err));
			assert_int_equal(err.len, 0);
			assert_int_equal(v.state, t->state);
			want_cookie(v.cookie, v.cookielen, t->cookie);
			/* Borrowed from the input, not copied. */
			if (v.cookie != NULL)
				assert_true(v.cookie >= p && v.cookie + v.cookielen <= p + len);
			want = unhex(UUID13, &len);
			assert_memory_equal(v.uuid, want, 16);
			free(want);
		}
		buf_free(&err);
		free(p);
	}
}

/* liblber encodes (as slapd does), we decode: every state, several cookies. */
static void test_state_round_trip(void **state)
{
	static const size_t lens[] = {0, 1, 127, 128, 4000};
	int st;
	size_t i;

	(void)state;
	for (st = 0; st < 4; st++)
		for (i = 0; i < NV(lens) + 1; i++) {
			BerElement *ber = ber_alloc_t(LBER_USE_DER);
			struct berval u, c, flat = {0, NULL};
			struct ldapc_sync_state_value v;
			struct buf err = BUF_INIT;
			unsigned char uuid[16];
			char *cookie = malloc(4000);
			size_t j;

			assert_non_null(ber);
			assert_non_null(cookie);
			for (j = 0; j < 16; j++)
				uuid[j] = (unsigned char)(st * 16 + j + i);
			for (j = 0; j < 4000; j++)
				cookie[j] = (char)('a' + (j + i) % 26);
			u.bv_val = (char *)uuid;
			u.bv_len = 16;
			c.bv_val = cookie;
			c.bv_len = i < NV(lens) ? lens[i] : 0;
			if (i < NV(lens))
				assert_true(ber_printf(ber, "{eOO}", (ber_int_t)st, &u, &c) >= 0);
			else
				assert_true(ber_printf(ber, "{eO}", (ber_int_t)st, &u) >= 0);
			assert_true(ber_flatten2(ber, &flat, 0) >= 0);
			assert_int_equal(
			    ldapc_sync_state_decode(flat.bv_val, flat.bv_len, &v, &err), 0);
			assert_int_equal(v.state, st);
			assert_memory_equal(v.uuid, uuid, 16);
			if (i < NV(lens)) {
				assert_non_null(v.cookie);
				assert_int_equal(v.cookielen, c.bv_len);
				assert_memory_equal(v.cookie, cookie, c.bv_len);
			} else {
				assert_null(v.cookie);
			}
			ber_free(ber, 1);
			buf_free(&err);
			free(cookie);
		}
}

/* ---- syncDoneValue ------------------------------------------------- */

struct done_case {
	const char *hex;
	int ok;
	const char *cookie;
	int deletes;
	const char *why;
};

static const struct done_case done_cases[] = {
    /* slapd: refreshOnly without a cookie ... */
    {"3039 0434" COOKIE_HEX "0101ff", 1, COOKIE_TXT, 1, NULL},
    /* ... with the current cookie (nothing changed) ... */
    {"3003 0101ff", 1, NULL, 1, NULL},
    /* ... after changes (present phase) ... */
    {"3036 0434" COOKIE_HEX, 1, COOKIE_TXT, 0, NULL},
    /* ... and with a cookie it cannot read */
    {"3005 0400 0101ff", 1, "", 1, NULL},
    {"3000", 1, NULL, 0, NULL},
    {"3003 010100", 1, NULL, 0, NULL},
    {"3003 010101", 1, NULL, 1, NULL},
    {"3005 040161 0100", -1, NULL, 0, "not one byte long"},
    {"3004 010200ff", -1, NULL, 0, "not one byte long"},
    {"3006 0101ff 040161", -1, NULL, 0, "an unexpected element"},
    {"3006 040161 040162", -1, NULL, 0, "an unexpected element"},
    {"3006 0101ff 0101ff", -1, NULL, 0, "an unexpected element"},
    {"3003 0101ff 00", -1, NULL, 0, "bytes after the value"},
    {"a003 0101ff", -1, NULL, 0, "not a SEQUENCE"},
    {"3004 0101ff", -1, NULL, 0, "truncated"},
    {"", -1, NULL, 0, "an element is missing"},
};

static void test_done_decode(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < NV(done_cases); i++) {
		const struct done_case *t = &done_cases[i];
		struct ldapc_sync_done_value v;
		struct buf err = BUF_INIT;
		unsigned char *p = unhex(t->hex, &len);
		int r = ldapc_sync_done_decode(p, len, &v, &err);

		if (t->ok < 0) {
			want_refusal(i, t->hex, r, &err, "syncDoneValue", t->why);
		} else {
			if (r != 0)
				fail_msg("case %zu: got -1 \"%s\", want 0", i, buf_str(&err));
			assert_int_equal(v.refresh_deletes, t->deletes);
			want_cookie(v.cookie, v.cookielen, t->cookie);
		}
		buf_free(&err);
		free(p);
	}
}

static void test_done_round_trip(void **state)
{
	int deletes, with_cookie;

	(void)state;
	for (deletes = 0; deletes < 2; deletes++)
		for (with_cookie = 0; with_cookie < 2; with_cookie++) {
			BerElement *ber = ber_alloc_t(LBER_USE_DER);
			struct berval c = {sizeof(COOKIE_TXT) - 1, dm_unconst(COOKIE_TXT)};
			struct berval flat = {0, NULL};
			struct ldapc_sync_done_value v;
			struct buf err = BUF_INIT;

			assert_non_null(ber);
			assert_true(ber_printf(ber, "{") >= 0);
			if (with_cookie)
				assert_true(ber_printf(ber, "O", &c) >= 0);
			if (deletes)
				assert_true(ber_printf(ber, "b", (ber_int_t)1) >= 0);
			assert_true(ber_printf(ber, "N}") >= 0);
			assert_true(ber_flatten2(ber, &flat, 0) >= 0);
			assert_int_equal(ldapc_sync_done_decode(flat.bv_val, flat.bv_len, &v, &err),
			                 0);
			assert_int_equal(v.refresh_deletes, deletes);
			if (with_cookie) {
				assert_int_equal(v.cookielen, c.bv_len);
				assert_memory_equal(v.cookie, COOKIE_TXT, c.bv_len);
			} else {
				assert_null(v.cookie);
			}
			ber_free(ber, 1);
			buf_free(&err);
		}
}

/* ---- syncInfoValue ------------------------------------------------- */

#define DELCOOKIE_HEX                                                                              \
	"7269643d3030302c63736e3d32303236313230363233313130312e3731363638345a23303030303030233030" \
	"30233030303030302c64656c63736e3d32303236313230363233313130352e3433323935345a233030303030" \
	"302330303023303030303030"

struct info_case {
	const char *hex;
	int kind; /* -1: must be rejected */
	const char *cookie;
	int done, deletes;
	size_t nuuids;
	const char *why;
};

static const struct info_case info_cases[] = {
    /* slapd: the deletions of a session log, then the end of the refresh */
    {"a37d 0464" DELCOOKIE_HEX "0101ff 3112 0410" UUID13, LDAPC_SYNC_INFO_ID_SET,
     "rid=000,csn=20261206231101.716684Z#000000#000#000000,delcsn=20261206231105.432954Z#000000#"
     "000#000000",
     1, 1, 1, NULL},
    {"a136 0434" COOKIE_HEX, LDAPC_SYNC_INFO_REFRESH_DELETE, COOKIE_TXT, 1, 0, 0, NULL},
    {"8003 616263", LDAPC_SYNC_INFO_NEW_COOKIE, "abc", 1, 0, 0, NULL},
    {"8000", LDAPC_SYNC_INFO_NEW_COOKIE, "", 1, 0, 0, NULL},
    {"a100", LDAPC_SYNC_INFO_REFRESH_DELETE, NULL, 1, 0, 0, NULL},
    {"a103 010100", LDAPC_SYNC_INFO_REFRESH_DELETE, NULL, 0, 0, 0, NULL},
    {"a200", LDAPC_SYNC_INFO_REFRESH_PRESENT, NULL, 1, 0, 0, NULL},
    {"a206 040178 0101ff", LDAPC_SYNC_INFO_REFRESH_PRESENT, "x", 1, 0, 0, NULL},
    {"a205 040178 0100", LDAPC_SYNC_INFO_REFRESH_PRESENT, NULL, 0, 0, 0, "not one byte long"},
    {"a302 3100", LDAPC_SYNC_INFO_ID_SET, NULL, 1, 0, 0, NULL},
    {"a326 3124 0410" UUID13 "0410" UUID13, LDAPC_SYNC_INFO_ID_SET, NULL, 1, 0, 2, NULL},
    {"a305 010100 3100", LDAPC_SYNC_INFO_ID_SET, NULL, 1, 0, 0, NULL},
    /* malformed */
    {"a300", -1, NULL, 0, 0, 0, "an element is missing"},
    {"a303 0101ff", -1, NULL, 0, 0, 0, "an element is missing"},
    {"a302 3000", -1, NULL, 0, 0, 0, "no SET"},
    {"a313 3111 040f d1a000000000400080000000000000", -1, NULL, 0, 0, 0, "not 16 bytes long"},
    {"a314 3112 0510" UUID13, -1, NULL, 0, 0, 0, "no OCTET STRING"},
    {"a315 3112 0410" UUID13 "00", -1, NULL, 0, 0, 0, "an unexpected element"},
    {"a316 3114 0410" UUID13 "0400", -1, NULL, 0, 0, 0, "not 16 bytes long"},
    {"a315 3113 0410" UUID13 "0a", -1, NULL, 0, 0, 0, "truncated"},
    {"a402 0101", -1, NULL, 0, 0, 0, "unknown choice (tag 0xa4)"},
    {"a000", -1, NULL, 0, 0, 0, "unknown choice (tag 0xa0)"},
    {"0400", -1, NULL, 0, 0, 0, "unknown choice (tag 0x04)"},
    {"8003 616263 00", -1, NULL, 0, 0, 0, "bytes after the value"},
    {"a106 040161 040162", -1, NULL, 0, 0, 0, "an unexpected element"},
    {"a102 3100", -1, NULL, 0, 0, 0, "an unexpected element"},
    {"8005 6162", -1, NULL, 0, 0, 0, "truncated"},
    {"", -1, NULL, 0, 0, 0, "an element is missing"},
};

static void test_info_decode(void **state)
{
	size_t i, len, j;

	(void)state;
	for (i = 0; i < NV(info_cases); i++) {
		const struct info_case *t = &info_cases[i];
		struct ldapc_sync_info_value v;
		struct buf err = BUF_INIT;
		unsigned char *p = unhex(t->hex, &len);
		int r = ldapc_sync_info_decode(p, len, &v, &err);

		if (t->why != NULL) {
			want_refusal(i, t->hex, r, &err, "syncInfoValue", t->why);
			assert_null(v.uuids);
		} else {
			if (r != 0)
				fail_msg("case %zu: got -1 \"%s\", want 0", i, buf_str(&err));
			assert_int_equal(v.kind, t->kind);
			want_cookie(v.cookie, v.cookielen, t->cookie);
			assert_int_equal(v.refresh_done, t->done);
			assert_int_equal(v.refresh_deletes, t->deletes);
			assert_int_equal(v.nuuids, t->nuuids);
			for (j = 0; j < v.nuuids; j++) {
				size_t n;
				unsigned char *u = unhex(UUID13, &n);

				assert_memory_equal(v.uuids[j], u, 16);
				free(u);
			}
			ldapc_sync_info_free(&v);
			assert_null(v.uuids);
		}
		buf_free(&err);
		free(p);
	}
	ldapc_sync_info_free(NULL);
}

/* A syncIdSet as slapd builds it with liblber, up to a few thousand uuids
 * (slapd sends them in sets of 100 or so). */
static void test_idset_round_trip(void **state)
{
	static const size_t counts[] = {0, 1, 2, 100, 3000};
	size_t i, j;

	(void)state;
	for (i = 0; i < NV(counts); i++) {
		size_t n = counts[i];
		BerElement *ber = ber_alloc_t(LBER_USE_DER);
		struct berval *set = calloc(n + 1, sizeof(*set)), flat = {0, NULL};
		unsigned char(*uuids)[16] = malloc((n + 1) * 16);
		struct berval c = {sizeof(COOKIE_TXT) - 1, dm_unconst(COOKIE_TXT)};
		struct ldapc_sync_info_value v;
		struct buf err = BUF_INIT;

		assert_non_null(ber);
		assert_non_null(set);
		assert_non_null(uuids);
		for (j = 0; j < n; j++) {
			memset(uuids[j], (int)(j & 0xff), 16);
			uuids[j][0] = (unsigned char)(j >> 8);
			set[j].bv_val = (char *)uuids[j];
			set[j].bv_len = 16;
		}
		assert_true(ber_printf(ber, "t{", (ber_tag_t)LDAP_TAG_SYNC_ID_SET) >= 0);
		if (i % 2)
			assert_true(ber_printf(ber, "O", &c) >= 0);
		if (i % 3 == 1)
			assert_true(ber_printf(ber, "b", (ber_int_t)1) >= 0);
		assert_true(ber_printf(ber, "[W]N}", set) >= 0);
		assert_true(ber_flatten2(ber, &flat, 0) >= 0);
		if (ldapc_sync_info_decode(flat.bv_val, flat.bv_len, &v, &err) != 0)
			fail_msg("%zu uuids: %s", n, buf_str(&err));
		assert_int_equal(v.kind, LDAPC_SYNC_INFO_ID_SET);
		assert_int_equal(v.refresh_deletes, i % 3 == 1);
		assert_int_equal(v.cookie != NULL, i % 2);
		assert_int_equal(v.nuuids, n);
		if (n > 0)
			assert_memory_equal(v.uuids, uuids, n * 16);
		ldapc_sync_info_free(&v);
		ber_free(ber, 1);
		buf_free(&err);
		free(uuids);
		free(set);
	}
}

/* The choices with sequences, through liblber. */
static void test_info_round_trip(void **state)
{
	static const ber_tag_t tags[] = {LDAP_TAG_SYNC_REFRESH_DELETE,
	                                 LDAP_TAG_SYNC_REFRESH_PRESENT};
	size_t i;
	int done;

	(void)state;
	for (i = 0; i < NV(tags); i++)
		for (done = 0; done < 2; done++) {
			BerElement *ber = ber_alloc_t(LBER_USE_DER);
			struct berval c = {sizeof(COOKIE_TXT) - 1, dm_unconst(COOKIE_TXT)};
			struct berval flat = {0, NULL};
			struct ldapc_sync_info_value v;
			struct buf err = BUF_INIT;

			assert_non_null(ber);
			assert_true(ber_printf(ber, "t{O", tags[i], &c) >= 0);
			if (!done)
				assert_true(ber_printf(ber, "b", (ber_int_t)0) >= 0);
			assert_true(ber_printf(ber, "N}") >= 0);
			assert_true(ber_flatten2(ber, &flat, 0) >= 0);
			assert_int_equal(ldapc_sync_info_decode(flat.bv_val, flat.bv_len, &v, &err),
			                 0);
			assert_int_equal(v.kind, i == 0 ? LDAPC_SYNC_INFO_REFRESH_DELETE
			                                : LDAPC_SYNC_INFO_REFRESH_PRESENT);
			assert_int_equal(v.refresh_done, done);
			assert_int_equal(v.cookielen, c.bv_len);
			assert_memory_equal(v.cookie, COOKIE_TXT, c.bv_len);
			ldapc_sync_info_free(&v);
			ber_free(ber, 1);
			buf_free(&err);
		}
}

/* Every prefix of a good value is refused, never read past. */
static void test_truncations(void **state)
{
	static const char *const good[] = {
	    "304b 0a0102 0410" UUID13 "0434" COOKIE_HEX,
	    "3039 0434" COOKIE_HEX "0101ff",
	    "a37d 0464" DELCOOKIE_HEX "0101ff 3112 0410" UUID13,
	};
	size_t i, len, cut;

	(void)state;
	for (i = 0; i < NV(good); i++) {
		unsigned char *p = unhex(good[i], &len);

		for (cut = 0; cut < len; cut++) {
			/* An exact-size copy, so a read past the end shows under ASan. */
			unsigned char *q = malloc(cut ? cut : 1);
			struct ldapc_sync_state_value sv;
			struct ldapc_sync_done_value dv;
			struct ldapc_sync_info_value iv;
			struct buf err = BUF_INIT;

			assert_non_null(q);
			memcpy(q, p, cut);
			assert_int_equal(ldapc_sync_state_decode(q, cut, &sv, &err), -1);
			assert_int_equal(ldapc_sync_done_decode(q, cut, &dv, &err), -1);
			assert_int_equal(ldapc_sync_info_decode(q, cut, &iv, &err), -1);
			assert_null(iv.uuids);
			buf_free(&err);
			free(q);
		}
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_encode),  cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_state_decode),    cmocka_unit_test(test_state_round_trip),
	    cmocka_unit_test(test_done_decode),     cmocka_unit_test(test_done_round_trip),
	    cmocka_unit_test(test_info_decode),     cmocka_unit_test(test_idset_round_trip),
	    cmocka_unit_test(test_info_round_trip), cmocka_unit_test(test_truncations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
