/* status.h - what the daemon is doing and what its last pass found.
 * One plain snapshot, kept by the daemon in the state directory for
 * dirmail status, and its renderings: text for people, JSON for scripts,
 * Prometheus's text exposition for node_exporter's textfile collector. */
#ifndef DIRMAIL_STATUS_H
#define DIRMAIL_STATUS_H

#include <stddef.h>
#include <time.h>

#include "attrs.h"
#include "buf.h"
#include "ldapc.h"
#include "policy.h"
#include "reconcile.h"

/* How many DNs of each blocked kind of state the snapshot keeps. */
#define STATUS_NAMES 5

/* What the daemon is doing (dirmail status's first line). */
enum status_daemon {
	STATUS_NOT_RUNNING, /* no daemon: never here, or it did not stop cleanly */
	STATUS_STARTING,    /* the first pass has not ended */
	STATUS_RUNNING,     /* following changes */
	STATUS_OUTAGE,      /* the directory is out of reach or refuses the sync */
	STATUS_HELD,        /* nothing is written: past the delete threshold, or no usable
	                     * account entry */
	STATUS_STANDBY,     /* following changes; another instance holds the lease */
	STATUS_STOPPED,     /* stopped cleanly */
};
#define STATUS_NDAEMON (STATUS_STOPPED + 1)

/* How a pass ended. */
enum status_result {
	STATUS_CONVERGED,   /* everything written (blocked objects included) */
	STATUS_PASS_HELD,   /* past the delete threshold: nothing but the account's state */
	STATUS_INCOMPLETE,  /* refused or stale writes left, or too few recipients seen */
	STATUS_FAILED,      /* the directory, the journal or the state directory failed */
	STATUS_INTERRUPTED, /* asked to stop */
};
#define STATUS_NRESULTS (STATUS_INTERRUPTED + 1)

/* The first DNs (in DN order, case ignored) of one kind of state. */
struct status_names {
	char *dn[STATUS_NAMES];
	size_t n;
};

/* The upper bounds of the pass duration histogram, in milliseconds. */
#define STATUS_NBUCKETS 14
extern const unsigned long status_buckets_ms[STATUS_NBUCKETS];

/* One attribute's writes by outcome (the metrics). */
struct status_attr_writes {
	char *attr; /* "(add)" and "(delete)" for whole entries */
	unsigned long long n[REC_NOUTCOMES];
};

/* Refusals of one LDAP result (the metrics). */
struct status_refusals {
	char *reason;
	unsigned long long n;
};

struct status {
	/* the daemon */
	enum status_daemon daemon;
	char *reason;   /* why it is in an outage, held or not running; NULL */
	long pid;       /* 0: none */
	char *version;  /* the daemon's PACKAGE_VERSION; NULL */
	time_t started; /* 0: unknown */
	time_t updated; /* when the daemon last wrote this; 0: never */
	/* the directory */
	char *uri;            /* the server followed (or read); NULL */
	char *base;           /* NULL */
	int connected;        /* 1: the daemon follows its changes */
	time_t down_since;    /* the outage's start; 0: none */
	time_t last_change;   /* when the change source last reported a change; 0 */
	time_t pending_since; /* the oldest change not applied yet; 0: none */
	/* the last pass */
	int have_pass;
	int read_only; /* 1: dirmail status's own pass, which writes nothing */
	char *pass_id; /* NULL */
	time_t pass_end;
	unsigned long pass_ms;
	enum status_result pass_result;
	size_t objects, taken, changed, writes, refused, stale, unanswered, deletions;
	time_t last_success; /* the end of the last converged pass; 0: none */
	/* the users and lists by state, as the last pass that counted them left
	 * them; names only for the blocked kinds */
	int have_states;
	size_t states[POL_ERROR + 1];
	struct status_names names[POL_ERROR + 1];
	/* the account entry, as that pass settled it */
	int have_account;
	long licences, licences_used, licences_waiting;
	long storage_mb, allocated_mb;
	/* counters since the daemon started: the metrics only, not kept in
	 * the file */
	unsigned long long passes[STATUS_NRESULTS];
	unsigned long long changes;
	unsigned long long duration[STATUS_NBUCKETS + 1]; /* per bucket, the last +Inf */
	unsigned long long duration_ms;                   /* their sum */
	struct status_attr_writes *attrs;
	size_t nattrs;
	struct status_refusals *refusals;
	size_t nrefusals;
};

