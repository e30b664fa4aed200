/* conf.c - the dirmail configuration.
 * One key table drives defaults, libconfig parsing, command-line overrides,
 * validation and the documentation; every error is collected as file:line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <libconfig.h>

#include "conf.h"
#include "log.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int check_facility(const char *value, struct buf *why);
static int check_textfile(const char *value, struct buf *why);

/* Where a key's value lives in struct conf. */
#define FIELD(name) offsetof(struct conf, name)

/* The key table: {path, type, default, min, max, help, field, check}. Its
 * order is the order of the sample config and of the man page; a key with
 * a non-empty default cannot be set empty. */
static const struct conf_key conf_table[] = {
    {"ldap.uri", CONF_STRING, "ldapi:///", 0, 0,
     "LDAP URIs, space-separated, tried in order (failover)", FIELD(uri), NULL},
    {"ldap.bind_dn", CONF_STRING, "", 0, 0, "DN for a simple bind; unset = SASL or anonymous",
     FIELD(bind_dn), NULL},
    {"ldap.password_file", CONF_STRING, "", 0, 0,
     "file holding the bind or SASL password, mode 0600", FIELD(password_file), NULL},
    {"ldap.sasl_mech", CONF_STRING, "", 0, 0, "SASL mechanism (EXTERNAL, GSSAPI, ...)",
     FIELD(sasl_mech), NULL},
    {"ldap.sasl_authcid", CONF_STRING, "", 0, 0, "SASL authentication identity",
     FIELD(sasl_authcid), NULL},
    {"ldap.sasl_authzid", CONF_STRING, "", 0, 0, "SASL authorization identity", FIELD(sasl_authzid),
     NULL},
    {"ldap.sasl_realm", CONF_STRING, "", 0, 0, "SASL realm", FIELD(sasl_realm), NULL},
    {"ldap.keytab", CONF_STRING, "", 0, 0,
     "keytab for SASL GSSAPI, mode 0600: dirmail gets its own tickets with its first key",
     FIELD(keytab), NULL},
    {"ldap.starttls", CONF_BOOL, "false", 0, 1, "StartTLS on ldap:// URIs, required to succeed",
     FIELD(starttls), NULL},
    {"ldap.base", CONF_STRING, "", 0, 0, "search base holding the account entry", FIELD(base),
     NULL},
    {"ldap.timeout", CONF_INT, "10", 1, 3600, "seconds to wait for a connection to each URI",
     FIELD(timeout), NULL},
    {"ldap.op_timeout", CONF_INT, "30", 1, 3600, "seconds to wait for each LDAP operation",
     FIELD(op_timeout), NULL},
    /* Active Directory's MaxPageSize is 1000 */
    {"ldap.page_size", CONF_INT, "500", 1, 1000, "entries per page of a paged search",
     FIELD(page_size), NULL},
    {"ldap.window", CONF_INT, "32", 1, 1024, "writes sent and not yet answered, at most",
     FIELD(window), NULL},
    {"ldap.connections", CONF_INT, "2", 1, 2,
     "connections a pass opens: 2 reads the member filters beside the recipients",
     FIELD(connections), NULL},
    {"ldap.tls.ca_file", CONF_STRING, "", 0, 0, "CA certificates (PEM) trusted for the server",
     FIELD(tls_ca_file), NULL},
    {"ldap.tls.ca_dir", CONF_STRING, "", 0, 0, "directory of hashed CA certificates",
     FIELD(tls_ca_dir), NULL},
    {"ldap.tls.cert_file", CONF_STRING, "", 0, 0, "client certificate (PEM)", FIELD(tls_cert_file),
     NULL},
    {"ldap.tls.key_file", CONF_STRING, "", 0, 0, "private key of the client certificate",
     FIELD(tls_key_file), NULL},
    {"ldap.tls.verify", CONF_BOOL, "true", 0, 1, "refuse a server certificate that does not verify",
     FIELD(tls_verify), NULL},
    {"journal.file", CONF_STRING, CONF_DEFAULT_STATE_DIR "/" CONF_JOURNAL_NAME, 0, 0,
     "write-ahead LDIF journal of every change", FIELD(journal_file), NULL},
    {"journal.max_size", CONF_INT, "64", 1, 65536, "MB the journal may reach before it is rotated",
     FIELD(journal_max_size), NULL},
    {"safety.min_seen_percent", CONF_INT, "50", 0, 100,
     "share in percent of the last complete pass's recipients a pass must read, or it stops",
     FIELD(min_seen_percent), NULL},
    {"sync.full_interval", CONF_INT, "21600", 10, 604800,
     "seconds between the daemon's full passes, which repair anything a change missed",
     FIELD(full_interval), NULL},
    {"sync.poll_interval", CONF_INT, "1", 1, 3600,
     "seconds between the daemon's polls of an AD DC for changes", FIELD(poll_interval), NULL},
    {"sync.lease_dn", CONF_STRING, "", 0, 0,
     "entry whose lease lets one of several dirmail run instances write", FIELD(lease_dn), NULL},
    {"sync.lease_time", CONF_INT, "30", 3, 3600, "seconds a silent lease holder keeps the lease",
     FIELD(lease_time), NULL},
    {"sync.backoff_max", CONF_INT, "60", 1, 3600,
     "longest wait in seconds between reconnection attempts during an outage", FIELD(backoff_max),
     NULL},
    {"metrics.textfile", CONF_STRING, "", 0, 0,
     "file the daemon keeps its Prometheus metrics in, for node_exporter; unset = none",
     FIELD(metrics_textfile), check_textfile},
    {"state_dir", CONF_STRING, CONF_DEFAULT_STATE_DIR, 0, 0,
     "directory for the sync cookie, the pid file, the daemon's status and the last pass's count",
     FIELD(state_dir), NULL},
    {"log.facility", CONF_STRING, "daemon", 0, 0, "syslog facility when not in the foreground",
     FIELD(log_facility), check_facility},
    {"log.verbose", CONF_INT, "0", 0, 2, "0 = progress and problems, 1 = debug, 2 = more",
     FIELD(log_verbose), NULL},
};

