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
/* Rows of the key table (conf_keys); conf.c checks the count. */
#define CONF_NKEYS 32

struct conf {
	/* ldap { } */
	char *uri;           /* space-separated URIs, tried in order (failover) */
	char *bind_dn;       /* simple bind DN, NULL = SASL or anonymous */
	char *password_file; /* file holding the bind password (mode 0600) */
	char *sasl_mech;     /* SASL mechanism, NULL = simple bind */
	char *sasl_authcid;
	char *sasl_authzid;
	char *sasl_realm;
	char *keytab;        /* SASL GSSAPI: the client keytab dirmail takes its tickets from */
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
	int poll_interval; /* seconds between uSNChanged polls (AD) */
	char *lease_dn;    /* "": one instance, no lease */
	int lease_time;    /* seconds */
	/* metrics { } */
	char *metrics_textfile; /* the daemon's Prometheus metrics, NULL = none */
	/* top level */
	char *state_dir;    /* the sync cookie, pid file, status, the journal by default */
	char *log_facility; /* syslog facility name when not in the foreground */
	int log_verbose;    /* 0 = info, 1 = debug, 2 = debug and more detail */
	int journal_set;    /* journal.file was given (file or flag): it stays put
	                     * when state_dir moves; conf_init clears it */
	/* Per row of the key table: where the value comes from, "FILE:LINE",
	 * a flag ("-H"), "with state_dir from ..." for a journal.file that
	 * moved with state_dir; NULL = the default. Owned, freed by conf_free. */
	char *origin[CONF_NKEYS];
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
 * true/false, yes/no, on/off, 1/0; "" unsets a string) and records origin
 * (copied; e.g. the flag, "-H") as where it comes from; on an unknown key
 * or a bad value returns -1 with one line ("path: message", or "unknown
 * setting \"path\"" with "; did you mean \"KEY\"?" when a key is close)
 * in errs, c then unchanged. Setting state_dir (here or in conf_load) moves
 * journal.file with it until journal.file is set itself. */
int conf_set_from(struct conf *c, const char *path, const char *value, const char *origin,
                  struct buf *errs) DM_WUR;
/* conf_set_from with the origin "command line". */
int conf_set(struct conf *c, const char *path, const char *value, struct buf *errs) DM_WUR;
/* Appends the settings of c to out, one line each in the order of the key
 * table: "KEY = VALUE  # ORIGIN", VALUE as libconfig writes it (a string
 * in double quotes with \\, \" and \xNN escapes, "" when unset; an
 * integer; true or false), ORIGIN as recorded ("default" when none, other
 * control characters masked). With only_set, only the keys whose value
 * does not come from the default. No key holds a secret (passwords live
 * in ldap.password_file, whose path is shown). 0, or -1 out of memory. */
int conf_print(const struct conf *c, int only_set, struct buf *out) DM_WUR;
/* Finds the key of the table nearest to name by edit distance (case
 * ignored; a key whose last part is near name's last part counts too),
 * or with group set the nearest group ("ldap.tls"), and appends it to
 * out: 1, or 0 with out unchanged when none is near enough to be a likely
 * misspelling, -1 when out of memory. */
int conf_nearest(const char *name, int group, struct buf *out) DM_WUR;
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
