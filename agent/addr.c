/* addr.c - mail addresses: generation, validation and comparison keys.
 * Strings in, strings and reasons out (transliteration memoised behind one
 * lock). The template grammar is account_check_template's, so a valid
 * account always expands. */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uclean.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

#include "addr.h"
#include "hash.h"
#include "utf8.h"

#define ADDR_LOCAL_MAX 64
#define ADDR_LABEL_MAX 63
#define ADDR_DOMAIN_MAX 253
#define ADDR_MAX 256

/* Stands for a byte that starts no valid UTF-8 sequence. */
#define NOT_CHAR UINT32_MAX

/*
 * The transform from any script to ASCII, as ICU rules (CLDR's transforms
 * by name, run in order):
 * - letters and marks only: symbols, punctuation and digits stay as they
 *   are and the address filter drops them (Latin-ASCII would spell ® as
 *   "(R)", × as "x", ½ as "1/2");
 * - Cyrillic by the BGN/PCGN romanisations, as passports and English
 *   spell the names (Хрущёв → Khrushchev, Юрий → Yuriy): Any-Latin's ISO 9
 *   would reduce ж ш щ ч х to z s s c h once its accents are gone. The
 *   letters only Serbian, Macedonian or Ukrainian have get their own
 *   language's rules (љ → lj, ї → yi), the rest Russian's;
 * - Greek by UNGEGN (ELOT 743, as Greek passports spell it: Ελένη →
 *   Eleni, Ευάγγελος → Evangelos), where Any-Latin's classical scheme
 *   gives Elene and Euangelos;
 * - Any-Latin for every other script (Han as pinyin, Arabic, Hebrew, ...);
 * - de-ASCII: ä ö ü → ae oe ue, as Exchange does, also when written with
 *   a combining diaeresis; then Latin-ASCII drops every other accent.
 */
static const char translit_rules[] =
    /* the filter of every step */
    ":: [[:L:][:M:]] ;\n"
    ":: [ЂЈЉЊЋЏђјљњћџ] Serbian-Latin/BGN ;\n"
    ":: [ЃЅЌѓѕќ] Macedonian-Latin/BGN ;\n"
    ":: [ҐЄІЇґєії] Ukrainian-Latin/BGN ;\n"
    ":: [:Cyrillic:] Russian-Latin/BGN ;\n"
    ":: [:Greek:] Greek-Latin/UNGEGN ;\n"
    ":: Any-Latin ;\n"
    ":: de-ASCII ;\n"
    ":: Latin-ASCII ;\n";

/* Kra, which dirmail has always spelled k (Latin-ASCII says q). Mapped
 * before the transform: a conversion rule among the rules above would
 * stop ICU from applying the filtered transforms after it. */
#define KRA 0x0138

/* Most distinct names the cache holds; it starts again empty when full,
 * so a directory of any size costs a bounded amount of memory. */
#define CACHE_MAX 32768

/* One cached result: the input's bytes, then the output's, in one block. */
struct tl_hit {
	uint64_t h;
	size_t inlen, outlen;
	char *mem; /* NULL: a free slot */
};

/*
 * The transliterator and its cache. Opening the transform costs
 * milliseconds and a name repeats on every pass, so both live as long as
 * the process and are shared by whoever transliterates, under one lock:
 * the cache needs it, and it keeps the transliterator to one thread at a
 * time without relying on ICU's own locking (the policy runs in one
 * thread, so it is never contended). The results are a function of the
 * input alone: callers see a pure function.
 */
static struct {
	pthread_mutex_t lock;
	UTransliterator *t;
	int broken; /* opening failed: later calls fail at once */
	struct tl_hit *slots;
	size_t nslots, n;
} tl = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Sets b's length back to len, dropping what was appended since. */
static void truncate_to(struct buf *b, size_t len)
{
	b->len = len;
	if (b->s)
		b->s[len] = '\0';
}

static int is_lower_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int is_local_char(unsigned char c)
{
	return is_lower_alnum(ascii_lower(c)) || c == '.' || c == '-' || c == '_';
}

/* Decodes the character at s (n > 0 bytes available) into *cp and returns
 * its length; a byte that starts no valid sequence gives 1 and NOT_CHAR,
 * so the caller drops bytes one at a time and resynchronises. */
static size_t next_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = utf8_decode(s, n, cp);

	if (len > 0)
		return len;
	*cp = NOT_CHAR;
	return 1;
}

