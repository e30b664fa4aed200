/* ldapc_sync.c - RFC 4533 content synchronisation, part of the ldapc module.
 * Encodes the sync request, decodes the state, done and info values of the
 * server strictly, and runs one sync search as callbacks on a connection. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <lber.h>
#include <ldap.h>

#include "ldapc.h"
#include "ldapc_int.h"
#include "ldapc_sync.h"
#include "range.h"

/* Universal and context tags of RFC 4533's values (implicit tagging). */
#define TAG_BOOLEAN 0x01
#define TAG_OCTETS 0x04
#define TAG_ENUM 0x0a
#define TAG_SEQUENCE 0x30
#define TAG_SET 0x31
#define TAG_NEW_COOKIE 0x80      /* [0] syncCookie */
#define TAG_REFRESH_DELETE 0xa1  /* [1] SEQUENCE */
#define TAG_REFRESH_PRESENT 0xa2 /* [2] SEQUENCE */
#define TAG_ID_SET 0xa3          /* [3] SEQUENCE */

/* slapd 2.5 refuses a cookie newer than its own state with this code. */
#define SLAPD_COOKIE_NEWER LDAP_UNWILLING_TO_PERFORM

/* Idle time, probe interval and count before a silent TCP peer counts as
 * gone: a persistent search has no other way to notice a server that
 * vanished without closing the connection. */
#define SYNC_KEEPIDLE 60
#define SYNC_KEEPINTVL 10
#define SYNC_KEEPCNT 3

/* ---- the codec -------------------------------------------------------- */

/*
 * The values come from the server, so they are read with a small reader of
 * our own rather than liblber's: ber_scanf and ber_skip_element read (and
 * ber_get_stringbv writes) the byte after an element, which for a value at
 * the end of its buffer is past the end. The reader takes BER as RFC 4511
 * allows it: one-byte tags, definite lengths in short or long form.
 */
struct ber_in {
	const unsigned char *p;
	size_t n; /* bytes left */
};

/* Takes the next element off in: its tag and its contents (borrowed).
 * -1 with *why set when in is empty or the element is not well formed. */
static int ber_next(struct ber_in *in, unsigned *tag, struct ber_in *val, const char **why)
{
	size_t len, pos = 2, k, i;

	if (in->n == 0) {
		*why = "an element is missing";
		return -1;
	}
	if (in->n < 2) {
		*why = "truncated";
		return -1;
	}
	if ((in->p[0] & 0x1f) == 0x1f) {
		*why = "a tag of more than one byte";
		return -1;
	}
	len = in->p[1];
	if (len == 0x80) {
		*why = "an indefinite length";
		return -1;
	}
	if (len > 0x80) {
		k = len & 0x7f;
		if (k > 4) {
			*why = "a length of more than 4 bytes";
			return -1;
		}
		if (in->n - 2 < k) {
			*why = "truncated";
			return -1;
		}
		for (len = 0, i = 0; i < k; i++)
			len = len << 8 | in->p[2 + i];
		pos += k;
	}
	if (len > in->n - pos) {
		*why = "truncated";
		return -1;
	}
	*tag = in->p[0];
	val->p = in->p + pos;
	val->n = len;
	in->p += pos + len;
	in->n -= pos + len;
	return 0;
}

/* The tag of the next element of in, -1 when there is none. */
static int ber_peek(const struct ber_in *in)
{
	return in->n > 0 ? in->p[0] : -1;
}

/* Takes the next element, which must carry tag want. */
static int ber_want(struct ber_in *in, unsigned want, struct ber_in *val, const char **why,
                    const char *what)
{
	unsigned tag;

	if (ber_next(in, &tag, val, why) < 0)
		return -1;
	if (tag != want) {
		*why = what;
		return -1;
	}
	return 0;
}

/* Takes a BOOLEAN (one content byte; any non-zero is TRUE). */
static int ber_bool(struct ber_in *in, int *out, const char **why)
{
	struct ber_in v;

	if (ber_want(in, TAG_BOOLEAN, &v, why, "a BOOLEAN is expected") < 0)
		return -1;
	if (v.n != 1) {
		*why = "a BOOLEAN is not one byte long";
		return -1;
	}
	*out = v.p[0] != 0;
	return 0;
}

