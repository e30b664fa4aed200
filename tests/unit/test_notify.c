/* test_notify.c - telling systemd how the daemon is doing.
 * A datagram socket plays systemd: the exact messages it receives, none
 * outside systemd, and the watchdog interval read from the environment. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify.h"

static char dir[] = "/tmp/dirmail-notify-XXXXXX";
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int sock = -1;

/* Binds the socket systemd would listen on and points NOTIFY_SOCKET at it. */
static int setup(void **state)
{
	struct sockaddr_un sa;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	if (sock >= 0)
		close(sock);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Each test starts with NOTIFY_SOCKET on the test's socket, no watchdog. */
static int reset(void **state)
{
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return setenv("NOTIFY_SOCKET", sock_path, 1);
}

/* The next datagram on s, or "" when none is waiting; static storage.
 * sd_notify has sent it by the time it returns, so no waiting is needed. */
static const char *next_message(int s)
{
	static char msg[4096];
	ssize_t n;

	n = recv(s, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n < 0) {
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		n = 0;
	}
	msg[n] = '\0';
	return msg;
}

static void expect_message(const char *what, const char *want)
{
	const char *got = next_message(sock);

	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
}

#ifdef HAVE_LIBSYSTEMD

static unsigned long long now_usec(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

static void test_messages(void **state)
{
	assert_int_equal(notify_ready(), 0);
	expect_message("notify_ready", "READY=1");
	assert_int_equal(notify_stopping(), 0);
	expect_message("notify_stopping", "STOPPING=1");
	assert_int_equal(notify_watchdog(), 0);
	expect_message("notify_watchdog", "WATCHDOG=1");
	assert_int_equal(notify_status("pass %d: %s", 3, "reading"), 0);
	expect_message("notify_status", "STATUS=pass 3: reading");
	assert_int_equal(notify_status("%s", ""), 0);
	expect_message("notify_status, empty", "STATUS=");
	expect_message("nothing more", "");
	/* NOTIFY_SOCKET stays set: the daemon notifies for as long as it runs. */
	assert_non_null(getenv("NOTIFY_SOCKET"));
}

/* A newline in the text (a DN, a server's message) would start a second
 * assignment; it must arrive as one STATUS= line. */
static void test_status_masked(void **state)
{
	assert_int_equal(notify_status("cn=x\nREADY=1\tMAINPID=1"), 0);
	expect_message("notify_status with control characters", "STATUS=cn=x?READY=1?MAINPID=1");
	assert_int_equal(notify_status("%s", "Jürgen"), 0);
	expect_message("notify_status, UTF-8 kept", "STATUS=Jürgen");
}

static void test_reloading(void **state)
{
	unsigned long long before, after, got;
	const char *msg;
	char *end;

	before = now_usec();
	assert_int_equal(notify_reloading(), 0);
	after = now_usec();
	msg = next_message(sock);
	if (strncmp(msg, "RELOADING=1\nMONOTONIC_USEC=", 27) != 0)
		fail_msg("notify_reloading: got \"%s\", want \"RELOADING=1\\nMONOTONIC_USEC=N\"",
		         msg);
	errno = 0;
	got = strtoull(msg + 27, &end, 10);
	assert_int_equal(errno, 0);
	assert_true(end != msg + 27 && *end == '\0');
	if (got < before || got > after)
		fail_msg("MONOTONIC_USEC=%llu, want between %llu and %llu", got, before, after);
	assert_int_equal(notify_ready(), 0);
	expect_message("notify_ready after a reload", "READY=1");
}

/* Systemd's abstract-namespace sockets ("@name") work as well. */
static void test_abstract_socket(void **state)
{
	struct sockaddr_un sa;
	char name[64];
	socklen_t len;
	int s;

	snprintf(name, sizeof(name), "dirmail-test-notify-%ld", (long)getpid());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, len), 0);
	memmove(name + 1, name, strlen(name) + 1);
	name[0] = '@';
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	assert_int_equal(notify_ready(), 0);
	if (strcmp(next_message(s), "READY=1") != 0)
		fail_msg("abstract socket %s: READY=1 not received", name);
	close(s);
}

