/* main.c - the dirmail command line.
 * Parses OpenLDAP-style connection flags and a subcommand, merges them
 * over the config file, and maps every outcome to a sysexits code. */
#include "config.h"

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <sysexits.h>
#include <unistd.h>

#include "account.h"
#include "buf.h"
#include "conf.h"
#include "export.h"
#include "isotime.h"
#include "journal.h"
#include "ldapc.h"
#include "ldifw.h"
#include "log.h"
#include "passwd.h"
#include "policy.h"
#include "profile.h"
#include "reconcile.h"
#include "rights.h"
#include "schema.h"
#include "secret.h"
#include "state.h"
#include "status.h"
#include "sync.h"
#include "usn.h"

/* Long options without a short form. */
enum {
	OPT_JOURNAL = 256,
	OPT_STATE_DIR,
	OPT_TLS_CA_FILE,
	OPT_TLS_CA_DIR,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_DRY_RUN,
	OPT_DN,
	OPT_FORCE,
	OPT_SINCE,
	OPT_SET,
	OPT_PASS,
	OPT_PASSWORD_FILE,
	OPT_JSON,
};

/* Command-line values that override the config file. */
struct cli {
	struct buf uris; /* every -H, space-joined */
	const char *bind_dn;
	const char *password_file;
	const char *sasl_mech;
	const char *sasl_authcid;
	const char *sasl_authzid;
	const char *sasl_realm;
	int starttls;
	const char *base;
	const char *config;
	const char *journal;
	const char *state_dir;
	const char *tls_ca_file;
	const char *tls_ca_dir;
	const char *tls_cert;
	const char *tls_key;
	int verbose;
	int foreground;                /* run -f */
	int dry_run;                   /* reconcile --dry-run */
	int force;                     /* reconcile --force */
	int only_set;                  /* config -n */
	const char *dn;                /* reconcile / plan --dn */
	const char *output;            /* export -o */
	const char *since;             /* journal undo --since */
	const char *pass;              /* journal undo --pass */
	const char *new_password_file; /* passwd --password-file */
	struct rec_set *sets;          /* plan --set, in order */
	size_t nsets;
	int json;              /* status --json */
	struct status *status; /* status: a read-only pass's figures go here */
	const char *command;
	char **args; /* operands after the command */
	int nargs;
};

struct command {
	const char *name;
	const char *summary;
	int (*run)(const struct cli *cli, struct conf *c);
};

static int check_opts(const struct cli *cli, int dry_run_ok, int force_ok, int dn_ok);
static int cmd_check_config(const struct cli *cli, struct conf *c);
static int cmd_reconcile(const struct cli *cli, struct conf *c);
static int cmd_plan(const struct cli *cli, struct conf *c);
static int cmd_export(const struct cli *cli, struct conf *c);
static int cmd_journal(const struct cli *cli, struct conf *c);
static int cmd_explain(const struct cli *cli, struct conf *c);
static int cmd_run(const struct cli *cli, struct conf *c);
static int cmd_config(const struct cli *cli, struct conf *c);
static int cmd_passwd(const struct cli *cli, struct conf *c);
static int cmd_status(const struct cli *cli, struct conf *c);

static const struct command commands[] = {
    {"check-config", "validate the config and the account entry, print a summary",
     cmd_check_config},
    {"config", "print the effective settings and where each comes from ([-n])", cmd_config},
    {"reconcile", "one full pass, then exit ([--dry-run] [--dn DN] [--force])", cmd_reconcile},
    {"run", "the daemon: a full pass, then every change as it happens ([-f])", cmd_run},
    {"status", "the daemon's state and last pass, licences, storage, objects by state ([--json])",
     cmd_status},
    {"plan", "print the changes a pass would make as LDIF, write nothing ([--dn DN] [--set ...])",
     cmd_plan},
    {"explain", "DN|LOGIN: every derived value of one object, with the rule and inputs behind it",
     cmd_explain},
    {"export", "snapshot of every recipient's mail state as LDIF ([-o FILE])", cmd_export},
    {"passwd", "DN|LOGIN [--password-file FILE]: reset a user's password (asked for twice)",
     cmd_passwd},
    {"journal",
     "verify | undo [--since TIME] [--pass ID] [--dn DN] [-o FILE]: check or revert the journal",
     cmd_journal},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: dirmail [options] command [arguments]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
	        "\noptions:\n"
	        "  -H URI          LDAP URI; repeat or space-separate for failover\n"
	        "  -D DN           bind DN (simple bind)\n"
	        "  -y FILE         read the bind password from FILE (mode 0600)\n"
	        "  -Y MECH         SASL mechanism (EXTERNAL, GSSAPI, ...)\n"
	        "  -U AUTHCID      SASL authentication identity\n"
	        "  -X AUTHZID      SASL authorization identity\n"
	        "  -R REALM        SASL realm\n"
	        "  -Z              StartTLS (required to succeed)\n"
	        "  -b BASE         search base holding the account entry\n"
	        "  -c FILE         config file (default " CONF_DEFAULT_PATH ")\n"
	        "  --journal FILE  change journal (LDIF)\n"
	        "  --state-dir DIR sync cookies, lease and the daemon's status\n"
	        "  --tls-ca-file FILE, --tls-ca-dir DIR, --tls-cert FILE, --tls-key FILE\n"
	        "                  TLS trust anchors and client certificate\n"
	        "  --dry-run       reconcile: compute and report, write nothing\n"
	        "  --dn DN         reconcile, plan, journal undo: only the changes of this object\n"
	        "  --force         reconcile, plan: go past the safety stops (see dirmail(8))\n"
	        "  --set [DN:]ATTR=VALUE\n"
	        "                  plan: as if ATTR of DN (default the account entry) were\n"
	        "                  VALUE (repeatable; an empty VALUE removes ATTR)\n"
	        "  -o FILE         export, journal undo: write to FILE (atomically, mode 0600)\n"
	        "  --since TIME    journal undo: only changes from TIME on (2026-12-07,\n"
	        "                  2026-12-07T01:15, 2026-12-07T01:15:00+01:00; no offset: UTC)\n"
	        "  --pass ID       journal undo: only the changes of that pass\n"
	        "  --password-file FILE\n"
	        "                  passwd: read the new password from FILE (mode 0600)\n"
	        "  -n              config: only the settings not at their default\n"
	        "  --json          status: one JSON object instead of text\n"
	        "  -v              more detail (repeatable)\n"
	        "  -h, --help      this text\n"
	        "  -V, --version   the version\n"
	        "\nSee dirmail(8) and dirmail.conf(5).\n");
}