#undef FIELD

_Static_assert(NELEM(conf_table) == CONF_NKEYS, "CONF_NKEYS counts the key table");

/* Names longer than this get no suggestion: no key is nearly as long. */
#define NEAR_MAX 64

/* The names log.facility accepts; the usual ones for a daemon. */
static const struct {
	const char *name;
	int facility;
} conf_facilities[] = {
    {"daemon", LOG_DAEMON}, {"user", LOG_USER},         {"mail", LOG_MAIL},
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

/* One config file being read: where errors go and whether there were any. */
struct conf_load {
	struct conf *c;
	const char *path; /* the file given, for settings without a source */
	struct buf *errs;
	int failed;
};

const struct conf_key *conf_keys(size_t *n)
{
	*n = NELEM(conf_table);
	return conf_table;
}

int conf_syslog_facility(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NELEM(conf_facilities); i++)
		if (strcmp(name, conf_facilities[i].name) == 0)
			return conf_facilities[i].facility;
	return -1;
}

/* Appends s between the quote characters q, masked so a value can never
 * forge an error line. */
static int add_masked(struct buf *b, const char *s, char q)
{
	size_t len = strlen(s);
	char *m;
	int rc;

	m = malloc(len + 1);
	if (m == NULL)
		return -1;
	log_mask(s, m, len + 1);
	rc = buf_printf(b, "%c%s%c", q, m, q);
	free(m);
	return rc;
}

static int add_quoted(struct buf *b, const char *s)
{
	return add_masked(b, s, '\'');
}

static int add_dquoted(struct buf *b, const char *s)
{
	return add_masked(b, s, '"');
}

/* Appends 'unknown setting "path"', and '; did you mean "KEY"?' when a
 * key (a group, with group set) is near it; -1 when out of memory. */
static int unknown_setting(struct buf *b, const char *path, int group)
{
	struct buf near = BUF_INIT;
	int rc;

	rc = buf_puts(b, "unknown setting ");
	if (rc == 0)
		rc = add_dquoted(b, path);
	if (rc == 0 && (rc = conf_nearest(path, group, &near)) > 0)
		rc = buf_puts(b, "; did you mean ") < 0 || add_dquoted(b, buf_str(&near)) < 0 ||
		             buf_puts(b, "?") < 0
		         ? -1
		         : 0;
	buf_free(&near);
	return rc < 0 ? -1 : 0;
}

static int check_facility(const char *value, struct buf *why)
{
	if (conf_syslog_facility(value) >= 0)
		return 0;
	if (buf_puts(why, "unknown syslog facility ") == 0)
		(void)!add_quoted(why, value);
	return -1;
}

/* node_exporter's textfile collector reads only *.prom files; the
 * daemon leaves "/" as its working directory when it detaches. */
