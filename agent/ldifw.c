/* ldifw.c - writing RFC 2849 LDIF.
 * Every name/value line comes from libldap's ldif_put_wrap, which alone
 * decides on base64 and folding; this module frames records and drops secrets. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <lber.h>
#include <ldif.h>

#include "ldifw.h"
#include "utf8.h"

/* libldap's default (LDIF_LINE_WIDTH) is 78; 76 keeps every line within
 * the width RFC 2849 files are traditionally folded at. */
#define LDIFW_WRAP 76

/* Password hashes and keys: never journaled, planned or exported. */
static const char *const secrets[] = {
    "userPassword",    "2.5.4.35",                                 /* userPassword */
    "authPassword",    "unicodePwd",      "1.2.840.113556.1.4.90", /* unicodePwd */
    "dBCSPwd",         "ntPwdHistory",    "lmPwdHistory",          "supplementalCredentials",
    "sambaNTPassword", "sambaLMPassword", "sambaPasswordHistory",  "pwdHistory",
    "krbPrincipalKey",
};

int ldifw_is_secret(const char *attr)
{
	static size_t len[sizeof(secrets) / sizeof(secrets[0])];
	size_t n, i;

	if (attr == NULL)
		return 0;
	if (len[0] == 0) /* every thread computes the same lengths */
		for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
			len[i] = strlen(secrets[i]);
	n = strcspn(attr, ";");
	/* Checked for every attribute packed: compare what is cheap first. */
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (len[i] == n && ((attr[0] ^ secrets[i][0]) & ~0x20) == 0 &&
		    strncasecmp(attr, secrets[i], n) == 0)
			return 1;
	return 0;
}

/* RFC 2849 AttributeDescription: a type (name or OID) and ";option"s, so a
 * name can never smuggle a ':' or a line break into the output. */
static int valid_attr(const char *a)
{
	const char *p;
	int start = 1;

	if (a == NULL || *a == '\0')
		return 0;
	for (p = a; *p; p++) {
		unsigned char c = (unsigned char)*p;
		int alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (start && !alnum)
			return 0;
		start = 0;
		if (c == ';')
			start = 1;
		else if (!alnum && c != '-' && c != '.')
			return 0;
	}
	return !start;
}

static int put(struct buf *out, int type, const char *name, const char *val, size_t len)
{
	char *line;
	int rc;

	line = ldif_put_wrap(type, name, val, (ber_len_t)len, LDIFW_WRAP);
	if (line == NULL)
		return -1;
	rc = buf_puts(out, line);
	ber_memfree(line);
	return rc;
}

static int put_str(struct buf *out, const char *name, const char *val)
{
	return put(out, LDIF_PUT_VALUE, name, val, strlen(val));
}

static int put_head(struct buf *out, const char *dn, const char *changetype)
{
	if (dn == NULL)
		return -1;
	if (put_str(out, "dn", dn) < 0)
		return -1;
	if (changetype != NULL && put_str(out, "changetype", changetype) < 0)
		return -1;
	return 0;
}

static int put_sep(struct buf *out)
{
	return put(out, LDIF_PUT_SEP, NULL, NULL, 0);
}

/* Drops whatever a failed call appended, so callers never see half a record. */
static int undo(struct buf *out, size_t len)
{
	out->len = len;
	if (out->s != NULL)
		out->s[len] = '\0';
	return -1;
}

int ldifw_version(struct buf *out)
{
	size_t len = out->len;

	if (put_str(out, "version", "1") < 0 || put_sep(out) < 0)
		return undo(out, len);
	return 0;
}

