/* status.c - what the daemon is doing and what its last pass found.
 * Pure: the snapshot, its file format and its renderings for people,
 * scripts and Prometheus; no I/O and no clock but the one passed in. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "log.h"
#include "status.h"
#include "utf8.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Prometheus's default buckets, stretched to the minutes a first pass
 * over a large tenant takes. */
const unsigned long status_buckets_ms[STATUS_NBUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000,
};

static const char *const daemon_names[STATUS_NDAEMON] = {
    [STATUS_NOT_RUNNING] = "not-running",
    [STATUS_STARTING] = "starting",
    [STATUS_RUNNING] = "running",
    [STATUS_OUTAGE] = "outage",
    [STATUS_HELD] = "held",
    [STATUS_STANDBY] = "standby",
    [STATUS_STOPPED] = "stopped",
};

static const char *const result_names[STATUS_NRESULTS] = {
    [STATUS_CONVERGED] = "converged",     [STATUS_PASS_HELD] = "held",
    [STATUS_INCOMPLETE] = "incomplete",   [STATUS_FAILED] = "failed",
    [STATUS_INTERRUPTED] = "interrupted",
};

static const char *const outcome_names[REC_NOUTCOMES] = {
    [REC_OUT_SUCCESS] = "success",       [REC_OUT_REFUSED] = "refused", [REC_OUT_STALE] = "stale",
    [REC_OUT_UNANSWERED] = "unanswered", [REC_OUT_UNSENT] = "unsent",
};

const char *status_daemon_name(enum status_daemon d)
{
	return (unsigned)d < STATUS_NDAEMON ? daemon_names[d] : "not-running";
}

const char *status_result_name(enum status_result r)
{
	return (unsigned)r < STATUS_NRESULTS ? result_names[r] : "failed";
}

void status_init(struct status *s)
{
	memset(s, 0, sizeof(*s));
}

void status_names_clear(struct status_names *names)
{
	size_t k, i;

	for (k = 0; k <= POL_ERROR; k++) {
		for (i = 0; i < names[k].n; i++)
			free(names[k].dn[i]);
		names[k].n = 0;
	}
}

void status_clear(struct status *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->reason);
	free(s->version);
	free(s->uri);
	free(s->base);
	free(s->pass_id);
	status_names_clear(s->names);
	for (i = 0; i < s->nattrs; i++)
		free(s->attrs[i].attr);
	free(s->attrs);
	for (i = 0; i < s->nrefusals; i++)
		free(s->refusals[i].reason);
	free(s->refusals);
	status_init(s);
}

