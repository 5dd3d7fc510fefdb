/*
 * dns_net_answer.c - the network back end's reading of a reply: from the
 * wire message (parsed by ldns_wire2pkt) to an au_dns_answer.
 *
 * RFC 1035 4.1 (sections, rcodes); RFC 1034 3.6.2 and 4.3.2 (following the
 * CNAME chain of an answer section, bounded); RFC 2308 2.1, 2.2 and 5
 * (NXDOMAIN vs NODATA, negative TTL = min(SOA TTL, SOA MINIMUM)); RFC 6891
 * 7 (FORMERR without OPT).  Names are read from wire labels, never from
 * ldns's escaped presentation text; a name with '.' or NUL inside a label
 * cannot be given to callers as plain text and its record is not used.
 * The reply is hostile: every length and count is checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "dns_net_int.h"

static const char *
rcode_str(int rc, char *tmp, size_t tmplen)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE"
	};

	if (rc >= 0 && (size_t)rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	snprintf(tmp, tmplen, "rcode %d", rc);
	return tmp;
}

/* An answer with no records and a reason. */
au_status
au_dns__net_fail(au_dns_answer **out, au_dns_type type, au_dns_outcome oc,
    uint32_t ttl, const char *fmt, ...)
{
	au_dns_answer *a;
	va_list ap;

	if ((a = au_dns__answer_new(type, oc, 0)) == NULL)
		return AU_ENOMEM;
	a->ttl = ttl;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	*out = a;
	return AU_OK;
}

/* ------------------------------------------------------ answer parsing */

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Compare two wire names, ASCII case-insensitively. */
static int
wire_name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return 0;
	return 1;
}

static int
rdf_name_eq(const ldns_rdf *rdf, const uint8_t *name, size_t len)
{
	return rdf != NULL && ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME &&
	    wire_name_eq(ldns_rdf_data(rdf), ldns_rdf_size(rdf), name, len);
}

/*
 * A wire name as plain dotted text without the trailing dot (the root is
 * "").  NULL if it cannot be shown that way (a '.' or NUL inside a label,
 * bad label lengths) or on ENOMEM (*nomem set).
 */
static char *
wire_name_text(const ldns_rdf *rdf, int lower, int *nomem)
{
	const uint8_t *d;
	size_t size, i = 0, o = 0, j;
	char *s;

	if (rdf == NULL || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	d = ldns_rdf_data(rdf);
	size = ldns_rdf_size(rdf);
	if (size == 0 || size > 255)
		return NULL;
	if ((s = malloc(size)) == NULL) {
		*nomem = 1;
		return NULL;
	}
	while (i < size && d[i] != 0) {
		size_t llen = d[i++];

		if (llen > 63 || llen > size - i)
			goto bad;
		if (o > 0)
			s[o++] = '.';
		for (j = 0; j < llen; j++) {
			uint8_t c = d[i + j];

			if (c == '.' || c == '\0')
				goto bad;
			s[o++] = (char)(lower ? ascii_lower(c) : c);
		}
		i += llen;
	}
	if (i != size - 1)
		goto bad;
	s[o] = '\0';
	return s;
bad:
	free(s);
	return NULL;
}

/* RFC 2308 5: the negative TTL from an SOA in the authority section. */
static uint32_t
negative_ttl(const ldns_pkt *p)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(auth, i);
		const ldns_rdf *min;
		uint32_t ttl, m;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
		    ldns_rr_rd_count(rr) < 7)
			continue;
		min = ldns_rr_rdf(rr, 6);
		if (ldns_rdf_size(min) != 4)
			continue;
		ttl = ldns_rr_ttl(rr);
		m = ldns_rdf2native_int32(min);
		return ttl < m ? ttl : m;
	}
	return DNSNET_NEGTTL;
}

/* Is the authority section a referral (NS, no SOA)? */
static int
is_referral(const ldns_pkt *p)
{
	const ldns_rr_list *auth = ldns_pkt_authority(p);
	size_t i;
	int ns = 0;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		ldns_rr_type t = ldns_rr_get_type(ldns_rr_list_rr(auth, i));

		if (t == LDNS_RR_TYPE_SOA)
			return 0;
		if (t == LDNS_RR_TYPE_NS)
			ns = 1;
	}
	return ns;
}

/*
 * Copy one record of the asked type into r.  Returns 1 on success, 0 if the
 * record is unusable (skipped), -1 on ENOMEM.
 */
