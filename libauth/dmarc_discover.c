/*
 * dmarc_discover.c - the au_dmarc handle and DMARC policy discovery.
 *
 * RFC 9989 (default):
 *   4.10    the DNS Tree Walk: query _dmarc.<domain>, then walk towards
 *           the root, shortening names of 8 or more labels to 7 at the
 *           first step, so at most AU_DMARC_MAX_WALK queries; a name with
 *           several DMARC records counts as having none; a record with
 *           psd=y or psd=n ends the walk;
 *   4.10.1  the record that applies: the Author Domain's, else the
 *           Organizational Domain's, else the Public Suffix Domain's;
 *   4.10.2  the Organizational Domain from the records the walk found
 *           (psd=n: that name; psd=y: one label below it; else the
 *           shortest name with a record; none: the domain itself).
 * RFC 7489 (optional):
 *   3.2     Organizational Domain from the Public Suffix List (libpsl);
 *   6.6.3   query the Author Domain, then (only if that set is empty) the
 *           Organizational Domain; several records end discovery.
 * DNS SERVFAIL/timeouts give temperror; NXDOMAIN/NODATA mean no record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dmarc_int.h"

/* ---------------------------------------------------------------- handle */

static unsigned
default_rng(void *arg)
{
	(void)arg;
	return arc4random_uniform(100);
}

au_status
au_dmarc_new(au_dmarc **out, au_dns *dns, const au_dmarc_opts *opts,
    char *err, size_t errlen)
{
	au_dmarc *d;

	if (err && errlen)
		err[0] = '\0';
	if (out == NULL)
		return AU_EINVAL;
	*out = NULL;
	if (dns == NULL) {
		if (err && errlen)
			snprintf(err, errlen, "DMARC needs a DNS handle");
		return AU_EINVAL;
	}
	if ((d = calloc(1, sizeof *d)) == NULL)
		return AU_ENOMEM;
	d->dns = dns;
	d->rng = default_rng;
	if (opts) {
		d->mode = opts->mode;
		if (opts->rng) {
			d->rng = opts->rng;
			d->rng_arg = opts->rng_arg;
		}
		d->no_np = opts->no_np;
	}
	if (d->mode == AU_DMARC_RFC7489) {
		if (opts && opts->psl_file) {
			d->psl = psl_load_file(opts->psl_file);
			if (d->psl == NULL) {
				if (err && errlen)
					snprintf(err, errlen, "cannot load the public "
					    "suffix list %s", opts->psl_file);
				free(d);
				return AU_EIO;
			}
			d->psl_owned = 1;
		} else if ((d->psl = psl_latest(NULL)) != NULL) {
			d->psl_owned = d->psl != psl_builtin();
		} else
			d->psl = (psl_ctx_t *)psl_builtin();
		if (d->psl == NULL) {
			if (err && errlen)
				snprintf(err, errlen, "no public suffix list: "
				    "install the Debian package publicsuffix");
			free(d);
			return AU_ENOTFOUND;
		}
	}
	*out = d;
	return AU_OK;
}

au_dmarc_mode
au_dmarc_get_mode(const au_dmarc *d)
{
	return d ? d->mode : AU_DMARC_RFC9989;
}

au_dmarc *
au_dmarc_free(au_dmarc *d)
{
	if (d == NULL)
		return NULL;
	if (d->psl && d->psl_owned)
		psl_free(d->psl);
	free(d);
	return NULL;
}

/* ---------------------------------------------------------------- memo */

void
au_dmarc__memo_clear(dmarc_memo *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		au_dmarc_record_free(m->e[i].rec);
		free(m->e[i].step.name);
	}
	m->n = 0;
}

static void
log_step(dmarc_memo *m, const au_dmarc_step *s)
{
	au_dmarc_step *o;

	size_t i;

	if (m->steps == NULL || *m->nsteps >= m->maxsteps)
		return;
	for (i = 0; i < *m->nsteps; i++)
		if (m->steps[i].name && s->name &&
		    strcmp(m->steps[i].name, s->name) == 0)
			return;
	o = &m->steps[(*m->nsteps)++];
	*o = *s;
	o->name = au_dmarc__strdup(s->name);
}

