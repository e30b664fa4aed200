/* attrs.h - compiler attributes and the one cast used across dirmail.
 * One place for warn_unused_result and printf-format checks, so every
 * module marks its fallible functions and log formats the same way. */
#ifndef DIRMAIL_ATTRS_H
#define DIRMAIL_ATTRS_H

#define DM_WUR __attribute__((warn_unused_result))
#define DM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define DM_NORETURN __attribute__((noreturn))

/* A const string as libldap's and the entry model's char * fields want it;
 * what is written through it must really be writable. */
static inline char *dm_unconst(const char *s)
{
	union {
		const char *c;
		char *m;
	} u;

	u.c = s;
	return u.m;
}

#endif
