/* addr.h - mail addresses: generation, validation and comparison keys.
 * String work without I/O: transliteration to ASCII (ICU's transforms,
 * memoised), local-part templates, address checks and SPEC §2's logins. */
#ifndef DIRMAIL_ADDR_H
#define DIRMAIL_ADDR_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"

/* The names a template draws on; NULL or "" means the object lacks it. */
struct addr_names {
	const char *given;    /* givenName, UTF-8, NULL when absent */
	const char *sn;       /* surname */
	const char *initials; /* initials */
	const char *nick;     /* mailNickname / sAMAccountName / uid / a list's cn */
};

/* Appends s (UTF-8, len bytes) transliterated to ASCII from any script:
 * ä ö ü → ae oe ue (also written with a combining diaeresis), ß → ss,
 * other accents dropped (é → e, ñ → n, ø → o, æ → ae, ł → l, þ → th),
 * Cyrillic by BGN/PCGN (Иван Петров → ivanpetrov, Хрущёв → khrushchev),
 * Greek, Han (as pinyin), Arabic and the rest by ICU's Any-Latin; then
 * lowercased, and anything left that is not a letter, digit, '.', '-', '_'
 * is dropped (spaces, apostrophes, symbols, invalid UTF-8 bytes). ASCII
 * and the Latin letters U+00C0..U+017F go through a table that spells
 * them as ICU does, so Latin names never load ICU; other results are
 * cached for the life of the process (thread-safe; the cache and ICU are
 * freed at exit). Returns -1, leaving out as it was, only when out of
 * memory or ICU cannot open its transform. */
int addr_translit(struct buf *out, const char *s, size_t len) DM_WUR;
/* The same through ICU's transform always, never the table of Latin
 * letters addr_translit takes first (tests compare the two). */
int addr_translit_icu(struct buf *out, const char *s, size_t len) DM_WUR;
/* Expands a local-part template (%g given name, %s surname, %i initials,
 * %m nick, %Ng / %Ns the first N (1..9) characters of the transliterated
 * given name / surname, %% a literal '%', which no local part allows;
 * other literal text is transliterated, as is every substituted name) and
 * appends the local part to out, returning 0. Otherwise out is untouched
 * and a short reason is appended to why (no newline, no period): 1 when
 * the template is sound but this object's names give no local part (a
 * name it lacks or one with nothing usable left after transliteration:
 * "no givenName for %g", "givenName has no usable characters for %g"; or a
 * result with a name in it that is no valid local part, the reason from
 * addr_check_local), for the caller to fall back on; -1 when the template
 * is malformed ("bad template: ..."), gives an invalid local part without
 * any name in it or with a %%, or memory runs out ("out of memory"). */
int addr_expand(struct buf *out, const char *tmpl, const struct addr_names *n,
                struct buf *why) DM_WUR;
/* Checks a local part of len bytes (1..64 of [A-Za-z0-9._-], not starting
 * or ending with '.', no ".."): 0, or -1 with the reason appended to why. */
int addr_check_local(const char *local, size_t len, struct buf *why) DM_WUR;
/* Checks a whole address local@domain (exactly one '@', a valid local
 * part, a domain of dot-separated labels of letters, digits and '-' with
 * no label starting or ending with '-', labels <= 63 bytes, domain <= 253,
 * whole address <= 256): 0, or -1 with the reason appended to why. */
int addr_check(const char *addr, struct buf *why) DM_WUR;
/* Appends the ASCII-lowercased len bytes of addr to out (the key under
 * which addresses are unique, case-insensitively); -1 on out of memory. */
int addr_key(struct buf *out, const char *addr, size_t len) DM_WUR;
/* Appends addr with the numeric suffix n placed before the '@' when addr
 * is a full address, at the end otherwise (("john.smith@example.test", 2)
 * → "john.smith2@example.test"); returns -1 with out untouched when n < 2,
 * when the local part would exceed 64 bytes (the caller then reports the
 * collision instead) or on out of memory. */
int addr_with_suffix(struct buf *out, const char *addr, unsigned n) DM_WUR;
/* Splits a login "user@domain" or "user+domain" (at the first '@', else at
 * the last '+') into newly allocated, lowercased *user and *domain that the
 * caller frees; returns -1 with both NULL when there is neither separator,
 * either part is empty, or memory runs out. */
int addr_login_split(const char *login, char **user, char **domain) DM_WUR;

#endif
