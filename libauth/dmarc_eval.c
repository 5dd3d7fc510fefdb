/*
 * dmarc_eval.c - DMARC evaluation of one message.
 *
 *   RFC 9989 3.2.10, 4.4, 4.10.2 / RFC 7489 3.1: identifier alignment.
 *     Strict: the two domains are identical (case-insensitive); an
 *     Organizational Domain match never counts.  Relaxed: the same
 *     Organizational Domain (Tree Walk in RFC 9989 mode, Public Suffix
 *     List in RFC 7489 mode).  Only an SPF "pass" for the RFC5321.MailFrom
 *     domain and DKIM "pass" signatures authenticate an identifier.
 *   RFC 9989 4.10.1 / RFC 7489 6.6.3: p for the Author Domain's own
 *     record, sp for subdomains, np (RFC 9989) when the Author Domain does
 *     not exist (NXDOMAIN, RFC 9989 3.2.13).
 *   RFC 9989 4.7 t=y / RFC 7489 6.6.4 pct: the policy applied is one
 *     level below the published one (reject -> quarantine -> none).
 *   RFC 9989 5.3.6 / RFC 7489 6.6.2: a DNS error that stops a verdict
 *     gives temperror.
 *   RFC 9989 11.5 / RFC 7489 6.6.1: several Author Domains are each
 *     evaluated (up to AU_DMARC_MAX_AUTHORS) and the strictest outcome
 *     among those that fail is applied.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dmarc_int.h"

int
au_dmarc__aligned(au_dmarc *d, dmarc_memo *m, const char *author,
    const char *ident, au_dmarc_align mode)
{
	char oa[AU_DMARC_DOMAIN_MAX], oi[AU_DMARC_DOMAIN_MAX];
	const char *sa, *si;
	int la, li;

	if (au_dmarc__same(author, ident))
		return 1;
	if (mode == AU_DMARC_ALIGN_STRICT)
		return 0;
	/*
	 * The Organizational Domains can only be equal if the names share
	 * at least their last label: spare the DNS otherwise.
	 */
	la = au_dmarc__labels(author);
	li = au_dmarc__labels(ident);
	sa = au_dmarc__suffix(author, 1);
	si = au_dmarc__suffix(ident, 1);
	if (la == 0 || li == 0 || !au_dmarc__same(sa, si))
		return 0;
	if (au_dmarc__org(d, m, author, oa, sizeof oa) < 0 ||
	    au_dmarc__org(d, m, ident, oi, sizeof oi) < 0)
		return -1;
	return au_dmarc__same(oa, oi);
}

int
au_dmarc_aligned(au_dmarc *d, const char *author, const char *ident,
    au_dmarc_align mode)
{
	char a[AU_DMARC_DOMAIN_MAX], i[AU_DMARC_DOMAIN_MAX];
	dmarc_memo *m;
	int r;

	if (d == NULL || author == NULL || ident == NULL ||
	    au_dmarc__domain_norm(author, strlen(author), a, sizeof a) < 0 ||
	    au_dmarc__domain_norm(ident, strlen(ident), i, sizeof i) < 0)
		return 0;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return -1;
	r = au_dmarc__aligned(d, m, a, i, mode);
	au_dmarc__memo_clear(m);
	free(m);
	return r;
}

static au_dmarc_policy
lower(au_dmarc_policy p)
{
	return p == AU_DMARC_POLICY_REJECT ? AU_DMARC_POLICY_QUARANTINE :
	    AU_DMARC_POLICY_NONE;
}

static const char *
align_word(au_dmarc_align a)
{
	return a == AU_DMARC_ALIGN_STRICT ? "strict" : "relaxed";
}

/* Does the Author Domain exist?  1 yes, 0 NXDOMAIN, -1 DNS trouble. */
static int
domain_exists(au_dmarc *d, const char *dom)
{
	au_dns_answer *ans = NULL;
	int r;

	if (au_dns_query(d->dns, dom, AU_DNS_T_A, &ans) != AU_OK)
		return -1;
	switch (ans->outcome) {
	case AU_DNS_NXDOMAIN:
		r = 0;
		break;
	case AU_DNS_RECORDS:
	case AU_DNS_NODATA:
		r = 1;
		break;
	default:
		r = -1;
	}
	au_dns_answer_free(ans);
	return r;
}

