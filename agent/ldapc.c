/* ldapc.c - the only module that talks to libldap.
 * Connects through a failover list of URIs (TLS, StartTLS, simple or SASL
 * bind), streams paged searches into plain entries, writes guarded modifies,
 * and turns every LDAP failure into one classification and one line of text. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <lber.h>
#include <ldap.h>
#include <sasl/sasl.h>

#include "ldapc.h"
#include "ldapc_int.h"
#include "log.h"
#include "range.h"
#include "utf8.h"

/* OpenLDAP's LDAP_DEBUG_TRACE (ldap_log.h is not installed). */
#define LDAPC_DEBUG_TRACE 0x0001

/* Used when the caller leaves a timeout at 0. */
#define LDAPC_DEFAULT_TIMEOUT 10
#define LDAPC_DEFAULT_OP_TIMEOUT 30

/* What a search does with each entry: hand it to the caller's function,
 * or keep the first one (ldapc_read). */
struct sink {
	ldapc_entry_fn fn;
	void *arg;
	struct entry **keep;
	int delivered;  /* entries handed out so far: a search that delivered
	                 * any cannot be silently restarted after a reconnect */
	unsigned flags; /* LDAPC_S_* */
	int parts;      /* 1: entries as sent, ranged attributes left in parts
	                 * (the reads that ask for the rest of them) */
};

/*
 * Classification of LDAP result codes, the only one in dirmail:
 *
 *   ok     success
 *   retry  transport or server load, nothing wrong with the request:
 *          server down (-1), connect error (-11), timeout (-5), local error (-2),
 *          no memory (-10), decoding error (-4), operations error (1),
 *          time/size/admin limit exceeded (3, 4, 11), busy (51),
 *          unavailable (52), loop detected (54), other (80), and any code not
 *          listed here
 *   skip   this object only: no such attribute (16), undefined type (17),
 *          inappropriate matching (18), constraint violation (19), value exists
 *          (20), invalid syntax (21), no such object (32), alias problems (33,
 *          36), invalid DN (34), is leaf (35), insufficient access (50),
 *          unwilling to perform (53: AD's answer to one bad write), naming
 *          violation (64), object class violation (65), not allowed on
 *          non-leaf / RDN (66, 67), already exists (68), object class mods
 *          prohibited (69), affects multiple DSAs (71), referral (9, 10: the
 *          object lives elsewhere), filter error (-7), encoding error (-3),
 *          control not found (-13)
 *   stale  assertion failed (122): the object changed since it was read;
 *          read it again and recompute
 *   fatal  configuration or credentials, stop: protocol error (2), auth
 *          method not supported (7), strong auth required (8), unavailable
 *          critical extension (12: e.g. no assertion control, so no safe
 *          writes), confidentiality required (13), SASL bind in progress (14),
 *          inappropriate auth (48), invalid credentials (49), proxy authz
 *          failure (123), auth unknown (-6), param error (-9), not supported
 *          (-12)
 *
 * While connecting, "skip" means "fatal": a bind has no object to skip.
 */
enum ldapc_rc ldapc_classify(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return LDAPC_OK;
	case LDAP_NO_SUCH_ATTRIBUTE:
	case LDAP_UNDEFINED_TYPE:
	case LDAP_INAPPROPRIATE_MATCHING:
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_TYPE_OR_VALUE_EXISTS:
	case LDAP_INVALID_SYNTAX:
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_ALIAS_PROBLEM:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_IS_LEAF:
	case LDAP_ALIAS_DEREF_PROBLEM:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_NAMING_VIOLATION:
	case LDAP_OBJECT_CLASS_VIOLATION:
	case LDAP_NOT_ALLOWED_ON_NONLEAF:
	case LDAP_NOT_ALLOWED_ON_RDN:
	case LDAP_ALREADY_EXISTS:
	case LDAP_NO_OBJECT_CLASS_MODS:
	case LDAP_AFFECTS_MULTIPLE_DSAS:
	case LDAP_PARTIAL_RESULTS:
	case LDAP_REFERRAL:
	case LDAP_FILTER_ERROR:
	case LDAP_ENCODING_ERROR:
	case LDAP_CONTROL_NOT_FOUND:
		return LDAPC_SKIP;
	case LDAP_ASSERTION_FAILED:
		return LDAPC_STALE;
	case LDAP_PROTOCOL_ERROR:
	case LDAP_AUTH_METHOD_NOT_SUPPORTED:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_UNAVAILABLE_CRITICAL_EXTENSION:
	case LDAP_CONFIDENTIALITY_REQUIRED:
	case LDAP_SASL_BIND_IN_PROGRESS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_X_PROXY_AUTHZ_FAILURE:
	case LDAP_AUTH_UNKNOWN:
	case LDAP_PARAM_ERROR:
	case LDAP_NOT_SUPPORTED:
		return LDAPC_FATAL;
	default:
		return LDAPC_RETRY;
	}
}

/* The connection itself is gone or in an unknown state after these. */
int ldapc_is_transport(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
	       rc == LDAP_DECODING_ERROR;
}

/* Error text for rc; the two an admin acts on most read as plain words. */
static const char *err_text(int rc)
{
	if (rc == LDAP_INVALID_CREDENTIALS)
		return "invalid credentials";
	if (rc == LDAP_ASSERTION_FAILED)
		return "assertion failed";
	return ldap_err2string(rc);
}

/*
 * The one place an LDAP failure becomes text:
 *   URI: OP on "DN": Error text (code): server diagnostic
 * OP, DN and the diagnostic are left out when absent. rc LDAP_SUCCESS marks a
 * condition without an LDAP code; diag is then the whole reason. A refused
 * simple bind reads "URI: invalid credentials for DN "DN"" so the admin sees
 * at once which identity was refused (never the password: ldapc never
 * formats it).
 */
void ldapc_fmt_err(struct buf *err, const char *uri, const char *op, const char *dn, int rc,
                   const char *diag)
{
	size_t dlen = diag ? strlen(diag) : 0;

	/* AD ends diagnostics with a newline or NUL, cyrus-sasl with ": ". */
	while (dlen > 0 && strchr("\n\r :", diag[dlen - 1]) != NULL)
		dlen--;
	(void)!buf_puts(err, uri ? uri : "(no URI)");
	if (rc == LDAP_INVALID_CREDENTIALS && op != NULL && strcmp(op, "bind") == 0 && dn) {
		(void)!buf_printf(err, ": invalid credentials for DN \"%s\"", dn);
	} else {
		if (op != NULL)
			(void)!buf_printf(err, ": %s", op);
		if (op != NULL && dn != NULL)
			(void)!buf_printf(err, " on \"%s\"", dn);
		if (rc != LDAP_SUCCESS)
			(void)!buf_printf(err, ": %s (%d)", err_text(rc), rc);
	}
	if (dlen > 0)
		(void)!buf_printf(err, ": %.*s", (int)dlen, diag);
}

/* Returns the handle's diagnostic message (free with ldap_memfree) or NULL. */
static char *get_diag(LDAP *ld)
{
	char *d = NULL;

	if (ld == NULL || ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &d) != LDAP_OPT_SUCCESS)
		return NULL;
	if (d != NULL && *d == '\0') {
		ldap_memfree(d);
		d = NULL;
	}
	return d;
}

/* Returns the handle's last result code (what a failed call left behind). */
int ldapc_get_errno(LDAP *ld)
{
	int rc = LDAP_OTHER;

	if (ld == NULL || ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &rc) != LDAP_OPT_SUCCESS)
		return LDAP_OTHER;
	return rc == LDAP_SUCCESS ? LDAP_OTHER : rc;
}

/* Formats the failure rc of op on dn with the handle's diagnostic. */
static void fmt_ld(struct buf *err, struct ldapc *c, const char *op, const char *dn, int rc)
{
	char *diag = get_diag(c->ld);

	ldapc_fmt_err(err, c->uris[c->cur], op, dn, rc, diag);
	ldap_memfree(diag);
}

/*
 * libldap built with GnuTLS (Debian's) reports a failed certificate check only
 * as "(unknown error code)"; the reason ("peer cert untrusted or revoked",
 * "hostname ... does not match ...") goes to its debug channel alone. While a
 * TLS context is built or a handshake runs, that channel is routed here and
 * its "TLS: " lines are kept for the error message. Outside those moments the
 * channel prints to stderr as libldap would.
 */
static struct buf tls_lines = BUF_INIT;
static int tls_capturing;
/* The debug channel and its level are libldap's, for the whole process:
 * two connections of two threads (the pass's member filters are read on a
 * second one) connect one at a time, each capture begun and ended under
 * this lock. */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;

static void tls_print(const char *s)
{
	size_t n;

	if (!tls_capturing) {
		fputs(s, stderr);
		return;
	}
	/* "can't connect: ..." only repeats the generic error. */
	if (strncmp(s, "TLS: ", 5) != 0 || strncmp(s, "TLS: can't connect", 18) == 0)
		return;
	s += 5;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	if (tls_lines.len > 0)
		(void)!buf_puts(&tls_lines, "; ");
	(void)!buf_add(&tls_lines, s, n);
}

/* Starts capturing; returns the debug level to restore. */
static int tls_capture_begin(void)
{
	int old = 0, lvl = LDAPC_DEBUG_TRACE;

	(void)pthread_mutex_lock(&tls_lock);
	(void)ldap_get_option(NULL, LDAP_OPT_DEBUG_LEVEL, &old);
	buf_reset(&tls_lines);
	tls_capturing = 1;
	(void)ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN, (const void *)tls_print);
	(void)ldap_set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &lvl);
	return old;
}

