/* notify.h - telling systemd how the daemon is doing.
 * A thin layer over sd_notify(3): readiness, reloads, shutdown, a status
 * line and the watchdog. Outside systemd, or built without libsystemd, no-ops. */
#ifndef DIRMAIL_NOTIFY_H
#define DIRMAIL_NOTIFY_H

#include "attrs.h"

/* The sending functions return 0 when the message went out or when there
 * is no one to tell (NOTIFY_SOCKET unset, or a build without libsystemd),
 * and -1 with errno set when NOTIFY_SOCKET names a socket that cannot be
 * reached. A failed notification changes nothing the daemon does, so the
 * result is the caller's to log, not to act on. NOTIFY_SOCKET stays set. */

/* Says READY=1: the daemon is up (once started, and again after a reload). */
int notify_ready(void);
/* Says RELOADING=1 with the monotonic clock's time (MONOTONIC_USEC=, which
 * systemd 253's Type=notify-reload wants); call notify_ready once the new
 * configuration is in use. */
int notify_reloading(void);
/* Says STOPPING=1: SIGTERM was received, writes in flight are finishing. */
int notify_stopping(void);
/* Sets the one-line STATUS= shown by systemctl status; control characters
 * (a newline would start another assignment) are masked as '?'. */
int notify_status(const char *fmt, ...) DM_PRINTF(1, 2);
/* Says WATCHDOG=1: the daemon's loop is alive. */
int notify_watchdog(void);
/* Returns how often, in milliseconds, to call notify_watchdog: half the
 * WATCHDOG_USEC systemd set for this process (when WATCHDOG_PID is unset
 * or ours), at least 1; 0 when there is no watchdog or its value is bad. */
unsigned long notify_watchdog_interval_ms(void);

#endif