int status_set(char **field, const char *v)
{
	char *copy = NULL;

	if (v != NULL && (copy = strdup(v)) == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* ---- what the daemon counts ------------------------------------------------ */

enum status_result status_result_of(int rc, const struct rec_stats *st)
{
	if (st->held)
		return STATUS_PASS_HELD;
	switch (rc) {
	case EX_OK:
		return STATUS_CONVERGED;
	case EX_DATAERR:
		return STATUS_INCOMPLETE;
	case EX_TEMPFAIL:
		return STATUS_INTERRUPTED;
	default:
		return STATUS_FAILED;
	}
}

/* DN order for the names: case ignored, then bytes, so the same tenant
 * names the same objects whatever order the directory sent them in. */
static int dn_cmp(const char *a, const char *b)
{
	int c = strcasecmp(a, b);

	return c != 0 ? c : strcmp(a, b);
}

void status_note_state(const char *dn, enum pol_state k, void *arg)
{
	struct status_names *v = (struct status_names *)arg + k;
	size_t i, at;
	char *copy;

	if (k == POL_OK || (unsigned)k > POL_ERROR)
		return;
	for (at = 0; at < v->n && dn_cmp(v->dn[at], dn) < 0; at++)
		;
	if (at == STATUS_NAMES || (at < v->n && dn_cmp(v->dn[at], dn) == 0))
		return;
	copy = strdup(dn);
	if (copy == NULL)
		return;
	if (v->n == STATUS_NAMES)
		free(v->dn[--v->n]);
	for (i = v->n; i > at; i--)
		v->dn[i] = v->dn[i - 1];
	v->dn[at] = copy;
	v->n++;
}

int status_take_pass(struct status *s, const struct rec_stats *st, struct status_names *names,
                     int rc, const char *pass_id, time_t end)
{
	enum status_result r = status_result_of(rc, st);
	size_t b;

	if (status_set(&s->pass_id, pass_id) < 0) {
		status_names_clear(names);
		return -1;
	}
	s->have_pass = 1;
	s->pass_end = end;
	s->pass_ms = st->ms;
	s->pass_result = r;
	s->objects = st->objects;
	s->taken = st->taken;
	s->changed = st->changed;
	s->writes = st->writes;
	s->refused = st->refused;
	s->stale = st->stale;
	s->unanswered = st->unknown;
	s->deletions = st->deletions;
	if (r == STATUS_CONVERGED && !s->read_only)
		s->last_success = end;
	if (st->settled) {
		s->have_states = s->have_account = 1;
		memcpy(s->states, st->states, sizeof(s->states));
		status_names_clear(s->names);
		memcpy(s->names, names, sizeof(s->names));
		memset(names, 0, sizeof(s->names));
		s->licences = st->licences;
		s->licences_used = st->licences_used;
		s->licences_waiting = st->licences_waiting;
		s->storage_mb = st->storage_mb;
		s->allocated_mb = st->allocated_mb;
	}
	status_names_clear(names);
	if (s->read_only)
		return 0;
	s->passes[r]++;
	for (b = 0; b < STATUS_NBUCKETS && st->ms > status_buckets_ms[b]; b++)
		;
	s->duration[b]++;
	s->duration_ms += st->ms;
	return 0;
}

/* The counts of attr, added when new; NULL when out of memory. */
static struct status_attr_writes *attr_writes(struct status *s, const char *attr)
{
	struct status_attr_writes *v;
	size_t i;

	for (i = 0; i < s->nattrs; i++)
		if (strcasecmp(s->attrs[i].attr, attr) == 0)
			return &s->attrs[i];
	v = realloc(s->attrs, (s->nattrs + 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	s->attrs = v;
	memset(&v[s->nattrs], 0, sizeof(*v));
	v[s->nattrs].attr = strdup(attr);
	if (v[s->nattrs].attr == NULL)
		return NULL;
	return &v[s->nattrs++];
}

void status_note_write(enum ldapc_write kind, const char *const *attrs, size_t nattrs,
                       enum rec_outcome r, const char *reason, void *arg)
{
	struct status *s = arg;
	struct status_attr_writes *w;
	struct status_refusals *v;
	size_t i;

	if ((unsigned)r >= REC_NOUTCOMES)
		return;
	if (kind != LDAPC_W_MODIFY) {
		w = attr_writes(s, kind == LDAPC_W_ADD ? "(add)" : "(delete)");
		if (w != NULL)
			w->n[r]++;
	}
	for (i = 0; kind == LDAPC_W_MODIFY && i < nattrs; i++)
		if ((w = attr_writes(s, attrs[i])) != NULL)
			w->n[r]++;
	if (r != REC_OUT_REFUSED || reason == NULL)
		return;
	for (i = 0; i < s->nrefusals; i++)
		if (strcmp(s->refusals[i].reason, reason) == 0) {
			s->refusals[i].n++;
			return;
		}
	v = realloc(s->refusals, (s->nrefusals + 1) * sizeof(*v));
	if (v == NULL)
		return;
	s->refusals = v;
	v[s->nrefusals].reason = strdup(reason);
	if (v[s->nrefusals].reason == NULL)
		return;
	v[s->nrefusals++].n = 1;
}

static int put_time(struct buf *b, time_t t);

int status_gone(struct status *s)
{
	struct buf why = BUF_INIT;
	int r = 0;

	if (s->updated == 0) {
		r = buf_puts(&why, "no daemon has run with this state directory");
	} else if (s->daemon != STATUS_STOPPED && s->daemon != STATUS_NOT_RUNNING) {
		r = buf_puts(&why, "its last status, written ") < 0 ||
		            put_time(&why, s->updated) < 0 ||
		            buf_printf(&why, ", says %s: it did not stop cleanly",
		                       status_daemon_name(s->daemon)) < 0
		        ? -1
		        : 0;
	}
	if (r == 0 && why.len > 0)
		r = status_set(&s->reason, buf_str(&why));
	buf_free(&why);
	if (r < 0)
		return -1;
	if (s->daemon != STATUS_STOPPED)
		s->daemon = STATUS_NOT_RUNNING;
	s->pid = 0;
	s->connected = 0;
	s->down_since = s->pending_since = 0;
	free(s->uri);
	free(s->base);
	free(s->pass_id);
	s->uri = s->base = s->pass_id = NULL;
	s->have_pass = s->have_states = s->have_account = 0;
	status_names_clear(s->names);
	s->read_only = 1;
	return 0;
}

long status_lag(const struct status *s, time_t now)
{
	time_t since = 0;

	if (s->daemon == STATUS_NOT_RUNNING || s->daemon == STATUS_STOPPED)
		return -1;
	if (s->pending_since > 0)
		since = s->pending_since;
	if (s->down_since > 0 && (since == 0 || s->down_since < since))
		since = s->down_since;
	return since > 0 && now > since ? (long)(now - since) : 0;
}

int status_exit(const struct status *s)
{
	size_t k, blocked = 0;

	switch (s->daemon) {
	case STATUS_RUNNING:
		for (k = 0; s->have_states && k <= POL_ERROR; k++)
			if (k != POL_OK)
				blocked += s->states[k];
		return blocked > 0 ? 1 : 0;
	case STATUS_STANDBY:
		return 0;
	case STATUS_STARTING:
	case STATUS_OUTAGE:
	case STATUS_HELD:
		return 2;
	default:
		return 3;
	}
}

/* ---- the file in the state directory ---------------------------------------- */

/* A string as the file keeps it: backslash, and bytes below 0x20 or
 * 0x7f as \xNN, so every value is one line. */
static int put_escaped(struct buf *b, const char *v)
{
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p; p++) {
		int r = *p == '\\'                ? buf_puts(b, "\\\\")
		        : *p < 0x20 || *p == 0x7f ? buf_printf(b, "\\x%02x", *p)
		                                  : buf_add(b, p, 1);

		if (r < 0)
			return -1;
	}
	return 0;
}

/* The fields of the file: key, kind, where in struct status. */
enum fkind { F_STR, F_TIME, F_LONG, F_SIZE, F_ULONG, F_BOOL, F_DAEMON, F_RESULT };

#define FIELD(name) offsetof(struct status, name)

static const struct field {
	const char *key;
	enum fkind kind;
	size_t off;
} fields[] = {
    {"daemon", F_DAEMON, FIELD(daemon)},
    {"reason", F_STR, FIELD(reason)},
    {"pid", F_LONG, FIELD(pid)},
    {"version", F_STR, FIELD(version)},
    {"started", F_TIME, FIELD(started)},
    {"updated", F_TIME, FIELD(updated)},
    {"uri", F_STR, FIELD(uri)},
    {"base", F_STR, FIELD(base)},
    {"connected", F_BOOL, FIELD(connected)},
    {"down_since", F_TIME, FIELD(down_since)},
    {"last_change", F_TIME, FIELD(last_change)},
    {"pending_since", F_TIME, FIELD(pending_since)},
    {"last_success", F_TIME, FIELD(last_success)},
    {"pass", F_BOOL, FIELD(have_pass)},
    {"pass_read_only", F_BOOL, FIELD(read_only)},
    {"pass_id", F_STR, FIELD(pass_id)},
    {"pass_end", F_TIME, FIELD(pass_end)},
    {"pass_ms", F_ULONG, FIELD(pass_ms)},
    {"pass_result", F_RESULT, FIELD(pass_result)},
    {"objects", F_SIZE, FIELD(objects)},
    {"taken", F_SIZE, FIELD(taken)},
    {"changed", F_SIZE, FIELD(changed)},
    {"writes", F_SIZE, FIELD(writes)},
    {"refused", F_SIZE, FIELD(refused)},
    {"stale", F_SIZE, FIELD(stale)},
    {"unanswered", F_SIZE, FIELD(unanswered)},
    {"deletions", F_SIZE, FIELD(deletions)},
    {"states", F_BOOL, FIELD(have_states)},
    {"account", F_BOOL, FIELD(have_account)},
    {"licences", F_LONG, FIELD(licences)},
    {"licences_used", F_LONG, FIELD(licences_used)},
    {"licences_waiting", F_LONG, FIELD(licences_waiting)},
    {"storage_mb", F_LONG, FIELD(storage_mb)},
    {"allocated_mb", F_LONG, FIELD(allocated_mb)},
};

#undef FIELD

#define FILE_HEADER "# dirmail: the daemon's status, read by dirmail status\n"

int status_format(const struct status *s, struct buf *out)
{
	const char *base = (const char *)s;
	size_t i, k;
	int r = buf_puts(out, FILE_HEADER);

	for (i = 0; r == 0 && i < NELEM(fields); i++) {
		const void *at = base + fields[i].off;

		switch (fields[i].kind) {
		case F_STR:
			if (*(char *const *)at == NULL)
				continue;
			r = buf_printf(out, "%s ", fields[i].key);
			if (r == 0)
				r = put_escaped(out, *(char *const *)at);
			break;
		case F_TIME:
			r = buf_printf(out, "%s %lld", fields[i].key,
			               (long long)*(const time_t *)at);
			break;
		case F_LONG:
			r = buf_printf(out, "%s %ld", fields[i].key, *(const long *)at);
			break;
		case F_SIZE:
			r = buf_printf(out, "%s %zu", fields[i].key, *(const size_t *)at);
			break;
		case F_ULONG:
			r = buf_printf(out, "%s %lu", fields[i].key, *(const unsigned long *)at);
			break;
		case F_BOOL:
			r = buf_printf(out, "%s %d", fields[i].key, *(const int *)at != 0);
			break;
		case F_DAEMON:
			r = buf_printf(out, "%s %s", fields[i].key,
			               status_daemon_name(*(const enum status_daemon *)at));
			break;
		case F_RESULT:
			r = buf_printf(out, "%s %s", fields[i].key,
			               status_result_name(*(const enum status_result *)at));
			break;
		}
		if (r == 0)
			r = buf_puts(out, "\n");
	}
	for (k = 0; r == 0 && s->have_states && k <= POL_ERROR; k++)
		r = buf_printf(out, "count %s %zu\n", policy_state_name((enum pol_state)k),
		               s->states[k]);
	for (k = 0; r == 0 && k <= POL_ERROR; k++)
		for (i = 0; r == 0 && i < s->names[k].n; i++) {
			r = buf_printf(out, "name %s ", policy_state_name((enum pol_state)k));
			if (r == 0)
				r = put_escaped(out, s->names[k].dn[i]);
			if (r == 0)
				r = buf_puts(out, "\n");
		}
	return r;
}

/* The state kind named word, or -1. */
static int state_kind(const char *word, size_t len)
{
	int k;

	for (k = 0; k <= POL_ERROR; k++)
		if (strlen(policy_state_name((enum pol_state)k)) == len &&
		    strncmp(policy_state_name((enum pol_state)k), word, len) == 0)
			return k;
	return -1;
}

/* Undoes put_escaped on the len bytes at v into a new string (*out); 0,
 * -1 when they are not what put_escaped writes, -2 when out of memory. */
static int unescape(const char *v, size_t len, char **out)
{
	struct buf b = BUF_INIT;
	size_t i;
	int rc = -1;

	*out = NULL;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];
		int hi, lo;

		if (ch < 0x20 || ch == 0x7f)
			goto done;
		if (ch == '\\' && i + 1 < len && v[i + 1] == '\\') {
			i++;
		} else if (ch == '\\') {
			if (len - i < 4 || v[i + 1] != 'x' || (hi = buf_hexval(v[i + 2])) < 0 ||
			    (lo = buf_hexval(v[i + 3])) < 0)
				goto done;
			ch = (unsigned char)(hi << 4 | lo);
			if (ch == 0)
				goto done;
			i += 3;
		}
		if (buf_add(&b, &ch, 1) < 0) {
			rc = -2;
			goto done;
		}
	}
	if (buf_puts(&b, "") < 0) {
		rc = -2;
		goto done;
	}
	*out = buf_steal(&b);
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

/* A decimal number of at most 19 digits, possibly negative, for kinds
 * that allow it: 0, or -1. */
static int number(const char *v, size_t len, int neg_ok, long long *out)
{
	long long n = 0;
	size_t i = 0;
	int neg = 0;

	if (neg_ok && len > 0 && v[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == len || len - i > 18)
		return -1;
	for (; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	*out = neg ? -n : n;
	return 0;
}

/* The index of the len bytes at v among the n words of names, or -1. */
static int word_in(const char *const *names, int n, const char *v, size_t len)
{
	int k;

	for (k = 0; k < n; k++)
		if (strlen(names[k]) == len && strncmp(names[k], v, len) == 0)
			return k;
	return -1;
}

/* Sets the field f of s from the len bytes at v: 0, -1 when they are no
 * value of its kind, -2 when out of memory. */
static int set_field(struct status *s, const struct field *f, const char *v, size_t len)
{
	char *at = (char *)s + f->off, *str;
	long long n = 0;
	int k, r;

	switch (f->kind) {
	case F_STR:
		r = unescape(v, len, &str);
		if (r < 0)
			return r;
		free(*(char **)at);
		*(char **)at = str;
		return 0;
	case F_DAEMON:
		if ((k = word_in(daemon_names, STATUS_NDAEMON, v, len)) < 0)
			return -1;
		*(enum status_daemon *)at = (enum status_daemon)k;
		return 0;
	case F_RESULT:
		if ((k = word_in(result_names, STATUS_NRESULTS, v, len)) < 0)
			return -1;
		*(enum status_result *)at = (enum status_result)k;
		return 0;
	default:
		break;
	}
	if (number(v, len, f->kind == F_LONG, &n) < 0)
		return -1;
	switch (f->kind) {
	case F_TIME:
		*(time_t *)at = (time_t)n;
		break;
	case F_LONG:
		*(long *)at = (long)n;
		break;
	case F_SIZE:
		*(size_t *)at = (size_t)n;
		break;
	case F_ULONG:
		*(unsigned long *)at = (unsigned long)n;
		break;
	default: /* F_BOOL */
		if (n > 1)
			return -1;
		*(int *)at = (int)n;
		break;
	}
	return 0;
}

/* One "count KIND N" or "name KIND DN" line's value (rest, len bytes). */
static int set_state_line(struct status *s, int is_name, const char *rest, size_t len)
{
	const char *sp = memchr(rest, ' ', len);
	long long n;
	char *dn;
	int k, r;

	if (sp == NULL || (k = state_kind(rest, (size_t)(sp - rest))) < 0)
		return -1;
	len -= (size_t)(sp + 1 - rest);
	rest = sp + 1;
	if (!is_name) {
		if (number(rest, len, 0, &n) < 0)
			return -1;
		s->states[k] = (size_t)n;
		return 0;
	}
	if (k == POL_OK || s->names[k].n == STATUS_NAMES)
		return -1;
	r = unescape(rest, len, &dn);
	if (r < 0)
		return r;
	s->names[k].dn[s->names[k].n++] = dn;
	return 0;
}

int status_parse(const char *text, struct status *s, struct buf *err)
{
	const char *p = text, *nl;
	unsigned long no = 0;

	for (; *p; p = *nl ? nl + 1 : nl) {
		const char *sp;
		size_t len, klen, i;
		int r = 0;

		no++;
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		len = (size_t)(nl - p);
		if (len == 0 || p[0] == '#')
			continue;
		sp = memchr(p, ' ', len);
		if (sp == NULL) {
			(void)!buf_printf(err, "%lu: not \"key value\"", no);
			return -1;
		}
		klen = (size_t)(sp - p);
		if (klen == 5 && strncmp(p, "count", 5) == 0) {
			r = set_state_line(s, 0, sp + 1, len - klen - 1);
		} else if (klen == 4 && strncmp(p, "name", 4) == 0) {
			r = set_state_line(s, 1, sp + 1, len - klen - 1);
		} else {
			for (i = 0; i < NELEM(fields); i++)
				if (strlen(fields[i].key) == klen &&
				    strncmp(fields[i].key, p, klen) == 0)
					break;
			if (i < NELEM(fields))
				r = set_field(s, &fields[i], sp + 1, len - klen - 1);
		}
		if (r == -2) {
			(void)!buf_printf(err, "%lu: out of memory", no);
			return -1;
		}
		if (r < 0) {
			(void)!buf_printf(err, "%lu: not a value of %.*s", no, (int)klen, p);
			return -1;
		}
	}
	return 0;
}

/* ---- renderings --------------------------------------------------------------- */

/* Appends t as ISO 8601 in UTC, "2026-12-07T01:15:00Z". */
static int put_time(struct buf *b, time_t t)
{
	struct tm tm;
	char s[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return buf_printf(b, "%lld", (long long)t);
	return buf_puts(b, s);
}

/* Appends v with control characters masked, for a terminal. */
static int put_masked(struct buf *b, const char *v)
{
	size_t len = strlen(v);
	char *m = malloc(len + 1);
	int r;

	if (m == NULL)
		return -1;
	log_mask(v, m, len + 1);
	r = buf_puts(b, m);
	free(m);
	return r;
}

/* Appends the UTF-8 text v with quote, backslash and line feed escaped
 * (and, for JSON, every control character); a byte that starts no
 * well-formed character becomes U+FFFD, which both formats want valid. */
static int put_quoted(struct buf *b, const char *v, int json)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t left = strlen(v);
	int r = buf_puts(b, "\"");

	while (r == 0 && left > 0) {
		uint32_t cp;
		size_t n = utf8_decode(p, left, &cp);

		if (n == 0) {
			r = buf_puts(b, "\xef\xbf\xbd");
			n = 1;
		} else if (*p == '"' || *p == '\\') {
			r = buf_printf(b, "\\%c", *p);
		} else if (*p == '\n') {
			r = buf_puts(b, "\\n");
		} else if (json && (*p < 0x20 || *p == 0x7f)) {
			r = buf_printf(b, "\\u%04x", *p);
		} else {
			r = buf_add(b, p, n);
		}
		p += n;
		left -= n;
	}
	return r == 0 ? buf_puts(b, "\"") : r;
}

/* -- text -- */

#define LABEL "%-16s"

static int text_daemon(const struct status *s, struct buf *out)
{
	int r = buf_printf(out, LABEL "%s", "daemon", status_daemon_name(s->daemon));

	if (r == 0 && s->daemon != STATUS_NOT_RUNNING && s->daemon != STATUS_STOPPED) {
		r = buf_printf(out, ", pid %ld", s->pid);
		if (r == 0 && s->started > 0)
			r = buf_puts(out, ", started ") < 0 || put_time(out, s->started) < 0 ? -1
			                                                                     : 0;
		if (r == 0 && s->version != NULL)
			r = buf_printf(out, ", dirmail %s", s->version);
	} else if (r == 0 && s->daemon == STATUS_STOPPED && s->updated > 0) {
		r = buf_puts(out, " at ") < 0 || put_time(out, s->updated) < 0 ? -1 : 0;
	}
	if (r == 0 && s->reason != NULL)
		r = buf_puts(out, ": ") < 0 || put_masked(out, s->reason) < 0 ? -1 : 0;
	return r == 0 ? buf_puts(out, "\n") : r;
}

static int text_directory(const struct status *s, time_t now, struct buf *out)
{
	long lag = status_lag(s, now);
	int r = 0;

	if (s->uri == NULL && s->base == NULL)
		return 0;
	r = buf_printf(out, LABEL, "directory");
	if (r == 0)
		r = put_masked(out, s->uri ? s->uri : "(none)");
	if (r == 0 && s->base != NULL)
		r = buf_puts(out, " under \"") < 0 || put_masked(out, s->base) < 0 ||
		            buf_puts(out, "\"") < 0
		        ? -1
		        : 0;
	if (r == 0 && s->read_only)
		r = buf_puts(out, ", read by this command");
	else if (r == 0 && s->connected)
		r = buf_puts(out, ", following changes");
	else if (r == 0 && s->down_since > 0)
		r = buf_puts(out, ", out of reach since ") < 0 || put_time(out, s->down_since) < 0
		        ? -1
		        : 0;
	else if (r == 0 && lag >= 0)
		r = buf_puts(out, ", not connected");
	if (r == 0)
		r = buf_puts(out, "\n");
	if (r == 0 && lag >= 0) {
		r = buf_printf(out, LABEL "%ld s", "sync lag", lag);
		if (r == 0 && s->last_change > 0)
			r = buf_puts(out, ", last change seen ") < 0 ||
			            put_time(out, s->last_change) < 0
			        ? -1
			        : 0;
		if (r == 0)
			r = buf_puts(out, "\n");
	}
	return r;
}

static int text_pass(const struct status *s, struct buf *out)
{
	int r;

	if (!s->have_pass && s->read_only)
		return buf_printf(out, LABEL "none: the directory could not be read\n", "pass now");
	if (!s->have_pass)
		return buf_printf(out, LABEL "none yet\n", "last pass");
	if (s->read_only)
		return buf_printf(
		    out,
		    LABEL "read-only, %lu ms, nothing written%s%s\n" LABEL
		          "%zu objects read; a pass would change %zu with %zu writes "
		          "and %zu deletions\n",
		    "pass now", s->pass_ms, s->pass_result == STATUS_CONVERGED ? "" : ": ",
		    s->pass_result == STATUS_CONVERGED ? "" : status_result_name(s->pass_result),
		    "", s->objects, s->changed, s->writes, s->deletions);
	r = buf_printf(out, LABEL "%s, ended ", "last pass", status_result_name(s->pass_result));
	if (r == 0)
		r = put_time(out, s->pass_end);
	if (r == 0)
		r = buf_printf(out, " after %lu ms", s->pass_ms);
	if (r == 0 && s->pass_id != NULL)
		r = buf_puts(out, " (pass ") < 0 || put_masked(out, s->pass_id) < 0 ||
		            buf_puts(out, ")") < 0
		        ? -1
		        : 0;
	if (r == 0)
		r = buf_printf(out,
		               "\n" LABEL "%zu objects, %zu taken anew, %zu changed, %zu writes "
		               "(%zu refused, %zu stale, %zu unanswered), %zu deletions\n",
		               "", s->objects, s->taken, s->changed, s->writes, s->refused,
		               s->stale, s->unanswered, s->deletions);
	return r;
}

static int text_figures(const struct status *s, struct buf *out)
{
	size_t k, i;
	int r = 0;

	if (s->have_account) {
		long free_ = s->licences - s->licences_used;

		r = buf_printf(out, LABEL "%ld of %ld used, %ld free, %ld waiting%s\n", "licences",
		               s->licences_used, s->licences, free_ > 0 ? free_ : 0,
		               s->licences_waiting,
		               s->licences_used > s->licences ? " (over-licence)" : "");
		if (r == 0 && s->storage_mb > 0)
			r = buf_printf(
			    out, LABEL "%ld MB of %ld MB allocated (%ld%%%s)\n", "storage",
			    s->allocated_mb, s->storage_mb,
			    (long)((double)s->allocated_mb * 100.0 / (double)s->storage_mb),
			    s->allocated_mb > s->storage_mb ? ", over-allocated" : "");
		else if (r == 0)
			r = buf_printf(out, LABEL "%ld MB allocated, no total set\n", "storage",
			               s->allocated_mb);
	}
	if (r < 0 || !s->have_states)
		return r;
	r = buf_printf(out, LABEL, "objects");
	for (k = 0; r == 0 && k <= POL_ERROR; k++)
		r = buf_printf(out, "%s%zu %s", k ? ", " : "", s->states[k],
		               policy_state_name((enum pol_state)k));
	if (r == 0)
		r = buf_puts(out, "\n");
	for (k = 1; r == 0 && k <= POL_ERROR; k++) {
		for (i = 0; r == 0 && i < s->names[k].n; i++)
			r = buf_printf(out, LABEL, i ? "" : policy_state_name((enum pol_state)k)) <
			                0 ||
			            put_masked(out, s->names[k].dn[i]) < 0 ||
			            buf_puts(out, "\n") < 0
			        ? -1
			        : 0;
		if (r == 0 && s->states[k] > s->names[k].n && s->names[k].n > 0)
			r = buf_printf(out, LABEL "and %zu more\n", "",
			               s->states[k] - s->names[k].n);
	}
	return r;
}

int status_render_text(const struct status *s, time_t now, struct buf *out)
{
	if (text_daemon(s, out) < 0 || text_directory(s, now, out) < 0 || text_pass(s, out) < 0)
		return -1;
	if (s->daemon != STATUS_NOT_RUNNING || s->last_success > 0) {
		if (buf_printf(out, LABEL, "last success") < 0 ||
		    (s->last_success > 0 ? put_time(out, s->last_success)
		                         : buf_puts(out, "never")) < 0 ||
		    buf_puts(out, "\n") < 0)
			return -1;
	}
	if (text_figures(s, out) < 0)
		return -1;
	/* When a running daemon last wrote it: one that hangs stops. */
	if (s->daemon != STATUS_NOT_RUNNING && s->daemon != STATUS_STOPPED && s->updated > 0 &&
	    (buf_printf(out, LABEL "written ", "status") < 0 || put_time(out, s->updated) < 0 ||
	     buf_puts(out, "\n") < 0))
		return -1;
	return 0;
}

/* -- JSON -- */

static int json_str(struct buf *b, const char *v)
{
	return v == NULL ? buf_puts(b, "null") : put_quoted(b, v, 1);
}

static int json_time(struct buf *b, time_t t)
{
	if (t <= 0)
		return buf_puts(b, "null");
	return buf_puts(b, "\"") < 0 || put_time(b, t) < 0 ? -1 : buf_puts(b, "\"");
}

static int json_daemon(const struct status *s, struct buf *out)
{
	int r = buf_printf(out, "  \"daemon\": {\n    \"state\": \"%s\",\n    \"reason\": ",
	                   status_daemon_name(s->daemon));

	if (r == 0)
		r = json_str(out, s->reason);
	if (r == 0)
		r = s->pid > 0 ? buf_printf(out, ",\n    \"pid\": %ld", s->pid)
		               : buf_puts(out, ",\n    \"pid\": null");
	if (r == 0)
		r = buf_puts(out, ",\n    \"version\": ") < 0 || json_str(out, s->version) < 0 ? -1
		                                                                               : 0;
	if (r == 0)
		r = buf_puts(out, ",\n    \"started\": ") < 0 || json_time(out, s->started) < 0 ? -1
		                                                                                : 0;
	if (r == 0)
		r = buf_puts(out, ",\n    \"updated\": ") < 0 || json_time(out, s->updated) < 0 ? -1
		                                                                                : 0;
	return r == 0 ? buf_puts(out, "\n  },\n") : r;
}

static int json_directory(const struct status *s, time_t now, struct buf *out)
{
	long lag = status_lag(s, now);
	int r = buf_puts(out, "  \"directory\": {\n    \"uri\": ");

	if (r == 0)
		r = json_str(out, s->uri);
	if (r == 0)
		r = buf_puts(out, ",\n    \"base\": ") < 0 || json_str(out, s->base) < 0 ? -1 : 0;
	if (r == 0)
		r = buf_printf(out, ",\n    \"connected\": %s,\n    \"down_since\": ",
		               s->connected ? "true" : "false");
	if (r == 0)
		r = json_time(out, s->down_since);
	if (r == 0)
		r = buf_puts(out, ",\n    \"last_change\": ") < 0 ||
		            json_time(out, s->last_change) < 0
		        ? -1
		        : 0;
	if (r == 0)
		r = lag >= 0 ? buf_printf(out, ",\n    \"sync_lag_seconds\": %ld", lag)
		             : buf_puts(out, ",\n    \"sync_lag_seconds\": null");
	return r == 0 ? buf_puts(out, "\n  },\n") : r;
}

static int json_pass(const struct status *s, struct buf *out)
{
	int r;

	if (!s->have_pass)
		return buf_puts(out, "  \"last_pass\": null,\n");
	r = buf_printf(out, "  \"last_pass\": {\n    \"kind\": \"%s\",\n    \"id\": ",
	               s->read_only ? "read-only" : "daemon");
	if (r == 0)
		r = json_str(out, s->pass_id);
	if (r == 0)
		r = buf_puts(out, ",\n    \"ended\": ") < 0 || json_time(out, s->pass_end) < 0 ? -1
		                                                                               : 0;
	if (r == 0)
		r = buf_printf(
		    out,
		    ",\n    \"ms\": %lu,\n    \"result\": \"%s\",\n    \"objects\": %zu,\n"
		    "    \"taken\": %zu,\n    \"changed\": %zu,\n    \"writes\": %zu,\n"
		    "    \"refused\": %zu,\n    \"stale\": %zu,\n    \"unanswered\": %zu,\n"
		    "    \"deletions\": %zu\n  },\n",
		    s->pass_ms, status_result_name(s->pass_result), s->objects, s->taken,
		    s->changed, s->writes, s->refused, s->stale, s->unanswered, s->deletions);
	return r;
}

static int json_figures(const struct status *s, struct buf *out)
{
	long free_ = s->licences - s->licences_used;
	size_t k, i;
	int r;

	r = buf_puts(out, "  \"last_success\": ") < 0 || json_time(out, s->last_success) < 0 ||
	            buf_puts(out, ",\n") < 0
	        ? -1
	        : 0;
	if (r == 0 && s->have_account)
		r = buf_printf(out,
		               "  \"licences\": {\n    \"purchased\": %ld,\n    \"used\": %ld,\n"
		               "    \"free\": %ld,\n    \"waiting\": %ld\n  },\n"
		               "  \"storage_mb\": {\n    \"purchased\": %ld,\n"
		               "    \"allocated\": %ld\n  },\n",
		               s->licences, s->licences_used, free_ > 0 ? free_ : 0,
		               s->licences_waiting, s->storage_mb, s->allocated_mb);
	else if (r == 0)
		r = buf_puts(out, "  \"licences\": null,\n  \"storage_mb\": null,\n");
	if (r == 0 && !s->have_states)
		return buf_puts(out, "  \"objects\": null,\n  \"blocked\": null\n");
	if (r == 0)
		r = buf_puts(out, "  \"objects\": {");
	for (k = 0; r == 0 && k <= POL_ERROR; k++)
		r = buf_printf(out, "%s\n    \"%s\": %zu", k ? "," : "",
		               policy_state_name((enum pol_state)k), s->states[k]);
	if (r == 0)
		r = buf_puts(out, "\n  },\n  \"blocked\": {");
	for (k = 1; r == 0 && k <= POL_ERROR; k++) {
		r = buf_printf(out, "%s\n    \"%s\": [", k > 1 ? "," : "",
		               policy_state_name((enum pol_state)k));
		for (i = 0; r == 0 && i < s->names[k].n; i++)
			r = buf_printf(out, "%s\n      ", i ? "," : "") < 0 ||
			            json_str(out, s->names[k].dn[i]) < 0
			        ? -1
			        : 0;
		if (r == 0)
			r = buf_puts(out, s->names[k].n ? "\n    ]" : "]");
	}
	return r == 0 ? buf_puts(out, "\n  }\n") : r;
}

int status_render_json(const struct status *s, time_t now, struct buf *out)
{
	if (buf_puts(out, "{\n") < 0 || json_daemon(s, out) < 0 ||
	    json_directory(s, now, out) < 0 || json_pass(s, out) < 0 || json_figures(s, out) < 0)
		return -1;
	return buf_puts(out, "}\n");
}

/* -- Prometheus -- */

static int prom_family(struct buf *b, const char *name, const char *type, const char *help)
{
	return buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Appends one sample: name{label="value"} number; label NULL: none. */
static int prom_sample(struct buf *b, const char *name, const char *label, const char *value,
                       const char *number)
{
	int r = buf_puts(b, name);

	if (r == 0 && label != NULL)
		r = buf_printf(b, "{%s=", label) < 0 || put_quoted(b, value, 0) < 0 ||
		            buf_puts(b, "}") < 0
		        ? -1
		        : 0;
	return r == 0 ? buf_printf(b, " %s\n", number) : r;
}

static int prom_gauge(struct buf *b, const char *name, const char *help, long long v)
{
	char n[24];

	snprintf(n, sizeof(n), "%lld", v);
	return prom_family(b, name, "gauge", help) < 0 ? -1 : prom_sample(b, name, NULL, NULL, n);
}

/* Milliseconds as seconds, "1.234". */
static void secs(char *out, size_t len, unsigned long long ms)
{
	snprintf(out, len, "%llu.%03llu", ms / 1000, ms % 1000);
}

static int prom_daemon(const struct status *s, time_t now, struct buf *b)
{
	char n[32];
	long lag = status_lag(s, now);
	int k, r = 0;

	if (s->version != NULL)
		r = prom_family(b, "dirmail_build_info", "gauge",
		                "The version of the dirmail daemon, as a label; always 1.") < 0 ||
		            prom_sample(b, "dirmail_build_info", "version", s->version, "1") < 0
		        ? -1
		        : 0;
	if (r == 0)
		r = prom_family(b, "dirmail_daemon_state", "gauge",
		                "What the daemon is doing: 1 for the state it is in, 0 for the "
		                "others.");
	for (k = STATUS_STARTING; r == 0 && k < STATUS_NDAEMON; k++)
		r = prom_sample(b, "dirmail_daemon_state", "state", daemon_names[k],
		                s->daemon == (enum status_daemon)k ? "1" : "0");
	if (r == 0)
		r = prom_gauge(b, "dirmail_start_time_seconds",
		               "When the daemon started, in seconds since the epoch.",
		               (long long)s->started);
	if (r == 0)
		r = prom_family(b, "dirmail_directory_up", "gauge",
		                "1 when the daemon follows the changes of the directory server "
		                "uri, 0 when it is not connected.") < 0 ||
		            prom_sample(b, "dirmail_directory_up", "uri", s->uri ? s->uri : "",
		                        s->connected ? "1" : "0") < 0
		        ? -1
		        : 0;
	if (r == 0 && lag >= 0)
		r = prom_gauge(b, "dirmail_sync_lag_seconds",
		               "How far the applied state may be behind the directory: since the "
		               "oldest change not applied yet or the start of an outage; 0 when "
		               "up to date.",
		               lag);
	if (r == 0)
		r = prom_gauge(b, "dirmail_last_change_timestamp_seconds",
		               "When the directory last reported a change, in seconds since the "
		               "epoch; 0 before the first.",
		               (long long)s->last_change);
	snprintf(n, sizeof(n), "%llu", s->changes);
	if (r == 0)
		r = prom_family(b, "dirmail_changes_total", "counter",
		                "Changes the directory reported since the daemon started.") < 0 ||
		            prom_sample(b, "dirmail_changes_total", NULL, NULL, n) < 0
		        ? -1
		        : 0;
	return r;
}

static int prom_passes(const struct status *s, struct buf *b)
{
	unsigned long long cum = 0, count = 0;
	char n[32], le[32];
	size_t k;
	int r;

	r = prom_family(b, "dirmail_passes_total", "counter",
	                "Passes since the daemon started, by how they ended.");
	for (k = 0; r == 0 && k < STATUS_NRESULTS; k++) {
		snprintf(n, sizeof(n), "%llu", s->passes[k]);
		r = prom_sample(b, "dirmail_passes_total", "result", result_names[k], n);
		count += s->passes[k];
	}
	if (r == 0)
		r = prom_family(b, "dirmail_pass_duration_seconds", "histogram",
		                "How long the daemon's passes took.");
	for (k = 0; r == 0 && k <= STATUS_NBUCKETS; k++) {
		cum += s->duration[k];
		if (k < STATUS_NBUCKETS)
			secs(le, sizeof(le), status_buckets_ms[k]);
		else
			snprintf(le, sizeof(le), "+Inf");
		snprintf(n, sizeof(n), "%llu", cum);
		r = prom_sample(b, "dirmail_pass_duration_seconds_bucket", "le", le, n);
	}
	secs(n, sizeof(n), s->duration_ms);
	if (r == 0)
		r = prom_sample(b, "dirmail_pass_duration_seconds_sum", NULL, NULL, n);
	snprintf(n, sizeof(n), "%llu", count);
	if (r == 0)
		r = prom_sample(b, "dirmail_pass_duration_seconds_count", NULL, NULL, n);
	if (r == 0)
		r = prom_gauge(b, "dirmail_last_pass_timestamp_seconds",
		               "When the last pass ended, in seconds since the epoch; 0 before the "
		               "first.",
		               (long long)(s->have_pass ? s->pass_end : 0));
	if (r == 0)
		r = prom_gauge(b, "dirmail_last_success_timestamp_seconds",
		               "When the last pass that converged ended, in seconds since the "
		               "epoch; 0 before the first.",
		               (long long)s->last_success);
	return r;
}

static int prom_writes(const struct status *s, struct buf *b)
{
	char n[32];
	size_t i, k;
	int r = 0;

	if (s->nattrs > 0)
		r = prom_family(b, "dirmail_writes_total", "counter",
		                "Writes since the daemon started, by attribute changed ((add) and "
		                "(delete) for mail contacts) and outcome.");
	for (i = 0; r == 0 && i < s->nattrs; i++)
		for (k = 0; r == 0 && k < REC_NOUTCOMES; k++) {
			if (s->attrs[i].n[k] == 0)
				continue;
			snprintf(n, sizeof(n), "%llu", s->attrs[i].n[k]);
			r = buf_puts(b, "dirmail_writes_total{attribute=") < 0 ||
			            put_quoted(b, s->attrs[i].attr, 0) < 0 ||
			            buf_printf(b, ",result=\"%s\"} %s\n", outcome_names[k], n) < 0
			        ? -1
			        : 0;
		}
	if (r == 0 && s->nrefusals > 0)
		r = prom_family(b, "dirmail_refusals_total", "counter",
		                "Writes the server refused since the daemon started, by its "
		                "result.");
	for (i = 0; r == 0 && i < s->nrefusals; i++) {
		snprintf(n, sizeof(n), "%llu", s->refusals[i].n);
		r = prom_sample(b, "dirmail_refusals_total", "reason", s->refusals[i].reason, n);
	}
	return r;
}

static int prom_figures(const struct status *s, struct buf *b)
{
	long free_ = s->licences - s->licences_used;
	char n[32];
	size_t k;
	int r = 0;

	if (s->have_states)
		r = prom_family(b, "dirmail_objects", "gauge",
		                "Users and lists by the kind of their dirmailState after the last "
		                "pass.");
	for (k = 0; r == 0 && s->have_states && k <= POL_ERROR; k++) {
		snprintf(n, sizeof(n), "%zu", s->states[k]);
		r = prom_sample(b, "dirmail_objects", "state", policy_state_name((enum pol_state)k),
		                n);
	}
	if (r < 0 || !s->have_account)
		return r;
	if (prom_gauge(b, "dirmail_licences_purchased",
	               "POP/IMAP licences the account has (dirmailLicences).", s->licences) < 0 ||
	    prom_gauge(b, "dirmail_licences_used",
	               "POP/IMAP mailboxes holding a licence after the last pass.",
	               s->licences_used) < 0 ||
	    prom_gauge(b, "dirmail_licences_free", "POP/IMAP licences left to hand out.",
	               free_ > 0 ? free_ : 0) < 0 ||
	    prom_gauge(b, "dirmail_licences_waiting",
	               "Users waiting for a POP/IMAP licence (over-licence).",
	               s->licences_waiting) < 0 ||
	    prom_gauge(b, "dirmail_storage_purchased_bytes",
	               "Storage the account has (dirmailStorageTotal); 0 when it sets none.",
	               (long long)s->storage_mb * 1048576) < 0 ||
	    prom_gauge(b, "dirmail_storage_allocated_bytes",
	               "What the mailboxes' quotas add up to, an unlimited one counted as the "
	               "account's storage.",
	               (long long)s->allocated_mb * 1048576) < 0)
		return -1;
	return 0;
}

int status_render_prom(const struct status *s, time_t now, struct buf *out)
{
	if (prom_daemon(s, now, out) < 0 || prom_passes(s, out) < 0 || prom_writes(s, out) < 0 ||
	    prom_figures(s, out) < 0)
		return -1;
	return 0;
}