/* Stops capturing; returns what was captured (free()) or NULL. */
static char *tls_capture_end(int old)
{
	char *s = NULL;

	(void)ldap_set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &old);
	tls_capturing = 0;
	if (tls_lines.len > 0)
		s = buf_steal(&tls_lines);
	buf_free(&tls_lines);
	(void)pthread_mutex_unlock(&tls_lock);
	return s;
}

/* GnuTLS's words for "the socket failed", which the LDAP error already says. */
static int tls_diag_useless(const char *d)
{
	return d == NULL || strcmp(d, "(unknown error code)") == 0 ||
	       strcmp(d, "Error in the push function.") == 0 ||
	       strcmp(d, "Error in the pull function.") == 0;
}

/* Formats a failed TLS step (handshake or StartTLS) with the most specific
 * reason known: the captured TLS lines, else the handle's diagnostic. */
static void fmt_tls(struct buf *err, struct ldapc *c, LDAP *ld, const char *op, int rc,
                    const char *captured)
{
	char *diag = get_diag(ld);
	const char *reason = captured;
	struct buf why = BUF_INIT;

	if (reason == NULL && !tls_diag_useless(diag))
		reason = diag;
	if (reason != NULL && c->tls_verify && strstr(reason, "cert") != NULL)
		(void)!buf_printf(
		    &why, "server certificate rejected%s: %s",
		    c->tls_ca_file || c->tls_ca_dir ? "" : " (no CA file or directory configured)",
		    reason);
	else if (reason != NULL)
		(void)!buf_puts(&why, reason);
	/* Without a specific reason, an ldaps:// failure is just "can't contact". */
	if (reason == NULL && rc == LDAP_SERVER_DOWN && strcmp(op, "StartTLS") != 0)
		op = NULL;
	ldapc_fmt_err(err, c->uris[c->cur], op, NULL, rc, why.len ? buf_str(&why) : NULL);
	buf_free(&why);
	ldap_memfree(diag);
}

/* libldap takes char * for strings it never writes (attribute names, the
 * attribute list, values): dm_unconst and this are where constness goes. */
char **ldapc_unconst_list(const char *const *l)
{
	union {
		const char *const *c;
		char **m;
	} u;

	u.c = l;
	return u.m;
}

/* Copies an optional string; "" counts as unset. -1 when out of memory. */
static int dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (s == NULL || *s == '\0')
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -1;
}

static void set_timeout(LDAP *ld, int option, int seconds)
{
	struct timeval tv;

	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	(void)ldap_set_option(ld, option, &tv);
}

/* SASL interaction: answers from the configured options, never a prompt. */
static int sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	const struct ldapc *c = defaults;
	sasl_interact_t *it;

	for (it = in; it->id != SASL_CB_LIST_END; it++) {
		const char *v = NULL;

		switch (it->id) {
		case SASL_CB_AUTHNAME:
			v = c->sasl_authcid;
			break;
		case SASL_CB_USER:
			v = c->sasl_authzid;
			break;
		case SASL_CB_GETREALM:
			v = c->sasl_realm;
			break;
		case SASL_CB_PASS:
			v = c->password;
			break;
		default:
			break;
		}
		if (v == NULL)
			v = it->defresult ? it->defresult : "";
		it->result = v;
		it->len = (unsigned)strlen(v);
	}
	return LDAP_SUCCESS;
}

/* Why a host name cannot be connected to, when the reason is that it does
 * not resolve (libldap only says "Can't contact LDAP server"); else NULL. */
static const char *resolve_problem(const char *uri)
{
	struct addrinfo hints, *res = NULL;
	LDAPURLDesc *lud = NULL;
	const char *why = NULL;
	int r;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS)
		return NULL;
	if (strcmp(lud->lud_scheme, "ldapi") == 0) {
		struct stat st;

		if (lud->lud_host != NULL && *lud->lud_host && stat(lud->lud_host, &st) < 0)
			why = strerror(errno);
	} else if (lud->lud_host != NULL && *lud->lud_host) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		r = getaddrinfo(lud->lud_host, NULL, &hints, &res);
		if (r != 0)
			why = gai_strerror(r);
		else
			freeaddrinfo(res);
	}
	ldap_free_urldesc(lud);
	return why;
}

/* Sets the TLS options on a fresh handle; per-handle options take effect
 * only through a new context. Returns the classification. */
static enum ldapc_rc setup_tls(struct ldapc *c, LDAP *ld, struct buf *err)
{
	int req = c->tls_verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
	int is_server = 0, r = LDAP_OPT_SUCCESS, old;
	char *captured;

	if (c->tls_ca_file)
		r |= ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->tls_ca_file);
	if (c->tls_ca_dir)
		r |= ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTDIR, c->tls_ca_dir);
	if (c->tls_cert_file)
		r |= ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, c->tls_cert_file);
	if (c->tls_key_file)
		r |= ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, c->tls_key_file);
	r |= ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &req);
	old = tls_capture_begin();
	if (r == LDAP_OPT_SUCCESS)
		r = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);
	captured = tls_capture_end(old);
	if (r != LDAP_OPT_SUCCESS) {
		char *diag = get_diag(ld);
		const char *why = "check the CA, certificate and key files";

		if (captured != NULL)
			why = captured;
		else if (!tls_diag_useless(diag))
			why = diag;
		ldapc_fmt_err(err, c->uris[c->cur], "TLS setup", NULL, LDAP_PARAM_ERROR, why);
		ldap_memfree(diag);
		free(captured);
		return ldapc_classify(LDAP_PARAM_ERROR);
	}
	free(captured);
	return LDAPC_OK;
}

/* Binds on c->ld as configured; returns the LDAP code and formats failures. */
static int do_bind(struct ldapc *c, struct buf *err)
{
	int r;

	if (c->sasl_mech != NULL) {
		struct buf op = BUF_INIT;
		ber_len_t no_layer = 0;

		/* The service's name is the URI's host, never what a reverse
		 * lookup of its address says. */
		(void)ldap_set_option(c->ld, LDAP_OPT_X_SASL_NOCANON, LDAP_OPT_ON);
		/* TLS protects the connection: no SASL layer inside it, which AD
		 * refuses ("Sign or Seal are not allowed if TLS is used"). */
		if (c->tls[c->cur] != TLS_NONE)
			(void)ldap_set_option(c->ld, LDAP_OPT_X_SASL_SSF_MAX, &no_layer);
		r = ldap_sasl_interactive_bind_s(c->ld, NULL, c->sasl_mech, NULL, NULL,
		                                 LDAP_SASL_QUIET, sasl_interact, c);
		if (r == LDAP_SUCCESS)
			return r;
		(void)!buf_printf(&op, "SASL %s bind", c->sasl_mech);
		if (c->sasl_authcid || c->sasl_authzid)
			(void)!buf_printf(&op, " as \"%s\"",
			                  c->sasl_authcid ? c->sasl_authcid : c->sasl_authzid);
		fmt_ld(err, c, buf_str(&op), NULL, r);
		buf_free(&op);
		return r;
	}
	if (c->bind_dn != NULL) {
		struct berval cred;

		cred.bv_val = c->password;
		cred.bv_len = strlen(c->password);
		r = ldap_sasl_bind_s(c->ld, c->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	} else {
		/* Anonymous: still one round trip, so a server that accepts the
		 * connection but does not speak LDAP counts as down. */
		struct berval none = {0, NULL};

		r = ldap_sasl_bind_s(c->ld, "", LDAP_SASL_SIMPLE, &none, NULL, NULL, NULL);
	}
	if (r != LDAP_SUCCESS)
		fmt_ld(err, c, "bind", c->bind_dn ? c->bind_dn : "", r);
	return r;
}

/* Unbinds and forgets the connection; the next operation reconnects. */
void ldapc_drop(struct ldapc *c)
{
	if (c->ld != NULL)
		(void)ldap_unbind_ext_s(c->ld, NULL, NULL);
	c->ld = NULL;
}

/* Connects to URI i and binds; on success c->ld is set. Returns the
 * classification of the attempt with one line in err on failure. */
/* Reads the connection in large chunks: libldap reads each message's
 * header and then its body straight from the socket, two system calls per
 * entry of a search. The readahead layer sits on the socket, under TLS or
 * a SASL security layer when those come; without it all still works. */
static void read_ahead(LDAP *ld)
{
	Sockbuf *sb = NULL;

	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS || sb == NULL)
		return;
	if (!ber_sockbuf_ctrl(sb, LBER_SB_OPT_HAS_IO, &ber_sockbuf_io_readahead))
		(void)ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER,
		                         NULL);
}

static enum ldapc_rc connect_one(struct ldapc *c, size_t i, struct buf *err)
{
	struct buf why = BUF_INIT;
	enum ldapc_rc rc = LDAPC_RETRY;
	char *captured = NULL;
	int r, old, v3 = LDAP_VERSION3;

