/*
 * spf_eval.c - check_host() of RFC 7208 (sections 2.3, 2.4, 4, 5, 6, 7.3,
 * 11.1) and the MAIL FROM / HELO identities built on it.
 *
 * One evaluation keeps its state in an eval context: the client address,
 * the sender, the DNS-querying term count (10, section 4.6.4, one global
 * count over includes and redirects), the void lookup count (2), the
 * validated PTR names (computed once, at most 10 names looked at), the
 * chain of domains being evaluated (for messages, and an explicit depth
 * bound) and a deadline for the whole evaluation.
 *
 * Every verdict gets a reason saying what decided it: the matching term
 * and where, the DNS lookup that failed, the limit that was hit with the
 * include/redirect chain, the syntax error with the offending term.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "au_dns_int.h"
#include "spf_int.h"

#define DEFAULT_MAX_SECONDS	20.0
#define MAX_SENDER		1024	/* bytes of a sender we evaluate */

enum { M_NOMATCH = 0, M_MATCH = 1, M_ERROR = -1 };

typedef struct ptrcache {
	int		 done;
	au_dns_outcome	 outcome;	/* of the PTR query */
	size_t		 n;		/* validated names */
	char		 names[AU_SPF_MAX_MXPTR_NAMES][AU_SPF__MAX_NAME + 2];
} ptrcache;

typedef struct ectx {
	au_dns		*dns;
	au_ip		 ip;
	char		 ipstr[AU_IP_TEXTLEN];
	au_spf__macro_in min;		/* macro values; min.domain varies */
	int		 max_lookups, max_void;
	int		 lookups, voids;
	int		 no_exp;
	double		 deadline;	/* now_s() value */
	double		 max_seconds;
	int		 expired;
	int		 in_eval;	/* %{p} counts as a lookup */
	int		 p_abort;	/* %{p} hit the lookup limit */
	ptrcache	 ptr;
	const char	*chain[AU_SPF__MAX_DEPTH + 2];
	size_t		 depth;
	au_spf_result	 err;		/* result of an M_ERROR */
	au_status	 status;	/* AU_ENOMEM stops everything */
	char		 reason[512];
	char		 errchain[240];	/* where an error happened, "a -> b" */
	int		 chain_done;	/* the reason already names the chain */
	char		 big[96];	/* costliest include of the top record */
	int		 big_cost;	/* and its DNS lookups */
	char		 mech[256];	/* the matching term at the top-most level */
	char		*explanation;
} ectx;