/* Is s (n bytes) an attribute descriptor (RFC 4512: a letter, then
 * letters, digits and hyphens)? */
static int is_descr(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

/* Adds the what-if value arg, "[DN:]ATTR=VALUE", to cli->sets: the DN is
 * the longest prefix before a ':' that parses as a DN and is followed by
 * ATTR=. -1 (logged) when it is none of these. */
static int parse_set(struct cli *cli, const char *arg)
{
	struct rec_set set = {NULL, NULL, NULL}, *v;
	struct buf dn = BUF_INIT;
	const char *rest = arg, *eq;
	char *attr = NULL;
	size_t j;

	for (j = strlen(arg); j-- > 0;) {
		const char *r = arg + j + 1;
		size_t alen = strcspn(r, "=");
		char *pre;
		int ok;

		if (arg[j] != ':' || r[alen] != '=' || !is_descr(r, alen) ||
		    memchr(arg, '=', j) == NULL)
			continue;
		pre = strndup(arg, j);
		ok = pre != NULL && ldapc_dn_valid(pre);
		if (ok && ldapc_dn_norm(&dn, pre, j) < 0)
			log_fatal(EX_OSERR, "out of memory");
		free(pre);
		if (ok) {
			rest = r;
			break;
		}
	}
	eq = strchr(rest, '=');
	if (eq == NULL || !is_descr(rest, (size_t)(eq - rest))) {
		log_error("--set \"%s\": want [DN:]ATTR=VALUE", arg);
		buf_free(&dn);
		return -1;
	}
	attr = strndup(rest, (size_t)(eq - rest));
	if (attr == NULL)
		log_fatal(EX_OSERR, "out of memory");
	if (ldifw_is_secret(attr)) {
		log_error("--set \"%s\": %s is a secret, which dirmail never reads", arg, attr);
		free(attr);
		buf_free(&dn);
		return -1;
	}
	set.dn = dn.len ? buf_steal(&dn) : NULL;
	set.attr = attr;
	set.value = eq + 1;
	v = realloc(cli->sets, (cli->nsets + 1) * sizeof(*v));
	if (v == NULL)
		log_fatal(EX_OSERR, "out of memory");
	cli->sets = v;
	cli->sets[cli->nsets++] = set;
	buf_free(&dn);
	return 0;
}

/* The option arg names, without a value given with '=' (which may be a
 * secret typed to the wrong option): a static copy, cut short if long. */
static const char *opt_name(const char *arg)
{
	static char name[64];

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	return name;
}

/* The word the long option getopt_long just matched was written as: the
 * last word it took, or the one before when the value came as a word of
 * its own. */
static const char *opt_word(char **argv)
{
	return argv[optind - (optarg != NULL && argv[optind - 1] == optarg ? 2 : 1)];
}

/* Is word the long option name spelt out ("--name" or "--name=...")? */
static int spelt_out(const char *word, const char *name)
{
	size_t n = strlen(name);

	return strncmp(word, "--", 2) == 0 && strncmp(word + 2, name, n) == 0 &&
	       (word[n + 2] == '\0' || word[n + 2] == '=');
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"journal", required_argument, NULL, OPT_JOURNAL},
	    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
	    {"tls-ca-file", required_argument, NULL, OPT_TLS_CA_FILE},
	    {"tls-ca-dir", required_argument, NULL, OPT_TLS_CA_DIR},
	    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
	    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"dn", required_argument, NULL, OPT_DN},
	    {"force", no_argument, NULL, OPT_FORCE},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {"set", required_argument, NULL, OPT_SET},
	    {"pass", required_argument, NULL, OPT_PASS},
	    {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	int ch, li;

	opterr = 0;
	for (;;) {
		li = -1;
		optarg = NULL;
		ch = getopt_long(argc, argv, ":H:D:y:Y:U:X:R:Zb:c:o:fnvhVw:", longopts, &li);
		if (ch == -1)
			break;
		if (li >= 0 && !spelt_out(opt_word(argv), longopts[li].name)) {
			/* getopt_long takes --password for --password-file: a
			 * password meant for an option that does not exist would
			 * be read as a file name and shown in its error. */
			log_error("unknown option %s; long options are spelt out in full",
			          opt_name(opt_word(argv)));
			return -1;
		}
		switch (ch) {
		case 'H':
			if ((cli->uris.len && buf_puts(&cli->uris, " ") < 0) ||
			    buf_puts(&cli->uris, optarg) < 0)
				log_fatal(EX_OSERR, "out of memory");
			break;
		case 'D':
			cli->bind_dn = optarg;
			break;
		case 'y':
			cli->password_file = optarg;
			break;
		case 'Y':
			cli->sasl_mech = optarg;
			break;
		case 'U':
			cli->sasl_authcid = optarg;
			break;
		case 'X':
			cli->sasl_authzid = optarg;
			break;
		case 'R':
			cli->sasl_realm = optarg;
			break;
		case 'Z':
			cli->starttls = 1;
			break;
		case 'b':
			cli->base = optarg;
			break;
		case 'c':
			cli->config = optarg;
			break;
		case 'v':
			cli->verbose++;
			break;
		case 'f':
			cli->foreground = 1;
			break;
		case 'n':
			cli->only_set = 1;
			break;
		case 'o':
			cli->output = optarg;
			break;
		case OPT_JOURNAL:
			cli->journal = optarg;
			break;
		case OPT_STATE_DIR:
			cli->state_dir = optarg;
			break;
		case OPT_TLS_CA_FILE:
			cli->tls_ca_file = optarg;
			break;
		case OPT_TLS_CA_DIR:
			cli->tls_ca_dir = optarg;
			break;
		case OPT_TLS_CERT:
			cli->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cli->tls_key = optarg;
			break;
		case OPT_DRY_RUN:
			cli->dry_run = 1;
			break;
		case OPT_DN:
			cli->dn = optarg;
			break;
		case OPT_FORCE:
			cli->force = 1;
			break;
		case OPT_SINCE:
			cli->since = optarg;
			break;
		case OPT_PASS:
			cli->pass = optarg;
			break;
		case OPT_PASSWORD_FILE:
			cli->new_password_file = optarg;
			break;
		case OPT_JSON:
			cli->json = 1;
			break;
		case OPT_SET:
			if (parse_set(cli, optarg) < 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			exit(EX_OK);
		case 'V': {
			struct buf v = BUF_INIT;

			if (ldapc_versions(&v) < 0)
				log_fatal(EX_OSERR, "out of memory");
			printf("dirmail %s\n%s", PACKAGE_VERSION, buf_str(&v));
			buf_free(&v);
			exit(fflush(stdout) == 0 ? EX_OK : EX_IOERR);
		}
		case 'w':
			/* Refused on purpose: a password in argv is visible to every
			 * local user through ps(1). The value is not echoed. */
			log_error(
			    "-w is not supported: a password on the command line is "
			    "visible to other users; put it in a file (mode 0600) and use -y");
			return -1;
		case ':':
			log_error("option %s needs an argument", argv[optind - 1]);
			return -1;
		default:
			if (optopt)
				log_error("unknown option -%c", optopt);
			else
				log_error("unknown option %s", opt_name(argv[optind - 1]));
			return -1;
		}
	}
	if (optind >= argc) {
		log_error("no command given; see dirmail --help");
		return -1;
	}
	cli->command = argv[optind];
	cli->args = argv + optind + 1;
	cli->nargs = argc - optind - 1;
	return 0;
}

/* Loads the config file (when any) and lays the command-line flags over
 * it; each problem goes to errs as a line ("file:line: reason", or the
 * flag's). EX_OK, EX_CONFIG (the file) or EX_USAGE (a flag). */
static int load_conf_errs(const struct cli *cli, struct conf *c, struct buf *errs)
{
	struct stat st;
	const char *path = cli->config;
	int rc = EX_OK;
	const struct {
		const char *key;
		const char *val;
		const char *flag; /* the origin config shows */
	} over[] = {
	    {"ldap.uri", cli->uris.len ? buf_str(&cli->uris) : NULL, "-H"},
	    {"ldap.bind_dn", cli->bind_dn, "-D"},
	    {"ldap.password_file", cli->password_file, "-y"},
	    {"ldap.sasl_mech", cli->sasl_mech, "-Y"},
	    {"ldap.sasl_authcid", cli->sasl_authcid, "-U"},
	    {"ldap.sasl_authzid", cli->sasl_authzid, "-X"},
	    {"ldap.sasl_realm", cli->sasl_realm, "-R"},
	    {"ldap.starttls", cli->starttls ? "true" : NULL, "-Z"},
	    {"ldap.base", cli->base, "-b"},
	    {"ldap.tls.ca_file", cli->tls_ca_file, "--tls-ca-file"},
	    {"ldap.tls.ca_dir", cli->tls_ca_dir, "--tls-ca-dir"},
	    {"ldap.tls.cert_file", cli->tls_cert, "--tls-cert"},
	    {"ldap.tls.key_file", cli->tls_key, "--tls-key"},
	    {"journal.file", cli->journal, "--journal"},
	    {"state_dir", cli->state_dir, "--state-dir"},
	};
	char verbose[2] = {0, 0};
	size_t i;

	if (conf_init(c) < 0)
		log_fatal(EX_OSERR, "out of memory");
	/* Without -c the default file is optional: flags alone may suffice. */
	if (path == NULL && stat(CONF_DEFAULT_PATH, &st) == 0)
		path = CONF_DEFAULT_PATH;
	if (path != NULL && conf_load(c, path, errs) < 0)
		return EX_CONFIG;
	for (i = 0; i < sizeof(over) / sizeof(over[0]); i++) {
		if (over[i].val == NULL)
			continue;
		if (conf_set_from(c, over[i].key, over[i].val, over[i].flag, errs) < 0) {
			rc = EX_USAGE;
			break;
		}
	}
	/* Each -v raises log.verbose, up to its maximum of 2. */
	if (rc == EX_OK && cli->verbose > c->log_verbose) {
		verbose[0] = (char)('0' + (cli->verbose > 2 ? 2 : cli->verbose));
		if (conf_set_from(c, "log.verbose", verbose, cli->verbose > 1 ? "-vv" : "-v",
		                  errs) < 0)
			rc = EX_USAGE;
	}
	return rc;
}

/* load_conf_errs, its problems printed: the file's as they are, a flag's
 * logged. */
static int load_conf(const struct cli *cli, struct conf *c)
{
	struct buf errs = BUF_INIT;
	int rc = load_conf_errs(cli, c, &errs);

	if (rc == EX_USAGE) {
		log_error("%s", buf_str(&errs));
	} else if (rc != EX_OK) {
		fputs(buf_str(&errs), stderr);
		if (errs.len && errs.s[errs.len - 1] != '\n')
			fputc('\n', stderr);
	}
	buf_free(&errs);
	return rc;
}

/* Checks the settings as a whole: EX_OK, or EX_CONFIG with one line per
 * problem in errs. */
static int check_conf_errs(const struct conf *c, struct buf *errs)
{
	int rc = EX_OK;

	if (conf_check(c, errs) < 0)
		rc = EX_CONFIG;
	if (c->base != NULL && *c->base != '\0' && !ldapc_dn_valid(c->base)) {
		if (errs->len && errs->s[errs->len - 1] != '\n' && buf_puts(errs, "\n") < 0)
			log_fatal(EX_OSERR, "out of memory");
		if (buf_printf(errs, "ldap.base (-b) \"%s\": not a DN\n", c->base) < 0)
			log_fatal(EX_OSERR, "out of memory");
		rc = EX_CONFIG;
	}
	return rc;
}

/* check_conf_errs, each problem logged. */
static int check_conf(const struct conf *c)
{
	struct buf errs = BUF_INIT;
	int rc = check_conf_errs(c, &errs);

	if (rc != EX_OK)
		log_error_lines(buf_str(&errs));
	buf_free(&errs);
	return rc;
}

/* Connects and binds as configured: EX_OK, or EX_UNAVAILABLE (the
 * directory did not answer) or EX_CONFIG with the reason in err. */
static int open_ldap(const struct conf *c, struct ldapc **out, struct buf *err)
{
	struct ldapc_opts o;
	char *password = NULL;
	enum ldapc_rc lrc;
	int rc = EX_OK;

	*out = NULL;
	if (c->password_file != NULL) {
		password = secret_read_file(c->password_file, err);
		if (password == NULL)
			return EX_CONFIG;
	}
	/* Read by the Kerberos library later: checked here, said at once. */
	if (c->keytab != NULL && secret_check_file(c->keytab, "keytab", err) < 0) {
		secret_free(password);
		return EX_CONFIG;
	}
	memset(&o, 0, sizeof(o));
	o.uris = c->uri;
	o.bind_dn = c->bind_dn;
	o.password = password;
	o.sasl_mech = c->sasl_mech;
	o.sasl_authcid = c->sasl_authcid;
	o.sasl_authzid = c->sasl_authzid;
	o.sasl_realm = c->sasl_realm;
	o.keytab = c->keytab;
	o.starttls = c->starttls;
	o.tls_ca_file = c->tls_ca_file;
	o.tls_ca_dir = c->tls_ca_dir;
	o.tls_cert_file = c->tls_cert_file;
	o.tls_key_file = c->tls_key_file;
	o.tls_verify = c->tls_verify;
	o.timeout = c->timeout;
	o.op_timeout = c->op_timeout;
	o.dn_attrs = policy_dn_attrs();
	lrc = ldapc_open(&o, out, err);
	if (lrc != LDAPC_OK)
		rc = lrc == LDAPC_RETRY ? EX_UNAVAILABLE : EX_CONFIG;
	secret_free(password);
	return rc;
}

/* open_ldap, its failure logged. */
static int connect_ldap(const struct conf *c, struct ldapc **out)
{
	struct buf err = BUF_INIT;
	int rc = open_ldap(c, out, &err);

	if (rc != EX_OK)
		log_error("%s", buf_str(&err));
	buf_free(&err);
	return rc;
}

#ifndef SCHEMADIR
#define SCHEMADIR "/usr/share/dirmail/schema"
#endif

/* Checks that the directory's schema has every name dirmail needs (what
 * kind of directory it is decides which): EX_OK, EX_CONFIG with one message
 * naming what is missing and the schema file that brings it, or
 * EX_UNAVAILABLE. A schema this bind cannot read is a warning, not an
 * error: the pass that follows says soon enough what it cannot do. With
 * say, a line tells what was checked. */
static int check_schema(struct ldapc *l, int say, struct profile *out)
{
	struct buf err = BUF_INIT;
	struct profile p;
	size_t nneeds = 0;
	int lrc = LDAPC_OK, rc = EX_OK;

	memset(&p, 0, sizeof(p));
	if (profile_read(l, &p, &lrc, &err) < 0) {
		/* Unknown: taken for a plain LDAP server with every control. */
		p.controls = ~0u;
		if (lrc == LDAPC_RETRY) {
			log_error("%s", buf_str(&err));
			rc = EX_UNAVAILABLE;
		} else {
			log_warn("%s: the rootDSE cannot be read, the schema is not checked",
			         buf_str(&err));
		}
		goto done;
	}
	switch (schema_check_server(l, &p, SCHEMADIR, &nneeds, &err)) {
	case SCHEMA_OK:
		if (say)
			printf("schema: %s, all %zu names dirmail needs are in %s\n",
			       profile_name(&p), nneeds, p.subschema);
		break;
	case SCHEMA_MISSING: {
		struct buf msg = BUF_INIT;

		if (buf_printf(&msg, "%s: %s", ldapc_uri(l), buf_str(&err)) < 0)
			log_fatal(EX_OSERR, "out of memory");
		log_error_lines(buf_str(&msg));
		buf_free(&msg);
		rc = EX_CONFIG;
		break;
	}
	case SCHEMA_UNREADABLE:
		log_warn("%s", buf_str(&err));
		break;
	case SCHEMA_RETRY:
		log_error("%s", buf_str(&err));
		rc = EX_UNAVAILABLE;
		break;
	case SCHEMA_NOMEM:
		log_fatal(EX_OSERR, "out of memory");
	}
done:
	if (out != NULL)
		*out = p;
	else
		profile_free(&p);
	buf_free(&err);
	return rc;
}

static void print_list(const char *label, const struct strlist *l, const char *none)
{
	size_t i;

	printf("  %-17s", label);
	if (l->n == 0)
		printf("%s", none);
	for (i = 0; i < l->n; i++)
		printf("%s%s", i ? ", " : "", l->v[i]);
	printf("\n");
}

static void print_account(const struct account *a)
{
	char *pdom = a->primary_domain, *ptmpl = a->primary_template;
	struct strlist primary = {&pdom, 1};
	struct strlist tmpl = {&ptmpl, 1};

	printf("account %s\n", a->dn);
	print_list("primary domain", &primary, "");
	print_list("further domains", &a->domains, "none");
	print_list("primary template", &tmpl, "");
	print_list("secondary tmpl.", &a->secondary_templates, "none");
	printf("  %-17s%ld POP/IMAP mailboxes\n", "licences", a->licences);
	printf("  %-17s%ld MB total, default quota ", "storage", a->storage_total);
	if (a->default_quota == 0)
		printf("unlimited");
	else
		printf("%ld MB", a->default_quota);
	printf(", warning at %ld%%\n", a->warn_percent);
	printf("  %-17s%ld messages/hour, %ld recipients/message\n", "sending limits",
	       a->max_messages_per_hour, a->max_recipients);
	printf("  %-17s%s\n", "catch-all", a->catch_all);
	print_list("address lists", &a->address_lists, "none");
	printf("  %-17s%s\n", "exchange db", a->exchange_database ? a->exchange_database : "none");
	printf("  %-17s%s\n", "pop/imap host", a->popimap_host ? a->popimap_host : "none");
	printf("  %-17s%s\n", "contact base", a->contact_base);
	printf("  %-17s%ld deletions per pass\n", "delete threshold", a->delete_threshold);
}

/* Is dir writable, or can it be made (missing, in a writable parent)? 0,
 * or -1 with errno set. */
/* The directory path is in: "." without a slash, "/" for a file at the root. */
static void parent_dir(struct buf *out, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (buf_printf(out, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".") < 0 ||
	    (out->len == 0 && buf_puts(out, "/") < 0))
		log_fatal(EX_OSERR, "out of memory");
}

static int dir_usable(const char *dir, int *made_later)
{
	struct buf parent = BUF_INIT;
	struct stat st;
	int r;

	*made_later = 0;
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (access(dir, W_OK | X_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	parent_dir(&parent, dir);
	r = access(buf_str(&parent), W_OK | X_OK);
	buf_free(&parent);
	if (r == 0)
		*made_later = 1;
	else
		errno = ENOENT;
	return r;
}

/* Can dirmail keep its state and its journal where the settings say? The
 * state directory may be missing if the first pass can make it. EX_OK,
 * or EX_CONFIG with one line each naming the fix. */
static int check_dirs(const struct conf *c)
{
	struct buf jdir = BUF_INIT;
	int rc = EX_OK, later = 0;

	if (dir_usable(c->state_dir, &later) != 0) {
		log_error("state_dir \"%s\": %s; create it, mode 0700, owned by the user dirmail "
		          "runs as (make install does)",
		          c->state_dir, strerror(errno));
		rc = EX_CONFIG;
	}
	parent_dir(&jdir, c->journal_file);
	/* The journal's directory is made only as the state directory. */
	if (access(buf_str(&jdir), W_OK | X_OK) != 0 &&
	    !(later && strcmp(buf_str(&jdir), c->state_dir) == 0)) {
		log_error("journal.file \"%s\": its directory: %s; create it for the user dirmail "
		          "runs as",
		          c->journal_file, strerror(errno));
		rc = EX_CONFIG;
	} else if (access(c->journal_file, F_OK) == 0 && access(c->journal_file, W_OK) != 0) {
		log_error("journal.file \"%s\": %s; dirmail appends to it", c->journal_file,
		          strerror(errno));
		rc = EX_CONFIG;
	}
	buf_reset(&jdir);
	if (c->metrics_textfile != NULL) {
		parent_dir(&jdir, c->metrics_textfile);
		if (access(buf_str(&jdir), W_OK | X_OK) != 0) {
			log_error(
			    "metrics.textfile \"%s\": its directory: %s; let the user dirmail "
			    "runs as write there (dirmail(8), METRICS)",
			    c->metrics_textfile, strerror(errno));
			rc = EX_CONFIG;
		}
	}
	buf_free(&jdir);
	return rc;
}

static const char *const contact_classes[] = {"inetOrgPerson", "dirmailRecipient", NULL};
static const char *const ad_contact_classes[] = {"contact", NULL};

/* May the bind write what dirmail owns? Asked of AD without changing
 * anything; said to be unchecked elsewhere. EX_OK, EX_CONFIG (a right
 * missing, each named with its fix) or EX_UNAVAILABLE. */
static int check_rights(struct ldapc *l, const struct conf *c, const struct profile *p,
                        const char *acct, const char *contact_base)
{
	struct buf err = BUF_INIT;
	int r;

	if (!p->ad) {
		printf("write rights: unchecked: %s offers no effective-rights answer to dirmail; "
		       "a pass stops after the first few refusals of one kind\n",
		       profile_name(p));
		return EX_OK;
	}
	r = rights_check(l, c->base, acct, contact_base, ad_contact_classes[0], &err);
	if (r < 0)
		log_error("checking the write rights: %s", buf_str(&err));
	buf_free(&err);
	return r < 0 ? EX_UNAVAILABLE : r > 0 ? EX_CONFIG : EX_OK;
}

static int cmd_check_config(const struct cli *cli, struct conf *c)
{
	struct profile prof;
	struct account a;
	struct ldapc *l = NULL;
	struct entry *e = NULL;
	char *who = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&prof, 0, sizeof(prof));
	if (check_opts(cli, 0, 0, 0) < 0) {
		rc = EX_USAGE;
		goto done;
	}
	rc = check_conf(c);
	if (rc != EX_OK)
		goto done;
	rc = connect_ldap(c, &l);
	if (rc != EX_OK)
		goto done;
	who = ldapc_whoami(l);
	/* Samba has no WhoAmI (RFC 4532): then what the bind presented, the
	 * DN or the SASL name (GSSAPI's principal), is what we know. */
	if (who == NULL)
		printf("connected to %s as %s (the server does not say)\n", ldapc_uri(l),
		       ldapc_bind_identity(l));
	else
		printf("connected to %s as %s\n", ldapc_uri(l), *who ? who : "(anonymous)");
	if (who != NULL && *who == '\0' && c->bind_dn == NULL && c->sasl_mech == NULL) {
		log_error("%s: the bind is anonymous, which may write nothing: give a bind DN and "
		          "password file (-D, -y) or a SASL mechanism (-Y)",
		          ldapc_uri(l));
		rc = EX_CONFIG;
		goto done;
	}
	rc = check_schema(l, 1, &prof);
	if (rc != EX_OK)
		goto done;
	rc = reconcile_find_account(l, c->base, c->page_size, &e);
	if (rc != EX_OK)
		goto done;
	rc = reconcile_check_account(l, e, &a, NULL);
	if (rc != EX_OK)
		goto done;
	print_account(&a);
	rc = check_rights(l, c, &prof, e->dn, a.contact_base);
	if (rc != EX_OK)
		goto done;
	rc = check_dirs(c);
	if (rc != EX_OK)
		goto done;
	printf("configuration OK\n");
done:
	free(who);
	profile_free(&prof);
	account_free(&a);
	entry_free(e);
	ldapc_close(l);
	return rc;
}

/* Refuses the options that belong to other commands. */
static int check_opts(const struct cli *cli, int dry_run_ok, int force_ok, int dn_ok)
{
	const char *bad = NULL;

	if (cli->dry_run && !dry_run_ok)
		bad = "--dry-run";
	else if (cli->force && !force_ok)
		bad = "--force";
	else if (cli->dn && !dn_ok)
		bad = "--dn";
	else if (cli->output && strcmp(cli->command, "export") != 0)
		bad = "-o";
	else if (cli->since)
		bad = "--since";
	else if (cli->pass)
		bad = "--pass";
	else if (cli->only_set && strcmp(cli->command, "config") != 0)
		bad = "-n";
	else if (cli->foreground && strcmp(cli->command, "run") != 0)
		bad = "-f";
	else if (cli->nsets > 0 && strcmp(cli->command, "plan") != 0)
		bad = "--set";
	else if (cli->new_password_file && strcmp(cli->command, "passwd") != 0)
		bad = "--password-file";
	else if (cli->json && strcmp(cli->command, "status") != 0)
		bad = "--json";
	if (bad != NULL) {
		log_error("%s does not apply to %s", bad, cli->command);
		return -1;
	}
	if (cli->nargs > 0) {
		log_error("%s takes no arguments", cli->command);
		return -1;
	}
	return 0;
}

/* Prints the effective settings (conf_print): with -n only those given in
 * the file or by a flag, as postconf -n does. */
static int cmd_config(const struct cli *cli, struct conf *c)
{
	struct buf out = BUF_INIT;
	int rc = EX_OK;

	if (check_opts(cli, 0, 0, 0) < 0)
		return EX_USAGE;
	if (conf_print(c, cli->only_set, &out) < 0)
		log_fatal(EX_OSERR, "out of memory");
	if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		log_error("config: writing to standard output failed");
		rc = EX_IOERR;
	}
	buf_free(&out);
	return rc;
}

/* What the kind of directory decides for a pass. OpenLDAP: the project's
 * AD-compatible schema, whose dirmailRecipient class an object gets to
 * carry the derived attributes, and the assertion control on every write.
 * Active Directory: the classes are the auxiliaryClass of user, group and
 * contact already (the schema/ files for AD, as Exchange's are), contacts are
 * contact objects, and a server without the assertion control (AD, Samba)
 * gets writes guarded by the values they delete instead. */
static void profile_opts(const struct profile *p, struct rec_opts *o)
{
	o->recipient_class = p->ad ? NULL : "dirmailRecipient";
	o->contact_classes = p->ad ? ad_contact_classes : contact_classes;
	o->no_assertion = !(p->controls & PROFILE_C_ASSERT);
}

/* Shared by reconcile and plan: connect, read the account, run a pass. */
/* Shared by reconcile, plan and explain (explain: the object to explain,
 * its explanation printed, nothing written). */
static int run_pass(const struct cli *cli, struct conf *c, FILE *plan, const char *explain)
{
	struct status_names names[POL_ERROR + 1];
	struct buf out = BUF_INIT, pass_id = BUF_INIT;
	struct rec_opts o;
	struct rec_stats st;
	struct account a;
	struct ldapc *l = NULL;
	struct entry *e = NULL;
	struct profile prof;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&prof, 0, sizeof(prof));
	memset(names, 0, sizeof(names));
	rc = check_conf(c);
	if (rc != EX_OK)
		goto done;
	rc = connect_ldap(c, &l);
	if (rc != EX_OK)
		goto done;
	rc = check_schema(l, 0, &prof);
	if (rc != EX_OK)
		goto done;
	rc = reconcile_find_account(l, c->base, c->page_size, &e);
	if (rc != EX_OK)
		goto done;
	/* What-if values for the account entry go in before it is checked. */
	if (reconcile_apply_sets(e, NULL, cli->sets, cli->nsets) < 0)
		log_fatal(EX_OSERR, "out of memory");
	memset(&o, 0, sizeof(o));
	o.base = c->base;
	o.page_size = c->page_size;
	o.window = c->window;
	o.connections = c->connections;
	o.dry_run = cli->dry_run;
	o.plan = plan;
	o.force = cli->force;
	o.only_dn = explain ? explain : cli->dn;
	o.sets = cli->sets;
	o.nsets = cli->nsets;
	o.journal = c->journal_file;
	o.journal_max_mb = c->journal_max_size;
	if (journal_pass_id(&pass_id, time(NULL), (long)getpid(), 1) < 0)
		log_fatal(EX_OSERR, "out of memory");
	o.pass_id = buf_str(&pass_id);
	o.state_dir = c->state_dir;
	o.min_seen_percent = c->min_seen_percent;
	profile_opts(&prof, &o);
	if (cli->status != NULL) {
		o.state_of = status_note_state;
		o.state_arg = names;
	}
	rc = reconcile_check_account(l, e, &a, &out);
	if (rc == EX_CONFIG && out.len > 0 && plan == NULL && !cli->dry_run && explain == NULL &&
	    cli->nsets == 0) {
		/* The reasons go on the account entry too, where admins look. */
		log_error("the account entry or an entry it names is wrong or cannot be read by "
		          "this bind; nothing was computed, the account's dirmailState says why");
		if (reconcile_account_invalid(l, e, buf_str(&out), &o, &st) != EX_OK)
			log_error("%s: its dirmailState could not be written", e->dn);
		goto done;
	}
	if (rc != EX_OK) {
		log_error("the account entry or an entry it names is wrong or cannot be read by "
		          "this bind; nothing was computed or written");
		goto done;
	}
	buf_reset(&out);
	if (explain != NULL) {
		rc = reconcile_explain(l, &a, e, &o, &out);
		if (rc == EX_OK &&
		    (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0)) {
			log_error("explain: writing to standard output failed");
			rc = EX_IOERR;
		}
		goto done;
	}
	rc = reconcile_run(l, &a, e, &o, &st);
	if (cli->status != NULL &&
	    (status_take_pass(cli->status, &st, names, rc, NULL, time(NULL)) < 0 ||
	     status_set(&cli->status->uri, ldapc_uri(l)) < 0 ||
	     status_set(&cli->status->base, c->base) < 0))
		log_fatal(EX_OSERR, "out of memory");
	if (plan == NULL && !cli->dry_run && st.writes > 0)
		log_info("pass %s: its writes are journaled in %s", o.pass_id, c->journal_file);
	/* A plan ends with its summary, as a comment ldapmodify skips; the
	 * log line, the one a script reads, says how long it took too. */
	if (plan != NULL) {
		if (reconcile_summary(&st, 0, &out) < 0)
			log_fatal(EX_OSERR, "out of memory");
		if (fprintf(plan, "# summary: %s\n", buf_str(&out)) < 0 || fflush(plan) != 0) {
			log_error("plan: writing to standard output failed");
			rc = EX_IOERR;
		}
		buf_reset(&out);
	}
	if (reconcile_summary(&st, REC_SUM_MS, &out) < 0)
		log_fatal(EX_OSERR, "out of memory");
	/* status says it in its own words. */
	log_msg(cli->status ? LOG_LVL_DEBUG : LOG_LVL_NOTICE, "%s: %s",
	        plan           ? "plan"
	        : cli->dry_run ? "dry run"
	                       : "pass",
	        buf_str(&out));
	/* Converged, and yet some users or lists are not served as asked. */
	if (rc == EX_OK && plan == NULL && reconcile_blocked(&st) > 0)
		rc = REC_EX_BLOCKED;
done:
	account_free(&a);
	entry_free(e);
	ldapc_close(l);
	buf_free(&out);
	profile_free(&prof);
	buf_free(&pass_id);
	status_names_clear(names);
	return rc;
}