static int
rr_fill(au_dns_rr *r, const ldns_rr *rr, au_dns_type type)
{
	const ldns_rdf *f;
	size_t i, total = 0;
	int nomem = 0;
	char *s;

	r->ttl = ldns_rr_ttl(rr);
	switch (type) {
	case AU_DNS_T_A:
		f = ldns_rr_rdf(rr, 0);
		if (ldns_rr_rd_count(rr) != 1 || ldns_rdf_size(f) != 4)
			return 0;
		memcpy(r->u.a, ldns_rdf_data(f), 4);
		return 1;
	case AU_DNS_T_AAAA:
		f = ldns_rr_rdf(rr, 0);
		if (ldns_rr_rd_count(rr) != 1 || ldns_rdf_size(f) != 16)
			return 0;
		memcpy(r->u.aaaa, ldns_rdf_data(f), 16);
		return 1;
	case AU_DNS_T_MX:
		f = ldns_rr_rdf(rr, 0);
		if (ldns_rr_rd_count(rr) != 2 || ldns_rdf_size(f) != 2)
			return 0;
		r->u.mx.pref = ldns_rdf2native_int16(f);
		r->u.mx.host = wire_name_text(ldns_rr_rdf(rr, 1), 1, &nomem);
		return r->u.mx.host ? 1 : nomem ? -1 : 0;
	case AU_DNS_T_PTR:
	case AU_DNS_T_CNAME:
	case AU_DNS_T_NS:
		if (ldns_rr_rd_count(rr) != 1)
			return 0;
		r->u.name = wire_name_text(ldns_rr_rdf(rr, 0),
		    type == AU_DNS_T_PTR, &nomem);
		return r->u.name ? 1 : nomem ? -1 : 0;
	case AU_DNS_T_TXT:
	case AU_DNS_T_SPF:
		for (i = 0; i < ldns_rr_rd_count(rr); i++) {
			f = ldns_rr_rdf(rr, i);
			if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR ||
			    ldns_rdf_size(f) < 1 ||
			    ldns_rdf_data(f)[0] != ldns_rdf_size(f) - 1)
				return 0;
			total += ldns_rdf_size(f) - 1;
		}
		if ((s = malloc(total + 1)) == NULL)
			return -1;
		total = 0;
		for (i = 0; i < ldns_rr_rd_count(rr); i++) {
			f = ldns_rr_rdf(rr, i);
			memcpy(s + total, ldns_rdf_data(f) + 1,
			    ldns_rdf_size(f) - 1);
			total += ldns_rdf_size(f) - 1;
		}
		s[total] = '\0';
		r->u.txt.data = s;
		r->u.txt.len = total;
		r->u.txt.nstrings = ldns_rr_rd_count(rr);
		return 1;
	default:
		return 1;	/* SOA and others: only the TTL is kept */
	}
}

/*
 * The records of the asked type for the name the CNAME chain in the answer
 * section leads to (RFC 1034 3.6.2).  Sets owner and ownerlen to that name.
 */
static size_t
chain_records(const ldns_pkt *p, const dnsnet_query *q,
    const uint8_t **owner, size_t *ownerlen, uint32_t *chain_ttl, int *loop)
{
	const ldns_rr_list *ans = ldns_pkt_answer(p);
	size_t i, n = ldns_rr_list_rr_count(ans), steps, count;
	const uint8_t *cur = q->qname;
	size_t curlen = q->qnamelen;

	*loop = 0;
	*chain_ttl = UINT32_MAX;
	for (steps = 0; steps <= DNSNET_MAXCHAIN; steps++) {
		const ldns_rdf *target = NULL;
		uint32_t ttl = 0;

		count = 0;
		for (i = 0; i < n; i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ans, i);

			if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    !rdf_name_eq(ldns_rr_owner(rr), cur, curlen))
				continue;
			if ((au_dns_type)ldns_rr_get_type(rr) == q->type)
				count++;
			else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
			    ldns_rr_rd_count(rr) == 1) {
				target = ldns_rr_rdf(rr, 0);
				ttl = ldns_rr_ttl(rr);
			}
		}
		*owner = cur;
		*ownerlen = curlen;
		if (count > 0 || target == NULL ||
		    ldns_rdf_get_type(target) != LDNS_RDF_TYPE_DNAME)
			return count;
		cur = ldns_rdf_data(target);
		curlen = ldns_rdf_size(target);
		if (ttl < *chain_ttl)
			*chain_ttl = ttl;
	}
	*loop = 1;
	return 0;
}