	c->cur = i;
	r = ldap_initialize(&c->ld, c->uris[i]);
	if (r != LDAP_SUCCESS) {
		ldapc_fmt_err(err, c->uris[i], NULL, NULL, r, NULL);
		rc = ldapc_classify(r);
		goto done;
	}
	(void)ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	(void)ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	/* A signal (SIGHUP, SIGTERM) must not look like a lost server. */
	(void)ldap_set_option(c->ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
	set_timeout(c->ld, LDAP_OPT_NETWORK_TIMEOUT, c->timeout);
	/* Connecting, StartTLS and bind are bounded by the connect timeout. */
	set_timeout(c->ld, LDAP_OPT_TIMEOUT, c->timeout);
	/* libldap 2.5 bounds an ldaps:// handshake by the network timeout only
	 * with asynchronous connects; synchronously, a server that accepts but
	 * stays silent makes it spin forever. Asynchronous connects try only the
	 * first address of a host name, so plain connections stay synchronous and
	 * keep libldap's fallback over every address. */
	if (c->tls[i] == TLS_LDAPS)
		(void)ldap_set_option(c->ld, LDAP_OPT_CONNECT_ASYNC, LDAP_OPT_ON);
	if (c->tls[i] != TLS_NONE) {
		rc = setup_tls(c, c->ld, err);
		if (rc != LDAPC_OK)
			goto done;
		rc = LDAPC_RETRY;
	}

	if (c->tls[i] == TLS_LDAPS) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		old = tls_capture_begin();
		r = ldap_connect(c->ld);
		captured = tls_capture_end(old);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (r != LDAP_SUCCESS && captured == NULL && t1.tv_sec - t0.tv_sec >= c->timeout)
			(void)!buf_printf(&why, "no TLS handshake within %d s", c->timeout);
		if (r != LDAP_SUCCESS && why.len == 0) {
			const char *rp = resolve_problem(c->uris[i]);

			if (rp != NULL)
				(void)!buf_puts(&why, rp);
		}
		if (r != LDAP_SUCCESS) {
			fmt_tls(err, c, c->ld, "TLS handshake", r,
			        why.len ? buf_str(&why) : captured);
			rc = ldapc_classify(r);
			goto done;
		}
	} else {
		r = ldap_connect(c->ld);
		if (r != LDAP_SUCCESS) {
			ldapc_fmt_err(err, c->uris[i], NULL, NULL, r, resolve_problem(c->uris[i]));
			rc = ldapc_classify(r);
			goto done;
		}
	}

	read_ahead(c->ld);
	if (c->tls[i] == TLS_STARTTLS) {
		old = tls_capture_begin();
		r = ldap_start_tls_s(c->ld, NULL, NULL);
		captured = tls_capture_end(old);
		if (r != LDAP_SUCCESS) {
			fmt_tls(err, c, c->ld, "StartTLS", r, captured);
			/* A server that cannot give a trusted channel is, for us,
			 * a server we cannot reach: try the next one, exit 69. */
			rc = LDAPC_RETRY;
			goto done;
		}
	}

	r = do_bind(c, err);
	if (r != LDAP_SUCCESS) {
		rc = ldapc_classify(r);
		goto done;
	}
	set_timeout(c->ld, LDAP_OPT_TIMEOUT, c->op_timeout);
	c->gen++;
	rc = LDAPC_OK;
done:
	if (rc == LDAPC_SKIP || rc == LDAPC_STALE)
		rc = LDAPC_FATAL;
	if (rc != LDAPC_OK)
		ldapc_drop(c);
	free(captured);
	buf_free(&why);
	return rc;
}

/* Tries every URI in order until one connects and binds. A fatal answer
 * (credentials, configuration) stops at once; transport failures go on to
 * the next URI and, when all fail, are reported together as a retry. */
static enum ldapc_rc ldapc_connect(struct ldapc *c, struct buf *err)
{
	struct buf all = BUF_INIT, one = BUF_INIT;
	enum ldapc_rc rc = LDAPC_RETRY;
	size_t i;

	for (i = 0; i < c->nuris; i++) {
		buf_reset(&one);
		rc = connect_one(c, i, &one);
		if (rc == LDAPC_OK) {
			/* The dead servers are worth a warning only when one
			 * answered; otherwise the error below names them all. */
			if (i > 0)
				log_warn("%s; connected to %s instead",
				         buf_str(&all) + strlen("cannot connect to "), c->uris[i]);
			goto done;
		}
		if (rc == LDAPC_FATAL) {
			(void)!buf_puts(err, buf_str(&one));
			goto done;
		}
		(void)!buf_puts(&all, all.len ? "; " : "cannot connect to ");
		(void)!buf_puts(&all, buf_str(&one));
	}
	(void)!buf_puts(err, buf_str(&all));
done:
	buf_free(&all);
	buf_free(&one);
	return rc;
}

/* Reconnects when a previous failure dropped the connection. */
enum ldapc_rc ldapc_ensure_connected(struct ldapc *c, struct buf *err)
{
	if (c->ld != NULL)
		return LDAPC_OK;
	return ldapc_connect(c, err);
}

/* Splits and checks the URI list; -1 with a message on a bad URI. */
static int parse_uris(struct ldapc *c, const char *uris, struct buf *err)
{
	const char *p = uris, *e;
	LDAPURLDesc *lud = NULL;
	char *tok = NULL;
	size_t len0 = err->len;
	int rc = -1;

	for (;;) {
		LDAPURLDesc hp;
		char *norm, **nu;
		enum ldapc_tls *nt;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e && *e != ' ' && *e != '\t' && *e != '\n'; e++)
			;
		tok = strndup(p, (size_t)(e - p));
		if (tok == NULL)
			goto done;
		if (ldap_url_parse(tok, &lud) != LDAP_URL_SUCCESS ||
		    (strcmp(lud->lud_scheme, "ldap") != 0 &&
		     strcmp(lud->lud_scheme, "ldaps") != 0 &&
		     strcmp(lud->lud_scheme, "ldapi") != 0)) {
			(void)!buf_printf(
			    err, "invalid LDAP URI \"%s\" (want ldap://, ldaps:// or ldapi://)",
			    tok);
			goto done;
		}
		nu = realloc(c->uris, (c->nuris + 2) * sizeof(*nu));
		if (nu == NULL)
			goto done;
		c->uris = nu;
		nt = realloc(c->tls, (c->nuris + 1) * sizeof(*nt));
		if (nt == NULL)
			goto done;
		c->tls = nt;
		/* Only scheme, host and port matter for a connection. */
		memset(&hp, 0, sizeof(hp));
		hp.lud_scheme = lud->lud_scheme;
		hp.lud_host = lud->lud_host;
		hp.lud_port = lud->lud_port;
		hp.lud_scope = LDAP_SCOPE_DEFAULT;
		norm = ldap_url_desc2str(&hp);
		if (norm == NULL)
			goto done;
		/* "ldap://host:389/", as OpenLDAP's tools print it. */
		c->uris[c->nuris] = malloc(strlen(norm) + 2);
		if (c->uris[c->nuris] != NULL)
			sprintf(c->uris[c->nuris], "%s%s", norm,
			        norm[strlen(norm) - 1] == '/' ? "" : "/");
		ldap_memfree(norm);
		if (c->uris[c->nuris] == NULL)
			goto done;
		c->tls[c->nuris] = strcmp(lud->lud_scheme, "ldaps") == 0 ? TLS_LDAPS
		                   : (strcmp(lud->lud_scheme, "ldap") == 0 && c->starttls)
		                       ? TLS_STARTTLS
		                       : TLS_NONE;
		c->nuris++;
		c->uris[c->nuris] = NULL;
		ldap_free_urldesc(lud);
		lud = NULL;
		free(tok);
		tok = NULL;
		p = e;
	}
	if (c->nuris == 0) {
		(void)!buf_puts(err, "no LDAP URI given");
		goto done;
	}
	rc = 0;
done:
	if (rc < 0 && err->len == len0)
		(void)!buf_puts(err, "out of memory");
	if (lud)
		ldap_free_urldesc(lud);
	free(tok);
	return rc;
}

/* Points the GSSAPI library at the keytab kt for the tickets it gets, and
 * at a ticket cache in memory named after it: the tickets of whoever runs
 * dirmail (an admin's, in KRB5CCNAME) must never be the identity it binds
 * with, and its own never land on disk. MIT Kerberos gets a ticket from a
 * client keytab when the cache has none, and a new one when it expires.
 * -1 with one line in err when the environment cannot be set. */
static int use_keytab(const char *kt, struct buf *err)
{
	struct buf cc = BUF_INIT;
	int rc = 0;

	if (buf_printf(&cc, "MEMORY:dirmail %s", kt) < 0 ||
	    setenv("KRB5_CLIENT_KTNAME", kt, 1) < 0 || setenv("KRB5CCNAME", buf_str(&cc), 1) < 0) {
		(void)!buf_printf(err, "keytab %s: cannot set the environment: %s", kt,
		                  strerror(errno ? errno : ENOMEM));
		rc = -1;
	}
	buf_free(&cc);
	return rc;
}

enum ldapc_rc ldapc_open(const struct ldapc_opts *o, struct ldapc **out, struct buf *err)
{
	static int env_done;
	struct sigaction sa;
	struct ldapc *c = NULL;
	enum ldapc_rc rc = LDAPC_FATAL;