/* The daemon's view of the command line: a reload reads the same file
 * with the same flags over it. */
static int host_load(struct conf *c, struct buf *errs, const void *arg)
{
	int rc = load_conf_errs(arg, c, errs);

	return rc != EX_OK ? rc : check_conf_errs(c, errs);
}

static int host_connect(const struct conf *c, struct ldapc **out, struct buf *err, const void *arg)
{
	(void)arg;
	return open_ldap(c, out, err);
}

/* RFC 4533 where the server offers it, else uSNChanged on AD; the pass
 * options as for reconcile. */
static void host_flavour(const struct profile *p, struct sync_flavour *out)
{
	struct rec_opts o;

	memset(&o, 0, sizeof(o));
	profile_opts(p, &o);
	out->source =
	    p->ad && !(p->controls & PROFILE_C_SYNC) ? &sync_source_usn : &sync_source_rfc4533;
	out->recipient_class = o.recipient_class;
	out->contact_classes = o.contact_classes;
	out->no_assertion = o.no_assertion;
	out->lease_class = p->ad ? "container" : "applicationProcess";
}

static int cmd_run(const struct cli *cli, struct conf *c)
{
	struct sync_host h;
	int rc;

	if (check_opts(cli, 0, 0, 0) < 0)
		return EX_USAGE;
	rc = check_conf(c);
	if (rc != EX_OK)
		return rc;
	memset(&h, 0, sizeof(h));
	h.load = host_load;
	h.connect = host_connect;
	h.arg = cli;
	h.flavour = host_flavour;
	return sync_run(&h, c, cli->foreground);
}

