/* ldif-replay.c - replays an LDIF file of change records, pipelined.
 *
 *   ldif-replay -H URI [-w W] FILE
 *
 * Binds with SASL EXTERNAL (meant for ldapi://) and sends the records of
 * FILE (modify, add, delete, modrdn; comments and "version: 1" allowed, as
 * in a dirmail journal) as asynchronous operations, keeping up to W of them
 * outstanding (default 32). Records are read and parsed with libldap's own
 * ldif_read_record / ldap_parse_ldif_record, as ldapmodify does; the file
 * is read as change records (a record without changetype is a modify).
 *
 * slapd may run the operations of one connection in any order, so a record
 * waits for an outstanding one on the same DN (compared as text, ignoring
 * case) and an add, delete or rename waits for every outstanding operation
 * and is waited for in turn: replaying a file gives the state ldapmodify
 * gives. Exit 0 when every operation succeeded; otherwise the first few
 * errors are printed and the exit status is 1 (2 for a usage error). A
 * summary goes to stderr. Built on demand: make tests/bench/ldif-replay. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>
#include <ldif.h>
#include <sasl/sasl.h>

#define PROG "ldif-replay"

#include "bench-ldap.h"
#define MAX_SHOWN 5

struct pending {
	int msgid;   /* 0 = free slot */
	int barrier; /* add / delete / rename: nothing runs beside it */
	unsigned long line;
	char *dn;
	ber_tag_t op;
};

struct replay {
	LDAP *ld;
	const char *file;
	struct pending *slot;
	int window;
	int outstanding;
	unsigned long sent, failed, adds, modifies, deletes, renames;
};

static void usage(void)
{
	fprintf(stderr, "usage: %s -H URI [-w W] FILE\n", PROG);
	exit(2);
}

