/* ldapc_int.h - what the files of the ldapc module share, and nothing else.
 * The connection handle's insides and the one classification and message
 * format of LDAP failures, for ldapc.c and ldapc_sync.c; never included
 * outside agent/ldapc*.c, so libldap types stay out of the public headers. */
#ifndef DIRMAIL_LDAPC_INT_H
#define DIRMAIL_LDAPC_INT_H

#include <lber.h>
#include <ldap.h>

#include "buf.h"
#include "entry.h"
#include "ldapc.h"

enum ldapc_tls { TLS_NONE, TLS_LDAPS, TLS_STARTTLS };

struct ldapc {
	LDAP *ld;            /* NULL while disconnected: the next operation reconnects */
	char **uris;         /* normalised, as shown in messages; owned */
	enum ldapc_tls *tls; /* how each URI is secured */
	size_t nuris;
	size_t cur; /* the URI connected last */
	/* Copies of the options: the caller's strings need not outlive ldapc_open,
	 * and reconnecting needs them. The password is wiped on close. */
	char *bind_dn;
	char *password;
	char *sasl_mech;
	char *sasl_authcid;
	char *sasl_authzid;
	char *sasl_realm;
	char *keytab;
	char *tls_ca_file;
	char *tls_ca_dir;
	char *tls_cert_file;
	char *tls_key_file;
	int starttls;
	int tls_verify;
	int timeout;
	int op_timeout;
	const char *const *dn_attrs; /* ldapc_opts.dn_attrs */
	int last_code;               /* ldapc_result_code */
	char *post_value;            /* ldapc_result_postread, owned */
	/* Counts the connections made: an operation left outstanding on one
	 * (a sync search) knows when ld is no longer the handle it ran on. */
	unsigned long gen;
	/* ldapc_bind_identity: the Who am I? answer on connection number
	 * identity_gen (0: none asked yet). */
	char *identity;
	unsigned long identity_gen;
};

/* Returns the classification of the LDAP result code rc (table in ldapc.c). */
enum ldapc_rc ldapc_classify(int rc);
/* 1 when after rc the connection is gone or in an unknown state, else 0. */
int ldapc_is_transport(int rc);
/* Appends "URI: OP on "DN": Error text (code): diag" to err; op, dn and diag
 * may be NULL, rc LDAP_SUCCESS leaves the error text out. */
void ldapc_fmt_err(struct buf *err, const char *uri, const char *op, const char *dn, int rc,
                   const char *diag);
/* Stores r in *lrc, appends its message with the handle's diagnostic to err
 * and returns its classification. */
enum ldapc_rc ldapc_ld_fail(struct ldapc *c, const char *op, const char *dn, int r, int *lrc,
                            struct buf *err);
/* Returns the result code a failed call left on ld (LDAP_OTHER when none). */
int ldapc_get_errno(LDAP *ld);
/* Reconnects (failover list) when a failure dropped the connection; returns
 * the classification with one line in err on failure. */
enum ldapc_rc ldapc_ensure_connected(struct ldapc *c, struct buf *err);
/* Unbinds and forgets the connection; the next operation reconnects. */
void ldapc_drop(struct ldapc *c);
/* Converts the search entry m read on c->ld into a new entry (DN and the
 * values of dn_attrs normalised); NULL when out of memory or undecodable. */
struct entry *ldapc_to_entry(const struct ldapc *c, LDAPMessage *m);
/* The attribute list as libldap's char ** (libldap never writes it). */
char **ldapc_unconst_list(const char *const *l);
/* Logs, at -v, what a search asks the directory for: op, base, scope
 * (LDAP_SCOPE_*), filter, attributes (NULL: all) and the page size. */
void ldapc_log_search(const char *op, const char *base, int scope, const char *filter,
                      const char *const *attrs, int page_size);

#endif
