/* journal.c - the write-ahead change journal.
 * One write() and fdatasync() per event on an O_APPEND descriptor, cut back
 * on failure; verify and undo re-read the file with libldap's LDIF parser. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ldap.h>

#include "entry.h"
#include "isotime.h"
#include "journal.h"
#include "ldifw.h"

/* Rotated generations kept: path.1 (newest) to path.9 (oldest). */
#define JOURNAL_KEEP 9

struct journal {
	char *path;
	int fd;
	long long max_bytes; /* rotate past this size; 0 never */
	long next_id;
	long *open; /* requests begun and still without a result, ascending */
	size_t nopen, capopen;
	long *stale; /* requests ended with 122 and not re-read yet */
	size_t nstale, capstale;
	int deferred; /* journal_defer: appends are synced by journal_sync */
	int dirty;    /* written since the last sync */
	char *pass;   /* journal_set_origin: written with each request; NULL none */
	char *bind;
};

/* ---- times -------------------------------------------------------------- */

static int two_digits(const char *p)
{
	return (p[0] - '0') * 10 + p[1] - '0';
}

/* Parses the n bytes at s as "YYYY-MM-DDTHH:MM:SSZ" (years 1970 to 9999)
 * into *t; -1 when they are anything else. */
static int parse_time(const char *s, size_t n, time_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	int y, mo, d, h, mi, sec;
	long long secs;
	size_t i;

	if (s == NULL || n != sizeof(shape) - 1)
		return -1;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return -1;
	y = two_digits(s) * 100 + two_digits(s + 2);
	mo = two_digits(s + 5);
	d = two_digits(s + 8);
	h = two_digits(s + 11);
	mi = two_digits(s + 14);
	sec = two_digits(s + 17);
	if (y < 1970 || !isotime_valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 59)
		return -1;
	secs = isotime_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	if ((long long)(time_t)secs != secs)
		return -1;
	*t = (time_t)secs;
	return 0;
}

int journal_parse_time(const char *s, time_t *t)
{
	return parse_time(s, s ? strlen(s) : 0, t);
}

/* ---- comments written and read back ------------------------------------ */

/* RFC 4511 section 4.1.9, then the codes of the extensions dirmail may
 * meet: cancel (RFC 3909), assertion (RFC 4528), proxied authorization
 * (RFC 4370), content synchronisation (RFC 4533) and no-op. */
static const struct {
	int code;
	const char *name;
} result_names[] = {
    {0, "success"},
    {1, "operationsError"},
    {2, "protocolError"},
    {3, "timeLimitExceeded"},
    {4, "sizeLimitExceeded"},
    {5, "compareFalse"},
    {6, "compareTrue"},
    {7, "authMethodNotSupported"},
    {8, "strongerAuthRequired"},
    {10, "referral"},
    {11, "adminLimitExceeded"},
    {12, "unavailableCriticalExtension"},
    {13, "confidentialityRequired"},
    {14, "saslBindInProgress"},
    {16, "noSuchAttribute"},
    {17, "undefinedAttributeType"},
    {18, "inappropriateMatching"},
    {19, "constraintViolation"},
    {20, "attributeOrValueExists"},
    {21, "invalidAttributeSyntax"},
    {32, "noSuchObject"},
    {33, "aliasProblem"},
    {34, "invalidDNSyntax"},
    {36, "aliasDereferencingProblem"},
    {48, "inappropriateAuthentication"},
    {49, "invalidCredentials"},
    {50, "insufficientAccessRights"},
    {51, "busy"},
    {52, "unavailable"},
    {53, "unwillingToPerform"},
    {54, "loopDetect"},
    {64, "namingViolation"},
    {65, "objectClassViolation"},
    {66, "notAllowedOnNonLeaf"},
    {67, "notAllowedOnRDN"},
    {68, "entryAlreadyExists"},
    {69, "objectClassModsProhibited"},
    {71, "affectsMultipleDSAs"},
    {80, "other"},
    {118, "canceled"},
    {119, "noSuchOperation"},
    {120, "tooLate"},
    {121, "cannotCancel"},
    {122, "assertionFailed"},
    {123, "authorizationDenied"},
    {4096, "esyncRefreshRequired"},
    {16654, "noOperation"},
};

/* The result of a write whose object changed since it was read: the pass
 * re-reads the object and notes so. */
#define RESULT_STALE 122

/* A result that a reread note may follow: a failed assertion, or where
 * the server has no assertion control a value guard (a value to delete
 * gone, noSuchAttribute; one to add there already,
 * attributeOrValueExists). */
static int stale_result(long code)
{
	return code == RESULT_STALE || code == 16 || code == 20;
}

/* The name written after an LDAP result code. */
const char *journal_result_name(long code)
{
	size_t i;

	for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
		if (result_names[i].code == code)
			return result_names[i].name;
	return "unrecognized";
}

/* The comment a line of the entry before a delete is noted in. */
#define PRE_PREFIX "entry: "
/* The comments after a req= comment naming the pass and the bind identity
 * that made the request (journal_set_origin). */
#define PASS_PREFIX "pass: "
#define BIND_PREFIX "bind: "

enum note { NOTE_OTHER, NOTE_BEGIN, NOTE_END, NOTE_REREAD };

struct note_info {
	long id;
	time_t time;      /* -1 when the TIME word is not one */
	long code;        /* NOTE_END only: >= 0, JOURNAL_UNKNOWN or JOURNAL_UNSENT */
	const char *text; /* NOTE_END only: what follows the name; points into the line */
};

/* Returns the text after word at p when p starts with it as a whole word,
 * else NULL. */
static const char *after_word(const char *p, const char *word)
{
	size_t n = strlen(word);

	if (strncmp(p, word, n) != 0 || (p[n] != ' ' && p[n] != '\0'))
		return NULL;
	return p[n] == ' ' ? p + n + 1 : p + n;
}

/* Reads what follows "result=": "CODE NAME[ TEXT]", "unknown[ TEXT]" or
 * "unsent[ TEXT]"; a NAME other than CODE's is the start of TEXT, as in
 * files written before names were noted. -1 when it is none of these. */
static int parse_result(const char *p, struct note_info *ni)
{
	const char *q;
	char *end;
	long v;

	if ((q = after_word(p, "unknown")) != NULL) {
		ni->code = JOURNAL_UNKNOWN;
		ni->text = q;
		return 0;
	}
	if ((q = after_word(p, "unsent")) != NULL) {
		ni->code = JOURNAL_UNSENT;
		ni->text = q;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\0'))
		return -1;
	ni->code = v;
	ni->text = *end == ' ' ? end + 1 : end;
	if ((q = after_word(ni->text, journal_result_name(v))) != NULL)
		ni->text = q;
	return 0;
}

/* Classifies one comment line: "# TIME req=N rule=..." begins a request,
 * "# TIME req=N result=..." ends one, "# TIME req=N reread" follows a
 * stale one, anything else is a remark. */
static enum note parse_note(const char *line, struct note_info *ni)
{
	const char *p;
	char *end;
	long v;

	if (strncmp(line, "# ", 2) != 0 || line[2] == ' ' || line[2] == '\0')
		return NOTE_OTHER;
	/* what follows these comes from the directory: never a note */
	if (strncmp(line + 2, PASS_PREFIX, strlen(PASS_PREFIX)) == 0 ||
	    strncmp(line + 2, BIND_PREFIX, strlen(BIND_PREFIX)) == 0)
		return NOTE_OTHER;
	p = line + 2 + strcspn(line + 2, " ");
	if (strncmp(p, " req=", 5) != 0)
		return NOTE_OTHER;
	if (parse_time(line + 2, (size_t)(p - line - 2), &ni->time) < 0)
		ni->time = -1;
	p += 5;
	if (*p < '1' || *p > '9')
		return NOTE_OTHER;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno != 0 || *end != ' ')
		return NOTE_OTHER;
	ni->id = v;
	p = end + 1;
	if (strncmp(p, "rule=", 5) == 0)
		return NOTE_BEGIN;
	if (after_word(p, "reread") != NULL)
		return NOTE_REREAD;
	if (strncmp(p, "result=", 7) != 0 || parse_result(p + 7, ni) < 0)
		return NOTE_OTHER;
	return NOTE_END;
}

static int put_time(struct buf *b, time_t now)
{
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL)
		return -1;
	return buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- reading lines ------------------------------------------------------ */

struct reader {
	FILE *f;
	char *line; /* the line without its newline (and a '\r' before it) */
	size_t cap;
	size_t len;
	int newline;      /* the line ended in '\n' */
	int nul;          /* the line held a NUL byte */
	unsigned long no; /* 1-based number of the line */
};

/* Reads the next line; 1, 0 at the end of the file, -1 on a read error. */
static int reader_next(struct reader *r)
{
	ssize_t n;

	errno = 0;
	n = getline(&r->line, &r->cap, r->f);
	if (n < 0)
		return ferror(r->f) || errno == ENOMEM ? -1 : 0;
	r->no++;
	r->len = (size_t)n;
	r->newline = r->len > 0 && r->line[r->len - 1] == '\n';
	if (r->newline) {
		r->len--;
		/* ldif_read_record squashes CRLF the same way */
		if (r->len > 0 && r->line[r->len - 1] == '\r')
			r->len--;
	}
	r->line[r->len] = '\0';
	r->nul = strlen(r->line) != r->len;
	return 1;
}

enum tail { TAIL_EMPTY, TAIL_BLANK, TAIL_NOTE, TAIL_CONTENT, TAIL_PARTIAL };

