/* sync.h - dirmail run: the daemon.
 * A full pass, then every change the directory reports applied from the
 * in-memory recipients; resumes from a persisted cookie, rides out
 * outages, reloads on SIGHUP, stops cleanly on SIGTERM. */
#ifndef DIRMAIL_SYNC_H
#define DIRMAIL_SYNC_H

#include <stddef.h>

#include "attrs.h"
#include "buf.h"
#include "conf.h"
#include "ldapc.h"
#include "ldapc_sync.h"

struct profile;

/* Where changes come from: RFC 4533 on OpenLDAP, uSNChanged on Active
 * Directory (usn.h). Each call behaves as the ldapc_sync_* function of the
 * same name (ldapc_sync.h) on a handle of the source's own; start takes the
 * base, page size and poll interval from conf. */
struct sync_source {
	const char *name;
	/* 1: several changes of one entry may come as one report, so a
	 * report of an entry dirmail wrote is no sure echo of that write. */
	int coalesces;
	enum ldapc_rc (*start)(struct ldapc *c, const struct conf *conf, const char *filter,
	                       const char *const *attrs, const void *cookie, size_t len,
	                       int persist, void **out, struct buf *err);
	int (*fd)(const void *s);
	enum ldapc_rc (*poll)(void *s, int timeout_ms, const struct ldapc_sync_cb *cb, void *arg,
	                      int *refresh_required, struct buf *err);
	void (*end)(void *s);
};

/* RFC 4533 content synchronisation (OpenLDAP's syncprov). */
extern const struct sync_source sync_source_rfc4533;

/* What the daemon makes of the directory it is connected to. */
struct sync_flavour {
	const struct sync_source *source;
	/* The pass options that follow from the profile (rec_opts). */
	const char *recipient_class;
	const char *const *contact_classes;
	int no_assertion;
	/* The class of a lease entry dirmail creates (sync.lease_dn). */
	const char *lease_class;
};

/* What the command line gives the daemon. */
struct sync_host {
	/* Loads and checks the configuration as the command line asks into c
	 * (untouched before): EX_OK, or a sysexits code with one
	 * "file:line: reason" line per problem in errs. */
	int (*load)(struct conf *c, struct buf *errs, const void *arg);
	/* Connects and binds as c says: EX_OK, or EX_UNAVAILABLE (try again
	 * later) or EX_CONFIG, with the reason in err (nothing logged). */
	int (*connect)(const struct conf *c, struct ldapc **out, struct buf *err, const void *arg);
	const void *arg;
	/* Fills out for the directory p describes (profile.h), read after
	 * each connection. */
	void (*flavour)(const struct profile *p, struct sync_flavour *out);
};

/* Runs the daemon with the configuration c (already loaded and checked;
 * it is replaced on SIGHUP and freed by the caller at the end) until
 * SIGTERM or SIGINT; foreground 0 detaches first and logs to syslog.
 * Returns EX_OK after a clean stop, or a sysexits code when it cannot
 * start (another instance holds the state directory, no account entry)
 * or cannot go on (out of memory). */
int sync_run(const struct sync_host *h, struct conf *c, int foreground) DM_WUR;

#endif
