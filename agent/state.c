/* state.c - what a pass remembers between runs, in the state directory.
 * Small text files, "COUNT DN" per account entry, the daemon's sync
 * cookie and its status, each replaced atomically so a crash leaves the
 * old content or the new, never half a file; the daemon's pid file lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export.h"
#include "state.h"

#define HEADER "# dirmail: recipients read by the last complete pass, per account entry\n"

/* Appends DIR/name to b; -1 when out of memory. */
static int path_in(struct buf *b, const char *dir, const char *name)
{
	return buf_printf(b, "%s/%s", dir, name);
}

int state_dir_make(const char *dir, struct buf *err)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		(void)!buf_printf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads the file at path into *text (NULL when it does not exist); 0, or
 * -1 with the reason in err. */
static int slurp(const char *path, char **text, struct buf *err)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;
	int rc = -1;

	*text = NULL;
	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		(void)!buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(&b, chunk, n) < 0) {
			(void)!buf_printf(err, "%s: out of memory", path);
			goto done;
		}
	if (ferror(f)) {
		(void)!buf_printf(err, "%s: read error", path);
		goto done;
	}
	if (buf_puts(&b, "") < 0) {
		(void)!buf_printf(err, "%s: out of memory", path);
		goto done;
	}
	*text = buf_steal(&b);
	rc = 0;
done:
	fclose(f);
	buf_free(&b);
	return rc;
}

/* Splits the line "COUNT DN" at s (len bytes); 0, or -1 when it is not one. */
static int parse_line(const char *s, size_t len, long *count, const char **dn, size_t *dnlen)
{
	char *end;
	long v;

	if (len == 0 || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end >= s + len || *end != ' ' || end + 1 == s + len)
		return -1;
	*count = v;
	*dn = end + 1;
	*dnlen = (size_t)(s + len - (end + 1));
	return 0;
}

/* Calls fn for every "COUNT DN" line of text; comments and blank lines are
 * skipped. -1 with "path:LINE: ..." in err at the first bad line. */
static int each_line(const char *path, const char *text,
                     int (*fn)(long count, const char *dn, size_t dnlen, void *arg), void *arg,
                     struct buf *err)
{
	const char *p = text, *nl;
	unsigned long no = 0;

	for (; *p; p = nl + 1) {
		size_t len;
		const char *dn;
		size_t dnlen;
		long count;

		no++;
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		len = (size_t)(nl - p);
		if (len > 0 && p[0] != '#') {
			if (parse_line(p, len, &count, &dn, &dnlen) < 0) {
				(void)!buf_printf(err, "%s:%lu: not \"COUNT DN\"", path, no);
				return -1;
			}
			if (fn(count, dn, dnlen, arg) != 0)
				return 0;
		}
		if (*nl == '\0')
			break;
	}
	return 0;
}

struct find {
	const char *dn;
	long count;
	int found;
};

static int match(long count, const char *dn, size_t dnlen, void *arg)
{
	struct find *f = arg;

	if (strlen(f->dn) != dnlen || strncasecmp(f->dn, dn, dnlen) != 0)
		return 0;
	f->count = count;
	f->found = 1;
	return 1;
}

int state_seen_load(const char *dir, const char *acct_dn, long *count, struct buf *err)
{
	struct buf path = BUF_INIT;
	struct find f = {acct_dn, 0, 0};
	char *text = NULL;
	int rc = -1;

	if (path_in(&path, dir, STATE_SEEN_FILE) < 0) {
		(void)!buf_puts(err, "out of memory");
		goto done;
	}
	if (slurp(buf_str(&path), &text, err) < 0)
		goto done;
	if (text != NULL && each_line(buf_str(&path), text, match, &f, err) < 0)
		goto done;
	if (f.found)
		*count = f.count;
	rc = f.found;
done:
	free(text);
	buf_free(&path);
	return rc;
}

struct keep {
	const char *dn; /* the line to leave out */
	struct buf *out;
	int oom;
};

static int copy_other(long count, const char *dn, size_t dnlen, void *arg)
{
	struct keep *k = arg;

	if (strlen(k->dn) == dnlen && strncasecmp(k->dn, dn, dnlen) == 0)
		return 0;
	if (buf_printf(k->out, "%ld %.*s\n", count, (int)dnlen, dn) < 0)
		k->oom = 1;
	return 0;
}

int state_seen_save(const char *dir, const char *acct_dn, long count, struct buf *err)
{
	struct buf path = BUF_INIT, out = BUF_INIT;
	struct keep k = {acct_dn, &out, 0};
	char *text = NULL;
	int rc = -1;

	if (strpbrk(acct_dn, "\r\n") != NULL) {
		(void)!buf_printf(err, "%s: the account DN holds a line break", dir);
		goto done;
	}
	if (state_dir_make(dir, err) < 0)
		goto done;
	if (path_in(&path, dir, STATE_SEEN_FILE) < 0 || buf_puts(&out, HEADER) < 0) {
		(void)!buf_puts(err, "out of memory");
		goto done;
	}
	if (slurp(buf_str(&path), &text, err) < 0)
		goto done;
	if (text != NULL && each_line(buf_str(&path), text, copy_other, &k, err) < 0)
		goto done;
	if (k.oom || buf_printf(&out, "%ld %s\n", count, acct_dn) < 0) {
		(void)!buf_printf(err, "%s: out of memory", buf_str(&path));
		goto done;
	}
	rc = export_write_file(buf_str(&path), buf_str(&out), out.len, err);
done:
	free(text);
	buf_free(&path);
	buf_free(&out);
	return rc;
}

/* ---- the sync cookie ------------------------------------------------------ */

#define COOKIE_HEADER "# dirmail: the sync cookie of the last changes applied and journaled\n"

