/*
 * dmarc_record.c - parse one DMARC Policy Record.
 *
 * RFC 9989 4.7 and 4.8 (the default rules) and RFC 7489 6.3 and 6.4:
 *   - "v=DMARC1" must be the first tag (case-sensitive value), or the
 *     text is not a DMARC record at all (AU_ENOTFOUND);
 *   - unknown tags are ignored; a tag of the other RFC (np, psd, t in
 *     RFC 7489 mode; pct, rf, ri in RFC 9989 mode) is unknown there;
 *   - values must be exactly one of the ABNF keywords ("p=r" is invalid);
 *     other syntax errors fall back to the tag's default, with a warning;
 *   - p= missing or invalid, or sp=/np= invalid: act as p=none when rua=
 *     holds a syntactically valid URI, else the record cannot be applied
 *     (RFC 9989 4.10.1, RFC 7489 6.6.3 step 6): AU_ESYNTAX.
 * The tag-list is split here by a small tokenizer (RFC 6376 3.2 tag-list
 * shape with DMARC's *WSP separators).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "au_status_int.h"
#include "dmarc_int.h"

#define MAX_WARNINGS 32

struct au_dmarc_record {
	au_dmarc_record_info info;
	char		*text;
	size_t		 textlen;
	au_dmarc_uri	 rua[AU_DMARC_MAX_URIS];
	au_dmarc_uri	 ruf[AU_DMARC_MAX_URIS];
	char		*warn[MAX_WARNINGS];
	au_dmarc_severity sev[MAX_WARNINGS];
	size_t		 nwarn;
	int		 p_bad, sp_bad, np_bad;	/* present but invalid */
	unsigned	 seen;			/* bit per tag handler */
	int		 ntag;			/* tags seen, v= included */
};

/* A tag's value as a counted string. */
typedef struct span {
	const char	*p;
	size_t		 n;
} span;

typedef void (*tag_fn)(au_dmarc_record *r, const char *name, span v);

static void	tag_policy(au_dmarc_record *, const char *, span);
static void	tag_align(au_dmarc_record *, const char *, span);
static void	tag_psd(au_dmarc_record *, const char *, span);
static void	tag_t(au_dmarc_record *, const char *, span);
static void	tag_pct(au_dmarc_record *, const char *, span);
static void	tag_fo(au_dmarc_record *, const char *, span);
static void	tag_rf(au_dmarc_record *, const char *, span);
static void	tag_ri(au_dmarc_record *, const char *, span);
static void	tag_uris(au_dmarc_record *, const char *, span);

#define IN_9989	1
#define IN_7489	2

static const struct tag_handler {
	const char	*name;
	int		 modes;
	tag_fn		 fn;
} handlers[] = {
	{ "p",		IN_9989 | IN_7489,	tag_policy },
	{ "sp",		IN_9989 | IN_7489,	tag_policy },
	{ "np",		IN_9989,		tag_policy },
	{ "adkim",	IN_9989 | IN_7489,	tag_align },
	{ "aspf",	IN_9989 | IN_7489,	tag_align },
	{ "fo",		IN_9989 | IN_7489,	tag_fo },
	{ "rua",	IN_9989 | IN_7489,	tag_uris },
	{ "ruf",	IN_9989 | IN_7489,	tag_uris },
	{ "psd",	IN_9989,		tag_psd },
	{ "t",		IN_9989,		tag_t },
	{ "pct",	IN_7489,		tag_pct },
	{ "rf",		IN_7489,		tag_rf },
	{ "ri",		IN_7489,		tag_ri },
};
#define NHANDLERS (sizeof handlers / sizeof handlers[0])