int
au_dmarc__fetch(au_dmarc *d, dmarc_memo *m, const char *dom,
    const au_dmarc_record **rec, int *unusable)
{
	dmarc_memo_entry *e;
	au_dns_answer *ans = NULL;
	char qname[AU_DMARC_DOMAIN_MAX + 8], err[200];
	size_t i;

	*rec = NULL;
	*unusable = 0;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, dom) == 0) {
			*rec = m->e[i].rec;
			*unusable = m->e[i].unusable;
			log_step(m, &m->e[i].step);
			return m->e[i].res;
		}
	if (m->n >= DMARC_MEMO_MAX) {
		/* A message needing this many lookups is abusive: no verdict. */
		au_dmarc_step s;

		memset(&s, 0, sizeof s);
		s.name = qname;
		snprintf(qname, sizeof qname, "_dmarc.%s", dom);
		s.outcome = AU_DNS_SERVFAIL;
		snprintf(s.note, sizeof s.note, "not asked: more than %d "
		    "DMARC lookups for one message", DMARC_MEMO_MAX);
		log_step(m, &s);
		return -1;
	}
	e = &m->e[m->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", dom);
	snprintf(qname, sizeof qname, "_dmarc.%s", dom);
	e->step.name = strdup(qname);
	if (e->step.name == NULL ||
	    au_dns_query(d->dns, qname, AU_DNS_T_TXT, &ans) != AU_OK) {
		/* Out of memory: we cannot say, as with a DNS failure. */
		e->res = -1;
		e->step.outcome = AU_DNS_SERVFAIL;
		snprintf(e->step.note, sizeof e->step.note, "query failed: out of memory");
		goto done;
	}
	e->step.outcome = ans->outcome;
	if (ans->outcome == AU_DNS_SERVFAIL || ans->outcome == AU_DNS_TIMEOUT) {
		e->res = -1;
		snprintf(e->step.note, sizeof e->step.note, "DNS %s%s%s",
		    au_dns_outcome_str(ans->outcome), ans->reason[0] ? ": " : "",
		    ans->reason);
		goto done;
	}
	if (ans->outcome != AU_DNS_RECORDS) {
		e->res = 0;
		snprintf(e->step.note, sizeof e->step.note, "no record (%s)",
		    au_dns_outcome_str(ans->outcome));
		goto done;
	}
	for (i = 0; i < ans->count; i++) {
		au_dmarc_record *r = NULL;
		int bad = 0;
		au_status st;

		st = au_dmarc__record_parse(ans->rr[i].u.txt.data,
		    ans->rr[i].u.txt.len, d->mode, &r, &bad, err, sizeof err);
		if (st == AU_ENOTFOUND)
			continue;
		if (st == AU_ENOMEM) {
			e->res = -1;
			snprintf(e->step.note, sizeof e->step.note, "out of memory");
			goto done;
		}
		e->step.ndmarc++;
		if (e->step.ndmarc == 1) {
			e->rec = r;
			e->unusable = st != AU_OK || bad;
			if (e->unusable)
				snprintf(e->step.note, sizeof e->step.note, "%s", err);
		} else
			au_dmarc_record_free(r);
	}
	if (e->step.ndmarc == 0) {
		e->res = 0;
		snprintf(e->step.note, sizeof e->step.note,
		    "no TXT record starts with v=DMARC1");
	} else if (e->step.ndmarc > 1) {
		e->rec = au_dmarc_record_free(e->rec);
		e->unusable = 0;
		e->res = 0;
		snprintf(e->step.note, sizeof e->step.note,
		    "%d DMARC records: all discarded", e->step.ndmarc);
	} else {
		e->res = 1;
		e->step.valid = !e->unusable;
		if (!e->unusable)
			snprintf(e->step.note, sizeof e->step.note, "DMARC record found");
	}
done:
	au_dns_answer_free(ans);
	log_step(m, &e->step);
	*rec = e->rec;
	*unusable = e->unusable;
	return e->res;
}