static int cmd_reconcile(const struct cli *cli, struct conf *c)
{
	if (check_opts(cli, 1, 1, 1) < 0)
		return EX_USAGE;
	return run_pass(cli, c, NULL, NULL);
}

static int cmd_plan(const struct cli *cli, struct conf *c)
{
	int rc;

	if (check_opts(cli, 0, 1, 1) < 0)
		return EX_USAGE;
	rc = run_pass(cli, c, stdout, NULL);
	if (fflush(stdout) != 0 && rc == EX_OK)
		rc = EX_IOERR;
	return rc;
}

/* Reads the daemon's status from the state directory into s: the daemon's
 * pid in *pid when one runs (1), else 0; EX_OK, or EX_NOPERM when the
 * state directory cannot be read. A damaged status file is set aside
 * with a warning: what the daemon writes next replaces it. */
static int status_read(const struct conf *c, struct status *s, long *pid, int *running)
{
	struct buf err = BUF_INIT;
	char *text = NULL;
	int rc = EX_OK;

	*running = state_daemon_running(c->state_dir, pid, &err);
	if (*running < 0 || state_status_load(c->state_dir, &text, &err) < 0) {
		log_error("%s; run dirmail status as the user dirmail runs as, or as root",
		          buf_str(&err));
		rc = EX_NOPERM;
	} else if (text != NULL && status_parse(text, s, &err) < 0) {
		log_warn("%s/%s:%s; the file is ignored", c->state_dir, STATE_STATUS_FILE,
		         buf_str(&err));
		status_clear(s);
	}
	free(text);
	buf_free(&err);
	return rc;
}