	*out = NULL;
	if (!env_done) {
		/* The host's ldap.conf and ~/.ldaprc must never change behaviour. */
		if (setenv("LDAPNOINIT", "1", 1) < 0) {
			(void)!buf_printf(err, "setenv: %s", strerror(errno));
			goto done;
		}
		env_done = 1;
	}
	/* A server that closes the connection must be a retry, not a death by
	 * SIGPIPE inside libldap's write. */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
		sa.sa_handler = SIG_IGN;
		(void)sigaction(SIGPIPE, &sa, NULL);
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		(void)!buf_puts(err, "out of memory");
		goto done;
	}
	if (dup_opt(&c->bind_dn, o->bind_dn) < 0 || dup_opt(&c->password, o->password) < 0 ||
	    dup_opt(&c->sasl_mech, o->sasl_mech) < 0 ||
	    dup_opt(&c->sasl_authcid, o->sasl_authcid) < 0 ||
	    dup_opt(&c->sasl_authzid, o->sasl_authzid) < 0 ||
	    dup_opt(&c->sasl_realm, o->sasl_realm) < 0 || dup_opt(&c->keytab, o->keytab) < 0 ||
	    dup_opt(&c->tls_ca_file, o->tls_ca_file) < 0 ||
	    dup_opt(&c->tls_ca_dir, o->tls_ca_dir) < 0 ||
	    dup_opt(&c->tls_cert_file, o->tls_cert_file) < 0 ||
	    dup_opt(&c->tls_key_file, o->tls_key_file) < 0) {
		(void)!buf_puts(err, "out of memory");
		goto done;
	}
	c->starttls = o->starttls;
	c->tls_verify = o->tls_verify;
	c->timeout = o->timeout > 0 ? o->timeout : LDAPC_DEFAULT_TIMEOUT;
	c->op_timeout = o->op_timeout > 0 ? o->op_timeout : LDAPC_DEFAULT_OP_TIMEOUT;
	c->dn_attrs = o->dn_attrs;
	if (parse_uris(c, o->uris ? o->uris : "", err) < 0)
		goto done;
	if (c->keytab != NULL && use_keytab(c->keytab, err) < 0)
		goto done;
	if (c->sasl_mech == NULL && c->bind_dn != NULL && c->password == NULL) {
		/* An empty password would be an unauthenticated bind (RFC 4513),
		 * which some servers accept as anonymous. */
		(void)!buf_printf(err, "bind DN \"%s\" given without a password", c->bind_dn);
		goto done;
	}
	rc = ldapc_connect(c, err);
	if (rc != LDAPC_OK)
		goto done;
	*out = c;
	c = NULL;
done:
	ldapc_close(c);
	return rc;
}

enum ldapc_rc ldapc_dup(const struct ldapc *c, struct ldapc **out, struct buf *err)
{
	struct ldapc_opts o;

	/* The options c was opened with, its current URI alone. */
	memset(&o, 0, sizeof(o));
	o.uris = c->uris[c->cur];
	o.bind_dn = c->bind_dn;
	o.password = c->password;
	o.sasl_mech = c->sasl_mech;
	o.sasl_authcid = c->sasl_authcid;
	o.sasl_authzid = c->sasl_authzid;
	o.sasl_realm = c->sasl_realm;
	o.keytab = c->keytab;
	o.starttls = c->starttls;
	o.tls_ca_file = c->tls_ca_file;
	o.tls_ca_dir = c->tls_ca_dir;
	o.tls_cert_file = c->tls_cert_file;
	o.tls_key_file = c->tls_key_file;
	o.tls_verify = c->tls_verify;
	o.timeout = c->timeout;
	o.op_timeout = c->op_timeout;
	o.dn_attrs = c->dn_attrs;
	return ldapc_open(&o, out, err);
}

void ldapc_close(struct ldapc *c)
{
	size_t i;

	if (c == NULL)
		return;
	ldapc_drop(c);
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	for (i = 0; i < c->nuris; i++)
		free(c->uris[i]);
	free(c->uris);
	free(c->tls);
	free(c->bind_dn);
	free(c->sasl_mech);
	free(c->sasl_authcid);
	free(c->sasl_authzid);
	free(c->sasl_realm);
	free(c->keytab);
	free(c->tls_ca_file);
	free(c->tls_ca_dir);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->identity);
	free(c->post_value);
	free(c);
}

const char *ldapc_uri(const struct ldapc *c)
{
	return c->uris[c->cur];
}

char *ldapc_whoami(struct ldapc *c)
{
	struct buf err = BUF_INIT;
	struct berval *id = NULL;
	char *s = NULL;
	int r = LDAP_SERVER_DOWN, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		int was_up = c->ld != NULL;

		if (ldapc_ensure_connected(c, &err) != LDAPC_OK)
			goto done;
		r = ldap_whoami_s(c->ld, &id, NULL, NULL);
		if (r == LDAP_SUCCESS)
			break;
		buf_reset(&err);
		fmt_ld(&err, c, "WhoAmI", NULL, r);
		if (ldapc_is_transport(r))
			ldapc_drop(c);
		if (r != LDAP_SERVER_DOWN || !was_up)
			goto done;
	}
	if (r != LDAP_SUCCESS)
		goto done;
	s = id && id->bv_len ? strndup(id->bv_val, id->bv_len) : strdup("");
done:
	if (s == NULL && err.len > 0)
		log_debug("%s", buf_str(&err));
	ber_bvfree(id);
	buf_free(&err);
	return s;
}

/* The identity the bind presented, in a new string: what a server without
 * Who am I? leaves dirmail to say ("unknown" when even that is unknown,
 * e.g. a SASL mechanism that names no user, or the connection is gone). */
static char *bound_as(struct ldapc *c)
{
	struct buf s = BUF_INIT;
	char *user = NULL;

	if (c->sasl_mech != NULL) {
		if (c->ld != NULL &&
		    ldap_get_option(c->ld, LDAP_OPT_X_SASL_USERNAME, &user) == LDAP_OPT_SUCCESS &&
		    user != NULL && *user != '\0')
			(void)!buf_printf(&s, "u:%s", user);
		ldap_memfree(user);
	} else if (c->bind_dn != NULL) {
		(void)!buf_printf(&s, "dn:%s", c->bind_dn);
	} else {
		(void)!buf_puts(&s, "anonymous");
	}
	if (s.len == 0)
		(void)!buf_puts(&s, "unknown");
	return buf_steal(&s);
}

const char *ldapc_bind_identity(struct ldapc *c)
{
	struct buf err = BUF_INIT;
	struct berval *id = NULL;
	char *s;
	int r;

	if (c->ld == NULL || (c->identity != NULL && c->identity_gen == c->gen))
		return c->identity != NULL ? c->identity : "unknown";
	r = ldap_whoami_s(c->ld, &id, NULL, NULL);
	if (r != LDAP_SUCCESS) {
		fmt_ld(&err, c, "WhoAmI", NULL, r);
		log_debug("%s", buf_str(&err));
		buf_free(&err);
		if (ldapc_is_transport(r))
			ldapc_drop(c);
	}
	s = r != LDAP_SUCCESS ? bound_as(c)
	    : id && id->bv_len && memchr(id->bv_val, '\0', id->bv_len) == NULL
	        ? strndup(id->bv_val, id->bv_len)
	        : strdup(id && id->bv_len ? "unknown" : "anonymous");
	ber_bvfree(id);
	if (s == NULL)
		return "unknown";
	free(c->identity);
	c->identity = s;
	c->identity_gen = c->gen;
	return s;
}

/* Does ch end an RDN or an attribute type, where a space is escaped? */
static int dn_sep(char ch)
{
	return ch == ',' || ch == '=' || ch == '+';
}

/* Is the DN s (n bytes) already in the form ldap_dn2str writes, but for
 * case? Letters, digits and the common punctuation of names, a space only
 * inside a value: what servers return almost always, checked in one scan
 * so that normalising every DN read costs next to nothing. */
static int dn_plain(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		switch (ch) {
		case ' ':
			if (i == 0 || i + 1 == n || dn_sep(s[i - 1]) || dn_sep(s[i + 1]))
				return 0;
			break;
		case '\\':
		case '"':
		case '#':
		case ';':
		case '<':
		case '>':
		case '+':
			return 0;
		default:
			/* >= 0x80: libldap decides how UTF-8 is written */
			if (ch < 0x20 || ch >= 0x80)
				return 0;
		}
	}
	return 1;
}

