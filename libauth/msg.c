/*
 * msg.c - the message session of au_msg.h: one path through SPF (RFC
 * 7208, at MAIL FROM), DKIM (RFC 6376, streamed) and DMARC (RFC 9989 or
 * RFC 7489, at end of message), for authmilter and `authtool verify`.
 *
 * The From header fields are parsed as they stream past (RFC 5322 3.6.2
 * with au_addr); only their domains are kept (bounded).  Message-level
 * state is dropped by au_msg_reset(); the connection (IP, HELO and the
 * HELO identity's SPF verdict, which depends on nothing else) is kept.
 * Authentication-Results text comes from msg_ar.c; the aggregate-report
 * record (RFC 9990 row / identifiers / auth_results) is filled here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "au_msg.h"
#include "au_addr.h"
#include "msg_int.h"

static void
msg_clear_message(au_msg *m)
{
	size_t i;

	m->dkim = au_dkim_verifier_free(m->dkim);
	au_spf_verdict_clear(&m->spf_mailfrom);
	au_dmarc_verdict_clear(&m->dmarc);
	for (i = 0; i < m->nfromdom; i++)
		free(m->fromdom[i]);
	m->nfromdom = 0;
	m->nfrom = 0;
	m->from_problem[0] = '\0';
	m->too_many_from = 0;
	free(m->mfrom);
	m->mfrom = NULL;
	free(m->envfrom_domain);
	m->envfrom_domain = NULL;
	free(m->rcpt_domain);
	m->rcpt_domain = NULL;
	free(m->dkim_ptrs);
	m->dkim_ptrs = NULL;
	m->ndkim = 0;
	m->dkim_broken = 0;
	m->spf_done = 0;
	m->dmarc_done = 0;
	m->state = MSG_IDLE;
	memset(&m->results, 0, sizeof m->results);
	memset(&m->report, 0, sizeof m->report);
}

au_status
au_msg_new(au_msg **out, au_dns *dns, const au_msg_opts *opts)
{
	au_msg *m;
	char host[256];
	char err[256];
	au_status st;

	if (out == NULL)
		return AU_EINVAL;
	*out = NULL;
	if (dns == NULL)
		return AU_EINVAL;
	if ((m = calloc(1, sizeof *m)) == NULL)
		return AU_ENOMEM;
	m->dns = dns;
	if (opts)
		m->opts = *opts;
	if (m->opts.authserv_id == NULL || *m->opts.authserv_id == '\0') {
		if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		m->authserv_id = strdup(host);
	} else
		m->authserv_id = strdup(m->opts.authserv_id);
	m->receiver = m->opts.receiver ? strdup(m->opts.receiver) : NULL;
	if (m->authserv_id == NULL || (m->opts.receiver && m->receiver == NULL)) {
		au_msg_free(m);
		return AU_ENOMEM;
	}
	m->opts.authserv_id = m->authserv_id;
	m->opts.receiver = m->receiver;
	if (m->opts.dmarc) {
		m->dmarcctx = m->opts.dmarc;
	} else if (!m->opts.no_dmarc) {
		au_dmarc_opts dopts;

		memset(&dopts, 0, sizeof dopts);
		dopts.mode = m->opts.dmarc_mode;
		if ((st = au_dmarc_new(&m->dmarcctx, dns, &dopts, err,
		    sizeof err)) != AU_OK) {
			au_msg_free(m);
			return st;
		}
		m->dmarc_owned = 1;
	}
	*out = m;
	return AU_OK;
}

au_status
au_msg_connect(au_msg *m, const char *ip, const char *helo)
{
	if (m == NULL || ip == NULL)
		return AU_EINVAL;
	au_msg_reset(m);
	free(m->ip);
	free(m->helo);
	au_spf_verdict_clear(&m->spf_helo);
	m->helo_checked = 0;
	m->ip = strdup(ip);
	m->helo = strdup(helo ? helo : "");
	if (m->ip == NULL || m->helo == NULL)
		return AU_ENOMEM;
	return AU_OK;
}

static void
spf_opts(const au_msg *m, au_spf_opts *o)
{
	memset(o, 0, sizeof *o);
	o->receiver = m->receiver;
}

/* The domain of an RFC 5321 path ("<a@b>", "a@b", "" or "<>"), or "". */
static char *
path_domain(const char *mfrom)
{
	const char *at = strrchr(mfrom, '@');
	size_t n;

	if (at == NULL)
		return strdup("");
	n = strlen(at + 1);
	if (n > 0 && at[n] == '>')
		n--;
	return strndup(at + 1, n);
}

