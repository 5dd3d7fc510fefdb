/*
 * spf_record.c - parse one SPF record into terms, RFC 7208 sections 4.5,
 * 4.6.1, 5, 6 and the collected ABNF of section 12.
 *
 * The grammar is applied strictly: "v=spf1" (any case) then space or end;
 * terms separated by one or more spaces; qualifiers; the eight mechanisms
 * with their exact argument forms (dual-cidr-length for a and mx, strict
 * dotted quad and prefix ranges for ip4/ip6); modifiers "name=value" where
 * redirect and exp take a domain-spec and may appear once each; unknown
 * modifiers are kept if their name and macro-string are well formed.  Any
 * other byte (control characters, non-ASCII, tabs) makes the record
 * invalid.  The caller maps AU_ESYNTAX to permerror.
 *
 * Work and memory are linear in the record: one allocation for the terms
 * and one for their strings, bounded by AU_SPF_MAX_RECORD and
 * AU_SPF_MAX_TERMS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "spf_int.h"

#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))

enum { ARG_NONE, ARG_OPT, ARG_REQ, ARG_IP4, ARG_IP6 };
enum { CIDR_NONE, CIDR_DUAL };

static const struct mech {
	const char	*name;
	au_spf_term_kind kind;
	int		 arg;
	int		 cidr;
} mechs[] = {
	{ "all",	AU_SPF_ALL,	ARG_NONE, CIDR_NONE },
	{ "include",	AU_SPF_INCLUDE,	ARG_REQ,  CIDR_NONE },
	{ "a",		AU_SPF_A,	ARG_OPT,  CIDR_DUAL },
	{ "mx",		AU_SPF_MX,	ARG_OPT,  CIDR_DUAL },
	{ "ptr",	AU_SPF_PTR,	ARG_OPT,  CIDR_NONE },
	{ "ip4",	AU_SPF_IP4,	ARG_IP4,  CIDR_NONE },
	{ "ip6",	AU_SPF_IP6,	ARG_IP6,  CIDR_NONE },
	{ "exists",	AU_SPF_EXISTS,	ARG_REQ,  CIDR_NONE },
};

/* Where the parser is: the record, the term at hand, the error text. */
typedef struct pstate {
	au_spf_record	*rec;
	char		*pool;		/* next free byte in rec->pool */
	const char	*term;		/* current term, for messages */
	size_t		 termlen;
	char		*err;
	size_t		 errlen;
} pstate;

static au_status
fail(pstate *ps, const char *why)
{
	char tmp[96];

	if (ps->err && ps->errlen)
		snprintf(ps->err, ps->errlen, "syntax error at '%s': %s",
		    au_spf__printable(ps->term, ps->termlen, tmp, sizeof tmp),
		    why);
	return AU_ESYNTAX;
}

static char *
keep(pstate *ps, const char *s, size_t len)
{
	char *p = ps->pool;

	memcpy(p, s, len);
	p[len] = '\0';
	ps->pool += len + 1;
	return p;
}

/*
 * ip4-cidr-length / ip6-cidr-length without the "/": "0" or a number
 * without leading zero, at most max.  Returns the value or -1.
 */