/* dirmail status: while a daemon runs, what it keeps in the state
 * directory; when none does, the figures of a read-only pass. */
static int cmd_status(const struct cli *cli, struct conf *c)
{
	struct buf out = BUF_INIT;
	struct cli rest = *cli;
	struct status s;
	long pid = 0;
	int running = 0, rc;

	if (check_opts(cli, 0, 0, 0) < 0)
		return EX_USAGE;
	status_init(&s);
	rc = status_read(c, &s, &pid, &running);
	if (rc != EX_OK)
		goto done;
	if (running) {
		if (s.updated == 0)
			s.daemon = STATUS_STARTING;
		s.pid = pid;
	} else {
		if (status_gone(&s) < 0)
			log_fatal(EX_OSERR, "out of memory");
		rest.status = &s;
		rest.dry_run = 1;
		(void)run_pass(&rest, c, NULL, NULL); /* what failed is logged */
	}
	if ((cli->json ? status_render_json(&s, time(NULL), &out)
	               : status_render_text(&s, time(NULL), &out)) < 0)
		log_fatal(EX_OSERR, "out of memory");
	rc = fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0
	         ? EX_IOERR
	         : status_exit(&s);
	if (rc == EX_IOERR)
		log_error("status: writing to standard output failed");
done:
	status_clear(&s);
	buf_free(&out);
	return rc;
}

