/*
 * msg_ar.c - the Authentication-Results value of a finished au_msg
 * session (RFC 8601 2.7.1 dkim, 2.7.2 spf, RFC 9989 IANA considerations: dmarc):
 *
 *   spf=RESULT (reason) smtp.mailfrom=SENDER        MAIL FROM identity
 *   spf=RESULT (reason) smtp.helo=HELO              HELO identity
 *   dkim=RESULT (reason) header.d=D header.s=S header.a=ALG header.b=FIRST8
 *                                                    each signature (up to 61)
 *   dkim=none                                        no signature
 *   dmarc=RESULT (reason) header.from=DOMAIN policy.dmarc=POLICY
 *
 * With a null reverse-path the MAIL FROM check is the HELO identity
 * (RFC 7208 2.4), written once as smtp.helo.
 */
#include <stdlib.h>
#include <string.h>
#include "au_ar.h"
#include "msg_int.h"

static const char *
alg_name(au_dkim_alg a)
{
	switch (a) {
	case AU_DKIM_RSA_SHA256:	return "rsa-sha256";
	case AU_DKIM_ED25519_SHA256:	return "ed25519-sha256";
	case AU_DKIM_RSA_SHA1:		return "rsa-sha1";
	}
	return NULL;
}

/* The sender without angle brackets ("" for the null path), malloc'd. */
static char *
bare_sender(const char *mfrom)
{
	size_t n;

	while (*mfrom == ' ' || *mfrom == '<')
		mfrom++;
	n = strlen(mfrom);
	while (n > 0 && (mfrom[n - 1] == '>' || mfrom[n - 1] == ' '))
		n--;
	return strndup(mfrom, n);
}

static au_status
add_spf(au_ar_writer *w, const au_msg *m)
{
	char *sender;
	au_status st;
	int null_path;

	if (m->opts.no_spf || !m->spf_done)
		return AU_OK;
	null_path = m->envfrom_domain == NULL || m->envfrom_domain[0] == '\0';
	if ((st = au_ar_add(w, "spf", au_spf_result_str(m->spf_mailfrom.result),
	    m->spf_mailfrom.reason)) != AU_OK)
		return st;
	if (null_path)
		st = au_ar_add_prop(w, "smtp", "helo", m->helo);
	else {
		if ((sender = bare_sender(m->mfrom ? m->mfrom : "")) == NULL)
			return AU_ENOMEM;
		st = au_ar_add_prop(w, "smtp", "mailfrom", sender);
		free(sender);
	}
	if (st != AU_OK || null_path || !m->helo_checked)
		return st;
	if ((st = au_ar_add(w, "spf", au_spf_result_str(m->spf_helo.result),
	    m->spf_helo.reason)) != AU_OK)
		return st;
	return au_ar_add_prop(w, "smtp", "helo", m->helo);
}

/*
 * The writer holds AU_AR_MAX_RESULTS entries: two spf and one dmarc are
 * left room, so a message with more signatures than that (possible with
 * max_signatures up to 64) still gets a field, naming the first ones.
 */
#define MAX_DKIM_ENTRIES	(AU_AR_MAX_RESULTS - 3)

static au_status
add_dkim(au_ar_writer *w, const au_msg *m)
{
	size_t i;
	au_status st;

	if (m->opts.no_dkim)
		return AU_OK;
	if (m->ndkim == 0)
		return au_ar_add(w, "dkim", "none", m->dkim_broken ?
		    "the message could not be checked" : "no signatures");
	for (i = 0; i < m->ndkim && i < MAX_DKIM_ENTRIES; i++) {
		const au_dkim_sig_result *r = m->dkim_ptrs[i];
		char b[9] = "";

		if (r->b_prefix) {
			strncpy(b, r->b_prefix, 8);
			b[8] = '\0';
		}
		if ((st = au_ar_add(w, "dkim", au_dkim_result_str(r->result),
		    r->reason)) != AU_OK ||
		    (st = au_ar_add_prop(w, "header", "d", r->domain)) != AU_OK ||
		    (st = au_ar_add_prop(w, "header", "s", r->selector)) != AU_OK ||
		    (st = au_ar_add_prop(w, "header", "a", alg_name(r->alg))) != AU_OK ||
		    (st = au_ar_add_prop(w, "header", "b", b)) != AU_OK)
			return st;
	}
	return AU_OK;
}

static au_status
add_dmarc(au_ar_writer *w, const au_msg *m)
{
	const au_dmarc_verdict *v = &m->dmarc;
	au_status st;

	if (!m->dmarc_done)
		return AU_OK;
	if ((st = au_ar_add(w, "dmarc", au_dmarc_result_str(v->result),
	    v->reason)) != AU_OK ||
	    (st = au_ar_add_prop(w, "header", "from", v->from_domain)) != AU_OK)
		return st;
	if (v->record == NULL)
		return AU_OK;
	/*
	 * policy.dmarc is "the evaluated DMARC policy applied/to be applied
	 * after policy options including pct and sp have been processed"
	 * (RFC 9989 IANA registry): for a failing message that is the
	 * disposition (t=y and pct already applied); a passing message is
	 * not acted on, so it shows the policy that governs its domain.
	 */
	return au_ar_add_prop(w, "policy", "dmarc",
	    au_dmarc_policy_str(v->result == AU_DMARC_FAIL ?
	    v->disposition : v->policy));
}

au_status
au_msg_ar_value(const au_msg *m, char **out)
{
	au_ar_writer *w = NULL;
	au_status st;

	if (out == NULL)
		return AU_EINVAL;
	*out = NULL;
	if (m == NULL || m->state != MSG_DONE)
		return AU_ESTATE;
	if ((st = au_ar_writer_new(&w, m->authserv_id)) != AU_OK)
		return st;
	if ((st = add_spf(w, m)) == AU_OK && (st = add_dkim(w, m)) == AU_OK &&
	    (st = add_dmarc(w, m)) == AU_OK)
		st = au_ar_writer_finish(w, 0, out);
	au_ar_writer_free(w);
	return st;
}
