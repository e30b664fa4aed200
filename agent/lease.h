/* lease.h - one writer among several dirmail run instances.
 * A lease entry in the directory names its holder in its description;
 * the holder renews it by swapping the value it wrote for a new one, so a
 * renewal after someone else took over fails. No clocks are compared
 * between hosts: each instance counts on its own monotonic clock how long
 * the value it sees has not changed. */
#ifndef DIRMAIL_LEASE_H
#define DIRMAIL_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "buf.h"

struct ldapc;

/* What one instance knows of the lease; times are its monotonic ms. */
struct lease {
	char *dn;         /* the lease entry */
	char *me;         /* this instance: "host:pid:random" */
	uint64_t len_ms;  /* the lease time */
	int have_seen;    /* a read has seen the entry (or that there is none) */
	char *seen;       /* the value it held, NULL: no entry */
	uint64_t seen_ms; /* when seen was first read with that value */
	int leader;       /* 1: this instance holds the lease */
	uint64_t ok_ms;   /* leader: when the renewal that succeeded last was sent */
	unsigned long n;  /* leader: renewals so far, part of the value */
	uint64_t next_ms; /* when lease_step is due again */
};

/* What lease_due says to do. */
enum lease_act {
	LEASE_WAIT,  /* nothing now */
	LEASE_READ,  /* a follower reads the entry */
	LEASE_TAKE,  /* the holder has not renewed for a lease time: take over */
	LEASE_RENEW, /* the leader renews */
};

/* Fills l for the entry dn, lease time len_ms, this instance me (copied):
 * 0, or -1 when out of memory. Free with lease_free. */
int lease_init(struct lease *l, const char *dn, const char *me, uint64_t len_ms) DM_WUR;
/* Frees what l holds; accepts NULL. */
void lease_free(struct lease *l);
/* The value naming this instance after n renewals, appended to out: -1
 * when out of memory. */
int lease_value(const struct lease *l, unsigned long n, struct buf *out) DM_WUR;
/* The holder a value names, appended to out ("" for a released lease or
 * none, the value itself when it is not dirmail's): -1 when out of
 * memory. */
int lease_holder(const char *value, struct buf *out) DM_WUR;
/* What to do at now (pure). With T the lease time: a follower reads
 * every T/4 and takes over once the value has not changed for T/2 since
 * it first read it, or says the lease is free; the leader renews every
 * T/6. So a follower takes over within T of the leader's last renewal. */
enum lease_act lease_due(const struct lease *l, uint64_t now);
/* Records that a read at now saw value (NULL: no entry): 0, or -1 when
 * out of memory. */
int lease_observe(struct lease *l, const char *value, uint64_t now) DM_WUR;
/* 1 when the leader may still send a write at now: its last renewal was
 * sent less than T/3 ago, so no follower can have taken over (it waits
 * T/2 after it saw that renewal, which it cannot see before it was sent);
 * else 0. Pure. */
int lease_may_write(const struct lease *l, uint64_t now);

/* One step against the directory through c at now: reads, takes over or
 * renews as lease_due says, creating the entry (class cls) when it is
 * missing; each swap is guarded by the value it replaces, and by an RFC
 * 4528 assertion too when assert is 1. Returns 0 (l says the outcome; a change of leadership is
 * logged) or -1 with the reason in err (the directory did not answer or
 * refused: the caller retries; a leader stops writing once
 * lease_may_write says so). */
int lease_step(struct lease *l, struct ldapc *c, const char *cls, int assert, uint64_t now,
               struct buf *err) DM_WUR;
/* Gives the lease up (the leader, at a clean stop), so that a follower
 * takes over at its next read: 0, or -1 with the reason in err. */
int lease_release(struct lease *l, struct ldapc *c, int assert, struct buf *err) DM_WUR;

#endif
