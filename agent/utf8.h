/* utf8.h - decoding one UTF-8 character.
 * Transliteration, filter escaping and comment masking all walk UTF-8 and
 * must agree on what is well formed, so they share this one decoder. */
#ifndef DIRMAIL_UTF8_H
#define DIRMAIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns the length (1 to 4) of the well-formed UTF-8 sequence at s, with
 * n > 0 bytes available, and its code point in *cp; returns 0, *cp
 * untouched, for a byte that starts no well-formed sequence (a stray
 * continuation byte, an overlong form, a surrogate, beyond U+10FFFF, or
 * truncated). */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