int ldapc_dn_norm(struct buf *out, const char *dn, size_t len)
{
	struct berval in;
	LDAPDN parsed = NULL;
	char *str = NULL;
	int rc;

	if (dn_plain(dn, len))
		return buf_add(out, dn, len);
	in.bv_val = dm_unconst(dn);
	in.bv_len = len;
	if (memchr(dn, '\0', len) != NULL ||
	    ldap_bv2dn(&in, &parsed, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS ||
	    ldap_dn2str(parsed, &str, LDAP_DN_FORMAT_LDAPV3 | LDAP_DN_PRETTY) != LDAP_SUCCESS ||
	    str == NULL)
		rc = buf_add(out, dn, len);
	else
		rc = buf_puts(out, str);
	ldap_dnfree(parsed);
	ldap_memfree(str);
	return rc;
}

/* Is name (n bytes) one of the attributes whose values are DNs? Options
 * ("member;range=0-1499") do not change what the values are. */
static int is_dn_attr(const struct ldapc *c, const char *name, size_t n)
{
	const char *const *a;
	const char *semi = memchr(name, ';', n);

	if (semi != NULL)
		n = (size_t)(semi - name);
	if (n == 0)
		return 0;
	/* The first letter first: most names are none of these. */
	for (a = c->dn_attrs; a != NULL && *a != NULL; a++)
		if (tolower((unsigned char)**a) == tolower((unsigned char)*name) &&
		    strnlen(*a, n + 1) == n && strncasecmp(*a, name, n) == 0)
			return 1;
	return 0;
}

/* Normalises the n DN values v in place, their new forms kept in the
 * arena norm (reset by the caller); -1 when out of memory. */
static int norm_vals(struct entry_val *v, size_t n, struct buf *norm)
{
	size_t i, *at = NULL;
	int rc = -1;

	for (i = 0; i < n; i++)
		if (!dn_plain(v[i].val, v[i].len))
			break;
	if (i == n)
		return 0;
	at = malloc(n * sizeof(*at));
	if (at == NULL)
		return -1;
	/* Offsets first: the arena may move while it grows. */
	for (i = 0; i < n; i++) {
		at[i] = norm->len;
		if (ldapc_dn_norm(norm, v[i].val, v[i].len) < 0 || buf_add(norm, "", 1) < 0)
			goto done;
	}
	for (i = 0; i < n; i++) {
		v[i].val = norm->s + at[i];
		v[i].len = strlen(v[i].val);
	}
	rc = 0;
done:
	free(at);
	return rc;
}

/* Converts one search entry, walking its BER once: names and values are
 * taken in place and each attribute is copied into the entry with all its
 * values at once; the DN and the values of c->dn_attrs are normalised.
 * NULL when out of memory or undecodable. */
struct entry *ldapc_to_entry(const struct ldapc *c, LDAPMessage *m)
{
	struct entry_val small[32], *v = small;
	size_t cap = sizeof(small) / sizeof(small[0]);
	BerElement *ber = NULL;
	struct entry *e = NULL;
	struct buf norm = BUF_INIT;
	struct berval dn;
	ber_len_t left = 0;
	int ok = 0;

	/* ldap_get_dn_ber leaves ber inside the attribute list, limited to it. */
	if (ldap_get_dn_ber(c->ld, m, &ber, &dn) != LDAP_SUCCESS ||
	    ber_get_option(ber, LBER_OPT_BER_REMAINING_BYTES, &left) != LBER_OPT_SUCCESS)
		goto done;
	if (!dn_plain(dn.bv_val, dn.bv_len)) {
		if (ldapc_dn_norm(&norm, dn.bv_val, dn.bv_len) < 0)
			goto done;
		dn.bv_val = norm.s;
	}
	/* The list holds the names and values and their tags: room enough for
	 * the copies, and as much again for the arrays pointing at them. */
	e = entry_new_sized(dn.bv_val, left <= SIZE_MAX / 2 ? (size_t)left * 2 : 0);
	if (e == NULL)
		goto done;
	while (left > 0) {
		struct berval name, bv = {0, NULL};
		ber_len_t len;
		ber_tag_t tag;
		char *last;
		size_t n = 0;

		/* PartialAttribute ::= SEQUENCE { type, vals SET OF value } */
		if (ber_skip_tag(ber, &len) == LBER_DEFAULT ||
		    ber_get_stringbv(ber, &name, 0) == LBER_DEFAULT)
			goto done;
		for (tag = ber_first_element(ber, &len, &last); tag != LBER_DEFAULT;
		     tag = ber_next_element(ber, &len, last)) {
			if (n == cap) {
				struct entry_val *w;

				if (cap > SIZE_MAX / 2 / sizeof(*v))
					goto done;
				w = malloc(2 * cap * sizeof(*v));
				if (w == NULL)
					goto done;
				memcpy(w, v, n * sizeof(*v));
				if (v != small)
					free(v);
				v = w;
				cap *= 2;
			}
			if (ber_skip_element(ber, &bv) == LBER_DEFAULT)
				goto done;
			v[n].val = bv.bv_val;
			v[n].len = bv.bv_len;
			n++;
		}
		/* No SET, or a value running past its end. */
		if (last == NULL || (n > 0 && bv.bv_val + bv.bv_len != last))
			goto done;
		buf_reset(&norm);
		if ((is_dn_attr(c, name.bv_val, name.bv_len) && norm_vals(v, n, &norm) < 0) ||
		    entry_add_vals(e, name.bv_val, v, n) < 0 ||
		    ber_get_option(ber, LBER_OPT_BER_REMAINING_BYTES, &left) != LBER_OPT_SUCCESS)
			goto done;
	}
	ok = 1;
done:
	buf_free(&norm);
	if (v != small)
		free(v);
	ber_free(ber, 0);
	if (!ok) {
		entry_free(e);
		return NULL;
	}
	return e;
}

static int scope_of(enum ldapc_scope s)
{
	return s == LDAPC_BASE  ? LDAP_SCOPE_BASE
	       : s == LDAPC_ONE ? LDAP_SCOPE_ONELEVEL
	                        : LDAP_SCOPE_SUBTREE;
}

/* Records and formats the failure r of op on dn; returns its classification. */
enum ldapc_rc ldapc_ld_fail(struct ldapc *c, const char *op, const char *dn, int r, int *lrc,
                            struct buf *err)
{
	*lrc = r;
	fmt_ld(err, c, op, dn, r);
	return ldapc_classify(r);
}

static enum ldapc_rc search_run(struct ldapc *c, const char *op, const char *base, int scope,
                                const char *filter, char **attrs, int page_size, struct sink *sk,
                                int *lrc, struct buf *err);

/*
 * Active Directory sends at most MaxValRange (1500) values of an attribute
 * per entry, as "member;range=0-1499" (MS-ADTS 3.1.1.3.1.3.3): the rest is
 * asked for with base searches of the entry ("member;range=1500-*", ...)
 * until a part ends in "*", and *pe is replaced by the entry as if the
 * server had sent it whole. A part that is not what it says, or a reply
 * that does not advance (a server that would be asked the same for ever,
 * or a group that shrank while it was read), fails the read as a retry
 * naming the object, so nobody acts on a partial list. These searches run
 * on the same connection, beside the search the entry came from (with its
 * flags: a deleted object is found again only with show deleted): libldap
 * keeps that search's messages meanwhile.
 */
static enum ldapc_rc whole_entry(struct ldapc *c, struct entry **pe, unsigned flags, int *lrc,
                                 struct buf *err)
{
	static const char op[] = "range retrieval";
	struct range_merge *m = NULL;
	struct buf why = BUF_INIT;
	const char *const *want;
	struct entry *whole = NULL;
	enum ldapc_rc rc = LDAPC_OK;
	int r;

	if (range_merge_start(*pe, &m, &why) < 0)
		goto bad;
	while ((r = range_merge_want(m, &want)) == 1) {
		struct entry *part = NULL;
		struct sink sk = {NULL, NULL, &part, 0, flags, 1};

		ldapc_log_search(op, (*pe)->dn, LDAP_SCOPE_BASE, "(objectClass=*)", want, 0);
		rc = search_run(c, op, (*pe)->dn, LDAP_SCOPE_BASE, "(objectClass=*)",
		                ldapc_unconst_list(want), 0, &sk, lrc, err);
		if (rc == LDAPC_OK && part == NULL)
			(void)!buf_puts(&why, "the entry is gone while its values were read");
		else if (rc == LDAPC_OK && range_merge_add(m, part, &why) < 0 && why.len == 0)
			(void)!buf_puts(&why, "out of memory");
		entry_free(part);
		if (rc != LDAPC_OK)
			goto done;
		if (why.len > 0)
			goto bad;
	}
	if (r < 0 || (whole = range_merge_finish(m)) == NULL) {
		(void)!buf_puts(&why, "out of memory");
		goto bad;
	}
	entry_free(*pe);
	*pe = whole;
	goto done;
bad:
	if (why.len == 0)
		(void)!buf_puts(&why, "out of memory");
	*lrc = LDAP_OTHER;
	ldapc_fmt_err(err, c->uris[c->cur], op, (*pe)->dn, LDAP_SUCCESS, buf_str(&why));
	rc = LDAPC_RETRY;
done:
	range_merge_free(m);
	buf_free(&why);
	return rc;
}

/*
 * One run of a paged search on the current connection (RFC 2696): a page is
 * requested, its messages are taken and freed one by one, and the server's
 * cookie asks for the next page. The control is not critical, so a server
 * without paging simply answers with everything. *lrc gets the LDAP code.
 */
static enum ldapc_rc search_run(struct ldapc *c, const char *op, const char *base, int scope,
                                const char *filter, char **attrs, int page_size, struct sink *sk,
                                int *lrc, struct buf *err)
{
	struct berval cookie = {0, NULL};
	/* AD's show deleted objects control: tombstones too. */
	static char deleted_oid[] = "1.2.840.113556.1.4.417";
	LDAPControl deleted = {deleted_oid, {0, NULL}, 0};
	LDAPControl *page = NULL, *sctrls[3] = {NULL, NULL, NULL}, **rctrls = NULL;
	LDAPMessage *msg = NULL;
	enum ldapc_rc rc = LDAPC_OK;
	char *diag = NULL;
	int more = 1, msgid = -1, r;

	*lrc = LDAP_SUCCESS;
	while (more) {
		size_t nc = 0;

		more = 0;
		if (page_size > 0) {
			r = ldap_create_page_control(c->ld, page_size, &cookie, 0, &page);
			if (r != LDAP_SUCCESS) {
				rc = ldapc_ld_fail(c, op, base, r, lrc, err);
				goto done;
			}
			sctrls[nc++] = page;
		}
		if (sk->flags & LDAPC_S_DELETED)
			sctrls[nc++] = &deleted;
		r = ldap_search_ext(c->ld, base, scope, filter, attrs, 0, nc ? sctrls : NULL, NULL,
		                    NULL, LDAP_NO_LIMIT, &msgid);
		ldap_control_free(page);
		page = NULL;
		if (r == LDAP_FILTER_ERROR) {
			struct buf why = BUF_INIT;

			*lrc = r;
			(void)!buf_printf(&why, "filter %s", filter);
			ldapc_fmt_err(err, c->uris[c->cur], op, base, r, buf_str(&why));
			buf_free(&why);
			rc = ldapc_classify(r);
			goto done;
		}
		if (r != LDAP_SUCCESS) {
			rc = ldapc_ld_fail(c, op, base, r, lrc, err);
			goto done;
		}
		for (;;) {
			struct timeval tv;
			struct entry *e;
			int code = LDAP_OTHER;

			tv.tv_sec = c->op_timeout;
			tv.tv_usec = 0;
			r = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, &msg);
			if (r == 0) {
				(void)ldap_abandon_ext(c->ld, msgid, NULL, NULL);
				*lrc = LDAP_TIMEOUT;
				ldapc_fmt_err(err, c->uris[c->cur], op, base, LDAP_TIMEOUT,
				              "no answer within the operation timeout");
				rc = ldapc_classify(LDAP_TIMEOUT);
				goto done;
			}
			if (r < 0) {
				rc = ldapc_ld_fail(c, op, base, ldapc_get_errno(c->ld), lrc, err);
				goto done;
			}
			if (r == LDAP_RES_SEARCH_ENTRY) {
				e = ldapc_to_entry(c, msg);
				ldap_msgfree(msg);
				msg = NULL;
				if (e == NULL) {
					*lrc = LDAP_NO_MEMORY;
					ldapc_fmt_err(err, c->uris[c->cur], op, base,
					              LDAP_NO_MEMORY, "cannot convert an entry");
					rc = ldapc_classify(LDAP_NO_MEMORY);
					(void)ldap_abandon_ext(c->ld, msgid, NULL, NULL);
					goto done;
				}
				if (!sk->parts && range_has(e)) {
					rc = whole_entry(c, &e, sk->flags, lrc, err);
					if (rc != LDAPC_OK) {
						entry_free(e);
						if (!ldapc_is_transport(*lrc))
							(void)ldap_abandon_ext(c->ld, msgid, NULL,
							                       NULL);
						goto done;
					}
				}
				sk->delivered++;
				if (sk->keep != NULL) {
					if (*sk->keep == NULL)
						*sk->keep = e;
					else
						entry_free(e);
				} else {
					r = sk->fn(e, sk->arg);
					entry_free(e);
					if (r < 0) {
						(void)ldap_abandon_ext(c->ld, msgid, NULL, NULL);
						ldapc_fmt_err(err, c->uris[c->cur], op, base,
						              LDAP_SUCCESS, "stopped by caller");
						rc = LDAPC_SKIP;
						goto done;
					}
				}
				continue;
			}
			if (r != LDAP_RES_SEARCH_RESULT) {
				/* Continuation references and intermediate
				 * responses: referrals are not chased. */
				ldap_msgfree(msg);
				msg = NULL;
				continue;
			}
			r = ldap_parse_result(c->ld, msg, &code, NULL, &diag, NULL, &rctrls, 0);
			if (r != LDAP_SUCCESS) {
				rc = ldapc_ld_fail(c, op, base, r, lrc, err);
				goto done;
			}
			if (code != LDAP_SUCCESS) {
				*lrc = code;
				ldapc_fmt_err(err, c->uris[c->cur], op, base, code, diag);
				rc = ldapc_classify(code);
				goto done;
			}
			if (page_size > 0 && rctrls != NULL) {
				LDAPControl *pr =
				    ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
				ber_int_t estimate = 0;

				if (pr != NULL) {
					ber_memfree(cookie.bv_val);
					cookie.bv_val = NULL;
					cookie.bv_len = 0;
					r = ldap_parse_pageresponse_control(c->ld, pr, &estimate,
					                                    &cookie);
					if (r != LDAP_SUCCESS) {
						rc = ldapc_ld_fail(c, op, base, r, lrc, err);
						goto done;
					}
					more = cookie.bv_val != NULL && cookie.bv_len > 0;
				}
			}
			ldap_controls_free(rctrls);
			rctrls = NULL;
			ldap_memfree(diag);
			diag = NULL;
			ldap_msgfree(msg);
			msg = NULL;
			break;
		}
	}
done:
	ldap_control_free(page);
	ldap_controls_free(rctrls);
	ldap_memfree(diag);
	ldap_msgfree(msg);
	ber_memfree(cookie.bv_val);
	return rc;
}