static int check_textfile(const char *value, struct buf *why)
{
	size_t n = strlen(value);

	if (value[0] == '/' && n > 6 && strcmp(value + n - 5, ".prom") == 0 && value[n - 6] != '/')
		return 0;
	(void)!buf_puts(why, "want an absolute path ending in .prom (the textfile collector "
	                     "reads no other name)");
	return -1;
}

static const struct conf_key *find_key(const char *path)
{
	size_t i;

	for (i = 0; i < NELEM(conf_table); i++)
		if (strcmp(conf_table[i].path, path) == 0)
			return &conf_table[i];
	return NULL;
}

/* Whether path names a group of the table ("ldap", "ldap.tls"). */
static int is_group(const char *path)
{
	size_t i, len = strlen(path);

	for (i = 0; i < NELEM(conf_table); i++)
		if (strncmp(conf_table[i].path, path, len) == 0 && conf_table[i].path[len] == '.')
			return 1;
	return 0;
}

static char **str_field(struct conf *c, const struct conf_key *k)
{
	return (char **)(void *)((char *)c + k->offset);
}

static int *int_field(struct conf *c, const struct conf_key *k)
{
	return (int *)(void *)((char *)c + k->offset);
}

static char *const *str_cfield(const struct conf *c, const struct conf_key *k)
{
	return (char *const *)(const void *)((const char *)c + k->offset);
}

static const int *int_cfield(const struct conf *c, const struct conf_key *k)
{
	return (const int *)(const void *)((const char *)c + k->offset);
}

/* Records origin (NULL: the default) as where the value of k comes from;
 * a journal.file that moved with state_dir comes from there as well.
 * Call it once k's value is stored. -1 when out of memory. */
static int set_origin(struct conf *c, const struct conf_key *k, const char *origin)
{
	struct buf j = BUF_INIT;
	char *copy = NULL;
	size_t i = (size_t)(k - conf_table), ji;

	if (origin != NULL && (copy = strdup(origin)) == NULL)
		return -1;
	if (k->offset == offsetof(struct conf, state_dir) && !c->journal_set) {
		if (buf_printf(&j, "with state_dir from %s", origin ? origin : "default") < 0) {
			free(copy);
			buf_free(&j);
			return -1;
		}
		ji = (size_t)(find_key("journal.file") - conf_table);
		free(c->origin[ji]);
		c->origin[ji] = buf_steal(&j);
	}
	free(c->origin[i]);
	c->origin[i] = copy;
	return 0;
}

