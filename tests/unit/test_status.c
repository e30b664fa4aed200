/* test_status.c - the daemon's status and its renderings.
 * A snapshot rendered as text, JSON and Prometheus exposition, exactly;
 * DNs with quotes, backslashes, control and non-ASCII characters escaped
 * for each; the state directory's file read back as written; the first
 * names of each blocked state, the pass counts, lag and exit codes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cmocka.h>

#include "status.h"

/* 2026-12-07T01:15:00Z */
#define T0 1796606100

/* A daemon that ran a pass: two invalid users, one of them with a DN
 * that needs escaping everywhere. */
static void sample(struct status *s)
{
	struct rec_stats st;
	struct status_names names[POL_ERROR + 1];

	status_init(s);
	memset(&st, 0, sizeof(st));
	memset(names, 0, sizeof(names));
	s->daemon = STATUS_RUNNING;
	s->pid = 4242;
	s->started = T0;
	s->updated = T0 + 120;
	s->connected = 1;
	s->last_change = T0 + 100;
	assert_int_equal(status_set(&s->version, "0.1.0"), 0);
	assert_int_equal(status_set(&s->uri, "ldap://dc1.example.test/"), 0);
	assert_int_equal(status_set(&s->base, "dc=example,dc=test"), 0);
	st.objects = 28;
	st.taken = 2;
	st.changed = 1;
	st.writes = 2;
	st.deletions = 1;
	st.ms = 41;
	st.settled = 1;
	st.states[POL_OK] = 20;
	st.states[POL_INVALID] = 2;
	st.states[POL_OVER_LICENCE] = 1;
	st.licences = 10;
	st.licences_used = 10;
	st.licences_waiting = 1;
	st.storage_mb = 2000;
	st.allocated_mb = 500;
	status_note_state("cn=Ren\\22e \\5C \xc3\xbc\xd0\x98,dc=example,dc=test", POL_INVALID,
	                  names);
	status_note_state("uid=bad,dc=example,dc=test", POL_INVALID, names);
	status_note_state("uid=late,dc=example,dc=test", POL_OVER_LICENCE, names);
	status_note_state("uid=fine,dc=example,dc=test", POL_OK, names);
	assert_int_equal(
	    status_take_pass(s, &st, names, EX_OK, "20261207T011500Z-4242-3", T0 + 110), 0);
}

static const char want_text[] =
    "daemon          running, pid 4242, started 2026-12-07T01:15:00Z, dirmail 0.1.0\n"
    "directory       ldap://dc1.example.test/ under \"dc=example,dc=test\", following changes\n"
    "sync lag        0 s, last change seen 2026-12-07T01:16:40Z\n"
    "last pass       converged, ended 2026-12-07T01:16:50Z after 41 ms (pass "
    "20261207T011500Z-4242-3)\n"
    "                28 objects, 2 taken anew, 1 changed, 2 writes (0 refused, 0 stale, 0 "
    "unanswered), 1 deletions\n"
    "last success    2026-12-07T01:16:50Z\n"
    "licences        10 of 10 used, 0 free, 1 waiting\n"
    "storage         500 MB of 2000 MB allocated (25%)\n"
    "objects         20 ok, 2 invalid, 0 conflict, 0 address-taken, 1 over-licence, 0 "
    "over-allocated, 0 error\n"
    "invalid         cn=Ren\\22e \\5C \xc3\xbc\xd0\x98,dc=example,dc=test\n"
    "                uid=bad,dc=example,dc=test\n"
    "over-licence    uid=late,dc=example,dc=test\n"
    "status          written 2026-12-07T01:17:00Z\n";

static void test_text(void **state)
{
	struct buf out = BUF_INIT;
	struct status s;

	(void)state;
	sample(&s);
	assert_int_equal(status_render_text(&s, T0 + 130, &out), 0);
	assert_string_equal(buf_str(&out), want_text);
	assert_int_equal(status_exit(&s), 1); /* running, some blocked */
	/* Control characters never reach the terminal. */
	buf_reset(&out);
	assert_int_equal(status_set(&s.reason, "bad\nline\x1b[31m"), 0);
	s.daemon = STATUS_OUTAGE;
	s.connected = 0;
	s.down_since = T0 + 115;
	assert_int_equal(status_render_text(&s, T0 + 130, &out), 0);
	assert_non_null(strstr(buf_str(&out),
	                       "daemon          outage, pid 4242, started "
	                       "2026-12-07T01:15:00Z, dirmail 0.1.0: bad?line?[31m\n"));
	assert_non_null(strstr(buf_str(&out), ", out of reach since 2026-12-07T01:16:55Z\n"
	                                      "sync lag        15 s, last change seen"));
	assert_int_equal(status_exit(&s), 2);
	buf_free(&out);
	status_clear(&s);
}

