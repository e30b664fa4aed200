/* ldapc_sync.h - RFC 4533 content synchronisation, part of the ldapc module.
 * One refreshOnly or refreshAndPersist search on an ldapc connection, its
 * messages handed out as plain callbacks, and the BER codec of its controls,
 * testable without a server. No libldap type appears here. */
#ifndef DIRMAIL_LDAPC_SYNC_H
#define DIRMAIL_LDAPC_SYNC_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"
#include "ldapc.h"

/* What the server says of one entry (the numbers of RFC 4533). */
enum ldapc_sync_state {
	LDAPC_SYNC_PRESENT = 0,
	LDAPC_SYNC_ADD = 1,
	LDAPC_SYNC_MODIFY = 2,
	LDAPC_SYNC_DELETE = 3
};

/* One sync search on a connection. */
struct ldapc_sync;

/*
 * The caller's side of a sync search. Each function returns 0 to go on or
 * -1 to stop: ldapc_sync_poll then returns LDAPC_SKIP ("stopped by caller")
 * and the search is over. A NULL function ignores its kind of message.
 * Pointers passed in live until the function returns.
 */
struct ldapc_sync_cb {
	/* One entry with its state: uuid is its 16-byte entryUUID; e (never
	 * NULL) holds its DN, normalised like ldapc_search's, and for add and
	 * modify the requested attributes (present and delete: the DN alone).
	 * slapd reports a renamed entry as a modify under its new DN. An entry
	 * with an attribute in parts (AD's range retrieval, which no RFC 4533
	 * server does) ends the search as a protocol error instead. */
	int (*entry)(enum ldapc_sync_state st, const unsigned char uuid[16], const struct entry *e,
	             void *arg);
	/* A syncIdSet of n > 0 uuids: deleted (deletes 1) or present (0). */
	int (*idset)(const unsigned char (*uuids)[16], size_t n, int deletes, void *arg);
	/* The end of a refresh phase. present 1: every uuid not reported since
	 * the refresh began (as an entry, or in a present idset) is gone;
	 * present 0: the deletions were reported one by one. A sync started
	 * without a cookie is a full load, and always ends with present 1
	 * (slapd 2.5 calls it a delete phase). done 1: the refresh is over
	 * (refreshAndPersist: the persist stage begins; refreshOnly: the search
	 * has ended). */
	int (*refresh_end)(int present, int done, void *arg);
	/* A cookie: the state reached once everything delivered before it is
	 * applied; ldapc_sync_start resumes from it. */
	int (*cookie)(const void *cookie, size_t len, void *arg);
};

/* Sends a sync search under base (scope subtree; filter NULL means
 * "(objectClass=*)"; attrs NULL-terminated, NULL for all user attributes;
 * never paged) on c, connecting first when c is down and sending again once
 * when the connection turns out to be lost. cookie NULL or cookielen 0 asks
 * for the whole content; persist 1 asks for refreshAndPersist, 0 for
 * refreshOnly. Returns LDAPC_OK with *out (end it with ldapc_sync_end), else
 * the classification with one line appended to err and *out NULL; none of
 * the arguments is needed after the call. The search lives on c's
 * connection: c must outlive it and carry nothing else meanwhile
 * (ldapc_wait would take its messages); give a persistent search a
 * connection of its own with ldapc_dup. */
enum ldapc_rc ldapc_sync_start(struct ldapc *c, const char *base, const char *filter,
                               const char *const *attrs, const void *cookie, size_t cookielen,
                               int persist, struct ldapc_sync **out, struct buf *err) DM_WUR;
/* Returns the descriptor to wait on for reading with poll(2), then call
 * ldapc_sync_poll with timeout 0; -1 when the search is over or its
 * connection is gone (ldapc_sync_poll tells which). */
