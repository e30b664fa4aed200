/* reconcile.h - one full pass: read, compute, journal, write.
 * Reads every recipient and list under the base, runs the policy over all
 * of them, diffs, and either prints the plan or journals and applies it. */
#ifndef DIRMAIL_RECONCILE_H
#define DIRMAIL_RECONCILE_H

#include <signal.h>
#include <stdio.h>

#include "account.h"
#include "attrs.h"
#include "cache.h"
#include "entry.h"
#include "journal.h"
#include "ldapc.h"
#include "policy.h"

/* One what-if value (plan --set): the pass is computed as if attr of the
 * object dn (NULL: the account entry) held value; the first set of an
 * attribute replaces what the directory holds, later ones add values, an
 * empty value removes the attribute. */
struct rec_set {
	const char *dn; /* normalised (ldapc_dn_norm), or NULL */
	const char *attr;
	const char *value;
};

/* What became of one write (rec_opts.outcome). */
enum rec_outcome {
	REC_OUT_SUCCESS,    /* the server applied it */
	REC_OUT_REFUSED,    /* the server said no */
	REC_OUT_STALE,      /* the assertion failed: the object changed since it was read */
	REC_OUT_UNANSWERED, /* sent, and the connection was lost before the answer */
	REC_OUT_UNSENT,     /* journaled, never sent: the pass stopped first */
};
#define REC_NOUTCOMES (REC_OUT_UNSENT + 1)

struct rec_opts {
	const char *base;      /* where the recipients live */
	int page_size;         /* RFC 2696 page size */
	int window;            /* writes in flight at most */
	int connections;       /* 2: read member filters on a second one */
	int dry_run;           /* compute and report, write nothing */
	FILE *plan;            /* non-NULL: print the changes as LDIF here, write nothing */
	int force;             /* go past the delete threshold */
	const char *only_dn;   /* apply the changes of this object only */
	const char *journal;   /* write-ahead journal (required to write) */
	const char *pass_id;   /* noted with each journal record (journal_pass_id); NULL none */
	const char *state_dir; /* where the last complete pass's count is kept; NULL: none */
	int min_seen_percent;  /* stop below this share of that count; 0: never */
	long journal_max_mb;   /* rotation size */
	const char *recipient_class;        /* see pol_ctx.recipient_class */
	const char *const *contact_classes; /* see pol_ctx.contact_classes */
	const struct rec_set *sets;         /* what-if values, for plan only */
	size_t nsets;
	/* Where the objects come from instead of a search under base: the
	 * daemon's cache of the recipients as the sync delivered them. The
	 * member filters, pre-images and re-reads of stale objects still go
	 * to the directory. NULL: read everything under base. */
	const struct cache *source;
	/* Past the delete threshold, write the account entry's dirmailState
	 * ("error: held: ...") instead of nothing (the daemon). */
	int hold;
	/* Set (by a signal handler) when the writer must stop: the writes in
	 * flight are answered, the ones journaled and not sent are marked
	 * unsent, and the pass returns EX_TEMPFAIL. NULL: never. */
	const volatile sig_atomic_t *interrupt;
	/* Asked before each write is sent: 0 stops the writer as interrupt
	 * does (the daemon's lease is no longer sure). NULL: always 1. */
	int (*may_write)(void *arg);
	void *may_write_arg;
	/* Non-NULL: the journal stays open between passes (the daemon): a
	 * pass uses *keep_journal, or opens the journal into it; the caller
	 * closes it (journal_close), and after a pass that returned EX_IOERR
	 * or EX_CANTCREAT closes it and sets it to NULL. */
	struct journal **keep_journal;
	/* Called with the DN of every write the server accepted (the daemon
	 * knows its own changes when they come back through the sync). */
	void (*written)(const char *dn, void *arg);
	void *written_arg;
	/* With source: what the policy made of the objects, kept from one
	 * pass to the next (the daemon's), so that a pass takes again only
	 * the objects the cache changed since and settles everything from
	 * there. NULL: every pass takes every object. */
	struct rec_memo *memo;
	/* The server has no RFC 4528 assertion control (Active Directory,
	 * Samba): writes carry none, and are guarded by the values they
	 * delete and add instead (the diff deletes only specific values): a
	 * value gone (noSuchAttribute) or there already (attributeOrValue-
	 * Exists) means someone changed the object since it was read, and it
	 * is read again like a failed assertion. */
	int no_assertion;
	/* Called now and then while a pass runs (every few objects read or
	 * changes sent): a long first pass still feeds systemd's watchdog.
	 * NULL: nothing. */
	void (*tick)(void *arg);
	void *tick_arg;
	/* Called for every user and list the summary counts, with the kind of
	 * its dirmailState after the pass (dirmail status names the first of
	 * each blocked kind). NULL: nothing. */
	void (*state_of)(const char *dn, enum pol_state k, void *arg);
	void *state_arg;
	/* Called with the outcome of every write the pass journaled (the
	 * daemon's metrics): its kind, the attributes a modify changes
	 * (borrowed for the call), and for a refusal the server's result name
	 * (journal_result_name). NULL: nothing. */
	void (*outcome)(enum ldapc_write kind, const char *const *attrs, size_t nattrs,
	                enum rec_outcome r, const char *reason, void *arg);
	void *outcome_arg;
};