static void
reason(ectx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reason(ectx *c, const char *fmt, ...)
{
	char tmp[sizeof c->reason];
	va_list ap;

	/* The arguments may point into c->reason: format into a copy. */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	memcpy(c->reason, tmp, sizeof c->reason);
}

/* A name or term for a message (names from DNS may hold any byte). */
#define P(s, buf)	au_spf__printable((s), strlen(s), (buf), sizeof (buf))

static int
fail_with(ectx *c, au_spf_result r)
{
	c->err = r;
	return M_ERROR;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
past_deadline(ectx *c)
{
	if (now_s() >= c->deadline)
		c->expired = 1;
	return c->expired;
}

/*
 * Ask DNS.  Returns the answer (release it) or NULL when the evaluation
 * must stop (out of memory, past the deadline: c->status / c->expired).
 */
static au_dns_answer *
query(ectx *c, const char *name, au_dns_type type)
{
	au_dns_answer *ans = NULL;
	au_status st;

	if (c->status != AU_OK || past_deadline(c))
		return NULL;
	st = au_dns_query(c->dns, name, type, &ans);
	if (st == AU_OK && ans != NULL)
		return ans;
	if (st == AU_ENOMEM) {
		c->status = AU_ENOMEM;
		return NULL;
	}
	/* The DNS layer refused the question: report it as a DNS error. */
	if ((ans = au_dns__answer_new(type, AU_DNS_SERVFAIL, 0)) == NULL) {
		c->status = AU_ENOMEM;
		return NULL;
	}
	snprintf(ans->reason, sizeof ans->reason, "DNS layer: %s", au_strerror(st));
	return ans;
}

static const char *
dns_why(const au_dns_answer *ans)
{
	return ans->reason[0] ? ans->reason : au_dns_outcome_str(ans->outcome);
}

static int
is_void(const au_dns_answer *ans)
{
	return ans->outcome == AU_DNS_NXDOMAIN || ans->outcome == AU_DNS_NODATA;
}

static int
is_dnserr(const au_dns_answer *ans)
{
	return ans->outcome == AU_DNS_SERVFAIL || ans->outcome == AU_DNS_TIMEOUT;
}

/* The chain of domains being evaluated, "a -> b -> c", for messages. */
static const char *
chain_str(const ectx *c, size_t count, char *buf, size_t len)
{
	size_t i, o = 0;
	char p[80];

	buf[0] = '\0';
	for (i = 0; i < count && o + 1 < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? " -> " : "",
		    P(c->chain[i], p));

		if (n < 0 || (size_t)n >= len - o) {
			if (len > 4)
				memcpy(buf + len - 4, "...", 4);
			break;
		}
		o += (size_t)n;
	}
	return buf;
}

/* Count one DNS-querying term (section 4.6.4); M_ERROR past the limit. */
static int
count_lookup(ectx *c, const char *term, const char *domain)
{
	char t[96], d[80], ch[240], big[140] = "";
	size_t i, j, upto = c->depth;
	int loop = 0;

	if (++c->lookups <= c->max_lookups)
		return M_NOMATCH;
	/* Name a loop by its first repetition. */
	for (j = 1; j < c->depth && !loop; j++)
		for (i = 0; i < j; i++)
			if (strcasecmp(c->chain[i], c->chain[j]) == 0) {
				loop = 1;
				upto = j + 1;
				break;
			}
	c->chain_done = 1;
	if (c->big_cost > 1 && !loop)
		snprintf(big, sizeof big, "; '%s' used %d", c->big, c->big_cost);
	reason(c, "%d DNS lookups (limit %d) at '%s' in %s; %s %s%s",
	    c->lookups, c->max_lookups, P(term, t), P(domain, d),
	    loop ? "include/redirect loop:" : "chain:",
	    chain_str(c, upto, ch, sizeof ch), big);
	return fail_with(c, AU_SPF_PERMERROR);
}

/* Count a void lookup (NXDOMAIN/NODATA); M_ERROR past the limit. */
static int
count_void(ectx *c, const char *term, const char *domain, const char *name,
    const au_dns_answer *ans)
{
	char t[96], d[80], n[80];

	if (++c->voids <= c->max_void)
		return M_NOMATCH;
	reason(c, "%d void DNS lookups (limit %d): '%s' in %s found nothing at %s (%s)",
	    c->voids, c->max_void, P(term, t), P(domain, d), P(name, n),
	    au_dns_outcome_str(ans->outcome));
	return fail_with(c, AU_SPF_PERMERROR);
}

static int
temperror(ectx *c, const char *term, const char *domain, const char *name,
    const au_dns_answer *ans)
{
	char t[96], d[80], n[80];

	reason(c, "DNS %s lookup for %s failed (%s) at '%s' in %s",
	    au_dns_type_str(ans->type), P(name, n), dns_why(ans),
	    P(term, t), P(domain, d));
	return fail_with(c, AU_SPF_TEMPERROR);
}

/* After query() returned NULL: out of memory or out of time. */
static int
stopped(ectx *c)
{
	if (c->status == AU_OK && c->expired) {
		reason(c, "SPF evaluation took longer than %.0f seconds", c->max_seconds);
		return fail_with(c, AU_SPF_TEMPERROR);
	}
	if (c->status == AU_OK)
		c->status = AU_ENOMEM;
	c->err = AU_SPF_TEMPERROR;
	return M_ERROR;
}

/* Compare the client with the addresses of an A/AAAA answer. */
static int
addr_match(const ectx *c, const au_dns_answer *ans, int prefix)
{
	size_t i;
	au_ip a;

	for (i = 0; i < ans->count; i++) {
		memset(&a, 0, sizeof a);
		if (ans->type == AU_DNS_T_A) {
			a.family = AU_IP_V4;
			memcpy(a.bytes, ans->rr[i].u.a, 4);
		} else {
			a.family = AU_IP_V6;
			memcpy(a.bytes, ans->rr[i].u.aaaa, 16);
		}
		if (au_ip_in_net(&c->ip, &a, (unsigned)prefix))
			return 1;
	}
	return 0;
}

static au_dns_type
addr_type(const ectx *c)
{
	return c->ip.family == AU_IP_V4 ? AU_DNS_T_A : AU_DNS_T_AAAA;
}

/* Is name equal to target or below it?  Both may end in a dot. */
static int
name_within(const char *name, const char *target)
{
	size_t nl = strlen(name), tl = strlen(target);

	if (nl && name[nl - 1] == '.')
		nl--;
	if (tl && target[tl - 1] == '.')
		tl--;
	if (nl < tl)
		return 0;
	if (strncasecmp(name + nl - tl, target, tl) != 0)
		return 0;
	return nl == tl || name[nl - tl - 1] == '.';
}

/*
 * The validated names of the client (section 5.5): PTR names (the first
 * 10) whose addresses include the client.  DNS errors skip a name.
 * Returns 0, or -1 when the evaluation must stop.
 */
static int
ptr_lookup(ectx *c)
{
	char rev[AU_IP_TEXTLEN];
	au_dns_answer *ans, *a;
	size_t i;

	if (c->ptr.done)
		return 0;
	au_ip_reverse_name(&c->ip, rev, sizeof rev);
	if ((ans = query(c, rev, AU_DNS_T_PTR)) == NULL)
		return -1;
	c->ptr.outcome = ans->outcome;
	for (i = 0; ans->outcome == AU_DNS_RECORDS && i < ans->count &&
	    i < AU_SPF_MAX_MXPTR_NAMES; i++) {
		const char *name = ans->rr[i].u.name;

		if (name == NULL || !au_spf__name_ok(name, strlen(name)))
			continue;
		if ((a = query(c, name, addr_type(c))) == NULL) {
			au_dns_answer_free(ans);
			return -1;
		}
		if (a->outcome == AU_DNS_RECORDS && addr_match(c, a, 128))
			snprintf(c->ptr.names[c->ptr.n++], sizeof c->ptr.names[0],
			    "%s", name);
		au_dns_answer_free(a);
	}
	au_dns_answer_free(ans);
	c->ptr.done = 1;
	return 0;
}

/* %{p} (section 7.3): the validated name for the current domain. */
static au_status
p_macro(void *arg, const char **name)
{
	ectx *c = arg;
	const char *domain = c->min.domain;
	size_t i;

	*name = NULL;
	if (!c->ptr.done && c->in_eval && count_lookup(c, "%{p}", domain) != M_NOMATCH) {
		c->p_abort = 1;
		return AU_ETOOBIG;
	}
	if (ptr_lookup(c) < 0) {
		if (c->status != AU_OK)
			return c->status;
		/* Out of time: "unknown" here, the caller sees c->expired. */
		return AU_OK;
	}
	for (i = 0; i < c->ptr.n; i++)
		if (name_within(c->ptr.names[i], domain) &&
		    name_within(domain, c->ptr.names[i])) {
			*name = c->ptr.names[i];
			return AU_OK;
		}
	for (i = 0; i < c->ptr.n; i++)
		if (name_within(c->ptr.names[i], domain)) {
			*name = c->ptr.names[i];
			return AU_OK;
		}
	if (c->ptr.n > 0)
		*name = c->ptr.names[0];
	return AU_OK;
}

/*
 * Expand a term's domain-spec (or take the current domain) into b.
 * Returns 0 with a usable name, 1 for a name that cannot be queried,
 * M_ERROR with the verdict in c.
 */
static int
target(ectx *c, const au_spf_term *t, const char *domain, au_buf *b)
{
	char err[200], tt[96], d[80];
	au_status st;

	/* One allocation for any name that can be queried. */
	if ((st = au_buf_reserve(b, AU_SPF__MAX_NAME + 2)) != AU_OK) {
		c->status = AU_ENOMEM;
		c->err = AU_SPF_TEMPERROR;
		return M_ERROR;
	}
	if (t->domain_spec == NULL)
		st = au_buf_puts(b, domain);
	else {
		c->min.domain = domain;
		st = au_spf__macro_run(&c->min, t->domain_spec,
		    strlen(t->domain_spec), AU_SPF__M_DOMAIN, b, NULL, err,
		    sizeof err);
	}
	if (st == AU_ENOMEM) {
		c->status = AU_ENOMEM;
		c->err = AU_SPF_TEMPERROR;
		return M_ERROR;
	}
	if (st != AU_OK) {
		if (c->p_abort)
			return M_ERROR;		/* %{p} hit the lookup limit */
		reason(c, "cannot expand '%s' in %s: %s", P(t->text, tt),
		    P(domain, d), err);
		return fail_with(c, AU_SPF_PERMERROR);
	}
	if (c->expired)
		return stopped(c);
	au_spf__truncate(b);
	if (b->len == 0 || !au_spf__name_ok(b->data, b->len))
		return 1;
	return 0;
}

static au_spf_result check_host(ectx *c, const char *domain, int want_exp);

/* a, mx: does the client match the addresses of name? */
static int
match_a(ectx *c, const au_spf_term *t, const char *domain, const char *name,
    int count_voids)
{
	au_dns_answer *ans;
	int prefix, r = M_NOMATCH;

	if ((ans = query(c, name, addr_type(c))) == NULL)
		return stopped(c);
	if (c->ip.family == AU_IP_V4)
		prefix = t->cidr4 >= 0 ? t->cidr4 : 32;
	else
		prefix = t->cidr6 >= 0 ? t->cidr6 : 128;
	if (ans->outcome == AU_DNS_RECORDS)
		r = addr_match(c, ans, prefix) ? M_MATCH : M_NOMATCH;
	else if (is_void(ans))
		r = count_voids ? count_void(c, t->text, domain, name, ans) : M_NOMATCH;
	else
		r = temperror(c, t->text, domain, name, ans);
	au_dns_answer_free(ans);
	return r;
}

static int
match_mx(ectx *c, const au_spf_term *t, const char *domain, const char *name)
{
	au_dns_answer *ans;
	char n[80], d[80];
	size_t i;
	int r = M_NOMATCH;

	if ((ans = query(c, name, AU_DNS_T_MX)) == NULL)
		return stopped(c);
	if (is_void(ans))
		r = count_void(c, t->text, domain, name, ans);
	else if (is_dnserr(ans))
		r = temperror(c, t->text, domain, name, ans);
	else if (ans->count > AU_SPF_MAX_MXPTR_NAMES) {
		reason(c, "'%s' in %s: %s has %zu MX records (limit %d)",
		    t->text, P(domain, d), P(name, n), ans->count,
		    AU_SPF_MAX_MXPTR_NAMES);
		r = fail_with(c, AU_SPF_PERMERROR);
	} else {
		for (i = 0; i < ans->count && r == M_NOMATCH; i++) {
			const char *host = ans->rr[i].u.mx.host;

			/* A null MX (".") or a bad name: nothing to look up. */
			if (host == NULL || !au_spf__name_ok(host, strlen(host)))
				continue;
			r = match_a(c, t, domain, host, 0);
		}
	}
	au_dns_answer_free(ans);
	return r;
}

static int
match_ptr(ectx *c, const au_spf_term *t, const char *domain, const char *name)
{
	size_t i;
	char rev[AU_IP_TEXTLEN];
	au_dns_answer fake;

	if (ptr_lookup(c) < 0)
		return stopped(c);
	if (c->ptr.outcome == AU_DNS_NXDOMAIN || c->ptr.outcome == AU_DNS_NODATA) {
		memset(&fake, 0, sizeof fake);
		fake.outcome = c->ptr.outcome;
		return count_void(c, t->text, domain,
		    au_ip_reverse_name(&c->ip, rev, sizeof rev), &fake);
	}
	for (i = 0; i < c->ptr.n; i++)
		if (name_within(c->ptr.names[i], name))
			return M_MATCH;
	return M_NOMATCH;
}

static int
match_exists(ectx *c, const au_spf_term *t, const char *domain, const char *name)
{
	au_dns_answer *ans;
	int r;

	if ((ans = query(c, name, AU_DNS_T_A)) == NULL)
		return stopped(c);
	if (ans->outcome == AU_DNS_RECORDS)
		r = M_MATCH;
	else if (is_void(ans))
		r = count_void(c, t->text, domain, name, ans);
	else
		r = temperror(c, t->text, domain, name, ans);
	au_dns_answer_free(ans);
	return r;
}

/* include (section 5.2): recurse and map the result. */
static int
match_include(ectx *c, const au_spf_term *t, const char *domain, const char *name)
{
	char tt[96], d[80];
	au_spf_result r;
	int before = c->lookups - 1;

	r = check_host(c, name, 0);
	if (c->status != AU_OK)
		return M_ERROR;
	if (c->depth == 1 && c->lookups - before > c->big_cost) {
		c->big_cost = c->lookups - before;
		P(t->text, c->big);
	}
	switch (r) {
	case AU_SPF_PASS:
		return M_MATCH;
	case AU_SPF_FAIL:
	case AU_SPF_SOFTFAIL:
	case AU_SPF_NEUTRAL:
		c->mech[0] = '\0';
		return M_NOMATCH;
	case AU_SPF_NONE:
		reason(c, "'%s' in %s: %s", P(t->text, tt), P(domain, d), c->reason);
		return fail_with(c, AU_SPF_PERMERROR);
	default:
		/* The reason from inside stays; run() adds the chain. */
		return fail_with(c, r);
	}
}

/* Evaluate one mechanism: M_MATCH, M_NOMATCH or M_ERROR. */
static int
eval_mech(ectx *c, const au_spf_term *t, const char *domain)
{
	au_buf b = AU_BUF_INIT(AU_SPF__MAX_EXPAND);
	au_ip net;
	int r;
	char tt[96], d[80], n[80];

	switch (t->kind) {
	case AU_SPF_IP4:
	case AU_SPF_IP6:
		memset(&net, 0, sizeof net);
		net.family = t->kind == AU_SPF_IP4 ? AU_IP_V4 : AU_IP_V6;
		memcpy(net.bytes, t->ip, sizeof net.bytes);
		if (t->kind == AU_SPF_IP4)
			r = au_ip_in_net(&c->ip, &net, t->cidr4 >= 0 ? (unsigned)t->cidr4 : 32);
		else
			r = au_ip_in_net(&c->ip, &net, t->cidr6 >= 0 ? (unsigned)t->cidr6 : 128);
		if (!r)
			return M_NOMATCH;
		/* FALLTHROUGH */
	case AU_SPF_ALL:
		reason(c, "matched '%s' in %s", P(t->text, tt), P(domain, d));
		return M_MATCH;
	default:
		break;
	}
	if (count_lookup(c, t->text, domain) != M_NOMATCH)
		return M_ERROR;
	if ((r = target(c, t, domain, &b)) != 0) {
		au_buf_free(&b);
		if (r == M_ERROR)
			return M_ERROR;
		/* A target that is no domain name (RFC 7208 4.8). */
		if (t->kind == AU_SPF_INCLUDE) {
			reason(c, "'%s' in %s: the target is not a valid domain name",
			    P(t->text, tt), P(domain, d));
			return fail_with(c, AU_SPF_PERMERROR);
		}
		return M_NOMATCH;
	}
	switch (t->kind) {
	case AU_SPF_A:
		r = match_a(c, t, domain, b.data, 1);
		break;
	case AU_SPF_MX:
		r = match_mx(c, t, domain, b.data);
		break;
	case AU_SPF_PTR:
		r = match_ptr(c, t, domain, b.data);
		break;
	case AU_SPF_EXISTS:
		r = match_exists(c, t, domain, b.data);
		break;
	case AU_SPF_INCLUDE:
		r = match_include(c, t, domain, b.data);
		break;
	default:
		r = M_NOMATCH;
		break;
	}
	if (r == M_MATCH && t->kind == AU_SPF_INCLUDE)
		reason(c, "matched '%s' in %s (%s)", P(t->text, tt), P(domain, d),
		    c->reason);
	else if (r == M_MATCH && t->domain_spec &&
	    strcmp(t->domain_spec, b.data) != 0)
		reason(c, "matched '%s' (%s) in %s", P(t->text, tt),
		    P(b.data, n), P(domain, d));
	else if (r == M_MATCH)
		reason(c, "matched '%s' in %s", P(t->text, tt), P(domain, d));
	au_buf_free(&b);
	if (r != M_ERROR && c->expired)
		return stopped(c);
	return r;
}

/*
 * The explanation of a fail (section 6.2): fetch and expand the exp=
 * target.  Any problem means no explanation (NULL), never an error.
 */
static void
explain(ectx *c, const au_spf_term *t, const char *domain)
{
	au_buf name = AU_BUF_INIT(AU_SPF__MAX_EXPAND);
	au_buf text = AU_BUF_INIT(AU_SPF_MAX_EXPLANATION);
	au_dns_answer *ans = NULL;
	char err[200];
	size_t i;

	c->in_eval = 0;
	c->min.domain = domain;
	if (au_spf__macro_run(&c->min, t->domain_spec, strlen(t->domain_spec),
	    AU_SPF__M_DOMAIN, &name, NULL, err, sizeof err) != AU_OK)
		goto out;
	au_spf__truncate(&name);
	if (name.len == 0 || !au_spf__name_ok(name.data, name.len))
		goto out;
	if ((ans = query(c, name.data, AU_DNS_T_TXT)) == NULL)
		goto out;
	if (ans->outcome != AU_DNS_RECORDS || ans->count != 1 ||
	    memchr(ans->rr[0].u.txt.data, '\0', ans->rr[0].u.txt.len) != NULL)
		goto out;
	if (au_spf__macro_run(&c->min, ans->rr[0].u.txt.data,
	    ans->rr[0].u.txt.len, AU_SPF__M_EXPLAIN, &text, NULL, err,
	    sizeof err) != AU_OK || text.len == 0)
		goto out;
	/* US-ASCII only (section 6.2), also after %{l} and friends. */
	for (i = 0; i < text.len; i++)
		if ((unsigned char)text.data[i] < 0x20 || (unsigned char)text.data[i] > 0x7e)
			goto out;
	free(c->explanation);
	c->explanation = NULL;
	if (au_buf_detach(&text, &c->explanation) != AU_OK)
		c->explanation = NULL;
out:
	if (c->status == AU_ENOMEM)
		c->status = AU_OK;	/* an explanation is optional */
	c->expired = 0;
	c->in_eval = 1;
	au_dns_answer_free(ans);
	au_buf_free(&name);
	au_buf_free(&text);
}

static au_spf_result
qualifier_result(char q)
{
	switch (q) {
	case '-':
		return AU_SPF_FAIL;
	case '~':
		return AU_SPF_SOFTFAIL;
	case '?':
		return AU_SPF_NEUTRAL;
	default:
		return AU_SPF_PASS;
	}
}

static int
is_spf_record(const au_dns_rr *rr)
{
	return rr->u.txt.len >= 6 && strncasecmp(rr->u.txt.data, "v=spf1", 6) == 0 &&
	    (rr->u.txt.len == 6 || rr->u.txt.data[6] == ' ');
}

/* Fetch, select and parse the record of domain (sections 4.4, 4.5, 4.6). */
static au_spf_result
fetch_record(ectx *c, const char *domain, au_spf_record **recp)
{
	au_dns_answer *ans;
	size_t i, n = 0, which = 0;
	char d[80], err[300];
	au_status st;

	*recp = NULL;
	if ((ans = query(c, domain, AU_DNS_T_TXT)) == NULL) {
		stopped(c);
		return AU_SPF_TEMPERROR;
	}
	if (is_dnserr(ans)) {
		reason(c, "DNS TXT lookup for %s failed (%s)", P(domain, d), dns_why(ans));
		au_dns_answer_free(ans);
		return AU_SPF_TEMPERROR;
	}
	if (is_void(ans)) {
		reason(c, "no SPF record at %s (%s)", P(domain, d),
		    ans->outcome == AU_DNS_NXDOMAIN ? "the domain does not exist" :
		    "no TXT records");
		au_dns_answer_free(ans);
		return AU_SPF_NONE;
	}
	for (i = 0; i < ans->count; i++)
		if (is_spf_record(&ans->rr[i])) {
			n++;
			which = i;
		}
	if (n != 1) {
		if (n == 0)
			reason(c, "no SPF record at %s (%zu TXT record%s, none starting with \"v=spf1\")",
			    P(domain, d), ans->count, ans->count == 1 ? "" : "s");
		else
			reason(c, "%zu SPF records at %s (there must be exactly one)",
			    n, P(domain, d));
		au_dns_answer_free(ans);
		return n == 0 ? AU_SPF_NONE : AU_SPF_PERMERROR;
	}
	st = au_spf_record_parse(ans->rr[which].u.txt.data,
	    ans->rr[which].u.txt.len, recp, err, sizeof err);
	au_dns_answer_free(ans);
	if (st == AU_ENOMEM) {
		c->status = AU_ENOMEM;
		return AU_SPF_TEMPERROR;
	}
	if (st != AU_OK) {
		reason(c, "SPF record at %s: %s", P(domain, d), err);
		return AU_SPF_PERMERROR;
	}
	return AU_SPF_NONE;
}

/* Follow redirect= (section 6.1). */
static au_spf_result
redirect(ectx *c, const au_spf_term *t, const char *domain, int want_exp)
{
	au_buf b = AU_BUF_INIT(AU_SPF__MAX_EXPAND);
	au_spf_result r;
	char tt[96], d[80];
	int x;

	if (count_lookup(c, t->text, domain) != M_NOMATCH)
		return c->err;
	if ((x = target(c, t, domain, &b)) != 0) {
		au_buf_free(&b);
		if (x == M_ERROR)
			return c->err;
		reason(c, "'%s' in %s: the target is not a valid domain name",
		    P(t->text, tt), P(domain, d));
		return AU_SPF_PERMERROR;
	}
	r = check_host(c, b.data, want_exp);
	au_buf_free(&b);
	if (r == AU_SPF_NONE) {
		reason(c, "'%s' in %s: %s", P(t->text, tt), P(domain, d), c->reason);
		r = AU_SPF_PERMERROR;
	}
	return r;
}

/* check_host() of section 4 for domain; the verdict's reason in c. */
static au_spf_result
check_host(ectx *c, const char *domain, int want_exp)
{
	au_spf_record *rec = NULL;
	au_spf_result r;
	const au_spf_term *t = NULL;
	size_t i;
	int m = M_NOMATCH;
	char d[80], ch[240];

	if (c->depth >= AU_SPF__MAX_DEPTH) {
		reason(c, "include/redirect nesting deeper than %d at %s; chain: %s",
		    AU_SPF__MAX_DEPTH, P(domain, d), chain_str(c, c->depth, ch, sizeof ch));
		return AU_SPF_PERMERROR;
	}
	if (!au_spf__name_ok(domain, strlen(domain))) {
		reason(c, "'%s' is not a valid domain name", P(domain, d));
		return AU_SPF_NONE;
	}
	c->chain[c->depth++] = domain;
	r = fetch_record(c, domain, &rec);
	if (rec == NULL)
		goto out;
	for (i = 0; i < rec->nterms; i++) {
		t = &rec->terms[i];
		if (t->kind >= AU_SPF_REDIRECT)
			continue;
		if ((m = eval_mech(c, t, domain)) != M_NOMATCH)
			break;
	}
	if (m == M_ERROR) {
		r = c->err;
		c->mech[0] = '\0';
	} else if (m == M_MATCH) {
		r = qualifier_result(t->qualifier);
		snprintf(c->mech, sizeof c->mech, "%s", t->text);
		if (r == AU_SPF_FAIL && want_exp && rec->exp >= 0 && !c->no_exp)
			explain(c, &rec->terms[rec->exp], domain);
	} else if (rec->redirect >= 0 && !rec->has_all) {
		r = redirect(c, &rec->terms[rec->redirect], domain, want_exp);
	} else {
		r = AU_SPF_NEUTRAL;
		c->mech[0] = '\0';
		reason(c, "no mechanism matched in %s (default result neutral)",
		    P(domain, d));
	}
out:
	if ((r == AU_SPF_TEMPERROR || r == AU_SPF_PERMERROR) && c->depth > 1 &&
	    !c->errchain[0] && !c->chain_done)
		chain_str(c, c->depth, c->errchain, sizeof c->errchain);
	au_spf_record_free(rec);
	c->depth--;
	return r;
}

/* Is domain usable as the <domain> of section 4.3? Sets the reason if not. */
static int
domain_ok(ectx *c, const char *domain)
{
	size_t len = strlen(domain), i, dot;
	char d[80];
	int dots = 0;

	if (len > 0 && domain[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)domain[i];

		if (ch <= 0x20 || ch >= 0x7f)
			break;
		dots += ch == '.';
	}
	if (len == 0 || i < len || !au_spf__name_ok(domain, len)) {
		reason(c, "'%s' is not a valid domain name (RFC 7208 4.3)", P(domain, d));
		return 0;
	}
	if (dots == 0) {
		reason(c, "'%s' is not a multi-label domain name (RFC 7208 4.3)", P(domain, d));
		return 0;
	}
	for (dot = len; dot > 0 && domain[dot - 1] != '.'; dot--)
		;
	if (!au_spf__toplabel_ok(domain + dot, len - dot)) {
		reason(c, "'%s' does not end in a valid top-level label (RFC 7208 4.3)",
		    P(domain, d));
		return 0;
	}
	return 1;
}

static char *
dupstr(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

/*
 * The common path of the three entry points: sender is the complete
 * "local@domain" (local-part already defaulted).
 */
static au_status
run(au_dns *dns, const au_spf_opts *opts, const char *ip, const char *domain,
    const char *sender, const char *helo, const char *identity,
    au_spf_verdict *out)
{
	ectx *c;
	au_spf_result r = AU_SPF_NONE;
	au_status st = AU_OK;
	const char *at;
	char dflt[AU_SPF_MAX_EXPLANATION], d[80];

	if ((c = calloc(1, sizeof *c)) == NULL)
		return AU_ENOMEM;
	c->dns = dns;
	if (au_ip_parse_str(ip, &c->ip) != AU_OK) {
		free(c);
		return AU_EINVAL;
	}
	au_ip_unmap(&c->ip);
	au_ip_format(&c->ip, c->ipstr, sizeof c->ipstr);
	c->max_lookups = opts && opts->max_dns_mechs > 0 ? opts->max_dns_mechs :
	    AU_SPF_MAX_DNS_MECHS;
	c->max_void = opts && opts->max_void > 0 ? opts->max_void : AU_SPF_MAX_VOID;
	c->no_exp = opts ? opts->no_explanation : 0;
	c->max_seconds = opts && opts->max_seconds > 0 ? opts->max_seconds :
	    DEFAULT_MAX_SECONDS;
	c->deadline = now_s() + c->max_seconds;
	c->in_eval = 1;
	c->min.ip = &c->ip;
	c->min.sender = sender;
	at = strrchr(sender, '@');
	c->min.local_len = at ? (size_t)(at - sender) : 0;
	c->min.helo = helo && helo[0] ? helo : "unknown";
	c->min.receiver = opts ? opts->receiver : NULL;
	c->min.ptr = p_macro;
	c->min.ptr_arg = c;

	out->identity = identity;
	if ((out->domain = dupstr(domain)) == NULL ||
	    (out->sender = dupstr(sender)) == NULL) {
		st = AU_ENOMEM;
		goto done;
	}
	if (strlen(sender) > MAX_SENDER) {
		reason(c, "the sender is longer than %d bytes", MAX_SENDER);
		r = AU_SPF_NONE;
	} else if (domain_ok(c, domain)) {
		r = check_host(c, domain, 1);
		if (c->status != AU_OK) {
			st = c->status;
			goto done;
		}
	} else
		r = AU_SPF_NONE;
	out->result = r;
	out->dns_lookups = c->lookups;
	out->void_lookups = c->voids;
	snprintf(out->reason, sizeof out->reason, "%s", c->reason);
	if ((r == AU_SPF_TEMPERROR || r == AU_SPF_PERMERROR) && c->errchain[0]) {
		size_t l = strlen(out->reason);

		snprintf(out->reason + l, sizeof out->reason - l, "; via %s",
		    c->errchain);
	}
	if (r != AU_SPF_NONE && r != AU_SPF_TEMPERROR && r != AU_SPF_PERMERROR &&
	    c->mech[0] && (out->mechanism = dupstr(c->mech)) == NULL) {
		st = AU_ENOMEM;
		goto done;
	}
	if (r == AU_SPF_FAIL) {
		if (c->explanation) {
			out->explanation = c->explanation;
			c->explanation = NULL;
		} else {
			snprintf(dflt, sizeof dflt,
			    "%s does not designate %s as a permitted sender",
			    P(domain, d), c->ipstr);
			if ((out->explanation = dupstr(dflt)) == NULL)
				st = AU_ENOMEM;
		}
	}
done:
	free(c->explanation);
	free(c);
	if (st != AU_OK)
		au_spf_verdict_clear(out);
	return st;
}

/* Make "local@domain" with the local-part defaulted to postmaster (4.3). */
static char *
make_sender(const char *local, size_t llen, const char *domain)
{
	size_t dl = strlen(domain), n;
	char *s;

	if (llen == 0) {
		local = "postmaster";
		llen = 10;
	}
	n = llen + 1 + dl + 1;
	if ((s = malloc(n)) == NULL)
		return NULL;
	memcpy(s, local, llen);
	s[llen] = '@';
	memcpy(s + llen + 1, domain, dl + 1);
	return s;
}

au_status
au_spf_check_host(au_dns *dns, const au_spf_opts *opts, const char *ip,
    const char *domain, const char *sender, const char *helo,
    au_spf_verdict *out)
{
	const char *at;
	char *s;
	au_status st;

	if (out == NULL)
		return AU_EINVAL;
	memset(out, 0, sizeof *out);
	if (dns == NULL || ip == NULL || domain == NULL)
		return AU_EINVAL;
	if (sender == NULL)
		sender = "";
	at = strrchr(sender, '@');
	if (at && at != sender) {
		if ((s = dupstr(sender)) == NULL)
			return AU_ENOMEM;
	} else if ((s = make_sender("", 0, at ? at + 1 : domain)) == NULL)
		return AU_ENOMEM;
	st = run(dns, opts, ip, domain, s, helo, "mailfrom", out);
	free(s);
	return st;
}

au_status
au_spf_check_mailfrom(au_dns *dns, const au_spf_opts *opts, const char *ip,
    const char *mfrom, const char *helo, au_spf_verdict *out)
{
	const char *m, *at;
	size_t len;
	char *s = NULL, *dom = NULL;
	au_status st;

	if (out == NULL)
		return AU_EINVAL;
	memset(out, 0, sizeof *out);
	if (dns == NULL || ip == NULL)
		return AU_EINVAL;
	m = mfrom ? mfrom : "";
	len = strlen(m);
	if (len >= 2 && m[0] == '<' && m[len - 1] == '>') {
		m++;
		len -= 2;
	}
	if (len == 0) {
		/* Null reverse-path: postmaster@HELO (section 2.4). */
		if (helo == NULL || helo[0] == '\0') {
			au_ip chk;

			if (au_ip_parse_str(ip, &chk) != AU_OK)
				return AU_EINVAL;
			out->result = AU_SPF_NONE;
			out->identity = "mailfrom";
			snprintf(out->reason, sizeof out->reason,
			    "null reverse-path and no HELO name to check");
			return AU_OK;
		}
		if ((s = make_sender("", 0, helo)) == NULL)
			return AU_ENOMEM;
		st = run(dns, opts, ip, helo, s, helo, "mailfrom", out);
		free(s);
		return st;
	}
	if ((dom = malloc(len + 1)) == NULL)
		return AU_ENOMEM;
	memcpy(dom, m, len);
	dom[len] = '\0';
	at = strrchr(dom, '@');
	if (at == NULL)
		/* No "@": the whole string is the domain (section 4.3). */
		s = make_sender("", 0, dom);
	else
		s = make_sender(dom, (size_t)(at - dom), at + 1);
	if (s == NULL) {
		free(dom);
		return AU_ENOMEM;
	}
	st = run(dns, opts, ip, strrchr(s, '@') + 1, s, helo, "mailfrom", out);
	free(s);
	free(dom);
	return st;
}

au_status
au_spf_check_helo(au_dns *dns, const au_spf_opts *opts, const char *ip,
    const char *helo, au_spf_verdict *out)
{
	char *s;
	au_status st;

	if (out == NULL)
		return AU_EINVAL;
	memset(out, 0, sizeof *out);
	if (dns == NULL || ip == NULL || helo == NULL)
		return AU_EINVAL;
	if ((s = make_sender("", 0, helo)) == NULL)
		return AU_ENOMEM;
	st = run(dns, opts, ip, helo, s, helo, "helo", out);
	free(s);
	return st;
}

void
au_spf_verdict_clear(au_spf_verdict *v)
{
	if (v == NULL)
		return;
	free(v->domain);
	free(v->sender);
	free(v->explanation);
	free(v->mechanism);
	memset(v, 0, sizeof *v);
}

const char *
au_spf_result_str(au_spf_result r)
{
	switch (r) {
	case AU_SPF_NONE:
		return "none";
	case AU_SPF_NEUTRAL:
		return "neutral";
	case AU_SPF_PASS:
		return "pass";
	case AU_SPF_FAIL:
		return "fail";
	case AU_SPF_SOFTFAIL:
		return "softfail";
	case AU_SPF_TEMPERROR:
		return "temperror";
	case AU_SPF_PERMERROR:
		return "permerror";
	}
	return "unknown";
}
