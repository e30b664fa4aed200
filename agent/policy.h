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

/* The kind of a dirmailState: its machine-readable word, before the colon. */
enum pol_state {
	POL_OK,             /* "ok" */
	POL_INVALID,        /* "invalid": the intent or the account cannot be served */
	POL_CONFLICT,       /* "conflict": a mailbox in the way (service change, catch-all) */
	POL_ADDRESS_TAKEN,  /* "address-taken": an explicit address, or every variant, is held */
	POL_OVER_LICENCE,   /* "over-licence": waits for a POP/IMAP licence */
	POL_OVER_ALLOCATED, /* "over-allocated": the account's quotas exceed its storage */
	POL_ERROR,          /* "error": the pass could not compute the object */
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
	char *state;        /* desired dirmailState: "ok" or "kind: message" */
	int managed;        /* 1 when dirmail manages the object: diff it */
	int remove;         /* 1: a contact dirmail created that nothing uses any more */
	/* The kind of state, the word it starts with. */
	enum pol_state state_kind;
};

/* What a pass decides beyond the objects it read. */
struct pol_result {
	struct buf acct_state; /* the account entry's dirmailState */
	struct entry **adds;   /* mail contacts to create, for external forwarding */
	size_t nadds;
	enum pol_state acct_state_kind; /* the kind of acct_state */
	/* The account's figures as settle leaves them: POP/IMAP mailboxes
	 * holding a licence (kept or granted), users waiting for one
	 * (over-licence), and the MB the mailboxes' limits add up to (an
	 * unlimited one counts as the account's total), as over-allocated
	 * weighs them. */
	long licences_used;
	long licences_waiting;
	long allocated_mb;
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
/* The word a state of kind k starts with ("ok", "invalid", ...): static
 * storage; "error" for a value outside the enum. */
const char *policy_state_name(enum pol_state k);
/* The attributes the auditors' export names, NULL-terminated, in the
 * order it has always named them; it takes every owned attribute and
 * every dirmail* one besides. Static storage. */
const char *const *policy_export_attrs(void);
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
/*
 * A kept pass lives on after settle, for a daemon that sees a few objects
 * change at a time: policy_reopen undoes what settle decided, each
 * changed object is taken again in its place (policy_retake; i == count
 * appends one, policy_truncate drops the last ones), the lists get their
 * filters, and policy_settle decides anew, exactly as a new pass over the
 * same objects in the same order would. Only what changed is read again;
 * settle still runs over every object, from what take left. Call
 * policy_keep before the first take.
 *   policy_retake and policy_truncate return 1 when only a new pass can
 *   tell (an address or DN two objects hold as read changes hands, or the
 *   pool has grown by a quarter): the pass is then good for
 *   policy_pass_free alone. policy_reserve makes room for n objects.
 */
void policy_keep(struct pol_pass *pp);
int policy_reserve(struct pol_pass *pp, size_t n) DM_WUR;
int policy_reopen(struct pol_pass *pp) DM_WUR;
int policy_retake(struct pol_pass *pp, size_t i, const struct entry *e) DM_WUR;
int policy_truncate(struct pol_pass *pp, size_t n) DM_WUR;
/* What the pass keeps of object i: its DN, kind, and (after settle) the
 * DN its forward wants as altRecipient, or NULL. */
size_t policy_count(const struct pol_pass *pp);
/* After settle: the kind of object i's dirmailState. */
enum pol_state policy_state_kind(const struct pol_pass *pp, size_t i);
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

/* Where an address an object claims or wants comes from. */
enum pol_addr_origin {
	POL_FROM_EXPLICIT, /* dirmailPrimaryAddress */
	POL_FROM_TEMPLATE, /* a template of the account (tmpl says which) */
	POL_FROM_ALIAS,    /* dirmailAlias */
};

/* How settle decided an address. */
enum pol_addr_how {
	POL_ADDR_HELD,     /* the object held it already */
	POL_ADDR_CLAIMED,  /* it was free: the object takes it */
	POL_ADDR_SUFFIXED, /* the form without the suffix is another's (by) */
	POL_ADDR_REFUSED,  /* another holds it (by): the object is address-taken */
};

/* One address of a decision; strings borrowed as the decision's. */
struct pol_addr_decision {
	const char *addr; /* lowercase */
	int primary;      /* 1: the primary (SMTP:) address */
	enum pol_addr_origin origin;
	const char *tmpl; /* POL_FROM_TEMPLATE: the template's text, else NULL */
	enum pol_addr_how how;
	unsigned suffix;      /* the number added to the candidate (2, 3, ...): SUFFIXED,
	                       * or HELD when what the object holds has one; else 0 */
	const char *by;       /* with a suffix: the DN holding the form without it;
	                       * REFUSED: the DN holding addr; else NULL */
	const char *fallback; /* when the template gave this object nothing usable and %m
	                       * stood in: why ("no givenName for %g"), else NULL */
};

/* A user's mailbox service, as dirmailService asks for it. */
enum pol_service { POL_SERVICE_NONE, POL_SERVICE_POP_IMAP, POL_SERVICE_EXCHANGE };

/* A user's POP/IMAP licence. */
enum pol_licence {
	POL_LICENCE_NONE,    /* no licence needed (no new POP/IMAP mailbox, or refused first) */
	POL_LICENCE_GRANTED, /* a new mailbox gets one */
	POL_LICENCE_KEPT,    /* an existing POP/IMAP mailbox keeps its own */
	POL_LICENCE_WAITING, /* none left: over-licence */
};

/* Where a mailbox's quota comes from. */
enum pol_quota {
	POL_QUOTA_NONE,      /* no mailbox written this pass */
	POL_QUOTA_OVERRIDE,  /* the user's dirmailQuota */
	POL_QUOTA_DEFAULT,   /* the account's dirmailDefaultQuota */
	POL_QUOTA_UNLIMITED, /* 0 in either: capped by the account's storage */
};

/* Where a list's members come from. */
enum pol_members { POL_MEMBERS_NONE, POL_MEMBERS_STATIC, POL_MEMBERS_FILTER };

/* What a settled pass decided for one object, and why, as plain data. */
struct pol_decision {
	enum pol_kind kind;
	enum pol_service service; /* as the intent asks (users) */
	enum pol_state state_kind;
	const char *state;   /* "ok" or "kind: message"; NULL for POL_OTHER */
	const char *message; /* the text after "kind: ", "" when ok or POL_OTHER */
	/* Every address the object claimed (the primary first) or was refused,
	 * then its aliases; dirmail's former addresses it keeps are not among
	 * them (they are on the entry). The array is the decision's own. */
	struct pol_addr_decision *addrs;
	size_t naddrs;
	enum pol_licence licence;
	unsigned licence_rank; /* place among the POP/IMAP mailboxes, creation order,
	                        * existing ones first; 0 with POL_LICENCE_NONE */
	long licences;         /* the account's licence count */
	enum pol_quota quota;
	long quota_mb;            /* the effective limit; 0: none (AD's maximum) */
	const char *forward;      /* dirmailForwardTo as read, when it was weighed */
	const char *forward_dn;   /* altRecipient: a recipient's or a mail contact's DN */
	int forward_external;     /* 1: the target lies outside the account's domains */
	enum pol_members members; /* lists: the filter's matches or the members as read */
	int unused_contact;       /* a mail contact dirmail made that no forward uses */
};

/* Fills out with what settle decided for object i and why (out is
 * overwritten, not freed first). Strings are borrowed from the pass (the
 * template text from the account) until policy_pass_free; out->addrs is
 * out's own, freed by policy_decision_clear. Returns 0, or -1 when the
 * pass is not settled, i is out of range or memory runs out (then out
 * holds nothing to free). */
int policy_decision(const struct pol_pass *pp, size_t i, struct pol_decision *out) DM_WUR;
/* Frees what policy_decision left in d and empties it; accepts NULL. */
void policy_decision_clear(struct pol_decision *d);

/* The whole pass over objs at once (take, filter, settle, build). */
int policy_run(const struct pol_ctx *ctx, struct pol_obj *objs, size_t n,
               struct pol_result *res) DM_WUR;
/* Frees what policy_run left in o; accepts NULL. */
void policy_obj_clear(struct pol_obj *o);
/* Frees what policy_run left in res and empties it; accepts NULL. */
void policy_result_clear(struct pol_result *res);

#endif
