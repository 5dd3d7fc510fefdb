/*
 * au_dns.h - the DNS interface every other libauth module uses.
 *
 * One handle (au_dns) hides the back end:
 *   - ldns over the network (RFC 1035 over UDP, TCP when truncated), with
 *     servers from /etc/resolv.conf or given as ADDR[:PORT] / [V6ADDR]:PORT;
 *   - an RFC 1035 master file loaded into memory (offline use and tests).
 * and an optional bounded, thread-safe cache that honours TTLs.
 *
 * Outcomes are kept distinct end to end, because SPF void lookups,
 * "none" results and temperror depend on each one (RFC 7208 4.4, 4.6.4):
 *   AU_DNS_RECORDS   at least one record of the asked type (after CNAMEs)
 *   AU_DNS_NXDOMAIN  the name does not exist
 *   AU_DNS_NODATA    the name exists but has no record of that type
 *   AU_DNS_SERVFAIL  SERVFAIL, REFUSED, other rcodes, malformed answer,
 *                    CNAME loop: the server could not say
 *   AU_DNS_TIMEOUT   no answer within timeout x tries
 *
 * Names are passed as plain dotted text WITHOUT escapes: a label may hold any
 * byte but '.' and NUL (a space stays a space).  A trailing dot is optional.
 * Names are compared case-insensitively (ASCII).  Names longer than 253
 * octets or with a label longer than 63 octets or an empty label are not
 * sent: the answer is AU_DNS_NXDOMAIN with a reason.
 *
 * Answers are immutable and reference-counted, so the cache can hand the
 * same answer to several threads.  Release every answer with
 * au_dns_answer_free().
 */
#ifndef AU_DNS_H
#define AU_DNS_H

#include <stddef.h>
#include <stdint.h>
#include "au_status.h"

typedef enum au_dns_type {
	AU_DNS_T_A	= 1,
	AU_DNS_T_NS	= 2,
	AU_DNS_T_CNAME	= 5,
	AU_DNS_T_SOA	= 6,
	AU_DNS_T_PTR	= 12,
	AU_DNS_T_MX	= 15,
	AU_DNS_T_TXT	= 16,
	AU_DNS_T_AAAA	= 28,
	AU_DNS_T_SPF	= 99
} au_dns_type;

typedef enum au_dns_outcome {
	AU_DNS_RECORDS = 0,
	AU_DNS_NXDOMAIN,
	AU_DNS_NODATA,
	AU_DNS_SERVFAIL,
	AU_DNS_TIMEOUT
} au_dns_outcome;

/* One resource record of the asked type. */
typedef struct au_dns_rr {
	uint32_t ttl;
	union {
		uint8_t a[4];			/* A, network order */
		uint8_t aaaa[16];		/* AAAA, network order */
		struct {
			uint16_t pref;
			char	*host;		/* no trailing dot, lower case */
		} mx;
		char	*name;			/* PTR, CNAME, NS: no trailing dot */
		struct {
			char	*data;		/* all character-strings joined, NUL-terminated */
			size_t	 len;		/* bytes in data (may contain NULs) */
			size_t	 nstrings;	/* character-strings in the record (0 is legal) */
		} txt;				/* TXT and SPF */
	} u;
} au_dns_rr;

typedef struct au_dns_answer {
	au_dns_outcome	 outcome;
	au_dns_type	 type;		/* the type asked for */
	uint32_t	 ttl;		/* smallest TTL of the records, or the negative TTL */
	size_t		 count;		/* records in rr[] (0 unless AU_DNS_RECORDS) */
	au_dns_rr	*rr;
	char		 reason[160];	/* e.g. "SERVFAIL from 127.0.0.1:5353"; "" if none */
	int		 refs;		/* internal: reference count */
} au_dns_answer;

typedef struct au_dns au_dns;

/* Options for the network back end; zero means "the default". */
typedef struct au_dns_opts {
	const char *const *servers;	/* ADDR[:PORT], [V6ADDR]:PORT, ADDR@PORT; NULL = resolv.conf */
	size_t	 nservers;
	double	 timeout;		/* seconds per query try (default 5) */
	int	 tries;			/* tries per server (default 2) */
	size_t	 cache_entries;		/* 0 = no cache; else bound on cached answers */
} au_dns_opts;

/*
 * Create a resolver that asks DNS servers over the network.
 * On failure *out is NULL and err holds a sentence for the user.
 */
AU_API au_status au_dns_new_network(au_dns **out, const au_dns_opts *opts,
    char *err, size_t errlen);

/*
 * Create a resolver that answers from RFC 1035 master files (no network).
 * The files are read now; a syntax error is reported as "FILE:LINE: what".
 * The comment mark ";%TIMEOUT NAME [TYPE ...]" (see the SPF conformance
 * README) makes queries for NAME of the listed types (or of every type that
 * has no records, without a list) answer AU_DNS_TIMEOUT.
 * CNAMEs are followed (up to 16 steps); a loop answers AU_DNS_SERVFAIL.
 */
AU_API au_status au_dns_new_zone(au_dns **out, const char *const *files,
    size_t nfiles, size_t cache_entries, char *err, size_t errlen);

/* Same, from master-file text in memory (origin ".", for tests and fuzzing). */
AU_API au_status au_dns_new_zone_text(au_dns **out, const char *text,
    size_t len, char *err, size_t errlen);

/* Free the resolver and its cache; returns NULL. */
AU_API au_dns	*au_dns_free(au_dns *dns);

/*
 * Look up name/type.  Returns AU_OK and an answer (any outcome) in *out, or
 * AU_ENOMEM / AU_EINVAL with *out NULL.  Safe to call from several threads
 * on one handle.
 */
AU_API au_status au_dns_query(au_dns *dns, const char *name, au_dns_type type,
    au_dns_answer **out);

/* Drop a reference to an answer (NULL is fine); returns NULL. */
AU_API au_dns_answer *au_dns_answer_free(au_dns_answer *ans);

/* Count of queries that reached the back end (not answered by the cache). */
AU_API unsigned long au_dns_backend_queries(const au_dns *dns);

AU_API const char *au_dns_outcome_str(au_dns_outcome o);
AU_API const char *au_dns_type_str(au_dns_type t);

#endif
