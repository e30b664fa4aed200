/* sync-dump.c - prints what an RFC 4533 sync search delivers, for tests.
 * One line per event of ldapc_sync on a private slapd, the last cookie kept
 * in a file, and optionally a consumer's uuid-to-DN state kept in another. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "entry.h"
#include "ldapc.h"
#include "ldapc_sync.h"
#include "log.h"

static const char usage[] =
    "usage: sync-dump -H URI -b BASE [-f FILTER] [-p] [-B] [-q] [-c COOKIE | -C FILE]\n"
    "                 [-s FILE] [-S FILE] [-t SECONDS] [-D SECONDS] [-x N] [ATTR...]\n"
    "  -p  refreshAndPersist (default refreshOnly)    -B  block in ldapc_sync_poll\n"
    "  -q  stop once the refresh is done              -c/-C  start from a cookie\n"
    "  -s  keep the last cookie in FILE               -S  keep a uuid/DN state in FILE\n"
    "  -t  operation timeout                          -D  sleep between connect and start\n"
    "  -x  the entry callback fails at the Nth entry\n"
    "Binds with SASL EXTERNAL. Prints one line per event, then \"end ...\" and exits\n"
    "0 (done or signalled), 2 (refresh required), 3 (retry), 4 (skip), 5 (fatal).\n";

struct known {
	unsigned char uuid[16];
	char *dn;
	int seen;
};

/* The consumer: what a client of ldapc_sync keeps, to check the semantics. */
struct state {
	const char *state_file;
	const char *cookie_file;
	struct buf known; /* struct known records */
	struct known *v;  /* into known */
	size_t n;
	int done;      /* the refresh is over */
	long fail_at;  /* -x: the entry callback fails at this entry */
	long nentries; /* entries seen */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Prints bytes as text, anything not printable ASCII as '?'. */
static void put_text(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
}

static void put_uuid(const unsigned char u[16])
{
	int i;

	for (i = 0; i < 16; i++)
		printf("%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-" : "", u[i]);
}

static int parse_uuid(const char *s, unsigned char u[16])
{
	int i;
	unsigned x;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10) {
			if (*s++ != '-')
				return -1;
		}
		if (sscanf(s, "%2x", &x) != 1)
			return -1;
		u[i] = (unsigned char)x;
		s += 2;
	}
	return *s == ' ' ? 0 : -1;
}

static struct known *find(struct state *st, const unsigned char u[16])
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (memcmp(st->v[i].uuid, u, 16) == 0)
			return &st->v[i];
	return NULL;
}

static struct known *upsert(struct state *st, const unsigned char u[16], const char *dn)
{
	struct known *k = find(st, u);

	if (k == NULL) {
		struct known fresh;

		memcpy(fresh.uuid, u, 16);
		fresh.dn = NULL;
		if (buf_add(&st->known, &fresh, sizeof(fresh)) < 0)
			return NULL;
		st->v = (struct known *)(void *)st->known.s;
		k = &st->v[st->n++];
	}
	if (dn != NULL) {
		char *d = strdup(dn);

		if (d == NULL)
			return NULL;
		free(k->dn);
		k->dn = d;
	}
	k->seen = 1;
	return k;
}

static void forget(struct state *st, const unsigned char u[16])
{
	struct known *k = find(st, u);

	if (k == NULL)
		return;
	free(k->dn);
	*k = st->v[--st->n];
	st->known.len -= sizeof(*k);
}

static int cmp_known(const void *a, const void *b)
{
	return memcmp(((const struct known *)a)->uuid, ((const struct known *)b)->uuid, 16);
}