static const char *op_name(ber_tag_t op)
{
	switch (op) {
	case LDAP_REQ_ADD:
		return "add";
	case LDAP_REQ_DELETE:
		return "delete";
	case LDAP_REQ_MODDN:
		return "modrdn";
	default:
		return "modify";
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(struct replay *r, const struct pending *p, int err, const char *text)
{
	r->failed++;
	if (r->failed <= MAX_SHOWN)
		fprintf(stderr, "%s: %s:%lu: %s %s: %s (%d)%s%s\n", PROG, r->file, p->line,
		        op_name(p->op), p->dn, ldap_err2string(err), err,
		        text != NULL && *text ? ": " : "", text != NULL ? text : "");
	else if (r->failed == MAX_SHOWN + 1)
		fprintf(stderr, "%s: more errors follow, not shown\n", PROG);
}

/* Waits for one result and retires its slot; -1 when the connection is lost. */
static int wait_one(struct replay *r)
{
	LDAPMessage *res = NULL;
	char *text = NULL;
	int rc, err = LDAP_OTHER, msgid, i;

	rc = ldap_result(r->ld, LDAP_RES_ANY, LDAP_MSG_ALL, NULL, &res);
	if (rc <= 0) {
		ldap_get_option(r->ld, LDAP_OPT_RESULT_CODE, &err);
		fprintf(stderr, "%s: ldap_result: %s (%d)\n", PROG, ldap_err2string(err), err);
		return -1;
	}
	msgid = ldap_msgid(res);
	for (i = 0; i < r->window; i++)
		if (r->slot[i].msgid != 0 && r->slot[i].msgid == msgid)
			break;
	if (i == r->window) {
		/* msgid 0: an unsolicited notice, e.g. the server disconnecting. */
		if (ldap_parse_result(r->ld, res, &err, NULL, &text, NULL, NULL, 1) != LDAP_SUCCESS)
			err = LDAP_OTHER;
		fprintf(stderr, "%s: unexpected message %d (type %d): %s%s%s\n", PROG, msgid, rc,
		        ldap_err2string(err), text != NULL ? ": " : "", text != NULL ? text : "");
		ldap_memfree(text);
		return -1;
	}
	if (ldap_parse_result(r->ld, res, &err, NULL, &text, NULL, NULL, 1) != LDAP_SUCCESS)
		ldap_get_option(r->ld, LDAP_OPT_RESULT_CODE, &err);
	if (err != LDAP_SUCCESS)
		report(r, &r->slot[i], err, text);
	ldap_memfree(text);
	free(r->slot[i].dn);
	memset(&r->slot[i], 0, sizeof r->slot[i]);
	r->outstanding--;
	return 0;
}

/* Waits until the record on DN (a barrier when BARRIER) may be sent and a slot
 * is free; returns the slot, or -1 when the connection is lost. */
static int make_room(struct replay *r, const char *dn, int barrier)
{
	int i, busy, free_slot;

	for (;;) {
		busy = 0;
		free_slot = -1;
		for (i = 0; i < r->window; i++) {
			if (r->slot[i].msgid == 0) {
				if (free_slot < 0)
					free_slot = i;
			} else if (barrier || r->slot[i].barrier ||
			           strcasecmp(r->slot[i].dn, dn) == 0) {
				busy = 1;
			}
		}
		if (!busy && free_slot >= 0)
			return free_slot;
		if (wait_one(r) < 0)
			return -1;
	}
}

/* Sends one parsed record; 0 when sent or skipped, -1 on a fatal error. */
static int send_record(struct replay *r, LDIFRecord *lr, unsigned long line)
{
	const char *dn = lr->lr_dn.bv_val;
	int barrier, s, rc, msgid = 0;

	if (lr->lr_op == 0 || dn == NULL) /* "version: 1" or nothing but comments */
		return 0;
	barrier = lr->lr_op != LDAP_REQ_MODIFY;
	s = make_room(r, dn, barrier);
	if (s < 0)
		return -1;
	switch (lr->lr_op) {
	case LDAP_REQ_MODIFY:
		rc = ldap_modify_ext(r->ld, dn, lr->lrop_mods, lr->lr_ctrls, NULL, &msgid);
		r->modifies++;
		break;
	case LDAP_REQ_ADD:
		rc = ldap_add_ext(r->ld, dn, lr->lrop_mods, lr->lr_ctrls, NULL, &msgid);
		r->adds++;
		break;
	case LDAP_REQ_DELETE:
		rc = ldap_delete_ext(r->ld, dn, lr->lr_ctrls, NULL, &msgid);
		r->deletes++;
		break;
	case LDAP_REQ_MODDN:
		rc = ldap_rename(r->ld, dn, lr->lrop_newrdn.bv_val,
		                 lr->lrop_newsup.bv_val != NULL ? lr->lrop_newsup.bv_val : NULL,
		                 lr->lrop_delold, lr->lr_ctrls, NULL, &msgid);
		r->renames++;
		break;
	default:
		fprintf(stderr, "%s: %s:%lu: unsupported operation\n", PROG, r->file, line);
		return -1;
	}
	if (rc != LDAP_SUCCESS) {
		fprintf(stderr, "%s: %s:%lu: sending %s %s: %s (%d)\n", PROG, r->file, line,
		        op_name(lr->lr_op), dn, ldap_err2string(rc), rc);
		return -1;
	}
	r->slot[s].msgid = msgid;
	r->slot[s].barrier = barrier;
	r->slot[s].line = line;
	r->slot[s].op = lr->lr_op;
	r->slot[s].dn = strdup(dn);
	if (r->slot[s].dn == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return -1;
	}
	r->outstanding++;
	r->sent++;
	/* Nothing is sent beside a barrier: wait for it here. */
	while (barrier && r->outstanding > 0)
		if (wait_one(r) < 0)
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct replay r;
	const char *uri = NULL;
	LDIFFP *fp;
	char *buf = NULL, *end;
	int buflen = 0, rc, opt, fatal = 0;
	unsigned long line = 1, nextline = 0;
	long w = 32;
	double t0, dt;

	memset(&r, 0, sizeof r);
	while ((opt = getopt(argc, argv, "H:w:")) != -1) {
		switch (opt) {
		case 'H':
			uri = optarg;
			break;
		case 'w':
			errno = 0;
			w = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || w < 1 || w > 4096) {
				fprintf(stderr, "%s: -w wants 1..4096, not %s\n", PROG, optarg);
				usage();
			}
			break;
		default:
			usage();
		}
	}
	if (uri == NULL || optind != argc - 1)
		usage();
	r.file = argv[optind];
	r.window = (int)w;
	r.slot = calloc((size_t)r.window, sizeof *r.slot);
	if (r.slot == NULL) {
		fprintf(stderr, "%s: out of memory\n", PROG);
		return 1;
	}
	fp = ldif_open(r.file, "r");
	if (fp == NULL) {
		fprintf(stderr, "%s: %s: %s\n", PROG, r.file, strerror(errno));
		return 1;
	}
	r.ld = connect_external(uri);
	if (r.ld == NULL)
		return 1;

	t0 = now();
	while ((rc = ldif_read_record(fp, &nextline, &buf, &buflen)) > 0) {
		struct berval rbuf;
		LDIFRecord lr;

		/* ldap_parse_ldif_record moves rbuf.bv_val along; buf stays. */
		rbuf.bv_val = buf;
		rbuf.bv_len = 0;
		if (ldap_parse_ldif_record(&rbuf, line, &lr, PROG, 0) != LDAP_SUCCESS) {
			fprintf(stderr, "%s: %s:%lu: cannot parse the record\n", PROG, r.file,
			        line);
			fatal = 1;
			break;
		}
		/* The request is encoded when it is sent: the record can go. */
		rc = send_record(&r, &lr, line);
		ldap_ldif_record_done(&lr);
		if (rc < 0) {
			fatal = 1;
			break;
		}
		line = nextline + 1;
	}
	if (rc < 0 && !fatal) {
		fprintf(stderr, "%s: %s: read error near line %lu\n", PROG, r.file, line);
		fatal = 1;
	}
	while (r.outstanding > 0)
		if (wait_one(&r) < 0) {
			fatal = 1;
			break;
		}
	dt = now() - t0;
	ber_memfree(buf);
	ldif_close(fp);
	ldap_unbind_ext_s(r.ld, NULL, NULL);
	free(r.slot);

	fprintf(stderr,
	        "%s: %lu operations (%lu modify, %lu add, %lu delete, %lu modrdn), "
	        "%lu failed, %.3f s, %.0f/s, window %d\n",
	        PROG, r.sent, r.modifies, r.adds, r.deletes, r.renames, r.failed, dt,
	        dt > 0 ? (double)r.sent / dt : 0.0, r.window);
	return fatal || r.failed > 0 ? 1 : 0;
}