static const char want_json[] =
    "{\n"
    "  \"daemon\": {\n"
    "    \"state\": \"running\",\n"
    "    \"reason\": null,\n"
    "    \"pid\": 4242,\n"
    "    \"version\": \"0.1.0\",\n"
    "    \"started\": \"2026-12-07T01:15:00Z\",\n"
    "    \"updated\": \"2026-12-07T01:17:00Z\"\n"
    "  },\n"
    "  \"directory\": {\n"
    "    \"uri\": \"ldap://dc1.example.test/\",\n"
    "    \"base\": \"dc=example,dc=test\",\n"
    "    \"connected\": true,\n"
    "    \"down_since\": null,\n"
    "    \"last_change\": \"2026-12-07T01:16:40Z\",\n"
    "    \"sync_lag_seconds\": 0\n"
    "  },\n"
    "  \"last_pass\": {\n"
    "    \"kind\": \"daemon\",\n"
    "    \"id\": \"20261207T011500Z-4242-3\",\n"
    "    \"ended\": \"2026-12-07T01:16:50Z\",\n"
    "    \"ms\": 41,\n"
    "    \"result\": \"converged\",\n"
    "    \"objects\": 28,\n"
    "    \"taken\": 2,\n"
    "    \"changed\": 1,\n"
    "    \"writes\": 2,\n"
    "    \"refused\": 0,\n"
    "    \"stale\": 0,\n"
    "    \"unanswered\": 0,\n"
    "    \"deletions\": 1\n"
    "  },\n"
    "  \"last_success\": \"2026-12-07T01:16:50Z\",\n"
    "  \"licences\": {\n"
    "    \"purchased\": 10,\n"
    "    \"used\": 10,\n"
    "    \"free\": 0,\n"
    "    \"waiting\": 1\n"
    "  },\n"
    "  \"storage_mb\": {\n"
    "    \"purchased\": 2000,\n"
    "    \"allocated\": 500\n"
    "  },\n"
    "  \"objects\": {\n"
    "    \"ok\": 20,\n"
    "    \"invalid\": 2,\n"
    "    \"conflict\": 0,\n"
    "    \"address-taken\": 0,\n"
    "    \"over-licence\": 1,\n"
    "    \"over-allocated\": 0,\n"
    "    \"error\": 0\n"
    "  },\n"
    "  \"blocked\": {\n"
    "    \"invalid\": [\n"
    "      \"cn=Ren\\\\22e \\\\5C \xc3\xbc\xd0\x98,dc=example,dc=test\",\n"
    "      \"uid=bad,dc=example,dc=test\"\n"
    "    ],\n"
    "    \"conflict\": [],\n"
    "    \"address-taken\": [],\n"
    "    \"over-licence\": [\n"
    "      \"uid=late,dc=example,dc=test\"\n"
    "    ],\n"
    "    \"over-allocated\": [],\n"
    "    \"error\": []\n"
    "  }\n"
    "}\n";

static void test_json(void **state)
{
	struct buf out = BUF_INIT;
	struct status s;

	(void)state;
	sample(&s);
	assert_int_equal(status_render_json(&s, T0 + 130, &out), 0);
	assert_string_equal(buf_str(&out), want_json);
	buf_free(&out);
	status_clear(&s);
}

/* JSON strings: quote and backslash escaped, control characters as
 * \uXXXX, UTF-8 kept, a byte that is no UTF-8 replaced by U+FFFD. */
