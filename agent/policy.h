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
	int deletions;      /* mailboxes and addresses this object loses */
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
/* Returns the kind of e from its objectClass values. */
enum pol_kind policy_kind(const struct entry *e);
/* Computes want, state, deletions and remove for every object (objs[i].want
 * is replaced) and fills res (emptied first: the account's state, the
 * contacts to create). Returns 0, or -1 when memory runs out (then nothing
 * in objs or res may be used). Logs nothing: every reason is in a state. */
int policy_run(const struct pol_ctx *ctx, struct pol_obj *objs, size_t n,
               struct pol_result *res) DM_WUR;
/* Frees what policy_run left in o; accepts NULL. */
void policy_obj_clear(struct pol_obj *o);
/* Frees what policy_run left in res and empties it; accepts NULL. */
void policy_result_clear(struct pol_result *res);

#endif
