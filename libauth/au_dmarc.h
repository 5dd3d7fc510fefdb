/*
 * au_dmarc.h - Domain-based Message Authentication, Reporting and
 * Conformance: RFC 9989 (DMARCbis, the default) and RFC 7489 (optional).
 *
 * Three layers, usable separately:
 *
 *   record      au_dmarc_record_parse(): one TXT record's text, no DNS
 *               (RFC 9989 4.7/4.8, RFC 7489 6.3/6.4).
 *   discovery   au_dmarc_discover(): which record applies to an Author
 *               Domain and what its Organizational Domain is: the DNS Tree
 *               Walk of RFC 9989 4.10, or RFC 7489 6.6.3 with the Public
 *               Suffix List (libpsl).
 *   evaluation  au_dmarc_evaluate(): identifier alignment of the SPF and
 *               DKIM authenticated identifiers with the Author Domain(s),
 *               the policy that applies (p / sp / np), the disposition
 *               after t=y (RFC 9989) or pct= (RFC 7489).
 *
 * An au_dmarc handle holds what is shared between messages (the DNS
 * handle, the mode, the Public Suffix List in RFC 7489 mode, the random
 * source for pct=).  It is read-only after au_dmarc_new() and may be used
 * by several threads at once (the rng callback must then be thread-safe).
 *
 * Status (au_status) says whether a call worked; the verdict says what
 * was decided, with a reason for people.
 */
#ifndef AU_DMARC_H
#define AU_DMARC_H

#include <stddef.h>
#include "au_status.h"
#include "au_dns.h"
#include "au_spf.h"
#include "au_dkim.h"

typedef enum au_dmarc_mode {
	AU_DMARC_RFC9989 = 0,	/* DNS Tree Walk, np/psd/t; no pct/rf/ri */
	AU_DMARC_RFC7489	/* Public Suffix List, pct/rf/ri */
} au_dmarc_mode;

/* RFC 8601 / RFC 7489 11.2 result names. */
typedef enum au_dmarc_result {
	AU_DMARC_NONE = 0,	/* no policy published / DMARC not applicable */
	AU_DMARC_PASS,
	AU_DMARC_FAIL,
	AU_DMARC_TEMPERROR,	/* DNS trouble: no verdict possible now */
	AU_DMARC_PERMERROR	/* broken record, or no usable From domain */
} au_dmarc_result;

typedef enum au_dmarc_policy {
	AU_DMARC_POLICY_NONE = 0,
	AU_DMARC_POLICY_QUARANTINE,
	AU_DMARC_POLICY_REJECT
} au_dmarc_policy;

typedef enum au_dmarc_align {
	AU_DMARC_ALIGN_RELAXED = 0,	/* "r": same Organizational Domain */
	AU_DMARC_ALIGN_STRICT		/* "s": identical domains */
} au_dmarc_align;

typedef enum au_dmarc_psd {
	AU_DMARC_PSD_U = 0,	/* default: unknown */
	AU_DMARC_PSD_Y,		/* a Public Suffix Domain */
	AU_DMARC_PSD_N		/* an Organizational Domain */
} au_dmarc_psd;

/* Bounds on hostile input. */
#define AU_DMARC_MAX_RECORD	2048	/* bytes of one record we parse */
#define AU_DMARC_MAX_TAGS	64	/* tags in one record */
#define AU_DMARC_MAX_URIS	16	/* URIs kept per rua / ruf */
#define AU_DMARC_MAX_URI	512	/* bytes of one URI */
#define AU_DMARC_MAX_WALK	8	/* DNS queries of one Tree Walk (RFC 9989 4.10) */
#define AU_DMARC_MAX_AUTHORS	4	/* distinct Author Domains evaluated */
#define AU_DMARC_MAX_DKIM	32	/* DKIM results looked at */

AU_API const char *au_dmarc_result_str(au_dmarc_result r);	/* "pass", ... */
AU_API const char *au_dmarc_policy_str(au_dmarc_policy p);	/* "none", "quarantine", "reject" */
AU_API const char *au_dmarc_mode_str(au_dmarc_mode m);		/* "rfc9989", "rfc7489" */

/* ---------------------------------------------------------------- record */

/* One reporting URI from rua= / ruf=. */
typedef struct au_dmarc_uri {
	char		*uri;		/* as written, without an obsolete "!size" */
	char		*mailto_domain;	/* domain of a mailto: address, lower case, or NULL */
	int		 valid;		/* syntactically a URI (scheme ":" ...) */
} au_dmarc_uri;

/*
 * The tags of a parsed record.  Defaults are filled in for absent or
 * invalid tags; has_* and the *_invalid flags say what was written.
 */