/* Optimal string alignment distance between a and b (na, nb <= NEAR_MAX),
 * ASCII case ignored: edits of one character and swaps of two adjacent. */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t rows[3][NEAR_MAX + 1], *pp = rows[0], *p = rows[1], *cur = rows[2], *t, i, j, v;
	char la[NEAR_MAX], lb[NEAR_MAX];

	for (i = 0; i < na; i++)
		la[i] = (char)tolower((unsigned char)a[i]);
	for (j = 0; j < nb; j++)
		lb[j] = (char)tolower((unsigned char)b[j]);
	for (j = 0; j <= nb; j++)
		p[j] = j;
	for (i = 1; i <= na; i++) {
		cur[0] = i;
		for (j = 1; j <= nb; j++) {
			v = p[j - 1] + (la[i - 1] != lb[j - 1]);
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && la[i - 1] == lb[j - 2] && la[i - 2] == lb[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
		t = pp;
		pp = p;
		p = cur;
		cur = t;
	}
	return p[nb];
}

/* The part of s (n bytes) after its last '.', its length in *len. */
static const char *last_part(const char *s, size_t n, size_t *len)
{
	size_t i = n;

	while (i > 0 && s[i - 1] != '.')
		i--;
	*len = n - i;
	return s + i;
}

int conf_nearest(const char *name, int group, struct buf *out)
{
	size_t n = strlen(name), best = SIZE_MAX, bestlen = 0, limit, i, nl, cl, plen, d, dl;
	const char *nleaf, *bestp = NULL, *p;

	if (n == 0 || n > NEAR_MAX)
		return 0;
	nleaf = last_part(name, n, &nl);
	/* one edit in three, and two for the shortest names */
	limit = n / 3 > 2 ? n / 3 : 2;
	for (i = 0; i < NELEM(conf_table); i++) {
		p = conf_table[i].path;
		/* the key itself, or each group it is in ("ldap", "ldap.tls") */
		for (plen = group ? 0 : strlen(p); plen <= strlen(p); plen++) {
			const char *cleaf;

			if (group && p[plen] != '.')
				continue;
			if (plen > NEAR_MAX)
				break;
			d = distance(name, n, p, plen);
			/* a key in the wrong group is one edit away */
			cleaf = last_part(p, plen, &cl);
			dl = distance(nleaf, nl, cleaf, cl) + 1;
			if (dl < d)
				d = dl;
			if (d < best) {
				best = d;
				bestp = p;
				bestlen = plen;
			}
			if (!group)
				break;
		}
	}
	if (bestp == NULL || best > limit)
		return 0;
	return buf_add(out, bestp, bestlen) < 0 ? -1 : 1;
}

static const char *type_name(enum conf_type t)
{
	switch (t) {
	case CONF_STRING:
		return "a string";
	case CONF_INT:
		return "an integer";
	case CONF_BOOL:
		return "a boolean";
	}
	return "a value";
}

/* Returns "DIR/journal.ldif" (malloc'd), NULL when out of memory. */
static char *journal_in(const char *dir)
{
	struct buf b = BUF_INIT;
	size_t len = strlen(dir);

	if (buf_printf(&b, "%s%s" CONF_JOURNAL_NAME, dir,
	               len > 0 && dir[len - 1] == '/' ? "" : "/") < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Validates and stores a string; "" unsets. On a bad value returns -1
 * with the reason in why and leaves c as it was. A journal.file not given
 * moves with state_dir, so that the journal stays in the state directory
 * (the one place a sandboxed daemon may write) wherever that is. */
static int store_string(struct conf *c, const struct conf_key *k, const char *value,
                        struct buf *why)
{
	char **field = str_field(c, k);
	char *copy = NULL, *journal = NULL;

	if (*value == '\0' && *k->def != '\0') {
		(void)!buf_puts(why, "must not be empty");
		return -1;
	}
	if (*value != '\0' && k->check != NULL && k->check(value, why) < 0)
		return -1;
	if (*value != '\0') {
		copy = strdup(value);
		if (copy == NULL) {
			(void)!buf_puts(why, "out of memory");
			return -1;
		}
	}
	if (k->offset == offsetof(struct conf, state_dir) && !c->journal_set && copy != NULL) {
		journal = journal_in(copy);
		if (journal == NULL) {
			free(copy);
			(void)!buf_puts(why, "out of memory");
			return -1;
		}
		free(c->journal_file);
		c->journal_file = journal;
	}
	if (k->offset == offsetof(struct conf, journal_file))
		c->journal_set = 1;
	free(*field);
	*field = copy;
	return 0;
}

/* Validates and stores an integer or boolean already converted. */
static int store_int(struct conf *c, const struct conf_key *k, long long v, struct buf *why)
{
	if (v < k->min || v > k->max) {
		(void)!buf_printf(why, "%lld is out of range (%ld..%ld)", v, k->min, k->max);
		return -1;
	}
	*int_field(c, k) = (int)v;
	return 0;
}

/* Converts command-line text to a boolean; -1 if it is none. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	size_t i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Stores text given for key k; -1 with the reason in why. */
static int set_text(struct conf *c, const struct conf_key *k, const char *value, struct buf *why)
{
	long long v;
	char *end;
	int b;

	switch (k->type) {
	case CONF_STRING:
		return store_string(c, k, value, why);
	case CONF_INT:
		errno = 0;
		v = strtoll(value, &end, 10);
		if (end == value || *end != '\0' ||
		    (*value != '-' && *value != '+' && (*value < '0' || *value > '9'))) {
			(void)!buf_printf(why, "expected %s", type_name(k->type));
			return -1;
		}
		if (errno == ERANGE) {
			/* value is all digits here: nothing to mask */
			(void)!buf_printf(why, "%s is out of range (%ld..%ld)", value, k->min,
			                  k->max);
			return -1;
		}
		return store_int(c, k, v, why);
	case CONF_BOOL:
		b = parse_bool(value);
		if (b < 0) {
			(void)!buf_printf(why, "expected %s", type_name(k->type));
			return -1;
		}
		return store_int(c, k, b, why);
	}
	return -1;
}

/* Stores a libconfig setting for key k; -1 with the reason in why. */
static int set_setting(struct conf *c, const struct conf_key *k, const config_setting_t *s,
                       struct buf *why)
{
	int t = config_setting_type(s);

	switch (k->type) {
	case CONF_STRING:
		if (t != CONFIG_TYPE_STRING)
			break;
		return store_string(c, k, config_setting_get_string(s), why);
	case CONF_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			break;
		return store_int(c, k, config_setting_get_int64(s), why);
	case CONF_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			break;
		return store_int(c, k, config_setting_get_bool(s), why);
	}
	(void)!buf_printf(why, "expected %s", type_name(k->type));
	return -1;
}

/* Records one error about setting s: "file:line: text". */
static void load_error(struct conf_load *ld, const config_setting_t *s, const char *text)
{
	const char *file = config_setting_source_file(s);

	ld->failed = 1;
	(void)!buf_printf(ld->errs, "%s:%u: %s\n", file ? file : ld->path,
	                  config_setting_source_line(s), text);
}

/* Records "file:line" of setting s as the origin of k's value. */
static int note_source(struct conf_load *ld, const struct conf_key *k, const config_setting_t *s)
{
	const char *file = config_setting_source_file(s);
	struct buf at = BUF_INIT;
	int rc = -1;

	if (buf_printf(&at, "%s:%u", file ? file : ld->path, config_setting_source_line(s)) == 0)
		rc = set_origin(ld->c, k, buf_str(&at));
	buf_free(&at);
	return rc;
}

/* Reads every setting of group (whose path is prefix, NULL for the root)
 * in file order. */
static void load_group(struct conf_load *ld, const config_setting_t *group, const char *prefix)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	const struct conf_key *k;
	config_setting_t *s;
	int i, n = config_setting_length(group);

	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(group, (unsigned int)i);
		buf_reset(&path);
		buf_reset(&why);
		if ((prefix != NULL && buf_printf(&path, "%s.", prefix) < 0) ||
		    buf_puts(&path, config_setting_name(s)) < 0) {
			load_error(ld, s, "out of memory");
			goto done;
		}
		k = find_key(buf_str(&path));
		if (k != NULL) {
			if (set_setting(ld->c, k, s, &why) < 0) {
				if (buf_printf(&path, ": %s", buf_str(&why)) < 0)
					load_error(ld, s, "out of memory");
				else
					load_error(ld, s, buf_str(&path));
			} else if (note_source(ld, k, s) < 0) {
				load_error(ld, s, "out of memory");
			}
		} else if (is_group(buf_str(&path))) {
			if (config_setting_is_group(s))
				load_group(ld, s, buf_str(&path));
			else if (buf_puts(&path, ": expected a group") < 0)
				load_error(ld, s, "out of memory");
			else
				load_error(ld, s, buf_str(&path));
		} else {
			if (unknown_setting(&why, buf_str(&path), config_setting_is_group(s)) < 0)
				load_error(ld, s, "out of memory");
			else
				load_error(ld, s, buf_str(&why));
		}
	}
done:
	buf_free(&path);
	buf_free(&why);
}

int conf_init(struct conf *c)
{
	struct buf why = BUF_INIT;
	size_t i;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NELEM(conf_table); i++)
		if (set_text(c, &conf_table[i], conf_table[i].def, &why) < 0)
			goto done;
	c->journal_set = 0;
	rc = 0;
done:
	if (rc < 0)
		conf_free(c);
	buf_free(&why);
	return rc;
}

