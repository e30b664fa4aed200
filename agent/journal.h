/* journal.h - the write-ahead change journal.
 * An append-only LDIF file: each change is on disk before it is sent and
 * its result after it, so an auditor can verify, replay or revert a pass. */
#ifndef DIRMAIL_JOURNAL_H
#define DIRMAIL_JOURNAL_H

#include <time.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

struct journal; /* opaque; one thread at a time */

/* journal_end's code for a request that was sent, or may have been, and got
 * no reply (the connection was lost, the wait timed out): "result=unknown". */
#define JOURNAL_UNKNOWN (-1)
/* journal_end's code for a request journaled but never sent, so nothing
 * changed: "result=unsent". */
#define JOURNAL_UNSENT (-2)

/* The RFC 4511 name of an LDAP result code ("insufficientAccessRights"),
 * "unrecognized" for another; static storage. */
const char *journal_result_name(long code);

/* Opens (creating it 0600, O_APPEND|O_CLOEXEC) and locks (flock, refused
 * with "another dirmail is writing this journal" when held) the journal at path into
 * *out, to be closed with journal_close; a new or empty file gets "version:
 * 1", a file ending mid-record (a crash during a write) gets a blank line so
 * the next record stands alone. max_size_mb > 0 rotates, on open and before
 * a record while no request awaits its result or its reread note, a file
 * grown past that size: path.8 becomes path.9 (the oldest dropped) ...
 * path becomes path.1, and a new path is started; 0 or less never rotates.
 * -1 with "path: reason" in err; JOURNAL_BUSY when another process holds
 * the lock (a daemon writing it: try again later). */
#define JOURNAL_BUSY (-3)
int journal_open(const char *path, long max_size_mb, struct journal **out, struct buf *err) DM_WUR;
/* Like journal_open with the rotation size in bytes, so tests can rotate
 * small files; 0 or less never rotates. */
int journal_open_bytes(const char *path, long long max_bytes, struct journal **out,
                       struct buf *err) DM_WUR;
/* Writes one change before it is sent: the comment "# TIME req=ID rule=RULE
 * asserted=ASSERTION" (TIME is now as RFC 3339 UTC, "-" stands for a NULL
 * or empty rule or assertion, control characters are masked; the assertion
 * is only noted, the record carries no control so the journal replays with
 * ldapmodify -c), then the "# pass: " and "# bind: " comments of
 * journal_set_origin, then, when before is not NULL, the entry as it stood just
 * before the delete rec, one comment "# entry: LINE" per physical line
 * (continuation lines included, the blank line left out) of its LDIF
 * content record as ldifw_entry writes it (secrets left out), and then rec,
 * one complete change record as ldifw formats it ("dn: ..." through its
 * blank line); write()s it all in one piece and fdatasync()s before
 * returning. before is borrowed for the call; it must name the entry rec
 * deletes, and is refused with any record that is not a "changetype:
 * delete". Returns the request id (1, 2, ... increasing for the life of the
 * handle, continuing after the highest req= in the file, or in path.1 when
 * the file has none, when reopened), or -1 with "path: reason" in err when
 * rec is not one change record, names a secret attribute, before is refused
 * or cannot be written as LDIF, or the write fails (the file is then cut
 * back to its previous size). */
long journal_begin(struct journal *j, time_t now, const char *rule, const char *assertion,
                   const struct entry *before, const char *rec, struct buf *err) DM_WUR;
/* Sets what journal_begin writes after each req= comment from now on: the
 * comment "# pass: PASS" (the pass that makes the request, as
 * journal_pass_id gives it) and "# bind: BIND" (the identity the server
 * knows the connection by, as its Who am I? answers, RFC 4532), each left
 * out while NULL or empty, control characters masked; ldapmodify ignores
 * both and journal_verify accepts them. The strings are copied. 0, or -1
 * with "path: reason" in err. */
int journal_set_origin(struct journal *j, const char *pass, const char *bind,
                       struct buf *err) DM_WUR;
/* Appends to out the identifier of a pass started at start by process pid,
 * its n-th: "YYYYMMDDTHHMMSSZ-PID-N", the start in UTC (ISO 8601 basic),
 * unique across restarts and, by n, within a daemon. -1 when start is out
 * of range or memory runs out. */
int journal_pass_id(struct buf *out, time_t start, long pid, unsigned long n) DM_WUR;
/* Writes the result of request id, begun on this handle and not yet ended,
 * as the comment "# TIME req=ID result=CODE NAME TEXT" for an LDAP result
 * code (code >= 0; NAME is its RFC 4511 name such as "success",
 * "noSuchObject" or "assertionFailed", or "unrecognized" for a code without
 * one), "# TIME req=ID result=unknown TEXT" for JOURNAL_UNKNOWN or "# TIME
 * req=ID result=unsent TEXT" for JOURNAL_UNSENT; TEXT, a short error text
 * that may be NULL or empty (then left out with its space), has control
 * characters masked. A request that ends with 122 (assertionFailed) then
 * awaits its reread note (journal_reread). fdatasync()s it; 0, or -1 with
 * "path: reason" in err (any other negative code is refused). */
int journal_end(struct journal *j, long id, time_t now, int code, const char *text,
                struct buf *err) DM_WUR;
/* Writes the comment "# TIME req=ID reread" for request id, which ended
 * with 122 (assertionFailed) on this handle and has no reread note yet:
 * the pass read that object again and recomputed it, and what it still
 * needed follows as new requests (none when nothing was left to do). Call
 * it once the object has been read again, before beginning those requests;
 * a request never re-read keeps the file from rotating until the handle is
 * closed. 0, or -1 with "path: reason" in err when id awaits no reread on
 * this handle or the write fails. */