typedef struct au_dmarc_record_info {
	au_dmarc_mode	 mode;		/* the rules it was parsed under */
	au_dmarc_policy	 p;		/* none when absent/invalid (see p_fallback) */
	au_dmarc_policy	 sp;		/* effective: sp, else p */
	au_dmarc_policy	 np;		/* effective: np, else sp, else p (9989) */
	int		 has_p, has_sp, has_np;	/* present with a valid value */
	int		 p_fallback;	/* p/sp/np missing or invalid, rua valid: acting as p=none */
	au_dmarc_align	 adkim, aspf;	/* default relaxed */
	int		 testing;	/* t=y (RFC 9989 only) */
	au_dmarc_psd	 psd;		/* psd= (RFC 9989 only) */
	int		 pct;		/* 0..100, default 100 (RFC 7489 only) */
	char		 fo[16];	/* fo= as normalised text, default "0" */
	char		 rf[16];	/* rf= (RFC 7489 only), default "afrf" */
	unsigned long	 ri;		/* ri= (RFC 7489 only), default 86400 */
	size_t		 nrua, nruf;
	const au_dmarc_uri *rua;	/* nrua entries */
	const au_dmarc_uri *ruf;	/* nruf entries */
} au_dmarc_record_info;

typedef struct au_dmarc_record au_dmarc_record;

/*
 * Parse a record's text under the rules of mode.
 *   AU_OK         a DMARC record; warnings (unknown tags, values that were
 *                 discarded for their defaults) via au_dmarc_record_warning().
 *   AU_ENOTFOUND  not a DMARC record: "v=DMARC1" is not the first tag
 *                 (RFC 9989 4.7: the record MUST be ignored).  err says why.
 *   AU_ESYNTAX    a DMARC record that cannot be applied: p= (or sp=/np=)
 *                 missing or invalid and no valid rua= URI (RFC 9989
 *                 4.10.1), or a record beyond AU_DMARC_MAX_RECORD.
 *   AU_ENOMEM
 * Values must be exactly a keyword of the ABNF (RFC 9989 4.8): "p=r" is
 * not "reject" but an invalid p=.  ABNF literals compare ASCII case-
 * insensitively, so tag names and keywords do too ("p=Reject" is reject);
 * the version "DMARC1" is case-sensitive (%s"DMARC1").
 */
AU_API au_status au_dmarc_record_parse(const char *txt, size_t len,
    au_dmarc_mode mode, au_dmarc_record **out, char *err, size_t errlen);
AU_API const au_dmarc_record_info *au_dmarc_record_get(const au_dmarc_record *r);
/* The record text as parsed (NUL-terminated). */
AU_API const char *au_dmarc_record_text(const au_dmarc_record *r);
/*
 * Things a linter reports, each with a severity: "unknown tag 'foo'
 * ignored" (warning), "adkim=x is not r or s: relaxed (r) used" (error:
 * the value was discarded), ...
 */
typedef enum au_dmarc_severity {
	AU_DMARC_SEV_INFO = 0,
	AU_DMARC_SEV_WARNING,
	AU_DMARC_SEV_ERROR
} au_dmarc_severity;
AU_API size_t	 au_dmarc_record_warning_count(const au_dmarc_record *r);
AU_API const char *au_dmarc_record_warning(const au_dmarc_record *r, size_t i);
AU_API au_dmarc_severity au_dmarc_record_warning_severity(const au_dmarc_record *r,
    size_t i);
AU_API au_dmarc_record *au_dmarc_record_free(au_dmarc_record *r);

/* ---------------------------------------------------------------- handle */

/* Returns an integer uniformly distributed in [0, 100). */
typedef unsigned (*au_dmarc_rng_fn)(void *arg);

typedef struct au_dmarc_opts {
	au_dmarc_mode	 mode;		/* default AU_DMARC_RFC9989 */
	const char	*psl_file;	/* RFC 7489: PSL file; NULL = system list, else built-in */
	au_dmarc_rng_fn	 rng;		/* pct= sampling; NULL = arc4random */
	void		*rng_arg;
	int		 no_np;		/* do not query A/AAAA/MX for np= */
} au_dmarc_opts;

typedef struct au_dmarc au_dmarc;

/* dns is borrowed and must outlive the handle.  err gets a sentence. */
AU_API au_status au_dmarc_new(au_dmarc **out, au_dns *dns,
    const au_dmarc_opts *opts, char *err, size_t errlen);
AU_API au_dmarc_mode au_dmarc_get_mode(const au_dmarc *d);
AU_API au_dmarc	*au_dmarc_free(au_dmarc *d);

/* ------------------------------------------------------------- discovery */

typedef enum au_dmarc_found {
	AU_DMARC_FOUND_NONE = 0,	/* no record: DMARC does not apply */
	AU_DMARC_FOUND_RECORD,		/* record (and policy_domain) set */
	AU_DMARC_FOUND_TEMPERROR,	/* DNS could not say */
	AU_DMARC_FOUND_PERMERROR	/* a record that cannot be applied */
} au_dmarc_found;

/* One DNS query made by discovery (for linters and reports). */
typedef struct au_dmarc_step {
	char		*name;		/* "_dmarc.example.com" */
	au_dns_outcome	 outcome;
	int		 ndmarc;	/* TXT records starting v=DMARC1 */
	int		 valid;		/* exactly one, and it parsed */
	char		 note[256];	/* "2 DMARC records: all discarded", ... */
} au_dmarc_step;