/* ------------------------------------------------------------- tree walk */

static int
memo_ndmarc(dmarc_memo *m, const char *dom)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, dom) == 0)
			return m->e[i].step.ndmarc;
	return 0;
}

static const char *
memo_note(dmarc_memo *m, const char *dom)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].name, dom) == 0)
			return m->e[i].step.note;
	return "";
}


typedef struct found {
	const char		*name;	/* points into the walked domain */
	const au_dmarc_record	*rec;	/* may be NULL when unusable */
	int			 unusable;
	au_dmarc_psd		 psd;
} found;

typedef struct walk {
	found	 f[AU_DMARC_MAX_WALK];
	size_t	 n;
	int	 temperror;
	const char *tnote;	/* why, when temperror */
	size_t	 queries;
} walk;

/*
 * RFC 9989 4.10 from dom (included): collect the names with a record,
 * stopping at psd=y / psd=n.  With first_only, stop after dom itself when
 * it has a record (policy discovery needs no more).
 */
static void
tree_walk(au_dmarc *d, dmarc_memo *m, const char *dom, int first_only, walk *w)
{
	const char *target = dom;
	int labels = au_dmarc__labels(dom), first = 1;

	memset(w, 0, sizeof *w);
	while (target && w->queries < AU_DMARC_MAX_WALK) {
		const au_dmarc_record *rec;
		int unusable, res;

		res = au_dmarc__fetch(d, m, target, &rec, &unusable);
		w->queries++;
		if (res < 0) {
			w->temperror = 1;
			w->tnote = memo_note(m, target);
			if (*w->tnote == '\0')
				w->tnote = "too many DMARC lookups";
			return;
		}
		if (res == 1) {
			found *f = &w->f[w->n++];

			f->name = target;
			f->rec = rec;
			f->unusable = unusable;
			f->psd = rec && !unusable ? au_dmarc_record_get(rec)->psd :
			    AU_DMARC_PSD_U;
			if (f->psd != AU_DMARC_PSD_U)
				return;
			if (first && first_only)
				return;
		}
		if (first && labels >= 8)
			target = au_dmarc__suffix(dom, 7);
		else
			target = au_dmarc__parent(target);
		first = 0;
	}
}

/* RFC 9989 4.10.2: the Organizational Domain of dom from its walk. */
static const char *
org_from_walk(const char *dom, const walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if (w->f[i].psd == AU_DMARC_PSD_N)
			return w->f[i].name;
		if (w->f[i].psd == AU_DMARC_PSD_Y && w->f[i].name != dom)
			return au_dmarc__suffix(dom,
			    au_dmarc__labels(w->f[i].name) + 1);
	}
	if (w->n > 0)
		return w->f[w->n - 1].name;
	return dom;
}

int
au_dmarc__org(au_dmarc *d, dmarc_memo *m, const char *dom, char *out,
    size_t outlen)
{
	walk w;
	const char *org;

	if (d->mode == AU_DMARC_RFC7489) {
		org = psl_registrable_domain(d->psl, dom);
		snprintf(out, outlen, "%s", org ? org : dom);
		return 0;
	}
	tree_walk(d, m, dom, 0, &w);
	if (w.temperror) {
		snprintf(out, outlen, "%s", dom);
		return -1;
	}
	snprintf(out, outlen, "%s", org_from_walk(dom, &w));
	return 0;
}

/* ------------------------------------------------------------- discovery */