static void
copy_published(au_dmarc_verdict *v, const au_dmarc_record_info *ri)
{
	v->pub_p = ri->p;
	v->pub_sp = ri->sp;
	v->pub_np = ri->np;
	v->pub_has_sp = ri->has_sp;
	v->pub_has_np = ri->has_np;
	v->pub_adkim = ri->adkim;
	v->pub_aspf = ri->aspf;
	v->pub_testing = ri->testing;
	v->pub_pct = ri->pct;
	v->pub_psd = ri->psd;
	snprintf(v->pub_fo, sizeof v->pub_fo, "%s", ri->fo);
}

/* Append to the reason, never past its end. */
static void
why(au_dmarc_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
why(au_dmarc_verdict *v, const char *fmt, ...)
{
	size_t n = strlen(v->reason);
	va_list ap;

	if (n + 1 >= sizeof v->reason)
		return;
	va_start(ap, fmt);
	vsnprintf(v->reason + n, sizeof v->reason - n, fmt, ap);
	va_end(ap);
}

/* Evaluate one Author Domain (normalised). */
static au_status
eval_one(au_dmarc *d, dmarc_memo *m, const char *author,
    const au_dmarc_input *in, au_dmarc_verdict *v)
{
	au_dmarc_discovery disc;
	const au_dmarc_record_info *ri;
	char spfdom[AU_DMARC_DOMAIN_MAX];
	int spf_temp = 0, dkim_temp = 0, walked = 0, a;
	size_t i, j;
	au_status st;

	v->mode = d->mode;
	if ((v->from_domain = strdup(author)) == NULL)
		return AU_ENOMEM;
	v->spf_result = in->spf_result;
	if (in->spf_domain && (v->spf_domain = strdup(in->spf_domain)) == NULL)
		return AU_ENOMEM;
	st = au_dmarc__discover(d, m, author, &disc);
	if (st != AU_OK) {
		au_dmarc_discovery_clear(&disc);
		return st;
	}
	if (disc.policy_domain &&
	    (v->policy_domain = strdup(disc.policy_domain)) == NULL)
		goto nomem;
	if (disc.org_domain && (v->org_domain = strdup(disc.org_domain)) == NULL)
		goto nomem;
	switch (disc.found) {
	case AU_DMARC_FOUND_NONE:
		v->result = AU_DMARC_NONE;
		why(v, "%s", disc.reason);
		goto out;
	case AU_DMARC_FOUND_TEMPERROR:
		v->result = AU_DMARC_TEMPERROR;
		why(v, "%s", disc.reason);
		goto out;
	case AU_DMARC_FOUND_PERMERROR:
		v->result = AU_DMARC_PERMERROR;
		why(v, "%s", disc.reason);
		goto out;
	case AU_DMARC_FOUND_RECORD:
		break;
	}
	ri = au_dmarc_record_get(disc.record);
	if ((v->record = strdup(au_dmarc_record_text(disc.record))) == NULL)
		goto nomem;
	copy_published(v, ri);

	/* SPF: only a pass for the MAIL FROM domain counts. */
	spfdom[0] = '\0';
	if (in->spf_domain && (in->spf_result == AU_SPF_PASS ||
	    in->spf_result == AU_SPF_TEMPERROR) &&
	    au_dmarc__domain_norm(in->spf_domain, strlen(in->spf_domain),
	    spfdom, sizeof spfdom) == 0) {
		a = au_dmarc__aligned(d, m, author, spfdom, ri->aspf);
		walked |= ri->aspf == AU_DMARC_ALIGN_RELAXED &&
		    !au_dmarc__same(author, spfdom);
		if (in->spf_result == AU_SPF_PASS && a > 0)
			v->spf_aligned = 1;
		else if (a < 0 || (a > 0 && in->spf_result == AU_SPF_TEMPERROR))
			spf_temp = 1;
	}
	/* DKIM: any passing signature whose d= aligns. */
	for (i = 0; i < in->ndkim && i < AU_DMARC_MAX_DKIM; i++) {
		const au_dmarc_dkim_input *k = &in->dkim[i];
		char dd[AU_DMARC_DOMAIN_MAX];

		if (k->domain == NULL || au_dmarc__domain_norm(k->domain,
		    strlen(k->domain), dd, sizeof dd) < 0)
			continue;
		if (k->result != AU_DKIM_PASS && k->result != AU_DKIM_TEMPERROR)
			continue;
		/* The same d= twice needs no second look. */
		for (j = 0; j < i; j++)
			if (in->dkim[j].domain &&
			    au_dmarc__same(in->dkim[j].domain, k->domain) &&
			    in->dkim[j].result == k->result)
				break;
		if (j < i)
			continue;
		a = au_dmarc__aligned(d, m, author, dd, ri->adkim);
		walked |= ri->adkim == AU_DMARC_ALIGN_RELAXED &&
		    !au_dmarc__same(author, dd);
		if (a > 0 && k->result == AU_DKIM_PASS) {
			v->dkim_aligned = 1;
			free(v->dkim_domain);
			free(v->dkim_selector);
			v->dkim_domain = strdup(dd);
			v->dkim_selector = au_dmarc__strdup(k->selector);
			break;
		}
		if (a != 0)
			dkim_temp = 1;
		if (k->result == AU_DKIM_PASS && v->dkim_domain == NULL) {
			v->dkim_domain = strdup(dd);
			v->dkim_selector = au_dmarc__strdup(k->selector);
		}
	}

	/* The Organizational Domain, when cheap (PSL, or walked already). */
	if (v->org_domain == NULL && (d->mode == AU_DMARC_RFC7489 || walked)) {
		char org[AU_DMARC_DOMAIN_MAX];

		if (au_dmarc__org(d, m, author, org, sizeof org) == 0 &&
		    (v->org_domain = strdup(org)) == NULL)
			goto nomem;
	}

	/* The policy that applies (RFC 9989 4.10.1). */
	if (disc.at_author) {
		v->policy = ri->p;
		v->policy_tag = "p";
	} else {
		v->policy = ri->sp;
		v->policy_tag = ri->has_sp ? "sp" : "p";
		if (d->mode == AU_DMARC_RFC9989 && ri->np != ri->sp && !d->no_np) {
			int ex = domain_exists(d, author);

			if (ex == 0) {
				v->from_nonexistent = 1;
				v->policy = ri->np;
				v->policy_tag = ri->has_np ? "np" : ri->has_sp ?
				    "sp" : "p";
			} else if (ex < 0 && !(v->spf_aligned || v->dkim_aligned)) {
				v->result = AU_DMARC_TEMPERROR;
				why(v, "cannot tell whether %s exists (for np=): "
				    "DNS error", author);
				goto out;
			}
		}
	}
	if (ri->p_fallback)
		why(v, "acting as p=none (p=/sp=/np= invalid, rua= valid); ");

	if (v->spf_aligned || v->dkim_aligned) {
		v->result = AU_DMARC_PASS;
		v->disposition = AU_DMARC_POLICY_NONE;
		if (v->dkim_aligned)
			why(v, "DKIM d=%s aligned (%s) with %s", v->dkim_domain,
			    align_word(ri->adkim), author);
		if (v->spf_aligned)
			why(v, "%sSPF pass for %s aligned (%s) with %s",
			    v->dkim_aligned ? "; " : "", spfdom,
			    align_word(ri->aspf), author);
		goto out;
	}
	if (spf_temp || dkim_temp) {
		v->result = AU_DMARC_TEMPERROR;
		why(v, "no aligned pass, and a temporary error stopped %s for "
		    "%s", spf_temp ? "SPF" : "DKIM", author);
		goto out;
	}
	v->result = AU_DMARC_FAIL;
	why(v, "no aligned pass for %s: ", author);
	if (in->spf_domain == NULL || *in->spf_domain == '\0')
		why(v, "no SPF domain");
	else if (in->spf_result != AU_SPF_PASS)
		why(v, "SPF %s for %s", au_spf_result_str(in->spf_result),
		    in->spf_domain);
	else
		why(v, "SPF pass for %s not aligned (%s)", in->spf_domain,
		    align_word(ri->aspf));
	if (v->dkim_domain)
		why(v, "; DKIM pass for d=%s not aligned (%s)", v->dkim_domain,
		    align_word(ri->adkim));
	else if (in->ndkim)
		why(v, "; no DKIM signature passed");
	else
		why(v, "; no DKIM signature");
	v->disposition = v->policy;
	if (d->mode == AU_DMARC_RFC9989 && ri->testing) {
		v->testing = 1;
		v->disposition = lower(v->policy);
		if (v->policy != AU_DMARC_POLICY_NONE)
			why(v, "; t=y: %s applied instead of %s",
			    au_dmarc_policy_str(v->disposition),
			    au_dmarc_policy_str(v->policy));
	} else if (d->mode == AU_DMARC_RFC7489 && ri->pct < 100) {
		unsigned r = d->rng(d->rng_arg) % 100;

		if ((int)r >= ri->pct) {
			v->sampled_out = 1;
			v->disposition = lower(v->policy);
			if (v->policy != AU_DMARC_POLICY_NONE)
				why(v, "; pct=%d: not sampled, %s applied instead "
				    "of %s", ri->pct,
				    au_dmarc_policy_str(v->disposition),
				    au_dmarc_policy_str(v->policy));
		}
	}
out:
	au_dmarc_discovery_clear(&disc);
	return AU_OK;
nomem:
	au_dmarc_discovery_clear(&disc);
	return AU_ENOMEM;
}

/* Order for combining several Author Domains: the strictest wins. */
static int
rank(const au_dmarc_verdict *v)
{
	switch (v->result) {
	case AU_DMARC_FAIL:	return 10 + (int)v->disposition * 3 + (int)v->policy;
	case AU_DMARC_TEMPERROR: return 4;
	case AU_DMARC_PERMERROR: return 3;
	case AU_DMARC_PASS:	return 2;
	case AU_DMARC_NONE:	return 1;
	}
	return 0;
}

au_status
au_dmarc_evaluate(au_dmarc *d, const au_dmarc_input *in, au_dmarc_verdict *out)
{
	char doms[AU_DMARC_MAX_AUTHORS][AU_DMARC_DOMAIN_MAX];
	size_t ndom = 0, i, j;
	dmarc_memo *m = NULL;
	au_dmarc_verdict best, cur;
	au_status st = AU_OK;

	if (out == NULL)
		return AU_EINVAL;
	memset(out, 0, sizeof *out);
	if (d == NULL || in == NULL || (in->nfrom && in->from_domains == NULL) ||
	    (in->ndkim && in->dkim == NULL))
		return AU_EINVAL;
	out->mode = d->mode;
	out->spf_result = in->spf_result;
	if (in->from_problem || in->nfrom == 0) {
		out->result = AU_DMARC_PERMERROR;
		snprintf(out->reason, sizeof out->reason, "%s: no Author Domain "
		    "to evaluate (RFC %s)", in->from_problem ? in->from_problem :
		    "no From address", d->mode == AU_DMARC_RFC7489 ?
		    "7489 6.6.1" : "9989 5.3.1");
		return AU_OK;
	}
	for (i = 0; i < in->nfrom; i++) {
		char dom[AU_DMARC_DOMAIN_MAX];
		const char *f = in->from_domains[i];

		if (f == NULL || au_dmarc__domain_norm(f, strlen(f), dom,
		    sizeof dom) < 0) {
			out->result = AU_DMARC_PERMERROR;
			snprintf(out->reason, sizeof out->reason, "From domain "
			    "'%.200s' is not a valid domain name", f ? f : "");
			out->from_domain = au_dmarc__strdup(f);
			return out->from_domain || !f ? AU_OK : AU_ENOMEM;
		}
		for (j = 0; j < ndom; j++)
			if (strcmp(doms[j], dom) == 0)
				break;
		if (j < ndom)
			continue;
		if (ndom >= AU_DMARC_MAX_AUTHORS) {
			out->result = AU_DMARC_PERMERROR;
			snprintf(out->reason, sizeof out->reason, "more than %d "
			    "different From domains: not evaluated (RFC 9989 "
			    "11.5)", AU_DMARC_MAX_AUTHORS);
			return AU_OK;
		}
		memcpy(doms[ndom++], dom, sizeof dom);
	}
	if ((m = calloc(1, sizeof *m)) == NULL)
		return AU_ENOMEM;
	memset(&best, 0, sizeof best);
	for (i = 0; i < ndom; i++) {
		memset(&cur, 0, sizeof cur);
		if ((st = eval_one(d, m, doms[i], in, &cur)) != AU_OK) {
			au_dmarc_verdict_clear(&cur);
			break;
		}
		if (i == 0 || rank(&cur) > rank(&best)) {
			au_dmarc_verdict_clear(&best);
			best = cur;
		} else
			au_dmarc_verdict_clear(&cur);
	}
	au_dmarc__memo_clear(m);
	free(m);
	if (st != AU_OK) {
		au_dmarc_verdict_clear(&best);
		return st;
	}
	best.nauthors = (int)ndom;
	if (ndom > 1) {
		char tmp[sizeof best.reason];

		snprintf(tmp, sizeof tmp, "%zu From domains, the strictest "
		    "outcome is %.60s's: %.380s", ndom, best.from_domain, best.reason);
		memcpy(best.reason, tmp, sizeof tmp);
	}
	*out = best;
	return AU_OK;
}

void
au_dmarc_verdict_clear(au_dmarc_verdict *v)
{
	if (v == NULL)
		return;
	free(v->from_domain);
	free(v->policy_domain);
	free(v->org_domain);
	free(v->record);
	free(v->spf_domain);
	free(v->dkim_domain);
	free(v->dkim_selector);
	memset(v, 0, sizeof *v);
}