/* Finds the highest req= in the file at path (0 when there is none or the
 * file does not exist) and how the file ends; -1 with err on a read error. */
static int scan_file(const char *path, long *max_id, enum tail *tail, struct buf *err)
{
	struct reader r = {NULL, NULL, 0, 0, 0, 0, 0};
	struct note_info ni;
	int more, rc = -1;

	*max_id = 0;
	*tail = TAIL_EMPTY;
	r.f = fopen(path, "re");
	if (r.f == NULL) {
		if (errno == ENOENT)
			return 0;
		(void)!buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((more = reader_next(&r)) > 0) {
		if (!r.newline)
			*tail = TAIL_PARTIAL;
		else if (r.len == 0)
			*tail = TAIL_BLANK;
		else if (r.line[0] == '#')
			*tail = TAIL_NOTE;
		else
			*tail = TAIL_CONTENT;
		if (r.line[0] == '#' && parse_note(r.line, &ni) != NOTE_OTHER && ni.id > *max_id)
			*max_id = ni.id;
	}
	if (more < 0) {
		(void)!buf_printf(err, "%s: %s", path, strerror(errno ? errno : EIO));
		goto done;
	}
	rc = 0;
done:
	free(r.line);
	fclose(r.f);
	return rc;
}

/* ---- writing ------------------------------------------------------------ */

/* Makes renames and new files durable; best effort, as some file systems
 * cannot sync a directory. */
static void sync_dir(const char *path)
{
	struct buf dir = BUF_INIT;
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		rc = buf_puts(&dir, ".");
	else if (slash == path)
		rc = buf_puts(&dir, "/");
	else
		rc = buf_add(&dir, path, (size_t)(slash - path));
	if (rc == 0) {
		fd = open(buf_str(&dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			(void)fsync(fd);
			close(fd);
		}
	}
	buf_free(&dir);
}

static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends b in one write and syncs it; on failure the file is cut back, so
 * a torn record never merges with the next one. */
static int append(struct journal *j, const struct buf *b, struct buf *err)
{
	struct stat st;
	int e;

	if (fstat(j->fd, &st) < 0) {
		(void)!buf_printf(err, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	if (write_all(j->fd, b->s, b->len) == 0 && (j->deferred || fdatasync(j->fd) == 0)) {
		j->dirty = j->deferred;
		return 0;
	}
	e = errno;
	(void)!buf_printf(err, "%s: write: %s", j->path, strerror(e));
	if (ftruncate(j->fd, st.st_size) == 0)
		(void)fdatasync(j->fd);
	return -1;
}

/* One writer per journal: a second dirmail on the same file would
 * interleave records and reuse request ids. */
static int lock_fd(int fd, const char *path, struct buf *err)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		(void)!buf_printf(err, "%s: another dirmail is writing this journal", path);
		return JOURNAL_BUSY;
	}
	(void)!buf_printf(err, "%s: lock: %s", path, strerror(errno));
	return -1;
}

/* O_NONBLOCK only keeps a FIFO in the journal's place from hanging the
 * open; it changes nothing for the regular file required. */
static int open_fd(const char *path, int flags, struct buf *err)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags,
	          0600);
	if (fd < 0) {
		(void)!buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		(void)!buf_printf(err, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)!buf_printf(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

static int write_version(struct journal *j, struct buf *err)
{
	struct buf b = BUF_INIT;
	int rc = -1;

	if (ldifw_version(&b) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	rc = append(j, &b, err);
done:
	buf_free(&b);
	return rc;
}

static int gen_name(struct buf *b, const char *path, int gen)
{
	buf_reset(b);
	return gen == 0 ? buf_puts(b, path) : buf_printf(b, "%s.%d", path, gen);
}

/* Starts a new file: it is written beside the journal first, so a failure
 * anywhere before the final rename leaves the current file in use. */
static int rotate(struct journal *j, struct buf *err)
{
	struct buf tmp = BUF_INIT, from = BUF_INIT, to = BUF_INIT;
	struct journal fresh;
	int gen, rc = -1;

	memset(&fresh, 0, sizeof(fresh));
	fresh.fd = -1;
	if (buf_printf(&tmp, "%s.new", j->path) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	fresh.path = tmp.s;
	(void)unlink(tmp.s);
	fresh.fd = open_fd(tmp.s, O_EXCL, err);
	/* Locked before anyone can find it under path. */
	if (fresh.fd < 0 || lock_fd(fresh.fd, tmp.s, err) < 0 || write_version(&fresh, err) < 0)
		goto done;
	for (gen = JOURNAL_KEEP - 1; gen >= 0; gen--) {
		if (gen_name(&from, j->path, gen) < 0 || gen_name(&to, j->path, gen + 1) < 0) {
			(void)!buf_printf(err, "%s: out of memory", j->path);
			goto done;
		}
		if (rename(from.s, to.s) < 0 && (errno != ENOENT || gen == 0)) {
			(void)!buf_printf(err, "%s: rotate: rename to %s: %s", from.s, to.s,
			                  strerror(errno));
			goto done;
		}
	}
	if (rename(tmp.s, j->path) < 0) {
		(void)!buf_printf(err, "%s: rotate: %s", j->path, strerror(errno));
		/* put the old file back rather than leave no journal */
		(void)rename(to.s, j->path);
		goto done;
	}
	if (j->dirty)
		(void)fdatasync(j->fd);
	j->dirty = 0;
	close(j->fd);
	j->fd = fresh.fd;
	fresh.fd = -1;
	sync_dir(j->path);
	rc = 0;
done:
	if (fresh.fd >= 0) {
		close(fresh.fd);
		(void)unlink(tmp.s);
	}
	buf_free(&tmp);
	buf_free(&from);
	buf_free(&to);
	return rc;
}

static int over_size(struct journal *j, int *over, struct buf *err)
{
	struct stat st;

	*over = 0;
	if (j->max_bytes <= 0)
		return 0;
	if (fstat(j->fd, &st) < 0) {
		(void)!buf_printf(err, "%s: %s", j->path, strerror(errno));
		return -1;
	}
	*over = (long long)st.st_size > j->max_bytes;
	return 0;
}

int journal_open_bytes(const char *path, long long max_bytes, struct journal **out, struct buf *err)
{
	struct journal *j;
	struct buf b = BUF_INIT;
	enum tail tail, ignored;
	long max_id;
	int over, rc = -1;

	*out = NULL;
	j = calloc(1, sizeof(*j));
	if (j != NULL)
		j->fd = -1;
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		(void)!buf_printf(err, "%s: out of memory", path);
		goto done;
	}
	j->max_bytes = max_bytes > 0 ? max_bytes : 0;
	j->fd = open_fd(path, 0, err);
	if (j->fd < 0)
		goto done;
	if ((rc = lock_fd(j->fd, path, err)) < 0)
		goto done;
	rc = -1;
	if (over_size(j, &over, err) < 0 || (over && rotate(j, err) < 0))
		goto done;
	if (scan_file(path, &max_id, &tail, err) < 0)
		goto done;
	if (tail == TAIL_EMPTY) {
		if (write_version(j, err) < 0)
			goto done;
		sync_dir(path);
	} else if (tail == TAIL_CONTENT || tail == TAIL_PARTIAL) {
		if (buf_puts(&b, tail == TAIL_PARTIAL ? "\n\n" : "\n") < 0) {
			(void)!buf_printf(err, "%s: out of memory", path);
			goto done;
		}
		if (append(j, &b, err) < 0)
			goto done;
	}
	/* Just rotated: the ids go on from the previous generation. */
	if (max_id == 0) {
		if (gen_name(&b, path, 1) < 0) {
			(void)!buf_printf(err, "%s: out of memory", path);
			goto done;
		}
		if (scan_file(b.s, &max_id, &ignored, err) < 0)
			goto done;
	}
	if (max_id == LONG_MAX) {
		(void)!buf_printf(err, "%s: req= numbers exhausted", path);
		goto done;
	}
	j->next_id = max_id + 1;
	*out = j;
	j = NULL;
	rc = 0;
done:
	buf_free(&b);
	journal_close(j);
	return rc;
}

int journal_open(const char *path, long max_size_mb, struct journal **out, struct buf *err)
{
	long long bytes = 0;

	if (max_size_mb > 0)
		bytes = max_size_mb > LLONG_MAX / (1024 * 1024)
		            ? LLONG_MAX
		            : (long long)max_size_mb * 1024 * 1024;
	return journal_open_bytes(path, bytes, out, err);
}

/* One change record as ldifw writes it: it starts with its dn, has a
 * changetype, ends with its blank line, holds no other blank line and no
 * comment that could pass for a req= note. */
static int is_one_record(const char *rec)
{
	size_t len;

	if (rec == NULL || strncmp(rec, "dn:", 3) != 0)
		return 0;
	len = strlen(rec);
	return len >= 2 && strstr(rec, "\n\n") == rec + len - 2 &&
	       strstr(rec, "\nchangetype: ") != NULL && strstr(rec, "\n#") == NULL;
}

/* Returns 1 when a line of rec names a secret attribute, as its type or as
 * the attribute of an add:/delete:/replace:/increment: line, 0 when none
 * does, -1 when out of memory. */
static int names_secret(const char *rec)
{
	static const char *const ops[] = {"add", "delete", "replace", "increment"};
	struct buf name = BUF_INIT;
	const char *p = rec;
	size_t n, i;
	int rc = 0;

	for (; *p; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		if (*p == ' ' || *p == '#')
			continue;
		buf_reset(&name);
		if (buf_add(&name, p, strcspn(p, ":\n")) < 0) {
			rc = -1;
			goto done;
		}
		if (ldifw_is_secret(name.s)) {
			rc = 1;
			goto done;
		}
		for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
			const char *v = p + name.len;

			if (strcasecmp(name.s, ops[i]) != 0 || *v != ':' || v[1] == ':')
				continue;
			v += 1 + strspn(v + 1, " ");
			buf_reset(&name);
			if (buf_add(&name, v, strcspn(v, "\n")) < 0) {
				rc = -1;
				goto done;
			}
			if (ldifw_is_secret(name.s)) {
				rc = 1;
				goto done;
			}
			break;
		}
	}
done:
	buf_free(&name);
	return rc;
}

/* Returns the form of dn that names the same entry however it was spelt
 * (libldap's LDAPv3 string, compared without case), dn itself when it does
 * not parse; NULL when out of memory, else free() it. */
static char *dn_key(const char *dn)
{
	char *norm = NULL, *key;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &norm, LDAP_DN_FORMAT_LDAPV3) !=
	        LDAP_SUCCESS ||
	    norm == NULL) {
		ldap_memfree(norm);
		return strdup(dn);
	}
	key = strdup(norm);
	ldap_memfree(norm);
	return key;
}

/* Makes room for one more id in *v; -1 when out of memory. */
static int grow_ids(long **v, size_t n, size_t *cap)
{
	size_t c = *cap ? *cap * 2 : 8;
	long *p;

	if (n < *cap)
		return 0;
	p = realloc(*v, c * sizeof(*p));
	if (p == NULL)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

/* Checks that before may go with rec: rec deletes the entry before names.
 * 0, 1 when refused (the reason in why), -1 when out of memory. */
static int check_before(const struct entry *before, const char *rec, const char **why)
{
	static const char tail[] = "\nchangetype: delete\n\n";
	struct buf copy = BUF_INIT;
	struct berval bv;
	LDIFRecord lr;
	char *a = NULL, *b = NULL;
	size_t len = strlen(rec);
	int rc = 1, prc, del;

	*why = "refused: an entry before the change goes only with a delete record";
	if (len < sizeof(tail) - 1 || strcmp(rec + len - (sizeof(tail) - 1), tail) != 0)
		goto done;
	/* The parser edits its buffer; it gives the DN however rec spells it. */
	if (buf_puts(&copy, rec) < 0) {
		rc = -1;
		goto done;
	}
	bv.bv_val = copy.s;
	bv.bv_len = copy.len;
	prc = ldap_parse_ldif_record(&bv, 1, &lr, "dirmail journal", 0);
	if (prc != LDAP_SUCCESS) {
		rc = prc == LDAP_NO_MEMORY ? -1 : 1;
		goto done;
	}
	del = lr.lr_op == LDAP_REQ_DELETE && lr.lr_dn.bv_val != NULL &&
	      memchr(lr.lr_dn.bv_val, '\0', lr.lr_dn.bv_len) == NULL;
	if (del)
		*why = "refused: the entry before the delete is not the entry it deletes";
	if (del && before->dn != NULL) {
		a = dn_key(lr.lr_dn.bv_val);
		b = dn_key(before->dn);
		rc = a == NULL || b == NULL ? -1 : strcasecmp(a, b) != 0;
	}
	ldap_ldif_record_done(&lr);
done:
	free(a);
	free(b);
	buf_free(&copy);
	return rc;
}

/* Appends before as "# entry: LINE" comments, one per line of its content
 * record; -1 when it cannot be written (why says so) or out of memory. */
static int put_before(struct buf *out, const struct entry *before, const char **why)
{
	struct buf rec = BUF_INIT, line = BUF_INIT;
	const char *p;
	size_t n;
	int rc = -1;

	*why = "out of memory";
	if (ldifw_entry(&rec, before) < 0) {
		/* ldifw refuses names that are no attribute description */
		*why = "refused: the entry before the delete cannot be written as LDIF";
		goto done;
	}
	for (p = rec.s; *p != '\0' && *p != '\n'; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		buf_reset(&line);
		if (buf_puts(&line, PRE_PREFIX) < 0 || buf_add(&line, p, n) < 0 ||
		    ldifw_comment(out, line.s) < 0)
			goto done;
	}
	rc = 0;
done:
	buf_free(&rec);
	buf_free(&line);
	return rc;
}

/* Appends the pass and bind comments journal_set_origin asked for. */
static int put_origin(const struct journal *j, struct buf *out)
{
	struct buf line = BUF_INIT;
	int rc = 0;

	if (j->pass != NULL)
		rc = buf_printf(&line, PASS_PREFIX "%s", j->pass) < 0 ||
		             ldifw_comment(out, line.s) < 0
		         ? -1
		         : 0;
	buf_reset(&line);
	if (rc == 0 && j->bind != NULL)
		rc = buf_printf(&line, BIND_PREFIX "%s", j->bind) < 0 ||
		             ldifw_comment(out, line.s) < 0
		         ? -1
		         : 0;
	buf_free(&line);
	return rc;
}

/* Sets *field to a copy of value, NULL for NULL or ""; -1 when out of
 * memory, *field unchanged. */
static int set_text(char **field, const char *value)
{
	char *copy = NULL;

	if (value != NULL && *value != '\0') {
		if (*field != NULL && strcmp(*field, value) == 0)
			return 0;
		copy = strdup(value);
		if (copy == NULL)
			return -1;
	}
	free(*field);
	*field = copy;
	return 0;
}

int journal_set_origin(struct journal *j, const char *pass, const char *bind, struct buf *err)
{
	if (j == NULL) {
		(void)!buf_puts(err, "journal: not open");
		return -1;
	}
	if (set_text(&j->pass, pass) < 0 || set_text(&j->bind, bind) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		return -1;
	}
	return 0;
}

int journal_pass_id(struct buf *out, time_t start, long pid, unsigned long n)
{
	struct tm tm;

	if (gmtime_r(&start, &tm) == NULL)
		return -1;
	return buf_printf(out, "%04d%02d%02dT%02d%02d%02dZ-%ld-%lu", tm.tm_year + 1900,
	                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, pid, n);
}

long journal_begin(struct journal *j, time_t now, const char *rule, const char *assertion,
                   const struct entry *before, const char *rec, struct buf *err)
{
	struct buf text = BUF_INIT, out = BUF_INIT;
	const char *why;
	long id = -1;
	int over, secret, ok;

	if (j == NULL) {
		(void)!buf_puts(err, "journal: not open");
		return -1;
	}
	if (!is_one_record(rec)) {
		(void)!buf_printf(err, "%s: refused: not one complete LDIF change record", j->path);
		goto done;
	}
	secret = names_secret(rec);
	if (secret != 0) {
		(void)!buf_printf(err, "%s: %s", j->path,
		                  secret > 0 ? "refused: the record names a secret attribute"
		                             : "out of memory");
		goto done;
	}
	if (before != NULL && (ok = check_before(before, rec, &why)) != 0) {
		(void)!buf_printf(err, "%s: %s", j->path, ok > 0 ? why : "out of memory");
		goto done;
	}
	if (grow_ids(&j->open, j->nopen, &j->capopen) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	if (put_time(&text, now) < 0 ||
	    buf_printf(&text, " req=%ld rule=%s asserted=%s", j->next_id,
	               rule && *rule ? rule : "-", assertion && *assertion ? assertion : "-") < 0 ||
	    ldifw_comment(&out, buf_str(&text)) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	if (put_origin(j, &out) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	if (before != NULL && put_before(&out, before, &why) < 0) {
		(void)!buf_printf(err, "%s: %s", j->path, why);
		goto done;
	}
	if (buf_puts(&out, rec) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	/* Rotating only while no result and no reread note is outstanding
	 * keeps every request, its result and its reread in one file. */
	if (j->nopen == 0 && j->nstale == 0) {
		if (over_size(j, &over, err) < 0 || (over && rotate(j, err) < 0))
			goto done;
	}
	if (append(j, &out, err) < 0)
		goto done;
	j->open[j->nopen++] = j->next_id;
	id = j->next_id++;
done:
	buf_free(&text);
	buf_free(&out);
	return id;
}

int journal_end(struct journal *j, long id, time_t now, int code, const char *text, struct buf *err)
{
	struct buf note = BUF_INIT, out = BUF_INIT;
	size_t i;
	int rc = -1, put;

	if (j == NULL) {
		(void)!buf_puts(err, "journal: not open");
		return -1;
	}
	for (i = 0; i < j->nopen && j->open[i] != id; i++)
		;
	if (i == j->nopen) {
		(void)!buf_printf(err, "%s: req=%ld awaits no result", j->path, id);
		goto done;
	}
	if (code < JOURNAL_UNSENT) {
		(void)!buf_printf(err, "%s: req=%ld: %d is not a result code", j->path, id, code);
		goto done;
	}
	if (stale_result(code) && grow_ids(&j->stale, j->nstale, &j->capstale) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	if (put_time(&note, now) < 0)
		put = -1;
	else if (code == JOURNAL_UNKNOWN)
		put = buf_printf(&note, " req=%ld result=unknown", id);
	else if (code == JOURNAL_UNSENT)
		put = buf_printf(&note, " req=%ld result=unsent", id);
	else
		put =
		    buf_printf(&note, " req=%ld result=%d %s", id, code, journal_result_name(code));
	if (put < 0 || (text && *text && buf_printf(&note, " %s", text) < 0) ||
	    ldifw_comment(&out, note.s) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	if (append(j, &out, err) < 0)
		goto done;
	memmove(j->open + i, j->open + i + 1, (j->nopen - i - 1) * sizeof(*j->open));
	j->nopen--;
	if (stale_result(code))
		j->stale[j->nstale++] = id;
	rc = 0;
done:
	buf_free(&note);
	buf_free(&out);
	return rc;
}

int journal_reread(struct journal *j, long id, time_t now, struct buf *err)
{
	struct buf text = BUF_INIT, out = BUF_INIT;
	size_t i;
	int rc = -1;

	if (j == NULL) {
		(void)!buf_puts(err, "journal: not open");
		return -1;
	}
	for (i = 0; i < j->nstale && j->stale[i] != id; i++)
		;
	if (i == j->nstale) {
		(void)!buf_printf(err,
		                  "%s: req=%ld awaits no reread: it did not end with 122, 16 or 20 "
		                  "on this handle",
		                  j->path, id);
		goto done;
	}
	if (put_time(&text, now) < 0 || buf_printf(&text, " req=%ld reread", id) < 0 ||
	    ldifw_comment(&out, text.s) < 0) {
		(void)!buf_printf(err, "%s: out of memory", j->path);
		goto done;
	}
	if (append(j, &out, err) < 0)
		goto done;
	memmove(j->stale + i, j->stale + i + 1, (j->nstale - i - 1) * sizeof(*j->stale));
	j->nstale--;
	rc = 0;
done:
	buf_free(&text);
	buf_free(&out);
	return rc;
}

void journal_defer(struct journal *j, int on)
{
	j->deferred = on;
}

int journal_sync(struct journal *j, struct buf *err)
{
	if (!j->dirty)
		return 0;
	if (fdatasync(j->fd) < 0) {
		(void)!buf_printf(err, "%s: fdatasync: %s", j->path, strerror(errno));
		return -1;
	}
	j->dirty = 0;
	return 0;
}

void journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd >= 0 && j->dirty)
		(void)fdatasync(j->fd);
	if (j->fd >= 0)
		close(j->fd);
	free(j->open);
	free(j->stale);
	free(j->pass);
	free(j->bind);
	free(j->path);
	free(j);
}

/* ---- reading a journal back -------------------------------------------- */

struct req {
	long id;
	unsigned long line; /* of its req= comment */
	time_t time;        /* of its req= comment; -1 when unreadable */
	int ended;          /* its result came before its record */
	long code;          /* that result's */
};

/* A request that ended with 122 and has not been re-read yet. */
struct stale {
	long id;
	long code;          /* its result: 122, or a value guard's 16 or 20 */
	unsigned long line; /* of its req= comment */
	char *text;         /* its result's, masked */
};

/* A line of the report, kept until the file is read: they come out in
 * the order of the file, not in the order they are found. */
struct problem {
	unsigned long line;
	size_t seq; /* the order found, to keep the sort stable */
	size_t off, len;
};

struct scan;

/* What a reader of the journal learns beyond the problems: undo collects
 * the changes through these, verify needs none. */
struct scan_hooks {
	/* The record of request r; lr is NULL when it is no usable change
	 * record (a problem already counted), else it lives for the call, as
	 * before does: the entry noted before the delete lr, NULL for none or
	 * one that does not parse. */
	void (*record)(struct scan *s, const struct req *r, const LDIFRecord *lr,
	               const struct entry *before);
	/* The result ni of request r, whose record may not have been read. */
	void (*result)(struct scan *s, const struct req *r, const struct note_info *ni);
};

struct scan {
	const char *path;
	const char *who;                /* names the caller in libldap's messages */
	struct buf *report;             /* one line per problem; NULL to count only */
	const struct scan_hooks *hooks; /* NULL for none */
	void *ctx;                      /* the hooks' own */
	struct buf block;               /* the record being read, comments included */
	size_t block_off;               /* where its first non-comment line starts */
	unsigned long block_line;       /* that line's number; 0 while there is none */
	int block_nul;                  /* a line of it held a NUL byte */
	int version_only;               /* the block so far is the opening "version:" */
	int seen_block;                 /* a block with content was read before */
	int no_version;                 /* the file does not open with "version: 1" */
	struct buf note;                /* the comment being read, unfolded */
	unsigned long note_line;        /* 0 when none */
	struct req *reqs;               /* begun, without a result yet, ascending ids */
	size_t nreqs, capreqs;
	long last_id;
	struct req awaiting;    /* begun, record not read yet; id 0 when none */
	struct buf pre;         /* its "# entry: " lines so far, the prefix taken off */
	unsigned long pre_line; /* the first of them; 0 when none */
	int pre_nul;            /* one of them held a NUL byte */
	struct buf pass;        /* its "# pass: " comment, the prefix taken off */
	int has_pass;           /* it has one */
	int note_nul;           /* the comment being read held a NUL byte */
	struct stale *stale;    /* ended with 122, no reread note yet, ascending ids */
	size_t nstale, capstale;
	struct problem *probs; /* the report's lines, texts in ptext */
	size_t nprobs, capprobs;
	struct buf ptext;
	long nrecords, nproblems, nfailed;
	int oom;
};

/* Reports one problem at line and counts it in *count. */
static void say(struct scan *v, long *count, unsigned long line, const char *fmt, ...)
    DM_PRINTF(4, 5);

static void say(struct scan *v, long *count, unsigned long line, const char *fmt, ...)
{
	struct problem *pr;
	va_list ap;
	size_t off = v->ptext.len;
	int rc;

	(*count)++;
	if (v->report == NULL)
		return;
	if (v->nprobs == v->capprobs) {
		size_t cap = v->capprobs ? v->capprobs * 2 : 16;
		struct problem *p = realloc(v->probs, cap * sizeof(*p));

		if (p == NULL) {
			v->oom = 1;
			return;
		}
		v->probs = p;
		v->capprobs = cap;
	}
	va_start(ap, fmt);
	rc = buf_printf(&v->ptext, "%s:%lu: ", v->path, line);
	if (rc == 0)
		rc = buf_vprintf(&v->ptext, fmt, ap);
	if (rc == 0)
		rc = buf_puts(&v->ptext, "\n");
	va_end(ap);
	if (rc < 0) {
		v->oom = 1;
		return;
	}
	pr = &v->probs[v->nprobs];
	pr->line = line;
	pr->seq = v->nprobs;
	pr->off = off;
	pr->len = v->ptext.len - off;
	v->nprobs++;
}

static int problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Appends the problems found to the report, in the order of the file. */
static int flush_problems(struct scan *v)
{
	size_t i, len;

	if (v->report == NULL || v->nprobs == 0)
		return 0;
	len = v->report->len;
	qsort(v->probs, v->nprobs, sizeof(*v->probs), problem_cmp);
	for (i = 0; i < v->nprobs; i++) {
		if (buf_add(v->report, v->ptext.s + v->probs[i].off, v->probs[i].len) < 0) {
			v->report->len = len;
			if (v->report->s != NULL)
				v->report->s[len] = '\0';
			return -1;
		}
	}
	return 0;
}

/* Returns 1 when an unfolded, non-comment line takes its value from a URL
 * ("type:< url"), which libldap's parser would fetch. */
static int has_url_value(const char *s)
{
	int start = 1, comment = 0, colon = 0;

	for (; *s; s++) {
		if (*s == '\n') {
			if (s[1] == ' ') {
				s++;
				continue;
			}
			start = 1;
			continue;
		}
		if (start) {
			comment = *s == '#';
			colon = 0;
			start = 0;
		}
		if (comment || colon == 2)
			continue;
		if (colon == 1) {
			if (*s == '<')
				return 1;
			colon = 2;
		} else if (*s == ':') {
			colon = 1;
		}
	}
	return 0;
}

/* Appends text with what could disturb a terminal masked, as the writer did. */
static int put_masked(struct buf *out, const char *text)
{
	struct buf line = BUF_INIT;
	int rc = -1;

	if (ldifw_comment(&line, text) < 0)
		goto done;
	rc = line.len > 3 ? buf_add(out, line.s + 2, line.len - 3) : 0;
done:
	buf_free(&line);
	return rc;
}

/* Hands the record of request r (id 0: none) to the hooks. */
static void hand_record(struct scan *v, const struct req *r, const LDIFRecord *lr,
                        const struct entry *before)
{
	if (r->id != 0 && v->hooks != NULL && v->hooks->record != NULL)
		v->hooks->record(v, r, lr, before);
}

/* Does a line of the record start with ':' (no attribute name)? libldap's
 * parser dereferences a NULL type on such a line (ldapmodify crashes too),
 * so it never sees one. */
static int has_empty_type(const char *rec)
{
	const char *p = rec;

	for (; *p; p++) {
		if (*p == ':')
			return 1;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
	}
	return 0;
}

/* Fills a new entry from the add record lr into *out; 0, 1 when lr is
 * no add of a DN a string can hold, -1 when out of memory. */
static int record_entry(const LDIFRecord *lr, struct entry **out)
{
	struct entry *e;
	LDAPMod **mods;
	size_t k;

	*out = NULL;
	if (lr->lr_op != LDAP_REQ_ADD || lr->lr_dn.bv_val == NULL ||
	    memchr(lr->lr_dn.bv_val, '\0', lr->lr_dn.bv_len) != NULL)
		return 1;
	e = entry_new(lr->lr_dn.bv_val);
	if (e == NULL)
		return -1;
	for (mods = lr->lrop_mods; mods != NULL && *mods != NULL; mods++)
		for (k = 0; (*mods)->mod_bvalues && (*mods)->mod_bvalues[k]; k++)
			if (entry_add(e, (*mods)->mod_type, (*mods)->mod_bvalues[k]->bv_val,
			              (*mods)->mod_bvalues[k]->bv_len) < 0) {
				entry_free(e);
				return -1;
			}
	*out = e;
	return 0;
}

/* Parses the "# entry: " lines noted for request r into *out; a problem
 * reported and *out NULL when they are no content record. */
static void parse_pre(struct scan *v, const struct req *r, struct entry **out)
{
	struct berval bv;
	LDIFRecord lr;
	int rc = 1;

	*out = NULL;
	if (!v->pre_nul && !has_empty_type(v->pre.s) && !has_url_value(v->pre.s)) {
		bv.bv_val = v->pre.s;
		bv.bv_len = v->pre.len;
		rc =
		    ldap_parse_ldif_record(&bv, v->pre_line, &lr, v->who,
		                           LDIF_DEFAULT_ADD | LDIF_ENTRIES_ONLY | LDIF_NO_CONTROLS);
		if (rc == LDAP_SUCCESS) {
			rc = record_entry(&lr, out);
			ldap_ldif_record_done(&lr);
		} else {
			rc = rc == LDAP_NO_MEMORY ? -1 : 1;
		}
	}
	if (rc < 0)
		v->oom = 1;
	else if (rc > 0)
		say(v, &v->nproblems, v->pre_line,
		    "req=%ld: the entry before the delete does not parse", r->id);
}

/* Keeps *before only when lr deletes the entry it names, reporting why
 * not; a DN with a NUL byte is dropped silently (undo reports the record). */
static void match_pre(struct scan *v, const struct req *r, const LDIFRecord *lr,
                      struct entry **before)
{
	const char *why = NULL;
	char *a = NULL, *b = NULL;
	int keep = 0;

	if (*before == NULL)
		return;
	if (lr->lr_op != LDAP_REQ_DELETE) {
		why = "an entry before the change comes with a record that is no delete";
	} else if (memchr(lr->lr_dn.bv_val, '\0', lr->lr_dn.bv_len) == NULL) {
		a = dn_key(lr->lr_dn.bv_val);
		b = dn_key((*before)->dn);
		if (a == NULL || b == NULL)
			v->oom = 1;
		else if (strcasecmp(a, b) == 0)
			keep = 1;
		else
			why = "the entry before the delete is not the entry it deletes";
	}
	if (why != NULL)
		say(v, &v->nproblems, v->pre_line, "req=%ld: %s", r->id, why);
	if (!keep) {
		entry_free(*before);
		*before = NULL;
	}
	free(a);
	free(b);
}

static void check_record(struct scan *v, unsigned long linenum)
{
	struct req r = v->awaiting;
	struct entry *before = NULL;
	struct berval bv;
	LDIFRecord lr;
	int rc;

	v->nrecords++;
	if (v->awaiting.id == 0)
		say(v, &v->nproblems, v->block_line, "record has no req= comment");
	else if (v->pre_line != 0)
		parse_pre(v, &r, &before);
	v->awaiting.id = 0;
	/* already reported by line; the parser would read a shortened record */
	if (v->block_nul) {
		hand_record(v, &r, NULL, NULL);
		goto done;
	}
	if (has_empty_type(v->block.s)) {
		say(v, &v->nproblems, v->block_line, "record has a line without an attribute name");
		hand_record(v, &r, NULL, NULL);
		goto done;
	}
	if (has_url_value(v->block.s)) {
		say(v, &v->nproblems, v->block_line,
		    "record takes a value from a URL (\":<\"), never journaled");
		hand_record(v, &r, NULL, NULL);
		goto done;
	}
	/* The parser ldapmodify uses; it edits the buffer in place and prints
	 * its reason for a rejected record to stderr itself (that output
	 * bypasses liblber's print hook, so it cannot be captured here). */
	bv.bv_val = v->block.s;
	bv.bv_len = v->block.len;
	rc = ldap_parse_ldif_record(&bv, linenum, &lr, v->who, 0);
	if (rc == LDAP_NO_MEMORY) {
		v->oom = 1;
		goto done;
	}
	if (rc != LDAP_SUCCESS) {
		say(v, &v->nproblems, v->block_line, "not a valid LDIF change record");
		hand_record(v, &r, NULL, NULL);
		goto done;
	}
	if (lr.lr_dn.bv_val == NULL) {
		say(v, &v->nproblems, v->block_line, "record has no dn: line");
		hand_record(v, &r, NULL, NULL);
	} else if (lr.lr_ctrls != NULL) {
		say(v, &v->nproblems, v->block_line,
		    "record carries a control, so it would not replay as written");
		hand_record(v, &r, NULL, NULL);
	} else {
		match_pre(v, &r, &lr, &before);
		hand_record(v, &r, &lr, before);
	}
	ldap_ldif_record_done(&lr);
done:
	buf_reset(&v->pre);
	v->pre_line = 0;
	v->pre_nul = 0;
	buf_reset(&v->pass);
	v->has_pass = 0;
	entry_free(before);
}

/* Is there a non-comment line after the first line at s? */
static int more_content(const char *s)
{
	const char *p = strchr(s, '\n');

	for (; p != NULL && p[1] != '\0'; p = strchr(p + 1, '\n'))
		if (p[1] != '#' && p[1] != ' ')
			return 1;
	return 0;
}

static void end_block(struct scan *v)
{
	const char *first;

	if (v->block_line == 0)
		goto done;
	first = v->block.s + v->block_off;
	if (!v->seen_block) {
		if (strncasecmp(first, "version:", 8) != 0) {
			v->no_version = 1;
			say(v, &v->nproblems, v->block_line,
			    "no \"version: 1\" line opens the file");
		} else {
			const char *val = first + 8 + strspn(first + 8, " ");

			if (strncmp(val, "1\n", 2) != 0) {
				v->no_version = 1;
				say(v, &v->nproblems, v->block_line, "version is not 1");
			}
			/* the parser sees a version only on line 1 */
			if (more_content(first))
				check_record(v, 1);
			goto done;
		}
	}
	check_record(v, v->block_line);
done:
	if (v->block_line != 0)
		v->seen_block = 1;
	buf_reset(&v->block);
	v->block_line = 0;
	v->block_nul = 0;
}

/* The first of the n elements of size bytes at base, sorted by the long
 * id each begins with (struct req, stale and change all do), whose id is
 * not below id; n when there is none. */
static size_t by_id(const void *base, size_t n, size_t size, long id)
{
	const char *p = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		long at;

		memcpy(&at, p + mid * size, sizeof(at));
		if (at < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

_Static_assert(offsetof(struct req, id) == 0, "by_id reads the id first");
_Static_assert(offsetof(struct stale, id) == 0, "by_id reads the id first");

static size_t find_req(const struct scan *v, long id)
{
	size_t i = by_id(v->reqs, v->nreqs, sizeof(*v->reqs), id);

	return i < v->nreqs && v->reqs[i].id == id ? i : v->nreqs;
}

static void begin_note(struct scan *v, const struct note_info *ni)
{
	if (v->block_line != 0 && !v->version_only)
		say(v, &v->nproblems, v->note_line,
		    "req=%ld starts inside the record above it (no blank line)", ni->id);
	if (v->awaiting.id != 0)
		say(v, &v->nproblems, v->awaiting.line, "req=%ld has no record", v->awaiting.id);
	v->awaiting.id = 0;
	buf_reset(&v->pre);
	v->pre_line = 0;
	v->pre_nul = 0;
	buf_reset(&v->pass);
	v->has_pass = 0;
	if (ni->id <= v->last_id) {
		say(v, &v->nproblems, v->note_line, "req=%ld does not follow req=%ld", ni->id,
		    v->last_id);
		return;
	}
	if (v->nreqs == v->capreqs) {
		size_t cap = v->capreqs ? v->capreqs * 2 : 16;
		struct req *p = realloc(v->reqs, cap * sizeof(*p));

		if (p == NULL) {
			v->oom = 1;
			return;
		}
		v->reqs = p;
		v->capreqs = cap;
	}
	v->reqs[v->nreqs].id = ni->id;
	v->reqs[v->nreqs].line = v->note_line;
	v->reqs[v->nreqs].time = ni->time;
	v->reqs[v->nreqs].ended = 0;
	v->reqs[v->nreqs].code = 0;
	v->awaiting = v->reqs[v->nreqs];
	v->nreqs++;
	v->last_id = ni->id;
}

static size_t find_stale(const struct scan *v, long id)
{
	return by_id(v->stale, v->nstale, sizeof(*v->stale), id);
}

/* Keeps the request r, ended with 122 and text, until its reread note;
 * -1 when out of memory. */
static int add_stale(struct scan *v, const struct req *r, long code, const char *text)
{
	size_t i = find_stale(v, r->id);
	struct buf t = BUF_INIT;
	char *text_copy;

	if (v->nstale == v->capstale) {
		size_t cap = v->capstale ? v->capstale * 2 : 16;
		struct stale *p = realloc(v->stale, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		v->stale = p;
		v->capstale = cap;
	}
	if (put_masked(&t, text) < 0) {
		buf_free(&t);
		return -1;
	}
	text_copy = buf_steal(&t);
	if (text_copy == NULL)
		return -1;
	memmove(v->stale + i + 1, v->stale + i, (v->nstale - i) * sizeof(*v->stale));
	v->stale[i].id = r->id;
	v->stale[i].code = code;
	v->stale[i].line = r->line;
	v->stale[i].text = text_copy;
	v->nstale++;
	return 0;
}

/* Reports the failure a result is; 122 waits for the end of the file, as
 * a later reread note makes it none. */
static void report_result(struct scan *v, const struct req *r, const struct note_info *ni)
{
	struct buf text = BUF_INIT;

	if (ni->code == 0)
		return;
	if (stale_result(ni->code)) {
		if (add_stale(v, r, ni->code, ni->text) < 0)
			v->oom = 1;
		return;
	}
	if (put_masked(&text, ni->text) < 0)
		v->oom = 1;
	if (ni->code == JOURNAL_UNKNOWN)
		say(v, &v->nfailed, r->line, "req=%ld outcome unknown%s%s", r->id,
		    text.len ? ": " : "", buf_str(&text));
	else if (ni->code == JOURNAL_UNSENT)
		say(v, &v->nfailed, r->line, "req=%ld was not sent%s%s", r->id,
		    text.len ? ": " : "", buf_str(&text));
	else
		say(v, &v->nfailed, r->line, "req=%ld failed: result=%ld %s%s%s", r->id, ni->code,
		    journal_result_name(ni->code), text.len ? " " : "", buf_str(&text));
	buf_free(&text);
}

static void end_note(struct scan *v, const struct note_info *ni)
{
	size_t i = find_req(v, ni->id);

	if (i == v->nreqs) {
		say(v, &v->nproblems, v->note_line, "result for req=%ld, which awaits none",
		    ni->id);
		return;
	}
	report_result(v, &v->reqs[i], ni);
	if (v->awaiting.id == ni->id) {
		v->awaiting.ended = 1;
		v->awaiting.code = ni->code;
	}
	if (v->hooks != NULL && v->hooks->result != NULL)
		v->hooks->result(v, &v->reqs[i], ni);
	memmove(v->reqs + i, v->reqs + i + 1, (v->nreqs - i - 1) * sizeof(*v->reqs));
	v->nreqs--;
}

static void reread_note(struct scan *v, const struct note_info *ni)
{
	size_t i = find_stale(v, ni->id);

	if (i < v->nstale && v->stale[i].id == ni->id) {
		free(v->stale[i].text);
		memmove(v->stale + i, v->stale + i + 1, (v->nstale - i - 1) * sizeof(*v->stale));
		v->nstale--;
	} else if (find_req(v, ni->id) < v->nreqs) {
		say(v, &v->nproblems, v->note_line, "req=%ld: reread before its result", ni->id);
	} else {
		say(v, &v->nproblems, v->note_line,
		    "req=%ld: reread, but no failed assertion or value guard awaits one", ni->id);
	}
}

/* Notes a line of the entry before the delete awaiting its record, or
 * the pass it belongs to: one that comes after the req= comment and
 * before the record's first line. */
static void note_pre_line(struct scan *v)
{
	const char *line = buf_str(&v->note);
	size_t n = strlen("# " PRE_PREFIX), np = strlen("# " PASS_PREFIX);

	if (v->awaiting.id == 0 || (v->block_line != 0 && !v->version_only))
		return;
	if (strncmp(line, "# " PASS_PREFIX, np) == 0) {
		buf_reset(&v->pass);
		v->has_pass = !v->note_nul;
		if (buf_puts(&v->pass, line + np) < 0)
			v->oom = 1;
		return;
	}
	if (strncmp(line, "# " PRE_PREFIX, n) != 0)
		return;
	if (v->pre_line == 0)
		v->pre_line = v->note_line;
	if (v->note_nul)
		v->pre_nul = 1;
	if (buf_puts(&v->pre, line + n) < 0 || buf_puts(&v->pre, "\n") < 0)
		v->oom = 1;
}

static void handle_note(struct scan *v)
{
	struct note_info ni;

	switch (parse_note(buf_str(&v->note), &ni)) {
	case NOTE_BEGIN:
		begin_note(v, &ni);
		break;
	case NOTE_END:
		end_note(v, &ni);
		break;
	case NOTE_REREAD:
		reread_note(v, &ni);
		break;
	case NOTE_OTHER:
		note_pre_line(v);
		break;
	}
	v->note_line = 0;
	v->note_nul = 0;
}

static void scan_init(struct scan *v, const char *who, const char *path, struct buf *report,
                      const struct scan_hooks *hooks, void *ctx)
{
	memset(v, 0, sizeof(*v));
	v->who = who;
	v->path = path;
	v->report = report;
	v->hooks = hooks;
	v->ctx = ctx;
}

static void scan_free(struct scan *v)
{
	size_t i;

	free(v->reqs);
	for (i = 0; i < v->nstale; i++)
		free(v->stale[i].text);
	free(v->stale);
	free(v->probs);
	buf_free(&v->ptext);
	buf_free(&v->block);
	buf_free(&v->note);
	buf_free(&v->pre);
	buf_free(&v->pass);
}

/* Reads the journal at v->path to its end, counting (and reporting) its
 * problems in v and handing records and results to the hooks; 0, or -1
 * with the one line "path: reason" in err when the file cannot be read or
 * memory runs out. */
static int scan_run(struct scan *v, struct buf *err)
{
	struct reader r = {NULL, NULL, 0, 0, 0, 0, 0};
	size_t i;
	int more = 0, rc = -1;

	r.f = fopen(v->path, "re");
	if (r.f == NULL) {
		(void)!buf_printf(err, "%s: %s\n", v->path, strerror(errno));
		return -1;
	}
	while (!v->oom && (more = reader_next(&r)) > 0) {
		if (r.nul)
			say(v, &v->nproblems, r.no, "holds a NUL byte");
		if (!r.newline)
			say(v, &v->nproblems, r.no,
			    "the last line is incomplete (a write was cut short)");
		if (v->note_line != 0 && r.line[0] == ' ') {
			if (buf_puts(&v->note, r.line + 1) < 0)
				v->oom = 1;
			v->note_nul |= r.nul;
		} else {
			if (v->note_line != 0)
				handle_note(v);
			if (r.len == 0) {
				end_block(v);
				continue;
			}
			if (r.line[0] == '#') {
				v->note_line = r.no;
				v->note_nul = r.nul;
				buf_reset(&v->note);
				if (buf_puts(&v->note, r.line) < 0)
					v->oom = 1;
			} else if (v->block_line == 0) {
				v->block_line = r.no;
				v->block_off = v->block.len;
				v->version_only =
				    !v->seen_block && strncasecmp(r.line, "version:", 8) == 0;
			} else {
				v->version_only = 0;
			}
		}
		if (r.nul)
			v->block_nul = 1;
		if (buf_add(&v->block, r.line, r.len) < 0 || buf_puts(&v->block, "\n") < 0)
			v->oom = 1;
	}
	if (!v->oom && more < 0) {
		(void)!buf_printf(err, "%s: %s\n", v->path, strerror(errno ? errno : EIO));
		goto done;
	}
	if (v->note_line != 0)
		handle_note(v);
	end_block(v);
	if (v->awaiting.id != 0)
		say(v, &v->nproblems, v->awaiting.line, "req=%ld has no record", v->awaiting.id);
	for (i = 0; i < v->nreqs; i++)
		say(v, &v->nfailed, v->reqs[i].line, "req=%ld has no result (outcome unknown)",
		    v->reqs[i].id);
	for (i = 0; i < v->nstale; i++)
		say(v, &v->nfailed, v->stale[i].line,
		    "req=%ld failed: result=%ld %s%s%s (never re-read)", v->stale[i].id,
		    v->stale[i].code, journal_result_name(v->stale[i].code),
		    *v->stale[i].text ? " " : "", v->stale[i].text);
	if (v->oom || flush_problems(v) < 0) {
		(void)!buf_printf(err, "%s: out of memory\n", v->path);
		goto done;
	}
	rc = 0;
done:
	fclose(r.f);
	free(r.line);
	return rc;
}

/* ---- verify ------------------------------------------------------------- */

long journal_verify(const char *path, struct buf *report, long *nfailed)
{
	struct scan v;
	long rc = -1;

	if (nfailed != NULL)
		*nfailed = 0;
	scan_init(&v, "dirmail journal verify", path, report, NULL, NULL);
	if (scan_run(&v, report) < 0)
		goto done;
	if (nfailed != NULL)
		*nfailed = v.nfailed;
	rc = v.nproblems > 0 || v.nfailed > 0 ? -1 : v.nrecords;
done:
	scan_free(&v);
	return rc;
}

/* ---- undo --------------------------------------------------------------- */

enum change_kind { CHANGE_BROKEN, CHANGE_ADD, CHANGE_MODIFY, CHANGE_DELETE, CHANGE_RENAME };

struct change_mod {
	int op; /* LDAP_MOD_ADD, _DELETE, _REPLACE or _INCREMENT */
	char *attr;
	struct entry_val *vals; /* NULL/0 for a whole attribute */
	size_t nvals;
};

/* One journaled change as read back, with what reverts it. */
struct change {
	long id;
	unsigned long line; /* of its req= comment */
	time_t time;        /* of its req= comment; -1 when unreadable */
	int ended;          /* its result was read */
	long code;
	enum change_kind kind;
	char *pass;              /* of its "# pass: " comment; NULL for none */
	char *dn;                /* NULL for CHANGE_BROKEN */
	struct entry *entry;     /* CHANGE_ADD: what it created; CHANGE_DELETE: its
	                          * entry as noted before it, NULL for none */
	struct change_mod *mods; /* CHANGE_MODIFY */
	size_t nmods;
	struct buf undo; /* the reverting record with its comment; empty for none */
};

/* What undo reads: the changes in the order of the file, ascending ids. */
struct changes {
	struct change *c;
	size_t n, cap;
};

/* An entry a successful add in the file created, as later changes left it. */
struct known {
	char *key; /* dn_key of its DN */
	struct entry *e;
};

struct undo {
	const char *path;
	struct journal_select sel;
	char *sel_key; /* dn_key of sel.dn; NULL for none */
	struct buf *report;
	struct known *k;
	size_t nk, capk;
	long nproblems;
};

static void change_clear(struct change *c)
{
	size_t i, k;

	for (i = 0; i < c->nmods; i++) {
		for (k = 0; k < c->mods[i].nvals; k++)
			free(c->mods[i].vals[k].val);
		free(c->mods[i].vals);
		free(c->mods[i].attr);
	}
	free(c->mods);
	free(c->dn);
	free(c->pass);
	entry_free(c->entry);
	buf_free(&c->undo);
}

/* Copies the NULL-terminated values bv into m; -1 when out of memory. */
static int copy_vals(struct change_mod *m, struct berval **bv)
{
	size_t n = 0, i;

	while (bv != NULL && bv[n] != NULL)
		n++;
	if (n == 0)
		return 0;
	m->vals = calloc(n, sizeof(*m->vals));
	if (m->vals == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		char *v = malloc(bv[i]->bv_len + 1);

		if (v == NULL)
			return -1;
		if (bv[i]->bv_len > 0)
			memcpy(v, bv[i]->bv_val, bv[i]->bv_len);
		v[bv[i]->bv_len] = '\0';
		m->vals[i].val = v;
		m->vals[i].len = bv[i]->bv_len;
		m->nvals++;
	}
	return 0;
}

/* Fills c from the parsed record lr and the entry before it was deleted
 * (may be NULL), which die with the call; a DN that decodes to a NUL byte
 * leaves c broken, as no string can hold it. -1 when out of memory. */
static int copy_record(struct change *c, const LDIFRecord *lr, const struct entry *before)
{
	size_t n, i;

	if (memchr(lr->lr_dn.bv_val, '\0', lr->lr_dn.bv_len) != NULL)
		return 0;
	c->dn = strdup(lr->lr_dn.bv_val);
	if (c->dn == NULL)
		return -1;
	switch (lr->lr_op) {
	case LDAP_REQ_ADD:
		if (record_entry(lr, &c->entry) < 0)
			return -1;
		c->kind = CHANGE_ADD;
		return 0;
	case LDAP_REQ_MODIFY:
		for (n = 0; lr->lrop_mods != NULL && lr->lrop_mods[n] != NULL; n++)
			;
		c->mods = calloc(n ? n : 1, sizeof(*c->mods));
		if (c->mods == NULL)
			return -1;
		for (i = 0; i < n; i++) {
			const LDAPMod *m = lr->lrop_mods[i];

			c->mods[i].op = m->mod_op & LDAP_MOD_OP;
			c->mods[i].attr = strdup(m->mod_type);
			c->nmods++;
			if (c->mods[i].attr == NULL || copy_vals(&c->mods[i], m->mod_bvalues) < 0)
				return -1;
		}
		c->kind = CHANGE_MODIFY;
		return 0;
	case LDAP_REQ_DELETE:
		if (before != NULL && (c->entry = entry_dup(before)) == NULL)
			return -1;
		c->kind = CHANGE_DELETE;
		return 0;
	case LDAP_REQ_MODDN:
		c->kind = CHANGE_RENAME;
		return 0;
	default:
		return 0;
	}
}

static void undo_record(struct scan *s, const struct req *r, const LDIFRecord *lr,
                        const struct entry *before)
{
	struct changes *cs = s->ctx;
	struct change *c;

	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct change *p = realloc(cs->c, cap * sizeof(*p));

		if (p == NULL) {
			s->oom = 1;
			return;
		}
		cs->c = p;
		cs->cap = cap;
	}
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->id = r->id;
	c->line = r->line;
	c->time = r->time;
	c->ended = r->ended;
	c->code = r->code;
	c->kind = CHANGE_BROKEN;
	if (s->has_pass && (c->pass = strdup(buf_str(&s->pass))) == NULL)
		s->oom = 1;
	if (lr != NULL && copy_record(c, lr, before) < 0)
		s->oom = 1;
}

_Static_assert(offsetof(struct change, id) == 0, "by_id reads the id first");

static void undo_result(struct scan *s, const struct req *r, const struct note_info *ni)
{
	struct changes *cs = s->ctx;
	size_t lo = by_id(cs->c, cs->n, sizeof(*cs->c), r->id);

	if (lo < cs->n && cs->c[lo].id == r->id) {
		cs->c[lo].ended = 1;
		cs->c[lo].code = ni->code;
	}
}

static struct known *known_find(struct undo *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->nk; i++)
		if (strcasecmp(u->k[i].key, key) == 0)
			return &u->k[i];
	return NULL;
}

static void known_drop(struct undo *u, struct known *k)
{
	free(k->key);
	entry_free(k->e);
	*k = u->k[--u->nk];
}

/* Records e as the content of the entry at key, taking both; -1 when out of
 * memory (they are freed). */
static int known_put(struct undo *u, char *key, struct entry *e)
{
	struct known *k = known_find(u, key);

	if (k != NULL)
		known_drop(u, k);
	if (u->nk == u->capk) {
		size_t cap = u->capk ? u->capk * 2 : 16;
		struct known *p = realloc(u->k, cap * sizeof(*p));

		if (p == NULL) {
			free(key);
			entry_free(e);
			return -1;
		}
		u->k = p;
		u->capk = cap;
	}
	u->k[u->nk].key = key;
	u->k[u->nk].e = e;
	u->nk++;
	return 0;
}

/* Finds a value of a equal to v byte for byte, else equal but for ASCII
 * case (what a caseIgnore attribute's server matched); a->nvals for none. */
static size_t find_val(const struct entry_attr *a, const struct entry_val *v)
{
	size_t k, i;

	for (k = 0; k < a->nvals; k++)
		if (a->vals[k].len == v->len && memcmp(a->vals[k].val, v->val, v->len) == 0)
			return k;
	for (k = 0; k < a->nvals; k++) {
		if (a->vals[k].len != v->len)
			continue;
		for (i = 0; i < v->len; i++)
			if (tolower((unsigned char)a->vals[k].val[i]) !=
			    tolower((unsigned char)v->val[i]))
				break;
		if (i == v->len)
			return k;
	}
	return a->nvals;
}

/* Removes the value v of attribute name from e, and the attribute with its
 * last value; a missing value is fine. */
static void drop_value(struct entry *e, const char *name, const struct entry_val *v)
{
	struct entry_attr *a = NULL;
	size_t i, k;

	for (i = 0; i < e->nattrs && a == NULL; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			a = &e->attrs[i];
	if (a == NULL || (k = find_val(a, v)) == a->nvals)
		return;
	entry_del_val(e, a->name, k);
}

/* Applies the successful modify c to e; 0, 1 when the outcome cannot be
 * known here (an increment), -1 when out of memory. */
static int apply_mods(struct entry *e, const struct change *c)
{
	size_t i, k;

	for (i = 0; i < c->nmods; i++) {
		const struct change_mod *m = &c->mods[i];

		switch (m->op) {
		case LDAP_MOD_DELETE:
			if (m->nvals == 0)
				entry_del(e, m->attr);
			for (k = 0; k < m->nvals; k++)
				drop_value(e, m->attr, &m->vals[k]);
			break;
		case LDAP_MOD_REPLACE:
			entry_del(e, m->attr);
			/* fall through */
		case LDAP_MOD_ADD:
			for (k = 0; k < m->nvals; k++)
				if (entry_add(e, m->attr, m->vals[k].val, m->vals[k].len) < 0)
					return -1;
			break;
		default:
			return 1;
		}
	}
	return 0;
}

/* Reports that c cannot be reverted: why, then the masked attr when given. */
static int cannot(struct undo *u, const struct change *c, const char *why, const char *attr)
{
	u->nproblems++;
	if (buf_printf(u->report, "%s:%lu: req=%ld: cannot be reverted: %s", u->path, c->line,
	               c->id, why) < 0 ||
	    (attr != NULL && (buf_puts(u->report, " ") < 0 || put_masked(u->report, attr) < 0)) ||
	    buf_puts(u->report, "\n") < 0)
		return -1;
	return 0;
}

/* Did c end without saying whether it was applied? */
static int outcome_unknown(const struct change *c)
{
	return !c->ended || c->code == JOURNAL_UNKNOWN;
}

/* Starts c->undo with the comment naming the request it reverts (and its
 * pass, when known), and the one that says it may never have been applied. */
static int undo_comment(const struct change *c, struct buf *out)
{
	struct buf text = BUF_INIT;
	int rc = -1;

	if (buf_printf(&text, "undo of req=%ld (", c->id) < 0 ||
	    (c->time == -1 ? buf_puts(&text, "-") : put_time(&text, c->time)) < 0 ||
	    (c->pass != NULL && buf_printf(&text, ", pass %s", c->pass) < 0) ||
	    buf_puts(&text, ")") < 0 || ldifw_comment(out, buf_str(&text)) < 0)
		goto done;
	buf_reset(&text);
	if (outcome_unknown(c) &&
	    (buf_printf(&text,
	                "outcome unknown: req=%ld may not have been applied; if it was not, "
	                "ldapmodify -c reports this record failing, harmlessly",
	                c->id) < 0 ||
	     ldifw_comment(out, buf_str(&text)) < 0))
		goto done;
	rc = 0;
done:
	buf_free(&text);
	return rc;
}

/* Finishes c->undo after ldifw's call returned rc: a record ldifw refuses
 * (a name it will not write) is reported instead. */
static int written(struct undo *u, struct change *c, int rc)
{
	if (rc == 0)
		return 0;
	buf_reset(&c->undo);
	return cannot(u, c, "ldifw cannot write the record that reverts it", NULL);
}

/* The modify that reverts c, each add turned into a delete of the same
 * values and the other way round, the mods in reverse order. */
static int undo_modify(struct undo *u, struct change *c)
{
	struct entry_mod *inv = NULL;
	size_t i, n = 0;
	int rc = -1;

	for (i = 0; i < c->nmods; i++) {
		const struct change_mod *m = &c->mods[i];

		if (m->op == LDAP_MOD_REPLACE)
			return cannot(u, c, "it replaces", m->attr);
		if (m->op == LDAP_MOD_INCREMENT)
			return cannot(u, c, "it increments", m->attr);
		if (m->op == LDAP_MOD_DELETE && m->nvals == 0)
			return cannot(u, c, "it deletes every value of", m->attr);
		if (m->op != LDAP_MOD_ADD && m->op != LDAP_MOD_DELETE)
			return cannot(u, c, "not a valid LDIF change record", NULL);
		/* ldifw would leave it out and revert the rest alone */
		if (ldifw_is_secret(m->attr))
			return cannot(u, c, "it changes the secret attribute", m->attr);
	}
	if (c->nmods == 0)
		return 0;
	inv = calloc(c->nmods, sizeof(*inv));
	if (inv == NULL)
		return -1;
	for (i = c->nmods; i-- > 0;) {
		const struct change_mod *m = &c->mods[i];

		inv[n].op = m->op == LDAP_MOD_ADD ? ENTRY_MOD_DELETE : ENTRY_MOD_ADD;
		inv[n].attr = m->attr;
		inv[n].vals = m->vals;
		inv[n].nvals = m->nvals;
		n++;
	}
	if (undo_comment(c, &c->undo) < 0)
		goto done;
	rc = written(u, c, ldifw_modify(&c->undo, c->dn, inv, n));
done:
	free(inv);
	return rc;
}

/* The delete that reverts the add c. */
static int undo_add(struct undo *u, struct change *c)
{
	if (undo_comment(c, &c->undo) < 0)
		return -1;
	return written(u, c, ldifw_delete(&c->undo, c->dn));
}

/* The add that reverts the delete c of the entry known as e. */
static int undo_delete(struct undo *u, struct change *c, const struct entry *e)
{
	if (undo_comment(c, &c->undo) < 0)
		return -1;
	return written(u, c, ldifw_add(&c->undo, e));
}

/* Whether c is one of the changes u selects by pass and DN (the time is
 * revert's): 1, 0, -1 when out of memory. */
static int selected_by(const struct undo *u, const struct change *c)
{
	char *key;
	int same;

	if (u->sel.pass != NULL && (c->pass == NULL || strcmp(c->pass, u->sel.pass) != 0))
		return 0;
	if (u->sel_key == NULL)
		return 1;
	if (c->dn == NULL)
		return 0;
	key = dn_key(c->dn);
	if (key == NULL)
		return -1;
	same = strcasecmp(key, u->sel_key) == 0;
	free(key);
	return same;
}

/* Whether c is one of the changes u selects, the time included: 1, 0, -1
 * when out of memory. A change whose time cannot be read is not selected
 * by a time. */
static int selected(const struct undo *u, const struct change *c)
{
	int by = selected_by(u, c);

	if (by <= 0 || u->sel.since == 0)
		return by;
	return c->time != -1 && c->time >= u->sel.since;
}

/* Works out the record that reverts c, a change that succeeded or whose
 * outcome is unknown, into c->undo when the selection takes it (or
 * reports why there is none), then carries c into what is known of the
 * entries the file created; 0, or -1 when out of memory. */
static int revert(struct undo *u, struct change *c)
{
	struct known *k;
	char *key = NULL;
	int rc = -1, wanted = selected(u, c);

	if (wanted < 0)
		return -1;
	if (u->sel.since != 0 && c->time == -1 && selected_by(u, c) > 0) {
		if (cannot(u, c, "the time of its req= comment is not readable", NULL) < 0)
			return -1;
		wanted = 0;
	}
	if (c->kind == CHANGE_BROKEN)
		return wanted ? cannot(u, c, "not a valid LDIF change record", NULL) : 0;
	key = dn_key(c->dn);
	if (key == NULL)
		return -1;
	k = known_find(u, key);
	switch (c->kind) {
	case CHANGE_ADD:
		if (wanted && undo_add(u, c) < 0)
			goto done;
		rc = known_put(u, key, c->entry);
		key = NULL;
		c->entry = NULL;
		goto done;
	case CHANGE_MODIFY:
		if (wanted && undo_modify(u, c) < 0)
			goto done;
		if (k != NULL) {
			int applied = apply_mods(k->e, c);

			if (applied < 0)
				goto done;
			if (applied > 0)
				known_drop(u, k);
		}
		break;
	case CHANGE_DELETE:
		/* what was read just before the delete beats what the file built */
		if (wanted && c->entry == NULL && k == NULL &&
		    cannot(u, c, "the content of the deleted entry is not in the file", NULL) < 0)
			goto done;
		if (wanted && (c->entry != NULL || k != NULL) &&
		    undo_delete(u, c, c->entry != NULL ? c->entry : k->e) < 0)
			goto done;
		if (k != NULL)
			known_drop(u, k);
		break;
	case CHANGE_RENAME:
		if (wanted && cannot(u, c, "it is a modrdn", NULL) < 0)
			goto done;
		if (k != NULL)
			known_drop(u, k);
		break;
	case CHANGE_BROKEN:
		break;
	}
	rc = 0;
done:
	free(key);
	return rc;
}

long journal_undo(const char *path, time_t since, struct buf *out, struct buf *report,
                  long *nproblems)
{
	struct journal_select sel = {since, NULL, NULL};

	return journal_undo_select(path, &sel, out, report, nproblems, NULL);
}

long journal_undo_select(const char *path, const struct journal_select *sel, struct buf *out,
                         struct buf *report, long *nproblems, long *nselected)
{
	static const struct scan_hooks hooks = {undo_record, undo_result};
	struct changes cs = {NULL, 0, 0};
	struct undo u;
	struct scan v;
	struct buf res = BUF_INIT;
	size_t i, report_len = report->len;
	long n = 0, nsel = 0, rc = -1;
	int oom = 0;

	if (nproblems != NULL)
		*nproblems = 0;
	if (nselected != NULL)
		*nselected = 0;
	memset(&u, 0, sizeof(u));
	u.path = path;
	u.sel = *sel;
	u.report = report;
	if (sel->dn != NULL && (u.sel_key = dn_key(sel->dn)) == NULL) {
		(void)!buf_printf(report, "%s: out of memory\n", path);
		return -1;
	}
	/* verify's problems are not undo's: they are only counted */
	scan_init(&v, "dirmail journal undo", path, NULL, &hooks, &cs);
	if (scan_run(&v, report) < 0)
		goto done;
	if (v.no_version) {
		(void)!buf_printf(
		    report, "%s: not a journal: it does not open with \"version: 1\"\n", path);
		goto done;
	}
	oom = 1;
	/* in the order of the file, as the state of a deleted entry builds up */
	for (i = 0; i < cs.n; i++) {
		struct change *c = &cs.c[i];
		int one = selected(&u, c);

		if (one < 0)
			goto done;
		nsel += one;
		if (!outcome_unknown(c) && c->code != 0)
			continue;
		if (revert(&u, c) < 0)
			goto done;
		if (!outcome_unknown(c) || c->undo.len == 0)
			continue;
		u.nproblems++;
		if (buf_printf(report,
		               "%s:%lu: req=%ld: outcome unknown; its inverse is included\n", path,
		               c->line, c->id) < 0)
			goto done;
	}
	if (ldifw_version(&res) < 0)
		goto done;
	for (i = cs.n; i-- > 0;) {
		if (cs.c[i].undo.len == 0)
			continue;
		if (buf_add(&res, cs.c[i].undo.s, cs.c[i].undo.len) < 0)
			goto done;
		n++;
	}
	if (buf_add(out, res.s, res.len) < 0)
		goto done;
	oom = 0;
	if (nproblems != NULL)
		*nproblems = u.nproblems;
	if (nselected != NULL)
		*nselected = nsel;
	rc = n;
done:
	if (oom) {
		/* the lines so far would mislead: the one line says it all */
		report->len = report_len;
		if (report->s != NULL)
			report->s[report_len] = '\0';
		(void)!buf_printf(report, "%s: out of memory\n", path);
	}
	for (i = 0; i < cs.n; i++)
		change_clear(&cs.c[i]);
	free(cs.c);
	for (i = 0; i < u.nk; i++) {
		free(u.k[i].key);
		entry_free(u.k[i].e);
	}
	free(u.k);
	free(u.sel_key);
	scan_free(&v);
	buf_free(&res);
	return rc;
}
