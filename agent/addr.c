/* addr.c - mail addresses: generation, validation and comparison keys.
 * Pure: strings in, strings and reasons out. The template grammar is the
 * one account_check_template accepts, so a valid account always expands. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "utf8.h"

#define ADDR_LOCAL_MAX 64
#define ADDR_LABEL_MAX 63
#define ADDR_DOMAIN_MAX 253
#define ADDR_MAX 256

/* Stands for a byte that starts no valid UTF-8 sequence. */
#define NOT_CHAR UINT32_MAX

/* The ASCII spelling of U+00C0..U+017F (Latin-1 Supplement letters and
 * Latin Extended-A); "" drops the character (× and ÷). Only ä ö ü take an
 * 'e', as in German and in Exchange; every other accent just goes. */
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

/* Letters outside those blocks that turn up in European names: Romanian
 * comma-below s and t (often typed instead of the cedilla forms) and the
 * capital sharp s. */
static const struct {
	uint32_t cp;
	const char *ascii;
} extra[] = {
    {0x0218, "s"}, {0x0219, "s"}, {0x021a, "t"}, {0x021b, "t"}, {0x1e9e, "ss"},
};

#define COMBINING_DIAERESIS 0x0308

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

/* The ASCII for code point cp ("" to drop it); prev is the code point
 * before it, so that a decomposed u + U+0308 gives "ue" like ü does.
 * ascii is scratch space for single ASCII characters. */
static const char *translit_cp(uint32_t cp, uint32_t prev, char ascii[2])
{
	size_t i;

	if (cp < 0x80) {
		if (!is_local_char((unsigned char)cp))
			return "";
		ascii[0] = (char)ascii_lower((unsigned char)cp);
		ascii[1] = '\0';
		return ascii;
	}
	if (cp >= 0xc0 && cp < 0x180)
		return latin[cp - 0xc0];
	if (cp == COMBINING_DIAERESIS) {
		prev = ascii_lower((unsigned char)(prev < 0x80 ? prev : 0));
		return (prev == 'a' || prev == 'o' || prev == 'u') ? "e" : "";
	}
	for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		if (extra[i].cp == cp)
			return extra[i].ascii;
	return "";
}

int addr_translit(struct buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = out->len;
	uint32_t cp, prev = NOT_CHAR;
	char ascii[2];
	int rc = -1;

	while (i < len) {
		const char *t;

		i += next_char(p + i, len - i, &cp);
		t = translit_cp(cp, prev, ascii);
		prev = cp;
		if (*t != '\0' && buf_puts(out, t) < 0)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0)
		truncate_to(out, start);
	return rc;
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

/* Appends the transliterated name token t stands for to lp; -1 with the
 * reason in why when the object lacks the name or nothing of it is left. */
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
		goto done;
	}
	if (addr_translit(&tmp, v, strlen(v)) < 0) {
		(void)!buf_puts(why, "out of memory");
		goto done;
	}
	if (tmp.len == 0) {
		(void)!buf_printf(why, "%s has no usable characters for %.*s", attr, (int)t->len,
		                  t->text);
		goto done;
	}
	take = (t->first > 0 && t->first < tmp.len) ? t->first : tmp.len;
	if (buf_add(lp, tmp.s, take) < 0) {
		(void)!buf_puts(why, "out of memory");
		goto done;
	}
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
	int rc = -1, oom = 0;

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
		if (t.kind == TOK_LITERAL)
			oom = addr_translit(&lp, t.text, t.len) < 0;
		else if (t.kind == TOK_PERCENT)
			/* Kept as written so that the check below refuses it,
			 * rather than a silently different address going out. */
			oom = buf_puts(&lp, "%") < 0;
		else if (add_name(&lp, &t, n, why) < 0)
			goto done;
		if (oom)
			goto done;
	}
	if (addr_check_local(buf_str(&lp), lp.len, why) < 0)
		goto done;
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