void ldapc_log_search(const char *op, const char *base, int scope, const char *filter,
                      const char *const *attrs, int page_size)
{
	/* What dirmail asks the directory for, for an operator (and the
	 * benchmark, which reads the same to compare). */
	struct buf a = BUF_INIT;
	size_t i;

	if (log_verbosity() < 2)
		return;
	for (i = 0; attrs && attrs[i]; i++)
		(void)!buf_printf(&a, "%s%s", i ? " " : "", attrs[i]);
	log_debug("%s: base \"%s\" scope %s filter %s attributes %s page size %d", op,
	          base ? base : "",
	          scope == LDAP_SCOPE_BASE       ? "base"
	          : scope == LDAP_SCOPE_ONELEVEL ? "one"
	                                         : "sub",
	          filter, attrs ? buf_str(&a) : "*", page_size);
	buf_free(&a);
}

/* Runs a search, reconnecting once when the connection turns out to be
 * lost before anything was delivered (a restart would repeat entries). */
static enum ldapc_rc search(struct ldapc *c, const char *op, const char *base,
                            enum ldapc_scope scope, const char *filter, const char *const *attrs,
                            int page_size, struct sink *sk, struct buf *err)
{
	struct buf e = BUF_INIT;
	enum ldapc_rc rc;
	int attempt, lrc = LDAP_SUCCESS;

	if (filter == NULL || *filter == '\0')
		filter = "(objectClass=*)";
	ldapc_log_search(op, base, scope_of(scope), filter, attrs, page_size);
	for (attempt = 0;; attempt++) {
		int was_up = c->ld != NULL;

		buf_reset(&e);
		rc = ldapc_ensure_connected(c, &e);
		if (rc != LDAPC_OK)
			break;
		rc = search_run(c, op, base ? base : "", scope_of(scope), filter,
		                ldapc_unconst_list(attrs), page_size, sk, &lrc, &e);
		if (rc == LDAPC_OK)
			break;
		if (ldapc_is_transport(lrc))
			ldapc_drop(c);
		if (lrc != LDAP_SERVER_DOWN || !was_up || attempt > 0 || sk->delivered > 0)
			break;
		log_info("%s; reconnecting", buf_str(&e));
	}
	if (rc != LDAPC_OK)
		(void)!buf_puts(err, buf_str(&e));
	buf_free(&e);
	return rc;
}

enum ldapc_rc ldapc_search(struct ldapc *c, const char *base, enum ldapc_scope scope,
                           const char *filter, const char *const *attrs, int page_size,
                           ldapc_entry_fn fn, void *arg, struct buf *err)
{
	return ldapc_search_ex(c, base, scope, filter, attrs, page_size, 0, fn, arg, err);
}

enum ldapc_rc ldapc_search_ex(struct ldapc *c, const char *base, enum ldapc_scope scope,
                              const char *filter, const char *const *attrs, int page_size,
                              unsigned flags, ldapc_entry_fn fn, void *arg, struct buf *err)
{
	struct sink sk = {fn, arg, NULL, 0, flags, 0};

	return search(c, "search", base, scope, filter, attrs, page_size, &sk, err);
}

enum ldapc_rc ldapc_read(struct ldapc *c, const char *dn, const char *const *attrs,
                         struct entry **out, struct buf *err)
{
	struct sink sk = {NULL, NULL, out, 0, 0, 0};
	enum ldapc_rc rc;

	*out = NULL;
	rc = search(c, "read", dn, LDAPC_BASE, NULL, attrs, 0, &sk, err);
	if (rc == LDAPC_OK && *out == NULL) {
		/* The server hid the entry (access control) or it vanished. */
		ldapc_fmt_err(err, c->uris[c->cur], "read", dn, LDAP_NO_SUCH_OBJECT,
		              "no entry returned");
		rc = ldapc_classify(LDAP_NO_SUCH_OBJECT);
	}
	if (rc != LDAPC_OK) {
		entry_free(*out);
		*out = NULL;
	}
	return rc;
}

/* Sends one write without waiting: a modify (mods), an add (mods all adds:
 * the attributes of the new entry) or a delete (no mods). libldap encodes
 * the request before returning, so nothing of mods is needed afterwards. */
/* A non-critical RFC 4527 post-read control asking for attribute attr of
 * the entry as the write leaves it, in *out; an LDAP result code. */
static int postread_control(const char *attr, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv = {0, NULL};
	int r = LDAP_NO_MEMORY;

	*out = NULL;
	if (ber == NULL)
		return r;
	if (ber_printf(ber, "{s}", attr) >= 0 && ber_flatten2(ber, &bv, 0) == 0)
		r = ldap_control_create(LDAP_CONTROL_POST_READ, 0, &bv, 1, out);
	ber_free(ber, 1);
	return r;
}

