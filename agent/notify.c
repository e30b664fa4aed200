/* notify.c - telling systemd how the daemon is doing.
 * Every message goes through sd_notify(3) when configure found libsystemd;
 * otherwise each function does nothing and succeeds. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "buf.h"
#include "log.h"
#include "notify.h"

#ifdef HAVE_LIBSYSTEMD

/* Sends one message; sd_notify returns 0 itself when NOTIFY_SOCKET is unset. */
static int notify_send(const char *msg)
{
	int r = sd_notify(0, msg);

	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

int notify_ready(void)
{
	return notify_send("READY=1");
}

int notify_reloading(void)
{
	struct timespec ts;
	struct buf b = BUF_INIT;
	int rc = -1;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return notify_send("RELOADING=1");
	if (buf_printf(&b, "RELOADING=1\nMONOTONIC_USEC=%llu",
	               (unsigned long long)ts.tv_sec * 1000000ULL +
	                   (unsigned long long)ts.tv_nsec / 1000ULL) < 0) {
		errno = ENOMEM;
		goto done;
	}
	rc = notify_send(buf_str(&b));
done:
	buf_free(&b);
	return rc;
}

int notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

int notify_status(const char *fmt, ...)
{
	struct buf text = BUF_INIT;
	char *masked = NULL;
	va_list ap;
	int rc = -1, r;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	va_start(ap, fmt);
	r = buf_vprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0 || (masked = malloc(text.len + 1)) == NULL) {
		errno = ENOMEM;
		goto done;
	}
	log_mask(buf_str(&text), masked, text.len + 1);
	buf_reset(&text);
	if (buf_printf(&text, "STATUS=%s", masked) < 0) {
		errno = ENOMEM;
		goto done;
	}
	rc = notify_send(buf_str(&text));
done:
	free(masked);
	buf_free(&text);
	return rc;
}

int notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

unsigned long notify_watchdog_interval_ms(void)
{
	uint64_t usec = 0;
	unsigned long ms;

	/* > 0 only when WATCHDOG_USEC is valid and WATCHDOG_PID, if set, is us. */
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	ms = (unsigned long)(usec / 2000);
	return ms > 0 ? ms : 1;
}

#else /* !HAVE_LIBSYSTEMD */

int notify_ready(void)
{
	return 0;
}

int notify_reloading(void)
{
	return 0;
}

int notify_stopping(void)
{
	return 0;
}

int notify_status(const char *fmt, ...)
{
	return 0;
}

int notify_watchdog(void)
{
	return 0;
}

unsigned long notify_watchdog_interval_ms(void)
{
	return 0;
}

#endif