/* Takes an optional cookie: an OCTET STRING when one comes next. */
static int ber_cookie(struct ber_in *in, const unsigned char **cookie, size_t *len,
                      const char **why)
{
	struct ber_in v;

	*cookie = NULL;
	*len = 0;
	if (ber_peek(in) != TAG_OCTETS)
		return 0;
	if (ber_want(in, TAG_OCTETS, &v, why, "") < 0)
		return -1;
	*cookie = v.p;
	*len = v.n;
	return 0;
}

/* Takes an optional BOOLEAN, *out keeping its default when absent. */
static int ber_opt_bool(struct ber_in *in, int *out, const char **why)
{
	return ber_peek(in) == TAG_BOOLEAN ? ber_bool(in, out, why) : 0;
}

/* Takes the one SEQUENCE a value consists of (tag want), nothing after it. */
static int ber_outer(const void *p, size_t len, unsigned want, struct ber_in *seq, const char **why)
{
	struct ber_in in;

	in.p = p;
	in.n = len;
	if (p == NULL && len > 0) {
		*why = "no bytes";
		return -1;
	}
	if (ber_want(&in, want, seq, why, "not a SEQUENCE") < 0)
		return -1;
	if (in.n > 0) {
		*why = "bytes after the value";
		return -1;
	}
	return 0;
}

/* Ends a decoder: the sequence must be used up. */
static int ber_end(const struct ber_in *seq, const char **why)
{
	if (seq->n > 0) {
		*why = "an unexpected element";
		return -1;
	}
	return 0;
}

/* Appends "what: why" to err and returns -1. */
static int bad(struct buf *err, const char *what, const char *why)
{
	(void)!buf_printf(err, "%s: %s", what, why);
	return -1;
}

int ldapc_sync_request_encode(int persist, const void *cookie, size_t cookielen, int reload_hint,
                              struct buf *out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv = {0, NULL};
	ber_int_t mode = persist ? LDAP_SYNC_REFRESH_AND_PERSIST : LDAP_SYNC_REFRESH_ONLY;
	int rc = -1;

	if (ber == NULL || ber_printf(ber, "{e", mode) < 0)
		goto done;
	if (cookie != NULL) {
		struct berval c;

		c.bv_val = dm_unconst(cookie);
		c.bv_len = cookielen;
		if (ber_printf(ber, "O", &c) < 0)
			goto done;
	}
	if (reload_hint && ber_printf(ber, "b", (ber_int_t)1) < 0)
		goto done;
	if (ber_printf(ber, "N}") < 0 || ber_flatten2(ber, &bv, 0) < 0)
		goto done;
	rc = buf_add(out, bv.bv_val, bv.bv_len);
done:
	ber_free(ber, 1);
	return rc;
}

int ldapc_sync_state_decode(const void *p, size_t len, struct ldapc_sync_state_value *out,
                            struct buf *err)
{
	static const char what[] = "syncStateValue";
	struct ber_in seq, v;
	const char *why = NULL;
	unsigned i;

	memset(out, 0, sizeof(*out));
	if (ber_outer(p, len, TAG_SEQUENCE, &seq, &why) < 0 ||
	    ber_want(&seq, TAG_ENUM, &v, &why, "the state is no ENUMERATED") < 0)
		return bad(err, what, why);
	if (v.n != 1)
		return bad(err, what, "the state is not one byte long");
	if (v.p[0] > LDAPC_SYNC_DELETE) {
		(void)!buf_printf(err, "%s: unknown state %u", what, (unsigned)v.p[0]);
		return -1;
	}
	out->state = (enum ldapc_sync_state)v.p[0];
	if (ber_want(&seq, TAG_OCTETS, &v, &why, "the entryUUID is no OCTET STRING") < 0)
		return bad(err, what, why);
	if (v.n != sizeof(out->uuid)) {
		(void)!buf_printf(err, "%s: the entryUUID is %zu bytes long, not 16", what, v.n);
		return -1;
	}
	for (i = 0; i < sizeof(out->uuid); i++)
		out->uuid[i] = v.p[i];
	if (ber_cookie(&seq, &out->cookie, &out->cookielen, &why) < 0 || ber_end(&seq, &why) < 0)
		return bad(err, what, why);
	return 0;
}