/* Start a message if the caller skipped au_msg_mailfrom(). */
static au_status
msg_begin(au_msg *m)
{
	au_status st;

	if (m->state != MSG_IDLE)
		return AU_OK;
	m->state = MSG_HEADERS;
	if (!m->opts.no_dkim &&
	    (st = au_dkim_verifier_new(&m->dkim, m->dns, &m->opts.dkim)) != AU_OK)
		return st;
	return AU_OK;
}

au_status
au_msg_mailfrom(au_msg *m, const char *mfrom)
{
	au_spf_opts so;
	au_status st;

	if (m == NULL || mfrom == NULL)
		return AU_EINVAL;
	if (m->ip == NULL)
		return AU_ESTATE;
	msg_clear_message(m);
	if ((m->mfrom = strdup(mfrom)) == NULL ||
	    (m->envfrom_domain = path_domain(mfrom)) == NULL)
		return AU_ENOMEM;
	if ((st = msg_begin(m)) != AU_OK)
		return st;
	if (m->opts.no_spf)
		return AU_OK;
	spf_opts(m, &so);
	st = au_spf_check_mailfrom(m->dns, &so, m->ip, mfrom, m->helo,
	    &m->spf_mailfrom);
	if (st != AU_OK)
		return st;
	m->spf_done = 1;
	/* The HELO identity depends on the connection only: once. */
	if (!m->opts.no_helo_spf && !m->helo_checked && m->helo[0]) {
		st = au_spf_check_helo(m->dns, &so, m->ip, m->helo, &m->spf_helo);
		if (st != AU_OK)
			return st;
		m->helo_checked = 1;
	}
	return AU_OK;
}

au_status
au_msg_rcpt(au_msg *m, const char *rcpt)
{
	if (m == NULL || rcpt == NULL)
		return AU_EINVAL;
	if (m->rcpt_domain)
		return AU_OK;
	return (m->rcpt_domain = path_domain(rcpt)) ? AU_OK : AU_ENOMEM;
}

/* Is the field named name?  Returns the offset of its value or 0. */
static size_t
field_is(const char *field, size_t len, const char *name)
{
	size_t n = strlen(name), i;

	if (len <= n || strncasecmp(field, name, n) != 0)
		return 0;
	for (i = n; i < len && (field[i] == ' ' || field[i] == '\t'); i++)
		;
	if (i >= len || field[i] != ':')
		return 0;
	return i + 1;
}