static void test_json_escaping(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"cn=a\"b", "\"cn=a\\\"b\""},
	    {"cn=a\\2Cb", "\"cn=a\\\\2Cb\""},
	    {"cn=Jos\xc3\xa9 M\xc3\xbcller", "\"cn=Jos\xc3\xa9 M\xc3\xbcller\""},
	    {"cn=\xe6\x9d\x8e \xf0\x9f\x98\x80", "\"cn=\xe6\x9d\x8e \xf0\x9f\x98\x80\""},
	    {"a\nb\tc\x01\x7f", "\"a\\nb\\u0009c\\u0001\\u007f\""},
	    {"bad\xff\xc3", "\"bad\xef\xbf\xbd\xef\xbf\xbd\""},
	    {"", "\"\""},
	};
	struct buf out = BUF_INIT;
	struct status s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at;

		status_init(&s);
		assert_int_equal(status_set(&s.reason, cases[i].in), 0);
		buf_reset(&out);
		assert_int_equal(status_render_json(&s, T0, &out), 0);
		at = strstr(buf_str(&out), "\"reason\": ");
		assert_non_null(at);
		at += strlen("\"reason\": ");
		if (strncmp(at, cases[i].want, strlen(cases[i].want)) != 0 ||
		    at[strlen(cases[i].want)] != ',')
			fail_msg("case %zu: got %.40s, want %s", i, at, cases[i].want);
		status_clear(&s);
	}
	buf_free(&out);
}

static void test_prom(void **state)
{
	static const char *const want[] = {
	    "# HELP dirmail_build_info ",
	    "# TYPE dirmail_build_info gauge\ndirmail_build_info{version=\"0.1.0\"} 1\n",
	    "# TYPE dirmail_daemon_state gauge\ndirmail_daemon_state{state=\"starting\"} 0\n"
	    "dirmail_daemon_state{state=\"running\"} 1\n"
	    "dirmail_daemon_state{state=\"outage\"} 0\n"
	    "dirmail_daemon_state{state=\"held\"} 0\n"
	    "dirmail_daemon_state{state=\"standby\"} 0\n"
	    "dirmail_daemon_state{state=\"stopped\"} 0\n",
	    "dirmail_start_time_seconds 1796606100\n",
	    "dirmail_directory_up{uri=\"ldap://dc1.example.test/\"} 1\n",
	    "dirmail_sync_lag_seconds 0\n",
	    "dirmail_last_change_timestamp_seconds 1796606200\n",
	    "# TYPE dirmail_changes_total counter\ndirmail_changes_total 0\n",
	    "dirmail_passes_total{result=\"converged\"} 1\n"
	    "dirmail_passes_total{result=\"held\"} 0\n",
	    "# TYPE dirmail_pass_duration_seconds histogram\n"
	    "dirmail_pass_duration_seconds_bucket{le=\"0.005\"} 0\n",
	    "dirmail_pass_duration_seconds_bucket{le=\"0.025\"} 0\n"
	    "dirmail_pass_duration_seconds_bucket{le=\"0.050\"} 1\n",
	    "dirmail_pass_duration_seconds_bucket{le=\"+Inf\"} 1\n"
	    "dirmail_pass_duration_seconds_sum 0.041\n"
	    "dirmail_pass_duration_seconds_count 1\n",
	    "dirmail_last_success_timestamp_seconds 1796606210\n",
	    "dirmail_writes_total{attribute=\"mail\",result=\"success\"} 2\n"
	    "dirmail_writes_total{attribute=\"mail\",result=\"refused\"} 1\n"
	    "dirmail_writes_total{attribute=\"proxyAddresses\",result=\"success\"} 1\n"
	    "dirmail_writes_total{attribute=\"(add)\",result=\"success\"} 1\n"
	    "dirmail_writes_total{attribute=\"(delete)\",result=\"stale\"} 1\n",
	    "# TYPE dirmail_refusals_total counter\n"
	    "dirmail_refusals_total{reason=\"insufficientAccessRights\"} 1\n",
	    "dirmail_objects{state=\"ok\"} 20\ndirmail_objects{state=\"invalid\"} 2\n",
	    "dirmail_objects{state=\"over-licence\"} 1\n",
	    "dirmail_licences_purchased 10\n",
	    "dirmail_licences_used 10\n",
	    "dirmail_licences_free 0\n",
	    "dirmail_licences_waiting 1\n",
	    "dirmail_storage_purchased_bytes 2097152000\n",
	    "dirmail_storage_allocated_bytes 524288000\n",
	};
	static const char *const mail[] = {"mail", "proxyAddresses"};
	struct buf out = BUF_INIT;
	struct status s;
	const char *p;
	size_t i;

	(void)state;
	sample(&s);
	status_note_write(LDAPC_W_MODIFY, mail, 2, REC_OUT_SUCCESS, NULL, &s);
	status_note_write(LDAPC_W_MODIFY, mail, 1, REC_OUT_SUCCESS, NULL, &s);
	status_note_write(LDAPC_W_MODIFY, mail, 1, REC_OUT_REFUSED, "insufficientAccessRights", &s);
	status_note_write(LDAPC_W_ADD, NULL, 0, REC_OUT_SUCCESS, NULL, &s);
	status_note_write(LDAPC_W_DELETE, NULL, 0, REC_OUT_STALE, NULL, &s);
	assert_int_equal(status_render_prom(&s, T0 + 130, &out), 0);
	/* In this order, each where it belongs. */
	for (i = 0, p = buf_str(&out); i < sizeof(want) / sizeof(want[0]); i++) {
		const char *at = strstr(p, want[i]);

		if (at == NULL)
			fail_msg("no \"%s\" after the last one in:\n%s", want[i], buf_str(&out));
		p = at + strlen(want[i]);
	}
	/* Every family says what it is, and every sample belongs to one. */
	for (p = buf_str(&out); *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "# HELP dirmail_", 15) == 0) {
			assert_int_equal(strncmp(strchr(p, '\n') + 1, "# TYPE dirmail_", 15), 0);
			continue;
		}
		if (p[0] != '#')
			assert_int_equal(strncmp(p, "dirmail_", 8), 0);
	}
	buf_free(&out);
	status_clear(&s);
}