int ldapc_sync_done_decode(const void *p, size_t len, struct ldapc_sync_done_value *out,
                           struct buf *err)
{
	static const char what[] = "syncDoneValue";
	struct ber_in seq;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	if (ber_outer(p, len, TAG_SEQUENCE, &seq, &why) < 0 ||
	    ber_cookie(&seq, &out->cookie, &out->cookielen, &why) < 0 ||
	    ber_opt_bool(&seq, &out->refresh_deletes, &why) < 0 || ber_end(&seq, &why) < 0)
		return bad(err, what, why);
	return 0;
}

/* Reads the SET OF syncUUID of a syncIdSet into v->uuids. */
static int uuid_set(struct ber_in *seq, struct ldapc_sync_info_value *v, const char **why)
{
	struct ber_in set, u, scan;
	size_t n = 0;
	unsigned tag;

	if (ber_want(seq, TAG_SET, &set, why, "syncUUIDs is no SET") < 0)
		return -1;
	/* Counted and checked first, so the array is the right size at once;
	 * each takes at least 18 bytes, so the count is bounded by the input. */
	for (scan = set; scan.n > 0; n++) {
		if (ber_want(&scan, TAG_OCTETS, &u, why, "a syncUUID is no OCTET STRING") < 0)
			return -1;
		if (u.n != 16) {
			*why = "a syncUUID is not 16 bytes long";
			return -1;
		}
	}
	if (n == 0)
		return 0;
	v->uuids = malloc(n * sizeof(*v->uuids));
	if (v->uuids == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (v->nuuids = 0; v->nuuids < n; v->nuuids++) {
		(void)ber_next(&set, &tag, &u, why);
		memcpy(v->uuids[v->nuuids], u.p, 16);
	}
	return 0;
}

int ldapc_sync_info_decode(const void *p, size_t len, struct ldapc_sync_info_value *out,
                           struct buf *err)
{
	static const char what[] = "syncInfoValue";
	struct ber_in in, seq;
	const char *why = NULL;
	unsigned tag;

	memset(out, 0, sizeof(*out));
	out->refresh_done = 1;
	in.p = p;
	in.n = p != NULL ? len : 0;
	if (ber_next(&in, &tag, &seq, &why) < 0)
		return bad(err, what, why);
	if (in.n > 0)
		return bad(err, what, "bytes after the value");
	switch (tag) {
	case TAG_NEW_COOKIE:
		out->kind = LDAPC_SYNC_INFO_NEW_COOKIE;
		out->cookie = seq.p;
		out->cookielen = seq.n;
		return 0;
	case TAG_REFRESH_DELETE:
	case TAG_REFRESH_PRESENT:
		out->kind = tag == TAG_REFRESH_DELETE ? LDAPC_SYNC_INFO_REFRESH_DELETE
		                                      : LDAPC_SYNC_INFO_REFRESH_PRESENT;
		if (ber_cookie(&seq, &out->cookie, &out->cookielen, &why) < 0 ||
		    ber_opt_bool(&seq, &out->refresh_done, &why) < 0 || ber_end(&seq, &why) < 0)
			return bad(err, what, why);
		return 0;
	case TAG_ID_SET:
		out->kind = LDAPC_SYNC_INFO_ID_SET;
		if (ber_cookie(&seq, &out->cookie, &out->cookielen, &why) < 0 ||
		    ber_opt_bool(&seq, &out->refresh_deletes, &why) < 0 ||
		    uuid_set(&seq, out, &why) < 0 || ber_end(&seq, &why) < 0) {
			ldapc_sync_info_free(out);
			return bad(err, what, why);
		}
		return 0;
	default:
		(void)!buf_printf(err, "%s: unknown choice (tag 0x%02x)", what, tag);
		return -1;
	}
}

void ldapc_sync_info_free(struct ldapc_sync_info_value *v)
{
	if (v == NULL)
		return;
	free(v->uuids);
	v->uuids = NULL;
	v->nuuids = 0;
}

/* ---- the search ------------------------------------------------------- */

struct ldapc_sync {
	struct ldapc *c;
	unsigned long gen; /* c->gen when the search was sent */
	int msgid;         /* -1 once the search is over */
	int persist;       /* refreshAndPersist, not refreshOnly */
	int had_cookie;    /* started from a cookie */
	int refreshing;    /* the refresh is not done yet */
	char *base;
	struct timespec heard; /* the server's last message, or the start */
	/* What ldapc_sync_poll answers once the search is over. */
	enum ldapc_rc end_rc;
	int end_refresh;
	char *end_msg;
};

/* Milliseconds since t. */
static long long since_ms(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* The search's connection, NULL when it was dropped or replaced since. */
static LDAP *sync_ld(const struct ldapc_sync *s)
{
	return s->c->ld != NULL && s->c->gen == s->gen ? s->c->ld : NULL;
}

/* Probes a silent TCP peer (a persistent search may wait for hours); a
 * socket that is no TCP one (ldapi://) ignores it. */
static void keepalive(LDAP *ld)
{
	int fd = -1, on = 1, idle = SYNC_KEEPIDLE, intvl = SYNC_KEEPINTVL, cnt = SYNC_KEEPCNT;

	if (ldap_get_option(ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS || fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* Sends the search on the current connection; *msgid on success, else
 * the LDAP code in *lrc, the classification and one line in err. */
static enum ldapc_rc send_sync(struct ldapc *c, const char *base, const char *filter,
                               const char *const *attrs, const void *cookie, size_t cookielen,
                               int persist, int *msgid, int *lrc, struct buf *err)
{
	struct buf req = BUF_INIT;
	struct berval bv;
	LDAPControl *ctrl = NULL, *sctrls[2] = {NULL, NULL};
	enum ldapc_rc rc;
	int r;

	*lrc = LDAP_SUCCESS;
	if (ldapc_sync_request_encode(persist, cookie, cookielen, 0, &req) < 0) {
		rc = ldapc_ld_fail(c, "sync", base, LDAP_NO_MEMORY, lrc, err);
		goto done;
	}
	bv.bv_val = req.s;
	bv.bv_len = req.len;
	/* Critical: a server without a sync provider must refuse the search
	 * (unavailable critical extension: fatal) rather than answer it plain. */
	r = ldap_control_create(LDAP_CONTROL_SYNC, 1, &bv, 1, &ctrl);
	if (r != LDAP_SUCCESS) {
		rc = ldapc_ld_fail(c, "sync", base, r, lrc, err);
		goto done;
	}
	sctrls[0] = ctrl;
	r = ldap_search_ext(c->ld, base, LDAP_SCOPE_SUBTREE, filter, ldapc_unconst_list(attrs), 0,
	                    sctrls, NULL, NULL, LDAP_NO_LIMIT, msgid);
	if (r == LDAP_FILTER_ERROR) {
		struct buf why = BUF_INIT;

		*lrc = r;
		(void)!buf_printf(&why, "filter %s", filter);
		ldapc_fmt_err(err, c->uris[c->cur], "sync", base, r, buf_str(&why));
		buf_free(&why);
		rc = ldapc_classify(r);
		goto done;
	}
	rc = r == LDAP_SUCCESS ? LDAPC_OK : ldapc_ld_fail(c, "sync", base, r, lrc, err);
done:
	ldap_control_free(ctrl);
	buf_free(&req);
	return rc;
}

enum ldapc_rc ldapc_sync_start(struct ldapc *c, const char *base, const char *filter,
                               const char *const *attrs, const void *cookie, size_t cookielen,
                               int persist, struct ldapc_sync **out, struct buf *err)
{
	struct ldapc_sync *s = NULL;
	struct buf e = BUF_INIT;
	enum ldapc_rc rc = LDAPC_FATAL;
	int attempt, msgid = -1, lrc = LDAP_SUCCESS;

	*out = NULL;
	if (base == NULL)
		base = "";
	if (filter == NULL || *filter == '\0')
		filter = "(objectClass=*)";
	if (cookielen == 0)
		cookie = NULL;
	ldapc_log_search(persist ? "sync (refreshAndPersist)" : "sync (refreshOnly)", base,
	                 LDAP_SCOPE_SUBTREE, filter, attrs, 0);
	for (attempt = 0;; attempt++) {
		int was_up = c->ld != NULL;

		buf_reset(&e);
		rc = ldapc_ensure_connected(c, &e);
		if (rc != LDAPC_OK)
			goto done;
		rc =
		    send_sync(c, base, filter, attrs, cookie, cookielen, persist, &msgid, &lrc, &e);
		if (rc == LDAPC_OK)
			break;
		if (ldapc_is_transport(lrc))
			ldapc_drop(c);
		if (lrc != LDAP_SERVER_DOWN || !was_up || attempt > 0)
			goto done;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->base = strdup(base)) == NULL) {
		(void)ldap_abandon_ext(c->ld, msgid, NULL, NULL);
		buf_reset(&e);
		rc = ldapc_ld_fail(c, "sync", base, LDAP_NO_MEMORY, &lrc, &e);
		goto done;
	}
	s->c = c;
	s->gen = c->gen;
	s->msgid = msgid;
	s->persist = persist;
	s->had_cookie = cookie != NULL;
	s->refreshing = 1;
	clock_gettime(CLOCK_MONOTONIC, &s->heard);
	if (persist)
		keepalive(c->ld);
	*out = s;
	s = NULL;
done:
	if (rc != LDAPC_OK)
		(void)!buf_puts(err, buf_str(&e));
	buf_free(&e);
	ldapc_sync_end(s);
	return rc;
}

int ldapc_sync_fd(const struct ldapc_sync *s)
{
	LDAP *ld = s->msgid >= 0 ? sync_ld(s) : NULL;
	int fd = -1;

	if (ld == NULL || ldap_get_option(ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS)
		return -1;
	return fd;
}

/* Ends the search with rc and the message err holds from mark on: it is
 * abandoned while the server may still send, and the connection dropped
 * after a transport failure (lrc). Returns rc. */
static enum ldapc_rc sync_over(struct ldapc_sync *s, enum ldapc_rc rc, int lrc, int refresh,
                               const struct buf *err, size_t mark)
{
	LDAP *ld = sync_ld(s);

	if (ld != NULL && s->msgid >= 0)
		(void)ldap_abandon_ext(ld, s->msgid, NULL, NULL);
	if (ld != NULL && ldapc_is_transport(lrc))
		ldapc_drop(s->c);
	s->msgid = -1;
	s->end_rc = rc;
	s->end_refresh = refresh;
	free(s->end_msg);
	s->end_msg = err->len > mark ? strdup(err->s + mark) : NULL;
	return rc;
}

/* What handling one message came to: go on, or end the search (with rc,
 * the LDAP code lrc and whether the server refused the cookie). */
struct verdict {
	int over;
	enum ldapc_rc rc;
	int lrc;
	int refresh;
};

/* Formats why the search ends with the LDAP code code and classifies it. */
static void verdict_ld(struct verdict *v, struct ldapc_sync *s, int code, const char *diag,
                       struct buf *err)
{
	v->over = 1;
	v->lrc = code;
	v->rc = ldapc_classify(code);
	ldapc_fmt_err(err, s->c->uris[s->c->cur], "sync", s->base, code, diag);
}

/* A message the server should not have sent that way (bad BER, a control
 * missing): the stream is intact, the search is not. */
static void verdict_proto(struct verdict *v, struct ldapc_sync *s, const char *why, struct buf *err)
{
	verdict_ld(v, s, LDAP_DECODING_ERROR, why, err);
	v->lrc = LDAP_SUCCESS; /* the connection itself is fine */
}

/* A callback asked to stop. */
static void verdict_stop(struct verdict *v, struct ldapc_sync *s, struct buf *err)
{
	v->over = 1;
	v->rc = LDAPC_SKIP;
	v->lrc = LDAP_SUCCESS;
	ldapc_fmt_err(err, s->c->uris[s->c->cur], "sync", s->base, LDAP_SUCCESS,
	              "stopped by caller");
}

/* The server refused the cookie; diag says how. */
static void verdict_refresh(struct verdict *v, struct ldapc_sync *s, int code, const char *diag,
                            struct buf *err)
{
	verdict_ld(v, s, code, diag, err);
	(void)!buf_puts(err, "; start again without a cookie");
	v->rc = LDAPC_RETRY;
	v->refresh = 1;
}

/* Hands a cookie, when there is one, to the caller. */
static int give_cookie(const struct ldapc_sync_cb *cb, void *arg, const unsigned char *cookie,
                       size_t len)
{
	if (cookie == NULL || cb->cookie == NULL)
		return 0;
	return cb->cookie(cookie, len, arg);
}

/* The end of a refresh phase, with the cookie that came with it. slapd 2.5
 * answers a cookie it cannot read with the whole content called a delete
 * phase and an empty cookie: taken as is, the entries deleted since would
 * stay with the caller, so that is a refused cookie too. */
static void refresh_end(struct verdict *v, struct ldapc_sync *s, const struct ldapc_sync_cb *cb,
                        void *arg, int present, int done, const unsigned char *cookie, size_t len,
                        struct buf *err)
{
	if (s->had_cookie && s->refreshing && cookie != NULL && len == 0) {
		verdict_refresh(
		    v, s, LDAP_SUCCESS,
		    "the server did not take the cookie (it answered with an empty one)", err);
		return;
	}
	if (!s->had_cookie)
		present = 1;
	if (s->refreshing && cb->refresh_end != NULL && cb->refresh_end(present, done, arg) < 0) {
		verdict_stop(v, s, err);
		return;
	}
	if (done)
		s->refreshing = 0;
	if (give_cookie(cb, arg, cookie, len) < 0)
		verdict_stop(v, s, err);
}

/* The value of the control oid among ctrls; NULL, with the verdict that
 * the server sent a message without it (missing says which), if absent. */
static const struct berval *ctrl_value(struct verdict *v, struct ldapc_sync *s, LDAPControl **ctrls,
                                       const char *oid, const char *missing, struct buf *err)
{
	LDAPControl *c = ctrls ? ldap_control_find(oid, ctrls, NULL) : NULL;

	if (c != NULL)
		return &c->ldctl_value;
	verdict_proto(v, s, missing, err);
	return NULL;
}

static void on_entry(struct verdict *v, struct ldapc_sync *s, LDAP *ld, LDAPMessage *msg,
                     const struct ldapc_sync_cb *cb, void *arg, struct buf *err)
{
	struct ldapc_sync_state_value st;
	struct buf why = BUF_INIT;
	LDAPControl **ctrls = NULL;
	const struct berval *sc;
	struct entry *e = NULL;
	int r;

	r = ldap_get_entry_controls(ld, msg, &ctrls);
	if (r != LDAP_SUCCESS) {
		verdict_ld(v, s, r, "cannot read the controls of an entry", err);
		goto done;
	}
	sc = ctrl_value(v, s, ctrls, LDAP_CONTROL_SYNC_STATE, "an entry without a syncStateValue",
	                err);
	if (sc == NULL)
		goto done;
	if (ldapc_sync_state_decode(sc->bv_val, sc->bv_len, &st, &why) < 0) {
		verdict_proto(v, s, buf_str(&why), err);
		goto done;
	}
	e = ldapc_to_entry(s->c, msg);
	if (e == NULL) {
		verdict_ld(v, s, LDAP_NO_MEMORY, "cannot convert an entry", err);
		v->lrc = LDAP_SUCCESS;
		goto done;
	}
	if (range_has(e)) {
		/* Only AD ranges, and AD has no RFC 4533; the search owns the
		 * connection, so the rest cannot be asked for beside it. */
		(void)!buf_printf(&why, "%s: an attribute sent in parts (range retrieval)", e->dn);
		verdict_proto(v, s, buf_str(&why), err);
		goto done;
	}
	if ((cb->entry != NULL && cb->entry(st.state, st.uuid, e, arg) < 0) ||
	    give_cookie(cb, arg, st.cookie, st.cookielen) < 0)
		verdict_stop(v, s, err);
done:
	entry_free(e);
	ldap_controls_free(ctrls);
	buf_free(&why);
}

static void on_info(struct verdict *v, struct ldapc_sync *s, LDAP *ld, LDAPMessage *msg,
                    const struct ldapc_sync_cb *cb, void *arg, struct buf *err)
{
	struct ldapc_sync_info_value info;
	struct buf why = BUF_INIT;
	struct berval *data = NULL;
	char *oid = NULL;
	int r, decoded = 0;

	r = ldap_parse_intermediate(ld, msg, &oid, &data, NULL, 0);
	if (r != LDAP_SUCCESS) {
		verdict_ld(v, s, r, "cannot read an intermediate response", err);
		goto done;
	}
	/* Other intermediate responses are none of this search's business. */
	if (oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0)
		goto done;
	if (data == NULL) {
		verdict_proto(v, s, "syncInfoValue: no value", err);
		goto done;
	}
	if (ldapc_sync_info_decode(data->bv_val, data->bv_len, &info, &why) < 0) {
		verdict_proto(v, s, buf_str(&why), err);
		goto done;
	}
	decoded = 1;
	switch (info.kind) {
	case LDAPC_SYNC_INFO_NEW_COOKIE:
		if (give_cookie(cb, arg, info.cookie, info.cookielen) < 0)
			verdict_stop(v, s, err);
		break;
	case LDAPC_SYNC_INFO_REFRESH_DELETE:
	case LDAPC_SYNC_INFO_REFRESH_PRESENT:
		refresh_end(v, s, cb, arg, info.kind == LDAPC_SYNC_INFO_REFRESH_PRESENT,
		            info.refresh_done, info.cookie, info.cookielen, err);
		break;
	case LDAPC_SYNC_INFO_ID_SET:
		if ((info.nuuids > 0 && cb->idset != NULL &&
		     cb->idset((const unsigned char(*)[16])info.uuids, info.nuuids,
		               info.refresh_deletes, arg) < 0) ||
		    give_cookie(cb, arg, info.cookie, info.cookielen) < 0)
			verdict_stop(v, s, err);
		break;
	}
done:
	if (decoded)
		ldapc_sync_info_free(&info);
	ber_bvfree(data);
	ldap_memfree(oid);
	buf_free(&why);
}

static void on_result(struct verdict *v, struct ldapc_sync *s, LDAP *ld, LDAPMessage *msg,
                      const struct ldapc_sync_cb *cb, void *arg, struct buf *err)
{
	struct ldapc_sync_done_value dv;
	struct buf why = BUF_INIT;
	LDAPControl **ctrls = NULL;
	const struct berval *dc;
	char *diag = NULL;
	int r, code = LDAP_OTHER;

	/* The server has ended the search: nothing to abandon any more. */
	s->msgid = -1;
	v->over = 1;
	v->rc = LDAPC_OK;
	v->lrc = LDAP_SUCCESS;
	r = ldap_parse_result(ld, msg, &code, NULL, &diag, NULL, &ctrls, 0);
	if (r != LDAP_SUCCESS) {
		verdict_ld(v, s, r, "cannot read the search result", err);
		goto done;
	}
	if (code == LDAP_SYNC_REFRESH_REQUIRED ||
	    (code == SLAPD_COOKIE_NEWER && s->had_cookie && s->refreshing)) {
		verdict_refresh(v, s, code, diag, err);
		goto done;
	}
	if (code != LDAP_SUCCESS) {
		verdict_ld(v, s, code, diag, err);
		goto done;
	}
	dc = ctrl_value(v, s, ctrls, LDAP_CONTROL_SYNC_DONE,
	                "a search result without a syncDoneValue", err);
	if (dc == NULL)
		goto done;
	if (ldapc_sync_done_decode(dc->bv_val, dc->bv_len, &dv, &why) < 0) {
		verdict_proto(v, s, buf_str(&why), err);
		goto done;
	}
	if (s->refreshing)
		refresh_end(v, s, cb, arg, !dv.refresh_deletes, 1, dv.cookie, dv.cookielen, err);
	else if (give_cookie(cb, arg, dv.cookie, dv.cookielen) < 0)
		verdict_stop(v, s, err);
	if (v->rc == LDAPC_OK && s->persist) {
		/* RFC 4533 3.4: resume from the cookie. */
		v->rc = LDAPC_RETRY;
		ldapc_fmt_err(err, s->c->uris[s->c->cur], "sync", s->base, LDAP_SUCCESS,
		              "the server ended the persistent search");
	}
done:
	ldap_controls_free(ctrls);
	ldap_memfree(diag);
	buf_free(&why);
}

/* How long the next wait may be: what the caller allows (-1: forever), but
 * during the refresh no longer than the operation timeout since the server
 * last spoke; *capped says the timeout is the limit. */
static int wait_for(const struct ldapc_sync *s, int timeout_ms, int *capped)
{
	long long left;

	*capped = 0;
	if (!s->refreshing)
		return timeout_ms;
	left = (long long)s->c->op_timeout * 1000 - since_ms(&s->heard);
	if (left < 0)
		left = 0;
	if (timeout_ms < 0 || timeout_ms >= left) {
		*capped = 1;
		return (int)left;
	}
	return timeout_ms;
}

enum ldapc_rc ldapc_sync_poll(struct ldapc_sync *s, int timeout_ms, const struct ldapc_sync_cb *cb,
                              void *arg, int *refresh_required, struct buf *err)
{
	static const struct ldapc_sync_cb none = {NULL, NULL, NULL, NULL};
	size_t mark = err->len;
	int first = 1;

	*refresh_required = 0;
	if (cb == NULL)
		cb = &none;
	if (s->msgid < 0) {
		*refresh_required = s->end_refresh;
		if (s->end_rc != LDAPC_OK)
			(void)!buf_puts(err, s->end_msg ? s->end_msg : "the sync search is over");
		return s->end_rc;
	}
	for (;;) {
		struct verdict v = {0, LDAPC_OK, LDAP_SUCCESS, 0};
		LDAPMessage *msg = NULL;
		struct timeval tv, *tvp = &tv;
		LDAP *ld = sync_ld(s);
		int ms = 0, capped = 0, r;

		if (ld == NULL) {
			ldapc_fmt_err(err, s->c->uris[s->c->cur], "sync", s->base, LDAP_SERVER_DOWN,
			              "the connection was lost under the search");
			return sync_over(s, LDAPC_RETRY, LDAP_SUCCESS, 0, err, mark);
		}
		if (first)
			ms = wait_for(s, timeout_ms, &capped);
		if (ms < 0) {
			tvp = NULL;
		} else {
			tv.tv_sec = ms / 1000;
			tv.tv_usec = (ms % 1000) * 1000;
		}
		r = ldap_result(ld, s->msgid, LDAP_MSG_ONE, tvp, &msg);
		if (r == 0) {
			int timed_out = (first && capped) ||
			                (s->refreshing &&
			                 since_ms(&s->heard) >= (long long)s->c->op_timeout * 1000);

			if (!timed_out)
				return LDAPC_OK;
			ldapc_fmt_err(err, s->c->uris[s->c->cur], "sync", s->base, LDAP_TIMEOUT,
			              "no answer within the operation timeout");
			return sync_over(s, ldapc_classify(LDAP_TIMEOUT), LDAP_TIMEOUT, 0, err,
			                 mark);
		}
		if (r < 0) {
			int lrc = ldapc_get_errno(ld);

			(void)ldapc_ld_fail(s->c, "sync", s->base, lrc, &lrc, err);
			return sync_over(s, ldapc_classify(lrc), lrc, 0, err, mark);
		}
		first = 0;
		clock_gettime(CLOCK_MONOTONIC, &s->heard);
		switch (r) {
		case LDAP_RES_SEARCH_ENTRY:
			on_entry(&v, s, ld, msg, cb, arg, err);
			break;
		case LDAP_RES_INTERMEDIATE:
			on_info(&v, s, ld, msg, cb, arg, err);
			break;
		case LDAP_RES_SEARCH_RESULT:
			on_result(&v, s, ld, msg, cb, arg, err);
			break;
		default:
			/* Continuation references: referrals are not chased. */
			break;
		}
		ldap_msgfree(msg);
		if (v.over) {
			*refresh_required = v.refresh;
			return sync_over(s, v.rc, v.lrc, v.refresh, err, mark);
		}
	}
}

void ldapc_sync_end(struct ldapc_sync *s)
{
	LDAP *ld;

	if (s == NULL)
		return;
	ld = sync_ld(s);
	if (ld != NULL && s->msgid >= 0)
		(void)ldap_abandon_ext(ld, s->msgid, NULL, NULL);
	free(s->base);
	free(s->end_msg);
	free(s);
}