int conf_load(struct conf *c, const char *path, struct buf *errs)
{
	struct conf_load ld = {c, path, errs, 0};
	config_t cf;
	int err;

	config_init(&cf);
	errno = 0;
	if (config_read_file(&cf, path) != CONFIG_TRUE) {
		err = errno;
		ld.failed = 1;
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			/* libconfig leaves errno at 0 when path is a directory. */
			(void)!buf_printf(errs, "%s: %s\n", path, strerror(err ? err : EISDIR));
		else
			(void)!buf_printf(errs, "%s:%d: %s\n",
			                  config_error_file(&cf) ? config_error_file(&cf) : path,
			                  config_error_line(&cf), config_error_text(&cf));
		goto done;
	}
	load_group(&ld, config_root_setting(&cf), NULL);
done:
	config_destroy(&cf);
	return ld.failed ? -1 : 0;
}

int conf_set_from(struct conf *c, const char *path, const char *value, const char *origin,
                  struct buf *errs)
{
	const struct conf_key *k = find_key(path);
	struct buf why = BUF_INIT;
	int rc = 0;

	if (k == NULL) {
		if (unknown_setting(errs, path, 0) < 0 || buf_puts(errs, "\n") < 0)
			(void)!buf_puts(errs, "out of memory\n");
		return -1;
	}
	if (set_text(c, k, value, &why) < 0) {
		(void)!buf_printf(errs, "%s: %s\n", path, buf_str(&why));
		rc = -1;
	} else if (set_origin(c, k, origin) < 0) {
		(void)!buf_printf(errs, "%s: out of memory\n", path);
		rc = -1;
	}
	buf_free(&why);
	return rc;
}

