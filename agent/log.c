/* log.c - the one logging module.
 * Formats a line once, masks control characters so directory data can
 * never forge log lines, and writes it to stderr or syslog. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "buf.h"
#include "log.h"

static const char *log_ident = "dirmail";
static int log_foreground = 1;
static int log_level_min = LOG_LVL_INFO;
static int log_verbose;

void log_init(const char *ident, int foreground, int facility, int verbosity)
{
	log_ident = ident ? ident : "dirmail";
	log_foreground = foreground;
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
	static const char *const tag[] = {"debug: ", "", "warning: ", "error: ", "fatal: "};
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT};
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
	if (log_foreground) {
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