/* Writes "uuid dn" lines sorted by uuid, through a temporary file. */
static int save_state(struct state *st)
{
	char tmp[4096];
	FILE *f;
	size_t i;

	if (st->state_file == NULL)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", st->state_file);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	qsort(st->v, st->n, sizeof(*st->v), cmp_known);
	for (i = 0; i < st->n; i++) {
		int j;

		for (j = 0; j < 16; j++)
			fprintf(f, "%s%02x", j == 4 || j == 6 || j == 8 || j == 10 ? "-" : "",
			        st->v[i].uuid[j]);
		fprintf(f, " %s\n", st->v[i].dn ? st->v[i].dn : "?");
	}
	if (fclose(f) != 0 || rename(tmp, st->state_file) != 0)
		return -1;
	return 0;
}

static int load_state(struct state *st)
{
	char line[4096];
	FILE *f;

	if (st->state_file == NULL || (f = fopen(st->state_file, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned char u[16];

		line[strcspn(line, "\n")] = '\0';
		if (parse_uuid(line, u) < 0 || upsert(st, u, line + 37) == NULL) {
			fclose(f);
			return -1;
		}
		/* Nothing is reported yet in this refresh. */
		st->v[st->n - 1].seen = 0;
	}
	fclose(f);
	return 0;
}

static int on_entry(enum ldapc_sync_state s, const unsigned char uuid[16], const struct entry *e,
                    void *arg)
{
	static const char *const names[] = {"present", "add", "modify", "delete"};
	struct state *st = arg;
	size_t i, j;

	if (++st->nentries == st->fail_at) {
		printf("failing at entry %ld\n", st->nentries);
		return -1;
	}
	printf("%s ", names[s]);
	put_uuid(uuid);
	printf(" %s", e->dn);
	for (i = 0; i < e->nattrs; i++)
		for (j = 0; j < e->attrs[i].nvals; j++) {
			printf(" %s=", e->attrs[i].name);
			put_text(e->attrs[i].vals[j].val, e->attrs[i].vals[j].len);
		}
	putchar('\n');
	if (s == LDAPC_SYNC_DELETE)
		forget(st, uuid);
	else if (upsert(st, uuid, e->dn) == NULL)
		return -1;
	return 0;
}

static int on_idset(const unsigned char (*uuids)[16], size_t n, int deletes, void *arg)
{
	struct state *st = arg;
	size_t i;

	printf("idset %s %zu", deletes ? "delete" : "present", n);
	for (i = 0; i < n; i++) {
		putchar(' ');
		put_uuid(uuids[i]);
		if (deletes)
			forget(st, uuids[i]);
		else if (upsert(st, uuids[i], NULL) == NULL)
			return -1;
	}
	putchar('\n');
	return 0;
}

static int on_refresh_end(int present, int done, void *arg)
{
	struct state *st = arg;
	size_t i;

	printf("refresh-end present=%d done=%d\n", present, done);
	if (present)
		for (i = st->n; i-- > 0;)
			if (!st->v[i].seen)
				forget(st, st->v[i].uuid);
	for (i = 0; i < st->n; i++)
		st->v[i].seen = 0;
	if (done)
		st->done = 1;
	return save_state(st);
}

static int on_cookie(const void *cookie, size_t len, void *arg)
{
	struct state *st = arg;
	FILE *f;

	printf("cookie ");
	put_text(cookie, len);
	putchar('\n');
	/* The state first: the cookie is valid once it is applied. */
	if (save_state(st) < 0)
		return -1;
	if (st->cookie_file == NULL)
		return 0;
	f = fopen(st->cookie_file, "w");
	if (f == NULL)
		return -1;
	if (fwrite(cookie, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

static int ended(enum ldapc_rc rc, int refresh, const struct buf *err)
{
	if (rc == LDAPC_OK) {
		printf("end ok\n");
		return 0;
	}
	printf("end %s%s: %s\n", ldapc_rc_name(rc), refresh ? " refresh-required" : "",
	       buf_str(err));
	if (refresh)
		return 2;
	return rc == LDAPC_RETRY ? 3 : rc == LDAPC_SKIP ? 4 : 5;
}

int main(int argc, char **argv)
{
	const struct ldapc_sync_cb cb = {on_entry, on_idset, on_refresh_end, on_cookie};
	struct state st;
	struct ldapc_opts o;
	struct ldapc *c = NULL;
	struct ldapc_sync *s = NULL;
	struct buf err = BUF_INIT, cookie = BUF_INIT;
	struct sigaction sa;
	const char *base = NULL, *filter = NULL;
	enum ldapc_rc rc;
	int ch, persist = 0, block = 0, quit = 0, delay = 0, refresh = 0, status = 5;
	size_t i;

	memset(&st, 0, sizeof(st));
	memset(&o, 0, sizeof(o));
	o.sasl_mech = "EXTERNAL";
	while ((ch = getopt(argc, argv, "H:b:f:pBqc:C:s:S:t:D:x:")) != -1) {
		switch (ch) {
		case 'H':
			o.uris = optarg;
			break;
		case 'b':
			base = optarg;
			break;
		case 'f':
			filter = optarg;
			break;
		case 'p':
			persist = 1;
			break;
		case 'B':
			block = 1;
			break;
		case 'q':
			quit = 1;
			break;
		case 'c':
			buf_reset(&cookie);
			if (buf_puts(&cookie, optarg) < 0)
				return 5;
			break;
		case 'C': {
			char b[4096];
			size_t n;
			FILE *f = fopen(optarg, "r");

			if (f == NULL) {
				perror(optarg);
				return 5;
			}
			n = fread(b, 1, sizeof(b), f);
			fclose(f);
			buf_reset(&cookie);
			if (buf_add(&cookie, b, n) < 0)
				return 5;
			break;
		}
		case 's':
			st.cookie_file = optarg;
			break;
		case 'S':
			st.state_file = optarg;
			break;
		case 't':
			o.op_timeout = atoi(optarg);
			break;
		case 'D':
			delay = atoi(optarg);
			break;
		case 'x':
			st.fail_at = atol(optarg);
			break;
		default:
			fputs(usage, stderr);
			return 5;
		}
	}
	if (o.uris == NULL || base == NULL) {
		fputs(usage, stderr);
		return 5;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("sync-dump", 1, 0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (load_state(&st) < 0) {
		fprintf(stderr, "sync-dump: cannot read %s\n", st.state_file);
		return 5;
	}
	rc = ldapc_open(&o, &c, &err);
	if (rc != LDAPC_OK) {
		status = ended(rc, 0, &err);
		goto done;
	}
	if (delay > 0) {
		printf("connected\n");
		sleep((unsigned)delay);
	}
	rc = ldapc_sync_start(c, base, filter, (const char *const *)(argv + optind),
	                      cookie.len ? cookie.s : NULL, cookie.len, persist, &s, &err);
	if (rc != LDAPC_OK) {
		status = ended(rc, 0, &err);
		goto done;
	}
	printf("started %s%s\n", persist ? "refreshAndPersist" : "refreshOnly",
	       cookie.len ? " with a cookie" : "");
	for (;;) {
		struct pollfd pfd;

		rc = ldapc_sync_poll(s, block ? -1 : 0, &cb, &st, &refresh, &err);
		if (rc != LDAPC_OK || (st.done && (!persist || quit))) {
			status = ended(rc, refresh, &err);
			break;
		}
		if (stop) {
			printf("end signal\n");
			status = 0;
			break;
		}
		if (block)
			continue;
		pfd.fd = ldapc_sync_fd(s);
		pfd.events = POLLIN;
		if (pfd.fd >= 0 && poll(&pfd, 1, 200) < 0 && errno != EINTR) {
			perror("poll");
			break;
		}
	}
	if (save_state(&st) < 0)
		fprintf(stderr, "sync-dump: cannot write %s\n", st.state_file);
done:
	ldapc_sync_end(s);
	ldapc_close(c);
	for (i = 0; i < st.n; i++)
		free(st.v[i].dn);
	buf_free(&st.known);
	buf_free(&err);
	buf_free(&cookie);
	return status;
}