static int unhex(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* The value of the line "name VALUE" in text, its length in *len; NULL
 * when there is none. */
static const char *field(const char *text, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *p = text, *nl;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			*len = (size_t)(nl - (p + n + 1));
			return p + n + 1;
		}
		if (*nl == '\0')
			break;
	}
	return NULL;
}

int state_cookie_load(const char *dir, const char *base, struct buf *cookie, struct buf *err)
{
	struct buf path = BUF_INIT;
	const char *b, *h;
	size_t blen, hlen, i;
	char *text = NULL;
	int rc = -1;

	buf_reset(cookie);
	if (path_in(&path, dir, STATE_COOKIE_FILE) < 0) {
		(void)!buf_puts(err, "out of memory");
		goto done;
	}
	if (slurp(buf_str(&path), &text, err) < 0)
		goto done;
	rc = 0;
	if (text == NULL)
		goto done;
	b = field(text, "base", &blen);
	h = field(text, "cookie", &hlen);
	if (b == NULL || h == NULL || hlen % 2 != 0) {
		(void)!buf_printf(err,
		                  "%s: not a cookie file (\"base DN\" and \"cookie HEX\" lines)",
		                  buf_str(&path));
		rc = -1;
		goto done;
	}
	if (strlen(base) != blen || strncasecmp(base, b, blen) != 0)
		goto done; /* another base's: not ours to resume from */
	for (i = 0; i < hlen; i += 2) {
		int hi = unhex(h[i]), lo = unhex(h[i + 1]);
		unsigned char ch;

		if (hi < 0 || lo < 0) {
			(void)!buf_printf(err, "%s: the cookie is not lowercase hex",
			                  buf_str(&path));
			rc = -1;
			goto done;
		}
		ch = (unsigned char)(hi << 4 | lo);
		if (buf_add(cookie, &ch, 1) < 0) {
			(void)!buf_puts(err, "out of memory");
			rc = -1;
			goto done;
		}
	}
	rc = 1;
done:
	if (rc != 1)
		buf_reset(cookie);
	free(text);
	buf_free(&path);
	return rc;
}

int state_cookie_save(const char *dir, const char *base, const void *cookie, size_t len,
                      struct buf *err)
{
	struct buf path = BUF_INIT, out = BUF_INIT;
	const unsigned char *c = cookie;
	size_t i;
	int rc = -1;

	if (strpbrk(base, "\r\n") != NULL) {
		(void)!buf_printf(err, "%s: the base holds a line break", dir);
		goto done;
	}
	if (state_dir_make(dir, err) < 0)
		goto done;
	if (path_in(&path, dir, STATE_COOKIE_FILE) < 0 ||
	    buf_printf(&out, "%sbase %s\ncookie ", COOKIE_HEADER, base) < 0)
		goto oom;
	for (i = 0; i < len; i++)
		if (buf_printf(&out, "%02x", c[i]) < 0)
			goto oom;
	if (buf_puts(&out, "\n") < 0)
		goto oom;
	rc = export_write_file(buf_str(&path), buf_str(&out), out.len, err);
	goto done;
oom:
	(void)!buf_puts(err, "out of memory");
done:
	buf_free(&path);
	buf_free(&out);
	return rc;
}

int state_cookie_forget(const char *dir, struct buf *err)
{
	struct buf path = BUF_INIT;
	int rc = 0;

	if (path_in(&path, dir, STATE_COOKIE_FILE) < 0) {
		(void)!buf_puts(err, "out of memory");
		return -1;
	}
	if (unlink(buf_str(&path)) < 0 && errno != ENOENT) {
		(void)!buf_printf(err, "%s: %s", buf_str(&path), strerror(errno));
		rc = -1;
	}
	buf_free(&path);
	return rc;
}

/* ---- the daemon's pid and status -------------------------------------------- */

int state_daemon_running(const char *dir, long *pid, struct buf *err)
{
	struct buf path = BUF_INIT;
	char line[32];
	ssize_t n;
	int fd = -1, rc = -1;

	*pid = 0;
	if (path_in(&path, dir, STATE_PID_FILE) < 0) {
		(void)!buf_puts(err, "out of memory");
		goto done;
	}
	fd = open(buf_str(&path), O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		rc = 0; /* removed by a clean stop, or never made */
		goto done;
	}
	if (fd < 0) {
		(void)!buf_printf(err, "%s: %s", buf_str(&path), strerror(errno));
		goto done;
	}
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		rc = 0; /* left by a daemon that did not stop cleanly */
		goto done;
	}
	if (errno != EWOULDBLOCK) {
		(void)!buf_printf(err, "%s: %s", buf_str(&path), strerror(errno));
		goto done;
	}
	n = read(fd, line, sizeof(line) - 1);
	line[n > 0 ? n : 0] = '\0';
	*pid = strtol(line, NULL, 10);
	if (*pid < 0)
		*pid = 0;
	rc = 1;
done:
	if (fd >= 0)
		close(fd);
	buf_free(&path);
	return rc;
}

int state_status_save(const char *dir, const char *text, size_t len, struct buf *err)
{
	struct buf path = BUF_INIT;
	int rc = -1;

	if (path_in(&path, dir, STATE_STATUS_FILE) < 0)
		(void)!buf_puts(err, "out of memory");
	else
		rc = export_write_file(buf_str(&path), text, len, err);
	buf_free(&path);
	return rc;
}

int state_status_load(const char *dir, char **text, struct buf *err)
{
	struct buf path = BUF_INIT;
	int rc = -1;

	*text = NULL;
	if (path_in(&path, dir, STATE_STATUS_FILE) < 0)
		(void)!buf_puts(err, "out of memory");
	else
		rc = slurp(buf_str(&path), text, err);
	buf_free(&path);
	return rc;
}