static au_status
set_found(au_dmarc_discovery *out, const char *where, const au_dmarc_record *rec,
    int unusable, const char *note)
{
	if ((out->policy_domain = strdup(where)) == NULL)
		return AU_ENOMEM;
	if (unusable || rec == NULL) {
		out->found = AU_DMARC_FOUND_PERMERROR;
		snprintf(out->reason, sizeof out->reason,
		    "DMARC record at _dmarc.%s cannot be applied: %s", where,
		    note && *note ? note : "broken record");
		return AU_OK;
	}
	out->found = AU_DMARC_FOUND_RECORD;
	/* A private copy: the memo's records die with the memo. */
	return au_dmarc__record_dup(rec, &out->record);
}

static au_status
discover_7489(au_dmarc *d, dmarc_memo *m, const char *dom,
    au_dmarc_discovery *out)
{
	const au_dmarc_record *rec;
	const char *org, *res_dom;
	int unusable, res;

	org = psl_registrable_domain(d->psl, dom);
	if (org == NULL)
		org = dom;
	if ((out->org_domain = strdup(org)) == NULL)
		return AU_ENOMEM;
	res_dom = dom;
	res = au_dmarc__fetch(d, m, dom, &rec, &unusable);
	if (res < 0)
		goto temp;
	if (res == 1) {
		out->at_author = 1;
		return set_found(out, dom, rec, unusable, memo_note(m, dom));
	}
	if (memo_ndmarc(m, dom) > 1) {
		snprintf(out->reason, sizeof out->reason, "several DMARC records "
		    "at _dmarc.%s: discovery ends (RFC 7489 6.6.3)", dom);
		return AU_OK;
	}
	if (strcmp(org, dom) != 0) {
		res_dom = org;
		res = au_dmarc__fetch(d, m, org, &rec, &unusable);
		if (res < 0)
			goto temp;
		if (res == 1)
			return set_found(out, org, rec, unusable, memo_note(m, org));
	}
	snprintf(out->reason, sizeof out->reason, "no DMARC record at _dmarc.%s%s%s",
	    dom, strcmp(org, dom) ? " or _dmarc." : "", strcmp(org, dom) ? org : "");
	return AU_OK;
temp:
	out->found = AU_DMARC_FOUND_TEMPERROR;
	snprintf(out->reason, sizeof out->reason, "DNS error looking up the "
	    "DMARC record: %s", memo_note(m, res_dom));
	return AU_OK;
}

static au_status
discover_9989(au_dmarc *d, dmarc_memo *m, const char *dom,
    au_dmarc_discovery *out)
{
	walk w;
	const char *org;
	size_t i;
	const found *use = NULL;

	tree_walk(d, m, dom, 1, &w);
	if (w.temperror) {
		out->found = AU_DMARC_FOUND_TEMPERROR;
		snprintf(out->reason, sizeof out->reason, "DNS error during the "
		    "DMARC tree walk: %s", w.tnote);
		return AU_OK;
	}
	if (w.n == 0) {
		snprintf(out->reason, sizeof out->reason, "no DMARC record at "
		    "_dmarc.%s or above it (tree walk of %zu queries)", dom,
		    w.queries);
		if ((out->org_domain = strdup(dom)) == NULL)
			return AU_ENOMEM;
		return AU_OK;
	}
	if (w.f[0].name == dom) {
		/* The Author Domain's own record applies (4.10.1). */
		out->at_author = 1;
		use = &w.f[0];
		/* Organizational Domain: only when a walk already says it. */
		if (w.f[0].psd != AU_DMARC_PSD_U)
			org = dom;
		else
			org = NULL;
	} else {
		org = org_from_walk(dom, &w);
		for (i = 0; i < w.n; i++)
			if (strcmp(w.f[i].name, org) == 0)
				use = &w.f[i];
		if (use == NULL)
			for (i = 0; i < w.n; i++)
				if (w.f[i].psd == AU_DMARC_PSD_Y) {
					use = &w.f[i];
					out->psd_policy = 1;
				}
		if (use == NULL)
			use = &w.f[w.n - 1];
	}
	if (org && (out->org_domain = strdup(org)) == NULL)
		return AU_ENOMEM;
	return set_found(out, use->name, use->rec, use->unusable,
	    memo_note(m, use->name));
}

