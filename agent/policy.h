/* policy.h - intent to desired state, the rules of SPEC section 2.
 * Pure: no I/O, no clock but the one passed in. From every recipient as read
 * and the account entry it computes each object's desired derived attributes. */
#ifndef DIRMAIL_POLICY_H
#define DIRMAIL_POLICY_H

#include <stddef.h>
#include <time.h>

#include "account.h"
#include "attrs.h"
#include "buf.h"
#include "entry.h"

enum pol_kind {
	POL_USER,  /* objectClass dirmailUser */
	POL_LIST,  /* objectClass dirmailList */
	POL_OTHER, /* anything else holding addresses (contacts, foreign objects) */
};

/* One object of the pass: what was read, and what policy_run decides. */
struct pol_obj {
	const struct entry *e; /* as read, borrowed; must hold createTimestamp or
	                        * whenCreated when creation order matters */
	enum pol_kind kind;
	/* For a list with dirmailMemberFilter: the DNs the filter matched, as
	 * the directory answered (borrowed), or filter_error set when the
	 * filter was refused (then the list is invalid). */
	const char *const *filter_members;
	size_t nfilter_members;
	const char *filter_error;
	/* Results, owned by the object (policy_obj_clear frees them). */
	struct entry *want; /* NULL: nothing to change (drop_unchanged), or no intent;
	                     * else the desired values of every attribute dirmail owns on
	                     * e, plus proxyAddresses, member and objectClass;
	                     * an attribute absent here is to be removed */
	int deletions;      /* mailboxes, addresses and list members this object loses */
	char *state;        /* desired dirmailState */
	int managed;        /* 1 when dirmail manages the object: diff it */
	int remove;         /* 1: a contact dirmail created that nothing uses any more */
};

/* What a pass decides beyond the objects it read. */
struct pol_result {
	struct buf acct_state; /* the account entry's dirmailState */
	struct entry **adds;   /* mail contacts to create, for external forwarding */
	size_t nadds;
};

/* What the pass is computed against. */
struct pol_ctx {
	const struct account *acct;
	time_t now;
	/* Auxiliary class that lets an object carry the derived attributes
	 * (OpenLDAP's "dirmailRecipient"); NULL where the schema needs none. */
	const char *recipient_class;
	/* Fills a new random mailbox GUID; tests pass a deterministic one. */
	void (*new_guid)(unsigned char guid[16], void *arg);
	void *guid_arg;
	/* Builds the DN "attr=value,parent" with value escaped (ldapc_dn_child);
	 * -1 when it cannot. */
	int (*dn_child)(struct buf *out, const char *attr, const char *value, const char *parent);
	/* Structural and auxiliary classes of a new mail contact, NULL-terminated
	 * (OpenLDAP: inetOrgPerson and dirmailRecipient; AD: contact). */
	const char *const *contact_classes;
	/* Set: an object whose wanted entry equals what was read keeps want
	 * NULL (nothing to write), so an idempotent pass holds no copies. */
	int drop_unchanged;
};

/* The attributes dirmail is authoritative for on objects with intent,
 * NULL-terminated; proxyAddresses, member and objectClass are shared with
 * others and merged value by value instead. Static storage. */
const char *const *policy_owned_attrs(void);
/* The attributes diff compares between an object and its wanted entry:
 * the owned ones plus proxyAddresses and member, NULL-terminated (diff
 * handles objectClass itself). Static storage. */
const char *const *policy_diff_attrs(void);
/* Every attribute the policy reads of a recipient (what it owns and what
 * it derives from), NULL-terminated; read these, not "*". Static storage. */
const char *const *policy_read_attrs(void);
/* The attributes the policy reads whose values are DNs (list members,
 * forwarding, the mailbox database, address lists, what the account entry
 * names), NULL-terminated: the reader normalises them, with every entry's
 * DN, so the policy compares DNs as strings without case. Static storage. */
const char *const *policy_dn_attrs(void);
/* Returns the kind of e from its objectClass values. */
enum pol_kind policy_kind(const struct entry *e);
/* Computes want, state, deletions and remove for every object (objs[i].want
 * is replaced) and fills res (emptied first: the account's state, the
 * contacts to create). Returns 0, or -1 when memory runs out (then nothing
 * in objs or res may be used). Logs nothing: every reason is in a state. */
/*
 * A pass in three steps, so that a caller can stream the directory through
 * it and hold only a summary of each object between reading and writing:
 *   policy_take    each object as read, in read order (its index is the
 *                  number taken before it); the entry is borrowed for the
 *                  call only. Validation, service state, the address index.
 *   policy_filter  a list's dirmailMemberFilter matches (borrowed until the
 *                  pass is freed) or why the directory refused the filter.
 *   policy_settle  once, after the last take: licences, address claims in
 *                  creation order, forwards (res->adds gets the mail contacts
 *                  to create), unused contacts, the account's state.
 *   policy_build   object i's results in o, from its entry as taken (the
 *                  same DN; the caller may have kept it or read it again);
 *                  any number of times, in any order.
 * All but policy_pass_free return -1 on out of memory or misuse.
 */
struct pol_pass;

struct pol_pass *policy_pass_new(const struct pol_ctx *ctx) DM_WUR;
int policy_take(struct pol_pass *pp, const struct entry *e) DM_WUR;
int policy_filter(struct pol_pass *pp, size_t i, const char *const *members, size_t n,
                  const char *error) DM_WUR;
int policy_settle(struct pol_pass *pp, struct pol_result *res) DM_WUR;
int policy_build(struct pol_pass *pp, size_t i, const struct entry *e, struct pol_obj *o) DM_WUR;
void policy_pass_free(struct pol_pass *pp);
/* What the pass keeps of object i: its DN, kind, and (after settle) the
 * DN its forward wants as altRecipient, or NULL. */
size_t policy_count(const struct pol_pass *pp);
const char *policy_dn(const struct pol_pass *pp, size_t i);
enum pol_kind policy_obj_kind(const struct pol_pass *pp, size_t i);
const char *policy_forward_dn(const struct pol_pass *pp, size_t i);
/* 1 when object i is known, after settle, to need no change: with
 * drop_unchanged set, policy_take built it already and settle confirmed
 * everything that build assumed. policy_build would return want NULL;
 * 0 says nothing (build it to know). */
int policy_unchanged(const struct pol_pass *pp, size_t i);
/* Before settle: 1 when policy_take's build of object i found nothing to
 * change; policy_unchanged(pp, i) is 1 after settle unless settle decided
 * otherwise than that build assumed. Lets a caller keep the entries of the
 * other objects only. */
int policy_unchanged_as_read(const struct pol_pass *pp, size_t i);
/* The index of the object with DN dn (as policy_dn spells it, any case),
 * or -1. */
long policy_find(const struct pol_pass *pp, const char *dn);
/* 1 when object i is a mail contact dirmail made that no forward uses. */
int policy_unused_contact(const struct pol_pass *pp, size_t i);

/* The whole pass over objs at once (take, filter, settle, build). */
int policy_run(const struct pol_ctx *ctx, struct pol_obj *objs, size_t n,
               struct pol_result *res) DM_WUR;
/* Frees what policy_run left in o; accepts NULL. */
void policy_obj_clear(struct pol_obj *o);
/* Frees what policy_run left in res and empties it; accepts NULL. */
void policy_result_clear(struct pol_result *res);

#endif