int conf_set(struct conf *c, const char *path, const char *value, struct buf *errs)
{
	return conf_set_from(c, path, value, "command line", errs);
}

/* Appends s as a libconfig string: quoted, \\ and \" escaped, control
 * characters as \xNN. */
static int put_string(struct buf *out, const char *s)
{
	int rc = buf_puts(out, "\"");

	for (; rc == 0 && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			rc = buf_printf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			rc = buf_printf(out, "\\x%02x", ch);
		else
			rc = buf_add(out, s, 1);
	}
	return rc == 0 ? buf_puts(out, "\"") : -1;
}

int conf_print(const struct conf *c, int only_set, struct buf *out)
{
	const struct conf_key *k;
	const char *origin;
	size_t i;
	char *m;
	int rc = 0;

	for (i = 0; rc == 0 && i < NELEM(conf_table); i++) {
		k = &conf_table[i];
		if (only_set && c->origin[i] == NULL)
			continue;
		rc = buf_printf(out, "%s = ", k->path);
		if (rc < 0)
			break;
		switch (k->type) {
		case CONF_STRING:
			rc = put_string(out, *str_cfield(c, k) ? *str_cfield(c, k) : "");
			break;
		case CONF_INT:
			rc = buf_printf(out, "%d", *int_cfield(c, k));
			break;
		case CONF_BOOL:
			rc = buf_puts(out, *int_cfield(c, k) ? "true" : "false");
			break;
		}
		origin = c->origin[i] ? c->origin[i] : "default";
		m = malloc(strlen(origin) + 1);
		if (m == NULL)
			return -1;
		log_mask(origin, m, strlen(origin) + 1);
		if (rc == 0)
			rc = buf_printf(out, "  # %s\n", m);
		free(m);
	}
	return rc;
}

int conf_check(const struct conf *c, struct buf *errs)
{
	const struct {
		const char *value, *name;
	} sasl[] = {
	    {c->sasl_authcid, "ldap.sasl_authcid"},
	    {c->sasl_authzid, "ldap.sasl_authzid"},
	    {c->sasl_realm, "ldap.sasl_realm"},
	};
	size_t i;
	int bad = 0;

	if (c->base == NULL) {
		(void)!buf_puts(errs, "ldap.base is not set: give -b BASE or set ldap.base\n");
		bad = 1;
	}
	if (c->bind_dn != NULL && c->sasl_mech != NULL) {
		(void)!buf_puts(errs, "ldap.bind_dn and ldap.sasl_mech are both set: "
		                      "choose a simple bind (-D) or SASL (-Y)\n");
		bad = 1;
	}
	if (c->bind_dn != NULL && c->password_file == NULL) {
		(void)!buf_puts(errs, "ldap.bind_dn needs a password: give -y FILE or set "
		                      "ldap.password_file\n");
		bad = 1;
	}
	if (c->password_file != NULL && c->bind_dn == NULL && c->sasl_mech == NULL) {
		(void)!buf_puts(errs, "ldap.password_file is set but unused: set ldap.bind_dn (-D) "
		                      "or ldap.sasl_mech (-Y)\n");
		bad = 1;
	}
	if (c->keytab != NULL && c->sasl_mech == NULL) {
		(void)!buf_puts(errs, "ldap.keytab needs ldap.sasl_mech: set it to GSSAPI (-Y "
		                      "GSSAPI)\n");
		bad = 1;
	}
	for (i = 0; i < NELEM(sasl); i++) {
		if (sasl[i].value != NULL && c->sasl_mech == NULL) {
			(void)!buf_printf(errs, "%s needs ldap.sasl_mech\n", sasl[i].name);
			bad = 1;
		}
	}
	if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL)) {
		(void)!buf_puts(errs, "ldap.tls.cert_file and ldap.tls.key_file go together: "
		                      "set both or neither\n");
		bad = 1;
	}
	return bad ? -1 : 0;
}

void conf_free(struct conf *c)
{
	size_t i;
	char **field;

	if (c == NULL)
		return;
	for (i = 0; i < NELEM(conf_table); i++) {
		free(c->origin[i]);
		c->origin[i] = NULL;
		if (conf_table[i].type != CONF_STRING)
			continue;
		field = str_field(c, &conf_table[i]);
		free(*field);
		*field = NULL;
	}
}
