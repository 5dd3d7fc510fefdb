/*
 * tables.h - the OpenDKIM-style data sets authmilter reads: host lists
 * (InternalHosts, PeerList, ExternalIgnoreList), the KeyTable, the
 * SigningTable (plain and "refile:" wildcard tables) and the Domain list.
 *
 * A data set is named as OpenDKIM names it (opendkim(8) "DATA SETS"):
 *   "file:PATH" or a value starting with '/' or "./" or "../": a file, one
 *              entry per line, '#' starts a comment;
 *   "refile:PATH": a file whose keys are wildcard patterns ('*');
 *   "csl:a,b,c" or any other value: an inline comma-separated list.
 * Everything read here is bounded (line length, entry count) and every
 * problem is reported with FILE:LINE through am_problems.
 */
#ifndef AM_TABLES_H
#define AM_TABLES_H

#include <stddef.h>
#include "au_dkim.h"
#include "au_ip.h"

#define AM_MAX_LINE	4096	/* bytes of one line of a config file or table */
#define AM_MAX_ENTRIES	100000	/* entries of one table */
#define AM_MAX_KEYS_PER_ENTRY 8	/* keys one SigningTable entry may name */

/* Collects problems found while reading the configuration. */
typedef struct am_problems {
	unsigned	 nerr, nwarn;
	int		 to_log;	/* 1: am_log(); 0: stderr */
	int		 quiet;		/* count only (reload dry runs) */
} am_problems;

/* Report one problem; where is "FILE:LINE" or a key name (may be NULL). */
void	 am_problem(am_problems *p, int is_error, const char *where,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---------------------------------------------------------------- hosts */

typedef struct am_hostlist am_hostlist;

/*
 * Parse a host data set: IPv4/IPv6 addresses (optionally in brackets),
 * CIDR blocks, host names, ".domain" / "*.domain" suffixes; a leading '!'
 * excludes.  what names the key for messages.  Returns NULL only on
 * ENOMEM; parse problems are reported and the entry skipped.
 */
am_hostlist *am_hostlist_parse(const char *spec, const char *what,
	    am_problems *pr);
/*
 * Is the client in the set?  Host names are matched first (most precise
 * first), then the address by longest prefix; the most precise entry
 * decides, so "192.0.2.1" beats "!192.0.2.0/24" and vice versa.
 */
int	 am_hostlist_match(const am_hostlist *h, const au_ip *ip,
	    const char *hostname);
size_t	 am_hostlist_count(const am_hostlist *h);
am_hostlist *am_hostlist_free(am_hostlist *h);

/* ----------------------------------------------------------- key table */

typedef struct am_key {
	char		*name;		/* KeyTable key ("" for KeyFile) */
	char		*domain;	/* d=, or "%" = the From domain */
	char		*selector;	/* s= */
	char		*path;		/* key file, or NULL for inline key data */
	char		*where;		/* "FILE:LINE" */
	au_dkim_private_key *key;	/* loaded key, or NULL if it failed */
	int		 used;		/* named by the SigningTable */
} am_key;

typedef struct am_keytable {
	am_key		*keys;
	size_t		 n;
} am_keytable;

/*
 * Read a KeyTable: "name domain:selector:keyfile-or-data".  Keys are loaded
 * now (require_safe as RequireSafeKeys); a key that fails is reported and
 * kept with key == NULL so that -n can say everything that is wrong.
 */
int	 am_keytable_load(am_keytable *kt, const char *spec, int require_safe,
	    am_problems *pr);
/* Relative key file paths in a KeyTable are taken from the table's directory. */
/* The single key of Domain/Selector/KeyFile. */
int	 am_keytable_add_single(am_keytable *kt, const char *selector,
	    const char *keyfile, int require_safe, am_problems *pr);
am_key	*am_keytable_find(const am_keytable *kt, const char *name);
void	 am_keytable_clear(am_keytable *kt);

/* -------------------------------------------------------- signing table */

typedef struct am_signref {
	am_key		*key;		/* resolved KeyTable entry (NULL = missing) */
	char		*signer;	/* i= template ("%" = From domain), or NULL */
} am_signref;

typedef struct am_signent {
	char		*pattern;	/* address, domain, ".domain", "*" pattern */
	char		*where;
	size_t		 seq;		/* position in the file */
	am_signref	 refs[AM_MAX_KEYS_PER_ENTRY];
	size_t		 nrefs;
} am_signent;

typedef struct am_signtab {
	int		 refile;	/* patterns are wildcards, file order */
	am_signent	*ents;
	size_t		 n;
} am_signtab;

/*
 * Read a SigningTable: "pattern keyname[:signer][,keyname[:signer]...]".
 * Key names are resolved against kt now (missing ones are errors, and
 * every KeyTable entry named is marked used).
 */
int	 am_signtab_load(am_signtab *st, const char *spec, am_keytable *kt,
	    am_problems *pr);
/*
 * The entries that apply to the From address "user@domain" (lower case):
 * OpenDKIM's order for plain tables (user@host, host, user@.parent...,
 * .parent..., user@*, *), file order for refile tables.  Writes up to max
 * entries (only the first unless multiple) and returns how many.
 */
size_t	 am_signtab_lookup(const am_signtab *st, const char *addr,
	    int multiple, const am_signent **out, size_t max);
void	 am_signtab_clear(am_signtab *st);

/* Wildcard match ('*' = any run of bytes), ASCII case-insensitive. */
int	 am_wildmatch(const char *pat, const char *s);

/* --------------------------------------------------------------- domains */

typedef struct am_strlist {
	char		**v;
	size_t		 n;
} am_strlist;

/* A data set of plain strings (Domain, SignHeaders, ...). */
int	 am_strlist_parse(am_strlist *l, const char *spec, const char *what,
	    am_problems *pr);
void	 am_strlist_clear(am_strlist *l);

/*
 * Extract the address of a From field value (display names, comments,
 * quoted local parts, angle brackets; the first mailbox of a list) into
 * out as lower-case "local@domain".  Returns 0, or -1 if no address.
 */
int	 am_from_address(const char *value, size_t len, char *out, size_t outlen);

#endif