int ldapc_sync_fd(const struct ldapc_sync *s);
/*
 * Waits at most timeout_ms for a message (0: takes only what is there, -1:
 * waits for one), then takes every message already there, handing each to
 * cb in order; nothing complete is left buffered on return, so poll(2) on
 * the descriptor is enough to know when to call again. During the refresh
 * the server may be silent for the connection's operation timeout at the
 * most; in the persist stage the search waits as long as it is told.
 * *refresh_required is set on every return. Returns:
 *   LDAPC_OK     nothing more for now (or the refreshOnly search has ended)
 *   LDAPC_RETRY  the connection was lost, the server timed out, was busy or
 *                ended the persistent search: start again from the last
 *                cookie applied (the next use of the connection reconnects);
 *                with *refresh_required 1, the server refused the cookie
 *                (e-syncRefreshRequired, or slapd 2.5's answers to a cookie
 *                newer than its state or one it cannot read): drop the state
 *                and start again without a cookie
 *   LDAPC_SKIP, LDAPC_FATAL  the server refused the search (no such base,
 *                access, no sync provider), or a callback returned -1
 *                ("stopped by caller"); err says which
 * with one line appended to err whenever it is not LDAPC_OK. Once it has
 * returned anything but LDAPC_OK, the search is over and every later call
 * returns the same.
 */
enum ldapc_rc ldapc_sync_poll(struct ldapc_sync *s, int timeout_ms, const struct ldapc_sync_cb *cb,
                              void *arg, int *refresh_required, struct buf *err) DM_WUR;
/* Abandons the search when it still runs and frees s; the connection stays
 * open. Accepts NULL. */
void ldapc_sync_end(struct ldapc_sync *s);

/* ---- the codec (RFC 4533 section 2), pure functions on bytes ---------- */

/* Appends the BER of a syncRequestValue to out: refreshAndPersist when
 * persist, else refreshOnly; the cookie when cookie is not NULL; reloadHint
 * only when reload_hint (FALSE is its default). -1 when out of memory. */
int ldapc_sync_request_encode(int persist, const void *cookie, size_t cookielen, int reload_hint,
                              struct buf *out) DM_WUR;

/* A syncStateValue; cookie points into the decoded bytes, NULL if absent. */
struct ldapc_sync_state_value {
	enum ldapc_sync_state state;
	unsigned char uuid[16];
	const unsigned char *cookie;
	size_t cookielen;
};

/* A syncDoneValue; cookie points into the decoded bytes, NULL if absent. */
struct ldapc_sync_done_value {
	const unsigned char *cookie;
	size_t cookielen;
	int refresh_deletes; /* default FALSE */
};

enum ldapc_sync_info_kind {
	LDAPC_SYNC_INFO_NEW_COOKIE,      /* [0] newcookie */
	LDAPC_SYNC_INFO_REFRESH_DELETE,  /* [1] refreshDelete */
	LDAPC_SYNC_INFO_REFRESH_PRESENT, /* [2] refreshPresent */
	LDAPC_SYNC_INFO_ID_SET           /* [3] syncIdSet */
};

/* A syncInfoValue; cookie points into the decoded bytes, NULL if absent
 * (never for a newcookie). */
struct ldapc_sync_info_value {
	enum ldapc_sync_info_kind kind;
	const unsigned char *cookie;
	size_t cookielen;
	int refresh_done;           /* refreshDelete, refreshPresent: default TRUE */
	int refresh_deletes;        /* syncIdSet: default FALSE */
	unsigned char (*uuids)[16]; /* syncIdSet: nuuids uuids (NULL for none), owned */
	size_t nuuids;
};

/* Decodes the value of a syncStateControl (len bytes at p) into *out; -1
 * with one reason appended to err ("syncStateValue: ...") when the bytes are
 * not one well-formed value, nothing after it. */
int ldapc_sync_state_decode(const void *p, size_t len, struct ldapc_sync_state_value *out,
                            struct buf *err) DM_WUR;
/* Decodes the value of a syncDoneControl like ldapc_sync_state_decode. */
int ldapc_sync_done_decode(const void *p, size_t len, struct ldapc_sync_done_value *out,
                           struct buf *err) DM_WUR;
/* Decodes a syncInfo message's value like ldapc_sync_state_decode; on
 * success free it with ldapc_sync_info_free (on failure nothing is held). */
int ldapc_sync_info_decode(const void *p, size_t len, struct ldapc_sync_info_value *out,
                           struct buf *err) DM_WUR;
/* Frees the uuids a decoded syncInfoValue holds; accepts NULL. */
void ldapc_sync_info_free(struct ldapc_sync_info_value *v);

#endif