/* What a daemon keeps between passes over its cache (rec_opts.memo). */
struct rec_memo;
struct rec_memo *rec_memo_new(void) DM_WUR;
void rec_memo_free(struct rec_memo *m);
/* The next pass takes every object again (a reload, a scheduled full
 * pass); a change of the account entry does that by itself. */
void rec_memo_forget(struct rec_memo *m);

struct rec_stats {
	size_t objects;   /* read */
	size_t taken;     /* of them, taken into the policy anew (rec_opts.memo) */
	size_t changed;   /* objects with changes */
	size_t writes;    /* writes sent (or planned) */
	size_t refused;   /* writes the server refused */
	size_t stale;     /* writes whose assertion failed: object read again */
	size_t unknown;   /* writes sent without a reply: outcome unknown */
	size_t left;      /* objects changed by others on every try: for the next pass */
	size_t deletions; /* mailboxes, addresses, list members and contacts removed */
	int held;         /* 1: past the delete threshold, the pass wrote no change */
	/* Users and lists (of --dn's selection) by the kind of their
	 * dirmailState after the pass, changed or not. */
	size_t states[POL_ERROR + 1];
	unsigned long ms; /* how long the pass took */
	/* 1 when the pass got as far as counting: states and the account's
	 * figures below are filled (a pass that failed reading has neither). */
	int settled;
	long licences;         /* the account's dirmailLicences */
	long licences_used;    /* POP/IMAP mailboxes holding one after the pass */
	long licences_waiting; /* users over-licence */
	long storage_mb;       /* the account's dirmailStorageTotal; 0: none */
	long allocated_mb;     /* what the mailboxes' limits add up to (pol_result) */
};

/* The exit status of reconcile (and --dry-run) when the pass converged
 * but some users or lists are blocked (a state other than ok): cron and
 * scripts tell it from a clean pass (0) and from a failed one (64..78). */
#define REC_EX_BLOCKED 1

/* The users and lists st counts in a state other than ok. */
size_t reconcile_blocked(const struct rec_stats *st);
/* What reconcile_summary adds to the fields every summary has. */
#define REC_SUM_TAKEN 1 /* taken=: the daemon's */
#define REC_SUM_MS 2    /* ms=: not in a plan, which is the same every time */
/* The pass's summary as one line of "name=value" fields, in a fixed
 * order (dirmail(8), OUTCOMES): objects, each state, taken, changed,
 * writes, refused, stale, unanswered, deletions, ms; taken and ms as
 * flags (REC_SUM_*) ask. 0, or -1 when out of memory. */
int reconcile_summary(const struct rec_stats *st, int flags, struct buf *out) DM_WUR;

/* What the daemon follows under the base: every recipient and the
 * account entry. The filter (static storage) and the attributes (the
 * recipients' and the account's, with entryUUID and the version the
 * assertions guard, NULL-terminated, static storage). */