/* Writes out to -o FILE (atomically) or standard output. */
static int emit(const struct cli *cli, const char *what, const struct buf *out)
{
	struct buf err = BUF_INIT;
	int rc = EX_OK;

	if (cli->output != NULL && strcmp(cli->output, "-") != 0) {
		if (export_write_file(cli->output, buf_str(out), out->len, &err) < 0) {
			log_error("%s: %s", what, buf_str(&err));
			rc = EX_CANTCREAT;
		}
	} else if (fwrite(buf_str(out), 1, out->len, stdout) != out->len || fflush(stdout) != 0) {
		log_error("%s: writing to standard output failed", what);
		rc = EX_IOERR;
	}
	buf_free(&err);
	return rc;
}

/* For the commands of one object (explain, passwd): exactly one operand,
 * a DN or a login, and no option of another command. 0, or -1 (logged). */
static int one_object(const struct cli *cli)
{
	struct cli rest = *cli;

	if (cli->nargs != 1) {
		log_error("%s needs one DN or login (user@domain); see dirmail --help",
		          cli->command);
		return -1;
	}
	rest.args++;
	rest.nargs--;
	return check_opts(&rest, 0, 0, 0);
}

static int cmd_explain(const struct cli *cli, struct conf *c)
{
	if (one_object(cli) < 0)
		return EX_USAGE;
	return run_pass(cli, c, NULL, cli->args[0]);
}