/* A socket that is gone is an error to report, not a crash or a hang. */
static void test_unreachable(void **state)
{
	char missing[sizeof(sock_path) + 16];

	snprintf(missing, sizeof(missing), "%s/missing", dir);
	assert_int_equal(setenv("NOTIFY_SOCKET", missing, 1), 0);
	errno = 0;
	assert_int_equal(notify_ready(), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(notify_status("x"), -1);
	assert_int_equal(notify_watchdog(), -1);
}

#else /* !HAVE_LIBSYSTEMD */

/* Built without libsystemd, every function succeeds and sends nothing,
 * even with NOTIFY_SOCKET set. */
static void test_no_ops(void **state)
{
	assert_int_equal(notify_ready(), 0);
	assert_int_equal(notify_reloading(), 0);
	assert_int_equal(notify_stopping(), 0);
	assert_int_equal(notify_status("pass %d", 1), 0);
	assert_int_equal(notify_watchdog(), 0);
	expect_message("nothing sent", "");
	assert_int_equal(setenv("WATCHDOG_USEC", "120000000", 1), 0);
	assert_int_equal(notify_watchdog_interval_ms(), 0);
}

#endif

/* Outside systemd nothing is sent and nothing fails. */
static void test_not_under_systemd(void **state)
{
	assert_int_equal(unsetenv("NOTIFY_SOCKET"), 0);
	assert_int_equal(notify_ready(), 0);
	assert_int_equal(notify_reloading(), 0);
	assert_int_equal(notify_stopping(), 0);
	assert_int_equal(notify_status("pass %d", 1), 0);
	assert_int_equal(notify_watchdog(), 0);
	assert_int_equal(notify_watchdog_interval_ms(), 0);
	expect_message("nothing sent without NOTIFY_SOCKET", "");
}

static void test_watchdog_interval(void **state)
{
	char self[32], other[32];
	const struct {
		const char *usec, *pid;
		unsigned long want;
	} cases[] = {
	    {NULL, NULL, 0},            /* no watchdog */
	    {"120000000", NULL, 60000}, /* WatchdogSec=2min, no WATCHDOG_PID */
	    {"120000000", self, 60000}, /* meant for this process */
	    {"120000000", other, 0},    /* meant for another process */
	    {"30000000", self, 15000},  /* WatchdogSec=30s */
	    {"1500", self, 1},          /* below 2 ms: at least 1 */
	    {"0", self, 0},             /* invalid */
	    {"soon", self, 0},          /* invalid */
	    {"120000000", "nobody", 0}, /* invalid WATCHDOG_PID */
	};
	size_t i;

	snprintf(self, sizeof(self), "%ld", (long)getpid());
	snprintf(other, sizeof(other), "%ld", (long)getppid());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long got, want = cases[i].want;

		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		if (cases[i].usec)
			assert_int_equal(setenv("WATCHDOG_USEC", cases[i].usec, 1), 0);
		if (cases[i].pid)
			assert_int_equal(setenv("WATCHDOG_PID", cases[i].pid, 1), 0);
#ifndef HAVE_LIBSYSTEMD
		want = 0;
#endif
		got = notify_watchdog_interval_ms();
		if (got != want)
			fail_msg("WATCHDOG_USEC=%s WATCHDOG_PID=%s: got %lu ms, want %lu",
			         cases[i].usec ? cases[i].usec : "(unset)",
			         cases[i].pid ? cases[i].pid : "(unset)", got, want);
		/* The variables stay for the next call (and the daemon's loop). */
		if (cases[i].usec)
			assert_non_null(getenv("WATCHDOG_USEC"));
	}
	expect_message("the interval sends nothing", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifdef HAVE_LIBSYSTEMD
	    cmocka_unit_test_setup(test_messages, reset),
	    cmocka_unit_test_setup(test_status_masked, reset),
	    cmocka_unit_test_setup(test_reloading, reset),
	    cmocka_unit_test_setup(test_abstract_socket, reset),
	    cmocka_unit_test_setup(test_unreachable, reset),
#else
	    cmocka_unit_test_setup(test_no_ops, reset),
#endif
	    cmocka_unit_test_setup(test_not_under_systemd, reset),
	    cmocka_unit_test_setup(test_watchdog_interval, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
