/* attrs.h - compiler attributes used across dirmail.
 * One place for warn_unused_result and printf-format checks, so every
 * module marks its fallible functions and log formats the same way. */
#ifndef DIRMAIL_ATTRS_H
#define DIRMAIL_ATTRS_H

#define DM_WUR __attribute__((warn_unused_result))
#define DM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define DM_NORETURN __attribute__((noreturn))

#endif