/* Turn a reply into an answer (any outcome). */
au_status
au_dns__net_answer(dnsnet_query *q, const dnsnet_server *sv, size_t rlen,
    au_dns_answer **out)
{
	const ldns_rr_list *ans;
	const ldns_rr *qrr;
	const uint8_t *owner;
	au_dns_answer *a = NULL;
	ldns_pkt *p = NULL;
	size_t i, n, ownerlen;
	uint32_t chain_ttl;
	au_status st = AU_OK;
	char tmp[16];
	int rc, loop;

	if (ldns_wire2pkt(&p, q->buf, rlen) != LDNS_STATUS_OK)
		return au_dns__net_fail(out, q->type, AU_DNS_SERVFAIL, 0,
		    "malformed answer from %s", sv->text);
	rc = ldns_pkt_get_rcode(p);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		st = au_dns__net_fail(out, q->type, AU_DNS_SERVFAIL, 0,
		    "%s from %s", rcode_str(rc, tmp, sizeof(tmp)), sv->text);
		goto done;
	}
	qrr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if (ldns_pkt_qdcount(p) != 1 || qrr == NULL ||
	    (au_dns_type)ldns_rr_get_type(qrr) != q->type ||
	    ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN ||
	    !rdf_name_eq(ldns_rr_owner(qrr), q->qname, q->qnamelen)) {
		st = au_dns__net_fail(out, q->type, AU_DNS_SERVFAIL, 0,
		    "answer from %s does not match the question", sv->text);
		goto done;
	}
	if (rc == LDNS_RCODE_NXDOMAIN) {
		st = au_dns__net_fail(out, q->type, AU_DNS_NXDOMAIN,
		    negative_ttl(p), "%s", "");
		goto done;
	}
	n = chain_records(p, q, &owner, &ownerlen, &chain_ttl, &loop);
	if (loop) {
		st = au_dns__net_fail(out, q->type, AU_DNS_SERVFAIL, 0,
		    "CNAME chain longer than %d in the answer from %s",
		    DNSNET_MAXCHAIN, sv->text);
		goto done;
	}
	if (n == 0) {
		if (ldns_rr_list_rr_count(ldns_pkt_answer(p)) == 0 &&
		    is_referral(p))
			st = au_dns__net_fail(out, q->type, AU_DNS_SERVFAIL, 0,
			    "referral from %s (not a recursive server?)",
			    sv->text);
		else
			st = au_dns__net_fail(out, q->type, AU_DNS_NODATA,
			    negative_ttl(p), "%s", "");
		goto done;
	}
	if ((a = au_dns__answer_new(q->type, AU_DNS_RECORDS, n)) == NULL) {
		st = AU_ENOMEM;
		goto done;
	}
	a->count = 0;
	ans = ldns_pkt_answer(p);
	for (i = 0; i < ldns_rr_list_rr_count(ans) && a->count < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ans, i);
		au_dns_rr *r = &a->rr[a->count];
		int ok;

		if ((au_dns_type)ldns_rr_get_type(rr) != q->type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    !rdf_name_eq(ldns_rr_owner(rr), owner, ownerlen))
			continue;
		memset(r, 0, sizeof(*r));
		if ((ok = rr_fill(r, rr, q->type)) < 0) {
			st = AU_ENOMEM;
			goto done;
		}
		if (ok == 0)
			continue;
		if (a->count == 0 || r->ttl < a->ttl)
			a->ttl = r->ttl;
		a->count++;
	}
	if (a->count == 0) {
		a = au_dns_answer_free(a);
		st = au_dns__net_fail(out, q->type, AU_DNS_SERVFAIL, 0,
		    "unusable records in the answer from %s", sv->text);
		goto done;
	}
	if (chain_ttl < a->ttl)
		a->ttl = chain_ttl;	/* it lives no longer than its CNAMEs */
	*out = a;
	a = NULL;
done:
	au_dns_answer_free(a);
	ldns_pkt_free(p);
	return st;
}

/* Did the reply in q->buf (from a query with EDNS) say FORMERR without OPT? */
int
au_dns__net_noedns(const dnsnet_query *q, size_t rlen)
{
	ldns_pkt *p = NULL;
	int r = 0;

	if (q->len == q->qlen || (q->buf[3] & 0x0f) != LDNS_RCODE_FORMERR)
		return 0;
	if (ldns_wire2pkt(&p, q->buf, rlen) != LDNS_STATUS_OK)
		return 1;
	r = ldns_pkt_edns_udp_size(p) == 0;
	ldns_pkt_free(p);
	return r;
}