static int cmd_passwd(const struct cli *cli, struct conf *c)
{
	struct passwd_opts o;
	struct ldapc *l = NULL;
	int rc;

	if (one_object(cli) < 0)
		return EX_USAGE;
	/* Never from a pipe: a password typed into a shell's history or
	 * echoed by a script is one more copy of it. */
	if (cli->new_password_file == NULL && !isatty(STDIN_FILENO)) {
		log_error("passwd: standard input is no terminal to ask for the new password on; "
		          "give --password-file FILE (mode 0600)");
		return EX_USAGE;
	}
	rc = check_conf(c);
	if (rc != EX_OK)
		return rc;
	rc = connect_ldap(c, &l);
	if (rc != EX_OK)
		return rc;
	memset(&o, 0, sizeof(o));
	o.base = c->base;
	o.page_size = c->page_size;
	o.user = cli->args[0];
	o.password_file = cli->new_password_file;
	o.bind_dn = c->bind_dn;
	rc = passwd_run(l, &o);
	ldapc_close(l);
	return rc;
}

static int cmd_journal(const struct cli *cli, struct conf *c)
{
	struct buf out = BUF_INIT, report = BUF_INIT;
	struct journal_select sel;
	struct cli rest = *cli;
	long n, bad = 0, nsel = 0;
	time_t since = 0;
	int rc = EX_OK;

	if (cli->nargs < 1 ||
	    (strcmp(cli->args[0], "verify") != 0 && strcmp(cli->args[0], "undo") != 0)) {
		log_error("journal needs verify or undo; see dirmail --help");
		return EX_USAGE;
	}
	rest.args++;
	rest.nargs--;
	/* -o, --since, --pass and --dn belong to undo; check_opts sees the
	 * words after it. */
	if (strcmp(cli->args[0], "undo") == 0) {
		rest.output = NULL;
		rest.since = NULL;
		rest.pass = NULL;
		rest.dn = NULL;
	}
	if (check_opts(&rest, 0, 0, 0) < 0)
		return EX_USAGE;
	if (c->journal_file == NULL || *c->journal_file == '\0') {
		log_error("no journal: give --journal FILE or set journal.file");
		return EX_USAGE;
	}
	if (cli->since && isotime_parse(cli->since, &since) < 0) {
		log_error("--since \"%s\": not a time; give one as " ISOTIME_FORMS, cli->since);
		return EX_USAGE;
	}
	if (cli->dn && !ldapc_dn_valid(cli->dn)) {
		log_error("--dn \"%s\": not a DN", cli->dn);
		return EX_USAGE;
	}
	if (cli->pass && *cli->pass == '\0') {
		log_error("--pass: give the pass as the journal names it (# pass: ID)");
		return EX_USAGE;
	}
	if (strcmp(cli->args[0], "verify") == 0) {
		n = journal_verify(c->journal_file, &report, &bad);
		log_error_lines(buf_str(&report));
		if (n >= 0)
			printf("%s: %ld change records, all with a successful result\n",
			       c->journal_file, n);
		else if (bad > 0)
			printf(
			    "%s: %ld requests failed, were not sent or have an unknown outcome\n",
			    c->journal_file, bad);
		rc = n >= 0 ? EX_OK : access(c->journal_file, R_OK) == 0 ? EX_DATAERR : EX_NOINPUT;
		goto done;
	}
	sel.since = since;
	sel.pass = cli->pass;
	sel.dn = cli->dn;
	n = journal_undo_select(c->journal_file, &sel, &out, &report, &bad, &nsel);
	log_error_lines(buf_str(&report));
	if (n < 0) {
		rc = EX_NOINPUT;
		goto done;
	}
	if (nsel == 0 && cli->pass) {
		/* a mistyped or rotated pass must not read as "nothing to undo" */
		log_error("no change of pass %s in %s (rotated journals, %s.1 ..., are not read)",
		          cli->pass, c->journal_file, c->journal_file);
		rc = EX_DATAERR;
		goto done;
	}
	rc = emit(cli, "journal undo", &out);
	if (rc == EX_OK && bad > 0) {
		log_error(
		    "%ld changes cannot be reverted or have an unknown outcome (listed above); "
		    "every change that can be reverted is in the output",
		    bad);
		rc = EX_DATAERR;
	}
done:
	buf_free(&out);
	buf_free(&report);
	return rc;
}