/* Label values: backslash, quote and line feed escaped, UTF-8 kept. */
static void test_prom_escaping(void **state)
{
	struct buf out = BUF_INIT;
	struct status s;

	(void)state;
	status_init(&s);
	assert_int_equal(status_set(&s.uri, "ldap://h/\"x\\y\nz\xc3\xbc"), 0);
	assert_int_equal(status_render_prom(&s, T0, &out), 0);
	assert_non_null(strstr(
	    buf_str(&out), "dirmail_directory_up{uri=\"ldap://h/\\\"x\\\\y\\nz\xc3\xbc\"} 0\n"));
	/* No pass, no account: only what is known. */
	assert_null(strstr(buf_str(&out), "dirmail_objects"));
	assert_null(strstr(buf_str(&out), "dirmail_licences"));
	assert_null(strstr(buf_str(&out), "dirmail_writes_total"));
	assert_null(strstr(buf_str(&out), "dirmail_build_info"));
	buf_free(&out);
	status_clear(&s);
}

/* The file in the state directory reads back as it was written,
 * awkward strings included; unknown keys are a newer daemon's. */
static void test_file_round_trip(void **state)
{
	struct buf a = BUF_INIT, b = BUF_INIT, err = BUF_INIT;
	struct status s, r;

	(void)state;
	sample(&s);
	assert_int_equal(status_set(&s.reason, "line\none \\ back\x7f"), 0);
	s.daemon = STATUS_HELD;
	s.pending_since = T0 + 125;
	assert_int_equal(status_format(&s, &a), 0);
	assert_null(strchr(strstr(buf_str(&a), "reason "), '\x7f'));
	assert_non_null(strstr(buf_str(&a), "reason line\\x0aone \\\\ back\\x7f\n"));
	status_init(&r);
	assert_int_equal(status_parse(buf_str(&a), &r, &err), 0);
	assert_int_equal(status_format(&r, &b), 0);
	assert_string_equal(buf_str(&b), buf_str(&a));
	assert_string_equal(r.reason, "line\none \\ back\x7f");
	assert_int_equal(r.daemon, STATUS_HELD);
	assert_int_equal(r.names[POL_INVALID].n, 2);
	assert_string_equal(r.names[POL_INVALID].dn[0],
	                    "cn=Ren\\22e \\5C \xc3\xbc\xd0\x98,dc=example,dc=test");
	assert_int_equal(r.states[POL_OVER_LICENCE], 1);
	assert_int_equal(r.licences_waiting, 1);
	assert_int_equal(r.pass_end, T0 + 110);
	status_clear(&r);
	/* A key this version does not know is skipped. */
	status_init(&r);
	assert_int_equal(status_parse("daemon stopped\nfrobnicate 7\npid 12\n", &r, &err), 0);
	assert_int_equal(r.daemon, STATUS_STOPPED);
	assert_int_equal(r.pid, 12);
	status_clear(&r);
	buf_free(&a);
	buf_free(&b);
	buf_free(&err);
	status_clear(&s);
}

