/*
 * au_spf.h - Sender Policy Framework, RFC 7208.
 *
 * au_spf_check_host() is the check_host() function of RFC 7208 section 4;
 * au_spf_check_mailfrom() and au_spf_check_helo() apply it to the two
 * identities of section 2.3/2.4 (null reverse-path -> postmaster@HELO).
 * Every verdict carries a reason a person can act on.
 *
 * au_spf_record_parse() parses one record without DNS (linters, fuzzing).
 */
#ifndef AU_SPF_H
#define AU_SPF_H

#include <stddef.h>
#include "au_status.h"
#include "au_dns.h"

typedef enum au_spf_result {
	AU_SPF_NONE = 0,
	AU_SPF_NEUTRAL,
	AU_SPF_PASS,
	AU_SPF_FAIL,
	AU_SPF_SOFTFAIL,
	AU_SPF_TEMPERROR,
	AU_SPF_PERMERROR
} au_spf_result;

/* Limits of RFC 7208 4.6.4, and our own bounds on hostile input. */
#define AU_SPF_MAX_DNS_MECHS	10	/* include a mx ptr exists redirect */
#define AU_SPF_MAX_VOID		2	/* lookups answering NXDOMAIN/NODATA */
#define AU_SPF_MAX_MXPTR_NAMES	10	/* names looked at per mx / ptr */
#define AU_SPF_MAX_RECORD	4096	/* bytes of one record we parse */
#define AU_SPF_MAX_TERMS	128	/* terms in one record */
#define AU_SPF_MAX_EXPANSION	253	/* domain-spec after macro expansion */
#define AU_SPF_MAX_EXPLANATION	1024	/* bytes of an explanation we keep */

typedef struct au_spf_verdict {
	au_spf_result	 result;
	const char	*identity;	/* "mailfrom" or "helo" (static) */
	char		*domain;	/* domain checked (malloc'd; may be NULL) */
	char		*sender;	/* sender used, e.g. postmaster@helo (malloc'd) */
	char		*explanation;	/* exp= text for fail (malloc'd), or NULL */
	char		*mechanism;	/* the matching term, e.g. "ip4:192.0.2.0/24" */
	char		 reason[512];	/* what happened, for people */
	int		 dns_lookups;	/* DNS-querying terms counted */
	int		 void_lookups;
} au_spf_verdict;

/* Options for one evaluation; zero/NULL fields mean the default. */
typedef struct au_spf_opts {
	const char	*receiver;	/* %{r}; default "unknown" */
	int		 max_dns_mechs;	/* default AU_SPF_MAX_DNS_MECHS */
	int		 max_void;	/* default AU_SPF_MAX_VOID */
	int		 no_explanation;/* do not fetch exp= */
	double		 max_seconds;	/* whole evaluation (RFC 7208 4.6.4); default 20 */
} au_spf_opts;

AU_API const char *au_spf_result_str(au_spf_result r);	/* "pass", ... */

/*
 * check_host(ip, domain, sender) of RFC 7208 section 4.  ip is text (IPv4,
 * IPv6, or IPv4-mapped IPv6 which is treated as IPv4).  helo fills %{h}.
 * Returns AU_OK with the verdict filled (any result), or AU_ENOMEM/AU_EINVAL.
 * Free the verdict's strings with au_spf_verdict_clear().
 */
AU_API au_status au_spf_check_host(au_dns *dns, const au_spf_opts *opts,
    const char *ip, const char *domain, const char *sender, const char *helo,
    au_spf_verdict *out);

/*
 * The MAIL FROM identity: mfrom "" or "<>" is the null reverse-path and
 * checks postmaster@helo.  A mailfrom without a domain or with an invalid
 * domain gives none (RFC 7208 4.3) with a reason.
 */
AU_API au_status au_spf_check_mailfrom(au_dns *dns, const au_spf_opts *opts,
    const char *ip, const char *mfrom, const char *helo, au_spf_verdict *out);

/* The HELO identity (RFC 7208 2.3): postmaster@helo. */
AU_API au_status au_spf_check_helo(au_dns *dns, const au_spf_opts *opts,
    const char *ip, const char *helo, au_spf_verdict *out);

AU_API void au_spf_verdict_clear(au_spf_verdict *v);

/* ---- record structure (for linters and tools) ---- */

typedef enum au_spf_term_kind {
	AU_SPF_ALL, AU_SPF_INCLUDE, AU_SPF_A, AU_SPF_MX, AU_SPF_PTR,
	AU_SPF_IP4, AU_SPF_IP6, AU_SPF_EXISTS,
	AU_SPF_REDIRECT, AU_SPF_EXP, AU_SPF_UNKNOWN_MOD
} au_spf_term_kind;

typedef struct au_spf_term {
	au_spf_term_kind kind;
	char		 qualifier;	/* '+', '-', '~', '?' (mechanisms) */
	char		*domain_spec;	/* unexpanded, or NULL */
	char		*name;		/* modifier name (unknown modifiers) */
	char		*text;		/* the term as written */
	int		 cidr4, cidr6;	/* -1 when absent */
	unsigned char	 ip[16];	/* ip4 / ip6 network */
} au_spf_term;

typedef struct au_spf_record au_spf_record;

/*
 * Parse a record's text ("v=spf1 ...").  On a syntax error returns
 * AU_ESYNTAX with a reason in err such as "syntax error at 'ip4:1.2.3'".
 * A text that does not start with "v=spf1" (then space or end) gives
 * AU_ENOTFOUND: it is not an SPF record.
 */
AU_API au_status au_spf_record_parse(const char *txt, size_t len,
    au_spf_record **out, char *err, size_t errlen);
AU_API size_t au_spf_record_count(const au_spf_record *r);
AU_API const au_spf_term *au_spf_record_term(const au_spf_record *r, size_t i);
AU_API au_spf_record *au_spf_record_free(au_spf_record *r);

/*
 * Expand a macro-string (RFC 7208 section 7) for the given inputs.
 * explain != 0 allows the explanation-only letters c, r, t.  For fuzzing
 * and tools; check_host uses the same code.
 */
AU_API au_status au_spf_macro_expand(const char *spec, const char *ip,
    const char *sender, const char *domain, const char *helo,
    const char *receiver, int explain, char **out, char *err, size_t errlen);

#endif
