/* ldapc.h - the only module that talks to libldap.
 * URIs, failover, TLS, SASL, paging, controls, escaping and the
 * classification of every LDAP failure live behind this opaque handle. */
#ifndef DIRMAIL_LDAPC_H
#define DIRMAIL_LDAPC_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "entry.h"

struct ldapc;

/* Every LDAP outcome is classified once, here. */
enum ldapc_rc {
	LDAPC_OK = 0, /* done */
	LDAPC_RETRY,  /* transport trouble (down, timeout, busy): try again later */
	LDAPC_SKIP,   /* this object only (no such object, constraint, access) */
	LDAPC_FATAL,  /* configuration or credentials: stop */
	LDAPC_STALE   /* a write's assertion failed: the object changed since it was read */
};

/* What ldapc_result_code says besides an LDAP result code. */
#define LDAPC_CODE_UNKNOWN (-1) /* sent, or maybe sent, and no reply came */
#define LDAPC_CODE_UNSENT (-2)  /* refused before anything left for the server */

struct ldapc_opts {
	const char *uris;      /* space-separated, tried in order */
	const char *bind_dn;   /* simple bind DN (NULL = anonymous unless SASL) */
	const char *password;  /* borrowed; never logged */
	const char *sasl_mech; /* non-NULL selects a SASL bind */
	const char *sasl_authcid;
	const char *sasl_authzid;
	const char *sasl_realm;
	/* SASL GSSAPI: a keytab dirmail takes its own tickets from (its first
	 * principal), in a ticket cache of the process's own, so neither the
	 * caller's tickets nor its KRB5CCNAME ever choose who dirmail is.
	 * NULL: the environment's (KRB5_CLIENT_KTNAME, KRB5CCNAME). */
	const char *keytab;
	int starttls; /* StartTLS on ldap:// (required when set) */
	const char *tls_ca_file;
	const char *tls_ca_dir;
	const char *tls_cert_file;
	const char *tls_key_file;
	int tls_verify; /* 1 = demand a trusted certificate (default) */
	int timeout;    /* seconds to connect to one URI */
	int op_timeout; /* seconds per operation */
	/* Attributes whose values are DNs, NULL-terminated (static storage, not
	 * copied; NULL for none): their values, like every entry's DN, are
	 * normalised as read (ldapc_dn_norm), so DNs compare as strings. */
	const char *const *dn_attrs;
};

enum ldapc_scope { LDAPC_BASE, LDAPC_ONE, LDAPC_SUB };

/* The libraries the connections run on, one "name: version" line each:
 * libldap (vendor and version), the TLS package libldap was built with,
 * cyrus-sasl. 0, or -1 when out of memory. */
int ldapc_versions(struct buf *out) DM_WUR;

/* Called once per entry of a search; e is freed after the call returns.
 * Return 0 to go on, -1 to stop the search (ldapc_search then returns
 * LDAPC_SKIP with "stopped by caller"). */
typedef int (*ldapc_entry_fn)(const struct entry *e, void *arg);

/* Connects to the first URI that answers and binds. On failure returns
 * the classification, *out is NULL and err holds one line naming the URI
 * and the server's diagnostic (never the password). Close with ldapc_close.
 * The options are copied (the password is wiped on close), so o may be
 * freed on return; "" counts as unset, a timeout <= 0 as 10 s / 30 s.
 * Sets LDAPNOINIT=1 and, when SIGPIPE is at its default, ignores SIGPIPE so
 * a closed connection is a retry; with a keytab, sets KRB5_CLIENT_KTNAME
 * and KRB5CCNAME for the GSSAPI library. A SASL bind names the server as
 * its URI does (no reverse lookup: SASL_NOCANON) and, over TLS (ldaps://
 * or StartTLS), asks for no SASL security layer (SASL_SSF_MAX 0): TLS
 * protects the connection already, and AD refuses GSSAPI signing or
 * sealing inside TLS. Messages (err is appended to):
 *   cannot connect to URI: Error text (code)[: reason][; URI2: ...]  (retry)
 *   URI: invalid credentials for DN "DN"[: server diagnostic]      (fatal)
 *   URI: TLS handshake|StartTLS: Error (code): server certificate rejected: why
 * Call it from the main thread (it sets process-wide things once); a
 * connection used by another thread may reconnect there: connecting routes
 * libldap's process-wide debug output, one connection at a time. */
enum ldapc_rc ldapc_open(const struct ldapc_opts *o, struct ldapc **out, struct buf *err) DM_WUR;
/* Opens a second connection like c, to the server c is connected to (no
 * failover: it stays there), for work in another thread: each connection
 * is used by one thread at a time, and two connections may reconnect at
 * once. Returns like ldapc_open; call it from the thread that opened c. */