static void test_file_damaged(void **state)
{
	static const struct {
		const char *text, *err;
	} cases[] = {
	    {"daemon running\npid\n", "2: not \"key value\""},
	    {"pid 12x\n", "1: not a value of pid"},
	    {"# c\n\ndaemon sleeping\n", "3: not a value of daemon"},
	    {"pass_result won\n", "1: not a value of pass_result"},
	    {"connected 2\n", "1: not a value of connected"},
	    {"objects -1\n", "1: not a value of objects"},
	    {"reason a\\x4\n", "1: not a value of reason"},
	    {"reason a\\x00b\n", "1: not a value of reason"},
	    {"reason a\\q\n", "1: not a value of reason"},
	    {"count sleepy 3\n", "1: not a value of count"},
	    {"count ok x\n", "1: not a value of count"},
	    {"name ok uid=x\n", "1: not a value of name"},
	    {"name invalid a\nname invalid b\nname invalid c\nname invalid d\nname invalid "
	     "e\nname invalid f\n",
	     "6: not a value of name"},
	    {"pid 1234567890123456789\n", "1: not a value of pid"},
	};
	struct buf err = BUF_INIT;
	struct status s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		status_init(&s);
		buf_reset(&err);
		if (status_parse(cases[i].text, &s, &err) != -1)
			fail_msg("case %zu: \"%s\" was read", i, cases[i].text);
		assert_string_equal(buf_str(&err), cases[i].err);
		status_clear(&s);
	}
	buf_free(&err);
}

/* The first five DNs of a kind in DN order, whatever order they come in;
 * each once; none for ok. */
static void test_names(void **state)
{
	static const char *const in[] = {"uid=g", "uid=B", "uid=a", "uid=f", "uid=e",
	                                 "uid=d", "uid=c", "uid=a", "uid=b"};
	struct status_names names[POL_ERROR + 1];
	size_t i;

	(void)state;
	memset(names, 0, sizeof(names));
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		status_note_state(in[i], POL_CONFLICT, names);
		status_note_state(in[i], POL_OK, names);
	}
	assert_int_equal(names[POL_OK].n, 0);
	assert_int_equal(names[POL_CONFLICT].n, STATUS_NAMES);
	assert_string_equal(names[POL_CONFLICT].dn[0], "uid=a");
	assert_string_equal(names[POL_CONFLICT].dn[1], "uid=B");
	assert_string_equal(names[POL_CONFLICT].dn[2], "uid=b");
	assert_string_equal(names[POL_CONFLICT].dn[3], "uid=c");
	assert_string_equal(names[POL_CONFLICT].dn[4], "uid=d");
	status_names_clear(names);
	assert_int_equal(names[POL_CONFLICT].n, 0);
}

/* A pass that failed before counting keeps the figures of the one before;
 * its result, duration and time are its own. */
static void test_take_pass(void **state)
{
	struct status_names names[POL_ERROR + 1];
	struct rec_stats st;
	struct status s;

	(void)state;
	sample(&s);
	memset(&st, 0, sizeof(st));
	memset(names, 0, sizeof(names));
	st.ms = 70000;
	status_note_state("uid=lost", POL_INVALID, names);
	assert_int_equal(status_take_pass(&s, &st, names, EX_UNAVAILABLE, "p-2", T0 + 200), 0);
	assert_int_equal(names[POL_INVALID].n, 0); /* freed, not kept */
	assert_int_equal(s.pass_result, STATUS_FAILED);
	assert_int_equal(s.pass_end, T0 + 200);
	assert_int_equal(s.last_success, T0 + 110);
	assert_int_equal(s.states[POL_OK], 20);
	assert_string_equal(s.names[POL_INVALID].dn[1], "uid=bad,dc=example,dc=test");
	assert_int_equal(s.passes[STATUS_CONVERGED], 1);
	assert_int_equal(s.passes[STATUS_FAILED], 1);
	assert_int_equal(s.duration[6], 0);
	assert_int_equal(s.duration[3], 1);  /* 41 ms: up to 50 */
	assert_int_equal(s.duration[13], 1); /* 70 s: up to 300 */
	assert_int_equal(s.duration_ms, 70041);
	st.held = 1;
	assert_int_equal(status_take_pass(&s, &st, names, EX_DATAERR, "p-3", T0 + 300), 0);
	assert_int_equal(s.pass_result, STATUS_PASS_HELD);
	assert_int_equal(status_result_of(EX_DATAERR, &(struct rec_stats){.ms = 0}),
	                 STATUS_INCOMPLETE);
	assert_int_equal(status_result_of(EX_TEMPFAIL, &(struct rec_stats){.ms = 0}),
	                 STATUS_INTERRUPTED);
	/* dirmail status's own pass counts nothing and is no success. */
	s.read_only = 1;
	assert_int_equal(
	    status_take_pass(&s, &(struct rec_stats){.ms = 5}, names, EX_OK, NULL, T0 + 400), 0);
	assert_int_equal(s.last_success, T0 + 110);
	assert_int_equal(s.passes[STATUS_CONVERGED], 1);
	assert_null(s.pass_id);
	status_clear(&s);
}