/* Appends c lowercased when a local part may hold it; -1 on out of memory. */
static int put_local_char(struct buf *out, uint32_t c)
{
	char ch;

	if (c >= 0x80 || !is_local_char((unsigned char)c))
		return 0;
	ch = (char)ascii_lower((unsigned char)c);
	return buf_add(out, &ch, 1);
}

static int is_ascii(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * The Latin letters of European names, spelled as the ICU transform above
 * spells them (test_addr checks every entry against it): names written in
 * them alone never open ICU, whose libraries, data and compiled rules
 * cost about 8 MB of a process that otherwise needs 20. U+00C0..U+017F;
 * "" drops the character (x and division signs, as the address filter
 * would).
 */
static const char *const latin[] = {
    /* U+00C0 */ "a", "a", "a",  "a",  "ae", "a", "ae", "c",
    /* U+00C8 */ "e", "e", "e",  "e",  "i",  "i", "i",  "i",
    /* U+00D0 */ "d", "n", "o",  "o",  "o",  "o", "oe", "",
    /* U+00D8 */ "o", "u", "u",  "u",  "ue", "y", "th", "ss",
    /* U+00E0 */ "a", "a", "a",  "a",  "ae", "a", "ae", "c",
    /* U+00E8 */ "e", "e", "e",  "e",  "i",  "i", "i",  "i",
    /* U+00F0 */ "d", "n", "o",  "o",  "o",  "o", "oe", "",
    /* U+00F8 */ "o", "u", "u",  "u",  "ue", "y", "th", "y",
    /* U+0100 */ "a", "a", "a",  "a",  "a",  "a", "c",  "c",
    /* U+0108 */ "c", "c", "c",  "c",  "c",  "c", "d",  "d",
    /* U+0110 */ "d", "d", "e",  "e",  "e",  "e", "e",  "e",
    /* U+0118 */ "e", "e", "e",  "e",  "g",  "g", "g",  "g",
    /* U+0120 */ "g", "g", "g",  "g",  "h",  "h", "h",  "h",
    /* U+0128 */ "i", "i", "i",  "i",  "i",  "i", "i",  "i",
    /* U+0130 */ "i", "i", "ij", "ij", "j",  "j", "k",  "k",
    /* U+0138 */ "k", "l", "l",  "l",  "l",  "l", "l",  "l",
    /* U+0140 */ "l", "l", "l",  "n",  "n",  "n", "n",  "n",
    /* U+0148 */ "n", "n", "n",  "n",  "o",  "o", "o",  "o",
    /* U+0150 */ "o", "o", "oe", "oe", "r",  "r", "r",  "r",
    /* U+0158 */ "r", "r", "s",  "s",  "s",  "s", "s",  "s",
    /* U+0160 */ "s", "s", "t",  "t",  "t",  "t", "t",  "t",
    /* U+0168 */ "u", "u", "u",  "u",  "u",  "u", "u",  "u",
    /* U+0170 */ "u", "u", "u",  "u",  "w",  "w", "y",  "y",
    /* U+0178 */ "y", "z", "z",  "z",  "z",  "z", "z",  "s",
};
_Static_assert(sizeof(latin) / sizeof(latin[0]) == 0x180 - 0xc0, "latin covers U+00C0..U+017F");

/* Appends s through the table alone: 1 when it could (every character
 * ASCII or in the table), 0 when ICU must (out unchanged), -1 out of
 * memory. */
static int latin_fast(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = out->len;
	uint32_t cp;

	for (i = 0; i < len;) {
		i += next_char(p + i, len - i, &cp);
		if (cp < 0x80) {
			if (put_local_char(out, cp) < 0)
				goto oom;
		} else if (cp >= 0xc0 && cp < 0x180) {
			if (buf_puts(out, latin[cp - 0xc0]) < 0)
				goto oom;
		} else {
			truncate_to(out, start);
			return 0;
		}
	}
	return 1;
oom:
	truncate_to(out, start);
	return -1;
}

/* Frees the transliterator, the cache and ICU's own caches, so that a leak
 * checker sees nothing left at exit. Registered with atexit on first use. */
static void tl_close(void)
{
	size_t i;

	pthread_mutex_lock(&tl.lock);
	for (i = 0; i < tl.nslots; i++)
		free(tl.slots[i].mem);
	free(tl.slots);
	tl.slots = NULL;
	tl.nslots = tl.n = 0;
	if (tl.t != NULL) {
		utrans_close(tl.t);
		tl.t = NULL;
		u_cleanup();
	}
	pthread_mutex_unlock(&tl.lock);
}

/* Opens the transliterator unless it is open; -1 when ICU cannot. Under
 * the lock. */
static int tl_open(void)
{
	static const UChar id[] = {'d', 'i', 'r', 'm', 'a', 'i', 'l', '-', 'A', 'S', 'C', 'I', 'I'};
	UChar rules[sizeof(translit_rules)];
	UErrorCode st = U_ZERO_ERROR;
	UParseError pe;
	int32_t n;

	if (tl.t != NULL)
		return 0;
	if (tl.broken)
		return -1;
	u_strFromUTF8(rules, (int32_t)(sizeof(rules) / sizeof(rules[0])), &n, translit_rules, -1,
	              &st);
	if (U_SUCCESS(st))
		tl.t = utrans_openU(id, (int32_t)(sizeof(id) / sizeof(id[0])), UTRANS_FORWARD,
		                    rules, n, &pe, &st);
	if (U_FAILURE(st) || tl.t == NULL) {
		if (tl.t != NULL)
			utrans_close(tl.t);
		tl.t = NULL;
		tl.broken = 1;
		return -1;
	}
	atexit(tl_close);
	return 0;
}

/* Appends s (len bytes of UTF-8, invalid bytes dropped) as ICU's
 * transform spells it, filtered; -1 when memory runs out or ICU fails.
 * Under the lock. */
static int tl_transform(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	UChar *src = NULL, *u = NULL;
	int32_t srclen = 0, n = 0, cap, limit, k;
	UErrorCode st = U_BUFFER_OVERFLOW_ERROR;
	size_t i = 0;
	uint32_t cp;
	int rc = -1;

	if (tl_open() < 0 || len > INT32_MAX / 16)
		return -1;
	src = malloc((len + 1) * sizeof(*src));
	if (src == NULL)
		return -1;
	while (i < len) {
		i += next_char(p + i, len - i, &cp);
		if (cp == NOT_CHAR)
			continue;
		if (cp == KRA)
			cp = 'k';
		if (cp >= 0x10000) {
			src[srclen++] = (UChar)(0xd7c0 + (cp >> 10));
			src[srclen++] = (UChar)(0xdc00 | (cp & 0x3ff));
		} else {
			src[srclen++] = (UChar)cp;
		}
	}
	/* Room for the longest spelling a character gets (a Han syllable
	 * with its space, "zhuang "); ICU says when it needs more, having
	 * changed the text in part, so each try starts from src again. */
	for (cap = srclen * 8 + 16; st == U_BUFFER_OVERFLOW_ERROR; cap = n + 16) {
		UChar *grown = realloc(u, (size_t)cap * sizeof(*u));

		if (grown == NULL)
			goto done;
		u = grown;
		if (cap < srclen)
			goto done;
		memcpy(u, src, (size_t)srclen * sizeof(*u));
		n = srclen;
		limit = srclen;
		st = U_ZERO_ERROR;
		utrans_transUChars(tl.t, u, &n, cap, 0, &limit, &st);
		if (st == U_STRING_NOT_TERMINATED_WARNING)
			st = U_ZERO_ERROR;
		if (st == U_BUFFER_OVERFLOW_ERROR && n > INT32_MAX / 4)
			goto done;
	}
	if (U_FAILURE(st))
		goto done;
	for (k = 0; k < n; k++)
		if (put_local_char(out, u[k]) < 0)
			goto done;
	rc = 0;
done:
	free(src);
	free(u);
	return rc;
}

/* The slot of s in the cache: where it is, else the free one to put it
 * in; NULL when the cache has no table yet. Under the lock. */
static struct tl_hit *tl_slot(uint64_t h, const char *s, size_t len)
{
	size_t i, mask = tl.nslots - 1;

	if (tl.nslots == 0)
		return NULL;
	for (i = hash_slot(h) & mask;; i = (i + 1) & mask) {
		struct tl_hit *x = &tl.slots[i];

		if (x->mem == NULL || (x->h == h && x->inlen == len && memcmp(x->mem, s, len) == 0))
			return x;
	}
}

/* Empties the cache, or grows its table, so that one more name fits
 * (at most three quarters of the slots in use); -1 on out of memory.
 * Under the lock. */
static int tl_make_room(void)
{
	struct tl_hit *old = tl.slots, *grown;
	size_t i, n = tl.nslots, want;

	if (tl.n >= CACHE_MAX) {
		for (i = 0; i < n; i++) {
			free(old[i].mem);
			old[i].mem = NULL;
		}
		tl.n = 0;
		return 0;
	}
	if ((tl.n + 1) * 4 <= n * 3)
		return 0;
	want = n ? n * 2 : 256;
	grown = calloc(want, sizeof(*grown));
	if (grown == NULL)
		return -1;
	tl.slots = grown;
	tl.nslots = want;
	for (i = 0; i < n; i++)
		if (old[i].mem != NULL)
			*tl_slot(old[i].h, old[i].mem, old[i].inlen) = old[i];
	free(old);
	return 0;
}

int addr_translit(struct buf *out, const char *s, size_t len)
{
	size_t start = out->len;
	int rc;

	/* ASCII needs no transform: every step of it leaves ASCII as it is;
	 * Latin letters of European names have their table. */
	if (is_ascii(s, len)) {
		size_t i;

		for (i = 0; i < len; i++)
			if (put_local_char(out, (unsigned char)s[i]) < 0)
				goto fail;
		return 0;
	}
	rc = latin_fast(out, s, len);
	if (rc != 0)
		return rc > 0 ? 0 : -1;
	return addr_translit_icu(out, s, len);
fail:
	truncate_to(out, start);
	return -1;
}

/* addr_translit through ICU's transform, whatever the script (the cache
 * first); test_addr checks the table above against it. */
int addr_translit_icu(struct buf *out, const char *s, size_t len)
{
	uint64_t h;
	struct tl_hit *x;
	size_t start = out->len;
	int rc = -1;

	h = hash_bytes(s, len);
	pthread_mutex_lock(&tl.lock);
	x = tl_slot(h, s, len);
	if (x != NULL && x->mem != NULL) {
		rc = buf_add(out, x->mem + x->inlen, x->outlen);
		goto done;
	}
	if (tl_transform(out, s, len) < 0 || tl_make_room() < 0)
		goto done;
	rc = 0;
	x = tl_slot(h, s, len);
	x->mem = malloc(len + (out->len - start) + 1);
	if (x->mem == NULL)
		goto done; /* Not cached; the result stands. */
	memcpy(x->mem, s, len);
	memcpy(x->mem + len, buf_str(out) + start, out->len - start);
	x->h = h;
	x->inlen = len;
	x->outlen = out->len - start;
	tl.n++;
done:
	pthread_mutex_unlock(&tl.lock);
	if (rc == 0)
		return 0;
	truncate_to(out, start);
	return -1;
}

/* ---- templates ---------------------------------------------------------- */

enum tok_kind { TOK_END, TOK_LITERAL, TOK_PERCENT, TOK_NAME };

struct tok {
	enum tok_kind kind;
	const char *text; /* the token as written in the template */
	size_t len;
	char name;      /* TOK_NAME: 'g', 's', 'i' or 'm' */
	unsigned first; /* TOK_NAME: 1..9 for %Ng / %Ns, 0 for the whole name */
};

/* Reads the token at *pp into t and advances *pp past it; returns -1 with
 * a "bad template: ..." reason in why when the template is malformed. */
static int next_tok(const char **pp, const char *tmpl, struct tok *t, struct buf *why)
{
	const char *p = *pp;
	uint32_t cp;

	memset(t, 0, sizeof(*t));
	t->text = p;
	if (*p == '\0') {
		t->kind = TOK_END;
	} else if (*p != '%') {
		t->kind = TOK_LITERAL;
		while (*p != '\0' && *p != '%')
			p++;
	} else if (p[1] == '\0') {
		(void)!buf_printf(why, "bad template: '%s': lone '%%' at the end", tmpl);
		return -1;
	} else if (p[1] == '%') {
		t->kind = TOK_PERCENT;
		p += 2;
	} else if (p[1] >= '1' && p[1] <= '9') {
		if (p[2] != 'g' && p[2] != 's') {
			(void)!buf_printf(why, "bad template: '%s': %%N must be followed by g or s",
			                  tmpl);
			return -1;
		}
		t->kind = TOK_NAME;
		t->first = (unsigned)(p[1] - '0');
		t->name = p[2];
		p += 3;
	} else if (p[1] == 'g' || p[1] == 's' || p[1] == 'i' || p[1] == 'm') {
		t->kind = TOK_NAME;
		t->name = p[1];
		p += 2;
	} else {
		/* Quote a whole UTF-8 character, not the first byte of one. */
		size_t n = next_char((const unsigned char *)p + 1, strlen(p + 1), &cp);

		(void)!buf_printf(why, "bad template: '%s': unknown token '%%%.*s'", tmpl, (int)n,
		                  p + 1);
		return -1;
	}
	t->len = (size_t)(p - t->text);
	*pp = p;
	return 0;
}

/* Appends the transliterated name token t stands for to lp; 1 with the
 * reason in why when the object lacks the name or nothing of it is left,
 * -1 when memory runs out. */
static int add_name(struct buf *lp, const struct tok *t, const struct addr_names *n,
                    struct buf *why)
{
	struct buf tmp = BUF_INIT;
	const char *v = NULL, *attr = "";
	size_t take;
	int rc = -1;

	switch (t->name) {
	case 'g':
		v = n ? n->given : NULL;
		attr = "givenName";
		break;
	case 's':
		v = n ? n->sn : NULL;
		attr = "sn";
		break;
	case 'i':
		v = n ? n->initials : NULL;
		attr = "initials";
		break;
	case 'm':
		v = n ? n->nick : NULL;
		attr = "mailNickname";
		break;
	}
	if (v == NULL || *v == '\0') {
		(void)!buf_printf(why, "no %s for %.*s", attr, (int)t->len, t->text);
		rc = 1;
		goto done;
	}
	if (addr_translit(&tmp, v, strlen(v)) < 0)
		goto done;
	if (tmp.len == 0) {
		(void)!buf_printf(why, "%s has no usable characters for %.*s", attr, (int)t->len,
		                  t->text);
		rc = 1;
		goto done;
	}
	take = (t->first > 0 && t->first < tmp.len) ? t->first : tmp.len;
	if (buf_add(lp, tmp.s, take) < 0)
		goto done;
	rc = 0;
done:
	buf_free(&tmp);
	return rc;
}

int addr_expand(struct buf *out, const char *tmpl, const struct addr_names *n, struct buf *why)
{
	struct buf lp = BUF_INIT;
	const char *p;
	struct tok t;
	int rc = -1, oom = 0, named = 0, percent = 0;

	if (*tmpl == '\0') {
		(void)!buf_puts(why, "bad template: empty");
		goto done;
	}
	/* A malformed template is the account's fault whatever names this
	 * object has, so it is reported before any missing name. */
	p = tmpl;
	do {
		if (next_tok(&p, tmpl, &t, why) < 0)
			goto done;
	} while (t.kind != TOK_END);

	p = tmpl;
	for (;;) {
		if (next_tok(&p, tmpl, &t, why) < 0)
			goto done;
		if (t.kind == TOK_END)
			break;
		if (t.kind == TOK_LITERAL) {
			oom = addr_translit(&lp, t.text, t.len) < 0;
		} else if (t.kind == TOK_PERCENT) {
			/* Kept as written so that the check below refuses it,
			 * rather than a silently different address going out. */
			oom = buf_puts(&lp, "%") < 0;
			percent = 1;
		} else {
			named = 1;
			rc = add_name(&lp, &t, n, why);
			oom = rc < 0;
			if (rc != 0)
				goto done;
			rc = -1;
		}
		if (oom)
			goto done;
	}
	if (addr_check_local(buf_str(&lp), lp.len, why) < 0) {
		/* With a name in it (and no '%', which no name can mend),
		 * it is this object's names that do not fit. */
		rc = named && !percent ? 1 : -1;
		goto done;
	}
	if (buf_add(out, buf_str(&lp), lp.len) < 0) {
		oom = 1;
		goto done;
	}
	rc = 0;
done:
	if (oom)
		(void)!buf_puts(why, "out of memory");
	buf_free(&lp);
	return rc;
}

/* ---- checks ------------------------------------------------------------- */

/* Appends why a byte that is neither letter nor digit is out of place. */
static int bad_byte(struct buf *why, unsigned char c, const char *where)
{
	if (c >= 0x80)
		(void)!buf_printf(why, "non-ASCII characters are not allowed in a %s", where);
	else if (c < 0x20 || c == 0x7f)
		(void)!buf_printf(why, "control characters are not allowed in a %s", where);
	else
		(void)!buf_printf(why, "'%c' is not allowed in a %s", c, where);
	return -1;
}

int addr_check_local(const char *local, size_t len, struct buf *why)
{
	size_t i;

	if (len == 0) {
		(void)!buf_puts(why, "empty local part");
		return -1;
	}
	if (len > ADDR_LOCAL_MAX) {
		(void)!buf_printf(why, "local part has %zu bytes, more than %d", len,
		                  ADDR_LOCAL_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!is_local_char((unsigned char)local[i]))
			return bad_byte(why, (unsigned char)local[i], "local part");
	if (local[0] == '.') {
		(void)!buf_puts(why, "local part starts with '.'");
		return -1;
	}
	if (local[len - 1] == '.') {
		(void)!buf_puts(why, "local part ends with '.'");
		return -1;
	}
	for (i = 1; i < len; i++) {
		if (local[i] == '.' && local[i - 1] == '.') {
			(void)!buf_puts(why, "local part contains '..'");
			return -1;
		}
	}
	return 0;
}

/* Checks the domain after the '@'; 0, or -1 with the reason in why. */
static int check_domain(const char *d, struct buf *why)
{
	size_t total = strlen(d), label = 0;
	const char *p;

	if (total == 0) {
		(void)!buf_puts(why, "empty domain");
		return -1;
	}
	if (total > ADDR_DOMAIN_MAX) {
		(void)!buf_printf(why, "domain has %zu bytes, more than %d", total,
		                  ADDR_DOMAIN_MAX);
		return -1;
	}
	for (p = d;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == '\0') {
			if (label == 0) {
				(void)!buf_puts(why, "domain has an empty label");
				return -1;
			}
			if (label > ADDR_LABEL_MAX) {
				(void)!buf_printf(why, "domain label has %zu bytes, more than %d",
				                  label, ADDR_LABEL_MAX);
				return -1;
			}
			if (p[-1] == '-') {
				(void)!buf_puts(why, "domain label ends with '-'");
				return -1;
			}
			if (c == '\0')
				return 0;
			label = 0;
			continue;
		}
		if (c == '-' && label == 0) {
			(void)!buf_puts(why, "domain label starts with '-'");
			return -1;
		}
		if (!is_lower_alnum(ascii_lower(c)) && c != '-')
			return bad_byte(why, c, "domain");
		label++;
	}
}

int addr_check(const char *addr, struct buf *why)
{
	const char *at = strchr(addr, '@');
	size_t total;

	if (at == NULL) {
		(void)!buf_puts(why, "no '@' in address");
		return -1;
	}
	if (strchr(at + 1, '@') != NULL) {
		(void)!buf_puts(why, "more than one '@' in address");
		return -1;
	}
	if (addr_check_local(addr, (size_t)(at - addr), why) < 0 || check_domain(at + 1, why) < 0)
		return -1;
	total = strlen(addr);
	if (total > ADDR_MAX) {
		(void)!buf_printf(why, "address has %zu bytes, more than %d", total, ADDR_MAX);
		return -1;
	}
	return 0;
}

/* ---- keys, suffixes, logins --------------------------------------------- */

int addr_key(struct buf *out, const char *addr, size_t len)
{
	size_t i, start = out->len;

	if (buf_add(out, addr, len) < 0)
		return -1;
	for (i = start; i < out->len; i++)
		out->s[i] = (char)ascii_lower((unsigned char)out->s[i]);
	return 0;
}

int addr_with_suffix(struct buf *out, const char *addr, unsigned n)
{
	const char *at = strchr(addr, '@');
	size_t local = at ? (size_t)(at - addr) : strlen(addr), digits = 1;
	unsigned m;

	if (n < 2)
		return -1;
	for (m = n; m >= 10; m /= 10)
		digits++;
	if (local + digits > ADDR_LOCAL_MAX)
		return -1;
	/* One call, so a failure leaves out as it was. */
	return buf_printf(out, "%.*s%u%s", (int)local, addr, n, at ? at : "");
}

/* A lowercased copy of len bytes of s, or NULL when memory runs out. */
static char *lower_dup(const char *s, size_t len)
{
	char *d = malloc(len + 1);
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		d[i] = (char)ascii_lower((unsigned char)s[i]);
	d[len] = '\0';
	return d;
}

int addr_login_split(const char *login, char **user, char **domain)
{
	const char *sep;

	*user = NULL;
	*domain = NULL;
	if (login == NULL)
		return -1;
	sep = strchr(login, '@');
	if (sep == NULL)
		sep = strrchr(login, '+');
	if (sep == NULL || sep == login || sep[1] == '\0')
		return -1;
	*user = lower_dup(login, (size_t)(sep - login));
	*domain = lower_dup(sep + 1, strlen(sep + 1));
	if (*user == NULL || *domain == NULL) {
		free(*user);
		free(*domain);
		*user = NULL;
		*domain = NULL;
		return -1;
	}
	return 0;
}
