/*
 * au_msg.h - the message session: one path through SPF, DKIM and DMARC
 * that both authmilter and `authtool verify` drive, in milter order:
 *
 *   au_msg_connect(ip, helo) -> au_msg_mailfrom(sender) ->
 *   au_msg_header(field)* -> au_msg_eoh() -> au_msg_body(chunk)* ->
 *   au_msg_eom() -> results, Authentication-Results text, report record.
 *
 * Header fields and body chunks follow the conventions of au_dkim.h (whole
 * raw field without its final line end; CRLF or bare LF).  A session may be
 * reused for the next message of the same connection with au_msg_reset().
 * A session is used by one thread at a time; the au_dns handle it uses may
 * be shared.
 */
#ifndef AU_MSG_H
#define AU_MSG_H

#include <stddef.h>
#include "au_status.h"
#include "au_dns.h"
#include "au_spf.h"
#include "au_dkim.h"
#include "au_dmarc.h"

typedef struct au_msg_opts {
	const char	*authserv_id;	/* for Authentication-Results; default: hostname */
	au_dmarc_mode	 dmarc_mode;	/* AU_DMARC_RFC9989 (default) or AU_DMARC_RFC7489 */
	au_dkim_verify_opts dkim;	/* signature limits etc. */
	const char	*receiver;	/* SPF %{r} */
	int		 no_spf, no_dkim, no_dmarc; /* skip a check */
	au_dmarc	*dmarc;		/* shared DMARC handle (PSL etc.); NULL = the
					   session makes its own from dmarc_mode */
	int		 no_helo_spf;	/* do not check the HELO identity */
} au_msg_opts;

typedef struct au_msg au_msg;

/* Everything decided about one message (valid after au_msg_eom). */
typedef struct au_msg_results {
	au_spf_verdict		 spf_mailfrom;	/* RFC5321.MailFrom identity */
	au_spf_verdict		 spf_helo;	/* HELO identity */
	size_t			 ndkim;
	const au_dkim_sig_result *const *dkim;	/* ndkim entries */
	const au_dmarc_verdict	*dmarc;
	size_t			 nfrom;		/* From header fields seen */
	const char		*from_domain;	/* first Author Domain, or NULL */
	const char		*from_problem;	/* why the From is unusable, or NULL */
} au_msg_results;

/*
 * What an RFC 9990 aggregate report row needs about one message (valid
 * after au_msg_eom; strings owned by the session, "" when unknown).
 */
typedef struct au_msg_report {
	const char		*source_ip;
	const char		*helo;
	const char		*envelope_from;	/* RFC5321.MailFrom domain; "" for <> */
	const char		*envelope_to;	/* first recipient's domain, or "" */
	const char		*header_from;	/* Author Domain */
	au_spf_result		 spf_result;	/* mfrom scope */
	const char		*spf_domain;
	const char		*spf_scope;	/* "mfrom" (or "helo" for null path) */
	size_t			 ndkim;
	const au_dkim_sig_result *const *dkim;
	const au_dmarc_verdict	*dmarc;		/* policy published, disposition,
						   alignment (dkim_aligned, spf_aligned) */
	const char		*discovery_method; /* "treewalk" or "psl" */
} au_msg_report;

AU_API au_status au_msg_new(au_msg **out, au_dns *dns, const au_msg_opts *opts);
AU_API au_status au_msg_connect(au_msg *m, const char *ip, const char *helo);
AU_API au_status au_msg_mailfrom(au_msg *m, const char *mfrom);
AU_API au_status au_msg_header(au_msg *m, const char *field, size_t len);
AU_API au_status au_msg_eoh(au_msg *m);
AU_API au_status au_msg_body(au_msg *m, const void *chunk, size_t len);
AU_API au_status au_msg_eom(au_msg *m);
AU_API const au_msg_results *au_msg_results_get(const au_msg *m);
/*
 * The Authentication-Results field value (after "Authentication-Results:"),
 * RFC 8601, folded, without final CRLF: "authserv-id; spf=pass ...".
 * malloc'd into *out.
 */
AU_API au_status au_msg_ar_value(const au_msg *m, char **out);
/* Optional: an envelope recipient (the first one is kept for reports). */
AU_API au_status au_msg_rcpt(au_msg *m, const char *rcpt);
AU_API const au_msg_report *au_msg_report_record(const au_msg *m);
/* Forget the message, keep the connection (ip, helo). */
AU_API void	 au_msg_reset(au_msg *m);
AU_API au_msg	*au_msg_free(au_msg *m);

#endif