int journal_reread(struct journal *j, long id, time_t now, struct buf *err) DM_WUR;
/* With on set, journal_begin, journal_end and journal_reread write without
 * syncing: the caller calls journal_sync before it sends what was begun
 * (group commit: one fdatasync for a window of writes instead of two per
 * write). */
void journal_defer(struct journal *j, int on);
/* Syncs what was written since the last sync (nothing to do: 0); -1 with
 * "path: reason" in err. Nothing begun may be sent before this returns 0. */
int journal_sync(struct journal *j, struct buf *err) DM_WUR;
/* Closes the journal (syncing what is unsynced) and frees j; accepts NULL. */
void journal_close(struct journal *j);
/* Reads the journal file at path and checks it: it opens with "version:
 * 1", every record parses as ldapmodify's parser (libldap's
 * ldap_parse_ldif_record) reads it, carries no control and no URL value and
 * follows its req= comment, the "# entry: " comments before a delete parse
 * as the content record of the entry it deletes, and every request has a
 * result. Result comments are read in the three forms journal_end writes
 * (a NAME that is not the one of CODE is taken as the start of TEXT, so
 * "result=0" and "result=32 No such object" read too). Appends one line per
 * problem or failure to report, sorted by line ("path:LINE: not a valid
 * LDIF change record", "path:LINE: req=N: the entry before the delete does
 * not parse", ...; for a request, LINE is that of its req= comment, for
 * its entry that of the first "# entry: " comment, for a reread note its
 * own). Failures: "req=N failed: result=CODE NAME TEXT" for a code other
 * than 0; "req=N failed: result=122 assertionFailed TEXT (never re-read)"
 * for 122 without a later "reread" note (with one it is no failure);
 * "req=N outcome unknown: TEXT" for result=unknown; "req=N has no result
 * (outcome unknown)"; "req=N was not sent: TEXT" for result=unsent (": TEXT"
 * and " TEXT" are left out when there is no text). A reread note before
 * its result or for a request that did not end with 122 is a problem.
 * Returns the number of change records, or -1 when the file cannot be
 * read (report then gains just one line "path: reason") or a problem or
 * failure was found; *nfailed (nfailed may be NULL) is set to the number of
 * failed requests and those whose outcome is unknown. */
long journal_verify(const char *path, struct buf *report, long *nfailed) DM_WUR;
/* Appends to out ("version: 1" first, then records) the LDIF that reverts
 * the changes of the journal file at path whose result was 0 or whose
 * outcome is unknown (result=unknown, or no result at all) and whose req=
 * comment time is at or after since (0 = all), newest first: a modify
 * becomes the modify with each add turned into a delete of the same values
 * and each delete of values into an add, the mods in reverse order; an add
 * becomes a delete of that DN; a delete becomes an add of the entry its
 * "# entry: " comments noted before it, else of the entry as the newest
 * earlier add of the same DN in the file created it, with the modifies of
 * that DN in between applied (dirmail only deletes what it created); for
 * that build-up a change of unknown outcome counts as applied. Each emitted
 * record is preceded by the comment "# undo of req=ID (TIME)", and for a
 * change of unknown outcome also by "# outcome unknown: req=ID may not have
 * been applied; if it was not, ldapmodify -c reports this record failing,
 * harmlessly", with the report line "path:LINE: req=ID: outcome unknown;
 * its inverse is included". Records that cannot be reverted (a replace, an
 * increment, a delete of a whole attribute without values, a change of a
 * secret attribute, a delete whose entry's content is not in the file, a
 * modrdn, a record that does not parse, with since a req= comment whose
 * time does not parse) add one line "path:LINE: req=ID: cannot be
 * reverted: why" to report and are left out; LINE is that of the req=
 * comment, and the lines come in the order of the file. Failed requests
 * (any other result, 122 and result=unsent included) are skipped silently:
 * they changed nothing, and journal_verify reports them. Returns the number
 * of records emitted, or -1 with out unchanged when the file cannot be read
 * or is not a journal (does not open with "version: 1") or memory runs out
 * (report then gains just one line "path: reason"); *nproblems (may be
 * NULL) is set to the count of report lines: records that could not be
 * reverted plus inverses included for changes of unknown outcome. */
long journal_undo(const char *path, time_t since, struct buf *out, struct buf *report,
                  long *nproblems) DM_WUR;
/* Which changes journal_undo_select reverts: those that meet every
 * criterion given. */
struct journal_select {
	time_t since;     /* req= comment at or after it; 0 = any time */
	const char *pass; /* "# pass: " comment equal to it; NULL = any, and a
	                   * record without one is never of a pass */
	const char *dn;   /* the record's DN names the same entry (however
	                   * spelt); NULL = any */
};
/* journal_undo for the changes sel selects (a record that cannot be
 * reverted, or whose time cannot be read while since is given, is
 * reported only when it is selected otherwise); each inverse's comment
 * names the pass, "# undo of req=ID (TIME, pass PASS)", when the record
 * has one. *nselected (may be NULL) is set to the number of records
 * selected, whatever their result, so that a selection matching nothing
 * can be told from one with nothing left to revert. */
long journal_undo_select(const char *path, const struct journal_select *sel, struct buf *out,
                         struct buf *report, long *nproblems, long *nselected) DM_WUR;
/* Parses an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ" (as the journal
 * writes it, years 1970 to 9999) into *t; -1 when malformed, *t unchanged.
 * --since takes more forms (isotime_parse). */
int journal_parse_time(const char *s, time_t *t) DM_WUR;

#endif