static void
from_problem(au_msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
from_problem(au_msg *m, const char *fmt, ...)
{
	va_list ap;

	if (m->from_problem[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(m->from_problem, sizeof m->from_problem, fmt, ap);
	va_end(ap);
}

/* Keep the domains of one From field (RFC 5322 3.6.2). */
static au_status
take_from(au_msg *m, const char *value, size_t len)
{
	au_addr_list *l = NULL;
	char err[200];
	size_t i, j;
	au_status st;

	m->nfrom++;
	st = au_addr_parse(value, len, &l, err, sizeof err);
	if (st == AU_ENOMEM)
		return st;
	if (st != AU_OK) {
		from_problem(m, "From field cannot be parsed: %s", err);
		return AU_OK;
	}
	if (l->naddrs == 0)
		from_problem(m, "%s", "From field holds no address");
	for (i = 0; i < l->naddrs; i++) {
		const char *d = l->addrs[i].domain;

		if (d == NULL) {
			from_problem(m, "From address '%.100s' has no domain name",
			    l->addrs[i].literal ? l->addrs[i].literal : "");
			continue;
		}
		for (j = 0; j < m->nfromdom; j++)
			if (strcasecmp(m->fromdom[j], d) == 0)
				break;
		if (j < m->nfromdom)
			continue;
		if (m->nfromdom >= MSG_MAX_FROMDOM) {
			m->too_many_from = 1;
			continue;
		}
		if ((m->fromdom[m->nfromdom] = strdup(d)) == NULL) {
			au_addr_list_free(l);
			return AU_ENOMEM;
		}
		m->nfromdom++;
	}
	au_addr_list_free(l);
	return AU_OK;
}

au_status
au_msg_header(au_msg *m, const char *field, size_t len)
{
	au_status st;
	size_t off;

	if (m == NULL || (field == NULL && len > 0))
		return AU_EINVAL;
	if (m->state == MSG_BODY || m->state == MSG_DONE)
		return AU_ESTATE;
	if ((st = msg_begin(m)) != AU_OK)
		return st;
	if ((off = field_is(field, len, "From")) > 0) {
		if (len - off > AU_ADDR_MAX_FIELD) {
			m->nfrom++;
			from_problem(m, "%s", "From field too long");
		} else if ((st = take_from(m, field + off, len - off)) != AU_OK)
			return st;
	}
	if (m->dkim && !m->dkim_broken) {
		st = au_dkim_verifier_header(m->dkim, field, len);
		if (st == AU_ENOMEM)
			return st;
		if (st != AU_OK)
			m->dkim_broken = 1;
	}
	return AU_OK;
}

au_status
au_msg_eoh(au_msg *m)
{
	au_status st;

	if (m == NULL)
		return AU_EINVAL;
	if ((st = msg_begin(m)) != AU_OK)
		return st;
	if (m->state != MSG_HEADERS)
		return AU_ESTATE;
	m->state = MSG_BODY;
	if (m->dkim && !m->dkim_broken) {
		st = au_dkim_verifier_eoh(m->dkim);
		if (st == AU_ENOMEM)
			return st;
		if (st != AU_OK)
			m->dkim_broken = 1;
	}
	return AU_OK;
}

au_status
au_msg_body(au_msg *m, const void *chunk, size_t len)
{
	au_status st;

	if (m == NULL || (chunk == NULL && len > 0))
		return AU_EINVAL;
	if (m->state != MSG_BODY)
		return AU_ESTATE;
	if (m->dkim && !m->dkim_broken && len > 0) {
		st = au_dkim_verifier_body(m->dkim, chunk, len);
		if (st == AU_ENOMEM)
			return st;
		if (st != AU_OK)
			m->dkim_broken = 1;
	}
	return AU_OK;
}

static au_status
collect_dkim(au_msg *m)
{
	size_t i, n;

	if (m->dkim == NULL || m->dkim_broken)
		return AU_OK;
	n = au_dkim_verifier_count(m->dkim);
	if (n == 0)
		return AU_OK;
	if ((m->dkim_ptrs = calloc(n, sizeof *m->dkim_ptrs)) == NULL)
		return AU_ENOMEM;
	for (i = 0; i < n; i++) {
		const au_dkim_sig_result *r = au_dkim_verifier_result(m->dkim, i);

		if (r)
			m->dkim_ptrs[m->ndkim++] = r;
	}
	return AU_OK;
}

static au_status
run_dmarc(au_msg *m)
{
	au_dmarc_dkim_input *dk = NULL;
	au_dmarc_input in;
	size_t i;
	au_status st;

	memset(&in, 0, sizeof in);
	in.from_domains = (const char *const *)m->fromdom;
	in.nfrom = m->nfromdom;
	if (m->nfrom == 0)
		in.from_problem = "no From field";
	else if (m->from_problem[0])
		in.from_problem = m->from_problem;
	else if (m->too_many_from)
		in.from_problem = "too many From domains";
	in.spf_domain = m->spf_done ? m->spf_mailfrom.domain : NULL;
	in.spf_result = m->spf_done ? m->spf_mailfrom.result : AU_SPF_NONE;
	if (m->ndkim) {
		if ((dk = calloc(m->ndkim, sizeof *dk)) == NULL)
			return AU_ENOMEM;
		for (i = 0; i < m->ndkim; i++) {
			dk[i].domain = m->dkim_ptrs[i]->domain;
			dk[i].selector = m->dkim_ptrs[i]->selector;
			dk[i].result = m->dkim_ptrs[i]->result;
		}
	}
	in.dkim = dk;
	in.ndkim = m->ndkim;
	st = au_dmarc_evaluate(m->dmarcctx, &in, &m->dmarc);
	free(dk);
	if (st == AU_OK)
		m->dmarc_done = 1;
	return st;
}

static void
fill_results(au_msg *m)
{
	au_msg_results *r = &m->results;
	au_msg_report *p = &m->report;

	r->spf_mailfrom = m->spf_mailfrom;
	r->spf_helo = m->spf_helo;
	r->ndkim = m->ndkim;
	r->dkim = (const au_dkim_sig_result *const *)m->dkim_ptrs;
	r->dmarc = m->dmarc_done ? &m->dmarc : NULL;
	r->nfrom = m->nfrom;
	r->from_domain = m->nfromdom ? m->fromdom[0] : NULL;
	r->from_problem = m->nfrom == 0 ? "no From field" :
	    m->from_problem[0] ? m->from_problem : NULL;

	p->source_ip = m->ip ? m->ip : "";
	p->helo = m->helo ? m->helo : "";
	p->envelope_from = m->envfrom_domain ? m->envfrom_domain : "";
	p->envelope_to = m->rcpt_domain ? m->rcpt_domain : "";
	p->header_from = m->dmarc_done && m->dmarc.from_domain ?
	    m->dmarc.from_domain : r->from_domain ? r->from_domain : "";
	p->spf_result = m->spf_mailfrom.result;
	p->spf_domain = m->spf_mailfrom.domain ? m->spf_mailfrom.domain : "";
	p->spf_scope = m->envfrom_domain && m->envfrom_domain[0] ? "mfrom" : "helo";
	p->ndkim = m->ndkim;
	p->dkim = r->dkim;
	p->dmarc = r->dmarc;
	p->discovery_method = au_dmarc_get_mode(m->dmarcctx) == AU_DMARC_RFC7489 ?
	    "psl" : "treewalk";
}

au_status
au_msg_eom(au_msg *m)
{
	au_status st;

	if (m == NULL)
		return AU_EINVAL;
	if (m->state == MSG_HEADERS && (st = au_msg_eoh(m)) != AU_OK)
		return st;
	if (m->state != MSG_BODY)
		return AU_ESTATE;
	if (m->dkim && !m->dkim_broken) {
		st = au_dkim_verifier_eom(m->dkim);
		if (st == AU_ENOMEM)
			return st;
		if (st != AU_OK)
			m->dkim_broken = 1;
	}
	if ((st = collect_dkim(m)) != AU_OK)
		return st;
	if (m->dmarcctx && !m->opts.no_dmarc && (st = run_dmarc(m)) != AU_OK)
		return st;
	m->state = MSG_DONE;
	fill_results(m);
	return AU_OK;
}

const au_msg_results *
au_msg_results_get(const au_msg *m)
{
	return m && m->state == MSG_DONE ? &m->results : NULL;
}

const au_msg_report *
au_msg_report_record(const au_msg *m)
{
	return m && m->state == MSG_DONE ? &m->report : NULL;
}

void
au_msg_reset(au_msg *m)
{
	if (m == NULL)
		return;
	msg_clear_message(m);
}

au_msg *
au_msg_free(au_msg *m)
{
	if (m == NULL)
		return NULL;
	msg_clear_message(m);
	au_spf_verdict_clear(&m->spf_helo);
	if (m->dmarc_owned)
		au_dmarc_free(m->dmarcctx);
	free(m->ip);
	free(m->helo);
	free(m->authserv_id);
	free(m->receiver);
	free(m);
	return NULL;
}
