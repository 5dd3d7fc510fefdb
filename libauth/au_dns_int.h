/*
 * au_dns_int.h - internal glue between the DNS front end (au_dns.c: cache,
 * name checks, reference counting) and its back ends (dns_ldns.c,
 * dns_zone.c).  Not installed.
 */
#ifndef AU_DNS_INT_H
#define AU_DNS_INT_H

#include "au_dns.h"

typedef struct au_dns_backend {
	/*
	 * Answer name/type into a freshly allocated answer (refs = 1).
	 * name is checked (labels 1..63 octets, at most 253 octets), lower
	 * case, without a trailing dot.  Negative answers (NXDOMAIN, NODATA)
	 * carry the negative TTL (RFC 2308: from the SOA, else 300); the
	 * front end caches RECORDS, NXDOMAIN and NODATA for ttl seconds (at
	 * most one day), never SERVFAIL or TIMEOUT.
	 */
	au_status (*query)(void *ctx, const char *name, au_dns_type type,
	    au_dns_answer **out);
	void	(*free)(void *ctx);
	void	*ctx;
} au_dns_backend;

/* Wrap a back end into a resolver handle (takes ownership of be.ctx). */
au_status au_dns__new(au_dns **out, au_dns_backend be, size_t cache_entries);

/*
 * Allocate an answer with n zeroed records (count = n, refs = 1, ttl 0,
 * reason "").  A back end fills rr[0..n) and may lower count.  The strings
 * of a record are malloc'd and freed with the answer, by the asked type:
 *   MX: u.mx.host;  NS, CNAME, PTR, SOA: u.name (SOA: the MNAME);
 *   A, AAAA: none;  TXT, SPF and any other type: u.txt.data (for a type
 *   with no parser here: the raw RDATA, nstrings 0).
 * NULL on overflow or out of memory.
 */
au_dns_answer *au_dns__answer_new(au_dns_type type, au_dns_outcome outcome, size_t n);

/* Free the strings of one record of type t (see above) and zero them. */
void	 au_dns__rr_clear(au_dns_type t, au_dns_rr *rr);

/* Deep-copy one record of type t; AU_ENOMEM leaves dst zeroed. */
au_status au_dns__rr_copy(au_dns_type t, au_dns_rr *dst, const au_dns_rr *src);

/*
 * Tests only: move the cache clock of dns forward by seconds, so TTL expiry
 * can be tested without sleeping.
 */
void	 au_dns__clock_advance(au_dns *dns, double seconds);

/* Back-end constructors. */
au_status au_dns__ldns_backend(au_dns_backend *be, const au_dns_opts *opts,
    char *err, size_t errlen);
au_status au_dns__zone_backend(au_dns_backend *be, const char *const *files,
    size_t nfiles, const char *text, size_t textlen, char *err, size_t errlen);

#endif
