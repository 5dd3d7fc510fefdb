/*
 * msg_int.h - the au_msg session's state, shared by msg.c (the event
 * stream) and msg_ar.c (Authentication-Results text).  Not installed.
 */
#ifndef MSG_INT_H
#define MSG_INT_H

#include "au_msg.h"

#define MSG_MAX_FROMDOM	AU_DMARC_MAX_AUTHORS	/* distinct From domains kept */

typedef enum msg_state {
	MSG_IDLE = 0,	/* no message yet (or after reset) */
	MSG_HEADERS,
	MSG_BODY,
	MSG_DONE	/* au_msg_eom() succeeded */
} msg_state;

struct au_msg {
	au_dns		*dns;
	au_msg_opts	 opts;		/* strings point at our copies */
	char		*authserv_id;
	char		*receiver;
	au_dmarc	*dmarcctx;
	int		 dmarc_owned;
	/* connection */
	char		*ip;
	char		*helo;
	au_spf_verdict	 spf_helo;
	int		 helo_checked;
	/* message */
	msg_state	 state;
	char		*mfrom;
	char		*envfrom_domain;	/* "" for the null path */
	char		*rcpt_domain;
	au_spf_verdict	 spf_mailfrom;
	int		 spf_done;
	au_dkim_verifier *dkim;
	int		 dkim_broken;		/* the verifier refused input */
	const au_dkim_sig_result **dkim_ptrs;
	size_t		 ndkim;
	size_t		 nfrom;			/* From fields seen */
	char		*fromdom[MSG_MAX_FROMDOM];
	size_t		 nfromdom;
	int		 too_many_from;
	char		 from_problem[256];
	au_dmarc_verdict dmarc;
	int		 dmarc_done;
	au_msg_results	 results;
	au_msg_report	 report;
};

#endif