static int put_mod(struct buf *out, const struct entry_mod *m)
{
	static const char *const ops[] = {"add", "delete", "replace"};
	size_t i;

	if (m->op != ENTRY_MOD_ADD && m->op != ENTRY_MOD_DELETE && m->op != ENTRY_MOD_REPLACE)
		return -1;
	if (!valid_attr(m->attr) || (m->nvals > 0 && m->vals == NULL))
		return -1;
	if (m->op == ENTRY_MOD_ADD && m->nvals == 0)
		return -1;
	if (put_str(out, ops[m->op], m->attr) < 0)
		return -1;
	for (i = 0; i < m->nvals; i++)
		if (put(out, LDIF_PUT_VALUE, m->attr, m->vals[i].val, m->vals[i].len) < 0)
			return -1;
	return buf_puts(out, "-\n");
}

int ldifw_modify(struct buf *out, const char *dn, const struct entry_mod *mods, size_t nmods)
{
	size_t len = out->len, i, nwritten = 0;

	if (nmods == 0 || mods == NULL || put_head(out, dn, "modify") < 0)
		return undo(out, len);
	for (i = 0; i < nmods; i++) {
		if (mods[i].attr != NULL && ldifw_is_secret(mods[i].attr))
			continue;
		if (put_mod(out, &mods[i]) < 0)
			return undo(out, len);
		nwritten++;
	}
	/* An empty modify would only confuse a replay. */
	if (nwritten == 0) {
		undo(out, len);
		return 0;
	}
	if (put_sep(out) < 0)
		return undo(out, len);
	return 0;
}

static int put_attrs(struct buf *out, const struct entry *e)
{
	size_t i, k;

	for (i = 0; i < e->nattrs; i++) {
		const struct entry_attr *a = &e->attrs[i];

		if (!valid_attr(a->name))
			return -1;
		if (ldifw_is_secret(a->name))
			continue;
		for (k = 0; k < a->nvals; k++)
			if (put(out, LDIF_PUT_VALUE, a->name, a->vals[k].val, a->vals[k].len) < 0)
				return -1;
	}
	return 0;
}

static int put_record(struct buf *out, const struct entry *e, const char *changetype)
{
	size_t len = out->len;

	if (e == NULL || put_head(out, e->dn, changetype) < 0 || put_attrs(out, e) < 0 ||
	    put_sep(out) < 0)
		return undo(out, len);
	return 0;
}

int ldifw_add(struct buf *out, const struct entry *e)
{
	return put_record(out, e, "add");
}

int ldifw_entry(struct buf *out, const struct entry *e)
{
	return put_record(out, e, NULL);
}

int ldifw_delete(struct buf *out, const char *dn)
{
	size_t len = out->len;

	if (put_head(out, dn, "delete") < 0 || put_sep(out) < 0)
		return undo(out, len);
	return 0;
}

/* Characters a terminal or a line-oriented reader could take for the end of
 * the comment, or that reorder what an auditor sees. */
static int masked(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

int ldifw_comment(struct buf *out, const char *text)
{
	struct buf clean = BUF_INIT;
	const unsigned char *p = (const unsigned char *)(text ? text : "");
	size_t n = strlen((const char *)p), i = 0, len = out->len;
	char *line = NULL;
	int rc = -1;

	while (i < n) {
		uint32_t c = p[i];
		size_t l = 1;

		if (c >= 0x80 && (l = utf8_decode(p + i, n - i, &c)) == 0) {
			l = 1;
			c = 0;
		}
		if (masked(c)) {
			if (buf_add(&clean, "?", 1) < 0)
				goto done;
		} else if (buf_add(&clean, p + i, l) < 0) {
			goto done;
		}
		i += l;
	}
	/* Comments stay on one line: folding would split UTF-8 sequences and
	 * defeat grep, and RFC 2849 only permits it. */
	line = ldif_put_wrap(LDIF_PUT_COMMENT, NULL, clean.s, (ber_len_t)clean.len,
	                     LDIF_LINE_WIDTH_MAX);
	if (line != NULL)
		rc = buf_puts(out, line);
done:
	ber_memfree(line);
	buf_free(&clean);
	if (rc < 0)
		undo(out, len);
	return rc;
}
