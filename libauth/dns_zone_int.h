/*
 * dns_zone_int.h - internal interface between the master-file parser
 * (dns_zone_parse.c, RFC 1035 section 5, RFC 3597 section 5) and the
 * in-memory zone store that answers queries (dns_zone.c).  Not installed.
 *
 * The parser turns text into records and hands each to the store; the store
 * owns names, records and ";%TIMEOUT" marks.  After au_zone__finish() the
 * store is immutable and may be queried from several threads at once.
 */
#ifndef DNS_ZONE_INT_H
#define DNS_ZONE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "au_dns.h"

/* Bounds on what a zone may hold. */
#define AU_ZONE_MAX_FILE	(64u * 1024 * 1024)	/* bytes per master file */
#define AU_ZONE_MAX_RECORDS	1000000u		/* records over all files */
#define AU_ZONE_MAX_TIMEOUTS	100000u			/* ;%TIMEOUT marks */
#define AU_ZONE_MAX_NAMES	2000000u		/* names, with the ones above owners */
#define AU_ZONE_MAX_NAME_BYTES	(128u * 1024 * 1024)	/* text of all those names */

/*
 * One record on its way into the store.  The strings in rr are malloc'd
 * (which member depends on type, as for au_dns_answer); key is the
 * canonical form of the record data, used to serve identical records once.
 */
typedef struct au_zone_rr {
	uint16_t	 type;
	uint32_t	 ttl;
	uint32_t	 soa_min;	/* SOA only: the MINIMUM field */
	uint32_t	 seq;		/* set by the store: order of arrival */
	au_dns_rr	 rr;
	unsigned char	*key;
	size_t		 keylen;
} au_zone_rr;

typedef struct au_zone au_zone;

au_zone		*au_zone__new(void);
void		 au_zone__free(au_zone *z);

/*
 * Add a record under owner (plain text, any case, no trailing dot, "" is
 * the root).  Takes ownership of the record's memory, also on failure.
 * AU_ETOOBIG when the zone already holds AU_ZONE_MAX_RECORDS records or
 * the names would pass AU_ZONE_MAX_NAMES / AU_ZONE_MAX_NAME_BYTES.
 */
au_status	 au_zone__add(au_zone *z, const char *owner, au_zone_rr *rr);

/* Note that owner exists (a record of a type the store does not keep). */
au_status	 au_zone__touch(au_zone *z, const char *owner);

/* Record a ";%TIMEOUT NAME [TYPE ...]" mark; ntypes 0 means "every type without records". */
au_status	 au_zone__timeout(au_zone *z, const char *name,
		    const uint16_t *types, size_t ntypes);

/* Sort, merge identical records, freeze.  Call once, after the last add. */
au_status	 au_zone__finish(au_zone *z);

/* Answer a query like an authoritative server (see dns_zone.c). */
au_status	 au_zone__query(const au_zone *z, const char *name,
		    au_dns_type type, au_dns_answer **out);

/*
 * Parse master-file text into z.  fname names the source in errors, which
 * read "FNAME:LINE: what is wrong".  The origin starts as the root.
 */
au_status	 au_zone__parse(au_zone *z, const char *fname, const char *text,
		    size_t len, char *err, size_t errlen);

/* Read a file (at most AU_ZONE_MAX_FILE bytes) and parse it into z. */
au_status	 au_zone__parse_file(au_zone *z, const char *path, char *err,
		    size_t errlen);

#endif
