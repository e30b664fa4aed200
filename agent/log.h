/* log.h - the one logging module.
 * info / notice / warning / error / fatal have distinct meanings (Postfix
 * style), and every level but info says its name before the text;
 * stderr in the foreground (journald's stream under systemd), else syslog. */
#ifndef DIRMAIL_LOG_H
#define DIRMAIL_LOG_H

#include "attrs.h"

enum log_level {
	LOG_LVL_DEBUG,  /* shown with -v */
	LOG_LVL_INFO,   /* normal progress */
	LOG_LVL_NOTICE, /* the outcome of a pass or a command: "notice: " */
	LOG_LVL_WARN,   /* something odd; work goes on unchanged */
	LOG_LVL_ERROR,  /* one object or operation failed; the run goes on */
	LOG_LVL_FATAL   /* the run cannot go on */
};

/* Sets the program name, destination (stderr when foreground, else syslog
 * with the given facility, e.g. LOG_DAEMON) and verbosity (0 = info). When
 * JOURNAL_STREAM names stderr (systemd connected it to journald), lines go
 * out as "<N>text" with N the syslog priority, without the program name. */
void log_init(const char *ident, int foreground, int facility, int verbosity);
/* Returns the verbosity given to log_init. */
int log_verbosity(void);
/* Logs one line at level; control characters in the text are masked. */
void log_msg(enum log_level level, const char *fmt, ...) DM_PRINTF(2, 3);
void log_debug(const char *fmt, ...) DM_PRINTF(1, 2);
void log_info(const char *fmt, ...) DM_PRINTF(1, 2);
void log_notice(const char *fmt, ...) DM_PRINTF(1, 2);
void log_warn(const char *fmt, ...) DM_PRINTF(1, 2);
void log_error(const char *fmt, ...) DM_PRINTF(1, 2);
/* Logs each line of text (lines end in newlines; the last one need not)
 * as an error of its own, so syslog keeps the problems apart. */
void log_error_lines(const char *text);
/* Logs at fatal level and exits with the sysexits code given. */
void log_fatal(int exit_code, const char *fmt, ...) DM_PRINTF(2, 3) DM_NORETURN;
/* Logs an internal inconsistency (a bug, never bad input or a lack of
 * memory) at fatal level as "panic: ..." and aborts, leaving a core. */
void log_panic(const char *fmt, ...) DM_PRINTF(1, 2) DM_NORETURN;
/* Copies s into out (size outlen, always terminated), replacing bytes that
 * are not printable ASCII or UTF-8 continuation text with '?'. */
void log_mask(const char *s, char *out, unsigned long outlen);

#endif