enum ldapc_rc ldapc_dup(const struct ldapc *c, struct ldapc **out, struct buf *err) DM_WUR;
/* Unbinds and frees; accepts NULL. */
void ldapc_close(struct ldapc *c);
/* Returns the URI currently connected; borrowed, lives as long as c. */
const char *ldapc_uri(const struct ldapc *c);
/* Returns the identity the server sees (WhoAmI, RFC 4532) as the server
 * gives it ("dn:...", "" when anonymous) in a new string the caller frees,
 * or NULL when the server cannot tell. */
char *ldapc_whoami(struct ldapc *c);
/* Returns the identity the server knows the current connection by, asked
 * once per connection with Who am I? (RFC 4532) and kept until the next
 * connection: the authzId as the server gives it ("dn:...", "u:...";
 * for SASL EXTERNAL the DN the server mapped the credentials to),
 * "anonymous" for an anonymous bind. When the server cannot tell (Samba
 * has no Who am I?), the identity the bind presented: "dn:DN" for a simple
 * bind, "u:NAME" for SASL (the name the mechanism authenticated, GSSAPI's
 * Kerberos principal), "anonymous"; "unknown" when that is not known
 * either. Never reconnects: while disconnected, the last connection's
 * answer. Borrowed, valid until the next call or ldapc_close. */
const char *ldapc_bind_identity(struct ldapc *c);
/* Streams a paged (RFC 2696) search, calling fn per entry; attrs is a
 * NULL-terminated list (NULL = all user attributes), filter NULL means
 * "(objectClass=*)", page_size <= 0 asks for no paging. Only one page is held
 * at a time. A connection found lost before the first entry is reconnected
 * (failover list) and the search retried once. On failure returns the
 * classification with one line appended to err; entries already delivered
 * then are a partial result the caller must not act on. An entry whose
 * attribute the server sent in parts (AD's range retrieval, "member;range=
 * 0-1499") is completed first with base searches of it, and delivered as if
 * sent whole; a server whose parts do not add up or do not advance fails
 * the search as LDAPC_RETRY ("URI: range retrieval on "DN": member: ..."). */
enum ldapc_rc ldapc_search(struct ldapc *c, const char *base, enum ldapc_scope scope,
                           const char *filter, const char *const *attrs, int page_size,
                           ldapc_entry_fn fn, void *arg, struct buf *err) DM_WUR;
/* Flags of ldapc_search_ex. */
enum {
	LDAPC_S_DELETED = 1 << 0 /* AD: deleted objects too (show deleted control) */
};
/* ldapc_search with flags (LDAPC_S_*); returns like ldapc_search. */
enum ldapc_rc ldapc_search_ex(struct ldapc *c, const char *base, enum ldapc_scope scope,
                              const char *filter, const char *const *attrs, int page_size,
                              unsigned flags, ldapc_entry_fn fn, void *arg, struct buf *err) DM_WUR;
/* Reads one entry by DN into *out (caller frees with entry_free); a DN
 * that does not exist (or is not readable) returns LDAPC_SKIP. Reconnects
 * and retries once, and completes ranged attributes, like ldapc_search. */
enum ldapc_rc ldapc_read(struct ldapc *c, const char *dn, const char *const *attrs,
                         struct entry **out, struct buf *err) DM_WUR;
/* Applies mods to dn in one modify; when assertion is non-NULL it is sent
 * as a critical RFC 4528 assertion control and a false assertion returns
 * LDAPC_STALE with "assertion failed" in err ("URI: modify on "DN": assertion
 * failed (122)"). A lost connection returns LDAPC_RETRY without retrying (the
 * change may or may not have been applied: re-read); the next call
 * reconnects. nmods 0 does nothing and returns LDAPC_OK. */
enum ldapc_rc ldapc_modify(struct ldapc *c, const char *dn, const struct entry_mod *mods,
                           size_t nmods, const char *assertion, struct buf *err) DM_WUR;
/* How a password is set (dirmail passwd). */
enum ldapc_pw {
	LDAPC_PW_EXOP,      /* RFC 3062 Password Modify, the entry's DN as userIdentity */
	LDAPC_PW_UNICODEPWD /* Active Directory: replace unicodePwd (an admin's reset) */
};
/* 0 when c's connection is one a password of kind may be sent over: TLS
 * is in place (ldaps:// or StartTLS), or, for LDAPC_PW_EXOP, it is an
 * ldapi:// socket of this host; else -1 with one line in err naming the
 * URI and what would do. A closed connection is none. */