const char *reconcile_sync_filter(void);
const char *const *reconcile_sync_attrs(void);
/* 1 when e is an account entry (objectClass dirmailAccount), else 0. */
int reconcile_is_account(const struct entry *e);

/* Finds the one dirmailAccount entry under base into *out (caller frees);
 * returns a sysexits code, having logged why when it is not EX_OK. */
int reconcile_find_account(struct ldapc *l, const char *base, int page_size,
                           struct entry **out) DM_WUR;
/* 1 when who (an operand naming an object) is a login, user@domain or
 * user+domain, rather than a DN: it holds no '='. */
int reconcile_is_login(const char *who);
/* Looks up the object the login (user@domain or user+domain) names, for
 * --dn, explain and passwd alike: the one entry under base of class
 * dirmailUser (or dirmailList too, when lists is 1) whose uid or
 * sAMAccountName is user, or whose mail or an smtp: proxyAddresses value
 * is user@domain (compared without case), domain being one of acct's. On
 * EX_OK *dn is its DN, a new string the caller frees; else *dn is NULL and
 * the reason logged: EX_DATAERR (not a login, a domain not the account's,
 * nobody or several answer), or the code of a failed search. */
int reconcile_find_login(struct ldapc *l, const struct account *acct, const char *base,
                         int page_size, const char *login, int lists, char **dn) DM_WUR;
/* Applies to e, in order, the sets whose dn is dn (compared without case;
 * dn NULL: the sets for the account entry); 0, or -1 when out of memory. */
int reconcile_apply_sets(struct entry *e, const char *dn, const struct rec_set *sets,
                         size_t n) DM_WUR;
/* Checks the account entry e as a pass needs it: parses it into *a (the
 * caller frees it with account_free, whatever the outcome) and reads every
 * entry it names (catch-all, address lists, Exchange database, contact
 * base), so that a bind which cannot see them stops before anything is
 * computed. Returns EX_OK, EX_CONFIG (each problem logged as "DN:
 * attribute: reason"; those of the entry's own values, not of what the
 * bind can read, added to why, when not NULL, as "attribute: reason",
 * "; " between them) or the code of a failed read. */
int reconcile_check_account(struct ldapc *l, const struct entry *e, struct account *a,
                            struct buf *why) DM_WUR;
/* An account entry reconcile_check_account refused gets its reasons in
 * its own dirmailState ("invalid: WHY"), journaled and guarded like any
 * write of a pass (o's journal, window, interrupt, keep_journal); nothing
 * else is written. EX_OK (also when the state says so already), or the
 * code of what failed. */
int reconcile_account_invalid(struct ldapc *l, const struct entry *acct_e, const char *why,
                              const struct rec_opts *o, struct rec_stats *st) DM_WUR;
/* Runs one pass for the account acct (parsed from the entry acct_e) and
 * fills st; returns a sysexits code: EX_OK, EX_UNAVAILABLE when the
 * directory went away, EX_DATAERR when the delete threshold or the share
 * of recipients seen (min_seen_percent) stopped the pass, a write was
 * refused or an object kept changing, EX_CANTCREAT when the journal cannot
 * be opened or the count not kept, EX_IOERR when the journal cannot be
 * written mid-pass.
 * Every problem is logged with the DN it concerns. */
int reconcile_run(struct ldapc *l, const struct account *acct, const struct entry *acct_e,
                  const struct rec_opts *o, struct rec_stats *st) DM_WUR;

/* dirmail explain: computes the whole pass as reconcile_run does (o's
 * only_dn names the object: a DN, or a login user@domain / user+domain),
 * writes nothing, and appends to out what it decided for that object and
 * why (explain_object). Returns a sysexits code like reconcile_run's;
 * EX_DATAERR, logged, when no user, list or contact is there. */
int reconcile_explain(struct ldapc *l, const struct account *acct, const struct entry *acct_e,
                      const struct rec_opts *o, struct buf *out) DM_WUR;

#endif