static int
cidr_value(const char *s, size_t len, int max)
{
	size_t i;
	int v = 0;

	if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		if (!IS_DIGIT(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* A domain-spec: macro-string domain-end (sections 7.1, 12). */
static au_status
domain_spec(pstate *ps, const char *s, size_t len)
{
	char why[160];
	size_t n = len, dot;
	int ends_macro = 0;

	if (len == 0)
		return fail(ps, "empty domain-spec");
	/* A trailing dot is accepted after either form (section 7.3). */
	if (s[n - 1] == '.')
		n--;
	if (au_spf__macro_run(NULL, s, n, AU_SPF__M_DOMAIN, NULL, &ends_macro,
	    why, sizeof why) != AU_OK)
		return fail(ps, why);
	if (ends_macro)
		return AU_OK;
	for (dot = n; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return fail(ps, "domain-spec must end in '.' and a top-level label, or a macro");
	if (!au_spf__toplabel_ok(s + dot, n - dot))
		return fail(ps, "invalid top-level label");
	return AU_OK;
}

/*
 * Split a trailing dual-cidr-length ("/N", "//N", "/N//M") off s; the
 * values go to the term.  Returns the length left for the domain-spec.
 */
static au_status
dual_cidr(pstate *ps, au_spf_term *t, const char *s, size_t len, size_t *left)
{
	size_t k, end = len;

	k = end;
	while (k > 0 && IS_DIGIT(s[k - 1]))
		k--;
	if (k < end && k >= 2 && s[k - 1] == '/' && s[k - 2] == '/') {
		if ((t->cidr6 = cidr_value(s + k, end - k, 128)) < 0)
			return fail(ps, "IPv6 prefix length must be 0-128");
		end = k - 2;
		k = end;
		while (k > 0 && IS_DIGIT(s[k - 1]))
			k--;
	}
	if (k < end && k >= 1 && s[k - 1] == '/' && (k < 2 || s[k - 2] != '/')) {
		if ((t->cidr4 = cidr_value(s + k, end - k, 32)) < 0)
			return fail(ps, "IPv4 prefix length must be 0-32");
		end = k - 1;
	}
	*left = end;
	return AU_OK;
}

/* ip4:network[/N] or ip6:network[/N]; s starts after "ip4"/"ip6". */
static au_status
ip_arg(pstate *ps, au_spf_term *t, const char *s, size_t len, int v6)
{
	const char *slash;
	size_t nlen;
	au_ip ip;
	int c;

	if (len == 0 || s[0] != ':')
		return fail(ps, v6 ? "ip6 needs ':' and an IPv6 network" :
		    "ip4 needs ':' and an IPv4 network");
	s++;
	len--;
	slash = memchr(s, '/', len);
	nlen = slash ? (size_t)(slash - s) : len;
	if ((v6 ? au_ip_parse_v6(s, nlen, &ip) : au_ip_parse_v4(s, nlen, &ip)) != AU_OK)
		return fail(ps, v6 ? "not an IPv6 address" :
		    "not an IPv4 address (four numbers 0-255, no leading zeros)");
	memcpy(t->ip, ip.bytes, sizeof t->ip);
	if (slash) {
		c = cidr_value(slash + 1, len - nlen - 1, v6 ? 128 : 32);
		if (c < 0)
			return fail(ps, v6 ? "IPv6 prefix length must be 0-128" :
			    "IPv4 prefix length must be 0-32");
		if (v6)
			t->cidr6 = c;
		else
			t->cidr4 = c;
	}
	return AU_OK;
}

static au_status
parse_modifier(pstate *ps, au_spf_term *t, const char *s, size_t len,
    size_t namelen, int index)
{
	const char *val = s + namelen + 1;
	size_t vlen = len - namelen - 1;
	char why[160];
	au_status st;
	int *slot = NULL;

	if (namelen == 8 && strncasecmp(s, "redirect", 8) == 0) {
		t->kind = AU_SPF_REDIRECT;
		slot = &ps->rec->redirect;
	} else if (namelen == 3 && strncasecmp(s, "exp", 3) == 0) {
		t->kind = AU_SPF_EXP;
		slot = &ps->rec->exp;
	} else
		t->kind = AU_SPF_UNKNOWN_MOD;
	if (slot) {
		if (*slot >= 0)
			return fail(ps, t->kind == AU_SPF_REDIRECT ?
			    "redirect= may appear only once" :
			    "exp= may appear only once");
		*slot = index;
		if ((st = domain_spec(ps, val, vlen)) != AU_OK)
			return st;
	} else if (au_spf__macro_run(NULL, val, vlen, AU_SPF__M_STRING, NULL,
	    NULL, why, sizeof why) != AU_OK)
		return fail(ps, why);
	t->name = keep(ps, s, namelen);
	t->domain_spec = keep(ps, val, vlen);
	return AU_OK;
}

static au_status
parse_directive(pstate *ps, au_spf_term *t, const char *s, size_t len)
{
	const struct mech *m = NULL;
	size_t i, n = 0, left;
	au_status st;

	t->qualifier = '+';
	if (len > 0 && strchr("+-~?", s[0]) != NULL) {
		t->qualifier = s[0];
		s++;
		len--;
	}
	while (n < len && (IS_ALPHA(s[n]) || IS_DIGIT(s[n])))
		n++;
	for (i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
		if (strlen(mechs[i].name) == n &&
		    strncasecmp(mechs[i].name, s, n) == 0) {
			m = &mechs[i];
			break;
		}
	if (m == NULL)
		return fail(ps, n ? "unknown mechanism" : "not a mechanism or modifier");
	t->kind = m->kind;
	s += n;
	len -= n;
	switch (m->arg) {
	case ARG_NONE:
		if (len != 0)
			return fail(ps, "'all' takes no argument");
		ps->rec->has_all = 1;
		return AU_OK;
	case ARG_IP4:
	case ARG_IP6:
		return ip_arg(ps, t, s, len, m->arg == ARG_IP6);
	}
	left = len;
	if (m->cidr == CIDR_DUAL && (st = dual_cidr(ps, t, s, len, &left)) != AU_OK)
		return st;
	if (left == 0) {
		if (m->arg == ARG_REQ)
			return fail(ps, "needs ':' and a domain");
		return AU_OK;
	}
	if (s[0] != ':')
		return fail(ps, m->cidr == CIDR_DUAL ?
		    "expected ':domain' or '/prefix'" : "expected ':domain'");
	if ((st = domain_spec(ps, s + 1, left - 1)) != AU_OK)
		return st;
	t->domain_spec = keep(ps, s + 1, left - 1);
	return AU_OK;
}

static au_status
parse_term(pstate *ps, au_spf_term *t, const char *s, size_t len, int index)
{
	size_t n = 0;

	ps->term = s;
	ps->termlen = len;
	t->cidr4 = t->cidr6 = -1;
	t->text = keep(ps, s, len);
	/* name "=" ... is a modifier (section 4.6.1). */
	if (IS_ALPHA(s[0])) {
		while (n < len && (IS_ALPHA(s[n]) || IS_DIGIT(s[n]) ||
		    s[n] == '-' || s[n] == '_' || s[n] == '.'))
			n++;
		if (n < len && s[n] == '=')
			return parse_modifier(ps, t, s, len, n, index);
	} else if (s[0] == '=')
		return fail(ps, "modifier without a name");
	return parse_directive(ps, t, s, len);
}

au_status
au_spf_record_parse(const char *txt, size_t len, au_spf_record **out,
    char *err, size_t errlen)
{
	au_spf_record *rec;
	pstate ps;
	size_t i, n, nterms = 0, poolsize;
	au_status st;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (txt == NULL || out == NULL)
		return AU_EINVAL;
	if (len < 6 || strncasecmp(txt, "v=spf1", 6) != 0 ||
	    (len > 6 && txt[6] != ' ')) {
		if (err && errlen)
			snprintf(err, errlen, "not an SPF record (no \"v=spf1\" at the start)");
		return AU_ENOTFOUND;
	}
	if (len > AU_SPF_MAX_RECORD) {
		if (err && errlen)
			snprintf(err, errlen, "record is %zu bytes, more than the %d accepted",
			    len, AU_SPF_MAX_RECORD);
		return AU_ETOOBIG;
	}
	for (i = 6; i < len; i = n) {
		while (i < len && txt[i] == ' ')
			i++;
		if (i == len)
			break;
		for (n = i; n < len && txt[n] != ' '; n++)
			;
		nterms++;
	}
	if (nterms > AU_SPF_MAX_TERMS) {
		if (err && errlen)
			snprintf(err, errlen, "record has %zu terms, more than the %d accepted",
			    nterms, AU_SPF_MAX_TERMS);
		return AU_ETOOBIG;
	}
	if ((rec = calloc(1, sizeof *rec)) == NULL)
		return AU_ENOMEM;
	rec->redirect = rec->exp = -1;
	/* Each term's text, name and value, each NUL-terminated. */
	poolsize = 2 * len + 3 * nterms + 1;
	if ((nterms && (rec->terms = calloc(nterms, sizeof *rec->terms)) == NULL) ||
	    (rec->pool = malloc(poolsize)) == NULL) {
		au_spf_record_free(rec);
		return AU_ENOMEM;
	}
	memset(&ps, 0, sizeof ps);
	ps.rec = rec;
	ps.pool = rec->pool;
	ps.err = err;
	ps.errlen = errlen;
	for (i = 6; i < len; i = n) {
		while (i < len && txt[i] == ' ')
			i++;
		if (i == len)
			break;
		for (n = i; n < len && txt[n] != ' '; n++)
			;
		st = parse_term(&ps, &rec->terms[rec->nterms], txt + i, n - i,
		    (int)rec->nterms);
		rec->nterms++;
		if (st != AU_OK) {
			au_spf_record_free(rec);
			return st;
		}
	}
	*out = rec;
	return AU_OK;
}

size_t
au_spf_record_count(const au_spf_record *r)
{
	return r ? r->nterms : 0;
}

const au_spf_term *
au_spf_record_term(const au_spf_record *r, size_t i)
{
	if (r == NULL || i >= r->nterms)
		return NULL;
	return &r->terms[i];
}

au_spf_record *
au_spf_record_free(au_spf_record *r)
{
	if (r) {
		free(r->terms);
		free(r->pool);
		free(r);
	}
	return NULL;
}