static enum ldapc_rc send_write(struct ldapc *c, enum ldapc_write kind, const char *dn,
                                const struct entry_mod *mods, size_t nmods, const char *assertion,
                                const char *postread, int *msgid, struct buf *err)
{
	const char *opname = kind == LDAPC_W_ADD      ? "add"
	                     : kind == LDAPC_W_DELETE ? "delete"
	                                              : "modify";
	LDAPMod *m = NULL, **pm = NULL;
	struct berval *bv = NULL, **pbv = NULL;
	LDAPControl *ctrl = NULL, *post = NULL, *sctrls[3] = {NULL, NULL, NULL};
	enum ldapc_rc rc;
	size_t i, j, total = 0, k = 0, nc = 0;
	int r, lrc = LDAP_SUCCESS;

	*msgid = -1;
	c->last_code = LDAPC_CODE_UNSENT;
	for (i = 0; i < nmods; i++) {
		if (mods[i].op == ENTRY_MOD_ADD && mods[i].nvals == 0) {
			/* The server would call it a protocol error, i.e. fatal. */
			struct buf why = BUF_INIT;

			(void)!buf_printf(&why, "add of %s without values", mods[i].attr);
			ldapc_fmt_err(err, c->uris[c->cur], opname, dn, LDAP_SUCCESS,
			              buf_str(&why));
			buf_free(&why);
			return LDAPC_SKIP;
		}
		total += mods[i].nvals + 1;
	}
	rc = ldapc_ensure_connected(c, err);
	if (rc != LDAPC_OK)
		return rc;
	m = calloc(nmods ? nmods : 1, sizeof(*m));
	pm = calloc(nmods + 1, sizeof(*pm));
	bv = calloc(total ? total : 1, sizeof(*bv));
	pbv = calloc(total ? total : 1, sizeof(*pbv));
	if (m == NULL || pm == NULL || bv == NULL || pbv == NULL) {
		rc = ldapc_ld_fail(c, opname, dn, LDAP_NO_MEMORY, &lrc, err);
		goto done;
	}
	for (i = 0; i < nmods; i++) {
		m[i].mod_op =
		    LDAP_MOD_BVALUES | (mods[i].op == ENTRY_MOD_ADD      ? LDAP_MOD_ADD
		                        : mods[i].op == ENTRY_MOD_DELETE ? LDAP_MOD_DELETE
		                                                         : LDAP_MOD_REPLACE);
		m[i].mod_type = dm_unconst(mods[i].attr);
		if (mods[i].nvals > 0) {
			m[i].mod_bvalues = &pbv[k];
			for (j = 0; j < mods[i].nvals; j++) {
				bv[k].bv_val = mods[i].vals[j].val;
				bv[k].bv_len = mods[i].vals[j].len;
				pbv[k] = &bv[k];
				k++;
			}
			pbv[k++] = NULL;
		}
		pm[i] = &m[i];
	}
	if (assertion != NULL) {
		r = ldap_create_assertion_control(c->ld, dm_unconst(assertion), 1, &ctrl);
		if (r != LDAP_SUCCESS) {
			struct buf why = BUF_INIT;

			(void)!buf_printf(&why, "bad assertion filter %s", assertion);
			ldapc_fmt_err(err, c->uris[c->cur], opname, dn, r, buf_str(&why));
			buf_free(&why);
			rc = ldapc_classify(r);
			goto done;
		}
		sctrls[nc++] = ctrl;
	}
	if (postread != NULL && kind == LDAPC_W_MODIFY) {
		r = postread_control(postread, &post);
		if (r != LDAP_SUCCESS) {
			rc = ldapc_ld_fail(c, opname, dn, r, &lrc, err);
			goto done;
		}
		sctrls[nc++] = post;
	}
	if (kind == LDAPC_W_ADD)
		r = ldap_add_ext(c->ld, dn, pm, nc ? sctrls : NULL, NULL, msgid);
	else if (kind == LDAPC_W_DELETE)
		r = ldap_delete_ext(c->ld, dn, nc ? sctrls : NULL, NULL, msgid);
	else
		r = ldap_modify_ext(c->ld, dn, pm, nc ? sctrls : NULL, NULL, msgid);
	rc = r == LDAP_SUCCESS ? LDAPC_OK : ldapc_ld_fail(c, opname, dn, r, &lrc, err);
	/* A transport failure may come after some of the request left. */
	if (r == LDAP_SUCCESS || ldapc_is_transport(r))
		c->last_code = LDAPC_CODE_UNKNOWN;
done:
	if (ldapc_is_transport(lrc))
		ldapc_drop(c);
	ldap_control_free(ctrl);
	ldap_control_free(post);
	free(pbv);
	free(bv);
	free(pm);
	free(m);
	return rc;
}

/* The first value of the one attribute an RFC 4527 post-read control
 * among ctrls carries (a SearchResultEntry: the DN, then the attributes
 * asked for), in a new string; NULL when there is none or it does not
 * decode, or holds a NUL byte. */
static char *postread_value(LDAPControl **ctrls)
{
	LDAPControl *ctl = ctrls ? ldap_control_find(LDAP_CONTROL_POST_READ, ctrls, NULL) : NULL;
	BerElement *ber;
	struct berval dn, name;
	BerVarray vals = NULL;
	char *v = NULL;

	if (ctl == NULL || (ber = ber_init(&ctl->ldctl_value)) == NULL)
		return NULL;
	if (ber_scanf(ber, "{m{" /*}}*/, &dn) != LBER_ERROR &&
	    ber_scanf(ber, "{m" /*}*/, &name) != LBER_ERROR &&
	    ber_scanf(ber, "[W]", &vals) != LBER_ERROR && vals != NULL && vals[0].bv_val != NULL &&
	    memchr(vals[0].bv_val, '\0', vals[0].bv_len) == NULL)
		v = strndup(vals[0].bv_val, vals[0].bv_len);
	ber_bvarray_free(vals);
	ber_free(ber, 1);
	return v;
}

/* Waits for the answer to request msgid (LDAP_RES_ANY: any outstanding
 * one, whose id goes to *got); dn and op only name it in messages. */
static enum ldapc_rc await(struct ldapc *c, int msgid, int *got, const char *op, const char *dn,
                           struct buf *err)
{
	LDAPMessage *res = NULL;
	LDAPControl **rctrls = NULL;
	struct timeval tv;
	enum ldapc_rc rc;
	char *diag = NULL;
	int r, code = LDAP_OTHER, lrc = LDAP_SUCCESS;

	*got = -1;
	c->last_code = LDAPC_CODE_UNKNOWN;
	free(c->post_value);
	c->post_value = NULL;
	if (c->ld == NULL) {
		ldapc_fmt_err(err, c->uris[c->cur], op, dn, LDAP_SERVER_DOWN,
		              "the connection was lost; the change may or may not be applied");
		return LDAPC_RETRY;
	}
	tv.tv_sec = c->op_timeout;
	tv.tv_usec = 0;
	r = ldap_result(c->ld, msgid, LDAP_MSG_ALL, &tv, &res);
	if (r == 0) {
		if (msgid != LDAP_RES_ANY)
			(void)ldap_abandon_ext(c->ld, msgid, NULL, NULL);
		r = LDAP_TIMEOUT;
		ldapc_fmt_err(
		    err, c->uris[c->cur], op, dn, r,
		    "no answer within the operation timeout; the change may or may not be "
		    "applied");
		rc = ldapc_classify(r);
		lrc = r;
		goto done;
	}
	if (r < 0) {
		rc = ldapc_ld_fail(c, op, dn, ldapc_get_errno(c->ld), &lrc, err);
		goto done;
	}
	*got = ldap_msgid(res);
	r = ldap_parse_result(c->ld, res, &code, NULL, &diag, NULL, &rctrls, 0);
	if (r != LDAP_SUCCESS) {
		rc = ldapc_ld_fail(c, op, dn, r, &lrc, err);
		goto done;
	}
	if (code != LDAP_SUCCESS)
		ldapc_fmt_err(err, c->uris[c->cur], op, dn, code, diag);
	else
		c->post_value = postread_value(rctrls);
	c->last_code = code < 0 ? LDAPC_CODE_UNKNOWN : code;
	rc = ldapc_classify(code);
done:
	/* A lost connection is not retried here: whether the change was applied
	 * is unknown, so the caller re-reads. The next call reconnects. */
	if (ldapc_is_transport(lrc))
		ldapc_drop(c);
	ldap_controls_free(rctrls);
	ldap_msgfree(res);
	ldap_memfree(diag);
	return rc;
}

/* Sends one write and waits for its answer. */
static enum ldapc_rc write_op(struct ldapc *c, enum ldapc_write kind, const char *dn,
                              const struct entry_mod *mods, size_t nmods, const char *assertion,
                              struct buf *err)
{
	const char *opname = kind == LDAPC_W_ADD      ? "add"
	                     : kind == LDAPC_W_DELETE ? "delete"
	                                              : "modify";
	enum ldapc_rc rc;
	int msgid, got;

	if (nmods == 0 && kind == LDAPC_W_MODIFY)
		return LDAPC_OK;
	rc = send_write(c, kind, dn, mods, nmods, assertion, NULL, &msgid, err);
	if (rc != LDAPC_OK)
		return rc;
	return await(c, msgid, &got, opname, dn, err);
}

enum ldapc_rc ldapc_send(struct ldapc *c, enum ldapc_write kind, const char *dn,
                         const struct entry_mod *mods, size_t nmods, const char *assertion,
                         const char *postread, int *msgid, struct buf *err)
{
	return send_write(c, kind, dn, mods, nmods, assertion, postread, msgid, err);
}

