/* log.c - the one logging module.
 * Formats a line once, masks control characters so directory data can
 * never forge log lines, and writes it to stderr, journald's stream or syslog. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static const char *log_ident = "dirmail";
static int log_foreground = 1;
static int log_level_min = LOG_LVL_INFO;
static int log_verbose;
static int log_journal; /* stderr is journald's stream: "<N>" level prefixes */

/* Whether stderr is the stream systemd connected to journald: JOURNAL_STREAM
 * ("DEV:INODE") names it, and is inherited by children whose stderr may be
 * something else, hence the comparison. */
static int stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (env == NULL || *env < '0' || *env > '9')
		return 0;
	errno = 0;
	dev = strtoull(env, &end, 10);
	if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
		return 0;
	ino = strtoull(end + 1, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *ident, int foreground, int facility, int verbosity)
{
	log_ident = ident ? ident : "dirmail";
	log_foreground = foreground;
	log_journal = foreground && stderr_is_journal();
	log_verbose = verbosity;
	log_level_min = verbosity > 0 ? LOG_LVL_DEBUG : LOG_LVL_INFO;
	if (!foreground)
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

int log_verbosity(void)
{
	return log_verbose;
}

void log_mask(const char *s, char *out, unsigned long outlen)
{
	unsigned long i = 0;

	if (outlen == 0)
		return;
	for (; *s && i + 1 < outlen; s++) {
		unsigned char c = (unsigned char)*s;
		/* Bytes >= 0x80 are kept: UTF-8 names are common in directories. */
		out[i++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[i] = '\0';
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const tag[] = {
	    "debug: ", "", "notice: ", "warning: ", "error: ", "fatal: "};
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR, LOG_CRIT};
	struct buf b = BUF_INIT;
	char *masked;

	if ((int)level < log_level_min)
		return;
	if (buf_vprintf(&b, fmt, ap) < 0) {
		buf_free(&b);
		return;
	}
	masked = malloc(b.len + 1);
	if (masked == NULL) {
		buf_free(&b);
		return;
	}
	log_mask(buf_str(&b), masked, b.len + 1);
	if (log_journal) {
		/* journald takes the level from "<N>" and already records the
		 * program's name and PID. */
		fprintf(stderr, "<%d>%s%s\n", prio[level], tag[level], masked);
		fflush(stderr);
	} else if (log_foreground) {
		fprintf(stderr, "%s: %s%s\n", log_ident, tag[level], masked);
		fflush(stderr);
	} else {
		syslog(prio[level], "%s%s", tag[level], masked);
	}
	free(masked);
	buf_free(&b);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

#define LOG_FN(name, level)                                                                        \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_vmsg(level, fmt, ap);                                                          \
		va_end(ap);                                                                        \
	}
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_notice, LOG_LVL_NOTICE)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_error, LOG_LVL_ERROR)

void log_fatal(int exit_code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_FATAL, fmt, ap);
	va_end(ap);
	exit(exit_code);
}

void log_panic(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_LVL_FATAL, "panic: %s", msg);
	abort();
}

void log_error_lines(const char *text)
{
	const char *p = text, *nl;

	for (; p && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		log_error("%.*s", (int)(nl - p), p);
		if (*nl == '\0')
			break;
	}
}
