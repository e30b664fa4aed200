/* journal.h - the write-ahead change journal.
 * An append-only LDIF file: each change is on disk before it is sent and
 * its result after it, so an auditor can verify, replay or revert a pass. */
#ifndef DIRMAIL_JOURNAL_H
#define DIRMAIL_JOURNAL_H

#include <time.h>

#include "attrs.h"
#include "buf.h"

struct journal; /* opaque; one thread at a time */

/* Opens (creating it 0600, O_APPEND|O_CLOEXEC) and locks (flock, refused
 * with "another dirmail is writing this journal" when held) the journal at path into
 * *out, to be closed with journal_close; a new or empty file gets "version:
 * 1", a file ending mid-record (a crash during a write) gets a blank line so
 * the next record stands alone. max_size_mb > 0 rotates, on open and before
 * a record while no request awaits its result, a file grown past that size:
 * path.8 becomes path.9 (the oldest dropped) ... path becomes path.1, and a
 * new path is started; 0 or less never rotates. -1 with "path: reason" in
 * err. */
int journal_open(const char *path, long max_size_mb, struct journal **out, struct buf *err) DM_WUR;
/* Like journal_open with the rotation size in bytes, so tests can rotate
 * small files; 0 or less never rotates. */
int journal_open_bytes(const char *path, long long max_bytes, struct journal **out,
                       struct buf *err) DM_WUR;
/* Writes one change before it is sent: the comment "# TIME req=ID rule=RULE
 * asserted=ASSERTION" (TIME is now as RFC 3339 UTC, "-" stands for a NULL
 * or empty rule or assertion, control characters are masked; the assertion
 * is only noted, the record carries no control so the journal replays with
 * ldapmodify -c) and then rec, one complete change record as ldifw formats
 * it ("dn: ..." through its blank line); write()s it in one piece and
 * fdatasync()s before returning. Returns the request id (1, 2, ...
 * increasing for the life of the handle, continuing after the highest req=
 * in the file, or in path.1 when the file has none, when reopened), or -1
 * with "path: reason" in err when rec is not one change record, names a
 * secret attribute, or the write fails (the file is then cut back to its
 * previous size). */
long journal_begin(struct journal *j, time_t now, const char *rule, const char *assertion,
                   const char *rec, struct buf *err) DM_WUR;
/* Writes the result of request id, begun on this handle and not yet ended,
 * as the comment "# TIME req=ID result=CODE TEXT" (CODE 0 is success; TEXT,
 * a short error text that may be NULL, has control characters masked) and
 * fdatasync()s it; 0, or -1 with "path: reason" in err. */
int journal_end(struct journal *j, long id, time_t now, int code, const char *text,
                struct buf *err) DM_WUR;
/* With on set, journal_begin and journal_end write without syncing: the
 * caller calls journal_sync before it sends what was begun (group commit:
 * one fdatasync for a window of writes instead of two per write). */
void journal_defer(struct journal *j, int on);
/* Syncs what was written since the last sync (nothing to do: 0); -1 with
 * "path: reason" in err. Nothing begun may be sent before this returns 0. */
int journal_sync(struct journal *j, struct buf *err) DM_WUR;
/* Closes the journal (syncing what is unsynced) and frees j; accepts NULL. */
void journal_close(struct journal *j);
/* Reads the journal file at path and checks it: it opens with "version:
 * 1", every record parses as ldapmodify's parser (libldap's
 * ldap_parse_ldif_record) reads it, carries no control and no URL value and
 * follows its req= comment, and every request has a result. Appends one
 * line per problem to report in the order met ("path:LINE: not a valid LDIF
 * change record", "path:LINE: req=N failed: result=CODE TEXT", ...), the
 * requests still without a result last ("path:LINE: req=N has no result");
 * for a request LINE is the line of its req= comment. Returns the number of
 * change records, or -1 when the file cannot be read (one line "path:
 * reason") or a problem was found; *nfailed (nfailed may be NULL) is set to
 * the number of failed and unfinished requests. */
long journal_verify(const char *path, struct buf *report, long *nfailed) DM_WUR;
/* Appends to out ("version: 1" first, then records) the LDIF that reverts
 * the changes of the journal file at path whose result was 0 and whose
 * req= comment time is at or after since (0 = all), newest first: a modify
 * becomes the modify with each add turned into a delete of the same values
 * and each delete of values into an add, the mods in reverse order; an add
 * becomes a delete of that DN; a delete becomes an add of the entry as the
 * newest earlier successful add of the same DN in the file created it,
 * with the successful modifies of that DN in between applied (dirmail only
 * deletes what it created). Each emitted record is preceded by the comment
 * "# undo of req=ID (TIME)". Records that cannot be reverted (a replace, an
 * increment, a delete of a whole attribute without values, a change of a
 * secret attribute, a delete whose entry's content is not in the file, a
 * modrdn, a record that does not parse, with since a req= comment whose
 * time does not parse) add one line "path:LINE: req=ID: cannot be
 * reverted: why" to report (LINE is that of the req= comment) and are left
 * out. Failed or
 * unfinished requests are skipped silently (they changed nothing, or are
 * reported by journal_verify). Returns the number of records emitted, or
 * -1 with out unchanged when the file cannot be read or is not a journal
 * (does not open with "version: 1") or memory runs out (report then gains
 * just one line "path: reason"); *nproblems (may be NULL) is set to the
 * count of records that could not be reverted. */
long journal_undo(const char *path, time_t since, struct buf *out, struct buf *report,
                  long *nproblems) DM_WUR;
/* Parses an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ" (as the journal
 * writes it, years 1970 to 9999) into *t; -1 when malformed, *t unchanged.
 * Used by the --since option. */
int journal_parse_time(const char *s, time_t *t) DM_WUR;

#endif