static void test_lag_and_exit(void **state)
{
	struct status s;

	(void)state;
	status_init(&s);
	s.daemon = STATUS_RUNNING;
	assert_int_equal(status_lag(&s, T0), 0);
	assert_int_equal(status_exit(&s), 0);
	s.pending_since = T0 - 3;
	assert_int_equal(status_lag(&s, T0), 3);
	s.down_since = T0 - 10; /* the outage began first */
	assert_int_equal(status_lag(&s, T0), 10);
	s.down_since = T0 - 1;
	assert_int_equal(status_lag(&s, T0), 3);
	s.daemon = STATUS_STARTING;
	assert_int_equal(status_exit(&s), 2);
	s.daemon = STATUS_HELD;
	assert_int_equal(status_exit(&s), 2);
	s.daemon = STATUS_STANDBY; /* another instance writes */
	assert_int_equal(status_exit(&s), 0);
	s.daemon = STATUS_STOPPED;
	assert_int_equal(status_lag(&s, T0), -1);
	assert_int_equal(status_exit(&s), 3);
	s.daemon = STATUS_NOT_RUNNING;
	assert_int_equal(status_exit(&s), 3);
	status_clear(&s);
}

/* What dirmail status makes of the file when no daemon runs. */
static void test_gone(void **state)
{
	struct buf out = BUF_INIT;
	struct status s;

	(void)state;
	sample(&s);
	assert_int_equal(status_gone(&s), 0);
	assert_int_equal(s.daemon, STATUS_NOT_RUNNING);
	assert_string_equal(s.reason,
	                    "its last status, written 2026-12-07T01:17:00Z, says running: "
	                    "it did not stop cleanly");
	assert_int_equal(s.have_pass, 0);
	assert_int_equal(s.have_states, 0);
	assert_null(s.uri);
	assert_int_equal(s.read_only, 1);
	assert_int_equal(s.last_success, T0 + 110);
	assert_int_equal(status_render_text(&s, T0 + 500, &out), 0);
	assert_string_equal(buf_str(&out),
	                    "daemon          not-running: its last status, written "
	                    "2026-12-07T01:17:00Z, says running: it did not stop cleanly\n"
	                    "pass now        none: the directory could not be read\n"
	                    "last success    2026-12-07T01:16:50Z\n");
	status_clear(&s);
	status_init(&s);
	assert_int_equal(status_gone(&s), 0);
	assert_string_equal(s.reason, "no daemon has run with this state directory");
	status_clear(&s);
	status_init(&s);
	s.daemon = STATUS_STOPPED;
	s.updated = T0;
	assert_int_equal(status_gone(&s), 0);
	assert_int_equal(s.daemon, STATUS_STOPPED);
	assert_null(s.reason);
	assert_int_equal(status_exit(&s), 3);
	buf_free(&out);
	status_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text),          cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_escaping), cmocka_unit_test(test_prom),
	    cmocka_unit_test(test_prom_escaping), cmocka_unit_test(test_file_round_trip),
	    cmocka_unit_test(test_file_damaged),  cmocka_unit_test(test_names),
	    cmocka_unit_test(test_take_pass),     cmocka_unit_test(test_lag_and_exit),
	    cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