static int cmd_export(const struct cli *cli, struct conf *c)
{
	struct buf out = BUF_INIT;
	struct ldapc *l = NULL;
	int rc;

	if (check_opts(cli, 0, 0, 0) < 0)
		return EX_USAGE;
	rc = check_conf(c);
	if (rc != EX_OK)
		goto done;
	rc = connect_ldap(c, &l);
	if (rc != EX_OK)
		goto done;
	rc = export_run(l, c->base, c->page_size, &out);
	if (rc != EX_OK)
		goto done;
	rc = emit(cli, "export", &out);
done:
	ldapc_close(l);
	buf_free(&out);
	return rc;
}

static void free_sets(struct cli *cli)
{
	size_t i;

	for (i = 0; i < cli->nsets; i++) {
		free(dm_unconst(cli->sets[i].dn));
		free(dm_unconst(cli->sets[i].attr));
	}
	free(cli->sets);
}

int main(int argc, char **argv)
{
	struct cli cli;
	struct conf c;
	size_t i;
	int rc;

	/* The host's ldap.conf and ~/.ldaprc must never change behaviour. */
	setenv("LDAPNOINIT", "1", 1);
	/* A file size limit is a write error (EFBIG) to report, not a death. */
	signal(SIGXFSZ, SIG_IGN);
	log_init("dirmail", 1, LOG_DAEMON, 0);
	memset(&cli, 0, sizeof(cli));
	memset(&c, 0, sizeof(c));
	if (parse_cli(argc, argv, &cli) < 0) {
		buf_free(&cli.uris);
		free_sets(&cli);
		return EX_USAGE;
	}
	log_init("dirmail", 1, LOG_DAEMON, cli.verbose);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cli.command, commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		log_error("unknown command '%s'; see dirmail --help", cli.command);
		rc = EX_USAGE;
		goto done;
	}
	rc = load_conf(&cli, &c);
	if (rc != EX_OK)
		goto done;
	log_init("dirmail", 1, LOG_DAEMON, c.log_verbose);
	rc = commands[i].run(&cli, &c);
done:
	conf_free(&c);
	buf_free(&cli.uris);
	free_sets(&cli);
	return rc;
}