static void
warn(au_dmarc_record *r, au_dmarc_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
warn(au_dmarc_record *r, au_dmarc_severity sev, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (r->nwarn >= MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (r->nwarn == MAX_WARNINGS - 1)
		snprintf(buf, sizeof buf, "more warnings not shown");
	r->sev[r->nwarn] = sev;
	if ((r->warn[r->nwarn] = strdup(buf)) != NULL)
		r->nwarn++;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static span
trim(span s)
{
	while (s.n > 0 && is_wsp(s.p[0]))
		s.p++, s.n--;
	while (s.n > 0 && is_wsp(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* ASCII case-insensitive comparison of a span with a keyword. */
static int
span_is(span s, const char *kw)
{
	size_t n = strlen(kw);

	return s.n == n && strncasecmp(s.p, kw, n) == 0;
}

/* A printable copy of a span for messages (truncated, marked "..."). */
static const char *
show(span s, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < s.n && o + 4 < size; i++) {
		unsigned char c = (unsigned char)s.p[i];

		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < s.n && size >= 4) {
		o = o > size - 4 ? size - 4 : o;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* dmarc-value = %x20-3A / %x3C-7E */
static int
value_chars_ok(span v)
{
	size_t i;

	if (v.n == 0)
		return 0;
	for (i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c < 0x20 || c > 0x7e || c == ';')
			return 0;
	}
	return 1;
}

static int
keyword_policy(span v, au_dmarc_policy *out)
{
	if (span_is(v, "none"))
		*out = AU_DMARC_POLICY_NONE;
	else if (span_is(v, "quarantine"))
		*out = AU_DMARC_POLICY_QUARANTINE;
	else if (span_is(v, "reject"))
		*out = AU_DMARC_POLICY_REJECT;
	else
		return -1;
	return 0;
}

static void
tag_policy(au_dmarc_record *r, const char *name, span v)
{
	au_dmarc_policy pol;
	char b[64];

	if (keyword_policy(v, &pol) < 0) {
		warn(r, AU_DMARC_SEV_ERROR, "%s=%s is not none, quarantine or reject", name,
		    show(v, b, sizeof b));
		if (strcmp(name, "p") == 0)
			r->p_bad = 1;
		else if (strcmp(name, "sp") == 0)
			r->sp_bad = 1;
		else
			r->np_bad = 1;
		return;
	}
	if (strcmp(name, "p") == 0) {
		r->info.p = pol;
		r->info.has_p = 1;
	} else if (strcmp(name, "sp") == 0) {
		r->info.sp = pol;
		r->info.has_sp = 1;
	} else {
		r->info.np = pol;
		r->info.has_np = 1;
	}
}

static void
tag_align(au_dmarc_record *r, const char *name, span v)
{
	au_dmarc_align a;
	char b[64];

	if (span_is(v, "r"))
		a = AU_DMARC_ALIGN_RELAXED;
	else if (span_is(v, "s"))
		a = AU_DMARC_ALIGN_STRICT;
	else {
		warn(r, AU_DMARC_SEV_ERROR, "%s=%s is not r or s: relaxed (r) used", name,
		    show(v, b, sizeof b));
		return;
	}
	if (name[0] == 'a' && name[1] == 'd')
		r->info.adkim = a;
	else
		r->info.aspf = a;
}

static void
tag_psd(au_dmarc_record *r, const char *name, span v)
{
	char b[64];

	if (span_is(v, "y"))
		r->info.psd = AU_DMARC_PSD_Y;
	else if (span_is(v, "n"))
		r->info.psd = AU_DMARC_PSD_N;
	else if (span_is(v, "u"))
		r->info.psd = AU_DMARC_PSD_U;
	else
		warn(r, AU_DMARC_SEV_ERROR, "psd=%s is not y, n or u: u used", show(v, b, sizeof b));
}

static void
tag_t(au_dmarc_record *r, const char *name, span v)
{
	char b[64];

	if (span_is(v, "y"))
		r->info.testing = 1;
	else if (span_is(v, "n"))
		r->info.testing = 0;
	else
		warn(r, AU_DMARC_SEV_ERROR, "t=%s is not y or n: n used", show(v, b, sizeof b));
}

static void
tag_pct(au_dmarc_record *r, const char *name, span v)
{
	char b[64];
	int n = 0;
	size_t i;

	if (v.n < 1 || v.n > 3)
		goto bad;
	for (i = 0; i < v.n; i++) {
		if (!is_digit(v.p[i]))
			goto bad;
		n = n * 10 + (v.p[i] - '0');
	}
	if (n > 100)
		goto bad;
	r->info.pct = n;
	return;
bad:
	warn(r, AU_DMARC_SEV_ERROR, "pct=%s is not an integer from 0 to 100: 100 used",
	    show(v, b, sizeof b));
}

static void
tag_ri(au_dmarc_record *r, const char *name, span v)
{
	char b[64];
	unsigned long n = 0;
	size_t i;

	if (v.n < 1)
		goto bad;
	for (i = 0; i < v.n; i++) {
		if (!is_digit(v.p[i]))
			goto bad;
		n = n * 10 + (unsigned long)(v.p[i] - '0');
		if (n > 0xffffffffUL)
			goto bad;
	}
	r->info.ri = n;
	return;
bad:
	warn(r, AU_DMARC_SEV_ERROR, "ri=%s is not a 32-bit unsigned integer: 86400 used",
	    show(v, b, sizeof b));
}

/* fo: "0" / "1" / "d" / "s" separated by ":" (each once; 0 and 1 exclusive). */
static void
tag_fo(au_dmarc_record *r, const char *name, span v)
{
	char out[16], b[64];
	size_t i = 0, o = 0;
	int seen[4] = { 0, 0, 0, 0 };
	const char *opts = "01ds";

	while (i < v.n) {
		const char *k;
		char c;

		while (i < v.n && is_wsp(v.p[i]))
			i++;
		if (i >= v.n)
			goto bad;
		c = v.p[i];
		if (c == 'D')
			c = 'd';
		if (c == 'S')
			c = 's';
		if ((k = strchr(opts, c)) == NULL || c == '\0')
			goto bad;
		if (seen[k - opts]++)
			goto bad;
		out[o++] = c;
		i++;
		while (i < v.n && is_wsp(v.p[i]))
			i++;
		if (i < v.n) {
			if (v.p[i] != ':')
				goto bad;
			i++;
			out[o++] = ':';
			if (i >= v.n)
				goto bad;
		}
	}
	if (o == 0)
		goto bad;
	if (seen[0] && seen[1] && r->info.mode == AU_DMARC_RFC9989)
		goto bad;
	out[o] = '\0';
	snprintf(r->info.fo, sizeof r->info.fo, "%s", out);
	return;
bad:
	warn(r, AU_DMARC_SEV_ERROR, "fo=%s is not a list of 0, 1, d, s: 0 used",
	    show(v, b, sizeof b));
}

/* rf: Keyword *(":" Keyword); only "afrf" is registered (RFC 7489 6.3). */
static void
tag_rf(au_dmarc_record *r, const char *name, span v)
{
	char b[64];
	size_t i, start = 0;
	int afrf = 0;

	for (i = 0; i <= v.n; i++) {
		if (i == v.n || v.p[i] == ':') {
			span k = trim((span){ v.p + start, i - start });

			if (k.n == 0)
				goto bad;
			if (span_is(k, "afrf"))
				afrf = 1;
			else
				warn(r, AU_DMARC_SEV_WARNING, "rf: report format '%s' is not registered: ignored",
				    show(k, b, sizeof b));
			start = i + 1;
		} else if (!is_alpha(v.p[i]) && !is_digit(v.p[i]) &&
		    v.p[i] != '-' && !is_wsp(v.p[i]))
			goto bad;
	}
	if (!afrf)
		warn(r, AU_DMARC_SEV_WARNING, "rf=%s does not list afrf: afrf used", show(v, b, sizeof b));
	return;
bad:
	warn(r, AU_DMARC_SEV_ERROR, "rf=%s is not a list of report formats: afrf used",
	    show(v, b, sizeof b));
}

static int
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * A URI (RFC 3986 3.1 scheme ":" then URI characters, '%' followed by two
 * hex digits).  Commas and '!' never reach here (list and size syntax).
 */
static int
uri_ok(span u)
{
	size_t i;

	if (u.n < 3 || !is_alpha(u.p[0]))
		return 0;
	for (i = 1; i < u.n && u.p[i] != ':'; i++)
		if (!is_alpha(u.p[i]) && !is_digit(u.p[i]) && u.p[i] != '+' &&
		    u.p[i] != '-' && u.p[i] != '.')
			return 0;
	if (i >= u.n - 1)
		return 0;
	for (i++; i < u.n; i++) {
		char c = u.p[i];

		if (c == '%') {
			if (i + 2 >= u.n)
				return 0;
			if (!is_hex(u.p[i + 1]) || !is_hex(u.p[i + 2]))
				return 0;
			i += 2;
		} else if (!(is_alpha(c) || is_digit(c) ||
		    strchr("-._~!$&'()*+,;=:@/?#[]", c) != NULL))
			return 0;
	}
	return 1;
}

/* Decode %XX of src into dst (NUL-terminated); -1 on a decoded NUL. */
static int
pct_decode(span s, char *dst, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < s.n; i++) {
		int c = (unsigned char)s.p[i];

		if (c == '%' && i + 2 < s.n && is_hex(s.p[i + 1]) &&
		    is_hex(s.p[i + 2])) {
			char h[3] = { s.p[i + 1], s.p[i + 2], 0 };

			c = (int)strtol(h, NULL, 16);
			i += 2;
		}
		if (c == 0 || o + 1 >= size)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

/*
 * The domain of a mailto: URI's address ("mailto:a@b.example?x"), lower
 * case, into out.  Returns -1 when there is no usable address.
 */
static int
mailto_domain(span u, char *out, size_t size)
{
	char addr[AU_DMARC_MAX_URI + 1];
	span a = { u.p + 7, u.n - 7 };
	const char *at;
	size_t i;

	for (i = 0; i < a.n; i++)
		if (a.p[i] == '?')
			break;
	a.n = i;
	if (pct_decode(a, addr, sizeof addr) < 0)
		return -1;
	if ((at = strrchr(addr, '@')) == NULL || at == addr)
		return -1;
	return au_dmarc__domain_norm(at + 1, strlen(at + 1), out, size);
}

/* rua / ruf: dmarc-uri *(*WSP "," *WSP dmarc-uri), with "!size" suffixes. */
static void
tag_uris(au_dmarc_record *r, const char *name, span v)
{
	au_dmarc_uri *list = name[1] == 'u' && name[2] == 'a' ? r->rua : r->ruf;
	size_t *np = list == r->rua ? &r->info.nrua : &r->info.nruf;
	size_t i, start = 0;
	char b[80], dom[AU_DMARC_DOMAIN_MAX];

	for (i = 0; i <= v.n; i++) {
		span u, sz;
		const char *bang;
		au_dmarc_uri *e;
		int ok;

		if (i < v.n && v.p[i] != ',')
			continue;
		u = trim((span){ v.p + start, i - start });
		start = i + 1;
		if (u.n == 0) {
			warn(r, AU_DMARC_SEV_WARNING, "%s: empty URI in the list", name);
			continue;
		}
		ok = 1;
		if ((bang = memchr(u.p, '!', u.n)) != NULL) {
			size_t k;

			sz.p = bang + 1;
			sz.n = u.n - (size_t)(bang + 1 - u.p);
			u.n = (size_t)(bang - u.p);
			for (k = 0; k < sz.n && is_digit(sz.p[k]); k++)
				;
			if (k == 0 || k > 20 || sz.n - k > 1 || (sz.n - k == 1 &&
			    strchr("kmgtKMGT", sz.p[k]) == NULL))
				ok = 0;
			else if (r->info.mode == AU_DMARC_RFC9989)
				warn(r, AU_DMARC_SEV_INFO, "%s: size limit '!%s' is obsolete and ignored",
				    name, show(sz, b, sizeof b));
		}
		if (u.n > AU_DMARC_MAX_URI) {
			warn(r, AU_DMARC_SEV_ERROR, "%s: URI longer than %d bytes ignored", name,
			    AU_DMARC_MAX_URI);
			continue;
		}
		if (ok)
			ok = uri_ok(u);
		if (*np >= AU_DMARC_MAX_URIS) {
			warn(r, AU_DMARC_SEV_WARNING, "%s: more than %d URIs, '%s' ignored", name,
			    AU_DMARC_MAX_URIS, show(u, b, sizeof b));
			continue;
		}
		e = &list[*np];
		if ((e->uri = strndup(u.p, u.n)) == NULL)
			continue;
		e->valid = ok;
		e->mailto_domain = NULL;
		if (ok && u.n > 7 && strncasecmp(u.p, "mailto:", 7) == 0) {
			if (mailto_domain(u, dom, sizeof dom) < 0) {
				e->valid = 0;
				warn(r, AU_DMARC_SEV_ERROR, "%s: '%s' is not a mailto: address with a domain",
				    name, show(u, b, sizeof b));
			} else
				e->mailto_domain = strdup(dom);
		} else if (!ok)
			warn(r, AU_DMARC_SEV_ERROR, "%s: '%s' is not a valid URI", name,
			    show(u, b, sizeof b));
		(*np)++;
	}
}

static void
record_init(au_dmarc_record *r, au_dmarc_mode mode)
{
	memset(r, 0, sizeof *r);
	r->info.mode = mode;
	r->info.pct = 100;
	r->info.ri = 86400;
	snprintf(r->info.fo, sizeof r->info.fo, "0");
	snprintf(r->info.rf, sizeof r->info.rf, "afrf");
	r->info.rua = r->rua;
	r->info.ruf = r->ruf;
}

/* One tag-spec (between separators), v= excluded. */
static void
one_tag(au_dmarc_record *r, span spec)
{
	char name[16], b[64];
	size_t i, k;
	span v;
	int bit = -1;

	spec = trim(spec);
	if (spec.n == 0) {
		warn(r, AU_DMARC_SEV_WARNING, "empty tag (';;') ignored");
		return;
	}
	for (i = 0; i < spec.n && is_alpha(spec.p[i]); i++)
		;
	if (i == 0 || i >= sizeof name) {
		warn(r, AU_DMARC_SEV_ERROR, "malformed tag '%s' ignored", show(spec, b, sizeof b));
		return;
	}
	for (k = 0; k < i; k++)
		name[k] = (char)(spec.p[k] | 0x20);
	name[i] = '\0';
	while (i < spec.n && is_wsp(spec.p[i]))
		i++;
	if (i >= spec.n || spec.p[i] != '=') {
		warn(r, AU_DMARC_SEV_ERROR, "malformed tag '%s' (no '=') ignored", show(spec, b, sizeof b));
		if (strcmp(name, "p") == 0 || strcmp(name, "sp") == 0 ||
		    strcmp(name, "np") == 0)
			tag_policy(r, name, (span){ "", 0 });
		return;
	}
	v = trim((span){ spec.p + i + 1, spec.n - i - 1 });
	r->ntag++;
	for (k = 0; k < NHANDLERS; k++)
		if (strcmp(handlers[k].name, name) == 0)
			break;
	if (k == NHANDLERS || !(handlers[k].modes &
	    (r->info.mode == AU_DMARC_RFC7489 ? IN_7489 : IN_9989))) {
		if (k < NHANDLERS)
			warn(r, AU_DMARC_SEV_WARNING, "tag '%s' is not part of %s: ignored", name,
			    r->info.mode == AU_DMARC_RFC7489 ? "RFC 7489" : "RFC 9989");
		else if (strcmp(name, "v") == 0)
			warn(r, AU_DMARC_SEV_ERROR, "a second v= tag ignored");
		else
			warn(r, AU_DMARC_SEV_WARNING, "unknown tag '%s' ignored", name);
		return;
	}
	bit = (int)k;
	if (r->seen & (1u << bit)) {
		warn(r, AU_DMARC_SEV_ERROR, "duplicate tag '%s': the first one is used", name);
		return;
	}
	r->seen |= 1u << bit;
	if (strcmp(name, "p") == 0 && r->ntag != 2 &&
	    r->info.mode == AU_DMARC_RFC7489)
		warn(r, AU_DMARC_SEV_WARNING, "p= is not the tag after v= (RFC 7489 6.3)");
	if (!value_chars_ok(v)) {
		warn(r, AU_DMARC_SEV_ERROR, "%s: value '%s' has characters outside %%x20-7E or is empty",
		    name, show(v, b, sizeof b));
		if (handlers[k].fn == tag_policy)
			tag_policy(r, name, (span){ "", 0 });
		return;
	}
	handlers[k].fn(r, name, v);
}

/* "v" *WSP "=" *WSP "DMARC1" as the first tag; returns bytes used or 0. */
static size_t
version_tag(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && is_wsp(s[i]))
		i++;
	if (i >= len || s[i] != 'v')
		return 0;
	i++;
	while (i < len && is_wsp(s[i]))
		i++;
	if (i >= len || s[i] != '=')
		return 0;
	i++;
	while (i < len && is_wsp(s[i]))
		i++;
	if (len - i < 6 || memcmp(s + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	while (i < len && is_wsp(s[i]))
		i++;
	if (i < len && s[i] != ';')
		return 0;
	return i;
}

static int
any_valid_rua(const au_dmarc_record *r)
{
	size_t i;

	for (i = 0; i < r->info.nrua; i++)
		if (r->rua[i].valid)
			return 1;
	return 0;
}

au_status
au_dmarc_record_parse(const char *txt, size_t len, au_dmarc_mode mode,
    au_dmarc_record **out, char *err, size_t errlen)
{
	au_status st;
	int unusable = 0;

	st = au_dmarc__record_parse(txt, len, mode, out, &unusable, err, errlen);
	if (st == AU_OK && unusable) {
		*out = au_dmarc_record_free(*out);
		return AU_ESYNTAX;
	}
	return st;
}

au_status
au_dmarc__record_parse(const char *txt, size_t len, au_dmarc_mode mode,
    au_dmarc_record **out, int *unusable, char *err, size_t errlen)
{
	au_dmarc_record *r;
	size_t i, start;

	au_status__msg(err, errlen, "%s", "");
	if (out == NULL || unusable == NULL || (txt == NULL && len > 0))
		return AU_EINVAL;
	*out = NULL;
	*unusable = 0;
	if ((start = version_tag(txt, len)) == 0) {
		au_status__msg(err, errlen, "not a DMARC record: it does not start with v=DMARC1");
		return AU_ENOTFOUND;
	}
	if (len > AU_DMARC_MAX_RECORD) {
		au_status__msg(err, errlen, "DMARC record of %zu bytes is longer than %d",
		    len, AU_DMARC_MAX_RECORD);
		return AU_ESYNTAX;
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return AU_ENOMEM;
	record_init(r, mode);
	r->ntag = 1;
	if ((r->text = malloc(len + 1)) == NULL) {
		free(r);
		return AU_ENOMEM;
	}
	memcpy(r->text, txt, len);
	r->text[len] = '\0';
	r->textlen = len;
	if (strlen(r->text) != len)
		warn(r, AU_DMARC_SEV_ERROR, "record contains a NUL byte");
	/* start points at ';' or the end. */
	if (start < len)
		start++;
	for (i = start; i <= len; i++) {
		if (i < len && txt[i] != ';')
			continue;
		{
			span s = trim((span){ txt + start, i - start });

			/* A final "; " is allowed ([dmarc-sep] at the end). */
			if (!(s.n == 0 && i == len))
				one_tag(r, s);
		}
		start = i + 1;
		if (r->ntag > AU_DMARC_MAX_TAGS) {
			au_status__msg(err, errlen, "DMARC record has more than %d tags",
			    AU_DMARC_MAX_TAGS);
			au_dmarc_record_free(r);
			return AU_ESYNTAX;
		}
	}
	if (!r->info.has_p && !r->p_bad)
		warn(r, AU_DMARC_SEV_ERROR, "no p= tag");
	if (!r->info.has_p || r->sp_bad || r->np_bad) {
		if (!any_valid_rua(r)) {
			au_status__msg(err, errlen, "%s and no valid rua= URI: the record "
			    "cannot be applied (RFC %s)",
			    !r->info.has_p ? (r->p_bad ? "p= is invalid" :
			    "p= is missing") : r->sp_bad ? "sp= is invalid" :
			    "np= is invalid", mode == AU_DMARC_RFC7489 ?
			    "7489 6.6.3" : "9989 4.10.1");
			*unusable = 1;
			r->info.p = AU_DMARC_POLICY_NONE;
			r->info.has_p = r->info.has_sp = r->info.has_np = 0;
			r->info.sp = r->info.np = AU_DMARC_POLICY_NONE;
			*out = r;
			return AU_OK;
		}
		r->info.p_fallback = 1;
		r->info.p = AU_DMARC_POLICY_NONE;
		r->info.has_sp = r->info.has_np = 0;
		warn(r, AU_DMARC_SEV_WARNING, "%s: acting as p=none because rua= is valid",
		    !r->info.has_p ? "p= missing or invalid" : "sp=/np= invalid");
		r->info.has_p = 0;
	}
	if (!r->info.has_sp)
		r->info.sp = r->info.p;
	if (!r->info.has_np)
		r->info.np = r->info.sp;
	*out = r;
	return AU_OK;
}

au_status
au_dmarc__record_dup(const au_dmarc_record *r, au_dmarc_record **out)
{
	int unusable;

	return au_dmarc__record_parse(r->text, r->textlen, r->info.mode, out,
	    &unusable, NULL, 0);
}

const au_dmarc_record_info *
au_dmarc_record_get(const au_dmarc_record *r)
{
	return r ? &r->info : NULL;
}

const char *
au_dmarc_record_text(const au_dmarc_record *r)
{
	return r && r->text ? r->text : "";
}

size_t
au_dmarc_record_warning_count(const au_dmarc_record *r)
{
	return r ? r->nwarn : 0;
}

const char *
au_dmarc_record_warning(const au_dmarc_record *r, size_t i)
{
	return r && i < r->nwarn ? r->warn[i] : NULL;
}

au_dmarc_severity
au_dmarc_record_warning_severity(const au_dmarc_record *r, size_t i)
{
	return r && i < r->nwarn ? r->sev[i] : AU_DMARC_SEV_INFO;
}

au_dmarc_record *
au_dmarc_record_free(au_dmarc_record *r)
{
	size_t i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->info.nrua; i++) {
		free(r->rua[i].uri);
		free(r->rua[i].mailto_domain);
	}
	for (i = 0; i < r->info.nruf; i++) {
		free(r->ruf[i].uri);
		free(r->ruf[i].mailto_domain);
	}
	for (i = 0; i < r->nwarn; i++)
		free(r->warn[i]);
	free(r->text);
	free(r);
	return NULL;
}