au_status
au_dmarc__discover(au_dmarc *d, dmarc_memo *m, const char *domain,
    au_dmarc_discovery *out)
{
	char dom[AU_DMARC_DOMAIN_MAX];
	au_status st;

	memset(out, 0, sizeof *out);
	if (d == NULL || domain == NULL)
		return AU_EINVAL;
	if (au_dmarc__domain_norm(domain, strlen(domain), dom, sizeof dom) < 0) {
		out->found = AU_DMARC_FOUND_PERMERROR;
		snprintf(out->reason, sizeof out->reason,
		    "'%.200s' is not a valid domain name", domain);
		return (out->domain = strdup(domain)) ? AU_OK : AU_ENOMEM;
	}
	if ((out->domain = strdup(dom)) == NULL)
		return AU_ENOMEM;
	m->steps = out->steps;
	m->nsteps = &out->nsteps;
	m->maxsteps = sizeof out->steps / sizeof out->steps[0];
	if (d->mode == AU_DMARC_RFC7489)
		st = discover_7489(d, m, dom, out);
	else
		st = discover_9989(d, m, dom, out);
	m->steps = NULL;
	m->nsteps = NULL;
	if (st == AU_OK && out->found == AU_DMARC_FOUND_RECORD &&
	    out->record == NULL)
		st = AU_ENOMEM;
	if (st == AU_OK && out->found == AU_DMARC_FOUND_RECORD)
		snprintf(out->reason, sizeof out->reason,
		    "DMARC record at _dmarc.%s (%s)", out->policy_domain,
		    out->at_author ? "the Author Domain" : out->psd_policy ?
		    "Public Suffix Domain" : "Organizational Domain");
	return st;
}

au_status
au_dmarc_discover(au_dmarc *d, const char *domain, au_dmarc_discovery *out)
{
	dmarc_memo *m;
	au_status st;

	if (out == NULL)
		return AU_EINVAL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return AU_ENOMEM;
	st = au_dmarc__discover(d, m, domain, out);
	/* Fill in the Organizational Domain when the walk stopped early. */
	if (st == AU_OK && out->org_domain == NULL && out->domain &&
	    out->found == AU_DMARC_FOUND_RECORD) {
		char org[AU_DMARC_DOMAIN_MAX];

		m->steps = out->steps;
		m->nsteps = &out->nsteps;
		m->maxsteps = sizeof out->steps / sizeof out->steps[0];
		if (au_dmarc__org(d, m, out->domain, org, sizeof org) == 0)
			out->org_domain = strdup(org);
		m->steps = NULL;
	}
	au_dmarc__memo_clear(m);
	free(m);
	return st;
}

void
au_dmarc_discovery_clear(au_dmarc_discovery *disc)
{
	size_t i;

	if (disc == NULL)
		return;
	free(disc->domain);
	free(disc->policy_domain);
	free(disc->org_domain);
	au_dmarc_record_free(disc->record);
	for (i = 0; i < disc->nsteps; i++)
		free(disc->steps[i].name);
	memset(disc, 0, sizeof *disc);
}

au_status
au_dmarc_org_domain(au_dmarc *d, const char *domain, char **out, int *temperror)
{
	dmarc_memo *m;
	char dom[AU_DMARC_DOMAIN_MAX], org[AU_DMARC_DOMAIN_MAX];
	int r;

	if (d == NULL || domain == NULL || out == NULL)
		return AU_EINVAL;
	*out = NULL;
	if (temperror)
		*temperror = 0;
	if (au_dmarc__domain_norm(domain, strlen(domain), dom, sizeof dom) < 0)
		return AU_EINVAL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return AU_ENOMEM;
	r = au_dmarc__org(d, m, dom, org, sizeof org);
	au_dmarc__memo_clear(m);
	free(m);
	if (r < 0 && temperror)
		*temperror = 1;
	return (*out = strdup(org)) ? AU_OK : AU_ENOMEM;
}