enum ldapc_rc ldapc_wait(struct ldapc *c, int *msgid, struct buf *err)
{
	return await(c, LDAP_RES_ANY, msgid, "write", NULL, err);
}

enum ldapc_rc ldapc_modify(struct ldapc *c, const char *dn, const struct entry_mod *mods,
                           size_t nmods, const char *assertion, struct buf *err)
{
	return write_op(c, LDAPC_W_MODIFY, dn, mods, nmods, assertion, err);
}

int ldapc_pw_channel(struct ldapc *c, enum ldapc_pw kind, struct buf *err)
{
	if (c->ld != NULL && ldap_tls_inplace(c->ld))
		return 0;
	if (c->ld != NULL && kind == LDAPC_PW_EXOP && strncmp(c->uris[c->cur], "ldapi:", 6) == 0)
		return 0;
	ldapc_fmt_err(err, c->uris[c->cur], NULL, NULL, LDAP_SUCCESS,
	              kind == LDAPC_PW_EXOP
	                  ? "the connection is not protected: a password is sent only over TLS "
	                    "(ldaps:// or StartTLS, -Z) or a local ldapi:// socket"
	                  : "the connection is not protected by TLS, which Active Directory needs "
	                    "to set a password: use ldaps:// or StartTLS (-Z)");
	return -1;
}

enum ldapc_rc ldapc_set_password(struct ldapc *c, const char *dn, enum ldapc_pw kind,
                                 const char *val, size_t len, struct buf *err)
{
	struct berval user, pw;
	struct entry_val v;
	struct entry_mod m;
	enum ldapc_rc rc;
	int r, msgid, got, lrc = LDAP_SUCCESS;

	c->last_code = LDAPC_CODE_UNSENT;
	rc = ldapc_ensure_connected(c, err);
	if (rc != LDAPC_OK)
		return rc;
	if (ldapc_pw_channel(c, kind, err) < 0)
		return LDAPC_FATAL;
	if (kind == LDAPC_PW_UNICODEPWD) {
		/* A replace: an admin's reset, which needs no old password. */
		v.val = dm_unconst(val);
		v.len = len;
		m.op = ENTRY_MOD_REPLACE;
		m.attr = "unicodePwd";
		m.vals = &v;
		m.nvals = 1;
		return write_op(c, LDAPC_W_MODIFY, dn, &m, 1, NULL, err);
	}
	user.bv_val = dm_unconst(dn);
	user.bv_len = strlen(dn);
	pw.bv_val = dm_unconst(val);
	pw.bv_len = len;
	r = ldap_passwd(c->ld, &user, NULL, &pw, NULL, NULL, &msgid);
	if (r != LDAP_SUCCESS) {
		rc = ldapc_ld_fail(c, "Password Modify", dn, r, &lrc, err);
		if (ldapc_is_transport(lrc)) {
			c->last_code = LDAPC_CODE_UNKNOWN;
			ldapc_drop(c);
		}
		return rc;
	}
	return await(c, msgid, &got, "Password Modify", dn, err);
}

/* Length of the valid multi-byte UTF-8 sequence at p (n bytes left), else 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode(p, n, &cp);

	return len > 1 ? len : 0;
}

/* Appends n bytes escaped by libldap; -1 when out of memory. */
static int escape_run(struct buf *out, const char *val, size_t n)
{
	struct berval in, esc = {0, NULL};
	int rc;

	in.bv_val = dm_unconst(val);
	in.bv_len = n;
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
		return -1;
	rc = buf_add(out, esc.bv_val, esc.bv_len);
	ber_memfree(esc.bv_val);
	return rc;
}

/* libldap escapes every byte above 0x7f; RFC 4515 allows UTF-8 as is, and
 * names stay readable in logs and journals. So valid multi-byte sequences
 * pass through, everything else goes through ldap_bv2escaped_filter_value. */
int ldapc_filter_escape(struct buf *out, const char *val, size_t len)
{
	const unsigned char *p = (const unsigned char *)val;
	size_t i = 0, j, n;

	if (buf_add(out, "", 0) < 0)
		return -1;
	while (i < len) {
		n = utf8_seq(p + i, len - i);
		if (n > 0) {
			if (buf_add(out, val + i, n) < 0)
				return -1;
			i += n;
			continue;
		}
		for (j = i + 1; j < len && utf8_seq(p + j, len - j) == 0; j++)
			;
		if (escape_run(out, val + i, j - i) < 0)
			return -1;
		i = j;
	}
	return 0;
}

/* An attribute description usable in an RDN: a descriptor or a numeric OID. */
static int valid_attr(const char *a)
{
	const char *p;

	if (a == NULL || *a == '\0')
		return 0;
	if ((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z')) {
		for (p = a + 1; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '-'))
				return 0;
		return 1;
	}
	for (p = a; *p; p++) {
		if (*p >= '0' && *p <= '9')
			continue;
		if (*p != '.' || p == a || p[1] == '\0' || p[1] == '.')
			return 0;
	}
	return 1;
}

int ldapc_dn_child(struct buf *out, const char *attr, const char *value, const char *parent)
{
	LDAPDN pdn = NULL;
	LDAPRDN *dn = NULL;
	LDAPAVA ava, *rdn[2];
	char *s = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (!valid_attr(attr) || value == NULL)
		return -1;
	if (parent != NULL && ldap_str2dn(parent, &pdn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		goto done;
	while (pdn != NULL && pdn[n] != NULL)
		n++;
	dn = calloc(n + 2, sizeof(*dn));
	if (dn == NULL)
		goto done;
	memset(&ava, 0, sizeof(ava));
	ava.la_attr.bv_val = dm_unconst(attr);
	ava.la_attr.bv_len = strlen(attr);
	ava.la_value.bv_val = dm_unconst(value);
	ava.la_value.bv_len = strlen(value);
	ava.la_flags = LDAP_AVA_STRING;
	rdn[0] = &ava;
	rdn[1] = NULL;
	dn[0] = rdn;
	for (i = 0; i < n; i++)
		dn[i + 1] = pdn[i];
	dn[n + 1] = NULL;
	/* LDAP_DN_PRETTY keeps UTF-8 as is; specials are hex-escaped (RFC 4514). */
	if (ldap_dn2str(dn, &s, LDAP_DN_FORMAT_LDAPV3 | LDAP_DN_PRETTY) != LDAP_SUCCESS ||
	    s == NULL)
		goto done;
	if (buf_puts(out, s) < 0)
		goto done;
	rc = 0;
done:
	ldap_memfree(s);
	free(dn);
	ldap_dnfree(pdn);
	return rc;
}

int ldapc_result_code(const struct ldapc *c)
{
	return c->last_code;
}

const char *ldapc_result_postread(const struct ldapc *c)
{
	return c->post_value;
}

int ldapc_dn_under(const char *dn, const char *base)
{
	size_t dl = strlen(dn), bl = strlen(base), b = 0;

	if (bl == 0)
		return 1;
	if (bl > dl || strcasecmp(dn + dl - bl, base) != 0)
		return 0;
	if (bl == dl)
		return 1;
	/* The suffix must follow a separating comma, not an escaped one. */
	if (dn[dl - bl - 1] != ',')
		return 0;
	while (b < dl - bl - 1 && dn[dl - bl - 2 - b] == '\\')
		b++;
	return b % 2 == 0;
}

int ldapc_dn_valid(const char *s)
{
	LDAPDN dn = NULL;
	int ok = s != NULL && ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS;

	ldap_dnfree(dn);
	return ok;
}

const char *ldapc_rc_name(enum ldapc_rc rc)
{
	switch (rc) {
	case LDAPC_OK:
		return "ok";
	case LDAPC_RETRY:
		return "retry";
	case LDAPC_SKIP:
		return "skip";
	case LDAPC_FATAL:
		return "fatal";
	case LDAPC_STALE:
		return "stale";
	}
	return "unknown";
}

int ldapc_versions(struct buf *out)
{
	LDAPAPIInfo info;
	const char *impl = NULL, *ver = NULL;
	char *tls = NULL;
	int r, v;

	memset(&info, 0, sizeof(info));
	info.ldapai_info_version = LDAP_API_INFO_VERSION;
	if (ldap_get_option(NULL, LDAP_OPT_API_INFO, &info) == LDAP_OPT_SUCCESS) {
		v = info.ldapai_vendor_version;
		r = buf_printf(out, "libldap: %s %d.%d.%d\n",
		               info.ldapai_vendor_name ? info.ldapai_vendor_name : "?", v / 10000,
		               v / 100 % 100, v % 100);
		ldap_memfree(info.ldapai_vendor_name);
		ber_memvfree((void **)info.ldapai_extensions);
	} else {
		r = buf_printf(out, "libldap: %s %d (as built)\n", LDAP_VENDOR_NAME,
		               LDAP_VENDOR_VERSION);
	}
	if (r == 0) {
		(void)ldap_get_option(NULL, LDAP_OPT_X_TLS_PACKAGE, &tls);
		r = buf_printf(out, "TLS: %s (through libldap)\n", tls ? tls : "none");
		ldap_memfree(tls);
	}
	sasl_version_info(&impl, &ver, NULL, NULL, NULL, NULL);
	if (r == 0)
		r = buf_printf(out, "SASL: %s %s\n", impl ? impl : "?", ver ? ver : "?");
	return r;
}