int ldapc_pw_channel(struct ldapc *c, enum ldapc_pw kind, struct buf *err) DM_WUR;
/* Sets the password of dn: val (len bytes) is the new password for
 * LDAPC_PW_EXOP, the value of unicodePwd (see passwd_unicodepwd) for
 * LDAPC_PW_UNICODEPWD. Reconnects first when needed, then sends only over
 * a channel ldapc_pw_channel accepts (else LDAPC_FATAL, nothing sent).
 * Returns the classification with one line in err on failure (never the
 * value); a lost connection is LDAPC_RETRY without retrying (the password
 * may or may not be set). val is not kept; libldap's encoded copy of the
 * request is freed by libldap. */
enum ldapc_rc ldapc_set_password(struct ldapc *c, const char *dn, enum ldapc_pw kind,
                                 const char *val, size_t len, struct buf *err) DM_WUR;
enum ldapc_write { LDAPC_W_MODIFY, LDAPC_W_ADD, LDAPC_W_DELETE };

/* Sends a write without waiting for its answer (pipelining): a modify, an
 * add (mods all adds) or a delete (no mods), guarded by assertion when not
 * NULL; a modify with postread (an attribute name, e.g. entryCSN) not NULL
 * also asks, with a non-critical RFC 4527 post-read control, for that
 * attribute as the write leaves the entry (ldapc_result_postread). *msgid
 * identifies it for ldapc_wait. Returns LDAPC_OK once sent, else the
 * classification with one line in err (then nothing was sent). */
enum ldapc_rc ldapc_send(struct ldapc *c, enum ldapc_write kind, const char *dn,
                         const struct entry_mod *mods, size_t nmods, const char *assertion,
                         const char *postread, int *msgid, struct buf *err) DM_WUR;
/* Waits, at most the operation timeout, for the answer to any write sent
 * with ldapc_send; *msgid names the one answered (-1 when none was: a
 * timeout or a lost connection, after which every outstanding write has an
 * unknown outcome). Returns its classification like ldapc_modify, with one
 * line in err when it failed. */
enum ldapc_rc ldapc_wait(struct ldapc *c, int *msgid, struct buf *err) DM_WUR;
/* The LDAP result code of the write ldapc_modify, ldapc_send or ldapc_wait
 * answered last (for ldapc_wait, of the write it names), for the journal:
 * the server's code when it replied, LDAPC_CODE_UNSENT when the write was
 * refused before it was sent, LDAPC_CODE_UNKNOWN when no reply came. */
int ldapc_result_code(const struct ldapc *c);
/* The first value of the attribute a successful write sent with postread
 * asked for, as the server returned it with its answer (ldapc_wait, the
 * write it names; ldapc_modify asks for none): the entry's state right
 * after that write, no other write in between. NULL when none was asked
 * for or the server sent none (it may ignore the control). Borrowed, valid
 * until the next ldapc_wait or ldapc_modify. */
const char *ldapc_result_postread(const struct ldapc *c);
/* Appends the normal form of the DN dn (len bytes) to out: parsed and
 * written again by libldap (RFC 4514: no spaces around separators, hex
 * escapes decoded, multi-valued RDNs as written), case kept, so two
 * spellings of one DN compare equal without case; a DN already in that
 * form is copied as it is without parsing, and one that does not parse is
 * copied unchanged. -1 when out of memory (out then unchanged). */
int ldapc_dn_norm(struct buf *out, const char *dn, size_t len) DM_WUR;
/* 1 when the DN dn is base or lies under it, else 0: both in one form (as
 * ldapc_dn_norm writes them), compared without case; a comma escaped
 * inside a value separates nothing. Every DN lies under "". */
int ldapc_dn_under(const char *dn, const char *base);
/* 1 when s parses as an LDAPv3 DN (RFC 4514, through ldap_str2dn), else 0. */
int ldapc_dn_valid(const char *s);
/* Appends val escaped for use inside an LDAP filter (RFC 4515, through
 * ldap_bv2escaped_filter_value); valid multi-byte UTF-8 is kept as is, other
 * bytes above 0x7f are escaped. -1 when out of memory. */
int ldapc_filter_escape(struct buf *out, const char *val, size_t len) DM_WUR;
/* Appends the DN "attr=value,parent" with value escaped as an RDN value
 * (RFC 4514, through ldap_dn2str; UTF-8 kept, the parent re-rendered in the
 * same form); parent NULL or "" gives just the RDN. -1 on a bad parent DN, an
 * attribute that is no descriptor or numeric OID, a value that is not UTF-8,
 * or out of memory; out is then unchanged. */
int ldapc_dn_child(struct buf *out, const char *attr, const char *value, const char *parent) DM_WUR;
/* Returns a short name for rc ("ok", "retry", "skip", "fatal", "stale"). */
const char *ldapc_rc_name(enum ldapc_rc rc);

#endif