/* Empties s (zeros, no strings); status_clear frees what it holds after. */
void status_init(struct status *s);
/* Frees every string and list of s and empties it; accepts NULL. */
void status_clear(struct status *s);
/* Frees the DNs of names[0 .. POL_ERROR] and empties them. */
void status_names_clear(struct status_names *names);
/* Replaces the string *field with a copy of v (NULL clears it); 0, or -1
 * when out of memory (then *field is unchanged). */
int status_set(char **field, const char *v) DM_WUR;

/* The word of a daemon state, a pass result: static storage. */
const char *status_daemon_name(enum status_daemon d);
const char *status_result_name(enum status_result r);
/* The result of a pass that returned the sysexits code rc with stats st. */
enum status_result status_result_of(int rc, const struct rec_stats *st);

/* rec_opts.state_of for names, an array of POL_ERROR + 1 status_names:
 * keeps the first STATUS_NAMES DNs of every kind but ok. A DN that cannot
 * be copied (out of memory) is left out: the names only illustrate. */
void status_note_state(const char *dn, enum pol_state k, void *names);
/* Takes in what a pass that returned rc, with stats st and the names
 * status_note_state collected, found and when it ended: its result and
 * counts always, the states, names and account figures when it got as far
 * as counting them (else those of the pass before stay); the names are
 * moved into s (names emptied either way). Counts it for the metrics.
 * 0, or -1 when out of memory. */
int status_take_pass(struct status *s, const struct rec_stats *st, struct status_names *names,
                     int rc, const char *pass_id, time_t end) DM_WUR;
/* rec_opts.outcome for the metrics, arg a struct status: counts a write
 * under each attribute it changes ("(add)" or "(delete)" for a whole
 * entry) and a refusal under its reason. Out of memory, the write is not
 * counted. */
void status_note_write(enum ldapc_write kind, const char *const *attrs, size_t nattrs,
                       enum rec_outcome r, const char *reason, void *arg);

/* Makes s, as read from the state directory, say that no daemon runs
 * (dirmail status): stopped when it stopped cleanly, else not running with
 * the reason (it did not stop cleanly, or no daemon ever wrote it); drops
 * the daemon's connection, pass and figures and marks s read-only, for the
 * read-only pass that gives them anew. 0, or -1 when out of memory. */
int status_gone(struct status *s) DM_WUR;

/* Seconds the applied state may be behind the directory at now: since
 * the oldest change not applied yet, or since the outage began (what
 * changed since is unknown), whichever is earlier; 0 when neither; -1
 * when no daemon follows the directory. */
long status_lag(const struct status *s, time_t now);

/* Appends the snapshot in the state directory's format (status_parse
 * reads it back; "key value" lines, strings escaped); 0, or -1 when out
 * of memory. The metrics' counters are not part of it. */
int status_format(const struct status *s, struct buf *out) DM_WUR;
/* Reads text, as status_format writes it, into s (status_init'ed; the
 * caller clears it): 0, or -1 with "LINE: reason" in err for a line that
 * is not one (unknown keys are skipped: a newer daemon's). */
int status_parse(const char *text, struct status *s, struct buf *err) DM_WUR;

/* Appends s for a person, at now: one "label  text" line per topic. 0, or
 * -1 when out of memory. */
int status_render_text(const struct status *s, time_t now, struct buf *out) DM_WUR;
/* Appends s as one JSON object (dirmail(8), STATUS, names its keys) and a
 * newline. 0, or -1 when out of memory. */
int status_render_json(const struct status *s, time_t now, struct buf *out) DM_WUR;
/* Appends s in Prometheus's text exposition format (version 0.0.4), each
 * family with HELP and TYPE. 0, or -1 when out of memory. */
int status_render_prom(const struct status *s, time_t now, struct buf *out) DM_WUR;

/* The exit status of dirmail status for s: 0 running with every user and
 * list ok, 1 running with some blocked, 2 a daemon that does not follow
 * the directory (starting, outage, held), 3 none running. */
int status_exit(const struct status *s);

#endif
