/* conf.h - the dirmail configuration.
 * libconfig is read into one typed struct through one key table, which
 * also documents every key (checked against dirmail.conf.5). */
#ifndef DIRMAIL_CONF_H
#define DIRMAIL_CONF_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"

/* Where the daemon looks when no -c is given; a missing file there is fine. */
#define CONF_DEFAULT_PATH SYSCONFDIR "/dirmail/dirmail.conf"
/* The default state directory (the unit's StateDirectory= when built with
 * --localstatedir=/var) and the journal's name in it. */
#define CONF_DEFAULT_STATE_DIR LOCALSTATEDIR "/lib/dirmail"
#define CONF_JOURNAL_NAME "journal.ldif"

struct conf {
	/* ldap { } */
	char *uri;           /* space-separated URIs, tried in order (failover) */
	char *bind_dn;       /* simple bind DN, NULL = SASL or anonymous */
	char *password_file; /* file holding the bind password (mode 0600) */
	char *sasl_mech;     /* SASL mechanism, NULL = simple bind */
	char *sasl_authcid;
	char *sasl_authzid;
	char *sasl_realm;
	int starttls;        /* bool: StartTLS on ldap:// URIs */
	char *base;          /* search base holding the account entry */
	int timeout;         /* seconds to connect, per URI */
	int op_timeout;      /* seconds per LDAP operation */
	int page_size;       /* RFC 2696 page size */
	int window;          /* outstanding asynchronous writes */
	int connections;     /* 2: member filters read on a second connection */
	char *tls_ca_file;   /* ldap.tls.ca_file */
	char *tls_ca_dir;    /* ldap.tls.ca_dir */
	char *tls_cert_file; /* ldap.tls.cert_file (client certificate) */
	char *tls_key_file;  /* ldap.tls.key_file */
	int tls_verify;      /* bool, default true: refuse untrusted certificates */
	/* journal { } */
	char *journal_file;   /* write-ahead LDIF change journal; until set, in state_dir */
	int journal_max_size; /* MB before rotation */
	/* safety { } */
	int min_seen_percent; /* of the recipients the last full pass read */
	/* sync { } */
	int full_interval; /* seconds between the daemon's full passes */
	int backoff_max;   /* seconds, the longest wait between reconnections */
	/* top level */
	char *state_dir;    /* sync cookies, lease, metrics, the journal by default */
	char *log_facility; /* syslog facility name when not in the foreground */
	int log_verbose;    /* 0 = info, 1 = debug, 2 = debug and more detail */
	int journal_set;    /* journal.file was given (file or flag): it stays put
	                     * when state_dir moves; conf_init clears it */
};

enum conf_type { CONF_STRING, CONF_INT, CONF_BOOL };

/* One row of the key table: the single description of a config key. */
struct conf_key {
	const char *path; /* libconfig path, e.g. "ldap.uri" */
	enum conf_type type;
	const char *def;  /* default as text ("" = unset) */
	long min, max;    /* bounds for CONF_INT */
	const char *help; /* one line, used by the sample and the man page */
	size_t offset;    /* offsetof(struct conf, ...): a char * for CONF_STRING
	                   * (NULL = unset), an int for CONF_INT and CONF_BOOL */
	/* Further check of a CONF_STRING value, NULL = none: returns -1 and
	 * appends the reason (no key, no newline) to why. */
	int (*check)(const char *value, struct buf *why);
};

/* Returns the key table (count in *n); static storage. */
const struct conf_key *conf_keys(size_t *n);
/* Fills c with the defaults of the key table; -1 when out of memory. */
int conf_init(struct conf *c) DM_WUR;
/* Reads path into c (over the defaults already there). On any error
 * returns -1 and appends every problem found, one "file:line: message"
 * per line (each ending in a newline), to errs, in file order; c then
 * holds what could be read. An unreadable file gives "file: reason". */
int conf_load(struct conf *c, const char *path, struct buf *errs) DM_WUR;
/* Sets one key from text (used for command-line overrides; booleans take
 * true/false, yes/no, on/off, 1/0; "" unsets a string); on an unknown key
 * or a bad value returns -1 with one line ("path: message", or "unknown
 * key 'path'") in errs, c then unchanged. Setting state_dir (here or in
 * conf_load) moves journal.file with it until journal.file is set itself. */
int conf_set(struct conf *c, const char *path, const char *value, struct buf *errs) DM_WUR;
/* Checks what only the settings as a whole can tell (ldap.base given, a
 * password file for a bind DN, ...); call it once the file and the
 * command-line overrides are applied. On a problem returns -1 and appends
 * one "message" line per problem (no file:line: they may come from flags). */
int conf_check(const struct conf *c, struct buf *errs) DM_WUR;
/* Returns the syslog facility (LOG_DAEMON, ...) named by name, as accepted
 * for log.facility, or -1 for an unknown name. */
int conf_syslog_facility(const char *name);
/* Frees every string in c and leaves them NULL; accepts NULL. */
void conf_free(struct conf *c);

#endif
