/* export.c - the auditors' snapshot of every recipient's mail state.
 * Reads what a pass reads, keeps the mail-relevant attributes, sorts
 * everything and writes LDIF content records through ldifw. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "export.h"
#include "ldifw.h"
#include "log.h"
#include "policy.h"

int export_wants(const char *attr)
{
	const char *const *names = policy_export_attrs();
	const char *const *own = policy_owned_attrs();
	size_t i;

	if (ldifw_is_secret(attr))
		return 0;
	if (strncasecmp(attr, "dirmail", 7) == 0)
		return 1;
	for (i = 0; names[i]; i++)
		if (strcasecmp(attr, names[i]) == 0)
			return 1;
	for (i = 0; own[i]; i++)
		if (strcasecmp(attr, own[i]) == 0)
			return 1;
	return 0;
}

static int val_cmp(const void *pa, const void *pb)
{
	const struct entry_val *a = pa, *b = pb;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->val, b->val, n);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int attr_cmp(const void *pa, const void *pb)
{
	const struct entry_attr *a = pa, *b = pb;
	int c = strcasecmp(a->name, b->name);

	return c ? c : strcmp(a->name, b->name);
}

void export_sort_entry(struct entry *e)
{
	size_t i;

	for (i = 0; i < e->nattrs; i++)
		qsort(e->attrs[i].vals, e->attrs[i].nvals, sizeof(*e->attrs[i].vals), val_cmp);
	entry_sort_attrs(e, attr_cmp);
}

static int export_drops(const char *attr)
{
	return !export_wants(attr);
}

/* Keeps a sorted copy of what an export shows of e. */
static int keep(const struct entry *e, void *arg)
{
	struct entry *c = entry_dup_without(e, export_drops);

	if (c == NULL)
		return -1;
	export_sort_entry(c);
	return entry_list_push(arg, c);
}

static int dn_cmp(const void *pa, const void *pb)
{
	const struct entry *a = *(struct entry *const *)pa, *b = *(struct entry *const *)pb;
	int c = strcasecmp(a->dn, b->dn);

	return c ? c : strcmp(a->dn, b->dn);
}

int export_run(struct ldapc *l, const char *base, int page_size, struct buf *out)
{
	static const char *const attrs[] = {"*", "entryUUID", "objectGUID", NULL};
	struct entry_list s = {NULL, 0, 0};
	struct buf err = BUF_INIT;
	enum ldapc_rc lrc;
	size_t i;
	int rc = EX_OK;

	lrc = ldapc_search(l, base, LDAPC_SUB,
	                   "(|(objectClass=dirmailAccount)(objectClass=dirmailUser)"
	                   "(objectClass=dirmailList)(proxyAddresses=*)(mail=*))",
	                   attrs, page_size, keep, &s, &err);
	if (lrc != LDAPC_OK) {
		log_error("reading the recipients under \"%s\": %s; no snapshot written", base,
		          buf_str(&err));
		rc = lrc == LDAPC_RETRY   ? EX_UNAVAILABLE
		     : lrc == LDAPC_FATAL ? EX_CONFIG
		                          : EX_DATAERR;
		goto done;
	}
	qsort(s.v, s.n, sizeof(*s.v), dn_cmp);
	if (ldifw_version(out) < 0) {
		log_error("out of memory; no snapshot written");
		rc = EX_OSERR;
		goto done;
	}
	for (i = 0; i < s.n; i++)
		if (ldifw_entry(out, s.v[i]) < 0) {
			log_error("%s: cannot be written as LDIF", s.v[i]->dn);
			rc = EX_DATAERR;
			goto done;
		}
done:
	entry_list_free(&s);
	buf_free(&err);
	return rc;
}

int export_write_file(const char *path, const char *data, size_t len, struct buf *err)
{
	return export_write_file_mode(path, data, len, 0600, err);
}

int export_write_file_mode(const char *path, const char *data, size_t len, mode_t mode,
                           struct buf *err)
{
	struct buf tmp = BUF_INIT;
	size_t done = 0;
	int fd = -1, rc = -1;

	if (buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0) {
		(void)!buf_printf(err, "%s: out of memory", path);
		goto done;
	}
	fd = open(buf_str(&tmp), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	/* The mode as asked, whatever the umask (systemd's UMask=0077). */
	if (fd < 0 || (mode != 0600 && fchmod(fd, mode) < 0)) {
		(void)!buf_printf(err, "%s: %s", buf_str(&tmp), strerror(errno));
		goto done;
	}
	while (done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			(void)!buf_printf(err, "%s: %s", buf_str(&tmp), strerror(errno));
			goto done;
		}
		done += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		(void)!buf_printf(err, "%s: %s", buf_str(&tmp), strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(buf_str(&tmp), path) < 0) {
		(void)!buf_printf(err, "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp.len)
		(void)unlink(buf_str(&tmp));
	buf_free(&tmp);
	return rc;
}