typedef struct au_dmarc_discovery {
	au_dmarc_found	 found;
	char		*domain;	/* the Author Domain asked about (lower case) */
	char		*policy_domain;	/* where the record was found */
	char		*org_domain;	/* Organizational Domain of domain */
	au_dmarc_record	*record;	/* the record that applies, or NULL */
	int		 at_author;	/* record published for the Author Domain itself */
	int		 psd_policy;	/* record taken from a Public Suffix Domain */
	size_t		 nsteps;
	au_dmarc_step	 steps[2 * AU_DMARC_MAX_WALK];
	char		 reason[768];
} au_dmarc_discovery;

/*
 * Find the record that applies to domain and its Organizational Domain
 * (RFC 9989 4.10.1 + 4.10.2, or RFC 7489 6.6.3 + 3.2).  Returns AU_OK with
 * any outcome in *out; clear with au_dmarc_discovery_clear().
 */
AU_API au_status au_dmarc_discover(au_dmarc *d, const char *domain,
    au_dmarc_discovery *out);
AU_API void	 au_dmarc_discovery_clear(au_dmarc_discovery *disc);

/*
 * The Organizational Domain of any domain (for relaxed alignment): Tree
 * Walk (9989) or PSL (7489).  *out malloc'd, lower case.  A DNS error in
 * the Tree Walk gives AU_OK with *temperror = 1 (and *out the domain).
 */
AU_API au_status au_dmarc_org_domain(au_dmarc *d, const char *domain,
    char **out, int *temperror);

/* ------------------------------------------------------------ evaluation */

/* One DKIM signature result as DMARC sees it. */
typedef struct au_dmarc_dkim_input {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	au_dkim_result	 result;	/* only AU_DKIM_PASS authenticates */
} au_dmarc_dkim_input;

typedef struct au_dmarc_input {
	const char *const *from_domains; /* Author Domain(s), normally exactly 1 */
	size_t		 nfrom;		/* 0 -> permerror (no From domain) */
	const char	*from_problem;	/* non-NULL: the From field was unusable, why */
	const char	*spf_domain;	/* RFC5321.MailFrom domain checked (HELO if null path) */
	au_spf_result	 spf_result;	/* only AU_SPF_PASS authenticates */
	const au_dmarc_dkim_input *dkim;
	size_t		 ndkim;
} au_dmarc_input;

/*
 * The verdict.  Strings are malloc'd (NULL when unknown); clear with
 * au_dmarc_verdict_clear().  The policy_published fields carry what RFC 9990
 * aggregate reports need.
 */
typedef struct au_dmarc_verdict {
	au_dmarc_result	 result;
	au_dmarc_mode	 mode;
	char		*from_domain;	/* the Author Domain this verdict is about */
	char		*policy_domain;	/* where the record was found */
	char		*org_domain;	/* Organizational Domain of from_domain */
	char		*record;	/* text of the record applied */
	au_dmarc_policy	 policy;	/* p / sp / np that applies */
	const char	*policy_tag;	/* "p", "sp", "np" (static) or NULL */
	au_dmarc_policy	 disposition;	/* what to do after t=y / pct */
	int		 testing;	/* t=y: policy lowered one level */
	int		 sampled_out;	/* pct: message not selected, policy lowered */
	int		 from_nonexistent; /* Author Domain NXDOMAIN (np) */
	int		 spf_aligned, dkim_aligned;
	char		*spf_domain;	/* SPF identifier looked at */
	au_spf_result	 spf_result;
	char		*dkim_domain;	/* the d= that aligned (or first passing) */
	char		*dkim_selector;
	int		 nauthors;	/* distinct Author Domains seen */
	/* policy published (RFC 9990 policy_published) */
	au_dmarc_policy	 pub_p, pub_sp, pub_np;
	int		 pub_has_sp, pub_has_np;
	au_dmarc_align	 pub_adkim, pub_aspf;
	int		 pub_testing;	/* t=y */
	int		 pub_pct;	/* 7489 */
	au_dmarc_psd	 pub_psd;
	char		 pub_fo[16];
	char		 reason[512];
} au_dmarc_verdict;

/*
 * Evaluate DMARC for one message: discovery for each Author Domain,
 * alignment, policy, disposition.  Several Author Domains (several From
 * addresses or fields; RFC 9989 11.5) are each evaluated, up to
 * AU_DMARC_MAX_AUTHORS, and the strictest outcome is returned.
 * Returns AU_OK with any result in *out, or AU_ENOMEM / AU_EINVAL.
 */
AU_API au_status au_dmarc_evaluate(au_dmarc *d, const au_dmarc_input *in,
    au_dmarc_verdict *out);
AU_API void	 au_dmarc_verdict_clear(au_dmarc_verdict *v);

/*
 * Are the two domains aligned?  Strict: equal (ASCII case-insensitive,
 * trailing dot ignored).  Relaxed: same Organizational Domain per mode.
 * Returns 1 / 0, or -1 when the DNS could not say (Tree Walk temperror).
 */
AU_API int	 au_dmarc_aligned(au_dmarc *d, const char *author,
    const char *ident, au_dmarc_align mode);

#endif
